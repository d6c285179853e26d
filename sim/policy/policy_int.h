/*
 * policy_int.h — shared between the files of sim/policy only: the ops table
 * every policy is one row of, the solver they all work in, and the pieces
 * the built-in policies share.
 *
 * The files, one job each:
 *   ops.c      the table (name, help, default, create / decide / observe /
 *              destroy per enum policy_kind) and the functions that read it;
 *   solver.c   the solver object: create, destroy, decide and observe through
 *              the table, and its accessors;
 *   prepare.c  what the built-ins prepare at creation: option masks, the
 *              family of cuts, the DP's scratch, the cuts a policy may choose;
 *   cuts.c     the family of cuts: ideals by bounded enumeration, or prefixes;
 *   dp.c       the forward and backward dynamic programmes over the family,
 *              the best cut of them, and the plan a cut gives;
 *   local.c, edge.c, joint.c, random.c   one built-in policy each;
 *   rl.c       the learning agent (agent*.c) as a policy;
 *   encode.c   the state and action encodings of samples and of rl;
 *   explore.c  exploration around any policy's plans;
 *   split.c    split, split-default and resource: one option per side's part;
 *   dads.c     dads: the minimum s-t cut of the DAG on the default options;
 *   edgent.c   edgent: the most accurate (exit, split) within the deadline;
 *   adapt.c    a4: the exact re-plan of the UE's part under an a3, and random's;
 *   agent_head.c  the learning agent's value model over a family of cuts: its
 *              heads, the decode and the log-space programmes;
 *   agent.c    the agent object: image, bind, decide;
 *   agent_train.c  its offline training.
 *
 * Data layout of a solver. cuts[] holds the family sorted by size (so a
 * cut's forward parent, one layer smaller, comes before it, and its backward
 * parent, one layer larger, after it). For cut c and option o of a side:
 *   f[c x n_ue_opt + o]   least objective of running c on the UE in index
 *                         order with c's highest layer on option o, copies
 *                         and waits included; farg the option of the
 *                         position before (POLICY_ARG_START: none);
 *   h[c x n_edge_opt + o] least objective of running the layers outside c
 *                         on the edge in index order with the lowest on
 *                         option o, from its compute on (its own wait
 *                         excluded: it depends on the position before),
 *                         the downlink included; harg the option of the
 *                         position after (POLICY_ARG_END: none).
 * POLICY_ARG_NONE marks an option that cannot run there (unsupported, or no
 * way to reach it). Objective terms: UE layer w_latency t + w_energy E, edge
 * layer w_latency t, a copy (w_latency + w_energy P_copy) t on the UE and
 * w_latency t on the edge, a wait w_latency wait (INFINITY when the wait
 * is), the radio (w_latency + w_energy P) t; signalling adds the same to
 * every plan and is left out.
 */
#ifndef COINFER_POLICY_INT_H
#define COINFER_POLICY_INT_H

#include "policy/policy.h"

#include <math.h>

#define POLICY_ARG_NONE 0xff  /* unreachable */
#define POLICY_ARG_START 0xfe /* first UE position */
#define POLICY_ARG_END 0xfd   /* last edge position */
#define POLICY_NO_CUT UINT32_MAX

static_assert(COMPUTE_PLAN_MAX_OPTIONS <= 16, "option masks are 16 bits");
static_assert(COMPUTE_PLAN_MAX_LAYERS <= UINT16_MAX, "layers fit uint16_t");

/* ---- the table (ops.c) ----------------------------------------------------------- */

/* One policy: a row of the table, indexed by its enum policy_kind. Every
 * function gets the solver policy_solver_create made for it, with kind, ops,
 * p, n and n_opt set and everything else zero. */
