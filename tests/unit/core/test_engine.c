/*
 * test_engine.c — the discrete-event engine through its public API: event
 * order and ties, cancellation, the pool (no growth and no allocation in
 * steady state), every run limit, handler failure, out-of-memory paths, and a
 * randomized model checked event by event against a naive reference engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"

#include <math.h>

#define MAX_LOG 100000

/* What the handlers saw, in firing order. */
struct log {
    size_t n;
    uint64_t tag[MAX_LOG];
    double t_s[MAX_LOG];
};

/* One recording entity; its handlers act on the engine as their kind says. */
struct rec {
    struct log *log;
    struct core_engine *eng;
    uint32_t self;
    core_event_id victim; /* for REC_CANCEL: the id to cancel */
    bool cancel_result;   /* what that cancel returned */
    uint64_t stop_at_tag; /* REC_LOG: request stop after this tag (0: never) */
    uint64_t fail_at_tag; /* REC_LOG: fail at this tag (0: never) */
    volatile int *flag;   /* REC_LOG: set *flag at stop_flag_tag */
    uint64_t flag_at_tag;
};

enum rec_kind { REC_LOG, REC_CANCEL, REC_RESCHEDULE, REC_KIND_COUNT };

static void rec_log(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct rec *r = state;

    assert_ptr_equal(core_engine_current(eng), ev);
    assert_true(core_engine_now(eng) == ev->time_s);
    assert_true(r->log->n < MAX_LOG);
    r->log->tag[r->log->n] = ev->data.u64;
    r->log->t_s[r->log->n] = ev->time_s;
    r->log->n++;
    if (r->stop_at_tag && ev->data.u64 == r->stop_at_tag)
        core_engine_request_stop(eng);
    if (r->fail_at_tag && ev->data.u64 == r->fail_at_tag)
        core_engine_fail(eng, CORE_E_RUNTIME, "model broke");
    if (r->flag && ev->data.u64 == r->flag_at_tag)
        *r->flag = 1;
}

static void rec_cancel(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct rec *r = state;

    r->cancel_result = core_cancel(eng, r->victim);
    rec_log(state, ev, eng);
}

/* Reschedules itself 1 s later forever (steady state of one pending event). */
static void rec_reschedule(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct rec *r = state;

    core_schedule_in(eng, 1.0, r->self, REC_RESCHEDULE, 0, ev->data);
}

static const core_handler_fn rec_handlers[] = {
    [REC_LOG] = rec_log,
    [REC_CANCEL] = rec_cancel,
    [REC_RESCHEDULE] = rec_reschedule,
};
static_assert(ARRAY_LEN(rec_handlers) == REC_KIND_COUNT, "one handler per kind");

static const struct core_entity_type rec_type = {"rec", rec_handlers, REC_KIND_COUNT};

static struct log g_log;

/* An engine with one recording entity. */
static struct core_engine *make_engine(struct rec *r, size_t initial)
{
    struct core_engine *eng = core_engine_create(initial);
    int type;

    assert_non_null(eng);
    type = core_engine_register_type(eng, &rec_type);
    assert_int_equal(type, 0);
    memset(r, 0, sizeof(*r));
    memset(&g_log, 0, sizeof(g_log));
    r->log = &g_log;
    r->eng = eng;
    r->self = core_engine_add_entity(eng, type, r);
    assert_int_equal(r->self, 0);
    return eng;
}

static core_event_id at(struct core_engine *eng, double t_s, uint8_t prio, uint64_t tag)
{
    union core_payload p = {.u64 = tag};
    core_event_id id = core_schedule_at(eng, t_s, 0, REC_LOG, prio, p);

    assert_true(id != 0);
    return id;
}

static void assert_log(const uint64_t *want, size_t n)
{
    if (g_log.n != n)
        fail_msg("ran %zu events, expected %zu", g_log.n, n);
    for (size_t i = 0; i < n; i++)
        if (g_log.tag[i] != want[i])
            fail_msg("event %zu was tag %llu, expected %llu", i, (unsigned long long)g_log.tag[i],
                     (unsigned long long)want[i]);
}

