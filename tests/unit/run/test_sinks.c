/*
 * test_sinks.c — the run's record sinks (sinks.c), white-box: rows past the
 * high-water mark are kept (the buffer grows) and the engine is asked to
 * stop so that the driver drains them; a drain hands every row, in order,
 * to the observer and counts it; a buffer that cannot grow fails the engine
 * with CORE_E_NOMEM instead of dropping a row or asserting; a drain into a
 * database that refuses the batch returns its error; with a policy that
 * observes (a fake row of the policy table, here only), each outcome reaches
 * the solver of its (device class, model) at once, before it is buffered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "db/db.h"
#include "policy/policy_int.h"
#include "run/run_int.h"

struct seen {
    uint64_t n;       /* outcomes handed over */
    uint64_t next_id; /* the inference_id expected next */
    bool in_order;    /* every one was the next */
    size_t calls;     /* drains that handed some over */
};

static void observe(void *ctx, const struct proto_outcome *rows, size_t n)
{
    struct seen *s = ctx;

    for (size_t i = 0; i < n; i++) {
        s->in_order = s->in_order && rows[i].inference_id == s->next_id;
        s->next_id++;
    }
    s->n += n;
    s->calls++;
}

static void outcome(struct run_sinks *s, uint64_t id)
{
    struct proto_outcome o;

    memset(&o, 0, sizeof(o));
    o.inference_id = id;
    o.correct = -1;
    run_sinks_outcome(s, &o);
}

static void test_sinks_keep_rows_past_the_high_water_and_ask_for_a_drain(void **state)
{
    struct core_engine *eng = core_engine_create(0);
    struct run_result res = {0};
    struct seen seen = {.in_order = true};
    struct run_sinks s = {.eng = eng, .res = &res};
    struct core_err e = {0};
    long live = core_alloc_live();

    (void)state;
    s.observer.outcomes = observe;
    s.observer.ctx = &seen;
    /* 3 rows: below the mark, the engine is not asked to stop */
    for (uint64_t i = 0; i < 3; i++)
        outcome(&s, i);
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_EMPTY);
    /* 20000 rows (five times the mark) in one go, as one handler could */
    for (uint64_t i = 3; i < 20003; i++)
        outcome(&s, i);
    assert_int_equal(s.n_outcomes, 20003);
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_REQUESTED);
    assert_int_equal(run_sinks_drain(&s, &e), CORE_OK);
    assert_int_equal(seen.n, 20003);
    assert_true(seen.in_order);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(res.n_rows, 20003);
    assert_int_equal(s.n_outcomes, 0);
    /* an empty drain hands nothing over */
    assert_int_equal(run_sinks_drain(&s, &e), CORE_OK);
    assert_int_equal(seen.calls, 1);
    run_sinks_fini(&s);
    assert_int_equal(core_alloc_live(), live);
    core_engine_destroy(eng);
}

static void test_sinks_a_buffer_that_cannot_grow_fails_the_engine(void **state)
{
    struct core_engine *eng = core_engine_create(0);
    struct run_result res = {0};
    struct run_sinks s = {.eng = eng, .res = &res};
    struct proto_message_record m = {.type = PROTO_MSG_REQUEST, .bytes = 64, .uplink = true};

    (void)state;
    core_alloc_fail_after(1); /* one failure per call: one per buffer */
    run_sinks_message(&s, &m);
    core_alloc_fail_after(1);
    outcome(&s, 0);
    core_alloc_fail_after(0);
    assert_int_equal(s.n_messages, 0);
    assert_int_equal(s.n_outcomes, 0);
    assert_true(s.nomem);
    assert_int_equal(core_engine_run(eng, NULL), CORE_STOP_FAILED);
    assert_int_equal(core_engine_error(eng)->rc, CORE_E_NOMEM);
    assert_non_null(strstr(core_engine_error(eng)->msg, "buffering the run's records"));
    run_sinks_fini(&s);
    core_engine_destroy(eng);
}

