/*
 * phold_ns3.cc — the reference PHOLD on ns-3 (3.37, default Map scheduler,
 * Simulator::Schedule), for tests/bench/phold.bench.sh to compare coinfer's
 * engine with. Never part of coinfer; built by `make bench` where ns-3 is
 * installed (it links ns-3's core library and GSL).
 *
 * The model, options and output are those of tests/bench/phold.c: N LPs, each
 * starting with M events at Exp(mean 1 s); each processed event schedules one
 * new event at now + 0.1 s + Exp(mean 1 s) on a uniformly random LP; only the
 * run of E events is timed; the last line is
 *   events_per_s=<number> peak_rss_bytes=<number>
 *
 *   phold_ns3 --lps N --events-per-lp M --events E [--seed S] [--rng gsl|ns3]
 *
 * --rng gsl (the default) draws exactly as coinfer does: each LP owns a GSL
 * taus2 generator laid out as sim/core/rng.c lays out a struct core_rng (the
 * gsl_rng handle and its three state words in one block), its state derived
 * from (seed, LP index, CORE_RNG_BENCH) by rng.c's hash; the delay is
 * gsl_ran_exponential, the target core_rng_below's rejection sampling on
 * gsl_rng_get. The draws equal coinfer's bit for bit; ns-3 rounds times to
 * nanoseconds, so the trajectories agree closely but not exactly.
 *
 * --rng ns3 is PHOLD as an ns-3 user writes it: one ExponentialRandomVariable
 * (Mean 1) and one UniformRandomVariable per LP, on streams 2 * lp and
 * 2 * lp + 1 (SetStream) of ns-3's MRG32k3a under RngSeedManager::SetSeed(S);
 * the target is GetInteger(0, N - 1).
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

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

/* coinfer's struct core_rng: a taus2 gsl_rng and the state it points at. */
struct GslStream {
    gsl_rng gen;
    unsigned long state[3];
};

/* The stream coinfer's core_rng_create(seed, lp, CORE_RNG_BENCH) makes. */
GslStream *GslStreamCreate(uint64_t seed, uint64_t lp)
{
    GslStream *s = new GslStream;
    uint64_t key = Mix64(Mix64(Mix64(seed + kGolden) + lp + kGolden) + kPurposeBench + kGolden);
    uint64_t w0 = Mix64(key + kGolden), w1 = Mix64(key + 2 * kGolden);
    s->state[0] = w0 & 0xffffffffULL;
    s->state[1] = w0 >> 32;
    s->state[2] = w1 & 0xffffffffULL;
    if (s->state[0] < 2)
        s->state[0] += 2;
    if (s->state[1] < 8)
        s->state[1] += 8;
    if (s->state[2] < 16)
        s->state[2] += 16;
    s->gen.type = gsl_rng_taus2;
    s->gen.state = s->state;
    return s;
}

/* Uniform integer in [0, n), n <= 2^32: core_rng_below's rejection sampling. */
uint32_t GslBelow(GslStream *r, uint32_t n)
{
    uint64_t min = (0xffffffffULL + 1) % n, x;
    do
        x = gsl_rng_get(&r->gen);
    while (x < min);
    return static_cast<uint32_t>(x % n);
}

struct Lp {
    GslStream *gsl;                                 /* --rng gsl: this LP's stream (owned) */
    ns3::Ptr<ns3::ExponentialRandomVariable> delay; /* --rng ns3: Exp(mean 1 s) */
    ns3::Ptr<ns3::UniformRandomVariable> target;    /* --rng ns3: the target LP */
    uint64_t received;
};

std::vector<Lp> g_lps;
uint64_t g_events_run;
uint64_t g_events_max;

void HandleEventGsl(uint32_t lp)
{
    Lp &me = g_lps[lp];
    double delay_s = kLookaheadS + gsl_ran_exponential(&me.gsl->gen, kMeanDelayS);
    uint32_t to = GslBelow(me.gsl, static_cast<uint32_t>(g_lps.size()));
    me.received++;
    ns3::Simulator::Schedule(ns3::Seconds(delay_s), &HandleEventGsl, to);
    if (++g_events_run == g_events_max)
        ns3::Simulator::Stop();
}

