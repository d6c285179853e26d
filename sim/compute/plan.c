/*
 * plan.c — the allocation problem: problems and their checks, plans and
 * their checks, and the cost model of compute.h ("The allocation problem")
 * that the policies choose by and the simulation executes.
 *
 * Positions and tensors. A plan's order[] maps positions to layers; the
 * inverse (pos[layer]) is rebuilt on the stack wherever it is needed, as is,
 * for every tensor (the model input and each layer's output), the last
 * position that reads it. A tensor produced at position q (the model input:
 * q = -1) and last read at position r crosses boundary k exactly when
 * q < k <= r, so one boundary costs one pass over the tensors. Crossing bytes
 * are summed in a fixed order (the model input, then layers by index), the
 * order the policies use too, so both get bit-identical figures.
 */
#include "compute/compute.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const side_names[] = {"ue", "edge"};
static_assert(ARRAY_LEN(side_names) == COMPUTE_SIDE_COUNT, "one name per side");

const char *compute_side_name(enum compute_side s)
{
    return (unsigned)s < COMPUTE_SIDE_COUNT ? side_names[s] : "?";
}

/* ---- problems ------------------------------------------------------------ */

enum core_rc compute_problem_init(struct compute_problem *p, size_t n_layers,
                                  size_t n_ue_options, size_t n_edge_options,
                                  struct core_err *e)
{
    size_t n_opt[COMPUTE_SIDE_COUNT] = {n_ue_options, n_edge_options};
    int s;

    memset(p, 0, sizeof(*p));
    if (n_layers == 0 || n_layers > COMPUTE_PLAN_MAX_LAYERS)
        return core_err(e, CORE_E_INPUT, "a problem has %zu layers, expected 1..%d", n_layers,
                        COMPUTE_PLAN_MAX_LAYERS);
    for (s = 0; s < COMPUTE_SIDE_COUNT; s++)
        if (n_opt[s] == 0 || n_opt[s] > COMPUTE_PLAN_MAX_OPTIONS)
            return core_err(e, CORE_E_INPUT, "the %s side has %zu options, expected 1..%d",
                            side_names[s], n_opt[s], COMPUTE_PLAN_MAX_OPTIONS);
    p->n_layers = n_layers;
    p->layers = core_calloc(n_layers, sizeof(*p->layers));
    if (!p->layers)
        goto out_nomem;
    for (s = 0; s < COMPUTE_SIDE_COUNT; s++) {
        p->n_options[s] = n_opt[s];
        p->latency_s[s] = core_calloc(n_opt[s] * n_layers, sizeof(double));
        p->energy_j[s] = core_calloc(n_opt[s] * n_layers, sizeof(double));
        if (!p->latency_s[s] || !p->energy_j[s])
            goto out_nomem;
    }
    return CORE_OK;

out_nomem:
    compute_problem_fini(p);
    return core_err(e, CORE_E_NOMEM, "out of memory for a problem of %zu layers", n_layers);
}

enum core_rc compute_problem_encodings_init(struct compute_problem *p, size_t n,
                                            struct core_err *e)
{
    if (n < 2 || n > COMPUTE_PLAN_MAX_ENCODINGS)
        return core_err(e, CORE_E_INPUT, "%zu encodings, expected 2..%d", n,
                        COMPUTE_PLAN_MAX_ENCODINGS);
    for (size_t k = 1; k < n; k++) {
        struct compute_encoding *en = &p->encodings[k];

        en->tensor_bytes = core_calloc(1 + p->n_layers, sizeof(double));
        en->accuracy = core_malloc(p->n_layers * sizeof(double));
        p->n_encodings = k + 1; /* so that fini frees what this got */
        if (!en->tensor_bytes || !en->accuracy)
            return core_err(e, CORE_E_NOMEM, "out of memory for %zu encodings", n);
        for (size_t i = 0; i < p->n_layers; i++)
            en->accuracy[i] = NAN;
    }
    p->accuracy = NAN;
    p->fixed_encoding = 0;
    return CORE_OK;
}

