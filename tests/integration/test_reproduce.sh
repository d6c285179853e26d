#!/usr/bin/env bash
# scripts/reproduce.sh (issue 13): its argument handling, and a whole --quick
# run (two replications of 6 s runs, the binary under test, no build) that
# must leave every figure as a PNG and every table, with a progress line per
# step and the totals. Skips the run, saying why, where gnuplot is absent.
set -u
. "$(dirname "$0")/lib.sh"

R=scripts/reproduce.sh
expect_exit 2 "an unknown option is a usage error" bash "$R" --fast
expect_match "naming it" "$ERR" "reproduce: unknown argument '--fast'"
expect_exit 2 "--jobs must be a number" bash "$R" --jobs two
expect_match "says so" "$ERR" "--jobs must be a positive integer, not 'two'"
expect_exit 2 "--out needs a value" bash "$R" --out
expect_exit 2 "--help prints the usage" bash "$R" --help
expect_match "which names every option" "$ERR" "--out DIR.*"
expect_match "--quick among them" "$ERR" "--quick +a smoke run"
expect_exit 1 "--no-build with a missing binary" env COINFER="$TMP/none" bash "$R" --no-build \
    --out "$TMP/none-out"
expect_match "says what is missing" "$ERR" "$TMP/none is missing"

if ! command -v gnuplot >/dev/null 2>&1; then
    echo "SKIP: the quick run: gnuplot is not installed (Debian: gnuplot-nox; scripts/install-deps.sh installs it)"
    exit 0
fi
F=$TMP/figures
expect_exit 0 "a --quick run" env COINFER="$COINFER" bash "$R" --quick --no-build --jobs 2 \
    --out "$F" --keep "$TMP/dbs"
expect_eq "a line when each of the 29 steps starts and one when it ends" \
    "$(grep -cE '^\[ ?[0-9]+/29\] .* \.\.\.$' <<<"$OUT") $(grep -cE '^\[ ?[0-9]+/29\] .*: done in [0-9.]+ s$' <<<"$OUT")" \
    "29 29"
expect_match "then the wall-clock and CPU times" "$OUT" \
    "reproduce: 29 steps in [0-9.]+ s wall-clock; CPU time of the steps: [0-9]+m[0-9.]+s user, [0-9]+m[0-9.]+s system"
for f in latency-vs-uplink-rate ue-energy-vs-uplink-rate split-vs-uplink-rate latency-vs-ue-count \
    p95-vs-ue-count ablation-latency-cdf ablation-breakdown ablation-energy ablation-split \
    ablation-layers learning-curves; do
    expect_eq "$f.png is a PNG" "$(head -c 8 "$F/$f.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" \
        "89504e470d0a1a0a"
done
expect_match "ablation.txt is the ablation report, joint's gains included" \
    "$(cat "$F/ablation.txt")" "^over split-default "
expect_eq "ablation.txt lists the policies in the sweep's order, whatever order the workers' runs came in" \
    "$(awk '/^policy / { on = 1; next } on && NF == 0 || /^gain/ { exit } on { printf "%s ", $1 }' "$F/ablation.txt")" \
    "local edge resource split split-default joint oracle "
expect_match "uplink-rate.txt holds the paired differences against joint" \
    "$(cat "$F/uplink-rate.txt")" "sweep uplink-rate: paired differences against joint"
expect_match "ue-count.txt too" "$(cat "$F/ue-count.txt")" "sweep ue-count: paired differences against joint"
expect_eq "ue-count.csv: the factors are columns, two replications per point" \
    "$(head -1 "$F/ue-count.csv"; grep -c ',mean_latency_s,2,' "$F/ue-count.csv")" \
    "$(printf 'sweep,ues_per_group,ues_per_group_2,duration,policy,metric,n,mean,sd,ci95_half_width,ci95_low,ci95_high\n20')"
expect_eq "dag-baselines.md: a markdown row per model, a column per policy, intervals" \
    "$(head -1 "$F/dag-baselines.md"; grep -cE '^\| (googlenet|resnet18) \|( [0-9.]+ ms \[[0-9.]+, [0-9.]+\] \|){4}$' "$F/dag-baselines.md")" \
    "$(printf '| model | `dads` | `split-default` | `split` | `joint` |\n2')"
expect_eq "default-run.md: a row per policy of the default scenario's run" \
    "$(awk -F' [|] ' 'NR > 2 { printf "%s ", substr($1, 3) }' "$F/default-run.md")" \
    "local edge resource split split-default joint oracle random "
expect_eq "its cells: latencies with units, the deadline hit ratio" \
    "$(grep -cE '^\| [a-z-]+ \| [0-9.]+ m?s \| [0-9.]+ m?s \| [0-9.e-]+ \|$' "$F/default-run.md")" "8"
expect_eq "its numbers are the runs' summaries (local's mean latency over its two seeds)" \
    "$(awk -F' [|] ' '$1 == "| local" { print $2 }' "$F/default-run.md")" \
    "$(sql "$TMP/dbs/default-run.db" "SELECT printf('%.4g ms', 1e3 * avg(m)) FROM (SELECT
        avg(i.latency_s) AS m FROM sweep_points p JOIN inferences i USING (run_id)
        WHERE p.policy = 'local' AND i.t_done_s IS NOT NULL GROUP BY p.run_id)")"
expect_eq "accuracy-lenet5.md: a row per cut point of LeNet, a column per encoding" \
    "$(sed -n 2p "$F/accuracy-lenet5.md"; awk -F' [|] ' 'NR > 3 { printf "%s:%s ", substr($1, 3), $2 }' "$F/accuracy-lenet5.md")" \
    "| split | after | fp32 | fp16 | int8 | int4 | topk:0.25 |
0:input 1:conv1 2:pool1 3:conv2 5:flatten 7:drop "
expect_match "on 500 test images (--quick)" "$(head -1 "$F/accuracy-lenet5.md")" \
    "lenet5-fmnist, weights models/lenet5-fmnist.weights: 500 test images"
expect_eq "fp32 is the whole model at every split" \
    "$(grep -c '| [0-9]* B, +0.00 | [0-9]* B, [-+]' "$F/accuracy-lenet5.md")" "6"
expect_eq "the ablation ran every policy of the lattice on two seeds" \
    "$(sql "$TMP/dbs/ablation.db" "SELECT group_concat(policy || '=' || n, ' ') FROM (SELECT policy,
        count(*) AS n FROM sweep_points WHERE status = 'complete' GROUP BY policy ORDER BY policy)")" \
    "edge=2 joint=2 local=2 oracle=2 resource=2 split=2 split-default=2"
expect_exit 0 "run again on the kept databases" env COINFER="$COINFER" bash "$R" --quick --no-build \
    --jobs 2 --out "$F" --keep "$TMP/dbs"
expect_eq "the sweeps resume: no run is made twice" \
    "$(sql "$TMP/dbs/ue-count.db" "SELECT count(*) FROM runs")" "40"
