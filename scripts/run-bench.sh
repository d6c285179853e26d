#!/usr/bin/env bash
# Run every benchmark driver tests/bench/*.bench.sh in name order. Each prints
# its own figures (medians of several runs, and ratios to a reference measured
# in the same invocation where the reference is installed).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
status=0
for b in tests/bench/*.bench.sh; do
    [ -f "$b" ] || continue
    echo "== ${b#tests/bench/}"
    bash "$b" || status=1
    echo
done
exit $status
