#!/usr/bin/env bash
# Run every benchmark driver tests/bench/*.bench.sh in name order. Each prints
# its own figures (medians of several runs, and ratios to a reference measured
# in the same invocation where the reference is installed). With REF set
# (make bench REF=<rev>), runs scripts/bench-ref.sh <rev> instead.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
# make bench REF=<rev>: only the side-by-side comparison with revision <rev>.
if [ -n "${REF:-}" ]; then
    exec scripts/bench-ref.sh "$REF"
fi
status=0
for b in tests/bench/*.bench.sh; do
    [ -f "$b" ] || continue
    echo "== ${b#tests/bench/}"
    bash "$b" || status=1
    echo
done
exit $status
