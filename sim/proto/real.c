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

