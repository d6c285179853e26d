/*
 * test_profile.c — the profiler's measurement core on LeNet-5: ordered and
 * positive latencies, costs equal to the model's, GEMM shapes from the
 * layer shapes, the activation a conv or fc applies once fused, which
 * OpenBLAS kernels ran (and whether the environment forces older ones), the sgemm yardstick, the energy-counter reader on fake
 * sysfs trees (absent, powercap, amd_energy), error and out-of-memory paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#include "nn/nn.h"

static struct nn_model *lenet(bool finalize)
{
    struct nn_model *m = NULL;
    struct core_err e = {0};

    assert_int_equal(nn_zoo_build(NN_ZOO_LENET5, 1, &m, &e), CORE_OK);
    if (finalize) {
        assert_int_equal(nn_model_finalize(m, 1, &e), CORE_OK);
        nn_model_fold_batchnorm(m);
        nn_model_fuse_activations(m);
    }
    return m;
}

static void test_profile_of_lenet_orders_latencies_and_matches_costs(void **state)
{
    struct nn_model *m = lenet(true);
    struct nn_profile *p = NULL;
    struct core_err e = {0};
    struct nn_cost c;
    double sum_s = 0.0;
    size_t i, n_timed = 0;

    (void)state;
    assert_int_equal(nn_profile_run(m, 1, 2, 7, &p, &e), CORE_OK);
    assert_int_equal(p->n_layers, nn_model_n_layers(m));
    assert_int_equal(p->threads, 1);
    assert_int_equal(p->reps, 7);
    for (i = 0; i < p->n_layers; i++) {
        const struct nn_layer_profile *l = &p->layers[i];
        nn_model_layer_cost(m, (int)i, &c);
        assert_int_equal(l->cost.flops, c.flops);
        assert_int_equal(l->cost.params, c.params);
        assert_int_equal(l->cost.output_bytes, c.output_bytes);
        if (!(l->min_s <= l->median_s && l->median_s <= l->max_s)) {
            print_error("layer %zu: min %g median %g max %g out of order\n", i, l->min_s,
                        l->median_s, l->max_s);
            fail();
        }
        if (l->max_s > 0.0) {
            /* A computing layer: every run took time, GFLOP/s follows. */
            assert_true(l->min_s > 0.0);
            n_timed++;
            assert_near(l->gflops, (double)c.flops / l->median_s / 1e9, 1e-9 * l->gflops);
        } else {
            assert_near(l->gflops, 0.0, 0.0);
        }
        sum_s += l->min_s;
    }
    /* Conv, pool, conv, pool, three fc and softmax compute; flatten and the
     * fused relus are aliases. */
    assert_true(n_timed >= 8);
    nn_model_cost(m, &c);
    assert_int_equal(p->total.cost.flops, c.flops);
    assert_int_equal(p->total.cost.params, c.params);
    assert_true(p->total.min_s > 0.0 && p->total.min_s <= p->total.median_s &&
                p->total.median_s <= p->total.max_s);
    /* The layers' sum and the whole pass time the same work. Compared on the
     * fastest of the 7 runs of each, which other processes on a loaded
     * machine almost never all disturb (a median is disturbed as soon as 4
     * of 7 runs are), so the factor-5 margin holds under any load; how fast
     * the machine is does not enter. */
    if (!(sum_s > 0.2 * p->total.min_s && sum_s < 5.0 * p->total.min_s)) {
        print_error("the layers' fastest runs sum to %g s, the fastest whole pass takes %g s\n",
                    sum_s, p->total.min_s);
        fail();
    }
    nn_profile_destroy(p);
    nn_model_destroy(m);
}