void compute_problem_fini(struct compute_problem *p)
{
    int s;

    for (size_t k = 0; k < p->n_encodings; k++) {
        core_free(p->encodings[k].tensor_bytes);
        core_free(p->encodings[k].accuracy);
    }
    core_free(p->cut_accuracies);
    for (size_t k = 0; k < p->n_exits; k++) {
        if (p->exits[k].problem)
            compute_problem_fini(p->exits[k].problem);
        core_free(p->exits[k].problem);
    }
    core_free(p->layers);
    for (s = 0; s < COMPUTE_SIDE_COUNT; s++) {
        core_free(p->latency_s[s]);
        core_free(p->energy_j[s]);
    }
    memset(p, 0, sizeof(*p));
}

static bool finite_nonneg(double x)
{
    return isfinite(x) && x >= 0;
}

int32_t compute_problem_unsupported(const struct compute_problem *p, enum compute_side sd,
                                    const struct compute_plan *pl, uint32_t from)
{
    return compute_plan_unsupported(p, sd, pl, from, pl ? pl->n_layers : p->n_layers);
}

int32_t compute_plan_unsupported(const struct compute_problem *p, enum compute_side sd,
                                 const struct compute_plan *pl, uint32_t from, uint32_t to)
{
    if (pl)
        p = compute_plan_problem(p, pl);
    for (size_t k = from; k < to; k++) {
        size_t i = pl ? pl->order[k] : k, o;

        for (o = 0; o < p->n_options[sd] && isinf(compute_problem_latency_s(p, sd, o, i)); o++)
            continue;
        if (o == p->n_options[sd])
            return (int32_t)i;
    }
    return -1;
}

static bool unit_or_nan(double a)
{
    return isnan(a) || (a >= 0 && a <= 1);
}

/* The encodings' part of compute_problem_check. */
static enum core_rc encodings_check(const struct compute_problem *p, struct core_err *e)
{
    if (p->n_encodings == 0)
        return p->fixed_encoding == 0
                   ? CORE_OK
                   : core_err(e, CORE_E_INPUT, "fixed encoding %u, but no encodings",
                              p->fixed_encoding);
    if (p->n_encodings < 2 || p->n_encodings > COMPUTE_PLAN_MAX_ENCODINGS)
        return core_err(e, CORE_E_INPUT, "%zu encodings, expected 0 or 2..%d", p->n_encodings,
                        COMPUTE_PLAN_MAX_ENCODINGS);
    if (p->fixed_encoding >= p->n_encodings)
        return core_err(e, CORE_E_INPUT, "fixed encoding %u, expected < %zu", p->fixed_encoding,
                        p->n_encodings);
    if (!(p->accuracy >= 0 && p->accuracy <= 1))
        return core_err(e, CORE_E_INPUT, "whole-model accuracy %g, expected 0..1", p->accuracy);
    for (size_t k = 1; k < p->n_encodings; k++) {
        const struct compute_encoding *en = &p->encodings[k];

        for (size_t t = 0; t <= p->n_layers; t++)
            if (!(isfinite(en->tensor_bytes[t]) && en->tensor_bytes[t] > 0))
                return core_err(e, CORE_E_INPUT, "encoding %s sends %g bytes of tensor %zu, "
                                "expected > 0", en->name, en->tensor_bytes[t], t);
        for (size_t i = 0; i < p->n_layers; i++)
            if (!unit_or_nan(en->accuracy[i]))
                return core_err(e, CORE_E_INPUT, "encoding %s has accuracy %g at split %zu, "
                                "expected 0..1", en->name, en->accuracy[i], i);
        for (size_t c = 0; c < p->n_cut_accuracies; c++)
            if (!unit_or_nan(p->cut_accuracies[c].accuracy[k]))
                return core_err(e, CORE_E_INPUT, "encoding %s has accuracy %g at measured cut "
                                "%zu, expected 0..1", en->name,
                                p->cut_accuracies[c].accuracy[k], c);
    }
    return CORE_OK;
}

bool compute_layer_set_is_prefix(const struct compute_layer_set *s, size_t n)
{
    const size_t words = sizeof(s->w) / sizeof(s->w[0]);

    for (size_t j = 0; j < words; j++) {
        uint64_t want = n >= 64 * (j + 1) ? ~(uint64_t)0
                        : n > 64 * j      ? ((uint64_t)1 << (n - 64 * j)) - 1
                                          : 0;

        if (s->w[j] != want)
            return false;
    }
    return true;
}

