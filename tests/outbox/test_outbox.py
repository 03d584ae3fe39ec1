#!/usr/bin/env python3
"""The outbox tests (spec section 9), one ctest per group:

  delivery   events with every change, signed deliveries, the feed and its
             filters and paging, replay by id and by period, the test
             event, secret rotation (old-only and new-only receivers)
  faults     one delivery through 500, a timeout, a closed connection, a
             302 (not followed), an oversized answer and then 200: each a
             retry with the same webhook-id and a new timestamp; 410
             disables; Retry-After postpones
  order      a payout's second event waits while its first keeps failing,
             other payouts' events flow
  atomicity  refused writes leave no event; SIGKILL after commits and
             before delivery, restart: every event delivered once
  ssrf       loopback, private, link-local, IPv4-mapped, decimal and hex
             spellings and a name resolving to loopback are refused when
             connecting, with the reason in the deliveries
  mail       recipient e-mails through an SMTP sink: ready and received,
             none without notification, once only across a restart, after
             authorization, 4xx retried, 5xx failed, CR/LF kept out of
             headers, STARTTLS with AUTH

Usage: test_outbox.py --server BIN --tmp DIR [--pg-url-file FILE] GROUP

With --pg-url-file (the PostgreSQL cluster of the ctest run) every server
runs on a fresh PostgreSQL database of it instead of an SQLite file: the
same tests and assertions on the other backend.
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Failure, Receiver, Server, Sink, check, free_port, run,  # noqa: E402
                     sign, tmp_dir, use_postgres, verify, wait_until)

BIN = None

# --- delivery ---------------------------------------------------------------------------


def test_delivery_signed_and_ordered(tmp):
    rec = Receiver()
    srv = Server(BIN, tmp, ["--webhook-allow-cidrs", "127.0.0.0/8",
                            "--webhook-retry-ms", "200,200,200"]).start().sign_in()
    try:
        hook = srv.call("POST", "/api/webhooks", {"url": rec.url + "/hook"}, srv.key)
        rec.secrets.append(hook["secret"])
        check(hook["secret"].startswith("whsec_") and "secret" not in
              srv.call("GET", "/api/webhooks/%d" % hook["id"], token=srv.key),
              "the secret is shown at creation only")
        srv.deposit()
        # A funds event has no order with a payout's events (the order rule
        # binds a payout's own events only) and up to
        # PP_WEBHOOK_INFLIGHT_PER_ENDPOINT deliveries are in flight at once:
        # its attempt is recorded before the payout exists, so that the
        # attempts' order checked below is the feed's.
        path = "/api/webhooks/%d/deliveries" % hook["id"]
        wait_until(lambda: len(srv.call("GET", path, token=srv.key)["deliveries"]) == 1,
                   "the deposit's attempt recorded")
        p = srv.create("d1")
        srv.call("POST", "/api/payment/cancel", {"ids": [p["id"]]}, srv.key)
        feed = srv.events()["events"]
        check([e["type"] for e in feed] == ["funds.deposited", "payout.created",
                                            "payout.cancelled"], "the feed: %r" % feed)
        check([e["sequence"] for e in feed] == [1, 1, 2], "sequences: %r" % feed)
        check(feed[1]["data"]["status"] == "READY" and "cancelledAt" not in feed[1]["data"],
              "payout.created shows the payout as created")
        check(feed[2]["data"]["status"] == "CANCELLED", "payout.cancelled shows it cancelled")
        wait_until(lambda: len(rec.of()) >= 3, "three deliveries")
        for r in rec.of():
            check(r["verified"][hook["secret"]], "a signature does not verify")
            check(r["event"]["id"] == r["headers"]["webhook-id"], "webhook-id is the event id")
            check(abs(int(r["headers"]["webhook-timestamp"]) - time.time()) < 300,
                  "webhook-timestamp is the attempt's time")
            check(r["headers"]["content-type"] == "application/json", "content type")
        got = rec.ids()
        check(sorted(got) == sorted(e["id"] for e in feed), "each delivered once: %r" % got)
        check(got.index(feed[1]["id"]) < got.index(feed[2]["id"]),
              "a payout's events in order: %r" % got)
        delivered = wait_until(
            lambda: len(srv.call("GET", path, token=srv.key)["deliveries"]) == 3 and
            srv.call("GET", path, token=srv.key)["deliveries"], "three recorded attempts")
        check([d["httpStatus"] for d in delivered] == [200, 200, 200], "attempts: %r" % delivered)
        check([d["eventId"] for d in delivered] == [e["id"] for e in feed][::-1], "newest first")
        check(thread_nice(srv.proc.pid, "pp-deliver") == thread_nice(srv.proc.pid, None) + 10,
              "the delivery thread runs 10 nicer than the request threads (PP_OUTBOX_NICE)")
    finally:
        srv.close()
        rec.close()


def thread_nice(pid, name):
    """The niceness of the server's thread called name (None: the main thread)."""
    for tid in sorted(os.listdir("/proc/%d/task" % pid), key=int):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            stat = f.read()
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if (name is None and int(tid) == pid) or comm == name:
            return int(fields[16])  # field 19 of proc(5): nice
    raise Failure("no thread %r in process %d" % (name, pid))


