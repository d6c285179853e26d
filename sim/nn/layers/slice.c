/*
 * slice.c — a range of channels: (N, C, H, W) -> (N, K, H, W), output channel
 * k the input's offset + k (ShuffleNetV2's channel split, torch.chunk). Each
 * batch item's channels are contiguous, so the copy is one memcpy per item.
 */
#include "nn/nn_int.h"

#include <stdio.h>
#include <string.h>

static bool slice_infer(struct nn_layer *l, char *why, size_t why_size)
{
    const struct nn_shape *x = &l->in[0];
    const struct nn_params *p = &l->p;

    if (p->out_channels == 0 || p->offset >= x->c || p->out_channels > x->c - p->offset) {
        snprintf(why, why_size,
                 "needs 1 <= out_channels and offset + out_channels <= the input's %u channels "
                 "(got offset %u, out_channels %u)",
                 x->c, p->offset, p->out_channels);
        return false;
    }
    l->out = (struct nn_shape){x->n, p->out_channels, x->h, x->w};
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* flops = 0: a copy. */
static void slice_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 0;
    c->macs = 0;
}

/* in: (N, C, H, W) -> out: (N, K, H, W) */
static void slice_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                          struct nn_par *par)
{
    const size_t hw = (size_t)l->out.h * l->out.w, block = (size_t)l->out.c * hw;
    uint32_t n;

    for (n = 0; n < l->out.n; n++)
        memcpy(out + n * block, in[0] + ((size_t)n * l->in[0].c + l->p.offset) * hw,
               block * sizeof(*out));
}

const struct nn_layer_ops nn_slice_ops = {
    .name = "slice",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = slice_infer,
    .cost = slice_cost,
    .init = NULL,
    .forward = slice_forward,
};
