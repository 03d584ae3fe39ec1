#!/usr/bin/env bash
# `make bench`: measures payout-panel against the machine's own ceiling.
#
# Builds a release binary (-O2; PP_ASSERT stays on, it ignores NDEBUG) and
# the bench tools in a separate build directory, seeds a fresh temporary
# database with BENCH_PAYOUTS payouts (bench-seed, through core: the ledger
# check passes afterwards), starts the server on 127.0.0.1 with the access
# log off and rate limiting off (a bench-only setting: --rate-limit 0),
# funds it and takes an API key through the admin API, starts the ceiling
# server (bench/ceiling.c), and runs wrk against both:
#   ceiling  GET /static, POST /echo (~330-byte JSON parsed and echoed)
#   server   POST /api/payment/create (64 connections, unique bodies),
#            GET /api/payments/{id} over the whole id range,
#            GET /api/payments filtered, first page and a deep page reached
#            through nextCursor, POST /api/authenticate; and, in a build
#            with webhooks, the create run again with one endpoint (the
#            ceiling's /echo) subscribed, with the deliveries per second
#            until none is pending
# and prints a table (req/s, p50, p99, non-2xx, ratio to its ceiling) plus
# the server's resident memory (VmRSS sampled every second, and VmHWM).
# Before the server starts, bench/fsync_probe.c measures fdatasync in the
# database's own directory (4 KiB overwrites, 8 KiB appends); the table
# prints those and the storage ceilings they set beside the HTTP ones:
# CONNECTIONS / fdatasync (each request waits for at least one) and
# PP_WRITER_BATCH_MAX / fdatasync (the writer's group commit, full batches).
# Finally it stops the server and runs `payout-panel check` on the database.
#
# Then the same on PostgreSQL (bench/pg.sh): a throwaway cluster started by
# tests/pg/pg_cluster.sh, BENCH_PG_PAYOUTS seeded payouts, one node with the
# same runs (create, get, list first and deep page, authenticate), and the
# create run again through haproxy over two nodes on that database; its
# rows join the same table, each with its ratio to the same ceiling, and
# `check` runs on that database too. BENCH_PG=0 skips it.
#
# Settings (environment): BENCH_SECONDS (10 per run), BENCH_CONNECTIONS (64),
# BENCH_WRK_THREADS (2), BENCH_PAYOUTS (1000000), BENCH_DEEP_PAGES (4000
# pages of 25 rows followed to reach the deep page), BENCH_AUTH_CONNECTIONS
# (8, see the authenticate run), BENCH_FSYNC_ITERATIONS (2000 rounds per
# probe loop), BENCH_FSYNC_SECONDS (5, time cap per loop), BENCH_BUILD
# (build-bench), BENCH_PORT (18431; the ceiling uses the next port),
# BENCH_KEEP=1 keeps the temporary directory, BENCH_PG (1; 0 skips the
# PostgreSQL runs), BENCH_PG_PAYOUTS (50000 seeded there).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BENCH_BUILD:-$ROOT/build-bench}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
PAYOUTS=${BENCH_PAYOUTS:-1000000}
DEEP_PAGES=${BENCH_DEEP_PAGES:-4000}
AUTH_CONNS=${BENCH_AUTH_CONNECTIONS:-8}
FSYNC_ITERATIONS=${BENCH_FSYNC_ITERATIONS:-2000}
FSYNC_SECONDS=${BENCH_FSYNC_SECONDS:-5}
PORT=${BENCH_PORT:-18431}
CEIL_PORT=$((PORT + 1))
ADMIN_EMAIL=bench@example.test
ADMIN_PASSWORD=bench-only-password-1
LIST_QUERY="currency=EUR&status=READY&size=25"

