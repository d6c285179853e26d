/*
 * test_sweep_run.c — a parameter study end to end through run/ (sweep.c,
 * sweep_stop.c, sweep_report.c, export.c, plot.c): a sweep of
 * scenarios/collab-small.xml (two GPU counts, local and joint, two
 * replications) run by worker processes of the coinfer binary of this
 * build records every point complete, once (a second invocation runs
 * nothing); its report gives per-point statistics and paired differences
 * against a policy; its statistics export as one tidy table and any table
 * as delimited text; its figures draw with gnuplot; sequential stopping
 * runs rounds until the target or max; a point whose run fails is marked
 * failed with the worker's exit status and stderr, and the sweep goes on;
 * each misuse (unknown table, figure, metric, factor, versus policy, output
 * extension or directory) is a usage error.
 *
 * The workers are `BUILD/coinfer run`, BUILD found from this program's own
 * path (BUILD/tests/unit/run/); without that binary the tests skip, saying
 * so. Figures need gnuplot; without it the plot test skips.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "run/run.h"
#include "sqlutil.h"

static struct core_err err;
static struct testutil_dir *dir;
static char exe[PATH_MAX + 16], cwd[PATH_MAX], sweep_db[PATH_MAX];
static char version[160]; /* exe's (`coinfer --version`): its runs record it */
static bool have_exe;

/* exe's version into version: false if it cannot tell. */
static bool read_version(void)
{
    char cmd[PATH_MAX + 32], line[160];
    FILE *p;
    bool ok;

    snprintf(cmd, sizeof(cmd), "'%s' --version", exe);
    p = popen(cmd, "r");
    if (!p)
        return false;
    ok = fgets(line, sizeof(line), p) && strncmp(line, "coinfer ", 8) == 0;
    pclose(p);
    if (ok) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(version, sizeof(version), "%s", line + 8);
    }
    return ok;
}

/* Write a sweep file dir/name of collab-small.xml with body; its path in out. */
static void write_sweep(const char *name, const char *body, char *out, size_t size)
{
    FILE *f;

    snprintf(out, size, "%s/%s", dir->dir, name);
    f = fopen(out, "w");
    assert_non_null(f);
    fprintf(f, "<sweep name=\"%s\" scenario=\"%s/scenarios/collab-small.xml\">\n%s</sweep>\n",
            name, cwd, body);
    fclose(f);
}

struct points_seen {
    uint64_t complete, failed, progress_calls;
    int last_status;
    char why[256];
};

static void on_point(void *ctx, uint64_t index, bool complete, int exit_status, const char *why)
{
    struct points_seen *p = ctx;

    (void)index;
    if (complete) {
        p->complete++;
    } else {
        p->failed++;
        p->last_status = exit_status;
        snprintf(p->why, sizeof(p->why), "%s", why ? why : "");
    }
}

static void on_progress(void *ctx, const struct run_sweep_progress *pr)
{
    struct points_seen *p = ctx;

    assert_true(pr->done + pr->failed <= pr->total);
    p->progress_calls++;
}

static enum core_rc sweep(const char *path, const char *db, struct points_seen *seen,
                          struct run_sweep_result *res)
{
    struct io_sweep *s = NULL;
    struct run_sweep_options o = {0};
    enum core_rc rc;

    assert_core_rc(io_sweep_load(path, &s, &err), CORE_OK);
    o.db_path = db;
    o.exe = exe;
    o.version = version;
    o.jobs = 2;
    o.on_point = on_point;
    o.on_point_ctx = seen;
    o.progress = on_progress;
    o.progress_ctx = seen;
    rc = run_sweep(s, &o, res, &err);
    io_sweep_destroy(s);
    return rc;
}

static const char small[] =
    "  <factor name=\"gpus\" path=\"edge/use[gpu]@count\" values=\"1, 2\"/>\n"
    "  <factor name=\"dur\" path=\"simulation@duration\" values=\"1 s\"/>\n"
    "  <policies>local joint</policies>\n"
    "  <replications count=\"2\" first-seed=\"3\"/>\n";

