/*
 * problem.c — a world's allocation problems, built from a model and the two
 * sides that may run it, every layer priced by the CPMM (compute.h).
 *
 * The layers. Each nn layer becomes a CPMM descriptor (layer_desc.c). A
 * layer that moves no data — a reshape (flatten, dropout), or a layer nn
 * makes an alias when it folds batch norms and fuses activations
 * (nn_model_layer_alias) — costs ALIAS_LATENCY_S on any option and no
 * energy; when it is the only reader of its producer it joins the producer's
 * problem layer (struct proto_layers), which halves MobileNetV2's and
 * ResNet-18's problems and every per-layer loop of the policies and the
 * world: a cut between a conv and its fused activation sends the same tensor
 * at the same cost as the cut after it. Problem layers are numbered in the
 * order of their first nn layers, a topological order.
 *
 * The prices. Every option of every side prices every layer through the
 * CPMM (its roofline on the declared figures):
 *   latency = max(FLOPs / (peak x amount x efficiency), bytes / bandwidth)
 *             + overhead,     energy = active power x share used x latency,
 * INFINITY where the resource does not run the layer's type. A problem
 * layer's price is the sum of its nn layers'.
 *
 * The truth. A world executes each layer at the CPMM's price times its
 * resource's declared bias for the layer's type (compute_cpmm_truth;
 * DESIGN.md "Truth and model"; an alias keeps its nanosecond, which is no
 * CPMM price) — on a resource with a stored profile, the layer's
 * measurement (ml->measured keys it) — and a problem built with truth holds those prices: the
 * problem the world's segments take their times from, and what an oracle
 * decides on. Deciders are told the prediction.
 */
#include "proto/proto_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn.h"

/* The right-sized problems of early exits (proto_problem_exit_add): the
 * attach point's ancestors keep their rows of the problem, the branch's
 * layers follow, priced as above. */

/* The cost of a layer that moves no data: a pointer hand-off, s. Positive
 * because a problem's latencies are (compute_problem_check). */
#define ALIAS_LATENCY_S 1e-9

/* Whether producer's output has exactly one reader. */
static bool reads_alone(const struct nn_model *m, int producer)
{
    size_t n_layers = nn_model_n_layers(m), readers = 0;

    for (size_t j = 0; j < n_layers; j++) {
        size_t n_in;
        const int *in = nn_model_layer_inputs(m, (int)j, &n_in);

        for (size_t k = 0; k < n_in; k++)
            readers += in[k] == producer;
    }
    return readers == 1;
}

void proto_layers_fini(struct proto_layers *ml)
{
    core_free(ml->desc);
    core_free(ml->alias);
    core_free(ml->group_of);
    core_free(ml->head);
    core_free(ml->last);
    memset(ml, 0, sizeof(*ml));
}

/* Group ml's layers (see struct proto_layers). */
static void group_layers(const struct nn_model *m, struct proto_layers *ml)
{
    ml->n_groups = 0;
    for (size_t i = 0; i < ml->n; i++) {
        size_t n_in;
        const int *in = nn_model_layer_inputs(m, (int)i, &n_in);

        if (ml->alias[i] && n_in == 1 && in[0] >= 0 && reads_alone(m, in[0])) {
            uint16_t g = ml->group_of[in[0]];

            ml->group_of[i] = g;
            ml->last[g] = (int)i;
            continue;
        }
        ml->group_of[i] = (uint16_t)ml->n_groups;
        ml->head[ml->n_groups] = (int)i;
        ml->last[ml->n_groups] = (int)i;
        ml->n_groups++;
    }
}

