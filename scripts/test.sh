#!/usr/bin/env bash
# The one command that tests kemas from a fresh Debian 12 machine:
# installs what is missing, builds, starts the servers on loopback, runs every test
# (unit + integration, through CTest), runs each libFuzzer target briefly (test/fuzz), stops
# the servers (also on failure) and exits with the tests' status. Extra arguments go to ctest
# (e.g. -L unit, -R readyz) and skip the fuzz targets.
#
# Its servers are its own: data in .run-test/ and ports of their own (KEMAS_TEST_* below), so
# a `scripts/run.sh` running beside it keeps its servers and data, and is never reused.
#
# Integration tests run in KEMAS_TEST_LANES (default 2, at most 4) lanes: one complete server
# set per lane, lane 1 in .run-test/ on the ports below, lane K in .run-test-K/ on each port
# + 100*(K-1). CTest sees the lanes as the slots of the resource "servers" and gives each
# integration test one (test/support/in_lane.sh points the test at its lane), so the tests of
# one lane still run one at a time, as they need, and the lanes side by side.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KEMAS_BUILD_DIR:-$root/build}"
cd "$root"

lanes=${KEMAS_TEST_LANES:-2}
[[ $lanes =~ ^[1-4]$ ]] || { echo "test.sh: KEMAS_TEST_LANES must be 1 to 4, not '$lanes'" >&2; exit 2; }
svc_dir="${KEMAS_TEST_SVC_DIR:-$root/.run-test}"
declare -A base_port=(
  [PG]=${KEMAS_TEST_PG_PORT:-23432} [REDIS]=${KEMAS_TEST_REDIS_PORT:-23379}
  [AMQP]=${KEMAS_TEST_AMQP_PORT:-23672} [AMQP_MANAGEMENT]=${KEMAS_TEST_AMQP_MANAGEMENT_PORT:-23673}
  [AMQP_DIST]=${KEMAS_TEST_AMQP_DIST_PORT:-23674} [EPMD]=${KEMAS_TEST_EPMD_PORT:-23369}
  [S3]=${KEMAS_TEST_S3_PORT:-23900} [SMTP]=${KEMAS_TEST_SMTP_PORT:-23025})

# Each lane's KEMAS_SVC_* (what scripts/services.sh reads) in $lanes_dir/laneK.env, and the
# resource spec naming the lanes.
lanes_dir="$svc_dir/lanes"
mkdir -p "$lanes_dir"
spec_slots=()
for ((k = 1; k <= lanes; k++)); do
  dir=$svc_dir
  ((k == 1)) || dir="$svc_dir-$k"
  {
    echo "KEMAS_SVC_DIR=$dir"
    for name in "${!base_port[@]}"; do
      echo "KEMAS_SVC_${name}_PORT=$((base_port[$name] + 100 * (k - 1)))"
    done
  } >"$lanes_dir/lane$k.env"
  spec_slots+=("{\"id\": \"lane$k\", \"slots\": 1}")
done
spec="$lanes_dir/resources.json"
(IFS=,; printf '{"version": {"major": 1, "minor": 0}, "local": [{"servers": [%s]}]}\n' \
  "${spec_slots[*]}") >"$spec"

# services.sh for lane K (a subshell: the variables stay there).
lane_services() {
  local k=$1; shift
  (set -a; . "$lanes_dir/lane$k.env"; set +a; "$root/scripts/services.sh" "$@")
}

started=$SECONDS
stamp() { printf 'test.sh: %s (%ds)\n' "$*" $((SECONDS - started)); }

"$root/scripts/deps.sh"
stamp "dependencies ready"
"$root/scripts/build.sh"
# The benches are not part of `all` (slow to link, run by hand): build them here so a change
# that breaks one fails the tests.
cmake --build "$build" --target kemas_benches
stamp "build done"

# Stop what we start, whatever happens next. The lanes start side by side.
all_lanes() {
  local k pids=() failed=0
  for ((k = 1; k <= lanes; k++)); do lane_services "$k" "$@" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  return "$failed"
}
trap 'all_lanes down || true' EXIT
all_lanes up
stamp "servers up ($lanes lanes)"

# A test that did not ask for a lane finds no servers (rather than lane 1's, behind another
# test's back): the lanes' environments reach only the tests in_lane.sh starts.
export KEMAS_SVC_DIR="$lanes_dir/no-lane" KEMAS_TEST_LANES_DIR="$lanes_dir"

status=0
# One job per lane, and one more for the unit tests (they take no lane and are short; the
# integration tests spend much of their time waiting on their servers).
ctest --test-dir "$build" --output-on-failure --timeout 600 -j $((lanes + 1)) \
  --resource-spec-file "$spec" "$@" || status=$?
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
