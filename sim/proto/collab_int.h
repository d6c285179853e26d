/*
 * collab_int.h — what the collaborative world's files share inside sim/proto:
 * the world, its UEs, its network devices (one per cell) and the in-flight
 * inferences and messages. Not part of proto's public face (proto.h).
 *
 * Inferences and messages in flight live in pools of individually allocated
 * objects recycled through free lists, so a callback may hold a pointer to
 * one across events; pools only grow when more are in flight than ever
 * before. A generation number, bumped when an object is recycled or an
 * inference restarts, lets late callbacks (a segment that ends after its
 * inference was re-planned) recognise they are stale.
 */
#ifndef COINFER_PROTO_COLLAB_INT_H
#define COINFER_PROTO_COLLAB_INT_H

#include "proto/proto.h"

/* Where an inference is in the protocol. */
enum collab_phase {
    PH_REQUEST,  /* request on the uplink */
    PH_REPLY,    /* reply on the downlink */
    PH_RUNNING,  /* deciding done: UE part, a2 and the upload under way */
    PH_AT_EDGE,  /* the intermediate result reached the edge */
    PH_RESULT,   /* result on the downlink */
    PH_DONE
};

#define COLLAB_SEG_CACHE 8 /* segments an inference keeps */

struct collab_inf {
    uint32_t slot;             /* index in the pool */
    uint32_t gen;              /* bumped on recycle and restart */
    uint32_t next_of_ue;       /* next in-flight inference of its UE (UINT32_MAX: last) */
    uint32_t prev_of_ue;       /* previous one (UINT32_MAX: first) */
    bool live;                 /* in flight */
    enum collab_phase phase;   /* where it is */
    uint64_t id;               /* inference_id */
    uint32_t ue;               /* UE index */
    uint32_t cell;             /* network device serving it */
    uint32_t model;            /* model index */
    uint32_t device;           /* the UE's device class */
    double deadline_s;         /* its deadline, s */
    struct compute_state state; /* the state the plan was made for */
    struct compute_plan plan;  /* a1 + a2 (after a3: the plan in force) */
    uint32_t ue_pos;           /* next plan position the UE starts (those before: done
                                  or running) */
    uint32_t edge_pos;         /* next plan position the edge starts */
    /* The plan's segments (compute_plan_segments), kept while the plan does
     * not change when there are at most COLLAB_SEG_CACHE of them. */
    struct compute_segment segs[COLLAB_SEG_CACHE];
    uint32_t n_segs;           /* segments in segs[] */
    bool segs_valid;           /* segs[] is the plan's (cleared when the plan changes) */
    double seg_scale;          /* the running segment's jitter factor */
    double seg_energy_j;       /* the running segment's energy, J */
    bool ue_busy;              /* a UE segment is running */
    bool ue_part_done;         /* every UE position computed */
    bool a2_sent;              /* a2 on its way or delivered */
    bool a2_delivered;         /* the network has a2 */
    bool uploading;            /* the intermediate result is on the uplink */
    bool withdrawn;            /* a3 took the edge part away: all on the UE */
    bool declined;             /* the network declined */
    bool overridden;           /* the network sent a3 */
    double t_request_s;        /* request issued, s */
    double t_seg_submit_s;     /* the running segment's submission, s */
    double ue_compute_s;       /* UE segments, waits included, s */
    double uplink_s;           /* the intermediate upload that counted, s */
    double edge_queue_s;       /* waits at edge resources, s */
    double edge_compute_s;     /* edge service, s */
    double downlink_s;         /* result download, s */
    double ue_energy_j;        /* UE compute and radio, J */
    double edge_energy_j;      /* edge compute, J */
    float *real_buf;           /* real mode: the input, then the crossing tensors (owned) */
    double real_cross_bytes;   /* real mode: bytes of the crossing tensors, B */
    int32_t real_class;        /* real mode: the result's class (-1: none yet) */
};

