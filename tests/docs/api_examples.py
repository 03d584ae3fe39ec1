#!/usr/bin/env python3
"""Runs every example of docs/api.md, in order, against a fresh server and
checks each answer against the one the document shows.

The convention in docs/api.md (its section "Running the examples"):

- Every ```sh block is an example. The blocks run top to bottom in one bash
  session, so a variable one block sets (ADMIN, TOKEN, NEXT …) is there
  for the next, exactly as when a reader pastes them into one terminal.
- The block right after it (only blank lines between) is its documented
  answer: ```json status=200 (or ```csv status=200, or ```text status=200
  for a text answer such as /metrics), the answer of the last curl command
  the example ran. Every example has one. A text answer's lines must appear
  in the answer in that order, others may come between them; "<number>"
  in a line stands for a number.
- In an answer, "<date>", "<day>", "<uuid>", "<token>", "<password>",
  "<cursor>", "<string>", "<int>" and "<number>" stand for values that
  differ from run to run; they are checked for their type and form. A key
  "..." in an object allows keys the answer does not show, and an array
  ending in "..." allows more items. Everything else is checked exactly:
  keys and their order, types and values.

The server is the build's payout-panel, started here on a free loopback
port with a new database and the first admin from PAYOUT_ADMIN_EMAIL and
PAYOUT_ADMIN_PASSWORD, as `make run` starts it on a fresh machine. curl is
a shell function in the session that runs the real curl and records the
status and body of each call; the reader's commands are run unchanged.

Usage: api_examples.py --server BIN [--doc docs/api.md] [--tmp DIR]
       api_examples.py --self-test   (checks the comparison itself)
"""
import argparse
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ADMIN_EMAIL = "admin@localhost"
ADMIN_PASSWORD = "walkthrough-password-1"
# Bounds, not timings: a server that does not start, or a sequence that
# hangs (a wait loop whose condition never comes), fails instead of
# holding the test until ctest's timeout.
START_TIMEOUT_S = 60
RUN_TIMEOUT_S = 600

PLACEHOLDERS = {
    "<date>": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"),
    "<day>": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "<uuid>": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    "<token>": re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    "<password>": re.compile(r"[A-Za-z0-9]{32}"),
    "<cursor>": re.compile(r"[A-Za-z0-9_-]+"),
    "<string>": re.compile(r".*", re.S),
}
MORE = "..."


class Mismatch(Exception):
    pass


# --- The document ----------------------------------------------------------------

FENCE = re.compile(r"^```(\S*)\s*(.*)$")


def blocks_read(text):
    """Fenced blocks as (lang, info, body, first line number, last line number)."""
    out = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and lines[j].rstrip() != "```":
            j += 1
        if j == len(lines):
            raise SystemExit("docs: the block opened at line %d is never closed" % (start + 1))
        out.append((m.group(1), m.group(2).strip(), "\n".join(lines[start + 1:j]), start + 1,
                    j + 1))
        i = j + 1
    return out


