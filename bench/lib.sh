# Shared by the bench scripts (scripts/bench.sh, scripts/soak.sh,
# bench/pg.sh, bench/profile.sh); sourced, not run.

# post METHOD PATH TOKEN BODY: one JSON request to $BASE.
post() {
  curl -sS -X "$1" "$BASE$2" -H "Content-Type: application/json" ${3:+-H "x-access-token: $3"} -d "$4"
}

# bench_wait_listening PID OUT ERR: waits (30 s at most) until the server
# of PID prints "listening" to OUT; exits with ERR shown if it dies first.
bench_wait_listening() {
  local pid=$1 out=$2 err=$3
  for _ in $(seq 300); do
    grep -q listening "$out" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$err" >&2; exit 1; }
    sleep 0.1
  done
  echo "== the server did not start" >&2
  cat "$err" >&2
  exit 1
}

# bench_api_setup EMAIL PASSWORD REFERENCE: on the server at $BASE, signs
# in as the admin, turns the API integration on, deposits GBP funds (with
# REFERENCE) and takes an API key. Sets ADMIN (the admin's token) and
# exports BENCH_TOKEN and BENCH_API_PASSWORD.
bench_api_setup() {
  ADMIN=$(post POST /api/admin/login "" "{\"email\":\"$1\",\"password\":\"$2\"}" | jq -r .token)
  BENCH_API_PASSWORD=$(post PUT /api/admin/settings/api-integration "$ADMIN" '{"enabled":true}' |
    jq -r .authenticationPassword)
  post POST /api/admin/funds/deposit "$ADMIN" \
    "{\"currency\":\"GBP\",\"amount\":9000000000000,\"reference\":\"$3\"}" >/dev/null
  BENCH_TOKEN=$(post POST /api/authenticate "" "{\"apiKey\":\"$BENCH_API_PASSWORD\"}" | jq -r .token)
  [ -n "$BENCH_TOKEN" ] && [ "$BENCH_TOKEN" != null ] || { echo "== no API key" >&2; exit 1; }
  export BENCH_TOKEN BENCH_API_PASSWORD
}

# bench_deep_path PORT FIRST_PATH PAGES: follows nextCursor from FIRST_PATH
# on 127.0.0.1:PORT over one keep-alive connection, PAGES pages down (as
# $BENCH_TOKEN), and prints the path of the page reached ("" when the
# filter has a single page).
bench_deep_path() {
  python3 - "$1" "$2" "$3" "$BENCH_TOKEN" <<'PY'
import http.client, json, sys, urllib.parse
port, first, pages, token = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
conn = http.client.HTTPConnection("127.0.0.1", int(port))
path, cursor = first, None
for _ in range(pages):
    conn.request("GET", path, headers={"x-access-token": token})
    page = json.loads(conn.getresponse().read())
    if not page.get("nextCursor"):
        break
    cursor = page["nextCursor"]
    path = first + "&cursor=" + urllib.parse.quote(cursor, safe="")
print(path if cursor else "")
PY
}