static void test_engine_runs_events_in_time_order(void **unused)
{
    long live0 = core_alloc_live();
    struct rec r;
    struct core_engine *eng = make_engine(&r, 0);
    const uint64_t want[] = {1, 2, 3, 4, 5};

    at(eng, 3.0, 0, 4);
    at(eng, 0.5, 0, 2);
    at(eng, 7.25, 0, 5);
    at(eng, 0.0, 0, 1);
    at(eng, 1.0, 0, 3);
    assert_int_equal(core_engine_pending(eng), 5);
    assert_true(core_engine_next_time(eng) == 0.0);
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_EMPTY);
    assert_log(want, ARRAY_LEN(want));
    assert_true(core_engine_now(eng) == 7.25);
    assert_int_equal(core_engine_events_run(eng), 5);
    assert_int_equal(core_engine_pending(eng), 0);
    assert_true(isinf(core_engine_next_time(eng)));
    assert_null(core_engine_current(eng));
    core_engine_destroy(eng);
    core_engine_destroy(NULL);
    assert_int_equal(core_alloc_live(), live0);
}

static void test_engine_ties_pop_by_priority_then_insertion(void **unused)
{
    struct rec r;
    struct core_engine *eng = make_engine(&r, 0);
    const uint64_t want[] = {10, 11, 12, 13, 14, 15, 16};

    at(eng, 2.0, 0, 16);
    at(eng, 1.0, 200, 15);
    at(eng, 1.0, 5, 13);
    at(eng, 1.0, 0, 10);
    at(eng, 1.0, 5, 14);
    at(eng, 1.0, 0, 11);
    at(eng, 1.0, 1, 12);
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_EMPTY);
    assert_log(want, ARRAY_LEN(want));
    core_engine_destroy(eng);
}

static void test_engine_cancel_pending_fired_twice_and_unknown(void **unused)
{
    struct rec r;
    struct core_engine *eng = make_engine(&r, 0);
    const uint64_t want[] = {1, 3};
    core_event_id a = at(eng, 1.0, 0, 1), b = at(eng, 2.0, 0, 2), c = at(eng, 3.0, 0, 3);
    struct core_run_limits one = {.max_events = 1};

    assert_true(a != b && b != c && a != 0);
    assert_int_equal(core_engine_run(eng, &one), CORE_STOP_COUNT);
    assert_false(core_cancel(eng, a));     /* fired: the event run last */
    assert_true(core_cancel(eng, b));      /* pending */
    assert_false(core_cancel(eng, b));     /* twice */
    assert_false(core_cancel(eng, 0));     /* never valid */
    assert_false(core_cancel(eng, c + 1)); /* never issued */
    assert_int_equal(core_engine_pending(eng), 1);
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_EMPTY);
    assert_log(want, ARRAY_LEN(want));
    assert_false(core_cancel(eng, c));
    core_engine_destroy(eng);
}

static void test_engine_cancel_from_handler_of_later_and_own_event(void **unused)
{
    struct rec r;
    struct core_engine *eng = make_engine(&r, 0);
    union core_payload p = {.u64 = 1};
    const uint64_t want[] = {1};
    core_event_id self;

    self = core_schedule_at(eng, 1.0, 0, REC_CANCEL, 0, p);
    r.victim = at(eng, 2.0, 0, 2);
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_EMPTY);
    assert_true(r.cancel_result);
    assert_log(want, ARRAY_LEN(want));

    /* An event cancelling itself: it is running, so it already fired. */
    memset(&g_log, 0, sizeof(g_log));
    self = core_schedule_at(eng, 3.0, 0, REC_CANCEL, 0, p);
    r.victim = self;
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_EMPTY);
    assert_false(r.cancel_result);
    assert_int_equal(g_log.n, 1);
    core_engine_destroy(eng);
}

