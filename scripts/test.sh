#!/usr/bin/env bash
# The one command that tests kemas from a fresh Debian 12 machine:
# installs what is missing, builds, starts the servers on loopback, runs every test
# (unit + integration, through CTest), runs each libFuzzer target briefly (test/fuzz), stops
# the servers (also on failure) and exits with the tests' status. Extra arguments go to ctest
# (e.g. -L unit, -R readyz) and skip the fuzz targets.
#
# Its servers are its own: data in .run-test/ and ports of their own (KEMAS_SVC_* below), so
# a `scripts/run.sh` running beside it keeps its servers and data, and is never reused.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KEMAS_BUILD_DIR:-$root/build}"
cd "$root"

export KEMAS_SVC_DIR="${KEMAS_TEST_SVC_DIR:-$root/.run-test}"
export KEMAS_SVC_PG_PORT=${KEMAS_TEST_PG_PORT:-23432}
export KEMAS_SVC_REDIS_PORT=${KEMAS_TEST_REDIS_PORT:-23379}
export KEMAS_SVC_AMQP_PORT=${KEMAS_TEST_AMQP_PORT:-23672}
export KEMAS_SVC_AMQP_MANAGEMENT_PORT=${KEMAS_TEST_AMQP_MANAGEMENT_PORT:-23673}
export KEMAS_SVC_AMQP_DIST_PORT=${KEMAS_TEST_AMQP_DIST_PORT:-23674}
export KEMAS_SVC_EPMD_PORT=${KEMAS_TEST_EPMD_PORT:-23369}
export KEMAS_SVC_S3_PORT=${KEMAS_TEST_S3_PORT:-23900}
export KEMAS_SVC_SMTP_PORT=${KEMAS_TEST_SMTP_PORT:-23025}

started=$SECONDS
stamp() { printf 'test.sh: %s (%ds)\n' "$*" $((SECONDS - started)); }

"$root/scripts/deps.sh"
stamp "dependencies ready"
"$root/scripts/build.sh"
# The benches are not part of `all` (slow to link, run by hand): build them here so a change
# that breaks one fails the tests.
cmake --build "$build" --target kemas_benches
stamp "build done"

# Stop what we start, whatever happens next.
trap '"$root/scripts/services.sh" down || true' EXIT
"$root/scripts/services.sh" up
stamp "servers up"

set -a
# shellcheck disable=SC1091
. "$KEMAS_SVC_DIR/env"
set +a

status=0
ctest --test-dir "$build" --output-on-failure --timeout 600 "$@" || status=$?
stamp "tests finished with status $status"

# Every fuzz target for a short bounded time (scripts/fuzz.sh runs them for as long as you
# like): a crash the seeds or a few seconds of mutation reach fails the run. Not with a ctest
# filter (a focused run), nor with KEMAS_FUZZ_SECONDS=0.
fuzz_seconds="${KEMAS_FUZZ_SECONDS:-5}"
if [ $# -eq 0 ] && [ "$fuzz_seconds" != 0 ]; then
  "$root/scripts/fuzz.sh" "$fuzz_seconds" || status=$?
  stamp "fuzz targets finished (status now $status)"
fi
exit "$status"
