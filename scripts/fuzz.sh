#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz) with clang, AddressSanitizer and UBSan in their own
# tree and runs each from its committed seed corpus.
#   scripts/fuzz.sh [seconds per target, default 600] [target ...]   (targets: multipart, ...)
#   scripts/fuzz.sh 0 [target ...]   builds the targets and runs none (CI builds them early)
# Targets run KEMAS_FUZZ_JOBS (default: the number of cores) at a time.
# A crash stops that target: its input is left in build-fuzz/crashes/<target>/ — turn it into
# a regression test (and commit it to test/fuzz/corpus/<target>/). Exits non-zero when any
# target found something. Found inputs that add coverage go to build-fuzz/corpus/<target>
# (a working copy; the committed seeds stay as they are).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KEMAS_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(multipart byte_range file_name base64_time command_envelope config http_request json_body s3_xml)
fi

if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DKEMAS_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target $(printf 'fuzz_%s ' "${targets[@]}")
# libFuzzer reads -max_total_time=0 as "no limit": 0 here means build only.
[[ $seconds == 0 ]] && exit 0

# One target per core at a time (KEMAS_FUZZ_JOBS): each is a single process, busy all along.
jobs=${KEMAS_FUZZ_JOBS:-$(nproc)}

# fuzz_one TARGET: runs it; its report goes out in one piece when it is done.
fuzz_one() {
  local t=$1 log="$build/fuzz_$1.log" status=0
  mkdir -p "$build/corpus/$t" "$build/crashes/$t"
  if ! "$build/test/fuzz/fuzz_$t" "$build/corpus/$t" "$root/test/fuzz/corpus/$t" \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$build/crashes/$t/" -print_final_stats=1 >"$log" 2>&1; then
    status=1
  fi
  local report
  report=$(
    echo "fuzz: $t for ${seconds}s"
    if ((status != 0)); then
      echo "fuzz: $t FOUND A PROBLEM (see $log and $build/crashes/$t/)"
      tail -40 "$log"
    fi
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)|^#[0-9]+.*DONE' "$log" |
      sed "s/^/fuzz: $t: /" || true
  )
  printf '%s\n' "$report"
  return "$status"
}

status=0
running=()
for t in "${targets[@]}"; do
  if ((${#running[@]} >= jobs)); then
    wait "${running[0]}" || status=1
    running=("${running[@]:1}")
  fi
  fuzz_one "$t" & running+=($!)
done
for pid in "${running[@]}"; do wait "$pid" || status=1; done
exit "$status"
