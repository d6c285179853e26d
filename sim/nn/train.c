/*
 * train.c — nn_train_*: a model in training mode. The forward pass with the
 * activations backprop needs, the backward pass through every layer's
 * nn_layer_train hooks, and the parameter gradients.
 *
 * Tensors are indexed t + 1 (t = NN_INPUT or a layer index) in every array
 * here. In training a layer owns its output unless its op is an alias
 * without a training forward (flatten); an owning layer is its own root,
 * an alias's root is its input's root, and the model input's root is
 * NN_INPUT.
 *
 * Memory, all allocated at create:
 *   acts    the training activations: the input's copy and one slot per
 *           owning layer, never shared (backward reads them all);
 *   grads   the gradients of the roots: the gradient of root t is written
 *           first by the backward of its last reader and read last by t's
 *           own, so it lives over [t, last reader] as t's activation does at
 *           inference, and roots whose intervals do not overlap share memory
 *           (greedy placement, largest first, as model.c plans its arena);
 *   pgrads  the parameter gradients, one slot per layer with parameters;
 *   aux     what each layer's training forward keeps (batch statistics,
 *           dropout masks);
 *   ws      one workspace for the largest need of any layer's forward and
 *           backward.
 * A backward pass marks each root's gradient written when its first reader
 * (in backward order) sets it; later readers add to it.
 */
#include "nn/nn_int.h"

#include <cblas.h>
#include <stdlib.h>

/* Floats per 64-byte line: every slot starts on one. */
#define NN_TRAIN_ALIGN 16

/* Offset of a root without a gradient slot. */
#define NO_SLOT ((size_t)-1)

const struct nn_layer_train nn_alias_train = {0};

struct nn_train {
    struct nn_model *m;        /* the model (borrowed) */
    size_t n;                  /* its layers */
    bool input_grad;           /* compute dL/d input */
    int *root;                 /* [t + 1]: the tensor whose memory holds t (t itself, NN_INPUT) */
    int *last;                 /* [t + 1]: for roots, the last layer reading their memory */
    size_t *act_off;           /* [t + 1]: for roots, offset in acts, floats */
    size_t *grad_off;          /* [t + 1]: for roots, offset in grads (NO_SLOT: none), floats */
    size_t *aux_off;           /* [i]: layer i's aux offset, floats */
    size_t *pg_off;            /* [i]: layer i's parameter-gradient offset, floats */
    float *acts;               /* training activations, owned */
    float *grads;              /* tensor gradients, owned */
    float *pgrads;             /* parameter gradients, owned */
    float *aux;                /* kept forward state, owned */
    float *ws;                 /* workspace, owned */
    size_t n_params;           /* learnable parameters, floats */
    const float **data;        /* [t + 1]: tensor t's data during a pass */
    bool *written;             /* [t + 1]: root t's gradient written in this backward */
    struct core_rng *rng;      /* dropout masks, owned */
    bool forward_done;         /* a forward ran since create */
};

static size_t up(size_t n)
{
    return (n + NN_TRAIN_ALIGN - 1) / NN_TRAIN_ALIGN * NN_TRAIN_ALIGN;
}

/* Does layer l own its output in training? */
static bool owns(const struct nn_layer *l)
{
    const struct nn_layer_ops *ops = nn_op_ops(l->op);

    return !ops->alias || ops->train->forward != NULL;
}

static const struct nn_layer *layer(const struct nn_train *t, int i)
{
    return nn_model_layer_int(t->m, i);
}

void nn_train_destroy(struct nn_train *t)
{
    if (!t)
        return;
    core_free(t->root);
    core_free(t->last);
    core_free(t->act_off);
    core_free(t->grad_off);
    core_free(t->aux_off);
    core_free(t->pg_off);
    core_free(t->acts);
    core_free(t->grads);
    core_free(t->pgrads);
    core_free(t->aux);
    core_free(t->ws);
    core_free(t->data);
    core_free(t->written);
    core_rng_destroy(t->rng);
    core_free(t);
}

