/*
 * test_server.c — the FIFO multi-unit compute server against schedules
 * computed by hand: start and completion times, FIFO order across queue
 * growth and ring wrap-around, the time integrals, and out-of-memory paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "compute/compute.h"

#define MAX_JOBS 512

struct trace {
    size_t n;
    uint64_t id[MAX_JOBS];
    double start_s[MAX_JOBS];
    double done_s[MAX_JOBS];
};

struct feeder {
    struct compute_server *server;
    const double *service_s; /* per job id */
};

static void on_done(void *ctx, const struct compute_job *job, double t_done_s,
                    struct core_engine *eng)
{
    struct trace *t = ctx;

    (void)eng;
    t->id[t->n] = job->id;
    t->start_s[t->n] = job->t_start_s;
    t->done_s[t->n] = t_done_s;
    t->n++;
}

/* A feeder entity: event payload = job id; submits it with its service time. */
static void feed(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct feeder *f = state;
    struct compute_job job = {0};

    job.id = ev->data.u64;
    job.t_arrival_s = ev->time_s;
    job.service_s = f->service_s[job.id];
    assert_int_equal(compute_server_submit(f->server, eng, &job), CORE_OK);
}

static const core_handler_fn feeder_handlers[] = {feed};
static const struct core_entity_type feeder_type = {"feeder", feeder_handlers, 1};

/* Run jobs arriving at arrival_s[i] with service_s[i] on n_units units. */
static void run_jobs(uint32_t n_units, size_t queue_cap, const double *arrival_s,
                     const double *service_s, size_t n, struct trace *t,
                     double *jobs_area, double *busy_area, double at_s)
{
    struct core_engine *eng = core_engine_create(0);
    struct feeder f = {0};
    uint32_t ent;
    size_t i;
    struct core_run_limits lim = {0};

    assert_non_null(eng);
    memset(t, 0, sizeof(*t));
    f.service_s = service_s;
    f.server = compute_server_create(eng, n_units, queue_cap, on_done, t);
    assert_non_null(f.server);
    ent = core_engine_add_entity(eng, core_engine_register_type(eng, &feeder_type), &f);
    for (i = 0; i < n; i++) {
        union core_payload p = {.u64 = i};

        assert_true(core_schedule_at(eng, arrival_s[i], ent, 0, 0, p) != 0);
    }
    lim.has_until = true;
    lim.until_s = at_s;
    core_engine_run(eng, &lim);
    *jobs_area = compute_server_jobs_area(f.server, at_s);
    *busy_area = compute_server_busy_area(f.server, at_s);
    compute_server_destroy(f.server);
    core_engine_destroy(eng);
}

static void test_server_one_unit_matches_hand_schedule(void **state)
{
    /* Jobs: t=0 s=2, t=1 s=2, t=5 s=1. Starts 0, 2, 5; ends 2, 4, 6.
     * Jobs in system: [0,1) 1, [1,2) 2, [2,4) 1, [4,5) 0, [5,6) 1 -> area 6.
     * Busy: [0,4) 1, [5,6) 1 -> area 5. */
    static const double arr[] = {0, 1, 5}, svc[] = {2, 2, 1};
    static const double want_start[] = {0, 2, 5}, want_done[] = {2, 4, 6};
    struct trace t;
    double jobs, busy;
    long live = core_alloc_live();
    size_t i;

    (void)state;
    run_jobs(1, 16, arr, svc, 3, &t, &jobs, &busy, 10);
    assert_int_equal(t.n, 3);
    for (i = 0; i < 3; i++) {
        assert_int_equal(t.id[i], i);
        assert_near(t.start_s[i], want_start[i], 1e-12);
        assert_near(t.done_s[i], want_done[i], 1e-12);
    }
    assert_near(jobs, 6.0, 1e-12);
    assert_near(busy, 5.0, 1e-12);
    assert_int_equal(core_alloc_live(), live);
}

static void test_server_two_units_serve_in_parallel_fifo(void **state)
{
    /* 2 units; jobs at t=0 with services 3, 1, 1, 1 (ids 0..3).
     * unit A: job0 [0,3); unit B: job1 [0,1), job2 [1,2), job3 [2,3).
     * Completions in time order: job1@1, job2@2, then job0@3 and job3@3
     * (job0 was scheduled first, so it pops first on the tie). */
    static const double arr[] = {0, 0, 0, 0}, svc[] = {3, 1, 1, 1};
    static const uint64_t want_id[] = {1, 2, 0, 3};
    static const double want_done[] = {1, 2, 3, 3};
    struct trace t;
    double jobs, busy;
    size_t i;

    (void)state;
    run_jobs(2, 16, arr, svc, 4, &t, &jobs, &busy, 3);
    assert_int_equal(t.n, 4);
    for (i = 0; i < 4; i++) {
        assert_int_equal(t.id[i], want_id[i]);
        assert_near(t.done_s[i], want_done[i], 1e-12);
    }
    assert_near(t.start_s[2], 0.0, 1e-12); /* job0 */
    assert_near(t.start_s[3], 2.0, 1e-12); /* job3 */
    assert_near(busy, 6.0, 1e-12);         /* total work */
    /* in system: [0,1) 4, [1,2) 3, [2,3) 2 -> 9 */
    assert_near(jobs, 9.0, 1e-12);
}

