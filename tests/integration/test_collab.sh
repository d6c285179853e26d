#!/usr/bin/env bash
# Collaborative scenarios through the binary: every policy side by side on one
# seed, the inferences and messages tables, reproducibility, real mode, the
# report, and bad input (exit 2, FILE:LINE, no database).
set -u
. "$(dirname "$0")/lib.sh"

SC=scenarios/collab-small.xml

# ---- validate -------------------------------------------------------------------
expect_exit 0 "validate accepts the collaborative scenarios" "$COINFER" validate \
    scenarios/default.xml $SC scenarios/bench-1000ues.xml tests/data/scenarios/collab-real.xml
expect_match "validate prints ok for collab-small" "$OUT" "collab-small.xml: ok"

# ---- the policies: one table, which --help lists -------------------------------------
expect_exit 0 "run --help" "$COINFER" run --help
# the lines under "--policy NAME", one per policy: 19 spaces, the name, two spaces, its help
policies=$(sed -n '/^  --policy NAME/,/^  --seed/p' <<<"$OUT" |
    sed -nE 's/^ {19}([a-z][a-z0-9-]*)  +[^ ].*/\1/p' | grep -vx all)
n_policies=$(wc -l <<<"$policies")
expect_match "run --help lists the built-in policies" "$(tr '\n' ' ' <<<"$policies")" \
    "^local edge resource split split-default joint oracle random dads edgent rl $"
expect_match "run --help names the default policy" "$OUT" \
    "--policy NAME +decision policy of a collaborative scenario \\(default joint\\):"
expect_match "run --help lists --policy all" "$OUT" "^ {19}all +every one on the same seed"
expect_exit 2 "an unknown --policy is a usage error" \
    "$COINFER" run --policy best --db "$TMP/u.db" $SC
expect_eq "the usage error lists exactly the policies --help lists, then all" \
    "$(sed -nE 's/.*unknown policy \((.*)\)$/\1/p' <<<"$ERR")" \
    "$(paste -sd, <<<"$policies" | sed 's/,/, /g'), all"
expect_eq "README's Policies section describes exactly the policies --help lists" \
    "$(sed -n '/^### Policies/,/^### [^P]/p' README.md |
        sed -nE 's/^- `([a-z][a-z0-9-]*)`:.*/\1/p')" "$policies"

# ---- every policy on one seed -------------------------------------------------------
# (rl needs an agent: --policy all runs it only with --agent; test_rl.sh does)
policies=$(grep -vx rl <<<"$policies")
n_policies=$(wc -l <<<"$policies")
db="$TMP/all.db"
expect_exit 0 "run --policy all --trace" "$COINFER" run --policy all --trace --db "$db" $SC
for p in $policies; do
    expect_match "the summary has a column for $p" "$OUT" "^policy .* $p"
done
expect_match "the summary gives p95 latencies" "$OUT" "^p95_latency_s "
expect_match "joint says it was exact" "$OUT" "policy joint, exact"
expect_match "the oracle says it was exact" "$OUT" "policy oracle, exact"
expect_eq "only joint and the oracle, the optimal policies, speak of exactness" \
    "$(grep -cE 'policy [a-z0-9-]+, (exact|chain relaxation)\)' <<<"$OUT")" "2"
expect_eq "one run per policy" \
    "$(sql "$db" "SELECT count(*) FROM runs WHERE status = 'complete'")" "$n_policies"
expect_eq "every policy recorded inferences" \
    "$(sql "$db" "SELECT count(DISTINCT r.policy) FROM inferences JOIN runs r USING (run_id)")" "$n_policies"
expect_eq "the same requests, one row each, for every policy (common random numbers)" \
    "$(sql "$db" "SELECT count(DISTINCT n) FROM (SELECT count(*) AS n FROM inferences GROUP BY run_id)")" "1"
expect_eq "the latency components add up to the latency" \
    "$(sql "$db" "SELECT count(*) FROM inferences WHERE abs(ue_compute_s + uplink_s + edge_queue_s + edge_compute_s + downlink_s + signaling_s - latency_s) > 1e-9")" "0"
