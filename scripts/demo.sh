#!/usr/bin/env bash
# A minute with the Handinger simulator: build it, start it on a free port,
# create a task with curl and watch it run to the end.
#   scripts/demo.sh                          builds in build/
#   HANDINGER_BUILD_DIR=build-x scripts/demo.sh  builds elsewhere
# (A later version will use the library's own example client instead of curl.)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
export CCACHE_BASEDIR="$PWD"
build_dir=${HANDINGER_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja >/dev/null
cmake --build "$build_dir" --target handinger-sim

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

"$build_dir/sim/handinger-sim" --port 0 --ca-out "$tmp/ca.pem" --pending-ms 500 --turn-ms 800 >"$tmp/out" &
sim_pid=$!
# Its first line is its URL; give it ten seconds at most.
for _ in $(seq 100); do
  [ -s "$tmp/out" ] && break
  sleep 0.1
done
url=$(head -n1 "$tmp/out")
[ -n "$url" ] || { echo "demo: the simulator did not start" >&2; exit 1; }
echo "simulator at $url (pid $sim_pid)"

api() { # METHOD PATH [JSON]
  local args=(-sS --fail-with-body --max-time 10 --cacert "$tmp/ca.pem" -X "$1"
              -H "Authorization: Bearer sk-sim-test" -H "content-type: application/json")
  [ $# -ge 3 ] && args+=(--data-binary "$3")
  curl "${args[@]}" "$url$2"
}

task_id="tsk_demo$(date +%s)"
echo "creating $task_id"
api POST /api/tasks "{\"input\":\"Compare three vendors' prices\",\"taskId\":\"$task_id\"}" >/dev/null

# The simulator writes compact JSON with the task first, so the first
# "status" is the task's; turns are read field by field with sed.
last_status=""
declare -A shown
for _ in $(seq 120); do
  body=$(api GET "/api/tasks/$task_id")
  status=$(grep -o '"status":"[^"]*"' <<<"$body" | head -n1 | cut -d'"' -f4)
  if [ "$status" != "$last_status" ]; then
    echo "status: $status"
    last_status=$status
  fi
  while IFS=$'\t' read -r seq tstatus text; do
    [ -n "$seq" ] || continue
    key="$seq/$tstatus/${#text}"
    [ -n "${shown[$key]:-}" ] && continue
    shown[$key]=1
    echo "  turn $seq ($tstatus): $text"
  done < <(grep -o '"seq":[0-9]*,"role":"[^"]*","status":"[^"]*","input":"[^"]*","outputText":"[^"]*"' <<<"$body" |
           sed -E 's/^"seq":([0-9]+),"role":"[^"]*","status":"([^"]*)","input":"[^"]*","outputText":"([^"]*)"$/\1\t\2\t\3/' || true)
  case "$status" in
    pending|running) sleep 0.5 ;;
    *) break ;;
  esac
done
echo "final status: $last_status"
