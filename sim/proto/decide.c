/*
 * decide.c — the decision seam: a decision request built from what the UE
 * knows, handed to a decider, answered now or parked until answered.
 *
 * A request carries the problem, the state (the network's report with the
 * waits the UE measures at its own options), the UE's own load, battery and
 * channel, and for a re-decision the plan in force with how much of it has
 * started (DESIGN.md "Decision"); for a UE decider that decides on the truth
 * (an oracle: proto_decider.truth), the truth as well: the problem as the
 * world executes it and the state as it is at the request (DESIGN.md "Truth
 * and model"). The UE's decider answers INITIAL, UPDATE
 * and ADAPT requests; the network device's answers OVERRIDE ones. Every plan
 * must pass compute_plan_check, or the run fails: a decider that breaks its
 * contract is a bug, not input.
 *
 * Parking. A decider may answer INITIAL and UPDATE requests later. The
 * request is kept (oldest first) with a ticket; the inference waits
 * (DECIDING) or goes on under its plan in force (UPDATE), and the engine is
 * asked to stop after the event, so that a driver can have the answer at
 * that very boundary. proto_collab_world_answer takes it back in: the first
 * plan starts the inference, a re-decision's plan is adopted as any other.
 * An inference that restarts or ends drops its parked request, and a newer
 * request of the same inference supersedes it: answering a dropped ticket
 * is an input error, never a broken invariant.
 */
#include "proto/proto_int.h"

#include <math.h>
#include <string.h>

/* The UE's own load: busy units over all units of its resources. */
static double ue_load(const struct proto_collab_world *w, const struct proto_ue *ue)
{
    const struct proto_side *dev = &w->cfg->devices[ue->device];
    uint32_t busy = 0, units = 0;

    for (size_t i = 0; i < dev->n_instances; i++) {
        busy += compute_server_busy(ue->server[i]);
        units += compute_server_units(ue->server[i]);
    }
    return (double)busy / (double)units;
}

double proto_ue_load(const struct proto_collab_world *w, const struct proto_ue *ue)
{
    return ue_load(w, ue);
}

/* req's truth (compute_decision): the problem as the world executes it, and
 * the state as it is now: the edge's waits from its servers' backlogs, the
 * radio's figures (req's UE waits are measured now already); the rest as
 * req's state. */
static void fill_truth(struct proto_collab_world *w, const struct proto_inf *inf,
                       struct compute_decision *req)
{
    const struct compute_problem *p = req->problem;
    const struct proto_net *net = &w->nets[inf->cell];
    double now = core_engine_now(w->eng), sinr_db;

    req->truth_problem = proto_inf_base_truth(w, inf);
    req->truth = req->state;
    for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_EDGE]; o++)
        req->truth.wait_s[COMPUTE_SIDE_EDGE][o] = proto_net_instance_wait_s(
            w, net, p->options[COMPUTE_SIDE_EDGE][o].resource, now);
    proto_net_radio(w, inf->ue, &req->truth, &sinr_db);
}

void proto_decision_request(struct proto_collab_world *w, struct proto_inf *inf,
                            enum compute_decision_kind kind, const struct compute_state *st,
                            struct compute_decision *req)
{
    const struct compute_problem *p = proto_inf_base_problem(w, inf);
    struct proto_ue *ue = &w->ues[inf->ue];
    double now = core_engine_now(w->eng);

    memset(req, 0, sizeof(*req));
    req->kind = kind;
    req->problem = p;
    req->state = *st;
    if (kind != COMPUTE_DECIDE_OVERRIDE)
        for (size_t o = 0; o < p->n_options[COMPUTE_SIDE_UE]; o++)
            req->state.wait_s[COMPUTE_SIDE_UE][o] = compute_server_backlog_s(
                ue->server[p->options[COMPUTE_SIDE_UE][o].resource], now);
    /* An adaptation answers the a3 that took layers back: its plan is the
     * constraint, the positions the UE has started are kept. */
    req->current = kind == COMPUTE_DECIDE_INITIAL ? NULL
                   : kind == COMPUTE_DECIDE_ADAPT ? &inf->plan_a3
                                                  : &inf->plan;
    req->started = kind == COMPUTE_DECIDE_UPDATE || kind == COMPUTE_DECIDE_ADAPT ? inf->ue_pos
                   : kind == COMPUTE_DECIDE_OVERRIDE ? inf->plan.n_ue
                                                     : 0;
    req->inference_id = inf->id;
    req->ue = inf->ue;
    req->cell = inf->cell;
    req->device = inf->device;
    req->model = inf->model;
    req->workload = inf->workload;
    req->t_s = now;
    req->deadline_s = inf->deadline_s;
    req->t_request_s = inf->t_request_s;
    req->ue_load = ue_load(w, ue);
    req->battery_j = ue->battery_j;
    req->ul_sinr_db = ue->last_sinr_db;
    proto_feedback_window(w, inf->ue, &req->window);
    if (kind != COMPUTE_DECIDE_OVERRIDE && w->ue_decider.truth)
        fill_truth(w, inf, req);
}

