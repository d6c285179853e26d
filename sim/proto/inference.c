/*
 * inference.c — one collaborative inference: its states and the one way from
 * one to another, the segments of its plan, and its end.
 *
 * The states (proto_int.h) follow an inference from its request to its
 * result: the request and the reply on the air, the UE deciding (or waiting
 * for a decider that answers later), the UE computing its part while its a2
 * is on the uplink or after the network holds it, the upload, the edge's
 * part and the result on the downlink. A local plan (or a decline) is one
 * state, LOCAL, until the UE's part is done. When the network withdraws the
 * edge part on receiving a2 (a3), the UE does not know until a3 arrives: the
 * W_ states are those, and the TAKEN_BACK ones the UE computing the rest
 * itself (a4), possibly while an upload nobody uses is still on the air.
 *
 * proto_inf_to checks every move against the table below; a move it does not
 * list is a broken invariant (a bug), never something a scenario can cause.
 */
#include "proto/proto_int.h"

#include <math.h>
#include <string.h>

#include "nn/nn.h"

static const char *const state_names[] = {
    [PROTO_INF_FREE] = "free",
    [PROTO_INF_REQUESTING] = "requesting",
    [PROTO_INF_REPLYING] = "replying",
    [PROTO_INF_DECIDING] = "deciding",
    [PROTO_INF_COMPUTING] = "computing",
    [PROTO_INF_COMPUTING_A2_IN] = "computing-a2-in",
    [PROTO_INF_AWAITING_A2] = "awaiting-a2",
    [PROTO_INF_LOCAL] = "local",
    [PROTO_INF_UPLOADING] = "uploading",
    [PROTO_INF_AT_EDGE] = "at-edge",
    [PROTO_INF_RETURNING] = "returning",
    [PROTO_INF_W_COMPUTING] = "withdrawn-computing",
    [PROTO_INF_W_UPLOADING] = "withdrawn-uploading",
    [PROTO_INF_W_IDLE] = "withdrawn-idle",
    [PROTO_INF_TAKEN_BACK] = "taken-back",
};
static_assert(ARRAY_LEN(state_names) == PROTO_INF_STATE_COUNT, "one name per state");

#define S(x) (1u << PROTO_INF_##x)
/* The states a handover may restart from (its data has not reached the
 * edge and the UE does not compute everything itself). */
#define RESTARTABLE                                                                              \
    (S(REQUESTING) | S(REPLYING) | S(DECIDING) | S(COMPUTING) | S(COMPUTING_A2_IN) |            \
     S(AWAITING_A2) | S(UPLOADING) | S(W_COMPUTING) | S(W_UPLOADING) | S(W_IDLE))

/* allowed[from]: the states from may move to. */
static const uint32_t allowed[] = {
    [PROTO_INF_FREE] = S(REQUESTING),
    [PROTO_INF_REQUESTING] = S(REPLYING) | S(REQUESTING),
    [PROTO_INF_REPLYING] = S(DECIDING) | S(COMPUTING) | S(LOCAL) | S(REQUESTING) | S(FREE),
    [PROTO_INF_DECIDING] = S(COMPUTING) | S(LOCAL) | S(REQUESTING),
    [PROTO_INF_COMPUTING] = S(COMPUTING_A2_IN) | S(AWAITING_A2) | S(COMPUTING) | S(LOCAL) |
                            S(W_COMPUTING) | S(REQUESTING),
    [PROTO_INF_COMPUTING_A2_IN] = S(UPLOADING) | S(COMPUTING) | S(LOCAL) | S(W_COMPUTING) |
                                  S(REQUESTING),
    [PROTO_INF_AWAITING_A2] = S(UPLOADING) | S(COMPUTING) | S(LOCAL) | S(W_IDLE) | S(REQUESTING),
    [PROTO_INF_LOCAL] = S(FREE),
    [PROTO_INF_UPLOADING] = S(AT_EDGE) | S(W_UPLOADING) | S(REQUESTING),
    [PROTO_INF_AT_EDGE] = S(RETURNING),
    [PROTO_INF_RETURNING] = S(FREE),
    [PROTO_INF_W_COMPUTING] = S(W_UPLOADING) | S(TAKEN_BACK) | S(REQUESTING),
    [PROTO_INF_W_UPLOADING] = S(W_IDLE) | S(REQUESTING),
    [PROTO_INF_W_IDLE] = S(W_UPLOADING) | S(TAKEN_BACK) | S(REQUESTING),
    [PROTO_INF_TAKEN_BACK] = S(COMPUTING) | S(FREE),
};
static_assert(ARRAY_LEN(allowed) == PROTO_INF_STATE_COUNT, "one row per state");
static_assert(PROTO_INF_STATE_COUNT <= 32, "state sets are 32 bits");

const char *proto_inf_state_name(enum proto_inf_state s)
{
    CORE_ASSERT((unsigned)s < PROTO_INF_STATE_COUNT);
    return state_names[s];
}