struct policy_ops {
    const char *name;   /* what --policy takes; unique */
    const char *help;   /* what `coinfer run --help` prints for it: one line, at most
                           52 characters */
    bool is_default;    /* the policy a run takes when none is named (exactly one) */
    bool optimal;       /* its plan is the best of its family of cuts: exact when the
                           family is every cut, which a run reports */
    bool truth;         /* it decides on the truth: its solver is created on a problem's
                           truth and handed the true state (policy_truth) */
    bool on_device;     /* it never uses the network: the UE decides alone and sends
                           nothing (policy_on_device) */
    bool needs_agent;   /* it decides with a trained agent (policy_needs_agent) */
    bool encodes;       /* it chooses the uplink's encoding with the plan (policy_encodes);
                           the others send the problem's fixed encoding */
    bool exits;         /* it chooses where the inference ends among the problem's early
                           exits (policy_chooses_exit); the others end at its fixed exit */
    /* Prepare for s->p: CORE_E_INPUT when the policy has no valid plan,
     * CORE_E_NOMEM. destroy is called on failure, so what it got is freed
     * there. */
    enum core_rc (*create)(struct policy_solver *s, struct core_err *e);
    /* Decide with the edge available (policy_decide answers the local plan
     * itself otherwise, so create must leave the local plan's machinery
     * prepared: policy_prepare). Allocates nothing. */
    enum core_rc (*decide)(struct policy_solver *s, const struct compute_state *st,
                           struct core_rng *rng, struct compute_plan *out, struct core_err *e);
    /* a4 under the a3 in req (policy_solver_adapt); NULL: the exact re-plan,
     * policy_adapt. Allocates nothing. */
    enum core_rc (*adapt)(struct policy_solver *s, const struct compute_decision *req,
                          struct core_rng *rng, struct compute_plan *out, struct core_err *e);
    /* Decide a whole request (policy_decide_request); NULL: decide on its
     * state. Allocates nothing. */
    enum core_rc (*decide_request)(struct policy_solver *s, const struct compute_decision *req,
                                   struct core_rng *rng, struct compute_plan *out,
                                   struct core_err *e);
    /* Hear how a decision turned out (policy_observe); NULL: the policy does
     * not learn, and a run hands it nothing. Allocates nothing. */
    void (*observe)(struct policy_solver *s, const struct policy_feedback *fb);
    /* Free what create got (also after a create that failed half-way); not
     * the solver itself. */
    void (*destroy)(struct policy_solver *s);
};

/* Row k of the table (k < POLICY_KIND_COUNT). */
const struct policy_ops *policy_ops_of(enum policy_kind k);

/* ---- the solver (solver.c) -------------------------------------------------------- */

struct policy_dads; /* dads's flow network (dads.c) */

/* One cut of the family. */
struct policy_cut {
    uint32_t fparent;   /* the cut minus its highest layer (POLICY_NO_CUT: empty cut) */
    uint32_t gparent;   /* the cut plus the lowest layer outside (POLICY_NO_CUT: full cut) */
    uint16_t size;      /* layers in it */
    uint16_t last;      /* its highest layer (size > 0) */
    uint16_t next;      /* the lowest layer outside it (size < n) */
    bool ue_ok;         /* every layer in it has a UE option in the policy's mask */
    bool edge_ok;       /* every layer outside has an edge option in the policy's mask */
    double cross_bytes; /* bytes crossing from it to the rest, B */
};

