/*
 * test_eventq.c — the event queue of sim/core (core_int.h) from inside: pop
 * order against a sorted reference across spills to and refills from the far
 * part, degenerate splits (every event at one time), the vacant root, the
 * cancelled-id set and compaction (constant work per cancel), the scan
 * fallback, pool growth and its out-of-memory paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/core_int.h"

#define N_BIG 20000

/* A reference key: what the queue must pop in increasing order of. */
struct key {
    double t_s;
    uint64_t order;
    uint64_t tag;
};

static int key_cmp(const void *pa, const void *pb)
{
    const struct key *a = pa, *b = pb;

    if (a->t_s != b->t_s)
        return a->t_s < b->t_s ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static bool pop(struct core_eventq *q, struct core_event *out)
{
    const struct core_event *e = core_eventq_peek(q);

    if (!e)
        return false;
    *out = *e;
    core_eventq_take_root(q);
    core_eventq_settle(q);
    return true;
}

static core_event_id push(struct core_eventq *q, double t_s, uint8_t prio, uint64_t tag)
{
    union core_payload p = {.u64 = tag};

    return core_eventq_push(q, t_s, prio, 0, 0, p);
}

static struct key g_ref[N_BIG];

/* Pop everything and compare with g_ref[0..n) sorted. */
static void assert_pops_sorted(struct core_eventq *q, size_t n)
{
    struct core_event e;
    size_t i = 0;

    qsort(g_ref, n, sizeof(g_ref[0]), key_cmp);
    while (pop(q, &e)) {
        if (i >= n)
            fail_msg("popped more than the %zu events expected", n);
        if (e.data.u64 != g_ref[i].tag)
            fail_msg("pop %zu: tag %llu (t=%g), expected tag %llu (t=%g)", i,
                     (unsigned long long)e.data.u64, e.time_s, (unsigned long long)g_ref[i].tag,
                     g_ref[i].t_s);
        i++;
    }
    if (i != n)
        fail_msg("popped %zu events, expected %zu", i, n);
    assert_int_equal(core_eventq_live(q), 0);
}

static void test_eventq_pops_in_key_order_across_spill_and_refill(void **unused)
{
    long live0 = core_alloc_live();
    struct core_eventq q;
    size_t max_far = 0;

    assert_int_equal(core_eventq_init(&q, 1), CORE_OK);
    for (size_t i = 0; i < N_BIG; i++) {
        uint64_t h = mix(i);
        double t_s = 0.125 * (double)(h % 2000); /* many equal times */
        uint8_t prio = (uint8_t)((h >> 32) % 3);
        core_event_id id = push(&q, t_s, prio, i);

        assert_int_equal(id, i + 1); /* ids are sequence numbers from 1 */
        g_ref[i] = (struct key){t_s, (uint64_t)prio << 56 | id, i};
        if (q.n_far > max_far)
            max_far = q.n_far;
    }
    assert_true(max_far > 0); /* the near heap spilled */
    assert_int_equal(core_eventq_live(&q), N_BIG);
    assert_pops_sorted(&q, N_BIG);
    core_eventq_fini(&q);
    assert_int_equal(core_alloc_live(), live0);
}

static void test_eventq_interleaved_pushes_pops_and_cancels_match_reference(void **unused)
{
    struct core_eventq q;
    struct key *live = g_ref;
    core_event_id *ids = calloc(3 * N_BIG, sizeof(*ids));
    size_t n_live = 0, n_ids = 0;
    double now_s = 0;

    assert_non_null(ids);
    assert_int_equal(core_eventq_init(&q, 16), CORE_OK);
    for (uint64_t step = 0; step < 3 * N_BIG; step++) {
        uint64_t h = mix(step + 99);
        unsigned what = (unsigned)(h % 8);

        if (what < 4 && n_live < N_BIG) { /* push, as a handler would: at or after now */
            double t_s = now_s + 0.5 * (double)((h >> 8) % 8);
            uint8_t prio = (uint8_t)((h >> 16) % 4);
            core_event_id id = push(&q, t_s, prio, n_ids);

            live[n_live++] = (struct key){t_s, (uint64_t)prio << 56 | id, n_ids};
            ids[n_ids++] = id;
        } else if (what < 6) { /* pop: the smallest live key */
            struct core_event e = {0};
            size_t best = 0;

            if (n_live == 0) {
                assert_false(pop(&q, &e));
                continue;
            }
            for (size_t i = 1; i < n_live; i++)
                if (key_cmp(&live[i], &live[best]) < 0)
                    best = i;
            assert_true(pop(&q, &e));
            if (e.data.u64 != live[best].tag)
                fail_msg("step %llu: popped tag %llu, expected %llu", (unsigned long long)step,
                         (unsigned long long)e.data.u64, (unsigned long long)live[best].tag);
            now_s = e.time_s;
            live[best] = live[--n_live];
        } else if (n_live > 0 && (h >> 40) % 4 != 0) { /* cancel a pending event */
            size_t k = (size_t)((h >> 8) % n_live);
            uint64_t tag = live[k].tag;

            live[k] = live[--n_live];
            if (!core_eventq_cancel(&q, ids[tag]))
                fail_msg("step %llu: cancel of pending tag %llu returned false",
                         (unsigned long long)step, (unsigned long long)tag);
            if (q.n_cancelled > 0 && core_eventq_cancel(&q, ids[tag])) /* not compacted */
                fail_msg("step %llu: second cancel of tag %llu returned true",
                         (unsigned long long)step, (unsigned long long)tag);
        } else { /* ids that are never valid */
            assert_false(core_eventq_cancel(&q, 0));
            assert_false(core_eventq_cancel(&q, q.next_seq));
        }
        assert_int_equal(core_eventq_live(&q), n_live);
    }
    assert_true(q.n_scanned > 0); /* cancelled events were compacted away */
    assert_pops_sorted(&q, n_live);
    core_eventq_fini(&q);
    free(ids);
}

static void test_eventq_all_events_at_one_time_pop_by_priority_then_insertion(void **unused)
{
    struct core_eventq q;

    assert_int_equal(core_eventq_init(&q, 8), CORE_OK);
    for (size_t i = 0; i < 5000; i++) {
        uint8_t prio = (uint8_t)(mix(i) % 5);
        core_event_id id = push(&q, 1.0, prio, i);

        g_ref[i] = (struct key){1.0, (uint64_t)prio << 56 | id, i};
    }
    assert_pops_sorted(&q, 5000);
    core_eventq_fini(&q);
}

static void test_eventq_equal_time_pushes_do_not_spill_each_time(void **unused)
{
    struct core_eventq q;
    struct core_event e;

    assert_int_equal(core_eventq_init(&q, 8), CORE_OK);
    for (size_t i = 0; i < 5000; i++)
        push(&q, 1.0, 0, i);
    assert_true(pop(&q, &e)); /* a refill brings every event at 1.0 near */
    assert_int_equal(q.n_far, 0);
    /* Zero-delay events among them: near grows, nothing spills back and forth. */
    for (size_t i = 0; i < 2000; i++) {
        push(&q, 1.0, 0, 5000 + i);
        if (q.n_far != 0)
            fail_msg("push %zu spilled %zu events far", i, q.n_far);
        if (i % 2)
            assert_true(pop(&q, &e));
    }
    for (size_t i = 0; i < 5999; i++) {
        assert_true(pop(&q, &e));
        assert_int_equal(e.data.u64, 1001 + i);
    }
    assert_false(pop(&q, &e));
    core_eventq_fini(&q);
}

static void test_eventq_vacant_root_takes_next_push_and_full_pool_does_not_grow(void **unused)
{
    struct core_eventq q;
    struct core_event e;
    const struct core_event *top;

    assert_int_equal(core_eventq_init(&q, 4), CORE_OK);
    for (int i = 0; i < 4; i++)
        push(&q, 1.0 + i, 0, (uint64_t)i);
    top = core_eventq_peek(&q);
    assert_int_equal(top->data.u64, 0);
    core_eventq_take_root(&q);
    assert_int_equal(core_eventq_live(&q), 3);
    push(&q, 2.5, 0, 10); /* fills the vacant root */
    assert_false(q.root_vacant);
    assert_int_equal(q.cap, 4);

    /* Far push into a full pool with a vacant root: the root's slot is used. */
    q.split_s = 10.0; /* every event is below: a valid split */
    top = core_eventq_peek(&q);
    assert_int_equal(top->data.u64, 1);
    core_eventq_take_root(&q);
    push(&q, 20.0, 0, 11);
    assert_int_equal(q.cap, 4);
    assert_int_equal(q.n_far, 1);
    core_eventq_settle(&q);
    {
        const uint64_t want[] = {10, 2, 3, 11};

        for (size_t i = 0; i < ARRAY_LEN(want); i++) {
            assert_true(pop(&q, &e));
            assert_int_equal(e.data.u64, want[i]);
        }
        assert_false(pop(&q, &e));
    }
    core_eventq_fini(&q);
}

static void test_eventq_cancel_sets_ids_then_compacts_past_a_quarter(void **unused)
{
    long live0 = core_alloc_live();
    struct core_eventq q;
    core_event_id ids[1200]; /* enough to spill: both parts hold events */
    size_t n = 0;

    assert_int_equal(core_eventq_init(&q, 8), CORE_OK);
    for (size_t i = 0; i < 1200; i++)
        ids[i] = push(&q, (double)(mix(i) % 300), 0, i);
    assert_true(q.n_far > 0);
    for (size_t i = 0; i < 300; i++) /* odd tags 1..599... */
        assert_true(core_eventq_cancel(&q, ids[2 * i + 1]));
    assert_int_equal(q.n_cancelled, 300);
    assert_int_equal(q.set_n, 300);
    assert_int_equal(q.n_near + q.n_far, 1200); /* recorded, not yet reclaimed */
    assert_int_equal(core_eventq_live(&q), 900);
    assert_int_equal(q.n_scanned, 0);
    assert_false(core_eventq_cancel(&q, ids[1])); /* twice */
    assert_true(core_eventq_cancel(&q, ids[601])); /* ...past a quarter: compacted */
    assert_int_equal(q.n_cancelled, 0);
    assert_int_equal(q.set_n, 0);
    assert_int_equal(q.n_near + q.n_far, 899);
    assert_int_equal(q.n_scanned, 1200);
    assert_int_equal(core_eventq_live(&q), 899);
    for (size_t i = 0; i < 1200; i++) {
        if (i % 2 == 1 && i <= 601)
            continue;
        g_ref[n] = (struct key){(double)(mix(i) % 300), ids[i], i};
        n++;
    }
    assert_int_equal(n, 899);
    assert_pops_sorted(&q, n);
    core_eventq_fini(&q);
    assert_int_equal(core_alloc_live(), live0);
}

static void test_eventq_cancel_of_the_taken_event_returns_false(void **unused)
{
    struct core_eventq q;
    struct core_event e;

    assert_int_equal(core_eventq_init(&q, 4), CORE_OK);
    core_event_id a = push(&q, 1.0, 0, 1), b = push(&q, 2.0, 0, 2);

    assert_non_null(core_eventq_peek(&q));
    core_eventq_take_root(&q);
    assert_false(core_eventq_cancel(&q, a)); /* it is the event running */
    push(&q, 1.5, 0, 3);                     /* fills the vacant root */
    assert_false(core_eventq_cancel(&q, a)); /* still known as the taken one */
    assert_true(core_eventq_cancel(&q, b));
    assert_true(pop(&q, &e));
    assert_int_equal(e.data.u64, 3);
    assert_null(core_eventq_peek(&q)); /* b reclaimed on the way */
    assert_int_equal(q.n_cancelled, 0);
    assert_int_equal(q.set_n, 0);
    core_eventq_fini(&q);
}

/* Against the contract: the id of an event that fired. No event is lost,
 * only the live count is one low until the next compaction. */
static void test_eventq_cancel_of_a_fired_event_changes_no_event(void **unused)
{
    struct core_eventq q;
    struct core_event e;
    core_event_id first;
    size_t n = 0;

    assert_int_equal(core_eventq_init(&q, 8), CORE_OK);
    first = push(&q, 0.5, 0, 1000);
    for (size_t i = 0; i < 200; i++) {
        push(&q, 1.0 + (double)i, 0, i);
        g_ref[n++] = (struct key){1.0 + (double)i, first + 1 + i, i};
    }
    assert_true(pop(&q, &e));
    assert_int_equal(e.data.u64, 1000);
    push(&q, 300.0, 0, 200); /* takes another root: first is no longer "taken" */
    g_ref[n++] = (struct key){300.0, first + 201, 200};
    assert_true(pop(&q, &e));
    g_ref[0] = g_ref[--n];
    assert_true(core_eventq_cancel(&q, first)); /* cannot tell it fired */
    assert_int_equal(core_eventq_live(&q), 199);
    assert_pops_sorted(&q, n); /* ...but every pending event still pops */
    core_eventq_fini(&q);
}

/* 200,000 pending events, every one cancelled, then 200,000 cancel-and-push
 * pairs (the radio model's pattern): the pool is scanned only by compactions,
 * a few times its size in all, never once per cancel. */
static void test_eventq_cancel_is_constant_work_per_call(void **unused)
{
    enum { N = 200000 };
    long live0 = core_alloc_live();
    struct core_eventq q;
    core_event_id *ids = calloc(N, sizeof(*ids));
    uint64_t n_cancels = 0;

    assert_non_null(ids);
    assert_int_equal(core_eventq_init(&q, N), CORE_OK);
    for (size_t i = 0; i < N; i++)
        ids[i] = push(&q, (double)(mix(i) % 100000), 0, i);
    for (size_t i = 0; i < N; i++) {
        size_t k = (size_t)(mix(i + N) % (N - i)); /* a random pending one */

        assert_true(core_eventq_cancel(&q, ids[k]));
        ids[k] = ids[N - 1 - i];
        n_cancels++;
    }
    assert_int_equal(core_eventq_live(&q), 0);
    if (q.n_scanned > 4 * n_cancels || q.n_probed > 16 * n_cancels)
        fail_msg("%llu cancels scanned %llu pool slots and probed %llu set slots",
                 (unsigned long long)n_cancels, (unsigned long long)q.n_scanned,
                 (unsigned long long)q.n_probed);
    assert_null(core_eventq_peek(&q));

    for (size_t i = 0; i < N; i++)
        ids[i] = push(&q, 1.0 + (double)(mix(i) % 1000), 0, i);
    for (size_t i = 0; i < N; i++) {
        size_t k = (size_t)(mix(i + 3 * N) % N);

        assert_true(core_eventq_cancel(&q, ids[k]));
        ids[k] = push(&q, 1.0 + (double)(mix(i + 5 * N) % 1000), 0, i);
        n_cancels++;
    }
    assert_int_equal(core_eventq_live(&q), N);
    if (q.n_scanned > 4 * n_cancels || q.n_probed > 16 * n_cancels)
        fail_msg("%llu cancels scanned %llu pool slots and probed %llu set slots",
                 (unsigned long long)n_cancels, (unsigned long long)q.n_scanned,
                 (unsigned long long)q.n_probed);
    core_eventq_fini(&q);
    free(ids);
    assert_int_equal(core_alloc_live(), live0);
}

/* When the set cannot grow, cancel falls back to a scan and a mark, exact. */
static void test_eventq_cancel_without_memory_for_the_set_marks_by_scan(void **unused)
{
    long live0 = core_alloc_live();
    struct core_eventq q;
    struct core_event e;
    core_event_id a, b, c;

    assert_int_equal(core_eventq_init(&q, 4), CORE_OK);
    a = push(&q, 1.0, 0, 1);
    b = push(&q, 2.0, 0, 2);
    c = push(&q, 3.0, 0, 3);
    assert_true(pop(&q, &e));
    push(&q, 4.0, 0, 4); /* a is no longer the taken event */
    core_alloc_fail_after(1); /* the set's first allocation */
    assert_true(core_eventq_cancel(&q, b));
    assert_null(q.set);
    assert_true(q.n_scanned > 0);
    core_alloc_fail_after(1);
    assert_false(core_eventq_cancel(&q, b)); /* marked: found and known */
    core_alloc_fail_after(1);
    assert_false(core_eventq_cancel(&q, a)); /* fired: not found */
    core_alloc_fail_after(0);
    assert_int_equal(core_eventq_live(&q), 2);
    assert_true(core_eventq_cancel(&q, c)); /* memory again: the set */
    assert_non_null(q.set);
    assert_true(pop(&q, &e));
    assert_int_equal(e.data.u64, 4);
    assert_false(pop(&q, &e));
    core_eventq_fini(&q);
    assert_int_equal(core_alloc_live(), live0);
}

static void test_eventq_out_of_memory_leaves_queue_intact(void **unused)
{
    long live0 = core_alloc_live();
    struct core_eventq q;
    struct core_event e;

    core_alloc_fail_after(1);
    assert_int_equal(core_eventq_init(&q, 4), CORE_E_NOMEM);
    core_alloc_fail_after(0);
    assert_int_equal(core_alloc_live(), live0);

    assert_int_equal(core_eventq_init(&q, 2), CORE_OK);
    push(&q, 2.0, 0, 2);
    push(&q, 1.0, 0, 1);
    core_alloc_fail_after(1);
    assert_int_equal(core_eventq_reserve(&q, 100), CORE_E_NOMEM);
    core_alloc_fail_after(1);
    assert_int_equal(push(&q, 3.0, 0, 3), 0);
    core_alloc_fail_after(0);
    assert_int_equal(q.cap, 2);
    assert_int_equal(core_eventq_live(&q), 2);
    assert_int_equal(push(&q, 3.0, 0, 3), 3); /* the failed push used no id */
    assert_int_equal(q.cap, 4);
    assert_int_equal(core_eventq_reserve(&q, 3), CORE_OK);
    assert_int_equal(q.cap, 4);
    for (uint64_t want = 1; want <= 3; want++) {
        assert_true(pop(&q, &e));
        assert_int_equal(e.data.u64, want);
    }
    core_eventq_fini(&q);
    assert_int_equal(core_alloc_live(), live0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eventq_pops_in_key_order_across_spill_and_refill),
        cmocka_unit_test(test_eventq_interleaved_pushes_pops_and_cancels_match_reference),
        cmocka_unit_test(test_eventq_all_events_at_one_time_pop_by_priority_then_insertion),
        cmocka_unit_test(test_eventq_equal_time_pushes_do_not_spill_each_time),
        cmocka_unit_test(test_eventq_vacant_root_takes_next_push_and_full_pool_does_not_grow),
        cmocka_unit_test(test_eventq_cancel_sets_ids_then_compacts_past_a_quarter),
        cmocka_unit_test(test_eventq_cancel_of_the_taken_event_returns_false),
        cmocka_unit_test(test_eventq_cancel_of_a_fired_event_changes_no_event),
        cmocka_unit_test(test_eventq_cancel_is_constant_work_per_call),
        cmocka_unit_test(test_eventq_cancel_without_memory_for_the_set_marks_by_scan),
        cmocka_unit_test(test_eventq_out_of_memory_leaves_queue_intact),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
