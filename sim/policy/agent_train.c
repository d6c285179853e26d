/*
 * agent_train.c — offline training of the learning agent (policy.h, "the
 * learning agent"): from (state, plan, cost) samples only, no interaction.
 *
 * Per problem: the samples are checked (plan valid, cut of the family,
 * cost finite), shuffled (seed, CORE_RNG_SHUFFLE, entity AGENT_ENTITY +
 * problem) and the first share `holdout` held out; the features' means and
 * standard deviations (finite values only; sd 1 where a feature does not
 * vary) and the costs' are taken from the training part. The network is
 * built at the batch size (policy_agent_net_build, weights seeded with seed
 * + problem), its last layer's weights scaled by 1 / sqrt(layers + 2) so
 * that the first predictions, sums of that many heads, start near the
 * costs' scale. A step draws one batch per problem uniformly with
 * replacement (CORE_RNG_EXPLORATION stream of the problem), runs the
 * network in training mode, and backpropagates
 *   dL/d(heads of item b) = (huber'(Q_b - y_b) + alpha) / B x counts(a_b)
 *                           + alpha / B x dLZ_b / d(heads)
 * (policy_head_value and policy_head_logz: the counts of the heads the
 * taken plan selects, and minus their softmin expectation), then one Adam
 * step at lr (1 + cos(pi step / steps)) / 2. Imitation (behaviour cloning)
 * keeps the second term alone at alpha = 1: the cross-entropy of the
 * softmin over plans against the taken plan. With best_heldout, the
 * held-out loss is evaluated before the first step, every `every` steps and
 * after the last, and each problem keeps the weights of its least (early
 * stopping: a network that only overfits stays as it started, which with
 * the model prior is joint). With the model prior, the heads scored are
 * the network's plus the prior under the sample's state (agent_prior.c)
 * and the last layer starts at zero. Last, each head's standard error
 * (policy.h, "Pessimism per plan") from the kept weights: the mean squared
 * residual on the held-out samples over the head's information (the sum of
 * its squared counts over the training part's plans). Nothing here depends
 * on the wall clock or on the thread count beyond the nn module's passes.
 */
#include "policy/policy_int.h"

#include "nn/nn.h"

#include <string.h>

#define AGENT_ENTITY ((uint64_t)0xa6e47 << 32) /* the agent's RNG entities: + problem */
#define HUBER_DELTA 1.0                        /* in units of the costs' sd */

/* One problem in training. */
struct tprob {
    const struct policy_agent_problem *ap; /* given (borrowed) */
    struct policy_head head;               /* its heads over its family */
    struct policy_agent_part part;         /* signature and normalisation (arrays owned) */
    size_t *idx;                           /* [n] its samples, shuffled: held out first */
    size_t n, n_hold;                      /* samples, of which held out */
    struct nn_model *net;                  /* at batch B (owned) */
    struct nn_train *train;                /* owned */
    struct nn_optim *optim;                /* owned */
    struct core_rng *rng;                  /* batches (owned) */
    float *x;                              /* [B x n_state] normalised batch */
    float *dout;                           /* [B x heads] */
    float *q, *y, *dq;                     /* [B] predictions, targets, huber gradient */
    size_t *pick;                          /* [B] the batch's samples */
    int last;                              /* the network's last layer */
    double heldout_loss;                   /* at the last evaluation (NAN: none held out) */
    double best_loss;                      /* the least held-out loss evaluated */
    float *best_w;                         /* [n_weights] the weights that gave it (owned;
                                              NULL: not kept, or none yet) */
    size_t n_weights;                      /* floats of best_w */
};

struct trainer {
    const struct policy_train_config *cfg;
    const struct policy_sample *samples;
    uint32_t *cut;                         /* [n_samples] each sample's cut */
    struct tprob *tp;                      /* [n_problems] */
    size_t n_problems;
};