expect_eq "local plans send nothing up" \
    "$(sql "$db" "SELECT count(*) FROM inferences JOIN runs USING (run_id) WHERE policy = 'local' AND (uplink_s <> 0 OR edge_alloc <> '')")" "0"
expect_eq "local, the on-device baseline, sends no message at all" \
    "$(sql "$db" "SELECT count(*) FROM messages JOIN runs USING (run_id) WHERE policy = 'local'")" "0"
expect_eq "local spends its time computing: no signalling" \
    "$(sql "$db" "SELECT count(*) FROM inferences JOIN runs USING (run_id) WHERE policy = 'local' AND t_done_s IS NOT NULL AND abs(signaling_s) > 1e-12")" "0"
expect_eq "edge plans compute nothing on the UE" \
    "$(sql "$db" "SELECT count(*) FROM inferences JOIN runs USING (run_id) WHERE policy = 'edge' AND declined = 0 AND (split <> 0 OR ue_alloc <> '')")" "0"
expect_eq "--trace records the request of every inference but local's" \
    "$(sql "$db" "SELECT count(*) FROM inferences i JOIN runs r USING (run_id) WHERE r.policy <> 'local' AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.run_id = i.run_id AND m.inference_id = i.inference_id AND m.type = 'request')")" "0"
expect_eq "every finished edge-computing inference's result went down" \
    "$(sql "$db" "SELECT count(*) FROM inferences i WHERE edge_alloc <> '' AND t_done_s IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.run_id = i.run_id AND m.inference_id = i.inference_id AND m.type = 'result')")" "0"
expect_match "messages go between UEs and cells" \
    "$(sql "$db" "SELECT src || '>' || dst FROM messages WHERE type = 'request' LIMIT 1")" "^ue:[0-9]+>cell:[0-9]+$"
expect_exit 0 "report on the database" "$COINFER" report "$db"
expect_match "report prints the per-policy table" "$OUT" "mean_latency_s"

# ---- the default scenario under the method, traced ----------------------------------------
# With NR access's fixed delays the method splits nothing on default.xml, so
# pushes, re-decisions and their cancels are rare: the protocol's mechanics
# are checked with the access and backhaul terms off (the delays of the
# model before them, where the method splits thousands of inferences), the
# contract on default.xml as it is.
OFF=(--set radio/access@uplink=none --set radio/access@downlink=none --set radio/access@bler=0
    --set edge@backhaul-latency=0 --set edge@backhaul-bandwidth=0)
same_instant_updates='SELECT count(*) FROM (SELECT 1 FROM messages WHERE type = '"'state-update'"'
    GROUP BY run_id, t_s, dst, inference_id HAVING count(*) > 1)'
expect_exit 0 "default.xml (12 s), --policy all --trace" "$COINFER" run scenarios/default.xml \
    --policy all --trace --set simulation@duration=12s --db "$TMP/default-all.db" --quiet
expect_eq "default.xml, every policy: no inference gets two state updates in one instant" \
    "$(sql "$TMP/default-all.db" "$same_instant_updates")" "0"
expect_eq "default.xml, every policy: one row per request, finished or not" \
    "$(sql "$TMP/default-all.db" "SELECT count(DISTINCT n) FROM (SELECT count(*) AS n FROM inferences GROUP BY run_id)")" "1"
for gap in 100ms 0; do
    db="$TMP/default-$gap.db"
    expect_exit 0 "default.xml, joint, access off, --trace, push-gap $gap" "$COINFER" run \
        scenarios/default.xml --policy joint --trace --set protocol@push-gap=$gap "${OFF[@]}" \
        --db "$db" --quiet
    expect_eq "push-gap $gap: no inference gets two state updates in one instant" \
        "$(sql "$db" "$same_instant_updates")" "0"
    expect_eq "push-gap $gap: one row per inference requested, finished or not" \
        "$(sql "$db" "SELECT count(*) FROM inferences")" \
        "$(sql "$db" "SELECT count(DISTINCT inference_id) FROM messages WHERE type = 'request'")"
done
db="$TMP/default-100ms.db"
n_cancel=$(sql "$db" "SELECT count(*) FROM messages WHERE type = 'decision' AND bytes = 64")
expect_eq "some re-decisions went local and cancelled their a2 ($n_cancel a2 of a bare header)" \
    "$((n_cancel > 0))" "1"
