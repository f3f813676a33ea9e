#!/usr/bin/env bash
# The file list under load: rows 2 and 4 of issue 11's bench.
#   row 2: authenticated GET /api/v1/auth/files/list of a user with 5 files, wrk -c64, against
#          nginx `return 200` (1 worker) with the same load, in alternating rounds;
#   row 4: how the list's cost grows: limit=50 for a user with 100,000 files against one with
#          10 files, wrk -c16 each, p50/p99 side by side.
#
#   bench/list_ratio.sh [kemas-api binary]   (default: build/app/kemas-api)
#
# Runs against a scratch database (kemas_bench_list_<hex>, migrated by kemas-admin, dropped at
# the end; the development database is not touched). The users are registered and logged in
# through the api (a real JWT and session); their files are rows inserted by one
# INSERT ... SELECT generate_series (the list reads PostgreSQL only, so no object is needed)
# with users.file_count and used_bytes set to match. Rate limits are raised so the limiter
# never answers 429. Knobs: SECONDS_PER_RUN (10), ROUNDS (2), MANY_FILES (100000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
api=${1:-$root/build/app/kemas-api}
admin=$(dirname "$api")/admin/kemas-admin
seconds=${SECONDS_PER_RUN:-10}
rounds=${ROUNDS:-2}
many=${MANY_FILES:-100000}
[[ -x $api && -x $admin ]] || { echo "needs $api and $admin (build them first)" >&2; exit 2; }
command -v wrk > /dev/null && command -v nginx > /dev/null || {
  echo "needs wrk and nginx-light: apt-get install -y wrk nginx-light" >&2
  exit 2
}

# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
work=$(mktemp -d)
pids=()
database=""
base_url=""
sql() { PGPASSWORD=$KEMAS_POSTGRES_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -At "$1" -c "$2"; }
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n $database ]] && sql "$base_url/kemas" "DROP DATABASE IF EXISTS $database" > /dev/null 2>&1
  bench_services_down
  rm -rf "$work"
}
trap cleanup EXIT
bench_services_up
base_url=${KEMAS_POSTGRES_URL%/*}
database=kemas_bench_list_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
sql "$base_url/kemas" "CREATE DATABASE $database" > /dev/null
export KEMAS_POSTGRES_URL=$base_url/$database
export KEMAS_CONFIG="$root/conf/kemas.toml" KEMAS_LOG_FORMAT=json KEMAS_LOG_LEVEL=warn
export KEMAS_HTTP_HOST=127.0.0.1 KEMAS_HTTP_PORT=28095  # ports below the ephemeral range
export KEMAS_RATELIMIT_GENERAL_LIMIT=1000000 KEMAS_RATELIMIT_AUTH_LIMIT=1000000
"$admin" migrate > "$work/migrate.log" 2>&1 || { cat "$work/migrate.log" >&2; exit 2; }

nginx_port=28082
bench_start_nginx "$nginx_port" "$work"
pids+=("$bench_nginx_pid")
"$api" 2> "$work/api.log" &
pids+=($!)
for port in "$nginx_port" "$KEMAS_HTTP_PORT"; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.1; done
done
api_url=http://127.0.0.1:$KEMAS_HTTP_PORT

# Registers and logs in one user; prints the access token.
token_for() {
  local name=$1 password="Bench-list-$RANDOM$RANDOM!"
  curl -sf -XPOST "$api_url/api/v1/user/register" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$name@bench.test\",\"username\":\"$name\",\"password\":\"$password\"}" > /dev/null
  curl -sf -XPOST "$api_url/api/v1/user/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$name@bench.test\",\"password\":\"$password\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
# Gives the user named $1 $2 files of 4 KiB, the newest last.
add_files() {
  sql "$KEMAS_POSTGRES_URL" "
    WITH u AS (SELECT id FROM users WHERE username = '$1')
    INSERT INTO files (id, owner_id, name, size_bytes, sha256, object_key, created_at)
    SELECT f.id, u.id, 'file-' || f.g || '.txt', 4096, repeat('ab', 32),
           'u/' || u.id || '/' || f.id, now() - (($2 - f.g) || ' seconds')::interval
      FROM u, (SELECT gen_random_uuid() AS id, g FROM generate_series(1, $2) g) f;
    UPDATE users SET file_count = $2, used_bytes = 4096::bigint * $2 WHERE username = '$1';
    ANALYZE files;" > /dev/null
}
few_token=$(token_for bench_few)
ten_token=$(token_for bench_ten)
many_token=$(token_for bench_many)
add_files bench_few 5
add_files bench_ten 10
add_files bench_many "$many"

# Every answer must be a 200 with the right total before anything is timed.
check_total() {
  local total
  total=$(curl -sf "$api_url/api/v1/auth/files/list?limit=50" -H "Authorization: Bearer $1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')
  [[ $total == "$2" ]] || { echo "list answered total $total, expected $2" >&2; exit 1; }
}
check_total "$few_token" 5
check_total "$ten_token" 10
check_total "$many_token" "$many"

# req/s p50 p99 non-2xx of one wrk run: $1 url, $2 connections, $3 token (or empty).
measure() {
  local header=()
  [[ -n $3 ]] && header=(-H "Authorization: Bearer $3")
  wrk -t2 -c"$2" -d"${seconds}s" --latency "${header[@]}" "$1" |
    awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
         /Non-2xx/ {bad=$NF} END {print rps, p50, p99, bad + 0}'
}
row() { printf 'round %d  %-44s %9.0f req/s  p50 %-8s p99 %-8s non-2xx %s\n' "$@"; }

echo "file list, wrk -t2 -d${seconds}s, $rounds rounds, $(nproc) cores," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
results="$work/results"
for r in $(seq "$rounds"); do
  read -r rps p50 p99 bad < <(measure "http://127.0.0.1:$nginx_port/" 64 "")
  row "$r" "nginx return 200, -c64" "$rps" "$p50" "$p99" "$bad"; echo "nginx $rps" >> "$results"
  read -r rps p50 p99 bad < <(measure "$api_url/api/v1/auth/files/list" 64 "$few_token")
  row "$r" "list, 5 files, -c64" "$rps" "$p50" "$p99" "$bad"; echo "few $rps $bad" >> "$results"
  read -r rps p50 p99 bad < <(measure "$api_url/api/v1/auth/files/list?limit=50" 16 "$ten_token")
  row "$r" "list limit=50, 10 files, -c16" "$rps" "$p50" "$p99" "$bad"
  echo "ten $rps $p99 $bad" >> "$results"
  read -r rps p50 p99 bad < <(measure "$api_url/api/v1/auth/files/list?limit=50" 16 "$many_token")
  row "$r" "list limit=50, $many files, -c16" "$rps" "$p50" "$p99" "$bad"
  echo "many $rps $p99 $bad" >> "$results"
done
echo
# wrk prints latencies with units (us, ms, s); compare them in milliseconds.
awk -v many="$many" '
  function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; return v * 1000 }
  $1 == "nginx" {n += $2; rounds++} $1 == "few" {f += $2; bad += $3}
  $1 == "ten" {t += $2; tp += ms($3); bad += $4} $1 == "many" {m += $2; mp += ms($3); bad += $4}
  END {
    printf "list (5 files) vs nginx: %.2fx (mean %.0f vs %.0f req/s)\n", f / n, f / rounds, n / rounds
    printf "list of %d files vs 10: p99 %.2fx (%.1f vs %.1f ms), %.0f vs %.0f req/s\n",
           many, mp / tp, mp / rounds, tp / rounds, m / rounds, t / rounds
    if (bad > 0) { printf "non-2xx answers: %d\n", bad; exit 1 }
  }' "$results"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
