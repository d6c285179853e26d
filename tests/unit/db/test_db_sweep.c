/*
 * test_db_sweep.c — the sweep tables: points recorded once per key with
 * their factor values (a point already there keeps its status: resume),
 * status changes, the claim of the runs a sweep's workers wrote (a point
 * waiting to run is marked complete with the latest complete run of its
 * configuration, policy, seed and version, by its key or all at once), and
 * merging a shard's database (its complete points once, their runs and
 * every per-run table's rows renumbered). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "sqlutil.h"
#include "testutil.h"

#include "db/db.h"

/* The fixture: the test's directory; path = dir/results.db, and the
 * worker's database beside it. */
static int setup(void **state)
{
    *state = testutil_dir_create("dbsweep", "results.db");
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    testutil_dir_destroy(*state);
    return 0;
}

static struct db *open_ok(const char *path)
{
    struct core_err e;
    struct db *db;

    core_err_clear(&e);
    db = db_open(path, &e);
    if (!db)
        fail_msg("db_open: %s", e.msg);
    return db;
}

static const char *const factors[] = {"rate", "mode"};
static const char *const paths[] = {"radio@x", "radio@y"};
static const char *const values_a[] = {"1 Mbps", "fast"};
static const double nums_a[] = {1e6, NAN};

static struct db_sweep_point point(const char *key, uint64_t index)
{
    return (struct db_sweep_point){.key = key, .sweep = "s", .sweep_file = "s.xml",
                                   .point_index = index, .combination = index / 2,
                                   .replication = index % 2, .policy = "joint", .seed = 7 + index,
                                   .config_sha256 = "c0ffee", .version = "test", .n_values = 2,
                                   .factors = factors, .paths = paths, .values = values_a,
                                   .value_num = nums_a};
}

static void test_db_sweep_points_are_recorded_once_per_key_with_their_values(void **state)
{
    struct testutil_dir *d = *state;
    struct db *db = open_ok(d->path);
    struct db_sweep_point p[2] = {point("k0", 0), point("k1", 1)};
    char status[2][16];
    struct core_err e;
    sqlite3 *conn;

    core_err_clear(&e);
    assert_int_equal(db_sweep_points_add(db, p, 2, status, &e), CORE_OK);
    assert_string_equal(status[0], "pending");
    assert_string_equal(status[1], "pending");
    assert_int_equal(db_sweep_point_set(db, "k1", "failed", 3, "boom", &e), CORE_OK);
    p[1].seed = 99; /* a point already there keeps its row */
    assert_int_equal(db_sweep_points_add(db, p, 2, status, &e), CORE_OK);
    assert_string_equal(status[0], "pending");
    assert_string_equal(status[1], "failed");
    assert_int_equal(db_sweep_point_set(db, "nope", "running", 0, NULL, &e), CORE_E_DB);
    db_close(db);

    conn = raw_open(d->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sweep_points"), 2);
    assert_int_equal(raw_int(conn, "SELECT seed FROM sweep_points WHERE point_key = 'k1'"), 8);
    assert_int_equal(raw_int(conn, "SELECT exit_status FROM sweep_points WHERE point_key = 'k1' "
                                   "AND error = 'boom'"),
                     3);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sweep_values WHERE point_key = 'k0' AND "
                                   "((factor = 'rate' AND value = '1 Mbps' AND value_num = 1e6) "
                                   "OR (factor = 'mode' AND value = 'fast' AND value_num IS "
                                   "NULL))"),
                     2);
    sqlite3_close(conn);
}

/* Append to the database at path a run of policy joint, configuration
 * abc123 and seed seed with two request rows, ending status status. */
static void add_worker_run(const char *path, uint64_t seed, const char *status)
{
    struct db_run_info info = {.scenario = "w",
                               .policy = "joint",
                               .seed = seed,
                               .version = "test",
                               .config = "<scenario/>\n",
                               .config_sha256 = "abc123"};
    struct proto_request_record rows[2] = {
        {.request_id = 0, .t_arrival_s = 1, .t_start_s = 1, .t_done_s = (double)seed},
        {.request_id = 1, .t_arrival_s = 3, .t_start_s = 3.5, .t_done_s = 4}};
    struct db *db = open_ok(path);
    struct core_err e;
    int64_t run_id;

    core_err_clear(&e);
    assert_int_equal(db_run_begin(db, &info, &run_id, &e), CORE_OK);
    assert_int_equal(db_insert_requests(db, run_id, rows, 2, &e), CORE_OK);
    if (strcmp(status, "running") != 0)
        assert_int_equal(db_run_end(db, run_id, status, &e), CORE_OK);
    db_close(db);
}

