/*
 * collab_net.c — the network device of one cell: the gNB and its edge node.
 *
 * On an inference request it gathers its state (DESIGN.md step 2): the RRM's
 * view of the UE's channel (radio_world_rrm: SINR, CQI, the rate one more
 * flow would get), the CRM's view of its compute resources (each edge
 * option's expected wait: the backlog of its instance's queue, infinite
 * while the scenario withdraws the instance), and the
 * CPMM's per-(resource, layer) predictions, which are the problem's tables.
 * It admits the request when some edge option can start within
 * admission_wait_s, and replies agree or decline with the state.
 *
 * On a2 it checks again: when an edge option of a2 now waits longer than
 * override_wait_s it overrides (step 7) with a3: for the same split, every
 * edge layer on the supporting edge option of least wait + latency among
 * those within the threshold; when some edge layer has none, a3 withdraws
 * the edge part and the UE computes everything (only if the UE can run
 * every one of those layers; else the network keeps a2). Edge segments run
 * on the cell's shared servers in FIFO order, with optional background work
 * (Poisson jobs at a given share of an instance's capacity). It pushes its
 * state every push_period_s, and whenever its load (busy units over all
 * units) has moved by load_threshold since the last push, to the UEs whose
 * inferences are still deciding or computing their part.
 */
#include "proto/collab_int.h"

#include <math.h>

static void net_push(void *state, const struct core_event *ev, struct core_engine *eng);
static void net_background(void *state, const struct core_event *ev, struct core_engine *eng);
static void check_load_push(struct proto_collab_world *w, struct collab_net *net);

static const core_handler_fn net_handlers[] = {
    [NET_EV_PUSH] = net_push,
    [NET_EV_BACKGROUND] = net_background,
};
static_assert(ARRAY_LEN(net_handlers) == NET_EV_COUNT, "one handler per event");

const struct core_entity_type collab_net_type = {"collab_net", net_handlers, NET_EV_COUNT};

#define BACKGROUND_JOB UINT64_MAX /* job id of background work */

static double background_rate_hz(const struct proto_side *edge, size_t i)
{
    return edge->background_load[i] * (double)edge->instance_units[i] / edge->background_job_s[i];
}

enum core_rc collab_net_start(struct proto_collab_world *w, struct collab_net *net)
{
    const struct proto_side *edge = &w->cfg.edge;
    union core_payload p = {0};

    if (w->cfg.protocol.push_period_s > 0 &&
        core_schedule_in(w->eng, w->cfg.protocol.push_period_s, net->entity, NET_EV_PUSH, 0, p) ==
            0)
        return CORE_E_NOMEM;
    for (size_t i = 0; i < edge->n_instances; i++) {
        if (!(edge->background_load[i] > 0))
            continue;
        p.u64 = i;
        if (core_schedule_in(w->eng,
                             core_rng_exponential(net->background[i],
                                                  1.0 / background_rate_hz(edge, i)),
                             net->entity, NET_EV_BACKGROUND, 0, p) == 0)
            return CORE_E_NOMEM;
    }
    return CORE_OK;
}

static void net_background(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct collab_net *net = state;
    struct proto_collab_world *w = net->world;
    size_t i = (size_t)ev->data.u64;
    struct compute_job job = {0};

    job.id = BACKGROUND_JOB;
    job.t_arrival_s = ev->time_s;
    job.service_s = core_rng_exponential(net->background[i], w->cfg.edge.background_job_s[i]);
    job.units = 1;
    if (compute_server_submit(net->server[i], eng, &job) != CORE_OK) {
        core_engine_fail(eng, CORE_E_NOMEM, "out of memory growing an edge queue");
        return;
    }
    check_load_push(w, net); /* an arrival on a free unit moves the load too */
    core_schedule_in(eng, core_rng_exponential(net->background[i],
                                               1.0 / background_rate_hz(&w->cfg.edge, i)),
                     net->entity, NET_EV_BACKGROUND, 0, ev->data);
}

/* The expected wait at edge instance i now: its backlog, or INFINITY while
 * the scenario withdraws it. */
static double instance_wait_s(const struct proto_collab_world *w, const struct collab_net *net,
                              uint32_t i, double now)
{
    const struct proto_side *edge = &w->cfg.edge;

    if (now >= edge->withdrawn_from_s[i] && now < edge->withdrawn_until_s[i])
        return INFINITY;
    return compute_server_backlog_s(net->server[i], now);
}

/* Busy units over all units of the cell's edge node. */
static double net_load(const struct proto_collab_world *w, const struct collab_net *net)
{
    uint32_t busy = 0, units = 0;

    for (size_t i = 0; i < w->cfg.edge.n_instances; i++) {
        busy += compute_server_busy(net->server[i]);
        units += compute_server_units(net->server[i]);
    }
    return (double)busy / (double)units;
}

