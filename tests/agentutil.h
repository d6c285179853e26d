/*
 * agentutil.h — what the policy and learning agent's tests share: random
 * problems (chains and DAGs, with unsupported options) and states.
 */
#ifndef COINFER_AGENTUTIL_H
#define COINFER_AGENTUTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compute/compute.h"
#include "core/core.h"

static inline void agentutil_set_cost(struct compute_problem *p, enum compute_side s, size_t o,
                                      size_t i, double t_s, double e_j)
{
    p->latency_s[s][o * p->n_layers + i] = t_s;
    p->energy_j[s][o * p->n_layers + i] = e_j;
}

/* A random problem of n layers: a chain, or a DAG where each layer reads
 * one or two random earlier layers (then every unread layer but the last is
 * given to a later reader); options on two resources a side (option o on
 * resource o % 2, or one drawn at random when random_resource); unsupported
 * entries with probability p_unsup, each layer keeping at least one option
 * on each side when keep_both (else on the edge). CORE_OK or what
 * compute_problem_init / check said. */
static inline enum core_rc agentutil_problem_drawn(struct compute_problem *p, struct core_rng *r,
                                                   size_t n, bool dag, size_t n_ue,
                                                   size_t n_edge, double p_unsup,
                                                   bool random_resource, bool keep_both,
                                                   struct core_err *e)
{
    bool used[COMPUTE_PLAN_MAX_LAYERS] = {false};
    enum core_rc rc;
    size_t i, o, j;
    int s;

    rc = compute_problem_init(p, n, n_ue, n_edge, e);
    if (rc != CORE_OK)
        return rc;
    p->input_bytes = core_rng_uniform_in(r, 1e3, 1e6);
    p->msg_header_bytes = core_rng_uniform_in(r, 0, 1e5);
    for (i = 0; i < n; i++) {
        struct compute_problem_layer *l = &p->layers[i];

        l->out_bytes = core_rng_uniform_in(r, 1e2, 2e6);
        l->n_inputs = 1;
        if (i == 0) {
            l->inputs[0] = -1;
        } else if (!dag) {
            l->inputs[0] = (int32_t)i - 1;
        } else {
            l->inputs[0] = (int32_t)core_rng_below(r, i + 1) - 1;
            if (core_rng_uniform(r) < 0.4)
                l->inputs[l->n_inputs++] = (int32_t)core_rng_below(r, i + 1) - 1;
        }
        for (j = 0; j < l->n_inputs; j++)
            if (l->inputs[j] >= 0)
                used[l->inputs[j]] = true;
    }
    for (i = n - 1; i-- > 0;) {
        struct compute_problem_layer *l;

        if (used[i])
            continue;
        l = &p->layers[i + 1 + core_rng_below(r, n - 1 - i)];
        if (l->n_inputs == COMPUTE_PLAN_MAX_INPUTS)
            l = &p->layers[i + 1];
        if (l->n_inputs < COMPUTE_PLAN_MAX_INPUTS)
            l->inputs[l->n_inputs++] = (int32_t)i;
        used[i] = true;
    }
    for (s = 0; s < COMPUTE_SIDE_COUNT; s++) {
        p->copy_latency_s[s] = core_rng_uniform_in(r, 0, 1e-3);
        p->copy_bytes_per_s[s] = core_rng_uniform_in(r, 1e8, 1e10);
        p->copy_power_w[s] = core_rng_uniform_in(r, 0, 3);
        p->default_option[s] = (uint32_t)core_rng_below(r, p->n_options[s]);
        for (o = 0; o < p->n_options[s]; o++) {
            double speed = core_rng_uniform_in(r, 0.2, 5) * (s == COMPUTE_SIDE_EDGE ? 5 : 1);

            p->options[s][o].resource =
                random_resource ? (uint32_t)core_rng_below(r, 2) : (uint32_t)(o % 2);
            p->options[s][o].amount = 1;
            snprintf(p->options[s][o].label, sizeof(p->options[s][o].label), "%s%zu",
                     s ? "e" : "u", o);
            for (i = 0; i < n; i++) {
                double t = core_rng_uniform_in(r, 1e-4, 2e-2) / speed;

                if (core_rng_uniform(r) < p_unsup)
                    t = INFINITY;
                agentutil_set_cost(p, s, o, i, t, core_rng_uniform_in(r, 0, 0.05));
            }
        }
    }
    for (i = 0; i < n; i++)
        for (s = 0; s < COMPUTE_SIDE_COUNT; s++) {
            bool any = false;

            for (o = 0; o < p->n_options[s]; o++)
                any = any || !isinf(compute_problem_latency_s(p, s, o, i));
            if (!any && (keep_both || s == COMPUTE_SIDE_EDGE))
                agentutil_set_cost(p, s, 0, i, 1e-3, 1e-3);
        }
    return compute_problem_check(p, e);
}

/* The agent tests' problems: option o on resource o % 2, every layer with an
 * option on each side. */
static inline enum core_rc agentutil_problem(struct compute_problem *p, struct core_rng *r,
                                             size_t n, bool dag, size_t n_ue, size_t n_edge,
                                             double p_unsup, struct core_err *e)
{
    return agentutil_problem_drawn(p, r, n, dag, n_ue, n_edge, p_unsup, false, true, e);
}

/* A random state: rates, powers, waits (an option unavailable with
 * probability p_inf), weights; the edge available with probability
 * p_edge. */