/* A message on the air. */
struct collab_msg {
    uint32_t slot;            /* index in the pool */
    bool live;                /* on the air */
    struct proto_collab_world *world; /* back pointer */
    enum proto_msg_type type; /* what it is */
    bool uplink;              /* direction */
    uint32_t ue;              /* the UE */
    uint32_t cell;            /* the network device it goes to or comes from */
    double bytes;             /* size, B */
    uint32_t inf_slot;        /* its inference (UINT32_MAX: none) */
    uint32_t inf_gen;         /* the inference's generation when sent */
    int64_t inf_id;           /* its inference_id (-1: none) */
};

struct collab_ue {
    struct proto_collab_world *world; /* back pointer */
    uint32_t index;           /* UE index */
    uint32_t entity;          /* engine entity */
    uint32_t device;          /* device class */
    uint32_t group;           /* radio / proto group */
    struct compute_server *server[PROTO_MAX_INSTANCES]; /* its resource instances */
    struct core_rng *arrivals[PROTO_MAX_WORKLOADS]; /* one stream per workload */
    struct core_rng *decision; /* the decision maker's draws */
    struct core_rng *jitter;   /* segment-time jitter */
    struct core_rng *input;    /* real mode: input images */
    double last_sinr_db;       /* UL SINR of the state it last used, dB */
    double battery_j;          /* energy left, J (INFINITY: unlimited) */
    double last_load;          /* its own load (busy units / units) at its last decision */
    uint32_t in_flight;        /* inferences of this UE in flight */
    uint32_t first_inf;        /* its in-flight inferences: first pool slot (UINT32_MAX: none) */
};

struct collab_net {
    struct proto_collab_world *world; /* back pointer */
    uint32_t cell;            /* its cell */
    uint32_t entity;          /* engine entity (pushes, background arrivals) */
    struct compute_server *server[PROTO_MAX_INSTANCES]; /* edge resource instances */
    struct core_rng *background[PROTO_MAX_INSTANCES];   /* background job draws */
    double pushed_load;       /* load at the last push, 0..1 */
};

struct proto_collab_world {
    struct proto_collab_config cfg;   /* copy (problems borrowed) */
    struct core_engine *eng;          /* borrowed */
    struct radio_world *radio;        /* borrowed */
    proto_decide_fn decide;           /* the decision maker */
    void *decide_ctx;                 /* its context */
    struct proto_collab_records *rec; /* borrowed */
    struct collab_ue *ues;            /* [n_ues] */
    size_t n_ues;                     /* UEs */
    struct collab_net *nets;          /* [n_cells] */
    size_t n_cells;                   /* cells */
    struct collab_inf **infs;         /* pool, [n_infs] */
    size_t n_infs, cap_infs;          /* pool size, array capacity */
    uint32_t *free_infs;              /* free slots (stack), [cap_infs] */
    size_t n_free_infs;               /* entries */
    struct collab_msg **msgs;         /* pool, [n_msgs] */
    size_t n_msgs, cap_msgs;          /* pool size, array capacity */
    uint32_t *free_msgs;              /* free slots (stack), [cap_msgs] */
    size_t n_free_msgs;               /* entries */
    struct compute_segment *segs;     /* scratch, [COMPUTE_PLAN_MAX_LAYERS] */
    uint64_t next_id;                 /* next inference_id */
    struct proto_collab_stats stats;  /* counters */
    int ue_type, net_type;            /* engine entity types */
};

/* Events of a UE entity and of a network entity. */
enum collab_ue_event { UE_EV_ARRIVAL, UE_EV_COUNT };
enum collab_net_event { NET_EV_PUSH, NET_EV_BACKGROUND, NET_EV_COUNT };

/* ---- collab_world.c --------------------------------------------------------- */

/* A fresh inference (NULL: out of memory, the run fails). */
struct collab_inf *collab_inf_get(struct proto_collab_world *w);
void collab_inf_put(struct proto_collab_world *w, struct collab_inf *inf);
/* The live inference of (slot, gen), or NULL if it is gone or restarted. */
struct collab_inf *collab_inf_find(struct proto_collab_world *w, uint32_t slot, uint32_t gen);