struct policy_solver {
    enum policy_kind kind;            /* which policy */
    const struct policy_ops *ops;     /* its row of the table */
    const struct compute_problem *p;  /* borrowed */
    size_t n;                         /* layers */
    size_t n_opt[COMPUTE_SIDE_COUNT]; /* options per side */
    bool exact;                       /* the family is every cut */
    bool local_ok;                    /* every layer has a UE option */
    size_t n_cuts;                    /* cuts in the family */
    struct policy_cut *cuts;          /* [n_cuts], by size (owned) */
    uint32_t prefix[COMPUTE_PLAN_MAX_LAYERS + 1]; /* cut index of the prefix of k layers */
    uint32_t *valid;                  /* [n_valid] cuts the policy may choose (owned) */
    size_t n_valid;                   /* count of valid[] */
    uint16_t mask[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_LAYERS]; /* options the policy may give
                                                                  each layer, bit o: option o */
    uint16_t local_mask[COMPUTE_PLAN_MAX_LAYERS]; /* every supporting UE option (local plan) */
    int16_t fixed_opt[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_LAYERS]; /* a policy that fixes each
                                                                      layer's one option per
                                                                      side (split-default's;
                                                                      -1: none) */
    /* split, split-default, resource (split.c): the candidate option
     * vectors of each side and their state-independent terms for the
     * weights cand_w, kept between decisions (a scenario's weights do not
     * change). NULL for the other policies. */
    size_t n_cand[COMPUTE_SIDE_COUNT];     /* candidates per side */
    int16_t *cand_opt[COMPUTE_SIDE_COUNT]; /* [n_cand x n]: candidate c's option of layer i
                                              (-1: none) (owned) */
    double *cand_layer[COMPUTE_SIDE_COUNT]; /* [n_cand x n]: layer k's term on it (owned) */
    double *cand_copy[COMPUTE_SIDE_COUNT];  /* [n_cand x n]: the copy into position k (0:
                                               none) (owned) */
    bool cand_cached;                       /* the terms are for cand_w */
    double cand_w[2];                       /* w_latency, w_energy */
    struct policy_dads *dads;         /* dads (dads.c): its flow network (owned; NULL for the
                                         others) */
    struct policy_agent *agent;       /* rl: the agent (borrowed; NULL for the others) */
    uint32_t agent_problem;           /* rl: the agent's problem this solver decides */
    size_t n_enc;                     /* encodings priced per cut: the problem's (0: none) */
    double *enc_bytes;                /* [n_cuts x n_enc]: cut c's uplink bytes under encoding e,
                                         B (e = 0: cross_bytes) (owned; NULL: no encodings) */
    double *enc_acc;                  /* [n_cuts x n_enc]: its expected accuracy, 0..1 (NAN:
                                         unknown) (owned; NULL: no encodings) */
    struct policy_solver *exit_solver[COMPUTE_PLAN_MAX_EXITS]; /* the same policy on each
                                         early exit's right-sized problem (owned; NULL without
                                         exits, or where it has no valid plan there) */
    double *f;                        /* [n_cuts x n_opt[UE]] forward DP, objective (owned) */
    uint8_t *farg;                    /* [n_cuts x n_opt[UE]] option before (owned) */
    double *h;                        /* [n_cuts x n_opt[EDGE]] backward DP, objective (owned) */
    uint8_t *harg;                    /* [n_cuts x n_opt[EDGE]] option after (owned) */
};

/* ---- the built-ins' preparation (prepare.c) --------------------------------------- */

/* The cuts a policy may choose, besides every layer having an option there. */
enum policy_keep {
    POLICY_KEEP_ALL,   /* any cut of the family */
    POLICY_KEEP_EMPTY, /* the empty cut only: everything on the edge */
    POLICY_KEEP_FULL,  /* the full cut only: everything on the UE */
    POLICY_KEEP_ENDS   /* the empty and the full cut: no split */
};

/* What a built-in's create asks of policy_prepare. */
struct policy_prep {
    bool ideals;      /* every ideal when few enough (else the n + 1 prefixes) */
    enum policy_keep keep; /* which cuts besides */
    bool fixed;       /* each layer on its one option s->fixed_opt[side][layer], set before
                         (-1: none); else on any option of its side that supports it */
};

/* Prepare s as how says: option masks, the family, the DP's scratch and the
 * valid cuts. CORE_E_INPUT when no cut is valid, CORE_E_NOMEM; what it got
 * stays in s for policy_release. */
enum core_rc policy_prepare(struct policy_solver *s, const struct policy_prep *how,
                            struct core_err *e);
/* Free what policy_prepare got (the built-ins' destroy). */
void policy_release(struct policy_solver *s);

/* Option o of side sd can run layer i. */
static inline bool policy_supports(const struct compute_problem *p, enum compute_side sd,
                                   size_t o, size_t i)
{
    return !isinf(compute_problem_latency_s(p, sd, o, i));
}

/* ---- the family of cuts (cuts.c) -------------------------------------------------- */

/* Fill s->cuts, n_cuts, prefix[] and exact (s->mask set): every ideal when
 * ideals, the model is no chain and it has at most POLICY_CUTS_MAX of them,
 * else the n + 1 prefixes. CORE_E_NOMEM. */
enum core_rc policy_cuts_build(struct policy_solver *s, bool ideals, struct core_err *e);

/* The bytes cut c's uplink sends under the problem's encoding e, header
 * excluded (compute_plan_uplink_bytes of its plans). */
static inline double policy_ul_bytes(const struct policy_solver *s, uint32_t c, uint32_t e)
{
    return e == 0 ? s->cuts[c].cross_bytes : s->enc_bytes[(size_t)c * s->n_enc + e];
}

/* The expected accuracy of cut c's plans under encoding e
 * (compute_plan_accuracy): NAN when unknown. */
static inline double policy_cut_accuracy(const struct policy_solver *s, uint32_t c, uint32_t e)
{
    return s->enc_acc ? s->enc_acc[(size_t)c * s->n_enc + e] : NAN;
}

