/*
 * encode.c — the encodings of a training sample (policy.h): the state of a
 * decision request as numbers, the plan as numbers, and the name, unit and
 * meaning of each field (what the `sample_fields` table records, so that a
 * database describes its own samples).
 *
 * The state, in this order, for a problem with U UE options and E edge
 * options:
 *   the identity:   device, model, workload (indices);
 *   the deadline:   deadline_s;
 *   the UE itself:  ue_load, battery_limited, battery_j (0 when unlimited),
 *                   ul_sinr_known, ul_sinr_db (0 when not known: a fixed link);
 *   the radio:      edge_available, ul_rate_bps, dl_rate_bps, ul_delay_s,
 *                   dl_delay_s, ul_power_w, dl_power_w, signaling_s (0 and the
 *                   rest 0 when the edge is not available);
 *   the objective:  objective_latency_weight, objective_energy_weight;
 *   the feedback window: window_n, window_latency_s, window_ue_energy_j,
 *                   window_edge_energy_j, window_labelled, window_accuracy (0
 *                   when none labelled), window_deadline_miss, window_reward;
 *   each UE option: ue_wait_s[label] (its backlog);
 *   each edge option: edge_available[label], edge_wait_s[label] (0 when not
 *                   available).
 * What the network reported (rates, waits, signalling) is what the state
 * holds; the CPMM's per-layer predictions are the problem's and the same
 * for every sample of it (the model and device identify them).
 */
#include "policy/policy_int.h"

#include <stdio.h>
#include <string.h>

/* The fields before the options'. */
enum {
    F_DEVICE,
    F_MODEL,
    F_WORKLOAD,
    F_DEADLINE,
    F_UE_LOAD,
    F_BATTERY_LIMITED,
    F_BATTERY,
    F_SINR_KNOWN,
    F_SINR,
    F_EDGE_AVAILABLE,
    F_UL_RATE,
    F_DL_RATE,
    F_UL_DELAY,
    F_DL_DELAY,
    F_UL_POWER,
    F_DL_POWER,
    F_SIGNALING,
    F_W_LATENCY,
    F_W_ENERGY,
    F_WIN_N,
    F_WIN_LATENCY,
    F_WIN_UE_ENERGY,
    F_WIN_EDGE_ENERGY,
    F_WIN_LABELLED,
    F_WIN_ACCURACY,
    F_WIN_MISS,
    F_WIN_REWARD,
    F_FIXED
};

static const struct {
    const char *name, *unit, *description;
} fixed_fields[F_FIXED] = {
    [F_DEVICE] = {"device", "1", "the UE's device class (index in the scenario)"},
    [F_MODEL] = {"model", "1", "the model (index in the scenario)"},
    [F_WORKLOAD] = {"workload", "1", "the UE's workload the request came from (index)"},
    [F_DEADLINE] = {"deadline_s", "s", "the inference's deadline"},
    [F_UE_LOAD] = {"ue_load", "1", "the UE's busy compute units over its units"},
    [F_BATTERY_LIMITED] = {"battery_limited", "1", "1: the UE has a battery; 0: unlimited"},
    [F_BATTERY] = {"battery_j", "J", "energy left in the battery (0 when unlimited)"},
    [F_SINR_KNOWN] = {"ul_sinr_known", "1", "1: the UL SINR is known; 0: a fixed link"},
    [F_SINR] = {"ul_sinr_db", "dB", "the UE's UL SINR as last reported (0 when not known)"},
    [F_EDGE_AVAILABLE] = {"edge_available", "1", "1: the network admitted the request"},
    [F_UL_RATE] = {"ul_rate_bps", "bit/s", "expected uplink rate (0: edge not available)"},
    [F_DL_RATE] = {"dl_rate_bps", "bit/s", "expected downlink rate (0: edge not available)"},
    [F_UL_DELAY] = {"ul_delay_s", "s", "expected upload delay beyond bytes over rate"},
    [F_DL_DELAY] = {"dl_delay_s", "s", "expected download delay beyond bytes over rate"},
    [F_UL_POWER] = {"ul_power_w", "W", "the UE's power while uploading"},
    [F_DL_POWER] = {"dl_power_w", "W", "the UE's power while receiving"},
    [F_SIGNALING] = {"signaling_s", "s", "signalling on the critical path of any plan"},
    [F_W_LATENCY] = {"objective_latency_weight", "1/s", "the objective's weight of latency"},
    [F_W_ENERGY] = {"objective_energy_weight", "1/J", "the objective's weight of UE energy"},
    [F_WIN_N] = {"window_n", "1", "inferences in the UE's feedback window"},
    [F_WIN_LATENCY] = {"window_latency_s", "s", "the window's mean latency"},
    [F_WIN_UE_ENERGY] = {"window_ue_energy_j", "J", "the window's mean UE energy"},
    [F_WIN_EDGE_ENERGY] = {"window_edge_energy_j", "J",
                           "the window's mean edge energy, as the network reported it"},
    [F_WIN_LABELLED] = {"window_labelled", "1", "1: some input of the window had a label"},
    [F_WIN_ACCURACY] = {"window_accuracy", "1",
                        "share correct among the labelled (0 when none labelled)"},
    [F_WIN_MISS] = {"window_deadline_miss", "1", "share of the window that missed its deadline"},
    [F_WIN_REWARD] = {"window_reward", "1", "the reward of the window's means"},
};

