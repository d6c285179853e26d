/*
 * test_pathloss.c — TR 38.901 path loss (table 7.4.1-1) and LOS probability
 * (table 7.4.2-1) against known answers computed independently from the
 * formula text (Python, double precision) at distances on both sides of the
 * breakpoint, the scenario constants, the h_E draw and every range error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "radio/radio.h"

struct pl_case {
    enum radio_scenario sc;
    double carrier_hz, d2d_m, h_bs_m, h_ut_m, h_e_m;
    bool los;
    double want_db;
};

/* UMa at 3.5 GHz, h_BS 25 m, h_UT 1.5 m: d'BP = 560 m. UMi at 3.5 GHz, h_BS
 * 10 m: d'BP = 210 m. UMa with h_UT 20 m, h_E 12 m at 28 GHz. InH at 28 GHz. */
static const struct pl_case pl_cases[] = {
    {RADIO_SCENARIO_UMA, 3.5e9, 50, 25, 1.5, 1, true, 77.212182013},
    {RADIO_SCENARIO_UMA, 3.5e9, 50, 25, 1.5, 1, false, 92.510837688},
    {RADIO_SCENARIO_UMA, 3.5e9, 300, 25, 1.5, 1, true, 93.407252592},
    {RADIO_SCENARIO_UMA, 3.5e9, 300, 25, 1.5, 1, false, 121.279172152},
    {RADIO_SCENARIO_UMA, 3.5e9, 559, 25, 1.5, 1, true, 99.332856059},
    {RADIO_SCENARIO_UMA, 3.5e9, 559, 25, 1.5, 1, false, 131.805198675},
    {RADIO_SCENARIO_UMA, 3.5e9, 561, 25, 1.5, 1, true, 99.380841790},
    {RADIO_SCENARIO_UMA, 3.5e9, 561, 25, 1.5, 1, false, 131.865707284},
    {RADIO_SCENARIO_UMA, 3.5e9, 1000, 25, 1.5, 1, true, 109.411894775},
    {RADIO_SCENARIO_UMA, 3.5e9, 1000, 25, 1.5, 1, false, 141.666046050},
    {RADIO_SCENARIO_UMA, 3.5e9, 3000, 25, 1.5, 1, true, 128.492482464},
    {RADIO_SCENARIO_UMA, 3.5e9, 3000, 25, 1.5, 1, false, 160.307780223},
    {RADIO_SCENARIO_UMA, 28e9, 100, 25, 20, 12, true, 100.955088821},
    {RADIO_SCENARIO_UMA, 28e9, 100, 25, 20, 12, false, 109.564349437},
    {RADIO_SCENARIO_UMA, 28e9, 800, 25, 20, 12, true, 120.811326948},
    {RADIO_SCENARIO_UMA, 28e9, 800, 25, 20, 12, false, 144.836248801},
    {RADIO_SCENARIO_UMI, 3.5e9, 30, 10, 1.5, 1, true, 74.653029381},
    {RADIO_SCENARIO_UMI, 3.5e9, 30, 10, 1.5, 1, false, 86.722930194},
    {RADIO_SCENARIO_UMI, 3.5e9, 150, 10, 1.5, 1, true, 88.993896830},
    {RADIO_SCENARIO_UMI, 3.5e9, 150, 10, 1.5, 1, false, 110.829245477},
    {RADIO_SCENARIO_UMI, 3.5e9, 209, 10, 1.5, 1, true, 92.011969226},
    {RADIO_SCENARIO_UMI, 3.5e9, 209, 10, 1.5, 1, false, 115.902481458},
    {RADIO_SCENARIO_UMI, 3.5e9, 211, 10, 1.5, 1, true, 92.137822939},
    {RADIO_SCENARIO_UMI, 3.5e9, 211, 10, 1.5, 1, false, 116.048249406},
    {RADIO_SCENARIO_UMI, 3.5e9, 400, 10, 1.5, 1, true, 103.238761423},
    {RADIO_SCENARIO_UMI, 3.5e9, 400, 10, 1.5, 1, false, 125.844827618},
    {RADIO_SCENARIO_UMI, 3.5e9, 1000, 10, 1.5, 1, true, 119.153067966},
    {RADIO_SCENARIO_UMI, 3.5e9, 1000, 10, 1.5, 1, false, 139.889203142},
    {RADIO_SCENARIO_INH_MIXED, 28e9, 2, 3, 1, 1, true, 69.154889014},
    {RADIO_SCENARIO_INH_MIXED, 28e9, 2, 3, 1, 1, false, 70.628408231},
    {RADIO_SCENARIO_INH_MIXED, 28e9, 5, 3, 1, 1, true, 73.992903309},
    {RADIO_SCENARIO_INH_MIXED, 28e9, 5, 3, 1, 1, false, 81.339156640},
    {RADIO_SCENARIO_INH_OPEN, 28e9, 50, 3, 1, 1, true, 90.741347534},
    {RADIO_SCENARIO_INH_OPEN, 28e9, 50, 3, 1, 1, false, 118.418082295},
    {RADIO_SCENARIO_INH_OPEN, 28e9, 120, 3, 1, 1, true, 97.314039552},
    {RADIO_SCENARIO_INH_OPEN, 28e9, 120, 3, 1, 1, false, 132.969186589},
};

