#!/usr/bin/env bash
# The learning agent's evaluation (issue 11): samples collected on training
# seeds, an agent trained offline on them, and every policy (rl among them)
# run on held-out seeds and on a held-out scenario, compared with the exact
# optimum decision by decision (`coinfer regret`).
#
#   scripts/evaluate-agent.sh [options]
#
#   --out DIR          where the databases, the agent and the report go
#                      (default results/agent-eval)
#   --scenario FILE    the scenario (default scenarios/default.xml)
#   --train-seeds N    samples from seeds 101..100+N (default 5)
#   --test-seeds N     held-out seeds 1..N (default 10)
#   --steps N          training steps (default 1000)
#   --behaviour NAME   the policy the samples come from (default joint)
#   --explore-split P, --explore-option Q
#                      its exploration (defaults 0.2 and 0.1)
#   --contention       also train and test under heavy edge contention (every
#                      edge instance 70 % busy with background work, twice
#                      the UEs): the data of both settings in one agent
#   --agent FILE       skip collecting and training: evaluate this agent
#   --pessimism K      rl decodes at pessimism K (default: the agent's own,
#                      coinfer train's --pessimism)
#   --policies LIST    the policies run beside rl on the held-out seeds, space-
#                      separated (default "local split split-default joint
#                      oracle"; `random` and `edge` overload default.xml's uplink
#                      and take minutes a run: issue 16)
#
# Held-out scenario: the same scenario with 15 UEs per group and a 60 MHz
# carrier (the training data has its own counts and bandwidth). The report
# (DIR/report.txt) has `coinfer regret` of each test database and the
# training's last line. Runs `build/coinfer` (or $COINFER). Exit 2 on bad
# usage, 1 when a step fails.
set -u
cd "$(dirname "$0")/.." || exit 1
COINFER=${COINFER:-build/coinfer}

usage() {
    sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}
die() { echo "evaluate-agent: $1" >&2; exit "${2:-1}"; }

out=results/agent-eval scenario=scenarios/default.xml train_seeds=5 test_seeds=10
steps=1000 behaviour=joint split=0.2 option=0.1 contention=0 agent= pessimism=()
policies="local split split-default joint oracle"
while [ $# -gt 0 ]; do
    case "$1" in
    --out) out=${2:?}; shift 2 ;;
    --scenario) scenario=${2:?}; shift 2 ;;
    --train-seeds) train_seeds=${2:?}; shift 2 ;;
    --test-seeds) test_seeds=${2:?}; shift 2 ;;
    --steps) steps=${2:?}; shift 2 ;;
    --behaviour) behaviour=${2:?}; shift 2 ;;
    --explore-split) split=${2:?}; shift 2 ;;
    --explore-option) option=${2:?}; shift 2 ;;
    --contention) contention=1; shift ;;
    --agent) agent=${2:?}; shift 2 ;;
    --pessimism) pessimism=(--pessimism "${2:?}"); shift 2 ;;
    --policies) policies=${2:?}; shift 2 ;;
    -h | --help) usage ;;
    *) echo "evaluate-agent: unknown option '$1'" >&2; usage ;;
    esac
done
for n in "$train_seeds" "$test_seeds" "$steps"; do
    case "$n" in '' | *[!0-9]*) die "counts are whole numbers, not '$n'" 2 ;; esac
done
[ -x "$COINFER" ] || die "$COINFER not built (make)"
mkdir -p "$out" || die "cannot create $out"

busy=(--set 'edge/use[gpu]@background-load=0.7' --set 'edge/use[cpu]@background-load=0.7'
      --set 'radio/ue-group[0]@count=20' --set 'radio/ue-group[1]@count=20')
heldout=(--set 'radio/ue-group[0]@count=15' --set 'radio/ue-group[1]@count=15'
         --set 'radio/carrier@bandwidth=60 MHz')

if [ -z "$agent" ]; then
    agent=$out/agent.agent
    rm -f "$out/train.db"
    for ((s = 101; s <= 100 + train_seeds; s++)); do
        echo "samples: seed $s" >&2
        "$COINFER" run "$scenario" --policy "$behaviour" --seed $s --db "$out/train.db" -q \
            --set "exploration@split=$split" --set "exploration@option=$option" ||
            die "collecting samples on seed $s failed"
        if [ $contention = 1 ]; then
            "$COINFER" run "$scenario" --policy "$behaviour" --seed $s --db "$out/train.db" -q \
                --set "exploration@split=$split" --set "exploration@option=$option" \
                "${busy[@]}" || die "collecting samples under contention on seed $s failed"
        fi
    done
    "$COINFER" train "$out/train.db" --out "$agent" --steps "$steps" --seed 1 \
        >"$out/train.txt" || die "training failed"
fi

test_db() { # NAME SETS...: every policy on the held-out seeds into DIR/NAME.db
    local name=$1
    shift
    rm -f "$out/$name.db"
    for ((s = 1; s <= test_seeds; s++)); do
        echo "$name: seed $s" >&2
        for p in $policies; do
            "$COINFER" run "$scenario" --policy "$p" --seed $s --db "$out/$name.db" -q "$@" ||
                die "$name: $p on seed $s failed"
        done
        "$COINFER" run "$scenario" --policy rl --agent "$agent" "${pessimism[@]}" --seed $s \
            --db "$out/$name.db" -q "$@" || die "$name: rl on seed $s failed"
    done
}
test_db test
test_db heldout "${heldout[@]}"
[ $contention = 1 ] && test_db contention "${busy[@]}"

{
    echo "agent: $agent"
    [ -f "$out/train.txt" ] && cat "$out/train.txt"
    for name in test heldout contention; do
        [ -f "$out/$name.db" ] || continue
        echo
        echo "== $name"
        "$COINFER" regret "$out/$name.db" --reference oracle
        echo
        "$COINFER" regret "$out/$name.db" --reference joint | sed -n '/^over/,$p'
    done
} >"$out/report.txt" || die "the report failed"
cat "$out/report.txt"