/* core_cancel's documented contract for an id whose event fired earlier (not
 * the last one): harmless, but it may return true and leave the pending count
 * one low until the next compaction. Every pending event still runs. */
static void test_engine_cancel_of_an_earlier_fired_event_changes_no_event(void **unused)
{
    long live0 = core_alloc_live();
    struct rec r;
    struct core_engine *eng = make_engine(&r, 0);
    const uint64_t want[] = {1, 2, 3, 4};
    struct core_run_limits two = {.max_events = 2};
    core_event_id a = at(eng, 1.0, 0, 1);

    at(eng, 2.0, 0, 2);
    at(eng, 3.0, 0, 3);
    at(eng, 4.0, 0, 4);
    assert_int_equal(core_engine_run(eng, &two), CORE_STOP_COUNT);
    assert_true(core_cancel(eng, a)); /* a fired before the last event run */
    assert_int_equal(core_engine_pending(eng), 1); /* 2 pending, counted one low */
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_EMPTY);
    assert_log(want, ARRAY_LEN(want));
    assert_int_equal(core_engine_pending(eng), 0);
    core_engine_destroy(eng);
    assert_int_equal(core_alloc_live(), live0);
}

static void test_engine_pool_reused_without_growth_or_allocation(void **unused)
{
    long live0 = core_alloc_live();
    struct rec r;
    struct core_engine *eng = make_engine(&r, 4);
    union core_payload p = {0};
    struct core_run_limits lim = {.max_events = 100000};
    unsigned long allocs0;

    assert_int_equal(core_engine_reserve(eng, 1000), CORE_OK);
    assert_int_equal(core_engine_pool_capacity(eng), 1000);
    assert_int_equal(core_engine_reserve(eng, 10), CORE_OK); /* never shrinks */
    assert_int_equal(core_engine_pool_capacity(eng), 1000);
    for (int i = 0; i < 1000; i++)
        assert_true(core_schedule_at(eng, 0.001 * i, 0, REC_RESCHEDULE, 0, p) != 0);
    allocs0 = core_alloc_count();
    assert_int_equal(core_engine_run(eng, &lim), CORE_STOP_COUNT);
    assert_int_equal(core_engine_pool_capacity(eng), 1000);
    if (core_alloc_count() != allocs0)
        fail_msg("%lu allocations in steady state, expected 0", core_alloc_count() - allocs0);
    assert_int_equal(core_engine_pending(eng), 1000);
    core_engine_destroy(eng);
    assert_int_equal(core_alloc_live(), live0);
}

static void test_engine_pool_grows_when_more_events_pending(void **unused)
{
    long live0 = core_alloc_live();
    struct rec r;
    struct core_engine *eng = make_engine(&r, 2);

    for (int i = 0; i < 5000; i++)
        at(eng, (double)(i % 97), 0, (uint64_t)i + 1);
    assert_true(core_engine_pool_capacity(eng) >= 5000);
    assert_int_equal(core_engine_pending(eng), 5000);
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_EMPTY);
    assert_int_equal(g_log.n, 5000);
    for (size_t i = 1; i < g_log.n; i++)
        if (g_log.t_s[i] < g_log.t_s[i - 1] ||
            (g_log.t_s[i] == g_log.t_s[i - 1] && g_log.tag[i] < g_log.tag[i - 1]))
            fail_msg("event %zu (t=%g tag %llu) after (t=%g tag %llu)", i, g_log.t_s[i],
                     (unsigned long long)g_log.tag[i], g_log.t_s[i - 1],
                     (unsigned long long)g_log.tag[i - 1]);
    core_engine_destroy(eng);
    assert_int_equal(core_alloc_live(), live0);
}

