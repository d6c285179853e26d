#!/usr/bin/env bash
# PHOLD on coinfer's event engine, side by side with the same PHOLD on ns-3
# (tests/bench/ref/phold_ns3.cc, built by `make bench` where ns-3 is installed)
# in its two random-number modes:
#   ns-3/gsl  --rng gsl: coinfer's GSL taus2 streams and draws, called as
#             coinfer calls them (identical trajectories: the fair comparison
#             of the engines alone);
#   ns-3/ns3  --rng ns3: ns-3's own ExponentialRandomVariable and
#             UniformRandomVariable, one stream each per LP (PHOLD as an ns-3
#             user writes it).
#
# For N = 1,000 and 100,000 LPs with M = 10 events each (10,000 and 1,000,000
# pending events) and E = 10,000,000 events, each program runs RUNS times (5),
# alternating, and the table shows the median events/s, the ratios of
# coinfer's median to each ns-3 median, and the median peak RSS above the
# program's own baseline (a 1-LP, 1-event run) per pending event.
# Goals (issue 16): coinfer >= 5x ns-3 at 10,000 pending, >= 10x at 1,000,000, and no
# more memory per pending event than a plain heap of 32-byte events.
# Figures are wall-clock: other work on the machine makes them noisy.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
M=10
E=${E:-10000000}
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
# per_pending RSS BASE PENDING: bytes per pending event above the baseline
per_pending() { awk -v r="$1" -v b="$2" -v p="$3" 'BEGIN { printf "%.1f", (r - b) / p }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
# met A B GOAL: whether A >= GOAL * B
met() { awk -v a="$1" -v b="$2" -v g="$3" 'BEGIN { print (a >= g * b) ? "met" : "NOT met" }'; }

# run BIN ARGS...: prints "events_per_s peak_rss_bytes" from the last line
run() {
    local out last
    out=$("$@") || { echo "phold: '$*' failed" >&2; return 1; }
    last=$(tail -n 1 <<<"$out")
    echo "$(field events_per_s "$last") $(field peak_rss_bytes "$last")"
}

base_rss() { run "$@" --lps 1 --events-per-lp 1 --events 1 | cut -d' ' -f2; }

c_base=$(base_rss "$coinfer") || exit 1
if [ "$have_ns3" -eq 1 ]; then
    g_base=$(base_rss "$ns3" --rng gsl) || exit 1
    s_base=$(base_rss "$ns3" --rng ns3) || exit 1
fi

rows=()
cmds=()
status=0
for n in 1000 100000; do
    pending=$((n * M))
    args=(--lps "$n" --events-per-lp "$M" --events "$E")
    c_eps=(); c_rss=(); g_eps=(); g_rss=(); s_eps=(); s_rss=()
    for ((i = 0; i < RUNS; i++)); do
        read -r eps rss < <(run "$coinfer" "${args[@]}") || { status=1; continue; }
        c_eps+=("$eps"); c_rss+=("$rss")
        [ "$have_ns3" -eq 1 ] || continue
        read -r eps rss < <(run "$ns3" "${args[@]}" --rng gsl) || { status=1; continue; }
        g_eps+=("$eps"); g_rss+=("$rss")
        read -r eps rss < <(run "$ns3" "${args[@]}" --rng ns3) || { status=1; continue; }
        s_eps+=("$eps"); s_rss+=("$rss")
    done
    [ "${#c_eps[@]}" -gt 0 ] || { status=1; continue; }
    goal=$([ "$n" -eq 1000 ] && echo 5 || echo 10)
    ce=$(median "${c_eps[@]}")
    cb=$(per_pending "$(median "${c_rss[@]}")" "$c_base" "$pending")
    ge="-"; gb="-"; gr="-"; gm=""; se="-"; sb="-"; sr="-"; sm=""
    if [ "${#g_eps[@]}" -gt 0 ] && [ "${#s_eps[@]}" -gt 0 ]; then
        ge=$(median "${g_eps[@]}")
        gb=$(per_pending "$(median "${g_rss[@]}")" "$g_base" "$pending")
        gr=$(ratio "$ce" "$ge")
        gm=$(met "$ce" "$ge" "$goal")
        se=$(median "${s_eps[@]}")
        sb=$(per_pending "$(median "${s_rss[@]}")" "$s_base" "$pending")
        sr=$(ratio "$ce" "$se")
        sm=$(met "$ce" "$se" "$goal")
        ge=${ge%.*}; se=${se%.*}
    fi
    rows+=("$(printf '%9d  %12.0f  %12s  %12s  %4sx  %8s %-7s  %8s %-7s  %8s  %8s  %8s' \
        "$pending" "$ce" "$ge" "$se" "$goal" "$gr" "$gm" "$sr" "$sm" "$cb" "$gb" "$sb")")
    cmds+=("$coinfer ${args[*]}")
    if [ "$have_ns3" -eq 1 ]; then
        cmds+=("$ns3 ${args[*]} --rng gsl")
        cmds+=("$ns3 ${args[*]} --rng ns3")
    fi
done

echo "PHOLD: N LPs x $M events each, $E events, median of $RUNS runs, alternating (wall"
echo "clock: noisy when other work runs on the machine)."
echo "ns-3/gsl = ns-3 drawing coinfer's GSL streams (same trajectory); ns-3/ns3 = ns-3's own"
echo "random variables. B/p = (peak RSS - a 1-event run's) / pending events."
[ "$have_ns3" -eq 1 ] || echo "ns-3 reference not built: $ns3 is missing (make BUILD=$BUILD bench)."
printf '%9s  %12s  %12s  %12s  %5s  %-16s  %-16s  %8s  %8s  %8s\n' pending "coinfer ev/s" \
    "ns-3/gsl" "ns-3/ns3" goal "vs ns-3/gsl" "vs ns-3/ns3" "coinfer" "ns-3/gsl" "ns-3/ns3"
printf '%9s  %12s  %12s  %12s  %5s  %-16s  %-16s  %8s  %8s  %8s\n' "" "" "ev/s" "ev/s" "" \
    "" "" "B/p" "B/p" "B/p"
for r in "${rows[@]}"; do
    echo "$r"
done
echo "A plain heap of 32-byte events needs 32 to 64 bytes per pending event (32 when full,"
echo "64 just after doubling)."
echo "Reproduce one run of each figure with:"
for c in "${cmds[@]}"; do
    echo "  $c"
done
exit $status
