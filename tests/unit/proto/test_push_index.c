/*
 * test_push_index.c — the push index and the UEs' re-planning lists
 * (sim/proto/push_index.c), white-box: after every event of moving worlds
 * over 7 cells (handovers that restart inferences, or let them finish at
 * the old cell), the index holds exactly what a brute-force walk over the
 * whole inference pool finds (proto_push_index_consistent), and the worlds
 * did exercise it: inferences in both lists, UEs with groups in two cells
 * at once, handovers, pushes and state requests.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "collabutil.h"
#include "proto/proto_int.h"

/* What a world showed while it ran. */
struct seen {
    uint64_t events;        /* events run */
    uint64_t ready_max;     /* most inferences ready for a push at once */
    uint64_t held_max;      /* most a2 held at once */
    uint64_t replan_max;    /* most in re-planning lists at once */
    bool two_cells;         /* some UE had groups in two cells at once */
};

static void look(const struct proto_collab_world *w, struct seen *s)
{
    uint64_t ready = 0, held = 0, replan = 0;

    for (size_t c = 0; c < w->n_cells; c++)
        for (uint32_t gi = w->nets[c].first_grp; gi != UINT32_MAX;
             gi = w->grps[gi].next_in_cell) {
            ready += w->grps[gi].n[PROTO_PUSH_READY];
            held += w->grps[gi].n[PROTO_PUSH_HELD];
        }
    for (size_t u = 0; u < w->n_ues; u++) {
        uint32_t g = w->ues[u].first_grp;

        if (g != UINT32_MAX && w->grps[g].next_of_ue != UINT32_MAX)
            s->two_cells = true;
        for (uint32_t r = w->ues[u].first_replan; r != UINT32_MAX; r = w->infs[r]->rp_next)
            replan++;
    }
    s->ready_max = ready > s->ready_max ? ready : s->ready_max;
    s->held_max = held > s->held_max ? held : s->held_max;
    s->replan_max = replan > s->replan_max ? replan : s->replan_max;
}

/* Run the moving world (seed, handover mode) for end_s one event at a time,
 * checking the index after each. */
static void run_checked(uint64_t seed, int mode, double end_s, struct seen *s,
                        struct proto_collab_stats *st, struct radio_world_stats *rs)
{
    struct tu_moving m = {0};
    uint32_t split = 2;

    memset(s, 0, sizeof(*s));
    tu_moving_setup(&m, seed, 24, 6.0, end_s, mode, 1.0);
    m.t.c.protocol.push_period_s = 0.01; /* pushes often, to busy UEs */
    m.t.c.protocol.push_gap_s = 0.005;
    m.t.edge_inst[0].background_load = 0.6;
    /* fast UEs and big signalling: handovers catch inferences in flight */
    m.g.speed_min_mps = 100.0;
    m.g.speed_max_mps = 150.0;
    m.t.c.protocol.request_layer_bytes = 4e3;
    m.t.c.protocol.reply_bytes = 20e3;
    m.t.c.protocol.decision_layer_bytes = 8e3;
    tu_moving_create(&m, tu_decider(&m.d, random_split, &split));
    for (;;) {
        struct core_run_limits lim = {.until_s = end_s, .has_until = true, .max_events = 1};
        enum core_stop why = core_engine_run(m.eng, &lim);

        if (why == CORE_STOP_TIME || why == CORE_STOP_EMPTY)
            break;
        if (why == CORE_STOP_FAILED)
            print_error("the run failed: %s\n", core_engine_error(m.eng)->msg);
        assert_true(why == CORE_STOP_COUNT || why == CORE_STOP_REQUESTED);
        s->events++;
        if (!proto_push_index_consistent(m.w))
            fail_msg("the index differs from a walk over the pool after event %llu (t = %.9f s)",
                     (unsigned long long)s->events, core_engine_now(m.eng));
        look(m.w, s);
    }
    proto_collab_world_stats(m.w, st);
    radio_world_stats(m.radio, rs);
    printf("mode %s: %llu events, %llu handovers, %llu replanned, %llu pushes, %llu state "
           "requests; at most %llu ready, %llu held, %llu re-planning; two cells: %s\n",
           mode == PROTO_HO_REPLAN ? "replan" : "complete", (unsigned long long)s->events,
           (unsigned long long)rs->handovers, (unsigned long long)st->replanned,
           (unsigned long long)st->state_pushes, (unsigned long long)st->state_requests,
           (unsigned long long)s->ready_max, (unsigned long long)s->held_max,
           (unsigned long long)s->replan_max, s->two_cells ? "yes" : "no");
    tu_moving_end(&m);
}

static void test_push_index_matches_a_walk_over_the_pool_under_replanning_handovers(void **state)
{
    struct seen s;
    struct proto_collab_stats st;
    struct radio_world_stats rs;

    (void)state;
    run_checked(21, PROTO_HO_REPLAN, 20.0, &s, &st, &rs);
    assert_true(rs.handovers > 0);
    assert_true(st.replanned > 0); /* inferences restarted at a new cell */
    assert_true(st.state_pushes > 0);
    assert_true(s.ready_max > 0);
    assert_true(s.held_max > 0);
    assert_true(s.replan_max > 1);
}

static void test_push_index_matches_a_walk_over_the_pool_when_inferences_finish_at_the_old_cell(
    void **state)
{
    struct seen s;
    struct proto_collab_stats st;
    struct radio_world_stats rs;

    (void)state;
    run_checked(22, PROTO_HO_COMPLETE, 20.0, &s, &st, &rs);
    assert_true(rs.handovers > 0);
    assert_int_equal(st.replanned, 0);
    assert_true(s.two_cells); /* a UE's old and new cells both had its inferences */
    assert_true(s.ready_max > 0);
    assert_true(s.held_max > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_index_matches_a_walk_over_the_pool_under_replanning_handovers),
        cmocka_unit_test(
            test_push_index_matches_a_walk_over_the_pool_when_inferences_finish_at_the_old_cell),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