static void test_gemm_shapes_follow_layer_shapes(void **state)
{
    struct nn_model *m = lenet(false);
    struct nn_gemm_shape g;
    size_t i, n_in, n_gemm = 0;

    (void)state;
    for (i = 0; i < nn_model_n_layers(m); i++) {
        const enum nn_op op = nn_model_layer_op(m, (int)i);
        const int *in = nn_model_layer_inputs(m, (int)i, &n_in);
        const struct nn_shape x = nn_model_shape(m, in[0]), y = nn_model_shape(m, (int)i);
        const struct nn_params *p = nn_model_layer_params(m, (int)i);
        struct nn_cost c;
        nn_model_layer_gemm(m, (int)i, &g);
        nn_model_layer_cost(m, (int)i, &c);
        if (op == NN_OP_CONV2D) {
            assert_int_equal(g.m, y.c);
            assert_int_equal(g.n, y.h * y.w);
            assert_int_equal(g.k, x.c * p->kernel_h * p->kernel_h);
            assert_int_equal(g.count, 1);
        } else if (op == NN_OP_FC) {
            assert_int_equal(g.m, y.c);
            assert_int_equal(g.n, 1);
            assert_int_equal(g.k, x.c * x.h * x.w);
        } else {
            assert_int_equal(g.m + g.n + g.k + g.count, 0);
            continue;
        }
        /* The GEMM's multiply-adds are the layer's MACs. */
        assert_int_equal((uint64_t)g.m * g.n * g.k * g.count, c.macs);
        n_gemm++;
    }
    assert_int_equal(n_gemm, 5);
    nn_model_destroy(m);
}

static void test_layer_act_is_the_fused_activation_of_convs_and_fcs(void **state)
{
    struct nn_model *m = NULL;
    struct core_err e = {0};
    size_t i, n_in, n_fused = 0;

    (void)state;
    /* MobileNetV3-Small: relu, hardswish and hardsigmoid layers after convs. */
    assert_int_equal(nn_zoo_build(NN_ZOO_MOBILENETV3SMALL, 1, &m, &e), CORE_OK);
    assert_int_equal(nn_model_finalize(m, 1, &e), CORE_OK);
    nn_model_fold_batchnorm(m);
    nn_model_fuse_activations(m);
    for (i = 0; i < nn_model_n_layers(m); i++) {
        const enum nn_op op = nn_model_layer_op(m, (int)i);
        const int *in = nn_model_layer_inputs(m, (int)i, &n_in);

        if (op != NN_OP_CONV2D && op != NN_OP_FC)
            assert_int_equal(nn_model_layer_act(m, (int)i), NN_ACT_NONE);
        /* A fused activation layer: the conv or fc before it applies it. */
        if (nn_act_of_op(op) != NN_ACT_NONE && nn_model_layer_alias(m, (int)i)) {
            int j = in[0];
            while (nn_model_layer_op(m, j) == NN_OP_BATCHNORM) /* folded into the conv */
                j = nn_model_layer_inputs(m, j, &n_in)[0];
            assert_int_equal(nn_model_layer_act(m, j), nn_act_of_op(op));
            n_fused++;
        }
    }
    assert_true(n_fused > 0);
    nn_model_destroy(m);
}

static void test_blas_family_levels_order_the_instruction_sets(void **state)
{
    (void)state;
    assert_int_equal(nn_blas_family_level("Prescott"), 0);
    assert_int_equal(nn_blas_family_level("core2"), 1);
    assert_int_equal(nn_blas_family_level("NEHALEM"), 2);
    assert_int_equal(nn_blas_family_level("Sandybridge"), 3);
    assert_int_equal(nn_blas_family_level("haswell"), 4);
    assert_int_equal(nn_blas_family_level("Zen"), 4);
    assert_int_equal(nn_blas_family_level("SkylakeX"), 5);
    assert_int_equal(nn_blas_family_level("Cooperlake"), 6);
    assert_int_equal(nn_blas_family_level("SapphireRapids"), 7);
    assert_int_equal(nn_blas_family_level("NoSuchCore"), -1);
    assert_int_equal(nn_blas_family_level(""), -1);
}

/* Read as the environment is (tests never change OPENBLAS_CORETYPE): the
 * fields agree with each other, the library and the variable. */
