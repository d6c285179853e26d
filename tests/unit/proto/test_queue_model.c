/*
 * test_queue_model.c — the validation world: reproducibility, common random
 * numbers, warm-up, stopping and resuming as a draining sink does, periodic
 * sources, theory's closed forms on hand-computed cases, and the knob tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "proto/proto.h"

#define MAX_ROWS 200000

struct run_out {
    size_t n;
    struct proto_request_record rows[MAX_ROWS];
    unsigned drains; /* times the buffer filled and was drained */
};

static struct run_out out_a, out_b;

static void base_config(struct proto_sim_config *sim, struct proto_queue_config *q)
{
    memset(sim, 0, sizeof(*sim));
    memset(q, 0, sizeof(*q));
    sim->duration_s = 2000;
    sim->seed = 7;
    q->server.n_servers = 1;
    q->server.service = PROTO_SERVICE_EXPONENTIAL;
    q->server.mean_service_s = 1.0;
    q->ues.n_ues = 4;
    q->ues.arrival = PROTO_ARRIVAL_POISSON;
    q->ues.rate_hz = 0.15;
}

/* A sink as the run tier's: it keeps rows and asks the engine to stop
 * each time buf_rows of them wait to be drained. */
struct sink {
    struct run_out *out;
    struct core_engine *eng;
    size_t buf_rows, pending;
};

static void on_request(void *ctx, const struct proto_request_record *r)
{
    struct sink *s = ctx;

    assert_true(s->out->n < MAX_ROWS);
    s->out->rows[s->out->n++] = *r;
    if (++s->pending == s->buf_rows)
        core_engine_request_stop(s->eng);
}

/* Run the world, stopping it whenever buf_rows rows wait, as the run
 * driver does to drain them. */
static void run_world(const struct proto_sim_config *sim, const struct proto_queue_config *q,
                      size_t buf_rows, struct run_out *out)
{
    struct core_engine *eng = core_engine_create(0);
    struct sink s = {.out = out, .eng = eng, .buf_rows = buf_rows};
    struct proto_queue_world *w;
    struct core_run_limits lim = {0};
    struct core_err e;
    enum core_stop why;

    assert_non_null(eng);
    w = proto_queue_world_create(sim, q, eng, on_request, &s, &e);
    assert_non_null(w);
    out->n = 0;
    out->drains = 0;
    lim.has_until = true;
    lim.until_s = sim->duration_s;
    do {
        why = core_engine_run(eng, &lim);
        if (why == CORE_STOP_REQUESTED) {
            assert_int_equal(s.pending, buf_rows);
            out->drains++;
        }
        s.pending = 0;
    } while (why == CORE_STOP_REQUESTED);
    assert_int_equal(why, CORE_STOP_TIME);
    assert_true(proto_queue_world_completions(w) <= proto_queue_world_arrivals(w));
    proto_queue_world_destroy(w);
    core_engine_destroy(eng);
}

static void test_queue_world_same_seed_gives_same_rows(void **state)
{
    struct proto_sim_config sim;
    struct proto_queue_config q;

    (void)state;
    base_config(&sim, &q);
    run_world(&sim, &q, 4096, &out_a);
    run_world(&sim, &q, 4096, &out_b);
    assert_true(out_a.n > 1000);
    assert_int_equal(out_a.n, out_b.n);
    assert_memory_equal(out_a.rows, out_b.rows, out_a.n * sizeof(out_a.rows[0]));
}

static void test_queue_world_other_seed_gives_other_rows(void **state)
{
    struct proto_sim_config sim;
    struct proto_queue_config q;

    (void)state;
    base_config(&sim, &q);
    run_world(&sim, &q, 4096, &out_a);
    sim.seed = 8;
    run_world(&sim, &q, 4096, &out_b);
    assert_true(out_a.rows[0].t_arrival_s != out_b.rows[0].t_arrival_s);
}

