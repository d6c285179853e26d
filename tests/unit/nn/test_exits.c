/*
 * test_exits.c — sim/nn's early exits: the joint gradient (a branch's loss
 * entering the main model at its attach point, nn_train_backward_seeds)
 * against central finite differences, one seed equal to nn_train_backward
 * bit for bit, the confidence scores and the cascade on known answers, the
 * checks of nn_exits_add, weights files with exits, and joint training on
 * the real Fashion-MNIST (the first items only): it repeats bit for bit,
 * teaches the exit, and an exit of loss weight 0 leaves the main model's
 * training as it is without exits.
 *
 * Finite differences: the loss is L = sum r y + sum q z over the main
 * output y and the branch's output z for fixed random r and q, from
 * training forwards; the graphs have no activation, pooling, batch norm or
 * dropout, so L is linear in every coordinate and the central difference
 * is exact up to float rounding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <unistd.h>

#include "nn/nn.h"
#include "ref_nn.h"
#include "testutil.h"

static struct core_err err;

#define FD_EPS 1e-2
#define FD_TOL 2e-3
#define CLASSES 4

static int add(struct nn_model *m, enum nn_op op, const struct nn_params *p, int in,
               const char *name)
{
    int index;

    assert_core_rc(nn_model_add(m, op, p, &in, 1, name, &index, &err), CORE_OK);
    return index;
}

/* Main: conv 3 3x3 pad 1 -> conv 2 3x3 pad 1 -> flatten -> fc CLASSES, on
 * (2, 1, 5, 5); the exit's attach point is the flatten (an alias of the
 * second conv, so the seed joins its root's gradient). */
static struct nn_model *main_model(void)
{
    const struct nn_shape in = {2, 1, 5, 5};
    const struct nn_params c1 = {.out_channels = 3, .kernel_h = 3, .pad = 1, .bias = true};
    const struct nn_params c2 = {.out_channels = 2, .kernel_h = 3, .pad = 1, .bias = true};
    const struct nn_params fc = {.out_channels = CLASSES, .bias = true};
    struct nn_model *m;
    int x;

    assert_core_rc(nn_model_create(&in, &m, &err), CORE_OK);
    x = add(m, NN_OP_CONV2D, &c1, NN_INPUT, "conv1");
    x = add(m, NN_OP_CONV2D, &c2, x, "conv2");
    x = add(m, NN_OP_FLATTEN, NULL, x, "flatten");
    add(m, NN_OP_FC, &fc, x, "fc");
    return m;
}

/* A branch on shape at: fc CLASSES (one layer) or fc 5 -> fc CLASSES. */
static struct nn_model *branch_model(struct nn_shape at, bool two)
{
    const struct nn_params h = {.out_channels = 5, .bias = true};
    const struct nn_params o = {.out_channels = CLASSES, .bias = true};
    struct nn_model *b;
    int x = NN_INPUT;

    assert_core_rc(nn_model_create(&at, &b, &err), CORE_OK);
    if (two)
        x = add(b, NN_OP_FC, &h, x, "hidden");
    add(b, NN_OP_FC, &o, x, "out");
    return b;
}

/* Weights uniform in (-1, 1). */
static void fill_weights(struct nn_model *m, struct core_rng *r)
{
    for (size_t i = 0; i < nn_model_n_layers(m); i++) {
        size_t n;
        float *w = nn_model_layer_weights(m, (int)i, &n);
        if (w)
            ref_fill(w, n, r, -1.0, 1.0);
    }
}

/* The joint set-up of the gradient test. */
struct joint {
    struct nn_model *m;   /* main model */
    struct nn_exits x;    /* one exit at "flatten" */
    struct nn_train *t;   /* main in training */
    struct nn_train *tb;  /* branch in training */
    float *in;            /* input */
    float *r, *q;         /* dL/dy, dL/dz */
    int attach;           /* the exit's attach point */
};

