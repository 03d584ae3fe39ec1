#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests.
#
#   pg_cluster.sh start DIR   start a fresh cluster, print its URI (also kept in DIR/url)
#   pg_cluster.sh url DIR     print the URI of the running cluster
#   pg_cluster.sh stop DIR    stop it cleanly and delete what it wrote
#   pg_cluster.sh restart DIR stop it (fast: connections are cut) and start it again
#
# DIR (in the build tree) holds a pointer to the running cluster and a
# template. The cluster's data directory and unix socket live in a fresh
# temporary directory under PP_PG_TMPDIR (default /tmp): short enough for a
# socket path and reachable by the postgres user whatever the permissions
# of the build tree. The server listens on that socket only
# (listen_addresses = ''), so the clusters of parallel test runs never meet
# on a port; the socket directory is 0700, so only the server's user (and
# root) can connect, with trust authentication. The server's durability
# settings (fsync, synchronous_commit, full_page_writes) stay at
# PostgreSQL's defaults.
#
# Uses Debian's PostgreSQL 15 binaries (PP_PG_BIN, default
# /usr/lib/postgresql/15/bin), never the distribution's default cluster. As
# root, initdb and pg_ctl run as the postgres user through runuser; as any
# other user, directly. `start` first stops a cluster a killed run left in
# DIR. The database `payout` exists; its superuser is `payout`.
#
# The first start runs initdb (with -N: the template is a cache, rebuilt
# whenever it is missing or the server's version changes, so its files need
# no sync), creates the database, stops the server and keeps the stopped
# cluster in DIR/template; every start copies that template, which is much
# faster than initdb.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop|restart|url DIR" >&2
  exit 2
fi
bin=${PP_PG_BIN:-/usr/lib/postgresql/15/bin}
tmp_base=${PP_PG_TMPDIR:-/tmp}
pointer=$dir/cluster
user=payout
port=5432 # names the socket file only (.s.PGSQL.5432): there is no TCP listener

as_server() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

uri_of() {
  printf 'postgresql:///payout?host=%s/sock&port=%s&user=%s\n' "$1" "$port" "$user"
}

server_start() { # server_start ROOT: the cluster in ROOT/data, on ROOT/sock
  echo "unix_socket_directories = '$1/sock'" >>"$1/data/postgresql.conf"
  if ! (cd "$1" && as_server "$bin/pg_ctl" -D "$1/data" -l "$1/log" -w -t 60 start >/dev/null); then
    echo "pg_cluster: the server did not start; its log:" >&2
    cat "$1/log" >&2
    return 1
  fi
}

server_stop() { # server_stop ROOT
  if ! (cd "$1" && as_server "$bin/pg_ctl" -D "$1/data" -m fast -w -t 60 stop >/dev/null); then
    echo "pg_cluster: pg_ctl stop failed; the server log ends:" >&2
    tail -20 "$1/log" >&2 || true
    return 1
  fi
}

template_build() { # template_build ROOT VERSION: leaves a fresh cluster in ROOT/data
  local root=$1 version=$2
  if ! (cd "$root" && as_server "$bin/initdb" -N -D "$root/data" -U "$user" -A trust -E UTF8 \
    --locale=C >"$root/initdb.log" 2>&1); then
    echo "pg_cluster: initdb failed:" >&2
    cat "$root/initdb.log" >&2
    return 1
  fi
  printf '%s\n' "" "# tests/pg/pg_cluster.sh: a unix socket in a temporary directory, no TCP." \
    "listen_addresses = ''" "port = $port" "unix_socket_permissions = 0700" \
    >>"$root/data/postgresql.conf"
  cp -p "$root/data/postgresql.conf" "$root/postgresql.conf.template"
  server_start "$root"
  "$bin/psql" -X -q -v ON_ERROR_STOP=1 "postgresql:///postgres?host=$root/sock&port=$port&user=$user" \
    -c "CREATE DATABASE payout" >/dev/null
  server_stop "$root"
  cp -p "$root/postgresql.conf.template" "$root/data/postgresql.conf"
  rm -rf "$dir/template" "$dir/template.new"
  cp -a "$root/data" "$dir/template.new"
  echo "$version" >"$dir/template.new/PP_VERSION"
  mv "$dir/template.new" "$dir/template"
  rm -f "$root/data/postmaster.opts"
}

cluster_stop() {
  [ -f "$pointer" ] || return 0
  local root
  root=$(cat "$pointer")
  if [ -f "$root/data/postmaster.pid" ]; then
    server_stop "$root"
  fi
  case "$root" in
    "$tmp_base"/pp-pg.*) rm -rf "$root" ;;
    *) echo "pg_cluster: not deleting unexpected cluster path $root" >&2 ;;
  esac
  rm -f "$pointer" "$dir/url"
}

cluster_start() {
  local tool root version
  for tool in initdb pg_ctl postgres psql; do
    if [ ! -x "$bin/$tool" ]; then
      echo "pg_cluster: $bin/$tool missing (Debian's postgresql-15; scripts/deps.sh installs it)" >&2
      return 1
    fi
  done
  mkdir -p "$dir"
  cluster_stop
  version=$("$bin/postgres" --version)
  root=$(mktemp -d "$tmp_base/pp-pg.XXXXXX")
  echo "$root" >"$pointer"
  mkdir -m 0700 "$root/sock"
  touch "$root/log"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$root" "$root/sock" "$root/log"
  fi
  if [ "$(cat "$dir/template/PP_VERSION" 2>/dev/null)" = "$version" ]; then
    cp -a "$dir/template" "$root/data"
    rm -f "$root/data/PP_VERSION"
  else
    template_build "$root" "$version"
  fi
  server_start "$root"
  uri_of "$root" >"$dir/url"
  cat "$dir/url"
}

case "$cmd" in
  start) cluster_start ;;
  restart)
    # A fast shutdown (every connection is cut) and a start, on the same
    # socket: what the server sees when its database restarts.
    [ -f "$pointer" ] || { echo "pg_cluster: no cluster in $dir" >&2; exit 1; }
    server_stop "$(cat "$pointer")" && server_start "$(cat "$pointer")"
    ;;
  stop) cluster_stop ;;
  url)
    if [ ! -f "$pointer" ]; then
      echo "pg_cluster: no cluster in $dir (run start first)" >&2
      exit 1
    fi
    uri_of "$(cat "$pointer")"
    ;;
  *)
    echo "usage: $0 start|stop|restart|url DIR" >&2
    exit 2
    ;;
esac
