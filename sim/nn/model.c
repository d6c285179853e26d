/*
 * model.c — nn_model_*: building a layer graph, drawing its weights,
 * planning its activations, folding batch norms, and running it whole or in
 * parts.
 *
 * Layers are kept in the order they were added, which is a topological order
 * (inputs always name earlier layers). Every layer's output is a tensor named
 * by the layer's index; the model input is NN_INPUT. Alias layers (flatten,
 * dropout, and batch norms or activations once folded or fused) own no
 * memory: at run time their data pointer is their input's.
 *
 * Activation plan (at finalize): each layer that owns memory gets an
 * interval [its index, the last layer reading it, through aliases], the
 * output layer's reaching past the end; a batch norm that may later be folded
 * into its conv, or an activation that may later be fused into its conv or
 * fc, stretches that layer's interval over its own, so that the alias stays
 * valid. Buffers are placed greedily, largest first, at
 * the lowest 64-byte-aligned arena offset not used by a buffer whose interval
 * overlaps. A layer's output never shares memory with its inputs (their
 * intervals meet at its index), so no op runs in place.
 *
 * Parts: a run of any subset of layers executes them in index order, reads
 * its entries from the caller's buffers and copies each exit to the caller
 * right after it is computed. Within the run every buffer is live over a
 * sub-interval of its planned one, so the whole-model plan stays valid for
 * any part, and a layer computes the same bits from the same input values
 * whichever part runs it.
 */
#include "nn/nn_int.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Floats per 64-byte line: every weight block and buffer starts on one. */
#define NN_ALIGN_FLOATS 16

static const struct nn_layer_ops *const op_table[] = {
    [NN_OP_CONV2D] = &nn_conv2d_ops,
    [NN_OP_FC] = &nn_fc_ops,
    [NN_OP_BATCHNORM] = &nn_batchnorm_ops,
    [NN_OP_RELU] = &nn_relu_ops,
    [NN_OP_RELU6] = &nn_relu6_ops,
    [NN_OP_MAXPOOL] = &nn_maxpool_ops,
    [NN_OP_AVGPOOL] = &nn_avgpool_ops,
    [NN_OP_GAP] = &nn_gap_ops,
    [NN_OP_ADD] = &nn_add_ops,
    [NN_OP_CONCAT] = &nn_concat_ops,
    [NN_OP_FLATTEN] = &nn_flatten_ops,
    [NN_OP_SOFTMAX] = &nn_softmax_ops,
    [NN_OP_DROPOUT] = &nn_dropout_ops,
    [NN_OP_SIGMOID] = &nn_sigmoid_ops,
    [NN_OP_HARDSIGMOID] = &nn_hardsigmoid_ops,
    [NN_OP_HARDSWISH] = &nn_hardswish_ops,
    [NN_OP_SILU] = &nn_silu_ops,
    [NN_OP_MUL] = &nn_mul_ops,
    [NN_OP_SLICE] = &nn_slice_ops,
    [NN_OP_SHUFFLE] = &nn_shuffle_ops,
};
static_assert(ARRAY_LEN(op_table) == NN_OP_COUNT, "one ops entry per enum nn_op");

struct nn_model {
    struct nn_shape input;   /* model input shape, elements */
    struct nn_layer *layers; /* n_layers of them, in topological order, owned */
    size_t n_layers;         /* layers added */
    size_t cap;              /* capacity of layers[] */
    bool finalized;          /* weights drawn, arena planned */

    float *weights;      /* all layers' parameters, one aligned block, owned */
    float *arena;        /* all owned activations, one aligned block, owned */
    size_t arena_floats; /* arena size, floats */
    float *ws;           /* workspace, owned */
    size_t ws_floats;    /* workspace size, floats */
    const float **data;  /* n_layers + 1 tensor pointers during a run ([t + 1]) */
    int input_edge;      /* first edge reading the model input, -1: none */
    double *layer_s;     /* where runs record each layer's wall time, s (borrowed) */
    const float *output; /* the last run's output, or NULL */
    struct nn_par *par;  /* worker of runs at >= 2 threads, started by the first, owned */
    struct nn_names names; /* layer index by name (names.c), owned */
};

