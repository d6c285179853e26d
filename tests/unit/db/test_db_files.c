/*
 * test_db_files.c — the results database against files that are not what
 * they should be (db.c, reader.c, schema.c): a negative schema version is
 * no coinfer database, for the writer and the reader; the reader refuses a
 * device, a path under a file, an SQLite file of other tables or one with a
 * version and no runs table, and opens an empty file as a database without
 * runs; a database named without a directory opens in the current one and
 * says its path; a table's blobs read back as hexadecimal and its reals
 * exactly; a query a database's version predates returns no row; a sweep
 * merge refuses an empty file and a database of another schema version,
 * leaving nothing behind;
 * a batch the database refuses names its first row as its table describes
 * rows (UEs, edge and UE energy, samples, sample fields).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlutil.h"
#include "testutil.h"

#include "db/db.h"

static struct core_err err;

static int setup(void **state)
{
    *state = testutil_dir_create("db-files", "r.db");
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    testutil_dir_destroy(*state);
    return 0;
}

/* A plain SQLite file at path made by sql. */
static void raw_file(const char *path, const char *sql)
{
    sqlite3 *c = raw_open(path);

    raw_exec(c, sql);
    sqlite3_close(c);
}

static void reader_refuses(const char *path, enum core_rc want, const char *msg)
{
    struct db_reader *r = (struct db_reader *)&err; /* must be reset to NULL */

    assert_core_rc(db_reader_open(path, &r, &err), want);
    assert_null(r);
    if (!strstr(err.msg, msg))
        fail_msg("message '%s' lacks '%s'", err.msg, msg);
}

static void test_a_negative_schema_version_is_no_coinfer_database(void **state)
{
    struct testutil_dir *d = *state;

    raw_file(d->path, "PRAGMA user_version = -3; CREATE TABLE t (x)");
    assert_null(db_open(d->path, &err));
    assert_int_equal(err.rc, CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "not a coinfer results database (schema version -3)"));
    reader_refuses(d->path, CORE_E_INPUT, "schema version -3");
}

static void test_the_reader_refuses_what_is_no_results_database(void **state)
{
    struct testutil_dir *d = *state;
    char path[256];

    reader_refuses("/dev/null", CORE_E_INPUT, "not a regular file, not a results database");
    reader_refuses(d->dir, CORE_E_INPUT, "is a directory");
    snprintf(path, sizeof(path), "%s/x.db", d->dir);
    reader_refuses(path, CORE_E_INPUT, "no such results database");
    raw_file(d->path, "CREATE TABLE mine (x)");
    snprintf(path, sizeof(path), "%s/under", d->path); /* a path under a file */
    reader_refuses(path, CORE_E_IO, path);
    reader_refuses(d->path, CORE_E_INPUT, "tables of its own and no schema version");
    unlink(d->path);
    raw_file(d->path, "PRAGMA user_version = 3; CREATE TABLE mine (x)");
    reader_refuses(d->path, CORE_E_INPUT, "it has no runs table");
}

static enum core_rc count_row(void *ctx, const struct db_value *v, size_t n, struct core_err *e)
{
    (void)v, (void)n, (void)e;
    ++*(size_t *)ctx;
    return CORE_OK;
}

static void test_an_empty_file_reads_as_a_database_without_runs(void **state)
{
    struct testutil_dir *d = *state;
    struct db_reader *r = NULL;
    size_t rows = 0;
    FILE *f = fopen(d->path, "w");

    assert_non_null(f);
    fclose(f);
    assert_core_rc(db_reader_open(d->path, &r, &err), CORE_OK);
    assert_int_equal(db_reader_version(r), 0);
    assert_string_equal(db_reader_path(r), d->path);
    /* every query of a later schema returns no row */
    assert_core_rc(db_query(r, DB_Q_RUNS_WITH_SAMPLES, 0, count_row, &rows, &err), CORE_OK);
    assert_core_rc(db_query(r, DB_Q_SWEEP_POINTS, 0, count_row, &rows, &err), CORE_OK);
    assert_int_equal(rows, 0);
    db_reader_close(r);
}