/* Park req for inf; false (the run failed) when out of memory. */
static bool park(struct proto_collab_world *w, struct proto_inf *inf,
                 const struct compute_decision *req)
{
    struct proto_parked *p;

    proto_decision_drop(w, inf); /* a newer request supersedes one still parked */
    if (w->n_parked == w->cap_parked) {
        size_t cap = w->cap_parked ? 2 * w->cap_parked : 16;
        struct proto_parked *grown = core_realloc(w->parked, cap * sizeof(*grown));

        if (!grown) {
            core_engine_fail(w->eng, CORE_E_NOMEM, "out of memory for parked decisions");
            return false;
        }
        w->parked = grown;
        w->cap_parked = cap;
    }
    p = &w->parked[w->n_parked++];
    p->ticket = w->next_ticket++;
    p->inf_slot = inf->slot;
    p->inf_gen = inf->gen;
    p->req = *req;
    if (req->current) {
        p->cur = *req->current;
        p->req.current = NULL; /* set when read: the array may move */
    }
    inf->ticket = p->ticket;
    w->stats.parked++;
    core_engine_request_stop(w->eng);
    return true;
}

/* The layer a UE-only request leaves to the UE that no UE option runs
 * (-1: none, or the request is not UE-only). */
static int32_t ue_cannot_run(const struct compute_decision *req)
{
    if (req->kind == COMPUTE_DECIDE_ADAPT)
        return compute_plan_unsupported(req->problem, COMPUTE_SIDE_UE, req->current,
                                        req->started, req->current->n_ue);
    if (req->kind != COMPUTE_DECIDE_OVERRIDE && !req->state.edge_available)
        return compute_problem_unsupported(req->problem, COMPUTE_SIDE_UE, NULL, 0);
    return -1;
}

/* Whether a4 out keeps the constraint of its a3 req->current. */
static bool a4_keeps(const struct compute_decision *req, const struct compute_plan *out)
{
    const struct compute_plan *a3 = req->current;

    if (out->exit != a3->exit || out->n_layers != a3->n_layers || out->n_ue != a3->n_ue ||
        memcmp(out->order, a3->order, a3->n_layers * sizeof(a3->order[0])) != 0)
        return false;
    for (uint32_t k = 0; k < a3->n_layers; k++)
        if ((k < req->started || k >= a3->n_ue) &&
            out->option[a3->order[k]] != a3->option[a3->order[k]])
            return false;
    return true;
}

/* Check an a3 out that takes layers back: the plan's order, and every edge
 * position on an edge option that runs it; false (the run failed) else. */
static bool a3_check(struct proto_collab_world *w, const struct compute_decision *req,
                     const struct compute_plan *out)
{
    const struct compute_problem *p = compute_plan_problem(req->problem, out);

    if (out->exit != req->current->exit || out->n_layers != req->current->n_layers || out->n_ue > out->n_layers ||
        memcmp(out->order, req->current->order, out->n_layers * sizeof(out->order[0])) != 0) {
        core_engine_fail(w->eng, CORE_E_RUNTIME,
                         "a network decider's a3 changes the plan's order of layers");
        return false;
    }
    for (uint32_t k = out->n_ue; k < out->n_layers; k++) {
        uint32_t l = out->order[k];

        if (out->option[l] >= p->n_options[COMPUTE_SIDE_EDGE] ||
            isinf(compute_problem_latency_s(p, COMPUTE_SIDE_EDGE, out->option[l], l))) {
            core_engine_fail(w->eng, CORE_E_RUNTIME,
                             "a network decider's a3 puts a layer on an edge option that does "
                             "not run it");
            return false;
        }
    }
    return true;
}

