/*
 * collabutil.h — building small collaborative worlds by hand in tests: a
 * 5-layer chain problem with one option per side, a world configuration
 * (struct tu_world: the counted arrays proto_world_config borrows, and the
 * config pointing into them), static UEs in one cell without shadowing or
 * fading, a records sink that keeps every outcome and traced message, and
 * deciders written as plain functions of (problem, state) (struct
 * tu_decider adapts them: ADAPT requests get policy_adapt's a4).
 * Header-only, static functions.
 */
#ifndef COINFER_TESTS_COLLABUTIL_H
#define COINFER_TESTS_COLLABUTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
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

/* The 5-layer chain of collabutil with n_ue UE options (all on UE instance
 * 0, the same latencies ue_s) and n_edge edge options (option o on edge
 * instance o with the latencies edge_s[o]). Labels: UE "cpu" (or "cpu:N"
 * from ue_label), edge "gpu-a", "gpu-b", ... */
static inline void options_problem(struct compute_problem *p, size_t n_ue, const double *ue_s,
                            const char *const *ue_label, size_t n_edge,
                            const double (*edge_s)[N_LAYERS])
{
    assert_int_equal(compute_problem_init(p, N_LAYERS, n_ue, n_edge, NULL), CORE_OK);
    p->input_bytes = input_bytes;
    for (size_t i = 0; i < N_LAYERS; i++) {
        p->layers[i].n_inputs = 1;
        p->layers[i].inputs[0] = (int32_t)i - 1;
        p->layers[i].out_bytes = out_bytes[i];
        for (size_t o = 0; o < n_ue; o++) {
            p->latency_s[COMPUTE_SIDE_UE][o * N_LAYERS + i] = ue_s[i];
            p->energy_j[COMPUTE_SIDE_UE][o * N_LAYERS + i] = ue_s[i] * ue_power_w;
        }
        for (size_t o = 0; o < n_edge; o++) {
            p->latency_s[COMPUTE_SIDE_EDGE][o * N_LAYERS + i] = edge_s[o][i];
            p->energy_j[COMPUTE_SIDE_EDGE][o * N_LAYERS + i] = edge_s[o][i] * edge_power_w;
        }
    }
    for (size_t o = 0; o < n_ue; o++) {
        p->options[COMPUTE_SIDE_UE][o].resource = 0;
        p->options[COMPUTE_SIDE_UE][o].amount = 1.0;
        snprintf(p->options[COMPUTE_SIDE_UE][o].label, sizeof(p->options[0][0].label), "%s",
                 ue_label ? ue_label[o] : "cpu");
    }
    for (size_t o = 0; o < n_edge; o++) {
        p->options[COMPUTE_SIDE_EDGE][o].resource = (uint32_t)o;
        p->options[COMPUTE_SIDE_EDGE][o].amount = 1.0;
        snprintf(p->options[COMPUTE_SIDE_EDGE][o].label, sizeof(p->options[0][0].label),
                 "gpu-%c", (char)('a' + o));
    }
    for (int s = 0; s < COMPUTE_SIDE_COUNT; s++)
        p->copy_bytes_per_s[s] = 1e10;
    p->msg_header_bytes = 64.0;
    assert_int_equal(compute_problem_check(p, NULL), CORE_OK);
}

/* ---- the world's configuration -------------------------------------------------- */

#define TU_MAX 8 /* instances, options, models, groups, workloads in these tests */

/* A configuration and the arrays it borrows. It points into itself: never
 * copy one; build another with protocol_config. */
struct tu_world {
    struct proto_world_config c;            /* the configuration */
    struct proto_instance ue_inst[TU_MAX];  /* device 0's instances */
    struct proto_instance edge_inst[TU_MAX]; /* the edge's */
    char ue_name[TU_MAX][16], edge_name[TU_MAX][16];
    uint32_t ue_units[TU_MAX];              /* device 0's option units */
    uint32_t edge_units[TU_MAX];            /* the edge's */
    struct proto_side device[1];            /* device class 0 */
    struct proto_model model[TU_MAX];       /* model 0 "chain5" */
    const struct compute_problem *problems[TU_MAX]; /* [device x n_models + model] */
    struct proto_group group[TU_MAX];       /* group 0 */
    struct proto_workload workload[TU_MAX]; /* group 0's workloads */
};

