/*
 * test_train_regret.c — `coinfer train` and `coinfer regret` on real
 * samples (train.c, regret.c, samples.c' parser): a short run of
 * scenarios/collab-small.xml under exploration, with local, joint and
 * split-default on two seeds, fills a results database. Training reads
 * every sample of it (and of two databases, twice as many), records itself
 * complete with its progress, writes an agent file that reads back with the
 * scenario's two problems, and gives the same file for the same seed.
 * Regret scores the reference 100 with no regret and exact matches, the
 * baseline 0, a group without the reference is skipped, and the seeds'
 * means follow. Each way a database can be unfit is a clear error: no
 * samples, a state, an action or a reward that is not what its encoding
 * says, a configuration that no longer assembles, a sample of a model the
 * configuration does not run; a missing reference or baseline; and the
 * regret report fails cleanly at every allocation. The same database's
 * report breaks runs down by model and by device and lists the --set
 * overrides; a run's recorded configuration prints as a scenario that
 * loads, and a run that does not exist is bad input.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "run/run.h"
#include "scenarioutil.h"
#include "sqlutil.h"

#define SCENARIO "scenarios/collab-small.xml"

static struct core_err err;
static struct testutil_dir *dir;
static char samples_db[160], samples2_db[160], agent_path[160], agent2_path[160];

/* Run SCENARIO with policy and seed into db, exploring. */
static void run_into(const char *db, const char *policy, const char *seed)
{
    char seed_set[64];
    const char *sets[] = {"simulation@duration=4 s", "exploration@split=0.3",
                          "exploration@option=0.2", seed_set};
    struct tu_scenario sc;
    struct run_options opt = {0};
    struct run_result res;

    snprintf(seed_set, sizeof(seed_set), "simulation@seed=%s", seed);
    assert_core_rc(tu_scenario_open(&sc, SCENARIO, sets, 4, &err), CORE_OK);
    opt.db_path = db;
    opt.policy = policy;
    opt.version = "test";
    assert_core_rc(run_scenario(sc.a, &opt, &res, &err), CORE_OK);
    assert_string_equal(res.status, "complete");
    assert_true(res.n_rows > 0);
    tu_scenario_close(&sc);
}

static int setup(void **state)
{
    (void)state;
    core_init();
    dir = testutil_dir_create("train-regret", "s.db");
    if (!dir)
        return -1;
    snprintf(samples_db, sizeof(samples_db), "%s", dir->path);
    snprintf(samples2_db, sizeof(samples2_db), "%s/s2.db", dir->dir);
    snprintf(agent_path, sizeof(agent_path), "%s/a.agent", dir->dir);
    snprintf(agent2_path, sizeof(agent2_path), "%s/a2.agent", dir->dir);
    run_into(samples_db, "local", "7");
    run_into(samples_db, "joint", "7");
    run_into(samples_db, "split-default", "7");
    run_into(samples_db, "local", "8");
    run_into(samples_db, "joint", "8");
    run_into(samples_db, "split-default", "8");
    run_into(samples_db, "joint", "9"); /* a seed without the baseline */
    run_into(samples2_db, "joint", "11");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testutil_dir_destroy(dir);
    return 0;
}

/* A copy of the samples database at dir/name with sql applied; its path in out. */
static void broken_copy(const char *name, const char *sql, char *out, size_t size)
{
    sqlite3 *c = raw_open(samples_db);
    char vac[256];

    snprintf(out, size, "%s/%s", dir->dir, name);
    unlink(out);
    snprintf(vac, sizeof(vac), "VACUUM INTO '%s'", out);
    raw_exec(c, vac);
    sqlite3_close(c);
    c = raw_open(out);
    raw_exec(c, sql);
    sqlite3_close(c);
}

struct progress_seen {
    size_t calls;
    uint64_t last_step, total;
};

static void on_progress(void *ctx, const struct policy_train_step *s, uint64_t total)
{
    struct progress_seen *p = ctx;

    p->calls++;
    p->last_step = s->step;
    p->total = total;
}

static struct run_train_options train_options(const char *const *sources, size_t n,
                                              const char *out)
{
    struct run_train_options o = {0};

    o.sources = sources;
    o.n_sources = n;
    o.out_path = out;
    o.cfg = (struct policy_train_config){.seed = 3, .steps = 20, .batch = 16,
                                         .learning_rate = 1e-2, .hidden = 8, .depth = 1,
                                         .conservative = 0.1, .holdout = 0.2, .threads = 1};
    o.every = 5;
    o.version = "test";
    return o;
}

