/*
 * cmd_run_collab.c — `coinfer run` on a collaborative-inference scenario:
 * one policy, or `--policy all` (every policy on the same seed, so they see
 * the same arrivals and the same channels: common random numbers; rl when
 * an agent is given), then the per-policy summary.
 *
 * The scenario's models and problems are built once and shared by every
 * policy's run; each policy gets its own `runs` row.
 */
#include "cli/cli_int.h"

#include <stdio.h>
#include <string.h>

#include "run/run.h"
#include "policy/policy.h"

#define N_POLICIES ((size_t)POLICY_KIND_COUNT)

struct rows_ctx {
    struct run_summary *sum; /* the running policy's summary */
    enum core_rc rc;               /* CORE_E_NOMEM if a batch could not be added */
};

static void on_rows(void *ctx, const struct proto_outcome *rows, size_t n)
{
    struct rows_ctx *r = ctx;
    struct core_err e;

    if (r->rc == CORE_OK)
        r->rc = run_summary_add(r->sum, rows, n, &e);
}

static void print_run(const struct run_assembly *a, const struct run_result *r)
{
    double ev_rate = r->wall_s > 0 ? (double)r->events / r->wall_s : 0.0;
    enum policy_kind k;
    /* whether the best of its cuts is the optimum is worth saying */
    bool optimal = policy_kind_find(r->policy, &k) && policy_optimal(k);

    printf("run %lld %s: %s (seed %llu, policy %s%s), %.9g s simulated in %.2f s wall, "
           "%llu events (%.3g events/s), %llu inferences, %llu overrides, %llu re-decisions "
           "(%llu to local), %llu batteries emptied\n",
           (long long)r->run_id, r->status, io_config_name(a->cfg), (unsigned long long)r->seed,
           r->policy, optimal ? (r->exact ? ", exact" : ", chain relaxation") : "",
           r->sim_end_s, r->wall_s, (unsigned long long)r->events, ev_rate,
           (unsigned long long)r->collab.done, (unsigned long long)r->collab.overridden,
           (unsigned long long)r->collab.redecisions,
           (unsigned long long)r->collab.a2_cancels,
           (unsigned long long)r->collab.batteries_out);
}

int cli_run_collab(const struct run_assembly *a, const char *policy, struct run_options *opt,
                   bool quiet)
{
    struct run_summary sums[N_POLICIES];
    struct run_result res;
    struct cli_progress progress;
    struct rows_ctx rows;
    struct core_err e;
    const char *which[N_POLICIES];
    size_t n = 0, done = 0;
    enum core_rc rc;
    int code = 0;

    core_err_clear(&e);
    if (policy && strcmp(policy, "all") == 0) {
        const char *p;

        enum policy_kind k;

        for (size_t i = 0; i < N_POLICIES && (p = run_policy_name(a->kind, i)); i++)
            if (opt->agent || !policy_kind_find(p, &k) || !policy_needs_agent(k))
                which[n++] = p; /* rl only with an agent */
    } else {
        which[n++] = policy ? policy : policy_kind_name(policy_default());
    }
    opt->observer.outcomes = on_rows;
    opt->observer.ctx = &rows;
    for (size_t i = 0; i < n; i++) {
        run_summary_init(&sums[i], which[i], 0);
        rows.sum = &sums[i];
        rows.rc = CORE_OK;
        cli_progress_init(&progress, quiet);
        opt->progress = cli_progress_update;
        opt->progress_ctx = &progress;
        opt->policy = which[i];
        rc = run_scenario(a, opt, &res, &e);
        cli_progress_finish(&progress);
        if (rc == CORE_OK || rc == CORE_E_INTERRUPTED)
            done = i + 1; /* it has a run and rows to summarise */
        else
            run_summary_fini(&sums[i]);
        if (rc == CORE_E_USAGE) /* an unknown policy: before any run */
            return cli_fail(&e);
        sums[i].run_id = res.run_id;
        if (rc == CORE_OK && rows.rc != CORE_OK)
            rc = core_err(&e, CORE_E_NOMEM, "out of memory for the summary's latencies");
        if ((rc == CORE_OK || rc == CORE_E_INTERRUPTED) && !quiet)
            print_run(a, &res);
        if (rc != CORE_OK) {
            code = cli_fail(&e);
            break;
        }
    }
    if (!quiet && done > 0) {
        for (size_t i = 0; i < done; i++)
            run_summary_finish(&sums[i]);
        printf("\n");
        if (done > 1)
            run_summary_print_columns(stdout, sums, done);
        else
            run_summary_print(stdout, sums, done);
        printf("results: %s (see: coinfer report %s)\n", res.db_path, res.db_path);
    }
    for (size_t i = 0; i < done; i++)
        run_summary_fini(&sums[i]);
    return code;
}
