/*
 * test_zoo_layers.c — the layer types the newer zoo models brought, against
 * naive references (ref_nn.h): the activations sigmoid, hardsigmoid,
 * hardswish and silu (as layers and fused into conv2d, depthwise conv2d and
 * fc), the broadcast product of squeeze-and-excitation, channel slices and
 * the channel shuffle of ShuffleNet, and max pooling in ceil mode.
 *
 * Activations are checked element by element: |y - ref| <= 4e-7 max(1,
 * |ref|) (float32 rounding of a function within 2 ulp), on values that
 * cover every branch (both clamps of the hard ones, the exponential's
 * clamped range); a layer with weights against the reference of its op at
 * ref_rel_err <= 1e-4 as in test_layers.c. Copies (slice, shuffle) must be
 * exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include "nn/nn_int.h"
#include "unit/nn/ref_nn.h"

#define TOL     1e-4
#define ACT_TOL 4e-7

static const enum nn_op act_ops[] = {NN_OP_SIGMOID, NN_OP_HARDSIGMOID, NN_OP_HARDSWISH, NN_OP_SILU};

/* A model of one layer of op reading the model input of shape *s, or, for
 * two-input ops, two 1x1 conv producers of shapes s[0] and s[1] from a
 * one-channel input (the test then runs the layer alone as a part). */
static struct nn_model *one_layer(enum nn_op op, const struct nn_params *p,
                                  const struct nn_shape *s, size_t n_in, uint64_t seed, int *layer)
{
    struct nn_model *m;
    struct core_err e;
    int prod[2], rc;

    if (n_in == 1) {
        assert_int_equal(nn_model_create(s, &m, &e), CORE_OK);
        rc = nn_model_add(m, op, p, (int[]){NN_INPUT}, 1, "under_test", layer, &e);
    } else {
        const struct nn_shape in = {s[0].n, 1, s[0].h, s[0].w};
        assert_int_equal(nn_model_create(&in, &m, &e), CORE_OK);
        for (size_t i = 0; i < 2; i++) {
            const struct nn_params q = {.out_channels = s[i].c, .kernel_h = 1};
            const struct nn_params pool = {.kernel_h = s[0].h, .kernel_w = s[0].w};
            int c;
            assert_int_equal(nn_model_add(m, NN_OP_CONV2D, &q, (int[]){NN_INPUT}, 1, NULL, &c, &e),
                             CORE_OK);
            prod[i] = c;
            if (s[i].h != s[0].h)
                assert_int_equal(
                    nn_model_add(m, NN_OP_MAXPOOL, &pool, (int[]){c}, 1, NULL, &prod[i], &e),
                    CORE_OK);
        }
        rc = nn_model_add(m, op, p, prod, 2, "under_test", layer, &e);
    }
    if (rc != CORE_OK)
        print_error("add: %s\n", e.msg);
    assert_int_equal(rc, CORE_OK);
    assert_int_equal(nn_model_finalize(m, seed, &e), CORE_OK);
    return m;
}

static float *alloc_filled(size_t n, struct core_rng *r, double lo, double hi)
{
    float *x = core_aligned_alloc(64, (n ? n : 1) * sizeof(float));

    assert_non_null(x);
    ref_fill(x, n, r, lo, hi);
    return x;
}

/* Run layer alone on inputs in[] (part run) or the whole model on in[0]. */
static const float *run(struct nn_model *m, int layer, const float *const *in, int threads)
{
    struct core_err e;
    bool member[8] = {false};
    int rc;

    if (layer == 0) {
        rc = nn_model_forward(m, in[0], threads, &e);
    } else {
        member[layer] = true;
        rc = nn_model_forward_part(m, member, in, NULL, threads, &e);
    }
    if (rc != CORE_OK)
        print_error("forward: %s\n", e.msg);
    assert_int_equal(rc, CORE_OK);
    return nn_model_output(m);
}

/* |y - ref| <= ACT_TOL max(1, |ref|) everywhere; prints the worst. */
static void check_close(const char *what, const float *y, const float *ref, size_t n)
{
    double worst = 0.0;
    size_t at = 0;

    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)y[i] - ref[i]) / fmax(1.0, fabs(ref[i]));
        if (!(d <= worst)) {
            worst = d;
            at = i;
        }
    }
    print_message("%s: worst error %.3g at %zu (%g, reference %g; allowed %.1g)\n", what, worst, at,
                  (double)y[at], (double)ref[at], ACT_TOL);
    if (!(worst <= ACT_TOL)) {
        print_error("%s: error %.3g at element %zu: %.9g, reference %.9g\n", what, worst, at,
                    (double)y[at], (double)ref[at]);
        fail();
    }
}

