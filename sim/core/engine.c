/*
 * engine.c — the discrete-event engine: entity types with const handler
 * tables, entities, the clock, scheduling, cancellation and the run loop.
 *
 * Events live in the event queue (eventq.c), whose one array is the event
 * pool. The run loop copies the earliest event into eng->cur, leaves its slot
 * at the root of the near heap vacant and calls the handler with &eng->cur;
 * the first near-future event the handler schedules fills the vacant root
 * with a single sift-down, otherwise the slot is settled after the handler
 * returns. Dispatch is entity -> type -> handlers[kind]. Scheduling
 * checks the entity and that kind is below every type's handler count (which
 * needs no look-up in the entity table, a cache miss with many entities);
 * dispatch checks kind against the entity's own type.
 *
 * Failure is sticky: after core_engine_fail (or a failed schedule, which fails
 * the engine with CORE_E_NOMEM) every core_engine_run returns
 * CORE_STOP_FAILED without running anything. A stop request ends the run
 * after the current event and is consumed by the run that honours it.
 *
 * Invariants: now_s never decreases; an event is never scheduled before
 * now_s; cur is meaningful only while in_handler is true.
 */
#include "core/core_int.h"

#include <math.h>
#include <string.h>

#define ENGINE_DEFAULT_EVENTS    64
#define ENGINE_PREFETCH_ENTITIES 8192 /* prefetch entity data from this many entities */
#define ENGINE_FLAG_POLL_EVENTS  1024 /* run-loop events between stop_flag polls */

struct engine_entity {
    const struct core_entity_type *type; /* its handler table (borrowed) */
    void *state;                         /* handler state (borrowed) */
};

struct core_engine {
    struct core_eventq q;                  /* pending events (the pool) */
    double now_s;                          /* simulated clock, s */
    struct engine_entity *entities;        /* [n_entities] */
    uint32_t n_entities;                   /* entities added */
    uint32_t cap_entities;                 /* entities allocated */
    const struct core_entity_type **types; /* [n_types], borrowed */
    int n_types;                           /* types registered */
    int cap_types;                         /* types allocated */
    uint16_t max_handlers;                 /* largest n_handlers of the types */
    struct core_event cur;                 /* the event being handled */
    bool in_handler;                       /* a handler is running */
    bool stop_requested;                   /* core_engine_request_stop was called */
    bool failed;                           /* core_engine_fail (sticky) */
    uint64_t events_run;                   /* events handled, all runs */
    struct core_err err;                   /* why it failed */
};

struct core_engine *core_engine_create(size_t initial_events)
{
    struct core_engine *eng = core_calloc(1, sizeof(*eng));

    if (!eng)
        return NULL;
    if (core_eventq_init(&eng->q, initial_events ? initial_events : ENGINE_DEFAULT_EVENTS) !=
        CORE_OK) {
        core_free(eng);
        return NULL;
    }
    core_err_clear(&eng->err);
    return eng;
}

void core_engine_destroy(struct core_engine *eng)
{
    if (!eng)
        return;
    core_eventq_fini(&eng->q);
    core_free(eng->entities);
    core_free(eng->types);
    core_free(eng);
}

enum core_rc core_engine_reserve(struct core_engine *eng, size_t n)
{
    return core_eventq_reserve(&eng->q, n);
}

int core_engine_register_type(struct core_engine *eng, const struct core_entity_type *type)
{
    CORE_ASSERT(type && (type->handlers || type->n_handlers == 0));
    for (int i = 0; i < eng->n_types; i++)
        if (eng->types[i] == type)
            return i; /* registered already (one per server, say): share it */
    if (eng->n_types == eng->cap_types) {
        int cap = eng->cap_types ? 2 * eng->cap_types : 8;
        const struct core_entity_type **t;

        t = core_realloc((void *)eng->types, (size_t)cap * sizeof(*t));
        if (!t)
            return -1;
        eng->types = t;
        eng->cap_types = cap;
    }
    eng->types[eng->n_types] = type;
    if (type->n_handlers > eng->max_handlers)
        eng->max_handlers = type->n_handlers;
    return eng->n_types++;
}

uint32_t core_engine_add_entity(struct core_engine *eng, int type, void *state)
{
    CORE_ASSERT(type >= 0 && type < eng->n_types);
    if (eng->n_entities == eng->cap_entities) {
        uint32_t cap = eng->cap_entities ? 2 * eng->cap_entities : 16;
        struct engine_entity *e;

        if (eng->cap_entities >= UINT32_MAX / 2)
            return UINT32_MAX;
        e = core_realloc(eng->entities, (size_t)cap * sizeof(*e));
        if (!e)
            return UINT32_MAX;
        eng->entities = e;
        eng->cap_entities = cap;
    }
    eng->entities[eng->n_entities].type = eng->types[type];
    eng->entities[eng->n_entities].state = state;
    return eng->n_entities++;
}

