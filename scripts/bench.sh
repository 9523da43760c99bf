#!/usr/bin/env bash
# Runs one benchmark in a Release build, with the servers it needs started
# and stopped here (by pid). The last line printed is the benchmark's JSON.
#   scripts/bench.sh sim [SECONDS]      wrk -t1 -c64 against the simulator (one server thread)
#   scripts/bench.sh throughput [--requests N] [--in-flight C] [--wrk-seconds S] [--rounds K] [--warmup W]
#   scripts/bench.sh watch_scale [--watchers N] [--curve-watchers M] [--fixed 250,500,1000,2000]
#   scripts/bench.sh webhook_wait [--tasks N] [--delay-ms D] [--rate R] [--in-flight C]
#   scripts/bench.sh batch [--n N] [--rate-limit RPS] [--retry-after-form ms|seconds] [--max-retries R]
#                          [--repeats K] [--throughput-repeats K] [--fixed 8,64,256] [--initial I]
#                          [--max-in-flight M] [--no-ts]
#   scripts/bench.sh cost [--small N] [--large M] [--repeats K]   (instructions, system calls per create)
#   scripts/bench.sh batch_rss [--lines 20000,1000000] [--concurrency C] [--journal DIR]   (the CLI's peak RSS)
#   scripts/bench.sh faults [--creates N] [--seed S] [--timeout-ms T] [--max-retries R] [--in-flight C]
#                           [--max-stall-ms M] ...   (bench/faults.cpp lists them)
# BENCH_WRAP="perf record -g -o FILE" (say) prefixes the benchmark program.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:-}
[ -n "$name" ] || { echo "usage: scripts/bench.sh NAME [options]   (NAME: throughput, cost, watch_scale, webhook_wait, batch, faults)" >&2; exit 2; }
shift

scripts/deps.sh --bench
export CCACHE_BASEDIR="$PWD"
build=build-release
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHANDINGER_BUILD_TESTS=OFF >/dev/null
targets=(handinger-sim)
case "$name" in
  sim) ;;
  cost) targets+=(bench_throughput) ;;
  batch_rss) targets+=(bench_batch_rss handinger-cli) ;;
  *) targets+=("bench_$name") ;;
esac
cmake --build "$build" --target "${targets[@]}" >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts the simulator with the given options; sets sim_url.
start_sim() {
  rm -f "$work/sim.out" # a second simulator must not read the first one's URL
  "$build/sim/handinger-sim" --port 0 --ca-out "$work/sim-ca.pem" --api-key sk-bench "$@" \
    >"$work/sim.out" 2>"$work/sim.err" &
  pids+=($!)
  for _ in $(seq 1 100); do [ -s "$work/sim.out" ] && break; sleep 0.05; done
  sim_url=$(head -n 1 "$work/sim.out")
  [ -n "$sim_url" ] || { cat "$work/sim.err" >&2; exit 1; }
}

