/*
 * dist.c — the distributions coinfer draws from a stream: exponential,
 * normal, log-normal, Rayleigh, Rician and Poisson.
 *
 * Each is GSL's sampler (gsl_ran_*) on the stream's gsl_rng, except the
 * exponential, which computes GSL's formula itself on taus2's draw stepped
 * inline (the same values, for PHOLD's hot path), and the Rician, which GSL
 * lacks: it is the amplitude |nu + sigma (X + iY)| of a
 * line-of-sight phasor plus complex Gaussian scatter, X and Y standard normal.
 * Normals use GSL's ziggurat. A struct core_rng begins with its gsl_rng (see
 * rng.c), so the conversion in gen() is the whole interface between the two
 * files.
 *
 * Parameters are the caller's contract (scenario knobs check their ranges
 * before a run): a negative scale or NaN is a broken invariant and aborts
 * through CORE_ASSERT rather than reaching GSL's error handler. Draw counts
 * per call are GSL's (rejection samplers use a variable number), so the
 * Rician takes exactly two normals per call.
 */
#include "core/core_int.h"

#include <math.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

/* Largest Poisson mean: gsl_ran_poisson counts in an unsigned int, and a mean
 * of 1e9 keeps every plausible draw (mean + 40 sd) far below 2^32. */
#define DIST_POISSON_MEAN_MAX 1e9

static const gsl_rng *gen(const struct core_rng *r)
{
    return (const gsl_rng *)(const void *)r;
}

/* gsl_ran_exponential (GSL 2: -mean * log1p(-u), u = gsl_rng_uniform) with
 * taus2's draw inline: the same value, without two calls through pointers. */
double core_rng_exponential(struct core_rng *r, double mean)
{
    double u;

    CORE_ASSERT(mean >= 0 && isfinite(mean));
    u = (double)core_taus2_next(gen(r)->state) / 4294967296.0;
    return -mean * log1p(-u);
}

double core_rng_normal(struct core_rng *r, double mean, double sd)
{
    CORE_ASSERT(sd >= 0 && isfinite(sd) && isfinite(mean));
    return mean + gsl_ran_gaussian_ziggurat(gen(r), sd);
}

double core_rng_lognormal(struct core_rng *r, double mu, double sigma)
{
    CORE_ASSERT(sigma >= 0 && isfinite(sigma) && isfinite(mu));
    return gsl_ran_lognormal(gen(r), mu, sigma);
}

double core_rng_rayleigh(struct core_rng *r, double sigma)
{
    CORE_ASSERT(sigma >= 0 && isfinite(sigma));
    return gsl_ran_rayleigh(gen(r), sigma);
}

double core_rng_rician(struct core_rng *r, double nu, double sigma)
{
    double x, y;

    CORE_ASSERT(nu >= 0 && isfinite(nu) && sigma >= 0 && isfinite(sigma));
    x = nu + gsl_ran_gaussian_ziggurat(gen(r), sigma);
    y = gsl_ran_gaussian_ziggurat(gen(r), sigma);
    return hypot(x, y);
}

uint64_t core_rng_poisson(struct core_rng *r, double mean)
{
    CORE_ASSERT(mean >= 0 && mean <= DIST_POISSON_MEAN_MAX);
    return gsl_ran_poisson(gen(r), mean);
}