bool nn_op_find(const char *name, enum nn_op *op)
{
    for (int i = 0; i < NN_OP_COUNT; i++)
        if (strcmp(nn_op_name((enum nn_op)i), name) == 0) {
            *op = (enum nn_op)i;
            return true;
        }
    return false;
}

const char *nn_op_name(enum nn_op op)
{
    CORE_ASSERT((unsigned)op < NN_OP_COUNT);
    return op_table[op]->name;
}

uint64_t nn_shape_bytes(const struct nn_shape *s)
{
    return (uint64_t)nn_shape_elems(s) * sizeof(float);
}

void nn_he_uniform(float *w, size_t n, size_t fan_in, struct core_rng *r)
{
    const double a = sqrt(6.0 / (double)(fan_in ? fan_in : 1));
    size_t i;

    for (i = 0; i < n; i++)
        w[i] = (float)((2.0 * core_rng_uniform(r) - 1.0) * a);
}

static size_t round_up(size_t n)
{
    return (n + NN_ALIGN_FLOATS - 1) / NN_ALIGN_FLOATS * NN_ALIGN_FLOATS;
}

/* ======================================================================== */
/* Building                                                                  */
/* ======================================================================== */

enum core_rc nn_model_create(const struct nn_shape *input, struct nn_model **out,
                             struct core_err *e)
{
    struct nn_model *m;

    *out = NULL;
    if (input->n == 0 || input->c == 0 || input->h == 0 || input->w == 0)
        return core_err(e, CORE_E_INPUT, "model input shape (%u, %u, %u, %u) has a zero dimension",
                        input->n, input->c, input->h, input->w);
    m = core_calloc(1, sizeof(*m));
    if (!m)
        return core_err(e, CORE_E_NOMEM, "out of memory creating a model");
    m->input = *input;
    m->input_edge = -1;
    *out = m;
    return CORE_OK;
}

static void release_plan(struct nn_model *m)
{
    size_t i;

    core_free(m->weights);
    core_free(m->arena);
    core_free(m->ws);
    core_free(m->data);
    m->weights = m->arena = m->ws = NULL;
    m->data = NULL;
    m->arena_floats = m->ws_floats = 0;
    for (i = 0; i < m->n_layers; i++)
        m->layers[i].w = NULL;
    m->finalized = false;
}

void nn_model_destroy(struct nn_model *m)
{
    if (!m)
        return;
    release_plan(m);
    nn_par_destroy(m->par);
    nn_names_fini(&m->names);
    core_free(m->layers);
    core_free(m);
}

bool nn_model_find_layer(const struct nn_model *m, const char *name, int *index)
{
    return nn_names_find(&m->names, m->layers, name, index);
}

static const struct nn_shape *tensor_shape(const struct nn_model *m, int t)
{
    return t == NN_INPUT ? &m->input : &m->layers[t].out;
}

enum core_rc nn_model_add(struct nn_model *m, enum nn_op op, const struct nn_params *p,
                          const int *inputs, size_t n_inputs, const char *name, int *index_out,
                          struct core_err *e)
{
    const struct nn_layer_ops *ops;
    const int index = (int)m->n_layers;
    struct nn_layer l;
    char why[512];
    size_t i;
    int dup;

    CORE_ASSERT((unsigned)op < NN_OP_COUNT);
    ops = op_table[op];
    memset(&l, 0, sizeof(l));
    l.op = op;
    if (p)
        l.p = *p;
    if (name)
        snprintf(l.name, sizeof(l.name), "%s", name);
    else
        snprintf(l.name, sizeof(l.name), "%s%d", ops->name, index);

