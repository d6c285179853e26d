/*
 * server.c — a compute server: n identical units in front of one FIFO queue.
 *
 * A job takes k >= 1 units for its whole service (cores of a CPU cluster for
 * a layer run on k cores). The server is an engine entity with one handler,
 * SLOT_DONE, whose payload is the index of the service slot that finished
 * (at most n jobs are in service, so n slots). Jobs wait in a ring buffer
 * that grows (doubling) only when the queue is longer than ever before. The
 * head of the queue starts as soon as enough units are free; jobs behind it
 * wait even if they would fit (strict FIFO: no overtaking, so no starvation
 * of wide jobs). Time integrals of jobs in system and busy units are kept
 * exactly, event by event, for utilisation and Little's-law checks, and the
 * work queued (unit-seconds) for the CRM's wait estimate.
 *
 * Invariants: busy == units held by jobs in service; the queue is non-empty
 * only when its head does not fit in the free units.
 */
#include "compute/compute.h"

#include <math.h>
#include <string.h>

enum server_event { SLOT_DONE, SERVER_EVENT_COUNT };

struct compute_server {
    struct compute_slot {
        struct compute_job job; /* the job in service (valid when busy) */
        double t_end_s;         /* when it ends, s */
        bool busy;              /* serving a job */
    } *slots;                   /* n_units of them, owned */
    uint32_t n_units;           /* units in the server */
    uint32_t busy;              /* units held by jobs in service */
    uint32_t in_service;        /* jobs in service */
    uint32_t *free_slots;       /* stack of idle slot indices, owned */
    uint32_t n_free_slots;      /* entries on free_slots */
    double queued_work;         /* sum of service_s x units of waiting jobs, unit-s */

    struct compute_job *queue;  /* ring buffer of waiting jobs, owned */
    size_t q_cap;               /* ring capacity (power of two) */
    size_t q_head;              /* index of the oldest waiting job */
    size_t q_len;               /* jobs waiting */

    double last_change_s;       /* time of the last arrival or completion, s */
    double jobs_area;           /* integral of jobs in system, job-seconds */
    double busy_area;           /* integral of busy units, unit-seconds */

    uint32_t entity;            /* this server's entity index in the engine */
    compute_done_fn done;       /* completion callback */
    void *done_ctx;             /* its context (borrowed) */
};

static void server_slot_done(void *state, const struct core_event *ev, struct core_engine *eng);

static const core_handler_fn server_handlers[] = {
    [SLOT_DONE] = server_slot_done,
};
static_assert(ARRAY_LEN(server_handlers) == SERVER_EVENT_COUNT, "one handler per event");

static const struct core_entity_type server_type = {
    "compute_server", server_handlers, SERVER_EVENT_COUNT
};

/* Bring the time integrals up to now. */
static void account(struct compute_server *s, double now_s)
{
    double dt = now_s - s->last_change_s;

    s->jobs_area += dt * (double)(s->in_service + s->q_len);
    s->busy_area += dt * (double)s->busy;
    s->last_change_s = now_s;
}

static uint32_t job_units(const struct compute_job *job)
{
    return job->units ? job->units : 1;
}

static void start_job(struct compute_server *s, struct core_engine *eng,
                      const struct compute_job *job)
{
    uint32_t slot;
    union core_payload data;

    CORE_ASSERT(s->n_free_slots > 0 && s->busy + job_units(job) <= s->n_units);
    slot = s->free_slots[--s->n_free_slots];
    s->slots[slot].job = *job;
    s->slots[slot].job.t_start_s = core_engine_now(eng);
    s->slots[slot].t_end_s = core_engine_now(eng) + job->service_s;
    s->slots[slot].busy = true;
    s->busy += job_units(job);
    s->in_service++;
    data.u64 = slot;
    core_schedule_in(eng, job->service_s, s->entity, SLOT_DONE, 0, data);
}

/* Start queued jobs from the head while they fit. */
static void start_waiting(struct compute_server *s, struct core_engine *eng)
{
    while (s->q_len > 0) {
        struct compute_job next = s->queue[s->q_head];

        if (s->busy + job_units(&next) > s->n_units)
            break;
        s->q_head = (s->q_head + 1) & (s->q_cap - 1);
        s->q_len--;
        s->queued_work -= next.service_s * (double)job_units(&next);
        if (s->q_len == 0)
            s->queued_work = 0.0; /* no drift from the running sum */
        start_job(s, eng, &next);
    }
}

static void server_slot_done(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct compute_server *s = state;
    uint32_t slot = (uint32_t)ev->data.u64;
    struct compute_job finished;

    CORE_ASSERT(slot < s->n_units && s->slots[slot].busy);
    account(s, ev->time_s);
    finished = s->slots[slot].job;
    s->slots[slot].busy = false;
    s->busy -= job_units(&finished);
    s->in_service--;
    s->free_slots[s->n_free_slots++] = slot;
    start_waiting(s, eng);
    s->done(s->done_ctx, &finished, ev->time_s, eng);
}