static void test_engine_run_until_stops_before_later_event(void **unused)
{
    struct rec r;
    struct core_engine *eng = make_engine(&r, 0);
    struct core_run_limits lim = {.has_until = true, .until_s = 2.0};
    const uint64_t want[] = {1, 2, 3};

    at(eng, 1.0, 0, 1);
    at(eng, 2.0, 0, 2); /* at the limit: runs */
    at(eng, 2.5, 0, 3);
    assert_int_equal(core_engine_run(eng, &lim), CORE_STOP_TIME);
    assert_int_equal(g_log.n, 2);
    assert_true(core_engine_now(eng) == 2.0);
    lim.until_s = 2.25; /* nothing until then: the clock moves to the limit */
    assert_int_equal(core_engine_run(eng, &lim), CORE_STOP_TIME);
    assert_true(core_engine_now(eng) == 2.25);
    assert_int_equal(core_engine_pending(eng), 1);
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_EMPTY);
    assert_log(want, ARRAY_LEN(want));
    core_engine_destroy(eng);
}

static void test_engine_run_until_zero_is_a_limit(void **unused)
{
    struct rec r;
    struct core_engine *eng = make_engine(&r, 0);
    struct core_run_limits lim = {.has_until = true, .until_s = 0.0};

    at(eng, 0.0, 0, 1);
    at(eng, 0.1, 0, 2);
    assert_int_equal(core_engine_run(eng, &lim), CORE_STOP_TIME);
    assert_int_equal(g_log.n, 1);
    assert_true(core_engine_now(eng) == 0.0);
    core_engine_destroy(eng);
}

static void test_engine_run_stops_after_max_events(void **unused)
{
    struct rec r;
    struct core_engine *eng = make_engine(&r, 0);
    struct core_run_limits lim = {.max_events = 2};

    for (int i = 1; i <= 5; i++)
        at(eng, i, 0, (uint64_t)i);
    assert_int_equal(core_engine_run(eng, &lim), CORE_STOP_COUNT);
    assert_int_equal(g_log.n, 2);
    assert_int_equal(core_engine_run(eng, &lim), CORE_STOP_COUNT);
    assert_int_equal(g_log.n, 4);
    assert_int_equal(core_engine_run(eng, &lim), CORE_STOP_EMPTY);
    assert_int_equal(g_log.n, 5);
    assert_int_equal(core_engine_events_run(eng), 5);
    core_engine_destroy(eng);
}

static void test_engine_request_stop_ends_run_after_current_event(void **unused)
{
    struct rec r;
    struct core_engine *eng = make_engine(&r, 0);

    for (int i = 1; i <= 5; i++)
        at(eng, i, 0, (uint64_t)i);
    r.stop_at_tag = 2;
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_REQUESTED);
    assert_int_equal(g_log.n, 2);
    assert_true(core_engine_now(eng) == 2.0);
    /* The request is consumed: the next run goes on. */
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_EMPTY);
    assert_int_equal(g_log.n, 5);
    /* Requested outside a run: the next run returns at once. */
    at(eng, 9.0, 0, 9);
    core_engine_request_stop(eng);
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_REQUESTED);
    assert_int_equal(g_log.n, 5);
    core_engine_destroy(eng);
}

static void test_engine_stop_flag_stops_run(void **unused)
{
    struct rec r;
    struct core_engine *eng = make_engine(&r, 0);
    volatile int flag = 1;
    struct core_run_limits lim = {.stop_flag = &flag};

    for (int i = 1; i <= 5000; i++)
        at(eng, i, 0, (uint64_t)i);
    assert_int_equal(core_engine_run(eng, &lim), CORE_STOP_REQUESTED);
    assert_int_equal(g_log.n, 0);
    flag = 0;
    r.flag = &flag;
    r.flag_at_tag = 10;
    assert_int_equal(core_engine_run(eng, &lim), CORE_STOP_REQUESTED);
    /* Polled every 1024 events: it stops well before the end. */
    if (g_log.n < 10 || g_log.n > 10 + 1024)
        fail_msg("stopped after %zu events, expected 10..1034", g_log.n);
    core_engine_destroy(eng);
}

