#!/usr/bin/env bash
# Lints schemas/openapi.yaml with Redocly CLI (pinned in tools/openapi/package-lock.json,
# installed by scripts/deps.sh) under tools/openapi/redocly.yaml. Fails on any problem,
# warnings included, and prints them in a readable form. Run by CTest as unit/openapi_lint.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
redocly="$here/node_modules/.bin/redocly"
[[ -x $redocly ]] || { echo "openapi lint: $redocly missing (run scripts/deps.sh)" >&2; exit 1; }
report=$("$redocly" lint --config "$here/redocly.yaml" --format=json "$root/schemas/openapi.yaml" 2>/dev/null || true)
if ! problems=$(printf '%s' "$report" | /usr/bin/python3 -c '
import json, sys
totals = json.load(sys.stdin)["totals"]
print(totals["errors"] + totals["warnings"])'); then
  echo "openapi lint: Redocly gave no report" >&2
  exit 1
fi
if [[ $problems != 0 ]]; then
  "$redocly" lint --config "$here/redocly.yaml" --format=stylish "$root/schemas/openapi.yaml" 2>&1 | grep -v '[║╔╚]' >&2 || true
  echo "openapi lint: $problems problem(s)" >&2
  exit 1
fi
echo "openapi lint: schemas/openapi.yaml is clean"
