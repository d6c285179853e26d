/*
 * test_accuracy.c — a split classifier's accuracy under an encoding
 * (sim/nn/accuracy.c): the cut points of a graph with fused and reshaping
 * layers and of a residual block; the cuts across the branches of a
 * diamond (nn_model_cut_dag), its split's bytes and fp32 accuracy; fp32 and top-k of every value giving the
 * whole model's predictions at every split; the bytes that cross; and the
 * errors (a part holding the last layer, an unclosed part, a stop).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

#include "nn/nn.h"
#include "testutil.h"

#define ATEST(f) cmocka_unit_test_setup_teardown(f, testutil_record_live, testutil_check_no_leak)
#define BATCH 4
#define ITEMS 10 /* two full batches and a padded one */
#define CLASSES 3

static struct core_err err;

static int add(struct nn_model *m, enum nn_op op, const struct nn_params *p, int in0, int in1)
{
    const int in[2] = {in0, in1};
    int index;

    assert_int_equal(nn_model_add(m, op, p, in, in1 == -2 ? 1 : 2, NULL, &index, &err), CORE_OK);
    return index;
}

/* conv 3x3 4 (0), relu (1, fused), maxpool 2 (2), flatten (3), fc 3 (4). */
static struct nn_model *chain(void)
{
    const struct nn_shape s = {BATCH, 1, 8, 8};
    struct nn_model *m;

    assert_int_equal(nn_model_create(&s, &m, &err), CORE_OK);
    add(m, NN_OP_CONV2D, &(struct nn_params){.out_channels = 4, .kernel_h = 3, .pad = 1,
                                             .bias = true}, NN_INPUT, -2);
    add(m, NN_OP_RELU, NULL, 0, -2);
    add(m, NN_OP_MAXPOOL, &(struct nn_params){.kernel_h = 2, .stride = 2}, 1, -2);
    add(m, NN_OP_FLATTEN, NULL, 2, -2);
    add(m, NN_OP_FC, &(struct nn_params){.out_channels = CLASSES, .bias = true}, 3, -2);
    assert_int_equal(nn_model_finalize(m, 5, &err), CORE_OK);
    return m;
}

/* ITEMS random images labelled with m's own predictions. */
static struct nn_dataset *data_for(struct nn_model *m)
{
    struct nn_dataset *d = core_calloc(1, sizeof(*d));
    float x[BATCH * 64];
    size_t idx[BATCH];
    uint64_t s = 99;

    assert_non_null(d);
    *d = (struct nn_dataset){.n = ITEMS, .c = 1, .h = 8, .w = 8, .classes = CLASSES};
    d->pixels = core_malloc(ITEMS * 64);
    d->labels = core_malloc(ITEMS);
    assert_true(d->pixels && d->labels);
    for (size_t i = 0; i < ITEMS * 64; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        d->pixels[i] = (uint8_t)(s >> 56);
    }
    for (size_t start = 0; start < ITEMS; start += BATCH) {
        for (size_t i = 0; i < BATCH; i++)
            idx[i] = start + i < ITEMS ? start + i : ITEMS - 1;
        nn_dataset_batch(d, idx, BATCH, x, NULL);
        assert_int_equal(nn_model_forward(m, x, 1, &err), CORE_OK);
        for (size_t i = 0; i < BATCH && start + i < ITEMS; i++) {
            const float *o = nn_model_output(m) + i * CLASSES;
            uint8_t best = 0;

            for (uint8_t c = 1; c < CLASSES; c++)
                best = o[c] > o[best] ? c : best;
            d->labels[start + i] = best;
        }
    }
    return d;
}

