#!/usr/bin/env bash
# The one command that runs kemas locally: installs what is missing, builds, starts the
# servers on loopback (and a mail sink), applies migrations, then runs every role in the
# foreground with their logs interleaved: kemas-api and kemas-worker --role commands,
# scheduler, audit, mailer and reconciler. Ctrl-C stops everything.
#
# KEMAS_LOG_FORMAT=json for machine-readable logs (default here: text, for people);
# KEEP_SERVICES=1 leaves PostgreSQL/Redis/RabbitMQ/S3 running after Ctrl-C.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KEMAS_BUILD_DIR:-$root/build}"
cd "$root"

"$root/scripts/deps.sh"
"$root/scripts/build.sh" --target kemas-api kemas-worker kemas-admin kemas
"$root/scripts/services.sh" up

set -a
# shellcheck disable=SC1091
. "$root/.run/env"
set +a
export KEMAS_LOG_FORMAT="${KEMAS_LOG_FORMAT:-text}"
export KEMAS_CONFIG="${KEMAS_CONFIG:-$root/conf/kemas.toml}"

"$build/app/admin/kemas-admin" migrate

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo "run.sh: stopping kemas processes"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  if [[ ${KEEP_SERVICES:-0} != 1 ]]; then "$root/scripts/services.sh" down; fi
}
trap stop_all INT TERM EXIT

# Every log line names its process ("process" in JSON, the third column in text), so the
# processes write to this terminal directly: no per-line filter process in the way.
start() {
  local name=$1; shift
  echo "run.sh: starting $name"
  "$@" &
  pids+=($!)
}
start api "$build/app/kemas-api"
KEMAS_WORKER_METRICS_HOST=127.0.0.1 KEMAS_WORKER_METRICS_PORT=9464 \
  start worker "$build/workers/kemas-worker" --role commands
KEMAS_WORKER_METRICS_HOST=127.0.0.1 KEMAS_WORKER_METRICS_PORT=9465 \
  start scheduler "$build/workers/kemas-worker" --role scheduler
KEMAS_WORKER_METRICS_HOST=127.0.0.1 KEMAS_WORKER_METRICS_PORT=9466 \
  start audit "$build/workers/kemas-worker" --role audit
KEMAS_WORKER_METRICS_HOST=127.0.0.1 KEMAS_WORKER_METRICS_PORT=9467 \
  start mailer "$build/workers/kemas-worker" --role mailer
KEMAS_WORKER_METRICS_HOST=127.0.0.1 KEMAS_WORKER_METRICS_PORT=9468 \
  start reconciler "$build/workers/kemas-worker" --role reconciler

port="${KEMAS_HTTP_PORT:-8081}"
cat <<INFO

  kemas web app      http://127.0.0.1:$port/   (sign up there; an admin: $build/app/admin/kemas-admin create-admin)
  kemas API          http://127.0.0.1:$port/api/v1/   (try: curl http://127.0.0.1:$port/readyz)
  metrics            http://127.0.0.1:$port/metrics (api), :9464/metrics (worker),
                     :9465 (scheduler), :9466 (audit), :9467 (mailer),
                     :9468 (reconciler)
  mail sink          scripts/services.sh mail   (messages in .run/mail/maildir/new/)
  RabbitMQ UI        ${KEMAS_AMQP_MANAGEMENT_URL}   login ${KEMAS_AMQP_USER} / ${KEMAS_AMQP_PASSWORD}
  dashboard          scripts/dashboard.sh prometheus, then scripts/dashboard.sh snapshot
  terminal client    $build/app/cli/kemas login   (then kemas ls, put, get, ...)
  Ctrl-C stops everything.

INFO
wait -n "${pids[@]}" || true
echo "run.sh: a process exited; stopping the rest"
