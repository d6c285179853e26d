/*
 * test_train.c — sim/nn's training: every layer type's backward pass against
 * finite differences (input and parameter gradients), gradients through
 * shared tensors, aliases and partial backward passes, the losses, the
 * optimisers against hand-computed steps, thread-count invariance, and the
 * errors.
 *
 * Finite differences: a test model ends in the layer under test; the loss is
 * L = sum_i r_i y_i over its output y for a fixed random r (so dL/dy = r and
 * the backward starts from r), evaluated in double from a training forward.
 * Each checked coordinate is moved by +-eps and (L+ - L-) / (2 eps) compared
 * with the analytic gradient; the error is the largest deviation relative
 * to the largest analytic gradient (ref_rel_err's metric). A coordinate
 * whose central difference is off while one one-sided difference matches (a
 * ReLU or max-pool switch crossed by the step on the other side) is skipped,
 * and at most a few may be.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "nn/nn.h"
#include "ref_nn.h"
#include "testutil.h"

static struct core_err err;

#define FD_EPS 1e-2
#define FD_TOL 2e-3
/* Most coordinates one check moves, per tensor (a random sample beyond). */
#define FD_MAX_COORDS 160

/* A model under test, its train object, its input and the loss weights r. */
struct fd {
    struct nn_model *m;
    struct nn_train *t;
    float *x;       /* input, owned */
    float *r;       /* dL/d output, owned */
    size_t n_in;    /* input floats */
    size_t n_out;   /* output floats */
    uint64_t seed;  /* the train object's seed */
    bool fresh;     /* a new train object per forward (dropout: the same mask) */
    double eps;     /* the step, FD_EPS unless a test sets a smaller one */
};

static size_t shape_elems(struct nn_shape s)
{
    return (size_t)s.n * s.c * s.h * s.w;
}

/* Finalize m (taken) and set up the fd for it: input from draw (NULL:
 * uniform in (-1, 1)), weights uniform in (-1, 1) for conv2d / fc and
 * gamma in (0.5, 1.5), beta in (-0.5, 0.5) for batch norms. */
static void fd_init(struct fd *f, struct nn_model *m, uint64_t seed,
                    void (*draw)(float *x, size_t n, struct core_rng *r))
{
    struct core_rng *r = core_rng_create(seed, 7, CORE_RNG_BENCH);
    const size_t layers = nn_model_n_layers(m);
    size_t i, n;

    assert_non_null(r);
    memset(f, 0, sizeof(*f));
    f->m = m;
    f->seed = seed;
    f->eps = FD_EPS;
    assert_core_rc(nn_model_finalize(m, seed, &err), CORE_OK);
    for (i = 0; i < layers; i++) {
        float *w = nn_model_layer_weights(m, (int)i, &n);
        if (nn_model_layer_op(m, (int)i) == NN_OP_BATCHNORM) {
            const size_t c = n / 4;
            ref_fill(w, c, r, 0.5, 1.5);
            ref_fill(w + c, c, r, -0.5, 0.5);
        } else if (w) {
            ref_fill(w, n, r, -1.0, 1.0);
        }
    }
    f->n_in = shape_elems(nn_model_shape(m, NN_INPUT));
    f->n_out = shape_elems(nn_model_shape(m, (int)layers - 1));
    f->x = core_malloc(f->n_in * sizeof(float));
    f->r = core_malloc(f->n_out * sizeof(float));
    assert_non_null(f->x);
    assert_non_null(f->r);
    if (draw)
        draw(f->x, f->n_in, r);
    else
        ref_fill(f->x, f->n_in, r, -1.0, 1.0);
    ref_fill(f->r, f->n_out, r, -1.0, 1.0);
    core_rng_destroy(r);
    assert_core_rc(nn_train_create(m, seed, true, &f->t, &err), CORE_OK);
}

static void fd_fini(struct fd *f)
{
    nn_train_destroy(f->t);
    nn_model_destroy(f->m);
    core_free(f->x);
    core_free(f->r);
}

/* L = sum r y after a training forward of the current input and weights. */
static double fd_loss(struct fd *f)
{
    const int last = (int)nn_model_n_layers(f->m) - 1;
    const float *y;
    double l = 0.0;
    size_t i;

    if (f->fresh) {
        nn_train_destroy(f->t);
        assert_core_rc(nn_train_create(f->m, f->seed, true, &f->t, &err), CORE_OK);
    }
    assert_core_rc(nn_train_forward(f->t, f->x, 1, &err), CORE_OK);
    y = nn_train_tensor(f->t, last);
    for (i = 0; i < f->n_out; i++)
        l += (double)f->r[i] * y[i];
    return l;
}

/* Compare the analytic gradient ana[0..n) of the floats v[0..n) with finite
 * differences; what names the tensor in messages. */