/* Send a message now over the UE's radio; its delivery calls
 * collab_msg_delivered. Fails the run on out of memory. */
void collab_send(struct proto_collab_world *w, uint32_t ue, uint32_t cell,
                 enum proto_msg_type type, double bytes, struct collab_inf *inf);

/* The segment of inf's plan in force that starts at position pos: the
 * plan's segment (compute_plan_segments) when one starts there, else the
 * rest of the segment holding pos (no copy: the same option continues).
 * Fills inf's segment cache when the plan has changed. */
void collab_segment_at(struct proto_collab_world *w, struct collab_inf *inf, uint32_t pos,
                       struct compute_segment *out);

/* Jitter factor of one segment (1 without jitter): log-normal, mean 1. */
double collab_jitter(struct proto_collab_world *w, struct core_rng *r);

/* Write the trace row of a delivered message, if tracing. */
void collab_trace(struct proto_collab_world *w, const struct collab_msg *m, double t_s);

/* ---- collab_ue.c ------------------------------------------------------------ */

extern const struct core_entity_type collab_ue_type;

/* Schedule ue's first arrival of each workload. */
enum core_rc collab_ue_start(struct proto_collab_world *w, struct collab_ue *ue);

/* A message reached the UE (downlink). */
void collab_ue_receive(struct proto_collab_world *w, const struct collab_msg *m,
                       struct collab_inf *inf, double t_s, double duration_s);
/* The UE's uplink message was delivered (the UE learns it at once). */
void collab_ue_sent(struct proto_collab_world *w, const struct collab_msg *m,
                    struct collab_inf *inf, double t_s, double duration_s);
/* A UE resource finished a job. */
void collab_ue_job_done(void *ctx, const struct compute_job *job, double t_done_s,
                        struct core_engine *eng);
/* The UE changed cell. */
void collab_ue_handover(void *ctx, struct radio_world *rw, uint32_t ue, uint32_t from_cell,
                        uint32_t to_cell, double t_s);

/* ---- collab_real.c ---------------------------------------------------------- */

/* Real mode. Draw inf's input (an 8-bit image) into its buffer. */
enum core_rc collab_real_input(struct proto_collab_world *w, struct collab_inf *inf,
                               struct core_err *e);
/* Run inf's UE part on its input, keeping the crossing tensors; their bytes
 * (the model input at the problem's input bytes) in *crossing_bytes. With
 * the whole model on the UE, sets the result's class. */
enum core_rc collab_real_ue_part(struct proto_collab_world *w, struct collab_inf *inf,
                                 double *crossing_bytes, struct core_err *e);
/* Run inf's edge part on the crossing tensors; sets the result's class. */
enum core_rc collab_real_edge_part(struct proto_collab_world *w, struct collab_inf *inf,
                                   struct core_err *e);
/* The index of the largest element of m's output after a run. */
int32_t collab_real_argmax(const struct nn_model *m);
/* Free inf's buffer (NULL: no-op). */
void collab_real_free(struct collab_inf *inf);

/* ---- collab_net.c ----------------------------------------------------------- */

extern const struct core_entity_type collab_net_type;

/* Schedule the network device's pushes and background work. */
enum core_rc collab_net_start(struct proto_collab_world *w, struct collab_net *net);

/* An uplink message reached the network device. */
void collab_net_receive(struct proto_collab_world *w, const struct collab_msg *m,
                        struct collab_inf *inf, double t_s);
/* An edge resource finished a job. */
void collab_net_job_done(void *ctx, const struct compute_job *job, double t_done_s,
                         struct core_engine *eng);
/* The state the network reports to ue now (RRM, CRM; CPMM tables are the
 * problem's): fills st's radio figures and edge waits, and edge_available by
 * admission. */
void collab_net_state(struct proto_collab_world *w, uint32_t cell, uint32_t ue, uint32_t model,
                      struct compute_state *st);

#endif /* COINFER_PROTO_COLLAB_INT_H */
