/*
 * decider.c — a policy as the UEs' decider (proto's decision seam): one
 * solver per (device class, model) problem, prepared once at the start of a
 * run (policy_solver_create: joint enumerates a DAG's cuts there);
 * INITIAL, UPDATE and ADAPT requests (a4, under the a3's constraint:
 * policy_solver_adapt) are the policy's decisions. A policy that decides
 * on the truth (policy_truth: the oracle) has its solvers prepared on the
 * problems' truths and is handed each request's truth (the world fills it,
 * told so by the decider), its a4 included. Built-in policies
 * always answer at once. With <exploration>, any policy's INITIAL and
 * UPDATE plans are explored around (policy_explore), each UE drawing from
 * its own exploration stream. rl decides with the run's agent, its network
 * for each (model, device class) bound to the scenario's problem (the
 * action-space signature checked). A policy that learns (policy_observes) hears every
 * outcome of its problems as it happens, in compute's terms
 * (run_decider_observe; the sinks call it).
 */
#include "run/run_int.h"

#include <string.h>

/* Explore around the policy's plan (INITIAL and UPDATE requests) from the
 * UE's own exploration stream, made at its first use (a stream is a
 * function of seed, UE and purpose: when it is made changes nothing). */
static enum core_rc explore(struct run_decider *d, const struct policy_solver *s,
                            const struct compute_decision *req, struct compute_plan *out,
                            struct core_err *e)
{
    struct core_rng **r;

    CORE_ASSERT(req->ue < d->n_ues); /* the world's UEs are the scenario's */
    r = &d->explore_rng[req->ue];
    if (!*r) {
        *r = core_rng_create(d->seed, core_rng_entity(CORE_RNG_ENTITY_UE, req->ue, 0),
                             CORE_RNG_EXPLORATION);
        if (!*r)
            return core_err(e, CORE_E_NOMEM, "out of memory for exploration streams");
    }
    policy_explore(s, &req->state, &d->explore, *r, out);
    return CORE_OK;
}

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
    struct policy_solver *s = d->solver[req->device * d->n_models + req->model];
    enum core_rc rc;

    if (req->kind == COMPUTE_DECIDE_ADAPT)
        return policy_solver_adapt(s, req, rng, out, e);
    rc = policy_decide_request(s, req, rng, out, e);
    if (rc == CORE_OK && d->exploring)
        rc = explore(d, s, req, out, e);
    return rc;
}

/* The solver of policy kind for problem i (device d, model m) of a; with
 * the agent's problem for (model, device), bound to it, when kind needs
 * an agent. */
static struct policy_solver *solver_for(enum policy_kind kind, const struct run_assembly *a,
                                        const struct compute_problem *p, size_t d, size_t m,
                                        struct policy_agent *agent, struct core_err *e)
{
    const char *model = a->models[m].name, *device = run_device_name(a, d);
    int k;

    if (!policy_needs_agent(kind))
        return policy_solver_create(kind, p, e);
    k = policy_agent_find(agent, model, device);
    if (k < 0) {
        core_err(e, CORE_E_INPUT,
                 "the agent has no network for model '%s' on device class '%s' (train it on "
                 "samples of this scenario)",
                 model, device);
        return NULL;
    }
    if (policy_agent_bind(agent, (size_t)k, p, (uint32_t)policy_state_size(p), e) != CORE_OK)
        return NULL;
    return policy_solver_create_agent(kind, p, agent, (uint32_t)k, e);
}

enum core_rc run_decider_init(struct run_decider *d, enum policy_kind kind,
                              const struct run_assembly *a, struct policy_agent *agent,
                              struct core_err *e)
{
    memset(d, 0, sizeof(*d));
    d->exact = true;
    d->n_models = a->n_models;
    d->n_problems = a->n_devices * a->n_models;
    d->solver = core_calloc(d->n_problems ? d->n_problems : 1, sizeof(*d->solver));
    if (!d->solver)
        return core_err(e, CORE_E_NOMEM, "out of memory for the policy");
    d->truth = policy_truth(kind);
    if (policy_needs_agent(kind) && !agent) {
        run_decider_fini(d);
        return core_err(e, CORE_E_USAGE, "policy %s needs an agent (--agent FILE)",
                        policy_kind_name(kind));
    }
    for (size_t i = 0; i < d->n_problems; i++) {
        if (!a->problem_of[i])
            continue; /* no UE of this class runs this model */
        d->solver[i] = solver_for(kind, a, d->truth ? a->truth_of[i] : a->problem_of[i],
                                  i / a->n_models, i % a->n_models, agent, e);
        if (!d->solver[i]) {
            run_decider_fini(d);
            return e->rc;
        }
        if (!policy_solver_exact(d->solver[i]))
            d->exact = false;
    }
    d->explore = a->explore;
    d->exploring = a->explore.split > 0 || a->explore.option > 0;
    d->seed = a->sim.seed;
    for (size_t g = 0; g < a->radio.n_groups; g++)
        d->n_ues += (size_t)a->groups[g].n_ues;
    if (d->exploring) {
        d->explore_rng = core_calloc(d->n_ues ? d->n_ues : 1, sizeof(*d->explore_rng));
        if (!d->explore_rng) {
            run_decider_fini(d);
            return core_err(e, CORE_E_NOMEM, "out of memory for exploration streams");
        }
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
    for (size_t u = 0; d->explore_rng && u < d->n_ues; u++)
        core_rng_destroy(d->explore_rng[u]);
    core_free(d->explore_rng);
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
