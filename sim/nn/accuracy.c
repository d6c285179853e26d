/*
 * accuracy.c — what a split and a feature encoding do to a classifier's
 * accuracy (nn.h): the model run as a device and an edge would run it, the
 * crossing tensors encoded and decoded between the two parts.
 *
 * Per batch of B items: part A (the device's) runs once, its exits copied
 * out; then for each encoding every crossing tensor of every item (one
 * tensor of one inference: its own scale, zero point or top-k) is encoded
 * into bytes and decoded into B's entry buffer, and part B (the edge's)
 * runs on them; an item is correct when the first largest of its outputs is
 * at its label. The model input, when it crosses, is taken from the batch.
 * Buffers are allocated once per call: per crossing tensor its exit copy
 * and its decoded copy (64-byte aligned, so that B's results are the bits of
 * a whole run for fp32), one item's encoded bytes and top-k's scratch.
 */
#include "nn/nn_int.h"

#include <string.h>

/* Elements of one batch item of tensor t. */
static size_t item_elems(const struct nn_model *m, int t)
{
    const struct nn_shape s = nn_model_shape(m, t);

    return (size_t)s.c * s.h * s.w;
}

/* Whether layer j joins its producer's problem layer (nn_model_cut_prefixes):
 * it reads only layer j - 1, which it alone reads, and is an alias once
 * folded and fused, a flatten or a dropout. */
static bool joins_previous(const struct nn_model *m, size_t j)
{
    const size_t n = nn_model_n_layers(m);
    size_t n_in, readers = 0;
    const int *in;
    enum nn_op op;

    if (j == 0)
        return false;
    in = nn_model_layer_inputs(m, (int)j, &n_in);
    op = nn_model_layer_op(m, (int)j);
    for (size_t r = j; r < n; r++) {
        size_t n_r;
        const int *ri = nn_model_layer_inputs(m, (int)r, &n_r);

        for (size_t q = 0; q < n_r; q++)
            readers += ri[q] == (int)j - 1;
    }
    return n_in == 1 && in[0] == (int)j - 1 && readers == 1 &&
           (nn_model_layer_alias(m, (int)j) || op == NN_OP_FLATTEN || op == NN_OP_DROPOUT);
}

size_t nn_model_cut_prefixes(const struct nn_model *m, size_t *k)
{
    const size_t n = nn_model_n_layers(m);
    size_t count = 0;

    for (size_t j = 0; j < n; j++)
        if (!joins_previous(m, j))
            k[count++] = j;
    return count;
}

/* The enumeration of nn_model_cut_dag over units (problem layers): unit u
 * is layers head[u] .. head[u + 1] - 1. */
struct dag_enum {
    const struct nn_model *m; /* borrowed */
    size_t n;                 /* layers */
    size_t n_units;           /* units */
    size_t *head;             /* [n_units + 1]: each unit's first layer, then n */
    size_t *unit_of;          /* [n]: each layer's unit */
    bool *in;                 /* [n_units]: the units of the set being built */
    bool *sets;               /* [cap x n]: the cuts found */
    size_t count;             /* cuts found */
    size_t cap;               /* room in sets, cuts */
    size_t limit;             /* most cuts wanted */
    bool over;                /* more than limit exist */
    bool nomem;               /* sets could not grow */
};

/* Whether every input of unit u's layers is the model input, in u or in
 * a unit of the set. */
static bool unit_ready(const struct dag_enum *d, size_t u)
{
    for (size_t j = d->head[u]; j < d->head[u + 1]; j++) {
        size_t n_in;
        const int *in = nn_model_layer_inputs(d->m, (int)j, &n_in);

        for (size_t q = 0; q < n_in; q++)
            if (in[q] != NN_INPUT && d->unit_of[in[q]] != u && !d->in[d->unit_of[in[q]]])
                return false;
    }
    return true;
}

/* Keep the set of units in d->in when it is a cut worth measuring. */
static void dag_leaf(struct dag_enum *d)
{
    size_t k = 0;
    bool *set;

    if (d->in[d->n_units - 1])
        return; /* the last layer stays at the edge */
    while (k < d->n_units && d->in[k])
        k++;
    for (size_t u = k; u < d->n_units; u++)
        if (d->in[u])
            break;
        else if (u == d->n_units - 1)
            return; /* units 0..k-1: a prefix */
    if (d->count == d->limit) {
        d->over = true;
        return;
    }
    if (d->count == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 16;
        bool *grown = core_realloc(d->sets, cap * d->n * sizeof(*grown));

        if (!grown) {
            d->nomem = true;
            return;
        }
        d->sets = grown;
        d->cap = cap;
    }
    set = d->sets + d->count++ * d->n;
    for (size_t j = 0; j < d->n; j++)
        set[j] = d->in[d->unit_of[j]];
}

