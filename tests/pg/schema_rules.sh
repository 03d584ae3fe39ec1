#!/usr/bin/env bash
# Applies migrations/postgres to a fresh schema of the test cluster and runs
# tests/pg/schema_rules.sql on it: every rule the schema enforces by itself
# (CHECKs, unique keys, triggers) refuses its statement.
#   schema_rules.sh MIGRATIONS_DIR CLUSTER_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
migrations=$1
url=$("$here/pg_cluster.sh" url "$2")
psql=${PP_PG_BIN:-/usr/lib/postgresql/15/bin}/psql
ns=pp_rules_$$
"$psql" -X -q -v ON_ERROR_STOP=1 "$url" -c "CREATE SCHEMA $ns"
trap '"$psql" -X -q "$url" -c "SET client_min_messages = warning" -c "DROP SCHEMA $ns CASCADE"' EXIT
export PGOPTIONS="-c search_path=$ns"
for f in "$migrations"/postgres/*.sql; do
  "$psql" -X -q -v ON_ERROR_STOP=1 -1 -f "$f" "$url"
done
"$psql" -X -q -At -v ON_ERROR_STOP=1 -f "$here/schema_rules.sql" "$url"