enum core_rc proto_layers_init(const struct nn_model *m, struct proto_layers *ml,
                               struct core_err *e)
{
    memset(ml, 0, sizeof(*ml));
    ml->n = nn_model_n_layers(m);
    if (ml->n > COMPUTE_PLAN_MAX_LAYERS)
        return core_err(e, CORE_E_INPUT, "%zu layers, more than the %d a plan can hold",
                        ml->n, COMPUTE_PLAN_MAX_LAYERS);
    ml->desc = core_calloc(ml->n, sizeof(*ml->desc));
    ml->alias = core_calloc(ml->n, sizeof(*ml->alias));
    ml->group_of = core_calloc(ml->n, sizeof(*ml->group_of));
    ml->head = core_calloc(ml->n, sizeof(*ml->head));
    ml->last = core_calloc(ml->n, sizeof(*ml->last));
    if (!ml->desc || !ml->alias || !ml->group_of || !ml->head || !ml->last) {
        proto_layers_fini(ml);
        return core_err(e, CORE_E_NOMEM, "out of memory for its layers");
    }
    for (size_t i = 0; i < ml->n; i++) {
        struct nn_layer_profile lp;
        enum core_rc rc;

        memset(&lp, 0, sizeof(lp));
        nn_model_layer_cost(m, (int)i, &lp.cost);
        nn_model_layer_gemm(m, (int)i, &lp.gemm);
        rc = proto_layer_desc(m, (int)i, &lp, &ml->desc[i], e);
        if (rc != CORE_OK) {
            proto_layers_fini(ml);
            return rc;
        }
        ml->alias[i] =
            nn_model_layer_alias(m, (int)i) || ml->desc[i].type == COMPUTE_LAYER_RESHAPE;
    }
    group_layers(m, ml);
    return CORE_OK;
}

void proto_layer_key(const char *model, size_t i, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%zu", model, i);
}

/* Price every layer of ml on every option of side sp into p's side s: the
 * prediction, or with truth the truth (with ml->measured, each layer under
 * its key, so a stored measurement answers). */
static enum core_rc price_side(const struct compute_cpmm *cpmm, const struct proto_layers *ml,
                               const struct proto_side_price *sp, enum compute_side s, bool truth,
                               size_t base, struct compute_problem *p, struct core_err *e)
{
    const struct proto_side_options *opts = sp->opts;

    p->n_options[s] = opts->n;
    p->default_option[s] = opts->default_option;
    p->copy_latency_s[s] = sp->copy_latency_s;
    p->copy_bytes_per_s[s] = sp->copy_bytes_per_s;
    p->copy_power_w[s] = sp->copy_power_w;
    for (size_t o = 0; o < opts->n; o++) {
        const struct compute_option *opt = &opts->option[o];

        p->options[s][o] = *opt;
        for (size_t i = 0; i < ml->n; i++) {
            struct compute_cpmm_request q;
            struct compute_cpmm_reply r;
            char key[COMPUTE_CPMM_KEY_MAX];
            double *lat = &p->latency_s[s][o * p->n_layers + base + ml->group_of[i]];
            double *en = &p->energy_j[s][o * p->n_layers + base + ml->group_of[i]];
            enum core_rc rc;

            if (ml->alias[i]) {
                *lat += ALIAS_LATENCY_S;
                continue;
            }
            memset(&q, 0, sizeof(q));
            q.resource = sp->cpmm_resource[opt->resource];
            q.amount = opt->amount;
            q.layer = ml->desc[i];
            if (truth && ml->measured) {
                proto_layer_key(ml->measured, i, key, sizeof(key));
                q.key = key;
            }
            rc = truth ? compute_cpmm_truth(cpmm, &q, &r, e)
                       : compute_cpmm_predict(cpmm, &q, &r, e);
            if (rc != CORE_OK)
                return rc;
            *lat += r.source == COMPUTE_CPMM_UNSUPPORTED ? INFINITY : r.latency_s;
            *en += r.source == COMPUTE_CPMM_UNSUPPORTED ? 0.0 : r.energy_j;
        }
    }
    return CORE_OK;
}

enum core_rc proto_problem_build(const struct compute_cpmm *cpmm, const struct nn_model *m,
                                 const struct proto_layers *ml,
                                 const struct proto_side_price *ue,
                                 const struct proto_side_price *edge, double input_element_bytes,
                                 double header_bytes, bool truth, struct compute_problem *p,
                                 struct core_err *e)
{
    enum core_rc rc;

