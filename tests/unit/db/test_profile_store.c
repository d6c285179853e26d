/*
 * test_profile_store.c — the profiles table as a store of hosts (issue 14):
 * the host key names the CPU model, the kernel family and the threads in
 * the documented form; profiles of several hosts and models live in one
 * file, each host's row carrying its CPU and OpenBLAS columns; a re-profile
 * under the same key replaces that model's rows (and only them) in one
 * transaction; a store loads one key's layers exactly and finds them by
 * (model, layer index); a missing file, an unknown key (naming the keys the
 * file has), a file with no keyed profile and a schema-10 file are
 * CORE_E_INPUT with a message naming the file; out-of-memory anywhere in a
 * load is reported and leaks nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "sqlutil.h"
#include "testutil.h"

#include "db/db.h"

static int setup(void **state)
{
    *state = testutil_dir_create("profile_store", "hosts.db");
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    core_alloc_fail_after(0);
    testutil_dir_destroy(*state);
    return 0;
}

static const struct db_profile_host host_a = {
    .key = "amd-epyc:haswell:1t",
    .cpu_model = "AMD EPYC",
    .blas_coretype = "Haswell",
    .blas_corename = "Haswell",
    .blas_cpu_family = "Cooperlake",
    .blas_config = "OpenBLAS 0.3.21 DYNAMIC_ARCH",
};

static const struct db_profile_host host_b = {
    .key = "arm-cortex-a76:armv8:4t",
    .cpu_model = "ARM Cortex-A76",
    .blas_coretype = "",
    .blas_corename = "ARMV8",
    .blas_cpu_family = "",
    .blas_config = "OpenBLAS 0.3.21",
};

/* A profile of model with n layers (latency_s = scale x (index + 2) us)
 * and its whole-model row, on host h. */
static void profile_rows(const char *model, size_t n, double scale,
                         const struct db_profile_host *h, struct db_profile_row *rows)
{
    static const char *const names[] = {"conv1", "relu1", "pool1", "fc1", "fc2"};

    for (size_t i = 0; i <= n; i++) {
        struct db_profile_row *r = &rows[i];

        memset(r, 0, sizeof(*r));
        r->model = model;
        r->layer_index = i < n ? (int)i : -1;
        r->layer_name = i < n ? names[i] : "total";
        r->layer_type = i < n ? "conv2d" : "total";
        r->resource = "host-cpu";
        r->threads = 1;
        r->flops = 1000 * (i + 1);
        r->params = 10;
        r->out_bytes = 4;
        r->latency_s = scale * 1e-6 * (double)(r->layer_index + 2);
        r->reps = 3;
        r->latency_min_s = r->latency_s;
        r->latency_max_s = r->latency_s;
        r->host = h;
    }
}

static void record(const char *path, const char *model, size_t n, double scale,
                   const struct db_profile_host *h)
{
    struct db_profile_row rows[6];
    struct core_err e = {0};
    struct db *db = db_open(path, &e);

    assert_non_null(db);
    profile_rows(model, n, scale, h, rows);
    if (db_replace_profile(db, rows, n + 1, &e) != CORE_OK) {
        print_error("replace: %s\n", e.msg);
        fail();
    }
    db_close(db);
}

static struct db_profile_store *load_ok(const char *path, const char *key)
{
    struct db_profile_store *s = NULL;
    struct core_err e = {0};

    if (db_profile_store_load(path, key, &s, &e) != CORE_OK) {
        print_error("load %s#%s: %s\n", path, key, e.msg);
        fail();
    }
    return s;
}

/* Loading path#key fails with rc and a message containing want. */
static void load_fails(const char *path, const char *key, enum core_rc rc, const char *want)
{
    struct db_profile_store *s = NULL;
    struct core_err e = {0};

    assert_int_equal(db_profile_store_load(path, key, &s, &e), rc);
    assert_null(s);
    if (!strstr(e.msg, want)) {
        print_error("message '%s' lacks '%s'\n", e.msg, want);
        fail();
    }
}

static void test_host_key_is_cpu_kernels_threads_in_lower_case_slugs(void **unused)
{
    char key[64];

    (void)unused;
    db_profile_host_key("AMD EPYC", "Haswell", 1, key, sizeof(key));
    assert_string_equal(key, "amd-epyc:haswell:1t");
    db_profile_host_key("  Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz ", "SkylakeX", 16, key,
                        sizeof(key));
    assert_string_equal(key, "intel-r-xeon-r-gold-6248-cpu-2-50ghz:skylakex:16t");
    db_profile_host_key("", NULL, 2, key, sizeof(key));
    assert_string_equal(key, "unknown:unknown:2t");
    db_profile_host_key("AMD EPYC", "Haswell", 1, key, 6); /* truncated, terminated */
    assert_string_equal(key, "amd-e");
}

