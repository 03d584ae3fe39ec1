#!/usr/bin/env python3
"""Runs the haproxy configuration of docs/deploy.md over two nodes.

Two `payout-panel serve` nodes on one fresh database of the run's
PostgreSQL cluster (ctest fixture pg), each on its own loopback port;
haproxy with the ```haproxy block of docs/deploy.md, changed only where a
test must: the frontend binds a free loopback port with a throwaway
self-signed certificate, the two server lines point at the nodes. Then
the README's walk-through (its ```sh block under "## Walk-through") runs
unchanged through haproxy over HTTPS, but for where the binary and the
database are, and the test checks what it answered: the payout that
ended in 2018 expired, the cancel, the receive, the error envelope, the
balances, and `check` passing. Both nodes must have served requests of
it. Everything started is stopped at the end, also on failure.

Usage: haproxy_smoke.py --server BIN --haproxy BIN --url-file FILE --tmp DIR
"""
import argparse
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START_TIMEOUT_S = 60  # a bound, not a timing: a node that never starts fails


def fail(msg):
    print("haproxy_smoke: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def block_after(text, heading, fence):
    """The first fenced block of kind `fence` after `heading`."""
    at = text.index(heading)
    m = re.compile(r"^```" + re.escape(fence) + r"\n(.*?)^```$", re.S | re.M).search(text, at)
    if m is None:
        fail("no ```%s block after %r" % (fence, heading))
    return m.group(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def node_start(server, url, secret, tmp, name):
    out = open(os.path.join(tmp, name + ".log"), "w")
    env = dict(os.environ, PAYOUT_SECRET_FILE=secret, PAYOUT_ADMIN_EMAIL="admin@localhost",
               PAYOUT_ADMIN_PASSWORD="first-admin-password-1")
    proc = subprocess.Popen([server, "serve", "--db", url, "--bind", "127.0.0.1", "--port", "0"],
                            stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + START_TIMEOUT_S
    while time.time() < deadline:
        m = re.search(r"listening on .*?:(\d+)", open(out.name).read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    fail("%s did not start:\n%s" % (name, open(out.name).read()))


def requests_served(port):
    """Requests a node answered, but for health checks and /metrics."""
    body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    n = 0
    for line in body.splitlines():
        if line.startswith("payout_http_requests_total{") and "/readyz" not in line \
                and "/metrics" not in line and "/healthz" not in line:
            n += int(float(line.rsplit(" ", 1)[1]))
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--haproxy", required=True)
    ap.add_argument("--url-file", required=True)
    ap.add_argument("--tmp", required=True)
    a = ap.parse_args()
    os.makedirs(a.tmp, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="haproxy-smoke-", dir=a.tmp)
    procs = []
    try:
        cluster = open(a.url_file).read().strip()
        name = "haproxy_%d" % os.getpid()
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", cluster, "-c",
                        "CREATE DATABASE " + name], check=True)
        url = re.sub(r"^(postgres(?:ql)?://[^/]*/)[^?]*", lambda m: m.group(1) + name, cluster)
        secret = os.path.join(tmp, "master.secret")
        nodes = []
        for i in (1, 2):  # one after the other: the first creates the secret file
            proc, port = node_start(a.server, url, secret, tmp, "node%d" % i)
            procs.append(proc)
            nodes.append(port)

        pem = os.path.join(tmp, "payout-panel.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", os.path.join(tmp, "key.pem"),
                        "-out", os.path.join(tmp, "cert.pem")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(pem, "w") as f:
            f.write(open(os.path.join(tmp, "cert.pem")).read())
            f.write(open(os.path.join(tmp, "key.pem")).read())

        doc = open(os.path.join(ROOT, "docs/deploy.md")).read()
        cfg = block_after(doc, "## haproxy (tested)", "haproxy")
        front = free_port()
        changes = [("bind :443 ssl crt /etc/haproxy/payout-panel.pem",
                    "bind 127.0.0.1:%d ssl crt %s" % (front, pem)),
                   ("server node1 10.0.0.11:5006", "server node1 127.0.0.1:%d" % nodes[0]),
                   ("server node2 10.0.0.12:5006", "server node2 127.0.0.1:%d" % nodes[1])]
        for old, new in changes:
            if old not in cfg:
                fail("docs/deploy.md's haproxy block no longer has %r" % old)
            cfg = cfg.replace(old, new)
        cfg_path = os.path.join(tmp, "haproxy.cfg")
        open(cfg_path, "w").write(cfg)
        subprocess.run([a.haproxy, "-c", "-q", "-f", cfg_path], check=True)
        hap = subprocess.Popen([a.haproxy, "-db", "-f", cfg_path],
                               stdout=open(os.path.join(tmp, "haproxy.log"), "w"),
                               stderr=subprocess.STDOUT)
        procs.append(hap)
        base = "https://127.0.0.1:%d" % front
        ctx = ssl.create_default_context(cafile=os.path.join(tmp, "cert.pem"))
        deadline = time.time() + START_TIMEOUT_S
        up = 0
        while up < 4 and time.time() < deadline:  # both nodes checked up: a few 200s in a row
            try:
                up = up + 1 if urllib.request.urlopen(base + "/readyz", context=ctx,
                                                      timeout=5).status == 200 else 0
            except Exception:
                up = 0
                time.sleep(0.2)
        if up < 4:
            fail("haproxy never answered /readyz 200:\n" +
                 open(os.path.join(tmp, "haproxy.log")).read())
        time.sleep(2.5)  # rise 2 at inter 2s: both servers are up by now, not only the first

        readme = open(os.path.join(ROOT, "README.md")).read()
        script = block_after(readme, "## Walk-through", "sh")
        script = script.replace("BASE=http://127.0.0.1:5006", "BASE=" + base)
        script = script.replace("build/payout-panel admin --email",
                                "%s admin --db '%s' --email" % (a.server, url))
        script = script.replace("build/payout-panel check --db var/payout.db",
                                "%s check --db '%s'" % (a.server, url))
        if a.server not in script or base not in script:
            fail("the README's walk-through no longer has the lines this test changes")
        env = dict(os.environ, CURL_CA_BUNDLE=os.path.join(tmp, "cert.pem"),
                   PAYOUT_SECRET_FILE=secret)
        run = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], env=env,
                             capture_output=True, text=True, timeout=300)
        out = run.stdout
        print(out)
        if run.returncode != 0:
            fail("the walk-through failed (%d): %s" % (run.returncode, run.stderr))
        expected = [
            r'"status":"EXPIRED"',
            r'"expiredAt":"',
            r'\{"success":1\}',
            r'"status":"RECEIVED"',
            r'"paidOut":2\.5',
            r'\{"error":\{"message":"currency is required","type":"INVALID_PARAMS"\},"errors":\[\]\}',
        ]
        for pat in expected:
            if not re.search(pat, out):
                fail("the walk-through's answers lack %s" % pat)
        served = [requests_served(p) for p in nodes]
        print("requests served per node:", served)
        if min(served) == 0:
            fail("haproxy sent every request to one node: %s" % served)
        print("haproxy_smoke: the README walk-through passed through haproxy over two nodes")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if os.environ.get("PP_KEEP_TMP") is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