static void test_pathloss_matches_tr38901_known_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(pl_cases); i++) {
        const struct pl_case *c = &pl_cases[i];
        struct radio_pl_args a = {c->sc, c->carrier_hz, c->d2d_m, c->h_bs_m,
                                  c->h_ut_m, c->h_e_m, c->los};
        struct core_err e = {0};
        double pl_db = NAN;

        assert_int_equal(radio_pathloss_db(&a, &pl_db, &e), CORE_OK);
        if (fabs(pl_db - c->want_db) > 1e-6) {
            print_error("case %zu (%s d2D=%g m %s): PL %.9f dB, want %.9f dB\n", i,
                        radio_scenario_name(c->sc), c->d2d_m, c->los ? "LOS" : "NLOS", pl_db,
                        c->want_db);
            fail();
        }
    }
}

/* The precomputed-terms path (radio_pl_ctx_*) gives radio_pathloss_db's
 * values bit for bit: every scenario, both LOS states, several carriers and
 * heights (UMa's h_E above 1 m among them), distances across the whole range
 * and both sides of the breakpoint. */
static void test_pathloss_ctx_matches_pathloss_bit_for_bit(void **state)
{
    const struct {
        enum radio_scenario sc;
        double carrier_hz, h_bs_m, h_ut_m, h_e_m, d_lo_m, d_hi_m;
    } links[] = {
        {RADIO_SCENARIO_UMI, 3.5e9, 10, 1.5, 1, 10, 5000},
        {RADIO_SCENARIO_UMI, 28e9, 10, 2.5, 1, 10, 5000},
        {RADIO_SCENARIO_UMA, 3.5e9, 25, 1.5, 1, 10, 5000},
        {RADIO_SCENARIO_UMA, 2.1e9, 25, 18, 12, 10, 5000},
        {RADIO_SCENARIO_UMA, 3.5e9, 30, 22.5, 15, 10, 5000},
        {RADIO_SCENARIO_INH_MIXED, 3.5e9, 3, 1, 1, 1, 149},
        {RADIO_SCENARIO_INH_OPEN, 28e9, 3, 2, 1, 1, 149},
    };

    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(links); i++) {
        struct radio_pl_args a = {links[i].sc, links[i].carrier_hz, 0.0, links[i].h_bs_m,
                                  links[i].h_ut_m, links[i].h_e_m, false};
        struct radio_pl_ctx c;

        assert_int_equal(radio_pl_ctx_init(&a, &c, NULL), CORE_OK);
        for (int k = 0; k <= 4000; k++) {
            double d_m = links[i].d_lo_m +
                         (links[i].d_hi_m - links[i].d_lo_m) * pow((double)k / 4000.0, 2.0);

            for (int los = 0; los < 2; los++) {
                double want_db;

                a.d2d_m = d_m;
                a.los = los;
                assert_int_equal(radio_pathloss_db(&a, &want_db, NULL), CORE_OK);
                if (radio_pl_ctx_db(&c, d_m, los) != want_db) {
                    print_error("link %zu at %.17g m %s: %.17g dB, want %.17g dB\n", i, d_m,
                                los ? "LOS" : "NLOS", radio_pl_ctx_db(&c, d_m, los), want_db);
                    fail();
                }
            }
        }
    }
}

static void test_pathloss_los_continuous_at_breakpoint(void **state)
{
    /* UMa LOS PL1 and PL2 meet at d'BP (560 m at 3.5 GHz): the standard's two
     * pieces agree there to well under 0.1 dB. */
    struct radio_pl_args a = {RADIO_SCENARIO_UMA, 3.5e9, 559.999, 25, 1.5, 1, true};
    double below_db, above_db;

    (void)state;
    assert_int_equal(radio_pathloss_db(&a, &below_db, NULL), CORE_OK);
    a.d2d_m = 560.001;
    assert_int_equal(radio_pathloss_db(&a, &above_db, NULL), CORE_OK);
    if (fabs(above_db - below_db) > 0.1) {
        print_error("jump at breakpoint: %.4f -> %.4f dB\n", below_db, above_db);
        fail();
    }
}