/* The shard at path: p's two points (their configuration abc123), k0
 * complete with its run (seed 7), k1 waiting. */
static void shard_with_k0_complete(const char *path, struct db_sweep_point p[2])
{
    char status[2][16];
    uint64_t claimed = 0;
    struct core_err e;
    struct db *db;

    p[0].config_sha256 = p[1].config_sha256 = "abc123";
    add_worker_run(path, 7, "complete"); /* k0's run */
    db = open_ok(path);
    core_err_clear(&e);
    assert_int_equal(db_sweep_points_add(db, p, 2, status, &e), CORE_OK);
    assert_int_equal(db_sweep_claim_runs(db, "k0", &claimed, &e), CORE_OK);
    assert_int_equal(claimed, 1);
    db_close(db);
}

static void test_db_sweep_merge_imports_complete_points_once(void **state)
{
    struct testutil_dir *d = *state;
    struct db_sweep_point p[2] = {point("k0", 0), point("k1", 1)};
    char worker[160], shard[160];
    struct db_sweep_merge r;
    struct core_err e;
    struct db *db;
    int64_t run_id = 0;
    sqlite3 *conn;

    snprintf(worker, sizeof(worker), "%s/worker.db", d->dir);
    snprintf(shard, sizeof(shard), "%s/shard.db", d->dir);
    add_worker_run(worker, 7, "complete");
    shard_with_k0_complete(shard, p);
    db = open_ok(shard);
    core_err_clear(&e);
    assert_int_equal(db_sweep_point_set(db, "k1", "running", 0, NULL, &e), CORE_OK);
    db_close(db);

    db = open_ok(d->path);
    assert_int_equal(db_run_begin(db, &(struct db_run_info){.scenario = "other", .policy = "x"},
                                  &run_id, &e),
                     CORE_OK);
    assert_int_equal(db_sweep_merge(db, shard, &r, &e), CORE_OK);
    assert_int_equal(r.imported, 1);
    assert_int_equal(r.incomplete, 1);
    assert_int_equal(r.skipped, 0);
    assert_int_equal(db_sweep_merge(db, shard, &r, &e), CORE_OK);
    assert_int_equal(r.imported, 0);
    assert_int_equal(r.skipped, 2);
    assert_int_equal(db_sweep_merge(db, worker, &r, &e), CORE_OK); /* no sweep points there */
    assert_int_equal(r.imported + r.incomplete + r.skipped, 0);
    db_close(db);

    conn = raw_open(d->path);
    assert_int_equal(raw_int(conn, "SELECT run_id FROM sweep_points WHERE point_key = 'k0' AND "
                                   "status = 'complete'"),
                     2);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM requests WHERE run_id = 2"), 2);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sweep_points WHERE point_key = 'k1' AND "
                                   "status = 'pending' AND run_id IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sweep_values"), 4);
    sqlite3_close(conn);
}

/* A point the results database holds but has not completed (it failed
 * there, or waits) is completed by a shard that ran it: its run is imported
 * and the point marked complete with it, its failure cleared; a point
 * neither completed stays as the results database has it. */
static void test_db_sweep_merge_completes_a_point_the_results_hold_unfinished(void **state)
{
    struct testutil_dir *d = *state;
    struct db_sweep_point p[2] = {point("k0", 0), point("k1", 1)};
    char shard[160], status[2][16];
    struct db_sweep_merge r;
    struct core_err e;
    struct db *db;
    sqlite3 *conn;

    snprintf(shard, sizeof(shard), "%s/shard.db", d->dir);
    shard_with_k0_complete(shard, p);
    db = open_ok(d->path);
    core_err_clear(&e);
    assert_int_equal(db_sweep_points_add(db, p, 2, status, &e), CORE_OK);
    assert_int_equal(db_sweep_point_set(db, "k0", "failed", 9, "killed", &e), CORE_OK);
    assert_int_equal(db_sweep_merge(db, shard, &r, &e), CORE_OK);
    assert_int_equal(r.imported, 1);
    assert_int_equal(r.skipped, 1); /* k1: pending in both */
    db_close(db);

    conn = raw_open(d->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sweep_points WHERE point_key = 'k0' AND "
                                   "status = 'complete' AND exit_status = 0 AND error IS NULL "
                                   "AND run_id = (SELECT max(run_id) FROM runs)"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM requests"), 2);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sweep_points WHERE point_key = 'k1' AND "
                                   "status = 'pending' AND run_id IS NULL"),
                     1);
    sqlite3_close(conn);
}

