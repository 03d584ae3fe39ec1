#!/usr/bin/env bash
# The PostgreSQL part of `make bench` (scripts/bench.sh runs it; it can run
# alone too, see below).
#
# Starts a throwaway PostgreSQL cluster with tests/pg/pg_cluster.sh (the
# one the tests use: a unix socket in a temporary directory, PostgreSQL's
# default durability settings), seeds BENCH_PG_PAYOUTS payouts through
# bench-seed, starts one node and runs the SQLite run's scenarios against
# it (create, get, list first and deep page, authenticate), then starts a
# second node on the same database and runs the create scenario through
# haproxy (plain HTTP on loopback, round robin over the two nodes, the
# node's /readyz as health check), then stops everything and runs
# `payout-panel check` on the database. Every node gets the same master
# secret file, as docs/deploy.md says.
#
# Each run appends one line to RESULTS in the format of scripts/bench.sh
# ("NAME conns=N BENCH ..."); the names start with pg- (one node) and
# pg2- (two nodes behind haproxy). Other lines: "pg-check result=..." and
# "pg-batches ..." and "pg2-batches ..." (the writers' batch sizes from
# /metrics, each of its own run).
#
# Usage: bench/pg.sh BIN SEED_BIN RESULTS TMPDIR
# Environment (set by scripts/bench.sh): BENCH_SECONDS, BENCH_CONNECTIONS,
# BENCH_WRK_THREADS, BENCH_AUTH_CONNECTIONS, BENCH_DEEP_PAGES, BENCH_PORT
# (the nodes use PORT+2..PORT+4), BENCH_DIR, BENCH_PG_PAYOUTS (100000),
# BENCH_PG_RUNS ("create get list auth create2", the runs to make),
# BENCH_PG_STATEMENTS (0; 1 loads pg_stat_statements into the cluster and
# writes, after each create run, what the database spent per statement to
# TMP/statements-NAME.txt: calls, rows, total and mean execution time,
# planning time and plans made, and the lock row's wait, which its
# statement's time includes), BENCH_PG_RATE_LIMIT (0: off, as in make
# bench; N runs the nodes with --rate-limit N, so every request also
# updates the shared rate counters).
set -euo pipefail

BIN=$1
SEED=$2
RESULTS=$3
TMP=$4
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
AUTH_CONNS=${BENCH_AUTH_CONNECTIONS:-8}
DEEP_PAGES=${BENCH_DEEP_PAGES:-4000}
PAYOUTS=${BENCH_PG_PAYOUTS:-50000}
RUNS=${BENCH_PG_RUNS:-create get list auth create2}
PORT=${BENCH_PORT:-18431}
NODE1_PORT=$((PORT + 2))
NODE2_PORT=$((PORT + 3))
LB_PORT=$((PORT + 4))
export BENCH_DIR=${BENCH_DIR:-$ROOT/bench}
ADMIN_EMAIL=bench@example.test
ADMIN_PASSWORD=bench-only-password-1
LIST_QUERY="currency=EUR&status=READY&size=25"
PGDIR=$TMP/pg
NODE_PIDS=""
LB_PID=""

log() { printf '== pg: %s\n' "$*" >&2; }

pg_cleanup() {
  for pid in $LB_PID $NODE_PIDS; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $LB_PID $NODE_PIDS; do
    wait "$pid" 2>/dev/null || true
  done
  "$ROOT/tests/pg/pg_cluster.sh" stop "$PGDIR" >/dev/null 2>&1 || true
}
trap pg_cleanup EXIT

want() { [[ " $RUNS " == *" $1 "* ]]; }

