/*
 * test_queue_theory.c — the engine against queueing theory, end to end.
 *
 * Loads scenarios/validation-mm1.xml and validation-md1.xml through the real
 * loader, sets the offered load to rho = 0.5 and 0.8, runs each through the
 * real run driver into a real SQLite database, reads every recorded request
 * back and checks:
 *   - the mean sojourn time against M/M/1, 1/(mu - lambda), and M/D/1
 *     (Pollaczek-Khinchine), rho/(2 mu (1 - rho)) + 1/mu, within 2 %, with a
 *     95 % batch-means confidence interval printed and itself narrower than
 *     the tolerance (so the check has the power to fail);
 *   - Little's law on the rows: the time-average number in system, integrated
 *     from the arrival and departure times, equals the arrival rate times the
 *     mean sojourn of the requests that arrived in the same window, within
 *     1 %.
 * Theory is computed here by hand, independently of sim/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "run/run.h"
#include "scenarioutil.h"

#define TOLERANCE 0.02
#define N_BATCHES 30

struct rows {
    size_t n;
    double *arrival_s, *done_s, *sojourn_s; /* in request_id (arrival) order */
};

static void read_rows(const char *db_path, int64_t run_id, struct rows *r)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    size_t cap = 1 << 20;

    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT t_arrival_s, t_done_s, sojourn_s FROM requests "
                                        "WHERE run_id = ? ORDER BY request_id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, run_id);
    r->n = 0;
    r->arrival_s = malloc(cap * sizeof(double));
    r->done_s = malloc(cap * sizeof(double));
    r->sojourn_s = malloc(cap * sizeof(double));
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (r->n == cap) {
            cap *= 2;
            r->arrival_s = realloc(r->arrival_s, cap * sizeof(double));
            r->done_s = realloc(r->done_s, cap * sizeof(double));
            r->sojourn_s = realloc(r->sojourn_s, cap * sizeof(double));
        }
        r->arrival_s[r->n] = sqlite3_column_double(st, 0);
        r->done_s[r->n] = sqlite3_column_double(st, 1);
        r->sojourn_s[r->n] = sqlite3_column_double(st, 2);
        r->n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void free_rows(struct rows *r)
{
    free(r->arrival_s);
    free(r->done_s);
    free(r->sojourn_s);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Little's law over the window [t0, t1]: L from integrating N(t) (arrivals
 * +1, departures -1, clipped to the window) against lambda * W for the
 * requests that arrived in it. Returns the relative difference. */
static double little_error(const struct rows *r, double t0, double t1, double *l_out)
{
    size_t i, n_in = 0;
    double area = 0, sum_w = 0, lambda, w_mean;

    for (i = 0; i < r->n; i++) {
        double a = r->arrival_s[i], d = r->done_s[i];
        double lo = a > t0 ? a : t0, hi = d < t1 ? d : t1;

        if (hi > lo)
            area += hi - lo;
        if (a >= t0 && a < t1) {
            n_in++;
            sum_w += r->sojourn_s[i];
        }
    }
    lambda = (double)n_in / (t1 - t0);
    w_mean = sum_w / (double)n_in;
    *l_out = area / (t1 - t0);
    return fabs(*l_out - lambda * w_mean) / (lambda * w_mean);
}