void HandleEventNs3(uint32_t lp)
{
    Lp &me = g_lps[lp];
    double delay_s = kLookaheadS + me.delay->GetValue();
    uint32_t to = me.target->GetInteger(0, static_cast<uint32_t>(g_lps.size() - 1));
    me.received++;
    ns3::Simulator::Schedule(ns3::Seconds(delay_s), &HandleEventNs3, to);
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
                 "[--seed S] [--rng gsl|ns3]\n",
                 why);
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    unsigned long long n_lps = 0, per_lp = 0, n_events = 0, seed = 1;
    bool use_gsl = true;
    for (int i = 1; i < argc; i += 2) {
        if (!std::strcmp(argv[i], "--rng")) {
            const char *v = i + 1 < argc ? argv[i + 1] : "";
            if (std::strcmp(v, "gsl") && std::strcmp(v, "ns3"))
                return Usage("--rng needs gsl or ns3");
            use_gsl = !std::strcmp(v, "gsl");
            continue;
        }
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
    if (!use_gsl && (seed == 0 || seed >= 0xffffffffULL))
        return Usage("--rng ns3 needs a seed in [1, 2^32 - 1)");

    gsl_set_error_handler_off();
    if (!use_gsl)
        ns3::RngSeedManager::SetSeed(static_cast<uint32_t>(seed));
    g_lps.resize(n_lps);
    for (unsigned long long i = 0; i < n_lps; i++) {
        Lp &lp = g_lps[i];
        lp.gsl = nullptr;
        lp.received = 0;
        if (use_gsl) {
            lp.gsl = GslStreamCreate(seed, i);
        } else {
            lp.delay = ns3::CreateObject<ns3::ExponentialRandomVariable>();
            lp.delay->SetAttribute("Mean", ns3::DoubleValue(kMeanDelayS));
            lp.delay->SetStream(static_cast<int64_t>(2 * i));
            lp.target = ns3::CreateObject<ns3::UniformRandomVariable>();
            lp.target->SetStream(static_cast<int64_t>(2 * i + 1));
        }
    }
    for (unsigned long long i = 0; i < n_lps; i++) {
        Lp &lp = g_lps[i];
        for (unsigned long long j = 0; j < per_lp; j++) {
            if (use_gsl)
                ns3::Simulator::Schedule(
                    ns3::Seconds(gsl_ran_exponential(&lp.gsl->gen, kMeanDelayS)),
                    &HandleEventGsl, static_cast<uint32_t>(i));
            else
                ns3::Simulator::Schedule(ns3::Seconds(lp.delay->GetValue()), &HandleEventNs3,
                                         static_cast<uint32_t>(i));
        }
    }
    g_events_max = n_events;

    double t0_s = WallS();
    ns3::Simulator::Run();
    double wall_s = WallS() - t0_s;

    uint64_t checksum = 0;
    for (const Lp &lp : g_lps)
        checksum = checksum * 31 + lp.received;
    std::printf("lps=%llu events_per_lp=%llu events=%llu seed=%llu rng=%s\n", n_lps, per_lp,
                static_cast<unsigned long long>(g_events_run), seed, use_gsl ? "gsl" : "ns3");
    std::printf("sim_time_s=%.9g wall_s=%.6f received_checksum=%llu\n",
                ns3::Simulator::Now().GetSeconds(), wall_s,
                static_cast<unsigned long long>(checksum));
    std::printf("events_per_s=%.0f peak_rss_bytes=%llu\n",
                static_cast<double>(g_events_run) / wall_s, PeakRssBytes());
    ns3::Simulator::Destroy();
    for (Lp &lp : g_lps)
        delete lp.gsl;
    g_lps.clear();
    return 0;
}
