/*
 * test_layers.c — every layer type of sim/nn against the naive reference
 * kernels of ref_nn.h, on fixed and random shapes: stride 2, padding,
 * groups, depthwise, the 1x1 direct path, non-square inputs and kernels,
 * batches. Error metric: ref_rel_err (max |a - b| over the reference's
 * largest magnitude), allowed 1e-4.
 *
 * Each case builds a one-layer model (multi-input layers get 1x1-conv
 * producers and run as a part fed the test's inputs), draws weights and
 * inputs from fixed seeds, runs it and compares.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include "nn/nn_int.h"
#include "unit/nn/ref_nn.h"

#define TOL 1e-4

/* A one-layer test model and its buffers. */
struct rig {
    struct nn_model *m;                  /* the model */
    int layer;                           /* index of the layer under test */
    size_t n_in;                         /* its inputs */
    struct nn_shape in_s[NN_MAX_INPUTS]; /* their shapes */
    float *in[NN_MAX_INPUTS];            /* their data (aligned, owned) */
    float *w;                            /* the layer's weights (borrowed) */
    size_t n_w;                          /* their count */
    float *ref;                          /* reference output buffer (owned) */
    struct core_rng *r;                  /* data stream */
};

static void rig_build(struct rig *g, enum nn_op op, const struct nn_params *p,
                      const struct nn_shape *ins, size_t n_in, uint64_t seed)
{
    struct core_err e;
    struct nn_shape s;
    size_t i;
    int rc;

    memset(g, 0, sizeof(*g));
    g->n_in = n_in;
    g->r = core_rng_create(seed, 0, CORE_RNG_BENCH);
    assert_non_null(g->r);
    if (n_in == 1) {
        assert_int_equal(nn_model_create(&ins[0], &g->m, &e), CORE_OK);
        rc = nn_model_add(g->m, op, p, (int[]){NN_INPUT}, 1, "under_test", &g->layer, &e);
    } else {
        int prod[NN_MAX_INPUTS];
        s = (struct nn_shape){ins[0].n, 1, ins[0].h, ins[0].w};
        assert_int_equal(nn_model_create(&s, &g->m, &e), CORE_OK);
        for (i = 0; i < n_in; i++) {
            struct nn_params q = {.out_channels = ins[i].c, .kernel_h = 1};
            assert_int_equal(
                nn_model_add(g->m, NN_OP_CONV2D, &q, (int[]){NN_INPUT}, 1, NULL, &prod[i], &e),
                CORE_OK);
        }
        rc = nn_model_add(g->m, op, p, prod, n_in, "under_test", &g->layer, &e);
    }
    if (rc != CORE_OK)
        print_error("add: %s\n", e.msg);
    assert_int_equal(rc, CORE_OK);
    assert_int_equal(nn_model_finalize(g->m, seed, &e), CORE_OK);
    for (i = 0; i < n_in; i++) {
        g->in_s[i] = ins[i];
        g->in[i] = core_aligned_alloc(64, ref_elems(&ins[i]) * sizeof(float));
        assert_non_null(g->in[i]);
        ref_fill(g->in[i], ref_elems(&ins[i]), g->r, -1.0, 1.0);
    }
    g->w = nn_model_layer_weights(g->m, g->layer, &g->n_w);
    if (g->w)
        ref_fill(g->w, g->n_w, g->r, -1.0, 1.0);
    s = nn_model_shape(g->m, g->layer);
    g->ref = core_malloc(ref_elems(&s) * sizeof(float));
    assert_non_null(g->ref);
}

static const float *rig_run(struct rig *g)
{
    struct core_err e;
    int rc;

    if (g->n_in == 1) {
        rc = nn_model_forward(g->m, g->in[0], 1, &e);
    } else {
        bool member[NN_MAX_INPUTS + 1] = {false};
        member[g->layer] = true;
        rc = nn_model_forward_part(g->m, member, (const float *const *)g->in, NULL, 1, &e);
    }
    if (rc != CORE_OK)
        print_error("forward: %s\n", e.msg);
    assert_int_equal(rc, CORE_OK);
    assert_non_null(nn_model_output(g->m));
    return nn_model_output(g->m);
}

