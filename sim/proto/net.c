/*
 * net.c — the network device of one cell: the gNB and its edge node.
 *
 * On an inference request it gathers its state (DESIGN.md step 2): the RRM's
 * view of the UE's channel (radio_world_rrm: SINR, CQI, the rate one more
 * flow would get), the CRM's view of its compute resources (each edge
 * option's expected wait: the backlog of its instance's queue, infinite
 * while the scenario withdraws the instance), and the CPMM's per-(resource,
 * layer) predictions, which are the problem's tables. It admits the request
 * when some edge option can start within admission_wait_s, and replies agree
 * or decline with the state.
 *
 * On a2 it asks its own decider for an a3 (an OVERRIDE request through the
 * decision seam; by default proto_net_override below): a plan identical to
 * a2 lets a2 stand; one with the same split and other edge options remaps
 * the edge part (the UE acknowledges it with an update-ack); one with a
 * later cut hands the layers before it back (n_ue = n_layers: the whole
 * edge part), and the UE adapts (a4, through its decider) and answers with
 * the a2 of its a4, or an update-ack when it computes everything. Edge
 * segments run on the cell's shared servers in FIFO order, with optional
 * background work (Poisson jobs at a given share of an
 * instance's capacity). It pushes its state every push_period_s, and
 * whenever its load (busy units over all units) has moved by load_threshold
 * since the last push, to the UEs whose inferences may still re-plan an
 * edge part.
 */
#include "proto/proto_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void net_push(void *state, const struct core_event *ev, struct core_engine *eng);
static void net_background(void *state, const struct core_event *ev, struct core_engine *eng);
static void net_withdraw(void *state, const struct core_event *ev, struct core_engine *eng);
static void check_load_push(struct proto_collab_world *w, struct proto_net *net);
static bool a3_may_apply(const struct proto_inf *inf);
static void consider_a3(struct proto_collab_world *w, struct proto_net *net,
                        struct proto_inf *inf, const double *inst_wait_s);

static const core_handler_fn net_handlers[] = {
    [PROTO_NET_EV_PUSH] = net_push,
    [PROTO_NET_EV_BACKGROUND] = net_background,
    [PROTO_NET_EV_WITHDRAW] = net_withdraw,
};
static_assert(ARRAY_LEN(net_handlers) == PROTO_NET_EV_COUNT, "one handler per event");

const struct core_entity_type proto_net_type = {"proto_net", net_handlers, PROTO_NET_EV_COUNT};

#define BACKGROUND_JOB UINT64_MAX /* job id of background work */

static double background_rate_hz(const struct proto_side *edge, size_t i)
{
    const struct proto_instance *in = &edge->instances[i];

    return in->background_load * (double)in->units / in->background_job_s;
}

enum core_rc proto_net_start(struct proto_collab_world *w, struct proto_net *net)
{
    const struct proto_side *edge = &w->cfg->edge;
    union core_payload p = {0};

    if (w->cfg->protocol.push_period_s > 0 &&
        core_schedule_in(w->eng, w->cfg->protocol.push_period_s, net->entity, PROTO_NET_EV_PUSH,
                         0, p) == 0)
        return CORE_E_NOMEM;
    for (size_t i = 0; i < edge->n_instances; i++) {
        const struct proto_instance *in = &edge->instances[i];

        /* the moment the scenario withdraws an instance, the network reacts */
        if (in->withdrawn_until_s > in->withdrawn_from_s &&
            core_schedule_at(w->eng, fmax(in->withdrawn_from_s, core_engine_now(w->eng)),
                             net->entity, PROTO_NET_EV_WITHDRAW, 0, p) == 0)
            return CORE_E_NOMEM;
        if (!(in->background_load > 0))
            continue;
        p.u64 = i;
        if (core_schedule_in(w->eng,
                             core_rng_exponential(net->background[i],
                                                  1.0 / background_rate_hz(edge, i)),
                             net->entity, PROTO_NET_EV_BACKGROUND, 0, p) == 0)
            return CORE_E_NOMEM;
    }
    return CORE_OK;
}

