/*
 * test_rng.c — random-number streams: reproducible, independent per (seed,
 * entity, purpose), collision-free among a million streams, uniform on the
 * open interval, unbiased integers, and the documented key-mixing algorithm
 * (rng.c's file comment) reimplemented here as the known answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "core/core.h"

/* ---- the documented algorithm, written again from rng.c's comment ------- */

struct ref_taus {
    uint32_t s1, s2, s3; /* L'Ecuyer's three component states */
};

static uint64_t ref_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void ref_seed(struct ref_taus *t, uint64_t seed, uint64_t entity, uint64_t purpose)
{
    const uint64_t g = 0x9e3779b97f4a7c15ULL;
    uint64_t key = ref_mix(ref_mix(ref_mix(seed + g) + entity + g) + purpose + g);
    uint64_t w0 = ref_mix(key + g), w1 = ref_mix(key + 2 * g);

    t->s1 = (uint32_t)w0;
    t->s2 = (uint32_t)(w0 >> 32);
    t->s3 = (uint32_t)w1;
    if (t->s1 < 2)
        t->s1 += 2;
    if (t->s2 < 8)
        t->s2 += 8;
    if (t->s3 < 16)
        t->s3 += 16;
}

/* taus2 step, L'Ecuyer (1996) parameters, in 32-bit arithmetic. */
static uint32_t ref_next(struct ref_taus *t)
{
    t->s1 = ((t->s1 & 0xfffffffeU) << 12) ^ (((t->s1 << 13) ^ t->s1) >> 19);
    t->s2 = ((t->s2 & 0xfffffff8U) << 4) ^ (((t->s2 << 2) ^ t->s2) >> 25);
    t->s3 = ((t->s3 & 0xfffffff0U) << 17) ^ (((t->s3 << 3) ^ t->s3) >> 11);
    return t->s1 ^ t->s2 ^ t->s3;
}

/* ---- tests -------------------------------------------------------------- */

static void test_rng_matches_documented_key_mixing_and_taus2(void **unused)
{
    static const uint64_t triples[][3] = {
        {0, 0, CORE_RNG_ARRIVALS},
        {1, 0, CORE_RNG_ARRIVALS},
        {42, 7, CORE_RNG_FADING},
        {UINT64_MAX, UINT64_MAX, CORE_RNG_BENCH},
        {12345, 99999, CORE_RNG_EXPLORATION},
    };

    for (size_t t = 0; t < ARRAY_LEN(triples); t++) {
        struct core_rng *r = core_rng_create(triples[t][0], triples[t][1],
                                             (enum core_rng_purpose)triples[t][2]);
        struct ref_taus ref;

        assert_non_null(r);
        ref_seed(&ref, triples[t][0], triples[t][1], triples[t][2]);
        for (int i = 0; i < 1000; i++) {
            uint64_t want = (uint64_t)ref_next(&ref) << 32;

            want |= ref_next(&ref);
            assert_int_equal(core_rng_u64(r), want);
        }
        core_rng_destroy(r);
    }
    assert_int_equal(core_alloc_live(), testutil_live_at_start);
}

/* Pinned values: if these change, every seed's results change with them. */
static void test_rng_known_answer_first_draws(void **unused)
{
    static const uint64_t want[4] = {
        0x4425550002edee19ULL, 0x7943ea286a02df93ULL,
        0x81f7edc3102b50f0ULL, 0xce0206552393c2b5ULL,
    };
    struct core_rng *r = core_rng_create(1, 0, CORE_RNG_ARRIVALS);

    assert_non_null(r);
    for (size_t i = 0; i < ARRAY_LEN(want); i++)
        assert_int_equal(core_rng_u64(r), want[i]);
    core_rng_destroy(r);
}

