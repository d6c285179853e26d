#!/usr/bin/env bash
# The learning agent through the binary (issue 11): samples collected under
# exploration, `coinfer train` offline into an agent file (deterministic for a
# seed, its progress in the database), `--policy rl --agent`, and every way a
# user can get it wrong: exit 2 with the reason.
set -u
. "$(dirname "$0")/lib.sh"

SC=scenarios/collab-small.xml
s="$TMP/samples.db"
expect_exit 0 "collect samples exploring around joint" "$COINFER" run --policy joint --db "$s" \
    --set 'exploration@split=0.3' --set 'exploration@option=0.2' \
    --set 'simulation@duration=60 s' $SC
expect_exit 0 "train --help" "$COINFER" train --help
expect_match "train --help names its options" "$OUT" "--conservative A"

a1="$TMP/a1.agent"; a2="$TMP/a2.agent"
expect_exit 0 "train an agent" "$COINFER" train "$s" --out "$a1" --steps 200 --seed 3 -q
expect_match "train prints its summary line" "$OUT" \
    "^samples=[1-9][0-9]* samples_read=[1-9][0-9]* problems=2 steps=200 loss=[0-9.e+-]+ heldout_loss=[0-9.e+-]+ heldout_regret=[0-9.e+-]+ train_s=[0-9.]+ train_id=1 agent=$a1$"
expect_eq "it read every sample" "$(sed -nE 's/^samples=([0-9]+) .*/\1/p' <<<"$OUT")" \
    "$(sql "$s" "SELECT count(*) FROM sample_rows")"
expect_eq "the training is recorded, complete" \
    "$(sql "$s" "SELECT status, samples, seed, steps, agent FROM trainings")" \
    "complete|$(sql "$s" "SELECT count(*) FROM sample_rows")|3|200|$a1"
expect_eq "its progress is recorded every 2 steps (1 % of 200)" \
    "$(sql "$s" "SELECT count(*), max(step), count(heldout_loss) > 0 FROM training_steps WHERE train_id = 1")" \
    "100|200|1"
expect_exit 0 "the same training again" "$COINFER" train "$s" --out "$a2" --steps 200 --seed 3 -q
expect_exit 0 "training is deterministic for a seed: the same agent file" cmp "$a1" "$a2"
expect_exit 0 "another seed" "$COINFER" train "$s" --out "$a2" --steps 200 --seed 4 -q
expect_exit 1 "another seed gives another agent" cmp -s "$a1" "$a2"
expect_exit 0 "validate checks an agent file" "$COINFER" validate "$a1"
expect_match "... and says ok" "$OUT" "ok"
expect_exit 0 "train on a subset of 40 samples" "$COINFER" train "$s" --out "$a2" --steps 20 \
    --seed 3 --max-samples 40 -q
expect_eq "... trains on 40 of every sample read" \
    "$(sed -nE 's/^samples=([0-9]+) samples_read=([0-9]+) .*/\1 \2/p' <<<"$OUT")" \
    "40 $(sql "$s" "SELECT count(*) FROM sample_rows")"
expect_eq "... and records 40 with its settings (prior, keep)" \
    "$(sql "$s" "SELECT samples, settings LIKE '%prior=model keep=best every=1 shrink=0.1 max_samples=40%' FROM trainings ORDER BY train_id DESC LIMIT 1")" \
    "40|1"
expect_exit 0 "a subset of 1 sample of 2 pairs keeps one of each" "$COINFER" train "$s" \
    --out "$a2" --steps 2 --seed 3 --max-samples 1 -q
expect_match "... 2 samples" "$OUT" "^samples=2 "
expect_exit 0 "a subset larger than the samples keeps them all" "$COINFER" train "$s" \
    --out "$a2" --steps 2 --seed 3 --max-samples 100000000 -q