/* Check that m can be trained: finalized, unfolded, unfused, every op
 * trainable. */
static enum core_rc check_model(struct nn_model *m, struct core_err *e)
{
    size_t i;

    if (!nn_model_is_finalized(m))
        return core_err(e, CORE_E_INPUT, "the model must be finalized before it is trained");
    for (i = 0; i < nn_model_n_layers(m); i++) {
        const struct nn_layer *l = nn_model_layer_int(m, (int)i);
        if (!nn_op_ops(l->op)->train)
            return core_err(e, CORE_E_INPUT, "layer %zu '%s': layer type %s cannot be trained", i,
                            l->name, nn_op_name(l->op));
        if (l->folded || l->fused || l->bias_live != l->p.bias || l->act_live != l->p.act)
            return core_err(e, CORE_E_INPUT,
                            "layer %zu '%s': the model's batch norms are folded or its "
                            "activations fused; train the unfolded model",
                            i, l->name);
    }
    return CORE_OK;
}

/* Roots, last readers, and the activation, aux and parameter-gradient
 * offsets; the sizes of acts, aux, pgrads and ws in *acts, *aux, *ws. */
static void plan_slots(struct nn_train *t, size_t *acts, size_t *aux, size_t *ws)
{
    const struct nn_shape in = nn_model_shape(t->m, NN_INPUT);
    size_t i, k, a = up(nn_shape_elems(&in)), x = 0, w = 0, pg = 0;

    t->root[0] = NN_INPUT;
    t->last[0] = NN_INPUT;
    t->act_off[0] = 0;
    for (i = 0; i < t->n; i++) {
        const struct nn_layer *l = layer(t, (int)i);
        const struct nn_layer_train *tr = nn_op_ops(l->op)->train;
        size_t need = l->ws_floats;
        t->root[i + 1] = owns(l) ? (int)i : t->root[l->inputs[0] + 1];
        t->last[i + 1] = (int)i;
        if (owns(l)) {
            t->act_off[i + 1] = a;
            a += up(nn_shape_elems(&l->out));
        }
        t->aux_off[i] = x;
        if (tr->aux_floats)
            x += up(tr->aux_floats(l));
        t->pg_off[i] = pg;
        pg += up((size_t)l->n_params);
        if (tr->ws_floats && tr->ws_floats(l) > need)
            need = tr->ws_floats(l);
        if (need > w)
            w = need;
        for (k = 0; k < l->n_inputs; k++) {
            const int r = t->root[l->inputs[k] + 1];
            if (t->last[r + 1] < (int)i)
                t->last[r + 1] = (int)i;
        }
    }
    /* The output's gradient comes from the caller before any backward. */
    t->last[t->root[t->n] + 1] = (int)t->n;
    t->n_params = pg;
    *acts = a;
    *aux = x;
    *ws = w;
}

struct gslot {
    int t;         /* root tensor */
    size_t floats; /* size, rounded */
    size_t offset; /* placed offset, floats */
};

static int gslot_desc(const void *a, const void *b)
{
    const struct gslot *x = a, *y = b;

    if (x->floats != y->floats)
        return x->floats > y->floats ? -1 : 1;
    return x->t - y->t;
}

static int gslot_by_offset(const void *a, const void *b)
{
    const struct gslot *const *x = a, *const *y = b;

    if ((*x)->offset != (*y)->offset)
        return (*x)->offset < (*y)->offset ? -1 : 1;
    return 0;
}

/* Elements of tensor i (NN_INPUT or a layer). */
static size_t tensor_elems(const struct nn_train *t, int i)
{
    const struct nn_shape s = nn_model_shape(t->m, i);

    return nn_shape_elems(&s);
}