/* The objective's term of the uplink of cut c (c not full) under encoding
 * e, the first edge segment's cost edge added (its wait included), and the
 * accuracy term where the accuracy is known: what a plan's objective adds
 * past its UE part. */
static inline double policy_ul_term(const struct policy_solver *s,
                                    const struct compute_state *st, double ul_per_s, uint32_t c,
                                    uint32_t e, double edge)
{
    double a = policy_cut_accuracy(s, c, e);
    double v = ul_per_s * compute_link_time_s(policy_ul_bytes(s, c, e) + s->p->msg_header_bytes,
                                              st->ul_rate_bps) +
               edge;

    if (!isnan(a))
        v -= st->w_accuracy * a;
    return v;
}

/* The encoding of least uplink term (policy_ul_term) for cut c under edge
 * cost edge: encoding 0 and every encoding of known accuracy there for a
 * policy that encodes (the first of equals), else the problem's fixed
 * encoding; its term in *term. */
uint32_t policy_best_encoding(const struct policy_solver *s, const struct compute_state *st,
                              double ul_per_s, uint32_t c, double edge, double *term);

/* The accuracy term of a local plan (0 when unknown). */
static inline double policy_local_term(const struct policy_solver *s,
                                       const struct compute_state *st)
{
    return s->enc_acc ? st->w_accuracy * s->p->accuracy : 0;
}

/* ---- the dynamic programmes (dp.c) ------------------------------------------------- */

/* The objective's prices under one state (objective units: w_latency s +
 * w_energy J). */
struct policy_prices {
    double wait[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_OPTIONS]; /* of one wait at each option */
    double copy_per_s[COMPUTE_SIDE_COUNT]; /* of one second of copying, 1/s */
    double ul_per_s;                       /* of one second of uplink, 1/s */
    double dl_per_s;                       /* of one second of downlink, 1/s */
    double downlink;                       /* of the result's downlink */
};

void policy_prices_set(const struct policy_solver *s, const struct compute_state *st,
                       struct policy_prices *pr);

/* Of one copy of bytes B on side sd. */
static inline double policy_copy_cost(const struct policy_solver *s,
                                      const struct policy_prices *pr, enum compute_side sd,
                                      double bytes)
{
    return pr->copy_per_s[sd] *
           (s->p->copy_latency_s[sd] + bytes / s->p->copy_bytes_per_s[sd]);
}

/* Forward DP of cut c (its parent done) with UE options mask[]. */
void policy_dp_forward(struct policy_solver *s, const struct compute_state *st,
                       const struct policy_prices *pr, const uint16_t *mask, uint32_t c);
/* Backward DP of cut c (its parent done) with edge options mask[]. */
void policy_dp_backward(struct policy_solver *s, const struct compute_state *st,
                        const struct policy_prices *pr, const uint16_t *mask, uint32_t c);
/* Best UE end option of cut c (c nonempty, forward DP done): -1 when none
 * is reachable; its objective in *cost. */
int policy_dp_best_ue_end(const struct policy_solver *s, uint32_t c, double *cost);
/* The valid cut of least objective, from the DP over every valid cut's UE
 * part and edge part, written into out with its options. */
void policy_dp_best(const struct policy_solver *s, const struct compute_state *st,
                    const struct policy_prices *pr, struct compute_plan *out);
/* Write cut c's order into out; with options when ue_o / edge_o >= 0 (from
 * the DP's arguments), else leave them for the caller. */
void policy_emit(const struct policy_solver *s, uint32_t c, int ue_o, int edge_o,
                 struct compute_plan *out);
/* policy_emit from arguments laid out as farg[cut x fw + option] and
 * harg[cut x hw + option] (policy_emit's own: s->farg, s->harg with the
 * sides' option counts). */
void policy_emit_args(const struct policy_solver *s, const uint8_t *farg, size_t fw,
                      const uint8_t *harg, size_t hw, uint32_t c, int ue_o, int edge_o,
                      struct compute_plan *out);

/* ---- a4 (adapt.c) ---------------------------------------------------------------- */

/* CORE_E_RUNTIME when req is no adaptation a decider can answer (no plan in
 * force, more started than the UE's part). */
enum core_rc policy_adapt_check(const struct compute_decision *req, struct core_err *e);
/* The price of pl's positions req->started..n_ue on the UE under req's
 * state (the terms policy_adapt minimises). */
