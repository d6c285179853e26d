/*
 * pathloss.c — 3GPP TR 38.901 (V17) path loss, table 7.4.1-1, and LOS
 * probability, table 7.4.2-1, for UMa, UMi street canyon and InH office; the
 * scenario constants of tables 7.4.1-1 and 7.5-6 (shadow-fading standard
 * deviation, decorrelation distance, Rician K-factor).
 *
 * fc below is the carrier in GHz (the tables' "fc normalised by 1 GHz") and
 * distances are in metres; the breakpoint distance uses the carrier in Hz:
 * d'BP = 4 h'BS h'UT fc_Hz / c with h' = h - h_E. d3D = sqrt(d2D^2 +
 * (h_BS - h_UT)^2). What is implemented, exactly:
 *   UMa LOS   PL1 = 28.0 + 22 log10(d3D) + 20 log10(fc)          10 m <= d2D <= d'BP
 *             PL2 = 28.0 + 40 log10(d3D) + 20 log10(fc)
 *                   - 9 log10(d'BP^2 + (h_BS - h_UT)^2)           d'BP <= d2D <= 5 km
 *   UMa NLOS  max(PL_LOS, 13.54 + 39.08 log10(d3D) + 20 log10(fc) - 0.6 (h_UT - 1.5))
 *   UMi LOS   PL1 = 32.4 + 21 log10(d3D) + 20 log10(fc); PL2 = 32.4 + 40 log10(d3D)
 *                   + 20 log10(fc) - 9.5 log10(d'BP^2 + (h_BS - h_UT)^2); h_E = 1 m
 *   UMi NLOS  max(PL_LOS, 35.3 log10(d3D) + 22.4 + 21.3 log10(fc) - 0.3 (h_UT - 1.5))
 *   InH LOS   32.4 + 17.3 log10(d3D) + 20 log10(fc)                1 m <= d3D <= 150 m
 *   InH NLOS  max(PL_LOS, 38.3 log10(d3D) + 17.30 + 24.9 log10(fc))
 * Heights: UMa/UMi 1.5 m <= h_UT <= 22.5 m; InH 1 m to 2.5 m (the table fixes
 * 1 m; the formulas only see h_UT through d3D). h_BS is the caller's (the
 * defaults are the table's 25, 10, 3 m) and must exceed h_UT.
 */
#include "radio/radio_int.h"

static const char *const scenario_names[] = {"uma", "umi", "inh-mixed", "inh-open"};
static_assert(ARRAY_LEN(scenario_names) == RADIO_SCENARIO_COUNT, "one name per scenario");

/* Per scenario: shadowing sd LOS/NLOS (dB), decorrelation LOS/NLOS (m),
 * default h_BS (m), K-factor mean (dB). */
static const struct {
    double sd_los_db, sd_nlos_db, dcorr_los_m, dcorr_nlos_m, h_bs_m, k_db;
} consts[] = {
    [RADIO_SCENARIO_UMA] = {4.0, 6.0, 37.0, 50.0, 25.0, 9.0},
    [RADIO_SCENARIO_UMI] = {4.0, 7.82, 10.0, 13.0, 10.0, 9.0},
    [RADIO_SCENARIO_INH_MIXED] = {3.0, 8.03, 10.0, 6.0, 3.0, 7.0},
    [RADIO_SCENARIO_INH_OPEN] = {3.0, 8.03, 10.0, 6.0, 3.0, 7.0},
};
static_assert(ARRAY_LEN(consts) == RADIO_SCENARIO_COUNT, "constants for every scenario");

const char *radio_scenario_name(enum radio_scenario sc)
{
    CORE_ASSERT(sc < RADIO_SCENARIO_COUNT);
    return scenario_names[sc];
}

double radio_shadow_sd_db(enum radio_scenario sc, bool los)
{
    CORE_ASSERT(sc < RADIO_SCENARIO_COUNT);
    return los ? consts[sc].sd_los_db : consts[sc].sd_nlos_db;
}

