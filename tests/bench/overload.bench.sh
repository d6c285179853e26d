#!/usr/bin/env bash
# The overload benchmark (issue 16): build/bench/protocol on
# scenarios/default.xml (one cell whose uplink and UEs pile up work under the
# random policy) with random and with split, RUNS times each (5), alternating;
# prints the medians of wall time and of CPU time (user + system, which the
# machine's load disturbs less), and the ratios random / split. Goal: random's
# wall time at most 3 times split's. BENCH_DURATION (e.g. "60 s") shortens the
# run; empty (also under QUICK) keeps the file's 300 s, over which the pile-up
# grows: a shorter run understates random's cost.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
SCENARIO=${SCENARIO:-scenarios/default.xml}
BENCH_DURATION=${BENCH_DURATION:-}
bin=$BUILD/bench/protocol
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -x "$bin" ]; then
    echo "overload: $bin is missing (make BUILD=$BUILD $bin)" >&2
    exit 1
fi
sets=()
[ -n "$BENCH_DURATION" ] && sets=(--set "simulation@duration=$BENCH_DURATION")

median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }

declare -A wall cpu
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 0; i < RUNS; i++)); do
    for p in random split; do
        rm -f "$tmp"/run.db*
        if ! /usr/bin/time -f '%e %U %S' -o "$tmp/time" nice -n 10 "$bin" "$SCENARIO" \
                --policy "$p" "${sets[@]}" --db "$tmp/run.db" >"$tmp/out" 2>&1; then
            echo "overload: '$bin $SCENARIO --policy $p' failed:" >&2
            tail -n 3 "$tmp/out" >&2
            exit 1
        fi
        read -r e u s <"$tmp/time"
        wall[$p]+="$e "
        cpu[$p]+="$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') "
    done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Overload: $SCENARIO${BENCH_DURATION:+ (duration $BENCH_DURATION)}, median of $RUNS" \
     "alternating runs each, under nice -n 10."
# shellcheck disable=SC2086
wr=$(median ${wall[random]}); ws=$(median ${wall[split]})
# shellcheck disable=SC2086
cr=$(median ${cpu[random]}); cs=$(median ${cpu[split]})
printf '%-8s  %10s  %10s\n' policy "wall s" "CPU s"
printf '%-8s  %10.2f  %10.2f\n' random "$wr" "$cr" split "$ws" "$cs"
awk -v wr="$wr" -v ws="$ws" -v cr="$cr" -v cs="$cs" 'BEGIN {
    printf "random / split: wall %.1fx, CPU %.1fx; goal (wall <= 3x): %s\n",
        wr / ws, cr / cs, (wr <= 3 * ws) ? "met" : "NOT met" }'
echo "single run: /usr/bin/time $bin $SCENARIO --policy random|split${BENCH_DURATION:+ --set simulation@duration=$BENCH_DURATION}"