    rc = compute_problem_init(p, ml->n_groups, ue->opts->n, edge->opts->n, e);
    if (rc != CORE_OK)
        return rc;
    /* The input as the UE holds it (an 8-bit image, say), not as float32. */
    p->input_bytes =
        (double)nn_model_tensor_bytes(m, NN_INPUT) / sizeof(float) * input_element_bytes;
    p->msg_header_bytes = header_bytes;
    for (size_t g = 0; g < ml->n_groups; g++) {
        size_t n_in;
        const int *in = nn_model_layer_inputs(m, ml->head[g], &n_in);

        p->layers[g].n_inputs = (uint32_t)n_in;
        for (size_t k = 0; k < n_in; k++)
            p->layers[g].inputs[k] = in[k] < 0 ? in[k] : (int32_t)ml->group_of[in[k]];
        p->layers[g].out_bytes = (double)nn_model_tensor_bytes(m, ml->last[g]);
    }
    rc = price_side(cpmm, ml, ue, COMPUTE_SIDE_UE, truth, 0, p, e);
    if (rc == CORE_OK)
        rc = price_side(cpmm, ml, edge, COMPUTE_SIDE_EDGE, truth, 0, p, e);
    if (rc != CORE_OK)
        return rc;
    for (size_t g = 0; g < ml->n_groups; g++) {
        int i = ml->head[g];
        bool runs = false;

        for (int side = 0; side < COMPUTE_SIDE_COUNT; side++)
            for (size_t o = 0; o < p->n_options[side]; o++)
                runs = runs || isfinite(compute_problem_latency_s(p, (enum compute_side)side, o, g));
        if (!runs)
            return core_err(e, CORE_E_INPUT,
                            "layer %d '%s' is of type %s, which none of its resources supports, "
                            "with no edge resource to fall back on",
                            i, nn_model_layer_name(m, i),
                            compute_layer_type_name(ml->desc[i].type));
    }
    return compute_problem_check(p, e);
}

/* ---- early exits -------------------------------------------------------------- */

void proto_problem_needed(const struct compute_problem *p, size_t g, bool *keep)
{
    keep[g] = true;
    for (size_t i = g + 1; i-- > 0;)
        if (keep[i])
            for (uint32_t j = 0; j < p->layers[i].n_inputs; j++)
                if (p->layers[i].inputs[j] >= 0)
                    keep[p->layers[i].inputs[j]] = true;
}

/* Fill q's encodings from p's: the kept layers' bytes p's, the branch's
 * tensors (groups of bl from base on) at each encoding's bytes; accuracy
 * of lossy ones unknown. */
static enum core_rc exit_encodings(const struct compute_problem *p, const int32_t *newidx,
                                   const struct nn_model *branch, const struct proto_layers *bl,
                                   size_t base, struct compute_problem *q, struct core_err *e)
{
    enum core_rc rc = compute_problem_encodings_init(q, p->n_encodings, e);

    if (rc != CORE_OK)
        return rc;
    for (size_t k = 0; k < p->n_encodings; k++) {
        const struct compute_encoding *pe = &p->encodings[k];
        struct compute_encoding *qe = &q->encodings[k];
        struct nn_encoding en;

        memcpy(qe->name, pe->name, sizeof(qe->name));
        if (k == 0)
            continue;
        if (!nn_encoding_parse(pe->name, &en))
            return core_err(e, CORE_E_INPUT, "encoding '%s' nn does not know", pe->name);
        qe->tensor_bytes[0] = pe->tensor_bytes[0];
        for (size_t g = 0; g < p->n_layers; g++)
            if (newidx[g] >= 0)
                qe->tensor_bytes[1 + newidx[g]] = pe->tensor_bytes[1 + g];
        for (size_t h = 0; h < bl->n_groups; h++)
            qe->tensor_bytes[1 + base + h] = (double)nn_encoding_bytes(
                &en, nn_model_tensor_bytes(branch, bl->last[h]) / sizeof(float));
    }
    q->fixed_encoding = p->fixed_encoding;
    return CORE_OK;
}