expect_match "... every sample" "$OUT" "^samples=$(sql "$s" "SELECT count(*) FROM sample_rows") "
expect_exit 0 "train without the prior, keeping the last weights, imitating" "$COINFER" train "$s" \
    --out "$a2" --steps 20 --seed 3 --prior none --keep last --imitate -q
expect_eq "... recorded so" \
    "$(sql "$s" "SELECT settings LIKE '%prior=none keep=last every=1 shrink=0.1 imitate% pessimism=0' FROM trainings ORDER BY train_id DESC LIMIT 1")" \
    "1"
expect_exit 0 "... and that agent decides too" "$COINFER" run --policy rl --agent "$a2" \
    --db "$TMP/imitate.db" $SC
expect_exit 2 "--prior of another name" "$COINFER" train "$s" --out "$TMP/n.agent" --prior oracle
expect_match "... names the choices" "$ERR" "--prior takes model or none"
expect_exit 2 "--keep of another name" "$COINFER" train "$s" --out "$TMP/n.agent" --keep first
expect_match "... names the choices" "$ERR" "--keep takes best or last"
expect_exit 2 "--keep best with nothing held out" "$COINFER" train "$s" --out "$TMP/n.agent" \
    --keep best --holdout 0
expect_match "... says why" "$ERR" "needs samples held out"
expect_exit 2 "--shrink -1" "$COINFER" train "$s" --out "$TMP/n.agent" --shrink -1
expect_match "... names the option" "$ERR" "--shrink"
expect_exit 2 "--max-samples 0" "$COINFER" train "$s" --out "$TMP/n.agent" --max-samples 0
expect_match "... names the option" "$ERR" "--max-samples"
expect_exit 2 "--pessimism -1" "$COINFER" train "$s" --out "$TMP/n.agent" --pessimism -1
expect_match "... names the option" "$ERR" "--pessimism"
expect_exit 2 "--pessimism 1 without the model prior" "$COINFER" train "$s" --out "$TMP/n.agent" \
    --steps 2 --prior none --pessimism 1 -q
expect_match "... says it needs the prior" "$ERR" "pessimism 1 needs the model prior"
expect_eq "the pessimism is recorded with the settings (the default 64)" \
    "$(sql "$s" "SELECT settings LIKE '% pessimism=64' FROM trainings WHERE train_id = 1")" "1"
expect_exit 0 "train --pessimism 0" "$COINFER" train "$s" --out "$TMP/k0.agent" --steps 200 \
    --seed 3 --pessimism 0 -q
# bytes 108..115 of the file hold the pessimism (agent_file.c), the last 64 the checksum
expect_exit 0 "... differs from the default's file only in the pessimism and the checksum" \
    cmp <(head -c -64 "$a1" | tail -c +117) <(head -c -64 "$TMP/k0.agent" | tail -c +117)
expect_exit 1 "... which it holds" cmp -s <(head -c 116 "$a1") <(head -c 116 "$TMP/k0.agent")

# rl decides.
r="$TMP/rl.db"
expect_exit 0 "run --policy rl --agent" "$COINFER" run --policy rl --agent "$a1" --db "$r" $SC
expect_eq "rl's run records every inference, finished" \
    "$(sql "$r" "SELECT count(*) = sum(t_done_s IS NOT NULL) AND count(*) > 0 FROM inferences")" "1"
expect_eq "rl's run is named rl" "$(sql "$r" "SELECT policy FROM runs")" "rl"
expect_eq "rl leaves samples too" \
    "$(sql "$r" "SELECT count(*) > 0 FROM sample_rows")" "1"
all="$TMP/all.db"
expect_exit 0 "run --policy all --agent runs rl beside the others" "$COINFER" run --policy all \
    --agent "$a1" --db "$all" $SC
expect_eq "... eleven policies, rl last" \
    "$(sql "$all" "SELECT count(*), max(CASE WHEN run_id = (SELECT max(run_id) FROM runs) THEN policy END) FROM runs")" \
    "11|rl"
