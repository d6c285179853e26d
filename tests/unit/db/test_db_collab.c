/*
 * test_db_collab.c — the collaborative-inference rows of the results
 * database (schema version 5): inferences and messages read back with every
 * column checked bit-exact (correct -1 as NULL, model names, the policy of
 * the batch, allocation texts), messages' direction and state messages'
 * NULL inference, the samples table's constraints, the encoding columns
 * (the executed plan's uplink encoding by name, fp32 without encodings,
 * NULL for local and no-plan rows, the decided one where an a3 changed the
 * plan), migration from versions 3, 5 and 12 keeping the older rows, and batches that fail as a whole (a run that does
 * not exist, a duplicate inference, a value a CHECK refuses, a model with no
 * name) while earlier batches stay and the statements keep working. Each
 * test works in its own directory under /tmp; what was written is read
 * through a separate raw SQLite connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "sqlutil.h"
#include "testutil.h"

#include "db/db.h"

/* ---- helpers --------------------------------------------------------------- */

static int setup(void **state)
{
    *state = testutil_dir_create("dbcollab", "results.db");
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    core_alloc_fail_after(0);
    testutil_dir_destroy(*state);
    return 0;
}

static int64_t count_rows(const char *path, const char *table)
{
    sqlite3 *conn = raw_open(path);
    char sql[128];
    int64_t n;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    n = raw_int(conn, sql);
    sqlite3_close(conn);
    return n;
}

static const struct db_run_info run_info = {
    .scenario = "default",
    .scenario_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    .policy = "oracle",
    .seed = 7,
    .version = "test",
};

static struct db *open_ok(const char *path)
{
    struct core_err e;
    struct db *db;

    core_err_clear(&e);
    db = db_open(path, &e);
    if (!db)
        fprintf(stderr, "db_open: %s\n", e.msg);
    assert_non_null(db);
    return db;
}

static int64_t begin_run(struct db *db)
{
    struct core_err err;
    int64_t run_id = 0;

    core_err_clear(&err);
    assert_core_rc(db_run_begin(db, &run_info, &run_id, &err), CORE_OK);
    return run_id;
}

static const char *const model_names[] = {"lenet5", "mobilenet_v2"};

/* The problem the rows' plans belong to: a 10-layer chain, one UE option
 * "npu", edge options "gpu0" to "gpu2" (built in main). */
static struct compute_problem problem;

static void make_problem(void)
{
    assert_int_equal(compute_problem_init(&problem, 10, 1, 3, NULL), CORE_OK);
    snprintf(problem.options[COMPUTE_SIDE_UE][0].label, sizeof(problem.options[0][0].label),
             "npu");
    for (int o = 0; o < 3; o++)
        snprintf(problem.options[COMPUTE_SIDE_EDGE][o].label,
                 sizeof(problem.options[0][0].label), "gpu%d", o);
}

/* The allocation texts of row i's plan. */
static const char *const want_ue_alloc[3] = {"", "npu:0-2", "npu:0-5"};
static const char *const want_edge_alloc[3] = {"gpu0:0-9", "gpu1:3-9", "gpu2:6-9"};

/* Three inferences whose every field differs from the others' and from its
 * neighbours' in the row: correct unknown, wrong and right; each flag set in
 * one row; row i's plan has 3 i layers on the UE and the rest on edge
 * option i. Times are not round in binary, to check bit-exact storage. */
static void make_inferences(struct proto_outcome rows[3], uint64_t first_id)
{
    int i;

    memset(rows, 0, 3 * sizeof(*rows));
    for (i = 0; i < 3; i++) {
        struct proto_outcome *r = &rows[i];
        double k = (double)i + 1.0;

        r->inference_id = first_id + (uint64_t)i;
        r->finished = true;
        r->ue_id = 10u + (uint32_t)i;
        r->cell_id = 2u + (uint32_t)i;
        r->model = (uint32_t)(i % 2);
        r->split = 3 * i;
        r->t_request_s = 0.1 * k;
        r->ue_compute_s = 0.011 * k;
        r->uplink_s = 0.0023 * k;
        r->edge_queue_s = 0.0037 * k;
        r->edge_compute_s = 0.0041 * k;
        r->downlink_s = 0.00053 * k;
        r->signaling_s = 0.00067 * k;
        r->latency_s = r->ue_compute_s + r->uplink_s + r->edge_queue_s + r->edge_compute_s +
                       r->downlink_s + r->signaling_s;
        r->t_done_s = r->t_request_s + r->latency_s;
        r->ue_energy_j = 0.0123 * k;
        r->edge_energy_j = 0.456 * k;
        r->correct = i - 1; /* -1, 0, 1 */
        r->declined = i == 0;
        r->overridden = i == 1;
        r->deadline_met = i != 2;
        r->problem = &problem;
        r->plan.n_layers = 10;
        r->plan.n_ue = (uint32_t)(3 * i);
        for (uint32_t l = 0; l < 10; l++) {
            r->plan.order[l] = (uint16_t)l;
            r->plan.option[l] = l < r->plan.n_ue ? 0 : (uint8_t)i;
        }
        r->restarts = (uint32_t)i;
    }
    /* the last one's plan orders layers 7 and 8 the other way round */
    rows[2].plan.order[7] = 8;
    rows[2].plan.order[8] = 7;
}

/* ---- inferences ------------------------------------------------------------ */

