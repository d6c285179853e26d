/*
 * fit.c — nn_fit and nn_evaluate: supervised training of a classifier on a
 * labelled image dataset, and its accuracy.
 *
 * An epoch draws a permutation of the training items (Fisher-Yates from the
 * stream (seed, epoch, CORE_RNG_SHUFFLE), starting from the identity, so an
 * epoch's order depends on the seed and its number only) and runs
 * floor(n / B) batches of B items: convert to floats, augment (optional:
 * per item a flip with probability 0.5, then a shift by dy, dx in -2..2 with
 * zero fill, three draws from (seed, epoch, CORE_RNG_AUGMENT)), training
 * forward, softmax cross-entropy on the logits (the input of a final
 * softmax), backward from the logits, one optimiser step at the scheduled
 * learning rate. Then the test set is evaluated in inference mode. At one
 * thread every step is deterministic, so a run repeats bit for bit.
 *
 * With early exits (c->exits), each step also runs every branch in training
 * mode on its attach point's training output, takes its cross-entropy times
 * its loss weight, backs it through the branch to the attach point, and the
 * main model's backward takes those gradients as extra seeds
 * (nn_train_backward_seeds); each branch has its own optimiser with the
 * main model's rule and learning rate. The reported loss and accuracy are
 * the main output's.
 */
#include "nn/nn_int.h"

#include <math.h>
#include <stdio.h>

/* Largest shift of the augmentation, pixels. */
#define NN_AUG_SHIFT 2

static const char *const schedule_names[] = {
    [NN_SCHEDULE_COSINE] = "cosine",
    [NN_SCHEDULE_CONSTANT] = "constant",
};
static_assert(ARRAY_LEN(schedule_names) == NN_SCHEDULE_COUNT, "one name per schedule");

const char *nn_schedule_name(enum nn_schedule s)
{
    CORE_ASSERT((unsigned)s < NN_SCHEDULE_COUNT);
    return schedule_names[s];
}

/* Floats of one output row of layer t (its C H W). */
static size_t row_floats(const struct nn_model *m, int t)
{
    const struct nn_shape s = nn_model_shape(m, t);

    return (size_t)s.c * s.h * s.w;
}

/* Does m take d's items and give d's classes? */
static enum core_rc check_fit(const struct nn_model *m, const struct nn_dataset *d,
                              struct core_err *e)
{
    const struct nn_shape in = nn_model_shape(m, NN_INPUT);
    const int last = (int)nn_model_n_layers(m) - 1;

    if (in.c != d->c || in.h != d->h || in.w != d->w)
        return core_err(e, CORE_E_INPUT,
                        "the model takes (%u, %u, %u) inputs, the dataset's items are (%u, %u, %u)",
                        in.c, in.h, in.w, d->c, d->h, d->w);
    if (row_floats(m, last) != d->classes)
        return core_err(e, CORE_E_INPUT,
                        "the model gives %zu outputs per item, the dataset has %u classes",
                        row_floats(m, last), d->classes);
    return CORE_OK;
}

enum core_rc nn_evaluate(struct nn_model *m, const struct nn_dataset *d, int threads,
                         double *accuracy, double *loss, struct core_err *e)
{
    const struct nn_shape in = nn_model_shape(m, NN_INPUT);
    const size_t b = in.n, item = (size_t)in.c * in.h * in.w, k = d->classes;
    const bool softmax = nn_model_layer_op(m, (int)nn_model_n_layers(m) - 1) == NN_OP_SOFTMAX;
    size_t *idx, start, i, j, hits = 0;
    uint32_t *y;
    float *x;
    double total = 0.0;
    enum core_rc rc = check_fit(m, d, e);

    if (rc != CORE_OK)
        return rc;
    idx = core_malloc(b * sizeof(*idx));
    y = core_malloc(b * sizeof(*y));
    x = core_aligned_alloc(64, b * item * sizeof(*x));
    if (!idx || !y || !x) {
        rc = core_err(e, CORE_E_NOMEM, "out of memory for a batch of %zu items", b);
        goto out_free;
    }
    for (start = 0; start < d->n; start += b) {
        const size_t count = d->n - start < b ? d->n - start : b;
        const float *out;
        for (i = 0; i < b; i++)
            idx[i] = start + (i < count ? i : 0);
        nn_dataset_batch(d, idx, b, x, y);
        rc = nn_model_forward(m, x, threads, e);
        if (rc != CORE_OK)
            goto out_free;
        out = nn_model_output(m);
        if (!softmax) {
            size_t c;
            total += nn_loss_xent(out, y, count, k, NULL, &c) * (double)count;
            hits += c;
            continue;
        }
        for (i = 0; i < count; i++) {
            const float *p = out + i * k;
            size_t best = 0;
            for (j = 1; j < k; j++)
                if (p[j] > p[best])
                    best = j;
            hits += best == y[i];
            total -= log(p[y[i]] > 1e-30f ? (double)p[y[i]] : 1e-30);
        }
    }
    *accuracy = d->n ? (double)hits / (double)d->n : 0.0;
    if (loss)
        *loss = d->n ? total / (double)d->n : 0.0;
out_free:
    core_free(idx);
    core_free(y);
    core_free(x);
    return rc;
}