enum core_rc proto_problem_exit_add(const struct compute_cpmm *cpmm, const struct proto_layers *ml,
                                    const struct nn_exit *x, const struct proto_layers *bl,
                                    const struct proto_side_price *ue,
                                    const struct proto_side_price *edge, bool truth,
                                    double accuracy, struct compute_problem *p,
                                    struct core_err *e)
{
    bool keep[COMPUTE_PLAN_MAX_LAYERS] = {false};
    int32_t newidx[COMPUTE_PLAN_MAX_LAYERS];
    size_t attach = ml->group_of[x->attach], base = 0, n_opt[COMPUTE_SIDE_COUNT];
    struct compute_problem *q;
    struct compute_exit *cx;
    enum core_rc rc;

    if (p->n_encodings == 0)
        return core_err(e, CORE_E_INPUT, "exit %s: exits need the model's accuracy data",
                        x->name);
    if (p->n_exits == COMPUTE_PLAN_MAX_EXITS)
        return core_err(e, CORE_E_INPUT, "exit %s: more than %d exits", x->name,
                        COMPUTE_PLAN_MAX_EXITS);
    proto_problem_needed(p, attach, keep);
    for (size_t g = 0; g < p->n_layers; g++)
        newidx[g] = keep[g] ? (int32_t)base++ : -1;
    if (base + bl->n_groups > COMPUTE_PLAN_MAX_LAYERS)
        return core_err(e, CORE_E_INPUT, "exit %s: more than %d layers", x->name,
                        COMPUTE_PLAN_MAX_LAYERS);
    q = core_calloc(1, sizeof(*q));
    if (!q)
        return core_err(e, CORE_E_NOMEM, "out of memory for exit %s", x->name);
    cx = &p->exits[p->n_exits++]; /* so that compute_problem_fini(p) frees q */
    memset(cx, 0, sizeof(*cx));
    snprintf(cx->name, sizeof(cx->name), "%s", x->name);
    cx->attach = (uint32_t)attach;
    cx->accuracy = accuracy;
    cx->problem = q;
    for (int s = 0; s < COMPUTE_SIDE_COUNT; s++)
        n_opt[s] = p->n_options[s];
    rc = compute_problem_init(q, base + bl->n_groups, n_opt[COMPUTE_SIDE_UE],
                              n_opt[COMPUTE_SIDE_EDGE], e);
    if (rc != CORE_OK)
        return rc;
    q->input_bytes = p->input_bytes;
    q->msg_header_bytes = p->msg_header_bytes;
    for (size_t g = 0; g < p->n_layers; g++) {
        struct compute_problem_layer *ly;

        if (newidx[g] < 0)
            continue;
        ly = &q->layers[newidx[g]];
        *ly = p->layers[g];
        for (uint32_t j = 0; j < ly->n_inputs; j++)
            if (ly->inputs[j] >= 0)
                ly->inputs[j] = newidx[ly->inputs[j]];
        for (int s = 0; s < COMPUTE_SIDE_COUNT; s++)
            for (size_t o = 0; o < n_opt[s]; o++) {
                q->latency_s[s][o * q->n_layers + newidx[g]] = p->latency_s[s][o * p->n_layers + g];
                q->energy_j[s][o * q->n_layers + newidx[g]] = p->energy_j[s][o * p->n_layers + g];
            }
    }
    for (size_t h = 0; h < bl->n_groups; h++) {
        struct compute_problem_layer *ly = &q->layers[base + h];
        size_t n_in;
        const int *in = nn_model_layer_inputs(x->branch, bl->head[h], &n_in);

        ly->n_inputs = (uint32_t)n_in;
        for (size_t k = 0; k < n_in; k++)
            ly->inputs[k] = in[k] < 0 ? newidx[attach] : (int32_t)(base + bl->group_of[in[k]]);
        ly->out_bytes = (double)nn_model_tensor_bytes(x->branch, bl->last[h]);
    }
    rc = price_side(cpmm, bl, ue, COMPUTE_SIDE_UE, truth, base, q, e);
    if (rc == CORE_OK)
        rc = price_side(cpmm, bl, edge, COMPUTE_SIDE_EDGE, truth, base, q, e);
    if (rc == CORE_OK)
        rc = exit_encodings(p, newidx, x->branch, bl, base, q, e);
    if (rc != CORE_OK)
        return rc;
    q->accuracy = accuracy;
    return compute_problem_check(q, e);
}
