/*
 * db_schema.c — the results database's schema and its migrations.
 *
 * The schema is the ordered list of steps below: step n takes a database from
 * version n to n + 1 (PRAGMA user_version), version 0 being an empty file.
 * Opening a database runs the steps it lacks in one transaction, so a
 * database is always at exactly one version; a step is never edited once
 * released, a change is a new step. Tables and their columns are fixed by
 * DESIGN.md ("The user contract"); every physical quantity is SI with its
 * unit in the column name, times of day are ISO-8601 UTC text.
 *
 * Every table of DESIGN.md exists from version 4 on; later columns and
 * tables arrive as new steps.
 */
#include "db/db_int.h"

#include <stdio.h>

struct migration {
    const char *what; /* one line for error messages */
    const char *sql;  /* statements taking version n to n + 1 */
};

/* Laid out by hand, one SQL line a string: clang-format would re-flow the
 * whole table whenever a line of it changes. */
/* clang-format off */
static const struct migration migrations[] = {
    /* 0 -> 1: runs and the validation queue model's requests. Derived times
     * (wait, service, sojourn) are stored so that queries need no
     * arithmetic; requests is clustered on its key (WITHOUT ROWID) because
     * rows arrive in key order. A seed is a uint64 stored as the int64 with
     * the same bits. */
    {"create runs and requests",
     "CREATE TABLE runs (\n"
     "    run_id INTEGER PRIMARY KEY,\n"
     "    scenario TEXT NOT NULL,\n"
     "    scenario_sha256 TEXT,\n"
     "    policy TEXT NOT NULL,\n"
     "    seed INTEGER NOT NULL,\n"
     "    version TEXT,\n"
     "    started_at TEXT NOT NULL,\n"
     "    finished_at TEXT,\n"
     "    status TEXT NOT NULL DEFAULT 'running'\n"
     "        CHECK (status IN ('running', 'complete', 'failed', 'interrupted'))\n"
     ");\n"
     "CREATE TABLE requests (\n"
     "    run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
     "    request_id INTEGER NOT NULL,\n"
     "    ue_id INTEGER NOT NULL,\n"
     "    server_id INTEGER NOT NULL,\n"
     "    t_arrival_s REAL NOT NULL,\n"
     "    t_start_s REAL NOT NULL,\n"
     "    t_done_s REAL NOT NULL,\n"
     "    wait_s REAL NOT NULL,\n"
     "    service_s REAL NOT NULL,\n"
     "    sojourn_s REAL NOT NULL,\n"
     "    PRIMARY KEY (run_id, request_id)\n"
     ") WITHOUT ROWID;\n"},
    /* 1 -> 2: radio_samples, what coinfer radio records per UE per sample
     * period. Rows arrive in (t_s, ue_id) order within a run, so that is the
     * clustered key. A SINR of -inf dB (no signal) is stored as SQLite's -Inf. */
    {"create radio_samples",
     "CREATE TABLE radio_samples (\n"
     "    run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
     "    ue_id INTEGER NOT NULL,\n"
     "    t_s REAL NOT NULL,\n"
     "    cell_id INTEGER NOT NULL,\n"
     "    x_m REAL NOT NULL,\n"
     "    y_m REAL NOT NULL,\n"
     "    ul_sinr_db REAL NOT NULL,\n"
     "    dl_sinr_db REAL NOT NULL,\n"
     "    ul_cqi INTEGER NOT NULL,\n"
     "    dl_cqi INTEGER NOT NULL,\n"
     "    ul_rate_bps REAL NOT NULL,\n"
     "    dl_rate_bps REAL NOT NULL,\n"
     "    PRIMARY KEY (run_id, t_s, ue_id)\n"
     ") WITHOUT ROWID;\n"},
    /* 2 -> 3: profiles, what coinfer profile measures: one row per layer
     * (layer_index from 0) and one for the whole forward pass (layer_index
     * -1, layer_name and layer_type 'total'). DESIGN.md fixes the first
     * eleven columns; latency_s is the median of reps timed runs, and three
     * columns follow the fixed ones: the fastest and slowest of those runs
     * and when the profile was taken (ISO-8601 UTC text, one value for all
     * rows of one profile, so repeated profiles of a model stay apart). */
    {"create profiles",
     "CREATE TABLE profiles (\n"
     "    model TEXT NOT NULL,\n"
     "    layer_index INTEGER NOT NULL CHECK (layer_index >= -1),\n"
     "    layer_name TEXT NOT NULL,\n"
     "    layer_type TEXT NOT NULL,\n"
     "    resource TEXT NOT NULL,\n"
     "    threads INTEGER NOT NULL CHECK (threads >= 1),\n"
     "    flops INTEGER NOT NULL,\n"
     "    params INTEGER NOT NULL,\n"
     "    out_bytes INTEGER NOT NULL,\n"
     "    latency_s REAL NOT NULL,\n"
     "    reps INTEGER NOT NULL CHECK (reps >= 1),\n"
     "    latency_min_s REAL NOT NULL,\n"
     "    latency_max_s REAL NOT NULL,\n"
     "    profiled_at TEXT NOT NULL\n"
     ");\n"
     "CREATE INDEX profiles_by_model ON profiles (model, profiled_at, layer_index);\n"},
    /* 3 -> 4: the collaborative-inference protocol's tables. inferences: one
     * row per finished inference; rows arrive in completion order, close to
     * but not exactly key order, and carry two allocation texts, so it is a
     * rowid table with its key (run_id, inference_id) as the unique index
     * every per-run query uses. model and policy are names; correct is NULL
     * when not known (costed mode); flags are 0 or 1. messages (with
     * --trace): one row per delivered message in delivery order, src and
     * dst "ue:<id>" / "cell:<id>", inference_id NULL for state messages;
     * indexed by (run_id, inference_id) to follow one inference's exchange.
     * samples: the RL agent's training samples, one per inference (state,
     * action and next_state as text; next_state NULL at the end of a run). */
    {"create inferences, messages and samples",
     "CREATE TABLE inferences (\n"
     "    run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
     "    inference_id INTEGER NOT NULL CHECK (inference_id >= 0),\n"
     "    ue_id INTEGER NOT NULL,\n"
     "    cell_id INTEGER NOT NULL,\n"
     "    model TEXT NOT NULL,\n"
     "    policy TEXT NOT NULL,\n"
     "    split INTEGER NOT NULL,\n"
     "    t_request_s REAL NOT NULL,\n"
     "    t_done_s REAL NOT NULL,\n"
     "    latency_s REAL NOT NULL,\n"
     "    ue_compute_s REAL NOT NULL,\n"
     "    uplink_s REAL NOT NULL,\n"
     "    edge_queue_s REAL NOT NULL,\n"
     "    edge_compute_s REAL NOT NULL,\n"
     "    downlink_s REAL NOT NULL,\n"
     "    signaling_s REAL NOT NULL,\n"
     "    ue_energy_j REAL NOT NULL,\n"
     "    edge_energy_j REAL NOT NULL,\n"
     "    correct INTEGER CHECK (correct IN (0, 1)),\n"
     "    declined INTEGER NOT NULL CHECK (declined IN (0, 1)),\n"
     "    overridden INTEGER NOT NULL CHECK (overridden IN (0, 1)),\n"
     "    deadline_met INTEGER NOT NULL CHECK (deadline_met IN (0, 1)),\n"
     "    ue_alloc TEXT NOT NULL,\n"
     "    edge_alloc TEXT NOT NULL,\n"
     "    PRIMARY KEY (run_id, inference_id)\n"
     ");\n"
     "CREATE TABLE messages (\n"
     "    run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
     "    t_s REAL NOT NULL,\n"
     "    src TEXT NOT NULL,\n"
     "    dst TEXT NOT NULL,\n"
     "    type TEXT NOT NULL,\n"
     "    bytes REAL NOT NULL CHECK (bytes >= 0),\n"
     "    inference_id INTEGER CHECK (inference_id >= 0)\n"
     ");\n"
     "CREATE INDEX messages_by_inference ON messages (run_id, inference_id);\n"
     "CREATE TABLE samples (\n"
     "    run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
     "    inference_id INTEGER NOT NULL CHECK (inference_id >= 0),\n"
     "    state TEXT NOT NULL,\n"
     "    action TEXT NOT NULL,\n"
     "    reward REAL NOT NULL,\n"
     "    next_state TEXT,\n"
     "    PRIMARY KEY (run_id, inference_id)\n"
     ");\n"},
    /* 4 -> 5: the configuration of each run, so that a run can be made again
     * from the database alone. configs holds each canonical configuration
     * text once, keyed by its SHA-256 (a scenario file with every knob
     * written, --set applied: `coinfer report DB --config RUN` prints it);
     * runs gains that key and the --set overrides of the run (one
     * "PATH=VALUE" per line, NULL without any): what differs from the
     * scenario file. Runs recorded before keep NULL in both. */
    {"create configs, add runs.config_sha256 and runs.overrides",
     "CREATE TABLE configs (\n"
     "    config_sha256 TEXT PRIMARY KEY,\n"
     "    config TEXT NOT NULL\n"
     ") WITHOUT ROWID;\n"
     "ALTER TABLE runs ADD COLUMN config_sha256 TEXT REFERENCES configs(config_sha256);\n"
     "ALTER TABLE runs ADD COLUMN overrides TEXT;\n"},
    /* 5 -> 6: inferences unfinished when a run stops are rows too:
     * t_done_s and latency_s NULL, the components reached so far, stage
     * the protocol state it stood in (NULL for a finished one), deadline_met
     * NULL while its deadline had not yet passed. policy goes: it is the
     * run's (runs.policy), and two tables naming one column alike made
     * runs JOIN inferences ambiguous. decline_reason says why the network
     * declined (NULL in rows copied from v5: not known); no_plan_layer the
     * layer no UE option runs when an inference ended with no plan (stage
     * "no-plan"); the decided_ and predicted_ columns explain the decision:
     * the state it saw, its predicted cost, and the plan the UE decided
     * where an a3 changed it (NULL in rows copied from v5). ues names
     * each UE's device class, group, and start cell and position, so that
     * results break down by device class. SQLite cannot relax NOT NULL in place: the table is
     * rebuilt, its rows copied. */
    {"inferences: unfinished and no-plan rows, decisions explained, no policy column; ues",
     "CREATE TABLE inferences_v6 (\n"
     "    run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
     "    inference_id INTEGER NOT NULL CHECK (inference_id >= 0),\n"
     "    ue_id INTEGER NOT NULL,\n"
     "    cell_id INTEGER NOT NULL,\n"
     "    model TEXT NOT NULL,\n"
     "    split INTEGER NOT NULL,\n"
     "    t_request_s REAL NOT NULL,\n"
     "    t_done_s REAL,\n"
     "    latency_s REAL,\n"
     "    ue_compute_s REAL NOT NULL,\n"
     "    uplink_s REAL NOT NULL,\n"
     "    edge_queue_s REAL NOT NULL,\n"
     "    edge_compute_s REAL NOT NULL,\n"
     "    downlink_s REAL NOT NULL,\n"
     "    signaling_s REAL NOT NULL,\n"
     "    ue_energy_j REAL NOT NULL,\n"
     "    edge_energy_j REAL NOT NULL,\n"
     "    correct INTEGER CHECK (correct IN (0, 1)),\n"
     "    declined INTEGER NOT NULL CHECK (declined IN (0, 1)),\n"
     "    overridden INTEGER NOT NULL CHECK (overridden IN (0, 1)),\n"
     "    deadline_met INTEGER CHECK (deadline_met IN (0, 1)),\n"
     "    ue_alloc TEXT NOT NULL,\n"
     "    edge_alloc TEXT NOT NULL,\n"
     "    stage TEXT,\n"
     "    decline_reason TEXT CHECK (decline_reason IN ('no-uplink', 'no-downlink', "
     "'edge-withdrawn', 'admission-wait')),\n"
     "    no_plan_layer INTEGER CHECK (no_plan_layer >= 0),\n"
     "    decided_split INTEGER CHECK (decided_split >= 0),\n"
     "    decided_ue_alloc TEXT,\n"
     "    decided_edge_alloc TEXT,\n"
     "    decided_ue_load REAL,\n"
     "    decided_battery_j REAL,\n"
     "    decided_ul_rate_bps REAL,\n"
     "    decided_dl_rate_bps REAL,\n"
     "    decided_edge_waits_s TEXT,\n"
     "    predicted_latency_s REAL,\n"
     "    predicted_ue_energy_j REAL,\n"
     "    predicted_edge_energy_j REAL,\n"
     "    CHECK ((t_done_s IS NULL) = (stage IS NOT NULL)),\n"
     "    CHECK (decline_reason IS NULL OR declined = 1),\n"
     "    CHECK ((no_plan_layer IS NOT NULL) = (stage IS 'no-plan')),\n"
     "    PRIMARY KEY (run_id, inference_id)\n"
     ");\n"
     "INSERT INTO inferences_v6 (run_id, inference_id, ue_id, cell_id, model, split, "
     "t_request_s, t_done_s, latency_s, ue_compute_s, uplink_s, edge_queue_s, edge_compute_s, "
     "downlink_s, signaling_s, ue_energy_j, edge_energy_j, correct, declined, overridden, "
     "deadline_met, ue_alloc, edge_alloc) SELECT run_id, inference_id, ue_id, cell_id, model, "
     "split, t_request_s, t_done_s, latency_s, ue_compute_s, uplink_s, edge_queue_s, "
     "edge_compute_s, downlink_s, signaling_s, ue_energy_j, edge_energy_j, correct, declined, "
     "overridden, deadline_met, ue_alloc, edge_alloc FROM inferences;\n"
     "DROP TABLE inferences;\n"
     "ALTER TABLE inferences_v6 RENAME TO inferences;\n"
     "CREATE TABLE ues (\n"
     "    run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
     "    ue_id INTEGER NOT NULL CHECK (ue_id >= 0),\n"
     "    device TEXT NOT NULL,\n"
     "    ue_group INTEGER NOT NULL CHECK (ue_group >= 0),\n"
     "    cell_id INTEGER NOT NULL CHECK (cell_id >= 0),\n"
     "    x_m REAL NOT NULL,\n"
     "    y_m REAL NOT NULL,\n"
     "    PRIMARY KEY (run_id, ue_id)\n"
     ");\n"},
    /* 6 -> 7: restarts counts an inference's restarts at a new cell after
     * a handover; plan_order the plan's order of layers where it is not
     * the layers' own (a DAG cut that is no prefix), so that ue_alloc's
     * positions name layers; energy is the run's energy ledger per UE and
     * per edge instance of each cell (proto_energy_row); layers names each
     * model's problem layers and the nn layers each one is. The table is
     * rebuilt (its rows copied) so that decline_reason's CHECK compares
     * with each value: SQLite codes an IN list of more than two constants
     * as a temporary table built at every insert, which made an inference's
     * row cost three times what it did. */
    {"inferences: restarts, plan_order; energy ledger; layers",
     "CREATE TABLE inferences_v7 (\n"
     "    run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
     "    inference_id INTEGER NOT NULL CHECK (inference_id >= 0),\n"
     "    ue_id INTEGER NOT NULL,\n"
     "    cell_id INTEGER NOT NULL,\n"
     "    model TEXT NOT NULL,\n"
     "    split INTEGER NOT NULL,\n"
     "    t_request_s REAL NOT NULL,\n"
     "    t_done_s REAL,\n"
     "    latency_s REAL,\n"
     "    ue_compute_s REAL NOT NULL,\n"
     "    uplink_s REAL NOT NULL,\n"
     "    edge_queue_s REAL NOT NULL,\n"
     "    edge_compute_s REAL NOT NULL,\n"
     "    downlink_s REAL NOT NULL,\n"
     "    signaling_s REAL NOT NULL,\n"
     "    ue_energy_j REAL NOT NULL,\n"
     "    edge_energy_j REAL NOT NULL,\n"
     "    correct INTEGER CHECK (correct IN (0, 1)),\n"
     "    declined INTEGER NOT NULL CHECK (declined IN (0, 1)),\n"
     "    overridden INTEGER NOT NULL CHECK (overridden IN (0, 1)),\n"
     "    deadline_met INTEGER CHECK (deadline_met IN (0, 1)),\n"
     "    ue_alloc TEXT NOT NULL,\n"
     "    edge_alloc TEXT NOT NULL,\n"
     "    stage TEXT,\n"
     "    decline_reason TEXT CHECK (decline_reason = 'no-uplink' OR "
     "decline_reason = 'no-downlink' OR decline_reason = 'edge-withdrawn' OR "
     "decline_reason = 'admission-wait'),\n"
     "    no_plan_layer INTEGER CHECK (no_plan_layer >= 0),\n"
     "    decided_split INTEGER CHECK (decided_split >= 0),\n"
     "    decided_ue_alloc TEXT,\n"
     "    decided_edge_alloc TEXT,\n"
     "    decided_ue_load REAL,\n"
     "    decided_battery_j REAL,\n"
     "    decided_ul_rate_bps REAL,\n"
     "    decided_dl_rate_bps REAL,\n"
     "    decided_edge_waits_s TEXT,\n"
     "    predicted_latency_s REAL,\n"
     "    predicted_ue_energy_j REAL,\n"
     "    predicted_edge_energy_j REAL,\n"
     "    restarts INTEGER NOT NULL DEFAULT 0 CHECK (restarts >= 0),\n"
     "    plan_order TEXT,\n"
     "    CHECK ((t_done_s IS NULL) = (stage IS NOT NULL)),\n"
     "    CHECK (decline_reason IS NULL OR declined = 1),\n"
     "    CHECK ((no_plan_layer IS NOT NULL) = (stage IS 'no-plan')),\n"
     "    PRIMARY KEY (run_id, inference_id)\n"
     ");\n"
     "INSERT INTO inferences_v7 (run_id, inference_id, ue_id, cell_id, model, split, "
     "t_request_s, t_done_s, latency_s, ue_compute_s, uplink_s, edge_queue_s, "
     "edge_compute_s, downlink_s, signaling_s, ue_energy_j, edge_energy_j, correct, declined, "
     "overridden, "
     "deadline_met, ue_alloc, edge_alloc, stage, decline_reason, no_plan_layer, "
     "decided_split, decided_ue_alloc, decided_edge_alloc, decided_ue_load, "
     "decided_battery_j, decided_ul_rate_bps, decided_dl_rate_bps, "
     "decided_edge_waits_s, predicted_latency_s, predicted_ue_energy_j, "
     "predicted_edge_energy_j) "
     "SELECT run_id, inference_id, ue_id, cell_id, model, split, t_request_s, "
     "t_done_s, latency_s, ue_compute_s, uplink_s, edge_queue_s, edge_compute_s, "
     "downlink_s, signaling_s, ue_energy_j, edge_energy_j, correct, declined, overridden, "
     "deadline_met, ue_alloc, edge_alloc, stage, decline_reason, no_plan_layer, "
     "decided_split, decided_ue_alloc, decided_edge_alloc, decided_ue_load, "
     "decided_battery_j, decided_ul_rate_bps, decided_dl_rate_bps, "
     "decided_edge_waits_s, predicted_latency_s, predicted_ue_energy_j, "
     "predicted_edge_energy_j FROM inferences;\n"
     "DROP TABLE inferences;\n"
     "ALTER TABLE inferences_v7 RENAME TO inferences;\n"
     "CREATE TABLE energy (\n"
     "    run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
     "    owner TEXT NOT NULL CHECK (owner IN ('ue', 'edge')),\n"
     "    ue_id INTEGER CHECK (ue_id >= 0),\n"
     "    cell_id INTEGER NOT NULL CHECK (cell_id >= 0),\n"
     "    resource TEXT,\n"
     "    idle_j REAL NOT NULL,\n"
     "    compute_j REAL NOT NULL,\n"
     "    background_j REAL NOT NULL,\n"
     "    radio_j REAL NOT NULL,\n"
     "    tail_j REAL NOT NULL,\n"
     "    duration_s REAL NOT NULL,\n"
     "    CHECK ((owner = 'ue') = (ue_id IS NOT NULL)),\n"
     "    CHECK ((owner = 'edge') = (resource IS NOT NULL))\n"
     ");\n"
     "CREATE TABLE layers (\n"
     "    run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
     "    model TEXT NOT NULL,\n"
     "    layer INTEGER NOT NULL CHECK (layer >= 0),\n"
     "    name TEXT NOT NULL,\n"
     "    op TEXT NOT NULL,\n"
     "    nn_layers TEXT NOT NULL,\n"
     "    out_bytes REAL NOT NULL,\n"
     "    PRIMARY KEY (run_id, model, layer)\n"
     ");\n"},
    /* 7 -> 8: parameter studies. sweep_points has one row per point of a
     * sweep (coinfer sweep), keyed by its content key: the SHA-256 of its
     * resolved configuration, policy, seed and coinfer's version. Its status
     * is 'pending' (recorded, not run or put back after a stop), 'running',
     * 'complete' (run_id names its run, imported in the same transaction)
     * or 'failed' (exit_status: the worker's exit status, negative for a
     * signal; error: the end of its stderr). sweep_values holds each point's
     * factor values as data: the text as the sweep writes it and, for
     * numbers, the value in SI. */
    {"create sweep_points and sweep_values",
     "CREATE TABLE sweep_points (\n"
     "    point_key TEXT PRIMARY KEY,\n"
     "    sweep TEXT NOT NULL,\n"
     "    sweep_file TEXT NOT NULL,\n"
     "    point_index INTEGER NOT NULL CHECK (point_index >= 0),\n"
     "    combination INTEGER NOT NULL CHECK (combination >= 0),\n"
     "    replication INTEGER NOT NULL CHECK (replication >= 0),\n"
     "    policy TEXT NOT NULL,\n"
     "    seed INTEGER NOT NULL,\n"
     "    config_sha256 TEXT NOT NULL,\n"
     "    version TEXT NOT NULL,\n"
     "    status TEXT NOT NULL DEFAULT 'pending'\n"
     "        CHECK (status IN ('pending', 'running', 'complete', 'failed')),\n"
     "    run_id INTEGER REFERENCES runs(run_id),\n"
     "    exit_status INTEGER,\n"
     "    error TEXT,\n"
     "    updated_at TEXT NOT NULL,\n"
     "    CHECK ((run_id IS NOT NULL) = (status = 'complete'))\n"
     ") WITHOUT ROWID;\n"
     "CREATE TABLE sweep_values (\n"
     "    point_key TEXT NOT NULL REFERENCES sweep_points(point_key),\n"
     "    factor_index INTEGER NOT NULL CHECK (factor_index >= 0),\n"
     "    factor TEXT NOT NULL,\n"
     "    path TEXT NOT NULL,\n"
     "    value TEXT NOT NULL,\n"
     "    value_num REAL,\n"
     "    PRIMARY KEY (point_key, factor_index)\n"
     ") WITHOUT ROWID;\n"},
    /* 8 -> 9: the learning agent's training samples (DESIGN.md step 9).
     * samples (never filled before: dropped) becomes a view over
     * sample_rows, one row per finished inference of a collaborative run:
     * the state the UE decided on and the plan it decided (its last a2,
     * before any a3) encoded as comma-separated numbers, the inference's
     * reward and the reward of the UE's feedback window when it decided.
     * Rows arrive in completion order: a rowid table with its key as a
     * unique index, like inferences. The view adds next_state, the state of
     * the next sample of the same UE and model (NULL for its last), so it is
     * never stored twice. sample_fields names every field of the state and
     * action encodings of each (device class, model) of a run, with units.
     * trainings records each `coinfer train` (the agent file it wrote, the
     * databases and sample count it read, its settings and status) and
     * training_steps its progress: the mean training loss since the last
     * report, the held-out loss and regret (NULL when nothing is held out). */
    {"create sample_rows, sample_fields and the samples view",
     "DROP TABLE samples;\n"
     "CREATE TABLE sample_rows (\n"
     "    run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
     "    inference_id INTEGER NOT NULL CHECK (inference_id >= 0),\n"
     "    ue_id INTEGER NOT NULL CHECK (ue_id >= 0),\n"
     "    device TEXT NOT NULL,\n"
     "    model TEXT NOT NULL,\n"
     "    state TEXT NOT NULL,\n"
     "    action TEXT NOT NULL,\n"
     "    reward REAL NOT NULL,\n"
     "    window_reward REAL NOT NULL\n"
     ");\n"
     "CREATE UNIQUE INDEX sample_rows_key ON sample_rows (run_id, inference_id);\n"
     "CREATE INDEX sample_rows_by_ue ON sample_rows (run_id, ue_id, model, inference_id);\n"
     "CREATE TABLE sample_fields (\n"
     "    run_id INTEGER NOT NULL REFERENCES runs(run_id),\n"
     "    device TEXT NOT NULL,\n"
     "    model TEXT NOT NULL,\n"
     "    kind TEXT NOT NULL CHECK (kind IN ('state', 'action')),\n"
     "    field INTEGER NOT NULL CHECK (field >= 0),\n"
     "    name TEXT NOT NULL,\n"
     "    unit TEXT NOT NULL,\n"
     "    description TEXT NOT NULL,\n"
     "    PRIMARY KEY (run_id, device, model, kind, field)\n"
     ") WITHOUT ROWID;\n"
     "CREATE VIEW samples AS SELECT run_id, inference_id, ue_id, device, model, state, action, "
     "reward, window_reward, LEAD(state) OVER (PARTITION BY run_id, ue_id, model "
     "ORDER BY inference_id) AS next_state FROM sample_rows;\n"
     "CREATE TABLE trainings (\n"
     "    train_id INTEGER PRIMARY KEY,\n"
     "    agent TEXT NOT NULL,\n"
     "    sources TEXT NOT NULL,\n"
     "    samples INTEGER NOT NULL CHECK (samples >= 0),\n"
     "    seed INTEGER NOT NULL,\n"
     "    steps INTEGER NOT NULL CHECK (steps >= 1),\n"
     "    settings TEXT NOT NULL,\n"
     "    version TEXT NOT NULL,\n"
     "    started_at TEXT NOT NULL,\n"
     "    finished_at TEXT,\n"
     "    status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed', "
     "'interrupted'))\n"
     ");\n"
     "CREATE TABLE training_steps (\n"
     "    train_id INTEGER NOT NULL REFERENCES trainings(train_id),\n"
     "    step INTEGER NOT NULL CHECK (step >= 1),\n"
     "    loss REAL NOT NULL,\n"
     "    heldout_loss REAL,\n"
     "    heldout_regret REAL,\n"
     "    PRIMARY KEY (train_id, step)\n"
     ") WITHOUT ROWID;\n"},
    /* 9 -> 10: accuracy, what `coinfer accuracy` measures (issue 12): one row
     * per (split, encoding) of a measurement, not tied to a run. split is the
     * number of layers the device runs (a prefix of the layer order, 0: the
     * input crosses), layer the last of them ('input' for 0); crossing_bytes
     * what one inference sends with the encoding; correct of items test
     * images; fp32_accuracy the whole model's on the same images, the
     * reference of the difference; measured_at one value for all rows of a
     * measurement, as profiles' profiled_at. */
    {"create accuracy",
     "CREATE TABLE accuracy (\n"
     "    model TEXT NOT NULL,\n"
     "    weights TEXT NOT NULL,\n"
     "    split INTEGER NOT NULL CHECK (split >= 0),\n"
     "    layer TEXT NOT NULL,\n"
     "    encoding TEXT NOT NULL,\n"
     "    crossing_bytes INTEGER NOT NULL CHECK (crossing_bytes >= 0),\n"
     "    items INTEGER NOT NULL CHECK (items >= 1),\n"
     "    correct INTEGER NOT NULL CHECK (correct >= 0 AND correct <= items),\n"
     "    accuracy REAL NOT NULL,\n"
     "    fp32_accuracy REAL NOT NULL,\n"
     "    measured_at TEXT NOT NULL\n"
     ");\n"
     "CREATE INDEX accuracy_by_model ON accuracy (model, measured_at, split, encoding);\n"},
    /* 10 -> 11: exit_accuracy, what `coinfer accuracy --exits` measures (early
     * exits): one row per (threshold, stage) of a measurement. stage 0 ..
     * n - 1 are the exits in order, exit their name and after_layer their
     * attach point; stage n is the model's own output (exit NULL,
     * after_layer its last layer). thresholds is the grid point, every
     * exit's threshold ("0.9", one for all, or "0.9/0.8" one per exit),
     * threshold this row's exit's (NULL for the output). exited of items test images left there,
     * correct of them right (exit_accuracy NULL when none left); stage_macs
     * what an image leaving there cost; the cascade_ figures are the whole
     * cascade's at that threshold, repeated on its rows; model_ the model's
     * without exits on the same images. */
    {"create exit_accuracy",
     "CREATE TABLE exit_accuracy (\n"
     "    model TEXT NOT NULL,\n"
     "    weights TEXT NOT NULL,\n"
     "    confidence TEXT NOT NULL CHECK (confidence IN ('max-prob', 'entropy')),\n"
     "    thresholds TEXT NOT NULL,\n"
     "    threshold REAL,\n"
     "    stage INTEGER NOT NULL CHECK (stage >= 0),\n"
     "    exit TEXT,\n"
     "    after_layer TEXT NOT NULL,\n"
     "    items INTEGER NOT NULL CHECK (items >= 1),\n"
     "    exited INTEGER NOT NULL CHECK (exited >= 0 AND exited <= items),\n"
     "    correct INTEGER NOT NULL CHECK (correct >= 0 AND correct <= exited),\n"
     "    exit_rate REAL NOT NULL,\n"
     "    exit_accuracy REAL,\n"
     "    stage_macs INTEGER NOT NULL CHECK (stage_macs >= 0),\n"
     "    cascade_accuracy REAL NOT NULL,\n"
     "    cascade_macs REAL NOT NULL,\n"
     "    model_accuracy REAL NOT NULL,\n"
     "    model_macs INTEGER NOT NULL,\n"
     "    measured_at TEXT NOT NULL\n"
     ");\n"
     "CREATE INDEX exit_accuracy_by_model ON exit_accuracy (model, measured_at, confidence, "
     "thresholds, stage);\n"},
    /* 11 -> 12: profiles keyed by host (issue 14). host_key names the host a
     * profile was taken on: its CPU model, the OpenBLAS kernel family that ran
     * and the threads (db_profile_host_key), so that several hosts live in
     * one file and a scenario names one (resource profile="FILE#KEY"); a
     * re-profile of a model under the same key replaces its rows
     * (db_replace_profile). cpu_model is /proc/cpuinfo's "model name",
     * blas_coretype OPENBLAS_CORETYPE as set ('' when unset), blas_corename
     * the family OpenBLAS ran (openblas_get_corename), blas_cpu_family the
     * newest family the CPU's instruction set runs, blas_config the
     * library's build (openblas_get_config). Rows recorded before have
     * NULL in all six and belong to no key. */
    {"profiles: host_key and the host's CPU and OpenBLAS kernels",
     "ALTER TABLE profiles ADD COLUMN host_key TEXT;\n"
     "ALTER TABLE profiles ADD COLUMN cpu_model TEXT;\n"
     "ALTER TABLE profiles ADD COLUMN blas_coretype TEXT;\n"
     "ALTER TABLE profiles ADD COLUMN blas_corename TEXT;\n"
     "ALTER TABLE profiles ADD COLUMN blas_cpu_family TEXT;\n"
     "ALTER TABLE profiles ADD COLUMN blas_config TEXT;\n"
     "CREATE INDEX profiles_by_host ON profiles (host_key, model, layer_index);\n"},
    /* 12 -> 13: the uplink's feature encoding of each inference (issue 12's
     * plans carry one: fp32, fp16, int8, int4, topk:F). encoding is the
     * executed plan's (nn_encoding_text's name; NULL where the plan sends
     * nothing across the uplink: a local plan, a declined request run
     * locally, no plan at all); decided_encoding the decided plan's where
     * an a3 changed the plan, NULL otherwise, as decided_split. Rows
     * recorded before have both NULL. */
    {"inferences: encoding, decided_encoding",
     "ALTER TABLE inferences ADD COLUMN encoding TEXT;\n"
     "ALTER TABLE inferences ADD COLUMN decided_encoding TEXT;\n"},
    /* 13 -> 14: where each inference ended (issue 12's early exits in
     * plans): exit is the executed plan's exit by name ('output' for the
     * model's own output, the model file's exit name for an early exit),
     * NULL where no plan ran. Rows recorded before have it NULL. */
    {"inferences: exit", "ALTER TABLE inferences ADD COLUMN exit TEXT;\n"},
    /* 14 -> 15: a sweep's workers write their runs into the results
     * database themselves, and the sweep finds the run of each point that
     * completed by the parts of its content key a run records (its
     * configuration's SHA-256, policy, seed and coinfer's version):
     * db_sweep_claim_runs. This index makes that one lookup a point. */
    {"runs: runs_by_content",
     "CREATE INDEX runs_by_content ON runs (config_sha256, policy, seed, version);\n"},
    /* 15 -> 16: the accuracy rows `coinfer accuracy` could not store. cut
     * is a cut that is no prefix of the layer order (`--cuts all`: a DAG
     * cut across branches) as the accuracy file writes it, the device's
     * layers as ranges ("0-13,16-17", io_accuracy_cut_text), split then the
     * count of those layers and layer the crossing tensors' layers joined by
     * '+'; NULL for a prefix. exit is the early exit a plan ends at (the rows
     * of an exit's section: split counts the exit's right-sized model's
     * layers the device runs, nn_exit_model), NULL for the model's own
     * output. Rows recorded before have both NULL, which is what they were. */
    {"accuracy: cut, exit",
     "ALTER TABLE accuracy ADD COLUMN cut TEXT;\n"
     "ALTER TABLE accuracy ADD COLUMN exit TEXT;\n"},
};
/* clang-format on */
static_assert(ARRAY_LEN(migrations) == DB_SCHEMA_VERSION,
              "one migration step per schema version");