static void test_rng_same_triple_gives_same_sequence(void **unused)
{
    struct core_rng *a = core_rng_create(2026, 17, CORE_RNG_SHADOWING);
    struct core_rng *b = core_rng_create(2026, 17, CORE_RNG_SHADOWING);

    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(core_rng_u64(a), core_rng_u64(b));
        assert_true(core_rng_uniform(a) == core_rng_uniform(b));
        assert_true(core_rng_normal(a, 0, 1) == core_rng_normal(b, 0, 1));
    }
    core_rng_destroy(a);
    core_rng_destroy(b);
    assert_int_equal(core_alloc_live(), testutil_live_at_start);
}

/* Count positions where the first 16 draws of two streams agree. */
static int agreements(uint64_t s1, uint64_t e1, enum core_rng_purpose p1, uint64_t s2,
                      uint64_t e2, enum core_rng_purpose p2)
{
    struct core_rng *a = core_rng_create(s1, e1, p1);
    struct core_rng *b = core_rng_create(s2, e2, p2);
    int same = 0;

    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 16; i++)
        same += core_rng_u64(a) == core_rng_u64(b);
    core_rng_destroy(a);
    core_rng_destroy(b);
    return same;
}

static void test_rng_other_seed_entity_or_purpose_gives_other_sequence(void **unused)
{
    assert_int_equal(agreements(5, 3, CORE_RNG_FADING, 5, 4, CORE_RNG_FADING), 0);
    assert_int_equal(agreements(5, 3, CORE_RNG_FADING, 5, 3, CORE_RNG_MOBILITY), 0);
    assert_int_equal(agreements(5, 3, CORE_RNG_FADING, 6, 3, CORE_RNG_FADING), 0);
    /* Swapping the roles of the three numbers must not alias either. */
    assert_int_equal(agreements(3, 5, CORE_RNG_FADING, 5, 3, CORE_RNG_FADING), 0);
    assert_int_equal(agreements(0, 1, CORE_RNG_ARRIVALS, 0, 0, CORE_RNG_SERVICE), 0);
    assert_int_equal(agreements(1, 0, CORE_RNG_ARRIVALS, 0, 1, CORE_RNG_ARRIVALS), 0);
    assert_int_equal(core_alloc_live(), testutil_live_at_start);
}

static void test_rng_new_stream_does_not_shift_existing_draws(void **unused)
{
    uint64_t alone[64];
    struct core_rng *a = core_rng_create(9, 100, CORE_RNG_ARRIVALS);
    struct core_rng *b, *c;

    assert_non_null(a);
    for (int i = 0; i < 64; i++)
        alone[i] = core_rng_u64(a);
    core_rng_destroy(a);

    /* The same stream, now sharing the run with a new entity and a new
     * purpose of the same entity that draw in between. */
    a = core_rng_create(9, 100, CORE_RNG_ARRIVALS);
    b = core_rng_create(9, 101, CORE_RNG_ARRIVALS);
    c = core_rng_create(9, 100, CORE_RNG_SERVICE);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    for (int i = 0; i < 64; i++) {
        (void)core_rng_exponential(b, 1.0);
        (void)core_rng_below(c, 1000);
        assert_int_equal(core_rng_u64(a), alone[i]);
        (void)core_rng_normal(c, 0, 1);
    }
    core_rng_destroy(a);
    core_rng_destroy(b);
    core_rng_destroy(c);
    assert_int_equal(core_alloc_live(), testutil_live_at_start);
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

    return (a > b) - (a < b);
}

static size_t count_duplicates(uint64_t *v, size_t n)
{
    size_t dup = 0;

    qsort(v, n, sizeof(*v), cmp_u64);
    for (size_t i = 1; i < n; i++)
        dup += v[i] == v[i - 1];
    return dup;
}

/* 32-bit seeds would give ~116 birthday collisions among 10^6 streams; the
 * 64-bit first outputs of distinct streams must all differ. */
