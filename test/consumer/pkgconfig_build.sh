#!/usr/bin/env bash
# Builds the consumer program (main.cpp, umbrella.cpp) with the compiler and
# `pkg-config --cflags --libs handinger` alone, no CMake:
#   pkgconfig_build.sh SOURCE_DIR OUT_BINARY
# PKG_CONFIG_PATH says where handinger.pc is. Prints the flags.
set -euo pipefail
src=$1 out=$2
flags=$(pkg-config --cflags --libs handinger)
echo "pkg-config --cflags --libs handinger: $flags"
modversion=$(pkg-config --modversion handinger)
want=$(sed -n 's/^project(handinger VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[ "$modversion" = "$want" ] || { echo "handinger.pc says version $modversion, the project $want" >&2; exit 1; }
compiler=(c++)
command -v ccache >/dev/null && compiler=(ccache c++)
# shellcheck disable=SC2086 # the flags are words
"${compiler[@]}" -std=c++20 -O1 -o "$out" "$src/test/consumer/main.cpp" "$src/test/consumer/umbrella.cpp" $flags
