#!/usr/bin/env bash
# The learning agent's dataset-size and learning curves (issue 11): samples
# of one scenario from two behaviour policies (near-optimal: joint exploring
# 20 % of cuts and 10 % of options; random: the random policy), an agent
# trained on uniform subsets of 1e3, 1e4, ... samples of each
# (`coinfer train --max-samples`), and each agent run on held-out seeds at
# each pessimism asked for and compared with the oracle (`coinfer regret`).
#
#   scripts/agent-curves.sh [options]
#
#   --out DIR         databases, agents and the table (default results/agent-curves)
#   --scenario FILE   the scenario (default scenarios/collab-small.xml)
#   --max N           the largest subset, a power of ten >= 1000 (default 100000)
#   --steps N         training steps of every agent (default 1000)
#   --test-seeds N    held-out seeds 4..3+N (default 3; seeds 1-3 of
#                     collab-small chose coinfer train's shrinkage default)
#   --pessimism LIST  the pessimisms each agent decides at (`coinfer run
#                     --pessimism`), space-separated (default "0 64": what the
#                     network learned, and coinfer train's default, which
#                     returns to joint's plan unless a gain is well seen)
#
# Samples come from seeds 101.. with 3000 s of simulated time each, as many
# seeds as the largest subset needs. Every training is recorded in
# DIR/<behaviour>.db (`trainings`, `training_steps`: the learning curves, for
# `coinfer export --table training_steps` or `coinfer plot`); the table
# DIR/curves.txt has per behaviour, size and pessimism: the samples, the
# training's wall time, and rl's mean J, normalised score, mean regret against the oracle and
# split match over the held-out seeds (95 % t-interval half-widths), beside
# joint's. Runs `build/coinfer` (or $COINFER). Exit 2 on bad usage, 1 when a
# step fails.
set -u
cd "$(dirname "$0")/.." || exit 1
COINFER=${COINFER:-build/coinfer}
usage() {
    sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
die() { echo "agent-curves: $1" >&2; exit "${2:-1}"; }
out=results/agent-curves scenario=scenarios/collab-small.xml max=100000 steps=1000 test_seeds=3
pessimisms="0 64"
while [ $# -gt 0 ]; do
    case "$1" in
    --out) out=${2:?}; shift 2 ;;
    --scenario) scenario=${2:?}; shift 2 ;;
    --max) max=${2:?}; shift 2 ;;
    --steps) steps=${2:?}; shift 2 ;;
    --test-seeds) test_seeds=${2:?}; shift 2 ;;
    --pessimism) pessimisms=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "agent-curves: unknown option '$1'" >&2; usage ;;
    esac
done
for n in "$max" "$steps" "$test_seeds"; do
    case "$n" in '' | *[!0-9]*) die "counts are whole numbers, not '$n'" 2 ;; esac
done
[ -n "${pessimisms// /}" ] || die "--pessimism needs at least one value" 2
seen=" "
for k in $pessimisms; do
    case "$k" in '' | *[!0-9.]* | *.*.* | .) die "--pessimism takes numbers >= 0, not '$k'" 2 ;; esac
    case "$seen" in *" $k "*) die "--pessimism names $k twice" 2 ;; esac
    seen="$seen$k "
done
case "$max" in 1000 | 10000 | 100000 | 1000000 | 10000000) ;;
*) die "--max is a power of ten from 1000 to 10000000, not '$max'" 2 ;; esac
[ "$test_seeds" -ge 2 ] || die "--test-seeds needs at least 2 (for the intervals)" 2
[ -x "$COINFER" ] || die "$COINFER not built (make)"
mkdir -p "$out" || die "cannot create $out"

# The held-out reference: every policy but rl, once.
base="$out/reference.db"
rm -f "$base"
for ((s = 4; s <= 3 + test_seeds; s++)); do
    "$COINFER" run "$scenario" --policy all --seed $s --db "$base" -q ||
        die "the reference runs on seed $s failed"
done

collect() { # BEHAVIOUR DB: samples of the behaviour until the DB holds max
    local name=$1 db=$2 s=101 have=0
    local args=(--policy joint --set exploration@split=0.2 --set exploration@option=0.1)
    [ "$name" = random ] && args=(--policy random)
    rm -f "$db"
    while [ "$have" -lt "$max" ]; do
        echo "samples: $name, seed $s ($have so far)" >&2
        "$COINFER" run "$scenario" "${args[@]}" --seed $s --db "$db" -q \
            --set 'simulation@duration=3000 s' || die "collecting $name samples on seed $s failed"
        have=$(sqlite3 "$db" "SELECT count(*) FROM sample_rows") || die "cannot count samples"
        s=$((s + 1))
    done
}

{
    printf '%-12s %8s %9s %8s  %-22s %-22s %-26s %-20s %s\n' behaviour samples pessimism \
        train_s "rl_mean_J" "rl_score" "rl_regret_vs_oracle" "rl_split_match" "joint_mean_J"
} >"$out/curves.txt"
for behaviour in near-optimal random; do
    db="$out/$behaviour.db"
    collect "$behaviour" "$db"
    for ((n = 1000; n <= max; n *= 10)); do
        agent="$out/$behaviour-$n.agent"
        echo "train: $behaviour, $n samples" >&2
        line=$("$COINFER" train "$db" --out "$agent" --steps "$steps" --seed 1 --max-samples $n \
            -q) || die "training on $n $behaviour samples failed"
        train_s=$(sed -nE 's/.* train_s=([0-9.]+) .*/\1/p' <<<"$line")
        for k in $pessimisms; do
            test_db="$out/$behaviour-$n-k$k.db"
            cp "$base" "$test_db" || die "cannot copy $base"
            for ((s = 4; s <= 3 + test_seeds; s++)); do
                "$COINFER" run "$scenario" --policy rl --agent "$agent" --pessimism "$k" \
                    --seed $s --db "$test_db" -q ||
                    die "rl ($behaviour, $n, pessimism $k) on seed $s failed"
            done
            report=$("$COINFER" regret "$test_db" --reference oracle) || die "regret failed"
            # policy n mean_J +- h score +- h mean_regret +- h p95 +- h plan +- h split +- h ...
            awk -v b="$behaviour" -v n="$n" -v k="$k" -v t="$train_s" -v m="$test_seeds" '
                $2 == m && $1 == "rl" { rl = sprintf("%-22s %-22s %-26s %-20s", $3 " +- " $5,
                                          $6 " +- " $8, $9 " +- " $11, $18 " +- " $20) }
                $2 == m && $1 == "joint" { joint = $3 " +- " $5 }
                END { printf "%-12s %8s %9s %8s  %s %s\n", b, n, k, t, rl, joint }' \
                <<<"$report" >>"$out/curves.txt"
        done
    done
done
cat "$out/curves.txt"