static enum core_rc check_config(const struct policy_train_config *c, struct core_err *e)
{
    if (c->steps < 1 || c->batch < 1)
        return core_err(e, CORE_E_INPUT, "training needs at least one step of a batch of at "
                        "least one sample (steps %llu, batch %u)", (unsigned long long)c->steps,
                        c->batch);
    if (!(c->learning_rate > 0) || !isfinite(c->learning_rate))
        return core_err(e, CORE_E_INPUT, "learning rate %g must be positive and finite",
                        c->learning_rate);
    if (c->hidden < 1 || c->hidden > POLICY_AGENT_MAX_HIDDEN || c->depth > POLICY_AGENT_MAX_DEPTH)
        return core_err(e, CORE_E_INPUT, "a trunk of %u layers of %u units: at most %d layers "
                        "of 1..%d", c->depth, c->hidden, POLICY_AGENT_MAX_DEPTH,
                        POLICY_AGENT_MAX_HIDDEN);
    if (!(c->conservative >= 0) || !isfinite(c->conservative))
        return core_err(e, CORE_E_INPUT, "conservative weight %g must be >= 0 and finite",
                        c->conservative);
    if (!(c->holdout >= 0 && c->holdout <= 0.5))
        return core_err(e, CORE_E_INPUT, "held-out share %g is not in 0..0.5", c->holdout);
    if (c->threads < 1 || c->threads > 2)
        return core_err(e, CORE_E_INPUT, "threads %d: 1 or 2", c->threads);
    if (c->best_heldout && !(c->holdout > 0))
        return core_err(e, CORE_E_INPUT, "keeping the best held-out weights needs samples held "
                        "out (holdout %g)", c->holdout);
    if (!(c->shrink >= 0) || !isfinite(c->shrink))
        return core_err(e, CORE_E_INPUT, "shrinkage %g must be >= 0 and finite", c->shrink);
    if (c->prior >= POLICY_PRIOR_COUNT)
        return core_err(e, CORE_E_INPUT, "prior %u is not one of 0..%d", c->prior,
                        POLICY_PRIOR_COUNT - 1);
    if (!(c->pessimism >= 0) || !isfinite(c->pessimism))
        return core_err(e, CORE_E_INPUT, "pessimism %g must be >= 0 and finite", c->pessimism);
    return CORE_OK;
}

static void trainer_fini(struct trainer *t)
{
    size_t i;

    for (i = 0; t->tp && i < t->n_problems; i++) {
        struct tprob *p = &t->tp[i];

        policy_head_fini(&p->head);
        core_free(p->part.state_mean);
        core_free(p->part.state_sd);
        core_free(p->part.weights);
        core_free(p->part.head_se);
        core_free(p->idx);
        nn_optim_destroy(p->optim);
        nn_train_destroy(p->train);
        nn_model_destroy(p->net);
        core_rng_destroy(p->rng);
        core_free(p->x);
        core_free(p->dout);
        core_free(p->q);
        core_free(p->y);
        core_free(p->dq);
        core_free(p->pick);
        core_free(p->best_w);
    }
    core_free(t->tp);
    core_free(t->cut);
}

/* Check the problems, prepare their heads. */
static enum core_rc prepare_problems(struct trainer *t, const struct policy_agent_problem *pr,
                                     struct core_err *e)
{
    size_t i, j;

    for (i = 0; i < t->n_problems; i++) {
        struct tprob *p = &t->tp[i];
        enum core_rc rc;

        p->ap = &pr[i];
        if (!pr[i].model || !pr[i].device || !pr[i].model[0] || !pr[i].device[0] ||
            strlen(pr[i].model) >= POLICY_AGENT_NAME_MAX ||
            strlen(pr[i].device) >= POLICY_AGENT_NAME_MAX)
            return core_err(e, CORE_E_INPUT, "problem %zu: model and device names of 1..%d "
                            "bytes are needed", i, POLICY_AGENT_NAME_MAX - 1);
        for (j = 0; j < i; j++)
            if (strcmp(pr[j].model, pr[i].model) == 0 && strcmp(pr[j].device, pr[i].device) == 0)
                return core_err(e, CORE_E_INPUT, "problems %zu and %zu are both %s on %s", j, i,
                                pr[i].model, pr[i].device);
        if (pr[i].n_state < 1 || pr[i].n_state > POLICY_AGENT_MAX_STATE)
            return core_err(e, CORE_E_INPUT, "problem %s on %s: %u state features (1..%d)",
                            pr[i].model, pr[i].device, pr[i].n_state, POLICY_AGENT_MAX_STATE);
        rc = policy_head_init(&p->head, pr[i].problem, e);
        if (rc == CORE_OK && t->cfg->prior == POLICY_PRIOR_MODEL)
            rc = policy_head_prior_enable(&p->head, e);
        if (rc != CORE_OK)
            return rc;
        policy_agent_signature_of(&p->head, pr[i].model, pr[i].device, pr[i].n_state,
                                  &p->part.sig);
        p->part.bytes_scale = p->head.bytes_scale;
    }
    return CORE_OK;
}

