#!/usr/bin/env bash
# Lints docs/openapi.json with one of the pinned linters of package-lock.json
# (installed into node_modules by scripts/npm-ci.sh): `redocly` with
# redocly.yaml (the recommended ruleset, warnings as errors) or `spectral`
# with .spectral.yaml (spectral:oas, failing on any warning). Exit 0 only
# when the linter reports no problem at all.
#
# Usage: tests/docs/openapi_lint.sh redocly|spectral [DOCUMENT]
# The linters run offline: telemetry and update checks are switched off,
# and the document has no remote $ref.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
linter=${1:?usage: openapi_lint.sh redocly|spectral [DOCUMENT]}
doc=${2:-$root/docs/openapi.json}
bin=$root/node_modules/.bin

if [ ! -x "$bin/redocly" ] || [ ! -x "$bin/spectral" ]; then
  echo "openapi_lint: the pinned linters are not installed in $root/node_modules;" >&2
  echo "run scripts/npm-ci.sh (make test does)" >&2
  exit 1
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
cd "$root"
case $linter in
  redocly)
    "$bin/redocly" lint --config "$root/redocly.yaml" --format stylish "$doc"
    ;;
  spectral)
    "$bin/spectral" lint --ruleset "$root/.spectral.yaml" --fail-severity warn "$doc"
    ;;
  *)
    echo "openapi_lint: unknown linter '$linter' (redocly or spectral)" >&2
    exit 2
    ;;
esac
