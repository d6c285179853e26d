/*
 * test_cpmm_check.c — the CPMM's cross-model check on the host CPU (what
 * `coinfer profile --cpmm-check` will print): profile the five zoo models
 * (batch norms folded, activations fused, as the benchmark runs them; one
 * thread), turn their layers into CPMM descriptors (proto_layer_desc), fit the
 * per-type regressions on four models and predict every layer of the fifth,
 * in turn.
 *
 * What is counted. Aliases (flatten, dropout, folded batch norms, fused
 * activations) run no code and are left out. Of the rest, only layers whose
 * measured latency is at least FLOOR_S (20 us) count: below it a layer's
 * relative error is dominated by call overhead and timer noise, and all such
 * layers together are about 0.05 % of the zoo's time (the printout says how
 * many and what share; all of LeNet-5's layers are under it). The fit uses
 * the other models' layers from FLOOR_S / 10 up (compute_cpmm_check). The
 * latency compared is each layer's fastest of REPS runs: the machine running
 * the tests is shared, and the minimum is the figure least disturbed by
 * other processes; the median-based figures are printed next to it.
 *
 * What it reaches. On this 2-core host, quiet: 75-79 % of ~112 layers
 * within +-10 %, median |error| 3-4 % (AlexNet 73-91 %, VGG-16 86-91 %,
 * ResNet-18 81-96 %, MobileNetV2 64-68 %); with the other processes of a
 * shared machine (load about 2): 72-76 %; without OPENBLAS_CORETYPE (the
 * AVX-512 kernels) 48-73 %, median 6-10 %. Before the conv2d features
 * followed the code path (cpmm_model.c) the same measurements gave 50-61 %
 * (40-49 % without OPENBLAS_CORETYPE). With one more CPU-bound process:
 * 48-74 %, median |error| 4-11 % - and once 19 %, when the load changed
 * between the models' profiles, which no floor survives.
 * The goal is 90 %; it is not reachable here: MobileNetV2's 17
 * depthwise convs (no other model has one) stay unpriced and count as
 * misses, which caps the share at 95/112 = 85 %; of the layers priced,
 * 86-94 % are within +-10 % (63-86 % without OPENBLAS_CORETYPE). The rest
 * of the misses: VGG-16's 2x2 poolings predicted from the others' 3x3 ones
 * and back, the stem convs (each predicted from the other three stems),
 * the largest fc layers (over 150 MB of weights: 10-20 % slower per byte
 * than the smaller ones) and, with the AVX-512 kernels, MobileNetV2's
 * expanding 1x1 convs (13-21 % over: no other model has an in-place conv).
 * The run-to-run spread is not the limit: 99 % of the layers' fastest runs
 * agree within +-10 % from one run to the next (94 % without
 * OPENBLAS_CORETYPE). The floor asserted is what is reached under load,
 * with margin: >= 40 % within +-10 % and a median error <= 15 %.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "compute/compute.h"
#include "proto/proto.h"
#include "nn/nn.h"

#define REPS    7
#define FLOOR_S 20e-6
#define TOL     0.10
/* Asserted: what the check reaches on this machine under load, with margin. */
/* Under AddressSanitizer (make asan) every memory access is instrumented and
 * the build is -O1: the timings then measure the instrumentation, not the
 * kernels the CPMM models, so the check still runs (ASan checks its code
 * paths) but its accuracy floor is asserted only in ordinary builds. */
#if defined(__SANITIZE_ADDRESS__)
#define ACCURACY_ASSERTED 0
#else
#define ACCURACY_ASSERTED 1
#endif
#define MIN_SHARE_WITHIN 0.40
#define MAX_MEDIAN_ERROR 0.15

struct zoo_data {
    struct compute_layer_desc *d[NN_ZOO_COUNT];
    double *min_s[NN_ZOO_COUNT];
    double *med_s[NN_ZOO_COUNT];
    size_t n[NN_ZOO_COUNT];
    double left_out_s[NN_ZOO_COUNT]; /* time in layers under the floor */
    double total_s[NN_ZOO_COUNT];    /* time in all layers */
    size_t n_left_out[NN_ZOO_COUNT]; /* timed layers under the floor */
};