/* A side of n one-unit instances ("<prefix>0", ...), option o on instance o. */
static inline void tu_side(struct proto_side *s, struct proto_instance *inst,
                           char (*name)[16], uint32_t *units, const char *prefix, size_t n)
{
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < n; i++) {
        memset(&inst[i], 0, sizeof(inst[i]));
        snprintf(name[i], 16, "%s%zu", prefix, i);
        inst[i].name = name[i];
        inst[i].units = 1;
        units[i] = 1;
    }
    s->n_instances = n;
    s->instances = inst;
    s->n_options = n;
    s->option_units = units;
}

/* The edge of t as n one-unit instances, option o on instance o. */
static inline void edge_side(struct tu_world *t, size_t n)
{
    tu_side(&t->c.edge, t->edge_inst, t->edge_name, t->edge_units, "gpu", n);
}

/* One device class with one one-unit instance, one model ("chain5", the
 * problem p), one group of n_ues UEs with one workload; the edge one
 * one-unit instance; generous protocol waits, latency as the objective. */
static inline void protocol_config(struct tu_world *t, const struct compute_problem *p,
                                   double duration_s, int arrival, double rate_hz, size_t n_ues)
{
    struct proto_world_config *c = &t->c;

    memset(t, 0, sizeof(*t));
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
    c->reward.latency_weight = 1.0; /* the reward: minus the latency, a window of 16 */
    c->reward.latency_scale_s = 1.0;
    c->reward.energy_scale_j = 1.0;
    c->reward.window = 16;
    c->ue_power = (struct radio_power_model)RADIO_POWER_DEFAULTS;
    t->model[0].name = "chain5";
    t->model[0].output_bytes = out_bytes[N_LAYERS - 1];
    c->n_models = 1;
    c->models = t->model;
    tu_side(&t->device[0], t->ue_inst, t->ue_name, t->ue_units, "cpu", 1);
    c->n_devices = 1;
    c->devices = t->device;
    edge_side(t, 1);
    t->problems[0] = p;
    c->problems = t->problems;
    t->workload[0].model = 0;
    t->workload[0].arrival = arrival;
    t->workload[0].rate_hz = rate_hz;
    t->workload[0].deadline_s = 0.1;
    t->group[0].device = 0;
    t->group[0].n_ues = n_ues;
    t->group[0].n_workloads = 1;
    t->group[0].workloads = t->workload;
    c->n_groups = 1;
    c->groups = t->group;
}

/* UEs static at fixed positions in one cell without shadowing or fading,
 * the rest of the radio's configuration *base (NULL: the defaults without
 * NR access delays or HARQ, transfers taking their air time alone); base's
 * groups are replaced by g, whose link is *link (NULL: the NR cell). */
static inline struct radio_world *fixed_radio_with(struct core_engine *eng, size_t n_ues,
                                                   struct radio_ue_group_config *g, double *x,
                                                   double *y,
                                                   const struct radio_world_config *base,
                                                   const struct radio_link_config *link)
{
    struct radio_world_config cfg;

    if (base) {
        cfg = *base;
    } else {
        assert_int_equal(radio_world_config_defaults(&cfg, NULL), CORE_OK);
        cfg.access.uplink = RADIO_UL_NONE;
        cfg.access.downlink = RADIO_DL_NONE;
        cfg.access.bler = 0.0;
    }
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
    if (link)
        g->link = *link;
    cfg.groups = g;
    cfg.n_groups = 1;
    return radio_world_create(&cfg, eng, 3, NULL);
}