/* Place the roots' gradients: greedy, largest first, each at the lowest
 * offset clear of the placed ones whose live interval [t, last] overlaps
 * its own. Returns the floats the gradient arena needs, or NO_SLOT when out
 * of memory. */
static size_t plan_grads(struct nn_train *t)
{
    const int n = (int)t->n;
    struct gslot *s = core_calloc((size_t)n + 1, sizeof(*s));
    struct gslot **placed = core_calloc((size_t)n + 1, sizeof(*placed));
    size_t count = 0, total = 0, a, b, n_placed;
    int i;

    if (!s || !placed) {
        core_free(s);
        core_free(placed);
        return NO_SLOT;
    }
    for (i = NN_INPUT; i < n; i++) {
        t->grad_off[i + 1] = NO_SLOT;
        if (t->root[i + 1] == i && (i != NN_INPUT || t->input_grad))
            s[count++] = (struct gslot){i, up(tensor_elems(t, i)), 0};
    }
    qsort(s, count, sizeof(*s), gslot_desc);
    for (a = 0; a < count; a++) {
        const int la = t->last[s[a].t + 1];
        size_t off = 0;
        n_placed = 0;
        for (b = 0; b < a; b++)
            if (s[b].t <= la && s[a].t <= t->last[s[b].t + 1])
                placed[n_placed++] = &s[b];
        qsort(placed, n_placed, sizeof(*placed), gslot_by_offset);
        for (b = 0; b < n_placed; b++) {
            if (placed[b]->offset >= off + s[a].floats)
                break;
            if (placed[b]->offset + placed[b]->floats > off)
                off = placed[b]->offset + placed[b]->floats;
        }
        s[a].offset = off;
        t->grad_off[s[a].t + 1] = off;
        if (off + s[a].floats > total)
            total = off + s[a].floats;
    }
    core_free(s);
    core_free(placed);
    return total;
}

enum core_rc nn_train_create(struct nn_model *m, uint64_t seed, bool input_grad,
                             struct nn_train **out, struct core_err *e)
{
    struct nn_train *t;
    size_t n, acts, aux, ws, grads;
    enum core_rc rc;

    *out = NULL;
    rc = check_model(m, e);
    if (rc != CORE_OK)
        return rc;
    t = core_calloc(1, sizeof(*t));
    if (!t)
        return core_err(e, CORE_E_NOMEM, "out of memory creating a train object");
    n = nn_model_n_layers(m);
    t->m = m;
    t->n = n;
    t->input_grad = input_grad;
    t->root = core_calloc(n + 1, sizeof(*t->root));
    t->last = core_calloc(n + 1, sizeof(*t->last));
    t->act_off = core_calloc(n + 1, sizeof(*t->act_off));
    t->grad_off = core_calloc(n + 1, sizeof(*t->grad_off));
    t->aux_off = core_calloc(n, sizeof(*t->aux_off));
    t->pg_off = core_calloc(n, sizeof(*t->pg_off));
    t->data = core_calloc(n + 1, sizeof(*t->data));
    t->written = core_calloc(n + 1, sizeof(*t->written));
    t->rng = core_rng_create(seed, 0, CORE_RNG_DROPOUT);
    if (!t->root || !t->last || !t->act_off || !t->grad_off || !t->aux_off || !t->pg_off ||
        !t->data || !t->written || !t->rng)
        goto out_nomem;
    plan_slots(t, &acts, &aux, &ws);
    grads = plan_grads(t);
    if (grads == NO_SLOT)
        goto out_nomem;
    t->acts = core_aligned_alloc(64, (acts + NN_TRAIN_ALIGN) * sizeof(float));
    t->grads = core_aligned_alloc(64, (grads + NN_TRAIN_ALIGN) * sizeof(float));
    t->pgrads = core_aligned_alloc(64, (t->n_params + NN_TRAIN_ALIGN) * sizeof(float));
    t->aux = core_aligned_alloc(64, (aux + NN_TRAIN_ALIGN) * sizeof(float));
    t->ws = core_aligned_alloc(64, (up(ws) + NN_TRAIN_ALIGN) * sizeof(float));
    if (!t->acts || !t->grads || !t->pgrads || !t->aux || !t->ws)
        goto out_nomem;
    memset(t->pgrads, 0, (t->n_params + NN_TRAIN_ALIGN) * sizeof(float));
    *out = t;
    return CORE_OK;

out_nomem:
    nn_train_destroy(t);
    return core_err(e, CORE_E_NOMEM, "out of memory for the training state of a model");
}