static void profile_zoo(struct zoo_data *z)
{
    struct core_err e = {0};
    size_t j, i;

    memset(z, 0, sizeof(*z));
    for (j = 0; j < NN_ZOO_COUNT; j++) {
        struct nn_model *m = NULL;
        struct nn_profile *p = NULL;
        const double t0_s = core_wall_s();
        assert_int_equal(nn_zoo_build((enum nn_zoo_model)j, 1, &m, &e), CORE_OK);
        assert_int_equal(nn_model_finalize(m, 1, &e), CORE_OK);
        nn_model_fold_batchnorm(m);
        nn_model_fuse_activations(m);
        assert_int_equal(nn_profile_run(m, 1, 1, REPS, &p, &e), CORE_OK);
        z->n[j] = p->n_layers;
        z->d[j] = calloc(p->n_layers, sizeof(*z->d[j]));
        z->min_s[j] = calloc(p->n_layers, sizeof(double));
        z->med_s[j] = calloc(p->n_layers, sizeof(double));
        assert_non_null(z->d[j]);
        assert_non_null(z->min_s[j]);
        assert_non_null(z->med_s[j]);
        for (i = 0; i < p->n_layers; i++) {
            assert_int_equal(proto_layer_desc(m, (int)i, &p->layers[i], &z->d[j][i], &e), CORE_OK);
            z->min_s[j][i] = p->layers[i].min_s;
            z->med_s[j][i] = p->layers[i].median_s;
            z->total_s[j] += p->layers[i].min_s;
            if (p->layers[i].min_s > 0.0 && p->layers[i].min_s < FLOOR_S) {
                z->left_out_s[j] += p->layers[i].min_s;
                z->n_left_out[j]++;
            }
        }
        printf("# profiled %-12s %3zu layers, whole pass %.3f ms (median of %d), %.1f s\n",
               nn_zoo_name((enum nn_zoo_model)j), p->n_layers, 1e3 * p->total.median_s, REPS,
               core_wall_s() - t0_s);
        nn_profile_destroy(p);
        nn_model_destroy(m);
    }
}

static void print_result(const char *name, const struct compute_cpmm_check_result *r)
{
    const size_t priced = r->n_counted - r->n_unpriced;

    printf("#   %-12s layers %3zu  within +-10 %% %3zu (%5.1f %%)  median |error| %5.1f %%"
           "  | unpriced %2zu, within among priced %5.1f %%\n",
           name, r->n_counted, r->n_within, 100.0 * r->share_within, 100.0 * r->median_rel_error,
           r->n_unpriced, priced ? 100.0 * (double)r->n_within / (double)priced : NAN);
}

static void run_check(struct zoo_data *z, double *const *lat, const char *what,
                      struct compute_cpmm_check_result *all)
{
    struct compute_cpmm_check_model models[NN_ZOO_COUNT];
    struct compute_cpmm_check_result per[NN_ZOO_COUNT];
    struct core_err e = {0};
    size_t j;

    for (j = 0; j < NN_ZOO_COUNT; j++) {
        models[j].name = nn_zoo_name((enum nn_zoo_model)j);
        models[j].layers = z->d[j];
        models[j].latency_s = lat[j];
        models[j].n_layers = z->n[j];
    }
    assert_int_equal(compute_cpmm_check(models, NN_ZOO_COUNT, TOL, FLOOR_S, per, all, &e), CORE_OK);
    printf("# CPMM cross-model check on %s latencies (layers >= %.0f us):\n", what, FLOOR_S * 1e6);
    for (j = 0; j < NN_ZOO_COUNT; j++)
        print_result(models[j].name, &per[j]);
    print_result("overall", all);
}

static void test_cpmm_predicts_held_out_zoo_models(void **state)
{
    struct zoo_data z;
    struct compute_cpmm_check_result by_min, by_median;
    size_t j, n_out = 0;
    double out_s = 0.0, tot_s = 0.0;

    (void)state;
    profile_zoo(&z);
    for (j = 0; j < NN_ZOO_COUNT; j++) {
        n_out += z.n_left_out[j];
        out_s += z.left_out_s[j];
        tot_s += z.total_s[j];
    }
    printf("# under the %.0f us floor: %zu layers, %.2f %% of the profiled time\n", FLOOR_S * 1e6,
           n_out, 100.0 * out_s / tot_s);
    run_check(&z, z.min_s, "fastest-run", &by_min);
    run_check(&z, z.med_s, "median", &by_median);
    for (j = 0; j < NN_ZOO_COUNT; j++) {
        free(z.d[j]);
        free(z.min_s[j]);
        free(z.med_s[j]);
    }
    assert_true(by_min.n_counted > 100);
    assert_true(by_min.share_within >= 0.0 && by_min.share_within <= 1.0);
    if (!ACCURACY_ASSERTED) {
        printf("# sanitizer build: the accuracy floor is not asserted (timings are "
               "instrumented)\n");
        return;
    }
    if (by_min.share_within < MIN_SHARE_WITHIN || by_min.median_rel_error > MAX_MEDIAN_ERROR) {
        print_error("within +-10 %%: %.3f (floor %.2f), median error %.3f (ceiling %.2f)\n",
                    by_min.share_within, MIN_SHARE_WITHIN, by_min.median_rel_error,
                    MAX_MEDIAN_ERROR);
        fail();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpmm_predicts_held_out_zoo_models),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