static void test_hosts_and_models_live_side_by_side_with_their_columns(void **state)
{
    struct testutil_dir *f = *state;
    sqlite3 *conn;

    record(f->path, "lenet5", 3, 1.0, &host_a);
    record(f->path, "alexnet", 5, 1.0, &host_a);
    record(f->path, "lenet5", 3, 7.0, &host_b);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(DISTINCT host_key) FROM profiles"), 2);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles"), 4 + 6 + 4);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles WHERE host_key = "
                                   "'amd-epyc:haswell:1t' AND cpu_model = 'AMD EPYC' AND "
                                   "blas_coretype = 'Haswell' AND blas_corename = 'Haswell' AND "
                                   "blas_cpu_family = 'Cooperlake' AND blas_config = "
                                   "'OpenBLAS 0.3.21 DYNAMIC_ARCH'"),
                     10);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles WHERE host_key = "
                                   "'arm-cortex-a76:armv8:4t' AND blas_coretype = ''"),
                     4);
    sqlite3_close(conn);
}

static void test_reprofile_under_a_key_replaces_that_model_only(void **state)
{
    struct testutil_dir *f = *state;
    struct db_profile_row unkeyed[4];
    struct core_err e = {0};
    struct db *db;
    sqlite3 *conn;

    record(f->path, "lenet5", 3, 1.0, &host_a);
    record(f->path, "alexnet", 5, 1.0, &host_a);
    record(f->path, "lenet5", 3, 1.0, &host_b);
    profile_rows("lenet5", 3, 1.0, NULL, unkeyed); /* as a profile before host keys */
    db = db_open(f->path, &e);
    assert_int_equal(db_insert_profiles(db, unkeyed, 4, &e), CORE_OK);
    db_close(db);
    record(f->path, "lenet5", 2, 5.0, &host_a); /* fewer layers: the third must go */
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles WHERE host_key = "
                                   "'amd-epyc:haswell:1t' AND model = 'lenet5'"),
                     3);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles WHERE host_key = "
                                   "'amd-epyc:haswell:1t' AND model = 'lenet5' AND "
                                   "abs(latency_s - 5e-6 * (layer_index + 2)) < 1e-15"),
                     3);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles WHERE model = 'alexnet'"), 6);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles WHERE host_key = "
                                   "'arm-cortex-a76:armv8:4t'"),
                     4);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles WHERE host_key IS NULL"), 4);
    sqlite3_close(conn);
}

static void test_failed_replace_keeps_the_old_profile(void **state)
{
    struct testutil_dir *f = *state;
    struct db_profile_row rows[4];
    struct core_err e = {0};
    struct db *db;
    sqlite3 *conn;

    record(f->path, "lenet5", 3, 1.0, &host_a);
    profile_rows("lenet5", 3, 9.0, &host_a, rows);
    rows[2].layer_index = -2; /* the CHECK refuses it: the batch rolls back */
    db = db_open(f->path, &e);
    assert_int_equal(db_replace_profile(db, rows, 4, &e), CORE_E_DB);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles WHERE "
                                   "abs(latency_s - 1e-6 * (layer_index + 2)) < 1e-15"),
                     4);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles"), 4);
    sqlite3_close(conn);
}

static void test_store_loads_one_key_and_finds_each_layer(void **state)
{
    struct testutil_dir *f = *state;
    long live = core_alloc_live();
    struct db_profile_store *s;
    const struct db_stored_layer *l;

    record(f->path, "lenet5", 3, 1.0, &host_a);
    record(f->path, "alexnet", 5, 2.0, &host_a);
    record(f->path, "lenet5", 3, 7.0, &host_b);
    s = load_ok(f->path, "amd-epyc:haswell:1t");
    assert_int_equal(s->n, 4 + 6);
    assert_int_equal(s->threads, 1);
    assert_string_equal(s->cpu_model, "AMD EPYC");
    assert_string_equal(s->blas_corename, "Haswell");
    l = db_profile_store_find(s, "lenet5", 2);
    assert_non_null(l);
    assert_string_equal(l->layer_name, "pool1");
    assert_true(l->latency_s == 1e-6 * 4);
    l = db_profile_store_find(s, "alexnet", 4);
    assert_non_null(l);
    assert_string_equal(l->layer_name, "fc2");
    assert_true(l->latency_s == 2e-6 * 6);
    assert_non_null(db_profile_store_find(s, "alexnet", -1));
    assert_null(db_profile_store_find(s, "lenet5", 3));
    assert_null(db_profile_store_find(s, "vgg16", 0));
    assert_true(db_profile_store_has_model(s, "lenet5"));
    assert_true(db_profile_store_has_model(s, "alexnet"));
    assert_false(db_profile_store_has_model(s, "lenet"));
    assert_false(db_profile_store_has_model(s, "vgg16"));
    db_profile_store_destroy(s);
    s = load_ok(f->path, "arm-cortex-a76:armv8:4t");
    assert_int_equal(s->n, 4);
    assert_true(db_profile_store_find(s, "lenet5", 0)->latency_s == 7e-6 * 2);
    db_profile_store_destroy(s);
    db_profile_store_destroy(NULL);
    assert_int_equal(core_alloc_live(), live);
}

