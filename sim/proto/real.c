/*
 * real.c — real mode (<inference mode="real">): the UE part and the
 * edge part of each inference are actually run by the nn engine, on the
 * host, on a real input, and the tensors that cross the cut are the ones
 * sent.
 *
 * Times and energies still come from the plan's costs (the CPMM), so a run
 * stays reproducible to the byte; what real mode adds is the computation
 * itself: when the UE's part is done (in simulated time) the engine runs
 * those layers on the inference's input and keeps the crossing tensors; the
 * intermediate result's size is theirs (the model input, when the UE
 * computed nothing, goes as the problem prices it: input-element bytes per
 * element); when the edge's part is done the engine runs the rest on those
 * tensors, and the output is the result that goes down. The input is an
 * 8-bit image drawn from the UE's INPUT stream (each element k / 255), with
 * no label, so `correct` stays unknown; or, for a model with a test set
 * (proto_model.test_set: a trained model with accuracy data), a test image
 * drawn uniformly from it by the same stream, and the result is correct
 * when its class (the output's first argmax) is the image's label.
 *
 * Encodings. When the plan names an encoding other than 0 (compute.h,
 * "Encodings and accuracy"), every crossing tensor (the input too, when the
 * UE computed nothing) is really encoded and decoded (nn_encode,
 * nn_decode) before the edge part runs on it, and the intermediate result's
 * size is the encoded bytes: the problem's prices of that encoding, bit for
 * bit (both are nn_encoding_bytes).
 *
 * Early exits. A plan that ends at exit k (compute.h, "Early exits") runs
 * its exit's right-sized problem: the main model's layers in the problem
 * layers the attach point needs, then the exit's branch (a model of its
 * own, whose input is the attach point's output). The UE's part is a part
 * of those main layers, or all of them and a part of the branch (a branch
 * layer on the UE has the attach point before it); the crossing tensors
 * are the main model's the edge's main layers read, or else the branch's
 * the edge's branch layers read (its input: the attach point's output),
 * priced, encoded and decoded as above; the result is the branch's. The
 * tensor the branch reads is its attach problem layer's output, as the
 * problem prices it (a layer nn fused into the attach point leaves it the
 * same bytes).
 *
 * Models run one pass at a time (the engine is sequential), with one
 * OpenBLAS thread. The crossing tensors live in a buffer of the inference
 * from its UE part to its edge part; that allocation is the price of real
 * mode, which is meant for small models.
 */
#include "proto/proto_int.h"

#include <string.h>

#include "nn/nn.h"

#define REAL_ALIGN 64 /* bytes: entry buffers aligned as nn asks */

void proto_real_free(struct proto_inf *inf)
{
    core_free(inf->real_buf);
    inf->real_buf = NULL;
}

/* Floats a tensor of bytes takes in the buffer, rounded up to REAL_ALIGN. */
static size_t slot_floats(uint64_t bytes)
{
    return (size_t)((bytes + REAL_ALIGN - 1) / REAL_ALIGN * REAL_ALIGN / sizeof(float));
}

/* The part of inf's plan on the UE, over the model's layers (member[l]:
 * layer l's problem layer is at a position < n_ue). */
static void ue_member(const struct proto_collab_world *w, const struct proto_inf *inf,
                      bool *member)
{
    const struct nn_model *m = w->cfg->models[inf->model].real;
    const uint16_t *group = w->cfg->models[inf->model].real_group;
    bool on_ue[COMPUTE_PLAN_MAX_LAYERS] = {0};
    size_t n = nn_model_n_layers(m);

    for (uint32_t k = 0; k < inf->plan.n_ue; k++)
        on_ue[inf->plan.order[k]] = true;
    for (size_t l = 0; l < n; l++)
        member[l] = on_ue[group ? group[l] : l];
}

/* Where each crossing tensor of a | rest sits in the buffer: the model input
 * at 0, the others after it in nn_model_split_crossing's order. Returns the
 * buffer's size in floats. */
static size_t layout(struct nn_model *m, const int *ids, size_t n_cross, size_t *off)
{
    size_t end = slot_floats(nn_model_tensor_bytes(m, NN_INPUT));

    for (size_t j = 0; j < n_cross; j++) {
        if (ids[j] == NN_INPUT) {
            off[j] = 0;
            continue;
        }
        off[j] = end;
        end += slot_floats(nn_model_tensor_bytes(m, ids[j]));
    }
    return end;
}

