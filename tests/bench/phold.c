/*
 * phold.c — the PHOLD benchmark on coinfer's event engine.
 *
 * N logical processes (LPs), each starting with M events at Exp(mean 1 s);
 * each processed event schedules one new event at now + 0.1 s + Exp(mean 1 s)
 * on a uniformly random LP, so N*M events are pending throughout. Each LP is
 * an entity of one type with one handler and draws from its own stream
 * core_rng_create(seed, lp, CORE_RNG_BENCH): first the delay, then the target.
 * tests/bench/ref/phold_ns3.cc runs the same model, streams and draws on ns-3.
 *
 *   phold --lps N --events-per-lp M --events E [--seed S]
 *
 * Only the run of E events is timed. The last line printed is
 *   events_per_s=<number> peak_rss_bytes=<number>
 * with the peak resident set size of the whole process (VmHWM).
 */
#include "core/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PHOLD_LOOKAHEAD_S  0.1 /* minimum delay of a new event, s */
#define PHOLD_MEAN_DELAY_S 1.0 /* mean of the exponential part of a delay, s */

struct phold_lp {
    struct core_rng *rng; /* this LP's stream */
    uint32_t n_lps;       /* LPs in the model (targets are drawn from them) */
    uint32_t entity0;     /* entity index of LP 0 (LPs are consecutive) */
    uint64_t received;    /* events handled by this LP */
};

enum phold_kind { PHOLD_EVENT, PHOLD_KIND_COUNT };

static void phold_event(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct phold_lp *lp = state;
    double delay_s = PHOLD_LOOKAHEAD_S + core_rng_exponential(lp->rng, PHOLD_MEAN_DELAY_S);
    uint32_t to = (uint32_t)core_rng_below(lp->rng, lp->n_lps);
    union core_payload none = {0};

    (void)ev;
    lp->received++;
    core_schedule_in(eng, delay_s, lp->entity0 + to, PHOLD_EVENT, 0, none);
}

static const core_handler_fn phold_handlers[] = {
    [PHOLD_EVENT] = phold_event,
};
static_assert(ARRAY_LEN(phold_handlers) == PHOLD_KIND_COUNT, "one handler per kind");

static const struct core_entity_type phold_type = {
    .name = "phold_lp",
    .handlers = phold_handlers,
    .n_handlers = PHOLD_KIND_COUNT,
};

/* Peak resident set size in bytes (VmHWM), 0 if unavailable. */
static unsigned long long peak_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
            break;
    fclose(f);
    return kb * 1024;
}

static int usage(const char *why)
{
    fprintf(stderr, "phold: %s\nusage: phold --lps N --events-per-lp M --events E [--seed S]\n",
            why);
    return 2;
}

/* Parse a positive integer option value into *out. */
static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || *s == '\0' || *s == '-')
        return false;
    v = strtoull(s, &end, 10);
    if (*end != '\0')
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    uint64_t n_lps = 0, per_lp = 0, n_events = 0, seed = 1, checksum = 0;
    struct core_run_limits lim = {0};
    struct core_engine *eng = NULL;
    struct phold_lp *lps = NULL;
    double t0_s, wall_s;
    enum core_stop why;
    int type, status = 1;

    core_init();
    for (int i = 1; i < argc; i += 2) {
        uint64_t *dst = !strcmp(argv[i], "--lps")             ? &n_lps
                        : !strcmp(argv[i], "--events-per-lp") ? &per_lp
                        : !strcmp(argv[i], "--events")        ? &n_events
                        : !strcmp(argv[i], "--seed")          ? &seed
                                                              : NULL;

        if (!dst)
            return usage("unknown option");
        if (!parse_u64(i + 1 < argc ? argv[i + 1] : NULL, dst))
            return usage("option needs a non-negative integer");
    }
    if (n_lps == 0 || n_lps >= UINT32_MAX || per_lp == 0 || n_events == 0)
        return usage("--lps, --events-per-lp and --events must be positive");

    eng = core_engine_create((size_t)(n_lps * per_lp));
    lps = core_calloc((size_t)n_lps, sizeof(*lps));
    if (!eng || !lps)
        goto out_nomem;
    type = core_engine_register_type(eng, &phold_type);
    if (type < 0)
        goto out_nomem;
    for (uint64_t i = 0; i < n_lps; i++) {
        uint32_t ent = core_engine_add_entity(eng, type, &lps[i]);

        lps[i].rng = core_rng_create(seed, i, CORE_RNG_BENCH);
        if (ent == UINT32_MAX || !lps[i].rng)
            goto out_nomem;
        lps[i].n_lps = (uint32_t)n_lps;
        lps[i].entity0 = ent - (uint32_t)i;
    }
    for (uint64_t i = 0; i < n_lps; i++) {
        for (uint64_t j = 0; j < per_lp; j++) {
            double t_s = core_rng_exponential(lps[i].rng, PHOLD_MEAN_DELAY_S);
            union core_payload none = {0};

            if (core_schedule_at(eng, t_s, lps[0].entity0 + (uint32_t)i, PHOLD_EVENT, 0, none) == 0)
                goto out_nomem;
        }
    }

    lim.max_events = n_events;
    t0_s = core_wall_s();
    why = core_engine_run(eng, &lim);
    wall_s = core_wall_s() - t0_s;
    if (why == CORE_STOP_FAILED) {
        fprintf(stderr, "phold: %s\n", core_engine_error(eng)->msg);
        goto out;
    }
    for (uint64_t i = 0; i < n_lps; i++)
        checksum = checksum * 31 + lps[i].received;
    printf("lps=%llu events_per_lp=%llu events=%llu seed=%llu pending=%zu pool=%zu\n",
           (unsigned long long)n_lps, (unsigned long long)per_lp,
           (unsigned long long)core_engine_events_run(eng), (unsigned long long)seed,
           core_engine_pending(eng), core_engine_pool_capacity(eng));
    printf("sim_time_s=%.9g wall_s=%.6f received_checksum=%llu\n", core_engine_now(eng), wall_s,
           (unsigned long long)checksum);
    printf("events_per_s=%.0f peak_rss_bytes=%llu\n", (double)core_engine_events_run(eng) / wall_s,
           peak_rss_bytes());
    status = 0;
    goto out;
out_nomem:
    fprintf(stderr, "phold: out of memory\n");
out:
    if (lps)
        for (uint64_t i = 0; i < n_lps; i++)
            core_rng_destroy(lps[i].rng);
    core_free(lps);
    core_engine_destroy(eng);
    return status;
}