static bool set_equal(const struct compute_layer_set *a, const struct compute_layer_set *b)
{
    return memcmp(a->w, b->w, sizeof(a->w)) == 0;
}

enum core_rc compute_problem_cut_accuracy(struct compute_problem *p,
                                          const struct compute_layer_set *ue,
                                          struct compute_cut_accuracy **out, struct core_err *e)
{
    struct compute_cut_accuracy *grown, *c;

    for (size_t k = 0; k < p->n_cut_accuracies; k++)
        if (set_equal(&p->cut_accuracies[k].ue, ue)) {
            *out = &p->cut_accuracies[k];
            return CORE_OK;
        }
    grown = core_realloc(p->cut_accuracies, (p->n_cut_accuracies + 1) * sizeof(*grown));
    if (!grown)
        return core_err(e, CORE_E_NOMEM, "out of memory for a measured cut");
    p->cut_accuracies = grown;
    c = &grown[p->n_cut_accuracies++];
    c->ue = *ue;
    for (size_t k = 0; k < COMPUTE_PLAN_MAX_ENCODINGS; k++)
        c->accuracy[k] = NAN;
    *out = c;
    return CORE_OK;
}

/* The exits' part of compute_problem_check: each right-sized problem a
 * valid problem of the same options, with no exits of its own, the
 * problem's encodings and a known accuracy. */
static enum core_rc exits_check(const struct compute_problem *p, struct core_err *e)
{
    if (p->n_exits > COMPUTE_PLAN_MAX_EXITS)
        return core_err(e, CORE_E_INPUT, "%zu exits, expected <= %d", p->n_exits,
                        COMPUTE_PLAN_MAX_EXITS);
    if (p->fixed_exit > p->n_exits)
        return core_err(e, CORE_E_INPUT, "fixed exit %u, the problem offers %zu", p->fixed_exit,
                        p->n_exits);
    for (size_t k = 0; k < p->n_exits; k++) {
        const struct compute_exit *x = &p->exits[k];
        const struct compute_problem *q = x->problem;
        enum core_rc rc;

        if (!q || x->attach >= p->n_layers)
            return core_err(e, CORE_E_INPUT, "exit %s: no problem, or attach %u out of range",
                            x->name, x->attach);
        if (q->n_exits != 0 || q->n_encodings != p->n_encodings ||
            q->fixed_encoding != p->fixed_encoding ||
            !(x->accuracy >= 0 && x->accuracy <= 1) || q->accuracy != x->accuracy)
            return core_err(e, CORE_E_INPUT, "exit %s: its problem has exits, other encodings "
                            "or an accuracy other than its %g", x->name, x->accuracy);
        for (int sd = 0; sd < COMPUTE_SIDE_COUNT; sd++)
            if (q->n_options[sd] != p->n_options[sd])
                return core_err(e, CORE_E_INPUT, "exit %s: its problem has other options",
                                x->name);
        rc = compute_problem_check(q, e);
        if (rc != CORE_OK)
            return rc;
    }
    return CORE_OK;
}

double compute_problem_accuracy(const struct compute_problem *p, uint32_t enc,
                                const struct compute_layer_set *ue, uint32_t n_ue)
{
    if (p->n_encodings == 0)
        return NAN;
    if (enc == 0 || n_ue == p->n_layers)
        return p->accuracy;
    if (compute_layer_set_is_prefix(ue, n_ue))
        return p->encodings[enc].accuracy[n_ue];
    for (size_t k = 0; k < p->n_cut_accuracies; k++)
        if (set_equal(&p->cut_accuracies[k].ue, ue))
            return p->cut_accuracies[k].accuracy[enc];
    return NAN;
}

enum core_rc compute_problem_check(const struct compute_problem *p, struct core_err *e)
{
    bool used[COMPUTE_PLAN_MAX_LAYERS] = {false};
    size_t i, o;
    uint32_t j;
    int s;