static void joint_init(struct joint *j)
{
    struct core_rng *r = core_rng_create(5, 1, CORE_RNG_BENCH);
    struct nn_model *b;

    memset(j, 0, sizeof(*j));
    j->m = main_model();
    assert_true(nn_model_find_layer(j->m, "flatten", &j->attach));
    b = branch_model(nn_model_shape(j->m, j->attach), true);
    assert_core_rc(nn_exits_add(&j->x, j->m, "early", j->attach, 1.0, b, &err), CORE_OK);
    assert_core_rc(nn_model_finalize(j->m, 1, &err), CORE_OK);
    assert_core_rc(nn_exits_finalize(&j->x, 1, &err), CORE_OK);
    fill_weights(j->m, r);
    fill_weights(j->x.v[0].branch, r);
    j->in = core_malloc(50 * sizeof(float));
    j->r = core_malloc(2 * CLASSES * sizeof(float));
    j->q = core_malloc(2 * CLASSES * sizeof(float));
    assert_non_null(j->in);
    assert_non_null(j->r);
    assert_non_null(j->q);
    ref_fill(j->in, 50, r, -1.0, 1.0);
    ref_fill(j->r, 2 * CLASSES, r, -1.0, 1.0);
    ref_fill(j->q, 2 * CLASSES, r, -1.0, 1.0);
    core_rng_destroy(r);
    assert_core_rc(nn_train_create(j->m, 1, true, &j->t, &err), CORE_OK);
    assert_core_rc(nn_train_create(j->x.v[0].branch, 2, true, &j->tb, &err), CORE_OK);
}

static void joint_fini(struct joint *j)
{
    nn_train_destroy(j->tb);
    nn_train_destroy(j->t);
    nn_exits_fini(&j->x);
    nn_model_destroy(j->m);
    core_free(j->in);
    core_free(j->r);
    core_free(j->q);
}

/* L = sum r y + sum q z after training forwards. */
static double joint_loss(struct joint *j)
{
    const int last = (int)nn_model_n_layers(j->m) - 1;
    const int blast = (int)nn_model_n_layers(j->x.v[0].branch) - 1;
    double l = 0.0;

    assert_core_rc(nn_train_forward(j->t, j->in, 1, &err), CORE_OK);
    assert_core_rc(nn_train_forward(j->tb, nn_train_tensor(j->t, j->attach), 1, &err), CORE_OK);
    for (size_t i = 0; i < 2 * CLASSES; i++)
        l += (double)j->r[i] * nn_train_tensor(j->t, last)[i] +
             (double)j->q[i] * nn_train_tensor(j->tb, blast)[i];
    return l;
}

/* The analytic gradients: branch backward from q, then the main backward
 * from r at its output and the branch's input gradient at the attach point. */
static void joint_backward(struct joint *j)
{
    const int last = (int)nn_model_n_layers(j->m) - 1;
    const int blast = (int)nn_model_n_layers(j->x.v[0].branch) - 1;
    const int from[2] = {last, j->attach};
    const float *seed[2];

    joint_loss(j);
    assert_core_rc(nn_train_backward(j->tb, blast, j->q, 1, &err), CORE_OK);
    seed[0] = j->r;
    seed[1] = nn_train_input_grad(j->tb);
    assert_core_rc(nn_train_backward_seeds(j->t, 2, from, seed, 1, &err), CORE_OK);
}

/* Central differences of L over v[0..n) against ana[0..n). */
static void compare(struct joint *j, float *v, const float *ana, size_t n, const char *what)
{
    float *num = core_malloc(n * sizeof(float));

    assert_non_null(num);
    for (size_t k = 0; k < n; k++) {
        const float keep = v[k];
        double lp, lm;
        v[k] = keep + (float)FD_EPS;
        lp = joint_loss(j);
        v[k] = keep - (float)FD_EPS;
        lm = joint_loss(j);
        v[k] = keep;
        num[k] = (float)((lp - lm) / (2.0 * FD_EPS));
    }
    if (!(ref_rel_err(ana, num, n) <= FD_TOL)) {
        for (size_t k = 0; k < n && k < 6; k++)
            print_error("  %s[%zu]: analytic %.6g, numeric %.6g\n", what, k, ana[k], num[k]);
        print_error("%s: relative error %.3g > %g\n", what, ref_rel_err(ana, num, n), FD_TOL);
        fail();
    }
    core_free(num);
}

