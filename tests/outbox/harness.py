"""Shared pieces of the outbox tests (spec section 9): the real server
started on a free loopback port, an HTTP client, a webhook receiver that
verifies every Standard Webhooks signature and follows a fault script, and
the SMTP sink of tests/smtp_sink.py.

Everything runs on 127.0.0.1 and is started by the test. Waits are bounded
loops (a condition that never comes fails the test after BOUND_S), never
timed assertions.

Backends: by default every server gets an SQLite file of its own. With
use_postgres(url_file) (the ctest run's PostgreSQL cluster, fixture pg),
every server started without a database gets a fresh PostgreSQL database
of that cluster instead (CREATE DATABASE through psql), and the servers of
a run share one master secret file, as nodes of one database must.
"""
import base64
import hashlib
import hmac
import http.server
import json
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

ADMIN_EMAIL = "admin@localhost"
ADMIN_PASSWORD = "outbox-test-password-1"
BOUND_S = 90
HERE = os.path.dirname(os.path.abspath(__file__))
SMTP_SINK = os.path.join(HERE, "..", "smtp_sink.py")
SYSTEM_PYTHON = "/usr/bin/python3"


class Failure(Exception):
    pass


# The PostgreSQL cluster's URL (use_postgres), None for SQLite files.
PG = {"cluster": None, "secret": None, "counter": itertools.count(1)}


def use_postgres(url_file, tmp):
    """Every server started from now on without a database gets a fresh
    PostgreSQL database of the cluster named in url_file."""
    with open(url_file) as f:
        PG["cluster"] = f.read().strip()
    PG["secret"] = os.path.join(tmp, "pg-master.secret")


def pg_fresh():
    """A new empty database of the cluster; returns its URL."""
    name = "outbox_%d_%d" % (os.getpid(), next(PG["counter"]))
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", PG["cluster"], "-c",
                    "CREATE DATABASE " + name], check=True)
    return re.sub(r"^(postgres(?:ql)?://[^/]*/)[^?]*", lambda m: m.group(1) + name,
                  PG["cluster"])


def check(cond, what):
    if not cond:
        raise Failure(what)


def wait_until(cond, what, bound_s=BOUND_S):
    """Polls cond() until it is true; fails after bound_s."""
    end = time.monotonic() + bound_s
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise Failure("timed out waiting for " + what)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --- Standard Webhooks -------------------------------------------------------------

def sign(secret, msg_id, ts, body):
    key = base64.b64decode(secret[len("whsec_"):])
    mac = hmac.new(key, ("%s.%s." % (msg_id, ts)).encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def verify(secret, headers, body):
    """True when one of the signatures in headers verifies with secret."""
    want = sign(secret, headers["webhook-id"], headers["webhook-timestamp"], body)
    return any(hmac.compare_digest(want, s) for s in headers["webhook-signature"].split(" "))


# --- The server ---------------------------------------------------------------------

class Server:
    def __init__(self, binary, tmp, args=(), env=None, db=None):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="pp-outbox-", dir=tmp)
        if db is None:
            db = pg_fresh() if PG["cluster"] else os.path.join(self.dir, "payout.db")
        self.db = db
        self.args = list(args)
        self.env = dict(env or {})
        if PG["cluster"]:
            self.env.setdefault("PAYOUT_SECRET_FILE", PG["secret"])
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, "server.log")

    def start(self):
        env = dict(os.environ)
        env.update({"PAYOUT_ADMIN_EMAIL": ADMIN_EMAIL, "PAYOUT_ADMIN_PASSWORD": ADMIN_PASSWORD,
                    "PAYOUT_PASSWORD_ITERATIONS": "1000", "PAYOUT_RATE_LIMIT": "0"})
        env.update(self.env)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--port", "0", "--db", self.db, "--access-log", "off",
             "--expiry-interval-ms", "200"] + self.args,
            stdout=subprocess.PIPE, stderr=log, env=env)
        line = self.proc.stdout.readline().decode()
        check(line.startswith("listening on "), "the server did not start: %r (log %s)"
              % (line, self.log_path))
        self.port = int(line.rsplit(":", 1)[1])
        self.base = "http://127.0.0.1:%d" % self.port
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            check(self.proc.wait(60) == 0, "the server did not stop cleanly")
        self.proc = None

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(60)
        self.proc = None

    def call(self, method, path, body=None, token=None, expect=200):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("x-access-token", token)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        check(status == expect, "%s %s answered %d, not %d: %s"
              % (method, path, status, expect, text[:300]))
        return json.loads(text) if text else None

    def sign_in(self):
        self.admin = self.call("POST", "/api/admin/login",
                               {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})["token"]
        integ = self.call("PUT", "/api/admin/settings/api-integration", {"enabled": True},
                          self.admin)
        self.key = self.call("POST", "/api/authenticate",
                             {"apiKey": integ["authenticationPassword"]})["token"]
        return self

    def deposit(self, currency="EUR", amount=1000):
        return self.call("POST", "/api/admin/funds/deposit",
                         {"currency": currency, "amount": amount, "reference": "funding"},
                         self.admin)

    def create(self, ref, amount=1, email=None, notification=False, description="payout",
               start="2020-01-01", end="2099-01-01", expect=200):
        body = {"amount": amount, "currency": "EUR", "startDate": start, "endDate": end,
                "name": "outbox", "description": description, "referenceId": ref,
                "notification": notification}
        if email:
            body["email"] = email
        answer = self.call("POST", "/api/payment/create", body, self.key, expect)
        return answer["payments"][0] if expect == 200 else answer

    def events(self, query=""):
        return self.call("GET", "/api/events" + query, token=self.key)

    def close(self):
        if self.proc is not None:
            self.stop()


