#!/usr/bin/env bash
# Builds handinger-cpp and runs every test through ctest.
#   scripts/test.sh              g++ build in build/
#   scripts/test.sh --sanitize   clang + address,undefined sanitizers in build-sanitize/
#   scripts/test.sh --tsan       clang + ThreadSanitizer in build-tsan/: the client
#                                test files with tests that run an io_context on
#                                several threads (only their binary is built)
# Extra arguments after -- go to ctest (e.g. scripts/test.sh -- -R sim).
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=0
tsan=0
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=1 ;;
    --tsan) tsan=1 ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "test.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done

if [ $sanitize -eq 1 ] && [ $tsan -eq 1 ]; then
  echo "test.sh: --sanitize and --tsan exclude each other" >&2
  exit 2
fi

targets=()
if [ $tsan -eq 1 ]; then
  scripts/deps.sh --sanitize
  dir=build-tsan
  cfg=(-DCMAKE_CXX_COMPILER=clang++ -DHANDINGER_TSAN=ON -DHANDINGER_BUILD_CLI=OFF
       -DHANDINGER_BUILD_EXAMPLES=OFF -DHANDINGER_BUILD_BENCH=OFF)
  targets=(--target handinger_client_tests)
  # test/tsan.supp says what is suppressed and why; a report fails the test.
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/test/tsan.supp}
  # The TSan build's client binary holds only the files with tests whose
  # io_context several threads run (test/CMakeLists.txt lists them, the one
  # place that does); all of their tests run, with the default concurrency
  # hint (the "client serial:" copies are the same tests; doctest_discover_tests
  # drops the space after the prefix).
  if [ ${#ctest_args[@]} -eq 0 ]; then
    ctest_args=(-R "^client:")
  fi
elif [ $sanitize -eq 1 ]; then
  scripts/deps.sh --sanitize
  dir=build-sanitize
  # No benchmarks here: no test runs them, and the g++ build compiles them.
  cfg=(-DCMAKE_CXX_COMPILER=clang++ -DHANDINGER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
       -DHANDINGER_BUILD_BENCH=OFF)
  # The "client serial:" copies (the same tests on io_contexts with
  # concurrency hint 1) run in the g++ build only: under the sanitizers they
  # would double the longest part of the run for code the default-hint copies
  # already drive (HANDINGER_SANITIZE_ALL=1 runs them too).
  if [ ${#ctest_args[@]} -eq 0 ] && [ "${HANDINGER_SANITIZE_ALL:-0}" != 1 ]; then
    ctest_args=(-E "^client serial:")
  fi
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
  scripts/deps.sh
  dir=build
  cfg=()
fi

export CCACHE_BASEDIR="$PWD"
cmake -S . -B "$dir" -G Ninja "${cfg[@]}" >/dev/null
cmake --build "$dir" "${targets[@]}"
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs" --timeout 300 "${ctest_args[@]}"
