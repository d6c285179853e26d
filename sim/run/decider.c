/*
 * decider.c — a policy as the UEs' decider (proto's decision seam): one
 * solver per (device class, model) problem, prepared once at the start of a
 * run (policy_solver_create: joint enumerates a DAG's cuts there);
 * INITIAL, UPDATE and ADAPT requests (a4, under the a3's constraint:
 * policy_solver_adapt) are the policy's decisions. A policy that decides
 * on the truth (policy_truth: the oracle) has its solvers prepared on the
 * problems' truths and is handed each request's truth (the world fills it,
 * told so by the decider), its a4 included. Built-in policies
 * always answer at once. A policy that learns (policy_observes) hears every
 * outcome of its problems as it happens, in compute's terms
 * (run_decider_observe; the sinks call it).
 */
#include "run/run_int.h"

#include <string.h>

static enum core_rc decide(void *ctx, const struct compute_decision *req, struct core_rng *rng,
                           struct compute_plan *out, bool *later, struct core_err *e)
{
    struct run_decider *d = ctx;
    struct compute_decision truth;

    *later = false;
    if (d->truth) { /* the same request, told the truth */
        CORE_ASSERT(req->truth_problem != NULL); /* the world fills it: decider.truth */
        truth = *req;
        truth.problem = req->truth_problem;
        truth.state = req->truth;
        req = &truth;
    }
    if (req->kind == COMPUTE_DECIDE_ADAPT)
        return policy_solver_adapt(d->solver[req->device * d->n_models + req->model], req, rng,
                                   out, e);
    return policy_decide(d->solver[req->device * d->n_models + req->model], &req->state, rng,
                         out, e);
}

enum core_rc run_decider_init(struct run_decider *d, enum policy_kind kind,
                              const struct run_assembly *a, struct core_err *e)
{
    memset(d, 0, sizeof(*d));
    d->exact = true;
    d->n_models = a->n_models;
    d->n_problems = a->n_devices * a->n_models;
    d->solver = core_calloc(d->n_problems ? d->n_problems : 1, sizeof(*d->solver));
    if (!d->solver)
        return core_err(e, CORE_E_NOMEM, "out of memory for the policy");
    d->truth = policy_truth(kind);
    for (size_t i = 0; i < d->n_problems; i++) {
        if (!a->problem_of[i])
            continue; /* no UE of this class runs this model */
        d->solver[i] = policy_solver_create(kind, d->truth ? a->truth_of[i] : a->problem_of[i], e);
        if (!d->solver[i]) {
            run_decider_fini(d);
            return e->rc;
        }
        if (!policy_solver_exact(d->solver[i]))
            d->exact = false;
    }
    d->observes = policy_observes(kind);
    d->decider.decide = decide;
    d->decider.ctx = d;
    d->decider.truth = d->truth;
    d->decider.on_device = policy_on_device(kind);
    return CORE_OK;
}

void run_decider_fini(struct run_decider *d)
{
    for (size_t i = 0; d->solver && i < d->n_problems; i++)
        policy_solver_destroy(d->solver[i]);
    core_free(d->solver);
    memset(d, 0, sizeof(*d));
}

void run_decider_observe(struct run_decider *d, const struct proto_outcome *o)
{
    struct policy_solver *s = d->solver[o->device * d->n_models + o->model];
    const struct policy_feedback fb = {
        .problem = o->problem,
        .state = &o->state,
        .plan = &o->plan,
        .finished = o->finished,
        .latency_s = o->latency_s,
        .ue_energy_j = o->ue_energy_j,
        .edge_energy_j = o->edge_energy_j,
        .correct = o->correct,
    };

    CORE_ASSERT(s != NULL); /* an inference of a problem the run prepared */
    policy_observe(s, &fb);
}