static void test_queue_world_stopped_every_7_rows_gives_the_same_rows(void **state)
{
    struct proto_sim_config sim;
    struct proto_queue_config q;
    size_t i;

    (void)state;
    base_config(&sim, &q);
    run_world(&sim, &q, 100000, &out_a);
    run_world(&sim, &q, 7, &out_b); /* fills and drains hundreds of times */
    assert_true(out_b.drains > 100);
    assert_int_equal(out_a.n, out_b.n);
    assert_memory_equal(out_a.rows, out_b.rows, out_a.n * sizeof(out_a.rows[0]));
    for (i = 0; i < out_b.n; i++) {
        assert_true(out_b.rows[i].t_start_s >= out_b.rows[i].t_arrival_s);
        assert_true(out_b.rows[i].t_done_s >= out_b.rows[i].t_start_s);
    }
}

static int by_id(const void *a, const void *b)
{
    const struct proto_request_record *x = a, *y = b;

    return (x->request_id > y->request_id) - (x->request_id < y->request_id);
}

static void test_queue_world_arrivals_do_not_depend_on_the_server(void **state)
{
    /* Common random numbers: a second server changes waits, not what the
     * UEs send nor when. */
    struct proto_sim_config sim;
    struct proto_queue_config q;
    size_t i, j, n;

    (void)state;
    base_config(&sim, &q);
    run_world(&sim, &q, 4096, &out_a);
    q.server.n_servers = 2;
    run_world(&sim, &q, 4096, &out_b);
    qsort(out_a.rows, out_a.n, sizeof(out_a.rows[0]), by_id);
    qsort(out_b.rows, out_b.n, sizeof(out_b.rows[0]), by_id);
    /* Merge-join on request_id: near the end of the run a request may have
     * finished in one world and not yet in the other. */
    for (i = 0, j = 0, n = 0; i < out_a.n && j < out_b.n;) {
        const struct proto_request_record *a = &out_a.rows[i], *b = &out_b.rows[j];

        if (a->request_id < b->request_id) {
            i++;
            continue;
        }
        if (b->request_id < a->request_id) {
            j++;
            continue;
        }
        assert_int_equal(a->ue_id, b->ue_id);
        assert_true(a->t_arrival_s == b->t_arrival_s);
        /* the same service time was drawn for the same request */
        assert_near(a->t_done_s - a->t_start_s, b->t_done_s - b->t_start_s, 1e-9);
        i++, j++, n++;
    }
    assert_true(n > 1000);
}

static void test_queue_world_warmup_drops_early_arrivals(void **state)
{
    struct proto_sim_config sim;
    struct proto_queue_config q;
    size_t i, n_late = 0;

    (void)state;
    base_config(&sim, &q);
    run_world(&sim, &q, 4096, &out_a);
    for (i = 0; i < out_a.n; i++)
        n_late += out_a.rows[i].t_arrival_s >= 500.0;
    sim.warmup_s = 500;
    run_world(&sim, &q, 4096, &out_b);
    assert_int_equal(out_b.n, n_late);
    for (i = 0; i < out_b.n; i++)
        assert_true(out_b.rows[i].t_arrival_s >= 500.0);
}

static void test_queue_world_periodic_deterministic_never_waits(void **state)
{
    /* One periodic UE at 1 Hz, deterministic service 0.5 s: no request ever
     * waits, each sojourn is exactly 0.5 s and arrivals are 1 s apart. */
    struct proto_sim_config sim;
    struct proto_queue_config q;
    size_t i;

    (void)state;
    base_config(&sim, &q);
    q.ues.n_ues = 1;
    q.ues.arrival = PROTO_ARRIVAL_PERIODIC;
    q.ues.rate_hz = 1.0;
    q.server.service = PROTO_SERVICE_DETERMINISTIC;
    q.server.mean_service_s = 0.5;
    run_world(&sim, &q, 4096, &out_a);
    assert_true(out_a.n >= 1998 && out_a.n <= 2000);
    for (i = 0; i < out_a.n; i++) {
        assert_near(out_a.rows[i].t_start_s, out_a.rows[i].t_arrival_s, 0);
        assert_near(out_a.rows[i].t_done_s - out_a.rows[i].t_arrival_s, 0.5, 1e-9);
        if (i > 0)
            assert_near(out_a.rows[i].t_arrival_s - out_a.rows[i - 1].t_arrival_s,
                                1.0, 1e-9);
    }
}

