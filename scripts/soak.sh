#!/usr/bin/env bash
# `make soak`: SOAK_SECONDS (600) of mixed traffic against a release build of
# payout-panel, sampling its resident memory every SOAK_SAMPLE_SECONDS (5),
# then says whether memory stayed flat.
#
# Same setup as scripts/bench.sh (separate build directory, fresh temporary
# database seeded with SOAK_PAYOUTS (100000) payouts, 127.0.0.1, access log
# off, rate limiting off for the bench only), then wrk runs bench/mixed.lua
# at SOAK_CONNECTIONS (64): 30% creates, 50% reads by id, 19% list pages,
# 1% authenticate. "Flat" means: after the first SOAK_WARMUP_SECONDS (60),
# the highest RSS of the second half of the run is at most 5% (and at
# least 2 MiB of slack) above the highest RSS of the first half. The
# ledger check runs on the database afterwards. Exit 1 when RSS grew or
# the check failed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BENCH_BUILD:-$ROOT/build-bench}
DURATION=${SOAK_SECONDS:-600}
STEP=${SOAK_SAMPLE_SECONDS:-5}
WARMUP=${SOAK_WARMUP_SECONDS:-60}
CONNS=${SOAK_CONNECTIONS:-64}
PAYOUTS=${SOAK_PAYOUTS:-100000}
PORT=${BENCH_PORT:-18441}
ADMIN_EMAIL=bench@example.test
ADMIN_PASSWORD=bench-only-password-1
[ "$WARMUP" -lt "$DURATION" ] || WARMUP=$((DURATION / 5))

log() { printf '== %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

"$ROOT/scripts/deps.sh" wrk jq
log "building the release binary and bench tools in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -g" \
  -DPP_BENCH=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target payout-panel bench-seed >/dev/null
BIN=$BUILD/payout-panel

TMP=$(mktemp -d /tmp/payout-soak.XXXXXX)
SERVER_PID=""
WRK_PID=""
cleanup() {
  for pid in $WRK_PID $SERVER_PID; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  [ "${BENCH_KEEP:-0}" = 1 ] && log "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
DB=$TMP/soak.db
export BENCH_DIR=$ROOT/bench

log "seeding $PAYOUTS payouts"
"$BUILD/bench/bench-seed" seed "$DB" "$PAYOUTS" 2>>"$TMP/seed.log" >&2

flags=(serve --bind 127.0.0.1 --port "$PORT" --db "$DB" --access-log off --log-level warn)
help=$("$BIN" --help 2>&1 || true)
grep -q -- "--rate-limit" <<<"$help" && flags+=(--rate-limit 0)
grep -q -- "--per-ip-connections" <<<"$help" && flags+=(--per-ip-connections $((CONNS > 64 ? CONNS : 64)))
PAYOUT_ADMIN_EMAIL=$ADMIN_EMAIL PAYOUT_ADMIN_PASSWORD=$ADMIN_PASSWORD \
  "$BIN" "${flags[@]}" >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
bench_wait_listening "$SERVER_PID" "$TMP/server.out" "$TMP/server.err"
BASE=http://127.0.0.1:$PORT
bench_api_setup "$ADMIN_EMAIL" "$ADMIN_PASSWORD" "soak funding"
export BENCH_ID_MAX=$((PAYOUTS > 0 ? PAYOUTS : 1))
export BENCH_PATH="/api/payments?currency=EUR&status=READY&size=25"

log "soak: $DURATION s of mixed traffic at $CONNS connections, RSS every $STEP s"
wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$BENCH_DIR/mixed.lua" "$BASE" \
  >"$TMP/wrk.txt" 2>&1 &
WRK_PID=$!
t=0
: >"$TMP/rss.txt"
while kill -0 "$WRK_PID" 2>/dev/null; do
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
  echo "$t $rss" >>"$TMP/rss.txt"
  sleep "$STEP"
  t=$((t + STEP))
done
wait "$WRK_PID" || true
WRK_PID=""
HWM=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
CHECK=$("$BIN" check --db "$DB" 2>&1 | tail -1 || true)
grep '^BENCH ' "$TMP/wrk.txt" >&2 || true

python3 - "$TMP/rss.txt" "$WARMUP" "$HWM" "$CHECK" <<'PY'
import sys
path, warmup, hwm, check = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
samples = [tuple(map(int, l.split())) for l in open(path) if len(l.split()) == 2]
steady = [(t, kib) for t, kib in samples if t >= warmup]
if len(steady) < 4:
    print("soak: too few samples after the warm-up to judge")
    sys.exit(1)
half = len(steady) // 2
first = max(k for _, k in steady[:half])
second = max(k for _, k in steady[half:])
allowed = max(first * 1.05, first + 2048)
mib = lambda k: k / 1024
print(f"soak RSS (MiB), one sample per {samples[1][0] - samples[0][0] if len(samples) > 1 else 0} s:")
line = " ".join(f"{mib(k):.1f}" for _, k in samples)
print("  " + line)
print(f"after {warmup} s warm-up: first half max {mib(first):.1f} MiB, second half max "
      f"{mib(second):.1f} MiB, VmHWM {mib(hwm):.1f} MiB")
flat = second <= allowed
print(f"RSS {'stayed flat' if flat else 'GREW'} (limit {mib(allowed):.1f} MiB)")
print(f"ledger check after the soak: {check}")
sys.exit(0 if flat and ": ok" in check else 1)
PY