static void net_background(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct proto_net *net = state;
    struct proto_collab_world *w = net->world;
    size_t i = (size_t)ev->data.u64;
    struct compute_job job = {0};

    job.id = BACKGROUND_JOB;
    job.owner = (uint32_t)i; /* its instance */
    job.t_arrival_s = ev->time_s;
    job.service_s =
        core_rng_exponential(net->background[i], w->cfg->edge.instances[i].background_job_s);
    job.units = 1;
    if (compute_server_submit(net->server[i], eng, &job) != CORE_OK) {
        core_engine_fail(eng, CORE_E_NOMEM, "out of memory growing an edge queue");
        return;
    }
    check_load_push(w, net); /* an arrival on a free unit moves the load too */
    core_schedule_in(eng, core_rng_exponential(net->background[i],
                                               1.0 / background_rate_hz(&w->cfg->edge, i)),
                     net->entity, PROTO_NET_EV_BACKGROUND, 0, ev->data);
}

void proto_net_send_state(struct proto_collab_world *w, struct proto_net *net,
                          struct proto_inf *inf)
{
    proto_net_state(w, net->cell, inf->ue, inf->model, &inf->pushed);
    proto_inf_set_push_on_air(w, inf, true);
    proto_send(w, inf->ue, net->cell, PROTO_MSG_STATE_UPDATE, inf);
}

static int slot_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* Gather into w->push_scratch, in pool-slot order, the inferences of net's
 * cell that push_state's walk below may act on: with a3_possible, every a2
 * the network holds before its edge part starts; and those that may
 * re-plan with no update on the air, of UEs open to a push (the gap since
 * their last push passed, or pushed at this instant). A UE closed now stays
 * closed through the walk (only a push to it moves its last push), and the
 * walk changes no inference but the one it is at, so the walk over these
 * in slot order does what a walk over the whole pool does. Returns how
 * many. */
static size_t gather(struct proto_collab_world *w, const struct proto_net *net,
                     bool a3_possible, double now, double gap)
{
    size_t n = 0;

    for (uint32_t gi = net->first_grp; gi != UINT32_MAX; gi = w->grps[gi].next_in_cell) {
        const struct proto_push_group *g = &w->grps[gi];
        const struct proto_ue *ue = &w->ues[g->ue];
        bool open = !(ue->last_push_s != now && now - ue->last_push_s < gap);

        if (a3_possible)
            for (uint32_t s = g->first[PROTO_PUSH_HELD]; s != UINT32_MAX;
                 s = w->infs[s]->grp_next[PROTO_PUSH_HELD])
                w->push_scratch[n++] = s;
        if (open)
            for (uint32_t s = g->first[PROTO_PUSH_READY]; s != UINT32_MAX;
                 s = w->infs[s]->grp_next[PROTO_PUSH_READY])
                /* COMPUTING_A2_IN is in both lists: gathered once */
                if (!(a3_possible && (w->infs[s]->in_list >> PROTO_PUSH_HELD) & 1u))
                    w->push_scratch[n++] = s;
    }
    if (n > 1) /* qsort's base may not be NULL, which the scratch is before first use */
        qsort(w->push_scratch, n, sizeof(*w->push_scratch), slot_cmp);
    return n;
}

/* Send a state update to every inference of this cell that may still
 * re-plan an edge part: once per instant at most, to a UE at most once per
 * push_gap_s, never a second one for an inference while one is on the air.
 * The edge's state moved: the a3 rule runs again on every a2 the network
 * holds whose edge part has not started (an a3 may come at any time before
 * it starts, not only as the a2 arrives). */
static void push_state(struct proto_collab_world *w, struct proto_net *net)
{
    double now = core_engine_now(w->eng), gap = w->cfg->protocol.push_gap_s;
    bool a3_possible = w->net_decider.decide != proto_net_override;
    size_t n;

    if (now == net->last_push_s)
        return;
    net->last_push_s = now;
    net->pushed_load = proto_net_load(w, net);
    /* The a3 rule below neither starts nor ends an edge job: every a2 is
     * judged on the same waits, evaluated once. The default rule lets every
     * a2 stand while no instance waits longer than override_wait_s. */
    for (size_t i = 0; i < w->cfg->edge.n_instances; i++) {
        net->push_wait_s[i] = proto_net_instance_wait_s(w, net, (uint32_t)i, now);
        if (net->push_wait_s[i] > w->cfg->protocol.override_wait_s)
            a3_possible = true;
    }
    n = gather(w, net, a3_possible, now, gap);
    for (size_t i = 0; i < n; i++) {
        struct proto_inf *inf = w->infs[w->push_scratch[i]];
        struct proto_ue *ue;

        if (inf->state == PROTO_INF_FREE || inf->cell != net->cell)
            continue;
        if (a3_possible && a3_may_apply(inf) && proto_inf_has_edge_part(inf)) {
            consider_a3(w, net, inf, net->push_wait_s);
            if (proto_inf_withdrawn(inf))
                continue;
        }
        if (inf->push_on_air || !proto_inf_may_replan(inf) || !proto_inf_has_edge_part(inf))
            continue;
        ue = &w->ues[inf->ue];
        if (ue->last_push_s != now && now - ue->last_push_s < gap)
            continue;
        ue->last_push_s = now;
        w->stats.state_pushes++;
        proto_net_send_state(w, net, inf);
    }
}

