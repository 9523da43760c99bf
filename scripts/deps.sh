#!/usr/bin/env bash
# Installs the Debian 12 packages handinger-cpp needs, and only those missing.
# A no-op (no apt call at all) when everything is present.
#   scripts/deps.sh            build + test dependencies
#   scripts/deps.sh --sanitize also clang and its sanitizer runtime
#   scripts/deps.sh --bench    also nginx, wrk, valgrind and strace (benchmarks)
set -euo pipefail

pkgs=(libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev
      doctest-dev libcli11-dev cmake ninja-build ccache g++ openssl curl tinyproxy pkgconf)
for arg in "$@"; do
  case "$arg" in
    --sanitize) pkgs+=(clang libclang-rt-14-dev) ;;
    --bench) pkgs+=(nginx-light wrk valgrind strace) ;;
    *) echo "deps.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = "installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Installing tinyproxy (the proxy tests start their own, on free ports)
# starts Debian's system daemon on port 8888: stop it, and keep it from
# starting at boot. Either may fail (no init system in a container): fine.
for p in "${missing[@]}"; do
  if [ "$p" = tinyproxy ]; then
    $sudo service tinyproxy stop >/dev/null 2>&1 || true
    $sudo systemctl disable --now tinyproxy >/dev/null 2>&1 || true
  fi
done