expect_match "the summary has a column for rl" "$OUT" "^policy .* rl"
expect_eq "rl saw the same requests as joint (common random numbers)" \
    "$(sql "$all" "SELECT count(DISTINCT n) FROM (SELECT count(*) AS n FROM inferences GROUP BY run_id)")" "1"

# The pessimism: an agent trained at 0 and run at 64 decides as the one trained at 64.
expect_exit 0 "run --pessimism 64 overrides the agent's 0" "$COINFER" run --policy rl \
    --agent "$TMP/k0.agent" --pessimism 64 --db "$TMP/k64.db" -q $SC
expect_eq "... the same decisions as the agent trained at 64" \
    "$(sql "$TMP/k64.db" "SELECT group_concat(split || ue_alloc || edge_alloc, ';') FROM (SELECT * FROM inferences ORDER BY inference_id)")" \
    "$(sql "$r" "SELECT group_concat(split || ue_alloc || edge_alloc, ';') FROM (SELECT * FROM inferences ORDER BY inference_id)")"
expect_exit 0 "... and run at its own 0" "$COINFER" run --policy rl --agent "$TMP/k0.agent" \
    --db "$TMP/k0.db" -q $SC
expect_exit 1 "... it decides otherwise (the pessimism is applied)" test \
    "$(sql "$TMP/k0.db" "SELECT group_concat(split || ue_alloc || edge_alloc, ';') FROM (SELECT * FROM inferences ORDER BY inference_id)")" = \
    "$(sql "$r" "SELECT group_concat(split || ue_alloc || edge_alloc, ';') FROM (SELECT * FROM inferences ORDER BY inference_id)")"
expect_exit 2 "--pessimism without --agent" "$COINFER" run --policy joint --pessimism 1 \
    --db "$TMP/x.db" $SC
expect_match "... says it needs an agent" "$ERR" "--pessimism needs --agent"
expect_exit 2 "--pessimism -1" "$COINFER" run --policy rl --agent "$a1" --pessimism -1 \
    --db "$TMP/x.db" $SC
expect_match "... names the option" "$ERR" "--pessimism"
expect_exit 2 "--pessimism on an agent file of format version 1 (no standard errors)" \
    "$COINFER" run --policy rl --agent tests/data/agents/tiny.agent --pessimism 1 \
    --db "$TMP/x.db" $SC
expect_match "... names the file and says to train it again" "$ERR" \
    "tests/data/agents/tiny.agent:0: .*train it again"

# What a user can get wrong.
expect_exit 2 "rl without an agent is a usage error" "$COINFER" run --policy rl --db "$TMP/x.db" $SC
expect_match "... that says what is missing" "$ERR" "rl needs an agent \\(--agent FILE\\)"
expect_eq "... and leaves no run behind" "$(sql "$TMP/x.db" "SELECT count(*) FROM runs" 2>/dev/null || echo 0)" "0"
expect_exit 2 "an agent of another scenario's models is refused" "$COINFER" run --policy rl \
    --agent "$a1" --db "$TMP/y.db" scenarios/default.xml
expect_match "... naming the model it has no network for" "$ERR" "$a1:0: the agent has no network for model '[a-z0-9]+'"
expect_exit 2 "an agent whose action space differs is refused" "$COINFER" run --policy rl \
    --agent "$a1" --db "$TMP/y.db" --set 'edge/use[cpu]@amounts=4 8 16' $SC
expect_match "... naming the agent file and what differs" "$ERR" "^coinfer: $a1:0: .*(state features|option)"

bad="$TMP/bad.agent"
head -c 1000 "$a1" >"$bad"
expect_exit 2 "a truncated agent file is bad input" "$COINFER" run --policy rl --agent "$bad" \
    --db "$TMP/z.db" $SC
expect_match "... named as FILE:0:" "$ERR" "$bad:0:"
expect_exit 2 "validate refuses it too" "$COINFER" validate "$bad"
expect_exit 2 "--agent with a missing file" "$COINFER" run --policy rl --agent "$TMP/none.agent" \
    --db "$TMP/z.db" $SC