double radio_shadow_dcorr_m(enum radio_scenario sc, bool los)
{
    CORE_ASSERT(sc < RADIO_SCENARIO_COUNT);
    return los ? consts[sc].dcorr_los_m : consts[sc].dcorr_nlos_m;
}

double radio_default_h_bs_m(enum radio_scenario sc)
{
    CORE_ASSERT(sc < RADIO_SCENARIO_COUNT);
    return consts[sc].h_bs_m;
}

double radio_rician_k_db(enum radio_scenario sc)
{
    CORE_ASSERT(sc < RADIO_SCENARIO_COUNT);
    return consts[sc].k_db;
}

static bool is_inh(enum radio_scenario sc)
{
    return sc == RADIO_SCENARIO_INH_MIXED || sc == RADIO_SCENARIO_INH_OPEN;
}

/* The LOS path loss of UMa (a = 28.0, slope1 = 22, bp = 9) or UMi (32.4, 21,
 * 9.5) at d2D, given d'BP. */
static double pl_los_outdoor(double a_db, double slope1, double bp_coef, double fc_ghz,
                             double d2d_m, double d3d_m, double dbp_m, double dh_m)
{
    if (d2d_m <= dbp_m)
        return a_db + slope1 * log10(d3d_m) + 20.0 * log10(fc_ghz);
    return a_db + 40.0 * log10(d3d_m) + 20.0 * log10(fc_ghz) -
           bp_coef * log10(dbp_m * dbp_m + dh_m * dh_m);
}

enum core_rc radio_pathloss_db(const struct radio_pl_args *a, double *pl_db, struct core_err *e)
{
    double fc_ghz = a->carrier_hz / 1e9;
    double dh_m = a->h_bs_m - a->h_ut_m;
    double d3d_m = sqrt(a->d2d_m * a->d2d_m + dh_m * dh_m);
    const char *name = radio_scenario_name(a->scenario);
    double los_db, nlos_db;

    if (!(fc_ghz >= 0.5 && fc_ghz <= 100.0))
        return core_err(e, CORE_E_INPUT,
                        "carrier frequency %g GHz is out of range [0.5, 100] GHz (TR 38.901)",
                        fc_ghz);
    if (is_inh(a->scenario)) {
        if (!(a->h_ut_m >= 1.0 && a->h_ut_m <= 2.5))
            return core_err(e, CORE_E_INPUT, "UE height %g m is out of range [1, 2.5] m for %s",
                            a->h_ut_m, name);
    } else if (!(a->h_ut_m >= 1.5 && a->h_ut_m <= 22.5)) {
        return core_err(e, CORE_E_INPUT, "UE height %g m is out of range [1.5, 22.5] m for %s",
                        a->h_ut_m, name);
    }
    if (!(dh_m > 0.0) || !isfinite(a->h_bs_m))
        return core_err(e, CORE_E_INPUT,
                        "BS height %g m must exceed the UE height %g m for %s", a->h_bs_m,
                        a->h_ut_m, name);

