/*
 * policy.h — the whole public face of sim/policy: the decision makers that
 * turn a compute_problem (compute.h, "The allocation problem") and the state
 * of the moment into a compute_plan — which layers the UE runs, which the
 * edge runs, and on which option of its side each layer runs.
 *
 * Policies. Each is one row of a table indexed by enum policy_kind (ops.c:
 * its name, its one-line help, whether it is the default, and its create /
 * decide / observe / destroy); every list of names, the default and the help
 * `coinfer run --help` prints come from it. The built-ins:
 *  - local:         everything on the UE, the best UE option per layer
 *                   (copies counted);
 *  - edge:          everything on the edge, the raw input sent uplink, the
 *                   best edge option per layer;
 *  - resource:      no split: the whole model on one option of either
 *                   side, the best (AutoScale-style);
 *  - split:         Neurosurgeon as published: the best split point among
 *                   the prefixes of the problem's topological order, each
 *                   side's part on one option of that side, the best pair
 *                   chosen per decision;
 *  - split-default: the same split with each side's part on its declared
 *                   default option;
 *  - joint:         the method's own: the best cut AND per-layer option
 *                   mapping on both sides, decided together (the default);
 *  - oracle:        joint on the truth (DESIGN.md "Truth and model"): its
 *                   solver is prepared on the problem as the world executes
 *                   it and decides on the state as it is (policy_truth; the
 *                   caller hands them over: compute_decision's truth);
 *  - random:        a uniform valid cut, then a uniform supporting option
 *                   per layer on its side.
 * Where the option resource, split or split-default put a part on cannot
 * run one of its layers, that layer runs on the side's fastest option that
 * can (fewest seconds alone), as a mobile framework hands what its delegate
 * cannot run back to another processor.
 *
 * The ablation lattice. Under the problem and the state a decision is made
 * on (each policy's objective as compute_plan_cost prices it; the oracle is
 * joint, on the truth):
 * joint <= every other policy (its family holds every prefix and random's
 * every cut, and it minimises over every supporting option of every
 * layer); split <= split-default and split <= resource (their plans are
 * among split's, priced by the same code); min(local, edge) <= resource
 * (local and edge give each layer the best option of their side, resource
 * one option to all). local, edge, resource and split are otherwise
 * unordered. When the state says the edge is not available every policy
 * returns the local plan. Every plan passes compute_plan_check.
 *
 * Cuts. The UE's part is a set of layers closed under predecessors (an
 * ideal of the DAG); a plan runs it in increasing layer index, then the rest
 * in increasing layer index. A solver works over a family of cuts prepared
 * at creation: every ideal for joint and random when the model has at most
 * POLICY_CUTS_MAX of them (counted by a bounded enumeration), else (and
 * always for the others) the n + 1 prefixes of the layer order,
 * the chain relaxation. policy_solver_exact says whether the family is every
 * cut of the model (always so for a chain, where every layer i > 0 reads
 * layer i - 1).
 *
 * Exactness of joint. For a fixed order every term of the cost model
 * is local to one position or one boundary: a layer's latency and energy
 * depend on its own option; a copy at boundary k on the options at k - 1
 * and k and on the bytes crossing k, which the cut and order fix; a wait on
 * whether positions k - 1 and k share side and option; the uplink on the
 * cut's crossing bytes; the downlink and signalling on nothing. The
 * objective is therefore the length of a path through the positions'
 * (side, option) pairs whose edge weights depend only on the two endpoints,
 * and a shortest path (dynamic programming over positions, minimum over the
 * predecessor's option) is the minimum over every option assignment. The
 * first k positions of the UE part of cut I are themselves a cut (I's k
 * lowest layers), and so are I plus the first k positions of the edge part;
 * crossing bytes depend only on the set before the boundary. So the forward
 * DP of the UE part is computed once per cut J, from J minus its highest
 * layer, and the backward DP of the edge part once per cut I, from I plus the
 * lowest layer outside it; a decision costs O(cuts x options^2), and taking
 * the best cut of the family gives the exact optimum over it.
 *
 * A solver borrows its problem (which must outlive it and not change), holds
 * all its scratch, and allocates nothing per decision. Not thread-safe: one
 * solver per thread.
 */
#ifndef COINFER_POLICY_H
#define COINFER_POLICY_H

#include "compute/compute.h"
#include "core/core.h"

#define POLICY_CUTS_MAX 20000 /* ideals enumerated before the chain relaxation */

