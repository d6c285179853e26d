/*
 * proto_int.h — what the collaborative world's files share inside sim/proto:
 * the world, its UEs, its network devices (one per cell), the inferences and
 * messages in flight, the inference's states and the message table. Not part
 * of proto's public face (proto.h).
 *
 * Inferences and messages in flight live in pools of individually allocated
 * objects recycled through free lists, so a callback may hold a pointer to
 * one across events; pools only grow when more are in flight than ever
 * before. A generation number, bumped when an object is recycled or an
 * inference restarts, lets late callbacks (a segment that ends after its
 * inference was re-planned) recognise they are stale.
 *
 * Files, and who calls whom (no other call crosses between them):
 *   pool.c       the pools of inferences and messages in flight;
 *   inference.c  the states and their one transition function, segments,
 *                jitter, the outcome (-> pool, decide, real);
 *   decide.c     the decision seam: requests, deciders, parking (-> pool);
 *   state.c      what a network device reports: RRM, CRM, load;
 *   transport.c  the message table: sending, delivering to the receiver's
 *                handler, acknowledging, tracing (-> pool, ue and net
 *                handlers: the one way between a UE and a network device);
 *   ue.c         the UE: workloads, its CRM, decisions and re-decisions,
 *                answers to parked decisions (-> inference, decide, state,
 *                transport, pool, real);
 *   net.c        the network device: admission, a3, the edge's CRM,
 *                background work, pushes (-> the same);
 *   real.c       real mode: the parts run on the nn engine;
 *   world.c      checking the configuration, building and tearing down
 *                (-> ue and net to start them, pool, real).
 */
#ifndef COINFER_PROTO_INT_H
#define COINFER_PROTO_INT_H

#include "proto/proto.h"

/* ---- the inference's states (inference.c) ---------------------------------- */

/* Where an inference is in the protocol, as one state: the UE's progress
 * and what the network did to its plan (the network takes the edge part
 * away when it withdraws: the W_ states, until the UE learns it from a3).
 * proto_inf_to is the only way from one to another (a table of the allowed
 * moves). */
enum proto_inf_state {
    PROTO_INF_FREE,            /* in the pool, no inference */
    PROTO_INF_REQUESTING,      /* the request is on the uplink */
    PROTO_INF_REPLYING,        /* the network's reply is on the downlink */
    PROTO_INF_DECIDING,        /* the UE's decider will answer later (parked) */
    PROTO_INF_COMPUTING,       /* the UE computes its part; its latest a2 is on the uplink */
    PROTO_INF_COMPUTING_A2_IN, /* the UE computes its part; the network holds an a2 */
    PROTO_INF_AWAITING_A2,     /* the UE's part is done; its a2 is still on the uplink */
    PROTO_INF_LOCAL,           /* the UE computes every layer (a local plan or a decline) */
    PROTO_INF_UPLOADING,       /* the intermediate result is on the uplink */
    PROTO_INF_AT_EDGE,         /* the edge computes its part */
    PROTO_INF_RETURNING,       /* the result is on the downlink */
    PROTO_INF_W_COMPUTING,     /* the network withdrew the edge part (a3 on its way); the UE,
                                  unaware, computes its part */
    PROTO_INF_W_UPLOADING,     /* withdrawn; an upload nobody will use is on the uplink */
    PROTO_INF_W_IDLE,          /* withdrawn; the UE's part done, its upload over (or stopped
                                  when a3 came): it waits for a3, or adapts */
    PROTO_INF_TAKEN_BACK,      /* a3 came and took layers back: the UE adapts (a4); then it
                                  computes the rest itself (or, when the a3 kept an edge
                                  part, computes up to its new cut: COMPUTING) */
    PROTO_INF_STATE_COUNT
};

const char *proto_inf_state_name(enum proto_inf_state s);

#define PROTO_SEG_CACHE 8 /* segments an inference keeps */

/* What the UE knew when it decided an inference's plan_decided (its last
 * INITIAL or UPDATE decision; an a4 adapts under it, it does not change
 * it): the outcome's state, what samples are made of. */