    switch (a->scenario) {
    case RADIO_SCENARIO_UMA:
    case RADIO_SCENARIO_UMI: {
        bool uma = a->scenario == RADIO_SCENARIO_UMA;
        double h_e_m = uma ? a->h_e_m : 1.0;

        if (!(a->d2d_m >= 10.0 && a->d2d_m <= 5000.0))
            return core_err(e, CORE_E_INPUT,
                            "2D distance %g m is out of range [10, 5000] m for %s", a->d2d_m,
                            name);
        if (uma && !(h_e_m >= 1.0 && h_e_m < a->h_ut_m))
            return core_err(e, CORE_E_INPUT,
                            "effective environment height %g m is out of range [1, %g) m for uma",
                            h_e_m, a->h_ut_m);
        double dbp_m = 4.0 * (a->h_bs_m - h_e_m) * (a->h_ut_m - h_e_m) * a->carrier_hz /
                       RADIO_SPEED_OF_LIGHT_MPS;

        if (uma) {
            los_db = pl_los_outdoor(28.0, 22.0, 9.0, fc_ghz, a->d2d_m, d3d_m, dbp_m, dh_m);
            nlos_db = 13.54 + 39.08 * log10(d3d_m) + 20.0 * log10(fc_ghz) -
                      0.6 * (a->h_ut_m - 1.5);
        } else {
            los_db = pl_los_outdoor(32.4, 21.0, 9.5, fc_ghz, a->d2d_m, d3d_m, dbp_m, dh_m);
            nlos_db = 35.3 * log10(d3d_m) + 22.4 + 21.3 * log10(fc_ghz) -
                      0.3 * (a->h_ut_m - 1.5);
        }
        break;
    }
    case RADIO_SCENARIO_INH_MIXED:
    case RADIO_SCENARIO_INH_OPEN:
        if (!(d3d_m >= 1.0 && d3d_m <= 150.0))
            return core_err(e, CORE_E_INPUT,
                            "3D distance %g m is out of range [1, 150] m for %s", d3d_m, name);
        los_db = 32.4 + 17.3 * log10(d3d_m) + 20.0 * log10(fc_ghz);
        nlos_db = 38.3 * log10(d3d_m) + 17.30 + 24.9 * log10(fc_ghz);
        break;
    default:
        CORE_ASSERT(!"unknown scenario");
    }
    *pl_db = a->los ? los_db : fmax(los_db, nlos_db);
    return CORE_OK;
}

/* ---- the same path loss, its distance-free terms computed once ------------- */

enum core_rc radio_pl_ctx_init(const struct radio_pl_args *a, struct radio_pl_ctx *c,
                               struct core_err *e)
{
    struct radio_pl_args probe = *a;
    double pl_db, fc_ghz = a->carrier_hz / 1e9;
    enum core_rc rc;

    /* Every check but the distance's, with radio_pathloss_db's messages: at
     * a distance every scenario accepts. */
    probe.d2d_m = is_inh(a->scenario) ? 10.0 : 100.0;
    rc = radio_pathloss_db(&probe, &pl_db, e);
    if (rc != CORE_OK)
        return rc;
    *c = (struct radio_pl_ctx){.scenario = a->scenario, .dh_m = a->h_bs_m - a->h_ut_m};
    switch (a->scenario) {
    case RADIO_SCENARIO_UMA:
    case RADIO_SCENARIO_UMI: {
        bool uma = a->scenario == RADIO_SCENARIO_UMA;
        double h_e_m = uma ? a->h_e_m : 1.0;

        c->dbp_m = 4.0 * (a->h_bs_m - h_e_m) * (a->h_ut_m - h_e_m) * a->carrier_hz /
                   RADIO_SPEED_OF_LIGHT_MPS;
        c->fc_term_db = 20.0 * log10(fc_ghz);
        c->bp_term_db = (uma ? 9.0 : 9.5) * log10(c->dbp_m * c->dbp_m + c->dh_m * c->dh_m);
        c->nlos_fc_term_db = uma ? 20.0 * log10(fc_ghz) : 21.3 * log10(fc_ghz);
        c->h_term_db = uma ? 0.6 * (a->h_ut_m - 1.5) : 0.3 * (a->h_ut_m - 1.5);
        break;
    }
    case RADIO_SCENARIO_INH_MIXED:
    case RADIO_SCENARIO_INH_OPEN:
        c->fc_term_db = 20.0 * log10(fc_ghz);
        c->nlos_fc_term_db = 24.9 * log10(fc_ghz);
        break;
    default:
        CORE_ASSERT(!"unknown scenario");
    }
    return CORE_OK;
}

/* The expressions are radio_pathloss_db's, term for term and in its order,
 * with the distance-free terms read from c: C without contraction (-std=c11)
 * evaluates them to the same bits. */