def test_feed_filters_and_paging(tmp):
    srv = Server(BIN, tmp).start().sign_in()
    try:
        srv.deposit()
        a = srv.create("f1")
        b = srv.create("f2")
        srv.call("POST", "/api/payment/cancel", {"ids": [a["id"]]}, srv.key)
        srv.call("POST", "/api/admin/funds/withdraw",
                 {"currency": "EUR", "amount": 5, "reference": "out"}, srv.admin)
        all_ids = [e["id"] for e in srv.events()["events"]]
        check(len(all_ids) == 5, "five events: %r" % all_ids)
        seen, after = [], ""
        for _ in range(10):
            page = srv.events("?size=2" + after)
            seen += [e["id"] for e in page["events"]]
            if page["nextAfter"] is None:
                break
            after = "&after=" + page["nextAfter"]
        check(seen == all_ids, "paging with after walks every event once: %r" % seen)
        only_a = srv.events("?payoutId=%d" % a["id"])["events"]
        check([e["type"] for e in only_a] == ["payout.created", "payout.cancelled"],
              "payoutId filter")
        created = srv.events("?type=payout.created")["events"]
        check([e["data"]["id"] for e in created] == [a["id"], b["id"]], "type filter")
        funds = srv.events("?type=funds.withdrawn")["events"]
        check(len(funds) == 1 and funds[0]["data"]["amount"] == 5
              and funds[0]["data"]["reference"] == "out" and funds[0]["sequence"] == 2,
              "funds events count per currency: %r" % funds)
        future = srv.events("?from=2099-01-01")["events"]
        check(future == [], "from filter")
    finally:
        srv.close()


