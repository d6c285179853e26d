/*
 * core_int.h — declarations shared between the files of sim/core only: the
 * event queue (eventq.c) that the engine (engine.c) runs, and the taus2 step
 * the random-number streams (rng.c, dist.c) inline.
 *
 * The queue's one array of inline 32-byte struct core_event is the event
 * pool, so a pending event costs its 32 bytes (plus unused capacity). It holds
 * a 4-ary min-heap of the near future at its front and the unsorted far
 * future at its back (eventq.c explains the split). Keys are (time_s, order),
 * order being priority << 56 | sequence, so equal times pop by priority and
 * then by insertion. The sequence number is the event's id.
 *
 * Cancelling records the event's id in a hash set that the top of the heap
 * is checked against while it is non-empty (O(1) amortized; eventq.c).
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
/* core_event.reserved bit of an event cancelled but not yet reclaimed, set
 * only when the cancelled-id set could not grow (eventq.c). */
#define CORE_EVENTQ_CANCELLED 1u

struct core_eventq {
    struct core_event *ev; /* the pool: near heap ev[0..n_near), far ev[cap-n_far..cap) */
    void *block;           /* the allocation ev points into (64-byte aligned) */
    size_t n_near;         /* near-heap slots in use, a vacant root included (events) */
    size_t n_far;          /* far events (events) */
    size_t cap;            /* slots allocated (events) */
    size_t n_cancelled;    /* ids in the set plus events marked (events) */
    core_event_id *set;    /* open-addressing set of cancelled ids, 0 = free (NULL: none) */
    size_t set_mask;       /* set slots - 1 (0 while set is NULL) */
    size_t set_n;          /* ids in the set */
    uint64_t taken_seq;    /* id of the event last taken from the root (0: none) */
    uint64_t n_scanned;    /* pool slots visited by compactions and scans, for tests */
    uint64_t n_probed;     /* set slots probed, for tests */
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

/* Insert an event at time_s >= 0 (events compare by the bits of their times,
 * which order as the times only from +0.0 up) and return its id, or 0 if the
 * pool had to grow and could not. The order's sequence bits and reserved are
 * set here. */
core_event_id core_eventq_push(struct core_eventq *q, double time_s, uint8_t priority,
                               uint32_t entity, uint16_t kind, union core_payload data);

/* The earliest live event, reclaiming cancelled ones from the top on the way
 * and refilling the near heap when it is empty; NULL when none. The root must
 * not be vacant. core_eventq_peek is its inline fast path. */
const struct core_event *core_eventq_peek_slow(struct core_eventq *q);
/* Remove the root slot (vacant or not) from the near heap. */
void core_eventq_remove_root(struct core_eventq *q);

static inline const struct core_event *core_eventq_peek(struct core_eventq *q)
{
    CORE_ASSERT(!q->root_vacant);
    if (q->n_near > 0 && q->n_cancelled == 0)
        return &q->ev[0];
    return core_eventq_peek_slow(q);
}

/* Mark the root (a live event the caller has copied out) vacant. */
static inline void core_eventq_take_root(struct core_eventq *q)
{
    CORE_ASSERT(q->n_near > 0 && !q->root_vacant);
    q->root_vacant = true;
    q->taken_seq = q->ev[0].order & CORE_EVENTQ_SEQ_MASK;
}

/* Fill a vacant root by moving the last event into it. */
static inline void core_eventq_settle(struct core_eventq *q)
{
    if (!q->root_vacant)
        return;
    q->root_vacant = false;
    core_eventq_remove_root(q);
}

/* Cancel the pending event with this id, O(1) amortized; see core_cancel in
 * core.h for the contract. False for 0, an id never issued, the event last
 * taken from the root and an id already in the set. */
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

/* One step of GSL's taus2 generator (gsl/rng/taus.c) on its state words
 * {s1, s2, s3}, each below 2^32: the same value gsl_rng_get returns for a
 * taus2 gsl_rng, without the call through its function pointer. The streams'
 * hot paths (rng.c, dist.c) use it on a struct core_rng's state. */
static inline unsigned long core_taus2_next(unsigned long *s)
{
    uint32_t s1 = (uint32_t)s[0], s2 = (uint32_t)s[1], s3 = (uint32_t)s[2];

    s1 = ((s1 & 0xfffffffeU) << 12) ^ (((s1 << 13) ^ s1) >> 19);
    s2 = ((s2 & 0xfffffff8U) << 4) ^ (((s2 << 2) ^ s2) >> 25);
    s3 = ((s3 & 0xfffffff0U) << 17) ^ (((s3 << 3) ^ s3) >> 11);
    s[0] = s1;
    s[1] = s2;
    s[2] = s3;
    return (unsigned long)(s1 ^ s2 ^ s3);
}

/* Live (pending, not cancelled) events. */
static inline size_t core_eventq_live(const struct core_eventq *q)
{
    size_t n = q->n_near + q->n_far - (q->root_vacant ? 1 : 0);

    /* Ids of fired events cancelled against the contract can exceed n. */
    return n > q->n_cancelled ? n - q->n_cancelled : 0;
}

#endif /* COINFER_CORE_INT_H */
