/*
 * pool_shape.c — shape inference shared by the pooling layers (max and
 * average): (N, C, H, W) -> (N, C, Ho, Wo) with Ho = floor((H + 2 pad - kh) /
 * stride) + 1, Wo likewise; pad <= k / 2; no weights and no workspace.
 */
#include "nn/nn_int.h"

#include <stdio.h>

bool nn_pool_infer(struct nn_layer *l, char *why, size_t why_size)
{
    const struct nn_shape *x = &l->in[0];
    const struct nn_params *p = &l->p;
    uint32_t ho, wo;

    if (p->kernel_h == 0 || 2 * p->pad > p->kernel_h || 2 * p->pad > p->kernel_w) {
        snprintf(why, why_size,
                 "needs kernel_h >= 1 and pad <= kernel / 2 (got kernel %ux%u, "
                 "pad %u)",
                 p->kernel_h, p->kernel_w, p->pad);
        return false;
    }
    ho = nn_window_out(x->h, p->kernel_h, p->stride, p->pad);
    wo = nn_window_out(x->w, p->kernel_w, p->stride, p->pad);
    if (ho == 0 || wo == 0) {
        snprintf(why, why_size, "window %ux%u does not fit input %ux%u with padding %u",
                 p->kernel_h, p->kernel_w, x->h, x->w, p->pad);
        return false;
    }
    l->out = (struct nn_shape){x->n, x->c, ho, wo};
    l->n_weights = l->n_visible = 0;
    l->n_params = 0;
    l->ws_floats = 0;
    return true;
}