/* Check every sample, find its cut, and count each problem's. */
static enum core_rc check_samples(struct trainer *t, size_t n_samples, struct core_err *e)
{
    size_t k;

    for (k = 0; k < n_samples; k++) {
        const struct policy_sample *sm = &t->samples[k];
        struct core_err le = {0};
        struct tprob *p;

        if (sm->problem >= t->n_problems)
            return core_err(e, CORE_E_INPUT, "sample %zu: problem %u of %zu", k, sm->problem,
                            t->n_problems);
        p = &t->tp[sm->problem];
        if (!isfinite(sm->cost))
            return core_err(e, CORE_E_INPUT, "sample %zu: cost %g is not finite", k, sm->cost);
        if (!sm->state)
            return core_err(e, CORE_E_INPUT, "sample %zu: no state", k);
        if (!sm->st && t->cfg->prior == POLICY_PRIOR_MODEL)
            return core_err(e, CORE_E_INPUT, "sample %zu: the model prior needs the compute "
                            "state it was decided on", k);
        if (compute_plan_check(p->ap->problem, &sm->plan, true, &le) != CORE_OK)
            return core_err(e, CORE_E_INPUT, "sample %zu (%s on %s): %s", k, p->ap->model,
                            p->ap->device, le.msg);
        t->cut[k] = policy_head_cut_of(&p->head, &sm->plan);
        if (t->cut[k] == POLICY_NO_CUT)
            return core_err(e, CORE_E_INPUT, "sample %zu (%s on %s): its UE part is no cut of "
                            "the agent's family (%zu %s)", k, p->ap->model, p->ap->device,
                            p->head.s->n_cuts, p->head.s->exact ? "cuts" : "prefixes");
        p->n++;
    }
    for (k = 0; k < t->n_problems; k++)
        if (t->tp[k].n == 0)
            return core_err(e, CORE_E_INPUT, "problem %s on %s has no sample",
                            t->tp[k].ap->model, t->tp[k].ap->device);
    return CORE_OK;
}

/* The hold-out split and the normalisation of problem i. */
static enum core_rc split_and_normalise(struct trainer *t, size_t i, size_t n_samples,
                                        struct core_err *e)
{
    const struct policy_train_config *c = t->cfg;
    struct tprob *p = &t->tp[i];
    const uint32_t ns = p->ap->n_state;
    struct core_rng *r;
    double sum_c = 0, sq_c = 0;
    size_t k, m = 0, j;