static int setup(void **state)
{
    char self[PATH_MAX], path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    struct points_seen seen = {0};
    struct run_sweep_result res;

    (void)state;
    core_init();
    if (n <= 0 || !getcwd(cwd, sizeof(cwd)))
        return -1;
    self[n] = '\0';
    for (int up = 0; up < 4; up++) /* BUILD/tests/unit/run/test_sweep_run */
        *strrchr(self, '/') = '\0';
    snprintf(exe, sizeof(exe), "%s/coinfer", self);
    have_exe = access(exe, X_OK) == 0;
    dir = testutil_dir_create("sweep-run", "sweep.db");
    if (!dir)
        return -1;
    snprintf(sweep_db, sizeof(sweep_db), "%s", dir->path);
    if (!have_exe)
        return 0;
    if (!read_version()) {
        fprintf(stderr, "%s --version did not say its version\n", exe);
        return -1;
    }
    write_sweep("small", small, path, sizeof(path));
    if (sweep(path, sweep_db, &seen, &res) != CORE_OK || res.run != 8 || seen.complete != 8) {
        fprintf(stderr, "the sweep failed: %s (%llu run)\n", err.msg,
                (unsigned long long)res.run);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testutil_dir_destroy(dir);
    return 0;
}

#define NEED_EXE()                                                                                 \
    do {                                                                                           \
        if (!have_exe) {                                                                           \
            print_message("SKIP: no coinfer binary at %s for the sweep's workers\n", exe);        \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* What fn wrote to a memory stream, and its return code. */
static char *capture(enum core_rc (*fn)(void *ctx, FILE *out), void *ctx, enum core_rc *rc)
{
    char *text = NULL;
    size_t size;
    FILE *out = open_memstream(&text, &size);

    assert_non_null(out);
    *rc = fn(ctx, out);
    fclose(out);
    return text;
}

static size_t lines_of(const char *text)
{
    size_t n = 0;

    for (; *text; text++)
        n += *text == '\n';
    return n;
}

/* Records of a table export whose first column is a run_id: lines that
 * start with a digit and a comma (a quoted field may span lines). */
static size_t run_records(const char *text)
{
    size_t n = 0;

    for (const char *l = text; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        size_t k = strspn(l, "0123456789");

        n += k > 0 && l[k] == ',';
    }
    return n;
}

static void test_a_sweep_records_every_point_once(void **state)
{
    char path[PATH_MAX];
    struct points_seen seen = {0};
    struct run_sweep_result res;
    sqlite3 *c;

    (void)state;
    NEED_EXE();
    c = raw_open(sweep_db);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM sweep_points WHERE status = 'complete'"),
                     8);
    assert_int_equal(raw_int(c, "SELECT count(DISTINCT run_id) FROM sweep_points"), 8);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM runs WHERE status = 'complete'"), 8);
    sqlite3_close(c);
    write_sweep("small", small, path, sizeof(path));
    assert_core_rc(sweep(path, sweep_db, &seen, &res), CORE_OK);
    assert_int_equal(res.points, 8);
    assert_int_equal(res.complete_before, 8);
    assert_int_equal(res.run, 0);
    assert_int_equal(seen.complete, 0);
}

static enum core_rc report_plain(void *ctx, FILE *out)
{
    return run_report_sweep(sweep_db, ctx, out, &err);
}

static void test_the_sweep_report_gives_points_and_paired_differences(void **state)
{
    enum core_rc rc;
    char *text;

    (void)state;
    NEED_EXE();
    text = capture(report_plain, NULL, &rc);
    assert_core_rc(rc, CORE_OK);
    assert_non_null(strstr(text, "mean_latency_s"));
    assert_non_null(strstr(text, "gpus"));
    free(text);
    text = capture(report_plain, "local", &rc);
    assert_core_rc(rc, CORE_OK);
    assert_non_null(strstr(text, "joint"));
    assert_non_null(strstr(text, "local"));
    free(text);
    text = capture(report_plain, "oracle", &rc);
    assert_core_rc(rc, CORE_E_USAGE);
    assert_non_null(strstr(err.msg, "oracle"));
    free(text);
}

struct export_args {
    const char *table;
    int64_t run_id;
    char sep;
};

static enum core_rc export_table(void *ctx, FILE *out)
{
    const struct export_args *a = ctx;

    return run_export_table(sweep_db, a->table, a->run_id, a->sep, out, &err);
}

static enum core_rc export_sweep(void *ctx, FILE *out)
{
    return run_export_sweep(ctx, ',', out, &err);
}

static void test_tables_and_sweep_statistics_export_as_delimited_text(void **state)
{
    struct export_args a = {"runs", 0, ','};
    enum core_rc rc;
    char *text;

    (void)state;
    NEED_EXE();
    text = capture(export_table, &a, &rc);
    assert_core_rc(rc, CORE_OK);
    assert_int_equal(run_records(text), 8);
    assert_int_equal(strncmp(text, "run_id,", 7), 0);
    free(text);
    a = (struct export_args){"inferences", 2, '\t'};
    text = capture(export_table, &a, &rc);
    assert_core_rc(rc, CORE_OK);
    assert_non_null(strchr(text, '\t'));
    assert_true(lines_of(text) > 1);
    free(text);
    a = (struct export_args){"no_such_table", 0, ','};
    text = capture(export_table, &a, &rc);
    assert_core_rc(rc, CORE_E_USAGE);
    assert_non_null(strstr(err.msg, "inferences"));
    free(text);
    a = (struct export_args){"configs", 3, ','};
    text = capture(export_table, &a, &rc);
    assert_core_rc(rc, CORE_E_USAGE);
    free(text);

    text = capture(export_sweep, sweep_db, &rc);
    assert_core_rc(rc, CORE_OK);
    assert_int_equal(strncmp(text, "sweep,gpus,dur,policy,metric,n,mean,sd,", 39), 0);
    assert_non_null(strstr(text, "small,1,1,joint,mean_latency_s,2,"));
    free(text);
    {
        char empty[PATH_MAX];
        struct db *db;

        snprintf(empty, sizeof(empty), "%s/empty.db", dir->dir);
        db = db_open(empty, &err);
        assert_non_null(db);
        db_close(db);
        text = capture(export_sweep, empty, &rc);
        assert_core_rc(rc, CORE_E_INPUT);
        free(text);
    }
}

static void plot(const char *figure, const char *x, const char *metric, const char *out,
                 enum core_rc want)
{
    struct run_plot_options o = {.figure = figure, .out = out, .x = x, .metric = metric};
    struct stat sb;

    assert_core_rc(run_plot(sweep_db, &o, &err), want);
    if (want == CORE_OK) {
        assert_int_equal(stat(out, &sb), 0);
        assert_true(sb.st_size > 100);
    }
}

static void test_every_figure_draws_and_misuse_is_a_usage_error(void **state)
{
    char out[PATH_MAX];

    (void)state;
    NEED_EXE();
    if (access("/usr/bin/gnuplot", X_OK) != 0) {
        print_message("SKIP: gnuplot is not installed\n");
        skip();
    }
    assert_int_equal(run_plot_figure_of("latency-cdf"), RUN_FIGURE_LATENCY_CDF);
    assert_int_equal(run_plot_figure_of("pie"), RUN_FIGURE_COUNT);
    for (int f = 0; f < RUN_FIGURE_COUNT; f++) {
        snprintf(out, sizeof(out), "%s/%s.svg", dir->dir, run_plot_figures[f]);
        /* A sweep's database has no training to draw learning curves of. */
        plot(run_plot_figures[f], NULL, NULL, out,
             f == RUN_FIGURE_TRAINING ? CORE_E_INPUT : CORE_OK);
    }
    assert_non_null(strstr(err.msg, "no training to plot"));
    snprintf(out, sizeof(out), "%s/energy.svg", dir->dir);
    plot("sweep", "gpus", "mean_ue_energy_j", out, CORE_OK);
    snprintf(out, sizeof(out), "%s/x.png", dir->dir);
    plot("sweep", NULL, "p95_latency_s", out, CORE_OK);
    plot("pie", NULL, NULL, out, CORE_E_USAGE);
    plot("sweep", "nofactor", NULL, out, CORE_E_USAGE);
    plot("sweep", NULL, "nometric", out, CORE_E_USAGE);
    snprintf(out, sizeof(out), "%s/x.bmp", dir->dir);
    plot("sweep", NULL, NULL, out, CORE_E_USAGE);
    snprintf(out, sizeof(out), "%s/none/x.svg", dir->dir);
    plot("sweep", NULL, NULL, out, CORE_E_USAGE);
}

static void test_sequential_stopping_runs_until_the_target_or_max(void **state)
{
    char path[PATH_MAX], db[PATH_MAX];
    struct points_seen seen = {0};
    struct run_sweep_result res;
    sqlite3 *c;

    (void)state;
    NEED_EXE();
    write_sweep("stop",
                "  <factor name=\"dur\" path=\"simulation@duration\" values=\"1 s\"/>\n"
                "  <policies>local</policies>\n"
                "  <replications min=\"2\" max=\"3\" metric=\"mean_latency_s\" "
                "rel-half-width=\"1e-9\" first-seed=\"1\"/>\n",
                path, sizeof(path));
    snprintf(db, sizeof(db), "%s/stop.db", dir->dir);
    assert_core_rc(sweep(path, db, &seen, &res), CORE_OK);
    /* no combination gets within 1e-9 of its mean: it runs to max */
    assert_int_equal(res.at_max, 1);
    assert_int_equal(res.within_target, 0);
    c = raw_open(db);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM sweep_points WHERE status = 'complete'"), 3);
    sqlite3_close(c);
    write_sweep("loose",
                "  <factor name=\"dur\" path=\"simulation@duration\" values=\"1 s\"/>\n"
                "  <policies>local</policies>\n"
                "  <replications min=\"2\" max=\"5\" metric=\"mean_latency_s\" "
                "rel-half-width=\"1e6\" first-seed=\"1\"/>\n",
                path, sizeof(path));
    snprintf(db, sizeof(db), "%s/loose.db", dir->dir);
    memset(&seen, 0, sizeof(seen));
    assert_core_rc(sweep(path, db, &seen, &res), CORE_OK);
    /* any interval is within a million times its mean: min replications only */
    assert_int_equal(res.within_target, 1);
    assert_int_equal(seen.complete, 2);
}

static void test_a_failing_point_is_marked_failed_and_the_sweep_goes_on(void **state)
{
    char path[PATH_MAX], db[PATH_MAX], model[PATH_MAX], body[PATH_MAX + 256];
    struct points_seen seen = {0};
    struct run_sweep_result res;
    FILE *f;
    sqlite3 *c;

    (void)state;
    NEED_EXE();
    snprintf(model, sizeof(model), "%s/lenet5.xml", dir->dir);
    f = fopen(model, "w");
    assert_non_null(f);
    fputs("not a model\n", f);
    fclose(f);
    snprintf(body, sizeof(body),
             "  <factor name=\"dur\" path=\"simulation@duration\" values=\"1 s, 2 s\"/>\n"
             "  <factor name=\"lenet\" path=\"model[lenet5]@file\" values=\"%s\"/>\n",
             model);
    write_sweep("fail", body, path, sizeof(path));
    snprintf(db, sizeof(db), "%s/fail.db", dir->dir);
    /* the sweep itself succeeds; its result counts the failed points */
    assert_core_rc(sweep(path, db, &seen, &res), CORE_OK);
    assert_int_equal(res.run, 0);
    assert_int_equal(res.failed, 2);
    assert_int_equal(seen.failed, 2);
    assert_int_equal(seen.last_status, 2);
    assert_non_null(strstr(seen.why, "not well-formed XML"));
    c = raw_open(db);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM sweep_points WHERE status = 'failed' "
                                "AND exit_status = 2"),
                     2);
    sqlite3_close(c);
    assert_true(seen.progress_calls > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_a_sweep_records_every_point_once),
        TEST(test_the_sweep_report_gives_points_and_paired_differences),
        TEST(test_tables_and_sweep_statistics_export_as_delimited_text),
        TEST(test_every_figure_draws_and_misuse_is_a_usage_error),
        TEST(test_sequential_stopping_runs_until_the_target_or_max),
        TEST(test_a_failing_point_is_marked_failed_and_the_sweep_goes_on),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