double radio_pl_ctx_db(const struct radio_pl_ctx *c, double d2d_m, bool los)
{
    double d3d_m = sqrt(d2d_m * d2d_m + c->dh_m * c->dh_m), lg = log10(d3d_m);
    double los_db, nlos_db;

    switch (c->scenario) {
    case RADIO_SCENARIO_UMA:
        CORE_ASSERT(d2d_m >= 10.0 && d2d_m <= 5000.0);
        los_db = d2d_m <= c->dbp_m ? 28.0 + 22.0 * lg + c->fc_term_db
                                   : 28.0 + 40.0 * lg + c->fc_term_db - c->bp_term_db;
        if (los)
            return los_db;
        nlos_db = 13.54 + 39.08 * lg + c->nlos_fc_term_db - c->h_term_db;
        break;
    case RADIO_SCENARIO_UMI:
        CORE_ASSERT(d2d_m >= 10.0 && d2d_m <= 5000.0);
        los_db = d2d_m <= c->dbp_m ? 32.4 + 21.0 * lg + c->fc_term_db
                                   : 32.4 + 40.0 * lg + c->fc_term_db - c->bp_term_db;
        if (los)
            return los_db;
        nlos_db = 35.3 * lg + 22.4 + c->nlos_fc_term_db - c->h_term_db;
        break;
    case RADIO_SCENARIO_INH_MIXED:
    case RADIO_SCENARIO_INH_OPEN:
        CORE_ASSERT(d3d_m >= 1.0 && d3d_m <= 150.0);
        los_db = 32.4 + 17.3 * lg + c->fc_term_db;
        if (los)
            return los_db;
        nlos_db = 38.3 * lg + 17.30 + c->nlos_fc_term_db;
        break;
    default:
        CORE_ASSERT(!"unknown scenario");
        return 0.0;
    }
    return fmax(los_db, nlos_db);
}

/* UMa's C'(h_UT) of the LOS probability (and of C(d2D, h_UT) for h_E). */
static double uma_c_hut(double h_ut_m)
{
    if (h_ut_m <= 13.0)
        return 0.0;
    return pow((h_ut_m - 13.0) / 10.0, 1.5);
}

double radio_los_probability(enum radio_scenario sc, double d2d_m, double h_ut_m)
{
    switch (sc) {
    case RADIO_SCENARIO_UMA:
        if (d2d_m <= 18.0)
            return 1.0;
        return (18.0 / d2d_m + exp(-d2d_m / 63.0) * (1.0 - 18.0 / d2d_m)) *
               (1.0 + uma_c_hut(h_ut_m) * 1.25 * pow(d2d_m / 100.0, 3.0) *
                          exp(-d2d_m / 150.0));
    case RADIO_SCENARIO_UMI:
        if (d2d_m <= 18.0)
            return 1.0;
        return 18.0 / d2d_m + exp(-d2d_m / 36.0) * (1.0 - 18.0 / d2d_m);
    case RADIO_SCENARIO_INH_MIXED:
        if (d2d_m <= 1.2)
            return 1.0;
        if (d2d_m < 6.5)
            return exp(-(d2d_m - 1.2) / 4.7);
        return exp(-(d2d_m - 6.5) / 32.6) * 0.32;
    case RADIO_SCENARIO_INH_OPEN:
        if (d2d_m <= 5.0)
            return 1.0;
        if (d2d_m <= 49.0)
            return exp(-(d2d_m - 5.0) / 70.8);
        return exp(-(d2d_m - 49.0) / 211.7) * 0.54;
    default:
        CORE_ASSERT(!"unknown scenario");
    }
    return 0.0;
}

double radio_uma_h_e_draw(struct core_rng *r, double d2d_m, double h_ut_m)
{
    double g = d2d_m <= 18.0 ? 0.0 : 1.25 * pow(d2d_m / 100.0, 3.0) * exp(-d2d_m / 150.0);
    double c = h_ut_m < 13.0 ? 0.0 : pow((h_ut_m - 13.0) / 10.0, 1.5) * g;

    if (c == 0.0 || core_rng_uniform(r) < 1.0 / (1.0 + c))
        return 1.0;
    /* Uniform on {12, 15, ..., h_UT - 1.5}. */
    double steps = floor((h_ut_m - 1.5 - 12.0) / 3.0);
    uint64_t n = steps > 0.0 ? (uint64_t)steps + 1 : 1;

    return 12.0 + 3.0 * (double)core_rng_below(r, n);
}