expect_eq "every inference that sent an a2 and ended local cancelled it" \
    "$(sql "$db" "SELECT count(*) FROM inferences i WHERE edge_alloc = '' AND EXISTS
        (SELECT 1 FROM messages m WHERE m.inference_id = i.inference_id AND m.type = 'decision')
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.inference_id = i.inference_id AND
        m.type = 'decision' AND m.bytes = 64)")" "0"
expect_eq "every finished inference says what its plan was predicted to cost and on what state" \
    "$(sql "$db" "SELECT count(*) FROM inferences WHERE t_done_s IS NOT NULL AND
        (predicted_latency_s IS NULL OR decided_ul_rate_bps IS NULL OR decided_ue_load IS NULL)")" "0"
expect_eq "an inference no a3 changed keeps no second plan" \
    "$(sql "$db" "SELECT count(*) FROM inferences WHERE overridden = 0 AND decided_split IS NOT NULL")" "0"
expect_eq "ues names every UE's device class, group and start" \
    "$(sql "$db" "SELECT device || ':' || count(*) FROM ues GROUP BY device ORDER BY device" | paste -sd' ')" \
    "flagship:10 midrange:10"
expect_eq "every inference's UE is in ues" \
    "$(sql "$db" "SELECT count(*) FROM inferences i LEFT JOIN ues u USING (run_id, ue_id) WHERE u.device IS NULL")" "0"
expect_eq "the energy ledger has a row per UE and per edge instance of each cell" \
    "$(sql "$db" "SELECT owner || ':' || count(*) FROM energy GROUP BY owner ORDER BY owner" | paste -sd' ')" \
    "edge:$(sql "$db" "SELECT count(DISTINCT resource) FROM energy WHERE owner = 'edge'") ue:20"
expect_eq "the edge's ledger holds at least the inferences' edge energy, the UEs' theirs" \
    "$(sql "$db" "SELECT (SELECT sum(compute_j) FROM energy WHERE owner = 'edge') >=
        (SELECT sum(edge_energy_j) FROM inferences) AND (SELECT sum(compute_j + radio_j + tail_j)
        FROM energy WHERE owner = 'ue') >= (SELECT sum(ue_energy_j) FROM inferences)")" "1"
expect_eq "idle power is charged over the run" \
    "$(sql "$db" "SELECT count(*) FROM energy WHERE idle_j > 0 AND duration_s > 0")" \
    "$(sql "$db" "SELECT count(*) FROM energy")"
expect_eq "layers names mobilenetv2's problem layers from 0, each with its nn layers" \
    "$(sql "$db" "SELECT min(layer) = 0 AND max(layer) = count(*) - 1 AND sum(nn_layers LIKE name || '%') = count(*)
        FROM layers WHERE model = 'mobilenetv2'")" "1"
expect_eq "every plan position maps to a layer of its model" \
    "$(sql "$db" "SELECT count(*) FROM inferences i WHERE split > (SELECT count(*) FROM layers l
        WHERE l.run_id = i.run_id AND l.model = i.model)")" "0"
n_all=$(sql "$db" "SELECT count(*) FROM inferences")
for by in model device; do
    expect_exit 0 "report --by $by" "$COINFER" report "$db" --by $by
    expect_match "report --by $by heads its table so" "$OUT" "^inferences by $by "
    expect_eq "report --by $by: the groups' inferences add up to the run's ($n_all)" \
        "$(sed -nE "/^run_id +policy +$by /,/^\$/p" <<<"$OUT" | awk '$1 ~ /^[0-9]+$/ { s += $4 } END { print s }')" \
        "$n_all"
done
expect_eq "report --by device lists both device classes" \
    "$(sed -nE '/^run_id +policy +device /,/^$/p' <<<"$OUT" | awk '$1 ~ /^[0-9]+$/ { print $3 }' | sort | paste -sd' ')" \
    "flagship midrange"