def examples_read(path):
    """The examples: [(line, shell text, answer lang, status, answer text)]."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")
    blocks = blocks_read(text)
    examples = []
    for k, (lang, _info, body, first, last) in enumerate(blocks):
        if lang != "sh":
            continue
        nxt = blocks[k + 1] if k + 1 < len(blocks) else None
        between = lines[last:nxt[3] - 1] if nxt else []
        m = re.fullmatch(r"status=(\d{3})", nxt[1]) if nxt else None
        if nxt is None or nxt[0] not in ("json", "csv", "text") or m is None or \
                any(line.strip() for line in between):
            raise SystemExit("%s:%d: this example has no answer: follow it with a ```json "
                             "status=NNN (or ```csv status=NNN) block" % (path, first))
        examples.append((first, body, nxt[0], int(m.group(1)), nxt[2]))
    if not examples:
        raise SystemExit("%s: no ```sh examples found" % path)
    return examples


# --- Comparing an answer with the documented one ------------------------------------

def value_match(exp, act, where):
    if isinstance(exp, str) and exp in ("<int>", "<number>"):
        ok = isinstance(act, int) and not isinstance(act, bool)
        if exp == "<number>":
            ok = ok or isinstance(act, float)
        if not ok:
            raise Mismatch("%s: expected %s, got %s" % (where, exp, json.dumps(act)))
    elif isinstance(exp, str) and exp in PLACEHOLDERS:
        if not isinstance(act, str) or not PLACEHOLDERS[exp].fullmatch(act):
            raise Mismatch("%s: expected %s, got %s" % (where, exp, json.dumps(act)))
    elif isinstance(exp, dict):
        if not isinstance(act, dict):
            raise Mismatch("%s: expected an object, got %s" % (where, json.dumps(act)))
        shown = [k for k in exp if k != MORE]
        missing = [k for k in shown if k not in act]
        if missing:
            raise Mismatch("%s: the answer lacks %s" % (where, ", ".join(missing)))
        if MORE not in exp:
            extra = [k for k in act if k not in exp]
            if extra:
                raise Mismatch("%s: the answer has keys the doc does not show: %s"
                               % (where, ", ".join(extra)))
        order = [k for k in act if k in exp]
        if order != shown:
            raise Mismatch("%s: keys in the order %s, the doc shows %s" % (where, order, shown))
        for k in shown:
            value_match(exp[k], act[k], "%s.%s" % (where, k))
    elif isinstance(exp, list):
        if not isinstance(act, list):
            raise Mismatch("%s: expected an array, got %s" % (where, json.dumps(act)))
        open_end = len(exp) > 0 and exp[-1] == MORE
        items = exp[:-1] if open_end else exp
        if len(act) < len(items) or (not open_end and len(act) != len(items)):
            raise Mismatch("%s: %d items, the doc shows %s%d" % (where, len(act),
                                                                  "at least " if open_end else "",
                                                                  len(items)))
        for i, e in enumerate(items):
            value_match(e, act[i], "%s[%d]" % (where, i))
    elif type(exp) is not type(act) or exp != act:
        raise Mismatch("%s: expected %s, got %s" % (where, json.dumps(exp), json.dumps(act)))


def json_load(text, what):
    try:
        return json.loads(text)
    except ValueError as e:
        raise Mismatch("%s is not JSON (%s): %s" % (what, e, text[:400]))


def csv_match(exp_text, act_text):
    exp_rows = list(csv.reader(io.StringIO(exp_text.strip("\n") + "\n")))
    act_rows = list(csv.reader(io.StringIO(act_text)))
    if len(act_rows) != len(exp_rows):
        raise Mismatch("%d CSV rows, the doc shows %d" % (len(act_rows), len(exp_rows)))
    for r, (e_row, a_row) in enumerate(zip(exp_rows, act_rows)):
        if len(e_row) != len(a_row):
            raise Mismatch("CSV row %d: %d fields, the doc shows %d" % (r + 1, len(a_row),
                                                                       len(e_row)))
        for c, (e, a) in enumerate(zip(e_row, a_row)):
            where = "CSV row %d field %d" % (r + 1, c + 1)
            if e in PLACEHOLDERS:
                value_match(e, a, where)
            elif e != a:
                raise Mismatch("%s: expected %r, got %r" % (where, e, a))


def text_match(exp_text, act_text):
    """Each documented line, in order, is a line of the answer; "<number>"
    in it stands for a number."""
    act_lines = act_text.split("\n")
    at = 0
    for e in exp_text.strip("\n").split("\n"):
        pattern = re.compile(re.escape(e).replace(re.escape("<number>"), r"-?[0-9]+(\.[0-9]+)?"))
        while at < len(act_lines) and not pattern.fullmatch(act_lines[at]):
            at += 1
        if at == len(act_lines):
            raise Mismatch("the answer has no line %r (in this order)" % e)
        at += 1


def answer_check(lang, status, exp_text, act_status, act_body):
    """Raises Mismatch when the answer differs from the documented one."""
    if act_status != status:
        raise Mismatch("answered HTTP %s, the doc says %d; body: %s"
                       % (act_status, status, act_body[:400]))
    if lang == "csv":
        csv_match(exp_text, act_body)
        return
    if lang == "text":
        text_match(exp_text, act_body)
        return
    exp = json_load(exp_text, "the documented answer")
    act = json_load(act_body, "the answer")
    value_match(exp, act, "$")


# --- The server and the session ------------------------------------------------------

def server_start(binary, workdir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYOUT_")}
    env.update(PAYOUT_ADMIN_EMAIL=ADMIN_EMAIL, PAYOUT_ADMIN_PASSWORD=ADMIN_PASSWORD)
    out = open(os.path.join(workdir, "server.out"), "w")
    err = open(os.path.join(workdir, "server.err"), "w")
    proc = subprocess.Popen([binary, "serve", "--bind", "127.0.0.1", "--port", "0", "--db",
                             os.path.join(workdir, "db", "payout.db")],
                            stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        with open(out.name) as f:
            m = re.search(r"^listening on (http://127\.0\.0\.1:\d+)\n", f.read(), re.M)
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    with open(err.name) as f:
        raise SystemExit("the server did not start (no listening line):\n" + f.read())


# The recording curl: runs the real curl with the reader's arguments, keeps
# the headers and body of each call, and returns curl's own exit status.
SESSION_PRELUDE = r'''
__pp_rec=%(rec)s
curl() {
    local n
    n=$(( $(cat "$__pp_rec/count") + 1 ))
    echo "$n" > "$__pp_rec/count"
    echo "$n $(cat "$__pp_rec/block")" >> "$__pp_rec/calls"
    command curl -sS -D "$__pp_rec/$n.headers" "$@" | tee "$__pp_rec/$n.body"
    return "${PIPESTATUS[0]}"
}
__pp_block() { echo "$1" > "$__pp_rec/block"; }
echo 0 > "$__pp_rec/count"; : > "$__pp_rec/calls"
'''


def session_script(examples, rec):
    parts = [SESSION_PRELUDE % {"rec": rec}]
    for i, (_line, body, _lang, _status, _answer) in enumerate(examples):
        parts.append("__pp_block %d\n%s\n" % (i, body))
    parts.append("__pp_block done\n")
    return "\n".join(parts)


def last_calls(rec):
    """{example index: last call number}, and the example that ran last."""
    last = {}
    with open(os.path.join(rec, "calls")) as f:
        for line in f:
            n, block = line.split()
            if block != "done":
                last[int(block)] = int(n)
    with open(os.path.join(rec, "block")) as f:
        reached = f.read().strip()
    return last, reached


def call_read(rec, n):
    status = "000 (no answer)"
    try:
        with open(os.path.join(rec, "%d.headers" % n), encoding="latin-1") as f:
            for line in f:
                m = re.match(r"HTTP/\S+ (\d{3})", line)
                if m:
                    status = m.group(1)
    except FileNotFoundError:
        pass
    with open(os.path.join(rec, "%d.body" % n), encoding="utf-8", errors="replace") as f:
        body = f.read()
    return (int(status) if status.isdigit() else status), body


def run(args):
    rel = os.path.relpath(os.path.normpath(args.doc))
    args.doc = rel if not rel.startswith("..") else os.path.abspath(args.doc)
    examples = examples_read(args.doc)
    binary = os.path.abspath(args.server)
    os.makedirs(args.tmp, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="pp-docs-", dir=os.path.abspath(args.tmp))
    rec = os.path.join(workdir, "rec")
    cwd = os.path.join(workdir, "cwd")
    os.makedirs(rec)
    os.makedirs(cwd)
    proc, base = server_start(binary, workdir)
    failures = 0
    try:
        script = os.path.join(workdir, "examples.sh")
        with open(script, "w") as f:
            f.write(session_script(examples, rec))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAYOUT_")}
        env.update(BASE=base, PAYOUT_ADMIN_EMAIL=ADMIN_EMAIL,
                   PAYOUT_ADMIN_PASSWORD=ADMIN_PASSWORD)
        with open(os.path.join(workdir, "session.out"), "w") as out:
            try:
                subprocess.run(["bash", "--noprofile", "--norc", script], cwd=cwd, env=env,
                               stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                               timeout=RUN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                print("the examples did not finish within %d s" % RUN_TIMEOUT_S)
                failures += 1
        last, reached = last_calls(rec)
        if reached != "done":
            line = examples[int(reached)][0] if reached.isdigit() else "?"
            print("%s:%s: the session stopped in this example" % (args.doc, line))
            failures += 1
        for i, (line, _body, lang, status, answer) in enumerate(examples):
            if i not in last:
                print("%s:%d: this example ran no curl command" % (args.doc, line))
                failures += 1
                continue
            act_status, act_body = call_read(rec, last[i])
            try:
                answer_check(lang, status, answer, act_status, act_body)
            except Mismatch as e:
                print("%s:%d: %s" % (args.doc, line, e))
                failures += 1
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if failures:
        print("%d of %d examples differ from %s (server log, session output and every "
              "answer kept in %s)" % (failures, len(examples), args.doc, workdir))
        return 1
    if proc.returncode != 0:
        print("the server exited with %d after the examples" % proc.returncode)
        return 1
    print("%d examples of %s answered as documented" % (len(examples), args.doc))
    shutil.rmtree(workdir)
    return 0


# --- Self-test: the comparison refuses what it must ---------------------------------

def self_test():
    doc = '{"id":1,"status":"READY","at":"<date>","u":"<uuid>","n":"<int>","m":null,"x":[1,2]}'
    good = ('{"id":1,"status":"READY","at":"2026-12-06T04:00:00.000Z",'
            '"u":"019aa5f0-3b00-7c1e-9a2b-5d6e7f809a1b","n":7,"m":null,"x":[1,2]}')
    answer_check("json", 200, doc, 200, good)
    answer_check("json", 200, '{"a":1,"...":"..."}', 200, '{"a":1,"b":2}')
    answer_check("json", 200, '{"a":[1,"..."]}', 200, '{"a":[1,2,3]}')
    answer_check("csv", 200, "id,at\n1,<date>\n", 200, "id,at\r\n1,2026-12-06T04:00:00.000Z\r\n")
    prom = 'a_total{r="x"} 3\nb 1.5\n'
    answer_check("text", 200, 'a_total{r="x"} <number>\nb <number>', 200, "# c\n" + prom)
    for wrong in ('b 1.5\na_total{r="x"} 3\n', 'a_total{r="y"} 3\nb 1.5\n', 'a_total{r="x"} x\n'):
        try:
            answer_check("text", 200, 'a_total{r="x"} <number>\nb <number>', 200, wrong)
        except Mismatch:
            continue
        raise SystemExit("self-test: a text answer %r was accepted" % wrong)
    bad = [
        (201, good),                                        # status
        (200, good.replace('"READY"', '"EXPIRED"')),        # a value
        (200, good.replace('"id":1', '"id":"1"')),           # a type
        (200, good.replace('"id":1,', '')),                 # a missing key
        (200, good.replace('"m":null', '"m":null,"y":0')),  # an extra key
        (200, good.replace('"at":"2026-12-06T04:00:00.000Z"', '"at":"2026-12-06"')),  # a form
        (200, good.replace('"n":7', '"n":7.5')),            # <int>
        (200, good.replace('[1,2]', '[1,2,3]')),            # an array's length
        (200, good.replace('"id":1,"status":"READY"', '"status":"READY","id":1')),  # key order
        (200, good.replace('"x":[1,2]', '"x":[1,2.0]')),    # 2 is not 2.0
        (200, "not json"),
    ]
    for status, body in bad:
        try:
            answer_check("json", 200, doc, status, body)
        except Mismatch:
            continue
        raise SystemExit("self-test: accepted a wrong answer: %d %s" % (status, body))
    try:
        answer_check("csv", 200, "id,at\n1,<date>\n", 200, "id,at\r\n2,2026-12-06T04:00:00.000Z\r\n")
    except Mismatch:
        print("self-test: the comparison accepts the right answers and refuses %d wrong ones"
              % (len(bad) + 1))
        return 0
    raise SystemExit("self-test: accepted a wrong CSV answer")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--server", help="the payout-panel binary")
    p.add_argument("--doc", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "..", "..", "docs", "api.md"))
    p.add_argument("--tmp", default=tempfile.gettempdir())
    p.add_argument("--self-test", action="store_true")
    args = p.parse_args()
    if args.self_test:
        return self_test()
    if not args.server:
        p.error("--server is required")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
