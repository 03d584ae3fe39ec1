#!/usr/bin/env python3
"""A PostgreSQL server too old for payout-panel is refused before anything
is written, with a message that names its version (docs/deploy.md).

Only PostgreSQL 15 is installed here, so the test plays the server: a
listener on 127.0.0.1 that speaks the start of PostgreSQL's protocol
(refuses SSL and GSS encryption, takes the start-up message, trusts the
user, announces server_version, says it is ready) and records every
message the client sends after that.

For each of `serve`, `migrate` and `check` against a server announcing
14.11: the command exits non-zero, its error names "14.11" and "15 or
later", and the client sent no statement (only its goodbye, if anything).

The same listener announcing 15.4 must then receive a statement: the
version check is what refused 14.11, not the listener. The listener
answers that statement with an error, so the command ends there too.

And `serve` against a port nobody listens at exits non-zero saying it
cannot connect to the PostgreSQL database.

Usage: old_server.py --server <payout-panel>
Prints "old servers refused, nothing sent" when every check passed.
"""

import argparse
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading

SSL_REQUEST = 80877103
GSS_REQUEST = 80877104
PROTOCOL_3 = 196608


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def message(kind, body):
    return kind + struct.pack("!I", len(body) + 4) + body


class FakeServer:
    """Accepts connections one at a time; records the message types each
    sends once told it is ready."""

    def __init__(self, version):
        self.version = version
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.after_ready = []  # message types, every connection
        self.lock = threading.Lock()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        try:
            while True:
                (length,) = struct.unpack("!I", recv_exact(conn, 4))
                body = recv_exact(conn, length - 4)
                (code,) = struct.unpack("!I", body[:4])
                if code in (SSL_REQUEST, GSS_REQUEST):
                    conn.sendall(b"N")
                    continue
                if code != PROTOCOL_3:
                    return
                break
            with self.lock:
                self.connections += 1
            out = message(b"R", struct.pack("!I", 0))  # trusted
            for key, value in (
                ("server_version", self.version),
                ("server_encoding", "UTF8"),
                ("client_encoding", "UTF8"),
                ("standard_conforming_strings", "on"),
                ("integer_datetimes", "on"),
                ("DateStyle", "ISO, MDY"),
            ):
                out += message(b"S", key.encode() + b"\0" + value.encode() + b"\0")
            out += message(b"K", struct.pack("!II", 4242, 1))
            out += message(b"Z", b"I")
            conn.sendall(out)
            while True:
                kind = recv_exact(conn, 1)
                (length,) = struct.unpack("!I", recv_exact(conn, 4))
                recv_exact(conn, length - 4)
                with self.lock:
                    self.after_ready.append(kind.decode("latin-1"))
                if kind == b"X":
                    return
                # Any statement: an error, then ready again.
                err = b"SERROR\0C0A000\0Mthis test server runs no statement\0\0"
                conn.sendall(message(b"E", err) + message(b"Z", b"I"))
        except (EOFError, ConnectionError):
            pass
        finally:
            conn.close()

    def url(self):
        return "postgresql://payout@127.0.0.1:%d/payout?sslmode=disable" % self.port


def run(server, args, secret):
    env = dict(os.environ, PAYOUT_SECRET_FILE=secret)
    env.pop("PAYOUT_DB", None)
    try:
        p = subprocess.run(
            [server] + args, env=env, capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        return None, "timed out after 60 s"
    return p.returncode, p.stdout + p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    a = ap.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        secret = os.path.join(tmp, "secret")
        with open(secret, "w") as f:
            f.write("b" * 44 + "\n")

        old = FakeServer("14.11 (Debian 14.11-1)")
        commands = {
            "serve": ["serve", "--db", old.url(), "--bind", "127.0.0.1", "--port", "0"],
            "migrate": ["migrate", "--db", old.url()],
            "check": ["check", "--db", old.url()],
        }
        for name, args in commands.items():
            rc, out = run(a.server, args, secret)
            if rc is None or rc == 0:
                failures.append("%s against 14.11: exit %s, wanted non-zero: %s" % (name, rc, out))
            for want in ("14.11", "15 or later"):
                if want not in out:
                    failures.append("%s against 14.11: no %r in its output: %s" % (name, want, out))
            print("%s against 14.11: exit %s: %s" % (name, rc, out.strip().splitlines()[-1] if out.strip() else ""))
        with old.lock:
            sent = [k for k in old.after_ready if k != "X"]
            connections = old.connections
        if connections == 0:
            failures.append("no command reached the 14.11 server: the test proves nothing")
        if sent:
            failures.append("statements sent to the 14.11 server: message types %s" % sent)
        print("14.11: %d connections, messages after start-up: %s" % (connections, old.after_ready))

        # A database nobody listens at: refused at start, saying so.
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
        probe.close()
        url = "postgresql://payout@127.0.0.1:%d/payout?sslmode=disable" % closed
        rc, out = run(a.server, ["serve", "--db", url, "--port", "0"], secret)
        print("serve with no database listening: exit %s" % rc)
        if rc is None or rc == 0 or "cannot connect to the PostgreSQL database" not in out:
            failures.append("serve with no database listening: exit %s: %s" % (rc, out))

        # The control: 15 passes the version check and sends a statement.
        new = FakeServer("15.4 (Debian 15.4-1)")
        rc, out = run(a.server, ["migrate", "--db", new.url()], secret)
        with new.lock:
            sent = [k for k in new.after_ready if k != "X"]
        print("migrate against 15.4: exit %s, messages after start-up: %s" % (rc, new.after_ready))
        if not sent:
            failures.append("15.4: no statement sent, so the listener, not the version, refused: %s" % out)
        if "15 or later" in out:
            failures.append("15.4 refused as too old: %s" % out)

    for f in failures:
        print("FAIL: " + f)
    if failures:
        return 1
    print("old servers refused, nothing sent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