static void test_exit_branch_gradients_reach_the_main_model_as_finite_differences_say(void **s)
{
    struct joint j;
    struct nn_model *b;
    float *ana;
    size_t n, total = 50;

    (void)s;
    joint_init(&j);
    b = j.x.v[0].branch;
    total += nn_train_n_params(j.t) + nn_train_n_params(j.tb);
    ana = core_malloc(total * sizeof(float));
    assert_non_null(ana);
    joint_backward(&j);
    /* Keep every analytic gradient before the differences run forwards. */
    memcpy(ana, nn_train_input_grad(j.t), 50 * sizeof(float));
    n = 50;
    for (size_t i = 0; i < nn_model_n_layers(j.m); i++) {
        size_t k;
        const float *g = nn_train_grads(j.t, (int)i, &k);
        if (k)
            memcpy(ana + n, g, k * sizeof(float));
        n += k;
    }
    for (size_t i = 0; i < nn_model_n_layers(b); i++) {
        size_t k;
        const float *g = nn_train_grads(j.tb, (int)i, &k);
        if (k)
            memcpy(ana + n, g, k * sizeof(float));
        n += k;
    }
    compare(&j, j.in, ana, 50, "d input");
    n = 50;
    for (int pass = 0; pass < 2; pass++) {
        struct nn_model *m = pass == 0 ? j.m : b;
        for (size_t i = 0; i < nn_model_n_layers(m); i++) {
            size_t k;
            float *w = nn_model_layer_weights(m, (int)i, &k);
            if (!w)
                continue;
            compare(&j, w, ana + n, k, nn_model_layer_name(m, (int)i));
            n += k;
        }
    }
    core_free(ana);
    joint_fini(&j);
}

static void test_backward_seeds_with_one_seed_is_backward_bit_for_bit(void **s)
{
    struct joint j;
    const int last = 3;
    const float *r;
    float *keep;
    size_t n, k;

    (void)s;
    joint_init(&j);
    r = j.r;
    n = nn_train_n_params(j.t);
    keep = core_malloc((n + 50) * sizeof(float));
    assert_non_null(keep);
    joint_loss(&j);
    assert_core_rc(nn_train_backward(j.t, last, j.r, 1, &err), CORE_OK);
    memcpy(keep, nn_train_input_grad(j.t), 50 * sizeof(float));
    for (size_t i = 0, at = 50; i < 4; i++) {
        const float *g = nn_train_grads(j.t, (int)i, &k);
        if (k)
            memcpy(keep + at, g, k * sizeof(float));
        at += k;
    }
    assert_core_rc(nn_train_backward_seeds(j.t, 1, &last, &r, 1, &err), CORE_OK);
    assert_memory_equal(keep, nn_train_input_grad(j.t), 50 * sizeof(float));
    for (size_t i = 0, at = 50; i < 4; i++) {
        const float *g = nn_train_grads(j.t, (int)i, &k);
        if (k)
            assert_memory_equal(keep + at, g, k * sizeof(float));
        at += k;
    }
    core_free(keep);
    joint_fini(&j);
}

/* ---- confidence and the cascade ---------------------------------------- */

static void test_confidence_scores_match_their_definitions(void **s)
{
    const float flat[4] = {2.0f, 2.0f, 2.0f, 2.0f};
    const float sure[4] = {0.0f, 200.0f, 0.0f, 0.0f};
    const float two[2] = {0.0f, 0.0f};
    const float probs[3] = {0.5f, 0.25f, 0.25f};
    const float logits[3] = {1.0f, 0.0f, -1.0f};
    double e = 0.0, z = exp(1.0) + 1.0 + exp(-1.0);

    (void)s;
    assert_near(nn_conf_score(NN_CONF_MAX_PROB, flat, 4, false), 0.25, 1e-12);
    assert_near(nn_conf_score(NN_CONF_ENTROPY, flat, 4, false), 1.0, 1e-12);
    assert_near(nn_conf_score(NN_CONF_MAX_PROB, sure, 4, false), 1.0, 1e-12);
    assert_near(nn_conf_score(NN_CONF_ENTROPY, sure, 4, false), 0.0, 1e-12);
    assert_near(nn_conf_score(NN_CONF_ENTROPY, two, 2, false), 1.0, 1e-12);
    /* Probabilities as given: max 0.5, entropy (0.5 ln 2 + 0.5 ln 4) / ln 3. */
    assert_near(nn_conf_score(NN_CONF_MAX_PROB, probs, 3, true), 0.5, 1e-7);
    assert_near(nn_conf_score(NN_CONF_ENTROPY, probs, 3, true),
                (0.5 * log(2.0) + 0.5 * log(4.0)) / log(3.0), 1e-7);
    assert_near(nn_conf_score(NN_CONF_MAX_PROB, logits, 3, false), exp(1.0) / z, 1e-12);
    for (int i = 1; i >= -1; i--)
        e -= exp((double)i) / z * log(exp((double)i) / z);
    assert_near(nn_conf_score(NN_CONF_ENTROPY, logits, 3, false), e / log(3.0), 1e-12);
}

