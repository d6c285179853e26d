#!/usr/bin/env bash
# Regenerate, from nothing, every figure and table of README.md that a run
# of coinfer on the shipped scenarios and models gives the same on any
# machine (issue 13): build coinfer, run the shipped studies of
# scenarios/studies/ (sweeps), run the default scenario with every policy,
# collect training samples and train an agent, measure LeNet's accuracy per
# split and encoding, then draw the figures (PNG) and write the tables
# (markdown and text, and CSV) into one directory. README "The shipped
# studies and scripts/reproduce.sh" lists what it makes, and what it leaves
# out and why (measurements of this machine's speed, and runs too long for
# its 15-minute budget).
#
#   scripts/reproduce.sh [--out DIR] [--jobs N] [--quick] [--keep DIR] [--no-build]
#
#   --out DIR    where the figures (PNG) and tables (markdown, text, CSV) go
#                (default docs/figures; created when missing)
#   --jobs N     worker processes of each sweep and of the build (default: the
#                number of processors)
#   --quick      a smoke run: two replications of each study and 6 s of
#                simulated time per run instead of the studies' own, 100
#                training steps, 500 test images for the accuracy (the figures
#                and tables are made the same way; their numbers are not the
#                README's)
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

steps_total=30
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
    [ -f "$src" ] || src=$work/$1.xml
    if [ "$quick" = 0 ]; then
        case $src in
            /*) echo "$src" ;;
            *) echo "$ROOT/$src" ;;
        esac
        return
    fi
    sed -e "s|scenario=\"\.\./|scenario=\"$ROOT/scenarios/|" \
        -e 's|<replications count="[0-9]*"|<replications count="2"|' \
        -e 's|<replications seeds="1"/>|<replications count="2" first-seed="1"/>|' \
        -e 's|\(path="simulation@duration" values=\)"[^"]*"|\1"6 s"|' \
        "$src" >"$work/$name.quick.xml"
    echo "$work/$name.quick.xml"
}
# default-run: scenarios/default.xml as shipped (300 s), seed 1, the policies
# of README "What coinfer run prints" (a sweep, so that it runs in parallel
# and resumes); written where the studies are, for study() to read.
default_run_sweep() {
    cat >"$work/default-run.xml" <<XML
<sweep name="default-run" scenario="$ROOT/scenarios/default.xml">
  <factor name="duration" path="simulation@duration" values="300 s"/>
  <policies>local edge resource split split-default joint oracle random</policies>
  <replications seeds="1"/>
</sweep>
XML
}
sweep() { "$COINFER" sweep "$(study "$1")" --db "$work/$1.db" --jobs "$jobs" --quiet; }
plot() { local db=$1; shift; "$COINFER" plot "$work/$db.db" "$@"; }
to() { local file=$1; shift; "$@" >"$out/$file"; }

train_duration="60 s" train_steps=2000 acc_limit=""
if [ "$quick" = 1 ]; then train_duration="6 s" train_steps=100 acc_limit="--limit 500"; fi
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

# LeNet's Fashion-MNIST accuracy per split and encoding (coinfer accuracy,
# all 10,000 test images, one thread), its rows kept for the table.
accuracy() {
    # shellcheck disable=SC2086 # acc_limit is empty or two words
    "$COINFER" accuracy models/lenet5-fmnist.xml --weights models/lenet5-fmnist.weights \
        $acc_limit --quiet >"$work/accuracy-lenet5.out"
}

# md_sweep DB METRIC SCALE UNIT ROWFACTOR POLICY...: a markdown table of a
# sweep's METRIC (coinfer export --sweep): a row per value of ROWFACTOR, a
# column per POLICY, each cell mean [95 % interval] times SCALE, in UNIT.
md_sweep() {
    local db=$1 metric=$2 scale=$3 unit=$4 row=$5
    shift 5
    "$COINFER" export "$work/$db.db" --sweep | awk -F, -v metric="$metric" -v scale="$scale" \
        -v unit="$unit" -v row="$row" -v pols="$*" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["metric"] == metric {
            r = $col[row]; p = $col["policy"]
            if (!(r in seen)) { seen[r] = 1; order[++n] = r }
            if ($col["ci95_low"] == "")
                cell[r, p] = sprintf("%.4g%s", scale * $col["mean"], unit)
            else
                cell[r, p] = sprintf("%.4g%s [%.4g, %.4g]", scale * $col["mean"], unit,
                                     scale * $col["ci95_low"], scale * $col["ci95_high"])
        }
        END {
            np = split(pols, pol, " ")
            printf "| %s |", row; for (j = 1; j <= np; j++) printf " `%s` |", pol[j]; print ""
            printf "|---|"; for (j = 1; j <= np; j++) printf "---|"; print ""
            for (i = 1; i <= n; i++) {
                printf "| %s |", order[i]
                for (j = 1; j <= np; j++) printf " %s |", cell[order[i], pol[j]]
                print ""
            }
        }'
}

# The table of README "What coinfer run prints": per policy, mean latency, p95
# and the deadline hit ratio of default.xml's 300 s on seed 1.
md_default_run() {
    "$COINFER" export "$work/default-run.db" --sweep | awk -F, '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        {
            p = $col["policy"]; v[p, $col["metric"]] = $col["mean"]
            if (!(p in seen)) { seen[p] = 1; order[++n] = p }
        }
        function ms(x) { return x >= 1 ? sprintf("%.3g s", x) : sprintf("%.4g ms", 1e3 * x) }
        END {
            print "| policy | mean latency | p95 | deadlines met |"
            print "|---|---|---|---|"
            for (i = 1; i <= n; i++) {
                p = order[i]
                printf "| %s | %s | %s | %.5g |\n", p, ms(v[p, "mean_latency_s"]),
                    ms(v[p, "p95_latency_s"]), v[p, "deadline_hit_ratio"]
            }
        }'
}

# The accuracy table of README "coinfer accuracy": per cut point, each
# encoding's bytes per inference and difference from the whole model, points.
md_accuracy() {
    awk 'NR == 1 { print "<!-- " substr($0, 3) " -->"; next }
        /^ +[0-9]+  / {
            if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1; after[$1] = $2 }
            if (!($3 in eseen)) { eseen[$3] = 1; enc[++ne] = $3 }
            cell[$1, $3] = $4 " B, " $7
        }
        END {
            printf "| split | after |"; for (j = 1; j <= ne; j++) printf " %s |", enc[j]; print ""
            printf "|---|---|"; for (j = 1; j <= ne; j++) printf "---|"; print ""
            for (i = 1; i <= n; i++) {
                s = order[i]; printf "| %s | %s |", s, after[s]
                for (j = 1; j <= ne; j++) printf " %s |", cell[s, enc[j]]
                print ""
            }
        }' "$work/accuracy-lenet5.out"
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
step "sweep dag-baselines (dads, split-default, split, joint on GoogLeNet and ResNet-18)" \
    sweep dag-baselines
default_run_sweep
step "sweep default-run (default.xml, 300 s, seed 1, every policy)" sweep default-run
step "samples for the agent (collab-small.xml, joint exploring)" samples
step "train the agent (coinfer train, $train_steps steps)" train
step "accuracy of lenet5-fmnist per split and encoding (coinfer accuracy)" accuracy

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

# the report names its database: by its name alone, so the file does not depend on --keep
ablation_table() {
    local t
    t=$(env COINFER="$COINFER" scripts/ablation.sh --from "$work/ablation.db") || return 1
    printf '%s\n' "$t" | sed "s|$work/||g"
}
step "table ablation.txt (scripts/ablation.sh --from)" to ablation.txt ablation_table
for s in uplink-rate ue-count; do
    step "table $s.txt (coinfer report --sweep --versus joint)" \
        to "$s.txt" "$COINFER" report "$work/$s.db" --sweep --versus joint
done
for s in uplink-rate ue-count ablation dag-baselines; do
    step "table $s.csv (coinfer export --sweep)" to "$s.csv" "$COINFER" export "$work/$s.db" --sweep
done
step "table dag-baselines.md (mean latency per model and policy)" to dag-baselines.md \
    md_sweep dag-baselines mean_latency_s 1000 " ms" model dads split-default split joint
step "table default-run.md (default.xml: every policy on seed 1)" to default-run.md md_default_run
step "table accuracy-lenet5.md (bytes and accuracy per split and encoding)" \
    to accuracy-lenet5.md md_accuracy

# times: a line of this shell's user and system time, then its children's
times >"$work/times"
{ read -r _ && read -r cpu_user cpu_sys; } <"$work/times"
echo "reproduce: $step_no steps in $(since "$t_start") s wall-clock;" \
    "CPU time of the steps: $cpu_user user, $cpu_sys system"
echo "reproduce: figures and tables in $out"