struct proto_seen {
    struct compute_state state;   /* the state it decided on */
    double ue_load;               /* its own load, 0..1 */
    double battery_j;             /* its battery, J (INFINITY: none) */
    double ul_sinr_db;            /* its UL SINR as last reported, dB */
    struct compute_window window; /* its feedback window */
};


struct proto_inf {
    uint32_t slot;             /* index in the pool */
    uint32_t gen;              /* bumped on recycle and restart */
    uint32_t next_of_ue;       /* next in-flight inference of its UE (UINT32_MAX: last) */
    uint32_t prev_of_ue;       /* previous one (UINT32_MAX: first) */
    enum proto_inf_state state; /* where it is (proto_inf_to) */
    uint64_t id;               /* inference_id */
    uint32_t ue;               /* UE index */
    uint32_t cell;             /* network device serving it */
    uint32_t model;            /* model index */
    uint32_t device;           /* the UE's device class */
    uint32_t workload;         /* the UE's workload it came from */
    double deadline_s;         /* its deadline, s */
    struct compute_state state_used; /* the state the plan was decided on */
    struct compute_state pushed; /* the state an update on the air carries, as at
                                    its sending */
    bool push_on_air;          /* a state update for it is on the air */
    int32_t no_plan_layer;     /* PROTO_NO_PLAN: the layer no UE option runs (-1: none) */
    enum proto_decline decline; /* why the network declined (PROTO_DECLINE_NONE: it did
                                   not) */
    struct compute_plan plan;  /* a1 + a2 (after a3: the plan in force) */
    struct compute_plan plan_decided; /* the UE's last decided plan, before any a3 */
    struct compute_plan plan_a3; /* the network's a3 that took layers back, on its way to the
                                    UE (the W_ states) */
    struct proto_seen decided; /* what the UE's last decision of plan_decided saw */
    uint32_t ue_pos;           /* next plan position the UE starts (those before: done
                                  or running) */
    uint32_t edge_pos;         /* next plan position the edge starts */
    /* The plan's segments (compute_plan_segments) while the plan does not
     * change, when there are at most PROTO_SEG_CACHE of them (n_segs 0: not
     * cached). */
    struct compute_segment segs[PROTO_SEG_CACHE];
    uint32_t n_segs;           /* segments in segs[] (0: recompute) */
    double seg_scale;          /* the running segment's jitter factor */
    double seg_energy_j;       /* the running segment's energy, J */
    double t_sent_s;           /* when its intermediate result or result was sent, s */
    struct compute_server *seg_server; /* where its segment job is (NULL: none) */
    enum compute_side seg_side;        /* and on which side */
    bool overridden;           /* outcome: the network sent a3 */
    double t_request_s;        /* request issued, s */
    double ue_compute_s;       /* UE segments, waits included, s */
    double uplink_s;           /* the intermediate upload that counted, s */
    double edge_queue_s;       /* waits at edge resources, s */
    double edge_compute_s;     /* edge service, s */
    double downlink_s;         /* result download, s */
    double ue_energy_j;        /* UE compute and radio, J */
    double edge_energy_j;      /* edge compute, J */
    uint64_t ticket;           /* DECIDING or a pending re-decision: its ticket (0: none) */
    uint64_t upload_flow;      /* its intermediate result's transfer on the air (0: none) */
    uint32_t upload_msg;       /* and that message's pool slot */
    uint32_t restarts;         /* outcome: restarts at a new cell after a handover */
    float *real_buf;           /* real mode: the input, then the crossing tensors (owned) */
    double real_cross_bytes;   /* real mode: bytes of the crossing tensors, B */
    int32_t real_class;        /* real mode: the result's class (-1: none yet) */
    int32_t real_label;        /* real mode: the input's label (-1: none) */
    double correct_u;          /* costed mode with accuracy data: its uniform draw on (0, 1);
                                  correct when below its plan's expected accuracy (NAN: none) */
    uint32_t grp;              /* push index: its group while in a list (UINT32_MAX: none) */
    unsigned in_list;          /* push index: the lists it is in, 1 << proto_push_list */
    uint32_t grp_next[2];      /* next inference of each list of its group, slot
                                  (UINT32_MAX: last) */
    uint32_t grp_prev[2];      /* previous one (UINT32_MAX: first) */
    bool in_replan;            /* in its UE's re-planning list (push_index.c) */
    uint32_t rp_next;          /* next (older) one there, slot (UINT32_MAX: last) */
    uint32_t rp_prev;          /* previous (newer) one (UINT32_MAX: first) */
};