static void net_push(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct proto_net *net = state;
    struct proto_collab_world *w = net->world;

    push_state(w, net);
    core_schedule_in(eng, w->cfg->protocol.push_period_s, net->entity, PROTO_NET_EV_PUSH, 0,
                     ev->data);
}

/* An edge instance is withdrawn now: push the state, and the a3 rule runs
 * on the a2s the network holds. */
static void net_withdraw(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct proto_net *net = state;

    (void)ev, (void)eng;
    push_state(net->world, net);
}

static void check_load_push(struct proto_collab_world *w, struct proto_net *net)
{
    double th = w->cfg->protocol.load_threshold;

    if (th > 0 && fabs(proto_net_load(w, net) - net->pushed_load) >= th)
        push_state(w, net);
}

/* ---- a3: the network's rule ---------------------------------------------------------- */

enum core_rc proto_net_override(void *ctx, const struct compute_decision *req,
                                struct core_rng *rng, struct compute_plan *out, bool *later,
                                struct core_err *e)
{
    const struct proto_protocol_config *pc = ctx;
    const struct compute_plan *pl = req->current;
    const struct compute_problem *p = compute_plan_problem(req->problem, pl);
    const double *wait = req->state.wait_s[COMPUTE_SIDE_EDGE];
    double th = pc->override_wait_s;
    uint8_t choice[COMPUTE_PLAN_MAX_LAYERS];
    bool busy = false;
    uint32_t m;

    (void)rng, (void)e;
    *later = false;
    *out = *pl;
    for (uint32_t k = pl->n_ue; k < pl->n_layers; k++)
        if (wait[pl->option[pl->order[k]]] > th)
            busy = true;
    if (!busy)
        return CORE_OK; /* a2 stands */
    /* m: the first position from which on every layer has an edge option
     * within the threshold (its fastest such, waits included, in choice). */
    for (m = pl->n_layers; m > pl->n_ue; m--) {
        uint32_t layer = pl->order[m - 1];
        double best = INFINITY;

        for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_EDGE]; o++) {
            double c = wait[o] + compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, o, layer);

            if (wait[o] <= th && c < best) {
                best = c;
                choice[layer] = (uint8_t)o;
            }
        }
        if (!isfinite(best))
            break;
    }
    /* The layers before m go back to the UE (all of them: the edge part
     * withdrawn), if it can run them; else a2 stands. */
    for (uint32_t k = pl->n_ue; k < m; k++) {
        size_t o;

        for (o = 0; o < p->n_options[COMPUTE_SIDE_UE] &&
                    isinf(compute_problem_latency_s(p, COMPUTE_SIDE_UE, o, pl->order[k]));
             o++)
            continue;
        if (o == p->n_options[COMPUTE_SIDE_UE])
            return CORE_OK;
    }
    out->n_ue = m;
    for (uint32_t k = m; k < pl->n_layers; k++)
        out->option[pl->order[k]] = choice[pl->order[k]];
    return CORE_OK;
}

/* Move inf to the withdrawn state of where the UE is. */
static void withdraw(struct proto_collab_world *w, struct proto_inf *inf)
{
    switch (inf->state) {
    case PROTO_INF_COMPUTING:
    case PROTO_INF_COMPUTING_A2_IN:
        proto_inf_to(w, inf, PROTO_INF_W_COMPUTING);
        break;
    case PROTO_INF_AWAITING_A2:
        proto_inf_to(w, inf, PROTO_INF_W_IDLE);
        break;
    case PROTO_INF_UPLOADING:
        proto_inf_to(w, inf, PROTO_INF_W_UPLOADING);
        break;
    default:
        CORE_ASSERT(!"the edge part withdrawn in a state without one");
    }
}