enum core_rc db_read_version(sqlite3 *conn, const char *path, int *version, struct core_err *e)
{
    sqlite3_stmt *st = NULL;
    enum core_rc rc = CORE_OK;
    int src;

    src = sqlite3_prepare_v2(conn, "PRAGMA user_version", -1, &st, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_step(st);
    if (src != SQLITE_ROW) {
        if ((sqlite3_extended_errcode(conn) & 0xff) == SQLITE_NOTADB)
            rc = core_err(e, CORE_E_INPUT, "%s: not a SQLite database (%s)", path,
                          sqlite3_errmsg(conn));
        else
            rc = db_err(e, conn, path, "reading the schema version");
        goto out_finalize;
    }
    *version = sqlite3_column_int(st, 0);
    if (*version > DB_SCHEMA_VERSION)
        rc = core_err(e, CORE_E_INPUT,
                      "%s: results database schema version %d is newer than this coinfer (%d)",
                      path, *version, DB_SCHEMA_VERSION);
    else if (*version < 0)
        rc = core_err(e, CORE_E_INPUT, "%s: not a coinfer results database (schema version %d)",
                      path, *version);
out_finalize:
    sqlite3_finalize(st);
    return rc;
}

enum core_rc db_migrate(sqlite3 *conn, const char *path, struct core_err *e)
{
    char set_version[64];
    enum core_rc rc;
    int version;

