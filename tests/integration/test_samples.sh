#!/usr/bin/env bash
# The learning agent's data (issue 11, DESIGN.md step 9): every finished
# inference leaves a training sample under any policy, its reward follows the
# <reward> formula, the UE's feedback window is what its decisions saw, the
# database describes its encodings, and exploration moves no other stream.
set -u
. "$(dirname "$0")/lib.sh"

SC=scenarios/collab-small.xml
db="$TMP/s.db"
expect_exit 0 "a run of every policy records samples" "$COINFER" run --policy all --db "$db" $SC
expect_eq "one sample per finished inference, in every run" \
    "$(sql "$db" "SELECT count(*) FROM inferences i LEFT JOIN sample_rows s USING (run_id, inference_id) WHERE (i.t_done_s IS NOT NULL) <> (s.run_id IS NOT NULL)")" "0"
expect_eq "every policy's run has samples" \
    "$(sql "$db" "SELECT count(DISTINCT run_id) FROM sample_rows")" \
    "$(sql "$db" "SELECT count(*) FROM runs")"
expect_eq "the default reward is minus the latency in seconds" \
    "$(sql "$db" "SELECT count(*) FROM samples JOIN inferences USING (run_id, inference_id) WHERE abs(reward + latency_s) > 1e-12")" "0"
expect_eq "the samples view's next state is the state of the same UE's next sample of the model" \
    "$(sql "$db" "SELECT count(*) FROM samples a WHERE next_state IS NOT (SELECT b.state FROM sample_rows b WHERE b.run_id = a.run_id AND b.ue_id = a.ue_id AND b.model = a.model AND b.inference_id > a.inference_id ORDER BY b.inference_id LIMIT 1)")" "0"
expect_eq "each UE and model's last sample has no next state" \
    "$(sql "$db" "SELECT count(*) FROM samples WHERE next_state IS NULL")" \
    "$(sql "$db" "SELECT count(*) FROM (SELECT DISTINCT run_id, ue_id, model FROM sample_rows)")"

# The encodings: every state and action has the fields sample_fields names.
expect_eq "every state has as many numbers as its state fields" \
    "$(sql "$db" "SELECT count(*) FROM sample_rows s WHERE length(state) - length(replace(state, ',', '')) + 1 <> (SELECT count(*) FROM sample_fields f WHERE f.run_id = s.run_id AND f.device = s.device AND f.model = s.model AND kind = 'state')")" "0"
expect_eq "every action has one number per layer of the model" \
    "$(sql "$db" "SELECT count(*) FROM sample_rows s WHERE length(action) - length(replace(action, ',', '')) + 1 <> (SELECT count(*) FROM layers l WHERE l.run_id = s.run_id AND l.model = s.model)")" "0"
expect_eq "the state fields are named with units" \
    "$(sql "$db" "SELECT name || ':' || unit FROM sample_fields WHERE run_id = 1 AND model = 'lenet5' AND kind = 'state' AND field IN (0, 10, 17, 19) ORDER BY field" | paste -sd' ')" \
    "device:1 ul_rate_bps:bit/s objective_latency_weight:1/s window_n:1"
expect_eq "an action field names its layer" \
    "$(sql "$db" "SELECT name FROM sample_fields WHERE run_id = 1 AND model = 'lenet5' AND kind = 'action' AND field = 0")" \
    "layer[$(sql "$db" "SELECT name FROM layers WHERE run_id = 1 AND model = 'lenet5' AND layer = 0")]"
# A local run's actions put every layer on a UE option (< the UE's options).
n_ue_opts=$(sql "$db" "SELECT count(*) FROM sample_fields WHERE run_id = 1 AND model = 'lenet5' AND kind = 'state' AND name LIKE 'ue_wait_s[%'")
expect_eq "local's actions keep every layer on the UE" \
    "$(sql "$db" "WITH RECURSIVE v(run_id, rest, x) AS (SELECT run_id, action || ',', NULL FROM sample_rows JOIN runs USING (run_id) WHERE policy = 'local' UNION ALL SELECT run_id, substr(rest, instr(rest, ',') + 1), CAST(substr(rest, 1, instr(rest, ',') - 1) AS INTEGER) FROM v WHERE rest <> '') SELECT count(*) FROM v WHERE x IS NOT NULL AND x >= $n_ue_opts")" "0"

