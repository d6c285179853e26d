/*
 * ue.c — a UE of the collaborative world: its workload, its decisions and
 * its CRM.
 *
 * Each workload is a Poisson or periodic stream of inference requests drawn
 * from the UE's own stream for that workload. An inference goes: request on
 * the uplink; reply on the downlink; the decision (a1 + a2 in one
 * compute_plan, through the decision seam: decide.c); a2 on the uplink while
 * the UE's CRM runs the UE part segment by segment on the UE's own resource
 * servers (a segment = a run of layers on one option, its copy in included);
 * the intermediate result goes up once the UE part is done AND a2 has been
 * delivered (so the network has allocated, or overridden, before data
 * arrives); the result comes down.
 *
 * An allocation update a3 that takes layers back (a later cut, or the whole
 * edge part) makes the UE stop an upload the network will not use and
 * decide again under that constraint (a4, an ADAPT request through its
 * decider); its a4 goes up as a new a2 when an edge part remains. One that
 * only remaps the edge's options changes nothing on the UE, which
 * acknowledges it (update-ack), as it does an a3 that left it everything.
 * A state update while the UE may still re-plan (proto_inf_may_replan)
 * makes it decide again (an UPDATE request); it adopts the new plan when the
 * layers it has started are the new plan's first ones, and sends the changed
 * a2. When the UL SINR has moved by channel_threshold_db since the state in
 * use, or its own load by load_threshold, the UE asks for the network's
 * state.
 *
 * Invariant: in the states where the UE computes (COMPUTING,
 * COMPUTING_A2_IN, LOCAL, W_COMPUTING, TAKEN_BACK) one
 * segment job of the inference is at a UE server; in the others none is.
 */
#include "proto/proto_int.h"

#include <math.h>
#include <string.h>

static void ue_arrival(void *state, const struct core_event *ev, struct core_engine *eng);

static const core_handler_fn ue_handlers[] = {
    [PROTO_UE_EV_ARRIVAL] = ue_arrival,
};
static_assert(ARRAY_LEN(ue_handlers) == PROTO_UE_EV_COUNT, "one handler per event");

const struct core_entity_type proto_ue_type = {"proto_ue", ue_handlers, PROTO_UE_EV_COUNT};

static const struct proto_workload *workload(const struct proto_collab_world *w,
                                             const struct proto_ue *ue, size_t j)
{
    return &w->cfg->groups[ue->group].workloads[j];
}

static double interarrival_s(const struct proto_workload *wl, struct core_rng *r)
{
    if (wl->arrival == PROTO_ARRIVAL_PERIODIC)
        return 1.0 / wl->rate_hz;
    return core_rng_exponential(r, 1.0 / wl->rate_hz);
}

enum core_rc proto_ue_start(struct proto_collab_world *w, struct proto_ue *ue)
{
    for (size_t j = 0; j < w->cfg->groups[ue->group].n_workloads; j++) {
        const struct proto_workload *wl = workload(w, ue, j);
        union core_payload p = {.u64 = j};
        double first_s = wl->arrival == PROTO_ARRIVAL_PERIODIC
                             ? core_rng_uniform(ue->arrivals[j]) / wl->rate_hz
                             : interarrival_s(wl, ue->arrivals[j]);

        if (core_schedule_in(w->eng, first_s, ue->entity, PROTO_UE_EV_ARRIVAL, 0, p) == 0)
            return CORE_E_NOMEM;
    }
    return CORE_OK;
}

void proto_ue_send_request(struct proto_collab_world *w, struct proto_inf *inf)
{
    proto_inf_to(w, inf, PROTO_INF_REQUESTING);
    inf->cell = radio_world_serving(w->radio, inf->ue);
    if (w->ue_decider.on_device) {
        /* Nothing goes to the network: the UE decides now on its own state,
         * the edge not offered (no rates, every edge option unavailable). */
        memset(&inf->state_used, 0, sizeof(inf->state_used));
        for (size_t o = 0; o < COMPUTE_PLAN_MAX_OPTIONS; o++)
            inf->state_used.wait_s[COMPUTE_SIDE_EDGE][o] = INFINITY;
        inf->state_used.w_latency = w->cfg->objective.latency_weight;
        inf->state_used.w_energy = w->cfg->objective.energy_weight;
        inf->state_used.w_accuracy = w->cfg->objective.accuracy_weight;
        proto_inf_to(w, inf, PROTO_INF_REPLYING);
        proto_ue_on_reply(w, inf, core_engine_now(w->eng), 0.0);
        return;
    }
    proto_send(w, inf->ue, inf->cell, PROTO_MSG_REQUEST, inf);
}