core_event_id core_schedule_at(struct core_engine *eng, double at_s, uint32_t entity, uint16_t kind,
                               uint8_t priority, union core_payload data)
{
    core_event_id id;

    CORE_ASSERT(at_s >= eng->now_s && at_s < INFINITY); /* also rejects NaN */
    CORE_ASSERT(entity < eng->n_entities);
    CORE_ASSERT(kind < eng->max_handlers);
    id = core_eventq_push(&eng->q, at_s, priority, entity, kind, data);
    if (id == 0 && !eng->failed) {
        eng->failed = true;
        core_err(&eng->err, CORE_E_NOMEM, "out of memory growing the event pool beyond %zu events",
                 eng->q.cap);
    }
    return id;
}

core_event_id core_schedule_in(struct core_engine *eng, double delay_s, uint32_t entity,
                               uint16_t kind, uint8_t priority, union core_payload data)
{
    CORE_ASSERT(delay_s >= 0);
    return core_schedule_at(eng, eng->now_s + delay_s, entity, kind, priority, data);
}

bool core_cancel(struct core_engine *eng, core_event_id id)
{
    return core_eventq_cancel(&eng->q, id);
}

enum core_stop core_engine_run(struct core_engine *eng, const struct core_run_limits *lim)
{
    const struct core_run_limits none = {0};
    uint64_t n_run = 0;
    unsigned poll = 0;

    CORE_ASSERT(!eng->in_handler);
    if (!lim)
        lim = &none;
    for (;;) {
        const struct core_event *top, *next, *after;
        const struct engine_entity *ent;

        if (eng->failed)
            return CORE_STOP_FAILED;
        if (eng->stop_requested) {
            eng->stop_requested = false;
            return CORE_STOP_REQUESTED;
        }
        if (lim->max_events && n_run == lim->max_events)
            return CORE_STOP_COUNT;
        if (lim->stop_flag && poll == 0 && *lim->stop_flag)
            return CORE_STOP_REQUESTED;
        if (++poll == ENGINE_FLAG_POLL_EVENTS)
            poll = 0;
        top = core_eventq_peek(&eng->q);
        if (!top)
            return CORE_STOP_EMPTY;
        if (lim->has_until && top->time_s > lim->until_s) {
            if (lim->until_s > eng->now_s)
                eng->now_s = lim->until_s;
            return CORE_STOP_TIME;
        }
        eng->cur = *top;
        core_eventq_take_root(&eng->q);
        eng->now_s = eng->cur.time_s;
        ent = &eng->entities[eng->cur.entity];
        CORE_ASSERT(eng->cur.kind < ent->type->n_handlers);
        /* With many entities, an event's entity record and state are cache
         * misses: while this event runs, fetch the state of the next one
         * (whose record the previous iteration fetched) and the record of
         * the one after. With few, they stay cached and this costs time. */
        if (eng->n_entities >= ENGINE_PREFETCH_ENTITIES) {
            core_eventq_next_hints(&eng->q, &next, &after);
            if (next)
                __builtin_prefetch(eng->entities[next->entity].state);
            if (after)
                __builtin_prefetch(&eng->entities[after->entity]);
        }
        eng->in_handler = true;
        ent->type->handlers[eng->cur.kind](ent->state, &eng->cur, eng);
        eng->in_handler = false;
        core_eventq_settle(&eng->q);
        eng->events_run++;
        n_run++;
    }
}

void core_engine_request_stop(struct core_engine *eng)
{
    eng->stop_requested = true;
}

void core_engine_fail(struct core_engine *eng, enum core_rc rc, const char *msg)
{
    CORE_ASSERT(rc != CORE_OK);
    if (eng->failed)
        return; /* keep the first cause */
    eng->failed = true;
    core_err(&eng->err, rc, "%s", msg);
}

const struct core_err *core_engine_error(const struct core_engine *eng)
{
    return &eng->err;
}

double core_engine_now(const struct core_engine *eng)
{
    return eng->now_s;
}

const struct core_event *core_engine_current(const struct core_engine *eng)
{
    return eng->in_handler ? &eng->cur : NULL;
}

uint64_t core_engine_events_run(const struct core_engine *eng)
{
    return eng->events_run;
}

size_t core_engine_pending(const struct core_engine *eng)
{
    return core_eventq_live(&eng->q);
}

size_t core_engine_pool_capacity(const struct core_engine *eng)
{
    return eng->q.cap;
}

double core_engine_next_time(struct core_engine *eng)
{
    const struct core_event *top;

    core_eventq_settle(&eng->q);
    top = core_eventq_peek(&eng->q);
    return top ? top->time_s : INFINITY;
}