/* ---- activations --------------------------------------------------------- */

/* Values over every branch: random in [-12, 12], then the clamps' edges,
 * zeros, and far out where exp over- and underflows. */
static void fill_act_inputs(float *x, size_t n, struct core_rng *r)
{
    static const float special[] = {-100.0f, -88.5f, -87.0f, -20.0f,  -3.0f, -2.9999f, -1e-8f,
                                    0.0f,    -0.0f,  1e-8f,  2.9999f, 3.0f,  3.0001f,  20.0f,
                                    87.0f,   88.5f,  100.0f, 1e30f,   -1e30f};

    ref_fill(x, n, r, -12.0, 12.0);
    for (size_t i = 0; i < ARRAY_LEN(special) && i < n; i++)
        x[i * 7 % n] = special[i];
}

static void test_activation_layers_match_their_definitions(void **state)
{
    /* 1011 elements: vector blocks and a tail of 3. */
    const struct nn_shape s = {1, 3, 1, 337};
    const size_t n = ref_elems(&s);
    struct core_rng *r = core_rng_create(11, 0, CORE_RNG_BENCH);

    for (size_t k = 0; k < ARRAY_LEN(act_ops); k++) {
        int layer;
        struct nn_model *m = one_layer(act_ops[k], NULL, &s, 1, 1, &layer);
        float *x = alloc_filled(n, r, -1, 1), *ref = core_malloc(n * sizeof(float));
        const enum nn_act act = nn_act_of_op(act_ops[k]);
        const float *y;

        assert_non_null(ref);
        fill_act_inputs(x, n, r);
        for (size_t i = 0; i < n; i++)
            ref[i] = ref_act(x[i], act);
        y = run(m, 0, (const float *const[]){x}, 1);
        check_close(nn_op_name(act_ops[k]), y, ref, n);
        assert_int_equal(nn_model_shape(m, layer).c, 3);
        core_free(ref);
        core_free(x);
        nn_model_destroy(m);
    }
    core_rng_destroy(r);
    assert_int_equal(core_alloc_live(), 0);
}

/* Where an element sits (a vector block or the tail, any offset) does not
 * change its bits; the baseline and AVX2 copies agree bit for bit; the
 * limits come out exactly (sigmoid(+-inf) = 1, 0; silu(inf) = inf,
 * silu(-1000) = 0; hardsigmoid(+-inf) = 1, 0). */
static void test_activation_kernel_bits_do_not_depend_on_position_or_copy(void **state)
{
    enum { N = 203 };
    struct core_rng *r = core_rng_create(12, 0, CORE_RNG_BENCH);
    float x[N], whole[N], piece[N], base[N];

    fill_act_inputs(x, N, r);
    for (int a = NN_ACT_NONE; a < NN_ACT_COUNT; a++) {
        nn_act_apply(whole, x, N, (enum nn_act)a);
        for (size_t lo = 0; lo < N; lo += 5)
            nn_act_apply(piece + lo, x + lo, lo + 5 <= N ? 5 : N - lo, (enum nn_act)a);
        assert_memory_equal(whole, piece, sizeof(whole));
        core_cpu_avx2_off(true);
        nn_act_apply(base, x, N, (enum nn_act)a);
        core_cpu_avx2_off(false);
        assert_memory_equal(whole, base, sizeof(whole));
    }
    {
        const float inf[2] = {INFINITY, -INFINITY};
        float y[2];
        nn_act_apply(y, inf, 2, NN_ACT_SIGMOID);
        assert_true(y[0] == 1.0f && y[1] == 0.0f);
        nn_act_apply(y, (const float[]){INFINITY, -1000.0f}, 2, NN_ACT_SILU);
        assert_true(y[0] == INFINITY && y[1] == 0.0f);
        nn_act_apply(y, inf, 2, NN_ACT_HARDSIGMOID);
        assert_true(y[0] == 1.0f && y[1] == 0.0f);
    }
    print_message("AVX2 copies %s\n", core_cpu_avx2() ? "available" : "not available here");
    core_rng_destroy(r);
}