    if (m->finalized)
        return core_err(e, CORE_E_INPUT, "layer %d '%s' (%s): the model is already finalized",
                        index, l.name, ops->name);
    if (nn_model_find_layer(m, l.name, &dup))
        return core_err(e, CORE_E_INPUT, "layer %d '%s' (%s): the name is already layer %d's",
                        index, l.name, ops->name, dup);
    if (n_inputs < ops->min_inputs || n_inputs > ops->max_inputs)
        return core_err(e, CORE_E_INPUT, "layer %d '%s' (%s): takes %u to %u inputs, got %zu",
                        index, l.name, ops->name, ops->min_inputs, ops->max_inputs, n_inputs);
    for (i = 0; i < n_inputs; i++) {
        if (inputs[i] < NN_INPUT || inputs[i] >= index)
            return core_err(e, CORE_E_INPUT,
                            "layer %d '%s' (%s): input %zu is %d, not the model input (%d) "
                            "or an earlier layer (0..%d)",
                            index, l.name, ops->name, i, inputs[i], NN_INPUT, index - 1);
        l.inputs[i] = inputs[i];
        l.in[i] = *tensor_shape(m, inputs[i]);
    }
    l.n_inputs = (uint32_t)n_inputs;
    if (l.p.stride == 0)
        l.p.stride = 1;
    if (l.p.groups == 0)
        l.p.groups = 1;
    if (l.p.kernel_w == 0)
        l.p.kernel_w = l.p.kernel_h;
    if (l.p.eps == 0.0f)
        l.p.eps = 1e-5f;
    if ((unsigned)l.p.act >= NN_ACT_COUNT)
        return core_err(e, CORE_E_INPUT, "layer %d '%s' (%s): unknown activation %d", index, l.name,
                        ops->name, (int)l.p.act);
    if (!ops->infer(&l, why, sizeof(why)))
        return core_err(e, CORE_E_INPUT, "layer %d '%s' (%s): %s", index, l.name, ops->name, why);
    l.root = index;
    l.last_use = index;

    if (m->n_layers == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        struct nn_layer *grown = core_realloc(m->layers, cap * sizeof(*grown));
        if (!grown)
            return core_err(e, CORE_E_NOMEM, "out of memory adding layer %d '%s'", index, l.name);
        m->layers = grown;
        m->cap = cap;
    }
    m->layers[index] = l;
    if (!nn_names_add(&m->names, m->layers, index))
        return core_err(e, CORE_E_NOMEM, "out of memory adding layer %d '%s'", index, l.name);
    l.first_edge = -1;
    for (i = 0; i < n_inputs; i++) {
        int *head = inputs[i] >= 0 ? &m->layers[inputs[i]].first_edge : &m->input_edge;
        if (inputs[i] >= 0)
            m->layers[inputs[i]].n_consumers++;
        l.next_edge[i] = *head;
        *head = index * NN_MAX_INPUTS + (int)i;
    }
    m->layers[m->n_layers++] = l;
    if (index_out)
        *index_out = index;
    return CORE_OK;
}

/* ======================================================================== */
/* Finalize: weights and the activation plan                                */
/* ======================================================================== */

/* Can batch norm bn be folded into its input conv (now or later)? */
static bool foldable(const struct nn_model *m, const struct nn_layer *bn)
{
    const struct nn_layer *c;

    if (bn->op != NN_OP_BATCHNORM || bn->inputs[0] < 0)
        return false;
    c = &m->layers[bn->inputs[0]];
    return c->op == NN_OP_CONV2D && c->p.act == NN_ACT_NONE && c->n_consumers == 1;
}

/* The conv2d or fc layer an activation layer may be fused into (now or
 * later), or NULL: its input, or the conv of a foldable batch norm, with no
 * activation of its own and read by nothing else. */
static struct nn_layer *fusion_target(const struct nn_model *m, const struct nn_layer *act)
{
    struct nn_layer *t;

    if (nn_act_of_op(act->op) == NN_ACT_NONE || act->inputs[0] < 0)
        return NULL;
    t = &m->layers[act->inputs[0]];
    if (t->n_consumers != 1)
        return NULL;
    if (foldable(m, t))
        t = &m->layers[t->inputs[0]];
    if ((t->op != NN_OP_CONV2D && t->op != NN_OP_FC) || t->p.act != NN_ACT_NONE)
        return NULL;
    return t;
}

static enum core_rc draw_weights(struct nn_model *m, uint64_t seed, struct core_err *e)
{
    size_t total = 0, at = 0, i;