/* Move inf to state to (an allowed move: a broken invariant aborts),
 * counting the move in w->moves. */
void proto_inf_to(struct proto_collab_world *w, struct proto_inf *inf, enum proto_inf_state to);

/* Whether the table allows a move from one state to another. */
bool proto_inf_move_allowed(enum proto_inf_state from, enum proto_inf_state to);

/* The one question every re-decision asks: may inf still change its plan?
 * Deciding is done, its UE part is not uploaded, the network has not taken
 * its edge part away, and the plan has an edge part: (COMPUTING,
 * COMPUTING_A2_IN, AWAITING_A2). A local plan is final: the network pushes
 * only to inferences with an edge part, one update on the air at a time, so
 * none reaches it, and an answer parked before it went local is dropped. */
bool proto_inf_may_replan(const struct proto_inf *inf);

/* Whether a handover may restart inf at the new cell: its data has not
 * reached the edge and the UE does not compute everything itself. */
bool proto_inf_restartable(const struct proto_inf *inf);

/* Whether inf's plan in force has an edge part. */
static inline bool proto_inf_has_edge_part(const struct proto_inf *inf)
{
    return inf->plan.n_ue < inf->plan.n_layers;
}

/* Whether the network has withdrawn inf's edge part and the UE does not know
 * yet, or knows and computes the rest itself. */
bool proto_inf_withdrawn(const struct proto_inf *inf);

/* ---- messages in flight ------------------------------------------------------ */

struct proto_msg {
    uint32_t slot;            /* index in the pool */
    bool live;                /* on the air */
    struct proto_collab_world *world; /* back pointer */
    enum proto_msg_type type; /* what it is */
    uint32_t ue;              /* the UE */
    uint32_t cell;            /* the network device it goes to or comes from */
    double bytes;             /* size, B */
    uint32_t inf_slot;        /* its inference (UINT32_MAX: none) */
    uint32_t inf_gen;         /* the inference's generation when sent */
    int64_t inf_id;           /* its inference_id (-1: none) */
    uint64_t flow;            /* its radio transfer (radio_world_transfer's id) */
    double energy_j;          /* an energy report's body: the edge energy it reports, J */
};

/* ---- the entities ---------------------------------------------------------------- */

/* One finished inference in a UE's feedback window (feedback.c). */
struct proto_window_entry {
    uint64_t inference_id;   /* whose */
    float latency_s;         /* its latency, s */
    float ue_energy_j;       /* its UE energy, J */
    float edge_energy_j;     /* the edge energy the network reported, J (0 until then) */
    int8_t correct;          /* -1: no label; 0 / 1 */
    uint8_t missed;          /* 1: it missed its deadline */
};

struct proto_ue {
    struct proto_collab_world *world; /* back pointer */
    uint32_t index;           /* UE index */
    uint32_t entity;          /* engine entity */
    uint32_t device;          /* device class */
    uint32_t group;           /* radio / proto group */
    struct compute_server **server; /* [its device's n_instances] (in the world's arena) */
    struct core_rng **arrivals; /* [its group's n_workloads] (in the world's arena) */
    struct core_rng *decision; /* the decision maker's draws */
    struct core_rng *jitter;   /* segment-time jitter */
    struct core_rng *input;    /* real mode: input images */
    struct core_rng *correct;  /* costed mode: correctness draws (NULL: no model has accuracy
                                  data) */
    double last_sinr_db;       /* UL SINR of the state it last used, dB */
    double battery_j;          /* energy left, J (INFINITY: unlimited) */
    double last_load;          /* its own load (busy units / units) at its last decision */
    double last_battery_j;     /* its battery at its last decision, J */
    double last_push_s;        /* when the network last sent it a state update, s
                                  (-INFINITY: never) */
    double compute_j;          /* ledger: its segments computed, J */
    double radio_j;            /* ledger: its transfers, RRC tail excluded, J */
    double tail_j;             /* ledger: the RRC tails, J */
    struct proto_window_entry *window; /* [reward window] its feedback window, a ring
                                          (in the world's windows block) */
    uint32_t window_n;         /* entries in it */
    uint32_t window_next;      /* where the next goes */
    uint32_t in_flight;        /* inferences of this UE in flight */
    uint32_t first_inf;        /* its in-flight inferences: first pool slot (UINT32_MAX: none) */
    uint32_t first_grp;        /* its push-index groups, one per cell (UINT32_MAX: none) */
    uint32_t first_replan;     /* its inferences that may re-plan, newest first: first pool
                                  slot (UINT32_MAX: none; push_index.c) */
};