/* Flip and shift the n items of x (each c planes of h x w) in place, with
 * tmp (one item) as scratch. */
static void augment(float *x, size_t n, uint32_t c, uint32_t h, uint32_t w, float *tmp,
                    struct core_rng *r)
{
    const size_t plane = (size_t)h * w, item = c * plane;
    size_t i;
    uint32_t ch;
    long oy, ox;

    for (i = 0; i < n; i++) {
        float *it = x + i * item;
        const bool flip = core_rng_uniform(r) < 0.5;
        const long dy = (long)core_rng_below(r, 2 * NN_AUG_SHIFT + 1) - NN_AUG_SHIFT;
        const long dx = (long)core_rng_below(r, 2 * NN_AUG_SHIFT + 1) - NN_AUG_SHIFT;
        memcpy(tmp, it, item * sizeof(*tmp));
        for (ch = 0; ch < c; ch++)
            for (oy = 0; oy < (long)h; oy++)
                for (ox = 0; ox < (long)w; ox++) {
                    const long sy = oy - dy, sx0 = ox - dx;
                    const long sx = flip ? (long)w - 1 - sx0 : sx0;
                    float v = 0.0f;
                    if (sy >= 0 && sy < (long)h && sx0 >= 0 && sx0 < (long)w)
                        v = tmp[ch * plane + (size_t)sy * w + (size_t)sx];
                    it[ch * plane + (size_t)oy * w + (size_t)ox] = v;
                }
    }
}

/* The learning rate of step s of total. */
static double scheduled_lr(const struct nn_fit_config *c, size_t s, size_t total)
{
    const double pi = 3.14159265358979323846;

    if (c->schedule == NN_SCHEDULE_CONSTANT || total == 0)
        return c->optim.lr;
    return c->optim.lr * 0.5 * (1.0 + cos(pi * (double)s / (double)total));
}

/* The state of one run. */
struct fit_run {
    struct nn_train *t;  /* the model in training */
    struct nn_optim *o;  /* its optimiser */
    size_t *order;       /* the epoch's permutation of the training items */
    float *x;            /* a batch of inputs, B items */
    float *tmp;          /* one item, for augmentation */
    float *dlogits;      /* dL/d logits, B rows */
    uint32_t *y;         /* the batch's labels */
    struct nn_exits *xs; /* the exits trained with the model (borrowed; NULL: none) */
    size_t n_x;          /* their count */
    struct nn_train **xt;   /* [n_x]: each branch in training */
    struct nn_optim **xo;   /* [n_x]: its optimiser */
    float *xd;              /* [n_x] x B rows: dL/d each branch's logits */
    int *from;              /* [n_x + 1]: the main backward's seeds, logits first */
    const float **seed;     /* [n_x + 1]: their gradients */
};

static void run_free(struct fit_run *u)
{
    for (size_t j = 0; j < u->n_x && u->xt; j++) {
        nn_optim_destroy(u->xo[j]);
        nn_train_destroy(u->xt[j]);
    }
    core_free(u->xt);
    core_free(u->xo);
    core_free(u->xd);
    core_free(u->from);
    core_free(u->seed);
    nn_optim_destroy(u->o);
    nn_train_destroy(u->t);
    core_free(u->order);
    core_free(u->x);
    core_free(u->tmp);
    core_free(u->dlogits);
    core_free(u->y);
}

/* The exits' part of a step after the main model's training forward: each
 * branch forward on its attach point, its weighted cross-entropy, backward
 * to its input; the seeds of the main backward set from them. */
static enum core_rc exits_step(struct fit_run *u, size_t classes, int threads,
                               struct core_err *e)
{
    const size_t b = nn_model_shape(nn_train_model(u->t), NN_INPUT).n;

