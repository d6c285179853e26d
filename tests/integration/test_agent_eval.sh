#!/usr/bin/env bash
# The learning agent against the exact optimum on held-out seeds (issue 11's
# validation, at the size `make test` affords): samples of collab-small.xml
# from joint exploring (seeds 101 and 102, 60 s each), an agent trained on
# them (1000 steps, seed 1, one thread), then every policy on held-out seeds
# 4..6 and `coinfer regret`. The bounds are the figures these runs gave when
# the test was written (README, The learning agent) with a stated margin:
# the training is deterministic on one machine type, and the margin covers
# another OpenBLAS kernel's rounding.
#
#   measured (3 seeds; `coinfer train` defaults: the model prior, shrinkage
#   0.1, the weights of least held-out loss, pessimism 64; the shrinkage
#   default was chosen on seeds 1-3 of this scenario, the pessimism's on
#   default.xml's seeds 201 and 202, so the test runs on seeds 4-6): rl mean
#   J 0.0080976 s (joint's decisions throughout), joint 0.0080976 s, split
#   0.0081907 s, split-default 0.0133 s; rl's mean regret against joint 0 s,
#   split match 1.0 (at pessimism 0, before it: rl 0.0081282 s, regret
#   3.0642e-05 s).
#   asserted: rl's mean regret against joint <= 0.0001 s (3.3 times the
#   measured), rl's mean J below split's and split-default's, rl's split
#   match >= 0.95.
set -u
. "$(dirname "$0")/lib.sh"

SC=scenarios/collab-small.xml
train="$TMP/train.db"
for seed in 101 102; do
    expect_exit 0 "samples of training seed $seed" "$COINFER" run $SC --policy joint --seed $seed \
        --db "$train" -q --set 'exploration@split=0.3' --set 'exploration@option=0.2' \
        --set 'simulation@duration=60 s'
done
agent="$TMP/a.agent"
expect_exit 0 "train on them" "$COINFER" train "$train" --out "$agent" --steps 1000 --seed 1 -q
test_db="$TMP/test.db"
for seed in 4 5 6; do
    expect_exit 0 "every policy on held-out seed $seed" "$COINFER" run $SC --policy all \
        --agent "$agent" --seed $seed --db "$test_db" -q
done
expect_exit 0 "regret against joint over the held-out seeds" "$COINFER" regret "$test_db" \
    --reference joint
report=$OUT
# policy n mean_J +- h score +- h mean_regret +- h p95 +- h plan +- h split +- h layer +- h
field() { awk -v p="$1" -v k="$2" '$1 == p && $2 == 3 { print $k }' <<<"$report"; }
expect_eq "rl's mean regret against joint is within the bound (<= 0.0001 s)" \
    "$(awk -v x="$(field rl 9)" 'BEGIN { print (x != "" && x <= 0.0001) ? "yes" : "no: " x }')" "yes"
expect_eq "rl beats split-default" \
    "$(awk -v a="$(field rl 3)" -v b="$(field split-default 3)" 'BEGIN { print (a != "" && a < b) ? "yes" : "no: " a " vs " b }')" "yes"
expect_eq "rl beats split" \
    "$(awk -v a="$(field rl 3)" -v b="$(field split 3)" 'BEGIN { print (a != "" && a < b) ? "yes" : "no: " a " vs " b }')" "yes"
expect_eq "rl takes joint's cut in most decisions (>= 0.95)" \
    "$(awk -v x="$(field rl 18)" 'BEGIN { print (x != "" && x >= 0.95) ? "yes" : "no: " x }')" "yes"
