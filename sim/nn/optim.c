/*
 * optim.c — nn_optim_*: SGD with momentum and Adam over the learnable
 * parameters of a model in training, with PyTorch's update rules (nn.h):
 * weight decay added to the gradient, SGD's velocity starting at the first
 * gradient, Adam's moments bias-corrected. The state (velocity, or first
 * and second moments) is one block in the order of nn_train_grads: layer by
 * layer, each layer's learnable floats (the first l->n_params of its
 * weights). Updates run in double per parameter and store float.
 */
#include "nn/nn_int.h"

#include <math.h>

struct nn_optim {
    struct nn_optim_config c; /* hyper-parameters */
    size_t n;                 /* learnable floats */
    float *m;                 /* SGD velocity, or Adam's first moment (n) */
    float *v;                 /* Adam's second moment (n), NULL for SGD */
    uint64_t steps;           /* steps taken */
};

static const char *const optim_names[] = {
    [NN_OPTIM_SGD] = "sgd",
    [NN_OPTIM_ADAM] = "adam",
};
static_assert(ARRAY_LEN(optim_names) == NN_OPTIM_COUNT, "one name per optimiser");

const char *nn_optim_name(enum nn_optim_kind k)
{
    CORE_ASSERT((unsigned)k < NN_OPTIM_COUNT);
    return optim_names[k];
}

static bool in_unit(double x)
{
    return x >= 0.0 && x < 1.0;
}

enum core_rc nn_optim_create(const struct nn_train *t, const struct nn_optim_config *c,
                             struct nn_optim **out, struct core_err *e)
{
    struct nn_optim *o;
    const size_t n = nn_train_n_params(t);

    *out = NULL;
    if ((unsigned)c->kind >= NN_OPTIM_COUNT)
        return core_err(e, CORE_E_INPUT, "unknown optimiser %d", (int)c->kind);
    if (!(c->lr > 0.0) || !isfinite(c->lr))
        return core_err(e, CORE_E_INPUT, "learning rate %g must be positive and finite", c->lr);
    if (!(c->weight_decay >= 0.0) || !isfinite(c->weight_decay))
        return core_err(e, CORE_E_INPUT, "weight decay %g must be >= 0 and finite",
                        c->weight_decay);
    if (c->kind == NN_OPTIM_SGD && !in_unit(c->momentum))
        return core_err(e, CORE_E_INPUT, "momentum %g must be in [0, 1)", c->momentum);
    if (c->kind == NN_OPTIM_ADAM && (!in_unit(c->beta1) || !in_unit(c->beta2)))
        return core_err(e, CORE_E_INPUT, "Adam betas %g and %g must be in [0, 1)", c->beta1,
                        c->beta2);
    if (c->kind == NN_OPTIM_ADAM && (!(c->eps > 0.0) || !isfinite(c->eps)))
        return core_err(e, CORE_E_INPUT, "Adam eps %g must be positive and finite", c->eps);
    o = core_calloc(1, sizeof(*o));
    if (!o)
        return core_err(e, CORE_E_NOMEM, "out of memory creating an optimiser");
    o->c = *c;
    o->n = n;
    o->m = core_calloc(n ? n : 1, sizeof(*o->m));
    if (c->kind == NN_OPTIM_ADAM)
        o->v = core_calloc(n ? n : 1, sizeof(*o->v));
    if (!o->m || (c->kind == NN_OPTIM_ADAM && !o->v)) {
        nn_optim_destroy(o);
        return core_err(e, CORE_E_NOMEM, "out of memory for the state of %zu parameters", n);
    }
    *out = o;
    return CORE_OK;
}

void nn_optim_destroy(struct nn_optim *o)
{
    if (!o)
        return;
    core_free(o->m);
    core_free(o->v);
    core_free(o);
}

void nn_optim_set_lr(struct nn_optim *o, double lr)
{
    CORE_ASSERT(lr > 0.0);
    o->c.lr = lr;
}

void nn_optim_step(struct nn_optim *o, struct nn_train *t)
{
    struct nn_model *model = nn_train_model(t);
    const struct nn_optim_config *c = &o->c;
    const size_t layers = nn_model_n_layers(model);
    double bc1 = 1.0, bc2 = 1.0;
    size_t i, j, at = 0;

    CORE_ASSERT(nn_train_n_params(t) == o->n);
    o->steps++;
    if (c->kind == NN_OPTIM_ADAM) {
        bc1 = 1.0 - pow(c->beta1, (double)o->steps);
        bc2 = 1.0 - pow(c->beta2, (double)o->steps);
    }
    for (i = 0; i < layers; i++) {
        size_t n, nw;
        const float *g = nn_train_grads(t, (int)i, &n);
        float *w = nn_model_layer_weights(model, (int)i, &nw);
        float *m = o->m + at, *v = o->v ? o->v + at : NULL;
        if (n == 0)
            continue;
        CORE_ASSERT(nw >= n);
        for (j = 0; j < n; j++) {
            const double gj = (double)g[j] + c->weight_decay * w[j];
            if (c->kind == NN_OPTIM_SGD) {
                const double vj = o->steps == 1 ? gj : c->momentum * m[j] + gj;
                m[j] = (float)vj;
                w[j] = (float)(w[j] - c->lr * vj);
            } else {
                const double mj = c->beta1 * m[j] + (1.0 - c->beta1) * gj;
                const double sj = c->beta2 * v[j] + (1.0 - c->beta2) * gj * gj;
                m[j] = (float)mj;
                v[j] = (float)sj;
                w[j] = (float)(w[j] - c->lr * (mj / bc1) / (sqrt(sj / bc2) + c->eps));
            }
        }
        at += n;
    }
}