static void test_engine_fail_stops_run_and_sticks(void **unused)
{
    struct rec r;
    struct core_engine *eng = make_engine(&r, 0);
    const struct core_err *e;

    for (int i = 1; i <= 5; i++)
        at(eng, i, 0, (uint64_t)i);
    assert_int_equal(core_engine_error(eng)->rc, CORE_OK);
    r.fail_at_tag = 3;
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_FAILED);
    assert_int_equal(g_log.n, 3);
    e = core_engine_error(eng);
    assert_int_equal(e->rc, CORE_E_RUNTIME);
    assert_string_equal(e->msg, "model broke");
    core_engine_fail(eng, CORE_E_IO, "second cause"); /* the first cause is kept */
    assert_string_equal(core_engine_error(eng)->msg, "model broke");
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_FAILED);
    assert_int_equal(g_log.n, 3);
    core_engine_destroy(eng);
}

static void test_engine_out_of_memory_paths(void **unused)
{
    long live0 = core_alloc_live();
    struct rec r;
    struct core_engine *eng;
    union core_payload p = {0};

    for (unsigned long k = 1; k <= 2; k++) { /* engine struct, then pool */
        core_alloc_fail_after(k);
        assert_null(core_engine_create(16));
        core_alloc_fail_after(0);
        assert_int_equal(core_alloc_live(), live0);
    }

    eng = core_engine_create(1);
    assert_non_null(eng);
    core_alloc_fail_after(1);
    assert_int_equal(core_engine_register_type(eng, &rec_type), -1);
    core_alloc_fail_after(0);
    assert_int_equal(core_engine_register_type(eng, &rec_type), 0);
    core_alloc_fail_after(1);
    assert_int_equal(core_engine_add_entity(eng, 0, &r), UINT32_MAX);
    core_alloc_fail_after(0);
    memset(&r, 0, sizeof(r));
    memset(&g_log, 0, sizeof(g_log));
    r.log = &g_log;
    assert_int_equal(core_engine_add_entity(eng, 0, &r), 0);
    core_alloc_fail_after(1);
    assert_int_equal(core_engine_reserve(eng, 1000), CORE_E_NOMEM);
    core_alloc_fail_after(0);
    assert_int_equal(core_engine_pool_capacity(eng), 1);

    /* Growing the pool fails: id 0, the engine is failed, nothing is lost. */
    assert_true(core_schedule_at(eng, 1.0, 0, REC_LOG, 0, p) != 0);
    core_alloc_fail_after(1);
    assert_int_equal(core_schedule_at(eng, 2.0, 0, REC_LOG, 0, p), 0);
    core_alloc_fail_after(0);
    assert_int_equal(core_engine_pending(eng), 1);
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_FAILED);
    assert_int_equal(core_engine_error(eng)->rc, CORE_E_NOMEM);
    assert_int_equal(g_log.n, 0);
    core_engine_destroy(eng);
    assert_int_equal(core_alloc_live(), live0);
}

/* ------------------------------------------------------------------------ */
/* Randomized model against a naive reference engine                          */
/* ------------------------------------------------------------------------ */

/* Each event's tag drives what its handler does (deterministically), so the
 * engine and the reference take the same actions: schedule 0..2 children at
 * delays from a coarse grid (many equal times) with priorities 0..3, and
 * sometimes cancel an earlier-issued event chosen by the tag. */
#define RND_MAX 60000

struct ref_ev {
    double t_s;
    uint8_t prio;
    uint64_t seq, tag;
    bool live;
};

struct rnd {
    struct core_engine *eng;
    uint64_t next_tag;
    size_t n_issued;
    core_event_id ids[RND_MAX]; /* engine ids by issue order (= tag) */
    bool gone[RND_MAX];         /* the tag's event fired or was cancelled */
    size_t n_log;
    uint64_t log[RND_MAX];        /* tags in firing order */
    uint64_t cancel_log[RND_MAX]; /* 1 + result of each cancel, in order */
    size_t n_cancel;
    size_t budget; /* events still allowed to be issued */
};

