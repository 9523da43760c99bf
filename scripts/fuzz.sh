#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz/) with clang in build-fuzz/ and runs
# each one for a bounded time over a copy of its checked-in seed corpus.
#   scripts/fuzz.sh                       every handinger_fuzz_* target, 60 s each
#   scripts/fuzz.sh --seconds 20          20 s each
#   scripts/fuzz.sh json url              only these (handinger_fuzz_json, ...)
#   scripts/fuzz.sh --keep DIR ...        keep the grown corpora in DIR/<name>/
# The targets are found in the build (every CMake target named
# handinger_fuzz_*), their seeds in test/fuzz/corpus/<name>/ and an optional
# dictionary in test/fuzz/<name>.dict. New inputs go to a scratch directory,
# never into the repository. Exits non-zero when a target finds a crash, a
# leak or a timeout (the reproducer's path is printed: rerun the target on it
# to see the report again).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=60
keep=""
wanted=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:?--seconds needs a number}; shift ;;
    --seconds=*) seconds=${1#--seconds=} ;;
    --keep) keep=${2:?--keep needs a directory}; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option '$1'" >&2; exit 2 ;;
    *) wanted+=("${1#handinger_fuzz_}") ;;
  esac
  shift
done
case "$seconds" in
  ''|*[!0-9]*|0) echo "fuzz.sh: --seconds wants a positive whole number, not '$seconds'" >&2; exit 2 ;;
esac

scripts/deps.sh --sanitize
export CCACHE_BASEDIR="$root"
dir=build-fuzz
build_start=$(date +%s)
# Only what the fuzz targets need: no simulator, CLI, examples or benchmarks.
cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DHANDINGER_FUZZ=ON \
  -DHANDINGER_BUILD_SIM=OFF -DHANDINGER_BUILD_CLI=OFF -DHANDINGER_BUILD_EXAMPLES=OFF \
  -DHANDINGER_BUILD_BENCH=OFF >/dev/null

# Every CMake target named handinger_fuzz_<name> (ninja lists each as a phony
# alias of its executable).
mapfile -t all < <(ninja -C "$dir" -t targets all | sed -n 's/^handinger_fuzz_\([A-Za-z0-9_]*\): phony$/\1/p' |
                   grep -v '^boost_' | sort -u)
if [ ${#all[@]} -eq 0 ]; then
  echo "fuzz.sh: no handinger_fuzz_* target in $dir (is clang++ the compiler?)" >&2
  exit 1
fi
if [ ${#wanted[@]} -eq 0 ]; then
  targets=("${all[@]}")
else
  targets=()
  for w in "${wanted[@]}"; do
    if ! printf '%s\n' "${all[@]}" | grep -qx -- "$w"; then
      echo "fuzz.sh: no fuzz target '$w' (there are: ${all[*]})" >&2
      exit 2
    fi
    targets+=("$w")
  done
fi

ninja -C "$dir" "${targets[@]/#/handinger_fuzz_}"
echo "fuzz.sh: built ${targets[*]} in $(( $(date +%s) - build_start )) s"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/handinger-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
artifacts="$root/$dir/fuzz-artifacts"
mkdir -p "$artifacts"

# Reports go to the terminal as usual; each target's log is kept for the
# summary. A sanitizer report ends the run of that target at once.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0
summary=()
for t in "${targets[@]}"; do
  exe="$dir/test/fuzz/handinger_fuzz_$t"
  corpus="$scratch/corpus/$t"
  mkdir -p "$corpus" "$artifacts/$t"
  if [ -d "test/fuzz/corpus/$t" ]; then
    cp -R "test/fuzz/corpus/$t/." "$corpus/"
  fi
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -error_exitcode=77 -timeout_exitcode=70 -artifact_prefix="$artifacts/$t/")
  [ -f "test/fuzz/$t.dict" ] && args+=(-dict="test/fuzz/$t.dict")
  log="$scratch/$t.log"
  echo "fuzz.sh: handinger_fuzz_$t for $seconds s ($(ls "$corpus" | wc -l) seeds)"
  start=$(date +%s)
  set +e
  "$exe" "${args[@]}" "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  [ -n "$execs" ] || execs=0
  artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    result="ok"
  else
    failed=1
    case $rc in
      70) result="TIMEOUT" ;;
      77) result="CRASH" ;;
      *) result="FAILED (exit $rc)" ;;
    esac
    grep -q 'ERROR: LeakSanitizer' "$log" && result="LEAK"
    grep -q 'runtime error:' "$log" && result="UNDEFINED BEHAVIOUR"
    # The report itself: the sanitizer's or the target's own words.
    sed -n '/^==[0-9]*==ERROR\|runtime error\|^fuzz_[a-z_]*: \|ALARM: working on the last Unit/,/^SUMMARY/p' "$log" | head -60
    [ -n "$artifact" ] && result+=": $artifact (rerun: $exe $artifact)"
  fi
  if [ -n "$keep" ]; then
    mkdir -p "$keep/$t"
    cp -R "$corpus/." "$keep/$t/"
  fi
  line=$(printf '%-8s %10s execs in %4s s (%s/s), corpus %s: %s' "$t" "$execs" "$took" \
         "$(( execs / (took > 0 ? took : 1) ))" "$(ls "$corpus" | wc -l)" "$result")
  echo "fuzz.sh: $line"
  summary+=("$line")
done

echo "fuzz.sh: summary"
printf '  %s\n' "${summary[@]}"
exit $failed
