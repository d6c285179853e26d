/*
 * compute.h — the whole public face of sim/compute: compute resources as
 * servers with queues.
 *
 * A server here is c identical units (cores, accelerators) in front of one
 * FIFO queue. Jobs arrive with their service time already drawn (the caller
 * owns the randomness); the server is an engine entity that starts jobs as
 * units free up and reports each job's start and completion through a
 * callback. Times are simulated seconds.
 */
#ifndef COINFER_COMPUTE_H
#define COINFER_COMPUTE_H

#include "core/core.h"

/* One unit of work at a server. */
struct compute_job {
    uint64_t id;          /* caller's identifier, passed back on completion */
    uint32_t owner;       /* caller's tag (the UE that sent it) */
    double t_arrival_s;   /* when it reached the server */
    double t_start_s;     /* when a unit began serving it (set by the server) */
    double service_s;     /* service time, s (drawn by the caller) */
};

/* Called from the server's completion handler with the finished job (valid
 * only during the call) and the completion time. Must not allocate. */
typedef void (*compute_done_fn)(void *ctx, const struct compute_job *job, double t_done_s,
                                struct core_engine *eng);

struct compute_server;

/* Create a server of n_units units whose FIFO queue holds up to queue_capacity
 * waiting jobs before it grows (growth is the only allocation, and only when
 * the queue is longer than ever before). Registers itself with eng. Returns
 * NULL on allocation failure. done(ctx, ...) hears every completion. */
struct compute_server *compute_server_create(struct core_engine *eng, uint32_t n_units,
                                             size_t queue_capacity, compute_done_fn done,
                                             void *ctx);
void compute_server_destroy(struct compute_server *s); /* NULL is a no-op */

/* A job arrives now (eng's clock). Returns CORE_E_NOMEM if the queue could not
 * grow; the job is then lost and the caller fails the run. */
enum core_rc compute_server_submit(struct compute_server *s, struct core_engine *eng,
                                   const struct compute_job *job);

/* Jobs waiting (not in service) and units busy, now. */
size_t compute_server_queued(const struct compute_server *s);
uint32_t compute_server_busy(const struct compute_server *s);
/* Integral of the number of jobs in the system (queued + in service) over
 * time up to now, in job-seconds, and of busy units, in unit-seconds. */
double compute_server_jobs_area(const struct compute_server *s, double now_s);
double compute_server_busy_area(const struct compute_server *s, double now_s);

#endif /* COINFER_COMPUTE_H */