    for (i = 0; i < m->n_layers; i++)
        total += round_up(m->layers[i].n_weights);
    m->weights = core_aligned_alloc(64, (total ? total : NN_ALIGN_FLOATS) * sizeof(float));
    if (!m->weights)
        return core_err(e, CORE_E_NOMEM, "out of memory for %zu weights", total);
    for (i = 0; i < m->n_layers; i++) {
        struct nn_layer *l = &m->layers[i];
        const struct nn_layer_ops *ops = op_table[l->op];
        struct core_rng *r;

        l->w = m->weights + at;
        at += round_up(l->n_weights);
        l->bias_live = l->p.bias;
        l->act_live = l->p.act;
        l->folded = false;
        l->fused = false;
        if (!ops->init)
            continue;
        r = core_rng_create(seed, core_rng_entity(CORE_RNG_ENTITY_LAYER, (uint32_t)i, 0),
                            CORE_RNG_WEIGHTS);
        if (!r)
            return core_err(e, CORE_E_NOMEM, "out of memory drawing weights of layer %zu", i);
        ops->init(l, r);
        core_rng_destroy(r);
    }
    return CORE_OK;
}

struct slot {
    int layer;       /* owner */
    size_t floats;   /* size, rounded to 64 bytes */
    int first, last; /* live interval, layer positions */
    size_t offset;   /* placed offset, floats */
};

static int by_size_desc(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;

    if (x->floats != y->floats)
        return x->floats > y->floats ? -1 : 1;
    return x->layer - y->layer;
}

static int by_offset(const void *a, const void *b)
{
    const struct slot *const *x = a, *const *y = b;

    if ((*x)->offset != (*y)->offset)
        return (*x)->offset < (*y)->offset ? -1 : 1;
    return 0;
}

static enum core_rc plan_arena(struct nn_model *m, struct core_err *e)
{
    const int n = (int)m->n_layers;
    struct slot *slots = NULL, **placed = NULL;
    size_t n_slots = 0, arena = 0, ws = 0, s, k, n_placed;
    int i;

    for (i = 0; i < n; i++) {
        struct nn_layer *l = &m->layers[i];
        int in0 = l->inputs[0];
        l->root = op_table[l->op]->alias ? (in0 >= 0 ? m->layers[in0].root : NN_INPUT) : i;
        l->last_use = i;
        if (l->ws_floats > ws)
            ws = l->ws_floats;
    }
    for (i = 0; i < n; i++) {
        const struct nn_layer *l = &m->layers[i];
        for (k = 0; k < l->n_inputs; k++) {
            int r = l->inputs[k] >= 0 ? m->layers[l->inputs[k]].root : NN_INPUT;
            if (r >= 0 && m->layers[r].last_use < i)
                m->layers[r].last_use = i;
        }
    }
    if (m->layers[n - 1].root >= 0)
        m->layers[m->layers[n - 1].root].last_use = n;
    for (i = 0; i < n; i++) {
        const struct nn_layer *l = &m->layers[i];
        struct nn_layer *c = foldable(m, l) ? &m->layers[l->inputs[0]] : fusion_target(m, l);
        if (c && c->last_use < l->last_use)
            c->last_use = l->last_use;
    }

    slots = core_calloc((size_t)n, sizeof(*slots));
    placed = core_calloc((size_t)n, sizeof(*placed));
    if (!slots || !placed) {
        core_free(slots);
        core_free(placed);
        return core_err(e, CORE_E_NOMEM, "out of memory planning activations");
    }
    for (i = 0; i < n; i++) {
        const struct nn_layer *l = &m->layers[i];
        if (l->root != i)
            continue;
        slots[n_slots++] = (struct slot){i, round_up(nn_shape_elems(&l->out)), i, l->last_use, 0};
    }
    qsort(slots, n_slots, sizeof(*slots), by_size_desc);
    for (s = 0; s < n_slots; s++) {
        size_t offset = 0;
        n_placed = 0;
        for (k = 0; k < s; k++)
            if (slots[k].first <= slots[s].last && slots[s].first <= slots[k].last)
                placed[n_placed++] = &slots[k];
        qsort(placed, n_placed, sizeof(*placed), by_offset);
        for (k = 0; k < n_placed; k++) {
            if (placed[k]->offset >= offset + slots[s].floats)
                break;
            if (placed[k]->offset + placed[k]->floats > offset)
                offset = placed[k]->offset + placed[k]->floats;
        }
        slots[s].offset = offset;
        m->layers[slots[s].layer].offset = offset;
        if (offset + slots[s].floats > arena)
            arena = offset + slots[s].floats;
    }
    core_free(slots);
    core_free(placed);

