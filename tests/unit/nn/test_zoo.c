/*
 * test_zoo.c — the zoo builders: parameter counts equal torchvision's
 * exactly and multiply-accumulate counts within 1 % of torchvision's (the
 * figures of tests/data/zoo/torchvision.txt); every prefix of every model
 * is a valid part; LeNet-5 split at every point reproduces the whole run bit
 * for bit; building fails cleanly on every allocation failure. Costs need no
 * weights, so the big models are never finalized here. Run from the
 * repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include "unit/nn/ref_nn.h"

static struct core_err err;

/* Layers each builder adds (a change of architecture shows here first). */
static const size_t zoo_layers[NN_ZOO_COUNT] = {
    [NN_ZOO_LENET5] = 9,           [NN_ZOO_ALEXNET] = 14,       [NN_ZOO_VGG16] = 24,
    [NN_ZOO_RESNET18] = 69,        [NN_ZOO_MOBILENETV2] = 153,  [NN_ZOO_GOOGLENET] = 197,
    [NN_ZOO_SQUEEZENET] = 40,      [NN_ZOO_SHUFFLENETV2] = 211, [NN_ZOO_MOBILENETV3SMALL] = 138,
    [NN_ZOO_EFFICIENTNETB0] = 208,
};

/* The zoo against torchvision's own counts (tests/data/zoo/torchvision.txt,
 * written by tests/ref/torchvision_zoo.py figures): parameters exactly,
 * MACs within 1 %, every zoo model listed. */
static void test_zoo_parameter_and_mac_counts_match_torchvision(void **state)
{
    const char *path = "tests/data/zoo/torchvision.txt";
    FILE *f = fopen(path, "r");
    bool seen[NN_ZOO_COUNT] = {false};
    char line[256];
    int z;

    if (f == NULL)
        print_error("cannot open %s (run from the repository root)\n", path);
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        char name[64];
        unsigned long long params, macs;
        struct nn_model *m;
        struct nn_cost c;
        double rel;

        if (line[0] == '#')
            continue;
        assert_int_equal(sscanf(line, "%63s %llu %llu", name, &params, &macs), 3);
        for (z = 0; z < NN_ZOO_COUNT && strcmp(nn_zoo_name((enum nn_zoo_model)z), name) != 0; z++)
            ;
        if (z == NN_ZOO_COUNT)
            print_error("%s: '%s' is not a zoo model\n", path, name);
        assert_true(z < NN_ZOO_COUNT);
        seen[z] = true;
        assert_int_equal(nn_zoo_build((enum nn_zoo_model)z, 1, &m, &err), CORE_OK);
        nn_model_cost(m, &c);
        rel = (double)c.macs / (double)macs - 1.0;
        print_message("%-16s %3zu layers, params %llu (torchvision %llu), MACs %llu "
                      "(torchvision %llu, %+.3f %%)\n",
                      name, nn_model_n_layers(m), (unsigned long long)c.params, params,
                      (unsigned long long)c.macs, macs, 100 * rel);
        assert_int_equal(c.params, params);
        assert_true(fabs(rel) <= 0.01);
        assert_int_equal(nn_model_n_layers(m), zoo_layers[z]);
        nn_model_destroy(m);
    }
    fclose(f);
    for (z = 0; z < NN_ZOO_COUNT; z++) {
        if (!seen[z])
            print_error("%s lists no '%s'\n", path, nn_zoo_name((enum nn_zoo_model)z));
        assert_true(seen[z]);
    }
    assert_int_equal(core_alloc_live(), 0);
}

static void test_zoo_output_shapes_are_class_scores(void **state)
{
    enum nn_zoo_model z;

    for (z = 0; z < NN_ZOO_COUNT; z++) {
        struct nn_model *m;
        struct nn_shape o;
        assert_int_equal(nn_zoo_build(z, 2, &m, &err), CORE_OK);
        o = nn_model_shape(m, (int)nn_model_n_layers(m) - 1);
        assert_int_equal(o.n, 2);
        assert_int_equal(o.c, z == NN_ZOO_LENET5 ? 10 : 1000);
        assert_int_equal(o.h * o.w, 1);
        nn_model_destroy(m);
    }
    assert_int_equal(nn_zoo_build(NN_ZOO_LENET5, 0, &(struct nn_model *){NULL}, &err),
                     CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "lenet5: batch size"));
    assert_int_equal(core_alloc_live(), 0);
}