/* Send a state update to every inference of this cell still deciding or
 * computing its part with an edge part to re-plan. */
static void push_state(struct proto_collab_world *w, struct collab_net *net)
{
    const struct proto_protocol_config *pc = &w->cfg.protocol;

    net->pushed_load = net_load(w, net);
    for (size_t i = 0; i < w->n_infs; i++) {
        struct collab_inf *inf = w->infs[i];

        if (!inf->live || inf->cell != net->cell || inf->phase != PH_RUNNING ||
            inf->uploading || inf->withdrawn || inf->plan.n_ue == inf->plan.n_layers)
            continue;
        w->stats.state_pushes++;
        collab_send(w, inf->ue, net->cell, PROTO_MSG_STATE_UPDATE,
                    pc->header_bytes + pc->reply_bytes, inf);
    }
}

static void net_push(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct collab_net *net = state;
    struct proto_collab_world *w = net->world;

    push_state(w, net);
    core_schedule_in(eng, w->cfg.protocol.push_period_s, net->entity, NET_EV_PUSH, 0, ev->data);
}

static void check_load_push(struct proto_collab_world *w, struct collab_net *net)
{
    double th = w->cfg.protocol.load_threshold;

    if (th > 0 && fabs(net_load(w, net) - net->pushed_load) >= th)
        push_state(w, net);
}

void collab_net_state(struct proto_collab_world *w, uint32_t cell, uint32_t ue, uint32_t model,
                      struct compute_state *st)
{
    const struct proto_side *edge = &w->cfg.edge;
    const struct compute_problem *p;
    struct collab_net *net = &w->nets[cell];
    struct collab_ue *u = &w->ues[ue];
    struct radio_rrm_reply rr;
    struct core_err e;
    double now = core_engine_now(w->eng), best = INFINITY;

    p = w->cfg.problem[u->device][model];
    *st = (struct compute_state){0};
    if (radio_world_rrm(w->radio, ue, &rr, &e) != CORE_OK) {
        core_engine_fail(w->eng, e.rc, e.msg);
        return;
    }
    st->ul_rate_bps = rr.ul_rate_bps;
    st->dl_rate_bps = rr.dl_rate_bps;
    st->ul_power_w = radio_ue_power_w(&w->cfg.ue_power, RADIO_DIR_UL,
                                      radio_dbm_to_w(rr.ul_tx_power_dbm));
    st->dl_power_w = radio_ue_power_w(&w->cfg.ue_power, RADIO_DIR_DL, 0.0);
    u->last_sinr_db = rr.ul_sinr_db;
    for (size_t o = 0; o < edge->n_options; o++) {
        uint32_t res = p->options[COMPUTE_SIDE_EDGE][o].resource;
        double wait = instance_wait_s(w, net, res, now);

        st->wait_s[COMPUTE_SIDE_EDGE][o] = wait;
        if (wait < best)
            best = wait;
    }
    st->edge_available = best <= w->cfg.protocol.admission_wait_s && rr.ul_rate_bps > 0 &&
                         rr.dl_rate_bps > 0;
    st->w_latency = w->cfg.objective.latency_weight;
    st->w_energy = w->cfg.objective.energy_weight;
}

/* a3 for inf's split, or false when a2 can stand. */
static bool make_a3(struct proto_collab_world *w, struct collab_net *net, struct collab_inf *inf)
{
    const struct compute_problem *p = w->cfg.problem[inf->device][inf->model];
    const struct compute_plan *pl = &inf->plan;
    double now = core_engine_now(w->eng), th = w->cfg.protocol.override_wait_s;
    double wait[COMPUTE_PLAN_MAX_OPTIONS];
    bool busy = false, ue_can = true;
    uint8_t choice[COMPUTE_PLAN_MAX_LAYERS];

    for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_EDGE]; o++)
        wait[o] = instance_wait_s(w, net, p->options[COMPUTE_SIDE_EDGE][o].resource, now);
    for (uint32_t k = pl->n_ue; k < pl->n_layers; k++)
        if (wait[pl->option[pl->order[k]]] > th)
            busy = true;
    if (!busy)
        return false;
    for (uint32_t k = pl->n_ue; k < pl->n_layers; k++) {
        uint32_t layer = pl->order[k];
        double best = INFINITY, ue_best = INFINITY;

        for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_EDGE]; o++) {
            double c = wait[o] + compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, o, layer);

            if (wait[o] <= th && c < best) {
                best = c;
                choice[layer] = (uint8_t)o;
            }
        }
        for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_UE]; o++)
            ue_best = fmin(ue_best, compute_problem_latency_s(p, COMPUTE_SIDE_UE, o, layer));
        if (!isfinite(ue_best))
            ue_can = false;
        if (!isfinite(best))
            inf->withdrawn = true;
    }
    if (inf->withdrawn && !ue_can) {
        inf->withdrawn = false; /* the UE cannot take it: keep a2 */
        return false;
    }
    if (!inf->withdrawn)
        for (uint32_t k = pl->n_ue; k < pl->n_layers; k++)
            inf->plan.option[pl->order[k]] = choice[pl->order[k]];
    inf->segs_valid = false;
    return true;
}

