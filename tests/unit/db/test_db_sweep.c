/*
 * test_db_sweep.c — the sweep tables: points recorded once per key with
 * their factor values (a point already there keeps its status: resume),
 * status changes, and the import of a worker's run: its row, its
 * configuration and every per-run table's rows renumbered to a new run id
 * in the results database, the point complete in the same transaction; a
 * worker database with a run that is not complete imports nothing; merging
 * a shard's database brings its complete points once; importing a sweep
 * worker's database brings the first complete run of each point waiting to
 * run (recognised by configuration, policy, seed and version), once.
 */
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

/* A worker's database at path holding one run with two request rows and a
 * configuration, its status status. */
static void make_worker_db(const char *path, const char *status)
{
    static const struct db_run_info info = {.scenario = "w", .policy = "joint", .seed = 9,
                                            .version = "test", .config = "<scenario/>\n",
                                            .config_sha256 = "abc123"};
    struct proto_request_record rows[2] = {
        {.request_id = 0, .t_arrival_s = 1, .t_start_s = 1, .t_done_s = 2},
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

static void test_db_sweep_import_renumbers_the_run_and_completes_the_point(void **state)
{
    struct testutil_dir *d = *state;
    struct db_sweep_point p = point("k0", 0);
    char worker[160], status[1][16];
    struct core_err e;
    struct db *db;
    int64_t run_id = 0;
    sqlite3 *conn;

    snprintf(worker, sizeof(worker), "%s/worker.db", d->dir);
    make_worker_db(worker, "complete");
    db = open_ok(d->path);
    core_err_clear(&e);
    /* a run already there: the imported one gets the next id */
    assert_int_equal(db_run_begin(db, &(struct db_run_info){.scenario = "other", .policy = "x"},
                                  &run_id, &e),
                     CORE_OK);
    assert_int_equal(db_sweep_points_add(db, &p, 1, status, &e), CORE_OK);
    assert_int_equal(db_sweep_point_import(db, "k0", worker, &run_id, &e), CORE_OK);
    assert_int_equal(run_id, 2);
    db_close(db);

    conn = raw_open(d->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM runs WHERE run_id = 2 AND scenario = 'w' "
                                   "AND status = 'complete' AND seed = 9 AND "
                                   "config_sha256 = 'abc123'"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM requests WHERE run_id = 2"), 2);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM requests WHERE run_id = 2 AND "
                                   "request_id = 1 AND t_done_s = 4"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM configs WHERE config_sha256 = 'abc123'"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT run_id FROM sweep_points WHERE point_key = 'k0' AND "
                                   "status = 'complete' AND exit_status = 0"),
                     2);
    sqlite3_close(conn);
}

static void test_db_sweep_import_of_an_unfinished_run_leaves_nothing(void **state)
{
    struct testutil_dir *d = *state;
    struct db_sweep_point p = point("k0", 0);
    char worker[160], status[1][16];
    struct core_err e;
    struct db *db;
    int64_t run_id = 0;
    sqlite3 *conn;

    snprintf(worker, sizeof(worker), "%s/worker.db", d->dir);
    make_worker_db(worker, "running");
    db = open_ok(d->path);
    core_err_clear(&e);
    assert_int_equal(db_sweep_points_add(db, &p, 1, status, &e), CORE_OK);
    assert_int_equal(db_sweep_point_import(db, "k0", worker, &run_id, &e), CORE_E_DB);
    assert_non_null(strstr(e.msg, "its run is 'running', not complete"));
    /* the worker database is detached again: a second import tries afresh */
    assert_int_equal(db_sweep_point_import(db, "k0", worker, &run_id, &e), CORE_E_DB);
    assert_int_equal(db_sweep_point_import(db, "k0", "/nonexistent/dir/w.db", &run_id, &e),
                     CORE_E_IO);
    db_close(db);
    conn = raw_open(d->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM runs"), 0);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM requests"), 0);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sweep_points WHERE status = 'pending'"),
                     1);
    sqlite3_close(conn);
}