/* The activations fused into a conv2d (1x1 direct, im2col, depthwise at
 * strides 1 and 2) and an fc, against the reference conv and fc. */
static void test_fused_activations_in_conv_and_fc_match_reference(void **state)
{
    static const struct {
        struct nn_shape s;
        uint32_t k, ks, stride, pad, groups;
    } convs[] = {
        {{1, 8, 9, 13}, 12, 1, 1, 0, 1}, /* 1x1 direct */
        {{2, 3, 11, 10}, 5, 3, 2, 1, 1}, /* im2col, batch 2 */
        {{1, 6, 17, 19}, 6, 3, 1, 1, 6}, /* depthwise */
        {{1, 4, 23, 21}, 4, 5, 2, 2, 4}, /* depthwise 5x5 stride 2 */
    };
    struct core_rng *r = core_rng_create(13, 0, CORE_RNG_BENCH);

    for (int a = NN_ACT_SIGMOID; a < NN_ACT_COUNT; a++) {
        for (size_t i = 0; i < ARRAY_LEN(convs); i++) {
            const struct nn_params p = {.out_channels = convs[i].k,
                                        .kernel_h = convs[i].ks,
                                        .stride = convs[i].stride,
                                        .pad = convs[i].pad,
                                        .groups = convs[i].groups,
                                        .bias = true,
                                        .act = (enum nn_act)a};
            const size_t n_in = ref_elems(&convs[i].s);
            int layer;
            struct nn_model *m = one_layer(NN_OP_CONV2D, &p, &convs[i].s, 1, 2, &layer);
            struct nn_shape os = nn_model_shape(m, layer);
            size_t nw, n_out = ref_elems(&os);
            float *w = nn_model_layer_weights(m, layer, &nw);
            float *x = alloc_filled(n_in, r, -2.0, 2.0), *ref = core_malloc(n_out * sizeof(float));
            double err;
            assert_non_null(ref);
            ref_fill(w, nw, r, -1.0, 1.0);
            ref_conv2d(x, &convs[i].s, w, w + nw - convs[i].k, convs[i].k, convs[i].ks, convs[i].ks,
                       convs[i].stride, convs[i].pad, convs[i].groups, (enum nn_act)a, ref);
            err = ref_rel_err(run(m, 0, (const float *const[]){x}, 1), ref, n_out);
            print_message("conv2d %zu + %s: relative error %.3g\n", i, nn_act_name(a), err);
            assert_true(err <= TOL);
            core_free(ref);
            core_free(x);
            nn_model_destroy(m);
        }
        {
            const struct nn_shape s = {2, 37, 1, 1};
            const struct nn_params p = {.out_channels = 19, .bias = true, .act = (enum nn_act)a};
            int layer;
            struct nn_model *m = one_layer(NN_OP_FC, &p, &s, 1, 3, &layer);
            size_t nw;
            float *w = nn_model_layer_weights(m, layer, &nw);
            float *x = alloc_filled(74, r, -1.0, 1.0), ref[38];
            double err;
            ref_fill(w, nw, r, -1.0, 1.0);
            ref_fc(x, 2, 37, w, w + 19 * 37, 19, (enum nn_act)a, ref);
            err = ref_rel_err(run(m, 0, (const float *const[]){x}, 1), ref, 38);
            print_message("fc + %s: relative error %.3g\n", nn_act_name(a), err);
            assert_true(err <= TOL);
            core_free(x);
            nn_model_destroy(m);
        }
    }
    core_rng_destroy(r);
    assert_int_equal(core_alloc_live(), 0);
}

/* conv - batch norm - activation: fusing the activation changes no bit of
 * the output; at two threads a depthwise conv gives the bits of one. */