# Starts nginx on loopback serving a fixed 1 KB JSON body over HTTPS with
# keep-alive (certificate from a throw-away CA); sets nginx_url, nginx_status.
start_nginx() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench-ca \
    -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
    -keyout "$work/srv.key" -out "$work/srv.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$work/ext.cnf"
  openssl x509 -req -in "$work/srv.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
    -days 2 -extfile "$work/ext.cnf" -out "$work/srv.pem" 2>/dev/null
  local text
  text=$(printf 'x%.0s' $(seq 1 700))
  local body="{\"id\":\"run_bench\",\"object\":\"worker\",\"status\":\"pending\",\"running\":true,\"output_text\":\"$text\",\"output\":[],\"structured_output\":null,\"files\":[],\"sources\":[],\"messages\":[],\"metadata\":{},\"url\":\"https://handinger.com/tasks/bench\",\"created_at\":1764331200,\"usage\":{\"durationMs\":0},\"error\":null,\"incomplete_details\":null}"
  for attempt in 1 2 3 4 5; do
    local port=$((20000 + RANDOM % 30000)) sport=$((20000 + RANDOM % 30000))
    mkdir -p "$work/nginx/logs"
    cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $work/srv.pem;
    ssl_certificate_key $work/srv.key;
    ssl_session_cache shared:SSL:1m;
    location /api/tasks { default_type application/json; return 200 '$body'; }
  }
  server {
    listen 127.0.0.1:$sport;
    location /status { stub_status; }
  }
}
CONF
    nginx -c "$work/nginx.conf" -p "$work/nginx" -g 'daemon off;' 2>"$work/nginx.err" &
    local pid=$! up=
    # Up when its status page answers; a port taken (by a listener, or by
    # an outgoing connection's ephemeral port) makes nginx retry its bind
    # for seconds, then exit: try another port.
    for _ in $(seq 1 60); do
      if curl -fs "http://127.0.0.1:$sport/status" >/dev/null 2>&1; then up=1; break; fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if [ -z "$up" ]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      continue
    fi
    if kill -0 "$pid" 2>/dev/null; then
      pids+=("$pid")
      nginx_worker=$(pgrep -P "$pid" | head -n 1 || true)
      nginx_url="https://127.0.0.1:$port"
      nginx_status="http://127.0.0.1:$sport/status"
      return 0
    fi
  done
  cat "$work/nginx.err" >&2
  exit 1
}

