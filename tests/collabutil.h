/*
 * collabutil.h — building small collaborative worlds by hand in tests: a
 * 5-layer chain problem with one option per side, one-unit sides, a protocol
 * configuration, static UEs in one cell without shadowing or fading, and a
 * fixed-split decision maker. Header-only, static functions.
 */
#ifndef COINFER_TESTS_COLLABUTIL_H
#define COINFER_TESTS_COLLABUTIL_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "proto/proto.h"

#define N_LAYERS 5

static const double out_bytes[N_LAYERS] = {40e3, 12e3, 30e3, 4e3, 400.0};
static const double ue_lat_s[N_LAYERS] = {3e-3, 7e-3, 2e-3, 5e-3, 1e-3};
static const double edge_lat_s[N_LAYERS] = {0.4e-3, 0.9e-3, 0.3e-3, 0.6e-3, 0.2e-3};
static const double ue_power_w = 2.0;   /* UE compute power, W */
static const double edge_power_w = 70.0; /* edge compute power, W */
static const double input_bytes = 150e3;

/* A 5-layer chain with one UE option and one edge option. */
static inline void chain_problem(struct compute_problem *p, const double *edge_s)
{
    assert_int_equal(compute_problem_init(p, N_LAYERS, 1, 1, NULL), CORE_OK);
    p->input_bytes = input_bytes;
    for (size_t i = 0; i < N_LAYERS; i++) {
        p->layers[i].n_inputs = 1;
        p->layers[i].inputs[0] = (int32_t)i - 1;
        p->layers[i].out_bytes = out_bytes[i];
        p->latency_s[COMPUTE_SIDE_UE][i] = ue_lat_s[i];
        p->energy_j[COMPUTE_SIDE_UE][i] = ue_lat_s[i] * ue_power_w;
        p->latency_s[COMPUTE_SIDE_EDGE][i] = edge_s[i];
        p->energy_j[COMPUTE_SIDE_EDGE][i] = edge_s[i] * edge_power_w;
    }
    for (int s = 0; s < COMPUTE_SIDE_COUNT; s++) {
        p->options[s][0].resource = 0;
        p->options[s][0].amount = 1.0;
        snprintf(p->options[s][0].label, sizeof(p->options[s][0].label), "%s",
                 s == COMPUTE_SIDE_UE ? "cpu" : "gpu");
        p->copy_bytes_per_s[s] = 1e10;
    }
    p->msg_header_bytes = 64.0;
    assert_int_equal(compute_problem_check(p, NULL), CORE_OK);
}

static inline void one_unit_side(struct proto_side *s)
{
    memset(s, 0, sizeof(*s));
    s->n_instances = 1;
    snprintf(s->instance_name[0], sizeof(s->instance_name[0]), "r0");
    s->instance_units[0] = 1;
    s->n_options = 1;
    s->option_units[0] = 1;
}

static inline void protocol_config(struct proto_collab_config *c, const struct compute_problem *p,
                            double duration_s, int arrival, double rate_hz, size_t n_ues)
{
    memset(c, 0, sizeof(*c));
    c->sim.duration_s = duration_s;
    c->sim.seed = 11;
    c->protocol.header_bytes = 64.0;
    c->protocol.request_layer_bytes = 16.0;
    c->protocol.reply_bytes = 256.0;
    c->protocol.decision_layer_bytes = 8.0;
    c->protocol.energy_report_bytes = 16.0;
    c->protocol.admission_wait_s = 1e9;
    c->protocol.override_wait_s = 1e9;
    c->objective.latency_weight = 1.0;
    c->n_models = 1;
    c->model_name[0] = "chain5";
    c->model_output_bytes[0] = out_bytes[N_LAYERS - 1];
    c->n_devices = 1;
    one_unit_side(&c->device[0]);
    one_unit_side(&c->edge);
    c->ue_power = (struct radio_power_model)RADIO_POWER_DEFAULTS;
    c->problem[0][0] = p;
    c->n_groups = 1;
    c->group_n_ues[0] = n_ues;
    c->groups[0].device = 0;
    c->groups[0].n_workloads = 1;
    c->groups[0].workloads[0].model = 0;
    c->groups[0].workloads[0].arrival = arrival;
    c->groups[0].workloads[0].rate_hz = rate_hz;
    c->groups[0].workloads[0].deadline_s = 0.1;
}

/* UEs static at fixed positions in one cell without shadowing or fading. */
static inline struct radio_world *fixed_radio(struct core_engine *eng, size_t n_ues,
                                       struct radio_ue_group_config *g, double *x, double *y)
{
    struct radio_world_config cfg;

    assert_int_equal(radio_world_config_defaults(&cfg, NULL), CORE_OK);
    cfg.deploy.shadowing = false;
    cfg.deploy.fading = false;
    memset(g, 0, sizeof(*g));
    assert_int_equal(core_knobs_defaults(&radio_ue_group_knobs, g, NULL), CORE_OK);
    for (size_t i = 0; i < n_ues; i++) {
        x[i] = 60.0 + 3.0 * (double)i;
        y[i] = 25.0;
    }
    g->n_ues = (long)n_ues;
    g->placement = RADIO_PLACE_POSITIONS;
    g->pos_x_m = x;
    g->pos_y_m = y;
    cfg.groups = g;
    cfg.n_groups = 1;
    return radio_world_create(&cfg, eng, 3, NULL);
}

/* The fixed decision maker: the first *ctx layers on the UE; everything
 * when the network declined (s->edge_available false). */
static inline enum core_rc fixed_split(void *ctx, uint32_t device, uint32_t model,
                                const struct compute_problem *p, const struct compute_state *s,
                                struct core_rng *rng, struct compute_plan *out,
                                struct core_err *e)
{
    const uint32_t *k = ctx;

    (void)device, (void)model, (void)rng, (void)e;
    memset(out, 0, sizeof(*out));
    out->n_layers = (uint32_t)p->n_layers;
    out->n_ue = s->edge_available ? *k : (uint32_t)p->n_layers;
    for (uint32_t i = 0; i < out->n_layers; i++)
        out->order[i] = (uint16_t)i;
    return CORE_OK;
}

static inline void run_to(struct core_engine *eng, double t_s)
{
    struct core_run_limits lim = {.until_s = t_s, .has_until = true};

    core_engine_run(eng, &lim);
}

#endif /* COINFER_TESTS_COLLABUTIL_H */
