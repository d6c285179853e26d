/*
 * test_collab_world.c — the collaborative world's protocol behaviour, one
 * rule per test: the network's override a3 (remapping the edge part, or
 * withdrawing it so the UE computes everything), declining a request, the
 * traced messages of one inference, determinism under a seed, state pushes
 * and re-decisions, handover re-planning, state requests on channel
 * changes, configuration and out-of-memory errors of
 * proto_collab_world_create, and wide UE jobs on a shared multi-core
 * instance.
 *
 * Worlds are built by hand (tests/collabutil.h): a 5-layer chain, static
 * UEs in one cell without shadowing or fading (or moving UEs over 7 cells
 * for handovers), and decision makers written here so that each test knows
 * which plan every inference runs. Busy edge instances come from the
 * world's own earlier inferences on deliberately slow edge options, so the
 * waits the network sees are deterministic.
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

/* A slow edge option: 4 s per layer, so one inference holds its instance
 * for seconds while the next ones arrive every second. */
#define SLOW_LAYER_S 4.0

/* ---- problems and sides ---------------------------------------------------- */

/* ---- decision makers -------------------------------------------------------- */

/* A scripted decision maker: call i (0, 1, ...) returns step min(i, n - 1):
 * the first split[step] layers on the UE, on UE option ue_option[step],
 * the rest on edge option edge_option[step]; everything on the UE when the
 * network declined. */
#define SCRIPT_MAX 8
struct script {
    size_t n_steps;                 /* steps, >= 1 */
    uint32_t split[SCRIPT_MAX];     /* layers on the UE */
    uint8_t ue_option[SCRIPT_MAX];  /* the UE layers' option */
    uint8_t edge_option[SCRIPT_MAX]; /* the edge layers' option */
    uint32_t calls;                 /* calls so far */
    uint32_t declined_calls;        /* calls with edge_available false */
};

static enum core_rc scripted(void *ctx, const struct compute_problem *p,
                             const struct compute_state *s, struct core_rng *rng,
                             struct compute_plan *out, struct core_err *e)
{
    struct script *sc = ctx;
    size_t step = sc->calls < sc->n_steps ? sc->calls : sc->n_steps - 1;

    (void)rng, (void)e;
    sc->calls++;
    memset(out, 0, sizeof(*out));
    out->n_layers = (uint32_t)p->n_layers;
    out->n_ue = s->edge_available ? sc->split[step] : (uint32_t)p->n_layers;
    if (!s->edge_available)
        sc->declined_calls++;
    for (uint32_t i = 0; i < out->n_layers; i++) {
        out->order[i] = (uint16_t)i;
        out->option[i] = i < out->n_ue ? sc->ue_option[step] : sc->edge_option[step];
    }
    return CORE_OK;
}

/* ---- worlds ---------------------------------------------------------------------- */

/* One world under test and everything it stands on. */
struct fixture {
    struct compute_problem p;       /* the problem of device 0, model 0 */
    struct tu_world t;              /* the configuration */
    struct radio_ue_group_config g; /* the radio group */
    double x[8], y[8];              /* static UEs' positions, m */
    struct core_engine *eng;        /* owned */
    struct radio_world *radio;      /* owned */
    struct tu_records rec;          /* the world's records */
    struct tu_decider d;            /* its decider */
    struct proto_collab_world *w;   /* the world under test */
};

/* Build the world of f->t (problem f->p) with n_ues static UEs, keeping
 * traced messages when trace. */
static void fixture_start(struct fixture *f, size_t n_ues, bool trace, tu_decide_fn fn,
                          void *ctx)
{
    struct core_err err = {0};

    f->eng = core_engine_create(0);
    assert_non_null(f->eng);
    f->radio = fixed_radio(f->eng, n_ues, &f->g, f->x, f->y);
    assert_non_null(f->radio);
    tu_records_init(&f->rec, trace);
    f->w = tu_world_create(&f->t, f->eng, f->radio, &f->d, fn, ctx, &f->rec, &err);
    if (!f->w)
        print_error("proto_collab_world_create: %s\n", err.msg);
    assert_non_null(f->w);
}

static void fixture_end(struct fixture *f)
{
    proto_collab_world_destroy(f->w);
    tu_records_fini(&f->rec);
    radio_world_destroy(f->radio);
    core_engine_destroy(f->eng);
    compute_problem_fini(&f->p);
}

/* The record of inference id, or NULL. */
static const struct tu_row *record_of(const struct tu_records *r,
                                                      uint64_t id)
{
    for (size_t i = 0; i < r->n_inferences; i++)
        if (r->inferences[i].o.inference_id == id)
            return &r->inferences[i];
    return NULL;
}

/* A record is consistent: components non-negative and adding up to the
 * latency, the split in range, times in order. */
static void assert_consistent(const struct tu_row *row)
{
    double sum = row->o.ue_compute_s + row->o.uplink_s + row->o.edge_queue_s + row->o.edge_compute_s +
                 row->o.downlink_s + row->o.signaling_s;

    if (!(row->o.ue_compute_s >= 0 && row->o.uplink_s >= 0 && row->o.edge_queue_s >= 0 &&
          row->o.edge_compute_s >= 0 && row->o.downlink_s >= 0 && row->o.signaling_s >= -1e-9))
        print_error("inference %llu: a negative component: ue %g up %g eq %g ec %g down %g "
                    "sig %g\n",
                    (unsigned long long)row->o.inference_id, row->o.ue_compute_s, row->o.uplink_s,
                    row->o.edge_queue_s, row->o.edge_compute_s, row->o.downlink_s, row->o.signaling_s);
    assert_true(row->o.ue_compute_s >= 0 && row->o.uplink_s >= 0 && row->o.edge_queue_s >= 0 &&
                row->o.edge_compute_s >= 0 && row->o.downlink_s >= 0 && row->o.signaling_s >= -1e-9);
    assert_near(sum, row->o.latency_s, 1e-9);
    assert_near(row->o.t_done_s - row->o.t_request_s, row->o.latency_s, 1e-9);
    assert_true(row->o.latency_s > 0);
    assert_in_range(row->o.split, 0, N_LAYERS);
    assert_true(row->o.ue_energy_j > 0);
    assert_true(row->o.edge_energy_j >= 0);
}

/* Sum of lat[first..last]. */
static double layers_s(const double *lat, size_t first, size_t last)
{
    double s = 0.0;

    for (size_t i = first; i <= last; i++)
        s += lat[i];
    return s;
}

/* ---- 1. override that remaps ------------------------------------------------------- */