    if (p->n_layers == 0 || p->n_layers > COMPUTE_PLAN_MAX_LAYERS)
        return core_err(e, CORE_E_INPUT, "a problem has %zu layers, expected 1..%d", p->n_layers,
                        COMPUTE_PLAN_MAX_LAYERS);
    if (!(isfinite(p->input_bytes) && p->input_bytes > 0))
        return core_err(e, CORE_E_INPUT, "model input of %g bytes, expected > 0", p->input_bytes);
    if (!finite_nonneg(p->msg_header_bytes))
        return core_err(e, CORE_E_INPUT, "message header of %g bytes, expected >= 0",
                        p->msg_header_bytes);
    for (s = 0; s < COMPUTE_SIDE_COUNT; s++) {
        if (p->n_options[s] == 0 || p->n_options[s] > COMPUTE_PLAN_MAX_OPTIONS)
            return core_err(e, CORE_E_INPUT, "the %s side has %zu options, expected 1..%d",
                            side_names[s], p->n_options[s], COMPUTE_PLAN_MAX_OPTIONS);
        if (!(isfinite(p->copy_bytes_per_s[s]) && p->copy_bytes_per_s[s] > 0))
            return core_err(e, CORE_E_INPUT, "%s copy bandwidth %g B/s, expected > 0",
                            side_names[s], p->copy_bytes_per_s[s]);
        if (!finite_nonneg(p->copy_latency_s[s]))
            return core_err(e, CORE_E_INPUT, "%s copy latency %g s, expected >= 0",
                            side_names[s], p->copy_latency_s[s]);
        if (!finite_nonneg(p->copy_power_w[s]))
            return core_err(e, CORE_E_INPUT, "%s copy power %g W, expected >= 0", side_names[s],
                            p->copy_power_w[s]);
        if (p->default_option[s] >= p->n_options[s])
            return core_err(e, CORE_E_INPUT, "%s default option %u, expected < %zu",
                            side_names[s], p->default_option[s], p->n_options[s]);
    }
    for (i = 0; i < p->n_layers; i++) {
        const struct compute_problem_layer *l = &p->layers[i];
        bool supported = false;

        if (l->n_inputs == 0 || l->n_inputs > COMPUTE_PLAN_MAX_INPUTS)
            return core_err(e, CORE_E_INPUT, "layer %zu has %u inputs, expected 1..%d", i,
                            l->n_inputs, COMPUTE_PLAN_MAX_INPUTS);
        for (j = 0; j < l->n_inputs; j++) {
            if (l->inputs[j] < -1 || l->inputs[j] >= (int32_t)i)
                return core_err(e, CORE_E_INPUT,
                                "layer %zu reads %d, expected -1 (the model input) or an "
                                "earlier layer", i, (int)l->inputs[j]);
            if (l->inputs[j] >= 0)
                used[l->inputs[j]] = true;
        }
        if (!finite_nonneg(l->out_bytes))
            return core_err(e, CORE_E_INPUT, "layer %zu has an output of %g bytes, expected >= 0",
                            i, l->out_bytes);
        for (s = 0; s < COMPUTE_SIDE_COUNT; s++) {
            for (o = 0; o < p->n_options[s]; o++) {
                double t = compute_problem_latency_s(p, s, o, i);
                double en = compute_problem_energy_j(p, s, o, i);

                if (isnan(t) || t <= 0)
                    return core_err(e, CORE_E_INPUT,
                                    "layer %zu takes %g s on %s option %zu, expected > 0 or "
                                    "INFINITY (unsupported)", i, t, side_names[s], o);
                if (isinf(t))
                    continue;
                supported = true;
                if (!finite_nonneg(en))
                    return core_err(e, CORE_E_INPUT,
                                    "layer %zu costs %g J on %s option %zu, expected >= 0", i, en,
                                    side_names[s], o);
            }
        }
        if (!supported)
            return core_err(e, CORE_E_INPUT, "layer %zu is supported by no option of either side",
                            i);
    }
    for (i = 0; i + 1 < p->n_layers; i++)
        if (!used[i])
            return core_err(e, CORE_E_INPUT,
                            "layer %zu is read by no later layer (only the last layer, the "
                            "model's output, may be)", i);
    enum core_rc rc = encodings_check(p, e);

    return rc == CORE_OK ? exits_check(p, e) : rc;
}

/* ---- plans --------------------------------------------------------------- */

static enum compute_side side_at(const struct compute_plan *pl, uint32_t k)
{
    return k < pl->n_ue ? COMPUTE_SIDE_UE : COMPUTE_SIDE_EDGE;
}