expect_exit 2 "report --by something else is a usage error" "$COINFER" report "$db" --by cell
expect_match "it names the choices" "$ERR" "--by needs model or device"
n_gap=$(sql "$TMP/default-100ms.db" "SELECT count(*) FROM messages WHERE type = 'state-update'")
n_nogap=$(sql "$TMP/default-0.db" "SELECT count(*) FROM messages WHERE type = 'state-update'")
expect_eq "the push gap holds pushes back ($n_gap updates with 100 ms, $n_nogap with 0)" \
    "$((n_gap < n_nogap))" "1"

# ---- the battery asks for the network's state too (DESIGN step 10) ------------------------
# 20 J phones, the channel and load triggers off: only the battery asks.
for th in 0 0.001; do
    db="$TMP/battery-$th.db"
    expect_exit 0 "default.xml with 20 J phones, battery-threshold $th" "$COINFER" run \
        scenarios/default.xml --policy joint --trace --quiet --db "$db" "${OFF[@]}" \
        --set "device[flagship]@battery=20 J" --set "device[midrange]@battery=20 J" \
        --set protocol@channel-threshold=0 --set protocol@load-threshold=0 \
        --set protocol@battery-threshold=$th
done
expect_eq "with the battery trigger off the UEs never ask" \
    "$(sql "$TMP/battery-0.db" "SELECT count(*) FROM messages WHERE type = 'state-request'")" "0"
n_ask=$(sql "$TMP/battery-0.001.db" "SELECT count(*) FROM messages WHERE type = 'state-request'")
expect_eq "a battery moved by 0.1 % of its capacity makes the UE ask ($n_ask requests)" \
    "$((n_ask > 0))" "1"

# ---- a phone that cannot finish the model alone ---------------------------------------------
# Its NPU lacks softmax: a declined request has no plan. The run goes on; the
# inference is a row of stage no-plan naming the layer, the decline its reason.
NP=tests/data/scenarios/collab-npu-only-phone.xml
db="$TMP/npu-only.db"
expect_exit 0 "validate accepts a phone that needs the edge for one layer" "$COINFER" validate $NP
expect_exit 0 "a run where declined requests have no plan completes" "$COINFER" run $NP \
    --policy oracle --set protocol@admission-wait=0 --db "$db"
expect_match "the summary counts the no-plan inferences" "$OUT" "^run_id +policy +inferences +unfinished +no_plan "
n_np=$(sql "$db" "SELECT count(*) FROM inferences WHERE stage = 'no-plan'")
expect_eq "some declined requests ended with no plan ($n_np)" "$((n_np > 0))" "1"
expect_eq "every no-plan row was declined, names why, and names lenet5's softmax group" \
    "$(sql "$db" "SELECT DISTINCT declined, decline_reason, no_plan_layer FROM inferences WHERE stage = 'no-plan'")" \
    "1|admission-wait|7"
expect_eq "the requests the network accepted finished" \
    "$(sql "$db" "SELECT count(*) FROM inferences WHERE declined = 0 AND t_done_s IS NULL AND t_request_s < 19")" "0"
expect_eq "an accepted request has no decline reason" \
    "$(sql "$db" "SELECT count(*) FROM inferences WHERE declined = 0 AND decline_reason IS NOT NULL")" "0"
expect_exit 0 "local on that phone runs to the end" "$COINFER" run $NP --policy local --db "$db" -q
expect_eq "and every one of its inferences ends no-plan, naming the softmax group" \
    "$(sql "$db" "SELECT count(*) = sum(stage = 'no-plan' AND no_plan_layer = 7 AND declined = 0)
        FROM inferences JOIN runs USING (run_id) WHERE policy = 'local'")" "1"
expect_exit 0 "report reads the no-plan rows" "$COINFER" report "$db"
expect_match "report counts them" "$OUT" "^ +1 +oracle +[0-9]+ +[0-9]+ +$n_np "

# ---- reproducible to the byte ---------------------------------------------------------
# the runs of split: the one of --policy all, then these
db="$TMP/all.db"
first_split=$(sql "$db" "SELECT min(run_id) FROM runs WHERE policy = 'split'")
expect_exit 0 "a second split run on the same seed" "$COINFER" run -q --policy split --db "$db" $SC
second_split=$(sql "$db" "SELECT max(run_id) FROM runs WHERE policy = 'split'")
expect_eq "the same seed reproduces every inference row" \
    "$(sql "$db" "SELECT count(*) FROM (SELECT inference_id, ue_id, split, t_request_s, t_done_s, ue_energy_j, ue_alloc, edge_alloc FROM inferences WHERE run_id = $first_split EXCEPT SELECT inference_id, ue_id, split, t_request_s, t_done_s, ue_energy_j, ue_alloc, edge_alloc FROM inferences WHERE run_id = $second_split)")" "0"