static void rig_check(struct rig *g, const char *what)
{
    struct nn_shape s = nn_model_shape(g->m, g->layer);
    const float *out = rig_run(g);
    double err = ref_rel_err(out, g->ref, ref_elems(&s));

    print_message("%s: relative error %.3g (allowed %.1g)\n", what, err, TOL);
    if (!(err <= TOL)) {
        print_error("%s: relative error %.3g, allowed %.1g\n", what, err, TOL);
        fail();
    }
}

static void rig_free(struct rig *g)
{
    size_t i;

    for (i = 0; i < g->n_in; i++)
        core_free(g->in[i]);
    core_free(g->ref);
    nn_model_destroy(g->m);
    core_rng_destroy(g->r);
}

/* ---- conv2d ------------------------------------------------------------ */

struct conv_case {
    uint32_t n, c, h, w; /* input shape */
    uint32_t k, kh, kw, stride, pad, groups;
    bool bias;
    enum nn_act act;
};

static void check_conv(const struct conv_case *cc, uint64_t seed)
{
    const struct nn_shape is = {cc->n, cc->c, cc->h, cc->w};
    const struct nn_params p = {.out_channels = cc->k,
                                .kernel_h = cc->kh,
                                .kernel_w = cc->kw,
                                .stride = cc->stride,
                                .pad = cc->pad,
                                .groups = cc->groups,
                                .bias = cc->bias,
                                .act = cc->act};
    const size_t nw = (size_t)cc->k * (cc->c / cc->groups) * cc->kh * cc->kw;
    struct rig g;
    char what[160];

    rig_build(&g, NN_OP_CONV2D, &p, &is, 1, seed);
    assert_int_equal(g.n_w, nw + (cc->bias ? cc->k : 0));
    ref_conv2d(g.in[0], &is, g.w, cc->bias ? g.w + nw : NULL, cc->k, cc->kh, cc->kw, cc->stride,
               cc->pad, cc->groups, cc->act, g.ref);
    snprintf(what, sizeof(what), "conv2d in (%u,%u,%u,%u) K=%u k=%ux%u s=%u p=%u g=%u", cc->n,
             cc->c, cc->h, cc->w, cc->k, cc->kh, cc->kw, cc->stride, cc->pad, cc->groups);
    rig_check(&g, what);
    rig_free(&g);
}