/* Decide units u.. in order: out, then in when its inputs are. */
static void dag_walk(struct dag_enum *d, size_t u)
{
    if (d->over || d->nomem)
        return;
    if (u == d->n_units) {
        dag_leaf(d);
        return;
    }
    dag_walk(d, u + 1);
    if (unit_ready(d, u)) {
        d->in[u] = true;
        dag_walk(d, u + 1);
        d->in[u] = false;
    }
}

enum core_rc nn_model_cut_dag(const struct nn_model *m, size_t limit, bool **sets, size_t *count,
                              struct core_err *e)
{
    struct dag_enum d = {.m = m, .n = nn_model_n_layers(m), .limit = limit};
    enum core_rc rc = CORE_OK;

    *sets = NULL;
    *count = 0;
    d.head = core_calloc(d.n + 1, sizeof(*d.head));
    d.unit_of = core_calloc(d.n, sizeof(*d.unit_of));
    d.in = core_calloc(d.n, sizeof(*d.in));
    if (!d.head || !d.unit_of || !d.in) {
        rc = core_err(e, CORE_E_NOMEM, "out of memory for a model's cuts");
        goto out;
    }
    for (size_t j = 0; j < d.n; j++) {
        if (!joins_previous(m, j))
            d.head[d.n_units++] = j;
        d.unit_of[j] = d.n_units - 1;
    }
    d.head[d.n_units] = d.n;
    dag_walk(&d, 0);
    if (d.nomem)
        rc = core_err(e, CORE_E_NOMEM, "out of memory for a model's cuts");
    else if (d.over)
        rc = core_err(e, CORE_E_INPUT,
                      "the model has more than %zu cuts that are no prefix of its layer order",
                      limit);
    if (rc != CORE_OK) {
        core_free(d.sets);
        goto out;
    }
    *sets = d.sets;
    *count = d.count;
out:
    core_free(d.head);
    core_free(d.unit_of);
    core_free(d.in);
    return rc;
}

enum core_rc nn_split_encoded_bytes(const struct nn_model *m, const bool *a,
                                    const struct nn_encoding *enc, uint64_t *bytes,
                                    struct core_err *e)
{
    int *ids = core_calloc(nn_model_n_layers(m) + 1, sizeof(*ids));
    size_t count;

    if (!ids)
        return core_err(e, CORE_E_NOMEM, "out of memory for a split's crossing tensors");
    count = nn_model_split_crossing(m, a, ids);
    *bytes = 0;
    for (size_t j = 0; j < count; j++)
        *bytes += nn_encoding_bytes(enc, item_elems(m, ids[j]));
    core_free(ids);
    return CORE_OK;
}

/* The buffers of one call. */
struct split_bufs {
    size_t n_cross;        /* crossing tensors */
    int *ids;              /* [n_layers + 1]: their tensor ids, in B's entry order */
    float *x;              /* the batch's input, (B, C, H, W) */
    uint32_t *y;           /* the batch's labels */
    size_t *idx;           /* the batch's item indices */
    float **exit;          /* [n_cross]: A's exits (NULL where the input crosses) */
    float **dec;           /* [n_cross]: the decoded tensors, B's entries */
    uint8_t *bytes;        /* one item's encoding of the largest crossing tensor */
    float *ws;             /* top-k's scratch for it */
    bool *b;               /* the complement of a */
};

static void bufs_free(struct split_bufs *s)
{
    for (size_t j = 0; s->exit && s->dec && j < s->n_cross; j++) {
        core_free(s->exit[j]);
        core_free(s->dec[j]);
    }
    core_free(s->exit);
    core_free(s->dec);
    core_free(s->x);
    core_free(s->y);
    core_free(s->idx);
    core_free(s->bytes);
    core_free(s->ws);
    core_free(s->b);
    core_free(s->ids);
}

