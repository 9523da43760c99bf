#!/usr/bin/env bash
# Builds the consumer project against handinger-cpp both ways and runs it
# against the simulator:
#   run.sh SOURCE_DIR BUILD_DIR SIM_BINARY
# 1. `cmake --install BUILD_DIR` into a temporary prefix, then the consumer
#    with find_package(handinger) from that prefix;
# 2. the consumer with add_subdirectory(SOURCE_DIR);
# 3. the consumer compiled and linked with `pkg-config --cflags --libs
#    handinger` from that prefix (the installed handinger.pc), no CMake.
# The second build compiles the library again; it lives under BUILD_DIR so
# that ccache (CCACHE_BASEDIR = SOURCE_DIR) serves it on later runs.
set -euo pipefail
src=$1 build=$2 sim=$3
work=$build/consumer-check
rm -rf "$work/prefix" "$work/find" "$work/pc" # the subdirectory build is kept: incremental
mkdir -p "$work"
export CCACHE_BASEDIR=$src

echo "== install into $work/prefix"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/lib/cmake/handinger/handingerConfig.cmake"
test -f "$work/prefix/include/handinger/client.hpp"
test -f "$work/prefix/include/handinger/handinger.hpp"
test -f "$work/prefix/include/handinger/version.hpp"
test -f "$work/prefix/lib/pkgconfig/handinger.pc"
grep -qx "prefix=$work/prefix" "$work/prefix/lib/pkgconfig/handinger.pc"
test -x "$work/prefix/bin/handinger"

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
for mode in find_package subdirectory; do
  dir=$work/find
  [ $mode = subdirectory ] && dir=$work/sub
  echo "== consumer via $mode"
  cmake -S "$src/test/consumer" -B "$dir" -G Ninja "${launcher[@]}" -DHANDINGER_CONSUMER_MODE=$mode \
    -DCMAKE_PREFIX_PATH="$work/prefix" -DHANDINGER_SOURCE_DIR="$src" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$dir"
  "$src/examples/run_with_sim.sh" "$sim" --pending-ms 50 --turn-ms 50 -- "$dir/consumer"
done
echo "== consumer via pkg-config"
mkdir -p "$work/pc"
PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" "$src/test/consumer/pkgconfig_build.sh" "$src" "$work/pc/consumer"
"$src/examples/run_with_sim.sh" "$sim" --pending-ms 50 --turn-ms 50 -- "$work/pc/consumer"
echo "consumer: the three ways built and ran"