static void test_missing_file_and_unknown_key_name_the_file(void **state)
{
    struct testutil_dir *f = *state;
    char missing[160];
    struct core_err e = {0};
    struct db *db;

    snprintf(missing, sizeof(missing), "%s.none", f->path);
    load_fails(missing, "amd-epyc:haswell:1t", CORE_E_INPUT, "no such results database");
    db = db_open(f->path, &e); /* a coinfer database without profiles */
    db_close(db);
    load_fails(f->path, "amd-epyc:haswell:1t", CORE_E_INPUT,
               "no profile under key 'amd-epyc:haswell:1t' (the file holds no profile with a "
               "host key");
    record(f->path, "lenet5", 3, 1.0, &host_b);
    record(f->path, "lenet5", 3, 1.0, &host_a);
    load_fails(f->path, "amd-epyc:haswell:2t", CORE_E_INPUT,
               "no profile under key 'amd-epyc:haswell:2t' (its keys: amd-epyc:haswell:1t, "
               "arm-cortex-a76:armv8:4t)");
}

static void test_schema_10_file_holds_no_key(void **state)
{
    struct testutil_dir *f = *state;
    sqlite3 *conn = raw_open(f->path);

    /* What coinfer wrote before host keys: the runs and profiles tables of
     * schema 10 (the reader needs only these), one unkeyed profile row. */
    raw_exec(conn,
             "CREATE TABLE runs (run_id INTEGER PRIMARY KEY);"
             "CREATE TABLE profiles (model TEXT, layer_index INTEGER, layer_name TEXT, "
             "layer_type TEXT, resource TEXT, threads INTEGER, flops INTEGER, params INTEGER, "
             "out_bytes INTEGER, latency_s REAL, reps INTEGER, latency_min_s REAL, "
             "latency_max_s REAL, profiled_at TEXT);"
             "INSERT INTO profiles VALUES ('lenet5', 0, 'conv1', 'conv2d', 'host-cpu', 1, 1, 1, "
             "1, 1e-6, 1, 1e-6, 1e-6, '2026-01-01T00:00:00.000Z');"
             "PRAGMA user_version = 10");
    sqlite3_close(conn);
    load_fails(f->path, "amd-epyc:haswell:1t", CORE_E_INPUT, "holds no profile with a host key");
}

static void test_out_of_memory_in_a_load_is_reported_and_leaks_nothing(void **state)
{
    struct testutil_dir *f = *state;
    bool done = false;

    record(f->path, "lenet5", 3, 1.0, &host_a);
    record(f->path, "alexnet", 5, 1.0, &host_a);
    for (long k = 1; !done && k < 200; k++) {
        long live = core_alloc_live();
        struct db_profile_store *s = NULL;
        struct core_err e = {0};
        enum core_rc rc;

        core_alloc_fail_after(k);
        rc = db_profile_store_load(f->path, "amd-epyc:haswell:1t", &s, &e);
        core_alloc_fail_after(0);
        if (rc == CORE_OK) {
            assert_int_equal(s->n, 10);
            db_profile_store_destroy(s);
            done = true;
        } else {
            assert_int_equal(rc, CORE_E_NOMEM);
            assert_null(s);
        }
        assert_int_equal(core_alloc_live(), live);
    }
    assert_true(done);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_key_is_cpu_kernels_threads_in_lower_case_slugs),
        cmocka_unit_test_setup_teardown(
            test_hosts_and_models_live_side_by_side_with_their_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reprofile_under_a_key_replaces_that_model_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_replace_keeps_the_old_profile, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_loads_one_key_and_finds_each_layer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_and_unknown_key_name_the_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_schema_10_file_holds_no_key, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_out_of_memory_in_a_load_is_reported_and_leaks_nothing, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
