#!/usr/bin/env bash
# Installs the Debian packages payout-panel needs to build, run and test,
# but only those that are missing, so `make run` / `make test` work on a
# fresh Debian 12 machine and cost nothing on a prepared one.
set -euo pipefail
pkgs=(gcc make cmake pkg-config libmicrohttpd-dev libjansson-dev libjwt-dev libsqlite3-dev
      libssl-dev libcmocka-dev libcurl4-openssl-dev sqlite3 curl openssl)
pkgs+=(python3)  # scripts/openapi.py, scripts/include_cycles.py
# `scripts/deps.sh --test` (make test) adds what only the tests need, so that
# `make run` stays light on a newcomer's machine.
if [ "${1:-}" = "--test" ]; then
  shift
  pkgs+=(clang-format)      # lint.format: the layout of .clang-format (scripts/format_check.py)
  pkgs+=(e2fsprogs mount)   # the storage-fault tests make a small ext4 image and loop-mount it
  pkgs+=(python3-aiosmtpd)  # the SMTP sink of tests/unit/test_smtp.c (tests/smtp_sink.py)
  # Debian's chromium for the panel's browser tests (tests/ui/, playwright-core
  # drives it; nothing downloads a browser).
  pkgs+=(chromium)
  # Node.js and npm for the pinned linters and browser-test tools of
  # package.json: Debian's, but only when none is installed (another node,
  # e.g. nodesource's, which ships its own npm, conflicts with Debian's npm).
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
  # PostgreSQL 15 (Debian's): the tests start a throwaway cluster of their own
  # with its initdb and pg_ctl (tests/pg/pg_cluster.sh); libpq for the
  # PostgreSQL backend. Installing the package may create and start Debian's
  # default cluster (postgresql-common); the tests never use it.
  pkgs+=(postgresql libpq-dev)
  # haproxy: the load balancer of docs/deploy.md, run over two nodes by
  # tests/deploy/haproxy_smoke.py.
  pkgs+=(haproxy)
fi
pkgs+=("$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing missing packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