expect_exit 0 "a split run on another seed" "$COINFER" run -q --policy split --seed 99 --db "$db" $SC
other_seed=$(sql "$db" "SELECT max(run_id) FROM runs WHERE policy = 'split'")
expect_match "another seed gives other rows" \
    "$(sql "$db" "SELECT count(*) FROM (SELECT t_request_s FROM inferences WHERE run_id = $first_split EXCEPT SELECT t_request_s FROM inferences WHERE run_id = $other_seed)")" "^[1-9]"

# ---- NR access and the backhaul ---------------------------------------------------------------
off="--set radio/access@uplink=none --set radio/access@downlink=none --set radio/access@bler=0"
off+=" --set edge@backhaul-latency=0 --set edge@backhaul-bandwidth=0"
round_trip_ms() {  # mean request-to-reply time of a run's inferences, ms
    sql "$1" "SELECT round(avg(m.t_s - i.t_request_s) * 1e3, 3) FROM inferences i JOIN messages m
        ON m.run_id = i.run_id AND m.inference_id = i.inference_id AND m.type = 'reply'"
}
# shellcheck disable=SC2086
expect_exit 0 "a run with every access and backhaul term off" \
    "$COINFER" run -q --policy split --trace --db "$TMP/off.db" $off $SC
expect_exit 0 "a run with the default access and backhaul" \
    "$COINFER" run -q --policy split --trace --db "$TMP/on.db" $SC
rt_off=$(round_trip_ms "$TMP/off.db") rt_on=$(round_trip_ms "$TMP/on.db")
expect_eq "request and reply take their air time alone with every term off (< 1 ms: $rt_off)" \
    "$(awk -v t="$rt_off" 'BEGIN { print (t < 1) }')" "1"
expect_eq "the SR wait, grant, HARQ and two backhaul crossings add over 5 ms ($rt_on ms)" \
    "$(awk -v a="$rt_on" -v b="$rt_off" 'BEGIN { print (a - b > 5) }')" "1"
expect_exit 0 "a configured grant instead of scheduling requests" \
    "$COINFER" run -q --policy split --db "$TMP/cg.db" --set radio/access@uplink=configured $SC
expect_exit 2 "an SR period out of TS 38.331's range is a usage error" \
    "$COINFER" run -q --db "$TMP/bad-sr.db" --set radio/access@sr-period=641 $SC
expect_match "... naming the knob and the range" "$ERR" "sr-period.*\[1, 640\]"
expect_exit 0 "the backhaul's bandwidth in bytes per second" \
    "$COINFER" run -q --policy split --db "$TMP/bh.db" --set "edge@backhaul-bandwidth=1.25 GB/s" $SC

# ---- fixed-rate links ------------------------------------------------------------------------
FL=scenarios/fixed-link.xml
expect_exit 0 "validate accepts the fixed-link scenario" "$COINFER" validate $FL
expect_exit 0 "the fixed-link scenario runs (joint, traced)" \
    "$COINFER" run -q --policy joint --trace --db "$TMP/fl.db" $FL
# UEs 0-3: 8 Mbit/s up, 10 ms; 4-7: 50 Mbit/s, 2 ms. A request alone on its link arrives
# bytes x 8 / rate + latency after it is sent; sharing the UE's link only slows it.
late="(m.t_s - i.t_request_s) - (m.bytes * 8 / (CASE WHEN i.ue_id < 4 THEN 8e6 ELSE 50e6 END)
      + CASE WHEN i.ue_id < 4 THEN 0.01 ELSE 0.002 END)"
from_fl="FROM inferences i JOIN messages m ON m.run_id = i.run_id
         AND m.inference_id = i.inference_id AND m.type = 'request'"
