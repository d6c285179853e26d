/*
 * collab_ue.c — a UE of the collaborative world: its workload, its decision
 * maker and its CRM.
 *
 * Each workload is a Poisson or periodic stream of inference requests drawn
 * from the UE's own stream for that workload. An inference goes: request on
 * the uplink; reply on the downlink; the decision maker's plan (a1 + a2 in
 * one compute_plan); a2 on the uplink while the UE's CRM runs the UE part
 * segment by segment on the UE's own resource servers (a segment = a run of
 * layers on one option, its copy in included); the intermediate result goes
 * up once the UE part is done AND a2 has been delivered (so the network has
 * allocated, or overridden, before data arrives); the result comes down.
 *
 * An allocation update a3 that withdraws the edge part turns the rest of
 * the plan into UE work (a4: every remaining layer on the UE option of least
 * latency that supports it); one that only remaps the edge's options changes
 * nothing on the UE. A state update while the UE part is still running makes
 * the UE decide again; it adopts the new plan when the layers it has started
 * are the new plan's first ones, and sends the changed a2. When the UL SINR
 * has moved by channel_threshold_db since the state in use, the UE asks for
 * the network's state at its next segment boundary.
 */
#include "proto/collab_int.h"

#include <math.h>
#include <string.h>

static void ue_arrival(void *state, const struct core_event *ev, struct core_engine *eng);

static const core_handler_fn ue_handlers[] = {
    [UE_EV_ARRIVAL] = ue_arrival,
};
static_assert(ARRAY_LEN(ue_handlers) == UE_EV_COUNT, "one handler per event");

const struct core_entity_type collab_ue_type = {"collab_ue", ue_handlers, UE_EV_COUNT};

static const struct proto_workload *workload(const struct proto_collab_world *w,
                                             const struct collab_ue *ue, size_t j)
{
    return &w->cfg.groups[ue->group].workloads[j];
}

static double interarrival_s(const struct proto_workload *wl, struct core_rng *r)
{
    if (wl->arrival == PROTO_ARRIVAL_PERIODIC)
        return 1.0 / wl->rate_hz;
    return core_rng_exponential(r, 1.0 / wl->rate_hz);
}

enum core_rc collab_ue_start(struct proto_collab_world *w, struct collab_ue *ue)
{
    for (size_t j = 0; j < w->cfg.groups[ue->group].n_workloads; j++) {
        const struct proto_workload *wl = workload(w, ue, j);
        union core_payload p = {.u64 = j};
        double first_s = wl->arrival == PROTO_ARRIVAL_PERIODIC
                             ? core_rng_uniform(ue->arrivals[j]) / wl->rate_hz
                             : interarrival_s(wl, ue->arrivals[j]);

        if (core_schedule_in(w->eng, first_s, ue->entity, UE_EV_ARRIVAL, 0, p) == 0)
            return CORE_E_NOMEM;
    }
    return CORE_OK;
}

static void send_request(struct proto_collab_world *w, struct collab_inf *inf)
{
    const struct proto_protocol_config *pc = &w->cfg.protocol;
    const struct compute_problem *p = w->cfg.problem[inf->device][inf->model];

    inf->phase = PH_REQUEST;
    inf->cell = radio_world_serving(w->radio, inf->ue);
    collab_send(w, inf->ue, inf->cell, PROTO_MSG_REQUEST,
                pc->header_bytes + pc->request_layer_bytes * (double)p->n_layers, inf);
}

static void ue_arrival(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct collab_ue *ue = state;
    struct proto_collab_world *w = ue->world;
    size_t j = (size_t)ev->data.u64;
    const struct proto_workload *wl = workload(w, ue, j);
    struct collab_inf *inf;

    if (!(ue->battery_j > 0))
        return; /* its battery ran out: no more requests from it */
    inf = collab_inf_get(w);
    if (!inf) {
        core_engine_fail(eng, CORE_E_NOMEM, "out of memory for inferences in flight");
        return;
    }
    inf->id = w->next_id++;
    inf->ue = ue->index;
    inf->model = wl->model;
    inf->device = ue->device;
    inf->deadline_s = wl->deadline_s;
    inf->t_request_s = ev->time_s;
    inf->real_class = -1;
    if (w->cfg.real_model[inf->model]) {
        struct core_err e;

        if (collab_real_input(w, inf, &e) != CORE_OK) {
            core_engine_fail(eng, e.rc, e.msg);
            return;
        }
    }
    ue->in_flight++;
    inf->prev_of_ue = UINT32_MAX;
    inf->next_of_ue = ue->first_inf;
    if (ue->first_inf != UINT32_MAX)
        w->infs[ue->first_inf]->prev_of_ue = inf->slot;
    ue->first_inf = inf->slot;
    w->stats.requests++;
    send_request(w, inf);
    core_schedule_in(eng, interarrival_s(wl, ue->arrivals[j]), ue->entity, UE_EV_ARRIVAL, 0,
                     ev->data);
}