static void fd_compare(struct fd *f, float *v, const float *ana, size_t n, const char *what)
{
    struct core_rng *r = core_rng_create(f->seed, 9, CORE_RNG_BENCH);
    const size_t count = n < FD_MAX_COORDS ? n : FD_MAX_COORDS;
    float *num = core_malloc(count * sizeof(float)), *an = core_malloc(count * sizeof(float));
    size_t k, kept = 0, skipped = 0;
    double scale = 0.0, tol_scale;

    assert_non_null(r);
    assert_non_null(num);
    assert_non_null(an);
    for (k = 0; k < n; k++)
        scale = fabs(ana[k]) > scale ? fabs(ana[k]) : scale;
    tol_scale = scale > 1e-3 ? scale : 1e-3;
    for (k = 0; k < count; k++) {
        const size_t j = count == n ? k : (size_t)core_rng_below(r, n);
        const float keep = v[j];
        double lp, l0, lm, dp, dm;
        v[j] = keep + (float)f->eps;
        lp = fd_loss(f);
        v[j] = keep - (float)f->eps;
        lm = fd_loss(f);
        v[j] = keep;
        l0 = fd_loss(f);
        dp = (lp - l0) / f->eps;
        dm = (l0 - lm) / f->eps;
        /* A switch crossed on one side: the central difference is off, and
         * the one-sided difference on the other side matches. */
        if (fabs((lp - lm) / (2.0 * f->eps) - ana[j]) > FD_TOL * tol_scale &&
            (fabs(dp - ana[j]) <= FD_TOL * tol_scale || fabs(dm - ana[j]) <= FD_TOL * tol_scale)) {
            if (getenv("FD_DEBUG"))
                fprintf(stderr, "%s[%zu]: skip d+ %.5g d- %.5g analytic %.5g\n", what, j, dp, dm,
                        ana[j]);
            skipped++;
            continue;
        }
        num[kept] = (float)((lp - lm) / (2.0 * f->eps));
        an[kept] = ana[j];
        kept++;
    }
    if (skipped > 2 + count / 20) {
        print_error("%s: %zu of %zu coordinates cross a kink\n", what, skipped, count);
        fail();
    }
    {
        const double e = ref_rel_err(an, num, kept);
        if (!(e <= FD_TOL)) {
            for (k = 0; k < kept && k < 8; k++)
                print_error("  %s[%zu]: analytic %.6g, numeric %.6g\n", what, k, an[k], num[k]);
            print_error("%s: relative error %.3g > %.3g (%zu coordinates)\n", what, e, FD_TOL,
                        kept);
            fail();
        }
    }
    core_rng_destroy(r);
    core_free(num);
    core_free(an);
}

/* Backward from r, then check the input gradient and every layer's parameter
 * gradients against finite differences. */
static void fd_check(struct fd *f)
{
    const size_t layers = nn_model_n_layers(f->m);
    float *ana;
    size_t i, n, at;
    char what[96];

    fd_loss(f);
    assert_core_rc(nn_train_backward(f->t, (int)layers - 1, f->r, 1, &err), CORE_OK);
    /* Keep every gradient before the checks run their forwards (a fresh
     * train object starts with none). */
    ana = core_malloc((f->n_in + nn_train_n_params(f->t)) * sizeof(float) + 1);
    assert_non_null(ana);
    memcpy(ana, nn_train_input_grad(f->t), f->n_in * sizeof(float));
    at = f->n_in;
    for (i = 0; i < layers; i++) {
        const float *g = nn_train_grads(f->t, (int)i, &n);
        if (n)
            memcpy(ana + at, g, n * sizeof(float));
        at += n;
    }
    fd_compare(f, f->x, ana, f->n_in, "d input");
    at = f->n_in;
    for (i = 0; i < layers; i++) {
        size_t nw;
        float *w = nn_model_layer_weights(f->m, (int)i, &nw);
        nn_train_grads(f->t, (int)i, &n);
        if (n == 0)
            continue;
        snprintf(what, sizeof(what), "d %s params", nn_model_layer_name(f->m, (int)i));
        fd_compare(f, w, ana + at, n, what);
        at += n;
    }
    core_free(ana);
}

static struct nn_model *model_at(uint32_t n, uint32_t c, uint32_t h, uint32_t w)
{
    const struct nn_shape s = {n, c, h, w};
    struct nn_model *m;

    assert_core_rc(nn_model_create(&s, &m, &err), CORE_OK);
    return m;
}

static int add_layer(struct nn_model *m, enum nn_op op, const struct nn_params *p, const int *in,
                     size_t n_in)
{
    int index;

    assert_core_rc(nn_model_add(m, op, p, in, n_in, NULL, &index, &err), CORE_OK);
    return index;
}

static int add1(struct nn_model *m, enum nn_op op, const struct nn_params *p, int in)
{
    return add_layer(m, op, p, &in, 1);
}

/* One layer of type op on an input of shape (n, c, h, w), checked with step
 * eps. */
static void check_eps(enum nn_op op, const struct nn_params *p, uint32_t n, uint32_t c,
                      uint32_t h, uint32_t w, uint64_t seed,
                      void (*draw)(float *x, size_t count, struct core_rng *r), double eps)
{
    struct nn_model *m = model_at(n, c, h, w);
    struct fd f;

    add1(m, op, p, NN_INPUT);
    fd_init(&f, m, seed, draw);
    f.eps = eps;
    fd_check(&f);
    fd_fini(&f);
}

static void check_single(enum nn_op op, const struct nn_params *p, uint32_t n, uint32_t c,
                         uint32_t h, uint32_t w, uint64_t seed,
                         void (*draw)(float *x, size_t count, struct core_rng *r))
{
    check_eps(op, p, n, c, h, w, seed, draw, FD_EPS);
}

/* Values away from the kinks at 0 and 6: |x| >= 0.1, and not within 0.1 of 6. */
static void draw_off_kinks(float *x, size_t n, struct core_rng *r)
{
    size_t i;

    for (i = 0; i < n; i++) {
        double v = core_rng_uniform_in(r, 0.1, 1.0);
        switch (core_rng_below(r, 4)) {
        case 0: x[i] = (float)-v; break;
        case 1: x[i] = (float)v; break;
        case 2: x[i] = (float)(6.0 + v); break;
        default: x[i] = (float)(6.0 - v); break;
        }
    }
}

/* Distinct values 0.05 apart in a random order (no max-pool ties within a step). */
static void draw_distinct(float *x, size_t n, struct core_rng *r)
{
    size_t i;

    for (i = 0; i < n; i++)
        x[i] = (float)(0.05 * (double)i - 0.025 * (double)n);
    for (i = n; i > 1; i--) {
        size_t j = (size_t)core_rng_below(r, i);
        float tmp = x[i - 1];
        x[i - 1] = x[j];
        x[j] = tmp;
    }
}