/* fixed_radio_with the default radio. */
static inline struct radio_world *fixed_radio(struct core_engine *eng, size_t n_ues,
                                              struct radio_ue_group_config *g, double *x,
                                              double *y)
{
    return fixed_radio_with(eng, n_ues, g, x, y, NULL, NULL);
}

/* ---- what the world reports ------------------------------------------------------- */

#define TU_ALLOC_MAX 256

/* One ended inference: its outcome (problem pointer cleared, so that rows
 * of two worlds compare byte for byte) and its allocation texts. */
struct tu_row {
    struct proto_outcome o;
    char ue_alloc[TU_ALLOC_MAX];
    char edge_alloc[TU_ALLOC_MAX];
};

/* Every outcome, and with trace every message, in the order the world
 * reported them. */
struct tu_records {
    struct tu_row *inferences;
    size_t n_inferences, cap_inferences;
    struct proto_message_record *messages;
    size_t n_messages, cap_messages;
    struct proto_energy_row *energy;  /* the ledger's rows (at proto_collab_world_end) */
    size_t n_energy, cap_energy;
    struct proto_sink sink; /* what the world is given */
};

static inline void *tu_grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    *cap = *cap ? 2 * *cap : 64;
    p = realloc(p, *cap * size);
    if (!p) {
        fprintf(stderr, "tests: out of memory for records\n");
        abort();
    }
    return p;
}

static inline void tu_on_outcome(void *ctx, const struct proto_outcome *o)
{
    struct tu_records *r = ctx;
    struct tu_row *row;

    r->inferences = tu_grow(r->inferences, &r->cap_inferences, r->n_inferences, sizeof(*row));
    row = &r->inferences[r->n_inferences++];
    memset(row, 0, sizeof(*row)); /* padding compares equal */
    row->o = *o;
    row->o.problem = NULL;
    compute_plan_alloc_text(o->problem, &o->plan, COMPUTE_SIDE_UE, row->ue_alloc,
                            sizeof(row->ue_alloc));
    compute_plan_alloc_text(o->problem, &o->plan, COMPUTE_SIDE_EDGE, row->edge_alloc,
                            sizeof(row->edge_alloc));
}

static inline void tu_on_message(void *ctx, const struct proto_message_record *m)
{
    struct tu_records *r = ctx;

    r->messages = tu_grow(r->messages, &r->cap_messages, r->n_messages, sizeof(*m));
    r->messages[r->n_messages++] = *m;
}

static inline void tu_on_energy(void *ctx, const struct proto_energy_row *row)
{
    struct tu_records *r = ctx;

    r->energy = tu_grow(r->energy, &r->cap_energy, r->n_energy, sizeof(*row));
    r->energy[r->n_energy++] = *row;
}

/* Records (trace: keep messages too); r->sink is what a world is given. */
static inline void tu_records_init(struct tu_records *r, bool trace)
{
    memset(r, 0, sizeof(*r));
    r->sink.outcome = tu_on_outcome;
    r->sink.message = trace ? tu_on_message : NULL;
    r->sink.energy = tu_on_energy;
    r->sink.ctx = r;
}

static inline void tu_records_fini(struct tu_records *r)
{
    free(r->inferences);
    free(r->messages);
    free(r->energy);
    memset(r, 0, sizeof(*r));
}

/* ---- who decides ------------------------------------------------------------------- */

/* A decision made from the problem and the state alone (INITIAL and UPDATE
 * requests); ADAPT requests get policy_adapt. */
typedef enum core_rc (*tu_decide_fn)(void *ctx, const struct compute_problem *p,
                                     const struct compute_state *s, struct core_rng *rng,
                                     struct compute_plan *out, struct core_err *e);

struct tu_decider {
    tu_decide_fn fn;
    void *ctx;
    struct proto_decider d; /* what a world is given */
    size_t n_adapt;         /* ADAPT requests it answered */
    uint32_t adapt_started; /* the last one's started positions */
    uint32_t adapt_n_ue;    /* and its a3's cut */
};