static void test_db_collab_inferences_read_back_every_column_exact(void **state)
{
    struct testutil_dir *f = *state;
    static const char sql[] =
        "SELECT run_id, inference_id, ue_id, cell_id, model, stage, split, t_request_s, "
        "t_done_s, latency_s, ue_compute_s, uplink_s, edge_queue_s, edge_compute_s, downlink_s, "
        "signaling_s, ue_energy_j, edge_energy_j, correct, declined, overridden, deadline_met, "
        "ue_alloc, edge_alloc, restarts, plan_order FROM inferences ORDER BY inference_id";
    struct proto_outcome rows[3];
    long live0 = core_alloc_live();
    struct db *db = open_ok(f->path);
    struct core_err err;
    sqlite3_stmt *st = NULL;
    sqlite3 *conn;
    int64_t run_id = begin_run(db);
    int i = 0;

    make_inferences(rows, 40);
    core_err_clear(&err);
    assert_core_rc(db_insert_inferences(db, run_id, model_names, rows, 3, &err),
                   CORE_OK);
    db_close(db);
    assert_int_equal(core_alloc_live(), live0);

    conn = raw_open(f->path);
    assert_int_equal(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const struct proto_outcome *r = &rows[i];
        const double times[] = {r->t_request_s, r->t_done_s,     r->latency_s,      r->ue_compute_s,
                                r->uplink_s,    r->edge_queue_s, r->edge_compute_s, r->downlink_s,
                                r->signaling_s, r->ue_energy_j,  r->edge_energy_j};
        size_t c;

        assert_true(i < 3);
        assert_int_equal(sqlite3_column_int64(st, 0), run_id);
        assert_int_equal(sqlite3_column_int64(st, 1), r->inference_id);
        assert_int_equal(sqlite3_column_int64(st, 2), r->ue_id);
        assert_int_equal(sqlite3_column_int64(st, 3), r->cell_id);
        assert_string_equal((const char *)sqlite3_column_text(st, 4), model_names[r->model]);
        assert_int_equal(sqlite3_column_type(st, 5), SQLITE_NULL); /* finished: no stage */
        assert_int_equal(sqlite3_column_int64(st, 6), r->split);
        for (c = 0; c < ARRAY_LEN(times); c++) {
            assert_int_equal(sqlite3_column_type(st, 7 + (int)c), SQLITE_FLOAT);
            if (sqlite3_column_double(st, 7 + (int)c) != times[c])
                fprintf(stderr, "row %d column %zu: %.17g, want %.17g\n", i, 7 + c,
                        sqlite3_column_double(st, 7 + (int)c), times[c]);
            assert_true(sqlite3_column_double(st, 7 + (int)c) == times[c]);
        }
        if (r->correct < 0) {
            assert_int_equal(sqlite3_column_type(st, 18), SQLITE_NULL);
        } else {
            assert_int_equal(sqlite3_column_type(st, 18), SQLITE_INTEGER);
            assert_int_equal(sqlite3_column_int(st, 18), r->correct);
        }
        assert_int_equal(sqlite3_column_int(st, 19), r->declined);
        assert_int_equal(sqlite3_column_int(st, 20), r->overridden);
        assert_int_equal(sqlite3_column_int(st, 21), r->deadline_met);
        assert_string_equal((const char *)sqlite3_column_text(st, 22), want_ue_alloc[i]);
        assert_string_equal((const char *)sqlite3_column_text(st, 23), want_edge_alloc[i]);
        assert_int_equal(sqlite3_column_int(st, 24), r->restarts);
        if (i < 2)
            assert_int_equal(sqlite3_column_type(st, 25), SQLITE_NULL); /* the layers' order */
        else
            assert_string_equal((const char *)sqlite3_column_text(st, 25),
                                "0,1,2,3,4,5,6,8,7,9");
        i++;
    }
    assert_int_equal(i, 3);
    sqlite3_finalize(st);
    sqlite3_close(conn);
}

/* Unfinished inferences: no end (t_done_s, latency_s NULL), their stage,
 * the components reached; deadline_met 0 once the deadline has passed,
 * NULL while it has not. */
static void test_db_collab_unfinished_inferences_have_no_end_and_a_stage(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_outcome rows[3];
    struct db *db = open_ok(f->path);
    struct core_err err;
    int64_t run_id = begin_run(db);
    sqlite3 *conn;

    core_err_clear(&err);
    make_inferences(rows, 0);
    for (int i = 1; i < 3; i++) {
        rows[i].finished = false;
        rows[i].stage = i == 1 ? "uploading" : "at-edge";
        rows[i].t_done_s = NAN;
        rows[i].latency_s = NAN;
        rows[i].deadline_met = false;
        /* elapsed: the components' sum; row 1 within its deadline, row 2 past it */
        rows[i].deadline_s = i == 1 ? 1.0 : 1e-3;
    }
    assert_core_rc(db_insert_inferences(db, run_id, model_names, rows, 3, &err), CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE t_done_s IS NULL AND "
                                   "latency_s IS NULL AND stage IS NOT NULL"),
                     2);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 1 AND "
                                   "stage = 'uploading' AND deadline_met IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 2 AND "
                                   "stage = 'at-edge' AND deadline_met = 0"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 0 AND "
                                   "stage IS NULL AND t_done_s IS NOT NULL"),
                     1);
    /* a row cannot be both finished and unfinished */
    assert_int_equal(raw_try(conn, "UPDATE inferences SET stage = 'x' WHERE inference_id = 0"),
                     SQLITE_CONSTRAINT);
    /* runs JOIN inferences names no column twice but the key */
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM pragma_table_info('inferences') i "
                                   "JOIN pragma_table_info('runs') r ON i.name = r.name"),
                     1);
    sqlite3_close(conn);
}

/* A declined request's reason, and an inference that ended with no plan:
 * its stage, its layer, a missed deadline even though not late yet. */
