/*
 * agent.c — the learning agent as an object (policy.h, "the learning
 * agent"): built from its image (configuration, and per problem the
 * action-space signature, the normalisation and the weights), bound to a
 * scenario's problems after a check of their signature, and deciding: the
 * state's features normalised, the network run (batch 1, nn_model_forward),
 * the heads decoded by agent_decode.c's programmes under the state's masks;
 * with pessimism k > 0, each head the prediction's own plan does not
 * select first costs k times its standard error more (policy.h,
 * "Pessimism per plan").
 *
 * The network of a problem (agent_net_build): input (1, n_state, 1, 1),
 * depth fc layers of hidden units with bias and ReLU, then one fc layer
 * with bias to the heads. Its weights flatten layer by layer, each as
 * nn_model_layer_weights lays it out (weights (K, in) row-major, then the
 * K biases).
 */
#include "policy/policy_int.h"

#include "nn/nn.h"

#include <string.h>

/* One problem of the agent. */
struct agent_problem {
    struct nn_model *net;             /* batch 1, the part's weights (owned) */
    const struct compute_problem *p;  /* bound problem (borrowed; NULL: none) */
    struct policy_head head;          /* its heads over p's family (when bound) */
    float *x;                         /* [n_state] normalised features (owned) */
    float *pess;                      /* [heads] the reference plan's counts (owned) */
};

struct policy_agent {
    struct policy_agent_image img; /* the image, every array owned */
    struct agent_problem *prob;    /* [img.n_problems] */
};

size_t policy_agent_heads(const struct policy_agent_signature *sig)
{
    return policy_head_count(sig->n_cuts, sig->n_layers, sig->n_options[COMPUTE_SIDE_UE],
                             sig->n_options[COMPUTE_SIDE_EDGE]);
}

size_t policy_agent_n_weights(const struct policy_agent_signature *sig, uint32_t hidden,
                              uint32_t depth)
{
    size_t in = sig->n_state, total = 0, k;

    for (k = 0; k < depth; k++) {
        total += in * hidden + hidden;
        in = hidden;
    }
    return total + in * policy_agent_heads(sig) + policy_agent_heads(sig);
}

enum core_rc policy_agent_net_build(const struct policy_agent_signature *sig, uint32_t hidden,
                                    uint32_t depth, uint32_t batch, uint64_t seed,
                                    struct nn_model **out, struct core_err *e)
{
    const struct nn_shape in = {.n = batch, .c = sig->n_state, .h = 1, .w = 1};
    struct nn_params fc = {.out_channels = hidden, .bias = true, .act = NN_ACT_RELU};
    struct nn_model *m = NULL;
    enum core_rc rc;
    int prev = NN_INPUT;
    uint32_t k;

    rc = nn_model_create(&in, &m, e);
    for (k = 0; k < depth && rc == CORE_OK; k++)
        rc = nn_model_add(m, NN_OP_FC, &fc, &prev, 1, NULL, &prev, e);
    fc.out_channels = (uint32_t)policy_agent_heads(sig);
    fc.act = NN_ACT_NONE;
    if (rc == CORE_OK)
        rc = nn_model_add(m, NN_OP_FC, &fc, &prev, 1, NULL, &prev, e);
    if (rc == CORE_OK)
        rc = nn_model_finalize(m, seed, e);
    if (rc != CORE_OK) {
        nn_model_destroy(m);
        return rc;
    }
    *out = m;
    return CORE_OK;
}

void policy_agent_net_weights(struct nn_model *m, float *w, bool load)
{
    size_t i, n, at = 0;

    for (i = 0; i < nn_model_n_layers(m); i++) {
        float *lw = nn_model_layer_weights(m, (int)i, &n);

        if (load)
            memcpy(lw, w + at, n * sizeof(*w));
        else
            memcpy(w + at, lw, n * sizeof(*w));
        at += n;
    }
}

void policy_agent_normalise(const struct policy_agent_part *pt, const float *raw, float *x)
{
    uint32_t j;

    for (j = 0; j < pt->sig.n_state; j++) {
        double z = ((double)raw[j] - pt->state_mean[j]) / pt->state_sd[j];

        if (isnan(z))
            z = 0;
        x[j] = (float)(z > POLICY_AGENT_CLIP ? POLICY_AGENT_CLIP
                                             : z < -POLICY_AGENT_CLIP ? -POLICY_AGENT_CLIP : z);
    }
}

