#!/usr/bin/env bash
# scripts/ablation.sh: its usage errors; its statistics on a database written
# by hand (known answers: means, 95 % t intervals over seeds, R type 7 p95,
# joint's gains, unfinished counts); and a real run of it on
# scenarios/collab-small.xml shortened to 5 s over two seeds, whose figures
# agree with the database it kept. The full report on default.xml (10 seeds)
# takes minutes and is in README.md, not here.
set -u
. "$(dirname "$0")/lib.sh"

script=scripts/ablation.sh
export COINFER # the binary under test (build/asan/coinfer under make asan), not build/coinfer

# ---- usage ------------------------------------------------------------------------
expect_exit 2 "ablation: --seeds 0 is refused" "$script" --seeds 0
expect_match "ablation: --seeds is named" "$ERR" "--seeds must be a positive integer"
expect_exit 2 "ablation: an unknown option is refused" "$script" --frob
expect_match "ablation: the usage is printed" "$ERR" "scripts/ablation.sh \[options\] \[SCENARIO\]"
expect_exit 2 "ablation: a missing scenario is refused" "$script" "$TMP/none.xml"
expect_exit 2 "ablation: a missing --from database is refused" "$script" --from "$TMP/none.db"
expect_exit 2 "ablation: --from takes no scenario" "$script" --from "$TMP/none.db" scenarios/default.xml

# ---- known answers ------------------------------------------------------------------
# joint: seed s has latencies s and s + 2 ms (mean s + 1, p95 s + 1.9), 10 mJ
# each; split twice as long, 20 mJ; one unfinished split inference in seed 2.
# Over seeds 1..3: joint's mean latency 3 +- 4.303 / sqrt(3) = 2.484 ms, its
# p95 3.9 +- 2.484 ms; joint's gain over split 50 % in every seed (+- 0).
kdb=$TMP/known.db
sql "$kdb" "CREATE TABLE runs (run_id INTEGER PRIMARY KEY, policy TEXT, seed INTEGER, status TEXT);
    CREATE TABLE inferences (run_id INTEGER, model TEXT, latency_s REAL, ue_energy_j REAL,
                             t_done_s REAL);"
run=0
for s in 1 2 3; do
    for p in split joint; do
        run=$((run + 1))
        f=$([ "$p" = split ] && echo 2 || echo 1)
        sql "$kdb" "INSERT INTO runs VALUES ($run, '$p', $s, 'complete');
            INSERT INTO inferences VALUES ($run, 'm', $f * $s * 1e-3, $f * 0.01, 1.0),
                                          ($run, 'm', $f * ($s + 2) * 1e-3, $f * 0.01, 1.0);"
        if [ "$p" = split ] && [ "$s" = 2 ]; then
            sql "$kdb" "INSERT INTO inferences VALUES ($run, 'm', NULL, 0.0, NULL)"
        fi
    done
done
sql "$kdb" "INSERT INTO runs VALUES (99, 'joint', 4, 'failed');
    INSERT INTO inferences VALUES (99, 'm', 1.0, 1.0, 1.0)" # not complete: left out
expect_exit 0 "ablation: --from a database written by hand" "$script" --from "$kdb"
expect_match "ablation: three seeds" "$OUT" "3 seed\(s\)"
expect_match "ablation: joint's mean, p95 and energy with their intervals" "$OUT" \
    "^joint +3\.000 \+- 2\.484 +3\.900 \+- 2\.484 +10\.000 \+- 0\.000 +0$"
expect_match "ablation: split's, with its unfinished inference" "$OUT" \
    "^split +6\.000 \+- 4\.969 +7\.800 \+- 4\.969 +20\.000 \+- 0\.000 +1$"
expect_match "ablation: joint's gain over split" "$OUT" \
    "^over split +\+50\.00 \+- 0\.00 % +\+50\.00 \+- 0\.00 % +\+50\.00 \+- 0\.00 %$"
expect_eq "ablation: a block for the model and one for all models" \
    "$(grep -c '^model ' <<<"$OUT")" 2
expect_match "ablation: the policies in the order of their first runs" \
    "$(grep -E '^(joint|split) ' <<<"$OUT" | head -2 | cut -d' ' -f1 | tr '\n' ' ')" "^split joint $"

# ---- a real run ----------------------------------------------------------------------
rdb=$TMP/real.db
expect_exit 0 "ablation: collab-small, 5 s, two seeds, kept in --db" \
    "$script" --seeds 2 --set "simulation@duration=5 s" --db "$rdb" scenarios/collab-small.xml
expect_eq "ablation: one complete run per policy and seed" \
    "$(sql "$rdb" "SELECT count(*) FROM runs WHERE status = 'complete'")" 14
for p in local edge resource split split-default joint oracle; do
    expect_eq "ablation: $p has a row for each model and for all models" \
        "$(grep -cE "^$p +[0-9]" <<<"$OUT")" 3
done
for b in split resource split-default; do
    expect_eq "ablation: joint's gain over $b, per model and overall" \
        "$(grep -cE "^over $b +[-+][0-9]" <<<"$OUT")" 3
done
want=$(sql "$rdb" "SELECT printf('%.3f', avg(m)) FROM (SELECT 1e3 * avg(latency_s) AS m
    FROM inferences i JOIN runs r USING (run_id) WHERE r.policy = 'joint' AND i.model = 'lenet5'
    AND t_done_s IS NOT NULL GROUP BY r.seed)")
expect_match "ablation: joint's mean latency on lenet5 is the database's ($want ms)" \
    "$(sed -n '/^model lenet5$/,/^model /p' <<<"$OUT" | grep '^joint ')" "^joint +$want \+- "