static void test_an_item_leaves_at_the_threshold_in_the_confident_direction(void **s)
{
    (void)s;
    assert_true(nn_conf_leaves(NN_CONF_MAX_PROB, 0.9, 0.9));
    assert_true(nn_conf_leaves(NN_CONF_MAX_PROB, 0.95, 0.9));
    assert_false(nn_conf_leaves(NN_CONF_MAX_PROB, 0.89, 0.9));
    assert_true(nn_conf_leaves(NN_CONF_ENTROPY, 0.2, 0.2));
    assert_true(nn_conf_leaves(NN_CONF_ENTROPY, 0.1, 0.2));
    assert_false(nn_conf_leaves(NN_CONF_ENTROPY, 0.21, 0.2));
}

static void test_conf_names_round_trip(void **s)
{
    enum nn_conf_kind k;

    (void)s;
    for (int i = 0; i < NN_CONF_COUNT; i++) {
        assert_true(nn_conf_find(nn_conf_name((enum nn_conf_kind)i), &k));
        assert_int_equal(k, i);
    }
    assert_false(nn_conf_find("margin", &k));
}

static void test_cascade_sends_each_item_out_at_its_first_confident_exit(void **s)
{
    /* 5 items, 2 exits + output. Scores (max-prob; binary fractions, exact
     * in float) per item: */
    const float score[15] = {
        0.875f, 0.125f, 0.5f,     /* item 0: leaves at exit 0 */
        0.25f,  0.875f, 0.5f,     /* item 1: exit 1 */
        0.25f,  0.375f, 0.96875f, /* item 2: the output */
        0.75f,  0.96875f, 0.125f, /* item 3: exit 0 (at the threshold) */
        0.125f, 0.125f, 0.125f,   /* item 4: the output, however unsure */
    };
    const uint32_t pred[15] = {1, 9, 9, 9, 2, 9, 9, 9, 3, 4, 9, 9, 9, 9, 7};
    const uint8_t labels[5] = {1, 2, 0, 5, 7};
    const double thr[2] = {0.75, 0.75}, strict[2] = {1.0, 0.9375};
    struct nn_exit_stage st[3];

    (void)s;
    nn_exit_cascade(NN_CONF_MAX_PROB, 5, 2, thr, pred, score, labels, st);
    assert_int_equal(st[0].left, 2);
    assert_int_equal(st[0].correct, 1); /* item 0 right, item 3 (4 for 5) wrong */
    assert_int_equal(st[1].left, 1);
    assert_int_equal(st[1].correct, 1);
    assert_int_equal(st[2].left, 2);
    assert_int_equal(st[2].correct, 1); /* item 4 right, item 2 (3 for 0) wrong */
    /* Per-exit thresholds: exit 0 never (1.0 > every score), exit 1 at 0.95. */
    nn_exit_cascade(NN_CONF_MAX_PROB, 5, 2, strict, pred, score, labels, st);
    assert_int_equal(st[0].left, 0);
    assert_int_equal(st[1].left, 1); /* item 3 (0.96875) */
    assert_int_equal(st[1].correct, 0);
    assert_int_equal(st[2].left, 4);
    /* Entropy reads the same scores the other way: leave when <= 0.15. */
    nn_exit_cascade(NN_CONF_ENTROPY, 5, 2, (const double[]){0.15, 0.15}, pred, score, labels,
                    st);
    assert_int_equal(st[0].left, 1); /* item 4 */
    assert_int_equal(st[0].correct, 0);
    assert_int_equal(st[1].left, 1); /* item 0 at exit 1 (0.125) */
    assert_int_equal(st[2].left, 3);
}

/* ---- the set ----------------------------------------------------------- */