/* ---- the edge's part ----------------------------------------------------------------- */

/* Start the edge segment at inf->edge_pos, or send the result. */
static void edge_next(struct proto_collab_world *w, struct proto_net *net, struct proto_inf *inf)
{
    struct compute_segment sg;
    struct compute_job job = {0};
    const struct compute_problem *p = proto_inf_problem(w, inf);

    if (inf->edge_pos >= inf->plan.n_layers) {
        if (inf->real_buf) {
            struct core_err e;

            if (proto_real_edge_part(w, inf, &e) != CORE_OK) {
                core_engine_fail(w->eng, e.rc, e.msg);
                return;
            }
        }
        proto_inf_to(w, inf, PROTO_INF_RETURNING);
        inf->t_sent_s = core_engine_now(w->eng);
        proto_send(w, inf->ue, net->cell, PROTO_MSG_RESULT, inf);
        return;
    }
    proto_segment_at(w, inf, inf->edge_pos, &sg);
    CORE_ASSERT(sg.side == COMPUTE_SIDE_EDGE);
    inf->seg_scale = proto_jitter(w, w->ues[inf->ue].jitter);
    inf->seg_energy_j = sg.energy_j * inf->seg_scale;
    job.id = inf->slot;
    job.owner = inf->gen;
    job.t_arrival_s = core_engine_now(w->eng);
    job.service_s = (sg.copy_s + sg.compute_s) * inf->seg_scale;
    job.units = w->cfg->edge.option_units[sg.option];
    inf->edge_pos = sg.first + sg.count;
    inf->seg_server = net->server[p->options[COMPUTE_SIDE_EDGE][sg.option].resource];
    inf->seg_side = COMPUTE_SIDE_EDGE;
    if (compute_server_submit(inf->seg_server, w->eng, &job) != CORE_OK) {
        core_engine_fail(w->eng, CORE_E_NOMEM, "out of memory growing an edge queue");
        return;
    }
    check_load_push(w, net);
}

void proto_net_job_done(void *ctx, const struct compute_job *job, double t_done_s,
                        struct core_engine *eng)
{
    struct proto_net *net = ctx;
    struct proto_collab_world *w = net->world;
    struct proto_inf *inf;

    (void)eng;
    if (job->id == BACKGROUND_JOB) {
        net->background_j[job->owner] +=
            w->cfg->edge.instances[job->owner].unit_power_w * job->service_s;
        check_load_push(w, net);
        return;
    }
    inf = proto_inf_find(w, (uint32_t)job->id, job->owner);
    if (!inf)
        return;
    for (size_t i = 0; i < w->cfg->edge.n_instances; i++)
        if (net->server[i] == inf->seg_server)
            net->compute_j[i] += inf->seg_energy_j;
    inf->seg_server = NULL;
    inf->edge_queue_s += job->t_start_s - job->t_arrival_s;
    inf->edge_compute_s += t_done_s - job->t_start_s;
    inf->edge_energy_j += inf->seg_energy_j;
    check_load_push(w, net);
    edge_next(w, net, inf);
}

/* ---- messages from the UE ---------------------------------------------------------------- */

void proto_net_on_request(struct proto_collab_world *w, struct proto_net *net,
                          struct proto_inf *inf)
{
    proto_net_state(w, net->cell, inf->ue, inf->model, &inf->state_used);
    inf->decline = proto_net_decline(w, &inf->state_used);
    proto_inf_to(w, inf, PROTO_INF_REPLYING);
    proto_send(w, inf->ue, net->cell, PROTO_MSG_REPLY, inf);
}

/* Whether the network holds inf's a2 and its edge part has not started:
 * the a3 rule may still apply. */
static bool a3_may_apply(const struct proto_inf *inf)
{
    return inf->state == PROTO_INF_COMPUTING_A2_IN || inf->state == PROTO_INF_UPLOADING;
}

/* Whether the default rule (proto_net_override) lets inf's a2 stand now:
 * none of the options of its edge part waits longer than override_wait_s.
 * The same waits and the same test as the rule's first step, without
 * building the request: push_state asks it of every a2 the network holds
 * at every move of the edge's state, which in an overloaded cell is most
 * of a run's work. inst_wait_s: each instance's wait now, or NULL to
 * evaluate each used option's once. */