static enum core_rc bufs_alloc(struct split_bufs *s, const struct nn_model *m, const bool *a,
                               const struct nn_split_accuracy_config *c, struct core_err *e)
{
    const size_t n = nn_model_n_layers(m);
    const uint32_t batch = nn_model_shape(m, NN_INPUT).n;
    uint64_t most_bytes = 0;
    size_t most_elems = 0;

    memset(s, 0, sizeof(*s));
    s->ids = core_calloc(n + 1, sizeof(*s->ids));
    if (!s->ids)
        goto nomem;
    s->n_cross = nn_model_split_crossing(m, a, s->ids);
    s->x = core_aligned_alloc(64, nn_model_tensor_bytes(m, NN_INPUT));
    s->y = core_calloc(batch, sizeof(*s->y));
    s->idx = core_calloc(batch, sizeof(*s->idx));
    s->exit = core_calloc(s->n_cross, sizeof(*s->exit));
    s->dec = core_calloc(s->n_cross, sizeof(*s->dec));
    s->b = core_calloc(n, sizeof(*s->b));
    if (!s->x || !s->y || !s->idx || !s->exit || !s->dec || !s->b)
        goto nomem;
    for (size_t j = 0; j < s->n_cross; j++) {
        const size_t elems = item_elems(m, s->ids[j]);

        if (s->ids[j] != NN_INPUT &&
            !(s->exit[j] = core_aligned_alloc(64, nn_model_tensor_bytes(m, s->ids[j]))))
            goto nomem;
        if (!(s->dec[j] = core_aligned_alloc(64, nn_model_tensor_bytes(m, s->ids[j]))))
            goto nomem;
        most_elems = elems > most_elems ? elems : most_elems;
        for (size_t k = 0; k < c->n_encs; k++) {
            const uint64_t b = nn_encoding_bytes(&c->encs[k], elems);

            most_bytes = b > most_bytes ? b : most_bytes;
        }
    }
    s->bytes = core_malloc(most_bytes);
    s->ws = core_calloc(most_elems, sizeof(*s->ws));
    if (!s->bytes || !s->ws)
        goto nomem;
    for (size_t i = 0; i < n; i++)
        s->b[i] = !a[i];
    return CORE_OK;
nomem:
    bufs_free(s);
    return core_err(e, CORE_E_NOMEM, "out of memory for a split's buffers");
}

/* Index of the first largest of v[0..k). */
static size_t argmax(const float *v, size_t k)
{
    size_t best = 0;

    for (size_t i = 1; i < k; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

enum core_rc nn_split_accuracy(struct nn_model *m, const struct nn_dataset *d, const bool *a,
                               const struct nn_split_accuracy_config *c, size_t *correct,
                               struct core_err *e)
{
    const size_t n_layers = nn_model_n_layers(m);
    const struct nn_shape in = nn_model_shape(m, NN_INPUT);
    const size_t classes = item_elems(m, (int)n_layers - 1);
    struct split_bufs s;
    bool a_empty = true;
    enum core_rc rc;

    if (!nn_model_is_finalized(m))
        return core_err(e, CORE_E_INPUT, "the model is not finalized");
    if (in.c != d->c || in.h != d->h || in.w != d->w || classes < d->classes)
        return core_err(e, CORE_E_INPUT,
                        "the model takes %ux%ux%u inputs and gives %zu outputs; the data are "
                        "%ux%ux%u images of %u classes",
                        in.c, in.h, in.w, classes, d->c, d->h, d->w, d->classes);
    rc = nn_model_check_part(m, a, e);
    if (rc != CORE_OK)
        return rc;
    for (size_t i = 0; i < n_layers; i++)
        a_empty = a_empty && !a[i];
    if (a[n_layers - 1])
        return core_err(e, CORE_E_INPUT, "the split leaves no layer to the edge");
    rc = bufs_alloc(&s, m, a, c, e);
    if (rc != CORE_OK)
        return rc;
    for (size_t k = 0; k < c->n_encs; k++)
        correct[k] = 0;
    for (size_t start = 0; start < d->n; start += in.n) {
        const size_t used = d->n - start < in.n ? d->n - start : in.n;

        if (c->stop && *c->stop) {
            rc = core_err(e, CORE_E_INTERRUPTED, "interrupted");
            goto out;
        }
        for (size_t i = 0; i < in.n; i++)
            s.idx[i] = start + (i < used ? i : used - 1); /* the last batch padded */
        nn_dataset_batch(d, s.idx, in.n, s.x, s.y);
        if (!a_empty) {
            /* a's exits follow the input in the crossing list when it crosses */
            rc = nn_model_forward_part(m, a, (const float *const[]){s.x},
                                       s.exit + (s.ids[0] == NN_INPUT), c->threads, e);
            if (rc != CORE_OK)
                goto out;
        }
        for (size_t k = 0; k < c->n_encs; k++) {
            const float *out;

            for (size_t j = 0; j < s.n_cross; j++) {
                const size_t elems = item_elems(m, s.ids[j]);
                const float *src = s.ids[j] == NN_INPUT ? s.x : s.exit[j];

                for (size_t i = 0; i < in.n; i++) {
                    nn_encode(&c->encs[k], src + i * elems, elems, s.bytes, s.ws);
                    if (!nn_decode(&c->encs[k], s.bytes, elems, s.dec[j] + i * elems))
                        CORE_ASSERT(!"nn_decode reads what nn_encode wrote");
                }
            }
            rc = nn_model_forward_part(m, s.b, (const float *const *)s.dec, NULL, c->threads, e);
            if (rc != CORE_OK)
                goto out;
            out = nn_model_output(m);
            for (size_t i = 0; i < used; i++)
                correct[k] += argmax(out + i * classes, classes) == s.y[i];
        }
        if (c->progress)
            c->progress(c->ctx, start + used);
    }
out:
    bufs_free(&s);
    return rc;
}
