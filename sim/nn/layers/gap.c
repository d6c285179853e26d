/*
 * gap.c — global average pooling: (N, C, H, W) -> (N, C, 1, 1), each output
 * the mean of its channel's H W values, summed in double in eight lanes
 * (a plane's bits do not depend on where it sits or which thread sums it);
 * the planes shared with the worker.
 */
#include "nn/nn_int.h"

#include <string.h>

static bool gap_infer(struct nn_layer *l, char *why, size_t why_size)
{
    l->out = (struct nn_shape){l->in[0].n, l->in[0].c, 1, 1};
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* flops = one add per input element and one multiply per output. */
static void gap_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = (uint64_t)nn_shape_elems(&l->in[0]) + nn_shape_elems(&l->out);
    c->macs = 0;
}

/* Two floats, and two doubles: a lane pair of a plane's sum (16-byte
 * vectors, which stay in registers on every x86-64). */
typedef float nn_v2 __attribute__((vector_size(8)));
typedef double nn_v2d __attribute__((vector_size(16)));

static inline nn_v2d v2d_at(const float *x)
{
    nn_v2 v;

    memcpy(&v, x, sizeof(v));
    return __builtin_convertvector(v, nn_v2d);
}

/* The sum of x[0..n), in double: eight lanes (four pairs, so four additions
 * are in flight), added pairwise at the end, then the tail. */
static double plane_sum(const float *x, size_t n)
{
    nn_v2d a0 = {0.0, 0.0}, a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    double acc;

    for (; i + 8 <= n; i += 8) {
        a0 += v2d_at(x + i);
        a1 += v2d_at(x + i + 2);
        a2 += v2d_at(x + i + 4);
        a3 += v2d_at(x + i + 6);
    }
    a0 = (a0 + a1) + (a2 + a3);
    acc = a0[0] + a0[1];
    for (; i < n; i++)
        acc += x[i];
    return acc;
}

/* A pass shared with the worker, by planes. */
struct gap_job {
    const float *x; /* input (N, C, H, W) */
    float *y;       /* output (N, C, 1, 1) */
    size_t hw;      /* floats of a plane */
};

static void gap_planes(void *arg, size_t lo, size_t hi, int who)
{
    const struct gap_job *jb = arg;
    size_t pl;

    for (pl = lo; pl < hi; pl++)
        jb->y[pl] = (float)(plane_sum(jb->x + pl * jb->hw, jb->hw) / (double)jb->hw);
}

/* Planes of a chunk: about 16 K input floats, >= 1. */
#define NN_GAP_CHUNK_FLOATS (1u << 14)

/* in: (N, C, H, W) -> out: (N, C, 1, 1) */
static void gap_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                        struct nn_par *par)
{
    const size_t hw = (size_t)l->in[0].h * l->in[0].w;
    struct gap_job jb = {.x = in[0], .y = out, .hw = hw};

    nn_par_for(par, (size_t)l->in[0].n * l->in[0].c,
               hw >= NN_GAP_CHUNK_FLOATS ? 1 : NN_GAP_CHUNK_FLOATS / hw, gap_planes, &jb);
}

/* ---- training: dx = dy / (H W) over each channel's plane. */
static void gap_backward(const struct nn_bwd *b)
{
    const struct nn_layer *l = b->l;
    const size_t planes = (size_t)l->in[0].n * l->in[0].c;
    const size_t hw = (size_t)l->in[0].h * l->in[0].w;
    float *dx = b->dx[0];
    size_t pl, i;

    if (!dx)
        return;
    for (pl = 0; pl < planes; pl++) {
        const float g = b->dy[pl] / (float)hw;
        float *d = dx + pl * hw;
        if (b->dx_add[0])
            for (i = 0; i < hw; i++)
                d[i] += g;
        else
            for (i = 0; i < hw; i++)
                d[i] = g;
    }
}

static const struct nn_layer_train gap_train = {
    .backward = gap_backward,
};

const struct nn_layer_ops nn_gap_ops = {
    .name = "gap",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = gap_infer,
    .cost = gap_cost,
    .init = NULL,
    .forward = gap_forward,
    .train = &gap_train,
};
