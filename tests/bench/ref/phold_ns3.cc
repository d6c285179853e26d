/*
 * phold_ns3.cc — the reference PHOLD on ns-3 (3.37, default Map scheduler,
 * Simulator::Schedule), for tests/bench/phold.bench.sh to compare coinfer's
 * engine with. Never part of coinfer; built by `make bench` where ns-3 is
 * installed.
 *
 * The model, options and output are those of tests/bench/phold.c: N LPs, each
 * starting with M events at Exp(mean 1 s); each processed event schedules one
 * new event at now + 0.1 s + Exp(mean 1 s) on a uniformly random LP; only the
 * run of E events is timed; the last line is
 *   events_per_s=<number> peak_rss_bytes=<number>
 *
 * Same random numbers: each LP owns a taus2 generator whose state is derived
 * from (seed, LP index, CORE_RNG_BENCH) exactly as sim/core/rng.c derives
 * coinfer's streams, and draws in the same order: the delay as GSL's
 * gsl_ran_exponential computes it (-mean * log1p(-u), u = taus2 / 2^32), then
 * the target by core_rng_below's rejection sampling. The generator is GSL's
 * taus2 step (gsl/rng/taus.c) written out here, so the file builds with
 * `-lns3-core` alone and its draws equal GSL's bit for bit (it skips GSL's
 * function-pointer call, which only favours ns-3). ns-3 rounds times to
 * nanoseconds, so the two trajectories agree closely but not bit for bit.
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include <cmath>

#include "ns3/core-module.h"

namespace
{

const double kLookaheadS = 0.1;
const double kMeanDelayS = 1.0;
const uint64_t kPurposeBench = 9; /* CORE_RNG_BENCH in sim/core/core.h */
const uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

uint64_t Mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* GSL's taus2 state and step (gsl/rng/taus.c). */
struct Taus2 {
    unsigned long s1, s2, s3;
};

inline unsigned long Taus2Get(Taus2 *t)
{
    const unsigned long mask = 0xffffffffUL;
#define TAUSWORTHE(s, a, b, c, d)                                                                  \
    ((((s) & (c)) << (d)) & mask) ^ (((((s) << (a)) & mask) ^ (s)) >> (b))
    t->s1 = TAUSWORTHE(t->s1, 13, 19, 4294967294UL, 12);
    t->s2 = TAUSWORTHE(t->s2, 2, 25, 4294967288UL, 4);
    t->s3 = TAUSWORTHE(t->s3, 3, 11, 4294967280UL, 17);
#undef TAUSWORTHE
    return t->s1 ^ t->s2 ^ t->s3;
}

/* gsl_ran_exponential on gsl_rng_uniform. */
inline double Exponential(Taus2 *t, double mean)
{
    double u = static_cast<double>(Taus2Get(t)) / 4294967296.0;
    return -mean * std::log1p(-u);
}

/* The taus2 stream coinfer's core_rng_create(seed, lp, CORE_RNG_BENCH) makes. */
Taus2 *StreamCreate(uint64_t seed, uint64_t lp)
{
    Taus2 *s = new Taus2;
    uint64_t key = Mix64(Mix64(Mix64(seed + kGolden) + lp + kGolden) + kPurposeBench + kGolden);
    uint64_t w0 = Mix64(key + kGolden), w1 = Mix64(key + 2 * kGolden);
    s->s1 = w0 & 0xffffffffULL;
    s->s2 = w0 >> 32;
    s->s3 = w1 & 0xffffffffULL;
    if (s->s1 < 2)
        s->s1 += 2;
    if (s->s2 < 8)
        s->s2 += 8;
    if (s->s3 < 16)
        s->s3 += 16;
    return s;
}

/* Uniform integer in [0, n), n <= 2^32: core_rng_below's rejection sampling. */
uint32_t Below(Taus2 *r, uint32_t n)
{
    uint64_t min = (0xffffffffULL + 1) % n, x;
    do
        x = Taus2Get(r);
    while (x < min);
    return static_cast<uint32_t>(x % n);
}

struct Lp {
    Taus2 *rng; /* this LP's stream (owned) */
    uint64_t received;
};

std::vector<Lp> g_lps;
uint64_t g_events_run;
uint64_t g_events_max;

void HandleEvent(uint32_t lp)
{
    Lp &me = g_lps[lp];
    double delay_s = kLookaheadS + Exponential(me.rng, kMeanDelayS);
    uint32_t to = Below(me.rng, static_cast<uint32_t>(g_lps.size()));
    me.received++;
    ns3::Simulator::Schedule(ns3::Seconds(delay_s), &HandleEvent, to);
    if (++g_events_run == g_events_max)
        ns3::Simulator::Stop();
}

unsigned long long PeakRssBytes()
{
    FILE *f = std::fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;
    if (!f)
        return 0;
    while (std::fgets(line, sizeof(line), f))
        if (std::sscanf(line, "VmHWM: %llu kB", &kb) == 1)
            break;
    std::fclose(f);
    return kb * 1024;
}

double WallS()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

int Usage(const char *why)
{
    std::fprintf(stderr,
                 "phold_ns3: %s\nusage: phold_ns3 --lps N --events-per-lp M --events E "
                 "[--seed S]\n",
                 why);
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    unsigned long long n_lps = 0, per_lp = 0, n_events = 0, seed = 1;
    for (int i = 1; i < argc; i += 2) {
        unsigned long long *dst = !std::strcmp(argv[i], "--lps")             ? &n_lps
                                  : !std::strcmp(argv[i], "--events-per-lp") ? &per_lp
                                  : !std::strcmp(argv[i], "--events")        ? &n_events
                                  : !std::strcmp(argv[i], "--seed")          ? &seed
                                                                             : nullptr;
        if (!dst)
            return Usage("unknown option");
        if (i + 1 >= argc)
            return Usage("option needs a value");
        char *end;
        *dst = std::strtoull(argv[i + 1], &end, 10);
        if (*end != '\0' || argv[i + 1][0] == '-')
            return Usage("option needs a non-negative integer");
    }
    if (n_lps == 0 || n_lps >= 0xffffffffULL || per_lp == 0 || n_events == 0)
        return Usage("--lps, --events-per-lp and --events must be positive");

    g_lps.resize(n_lps);
    for (unsigned long long i = 0; i < n_lps; i++) {
        g_lps[i].rng = StreamCreate(seed, i);
        g_lps[i].received = 0;
    }
    for (unsigned long long i = 0; i < n_lps; i++)
        for (unsigned long long j = 0; j < per_lp; j++)
            ns3::Simulator::Schedule(ns3::Seconds(Exponential(g_lps[i].rng, kMeanDelayS)),
                                     &HandleEvent, static_cast<uint32_t>(i));
    g_events_max = n_events;

    double t0_s = WallS();
    ns3::Simulator::Run();
    double wall_s = WallS() - t0_s;

    uint64_t checksum = 0;
    for (const Lp &lp : g_lps)
        checksum = checksum * 31 + lp.received;
    std::printf("lps=%llu events_per_lp=%llu events=%llu seed=%llu\n", n_lps, per_lp,
                static_cast<unsigned long long>(g_events_run), seed);
    std::printf("sim_time_s=%.9g wall_s=%.6f received_checksum=%llu\n",
                ns3::Simulator::Now().GetSeconds(), wall_s,
                static_cast<unsigned long long>(checksum));
    std::printf("events_per_s=%.0f peak_rss_bytes=%llu\n",
                static_cast<double>(g_events_run) / wall_s, PeakRssBytes());
    ns3::Simulator::Destroy();
    for (Lp &lp : g_lps)
        delete lp.rng;
    return 0;
}
