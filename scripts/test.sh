#!/usr/bin/env bash
# Builds handinger-cpp and runs every test through ctest.
#   scripts/test.sh              g++ build in build/
#   scripts/test.sh --sanitize   clang + address,undefined sanitizers in build-sanitize/
# Extra arguments after -- go to ctest (e.g. scripts/test.sh -- -R sim).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=0
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=1 ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "test.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

if [ $sanitize -eq 1 ]; then
  scripts/deps.sh --sanitize
  dir=build-sanitize
  cfg=(-DCMAKE_CXX_COMPILER=clang++ -DHANDINGER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
  scripts/deps.sh
  dir=build
  cfg=()
fi

export CCACHE_BASEDIR="$PWD"
cmake -S . -B "$dir" -G Ninja "${cfg[@]}" >/dev/null
cmake --build "$dir"
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300 "${ctest_args[@]}"
