#!/usr/bin/env bash
# Measured host resources (issue 14) as a user meets them: scenarios/collab-measured.xml's
# edge CPU names a stored profile (profile="profiles/amd-epyc.db#amd-epyc:haswell:1t");
# it validates from any directory (the file is taken beside the scenario) and a run's
# recorded configuration names the file by its absolute path; under `edge`
# every inference not overridden back to the phone has an edge compute time equal to the
# sum of the stored measurements of its model's layers (1 ns per alias, no jitter
# declared), read straight from the profile file, to 1e-12 s (a difference of the run's
# clock, which carries 1e-15 s at 30 s); joint (on the CPMM's regression) and oracle (on
# the measurements) make different plans on it; and a missing file, an unknown key or a
# key whose threads differ from the options' cores are FILE:LINE errors, exit 2.
set -u
. "$(dirname "$0")/lib.sh"

SCEN=scenarios/collab-measured.xml
PROF=scenarios/profiles/amd-epyc.db
KEY=amd-epyc:haswell:1t

expect_exit 0 "validate $SCEN" "$COINFER" validate "$SCEN"
REPO=$(pwd)
BIN=$(realpath "$COINFER") # absolute: the check runs from another directory
(cd "$TMP" && COINFER_SCHEMA_DIR="$REPO/scenarios" COINFER_MODEL_SCHEMA_DIR="$REPO/models" \
    "$BIN" validate "$REPO/$SCEN" \
    >"$TMP/v.out" 2>&1)
expect_eq "validate from another directory: the profile is found beside the scenario" \
    "$?|$(cat "$TMP/v.out")" "0|$REPO/$SCEN: ok"

# ---- the configuration a run records names the file absolutely ----------------------
expect_exit 0 "run --policy local" "$COINFER" run "$SCEN" --policy local --db "$TMP/l.db" -q
expect_eq "the run's configuration names the profile by its absolute path and key" \
    "$(sql "$TMP/l.db" "SELECT instr(config, 'profile=\"$REPO/$PROF#$KEY\"') > 0 FROM configs")" 1

# ---- the truth is the measurement ------------------------------------------------
expect_exit 0 "run --policy edge" "$COINFER" run "$SCEN" --policy edge --db "$TMP/e.db" -q
for model in lenet5 resnet18; do
    want=$(sql "$PROF" "SELECT printf('%.17g', sum(CASE WHEN latency_s > 0 THEN latency_s
        ELSE 1e-9 END)) FROM profiles WHERE host_key = '$KEY' AND model = '$model'
        AND layer_index >= 0")
    n=$(sql "$TMP/e.db" "SELECT count(*) FROM inferences WHERE model = '$model'
        AND t_done_s IS NOT NULL AND declined = 0 AND overridden = 0")
    off=$(sql "$TMP/e.db" "SELECT count(*) FROM inferences WHERE model = '$model'
        AND t_done_s IS NOT NULL AND declined = 0 AND overridden = 0
        AND abs(edge_compute_s - $want) > 1e-12")
    expect_match "edge: $model inferences ran at the edge" "$n" "^[1-9][0-9]*$"
    expect_eq "edge: each $model inference's edge compute is its stored layers' sum ($want s)" \
        "$off" 0
done

# ---- model and truth apart -------------------------------------------------------
expect_exit 0 "run --policy joint" "$COINFER" run "$SCEN" --policy joint --db "$TMP/j.db" -q
expect_exit 0 "run --policy oracle" "$COINFER" run "$SCEN" --policy oracle --db "$TMP/o.db" -q
plans() { sql "$1" "SELECT model, split, ue_alloc, edge_alloc, count(*) FROM inferences
    WHERE t_done_s IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"; }
if [ "$(plans "$TMP/j.db")" != "$(plans "$TMP/o.db")" ]; then
    pass "joint (the regression) and oracle (the measurements) make different plans"
else
    fail "joint (the regression) and oracle (the measurements) make different plans" \
        "both: $(plans "$TMP/j.db" | head -n 5)"
fi

# ---- errors ------------------------------------------------------------------------
LINE=$(grep -n 'profile="profiles' "$SCEN" | cut -d: -f1)
expect_exit 2 "a missing profile file exits 2" "$COINFER" run "$SCEN" \
    --set "resource[epyc]@profile=profiles/none.db#$KEY" --db "$TMP/x.db"
expect_match "... at the resource's FILE:LINE, naming the file" "$ERR" \
    "$SCEN:$LINE: element 'resource': resource 'epyc': profile \"profiles/none.db#$KEY\": scenarios/profiles/none.db: no such results database"
expect_exit 2 "an unknown key exits 2" "$COINFER" run "$SCEN" \
    --set "resource[epyc]@profile=profiles/amd-epyc.db#intel:skylakex:1t" --db "$TMP/x.db"
expect_match "... naming the keys the file holds" "$ERR" \
    "$SCEN:$LINE: .*no profile under key 'intel:skylakex:1t' \(its keys: amd-epyc:haswell:1t, amd-epyc:haswell:2t\)"
expect_exit 2 "a 2-thread key for 1-core options exits 2" "$COINFER" run "$SCEN" \
    --set "resource[epyc]@profile=profiles/amd-epyc.db#amd-epyc:haswell:2t" --db "$TMP/x.db"
expect_match "... at the <use>, saying the amounts to give" "$ERR" \
    "element 'use': option 'cpu:1' takes 1 cores of resource 'epyc', whose profile .* was measured on 2 threads: its options take 2"
