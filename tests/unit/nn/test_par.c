/*
 * test_par.c — the forward pass's worker thread (sim/nn/par.c): a loop
 * shared with it visits every item exactly once whatever the grain, both
 * threads take part in a long loop, a NULL worker or a single chunk runs
 * the loop in one call on the caller, back-to-back loops (the worker
 * polling or asleep) stay exact, and destroying the worker leaks nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "nn/nn_int.h"

#define PAR_ITEMS 100000

/* What one loop saw. */
struct visits {
    unsigned char seen[PAR_ITEMS]; /* times item i was run */
    size_t calls;                  /* fn calls on the caller (who 0) */
    size_t worker_items;           /* items run by the worker (who 1) */
    int bad_who;                   /* calls with who outside {0, 1} */
};

static struct visits v;

/* Mark [lo, hi); a little work per item so the worker gets a share. */
static void visit(void *arg, size_t lo, size_t hi, int who)
{
    struct visits *s = arg;
    size_t i;

    for (i = lo; i < hi; i++)
        s->seen[i]++;
    if (who == 0)
        s->calls++;
    else if (who == 1)
        s->worker_items += hi - lo;
    else
        s->bad_who++;
}

/* Every item of 0 .. n seen exactly once, none past n. */
static void expect_each_once(size_t n)
{
    size_t i, wrong = 0;

    for (i = 0; i < PAR_ITEMS; i++)
        wrong += v.seen[i] != (i < n ? 1 : 0);
    if (wrong != 0)
        print_error("%zu of %d items seen a wrong number of times (n = %zu)\n", wrong, PAR_ITEMS,
                    n);
    assert_int_equal(wrong, 0);
    assert_int_equal(v.bad_who, 0);
}

static void test_loops_visit_every_item_once_for_any_grain(void **state)
{
    static const size_t sizes[] = {0, 1, 2, 3, 17, 1000, 65535, PAR_ITEMS};
    static const size_t grains[] = {0, 1, 3, 64, 1000, PAR_ITEMS};
    struct nn_par *p = nn_par_create();
    size_t a, b;

    assert_non_null(p);
    for (a = 0; a < ARRAY_LEN(sizes); a++) {
        for (b = 0; b < ARRAY_LEN(grains); b++) {
            memset(&v, 0, sizeof(v));
            nn_par_for(p, sizes[a], grains[b], visit, &v);
            expect_each_once(sizes[a]);
        }
    }
    nn_par_destroy(p);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_worker_takes_part_in_a_long_loop(void **state)
{
    struct nn_par *p = nn_par_create();
    size_t rep, worker_items = 0;

    assert_non_null(p);
    /* The worker may be slow to start: over many loops it must run some. */
    for (rep = 0; rep < 2000 && worker_items == 0; rep++) {
        memset(&v, 0, sizeof(v));
        nn_par_for(p, PAR_ITEMS, 1, visit, &v);
        expect_each_once(PAR_ITEMS);
        worker_items += v.worker_items;
    }
    print_message("worker ran %zu items by loop %zu\n", worker_items, rep);
    assert_true(worker_items > 0);
    nn_par_destroy(p);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_no_worker_or_one_chunk_is_one_call_on_the_caller(void **state)
{
    struct nn_par *p = nn_par_create();

    memset(&v, 0, sizeof(v));
    nn_par_for(NULL, PAR_ITEMS, 1, visit, &v);
    expect_each_once(PAR_ITEMS);
    assert_int_equal(v.calls, 1);
    assert_int_equal(v.worker_items, 0);
    memset(&v, 0, sizeof(v));
    nn_par_for(p, 500, 500, visit, &v);
    expect_each_once(500);
    assert_int_equal(v.calls, 1);
    assert_int_equal(v.worker_items, 0);
    nn_par_destroy(p);
    nn_par_destroy(NULL);
    assert_int_equal(core_alloc_live(), 0);
}

static void test_loops_after_the_worker_sleeps_stay_exact(void **state)
{
    const struct timespec pause = {0, 5000000}; /* 5 ms: past the worker's poll */
    struct nn_par *p = nn_par_create();
    int rep;

    assert_non_null(p);
    for (rep = 0; rep < 20; rep++) {
        memset(&v, 0, sizeof(v));
        nn_par_for(p, PAR_ITEMS, 100, visit, &v);
        expect_each_once(PAR_ITEMS);
        if (rep % 4 == 0)
            nanosleep(&pause, NULL);
    }
    nn_par_destroy(p);
    assert_int_equal(core_alloc_live(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loops_visit_every_item_once_for_any_grain),
        cmocka_unit_test(test_worker_takes_part_in_a_long_loop),
        cmocka_unit_test(test_no_worker_or_one_chunk_is_one_call_on_the_caller),
        cmocka_unit_test(test_loops_after_the_worker_sleeps_stay_exact),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