void policy_agent_signature_of(const struct policy_head *h, const char *model,
                               const char *device, uint32_t n_state,
                               struct policy_agent_signature *sig)
{
    const struct compute_problem *p = h->s->p;
    size_t i;
    int sd;

    memset(sig, 0, sizeof(*sig));
    snprintf(sig->model, sizeof(sig->model), "%s", model);
    snprintf(sig->device, sizeof(sig->device), "%s", device);
    sig->n_state = n_state;
    sig->n_layers = (uint32_t)p->n_layers;
    sig->input_bytes = p->input_bytes;
    for (i = 0; i < p->n_layers; i++)
        sig->layers[i] = p->layers[i];
    for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++) {
        sig->n_options[sd] = (uint32_t)p->n_options[sd];
        for (i = 0; i < p->n_options[sd]; i++)
            sig->options[sd][i] = p->options[sd][i];
    }
    sig->ideals = h->s->exact;
    sig->n_cuts = (uint32_t)h->s->n_cuts;
}

/* ---- create and destroy ------------------------------------------------------------ */

static void part_fini(struct policy_agent_part *pt)
{
    core_free(pt->state_mean);
    core_free(pt->state_sd);
    core_free(pt->weights);
    core_free(pt->head_se);
}

void policy_agent_destroy(struct policy_agent *a)
{
    size_t i;

    if (!a)
        return;
    for (i = 0; i < a->img.n_problems; i++) {
        if (a->img.parts)
            part_fini(&a->img.parts[i]);
        if (a->prob) {
            nn_model_destroy(a->prob[i].net);
            policy_head_fini(&a->prob[i].head);
            core_free(a->prob[i].x);
            core_free(a->prob[i].pess);
        }
    }
    core_free(a->img.parts);
    core_free(a->prob);
    core_free(a);
}

/* CORE_E_INPUT when part i of img cannot be an agent's. */
static enum core_rc check_part(const struct policy_agent_image *img, size_t i,
                               struct core_err *e)
{
    const struct policy_agent_part *pt = &img->parts[i];
    const struct policy_agent_signature *sig = &pt->sig;
    size_t j, k;
    uint32_t l;
    int sd;

