/*
 * queue_model.c — the validation world: UEs sending requests to one edge
 * server, the model that proves the engine against queueing theory.
 *
 * Each UE is an entity with one handler, ARRIVAL. On an arrival the UE draws
 * the request's service time from its own SERVICE stream, submits the job to
 * the server and schedules its next arrival from its ARRIVALS stream. Streams
 * are keyed (seed, ue, purpose), so a change of server count or of warm-up
 * never shifts what a UE draws (common random numbers).
 *
 * Finished requests that arrived at or after the warm-up go to the caller's
 * sink (on_request), which buffers them for its driver.
 */
#include "proto/proto.h"

#include "compute/compute.h"

enum ue_event { UE_ARRIVAL, UE_EVENT_COUNT };

struct queue_ue {
    struct proto_queue_world *world; /* back pointer (borrowed) */
    struct core_rng *arrivals;       /* inter-arrival draws, owned */
    struct core_rng *service;        /* service-time draws, owned */
    uint32_t ue_id;                  /* 0-based */
    uint32_t entity;                 /* engine entity index */
};

struct proto_queue_world {
    struct proto_sim_config sim;     /* copy */
    struct proto_queue_config q;     /* copy */
    struct queue_ue *ues;            /* q.ues.n_ues of them, owned */
    size_t n_ues;                    /* UEs created (for cleanup) */
    struct compute_server *server;   /* owned */
    proto_request_fn on_request;     /* the sink */
    void *on_request_ctx;            /* its context */
    uint64_t arrivals;               /* requests arrived so far */
    uint64_t completions;            /* requests finished so far */
};

static void ue_arrival(void *state, const struct core_event *ev, struct core_engine *eng);

static const core_handler_fn ue_handlers[] = {
    [UE_ARRIVAL] = ue_arrival,
};
static_assert(ARRAY_LEN(ue_handlers) == UE_EVENT_COUNT, "one handler per event");

static const struct core_entity_type ue_type = {"queue_ue", ue_handlers, UE_EVENT_COUNT};

static double interarrival_s(const struct proto_queue_world *w, struct queue_ue *ue)
{
    double period_s = 1.0 / w->q.ues.rate_hz;

    if (w->q.ues.arrival == PROTO_ARRIVAL_PERIODIC)
        return period_s;
    return core_rng_exponential(ue->arrivals, period_s);
}

static double service_s(const struct proto_queue_world *w, struct queue_ue *ue)
{
    if (w->q.server.service == PROTO_SERVICE_DETERMINISTIC)
        return w->q.server.mean_service_s;
    return core_rng_exponential(ue->service, w->q.server.mean_service_s);
}

static void ue_arrival(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct queue_ue *ue = state;
    struct proto_queue_world *w = ue->world;
    struct compute_job job = {0};
    union core_payload none = {0};

    job.id = w->arrivals++;
    job.owner = ue->ue_id;
    job.t_arrival_s = ev->time_s;
    job.t_start_s = ev->time_s;
    job.service_s = service_s(w, ue);
    if (compute_server_submit(w->server, eng, &job) != CORE_OK) {
        core_engine_fail(eng, CORE_E_NOMEM, "out of memory growing the server queue");
        return;
    }
    core_schedule_in(eng, interarrival_s(w, ue), ue->entity, UE_ARRIVAL, 0, none);
}

static void request_done(void *ctx, const struct compute_job *job, double t_done_s,
                         struct core_engine *eng)
{
    struct proto_queue_world *w = ctx;
    struct proto_request_record row;

    (void)eng;
    w->completions++;
    if (job->t_arrival_s < w->sim.warmup_s)
        return;
    row.request_id = job->id;
    row.ue_id = job->owner;
    row.server_id = 0;
    row.t_arrival_s = job->t_arrival_s;
    row.t_start_s = job->t_start_s;
    row.t_done_s = t_done_s;
    w->on_request(w->on_request_ctx, &row);
}

struct proto_queue_world *proto_queue_world_create(const struct proto_sim_config *sim,
                                                   const struct proto_queue_config *q,
                                                   struct core_engine *eng,
                                                   proto_request_fn on_request, void *ctx,
                                                   struct core_err *e)
{
    struct proto_queue_world *w;
    int type;
    size_t i;

    w = core_calloc(1, sizeof(*w));
    if (!w)
        goto out_nomem;
    w->sim = *sim;
    w->q = *q;
    w->on_request = on_request;
    w->on_request_ctx = ctx;
    w->ues = core_calloc((size_t)q->ues.n_ues, sizeof(*w->ues));
    if (!w->ues)
        goto out_nomem;
    /* Room for the server queue's expected length plus slack; it grows if
     * a run ever needs more. */
    w->server = compute_server_create(eng, (uint32_t)q->server.n_servers, 1024, request_done, w);
    if (!w->server)
        goto out_nomem;
    type = core_engine_register_type(eng, &ue_type);
    if (type < 0)
        goto out_nomem;
    for (i = 0; i < (size_t)q->ues.n_ues; i++) {
        struct queue_ue *ue = &w->ues[i];
        union core_payload none = {0};
        uint64_t id = core_rng_entity(CORE_RNG_ENTITY_UE, (uint32_t)i, 0);
        double first_s;

        ue->world = w;
        ue->ue_id = (uint32_t)i;
        ue->arrivals = core_rng_create(sim->seed, id, CORE_RNG_ARRIVALS);
        ue->service = core_rng_create(sim->seed, id, CORE_RNG_SERVICE);
        w->n_ues = i + 1;
        if (!ue->arrivals || !ue->service)
            goto out_nomem;
        ue->entity = core_engine_add_entity(eng, type, ue);
        if (ue->entity == UINT32_MAX)
            goto out_nomem;
        /* Periodic sources start at a random phase so they do not all
         * arrive at once. */
        if (q->ues.arrival == PROTO_ARRIVAL_PERIODIC)
            first_s = core_rng_uniform(ue->arrivals) / q->ues.rate_hz;
        else
            first_s = interarrival_s(w, ue);
        if (core_schedule_in(eng, first_s, ue->entity, UE_ARRIVAL, 0, none) == 0)
            goto out_nomem;
    }
    return w;

out_nomem:
    proto_queue_world_destroy(w);
    core_err(e, CORE_E_NOMEM, "out of memory building the queue world (%ld UEs)",
             q->ues.n_ues);
    return NULL;
}

void proto_queue_world_destroy(struct proto_queue_world *w)
{
    size_t i;

    if (!w)
        return;
    for (i = 0; i < w->n_ues; i++) {
        core_rng_destroy(w->ues[i].arrivals);
        core_rng_destroy(w->ues[i].service);
    }
    core_free(w->ues);
    compute_server_destroy(w->server);
    core_free(w);
}

uint64_t proto_queue_world_arrivals(const struct proto_queue_world *w)
{
    return w->arrivals;
}

uint64_t proto_queue_world_completions(const struct proto_queue_world *w)
{
    return w->completions;
}