static void test_db_collab_decline_reasons_and_no_plan_rows(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_outcome rows[3];
    struct db *db = open_ok(f->path);
    struct core_err err;
    int64_t run_id = begin_run(db);
    sqlite3 *conn;

    core_err_clear(&err);
    make_inferences(rows, 0);
    rows[0].declined = false; /* make_inferences declines row 0 */
    rows[1].declined = true;
    rows[1].decline = PROTO_DECLINE_EDGE_WITHDRAWN;
    rows[2].declined = true;
    rows[2].decline = PROTO_DECLINE_ADMISSION_WAIT;
    rows[2].finished = false;
    rows[2].stage = "no-plan";
    rows[2].no_plan = true;
    rows[2].no_plan_layer = 5;
    rows[2].t_done_s = NAN;
    rows[2].latency_s = NAN;
    rows[2].deadline_s = 1e6;
    assert_core_rc(db_insert_inferences(db, run_id, model_names, rows, 3, &err), CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 0 AND "
                                   "decline_reason IS NULL AND no_plan_layer IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 1 AND "
                                   "decline_reason = 'edge-withdrawn' AND stage IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 2 AND "
                                   "decline_reason = 'admission-wait' AND stage = 'no-plan' AND "
                                   "no_plan_layer = 5 AND deadline_met = 0"),
                     1);
    /* a reason without a decline, a layer without no-plan: refused */
    assert_int_equal(raw_try(conn, "UPDATE inferences SET decline_reason = 'no-uplink' "
                                   "WHERE inference_id = 0"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(raw_try(conn, "UPDATE inferences SET no_plan_layer = 1 WHERE inference_id = 1"),
                     SQLITE_CONSTRAINT);
    sqlite3_close(conn);
}

/* The decision columns: row 0 never had a plan (all NULL); row 1 ran the
 * plan it decided (no second plan), row 2 was overridden from a split of 2
 * on gpu0 to its executed plan. The prediction is compute_plan_cost's on
 * the state decided on; the waits list every edge option by label. */
static void test_db_collab_decision_columns_explain_the_plan(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_outcome rows[3];
    struct db *db = open_ok(f->path);
    struct core_err err;
    int64_t run_id = begin_run(db);
    struct compute_plan_cost c;
    sqlite3 *conn;
    char sql[256];

    core_err_clear(&err);
    make_inferences(rows, 0);
    for (int o = 0; o < 3; o++)
        for (size_t l = 0; l < 10; l++) {
            problem.latency_s[COMPUTE_SIDE_EDGE][o * 10 + l] = 1e-3 * (double)(o + 1);
            problem.latency_s[COMPUTE_SIDE_UE][l] = 4e-3;
        }
    for (int i = 1; i < 3; i++) {
        struct proto_outcome *r = &rows[i];

        r->state.edge_available = true;
        r->state.ul_rate_bps = 2e7 * i;
        r->state.dl_rate_bps = 5e7;
        r->state.w_latency = 1.0;
        r->state.wait_s[COMPUTE_SIDE_EDGE][0] = 0.25;
        r->state.wait_s[COMPUTE_SIDE_EDGE][1] = 0.5;
        r->state.wait_s[COMPUTE_SIDE_EDGE][2] = 0.125;
        r->ue_load = 0.5;
        r->battery_j = i == 1 ? INFINITY : 1234.5;
        r->plan_decided = r->plan;
    }
    rows[2].plan_decided.n_ue = 2;
    for (uint32_t l = 2; l < 10; l++)
        rows[2].plan_decided.option[l] = 0;
    assert_core_rc(db_insert_inferences(db, run_id, model_names, rows, 3, &err), CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 0 AND "
                                   "decided_ue_load IS NULL AND predicted_latency_s IS NULL AND "
                                   "decided_edge_waits_s IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 1 AND "
                                   "decided_split IS NULL AND decided_ue_alloc IS NULL AND "
                                   "decided_battery_j IS NULL AND decided_ue_load = 0.5 AND "
                                   "decided_ul_rate_bps = 2e7 AND decided_dl_rate_bps = 5e7 AND "
                                   "decided_edge_waits_s = 'gpu0=0.25,gpu1=0.5,gpu2=0.125'"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 2 AND "
                                   "decided_split = 2 AND decided_ue_alloc = 'npu:0-1' AND "
                                   "decided_edge_alloc = 'gpu0:2-9' AND decided_battery_j = 1234.5"),
                     1);
    compute_plan_cost(&problem, &rows[2].state, &rows[2].plan_decided, &c);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM inferences WHERE inference_id = 2 AND predicted_latency_s = "
             "%.17g AND predicted_ue_energy_j = %.17g",
             c.latency_s, c.ue_energy_j);
    assert_true(isfinite(c.latency_s) && c.latency_s > 0.25);
    assert_int_equal(raw_int(conn, sql), 1);
    sqlite3_close(conn);
}

/* The encoding columns without accuracy data (the problem offers no
 * encodings): every plan that sends something across the uplink sends the
 * problem's own bytes, fp32; a local plan (row 1) and an inference with no
 * plan (row 2) name none. decided_encoding follows decided_split: NULL
 * where the plan executed is the one decided, or none was. */
static void test_db_collab_encoding_is_fp32_without_encodings_and_null_for_local_or_no_plan(
    void **state)
{
    struct testutil_dir *f = *state;
    struct proto_outcome rows[3];
    struct db *db = open_ok(f->path);
    struct core_err err;
    int64_t run_id = begin_run(db);
    sqlite3 *conn;

    core_err_clear(&err);
    make_inferences(rows, 0);
    rows[1].split = 10;
    rows[1].plan.n_ue = 10;
    for (uint32_t l = 0; l < 10; l++)
        rows[1].plan.option[l] = 0;
    rows[1].plan_decided = rows[1].plan;
    rows[2].finished = false;
    rows[2].stage = "no-plan";
    rows[2].no_plan = true;
    rows[2].no_plan_layer = 4;
    rows[2].t_done_s = NAN;
    rows[2].latency_s = NAN;
    rows[2].deadline_s = 1e6;
    assert_core_rc(db_insert_inferences(db, run_id, model_names, rows, 3, &err), CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 0 AND "
                                   "encoding = 'fp32' AND decided_encoding IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 1 AND "
                                   "encoding IS NULL AND decided_encoding IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 2 AND "
                                   "encoding IS NULL AND decided_encoding IS NULL"),
                     1);
    sqlite3_close(conn);
}

/* With encodings offered (fp32, int8, int4): each row names its executed
 * plan's encoding by name, the input crossing (row 0, int4) included; row 2
 * was overridden from an int4 plan with a split of 2 to its executed int8
 * plan, so decided_encoding names int4 beside decided_split, while row 1
 * ran what it decided (decided_encoding NULL). */