bool proto_inf_move_allowed(enum proto_inf_state from, enum proto_inf_state to)
{
    return (unsigned)from < PROTO_INF_STATE_COUNT && (unsigned)to < PROTO_INF_STATE_COUNT &&
           (allowed[from] >> to) & 1u;
}

void proto_inf_to(struct proto_collab_world *w, struct proto_inf *inf, enum proto_inf_state to)
{
    CORE_ASSERT(proto_inf_move_allowed(inf->state, to));
    w->moves[inf->state][to]++;
    inf->state = to;
    proto_push_index_sync(w, inf);
}

bool proto_inf_may_replan(const struct proto_inf *inf)
{
    return ((S(COMPUTING) | S(COMPUTING_A2_IN) | S(AWAITING_A2)) >> inf->state) & 1u;
}

bool proto_inf_withdrawn(const struct proto_inf *inf)
{
    return ((S(W_COMPUTING) | S(W_UPLOADING) | S(W_IDLE) | S(TAKEN_BACK)) >> inf->state) & 1u;
}

bool proto_inf_restartable(const struct proto_inf *inf)
{
    return (RESTARTABLE >> inf->state) & 1u;
}

/* ---- segments ------------------------------------------------------------------- */

void proto_segment_at(struct proto_collab_world *w, struct proto_inf *inf, uint32_t pos,
                      struct compute_segment *out)
{
    const struct compute_problem *p = proto_inf_truth(w, inf);
    const struct compute_segment *segs = inf->segs;
    size_t n = inf->n_segs;