    p->idx = core_malloc(p->n * sizeof(*p->idx));
    p->part.state_mean = core_malloc(ns * sizeof(float));
    p->part.state_sd = core_malloc(ns * sizeof(float));
    r = core_rng_create(c->seed, AGENT_ENTITY + i, CORE_RNG_SHUFFLE);
    if (!p->idx || !p->part.state_mean || !p->part.state_sd || !r) {
        core_rng_destroy(r);
        return core_err(e, CORE_E_NOMEM, "out of memory for %zu samples", p->n);
    }
    for (k = 0; k < n_samples; k++)
        if (t->samples[k].problem == i)
            p->idx[m++] = k;
    for (k = p->n; k-- > 1;) {
        size_t q = (size_t)core_rng_below(r, k + 1), s = p->idx[k];

        p->idx[k] = p->idx[q];
        p->idx[q] = s;
    }
    core_rng_destroy(r);
    p->n_hold = (size_t)(c->holdout * (double)p->n);
    if (p->n_hold >= p->n)
        p->n_hold = p->n - 1;
    for (j = 0; j < ns; j++) {
        double s = 0, sq = 0, mean, var;
        size_t cnt = 0;

        for (k = p->n_hold; k < p->n; k++) {
            double v = t->samples[p->idx[k]].state[j];

            if (isfinite(v)) {
                s += v;
                cnt++;
            }
        }
        mean = cnt ? s / (double)cnt : 0;
        for (k = p->n_hold; k < p->n; k++) {
            double v = t->samples[p->idx[k]].state[j];

            if (isfinite(v))
                sq += (v - mean) * (v - mean);
        }
        var = cnt ? sq / (double)cnt : 0;
        p->part.state_mean[j] = (float)mean;
        p->part.state_sd[j] =
            var > 1e-12 * (1 + mean * mean) && isfinite(var) ? (float)sqrt(var) : 1.0f;
        if (!isfinite(p->part.state_mean[j]) || !(p->part.state_sd[j] > 0) ||
            !isfinite(p->part.state_sd[j])) {
            p->part.state_mean[j] = 0;
            p->part.state_sd[j] = 1;
        }
    }
    for (k = p->n_hold; k < p->n; k++)
        sum_c += t->samples[p->idx[k]].cost;
    p->part.cost_mean = sum_c / (double)(p->n - p->n_hold);
    for (k = p->n_hold; k < p->n; k++) {
        double d = t->samples[p->idx[k]].cost - p->part.cost_mean;

        sq_c += d * d;
    }
    p->part.cost_sd = sqrt(sq_c / (double)(p->n - p->n_hold));
    if (!(p->part.cost_sd > 1e-12 * (1 + fabs(p->part.cost_mean))) || !isfinite(p->part.cost_sd))
        p->part.cost_sd = 1;
    /* The prediction's mean miss over the training part (plans whose
     * prediction is infinite, an unavailable option taken, left out). */
    p->part.prior_shift = 0;
    if (c->prior == POLICY_PRIOR_MODEL) {
        double miss = 0;
        size_t cnt = 0;

        for (k = p->n_hold; k < p->n; k++) {
            const struct policy_sample *sm = &t->samples[p->idx[k]];
            struct compute_plan_cost pc;

            compute_plan_cost(p->ap->problem, sm->st, &sm->plan, &pc);
            if (isfinite(pc.objective)) {
                miss += sm->cost - pc.objective;
                cnt++;
            }
        }
        p->part.prior_shift = cnt ? miss / (double)cnt : 0;
    }
    return CORE_OK;
}

/* The network, its training and optimiser, the batch buffers of problem i. */
static enum core_rc build_net(struct trainer *t, size_t i, struct core_err *e)
{
    const struct policy_train_config *c = t->cfg;
    const struct nn_optim_config oc = {
        .kind = NN_OPTIM_ADAM, .lr = c->learning_rate, .beta1 = 0.9, .beta2 = 0.999,
        .eps = 1e-8};
    struct tprob *p = &t->tp[i];
    const size_t b = c->batch, heads = p->head.n_heads;
    enum core_rc rc;
    float *w;
    size_t n, k;

    rc = policy_agent_net_build(&p->part.sig, c->hidden, c->depth, c->batch, c->seed + i,
                                &p->net, e);
    if (rc != CORE_OK)
        return rc;
    p->last = (int)nn_model_n_layers(p->net) - 1;
    w = nn_model_layer_weights(p->net, p->last, &n);
    for (k = 0; k < n; k++)
        w[k] = c->prior == POLICY_PRIOR_MODEL
                   ? 0.0f /* the prior decides until the data says otherwise */
                   : (float)(w[k] / sqrt((double)p->part.sig.n_layers + 2));
    rc = nn_train_create(p->net, c->seed, false, &p->train, e);
    if (rc == CORE_OK)
        rc = nn_optim_create(p->train, &oc, &p->optim, e);
    if (rc != CORE_OK)
        return rc;
    p->rng = core_rng_create(c->seed, AGENT_ENTITY + i, CORE_RNG_EXPLORATION);
    p->x = core_malloc(b * p->ap->n_state * sizeof(*p->x));
    p->dout = core_malloc(b * heads * sizeof(*p->dout));
    p->q = core_malloc(b * sizeof(*p->q));
    p->y = core_malloc(b * sizeof(*p->y));
    p->dq = core_malloc(b * sizeof(*p->dq));
    p->pick = core_malloc(b * sizeof(*p->pick));
    if (!p->rng || !p->x || !p->dout || !p->q || !p->y || !p->dq || !p->pick)
        return core_err(e, CORE_E_NOMEM, "out of memory for a batch of %zu", b);
    p->heldout_loss = NAN;
    p->best_loss = INFINITY;
    if (c->best_heldout) {
        p->n_weights = policy_agent_n_weights(&p->part.sig, c->hidden, c->depth);
        p->best_w = core_malloc(p->n_weights * sizeof(*p->best_w));
        if (!p->best_w)
            return core_err(e, CORE_E_NOMEM, "out of memory for %zu weights", p->n_weights);
        policy_agent_net_weights(p->net, p->best_w, false);
    }
    return CORE_OK;
}