    rc = db_read_version(conn, path, &version, e);
    if (rc != CORE_OK || version == DB_SCHEMA_VERSION)
        return rc;

    /* IMMEDIATE takes the write lock now; the version is read again inside
     * the transaction in case another process migrated it meanwhile. */
    if (sqlite3_exec(conn, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_err(e, conn, path, "locking the database to migrate it");
    rc = db_read_version(conn, path, &version, e);
    if (rc != CORE_OK)
        goto out_rollback;
    for (; version < DB_SCHEMA_VERSION; version++) {
        if (sqlite3_exec(conn, migrations[version].sql, NULL, NULL, NULL) == SQLITE_OK)
            continue;
        /* A plain SQL error here means the file holds tables of its own that
         * clash with ours: the user pointed coinfer at the wrong database. */
        if (sqlite3_extended_errcode(conn) == SQLITE_ERROR)
            rc = core_err(e, CORE_E_INPUT,
                          "%s: not a coinfer results database: migrating it from schema "
                          "version %d to %d (%s) failed: %s",
                          path, version, version + 1, migrations[version].what,
                          sqlite3_errmsg(conn));
        else
            rc = db_err(e, conn, path,
                           "migrating the results database from schema version %d to %d (%s)",
                           version, version + 1, migrations[version].what);
        goto out_rollback;
    }
    snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d", DB_SCHEMA_VERSION);
    if (sqlite3_exec(conn, set_version, NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_err(e, conn, path, "setting the schema version");
        goto out_rollback;
    }
    if (sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_err(e, conn, path, "committing the schema migration");
        goto out_rollback;
    }
    return CORE_OK;

out_rollback:
    sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}