static void finish(struct proto_collab_world *w, struct collab_inf *inf, double t_s)
{
    struct proto_collab_records *r = w->rec;
    const struct compute_problem *p = w->cfg.problem[inf->device][inf->model];
    struct proto_inference_record *row;
    double latency = t_s - inf->t_request_s;

    w->stats.done++;
    w->stats.declined += inf->declined;
    w->stats.overridden += inf->overridden;
    w->ues[inf->ue].in_flight--;
    if (inf->prev_of_ue != UINT32_MAX)
        w->infs[inf->prev_of_ue]->next_of_ue = inf->next_of_ue;
    else
        w->ues[inf->ue].first_inf = inf->next_of_ue;
    if (inf->next_of_ue != UINT32_MAX)
        w->infs[inf->next_of_ue]->prev_of_ue = inf->prev_of_ue;
    if (w->ues[inf->ue].battery_j > 0) {
        w->ues[inf->ue].battery_j -= inf->ue_energy_j;
        if (!(w->ues[inf->ue].battery_j > 0))
            w->stats.batteries_out++;
    }
    if (inf->t_request_s >= w->cfg.sim.warmup_s) {
        CORE_ASSERT(r->n_inferences < r->cap_inferences);
        row = &r->inferences[r->n_inferences++];
        memset(row, 0, sizeof(*row)); /* no bytes of an earlier row after the texts */
        row->inference_id = inf->id;
        row->ue_id = inf->ue;
        row->cell_id = inf->cell;
        row->model = inf->model;
        row->split = (int32_t)inf->plan.n_ue;
        row->t_request_s = inf->t_request_s;
        row->t_done_s = t_s;
        row->latency_s = latency;
        row->ue_compute_s = inf->ue_compute_s;
        row->uplink_s = inf->uplink_s;
        row->edge_queue_s = inf->edge_queue_s;
        row->edge_compute_s = inf->edge_compute_s;
        row->downlink_s = inf->downlink_s;
        row->signaling_s = latency - (inf->ue_compute_s + inf->uplink_s + inf->edge_queue_s +
                                      inf->edge_compute_s + inf->downlink_s);
        row->ue_energy_j = inf->ue_energy_j;
        row->edge_energy_j = inf->edge_energy_j;
        row->correct = -1;
        row->result_class = inf->real_class;
        row->declined = inf->declined;
        row->overridden = inf->overridden;
        row->deadline_met = latency <= inf->deadline_s;
        compute_plan_alloc_text(p, &inf->plan, COMPUTE_SIDE_UE, row->ue_alloc,
                                sizeof(row->ue_alloc));
        compute_plan_alloc_text(p, &inf->plan, COMPUTE_SIDE_EDGE, row->edge_alloc,
                                sizeof(row->edge_alloc));
        if (r->n_inferences == r->cap_inferences)
            core_engine_request_stop(w->eng);
    }
    inf->phase = PH_DONE;
    collab_real_free(inf);
    collab_inf_put(w, inf);
}

/* Upload the intermediate result when the UE part is done and a2 is in. */
static void try_upload(struct proto_collab_world *w, struct collab_inf *inf)
{
    const struct compute_problem *p = w->cfg.problem[inf->device][inf->model];

    if (!inf->ue_part_done || inf->uploading)
        return;
    if (inf->plan.n_ue == inf->plan.n_layers) {
        finish(w, inf, core_engine_now(w->eng));
        return;
    }
    if (!inf->a2_delivered)
        return;
    inf->uploading = true;
    collab_send(w, inf->ue, inf->cell, PROTO_MSG_INTERMEDIATE,
                w->cfg.protocol.header_bytes +
                    (inf->real_buf ? inf->real_cross_bytes
                                   : compute_plan_crossing_bytes(p, &inf->plan, inf->plan.n_ue)),
                inf);
}

