#!/usr/bin/env bash
# The collaborative-inference benchmark: build/bench/protocol on
# scenarios/bench-1000ues.xml (the default scenario scaled to 1,000 UEs in 37
# cells, 60 s of network time, costed mode, every inference written to a
# results database) with the split and the joint policies, RUNS times each
# (5), alternating; prints the median inferences and events per wall second.
# Goal: >= 100,000 collaborative inferences simulated per wall second with
# split on one core (the run is single-threaded).
# Figures are wall-clock: other work on the machine makes them noisy.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
SCENARIO=${SCENARIO:-scenarios/bench-1000ues.xml}
bin=$BUILD/bench/protocol

if [ ! -x "$bin" ]; then
    echo "protocol: $bin is missing (make BUILD=$BUILD $bin)" >&2
    exit 1
fi

field() { sed -nE "s/.*(^| )$1=([0-9.e+-]+).*/\2/p" <<<"$2"; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }

declare -A ips eps
for ((i = 0; i < RUNS; i++)); do
    for p in split joint; do
        out=$("$bin" "$SCENARIO" --policy "$p") || { echo "protocol: '$bin $SCENARIO --policy $p' failed" >&2; exit 1; }
        last=$(tail -n 1 <<<"$out")
        ips[$p]+="$(field inferences_per_s "$last") "
        eps[$p]+="$(field events_per_s "$last") "
    done
done
echo "Collaborative inference: $SCENARIO, median of $RUNS runs (wall clock: noisy when other work runs)."
printf '%-8s  %18s  %14s  %s\n' policy "inferences/wall s" "events/wall s" "goal (split >= 100,000)"
for p in split joint; do
    # shellcheck disable=SC2086
    mi=$(median ${ips[$p]}); me=$(median ${eps[$p]})
    goal=""
    if [ "$p" = split ]; then
        goal=$(awk -v v="$mi" 'BEGIN { print (v >= 100000) ? "met" : "NOT met" }')
    fi
    printf '%-8s  %18.0f  %14.0f  %s\n' "$p" "$mi" "$me" "$goal"
done
echo "single run: $bin $SCENARIO --policy split|joint"
