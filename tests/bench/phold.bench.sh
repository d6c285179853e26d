#!/usr/bin/env bash
# PHOLD on coinfer's event engine, side by side with the same PHOLD on ns-3
# (tests/bench/ref/phold_ns3.cc, built by `make bench` where ns-3 is installed).
#
# For N = 1,000 and 100,000 LPs with M = 10 events each (10,000 and 1,000,000
# pending events) and E = 10,000,000 events, each program runs 5 times,
# alternating, and the table shows the median events/s and the median peak RSS
# above the program's own baseline (a 1-LP, 1-event run) per pending event.
# Goals: coinfer >= 5x ns-3 at 10,000 pending, >= 8x at 1,000,000, and no
# more memory per pending event than a plain heap of 32-byte events.
# Figures are wall-clock: other work on the machine makes them noisy.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
RUNS=5
M=10
E=10000000
coinfer=$BUILD/bench/phold
ns3=$BUILD/bench/ref/phold_ns3

if [ ! -x "$coinfer" ]; then
    echo "phold: $coinfer is missing (make BUILD=$BUILD $coinfer)" >&2
    exit 1
fi
have_ns3=0
[ -x "$ns3" ] && have_ns3=1

# field NAME LINE: the value of NAME=... in LINE
field() { sed -nE "s/.*(^| )$1=([0-9.]+).*/\2/p" <<<"$2"; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }

# run BIN ARGS...: prints "events_per_s peak_rss_bytes" from the last line
run() {
    local out last
    out=$("$@") || { echo "phold: '$*' failed" >&2; return 1; }
    last=$(tail -n 1 <<<"$out")
    echo "$(field events_per_s "$last") $(field peak_rss_bytes "$last")"
}

base_rss() { run "$1" --lps 1 --events-per-lp 1 --events 1 | cut -d' ' -f2; }

c_base=$(base_rss "$coinfer") || exit 1
[ "$have_ns3" -eq 1 ] && { n_base=$(base_rss "$ns3") || exit 1; }

rows=()
cmds=()
status=0
for n in 1000 100000; do
    pending=$((n * M))
    args=(--lps "$n" --events-per-lp "$M" --events "$E")
    c_eps=(); c_rss=(); n_eps=(); n_rss=()
    for ((i = 0; i < RUNS; i++)); do
        read -r eps rss < <(run "$coinfer" "${args[@]}") || { status=1; continue; }
        c_eps+=("$eps"); c_rss+=("$rss")
        if [ "$have_ns3" -eq 1 ]; then
            read -r eps rss < <(run "$ns3" "${args[@]}") || { status=1; continue; }
            n_eps+=("$eps"); n_rss+=("$rss")
        fi
    done
    [ "${#c_eps[@]}" -gt 0 ] || { status=1; continue; }
    goal=$([ "$n" -eq 1000 ] && echo 5 || echo 8)
    ce=$(median "${c_eps[@]}")
    cb=$(awk -v r="$(median "${c_rss[@]}")" -v b="$c_base" -v p="$pending" \
        'BEGIN { printf "%.1f", (r - b) / p }')
    if [ "$have_ns3" -eq 1 ] && [ "${#n_eps[@]}" -gt 0 ]; then
        ne=$(median "${n_eps[@]}")
        nb=$(awk -v r="$(median "${n_rss[@]}")" -v b="$n_base" -v p="$pending" \
            'BEGIN { printf "%.1f", (r - b) / p }')
        ratio=$(awk -v a="$ce" -v b="$ne" 'BEGIN { printf "%.2fx", a / b }')
        met=$(awk -v a="$ce" -v b="$ne" -v g="$goal" \
            'BEGIN { print (a >= g * b) ? "met" : "NOT met" }')
    else
        ne="-"; nb="-"; ratio="-"; met="(no ns-3)"
    fi
    rows+=("$(printf '%9d  %14.0f  %14s  %7s  %4sx %-8s  %10s  %10s' "$pending" "$ce" \
        "${ne%.*}" "$ratio" "$goal" "$met" "$cb" "$nb")")
    cmds+=("$coinfer ${args[*]}")
    [ "$have_ns3" -eq 1 ] && cmds+=("$ns3 ${args[*]}")
done

echo "PHOLD: N LPs x $M events each, $E events, median of $RUNS runs (wall clock: noisy"
echo "when other work runs on the machine). bytes/pending = (peak RSS - a 1-event run's) / pending."
printf '%9s  %14s  %14s  %7s  %-14s  %10s  %10s\n' pending "coinfer ev/s" "ns-3 ev/s" ratio \
    goal "coinfer B/p" "ns-3 B/p"
for r in "${rows[@]}"; do
    echo "$r"
done
echo "A plain heap of 32-byte events needs 32 to 64 bytes per pending event."
echo "Reproduce one run of each figure with:"
for c in "${cmds[@]}"; do
    echo "  $c"
done
exit $status