bool compute_plan_equal(const struct compute_plan *a, const struct compute_plan *b)
{
    return a->n_layers == b->n_layers && a->n_ue == b->n_ue && a->encoding == b->encoding &&
           a->exit == b->exit &&
           memcmp(a->order, b->order, a->n_layers * sizeof(a->order[0])) == 0 &&
           memcmp(a->option, b->option, a->n_layers * sizeof(a->option[0])) == 0;
}

enum core_rc compute_plan_check(const struct compute_problem *p, const struct compute_plan *pl,
                                bool edge_ok, struct core_err *e)
{
    int32_t pos[COMPUTE_PLAN_MAX_LAYERS];
    uint32_t k, j;
    size_t i;

    if (pl->exit > p->n_exits)
        return core_err(e, CORE_E_INPUT, "plan ends at exit %u, the problem offers %zu",
                        pl->exit, p->n_exits);
    p = compute_plan_problem(p, pl);
    if (pl->n_layers != p->n_layers)
        return core_err(e, CORE_E_INPUT, "plan of %u layers for a problem of %zu", pl->n_layers,
                        p->n_layers);
    if (pl->n_ue > pl->n_layers)
        return core_err(e, CORE_E_INPUT, "plan runs %u layers on the UE, more than its %u",
                        pl->n_ue, pl->n_layers);
    if (!edge_ok && pl->n_ue < pl->n_layers)
        return core_err(e, CORE_E_INPUT,
                        "plan runs %u layers on the edge, which is not available",
                        pl->n_layers - pl->n_ue);
    if (pl->encoding >= (p->n_encodings > 0 ? p->n_encodings : 1))
        return core_err(e, CORE_E_INPUT, "plan sends encoding %u, the problem offers %zu",
                        pl->encoding, p->n_encodings);
    for (i = 0; i < p->n_layers; i++)
        pos[i] = -1;
    for (k = 0; k < pl->n_layers; k++) {
        uint16_t l = pl->order[k];

        if (l >= p->n_layers)
            return core_err(e, CORE_E_INPUT, "position %u holds layer %u, expected < %zu", k, l,
                            p->n_layers);
        if (pos[l] >= 0)
            return core_err(e, CORE_E_INPUT, "layer %u is at positions %d and %u", l,
                            (int)pos[l], k);
        pos[l] = (int32_t)k;
    }
    for (k = 0; k < pl->n_layers; k++) {
        uint16_t l = pl->order[k];
        const struct compute_problem_layer *ly = &p->layers[l];
        enum compute_side s = side_at(pl, k);

        for (j = 0; j < ly->n_inputs; j++)
            if (ly->inputs[j] >= 0 && pos[ly->inputs[j]] > (int32_t)k)
                return core_err(e, CORE_E_INPUT,
                                "layer %u (position %u) runs before its input, layer %d "
                                "(position %d)", l, k, (int)ly->inputs[j],
                                (int)pos[ly->inputs[j]]);
        if (pl->option[l] >= p->n_options[s])
            return core_err(e, CORE_E_INPUT, "layer %u has %s option %u, expected < %zu", l,
                            side_names[s], pl->option[l], p->n_options[s]);
        if (isinf(compute_problem_latency_s(p, s, pl->option[l], l)))
            return core_err(e, CORE_E_INPUT, "layer %u is not supported by %s option %u (%s)", l,
                            side_names[s], pl->option[l], p->options[s][pl->option[l]].label);
    }
    return CORE_OK;
}

/* pos[layer] and, for every tensor, its producer's position (from[0] = -1 for
 * the model input, from[1 + j] = pos[j]) and the last position reading it
 * (last[t], -1 when nothing reads it). */
static void tensor_spans(const struct compute_problem *p, const struct compute_plan *pl,
                         int32_t *from, int32_t *last)
{
    size_t i;
    uint32_t k, j;

    from[0] = -1;
    last[0] = -1;
    for (i = 0; i < p->n_layers; i++)
        last[1 + i] = -1;
    for (k = 0; k < pl->n_layers; k++)
        from[1 + pl->order[k]] = (int32_t)k;
    for (k = 0; k < pl->n_layers; k++) {
        const struct compute_problem_layer *ly = &p->layers[pl->order[k]];

        for (j = 0; j < ly->n_inputs; j++)
            if (last[1 + ly->inputs[j]] < (int32_t)k)
                last[1 + ly->inputs[j]] = (int32_t)k;
    }
}

