/*
 * test_plan.c — the allocation problem's cost model against hand-computed
 * figures: a 3-layer chain with two UE options (cpu:4, npu) and two edge
 * options (cpu:8, gpu) priced component by component for a split, a local
 * and an edge-only plan; copies only between different resources; infinite
 * waits; crossing bytes at every boundary of two orders of a residual block;
 * segments summing to the cost's compute figures; the allocation text; and
 * every error of the problem and plan checks, out of memory included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

#include "compute/compute.h"

static struct core_err err;

#define REL 1e-12

static void set_option(struct compute_problem *p, enum compute_side s, size_t o, uint32_t res,
                       double amount, const char *label)
{
    p->options[s][o].resource = res;
    p->options[s][o].amount = amount;
    snprintf(p->options[s][o].label, sizeof(p->options[s][o].label), "%s", label);
}

static void set_cost(struct compute_problem *p, enum compute_side s, size_t o, size_t i,
                     double t_s, double e_j)
{
    p->latency_s[s][o * p->n_layers + i] = t_s;
    p->energy_j[s][o * p->n_layers + i] = e_j;
}

/* The chain: input 1000 B -> L0 (400 B) -> L1 (200 B) -> L2 (50 B), header 10 B.
 *   UE   cpu:4 (res 0): 10, 20, 30 ms; 50, 100, 150 mJ
 *        npu   (res 1): 2, 4 ms, L2 unsupported; 4, 8 mJ
 *   edge cpu:8 (res 0): 4, 8, 2 ms;  gpu (res 1): 1, 2, 3 ms
 *   copies: UE 1 ms + B / 1e5 B/s at 2 W; edge 0.5 ms + B / 1e6 B/s at 10 W. */
static void chain3(struct compute_problem *p)
{
    static const double edge_e[2][3] = {{0.4, 0.8, 0.2}, {0.1, 0.2, 0.3}};
    static const double edge_t[2][3] = {{0.004, 0.008, 0.002}, {0.001, 0.002, 0.003}};
    size_t i;

    assert_core_rc(compute_problem_init(p, 3, 2, 2, &err), CORE_OK);
    p->input_bytes = 1000;
    p->msg_header_bytes = 10;
    for (i = 0; i < 3; i++) {
        p->layers[i].n_inputs = 1;
        p->layers[i].inputs[0] = (int32_t)i - 1;
    }
    p->layers[0].out_bytes = 400;
    p->layers[1].out_bytes = 200;
    p->layers[2].out_bytes = 50;
    set_option(p, COMPUTE_SIDE_UE, 0, 0, 4, "cpu:4");
    set_option(p, COMPUTE_SIDE_UE, 1, 1, 1, "npu");
    set_option(p, COMPUTE_SIDE_EDGE, 0, 0, 8, "cpu:8");
    set_option(p, COMPUTE_SIDE_EDGE, 1, 1, 1, "gpu");
    set_cost(p, COMPUTE_SIDE_UE, 0, 0, 0.010, 0.05);
    set_cost(p, COMPUTE_SIDE_UE, 0, 1, 0.020, 0.10);
    set_cost(p, COMPUTE_SIDE_UE, 0, 2, 0.030, 0.15);
    set_cost(p, COMPUTE_SIDE_UE, 1, 0, 0.002, 0.004);
    set_cost(p, COMPUTE_SIDE_UE, 1, 1, 0.004, 0.008);
    set_cost(p, COMPUTE_SIDE_UE, 1, 2, INFINITY, 0);
    for (i = 0; i < 3; i++) {
        set_cost(p, COMPUTE_SIDE_EDGE, 0, i, edge_t[0][i], edge_e[0][i]);
        set_cost(p, COMPUTE_SIDE_EDGE, 1, i, edge_t[1][i], edge_e[1][i]);
    }
    p->copy_latency_s[COMPUTE_SIDE_UE] = 0.001;
    p->copy_bytes_per_s[COMPUTE_SIDE_UE] = 1e5;
    p->copy_power_w[COMPUTE_SIDE_UE] = 2;
    p->copy_latency_s[COMPUTE_SIDE_EDGE] = 0.0005;
    p->copy_bytes_per_s[COMPUTE_SIDE_EDGE] = 1e6;
    p->copy_power_w[COMPUTE_SIDE_EDGE] = 10;
    assert_core_rc(compute_problem_check(p, &err), CORE_OK);
}

