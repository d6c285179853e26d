/*
 * queue.c — the run driver of the validation queue: scenario -> world ->
 * engine -> records -> database.
 *
 * The engine runs in slices (run_slices: a bounded number of events, or
 * until the world's record buffer fills); between slices the driver drains
 * the buffer into the database in one transaction and updates the summary
 * statistics. Handlers therefore never do I/O, and a stop (signal,
 * failure) loses nothing already recorded: the last slice is drained before
 * the run's status is written.
 */
#include "run/run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define RECORD_BUFFER_ROWS 65536     /* rows between database transactions */

/* Policies a scenario kind accepts; the first is its default. */
static const char *const queue_policies[] = {"fifo", NULL};

static const char *pick_policy(const char *const *allowed, const char *asked)
{
    size_t i;

    if (!asked)
        return allowed[0];
    for (i = 0; allowed[i]; i++)
        if (strcmp(allowed[i], asked) == 0)
            return allowed[i];
    return NULL;
}

static void summarise(struct run_queue_result *res, const struct proto_records *r)
{
    size_t i;

    for (i = 0; i < r->n; i++) {
        const struct proto_request_record *row = &r->rows[i];
        double sojourn_s = row->t_done_s - row->t_arrival_s;

        core_stats_add(&res->sojourn, sojourn_s);
        core_stats_add(&res->wait, row->t_start_s - row->t_arrival_s);
        core_p2_add(&res->p50, sojourn_s);
        core_p2_add(&res->p95, sojourn_s);
        core_p2_add(&res->p99, sojourn_s);
    }
}

static enum core_rc drain(struct db *db, int64_t run_id, struct proto_records *r,
                          struct run_queue_result *res, struct core_err *e)
{
    enum core_rc rc;

    if (r->n == 0)
        return CORE_OK;
    rc = db_insert_requests(db, run_id, r->rows, r->n, e);
    if (rc != CORE_OK)
        return rc;
    summarise(res, r);
    res->n_recorded += r->n;
    r->n = 0;
    return CORE_OK;
}

static void result_init(struct run_queue_result *res)
{
    memset(res, 0, sizeof(*res));
    res->run_id = -1;
    core_stats_init(&res->sojourn);
    core_stats_init(&res->wait);
    core_p2_init(&res->p50, 0.50);
    core_p2_init(&res->p95, 0.95);
    core_p2_init(&res->p99, 0.99);
    res->theory_sojourn_s = NAN;
    snprintf(res->status, sizeof(res->status), "failed");
}

/* run_slices' drain: the queue world's rows into the database. */
struct queue_drain {
    struct db *db;              /* the database */
    struct proto_records *records; /* the world's buffer */
    struct run_queue_result *res;     /* run id, summary */
};

static enum core_rc drain_queue(void *ctx, struct core_err *e)
{
    struct queue_drain *d = ctx;

    return drain(d->db, d->res->run_id, d->records, d->res, e);
}

enum core_rc run_queue(const struct run_assembly *a, const struct run_queue_options *opt,
                             struct run_queue_result *res, struct core_err *e)
{
    struct db_run_info info;
    const struct proto_sim_config *sim = &a->sim;
    struct proto_records records = {0};
    struct core_engine *eng = NULL;
    struct proto_queue_world *world = NULL;
    struct db *db = NULL;
    const char *policy;
    double wall0_s = core_wall_s();
    enum core_rc rc;

    result_init(res);
    if (a->kind != IO_SCENARIO_QUEUE)
        return core_err(e, CORE_E_USAGE,
                        "%s: a radio scenario (mobility, channel and transfers only): "
                        "run it with `coinfer radio %s`", io_config_path(a->cfg), io_config_path(a->cfg));
    policy = pick_policy(queue_policies, opt->policy);
    if (!policy)
        return core_err(e, CORE_E_USAGE,
                        "--policy %s: the queue model '%s' has one policy: fifo", opt->policy,
                        io_config_name(a->cfg));
    if (opt->db_path)
        snprintf(res->db_path, sizeof(res->db_path), "%s", opt->db_path);
    else
        run_default_db_path(io_config_name(a->cfg), res->db_path, sizeof(res->db_path));
    res->theory_sojourn_s = proto_queue_theory_sojourn_s(&a->queue);

    db = db_open(res->db_path, e);
    if (!db)
        return e->rc;
    run_info(a, policy, opt->version, &info);
    rc = db_run_begin(db, &info, &res->run_id, e);
    if (rc != CORE_OK)
        goto out_close_db;

    rc = proto_records_init(&records, RECORD_BUFFER_ROWS);
    if (rc != CORE_OK) {
        core_err(e, rc, "out of memory for the record buffer");
        goto out_end_run;
    }
    eng = core_engine_create(4096);
    if (!eng) {
        rc = core_err(e, CORE_E_NOMEM, "out of memory creating the engine");
        goto out_end_run;
    }
    world = proto_queue_world_create(sim, &a->queue, eng, &records, e);
    if (!world) {
        rc = e->rc;
        goto out_end_run;
    }
    {
        struct queue_drain d = {db, &records, res};

        rc = run_slices(io_config_path(a->cfg), eng, a->sim.duration_s, opt->stop_flag, opt->progress,
                           opt->progress_ctx, drain_queue, &d, e);
    }
    res->events = core_engine_events_run(eng);
    res->sim_end_s = core_engine_now(eng);

out_end_run:
    rc = run_end(db, res->run_id, rc, res->status, sizeof(res->status), e);
    proto_queue_world_destroy(world);
    core_engine_destroy(eng);
    proto_records_fini(&records);
out_close_db:
    db_close(db);
    res->wall_s = core_wall_s() - wall0_s;
    return rc;
}
