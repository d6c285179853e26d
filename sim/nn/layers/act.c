/*
 * act.c — the activation functions as one vectorised kernel, and what the
 * elementwise activation layers (sigmoid.c, hardsigmoid.c, hardswish.c,
 * silu.c) share: y = act(x) elementwise, (N, C, H, W) -> same.
 *
 * The functions, as PyTorch 1.13 computes them on the CPU:
 *   sigmoid(x)     = 1 / (1 + exp(-x))
 *   hardsigmoid(x) = min(max(x + 3, 0), 6) / 6
 *   hardswish(x)   = x min(max(x + 3, 0), 6) / 6
 *   silu(x)        = x / (1 + exp(-x))
 * relu and relu6 are nn_bias_act's (a bias of 0), bit for bit.
 *
 * exp is Cephes' single-precision expf: x clamped to [-87.3, 89], x = n ln 2
 * + r with n the nearest integer (rounded by adding 1.5 2^23) and |r| <=
 * ln 2 / 2 (ln 2 in two parts, so r is exact), exp(r) by a degree-7
 * polynomial, times 2^n built in the exponent bits: within 2 ulp
 * of exp from -87.3 to 88.3, a normal float at least as large as
 * exp(-87.3) below, infinity from 88.4 up (n = 128), so that sigmoid and
 * silu of a large negative x are 0, of a large positive x 1 and x.
 *
 * Eight floats a step; the last few go through the same vector code from a
 * zero-padded block, so every element gets the same bits wherever it sits
 * (a part, a strip, a thread's chunk). On x86-64 the loop is compiled for the
 * baseline (SSE2) and for AVX2, and the AVX2 copy runs where the CPU has it
 * (core/cpu.c): the same operations in the same order, without fused
 * multiply-adds, so both give the same bits.
 */
#include "nn/nn_int.h"

#include <stdio.h>

/* Floats of one step: an nn_v8. */
#define ACT_BLOCK 8u

/* exp(*v) elementwise (see the file comment). A pointer: a 32-byte vector
 * passed by value has an ABI of its own. */
static inline __attribute__((always_inline)) void exp8(nn_v8 *v)
{
#define ACT_SPLAT(c)                                                                               \
    {                                                                                              \
        c, c, c, c, c, c, c, c                                                                     \
    }
    const nn_v8 hi = ACT_SPLAT(89.0f), lo = ACT_SPLAT(-87.3f);
    const nn_v8 log2e = ACT_SPLAT(1.44269504088896341f), one = ACT_SPLAT(1.0f);
    const nn_v8 c1 = ACT_SPLAT(0.693359375f), c2 = ACT_SPLAT(-2.12194440e-4f);
    /* 1.5 2^23: adding it rounds to an integer, held in the low mantissa
     * bits. */
    const nn_v8 magic = ACT_SPLAT(12582912.0f);
    const nn_v8 p0 = ACT_SPLAT(1.9875691500e-4f), p1 = ACT_SPLAT(1.3981999507e-3f);
    const nn_v8 p2 = ACT_SPLAT(8.3334519073e-3f), p3 = ACT_SPLAT(4.1665795894e-2f);
    const nn_v8 p4 = ACT_SPLAT(1.6666665459e-1f), p5 = ACT_SPLAT(5.0000001201e-1f);
    const nn_v8i bias = ACT_SPLAT(127);
#undef ACT_SPLAT
    nn_v8 x = *v, t, fx, r, p;
    nn_v8i lt;

    lt = x < lo;
    x = (nn_v8)(((nn_v8i)lo & lt) | ((nn_v8i)x & ~lt));
    lt = x > hi;
    x = (nn_v8)(((nn_v8i)hi & lt) | ((nn_v8i)x & ~lt));
    /* n = x log2(e) rounded to the nearest integer: t's low bits, fx as a
     * float. */
    t = x * log2e + magic;
    fx = t - magic;
    r = x - fx * c1;
    r = r - fx * c2;
    p = ((((p0 * r + p1) * r + p2) * r + p3) * r + p4) * r + p5;
    p = p * (r * r) + r + one;
    *v = p * (nn_v8)(((nn_v8i)t - (nn_v8i)magic + bias) << 23);
}

/* *v = act(*v) for an act other than none, relu and relu6. */
static inline __attribute__((always_inline)) void act8(nn_v8 *v, enum nn_act act)
{
    const nn_v8 zero = {0}, one = {1, 1, 1, 1, 1, 1, 1, 1};
    const nn_v8 three = {3, 3, 3, 3, 3, 3, 3, 3}, six = {6, 6, 6, 6, 6, 6, 6, 6};
    nn_v8 x = *v, t;
    nn_v8i m;

    if (act == NN_ACT_SIGMOID || act == NN_ACT_SILU) {
        t = -x;
        exp8(&t);
        *v = (act == NN_ACT_SILU ? x : one) / (one + t);
        return;
    }
    t = x + three;
    m = t > zero;
    t = (nn_v8)((nn_v8i)t & m);
    m = t < six;
    t = (nn_v8)(((nn_v8i)t & m) | ((nn_v8i)six & ~m));
    *v = act == NN_ACT_HARDSWISH ? x * t / six : t / six;
}

