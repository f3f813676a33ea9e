#!/usr/bin/env bash
# Configures and builds kemas into build/ (Ninja, ccache). Extra arguments go to
# `cmake --build` (e.g. --target kemas-api).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${KEMAS_BUILD_DIR:-$root/build}"
if [[ ! -f $build/build.ninja ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${KEMAS_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
fi
cmake --build "$build" -j"$(nproc)" "$@"