/* The index of the largest element of m's output after a run. */
static int32_t real_argmax(const struct nn_model *m)
{
    struct nn_shape s = nn_model_shape(m, (int)nn_model_n_layers(m) - 1);
    size_t n = (size_t)s.c * s.h * s.w;
    const float *out = nn_model_output(m);
    size_t best = 0;

    for (size_t i = 1; i < n; i++)
        if (out[i] > out[best])
            best = i;
    return (int32_t)best;
}

enum core_rc proto_real_input(struct proto_collab_world *w, struct proto_inf *inf,
                               struct core_err *e)
{
    struct nn_model *m = w->cfg->models[inf->model].real;
    size_t n = nn_model_tensor_bytes(m, NN_INPUT) / sizeof(float);

    proto_real_free(inf);
    inf->real_buf = core_aligned_alloc(REAL_ALIGN, slot_floats(n * sizeof(float)) * sizeof(float));
    if (!inf->real_buf)
        return core_err(e, CORE_E_NOMEM, "out of memory for a real-mode input");
    if (w->cfg->models[inf->model].test_set) {
        const struct nn_dataset *d = w->cfg->models[inf->model].test_set;
        size_t idx = (size_t)core_rng_below(w->ues[inf->ue].input, d->n);
        uint32_t label;

        CORE_ASSERT((size_t)d->c * d->h * d->w == n);
        nn_dataset_batch(d, &idx, 1, inf->real_buf, &label);
        inf->real_label = (int32_t)label;
        return CORE_OK;
    }
    for (size_t i = 0; i < n; i++)
        inf->real_buf[i] = (float)core_rng_below(w->ues[inf->ue].input, 256) / 255.0f;
    return CORE_OK;
}

/* Encode and decode the n_cross crossing tensors ids[] at buf + off[] with
 * the plan's encoding enc (not 0); their encoded bytes in *bytes. Real
 * mode's allocation: the encoded bytes and top-k's scratch, per call. */
static enum core_rc code_crossing(struct nn_model *m, const struct compute_problem *p,
                                  uint32_t enc, const int *ids, size_t n_cross,
                                  const size_t *off, float *buf, double *bytes,
                                  struct core_err *e)
{
    struct nn_encoding en;
    uint8_t *coded;
    float *ws;
    size_t most = 0;

    if (!nn_encoding_parse(p->encodings[enc].name, &en))
        CORE_ASSERT(!"a problem's encoding that nn does not know");
    for (size_t j = 0; j < n_cross; j++) {
        size_t n = nn_model_tensor_bytes(m, ids[j]) / sizeof(float);

        if (n > most)
            most = n;
    }
    coded = core_malloc(nn_encoding_bytes(&en, most) + 1);
    ws = core_malloc((most + 1) * sizeof(float));
    if (!coded || !ws) {
        core_free(coded);
        core_free(ws);
        return core_err(e, CORE_E_NOMEM, "out of memory for an encoded tensor");
    }
    *bytes = 0;
    for (size_t j = 0; j < n_cross; j++) {
        size_t n = nn_model_tensor_bytes(m, ids[j]) / sizeof(float);
        float *x = buf + off[j];
        bool ok;

        nn_encode(&en, x, n, coded, ws);
        ok = nn_decode(&en, coded, n, x);
        CORE_ASSERT(ok); /* what nn_encode wrote decodes */
        *bytes += (double)nn_encoding_bytes(&en, n);
    }
    core_free(coded);
    core_free(ws);
    return CORE_OK;
}

/* ---- plans that end at an early exit ---------------------------------------------------- */

/* A plan of exit k's right-sized problem on the real models. Its tensors
 * live in the inference's buffer: the model input at 0, then the exits of
 * the UE's main part, of the UE's branch part and of the edge's main part,
 * each in its slot. */
struct exit_run {
    struct nn_model *m;                             /* the main model */
    struct nn_model *b;                             /* the exit's branch */
    bool ue_m[COMPUTE_PLAN_MAX_LAYERS];             /* main layers the UE runs */
    bool edge_m[COMPUTE_PLAN_MAX_LAYERS];           /* main layers the edge runs */
    bool ue_b[COMPUTE_PLAN_MAX_LAYERS];             /* branch layers the UE runs */
    bool edge_b[COMPUTE_PLAN_MAX_LAYERS];           /* branch layers the edge runs */
    bool any_ue_m, any_edge_m, any_ue_b;            /* whether those parts are not empty */
    size_t n_out[3];                                /* exits of the parts [0] UE main, [1] UE
                                                       branch, [2] edge main */
    int out[3][COMPUTE_PLAN_MAX_LAYERS + 1];        /* [part][j]: its exit tensors, ascending */
    size_t out_off[3][COMPUTE_PLAN_MAX_LAYERS + 1]; /* [part][j]: their slots, floats */
    size_t attach_off;                              /* the slot of the tensor the branch reads */
    bool cross_b;                                   /* the crossing tensors are the branch's
                                                       (NN_INPUT: its input) */
    size_t n_cross;                                 /* crossing tensors */
    int cross[COMPUTE_PLAN_MAX_LAYERS + 1];         /* their ids, in the order the edge's part
                                                       takes its entries */
    size_t cross_off[COMPUTE_PLAN_MAX_LAYERS + 1];  /* their slots, floats */
    size_t total;                                   /* floats of the buffer */
};

