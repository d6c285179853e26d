/*
 * exit_eval.c — nn_exits_classify: every stage's answer and confidence for
 * every item of a dataset, from which nn_exit_cascade then counts what any
 * set of thresholds gives (the items are run once for a whole grid).
 *
 * Per batch of B items: for each exit j the main model's prefix of layers
 * 0 .. attach_j runs as a part (nn_model_forward_part, its exit tensors
 * copied out: the attach point's output is one of them, as every layer but
 * the last is read by a later one), and the branch runs on that output;
 * then the whole main model runs. Recomputing each prefix keeps the main
 * model's arena plan untouched, at the cost of the prefixes' work again (the
 * figures are what a cascade gives, not how long this takes). Buffers are
 * allocated once per call: the batch, and the largest prefix's exit copies,
 * each 64-byte aligned.
 */
#include "nn/nn.h"

#include <string.h>

/* Floats per 64-byte line. */
#define LINE_FLOATS 16

/* The buffers of one call. */
struct exit_bufs {
    size_t n_layers;  /* the main model's layers */
    bool *member;     /* [n_layers]: the prefix being run */
    int *ids;         /* [n_layers + 1]: the prefix's exit tensors */
    float **outs;     /* [n_layers + 1]: where each goes */
    float *slots;     /* room for the largest prefix's exits, aligned slots */
    float *x;         /* the batch's input */
    uint32_t *y;      /* the batch's labels */
    size_t *idx;      /* the batch's item indices */
};

static void bufs_free(struct exit_bufs *b)
{
    core_free(b->member);
    core_free(b->ids);
    core_free(b->outs);
    core_free(b->slots);
    core_free(b->x);
    core_free(b->y);
    core_free(b->idx);
}

static size_t up(size_t n)
{
    return (n + LINE_FLOATS - 1) / LINE_FLOATS * LINE_FLOATS;
}

/* Floats the exits of the prefix through layer attach need. */
static size_t prefix_floats(const struct nn_model *m, struct exit_bufs *b, int attach)
{
    size_t n = 0, count;

    nn_model_part_prefix(m, (size_t)attach + 1, b->member);
    count = nn_model_part_exits(m, b->member, b->ids);
    for (size_t q = 0; q < count; q++)
        n += up(nn_model_tensor_bytes(m, b->ids[q]) / sizeof(float));
    return n;
}

static enum core_rc bufs_alloc(const struct nn_model *m, const struct nn_exits *x,
                               struct exit_bufs *b, struct core_err *e)
{
    const struct nn_shape in = nn_model_shape(m, NN_INPUT);
    size_t most = 0;

    b->n_layers = nn_model_n_layers(m);
    b->member = core_calloc(b->n_layers, sizeof(*b->member));
    b->ids = core_calloc(b->n_layers + 1, sizeof(*b->ids));
    b->outs = core_calloc(b->n_layers + 1, sizeof(*b->outs));
    b->x = core_aligned_alloc(64, nn_shape_bytes(&in));
    b->y = core_calloc(in.n, sizeof(*b->y));
    b->idx = core_calloc(in.n, sizeof(*b->idx));
    if (!b->member || !b->ids || !b->outs || !b->x || !b->y || !b->idx)
        return core_err(e, CORE_E_NOMEM, "out of memory for an early-exit evaluation");
    for (size_t j = 0; j < x->n; j++) {
        const size_t n = prefix_floats(m, b, x->v[j].attach);
        most = n > most ? n : most;
    }
    b->slots = core_aligned_alloc(64, (most ? most : 1) * sizeof(float));
    if (!b->slots)
        return core_err(e, CORE_E_NOMEM, "out of memory for an early-exit evaluation");
    return CORE_OK;
}

/* The first largest of row[0..k). */
static uint32_t argmax(const float *row, size_t k)
{
    uint32_t best = 0;

    for (uint32_t c = 1; c < k; c++)
        if (row[c] > row[best])
            best = c;
    return best;
}

/* Answers and scores of stage j for the batch's count items. */
static void record(const float *out, size_t count, size_t k, bool probs, enum nn_conf_kind kind,
                   size_t first, size_t stages, size_t j, uint32_t *pred, float *score)
{
    for (size_t i = 0; i < count; i++) {
        const float *row = out + i * k;
        pred[(first + i) * stages + j] = argmax(row, k);
        score[(first + i) * stages + j] = (float)nn_conf_score(kind, row, k, probs);
    }
}