/* The bytes crossing every boundary k = 0..n, in O(n + inputs): each tensor
 * (the model input, from = -1, or a layer's output, from = its position)
 * adds its bytes to the boundaries in (from, last], last its last reader's
 * position. Byte counts are integers (or eighths), so the running sum is
 * exact. */
static void crossing_all(const struct compute_problem *p, const int32_t *from,
                         const int32_t *last, uint32_t n, double *out)
{
    double diff[COMPUTE_PLAN_MAX_LAYERS + 2] = {0};
    double run = 0;
    size_t i;

    if (last[0] >= 0) {
        diff[0] += p->input_bytes;
        diff[last[0] + 1] -= p->input_bytes;
    }
    for (i = 0; i < p->n_layers; i++)
        if (last[1 + i] > from[1 + i]) {
            diff[from[1 + i] + 1] += p->layers[i].out_bytes;
            diff[last[1 + i] + 1] -= p->layers[i].out_bytes;
        }
    for (uint32_t k = 0; k <= n; k++) {
        run += diff[k];
        out[k] = run;
    }
}

double compute_plan_crossing_bytes(const struct compute_problem *p,
                                   const struct compute_plan *pl, uint32_t k)
{
    int32_t from[COMPUTE_PLAN_MAX_LAYERS + 1], last[COMPUTE_PLAN_MAX_LAYERS + 1];
    double cross[COMPUTE_PLAN_MAX_LAYERS + 1];

    CORE_ASSERT(k <= pl->n_layers);
    p = compute_plan_problem(p, pl);
    tensor_spans(p, pl, from, last);
    crossing_all(p, from, last, k, cross);
    return cross[k];
}

/* The bytes crossing boundary k under encoding enc > 0: each crossing
 * tensor's encoded bytes, in the order of crossing_all (the model input,
 * then layers by index; integers, so any order sums exactly). */
static double crossing_encoded(const struct compute_problem *p, const int32_t *from,
                               const int32_t *last, uint32_t enc, uint32_t k)
{
    double sum = 0;

    for (size_t t = 0; t <= p->n_layers; t++)
        if (from[t] < (int32_t)k && (int32_t)k <= last[t])
            sum += compute_problem_tensor_bytes(p, enc, t);
    return sum;
}

double compute_plan_uplink_bytes(const struct compute_problem *p, const struct compute_plan *pl)
{
    int32_t from[COMPUTE_PLAN_MAX_LAYERS + 1], last[COMPUTE_PLAN_MAX_LAYERS + 1];

    if (pl->n_ue == pl->n_layers)
        return 0;
    p = compute_plan_problem(p, pl);
    if (pl->encoding == 0)
        return compute_plan_crossing_bytes(p, pl, pl->n_ue);
    tensor_spans(p, pl, from, last);
    return crossing_encoded(p, from, last, pl->encoding, pl->n_ue);
}

double compute_plan_accuracy(const struct compute_problem *p, const struct compute_plan *pl)
{
    struct compute_layer_set ue = {{0}};

    p = compute_plan_problem(p, pl);
    if (p->n_encodings == 0)
        return NAN;
    for (uint32_t k = 0; k < pl->n_ue; k++)
        compute_layer_set_add(&ue, pl->order[k]);
    return compute_problem_accuracy(p, pl->encoding, &ue, pl->n_ue);
}

/* Does position k start a segment (a new side, or another option)? Does it
 * copy (same side, another resource)? */
static bool starts_segment(const struct compute_plan *pl, uint32_t k)
{
    return k == 0 || k == pl->n_ue || pl->option[pl->order[k]] != pl->option[pl->order[k - 1]];
}

static bool copies_at(const struct compute_problem *p, const struct compute_plan *pl, uint32_t k)
{
    enum compute_side s = side_at(pl, k);

    if (k == 0 || k == pl->n_ue)
        return false;
    return p->options[s][pl->option[pl->order[k]]].resource !=
           p->options[s][pl->option[pl->order[k - 1]]].resource;
}