/* ul 80 kbit/s (10 kB/s), dl 160 kbit/s, radio 1 W up and 0.5 W down, 3 ms
 * signalling, waits UE 0.1 / 0.2 ms and edge 5 / 6 ms, objective s + J / 2. */
static void state3(struct compute_state *s)
{
    memset(s, 0, sizeof(*s));
    s->edge_available = true;
    s->ul_rate_bps = 8e4;
    s->dl_rate_bps = 1.6e5;
    s->ul_power_w = 1;
    s->dl_power_w = 0.5;
    s->signaling_s = 0.003;
    s->wait_s[COMPUTE_SIDE_UE][0] = 0.0001;
    s->wait_s[COMPUTE_SIDE_UE][1] = 0.0002;
    s->wait_s[COMPUTE_SIDE_EDGE][0] = 0.005;
    s->wait_s[COMPUTE_SIDE_EDGE][1] = 0.006;
    s->w_latency = 1;
    s->w_energy = 0.5;
}

static void plan_set(struct compute_plan *pl, uint32_t n, uint32_t n_ue, const uint16_t *order,
                     const uint8_t *option)
{
    uint32_t i;

    memset(pl, 0, sizeof(*pl));
    pl->n_layers = n;
    pl->n_ue = n_ue;
    for (i = 0; i < n; i++) {
        pl->order[i] = order[i];
        pl->option[i] = option[i];
    }
}

#define assert_rel(obs, exp) assert_near((obs), (exp), REL * fabs((double)(exp)) + 1e-300)

static void test_side_names_are_stable(void **state)
{
    (void)state;
    assert_string_equal(compute_side_name(COMPUTE_SIDE_UE), "ue");
    assert_string_equal(compute_side_name(COMPUTE_SIDE_EDGE), "edge");
}

/* L0 on the UE's npu, L1 on the edge's cpu:8, L2 on the edge's gpu. */
static void test_cost_of_split_plan_matches_hand_sum(void **state)
{
    static const uint16_t order[] = {0, 1, 2};
    static const uint8_t option[] = {1, 0, 1};
    struct compute_problem p;
    struct compute_state s;
    struct compute_plan pl;
    struct compute_plan_cost c;

    (void)state;
    chain3(&p);
    state3(&s);
    plan_set(&pl, 3, 1, order, option);
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
    compute_plan_cost(&p, &s, &pl, &c);
    assert_rel(c.ue_compute_s, 0.002);
    assert_rel(c.ue_wait_s, 0.0002);
    assert_rel(c.uplink_bytes, 410);              /* L0's 400 B + header */
    assert_rel(c.uplink_s, 410.0 * 8 / 8e4);      /* 41 ms */
    assert_rel(c.edge_wait_s, 0.005 + 0.006);     /* two edge segments */
    assert_rel(c.edge_compute_s, 0.008 + (0.0005 + 200 / 1e6) + 0.003); /* copy of L1's output */
    assert_rel(c.downlink_bytes, 60);
    assert_rel(c.downlink_s, 60.0 * 8 / 1.6e5);
    assert_rel(c.signaling_s, 0.003);
    assert_rel(c.latency_s, 0.0719);
    assert_rel(c.ue_energy_j, 0.004 + 1 * 0.041 + 0.5 * 0.003);
    assert_rel(c.edge_energy_j, 0.8 + 0.0007 * 10 + 0.3);
    assert_rel(c.objective, 0.0719 + 0.5 * 0.0465);
    compute_problem_fini(&p);
}