/* ---- layer by layer ------------------------------------------------------ */

static void test_conv2d_gradients_match_finite_differences(void **state)
{
    const struct nn_params p3 = {.out_channels = 4, .kernel_h = 3, .pad = 1, .bias = true};
    const struct nn_params s2 = {
        .out_channels = 4, .kernel_h = 3, .stride = 2, .pad = 1, .groups = 2, .bias = false};
    const struct nn_params k1 = {.out_channels = 5, .kernel_h = 1, .bias = true};
    const struct nn_params k31 = {
        .out_channels = 3, .kernel_h = 3, .kernel_w = 1, .stride = 2, .pad = 1, .bias = true};
    const struct nn_params k5 = {.out_channels = 2, .kernel_h = 5, .pad = 2, .stride = 3};

    check_single(NN_OP_CONV2D, &p3, 3, 2, 5, 6, 1, NULL);
    check_single(NN_OP_CONV2D, &s2, 3, 4, 7, 5, 2, NULL);
    check_single(NN_OP_CONV2D, &k1, 2, 3, 4, 4, 3, NULL);
    check_single(NN_OP_CONV2D, &k31, 1, 2, 6, 5, 4, NULL);
    check_single(NN_OP_CONV2D, &k5, 2, 2, 7, 8, 5, NULL);
}

static void test_conv2d_fused_activations_gradients_match_finite_differences(void **state)
{
    const struct nn_params relu = {
        .out_channels = 3, .kernel_h = 3, .pad = 1, .bias = true, .act = NN_ACT_RELU};
    const struct nn_params relu6 = {
        .out_channels = 3, .kernel_h = 1, .bias = true, .act = NN_ACT_RELU6};

    /* Piecewise linear: a small step crosses fewer switches and costs no
     * accuracy. */
    check_eps(NN_OP_CONV2D, &relu, 2, 2, 5, 5, 11, NULL, 1e-3);
    check_eps(NN_OP_CONV2D, &relu6, 2, 3, 4, 4, 12, draw_off_kinks, 1e-3);
}

static void test_depthwise_gradients_match_finite_differences(void **state)
{
    const struct nn_params dw = {
        .out_channels = 4, .kernel_h = 3, .stride = 2, .pad = 1, .groups = 4, .bias = true};
    const struct nn_params dw1 = {.out_channels = 3, .kernel_h = 3, .pad = 1, .groups = 3};

    check_single(NN_OP_CONV2D, &dw, 3, 4, 7, 6, 21, NULL);
    check_single(NN_OP_CONV2D, &dw1, 2, 3, 5, 5, 22, NULL);
}

static void test_fc_gradients_match_finite_differences(void **state)
{
    const struct nn_params fc = {.out_channels = 5, .bias = true};
    const struct nn_params fc_relu = {.out_channels = 4, .bias = true, .act = NN_ACT_RELU};
    const struct nn_params fc1 = {.out_channels = 1, .bias = false};

    check_single(NN_OP_FC, &fc, 3, 2, 3, 2, 31, NULL);
    check_single(NN_OP_FC, &fc_relu, 4, 7, 1, 1, 32, NULL);
    check_single(NN_OP_FC, &fc1, 1, 6, 1, 1, 33, NULL);
}

static void test_batchnorm_training_gradients_match_finite_differences(void **state)
{
    check_single(NN_OP_BATCHNORM, NULL, 3, 4, 3, 2, 41, NULL);
    check_single(NN_OP_BATCHNORM, NULL, 5, 3, 1, 1, 42, NULL);
}

static void test_relu_and_relu6_gradients_match_finite_differences(void **state)
{
    check_single(NN_OP_RELU, NULL, 2, 3, 4, 5, 51, draw_off_kinks);
    check_single(NN_OP_RELU6, NULL, 2, 3, 4, 5, 52, draw_off_kinks);
}

static void test_pooling_gradients_match_finite_differences(void **state)
{
    const struct nn_params k3s2p1 = {.kernel_h = 3, .stride = 2, .pad = 1};
    const struct nn_params k2 = {.kernel_h = 2, .stride = 2};
    const struct nn_params k3s1 = {.kernel_h = 3, .kernel_w = 2, .stride = 1, .pad = 1};

    check_single(NN_OP_MAXPOOL, &k3s2p1, 2, 3, 7, 6, 61, draw_distinct);
    check_single(NN_OP_MAXPOOL, &k2, 3, 2, 6, 6, 62, draw_distinct);
    check_single(NN_OP_AVGPOOL, &k3s2p1, 2, 3, 7, 6, 63, NULL);
    check_single(NN_OP_AVGPOOL, &k3s1, 2, 2, 5, 4, 64, NULL);
    check_single(NN_OP_GAP, NULL, 3, 4, 5, 3, 65, NULL);
}

static void test_softmax_gradients_match_finite_differences(void **state)
{
    check_single(NN_OP_SOFTMAX, NULL, 3, 7, 1, 1, 71, NULL);
    check_single(NN_OP_SOFTMAX, NULL, 2, 2, 2, 3, 72, NULL);
}