    for (size_t j = 0; j < u->n_x; j++) {
        const struct nn_exit *ex = &u->xs->v[j];
        const int logits = nn_train_logits_layer(u->xt[j]);
        float *d = u->xd + j * b * classes;
        enum core_rc rc = nn_train_forward(u->xt[j], nn_train_tensor(u->t, ex->attach), threads, e);
        if (rc != CORE_OK)
            return rc;
        nn_loss_xent(nn_train_tensor(u->xt[j], logits), u->y, b, classes, d, NULL);
        for (size_t q = 0; q < b * classes; q++)
            d[q] = (float)(ex->loss_weight * d[q]);
        rc = nn_train_backward(u->xt[j], logits, d, threads, e);
        if (rc != CORE_OK)
            return rc;
        u->from[j + 1] = ex->attach;
        u->seed[j + 1] = nn_train_input_grad(u->xt[j]);
    }
    return CORE_OK;
}

/* Bind the exits of c for training: a train object (with dL/d input) and
 * an optimiser per branch, and the seed arrays. */
static enum core_rc exits_bind(struct fit_run *u, const struct nn_fit_config *c, size_t b,
                               size_t classes, struct core_err *e)
{
    const size_t n = c->exits ? c->exits->n : 0;

    u->xs = c->exits;
    u->from = core_calloc(n + 1, sizeof(*u->from));
    u->seed = core_calloc(n + 1, sizeof(*u->seed));
    if (!u->from || !u->seed)
        return core_err(e, CORE_E_NOMEM, "out of memory for a training run");
    if (n == 0)
        return CORE_OK;
    u->xt = core_calloc(n, sizeof(*u->xt));
    u->xo = core_calloc(n, sizeof(*u->xo));
    u->xd = core_malloc(n * b * classes * sizeof(*u->xd));
    if (!u->xt || !u->xo || !u->xd)
        return core_err(e, CORE_E_NOMEM, "out of memory for a training run's exits");
    u->n_x = n;
    for (size_t j = 0; j < n; j++) {
        const struct nn_model *br = c->exits->v[j].branch;
        const struct nn_shape o = nn_model_shape(br, (int)nn_model_n_layers(br) - 1);
        enum core_rc rc;
        if (nn_model_shape(br, NN_INPUT).n != b || (size_t)o.c * o.h * o.w != classes)
            return core_err(e, CORE_E_INPUT,
                            "exit '%s': the branch does not take the model's batch of %zu or "
                            "give the dataset's %zu classes",
                            c->exits->v[j].name, b, classes);
        rc = nn_train_create(c->exits->v[j].branch, nn_exits_seed(c->seed, j), true, &u->xt[j],
                             e);
        if (rc == CORE_OK)
            rc = nn_optim_create(u->xt[j], &c->optim, &u->xo[j], e);
        if (rc != CORE_OK)
            return rc;
    }
    return CORE_OK;
}

/* One epoch's training: the status is updated as it goes. */
static enum core_rc run_epoch(struct fit_run *u, const struct nn_dataset *d,
                              const struct nn_fit_config *c, uint32_t epoch,
                              struct nn_fit_status *st, double t0_s, struct core_err *e)
{
    struct nn_model *m = nn_train_model(u->t);
    const struct nn_shape in = nn_model_shape(m, NN_INPUT);
    const size_t b = in.n, steps = d->n / b, total = steps * c->epochs;
    const int logits = nn_train_logits_layer(u->t);
    struct core_rng *shuffle = core_rng_create(c->seed, epoch, CORE_RNG_SHUFFLE);
    struct core_rng *aug = c->augment ? core_rng_create(c->seed, epoch, CORE_RNG_AUGMENT) : NULL;
    const double e0_s = core_wall_s();
    double loss_sum = 0.0;
    size_t hits = 0, s, i;
    enum core_rc rc = CORE_OK;