/* The UE's own load: busy units over all units of its resources. */
static double ue_load(const struct proto_collab_world *w, const struct collab_ue *ue)
{
    const struct proto_side *dev = &w->cfg.device[ue->device];
    uint32_t busy = 0, units = 0;

    for (size_t i = 0; i < dev->n_instances; i++) {
        busy += compute_server_busy(ue->server[i]);
        units += compute_server_units(ue->server[i]);
    }
    return (double)busy / (double)units;
}

/* Whether inf could still change its a2: deciding done, its UE part not
 * yet uploaded, an edge part to re-plan. */
static bool can_redecide(const struct collab_inf *inf)
{
    return inf->phase == PH_RUNNING && !inf->uploading && !inf->withdrawn &&
           inf->plan.n_ue < inf->plan.n_layers;
}

/* Ask for the network's state when the UE's channel (its UL SINR) or its
 * own load moved enough since the state it decided on. The channel is read
 * at the inference's segment boundaries; the load at every change of it
 * (collab_ue_job_done). */
static void check_channel(struct proto_collab_world *w, struct collab_inf *inf)
{
    struct collab_ue *ue = &w->ues[inf->ue];
    struct radio_rrm_reply rr;
    struct core_err e;
    double th = w->cfg.protocol.channel_threshold_db, lth = w->cfg.protocol.load_threshold;
    bool moved = false;

    if (!can_redecide(inf))
        return;
    if (lth > 0 && fabs(ue_load(w, ue) - ue->last_load) >= lth)
        moved = true;
    if (!moved && th > 0 && !isnan(ue->last_sinr_db)) {
        if (radio_world_rrm(w->radio, inf->ue, &rr, &e) != CORE_OK) {
            core_engine_fail(w->eng, e.rc, e.msg);
            return;
        }
        moved = fabs(rr.ul_sinr_db - ue->last_sinr_db) >= th;
        if (moved)
            ue->last_sinr_db = rr.ul_sinr_db;
    }
    if (!moved)
        return;
    ue->last_load = ue_load(w, ue);
    collab_send(w, inf->ue, inf->cell, PROTO_MSG_STATE_REQUEST, w->cfg.protocol.header_bytes,
                inf);
}

/* Start the UE segment at inf->ue_pos, or move on when the part is done. */
static void ue_next(struct proto_collab_world *w, struct collab_inf *inf)
{
    struct collab_ue *ue = &w->ues[inf->ue];
    const struct compute_problem *p = w->cfg.problem[inf->device][inf->model];
    struct compute_segment sg;
    struct compute_job job = {0};

    if (inf->ue_busy)
        return;
    if (inf->ue_pos >= inf->plan.n_ue) {
        inf->ue_part_done = true;
        if (inf->real_buf) {
            struct core_err e;

            if (collab_real_ue_part(w, inf, &inf->real_cross_bytes, &e) != CORE_OK) {
                core_engine_fail(w->eng, e.rc, e.msg);
                return;
            }
        }
        try_upload(w, inf);
        return;
    }
    check_channel(w, inf);
    collab_segment_at(w, inf, inf->ue_pos, &sg);
    CORE_ASSERT(sg.side == COMPUTE_SIDE_UE);
    inf->seg_scale = collab_jitter(w, ue->jitter);
    inf->seg_energy_j = sg.energy_j * inf->seg_scale;
    job.id = inf->slot;
    job.owner = inf->gen;
    job.t_arrival_s = core_engine_now(w->eng);
    job.service_s = (sg.copy_s + sg.compute_s) * inf->seg_scale;
    job.units = w->cfg.device[inf->device].option_units[sg.option];
    inf->ue_pos = sg.first + sg.count;
    inf->ue_busy = true;
    if (compute_server_submit(ue->server[p->options[COMPUTE_SIDE_UE][sg.option].resource],
                              w->eng, &job) != CORE_OK)
        core_engine_fail(w->eng, CORE_E_NOMEM, "out of memory growing a UE queue");
}

