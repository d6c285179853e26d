#!/usr/bin/env bash
# Regenerate, from nothing, the figures and tables of README.md's "Parameter
# studies" and "The ablation" sections (issue 13): build coinfer, run the
# shipped studies of scenarios/studies/ (sweeps), collect training samples
# and train an agent, then draw the figures and write the tables into one
# directory.
#
#   scripts/reproduce.sh [--out DIR] [--jobs N] [--quick] [--keep DIR] [--no-build]
#
#   --out DIR    where the figures (PNG) and tables (text, CSV) go
#                (default docs/figures; created when missing)
#   --jobs N     worker processes of each sweep and of the build (default: the
#                number of processors)
#   --quick      a smoke run: two replications of each study and 6 s of
#                simulated time per run instead of the studies' own, 100
#                training steps (the figures are drawn the same way; their
#                numbers are not the README's)
#   --keep DIR   keep the results databases in DIR (default: a temporary
#                directory removed at exit); a study already complete there is
#                not run again (sweeps resume)
#   --no-build   use $COINFER (default $BUILD/coinfer, BUILD=build) as it is
#
# Each step prints a line when it starts and one with its time when it ends;
# the last lines give the total wall-clock time and the CPU time (user,
# system) of the steps' processes. Exit 2 on bad usage, 1 when a step fails
# (its output is shown).
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

usage() {
    sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
die() { echo "reproduce: $1" >&2; exit "${2:-1}"; }

out=docs/figures jobs=$(nproc 2>/dev/null || echo 2) quick=0 keep="" build=1
while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) usage ;;
        --out) [ $# -ge 2 ] && [ -n "$2" ] || die "--out needs a directory (see --help)" 2
            out=$2; shift 2 ;;
        --jobs) [ $# -ge 2 ] || die "--jobs needs a number (see --help)" 2
            jobs=$2; shift 2 ;;
        --keep) [ $# -ge 2 ] && [ -n "$2" ] || die "--keep needs a directory (see --help)" 2
            keep=$2; shift 2 ;;
        --quick) quick=1; shift ;;
        --no-build) build=0; shift ;;
        *) die "unknown argument '$1' (see --help)" 2 ;;
    esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive integer, not '$jobs'" 2
mkdir -p "$out" 2>/dev/null || die "--out $out: cannot create the directory" 2
out=$(cd "$out" && pwd)
if [ -n "$keep" ]; then
    mkdir -p "$keep" 2>/dev/null || die "--keep $keep: cannot create the directory" 2
    work=$(cd "$keep" && pwd)
else
    work=$(mktemp -d /tmp/coinfer-reproduce-XXXXXX) || exit 1
    trap 'rm -rf "$work"' EXIT
fi
COINFER=${COINFER:-${BUILD:-build}/coinfer}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

steps_total=23
[ "$build" = 1 ] || steps_total=$((steps_total - 1))
step_no=0
t_start=$(now)
log=$work/step.log

# step DESCRIPTION CMD...: run CMD with its output in the log, a line before
# and one after (with its time); on failure show the log and stop.
step() {
    local what=$1 t0
    shift
    step_no=$((step_no + 1))
    printf '[%2d/%d] %s ...\n' "$step_no" "$steps_total" "$what"
    t0=$(now)
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        die "step $step_no ($what) failed: $*"
    fi
    printf '[%2d/%d] %s: done in %s s\n' "$step_no" "$steps_total" "$what" "$(since "$t0")"
}

# The sweep file of a study: the shipped one, or for --quick a copy with two
# replications and 6 s runs (default.xml warms up for 5 s; its base
# scenario's path made absolute).
study() {
    local name=$1 src=scenarios/studies/$1.xml
    if [ "$quick" = 0 ]; then
        echo "$ROOT/$src"
        return
    fi
    sed -e "s|scenario=\"\.\./|scenario=\"$ROOT/scenarios/|" \
        -e 's|<replications count="[0-9]*"|<replications count="2"|' \
        -e 's|\(path="simulation@duration" values=\)"[^"]*"|\1"6 s"|' \
        "$src" >"$work/$name.quick.xml"
    echo "$work/$name.quick.xml"
}
sweep() { "$COINFER" sweep "$(study "$1")" --db "$work/$1.db" --jobs "$jobs" --quiet; }
plot() { local db=$1; shift; "$COINFER" plot "$work/$db.db" "$@"; }
to() { local file=$1; shift; "$@" >"$out/$file"; }