/* L0, L1 on the npu, L2 (which the npu cannot run) on cpu:4: one copy. */
static void test_cost_of_local_plan_copies_between_resources(void **state)
{
    static const uint16_t order[] = {0, 1, 2};
    static const uint8_t option[] = {1, 1, 0};
    struct compute_problem p;
    struct compute_state s;
    struct compute_plan pl;
    struct compute_plan_cost c;

    (void)state;
    chain3(&p);
    state3(&s);
    plan_set(&pl, 3, 3, order, option);
    assert_core_rc(compute_plan_check(&p, &pl, false, &err), CORE_OK);
    compute_plan_cost(&p, &s, &pl, &c);
    assert_rel(c.ue_compute_s, 0.002 + 0.004 + (0.001 + 200 / 1e5) + 0.030);
    assert_rel(c.ue_wait_s, 0.0002 + 0.0001);
    assert_true(c.uplink_bytes == 0 && c.uplink_s == 0);
    assert_true(c.downlink_bytes == 0 && c.downlink_s == 0);
    assert_true(c.edge_wait_s == 0 && c.edge_compute_s == 0 && c.edge_energy_j == 0);
    assert_rel(c.latency_s, 0.039 + 0.0003 + 0.003);
    assert_rel(c.ue_energy_j, 0.004 + 0.008 + 0.003 * 2 + 0.15);
    assert_rel(c.objective, 0.0423 + 0.5 * 0.168);
    compute_problem_fini(&p);
}

/* Everything on the edge's gpu: the raw input goes up, one segment. */
static void test_cost_of_edge_plan_sends_the_input(void **state)
{
    static const uint16_t order[] = {0, 1, 2};
    static const uint8_t option[] = {1, 1, 1};
    struct compute_problem p;
    struct compute_state s;
    struct compute_plan pl;
    struct compute_plan_cost c;

    (void)state;
    chain3(&p);
    state3(&s);
    plan_set(&pl, 3, 0, order, option);
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
    compute_plan_cost(&p, &s, &pl, &c);
    assert_true(c.ue_compute_s == 0 && c.ue_wait_s == 0);
    assert_rel(c.uplink_bytes, 1010);
    assert_rel(c.uplink_s, 0.101);
    assert_rel(c.edge_wait_s, 0.006);
    assert_rel(c.edge_compute_s, 0.006);
    assert_rel(c.latency_s, 0.119);
    assert_rel(c.ue_energy_j, 0.101 + 0.0015);
    assert_rel(c.edge_energy_j, 0.6);
    assert_rel(c.objective, 0.119 + 0.5 * 0.1025);
    compute_problem_fini(&p);
}

/* Two options of one resource at different amounts: a wait each, no copy. */
static void test_same_resource_other_amount_waits_but_copies_nothing(void **state)
{
    static const uint16_t order[] = {0, 1, 2};
    static const uint8_t option[] = {0, 1, 0};
    struct compute_problem p;
    struct compute_state s;
    struct compute_plan pl;
    struct compute_plan_cost c;

    (void)state;
    chain3(&p);
    state3(&s);
    p.options[COMPUTE_SIDE_EDGE][1].resource = 0;
    plan_set(&pl, 3, 0, order, option);
    compute_plan_cost(&p, &s, &pl, &c);
    assert_rel(c.edge_wait_s, 0.005 + 0.006 + 0.005);
    assert_rel(c.edge_compute_s, 0.004 + 0.002 + 0.002);
    assert_rel(c.edge_energy_j, 0.4 + 0.2 + 0.2);
    compute_problem_fini(&p);
}

static void test_infinite_wait_makes_objective_infinite(void **state)
{
    static const uint16_t order[] = {0, 1, 2};
    static const uint8_t option[] = {1, 1, 1};
    struct compute_problem p;
    struct compute_state s;
    struct compute_plan pl;
    struct compute_plan_cost c;

    (void)state;
    chain3(&p);
    state3(&s);
    s.w_latency = 0; /* even with latency out of the objective */
    s.wait_s[COMPUTE_SIDE_EDGE][1] = INFINITY;
    plan_set(&pl, 3, 0, order, option);
    compute_plan_cost(&p, &s, &pl, &c);
    assert_true(isinf(c.objective) && c.objective > 0);
    assert_true(isinf(c.latency_s));
    s.wait_s[COMPUTE_SIDE_EDGE][1] = 0.006;
    compute_plan_cost(&p, &s, &pl, &c);
    assert_rel(c.objective, 0.5 * 0.1025);
    compute_problem_fini(&p);
}