enum policy_kind {
    POLICY_LOCAL,
    POLICY_EDGE,
    POLICY_RESOURCE,
    POLICY_SPLIT,
    POLICY_SPLIT_DEFAULT,
    POLICY_JOINT,
    POLICY_ORACLE,
    POLICY_RANDOM,
    POLICY_KIND_COUNT
};

/* ---- the table's facts (ops.c) -------------------------------------------------- */

/* "local", "edge", "resource", "split", "split-default", "joint", "oracle",
 * "random"; "?" for no kind. Every
 * policy's name is policy_kind_name(k) for k < POLICY_KIND_COUNT. */
const char *policy_kind_name(enum policy_kind k);
/* One line saying what policy k does (what `coinfer run --help` prints). */
const char *policy_help(enum policy_kind k);
/* The policy a run takes when none is named: joint. */
enum policy_kind policy_default(void);
/* The kind named name: true with it in *k, else false. */
bool policy_kind_find(const char *name, enum policy_kind *k);
/* True when policy k's plan is the best of its family of cuts, so that
 * policy_solver_exact says whether it is the exact optimum (joint). */
bool policy_optimal(enum policy_kind k);
/* True when policy k learns from how its decisions turned out (it has an
 * observe; no built-in does): only then is it worth handing it outcomes. */
bool policy_observes(enum policy_kind k);
/* True when policy k decides on the truth (the oracle): create its solver on
 * a problem's truth (the same layers and options priced as the world
 * executes them) and hand policy_decide the true state. Its decisions then
 * follow the ablation lattice under the truth, not the predictions. */
bool policy_truth(enum policy_kind k);
/* True when policy k never uses the network (local): its UE decides at once
 * on its own state, the edge not offered, and sends no message. */
bool policy_on_device(enum policy_kind k);

struct policy_solver;

/* Prepare policy k for problem p (borrowed). Returns it owned, or NULL with
 * *e set: CORE_E_INPUT when p fails compute_problem_check or the policy has
 * no valid plan with the edge available (a layer no option of the side it
 * must run on supports: local with a layer no UE option supports, edge with
 * one no edge option supports, ...), CORE_E_NOMEM. */
struct policy_solver *policy_solver_create(enum policy_kind k, const struct compute_problem *p,
                                           struct core_err *e);
void policy_solver_destroy(struct policy_solver *s); /* NULL is a no-op */

/* Decide under state st into *out. rng (borrowed) is drawn from by random
 * only (may be NULL for the others). CORE_E_RUNTIME when the edge is not
 * available and some layer has no UE option. Allocates nothing. */
enum core_rc policy_decide(struct policy_solver *s, const struct compute_state *st,
                           struct core_rng *rng, struct compute_plan *out, struct core_err *e);

enum policy_kind policy_solver_kind(const struct policy_solver *s);
/* True when the solver's cuts are every cut of the model (see above). */
bool policy_solver_exact(const struct policy_solver *s);
/* Cuts in the solver's family (ideals, or n + 1 prefixes). */
size_t policy_solver_cuts(const struct policy_solver *s);

/* How one decision turned out, in compute's terms: what a learning policy
 * hears (the outcome seam, as the run tier hands it over). Everything
 * pointed to is borrowed for the call only. */
struct policy_feedback {
    const struct compute_problem *problem; /* the problem decided (the solver's) */
    const struct compute_state *state;     /* the state the plan was decided on */
    const struct compute_plan *plan;       /* the plan executed (after a decline, a3, a4) */
    bool finished;                         /* false: the run ended first (latency NAN) */
    double latency_s;                      /* request to result at the UE, s */
    double ue_energy_j;                    /* UE compute, copies and radio, J */
    double edge_energy_j;                  /* edge compute and copies, J */
    int correct;                           /* -1: not known; 0 / 1 when the input had a label */
};

/* Tell s how one of the decisions for its problem turned out, as the
 * inference ends (from an event handler: no blocking, no I/O). A no-op for
 * a policy that does not observe (policy_observes false: every built-in).
 * Allocates nothing. */
void policy_observe(struct policy_solver *s, const struct policy_feedback *fb);

/* a4 (ADAPT), the exact re-plan: req->current is the network's a3, whose
 * edge part (positions n_ue..) stands as it chose it; the positions
 * req->started..n_ue are the UE's (its part not yet started, and any layers
 * the a3 handed back), each given the UE option that makes the price of
 * that run least under req->state: w_latency t + w_energy E per layer, a
 * change of option its wait, a change of resource the copy of the tensors
 * crossing there, from the option the last started position runs on
 * (adapt.c). Positions before started as they were. CORE_E_RUNTIME without
 * a plan in force, or when no UE option runs one of those layers. Needs no
 * solver: what a decider that is no policy can answer too. */