    if (memchr(sig->model, 0, sizeof(sig->model)) == NULL || sig->model[0] == 0 ||
        memchr(sig->device, 0, sizeof(sig->device)) == NULL || sig->device[0] == 0)
        return core_err(e, CORE_E_INPUT, "problem %zu: a model or device name is empty or "
                        "longer than %d bytes", i, POLICY_AGENT_NAME_MAX - 1);
    for (j = 0; j < i; j++)
        if (strcmp(img->parts[j].sig.model, sig->model) == 0 &&
            strcmp(img->parts[j].sig.device, sig->device) == 0)
            return core_err(e, CORE_E_INPUT, "problems %zu and %zu are both %s on %s", j, i,
                            sig->model, sig->device);
    if (sig->n_state < 1 || sig->n_state > POLICY_AGENT_MAX_STATE)
        return core_err(e, CORE_E_INPUT, "problem %zu: %u state features (1..%d)", i,
                        sig->n_state, POLICY_AGENT_MAX_STATE);
    if (sig->n_layers < 1 || sig->n_layers > COMPUTE_PLAN_MAX_LAYERS)
        return core_err(e, CORE_E_INPUT, "problem %zu: %u layers (1..%d)", i, sig->n_layers,
                        COMPUTE_PLAN_MAX_LAYERS);
    for (l = 0; l < sig->n_layers; l++) {
        const struct compute_problem_layer *ly = &sig->layers[l];

        if (ly->n_inputs < 1 || ly->n_inputs > COMPUTE_PLAN_MAX_INPUTS)
            return core_err(e, CORE_E_INPUT, "problem %zu: layer %u has %u inputs", i, l,
                            ly->n_inputs);
        for (k = 0; k < ly->n_inputs; k++)
            if (ly->inputs[k] < -1 || ly->inputs[k] >= (int32_t)l)
                return core_err(e, CORE_E_INPUT, "problem %zu: layer %u reads %d", i, l,
                                ly->inputs[k]);
    }
    for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++) {
        if (sig->n_options[sd] < 1 || sig->n_options[sd] > COMPUTE_PLAN_MAX_OPTIONS)
            return core_err(e, CORE_E_INPUT, "problem %zu: %u %s options (1..%d)", i,
                            sig->n_options[sd], compute_side_name(sd), COMPUTE_PLAN_MAX_OPTIONS);
        for (k = 0; k < sig->n_options[sd]; k++)
            if (memchr(sig->options[sd][k].label, 0, sizeof(sig->options[sd][k].label)) == NULL)
                return core_err(e, CORE_E_INPUT, "problem %zu: %s option %zu's label has no end",
                                i, compute_side_name(sd), k);
    }
    if (sig->n_cuts < 1 || sig->n_cuts > POLICY_CUTS_MAX + COMPUTE_PLAN_MAX_LAYERS + 1)
        return core_err(e, CORE_E_INPUT, "problem %zu: %u cuts", i, sig->n_cuts);
    if (!(pt->cost_sd > 0) || !isfinite(pt->cost_sd) || !isfinite(pt->cost_mean) ||
        !isfinite(pt->prior_shift) ||
        !(pt->bytes_scale > 0) || !isfinite(pt->bytes_scale))
        return core_err(e, CORE_E_INPUT, "problem %zu: a cost or byte scale is not positive and "
                        "finite", i);
    for (l = 0; l < sig->n_state; l++)
        if (!isfinite(pt->state_mean[l]) || !(pt->state_sd[l] > 0) || !isfinite(pt->state_sd[l]))
            return core_err(e, CORE_E_INPUT, "problem %zu: feature %u's normalisation (mean %g, "
                            "sd %g) is not finite with sd > 0", i, l, pt->state_mean[l],
                            pt->state_sd[l]);
    if (pt->n_weights != policy_agent_n_weights(sig, img->config.hidden, img->config.depth))
        return core_err(e, CORE_E_INPUT, "problem %zu: %zu weights where its network has %zu", i,
                        pt->n_weights,
                        policy_agent_n_weights(sig, img->config.hidden, img->config.depth));
    for (j = 0; j < pt->n_weights; j++)
        if (!isfinite(pt->weights[j]))
            return core_err(e, CORE_E_INPUT, "problem %zu: weight %zu is not finite", i, j);
    for (j = 0; pt->head_se && j < policy_agent_heads(sig); j++)
        if (!(pt->head_se[j] >= 0))
            return core_err(e, CORE_E_INPUT,
                            "problem %zu: head %zu's standard error %g is not "
                            ">= 0",
                            i, j, pt->head_se[j]);
    if (!pt->head_se && img->config.pessimism > 0)
        return core_err(e, CORE_E_INPUT,
                        "problem %zu: pessimism %g without standard errors "
                        "per head",
                        i, img->config.pessimism);
    return CORE_OK;
}

enum core_rc policy_agent_create(const struct policy_agent_image *img, struct policy_agent **out,
                                 struct core_err *e)
{
    struct policy_agent *a;
    enum core_rc rc;
    size_t i;