static void test_blas_info_names_the_kernels_and_flags_an_older_forced_family(void **state)
{
    struct nn_blas_info b;
    const char *env = getenv("OPENBLAS_CORETYPE");
    int forced;

    (void)state;
    nn_blas_info_read(&b);
    assert_true(b.corename[0] != '\0');
    assert_non_null(strstr(b.config, "OpenBLAS"));
    assert_string_equal(b.coretype_env, env ? env : "");
    assert_in_range(b.cpu_level, 0, 6);
    assert_int_equal(nn_blas_family_level(b.cpu_family), b.cpu_level);
    forced = env && *env ? nn_blas_family_level(env) : -1;
    assert_int_equal(b.forced_older, forced >= 0 && forced < b.cpu_level);
    /* OpenBLAS runs the family the variable names, when it names one. */
    if (forced >= 0)
        assert_int_equal(nn_blas_family_level(b.corename), forced);
}

static void test_profile_rejects_bad_arguments(void **state)
{
    struct nn_model *m = lenet(false);
    struct nn_profile *p = NULL;
    struct core_err e = {0};

    (void)state;
    assert_int_equal(nn_profile_run(m, 1, 0, 3, &p, &e), CORE_E_INPUT);
    assert_null(p);
    assert_int_equal(nn_model_finalize(m, 1, &e), CORE_OK);
    assert_int_equal(nn_profile_run(m, 1, 0, 0, &p, &e), CORE_E_INPUT);
    assert_int_equal(nn_profile_run(m, 0, 0, 3, &p, &e), CORE_E_INPUT);
    assert_int_equal(nn_profile_run(m, 1, 1, 3, &p, &e), CORE_OK);
    nn_profile_destroy(p);
    nn_profile_destroy(NULL);
    nn_model_destroy(m);
}

static void test_profile_allocation_failures_are_nomem_without_leaks(void **state)
{
    struct nn_model *m = lenet(true);
    struct nn_profile *p = NULL;
    struct core_err e = {0};
    enum core_rc rc;
    unsigned long k;
    bool done = false;

    (void)state;
    for (k = 1; !done; k++) {
        assert_true(k < 100);
        core_alloc_fail_after(k);
        rc = nn_profile_run(m, 1, 0, 2, &p, &e);
        core_alloc_fail_after(0);
        done = rc == CORE_OK;
        if (!done) {
            assert_int_equal(rc, CORE_E_NOMEM);
            assert_null(p);
        }
    }
    nn_profile_destroy(p);
    nn_model_destroy(m);
}

static void test_sgemm_gflops_measures_and_checks_arguments(void **state)
{
    struct core_err e = {0};
    double g = -1.0;

    (void)state;
    assert_int_equal(nn_sgemm_gflops(64, 96, 80, 1, 3, &g, &e), CORE_OK);
    assert_true(g > 0.0);
    assert_int_equal(nn_sgemm_gflops(0, 96, 80, 1, 3, &g, &e), CORE_E_INPUT);
    assert_near(g, 0.0, 0.0);
    assert_int_equal(nn_sgemm_gflops(64, 96, 80, 1, 0, &g, &e), CORE_E_INPUT);
    assert_int_equal(nn_sgemm_gflops(64, 96, 80, 0, 3, &g, &e), CORE_E_INPUT);
    core_alloc_fail_after(2);
    assert_int_equal(nn_sgemm_gflops(64, 96, 80, 1, 3, &g, &e), CORE_E_NOMEM);
    core_alloc_fail_after(0);
}

/* ---- energy counters on fake sysfs trees -------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void make_dir(const char *root, const char *sub, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", root, sub);
    assert_int_equal(mkdir(out, 0755), 0);
}

static void remove_tree(const char *root)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static void test_energy_reader_without_counters_says_declared(void **state)
{
    char root[] = "/tmp/coinfer_rapl_XXXXXX";
    struct nn_energy_reading r, r2;

    (void)state;
    nn_energy_read("/nonexistent/coinfer", &r);
    assert_int_equal(r.source, NN_ENERGY_DECLARED);
    assert_int_equal(r.n_domains, 0);
    assert_near(r.energy_j, 0.0, 0.0);
    assert_string_equal(nn_energy_source_name(r.source), "declared power x time");
    /* An empty powercap directory, and a zone whose counter is unreadable. */
    assert_non_null(mkdtemp(root));
    {
        char pc[256], z[300];
        make_dir(root, "powercap", pc, sizeof(pc));
        make_dir(pc, "intel-rapl:0", z, sizeof(z));
    }
    nn_energy_read(root, &r2);
    assert_int_equal(r2.source, NN_ENERGY_DECLARED);
    assert_near(nn_energy_delta_j(&r, &r2), 0.0, 0.0);
    remove_tree(root);
}