expect_exit 2 "train without --out" "$COINFER" train "$s"
expect_match "... says --out is required" "$ERR" "--out AGENT is required"
expect_exit 2 "train without a database" "$COINFER" train --out "$TMP/n.agent"
expect_exit 2 "train with a holdout above 0.5" "$COINFER" train "$s" --out "$TMP/n.agent" \
    --holdout 0.7
expect_match "... names the option" "$ERR" "--holdout"
empty="$TMP/empty.db"
expect_exit 0 "a database of a radio scenario" "$COINFER" radio scenarios/radio-7cells.xml \
    --db "$empty" --set 'simulation@duration=2 s'
expect_exit 2 "train on a database with no samples" "$COINFER" train "$empty" --out "$TMP/n.agent"
expect_match "... says so" "$ERR" "no training samples"
expect_exit 1 "no agent file was written" test -e "$TMP/n.agent"

# coinfer regret: every policy against the exact optimum on the same requests.
expect_exit 0 "regret compares the policies of --policy all" "$COINFER" regret "$all"
expect_match "... oracle against itself: score 100, no regret, every plan its own" "$OUT" \
    "^ +7  oracle +[0-9]+ +[0-9.e+-]+ +100\\.00 +0 +0 +1\\.000 +1\\.000 +1\\.000$"
expect_match "... local is the score's zero" "$OUT" "^ +7  local +[0-9]+ +[0-9.e+-]+ +0\\.00 "
expect_match "... rl has its line" "$OUT" "^ +7  rl +[0-9]+ "
expect_eq "... joint's mean regret is that of its paired inferences" \
    "$(sed -nE 's/^ +7  joint +[0-9]+ +[0-9.e+-]+ +[0-9.e+-]+ +([0-9.e+-]+) .*/\1/p' <<<"$OUT")" \
    "$(sql "$all" "SELECT printf('%.6g', avg(-a.reward + b.reward)) FROM sample_rows a JOIN runs ra ON ra.run_id = a.run_id AND ra.policy = 'joint' JOIN sample_rows b ON b.inference_id = a.inference_id JOIN runs rb ON rb.run_id = b.run_id AND rb.policy = 'oracle'")"
two="$TMP/two.db"
for seed in 1 2; do
    "$COINFER" run --policy all --agent "$a1" --seed $seed --db "$two" -q $SC
done
expect_exit 0 "regret over two seeds" "$COINFER" regret "$two" --reference joint
expect_match "... gives the means over seeds with their intervals" "$OUT" \
    "^over 2 configurations and seeds"
expect_match "... joint against itself has a score of 100 +- 0 (to rounding)" "$OUT" \
    "^joint +2 +[0-9.e+-]+ \\+- [0-9.e+-]+ +100 \\+- (0|[0-9.]+e-1[0-9]) "
expect_match "... the seeds in order" "$(grep -E '^ +[0-9]+  joint ' <<<"$OUT" | awk '{ print $1 }' | paste -sd' ')" "^1 2$"
expect_exit 2 "regret with an unknown reference" "$COINFER" regret "$two" --reference best
expect_exit 2 "regret on a database without the reference's runs" "$COINFER" regret "$r"
expect_match "... says what is missing" "$ERR" "no configuration and seed with both"

# The shipped agent (scripts/train-agent.sh) binds to default.xml's problems and decides.
expect_exit 0 "the shipped agent validates" "$COINFER" validate models/agents/default.agent
expect_exit 0 "the shipped agent runs on default.xml" "$COINFER" run scenarios/default.xml \
    --policy rl --agent models/agents/default.agent --db "$TMP/shipped.db" -q \
    --set 'simulation@duration=10 s'
expect_eq "... and finishes inferences" \
    "$(sql "$TMP/shipped.db" "SELECT count(t_done_s) > 0 FROM inferences")" "1"