expect_eq "no request on a fixed link arrives before its bytes over the rate + the latency" \
    "$(sql "$TMP/fl.db" "SELECT count(*) $from_fl WHERE $late < -1e-9")" "0"
expect_eq "... and all but those sharing their UE's link arrive exactly then (no NR access)" \
    "$(sql "$TMP/fl.db" "SELECT count(*) - sum(abs($late) < 1e-9) < 0.01 * count(*) $from_fl")" \
    "1"

# ---- real mode ---------------------------------------------------------------------------
expect_exit 0 "real mode runs LeNet-5's parts on the engine" \
    "$COINFER" run -q --policy edge --trace --db "$TMP/real.db" tests/data/scenarios/collab-real.xml
expect_eq "real mode's edge plans send the 8-bit input (64 B header + 784 B)" \
    "$(sql "$TMP/real.db" "SELECT DISTINCT bytes FROM messages WHERE type = 'intermediate'")" "848.0"

# ---- bad input ----------------------------------------------------------------------------
expect_exit 2 "an unknown model is exit 2" "$COINFER" run --db "$TMP/bad.db" \
    tests/data/scenarios/collab-unknown-model.xml
expect_match "the error is FILE:LINE" "$ERR" "collab-unknown-model.xml:[0-9]+: "
if [ ! -e "$TMP/u.db" ] && [ ! -e "$TMP/bad.db" ]; then pass "bad input creates no database"
else fail "bad input creates no database"; fi

# ---- model files resolve beside the scenario ------------------------------------------------
mkdir -p "$TMP/beside/nets" "$TMP/elsewhere"
cp models/lenet5.xml models/resnet18.xml "$TMP/beside/nets/"
sed 's#file="../models/#file="nets/#' scenarios/collab-small.xml >"$TMP/beside/small.xml"
expect_exit 0 "a model file path resolves against the scenario's directory, not the cwd" \
    sh -c "cd '$TMP/elsewhere' && COINFER_SCHEMA_DIR='$PWD/scenarios' COINFER_MODEL_SCHEMA_DIR='$PWD/models' '$(realpath "$COINFER")' validate ../beside/small.xml"
expect_exit 0 "... and the run finds the models from any directory" \
    sh -c "cd '$TMP/elsewhere' && COINFER_SCHEMA_DIR='$PWD/scenarios' COINFER_MODEL_SCHEMA_DIR='$PWD/models' '$(realpath "$COINFER")' run -q --policy local \
        --set simulation@duration=2 --db m.db ../beside/small.xml"
for cmd in validate run; do
    expect_exit 2 "$cmd: a missing model file is exit 2" "$COINFER" $cmd \
        $([ $cmd = run ] && echo "--db $TMP/missing.db") \
        tests/data/scenarios/collab-missing-model-file.xml
    expect_match "$cmd: ... a FILE:LINE error at the <model> line naming the attribute and path" \
        "$ERR" "^coinfer: tests/data/scenarios/collab-missing-model-file.xml:17: element 'model': \
attribute 'file': cannot read '../models/no-such-model.xml' \
\(tests/data/scenarios/../models/no-such-model.xml\): No such file or directory$"
done
if [ ! -e "$TMP/missing.db" ]; then pass "a missing model file creates no database"
else fail "a missing model file creates no database"; fi

# ---- an interrupted run keeps its rows -----------------------------------------------------
idb="$TMP/int.db"
"$COINFER" run --policy all --db "$idb" scenarios/bench-1000ues.xml >"$TMP/int.out" 2>"$TMP/int.err" &
pid=$!
wait_until --pid "$pid" "the collaborative run to record inferences before SIGINT" \
    has_rows "$idb" inferences
kill -INT "$pid"
wait "$pid"
expect_eq "SIGINT ends a collaborative run with exit code 1" "$?" "1"
expect_eq "the run is marked interrupted and no later policy starts" \
    "$(sql "$idb" "SELECT group_concat(status) FROM runs")" "interrupted"
expect_match "the rows written before the signal are kept" \
    "$(sql "$idb" "SELECT count(*) FROM inferences")" "^[1-9][0-9]*$"
expect_eq "the interrupted database is intact" "$(sql "$idb" "PRAGMA integrity_check")" "ok"
