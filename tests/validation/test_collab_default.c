/*
 * test_collab_default.c — the project's claim on scenarios/default.xml:
 * deciding the split point together with the compute resource of every
 * layer on both sides (joint, the method) beats deciding the split point alone on
 * fixed default resources (split, Neurosurgeon-style).
 *
 * Both policies run the default scenario (300 s, 20 phones of two classes,
 * one cell with its edge node) on the same seed, so they see the same
 * requests and the same channels. The goal is a mean latency at
 * least 20 % lower with joint; the figure is printed, per model and
 * overall. The scenario's devices come from published specifications (see
 * the file) and were not tuned for this test.
 */
#include <math.h>
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

#define GOAL_GAIN 0.20 /* the goal: joint at least 20 % below split */

#define MAX_MODELS 8 /* models of default.xml, with room */

struct per_model {
    double sum_s[MAX_MODELS]; /* latency sums, s */
    uint64_t n[MAX_MODELS];   /* inferences */
    struct run_summary all;   /* every inference */
};

static void on_rows(void *ctx, const struct proto_outcome *rows, size_t n)
{
    struct per_model *pm = ctx;

    for (size_t i = 0; i < n; i++) {
        assert_true(rows[i].model < MAX_MODELS);
        pm->sum_s[rows[i].model] += rows[i].latency_s;
        pm->n[rows[i].model]++;
    }
    assert_int_equal(run_summary_add(&pm->all, rows, n, NULL), CORE_OK);
}

static void run_policy(const struct run_assembly *a, const char *policy, const char *db,
                       struct per_model *pm)
{
    struct run_options opt = {0};
    struct run_result res;
    struct core_err e;

    memset(pm, 0, sizeof(*pm));
    run_summary_init(&pm->all, policy, 0);
    opt.db_path = db;
    opt.policy = policy;
    opt.observer.outcomes = on_rows;
    opt.observer.ctx = pm;
    opt.version = "test";
    if (run_scenario(a, &opt, &res, &e) != CORE_OK)
        fail_msg("%s: %s", policy, e.msg);
    assert_true(res.n_rows > 10000);
    run_summary_finish(&pm->all);
}

static void test_collab_default_joint_beats_split_by_the_goal(void **state)
{
    struct tu_scenario sc;
    struct testutil_dir *d = testutil_dir_create("collab-default", "v.db");
    const struct proto_world_config *cfg;
    struct per_model split, joint;
    double gain;

    (void)state;
    assert_int_equal(tu_scenario_open(&sc, "scenarios/default.xml", NULL, 0, NULL), CORE_OK);
    cfg = &sc.a->collab;
    run_policy(sc.a, "split", d->path, &split);
    run_policy(sc.a, "joint", d->path, &joint);
    for (size_t m = 0; m < cfg->n_models; m++) {
        double s = split.sum_s[m] / (double)split.n[m], o = joint.sum_s[m] / (double)joint.n[m];

        assert_int_equal(split.n[m], joint.n[m]); /* the same requests */
        printf("%-12s %6llu inferences: split %.3f ms, joint %.3f ms (%+.1f %%)\n",
               cfg->models[m].name, (unsigned long long)split.n[m], 1e3 * s, 1e3 * o,
               100.0 * (o - s) / s);
    }
    gain = 1.0 - joint.all.mean_latency_s / split.all.mean_latency_s;
    printf("mean latency: split %.3f ms, joint %.3f ms: joint is %.1f %% lower "
           "(goal >= %.0f %%); p95 %.3f vs %.3f ms; deadlines met %.4f vs %.4f\n",
           1e3 * split.all.mean_latency_s, 1e3 * joint.all.mean_latency_s, 100.0 * gain,
           100.0 * GOAL_GAIN, 1e3 * split.all.p95_latency_s, 1e3 * joint.all.p95_latency_s,
           split.all.deadline_ratio, joint.all.deadline_ratio);
    assert_true(gain >= GOAL_GAIN);
    run_summary_fini(&split.all);
    run_summary_fini(&joint.all);
    tu_scenario_close(&sc);
    testutil_dir_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_collab_default_joint_beats_split_by_the_goal),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