    m->arena_floats = arena;
    m->ws_floats = round_up(ws);
    m->arena = core_aligned_alloc(64, (arena ? arena : NN_ALIGN_FLOATS) * sizeof(float));
    m->ws = core_aligned_alloc(64, (ws ? m->ws_floats : NN_ALIGN_FLOATS) * sizeof(float));
    m->data = core_calloc((size_t)n + 1, sizeof(*m->data));
    if (!m->arena || !m->ws || !m->data)
        return core_err(e, CORE_E_NOMEM, "out of memory for %zu bytes of activations",
                        (arena + m->ws_floats) * sizeof(float));
    return CORE_OK;
}

enum core_rc nn_model_finalize(struct nn_model *m, uint64_t seed, struct core_err *e)
{
    enum core_rc rc;
    size_t i;

    if (m->finalized)
        return core_err(e, CORE_E_INPUT, "the model is already finalized");
    if (m->n_layers == 0)
        return core_err(e, CORE_E_INPUT, "the model has no layers");
    for (i = 0; i + 1 < m->n_layers; i++) {
        const struct nn_layer *l = &m->layers[i];
        if (l->n_consumers == 0)
            return core_err(e, CORE_E_INPUT,
                            "layer %zu '%s' (%s): its output is never used (only the last "
                            "layer, the model output, may be unused)",
                            i, l->name, nn_op_name(l->op));
    }
    rc = draw_weights(m, seed, e);
    if (rc == CORE_OK)
        rc = plan_arena(m, e);
    if (rc != CORE_OK) {
        release_plan(m);
        return rc;
    }
    m->output = NULL;
    m->finalized = true;
    return CORE_OK;
}

size_t nn_model_fold_batchnorm(struct nn_model *m)
{
    size_t i, folded = 0;

    CORE_ASSERT(m->finalized);
    for (i = 0; i < m->n_layers; i++) {
        struct nn_layer *l = &m->layers[i];
        if (l->folded || !foldable(m, l))
            continue;
        nn_conv2d_fold_bn(&m->layers[l->inputs[0]], l);
        l->folded = true;
        folded++;
    }
    return folded;
}

bool nn_model_layer_alias(const struct nn_model *m, int i)
{
    const struct nn_layer *l;

    CORE_ASSERT(i >= 0 && (size_t)i < m->n_layers);
    l = &m->layers[i];
    return foldable(m, l) || fusion_target(m, l) != NULL;
}

size_t nn_model_fuse_activations(struct nn_model *m)
{
    size_t i, fused = 0;

    CORE_ASSERT(m->finalized);
    for (i = 0; i < m->n_layers; i++) {
        struct nn_layer *l = &m->layers[i], *t = fusion_target(m, l);
        const struct nn_layer *in;
        if (l->fused || !t || t->act_live != NN_ACT_NONE)
            continue;
        in = &m->layers[l->inputs[0]];
        if (in->op == NN_OP_BATCHNORM && !in->folded)
            continue;
        t->act_live = nn_act_of_op(l->op);
        l->fused = true;
        fused++;
    }
    return fused;
}

/* ======================================================================== */
/* Inspecting                                                                */
/* ======================================================================== */

static const struct nn_layer *layer_at(const struct nn_model *m, int i)
{
    CORE_ASSERT(i >= 0 && (size_t)i < m->n_layers);
    return &m->layers[i];
}

size_t nn_model_n_layers(const struct nn_model *m)
{
    return m->n_layers;
}

bool nn_model_is_finalized(const struct nn_model *m)
{
    return m->finalized;
}

enum nn_op nn_model_layer_op(const struct nn_model *m, int i)
{
    return layer_at(m, i)->op;
}

const char *nn_model_layer_name(const struct nn_model *m, int i)
{
    return layer_at(m, i)->name;
}

const struct nn_params *nn_model_layer_params(const struct nn_model *m, int i)
{
    return &layer_at(m, i)->p;
}

const int *nn_model_layer_inputs(const struct nn_model *m, int i, size_t *n)
{
    const struct nn_layer *l = layer_at(m, i);

    *n = l->n_inputs;
    return l->inputs;
}

struct nn_shape nn_model_shape(const struct nn_model *m, int t)
{
    return t == NN_INPUT ? m->input : layer_at(m, t)->out;
}

uint64_t nn_model_tensor_bytes(const struct nn_model *m, int t)
{
    struct nn_shape s = nn_model_shape(m, t);

    return nn_shape_bytes(&s);
}