/* Double the ring, unrolling it so the oldest job is at index 0. */
static enum core_rc queue_grow(struct compute_server *s)
{
    size_t cap = s->q_cap * 2;
    struct compute_job *q = core_malloc(cap * sizeof(*q));
    size_t i;

    if (!q)
        return CORE_E_NOMEM;
    for (i = 0; i < s->q_len; i++)
        q[i] = s->queue[(s->q_head + i) & (s->q_cap - 1)];
    core_free(s->queue);
    s->queue = q;
    s->q_cap = cap;
    s->q_head = 0;
    return CORE_OK;
}

struct compute_server *compute_server_create(struct core_engine *eng, uint32_t n_units,
                                             size_t queue_capacity, compute_done_fn done,
                                             void *ctx)
{
    struct compute_server *s;
    int type;
    uint32_t i;
    size_t cap = 16;

    CORE_ASSERT(n_units > 0 && done);
    while (cap < queue_capacity)
        cap *= 2;
    s = core_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->slots = core_calloc(n_units, sizeof(*s->slots));
    s->free_slots = core_malloc(n_units * sizeof(*s->free_slots));
    s->queue = core_malloc(cap * sizeof(*s->queue));
    if (!s->slots || !s->free_slots || !s->queue)
        goto out_free;
    s->n_units = n_units;
    for (i = 0; i < n_units; i++)
        s->free_slots[i] = n_units - 1 - i; /* slot 0 is used first */
    s->n_free_slots = n_units;
    s->q_cap = cap;
    s->done = done;
    s->done_ctx = ctx;
    s->last_change_s = core_engine_now(eng);
    type = core_engine_register_type(eng, &server_type);
    if (type < 0)
        goto out_free;
    s->entity = core_engine_add_entity(eng, type, s);
    if (s->entity == UINT32_MAX)
        goto out_free;
    return s;

out_free:
    compute_server_destroy(s);
    return NULL;
}

void compute_server_destroy(struct compute_server *s)
{
    if (!s)
        return;
    core_free(s->slots);
    core_free(s->free_slots);
    core_free(s->queue);
    core_free(s);
}

enum core_rc compute_server_submit(struct compute_server *s, struct core_engine *eng,
                                   const struct compute_job *job)
{
    enum core_rc rc;

    CORE_ASSERT(job_units(job) <= s->n_units);
    account(s, core_engine_now(eng));
    if (s->q_len == 0 && s->busy + job_units(job) <= s->n_units) {
        start_job(s, eng, job);
        return CORE_OK;
    }
    if (s->q_len == s->q_cap) {
        rc = queue_grow(s);
        if (rc != CORE_OK)
            return rc;
    }
    s->queue[(s->q_head + s->q_len) & (s->q_cap - 1)] = *job;
    s->q_len++;
    s->queued_work += job->service_s * (double)job_units(job);
    return CORE_OK;
}

size_t compute_server_queued(const struct compute_server *s)
{
    return s->q_len;
}

uint32_t compute_server_busy(const struct compute_server *s)
{
    return s->busy;
}

double compute_server_jobs_area(const struct compute_server *s, double now_s)
{
    return s->jobs_area + (now_s - s->last_change_s) * (double)(s->in_service + s->q_len);
}

double compute_server_busy_area(const struct compute_server *s, double now_s)
{
    return s->busy_area + (now_s - s->last_change_s) * (double)s->busy;
}

uint32_t compute_server_units(const struct compute_server *s)
{
    return s->n_units;
}

double compute_server_backlog_s(const struct compute_server *s, double now_s)
{
    double work = s->queued_work;
    uint32_t i;

    if (s->in_service == 0)
        return work / (double)s->n_units;
    for (i = 0; i < s->n_units; i++) {
        const struct compute_slot *sl = &s->slots[i];

        if (sl->busy && sl->t_end_s > now_s)
            work += (sl->t_end_s - now_s) * (double)job_units(&sl->job);
    }
    return work / (double)s->n_units;
}

bool compute_server_job(const struct compute_server *s, uint64_t id, uint32_t owner,
                        struct compute_job *out)
{
    for (uint32_t i = 0; i < s->n_units; i++)
        if (s->slots[i].busy && s->slots[i].job.id == id && s->slots[i].job.owner == owner) {
            *out = s->slots[i].job;
            return true;
        }
    for (size_t k = 0; k < s->q_len; k++) {
        const struct compute_job *j = &s->queue[(s->q_head + k) & (s->q_cap - 1)];

        if (j->id == id && j->owner == owner) {
            *out = *j;
            out->t_start_s = NAN; /* still waiting */
            return true;
        }
    }
    return false;
}