log "starting a throwaway PostgreSQL cluster"
URL=$("$ROOT/tests/pg/pg_cluster.sh" start "$PGDIR")
STATEMENTS=${BENCH_PG_STATEMENTS:-0}
if [ "$STATEMENTS" = 1 ]; then
  printf '%s\n' "shared_preload_libraries = 'pg_stat_statements'" \
    "pg_stat_statements.track_utility = off" "pg_stat_statements.track_planning = on" \
    >>"$(cat "$PGDIR/cluster")/data/postgresql.conf"
  "$ROOT/tests/pg/pg_cluster.sh" restart "$PGDIR" >/dev/null
  psql -X -q "$URL" -c "CREATE EXTENSION pg_stat_statements" >/dev/null
fi
SECRET=$TMP/pg-master.secret

# node_start NAME PORT: a node on URL, on 127.0.0.1:PORT.
node_start() {
  local name=$1 port=$2
  local flags=(serve --db "$URL" --bind 127.0.0.1 --port "$port" --access-log off
    --log-level "${BENCH_PG_LOG_LEVEL:-warn}" --rate-limit "${BENCH_PG_RATE_LIMIT:-0}"
    # Every client is 127.0.0.1 (wrk, and haproxy's pooled connections).
    --per-ip-connections $((4 * CONNS > 256 ? 4 * CONNS : 256)))
  PAYOUT_SECRET_FILE=$SECRET PAYOUT_ADMIN_EMAIL=$ADMIN_EMAIL \
    PAYOUT_ADMIN_PASSWORD=$ADMIN_PASSWORD \
    "$BIN" "${flags[@]}" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  local pid=$!
  NODE_PIDS="$NODE_PIDS $pid"
  for _ in $(seq 600); do
    grep -q listening "$TMP/$name.out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  log "$name did not start"
  cat "$TMP/$name.err" >&2
  return 1
}

if [ "$PAYOUTS" -gt 0 ]; then
  log "migrating and seeding $PAYOUTS payouts"
  "$BIN" migrate --db "$URL" >/dev/null
  "$SEED" seed "$URL" "$PAYOUTS" 2>>"$TMP/pg-seed.log" | tee "$TMP/pg-seed.txt" >&2
  # The planner's statistics of the seeded rows, as after any bulk load.
  # Without them the runs start before autovacuum's first look (up to a
  # minute after the seed): a never analysed table is planned as if its
  # filters kept two rows, and the list pages read and sort every match
  # (2-5 ms a page instead of 0.1).
  psql -X -q "$URL" -c "ANALYZE" >/dev/null
fi
echo "pg-seed payouts=$PAYOUTS" >>"$RESULTS"
node_start pg-node1 "$NODE1_PORT"
BASE=http://127.0.0.1:$NODE1_PORT

bench_api_setup "$ADMIN_EMAIL" "$ADMIN_PASSWORD" "bench funding"

# statements NAME: what the database spent per statement since the last
# call (BENCH_PG_STATEMENTS=1), to TMP/statements-NAME.txt.
statements() {
  [ "$STATEMENTS" = 1 ] || return 0
  psql -X -q "$URL" -c "SELECT calls, rows, round(total_exec_time::numeric, 1) AS total_ms,
      round(mean_exec_time::numeric, 3) AS mean_ms,
      round(total_plan_time::numeric, 1) AS plan_ms, plans, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
    FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 25" >"$TMP/statements-$1.txt" 2>&1 || true
  psql -X -q "$URL" -c "SELECT pg_stat_statements_reset()" >/dev/null 2>&1 || true
}

# run NAME CONNECTIONS URL SCRIPT [ENV...]: one wrk run, its line to RESULTS.
run() {
  local name=$1 conns=$2 url=$3 script=$4
  shift 4
  statements "before-$name"
  log "wrk $name ($SECONDS_PER_RUN s, $conns connections)"
  env "$@" wrk -t"$WRK_THREADS" -c"$conns" -d"${SECONDS_PER_RUN}s" --timeout 10s \
    -s "$BENCH_DIR/$script" "$url" >"$TMP/wrk-$name.txt" 2>&1 || true
  local line
  line=$(grep '^BENCH ' "$TMP/wrk-$name.txt" || echo "BENCH failed=1")
  echo "$name conns=$conns $line" >>"$RESULTS"
}

