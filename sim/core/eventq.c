/*
 * eventq.c — the engine's event queue and event pool: one array of inline
 * 32-byte events holding a small 4-ary heap of the near future and an
 * unsorted tail of the far future (see core_int.h).
 *
 * Order: (time_s, order) lexicographically, order = priority << 56 | seq, so
 * keys are unique and ties are deterministic. The pool ev[0..cap) holds
 *
 *     ev[0 .. n_near)          near: a 4-ary min-heap, every time_s < split_s
 *     ev[cap - n_far .. cap)   far: unsorted, every time_s >= split_s
 *
 * so all events of one time are in the same part and the near heap's root is
 * the earliest event overall. Scheduling far is an append; popping works in a
 * heap of about a sixteenth of the pending events (EVENTQ_NEAR_SHARE), small
 * enough to stay in cache when a plain heap of a million events would miss on
 * every level. When the near heap runs empty, a refill picks a new split_s at
 * a sampled quantile of the far times, partitions the far part in place and
 * heapifies what moved (O(far), once per near-heap's worth of events); when
 * scheduling overfills the near heap, a spill does the reverse. The split is
 * chosen from a private xorshift sampler: it decides only where events sit,
 * never the order they pop in.
 *
 * The array starts 96 bytes into a 64-byte-aligned block, which puts the four
 * children 4i+1..4i+4 of every heap node in one 128-byte-aligned span (two
 * cache lines). Growth doubles the array, only when more events are pending
 * than ever before; the only other allocation is the cancelled-id set below.
 *
 * Cancellation is O(1) amortized and never slows scheduling or running: a
 * cancelled event's id goes into a small open-addressing hash set (linear
 * probing, backward-shift deletion), and while the set is non-empty the event
 * at the top of the near heap is looked up in it before it is returned, and
 * reclaimed if found. With no cancellation outstanding that is one
 * predictable branch per event. Ids of cancelled far-future events cannot pile
 * up: when the set holds more than max(EVENTQ_COMPACT_MIN, pool / 4) ids, one
 * pass over the pool drops the events whose ids it holds, re-heapifies the near
 * part and empties the set (O(pool) once per pool / 4 cancels). The set is
 * allocated on the first cancel and doubles when half full, so it never
 * exceeds 8 bytes per pool slot (about 4 typically), and only in models that
 * cancel; if it cannot grow, the event is found by a linear scan and marked in
 * place instead (CORE_EVENTQ_CANCELLED in core_event.reserved), slower but
 * still correct.
 *
 * What the set cannot tell cheaply is whether an id that is not pending has
 * already fired: cancelling it inserts a stale id, which never matches a
 * later event (ids are never reused) and is dropped at the next compaction.
 * core.h states the contract this gives core_cancel; the exact cases (0, an
 * id never issued, the event last taken from the root, an id still in the
 * set) return false.
 */
#include "core/core_int.h"

#include <math.h>
#include <string.h>

#define EVENTQ_ALIGN_BYTES  64
#define EVENTQ_PAD_EVENTS   3    /* ev = block + 3 events: children spans 128-byte aligned */
#define EVENTQ_COMPACT_MIN  64   /* compact when more ids than this (and pool / 4) are set */
#define EVENTQ_SET_MIN      128  /* first capacity of the cancelled-id set (ids) */
#define EVENTQ_NEAR_SHARE   16   /* a refill moves about 1/16 of the far events near */
#define EVENTQ_NEAR_MIN     512  /* ... but at least this many (events) */
#define EVENTQ_PREFETCH_MIN 8192 /* heaps from this size prefetch in sift_down (events) */
#define EVENTQ_SAMPLES      32   /* far times sampled to pick a split */

/* Index arithmetic rather than branches in sift_down and remove_root: which
 * child is smallest is a coin toss the branch predictor loses, and
 * branch-free selection made PHOLD with 10,000 pending events 20% faster. The
 * 128-bit comparison below (instead of comparing doubles, then orders) cut
 * PHOLD's instructions per event by 12% and made it about 20% faster. */
