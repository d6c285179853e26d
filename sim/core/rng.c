/*
 * rng.c — random-number streams: one GSL generator per (seed, entity, purpose).
 *
 * Every stream is a GSL taus2 generator (L'Ecuyer's maximally equidistributed
 * combined Tausworthe, period 2^88, 32-bit outputs). Its three state words are
 * written directly from a hash of (seed, entity, purpose) instead of going
 * through gsl_rng_set(), whose single unsigned long seed taus2 truncates to 32
 * bits: 32-bit seeds give birthday collisions among a few hundred thousand
 * streams, while the 64-bit stream key below is a bijection of entity for a
 * fixed (seed, purpose) and the 96 state bits a bijection of the key.
 *
 * The stream key and state (part of every result's identity: changing any
 * constant or step here changes every run's numbers):
 *
 *     G = 0x9e3779b97f4a7c15   (splitmix64's increment)
 *     mix(z):  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
 *              z = (z ^ (z >> 27)) * 0x94d049bb133111eb
 *              return z ^ (z >> 31)                (splitmix64's finaliser)
 *     key = mix(mix(mix(seed + G) + entity + G) + purpose + G)
 *     w0  = mix(key + G),  w1 = mix(key + 2G)
 *     s1  = w0 & 0xffffffff,  s2 = w0 >> 32,  s3 = w1 & 0xffffffff
 *     if s1 < 2: s1 += 2;  if s2 < 8: s2 += 8;  if s3 < 16: s3 += 16
 *
 * All arithmetic is modulo 2^64. The last line is taus2's seeding constraint
 * (GSL taus.c does the same): a component whose significant bits are all zero
 * would stay zero. The state (s1, s2, s3) is then stepped by GSL's taus2 with
 * no warm-up, so the first gsl_rng_get() is the first draw of the stream.
 *
 * Data layout: a stream is one 40-byte block holding the gsl_rng handle and
 * the three state words it points at (one counted allocation, no GSL malloc),
 * so PHOLD's 100,000 streams cost about 5 MB with malloc's overhead. The
 * gsl_rng is the first member: dist.c converts a struct core_rng * to the
 * gsl_rng * it begins with (C11 6.7.2.1) and needs no other knowledge of the
 * layout.
 *
 * The hot paths step taus2 inline (core_taus2_next in core_int.h, GSL's
 * formula) rather than through gsl_rng_get's function pointer; draws are the
 * same, and every other use goes through GSL.
 *
 * Draw counts are fixed so streams stay aligned across versions:
 * core_rng_uniform and core_rng_uniform_in take one 32-bit draw (except in the
 * 2^-32 event that it is 0, when gsl_rng_uniform_pos draws again),
 * core_rng_u64 two (high word first), core_rng_below one per attempt for
 * n <= 2^32 and two above.
 *
 * GSL's error handler: nothing here or in dist.c calls GSL with arguments it
 * rejects (parameters are checked by CORE_ASSERT first), so the handler is
 * never invoked from the streams. Programs turn it off at start-up with
 * core_init() (init.c) all the same.
 */
#include "core/core_int.h"

#include <math.h>
#include <stddef.h>

#include <gsl/gsl_rng.h>

#define RNG_GOLDEN 0x9e3779b97f4a7c15ULL
#define RNG_MASK32 0xffffffffULL

struct core_rng {
    gsl_rng gen;              /* GSL handle: type gsl_rng_taus2, state -> state[] */
    unsigned long state[3];   /* taus2 state (s1, s2, s3), each < 2^32 */
};
static_assert(offsetof(struct core_rng, gen) == 0, "dist.c reads the gsl_rng at offset 0");

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The 64-bit stream key of (seed, entity, purpose); see the file comment. */
static uint64_t stream_key(uint64_t seed, uint64_t entity, uint64_t purpose)
{
    uint64_t k = mix64(seed + RNG_GOLDEN);

    k = mix64(k + entity + RNG_GOLDEN);
    return mix64(k + purpose + RNG_GOLDEN);
}

uint64_t core_rng_entity(enum core_rng_entity_kind kind, uint32_t index, uint32_t sub)
{
    CORE_ASSERT((unsigned)kind < CORE_RNG_ENTITY_KIND_COUNT && sub <= CORE_RNG_SUB_MAX);
    return (uint64_t)kind << 56 | (uint64_t)sub << 32 | index;
}

struct core_rng *core_rng_create(uint64_t seed, uint64_t entity, enum core_rng_purpose purpose)
{
    struct core_rng *r;
    uint64_t key, w0, w1;

    /* taus2's state is GSL's private taus_state_t {s1, s2, s3}: check that the
     * library we link agrees on its size before writing it. */
    CORE_ASSERT(gsl_rng_taus2->size == sizeof(r->state));
    CORE_ASSERT((unsigned)purpose < CORE_RNG_PURPOSE_COUNT);
    r = core_malloc(sizeof(*r));
    if (!r)
        return NULL;
    key = stream_key(seed, entity, (uint64_t)purpose);
    w0 = mix64(key + RNG_GOLDEN);
    w1 = mix64(key + 2 * RNG_GOLDEN);
    r->state[0] = (unsigned long)(w0 & RNG_MASK32);
    r->state[1] = (unsigned long)(w0 >> 32);
    r->state[2] = (unsigned long)(w1 & RNG_MASK32);
    if (r->state[0] < 2)
        r->state[0] += 2;
    if (r->state[1] < 8)
        r->state[1] += 8;
    if (r->state[2] < 16)
        r->state[2] += 16;
    r->gen.type = gsl_rng_taus2;
    r->gen.state = r->state;
    return r;
}

void core_rng_destroy(struct core_rng *r)
{
    core_free(r);
}

uint64_t core_rng_u64(struct core_rng *r)
{
    uint64_t hi = core_taus2_next(r->state);

    return (hi << 32) | (uint64_t)core_taus2_next(r->state);
}

/* gsl_rng_uniform_pos on taus2: a draw / 2^32, drawing again on 0. */
static inline double uniform_pos(struct core_rng *r)
{
    unsigned long x;

    do
        x = core_taus2_next(r->state);
    while (x == 0);
    return (double)x / 4294967296.0;
}

double core_rng_uniform(struct core_rng *r)
{
    return uniform_pos(r);
}

double core_rng_uniform_in(struct core_rng *r, double lo, double hi)
{
    double x;

    CORE_ASSERT(lo < hi);
    x = lo + (hi - lo) * uniform_pos(r);
    /* Rounding can land on an end of a narrow or far-from-zero interval;
     * clamping keeps one draw per call (streams stay aligned). */
    if (x >= hi)
        x = nextafter(hi, lo);
    if (x <= lo)
        x = nextafter(lo, hi);
    return x;
}

/* Rejection sampling (as OpenBSD's arc4random_uniform): draws below
 * range mod n are rejected so that x mod n is exactly uniform. */
uint64_t core_rng_below(struct core_rng *r, uint64_t n)
{
    uint64_t x, min;

    CORE_ASSERT(n > 0);
    if (n <= RNG_MASK32 + 1) {
        min = (RNG_MASK32 + 1) % n;
        do
            x = core_taus2_next(r->state);
        while (x < min);
    } else {
        min = (0 - n) % n;
        do
            x = core_rng_u64(r);
        while (x < min);
    }
    return x % n;
}