struct proto_net {
    struct proto_collab_world *world; /* back pointer */
    uint32_t cell;            /* its cell */
    uint32_t entity;          /* engine entity (pushes, background arrivals) */
    struct compute_server **server;   /* [edge n_instances] (in the world's arena) */
    struct core_rng **background;     /* [edge n_instances] (in the world's arena) */
    double *compute_j;        /* ledger: [edge n_instances] inference segments, J */
    double *background_j;     /* ledger: [edge n_instances] background jobs, J */
    double *push_wait_s;      /* [edge n_instances] each instance's wait as push_state
                                 started, s (scratch) */
    double pushed_load;       /* load at the last push, 0..1 */
    double last_push_s;       /* when it last pushed, s (-INFINITY: never) */
    uint32_t first_grp;       /* its push-index groups, one per UE (UINT32_MAX: none) */
};

/* Why a network that replied with st declined (PROTO_DECLINE_NONE when
 * st offers the edge). */
enum proto_decline proto_net_decline(const struct proto_collab_world *w,
                                     const struct compute_state *st);

/* Send inf's UE a state update now, carrying the network's state as it is
 * at sending (a push or the answer to a state request). */
void proto_net_send_state(struct proto_collab_world *w, struct proto_net *net,
                          struct proto_inf *inf);

/* ---- the push index (push_index.c) ------------------------------------------ */

/* The push index's two lists (push_index.c). */
enum proto_push_list {
    PROTO_PUSH_READY, /* it may re-plan and no update for it is on the air */
    PROTO_PUSH_HELD,  /* the network holds its a2 before its edge part starts */
    PROTO_PUSH_LISTS
};

/* One (cell, UE) pair of the push index: the UE's inferences served by the
 * cell in either list. */
struct proto_push_group {
    uint32_t ue;                       /* its UE */
    uint32_t cell;                     /* its cell */
    uint32_t first[PROTO_PUSH_LISTS];  /* each list's first inference, slot (UINT32_MAX:
                                          empty) */
    uint32_t n[PROTO_PUSH_LISTS];      /* inferences in each (not both 0 while used) */
    uint32_t next_in_cell;             /* next group of the cell (UINT32_MAX: last) */
    uint32_t prev_in_cell;             /* previous one (UINT32_MAX: first) */
    uint32_t next_of_ue;               /* next group of the UE (UINT32_MAX: last) */
};

/* Whether inf belongs in list l, from its own fields. */
bool proto_push_member(const struct proto_inf *inf, enum proto_push_list l);

/* Make room for cap inferences in the index (the inference pool's
 * capacity): groups and the push's scratch. false: out of memory (the
 * index still as it was). */
bool proto_push_index_reserve(struct proto_collab_world *w, size_t cap);

/* Bring inf's place in the index and in its UE's re-planning list up to
 * date after its state or push_on_air changed (proto_inf_to and
 * proto_inf_set_push_on_air call it). */
void proto_push_index_sync(struct proto_collab_world *w, struct proto_inf *inf);

/* Set whether a state update for inf is on the air (the one way to). */
void proto_inf_set_push_on_air(struct proto_collab_world *w, struct proto_inf *inf, bool on_air);