static void test_server_queue_grows_and_keeps_fifo_order(void **state)
{
    /* 300 jobs at once into a queue of initial capacity 16 (grows 5 times),
     * interleaved with wrap-around: every job has service 1. */
    static double arr[300], svc[300];
    struct trace t;
    double jobs, busy;
    size_t i;

    (void)state;
    for (i = 0; i < 300; i++) {
        arr[i] = (double)(i % 7) * 0.25; /* ties and a few distinct times */
        svc[i] = 1.0;
    }
    run_jobs(1, 16, arr, svc, 300, &t, &jobs, &busy, 1e6);
    assert_int_equal(t.n, 300);
    for (i = 1; i < 300; i++) {
        /* FIFO: start times increase by exactly one service each */
        assert_near(t.start_s[i] - t.start_s[i - 1], 1.0, 1e-9);
        assert_true(arr[t.id[i]] >= arr[t.id[i - 1]]);
    }
    assert_near(busy, 300.0, 1e-9);
}

static void on_done_nothing(void *ctx, const struct compute_job *job, double t_done_s,
                            struct core_engine *eng)
{
    (void)ctx, (void)job, (void)t_done_s, (void)eng;
}

static void test_server_create_fails_cleanly_without_memory(void **state)
{
    long live = core_alloc_live();
    unsigned long k;

    (void)state;
    for (k = 1; k <= 8; k++) {
        struct core_engine *eng = core_engine_create(0);
        struct compute_server *s;

        assert_non_null(eng);
        core_alloc_fail_after(k);
        s = compute_server_create(eng, 4, 16, on_done_nothing, NULL);
        core_alloc_fail_after(0);
        compute_server_destroy(s);
        core_engine_destroy(eng);
        assert_int_equal(core_alloc_live(), live);
    }
}

static void test_server_submit_reports_nomem_when_queue_cannot_grow(void **state)
{
    struct core_engine *eng = core_engine_create(0);
    struct compute_server *s = compute_server_create(eng, 1, 16, on_done_nothing, NULL);
    struct compute_job job = {.service_s = 1.0};
    size_t i;

    (void)state;
    assert_non_null(s);
    for (i = 0; i < 17; i++) /* one in service, 16 queued: full */
        assert_int_equal(compute_server_submit(s, eng, &job), CORE_OK);
    assert_int_equal(compute_server_queued(s), 16);
    core_alloc_fail_after(1);
    assert_int_equal(compute_server_submit(s, eng, &job), CORE_E_NOMEM);
    core_alloc_fail_after(0);
    assert_int_equal(compute_server_queued(s), 16);
    assert_int_equal(compute_server_busy(s), 1);
    compute_server_destroy(s);
    core_engine_destroy(eng);
}

/* Wide jobs: a 4-unit server; A takes 3 units for 1 s, B 2 units, C 1 unit,
 * all at t = 0. B does not fit beside A and waits; C would fit but is behind
 * B (strict FIFO), so both start when A ends. The backlog seen at t = 0 is
 * (A's 3 x 1 + B's 2 x 1 + C's 1 x 1) / 4 = 1.5 s. */
static void test_server_wide_jobs_wait_in_fifo_order_and_backlog_counts_units(void **state)
{
    struct core_engine *eng = core_engine_create(0);
    struct trace t = {0};
    struct compute_server *s;
    struct compute_job job = {.service_s = 1.0};
    struct core_run_limits lim = {0};
    const uint32_t units[3] = {3, 2, 1};

    (void)state;
    assert_non_null(eng);
    s = compute_server_create(eng, 4, 16, on_done, &t);
    assert_non_null(s);
    assert_int_equal(compute_server_units(s), 4);
    for (uint64_t i = 0; i < 3; i++) {
        job.id = i;
        job.units = units[i];
        assert_int_equal(compute_server_submit(s, eng, &job), CORE_OK);
    }
    assert_int_equal(compute_server_busy(s), 3);
    assert_int_equal(compute_server_queued(s), 2);
    assert_near(compute_server_backlog_s(s, 0.0), 1.5, 1e-12);
    assert_near(compute_server_backlog_s(s, 0.5), 1.125, 1e-12); /* (1.5 + 3) / 4 */
    lim.has_until = true;
    lim.until_s = 10.0;
    core_engine_run(eng, &lim);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.id[0], 0);
    assert_near(t.done_s[0], 1.0, 1e-12);
    assert_near(t.start_s[1], 1.0, 1e-12); /* B after A */
    assert_near(t.start_s[2], 1.0, 1e-12); /* C behind B, not beside A */
    assert_near(t.done_s[1], 2.0, 1e-12);
    assert_near(t.done_s[2], 2.0, 1e-12);
    assert_near(compute_server_backlog_s(s, 10.0), 0.0, 0.0);
    assert_near(compute_server_busy_area(s, 2.0), 3.0 + 3.0, 1e-12);
    compute_server_destroy(s);
    core_engine_destroy(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_one_unit_matches_hand_schedule),
        cmocka_unit_test(test_server_two_units_serve_in_parallel_fifo),
        cmocka_unit_test(test_server_queue_grows_and_keeps_fifo_order),
        cmocka_unit_test(test_server_create_fails_cleanly_without_memory),
        cmocka_unit_test(test_server_submit_reports_nomem_when_queue_cannot_grow),
        cmocka_unit_test(test_server_wide_jobs_wait_in_fifo_order_and_backlog_counts_units),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