static uint64_t step(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* The event to cancel: one of the last RND_RECENT issued (most still pending). */
#define RND_RECENT 1024

static size_t cancel_index(uint64_t pick, size_t n_issued)
{
    size_t window = n_issued < RND_RECENT ? n_issued : RND_RECENT;

    return n_issued - 1 - (size_t)(pick % window);
}

/* The actions for tag: calls sched(t_delay, prio, newtag) and cancel(index). */
struct action {
    int n_children;
    double delay_s[2];
    uint8_t prio[2];
    bool do_cancel;
    uint64_t cancel_pick;
};

static struct action action_of(uint64_t tag)
{
    struct action a;
    uint64_t h = step(tag + 12345);

    a.n_children = (int)(h % 3);
    for (int i = 0; i < 2; i++) {
        h = step(h);
        a.delay_s[i] = 0.25 * (double)(h % 5);
        a.prio[i] = (uint8_t)((h >> 8) % 4);
    }
    h = step(h);
    a.do_cancel = h % 4 == 0;
    a.cancel_pick = h >> 8;
    return a;
}

static void rnd_handler(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct rnd *s = state;
    struct action a = action_of(ev->data.u64);

    s->log[s->n_log++] = ev->data.u64;
    s->gone[ev->data.u64] = true;
    for (int i = 0; i < a.n_children && s->budget > 0; i++) {
        union core_payload p = {.u64 = s->next_tag++};

        s->ids[s->n_issued++] = core_schedule_in(eng, a.delay_s[i], 0, 0, a.prio[i], p);
        s->budget--;
    }
    /* core_cancel's contract: only pending events' ids; for one that fired
     * or was cancelled, cancel the running event (false, as the reference). */
    if (a.do_cancel) {
        size_t k = cancel_index(a.cancel_pick, s->n_issued);

        if (s->gone[k])
            k = ev->data.u64;
        s->gone[k] = true;
        s->cancel_log[s->n_cancel++] = 1 + core_cancel(eng, s->ids[k]);
    }
}

static const core_handler_fn rnd_handlers[] = {rnd_handler};
static const struct core_entity_type rnd_type = {"rnd", rnd_handlers, 1};

static struct rnd g_rnd;
static struct ref_ev g_ref[RND_MAX];
static uint64_t g_ref_log[RND_MAX], g_ref_cancel[RND_MAX];
static size_t g_live[RND_MAX]; /* indices of g_ref still pending (or cancelled, lazily) */

static void test_engine_random_model_matches_reference(void **unused)
{
    long live0 = core_alloc_live();
    struct rnd *s = &g_rnd;
    size_t n_ref = 0, n_ref_log = 0, n_ref_cancel = 0, n_live, budget;
    uint64_t next_tag;
    double now_s = 0;
    const size_t n_initial = 3000, total = 50000;

    /* Engine run. */
    memset(s, 0, sizeof(*s));
    s->eng = core_engine_create(8);
    assert_non_null(s->eng);
    assert_int_equal(core_engine_register_type(s->eng, &rnd_type), 0);
    assert_int_equal(core_engine_add_entity(s->eng, 0, s), 0);
    s->budget = total - n_initial;
    for (size_t i = 0; i < n_initial; i++) {
        union core_payload p = {.u64 = s->next_tag++};
        uint64_t h = step(i + 7);

        s->ids[s->n_issued++] =
            core_schedule_at(s->eng, 0.5 * (double)(h % 40), 0, 0, (uint8_t)(h >> 40) % 4, p);
    }
    assert_int_equal(core_engine_run(s->eng, NULL), CORE_STOP_EMPTY);
    core_engine_destroy(s->eng);
    assert_int_equal(core_alloc_live(), live0);

    /* Reference run: a list searched linearly for (time, prio, seq). */
    next_tag = 0;
    budget = total - n_initial;
    for (size_t i = 0; i < n_initial; i++) {
        uint64_t h = step(i + 7);

        g_ref[n_ref] = (struct ref_ev){0.5 * (double)(h % 40), (uint8_t)((h >> 40) % 4), n_ref,
                                       next_tag++, true};
        n_ref++;
    }
    for (size_t i = 0; i < n_ref; i++)
        g_live[i] = i;
    n_live = n_ref;
    for (;;) {
        size_t best = SIZE_MAX, at_best = 0;
        struct action a;

        for (size_t k = 0; k < n_live;) {
            const struct ref_ev *e = &g_ref[g_live[k]], *b;

            if (!e->live) { /* cancelled: drop from the live list */
                g_live[k] = g_live[--n_live];
                continue;
            }
            b = best == SIZE_MAX ? NULL : &g_ref[best];
            if (!b || e->t_s < b->t_s || (e->t_s == b->t_s && e->prio < b->prio) ||
                (e->t_s == b->t_s && e->prio == b->prio && e->seq < b->seq)) {
                best = g_live[k];
                at_best = k;
            }
            k++;
        }
        if (best == SIZE_MAX)
            break;
        g_ref[best].live = false;
        g_live[at_best] = g_live[--n_live];
        now_s = g_ref[best].t_s;
        g_ref_log[n_ref_log++] = g_ref[best].tag;
        a = action_of(g_ref[best].tag);
        for (int i = 0; i < a.n_children && budget > 0; i++) {
            g_ref[n_ref] =
                (struct ref_ev){now_s + a.delay_s[i], a.prio[i], n_ref, next_tag++, true};
            g_live[n_live++] = n_ref;
            n_ref++;
            budget--;
        }
        if (a.do_cancel) {
            struct ref_ev *v = &g_ref[cancel_index(a.cancel_pick, n_ref)];

            g_ref_cancel[n_ref_cancel++] = 1 + v->live;
            v->live = false;
        }
    }

    assert_int_equal(s->n_issued, n_ref);
    if (s->n_log != n_ref_log)
        fail_msg("engine ran %zu events, reference %zu", s->n_log, n_ref_log);
    for (size_t i = 0; i < n_ref_log; i++)
        if (s->log[i] != g_ref_log[i])
            fail_msg("event %zu: engine ran tag %llu, reference tag %llu", i,
                     (unsigned long long)s->log[i], (unsigned long long)g_ref_log[i]);
    assert_int_equal(s->n_cancel, n_ref_cancel);
    {
        size_t n_true = 0;

        for (size_t i = 0; i < n_ref_cancel; i++)
            n_true += g_ref_cancel[i] == 2;
        if (n_true < n_ref_cancel / 4) /* many cancels hit pending events */
            fail_msg("only %zu of %zu cancels hit a pending event", n_true, n_ref_cancel);
    }
    for (size_t i = 0; i < n_ref_cancel; i++)
        if (s->cancel_log[i] != g_ref_cancel[i])
            fail_msg("cancel %zu returned %d, reference %d", i, (int)s->cancel_log[i] - 1,
                     (int)g_ref_cancel[i] - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_runs_events_in_time_order),
        cmocka_unit_test(test_engine_ties_pop_by_priority_then_insertion),
        cmocka_unit_test(test_engine_cancel_pending_fired_twice_and_unknown),
        cmocka_unit_test(test_engine_cancel_from_handler_of_later_and_own_event),
        cmocka_unit_test(test_engine_cancel_of_an_earlier_fired_event_changes_no_event),
        cmocka_unit_test(test_engine_pool_reused_without_growth_or_allocation),
        cmocka_unit_test(test_engine_pool_grows_when_more_events_pending),
        cmocka_unit_test(test_engine_run_until_stops_before_later_event),
        cmocka_unit_test(test_engine_run_until_zero_is_a_limit),
        cmocka_unit_test(test_engine_run_stops_after_max_events),
        cmocka_unit_test(test_engine_request_stop_ends_run_after_current_event),
        cmocka_unit_test(test_engine_stop_flag_stops_run),
        cmocka_unit_test(test_engine_fail_stops_run_and_sticks),
        cmocka_unit_test(test_engine_out_of_memory_paths),
        cmocka_unit_test(test_engine_random_model_matches_reference),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