/* add(a, a, b) and concat(a, b): a tensor read twice gets both gradients. */
static void test_add_and_concat_gradients_sum_over_readers(void **state)
{
    const struct nn_params conv = {.out_channels = 2, .kernel_h = 3, .pad = 1, .bias = true};
    struct nn_model *m = model_at(2, 2, 4, 4);
    int a, b, ins[3], sum, cat;
    struct fd f;

    a = add1(m, NN_OP_CONV2D, &conv, NN_INPUT);
    b = add1(m, NN_OP_BATCHNORM, NULL, NN_INPUT);
    ins[0] = a;
    ins[1] = a;
    ins[2] = b;
    sum = add_layer(m, NN_OP_ADD, NULL, ins, 3);
    ins[0] = sum;
    ins[1] = b;
    ins[2] = NN_INPUT;
    cat = add_layer(m, NN_OP_CONCAT, NULL, ins, 3);
    add1(m, NN_OP_GAP, NULL, cat);
    fd_init(&f, m, 81, NULL);
    fd_check(&f);
    fd_fini(&f);
}

/* flatten (an alias: its gradient is its input's buffer) and dropout (the
 * same mask in every forward of a fresh train object). */
static void test_flatten_and_dropout_gradients_match_finite_differences(void **state)
{
    const struct nn_params fc = {.out_channels = 3, .bias = true};
    struct nn_model *m = model_at(3, 2, 2, 3);
    struct fd f;
    int x;

    x = add1(m, NN_OP_FLATTEN, NULL, NN_INPUT);
    x = add1(m, NN_OP_DROPOUT, NULL, x);
    x = add1(m, NN_OP_FC, &fc, x);
    fd_init(&f, m, 91, NULL);
    f.fresh = true;
    fd_check(&f);
    fd_fini(&f);
}

/* A small residual network with every trainable op in one graph. */
static void test_residual_network_gradients_match_finite_differences(void **state)
{
    const struct nn_params c3 = {.out_channels = 4, .kernel_h = 3, .pad = 1};
    const struct nn_params c3s2 = {.out_channels = 4, .kernel_h = 3, .stride = 2, .pad = 1};
    const struct nn_params pool = {.kernel_h = 2, .stride = 2};
    const struct nn_params fc = {.out_channels = 3, .bias = true};
    struct nn_model *m = model_at(2, 1, 6, 6);
    int x, y, sum[2];
    struct fd f;

    x = add1(m, NN_OP_CONV2D, &c3, NN_INPUT);
    x = add1(m, NN_OP_BATCHNORM, NULL, x);
    x = add1(m, NN_OP_RELU, NULL, x);
    y = add1(m, NN_OP_CONV2D, &c3, x);
    y = add1(m, NN_OP_BATCHNORM, NULL, y);
    sum[0] = y;
    sum[1] = x;
    x = add_layer(m, NN_OP_ADD, NULL, sum, 2);
    x = add1(m, NN_OP_RELU, NULL, x);
    y = add1(m, NN_OP_CONV2D, &c3s2, x);
    x = add1(m, NN_OP_AVGPOOL, &pool, x);
    sum[0] = x;
    sum[1] = y;
    x = add_layer(m, NN_OP_ADD, NULL, sum, 2);
    x = add1(m, NN_OP_GAP, NULL, x);
    x = add1(m, NN_OP_FLATTEN, NULL, x);
    x = add1(m, NN_OP_FC, &fc, x);
    add1(m, NN_OP_SOFTMAX, NULL, x);
    fd_init(&f, m, 101, NULL);
    f.eps = 1e-3; /* the batch norms magnify a step: fewer ReLU switches */
    fd_check(&f);
    fd_fini(&f);
}

/* The training forward of every layer but batch norm and dropout (whose
 * training differs by definition) gives the inference forward's outputs:
 * conv2d runs its own batched path in training. */
static void test_training_forward_matches_inference(void **state)
{
    const struct nn_params convs[] = {
        {.out_channels = 8, .kernel_h = 3, .pad = 1, .bias = true, .act = NN_ACT_RELU},
        {.out_channels = 6, .kernel_h = 3, .stride = 2, .pad = 1, .groups = 2},
        {.out_channels = 5, .kernel_h = 1, .bias = true, .act = NN_ACT_RELU6},
        {.out_channels = 4, .kernel_h = 3, .stride = 2, .pad = 1, .groups = 4, .bias = true},
        {.out_channels = 3, .kernel_h = 5, .kernel_w = 3, .stride = 3, .pad = 2},
    };
    const struct nn_params fc = {.out_channels = 7, .bias = true, .act = NN_ACT_RELU};
    const struct nn_params pool = {.kernel_h = 3, .stride = 2, .pad = 1};
    struct core_rng *r = core_rng_create(1, 2, CORE_RNG_BENCH);
    size_t i;

    for (i = 0; i < ARRAY_LEN(convs) + 5; i++) {
        struct nn_model *m = model_at(5, 4, 11, 9);
        struct nn_train *t;
        float x[5 * 4 * 11 * 9];
        size_t n;
        if (i < ARRAY_LEN(convs))
            add1(m, NN_OP_CONV2D, &convs[i], NN_INPUT);
        else if (i == ARRAY_LEN(convs))
            add1(m, NN_OP_FC, &fc, NN_INPUT);
        else
            add1(m, (enum nn_op[]){NN_OP_MAXPOOL, NN_OP_AVGPOOL, NN_OP_GAP, NN_OP_SOFTMAX}
                        [i - ARRAY_LEN(convs) - 1],
                 &pool, NN_INPUT);
        assert_core_rc(nn_model_finalize(m, 9, &err), CORE_OK);
        ref_fill(x, ARRAY_LEN(x), r, -1, 1);
        n = shape_elems(nn_model_shape(m, 0));
        assert_core_rc(nn_model_forward(m, x, 1, &err), CORE_OK);
        assert_core_rc(nn_train_create(m, 1, false, &t, &err), CORE_OK);
        for (int threads = 1; threads <= 2; threads++) {
            double e;
            assert_core_rc(nn_train_forward(t, x, threads, &err), CORE_OK);
            e = ref_rel_err(nn_train_tensor(t, 0), nn_model_output(m), n);
            if (!(e < 1e-5)) {
                print_error("%s case %zu, %d threads: relative error %.3g\n",
                            nn_op_name(nn_model_layer_op(m, 0)), i, threads, e);
                fail();
            }
        }
        nn_train_destroy(t);
        nn_model_destroy(m);
    }
    core_rng_destroy(r);
}