/* The slot of tensor id among part's exits. */
static size_t out_slot(const struct exit_run *r, int part, int id)
{
    for (size_t j = 0; j < r->n_out[part]; j++)
        if (r->out[part][j] == id)
            return r->out_off[part][j];
    CORE_ASSERT(!"a crossing tensor that is no exit of the part producing it");
    return 0;
}

/* Part's exits in slots from *end on. */
static void place_outs(struct exit_run *r, struct nn_model *m, const bool *member, int part,
                       size_t *end)
{
    r->n_out[part] = nn_model_part_exits(m, member, r->out[part]);
    for (size_t j = 0; j < r->n_out[part]; j++) {
        r->out_off[part][j] = *end;
        *end += slot_floats(nn_model_tensor_bytes(m, r->out[part][j]));
    }
}

/* Lay out inf's plan, which ends at an exit, in *r. */
static void exit_layout(const struct proto_collab_world *w, const struct proto_inf *inf,
                        struct exit_run *r)
{
    const struct proto_model *pm = &w->cfg->models[inf->model];
    const struct compute_problem *p = proto_inf_base_problem(w, inf);
    const size_t k = (size_t)inf->plan.exit - 1;
    const struct nn_exit *x = &pm->real_exits->v[k];
    const struct proto_layers *bl = &pm->real_exit_layers[k];
    const uint16_t *group = pm->real_group;
    bool keep[COMPUTE_PLAN_MAX_LAYERS] = {false}, on_ue[COMPUTE_PLAN_MAX_LAYERS] = {false};
    int32_t newidx[COMPUTE_PLAN_MAX_LAYERS];
    size_t base = 0, nm, nb, end;
    int attach;

    CORE_ASSERT(k < p->n_exits && k < pm->real_exits->n);
    r->m = pm->real;
    r->b = x->branch;
    nm = nn_model_n_layers(r->m);
    nb = nn_model_n_layers(r->b);
    CORE_ASSERT(bl->n == nb);
    proto_problem_needed(p, p->exits[k].attach, keep);
    for (size_t g = 0; g < p->n_layers; g++)
        newidx[g] = keep[g] ? (int32_t)base++ : -1;
    CORE_ASSERT(base + bl->n_groups == inf->plan.n_layers);
    for (uint32_t j = 0; j < inf->plan.n_ue; j++)
        on_ue[inf->plan.order[j]] = true;
    /* the branch reads its attach problem layer's output: that group's last layer's */
    attach = x->attach;
    for (size_t l = (size_t)x->attach + 1; group && l < nm; l++)
        if (group[l] == group[x->attach])
            attach = (int)l;
    r->any_ue_m = r->any_edge_m = r->any_ue_b = false;
    for (size_t l = 0; l < nm; l++) {
        size_t g = group ? group[l] : l;

        r->ue_m[l] = keep[g] && on_ue[newidx[g]];
        r->edge_m[l] = keep[g] && !on_ue[newidx[g]];
        r->any_ue_m = r->any_ue_m || r->ue_m[l];
        r->any_edge_m = r->any_edge_m || r->edge_m[l];
    }
    for (size_t l = 0; l < nb; l++) {
        r->ue_b[l] = on_ue[base + bl->group_of[l]];
        r->edge_b[l] = !r->ue_b[l];
        r->any_ue_b = r->any_ue_b || r->ue_b[l];
    }
    end = slot_floats(nn_model_tensor_bytes(r->m, NN_INPUT));
    r->n_out[0] = r->n_out[1] = r->n_out[2] = 0;
    if (r->any_ue_m)
        place_outs(r, r->m, r->ue_m, 0, &end);
    if (r->ue_m[attach])
        r->attach_off = out_slot(r, 0, attach);
    if (r->any_ue_b)
        place_outs(r, r->b, r->ue_b, 1, &end);
    if (r->any_edge_m) {
        place_outs(r, r->m, r->edge_m, 2, &end);
        r->attach_off = out_slot(r, 2, attach);
    }
    r->total = end;
    /* The attach point on the UE: every layer it needs is, and the branch's
     * entries cross (its input when the edge runs all of it). */
    r->cross_b = r->ue_m[attach];
    if (r->cross_b) {
        r->n_cross = nn_model_split_crossing(r->b, r->ue_b, r->cross);
        for (size_t j = 0; j < r->n_cross; j++)
            r->cross_off[j] = r->cross[j] == NN_INPUT ? r->attach_off : out_slot(r, 1, r->cross[j]);
    } else {
        CORE_ASSERT(!r->any_ue_b);
        r->n_cross = nn_model_part_entries(r->m, r->edge_m, r->cross);
        for (size_t j = 0; j < r->n_cross; j++)
            r->cross_off[j] = r->cross[j] == NN_INPUT ? 0 : out_slot(r, 0, r->cross[j]);
    }
}