/* Whether model m's last layer is a softmax (its outputs are probabilities). */
static bool ends_in_softmax(const struct nn_model *m)
{
    return nn_model_layer_op(m, (int)nn_model_n_layers(m) - 1) == NN_OP_SOFTMAX;
}

/* Run exit j's prefix and branch on the batch in b->x. */
static enum core_rc run_exit(struct nn_model *m, struct nn_exit *ex, struct exit_bufs *b,
                             int threads, struct core_err *e)
{
    const float *entry = b->x;
    const float *at = NULL;
    size_t count, off = 0;
    enum core_rc rc;

    nn_model_part_prefix(m, (size_t)ex->attach + 1, b->member);
    count = nn_model_part_exits(m, b->member, b->ids);
    for (size_t q = 0; q < count; q++) {
        b->outs[q] = b->slots + off;
        off += up(nn_model_tensor_bytes(m, b->ids[q]) / sizeof(float));
        if (b->ids[q] == ex->attach)
            at = b->outs[q];
    }
    CORE_ASSERT(at != NULL); /* every layer but the last is read by a later one */
    rc = nn_model_forward_part(m, b->member, &entry, b->outs, threads, e);
    if (rc == CORE_OK)
        rc = nn_model_forward(ex->branch, at, threads, e);
    return rc;
}

enum core_rc nn_exits_classify(struct nn_model *m, struct nn_exits *x, const struct nn_dataset *d,
                               enum nn_conf_kind k, int threads, volatile int *stop,
                               void (*progress)(void *ctx, size_t items_done), void *ctx,
                               uint32_t *pred, float *score, struct core_err *e)
{
    const struct nn_shape in = nn_model_shape(m, NN_INPUT);
    const size_t b = in.n, classes = d->classes, stages = x->n + 1;
    const int last = (int)nn_model_n_layers(m) - 1;
    const struct nn_shape out = nn_model_shape(m, last);
    struct exit_bufs bufs = {0};
    enum core_rc rc;

    if (!nn_model_is_finalized(m))
        return core_err(e, CORE_E_INPUT, "the model is not finalized");
    if (in.c != d->c || in.h != d->h || in.w != d->w)
        return core_err(e, CORE_E_INPUT,
                        "the model takes (%u, %u, %u) inputs, the dataset's items are (%u, %u, %u)",
                        in.c, in.h, in.w, d->c, d->h, d->w);
    if ((size_t)out.c * out.h * out.w != classes || classes < 2)
        return core_err(e, CORE_E_INPUT,
                        "the model gives %u outputs per item, the dataset has %zu classes",
                        out.c * out.h * out.w, classes);
    for (size_t j = 0; j < x->n; j++)
        if (!nn_model_is_finalized(x->v[j].branch) ||
            nn_model_shape(x->v[j].branch, NN_INPUT).n != b)
            return core_err(e, CORE_E_INPUT,
                            "exit '%s': the branch is not finalized at the model's batch size",
                            x->v[j].name);
    rc = bufs_alloc(m, x, &bufs, e);
    for (size_t start = 0; rc == CORE_OK && start < d->n; start += b) {
        const size_t count = d->n - start < b ? d->n - start : b;
        for (size_t i = 0; i < b; i++)
            bufs.idx[i] = start + (i < count ? i : 0);
        nn_dataset_batch(d, bufs.idx, b, bufs.x, bufs.y);
        for (size_t j = 0; j < x->n && rc == CORE_OK; j++) {
            rc = run_exit(m, &x->v[j], &bufs, threads, e);
            if (rc == CORE_OK)
                record(nn_model_output(x->v[j].branch), count, classes,
                       ends_in_softmax(x->v[j].branch), k, start, stages, j, pred, score);
        }
        if (rc == CORE_OK)
            rc = nn_model_forward(m, bufs.x, threads, e);
        if (rc != CORE_OK)
            break;
        record(nn_model_output(m), count, classes, ends_in_softmax(m), k, start, stages, x->n,
               pred, score);
        if (progress)
            progress(ctx, start + count);
        if (stop && *stop)
            rc = core_err(e, CORE_E_INTERRUPTED, "interrupted after %zu of %zu items",
                          start + count, d->n);
    }
    bufs_free(&bufs);
    return rc;
}