static bool same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa && fb;
    int ca, cb;

    while (same) {
        ca = fgetc(fa);
        cb = fgetc(fb);
        same = ca == cb;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static void test_training_reads_every_sample_and_records_itself(void **state)
{
    const char *sources[] = {samples_db};
    struct run_train_options o = train_options(sources, 1, agent_path);
    struct run_train_result res;
    struct progress_seen seen = {0};
    struct policy_agent *a = NULL;
    sqlite3 *c;
    char status[32];
    int64_t n_samples;

    (void)state;
    o.progress = on_progress;
    o.progress_ctx = &seen;
    assert_core_rc(run_train(&o, &res, &err), CORE_OK);
    c = raw_open(samples_db);
    n_samples = raw_int(c, "SELECT count(*) FROM sample_rows");
    assert_true(n_samples > 100);
    assert_int_equal(res.samples, n_samples);
    assert_int_equal(res.problems, 2); /* lenet5 and resnet18 on the phone */
    assert_int_equal(res.last.step, 20);
    assert_int_equal(seen.calls, 4);
    assert_int_equal(seen.last_step, 20);
    assert_int_equal(seen.total, 20);
    raw_text(c, "SELECT status FROM trainings WHERE train_id = (SELECT max(train_id) FROM "
                "trainings)", status, sizeof(status));
    assert_string_equal(status, "complete");
    assert_int_equal(raw_int(c, "SELECT count(*) FROM training_steps WHERE train_id = "
                                "(SELECT max(train_id) FROM trainings)"),
                     4);
    assert_int_equal(raw_int(c, "SELECT samples FROM trainings WHERE train_id = "
                                "(SELECT max(train_id) FROM trainings)"),
                     n_samples);
    sqlite3_close(c);
    assert_core_rc(io_agent_read(agent_path, &a, &err), CORE_OK);
    assert_int_equal(policy_agent_n_problems(a), 2);
    assert_true(policy_agent_find(a, "lenet5", "phone") >= 0);
    assert_true(policy_agent_find(a, "resnet18", "phone") >= 0);
    policy_agent_destroy(a);
    /* the same seed gives the same agent file */
    o.progress = NULL;
    o.out_path = agent2_path;
    assert_core_rc(run_train(&o, &res, &err), CORE_OK);
    assert_true(same_file(agent_path, agent2_path));
}

static void test_training_on_two_databases_reads_both(void **state)
{
    const char *one[] = {samples_db}, *two[] = {samples_db, samples2_db};
    struct run_train_options o = train_options(one, 1, agent2_path);
    struct run_train_result r1, r2;
    sqlite3 *c;
    char sources[512], want[512];

    (void)state;
    assert_core_rc(run_train(&o, &r1, &err), CORE_OK);
    o = train_options(two, 2, agent2_path);
    o.db_path = samples2_db; /* recorded in the second database */
    assert_core_rc(run_train(&o, &r2, &err), CORE_OK);
    c = raw_open(samples2_db);
    assert_int_equal(r2.samples, r1.samples + (uint64_t)raw_int(c, "SELECT count(*) FROM "
                                                                   "sample_rows"));
    assert_int_equal(r2.problems, 2);
    raw_text(c, "SELECT sources FROM trainings", sources, sizeof(sources));
    snprintf(want, sizeof(want), "%s\n%s", samples_db, samples2_db);
    assert_string_equal(sources, want);
    sqlite3_close(c);
}

/* run_train on a copy broken by sql is bad input saying want. */
static void train_refuses(const char *name, const char *sql, const char *want)
{
    char path[200];
    const char *sources[] = {path};
    struct run_train_options o;
    struct run_train_result res;

    broken_copy(name, sql, path, sizeof(path));
    o = train_options(sources, 1, agent2_path);
    assert_core_rc(run_train(&o, &res, &err), CORE_E_INPUT);
    if (!strstr(err.msg, want) || !strstr(err.msg, path))
        fail_msg("message '%s' lacks '%s' or the database's path", err.msg, want);
}

static void test_training_refuses_an_unfit_database_saying_why(void **state)
{
    (void)state;
    train_refuses("none.db", "DELETE FROM sample_rows", "no training samples");
    train_refuses("state.db", "UPDATE sample_rows SET state = 'x,' || state WHERE rowid = 5",
                  "whose state, action or reward is not what its encoding says");
    train_refuses("short.db", "UPDATE sample_rows SET state = '1,2' WHERE rowid = 5",
                  "whose state, action or reward is not what its encoding says");
    train_refuses("nan.db", "UPDATE sample_rows SET state = replace(state, '0,', 'nan,') "
                            "WHERE rowid = 5",
                  "not what its encoding says");
    train_refuses("frac.db", "UPDATE sample_rows SET action = '0.5' || substr(action, 2) "
                             "WHERE rowid = 5",
                  "not what its encoding says");
    train_refuses("reward.db", "UPDATE sample_rows SET reward = 1e999 WHERE rowid = 5",
                  "not what its encoding says");
    train_refuses("action.db", "UPDATE sample_rows SET action = '99' || substr(action, 2) "
                               "WHERE rowid = 5",
                  "a sample of model");
    train_refuses("model.db", "UPDATE sample_rows SET model = 'vgg16' WHERE rowid = 5",
                  "a sample of model 'vgg16' on device class 'phone', which its configuration "
                  "does not run");
    train_refuses("config.db", "UPDATE configs SET config = replace(config, 'lenet5.xml', "
                               "'nowhere.xml')",
                  "its recorded configuration does not assemble");
}

static void test_training_from_a_missing_database_fails(void **state)
{
    char path[200];
    const char *sources[] = {path};
    struct run_train_options o = train_options(sources, 1, agent2_path);
    struct run_train_result res;

    (void)state;
    snprintf(path, sizeof(path), "%s/none/x.db", dir->dir);
    assert_int_not_equal(run_train(&o, &res, &err), CORE_OK);
    assert_non_null(strstr(err.msg, path));
    assert_int_equal(res.samples, 0);
}

/* run_report_regret's output and return code. */
static enum core_rc regret(const char *path, const char *ref, const char *base, char **text)
{
    size_t size;
    FILE *out = open_memstream(text, &size);
    enum core_rc rc;

    assert_non_null(out);
    rc = run_report_regret(path, ref, base, out, &err);
    fclose(out);
    return rc;
}

/* The figures of policy's row for seed in regret output text. */
static void row_of(const char *text, const char *seed, const char *policy, double *mean_j,
                   double *score, double *mean_regret, double *plan)
{
    const char *line = text;
    char s[32], p[32];
    double n, p95, split, layer;

    for (; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (sscanf(line, "%31s %31s %lf %lf %lf %lf %lf %lf %lf %lf", s, p, &n, mean_j, score,
                   mean_regret, &p95, plan, &split, &layer) == 10 &&
            strcmp(s, seed) == 0 && strcmp(p, policy) == 0)
            return;
    fail_msg("no row for %s, seed %s in:\n%s", policy, seed, text);
}

static void test_regret_scores_reference_and_baseline_and_their_means(void **state)
{
    char *text = NULL;
    double j_ref, j, score, mean_regret, plan;

    (void)state;
    assert_core_rc(regret(samples_db, "joint", "local", &text), CORE_OK);
    row_of(text, "7", "joint", &j_ref, &score, &mean_regret, &plan);
    assert_near(score, 100, 1e-9);
    assert_near(mean_regret, 0, 1e-12);
    assert_near(plan, 1, 1e-12);
    row_of(text, "7", "local", &j, &score, &mean_regret, &plan);
    assert_near(score, 0, 1e-9);
    /* the regret is paired over the same inferences as the means */
    assert_near(mean_regret, j - j_ref, 1e-5 * fabs(j_ref));
    row_of(text, "8", "split-default", &j, &score, &mean_regret, &plan);
    assert_true(plan >= 0 && plan <= 1);
    assert_non_null(strstr(text, "(no local run of this configuration and seed: skipped)"));
    assert_non_null(strstr(text, "over 2 configurations and seeds"));
    assert_non_null(strstr(text, "mean_regret"));
    free(text);
}

static void test_regret_without_the_reference_or_baseline_is_bad_input(void **state)
{
    char *text = NULL;

    (void)state;
    assert_core_rc(regret(samples_db, "oracle", "local", &text), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "no configuration and seed with both a oracle and a local"));
    assert_non_null(strstr(text, "(no oracle run of this configuration and seed: skipped)"));
    free(text);
    assert_core_rc(regret(samples2_db, "joint", "local", &text), CORE_E_INPUT);
    free(text);
}

static void test_regret_refuses_an_action_that_is_not_its_encoding(void **state)
{
    char path[200], *text = NULL;

    (void)state;
    broken_copy("regret.db", "UPDATE sample_rows SET action = 'a' || action WHERE rowid = 7",
                path, sizeof(path));
    assert_core_rc(regret(path, "joint", "local", &text), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "an action that is not what its encoding says"));
    free(text);
}

