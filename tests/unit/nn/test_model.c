/*
 * test_model.c — nn_model as a whole: a small network against a hand-computed
 * output, batch-norm folding, the part-then-complement identity (bit for bit)
 * on every valid cut of a DAG with skips, a concat and aliases, the crossing
 * tensors and their sizes, cost counts checked by hand, no allocation per
 * forward pass, every allocation failure of building and finalizing, thread
 * counts 1 and 2, and every input error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include "unit/nn/ref_nn.h"

#define assert_rc(call, want)                                                                      \
    do {                                                                                           \
        struct core_err *e_ = &err;                                                                \
        enum core_rc got_ = (call);                                                                \
        if (got_ != (want)) {                                                                      \
            print_error("%s returned %s (%s), expected %s\n", #call, core_rc_name(got_),           \
                        got_ ? e_->msg : "", core_rc_name(want));                                  \
            fail();                                                                                \
        }                                                                                          \
    } while (0)

static struct core_err err;

static void add_ok(struct nn_model *m, enum nn_op op, const struct nn_params *p, const int *in,
                   size_t n_in)
{
    assert_rc(nn_model_add(m, op, p, in, n_in, NULL, NULL, &err), CORE_OK);
}

static void add1_ok(struct nn_model *m, enum nn_op op, const struct nn_params *p, int in)
{
    add_ok(m, op, p, &in, 1);
}

/* ---- a hand-computed network ------------------------------------------ */

/* x (1, 1, 4, 4) -> conv 2x2 stride 2 (2 channels) -> relu -> pool 2x2 ->
 * flatten -> fc 2. Worked by hand:
 *   conv channel 0 (kernel [1 0; 0 1], bias 0):  [2 1; 3 3]
 *   conv channel 1 (kernel [0 -1; 1 0], bias 1): [-1 3; 2 1] -> relu [0 3; 2 1]
 *   avg pool: (2.25, 1.5); fc [1 2; -1 1] + (0.5, 0): (5.75, -0.75)
 *   max pool: (3, 3);      fc:                         (9.5, 0) */
static void check_hand_network(enum nn_op pool, const float want[2])
{
    static const float x[16] = {1, 2, 0, 1, 0, 1, 3, 1, 2, 0, 1, 0, 1, 1, 0, 2};
    static const float conv_w[10] = {1, 0, 0, 1, 0, -1, 1, 0, 0, 1};
    static const float fc_w[6] = {1, 2, -1, 1, 0.5f, 0};
    const struct nn_shape in = {1, 1, 4, 4};
    const struct nn_params conv = {.out_channels = 2, .kernel_h = 2, .stride = 2, .bias = true};
    const struct nn_params pl = {.kernel_h = 2, .stride = 2};
    const struct nn_params fc = {.out_channels = 2, .bias = true};
    struct nn_model *m;
    const float *out;
    float *w;
    size_t n;

    assert_rc(nn_model_create(&in, &m, &err), CORE_OK);
    add1_ok(m, NN_OP_CONV2D, &conv, NN_INPUT);
    add1_ok(m, NN_OP_RELU, NULL, 0);
    add1_ok(m, pool, &pl, 1);
    add1_ok(m, NN_OP_FLATTEN, NULL, 2);
    add1_ok(m, NN_OP_FC, &fc, 3);
    assert_rc(nn_model_finalize(m, 1, &err), CORE_OK);
    w = nn_model_layer_weights(m, 0, &n);
    assert_int_equal(n, 10);
    memcpy(w, conv_w, sizeof(conv_w));
    w = nn_model_layer_weights(m, 4, &n);
    assert_int_equal(n, 6);
    memcpy(w, fc_w, sizeof(fc_w));
    assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
    out = nn_model_output(m);
    print_message("%s: out (%g, %g), expected (%g, %g)\n", nn_op_name(pool), out[0], out[1],
                  want[0], want[1]);
    assert_true(out[0] == want[0] && out[1] == want[1]);
    nn_model_destroy(m);
}