/* The exits of part of r as pointers into buf. */
static void out_ptrs(const struct exit_run *r, int part, float *buf, float **outs)
{
    for (size_t j = 0; j < r->n_out[part]; j++)
        outs[j] = buf + r->out_off[part][j];
}

/* proto_real_ue_part for a plan that ends at an exit. */
static enum core_rc exit_ue_part(struct proto_collab_world *w, struct proto_inf *inf,
                                 double *crossing_bytes, struct core_err *e)
{
    const struct compute_problem *q = proto_inf_problem(w, inf);
    struct exit_run *r = core_malloc(sizeof(*r));
    float *outs[COMPUTE_PLAN_MAX_LAYERS + 1], *buf;
    const float *entry;
    enum core_rc rc = CORE_OK;

    if (!r)
        return core_err(e, CORE_E_NOMEM, "out of memory for real-mode tensors");
    exit_layout(w, inf, r);
    *crossing_bytes = 0;
    for (size_t j = 0; j < r->n_cross; j++)
        *crossing_bytes += r->cross_b ? (double)nn_model_tensor_bytes(r->b, r->cross[j])
                           : r->cross[j] == NN_INPUT
                               ? q->input_bytes /* as the UE holds it */
                               : (double)nn_model_tensor_bytes(r->m, r->cross[j]);
    /* the edge's part writes its exits in the buffer too: it is sized for both */
    buf = core_aligned_alloc(REAL_ALIGN, r->total * sizeof(float));
    if (!buf) {
        core_free(r);
        return core_err(e, CORE_E_NOMEM, "out of memory for real-mode tensors");
    }
    memcpy(buf, inf->real_buf, nn_model_tensor_bytes(r->m, NN_INPUT));
    core_free(inf->real_buf);
    inf->real_buf = buf;
    if (r->any_ue_m) {
        entry = buf; /* a part closed under predecessors reads the model input only */
        out_ptrs(r, 0, buf, outs);
        rc = nn_model_forward_part(r->m, r->ue_m, &entry, outs, 1, e);
    }
    if (rc == CORE_OK && r->any_ue_b) {
        entry = buf + r->attach_off;
        out_ptrs(r, 1, buf, outs);
        rc = nn_model_forward_part(r->b, r->ue_b, &entry, outs, 1, e);
    }
    if (rc == CORE_OK && inf->plan.n_ue == inf->plan.n_layers)
        inf->real_class = real_argmax(r->b);
    else if (rc == CORE_OK && inf->plan.encoding != 0)
        rc = code_crossing(r->cross_b ? r->b : r->m, q, inf->plan.encoding, r->cross, r->n_cross,
                           r->cross_off, buf, crossing_bytes, e);
    core_free(r);
    return rc;
}

/* proto_real_edge_part for a plan that ends at an exit. */
static enum core_rc exit_edge_part(struct proto_collab_world *w, struct proto_inf *inf,
                                   struct core_err *e)
{
    struct exit_run *r = core_malloc(sizeof(*r));
    const float *entries[COMPUTE_PLAN_MAX_LAYERS + 1];
    float *outs[COMPUTE_PLAN_MAX_LAYERS + 1];
    enum core_rc rc = CORE_OK;