/* 0: conv (input) -> 1 -> 2, 0 -> 3 (downsample), 4 = add(2, 3), 5: fc. */
static void residual(struct compute_problem *p)
{
    static const double out[] = {100, 60, 70, 80, 90, 10};
    size_t i, o;
    int s;

    assert_core_rc(compute_problem_init(p, 6, 2, 2, &err), CORE_OK);
    p->input_bytes = 500;
    for (i = 0; i < 6; i++) {
        p->layers[i].n_inputs = 1;
        p->layers[i].out_bytes = out[i];
    }
    p->layers[0].inputs[0] = -1;
    p->layers[1].inputs[0] = 0;
    p->layers[2].inputs[0] = 1;
    p->layers[3].inputs[0] = 0;
    p->layers[4].n_inputs = 2;
    p->layers[4].inputs[0] = 2;
    p->layers[4].inputs[1] = 3;
    p->layers[5].inputs[0] = 4;
    for (s = 0; s < COMPUTE_SIDE_COUNT; s++) {
        p->copy_bytes_per_s[s] = 1e6;
        for (o = 0; o < 2; o++) {
            set_option(p, s, o, (uint32_t)o, 1, o ? "b" : "a");
            for (i = 0; i < 6; i++)
                set_cost(p, s, o, i, 0.001 * (double)(i + 1 + o), 0.01);
        }
    }
    assert_core_rc(compute_problem_check(p, &err), CORE_OK);
}

static void test_crossing_bytes_at_every_boundary_of_two_orders(void **state)
{
    static const uint16_t order_a[] = {0, 1, 2, 3, 4, 5};
    static const uint16_t order_b[] = {0, 3, 1, 2, 4, 5};
    static const uint8_t option[6] = {0};
    static const double want_a[] = {500, 100, 160, 170, 150, 90, 0};
    static const double want_b[] = {500, 100, 180, 140, 150, 90, 0};
    struct compute_problem p;
    struct compute_plan pl;
    uint32_t k;

    (void)state;
    residual(&p);
    plan_set(&pl, 6, 3, order_a, option);
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
    for (k = 0; k <= 6; k++)
        assert_near(compute_plan_crossing_bytes(&p, &pl, k), want_a[k], 0);
    plan_set(&pl, 6, 2, order_b, option);
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
    for (k = 0; k <= 6; k++)
        assert_near(compute_plan_crossing_bytes(&p, &pl, k), want_b[k], 0);
    compute_problem_fini(&p);
}

/* A tensor read twice by one layer, and the model input read late, count once. */
static void test_crossing_bytes_count_each_tensor_once(void **state)
{
    static const uint16_t order[] = {0, 1, 2, 3, 4, 5};
    static const uint8_t option[6] = {0};
    struct compute_problem p;
    struct compute_plan pl;

    (void)state;
    residual(&p);
    p.layers[4].inputs[1] = 2; /* add(2, 2) */
    p.layers[3].inputs[0] = -1; /* the downsample reads the input */
    p.layers[4].n_inputs = 3;
    p.layers[4].inputs[2] = 3;
    p.layers[1].n_inputs = 2;
    p.layers[1].inputs[1] = -1;
    assert_core_rc(compute_problem_check(&p, &err), CORE_OK);
    plan_set(&pl, 6, 6, order, option);
    /* boundary 3: input (read by 3), L2 (read twice by 4) */
    assert_near(compute_plan_crossing_bytes(&p, &pl, 3), 500 + 70, 0);
    /* boundary 2: input (by 3), L1 (by 2); L0 has no later reader */
    assert_near(compute_plan_crossing_bytes(&p, &pl, 2), 500 + 60, 0);
    compute_problem_fini(&p);
}

