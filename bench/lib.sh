# shellcheck shell=bash disable=SC2154,SC2034  # $root comes from the sourcing script; bench_nginx_pid goes back to it
# Sourced by the bench scripts (needs $root, the checkout): the servers of scripts/services.sh
# and nginx as the HTTP baseline.

bench_started_services=0

# Starts the servers when they are down (bench_services_down stops them again then) and
# exports what .run/env says about them.
bench_services_up() {
  if ! "$root/scripts/services.sh" status > /dev/null 2>&1 || [[ ! -f $root/.run/env ]]; then
    "$root/scripts/services.sh" up > /dev/null
    bench_started_services=1
  fi
  set -a
  # shellcheck disable=SC1091
  . "$root/.run/env"
  set +a
}

bench_services_down() {
  if [[ $bench_started_services == 1 ]]; then
    "$root/scripts/services.sh" down > /dev/null 2>&1 || true
  fi
}

# nginx (1 worker, no access log) answering every path with 200 and /healthz's JSON body, on
# 127.0.0.1:$1 with its files in $2; sets bench_nginx_pid.
bench_start_nginx() {
  local port=$1 dir=$2
  cat > "$dir/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/nginx.error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$port;
    location / { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
NGINX
  nginx -c "$dir/nginx.conf" -p "$dir" &
  bench_nginx_pid=$!
}