def test_replay_and_test_event(tmp):
    rec = Receiver()
    srv = Server(BIN, tmp, ["--webhook-allow-cidrs", "127.0.0.0/8"]).start().sign_in()
    try:
        srv.deposit()
        srv.create("r1")
        srv.create("r2")
        events = srv.events()["events"]
        hook = srv.call("POST", "/api/webhooks", {"url": rec.url}, srv.key)
        rec.secrets.append(hook["secret"])
        path = "/api/webhooks/%d/replay" % hook["id"]
        q = srv.call("POST", path, {"after": events[0]["id"]}, srv.key)
        check(q == {"queued": 2}, "replay after the first event: %r" % q)
        wait_until(lambda: len(rec.of()) == 2, "the replayed events")
        # Two payouts' events: no order between them, each with its own id.
        check(sorted(rec.ids()) == sorted(e["id"] for e in events[1:]),
              "replayed with their own ids: %r" % rec.ids())
        q = srv.call("POST", path, {"from": "2000-01-01", "to": "2100-01-01"}, srv.key)
        check(q == {"queued": 3}, "replay by period: %r" % q)
        q = srv.call("POST", path, {"from": "2000-01-01", "to": "2000-01-02"}, srv.key)
        check(q == {"queued": 0}, "an empty period queues nothing")
        wait_until(lambda: len(rec.of()) == 5, "the period's events")
        srv.call("POST", "/api/webhooks/%d/test" % hook["id"], {}, srv.key)
        test = wait_until(lambda: rec.of(lambda r: r["event"]["type"] == "webhook.test"),
                          "the test event")
        check(test[0]["event"]["data"]["webhookId"] == hook["id"], "the test event names it")
        check(test[0]["verified"][hook["secret"]], "the test event is signed")
        check(all(e["type"] != "webhook.test" for e in srv.events()["events"]),
              "test events are not in the feed")
    finally:
        srv.close()
        rec.close()


def test_rotation_overlap(tmp):
    rec = Receiver()
    srv = Server(BIN, tmp, ["--webhook-allow-cidrs", "127.0.0.0/8"]).start().sign_in()
    try:
        hook = srv.call("POST", "/api/webhooks", {"url": rec.url}, srv.key)
        old = hook["secret"]
        rotated = srv.call("POST", "/api/webhooks/%d/rotate-secret" % hook["id"], None, srv.key)
        new = rotated["secret"]
        check(new != old and new.startswith("whsec_"), "a new secret")
        rec.secrets += [old, new]
        srv.call("POST", "/api/webhooks/%d/test" % hook["id"], {}, srv.key)
        r = wait_until(lambda: rec.of(), "the delivery")[0]
        check(len(r["headers"]["webhook-signature"].split(" ")) == 2, "two signatures")
        check(r["verified"][old], "a receiver holding only the old secret verifies")
        check(r["verified"][new], "a receiver holding only the new secret verifies")
        check(not verify("whsec_" + "A" * 43 + "=", r["headers"], r["body"]),
              "another secret does not verify")
    finally:
        srv.close()
        rec.close()


# --- faults -----------------------------------------------------------------------------