static void test_sinks_a_refused_batch_is_the_drain_error(void **state)
{
    struct testutil_dir *d = testutil_dir_create("sinks", "s.db");
    struct core_engine *eng = core_engine_create(0);
    struct run_result res = {0};
    struct run_sinks s = {.eng = eng, .res = &res};
    static const char *const names[] = {"m"};
    struct core_err e = {0};

    (void)state;
    assert_non_null(d);
    s.db = db_open(d->path, &e);
    assert_non_null(s.db);
    s.run_id = 99; /* no such run: the inferences' foreign key refuses the batch */
    s.model_names = names; /* not owned here: cleared before fini */
    outcome(&s, 0);
    assert_int_equal(run_sinks_drain(&s, &e), CORE_E_DB);
    assert_int_equal(res.n_rows, 0);
    s.model_names = NULL;
    db_close(s.db);
    run_sinks_fini(&s);
    core_engine_destroy(eng);
    testutil_dir_destroy(d);
}

/* A fake learning policy: what it heard, from which solver, and how many
 * rows the sinks held then. */
static struct {
    const struct run_sinks *sinks;    /* the sinks under test */
    const struct policy_solver *from; /* the solver that heard */
    struct policy_feedback fb;        /* what it heard (pointers as given) */
    size_t buffered;                  /* the sinks' outcomes at that moment */
    int calls;
} heard;

static void fake_observe(struct policy_solver *s, const struct policy_feedback *fb)
{
    heard.from = s;
    heard.fb = *fb;
    heard.buffered = heard.sinks->n_outcomes;
    heard.calls++;
}

static void test_sinks_hand_each_outcome_to_an_observing_policy_first(void **state)
{
    static const struct policy_ops listening = {.name = "fake", .observe = fake_observe};
    struct policy_solver solvers[4] = {{.ops = &listening}, {.ops = &listening},
                                       {.ops = &listening}, {.ops = &listening}};
    struct policy_solver *by_problem[4] = {&solvers[0], &solvers[1], &solvers[2], &solvers[3]};
    struct run_decider d = {.solver = by_problem, .n_problems = 4, .n_models = 2, .observes = true};
    struct core_engine *eng = core_engine_create(0);
    struct run_result res = {0};
    struct run_sinks s = {.eng = eng, .res = &res, .decider = &d};
    struct compute_problem problem;
    struct proto_outcome o;

    (void)state;
    memset(&heard, 0, sizeof(heard));
    heard.sinks = &s;
    memset(&o, 0, sizeof(o));
    o.device = 1; /* problem 1 x 2 + 0 */
    o.model = 0;
    o.problem = &problem;
    o.latency_s = 0.125;
    o.ue_energy_j = 0.5;
    o.edge_energy_j = 2.0;
    o.correct = 1;
    run_sinks_outcome_observed(&s, &o);
    assert_int_equal(heard.calls, 1);
    assert_ptr_equal(heard.from, &solvers[2]);
    assert_int_equal(heard.buffered, 0);
    assert_int_equal(s.n_outcomes, 1);
    assert_ptr_equal(heard.fb.problem, &problem);
    assert_ptr_equal(heard.fb.state, &o.state);
    assert_ptr_equal(heard.fb.plan, &o.plan);
    assert_near(heard.fb.latency_s, 0.125, 0);
    assert_near(heard.fb.ue_energy_j, 0.5, 0);
    assert_near(heard.fb.edge_energy_j, 2.0, 0);
    assert_int_equal(heard.fb.correct, 1);
    o.device = 0;
    o.model = 1;
    o.correct = -1;
    run_sinks_outcome_observed(&s, &o);
    assert_int_equal(heard.calls, 2);
    assert_ptr_equal(heard.from, &solvers[1]);
    assert_int_equal(heard.fb.correct, -1);
    assert_int_equal(heard.buffered, 1);
    /* the plain sink, what a run whose policy does not observe gets: nothing heard */
    run_sinks_outcome(&s, &o);
    assert_int_equal(heard.calls, 2);
    assert_int_equal(s.n_outcomes, 3);
    run_sinks_fini(&s);
    core_engine_destroy(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_sinks_keep_rows_past_the_high_water_and_ask_for_a_drain),
        TEST(test_sinks_a_buffer_that_cannot_grow_fails_the_engine),
        TEST(test_sinks_a_refused_batch_is_the_drain_error),
        TEST(test_sinks_hand_each_outcome_to_an_observing_policy_first),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