/* Whether the index holds exactly what a walk over the whole pool finds
 * (each inference in the lists proto_push_member names, in the group of its
 * (cell, UE)), every list well linked, every group used or free, and each
 * UE's re-planning list is its in-flight list's inferences that may
 * re-plan, in the same order (for tests). */
bool proto_push_index_consistent(const struct proto_collab_world *w);

/* A decision parked until its decider answers. */
struct proto_parked {
    uint64_t ticket;              /* its ticket (> 0) */
    uint32_t inf_slot, inf_gen;   /* its inference */
    struct compute_decision req;  /* the request (req.current points into cur) */
    struct compute_plan cur;      /* the plan in force when it was asked (UPDATE) */
};

struct proto_collab_world {
    const struct proto_world_config *cfg; /* borrowed */
    struct core_engine *eng;          /* borrowed */
    struct radio_world *radio;        /* borrowed */
    struct proto_decider ue_decider;  /* the UEs' decider */
    struct proto_decider net_decider; /* the network's */
    struct proto_sink sink;           /* where outcomes and messages go */
    struct proto_ue *ues;             /* [n_ues] */
    size_t n_ues;                     /* UEs */
    struct proto_net *nets;           /* [n_cells] */
    size_t n_cells;                   /* cells */
    void *arena;                      /* the UEs' and nets' pointer arrays (owned) */
    struct proto_window_entry *windows; /* the UEs' feedback windows, reward.window each
                                           (owned; NULL: none kept) */
    double *edge_j;                   /* the nets' ledgers and push waits, 3 x n_cells x
                                         edge n_instances (owned) */
    double t_created_s;               /* when the world was built, s (the ledger's start) */
    struct proto_inf **infs;          /* pool, [n_infs] */
    size_t n_infs, cap_infs;          /* pool size, array capacity */
    uint32_t *free_infs;              /* free slots (stack), [cap_infs] */
    size_t n_free_infs;               /* entries */
    struct proto_push_group *grps;    /* the push index's groups, [cap_grps] (owned) */
    size_t cap_grps;                  /* groups allocated (= cap_infs) */
    uint32_t *free_grps;              /* free groups (stack), [cap_grps] (owned) */
    size_t n_free_grps;               /* entries */
    uint32_t *push_scratch;           /* a push's gathered slots, [cap_grps] (owned) */
    struct proto_msg **msgs;          /* pool, [n_msgs] */
    size_t n_msgs, cap_msgs;          /* pool size, array capacity */
    uint32_t *free_msgs;              /* free slots (stack), [cap_msgs] */
    size_t n_free_msgs;               /* entries */
    struct proto_parked *parked;      /* [n_parked], oldest first (owned) */
    size_t n_parked, cap_parked;      /* entries, allocated */
    uint64_t next_ticket;             /* the next parked decision's ticket */
    struct compute_segment *segs;     /* scratch, [COMPUTE_PLAN_MAX_LAYERS] */
    uint64_t next_id;                 /* next inference_id */
    struct proto_collab_stats stats;  /* counters */
    bool ended;                       /* proto_collab_world_end was called */
    /* Moves made, [from][to] (proto_inf_to): what white-box tests read to
     * see which of the table's moves a world exercised. */
    uint64_t moves[PROTO_INF_STATE_COUNT][PROTO_INF_STATE_COUNT];
    int ue_type, net_type;            /* engine entity types */
};

/* The problem of inf. */
static inline const struct compute_problem *
proto_inf_base_problem(const struct proto_collab_world *w, const struct proto_inf *inf)
{
    return proto_problem(w->cfg, inf->device, inf->model);
}

/* Its truth: the problem priced as the world executes it. */
static inline const struct compute_problem *proto_inf_base_truth(const struct proto_collab_world *w,
                                                                 const struct proto_inf *inf)
{
    return proto_truth(w->cfg, inf->device, inf->model);
}

/* The problem whose layers inf's plan runs: its (device, model) problem, or
 * the right-sized problem of the exit the plan ends at (compute_plan_problem). */
static inline const struct compute_problem *proto_inf_problem(const struct proto_collab_world *w,
                                                              const struct proto_inf *inf)
{
    return compute_plan_problem(proto_inf_base_problem(w, inf), &inf->plan);
}