/* ---- losses ----------------------------------------------------------------- */

static void test_xent_matches_definition_and_its_gradient(void **state)
{
    const float z[6] = {1.0f, 2.0f, -1.0f, 0.5f, 0.5f, 3.0f};
    const uint32_t labels[2] = {1, 0};
    float d[6], zz[6];
    size_t correct, i;
    double want = 0.0, l;
    int row;

    for (row = 0; row < 2; row++) {
        double s = 0.0;
        for (i = 0; i < 3; i++)
            s += exp(z[row * 3 + i]);
        want += -(z[row * 3 + labels[row]] - log(s)) / 2.0;
    }
    l = nn_loss_xent(z, labels, 2, 3, d, &correct);
    assert_near(l, want, 1e-6);
    assert_int_equal(correct, 1);
    memcpy(zz, z, sizeof(zz));
    for (i = 0; i < 6; i++) {
        double lp, lm;
        zz[i] = z[i] + 1e-3f;
        lp = nn_loss_xent(zz, labels, 2, 3, NULL, NULL);
        zz[i] = z[i] - 1e-3f;
        lm = nn_loss_xent(zz, labels, 2, 3, NULL, NULL);
        zz[i] = z[i];
        assert_near(d[i], (lp - lm) / 2e-3, 1e-4);
    }
    /* Logits far apart: finite where softmax underflows. */
    zz[0] = 1000.0f;
    zz[1] = -1000.0f;
    zz[2] = 0.0f;
    l = nn_loss_xent(zz, labels, 1, 3, d, NULL);
    assert_near(l, 2000.0, 1e-3);
    assert_near(d[1], -1.0, 1e-6);
}

static void test_mse_matches_definition_and_its_gradient(void **state)
{
    const float y[3] = {1.0f, -2.0f, 0.5f}, t[3] = {0.0f, 1.0f, 0.5f};
    float d[3];

    assert_near(nn_loss_mse(y, t, 3, d), (1.0 + 9.0) / 3.0, 1e-12);
    assert_near(d[0], 2.0 / 3.0, 1e-7);
    assert_near(d[1], -2.0, 1e-7);
    assert_near(d[2], 0.0, 0.0);
}

static void test_huber_matches_definition_and_finite_differences(void **state)
{
    const float y[4] = {1.0f, -2.0f, 0.5f, 0.25f}, t[4] = {0.0f, 1.0f, 0.5f, -0.5f};
    float d[4], yy[4];
    size_t i;

    /* d = 1, -3, 0, 0.75 with delta 1: 0.5, 2.5, 0, 0.28125 */
    assert_near(nn_loss_huber(y, t, 4, 1.0, d), (0.5 + 2.5 + 0.0 + 0.28125) / 4.0, 1e-12);
    assert_near(d[0], 0.25, 1e-7);
    assert_near(d[1], -0.25, 1e-7);
    assert_near(d[2], 0.0, 0.0);
    assert_near(d[3], 0.75 / 4.0, 1e-7);
    memcpy(yy, y, sizeof(yy));
    for (i = 0; i < 4; i++) {
        double lp, lm;

        yy[i] = y[i] + 1e-3f;
        lp = nn_loss_huber(yy, t, 4, 1.0, NULL);
        yy[i] = y[i] - 1e-3f;
        lm = nn_loss_huber(yy, t, 4, 1.0, NULL);
        yy[i] = y[i];
        assert_near(d[i], (lp - lm) / 2e-3, 1e-4);
    }
}

/* ---- the plan, partial passes, threads -------------------------------------- */

/* Backward from a middle layer: later layers take no part and get zero
 * gradients; a branch that does not reach it too. */
static void test_backward_from_a_middle_layer_leaves_later_layers_out(void **state)
{
    const struct nn_params fc = {.out_channels = 3, .bias = true};
    struct nn_model *m = model_at(2, 4, 1, 1);
    struct nn_train *t;
    float x[8] = {1, 2, 3, 4, -1, -2, 0.5f, 0.25f}, dy[6] = {1, 0, -1, 0.5f, 2, 1};
    const float *g;
    int a, b, c, sum[2];
    size_t n, i;

    a = add1(m, NN_OP_FC, &fc, NN_INPUT);
    b = add1(m, NN_OP_FC, &fc, NN_INPUT);
    sum[0] = a;
    sum[1] = b;
    c = add_layer(m, NN_OP_ADD, NULL, sum, 2);
    add1(m, NN_OP_FC, &fc, c);
    assert_core_rc(nn_model_finalize(m, 3, &err), CORE_OK);
    assert_core_rc(nn_train_create(m, 1, false, &t, &err), CORE_OK);
    assert_null(nn_train_input_grad(t));
    assert_core_rc(nn_train_forward(t, x, 1, &err), CORE_OK);
    assert_core_rc(nn_train_backward(t, a, dy, 1, &err), CORE_OK);
    g = nn_train_grads(t, a, &n);
    assert_int_equal(n, 15);
    /* dW = dy^T x, db = column sums of dy. */
    assert_near(g[0], dy[0] * x[0] + dy[3] * x[4], 1e-6);
    assert_near(g[12], dy[0] + dy[3], 1e-6);
    for (i = 0; i < 3; i++) {
        const float *z = nn_train_grads(t, i == 0 ? b : i == 1 ? c : 3, &n);
        size_t j;
        for (j = 0; j < n; j++)
            assert_true(z[j] == 0.0f);
    }
    nn_train_destroy(t);
    nn_model_destroy(m);
}