static void test_db_collab_encoding_names_the_plans_encoding_and_the_decided_one(void **state)
{
    static const char *const names[3] = {"fp32", "int8", "int4"};
    struct testutil_dir *f = *state;
    struct compute_problem pe = {0};
    struct proto_outcome rows[3];
    struct db *db = open_ok(f->path);
    struct core_err err;
    int64_t run_id = begin_run(db);
    sqlite3 *conn;

    core_err_clear(&err);
    assert_core_rc(compute_problem_init(&pe, 10, 1, 3, &err), CORE_OK);
    assert_core_rc(compute_problem_encodings_init(&pe, 3, &err), CORE_OK);
    for (int k = 0; k < 3; k++)
        snprintf(pe.encodings[k].name, sizeof(pe.encodings[k].name), "%s", names[k]);
    snprintf(pe.options[COMPUTE_SIDE_UE][0].label, sizeof(pe.options[0][0].label), "npu");
    for (int o = 0; o < 3; o++)
        snprintf(pe.options[COMPUTE_SIDE_EDGE][o].label, sizeof(pe.options[0][0].label),
                 "gpu%d", o);
    make_inferences(rows, 0);
    for (int i = 0; i < 3; i++)
        rows[i].problem = &pe;
    rows[0].plan.encoding = 2;
    rows[1].plan.encoding = 1;
    rows[1].plan_decided = rows[1].plan;
    rows[2].plan.encoding = 1;
    rows[2].plan_decided = rows[2].plan;
    rows[2].plan_decided.n_ue = 2;
    rows[2].plan_decided.encoding = 2;
    rows[2].overridden = true;
    assert_core_rc(db_insert_inferences(db, run_id, model_names, rows, 3, &err), CORE_OK);
    db_close(db);
    compute_problem_fini(&pe);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 0 AND "
                                   "encoding = 'int4' AND decided_encoding IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 1 AND "
                                   "encoding = 'int8' AND decided_encoding IS NULL AND "
                                   "decided_split IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 2 AND "
                                   "encoding = 'int8' AND decided_encoding = 'int4' AND "
                                   "decided_split = 2"),
                     1);
    sqlite3_close(conn);
}

/* A version 12 database (no encoding columns) keeps its inferences through
 * the step to 13, both new columns NULL in them, and takes new rows with
 * the columns written. */
/* What undoes migration v -> v + 1, for the versions the tests below go
 * back to (a migration added later needs its entry here). */
static const char *const undo_migration[] = {
    [12] = "ALTER TABLE inferences DROP COLUMN decided_encoding;"
           "ALTER TABLE inferences DROP COLUMN encoding;",
    [13] = "ALTER TABLE inferences DROP COLUMN exit;",
    [14] = "DROP INDEX runs_by_content;",
    [15] = "ALTER TABLE accuracy DROP COLUMN exit;"
           "ALTER TABLE accuracy DROP COLUMN cut;",
};

/* A database at f->path as coinfer left it at schema version version, with
 * inferences 0-2 of one run, opened again by this coinfer (migrated) and
 * given inferences 3-5. A raw connection to it, for the checks. */
static sqlite3 *migrated_from(struct testutil_dir *f, int version)
{
    struct proto_outcome rows[3];
    struct db *db = open_ok(f->path);
    int64_t run_id = begin_run(db);
    struct core_err err;
    char set_version[64];
    sqlite3 *conn;

    make_inferences(rows, 0);
    core_err_clear(&err);
    assert_core_rc(db_insert_inferences(db, run_id, model_names, rows, 3, &err), CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    assert_true(db_schema_version() <= (int)ARRAY_LEN(undo_migration));
    for (int v = db_schema_version() - 1; v >= version; v--) {
        assert_non_null(undo_migration[v]);
        raw_exec(conn, undo_migration[v]);
    }
    snprintf(set_version, sizeof(set_version), "PRAGMA user_version = %d", version);
    raw_exec(conn, set_version);
    sqlite3_close(conn);

    db = open_ok(f->path);
    make_inferences(rows, 3);
    assert_core_rc(db_insert_inferences(db, run_id, model_names, rows, 3, &err), CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "PRAGMA user_version"), db_schema_version());
    return conn;
}

static void test_db_collab_migrates_version12_inferences_with_null_encodings(void **state)
{
    sqlite3 *conn = migrated_from(*state, 12);

    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id < 3 AND "
                                   "encoding IS NULL AND decided_encoding IS NULL"),
                     3);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id >= 3 AND "
                                   "encoding = 'fp32'"),
                     3);
    sqlite3_close(conn);
}

/* exit (schema 14) names where the executed plan ended: 'output' for the
 * model's own output, the problem's exit name for an early exit, NULL
 * without a plan. */
static void test_db_collab_exit_names_where_the_plan_ended(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_outcome rows[3];
    struct compute_problem pe = problem;
    struct db *db = open_ok(f->path);
    struct core_err err;
    int64_t run_id = begin_run(db);
    sqlite3 *conn;

    core_err_clear(&err);
    pe.n_exits = 1;
    snprintf(pe.exits[0].name, sizeof(pe.exits[0].name), "exit1");
    pe.exits[0].problem = &problem; /* the same layers: only its name is read here */
    make_inferences(rows, 0);
    for (int i = 0; i < 3; i++)
        rows[i].problem = &pe;
    rows[1].plan.exit = 1;
    rows[1].plan_decided = rows[1].plan;
    rows[2].finished = false;
    rows[2].stage = "no-plan";
    rows[2].no_plan = true;
    rows[2].no_plan_layer = 4;
    rows[2].t_done_s = NAN;
    rows[2].latency_s = NAN;
    rows[2].deadline_s = 1e6;
    assert_core_rc(db_insert_inferences(db, run_id, model_names, rows, 3, &err), CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 0 AND "
                                   "exit = 'output'"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 1 AND "
                                   "exit = 'exit1'"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 2 AND "
                                   "exit IS NULL"),
                     1);
    sqlite3_close(conn);
}

/* A version 13 database (no exit column) keeps its inferences through the
 * step to 14, exit NULL in them, and takes new rows with it written. */
static void test_db_collab_migrates_version13_inferences_with_null_exits(void **state)
{
    sqlite3 *conn = migrated_from(*state, 13);

    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id < 3 AND "
                                   "exit IS NULL"),
                     3);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id >= 3 AND "
                                   "exit = 'output'"),
                     3);
    sqlite3_close(conn);
}

/* Schema 15 added the index a sweep finds each point's run by. */
static void test_db_collab_migrates_version14_adding_the_runs_by_content_index(void **state)
{
    sqlite3 *conn = migrated_from(*state, 14);

    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                                   "name = 'runs_by_content' AND tbl_name = 'runs'"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences"), 6);
    sqlite3_close(conn);
}