struct nn_model *nn_train_model(const struct nn_train *t)
{
    return t->m;
}

size_t nn_train_n_params(const struct nn_train *t)
{
    size_t i, sum = 0;

    for (i = 0; i < t->n; i++)
        sum += layer(t, (int)i)->n_params;
    return sum;
}

/* Check the thread count and get the worker (NULL at one thread). */
static enum core_rc threads_par(struct nn_train *t, int threads, struct nn_par **par,
                                struct core_err *e)
{
    const int cores = nn_blas_cores();

    *par = NULL;
    if (threads < 1 || threads > cores)
        return core_err(e, CORE_E_INPUT, "thread count %d is outside 1..%d (the cores)", threads,
                        cores);
    if (threads > 1) {
        *par = nn_model_worker(t->m);
        if (!*par)
            return core_err(e, CORE_E_NOMEM, "cannot start the model's worker thread");
    }
    return nn_blas_prepare(1, threads > 1 ? 2 : 1, e);
}

enum core_rc nn_train_forward(struct nn_train *t, const float *input, int threads,
                              struct core_err *e)
{
    const struct nn_shape is = nn_model_shape(t->m, NN_INPUT);
    const float *in[NN_MAX_INPUTS];
    struct nn_par *par;
    enum core_rc rc = threads_par(t, threads, &par, e);
    size_t i;
    uint32_t k;

    if (rc != CORE_OK)
        return rc;
    memcpy(t->acts, input, nn_shape_bytes(&is));
    t->data[0] = t->acts;
    for (i = 0; i < t->n; i++) {
        const struct nn_layer *l = layer(t, (int)i);
        const struct nn_layer_ops *ops = nn_op_ops(l->op);
        float *out;
        if (!owns(l)) {
            t->data[i + 1] = t->data[l->inputs[0] + 1];
            continue;
        }
        out = t->acts + t->act_off[i + 1];
        for (k = 0; k < l->n_inputs; k++)
            in[k] = t->data[l->inputs[k] + 1];
        if (ops->train->forward)
            ops->train->forward(l, in, out, t->aux + t->aux_off[i], t->ws, t->rng, par);
        else
            ops->forward(l, in, out, t->ws, par);
        t->data[i + 1] = out;
    }
    t->forward_done = true;
    return CORE_OK;
}

const float *nn_train_tensor(const struct nn_train *t, int i)
{
    CORE_ASSERT(i >= NN_INPUT && i < (int)t->n);
    return t->data[i + 1];
}

int nn_train_logits_layer(const struct nn_train *t)
{
    const struct nn_layer *l = layer(t, (int)t->n - 1);

    return l->op == NN_OP_SOFTMAX && l->inputs[0] >= 0 ? l->inputs[0] : (int)t->n - 1;
}

/* The gradient buffer of tensor i's root, or NULL when it has none. */
static float *grad_of(const struct nn_train *t, int i)
{
    const int r = t->root[i + 1];

    return t->grad_off[r + 1] == NO_SLOT ? NULL : t->grads + t->grad_off[r + 1];
}

/* Add (or, when nothing wrote it yet, copy) seed grad into the gradient of
 * tensor at's root. */