static inline bool ev_less(const struct core_event *a, const struct core_event *b)
{
    uint64_t ta, tb;

    /* Times are >= +0.0 (push turns -0.0 into +0.0), and the bits of
     * non-negative doubles order as the doubles do: compare (time, order) as
     * one 128-bit unsigned integer, a compare and a subtract with borrow. */
    memcpy(&ta, &a->time_s, sizeof(ta));
    memcpy(&tb, &b->time_s, sizeof(tb));
    __extension__ unsigned __int128 ka = (unsigned __int128)ta << 64 | a->order;
    __extension__ unsigned __int128 kb = (unsigned __int128)tb << 64 | b->order;

    return ka < kb;
}

/* ------------------------------------------------------------------------ */
/* The near heap                                                             */
/* ------------------------------------------------------------------------ */

/* Put x at slot i or below, moving smaller children up (heap of n slots). */
static void sift_down(struct core_event *h, size_t n, size_t i, struct core_event x)
{
    for (;;) {
        size_t c = 4 * i + 1, m;

        if (c >= n)
            break;
        if (c + 3 < n) {
            /* In a heap too big for the cache, fetch the grandchildren (the
             * next level's children, eight lines) while this level compares:
             * 20% faster PHOLD at 1,000,000 pending events. */
            if (n >= EVENTQ_PREFETCH_MIN && 4 * c + 16 < n)
                for (size_t g = 4 * c + 1; g < 4 * c + 17; g += 2)
                    __builtin_prefetch(&h[g]);
            size_t a = c + ev_less(&h[c + 1], &h[c]);
            size_t b = c + 2 + ev_less(&h[c + 3], &h[c + 2]);

            m = a + ((b - a) & (0 - (size_t)ev_less(&h[b], &h[a])));
        } else {
            m = c;
            for (size_t k = c + 1; k < n; k++)
                if (ev_less(&h[k], &h[m]))
                    m = k;
        }
        if (!ev_less(&h[m], &x))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = x;
}

/* Put x at slot i or above, moving larger parents down. */
static void sift_up(struct core_event *h, size_t i, struct core_event x)
{
    while (i > 0) {
        size_t p = (i - 1) / 4;

        if (!ev_less(&x, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

/* Make h[0..n) a heap (Floyd, O(n)). */
static void heapify(struct core_event *h, size_t n)
{
    if (n < 2)
        return;
    for (size_t i = (n - 2) / 4 + 1; i-- > 0;)
        sift_down(h, n, i, h[i]);
}

/* Remove the root slot (vacant or not). Bottom-up (Floyd): the hole at the
 * root sinks to a leaf, the least child moving up at each level (three
 * comparisons a level, none against the event that fills the hole), and the
 * last near event, which almost always belongs near the bottom, fills the
 * hole and rises as far as it must: a quarter fewer comparisons than sifting
 * the last event down from the root. */
static void remove_root(struct core_eventq *q)
{
    struct core_event *h = q->ev;
    size_t n = --q->n_near, i = 0;

    if (n == 0)
        return;
    for (;;) {
        size_t c = 4 * i + 1, m;

        if (c + 3 < n) {
            if (n >= EVENTQ_PREFETCH_MIN && 4 * c + 16 < n)
                for (size_t g = 4 * c + 1; g < 4 * c + 17; g += 2)
                    __builtin_prefetch(&h[g]);
            size_t a = c + ev_less(&h[c + 1], &h[c]);
            size_t b = c + 2 + ev_less(&h[c + 3], &h[c + 2]);

            m = a + ((b - a) & (0 - (size_t)ev_less(&h[b], &h[a])));
        } else if (c < n) {
            m = c;
            for (size_t k = c + 1; k < n; k++)
                if (ev_less(&h[k], &h[m]))
                    m = k;
        } else {
            break;
        }
        h[i] = h[m];
        i = m;
    }
    sift_up(h, i, h[n]);
}

/* ------------------------------------------------------------------------ */
/* Moving the split between near and far                                     */
/* ------------------------------------------------------------------------ */

static uint64_t sample_next(struct core_eventq *q)
{
    uint64_t x = q->sample_state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    q->sample_state = x;
    return x;
}

/* A time near the quantile share of ev[0..n) (n > 0), from a sample. */
static double pick_split(struct core_eventq *q, const struct core_event *ev, size_t n, double share)
{
    double t[EVENTQ_SAMPLES];
    size_t k;

    for (size_t i = 0; i < EVENTQ_SAMPLES; i++) {
        double x = ev[sample_next(q) % n].time_s;
        size_t j = i;

        for (; j > 0 && t[j - 1] > x; j--)
            t[j] = t[j - 1];
        t[j] = x;
    }
    k = (size_t)(share * EVENTQ_SAMPLES);
    return t[k < EVENTQ_SAMPLES ? k : EVENTQ_SAMPLES - 1];
}

/* Reorder ev[0..n) so that events earlier than t_s come first; returns how
 * many there are. One pass swapping each early event forward: a refill
 * selects about one event in EVENTQ_NEAR_SHARE, so the loop is a load, a
 * compare and a branch that is almost never taken per event. */
static size_t partition(struct core_event *ev, size_t n, double t_s)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (ev[i].time_s < t_s) {
            struct core_event tmp = ev[i];

            ev[i] = ev[k];
            ev[k++] = tmp;
        }
    }
    return k;
}

static double min_time(const struct core_event *ev, size_t n)
{
    double t = INFINITY;

    for (size_t i = 0; i < n; i++)
        if (ev[i].time_s < t)
            t = ev[i].time_s;
    return t;
}

/* The near heap is empty and the far part is not: move the earliest far
 * events (at least one time's worth) near. */
static void refill(struct core_eventq *q)
{
    struct core_event *far = q->ev + (q->cap - q->n_far);
    size_t want = q->n_far / EVENTQ_NEAR_SHARE, k;
    double t_s;

    if (want < EVENTQ_NEAR_MIN)
        want = EVENTQ_NEAR_MIN;
    if (want >= q->n_far) {
        t_s = INFINITY;
        k = q->n_far;
    } else {
        t_s = pick_split(q, far, q->n_far, (double)want / (double)q->n_far);
        k = partition(far, q->n_far, t_s);
        if (k == 0) {
            t_s = nextafter(min_time(far, q->n_far), INFINITY);
            k = partition(far, q->n_far, t_s);
        }
    }
    memmove(q->ev, far, k * sizeof(*far));
    q->n_near = k;
    q->n_far -= k;
    q->split_s = t_s;
    q->near_limit = 2 * (k > want ? k : want);
    heapify(q->ev, q->n_near);
}

/* The near heap has grown past near_limit: keep about its share of the
 * events near and move the later ones far. The limit is twice what a refill
 * or spill left near (and at least twice the share), so every O(n) refill or
 * spill is paid for by as many cheap pushes, even when one time holds most
 * events and a split cannot divide them. */
static void spill(struct core_eventq *q)
{
    size_t total = q->n_near + q->n_far, want = total / EVENTQ_NEAR_SHARE, k, m;
    double t_s;

    if (want < EVENTQ_NEAR_MIN)
        want = EVENTQ_NEAR_MIN;
    t_s = pick_split(q, q->ev, q->n_near, (double)want / (double)q->n_near);
    k = partition(q->ev, q->n_near, t_s);
    m = q->n_near - k;
    memmove(q->ev + (q->cap - q->n_far - m), q->ev + k, m * sizeof(*q->ev));
    q->n_near = k;
    q->n_far += m;
    q->split_s = t_s;
    q->near_limit = 2 * (k > want ? k : want);
    heapify(q->ev, q->n_near);
}

/* ------------------------------------------------------------------------ */
/* The set of cancelled ids                                                  */
/* ------------------------------------------------------------------------ */

/* Home slot of id: Fibonacci hashing (ids are consecutive integers). */
static inline size_t set_home(const struct core_eventq *q, core_event_id id)
{
    return (size_t)((id * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & q->set_mask;
}

/* The slot holding id, or SIZE_MAX. */
static size_t set_find(struct core_eventq *q, core_event_id id)
{
    size_t i = set_home(q, id);

    for (;; i = (i + 1) & q->set_mask) {
        q->n_probed++;
        if (q->set[i] == id)
            return i;
        if (q->set[i] == 0)
            return SIZE_MAX;
    }
}

/* Add id unless it is there already (the set has a free slot); true if added. */
static bool set_insert(struct core_eventq *q, core_event_id id)
{
    size_t i = set_home(q, id);

    for (; q->set[i] != 0; i = (i + 1) & q->set_mask) {
        q->n_probed++;
        if (q->set[i] == id)
            return false;
    }
    q->set[i] = id;
    q->set_n++;
    return true;
}

/* Remove the id in slot i, shifting later ids of its cluster back so that
 * every id stays reachable from its home slot without tombstones. */
static void set_remove_at(struct core_eventq *q, size_t i)
{
    size_t j = i;

    for (;;) {
        size_t home;

        j = (j + 1) & q->set_mask;
        q->n_probed++;
        if (q->set[j] == 0)
            break;
        home = set_home(q, q->set[j]);
        /* Move set[j] into the hole at i unless its home lies cyclically in (i, j]. */
        if (((j - home) & q->set_mask) >= ((j - i) & q->set_mask)) {
            q->set[i] = q->set[j];
            i = j;
        }
    }
    q->set[i] = 0;
    q->set_n--;
}

/* Double the set (EVENTQ_SET_MIN slots the first time). False when out of
 * memory (the set is unchanged). */
static bool set_grow(struct core_eventq *q)
{
    size_t old_cap = q->set ? q->set_mask + 1 : 0, cap = old_cap ? 2 * old_cap : EVENTQ_SET_MIN;
    core_event_id *old = q->set, *set;

    if (cap > SIZE_MAX / 2 / sizeof(*set))
        return false;
    set = core_calloc(cap, sizeof(*set));
    if (!set)
        return false;
    q->set = set;
    q->set_mask = cap - 1;
    q->set_n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i] != 0)
            set_insert(q, old[i]);
    core_free(old);
    return true;
}

/* Is the event at the root cancelled? If so, forget its id or mark (the
 * caller reclaims it). Called only while cancellations are outstanding. */
static bool take_cancelled(struct core_eventq *q, const struct core_event *e)
{
    size_t i;

    if (e->reserved & CORE_EVENTQ_CANCELLED)
        return true;
    if (q->set_n == 0)
        return false;
    i = set_find(q, e->order & CORE_EVENTQ_SEQ_MASK);
    if (i == SIZE_MAX)
        return false;
    set_remove_at(q, i);
    return true;
}

/* ------------------------------------------------------------------------ */
/* The pool                                                                  */
/* ------------------------------------------------------------------------ */

static enum core_rc grow_to(struct core_eventq *q, size_t cap)
{
    void *block;
    struct core_event *ev;

    if (cap > (SIZE_MAX / sizeof(*ev)) - EVENTQ_PAD_EVENTS)
        return core_err(NULL, CORE_E_NOMEM, "event pool of %zu events", cap);
    block = core_aligned_alloc(EVENTQ_ALIGN_BYTES, (cap + EVENTQ_PAD_EVENTS) * sizeof(*ev));
    if (!block)
        return core_err(NULL, CORE_E_NOMEM, "out of memory for %zu events", cap);
    ev = (struct core_event *)block + EVENTQ_PAD_EVENTS;
    if (q->n_near > 0)
        memcpy(ev, q->ev, q->n_near * sizeof(*ev));
    if (q->n_far > 0)
        memcpy(ev + (cap - q->n_far), q->ev + (q->cap - q->n_far), q->n_far * sizeof(*ev));
    core_free(q->block);
    q->block = block;
    q->ev = ev;
    q->cap = cap;
    return CORE_OK;
}

enum core_rc core_eventq_init(struct core_eventq *q, size_t cap)
{
    CORE_ASSERT(cap >= 1);
    memset(q, 0, sizeof(*q));
    q->next_seq = 1;
    q->split_s = INFINITY;
    q->near_limit = 2 * EVENTQ_NEAR_MIN;
    q->sample_state = 0x9e3779b97f4a7c15ULL;
    return grow_to(q, cap);
}

void core_eventq_fini(struct core_eventq *q)
{
    core_free(q->block);
    core_free(q->set);
    memset(q, 0, sizeof(*q));
}

enum core_rc core_eventq_reserve(struct core_eventq *q, size_t cap)
{
    if (cap <= q->cap)
        return CORE_OK;
    return grow_to(q, cap);
}

core_event_id core_eventq_push(struct core_eventq *q, double time_s, uint8_t priority,
                               uint32_t entity, uint16_t kind, union core_payload data)
{
    struct core_event x;
    uint64_t seq = q->next_seq;

    CORE_ASSERT(seq <= CORE_EVENTQ_SEQ_MASK && time_s >= 0);
    x.time_s = time_s + 0.0; /* -0.0 becomes +0.0 (ev_less compares bits) */
    x.order = (uint64_t)priority << CORE_EVENTQ_SEQ_BITS | seq;
    x.entity = entity;
    x.kind = kind;
    x.reserved = 0;
    x.data = data;
    if (time_s < q->split_s && q->root_vacant) {
        q->root_vacant = false;
        sift_down(q->ev, q->n_near, 0, x);
    } else {
        if (q->n_near + q->n_far == q->cap) {
            /* A vacant root is a free slot: settling frees it for x. */
            core_eventq_settle(q);
            if (q->n_near + q->n_far == q->cap && grow_to(q, q->cap * 2) != CORE_OK)
                return 0;
        }
        if (time_s < q->split_s) {
            sift_up(q->ev, q->n_near++, x);
            if (q->n_near > q->near_limit && !q->root_vacant)
                spill(q);
        } else {
            q->n_far++;
            q->ev[q->cap - q->n_far] = x;
        }
    }
    q->next_seq = seq + 1;
    return seq;
}

const struct core_event *core_eventq_peek_slow(struct core_eventq *q)
{
    CORE_ASSERT(!q->root_vacant);
    for (;;) {
        if (q->n_near == 0) {
            if (q->n_far == 0)
                return NULL;
            refill(q);
        }
        if (q->n_cancelled == 0 || !take_cancelled(q, &q->ev[0]))
            return &q->ev[0];
        q->n_cancelled--;
        remove_root(q);
    }
}

void core_eventq_remove_root(struct core_eventq *q)
{
    remove_root(q);
}

/* Keep the events of ev[0..n) that are neither marked nor in the set; returns
 * how many. */
static size_t drop_cancelled(struct core_eventq *q, struct core_event *ev, size_t n)
{
    size_t j = 0;

    q->n_scanned += n;
    for (size_t i = 0; i < n; i++)
        if (!(ev[i].reserved & CORE_EVENTQ_CANCELLED) &&
            !(q->set_n > 0 && set_find(q, ev[i].order & CORE_EVENTQ_SEQ_MASK) != SIZE_MAX))
            ev[j++] = ev[i];
    return j;
}

/* Drop every cancelled event, rebuild the near heap and empty the set (which
 * also forgets the stale ids of events that had fired). */
static void compact(struct core_eventq *q)
{
    struct core_event *far = q->ev + (q->cap - q->n_far);
    size_t kept = drop_cancelled(q, far, q->n_far);

    memmove(q->ev + (q->cap - kept), far, kept * sizeof(*far));
    q->n_far = kept;
    q->n_near = drop_cancelled(q, q->ev, q->n_near);
    heapify(q->ev, q->n_near);
    if (q->set_n > 0)
        memset(q->set, 0, (q->set_mask + 1) * sizeof(*q->set));
    q->set_n = 0;
    q->n_cancelled = 0;
}

/* Mark ev[0..n)'s event with sequence id; -1 not there, 0 already marked, 1 marked. */
static int mark(struct core_eventq *q, struct core_event *ev, size_t n, core_event_id id)
{
    for (size_t i = 0; i < n; i++) {
        if ((ev[i].order & CORE_EVENTQ_SEQ_MASK) != id)
            continue;
        q->n_scanned += i + 1;
        if (ev[i].reserved & CORE_EVENTQ_CANCELLED)
            return 0;
        ev[i].reserved |= CORE_EVENTQ_CANCELLED;
        return 1;
    }
    q->n_scanned += n;
    return -1;
}

/* The set could not grow: find the event by a linear scan and mark it. */
static bool cancel_by_scan(struct core_eventq *q, core_event_id id)
{
    int r = mark(q, q->ev, q->n_near, id);

    if (r < 0)
        r = mark(q, q->ev + (q->cap - q->n_far), q->n_far, id);
    return r > 0;
}

bool core_eventq_cancel(struct core_eventq *q, core_event_id id)
{
    if (id == 0 || id >= q->next_seq || id == q->taken_seq)
        return false;
    if (2 * (q->set_n + 1) > q->set_mask + 1 && !set_grow(q)) {
        core_eventq_settle(q); /* a scan must not see the vacant root */
        if (!cancel_by_scan(q, id))
            return false;
    } else if (!set_insert(q, id)) {
        return false;
    }
    q->n_cancelled++;
    if (q->n_cancelled > EVENTQ_COMPACT_MIN && 4 * q->n_cancelled > q->n_near + q->n_far) {
        core_eventq_settle(q);
        compact(q);
    }
    return true;
}
