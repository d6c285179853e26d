/*
 * mobility.c — UE movement (static, straight line, random waypoint) as
 * piecewise-linear legs, and handover by strongest received power with
 * hysteresis and time-to-trigger.
 *
 * A random-waypoint UE alternates a walking leg (to a waypoint drawn
 * uniformly in the disc, at a speed drawn uniformly in the range) and a pause
 * (if pause_s > 0); leg_end_s is when the current one ends. Advancing across
 * several legs draws their waypoints and speeds in order from the UE's
 * CORE_RNG_MOBILITY stream, so positions do not depend on how often the
 * caller samples them.
 */
#include "radio/radio_int.h"

void radio_mobility_static(struct radio_mobility *m, double x_m, double y_m, double t0_s)
{
    *m = (struct radio_mobility){0};
    m->kind = RADIO_MOBILITY_STATIC;
    m->t_s = t0_s;
    m->x_m = x_m;
    m->y_m = y_m;
    m->leg_end_s = INFINITY;
}

void radio_mobility_line(struct radio_mobility *m, double x_m, double y_m, double heading_rad,
                         double speed_mps, double t0_s)
{
    CORE_ASSERT(speed_mps >= 0.0);
    radio_mobility_static(m, x_m, y_m, t0_s);
    m->kind = RADIO_MOBILITY_LINE;
    m->vx_mps = speed_mps * cos(heading_rad);
    m->vy_mps = speed_mps * sin(heading_rad);
}

/* Start a walking leg at m->t_s from the current position. */
static void start_walk(struct radio_mobility *m, struct core_rng *r)
{
    double d = m->area_radius_m * sqrt(core_rng_uniform(r));
    double a = core_rng_uniform_in(r, -RADIO_PI, RADIO_PI);
    double tx = m->area_x_m + d * cos(a), ty = m->area_y_m + d * sin(a);
    double v = m->speed_min_mps == m->speed_max_mps
                   ? m->speed_min_mps
                   : core_rng_uniform_in(r, m->speed_min_mps, m->speed_max_mps);
    double len = hypot(tx - m->x_m, ty - m->y_m);

    m->paused = false;
    if (len == 0.0) {
        m->vx_mps = m->vy_mps = 0.0;
        m->leg_end_s = m->t_s;
        return;
    }
    m->vx_mps = v * (tx - m->x_m) / len;
    m->vy_mps = v * (ty - m->y_m) / len;
    m->leg_end_s = m->t_s + len / v;
}

enum core_rc radio_mobility_waypoint(struct radio_mobility *m, double x_m, double y_m,
                                     double area_x_m, double area_y_m, double area_radius_m,
                                     double speed_min_mps, double speed_max_mps, double pause_s,
                                     double t0_s, struct core_rng *r, struct core_err *e)
{
    if (!(speed_min_mps > 0.0 && speed_max_mps >= speed_min_mps) || !isfinite(speed_max_mps))
        return core_err(e, CORE_E_INPUT,
                        "waypoint speed range [%g, %g] m/s: need 0 < minimum <= maximum",
                        speed_min_mps, speed_max_mps);
    if (!(pause_s >= 0.0) || !isfinite(pause_s))
        return core_err(e, CORE_E_INPUT, "waypoint pause %g s is out of range [0, infinity)",
                        pause_s);
    if (!(area_radius_m > 0.0) || !isfinite(area_radius_m))
        return core_err(e, CORE_E_INPUT,
                        "waypoint area radius %g m is out of range (0, infinity)", area_radius_m);
    radio_mobility_static(m, x_m, y_m, t0_s);
    m->kind = RADIO_MOBILITY_WAYPOINT;
    m->speed_min_mps = speed_min_mps;
    m->speed_max_mps = speed_max_mps;
    m->pause_s = pause_s;
    m->area_x_m = area_x_m;
    m->area_y_m = area_y_m;
    m->area_radius_m = area_radius_m;
    start_walk(m, r);
    return CORE_OK;
}

double radio_mobility_advance(struct radio_mobility *m, double t_s, struct core_rng *r)
{
    double moved_m = 0.0;

    CORE_ASSERT(t_s >= m->t_s);
    for (;;) {
        double until_s = t_s < m->leg_end_s ? t_s : m->leg_end_s;
        double dt_s = until_s - m->t_s;

        m->x_m += m->vx_mps * dt_s;
        m->y_m += m->vy_mps * dt_s;
        moved_m += hypot(m->vx_mps, m->vy_mps) * dt_s;
        m->t_s = until_s;
        if (t_s < m->leg_end_s)
            return moved_m;
        /* A waypoint leg or pause ended at or before t_s. */
        if (!m->paused && m->pause_s > 0.0) {
            m->paused = true;
            m->vx_mps = m->vy_mps = 0.0;
            m->leg_end_s = m->t_s + m->pause_s;
        } else {
            start_walk(m, r);
        }
        if (m->leg_end_s == m->t_s && m->t_s == t_s)
            return moved_m;
    }
}

double radio_mobility_speed_mps(const struct radio_mobility *m)
{
    return hypot(m->vx_mps, m->vy_mps);
}

double radio_mobility_leg_end_s(const struct radio_mobility *m)
{
    return m->leg_end_s;
}

void radio_handover_init(struct radio_handover *h, uint32_t serving, double hysteresis_db,
                         double time_to_trigger_s)
{
    CORE_ASSERT(hysteresis_db >= 0.0 && time_to_trigger_s >= 0.0);
    *h = (struct radio_handover){0};
    h->serving = serving;
    h->hysteresis_db = hysteresis_db;
    h->time_to_trigger_s = time_to_trigger_s;
}

uint32_t radio_strongest_cell(const double *rsrp_dbm, size_t n)
{
    uint32_t best = 0;

    CORE_ASSERT(n > 0);
    for (size_t i = 1; i < n; i++)
        if (rsrp_dbm[i] > rsrp_dbm[best])
            best = (uint32_t)i;
    return best;
}

bool radio_handover_update(struct radio_handover *h, double t_s, const double *rsrp_dbm,
                           size_t n)
{
    uint32_t best = UINT32_MAX;

    CORE_ASSERT(h->serving < n);
    for (size_t i = 0; i < n; i++)
        if (i != h->serving && (best == UINT32_MAX || rsrp_dbm[i] > rsrp_dbm[best]))
            best = (uint32_t)i;
    if (best == UINT32_MAX || !(rsrp_dbm[best] > rsrp_dbm[h->serving] + h->hysteresis_db)) {
        h->timing = false;
        return false;
    }
    if (!h->timing || h->candidate != best) {
        h->timing = true;
        h->candidate = best;
        h->since_s = t_s;
    }
    if (t_s - h->since_s < h->time_to_trigger_s)
        return false;
    h->serving = best;
    h->timing = false;
    return true;
}