    if (img->n_problems < 1)
        return core_err(e, CORE_E_INPUT, "an agent has at least one problem");
    if (img->config.hidden < 1 || img->config.hidden > POLICY_AGENT_MAX_HIDDEN ||
        img->config.depth > POLICY_AGENT_MAX_DEPTH)
        return core_err(e, CORE_E_INPUT, "trunk of %u layers of %u units (at most %d of 1..%d)",
                        img->config.depth, img->config.hidden, POLICY_AGENT_MAX_DEPTH,
                        POLICY_AGENT_MAX_HIDDEN);
    if (img->config.prior >= POLICY_PRIOR_COUNT)
        return core_err(e, CORE_E_INPUT, "prior %u is not one of 0..%d", img->config.prior,
                        POLICY_PRIOR_COUNT - 1);
    if (!(img->config.pessimism >= 0) || !isfinite(img->config.pessimism))
        return core_err(e, CORE_E_INPUT, "pessimism %g is not finite and >= 0",
                        img->config.pessimism);
    if (img->config.pessimism > 0 && img->config.prior != POLICY_PRIOR_MODEL)
        return core_err(e, CORE_E_INPUT, "pessimism %g needs the model prior",
                        img->config.pessimism);
    for (i = 0; i < img->n_problems; i++) {
        rc = check_part(img, i, e);
        if (rc != CORE_OK)
            return rc;
    }
    a = core_calloc(1, sizeof(*a));
    if (!a)
        return core_err(e, CORE_E_NOMEM, "out of memory for an agent");
    a->img.config = img->config;
    a->img.parts = core_calloc(img->n_problems, sizeof(*a->img.parts));
    a->prob = core_calloc(img->n_problems, sizeof(*a->prob));
    if (!a->img.parts || !a->prob) {
        core_free(a->img.parts);
        core_free(a->prob);
        core_free(a);
        return core_err(e, CORE_E_NOMEM, "out of memory for an agent");
    }
    a->img.n_problems = img->n_problems;
    for (i = 0; i < img->n_problems; i++) {
        const struct policy_agent_part *src = &img->parts[i];
        struct policy_agent_part *pt = &a->img.parts[i];
        const size_t ns = src->sig.n_state, nh = policy_agent_heads(&src->sig);

        *pt = *src;
        pt->state_mean = core_malloc(ns * sizeof(float));
        pt->state_sd = core_malloc(ns * sizeof(float));
        pt->weights = core_malloc(src->n_weights * sizeof(float));
        pt->head_se = src->head_se ? core_malloc(nh * sizeof(float)) : NULL;
        a->prob[i].x = core_malloc(ns * sizeof(float));
        a->prob[i].pess = core_malloc(nh * sizeof(float));
        if (!pt->state_mean || !pt->state_sd || !pt->weights || !a->prob[i].x || !a->prob[i].pess ||
            (src->head_se && !pt->head_se)) {
            rc = core_err(e, CORE_E_NOMEM, "out of memory for an agent's problem %zu", i);
            goto out_destroy;
        }
        memcpy(pt->state_mean, src->state_mean, ns * sizeof(float));
        memcpy(pt->state_sd, src->state_sd, ns * sizeof(float));
        memcpy(pt->weights, src->weights, src->n_weights * sizeof(float));
        if (src->head_se)
            memcpy(pt->head_se, src->head_se, nh * sizeof(float));
        rc = policy_agent_net_build(&pt->sig, img->config.hidden, img->config.depth, 1, 0,
                                    &a->prob[i].net, e);
        if (rc != CORE_OK)
            goto out_destroy;
        policy_agent_net_weights(a->prob[i].net, pt->weights, true);
    }
    *out = a;
    return CORE_OK;
out_destroy:
    policy_agent_destroy(a);
    return rc;
}

const struct policy_agent_image *policy_agent_image(const struct policy_agent *a)
{
    return &a->img;
}

enum core_rc policy_agent_set_pessimism(struct policy_agent *a, double k, struct core_err *e)
{
    size_t i;

    if (!(k >= 0) || !isfinite(k))
        return core_err(e, CORE_E_INPUT, "pessimism %g is not finite and >= 0", k);
    for (i = 0; k > 0 && i < a->img.n_problems; i++)
        if (!a->img.parts[i].head_se)
            return core_err(e, CORE_E_INPUT,
                            "pessimism %g needs each head's standard error, "
                            "which this agent does not carry (trained before format version 3: "
                            "train it again with coinfer train)",
                            k);
    if (k > 0 && a->img.config.prior != POLICY_PRIOR_MODEL)
        return core_err(e, CORE_E_INPUT,
                        "pessimism %g needs an agent trained with the model "
                        "prior (the prediction is what it falls back to)",
                        k);
    a->img.config.pessimism = k;
    return CORE_OK;
}

double policy_agent_pessimism(const struct policy_agent *a)
{
    return a->img.config.pessimism;
}