# --- The webhook receiver -------------------------------------------------------------

class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST. decide(request)
    returns what to answer: an int status, ("sleep", s), ("close",),
    ("redirect",), ("big",), ("retry-after", status, seconds)."""

    def __init__(self, port=0, decide=None):
        self.requests = []
        self.secrets = []
        self.lock = threading.Lock()
        self.decide = decide or (lambda r: 200)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    secrets = list(receiver.secrets)
                r = {"path": self.path, "headers": headers, "body": body,
                     "at": time.time(),
                     "event": json.loads(body) if body else None,
                     "verified": {s: verify(s, headers, body) for s in secrets}}
                with receiver.lock:
                    receiver.requests.append(r)
                act = receiver.decide(r)
                if isinstance(act, int):
                    self.answer(act, b"ok")
                elif act[0] == "sleep":
                    time.sleep(act[1])
                    self.answer(200, b"late")
                elif act[0] == "close":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif act[0] == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "/redirected")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif act[0] == "big":
                    self.answer(200, b"x" * (70 * 1024))
                elif act[0] == "retry-after":
                    self.send_response(act[1])
                    self.send_header("Retry-After", str(act[2]))
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def answer(self, status, payload):
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        # A client that gave up (the 10 s timeout) breaks the late answer's
        # pipe: expected, not worth a traceback.
        self.httpd.handle_error = lambda request, address: None
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def of(self, pred=lambda r: True):
        with self.lock:
            return [r for r in self.requests if pred(r)]

    def ids(self):
        return [r["headers"]["webhook-id"] for r in self.of()]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# --- The SMTP sink ----------------------------------------------------------------------

class Sink:
    def __init__(self, tmp, *args):
        self.dir = tempfile.mkdtemp(prefix="pp-sink-", dir=tmp)
        self.proc = subprocess.Popen([SYSTEM_PYTHON, SMTP_SINK, "--dir", self.dir] + list(args),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline().decode().strip()
        check(line.isdigit(), "the SMTP sink did not start: %r" % line)
        self.port = int(line)

    def messages(self):
        out = []
        for name in sorted(os.listdir(self.dir), key=lambda n: int(n.split(".")[0])):
            if name.endswith(".eml"):
                base = os.path.join(self.dir, name[:-4])
                with open(base + ".eml", "rb") as f:
                    eml = f.read()
                with open(base + ".env") as f:
                    env = dict(line.split("=", 1) for line in f.read().splitlines())
                out.append((eml, env))
        return out

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(30)


def run(tests, tmp):
    """Runs each test function; returns the exit status."""
    failed = 0
    for t in tests:
        started = time.monotonic()
        try:
            t(tmp)
            print("ok   %s (%.1f s)" % (t.__name__, time.monotonic() - started), flush=True)
        except Exception as e:  # noqa: BLE001 - a test failure of any kind
            failed += 1
            print("FAIL %s: %s: %s" % (t.__name__, type(e).__name__, e), flush=True)
    return 1 if failed else 0


def tmp_dir(path):
    os.makedirs(path, exist_ok=True)
    return path


def remove(path):
    shutil.rmtree(path, ignore_errors=True)