/* y[0..n) = act(x[0..n)), act a constant after inlining; two blocks a step
 * (two chains in flight), then one, then the tail. */
static inline __attribute__((always_inline)) void act_row(float *y, const float *x, size_t n,
                                                          enum nn_act act)
{
    nn_v8 v, w;
    size_t i = 0;

    for (; i + 2 * ACT_BLOCK <= n; i += 2 * ACT_BLOCK) {
        memcpy(&v, x + i, sizeof(v));
        memcpy(&w, x + i + ACT_BLOCK, sizeof(w));
        act8(&v, act);
        act8(&w, act);
        memcpy(y + i, &v, sizeof(v));
        memcpy(y + i + ACT_BLOCK, &w, sizeof(w));
    }
    for (; i + ACT_BLOCK <= n; i += ACT_BLOCK) {
        memcpy(&v, x + i, sizeof(v));
        act8(&v, act);
        memcpy(y + i, &v, sizeof(v));
    }
    if (i < n) {
        float block[ACT_BLOCK] = {0};
        memcpy(block, x + i, (n - i) * sizeof(*x));
        memcpy(&v, block, sizeof(v));
        act8(&v, act);
        memcpy(block, &v, sizeof(v));
        memcpy(y + i, block, (n - i) * sizeof(*y));
    }
}

static inline __attribute__((always_inline)) void act_any(float *y, const float *x, size_t n,
                                                          enum nn_act act)
{
    switch (act) {
    case NN_ACT_SIGMOID:
        act_row(y, x, n, NN_ACT_SIGMOID);
        break;
    case NN_ACT_HARDSIGMOID:
        act_row(y, x, n, NN_ACT_HARDSIGMOID);
        break;
    case NN_ACT_HARDSWISH:
        act_row(y, x, n, NN_ACT_HARDSWISH);
        break;
    default:
        act_row(y, x, n, NN_ACT_SILU);
        break;
    }
}

static void act_base(float *y, const float *x, size_t n, enum nn_act act)
{
    act_any(y, x, n, act);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void act_avx2(float *y, const float *x, size_t n,
                                                     enum nn_act act)
{
    act_any(y, x, n, act);
}
#endif

void nn_act_apply(float *y, const float *x, size_t n, enum nn_act act)
{
    CORE_ASSERT((unsigned)act < NN_ACT_COUNT);
    if (act == NN_ACT_NONE) {
        if (y != x)
            memmove(y, x, n * sizeof(*y));
        return;
    }
    if (act == NN_ACT_RELU || act == NN_ACT_RELU6) {
        nn_bias_act(y, x, n, 0.0f, act);
        return;
    }
#if defined(__x86_64__) && defined(__GNUC__)
    if (core_cpu_avx2()) {
        act_avx2(y, x, n, act);
        return;
    }
#endif
    act_base(y, x, n, act);
}

/* The op that computes each activation on its own (none: NN_OP_COUNT). */
static const enum nn_op op_of_act[] = {
    [NN_ACT_NONE] = NN_OP_COUNT,
    [NN_ACT_RELU] = NN_OP_RELU,
    [NN_ACT_RELU6] = NN_OP_RELU6,
    [NN_ACT_SIGMOID] = NN_OP_SIGMOID,
    [NN_ACT_HARDSIGMOID] = NN_OP_HARDSIGMOID,
    [NN_ACT_HARDSWISH] = NN_OP_HARDSWISH,
    [NN_ACT_SILU] = NN_OP_SILU,
};
static_assert(ARRAY_LEN(op_of_act) == NN_ACT_COUNT, "one op per enum nn_act");

const char *nn_act_name(enum nn_act act)
{
    CORE_ASSERT((unsigned)act < NN_ACT_COUNT);
    return act == NN_ACT_NONE ? "none" : nn_op_name(op_of_act[act]);
}

enum nn_act nn_act_of_op(enum nn_op op)
{
    int a;

    for (a = NN_ACT_NONE + 1; a < NN_ACT_COUNT; a++)
        if (op_of_act[a] == op)
            return (enum nn_act)a;
    return NN_ACT_NONE;
}

/* ---- the activation layers -------------------------------------------- */

bool nn_act_infer(struct nn_layer *l, char *why, size_t why_size)
{
    l->out = l->in[0];
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* The input and output of a forward pass shared with the worker. */
struct act_job {
    const float *x;  /* input */
    float *y;        /* output */
    enum nn_act act; /* the function */
};

static void act_range(void *arg, size_t lo, size_t hi, int who)
{
    const struct act_job *jb = arg;

    nn_act_apply(jb->y + lo, jb->x + lo, hi - lo, jb->act);
}

/* in: (N, C, H, W) -> out: (N, C, H, W) */
void nn_act_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                    struct nn_par *par)
{
    struct act_job jb = {.x = in[0], .y = out, .act = nn_act_of_op(l->op)};

    nn_par_for(par, nn_shape_elems(&l->out), NN_ELEMWISE_CHUNK, act_range, &jb);
}
