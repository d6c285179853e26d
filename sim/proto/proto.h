/*
 * proto.h — the whole public face of sim/proto: the entities that talk to
 * each other (UEs, network devices) and the worlds built from them.
 *
 * For now it holds the validation queueing model: UEs that send requests as
 * Poisson (or periodic) processes to one edge server with deterministic or
 * exponential service times. It proves the engine against queueing theory
 * before the radio and DNN models arrive.
 *
 * Configuration comes from knob tables (one per scenario element) that the
 * scenario loader in io/ applies; the world writes one record per finished
 * request into a caller-provided buffer that the run driver drains to the
 * results database between slices of the run.
 */
#ifndef COINFER_PROTO_H
#define COINFER_PROTO_H

#include "core/core.h"

/* ---- simulation-wide settings: element <simulation> ---------------------- */

struct proto_sim_config {
    double duration_s;  /* simulated time to run, s */
    uint64_t seed;      /* master seed of every RNG stream */
    double warmup_s;    /* requests arriving before this are not recorded, s */
};
extern const struct core_knob_table proto_sim_knobs;

/* ---- the validation queue: elements <server> and <ues> inside <queue> ---- */

enum proto_service_dist {
    PROTO_SERVICE_EXPONENTIAL,  /* M/M/c */
    PROTO_SERVICE_DETERMINISTIC, /* M/D/c */
    PROTO_SERVICE_DIST_COUNT
};

enum proto_arrival_process {
    PROTO_ARRIVAL_POISSON,  /* exponential inter-arrival times */
    PROTO_ARRIVAL_PERIODIC, /* fixed period 1/rate, random phase */
    PROTO_ARRIVAL_PROCESS_COUNT
};

struct proto_queue_server_config {
    long n_servers;                  /* identical units at the edge server */
    int service;                     /* enum proto_service_dist */
    double mean_service_s;           /* mean service time, s */
};
extern const struct core_knob_table proto_queue_server_knobs;

struct proto_queue_ues_config {
    long n_ues;                      /* UEs sending requests */
    int arrival;                     /* enum proto_arrival_process */
    double rate_hz;                  /* requests per second per UE, Hz */
};
extern const struct core_knob_table proto_queue_ues_knobs;

struct proto_queue_config {
    struct proto_queue_server_config server;
    struct proto_queue_ues_config ues;
};

/* The offered load rho = n_ues * rate / (n_servers / mean_service). */
double proto_queue_rho(const struct proto_queue_config *q);

/* Mean sojourn time (wait + service) that queueing theory predicts for q, in
 * seconds: M/M/c by Erlang C, M/D/1 by Pollaczek-Khinchine. NAN where no
 * closed form applies (periodic arrivals, M/D/c with c > 1) or the queue is
 * unstable (rho >= 1). */
double proto_queue_theory_sojourn_s(const struct proto_queue_config *q);

/* ---- records ------------------------------------------------------------- */

/* One finished request of the queue model. */
struct proto_request_record {
    uint64_t request_id;  /* 0, 1, 2, ... in arrival order */
    uint32_t ue_id;       /* sender, 0-based */
    uint32_t server_id;   /* the edge server, 0 (one server for now) */
    double t_arrival_s;   /* arrival at the server, s */
    double t_start_s;     /* service start, s */
    double t_done_s;      /* service end, s */
};

/* A bounded buffer of records, filled by handlers (which never allocate) and
 * drained by the run driver. When it is full the world asks the engine to
 * stop so the driver can drain it; nothing is ever dropped. */
struct proto_records {
    struct proto_request_record *rows; /* owned */
    size_t n;                          /* rows filled */
    size_t capacity;                   /* rows allocated */
};
enum core_rc proto_records_init(struct proto_records *r, size_t capacity);
void proto_records_fini(struct proto_records *r);

/* ---- the queue world ----------------------------------------------------- */

struct proto_queue_world;

/* Build the world on eng: UEs with their own RNG streams (seed, ue, purpose)
 * and the server; schedules the first arrivals. records is borrowed and must
 * outlive the world. NULL on allocation failure (e says so). */
struct proto_queue_world *proto_queue_world_create(const struct proto_sim_config *sim,
                                                   const struct proto_queue_config *q,
                                                   struct core_engine *eng,
                                                   struct proto_records *records,
                                                   struct core_err *e);
void proto_queue_world_destroy(struct proto_queue_world *w);

/* Requests that arrived / finished so far (recorded or not). */
uint64_t proto_queue_world_arrivals(const struct proto_queue_world *w);
uint64_t proto_queue_world_completions(const struct proto_queue_world *w);

#endif /* COINFER_PROTO_H */