static bool default_a2_stands(const struct proto_collab_world *w, const struct proto_net *net,
                              const struct proto_inf *inf, const double *inst_wait_s,
                              double now)
{
    const struct compute_problem *p = proto_inf_problem(w, inf);
    const struct compute_plan *pl = &inf->plan;
    double th = w->cfg->protocol.override_wait_s;
    bool used[COMPUTE_PLAN_MAX_OPTIONS] = {false};

    for (uint32_t k = pl->n_ue; k < pl->n_layers; k++)
        used[pl->option[pl->order[k]]] = true;
    for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_EDGE]; o++) {
        uint32_t res = p->options[COMPUTE_SIDE_EDGE][o].resource;

        if (used[o] &&
            (inst_wait_s ? inst_wait_s[res] : proto_net_instance_wait_s(w, net, res, now)) > th)
            return false;
    }
    return true;
}

/* The network's a3 rule on inf's edge part, under the edge's waits now
 * (inst_wait_s: each instance's, or NULL): a3 sent when it changes the
 * plan. */
static void consider_a3(struct proto_collab_world *w, struct proto_net *net,
                        struct proto_inf *inf, const double *inst_wait_s)
{
    struct compute_decision req;
    struct compute_plan a3;
    double now = core_engine_now(w->eng);

    if (w->net_decider.decide == proto_net_override && default_a2_stands(w, net, inf, inst_wait_s, now)) {
        inf->no_plan_layer = -1; /* as proto_decide sets it for an override */
        return;
    }
    proto_decision_request(w, inf, COMPUTE_DECIDE_OVERRIDE, &inf->state_used, &req);
    req.state.edge_available = true;
    for (size_t o = 0; o < req.problem->n_options[COMPUTE_SIDE_EDGE]; o++)
        req.state.wait_s[COMPUTE_SIDE_EDGE][o] = proto_net_instance_wait_s(
            w, net, req.problem->options[COMPUTE_SIDE_EDGE][o].resource, now);
    if (proto_decide(w, inf, &req, &a3) != PROTO_DECIDED)
        return;
    if (a3.n_ue == inf->plan.n_ue &&
        memcmp(a3.option, inf->plan.option, a3.n_layers * sizeof(a3.option[0])) == 0)
        return; /* a2 stands */
    inf->overridden = true;
    inf->n_segs = 0;
    if (a3.n_ue > inf->plan.n_ue) {
        /* Layers taken back: the edge part is off (the W_ states) until the
         * UE's a4 says what it computes; the network expects the upload
         * at the a3's cut, or none. */
        w->stats.handed_back += a3.n_ue < a3.n_layers;
        inf->plan_a3 = a3;
        withdraw(w, inf);
    } else {
        memcpy(inf->plan.option, a3.option, a3.n_layers * sizeof(a3.option[0]));
    }
    proto_send(w, inf->ue, net->cell, PROTO_MSG_UPDATE, inf);
}

void proto_net_on_decision(struct proto_collab_world *w, struct proto_net *net,
                           struct proto_inf *inf)
{
    if (proto_inf_withdrawn(inf) || !proto_inf_has_edge_part(inf) ||
        inf->state == PROTO_INF_AT_EDGE || inf->state == PROTO_INF_RETURNING)
        return; /* an a2 that no longer applies */
    consider_a3(w, net, inf, NULL);
}

void proto_net_on_intermediate(struct proto_collab_world *w, struct proto_net *net,
                               struct proto_inf *inf)
{
    if (inf->state != PROTO_INF_UPLOADING)
        return; /* the edge gave this inference up in a3 */
    proto_inf_to(w, inf, PROTO_INF_AT_EDGE);
    inf->edge_pos = inf->plan.n_ue;
    edge_next(w, net, inf);
}

void proto_net_on_update_ack(struct proto_collab_world *w, struct proto_net *net,
                             struct proto_inf *inf)
{
    (void)net, (void)inf;
    w->stats.a3_acks++;
}

void proto_net_on_state_request(struct proto_collab_world *w, struct proto_net *net,
                                struct proto_inf *inf)
{
    w->stats.state_requests++;
    if (!inf->push_on_air)
        proto_net_send_state(w, net, inf);
}