void compute_plan_cost(const struct compute_problem *p, const struct compute_state *s,
                       const struct compute_plan *pl, struct compute_plan_cost *c)
{
    int32_t from[COMPUTE_PLAN_MAX_LAYERS + 1], last[COMPUTE_PLAN_MAX_LAYERS + 1];
    double cross[COMPUTE_PLAN_MAX_LAYERS + 1];
    double compute_s[COMPUTE_SIDE_COUNT] = {0, 0}, wait_s[COMPUTE_SIDE_COUNT] = {0, 0};
    double energy_j[COMPUTE_SIDE_COUNT] = {0, 0};
    bool wait_inf = false;
    uint32_t k;

    memset(c, 0, sizeof(*c));
    p = compute_plan_problem(p, pl);
    tensor_spans(p, pl, from, last);
    crossing_all(p, from, last, pl->n_layers, cross);
    for (k = 0; k < pl->n_layers; k++) {
        enum compute_side sd = side_at(pl, k);
        uint16_t l = pl->order[k];
        uint8_t o = pl->option[l];

        if (copies_at(p, pl, k)) {
            double t = p->copy_latency_s[sd] + cross[k] / p->copy_bytes_per_s[sd];

            compute_s[sd] += t;
            energy_j[sd] += t * p->copy_power_w[sd];
        }
        if (starts_segment(pl, k)) {
            wait_s[sd] += s->wait_s[sd][o];
            wait_inf = wait_inf || isinf(s->wait_s[sd][o]);
        }
        compute_s[sd] += compute_problem_latency_s(p, sd, o, l);
        energy_j[sd] += compute_problem_energy_j(p, sd, o, l);
    }
    c->ue_compute_s = compute_s[COMPUTE_SIDE_UE];
    c->ue_wait_s = wait_s[COMPUTE_SIDE_UE];
    c->edge_wait_s = wait_s[COMPUTE_SIDE_EDGE];
    c->edge_compute_s = compute_s[COMPUTE_SIDE_EDGE];
    if (pl->n_ue < pl->n_layers) {
        c->uplink_bytes = (pl->encoding == 0 ? cross[pl->n_ue]
                                             : crossing_encoded(p, from, last, pl->encoding,
                                                                pl->n_ue)) +
                          p->msg_header_bytes;
        c->uplink_s = compute_link_time_s(c->uplink_bytes, s->ul_rate_bps) + s->ul_delay_s;
        c->downlink_bytes = p->layers[p->n_layers - 1].out_bytes + p->msg_header_bytes;
        c->downlink_s = compute_link_time_s(c->downlink_bytes, s->dl_rate_bps) + s->dl_delay_s;
    }
    c->signaling_s = s->signaling_s;
    c->latency_s = c->ue_compute_s + c->ue_wait_s + c->uplink_s + c->edge_wait_s +
                   c->edge_compute_s + c->downlink_s + c->signaling_s;
    c->ue_energy_j = energy_j[COMPUTE_SIDE_UE] + s->ul_power_w * c->uplink_s +
                     s->dl_power_w * c->downlink_s;
    c->edge_energy_j = energy_j[COMPUTE_SIDE_EDGE];
    c->accuracy = compute_plan_accuracy(p, pl);
    c->objective = wait_inf ? INFINITY
                            : s->w_latency * c->latency_s + s->w_energy * c->ue_energy_j;
    if (!isnan(c->accuracy))
        c->objective -= s->w_accuracy * c->accuracy;
}

size_t compute_plan_segments(const struct compute_problem *p, const struct compute_plan *pl,
                             struct compute_segment *segs)
{
    int32_t from[COMPUTE_PLAN_MAX_LAYERS + 1], last[COMPUTE_PLAN_MAX_LAYERS + 1];
    double cross[COMPUTE_PLAN_MAX_LAYERS + 1];
    struct compute_segment *g = NULL;
    size_t n = 0;
    uint32_t k;