    if (!r)
        return core_err(e, CORE_E_NOMEM, "out of memory for real-mode tensors");
    exit_layout(w, inf, r);
    for (size_t j = 0; j < r->n_cross; j++)
        entries[j] = inf->real_buf + r->cross_off[j];
    if (r->any_edge_m) { /* its entries are the crossing tensors */
        out_ptrs(r, 2, inf->real_buf, outs);
        rc = nn_model_forward_part(r->m, r->edge_m, entries, outs, 1, e);
        entries[0] = inf->real_buf + r->attach_off;
    }
    if (rc == CORE_OK) /* its entries: the crossing tensors, or the attach point's output */
        rc = nn_model_forward_part(r->b, r->edge_b, entries, NULL, 1, e);
    if (rc == CORE_OK)
        inf->real_class = real_argmax(r->b);
    core_free(r);
    return rc;
}

enum core_rc proto_real_ue_part(struct proto_collab_world *w, struct proto_inf *inf,
                                 double *crossing_bytes, struct core_err *e)
{
    const struct compute_problem *p = proto_inf_problem(w, inf);
    struct nn_model *m = w->cfg->models[inf->model].real;
    bool member[COMPUTE_PLAN_MAX_LAYERS];
    int ids[COMPUTE_PLAN_MAX_LAYERS + 1];
    size_t off[COMPUTE_PLAN_MAX_LAYERS + 1], n_cross, total, k = 0;
    float *exits[COMPUTE_PLAN_MAX_LAYERS + 1], *buf;
    const float *entries[1];
    enum core_rc rc;

    CORE_ASSERT(inf->real_buf != NULL);
    if (inf->plan.exit > 0)
        return exit_ue_part(w, inf, crossing_bytes, e);
    ue_member(w, inf, member);
    n_cross = nn_model_split_crossing(m, member, ids);
    total = layout(m, ids, n_cross, off);
    *crossing_bytes = 0;
    for (size_t j = 0; j < n_cross; j++)
        *crossing_bytes += ids[j] == NN_INPUT ? p->input_bytes /* as the UE holds it */
                                              : (double)nn_model_tensor_bytes(m, ids[j]);
    if (inf->plan.n_ue == 0) /* nothing to run: the input goes as it is, or encoded */
        return inf->plan.encoding == 0 || inf->plan.n_ue == inf->plan.n_layers
                   ? CORE_OK
                   : code_crossing(m, p, inf->plan.encoding, ids, n_cross, off, inf->real_buf,
                                   crossing_bytes, e);
    buf = core_aligned_alloc(REAL_ALIGN, total * sizeof(float));
    if (!buf)
        return core_err(e, CORE_E_NOMEM, "out of memory for real-mode tensors");
    memcpy(buf, inf->real_buf, nn_model_tensor_bytes(m, NN_INPUT));
    core_free(inf->real_buf);
    inf->real_buf = buf;
    for (size_t j = 0; j < n_cross; j++)
        if (ids[j] != NN_INPUT)
            exits[k++] = buf + off[j];
    entries[0] = buf;
    rc = nn_model_forward_part(m, member, entries, exits, 1, e);
    if (rc == CORE_OK && inf->plan.n_ue == inf->plan.n_layers)
        inf->real_class = real_argmax(m);
    else if (rc == CORE_OK && inf->plan.encoding != 0)
        rc = code_crossing(m, p, inf->plan.encoding, ids, n_cross, off, buf, crossing_bytes, e);
    return rc;
}

enum core_rc proto_real_edge_part(struct proto_collab_world *w, struct proto_inf *inf,
                                   struct core_err *e)
{
    struct nn_model *m = w->cfg->models[inf->model].real;
    bool member[COMPUTE_PLAN_MAX_LAYERS], a[COMPUTE_PLAN_MAX_LAYERS];
    int ids[COMPUTE_PLAN_MAX_LAYERS + 1];
    size_t off[COMPUTE_PLAN_MAX_LAYERS + 1], n_cross;
    const float *entries[COMPUTE_PLAN_MAX_LAYERS + 1];
    enum core_rc rc;

    CORE_ASSERT(inf->real_buf != NULL);
    if (inf->plan.exit > 0)
        return exit_edge_part(w, inf, e);
    ue_member(w, inf, a);
    for (size_t l = 0; l < nn_model_n_layers(m); l++)
        member[l] = !a[l];
    n_cross = nn_model_split_crossing(m, a, ids);
    layout(m, ids, n_cross, off);
    for (size_t j = 0; j < n_cross; j++)
        entries[j] = inf->real_buf + off[j];
    rc = nn_model_forward_part(m, member, entries, NULL, 1, e);
    if (rc == CORE_OK)
        inf->real_class = real_argmax(m);
    return rc;
}