enum core_rc policy_adapt(const struct compute_decision *req, struct compute_plan *out,
                          struct core_err *e);

/* a4 as s's policy answers it (the a3's constraint, as policy_adapt): the
 * exact re-plan, but split, split-default and resource put the positions on
 * one UE candidate (the one of least price that runs them all), random on
 * uniform supported options (drawing from rng). Allocates nothing. */
enum core_rc policy_solver_adapt(struct policy_solver *s, const struct compute_decision *req,
                                 struct core_rng *rng, struct compute_plan *out,
                                 struct core_err *e);

/* ---- exploration: behaviour policies for collecting samples (explore.c) ------------ */

/* <exploration>: any policy explores with these probabilities, per decision
 * component, so that the samples it leaves show actions it would not take
 * (DESIGN.md step 9). Applied to the UE's INITIAL and UPDATE decisions (an
 * a4 answers an a3's constraint and is never explored); every draw from the
 * UE's own CORE_RNG_EXPLORATION stream, so exploring shifts no other
 * stream. */
struct policy_explore_config {
    double split;  /* probability of a random cut (with the edge available), 0..1 */
    double option; /* probability, per layer, of a random option on its side, 0..1 */
};
extern const struct core_knob_table policy_explore_knobs;

/* Explore around s's plan *pl (decided under st) in place: with
 * probability c->split a cut of s's family drawn uniformly among those the
 * state allows (every layer before it has a supporting UE option, every one
 * after a supporting edge option that is available), the layers that
 * changed side on a uniform supporting option there; then each layer, with
 * probability c->option, on a uniform supporting (and available) option of
 * its side. The plan stays valid. Allocates nothing. */
void policy_explore(const struct policy_solver *s, const struct compute_state *st,
                    const struct policy_explore_config *c, struct core_rng *rng,
                    struct compute_plan *pl);

/* ---- the encodings of samples (encode.c) --------------------------------------- */

/* A training sample's state is what the UE knows at decision time, as
 * numbers: the fields of a decision request (compute_decision) in a fixed
 * order per problem, named with their units by policy_state_field; its
 * action is the plan (cut, order, option per layer), policy_action_field. */

/* One field of an encoding: what the `sample_fields` table holds. */
struct policy_field {
    char name[64];        /* e.g. "ul_rate_bps", "edge_wait_s[gpu]", "option[conv1]" */
    const char *unit;     /* SI unit ("s", "J", "bit/s", "W", "dB", "1"); static */
    char description[96]; /* what it is */
};

#define POLICY_STATE_MAX 96 /* features of any problem's state, at most */

/* Features of the state of a decision on problem p (<= POLICY_STATE_MAX). */
size_t policy_state_size(const struct compute_problem *p);
/* Field i (< policy_state_size) of p's state. layer names are not used. */
void policy_state_field(const struct compute_problem *p, size_t i, struct policy_field *out);
/* The state of req as policy_state_size(req->problem) numbers into out
 * (float: what the agent reads). Infinite or undefined values are encoded
 * as documented by their fields (a flag and 0). Allocates nothing. */
void policy_state_encode(const struct compute_decision *req, float *out);

/* The action on problem p is one number per layer (by layer index): its
 * option's index o when the layer is in the UE's part, U + o when it is in
 * the edge's (U the problem's UE options). The plan's order is the one
 * every policy gives a cut: the UE's layers in index order, then the
 * edge's (policy_action_plan rebuilds it). */
size_t policy_action_size(const struct compute_problem *p);
/* Field i of p's action; layer_name(ctx, i) names layer i (NULL: its index). */
void policy_action_field(const struct compute_problem *p, size_t i,
                         const char *(*layer_name)(void *ctx, size_t layer), void *ctx,
                         struct policy_field *out);
/* The action of plan pl on p as policy_action_size numbers. */
void policy_action_encode(const struct compute_problem *p, const struct compute_plan *pl,
                          int32_t *out);
/* The plan of action a on p (n_layers numbers). CORE_E_INPUT naming the
 * first field out of range, or a UE part that is no ideal (a layer on the
 * UE reading one on the edge). Does not check support (compute_plan_check). */
enum core_rc policy_action_plan(const struct compute_problem *p, const int32_t *a,
                                struct compute_plan *out, struct core_err *e);

#endif /* COINFER_POLICY_H */
