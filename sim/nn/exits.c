/*
 * exits.c — nn_exits_*: a main model's early exits (BranchyNet) as a set:
 * adding one with its checks, copies at another batch size, finalizing the
 * branches, and what an item costs up to the stage where it leaves.
 *
 * Exit j is a branch model whose input is the output of the main model's
 * layer v[j].attach (same shape, batch included) and whose last layer gives
 * the main model's classes; the set keeps ascending attach points, the
 * order in which a cascade tries them. Each branch is owned by the set.
 */
#include "nn/nn.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void nn_exits_fini(struct nn_exits *x)
{
    if (x == NULL)
        return;
    for (size_t j = 0; j < x->n; j++)
        nn_model_destroy(x->v[j].branch);
    core_free(x->v);
    x->v = NULL;
    x->n = 0;
}

/* Floats of one item's row of tensor t of m. */
static size_t row_floats(const struct nn_model *m, int t)
{
    const struct nn_shape s = nn_model_shape(m, t);

    return (size_t)s.c * s.h * s.w;
}

/* The name is a layer of m or an exit of x already. */
static bool name_taken(const struct nn_exits *x, const struct nn_model *m, const char *name)
{
    int index;

    if (nn_model_find_layer(m, name, &index))
        return true;
    for (size_t j = 0; j < x->n; j++)
        if (strcmp(x->v[j].name, name) == 0)
            return true;
    return false;
}

enum core_rc nn_exits_add(struct nn_exits *x, const struct nn_model *m, const char *name,
                          int attach, double loss_weight, struct nn_model *branch,
                          struct core_err *e)
{
    const int n_layers = (int)nn_model_n_layers(m);
    const int n_branch = (int)nn_model_n_layers(branch);
    struct nn_shape at, in;
    struct nn_exit *grown;

    if (strlen(name) == 0 || strlen(name) >= NN_NAME_MAX)
        return core_err(e, CORE_E_INPUT, "exit '%s': a name has 1 to %d characters", name,
                        NN_NAME_MAX - 1);
    if (name_taken(x, m, name))
        return core_err(e, CORE_E_INPUT,
                        "exit '%s': the name is taken by a layer of the model or another exit",
                        name);
    if (attach < 0 || attach >= n_layers - 1)
        return core_err(e, CORE_E_INPUT,
                        "exit '%s': it must attach after a layer before the model's last", name);
    if (x->n > 0 && attach <= x->v[x->n - 1].attach)
        return core_err(e, CORE_E_INPUT,
                        "exit '%s': it attaches after layer '%s', not after the previous exit's "
                        "layer '%s' (exits are listed in layer order)",
                        name, nn_model_layer_name(m, attach),
                        nn_model_layer_name(m, x->v[x->n - 1].attach));
    if (!(isfinite(loss_weight) && loss_weight >= 0.0))
        return core_err(e, CORE_E_INPUT, "exit '%s': loss weight %g is not a finite number >= 0",
                        name, loss_weight);
    if (n_branch == 0)
        return core_err(e, CORE_E_INPUT, "exit '%s': the branch has no layer", name);
    at = nn_model_shape(m, attach);
    in = nn_model_shape(branch, NN_INPUT);
    if (memcmp(&at, &in, sizeof(at)) != 0)
        return core_err(e, CORE_E_INPUT,
                        "exit '%s': the branch takes (%u, %u, %u, %u), layer '%s' gives (%u, %u, "
                        "%u, %u)",
                        name, in.n, in.c, in.h, in.w, nn_model_layer_name(m, attach), at.n, at.c,
                        at.h, at.w);
    if (row_floats(branch, n_branch - 1) != row_floats(m, n_layers - 1))
        return core_err(e, CORE_E_INPUT,
                        "exit '%s': the branch gives %zu outputs per item, the model %zu", name,
                        row_floats(branch, n_branch - 1), row_floats(m, n_layers - 1));
    grown = core_realloc(x->v, (x->n + 1) * sizeof(*grown));
    if (grown == NULL)
        return core_err(e, CORE_E_NOMEM, "exit '%s': out of memory", name);
    x->v = grown;
    memset(&x->v[x->n], 0, sizeof(x->v[x->n]));
    snprintf(x->v[x->n].name, sizeof(x->v[x->n].name), "%s", name);
    x->v[x->n].attach = attach;
    x->v[x->n].loss_weight = loss_weight;
    x->v[x->n].branch = branch;
    x->n++;
    return CORE_OK;
}

enum core_rc nn_exits_clone(const struct nn_exits *x, uint32_t batch, struct nn_exits *out,
                            struct core_err *e)
{
    out->n = 0;
    out->v = NULL;
    if (x->n == 0)
        return CORE_OK;
    out->v = core_calloc(x->n, sizeof(*out->v));
    if (out->v == NULL)
        return core_err(e, CORE_E_NOMEM, "out of memory copying %zu exits", x->n);
    for (size_t j = 0; j < x->n; j++) {
        enum core_rc rc;
        out->v[j] = x->v[j];
        out->v[j].branch = NULL;
        rc = nn_model_clone(x->v[j].branch, batch, &out->v[j].branch, e);
        out->n = j + 1;
        if (rc != CORE_OK) {
            nn_exits_fini(out);
            return rc;
        }
    }
    return CORE_OK;
}

uint64_t nn_exits_seed(uint64_t seed, size_t j)
{
    /* A fixed odd multiplier spreads the exits' seeds far from the run's. */
    return seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(j + 1));
}

enum core_rc nn_exits_finalize(struct nn_exits *x, uint64_t seed, struct core_err *e)
{
    for (size_t j = 0; j < x->n; j++) {
        struct core_err why;
        enum core_rc rc;
        if (nn_model_is_finalized(x->v[j].branch))
            continue;
        core_err_clear(&why);
        rc = nn_model_finalize(x->v[j].branch, nn_exits_seed(seed, j), &why);
        if (rc != CORE_OK)
            return core_err(e, rc, "exit '%s': %s", x->v[j].name, why.msg);
    }
    return CORE_OK;
}

uint64_t nn_exits_stage_macs(const struct nn_model *m, const struct nn_exits *x, size_t j)
{
    const size_t n_layers = nn_model_n_layers(m);
    const size_t upto = j < x->n ? (size_t)x->v[j].attach + 1 : n_layers;
    const uint32_t batch = nn_model_shape(m, NN_INPUT).n;
    uint64_t macs = 0;
    struct nn_cost c;

    CORE_ASSERT(j <= x->n);
    for (size_t i = 0; i < upto; i++) {
        nn_model_layer_cost(m, (int)i, &c);
        macs += c.macs;
    }
    for (size_t k = 0; k <= j && k < x->n; k++) {
        nn_model_cost(x->v[k].branch, &c);
        macs += c.macs;
    }
    return macs / (batch ? batch : 1);
}
