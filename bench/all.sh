#!/usr/bin/env bash
# Issue 11's rows in one run: each bench measures its own baseline in the same run, and this
# script runs them one after the other and prints one table of ratios at the end.
#
#   bench/all.sh [build dir (default: build)]
#
# Rows and where they come from:
#   1  GET /healthz vs nginx `return 200`             bench/http_ratio.sh (wrk, nginx-light)
#   2  authenticated list (5 files) vs nginx          bench/list_ratio.sh
#   3  4 KiB uploads/s, 8 clients, vs S3 PUTs/s       kemas_upload_bench --clients 8
#   4  list of 100,000 files vs one of 10 (p99)      bench/list_ratio.sh
#   5  1 GiB upload vs one streamed S3 PUT            kemas_upload_bench --size-mib 1024
#   6  100,000 due expiries vs one set-based UPDATE   kemas_sweep_bench
#   7  200 stalled downloads vs a normal download     the slow_readers integration test
# Needs the servers of scripts/services.sh (started here when down, then stopped again) and
# the targets kemas-api, kemas-worker, kemas-admin, kemas_upload_bench, kemas_sweep_bench and
# kemas_it_slow_readers_test in the build dir (built here). Takes ~6 minutes. Each bench's
# whole output is kept in <build>/bench/all.<row>.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
logs="$build/bench"
mkdir -p "$logs"

cmake --build "$build" --target kemas-api kemas-worker kemas-admin kemas_upload_bench \
  kemas_sweep_bench kemas_it_slow_readers_test > "$logs/all.build.log"

# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
trap bench_services_down EXIT
bench_services_up

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "kemas bench, all rows: $(nproc) cores, commit $(git -C "$root" rev-parse --short HEAD)," \
  "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(load)"

echo "row 1: bench/http_ratio.sh ..."
ROUNDS=${ROUNDS:-2} "$root/bench/http_ratio.sh" "$build/app/kemas-api" > "$logs/all.http.log" 2>&1
echo "rows 2 and 4: bench/list_ratio.sh ..."
ROUNDS=${ROUNDS:-2} "$root/bench/list_ratio.sh" "$build/app/kemas-api" > "$logs/all.list.log" 2>&1 || true
echo "rows 3 and 5: kemas_upload_bench --size-mib 1024 --clients 8 ..."
"$build/bench/kemas_upload_bench" --size-mib 1024 --clients 8 > "$logs/all.upload.log" 2>&1
echo "row 6: kemas_sweep_bench (100,000 accounts) ..."
"$build/bench/kemas_sweep_bench" > "$logs/all.sweep.log" 2>&1
echo "row 7: slow_readers_test ..."
slow_status=passed
(cd "$build" && ctest -V -R 'slow_readers_test' --timeout 300) > "$logs/all.slow.log" 2>&1 ||
  slow_status=FAILED

# The figures, taken from each bench's own summary lines.
healthz=$(awk '/ of nginx/ {print $2 "x (" $6 " vs " $8 " req/s)"}' "$logs/all.http.log" | tail -1)
list=$(grep -o 'vs nginx: .*' "$logs/all.list.log" | sed 's/^vs nginx: //' | tail -1)
growth=$(grep -o 'files vs 10: .*' "$logs/all.list.log" | sed 's/^files vs 10: //' | tail -1)
small=$(grep -o '8 clients [0-9.]* uploads/s vs [0-9.]* PUTs/s = [0-9.]*x' "$logs/all.upload.log" | tail -1)
small_p=$(awk '/api 201, 8 clients/ {print "p50 " $6 " ms, p99 " $8 " ms"}' "$logs/all.upload.log")
large=$(grep -o 'api [0-9.]* MB/s vs S3 PUT [0-9.]* MB/s = [0-9.]*x, api RSS +[0-9.]* MiB' \
  "$logs/all.upload.log" | tail -1)
sweep=$(grep -o 'downgrades [0-9]* accounts in [0-9.]* s ([0-9]* accounts/s) = [0-9.]*x the bare UPDATE' \
  "$logs/all.sweep.log" | tail -1)
slow=$(grep -o 'download of 8 MiB: .*' "$logs/all.slow.log" | tail -1)

echo
printf '%-4s %-44s %s\n' row figure "measured (goal)"
printf '%-4s %-44s %s\n' 1 "GET /healthz vs nginx" "${healthz:-no result, see all.http.log} (>= 0.85)"
printf '%-4s %-44s %s\n' 2 "authenticated list vs nginx" "${list:-no result, see all.list.log} (>= 0.25)"
printf '%-4s %-44s %s\n' 3 "4 KiB uploads, 8 clients, vs S3 PUTs" "${small:-no result, see all.upload.log}; ${small_p} (>= 0.6)"
printf '%-4s %-44s %s\n' 4 "list of 100,000 files vs one of 10" "${growth:-no result, see all.list.log} (p99 within 2x)"
printf '%-4s %-44s %s\n' 5 "1 GiB upload vs streamed S3 PUT" "${large:-no result, see all.upload.log} (>= 0.9)"
printf '%-4s %-44s %s\n' 6 "100,000 due expiries" "${sweep:-no result, see all.sweep.log} (<= 20 s)"
printf '%-4s %-44s %s\n' 7 "200 stalled downloads" "$slow_status: ${slow:-see all.slow.log} (unaffected)"
echo "load average at the end: $(load); logs in $logs/all.*.log"