static void test_rng_million_streams_have_distinct_first_outputs(void **unused)
{
    const size_t n = 1000000;
    uint64_t *first = malloc(n * sizeof(*first));
    size_t dup;

    assert_non_null(first);
    /* One purpose, a million consecutive entities. */
    for (size_t e = 0; e < n; e++) {
        struct core_rng *r = core_rng_create(1, e, CORE_RNG_ARRIVALS);

        assert_non_null(r);
        first[e] = core_rng_u64(r);
        core_rng_destroy(r);
    }
    dup = count_duplicates(first, n);
    if (dup != 0)
        print_error("%zu duplicate first outputs among %zu entities\n", dup, n);
    assert_int_equal(dup, 0);

    /* 200,000 streams mixing seeds, entities and every purpose. */
    for (size_t i = 0; i < 200000; i++) {
        struct core_rng *r = core_rng_create(i / 2000, (i / 10) % 200,
                                             (enum core_rng_purpose)(i % CORE_RNG_PURPOSE_COUNT));

        assert_non_null(r);
        first[i] = core_rng_u64(r);
        core_rng_destroy(r);
    }
    dup = count_duplicates(first, 200000);
    if (dup != 0)
        print_error("%zu duplicate first outputs among 200000 mixed streams\n", dup);
    assert_int_equal(dup, 0);
    free(first);
    assert_int_equal(core_alloc_live(), testutil_live_at_start);
}

static void test_rng_uniform_stays_inside_open_interval(void **unused)
{
    struct core_rng *r = core_rng_create(3, 0, CORE_RNG_BENCH);
    double lo = 1e9, hi = 1e9 + 1e-6; /* 8 doubles apart: rounding hits the ends */
    double mn = 1, mx = 0;
    int at_hi_neighbour = 0;

    assert_non_null(r);
    for (int i = 0; i < 1000000; i++) {
        double u = core_rng_uniform(r);

        mn = u < mn ? u : mn;
        mx = u > mx ? u : mx;
    }
    if (!(mn > 0 && mx < 1))
        print_error("uniform draws span [%.17g, %.17g], expected inside (0, 1)\n", mn, mx);
    assert_true(mn > 0 && mx < 1);
    assert_true(mn < 1e-5 && mx > 1 - 1e-5); /* and do fill it */

    for (int i = 0; i < 100000; i++) {
        double x = core_rng_uniform_in(r, lo, hi);

        if (!(x > lo && x < hi))
            print_error("uniform_in draw %.17g outside (%.17g, %.17g)\n", x, lo, hi);
        assert_true(x > lo && x < hi);
        at_hi_neighbour += x == nextafter(hi, lo);
    }
    assert_true(at_hi_neighbour > 0);
    core_rng_destroy(r);
}

/* Chi-square with 100 cells on 10^6 draws (99 degrees of freedom: the 0.999
 * quantile is 148.2) and Kolmogorov-Smirnov on 10^5 sorted draws (the 0.999
 * critical value of sqrt(n) D is 1.95). */
static void test_rng_uniform_passes_chi_square_and_ks(void **unused)
{
    struct core_rng *r = core_rng_create(11, 4, CORE_RNG_BENCH);
    long cells[100] = {0};
    const int n = 1000000, n_ks = 100000;
    double chi2 = 0, d = 0, *u;

    assert_non_null(r);
    for (int i = 0; i < n; i++)
        cells[(int)(core_rng_uniform(r) * 100)]++;
    for (int c = 0; c < 100; c++)
        chi2 += (cells[c] - n / 100.0) * (cells[c] - n / 100.0) / (n / 100.0);
    print_message("uniform chi-square (99 dof) = %.2f\n", chi2);
    assert_true(chi2 < 148.2);
    assert_true(chi2 > 60.0); /* too good a fit is a failure too (0.001 quantile 61.9) */

    u = malloc((size_t)n_ks * sizeof(*u));
    assert_non_null(u);
    for (int i = 0; i < n_ks; i++)
        u[i] = core_rng_uniform(r);
    core_sort_doubles(u, (size_t)n_ks);
    for (int i = 0; i < n_ks; i++) {
        double dp = (i + 1.0) / n_ks - u[i], dm = u[i] - (double)i / n_ks;

        d = fmax(d, fmax(dp, dm));
    }
    print_message("uniform KS sqrt(n) D = %.4f\n", sqrt((double)n_ks) * d);
    assert_true(sqrt((double)n_ks) * d < 1.95);
    free(u);
    core_rng_destroy(r);
}