static inline enum core_rc tu_decide(void *ctx, const struct compute_decision *req,
                                     struct core_rng *rng, struct compute_plan *out,
                                     bool *later, struct core_err *e)
{
    struct tu_decider *t = ctx;

    *later = false;
    if (req->kind == COMPUTE_DECIDE_ADAPT) {
        t->n_adapt++;
        t->adapt_started = req->started;
        t->adapt_n_ue = req->current->n_ue;
        return policy_adapt(req, out, e);
    }
    return t->fn(t->ctx, req->problem, &req->state, rng, out, e);
}

static inline const struct proto_decider *tu_decider(struct tu_decider *t, tu_decide_fn fn,
                                                     void *ctx)
{
    t->fn = fn;
    t->ctx = ctx;
    t->d.decide = tu_decide;
    t->d.ctx = t;
    t->d.truth = false;
    t->d.on_device = false;
    return &t->d;
}

/* The fixed decision maker: the first *ctx layers on the UE; everything
 * when the network declined (s->edge_available false). */
static inline enum core_rc fixed_split(void *ctx, const struct compute_problem *p,
                                       const struct compute_state *s, struct core_rng *rng,
                                       struct compute_plan *out, struct core_err *e)
{
    const uint32_t *k = ctx;

    (void)rng, (void)e;
    memset(out, 0, sizeof(*out));
    out->n_layers = (uint32_t)p->n_layers;
    out->n_ue = s->edge_available ? *k : (uint32_t)p->n_layers;
    for (uint32_t i = 0; i < out->n_layers; i++)
        out->order[i] = (uint16_t)i;
    return CORE_OK;
}

/* A random split from the deciding UE's stream (local when declined). */
static inline enum core_rc random_split(void *ctx, const struct compute_problem *p,
                                 const struct compute_state *s, struct core_rng *rng,
                                 struct compute_plan *out, struct core_err *e)
{
    (void)ctx, (void)e;
    memset(out, 0, sizeof(*out));
    out->n_layers = (uint32_t)p->n_layers;
    out->n_ue = (uint32_t)core_rng_below(rng, p->n_layers + 1);
    if (!s->edge_available)
        out->n_ue = out->n_layers;
    for (uint32_t i = 0; i < out->n_layers; i++)
        out->order[i] = (uint16_t)i;
    return CORE_OK;
}

/* A world of t on eng over radio deciding with fn(ctx), reporting to rec. */
static inline struct proto_collab_world *tu_world_create(const struct tu_world *t,
                                                         struct core_engine *eng,
                                                         struct radio_world *radio,
                                                         struct tu_decider *d, tu_decide_fn fn,
                                                         void *ctx, struct tu_records *rec,
                                                         struct core_err *e)
{
    return proto_collab_world_create(&t->c, eng, radio, tu_decider(d, fn, ctx), NULL, &rec->sink,
                                     e);
}

/* Run to t_s; the run must not have failed. Stops a sink or a parked
 * decision asked for are run through. */
static inline void run_to(struct core_engine *eng, double t_s)
{
    struct core_run_limits lim = {.until_s = t_s, .has_until = true};
    enum core_stop why;

    do
        why = core_engine_run(eng, &lim);
    while (why == CORE_STOP_REQUESTED);
    if (why == CORE_STOP_FAILED)
        print_error("the run failed: %s\n", core_engine_error(eng)->msg);
    assert_true(why == CORE_STOP_TIME || why == CORE_STOP_EMPTY);
}

/* ---- the moving world ---------------------------------------------------------------- */

/* Moving UEs (random waypoint at 40 to 60 m/s) over 7 cells, with
 * background load at the edge, jitter, state pushes, admission and override
 * thresholds that bite; the chain's tensors are 10 times larger, so that
 * transfers last long enough for handovers to catch inferences in flight. */
