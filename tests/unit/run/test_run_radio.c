/*
 * test_run_radio.c — the run driver on a radio scenario: one row per UE per
 * sampling instant into the database and the observer alike, the same seed
 * giving the same rows, a policy the radio model does not have refused
 * before any database exists, and a stop flag ending the run 'interrupted'
 * with its rows kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "testutil.h"

#include "run/run.h"
#include "scenarioutil.h"

#define FIXTURE "tests/data/scenarios/valid-radio.xml"

static struct tu_scenario scenario;
static struct core_err err; /* assert_core_rc prints it */
static struct run_result result;

struct collected {
    uint64_t rows;         /* rows seen by the callback */
    double sum_sinr_db;    /* a fingerprint of what they held */
    volatile int *stop;    /* set after the first instant, if not NULL */
};

static void collect(void *ctx, const struct radio_sample *rows, size_t n)
{
    struct collected *c = ctx;

    for (size_t i = 0; i < n; i++)
        c->sum_sinr_db += rows[i].ul_sinr_db + rows[i].dl_sinr_db;
    c->rows += n;
    if (c->stop)
        *c->stop = 1;
}

static long long count_rows(const char *db_path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long n = -1;

    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void test_run_radio_samples_every_ue_every_period(void **unused)
{
    struct testutil_dir *d = testutil_dir_create("run-radio", "r.db");
    struct run_options opt = {0};
    struct collected c = {0};
    
    assert_non_null(d);
    assert_core_rc(tu_scenario_open(&scenario, FIXTURE, NULL, 0, &err), CORE_OK);
    opt.db_path = d->path;
    opt.observer.samples = collect;
    opt.observer.ctx = &c;
    if (run_scenario(scenario.a, &opt, &result, &err) != CORE_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(result.status, "complete");
    /* 22 UEs, 10 s every 0.5 s from 0 s: 21 instants */
    assert_int_equal(result.n_ues, 22);
    assert_int_equal(result.n_rows, 22 * 21);
    assert_int_equal(c.rows, result.n_rows);
    assert_int_equal(count_rows(d->path, "SELECT count(*) FROM radio_samples"), 22 * 21);
    assert_int_equal(count_rows(d->path, "SELECT count(DISTINCT t_s) FROM radio_samples"), 21);
    assert_int_equal(count_rows(d->path, "SELECT count(*) FROM runs WHERE status = 'complete' "
                                        "AND policy = 'radio' AND seed = 4"),
                     1);
    testutil_dir_destroy(d);
    tu_scenario_close(&scenario);
}

static void test_run_radio_same_seed_same_rows_without_a_database(void **unused)
{
    struct run_options opt = {0};
    struct collected a = {0}, b = {0};
    
    tu_scenario_close(&scenario);
    assert_core_rc(tu_scenario_open(&scenario, FIXTURE, NULL, 0, &err), CORE_OK);
    opt.no_db = true;
    opt.observer.samples = collect;
    opt.observer.ctx = &a;
    assert_core_rc(run_scenario(scenario.a, &opt, &result, &err), CORE_OK);
    assert_string_equal(result.db_path, "");
    opt.observer.ctx = &b;
    assert_core_rc(run_scenario(scenario.a, &opt, &result, &err), CORE_OK);
    assert_int_equal(a.rows, b.rows);
    assert_true(a.sum_sinr_db == b.sum_sinr_db);
    {
        static const char *const seed5[] = {"simulation@seed=5"};

        tu_scenario_close(&scenario);
        assert_core_rc(tu_scenario_open(&scenario, FIXTURE, seed5, 1, &err), CORE_OK);
    }
    b.rows = 0;
    b.sum_sinr_db = 0;
    assert_core_rc(run_scenario(scenario.a, &opt, &result, &err), CORE_OK);
    assert_int_equal(result.seed, 5);
    assert_true(a.sum_sinr_db != b.sum_sinr_db);
    tu_scenario_close(&scenario);
}

static void test_run_radio_refuses_a_policy_it_has_not_before_the_database(void **unused)
{
    struct run_options opt = {0};
    char path[] = "/tmp/coinfer-run-radio-never.db";

    unlink(path);
    tu_scenario_close(&scenario);
    assert_core_rc(tu_scenario_open(&scenario, FIXTURE, NULL, 0, &err), CORE_OK);
    opt.db_path = path;
    opt.policy = "oracle";
    assert_int_equal(run_scenario(scenario.a, &opt, &result, &err), CORE_E_USAGE);
    assert_string_equal(err.msg, "--policy oracle: unknown policy (radio, all)");
    assert_int_equal(access(path, F_OK), -1);
    opt.policy = "radio";
    opt.trace = true;
    assert_int_equal(run_scenario(scenario.a, &opt, &result, &err), CORE_E_USAGE);
    assert_non_null(strstr(err.msg, "--trace needs a collaborative scenario"));
    assert_int_equal(access(path, F_OK), -1);
    tu_scenario_close(&scenario);
}

static void test_run_radio_stop_flag_interrupts_and_keeps_rows(void **unused)
{
    struct testutil_dir *d = testutil_dir_create("run-radio-stop", "s.db");
    struct run_options opt = {0};
    volatile int stop = 0;
    struct collected c = {.stop = &stop};
    
    assert_non_null(d);
    tu_scenario_close(&scenario);
    assert_core_rc(tu_scenario_open(&scenario, FIXTURE, NULL, 0, &err), CORE_OK);
    opt.db_path = d->path;
    opt.stop_flag = &stop;
    opt.observer.samples = collect;
    opt.observer.ctx = &c;
    assert_int_equal(run_scenario(scenario.a, &opt, &result, &err), CORE_E_INTERRUPTED);
    assert_string_equal(result.status, "interrupted");
    assert_int_equal(result.n_rows, 22); /* the instant at 0 s, then the stop */
    assert_int_equal(count_rows(d->path, "SELECT count(*) FROM radio_samples"), 22);
    assert_int_equal(count_rows(d->path, "SELECT count(*) FROM runs WHERE status = "
                                        "'interrupted'"),
                     1);
    testutil_dir_destroy(d);
    tu_scenario_close(&scenario);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_run_radio_samples_every_ue_every_period),
        TEST(test_run_radio_same_seed_same_rows_without_a_database),
        TEST(test_run_radio_refuses_a_policy_it_has_not_before_the_database),
        TEST(test_run_radio_stop_flag_interrupts_and_keeps_rows),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