    if (!shuffle || (c->augment && !aug)) {
        rc = core_err(e, CORE_E_NOMEM, "out of memory for an epoch's random streams");
        goto out;
    }
    for (i = 0; i < d->n; i++)
        u->order[i] = i;
    for (i = d->n; i > 1; i--) {
        const size_t j = (size_t)core_rng_below(shuffle, i), tmp = u->order[i - 1];
        u->order[i - 1] = u->order[j];
        u->order[j] = tmp;
    }
    for (s = 0; s < steps; s++) {
        size_t correct;
        nn_dataset_batch(d, u->order + s * b, b, u->x, u->y);
        if (aug)
            augment(u->x, b, in.c, in.h, in.w, u->tmp, aug);
        nn_optim_set_lr(u->o, scheduled_lr(c, (size_t)(epoch - 1) * steps + s, total));
        for (size_t j = 0; j < u->n_x; j++)
            nn_optim_set_lr(u->xo[j], scheduled_lr(c, (size_t)(epoch - 1) * steps + s, total));
        rc = nn_train_forward(u->t, u->x, c->threads, e);
        if (rc != CORE_OK)
            goto out;
        loss_sum += nn_loss_xent(nn_train_tensor(u->t, logits), u->y, b, d->classes, u->dlogits,
                                 &correct);
        hits += correct;
        rc = exits_step(u, d->classes, c->threads, e);
        if (rc != CORE_OK)
            goto out;
        u->from[0] = logits;
        u->seed[0] = u->dlogits;
        rc = nn_train_backward_seeds(u->t, u->n_x + 1, u->from, u->seed, c->threads, e);
        if (rc != CORE_OK)
            goto out;
        nn_optim_step(u->o, u->t);
        for (size_t j = 0; j < u->n_x; j++)
            nn_optim_step(u->xo[j], u->xt[j]);
        st->step = s + 1;
        st->loss = loss_sum / (double)(s + 1);
        st->accuracy = (double)hits / (double)((s + 1) * b);
        st->epoch_s = core_wall_s() - e0_s;
        st->elapsed_s = core_wall_s() - t0_s;
        if (c->progress)
            c->progress(c->ctx, st);
        if (c->stop && *c->stop) {
            rc = core_err(e, CORE_E_INTERRUPTED, "training interrupted in epoch %u, batch %zu",
                          epoch, s + 1);
            goto out;
        }
    }
out:
    core_rng_destroy(shuffle);
    core_rng_destroy(aug);
    return rc;
}

enum core_rc nn_fit(struct nn_model *m, const struct nn_dataset *train,
                    const struct nn_dataset *test, const struct nn_fit_config *c,
                    struct nn_fit_result *r, struct core_err *e)
{
    const struct nn_shape in = nn_model_shape(m, NN_INPUT);
    const size_t b = in.n, item = (size_t)in.c * in.h * in.w;
    struct fit_run u = {0};
    struct nn_fit_status st = {0};
    const double t0_s = core_wall_s();
    double epochs_s = 0.0;
    enum core_rc rc;
    uint32_t epoch;

    memset(r, 0, sizeof(*r));
    if (c->epochs == 0)
        return core_err(e, CORE_E_INPUT, "epochs must be at least 1");
    if ((unsigned)c->schedule >= NN_SCHEDULE_COUNT)
        return core_err(e, CORE_E_INPUT, "unknown learning-rate schedule %d", (int)c->schedule);
    rc = check_fit(m, train, e);
    if (rc == CORE_OK && test)
        rc = check_fit(m, test, e);
    if (rc != CORE_OK)
        return rc;
    if (train->n < b)
        return core_err(e, CORE_E_INPUT, "%zu training items do not fill one batch of %zu",
                        train->n, b);
    rc = nn_train_create(m, c->seed, false, &u.t, e);
    if (rc == CORE_OK)
        rc = nn_optim_create(u.t, &c->optim, &u.o, e);
    if (rc != CORE_OK)
        goto out;
    u.order = core_malloc(train->n * sizeof(*u.order));
    u.x = core_aligned_alloc(64, b * item * sizeof(*u.x));
    u.tmp = core_malloc(item * sizeof(*u.tmp));
    u.dlogits = core_malloc(b * train->classes * sizeof(*u.dlogits));
    u.y = core_malloc(b * sizeof(*u.y));
    if (!u.order || !u.x || !u.tmp || !u.dlogits || !u.y) {
        rc = core_err(e, CORE_E_NOMEM, "out of memory for a training run");
        goto out;
    }
    rc = exits_bind(&u, c, b, train->classes, e);
    if (rc != CORE_OK)
        goto out;
    st.epochs = c->epochs;
    st.steps = train->n / b;
    for (epoch = 1; epoch <= c->epochs; epoch++) {
        st.epoch = epoch;
        st.step = 0;
        st.epoch_end = false;
        st.test_loss = st.test_accuracy = NAN;
        rc = run_epoch(&u, train, c, epoch, &st, t0_s, e);
        if (rc != CORE_OK)
            goto out;
        epochs_s += st.epoch_s;
        if (test) {
            rc = nn_evaluate(m, test, c->threads, &st.test_accuracy, &st.test_loss, e);
            if (rc != CORE_OK)
                goto out;
        }
        st.epoch_end = true;
        st.elapsed_s = core_wall_s() - t0_s;
        if (c->progress)
            c->progress(c->ctx, &st);
        r->epochs = epoch;
        r->train_loss = st.loss;
        r->train_accuracy = st.accuracy;
        r->test_loss = st.test_loss;
        r->test_accuracy = st.test_accuracy;
        r->epoch_s = epochs_s / epoch;
    }
out:
    run_free(&u);
    return rc;
}