/* Its truth (segments' times), the same way. */
static inline const struct compute_problem *proto_inf_truth(const struct proto_collab_world *w,
                                                            const struct proto_inf *inf)
{
    return compute_plan_problem(proto_inf_base_truth(w, inf), &inf->plan);
}

/* Events of a UE entity and of a network entity. */
enum proto_ue_event { PROTO_UE_EV_ARRIVAL, PROTO_UE_EV_COUNT };
enum proto_net_event {
    PROTO_NET_EV_PUSH,       /* the periodic state push */
    PROTO_NET_EV_BACKGROUND, /* a background job arrives at an edge instance */
    PROTO_NET_EV_WITHDRAW,   /* the scenario withdraws an edge instance */
    PROTO_NET_EV_COUNT
};

/* ---- pool.c ---------------------------------------------------------------------- */

/* A fresh inference (NULL: out of memory, the run fails). */
struct proto_inf *proto_inf_get(struct proto_collab_world *w);
void proto_inf_put(struct proto_collab_world *w, struct proto_inf *inf);
/* The live inference of (slot, gen), or NULL if it is gone or restarted. */
struct proto_inf *proto_inf_find(struct proto_collab_world *w, uint32_t slot, uint32_t gen);
struct proto_msg *proto_msg_get(struct proto_collab_world *w);
void proto_msg_put(struct proto_collab_world *w, struct proto_msg *m);

/* ---- transport.c ------------------------------------------------------------------- */

/* Send a message of type now over the UE's radio, its size from the message
 * table (for inf, which may be NULL for state messages); its delivery goes
 * to the receiver's handler and, for an uplink message, the sender's
 * acknowledgement handler. The message on the air (NULL: out of memory, the
 * run fails). */
struct proto_msg *proto_send(struct proto_collab_world *w, uint32_t ue, uint32_t cell,
                enum proto_msg_type type, struct proto_inf *inf);

/* ---- ledger.c ---------------------------------------------------------------------- */

/* A transfer of UE ue ended or was stopped (d): its energy to the UE's
 * ledger and off its battery. */
void proto_ledger_radio(struct proto_collab_world *w, uint32_t ue,
                        const struct radio_world_flow_done *d);
/* Every row of the ledger to the sink (proto_collab_world_end). */
void proto_ledger_emit(struct proto_collab_world *w);

/* Stop inf's intermediate upload if it is on the air (a handover restart):
 * the message goes nowhere, what the UE spent on it so far is charged to
 * the inference and drained from its battery. */
void proto_stop_upload(struct proto_collab_world *w, struct proto_inf *inf);

/* ---- inference.c -------------------------------------------------------------------- */

/* The segment of inf's plan in force that starts at position pos: the
 * plan's segment (compute_plan_segments) when one starts there, else the
 * rest of the segment holding pos (no copy: the same option continues),
 * priced by the truth (proto_inf_truth): what it takes when it runs, before
 * jitter. Fills inf's segment cache when the plan has changed. */
void proto_segment_at(struct proto_collab_world *w, struct proto_inf *inf, uint32_t pos,
                      struct compute_segment *out);

/* Jitter factor of one segment (1 without jitter): log-normal, mean 1. */
double proto_jitter(struct proto_collab_world *w, struct core_rng *r);

/* ---- the UE's feedback (feedback.c) ------------------------------------------ */

/* Record what the UE knew when it decided inf's plan_decided (req: its
 * INITIAL or UPDATE request). */
void proto_inf_decided(struct proto_inf *inf, const struct compute_decision *req);

/* inf finished: it enters its UE's feedback window (latency, UE energy,
 * correctness, deadline; its edge energy when the network's report comes,
 * at once when it had no edge part). */
void proto_feedback_finished(struct proto_collab_world *w, const struct proto_inf *inf,
                             double latency_s, int correct, bool deadline_met);

/* The network's energy report of inference inference_id of UE ue came:
 * the edge energy it reports enters the window, when that inference is
 * still in it. */
void proto_feedback_report(struct proto_collab_world *w, uint32_t ue, uint64_t inference_id,
                           double edge_energy_j);