# The feedback window: with requests seconds apart (they never overlap), the
# window a decision saw holds its UE's last finished inferences before it, and
# with the default reward (linear in the latency) its reward is their mean.
# window_misses DB: the samples whose window reward is not the mean reward of
# their UE's last four inferences finished before their request.
window_misses() {
    sql "$1" "SELECT count(*) FROM sample_rows a WHERE abs(a.window_reward - coalesce((SELECT avg(reward) FROM (SELECT b.reward FROM sample_rows b JOIN inferences i USING (run_id, inference_id) WHERE b.ue_id = a.ue_id AND i.t_done_s < (SELECT t_request_s FROM inferences WHERE run_id = a.run_id AND inference_id = a.inference_id) ORDER BY i.t_done_s DESC LIMIT 4)), 0)) > 1e-6"
}
# sparse DB ARGS...: a run with a window of 4 and requests 5 s apart.
sparse() {
    local db=$1
    shift
    "$COINFER" run --db "$db" --set 'reward@window=4' --set 'simulation@duration=120 s' \
        --set 'radio/ue-group/workload[lenet5]@rate=0.2 Hz' \
        --set 'radio/ue-group/workload[resnet18]@rate=0.2 Hz' "$@" $SC
}
one="$TMP/one.db"
expect_exit 0 "a run with a window of 4" sparse "$one" --policy joint
expect_eq "the window reward is the mean reward of the UE's last four samples" \
    "$(window_misses "$one")" "0"
expect_eq "the window reward is not always zero" \
    "$(sql "$one" "SELECT count(*) > 10 FROM sample_rows WHERE window_reward < 0")" "1"

# The network's energy reports reach the window: scored by the edge energy
# alone, a window's reward is minus the mean edge energy the network reported.
rep="$TMP/rep.db"
expect_exit 0 "a run of edge scored by the reported edge energy" sparse "$rep" --policy edge \
    --set 'reward@latency-weight=0' --set 'reward@edge-energy-weight=1'
expect_eq "the window holds the edge energies the network reported" \
    "$(window_misses "$rep")" "0"
expect_eq "and some were not zero" \
    "$(sql "$rep" "SELECT count(*) > 10 FROM sample_rows WHERE window_reward < 0")" "1"

# A weighted reward: the formula of the XSD and README.
w="$TMP/w.db"
expect_exit 0 "a run with energy weights and a deadline penalty" "$COINFER" run --policy joint \
    --db "$w" --set 'reward@latency-scale=10 ms' --set 'reward@energy-weight=2' \
    --set 'reward@energy-scale=100 mJ' --set 'reward@edge-energy-weight=0.5' \
    --set 'reward@deadline-penalty=3' $SC
expect_eq "each reward follows the formula" \
    "$(sql "$w" "SELECT count(*) FROM samples JOIN inferences USING (run_id, inference_id) WHERE abs(reward - (-latency_s / 0.01 - 2 * ue_energy_j / 0.1 - 0.5 * edge_energy_j / 0.1 - 3 * (1 - deadline_met))) > 1e-9")" "0"

# Exploration: its own stream, so the arrivals and the channel do not move;
# the plans do.
e0="$TMP/e0.db"; e1="$TMP/e1.db"
expect_exit 0 "a run without exploration" "$COINFER" run --policy split --db "$e0" $SC
expect_exit 0 "a run exploring" "$COINFER" run --policy split --db "$e1" \
    --set 'exploration@split=0.5' --set 'exploration@option=0.2' $SC
expect_eq "exploring leaves the requests as they were" \
    "$(sql "$e1" "SELECT group_concat(ue_id || '@' || t_request_s) FROM (SELECT * FROM inferences ORDER BY inference_id)")" \
    "$(sql "$e0" "SELECT group_concat(ue_id || '@' || t_request_s) FROM (SELECT * FROM inferences ORDER BY inference_id)")"
expect_eq "exploring changes some decided plans" \
    "$(sql "$e1" "ATTACH '$e0' AS z; SELECT count(*) > 0 FROM sample_rows a JOIN z.sample_rows b USING (inference_id) WHERE a.action <> b.action")" "1"
expect_eq "exploring shows more distinct actions than split alone" \
    "$(sql "$e1" "ATTACH '$e0' AS z; SELECT (SELECT count(DISTINCT action) FROM main.sample_rows) > (SELECT count(DISTINCT action) FROM z.sample_rows)")" "1"
e2="$TMP/e2.db"
expect_exit 0 "the same exploring run again" "$COINFER" run --policy split --db "$e2" \
    --set 'exploration@split=0.5' --set 'exploration@option=0.2' $SC
expect_eq "exploration is reproducible" \
    "$(sql "$e2" "SELECT group_concat(action, ';') FROM (SELECT action FROM sample_rows ORDER BY inference_id)")" \
    "$(sql "$e1" "SELECT group_concat(action, ';') FROM (SELECT action FROM sample_rows ORDER BY inference_id)")"
expect_exit 2 "an exploration probability above 1 is bad input" "$COINFER" run --db "$TMP/x.db" \
    --set 'exploration@split=1.5' $SC