struct los_case {
    enum radio_scenario sc;
    double d2d_m, h_ut_m, want;
};

static const struct los_case los_cases[] = {
    {RADIO_SCENARIO_UMA, 10, 1.5, 1.000000000000},
    {RADIO_SCENARIO_UMA, 18, 1.5, 1.000000000000},
    {RADIO_SCENARIO_UMA, 50, 1.5, 0.649402190334},
    {RADIO_SCENARIO_UMA, 200, 1.5, 0.128047730028},
    {RADIO_SCENARIO_UMA, 1000, 1.5, 0.018000125472},
    {RADIO_SCENARIO_UMA, 50, 20, 0.691983205174},
    {RADIO_SCENARIO_UMA, 200, 20, 0.325726320045},
    {RADIO_SCENARIO_UMI, 10, 1.5, 1.000000000000},
    {RADIO_SCENARIO_UMI, 18, 1.5, 1.000000000000},
    {RADIO_SCENARIO_UMI, 50, 1.5, 0.519585413617},
    {RADIO_SCENARIO_UMI, 200, 1.5, 0.093517987327},
    {RADIO_SCENARIO_INH_MIXED, 1, 1, 1.000000000000},
    {RADIO_SCENARIO_INH_MIXED, 3, 1, 0.681827406098},
    {RADIO_SCENARIO_INH_MIXED, 6.5, 1, 0.320000000000},
    {RADIO_SCENARIO_INH_MIXED, 20, 1, 0.211496947624},
    {RADIO_SCENARIO_INH_OPEN, 4, 1, 1.000000000000},
    {RADIO_SCENARIO_INH_OPEN, 20, 1, 0.809074395132},
    {RADIO_SCENARIO_INH_OPEN, 49, 1, 0.537154816815},
    {RADIO_SCENARIO_INH_OPEN, 100, 1, 0.424393968907},
};

static void test_los_probability_matches_tr38901_known_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(los_cases); i++) {
        const struct los_case *c = &los_cases[i];
        double p = radio_los_probability(c->sc, c->d2d_m, c->h_ut_m);

        if (fabs(p - c->want) > 1e-9) {
            print_error("case %zu (%s d2D=%g m h_UT=%g m): P_LOS %.12f, want %.12f\n", i,
                        radio_scenario_name(c->sc), c->d2d_m, c->h_ut_m, p, c->want);
            fail();
        }
    }
}

static void test_scenario_constants_match_tables(void **state)
{
    (void)state;
    assert_true(radio_shadow_sd_db(RADIO_SCENARIO_UMA, true) == 4.0);
    assert_true(radio_shadow_sd_db(RADIO_SCENARIO_UMA, false) == 6.0);
    assert_true(radio_shadow_sd_db(RADIO_SCENARIO_UMI, false) == 7.82);
    assert_true(radio_shadow_sd_db(RADIO_SCENARIO_INH_MIXED, true) == 3.0);
    assert_true(radio_shadow_sd_db(RADIO_SCENARIO_INH_OPEN, false) == 8.03);
    assert_true(radio_shadow_dcorr_m(RADIO_SCENARIO_UMA, true) == 37.0);
    assert_true(radio_shadow_dcorr_m(RADIO_SCENARIO_UMA, false) == 50.0);
    assert_true(radio_shadow_dcorr_m(RADIO_SCENARIO_UMI, true) == 10.0);
    assert_true(radio_shadow_dcorr_m(RADIO_SCENARIO_UMI, false) == 13.0);
    assert_true(radio_shadow_dcorr_m(RADIO_SCENARIO_INH_MIXED, true) == 10.0);
    assert_true(radio_shadow_dcorr_m(RADIO_SCENARIO_INH_MIXED, false) == 6.0);
    assert_true(radio_default_h_bs_m(RADIO_SCENARIO_UMA) == 25.0);
    assert_true(radio_default_h_bs_m(RADIO_SCENARIO_UMI) == 10.0);
    assert_true(radio_default_h_bs_m(RADIO_SCENARIO_INH_OPEN) == 3.0);
    assert_true(radio_rician_k_db(RADIO_SCENARIO_UMA) == 9.0);
    assert_true(radio_rician_k_db(RADIO_SCENARIO_INH_MIXED) == 7.0);
    assert_string_equal(radio_scenario_name(RADIO_SCENARIO_INH_OPEN), "inh-open");
}