static void check_queue(const char *scenario, double rho, double n_requests)
{
    struct tu_scenario sc;
    struct run_result *res = calloc(1, sizeof(*res));
    struct run_options opt = {0};
    struct core_err e;
    struct rows rows;
    char dir[] = "/tmp/coinfer-val-XXXXXX", db_path[256];
    double lambda, mu, theory_s, mean_s, hw_s, err, l, little, t0, t1, *sorted;
    long live = core_alloc_live();
    size_t i;

    core_err_clear(&e);
    assert_non_null(mkdtemp(dir));
    snprintf(db_path, sizeof(db_path), "%s/val.db", dir);
    if (tu_scenario_open(&sc, scenario, NULL, 0, &e) != CORE_OK)
        fail_msg("%s", e.msg);
    /* Set the offered load, lambda = rho * mu spread over the UEs, and the
     * duration, through the knobs as --set would. */
    mu = 1.0 / sc.a->queue.server.mean_service_s;
    lambda = rho * mu;
    {
        char rate[80], duration[80];
        const char *sets[] = {rate, duration};

        snprintf(rate, sizeof(rate), "queue/ues@rate=%.17g",
                 lambda / (double)sc.a->queue.ues.n_ues);
        snprintf(duration, sizeof(duration), "simulation@duration=%.17g",
                 n_requests / lambda + sc.a->sim.warmup_s);
        tu_scenario_close(&sc);
        if (tu_scenario_open(&sc, scenario, sets, 2, &e) != CORE_OK)
            fail_msg("%s", e.msg);
    }
    if (sc.a->queue.server.service == PROTO_SERVICE_EXPONENTIAL)
        theory_s = 1.0 / (mu - lambda);
    else
        theory_s = rho / (2.0 * mu * (1.0 - rho)) + 1.0 / mu;

    opt.db_path = db_path;
    if (run_scenario(sc.a, &opt, res, &e) != CORE_OK)
        fail_msg("run failed: %s", e.msg);
    assert_string_equal(res->status, "complete");
    read_rows(db_path, res->run_id, &rows);
    assert_int_equal(rows.n, res->n_rows);
    assert_true(rows.n > (size_t)(0.95 * n_requests));

    assert_int_equal(core_batch_means(rows.sojourn_s, rows.n, N_BATCHES, 0.95, &mean_s, &hw_s),
                     CORE_OK);
    err = (mean_s - theory_s) / theory_s;
    sorted = malloc(rows.n * sizeof(double));
    memcpy(sorted, rows.sojourn_s, rows.n * sizeof(double));
    qsort(sorted, rows.n, sizeof(double), cmp_double);

    t0 = rows.arrival_s[0] + 0.05 * (rows.arrival_s[rows.n - 1] - rows.arrival_s[0]);
    t1 = rows.arrival_s[rows.n - 1] - 0.05 * (rows.arrival_s[rows.n - 1] - rows.arrival_s[0]);
    little = little_error(&rows, t0, t1, &l);

    printf("%-30s rho=%.2f  n=%zu  mean sojourn %.5f s  95%% CI +-%.5f s (+-%.2f %%)  "
           "theory %.5f s  error %+.3f %%  median %.4f s  L=%.4f  Little's law error %.4f %%\n",
           scenario, rho, rows.n, mean_s, hw_s, 100 * hw_s / theory_s, theory_s, 100 * err,
           sorted[rows.n / 2], l, 100 * little);
    fflush(stdout);
    for (i = 1; i < rows.n; i++)
        assert_true(rows.arrival_s[i] >= rows.arrival_s[i - 1]);
    if (fabs(err) > TOLERANCE)
        fail_msg("mean sojourn %.6f s vs theory %.6f s: error %.3f %% > %.1f %%", mean_s,
                 theory_s, 100 * err, 100 * TOLERANCE);
    if (hw_s / theory_s > TOLERANCE)
        fail_msg("confidence half-width %.3f %% exceeds the tolerance: run more requests",
                 100 * hw_s / theory_s);
    if (little > 0.01)
        fail_msg("Little's law: L=%.6f vs lambda*W off by %.4f %%", l, 100 * little);

    free(sorted);
    free_rows(&rows);
    unlink(db_path);
    {
        char side[300];

        snprintf(side, sizeof(side), "%s-wal", db_path);
        unlink(side);
        snprintf(side, sizeof(side), "%s-shm", db_path);
        unlink(side);
    }
    rmdir(dir);
    tu_scenario_close(&sc);
    free(res);
    assert_int_equal(core_alloc_live(), live);
}

static void test_mm1_rho_0_5_matches_theory(void **state)
{
    (void)state;
    check_queue("scenarios/validation-mm1.xml", 0.5, 400000);
}

static void test_mm1_rho_0_8_matches_theory(void **state)
{
    (void)state;
    check_queue("scenarios/validation-mm1.xml", 0.8, 2000000);
}

static void test_md1_rho_0_5_matches_pollaczek_khinchine(void **state)
{
    (void)state;
    check_queue("scenarios/validation-md1.xml", 0.5, 200000);
}

static void test_md1_rho_0_8_matches_pollaczek_khinchine(void **state)
{
    (void)state;
    check_queue("scenarios/validation-md1.xml", 0.8, 1000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mm1_rho_0_5_matches_theory),
        cmocka_unit_test(test_mm1_rho_0_8_matches_theory),
        cmocka_unit_test(test_md1_rho_0_5_matches_pollaczek_khinchine),
        cmocka_unit_test(test_md1_rho_0_8_matches_pollaczek_khinchine),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