static void test_accuracy_cut_points_skip_layers_that_join_their_producer(void **state)
{
    const struct nn_shape s = {1, 2, 4, 4};
    struct nn_model *m = chain(), *r;
    size_t k[8], n;

    (void)state;
    n = nn_model_cut_prefixes(m, k);
    /* after conv: its relu joins it; after pool: flatten joins it */
    assert_int_equal(n, 3);
    assert_int_equal(k[0], 0);
    assert_int_equal(k[1], 2);
    assert_int_equal(k[2], 4);
    nn_model_destroy(m);

    /* conv (0), bn (1, folded), add (2) of the conv's and the input, relu (3): the add reads
     * the bn, but the relu reads the add, which no conv feeds: it stays a cut */
    assert_int_equal(nn_model_create(&s, &r, &err), CORE_OK);
    add(r, NN_OP_CONV2D, &(struct nn_params){.out_channels = 2, .kernel_h = 3, .pad = 1},
        NN_INPUT, -2);
    add(r, NN_OP_BATCHNORM, NULL, 0, -2);
    add(r, NN_OP_ADD, NULL, 1, NN_INPUT);
    add(r, NN_OP_RELU, NULL, 2, -2);
    n = nn_model_cut_prefixes(r, k);
    assert_int_equal(n, 3);
    assert_int_equal(k[0], 0);
    assert_int_equal(k[1], 2);
    assert_int_equal(k[2], 3);
    nn_model_destroy(r);
}

/* conv 0 of the input; two branches, conv 1 and conv 2 of it; add 3 of
 * both; flatten 4 (joins the add); fc 5: the cuts are the prefixes and one
 * across the branches, {0, 2}. */
static struct nn_model *diamond(void)
{
    const struct nn_shape s = {BATCH, 1, 8, 8};
    const struct nn_params conv = {.out_channels = 2, .kernel_h = 3, .pad = 1, .bias = true};
    struct nn_model *m;

    assert_int_equal(nn_model_create(&s, &m, &err), CORE_OK);
    add(m, NN_OP_CONV2D, &conv, NN_INPUT, -2);
    add(m, NN_OP_CONV2D, &conv, 0, -2);
    add(m, NN_OP_CONV2D, &conv, 0, -2);
    add(m, NN_OP_ADD, NULL, 1, 2);
    add(m, NN_OP_FLATTEN, NULL, 3, -2);
    add(m, NN_OP_FC, &(struct nn_params){.out_channels = CLASSES, .bias = true}, 4, -2);
    assert_int_equal(nn_model_finalize(m, 6, &err), CORE_OK);
    return m;
}

static void test_accuracy_dag_cuts_are_the_cuts_across_branches(void **state)
{
    const bool across[] = {true, false, true, false, false, false};
    const struct nn_encoding encs[] = {{NN_ENC_FP32, 0}, {NN_ENC_INT8, 0}};
    const struct nn_split_accuracy_config c = {.encs = encs, .n_encs = 2, .threads = 1};
    struct nn_model *m = diamond(), *ch = chain();
    struct nn_dataset *d = data_for(m);
    size_t count, correct[2];
    bool *sets;
    uint64_t bytes;

    (void)state;
    assert_int_equal(nn_model_cut_dag(m, 16, &sets, &count, &err), CORE_OK);
    assert_int_equal(count, 1);
    assert_memory_equal(sets, across, sizeof(across));
    /* split there: conv 1's input (conv 0's output) and conv 2's output cross, 2x8x8 each */
    assert_int_equal(nn_split_encoded_bytes(m, sets, &encs[0], &bytes, &err), CORE_OK);
    assert_int_equal(bytes, 2 * 2 * 64 * sizeof(float));
    assert_int_equal(nn_split_encoded_bytes(m, sets, &encs[1], &bytes, &err), CORE_OK);
    assert_int_equal(bytes, 2 * (5 + 2 * 64));
    /* fp32 gives the whole model's predictions (the labels) */
    assert_int_equal(nn_split_accuracy(m, d, sets, &c, correct, &err), CORE_OK);
    assert_int_equal(correct[0], ITEMS);
    core_free(sets);
    /* more than the limit: an error */
    assert_int_equal(nn_model_cut_dag(m, 0, &sets, &count, &err), CORE_E_INPUT);
    assert_null(sets);
    /* a chain has none */
    assert_int_equal(nn_model_cut_dag(ch, 16, &sets, &count, &err), CORE_OK);
    assert_int_equal(count, 0);
    core_free(sets);
    nn_dataset_destroy(d);
    nn_model_destroy(ch);
    nn_model_destroy(m);
}