    p = compute_plan_problem(p, pl);
    tensor_spans(p, pl, from, last);
    crossing_all(p, from, last, pl->n_layers, cross);
    for (k = 0; k < pl->n_layers; k++) {
        enum compute_side sd = side_at(pl, k);
        uint16_t l = pl->order[k];
        uint8_t o = pl->option[l];

        if (starts_segment(pl, k)) {
            g = &segs[n++];
            memset(g, 0, sizeof(*g));
            g->side = sd;
            g->option = o;
            g->first = k;
            if (copies_at(p, pl, k)) {
                g->copy_s = p->copy_latency_s[sd] + cross[k] / p->copy_bytes_per_s[sd];
                g->energy_j = g->copy_s * p->copy_power_w[sd];
            }
        }
        g->count++;
        g->compute_s += compute_problem_latency_s(p, sd, o, l);
        g->energy_j += compute_problem_energy_j(p, sd, o, l);
    }
    return n;
}

size_t compute_plan_n_segments(const struct compute_plan *pl)
{
    size_t n = 0;

    for (uint32_t k = 0; k < pl->n_layers; k++)
        n += starts_segment(pl, k);
    return n;
}

void compute_plan_segment_at(const struct compute_problem *p, const struct compute_plan *pl,
                             uint32_t pos, struct compute_segment *g)
{
    uint32_t first = pos, k;

    CORE_ASSERT(pos < pl->n_layers);
    p = compute_plan_problem(p, pl);
    while (!starts_segment(pl, first))
        first--;
    memset(g, 0, sizeof(*g));
    g->side = side_at(pl, first);
    g->option = pl->option[pl->order[first]];
    g->first = first;
    /* The same sums in the same order as compute_plan_segments. */
    if (copies_at(p, pl, first)) {
        g->copy_s = p->copy_latency_s[g->side] +
                    compute_plan_crossing_bytes(p, pl, first) / p->copy_bytes_per_s[g->side];
        g->energy_j = g->copy_s * p->copy_power_w[g->side];
    }
    for (k = first; k < pl->n_layers && (k == first || !starts_segment(pl, k)); k++) {
        uint16_t l = pl->order[k];

        g->count++;
        g->compute_s += compute_problem_latency_s(p, g->side, g->option, l);
        g->energy_j += compute_problem_energy_j(p, g->side, g->option, l);
    }
}

/* Append n bytes of s at out[*len] while room is left (cap counts the NUL);
 * *len counts every byte, written or not. */
static void put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + 1 < cap)
        memcpy(out + *len, s, *len + n < cap ? n : cap - 1 - *len);
    *len += n;
}

/* Append the decimal digits of v. */
static void put_u(char *out, size_t cap, size_t *len, uint32_t v)
{
    char d[10];
    size_t n = 0;

    do
        d[sizeof(d) - ++n] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    put(out, cap, len, d + sizeof(d) - n, n);
}

/* One run "label:first-last" per stretch of equal options, comma-separated,
 * written by hand: it runs once per recorded inference and side. */
size_t compute_plan_alloc_text(const struct compute_problem *p, const struct compute_plan *pl,
                               enum compute_side side, char *out, size_t cap)
{
    uint32_t begin = side == COMPUTE_SIDE_UE ? 0 : pl->n_ue;
    uint32_t end = side == COMPUTE_SIDE_UE ? pl->n_ue : pl->n_layers;
    size_t len = 0;

    for (uint32_t k = begin; k < end; k++) {
        uint8_t o = pl->option[pl->order[k]];
        const char *label = p->options[side][o].label;
        uint32_t first = k;

        while (k + 1 < end && pl->option[pl->order[k + 1]] == o)
            k++;
        if (first != begin)
            put(out, cap, &len, ",", 1);
        if (label[0] == '\0')
            put_u(out, cap, &len, o);
        else
            put(out, cap, &len, label, strnlen(label, sizeof(p->options[side][o].label)));
        put(out, cap, &len, ":", 1);
        put_u(out, cap, &len, first);
        put(out, cap, &len, "-", 1);
        put_u(out, cap, &len, k);
    }
    if (cap > 0)
        out[len < cap ? len : cap - 1] = '\0';
    return len;
}

static const char *const decision_kind_names[] = {"initial", "update", "override", "adapt"};
static_assert(ARRAY_LEN(decision_kind_names) == COMPUTE_DECIDE_KIND_COUNT,
              "one name per decision kind");

const char *compute_decision_kind_name(enum compute_decision_kind k)
{
    CORE_ASSERT((unsigned)k < COMPUTE_DECIDE_KIND_COUNT);
    return decision_kind_names[k];
}