static void test_db_collab_inference_batch_for_unknown_run_is_refused_whole(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_outcome rows[3];
    struct db *db = open_ok(f->path);
    struct core_err err;
    int64_t run_id = begin_run(db);

    make_inferences(rows, 0);
    core_err_clear(&err);
    assert_core_rc(db_insert_inferences(db, run_id + 98, model_names, rows, 3, &err),
                   CORE_E_DB);
    assert_non_null(strstr(err.msg, "FOREIGN KEY"));
    assert_non_null(strstr(err.msg, "inference 0 (UE 10) of run 99"));
    assert_non_null(strstr(err.msg, f->path));
    /* The statement is usable again at once. */
    core_err_clear(&err);
    assert_core_rc(db_insert_inferences(db, run_id, model_names, rows, 3, &err),
                   CORE_OK);
    db_close(db);
    assert_int_equal(count_rows(f->path, "inferences"), 3);
}

static void test_db_collab_batch_with_a_duplicate_keeps_earlier_batches_only(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_outcome first[3], second[3];
    struct db *db = open_ok(f->path);
    struct core_err err;
    int64_t run_id = begin_run(db);

    make_inferences(first, 0);
    make_inferences(second, 2); /* ids 2, 3, 4: the first one repeats */
    core_err_clear(&err);
    assert_core_rc(db_insert_inferences(db, run_id, model_names, first, 3, &err),
                   CORE_OK);
    assert_core_rc(db_insert_inferences(db, run_id, model_names, second, 3, &err),
                   CORE_E_DB);
    assert_non_null(strstr(err.msg, "inference 2"));
    assert_non_null(strstr(err.msg, "UNIQUE"));
    db_close(db);
    assert_int_equal(count_rows(f->path, "inferences"), 3);
}

static void test_db_collab_bad_correct_or_nameless_model_fails_the_whole_batch(void **state)
{
    struct testutil_dir *f = *state;
    static const char *const no_second_name[] = {"lenet5", NULL};
    struct proto_outcome rows[3];
    struct db *db = open_ok(f->path);
    struct core_err err;
    int64_t run_id = begin_run(db);

    make_inferences(rows, 0);
    rows[2].correct = 2; /* neither unknown (-1) nor 0/1: the CHECK refuses it */
    core_err_clear(&err);
    assert_core_rc(db_insert_inferences(db, run_id, model_names, rows, 3, &err),
                   CORE_E_DB);
    assert_non_null(strstr(err.msg, "inference 2"));
    assert_non_null(strstr(err.msg, "CHECK"));

    make_inferences(rows, 0); /* row 1 runs model 1, which has no name */
    core_err_clear(&err);
    assert_core_rc(db_insert_inferences(db, run_id, no_second_name, rows, 3, &err),
                   CORE_E_DB);
    assert_non_null(strstr(err.msg, "inference 1"));
    assert_non_null(strstr(err.msg, "NOT NULL"));
    db_close(db);
    assert_int_equal(count_rows(f->path, "inferences"), 0);
}

static void test_db_collab_empty_batches_succeed_and_write_nothing(void **state)
{
    struct testutil_dir *f = *state;
    struct db *db = open_ok(f->path);
    struct core_err err;

    /* No rows: not even the run is looked at. */
    core_err_clear(&err);
    assert_core_rc(db_insert_inferences(db, 5, model_names, NULL, 0, &err), CORE_OK);
    assert_core_rc(db_insert_messages(db, 5, NULL, 0, &err), CORE_OK);
    db_close(db);
    assert_int_equal(count_rows(f->path, "inferences"), 0);
    assert_int_equal(count_rows(f->path, "messages"), 0);
}

/* ---- messages -------------------------------------------------------------- */

static void test_db_collab_messages_read_back_with_direction_and_type(void **state)
{
    struct testutil_dir *f = *state;
    static const char sql[] = "SELECT run_id, t_s, src, dst, type, bytes, inference_id "
                              "FROM messages ORDER BY rowid";
    const struct proto_message_record rows[] = {
        {.t_s = 0.1,
         .ue_id = 4,
         .cell_id = 1,
         .uplink = true,
         .type = PROTO_MSG_REQUEST,
         .bytes = 1234.5,
         .inference_id = 7},
        {.t_s = 0.30000000000000004,
         .ue_id = 4,
         .cell_id = 1,
         .uplink = false,
         .type = PROTO_MSG_REPLY,
         .bytes = 96,
         .inference_id = 7},
        {.t_s = 0.7,
         .ue_id = 12,
         .cell_id = 3,
         .uplink = false,
         .type = PROTO_MSG_STATE_UPDATE,
         .bytes = 64,
         .inference_id = -1},
        {.t_s = 0.9,
         .ue_id = 0,
         .cell_id = 0,
         .uplink = true,
         .type = PROTO_MSG_ENERGY_REPORT,
         .bytes = 0,
         .inference_id = 0},
    };
    static const char *const want_src[] = {"ue:4", "cell:1", "cell:3", "ue:0"};
    static const char *const want_dst[] = {"cell:1", "ue:4", "ue:12", "cell:0"};
    long live0 = core_alloc_live();
    struct db *db = open_ok(f->path);
    struct core_err err;
    sqlite3_stmt *st = NULL;
    sqlite3 *conn;
    int64_t run_id = begin_run(db);
    size_t i = 0;

    core_err_clear(&err);
    assert_core_rc(db_insert_messages(db, run_id, rows, ARRAY_LEN(rows), &err), CORE_OK);
    db_close(db);
    assert_int_equal(core_alloc_live(), live0);
    conn = raw_open(f->path);
    assert_int_equal(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        assert_true(i < ARRAY_LEN(rows));
        assert_int_equal(sqlite3_column_int64(st, 0), run_id);
        assert_true(sqlite3_column_double(st, 1) == rows[i].t_s);
        assert_string_equal((const char *)sqlite3_column_text(st, 2), want_src[i]);
        assert_string_equal((const char *)sqlite3_column_text(st, 3), want_dst[i]);
        assert_string_equal((const char *)sqlite3_column_text(st, 4),
                            proto_msg_type_name(rows[i].type));
        assert_true(sqlite3_column_double(st, 5) == rows[i].bytes);
        if (rows[i].inference_id < 0) {
            assert_int_equal(sqlite3_column_type(st, 6), SQLITE_NULL);
        } else {
            assert_int_equal(sqlite3_column_type(st, 6), SQLITE_INTEGER);
            assert_int_equal(sqlite3_column_int64(st, 6), rows[i].inference_id);
        }
        i++;
    }
    assert_int_equal(i, ARRAY_LEN(rows));
    sqlite3_finalize(st);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM messages WHERE type = 'request'"), 1);
    sqlite3_close(conn);
}