/* The heads item sm is scored on: the network's out, plus the prior under
 * its state when the agent has one (the gradient with respect to either is
 * the same: the prior is a constant). */
static const float *item_heads(struct tprob *p, const struct policy_sample *sm, const float *out)
{
    policy_head_prior(&p->head, sm->st, p->part.cost_mean - p->part.prior_shift,
                      p->part.cost_sd);
    return policy_head_effective(&p->head, out);
}

/* Whether sm's plan is valid under its compute state (every layer on a
 * supported, available option; an edge part only with the edge): its
 * predicted objective is finite. Without a state, every plan is. */
static bool plan_valid(struct tprob *p, const struct policy_sample *sm)
{
    struct compute_plan_cost c;

    if (!sm->st)
        return true;
    compute_plan_cost(p->ap->problem, sm->st, &sm->plan, &c);
    return !isnan(c.objective) && !isinf(c.objective);
}

/* The loss of items sel[0..n) (n <= B) of problem p under the heads out
 * (row b: item b), and with grad, its gradient scaled for a batch of B
 * into p->dout; the shrinkage penalty only with grad (the held-out loss
 * is the fit's alone). */
static double batch_loss(struct trainer *t, struct tprob *p, const size_t *sel, size_t n,
                         const float *out, bool grad)
{
    const bool bc = t->cfg->imitate;
    const double alpha = bc ? 1.0 : t->cfg->conservative, bsz = (double)t->cfg->batch;
    const size_t heads = p->head.n_heads;
    double loss, cql = 0;
    size_t b;

    for (b = 0; b < n; b++) {
        const struct policy_sample *sm = &t->samples[sel[b]];
        const float *o = item_heads(p, sm, out + b * heads);

        p->q[b] = (float)policy_head_value(&p->head, o, t->cut[sel[b]], &sm->plan, NULL, 0);
        p->y[b] = (float)((sm->cost - p->part.cost_mean) / p->part.cost_sd);
    }
    if (bc) { /* imitation: the cross-entropy term alone, the costs not read */
        loss = 0;
        memset(p->dq, 0, n * sizeof(*p->dq));
    } else {
        loss = nn_loss_huber(p->q, p->y, n, HUBER_DELTA, p->dq);
    }
    if (grad)
        memset(p->dout, 0, t->cfg->batch * heads * sizeof(*p->dout));
    for (b = 0; b < n; b++) {
        const struct policy_sample *sm = &t->samples[sel[b]];
        float *g = grad ? p->dout + b * heads : NULL;
        const float *o = g || alpha > 0 ? item_heads(p, sm, out + b * heads) : NULL;

        if (g && !bc)
            policy_head_value(&p->head, o, t->cut[sel[b]], &sm->plan, g,
                              (double)p->dq[b] * (double)n / bsz);
        /* The second term, only where the taken plan is among the valid
         * ones under its state (else it would lower that plan's heads
         * without bound while the softmin leaves it out). */
        if (alpha > 0 && plan_valid(p, sm)) {
            double lz;

            policy_head_masks(&p->head, sm->st);
            lz = policy_head_logz(&p->head, o, g, alpha / bsz);
            if (lz != -INFINITY) {
                cql += (double)p->q[b] + lz;
                if (g)
                    policy_head_value(&p->head, o, t->cut[sel[b]], &sm->plan, g, alpha / bsz);
            }
        }
    }
    /* Shrinkage: lambda x the mean over the batch of the sum of the squared
     * network outputs, so that a head the data rarely selects stays near
     * zero (with the prior: near the prediction). */
    if (t->cfg->shrink > 0 && grad) {
        double sq = 0;

        for (b = 0; b < n; b++) {
            const float *o = out + b * heads;
            float *g = grad ? p->dout + b * heads : NULL;
            size_t j;

            for (j = 0; j < heads; j++) {
                sq += (double)o[j] * (double)o[j];
                if (g)
                    g[j] = (float)((double)g[j] + 2 * t->cfg->shrink * (double)o[j] / bsz);
            }
        }
        loss += t->cfg->shrink * sq / (double)n;
    }
    return loss + alpha * cql / (double)n;
}