def test_fault_script(tmp):
    script = [500, ("sleep", 11), ("close",), ("redirect",), ("big",), 200]
    step = {"n": 0}

    def decide(r):
        if r["path"] == "/redirected":
            return 200
        if r["path"] == "/gone":
            return 410
        if r["path"] == "/later":
            return ("retry-after", 503, 4) if len(rec.of(lambda x: x["path"] == "/later")) == 1 \
                else 200
        act = script[min(step["n"], len(script) - 1)]
        step["n"] += 1
        return act

    rec = Receiver(decide=decide)
    srv = Server(BIN, tmp, ["--webhook-allow-cidrs", "127.0.0.0/8",
                            "--webhook-retry-ms", ",".join(["1500"] * 7)]).start().sign_in()
    try:
        hook = srv.call("POST", "/api/webhooks", {"url": rec.url + "/hook"}, srv.key)
        rec.secrets.append(hook["secret"])
        srv.call("POST", "/api/webhooks/%d/test" % hook["id"], {}, srv.key)
        path = "/api/webhooks/%d/deliveries" % hook["id"]
        wait_until(lambda: len(srv.call("GET", path, token=srv.key)["deliveries"]) == 6,
                   "six attempts")
        attempts = srv.call("GET", path, token=srv.key)["deliveries"][::-1]
        tries = rec.of(lambda r: r["path"] == "/hook")
        check(len(tries) == 6, "six requests: %d" % len(tries))
        check(len({r["headers"]["webhook-id"] for r in tries}) == 1, "one webhook-id")
        stamps = [int(r["headers"]["webhook-timestamp"]) for r in tries]
        # Attempts are at least 1.35 s apart (1.5 s less 10% jitter): a new second each.
        check(all(a < b for a, b in zip(stamps, stamps[1:])), "new timestamps: %r" % stamps)
        check(all(r["verified"][hook["secret"]] for r in tries), "every attempt signed")
        check(rec.of(lambda r: r["path"] == "/redirected") == [], "the 302 was not followed")
        check([a["httpStatus"] for a in attempts] == [500, None, None, 302, 200, 200],
              "statuses: %r" % attempts)
        check("10000 ms" in attempts[1]["error"], "the timeout: %r" % attempts[1])
        check(attempts[2]["error"], "the closed connection has a reason")
        check("longer than" in attempts[4]["error"], "the oversized answer: %r" % attempts[4])
        check(attempts[5]["error"] is None, "then delivered")
        # 410 disables the endpoint at once; later events are not sent to it.
        gone = srv.call("POST", "/api/webhooks", {"url": rec.url + "/gone"}, srv.key)
        srv.call("POST", "/api/webhooks/%d/test" % gone["id"], {}, srv.key)
        gid = "/api/webhooks/%d" % gone["id"]
        wait_until(lambda: not srv.call("GET", gid, token=srv.key)["enabled"], "410 disables")
        check("410" in srv.call("GET", gid, token=srv.key)["disabledReason"], "the reason")
        srv.deposit()
        srv.call("POST", "/api/webhooks/%d/test" % hook["id"], {}, srv.key)
        wait_until(lambda: len(rec.of(lambda r: r["path"] == "/hook")) >= 8, "later events")
        check(len(rec.of(lambda r: r["path"] == "/gone")) == 1, "nothing more to /gone")
        # Retry-After postpones past the 1.5 s schedule (at most 1.65 s with jitter).
        later = srv.call("POST", "/api/webhooks", {"url": rec.url + "/later"}, srv.key)
        srv.call("POST", "/api/webhooks/%d/test" % later["id"], {}, srv.key)
        two = wait_until(lambda: len(rec.of(lambda r: r["path"] == "/later")) == 2 and
                         rec.of(lambda r: r["path"] == "/later"), "the retry after Retry-After")
        check(two[1]["at"] - two[0]["at"] >= 3.9, "Retry-After: 4 was honoured")
    finally:
        srv.close()
        rec.close()


# --- order ------------------------------------------------------------------------------


def test_order_per_payout(tmp):
    def decide(r):
        e = r["event"]
        # Payout A's first event fails until payout B's last one has arrived
        # (A is known by its description: its id may not be known yet).
        if (e["type"] == "payout.created" and e["data"]["description"] == "order A"
                and not rec.of(lambda x: x["event"]["type"] == "payout.cancelled"
                               and x["event"]["data"]["description"] == "order B")):
            return 500
        return 200

    rec = Receiver(decide=decide)
    srv = Server(BIN, tmp, ["--webhook-allow-cidrs", "127.0.0.0/8",
                            "--webhook-retry-ms", ",".join(["150"] * 30)]).start().sign_in()
    try:
        srv.deposit()
        hook = srv.call("POST", "/api/webhooks",
                        {"url": rec.url, "events": ["payout.created", "payout.cancelled"]},
                        srv.key)
        rec.secrets.append(hook["secret"])
        a = srv.create("o-a", description="order A")
        srv.call("POST", "/api/payment/cancel", {"ids": [a["id"]]}, srv.key)
        # B's events come only once A's first has failed: they then flow
        # while A's keeps failing (it fails until B's last has arrived).
        wait_until(lambda: rec.of(lambda r: r["event"]["data"]["id"] == a["id"]),
                   "A's first attempt")
        b = srv.create("o-b", description="order B")
        srv.call("POST", "/api/payment/cancel", {"ids": [b["id"]]}, srv.key)
        wait_until(lambda: len(rec.of(lambda r: r["event"]["data"]["id"] == a["id"] and
                                      r["event"]["type"] == "payout.cancelled")) == 1,
                   "A's second event")
        log = [(r["event"]["data"]["id"], r["event"]["type"]) for r in rec.of()]
        a_ok = max(i for i, x in enumerate(log) if x == (a["id"], "payout.created"))
        a_second = log.index((a["id"], "payout.cancelled"))
        b_second = log.index((b["id"], "payout.cancelled"))
        check(log.count((a["id"], "payout.created")) >= 2, "A's first event failed first")
        check(b_second < a_ok, "B's events flowed while A's first was failing: %r" % log)
        check(a_second > a_ok, "A's second event waited for its first: %r" % log)
    finally:
        srv.close()
        rec.close()