static void test_fusing_each_activation_keeps_the_bits(void **state)
{
    static const uint32_t groups[] = {1, 16};
    const struct nn_shape s = {1, 16, 40, 36};
    struct core_rng *r = core_rng_create(14, 0, CORE_RNG_BENCH);
    float *x = alloc_filled(ref_elems(&s), r, -1.0, 1.0);

    for (size_t k = 0; k < ARRAY_LEN(act_ops); k++) {
        for (size_t g = 0; g < ARRAY_LEN(groups); g++) {
            const struct nn_params pc = {
                .out_channels = 16, .kernel_h = 3, .pad = 1, .groups = groups[g]};
            struct nn_model *m;
            struct core_err e;
            int c, bn, act;
            size_t n;
            float *plain;

            assert_int_equal(nn_model_create(&s, &m, &e), CORE_OK);
            assert_int_equal(nn_model_add(m, NN_OP_CONV2D, &pc, (int[]){NN_INPUT}, 1, NULL, &c, &e),
                             CORE_OK);
            assert_int_equal(nn_model_add(m, NN_OP_BATCHNORM, NULL, &c, 1, NULL, &bn, &e), CORE_OK);
            assert_int_equal(nn_model_add(m, act_ops[k], NULL, &bn, 1, NULL, &act, &e), CORE_OK);
            assert_int_equal(nn_model_finalize(m, 5, &e), CORE_OK);
            n = ref_elems(&s);
            plain = core_malloc(n * sizeof(float));
            assert_non_null(plain);
            assert_int_equal(nn_model_fold_batchnorm(m), 1);
            memcpy(plain, run(m, 0, (const float *const[]){x}, 1), n * sizeof(float));
            assert_int_equal(nn_model_fuse_activations(m), 1);
            print_message("conv (groups %u) - batch norm - %s\n", groups[g],
                          nn_op_name(act_ops[k]));
            assert_memory_equal(run(m, 0, (const float *const[]){x}, 1), plain, n * sizeof(float));
            /* Two threads cut the dense conv's GEMM by columns (other bits,
             * sim/nn/layers/conv2d.c); the depthwise conv by channels. */
            if (groups[g] > 1)
                assert_memory_equal(run(m, 0, (const float *const[]){x}, 2), plain,
                                    n * sizeof(float));
            else
                assert_true(ref_rel_err(run(m, 0, (const float *const[]){x}, 2), plain, n) <= TOL);
            core_free(plain);
            nn_model_destroy(m);
        }
    }
    core_free(x);
    core_rng_destroy(r);
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- mul, slice, shuffle -------------------------------------------------- */

static void test_mul_multiplies_same_shapes_and_broadcasts_per_channel(void **state)
{
    static const struct nn_shape cases[][2] = {
        {{2, 3, 5, 7}, {2, 3, 5, 7}},  /* same shape */
        {{2, 5, 9, 11}, {2, 5, 1, 1}}, /* squeeze-and-excitation's scale */
        {{1, 4, 1, 1}, {1, 4, 1, 1}},  /* a 1x1 plane */
    };
    struct core_rng *r = core_rng_create(15, 0, CORE_RNG_BENCH);

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const struct nn_shape *s = cases[i];
        const size_t n = ref_elems(&s[0]), hw = (size_t)s[0].h * s[0].w;
        const bool bcast = s[1].h * s[1].w == 1;
        int layer;
        struct nn_model *m = one_layer(NN_OP_MUL, NULL, s, 2, 4, &layer);
        float *a = alloc_filled(n, r, -3.0, 3.0), *b = alloc_filled(ref_elems(&s[1]), r, -3, 3);
        float *ref = core_malloc(n * sizeof(float));
        const float *y;

        assert_non_null(ref);
        for (size_t j = 0; j < n; j++)
            ref[j] = a[j] * b[bcast ? j / hw : j];
        y = run(m, layer, (const float *const[]){a, b}, 1);
        assert_memory_equal(y, ref, n * sizeof(float));
        y = run(m, layer, (const float *const[]){a, b}, 2);
        assert_memory_equal(y, ref, n * sizeof(float));
        core_free(ref);
        core_free(a);
        core_free(b);
        nn_model_destroy(m);
    }
    core_rng_destroy(r);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_mul_refuses_shapes_it_cannot_broadcast(void **state)
{
    const struct nn_shape s = {1, 1, 6, 6};
    const struct nn_params q = {.out_channels = 4, .kernel_h = 1},
                           q2 = {.out_channels = 3, .kernel_h = 1};
    struct nn_model *m;
    struct core_err e;
    int a, b;

    assert_int_equal(nn_model_create(&s, &m, &e), CORE_OK);
    assert_int_equal(nn_model_add(m, NN_OP_CONV2D, &q, (int[]){NN_INPUT}, 1, NULL, &a, &e),
                     CORE_OK);
    assert_int_equal(nn_model_add(m, NN_OP_CONV2D, &q2, (int[]){NN_INPUT}, 1, NULL, &b, &e),
                     CORE_OK);
    assert_int_equal(nn_model_add(m, NN_OP_MUL, NULL, (int[]){a, b}, 2, "m", NULL, &e),
                     CORE_E_INPUT);
    print_message("%s\n", e.msg);
    assert_non_null(strstr(e.msg, "layer 2 'm' (mul): input 1 has shape (1, 3, 6, 6); it must be "
                                  "input 0's (1, 4, 6, 6) or (1, 4, 1, 1)"));
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_slice_copies_a_channel_range_of_each_item(void **state)
{
    const struct nn_shape s = {2, 7, 3, 5};
    const size_t hw = 15;
    const struct nn_params p = {.out_channels = 3, .offset = 4};
    struct core_rng *r = core_rng_create(16, 0, CORE_RNG_BENCH);
    float *x = alloc_filled(ref_elems(&s), r, -1, 1), ref[2 * 3 * 15];
    int layer;
    struct nn_model *m = one_layer(NN_OP_SLICE, &p, &s, 1, 1, &layer);
    struct nn_shape o = nn_model_shape(m, layer);
    struct core_err e;

    assert_true(o.n == 2 && o.c == 3 && o.h == 3 && o.w == 5);
    for (size_t n = 0; n < 2; n++)
        memcpy(ref + n * 3 * hw, x + (n * 7 + 4) * hw, 3 * hw * sizeof(float));
    assert_memory_equal(run(m, 0, (const float *const[]){x}, 1), ref, sizeof(ref));
    nn_model_destroy(m);

    assert_int_equal(nn_model_create(&s, &m, &e), CORE_OK);
    assert_int_equal(nn_model_add(m, NN_OP_SLICE,
                                  &(struct nn_params){.out_channels = 4, .offset = 4},
                                  (int[]){NN_INPUT}, 1, "s", NULL, &e),
                     CORE_E_INPUT);
    print_message("%s\n", e.msg);
    assert_non_null(strstr(e.msg, "offset + out_channels <= the input's 7 channels (got offset 4, "
                                  "out_channels 4)"));
    assert_int_equal(nn_model_add(m, NN_OP_SLICE, NULL, (int[]){NN_INPUT}, 1, "s", NULL, &e),
                     CORE_E_INPUT);
    nn_model_destroy(m);
    core_free(x);
    core_rng_destroy(r);
    assert_int_equal(core_alloc_live(), 0);
}

/* torchvision's channel_shuffle(x, 2) on 6 channels: 0 3 1 4 2 5; and in 3
 * groups: 0 2 4 1 3 5. */
static void test_shuffle_interleaves_the_groups_as_torchvision(void **state)
{
    static const struct {
        uint32_t groups;
        uint32_t from[6]; /* output channel i is input channel from[i] */
    } cases[] = {{2, {0, 3, 1, 4, 2, 5}}, {3, {0, 2, 4, 1, 3, 5}}, {1, {0, 1, 2, 3, 4, 5}}};
    const struct nn_shape s = {2, 6, 2, 3};
    struct core_rng *r = core_rng_create(17, 0, CORE_RNG_BENCH);
    float *x = alloc_filled(ref_elems(&s), r, -1, 1), ref[2 * 6 * 6];
    struct nn_model *m;
    struct core_err e;

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const struct nn_params p = {.groups = cases[i].groups};
        int layer;
        m = one_layer(NN_OP_SHUFFLE, &p, &s, 1, 1, &layer);
        for (size_t n = 0; n < 2; n++)
            for (size_t c = 0; c < 6; c++)
                memcpy(ref + (n * 6 + c) * 6, x + (n * 6 + cases[i].from[c]) * 6,
                       6 * sizeof(float));
        assert_memory_equal(run(m, 0, (const float *const[]){x}, 1), ref, sizeof(ref));
        nn_model_destroy(m);
    }
    assert_int_equal(nn_model_create(&s, &m, &e), CORE_OK);
    assert_int_equal(nn_model_add(m, NN_OP_SHUFFLE, &(struct nn_params){.groups = 4},
                                  (int[]){NN_INPUT}, 1, "sh", NULL, &e),
                     CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "groups 4 must divide the input channels 6"));
    nn_model_destroy(m);
    core_free(x);
    core_rng_destroy(r);
    assert_int_equal(core_alloc_live(), 0);
}