case "$name" in
  sim)
    # The simulator must never be what a client benchmark measures: wrk's
    # requests/s against one server thread, GET of a task with 3 turns and
    # POST of a follow-up turn, keep-alive HTTPS.
    secs=${1:-10}
    start_sim --create-mode immediate --threads 1
    auth="Authorization: Bearer sk-bench"
    curl -s --cacert "$work/sim-ca.pem" -H "$auth" -H 'content-type: application/json' \
      -d '{"input":"wrk target","taskId":"tsk_wrk"}' "$sim_url/api/tasks" >/dev/null
    sleep 2 # its turns are done
    bytes=$(curl -s --cacert "$work/sim-ca.pem" -H "$auth" "$sim_url/api/tasks/tsk_wrk" | wc -c)
    get=$(wrk -t1 -c64 -d"${secs}s" -H "$auth" "$sim_url/api/tasks/tsk_wrk" | tee /dev/stderr |
      awk '/Requests\/sec/ { print $2 }')
    printf 'wrk.method = "POST"\nwrk.body = "{\\"input\\":\\"wrk create\\"}"\nwrk.headers["Content-Type"] = "application/json"\n' >"$work/post.lua"
    post=$(wrk -t1 -c64 -d"${secs}s" -H "$auth" -s "$work/post.lua" "$sim_url/api/tasks" | tee /dev/stderr |
      awk '/Requests\/sec/ { print $2 }')
    echo "{\"sim_threads\":1,\"connections\":64,\"get_rps\":$get,\"get_body_bytes\":$bytes,\"create_rps\":$post}"
    ;;
  throughput)
    start_sim --create-mode immediate
    start_nginx
    ${BENCH_WRAP:-} "$build/bench/bench_throughput" --sim-url "$sim_url" --sim-ca "$work/sim-ca.pem" \
      --nginx-url "$nginx_url" --nginx-ca "$work/ca.pem" --nginx-status "$nginx_status" --server-pid "${nginx_worker:-0}" --key sk-bench "$@"
    ;;
  cost)
    # What one create costs the client, counted rather than timed, so that
    # a busy machine does not move it: user-space instructions (valgrind's
    # callgrind) and system calls (strace -c) of bench_throughput against
    # the simulator, without its warm-up, run with --requests SMALL and
    # LARGE (64 in flight); the difference over the creates between the two
    # runs, so that start-up and the 64 TLS handshakes cancel out. How many
    # of a run's handshakes resume a session (far cheaper than a full one)
    # depends on timing, so each run is made REPEATS times and the least
    # count kept.
    small=2000 large=6000 repeats=3
    while [ $# -gt 0 ]; do
      case "$1" in
        --small) small=$2; shift 2 ;;
        --large) large=$2; shift 2 ;;
        --repeats) repeats=$2; shift 2 ;;
        *) echo "bench.sh cost: unknown option '$1'" >&2; exit 2 ;;
      esac
    done
    command -v valgrind >/dev/null && command -v strace >/dev/null || {
      echo "bench.sh cost: needs valgrind and strace (scripts/deps.sh --bench)" >&2; exit 1; }
    start_sim --create-mode immediate
    declare -A ir calls
    for n in "$small" "$large"; do
      run=("$build/bench/bench_throughput" --sim-url "$sim_url" --sim-ca "$work/sim-ca.pem" --key sk-bench
           --requests "$n" --warmup 0)
      for r in $(seq 1 "$repeats"); do
        valgrind --tool=callgrind --callgrind-out-file="$work/cg" "${run[@]}" >"$work/cg.log" 2>"$work/cg.err"
        i=$(awk '/^summary:/ { print $2 }' "$work/cg")
        hs=$(sed -n 's/.*, \([0-9]* handshakes ([0-9]* resumed)\).*/\1/p' "$work/cg.log")
        strace -c -o "$work/st" "${run[@]}" >/dev/null
        c=$(awk '$NF == "total" { print $(NF-2) }' "$work/st")
        echo "--requests $n, run $r: $i instructions ($hs), $c system calls" >&2
        if [ -z "${ir[$n]:-}" ] || [ "$i" -lt "${ir[$n]}" ]; then ir[$n]=$i; fi
        if [ -z "${calls[$n]:-}" ] || [ "$c" -lt "${calls[$n]}" ]; then calls[$n]=$c; fi
      done
      awk 'NF >= 5 && $NF != "total" && $NF != "syscall" { print "  " $4, $NF }' "$work/st" |
        sort -n -r | head -n 6 >&2
    done
    d=$(( large - small ))
    cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
    awk -v a="${ir[$small]}" -v b="${ir[$large]}" -v ca="${calls[$small]}" -v cb="${calls[$large]}" -v d="$d" \
        -v cpu="$cpu" 'BEGIN {
      printf "{\"instructions_per_create\":%.0f,\"syscalls_per_create\":%.2f,\"creates\":%d,\"cpu\":\"%s\"}\n",
        (b - a) / d, (cb - ca) / d, d, cpu }'
    ;;
  watch_scale)
    # The simulator's default timings (pending 300 ms, turns of 400 ms, text in 4 steps),
    # and a second one with longer timings (pending 3 s, turns of 4 s, text in 2 steps).
    start_sim --create-mode immediate
    default_url=$sim_url
    cp "$work/sim-ca.pem" "$work/default-ca.pem"
    start_sim --create-mode immediate --pending-ms 3000 --turn-ms 4000 --text-steps 2
    ${BENCH_WRAP:-} "$build/bench/bench_watch_scale" --url "$default_url" --ca "$work/default-ca.pem" \
      --long-url "$sim_url" --long-ca "$work/sim-ca.pem" --key sk-bench "$@"
    ;;
  webhook_wait)
    # 2,000 tasks on a worker with a webhook, awaited with async_wait
    # (webhook-assisted), each delivery POSTed D ms (default 200) after its
    # task ends; then the same wait without the webhook (the adaptive
    # schedule). The simulator's default timings: a task runs 1.5 s; tasks
    # are created R a second (default 500; 0: a burst, 64 in flight).
    delay=200 fwd=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --delay-ms) delay=$2; shift 2 ;;
        *) fwd+=("$1"); shift ;;
      esac
    done
    start_sim --create-mode immediate --webhook-delay-ms "$delay"
    timeout 600 ${BENCH_WRAP:-} "$build/bench/bench_webhook_wait" --url "$sim_url" --ca "$work/sim-ca.pem" \
      --key sk-bench --delay-ms "$delay" "${fwd[@]}"
    ;;
  batch_rss)
    # `handinger tasks batch -` fed by a pipe, N lines each run; its peak
    # RSS. One simulator thread that answers at once with one short turn
    # (it keeps every task: a million take a few GB of its memory).
    start_sim --create-mode immediate --turns 1 --text-steps 1
    cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
    echo "cpu: $cpu" >&2
    "$build/bench/bench_batch_rss" --url "$sim_url" --ca "$work/sim-ca.pem" --key sk-bench \
      --cli "$build/cli/handinger" "$@"
    ;;
  batch)
    # Two rate-limited simulators (429 beyond RPS POSTs/s, a token bucket
    # with a burst of RPS; the 429's hint is the bucket's own wait, in the
    # given form): one answering creates at once, one answering each create
    # after its run of one 10 ms turn (so that an in-flight limit matters).
    # Two without a limit (HTTPS, plain HTTP) for the comparison with the
    # TypeScript SDK.
    rps=2000 form=seconds ts=1 fwd=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --rate-limit) rps=$2; shift 2 ;;
        --retry-after-form) form=$2; shift 2 ;;
        --no-ts) ts=0; shift ;;
        *) fwd+=("$1"); shift ;;
      esac
    done
    start_sim --create-mode immediate --rate-limit "$rps" --retry-after-form "$form"
    limited_url=$sim_url
    cp "$work/sim-ca.pem" "$work/limited-ca.pem"
    start_sim --create-mode wait --pending-ms 0 --turns 1 --turn-ms 10 --rate-limit "$rps" --retry-after-form "$form"
    latency_url=$sim_url
    cp "$work/sim-ca.pem" "$work/latency-ca.pem"
    start_sim --create-mode immediate
    open_url=$sim_url
    cp "$work/sim-ca.pem" "$work/open-ca.pem"
    start_sim --create-mode immediate --plain-http
    plain_url=$sim_url
    # The official TypeScript SDK, installed for this run only into the
    # temporary directory (no lock file, nothing left in the tree).
    ts_dir=
    if [ "$ts" = 1 ]; then
      if command -v node >/dev/null && command -v npm >/dev/null; then
        mkdir -p "$work/ts"
        cp bench/ts_sdk/package.json bench/ts_sdk/create_many.mjs "$work/ts/"
        if (cd "$work/ts" && timeout 300 npm install --no-save --no-package-lock --no-audit --no-fund \
              --loglevel=error >"$work/npm.log" 2>&1); then
          ts_dir="$work/ts"
          echo "TypeScript SDK: @ramensoft/handinger $(node -p "require('$work/ts/node_modules/@ramensoft/handinger/package.json').version"), node $(node --version)"
        else
          echo "bench.sh: npm install of the TypeScript SDK failed; its part is skipped:" >&2
          tail -n 20 "$work/npm.log" >&2
        fi
      else
        echo "bench.sh: node/npm not found; the TypeScript SDK part is skipped" >&2
      fi
    fi
    timeout 1800 ${BENCH_WRAP:-} "$build/bench/bench_batch" --url "$limited_url" --ca "$work/limited-ca.pem" \
      --latency-url "$latency_url" --latency-ca "$work/latency-ca.pem" \
      --rate-limit "$rps" --retry-after-form "$form" --open-url "$open_url" --open-ca "$work/open-ca.pem" \
      --plain-url "$plain_url" ${ts_dir:+--ts-dir "$ts_dir"} --key sk-bench "${fwd[@]}"
    ;;
  faults)
    # 20,000 creates through the fault proxy against the simulator, both in
    # the benchmark's own process (nothing to start here); it ends itself.
    timeout 1800 ${BENCH_WRAP:-} "$build/bench/bench_faults" "$@"
    ;;
  *)
    echo "bench.sh: unknown benchmark '$name'" >&2; exit 2 ;;
esac
