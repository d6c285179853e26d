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
expect_eq "a line when each of the 22 steps starts and one when it ends" \
    "$(grep -cE '^\[ ?[0-9]+/22\] .* \.\.\.$' <<<"$OUT") $(grep -cE '^\[ ?[0-9]+/22\] .*: done in [0-9.]+ s$' <<<"$OUT")" \
    "22 22"
expect_match "then the wall-clock and CPU times" "$OUT" \
    "reproduce: 22 steps in [0-9.]+ s wall-clock; CPU time of the steps: [0-9]+m[0-9.]+s user, [0-9]+m[0-9.]+s system"
for f in latency-vs-uplink-rate ue-energy-vs-uplink-rate split-vs-uplink-rate latency-vs-ue-count \
    p95-vs-ue-count ablation-latency-cdf ablation-breakdown ablation-energy ablation-split \
    ablation-layers learning-curves; do
    expect_eq "$f.png is a PNG" "$(head -c 8 "$F/$f.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" \
        "89504e470d0a1a0a"
done
expect_match "ablation.txt is the ablation report, joint's gains included" \
    "$(cat "$F/ablation.txt")" "^over split-default "
expect_match "uplink-rate.txt holds the paired differences against joint" \
    "$(cat "$F/uplink-rate.txt")" "sweep uplink-rate: paired differences against joint"
expect_match "ue-count.txt too" "$(cat "$F/ue-count.txt")" "sweep ue-count: paired differences against joint"
expect_eq "ue-count.csv: the factors are columns, two replications per point" \
    "$(head -1 "$F/ue-count.csv"; grep -c ',mean_latency_s,2,' "$F/ue-count.csv")" \
    "$(printf 'sweep,ues_per_group,ues_per_group_2,duration,policy,metric,n,mean,sd,ci95_half_width,ci95_low,ci95_high\n20')"
expect_eq "the ablation ran every policy of the lattice on two seeds" \
    "$(sql "$TMP/dbs/ablation.db" "SELECT group_concat(policy || '=' || n, ' ') FROM (SELECT policy,
        count(*) AS n FROM sweep_points WHERE status = 'complete' GROUP BY policy ORDER BY policy)")" \
    "edge=2 joint=2 local=2 oracle=2 resource=2 split=2 split-default=2"
expect_exit 0 "run again on the kept databases" env COINFER="$COINFER" bash "$R" --quick --no-build \
    --jobs 2 --out "$F" --keep "$TMP/dbs"
expect_eq "the sweeps resume: no run is made twice" \
    "$(sql "$TMP/dbs/ue-count.db" "SELECT count(*) FROM runs")" "40"