static void test_conv2d_matches_reference_on_fixed_shapes(void **state)
{
    static const struct conv_case cases[] = {
        {1, 3, 9, 7, 5, 3, 3, 1, 1, 1, true, NN_ACT_NONE},      /* non-square input */
        {2, 4, 11, 8, 6, 3, 3, 2, 1, 1, false, NN_ACT_RELU},    /* stride 2, batch 2 */
        {1, 6, 10, 10, 9, 3, 3, 1, 0, 3, true, NN_ACT_RELU6},   /* groups */
        {1, 8, 12, 9, 8, 3, 3, 2, 1, 8, true, NN_ACT_NONE},     /* depthwise, stride 2 */
        {2, 8, 7, 7, 8, 5, 5, 1, 2, 8, false, NN_ACT_RELU},     /* depthwise 5x5 */
        {1, 16, 6, 5, 12, 1, 1, 1, 0, 1, true, NN_ACT_NONE},    /* 1x1 direct */
        {2, 16, 6, 5, 12, 1, 1, 1, 0, 4, false, NN_ACT_NONE},   /* 1x1 direct, groups */
        {1, 5, 13, 9, 7, 1, 1, 2, 0, 1, true, NN_ACT_NONE},     /* 1x1 stride 2: im2col */
        {1, 3, 15, 13, 4, 3, 5, 1, 1, 1, true, NN_ACT_NONE},    /* non-square kernel */
        {1, 3, 20, 20, 8, 7, 7, 3, 3, 1, true, NN_ACT_RELU},    /* 7x7 stride 3 */
        {1, 4, 5, 5, 3, 5, 5, 1, 0, 1, true, NN_ACT_NONE},      /* kernel = input */
        {1, 3, 4, 6, 2, 3, 3, 2, 2, 1, true, NN_ACT_NONE},      /* heavy padding */
        {1, 3, 224, 224, 4, 3, 3, 1, 1, 1, true, NN_ACT_RELU},  /* im2col in 2 strips */
        {1, 8, 150, 130, 4, 5, 5, 1, 2, 2, false, NN_ACT_NONE}, /* 4 uneven strips, groups */
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++)
        check_conv(&cases[i], 100 + i);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_conv2d_matches_reference_on_random_shapes(void **state)
{
    struct core_rng *r = core_rng_create(7, 0, CORE_RNG_BENCH);
    int i;

    for (i = 0; i < 40; i++) {
        struct conv_case cc;
        uint32_t g = 1 + (uint32_t)core_rng_below(r, 3);
        cc.n = 1 + (uint32_t)core_rng_below(r, 2);
        cc.c = g * (1 + (uint32_t)core_rng_below(r, 5));
        cc.k = g * (1 + (uint32_t)core_rng_below(r, 6));
        cc.groups = g;
        if (core_rng_below(r, 4) == 0) /* depthwise */
            cc.k = cc.groups = cc.c;
        cc.kh = 1 + (uint32_t)core_rng_below(r, 5);
        cc.kw = core_rng_below(r, 3) == 0 ? 1 + (uint32_t)core_rng_below(r, 5) : cc.kh;
        cc.stride = 1 + (uint32_t)core_rng_below(r, 3);
        cc.pad = (uint32_t)core_rng_below(r, 3);
        cc.h = cc.kh + (uint32_t)core_rng_below(r, 12);
        cc.w = cc.kw + (uint32_t)core_rng_below(r, 12);
        cc.bias = core_rng_below(r, 2) == 1;
        cc.act = (enum nn_act)core_rng_below(r, NN_ACT_COUNT);
        check_conv(&cc, 1000 + (uint64_t)i);
    }
    core_rng_destroy(r);
    assert_int_equal(core_alloc_live(), 0);
}

/* The vector paths of the kernels: depthwise rows of 16 columns and more
 * with a tail (and the last channel's short block stored lane by lane),
 * the stride-2 deinterleave, stride 3, the bias-activation pass after a 1x1
 * GEMM over rows of 16 and a tail, and im2col's stride-2 gather. */
static void test_conv2d_vector_paths_match_reference(void **state)
{
    static const struct conv_case cases[] = {
        {1, 5, 40, 37, 5, 3, 3, 1, 1, 5, true, NN_ACT_RELU6},   /* dw: 16s, 8, tail 5 */
        {1, 3, 16, 16, 3, 3, 3, 1, 1, 3, true, NN_ACT_NONE},    /* dw: one 16 block */
        {2, 6, 41, 45, 6, 3, 3, 2, 1, 6, true, NN_ACT_RELU6},   /* dw stride 2, batch 2 */
        {1, 4, 30, 52, 4, 3, 3, 2, 0, 4, false, NN_ACT_RELU},   /* dw stride 2, no pad */
        {1, 4, 33, 50, 4, 5, 3, 3, 2, 4, true, NN_ACT_RELU},    /* dw stride 3, 5x3 */
        {1, 2, 9, 70, 2, 7, 7, 1, 3, 2, true, NN_ACT_RELU6},    /* dw 7x7 */
        {1, 16, 30, 31, 12, 1, 1, 1, 0, 1, true, NN_ACT_RELU6}, /* 1x1 + bias, relu6 */
        {1, 8, 7, 9, 20, 1, 1, 1, 0, 1, false, NN_ACT_RELU},    /* 1x1, relu, no bias */
        {1, 3, 30, 50, 8, 3, 3, 2, 1, 1, true, NN_ACT_RELU6},   /* im2col stride 2 */
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++)
        check_conv(&cases[i], 300 + i);
    assert_int_equal(core_alloc_live(), 0);
}

/* The baseline (SSE2) and AVX2 copies of the vector kernels give the same
 * bits: depthwise at strides 1 and 2 and the bias-activation pass after a
 * 1x1 and an im2col GEMM. (On a CPU without AVX2 both runs use the
 * baseline; the comparison then holds trivially and says so.) */
static void test_baseline_and_avx2_kernels_give_the_same_bits(void **state)
{
    static const struct conv_case cases[] = {
        {1, 5, 40, 37, 5, 3, 3, 1, 1, 5, true, NN_ACT_RELU6},
        {2, 6, 41, 45, 6, 3, 3, 2, 1, 6, true, NN_ACT_RELU},
        {1, 16, 30, 31, 12, 1, 1, 1, 0, 1, true, NN_ACT_RELU6},
        {1, 3, 30, 50, 8, 3, 3, 2, 1, 1, true, NN_ACT_NONE},
    };
    size_t i;

    print_message("AVX2 copies %s\n", core_cpu_avx2() ? "available" : "not available here");
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        const struct conv_case *cc = &cases[i];
        const struct nn_shape is = {cc->n, cc->c, cc->h, cc->w};
        const struct nn_params p = {.out_channels = cc->k,
                                    .kernel_h = cc->kh,
                                    .kernel_w = cc->kw,
                                    .stride = cc->stride,
                                    .pad = cc->pad,
                                    .groups = cc->groups,
                                    .bias = cc->bias,
                                    .act = cc->act};
        struct nn_shape os;
        struct rig g;
        float *fast;
        size_t n;
        rig_build(&g, NN_OP_CONV2D, &p, &is, 1, 450 + i);
        os = nn_model_shape(g.m, g.layer);
        n = ref_elems(&os);
        fast = core_malloc(n * sizeof(float));
        assert_non_null(fast);
        memcpy(fast, rig_run(&g), n * sizeof(float));
        core_cpu_avx2_off(true);
        assert_false(core_cpu_avx2());
        assert_memory_equal(rig_run(&g), fast, n * sizeof(float));
        core_cpu_avx2_off(false);
        core_free(fast);
        rig_free(&g);
    }
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- fc ---------------------------------------------------------------- */

static void test_fc_matches_reference_at_batch_1_and_3(void **state)
{
    static const struct nn_shape shapes[] = {
        {1, 37, 1, 1}, {1, 5, 3, 4}, {3, 6, 2, 5}, {3, 300, 1, 1}};
    static const uint32_t outs[] = {11, 7, 9, 64};
    size_t i;

    for (i = 0; i < ARRAY_LEN(shapes); i++) {
        const size_t f = (size_t)shapes[i].c * shapes[i].h * shapes[i].w;
        const bool bias = i != 1;
        const struct nn_params p = {
            .out_channels = outs[i], .bias = bias, .act = i == 2 ? NN_ACT_RELU : NN_ACT_NONE};
        struct rig g;
        rig_build(&g, NN_OP_FC, &p, &shapes[i], 1, 200 + i);
        assert_int_equal(g.n_w, outs[i] * f + (bias ? outs[i] : 0));
        ref_fc(g.in[0], shapes[i].n, f, g.w, bias ? g.w + outs[i] * f : NULL, outs[i], p.act,
               g.ref);
        rig_check(&g, "fc");
        rig_free(&g);
    }
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- batch norm, activations ------------------------------------------- */

static void test_batchnorm_not_after_conv_runs_as_affine(void **state)
{
    const struct nn_shape s = {2, 5, 4, 3};
    const struct nn_params p = {.eps = 1e-3f};
    struct rig g;
    uint32_t c;

    rig_build(&g, NN_OP_BATCHNORM, &p, &s, 1, 300);
    assert_int_equal(g.n_w, 4 * 5);
    for (c = 0; c < 5; c++)
        g.w[15 + c] = (float)core_rng_uniform_in(g.r, 0.2, 3.0); /* variance > 0 */
    assert_int_equal(nn_model_fold_batchnorm(g.m), 0);
    ref_batchnorm(g.in[0], &s, g.w, g.w + 5, g.w + 10, g.w + 15, 1e-3f, g.ref);
    rig_check(&g, "batchnorm");
    rig_free(&g);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_relu_and_relu6_clip_as_defined(void **state)
{
    const struct nn_shape s = {2, 3, 5, 7};
    const size_t n = ref_elems(&s);
    struct rig g;
    size_t i;

    rig_build(&g, NN_OP_RELU, NULL, &s, 1, 400);
    ref_fill(g.in[0], n, g.r, -10.0, 10.0);
    for (i = 0; i < n; i++)
        g.ref[i] = ref_act(g.in[0][i], NN_ACT_RELU);
    rig_check(&g, "relu");
    rig_free(&g);

    rig_build(&g, NN_OP_RELU6, NULL, &s, 1, 401);
    ref_fill(g.in[0], n, g.r, -10.0, 10.0);
    for (i = 0; i < n; i++)
        g.ref[i] = ref_act(g.in[0][i], NN_ACT_RELU6);
    rig_check(&g, "relu6");
    rig_free(&g);
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- pools ------------------------------------------------------------- */

struct pool_case {
    struct nn_shape s;
    uint32_t kh, kw, stride, pad;
};

/* The last four have rows wide enough for the vector paths of the window
 * loop (stride 1, the stride-2 deinterleave, stride 3) and edge outputs on
 * both sides. */
static const struct pool_case pool_cases[] = {
    {{1, 3, 8, 8}, 2, 2, 2, 0},   {{2, 4, 9, 7}, 3, 3, 2, 1},   {{1, 2, 6, 11}, 3, 3, 1, 1},
    {{1, 5, 7, 5}, 2, 3, 1, 1},   {{1, 2, 13, 13}, 3, 3, 2, 0}, {{1, 1, 5, 5}, 5, 5, 1, 2},
    {{1, 3, 20, 57}, 3, 3, 2, 1}, {{1, 2, 10, 64}, 2, 2, 2, 0}, {{1, 2, 9, 40}, 3, 3, 3, 1},
    {{2, 2, 8, 33}, 3, 2, 1, 1},
};

static void check_pools(bool is_max)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(pool_cases); i++) {
        const struct pool_case *pc = &pool_cases[i];
        const struct nn_params p = {
            .kernel_h = pc->kh, .kernel_w = pc->kw, .stride = pc->stride, .pad = pc->pad};
        struct rig g;
        rig_build(&g, is_max ? NN_OP_MAXPOOL : NN_OP_AVGPOOL, &p, &pc->s, 1, 500 + i);
        ref_pool(g.in[0], &pc->s, pc->kh, pc->kw, pc->stride, pc->pad, is_max, g.ref);
        rig_check(&g, is_max ? "maxpool" : "avgpool");
        rig_free(&g);
    }
    assert_int_equal(core_alloc_live(), 0);
}

static void test_maxpool_matches_reference(void **state)
{
    check_pools(true);
}

static void test_avgpool_matches_reference_counting_padding(void **state)
{
    check_pools(false);
}

static void test_gap_averages_each_channel(void **state)
{
    const struct nn_shape s = {2, 6, 7, 5};
    struct rig g;

    rig_build(&g, NN_OP_GAP, NULL, &s, 1, 600);
    ref_pool(g.in[0], &s, 7, 5, 1, 0, false, g.ref);
    assert_int_equal(nn_model_shape(g.m, g.layer).c, 6);
    assert_int_equal(nn_model_shape(g.m, g.layer).h, 1);
    rig_check(&g, "gap");
    rig_free(&g);
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- add, concat ------------------------------------------------------- */

static void test_add_sums_two_and_three_inputs(void **state)
{
    const struct nn_shape s[3] = {{2, 3, 4, 5}, {2, 3, 4, 5}, {2, 3, 4, 5}};
    const size_t n = ref_elems(&s[0]);
    size_t k, i;

    for (k = 2; k <= 3; k++) {
        struct rig g;
        rig_build(&g, NN_OP_ADD, NULL, s, k, 700 + k);
        for (i = 0; i < n; i++)
            g.ref[i] = (float)((double)g.in[0][i] + g.in[1][i] + (k == 3 ? g.in[2][i] : 0.0));
        rig_check(&g, "add");
        rig_free(&g);
    }
    assert_int_equal(core_alloc_live(), 0);
}

static void test_concat_stacks_channels_per_item(void **state)
{
    const struct nn_shape s[3] = {{2, 3, 4, 5}, {2, 1, 4, 5}, {2, 4, 4, 5}};
    const size_t hw = 20;
    struct rig g;
    size_t n, i, at = 0;

    rig_build(&g, NN_OP_CONCAT, NULL, s, 3, 800);
    assert_int_equal(nn_model_shape(g.m, g.layer).c, 8);
    for (n = 0; n < 2; n++)
        for (i = 0; i < 3; i++) {
            memcpy(g.ref + at, g.in[i] + n * s[i].c * hw, s[i].c * hw * sizeof(float));
            at += s[i].c * hw;
        }
    rig_check(&g, "concat");
    rig_free(&g);
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- flatten, dropout, softmax ----------------------------------------- */

static void test_flatten_and_dropout_pass_values_unchanged(void **state)
{
    const struct nn_shape s = {2, 3, 4, 5};
    struct nn_shape o;
    struct rig g;

    rig_build(&g, NN_OP_FLATTEN, NULL, &s, 1, 900);
    o = nn_model_shape(g.m, g.layer);
    assert_int_equal(o.n, 2);
    assert_int_equal(o.c, 60);
    assert_int_equal(o.h * o.w, 1);
    memcpy(g.ref, g.in[0], ref_elems(&s) * sizeof(float));
    rig_check(&g, "flatten");
    assert_memory_equal(rig_run(&g), g.in[0], ref_elems(&s) * sizeof(float));
    rig_free(&g);

    rig_build(&g, NN_OP_DROPOUT, NULL, &s, 1, 901);
    assert_memory_equal(rig_run(&g), g.in[0], ref_elems(&s) * sizeof(float));
    rig_free(&g);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_softmax_matches_reference_and_sums_to_one(void **state)
{
    const struct nn_shape s = {3, 10, 2, 1};
    const float *out;
    struct rig g;
    uint32_t n;
    size_t i;

    rig_build(&g, NN_OP_SOFTMAX, NULL, &s, 1, 1000);
    ref_fill(g.in[0], ref_elems(&s), g.r, -30.0, 30.0);
    ref_softmax(g.in[0], 3, 20, g.ref);
    rig_check(&g, "softmax");
    out = rig_run(&g);
    for (n = 0; n < 3; n++) {
        double sum = 0.0;
        for (i = 0; i < 20; i++)
            sum += out[n * 20 + i];
        if (fabs(sum - 1.0) > 1e-5) {
            print_error("item %u sums to %.8f, expected 1 +- 1e-5\n", n, sum);
            fail();
        }
    }
    rig_free(&g);
    assert_int_equal(core_alloc_live(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv2d_matches_reference_on_fixed_shapes),
        cmocka_unit_test(test_conv2d_matches_reference_on_random_shapes),
        cmocka_unit_test(test_conv2d_vector_paths_match_reference),
        cmocka_unit_test(test_baseline_and_avx2_kernels_give_the_same_bits),
        cmocka_unit_test(test_fc_matches_reference_at_batch_1_and_3),
        cmocka_unit_test(test_batchnorm_not_after_conv_runs_as_affine),
        cmocka_unit_test(test_relu_and_relu6_clip_as_defined),
        cmocka_unit_test(test_maxpool_matches_reference),
        cmocka_unit_test(test_avgpool_matches_reference_counting_padding),
        cmocka_unit_test(test_gap_averages_each_channel),
        cmocka_unit_test(test_add_sums_two_and_three_inputs),
        cmocka_unit_test(test_concat_stacks_channels_per_item),
        cmocka_unit_test(test_flatten_and_dropout_pass_values_unchanged),
        cmocka_unit_test(test_softmax_matches_reference_and_sums_to_one),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