double policy_adapt_price(const struct compute_decision *req, const struct compute_plan *pl);
/* random's a4: a uniform supported UE option per position. */
enum core_rc policy_adapt_random(struct policy_solver *s, const struct compute_decision *req,
                                 struct core_rng *rng, struct compute_plan *out,
                                 struct core_err *e);
/* split, split-default and resource's a4 (split.c): the positions on the
 * UE candidate of least price that runs them all, else policy_adapt. */
enum core_rc policy_adapt_candidates(struct policy_solver *s, const struct compute_decision *req,
                                     struct core_rng *rng, struct compute_plan *out,
                                     struct core_err *e);

/* ---- the built-in policies (local.c, edge.c, split.c, joint.c, random.c) ---------- */

/* split.c: split, split-default and resource share their decide and
 * destroy (one option vector per side among candidates). */
enum core_rc policy_split_create(struct policy_solver *s, struct core_err *e);
enum core_rc policy_split_default_create(struct policy_solver *s, struct core_err *e);
enum core_rc policy_resource_create(struct policy_solver *s, struct core_err *e);
enum core_rc policy_candidates_decide(struct policy_solver *s, const struct compute_state *st,
                                      struct core_rng *rng, struct compute_plan *out,
                                      struct core_err *e);
void policy_candidates_release(struct policy_solver *s);
/* The plan of cut c of s's family with each side's part on its first
 * candidate (split-default's vector: the side's default option, the
 * fastest that runs a layer it cannot), the problem's fixed encoding when
 * it sends, no exit. */
void policy_candidates_plan(const struct policy_solver *s, uint32_t c, struct compute_plan *out);

/* edgent.c: Edgent, on split-default's preparation and a4. */
enum core_rc policy_edgent_create(struct policy_solver *s, struct core_err *e);
enum core_rc policy_edgent_decide(struct policy_solver *s, const struct compute_state *st,
                                  struct core_rng *rng, struct compute_plan *out,
                                  struct core_err *e);
enum core_rc policy_edgent_decide_request(struct policy_solver *s,
                                          const struct compute_decision *req,
                                          struct core_rng *rng, struct compute_plan *out,
                                          struct core_err *e);

/* dads.c: the minimum s-t cut of the DAG, each side on its default option
 * (split-default's preparation and a4, plus its flow network). */
enum core_rc policy_dads_create(struct policy_solver *s, struct core_err *e);
enum core_rc policy_dads_decide(struct policy_solver *s, const struct compute_state *st,
                                struct core_rng *rng, struct compute_plan *out,
                                struct core_err *e);
void policy_dads_release(struct policy_solver *s);
/* rl.c: the learning agent as a policy. */
enum core_rc policy_rl_create(struct policy_solver *s, struct core_err *e);
enum core_rc policy_rl_decide(struct policy_solver *s, const struct compute_state *st,
                              struct core_rng *rng, struct compute_plan *out, struct core_err *e);
enum core_rc policy_rl_decide_request(struct policy_solver *s,
                                      const struct compute_decision *req, struct core_rng *rng,
                                      struct compute_plan *out, struct core_err *e);

enum core_rc policy_local_create(struct policy_solver *s, struct core_err *e);
/* The local plan; also every policy's answer when the edge is not available. */
enum core_rc policy_local_decide(struct policy_solver *s, const struct compute_state *st,
                                 struct core_rng *rng, struct compute_plan *out,
                                 struct core_err *e);
enum core_rc policy_edge_create(struct policy_solver *s, struct core_err *e);
enum core_rc policy_edge_decide(struct policy_solver *s, const struct compute_state *st,
                                struct core_rng *rng, struct compute_plan *out,
                                struct core_err *e);
enum core_rc policy_joint_create(struct policy_solver *s, struct core_err *e);
enum core_rc policy_joint_decide(struct policy_solver *s, const struct compute_state *st,
                                  struct core_rng *rng, struct compute_plan *out,
                                  struct core_err *e);
enum core_rc policy_random_create(struct policy_solver *s, struct core_err *e);
enum core_rc policy_random_decide(struct policy_solver *s, const struct compute_state *st,
                                  struct core_rng *rng, struct compute_plan *out,
                                  struct core_err *e);

/* ---- the agent's value model over a family of cuts (agent_head.c) ----------------- */

