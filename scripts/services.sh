#!/usr/bin/env bash
# kemas development/test servers as plain processes on loopback (no Docker, no systemd):
# PostgreSQL, Redis, RabbitMQ (+ management UI), the S3 test server (s3rver) and a mail
# sink (an SMTP server that keeps every message in a maildir instead of delivering it).
#
#   scripts/services.sh up                 start all five, wait until each is ready
#   scripts/services.sh down               stop exactly what `up` started
#   scripts/services.sh status             what runs, and where
#   scripts/services.sh start|stop NAME    one server: postgres | redis | rabbitmq | s3 | mail
#   scripts/services.sh start|stop|kill rabbitmq N   one node of a RabbitMQ cluster (kill: -9)
#   scripts/services.sh rabbitmqctl ARGS...  rabbitmqctl on node 1 (KEMAS_SVC_AMQP_NODE=N)
#   scripts/services.sh env                print the environment for kemas (also in .run/env)
#   scripts/services.sh mail [N]           show the last N (default 5) messages the sink kept
#
# Data lives under .run/ (ignored by git; KEMAS_SVC_DIR moves it: scripts/test.sh uses
# .run-test/ and ports of its own, so the tests never touch what scripts/run.sh runs). Ports
# come from KEMAS_SVC_* variables; the defaults avoid the standard ports (a system
# PostgreSQL/Redis/RabbitMQ can keep running) and stay below Linux's ephemeral range
# (32768-60999), where a client socket of any program can hold a port a server restarts on.
# A port held by something else stops `up` with the holder's name. KEMAS_SVC_AMQP_NODES=3
# makes RabbitMQ a cluster of three nodes (see the RabbitMQ section; scripts/cluster.sh).
# Works as root (PostgreSQL then runs as the `postgres` user, its data kept where that user
# can reach it even when the checkout is in a folder of mode 0700) and as a normal user.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
run="${KEMAS_SVC_DIR:-$root/.run}"

pg_port=${KEMAS_SVC_PG_PORT:-24432}
redis_port=${KEMAS_SVC_REDIS_PORT:-24379}
amqp_port=${KEMAS_SVC_AMQP_PORT:-24672}
mgmt_port=${KEMAS_SVC_AMQP_MANAGEMENT_PORT:-24673}
dist_port=${KEMAS_SVC_AMQP_DIST_PORT:-24674}
epmd_port=${KEMAS_SVC_EPMD_PORT:-24369}
s3_port=${KEMAS_SVC_S3_PORT:-24900}
smtp_port=${KEMAS_SVC_SMTP_PORT:-24025}
s3_bucket=${KEMAS_SVC_S3_BUCKET:-kemas}

# Development credentials for these throw-away servers only.
db_user=kemas db_pass=kemas db_name=kemas
mq_user=kemas mq_pass=kemas
s3_key=S3RVER s3_secret=S3RVER

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# wait_for DESCRIPTION SECONDS COMMAND... : poll until COMMAND succeeds or time runs out.
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# require_free_port NAME PORT: stop with the holder's name when something (not the server
# NAME, whose readiness check already failed) listens on PORT or holds it.
require_free_port() {
  local name=$1 port=$2 holder
  # Listeners, and connections a live process holds on it (a client whose ephemeral port it
  # is). Not the closing sockets a stopped server leaves (TIME-WAIT, FIN-WAIT, LAST-ACK):
  # they do not stop a server's bind.
  holder=$(ss -Htanp state listening state established state syn-sent state close-wait \
    "( sport = :$port )" 2>/dev/null | head -n 3 || true)
  [[ -z $holder ]] && return 0
  die "port $port for $name is in use (set KEMAS_SVC_* to move it):
$holder"
}

# kill_pidfile PIDFILE SECONDS: TERM, wait, then KILL.
kill_pidfile() {
  local file=$1 secs=${2:-10}
  pid_alive "$file" || { rm -f "$file"; return 0; }
  local pid; pid=$(cat "$file")
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + secs))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