static_assert(F_FIXED + 3 * COMPUTE_PLAN_MAX_OPTIONS <= POLICY_STATE_MAX,
              "every state fits POLICY_STATE_MAX");

size_t policy_state_size(const struct compute_problem *p)
{
    return F_FIXED + p->n_options[COMPUTE_SIDE_UE] + 2 * p->n_options[COMPUTE_SIDE_EDGE];
}

/* Option o of side sd as a label: its own, else its index. */
static void option_label(const struct compute_problem *p, enum compute_side sd, size_t o,
                         char *buf, size_t size)
{
    if (p->options[sd][o].label[0])
        snprintf(buf, size, "%s", p->options[sd][o].label);
    else
        snprintf(buf, size, "%zu", o);
}

void policy_state_field(const struct compute_problem *p, size_t i, struct policy_field *out)
{
    size_t u = p->n_options[COMPUTE_SIDE_UE];
    char label[32];

    memset(out, 0, sizeof(*out));
    if (i < F_FIXED) {
        snprintf(out->name, sizeof(out->name), "%s", fixed_fields[i].name);
        out->unit = fixed_fields[i].unit;
        snprintf(out->description, sizeof(out->description), "%s",
                 fixed_fields[i].description);
        return;
    }
    i -= F_FIXED;
    if (i < u) {
        option_label(p, COMPUTE_SIDE_UE, i, label, sizeof(label));
        snprintf(out->name, sizeof(out->name), "ue_wait_s[%s]", label);
        out->unit = "s";
        snprintf(out->description, sizeof(out->description),
                 "expected wait at UE option %zu (its backlog)", i);
        return;
    }
    i -= u;
    option_label(p, COMPUTE_SIDE_EDGE, i / 2, label, sizeof(label));
    if (i % 2 == 0) {
        snprintf(out->name, sizeof(out->name), "edge_available[%s]", label);
        out->unit = "1";
        snprintf(out->description, sizeof(out->description),
                 "1: edge option %zu is offered", i / 2);
    } else {
        snprintf(out->name, sizeof(out->name), "edge_wait_s[%s]", label);
        out->unit = "s";
        snprintf(out->description, sizeof(out->description),
                 "expected wait at edge option %zu as reported (0 when not offered)", i / 2);
    }
}

/* x, or 0 when it is not finite. */
static float finite_or_0(double x)
{
    return isfinite(x) ? (float)x : 0.0f;
}

void policy_state_encode(const struct compute_decision *req, float *out)
{
    const struct compute_problem *p = req->problem;
    const struct compute_state *st = &req->state;
    const struct compute_window *wd = &req->window;
    bool edge = st->edge_available;
    float *o;

    out[F_DEVICE] = (float)req->device;
    out[F_MODEL] = (float)req->model;
    out[F_WORKLOAD] = (float)req->workload;
    out[F_DEADLINE] = finite_or_0(req->deadline_s);
    out[F_UE_LOAD] = finite_or_0(req->ue_load);
    out[F_BATTERY_LIMITED] = isfinite(req->battery_j) ? 1.0f : 0.0f;
    out[F_BATTERY] = finite_or_0(req->battery_j);
    out[F_SINR_KNOWN] = isfinite(req->ul_sinr_db) ? 1.0f : 0.0f;
    out[F_SINR] = finite_or_0(req->ul_sinr_db);
    out[F_EDGE_AVAILABLE] = edge ? 1.0f : 0.0f;
    out[F_UL_RATE] = edge ? finite_or_0(st->ul_rate_bps) : 0.0f;
    out[F_DL_RATE] = edge ? finite_or_0(st->dl_rate_bps) : 0.0f;
    out[F_UL_DELAY] = edge ? finite_or_0(st->ul_delay_s) : 0.0f;
    out[F_DL_DELAY] = edge ? finite_or_0(st->dl_delay_s) : 0.0f;
    out[F_UL_POWER] = edge ? finite_or_0(st->ul_power_w) : 0.0f;
    out[F_DL_POWER] = edge ? finite_or_0(st->dl_power_w) : 0.0f;
    out[F_SIGNALING] = edge ? finite_or_0(st->signaling_s) : 0.0f;
    out[F_W_LATENCY] = finite_or_0(st->w_latency);
    out[F_W_ENERGY] = finite_or_0(st->w_energy);
    out[F_WIN_N] = (float)wd->n;
    out[F_WIN_LATENCY] = finite_or_0(wd->latency_s);
    out[F_WIN_UE_ENERGY] = finite_or_0(wd->ue_energy_j);
    out[F_WIN_EDGE_ENERGY] = finite_or_0(wd->edge_energy_j);
    out[F_WIN_LABELLED] = isnan(wd->accuracy) ? 0.0f : 1.0f;
    out[F_WIN_ACCURACY] = finite_or_0(wd->accuracy);
    out[F_WIN_MISS] = finite_or_0(wd->deadline_miss);
    out[F_WIN_REWARD] = finite_or_0(wd->reward);
    o = out + F_FIXED;
    for (size_t k = 0; k < p->n_options[COMPUTE_SIDE_UE]; k++)
        *o++ = finite_or_0(st->wait_s[COMPUTE_SIDE_UE][k]);
    for (size_t k = 0; k < p->n_options[COMPUTE_SIDE_EDGE]; k++) {
        bool offered = edge && isfinite(st->wait_s[COMPUTE_SIDE_EDGE][k]);

        *o++ = offered ? 1.0f : 0.0f;
        *o++ = offered ? (float)st->wait_s[COMPUTE_SIDE_EDGE][k] : 0.0f;
    }
}