void nn_model_layer_cost(const struct nn_model *m, int i, struct nn_cost *c)
{
    const struct nn_layer *l = layer_at(m, i);

    memset(c, 0, sizeof(*c));
    op_table[l->op]->cost(l, c);
    c->params = l->n_params;
    c->output_bytes = nn_shape_bytes(&l->out);
}

void nn_model_cost(const struct nn_model *m, struct nn_cost *c)
{
    size_t i;

    memset(c, 0, sizeof(*c));
    for (i = 0; i < m->n_layers; i++) {
        struct nn_cost lc;
        nn_model_layer_cost(m, (int)i, &lc);
        c->flops += lc.flops;
        c->macs += lc.macs;
        c->params += lc.params;
        c->output_bytes = lc.output_bytes;
    }
}

float *nn_model_layer_weights(struct nn_model *m, int i, size_t *n)
{
    struct nn_layer *l;

    CORE_ASSERT(i >= 0 && (size_t)i < m->n_layers);
    l = &m->layers[i];
    if (!m->finalized || l->n_weights == 0) {
        *n = 0;
        return NULL;
    }
    *n = l->n_visible;
    return l->w;
}

uint64_t nn_model_arena_bytes(const struct nn_model *m)
{
    return (uint64_t)m->arena_floats * sizeof(float);
}

uint64_t nn_model_workspace_bytes(const struct nn_model *m)
{
    return (uint64_t)m->ws_floats * sizeof(float);
}

/* ======================================================================== */
/* Parts                                                                     */
/* ======================================================================== */

enum core_rc nn_model_check_part(const struct nn_model *m, const bool *member, struct core_err *e)
{
    size_t i, k;

    for (i = 0; i < m->n_layers; i++) {
        const struct nn_layer *l = &m->layers[i];
        if (!member[i])
            continue;
        for (k = 0; k < l->n_inputs; k++) {
            int t = l->inputs[k];
            if (t >= 0 && !member[t])
                return core_err(e, CORE_E_INPUT,
                                "layer %zu '%s' is in the part but its input, layer %d '%s', "
                                "is not: a part must hold every predecessor of its layers",
                                i, l->name, t, m->layers[t].name);
        }
    }
    return CORE_OK;
}

void nn_model_part_prefix(const struct nn_model *m, size_t k, bool *member)
{
    size_t i;

    CORE_ASSERT(k <= m->n_layers);
    for (i = 0; i < m->n_layers; i++)
        member[i] = i < k;
}

static bool in_part(const bool *member, int t)
{
    return t >= 0 && (!member || member[t]);
}

/* Edges: input slot k of layer i is edge i NN_MAX_INPUTS + k. The edges
 * reading tensor t form a list from t's first_edge through next_edge. */
static int first_edge(const struct nn_model *m, int t)
{
    return t == NN_INPUT ? m->input_edge : m->layers[t].first_edge;
}

/* Does some layer of the part (inside = true) or outside it read tensor t? */
static bool read_by(const struct nn_model *m, const bool *member, int t, bool inside)
{
    int edge;

    for (edge = first_edge(m, t); edge >= 0;
         edge = m->layers[edge / NN_MAX_INPUTS].next_edge[edge % NN_MAX_INPUTS])
        if (in_part(member, edge / NN_MAX_INPUTS) == inside)
            return true;
    return false;
}

static bool is_entry(const struct nn_model *m, const bool *member, int t)
{
    return !in_part(member, t) && read_by(m, member, t, true);
}

static bool is_exit(const struct nn_model *m, const bool *member, int t)
{
    return in_part(member, t) && read_by(m, member, t, false);
}

size_t nn_model_part_entries(const struct nn_model *m, const bool *member, int *ids)
{
    size_t n = 0;
    int t;

    for (t = NN_INPUT; t < (int)m->n_layers; t++)
        if (is_entry(m, member, t))
            ids[n++] = t;
    return n;
}

size_t nn_model_part_exits(const struct nn_model *m, const bool *member, int *ids)
{
    size_t n = 0;
    int t;

    for (t = 0; t < (int)m->n_layers; t++)
        if (is_exit(m, member, t))
            ids[n++] = t;
    return n;
}