static void ue_arrival(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct proto_ue *ue = state;
    struct proto_collab_world *w = ue->world;
    size_t j = (size_t)ev->data.u64;
    const struct proto_workload *wl = workload(w, ue, j);
    struct proto_inf *inf;

    if (!(ue->battery_j > 0))
        return; /* its battery ran out: no more requests from it */
    inf = proto_inf_get(w);
    if (!inf) {
        core_engine_fail(eng, CORE_E_NOMEM, "out of memory for inferences in flight");
        return;
    }
    inf->id = w->next_id++;
    inf->ue = ue->index;
    inf->model = wl->model;
    inf->device = ue->device;
    inf->workload = (uint32_t)j;
    inf->deadline_s = wl->deadline_s;
    inf->t_request_s = ev->time_s;
    inf->real_class = -1;
    inf->real_label = -1;
    inf->no_plan_layer = -1;
    /* Drawn at the request, in each UE's arrival order, so that an
     * inference draws the same number under every policy. */
    inf->correct_u = ue->correct && !w->cfg->models[inf->model].real
                         ? core_rng_uniform(ue->correct)
                         : NAN;
    if (w->cfg->models[inf->model].real) {
        struct core_err e;

        if (proto_real_input(w, inf, &e) != CORE_OK) {
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
    proto_ue_send_request(w, inf);
    core_schedule_in(eng, interarrival_s(wl, ue->arrivals[j]), ue->entity, PROTO_UE_EV_ARRIVAL, 0,
                     ev->data);
}

/* ---- the UE's part ----------------------------------------------------------------- */

static void ue_continue(struct proto_collab_world *w, struct proto_inf *inf);

/* The UE's part is done and a2 is in: inf moves to state to (UPLOADING, or
 * W_UPLOADING when the network has withdrawn its edge part unknown to the
 * UE) and the intermediate result goes up. */
static void upload(struct proto_collab_world *w, struct proto_inf *inf, enum proto_inf_state to)
{
    struct proto_msg *m;

    proto_inf_to(w, inf, to);
    inf->t_sent_s = core_engine_now(w->eng);
    m = proto_send(w, inf->ue, inf->cell, PROTO_MSG_INTERMEDIATE, inf);
    if (m) {
        inf->upload_flow = m->flow;
        inf->upload_msg = m->slot;
    }
}

/* The UE's part is done (no job of it is running): real mode computes it,
 * then the intermediate result goes up when a2 is in, or the inference ends
 * when the UE computed every layer. */
static void part_done(struct proto_collab_world *w, struct proto_inf *inf)
{
    if (inf->real_buf) {
        struct core_err e;

        if (proto_real_ue_part(w, inf, &inf->real_cross_bytes, &e) != CORE_OK) {
            core_engine_fail(w->eng, e.rc, e.msg);
            return;
        }
    }
    switch (inf->state) {
    case PROTO_INF_COMPUTING: /* a2 is still on the uplink */
        proto_inf_to(w, inf, PROTO_INF_AWAITING_A2);
        return;
    case PROTO_INF_COMPUTING_A2_IN:
        upload(w, inf, PROTO_INF_UPLOADING);
        return;
    case PROTO_INF_W_COMPUTING: /* the UE does not know the network withdrew */
        upload(w, inf, PROTO_INF_W_UPLOADING);
        return;
    case PROTO_INF_LOCAL:
    case PROTO_INF_TAKEN_BACK:
        proto_inf_finish(w, inf, core_engine_now(w->eng));
        return;
    default:
        CORE_ASSERT(!"a UE part done in a state where the UE does not compute");
    }
}

/* Ask for the network's state when the UE's channel (its UL SINR), its own
 * load or its battery moved enough since the state it decided on. The
 * channel and the battery are read at the inference's segment boundaries;
 * the load at every change of it (proto_ue_job_done). Returns whether it
 * asked; false changes nothing, so a second check of another inference
 * of the UE at the same instant would not ask either. */
static bool check_channel(struct proto_collab_world *w, struct proto_inf *inf)
{
    struct proto_ue *ue = &w->ues[inf->ue];
    struct radio_rrm_reply rr;
    struct core_err e;
    double th = w->cfg->protocol.channel_threshold_db, lth = w->cfg->protocol.load_threshold;
    double bth = w->cfg->protocol.battery_threshold;
    double capacity = w->cfg->devices[ue->device].battery_j;
    bool moved = false;

    if (!proto_inf_may_replan(inf) || !proto_inf_has_edge_part(inf))
        return false;
    if (lth > 0 && fabs(proto_ue_load(w, ue) - ue->last_load) >= lth)
        moved = true;
    if (!moved && bth > 0 && capacity > 0 && isfinite(ue->battery_j) &&
        fabs(ue->battery_j - ue->last_battery_j) >= bth * capacity) {
        moved = true;
        ue->last_battery_j = ue->battery_j;
    }
    if (!moved && th > 0 && !isnan(ue->last_sinr_db)) {
        if (radio_world_rrm(w->radio, inf->ue, &rr, &e) != CORE_OK) {
            core_engine_fail(w->eng, e.rc, e.msg);
            return false;
        }
        moved = fabs(rr.ul_sinr_db - ue->last_sinr_db) >= th;
        if (moved)
            ue->last_sinr_db = rr.ul_sinr_db;
    }
    if (!moved)
        return false;
    ue->last_load = proto_ue_load(w, ue);
    proto_send(w, inf->ue, inf->cell, PROTO_MSG_STATE_REQUEST, inf);
    return true;
}

/* No job of inf is running: start the UE segment at inf->ue_pos, or the
 * part is done. */
static void ue_continue(struct proto_collab_world *w, struct proto_inf *inf)
{
    struct proto_ue *ue = &w->ues[inf->ue];
    const struct compute_problem *p = proto_inf_problem(w, inf);
    struct compute_segment sg;
    struct compute_job job = {0};

    if (inf->ue_pos >= inf->plan.n_ue) {
        part_done(w, inf);
        return;
    }
    check_channel(w, inf);
    proto_segment_at(w, inf, inf->ue_pos, &sg);
    CORE_ASSERT(sg.side == COMPUTE_SIDE_UE);
    inf->seg_scale = proto_jitter(w, ue->jitter);
    inf->seg_energy_j = sg.energy_j * inf->seg_scale;
    job.id = inf->slot;
    job.owner = inf->gen;
    job.t_arrival_s = core_engine_now(w->eng);
    job.service_s = (sg.copy_s + sg.compute_s) * inf->seg_scale;
    job.units = w->cfg->devices[inf->device].option_units[sg.option];
    inf->ue_pos = sg.first + sg.count;
    inf->seg_server = ue->server[p->options[COMPUTE_SIDE_UE][sg.option].resource];
    inf->seg_side = COMPUTE_SIDE_UE;
    if (compute_server_submit(inf->seg_server, w->eng, &job) != CORE_OK)
        core_engine_fail(w->eng, CORE_E_NOMEM, "out of memory growing a UE queue");
}

void proto_ue_job_done(void *ctx, const struct compute_job *job, double t_done_s,
                       struct core_engine *eng)
{
    struct proto_ue *ue = ctx;
    struct proto_collab_world *w = ue->world;
    struct proto_inf *inf = proto_inf_find(w, (uint32_t)job->id, job->owner);

    (void)eng;
    if (inf) {
        inf->seg_server = NULL;
        inf->ue_compute_s += t_done_s - job->t_arrival_s;
        inf->ue_energy_j += inf->seg_energy_j;
        ue->compute_j += inf->seg_energy_j;
        proto_ue_drain(w, inf->ue, inf->seg_energy_j);
    } /* else: re-planned after a handover, the work is lost */
    /* The UE's load changed: its other inferences that can still re-plan
     * check whether it moved enough to ask for the network's state. A check
     * that does not ask changes nothing, so none after it would ask: the
     * walk stops there. They are the UE's re-planning list, in the order of
     * its list of inferences in flight (an overloaded UE has hundreds of
     * uploads in flight and one or two of these). */
    if (w->cfg->protocol.load_threshold > 0)
        for (uint32_t s = ue->first_replan; s != UINT32_MAX; s = w->infs[s]->rp_next) {
            struct proto_inf *other = w->infs[s];

            if (other != inf && proto_inf_has_edge_part(other) && !check_channel(w, other))
                break;
        }
    if (inf)
        ue_continue(w, inf);
}

/* ---- decisions ----------------------------------------------------------------------- */

/* Whether the UE computes in state s (a job of its is at a UE server). */
static bool computing(enum proto_inf_state s)
{
    return s == PROTO_INF_COMPUTING || s == PROTO_INF_COMPUTING_A2_IN || s == PROTO_INF_LOCAL ||
           s == PROTO_INF_W_COMPUTING || s == PROTO_INF_TAKEN_BACK;
}

/* Decide about inf (kind) under st, the request made in *req: the plan in
 * *out and true, or false when the request was parked or the run failed,
 * or when no plan exists
 * (then an initial decision or an a4 ends the inference, "no-plan"; a
 * re-decision keeps the plan in force). After false inf may be gone. */
static bool decide(struct proto_collab_world *w, struct proto_inf *inf,
                   enum compute_decision_kind kind, const struct compute_state *st,
                   struct compute_plan *out, struct compute_decision *req)
{
    proto_decision_request(w, inf, kind, st, req);
    if (kind != COMPUTE_DECIDE_ADAPT) { /* what a re-plan is measured against */
        w->ues[inf->ue].last_load = req->ue_load;
        w->ues[inf->ue].last_battery_j = req->battery_j;
    }
    switch (proto_decide(w, inf, req, out)) {
    case PROTO_DECIDED:
        inf->state_used = req->state;
        return true;
    case PROTO_NO_PLAN:
        if (kind == COMPUTE_DECIDE_UPDATE)
            inf->no_plan_layer = -1; /* the plan in force stands */
        else
            proto_inf_fail(w, inf, core_engine_now(w->eng));
        return false;
    default:
        return false;
    }
}

static void send_a2(struct proto_collab_world *w, struct proto_inf *inf)
{
    proto_send(w, inf->ue, inf->cell, PROTO_MSG_DECISION, inf);
}

/* The first decision's plan has come (now or from a parked answer): the
 * inference starts running it. */
static void run_plan(struct proto_collab_world *w, struct proto_inf *inf,
                     const struct compute_plan *plan, const struct compute_decision *req)
{
    inf->plan = *plan;
    inf->plan_decided = *plan;
    proto_inf_decided(inf, req);
    inf->n_segs = 0;
    if (proto_inf_has_edge_part(inf)) {
        proto_inf_to(w, inf, PROTO_INF_COMPUTING);
        send_a2(w, inf);
    } else {
        proto_inf_to(w, inf, PROTO_INF_LOCAL);
    }
    ue_continue(w, inf);
}

void proto_ue_on_reply(struct proto_collab_world *w, struct proto_inf *inf, double t_s,
                       double duration_s)
{
    struct compute_plan plan;
    struct compute_decision req;

    (void)t_s, (void)duration_s;
    if (inf->state != PROTO_INF_REPLYING)
        return;
    inf->n_segs = 0;
    if (decide(w, inf, COMPUTE_DECIDE_INITIAL, &inf->state_used, &plan, &req)) {
        run_plan(w, inf, &plan, &req);
        return;
    }
    if (inf->state == PROTO_INF_REPLYING && inf->ticket != 0) /* parked */
        proto_inf_to(w, inf, PROTO_INF_DECIDING);
}

/* A re-decision's plan has come: adopted when the started layers are its
 * first ones and it differs. The changed a2 goes to the network; a plan
 * gone local sends one too, with no edge layer: it cancels the edge part
 * the earlier a2 asked for. A plan the same as the one in force is decided
 * again on req's state (what the outcome records it was decided on). */
static void adopt_plan(struct proto_collab_world *w, struct proto_inf *inf,
                       const struct compute_plan *pl, const struct compute_decision *req)
{
    bool busy = computing(inf->state);

    if (pl->n_ue < inf->ue_pos || (pl->exit != inf->plan.exit && inf->ue_pos > 0))
        return; /* the started layers are not its first ones */
    for (uint32_t k = 0; k < inf->ue_pos; k++)
        if (pl->order[k] != inf->plan.order[k] ||
            pl->option[pl->order[k]] != inf->plan.option[inf->plan.order[k]])
            return;
    if (compute_plan_equal(pl, &inf->plan)) {
        if (compute_plan_equal(pl, &inf->plan_decided))
            proto_inf_decided(inf, req);
        return; /* unchanged */
    }
    proto_inf_decided(inf, req);
    w->stats.redecisions++;
    inf->plan = *pl;
    inf->plan_decided = *pl;
    inf->n_segs = 0;
    if (proto_inf_has_edge_part(inf)) {
        proto_inf_to(w, inf, PROTO_INF_COMPUTING);
    } else {
        proto_inf_to(w, inf, PROTO_INF_LOCAL);
        w->stats.a2_cancels++;
    }
    send_a2(w, inf);
    if (!busy)
        ue_continue(w, inf);
}

void proto_ue_on_state_update(struct proto_collab_world *w, struct proto_inf *inf, double t_s,
                              double duration_s)
{
    struct compute_state st;
    struct compute_plan pl;
    struct compute_decision req;

    (void)t_s, (void)duration_s;
    proto_inf_set_push_on_air(w, inf, false);
    if (!proto_inf_may_replan(inf))
        return;
    st = inf->pushed; /* the network's state as it sent it */
    if (decide(w, inf, COMPUTE_DECIDE_UPDATE, &st, &pl, &req))
        adopt_plan(w, inf, &pl, &req);
}

/* a3 came. One that remapped the edge's options leaves the UE's part as it
 * is: the UE acknowledges it. One that took layers back (the network
 * withdrew them: a W_ state) makes the UE stop an upload the network will
 * not use, and adapt through its decider (a4 under the a3: the positions
 * handed back and those not started are its to place, the a3's edge part
 * stands); the a4 goes to the network as the UE's new a2 when an edge
 * part remains (the a3's answer), else the UE acknowledges and computes
 * everything. */
void proto_ue_on_update(struct proto_collab_world *w, struct proto_inf *inf, double t_s,
                        double duration_s)
{
    struct compute_state st = inf->state_used;
    struct compute_plan plan;
    struct compute_decision req;
    bool busy = computing(inf->state);

    (void)t_s, (void)duration_s;
    switch (inf->state) {
    case PROTO_INF_W_UPLOADING: /* its upload is of no use now */
        proto_stop_upload(w, inf);
        proto_inf_to(w, inf, PROTO_INF_W_IDLE);
        /* fall through */
    case PROTO_INF_W_COMPUTING:
    case PROTO_INF_W_IDLE:
        proto_inf_to(w, inf, PROTO_INF_TAKEN_BACK);
        break;
    default: /* a3 remapped the edge's options: nothing changes on the UE */
        proto_send(w, inf->ue, inf->cell, PROTO_MSG_UPDATE_ACK, inf);
        return;
    }
    st.edge_available = false;
    if (!decide(w, inf, COMPUTE_DECIDE_ADAPT, &st, &plan, &req))
        return;
    inf->plan = plan;
    inf->n_segs = 0;
    if (proto_inf_has_edge_part(inf)) {
        proto_inf_to(w, inf, PROTO_INF_COMPUTING);
        send_a2(w, inf);
    } else {
        proto_send(w, inf->ue, inf->cell, PROTO_MSG_UPDATE_ACK, inf);
    }
    if (!busy)
        ue_continue(w, inf);
}

void proto_ue_on_result(struct proto_collab_world *w, struct proto_inf *inf, double t_s,
                        double duration_s)
{
    if (inf->state != PROTO_INF_RETURNING)
        return;
    inf->downlink_s = duration_s;
    /* The network reports the edge energy once the result is through (its
     * own flow, so it never slows the result down). */
    proto_send(w, inf->ue, inf->cell, PROTO_MSG_ENERGY_REPORT, inf);
    proto_inf_finish(w, inf, t_s);
}

void proto_ue_sent_decision(struct proto_collab_world *w, struct proto_inf *inf, double t_s,
                            double duration_s)
{
    (void)t_s, (void)duration_s;
    switch (inf->state) {
    case PROTO_INF_COMPUTING:
        proto_inf_to(w, inf, PROTO_INF_COMPUTING_A2_IN);
        break;
    case PROTO_INF_AWAITING_A2:
        upload(w, inf, PROTO_INF_UPLOADING);
        break;
    case PROTO_INF_W_IDLE: /* the UE does not know the network withdrew */
        upload(w, inf, PROTO_INF_W_UPLOADING);
        break;
    default:
        break; /* an earlier a2's acknowledgement: nothing new */
    }
}

void proto_ue_sent_intermediate(struct proto_collab_world *w, struct proto_inf *inf, double t_s,
                                double duration_s)
{
    (void)t_s;
    switch (inf->state) {
    case PROTO_INF_AT_EDGE:
        inf->uplink_s = duration_s;
        break;
    case PROTO_INF_W_UPLOADING:
        proto_inf_to(w, inf, PROTO_INF_W_IDLE);
        break;
    default:
        CORE_ASSERT(!"an upload acknowledged in a state without one on the air");
    }
}

void proto_ue_handover(void *ctx, struct radio_world *rw, uint32_t ue, uint32_t from_cell,
                       uint32_t to_cell, double t_s)
{
    struct proto_collab_world *w = ctx;

    (void)rw, (void)from_cell, (void)to_cell, (void)t_s;
    if (w->cfg->protocol.on_handover != PROTO_HO_REPLAN)
        return; /* in flight inferences finish with the edge they started with */
    for (uint32_t s = w->ues[ue].first_inf; s != UINT32_MAX; s = w->infs[s]->next_of_ue) {
        struct proto_inf *inf = w->infs[s];

        if (inf->state == PROTO_INF_FREE || inf->ue != ue || !proto_inf_restartable(inf))
            continue;
        /* Restart at the new cell: the old upload stops (its energy so far
         * is the inference's); pending callbacks of the old attempt see a
         * new generation and drop out; times and energy so far stay. */
        proto_stop_upload(w, inf);
        if (inf->seg_server && inf->seg_side == COMPUTE_SIDE_UE) {
            /* Its segment runs on to its end for nothing: the work is lost,
             * its energy spent for this inference. */
            inf->ue_energy_j += inf->seg_energy_j;
            w->ues[ue].compute_j += inf->seg_energy_j;
            proto_ue_drain(w, ue, inf->seg_energy_j);
            inf->seg_server = NULL;
        }
        proto_decision_drop(w, inf);
        inf->gen++;
        inf->ue_pos = inf->edge_pos = 0;
        inf->overridden = false;
        inf->decline = PROTO_DECLINE_NONE;
        proto_inf_set_push_on_air(w, inf, false); /* an update on the air is stale now */
        inf->restarts++;
        w->stats.replanned++;
        proto_ue_send_request(w, inf);
    }
}

/* ---- a decision answered later ----------------------------------------------------- */

enum core_rc proto_collab_world_answer(struct proto_collab_world *w, uint64_t ticket,
                                       const struct compute_plan *plan, struct core_err *e)
{
    struct compute_decision req;
    struct proto_inf *inf;
    enum core_rc rc = proto_decision_take(w, ticket, plan, &req, &inf, e);

    if (rc != CORE_OK)
        return rc;
    if (req.kind != COMPUTE_DECIDE_INITIAL && !proto_inf_may_replan(inf))
        return CORE_OK;
    inf->state_used = req.state;
    if (req.kind == COMPUTE_DECIDE_INITIAL)
        run_plan(w, inf, plan, &req);
    else
        adopt_plan(w, inf, plan, &req);
    return CORE_OK;
}
