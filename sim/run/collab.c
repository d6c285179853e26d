/*
 * collab.c — running a collaborative-inference scenario into the
 * database: the radio world, the protocol world on top of it, and a policy
 * as the UEs' decision maker.
 *
 * The policy is prepared once per (device class, model) problem
 * (policy_solver_create: the oracle enumerates a DAG's cuts there) and
 * wired to the world as its proto_decide_fn, so proto never sees sim/policy.
 * Rows are buffered by the world's handlers and drained between slices of
 * the run, one transaction per batch, exactly as the queue model's driver
 * does; a stop keeps every row drained so far.
 */
#include "run/run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy.h"

#define INFERENCE_BUFFER_ROWS 4096 /* inference rows between two drains */
#define MESSAGE_BUFFER_ROWS 16384  /* message rows between two drains (--trace) */

struct deciders {
    struct policy_solver *solver[PROTO_MAX_DEVICES][PROTO_MAX_MODELS];
};

static enum core_rc decide(void *ctx, uint32_t device, uint32_t model,
                           const struct compute_problem *p, const struct compute_state *s,
                           struct core_rng *rng, struct compute_plan *out, struct core_err *e)
{
    struct deciders *d = ctx;

    (void)p;
    return policy_decide(d->solver[device][model], s, rng, out, e);
}

static void deciders_destroy(struct deciders *d)
{
    for (size_t i = 0; i < PROTO_MAX_DEVICES; i++)
        for (size_t j = 0; j < PROTO_MAX_MODELS; j++)
            policy_solver_destroy(d->solver[i][j]);
}

static enum core_rc deciders_create(struct deciders *d, enum policy_kind kind,
                                    const struct proto_collab_config *cfg, bool *exact,
                                    struct core_err *e)
{
    memset(d, 0, sizeof(*d));
    *exact = true;
    for (size_t i = 0; i < cfg->n_devices; i++)
        for (size_t j = 0; j < cfg->n_models; j++) {
            if (!cfg->problem[i][j])
                continue; /* no UE of class i runs model j */
            d->solver[i][j] = policy_solver_create(kind, cfg->problem[i][j], e);
            if (!d->solver[i][j]) {
                deciders_destroy(d);
                return e->rc;
            }
            if (!policy_solver_exact(d->solver[i][j]))
                *exact = false;
        }
    return CORE_OK;
}

static enum core_rc drain(struct db *db, int64_t run_id, const char *policy,
                          const struct proto_collab_config *cfg, struct proto_collab_records *r,
                          const struct run_collab_options *opt, struct run_collab_result *res,
                          struct core_err *e)
{
    enum core_rc rc;

    if (r->n_inferences > 0) {
        rc = db_insert_inferences(db, run_id, policy, cfg->model_name, r->inferences,
                                  r->n_inferences, e);
        if (rc != CORE_OK)
            return rc;
        if (opt->on_rows)
            opt->on_rows(opt->rows_ctx, r->inferences, r->n_inferences);
        res->n_inferences += r->n_inferences;
        r->n_inferences = 0;
    }
    if (r->n_messages > 0) {
        rc = db_insert_messages(db, run_id, r->messages, r->n_messages, e);
        if (rc != CORE_OK)
            return rc;
        res->n_messages += r->n_messages;
        r->n_messages = 0;
    }
    return CORE_OK;
}

/* run_slices' drain: the collaborative world's rows into the database. */
struct collab_drain {
    struct db *db;                       /* the database */
    const char *policy;                     /* the run's policy */
    const struct proto_collab_config *cfg;  /* model names */
    struct proto_collab_records *records;   /* the world's buffers */
    const struct run_collab_options *opt;    /* on_rows */
    struct run_collab_result *res;           /* run id, counts */
};

static enum core_rc drain_collab(void *ctx, struct core_err *e)
{
    struct collab_drain *d = ctx;

    return drain(d->db, d->res->run_id, d->policy, d->cfg, d->records, d->opt, d->res, e);
}

enum core_rc run_collab(const struct run_assembly *a, const char *policy,
                        const struct run_collab_options *opt, struct run_collab_result *res,
                        struct core_err *e)
{
    const struct proto_collab_config *cfg = &a->collab;
    struct proto_collab_records records = {0};
    struct deciders deciders;
    struct core_engine *eng = NULL;
    struct radio_world *radio = NULL;
    struct proto_collab_world *world = NULL;
    struct db *db = NULL;
    struct db_run_info info;
    enum policy_kind kind;
    double wall0_s = core_wall_s();
    enum core_rc rc;

    memset(res, 0, sizeof(*res));
    res->run_id = -1;
    snprintf(res->status, sizeof(res->status), "failed");
    if (!policy_kind_find(policy, &kind))
        return core_err(e, CORE_E_USAGE,
                        "--policy %s: unknown policy (local, edge, split, oracle, random, all)",
                        policy);
    snprintf(res->policy, sizeof(res->policy), "%s", policy);
    res->seed = cfg->sim.seed;
    if (opt->db_path)
        snprintf(res->db_path, sizeof(res->db_path), "%s", opt->db_path);
    else
        run_default_db_path(io_config_name(a->cfg), res->db_path, sizeof(res->db_path));
    rc = deciders_create(&deciders, kind, cfg, &res->exact, e);
    if (rc != CORE_OK)
        return rc;

    db = db_open(res->db_path, e);
    if (!db) {
        deciders_destroy(&deciders);
        return e->rc;
    }
    run_info(a, policy, opt->version, &info);
    rc = db_run_begin(db, &info, &res->run_id, e);
    if (rc != CORE_OK)
        goto out_close_db;
    rc = proto_collab_records_init(&records, INFERENCE_BUFFER_ROWS,
                                   opt->trace ? MESSAGE_BUFFER_ROWS : 0);
    if (rc != CORE_OK) {
        core_err(e, rc, "out of memory for the record buffers");
        goto out_end_run;
    }
    eng = core_engine_create(4096);
    if (!eng) {
        rc = core_err(e, CORE_E_NOMEM, "out of memory creating the engine");
        goto out_end_run;
    }
    radio = radio_world_create(&a->radio, eng, cfg->sim.seed, e);
    if (!radio) {
        rc = e->rc;
        goto out_end_run;
    }
    world = proto_collab_world_create(cfg, eng, radio, decide, &deciders, &records, e);
    if (!world) {
        rc = e->rc;
        goto out_end_run;
    }
    {
        struct collab_drain d = {db, policy, cfg, &records, opt, res};

        rc = run_slices(io_config_path(a->cfg), eng, cfg->sim.duration_s, opt->stop_flag, opt->progress,
                           opt->progress_ctx, drain_collab, &d, e);
    }
    res->events = core_engine_events_run(eng);
    res->sim_end_s = core_engine_now(eng);
    proto_collab_world_stats(world, &res->stats);

out_end_run:
    rc = run_end(db, res->run_id, rc, res->status, sizeof(res->status), e);
    proto_collab_world_destroy(world);
    radio_world_destroy(radio);
    core_engine_destroy(eng);
    proto_collab_records_fini(&records);
out_close_db:
    db_close(db);
    deciders_destroy(&deciders);
    res->wall_s = core_wall_s() - wall0_s;
    return rc;
}
