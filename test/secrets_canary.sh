#!/usr/bin/env bash
# The canary run: the client and CLI test suites again, with a fresh random
# secret that they must never show. HANDINGER_TEST_CANARY makes the tests'
# simulators accept it as their key (every client of the tests then sends
# it), sends every log line of their clients to stderr at the debug level,
# copies every CLI child's stdout and stderr to stderr, and puts it in the
# user info of the base URLs the secrets tests try; HANDINGER_LOG=debug
# logs to stderr the clients built without a logger. At the debug level the
# library logs every failed operation with all its diagnostics (src/core/
# ops.cpp), so every call error message produced, printed by a test or not,
# lands in the output. --success prints the values of every passing
# assertion as well. All of it, stdout and stderr, goes to one file, which
# must not contain the canary.
#   secrets_canary.sh WORK_DIR TEST_PROGRAM...
set -uo pipefail
work=$1
shift
mkdir -p "$work"
canary="sk-canary-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
out="$work/canary-output.txt"
: >"$out"

failed=0
for prog in "$@"; do
  echo "== $prog" >>"$out"
  from=$(( $(wc -l <"$out") + 1 ))
  if ! HANDINGER_TEST_CANARY="$canary" HANDINGER_LOG=debug "$prog" --no-colors --success >>"$out" 2>&1; then
    echo "secrets_canary: $(basename "$prog") failed under the canary (see $out)"
    # The output is millions of lines, kept where CI's log does not reach:
    # name here each failed check with its test case and the lines after
    # it, and doctest's summary (never the canary: the search below says
    # where it shows, and fails the run).
    tail -n +"$from" "$out" | grep -vF -- "$canary" | awk '
      /^TEST CASE:/ { tc = $0 }
      /: (ERROR|FATAL ERROR): / { if (tc != shown) { print "  " tc; shown = tc } n = 4 }
      /^\[doctest\] (test cases|assertions|Status):/ { print "  " $0 }
      n > 0 { print "    " $0; n-- }
      /^\[doctest\] Status:/ { status = 1 }
      { last[NR % 20] = $0 }
      END { if (!status) { print "  no doctest summary (a crash or a hang?); the last lines:"
                           for (i = NR - 19; i <= NR; i++) if (i > 0) print "    " last[i % 20] } }' | head -200
    failed=1
  fi
done

# The run must have gone through the paths it is meant to watch; otherwise
# a broken hook would make the search below pass vacuously.
for needle in '[log] POST /api/tasks -> 200' '[log debug] failed: ' '[captured log] ' '[cli stderr] ' \
              '[construction error] '; do
  if ! grep -qF -- "$needle" "$out"; then
    echo "secrets_canary: no '$needle' line in the output: the canary hooks did not run"
    failed=1
  fi
done

if grep -qF -- "$canary" "$out"; then
  echo "secrets_canary: the canary secret appears in the output ($(grep -cF -- "$canary" "$out") lines):"
  grep -nF -- "$canary" "$out" | head -20 | cut -c1-400
  failed=1
fi
echo "secrets_canary: $(wc -l <"$out") lines of output searched ($out)"
exit $failed