/* n = 3 * 2^30: x mod n over 32-bit draws would hit [0, 2^30) half the time,
 * not a third; likewise n = 3 * 2^62 over 64-bit draws. */
static void test_rng_below_is_unbiased_for_large_n(void **unused)
{
    struct core_rng *r = core_rng_create(21, 0, CORE_RNG_POLICY);
    const uint64_t n32 = 3ULL << 30, n64 = 3ULL << 62;
    const int draws = 300000;
    int low32 = 0, low64 = 0;

    assert_non_null(r);
    for (int i = 0; i < draws; i++) {
        uint64_t a = core_rng_below(r, n32), b = core_rng_below(r, n64);

        assert_true(a < n32);
        assert_true(b < n64);
        low32 += a < (1ULL << 30);
        low64 += b < (1ULL << 62);
    }
    /* sd of the fraction: sqrt(2/9 / 3e5) = 0.00086 */
    assert_near((double)low32 / draws, 1.0 / 3, 0.005);
    assert_near((double)low64 / draws, 1.0 / 3, 0.005);
    core_rng_destroy(r);
}

static void test_rng_below_small_n_is_uniform(void **unused)
{
    struct core_rng *r = core_rng_create(22, 0, CORE_RNG_POLICY);
    long cells[6] = {0};
    const int n = 600000;
    double chi2 = 0;

    assert_non_null(r);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(core_rng_below(r, 1), 0);
    for (int i = 0; i < n; i++) {
        uint64_t k = core_rng_below(r, 6);

        assert_true(k < 6);
        cells[k]++;
    }
    for (int c = 0; c < 6; c++)
        chi2 += (cells[c] - n / 6.0) * (cells[c] - n / 6.0) / (n / 6.0);
    print_message("below(6) chi-square (5 dof) = %.2f\n", chi2);
    assert_true(chi2 < 20.5); /* 0.999 quantile */
    core_rng_destroy(r);
}

/* Every bit of core_rng_u64 is set half the time: both 32-bit halves are draws. */
static void test_rng_u64_bits_are_balanced(void **unused)
{
    struct core_rng *r = core_rng_create(23, 5, CORE_RNG_WEIGHTS);
    long ones[64] = {0};
    const int n = 200000;

    assert_non_null(r);
    for (int i = 0; i < n; i++) {
        uint64_t x = core_rng_u64(r);

        for (int b = 0; b < 64; b++)
            ones[b] += (x >> b) & 1;
    }
    for (int b = 0; b < 64; b++)
        assert_near((double)ones[b] / n, 0.5, 0.006); /* 5.4 sd */
    core_rng_destroy(r);
}

/* Neighbouring entities and purposes must not produce correlated draws. */
static void test_rng_neighbouring_streams_are_uncorrelated(void **unused)
{
    struct core_rng *a = core_rng_create(1, 0, CORE_RNG_FADING);
    struct core_rng *b = core_rng_create(1, 1, CORE_RNG_FADING);
    struct core_rng *c = core_rng_create(1, 0, CORE_RNG_SHADOWING);
    const int n = 200000;
    double sab = 0, sac = 0;

    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    for (int i = 0; i < n; i++) {
        double x = core_rng_uniform(a) - 0.5;

        sab += x * (core_rng_uniform(b) - 0.5);
        sac += x * (core_rng_uniform(c) - 0.5);
    }
    /* correlation = 12 * mean product; its sd is 1 / sqrt(n) = 0.0022 */
    assert_near(12 * sab / n, 0, 0.011);
    assert_near(12 * sac / n, 0, 0.011);
    core_rng_destroy(a);
    core_rng_destroy(b);
    core_rng_destroy(c);
}

