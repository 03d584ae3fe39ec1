#!/usr/bin/env bash
# `make profile`: where a durable create's time goes, from perf.
#
# Builds the release binary like `make bench` (build-bench/, -O2 -g), starts
# the server on a fresh SQLite database under a temporary directory (access
# log and rate limit off, as in the bench), funds it, takes an API key, and
# runs wrk's create script (64 connections, PROFILE_SECONDS, default 10)
# while `perf record --call-graph dwarf` samples the server process. It
# then prints one table: the share of the server's on-CPU samples spent in
# each part of a create, read from perf's inclusive ("children") figures
# of the functions that mark the part:
#   HTTP (libmicrohttpd)   samples of the MHD-worker threads, without the
#                          write handlers they run on fibers (fiber_main)
#   handlers on fibers     fiber_main (the whole handler of a create:
#                          the JSON, token and answer rows are inside it)
#   request JSON           api_body_read (parse and field checks)
#   token                  core_auth_verify (JWT HMAC and claims)
#   answer JSON            api_payout_write
#   SQL                    the writer's statements (writer_run_batch minus
#                          its commit)
#   commit                 sqlite3PagerCommitPhaseOne (WAL frames) and
#                          fdatasync
#   WAL checkpoint         sqlite3_wal_checkpoint_v2 (checkpointer thread)
#   hand-offs              futex waits and wake-ups (queue, semaphores,
#                          condition variables) outside SQLite, the fibers'
#                          switches and the connections' resumes
#   kernel networking      sendmsg, recv, epoll
# Shares overlap where one part calls into another (e.g. the commit is
# inside the writer's batch); the SQL row has the commit taken out.
# Needs perf (Debian's linux-perf, which scripts/deps.sh installs) and
# permission to profile (root, or kernel.perf_event_paranoid <= 1).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BENCH_BUILD:-$ROOT/build-bench}
SECONDS_PER_RUN=${PROFILE_SECONDS:-10}
PORT=${BENCH_PORT:-18441}
ADMIN_EMAIL=bench@example.test
ADMIN_PASSWORD=bench-only-password-1

log() { printf '== %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

"$ROOT/scripts/deps.sh" wrk jq linux-perf
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -g" \
  -DPP_BENCH=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target payout-panel >/dev/null
BIN=$BUILD/payout-panel

TMP=$(mktemp -d /tmp/payout-profile.XXXXXX)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

PAYOUT_ADMIN_EMAIL=$ADMIN_EMAIL PAYOUT_ADMIN_PASSWORD=$ADMIN_PASSWORD \
  "$BIN" serve --bind 127.0.0.1 --port "$PORT" --db "$TMP/profile.db" --access-log off \
  --log-level warn --rate-limit 0 --per-ip-connections 64 >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
bench_wait_listening "$SERVER_PID" "$TMP/server.out" "$TMP/server.err"
BASE=http://127.0.0.1:$PORT
bench_api_setup "$ADMIN_EMAIL" "$ADMIN_PASSWORD" "profile funding"
export BENCH_DIR=$ROOT/bench

log "wrk create ($SECONDS_PER_RUN s, 64 connections) under perf"
perf record -F 499 --call-graph dwarf,16384 -p "$SERVER_PID" -o "$TMP/perf.data" \
  -- sleep "$((SECONDS_PER_RUN - 1))" >"$TMP/perf.out" 2>&1 &
PERF_PID=$!
wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" --timeout 10s -s "$BENCH_DIR/create.lua" "$BASE" \
  >"$TMP/wrk.txt" 2>&1 || true
wait "$PERF_PID" || { cat "$TMP/perf.out" >&2; exit 1; }
grep '^BENCH ' "$TMP/wrk.txt" >&2 || true

perf report -i "$TMP/perf.data" --children --sort sym -g none --percent-limit 0 2>/dev/null \
  >"$TMP/children.txt"
perf report -i "$TMP/perf.data" --no-children --sort comm -g none 2>/dev/null >"$TMP/comm.txt"
python3 - "$TMP/children.txt" "$TMP/comm.txt" "$TMP/wrk.txt" <<'PY'
import re, sys
children, comm, wrk = sys.argv[1:]
inclusive = {}
for line in open(children):
    m = re.match(r"\s*([\d.]+)%\s+([\d.]+)%\s+\[[.k]\]\s+(\S+)", line)
    if m:
        name = m.group(3)
        inclusive[name] = max(inclusive.get(name, 0.0), float(m.group(1)))
threads = {}
for line in open(comm):
    m = re.match(r"\s*([\d.]+)%\s+(\S+)", line)
    if m:
        threads[m.group(2)] = float(m.group(1))
def inc(*names):
    return sum(inclusive.get(n, 0.0) for n in names)
rows = [
    ("HTTP (libmicrohttpd threads, without the handlers they run on fibers)",
     max(threads.get("MHD-worker", 0.0) - inc("fiber_main"), 0.0)),
    ("handlers on the workers' fibers (fiber_main)", inc("fiber_main")),
    ("request JSON (api_body_read)", inc("api_body_read")),
    ("token (core_auth_verify)", inc("core_auth_verify")),
    ("answer JSON (api_payout_write)", inc("api_payout_write")),
    ("SQL (writer_run_batch without its commit)",
     max(inc("writer_run_batch") - inc("sqlite3PagerCommitPhaseOne"), 0.0)),
    ("commit (WAL frames + fdatasync)", inc("sqlite3PagerCommitPhaseOne")),
    ("WAL checkpoint (checkpointer thread)", inc("sqlite3_wal_checkpoint_v2")),
    ("hand-offs (futex wait and wake, fiber switches, resumes)",
     inc("__futex_abstimed_wait_common", "futex_wake", "__GI___lll_lock_wake",
         "__swapcontext", "MHD_resume_connection")),
    ("kernel networking (sendmsg, recv, epoll)",
     inc("__libc_sendmsg", "__libc_recv", "epoll_wait", "epoll_ctl")),
]
rate = re.search(r"rps=([\d.]+)", open(wrk).read())
print("create profile: share of the server's on-CPU samples (perf, inclusive)%s" %
      (", %s creates/s under perf" % rate.group(1) if rate else ""))
print("%-70s %7s" % ("part", "share"))
for name, share in rows:
    print("%-70s %6.1f%%" % (name, share))
PY
