#!/usr/bin/env bash
# A minute with handinger-cpp, no key or network needed: builds the
# `handinger` CLI, starts the bundled simulator on a free port (HTTPS with a
# CA it generates, a rate limit of 20 creates/s), then with the CLI:
#   1. submits a batch of 50 tasks (adaptive limit; a live progress bar on a terminal),
#   2. watches the last one turn by turn to its end,
#   3. archives it,
#   4. prints a summary, with the simulator's own counts,
# and stops the simulator.
#   scripts/demo.sh                              builds in build/
#   HANDINGER_BUILD_DIR=build-x scripts/demo.sh  builds elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
export CCACHE_BASEDIR="$PWD"
build_dir=${HANDINGER_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja >/dev/null
cmake --build "$build_dir" --target handinger-cli >/dev/null
hd="$build_dir/cli/handinger"

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

start=$(date +%s)
key="sk-demo-$RANDOM$RANDOM"
"$hd" sim --port 0 --ca-out "$tmp/ca.pem" --api-key "$key" --rate-limit 20 \
  --pending-ms 1200 --turn-ms 1500 --turns 3 --text-steps 5 >"$tmp/sim.out" &
sim_pid=$!
for _ in $(seq 100); do # its first line is its URL; ten seconds at most
  [ -s "$tmp/sim.out" ] && break
  sleep 0.1
done
url=$(head -n1 "$tmp/sim.out")
[ -n "$url" ] || { echo "demo: the simulator did not start" >&2; exit 1; }
export HANDINGER_BASE_URL="$url" HANDINGER_API_KEY="$key" HANDINGER_CA_FILE="$tmp/ca.pem"
echo "== simulator at $url (verified TLS, CA in a temporary file; 20 creates/s, then 429)"

echo
echo "== handinger tasks batch: 50 tasks, adaptive in-flight limit"
for i in $(seq 1 50); do
  echo "{\"input\": \"Demo task $i: compare three vendors' prices\", \"budget\": \"standard\"}"
done >"$tmp/inputs.jsonl"
set +e
"$hd" tasks batch "$tmp/inputs.jsonl" --adaptive --concurrency 8 --max-retries 6 >"$tmp/results.jsonl"
batch_rc=$?
set -e
ok=$(grep -c '"ok":true' "$tmp/results.jsonl" || true)
echo "results: $(wc -l <"$tmp/results.jsonl") JSON lines ($ok ok, exit status $batch_rc); the first one:"
head -n1 "$tmp/results.jsonl" | cut -c1-150
last=$(tail -n1 "$tmp/results.jsonl" | grep -o '"taskId":"[^"]*"' | cut -d'"' -f4)
[ -n "$last" ] || { echo "demo: no task id in the batch's results" >&2; exit 1; }

echo
echo "== handinger tasks watch $last (the last one created)"
set +e
"$hd" tasks watch "$last"
watch_rc=$?
set -e

echo
echo "== handinger tasks archive $last"
"$hd" tasks archive "$last"

echo
echo "== summary"
stats=$(curl -s --cacert "$tmp/ca.pem" "$url/_sim/stats")
num() { echo "$stats" | grep -o "\"$1\":[0-9]*" | head -n1 | cut -d: -f2; }
echo "batch:     50 submitted, $ok created (exit status $batch_rc)"
echo "watched:   $last, exit status $watch_rc (0 = completed)"
echo "simulator: $(num tasks_created) tasks created, $(num duplicate_posts) duplicate POSTs," \
  "$(num rate_limited) answered 429, $(num connections_accepted) connections, $(num tls_handshakes) TLS handshakes"
echo "took $(( $(date +%s) - start )) s"
[ "$batch_rc" -eq 0 ] && [ "$watch_rc" -eq 0 ]
