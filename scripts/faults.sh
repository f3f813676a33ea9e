#!/usr/bin/env bash
# The fault suite (issue 14): starts servers of its own (ports 22xxx, data in .run-faults/),
# one kemas-api and two commands workers, drives a mixed upload/delete load while it stops
# and restarts RabbitMQ, PostgreSQL, Redis and S3 and kills the api (-9) and the workers
# (-9, TERM), then checks that nothing accepted was lost or duplicated, usage matches, the
# bucket matches the rows, and queues, outbox and cleanup drained. Prints the table; exit 1
# when an invariant fails. A few minutes; never touches the servers of run.sh or test.sh.
#
#   scripts/faults.sh            (KEMAS_FAULTS_CLIENTS=6, KEMAS_FAULTS_OUTAGE_SECONDS=8)
#   scripts/cluster.sh           the same with a 3-node RabbitMQ cluster (KEMAS_FAULTS_PLAN=cluster)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export KEMAS_SVC_DIR="${KEMAS_FAULTS_SVC_DIR:-$root/.run-faults}"
export KEMAS_SVC_PG_PORT=${KEMAS_FAULTS_PG_PORT:-22432}
export KEMAS_SVC_REDIS_PORT=${KEMAS_FAULTS_REDIS_PORT:-22379}
export KEMAS_SVC_AMQP_PORT=${KEMAS_FAULTS_AMQP_PORT:-22672}
export KEMAS_SVC_AMQP_MANAGEMENT_PORT=${KEMAS_FAULTS_AMQP_MANAGEMENT_PORT:-22673}
export KEMAS_SVC_AMQP_DIST_PORT=${KEMAS_FAULTS_AMQP_DIST_PORT:-22674}
export KEMAS_SVC_EPMD_PORT=${KEMAS_FAULTS_EPMD_PORT:-22369}
export KEMAS_SVC_S3_PORT=${KEMAS_FAULTS_S3_PORT:-22900}
export KEMAS_SVC_SMTP_PORT=${KEMAS_FAULTS_SMTP_PORT:-22025}
export KEMAS_FAULTS_API_PORT=${KEMAS_FAULTS_API_PORT:-22081}
build="${KEMAS_BUILD_DIR:-$root/build}"
export KEMAS_BUILD_DIR="$build"

# KEMAS_FAULTS_PREBUILT=1: the caller ran deps.sh and built these (CI runs two suites at once
# and must not run two builds in one build folder).
if [[ ${KEMAS_FAULTS_PREBUILT:-0} != 1 ]]; then
  "$root/scripts/deps.sh"
  "$root/scripts/build.sh" --target kemas-api kemas-worker kemas-admin
fi

# A fresh run each time: the invariants are about this run's data only.
"$root/scripts/services.sh" down >/dev/null 2>&1 || true
# (PostgreSQL's data may live under /var/tmp behind a link: see services.sh.)
[[ -L $KEMAS_SVC_DIR/postgres ]] && rm -rf "$(readlink -f "$KEMAS_SVC_DIR/postgres")"
rm -rf "$KEMAS_SVC_DIR"
# KEMAS_FAULTS_KEEP=1 leaves the servers up afterwards, to look at what a failed run left.
[[ ${KEMAS_FAULTS_KEEP:-0} == 1 ]] || trap '"$root/scripts/services.sh" down >/dev/null 2>&1 || true' EXIT
"$root/scripts/services.sh" up

set -a
# shellcheck disable=SC1091
. "$KEMAS_SVC_DIR/env"
set +a
"$build/app/admin/kemas-admin" --config "$root/conf/kemas.toml" migrate >/dev/null

/usr/bin/python3 "$root/scripts/faults.py"