enum proto_decided proto_decide(struct proto_collab_world *w, struct proto_inf *inf,
                                const struct compute_decision *req, struct compute_plan *out)
{
    const struct proto_decider *d =
        req->kind == COMPUTE_DECIDE_OVERRIDE ? &w->net_decider : &w->ue_decider;
    struct core_err e;
    bool later = false;

    inf->no_plan_layer = ue_cannot_run(req);
    if (inf->no_plan_layer >= 0)
        return PROTO_NO_PLAN;
    core_err_clear(&e);
    if (d->decide(d->ctx, req, w->ues[inf->ue].decision, out, &later, &e) != CORE_OK) {
        core_engine_fail(w->eng, e.rc == CORE_OK ? CORE_E_RUNTIME : e.rc, e.msg);
        return PROTO_RUN_FAILED;
    }
    if (later) {
        if (req->kind == COMPUTE_DECIDE_OVERRIDE || req->kind == COMPUTE_DECIDE_ADAPT) {
            core_engine_fail(w->eng, CORE_E_RUNTIME,
                             "a decider asked to answer an override or adaptation later");
            return PROTO_RUN_FAILED;
        }
        return park(w, inf, req) ? PROTO_PARKED : PROTO_RUN_FAILED;
    }
    /* An a3 that takes layers back (a later cut) leaves their options to the
     * UE's a4: its own part is checked, its order must be the plan's. */
    if (req->kind == COMPUTE_DECIDE_OVERRIDE && out->n_ue > req->current->n_ue)
        return a3_check(w, req, out) ? PROTO_DECIDED : PROTO_RUN_FAILED;
    /* An a4 keeps its a3: the same order and cut, the edge part's options
     * and the started positions' as they were. */
    if (req->kind == COMPUTE_DECIDE_ADAPT && !a4_keeps(req, out)) {
        core_engine_fail(w->eng, CORE_E_RUNTIME,
                         "a decider's a4 does not keep the cut, order and edge part of its a3");
        return PROTO_RUN_FAILED;
    }
    /* An override that confirms the plan in force, checked when it was
     * decided, needs no second check while the edge is still offered. */
    if (req->kind == COMPUTE_DECIDE_OVERRIDE && req->current && req->state.edge_available &&
        compute_plan_equal(out, req->current))
        return PROTO_DECIDED;
    if (compute_plan_check(req->problem, out,
                           req->kind == COMPUTE_DECIDE_ADAPT ? out->n_ue < out->n_layers
                                                             : req->state.edge_available,
                           &e) != CORE_OK) {
        core_engine_fail(w->eng, e.rc == CORE_OK ? CORE_E_RUNTIME : e.rc, e.msg);
        return PROTO_RUN_FAILED;
    }
    return PROTO_DECIDED;
}

/* ---- answering later ---------------------------------------------------------------- */

size_t proto_collab_world_parked(const struct proto_collab_world *w)
{
    return w->n_parked;
}

const struct compute_decision *proto_collab_world_parked_at(const struct proto_collab_world *w,
                                                            size_t i, uint64_t *ticket)
{
    struct proto_parked *p;

    CORE_ASSERT(i < w->n_parked);
    p = &w->parked[i];
    p->req.current = p->req.kind == COMPUTE_DECIDE_INITIAL ? NULL : &p->cur;
    if (ticket)
        *ticket = p->ticket;
    return &p->req;
}

/* Drop parked entry i (keeping the order of the rest). */
static void unpark(struct proto_collab_world *w, size_t i)
{
    memmove(&w->parked[i], &w->parked[i + 1], (w->n_parked - i - 1) * sizeof(*w->parked));
    w->n_parked--;
}

void proto_decision_drop(struct proto_collab_world *w, struct proto_inf *inf)
{
    for (size_t i = 0; inf->ticket != 0 && i < w->n_parked; i++)
        if (w->parked[i].ticket == inf->ticket) {
            unpark(w, i);
            break;
        }
    inf->ticket = 0;
}

enum core_rc proto_decision_take(struct proto_collab_world *w, uint64_t ticket,
                                 const struct compute_plan *plan, struct compute_decision *req,
                                 struct proto_inf **inf, struct core_err *e)
{
    size_t i;

    for (i = 0; i < w->n_parked && w->parked[i].ticket != ticket; i++)
        ;
    if (i == w->n_parked)
        return core_err(e, CORE_E_INPUT, "no parked decision has ticket %llu",
                        (unsigned long long)ticket);
    *req = w->parked[i].req;
    *inf = proto_inf_find(w, w->parked[i].inf_slot, w->parked[i].inf_gen);
    CORE_ASSERT(*inf != NULL && (*inf)->ticket == ticket); /* an inference drops its own */
    if (compute_plan_check(req->problem, plan, req->state.edge_available, e) != CORE_OK)
        return e->rc;
    unpark(w, i);
    (*inf)->ticket = 0;
    return CORE_OK;
}