static void test_db_collab_message_batch_with_a_bad_row_is_refused_whole(void **state)
{
    struct testutil_dir *f = *state;
    const struct proto_message_record rows[] = {
        {.t_s = 0.1,
         .ue_id = 1,
         .cell_id = 0,
         .uplink = true,
         .type = PROTO_MSG_DECISION,
         .bytes = 80,
         .inference_id = 0},
        {.t_s = 0.2,
         .ue_id = 1,
         .cell_id = 0,
         .uplink = true,
         .type = PROTO_MSG_INTERMEDIATE,
         .bytes = -1,
         .inference_id = 0}, /* a negative size: the CHECK refuses it */
    };
    struct db *db = open_ok(f->path);
    struct core_err err;
    int64_t run_id = begin_run(db);

    core_err_clear(&err);
    assert_core_rc(db_insert_messages(db, run_id + 1, rows, 1, &err), CORE_E_DB);
    assert_non_null(strstr(err.msg, "FOREIGN KEY"));
    assert_non_null(strstr(err.msg, "of run 2"));
    core_err_clear(&err);
    assert_core_rc(db_insert_messages(db, run_id, rows, ARRAY_LEN(rows), &err), CORE_E_DB);
    assert_non_null(strstr(err.msg, "message of UE 1 at 0.2 s"));
    assert_non_null(strstr(err.msg, "CHECK"));
    assert_int_equal(count_rows(f->path, "messages"), 0);
    core_err_clear(&err);
    assert_core_rc(db_insert_messages(db, run_id, rows, 1, &err), CORE_OK);
    db_close(db);
    assert_int_equal(count_rows(f->path, "messages"), 1);
}

/* ---- samples --------------------------------------------------------------- */

static void test_db_collab_samples_table_takes_rows_of_known_runs_only(void **state)
{
    struct testutil_dir *f = *state;
    struct db *db = open_ok(f->path);
    const struct db_sample_row rows[] = {
        {5, 2, "phone", "lenet5", "0.5,1", "3,3,0", -0.25, -0.5},
        {9, 2, "phone", "lenet5", "0.75,1", "3,0,0", -0.125, -0.375},
        {7, 1, "phone", "lenet5", "0.25,0", "0,0,0", -1, 0},
    };
    struct core_err e;
    sqlite3 *conn;

    begin_run(db);
    assert_int_equal(db_insert_samples(db, 1, rows, 3, &e), CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    raw_exec(conn, "PRAGMA foreign_keys = ON");
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM samples WHERE inference_id = 5 AND "
                                   "reward = -0.25 AND window_reward = -0.5 AND "
                                   "next_state = '0.75,1' AND typeof(state) = 'text'"),
                     1);
    /* the last sample of each UE and model has no next state */
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM samples WHERE next_state IS NULL"), 2);
    /* Unknown run, missing state, duplicate key: all refused. */
    assert_int_equal(raw_try(conn, "INSERT INTO sample_rows VALUES (2, 0, 0, 'd', 'm', 's', 'a', "
                                   "0, 0)"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(raw_try(conn, "INSERT INTO sample_rows VALUES (1, 1, 0, 'd', 'm', NULL, "
                                   "'a', 0, 0)"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(raw_try(conn, "INSERT INTO sample_rows VALUES (1, 5, 0, 'd', 'm', 's', 'a', "
                                   "0, 0)"),
                     SQLITE_CONSTRAINT);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM samples"), 3);
    sqlite3_close(conn);
}

/* ---- migration --------------------------------------------------------------- */

static void test_db_collab_migrates_version3_database_keeping_old_rows(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_outcome rows[3];
    sqlite3 *conn = raw_open(f->path);
    struct core_err err;
    struct db *db;

    /* Version 3 exactly as the previous release wrote it, one row in each table. */
    raw_exec(conn,
             "CREATE TABLE runs (run_id INTEGER PRIMARY KEY, scenario TEXT NOT NULL, "
             "scenario_sha256 TEXT, policy TEXT NOT NULL, seed INTEGER NOT NULL, version TEXT, "
             "started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL DEFAULT "
             "'running' CHECK (status IN ('running', 'complete', 'failed', 'interrupted')));"
             "CREATE TABLE requests (run_id INTEGER NOT NULL REFERENCES runs(run_id), "
             "request_id INTEGER NOT NULL, ue_id INTEGER NOT NULL, server_id INTEGER NOT NULL, "
             "t_arrival_s REAL NOT NULL, t_start_s REAL NOT NULL, t_done_s REAL NOT NULL, "
             "wait_s REAL NOT NULL, service_s REAL NOT NULL, sojourn_s REAL NOT NULL, "
             "PRIMARY KEY (run_id, request_id)) WITHOUT ROWID;"
             "CREATE TABLE radio_samples (run_id INTEGER NOT NULL REFERENCES runs(run_id), "
             "ue_id INTEGER NOT NULL, t_s REAL NOT NULL, cell_id INTEGER NOT NULL, "
             "x_m REAL NOT NULL, y_m REAL NOT NULL, ul_sinr_db REAL NOT NULL, "
             "dl_sinr_db REAL NOT NULL, ul_cqi INTEGER NOT NULL, dl_cqi INTEGER NOT NULL, "
             "ul_rate_bps REAL NOT NULL, dl_rate_bps REAL NOT NULL, "
             "PRIMARY KEY (run_id, t_s, ue_id)) WITHOUT ROWID;"
             "CREATE TABLE profiles (model TEXT NOT NULL, layer_index INTEGER NOT NULL CHECK "
             "(layer_index >= -1), layer_name TEXT NOT NULL, layer_type TEXT NOT NULL, "
             "resource TEXT NOT NULL, threads INTEGER NOT NULL CHECK (threads >= 1), "
             "flops INTEGER NOT NULL, params INTEGER NOT NULL, out_bytes INTEGER NOT NULL, "
             "latency_s REAL NOT NULL, reps INTEGER NOT NULL CHECK (reps >= 1), "
             "latency_min_s REAL NOT NULL, latency_max_s REAL NOT NULL, "
             "profiled_at TEXT NOT NULL);"
             "CREATE INDEX profiles_by_model ON profiles (model, profiled_at, layer_index);"
             "INSERT INTO runs (scenario, policy, seed, started_at, status) VALUES ('old', "
             "'fifo', 5, '2026-01-01T00:00:00.000Z', 'complete');"
             "INSERT INTO requests VALUES (1, 0, 0, 0, 0.5, 0.5, 0.75, 0, 0.25, 0.25);"
             "INSERT INTO radio_samples VALUES (1, 4, 0.5, 2, 1, 2, 3, 4, 5, 6, 7, 8);"
             "INSERT INTO profiles VALUES ('lenet5', -1, 'total', 'total', 'host-cpu', 1, 10, "
             "20, 40, 0.125, 3, 0.1, 0.2, '2026-01-01T00:00:00.000Z');"
             "PRAGMA user_version = 3");
    sqlite3_close(conn);

    db = open_ok(f->path);
    make_inferences(rows, 0);
    core_err_clear(&err);
    assert_core_rc(db_insert_inferences(db, 1, model_names, rows, 3, &err), CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "PRAGMA user_version"), db_schema_version());
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM runs WHERE scenario = 'old' AND "
                                   "status = 'complete'"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM requests WHERE t_done_s = 0.75"), 1);
    assert_int_equal(raw_int(conn, "SELECT dl_rate_bps FROM radio_samples WHERE ue_id = 4"), 8);
    assert_int_equal(raw_int(conn, "SELECT flops FROM profiles WHERE model = 'lenet5'"), 10);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE run_id = 1"), 3);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
                                   "name = 'messages_by_inference'"),
                     1);
    sqlite3_close(conn);
}