# --- atomicity --------------------------------------------------------------------------


def test_refused_writes_leave_no_event(tmp):
    srv = Server(BIN, tmp).start().sign_in()
    try:
        srv.deposit(amount=10)
        before = srv.events()["events"]
        srv.create("x1", amount=11, expect=422)
        srv.call("POST", "/api/payment/create-list", {"payments": [
            {"amount": 1, "currency": "EUR", "startDate": "2020-01-01", "endDate": "2099-01-01",
             "name": "l", "description": "ok", "referenceId": "l1", "notification": False},
            {"amount": 1, "currency": "XXX", "startDate": "2020-01-01", "endDate": "2099-01-01",
             "name": "l", "description": "bad", "referenceId": "l2", "notification": False}]},
            srv.key, expect=400)
        srv.call("POST", "/api/admin/funds/withdraw", {"currency": "EUR", "amount": 11},
                 srv.admin, expect=422)
        check(srv.events()["events"] == before, "no event from a refused write")
        srv.create("x2", amount=10)
        check(len(srv.events()["events"]) == len(before) + 1, "an accepted one writes one")
    finally:
        srv.close()


def test_crash_before_delivery(tmp):
    port = free_port()
    args = ["--webhook-allow-cidrs", "127.0.0.0/8", "--webhook-retry-ms", "1500,1500,1500"]
    srv = Server(BIN, tmp, args).start().sign_in()
    hook = srv.call("POST", "/api/webhooks", {"url": "http://127.0.0.1:%d/" % port}, srv.key)
    srv.deposit()
    for i in range(5):
        srv.create("c%d" % i)
    # Committed; nothing listens at the endpoint yet, so nothing was delivered.
    srv.kill()
    rec = Receiver(port=port)
    rec.secrets.append(hook["secret"])
    again = Server(BIN, tmp, args, db=srv.db)
    try:
        again.start().sign_in()
        ids = [e["id"] for e in again.events()["events"]]
        check(len(ids) == 6, "six committed events: %r" % ids)
        wait_until(lambda: set(rec.ids()) == set(ids), "every committed event")
        again.call("POST", "/api/webhooks/%d/test" % hook["id"], {}, again.key)
        wait_until(lambda: len(rec.of()) == 7, "a last delivery after the others")
        got = rec.ids()
        check(all(got.count(i) == 1 for i in ids), "none twice: %r" % got)
        check(all(r["verified"][hook["secret"]] for r in rec.of()), "signed after restart")
    finally:
        again.close()
        rec.close()


# --- ssrf -------------------------------------------------------------------------------


def test_ssrf_refused_when_connecting(tmp):
    urls = ["http://127.0.0.1:1/", "http://[::1]:1/", "http://10.0.0.1/",
            "http://169.254.169.254/latest", "http://[::ffff:127.0.0.1]:1/",
            "http://2130706433:1/", "http://0x7f000001:1/", "http://localhost:1/"]
    srv = Server(BIN, tmp, ["--webhook-retry-ms", "60000"]).start().sign_in()
    try:
        hooks = [srv.call("POST", "/api/webhooks", {"url": u}, srv.key) for u in urls]
        for h in hooks:
            srv.call("POST", "/api/webhooks/%d/test" % h["id"], {}, srv.key)
        for h, u in zip(hooks, urls):
            path = "/api/webhooks/%d/deliveries" % h["id"]
            d = wait_until(lambda: srv.call("GET", path, token=srv.key)["deliveries"],
                           "an attempt to " + u)[0]
            check(d["httpStatus"] is None and "not allowed by --webhook-allow-cidrs" in d["error"],
                  "%s: %r" % (u, d))
    finally:
        srv.close()


