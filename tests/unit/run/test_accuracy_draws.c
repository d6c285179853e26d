/*
 * test_accuracy_draws.c — each inference's correctness in costed mode
 * (proto's draw on CORE_RNG_CORRECT, run_accuracy_attach's accuracy data):
 * on scenarios/accuracy-lenet5.xml every finished inference has it; the number
 * right under each policy is the sum of its plans' measured accuracies
 * within a binomial interval, fp32 (91.92 %) and a forced lossy encoding
 * alike (top-25 % of the input: 75.14 %); the draw is common across
 * policies (policies whose plans have the same accuracy are right on the
 * same inferences, a plan of lower accuracy only where one of higher
 * accuracy is); in real mode (Fashion-MNIST test images through the
 * encoded split) the rate right is the measured accuracy too; and a model
 * without accuracy data leaves every outcome's correctness unknown.
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

#define SCENARIO "scenarios/accuracy-lenet5.xml"
#define MAX_INF 40000

static struct core_err err;

/* What a run's outcomes said, by inference_id. */
struct draws {
    int8_t correct[MAX_INF];  /* -2: not finished; -1: unknown; 0 / 1 */
    double accuracy[MAX_INF]; /* its plan's expected accuracy */
    size_t n_finished;        /* finished outcomes */
    size_t n_unknown;         /* of those, correctness unknown */
    size_t n_split_encoded;   /* of those, split with an encoding: both sides compute */
    double right, expected, var; /* sums: right, accuracies, a (1 - a) */
};

static void on_outcomes(void *ctx, const struct proto_outcome *rows, size_t n)
{
    struct draws *d = ctx;

    for (size_t i = 0; i < n; i++) {
        const struct proto_outcome *o = &rows[i];
        double a;

        if (!o->finished || o->inference_id >= MAX_INF)
            continue;
        a = compute_plan_accuracy(o->problem, &o->plan);
        d->n_finished++;
        d->n_split_encoded +=
            o->plan.n_ue > 0 && o->plan.n_ue < o->plan.n_layers && o->plan.encoding != 0;
        d->correct[o->inference_id] = (int8_t)o->correct;
        d->accuracy[o->inference_id] = a;
        if (o->correct < 0) {
            d->n_unknown++;
            continue;
        }
        d->right += o->correct;
        d->expected += a;
        d->var += a * (1 - a);
    }
}

/* Run path under policy with the overrides sets into a fresh *d. */
static void run(const char *path, const char *policy, const char *const *sets, size_t n_sets,
                struct draws *d)
{
    struct testutil_dir *dir = testutil_dir_create("accuracy-draws", "r.db");
    struct tu_scenario sc;
    struct run_options opt = {0};
    struct run_result res;

    memset(d, 0, sizeof(*d));
    memset(d->correct, -2, sizeof(d->correct));
    assert_core_rc(tu_scenario_open(&sc, path, sets, n_sets, &err), CORE_OK);
    opt.db_path = dir->path;
    opt.policy = policy;
    opt.observer = (struct run_observer){.outcomes = on_outcomes, .ctx = d};
    assert_core_rc(run_scenario(sc.a, &opt, &res, &err), CORE_OK);
    assert_string_equal(res.status, "complete");
    tu_scenario_close(&sc);
    testutil_dir_destroy(dir);
}

/* The count right is its expectation within 4 binomial standard deviations. */
static void assert_rate(const struct draws *d, const char *what)
{
    double sd = sqrt(d->var);

    if (!(d->n_finished > 1000 && fabs(d->right - d->expected) <= 4 * sd)) {
        print_error("%s: %.0f right of %zu, expected %.1f +- 4 x %.2f\n", what, d->right,
                    d->n_finished, d->expected, sd);
        fail();
    }
}

static const char *const sets[] = {"simulation@duration=120 s"};
static const char *const topk_sets[] = {"simulation@duration=120 s",
                                        "model[lenet5-fmnist]@encoding=topk:0.25"};

static void test_the_rate_right_is_the_measured_accuracy(void **state)
{
    static struct draws split, edge_topk;

    (void)state;
    run(SCENARIO, "split", sets, 1, &split);
    assert_int_equal(split.n_unknown, 0);
    assert_near(split.expected / (double)split.n_finished, 0.9192, 1e-12);
    assert_rate(&split, "split, fp32");
    /* a lossy encoding forced on edge: the raw image's top 25 %, 75.14 % */
    run(SCENARIO, "edge", topk_sets, 2, &edge_topk);
    assert_int_equal(edge_topk.n_unknown, 0);
    assert_near(edge_topk.expected / (double)edge_topk.n_finished, 0.7514, 1e-12);
    assert_rate(&edge_topk, "edge, topk:0.25");
}

static void test_the_draw_is_common_across_policies(void **state)
{
    static struct draws local, split, joint;
    size_t same = 0, lower = 0;

    (void)state;
    run(SCENARIO, "local", sets, 1, &local);
    run(SCENARIO, "split", sets, 1, &split);
    run(SCENARIO, "joint", sets, 1, &joint);
    assert_rate(&joint, "joint");
    for (size_t i = 0; i < MAX_INF; i++) {
        if (split.correct[i] < 0)
            continue;
        if (local.correct[i] >= 0) {
            assert_true(local.accuracy[i] == split.accuracy[i]); /* both fp32 */
            assert_int_equal(local.correct[i], split.correct[i]);
            same++;
        }
        if (joint.correct[i] >= 0 && joint.accuracy[i] < split.accuracy[i]) {
            assert_false(joint.correct[i] == 1 && split.correct[i] == 0);
            lower++;
        }
    }
    /* the comparisons happened: most inferences finished under both, and
     * joint's int4 plans are of lower accuracy */
    assert_true(same > 2000);
    assert_true(lower > 2000);
}

static void test_real_mode_is_right_at_the_measured_rate(void **state)
{
    static struct draws d;
    static const char *const real[] = {"simulation@duration=60 s", "inference@mode=real"};
    static const char *const real_split[] = {"simulation@duration=60 s", "inference@mode=real",
                                             "model[lenet5-fmnist]@encoding=int8",
                                             "objective@accuracy-weight=1000"};

    (void)state;
    run(SCENARIO, "joint", real, 2, &d); /* the int4 image */
    assert_int_equal(d.n_unknown, 0);
    assert_rate(&d, "joint, real mode");
    /* int8 after the convolutions: the UE's tensors encoded and decoded */
    run(SCENARIO, "split", real_split, 4, &d);
    assert_int_equal(d.n_unknown, 0);
    assert_true(d.n_split_encoded > d.n_finished / 2);
    assert_rate(&d, "split with int8, real mode");
}

static void test_a_model_without_accuracy_data_leaves_correctness_unknown(void **state)
{
    static struct draws d;
    static const char *const short_run[] = {"simulation@duration=3 s"};

    (void)state;
    run("scenarios/collab-small.xml", "joint", short_run, 1, &d);
    assert_true(d.n_finished > 0);
    assert_int_equal(d.n_unknown, d.n_finished);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_rate_right_is_the_measured_accuracy),
        cmocka_unit_test(test_the_draw_is_common_across_policies),
        cmocka_unit_test(test_real_mode_is_right_at_the_measured_rate),
        cmocka_unit_test(test_a_model_without_accuracy_data_leaves_correctness_unknown),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