void policy_state_decode(const struct compute_problem *p, const float *x,
                         struct compute_state *st)
{
    const float *o = x + F_FIXED;

    memset(st, 0, sizeof(*st));
    st->edge_available = x[F_EDGE_AVAILABLE] != 0.0f;
    st->ul_rate_bps = x[F_UL_RATE];
    st->dl_rate_bps = x[F_DL_RATE];
    st->ul_delay_s = x[F_UL_DELAY];
    st->dl_delay_s = x[F_DL_DELAY];
    st->ul_power_w = x[F_UL_POWER];
    st->dl_power_w = x[F_DL_POWER];
    st->signaling_s = x[F_SIGNALING];
    st->w_latency = x[F_W_LATENCY];
    st->w_energy = x[F_W_ENERGY];
    for (size_t k = 0; k < COMPUTE_PLAN_MAX_OPTIONS; k++)
        st->wait_s[COMPUTE_SIDE_UE][k] = st->wait_s[COMPUTE_SIDE_EDGE][k] = INFINITY;
    for (size_t k = 0; k < p->n_options[COMPUTE_SIDE_UE]; k++)
        st->wait_s[COMPUTE_SIDE_UE][k] = *o++;
    for (size_t k = 0; k < p->n_options[COMPUTE_SIDE_EDGE]; k++, o += 2)
        st->wait_s[COMPUTE_SIDE_EDGE][k] = st->edge_available && o[0] != 0.0f ? o[1] : INFINITY;
}

size_t policy_action_size(const struct compute_problem *p)
{
    return p->n_layers;
}

void policy_action_field(const struct compute_problem *p, size_t i,
                         const char *(*layer_name)(void *ctx, size_t layer), void *ctx,
                         struct policy_field *out)
{
    const char *name = layer_name ? layer_name(ctx, i) : NULL;

    memset(out, 0, sizeof(*out));
    out->unit = "1";
    if (name)
        snprintf(out->name, sizeof(out->name), "layer[%.40s]", name);
    else
        snprintf(out->name, sizeof(out->name), "layer[%zu]", i);
    snprintf(out->description, sizeof(out->description),
             "layer %zu: UE option o as o, edge option o as %zu + o", i,
             p->n_options[COMPUTE_SIDE_UE]);
}

void policy_action_encode(const struct compute_problem *p, const struct compute_plan *pl,
                          int32_t *out)
{
    int32_t u = (int32_t)p->n_options[COMPUTE_SIDE_UE];

    for (uint32_t k = 0; k < pl->n_layers; k++) {
        uint16_t i = pl->order[k];

        out[i] = k < pl->n_ue ? pl->option[i] : u + pl->option[i];
    }
}

enum core_rc policy_action_plan(const struct compute_problem *p, const int32_t *a,
                                struct compute_plan *out, struct core_err *e)
{
    size_t n = p->n_layers, u = p->n_options[COMPUTE_SIDE_UE];
    size_t n_opt = u + p->n_options[COMPUTE_SIDE_EDGE];
    uint32_t k = 0;

    memset(out, 0, sizeof(*out));
    out->n_layers = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        if (a[i] < 0 || (size_t)a[i] >= n_opt)
            return core_err(e, CORE_E_INPUT, "action field %zu: %d is no option (0..%zu)", i,
                            (int)a[i], n_opt - 1);
        if ((size_t)a[i] < u) {
            const struct compute_problem_layer *l = &p->layers[i];

            for (uint32_t j = 0; j < l->n_inputs; j++)
                if (l->inputs[j] >= 0 && (size_t)a[l->inputs[j]] >= u)
                    return core_err(e, CORE_E_INPUT,
                                    "action field %zu: a UE layer reads layer %d on the edge", i,
                                    (int)l->inputs[j]);
            out->order[k++] = (uint16_t)i;
            out->option[i] = (uint8_t)a[i];
        }
    }
    out->n_ue = k;
    for (size_t i = 0; i < n; i++)
        if ((size_t)a[i] >= u) {
            out->order[k++] = (uint16_t)i;
            out->option[i] = (uint8_t)(a[i] - (int32_t)u);
        }
    return CORE_OK;
}