static void test_exits_add_refuses_what_cannot_be_an_exit(void **s)
{
    struct nn_model *m = main_model(), *b;
    struct nn_exits x = {0};
    struct nn_shape at;
    int flat, conv2;

    (void)s;
    assert_true(nn_model_find_layer(m, "flatten", &flat));
    assert_true(nn_model_find_layer(m, "conv2", &conv2));
    at = nn_model_shape(m, flat);
    b = branch_model(at, false);
    /* The last layer, a layer name, a bad weight. */
    assert_core_rc(nn_exits_add(&x, m, "e", 3, 1.0, b, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "before the model's last"));
    assert_core_rc(nn_exits_add(&x, m, "conv1", flat, 1.0, b, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "taken"));
    assert_core_rc(nn_exits_add(&x, m, "e", flat, -1.0, b, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "loss weight"));
    /* A shape that does not fit the attach point. */
    assert_core_rc(nn_exits_add(&x, m, "e", 0, 1.0, b, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "the branch takes"));
    assert_core_rc(nn_exits_add(&x, m, "e", flat, 1.0, b, &err), CORE_OK);
    /* Out of order, a name taken by an exit, another class count. */
    b = branch_model(nn_model_shape(m, conv2), false);
    assert_core_rc(nn_exits_add(&x, m, "f", conv2, 1.0, b, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "layer order"));
    nn_model_destroy(b);
    b = branch_model(at, false);
    assert_core_rc(nn_exits_add(&x, m, "e", flat, 1.0, b, &err), CORE_E_INPUT);
    nn_model_destroy(b);
    {
        const struct nn_params fc = {.out_channels = CLASSES + 1};
        struct nn_exits y = {0};
        struct nn_model *w;
        assert_core_rc(nn_model_create(&at, &w, &err), CORE_OK);
        add(w, NN_OP_FC, &fc, NN_INPUT, "out");
        assert_core_rc(nn_exits_add(&y, m, "g", flat, 1.0, w, &err), CORE_E_INPUT);
        assert_non_null(strstr(err.msg, "outputs per item"));
        assert_int_equal(y.n, 0);
        nn_model_destroy(w);
    }
    assert_int_equal(x.n, 1);
    nn_exits_fini(&x);
    nn_exits_fini(&x); /* twice: empty */
    nn_model_destroy(m);
}

static void test_stage_macs_add_the_prefix_and_every_branch_tried(void **s)
{
    struct joint j;
    struct nn_cost c;
    uint64_t conv, main_macs, branch;

    (void)s;
    joint_init(&j);
    nn_model_cost(j.m, &c);
    main_macs = c.macs / 2;
    nn_model_cost(j.x.v[0].branch, &c);
    branch = c.macs / 2;
    conv = 3 * 25 * 9 + 2 * 25 * 27; /* conv1 and conv2 per item */
    assert_int_equal(nn_exits_stage_macs(j.m, &j.x, 0), conv + branch);
    assert_int_equal(nn_exits_stage_macs(j.m, &j.x, 1), main_macs + branch);
    assert_int_equal(branch, 50 * 5 + 5 * CLASSES);
    joint_fini(&j);
}

/* ---- weights files ----------------------------------------------------- */

/* A DAG whose attach point does not need every earlier layer: conv1 and
 * side read the input, mid (the attach point) reads conv1, sum adds side
 * and mid; the exit's model keeps conv1 and mid, then the branch. */
static struct nn_model *dag_model(int *attach)
{
    const struct nn_shape in = {2, 1, 5, 5};
    const struct nn_params c = {.out_channels = 2, .kernel_h = 3, .pad = 1, .bias = true};
    const struct nn_params fc = {.out_channels = CLASSES, .bias = true};
    struct nn_model *m;
    int a, b, sum[2];

    assert_core_rc(nn_model_create(&in, &m, &err), CORE_OK);
    a = add(m, NN_OP_CONV2D, &c, NN_INPUT, "conv1");
    b = add(m, NN_OP_CONV2D, &c, NN_INPUT, "side");
    *attach = add(m, NN_OP_CONV2D, &c, a, "mid");
    sum[0] = b;
    sum[1] = *attach;
    assert_core_rc(nn_model_add(m, NN_OP_ADD, NULL, sum, 2, "sum", &a, &err), CORE_OK);
    add(m, NN_OP_FC, &fc, a, "fc");
    return m;
}

