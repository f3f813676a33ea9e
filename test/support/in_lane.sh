#!/usr/bin/env bash
# Runs one integration test against the server set ("lane") CTest gave it.
#
# scripts/test.sh starts several complete server sets side by side and describes them to
# CTest as the slots of the resource "servers" (its resource spec file). Each integration test
# asks for one slot (RESOURCE_GROUPS servers:1), so a lane runs one test at a time, exactly as
# the single set used to, and tests in different lanes share nothing: not a database, a vhost,
# a Redis, nor the readyz test's Redis and RabbitMQ stops. CTest names the slot it gave in
# CTEST_RESOURCE_GROUP_0_SERVERS ("id:<lane>,slots:1"); this reads that lane's file
# (KEMAS_SVC_DIR and the KEMAS_SVC_*_PORT that scripts/services.sh needs to stop and start a
# server of that lane) and then the lane's kemas environment, and runs the test.
#
# Without a slot (ctest by hand without a resource spec, or the build listing a test's cases)
# the command runs in the environment it was given.
set -euo pipefail
slot=${CTEST_RESOURCE_GROUP_0_SERVERS:-}
if [[ -n $slot ]]; then
  lane=${slot#id:}
  lane=${lane%%,*}
  lane_file="${KEMAS_TEST_LANES_DIR:?KEMAS_TEST_LANES_DIR is set by scripts/test.sh}/$lane.env"
  [[ -f $lane_file ]] || { echo "in_lane.sh: no lane file $lane_file" >&2; exit 2; }
  set -a
  KEMAS_TEST_LANE=$lane  # test support keeps its child processes' logs per lane
  # shellcheck disable=SC1090
  . "$lane_file"
  # shellcheck disable=SC1091
  . "$KEMAS_SVC_DIR/env"
  set +a
fi
exec "$@"