/* Gradients of two layers whose lifetimes do not overlap share memory:
 * the gradient arena of a chain is two buffers, not one per layer, and the
 * results are the same as in a graph that cannot share (checked by fd). */
static void test_backward_gives_the_same_bits_at_one_and_two_threads(void **state)
{
    const struct nn_params c3 = {.out_channels = 8, .kernel_h = 3, .pad = 1, .bias = true};
    const struct nn_params fc = {.out_channels = 10, .bias = true};
    struct nn_model *m = model_at(5, 3, 9, 9);
    struct nn_train *t;
    struct core_rng *r = core_rng_create(5, 0, CORE_RNG_BENCH);
    float x[5 * 3 * 81], dy[50], *g1;
    size_t total, i, n, at;
    int v;

    v = add1(m, NN_OP_CONV2D, &c3, NN_INPUT);
    v = add1(m, NN_OP_BATCHNORM, NULL, v);
    v = add1(m, NN_OP_RELU, NULL, v);
    v = add1(m, NN_OP_MAXPOOL, &(struct nn_params){.kernel_h = 2, .stride = 2}, v);
    v = add1(m, NN_OP_FLATTEN, NULL, v);
    add1(m, NN_OP_FC, &fc, v);
    assert_core_rc(nn_model_finalize(m, 4, &err), CORE_OK);
    ref_fill(x, ARRAY_LEN(x), r, -1, 1);
    ref_fill(dy, ARRAY_LEN(dy), r, -1, 1);
    assert_core_rc(nn_train_create(m, 1, true, &t, &err), CORE_OK);
    total = nn_train_n_params(t) + ARRAY_LEN(x);
    g1 = core_malloc(total * sizeof(float));
    assert_non_null(g1);
    for (int threads = 1; threads <= 2; threads++) {
        assert_core_rc(nn_train_forward(t, x, threads, &err), CORE_OK);
        assert_core_rc(nn_train_backward(t, 5, dy, threads, &err), CORE_OK);
        at = 0;
        for (i = 0; i < 6; i++) {
            const float *g = nn_train_grads(t, (int)i, &n);
            if (n == 0)
                continue;
            if (threads == 1)
                memcpy(g1 + at, g, n * sizeof(float));
            else
                assert_memory_equal(g1 + at, g, n * sizeof(float));
            at += n;
        }
        if (threads == 1)
            memcpy(g1 + at, nn_train_input_grad(t), sizeof(x));
        else
            assert_memory_equal(g1 + at, nn_train_input_grad(t), sizeof(x));
    }
    core_free(g1);
    core_rng_destroy(r);
    nn_train_destroy(t);
    nn_model_destroy(m);
}

/* Batch norm's running statistics follow PyTorch: momentum 0.1, the
 * variance unbiased. */
static void test_batchnorm_training_updates_running_statistics(void **state)
{
    struct nn_model *m = model_at(4, 1, 1, 1);
    struct nn_train *t;
    const float x[4] = {1.0f, 2.0f, 3.0f, 6.0f};
    const float *y, *w;
    size_t n;

    add1(m, NN_OP_BATCHNORM, NULL, NN_INPUT);
    assert_core_rc(nn_model_finalize(m, 1, &err), CORE_OK);
    assert_core_rc(nn_train_create(m, 1, false, &t, &err), CORE_OK);
    assert_core_rc(nn_train_forward(t, x, 1, &err), CORE_OK);
    w = nn_model_layer_weights(m, 0, &n);
    /* mean 3, biased variance 3.5, unbiased 14/3. */
    assert_near(w[2], 0.9 * 0.0 + 0.1 * 3.0, 1e-6);
    assert_near(w[3], 0.9 * 1.0 + 0.1 * 14.0 / 3.0, 1e-6);
    y = nn_train_tensor(t, 0);
    assert_near(y[3], 3.0 / sqrt(3.5 + 1e-5), 1e-5);
    nn_train_destroy(t);
    nn_model_destroy(m);
}

/* ---- optimisers --------------------------------------------------------------- */

/* A model y = w x + b (fc, one input and output): with x = 1 and dy = g,
 * the gradients of w and b are both g. */
static void one_step(struct nn_train *t, struct nn_optim *o, float g)
{
    const float x = 1.0f;

    assert_core_rc(nn_train_forward(t, &x, 1, &err), CORE_OK);
    assert_core_rc(nn_train_backward(t, 0, &g, 1, &err), CORE_OK);
    nn_optim_step(o, t);
}

static void test_sgd_and_adam_steps_match_hand_computed_values(void **state)
{
    const float grads[3] = {0.5f, -1.0f, 2.0f};
    const struct nn_params fc = {.out_channels = 1, .bias = true};
    int kind;

    for (kind = 0; kind < NN_OPTIM_COUNT; kind++) {
        const struct nn_optim_config c = {.kind = (enum nn_optim_kind)kind,
                                          .lr = 0.1,
                                          .momentum = 0.9,
                                          .beta1 = 0.9,
                                          .beta2 = 0.999,
                                          .eps = 1e-8,
                                          .weight_decay = 0.01};
        struct nn_model *m = model_at(1, 1, 1, 1);
        struct nn_train *t;
        struct nn_optim *o;
        double w = 0.5, mo = 0.0, v = 0.0;
        float *wp;
        size_t n;
        int s;

        add1(m, NN_OP_FC, &fc, NN_INPUT);
        assert_core_rc(nn_model_finalize(m, 1, &err), CORE_OK);
        wp = nn_model_layer_weights(m, 0, &n);
        wp[0] = 0.5f;
        wp[1] = 0.5f;
        assert_core_rc(nn_train_create(m, 1, false, &t, &err), CORE_OK);
        assert_core_rc(nn_optim_create(t, &c, &o, &err), CORE_OK);
        for (s = 0; s < 3; s++) {
            const double g = grads[s] + c.weight_decay * w;
            one_step(t, o, grads[s]);
            if (c.kind == NN_OPTIM_SGD) {
                mo = s == 0 ? g : c.momentum * mo + g;
                w -= c.lr * mo;
            } else {
                mo = c.beta1 * mo + (1 - c.beta1) * g;
                v = c.beta2 * v + (1 - c.beta2) * g * g;
                w -= c.lr * (mo / (1 - pow(c.beta1, s + 1))) /
                     (sqrt(v / (1 - pow(c.beta2, s + 1))) + c.eps);
            }
            assert_near(wp[0], w, 1e-6);
            assert_near(wp[1], w, 1e-6);
        }
        nn_optim_destroy(o);
        nn_train_destroy(t);
        nn_model_destroy(m);
    }
}