struct tu_moving {
    struct compute_problem p;        /* the chain, tensors x 10 */
    struct tu_world t;               /* the configuration */
    struct radio_world_config rc;    /* the radio: 7 cells */
    struct radio_ue_group_config g;  /* the moving group */
    uint64_t seed;                   /* the radio's and the world's */
    struct core_engine *eng;         /* owned */
    struct radio_world *radio;       /* owned */
    struct tu_records rec;           /* the world's records */
    struct tu_decider d;             /* a decider the caller may use */
    struct proto_collab_world *w;    /* the world under test */
};

/* Configure the moving world (seed for the radio and the world, n_ues UEs
 * each sending Poisson requests at rate_hz for duration_s); the caller may
 * change m->t and m->g before tu_moving_create. */
static inline void tu_moving_setup(struct tu_moving *m, uint64_t seed, size_t n_ues,
                                   double rate_hz, double duration_s, int on_handover,
                                   double channel_db)
{
    chain_problem(&m->p, edge_lat_s);
    m->p.input_bytes *= 10.0;
    for (size_t i = 0; i < N_LAYERS; i++)
        m->p.layers[i].out_bytes *= 10.0;
    protocol_config(&m->t, &m->p, duration_s, PROTO_ARRIVAL_POISSON, rate_hz, n_ues);
    m->seed = seed;
    m->t.c.sim.seed = seed;
    m->t.c.protocol.on_handover = on_handover;
    m->t.c.protocol.channel_threshold_db = channel_db;
    m->t.c.protocol.push_period_s = 0.05;
    m->t.c.protocol.admission_wait_s = 0.05;
    m->t.c.protocol.override_wait_s = 0.02;
    m->t.c.inference.jitter = 0.2;
    m->t.edge_inst[0].background_load = 0.3;
    m->t.edge_inst[0].background_job_s = 5e-3;
    assert_int_equal(radio_world_config_defaults(&m->rc, NULL), CORE_OK);
    m->rc.deploy.n_sites = 7;
    memset(&m->g, 0, sizeof(m->g));
    assert_int_equal(core_knobs_defaults(&radio_ue_group_knobs, &m->g, NULL), CORE_OK);
    m->g.n_ues = (long)n_ues;
    m->g.mobility = RADIO_MOBILITY_WAYPOINT;
    m->g.speed_min_mps = 40.0;
    m->g.speed_max_mps = 60.0;
    m->rc.groups = &m->g;
    m->rc.n_groups = 1;
}

/* Build the configured moving world (its radio, then the world deciding
 * with ue); the caller runs it. */
static inline void tu_moving_create(struct tu_moving *m, const struct proto_decider *ue)
{
    struct core_err err = {0};

    m->eng = core_engine_create(0);
    assert_non_null(m->eng);
    m->radio = radio_world_create(&m->rc, m->eng, m->seed, &err);
    if (!m->radio)
        print_error("radio_world_create: %s\n", err.msg);
    assert_non_null(m->radio);
    tu_records_init(&m->rec, false);
    m->w = proto_collab_world_create(&m->t.c, m->eng, m->radio, ue, NULL, &m->rec.sink, &err);
    if (!m->w)
        print_error("proto_collab_world_create: %s\n", err.msg);
    assert_non_null(m->w);
}

/* tu_moving_setup and tu_moving_create in one. */
static inline void tu_moving_start(struct tu_moving *m, uint64_t seed, size_t n_ues,
                                   double rate_hz, double duration_s, int on_handover,
                                   double channel_db, const struct proto_decider *ue)
{
    tu_moving_setup(m, seed, n_ues, rate_hz, duration_s, on_handover, channel_db);
    tu_moving_create(m, ue);
}

static inline void tu_moving_end(struct tu_moving *m)
{
    proto_collab_world_destroy(m->w);
    tu_records_fini(&m->rec);
    radio_world_destroy(m->radio);
    core_engine_destroy(m->eng);
    compute_problem_fini(&m->p);
}

#endif /* COINFER_TESTS_COLLABUTIL_H */