static void test_db_sweep_merge_imports_complete_points_once(void **state)
{
    struct testutil_dir *d = *state;
    struct db_sweep_point p[2] = {point("k0", 0), point("k1", 1)};
    char worker[160], shard[160], status[2][16];
    struct db_sweep_merge r;
    struct core_err e;
    struct db *db;
    int64_t run_id = 0;
    sqlite3 *conn;

    snprintf(worker, sizeof(worker), "%s/worker.db", d->dir);
    snprintf(shard, sizeof(shard), "%s/shard.db", d->dir);
    make_worker_db(worker, "complete");
    db = open_ok(shard);
    core_err_clear(&e);
    assert_int_equal(db_sweep_points_add(db, p, 2, status, &e), CORE_OK);
    assert_int_equal(db_sweep_point_import(db, "k0", worker, &run_id, &e), CORE_OK);
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

/* Append to the worker database at path a run of policy joint, configuration
 * abc123 and seed seed with two request rows, ending status status. */
static void add_worker_run(const char *path, uint64_t seed, const char *status)
{
    struct db_run_info info = {.scenario = "w", .policy = "joint", .seed = seed,
                               .version = "test", .config = "<scenario/>\n",
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

static void test_db_sweep_import_runs_brings_each_waiting_points_complete_run_once(void **state)
{
    struct testutil_dir *d = *state;
    /* k0: seed 7, its run complete; k1: seed 8, its run unfinished; k2: seed 9, failed
     * here (it is not waiting); k3: seed 10, of another version */
    struct db_sweep_point p[4] = {point("k0", 0), point("k1", 1), point("k2", 2), point("k3", 3)};
    char worker[160], status[4][16];
    uint64_t imported = 99;
    struct core_err e;
    struct db *db;
    int64_t run_id = 0;
    sqlite3 *conn;

    for (size_t i = 0; i < 4; i++)
        p[i].config_sha256 = "abc123";
    p[3].version = "other";
    snprintf(worker, sizeof(worker), "%s/worker.db", d->dir);
    add_worker_run(worker, 8, "running");
    add_worker_run(worker, 7, "complete");
    add_worker_run(worker, 7, "complete"); /* a point's second run: only the first comes */
    add_worker_run(worker, 9, "complete");
    add_worker_run(worker, 10, "complete");
    add_worker_run(worker, 42, "complete"); /* no point's */
    db = open_ok(d->path);
    core_err_clear(&e);
    assert_int_equal(db_run_begin(db, &(struct db_run_info){.scenario = "other", .policy = "x"},
                                  &run_id, &e),
                     CORE_OK);
    assert_int_equal(db_sweep_points_add(db, p, 4, status, &e), CORE_OK);
    assert_int_equal(db_sweep_point_set(db, "k1", "running", 0, NULL, &e), CORE_OK);
    assert_int_equal(db_sweep_point_set(db, "k2", "failed", 1, "boom", &e), CORE_OK);
    assert_int_equal(db_sweep_import_runs(db, worker, "test", &imported, &e), CORE_OK);
    assert_int_equal(imported, 1);
    assert_int_equal(db_sweep_point_status(db, "k0", status[0], &e), CORE_OK);
    assert_string_equal(status[0], "complete");
    assert_int_equal(db_sweep_point_status(db, "k1", status[1], &e), CORE_OK);
    assert_string_equal(status[1], "running");
    assert_int_equal(db_sweep_point_status(db, "nope", status[2], &e), CORE_OK);
    assert_string_equal(status[2], "");
    /* importing it again changes nothing */
    assert_int_equal(db_sweep_import_runs(db, worker, "test", &imported, &e), CORE_OK);
    assert_int_equal(imported, 0);
    assert_int_equal(db_sweep_import_runs(db, "/nonexistent/dir/w.db", "test", &imported, &e),
                     CORE_E_IO);
    db_close(db);

    conn = raw_open(d->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(raw_int(conn, "SELECT run_id FROM sweep_points WHERE point_key = 'k0' AND "
                                   "status = 'complete' AND exit_status = 0"),
                     2);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM runs WHERE run_id = 2 AND seed = 7 AND "
                                   "status = 'complete' AND config_sha256 = 'abc123'"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM requests WHERE run_id = 2"), 2);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM requests WHERE run_id = 2 AND "
                                   "request_id = 0 AND t_done_s = 7"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM requests"), 2);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sweep_points WHERE status = 'complete'"),
                     1);
    sqlite3_close(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_db_sweep_points_are_recorded_once_per_key_with_their_values, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_sweep_import_renumbers_the_run_and_completes_the_point, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_sweep_import_of_an_unfinished_run_leaves_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_sweep_merge_imports_complete_points_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_db_sweep_import_runs_brings_each_waiting_points_complete_run_once, setup,
            teardown),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