# --- mail -------------------------------------------------------------------------------


def mail_server(tmp, sink, extra=(), env=None, db=None):
    args = ["--smtp-url", "smtp://127.0.0.1:%d" % sink.port, "--smtp-from", "panel@example.com",
            "--webhook-retry-ms", "300,300,300"] + list(extra)
    return Server(BIN, tmp, args, env=env, db=db)


def notes_of(srv, pid):
    return srv.call("GET", "/api/payments/%d" % pid, token=srv.key)["notifications"]


def test_mail_ready_received_once(tmp):
    sink = Sink(tmp)
    srv = mail_server(tmp, sink).start().sign_in()
    again = None
    try:
        srv.deposit()
        p = srv.create("m1", email="ann@example.org", notification=True,
                       description="Bonus\r\nBcc: evil@example.net")
        q = srv.create("m2", email="bob@example.org", notification=False)
        check([(n["kind"], n["status"]) for n in p["notifications"]] == [("ready", "pending")],
              "the create answer shows the ready e-mail as recorded: %r" % p["notifications"])
        check(q["notifications"] == [], "no e-mail without notification")
        wait_until(lambda: len(sink.messages()) == 1, "the ready e-mail")
        srv.call("POST", "/api/payment/receive", {"id": p["id"], "reference": "r"}, srv.key)
        wait_until(lambda: len(sink.messages()) == 2, "the received e-mail")
        msgs = sink.messages()
        check(all(env["to"] == "ann@example.org" for _, env in msgs), "only to ann")
        ids = [eml.split(b"Message-ID: ")[1].split(b"\r\n")[0] for eml, _ in msgs]
        check(b"-ready@example.com" in ids[0] and b"-received@example.com" in ids[1],
              "Message-IDs: %r" % ids)
        headers = msgs[0][0].split(b"\r\n\r\n")[0]
        check(b"\r\nBcc:" not in headers, "CR/LF from the description made no header")
        wait_until(lambda: [n["status"] for n in notes_of(srv, p["id"])] == ["sent", "sent"],
                   "both shown as sent")
        srv.stop()
        again = mail_server(tmp, sink, db=srv.db).start().sign_in()
        again.create("m3", email="cy@example.org", notification=True)
        wait_until(lambda: len(sink.messages()) == 3, "the next payout's e-mail")
        check(len(sink.messages()) == 3, "nothing sent twice across the restart")
    finally:
        srv.close()
        if again:
            again.close()
        sink.close()


def test_mail_after_authorization(tmp):
    sink = Sink(tmp)
    srv = mail_server(tmp, sink).start().sign_in()
    try:
        srv.deposit()
        srv.call("PUT", "/api/admin/settings/authorization", {"mode": "always"}, srv.admin)
        p = srv.create("a1", email="dee@example.org", notification=True)
        check(p["status"] == "UNAUTHORIZED", "created unauthorized")
        other = srv.create("a2", email="eve@example.org", notification=True)
        srv.call("POST", "/api/payment/cancel", {"ids": [other["id"]]}, srv.key)
        check(notes_of(srv, p["id"]) == [], "no e-mail while unauthorized")
        srv.call("POST", "/api/payment/authorize", {"ids": [p["id"]]}, srv.admin)
        wait_until(lambda: len(sink.messages()) == 1, "the e-mail once authorized")
        check(sink.messages()[0][1]["to"] == "dee@example.org", "to the authorized one only")
    finally:
        srv.close()
        sink.close()