static void test_collab_override_remaps_edge_part_to_the_idle_option(void **state)
{
    static const double edge_s[2][N_LAYERS] = {
        {SLOW_LAYER_S, SLOW_LAYER_S, SLOW_LAYER_S, SLOW_LAYER_S, SLOW_LAYER_S},
        {0.4e-3, 0.9e-3, 0.3e-3, 0.6e-3, 0.2e-3},
    };
    struct script sc = {.n_steps = 1, .split = {2}, .edge_option = {0}};
    struct fixture f = {0};
    struct proto_collab_stats st;
    const struct tu_row *first;

    (void)state;
    options_problem(&f.p, 1, ue_lat_s, NULL, 2, edge_s);
    protocol_config(&f.t, &f.p, 14.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    edge_side(&f.t, 2);
    f.t.c.protocol.override_wait_s = 0.5;
    fixture_start(&f, 1, false, scripted, &sc);
    run_to(f.eng, 14.0);

    /* Inference 0 finds gpu-a idle and holds it for 12 s: a2 stands. */
    first = record_of(&f.rec, 0);
    assert_non_null(first);
    assert_false(first->o.overridden);
    assert_string_equal(first->edge_alloc, "gpu-a:2-4");
    assert_near(first->o.edge_compute_s, 3 * SLOW_LAYER_S, 1e-9);
    assert_consistent(first);
    /* Inferences 1..10 arrive while gpu-a is busy for more than 0.5 s: a3
     * moves their edge part to gpu-b, where it runs at once. */
    for (uint64_t id = 1; id <= 10; id++) {
        const struct tu_row *row = record_of(&f.rec, id);

        assert_non_null(row);
        if (!row->o.overridden || strcmp(row->edge_alloc, "gpu-b:2-4") != 0)
            print_error("inference %llu: overridden %d, edge_alloc '%s', expected 1, "
                        "'gpu-b:2-4'\n",
                        (unsigned long long)id, row->o.overridden, row->edge_alloc);
        assert_true(row->o.overridden);
        assert_false(row->o.declined);
        assert_int_equal(row->o.split, 2);
        assert_string_equal(row->ue_alloc, "cpu:0-1");
        assert_string_equal(row->edge_alloc, "gpu-b:2-4");
        assert_near(row->o.edge_queue_s, 0.0, 1e-12);
        assert_near(row->o.edge_compute_s, layers_s(edge_s[1], 2, 4), 1e-9);
        assert_near(row->o.ue_compute_s, layers_s(ue_lat_s, 0, 1), 1e-9);
        assert_true(row->o.uplink_s > 0);
        assert_near(row->o.edge_energy_j, layers_s(edge_s[1], 2, 4) * edge_power_w, 1e-9);
        assert_consistent(row);
        assert_true(row->o.t_done_s < first->o.t_done_s);
    }
    proto_collab_world_stats(f.w, &st);
    assert_true(st.overridden >= 10);
    assert_int_equal(st.declined, 0);
    /* the UE acknowledged every remapping a3 it received */
    assert_true(st.a3_acks >= 10 && st.a3_acks <= st.overridden + 1);
    fixture_end(&f);
}

/* ---- 2. override that withdraws ---------------------------------------------------- */

/* Both edge options slow: inference 0 takes gpu-a, inference 1 is remapped
 * to gpu-b, and from inference 2 on every edge option waits beyond the
 * threshold: a3 withdraws the edge part and the UE computes everything. */
static void override_withdraws(uint32_t split, double input_b)
{
    static const double edge_s[2][N_LAYERS] = {
        {SLOW_LAYER_S, SLOW_LAYER_S, SLOW_LAYER_S, SLOW_LAYER_S, SLOW_LAYER_S},
        {SLOW_LAYER_S, SLOW_LAYER_S, SLOW_LAYER_S, SLOW_LAYER_S, SLOW_LAYER_S},
    };
    struct script sc = {.n_steps = 1, .split = {split}, .edge_option = {0}};
    struct fixture f = {0};
    struct proto_collab_stats st;
    const struct tu_row *row;

    options_problem(&f.p, 1, ue_lat_s, NULL, 2, edge_s);
    f.p.input_bytes = input_b;
    protocol_config(&f.t, &f.p, 6.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    edge_side(&f.t, 2);
    f.t.c.protocol.override_wait_s = 0.5;
    fixture_start(&f, 1, false, scripted, &sc);
    run_to(f.eng, 6.0);

    assert_null(record_of(&f.rec, 0)); /* still on gpu-a */
    assert_null(record_of(&f.rec, 1)); /* still on gpu-b */
    for (uint64_t id = 2; id <= 4; id++) {
        row = record_of(&f.rec, id);
        if (!row)
            print_error("split %u: inference %llu never finished\n", split,
                        (unsigned long long)id);
        assert_non_null(row);
        assert_true(row->o.overridden);
        assert_false(row->o.declined);
        assert_int_equal(row->o.split, N_LAYERS);
        assert_near(row->o.uplink_s, 0.0, 0.0);
        assert_near(row->o.edge_queue_s, 0.0, 0.0);
        assert_near(row->o.edge_compute_s, 0.0, 0.0);
        assert_near(row->o.downlink_s, 0.0, 0.0);
        assert_near(row->o.edge_energy_j, 0.0, 0.0);
        assert_string_equal(row->ue_alloc, "cpu:0-4");
        assert_string_equal(row->edge_alloc, "");
        assert_near(row->o.ue_compute_s, layers_s(ue_lat_s, 0, N_LAYERS - 1), 1e-9);
        assert_consistent(row);
    }
    proto_collab_world_stats(f.w, &st);
    assert_true(st.overridden >= 3);
    assert_true(st.requests >= 5);
    /* In flight: the two at the edge and perhaps the one requested last. */
    assert_true(st.done + 3 >= st.requests);
    fixture_end(&f);
}

static void test_collab_override_withdraws_when_every_edge_option_is_busy(void **state)
{
    (void)state;
    override_withdraws(2, input_bytes);
}

/* With split 0 the UE has nothing to compute when a2 is delivered, so it
 * uploads the model input before it hears a3; a 2 MB input is still on the
 * uplink when the UE has computed everything: the withdrawn inference must
 * finish all the same (without its upload counted as uplink_s). */
static void test_collab_override_withdraws_an_edge_only_plan_mid_upload(void **state)
{
    (void)state;
    override_withdraws(0, 2e6);
}

/* ---- 3. decline ------------------------------------------------------------------------ */

static void test_collab_busy_edge_declines_and_the_ue_runs_locally(void **state)
{
    static const double edge_s[1][N_LAYERS] = {
        {SLOW_LAYER_S, SLOW_LAYER_S, SLOW_LAYER_S, SLOW_LAYER_S, SLOW_LAYER_S},
    };
    struct script sc = {.n_steps = 1, .split = {0}};
    struct fixture f = {0};
    struct proto_collab_stats st;
    const struct tu_row *row;

    (void)state;
    options_problem(&f.p, 1, ue_lat_s, NULL, 1, edge_s);
    protocol_config(&f.t, &f.p, 5.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    f.t.c.protocol.admission_wait_s = 1e-3;
    fixture_start(&f, 1, true, scripted, &sc);
    run_to(f.eng, 5.0);

    /* The decision maker heard edge_available false from inference 1 on. */
    assert_true(sc.declined_calls >= 3);
    assert_int_equal(sc.declined_calls, sc.calls - 1);

    assert_null(record_of(&f.rec, 0)); /* admitted: 20 s at the edge */
    for (uint64_t id = 1; id <= 3; id++) {
        row = record_of(&f.rec, id);
        assert_non_null(row);
        assert_true(row->o.declined);
        assert_false(row->o.overridden);
        assert_int_equal(row->o.split, N_LAYERS);
        assert_near(row->o.uplink_s, 0.0, 0.0);
        assert_near(row->o.edge_compute_s, 0.0, 0.0);
        assert_near(row->o.edge_energy_j, 0.0, 0.0);
        assert_string_equal(row->ue_alloc, "cpu:0-4");
        assert_string_equal(row->edge_alloc, "");
        assert_near(row->o.ue_compute_s, layers_s(ue_lat_s, 0, N_LAYERS - 1), 1e-9);
        assert_consistent(row);
    }
    /* A declined inference sends no a2 and no intermediate result. */
    for (size_t i = 0; i < f.rec.n_messages; i++) {
        const struct proto_message_record *m = &f.rec.messages[i];

        if (m->inference_id >= 1 && m->inference_id <= 3)
            assert_true(m->type == PROTO_MSG_REQUEST || m->type == PROTO_MSG_REPLY);
    }
    proto_collab_world_stats(f.w, &st);
    assert_true(st.declined >= 3);
    assert_int_equal(st.overridden, 0);
    fixture_end(&f);
}

/* ---- 4. trace ---------------------------------------------------------------------------- */

static void test_collab_trace_lists_one_inference_messages_in_protocol_order(void **state)
{
    static const struct {
        enum proto_msg_type type;
        bool uplink;
        double bytes;
    } want[] = {
        {PROTO_MSG_REQUEST, true, 64.0 + 16.0 * N_LAYERS},
        {PROTO_MSG_REPLY, false, 64.0 + 256.0},
        {PROTO_MSG_DECISION, true, 64.0 + 8.0 * (N_LAYERS - 2)},
        {PROTO_MSG_INTERMEDIATE, true, 64.0 + 12e3}, /* layer 1's output crosses */
        {PROTO_MSG_RESULT, false, 64.0 + 400.0},
        {PROTO_MSG_ENERGY_REPORT, false, 64.0 + 16.0},
    };
    uint32_t k = 2;
    struct fixture f = {0};
    size_t n = 0;
    double last_t = 0.0;

    (void)state;
    chain_problem(&f.p, edge_lat_s);
    protocol_config(&f.t, &f.p, 6.0, PROTO_ARRIVAL_PERIODIC, 0.2, 1);
    fixture_start(&f, 1, true, fixed_split, &k);
    run_to(f.eng, 6.0);

    assert_non_null(record_of(&f.rec, 0));
    for (size_t i = 0; i < f.rec.n_messages; i++) {
        const struct proto_message_record *m = &f.rec.messages[i];

        assert_true(m->t_s >= last_t);
        last_t = m->t_s;
        if (m->inference_id != 0)
            continue;
        assert_true(n < ARRAY_LEN(want));
        if (m->type != want[n].type)
            print_error("message %zu of inference 0: %s, expected %s\n", n,
                        proto_msg_type_name(m->type), proto_msg_type_name(want[n].type));
        assert_int_equal(m->type, want[n].type);
        assert_int_equal(m->uplink, want[n].uplink);
        assert_near(m->bytes, want[n].bytes, 0.0);
        assert_int_equal(m->ue_id, 0);
        assert_int_equal(m->cell_id, 0);
        n++;
    }
    assert_int_equal(n, ARRAY_LEN(want));
    assert_string_equal(proto_msg_type_name(PROTO_MSG_ENERGY_REPORT), "energy-report");
    fixture_end(&f);
}

/* ---- 5. determinism ----------------------------------------------------------------- */

/* The moving world of collabutil (tu_moving) with random splits, run for
 * duration_s. */
static void moving_start(struct tu_moving *m, uint64_t seed, size_t n_ues, double rate_hz,
                         double duration_s, int on_handover, double channel_db)
{
    tu_moving_start(m, seed, n_ues, rate_hz, duration_s, on_handover, channel_db,
                    tu_decider(&m->d, random_split, NULL));
    run_to(m->eng, duration_s);
}

static void test_collab_same_seed_same_records_other_seed_other_ones(void **state)
{
    struct tu_moving a = {0}, b = {0}, c = {0};
    size_t n;

    (void)state;
    moving_start(&a, 5, 6, 4.0, 10.0, PROTO_HO_REPLAN, 3.0);
    moving_start(&b, 5, 6, 4.0, 10.0, PROTO_HO_REPLAN, 3.0);
    moving_start(&c, 6, 6, 4.0, 10.0, PROTO_HO_REPLAN, 3.0);
    printf("seed 5: %zu inferences, seed 6: %zu\n", a.rec.n_inferences, c.rec.n_inferences);
    assert_true(a.rec.n_inferences > 100);
    assert_int_equal(a.rec.n_inferences, b.rec.n_inferences);
    assert_memory_equal(a.rec.inferences, b.rec.inferences,
                        a.rec.n_inferences * sizeof(*a.rec.inferences));
    n = a.rec.n_inferences < c.rec.n_inferences ? a.rec.n_inferences : c.rec.n_inferences;
    assert_true(n > 0);
    assert_true(a.rec.n_inferences != c.rec.n_inferences ||
                memcmp(a.rec.inferences, c.rec.inferences, n * sizeof(*a.rec.inferences)) != 0);
    assert_true(a.rec.inferences[0].o.t_request_s != c.rec.inferences[0].o.t_request_s);
    tu_moving_end(&a);
    tu_moving_end(&b);
    tu_moving_end(&c);
}

/* ---- 6. state pushes and re-decisions ------------------------------------------------- */

/* One inference with pushes every 2 ms while its 12 ms UE part runs; the
 * decision maker answers split 3, then second_split. */
static void redecide(uint32_t second_split, struct fixture *f, struct script *sc)
{
    sc->n_steps = 2;
    sc->split[0] = 3;
    sc->split[1] = second_split;
    chain_problem(&f->p, edge_lat_s);
    protocol_config(&f->t, &f->p, 5.5, PROTO_ARRIVAL_PERIODIC, 0.2, 1);
    f->t.c.protocol.push_period_s = 2e-3;
    fixture_start(f, 1, true, scripted, sc);
    run_to(f->eng, 5.5);
}

static size_t count_messages(const struct tu_records *r, int64_t id,
                             enum proto_msg_type type)
{
    size_t n = 0;

    for (size_t i = 0; i < r->n_messages; i++)
        n += r->messages[i].inference_id == id && r->messages[i].type == type;
    return n;
}

static void test_collab_state_push_redecides_to_a_compatible_larger_split(void **state)
{
    struct script sc = {0};
    struct fixture f = {0};
    struct proto_collab_stats st;
    const struct tu_row *row;

    (void)state;
    redecide(4, &f, &sc);
    proto_collab_world_stats(f.w, &st);
    row = record_of(&f.rec, 0);
    assert_non_null(row);
    assert_true(st.state_pushes > 0);
    assert_true(sc.calls >= 2);
    assert_int_equal(st.redecisions, 1);
    assert_int_equal(count_messages(&f.rec, 0, PROTO_MSG_DECISION), 2);
    assert_true(count_messages(&f.rec, 0, PROTO_MSG_STATE_UPDATE) > 0);
    assert_int_equal(row->o.split, 4);
    assert_string_equal(row->ue_alloc, "cpu:0-3");
    assert_string_equal(row->edge_alloc, "gpu:4-4");
    assert_near(row->o.ue_compute_s, layers_s(ue_lat_s, 0, 3), 1e-9);
    assert_near(row->o.edge_compute_s, edge_lat_s[4], 1e-9);
    assert_consistent(row);
    fixture_end(&f);
}

static void test_collab_state_push_ignores_a_split_before_the_started_layers(void **state)
{
    struct script sc = {0};
    struct fixture f = {0};
    struct proto_collab_stats st;
    const struct tu_row *row;

    (void)state;
    redecide(1, &f, &sc);
    proto_collab_world_stats(f.w, &st);
    row = record_of(&f.rec, 0);
    assert_non_null(row);
    assert_true(st.state_pushes > 0);
    assert_true(sc.calls >= 2); /* it was asked, and its answer was dropped */
    assert_int_equal(st.redecisions, 0);
    assert_int_equal(count_messages(&f.rec, 0, PROTO_MSG_DECISION), 1);
    assert_int_equal(row->o.split, 3);
    assert_string_equal(row->ue_alloc, "cpu:0-2");
    assert_near(row->o.ue_compute_s, layers_s(ue_lat_s, 0, 2), 1e-9);
    assert_near(row->o.edge_compute_s, layers_s(edge_lat_s, 3, 4), 1e-9);
    assert_consistent(row);
    fixture_end(&f);
}

/* Pushes on load changes (load_threshold, no periodic pushes): background
 * jobs alone move the load of a one-unit edge between 0 and 1, and each
 * move must reach the inference computing its 4 s UE part. */
static void test_collab_background_load_change_pushes_state(void **state)
{
    static const double slow_ue_s[N_LAYERS] = {1.0, 1.0, 1.0, 1.0, 1.0};
    struct script sc = {.n_steps = 1, .split = {4}};
    struct fixture f = {0};
    struct proto_collab_stats st;

    (void)state;
    options_problem(&f.p, 1, slow_ue_s, NULL, 1, (const double(*)[N_LAYERS])edge_lat_s);
    protocol_config(&f.t, &f.p, 60.0, PROTO_ARRIVAL_PERIODIC, 0.2, 1);
    f.t.c.protocol.load_threshold = 0.5;
    f.t.edge_inst[0].background_load = 0.5;
    f.t.edge_inst[0].background_job_s = 0.5;
    fixture_start(&f, 1, true, scripted, &sc);
    run_to(f.eng, 60.0);
    proto_collab_world_stats(f.w, &st);
    printf("%llu pushes to %llu inferences\n", (unsigned long long)st.state_pushes,
           (unsigned long long)st.done);
    assert_true(st.done >= 10);
    /* About 4 background jobs (1 per second) arrive during each 4 s UE
     * part, each moving the load up and, mostly, back down: at least two
     * pushes per inference (only those at the inference's own edge job,
     * about one per inference, if background arrivals did not count). */
    assert_true(st.state_pushes >= 2 * st.done);
    assert_true(sc.calls > st.done);         /* each push made the UE decide again */
    assert_int_equal(st.redecisions, 0);     /* to the same plan */
    fixture_end(&f);
}

/* ---- 7. handover re-plan ------------------------------------------------------------------ */

static void handovers(int mode, struct proto_collab_stats *st, struct radio_world_stats *rs)
{
    struct tu_moving m = {0};

    moving_start(&m, 21, 12, 4.0, 40.0, mode, 0.0);
    proto_collab_world_stats(m.w, st);
    radio_world_stats(m.radio, rs);
    uint64_t restarts = 0;

    printf("%s: %llu handovers, %llu requests, %llu done, %llu replanned (%llu uploads "
           "stopped), %llu overridden, %llu declined\n",
           mode == PROTO_HO_REPLAN ? "replan" : "complete", (unsigned long long)rs->handovers,
           (unsigned long long)st->requests, (unsigned long long)st->done,
           (unsigned long long)st->replanned, (unsigned long long)st->uploads_stopped,
           (unsigned long long)st->overridden, (unsigned long long)st->declined);
    /* Every stopped upload (at a restart, or made useless by an a3) is a radio transfer
     * cancelled, nothing else is. */
    assert_int_equal(rs->flows_cancelled, st->uploads_stopped);
    for (size_t i = 0; i < m.rec.n_inferences; i++)
        restarts += m.rec.inferences[i].o.restarts;
    /* Each restart is counted on its inference (those still in flight at the end are not
     * recorded here). */
    assert_true(restarts <= st->replanned);
    assert_true(st->replanned == 0 || restarts > 0);
    assert_true(m.rec.n_inferences > 1500);
    assert_int_equal(m.rec.n_inferences, st->done); /* no warm-up: each one recorded once */
    for (size_t i = 0; i < m.rec.n_inferences; i++) {
        assert_consistent(&m.rec.inferences[i]);
        assert_in_range(m.rec.inferences[i].o.cell_id, 0, 6);
    }
    /* Nothing is stuck: at most about the last two seconds' requests are in flight. */
    assert_true(st->done + 12 * 4 * 2 >= st->requests);
    tu_moving_end(&m);
}

static void test_collab_handover_replans_inferences_not_yet_at_the_edge(void **state)
{
    struct proto_collab_stats st;
    struct radio_world_stats rs;

    (void)state;
    handovers(PROTO_HO_REPLAN, &st, &rs);
    assert_true(rs.handovers > 0);
    assert_true(st.replanned > 0);
    assert_true(st.uploads_stopped > 0); /* no old upload runs on after a restart */
}

/* The energy ledger of the moving world (handovers, background load,
 * re-plans): a row per UE and per edge instance of each cell; idle power
 * charged over the whole run; the edge's inference segments exactly the
 * inferences' edge energy; background jobs at their units' active power;
 * the UEs' compute and radio at least what the inferences were charged
 * (energy reports, which follow an inference's end, are the UE's alone). */
static void test_collab_energy_ledger_accounts_idle_compute_background_and_radio(void **state)
{
    struct tu_moving m = {0};
    double edge_inf_j = 0, edge_ledger_j = 0, ue_inf_j = 0, ue_ledger_j = 0, bg_j = 0;
    double duration_s = 20.0;
    size_t n_ue_rows = 0, n_edge_rows = 0;
    static const uint32_t split2 = 2;

    (void)state;
    tu_moving_setup(&m, 21, 12, 4.0, duration_s, PROTO_HO_REPLAN, 0.0);
    m.t.ue_inst[0].idle_power_w = 0.25;
    m.t.edge_inst[0].idle_power_w = 30.0;
    m.t.edge_inst[0].unit_power_w = 70.0;
    tu_moving_create(&m, tu_decider(&m.d, fixed_split, (void *)&split2));
    run_to(m.eng, duration_s);
    proto_collab_world_end(m.w);
    for (size_t i = 0; i < m.rec.n_inferences; i++) {
        ue_inf_j += m.rec.inferences[i].o.ue_energy_j;
        edge_inf_j += m.rec.inferences[i].o.edge_energy_j;
    }
    for (size_t i = 0; i < m.rec.n_energy; i++) {
        const struct proto_energy_row *r = &m.rec.energy[i];

        assert_near(r->duration_s, duration_s, 1e-12);
        if (r->edge) {
            n_edge_rows++;
            assert_string_equal(r->resource, "gpu0");
            assert_near(r->idle_j, 30.0 * duration_s, 1e-9);
            assert_true(r->radio_j == 0 && r->tail_j == 0);
            edge_ledger_j += r->compute_j;
            bg_j += r->background_j;
        } else {
            assert_int_equal(r->ue_id, n_ue_rows);
            n_ue_rows++;
            assert_near(r->idle_j, 0.25 * duration_s, 1e-12);
            assert_true(r->compute_j > 0 && r->radio_j > 0);
            ue_ledger_j += r->compute_j + r->radio_j + r->tail_j;
        }
    }
    printf("ledger: UEs %.6g J (inferences %.6g J), edge %.6g J (inferences %.6g J), "
           "background %.6g J\n",
           ue_ledger_j, ue_inf_j, edge_ledger_j, edge_inf_j, bg_j);
    assert_int_equal(n_ue_rows, 12);
    assert_int_equal(n_edge_rows, 7);
    assert_near(edge_ledger_j, edge_inf_j, 1e-9 * edge_inf_j);
    assert_true(ue_ledger_j >= ue_inf_j * (1 - 1e-12));
    assert_true(ue_ledger_j <= 1.05 * ue_inf_j); /* energy reports are small */
    /* Background work: 0.3 of one unit's time at 70 W over 7 cells. */
    assert_true(fabs(bg_j - 0.3 * 70.0 * duration_s * 7) < 0.1 * 0.3 * 70.0 * duration_s * 7);
    tu_moving_end(&m);
}

/* An a3 that hands layers back (claim 2, the UE adapting through its
 * decider): edge option a (4 s a layer) runs every layer, option b (idle,
 * 10 ms) only the last two; the UE decides split 1 on option a. Once a's
 * queue is over override-wait, the network keeps layers 3 and 4 on b and
 * hands 1 and 2 back: the UE's decider answers an ADAPT request under that
 * a3 (its cut 3, the UE's started position kept), the UE computes layers 1
 * and 2 and sends its a4 as its new a2; the record keeps the plan decided
 * before the override. A remapping a3 is acknowledged (update-ack). */
static void test_collab_a3_hands_layers_back_and_the_decider_adapts(void **state)
{
    static const double ue_s[N_LAYERS] = {0.05, 0.05, 0.05, 0.05, 0.05};
    static const double edge_s[2][N_LAYERS] = {{4.0, 4.0, 4.0, 4.0, 4.0},
                                               {INFINITY, INFINITY, INFINITY, 0.01, 0.01}};
    struct fixture f = {0};
    struct proto_collab_stats st;
    uint32_t split = 1;
    size_t handed = 0;

    (void)state;
    options_problem(&f.p, 1, ue_s, NULL, 2, edge_s);
    protocol_config(&f.t, &f.p, 6.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    edge_side(&f.t, 2);
    f.t.c.protocol.override_wait_s = 0.5;
    fixture_start(&f, 1, true, fixed_split, &split);
    run_to(f.eng, 6.0);
    proto_collab_world_end(f.w);
    proto_collab_world_stats(f.w, &st);
    printf("%llu a3s, %llu handed back, %zu adaptations, %llu update-acks\n",
           (unsigned long long)st.overridden, (unsigned long long)st.handed_back,
           f.d.n_adapt, (unsigned long long)st.a3_acks);
    assert_true(st.handed_back >= 2);
    assert_true(f.d.n_adapt >= st.handed_back);
    assert_int_equal(f.d.adapt_n_ue, 3);
    assert_true(f.d.adapt_started >= 1 && f.d.adapt_started <= 1 + 1);
    for (size_t i = 0; i < f.rec.n_inferences; i++) {
        const struct proto_outcome *o = &f.rec.inferences[i].o;
        size_t a2s = 0, updates = 0;

        if (!o->overridden || !o->finished)
            continue;
        handed++;
        assert_int_equal(o->split, 3);            /* the UE computed layers 0 to 2 */
        assert_int_equal(o->plan.n_ue, 3);
        assert_int_equal(o->plan_decided.n_ue, 1); /* what it had decided */
        assert_int_equal(o->plan.option[3], 1);   /* the network kept 3 and 4 on b */
        assert_int_equal(o->plan.option[4], 1);
        assert_string_equal(f.rec.inferences[i].edge_alloc, "gpu-b:3-4");
        for (size_t k = 0; k < f.rec.n_messages; k++) {
            const struct proto_message_record *m = &f.rec.messages[k];

            if (m->inference_id != (int64_t)o->inference_id)
                continue;
            a2s += m->type == PROTO_MSG_DECISION;
            updates += m->type == PROTO_MSG_UPDATE;
        }
        assert_int_equal(updates, 1);
        assert_int_equal(a2s, 2); /* its a2, then its a4 as the new a2 */
    }
    assert_true(handed >= 2);
    fixture_end(&f);
}

static void test_collab_handover_complete_mode_never_replans(void **state)
{
    struct proto_collab_stats st;
    struct radio_world_stats rs;

    (void)state;
    handovers(PROTO_HO_COMPLETE, &st, &rs);
    assert_true(rs.handovers > 0);
    assert_int_equal(st.replanned, 0);
}

/* A UE whose uplink SINR moves by channel_threshold_db asks for the
 * network's state at its next segment boundary and decides again (the
 * random decision maker changes its plan often): the records stay
 * consistent; without a threshold it never asks. */
static void test_collab_channel_change_makes_the_ue_ask_for_state(void **state)
{
    struct tu_moving m = {0};
    struct proto_collab_stats st;

    (void)state;
    moving_start(&m, 9, 12, 4.0, 20.0, PROTO_HO_REPLAN, 1.0);
    proto_collab_world_stats(m.w, &st);
    printf("%llu state requests, %llu pushes, %llu re-decisions, %zu inferences\n",
           (unsigned long long)st.state_requests, (unsigned long long)st.state_pushes,
           (unsigned long long)st.redecisions, m.rec.n_inferences);
    assert_true(st.state_requests > 0);
    assert_true(st.redecisions > 0);
    assert_true(m.rec.n_inferences > 500);
    assert_int_equal(m.rec.n_inferences, st.done);
    for (size_t i = 0; i < m.rec.n_inferences; i++)
        assert_consistent(&m.rec.inferences[i]);
    assert_true(st.done + 12 * 4 * 2 >= st.requests);
    tu_moving_end(&m);

    memset(&m, 0, sizeof(m));
    moving_start(&m, 9, 12, 4.0, 20.0, PROTO_HO_REPLAN, 0.0);
    proto_collab_world_stats(m.w, &st);
    assert_int_equal(st.state_requests, 0);
    tu_moving_end(&m);
}

/* ---- 8. configuration and out-of-memory errors -------------------------------------------- */

/* Create with f->t and expect CORE_E_INPUT with a message containing
 * what; then f->t is made good again. */
static void expect_input_error(struct fixture *f, const char *what)
{
    struct core_err err = {0};
    struct proto_collab_world *w;
    uint32_t k = 2;

    w = tu_world_create(&f->t, f->eng, f->radio, &f->d, fixed_split, &k, &f->rec, &err);
    assert_null(w);
    assert_int_equal(err.rc, CORE_E_INPUT);
    if (!strstr(err.msg, what))
        print_error("message '%s' lacks '%s'\n", err.msg, what);
    assert_non_null(strstr(err.msg, what));
    protocol_config(&f->t, &f->p, 1.0, PROTO_ARRIVAL_PERIODIC, 1.0, 2);
}

static void test_collab_create_rejects_inconsistent_configs(void **state)
{
    struct fixture f = {0};

    (void)state;
    chain_problem(&f.p, edge_lat_s);
    protocol_config(&f.t, &f.p, 1.0, PROTO_ARRIVAL_PERIODIC, 1.0, 2);
    f.eng = core_engine_create(0);
    f.radio = fixed_radio(f.eng, 2, &f.g, f.x, f.y);
    assert_non_null(f.radio);
    tu_records_init(&f.rec, false);

    f.t.group[0].n_ues = 3;
    expect_input_error(&f, "the groups hold 3 UEs, the radio world 2");
    f.t.workload[0].model = 1;
    expect_input_error(&f, "group 0 workload 0 is inconsistent");
    f.t.workload[0].rate_hz = 0.0;
    expect_input_error(&f, "group 0 workload 0 is inconsistent");
    f.t.c.objective.latency_weight = 0.0;
    f.t.c.objective.energy_weight = 0.0;
    expect_input_error(&f, "objective weights");
    f.t.c.objective.latency_weight = -1.0;
    f.t.c.objective.energy_weight = 2.0;
    expect_input_error(&f, "objective weights");
    f.t.ue_units[0] = 2;
    expect_input_error(&f, "an option takes more units than its instance has");
    f.t.edge_units[0] = 0;
    expect_input_error(&f, "an option takes more units than its instance has");
    f.t.device[0].n_instances = 0;
    expect_input_error(&f, "a side needs at least one resource instance");
    f.t.c.edge.instances = NULL;
    expect_input_error(&f, "a side needs at least one resource instance");
    f.p.options[COMPUTE_SIDE_EDGE][0].resource = 3;
    expect_input_error(&f, "an option names a resource instance that does not exist");
    f.p.options[COMPUTE_SIDE_EDGE][0].resource = 0;
    f.t.c.edge.n_instances = 2; /* the second instance has no unit */
    expect_input_error(&f, "a resource instance needs at least one unit");
    f.t.edge_inst[0].background_load = 0.5; /* no background_job_s */
    expect_input_error(&f, "background work needs a load in [0, 1) and a mean job time > 0");
    f.t.edge_inst[0].background_load = 1.0;
    f.t.edge_inst[0].background_job_s = 1e-3;
    expect_input_error(&f, "background work needs a load in [0, 1) and a mean job time > 0");
    f.t.c.protocol.header_bytes = 0.0;
    expect_input_error(&f, "the message header must be > 0 B");
    f.t.c.edge.n_options = 2;
    expect_input_error(&f, "a problem's options do not match its side");
    f.t.c.edge.option_units = NULL;
    expect_input_error(&f, "a problem's options do not match its side");
    f.t.problems[0] = NULL;
    expect_input_error(&f, "no problem for device 0, model 0");
    f.t.group[0].device = 1;
    expect_input_error(&f, "group 0 is inconsistent");
    f.t.group[0].workloads = NULL;
    expect_input_error(&f, "group 0 is inconsistent");
    f.t.c.n_models = 0;
    expect_input_error(&f, "no models, devices or problems");
    f.t.c.devices = NULL;
    expect_input_error(&f, "no models, devices or problems");
    f.t.c.groups = NULL;
    expect_input_error(&f, "no models, devices or problems");
    fixture_end(&f);
}

/* A header of 0 B leaves the state request (a bare header) and, with an
 * empty energy-report body, the energy report without a byte to send: the
 * radio cannot carry an empty transfer, so creation rejects it rather than
 * the run failing half-way. */
static void test_collab_create_rejects_a_protocol_with_empty_messages(void **state)
{
    struct fixture f = {0};
    uint32_t k = 2;
    struct core_err err = {0};

    (void)state;
    chain_problem(&f.p, edge_lat_s);
    protocol_config(&f.t, &f.p, 1.0, PROTO_ARRIVAL_PERIODIC, 2.0, 1);
    f.t.c.protocol.header_bytes = 0.0;
    f.t.c.protocol.energy_report_bytes = 0.0;
    f.eng = core_engine_create(0);
    f.radio = fixed_radio(f.eng, 1, &f.g, f.x, f.y);
    assert_non_null(f.radio);
    tu_records_init(&f.rec, false);
    f.w = tu_world_create(&f.t, f.eng, f.radio, &f.d, fixed_split, &k, &f.rec, &err);
    if (f.w) {
        struct core_run_limits lim = {.until_s = 1.0, .has_until = true};

        print_error("created; the run then stops with %d: %s\n", core_engine_run(f.eng, &lim),
                    core_engine_error(f.eng)->msg);
    }
    assert_null(f.w);
    assert_int_equal(err.rc, CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "header"));
    fixture_end(&f);
}

static void test_collab_create_out_of_memory_fails_cleanly_at_every_allocation(void **state)
{
    struct compute_problem p = {0};
    struct tu_world t;
    struct tu_decider d;
    struct radio_ue_group_config g;
    double x[2], y[2];
    bool made = false;
    unsigned long k;

    (void)state;
    chain_problem(&p, edge_lat_s);
    protocol_config(&t, &p, 1.0, PROTO_ARRIVAL_POISSON, 1.0, 2);
    t.c.protocol.push_period_s = 0.1;
    t.edge_inst[0].background_load = 0.5;
    t.edge_inst[0].background_job_s = 1e-3;
    t.group[0].n_workloads = 2;
    t.workload[1] = t.workload[0];
    for (k = 1; !made && k < 1000; k++) {
        long live = core_alloc_live();
        struct core_engine *eng = core_engine_create(0);
        struct radio_world *radio = fixed_radio(eng, 2, &g, x, y);
        struct tu_records rec;
        struct proto_collab_world *w;
        struct core_err err = {0};

        assert_non_null(radio);
        tu_records_init(&rec, false);
        core_alloc_fail_after(k);
        w = tu_world_create(&t, eng, radio, &d, fixed_split, &(uint32_t){2}, &rec, &err);
        core_alloc_fail_after(0);
        if (!w) {
            if (err.rc != CORE_E_NOMEM)
                print_error("allocation %lu: %s (%s)\n", k, core_rc_name(err.rc), err.msg);
            assert_int_equal(err.rc, CORE_E_NOMEM);
        } else {
            made = true;
            run_to(eng, 1.0); /* the world that finally got built works */
            assert_true(rec.n_inferences > 0);
        }
        proto_collab_world_destroy(w);
        tu_records_fini(&rec);
        radio_world_destroy(radio);
        core_engine_destroy(eng);
        if (core_alloc_live() != live)
            print_error("allocation %lu failed: %ld blocks live after, %ld before\n", k,
                        core_alloc_live(), live);
        assert_int_equal(core_alloc_live(), live);
    }
    printf("creation succeeded at allocation %lu\n", k - 1);
    assert_true(made);
    assert_true(k > 10);
    compute_problem_fini(&p);
}

/* ---- 9. wide jobs on the UE ------------------------------------------------------------------ */

/* A UE with one 4-core CPU; option 0 takes 3 cores, option 1 one core;
 * every inference is local, 1 s per layer, one request per second.
 * Inference 0 (3 cores) runs at once; inference 1 (3 cores) waits for it
 * although one core is free; inference 2 (1 core) would fit in that free
 * core but queues behind inference 1 (strict FIFO) and starts with it. */
static void test_collab_ue_option_units_reach_the_server_in_strict_fifo(void **state)
{
    static const double slow_ue_s[N_LAYERS] = {1.0, 1.0, 1.0, 1.0, 1.0};
    static const char *const labels[] = {"cpu:3", "cpu:1"};
    struct script sc = {.n_steps = 3,
                        .split = {N_LAYERS, N_LAYERS, N_LAYERS},
                        .ue_option = {0, 0, 1}};
    struct fixture f = {0};
    const double want_s[3] = {5.0, 9.0, 8.0}; /* waits 0, 4 and 3 s */

    (void)state;
    options_problem(&f.p, 2, slow_ue_s, labels, 1, (const double(*)[N_LAYERS])edge_lat_s);
    protocol_config(&f.t, &f.p, 20.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    f.t.ue_inst[0].units = 4;
    f.t.device[0].n_options = 2;
    f.t.ue_units[0] = 3;
    f.t.ue_units[1] = 1;
    fixture_start(&f, 1, false, scripted, &sc);
    run_to(f.eng, 20.0);
    for (uint64_t id = 0; id < 3; id++) {
        const struct tu_row *row = record_of(&f.rec, id);

        assert_non_null(row);
        assert_int_equal(row->o.split, N_LAYERS);
        assert_string_equal(row->ue_alloc, id < 2 ? "cpu:3:0-4" : "cpu:1:0-4");
        assert_near(row->o.ue_compute_s, want_s[id], 1e-9);
        assert_consistent(row);
    }
    fixture_end(&f);

    /* Two cores each: inferences 0 and 1 share the CPU without waiting. */
    memset(&sc, 0, sizeof(sc));
    sc.n_steps = 1;
    sc.split[0] = N_LAYERS;
    memset(&f, 0, sizeof(f));
    options_problem(&f.p, 1, slow_ue_s, labels, 1, (const double(*)[N_LAYERS])edge_lat_s);
    protocol_config(&f.t, &f.p, 20.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    f.t.ue_inst[0].units = 4;
    f.t.ue_units[0] = 2;
    fixture_start(&f, 1, false, scripted, &sc);
    run_to(f.eng, 20.0);
    assert_near(record_of(&f.rec, 0)->o.ue_compute_s, 5.0, 1e-9);
    assert_near(record_of(&f.rec, 1)->o.ue_compute_s, 5.0, 1e-9);
    assert_near(record_of(&f.rec, 2)->o.ue_compute_s, 8.0, 1e-9); /* waits for inference 0 */
    fixture_end(&f);
}

/* ---- the end of a run ------------------------------------------------------------------- */

/* One request a second, each holding the one slow edge unit for 15 s: when
 * the run stops at 10.5 s, inference 0 is at the edge and the rest wait
 * behind it. proto_collab_world_end reports every one of them unfinished
 * (no end, the stage it stood in, the time so far in its components), so
 * that every request has exactly one outcome; a second call adds none. */
static void test_collab_end_reports_every_inference_in_flight_unfinished(void **state)
{
    static const double edge_s[1][N_LAYERS] = {{5.0, 5.0, 5.0, 5.0, 5.0}};
    uint32_t k = 2;
    struct fixture f = {0};
    struct proto_collab_stats st;
    size_t unfinished = 0;

    (void)state;
    options_problem(&f.p, 1, ue_lat_s, NULL, 1, edge_s);
    protocol_config(&f.t, &f.p, 10.5, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    fixture_start(&f, 1, false, fixed_split, &k);
    run_to(f.eng, 10.5);
    assert_int_equal(f.rec.n_inferences, 0); /* nothing finished */
    proto_collab_world_end(f.w);
    proto_collab_world_end(f.w);
    proto_collab_world_stats(f.w, &st);
    assert_true(st.requests >= 10);
    assert_int_equal(f.rec.n_inferences, st.requests); /* one outcome per request */
    assert_int_equal(st.unfinished, st.requests);
    assert_int_equal(st.done, 0);
    for (size_t i = 0; i < f.rec.n_inferences; i++) {
        const struct proto_outcome *o = &f.rec.inferences[i].o;
        double sum = o->ue_compute_s + o->uplink_s + o->edge_queue_s + o->edge_compute_s +
                     o->downlink_s + o->signaling_s;

        assert_false(o->finished);
        assert_non_null(o->stage);
        assert_true(isnan(o->t_done_s) && isnan(o->latency_s));
        assert_false(o->deadline_met);
        assert_near(sum, 10.5 - o->t_request_s, 1e-9); /* the time so far, all of it */
        assert_true(o->edge_queue_s >= 0 && o->signaling_s >= -1e-9);
        if (o->inference_id == 0) {
            assert_string_equal(o->stage, "at-edge");
            assert_true(o->edge_compute_s > 0);
        }
        unfinished++;
    }
    assert_true(unfinished >= 10);
    fixture_end(&f);
}

/* ---- battery and withdrawal ------------------------------------------------------------- */

/* A battery of about three inferences' UE energy: the UE stops requesting
 * once it is empty, and the world counts it. */
static void test_collab_an_empty_battery_stops_the_ue_requesting(void **state)
{
    struct fixture f = {0};
    struct proto_collab_stats st;
    uint32_t k = N_LAYERS; /* local: energy = the UE layers' + request and reply radio */
    double per_inf_j;

    (void)state;
    chain_problem(&f.p, edge_lat_s);
    protocol_config(&f.t, &f.p, 20.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    fixture_start(&f, 1, false, fixed_split, &k);
    run_to(f.eng, 20.0);
    assert_true(f.rec.n_inferences >= 19);
    per_inf_j = f.rec.inferences[0].o.ue_energy_j;
    fixture_end(&f);

    memset(&f, 0, sizeof(f));
    chain_problem(&f.p, edge_lat_s);
    protocol_config(&f.t, &f.p, 20.0, PROTO_ARRIVAL_PERIODIC, 1.0, 1);
    f.t.device[0].battery_j = 2.5 * per_inf_j;
    fixture_start(&f, 1, false, fixed_split, &k);
    {
        struct core_run_limits lim = {.until_s = 20.0, .has_until = true};

        /* With its only UE silent, the world runs out of events. */
        assert_int_equal(core_engine_run(f.eng, &lim), CORE_STOP_EMPTY);
    }
    proto_collab_world_stats(f.w, &st);
    assert_int_equal(f.rec.n_inferences, 3); /* the third empties it */
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.batteries_out, 1);
    fixture_end(&f);
}

/* The scenario withdraws the only edge instance from 4 s to 8 s: requests
 * the network answers in that window are declined (run locally), the others
 * go to the edge as planned. */
static void test_collab_a_withdrawn_edge_instance_declines_while_it_is_gone(void **state)
{
    struct fixture f = {0};
    uint32_t k = 0; /* edge-only while the edge is available */
    size_t inside = 0, outside = 0;

    (void)state;
    chain_problem(&f.p, edge_lat_s);
    protocol_config(&f.t, &f.p, 12.0, PROTO_ARRIVAL_PERIODIC, 2.0, 1);
    f.t.edge_inst[0].withdrawn_from_s = 4.0;
    f.t.edge_inst[0].withdrawn_until_s = 8.0;
    fixture_start(&f, 1, false, fixed_split, &k);
    run_to(f.eng, 12.0);
    for (size_t i = 0; i < f.rec.n_inferences; i++) {
        const struct tu_row *row = &f.rec.inferences[i];
        bool gone = row->o.t_request_s >= 4.0 && row->o.t_request_s < 7.99; /* reply well inside */

        if (row->o.t_request_s > 3.99 && row->o.t_request_s < 4.0)
            continue; /* the request may reach the network on either side of 4 s */
        assert_int_equal(row->o.declined, gone);
        assert_int_equal(row->o.split, gone ? N_LAYERS : 0);
        assert_consistent(row);
        inside += gone;
        outside += !gone;
    }
    assert_true(inside >= 7 && outside >= 14);
    fixture_end(&f);
}

/* The edge instance is withdrawn while the UE computes its part, after the
 * network holds a2: a3 comes then, not only as an a2 arrives. UE layers a
 * thousand times slower (18 s for all five), split 2, one request per 100 s
 * (its phase found by a first run of the same seed without withdrawal),
 * the edge gone from 1 s after the first request: the network takes the
 * edge part back at that moment and the UE computes everything. */
static void a3_world(struct fixture *f, uint32_t *k, double withdraw_s)
{
    chain_problem(&f->p, edge_lat_s);
    for (size_t i = 0; i < N_LAYERS; i++)
        f->p.latency_s[COMPUTE_SIDE_UE][i] *= 1000.0;
    protocol_config(&f->t, &f->p, 200.0, PROTO_ARRIVAL_PERIODIC, 0.01, 1);
    f->t.edge_inst[0].withdrawn_from_s = withdraw_s;
    f->t.edge_inst[0].withdrawn_until_s = withdraw_s > 0 ? 1e9 : withdraw_s;
    fixture_start(f, 1, true, fixed_split, k);
    run_to(f->eng, 200.0);
}

static void test_collab_a3_comes_when_the_edge_goes_after_a2(void **state)
{
    struct fixture f = {0};
    uint32_t k = 2;
    const struct tu_row *row;
    double t0, gone_s;
    size_t i;

    (void)state;
    a3_world(&f, &k, 0.0);
    row = record_of(&f.rec, 0);
    assert_non_null(row);
    assert_false(row->o.overridden);
    assert_int_equal(row->o.split, 2);
    t0 = row->o.t_request_s;
    fixture_end(&f);

    memset(&f, 0, sizeof(f));
    gone_s = t0 + 1.0;
    a3_world(&f, &k, gone_s);
    row = record_of(&f.rec, 0);
    assert_non_null(row);
    assert_near(row->o.t_request_s, t0, 0.0);
    assert_true(row->o.overridden);
    assert_false(row->o.declined);
    assert_int_equal(row->o.split, N_LAYERS);
    assert_string_equal(row->edge_alloc, "");
    assert_near(row->o.uplink_s, 0.0, 0.0);
    /* the a3 went out as the edge went, the UE still on its first layer */
    for (i = 0; i < f.rec.n_messages; i++)
        if (f.rec.messages[i].type == PROTO_MSG_UPDATE && f.rec.messages[i].inference_id == 0)
            break;
    assert_true(i < f.rec.n_messages);
    assert_true(f.rec.messages[i].t_s >= gone_s && f.rec.messages[i].t_s < gone_s + 0.1);
    assert_consistent(row);
    fixture_end(&f);
}

/* The UE asks for the network's state when its own load (busy cores over
 * cores) moved by load-threshold since it decided: on two cores, 12 ms of
 * UE work per request and Poisson requests at 125 Hz, an inference that
 * decided with both cores busy often runs on alone a moment later. */
static void test_collab_ue_load_change_makes_the_ue_ask_for_state(void **state)
{
    struct fixture f = {0};
    struct proto_collab_stats st;
    uint32_t k = 3; /* 12 ms on the UE */

    (void)state;
    chain_problem(&f.p, edge_lat_s);
    protocol_config(&f.t, &f.p, 2.0, PROTO_ARRIVAL_POISSON, 125.0, 1);
    f.t.ue_inst[0].units = 2;
    f.t.c.protocol.load_threshold = 0.5;
    fixture_start(&f, 1, false, fixed_split, &k);
    run_to(f.eng, 2.0);
    proto_collab_world_stats(f.w, &st);
    printf("%llu state requests over %llu inferences\n", (unsigned long long)st.state_requests,
           (unsigned long long)st.done);
    assert_true(st.state_requests > 0);
    for (size_t i = 0; i < f.rec.n_inferences; i++)
        assert_consistent(&f.rec.inferences[i]);
    fixture_end(&f);

    memset(&f, 0, sizeof(f));
    chain_problem(&f.p, edge_lat_s);
    protocol_config(&f.t, &f.p, 2.0, PROTO_ARRIVAL_POISSON, 125.0, 1);
    f.t.ue_inst[0].units = 2;
    fixture_start(&f, 1, false, fixed_split, &k); /* load-threshold 0: never */
    run_to(f.eng, 2.0);
    proto_collab_world_stats(f.w, &st);
    assert_int_equal(st.state_requests, 0);
    fixture_end(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_collab_override_remaps_edge_part_to_the_idle_option),
        TEST(test_collab_override_withdraws_when_every_edge_option_is_busy),
        TEST(test_collab_override_withdraws_an_edge_only_plan_mid_upload),
        TEST(test_collab_busy_edge_declines_and_the_ue_runs_locally),
        TEST(test_collab_trace_lists_one_inference_messages_in_protocol_order),
        TEST(test_collab_same_seed_same_records_other_seed_other_ones),
        TEST(test_collab_state_push_redecides_to_a_compatible_larger_split),
        TEST(test_collab_state_push_ignores_a_split_before_the_started_layers),
        TEST(test_collab_background_load_change_pushes_state),
        TEST(test_collab_handover_replans_inferences_not_yet_at_the_edge),
        TEST(test_collab_handover_complete_mode_never_replans),
        TEST(test_collab_energy_ledger_accounts_idle_compute_background_and_radio),
        TEST(test_collab_a3_hands_layers_back_and_the_decider_adapts),
        TEST(test_collab_channel_change_makes_the_ue_ask_for_state),
        TEST(test_collab_create_rejects_inconsistent_configs),
        TEST(test_collab_create_rejects_a_protocol_with_empty_messages),
        TEST(test_collab_create_out_of_memory_fails_cleanly_at_every_allocation),
        TEST(test_collab_ue_option_units_reach_the_server_in_strict_fifo),
        TEST(test_collab_end_reports_every_inference_in_flight_unfinished),
        TEST(test_collab_an_empty_battery_stops_the_ue_requesting),
        TEST(test_collab_a_withdrawn_edge_instance_declines_while_it_is_gone),
        TEST(test_collab_a3_comes_when_the_edge_goes_after_a2),
        TEST(test_collab_ue_load_change_makes_the_ue_ask_for_state),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
