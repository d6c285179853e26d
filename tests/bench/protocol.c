/*
 * protocol.c — the collaborative-inference benchmark: a collaborative
 * scenario (default scenarios/bench-1000ues.xml: the default scenario's cell,
 * devices and workloads with 1,000 UEs) run in costed mode with one policy,
 * every inference written to a results database as `coinfer run` does.
 *
 *   protocol [SCENARIO] [--policy P] [--seed N] [--set PATH=VALUE]... [--db FILE]
 *
 * Building the models and the problems is not timed; the run is (the
 * engine, the radio, the protocol, the policy and the database writes).
 * Without --db the database goes to a temporary directory, removed at the
 * end. The last line is
 *   inferences_per_s=<inferences per wall s> events_per_s=<events per wall s>
 */
#include "policy/policy.h"
#include "run/run.h"
#include "scenarioutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_SCENARIO "scenarios/bench-1000ues.xml"

static int usage(void)
{
    fprintf(stderr, "usage: protocol [SCENARIO] [--policy P] [--seed N] [--set PATH=VALUE]... "
                    "[--db FILE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct tu_scenario sc;
    const char *path = DEFAULT_SCENARIO, *policy = "split", *db = NULL;
    const char *sets[64];
    char seed[64];
    size_t n_sets = 0;
    struct run_options opt = {0};
    struct run_result res;
    struct core_err e;
    char dir[] = "/tmp/coinfer-bench-XXXXXX", db_path[64] = "";
    int code = 0;

    core_init();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc) {
            policy = argv[++i];
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc && n_sets < 64) {
            snprintf(seed, sizeof(seed), "simulation@seed=%s", argv[++i]);
            sets[n_sets++] = seed;
        } else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc && n_sets < 64) {
            sets[n_sets++] = argv[++i];
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = argv[++i];
        } else if (argv[i][0] == '-') {
            return usage();
        } else {
            path = argv[i];
        }
    }
    if (tu_scenario_open(&sc, path, sets, n_sets, &e) != CORE_OK) {
        fprintf(stderr, "protocol: %s\n", e.msg);
        return 2;
    }
    if (!db) {
        if (!mkdtemp(dir)) {
            perror("protocol: mkdtemp");
            tu_scenario_close(&sc);
            return 1;
        }
        snprintf(db_path, sizeof(db_path), "%s/bench.db", dir);
        db = db_path;
    }
    opt.db_path = db;
    opt.policy = policy;
    opt.version = "bench";
    if (run_scenario(sc.a, &opt, &res, &e) != CORE_OK) {
        fprintf(stderr, "protocol: %s\n", e.msg);
        code = 1;
    } else {
        enum policy_kind k;
        bool optimal = policy_kind_find(policy, &k) && policy_optimal(k);

        printf("scenario %s, policy %s%s: %llu inferences (%llu declined, %llu overridden), "
               "%llu events, %.4g s simulated in %.3f s wall\n",
               io_config_name(sc.cfg), policy,
               optimal ? (res.exact ? " (exact)" : " (chain relaxation)") : "",
               (unsigned long long)res.collab.done, (unsigned long long)res.collab.declined,
               (unsigned long long)res.collab.overridden, (unsigned long long)res.events,
               res.sim_end_s, res.wall_s);
        printf("inferences_per_s=%.0f events_per_s=%.0f\n",
               (double)res.collab.done / res.wall_s, (double)res.events / res.wall_s);
    }
    tu_scenario_close(&sc);
    if (db_path[0]) {
        char f[96];

        unlink(db_path);
        snprintf(f, sizeof(f), "%s-wal", db_path);
        unlink(f);
        snprintf(f, sizeof(f), "%s-shm", db_path);
        unlink(f);
        rmdir(dir);
    }
    return code;
}