/* The heads to decode under pessimism k > 0 (policy.h, "Pessimism per
 * plan") for ap's head whose masks and prior are set, from the network's
 * outputs out[]: the reference plan, the prior's heads alone (joint's),
 * decoded; then each output plus k x its head's standard error se[] (at
 * most POLICY_AGENT_PENALTY_MAX) where the reference plan does not select
 * the head, plus the prior (policy_head_effective's h->eff). NULL when no
 * plan is valid. */
static const float *pessimise(struct agent_problem *ap, const float *out, const float *se, double k)
{
    struct policy_head *h = &ap->head;
    const size_t n = h->n_heads;
    float *sel = ap->pess;
    struct compute_plan ref;
    double v;
    size_t j;

    if (!policy_head_decode(h, h->prior, &ref, &v))
        return NULL;
    memset(sel, 0, n * sizeof(*sel));
    policy_head_value(h, h->prior, h->cut, &ref, sel, 1.0);
    for (j = 0; j < n; j++) {
        const double pen = k * (double)se[j];
        const float o =
            sel[j] != 0
                ? out[j]
                : (float)((double)out[j] +
                          (pen < POLICY_AGENT_PENALTY_MAX ? pen : POLICY_AGENT_PENALTY_MAX));

        h->eff[j] = o + h->prior[j];
    }
    return h->eff;
}

size_t policy_agent_n_problems(const struct policy_agent *a)
{
    return a->img.n_problems;
}

const char *policy_agent_model(const struct policy_agent *a, size_t i)
{
    return a->img.parts[i].sig.model;
}

const char *policy_agent_device(const struct policy_agent *a, size_t i)
{
    return a->img.parts[i].sig.device;
}

uint32_t policy_agent_n_state(const struct policy_agent *a, size_t i)
{
    return a->img.parts[i].sig.n_state;
}

int policy_agent_find(const struct policy_agent *a, const char *model, const char *device)
{
    size_t i;

    for (i = 0; i < a->img.n_problems; i++)
        if (strcmp(a->img.parts[i].sig.model, model) == 0 &&
            strcmp(a->img.parts[i].sig.device, device) == 0)
            return (int)i;
    return -1;
}

/* ---- bind --------------------------------------------------------------------------- */

/* CORE_E_INPUT naming the first difference of have (the scenario's) from
 * want (the agent's). */
static enum core_rc compare(const struct policy_agent_signature *want,
                            const struct policy_agent_signature *have, struct core_err *e)
{
    const char *who = want->model, *dev = want->device;
    uint32_t i, k;
    int sd;

    if (have->n_state != want->n_state)
        return core_err(e, CORE_E_INPUT, "agent problem %s on %s: %u state features where the "
                        "agent was trained on %u", who, dev, have->n_state, want->n_state);
    if (have->n_layers != want->n_layers)
        return core_err(e, CORE_E_INPUT, "agent problem %s on %s: the scenario's model has %u "
                        "layers, the agent's %u", who, dev, have->n_layers, want->n_layers);
    if (have->input_bytes != want->input_bytes)
        return core_err(e, CORE_E_INPUT, "agent problem %s on %s: the model input has %.17g "
                        "bytes, the agent's %.17g", who, dev, have->input_bytes,
                        want->input_bytes);
    for (i = 0; i < want->n_layers; i++) {
        const struct compute_problem_layer *a = &want->layers[i], *b = &have->layers[i];

        if (a->n_inputs != b->n_inputs || a->out_bytes != b->out_bytes)
            return core_err(e, CORE_E_INPUT, "agent problem %s on %s: layer %u differs (%u "
                            "inputs, %.17g output bytes; the agent's %u, %.17g)", who, dev, i,
                            b->n_inputs, b->out_bytes, a->n_inputs, a->out_bytes);
        for (k = 0; k < a->n_inputs; k++)
            if (a->inputs[k] != b->inputs[k])
                return core_err(e, CORE_E_INPUT, "agent problem %s on %s: layer %u's input %u "
                                "is %d, the agent's %d", who, dev, i, k, b->inputs[k],
                                a->inputs[k]);
    }
    for (sd = 0; sd < COMPUTE_SIDE_COUNT; sd++) {
        if (have->n_options[sd] != want->n_options[sd])
            return core_err(e, CORE_E_INPUT, "agent problem %s on %s: %u %s options, the "
                            "agent's %u", who, dev, have->n_options[sd], compute_side_name(sd),
                            want->n_options[sd]);
        for (k = 0; k < want->n_options[sd]; k++) {
            const struct compute_option *a = &want->options[sd][k], *b = &have->options[sd][k];

            if (strcmp(a->label, b->label) != 0 || a->resource != b->resource ||
                a->amount != b->amount)
                return core_err(e, CORE_E_INPUT, "agent problem %s on %s: %s option %u is '%s' "
                                "(resource %u, amount %g), the agent's '%s' (resource %u, "
                                "amount %g)", who, dev, compute_side_name(sd), k, b->label,
                                b->resource, b->amount, a->label, a->resource, a->amount);
        }
    }
    if (have->ideals != want->ideals || have->n_cuts != want->n_cuts)
        return core_err(e, CORE_E_INPUT, "agent problem %s on %s: a family of %u cuts (%s), the "
                        "agent's %u (%s)", who, dev, have->n_cuts,
                        have->ideals ? "every cut" : "prefixes", want->n_cuts,
                        want->ideals ? "every cut" : "prefixes");
    return CORE_OK;
}