static inline void agentutil_state(struct compute_state *st, struct core_rng *r,
                                   const struct compute_problem *p, double p_edge, double p_inf)
{
    size_t o;
    int s;

    memset(st, 0, sizeof(*st));
    st->edge_available = core_rng_uniform(r) < p_edge;
    st->ul_rate_bps = exp(core_rng_uniform_in(r, log(1e5), log(1e9)));
    st->dl_rate_bps = exp(core_rng_uniform_in(r, log(1e5), log(1e9)));
    st->ul_power_w = core_rng_uniform_in(r, 0, 3);
    st->dl_power_w = core_rng_uniform_in(r, 0, 2);
    st->signaling_s = core_rng_uniform_in(r, 0, 0.01);
    for (s = 0; s < COMPUTE_SIDE_COUNT; s++)
        for (o = 0; o < p->n_options[s]; o++)
            st->wait_s[s][o] = core_rng_uniform(r) < p_inf ? INFINITY
                                                           : core_rng_uniform_in(r, 0, 0.02);
    st->w_latency = core_rng_uniform_in(r, 0.1, 2);
    st->w_energy = core_rng_uniform_in(r, 0, 2);
}

/* Random encodings on p (the policy tests' encoding and exit problems): n_enc of them, each tensor
 * at a random share (0.05 to 1.2) of its fp32 bytes, each prefix's accuracy up to 0.01 below the
 * whole model's or unknown (one in five), a random fixed encoding. */
static inline enum core_rc agentutil_random_encodings(struct compute_problem *p, struct core_rng *r,
                                                      size_t n_enc, struct core_err *e)
{
    enum core_rc rc = compute_problem_encodings_init(p, n_enc, e);

    if (rc != CORE_OK)
        return rc;
    p->accuracy = core_rng_uniform_in(r, 0.8, 0.95);
    for (size_t k = 0; k < n_enc; k++) {
        struct compute_encoding *en = &p->encodings[k];
        double share = core_rng_uniform_in(r, 0.05, 1.2);

        snprintf(en->name, sizeof(en->name), "e%u", (unsigned)k % 10);
        if (k == 0)
            continue;
        for (size_t t = 0; t <= p->n_layers; t++)
            en->tensor_bytes[t] = ceil(share * compute_problem_tensor_bytes(p, 0, t));
        for (size_t g = 0; g < p->n_layers; g++)
            en->accuracy[g] =
                core_rng_uniform(r) < 0.2 ? NAN : p->accuracy - core_rng_uniform_in(r, 0, 0.01);
    }
    /* a DAG's measured cuts across branches: random ideals that are no prefix */
    for (int tries = 0; tries < 4; tries++) {
        struct compute_layer_set ue = {{0}};
        struct compute_cut_accuracy *c;
        size_t n_ue = 0;

        for (size_t i = 0; i + 1 < p->n_layers; i++) {
            bool ready = core_rng_uniform(r) < 0.6;

            for (uint32_t j = 0; ready && j < p->layers[i].n_inputs; j++)
                ready = p->layers[i].inputs[j] < 0 ||
                        compute_layer_set_has(&ue, (size_t)p->layers[i].inputs[j]);
            if (ready) {
                compute_layer_set_add(&ue, i);
                n_ue++;
            }
        }
        if (compute_layer_set_is_prefix(&ue, n_ue))
            continue;
        rc = compute_problem_cut_accuracy(p, &ue, &c, e);
        if (rc != CORE_OK)
            return rc;
        for (size_t k = 1; k < n_enc; k++)
            c->accuracy[k] =
                core_rng_uniform(r) < 0.2 ? NAN : p->accuracy - core_rng_uniform_in(r, 0, 0.01);
    }
    p->fixed_encoding = (uint8_t)core_rng_below(r, n_enc);
    return CORE_OK;
}

/* Call fn(ctx, plan) on every plan of q ending at exit x (0: its output):
 * every ideal (every set of UE layers closed under predecessors; only the
 * whole model when !edge_available) x every option assignment, in the
 * order of the sets' bit patterns and the options' digits, layer 0 the
 * lowest. The plan's encoding is 0 and its own to change. For brute-force
 * checks of the exact solvers. */
typedef void (*agentutil_plan_fn)(void *ctx, struct compute_plan *pl);
static inline void agentutil_each_plan(const struct compute_problem *q, bool edge_available,
                                       uint8_t x, agentutil_plan_fn fn, void *ctx)
{
    size_t n = q->n_layers;

    for (unsigned set = 0; set < (1u << n); set++) {
        struct compute_plan pl;
        size_t digit[COMPUTE_PLAN_MAX_LAYERS] = {0}, k, i;
        bool ideal = true;

        if (!edge_available && set != (1u << n) - 1)
            continue;
        for (i = 0; i < n; i++)
            if ((set >> i) & 1)
                for (uint32_t j = 0; j < q->layers[i].n_inputs; j++)
                    if (q->layers[i].inputs[j] >= 0 && !((set >> q->layers[i].inputs[j]) & 1))
                        ideal = false;
        if (!ideal)
            continue;
        memset(&pl, 0, sizeof(pl));
        pl.n_layers = (uint32_t)n;
        pl.exit = x;
        for (i = 0; i < n; i++)
            if ((set >> i) & 1)
                pl.order[pl.n_ue++] = (uint16_t)i;
        k = pl.n_ue;
        for (i = 0; i < n; i++)
            if (!((set >> i) & 1))
                pl.order[k++] = (uint16_t)i;
        for (;;) {
            for (i = 0; i < n; i++)
                pl.option[i] = (uint8_t)digit[i];
            pl.encoding = 0;
            fn(ctx, &pl);
            for (i = 0; i < n; i++) {
                enum compute_side sd = ((set >> i) & 1) ? COMPUTE_SIDE_UE : COMPUTE_SIDE_EDGE;

                if (++digit[i] < q->n_options[sd])
                    break;
                digit[i] = 0;
            }
            if (i == n)
                break;
        }
    }
}

#endif /* COINFER_AGENTUTIL_H */