/* Four lanes of doubles, of 64-bit integers (a comparison's result: all
 * bits set or none), of floats and of 32-bit integers: the agent's vector
 * code (agent_decode.c, agent_prior.c) does each lane's operations as
 * scalar code would. */
typedef double policy_v4d __attribute__((vector_size(4 * sizeof(double))));
typedef int64_t policy_v4i __attribute__((vector_size(4 * sizeof(int64_t))));
typedef float policy_v4f __attribute__((vector_size(4 * sizeof(float))));
typedef int32_t policy_v4i32 __attribute__((vector_size(4 * sizeof(int32_t))));
/* a where the lanes of on are set, else b (integer lanes) */
#define POLICY_PICK(on, a, b) (((a) & (on)) | ((b) & ~(on)))

/* The additive value model of policy.h's "the learning agent" for one
 * problem: joint's solver on it (the family of cuts, the support masks,
 * policy_emit_args's walk), where each head sits among the last layer's
 * outputs, and the scratch of the decode's and the log-space programmes.
 * Heads, in order: cut[n_cuts], xb, ue[n x n_ue_opt] (layer-major),
 * edge[n x n_edge_opt], seg_ue[n_ue_opt], seg_edge[n_edge_opt], copy_ue,
 * copy_edge. */
struct policy_head {
    struct policy_solver *s;   /* joint's solver on the problem (owned) */
    size_t n_heads;            /* outputs the model ends in */
    size_t off_xb, off_ue, off_edge, off_seg_ue, off_seg_edge, off_copy; /* head offsets */
    double bytes_scale;        /* the family's largest crossing, B */
    double *bytes;             /* [n_cuts] cut c's crossing over bytes_scale (owned) */
    uint64_t *child;           /* [n_cuts] (fparent << 16 | last) << 20 | c of every nonempty
                                  cut, sorted: a plan's cut by its UE layers (owned) */
    size_t n_child;            /* entries of child[] */
    size_t w[COMPUTE_SIDE_COUNT]; /* n_opt[side] rounded up to 4: the decode's lanes */
    double *mf, *mh;              /* [n_cuts x w[side]] the decode's programmes (owned) */
    int32_t *maf, *mah;           /* [n_cuts x w[side]] their arguments (owned) */
    uint8_t *pa;                  /* [n_cuts x (w[0] + w[1])] the decoded plan's arguments,
                                     as policy_emit_args reads them (owned) */
    uint32_t cut;                 /* the decoded plan's cut */
    double *lf, *lh;           /* [n_cuts x n_opt[side]] log-space programmes (owned) */
    double *gf, *gh;           /* their adjoints (owned) */
    double *gacc;              /* [n_heads] gradient accumulator (owned) */
    /* diff[side][q x w + o]: 1 when options q and o use different resources,
     * else 0 (0 beyond the options); seg[side][q x w + o]: the decode's
     * segment head from q to o (0 when q == o or beyond the options) */
    double diff[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_OPTIONS * COMPUTE_PLAN_MAX_OPTIONS];
    double seg[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_OPTIONS * COMPUTE_PLAN_MAX_OPTIONS];
    bool edge_ok;              /* the decision may use the edge */
    uint16_t mask[COMPUTE_SIDE_COUNT][COMPUTE_PLAN_MAX_LAYERS]; /* options each layer may take
                                                                  now: supported and available */
    /* The model prior (agent_prior.c; NULL when the agent has none). */
    float *prior;              /* [n_heads] the prior's heads under the last state set (owned) */
    float *eff;                /* [n_heads] learned heads plus the prior (owned) */
    double *plat[COMPUTE_SIDE_COUNT]; /* [n x n_opt[side]] layer latencies, s (owned) */
    double *pen;                      /* [n x n_opt[UE]] the UE's layer energies, J (owned) */
    double *pbits;                    /* [n_cuts] the uplink's bits at cut c, header
                                         included (owned) */
    int64_t *pedge;                   /* [n_cuts] all bits set where cut c has an edge
                                         part (owned) */
    double *pcbase[COMPUTE_SIDE_COUNT]; /* [n_cuts] a change of resource's seconds at
                                           boundary cut x (owned) */
    double *pcopy[COMPUTE_SIDE_COUNT]; /* [n_cuts] the prior's cost of a change of resource
                                          at boundary cut x, normalised (owned) */
};

