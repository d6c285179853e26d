/*
 * clone.c — nn_model_clone: the same graph at another batch size.
 *
 * Each layer is added again through the public graph API with its op,
 * parameters (defaults already applied, which adding again keeps), inputs
 * and name, so the copy infers its shapes as a model built at that batch
 * size would. A finalized source's weights are copied (all of each layer's
 * storage, the hidden zero bias of a conv2d without one included), which is
 * why a folded or fused source is refused: its storage holds the folded
 * network, not the one its layers describe.
 */
#include "nn/nn_int.h"

enum core_rc nn_model_clone(const struct nn_model *m, uint32_t batch, struct nn_model **out,
                            struct core_err *e)
{
    struct nn_model *src = (struct nn_model *)m, *c = NULL;
    struct nn_shape input = nn_model_shape(m, NN_INPUT);
    const size_t n = nn_model_n_layers(m);
    enum core_rc rc;
    size_t i;

    *out = NULL;
    if (batch == 0)
        return core_err(e, CORE_E_INPUT, "batch size 0: a model needs at least one item");
    for (i = 0; i < n; i++) {
        const struct nn_layer *l = nn_model_layer_int(src, (int)i);
        if (nn_model_is_finalized(m) &&
            (l->folded || l->fused || l->bias_live != l->p.bias || l->act_live != l->p.act))
            return core_err(e, CORE_E_INPUT,
                            "layer %zu '%s': cannot copy a model whose batch norms are folded or "
                            "activations fused",
                            i, l->name);
    }
    input.n = batch;
    rc = nn_model_create(&input, &c, e);
    for (i = 0; rc == CORE_OK && i < n; i++) {
        const struct nn_layer *l = nn_model_layer_int(src, (int)i);
        rc = nn_model_add(c, l->op, &l->p, l->inputs, l->n_inputs, l->name, NULL, e);
    }
    if (rc == CORE_OK && nn_model_is_finalized(m)) {
        rc = nn_model_finalize(c, 0, e);
        for (i = 0; rc == CORE_OK && i < n; i++) {
            const struct nn_layer *from = nn_model_layer_int(src, (int)i);
            struct nn_layer *to = nn_model_layer_int(c, (int)i);
            CORE_ASSERT(from->n_weights == to->n_weights);
            if (from->n_weights)
                memcpy(to->w, from->w, from->n_weights * sizeof(*to->w));
        }
    }
    if (rc != CORE_OK) {
        nn_model_destroy(c);
        return rc;
    }
    *out = c;
    return CORE_OK;
}
