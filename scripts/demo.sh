#!/usr/bin/env bash
# A minute with handinger-cpp and its simulator: build, start the simulator
# on a free port (HTTPS with a CA it generates), then run the library's
# example 01_create_and_wait against it over verified TLS: it creates a task,
# retrieves it until it ends and prints each turn and the final status.
#   scripts/demo.sh                              builds in build/
#   HANDINGER_BUILD_DIR=build-x scripts/demo.sh  builds elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
export CCACHE_BASEDIR="$PWD"
build_dir=${HANDINGER_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja >/dev/null
cmake --build "$build_dir" --target handinger-sim 01_create_and_wait

tmp=$(mktemp -d)
sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

key="sk-demo-$RANDOM$RANDOM"
"$build_dir/sim/handinger-sim" --port 0 --ca-out "$tmp/ca.pem" --api-key "$key" \
  --pending-ms 500 --turn-ms 800 >"$tmp/out" &
sim_pid=$!
# Its first line is its URL; give it ten seconds at most.
for _ in $(seq 100); do
  [ -s "$tmp/out" ] && break
  sleep 0.1
done
url=$(head -n1 "$tmp/out")
[ -n "$url" ] || { echo "demo: the simulator did not start" >&2; exit 1; }
echo "simulator at $url (pid $sim_pid); CA in $tmp/ca.pem"
echo

HANDINGER_BASE_URL="$url" HANDINGER_API_KEY="$key" HANDINGER_CA_FILE="$tmp/ca.pem" \
  timeout 60 "$build_dir/examples/01_create_and_wait" "Compare three vendors' prices"