/* The copy term of side sd at boundary cut x under heads out: the copy
 * head times the boundary's bytes, plus the prior's own copy cost when out
 * is h->eff (policy_head_effective: the heads with the prior) or h->prior
 * (the prior's heads alone); that cost is affine in the bytes and so kept
 * beside them. */
static inline double policy_head_copy(const struct policy_head *h, const float *out,
                                      enum compute_side sd, uint32_t x)
{
    return h->bytes[x] * out[h->off_copy + (size_t)sd] +
           (h->prior && (out == h->eff || out == h->prior) ? h->pcopy[sd][x] : 0);
}

/* Prepare h for problem p (checked; borrowed). CORE_E_INPUT when joint has
 * no plan for it, CORE_E_NOMEM; what it got is freed by policy_head_fini. */
enum core_rc policy_head_init(struct policy_head *h, const struct compute_problem *p,
                              struct core_err *e);
void policy_head_fini(struct policy_head *h); /* zeroed h is a no-op */
/* Heads of the model for a family of n_cuts cuts of a problem of n layers. */
size_t policy_head_count(size_t n_cuts, size_t n, size_t n_ue_opt, size_t n_edge_opt);
/* The cut of the family whose UE part is pl's (its first n_ue positions as
 * a set), or POLICY_NO_CUT. */
uint32_t policy_head_cut_of(const struct policy_head *h, const struct compute_plan *pl);
/* Set h's masks for state st (NULL: every supported option, edge allowed). */
void policy_head_masks(struct policy_head *h, const struct compute_state *st);
/* The value of cut c with pl's options (by layer; its order is not read)
 * under heads out[]: the sum of the heads it selects. When grad is not
 * NULL, adds gscale x (how many times it selects each head, bytes for the
 * byte heads) into grad[]. */
double policy_head_value(const struct policy_head *h, const float *out, uint32_t c,
                         const struct compute_plan *pl, float *grad, double gscale);
/* The valid plan of least value under out[] and h's masks into pl, its
 * value in *value and its cut in h->cut: false when none exists. Allocates
 * nothing (agent_decode.c). */
bool policy_head_decode(struct policy_head *h, const float *out, struct compute_plan *pl,
                        double *value);
/* log sum over every plan valid under h's masks of exp(-value) (-INFINITY
 * when none); when grad is not NULL, adds gscale x its gradient with
 * respect to out[] into grad[] (minus each head's expected count under the
 * plans' softmin distribution). */
double policy_head_logz(struct policy_head *h, const float *out, float *grad, double gscale);
/* Give h a model prior (agent_prior.c): CORE_E_NOMEM. What the prior
 * takes from h's problem (latencies, energies, bytes, copy rates) is read
 * here, once: the problem must not change after. */
enum core_rc policy_head_prior_enable(struct policy_head *h, struct core_err *e);
/* Set h's prior to the problem's predicted objective under st, normalised
 * as (J - mean) / sd (sd > 0); NULL st: zero. No-op without a prior. */
void policy_head_prior(struct policy_head *h, const struct compute_state *st, double mean,
                       double sd);
/* The heads to decode and score: out plus h's prior (h->eff), or out itself
 * when h has none. */
const float *policy_head_effective(struct policy_head *h, const float *out);

/* ---- the agent's pieces shared by agent.c and agent_train.c ------------------------- */

struct nn_model;

/* The network of an agent problem of signature sig: input (batch, n_state,
 * 1, 1), depth fc layers of hidden units with bias and ReLU, one fc layer
 * with bias to the heads; finalized with seed. CORE_E_NOMEM. */
enum core_rc policy_agent_net_build(const struct policy_agent_signature *sig, uint32_t hidden,
                                    uint32_t depth, uint32_t batch, uint64_t seed,
                                    struct nn_model **out, struct core_err *e);
/* Copy the network's weights into w (load false) or from w (load true),
 * layer by layer as nn_model_layer_weights lays them out. */
void policy_agent_net_weights(struct nn_model *m, float *w, bool load);
/* Normalise raw features: (raw - mean) / sd, clipped to +-POLICY_AGENT_CLIP,
 * NaN to 0. */
void policy_agent_normalise(const struct policy_agent_part *pt, const float *raw, float *x);
/* The signature of h's problem for (model, device) with n_state features. */
void policy_agent_signature_of(const struct policy_head *h, const char *model,
                               const char *device, uint32_t n_state,
                               struct policy_agent_signature *sig);

#endif /* COINFER_POLICY_INT_H */