static void test_a_database_without_a_directory_opens_here(void **state)
{
    struct testutil_dir *d = *state;
    char cwd[PATH_MAX], path[512];
    struct db *db;

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(d->dir), 0);
    db = db_open("here.db", &err);
    assert_int_equal(chdir(cwd), 0);
    assert_non_null(db);
    assert_string_equal(db_path(db), "here.db");
    db_close(db);
    snprintf(path, sizeof(path), "%s/here.db", d->dir);
    assert_int_equal(access(path, F_OK), 0);
}

struct table_text {
    char header[256];
    char row[1024];
    size_t rows;
};

static enum core_rc on_header(void *ctx, const struct db_value *v, size_t n, struct core_err *e)
{
    struct table_text *t = ctx;
    size_t at = 0;

    (void)e;
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(t->header + at, sizeof(t->header) - at, "%s%s", i ? "|" : "",
                               v[i].text);
    return CORE_OK;
}

static enum core_rc on_row(void *ctx, const struct db_value *v, size_t n, struct core_err *e)
{
    struct table_text *t = ctx;
    size_t at = 0;

    (void)e;
    t->rows++;
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(t->row + at, sizeof(t->row) - at, "%s%s%s", i ? "|" : "",
                               v[i].null ? "NULL:" : "", v[i].text);
    return CORE_OK;
}