/* UE ue's feedback window now: the means and their reward. */
void proto_feedback_window(const struct proto_collab_world *w, uint32_t ue,
                           struct compute_window *out);

/* inf ended at t_s: its outcome to the sink, the UE's bookkeeping, the
 * inference back to the pool. */
void proto_inf_finish(struct proto_collab_world *w, struct proto_inf *inf, double t_s);

/* UE ue spent energy_j (a compute segment, a transfer): off its battery as
 * it is spent, so that the battery moves while an inference runs (a
 * state-request trigger). The UE whose battery runs out is counted. */
void proto_ue_drain(struct proto_collab_world *w, uint32_t ue, double energy_j);

/* inf ends at t_s with no plan (proto_decide said PROTO_NO_PLAN; its
 * no_plan_layer set): an outcome of stage "no-plan", never finished. */
void proto_inf_fail(struct proto_collab_world *w, struct proto_inf *inf, double t_s);

/* ---- decide.c ----------------------------------------------------------------------- */

/* Fill req for inf: kind, problem, identity, the UE's own state, with st the
 * state (its UE waits are measured here) and, for a re-decision, the plan in
 * force and how much of it has started; for a UE decider that decides on the
 * truth, the truth too (compute_decision). */
void proto_decision_request(struct proto_collab_world *w, struct proto_inf *inf,
                            enum compute_decision_kind kind, const struct compute_state *st,
                            struct compute_decision *req);

/* What proto_decide came to. */
enum proto_decided {
    PROTO_DECIDED,     /* *out holds the plan */
    PROTO_PARKED,      /* the decider answers later (its ticket in inf->ticket) */
    PROTO_NO_PLAN,     /* no plan exists: a layer the UE must run has no UE option
                          (the edge unavailable, or a4); inf->no_plan_layer names it */
    PROTO_RUN_FAILED,  /* the run failed: the decider failed or broke its contract */
};

/* Ask the UE's decider (the network's for OVERRIDE) about req. A request
 * that leaves the UE every layer from its start on (the edge unavailable,
 * or a4) when one of those layers runs on no UE option is PROTO_NO_PLAN,
 * the decider not asked. */
enum proto_decided proto_decide(struct proto_collab_world *w, struct proto_inf *inf,
                                const struct compute_decision *req, struct compute_plan *out);

/* Forget inf's parked request, if any (it restarts or ends). */
void proto_decision_drop(struct proto_collab_world *w, struct proto_inf *inf);

/* Take parked decision ticket out if plan answers it (compute_plan_check
 * against its problem and constraint): *req is its request, *inf its
 * inference. CORE_E_INPUT for an unknown ticket or a plan that does not
 * fit (the decision stays parked). */
enum core_rc proto_decision_take(struct proto_collab_world *w, uint64_t ticket,
                                 const struct compute_plan *plan, struct compute_decision *req,
                                 struct proto_inf **inf, struct core_err *e);

/* The UE's own load: busy units over all units of its resources, 0..1. */
double proto_ue_load(const struct proto_collab_world *w, const struct proto_ue *ue);

/* ---- ue.c ------------------------------------------------------------------------------ */

extern const struct core_entity_type proto_ue_type;

/* Schedule ue's first arrival of each workload. */
enum core_rc proto_ue_start(struct proto_collab_world *w, struct proto_ue *ue);

/* Send inf's request now from its UE's serving cell. */
void proto_ue_send_request(struct proto_collab_world *w, struct proto_inf *inf);

/* Downlink messages reaching the UE, and the UE learning its uplink message
 * was delivered (link-layer acknowledgement, the same instant). */
void proto_ue_on_reply(struct proto_collab_world *w, struct proto_inf *inf, double t_s,
                       double duration_s);
void proto_ue_on_update(struct proto_collab_world *w, struct proto_inf *inf, double t_s,
                        double duration_s);
void proto_ue_on_state_update(struct proto_collab_world *w, struct proto_inf *inf, double t_s,
                              double duration_s);
void proto_ue_on_result(struct proto_collab_world *w, struct proto_inf *inf, double t_s,
                        double duration_s);