static void test_regret_fails_cleanly_at_every_allocation(void **state)
{
    unsigned long k;

    (void)state;
    for (k = 1; k < 100000; k++) {
        long live = core_alloc_live();
        char *text = NULL;
        enum core_rc rc;

        core_alloc_fail_after(k);
        rc = regret(samples_db, "joint", "local", &text);
        core_alloc_fail_after(0);
        free(text);
        if (rc == CORE_OK)
            break;
        if (rc != CORE_E_NOMEM)
            fail_msg("allocation %lu failing: %s (%s)", k, core_rc_name(rc), err.msg);
        assert_int_equal(core_alloc_live(), live);
    }
    print_message("run_report_regret: %lu allocations walked\n", k - 1);
    assert_true(k > 10);
}

struct report_args {
    enum run_report_by by;
    int64_t run_id;
};

static enum core_rc report(void *ctx, FILE *out)
{
    const struct report_args *a = ctx;

    return run_report(samples_db, a->by, out, &err);
}

static enum core_rc report_config(void *ctx, FILE *out)
{
    const struct report_args *a = ctx;

    return run_report_config(samples_db, a->run_id, out, &err);
}

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

static void test_reports_break_runs_down_by_model_and_device_and_list_overrides(void **state)
{
    struct report_args a = {RUN_REPORT_BY_RUN, 0};
    enum core_rc rc;
    char *text;

    (void)state;
    text = capture(report, &a, &rc);
    assert_core_rc(rc, CORE_OK);
    assert_non_null(strstr(text, "overrides (knobs --set changed from the scenario file):"));
    assert_non_null(strstr(text, "  run 1: simulation@duration=4 s"));
    assert_non_null(strstr(text, "  run 7: simulation@seed=9"));
    free(text);
    a.by = RUN_REPORT_BY_MODEL;
    text = capture(report, &a, &rc);
    assert_core_rc(rc, CORE_OK);
    assert_non_null(strstr(text, "lenet5"));
    assert_non_null(strstr(text, "resnet18"));
    free(text);
    a.by = RUN_REPORT_BY_DEVICE;
    text = capture(report, &a, &rc);
    assert_core_rc(rc, CORE_OK);
    assert_non_null(strstr(text, "phone"));
    free(text);
}