static void test_segments_sum_to_the_cost(void **state)
{
    static const uint16_t order[] = {0, 3, 1, 2, 4, 5};
    static const uint8_t option[] = {0, 1, 0, 0, 0, 1}; /* by layer */
    struct compute_problem p;
    struct compute_state s;
    struct compute_plan pl;
    struct compute_plan_cost c;
    struct compute_segment seg[6];
    double t[COMPUTE_SIDE_COUNT] = {0, 0}, en[COMPUTE_SIDE_COUNT] = {0, 0};
    size_t n, i;
    uint32_t count = 0;

    (void)state;
    residual(&p);
    p.copy_latency_s[COMPUTE_SIDE_UE] = 0.002;
    p.copy_power_w[COMPUTE_SIDE_UE] = 3;
    p.copy_power_w[COMPUTE_SIDE_EDGE] = 7;
    state3(&s);
    /* order 0(a) 3(a) 1(b) | 2(a) 4(a) 5(b) */
    plan_set(&pl, 6, 3, order, option);
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
    compute_plan_cost(&p, &s, &pl, &c);
    n = compute_plan_segments(&p, &pl, seg);
    assert_int_equal(n, 4);
    for (i = 0; i < n; i++) {
        t[seg[i].side] += seg[i].copy_s + seg[i].compute_s;
        en[seg[i].side] += seg[i].energy_j;
        assert_int_equal(seg[i].first, count);
        count += seg[i].count;
    }
    assert_int_equal(count, 6);
    assert_int_equal(seg[0].side, COMPUTE_SIDE_UE);
    assert_int_equal(seg[1].side, COMPUTE_SIDE_UE);
    assert_int_equal(seg[2].side, COMPUTE_SIDE_EDGE);
    assert_true(seg[0].copy_s == 0 && seg[2].copy_s == 0);
    assert_rel(seg[1].copy_s, 0.002 + 180 / 1e6); /* boundary 2 of order_b */
    assert_rel(seg[3].copy_s, 90 / 1e6);          /* boundary 5 */
    assert_rel(t[COMPUTE_SIDE_UE], c.ue_compute_s);
    assert_rel(t[COMPUTE_SIDE_EDGE], c.edge_compute_s);
    assert_rel(en[COMPUTE_SIDE_EDGE], c.edge_energy_j);
    assert_rel(en[COMPUTE_SIDE_UE] + s.ul_power_w * c.uplink_s + s.dl_power_w * c.downlink_s,
               c.ue_energy_j);
    compute_problem_fini(&p);
}

/* compute_plan_segment_at gives, at every position, the segment holding it
 * exactly as compute_plan_segments does (the same sums in the same order),
 * and compute_plan_n_segments their count. */
static void test_segment_at_is_the_segments_entry_bit_for_bit(void **state)
{
    static const uint16_t order[] = {0, 3, 1, 2, 4, 5};
    static const uint8_t option[] = {0, 1, 0, 0, 0, 1}; /* by layer */
    struct compute_problem p;
    struct compute_plan pl;
    struct compute_segment seg[6], one;
    size_t n, i;

    (void)state;
    residual(&p);
    p.copy_latency_s[COMPUTE_SIDE_UE] = 0.002;
    p.copy_power_w[COMPUTE_SIDE_UE] = 3;
    p.copy_power_w[COMPUTE_SIDE_EDGE] = 7;
    plan_set(&pl, 6, 3, order, option);
    assert_core_rc(compute_plan_check(&p, &pl, true, &err), CORE_OK);
    n = compute_plan_segments(&p, &pl, seg);
    assert_int_equal(compute_plan_n_segments(&pl), n);
    for (i = 0; i < n; i++)
        for (uint32_t k = seg[i].first; k < seg[i].first + seg[i].count; k++) {
            compute_plan_segment_at(&p, &pl, k, &one);
            if (memcmp(&one, &seg[i], sizeof(one)) != 0) {
                print_error("position %u: segment (%u, %u, copy %.17g, compute %.17g, energy "
                            "%.17g), want (%u, %u, %.17g, %.17g, %.17g)\n",
                            k, one.first, one.count, one.copy_s, one.compute_s, one.energy_j,
                            seg[i].first, seg[i].count, seg[i].copy_s, seg[i].compute_s,
                            seg[i].energy_j);
                fail();
            }
        }
    compute_problem_fini(&p);
}