void proto_ue_sent_decision(struct proto_collab_world *w, struct proto_inf *inf, double t_s,
                            double duration_s);
void proto_ue_sent_intermediate(struct proto_collab_world *w, struct proto_inf *inf, double t_s,
                                double duration_s);

/* A UE resource finished a job. */
void proto_ue_job_done(void *ctx, const struct compute_job *job, double t_done_s,
                       struct core_engine *eng);
/* The UE changed cell. */
void proto_ue_handover(void *ctx, struct radio_world *rw, uint32_t ue, uint32_t from_cell,
                       uint32_t to_cell, double t_s);


/* ---- net.c ------------------------------------------------------------------------------ */

extern const struct core_entity_type proto_net_type;

/* Schedule the network device's pushes and background work. */
enum core_rc proto_net_start(struct proto_collab_world *w, struct proto_net *net);

/* Uplink messages reaching the network device of m's cell. */
void proto_net_on_request(struct proto_collab_world *w, struct proto_net *net,
                          struct proto_inf *inf);
void proto_net_on_decision(struct proto_collab_world *w, struct proto_net *net,
                           struct proto_inf *inf);
void proto_net_on_intermediate(struct proto_collab_world *w, struct proto_net *net,
                               struct proto_inf *inf);
void proto_net_on_state_request(struct proto_collab_world *w, struct proto_net *net,
                                struct proto_inf *inf);
void proto_net_on_update_ack(struct proto_collab_world *w, struct proto_net *net,
                             struct proto_inf *inf);

/* An edge resource finished a job. */
void proto_net_job_done(void *ctx, const struct compute_job *job, double t_done_s,
                        struct core_engine *eng);

/* ---- state.c ------------------------------------------------------------------------------ */

/* The state the network of cell reports to ue about model now (RRM, CRM;
 * the CPMM's tables are the problem's): st's radio figures and edge waits,
 * edge_available by admission; the UE's last_sinr_db too. */
/* The radio's figures of ue now into st (rates, the UE's powers while
 * sending and receiving) and its uplink SINR into *ul_sinr_db: false (the
 * run failed) when the RRM cannot answer. */
bool proto_net_radio(struct proto_collab_world *w, uint32_t ue, struct compute_state *st,
                     double *ul_sinr_db);
void proto_net_state(struct proto_collab_world *w, uint32_t cell, uint32_t ue, uint32_t model,
                     struct compute_state *st);
/* The expected wait at edge instance i of net at now: its backlog, or
 * INFINITY while the scenario withdraws it, s. */
double proto_net_instance_wait_s(const struct proto_collab_world *w,
                                 const struct proto_net *net, uint32_t i, double now);
/* Busy units over all units of net's edge node, 0..1. */
double proto_net_load(const struct proto_collab_world *w, const struct proto_net *net);

/* ---- problem.c ---------------------------------------------------------------------------- */

/* Mark in keep[] (false before, p->n_layers) the problem layers layer g of
 * p needs: itself and its ancestors. An exit attached at g keeps these in
 * its right-sized problem, in p's order (proto_problem_exit_add). */
void proto_problem_needed(const struct compute_problem *p, size_t g, bool *keep);

/* ---- real.c ------------------------------------------------------------------------------- */

/* Real mode. Draw inf's input (an 8-bit image) into its buffer. */
enum core_rc proto_real_input(struct proto_collab_world *w, struct proto_inf *inf,
                              struct core_err *e);
/* Run inf's UE part on its input, keeping the crossing tensors; their bytes
 * (the model input at the problem's input bytes) in *crossing_bytes. With
 * the whole model on the UE, sets the result's class. */
enum core_rc proto_real_ue_part(struct proto_collab_world *w, struct proto_inf *inf,
                                double *crossing_bytes, struct core_err *e);
/* Run inf's edge part on the crossing tensors; sets the result's class. */
enum core_rc proto_real_edge_part(struct proto_collab_world *w, struct proto_inf *inf,
                                  struct core_err *e);
/* Free inf's buffer (NULL: no-op). */
void proto_real_free(struct proto_inf *inf);

#endif /* COINFER_PROTO_INT_H */