static void test_zoo_every_prefix_is_a_valid_part_with_its_crossing(void **state)
{
    /* Chains send one tensor; residual blocks at most the block input and
     * one tensor inside the block; an inception block its input and up to
     * three branches; squeeze-and-excitation the block input, the gated
     * tensor and the gate; ShuffleNet's blocks a finished branch (or the
     * kept half) and a tensor of the other. */
    static const size_t most_crossing[NN_ZOO_COUNT] = {
        [NN_ZOO_LENET5] = 1,         [NN_ZOO_ALEXNET] = 1,      [NN_ZOO_VGG16] = 1,
        [NN_ZOO_RESNET18] = 2,       [NN_ZOO_MOBILENETV2] = 2,  [NN_ZOO_GOOGLENET] = 4,
        [NN_ZOO_SQUEEZENET] = 2,     [NN_ZOO_SHUFFLENETV2] = 2, [NN_ZOO_MOBILENETV3SMALL] = 3,
        [NN_ZOO_EFFICIENTNETB0] = 3,
    };
    enum nn_zoo_model z;

    for (z = 0; z < NN_ZOO_COUNT; z++) {
        struct nn_model *m;
        bool a[256];
        int ids[257];
        size_t n, k, most = 0, nc;
        uint64_t bytes, in_bytes;

        assert_int_equal(nn_zoo_build(z, 1, &m, &err), CORE_OK); /* no weights needed */
        n = nn_model_n_layers(m);
        assert_true(n <= 256);
        in_bytes = nn_model_tensor_bytes(m, NN_INPUT);
        for (k = 0; k <= n; k++) {
            nn_model_part_prefix(m, k, a);
            assert_int_equal(nn_model_check_part(m, a, &err), CORE_OK);
            nc = nn_model_split_crossing(m, a, ids);
            bytes = nn_model_split_bytes(m, a);
            most = nc > most ? nc : most;
            if (k == 0) {
                assert_int_equal(nc, 1);
                assert_int_equal(ids[0], NN_INPUT);
                assert_int_equal(bytes, in_bytes);
            } else if (k == n) {
                assert_int_equal(nc, 0);
                assert_int_equal(bytes, 0);
            } else {
                assert_true(nc >= 1 && bytes > 0);
            }
        }
        print_message("%-16s most tensors crossing a prefix split: %zu\n", nn_zoo_name(z), most);
        assert_int_equal(most, most_crossing[z]);
        nn_model_destroy(m);
    }
    assert_int_equal(core_alloc_live(), 0);
}

static struct nn_model *lenet(void)
{
    struct nn_model *m;

    assert_int_equal(nn_zoo_build(NN_ZOO_LENET5, 1, &m, &err), CORE_OK);
    assert_int_equal(nn_model_finalize(m, 2024, &err), CORE_OK);
    return m;
}

static void test_lenet5_split_at_every_point_matches_whole_run_bit_for_bit(void **state)
{
    /* Bytes crossing after each prefix of k layers: the input, conv1, pool1,
     * conv2, pool2, flatten (an alias, 400 floats), fc 120, fc 84, fc 10,
     * and nothing once the device runs it all. */
    static const uint64_t cross_bytes[10] = {3136, 18816, 4704, 6400, 1600, 1600, 480, 336, 40, 0};
    struct nn_model *whole = lenet(), *ma = lenet(), *mb = lenet();
    struct core_rng *r = core_rng_create(1, 0, CORE_RNG_BENCH);
    const size_t n = nn_model_n_layers(whole);
    float *x = core_aligned_alloc(64, 28 * 28 * sizeof(float)), out[10];
    size_t k;

    assert_int_equal(n, 9);
    ref_fill(x, 28 * 28, r, 0.0, 1.0);
    assert_int_equal(nn_model_forward(whole, x, 1, &err), CORE_OK);
    memcpy(out, nn_model_output(whole), sizeof(out));
    for (k = 0; k <= n; k++) {
        bool a[9], b[9];
        int ids[10];
        float *crossing = NULL;
        const float *feed;
        size_t i, nc;

        nn_model_part_prefix(whole, k, a);
        assert_int_equal(nn_model_check_part(whole, a, &err), CORE_OK);
        for (i = 0; i < n; i++)
            b[i] = !a[i];
        nc = nn_model_split_crossing(whole, a, ids);
        assert_int_equal(nc, k < n ? 1 : 0);
        assert_int_equal(nn_model_split_bytes(whole, a), cross_bytes[k]);
        if (k < n) {
            assert_int_equal(ids[0], k == 0 ? NN_INPUT : (int)k - 1);
            crossing = core_aligned_alloc(64, cross_bytes[k]);
            assert_non_null(crossing);
        }
        assert_int_equal(
            nn_model_forward_part(ma, a, (const float *const[]){x}, &crossing, 1, &err), CORE_OK);
        if (k == n) {
            assert_memory_equal(nn_model_output(ma), out, sizeof(out));
            continue;
        }
        feed = k == 0 ? x : crossing;
        assert_int_equal(nn_model_forward_part(mb, b, &feed, NULL, 1, &err), CORE_OK);
        assert_memory_equal(nn_model_output(mb), out, sizeof(out));
        core_free(crossing);
    }
    core_free(x);
    core_rng_destroy(r);
    nn_model_destroy(whole);
    nn_model_destroy(ma);
    nn_model_destroy(mb);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_zoo_build_fails_cleanly_on_every_allocation_failure(void **state)
{
    unsigned long k;
    enum core_rc rc = CORE_E_NOMEM;

    for (k = 1; rc != CORE_OK; k++) {
        struct nn_model *m = NULL;
        assert_true(k < 100);
        core_alloc_fail_after(k);
        rc = nn_zoo_build(NN_ZOO_RESNET18, 1, &m, &err);
        core_alloc_fail_after(0);
        if (rc != CORE_OK) {
            assert_int_equal(rc, CORE_E_NOMEM);
            assert_null(m);
        }
        nn_model_destroy(m);
        assert_int_equal(core_alloc_live(), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zoo_parameter_and_mac_counts_match_torchvision),
        cmocka_unit_test(test_zoo_output_shapes_are_class_scores),
        cmocka_unit_test(test_zoo_every_prefix_is_a_valid_part_with_its_crossing),
        cmocka_unit_test(test_lenet5_split_at_every_point_matches_whole_run_bit_for_bit),
        cmocka_unit_test(test_zoo_build_fails_cleanly_on_every_allocation_failure),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