static void test_exit_model_is_the_needed_layers_then_the_branch_bit_for_bit(void **s)
{
    struct core_rng *r = core_rng_create(9, 1, CORE_RNG_BENCH);
    struct nn_exits x = {0};
    struct nn_model *m, *em = NULL, *graph = NULL;
    static const char *const names[] = {"conv1", "mid", "early.hidden", "early.out"};
    bool member[5];
    int attach, ids[6];
    float in[50], *at;
    size_t count;

    (void)s;
    m = dag_model(&attach);
    assert_core_rc(nn_exits_add(&x, m, "early", attach, 1.0,
                                branch_model(nn_model_shape(m, attach), true), &err),
                   CORE_OK);
    nn_exit_needed(m, attach, member);
    assert_true(member[0] && !member[1] && member[2] && !member[3] && !member[4]);
    /* the graph alone before finalizing */
    assert_core_rc(nn_exit_model(m, &x.v[0], &graph, &err), CORE_OK);
    assert_int_equal(nn_model_n_layers(graph), 4);
    assert_false(nn_model_is_finalized(graph));
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(nn_model_layer_name(graph, (int)i), names[i]);
    nn_model_destroy(graph);
    assert_core_rc(nn_model_finalize(m, 1, &err), CORE_OK);
    assert_core_rc(nn_exit_model(m, &x.v[0], &em, &err), CORE_E_INPUT); /* branch not yet */
    assert_core_rc(nn_exits_finalize(&x, 1, &err), CORE_OK);
    fill_weights(m, r);
    fill_weights(x.v[0].branch, r);
    ref_fill(in, 50, r, -1.0, 1.0);
    assert_core_rc(nn_exit_model(m, &x.v[0], &em, &err), CORE_OK);
    assert_true(nn_model_is_finalized(em));
    /* the reference: the needed part of m, then the branch on the attach point */
    count = nn_model_part_exits(m, member, ids);
    assert_int_equal(count, 1);
    assert_int_equal(ids[0], attach);
    at = core_aligned_alloc(64, nn_model_tensor_bytes(m, attach));
    assert_non_null(at);
    assert_core_rc(nn_model_forward_part(m, member, (const float *const[]){in}, &at, 1, &err),
                   CORE_OK);
    assert_core_rc(nn_model_forward(x.v[0].branch, at, 1, &err), CORE_OK);
    assert_core_rc(nn_model_forward(em, in, 1, &err), CORE_OK);
    for (size_t i = 0; i < 2 * CLASSES; i++)
        assert_true(nn_model_output(em)[i] == nn_model_output(x.v[0].branch)[i]);
    core_free(at);
    nn_model_destroy(em);
    nn_exits_fini(&x);
    nn_model_destroy(m);
    core_rng_destroy(r);
}

static void test_exit_model_refuses_a_name_too_long(void **s)
{
    char name[NN_NAME_MAX];
    struct nn_exits x = {0};
    struct nn_model *m, *em = (struct nn_model *)1;
    int attach;
    long live = core_alloc_live();

    (void)s;
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    m = dag_model(&attach);
    assert_core_rc(nn_exits_add(&x, m, name, attach, 1.0,
                                branch_model(nn_model_shape(m, attach), false), &err),
                   CORE_OK);
    assert_core_rc(nn_exit_model(m, &x.v[0], &em, &err), CORE_E_INPUT);
    assert_null(em);
    assert_non_null(strstr(err.msg, "longer than a layer name"));
    nn_exits_fini(&x);
    nn_model_destroy(m);
    assert_int_equal(core_alloc_live(), live);
}