train_duration="60 s" train_steps=2000
if [ "$quick" = 1 ]; then train_duration="6 s" train_steps=100; fi
samples() {
    rm -f "$work/samples.db" "$work/samples.db-wal" "$work/samples.db-shm"
    "$COINFER" run scenarios/collab-small.xml --policy joint --db "$work/samples.db" \
        --set 'exploration@split=0.3' --set 'exploration@option=0.2' \
        --set "simulation@duration=$train_duration" --seed 1 --quiet
}
train() {
    "$COINFER" train "$work/samples.db" --out "$work/small.agent" --steps "$train_steps" \
        --seed 1 -q
}

echo "reproduce: into $out$([ "$quick" = 1 ] && echo ' (quick: not the README numbers)');" \
    "$jobs jobs; databases in $work"
if [ "$build" = 1 ]; then
    step "build coinfer (make $COINFER)" make -j"$jobs" "$COINFER"
fi
[ -x "$COINFER" ] || die "$COINFER is missing (run without --no-build, or make)"
command -v gnuplot >/dev/null || die "gnuplot is missing (Debian: gnuplot-nox; make installs it)"

step "sweep uplink-rate (latency and UE energy against the uplink rate)" sweep uplink-rate
step "sweep ue-count (latency against the number of phones)" sweep ue-count
step "sweep ablation (every policy of the lattice on default.xml)" sweep ablation
step "samples for the agent (collab-small.xml, joint exploring)" samples
step "train the agent (coinfer train, $train_steps steps)" train

step "figure latency-vs-uplink-rate.png" plot uplink-rate --figure sweep --x ul_rate \
    --out "$out/latency-vs-uplink-rate.png"
step "figure ue-energy-vs-uplink-rate.png" plot uplink-rate --figure sweep --x ul_rate \
    --metric mean_ue_energy_j --out "$out/ue-energy-vs-uplink-rate.png"
step "figure split-vs-uplink-rate.png" plot uplink-rate --figure split --x ul_rate \
    --policy joint --out "$out/split-vs-uplink-rate.png"
step "figure latency-vs-ue-count.png" plot ue-count --figure sweep --x ues_per_group \
    --out "$out/latency-vs-ue-count.png"
step "figure p95-vs-ue-count.png" plot ue-count --figure sweep --x ues_per_group \
    --metric p95_latency_s --out "$out/p95-vs-ue-count.png"
step "figure ablation-latency-cdf.png" plot ablation --figure latency-cdf \
    --out "$out/ablation-latency-cdf.png"
step "figure ablation-breakdown.png" plot ablation --figure breakdown \
    --out "$out/ablation-breakdown.png"
step "figure ablation-energy.png" plot ablation --figure energy --out "$out/ablation-energy.png"
step "figure ablation-split.png" plot ablation --figure split --out "$out/ablation-split.png"
step "figure ablation-layers.png" plot ablation --figure layers \
    --policy local,edge,split,split-default,joint,oracle --out "$out/ablation-layers.png"
step "figure learning-curves.png" plot samples --figure training --out "$out/learning-curves.png"

step "table ablation.txt (scripts/ablation.sh --from)" \
    to ablation.txt env COINFER="$COINFER" scripts/ablation.sh --from "$work/ablation.db"
for s in uplink-rate ue-count; do
    step "table $s.txt (coinfer report --sweep --versus joint)" \
        to "$s.txt" "$COINFER" report "$work/$s.db" --sweep --versus joint
done
for s in uplink-rate ue-count ablation; do
    step "table $s.csv (coinfer export --sweep)" to "$s.csv" "$COINFER" export "$work/$s.db" --sweep
done

# times: a line of this shell's user and system time, then its children's
times >"$work/times"
{ read -r _ && read -r cpu_user cpu_sys; } <"$work/times"
echo "reproduce: $step_no steps in $(since "$t_start") s wall-clock;" \
    "CPU time of the steps: $cpu_user user, $cpu_sys system"
echo "reproduce: figures and tables in $out"
