#!/usr/bin/env bash
# Installs the pinned Node.js tools of package-lock.json (the OpenAPI
# linters) into node_modules with `npm ci`, but only when node_modules is
# missing or older than package.json or package-lock.json, so a second
# `make test` costs nothing. Install scripts are not run: the linters need
# none, and some dependencies' scripts only report installs over the network.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
stamp=$root/node_modules/.package-lock.json  # written by every npm ci
cd "$root"
# One install at a time (make test and a ctest run may both ask).
exec 9<package-lock.json
flock 9
if [ -f "$stamp" ] && [ ! package-lock.json -nt "$stamp" ] && [ ! package.json -nt "$stamp" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm-ci: npm is missing (scripts/deps.sh installs it)" >&2; exit 1; }
npm ci --ignore-scripts --no-audit --no-fund
touch "$stamp"