static void test_weights_with_exits_round_trip_and_refuse_a_mismatch(void **s)
{
    struct joint j, k;
    char path[64], plain[64];
    size_t n;

    (void)s;
    snprintf(path, sizeof(path), "/tmp/test_exits_%ld.w", (long)getpid());
    snprintf(plain, sizeof(plain), "/tmp/test_exits_%ld.plain.w", (long)getpid());
    joint_init(&j);
    joint_init(&k);
    nn_model_layer_weights(k.x.v[0].branch, 0, &n)[0] += 1.0f;
    nn_model_layer_weights(k.m, 0, &n)[0] += 1.0f;
    assert_core_rc(nn_weights_save_exits(j.m, &j.x, path, &err), CORE_OK);
    assert_core_rc(nn_weights_load_exits(k.m, &k.x, path, &err), CORE_OK);
    for (int pass = 0; pass < 2; pass++) {
        struct nn_model *a = pass ? j.x.v[0].branch : j.m, *b = pass ? k.x.v[0].branch : k.m;
        for (size_t i = 0; i < nn_model_n_layers(a); i++) {
            size_t na, nb;
            const float *wa = nn_model_layer_weights(a, (int)i, &na);
            const float *wb = nn_model_layer_weights(b, (int)i, &nb);
            assert_int_equal(na, nb);
            if (na)
                assert_memory_equal(wa, wb, na * sizeof(float));
        }
    }
    /* The exit's tensors are named after it; the main model alone lacks them. */
    assert_core_rc(nn_weights_check(j.m, path, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "'early.hidden.weight' is not a tensor of the model"));
    /* A file of the main model alone misses the exit's tensors. */
    assert_core_rc(nn_weights_save(j.m, plain, &err), CORE_OK);
    assert_core_rc(nn_weights_check_exits(j.m, &j.x, plain, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "'early."));
    assert_non_null(strstr(err.msg, "is missing"));
    /* Without exits the calls are the plain ones. */
    assert_core_rc(nn_weights_check_exits(j.m, NULL, plain, &err), CORE_OK);
    unlink(path);
    unlink(plain);
    joint_fini(&j);
    joint_fini(&k);
}

/* ---- joint training on Fashion-MNIST ----------------------------------- */

static struct nn_dataset *train_set, *test_set;

static int load_data(void **state)
{
    (void)state;
    if (nn_dataset_load_fmnist(NN_FMNIST_DIR, true, &train_set, &err) != CORE_OK ||
        nn_dataset_load_fmnist(NN_FMNIST_DIR, false, &test_set, &err) != CORE_OK) {
        fprintf(stderr, "test_exits: %s\n", err.msg);
        return -1;
    }
    train_set->n = 1024;
    test_set->n = 400;
    return 0;
}

static int free_data(void **state)
{
    (void)state;
    nn_dataset_destroy(train_set);
    nn_dataset_destroy(test_set);
    return 0;
}

/* conv 6 5x5 relu -> maxpool 2 -> conv 8 3x3 relu -> flatten -> fc 10 at
 * batch 32 with one exit after the pool (fc 10), weight w; finalized with
 * seed 3. */
static void fmnist_net(struct nn_model **m, struct nn_exits *x, double w)
{
    const struct nn_shape in = {32, 1, 28, 28};
    const struct nn_params c1 = {.out_channels = 6, .kernel_h = 5, .bias = true,
                                 .act = NN_ACT_RELU};
    const struct nn_params pool = {.kernel_h = 2, .stride = 2};
    const struct nn_params c2 = {.out_channels = 8, .kernel_h = 3, .bias = true,
                                 .act = NN_ACT_RELU};
    const struct nn_params fc = {.out_channels = 10, .bias = true};
    struct nn_model *b;
    int at, y;

    memset(x, 0, sizeof(*x));
    assert_core_rc(nn_model_create(&in, m, &err), CORE_OK);
    y = add(*m, NN_OP_CONV2D, &c1, NN_INPUT, "conv1");
    at = y = add(*m, NN_OP_MAXPOOL, &pool, y, "pool1");
    y = add(*m, NN_OP_CONV2D, &c2, y, "conv2");
    y = add(*m, NN_OP_FLATTEN, NULL, y, "flatten");
    add(*m, NN_OP_FC, &fc, y, "fc");
    assert_core_rc(nn_model_create(&(struct nn_shape){32, 6, 12, 12}, &b, &err), CORE_OK);
    add(b, NN_OP_FC, &fc, NN_INPUT, "fc");
    assert_core_rc(nn_exits_add(x, *m, "exit1", at, w, b, &err), CORE_OK);
    assert_core_rc(nn_model_finalize(*m, 3, &err), CORE_OK);
    assert_core_rc(nn_exits_finalize(x, 3, &err), CORE_OK);
}

static const struct nn_fit_config fit_config = {
    .epochs = 2,
    .seed = 11,
    .threads = 1,
    .optim = {.kind = NN_OPTIM_SGD, .lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4},
    .schedule = NN_SCHEDULE_COSINE,
};

