/*
 * shadowing.c — log-normal shadowing correlated along the UE's path.
 *
 * Gudmundson's exponential model (Electronics Letters 1991), as TR 38.901
 * clause 7.6.3.1 uses for spatial consistency: two points delta metres apart
 * have correlation exp(-delta / d_corr). Sampled at the points the UE passes,
 * that is an AR(1) process in distance, whose marginal stays N(0, sd^2).
 *
 * A world of many links moving together (every site link of one UE moves the
 * same distance) computes the step's coefficients once per distance and
 * decorrelation distance (radio_shadow_step_for) and advances each link's
 * value with them (radio_shadow_advance): the same arithmetic as
 * radio_shadow_move, so the same bits.
 */
#include "radio/radio_int.h"

void radio_shadow_init(struct radio_shadow *s, double sd_db, double dcorr_m, struct core_rng *r)
{
    CORE_ASSERT(sd_db >= 0.0 && dcorr_m > 0.0);
    s->sd_db = sd_db;
    s->dcorr_m = dcorr_m;
    s->value_db = core_rng_normal(r, 0.0, sd_db);
}

double radio_shadow_move(struct radio_shadow *s, double distance_m, struct core_rng *r)
{
    CORE_ASSERT(distance_m >= 0.0);
    if (distance_m == 0.0)
        return s->value_db;
    double rho = exp(-distance_m / s->dcorr_m);

    s->value_db = rho * s->value_db + sqrt(1.0 - rho * rho) * core_rng_normal(r, 0.0, s->sd_db);
    return s->value_db;
}

struct radio_shadow_step radio_shadow_step_for(double distance_m, double dcorr_m)
{
    CORE_ASSERT(distance_m > 0.0 && dcorr_m > 0.0);
    double rho = exp(-distance_m / dcorr_m);

    return (struct radio_shadow_step){.rho = rho, .innov = sqrt(1.0 - rho * rho)};
}

double radio_shadow_advance(double value_db, const struct radio_shadow_step *st, double sd_db,
                            struct core_rng *r)
{
    return st->rho * value_db + st->innov * core_rng_normal(r, 0.0, sd_db);
}