/* Version 5's inferences (with their policy column, NOT NULL ends) keep
 * their rows through the step to version 6. */
static void test_db_collab_migrates_version5_inferences_keeping_rows(void **state)
{
    struct testutil_dir *f = *state;
    struct db *db = open_ok(f->path);
    int64_t run_id = begin_run(db);
    sqlite3 *conn;

    db_close(db);
    conn = raw_open(f->path);
    raw_exec(conn,
             "DROP INDEX runs_by_content;"
             "DROP INDEX profiles_by_host;"
             "ALTER TABLE profiles DROP COLUMN host_key;"
             "ALTER TABLE profiles DROP COLUMN cpu_model;"
             "ALTER TABLE profiles DROP COLUMN blas_coretype;"
             "ALTER TABLE profiles DROP COLUMN blas_corename;"
             "ALTER TABLE profiles DROP COLUMN blas_cpu_family;"
             "ALTER TABLE profiles DROP COLUMN blas_config;"
             "DROP TABLE exit_accuracy;"
             "DROP TABLE accuracy;"
             "DROP TABLE training_steps;"
             "DROP TABLE trainings;"
             "DROP VIEW samples;"
             "DROP TABLE sample_rows;"
             "DROP TABLE sample_fields;"
             "CREATE TABLE samples (run_id INTEGER NOT NULL REFERENCES runs(run_id), "
             "inference_id INTEGER NOT NULL, state TEXT NOT NULL, action TEXT NOT NULL, "
             "reward REAL NOT NULL, next_state TEXT, PRIMARY KEY (run_id, inference_id));"
             "DROP TABLE sweep_values;"
             "DROP TABLE sweep_points;"
             "DROP TABLE ues;"
             "DROP TABLE energy;"
             "DROP TABLE layers;"
             "DROP TABLE inferences;"
             "CREATE TABLE inferences (run_id INTEGER NOT NULL REFERENCES runs(run_id), "
             "inference_id INTEGER NOT NULL CHECK (inference_id >= 0), ue_id INTEGER NOT NULL, "
             "cell_id INTEGER NOT NULL, model TEXT NOT NULL, policy TEXT NOT NULL, "
             "split INTEGER NOT NULL, t_request_s REAL NOT NULL, t_done_s REAL NOT NULL, "
             "latency_s REAL NOT NULL, ue_compute_s REAL NOT NULL, uplink_s REAL NOT NULL, "
             "edge_queue_s REAL NOT NULL, edge_compute_s REAL NOT NULL, "
             "downlink_s REAL NOT NULL, signaling_s REAL NOT NULL, ue_energy_j REAL NOT NULL, "
             "edge_energy_j REAL NOT NULL, correct INTEGER CHECK (correct IN (0, 1)), "
             "declined INTEGER NOT NULL CHECK (declined IN (0, 1)), "
             "overridden INTEGER NOT NULL CHECK (overridden IN (0, 1)), "
             "deadline_met INTEGER NOT NULL CHECK (deadline_met IN (0, 1)), "
             "ue_alloc TEXT NOT NULL, edge_alloc TEXT NOT NULL, "
             "PRIMARY KEY (run_id, inference_id));"
             "INSERT INTO inferences VALUES (1, 7, 2, 0, 'lenet5', 'oracle', 3, 0.5, 0.75, 0.25, "
             "0.1, 0.05, 0, 0.05, 0.02, 0.03, 0.5, 1.5, NULL, 0, 1, 1, 'npu:0-2', 'gpu:3-9');"
             "PRAGMA user_version = 5");
    sqlite3_close(conn);
    assert_int_equal(run_id, 1);
    db = open_ok(f->path);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "PRAGMA user_version"), db_schema_version());
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 7 AND "
                                   "t_done_s = 0.75 AND latency_s = 0.25 AND overridden = 1 AND "
                                   "edge_alloc = 'gpu:3-9' AND stage IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM pragma_table_info('inferences') "
                                   "WHERE name = 'policy'"),
                     0);
    /* the row's decision is not known: its columns are NULL */
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 7 AND "
                                   "decline_reason IS NULL AND predicted_latency_s IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sqlite_schema WHERE name = 'ues'"), 1);
    /* 6 -> 7: no restart known, the layers' own order */
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM inferences WHERE inference_id = 7 AND "
                                   "restarts = 0 AND plan_order IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sqlite_schema WHERE name IN "
                                   "('energy', 'layers')"),
                     2);
    sqlite3_close(conn);
}