static void test_energy_reader_sums_rapl_packages_not_subzones(void **state)
{
    char root[] = "/tmp/coinfer_rapl_XXXXXX";
    char pc[256], z0[300], z00[300], z1[300];
    struct nn_energy_reading before, after;

    (void)state;
    assert_non_null(mkdtemp(root));
    make_dir(root, "powercap", pc, sizeof(pc));
    make_dir(pc, "intel-rapl:0", z0, sizeof(z0));
    make_dir(pc, "intel-rapl:0:0", z00, sizeof(z00));
    make_dir(pc, "intel-rapl:1", z1, sizeof(z1));
    write_file(z0, "energy_uj", "1500000\n");
    write_file(z0, "max_energy_range_uj", "10000000\n");
    write_file(z00, "energy_uj", "999000000\n");
    write_file(z1, "energy_uj", "500000\n");
    write_file(z1, "max_energy_range_uj", "10000000\n");
    nn_energy_read(root, &before);
    assert_int_equal(before.source, NN_ENERGY_COUNTERS);
    assert_int_equal(before.n_domains, 2);
    assert_near(before.energy_j, 2.0, 1e-12);
    assert_near(before.range_j[0] + before.range_j[1], 20.0, 1e-12);
    assert_string_equal(nn_energy_source_name(before.source), "counters");
    /* Package 0 wrapped: 1.5 J -> 0.5 J over a 10 J range is +9 J; package 1 +1 J. */
    write_file(z0, "energy_uj", "500000\n");
    write_file(z1, "energy_uj", "1500000\n");
    nn_energy_read(root, &after);
    assert_near(nn_energy_delta_j(&before, &after), 10.0, 1e-9);
    write_file(z0, "energy_uj", "4500000\n");
    nn_energy_read(root, &after);
    assert_near(nn_energy_delta_j(&before, &after), 4.0, 1e-9);
    remove_tree(root);
}

static void test_energy_reader_falls_back_to_amd_energy_sockets(void **state)
{
    char root[] = "/tmp/coinfer_rapl_XXXXXX";
    char hw[256], h0[300], h1[300];
    struct nn_energy_reading r;

    (void)state;
    assert_non_null(mkdtemp(root));
    make_dir(root, "hwmon", hw, sizeof(hw));
    make_dir(hw, "hwmon0", h0, sizeof(h0));
    make_dir(hw, "hwmon1", h1, sizeof(h1));
    write_file(h0, "name", "k10temp\n");
    write_file(h1, "name", "amd_energy\n");
    write_file(h1, "energy1_label", "Ecore000\n");
    write_file(h1, "energy1_input", "7000000\n");
    write_file(h1, "energy2_label", "Esocket0\n");
    write_file(h1, "energy2_input", "3000000\n");
    nn_energy_read(root, &r);
    assert_int_equal(r.source, NN_ENERGY_COUNTERS);
    assert_int_equal(r.n_domains, 1);
    assert_near(r.energy_j, 3.0, 1e-12);
    remove_tree(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_profile_of_lenet_orders_latencies_and_matches_costs),
        TEST(test_gemm_shapes_follow_layer_shapes),
        TEST(test_layer_act_is_the_fused_activation_of_convs_and_fcs),
        TEST(test_blas_family_levels_order_the_instruction_sets),
        TEST(test_blas_info_names_the_kernels_and_flags_an_older_forced_family),
        TEST(test_profile_rejects_bad_arguments),
        TEST(test_profile_allocation_failures_are_nomem_without_leaks),
        TEST(test_sgemm_gflops_measures_and_checks_arguments),
        TEST(test_energy_reader_without_counters_says_declared),
        TEST(test_energy_reader_sums_rapl_packages_not_subzones),
        TEST(test_energy_reader_falls_back_to_amd_energy_sockets),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
