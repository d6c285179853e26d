/*
 * test_db_export.c — reading whole tables for `coinfer export`: the tables
 * listed by name (SQLite's own left out), a table's column names then its
 * rows, reals written as the shortest decimal that reads back as the same
 * double, NULL flagged, a run's rows alone with run_id, and whether a table
 * has a column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlutil.h"
#include "testutil.h"

#include "db/db.h"

static int setup(void **state)
{
    *state = testutil_dir_create("dbexport", "results.db");
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    testutil_dir_destroy(*state);
    return 0;
}

/* Everything a read hands over, as "a|b|c\n" lines ("~" for NULL). */
struct seen {
    char text[4096];
    size_t rows;
};

static enum core_rc collect(void *ctx, const struct db_value *cols, size_t n, struct core_err *e)
{
    struct seen *s = ctx;
    size_t used = strlen(s->text);

    for (size_t c = 0; c < n; c++) {
        snprintf(s->text + used, sizeof(s->text) - used, "%s%s", c ? "|" : "",
                 cols[c].null ? "~" : cols[c].text);
        used = strlen(s->text);
    }
    snprintf(s->text + used, sizeof(s->text) - used, "\n");
    s->rows++;
    return CORE_OK;
}

/* A database with two runs, requests of each (one with reals that need 17
 * digits), and a table of someone else's. */
static void make_db(const char *path)
{
    static const struct db_run_info info = {.scenario = "w", .policy = "fifo", .seed = 1,
                                            .version = "test"};
    struct proto_request_record a[2] = {
        {.request_id = 0, .t_arrival_s = 0.1, .t_start_s = 0.1, .t_done_s = 1.0 / 3.0},
        {.request_id = 1, .t_arrival_s = 2, .t_start_s = 2.5, .t_done_s = 3}};
    struct proto_request_record b[1] = {
        {.request_id = 0, .t_arrival_s = 5, .t_start_s = 5, .t_done_s = 6}};
    struct core_err e;
    int64_t r1, r2;
    struct db *db;

    core_err_clear(&e);
    db = db_open(path, &e);
    assert_non_null(db);
    assert_int_equal(db_run_begin(db, &info, &r1, &e), CORE_OK);
    assert_int_equal(db_insert_requests(db, r1, a, 2, &e), CORE_OK);
    assert_int_equal(db_run_begin(db, &info, &r2, &e), CORE_OK);
    assert_int_equal(db_insert_requests(db, r2, b, 1, &e), CORE_OK);
    db_close(db);
}

static struct db_reader *reader_ok(const char *path)
{
    struct db_reader *r = NULL;
    struct core_err e;

    core_err_clear(&e);
    if (db_reader_open(path, &r, &e) != CORE_OK)
        fail_msg("db_reader_open: %s", e.msg);
    return r;
}

static void test_db_export_lists_every_table_by_name(void **state)
{
    struct testutil_dir *d = *state;
    struct seen s = {0};
    struct db_reader *r;
    struct core_err e;

    make_db(d->path);
    r = reader_ok(d->path);
    core_err_clear(&e);
    assert_int_equal(db_reader_tables(r, collect, &s, &e), CORE_OK);
    assert_non_null(strstr(s.text, "configs\n"));
    assert_non_null(strstr(s.text, "requests\nruns\n"));
    assert_null(strstr(s.text, "sqlite_"));
    db_reader_close(r);
}

static void test_db_export_reads_a_runs_rows_with_exact_reals(void **state)
{
    struct testutil_dir *d = *state;
    struct seen head = {0}, rows = {0};
    struct db_reader *r;
    struct core_err e;
    char *cut;
    double x;
    bool has = false;

    make_db(d->path);
    r = reader_ok(d->path);
    core_err_clear(&e);
    assert_int_equal(db_read_table(r, "requests", 1, collect, collect, &rows, &e), CORE_OK);
    /* the header is the first line handed over; two rows of run 1 follow */
    assert_int_equal(rows.rows, 3);
    assert_non_null(strstr(rows.text, "run_id|request_id|"));
    /* 1/3 needs 16 digits to read back, 0.1 needs its 15 */
    assert_non_null(strstr(rows.text, "0.3333333333333333"));
    cut = strstr(rows.text, "0.3333333333333333");
    x = strtod(cut, NULL);
    assert_true(x == 1.0 / 3.0);
    assert_non_null(strstr(rows.text, "|0.1|"));
    assert_null(strstr(rows.text, "\n2|"));
    assert_int_equal(db_read_table(r, "requests", 0, collect, collect, &head, &e), CORE_OK);
    assert_int_equal(head.rows, 4);
    assert_int_equal(db_reader_has_column(r, "requests", "run_id", &has, &e), CORE_OK);
    assert_true(has);
    assert_int_equal(db_reader_has_column(r, "configs", "run_id", &has, &e), CORE_OK);
    assert_false(has);
    db_reader_close(r);
}

static void test_db_export_flags_null_and_quotes_no_table_name_into_sql(void **state)
{
    struct testutil_dir *d = *state;
    struct seen rows = {0};
    struct db_reader *r;
    struct core_err e;
    sqlite3 *conn;

    make_db(d->path);
    conn = raw_open(d->path);
    raw_exec(conn, "CREATE TABLE \"odd \"\"name\" (a INTEGER, b TEXT); "
                   "INSERT INTO \"odd \"\"name\" VALUES (1, NULL), (NULL, 'x,y')");
    sqlite3_close(conn);
    r = reader_ok(d->path);
    core_err_clear(&e);
    assert_int_equal(db_read_table(r, "odd \"name", 0, collect, collect, &rows, &e), CORE_OK);
    assert_string_equal(rows.text, "a|b\n1|~\n~|x,y\n");
    assert_int_not_equal(db_read_table(r, "runs; DROP TABLE runs", 0, collect, collect, &rows, &e),
                         CORE_OK);
    db_reader_close(r);
    conn = raw_open(d->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM runs"), 2);
    sqlite3_close(conn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_db_export_lists_every_table_by_name, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_export_reads_a_runs_rows_with_exact_reals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_db_export_flags_null_and_quotes_no_table_name_into_sql, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