static enum core_rc train_step(struct trainer *t, struct tprob *p, double *loss,
                               struct core_err *e)
{
    const struct policy_train_config *c = t->cfg;
    const size_t ns = p->ap->n_state;
    enum core_rc rc;
    size_t b;

    for (b = 0; b < c->batch; b++) {
        p->pick[b] = p->idx[p->n_hold + (size_t)core_rng_below(p->rng, p->n - p->n_hold)];
        policy_agent_normalise(&p->part, t->samples[p->pick[b]].state, p->x + b * ns);
    }
    rc = nn_train_forward(p->train, p->x, c->threads, e);
    if (rc != CORE_OK)
        return rc;
    *loss = batch_loss(t, p, p->pick, c->batch, nn_train_tensor(p->train, p->last), true);
    rc = nn_train_backward(p->train, p->last, p->dout, c->threads, e);
    if (rc != CORE_OK)
        return rc;
    nn_optim_step(p->optim, p->train);
    return CORE_OK;
}

/* Held-out loss and regret of every problem (at most POLICY_AGENT_EVAL
 * samples each) into s. */
/* The network's outputs for p's samples idx[at .. at + n) (n <= the
 * batch): their states normalised into p->x, the rest of it zero. */
static enum core_rc forward_held(struct trainer *t, struct tprob *p, size_t at, size_t n,
                                 const float **out, struct core_err *e)
{
    const size_t ns = p->ap->n_state;
    enum core_rc rc;

    memset(p->x, 0, t->cfg->batch * ns * sizeof(*p->x));
    for (size_t b = 0; b < n; b++)
        policy_agent_normalise(&p->part, t->samples[p->idx[at + b]].state, p->x + b * ns);
    rc = nn_model_forward(p->net, p->x, t->cfg->threads, e);
    if (rc == CORE_OK)
        *out = nn_model_output(p->net);
    return rc;
}

static enum core_rc evaluate(struct trainer *t, struct policy_train_step *s, struct core_err *e)
{
    const struct policy_train_config *c = t->cfg;
    double loss = 0, regret = 0;
    size_t n_loss = 0, n_regret = 0, i;

    for (i = 0; i < t->n_problems; i++) {
        struct tprob *p = &t->tp[i];
        const size_t heads = p->head.n_heads;
        const size_t n_eval = p->n_hold < POLICY_AGENT_EVAL ? p->n_hold : POLICY_AGENT_EVAL;
        double ploss = 0;
        size_t at, b;

        for (at = 0; at < n_eval; at += c->batch) {
            const size_t n = n_eval - at < c->batch ? n_eval - at : c->batch;
            const float *out;
            enum core_rc rc;

            rc = forward_held(t, p, at, n, &out, e);
            if (rc != CORE_OK)
                return rc;
            ploss += batch_loss(t, p, p->idx + at, n, out, false) * (double)n;
            for (b = 0; b < n; b++) {
                const struct policy_sample *sm = &t->samples[p->idx[at + b]];
                struct compute_plan mine, best;
                struct compute_plan_cost cm, cb;
                double v;

                if (!sm->st)
                    continue;
                policy_head_masks(&p->head, sm->st);
                if (!policy_head_decode(&p->head, item_heads(p, sm, out + b * heads), &mine,
                                        &v) ||
                    policy_decide(p->head.s, sm->st, NULL, &best, NULL) != CORE_OK)
                    continue;
                compute_plan_cost(p->ap->problem, sm->st, &mine, &cm);
                compute_plan_cost(p->ap->problem, sm->st, &best, &cb);
                if (!isfinite(cm.objective) || !isfinite(cb.objective))
                    continue;
                regret += cm.objective - cb.objective;
                n_regret++;
            }
        }
        p->heldout_loss = n_eval ? ploss / (double)n_eval : NAN;
        loss += ploss;
        n_loss += n_eval;
    }
    s->heldout_loss = n_loss ? loss / (double)n_loss : NAN;
    s->heldout_regret = n_regret ? regret / (double)n_regret : NAN;
    return CORE_OK;
}

