#!/usr/bin/env bash
# The README's quick start must be examples/00_quick_start.cpp (less its
# first comment line), which ctest builds and runs against the simulator.
set -euo pipefail
src=$1
readme_block=$(awk '/^```cpp$/ { on = 1; next } on && /^```$/ { exit } on { print }' "$src/README.md")
example=$(tail -n +2 "$src/examples/00_quick_start.cpp")
if [ "$readme_block" != "$example" ]; then
  echo "README.md's first cpp block differs from examples/00_quick_start.cpp:" >&2
  diff <(echo "$readme_block") <(echo "$example") >&2 || true
  exit 1
fi
echo "README quick start = examples/00_quick_start.cpp ($(echo "$example" | wc -l) lines)"