/* SGD and Adam on a small fully connected network fitting y = sum(x)^2 / 4
 * with mean squared error: the loss falls by 10x. */
static void test_optimisers_fit_a_small_fully_connected_network(void **state)
{
    const struct nn_params h = {.out_channels = 16, .bias = true, .act = NN_ACT_RELU};
    const struct nn_params o1 = {.out_channels = 1, .bias = true};
    int kind;

    for (kind = 0; kind < NN_OPTIM_COUNT; kind++) {
        const struct nn_optim_config c = {.kind = (enum nn_optim_kind)kind,
                                          .lr = kind == NN_OPTIM_SGD ? 0.05 : 0.01,
                                          .momentum = 0.9,
                                          .beta1 = 0.9,
                                          .beta2 = 0.999,
                                          .eps = 1e-8};
        struct nn_model *m = model_at(32, 4, 1, 1);
        struct core_rng *r = core_rng_create(3, 0, CORE_RNG_BENCH);
        struct nn_train *t;
        struct nn_optim *o;
        float x[128], y[32], dy[32];
        double first = 0.0, loss = 0.0;
        int step, x1;

        x1 = add1(m, NN_OP_FC, &h, NN_INPUT);
        add1(m, NN_OP_FC, &o1, x1);
        assert_core_rc(nn_model_finalize(m, 2, &err), CORE_OK);
        assert_core_rc(nn_train_create(m, 1, false, &t, &err), CORE_OK);
        assert_core_rc(nn_optim_create(t, &c, &o, &err), CORE_OK);
        for (step = 0; step < 300; step++) {
            size_t i;
            ref_fill(x, 128, r, -1, 1);
            for (i = 0; i < 32; i++) {
                const double s = x[4 * i] + x[4 * i + 1] + x[4 * i + 2] + x[4 * i + 3];
                y[i] = (float)(s * s / 4.0);
            }
            assert_core_rc(nn_train_forward(t, x, 1, &err), CORE_OK);
            loss = nn_loss_mse(nn_train_tensor(t, 1), y, 32, dy);
            if (step == 0)
                first = loss;
            assert_core_rc(nn_train_backward(t, 1, dy, 1, &err), CORE_OK);
            nn_optim_step(o, t);
        }
        if (!(loss < first / 10)) {
            print_error("%s: loss %.4g after 300 steps, %.4g at the first\n",
                        nn_optim_name(c.kind), loss, first);
            fail();
        }
        nn_optim_destroy(o);
        nn_train_destroy(t);
        core_rng_destroy(r);
        nn_model_destroy(m);
    }
}

/* ---- copies and errors -------------------------------------------------------- */

static void test_clone_copies_graph_and_weights_at_another_batch(void **state)
{
    struct nn_model *z, *c;
    float x[2 * 784], *y1;
    size_t i, n1, n2;

    assert_core_rc(nn_zoo_build(NN_ZOO_LENET5, 1, &z, &err), CORE_OK);
    assert_core_rc(nn_model_clone(z, 2, &c, &err), CORE_OK);
    assert_false(nn_model_is_finalized(c));
    assert_int_equal(nn_model_shape(c, NN_INPUT).n, 2);
    nn_model_destroy(c);
    assert_core_rc(nn_model_finalize(z, 7, &err), CORE_OK);
    assert_core_rc(nn_model_clone(z, 2, &c, &err), CORE_OK);
    assert_int_equal(nn_model_n_layers(c), nn_model_n_layers(z));
    for (i = 0; i < nn_model_n_layers(z); i++) {
        const float *a = nn_model_layer_weights(z, (int)i, &n1);
        const float *b = nn_model_layer_weights(c, (int)i, &n2);
        assert_string_equal(nn_model_layer_name(z, (int)i), nn_model_layer_name(c, (int)i));
        assert_int_equal(n1, n2);
        if (n1)
            assert_memory_equal(a, b, n1 * sizeof(float));
    }
    for (i = 0; i < ARRAY_LEN(x); i++)
        x[i] = (float)(i % 17) / 17.0f;
    assert_core_rc(nn_model_forward(z, x + 784, 1, &err), CORE_OK);
    y1 = core_malloc(10 * sizeof(float));
    memcpy(y1, nn_model_output(z), 10 * sizeof(float));
    assert_core_rc(nn_model_forward(c, x, 1, &err), CORE_OK);
    assert_true(ref_rel_err(nn_model_output(c) + 10, y1, 10) < 1e-6);
    core_free(y1);
    nn_model_destroy(c);
    assert_core_rc(nn_model_clone(z, 0, &c, &err), CORE_E_INPUT);
    nn_model_destroy(z);
}