/* Evaluate every problem (into s) and, when the best held-out weights are
 * kept, snapshot each problem's whose held-out loss is the least so far. */
static enum core_rc evaluate_and_keep(struct trainer *t, struct policy_train_step *s,
                                      struct core_err *e)
{
    enum core_rc rc = evaluate(t, s, e);
    size_t i;

    if (rc != CORE_OK || !t->cfg->best_heldout)
        return rc;
    for (i = 0; i < t->n_problems; i++) {
        struct tprob *p = &t->tp[i];

        /* A problem with nothing held out keeps its latest weights; a NaN
         * loss (a diverged network) is never the best. */
        if (p->n_hold == 0 || p->heldout_loss < p->best_loss) {
            if (p->n_hold > 0)
                p->best_loss = p->heldout_loss;
            policy_agent_net_weights(p->net, p->best_w, false);
        }
    }
    return CORE_OK;
}

/* Each head's standard error of problem p (policy.h, "Pessimism per
 * plan") into p->part.head_se, from the network's kept weights (loaded into
 * it here: training is over). */
static enum core_rc head_errors(struct trainer *t, struct tprob *p, struct core_err *e)
{
    const struct policy_train_config *c = t->cfg;
    const size_t heads = p->head.n_heads;
    /* the residuals' samples: held out, else the training part */
    const size_t from = p->n_hold > 0 ? 0 : p->n_hold, to = p->n_hold > 0 ? p->n_hold : p->n;
    double *info, sq = 0;
    float *cnt;
    size_t at, b, j, n_sq = 0;

    p->part.head_se = core_malloc(heads * sizeof(float));
    info = core_calloc(heads, sizeof(*info));
    cnt = core_calloc(2 * heads, sizeof(*cnt)); /* the counts, then zero heads to read */
    if (!p->part.head_se || !info || !cnt) {
        core_free(info);
        core_free(cnt);
        return core_err(e, CORE_E_NOMEM, "out of memory for %zu heads' standard errors", heads);
    }
    if (p->best_w)
        policy_agent_net_weights(p->net, p->best_w, true);
    for (at = from; at < to; at += c->batch) {
        const size_t n = to - at < c->batch ? to - at : c->batch;
        const float *out;
        enum core_rc rc;

        rc = forward_held(t, p, at, n, &out, e);
        if (rc != CORE_OK) {
            core_free(info);
            core_free(cnt);
            return rc;
        }
        for (b = 0; b < n; b++) {
            const size_t k = p->idx[at + b];
            const struct policy_sample *sm = &t->samples[k];
            const double q = policy_head_value(&p->head, item_heads(p, sm, out + b * heads),
                                               t->cut[k], &sm->plan, NULL, 0);
            const double r = q - (sm->cost - p->part.cost_mean) / p->part.cost_sd;

            if (isfinite(r)) {
                sq += r * r;
                n_sq++;
            }
        }
    }
    for (b = p->n_hold; b < p->n; b++) {
        const size_t k = p->idx[b];

        memset(cnt, 0, heads * sizeof(*cnt));
        policy_head_value(&p->head, cnt + heads, t->cut[k], &t->samples[k].plan, cnt, 1.0);
        for (j = 0; j < heads; j++)
            info[j] += (double)cnt[j] * (double)cnt[j];
    }
    for (j = 0; j < heads; j++)
        p->part.head_se[j] =
            info[j] > 0 ? (float)sqrt((n_sq ? sq / (double)n_sq : 0) / info[j]) : INFINITY;
    core_free(info);
    core_free(cnt);
    return CORE_OK;
}

/* The agent of the trained networks, bound to the problems. */
static enum core_rc finish(struct trainer *t, struct policy_agent **out, struct core_err *e)
{
    struct policy_agent_image img = {.config = *t->cfg, .n_problems = t->n_problems};
    struct policy_agent *a = NULL;
    enum core_rc rc = CORE_OK;
    size_t i;

