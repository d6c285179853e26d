#!/usr/bin/env bash
# scripts/agent-curves.sh, the learning agent's dataset-size curves, at the
# smallest size it takes (1,000 samples of each behaviour from collab-small,
# 20 training steps, held-out seeds 4 and 5, pessimisms 0 and 64): its table
# has a row per behaviour and pessimism with rl's and joint's mean J, each
# training's learning curve is stored, and bad usage is exit 2. What the
# curves show at full size is measured in the README, not here.
set -u
. "$(dirname "$0")/lib.sh"
export COINFER

expect_exit 2 "--max must be a power of ten" scripts/agent-curves.sh --max 5000 --out "$TMP/x"
expect_match "... and says so" "$ERR" "power of ten"
expect_exit 2 "a pessimism must be a number" scripts/agent-curves.sh --pessimism "0 x" \
    --out "$TMP/x"
expect_match "... and names it" "$ERR" "not 'x'"
expect_exit 2 "a lone point is no number" scripts/agent-curves.sh --pessimism . --out "$TMP/x"
expect_exit 2 "a pessimism named twice is usage" scripts/agent-curves.sh --pessimism "0 64 0" \
    --out "$TMP/x"
expect_match "... and says which" "$ERR" "names 0 twice"
expect_exit 2 "an unknown option is usage" scripts/agent-curves.sh --nope
expect_eq "bad usage makes no output directory" "$([ -e "$TMP/x" ] && echo yes || echo no)" no

out="$TMP/curves"
expect_exit 0 "the curves at 1,000 samples, pessimisms 0 and 64" scripts/agent-curves.sh \
    --max 1000 --steps 20 --test-seeds 2 --pessimism "0 64" --out "$out"
table="$out/curves.txt"
expect_eq "a header and a row per behaviour and pessimism" "$(wc -l <"$table")" 5
expect_eq "the rows: behaviour, samples, pessimism" \
    "$(awk 'NR > 1 { printf "%s/%s/%s ", $1, $2, $3 }' "$table")" \
    "near-optimal/1000/0 near-optimal/1000/64 random/1000/0 random/1000/64 "
# behaviour samples pessimism train_s rl_mean_J +- h score +- h regret +- h split +- h joint +- h
expect_eq "every row has rl's and joint's mean J, as numbers" \
    "$(awk 'NR > 1 && $5 + 0 > 0 && $17 + 0 > 0 { n++ } END { print n + 0 }' "$table")" 4
expect_eq "joint's mean J is the same in every row (one reference)" \
    "$(awk 'NR > 1 { print $17 }' "$table" | sort -u | wc -l)" 1
for b in near-optimal random; do
    expect_eq "the $b training's learning curve is stored" \
        "$(sql "$out/$b.db" "SELECT count(*) > 0 FROM training_steps")" 1
    expect_eq "rl ran on both held-out seeds at pessimism 64 ($b)" \
        "$(sql "$out/$b-1000-k64.db" "SELECT count(*) FROM runs WHERE policy = 'rl'")" 2
done
