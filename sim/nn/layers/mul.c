/*
 * mul.c — elementwise product of two inputs: a (N, C, H, W) times b, either
 * of the same shape or (N, C, 1, 1), broadcast over each channel's plane
 * (squeeze-and-excitation's y = x * scale) -> (N, C, H, W).
 *
 * The pass runs plane by plane (one (item, channel) of a), four floats a
 * step, the planes shared with the worker.
 */
#include "nn/nn_int.h"

#include <stdio.h>

static bool mul_infer(struct nn_layer *l, char *why, size_t why_size)
{
    const struct nn_shape *a = &l->in[0], *b = &l->in[1];

    if (b->n != a->n || b->c != a->c ||
        !((b->h == a->h && b->w == a->w) || (b->h == 1 && b->w == 1))) {
        snprintf(why, why_size,
                 "input 1 has shape (%u, %u, %u, %u); it must be input 0's (%u, %u, %u, %u) or "
                 "(%u, %u, 1, 1)",
                 b->n, b->c, b->h, b->w, a->n, a->c, a->h, a->w, a->n, a->c);
        return false;
    }
    l->out = *a;
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* flops = one multiply per output element. */
static void mul_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = nn_shape_elems(&l->out);
    c->macs = 0;
}

/* A product shared with the worker: by planes when b is broadcast, else by
 * element ranges. */
struct mul_job {
    const float *a; /* input 0 (N, C, H, W) */
    const float *b; /* input 1 (N, C, H, W) or (N, C, 1, 1) */
    float *y;       /* output (N, C, H, W) */
    size_t hw;      /* floats of a plane */
};

/* y[i] = a[i] * s for i < n. */
static void scale_row(float *restrict y, const float *restrict a, size_t n, float s)
{
    const nn_v4 sv = {s, s, s, s};
    size_t i = 0;

    for (; i + 4 <= n; i += 4)
        nn_v4_store(y + i, nn_v4_load(a + i) * sv);
    for (; i < n; i++)
        y[i] = a[i] * s;
}

static void mul_planes(void *arg, size_t lo, size_t hi, int who)
{
    const struct mul_job *jb = arg;
    size_t pl;

    for (pl = lo; pl < hi; pl++)
        scale_row(jb->y + pl * jb->hw, jb->a + pl * jb->hw, jb->hw, jb->b[pl]);
}

static void mul_range(void *arg, size_t lo, size_t hi, int who)
{
    const struct mul_job *jb = arg;
    size_t i = lo;

    for (; i + 4 <= hi; i += 4)
        nn_v4_store(jb->y + i, nn_v4_load(jb->a + i) * nn_v4_load(jb->b + i));
    for (; i < hi; i++)
        jb->y[i] = jb->a[i] * jb->b[i];
}

/* in: (N, C, H, W), (N, C, H, W) or (N, C, 1, 1) -> out: (N, C, H, W) */
static void mul_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                        struct nn_par *par)
{
    const size_t hw = (size_t)l->out.h * l->out.w;
    struct mul_job jb = {.a = in[0], .b = in[1], .y = out, .hw = hw};

    if (l->in[1].h * l->in[1].w != 1 || hw == 1)
        nn_par_for(par, nn_shape_elems(&l->out), NN_ELEMWISE_CHUNK, mul_range, &jb);
    else
        nn_par_for(par, (size_t)l->out.n * l->out.c,
                   hw >= NN_ELEMWISE_CHUNK ? 1 : NN_ELEMWISE_CHUNK / hw, mul_planes, &jb);
}

const struct nn_layer_ops nn_mul_ops = {
    .name = "mul",
    .min_inputs = 2,
    .max_inputs = 2,
    .alias = false,
    .infer = mul_infer,
    .cost = mul_cost,
    .init = NULL,
    .forward = mul_forward,
};