/* Is t (NN_INPUT or a layer of a) read by a layer outside part a? */
static bool crosses(const struct nn_model *m, const bool *a, int t)
{
    return (t == NN_INPUT || a[t]) && read_by(m, a, t, false);
}

size_t nn_model_split_crossing(const struct nn_model *m, const bool *a, int *ids)
{
    size_t n = 0;
    int t;

    for (t = NN_INPUT; t < (int)m->n_layers; t++)
        if (crosses(m, a, t))
            ids[n++] = t;
    return n;
}

uint64_t nn_model_split_bytes(const struct nn_model *m, const bool *a)
{
    uint64_t bytes = 0;
    int t;

    for (t = NN_INPUT; t < (int)m->n_layers; t++)
        if (crosses(m, a, t))
            bytes += nn_model_tensor_bytes(m, t);
    return bytes;
}

/* ======================================================================== */
/* Running                                                                   */
/* ======================================================================== */

enum core_rc nn_model_forward_part(struct nn_model *m, const bool *member,
                                   const float *const *entries, float *const *exits, int threads,
                                   struct core_err *e)
{
    const float *in[NN_MAX_INPUTS];
    const int cores = nn_blas_cores();
    size_t n_entry = 0, n_exit = 0;
    enum core_rc rc;
    int t, i;
    uint32_t k;

    if (!m->finalized)
        return core_err(e, CORE_E_INPUT, "the model must be finalized before it runs");
    if (threads < 1 || threads > cores)
        return core_err(e, CORE_E_INPUT, "thread count %d is outside 1..%d (the cores)", threads,
                        cores);
    m->output = NULL;
    if (threads > 1 && !m->par) {
        m->par = nn_par_create();
        if (!m->par)
            return core_err(e, CORE_E_NOMEM, "cannot start the forward pass's worker thread");
    }
    rc = nn_blas_prepare(1, threads > 1 ? 2 : 1, e);
    if (rc != CORE_OK)
        return rc;
    for (t = NN_INPUT; t < (int)m->n_layers; t++)
        if (is_entry(m, member, t))
            m->data[t + 1] = entries[n_entry++];
    for (i = 0; i < (int)m->n_layers; i++) {
        const struct nn_layer *l = &m->layers[i];
        if (!in_part(member, i))
            continue;
        if (op_table[l->op]->alias || l->folded || l->fused) {
            m->data[i + 1] = m->data[l->inputs[0] + 1];
            if (m->layer_s)
                m->layer_s[i] = 0.0;
        } else {
            float *out = m->arena + l->offset;
            const double t0_s = m->layer_s ? core_wall_s() : 0.0;
            for (k = 0; k < l->n_inputs; k++)
                in[k] = m->data[l->inputs[k] + 1];
            op_table[l->op]->forward(l, in, out, m->ws, threads > 1 ? m->par : NULL);
            m->data[i + 1] = out;
            if (m->layer_s)
                m->layer_s[i] = core_wall_s() - t0_s;
        }
        if (exits && is_exit(m, member, i))
            memcpy(exits[n_exit++], m->data[i + 1], nn_shape_bytes(&l->out));
    }
    if (in_part(member, (int)m->n_layers - 1))
        m->output = m->data[m->n_layers];
    return CORE_OK;
}

enum core_rc nn_model_forward(struct nn_model *m, const float *input, int threads,
                              struct core_err *e)
{
    return nn_model_forward_part(m, NULL, &input, NULL, threads, e);
}

void nn_model_time_layers(struct nn_model *m, double *layer_s)
{
    m->layer_s = layer_s;
}

const float *nn_model_output(const struct nn_model *m)
{
    return m->output;
}

/* ======================================================================== */
/* Internal access for training (nn_int.h)                                   */
/* ======================================================================== */

const struct nn_layer_ops *nn_op_ops(enum nn_op op)
{
    CORE_ASSERT((unsigned)op < NN_OP_COUNT);
    return op_table[op];
}

struct nn_layer *nn_model_layer_int(struct nn_model *m, int i)
{
    CORE_ASSERT(i >= 0 && (size_t)i < m->n_layers);
    return &m->layers[i];
}

struct nn_par *nn_model_worker(struct nn_model *m)
{
    if (!m->par)
        m->par = nn_par_create();
    return m->par;
}
