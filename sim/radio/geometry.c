/*
 * geometry.c — sites on a hexagonal grid, sectors and their antenna gain, and
 * uniform placement of UEs in a cell or a disc.
 *
 * Sites use axial hexagonal coordinates (q, r): site (q, r) is at
 * x = isd (q + r/2), y = isd (sqrt(3)/2) r, so the six neighbours of a site
 * lie at distance isd in the directions 0, 60, ..., 300 degrees and every
 * cell hexagon (the site's, or a sector's of circumradius isd/3) has its flat
 * sides facing those directions. Ring k is walked from its corner
 * (-k, k) [up-left] through the six directions, k steps each, so site order
 * is fixed: centre, ring 1 counter-clockwise, ring 2, ...
 */
#include "radio/radio_int.h"

size_t radio_hex_site_count(uint32_t n_rings)
{
    return 1u + 3u * (size_t)n_rings * (n_rings + 1u);
}

enum core_rc radio_hex_sites(uint32_t n_rings, double isd_m, double *x_m, double *y_m,
                             struct core_err *e)
{
    static const int dq[6] = {1, 1, 0, -1, -1, 0};
    static const int dr[6] = {0, -1, -1, 0, 1, 1};
    size_t i = 0;

    if (!(isd_m > 0.0) || !isfinite(isd_m))
        return core_err(e, CORE_E_INPUT,
                        "inter-site distance %g m is out of range (0 m, infinity)", isd_m);
    if (n_rings > RADIO_MAX_RINGS)
        return core_err(e, CORE_E_INPUT, "%u rings of sites is out of range [0, %u]",
                        (unsigned)n_rings, (unsigned)RADIO_MAX_RINGS);
    x_m[i] = 0.0;
    y_m[i] = 0.0;
    i++;
    for (int k = 1; k <= (int)n_rings; k++) {
        int q = -k, r = k;

        for (int side = 0; side < 6; side++) {
            for (int step = 0; step < k; step++) {
                x_m[i] = isd_m * (q + 0.5 * r);
                y_m[i] = isd_m * (sqrt(3.0) / 2.0) * r;
                i++;
                q += dq[side];
                r += dr[side];
            }
        }
    }
    CORE_ASSERT(i == radio_hex_site_count(n_rings));
    return CORE_OK;
}

double radio_sector_boresight_rad(uint32_t n_sectors, uint32_t s)
{
    CORE_ASSERT(n_sectors == 1 || n_sectors == 3);
    CORE_ASSERT(s < n_sectors);
    if (n_sectors == 1)
        return 0.0;
    return (30.0 + 120.0 * s) * RADIO_PI / 180.0;
}

void radio_cell_hexagon(double site_x_m, double site_y_m, double isd_m, uint32_t n_sectors,
                        uint32_t s, double *cx_m, double *cy_m, double *circumradius_m)
{
    if (n_sectors == 1) {
        *cx_m = site_x_m;
        *cy_m = site_y_m;
        *circumradius_m = isd_m / sqrt(3.0);
        return;
    }
    double b = radio_sector_boresight_rad(n_sectors, s);

    *cx_m = site_x_m + isd_m / 3.0 * cos(b);
    *cy_m = site_y_m + isd_m / 3.0 * sin(b);
    *circumradius_m = isd_m / 3.0;
}

bool radio_in_hexagon(double x_m, double y_m, double cx_m, double cy_m, double r_m)
{
    double dx = x_m - cx_m, dy = y_m - cy_m;
    double apothem_m = r_m * sqrt(3.0) / 2.0;
    double c60 = 0.5, s60 = sqrt(3.0) / 2.0;

    return fabs(dx) <= apothem_m && fabs(c60 * dx + s60 * dy) <= apothem_m &&
           fabs(-c60 * dx + s60 * dy) <= apothem_m;
}

double radio_antenna_gain_db(uint32_t n_sectors, uint32_t s, double az_rad)
{
    const double theta_3db_deg = 65.0, a_max_db = 30.0, element_gain_dbi = 8.0;

    if (n_sectors == 1)
        return 0.0;
    double phi_deg = (az_rad - radio_sector_boresight_rad(n_sectors, s)) * 180.0 / RADIO_PI;

    phi_deg = fmod(phi_deg + 180.0, 360.0);
    if (phi_deg < 0.0)
        phi_deg += 360.0;
    phi_deg -= 180.0;
    double att_db = 12.0 * (phi_deg / theta_3db_deg) * (phi_deg / theta_3db_deg);

    return element_gain_dbi - (att_db < a_max_db ? att_db : a_max_db);
}

enum core_rc radio_place_hexagon(struct core_rng *r, double cx_m, double cy_m, double radius_m,
                                 double bs_x_m, double bs_y_m, double min_dist_m,
                                 double *x_m, double *y_m, struct core_err *e)
{
    double area_m2 = 1.5 * sqrt(3.0) * radius_m * radius_m;
    double apothem_m = radius_m * sqrt(3.0) / 2.0;

    if (!(radius_m > 0.0) || !isfinite(radius_m))
        return core_err(e, CORE_E_INPUT, "cell radius %g m is out of range (0 m, infinity)",
                        radius_m);
    if (!(min_dist_m >= 0.0) || RADIO_PI * min_dist_m * min_dist_m > 0.99 * area_m2)
        return core_err(e, CORE_E_INPUT,
                        "minimum UE distance %g m is out of range [0, %g] m for a cell of "
                        "radius %g m",
                        min_dist_m, sqrt(0.99 * area_m2 / RADIO_PI), radius_m);
    for (;;) {
        /* Flat sides face +-x, so the hexagon spans +-apothem in x, +-radius in y. */
        double x = core_rng_uniform_in(r, cx_m - apothem_m, cx_m + apothem_m);
        double y = core_rng_uniform_in(r, cy_m - radius_m, cy_m + radius_m);

        if (!radio_in_hexagon(x, y, cx_m, cy_m, radius_m))
            continue;
        if (hypot(x - bs_x_m, y - bs_y_m) < min_dist_m)
            continue;
        *x_m = x;
        *y_m = y;
        return CORE_OK;
    }
}

enum core_rc radio_place_disc(struct core_rng *r, double cx_m, double cy_m, double radius_m,
                              double min_dist_m, double *x_m, double *y_m, struct core_err *e)
{
    if (!(min_dist_m >= 0.0) || !(radius_m > min_dist_m) || !isfinite(radius_m))
        return core_err(e, CORE_E_INPUT,
                        "disc of radius %g m with minimum distance %g m: need "
                        "0 <= minimum < radius < infinity",
                        radius_m, min_dist_m);
    double d_m = sqrt(core_rng_uniform_in(r, min_dist_m * min_dist_m, radius_m * radius_m));
    double a_rad = core_rng_uniform_in(r, -RADIO_PI, RADIO_PI);

    *x_m = cx_m + d_m * cos(a_rad);
    *y_m = cy_m + d_m * sin(a_rad);
    return CORE_OK;
}