static void test_small_network_matches_hand_computed_output(void **state)
{
    check_hand_network(NN_OP_AVGPOOL, (const float[]){5.75f, -0.75f});
    check_hand_network(NN_OP_MAXPOOL, (const float[]){9.5f, 0.0f});
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- a DAG: skips (one from the input), a 3-way add, a concat, aliases --- */

enum { DAG_LAYERS = 16 };

static enum core_rc build_dag(struct nn_model **out)
{
    const struct nn_shape in = {1, 3, 8, 8};
    const struct nn_params c3b = {.out_channels = 4, .kernel_h = 3, .pad = 1, .bias = true};
    const struct nn_params c3 = {.out_channels = 4, .kernel_h = 3, .pad = 1};
    const struct nn_params c1b = {.out_channels = 4, .kernel_h = 1, .bias = true};
    const struct nn_params f1 = {
        .out_channels = 2, .kernel_h = 1, .bias = true, .act = NN_ACT_RELU};
    const struct nn_params g3 = {.out_channels = 3, .kernel_h = 3, .pad = 1, .bias = true};
    const struct nn_params pl = {.kernel_h = 2, .stride = 2};
    const struct nn_params fc = {.out_channels = 5, .bias = true};
    struct {
        enum nn_op op;
        const struct nn_params *p;
        int in[3];
        size_t n;
    } spec[DAG_LAYERS] = {
        {NN_OP_CONV2D, &c3b, {NN_INPUT}, 1}, /* 0 a */
        {NN_OP_RELU, NULL, {0}, 1},          /* 1 b */
        {NN_OP_CONV2D, &c3, {1}, 1},         /* 2 c */
        {NN_OP_BATCHNORM, NULL, {2}, 1},     /* 3 foldable into c */
        {NN_OP_CONV2D, &c1b, {NN_INPUT}, 1}, /* 4 skip from the input */
        {NN_OP_ADD, NULL, {3, 4, 1}, 3},     /* 5 */
        {NN_OP_RELU, NULL, {5}, 1},          /* 6 e */
        {NN_OP_CONV2D, &f1, {6}, 1},         /* 7 f */
        {NN_OP_CONV2D, &g3, {6}, 1},         /* 8 g */
        {NN_OP_CONCAT, NULL, {7, 8, 6}, 3},  /* 9: 9 channels */
        {NN_OP_MAXPOOL, &pl, {9}, 1},        /* 10 */
        {NN_OP_DROPOUT, NULL, {10}, 1},      /* 11 alias */
        {NN_OP_GAP, NULL, {11}, 1},          /* 12 */
        {NN_OP_FLATTEN, NULL, {12}, 1},      /* 13 alias */
        {NN_OP_FC, &fc, {13}, 1},            /* 14 */
        {NN_OP_SOFTMAX, NULL, {14}, 1},      /* 15 */
    };
    struct nn_model *m;
    enum core_rc rc;
    size_t i;

    *out = NULL;
    rc = nn_model_create(&in, &m, &err);
    for (i = 0; rc == CORE_OK && i < DAG_LAYERS; i++)
        rc = nn_model_add(m, spec[i].op, spec[i].p, spec[i].in, spec[i].n, NULL, NULL, &err);
    if (rc != CORE_OK) {
        nn_model_destroy(m);
        return rc;
    }
    *out = m;
    return CORE_OK;
}

/* Non-trivial batch-norm statistics, the same in every instance. */
static void set_bn(struct nn_model *m, int layer)
{
    struct core_rng *r = core_rng_create(5, (uint64_t)layer, CORE_RNG_BENCH);
    size_t n, c;
    float *w = nn_model_layer_weights(m, layer, &n);

    assert_non_null(r);
    ref_fill(w, n, r, -1.0, 1.0);
    for (c = 3 * n / 4; c < n; c++)
        w[c] = (float)core_rng_uniform_in(r, 0.3, 2.0);
    core_rng_destroy(r);
}

static struct nn_model *dag_instance(bool fold)
{
    struct nn_model *m;

    assert_rc(build_dag(&m), CORE_OK);
    assert_rc(nn_model_finalize(m, 42, &err), CORE_OK);
    set_bn(m, 3);
    if (fold) {
        assert_int_equal(nn_model_fold_batchnorm(m), 1);
        assert_int_equal(nn_model_fuse_activations(m), 1); /* relu 1 into conv 0 */
    }
    return m;
}

static float *dag_input(void)
{
    struct core_rng *r = core_rng_create(9, 0, CORE_RNG_BENCH);
    float *x = core_aligned_alloc(64, 3 * 8 * 8 * sizeof(float));

    assert_non_null(x);
    ref_fill(x, 3 * 8 * 8, r, -1.0, 1.0);
    core_rng_destroy(r);
    return x;
}

/* Run split a | complement on instances ma and mb; the output must equal
 * whole[] bit for bit. Returns the crossing bytes. */
static uint64_t check_split(struct nn_model *ma, struct nn_model *mb, const bool *a, const float *x,
                            const float *whole, size_t out_elems)
{
    const size_t n = nn_model_n_layers(ma);
    bool b[64];
    int cross[65], exits[65], entries[65];
    float *buf[65];
    const float *feed[65];
    size_t n_cross, n_exit, n_entry, i, skip;
    bool b_empty = true;
    uint64_t bytes = 0;

    for (i = 0; i < n; i++) {
        b[i] = !a[i];
        b_empty = b_empty && !b[i];
    }
    n_cross = nn_model_split_crossing(ma, a, cross);
    n_exit = nn_model_part_exits(ma, a, exits);
    n_entry = nn_model_part_entries(mb, b, entries);
    skip = n_cross > 0 && cross[0] == NN_INPUT;
    assert_int_equal(n_cross, n_exit + skip);
    assert_memory_equal(cross + skip, exits, n_exit * sizeof(int));
    assert_int_equal(n_entry, n_cross);
    assert_memory_equal(cross, entries, n_cross * sizeof(int));
    for (i = 0; i < n_exit; i++) {
        buf[i] = core_aligned_alloc(64, nn_model_tensor_bytes(ma, exits[i]));
        assert_non_null(buf[i]);
    }
    assert_rc(nn_model_forward_part(ma, a, (const float *const[]){x}, buf, 1, &err), CORE_OK);
    for (i = 0; i < n_cross; i++) {
        feed[i] = i < skip ? x : buf[i - skip];
        bytes += nn_model_tensor_bytes(ma, cross[i]);
    }
    assert_int_equal(bytes, nn_model_split_bytes(ma, a));
    if (b_empty) {
        assert_non_null(nn_model_output(ma));
        assert_memory_equal(nn_model_output(ma), whole, out_elems * sizeof(float));
    } else {
        assert_null(nn_model_output(ma));
        assert_rc(nn_model_forward_part(mb, b, feed, NULL, 1, &err), CORE_OK);
        assert_non_null(nn_model_output(mb));
        assert_memory_equal(nn_model_output(mb), whole, out_elems * sizeof(float));
    }
    for (i = 0; i < n_exit; i++)
        core_free(buf[i]);
    return bytes;
}

static void test_every_cut_of_a_dag_reproduces_the_whole_run_bit_for_bit(void **state)
{
    int fold;

    for (fold = 0; fold <= 1; fold++) {
        struct nn_model *whole = dag_instance(fold), *ma = dag_instance(fold),
                        *mb = dag_instance(fold);
        struct nn_shape os = nn_model_shape(whole, DAG_LAYERS - 1);
        float *x = dag_input(), out[5];
        bool a[DAG_LAYERS];
        unsigned mask, cuts = 0;
        size_t i;

        assert_int_equal(ref_elems(&os), 5);
        assert_rc(nn_model_forward(whole, x, 1, &err), CORE_OK);
        memcpy(out, nn_model_output(whole), sizeof(out));
        for (mask = 0; mask < (1u << DAG_LAYERS); mask++) {
            for (i = 0; i < DAG_LAYERS; i++)
                a[i] = (mask >> i) & 1u;
            if (nn_model_check_part(ma, a, &err) != CORE_OK)
                continue;
            check_split(ma, mb, a, x, out, 5);
            cuts++;
        }
        print_message("fold=%d: %u valid cuts checked\n", fold, cuts);
        /* Down-sets: prefixes of 0-3 (5) times skip 4 in or out (2), then 5, 6,
         * 6 with any of 7 and 8 (3 more), then 9 .. 15 one by one (7): 22. */
        assert_int_equal(cuts, 22);
        core_free(x);
        nn_model_destroy(whole);
        nn_model_destroy(ma);
        nn_model_destroy(mb);
    }
    assert_int_equal(core_alloc_live(), 0);
}

static void test_crossing_tensors_of_a_dag_cut_are_listed_with_sizes(void **state)
{
    struct nn_model *m = dag_instance(false);
    bool a[DAG_LAYERS] = {true, true, true, true}; /* a, b, c, bn */
    int ids[DAG_LAYERS + 1];
    size_t n;

    /* B reads the input (skip conv 4), b (the add) and the batch norm. */
    n = nn_model_split_crossing(m, a, ids);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], NN_INPUT);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 3);
    assert_int_equal(nn_model_split_bytes(m, a), 3 * 64 * 4 + 4 * 64 * 4 + 4 * 64 * 4);
    assert_int_equal(nn_model_part_exits(m, a, ids), 2);
    /* Everything but the softmax: only the fc output crosses. */
    memset(a, 1, sizeof(a));
    a[15] = false;
    assert_int_equal(nn_model_split_crossing(m, a, ids), 1);
    assert_int_equal(ids[0], 14);
    assert_int_equal(nn_model_split_bytes(m, a), 5 * 4);
    /* Up to the flatten alias: its tensor (9 floats) crosses, not the gap's. */
    memset(a, 1, sizeof(a));
    a[14] = a[15] = false;
    assert_int_equal(nn_model_split_crossing(m, a, ids), 1);
    assert_int_equal(ids[0], 13);
    assert_int_equal(nn_model_split_bytes(m, a), 9 * 4);
    /* Nothing on the device: the input crosses. */
    memset(a, 0, sizeof(a));
    assert_int_equal(nn_model_split_crossing(m, a, ids), 1);
    assert_int_equal(ids[0], NN_INPUT);
    assert_int_equal(nn_model_split_bytes(m, a), 3 * 64 * 4);
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_check_part_rejects_a_layer_without_its_predecessor(void **state)
{
    struct nn_model *m = dag_instance(false);
    bool a[DAG_LAYERS] = {true, false, true};

    assert_rc(nn_model_check_part(m, a, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "layer 2 'conv2d2'"));
    assert_non_null(strstr(err.msg, "layer 1 'relu1'"));
    nn_model_part_prefix(m, 7, a);
    assert_rc(nn_model_check_part(m, a, &err), CORE_OK);
    assert_true(a[6] && !a[7]);
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- batch-norm folding ------------------------------------------------ */

static void test_folded_batchnorm_and_fused_relu_equal_the_separate_layers(void **state)
{
    const struct nn_shape in = {2, 3, 10, 9};
    const struct nn_params c3 = {.out_channels = 6, .kernel_h = 3, .pad = 1};
    const struct nn_params c1 = {.out_channels = 5, .kernel_h = 1, .bias = true};
    const struct nn_params dw = {.out_channels = 5, .kernel_h = 3, .groups = 5, .stride = 2};
    struct nn_model *m;
    struct core_rng *r = core_rng_create(3, 0, CORE_RNG_BENCH);
    float x[2 * 3 * 10 * 9], before[2 * 5 * 4 * 4];
    double rel;

    assert_rc(nn_model_create(&in, &m, &err), CORE_OK);
    add1_ok(m, NN_OP_CONV2D, &c3, NN_INPUT); /* 0 */
    add1_ok(m, NN_OP_BATCHNORM, NULL, 0);    /* 1 folds into 0 */
    add1_ok(m, NN_OP_RELU, NULL, 1);         /* 2 */
    add1_ok(m, NN_OP_CONV2D, &c1, 2);        /* 3 with a bias */
    add1_ok(m, NN_OP_BATCHNORM, NULL, 3);    /* 4 folds into 3 */
    add1_ok(m, NN_OP_BATCHNORM, NULL, 4);    /* 5 not after a conv: stays */
    add1_ok(m, NN_OP_CONV2D, &dw, 5);        /* 6 depthwise */
    add1_ok(m, NN_OP_BATCHNORM, NULL, 6);    /* 7 folds into 6 (the output) */
    assert_rc(nn_model_finalize(m, 11, &err), CORE_OK);
    set_bn(m, 1);
    set_bn(m, 4);
    set_bn(m, 5);
    set_bn(m, 7);
    ref_fill(x, ARRAY_LEN(x), r, -1.0, 1.0);
    assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
    memcpy(before, nn_model_output(m), sizeof(before));
    assert_int_equal(nn_model_fuse_activations(m), 0); /* relu 2 waits for its batch norm */
    assert_int_equal(nn_model_fold_batchnorm(m), 3);
    assert_int_equal(nn_model_fold_batchnorm(m), 0);
    assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
    rel = ref_rel_err(nn_model_output(m), before, ARRAY_LEN(before));
    print_message("folded vs unfolded: relative error %.3g (allowed 1e-4)\n", rel);
    assert_true(rel <= 1e-4);
    /* Fusing the relu into conv 0 (through its folded batch norm) changes
     * no bit. */
    memcpy(before, nn_model_output(m), sizeof(before));
    assert_int_equal(nn_model_fuse_activations(m), 1);
    assert_int_equal(nn_model_fuse_activations(m), 0);
    assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
    assert_memory_equal(nn_model_output(m), before, sizeof(before));
    core_rng_destroy(r);
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_batchnorm_after_fused_or_shared_conv_is_not_folded(void **state)
{
    const struct nn_shape in = {1, 2, 5, 5};
    const struct nn_params fused = {.out_channels = 2, .kernel_h = 3, .pad = 1, .act = NN_ACT_RELU};
    const struct nn_params plain = {.out_channels = 2, .kernel_h = 3, .pad = 1};
    struct nn_model *m;

    assert_rc(nn_model_create(&in, &m, &err), CORE_OK);
    add1_ok(m, NN_OP_CONV2D, &fused, NN_INPUT); /* 0: activation inside */
    add1_ok(m, NN_OP_BATCHNORM, NULL, 0);       /* 1 */
    add1_ok(m, NN_OP_CONV2D, &plain, 1);        /* 2: read twice */
    add1_ok(m, NN_OP_BATCHNORM, NULL, 2);       /* 3 */
    add_ok(m, NN_OP_ADD, NULL, (int[]){2, 3}, 2);
    assert_rc(nn_model_finalize(m, 1, &err), CORE_OK);
    assert_int_equal(nn_model_fold_batchnorm(m), 0);
    assert_int_equal(nn_model_fuse_activations(m), 0);
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- costs ------------------------------------------------------------- */

static void test_costs_match_hand_counts(void **state)
{
    const struct nn_shape img = {1, 3, 224, 224}, vec = {1, 4096, 1, 1};
    const struct nn_params conv = {.out_channels = 64, .kernel_h = 3, .pad = 1, .bias = true};
    const struct nn_params pl = {.kernel_h = 2, .stride = 2};
    const struct nn_params fc = {.out_channels = 1000, .bias = true};
    struct nn_model *m;
    struct nn_cost c, t;

    assert_rc(nn_model_create(&img, &m, &err), CORE_OK);
    add1_ok(m, NN_OP_CONV2D, &conv, NN_INPUT);
    add1_ok(m, NN_OP_BATCHNORM, NULL, 0);
    add1_ok(m, NN_OP_MAXPOOL, &pl, 1);
    nn_model_layer_cost(m, 0, &c);
    assert_int_equal(c.params, 1792);                  /* 64 * 27 + 64 */
    assert_int_equal(c.macs, 86704128);                /* 64 * 224 * 224 * 27 */
    assert_int_equal(c.flops, 2 * 86704128 + 3211264); /* + one bias add per output */
    assert_int_equal(c.output_bytes, 12845056);        /* 64 * 224 * 224 * 4 */
    nn_model_layer_cost(m, 1, &c);
    assert_int_equal(c.params, 128); /* gamma and beta */
    assert_int_equal(c.macs, 0);
    assert_int_equal(c.flops, 2 * 3211264);
    nn_model_layer_cost(m, 2, &c);
    assert_int_equal(c.flops, 4 * 802816); /* 4 comparisons per output */
    assert_int_equal(c.output_bytes, 802816 * 4);
    nn_model_cost(m, &t);
    assert_int_equal(t.params, 1792 + 128);
    assert_int_equal(t.macs, 86704128);
    assert_int_equal(t.output_bytes, 802816 * 4);
    nn_model_destroy(m);

    assert_rc(nn_model_create(&vec, &m, &err), CORE_OK);
    add1_ok(m, NN_OP_FC, &fc, NN_INPUT);
    nn_model_layer_cost(m, 0, &c);
    assert_int_equal(c.params, 4097000);
    assert_int_equal(c.macs, 4096000);
    assert_int_equal(c.flops, 8193000);
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_layer_times_are_recorded_for_the_layers_run(void **state)
{
    struct nn_model *m = dag_instance(true);
    float *x = dag_input(), *crossing[2];
    bool a[DAG_LAYERS] = {true, true, true, true};
    double t_s[DAG_LAYERS];
    size_t i;

    crossing[0] = core_aligned_alloc(64, 4 * 64 * 4);
    crossing[1] = core_aligned_alloc(64, 4 * 64 * 4);
    for (i = 0; i < DAG_LAYERS; i++)
        t_s[i] = -1.0;
    nn_model_time_layers(m, t_s);
    assert_rc(nn_model_forward_part(m, a, (const float *const[]){x}, crossing, 1, &err), CORE_OK);
    for (i = 0; i < DAG_LAYERS; i++) {
        if (i < 4)
            assert_true(t_s[i] >= 0.0 && t_s[i] < 1.0);
        else
            assert_true(t_s[i] == -1.0);
    }
    assert_true(t_s[0] > 0.0);  /* a conv takes some time */
    assert_true(t_s[1] == 0.0); /* fused into conv 0: an alias */
    assert_true(t_s[3] == 0.0); /* folded into conv 2 */
    /* A timing run need not copy the exits out. */
    t_s[0] = -1.0;
    assert_rc(nn_model_forward_part(m, a, (const float *const[]){x}, NULL, 1, &err), CORE_OK);
    assert_true(t_s[0] > 0.0);
    nn_model_time_layers(m, NULL);
    t_s[0] = -1.0;
    assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
    assert_true(t_s[0] == -1.0);
    core_free(crossing[0]);
    core_free(crossing[1]);
    core_free(x);
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- memory ------------------------------------------------------------ */

static void test_forward_passes_allocate_nothing(void **state)
{
    struct nn_model *m = dag_instance(true);
    float *x = dag_input(), *crossing[3];
    bool a[DAG_LAYERS] = {true, true, true, true}, b[DAG_LAYERS];
    unsigned long before;
    size_t i;

    for (i = 0; i < DAG_LAYERS; i++)
        b[i] = !a[i];
    crossing[0] = x;
    crossing[1] = core_aligned_alloc(64, 4 * 64 * 4);
    crossing[2] = core_aligned_alloc(64, 4 * 64 * 4);
    assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
    /* The first run at two threads starts the worker thread (one block). */
    assert_rc(nn_model_forward(m, x, 2, &err), CORE_OK);
    before = core_alloc_count();
    assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
    assert_rc(nn_model_forward(m, x, 2, &err), CORE_OK);
    assert_rc(nn_model_forward_part(m, a, (const float *const[]){x}, crossing + 1, 1, &err),
              CORE_OK);
    assert_rc(nn_model_forward_part(m, b, (const float *const *)crossing, NULL, 1, &err), CORE_OK);
    assert_int_equal(core_alloc_count(), before);
    /* Buffers whose lifetimes do not overlap share the arena. */
    {
        uint64_t sum = 0;
        for (i = 0; i < DAG_LAYERS; i++)
            sum += nn_model_tensor_bytes(m, (int)i);
        print_message("arena %llu bytes for %llu bytes of layer outputs\n",
                      (unsigned long long)nn_model_arena_bytes(m), (unsigned long long)sum);
        assert_true(nn_model_arena_bytes(m) < sum);
    }
    core_free(crossing[1]);
    core_free(crossing[2]);
    core_free(x);
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_allocation_failures_while_building_leak_nothing(void **state)
{
    float *x = dag_input(), want[5];
    struct nn_model *m = dag_instance(false);
    unsigned long k;
    bool done = false;
    long live;

    assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
    memcpy(want, nn_model_output(m), sizeof(want));
    nn_model_destroy(m);
    live = core_alloc_live();
    for (k = 1; !done; k++) {
        enum core_rc rc;
        assert_true(k < 1000);
        core_alloc_fail_after(k);
        rc = build_dag(&m);
        if (rc == CORE_OK)
            rc = nn_model_finalize(m, 42, &err);
        core_alloc_fail_after(0);
        done = rc == CORE_OK;
        if (!done) {
            assert_int_equal(rc, CORE_E_NOMEM);
            if (m) {
                /* A failed finalize leaves a model that can be finalized again. */
                assert_false(nn_model_is_finalized(m));
                assert_rc(nn_model_finalize(m, 42, &err), CORE_OK);
            }
        }
        if (m) {
            set_bn(m, 3);
            assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
            assert_memory_equal(nn_model_output(m), want, sizeof(want));
        }
        nn_model_destroy(m);
        if (core_alloc_live() != live) {
            print_error("failing allocation %lu leaves %ld blocks live, expected %ld\n", k,
                        core_alloc_live(), live);
            fail();
        }
    }
    print_message("walked %lu allocation failures\n", k - 2);
    core_free(x);
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- threads ----------------------------------------------------------- */

static void test_two_threads_agree_with_one_within_1e_5(void **state)
{
    const struct nn_shape in = {1, 32, 56, 56};
    const struct nn_params c = {
        .out_channels = 64, .kernel_h = 3, .pad = 1, .bias = true, .act = NN_ACT_RELU};
    const struct nn_params fc = {.out_channels = 100, .bias = true};
    const size_t n_in = 32 * 56 * 56;
    struct nn_model *m;
    struct core_rng *r = core_rng_create(4, 0, CORE_RNG_BENCH);
    float *x = core_aligned_alloc(64, n_in * sizeof(float)), one[100];
    double rel;

    assert_rc(nn_model_create(&in, &m, &err), CORE_OK);
    add1_ok(m, NN_OP_CONV2D, &c, NN_INPUT);
    add1_ok(m, NN_OP_CONV2D, &c, 0);
    add1_ok(m, NN_OP_FC, &fc, 1);
    assert_rc(nn_model_finalize(m, 8, &err), CORE_OK);
    ref_fill(x, n_in, r, -1.0, 1.0);
    assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
    memcpy(one, nn_model_output(m), sizeof(one));
    assert_rc(nn_model_forward(m, x, 2, &err), CORE_OK);
    rel = ref_rel_err(nn_model_output(m), one, 100);
    print_message("2 threads vs 1: relative error %.3g (allowed 1e-5)\n", rel);
    assert_true(rel <= 1e-5);
    core_free(x);
    core_rng_destroy(r);
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), 0);
}

/* A model of one conv2d with params *c on input *in: its output at 1
 * thread into one, at 2 threads into two (n_out floats each, caller's
 * core_free). */
static size_t conv_at_one_and_two_threads(const struct nn_shape *in, const struct nn_params *c,
                                          float **one, float **two)
{
    const size_t n_in = nn_shape_bytes(in) / sizeof(float);
    struct nn_model *m;
    struct core_rng *r = core_rng_create(5, 0, CORE_RNG_BENCH);
    float *x = core_aligned_alloc(64, n_in * sizeof(float));
    size_t n_out;

    assert_rc(nn_model_create(in, &m, &err), CORE_OK);
    add1_ok(m, NN_OP_CONV2D, c, NN_INPUT);
    assert_rc(nn_model_finalize(m, 9, &err), CORE_OK);
    ref_fill(x, n_in, r, -1.0, 1.0);
    n_out = nn_model_tensor_bytes(m, 0) / sizeof(float);
    *one = core_malloc(n_out * sizeof(float));
    *two = core_malloc(n_out * sizeof(float));
    assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
    memcpy(*one, nn_model_output(m), n_out * sizeof(float));
    assert_rc(nn_model_forward(m, x, 2, &err), CORE_OK);
    memcpy(*two, nn_model_output(m), n_out * sizeof(float));
    core_free(x);
    core_rng_destroy(r);
    nn_model_destroy(m);
    return n_out;
}

static void expect_conv_bits_at_two_threads(const struct nn_shape *in, const struct nn_params *c)
{
    float *one, *two;
    const size_t n_out = conv_at_one_and_two_threads(in, c, &one, &two);
    size_t i, differ = 0;

    for (i = 0; i < n_out; i++)
        differ += memcmp(&one[i], &two[i], sizeof(float)) != 0;
    print_message("%ux%u conv, %u -> %u channels: %zu of %zu outputs differ at 2 threads\n",
                  c->kernel_h, c->kernel_h, in->c, c->out_channels, differ, n_out);
    assert_int_equal(differ, 0);
    core_free(one);
    core_free(two);
}

static void test_two_threads_give_the_bits_of_one_for_convs(void **state)
{
    /* im2col in two strips (kd Wo rows > NN_CONV_STRIP_FLOATS) shared by
     * rows, output channels cut at a multiple of 24 (128 = 72 + 56, 96 = 48
     * + 48, groups of 48 = 24 + 24), stride 2, a 1x1 conv read directly, a
     * grouped conv on two batch items, a depthwise conv shared by channels.
     * The GEMMs keep one thread's bits because each output channel's dot
     * products are the same whichever rows a call is given, when the cut
     * falls on a multiple of 24 (OpenBLAS's row blocking): checked with the
     * Prescott, Nehalem, Sandybridge, Haswell, Zen, SkylakeX and Cooperlake
     * kernels (OPENBLAS_CORETYPE). */
    const struct nn_shape big = {1, 64, 56, 56}, small = {2, 24, 15, 15};
    const struct nn_params c3 = {
        .out_channels = 128, .kernel_h = 3, .pad = 1, .bias = true, .act = NN_ACT_RELU};
    const struct nn_params c7 = {
        .out_channels = 96, .kernel_h = 7, .stride = 2, .pad = 3, .act = NN_ACT_RELU6};
    const struct nn_params c1 = {.out_channels = 96, .kernel_h = 1, .bias = true};
    const struct nn_params grouped = {
        .out_channels = 96, .kernel_h = 3, .groups = 2, .bias = true, .act = NN_ACT_RELU};
    const struct nn_params dw = {.out_channels = 64,
                                 .kernel_h = 3,
                                 .stride = 2,
                                 .pad = 1,
                                 .groups = 64,
                                 .bias = true,
                                 .act = NN_ACT_RELU6};

    expect_conv_bits_at_two_threads(&big, &c3);
    expect_conv_bits_at_two_threads(&big, &c7);
    expect_conv_bits_at_two_threads(&big, &c1);
    expect_conv_bits_at_two_threads(&small, &grouped);
    expect_conv_bits_at_two_threads(&big, &dw);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_worker_that_cannot_start_is_nomem_and_a_later_run_starts_it(void **state)
{
    struct nn_model *m = dag_instance(true);
    float *x = dag_input(), want[5];

    assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
    memcpy(want, nn_model_output(m), sizeof(want));
    core_alloc_fail_after(1);
    assert_rc(nn_model_forward(m, x, 2, &err), CORE_E_NOMEM);
    core_alloc_fail_after(0);
    assert_non_null(strstr(err.msg, "worker thread"));
    assert_null(nn_model_output(m));
    assert_rc(nn_model_forward(m, x, 2, &err), CORE_OK);
    print_message("after a failed start: output[0] %.9g, one thread %.9g\n",
                  (double)nn_model_output(m)[0], (double)want[0]);
    assert_true(ref_rel_err(nn_model_output(m), want, 5) <= 1e-5);
    core_free(x);
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_two_threads_cutting_columns_repeat_their_bits_within_1e_5_of_one(void **state)
{
    /* 64 output channels do not cut evenly at a multiple of 24: the GEMM is
     * cut by columns, which changes the rounding (as OpenBLAS's own threads
     * did) but not from run to run. */
    const struct nn_shape in = {1, 64, 56, 56};
    const struct nn_params c = {
        .out_channels = 64, .kernel_h = 3, .pad = 1, .bias = true, .act = NN_ACT_RELU};
    float *one, *two, *one_b, *two_b;
    size_t n_out = conv_at_one_and_two_threads(&in, &c, &one, &two);
    double rel;

    assert_int_equal(conv_at_one_and_two_threads(&in, &c, &one_b, &two_b), n_out);
    assert_memory_equal(two, two_b, n_out * sizeof(float));
    assert_memory_equal(one, one_b, n_out * sizeof(float));
    rel = ref_rel_err(two, one, n_out);
    print_message("64-channel conv, 2 threads vs 1: relative error %.3g (allowed 1e-5)\n", rel);
    assert_true(rel <= 1e-5);
    core_free(one);
    core_free(two);
    core_free(one_b);
    core_free(two_b);
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- errors ------------------------------------------------------------ */

static void expect_add_error(struct nn_model *m, enum nn_op op, const struct nn_params *p,
                             const int *in, size_t n_in, const char *name, const char *says)
{
    size_t before = nn_model_n_layers(m);

    assert_rc(nn_model_add(m, op, p, in, n_in, name, NULL, &err), CORE_E_INPUT);
    if (!strstr(err.msg, says)) {
        print_error("message '%s' does not contain '%s'\n", err.msg, says);
        fail();
    }
    assert_int_equal(nn_model_n_layers(m), before);
}

static void test_bad_layers_are_input_errors_naming_the_layer(void **state)
{
    const struct nn_shape in = {1, 6, 8, 8}, zero = {1, 0, 8, 8};
    const struct nn_shape huge = {1, 1u << 31, 1u << 16, 4};
    const struct nn_params conv = {.out_channels = 4, .kernel_h = 3};
    const struct nn_params groups = {.out_channels = 4, .kernel_h = 3, .groups = 4};
    const struct nn_params big = {.out_channels = 4, .kernel_h = 9};
    const struct nn_params pool_pad = {.kernel_h = 2, .pad = 2};
    const struct nn_params bad_act = {.out_channels = 4, .kernel_h = 1, .act = NN_ACT_COUNT};
    const struct nn_params bad_eps = {.eps = -1.0f};
    const struct nn_params no_out = {.kernel_h = 1};
    struct nn_model *m;

    assert_rc(nn_model_create(&zero, &m, &err), CORE_E_INPUT);
    assert_null(m);
    assert_rc(nn_model_create(&in, &m, &err), CORE_OK);
    assert_rc(nn_model_finalize(m, 1, &err), CORE_E_INPUT); /* no layers */
    expect_add_error(m, NN_OP_CONV2D, &conv, (int[]){0}, 1, "c0",
                     "layer 0 'c0' (conv2d): input 0 is 0");
    expect_add_error(m, NN_OP_CONV2D, &conv, (int[]){-2}, 1, "c0", "input 0 is -2");
    expect_add_error(m, NN_OP_CONV2D, &conv, (int[]){NN_INPUT, NN_INPUT}, 2, "c0",
                     "takes 1 to 1 inputs, got 2");
    expect_add_error(m, NN_OP_ADD, NULL, (int[]){NN_INPUT}, 1, NULL, "layer 0 'add0' (add)");
    expect_add_error(m, NN_OP_CONV2D, &groups, (int[]){NN_INPUT}, 1, "g", "groups 4 must divide");
    expect_add_error(m, NN_OP_CONV2D, &big, (int[]){NN_INPUT}, 1, "big", "does not fit");
    expect_add_error(m, NN_OP_CONV2D, &no_out, (int[]){NN_INPUT}, 1, "z", "out_channels >= 1");
    expect_add_error(m, NN_OP_FC, NULL, (int[]){NN_INPUT}, 1, "f", "out_channels >= 1");
    expect_add_error(m, NN_OP_MAXPOOL, &pool_pad, (int[]){NN_INPUT}, 1, "p", "pad <= kernel / 2");
    expect_add_error(m, NN_OP_AVGPOOL, NULL, (int[]){NN_INPUT}, 1, "p", "kernel_h >= 1");
    expect_add_error(m, NN_OP_CONV2D, &bad_act, (int[]){NN_INPUT}, 1, "a", "unknown activation");
    expect_add_error(m, NN_OP_BATCHNORM, &bad_eps, (int[]){NN_INPUT}, 1, "bn", "eps must be");
    expect_add_error(m, NN_OP_MAXPOOL, &big, (int[]){NN_INPUT}, 1, "mp", "window 9x9 does not fit");
    add1_ok(m, NN_OP_CONV2D, &conv, NN_INPUT); /* 0: (1, 4, 6, 6) */
    expect_add_error(m, NN_OP_ADD, NULL, (int[]){0, NN_INPUT}, 2, "sum",
                     "layer 1 'sum' (add): input 1 has shape (1, 6, 8, 8)");
    expect_add_error(m, NN_OP_CONCAT, NULL, (int[]){0, NN_INPUT}, 2, "cat",
                     "only channels may differ");
    expect_add_error(m, NN_OP_RELU, NULL, (int[]){0}, 1, "conv2d0",
                     "layer 1 'conv2d0' (relu): the name is already layer 0's");
    add1_ok(m, NN_OP_RELU, NULL, 0);        /* 1: reads 0 */
    add1_ok(m, NN_OP_RELU, NULL, NN_INPUT); /* 2: layer 1 unused */
    {
        int found = -5;
        assert_true(nn_model_find_layer(m, "relu1", &found));
        assert_int_equal(found, 1);
        assert_false(nn_model_find_layer(m, "nope", &found));
        assert_int_equal(found, 1);
    }
    assert_rc(nn_model_forward(m, NULL, 1, &err), CORE_E_INPUT); /* not finalized */
    assert_rc(nn_model_finalize(m, 1, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "layer 1 'relu1' (relu): its output is never used"));
    nn_model_destroy(m);

    /* Shapes too large for the kernels' index types (no memory is touched
     * before finalize). */
    assert_rc(nn_model_create(&huge, &m, &err), CORE_OK);
    expect_add_error(m, NN_OP_FC, &(struct nn_params){.out_channels = 1}, (int[]){NN_INPUT}, 1,
                     "fc", "features is too large");
    expect_add_error(m, NN_OP_FLATTEN, NULL, (int[]){NN_INPUT}, 1, "fl", "too many features");
    expect_add_error(m, NN_OP_CONCAT, NULL, (int[]){NN_INPUT, NN_INPUT}, 2, "cat",
                     "too many channels");
    nn_model_destroy(m);

    assert_rc(nn_model_create(&in, &m, &err), CORE_OK);
    add1_ok(m, NN_OP_RELU, NULL, NN_INPUT);
    assert_rc(nn_model_finalize(m, 1, &err), CORE_OK);
    assert_rc(nn_model_finalize(m, 1, &err), CORE_E_INPUT);
    expect_add_error(m, NN_OP_RELU, NULL, (int[]){0}, 1, "late", "already finalized");
    {
        float x[6 * 8 * 8] = {0};
        assert_rc(nn_model_forward(m, x, 0, &err), CORE_E_INPUT);
        assert_non_null(strstr(err.msg, "thread count 0"));
        assert_rc(nn_model_forward(m, x, 1000, &err), CORE_E_INPUT);
        assert_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
    }
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_network_matches_hand_computed_output),
        cmocka_unit_test(test_every_cut_of_a_dag_reproduces_the_whole_run_bit_for_bit),
        cmocka_unit_test(test_crossing_tensors_of_a_dag_cut_are_listed_with_sizes),
        cmocka_unit_test(test_check_part_rejects_a_layer_without_its_predecessor),
        cmocka_unit_test(test_folded_batchnorm_and_fused_relu_equal_the_separate_layers),
        cmocka_unit_test(test_batchnorm_after_fused_or_shared_conv_is_not_folded),
        cmocka_unit_test(test_costs_match_hand_counts),
        cmocka_unit_test(test_layer_times_are_recorded_for_the_layers_run),
        cmocka_unit_test(test_forward_passes_allocate_nothing),
        cmocka_unit_test(test_allocation_failures_while_building_leak_nothing),
        cmocka_unit_test(test_two_threads_agree_with_one_within_1e_5),
        cmocka_unit_test(test_two_threads_give_the_bits_of_one_for_convs),
        cmocka_unit_test(test_worker_that_cannot_start_is_nomem_and_a_later_run_starts_it),
        cmocka_unit_test(test_two_threads_cutting_columns_repeat_their_bits_within_1e_5_of_one),
        cmocka_unit_test(test_bad_layers_are_input_errors_naming_the_layer),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