static void seed_grad(struct nn_train *t, int at, const float *grad)
{
    const int r = t->root[at + 1];
    float *g = grad_of(t, at);
    const size_t n = tensor_elems(t, at);

    if (g == NULL)
        return;
    if (t->written[r + 1]) {
        for (size_t j = 0; j < n; j++)
            g[j] += grad[j];
    } else {
        memcpy(g, grad, n * sizeof(*g));
        t->written[r + 1] = true;
    }
}

enum core_rc nn_train_backward_seeds(struct nn_train *t, size_t n_seeds, const int *from,
                                     const float *const *grad, int threads, struct core_err *e)
{
    float *dx[NN_MAX_INPUTS];
    const float *in[NN_MAX_INPUTS];
    bool add[NN_MAX_INPUTS];
    struct nn_par *par;
    enum core_rc rc;
    size_t s;
    int i, top;
    uint32_t k;

    CORE_ASSERT(n_seeds >= 1);
    for (s = 0; s < n_seeds; s++)
        if (from[s] < 0 || from[s] >= (int)t->n)
            return core_err(e, CORE_E_INPUT,
                            "backward from layer %d: the model has layers 0..%zu", from[s],
                            t->n - 1);
    if (!t->forward_done)
        return core_err(e, CORE_E_INPUT, "backward before any training forward pass");
    rc = threads_par(t, threads, &par, e);
    if (rc != CORE_OK)
        return rc;
    memset(t->written, 0, (t->n + 1) * sizeof(*t->written));
    top = from[0];
    for (s = 1; s < n_seeds; s++)
        top = from[s] > top ? from[s] : top;
    for (i = (int)t->n - 1; i >= 0; i--) {
        const struct nn_layer *l = layer(t, i);
        const struct nn_layer_train *tr = nn_op_ops(l->op)->train;
        float *pg = t->pgrads + t->pg_off[i];
        struct nn_bwd b;
        /* A seed joins its root's gradient once every reader of the root has
         * added to it: just before the root's own backward. */
        for (s = 0; s < n_seeds; s++)
            if (t->root[from[s] + 1] == i)
                seed_grad(t, from[s], grad[s]);
        if (!owns(l))
            continue;
        if (i > top || !t->written[i + 1] || !tr->backward) {
            memset(pg, 0, (size_t)l->n_params * sizeof(*pg));
            continue;
        }
        for (k = 0; k < l->n_inputs; k++) {
            const int r = t->root[l->inputs[k] + 1];
            in[k] = t->data[l->inputs[k] + 1];
            dx[k] = grad_of(t, l->inputs[k]);
            add[k] = t->written[r + 1];
            if (dx[k])
                t->written[r + 1] = true;
        }
        b = (struct nn_bwd){.l = l,
                            .in = in,
                            .out = t->data[i + 1],
                            .dy = t->grads + t->grad_off[i + 1],
                            .dx = dx,
                            .dx_add = add,
                            .dw = pg,
                            .aux = t->aux + t->aux_off[i],
                            .ws = t->ws,
                            .par = par};
        tr->backward(&b);
    }
    for (s = 0; s < n_seeds; s++)
        if (t->root[from[s] + 1] == NN_INPUT)
            seed_grad(t, from[s], grad[s]);
    if (t->input_grad && !t->written[0])
        memset(t->grads + t->grad_off[0], 0, tensor_elems(t, NN_INPUT) * sizeof(float));
    return CORE_OK;
}

enum core_rc nn_train_backward(struct nn_train *t, int from, const float *grad, int threads,
                               struct core_err *e)
{
    return nn_train_backward_seeds(t, 1, &from, &grad, threads, e);
}

const float *nn_train_grads(const struct nn_train *t, int i, size_t *n)
{
    const struct nn_layer *l = layer(t, i);

    *n = (size_t)l->n_params;
    return l->n_params ? t->pgrads + t->pg_off[i] : NULL;
}

const float *nn_train_input_grad(const struct nn_train *t)
{
    return t->input_grad ? t->grads + t->grad_off[0] : NULL;
}