# ---------------------------------------------------------------- PostgreSQL
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
as_pg() {
  # From / so that a working folder the postgres user cannot enter is no warning.
  if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
# As root PostgreSQL runs as `postgres`, which must reach its data folder through every
# parent. A checkout in root's home (mode 0700) is out of its reach, so the data then lives
# in /var/tmp under a name derived from the run folder (one cluster per checkout and run
# folder); .run*/postgres is a link to it, so `down` and people find it the same way.
pg_dir="$run/postgres"
if [[ $(id -u) -eq 0 ]]; then
  mkdir -p "$run"
  if ! (cd / && runuser -u postgres -- test -x "$run") 2>/dev/null; then
    pg_dir="/var/tmp/kemas-postgres-$(printf '%s' "$run" | sha256sum | cut -c1-12)"
  fi
fi
pg_ready() { "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; }
psql_admin() { as_pg "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg_dir" -p "$pg_port" -U postgres -d postgres "$@"; }

postgres_start() {
  [[ -n $pg_bin ]] || die "PostgreSQL binaries not found (run scripts/deps.sh)"
  if pg_ready; then log "postgres already up on 127.0.0.1:$pg_port"; return; fi
  require_free_port postgres "$pg_port"
  mkdir -p "$pg_dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$pg_dir"
  if [[ $pg_dir != "$run/postgres" ]]; then
    ln -sfn "$pg_dir" "$run/postgres"
    log "postgres data in $pg_dir (the postgres user cannot reach $run)"
  fi
  if [[ ! -f $pg_dir/data/PG_VERSION ]]; then
    as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 \
      || die "initdb failed, see $pg_dir/initdb.log"
  fi
  # fsync off: these are throw-away development and test data. pg_stat_statements counts
  # every statement per query text (the statement budgets of the routes are tested with it;
  # operators read it to see what a flow costs), and how often each was planned
  # (track_planning: a prepared statement should be planned once per connection, not per call).
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 60 \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on" \
    start >/dev/null || die "PostgreSQL did not start, see $pg_dir/postgres.log"
  wait_for postgres 30 pg_ready || die "PostgreSQL not ready, see $pg_dir/postgres.log"
  psql_admin <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$db_user') THEN
    CREATE ROLE $db_user LOGIN CREATEDB PASSWORD '$db_pass';
  END IF;
END \$\$;
SQL
  if [[ -z $(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$db_name'") ]]; then
    psql_admin -c "CREATE DATABASE $db_name OWNER $db_user"
  fi
  # The view lives in its own schema of the main database (migrations and schema dumps of
  # the public schema never see it); pg_read_all_stats lets kemas' role read every row.
  as_pg "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg_dir" -p "$pg_port" -U postgres -d "$db_name" <<SQL
CREATE SCHEMA IF NOT EXISTS monitoring;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements SCHEMA monitoring;
GRANT USAGE ON SCHEMA monitoring TO $db_user;
GRANT pg_read_all_stats TO $db_user;
SQL
  log "postgres up on 127.0.0.1:$pg_port (db $db_name, user $db_user)"
}

postgres_stop() {
  [[ -f $pg_dir/data/postmaster.pid ]] || return 0
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  log "postgres stopped"
}

# ---------------------------------------------------------------- Redis
redis_dir="$run/redis"
redis_ready() { redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; }

redis_start() {
  if redis_ready; then log "redis already up on 127.0.0.1:$redis_port"; return; fi
  require_free_port redis "$redis_port"
  mkdir -p "$redis_dir"
  redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$redis_dir" \
    --save '' --appendonly no --daemonize yes \
    --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" \
    || die "redis-server did not start"
  wait_for redis 20 redis_ready || die "Redis not ready, see $redis_dir/redis.log"
  log "redis up on 127.0.0.1:$redis_port"
}

redis_stop() {
  pid_alive "$redis_dir/redis.pid" || return 0
  local pid; pid=$(cat "$redis_dir/redis.pid")
  redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  wait_for "redis stop" 10 bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
  rm -f "$redis_dir/redis.pid"
  log "redis stopped"
}

# ---------------------------------------------------------------- RabbitMQ
# KEMAS_SVC_AMQP_NODES (default 1) nodes clustered on loopback. Node 1 is kemas@localhost
# with the ports above and its data in rabbitmq/; node K is kemasK@localhost, data in
# rabbitmqK/, each port 10*(K-1) higher. They share the epmd port and the Erlang cookie;
# nodes 2.. join node 1 the first time they start (before kemas declares its quorum
# queues, so every queue gets a replica on every node) and rejoin by themselves later.
mq_nodes=${KEMAS_SVC_AMQP_NODES:-1}
mq_bin=/usr/lib/rabbitmq/bin   # not /usr/sbin: as root that wrapper switches user and cookie
mq_first_node=kemas@localhost

# mq_node K: point the mq_* variables at node K.
mq_node() {
  local k=$1 step=$((10 * ($1 - 1)))
  ((k >= 1 && k <= mq_nodes)) || die "rabbitmq node $k does not exist (KEMAS_SVC_AMQP_NODES=$mq_nodes)"
  mq_k=$k
  if ((k == 1)); then mq_dir="$run/rabbitmq" mq_name=$mq_first_node
  else mq_dir="$run/rabbitmq$k" mq_name="kemas$k@localhost"; fi
  mq_amqp_port=$((amqp_port + step)) mq_mgmt_port=$((mgmt_port + step))
  mq_dist_port=$((dist_port + step)) mq_prom_port=$((dist_port + step + 1))
}
mq_node 1

mq_env() {
  export HOME="$mq_dir/home"
  export RABBITMQ_NODENAME="$mq_name"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$mq_amqp_port"
  export RABBITMQ_DIST_PORT="$mq_dist_port" ERL_EPMD_PORT="$epmd_port" ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_MNESIA_BASE="$mq_dir/mnesia" RABBITMQ_LOG_BASE="$mq_dir/log"
  export RABBITMQ_CONFIG_FILE="$mq_dir/rabbitmq.conf"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$mq_dir/enabled_plugins"
  export RABBITMQ_CONF_ENV_FILE="$mq_dir/rabbitmq-env.conf"
  export RABBITMQ_PID_FILE="$mq_dir/rabbitmq.pid"
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}
mq_ctl() { ( mq_env; "$mq_bin/rabbitmqctl" -n "$mq_name" "$@" ); }
mq_dlq_policy='{"max-length":100000,"overflow":"reject-publish"}'
# Command and event queues: a client's commands and the relay's events are bounded too
# (conf/rabbitmq/definitions.json has the same policy, "kemas-backlog"). A full command queue
# refuses the api's publish (503, nothing accepted); a full event queue leaves the events in the
# outbox until there is room.
mq_backlog_max_length=${KEMAS_SVC_AMQP_QUEUE_MAX_LENGTH:-1000000}
mq_backlog_max_bytes=${KEMAS_SVC_AMQP_QUEUE_MAX_BYTES:-1073741824}
mq_backlog_policy="{\"max-length\":$mq_backlog_max_length,\"max-length-bytes\":$mq_backlog_max_bytes,\"overflow\":\"reject-publish\"}"

mq_ready() {
  curl -fs -m 2 -u "$mq_user:$mq_pass" "http://127.0.0.1:$mq_mgmt_port/api/overview" >/dev/null &&
    (exec 3<>"/dev/tcp/127.0.0.1/$mq_amqp_port") 2>/dev/null
}

# The cookie every node of the cluster shares: node 1's, made on its first start.
mq_cookie() {
  local first="$run/rabbitmq/home/.erlang.cookie"
  mkdir -p "$mq_dir/home"
  if [[ ! -f $first ]]; then
    mkdir -p "$run/rabbitmq/home"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$first"
    chmod 400 "$first"
  fi
  if [[ $mq_dir/home/.erlang.cookie != "$first" && ! -f $mq_dir/home/.erlang.cookie ]]; then
    install -m 400 "$first" "$mq_dir/home/.erlang.cookie"
  fi
}

mq_node_start() {
  if mq_ready; then log "rabbitmq $mq_name already up on 127.0.0.1:$mq_amqp_port"; return; fi
  [[ -x $mq_bin/rabbitmq-server ]] || die "rabbitmq-server not found (run scripts/deps.sh)"
  require_free_port "rabbitmq $mq_name (AMQP)" "$mq_amqp_port"
  require_free_port "rabbitmq $mq_name (management UI)" "$mq_mgmt_port"
  require_free_port "rabbitmq $mq_name (distribution)" "$mq_dist_port"
  require_free_port "rabbitmq $mq_name (Prometheus metrics)" "$mq_prom_port"
  mkdir -p "$mq_dir/log" "$mq_dir/mnesia"
  mq_cookie
  : >"$mq_dir/rabbitmq-env.conf"
  echo '[rabbitmq_management,rabbitmq_prometheus].' >"$mq_dir/enabled_plugins"
  cat >"$mq_dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$mq_amqp_port
management.tcp.ip = 127.0.0.1
management.tcp.port = $mq_mgmt_port
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $mq_prom_port
prometheus.return_per_object_metrics = true
default_user = $mq_user
default_pass = $mq_pass
default_user_tags.administrator = true
loopback_users = none
log.console = false
log.file.level = info
CONF
  (
    mq_env
    exec setsid "$mq_bin/rabbitmq-server" >"$mq_dir/log/stdout.log" 2>&1 </dev/null
  ) &
  echo $! >"$mq_dir/server.pid"
  if ! wait_for rabbitmq 90 mq_ready; then
    tail -n 20 "$mq_dir/log/stdout.log" >&2 || true
    die "RabbitMQ $mq_name not ready after 90 s, see $mq_dir/log/"
  fi
  if ((mq_k > 1)) && [[ ! -f $mq_dir/joined ]]; then
    # Joining resets this node's own (empty) data and takes the cluster's users and policies.
    { mq_ctl -q stop_app && mq_ctl -q join_cluster "$mq_first_node" && mq_ctl -q start_app; } \
      >"$mq_dir/log/join.log" 2>&1 || {
      tail -n 20 "$mq_dir/log/join.log" >&2
      die "rabbitmq $mq_name could not join $mq_first_node, see $mq_dir/log/join.log"
    }
    wait_for rabbitmq 90 mq_ready || die "RabbitMQ $mq_name not ready after joining"
    touch "$mq_dir/joined"
  fi
  if ((mq_k == 1)); then
    # The dead-letter queue is bounded (conf/rabbitmq/definitions.json has the same policy):
    # when full, new dead letters wait in their source queues instead of growing it.
    mq_ctl -q set_policy --apply-to queues --priority 1 \
      kemas-dead-letters '^kemas\.dead-letters$' "$mq_dlq_policy" >/dev/null \
      || die "could not set the dead-letter policy"
    mq_ctl -q set_policy --apply-to queues --priority 1 \
      kemas-backlog '^kemas\.(commands|events)\.' "$mq_backlog_policy" >/dev/null \
      || die "could not set the backlog policy"
  fi
  log "rabbitmq $mq_name up on 127.0.0.1:$mq_amqp_port, management UI http://127.0.0.1:$mq_mgmt_port ($mq_user/$mq_pass)"
}

mq_node_stop() {
  [[ -f $mq_dir/server.pid ]] || return 0
  if pid_alive "$mq_dir/server.pid"; then
    mq_ctl -q stop >/dev/null 2>&1 || true
    kill_pidfile "$mq_dir/server.pid" 10
  fi
  rm -f "$mq_dir/server.pid"
  log "rabbitmq $mq_name stopped"
}

# SIGKILL to the node's whole process group: a crash, as a fault drill wants it.
mq_node_kill() {
  pid_alive "$mq_dir/server.pid" || { log "rabbitmq $mq_name is not running"; return 0; }
  kill -KILL -- "-$(cat "$mq_dir/server.pid")" 2>/dev/null || true
  wait_for "rabbitmq $mq_name gone" 10 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$mq_amqp_port)"
  rm -f "$mq_dir/server.pid"
  log "rabbitmq $mq_name killed"
}

# rabbitmq_ACTION [K]: node K, or every node (started first to last, stopped last to first,
# so node 1, stopped last, boots without waiting for the others next time).
rabbitmq_each() {
  local action=$1 node=${2:-} k
  if [[ -n $node ]]; then mq_node "$node"; "mq_node_$action"; mq_node 1; return; fi
  if [[ $action == start ]]; then
    for ((k = 1; k <= mq_nodes; k++)); do mq_node "$k"; mq_node_start; done
  else
    for ((k = mq_nodes; k >= 1; k--)); do mq_node "$k"; "mq_node_$action"; done
    # The broker starts an epmd of its own (on our private port) that outlives it.
    ( mq_env; epmd -port "$epmd_port" -kill >/dev/null 2>&1 ) || true
  fi
  mq_node 1
}
rabbitmq_start() { rabbitmq_each start "$@"; }
rabbitmq_stop() { rabbitmq_each stop "$@"; }
rabbitmq_kill() { rabbitmq_each kill "$@"; }

# ---------------------------------------------------------------- S3 (s3rver)
s3_dir="$run/s3"
s3_ready() { curl -s -m 2 -o /dev/null "http://127.0.0.1:$s3_port/"; }

s3_start() {
  if s3_ready; then log "s3 already up on 127.0.0.1:$s3_port"; return; fi
  require_free_port s3 "$s3_port"
  local cli="$root/tools/s3/s3-server.js"
  [[ -d $root/tools/s3/node_modules/@20minutes/s3rver ]] || die "S3 test server missing (run scripts/deps.sh)"
  mkdir -p "$s3_dir/data"
  (
    # legacy provider: without it ListObjectsV2 paging answers 500 on node 20 (FACTS.md)
    export NODE_OPTIONS=--openssl-legacy-provider
    exec setsid node "$cli" -d "$s3_dir/data" -a 127.0.0.1 -p "$s3_port" --silent \
      --configure-bucket "$s3_bucket" >"$s3_dir/s3.log" 2>&1 </dev/null
  ) &
  echo $! >"$s3_dir/server.pid"
  wait_for s3 30 s3_ready || die "S3 server not ready, see $s3_dir/s3.log"
  log "s3 up on http://127.0.0.1:$s3_port (bucket $s3_bucket, key $s3_key)"
}

s3_stop() {
  [[ -f $s3_dir/server.pid ]] || return 0
  kill_pidfile "$s3_dir/server.pid" 5
  log "s3 stopped"
}

# ---------------------------------------------------------------- mail sink (aiosmtpd)
# Debian's python3-aiosmtpd; /usr/bin/python3 because a python3 earlier on PATH (pyenv) may
# not see Debian's packages. Each message becomes one file in $mail_dir/maildir/new/.
mail_dir="$run/mail"
mail_ready() { /usr/bin/python3 -c "import smtplib,sys; s=smtplib.SMTP('127.0.0.1', $smtp_port, timeout=2); s.noop(); s.quit()"; }

mail_start() {
  if mail_ready 2>/dev/null; then log "mail sink already up on 127.0.0.1:$smtp_port"; return; fi
  require_free_port "mail sink" "$smtp_port"
  mkdir -p "$mail_dir/maildir/new" "$mail_dir/maildir/cur" "$mail_dir/maildir/tmp"
  (
    exec setsid /usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" \
      -c aiosmtpd.handlers.Mailbox "$mail_dir/maildir" >"$mail_dir/smtp.log" 2>&1 </dev/null
  ) &
  echo $! >"$mail_dir/server.pid"
  wait_for mail 20 mail_ready || die "mail sink not ready, see $mail_dir/smtp.log"
  log "mail sink up on smtp://127.0.0.1:$smtp_port, messages in $mail_dir/maildir/new/"
}

mail_stop() {
  [[ -f $mail_dir/server.pid ]] || return 0
  kill_pidfile "$mail_dir/server.pid" 5
  log "mail sink stopped"
}

# mail_show N: the newest N messages, headers and the plain-text part, oldest first.
mail_show() {
  /usr/bin/python3 - "$mail_dir/maildir" "${1:-5}" <<'PY'
import email, email.policy, mailbox, sys
box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
keyed = sorted(((m.get_date(), k) for k, m in box.iteritems()))[-int(sys.argv[2]):]
for _, key in keyed:
    msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    print("=" * 72)
    for h in ("Date", "From", "To", "Subject"):
        print(f"{h}: {msg[h]}")
    body = msg.get_body(preferencelist=("plain",))
    print()
    print(body.get_content() if body else "(no text part)")
PY
}

# ---------------------------------------------------------------- environment
# The cluster's other nodes, in the form amqp.more_brokers takes: the clients' failover list.
mq_more_brokers() {
  local k list=()
  for ((k = 2; k <= mq_nodes; k++)); do list+=("127.0.0.1:$((amqp_port + 10 * (k - 1)))"); done
  (IFS=,; echo "${list[*]}")
}

write_env() {
  mkdir -p "$run"
  cat >"$run/env" <<ENV
# Written by scripts/services.sh: how kemas reaches the development servers.
KEMAS_ENV=development
KEMAS_POSTGRES_URL=postgresql://$db_user@127.0.0.1:$pg_port/$db_name
KEMAS_POSTGRES_PASSWORD=$db_pass
KEMAS_REDIS_HOST=127.0.0.1
KEMAS_REDIS_PORT=$redis_port
KEMAS_AMQP_HOST=127.0.0.1
KEMAS_AMQP_PORT=$amqp_port
KEMAS_AMQP_USER=$mq_user
KEMAS_AMQP_PASSWORD=$mq_pass
KEMAS_AMQP_MANAGEMENT_URL=http://127.0.0.1:$mgmt_port
KEMAS_SVC_RABBITMQ_METRICS_URL=http://127.0.0.1:$((dist_port + 1))/metrics
$( ((mq_nodes > 1)) && echo "KEMAS_AMQP_MORE_BROKERS=$(mq_more_brokers)")
KEMAS_S3_ENDPOINT=127.0.0.1:$s3_port
KEMAS_S3_ACCESS_KEY=$s3_key
KEMAS_S3_SECRET_KEY=$s3_secret
KEMAS_S3_BUCKET=$s3_bucket
KEMAS_S3_REGION=us-east-1
KEMAS_MAIL_SMTP_URL=smtp://127.0.0.1:$smtp_port
ENV
}

status_line() {
  local name=$1 where=$2; shift 2
  if "$@" >/dev/null 2>&1; then printf '%-9s up    %s\n' "$name" "$where"; else printf '%-9s down  %s\n' "$name" "$where"; fi
}

status() {
  status_line postgres "127.0.0.1:$pg_port" pg_ready
  status_line redis "127.0.0.1:$redis_port" redis_ready
  local k
  for ((k = 1; k <= mq_nodes; k++)); do
    mq_node "$k"
    status_line rabbitmq "$mq_name amqp://127.0.0.1:$mq_amqp_port  ui http://127.0.0.1:$mq_mgmt_port ($mq_user/$mq_pass)" mq_ready
  done
  mq_node 1
  status_line s3 "http://127.0.0.1:$s3_port  bucket $s3_bucket" s3_ready
  status_line mail "smtp://127.0.0.1:$smtp_port  messages in $mail_dir/maildir/new/" mail_ready
}

mq_all_ready() {
  local k
  for ((k = 1; k <= mq_nodes; k++)); do mq_node "$k"; mq_ready || { mq_node 1; return 1; }; done
  mq_node 1
}
all_up() { pg_ready && redis_ready && mq_all_ready && s3_ready && mail_ready; }

one() {
  local action=$1 name=${2:-} node=${3:-}
  case $action:$name in
    kill:rabbitmq | start:rabbitmq | stop:rabbitmq) "rabbitmq_$action" $node ;;
    kill:*) die "kill is for rabbitmq nodes (a crash drill): kill rabbitmq [N]" ;;
    *:postgres | *:redis | *:s3 | *:mail) "${name}_${action}" ;;
    *) die "unknown server '$name' (postgres | redis | rabbitmq | s3 | mail)" ;;
  esac
}

case ${1:-} in
  up)
    write_env
    # RabbitMQ is the slow one: start it first, bring the others up while it boots.
    rabbitmq_start & mq_job=$!
    postgres_start
    redis_start
    s3_start
    mail_start
    wait "$mq_job" || die "RabbitMQ failed to start"
    log "all up; environment in $run/env"
    ;;
  down)
    mail_stop; s3_stop; redis_stop; postgres_stop; rabbitmq_stop ;;
  status)
    status; all_up ;;
  start | stop | kill)
    write_env; one "$1" "${2:-}" "${3:-}" ;;
  rabbitmqctl)
    # rabbitmqctl against node N of these servers (KEMAS_SVC_AMQP_NODE, default 1), with the
    # node's cookie: /usr/sbin/rabbitmqctl as root would use the system's.
    shift; mq_node "${KEMAS_SVC_AMQP_NODE:-1}"; mq_ctl "$@" ;;
  env)
    write_env; cat "$run/env" ;;
  mail)
    mail_show "${2:-5}" ;;
  *)
    sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