static void test_queue_world_create_fails_cleanly_without_memory(void **state)
{
    struct proto_sim_config sim;
    struct proto_queue_config q;
    long live = core_alloc_live();
    unsigned long k;

    (void)state;
    base_config(&sim, &q);
    for (k = 1; k <= 20; k++) {
        struct core_engine *eng = core_engine_create(0);
        struct sink s = {.out = &out_a, .eng = eng, .buf_rows = 16};
        struct proto_queue_world *w;
        struct core_err e;

        assert_non_null(eng);
        core_err_clear(&e);
        core_alloc_fail_after(k);
        w = proto_queue_world_create(&sim, &q, eng, on_request, &s, &e);
        core_alloc_fail_after(0);
        if (!w)
            assert_int_equal(e.rc, CORE_E_NOMEM);
        proto_queue_world_destroy(w);
        core_engine_destroy(eng);
        assert_int_equal(core_alloc_live(), live);
    }
}

static void test_queue_theory_known_answers(void **state)
{
    struct proto_queue_config q;
    struct proto_sim_config sim;

    (void)state;
    base_config(&sim, &q);
    q.ues.n_ues = 1;
    q.ues.rate_hz = 0.8; /* M/M/1, mu = 1: W = 1/(1 - 0.8) = 5 */
    assert_near(proto_queue_theory_sojourn_s(&q), 5.0, 1e-12);
    q.server.service = PROTO_SERVICE_DETERMINISTIC; /* M/D/1: 0.8/(2*0.2) + 1 = 3 */
    assert_near(proto_queue_theory_sojourn_s(&q), 3.0, 1e-12);
    q.server.service = PROTO_SERVICE_EXPONENTIAL; /* M/M/2, a = 1.5: C = 4.5/7 */
    q.server.n_servers = 2;
    q.ues.rate_hz = 1.5;
    assert_near(proto_queue_theory_sojourn_s(&q), (4.5 / 7.0) / 0.5 + 1.0, 1e-12);
    assert_near(proto_queue_rho(&q), 0.75, 1e-12);
    q.ues.rate_hz = 2.0; /* rho = 1: unstable */
    assert_true(isnan(proto_queue_theory_sojourn_s(&q)));
    q.ues.rate_hz = 1.0;
    q.server.service = PROTO_SERVICE_DETERMINISTIC; /* M/D/2: no closed form */
    assert_true(isnan(proto_queue_theory_sojourn_s(&q)));
}

static void test_queue_knob_defaults_apply(void **state)
{
    struct proto_sim_config sim;
    struct proto_queue_config q;
    struct core_err e;

    (void)state;
    memset(&sim, 0xff, sizeof(sim));
    memset(&q, 0, sizeof(q));
    assert_int_equal(core_knobs_defaults(&proto_sim_knobs, &sim, &e), CORE_OK);
    assert_int_equal(sim.seed, 1);
    assert_near(sim.warmup_s, 0.0, 0);
    assert_int_equal(core_knobs_defaults(&proto_queue_server_knobs, &q.server, &e), CORE_OK);
    assert_int_equal(q.server.n_servers, 1);
    assert_int_equal(q.server.service, PROTO_SERVICE_EXPONENTIAL);
    assert_int_equal(core_knobs_defaults(&proto_queue_ues_knobs, &q.ues, &e), CORE_OK);
    assert_int_equal(q.ues.n_ues, 1);
    assert_int_equal(q.ues.arrival, PROTO_ARRIVAL_POISSON);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_world_same_seed_gives_same_rows),
        cmocka_unit_test(test_queue_world_other_seed_gives_other_rows),
        cmocka_unit_test(test_queue_world_stopped_every_7_rows_gives_the_same_rows),
        cmocka_unit_test(test_queue_world_arrivals_do_not_depend_on_the_server),
        cmocka_unit_test(test_queue_world_warmup_drops_early_arrivals),
        cmocka_unit_test(test_queue_world_periodic_deterministic_never_waits),
        cmocka_unit_test(test_queue_world_create_fails_cleanly_without_memory),
        cmocka_unit_test(test_queue_theory_known_answers),
        cmocka_unit_test(test_queue_knob_defaults_apply),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