enum core_rc policy_agent_bind(struct policy_agent *a, size_t i, const struct compute_problem *p,
                               uint32_t n_state, struct core_err *e)
{
    struct agent_problem *ap = &a->prob[i];
    const struct policy_agent_part *pt = &a->img.parts[i];
    struct policy_agent_signature *have;
    struct policy_head h;
    enum core_rc rc;

    CORE_ASSERT(i < a->img.n_problems);
    rc = policy_head_init(&h, p, e);
    if (rc == CORE_OK && a->img.config.prior == POLICY_PRIOR_MODEL)
        rc = policy_head_prior_enable(&h, e);
    if (rc != CORE_OK) {
        policy_head_fini(&h);
        return rc;
    }
    have = core_malloc(sizeof(*have));
    if (!have) {
        policy_head_fini(&h);
        return core_err(e, CORE_E_NOMEM, "out of memory binding an agent");
    }
    policy_agent_signature_of(&h, pt->sig.model, pt->sig.device, n_state, have);
    rc = compare(&pt->sig, have, e);
    core_free(have);
    if (rc != CORE_OK) {
        policy_head_fini(&h);
        return rc;
    }
    policy_head_fini(&ap->head);
    ap->head = h;
    ap->p = p;
    return CORE_OK;
}

enum core_rc policy_agent_decide(struct policy_agent *a, uint32_t problem, const float *state,
                                 const struct compute_state *st, struct compute_plan *out,
                                 struct core_err *e)
{
    const double k = a->img.config.pessimism;
    const struct policy_agent_part *pt;
    struct agent_problem *ap;
    const float *heads;
    enum core_rc rc;
    double v;

    if (problem >= a->img.n_problems || !a->prob[problem].p)
        return core_err(e, CORE_E_RUNTIME, "agent problem %u is not bound to a scenario's "
                        "problem", problem);
    ap = &a->prob[problem];
    pt = &a->img.parts[problem];
    policy_agent_normalise(pt, state, ap->x);
    rc = nn_model_forward(ap->net, ap->x, 1, e);
    if (rc != CORE_OK)
        return rc;
    heads = nn_model_output(ap->net);
    policy_head_masks(&ap->head, st);
    policy_head_prior(&ap->head, st, pt->cost_mean - pt->prior_shift, pt->cost_sd);
    heads = k > 0 ? pessimise(ap, heads, pt->head_se, k) : policy_head_effective(&ap->head, heads);
    if (!heads || !policy_head_decode(&ap->head, heads, out, &v))
        return core_err(e, CORE_E_RUNTIME, "agent problem %s on %s: no plan runs every layer on "
                        "a supported, available option%s", a->img.parts[problem].sig.model,
                        a->img.parts[problem].sig.device,
                        st->edge_available ? "" : " of the UE (the edge is not available)");
    return CORE_OK;
}
