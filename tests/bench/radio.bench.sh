#!/usr/bin/env bash
# The radio world benchmark: build/bench/radio on scenarios/radio-7cells.xml
# (1,000 pedestrian UEs in 7 cells, each uploading 100 kB once a second and
# receiving 1 kB back, fading updated once per coherence time, 60 s) RUNS
# times (5); prints the median real-time factor (simulated s per wall s), the
# median wall time of the 60 s run and the completed flows per wall second,
# then the uplink load: offered over capacity with every UE active, and the
# cells' measured uplink busy fraction.
# Goals: >= 10x real time, <= 6 s wall.
# Figures are wall-clock: other work on the machine makes them noisy.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
SCENARIO=${SCENARIO:-scenarios/radio-7cells.xml}
bin=$BUILD/bench/radio

if [ ! -x "$bin" ]; then
    echo "radio: $bin is missing (make BUILD=$BUILD $bin)" >&2
    exit 1
fi

field() { sed -nE "s/.*(^| )$1=([0-9.e+-]+).*/\2/p" <<<"$2"; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }

rtf=(); fps=(); walls=()
duration=$(sed -nE 's/.*<simulation[^>]*duration="([0-9.]+) *s".*/\1/p' "$SCENARIO")
for ((i = 0; i < RUNS; i++)); do
    out=$("$bin" "$SCENARIO") || { echo "radio: '$bin $SCENARIO' failed" >&2; exit 1; }
    last=$(tail -n 1 <<<"$out")
    r=$(field realtime_factor "$last")
    rtf+=("$r")
    fps+=("$(field flows_per_s "$last")")
    walls+=("$(awk -v d="$duration" -v r="$r" 'BEGIN { printf "%.3f", d / r }')")
done
mr=$(median "${rtf[@]}"); mf=$(median "${fps[@]}"); mw=$(median "${walls[@]}")
met=$(awk -v r="$mr" -v w="$mw" 'BEGIN { print (r >= 10 && w <= 6) ? "met" : "NOT met" }')
echo "Radio world: $SCENARIO, median of $RUNS runs (wall clock: noisy when other work runs)."
printf '%16s  %10s  %14s  %-28s\n' "real-time factor" "wall s" "flows/wall s" "goal (>= 10x, <= 6 s wall)"
printf '%15.1fx  %10s  %14.0f  %-28s\n' "$mr" "$mw" "$mf" "$met"
echo "Uplink load and counters of the last run:"
grep -E '^(uplink_offered_over_capacity|radio-|requests|uplink busy)' <<<"$out" | sed 's/^/  /'
echo "Reproduce one run with:"
echo "  $bin $SCENARIO"
[ "$met" = met ]