/* A training's row: 'running' at once, its steps (NULL where not measured),
 * its end; an end of a training not running, and a step of no training,
 * are refused. */
static void test_db_collab_a_training_and_its_steps_are_recorded(void **state)
{
    struct testutil_dir *f = *state;
    struct db *db = open_ok(f->path);
    const struct db_training_info info = {"a.agent", "s1.db\ns2.db", 1234, 7, 300,
                                          "batch=128", "test"};
    const struct db_training_step steps[] = {{100, 1.5, 2.5, 0.01}, {200, 1.25, NAN, NAN}};
    struct core_err e;
    int64_t id = 0;
    sqlite3 *conn;

    assert_int_equal(db_training_begin(db, &info, &id, &e), CORE_OK);
    assert_int_equal(id, 1);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM trainings WHERE status = 'running' AND "
                                   "finished_at IS NULL AND samples = 1234 AND seed = 7"),
                     1);
    assert_int_equal(db_insert_training_steps(db, id, steps, 2, &e), CORE_OK);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM training_steps WHERE train_id = 1 AND "
                                   "((step = 100 AND heldout_regret = 0.01) OR (step = 200 AND "
                                   "heldout_loss IS NULL AND heldout_regret IS NULL))"),
                     2);
    assert_int_equal(db_training_end(db, id, "complete", &e), CORE_OK);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM trainings WHERE status = 'complete' "
                                   "AND finished_at IS NOT NULL"),
                     1);
    /* the same step twice, and a step of no training, are refused whole */
    assert_int_not_equal(db_insert_training_steps(db, id, steps, 1, &e), CORE_OK);
    raw_exec(conn, "PRAGMA foreign_keys = ON");
    assert_int_equal(raw_try(conn, "INSERT INTO training_steps VALUES (9, 1, 0, NULL, NULL)"),
                     SQLITE_CONSTRAINT);
    sqlite3_close(conn);
    db_close(db);
}

static void test_db_collab_energy_and_layers_rows_read_back(void **state)
{
    struct testutil_dir *f = *state;
    struct db *db = open_ok(f->path);
    int64_t run_id = begin_run(db);
    const struct proto_energy_row energy[] = {
        {.ue_id = 3, .cell_id = 1, .idle_j = 0.5, .compute_j = 1.25, .radio_j = 2.5,
         .tail_j = 0.125, .duration_s = 10.0},
        {.edge = true, .ue_id = UINT32_MAX, .cell_id = 2, .instance = 1, .resource = "gpu",
         .idle_j = 300.0, .compute_j = 4.0, .background_j = 8.0, .duration_s = 10.0},
    };
    const struct db_layer_row layers[] = {
        {.model = "lenet5", .layer = 0, .name = "conv1", .op = "conv2d",
         .nn_layers = "conv1+relu1", .out_bytes = 4704.0},
    };
    struct core_err err;
    sqlite3 *conn;

    core_err_clear(&err);
    assert_core_rc(db_insert_energy(db, run_id, energy, 2, &err), CORE_OK);
    assert_core_rc(db_insert_layers(db, run_id, layers, 1, &err), CORE_OK);
    /* a layer twice: the batch is refused, naming it */
    assert_core_rc(db_insert_layers(db, run_id, layers, 1, &err), CORE_E_DB);
    assert_non_null(strstr(err.msg, "layer 0 of model 'lenet5'"));
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM energy WHERE owner = 'ue' AND ue_id = 3 "
                                   "AND cell_id = 1 AND resource IS NULL AND idle_j = 0.5 AND "
                                   "compute_j = 1.25 AND background_j = 0 AND radio_j = 2.5 AND "
                                   "tail_j = 0.125 AND duration_s = 10"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM energy WHERE owner = 'edge' AND "
                                   "ue_id IS NULL AND cell_id = 2 AND resource = 'gpu' AND "
                                   "idle_j = 300 AND compute_j = 4 AND background_j = 8 AND "
                                   "radio_j = 0"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM layers WHERE model = 'lenet5' AND "
                                   "layer = 0 AND name = 'conv1' AND op = 'conv2d' AND "
                                   "nn_layers = 'conv1+relu1' AND out_bytes = 4704"),
                     1);
    sqlite3_close(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_db_collab_inferences_read_back_every_column_exact,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_collab_unfinished_inferences_have_no_end_and_a_stage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_collab_decline_reasons_and_no_plan_rows, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_collab_decision_columns_explain_the_plan, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_db_collab_encoding_is_fp32_without_encodings_and_null_for_local_or_no_plan, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_db_collab_encoding_names_the_plans_encoding_and_the_decided_one, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_collab_migrates_version12_inferences_with_null_encodings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_collab_exit_names_where_the_plan_ended, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_db_collab_migrates_version13_inferences_with_null_exits, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_collab_migrates_version14_adding_the_runs_by_content_index, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_collab_inference_batch_for_unknown_run_is_refused_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_collab_batch_with_a_duplicate_keeps_earlier_batches_only, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_collab_bad_correct_or_nameless_model_fails_the_whole_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_collab_empty_batches_succeed_and_write_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_collab_messages_read_back_with_direction_and_type,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_collab_message_batch_with_a_bad_row_is_refused_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_collab_samples_table_takes_rows_of_known_runs_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_collab_migrates_version3_database_keeping_old_rows,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_collab_energy_and_layers_rows_read_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_collab_a_training_and_its_steps_are_recorded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_collab_migrates_version5_inferences_keeping_rows,
                                        setup, teardown),
    };

    int failed;

    make_problem();
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    compute_problem_fini(&problem);
    return failed;
}