def test_mail_retry_then_fail(tmp):
    soft = Sink(tmp, "--fail-data", "451 4.3.0 try again later", "--fail-times", "2")
    srv = mail_server(tmp, soft).start().sign_in()
    try:
        srv.deposit()
        p = srv.create("t1", email="fay@example.org", notification=True)
        wait_until(lambda: len(soft.messages()) == 1, "sent after two 4xx answers")
        wait_until(lambda: notes_of(srv, p["id"])[0]["status"] == "sent", "shown as sent")
    finally:
        srv.close()
        soft.close()
    hard = Sink(tmp, "--fail-data", "554 5.7.1 refused")
    srv = mail_server(tmp, hard).start().sign_in()
    try:
        srv.deposit()
        p = srv.create("t2", email="gus@example.org", notification=True)
        n = wait_until(lambda: [x for x in notes_of(srv, p["id"]) if x["status"] == "failed"],
                       "a 5xx fails the notification")[0]
        check("554" in n["error"], "the reply is shown: %r" % n)
    finally:
        srv.close()
        hard.close()


def test_mail_skipped_without_smtp(tmp):
    srv = Server(BIN, tmp).start().sign_in()
    try:
        srv.deposit()
        p = srv.create("s1", email="hal@example.org", notification=True)
        n = notes_of(srv, p["id"])
        check([(x["kind"], x["status"]) for x in n] == [("ready", "skipped")], "skipped: %r" % n)
    finally:
        srv.close()


def test_mail_starttls_auth(tmp):
    d = tmp_dir(os.path.join(tmp, "tls"))
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sink = Sink(tmp, "--cert", cert, "--key", key, "--starttls", "--user", "mailer",
                "--password", "s3cret-pw")
    env = {"PAYOUT_SMTP_USER": "mailer", "PAYOUT_SMTP_PASSWORD": "s3cret-pw",
           "PAYOUT_SMTP_CA_FILE": cert}
    srv = mail_server(tmp, sink, env=env).start().sign_in()
    try:
        srv.deposit()
        srv.create("tls1", email="ida@example.org", notification=True)
        wait_until(lambda: len(sink.messages()) == 1, "the e-mail over STARTTLS")
        env_seen = sink.messages()[0][1]
        check(env_seen["tls"] == "1" and env_seen["login"] == "mailer", "TLS and AUTH: %r"
              % env_seen)
        with open(srv.log_path, "rb") as f:
            check(b"s3cret-pw" not in f.read(), "the SMTP password is never logged")
    finally:
        srv.close()
        sink.close()


GROUPS = {
    "delivery": [test_delivery_signed_and_ordered, test_feed_filters_and_paging,
                 test_replay_and_test_event, test_rotation_overlap],
    "faults": [test_fault_script],
    "order": [test_order_per_payout],
    "atomicity": [test_refused_writes_leave_no_event, test_crash_before_delivery],
    "ssrf": [test_ssrf_refused_when_connecting],
    "mail": [test_mail_ready_received_once, test_mail_after_authorization,
             test_mail_retry_then_fail, test_mail_skipped_without_smtp, test_mail_starttls_auth],
}


def main():
    global BIN
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True)
    p.add_argument("--tmp", required=True)
    p.add_argument("--pg-url-file")
    p.add_argument("group", choices=sorted(GROUPS))
    a = p.parse_args()
    BIN = a.server
    backend = "-pg" if a.pg_url_file else ""
    tmp = tmp_dir(os.path.join(a.tmp, "outbox" + backend + "-" + a.group))
    if a.pg_url_file:
        use_postgres(a.pg_url_file, tmp)
    check(sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
               "1614265330", b'{"test": 2432232314}')
          == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
          "the receiver's own verifier matches the published vector")
    sys.exit(run(GROUPS[a.group], tmp))


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