void collab_ue_job_done(void *ctx, const struct compute_job *job, double t_done_s,
                        struct core_engine *eng)
{
    struct collab_ue *ue = ctx;
    struct proto_collab_world *w = ue->world;
    struct collab_inf *inf = collab_inf_find(w, (uint32_t)job->id, job->owner);

    (void)eng;
    if (inf) {
        inf->ue_busy = false;
        inf->ue_compute_s += t_done_s - job->t_arrival_s;
        inf->ue_energy_j += inf->seg_energy_j;
    } /* else: re-planned after a handover, the work is lost */
    /* The UE's load changed: its other inferences that can still re-plan
     * check whether it moved enough to ask for the network's state. */
    if (w->cfg.protocol.load_threshold > 0)
        for (uint32_t s = ue->first_inf; s != UINT32_MAX; s = w->infs[s]->next_of_ue)
            if (w->infs[s] != inf && can_redecide(w->infs[s]))
                check_channel(w, w->infs[s]);
    if (inf)
        ue_next(w, inf);
}

/* Ask the decision maker for a plan under st; false when the run failed. */
static bool decide(struct proto_collab_world *w, struct collab_inf *inf,
                   const struct compute_state *st, struct compute_plan *out)
{
    struct collab_ue *ue = &w->ues[inf->ue];
    const struct compute_problem *p = w->cfg.problem[inf->device][inf->model];
    struct compute_state s = *st;
    struct core_err e;
    double now = core_engine_now(w->eng);

    for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_UE]; o++)
        s.wait_s[COMPUTE_SIDE_UE][o] =
            compute_server_backlog_s(ue->server[p->options[COMPUTE_SIDE_UE][o].resource], now);
    ue->last_load = ue_load(w, ue);
    if (w->decide(w->decide_ctx, inf->device, inf->model, p, &s, ue->decision, out, &e) !=
            CORE_OK ||
        compute_plan_check(p, out, s.edge_available, &e) != CORE_OK) {
        core_engine_fail(w->eng, e.rc == CORE_OK ? CORE_E_RUNTIME : e.rc, e.msg);
        return false;
    }
    inf->state = s;
    return true;
}

static void send_a2(struct proto_collab_world *w, struct collab_inf *inf)
{
    const struct proto_protocol_config *pc = &w->cfg.protocol;

    inf->a2_sent = true;
    inf->a2_delivered = false;
    collab_send(w, inf->ue, inf->cell, PROTO_MSG_DECISION,
                pc->header_bytes + pc->decision_layer_bytes *
                                       (double)(inf->plan.n_layers - inf->plan.n_ue),
                inf);
}

static void on_reply(struct proto_collab_world *w, struct collab_inf *inf)
{
    inf->segs_valid = false;
    if (!decide(w, inf, &inf->state, &inf->plan))
        return;
    inf->phase = PH_RUNNING;
    if (inf->plan.n_ue < inf->plan.n_layers)
        send_a2(w, inf);
    ue_next(w, inf);
}

/* a4: every layer from position n_ue on moves to the UE option of least
 * latency that supports it. */
static void take_back(struct proto_collab_world *w, struct collab_inf *inf)
{
    const struct compute_problem *p = w->cfg.problem[inf->device][inf->model];

    for (uint32_t k = inf->plan.n_ue; k < inf->plan.n_layers; k++) {
        uint32_t layer = inf->plan.order[k];
        double best = INFINITY;

        for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_UE]; o++) {
            double t = compute_problem_latency_s(p, COMPUTE_SIDE_UE, o, layer);

            if (t < best) {
                best = t;
                inf->plan.option[layer] = (uint8_t)o;
            }
        }
    }
    inf->plan.n_ue = inf->plan.n_layers;
    inf->segs_valid = false;
    inf->ue_part_done = false;
    ue_next(w, inf);
}

/* A state update: decide again and adopt a changed plan if the layers
 * started so far are its first ones. */