/* Start the edge segment at inf->edge_pos, or send the result. */
static void edge_next(struct proto_collab_world *w, struct collab_net *net, struct collab_inf *inf)
{
    const struct proto_protocol_config *pc = &w->cfg.protocol;
    struct compute_segment sg;
    struct compute_job job = {0};
    const struct compute_problem *p = w->cfg.problem[inf->device][inf->model];

    if (inf->edge_pos >= inf->plan.n_layers) {
        if (inf->real_buf) {
            struct core_err e;

            if (collab_real_edge_part(w, inf, &e) != CORE_OK) {
                core_engine_fail(w->eng, e.rc, e.msg);
                return;
            }
        }
        inf->phase = PH_RESULT;
        collab_send(w, inf->ue, net->cell, PROTO_MSG_RESULT,
                    pc->header_bytes + w->cfg.model_output_bytes[inf->model], inf);
        return;
    }
    collab_segment_at(w, inf, inf->edge_pos, &sg);
    CORE_ASSERT(sg.side == COMPUTE_SIDE_EDGE);
    inf->seg_scale = collab_jitter(w, w->ues[inf->ue].jitter);
    inf->seg_energy_j = sg.energy_j * inf->seg_scale;
    job.id = inf->slot;
    job.owner = inf->gen;
    job.t_arrival_s = core_engine_now(w->eng);
    job.service_s = (sg.copy_s + sg.compute_s) * inf->seg_scale;
    job.units = w->cfg.edge.option_units[sg.option];
    inf->edge_pos = sg.first + sg.count;
    if (compute_server_submit(net->server[p->options[COMPUTE_SIDE_EDGE][sg.option].resource],
                              w->eng, &job) != CORE_OK) {
        core_engine_fail(w->eng, CORE_E_NOMEM, "out of memory growing an edge queue");
        return;
    }
    check_load_push(w, net);
}

void collab_net_job_done(void *ctx, const struct compute_job *job, double t_done_s,
                         struct core_engine *eng)
{
    struct collab_net *net = ctx;
    struct proto_collab_world *w = net->world;
    struct collab_inf *inf;

    (void)eng;
    if (job->id == BACKGROUND_JOB) {
        check_load_push(w, net);
        return;
    }
    inf = collab_inf_find(w, (uint32_t)job->id, job->owner);
    if (!inf)
        return;
    inf->edge_queue_s += job->t_start_s - job->t_arrival_s;
    inf->edge_compute_s += t_done_s - job->t_start_s;
    inf->edge_energy_j += inf->seg_energy_j;
    check_load_push(w, net);
    edge_next(w, net, inf);
}

void collab_net_receive(struct proto_collab_world *w, const struct collab_msg *m,
                        struct collab_inf *inf, double t_s)
{
    const struct proto_protocol_config *pc = &w->cfg.protocol;
    struct collab_net *net = &w->nets[m->cell];

    (void)t_s;
    if (!inf)
        return;
    switch (m->type) {
    case PROTO_MSG_REQUEST:
        collab_net_state(w, net->cell, inf->ue, inf->model, &inf->state);
        inf->declined = !inf->state.edge_available;
        inf->phase = PH_REPLY;
        collab_send(w, inf->ue, net->cell, PROTO_MSG_REPLY, pc->header_bytes + pc->reply_bytes,
                    inf);
        break;
    case PROTO_MSG_DECISION:
        if (inf->withdrawn || inf->plan.n_ue == inf->plan.n_layers)
            break; /* a2 that no longer applies */
        if (make_a3(w, net, inf)) {
            inf->overridden = true;
            collab_send(w, inf->ue, net->cell, PROTO_MSG_UPDATE,
                        pc->header_bytes +
                            pc->decision_layer_bytes * (inf->plan.n_layers - inf->plan.n_ue),
                        inf);
        }
        break;
    case PROTO_MSG_INTERMEDIATE:
        if (inf->withdrawn)
            break; /* the edge gave this inference up in a3 */
        inf->phase = PH_AT_EDGE;
        inf->edge_pos = inf->plan.n_ue;
        edge_next(w, net, inf);
        break;
    case PROTO_MSG_STATE_REQUEST:
        w->stats.state_requests++;
        collab_send(w, inf->ue, net->cell, PROTO_MSG_STATE_UPDATE,
                    pc->header_bytes + pc->reply_bytes, inf);
        break;
    default:
        CORE_ASSERT(!"a downlink message type on the uplink");
    }
}
