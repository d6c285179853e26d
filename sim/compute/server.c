/*
 * server.c — a compute server: n identical units in front of one FIFO queue.
 *
 * The server is an engine entity with one handler, UNIT_DONE, whose payload
 * is the index of the unit that finished. Jobs wait in a ring buffer that
 * grows (doubling) only when the queue is longer than ever before; units hold
 * the job they serve. Time integrals of jobs in system and busy units are kept
 * exactly, event by event, for utilisation and Little's-law checks.
 *
 * Invariants: busy == number of units with a job; the queue is non-empty only
 * when every unit is busy (work-conserving FIFO).
 */
#include "compute/compute.h"

#include <string.h>

enum server_event { UNIT_DONE, SERVER_EVENT_COUNT };

struct compute_server {
    struct compute_unit {
        struct compute_job job; /* the job in service (valid when busy) */
        bool busy;              /* serving a job */
    } *units;                   /* n_units of them, owned */
    uint32_t n_units;           /* units in the server */
    uint32_t busy;              /* units serving a job */
    uint32_t *free_units;       /* stack of idle unit indices, owned */
    uint32_t n_free;            /* entries on free_units */

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

static void server_unit_done(void *state, const struct core_event *ev, struct core_engine *eng);

static const core_handler_fn server_handlers[] = {
    [UNIT_DONE] = server_unit_done,
};
static_assert(ARRAY_LEN(server_handlers) == SERVER_EVENT_COUNT, "one handler per event");

static const struct core_entity_type server_type = {
    "compute_server", server_handlers, SERVER_EVENT_COUNT
};

/* Bring the time integrals up to now. */
static void account(struct compute_server *s, double now_s)
{
    double dt = now_s - s->last_change_s;

    s->jobs_area += dt * (double)(s->busy + s->q_len);
    s->busy_area += dt * (double)s->busy;
    s->last_change_s = now_s;
}

static void start_job(struct compute_server *s, struct core_engine *eng,
                      const struct compute_job *job)
{
    uint32_t u;
    union core_payload data;

    CORE_ASSERT(s->n_free > 0);
    u = s->free_units[--s->n_free];
    s->units[u].job = *job;
    s->units[u].job.t_start_s = core_engine_now(eng);
    s->units[u].busy = true;
    s->busy++;
    data.u64 = u;
    core_schedule_in(eng, job->service_s, s->entity, UNIT_DONE, 0, data);
}

static void server_unit_done(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct compute_server *s = state;
    uint32_t u = (uint32_t)ev->data.u64;
    struct compute_job finished;

    CORE_ASSERT(u < s->n_units && s->units[u].busy);
    account(s, ev->time_s);
    finished = s->units[u].job;
    s->units[u].busy = false;
    s->busy--;
    s->free_units[s->n_free++] = u;
    if (s->q_len > 0) {
        struct compute_job next = s->queue[s->q_head];

        s->q_head = (s->q_head + 1) & (s->q_cap - 1);
        s->q_len--;
        start_job(s, eng, &next);
    }
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
    s->units = core_calloc(n_units, sizeof(*s->units));
    s->free_units = core_malloc(n_units * sizeof(*s->free_units));
    s->queue = core_malloc(cap * sizeof(*s->queue));
    if (!s->units || !s->free_units || !s->queue)
        goto out_free;
    s->n_units = n_units;
    for (i = 0; i < n_units; i++)
        s->free_units[i] = n_units - 1 - i; /* unit 0 is used first */
    s->n_free = n_units;
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
    core_free(s->units);
    core_free(s->free_units);
    core_free(s->queue);
    core_free(s);
}

enum core_rc compute_server_submit(struct compute_server *s, struct core_engine *eng,
                                   const struct compute_job *job)
{
    enum core_rc rc;

    account(s, core_engine_now(eng));
    if (s->n_free > 0) {
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
    return s->jobs_area + (now_s - s->last_change_s) * (double)(s->busy + s->q_len);
}

double compute_server_busy_area(const struct compute_server *s, double now_s)
{
    return s->busy_area + (now_s - s->last_change_s) * (double)s->busy;
}
