#!/usr/bin/env bash
# The Debian package of handinger-cpp, made from the built tree and checked
# without touching the system:
#   package.sh SOURCE_DIR BUILD_DIR SIM_BINARY
# 1. `cpack -G DEB` from BUILD_DIR (nothing is rebuilt: cpack installs what
#    is built);
# 2. its metadata (dpkg-deb -I): name, version, maintainer, and Depends
#    naming packages that exist (each is installed here: the build needed
#    them);
# 3. its files (dpkg-deb -c): headers under /usr/include/handinger, the
#    library, CMake package and handinger.pc under /usr/lib, /usr/bin/handinger;
# 4. `dpkg -x` into a scratch root; its handinger --version; the consumer
#    built against that root with find_package (CMAKE_PREFIX_PATH) and with
#    pkg-config (a copy of the .pc whose prefix is the root's: it says /usr),
#    each run against the simulator.
set -euo pipefail
src=$1 build=$2 sim=$3
work=$build/package-check
rm -rf "$work/pkg" "$work/root" "$work/find" "$work/pc"
mkdir -p "$work/pkg" "$work/root"
export CCACHE_BASEDIR=$src
version=$(sed -n 's/^project(handinger VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
fail() { echo "package: $*" >&2; exit 1; }

echo "== cpack -G DEB"
(cd "$work/pkg" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >cpack.log) ||
  { cat "$work/pkg/cpack.log" >&2; fail "cpack failed"; }
debs=("$work"/pkg/handinger-cpp_"$version"_*.deb)
[ -f "${debs[0]}" ] || fail "no handinger-cpp_${version}_*.deb in $work/pkg"
deb=${debs[0]}
size=$(stat -c %s "$deb")
echo "built $(basename "$deb") ($size bytes)"
# Stripped (programs) and without debug information (library): tens of MB
# would mean a debug build went in whole.
[ "$size" -lt 30000000 ] || fail "the package is $size bytes: not stripped?"

echo "== dpkg-deb -I"
dpkg-deb -f "$deb" Package Version Architecture Maintainer Section Installed-Size Depends
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = handinger-cpp ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), not $version"
[ "$(field Maintainer)" = "handinger-cpp developers" ] || fail "Maintainer: $(field Maintainer)"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture: $(field Architecture)"
depends=$(field Depends)
for need in libboost-json1.81.0 libboost-url1.81.0 libssl3 libboost1.81-dev libboost-json1.81-dev \
  libboost-url1.81-dev libssl-dev; do
  [[ ", $depends," == *", $need"[,\ ]* ]] || fail "Depends lacks $need: $depends"
done
# Every name in Depends is a real package (installed here: this build used them).
IFS=',' read -ra deps <<<"$depends"
for d in "${deps[@]}"; do
  name=$(echo "$d" | sed 's/(.*)//; s/ //g')
  st=$(dpkg-query -W -f='${db:Status-Status}' "$name" 2>/dev/null || true)
  [ "$st" = installed ] || fail "Depends names $name, which is not an installed package here"
done

echo "== dpkg-deb -c"
files=$(dpkg-deb -c "$deb" | awk '{print $NF}')
for f in ./usr/include/handinger/client.hpp ./usr/include/handinger/handinger.hpp \
  ./usr/include/handinger/version.hpp ./usr/include/handinger/detail/async_op.hpp \
  ./usr/lib/libhandinger.a ./usr/lib/cmake/handinger/handingerConfig.cmake \
  ./usr/lib/cmake/handinger/handingerConfigVersion.cmake ./usr/lib/cmake/handinger/handingerTargets.cmake \
  ./usr/lib/pkgconfig/handinger.pc ./usr/bin/handinger; do
  grep -qx -- "$f" <<<"$files" || fail "the package lacks $f"
done
if grep -v -e '^\./usr/' -e '^\./$' <<<"$files"; then
  fail "files outside /usr (above)"
fi
echo "$(grep -c . <<<"$files") entries, all under /usr"

echo "== dpkg -x into a scratch root"
dpkg -x "$deb" "$work/root"
root=$work/root
grep -qx 'prefix=/usr' "$root/usr/lib/pkgconfig/handinger.pc" || fail "handinger.pc: prefix is not /usr"
got=$("$root/usr/bin/handinger" --version)
[ "$got" = "handinger $version" ] || fail "handinger --version said '$got'"
echo "$got"

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
echo "== consumer via find_package from the scratch root"
cmake -S "$src/test/consumer" -B "$work/find" -G Ninja "${launcher[@]}" -DHANDINGER_CONSUMER_MODE=find_package \
  -DCMAKE_PREFIX_PATH="$root/usr" -DCMAKE_BUILD_TYPE=Release >/dev/null
grep -q "handinger_DIR:PATH=$root/usr/lib/cmake/handinger" "$work/find/CMakeCache.txt" ||
  fail "find_package did not take the scratch root's package"
cmake --build "$work/find"
"$src/examples/run_with_sim.sh" "$sim" --pending-ms 50 --turn-ms 50 -- "$work/find/consumer"

echo "== consumer via pkg-config from the scratch root"
mkdir -p "$work/pc"
# The .pc says prefix=/usr: a copy says the scratch root instead.
mkdir -p "$work/pc/pkgconfig"
sed "s|^prefix=/usr\$|prefix=$root/usr|" "$root/usr/lib/pkgconfig/handinger.pc" >"$work/pc/pkgconfig/handinger.pc"
PKG_CONFIG_PATH="$work/pc/pkgconfig" "$src/test/consumer/pkgconfig_build.sh" "$src" "$work/pc/consumer"
"$src/examples/run_with_sim.sh" "$sim" --pending-ms 50 --turn-ms 50 -- "$work/pc/consumer"
echo "package: $(basename "$deb") checked, installed into a scratch root, built against both ways"
