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
 *                   per layer on its side;
 *  - dads:          DADS (INFOCOM'19): the minimum s-t cut of the model's
 *                   DAG (any ideal, not only prefixes), each side's part on
 *                   its default option as split-default's; exact for light
 *                   load (its cut prices leave out waits and copies);
 *  - edgent:        Edgent (Li, Zhou and Chen, MECOMM'18): joint DNN
 *                   partitioning and right-sizing by early exit: among
 *                   (exit, prefix split) pairs, each side's part on its
 *                   default option as split-default's, the one of highest
 *                   expected accuracy whose predicted latency meets the
 *                   request's deadline (ties: the lower latency); if none
 *                   does, the fastest. Without exits it is the model's
 *                   output only; without accuracy data every plan ties on
 *                   accuracy (the fastest that meets the deadline).
 * Where the option resource, split, split-default or dads put a part on cannot
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
    POLICY_DADS,
    POLICY_EDGENT,
    POLICY_RL,
    POLICY_KIND_COUNT
};

/* ---- the table's facts (ops.c) -------------------------------------------------- */

/* "local", "edge", "resource", "split", "split-default", "joint", "oracle",
 * "random", "dads", "edgent", "rl"; "?" for no kind. Every
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

/* True when policy k chooses the encoding of the tensors its plans send
 * uplink (joint, oracle): it minimises the objective over the problem's
 * encodings of known accuracy (compute.h, "Encodings and accuracy") with the
 * cut and the options. Every other policy sends the problem's fixed
 * encoding (fp32 unless the scenario says otherwise). */
bool policy_encodes(enum policy_kind k);

/* True when policy k chooses where each inference ends among a problem's
 * early exits (compute.h, "Early exits"): joint and oracle minimise the
 * objective over the exit with the cut, options and encoding (exact: the
 * best plan of each exit's right-sized problem, then the best of those);
 * edgent maximises accuracy under the deadline. Every other policy ends at
 * the problem's fixed exit (the model's output unless the scenario says
 * otherwise), deciding on that exit's problem as on any other. */
bool policy_chooses_exit(enum policy_kind k);

/* True when policy k decides with a trained agent (rl): its solver comes
 * from policy_solver_create_agent, and it decides on whole requests
 * (policy_decide_request). */
bool policy_needs_agent(enum policy_kind k);

struct policy_solver;
struct policy_agent;

/* Prepare policy k for problem p (borrowed). Returns it owned, or NULL with
 * *e set: CORE_E_INPUT when p fails compute_problem_check or the policy has
 * no valid plan with the edge available (a layer no option of the side it
 * must run on supports: local with a layer no UE option supports, edge with
 * one no edge option supports, ...), CORE_E_NOMEM. */
struct policy_solver *policy_solver_create(enum policy_kind k, const struct compute_problem *p,
                                           struct core_err *e);
void policy_solver_destroy(struct policy_solver *s); /* NULL is a no-op */
/* Prepare policy k, which needs an agent (policy_needs_agent), for problem
 * p with the agent's problem i, bound to p (policy_agent_bind; both
 * borrowed: they must outlive the solver). For k that needs none, as
 * policy_solver_create. CORE_E_INPUT, CORE_E_NOMEM. policy_solver_create
 * on such a k is CORE_E_USAGE ("policy rl needs an agent"). */
struct policy_solver *policy_solver_create_agent(enum policy_kind k,
                                                 const struct compute_problem *p,
                                                 struct policy_agent *agent, uint32_t i,
                                                 struct core_err *e);

/* Decide under state st into *out. rng (borrowed) is drawn from by random
 * only (may be NULL for the others). CORE_E_RUNTIME when the edge is not
 * available and some layer has no UE option. Allocates nothing. */
enum core_rc policy_decide(struct policy_solver *s, const struct compute_state *st,
                           struct core_rng *rng, struct compute_plan *out, struct core_err *e);

/* Decide the request req (its problem s's, its kind INITIAL or UPDATE):
 * what the run tier asks. A policy that reads the whole request (rl: the
 * state encoding, policy_state_encode) decides on it; every other one is
 * policy_decide on req->state. CORE_E_RUNTIME as policy_decide. Allocates
 * nothing. */
enum core_rc policy_decide_request(struct policy_solver *s, const struct compute_decision *req,
                                   struct core_rng *rng, struct compute_plan *out,
                                   struct core_err *e);

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
/* The compute state a state x of problem p encodes (what a sample's
 * decision saw: rates, delays, powers, signalling, weights and waits, float
 * precision; options not offered, and every edge option when the edge was
 * not available, at an infinite wait). */
void policy_state_decode(const struct compute_problem *p, const float *x,
                         struct compute_state *st);

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

/* ---- the learning agent (agent*.c) ------------------------------------------------ */

/* An agent is a trained value model of the cost of a plan, one per problem
 * it decides for (a (device class, model) pair of a scenario), fitted
 * offline to (state, plan, cost) samples (agent_train.c). For problem i,
 * an MLP trunk (depth fc layers of hidden units with ReLU on the state's
 * features, each normalised by the training set's mean and standard
 * deviation, clipped to +-POLICY_AGENT_CLIP) ends in one linear layer whose
 * outputs are the heads. The predicted cost of a plan, in units of the
 * training costs' standard deviation about their mean, is the SUM of the
 * heads its parts select, along the plan's canonical order (the cut's UE
 * layers by index, then the rest by index), exactly as the cost model of
 * compute.h adds up (agent_head.c):
 *   split head  cut[c] for the plan's cut c (of the joint policy's family,
 *               cuts.c), plus xb x bytes(c) when it has an edge part (xb a
 *               head, bytes(c) its crossing bytes over the largest crossing
 *               of the family);
 *   layer heads ue[i][o] / edge[i][o] for layer i on option o of its side;
 *   change terms seg_ue[o] / seg_edge[o] for each segment on option o
 *               (its first position, and each position whose option differs
 *               from the one before, on the same side), and copy_ue /
 *               copy_edge x bytes(boundary) where consecutive positions of a
 *               side use different resources.
 * Every term depends on one position, one boundary or the cut, so the best
 * plan is the shortest path of policy.h's "Exactness of joint" with these
 * heads as edge weights: the same forward and backward programmes over the
 * same family of cuts decode it exactly (no approximation), in O(cuts x
 * options^2). The same programmes in log space give log sum over every
 * valid plan of exp(-cost), the conservative term's softmin, and its
 * gradient exactly.
 *
 * Training minimises, over batches of samples of each problem,
 *   mean_b huber(Q(s_b, a_b) - y_b) + alpha mean_b (Q(s_b, a_b) + log sum_a exp(-Q(s_b, a)))
 * with y_b the sample's cost normalised, a over every valid plan (supported
 * options; under the sample's state, when it has one, available options and
 * the edge only when available), alpha = conservative: the second term
 * (CQL's) lowers the predicted cost of the plans the data shows and raises
 * that of the plans it does not, weighted by how attractive the model finds
 * them. Adam on the nn module's backward passes (sim/nn), learning rate on a
 * cosine schedule to 0. Deterministic for a seed at one thread.
 *
 * With the model prior (policy_train_config.prior), the heads summed are
 * the network's outputs plus the cost model's predicted objective of the
 * plan under the decision's compute state, shifted by the training costs'
 * mean miss of it (agent_prior.c): Q = prior + network. Shrinkage adds
 * lambda x the squared outputs to the training loss; imitation keeps only
 * the second term (at alpha 1); best_heldout keeps the weights of least
 * held-out loss (the fit's, without the penalty).
 *
 * Pessimism per plan. After training, each head j gets a standard error
 * se_j = sigma / sqrt(I_j), normalised units: sigma^2 the mean squared
 * residual Q(s, a) - y of the kept weights on the held-out samples (on the
 * training part when none is held out), I_j = sum over the training part
 * of x_bj^2, x_bj how many times sample b's plan selects head j (its bytes
 * over the scale for the byte heads): the least-squares standard error of
 * a coefficient fitted on its own. A head no training plan selects has
 * se = +inf. At decode, with pessimism k > 0 (model prior only), the
 * reference plan R is the prior's alone (joint's plan under the state),
 * and every head R does not select costs k se_j more (x its count or
 * bytes, as the head itself): a plan is taken over R only where its
 * estimated gain exceeds k times the standard errors of the heads it
 * changes, so corrections the data cannot tell from noise (heads seen
 * rarely) leave R, the prediction's plan. A lower confidence bound on the
 * gain, invariant to the heads' own indeterminacy (a constant moved
 * between cut heads and a layer's option heads changes no plan's value,
 * and changes no plan's penalty), and additive: the decode stays exact
 * (two runs of the same programme). */

/* coinfer train's pessimism k, chosen on default.xml's validation seeds
 * 201 and 202 (README, "What it is worth today"). */
#define POLICY_AGENT_PESSIMISM_DEFAULT 64.0
#define POLICY_AGENT_PENALTY_MAX 1e6 /* the pessimism of one head at most (normalised units:
                                        no plan's value comes near it) */

#define POLICY_AGENT_CLIP 8.0        /* normalised features are clipped to +-this */
#define POLICY_AGENT_NAME_MAX 64     /* model and device names kept, NUL included */
#define POLICY_AGENT_MAX_STATE 4096  /* state features of one problem */
#define POLICY_AGENT_MAX_HIDDEN 4096 /* trunk width */
#define POLICY_AGENT_MAX_DEPTH 16    /* trunk layers */

struct policy_agent; /* a trained value model for one or more problems (owned) */

/* One problem the agent decides for: a (device class, model) pair of a scenario. */
struct policy_agent_problem {
    const char *model;                     /* model name (< POLICY_AGENT_NAME_MAX bytes) */
    const char *device;                    /* device class name (idem) */
    const struct compute_problem *problem; /* its problem (predictions; borrowed) */
    uint32_t n_state;                      /* state features of its samples, 1..MAX_STATE */
};

/* One training sample (borrowed arrays). */
struct policy_sample {
    uint32_t problem;              /* index into the problems given to training */
    const float *state;            /* [n_state] raw features (the agent normalises them) */
    struct compute_plan plan;      /* the action: the UE's plan (its cut must be of the
                                      problem's family: every plan a policy makes is) */
    double cost;                   /* what it cost: minus the reward (lower is better); finite */
    const struct compute_state *st; /* the compute state it was decided on (borrowed; NULL:
                                      not known): masks the conservative term's plans, is
                                      what the model prior predicts under (required then),
                                      and held-out samples with one are scored for regret */
};

/* What the agent's heads add to (policy_train_config.prior). */
enum policy_prior {
    POLICY_PRIOR_NONE,  /* nothing: the network learns the whole cost */
    POLICY_PRIOR_MODEL, /* the network's predicted objective of the plan under the decision's
                           compute state (joint's programme, agent_prior.c): the network
                           learns what the prediction misses, and an untrained agent
                           decides as joint */
    POLICY_PRIOR_COUNT
};

/* "none", "model"; NULL for others. */
const char *policy_prior_name(enum policy_prior k);
/* The prior named name into *out: false when there is none by that name. */
bool policy_prior_parse(const char *name, enum policy_prior *out);

struct policy_train_config {
    uint64_t seed;        /* weights (nn_model_finalize), hold-out split, batches */
    uint64_t steps;       /* optimiser steps (each one batch of every problem), >= 1 */
    uint32_t batch;       /* samples per batch, >= 1 */
    double learning_rate; /* Adam's initial learning rate, > 0 */
    uint32_t hidden;      /* trunk width, 1..POLICY_AGENT_MAX_HIDDEN */
    uint32_t depth;       /* trunk layers, 0..POLICY_AGENT_MAX_DEPTH (0: linear heads) */
    double conservative;  /* alpha, weight of the conservative term, >= 0 (0: none) */
    double holdout;       /* share of each problem's samples held out, 0..0.5 */
    int threads;          /* nn threads, 1..2 (deterministic per count) */
    uint32_t prior;       /* enum policy_prior (MODEL: every sample needs its state) */
    bool best_heldout;    /* keep each problem's weights at the evaluation of least held-out
                             loss (early stopping: evaluations every `every` steps and after
                             the last; needs holdout > 0), else the last step's */
    double shrink;        /* lambda >= 0: the loss adds lambda x the sum of the squared
                             network outputs (the heads, without the prior), mean over the
                             batch: heads the data rarely selects stay near zero */
    bool imitate;         /* behaviour cloning: minimise only the cross-entropy of the plans'
                             softmin distribution against the sample's plan (the conservative
                             term at alpha 1, `conservative` unused); the costs are read only
                             to scale the model prior, when there is one */
    double pessimism;     /* k >= 0, the decode's default ("Pessimism per plan"; 0: none;
                             > 0 needs the model prior; policy_agent_set_pessimism changes
                             it). Training does not read it (its held-out regret decodes at
                             k = 0) */
};

/* Where training stands (every `every` steps, and after the last). */
struct policy_train_step {
    uint64_t step;         /* steps done */
    double loss;           /* mean training loss of the steps since the last report */
    double heldout_loss;   /* the loss on the held-out samples (at most POLICY_AGENT_EVAL of
                              each problem; NAN when none is held out) */
    double heldout_regret; /* mean over held-out samples with a state of the objective of
                              the agent's plan minus joint's under the problem's
                              predictions (compute_plan_cost), objective units; NAN when none */
};
typedef void (*policy_train_progress_fn)(void *ctx, const struct policy_train_step *s);
#define POLICY_AGENT_EVAL 8192 /* held-out samples of one problem evaluated */

/* Train an agent on samples[0..n_samples) for problems[0..n_problems)
 * (each with at least one sample; a problem may repeat no (model, device)
 * pair). progress (may be NULL) hears every `every` steps (0: only the
 * last). *out is returned owned, bound to the given problems (which must
 * outlive it, or be rebound). CORE_E_INPUT naming the sample or problem
 * for a bad configuration, a problem that fails compute_problem_check, a
 * sample whose plan fails compute_plan_check, whose cut is not of its
 * problem's family, or whose cost or problem index is bad; CORE_E_NOMEM. */
enum core_rc policy_agent_train(const struct policy_agent_problem *problems, size_t n_problems,
                                const struct policy_sample *samples, size_t n_samples,
                                const struct policy_train_config *cfg,
                                policy_train_progress_fn progress, void *ctx, uint64_t every,
                                struct policy_agent **out, struct core_err *e);
void policy_agent_destroy(struct policy_agent *a); /* NULL is a no-op */

/* Problems of the agent, and problem i's model name, device name, state
 * features (borrowed). */
size_t policy_agent_n_problems(const struct policy_agent *a);
const char *policy_agent_model(const struct policy_agent *a, size_t i);
const char *policy_agent_device(const struct policy_agent *a, size_t i);
uint32_t policy_agent_n_state(const struct policy_agent *a, size_t i);

/* The agent's problem for (model, device): its index, or -1. */
int policy_agent_find(const struct policy_agent *a, const char *model, const char *device);

/* Bind problem i of the agent to scenario problem p (borrowed: it must
 * outlive the binding) with n_state features: CORE_E_INPUT naming the
 * first difference from the agent's action-space signature (layers and
 * their inputs and bytes, options per side with their labels and resources,
 * the family of cuts, n_state), or p failing compute_problem_check;
 * CORE_E_NOMEM. An agent from training is bound to its problems. */
enum core_rc policy_agent_bind(struct policy_agent *a, size_t i, const struct compute_problem *p,
                               uint32_t n_state, struct core_err *e);

/* The agent's best plan for its problem i (bound) under raw state
 * features state[0..n_state) and compute state st: the plan of least
 * predicted cost among those that give no layer an unsupported option
 * (infinite latency) or an unavailable one (infinite wait in st), and none
 * an edge part when st says the edge is not available. CORE_E_RUNTIME when
 * i is not bound or no such plan exists. Allocates nothing. Not
 * thread-safe: one agent per thread (the agent file reads into another). */
enum core_rc policy_agent_decide(struct policy_agent *a, uint32_t problem, const float *state,
                                 const struct compute_state *st, struct compute_plan *out,
                                 struct core_err *e);

/* Decode with pessimism k (finite, >= 0; see "Pessimism per plan") from now
 * on. CORE_E_INPUT when k is out of range, or k > 0 and the agent has no
 * model prior, or a problem of it carries no standard errors (a file of
 * format version 2 or older: retrain it). */
enum core_rc policy_agent_set_pessimism(struct policy_agent *a, double k, struct core_err *e);
/* The pessimism the agent decodes with. */
double policy_agent_pessimism(const struct policy_agent *a);

/* What an agent is, as its file holds it (io/agent_file.c): its
 * configuration and, per problem, the action-space signature, the feature
 * and cost normalisation and the weights. */
struct policy_agent_signature {
    char model[POLICY_AGENT_NAME_MAX];   /* model name */
    char device[POLICY_AGENT_NAME_MAX];  /* device class name */
    uint32_t n_state;                    /* state features */
    uint32_t n_layers;                   /* layers, 1..COMPUTE_PLAN_MAX_LAYERS */
    double input_bytes;                  /* the model input, B */
    struct compute_problem_layer layers[COMPUTE_PLAN_MAX_LAYERS]; /* [n_layers]: inputs and
                                                                     output bytes */
    uint32_t n_options[COMPUTE_SIDE_COUNT]; /* options per side */
    struct compute_option options[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_OPTIONS]; /* resource,
                                                                     amount, label */
    bool ideals;                         /* the family: every ideal (else the prefixes) */
    uint32_t n_cuts;                     /* cuts in it */
};

struct policy_agent_part {
    struct policy_agent_signature sig; /* the action space */
    float *state_mean;                 /* [n_state] feature means (owned by the holder) */
    float *state_sd;                   /* [n_state] their standard deviations, > 0 */
    double cost_mean;                  /* the training costs' mean */
    double cost_sd;                    /* their standard deviation, > 0 */
    double bytes_scale;                /* the family's largest crossing, B (> 0) */
    double prior_shift;                /* with the model prior: the training costs' mean
                                          miss of the prediction, mean(cost - J), added to
                                          the prior so that the network learns departures
                                          from it (0 without a prior) */
    size_t n_weights;                  /* floats of weights[] */
    float *weights;                    /* every fc layer's weights then bias, in order */
    float *head_se;                    /* [policy_agent_heads(&sig)] each head's standard
                                          error, normalised units, >= 0 (+inf: no training
                                          plan selects it); NULL: none (a file of format
                                          version 2 or older), pessimism unavailable */
};

struct policy_agent_image {
    struct policy_train_config config; /* how it was trained (hidden, depth shape it) */
    size_t n_problems;                 /* parts */
    struct policy_agent_part *parts;   /* [n_problems] */
};

/* The agent's image (borrowed, valid while a lives). */
const struct policy_agent_image *policy_agent_image(const struct policy_agent *a);
/* Heads (outputs of the last layer) and weights an agent of signature sig
 * trained with hidden and depth has. */
size_t policy_agent_heads(const struct policy_agent_signature *sig);
size_t policy_agent_n_weights(const struct policy_agent_signature *sig, uint32_t hidden,
                              uint32_t depth);
/* Build an agent from an image (copied), no problem bound. CORE_E_INPUT
 * naming what is wrong (counts out of range, a weight count that does not
 * fit, a scale not > 0, names not unique); CORE_E_NOMEM. */
enum core_rc policy_agent_create(const struct policy_agent_image *img, struct policy_agent **out,
                                 struct core_err *e);

#endif /* COINFER_POLICY_H */