/* Every weight of a and b equal bit for bit? */
static bool same_weights(struct nn_model *a, struct nn_model *b)
{
    for (size_t i = 0; i < nn_model_n_layers(a); i++) {
        size_t na, nb;
        const float *wa = nn_model_layer_weights(a, (int)i, &na);
        const float *wb = nn_model_layer_weights(b, (int)i, &nb);
        if (na != nb || (na && memcmp(wa, wb, na * sizeof(float)) != 0))
            return false;
    }
    return true;
}

static void test_joint_training_repeats_bit_for_bit_and_teaches_the_exit(void **s)
{
    struct nn_model *m1, *m2;
    struct nn_exits x1, x2;
    struct nn_fit_config c = fit_config;
    struct nn_fit_result r;
    uint32_t *pred = core_calloc(test_set->n * 2, sizeof(*pred));
    float *score = core_calloc(test_set->n * 2, sizeof(*score));
    size_t hits = 0;

    (void)s;
    assert_non_null(pred);
    assert_non_null(score);
    fmnist_net(&m1, &x1, 1.0);
    fmnist_net(&m2, &x2, 1.0);
    c.exits = &x1;
    assert_core_rc(nn_fit(m1, train_set, NULL, &c, &r, &err), CORE_OK);
    c.exits = &x2;
    assert_core_rc(nn_fit(m2, train_set, NULL, &c, &r, &err), CORE_OK);
    assert_true(same_weights(m1, m2));
    assert_true(same_weights(x1.v[0].branch, x2.v[0].branch));
    assert_core_rc(nn_exits_classify(m1, &x1, test_set, NN_CONF_MAX_PROB, 1, NULL, NULL, NULL,
                                     pred, score, &err),
                   CORE_OK);
    for (size_t i = 0; i < test_set->n; i++) {
        hits += pred[2 * i] == test_set->labels[i];
        assert_true(score[2 * i] >= 0.1f && score[2 * i] <= 1.0f);
    }
    /* Chance is 10 %; 64 steps of joint training reach well above. */
    if (!((double)hits / (double)test_set->n > 0.5)) {
        print_error("the exit's test accuracy %.3f is not above 0.5\n",
                    (double)hits / (double)test_set->n);
        fail();
    }
    core_free(pred);
    core_free(score);
    nn_exits_fini(&x1);
    nn_exits_fini(&x2);
    nn_model_destroy(m1);
    nn_model_destroy(m2);
}

static void test_an_exit_of_loss_weight_zero_leaves_the_main_training_unchanged(void **s)
{
    struct nn_model *m1, *m2;
    struct nn_exits x1, x2;
    struct nn_fit_config c = fit_config;
    struct nn_fit_result r;

    (void)s;
    fmnist_net(&m1, &x1, 0.0);
    fmnist_net(&m2, &x2, 1.0);
    c.exits = &x1;
    assert_core_rc(nn_fit(m1, train_set, NULL, &c, &r, &err), CORE_OK);
    nn_exits_fini(&x2);
    c.exits = NULL;
    assert_core_rc(nn_fit(m2, train_set, NULL, &c, &r, &err), CORE_OK);
    assert_true(same_weights(m1, m2));
    nn_exits_fini(&x1);
    nn_model_destroy(m1);
    nn_model_destroy(m2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_branch_gradients_reach_the_main_model_as_finite_differences_say),
        cmocka_unit_test(test_backward_seeds_with_one_seed_is_backward_bit_for_bit),
        cmocka_unit_test(test_confidence_scores_match_their_definitions),
        cmocka_unit_test(test_an_item_leaves_at_the_threshold_in_the_confident_direction),
        cmocka_unit_test(test_conf_names_round_trip),
        cmocka_unit_test(test_cascade_sends_each_item_out_at_its_first_confident_exit),
        cmocka_unit_test(test_exits_add_refuses_what_cannot_be_an_exit),
        cmocka_unit_test(test_stage_macs_add_the_prefix_and_every_branch_tried),
        cmocka_unit_test(test_weights_with_exits_round_trip_and_refuse_a_mismatch),
        cmocka_unit_test(test_exit_model_is_the_needed_layers_then_the_branch_bit_for_bit),
        cmocka_unit_test(test_exit_model_refuses_a_name_too_long),
        cmocka_unit_test_setup_teardown(
            test_joint_training_repeats_bit_for_bit_and_teaches_the_exit, load_data, free_data),
        cmocka_unit_test_setup_teardown(
            test_an_exit_of_loss_weight_zero_leaves_the_main_training_unchanged, load_data,
            free_data),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
