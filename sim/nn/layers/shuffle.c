/*
 * shuffle.c — channel shuffle (ShuffleNet): (N, C, H, W) -> same, the C
 * channels seen as g groups of C / g, transposed: input channel j (C / g) + i
 * (group j, member i) becomes output channel i g + j, as torchvision's
 * channel_shuffle (view (N, g, C / g, H, W), transpose 1 and 2, flatten).
 * Each channel's plane moves whole: one memcpy per plane.
 */
#include "nn/nn_int.h"

#include <stdio.h>
#include <string.h>

static bool shuffle_infer(struct nn_layer *l, char *why, size_t why_size)
{
    if (l->in[0].c % l->p.groups != 0) {
        snprintf(why, why_size, "groups %u must divide the input channels %u", l->p.groups,
                 l->in[0].c);
        return false;
    }
    l->out = l->in[0];
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}

/* flops = 0: a copy. */
static void shuffle_cost(const struct nn_layer *l, struct nn_cost *c)
{
    c->flops = 0;
    c->macs = 0;
}

/* in: (N, C, H, W) -> out: (N, C, H, W) */
static void shuffle_forward(const struct nn_layer *l, const float *const *in, float *out, float *ws,
                            struct nn_par *par)
{
    const uint32_t c = l->out.c, g = l->p.groups, per = c / g;
    const size_t hw = (size_t)l->out.h * l->out.w;
    uint32_t n, j, i;

    for (n = 0; n < l->out.n; n++) {
        const float *x = in[0] + (size_t)n * c * hw;
        float *y = out + (size_t)n * c * hw;
        for (j = 0; j < g; j++)
            for (i = 0; i < per; i++)
                memcpy(y + ((size_t)i * g + j) * hw, x + ((size_t)j * per + i) * hw,
                       hw * sizeof(*y));
    }
}

const struct nn_layer_ops nn_shuffle_ops = {
    .name = "shuffle",
    .min_inputs = 1,
    .max_inputs = 1,
    .alias = false,
    .infer = shuffle_infer,
    .cost = shuffle_cost,
    .init = NULL,
    .forward = shuffle_forward,
};