static void test_a_table_reads_back_blobs_in_hex_and_reals_exactly(void **state)
{
    struct testutil_dir *d = *state;
    struct db *db = db_open(d->path, &err);
    struct db_reader *r = NULL;
    struct table_text t = {0};
    sqlite3 *c;

    assert_non_null(db);
    db_close(db);
    c = raw_open(d->path);
    raw_exec(c, "CREATE TABLE extra (b BLOB, x REAL, n TEXT, big BLOB)");
    /* reals computed in double arithmetic: SQLite parses literals with long
     * double, which valgrind emulates at double precision */
    raw_exec(c, "INSERT INTO extra VALUES (x'00ff10', CAST(1 AS REAL) / 10, NULL, "
                "zeroblob(300))");
    raw_exec(c, "INSERT INTO extra VALUES (x'', CAST(1 AS REAL) / 3, 'a', x'ab')");
    sqlite3_close(c);
    assert_core_rc(db_reader_open(d->path, &r, &err), CORE_OK);
    assert_core_rc(db_read_table(r, "extra", 0, on_header, on_row, &t, &err), CORE_OK);
    assert_string_equal(t.header, "b|x|n|big");
    assert_int_equal(t.rows, 2);
    assert_string_equal(t.row, "|0.3333333333333333|a|ab");
    db_reader_close(r);
    t = (struct table_text){0};
    c = raw_open(d->path);
    raw_exec(c, "DELETE FROM extra WHERE n IS NOT NULL");
    sqlite3_close(c);
    assert_core_rc(db_reader_open(d->path, &r, &err), CORE_OK);
    assert_core_rc(db_read_table(r, "extra", 0, on_header, on_row, &t, &err), CORE_OK);
    assert_int_equal(strncmp(t.row, "00ff10|0.1|NULL:|0000", 21), 0);
    assert_int_equal(strlen(t.row), strlen("00ff10|0.1|NULL:|") + 600); /* 300 bytes */
    {
        char long_name[1200];

        memset(long_name, 't', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        assert_core_rc(db_read_table(r, long_name, 0, on_header, on_row, &t, &err),
                       CORE_E_INPUT);
        assert_non_null(strstr(err.msg, "no table named tttt"));
    }
    db_reader_close(r);
}

static void test_a_sweep_merge_refuses_a_source_it_cannot_take(void **state)
{
    struct testutil_dir *d = *state;
    char empty[256], old[256], status[1][16];
    const struct db_sweep_point p = {.key = "k0", .sweep = "s", .sweep_file = "s.xml",
                                     .policy = "p", .config_sha256 = "abc", .version = "t"};
    struct db_sweep_merge m;
    struct db *db;
    FILE *f;

    snprintf(empty, sizeof(empty), "%s/empty.db", d->dir);
    snprintf(old, sizeof(old), "%s/old.db", d->dir);
    f = fopen(empty, "w");
    assert_non_null(f);
    fclose(f);
    raw_file(old, "PRAGMA user_version = 3; CREATE TABLE runs (run_id INTEGER PRIMARY KEY)");
    db = db_open(d->path, &err);
    assert_non_null(db);
    assert_core_rc(db_sweep_points_add(db, &p, 1, status, &err), CORE_OK);
    assert_string_equal(status[0], "pending");
    assert_core_rc(db_sweep_merge(db, empty, &m, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "(not a results database)"));
    assert_core_rc(db_sweep_merge(db, old, &m, &err), CORE_E_DB);
    assert_non_null(strstr(err.msg, "schema version 3, not this coinfer's"));
    /* nothing of the refused merges stayed, and the database is usable */
    assert_core_rc(db_sweep_point_set(db, "k0", "running", 0, NULL, &err), CORE_OK);
    db_close(db);
    {
        sqlite3 *c = raw_open(d->path);

        assert_int_equal(raw_int(c, "SELECT count(*) FROM runs"), 0);
        assert_int_equal(raw_int(c, "SELECT count(*) FROM sweep_points WHERE status = "
                                    "'running'"),
                         1);
        sqlite3_close(c);
    }
}

/* A batch refused by the database (rows of a run that does not exist) names
 * its first row as each table describes its rows. */
static void refused_names(enum core_rc rc, const char *want)
{
    assert_core_rc(rc, CORE_E_DB);
    if (!strstr(err.msg, want) || !strstr(err.msg, "of run 999"))
        fail_msg("message '%s' lacks '%s' or the run", err.msg, want);
}

static void test_a_refused_batch_names_its_row_in_every_table(void **state)
{
    struct testutil_dir *d = *state;
    struct db *db = db_open(d->path, &err);
    const struct db_ue_row ue = {.ue_id = 3, .device = "phone"};
    const struct proto_energy_row energy[2] = {
        {.edge = true, .ue_id = UINT32_MAX, .cell_id = 2, .resource = "gpu"},
        {.edge = false, .ue_id = 5, .cell_id = 0},
    };
    const struct db_sample_row sample = {.inference_id = 42, .device = "phone", .model = "m",
                                         .state = "1", .action = "0"};
    const struct db_sample_field_row field = {.device = "phone", .model = "m", .kind = "state",
                                              .field = 7, .name = "x", .unit = "1",
                                              .description = "x"};

    assert_non_null(db);
    refused_names(db_insert_ues(db, 999, &ue, 1, &err), "recording UE 3");
    refused_names(db_insert_energy(db, 999, &energy[0], 1, &err),
                  "the energy of edge instance 'gpu' of cell 2");
    refused_names(db_insert_energy(db, 999, &energy[1], 1, &err), "the energy of UE 5");
    refused_names(db_insert_samples(db, 999, &sample, 1, &err), "the sample of inference 42");
    refused_names(db_insert_sample_fields(db, 999, &field, 1, &err),
                  "state field 7 of the samples of model 'm' on device 'phone'");
    db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_negative_schema_version_is_no_coinfer_database,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_reader_refuses_what_is_no_results_database, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_an_empty_file_reads_as_a_database_without_runs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_database_without_a_directory_opens_here, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_table_reads_back_blobs_in_hex_and_reals_exactly,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_sweep_merge_refuses_a_source_it_cannot_take, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_refused_batch_names_its_row_in_every_table, setup,
                                        teardown),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
