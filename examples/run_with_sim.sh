#!/usr/bin/env bash
# Runs a program against a freshly started simulator (HTTPS, generated CA):
#   run_with_sim.sh SIM_BINARY [SIM_OPTIONS...] -- PROGRAM [ARGS...]
# The program gets HANDINGER_BASE_URL, HANDINGER_API_KEY and HANDINGER_CA_FILE.
set -euo pipefail
sim=$1; shift
sim_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do sim_args+=("$1"); shift; done
shift
dir=$(mktemp -d)
sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
"$sim" --port 0 --ca-out "$dir/ca.pem" --api-key sk-example "${sim_args[@]}" >"$dir/sim.out" 2>"$dir/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do
  [ -s "$dir/sim.out" ] && break
  sleep 0.05
done
url=$(head -n 1 "$dir/sim.out")
[ -n "$url" ] || { echo "simulator did not start" >&2; cat "$dir/sim.err" >&2; exit 1; }
HANDINGER_BASE_URL=$url HANDINGER_API_KEY=sk-example HANDINGER_CA_FILE=$dir/ca.pem timeout 120 "$@"