# batch_totals PORT...: "SUM COUNT" of the writers' batch sizes over the
# nodes, from their /metrics (payout_write_batch_size_sum / _count).
batch_totals() {
  local sum=0 count=0 s c
  for port in "$@"; do
    # wrk's connections may still count against the per-address limit.
    curl -s --retry 5 --retry-all-errors "http://127.0.0.1:$port/metrics" >"$TMP/metrics.txt" || true
    s=$(awk '/^payout_write_batch_size_sum /{print $2}' "$TMP/metrics.txt")
    c=$(awk '/^payout_write_batch_size_count /{print $2}' "$TMP/metrics.txt")
    sum=$(awk "BEGIN {print $sum + ${s:-0}}")
    count=$(awk "BEGIN {print $count + ${c:-0}}")
  done
  echo "$sum $count"
}

# batches NAME BEFORE PORT...: the line NAME sum=... count=... of the
# batches the nodes made since BEFORE (a batch_totals answer) to RESULTS.
batches() {
  local name=$1 before=$2 now
  shift 2
  now=$(batch_totals "$@")
  awk -v name="$name" -v b="$before" -v n="$now" 'BEGIN {
    split(b, x, " "); split(n, y, " ")
    printf "%s sum=%d count=%d\n", name, y[1] - x[1], y[2] - x[2] }' >>"$RESULTS"
}

if want create; then
  run pg-create "$CONNS" "$BASE" create.lua
  statements pg-create
  batches pg-batches "0 0" "$NODE1_PORT"
fi
if want get; then
  ID_MAX=$(curl -sf "$BASE/api/payments?size=1&orderBy=id&dir=desc" -H "x-access-token: $BENCH_TOKEN" |
    jq -r '.payments[0].id // empty' 2>/dev/null || true)
  run pg-get "$CONNS" "$BASE" get.lua BENCH_ID_MIN=1 BENCH_ID_MAX="${ID_MAX:-1}"
fi
if want list; then
  FIRST_PATH="/api/payments?$LIST_QUERY"
  DEEP_PATH=$(bench_deep_path "$NODE1_PORT" "$FIRST_PATH" "$DEEP_PAGES")
  run pg-list-first "$CONNS" "$BASE" list.lua BENCH_PATH="$FIRST_PATH"
  if [ -n "$DEEP_PATH" ]; then
    run pg-list-deep "$CONNS" "$BASE" list.lua BENCH_PATH="$DEEP_PATH"
  fi
fi
if want auth; then
  run pg-authenticate "$AUTH_CONNS" "$BASE" auth.lua
fi
if want create2; then
  node_start pg-node2 "$NODE2_PORT"
  cat >"$TMP/haproxy.cfg" <<EOF
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    http-reuse always
frontend payout
    bind 127.0.0.1:$LB_PORT
    default_backend payout_nodes
backend payout_nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server check inter 2s fall 2 rise 2 maxconn $CONNS
    server node1 127.0.0.1:$NODE1_PORT
    server node2 127.0.0.1:$NODE2_PORT
EOF
  haproxy -q -f "$TMP/haproxy.cfg" >"$TMP/haproxy.out" 2>&1 &
  LB_PID=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$LB_PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  # The first node's batches so far are not the two-node run's.
  BEFORE=$(batch_totals "$NODE1_PORT")
  run pg2-create "$CONNS" "http://127.0.0.1:$LB_PORT" create.lua
  statements pg2-create
  batches pg2-batches "$BEFORE" "$NODE1_PORT" "$NODE2_PORT"
fi
for pid in $LB_PID $NODE_PIDS; do
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
LB_PID=""
NODE_PIDS=""
# The check's last line without the URL it starts with.
echo "pg-check result=$("$BIN" check --db "$URL" 2>&1 | tail -1 | sed 's/^postgresql:[^ ]*: //' | tr ' ' '_')" >>"$RESULTS"