/* Entity ids are namespaced by kind: a UE's own streams keep the plain
 * index as id; its workloads and the radio's traffic are other sub-streams;
 * a cell or a layer of the same number is another entity. */
static void test_rng_entity_ids_are_namespaced_by_kind(void **unused)
{
    const uint64_t ue7 = core_rng_entity(CORE_RNG_ENTITY_UE, 7, 0);
    const uint64_t ids[] = {
        ue7,
        core_rng_entity(CORE_RNG_ENTITY_UE, 7, 1),
        core_rng_entity(CORE_RNG_ENTITY_UE, 7, CORE_RNG_UE_RADIO_TRAFFIC),
        core_rng_entity(CORE_RNG_ENTITY_UE, 8, 0),
        core_rng_entity(CORE_RNG_ENTITY_CELL, 7, 0),
        core_rng_entity(CORE_RNG_ENTITY_CELL, 0, 7),
        core_rng_entity(CORE_RNG_ENTITY_LAYER, 7, 0),
    };

    (void)unused;
    assert_int_equal(ue7, 7);
    assert_int_equal(core_rng_entity(CORE_RNG_ENTITY_UE, 7, 2), (2ull << 32) | 7);
    for (size_t i = 0; i < ARRAY_LEN(ids); i++)
        for (size_t j = i + 1; j < ARRAY_LEN(ids); j++)
            assert_true(ids[i] != ids[j]);
    /* the largest index and sub stay inside their fields */
    assert_int_equal(core_rng_entity(CORE_RNG_ENTITY_UE, UINT32_MAX, CORE_RNG_SUB_MAX) >> 56,
                     CORE_RNG_ENTITY_UE);
    assert_int_equal(core_rng_entity(CORE_RNG_ENTITY_LAYER, UINT32_MAX, CORE_RNG_SUB_MAX) >> 56,
                     CORE_RNG_ENTITY_LAYER);
    /* and they name other streams */
    {
        struct core_rng *a = core_rng_create(1, ids[0], CORE_RNG_ARRIVALS);
        struct core_rng *b = core_rng_create(1, ids[2], CORE_RNG_ARRIVALS);

        assert_true(core_rng_u64(a) != core_rng_u64(b));
        core_rng_destroy(a);
        core_rng_destroy(b);
    }
}

static void test_rng_create_returns_null_when_allocation_fails(void **unused)
{
    long live = core_alloc_live();
    struct core_rng *r;

    core_alloc_fail_after(1);
    r = core_rng_create(1, 2, CORE_RNG_ARRIVALS);
    assert_null(r);
    assert_int_equal(core_alloc_live(), live);
    r = core_rng_create(1, 2, CORE_RNG_ARRIVALS); /* the failure was one-shot */
    assert_non_null(r);
    assert_int_equal(core_alloc_live(), live + 1);
    core_rng_destroy(r);
    core_rng_destroy(NULL);
    assert_int_equal(core_alloc_live(), live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_rng_matches_documented_key_mixing_and_taus2),
        TEST(test_rng_known_answer_first_draws),
        TEST(test_rng_same_triple_gives_same_sequence),
        TEST(test_rng_other_seed_entity_or_purpose_gives_other_sequence),
        TEST(test_rng_new_stream_does_not_shift_existing_draws),
        TEST(test_rng_million_streams_have_distinct_first_outputs),
        TEST(test_rng_uniform_stays_inside_open_interval),
        TEST(test_rng_uniform_passes_chi_square_and_ks),
        TEST(test_rng_below_is_unbiased_for_large_n),
        TEST(test_rng_below_small_n_is_uniform),
        TEST(test_rng_u64_bits_are_balanced),
        TEST(test_rng_neighbouring_streams_are_uncorrelated),
        TEST(test_rng_entity_ids_are_namespaced_by_kind),
        TEST(test_rng_create_returns_null_when_allocation_fails),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