static void test_accuracy_fp32_and_all_of_topk_give_the_whole_model(void **state)
{
    const struct nn_encoding encs[] = {{NN_ENC_FP32, 0}, {NN_ENC_TOPK, 1.0}, {NN_ENC_INT4, 0}};
    const struct nn_split_accuracy_config c = {.encs = encs, .n_encs = 3, .threads = 1};
    struct nn_model *m = chain();
    struct nn_dataset *d = data_for(m);
    size_t k[8], n, correct[3];
    bool a[5];
    uint64_t bytes;

    (void)state;
    nn_model_fold_batchnorm(m);
    nn_model_fuse_activations(m);
    n = nn_model_cut_prefixes(m, k);
    for (size_t j = 0; j < n; j++) {
        nn_model_part_prefix(m, k[j], a);
        assert_int_equal(nn_split_accuracy(m, d, a, &c, correct, &err), CORE_OK);
        assert_int_equal(correct[0], ITEMS);
        assert_int_equal(correct[1], ITEMS);
        assert_true(correct[2] <= ITEMS);
    }
    /* the bytes: the input 64 values, after relu 4x8x8, after flatten 4x4x4 */
    nn_model_part_prefix(m, 0, a);
    assert_int_equal(nn_split_encoded_bytes(m, a, &encs[0], &bytes, &err), CORE_OK);
    assert_int_equal(bytes, 256);
    nn_model_part_prefix(m, 2, a);
    assert_int_equal(nn_split_encoded_bytes(m, a, &encs[2], &bytes, &err), CORE_OK);
    assert_int_equal(bytes, 5 + 128);
    nn_model_part_prefix(m, 4, a);
    assert_int_equal(nn_split_encoded_bytes(m, a, &encs[1], &bytes, &err), CORE_OK);
    assert_int_equal(bytes, 4 + 64 * (1 + 4));
    nn_dataset_destroy(d);
    nn_model_destroy(m);
}

static void test_accuracy_refuses_bad_parts_and_stops_when_asked(void **state)
{
    const struct nn_encoding enc = {NN_ENC_INT8, 0};
    volatile int stop = 1;
    struct nn_split_accuracy_config c = {.encs = &enc, .n_encs = 1, .threads = 1};
    struct nn_model *m = chain();
    struct nn_dataset *d = data_for(m);
    bool a[5];
    size_t correct;

    (void)state;
    nn_model_part_prefix(m, 5, a);
    assert_int_equal(nn_split_accuracy(m, d, a, &c, &correct, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "no layer to the edge"));
    memset(a, 0, sizeof(a));
    a[2] = true; /* the pool without the conv it reads */
    assert_int_equal(nn_split_accuracy(m, d, a, &c, &correct, &err), CORE_E_INPUT);
    nn_model_part_prefix(m, 2, a);
    c.stop = &stop;
    assert_int_equal(nn_split_accuracy(m, d, a, &c, &correct, &err), CORE_E_INTERRUPTED);
    d->c = 3; /* another image shape */
    c.stop = NULL;
    assert_int_equal(nn_split_accuracy(m, d, a, &c, &correct, &err), CORE_E_INPUT);
    d->c = 1;
    nn_dataset_destroy(d);
    nn_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        ATEST(test_accuracy_cut_points_skip_layers_that_join_their_producer),
        ATEST(test_accuracy_fp32_and_all_of_topk_give_the_whole_model),
        ATEST(test_accuracy_dag_cuts_are_the_cuts_across_branches),
        ATEST(test_accuracy_refuses_bad_parts_and_stops_when_asked),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