static void test_folded_or_unfinalized_models_cannot_be_trained(void **state)
{
    struct nn_model *z, *c;
    struct nn_train *t;

    assert_core_rc(nn_zoo_build(NN_ZOO_LENET5, 1, &z, &err), CORE_OK);
    assert_core_rc(nn_train_create(z, 1, false, &t, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "finalized"));
    assert_core_rc(nn_model_finalize(z, 7, &err), CORE_OK);
    nn_model_destroy(z);
    assert_core_rc(nn_zoo_build(NN_ZOO_RESNET18, 1, &z, &err), CORE_OK);
    assert_core_rc(nn_model_finalize(z, 7, &err), CORE_OK);
    assert_true(nn_model_fold_batchnorm(z) > 0);
    assert_core_rc(nn_train_create(z, 1, false, &t, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "folded"));
    assert_core_rc(nn_model_clone(z, 2, &c, &err), CORE_E_INPUT);
    nn_model_destroy(z);
}

static void test_bad_calls_are_input_errors(void **state)
{
    struct nn_model *m = model_at(1, 2, 1, 1);
    struct nn_train *t;
    struct nn_optim *o;
    struct nn_optim_config c = {.kind = NN_OPTIM_SGD, .lr = 0.1, .momentum = 0.9};
    const float x[2] = {1, 2}, g[1] = {1};

    add1(m, NN_OP_FC, &(struct nn_params){.out_channels = 1}, NN_INPUT);
    assert_core_rc(nn_model_finalize(m, 1, &err), CORE_OK);
    assert_core_rc(nn_train_create(m, 1, false, &t, &err), CORE_OK);
    assert_core_rc(nn_train_backward(t, 0, g, 1, &err), CORE_E_INPUT);
    assert_core_rc(nn_train_forward(t, x, 0, &err), CORE_E_INPUT);
    assert_core_rc(nn_train_forward(t, x, 1, &err), CORE_OK);
    assert_core_rc(nn_train_backward(t, 1, g, 1, &err), CORE_E_INPUT);
    assert_core_rc(nn_train_backward(t, -1, g, 1, &err), CORE_E_INPUT);
    c.lr = 0.0;
    assert_core_rc(nn_optim_create(t, &c, &o, &err), CORE_E_INPUT);
    c.lr = 0.1;
    c.momentum = 1.0;
    assert_core_rc(nn_optim_create(t, &c, &o, &err), CORE_E_INPUT);
    c = (struct nn_optim_config){.kind = NN_OPTIM_ADAM, .lr = 0.1, .beta1 = 0.9, .beta2 = 1.5,
                                 .eps = 1e-8};
    assert_core_rc(nn_optim_create(t, &c, &o, &err), CORE_E_INPUT);
    c.beta2 = 0.999;
    c.eps = 0.0;
    assert_core_rc(nn_optim_create(t, &c, &o, &err), CORE_E_INPUT);
    c.eps = 1e-8;
    c.weight_decay = -1.0;
    assert_core_rc(nn_optim_create(t, &c, &o, &err), CORE_E_INPUT);
    nn_train_destroy(t);
    nn_model_destroy(m);
}

/* Every allocation of nn_train_create and nn_optim_create can fail without
 * a leak. */
static void test_out_of_memory_leaks_nothing(void **state)
{
    const struct nn_optim_config c = {
        .kind = NN_OPTIM_ADAM, .lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    struct nn_model *z;
    unsigned long k;

    assert_core_rc(nn_zoo_build(NN_ZOO_LENET5, 2, &z, &err), CORE_OK);
    assert_core_rc(nn_model_finalize(z, 7, &err), CORE_OK);
    for (k = 1; k < 40; k++) {
        struct nn_train *t = NULL;
        struct nn_optim *o = NULL;
        long live = core_alloc_live();
        enum core_rc rc;
        core_alloc_fail_after(k);
        rc = nn_train_create(z, 1, true, &t, &err);
        if (rc == CORE_OK)
            rc = nn_optim_create(t, &c, &o, &err);
        core_alloc_fail_after(0);
        nn_optim_destroy(o);
        nn_train_destroy(t);
        assert_int_equal(core_alloc_live(), live);
        if (rc == CORE_OK)
            break;
        assert_int_equal(rc, CORE_E_NOMEM);
    }
    assert_true(k < 40);
    nn_model_destroy(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_conv2d_gradients_match_finite_differences),
        TEST(test_conv2d_fused_activations_gradients_match_finite_differences),
        TEST(test_depthwise_gradients_match_finite_differences),
        TEST(test_fc_gradients_match_finite_differences),
        TEST(test_batchnorm_training_gradients_match_finite_differences),
        TEST(test_relu_and_relu6_gradients_match_finite_differences),
        TEST(test_pooling_gradients_match_finite_differences),
        TEST(test_softmax_gradients_match_finite_differences),
        TEST(test_add_and_concat_gradients_sum_over_readers),
        TEST(test_flatten_and_dropout_gradients_match_finite_differences),
        TEST(test_residual_network_gradients_match_finite_differences),
        TEST(test_training_forward_matches_inference),
        TEST(test_xent_matches_definition_and_its_gradient),
        TEST(test_mse_matches_definition_and_its_gradient),
        TEST(test_huber_matches_definition_and_finite_differences),
        TEST(test_backward_from_a_middle_layer_leaves_later_layers_out),
        TEST(test_backward_gives_the_same_bits_at_one_and_two_threads),
        TEST(test_batchnorm_training_updates_running_statistics),
        TEST(test_sgd_and_adam_steps_match_hand_computed_values),
        TEST(test_optimisers_fit_a_small_fully_connected_network),
        TEST(test_clone_copies_graph_and_weights_at_another_batch),
        TEST(test_folded_or_unfinalized_models_cannot_be_trained),
        TEST(test_bad_calls_are_input_errors),
        TEST(test_out_of_memory_leaks_nothing),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
