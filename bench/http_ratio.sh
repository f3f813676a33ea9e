#!/usr/bin/env bash
# The HTTP front end against the machine's ceiling: wrk drives GET /healthz on kemas-api and
# the same request on nginx (Debian's nginx-light, 1 worker, `return 200` with the same JSON
# body) with the same load, one after the other, several rounds alternating so drift in the
# machine's load hits both; prints req/s and latency of each and the ratio api/nginx.
# First row of issue 11's bench; the other rows come with their changes.
#
#   bench/http_ratio.sh [kemas-api binary ...]   (default: build/app/kemas-api)
#
# Several binaries (e.g. one built from an older commit) are measured in the same rounds, so
# their ratios compare. Needs the servers of scripts/services.sh (started here when down;
# then stopped again) and a migrated database (`kemas-admin migrate`, as scripts/run.sh does).
# Knobs: CONNECTIONS (64), THREADS (2), SECONDS_PER_RUN (10), ROUNDS (3), KEMAS_LOG_LEVEL.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
seconds=${SECONDS_PER_RUN:-10}
rounds=${ROUNDS:-3}
binaries=("$@")
[[ ${#binaries[@]} -gt 0 ]] || binaries=("$root/build/app/kemas-api")
for b in "${binaries[@]}"; do [[ -x $b ]] || { echo "no such binary: $b" >&2; exit 2; }; done
command -v wrk > /dev/null && command -v nginx > /dev/null || {
  echo "needs wrk and nginx-light: apt-get install -y wrk nginx-light" >&2
  exit 2
}

work=$(mktemp -d)
pids=()
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bench_services_down
  rm -rf "$work"
}
trap cleanup EXIT
bench_services_up
export KEMAS_CONFIG="$root/conf/kemas.toml" KEMAS_LOG_FORMAT=json
export KEMAS_LOG_LEVEL=${KEMAS_LOG_LEVEL:-info}
export KEMAS_HTTP_HOST=127.0.0.1
admin="$root/build/app/admin/kemas-admin"
[[ -x $admin ]] && "$admin" migrate > /dev/null 2>&1 || true

nginx_port=28081  # below the ephemeral range (32768-60999): an outgoing connection cannot hold it
bench_start_nginx "$nginx_port" "$work"
pids+=("$bench_nginx_pid")

api_ports=()
for i in "${!binaries[@]}"; do
  port=$((28090 + i))
  KEMAS_HTTP_PORT=$port "${binaries[$i]}" 2> "$work/api$i.log" &
  pids+=($!)
  api_ports+=("$port")
done
for port in "$nginx_port" "${api_ports[@]}"; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done
done

# req/s p50 p99 of one wrk run against $1.
# The binary's path, its last 40 characters when longer.
label() {
  local path=$1
  ((${#path} > 40)) && path=${path: -40}
  echo "$path"
}

measure() {
  wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:$1/healthz" \
    | awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print rps, p50, p99}'
}

echo "GET /healthz, wrk -t$threads -c$connections -d${seconds}s, $rounds rounds, $(nproc) cores," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg), log level $KEMAS_LOG_LEVEL"
results="$work/results"  # one line per run: target req/s
for r in $(seq "$rounds"); do
  read -r rps p50 p99 < <(measure "$nginx_port")
  printf 'round %d  %-40s %10.0f req/s  p50 %-8s p99 %s\n' "$r" "nginx return 200" "$rps" "$p50" "$p99"
  echo "nginx $rps" >> "$results"
  for i in "${!binaries[@]}"; do
    read -r rps p50 p99 < <(measure "${api_ports[$i]}")
    printf 'round %d  %-40s %10.0f req/s  p50 %-8s p99 %s\n' "$r" "$(label "${binaries[$i]}")" "$rps" "$p50" "$p99"
    echo "$i $rps" >> "$results"
  done
done
echo
for i in "${!binaries[@]}"; do
  awk -v i="$i" -v name="$(label "${binaries[$i]}")" '
    $1 == "nginx" {n += $2} $1 == i {a += $2; runs++}
    END {printf "%-40s %.2f of nginx (mean %.0f vs %.0f req/s)\n", name, a / n, a / runs, n / runs}' \
    "$results"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