log() { printf '== %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

BENCH_PG=${BENCH_PG:-1}
"$ROOT/scripts/deps.sh" wrk jq
log "building the release binary and bench tools in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -g" \
  -DPP_BENCH=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target payout-panel ceiling bench-seed fsync-probe >/dev/null
BIN=$BUILD/payout-panel

TMP=$(mktemp -d /tmp/payout-bench.XXXXXX)
SERVER_PID=""
CEIL_PID=""
SAMPLER_PID=""
cleanup() {
  for pid in $SAMPLER_PID $SERVER_PID $CEIL_PID; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    log "kept $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
DB=$TMP/bench.db
export BENCH_DIR=$ROOT/bench

# --- seed ----------------------------------------------------------------
if [ "$PAYOUTS" -gt 0 ]; then
  log "seeding $PAYOUTS payouts"
  "$BUILD/bench/bench-seed" seed "$DB" "$PAYOUTS" 2>>"$TMP/seed.log" | tee "$TMP/seed.txt" >&2
fi

# --- storage: fdatasync where the database lives ---------------------------
# Measured on a quiet disk (after the seed, before any load): the floor
# under every commit. Its FSYNC lines go to the table.
log "fsync-probe in $TMP ($FSYNC_ITERATIONS rounds or $FSYNC_SECONDS s per loop)"
"$BUILD/bench/fsync-probe" "$TMP" "$FSYNC_ITERATIONS" "$FSYNC_SECONDS" >"$TMP/fsync.txt" ||
  log "fsync-probe failed: the table has no storage lines"
cat "$TMP/fsync.txt" >&2
BATCH_MAX=$(awk '$1 == "#define" && $2 == "PP_WRITER_BATCH_MAX" {print $3}' \
  "$ROOT/include/payout/limits.h")

# --- server --------------------------------------------------------------
flags=(serve --bind 127.0.0.1 --port "$PORT" --db "$DB" --access-log off --log-level warn)
help=$("$BIN" --help 2>&1 || true)
RATE_NOTE="rate limit off (--rate-limit 0, bench only)"
if grep -q -- "--rate-limit" <<<"$help"; then
  flags+=(--rate-limit 0)
else
  RATE_NOTE="this build has no --rate-limit flag: no rate limiting to switch off"
fi
# Webhooks: the ceiling server's /echo is the receiver (loopback allowed).
WEBHOOKS=0
if grep -q -- "--webhook-allow-cidrs" <<<"$help"; then
  flags+=(--webhook-allow-cidrs 127.0.0.0/8)
  WEBHOOKS=1
fi
if grep -q -- "--per-ip-connections" <<<"$help"; then
  flags+=(--per-ip-connections $((CONNS > 64 ? CONNS : 64)))
fi
log "starting payout-panel: ${flags[*]}"
PAYOUT_ADMIN_EMAIL=$ADMIN_EMAIL PAYOUT_ADMIN_PASSWORD=$ADMIN_PASSWORD \
  "$BIN" "${flags[@]}" >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
"$BUILD/bench/ceiling" "$CEIL_PORT" >"$TMP/ceiling.out" 2>&1 &
CEIL_PID=$!
bench_wait_listening "$SERVER_PID" "$TMP/server.out" "$TMP/server.err"
bench_wait_listening "$CEIL_PID" "$TMP/ceiling.out" "$TMP/ceiling.out"
BASE=http://127.0.0.1:$PORT
CEIL=http://127.0.0.1:$CEIL_PORT

# RSS of the server, sampled every second for the whole run.
(
  while kill -0 "$SERVER_PID" 2>/dev/null; do
    awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || true
    sleep 1
  done
) >"$TMP/rss.txt" &
SAMPLER_PID=$!

bench_api_setup "$ADMIN_EMAIL" "$ADMIN_PASSWORD" "bench funding"

# --- the deep page: follow nextCursor from the first page ------------------
FIRST_PATH="/api/payments?$LIST_QUERY"
DEEP_PATH=""
if curl -sf "$BASE$FIRST_PATH" -H "x-access-token: $BENCH_TOKEN" >"$TMP/page.json" &&
  [ "$(jq -r '.payments | length' "$TMP/page.json")" -gt 0 ]; then
  # One keep-alive connection, DEEP_PAGES pages down the same filter.
  DEEP_PATH=$(bench_deep_path "$PORT" "$FIRST_PATH" "$DEEP_PAGES")
  log "deep page: $DEEP_PAGES pages of 25 rows down the filter"
else
  log "GET /api/payments answers no filtered rows in this build: list rows are skipped"
fi

# --- runs ----------------------------------------------------------------
# run NAME CONNECTIONS URL SCRIPT [ENV...]: one wrk run; its BENCH line goes
# to results.
run() {
  local name=$1 conns=$2 url=$3 script=$4
  shift 4
  log "wrk $name ($SECONDS_PER_RUN s, $conns connections)"
  env "$@" wrk -t"$WRK_THREADS" -c"$conns" -d"${SECONDS_PER_RUN}s" --timeout 10s \
    -s "$BENCH_DIR/$script" "$url" >"$TMP/wrk-$name.txt" 2>&1 || true
  local line
  line=$(grep '^BENCH ' "$TMP/wrk-$name.txt" || echo "BENCH failed=1")
  echo "$name conns=$conns $line" >>"$TMP/results.txt"
}
: >"$TMP/results.txt"
run ceiling-static "$CONNS" "$CEIL" static.lua
run ceiling-echo "$CONNS" "$CEIL" echo.lua
run create "$CONNS" "$BASE" create.lua
ID_MAX=$(curl -sf "$BASE/api/payments?size=1&orderBy=id&dir=desc" -H "x-access-token: $BENCH_TOKEN" |
  jq -r '.payments[0].id // empty' 2>/dev/null || true)
[ -n "$ID_MAX" ] || ID_MAX=$((PAYOUTS > 0 ? PAYOUTS : 1))
run get "$CONNS" "$BASE" get.lua BENCH_ID_MIN=1 BENCH_ID_MAX="$ID_MAX"
if [ -n "$DEEP_PATH" ]; then
  run list-first "$CONNS" "$BASE" list.lua BENCH_PATH="$FIRST_PATH"
  run list-deep "$CONNS" "$BASE" list.lua BENCH_PATH="$DEEP_PATH"
fi
# The log-in lockout counts attempts in flight from one address as
# failures until they settle (PP_LOGIN_FAILURES_MAX = 10): wrk has one
# address, so this run keeps fewer connections than that.
run authenticate "$AUTH_CONNS" "$BASE" auth.lua
# The same create run with one webhook endpoint subscribed to
# payout.created: every create also writes its event and a delivery, which
# the delivery worker sends to the ceiling's /echo. After the run, the time
# until no delivery is pending gives the deliveries per second. It comes
# last: the delivery results it records while draining leave the log a
# checkpoint behind for a while, which would slow the read runs after it
# (the database it starts from is the same as right after the create run:
# reads change nothing).
if [ "$WEBHOOKS" = 1 ]; then
  post POST /api/webhooks "$BENCH_TOKEN" \
    "{\"url\":\"$CEIL/echo\",\"events\":[\"payout.created\"]}" >/dev/null
  t0=$(date +%s.%N)
  run create-webhook "$CONNS" "$BASE" create.lua
  pending=1
  for _ in $(seq 1200); do
    pending=$(curl -s "$BASE/metrics" | awk '/^payout_webhook_deliveries_pending /{print $2}')
    [ "${pending:-1}" = 0 ] && break
    sleep 0.1
  done
  t1=$(date +%s.%N)
  delivered=$(grep -o 'requests=[0-9]*' "$TMP/wrk-create-webhook.txt" | cut -d= -f2)
  echo "webhook-drain seconds=$(awk "BEGIN {print $t1 - $t0}") delivered=${delivered:-0}" \
    "pending=${pending:-?}" >>"$TMP/results.txt"
fi
HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
RSS_NOW=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")

kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
CHECK=$("$BIN" check --db "$DB" 2>&1 | tail -1 || true)
kill "$CEIL_PID" 2>/dev/null || true
wait "$CEIL_PID" 2>/dev/null || true
CEIL_PID=""

# --- PostgreSQL: one node, then two behind haproxy -------------------------
if [ "$BENCH_PG" != 0 ]; then
  if command -v haproxy >/dev/null && [ -x "${PP_PG_BIN:-/usr/lib/postgresql/15/bin}/postgres" ]; then
    BENCH_PG_PAYOUTS=${BENCH_PG_PAYOUTS:-50000} BENCH_SECONDS=$SECONDS_PER_RUN \
      BENCH_CONNECTIONS=$CONNS BENCH_WRK_THREADS=$WRK_THREADS BENCH_AUTH_CONNECTIONS=$AUTH_CONNS \
      BENCH_DEEP_PAGES=$DEEP_PAGES BENCH_PORT=$PORT \
      "$ROOT/bench/pg.sh" "$BIN" "$BUILD/bench/bench-seed" "$TMP/results.txt" "$TMP" ||
      log "the PostgreSQL runs failed (see $TMP with BENCH_KEEP=1)"
  else
    log "PostgreSQL 15 or haproxy missing (scripts/deps.sh --test installs them): no PostgreSQL runs"
    echo "pg-skipped reason=missing" >>"$TMP/results.txt"
  fi
fi

# --- table ---------------------------------------------------------------
python3 - "$TMP/results.txt" "$TMP/rss.txt" "$HWM" "$RSS_NOW" "$RATE_NOTE" "$PAYOUTS" \
  "$CONNS" "$SECONDS_PER_RUN" "$DEEP_PAGES" "$CHECK" "$TMP/fsync.txt" "${BATCH_MAX:-0}" <<'PY'
import sys
(res_path, rss_path, hwm, rss_now, rate_note, payouts, conns, secs, deep, check,
 fsync_path, batch_max) = sys.argv[1:]
rows = {}
for line in open(res_path):
    name, rest = line.split(" ", 1)
    kv = dict(p.split("=", 1) for p in rest.split() if "=" in p)
    rows[name] = kv
def f(name, key, default=None):
    try:
        return float(rows[name][key])
    except (KeyError, ValueError):
        return default
ceil = {"static": f("ceiling-static", "rps"), "echo": f("ceiling-echo", "rps")}
# The probe's FSYNC lines: one per case (overwrite, append).
fsync = {}
try:
    for line in open(fsync_path):
        if line.startswith("FSYNC "):
            kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
            fsync[kv.get("case", "")] = kv
except OSError:
    pass
def fs(case, key, default=0.0):
    try:
        return float(fsync[case][key])
    except (KeyError, ValueError):
        return default
# The ceilings use the append's mean: a commit appends its frames to the
# WAL and syncs them, and a throughput bound is set by the mean wait.
sync_ms = fs("append", "mean_us") / 1000
conns_n, batch_n = int(conns), int(batch_max)
fsync_bound = {}
if sync_ms > 0:
    fsync_bound["conns"] = conns_n * 1000 / sync_ms
    if batch_n > 0:
        fsync_bound["group"] = batch_n * 1000 / sync_ms
# The one that governs a create at this many connections: a batch holds at
# most the requests in flight and at most PP_WRITER_BATCH_MAX.
governing = min(fsync_bound.values()) if fsync_bound else None
spec = [
    ("ceiling-static", "ceiling GET /static", None),
    ("ceiling-echo", "ceiling POST /echo (JSON)", None),
    ("create", "POST /api/payment/create", "echo"),
    ("create-webhook", "POST /api/payment/create, 1 webhook endpoint", "echo"),
    ("get", "GET /api/payments/{id}", "static"),
    ("list-first", "GET /api/payments filtered, first page", "static"),
    ("list-deep", "GET /api/payments filtered, deep page", "static"),
    ("authenticate", "POST /api/authenticate", "echo"),
    ("pg-create", "PostgreSQL: POST /api/payment/create", "echo"),
    ("pg2-create", "PostgreSQL, 2 nodes + haproxy: create", "echo"),
    ("pg-get", "PostgreSQL: GET /api/payments/{id}", "static"),
    ("pg-list-first", "PostgreSQL: GET /api/payments, first page", "static"),
    ("pg-list-deep", "PostgreSQL: GET /api/payments, deep page", "static"),
    ("pg-authenticate", "PostgreSQL: POST /api/authenticate", "echo"),
]
print()
print(f"payout-panel benchmark: wrk, {conns} connections, {secs} s per run, "
      f"{int(payouts):,} seeded payouts; {rate_note}; access log off")
print(f"{'run':42} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}  ratio")
def storage_rows():
    # fdatasync loops: req/s is fdatasyncs/s one after another (1 / mean),
    # which is also the bound of one commit per request on one writer.
    for case, size in (("overwrite", "4 KiB overwrite"), ("append", "8 KiB append")):
        if case not in fsync:
            print(f"{'fdatasync ' + size:42} {'(not run)':>9}")
            continue
        mean = fs(case, "mean_us")
        label = f"fdatasync {size} ({fsync[case].get('fs', '?')})"
        print(f"{label:42} {1:5d} {1e6 / mean if mean else 0:9.0f} "
              f"{fs(case, 'p50_us') / 1000:8.2f} {fs(case, 'p99_us') / 1000:8.2f} "
              f"{'-':>8} {'-':>7}  mean {mean / 1000:.2f} ms, {int(fs(case, 'n'))} rounds")
    if "conns" in fsync_bound:
        print(f"{'fsync bound, 1 commit per request':42} {conns_n:5d} {fsync_bound['conns']:9.0f} "
              f"{'':8} {'':8} {'-':>8} {'-':>7}  {conns_n} conns / {sync_ms:.2f} ms (append mean)")
    if "group" in fsync_bound:
        print(f"{'fsync bound, group commit':42} {conns_n:5d} {fsync_bound['group']:9.0f} "
              f"{'':8} {'':8} {'-':>8} {'-':>7}  {batch_n} per commit / {sync_ms:.2f} ms, "
              f"needs {batch_n} in flight")
for key, label, base in spec:
    if key.startswith("pg") and not any(k.startswith("pg") for k in rows):
        continue
    if key == "pg-create":
        print("PostgreSQL 15 (a throwaway cluster on this machine, default durability), "
              f"{int(rows.get('pg-seed', {}).get('payouts', 0)):,} seeded payouts:")
    if key not in rows:
        print(f"{label:42} {'(not run)':>9}")
        continue
    rps = f(key, "rps", 0.0)
    p50 = f(key, "p50_us", 0.0) / 1000
    p99 = f(key, "p99_us", 0.0) / 1000
    non2xx = int(f(key, "non2xx", 0))
    errs = sum(int(f(key, k, 0)) for k in ("connect", "read", "write", "timeout"))
    ratio = ""
    if base and ceil.get(base):
        ratio = f"{rps / ceil[base]:.2f} of {base}"
    if key == "create" and governing:
        ratio += f", {rps / governing:.2f} of fsync bound"
    c = int(f(key, "conns", 0))
    print(f"{label:42} {c:5d} {rps:9.0f} {p50:8.2f} {p99:8.2f} {non2xx:8d} {errs:7d}  {ratio}")
    if key == "ceiling-echo":
        storage_rows()
if "create-webhook" in rows and f("create", "rps"):
    drain = f("webhook-drain", "seconds", 0.0)
    sent = f("webhook-drain", "delivered", 0.0)
    print(f"create with 1 webhook endpoint / without: {f('create-webhook', 'rps', 0.0) / f('create', 'rps'):.2f}; "
          f"events and deliveries: {sent:.0f} in {drain:.1f} s from the run's start = "
          f"{sent / drain if drain else 0:.0f}/s (pending at the end: "
          f"{rows.get('webhook-drain', {}).get('pending', '?')})")
first, deep_rps = f("list-first", "rps"), f("list-deep", "rps")
if first and deep_rps:
    print(f"deep page ({int(deep):,} pages of 25 down the filter) / first page: "
          f"{first / deep_rps:.2f}x the time per request")
samples = [int(x) for x in open(rss_path).read().split() if x.strip().isdigit()]
if samples:
    print(f"server RSS: max sampled {max(samples) / 1024:.1f} MiB, VmHWM {int(hwm) / 1024:.1f} MiB, "
          f"at end {int(rss_now) / 1024:.1f} MiB ({len(samples)} samples, 1 s apart)")
print(f"ledger check after the run: {check}")
for key, what in (("pg-batches", "one node"), ("pg2-batches", "two nodes")):
    if key in rows and f(key, "count"):
        print(f"PostgreSQL writer, {what}: {f(key, 'sum') / f(key, 'count'):.1f} requests per batch "
              f"({int(f(key, 'count'))} batches)")
if "pg-check" in rows:
    print(f"PostgreSQL ledger check after the runs: {rows['pg-check'].get('result', '?').replace('_', ' ')}")
if "pg-skipped" in rows:
    print("PostgreSQL runs skipped: PostgreSQL 15 or haproxy is missing")
PY