static void test_uma_h_e_is_one_metre_low_and_on_grid_high(void **state)
{
    struct core_rng *r = core_rng_create(7, 0, CORE_RNG_PLACEMENT);
    int n_one = 0, n = 20000;

    (void)state;
    for (int i = 0; i < 100; i++)
        assert_true(radio_uma_h_e_draw(r, 200, 1.5) == 1.0);
    for (int i = 0; i < n; i++) {
        double h = radio_uma_h_e_draw(r, 200, 22.5);

        if (h == 1.0) {
            n_one++;
            continue;
        }
        /* {12, 15, 18, 21} for h_UT = 22.5 m */
        assert_true(h >= 12.0 && h <= 21.0 && fmod(h - 12.0, 3.0) == 0.0);
    }
    /* P(h_E = 1) = 1/(1 + C), C = ((22.5-13)/10)^1.5 * 1.25 (2)^3 e^(-4/3). */
    double c = pow(0.95, 1.5) * 1.25 * 8.0 * exp(-200.0 / 150.0);
    double want = 1.0 / (1.0 + c), got = (double)n_one / n;

    if (fabs(got - want) > 0.015) {
        print_error("P(h_E = 1 m) = %.4f, want %.4f\n", got, want);
        fail();
    }
    core_rng_destroy(r);
}

static void expect_input_error(struct radio_pl_args a, const char *needle)
{
    struct core_err e = {0};
    double pl_db;

    assert_int_equal(radio_pathloss_db(&a, &pl_db, &e), CORE_E_INPUT);
    assert_int_equal(e.rc, CORE_E_INPUT);
    if (!strstr(e.msg, needle)) {
        print_error("message '%s' lacks '%s'\n", e.msg, needle);
        fail();
    }
}

static void test_pathloss_out_of_validity_is_input_error_with_range(void **state)
{
    const struct radio_pl_args uma = {RADIO_SCENARIO_UMA, 3.5e9, 100, 25, 1.5, 1, false};
    const struct radio_pl_args inh = {RADIO_SCENARIO_INH_MIXED, 3.5e9, 10, 3, 1, 1, false};
    struct radio_pl_args a;

    (void)state;
    a = uma; a.carrier_hz = 0.4e9;
    expect_input_error(a, "[0.5, 100] GHz");
    a = uma; a.carrier_hz = 101e9;
    expect_input_error(a, "[0.5, 100] GHz");
    a = uma; a.d2d_m = 9.0;
    expect_input_error(a, "[10, 5000] m");
    a = uma; a.d2d_m = 5001.0;
    expect_input_error(a, "[10, 5000] m");
    a = uma; a.scenario = RADIO_SCENARIO_UMI; a.h_bs_m = 10; a.d2d_m = 6000;
    expect_input_error(a, "[10, 5000] m for umi");
    a = uma; a.h_ut_m = 1.0;
    expect_input_error(a, "[1.5, 22.5] m");
    a = uma; a.h_ut_m = 23.0;
    expect_input_error(a, "[1.5, 22.5] m");
    a = uma; a.h_bs_m = 1.5;
    expect_input_error(a, "must exceed");
    a = uma; a.h_e_m = 0.5;
    expect_input_error(a, "effective environment height");
    a = uma; a.h_e_m = 1.5;
    expect_input_error(a, "effective environment height");
    a = inh; a.d2d_m = 151.0;
    expect_input_error(a, "[1, 150] m");
    a = inh; a.d2d_m = 0.0; a.h_bs_m = 1.5; a.h_ut_m = 1.0;
    expect_input_error(a, "[1, 150] m");
    a = inh; a.h_ut_m = 3.0; a.h_bs_m = 4.0;
    expect_input_error(a, "[1, 2.5] m");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pathloss_matches_tr38901_known_answers),
        cmocka_unit_test(test_pathloss_ctx_matches_pathloss_bit_for_bit),
        cmocka_unit_test(test_pathloss_los_continuous_at_breakpoint),
        cmocka_unit_test(test_los_probability_matches_tr38901_known_answers),
        cmocka_unit_test(test_scenario_constants_match_tables),
        cmocka_unit_test(test_uma_h_e_is_one_metre_low_and_on_grid_high),
        cmocka_unit_test(test_pathloss_out_of_validity_is_input_error_with_range),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
