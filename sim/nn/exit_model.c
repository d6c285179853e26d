/*
 * exit_model.c — an early exit's right-sized model (nn.h): what a device and
 * an edge run when an inference ends at exit x, as one model, so that a
 * split of it and the encoding of what crosses can be measured as any
 * model's are (nn_split_accuracy: the accuracy of a plan that cuts before
 * or inside the exit and ends there).
 *
 * Layout: the layers of the main model that the attach point needs (itself
 * and its ancestors, nn_exit_needed), in the main model's order and under
 * their own names, then the branch's layers, named "<exit>.<layer>", the
 * first of them reading the attach point where the branch read its input.
 * The last layer is the branch's: the model's output is the exit's logits.
 * Each layer is added through the public graph API with its op, parameters
 * and inputs (as nn_model_clone adds them), and a finalized source's
 * weights are copied (all of each layer's storage), which is why a folded
 * or fused source is refused as nn_model_clone refuses it.
 */
#include "nn/nn_int.h"

#include <stdio.h>
#include <string.h>

void nn_exit_needed(const struct nn_model *m, int attach, bool *member)
{
    const size_t n = nn_model_n_layers(m);

    CORE_ASSERT(attach >= 0 && (size_t)attach < n);
    for (size_t i = 0; i < n; i++)
        member[i] = (int)i == attach;
    for (size_t i = (size_t)attach + 1; i-- > 0;) {
        size_t n_in;
        const int *in;

        if (!member[i])
            continue;
        in = nn_model_layer_inputs(m, (int)i, &n_in);
        for (size_t k = 0; k < n_in; k++)
            if (in[k] != NN_INPUT)
                member[in[k]] = true;
    }
}

/* Whether layer i of m holds folded or fused storage (nn_model_clone's
 * refusal). */
static bool altered(struct nn_model *m, int i)
{
    const struct nn_layer *l = nn_model_layer_int(m, i);

    return l->folded || l->fused || l->bias_live != l->p.bias || l->act_live != l->p.act;
}

/* Copy the storage of from's layers from_idx[0..count) into to's layers
 * to_first.. */
static void copy_weights(struct nn_model *from, const int *from_idx, struct nn_model *to,
                         int to_first, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const struct nn_layer *f = nn_model_layer_int(from, from_idx[i]);
        struct nn_layer *t = nn_model_layer_int(to, to_first + (int)i);

        CORE_ASSERT(f->n_weights == t->n_weights);
        if (f->n_weights)
            memcpy(t->w, f->w, f->n_weights * sizeof(*t->w));
    }
}

enum core_rc nn_exit_model(const struct nn_model *m, const struct nn_exit *x, struct nn_model **out,
                           struct core_err *e)
{
    struct nn_model *src = (struct nn_model *)m, *br = x->branch, *c = NULL;
    const size_t n = nn_model_n_layers(m), n_br = nn_model_n_layers(br);
    const bool weights = nn_model_is_finalized(m);
    struct nn_shape input = nn_model_shape(m, NN_INPUT);
    bool *member = core_calloc(n, sizeof(*member));
    int *newidx = core_calloc(n, sizeof(*newidx)), *kept = core_calloc(n, sizeof(*kept));
    int *br_idx = core_calloc(n_br ? n_br : 1, sizeof(*br_idx));
    size_t n_kept = 0;
    enum core_rc rc = CORE_OK;

    *out = NULL;
    if (!member || !newidx || !kept || !br_idx) {
        rc = core_err(e, CORE_E_NOMEM, "exit '%s': out of memory for its model", x->name);
        goto out;
    }
    if (weights != nn_model_is_finalized(br)) {
        rc = core_err(e, CORE_E_INPUT,
                      "exit '%s': the model and the branch are not both "
                      "finalized (or both not)",
                      x->name);
        goto out;
    }
    nn_exit_needed(m, x->attach, member);
    for (size_t i = 0; i < n; i++) {
        newidx[i] = member[i] ? (int)n_kept : -1;
        if (member[i])
            kept[n_kept++] = (int)i;
    }
    for (size_t i = 0; weights && i < n_kept + n_br; i++)
        if (i < n_kept ? altered(src, kept[i]) : altered(br, (int)(i - n_kept))) {
            rc = core_err(e, CORE_E_INPUT,
                          "exit '%s': cannot copy a model whose batch norms "
                          "are folded or activations fused",
                          x->name);
            goto out;
        }
    rc = nn_model_create(&input, &c, e);
    for (size_t i = 0; rc == CORE_OK && i < n_kept; i++) {
        const struct nn_layer *l = nn_model_layer_int(src, kept[i]);
        int in[NN_MAX_INPUTS];

        for (uint32_t k = 0; k < l->n_inputs; k++)
            in[k] = l->inputs[k] == NN_INPUT ? NN_INPUT : newidx[l->inputs[k]];
        rc = nn_model_add(c, l->op, &l->p, in, l->n_inputs, l->name, NULL, e);
    }
    for (size_t i = 0; rc == CORE_OK && i < n_br; i++) {
        const struct nn_layer *l = nn_model_layer_int(br, (int)i);
        char name[NN_NAME_MAX];
        int in[NN_MAX_INPUTS];

        if ((size_t)snprintf(name, sizeof(name), "%s.%s", x->name, l->name) >= sizeof(name)) {
            rc = core_err(e, CORE_E_INPUT,
                          "exit '%s': layer '%s': '%s.%s' is longer than a "
                          "layer name may be (%d characters)",
                          x->name, l->name, x->name, l->name, NN_NAME_MAX - 1);
            break;
        }
        for (uint32_t k = 0; k < l->n_inputs; k++)
            in[k] = l->inputs[k] == NN_INPUT ? newidx[x->attach] : (int)n_kept + l->inputs[k];
        br_idx[i] = (int)i;
        rc = nn_model_add(c, l->op, &l->p, in, l->n_inputs, name, NULL, e);
    }
    if (rc == CORE_OK && weights) {
        rc = nn_model_finalize(c, 0, e);
        if (rc == CORE_OK) {
            copy_weights(src, kept, c, 0, n_kept);
            copy_weights(br, br_idx, c, (int)n_kept, n_br);
        }
    }
    if (rc != CORE_OK) {
        nn_model_destroy(c);
        goto out;
    }
    *out = c;
out:
    core_free(member);
    core_free(newidx);
    core_free(kept);
    core_free(br_idx);
    return rc;
}
