#!/usr/bin/python3
"""An SMTP sink for the tests of out/smtp.c, on aiosmtpd (Debian's
python3-aiosmtpd, so run with /usr/bin/python3).

It listens on 127.0.0.1 on a port the system picks, prints that port on a
line of its own, and stores every accepted message in DIR as N.eml (the
DATA bytes exactly as received, dot-stuffing undone) and N.env (MAIL FROM,
RCPT TO, whether TLS was on, who authenticated). It stops when its standard
input closes, so it never outlives the test that started it.

Options choose how it misbehaves: --fail-rcpt / --fail-data answer that
reply instead of accepting (--fail-times N: only the first N messages, then
it accepts); --user/--password require AUTH; --cert/--key
with --starttls offer STARTTLS and require it before MAIL, or with
--implicit-tls speak TLS from the first byte (smtps).
"""
import argparse
import asyncio
import logging
import os
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, args):
        self.args = args
        self.count = 0
        self.failed = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.fail_rcpt:
            return self.args.fail_rcpt
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.args.fail_data and (self.args.fail_times == 0
                                    or self.failed < self.args.fail_times):
            self.failed += 1
            return self.args.fail_data
        self.count += 1
        base = os.path.join(self.args.dir, str(self.count))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        auth = getattr(session, "auth_data", None)
        login = auth.login.decode() if isinstance(auth, LoginPassword) else ""
        # STARTTLS sets session.ssl; smtps is TLS on the transport itself.
        tls = (session.ssl is not None
               or server.transport.get_extra_info("ssl_object") is not None)
        with open(base + ".env", "w") as f:
            f.write("from=%s\nto=%s\ntls=%d\nlogin=%s\n" % (
                envelope.mail_from, ",".join(envelope.rcpt_tos),
                1 if tls else 0, login))
        # The .eml appears last and whole: the test waits for it.
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 Message accepted"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--fail-rcpt")
    p.add_argument("--fail-data")
    p.add_argument("--fail-times", type=int, default=0)
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--implicit-tls", action="store_true")
    args = p.parse_args()
    # The tests provoke failures on purpose (an untrusted certificate, AUTH
    # without TLS); aiosmtpd's warnings and tracebacks about them are noise.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.CRITICAL + 1)

    ctx = None
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == args.user.encode()
              and auth_data.password == args.password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    handler = Handler(args)

    def factory():
        kw = {"hostname": "sink.test", "ident": "payout-panel test sink"}
        if args.starttls:
            kw.update(tls_context=ctx, require_starttls=True)
        if args.user:
            kw.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=args.starttls)
        return SMTP(handler, **kw)

    async def serve():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(factory, "127.0.0.1", 0,
                                          ssl=ctx if args.implicit_tls else None)
        print(server.sockets[0].getsockname()[1], flush=True)
        await loop.run_in_executor(None, sys.stdin.buffer.read)
        server.close()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