    img.parts = core_calloc(t->n_problems, sizeof(*img.parts));
    if (!img.parts)
        return core_err(e, CORE_E_NOMEM, "out of memory for an agent");
    for (i = 0; i < t->n_problems && rc == CORE_OK; i++) {
        struct tprob *p = &t->tp[i];

        rc = head_errors(t, p, e);
        if (rc != CORE_OK)
            break;
        p->part.n_weights = policy_agent_n_weights(&p->part.sig, t->cfg->hidden, t->cfg->depth);
        p->part.weights = core_malloc(p->part.n_weights * sizeof(float));
        if (!p->part.weights) {
            rc = core_err(e, CORE_E_NOMEM, "out of memory for an agent's weights");
            break;
        }
        if (p->best_w)
            memcpy(p->part.weights, p->best_w, p->part.n_weights * sizeof(float));
        else
            policy_agent_net_weights(p->net, p->part.weights, false);
        img.parts[i] = p->part;
    }
    if (rc == CORE_OK)
        rc = policy_agent_create(&img, &a, e);
    for (i = 0; i < t->n_problems && rc == CORE_OK; i++)
        rc = policy_agent_bind(a, i, t->tp[i].ap->problem, t->tp[i].ap->n_state, e);
    core_free(img.parts);
    if (rc != CORE_OK) {
        policy_agent_destroy(a);
        return rc;
    }
    *out = a;
    return CORE_OK;
}

enum core_rc policy_agent_train(const struct policy_agent_problem *problems, size_t n_problems,
                                const struct policy_sample *samples, size_t n_samples,
                                const struct policy_train_config *cfg,
                                policy_train_progress_fn progress, void *ctx, uint64_t every,
                                struct policy_agent **out, struct core_err *e)
{
    struct trainer t = {.cfg = cfg, .samples = samples, .n_problems = n_problems};
    double since = 0;
    uint64_t step, n_since = 0;
    enum core_rc rc;
    size_t i;

    rc = check_config(cfg, e);
    if (rc != CORE_OK)
        return rc;
    if (n_problems < 1)
        return core_err(e, CORE_E_INPUT, "training needs at least one problem");
    t.tp = core_calloc(n_problems, sizeof(*t.tp));
    t.cut = core_malloc((n_samples ? n_samples : 1) * sizeof(*t.cut));
    if (!t.tp || !t.cut) {
        rc = core_err(e, CORE_E_NOMEM, "out of memory for %zu samples", n_samples);
        goto out;
    }
    rc = prepare_problems(&t, problems, e);
    if (rc == CORE_OK)
        rc = check_samples(&t, n_samples, e);
    for (i = 0; i < n_problems && rc == CORE_OK; i++)
        rc = split_and_normalise(&t, i, n_samples, e);
    for (i = 0; i < n_problems && rc == CORE_OK; i++)
        rc = build_net(&t, i, e);
    if (rc == CORE_OK && cfg->best_heldout) {
        struct policy_train_step s0 = {0};

        rc = evaluate_and_keep(&t, &s0, e); /* the untrained weights are a candidate too */
    }
    for (step = 1; step <= cfg->steps && rc == CORE_OK; step++) {
        const double lr = cfg->learning_rate *
                          (1 + cos(M_PI * (double)(step - 1) / (double)cfg->steps)) / 2;
        double loss = 0;

        for (i = 0; i < n_problems && rc == CORE_OK; i++) {
            double l = 0;

            nn_optim_set_lr(t.tp[i].optim, lr);
            rc = train_step(&t, &t.tp[i], &l, e);
            loss += l;
        }
        since += loss / (double)n_problems;
        n_since++;
        if (rc == CORE_OK && (progress || cfg->best_heldout) &&
            ((every && step % every == 0) || step == cfg->steps)) {
            struct policy_train_step s = {.step = step, .loss = since / (double)n_since};

            rc = evaluate_and_keep(&t, &s, e);
            if (rc == CORE_OK && progress)
                progress(ctx, &s);
            since = 0;
            n_since = 0;
        }
    }
    if (rc == CORE_OK)
        rc = finish(&t, out, e);
out:
    trainer_fini(&t);
    return rc;
}
