/*
 * core_int.h — declarations shared between the files of sim/core only: the
 * event queue (eventq.c) that the engine (engine.c) runs.
 *
 * The queue's one array of inline 32-byte struct core_event is the event
 * pool, so a pending event costs its 32 bytes (plus unused capacity). It holds
 * a 4-ary min-heap of the near future at its front and the unsorted far
 * future at its back (eventq.c explains the split). Keys are (time_s, order),
 * order being priority << 56 | sequence, so equal times pop by priority and
 * then by insertion. The sequence number is the event's id.
 *
 * The root can be "vacant": the engine takes the root event out to run it and
 * leaves its slot empty, so that the first near event the handler schedules
 * drops into the root with one sift-down instead of a pop (sift-down) plus a
 * push (sift-up). core_eventq_settle() fills a vacant root the ordinary way.
 */
#ifndef COINFER_CORE_INT_H
#define COINFER_CORE_INT_H

#include "core/core.h"

#define CORE_EVENTQ_SEQ_BITS 56
#define CORE_EVENTQ_SEQ_MASK ((UINT64_C(1) << CORE_EVENTQ_SEQ_BITS) - 1)
/* core_event.reserved bit of an event cancelled but not yet reclaimed. */
#define CORE_EVENTQ_CANCELLED 1u

struct core_eventq {
    struct core_event *ev; /* the pool: near heap ev[0..n_near), far ev[cap-n_far..cap) */
    void *block;           /* the allocation ev points into (64-byte aligned) */
    size_t n_near;         /* near-heap slots in use, a vacant root included (events) */
    size_t n_far;          /* far events (events) */
    size_t cap;            /* slots allocated (events) */
    size_t n_cancelled;    /* cancelled events still in the pool (events) */
    size_t near_limit;     /* a near heap larger than this spills (events) */
    double split_s;        /* near events are earlier than this, far ones not, s */
    uint64_t next_seq;     /* sequence number of the next push; starts at 1 */
    uint64_t sample_state; /* xorshift64 state for choosing split_s (never 0) */
    bool root_vacant;      /* ev[0] was taken out and holds nothing */
};

/* Set up q with room for cap events (cap >= 1). CORE_E_NOMEM on failure. */
enum core_rc core_eventq_init(struct core_eventq *q, size_t cap);
void core_eventq_fini(struct core_eventq *q);
/* Grow to at least cap slots. CORE_E_NOMEM on failure (q unchanged). */
enum core_rc core_eventq_reserve(struct core_eventq *q, size_t cap);

/* Insert an event (ev->order's sequence bits and ev->reserved are set here)
 * and return its id, or 0 if the pool had to grow and could not. */
core_event_id core_eventq_push(struct core_eventq *q, double time_s, uint8_t priority,
                               uint32_t entity, uint16_t kind, union core_payload data);

/* The earliest live event, reclaiming cancelled ones from the top on the way;
 * NULL when none. The root must not be vacant. */
const struct core_event *core_eventq_peek(struct core_eventq *q);
/* Mark the root (a live event the caller has copied out) vacant. */
void core_eventq_take_root(struct core_eventq *q);
/* Fill a vacant root by moving the last event into it. */
void core_eventq_settle(struct core_eventq *q);

/* Mark the pending event with this id cancelled. False when no pending,
 * uncancelled event has that id (fired, cancelled before, or never issued). */
bool core_eventq_cancel(struct core_eventq *q, core_event_id id);

/* With the root vacant: the events likely to run next (*next) and after it
 * (*after), each NULL when there is none: the earliest of the root's children,
 * then the earliest of its siblings and children. Only hints for prefetching:
 * a cancelled event, an event the handler schedules earlier or a refill can
 * change what runs. Compares times only. */
static inline void core_eventq_next_hints(const struct core_eventq *q,
                                          const struct core_event **next,
                                          const struct core_event **after)
{
    const struct core_event *h = q->ev, *a = NULL;
    size_t n = q->n_near, m = 0, end = n < 5 ? n : 5;

    for (size_t i = 1; i < end; i++)
        if (m == 0 || h[i].time_s < h[m].time_s)
            m = i;
    *next = m ? &h[m] : NULL;
    for (size_t i = 1; i < end; i++)
        if (i != m && (!a || h[i].time_s < a->time_s))
            a = &h[i];
    if (m) {
        size_t c_end = 4 * m + 5 < n ? 4 * m + 5 : n;

        for (size_t i = 4 * m + 1; i < c_end; i++)
            if (!a || h[i].time_s < a->time_s)
                a = &h[i];
    }
    *after = a;
}

/* Live (pending, not cancelled) events. */
static inline size_t core_eventq_live(const struct core_eventq *q)
{
    return q->n_near + q->n_far - q->n_cancelled - (q->root_vacant ? 1 : 0);
}

#endif /* COINFER_CORE_INT_H */