static void test_alloc_text_lists_segments_by_position(void **state)
{
    static const uint16_t order[] = {0, 1, 2};
    static const uint8_t split[] = {1, 0, 1};
    static const uint8_t local[] = {1, 1, 0};
    struct compute_problem p;
    struct compute_plan pl;
    char buf[64];

    (void)state;
    chain3(&p);
    plan_set(&pl, 3, 1, order, split);
    assert_int_equal(compute_plan_alloc_text(&p, &pl, COMPUTE_SIDE_UE, buf, sizeof(buf)), 7);
    assert_string_equal(buf, "npu:0-0");
    assert_int_equal(compute_plan_alloc_text(&p, &pl, COMPUTE_SIDE_EDGE, buf, sizeof(buf)), 17);
    assert_string_equal(buf, "cpu:8:1-1,gpu:2-2");
    plan_set(&pl, 3, 3, order, local);
    compute_plan_alloc_text(&p, &pl, COMPUTE_SIDE_UE, buf, sizeof(buf));
    assert_string_equal(buf, "npu:0-1,cpu:4:2-2");
    assert_int_equal(compute_plan_alloc_text(&p, &pl, COMPUTE_SIDE_EDGE, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    /* truncated like snprintf, the needed length returned */
    assert_int_equal(compute_plan_alloc_text(&p, &pl, COMPUTE_SIDE_UE, buf, 6), 17);
    assert_string_equal(buf, "npu:0");
    assert_int_equal(compute_plan_alloc_text(&p, &pl, COMPUTE_SIDE_UE, NULL, 0), 17);
    /* an empty label prints the option's index */
    p.options[COMPUTE_SIDE_UE][1].label[0] = '\0';
    compute_plan_alloc_text(&p, &pl, COMPUTE_SIDE_UE, buf, sizeof(buf));
    assert_string_equal(buf, "1:0-1,cpu:4:2-2");
    compute_problem_fini(&p);
}

static void test_plan_equal_compares_cut_order_and_options(void **state)
{
    static const uint16_t order[] = {0, 1, 2};
    static const uint16_t order_b[] = {0, 2, 1};
    static const uint8_t opt[] = {1, 0, 1};
    static const uint8_t opt_b[] = {1, 0, 0};
    struct compute_plan a, b;

    (void)state;
    plan_set(&a, 3, 1, order, opt);
    plan_set(&b, 3, 1, order, opt);
    b.option[3] = 7; /* past n_layers: does not count */
    assert_true(compute_plan_equal(&a, &b));
    plan_set(&b, 3, 2, order, opt);
    assert_false(compute_plan_equal(&a, &b));
    plan_set(&b, 3, 1, order_b, opt);
    assert_false(compute_plan_equal(&a, &b));
    plan_set(&b, 3, 1, order, opt_b);
    assert_false(compute_plan_equal(&a, &b));
    plan_set(&b, 2, 1, order, opt);
    assert_false(compute_plan_equal(&a, &b));
}

static void test_problem_init_rejects_bad_sizes(void **state)
{
    struct compute_problem p;
    unsigned long k;
    enum core_rc rc;

    (void)state;
    assert_core_rc(compute_problem_init(&p, 0, 1, 1, &err), CORE_E_INPUT);
    assert_core_rc(compute_problem_init(&p, COMPUTE_PLAN_MAX_LAYERS + 1, 1, 1, &err),
                   CORE_E_INPUT);
    assert_core_rc(compute_problem_init(&p, 3, 0, 1, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "ue side"));
    assert_core_rc(compute_problem_init(&p, 3, 1, COMPUTE_PLAN_MAX_OPTIONS + 1, &err),
                   CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "edge side"));
    compute_problem_fini(&p); /* a zeroed problem: no-op */
    for (k = 1; k <= 5; k++) {
        core_alloc_fail_after(k);
        rc = compute_problem_init(&p, 3, 2, 2, &err);
        core_alloc_fail_after(0);
        assert_core_rc(rc, CORE_E_NOMEM);
        assert_null(p.layers);
    }
    core_alloc_fail_after(6);
    assert_core_rc(compute_problem_init(&p, 3, 2, 2, &err), CORE_OK);
    core_alloc_fail_after(0);
    compute_problem_fini(&p);
}

/* Each fault of compute_problem_check, made on a fresh chain3. */
static void test_problem_check_names_every_fault(void **state)
{
    static const char *const want[] = {
        "has 0 inputs",  "reads 1",          "reads -2",        "output of -1",
        "takes 0 s",     "takes nan",        "costs -1 J",      "supported by no option",
        "read by no",    "copy bandwidth",   "copy latency",    "copy power",
        "default option", "model input",     "message header",  "options, expected",
        "layers, expected",
    };
    struct compute_problem p;
    size_t f;

    (void)state;
    for (f = 0; f < ARRAY_LEN(want); f++) {
        chain3(&p);
        switch (f) {
        case 0: p.layers[1].n_inputs = 0; break;
        case 1: p.layers[1].inputs[0] = 1; break;
        case 2: p.layers[1].inputs[0] = -2; break;
        case 3: p.layers[1].out_bytes = -1; break;
        case 4: set_cost(&p, COMPUTE_SIDE_EDGE, 1, 2, 0, 0); break;
        case 5: set_cost(&p, COMPUTE_SIDE_EDGE, 1, 2, NAN, 0); break;
        case 6: set_cost(&p, COMPUTE_SIDE_UE, 0, 1, 0.02, -1); break;
        case 7:
            set_cost(&p, COMPUTE_SIDE_UE, 0, 2, INFINITY, 0);
            set_cost(&p, COMPUTE_SIDE_EDGE, 0, 2, INFINITY, 0);
            set_cost(&p, COMPUTE_SIDE_EDGE, 1, 2, INFINITY, 0);
            break;
        case 8: p.layers[2].inputs[0] = 0; break; /* L1 unused */
        case 9: p.copy_bytes_per_s[COMPUTE_SIDE_EDGE] = 0; break;
        case 10: p.copy_latency_s[COMPUTE_SIDE_UE] = -1; break;
        case 11: p.copy_power_w[COMPUTE_SIDE_UE] = INFINITY; break;
        case 12: p.default_option[COMPUTE_SIDE_EDGE] = 2; break;
        case 13: p.input_bytes = 0; break;
        case 14: p.msg_header_bytes = -1; break;
        case 15: p.n_options[COMPUTE_SIDE_UE] = 0; break;
        case 16: p.n_layers = 0; break;
        }
        assert_core_rc(compute_problem_check(&p, &err), CORE_E_INPUT);
        if (!strstr(err.msg, want[f])) {
            print_error("fault %zu: message '%s' lacks '%s'\n", f, err.msg, want[f]);
            fail();
        }
        p.n_layers = 3;
        compute_problem_fini(&p);
    }
}

/* Each fault of compute_plan_check. */
static void test_plan_check_names_every_fault(void **state)
{
    static const char *const want[] = {
        "plan of 2 layers", "more than its",      "not available",   "expected < 3",
        "at positions",     "runs before its input", "has ue option 2", "not supported",
    };
    static const uint16_t order[] = {0, 1, 2};
    static const uint8_t option[] = {1, 0, 1};
    struct compute_problem p;
    struct compute_plan pl;
    size_t f;

    (void)state;
    chain3(&p);
    for (f = 0; f < ARRAY_LEN(want); f++) {
        bool edge_ok = true;

        plan_set(&pl, 3, 1, order, option);
        switch (f) {
        case 0: pl.n_layers = 2; break;
        case 1: pl.n_ue = 4; break;
        case 2: edge_ok = false; break;
        case 3: pl.order[2] = 3; break;
        case 4: pl.order[2] = 1; break;
        case 5: pl.order[0] = 1; pl.order[1] = 0; pl.n_ue = 0; break;
        case 6: pl.option[0] = 2; break;
        case 7: pl.n_ue = 3; pl.option[1] = 1; pl.option[2] = 1; break;
        }
        assert_core_rc(compute_plan_check(&p, &pl, edge_ok, &err), CORE_E_INPUT);
        if (!strstr(err.msg, want[f])) {
            print_error("fault %zu: message '%s' lacks '%s'\n", f, err.msg, want[f]);
            fail();
        }
    }
    compute_problem_fini(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_side_names_are_stable),
        TEST(test_cost_of_split_plan_matches_hand_sum),
        TEST(test_cost_of_local_plan_copies_between_resources),
        TEST(test_cost_of_edge_plan_sends_the_input),
        TEST(test_same_resource_other_amount_waits_but_copies_nothing),
        TEST(test_infinite_wait_makes_objective_infinite),
        TEST(test_crossing_bytes_at_every_boundary_of_two_orders),
        TEST(test_crossing_bytes_count_each_tensor_once),
        TEST(test_segments_sum_to_the_cost),
        TEST(test_segment_at_is_the_segments_entry_bit_for_bit),
        TEST(test_alloc_text_lists_segments_by_position),
        TEST(test_plan_equal_compares_cut_order_and_options),
        TEST(test_problem_init_rejects_bad_sizes),
        TEST(test_problem_check_names_every_fault),
        TEST(test_plan_check_names_every_fault),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