static void test_a_runs_configuration_prints_as_a_scenario_that_loads(void **state)
{
    struct report_args a = {RUN_REPORT_BY_RUN, 2};
    struct io_config *cfg = NULL;
    enum core_rc rc;
    char *text, path[200];
    FILE *f;

    (void)state;
    text = capture(report_config, &a, &rc);
    assert_core_rc(rc, CORE_OK);
    assert_non_null(strstr(text, "<scenario name=\"collab-small\""));
    snprintf(path, sizeof(path), "%s/config.xml", dir->dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_core_rc(io_scenario_load(path, NULL, 0, &cfg, &err), CORE_OK);
    assert_string_equal(io_config_name(cfg), "collab-small");
    io_config_destroy(cfg);
    free(text);
    a.run_id = 999;
    text = capture(report_config, &a, &rc);
    assert_core_rc(rc, CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "999"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_training_reads_every_sample_and_records_itself),
        TEST(test_training_on_two_databases_reads_both),
        TEST(test_training_refuses_an_unfit_database_saying_why),
        TEST(test_training_from_a_missing_database_fails),
        TEST(test_regret_scores_reference_and_baseline_and_their_means),
        TEST(test_regret_without_the_reference_or_baseline_is_bad_input),
        TEST(test_regret_refuses_an_action_that_is_not_its_encoding),
        TEST(test_regret_fails_cleanly_at_every_allocation),
        TEST(test_reports_break_runs_down_by_model_and_device_and_list_overrides),
        TEST(test_a_runs_configuration_prints_as_a_scenario_that_loads),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