static void test_db_sweep_claim_marks_waiting_points_complete_with_their_runs(void **state)
{
    struct testutil_dir *d = *state;
    /* k0: seed 7, two complete runs; k1: seed 8, its run unfinished; k2: seed 9, failed
     * (not waiting); k3: seed 10, of another version; k4: seed 11, pending, its run
     * complete */
    struct db_sweep_point p[5] = {point("k0", 0), point("k1", 1), point("k2", 2), point("k3", 3),
                                  point("k4", 4)};
    char status[5][16];
    uint64_t claimed = 99;
    struct core_err e;
    struct db *db;
    sqlite3 *conn;

    for (size_t i = 0; i < 5; i++)
        p[i].config_sha256 = "abc123";
    p[3].version = "other";
    add_worker_run(d->path, 7, "complete");  /* run 1 */
    add_worker_run(d->path, 8, "running");   /* run 2 */
    add_worker_run(d->path, 7, "complete");  /* run 3: k0's latest */
    add_worker_run(d->path, 9, "complete");  /* run 4 */
    add_worker_run(d->path, 10, "complete"); /* run 5: version test, not k3's */
    add_worker_run(d->path, 11, "complete"); /* run 6 */
    add_worker_run(d->path, 42, "complete"); /* no point's */
    db = open_ok(d->path);
    core_err_clear(&e);
    assert_int_equal(db_sweep_points_add(db, p, 5, status, &e), CORE_OK);
    assert_int_equal(db_sweep_point_set(db, "k0", "running", 0, NULL, &e), CORE_OK);
    assert_int_equal(db_sweep_point_set(db, "k1", "running", 0, NULL, &e), CORE_OK);
    assert_int_equal(db_sweep_point_set(db, "k2", "failed", 1, "boom", &e), CORE_OK);
    /* by key: that point only */
    assert_int_equal(db_sweep_claim_runs(db, "k1", &claimed, &e), CORE_OK);
    assert_int_equal(claimed, 0);
    assert_int_equal(db_sweep_claim_runs(db, "k0", &claimed, &e), CORE_OK);
    assert_int_equal(claimed, 1);
    assert_int_equal(db_sweep_claim_runs(db, "k0", &claimed, &e), CORE_OK);
    assert_int_equal(claimed, 0); /* complete already */
    assert_int_equal(db_sweep_claim_runs(db, "k2", &claimed, &e), CORE_OK);
    assert_int_equal(claimed, 0); /* failed: not waiting */
    assert_int_equal(db_sweep_point_status(db, "k4", status[4], &e), CORE_OK);
    assert_string_equal(status[4], "pending");
    /* all at once: every waiting point whose run is complete (k4) */
    assert_int_equal(db_sweep_claim_runs(db, NULL, &claimed, &e), CORE_OK);
    assert_int_equal(claimed, 1);
    assert_int_equal(db_sweep_claim_runs(db, NULL, &claimed, &e), CORE_OK);
    assert_int_equal(claimed, 0);
    assert_int_equal(db_sweep_point_status(db, "k1", status[1], &e), CORE_OK);
    assert_string_equal(status[1], "running");
    assert_int_equal(db_sweep_point_status(db, "nope", status[2], &e), CORE_OK);
    assert_string_equal(status[2], "");
    db_close(db);

    conn = raw_open(d->path);
    assert_int_equal(raw_int(conn, "SELECT run_id FROM sweep_points WHERE point_key = 'k0' AND "
                                   "status = 'complete' AND exit_status = 0 AND error IS NULL"),
                     3);
    assert_int_equal(raw_int(conn, "SELECT run_id FROM sweep_points WHERE point_key = 'k4' AND "
                                   "status = 'complete'"),
                     6);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sweep_points WHERE point_key = 'k2' AND "
                                   "status = 'failed' AND error = 'boom'"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sweep_points WHERE point_key = 'k3' AND "
                                   "status = 'pending'"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sweep_points WHERE status = 'complete'"),
                     2);
    /* the lookup is the index's */
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
                                   "name = 'runs_by_content'"),
                     1);
    sqlite3_close(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_db_sweep_points_are_recorded_once_per_key_with_their_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_sweep_merge_imports_complete_points_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_db_sweep_merge_completes_a_point_the_results_hold_unfinished, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_sweep_claim_marks_waiting_points_complete_with_their_runs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
