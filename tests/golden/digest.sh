#!/usr/bin/env bash
# Print one line per (run, table) of a results database: the run's policy,
# the table, its row count and the SHA-256 of its rows, every column of the
# DESIGN.md contract quoted at full precision (SQLite's quote()), in key order.
# Inferences are two lines: the finished ones ("inferences") and, where a run
# recorded any, the unfinished ones ("unfinished": their stage too).
#
#   tests/golden/digest.sh DB
#
# Used by tests/golden/record.sh (to record) and tests/integration/test_golden.sh
# (to compare): two databases with the same lines hold the same rows, bit for bit.
# A database of schema version 5 or older (inferences.policy, no stage, no
# unfinished rows) digests to the same "inferences" lines as a newer one with
# the same finished rows.
set -euo pipefail
db=$1

q() { sqlite3 -batch -noheader -list "$db" "$1"; }

fin="inference_id, ue_id, cell_id, model, split, t_request_s, t_done_s, latency_s,
    ue_compute_s, uplink_s, edge_queue_s, edge_compute_s, downlink_s, signaling_s, ue_energy_j,
    edge_energy_j, correct, declined, overridden, deadline_met, ue_alloc, edge_alloc"
declare -A cols=(
    [inferences]="$fin"
    [unfinished]="$fin, stage"
    [messages]="t_s, src, dst, type, bytes, inference_id"
    [radio_samples]="ue_id, t_s, cell_id, x_m, y_m, ul_sinr_db, dl_sinr_db, ul_cqi, dl_cqi,
        ul_rate_bps, dl_rate_bps"
)
declare -A from=(
    [inferences]="inferences WHERE t_done_s IS NOT NULL AND"
    [unfinished]="inferences WHERE t_done_s IS NULL AND"
    [messages]="messages WHERE"
    [radio_samples]="radio_samples WHERE"
)
declare -A order=(
    [inferences]="inference_id"
    [unfinished]="inference_id"
    [messages]="rowid"
    [radio_samples]="t_s, ue_id"
)

while IFS='|' read -r run policy; do
    for t in inferences unfinished messages radio_samples; do
        n=$(q "SELECT count(*) FROM ${from[$t]} run_id = $run")
        [ "$n" -gt 0 ] || continue
        quoted=$(sed -E 's/[[:space:]]+/ /g; s/([a-z_0-9]+)/quote(\1)/g' <<<"${cols[$t]}")
        sum=$(q "SELECT $(sed 's/, / || '"'"'|'"'"' || /g' <<<"$quoted")
                 FROM ${from[$t]} run_id = $run ORDER BY ${order[$t]}" | sha256sum | cut -c1-64)
        echo "$policy $t $n $sum"
    done
done < <(q "SELECT run_id, policy FROM runs ORDER BY run_id")