/* ---- max pooling in ceil mode -------------------------------------------- */

static void test_maxpool_ceil_mode_matches_pytorch_shapes_and_values(void **state)
{
    static const struct {
        struct nn_shape s;
        uint32_t k, stride, pad, ho, wo; /* ho, wo: PyTorch's output size */
    } cases[] = {
        {{1, 2, 112, 112}, 3, 2, 0, 56, 56}, /* GoogLeNet's maxpool1 (floor: 55) */
        {{1, 3, 28, 28}, 3, 2, 0, 14, 14},   /* maxpool3 (floor: 13) */
        {{1, 3, 14, 14}, 2, 2, 0, 7, 7},     /* maxpool4: no rounding */
        {{1, 2, 14, 14}, 3, 1, 1, 14, 14},   /* the inception branch's pool */
        {{1, 2, 111, 55}, 3, 2, 0, 55, 27},  /* SqueezeNet's maxpool */
        {{2, 3, 9, 10}, 3, 2, 1, 5, 6},      /* ceil with padding: one window dropped */
        {{1, 2, 6, 40}, 2, 4, 1, 2, 11},     /* stride beyond the kernel */
    };
    struct core_rng *r = core_rng_create(18, 0, CORE_RNG_BENCH);

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const struct nn_params p = {
            .kernel_h = cases[i].k, .stride = cases[i].stride, .pad = cases[i].pad, .ceil = true};
        int layer;
        struct nn_model *m = one_layer(NN_OP_MAXPOOL, &p, &cases[i].s, 1, 1, &layer);
        struct nn_shape o = nn_model_shape(m, layer);
        float *x = alloc_filled(ref_elems(&cases[i].s), r, -1, 1);
        float *ref = core_malloc(ref_elems(&o) * sizeof(float));

        assert_non_null(ref);
        print_message("maxpool %ux%u k=%u s=%u p=%u ceil: %ux%u (PyTorch %ux%u)\n", cases[i].s.h,
                      cases[i].s.w, cases[i].k, cases[i].stride, cases[i].pad, o.h, o.w,
                      cases[i].ho, cases[i].wo);
        assert_int_equal(o.h, cases[i].ho);
        assert_int_equal(o.w, cases[i].wo);
        ref_pool_ceil(x, &cases[i].s, cases[i].k, cases[i].k, cases[i].stride, cases[i].pad, true,
                      true, ref);
        assert_memory_equal(run(m, 0, (const float *const[]){x}, 1), ref,
                            ref_elems(&o) * sizeof(float));
        assert_memory_equal(run(m, 0, (const float *const[]){x}, 2), ref,
                            ref_elems(&o) * sizeof(float));
        core_free(ref);
        core_free(x);
        nn_model_destroy(m);
    }
    core_rng_destroy(r);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_avgpool_refuses_ceil_mode(void **state)
{
    const struct nn_shape s = {1, 1, 8, 8};
    struct nn_model *m;
    struct core_err e;

    assert_int_equal(nn_model_create(&s, &m, &e), CORE_OK);
    assert_int_equal(nn_model_add(m, NN_OP_AVGPOOL,
                                  &(struct nn_params){.kernel_h = 3, .stride = 2, .ceil = true},
                                  (int[]){NN_INPUT}, 1, "p", NULL, &e),
                     CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "ceil mode applies to maxpool only"));
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activation_layers_match_their_definitions),
        cmocka_unit_test(test_activation_kernel_bits_do_not_depend_on_position_or_copy),
        cmocka_unit_test(test_fused_activations_in_conv_and_fc_match_reference),
        cmocka_unit_test(test_fusing_each_activation_keeps_the_bits),
        cmocka_unit_test(test_mul_multiplies_same_shapes_and_broadcasts_per_channel),
        cmocka_unit_test(test_mul_refuses_shapes_it_cannot_broadcast),
        cmocka_unit_test(test_slice_copies_a_channel_range_of_each_item),
        cmocka_unit_test(test_shuffle_interleaves_the_groups_as_torchvision),
        cmocka_unit_test(test_maxpool_ceil_mode_matches_pytorch_shapes_and_values),
        cmocka_unit_test(test_avgpool_refuses_ceil_mode),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