static void on_state_update(struct proto_collab_world *w, struct collab_inf *inf)
{
    struct compute_state st;
    struct compute_plan pl;
    bool changed;

    if (inf->phase != PH_RUNNING || inf->uploading || inf->withdrawn)
        return;
    collab_net_state(w, inf->cell, inf->ue, inf->model, &st);
    if (!decide(w, inf, &st, &pl))
        return;
    if (pl.n_ue < inf->ue_pos)
        return;
    for (uint32_t k = 0; k < inf->ue_pos; k++)
        if (pl.order[k] != inf->plan.order[k] ||
            pl.option[pl.order[k]] != inf->plan.option[inf->plan.order[k]])
            return;
    changed = pl.n_ue != inf->plan.n_ue ||
              memcmp(pl.order, inf->plan.order, pl.n_layers * sizeof(pl.order[0])) != 0 ||
              memcmp(pl.option, inf->plan.option, pl.n_layers * sizeof(pl.option[0])) != 0;
    if (!changed)
        return;
    w->stats.redecisions++;
    inf->plan = pl;
    inf->segs_valid = false;
    inf->ue_part_done = false;
    if (pl.n_ue < pl.n_layers)
        send_a2(w, inf);
    ue_next(w, inf);
}

void collab_ue_receive(struct proto_collab_world *w, const struct collab_msg *m,
                       struct collab_inf *inf, double t_s, double duration_s)
{
    if (!inf)
        return;
    switch (m->type) {
    case PROTO_MSG_REPLY:
        on_reply(w, inf);
        break;
    case PROTO_MSG_UPDATE:
        if (inf->withdrawn && inf->plan.n_ue < inf->plan.n_layers)
            take_back(w, inf);
        break;
    case PROTO_MSG_STATE_UPDATE:
        on_state_update(w, inf);
        break;
    case PROTO_MSG_RESULT:
        /* The network reports the edge energy once the result is through
         * (its own flow, so it never slows the result down). */
        inf->downlink_s = duration_s;
        collab_send(w, inf->ue, m->cell, PROTO_MSG_ENERGY_REPORT,
                    w->cfg.protocol.header_bytes + w->cfg.protocol.energy_report_bytes, inf);
        finish(w, inf, t_s);
        break;
    case PROTO_MSG_ENERGY_REPORT:
        break; /* feedback for the learning agent (a later issue); traced */
    default:
        CORE_ASSERT(!"an uplink message type on the downlink");
    }
}

void collab_ue_sent(struct proto_collab_world *w, const struct collab_msg *m,
                    struct collab_inf *inf, double t_s, double duration_s)
{
    (void)t_s;
    switch (m->type) {
    case PROTO_MSG_DECISION:
        inf->a2_delivered = true;
        try_upload(w, inf);
        break;
    case PROTO_MSG_INTERMEDIATE:
        inf->uploading = false;
        if (!inf->withdrawn)
            inf->uplink_s = duration_s;
        else if (inf->plan.n_ue == inf->plan.n_layers)
            try_upload(w, inf); /* a3 withdrew the edge part while this upload was on the
                                   air and the UE has taken the layers back: if it has
                                   computed them all meanwhile, try_upload waited for this
                                   upload, and the inference finishes now */
        break;
    default:
        break;
    }
}

void collab_ue_handover(void *ctx, struct radio_world *rw, uint32_t ue, uint32_t from_cell,
                        uint32_t to_cell, double t_s)
{
    struct proto_collab_world *w = ctx;

    (void)rw;
    (void)from_cell;
    (void)to_cell;
    (void)t_s;
    if (w->cfg.protocol.on_handover != PROTO_HO_REPLAN)
        return; /* in flight inferences finish with the edge they started with */
    for (uint32_t s = w->ues[ue].first_inf; s != UINT32_MAX; s = w->infs[s]->next_of_ue) {
        struct collab_inf *inf = w->infs[s];

        if (!inf->live || inf->ue != ue || inf->phase >= PH_AT_EDGE ||
            (inf->phase == PH_RUNNING && inf->plan.n_ue == inf->plan.n_layers))
            continue;
        /* Restart at the new cell: pending callbacks of the old attempt see
         * a new generation and drop out; times and energy so far stay. */
        inf->gen++;
        inf->ue_pos = inf->edge_pos = 0;
        inf->ue_busy = inf->ue_part_done = inf->a2_sent = inf->a2_delivered = false;
        inf->uploading = inf->withdrawn = inf->overridden = inf->declined = false;
        w->stats.replanned++;
        send_request(w, inf);
    }
}