    if (n == 0) {
        if (compute_plan_n_segments(&inf->plan) > PROTO_SEG_CACHE) {
            /* Too many to keep: this one alone (a random plan's case). */
            compute_plan_segment_at(p, &inf->plan, pos, w->segs);
            segs = w->segs;
            n = 1;
        } else {
            n = compute_plan_segments(p, &inf->plan, w->segs);
            memcpy(inf->segs, w->segs, n * sizeof(*w->segs));
            inf->n_segs = (uint32_t)n;
            segs = inf->segs;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const struct compute_segment *sg = &segs[i];

        if (pos < sg->first || pos >= sg->first + sg->count)
            continue;
        *out = *sg;
        if (sg->first == pos)
            return;
        out->first = pos;
        out->count = sg->first + sg->count - pos;
        out->copy_s = 0.0;
        out->compute_s = 0.0;
        out->energy_j = 0.0;
        for (uint32_t k = pos; k < sg->first + sg->count; k++) {
            uint32_t layer = inf->plan.order[k];

            out->compute_s += compute_problem_latency_s(p, sg->side, sg->option, layer);
            out->energy_j += compute_problem_energy_j(p, sg->side, sg->option, layer);
        }
        return;
    }
    CORE_ASSERT(!"a plan position outside every segment");
}

double proto_jitter(struct proto_collab_world *w, struct core_rng *r)
{
    double j = w->cfg->inference.jitter, sigma;

    if (!(j > 0))
        return 1.0;
    sigma = sqrt(log1p(j * j));
    return core_rng_lognormal(r, -0.5 * sigma * sigma, sigma);
}

/* ---- the end --------------------------------------------------------------------- */

/* Emit inf's outcome to the sink (when it was requested after the warm-up):
 * finished at t_s, or (finished false) unfinished when the run stops at t_s. */
static void emit(struct proto_collab_world *w, const struct proto_inf *inf, double t_s,
                 bool finished)
{
    struct proto_outcome o;
    double elapsed = t_s - inf->t_request_s;

    if (!(inf->t_request_s >= w->cfg->sim.warmup_s) || !w->sink.outcome)
        return;
    memset(&o, 0, sizeof(o)); /* padding too: outcomes compare byte for byte */
    o.inference_id = inf->id;
    o.finished = finished;
    o.stage = finished ? NULL : inf->no_plan_layer >= 0 ? "no-plan" : state_names[inf->state];
    o.ue_id = inf->ue;
    o.cell_id = inf->cell;
    o.device = inf->device;
    o.model = inf->model;
    o.workload = inf->workload;
    o.split = (int32_t)inf->plan.n_ue;
    o.t_request_s = inf->t_request_s;
    o.t_done_s = finished ? t_s : NAN;
    o.latency_s = finished ? elapsed : NAN;
    o.ue_compute_s = inf->ue_compute_s;
    o.uplink_s = inf->uplink_s;
    o.edge_queue_s = inf->edge_queue_s;
    o.edge_compute_s = inf->edge_compute_s;
    o.downlink_s = inf->downlink_s;
    if (!finished && inf->state == PROTO_INF_UPLOADING) /* the upload under way */
        o.uplink_s += t_s - inf->t_sent_s;
    if (!finished && inf->state == PROTO_INF_RETURNING) /* the result under way */
        o.downlink_s += t_s - inf->t_sent_s;
    if (!finished && inf->seg_server) { /* the segment under way: its time so far */
        struct compute_job job;

        if (compute_server_job(inf->seg_server, inf->slot, inf->gen, &job)) {
            if (inf->seg_side == COMPUTE_SIDE_UE) {
                o.ue_compute_s += t_s - job.t_arrival_s;
            } else if (isnan(job.t_start_s)) {
                o.edge_queue_s += t_s - job.t_arrival_s;
            } else {
                o.edge_queue_s += job.t_start_s - job.t_arrival_s;
                o.edge_compute_s += t_s - job.t_start_s;
            }
        }
    }
    o.signaling_s = elapsed - (o.ue_compute_s + o.uplink_s + o.edge_queue_s + o.edge_compute_s +
                               o.downlink_s);
    o.ue_energy_j = inf->ue_energy_j;
    o.edge_energy_j = inf->edge_energy_j;
    o.deadline_s = inf->deadline_s;
    o.correct = -1;
    if (finished && inf->real_label >= 0) /* real mode: the class against the label */
        o.correct = inf->real_class == inf->real_label;
    if (finished && !isnan(inf->correct_u)) {
        /* Costed mode: correct with the measured accuracy of what ran. */
        double a = compute_plan_accuracy(proto_inf_problem(w, inf), &inf->plan);

        if (!isnan(a))
            o.correct = inf->correct_u < a;
    }
    o.result_class = finished ? inf->real_class : -1;
    o.declined = inf->decline != PROTO_DECLINE_NONE;
    o.decline = inf->decline;
    o.no_plan = inf->no_plan_layer >= 0;
    o.no_plan_layer = o.no_plan ? (uint32_t)inf->no_plan_layer : 0;
    o.overridden = inf->overridden;
    o.restarts = inf->restarts;
    o.deadline_met = finished && elapsed <= inf->deadline_s;
    o.problem = proto_inf_base_problem(w, inf); /* the plans name their exits on it */
    o.plan = inf->plan;
    o.plan_decided = inf->plan_decided;
    o.ue_load = inf->decided.ue_load;
    o.battery_j = inf->decided.battery_j;
    o.ul_sinr_db = inf->decided.ul_sinr_db;
    o.window = inf->decided.window;
    o.state = inf->decided.state;
    o.reward = finished ? proto_reward(&w->cfg->reward, o.correct < 0 ? NAN : o.correct,
                                       o.latency_s, o.ue_energy_j, o.edge_energy_j,
                                       o.deadline_met ? 0.0 : 1.0)
                        : NAN;
    w->sink.outcome(w->sink.ctx, &o);
}

void proto_ue_drain(struct proto_collab_world *w, uint32_t ue, double energy_j)
{
    struct proto_ue *u = &w->ues[ue];

    if (!(u->battery_j > 0))
        return;
    u->battery_j -= energy_j;
    if (!(u->battery_j > 0))
        w->stats.batteries_out++;
}

/* inf ends at t_s (finished: its result is in; else it failed, "no-plan"):
 * counted, off its UE's list, its outcome emitted, back to the pool. */
static void end(struct proto_collab_world *w, struct proto_inf *inf, double t_s, bool finished)
{
    struct proto_ue *ue = &w->ues[inf->ue];

    if (finished)
        w->stats.done++;
    else
        w->stats.no_plan++;
    w->stats.declined += inf->decline != PROTO_DECLINE_NONE;
    w->stats.overridden += inf->overridden;
    ue->in_flight--;
    if (inf->prev_of_ue != UINT32_MAX)
        w->infs[inf->prev_of_ue]->next_of_ue = inf->next_of_ue;
    else
        ue->first_inf = inf->next_of_ue;
    if (inf->next_of_ue != UINT32_MAX)
        w->infs[inf->next_of_ue]->prev_of_ue = inf->prev_of_ue;
    if (finished)
        proto_feedback_finished(w, inf, t_s - inf->t_request_s, -1,
                                t_s - inf->t_request_s <= inf->deadline_s);
    emit(w, inf, t_s, finished);
    proto_decision_drop(w, inf); /* a re-decision still parked has nothing to change */
    proto_inf_to(w, inf, PROTO_INF_FREE);
    proto_real_free(inf);
    proto_inf_put(w, inf);
}

void proto_inf_finish(struct proto_collab_world *w, struct proto_inf *inf, double t_s)
{
    end(w, inf, t_s, true);
}

void proto_inf_fail(struct proto_collab_world *w, struct proto_inf *inf, double t_s)
{
    CORE_ASSERT(inf->no_plan_layer >= 0);
    end(w, inf, t_s, false);
}

void proto_collab_world_end(struct proto_collab_world *w)
{
    double now = core_engine_now(w->eng);

    if (w->ended)
        return;
    w->ended = true;
    proto_ledger_emit(w);
    for (size_t i = 0; i < w->n_infs; i++)
        if (w->infs[i]->state != PROTO_INF_FREE) {
            emit(w, w->infs[i], now, false);
            w->stats.unfinished++;
        }
}
