/*
 * driver.c — the one run driver: assembled scenario -> world -> engine ->
 * records -> sinks (database, observer), for the validation queue, a radio
 * world and a collaborative world alike.
 *
 * The policy and the database path are settled before the database is
 * touched (a bad --policy leaves nothing behind); the run's row is written
 * 'running' with its configuration; the world is built on a fresh engine;
 * the engine runs in slices (slices.c) and the sinks (sinks.c) are drained
 * between them; the status is written last, so a stop (signal, failure)
 * keeps every row recorded before it.
 *
 * The worlds: the queue model's requests; a radio world sampled every
 * <radio sample-period> from 0 s to the end by an entity of this file (its
 * instants are events of their own, priority 255, after every other event
 * of their instant, so the clock reaches them even when nothing else is
 * scheduled); a collaborative world on a radio world with no traffic of
 * its own, its UEs deciding by a policy (decider.c) that hears every
 * outcome when it learns (the world's sink is then
 * run_sinks_outcome_observed).
 */
#include "run/run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- policies --------------------------------------------------------------------- */

const char *run_policy_name(enum io_scenario_kind kind, size_t i)
{
    switch (kind) {
    case IO_SCENARIO_QUEUE:
        return i == 0 ? "fifo" : NULL;
    case IO_SCENARIO_RADIO:
        return i == 0 ? "radio" : NULL;
    default:
        return i < POLICY_KIND_COUNT ? policy_kind_name((enum policy_kind)i) : NULL;
    }
}

/* The policy asked (NULL: the kind's default) among the kind's, or NULL. */
static const char *pick_policy(enum io_scenario_kind kind, const char *asked)
{
    const char *p;

    if (!asked)
        return kind == IO_SCENARIO_COLLAB ? policy_kind_name(policy_default())
                                          : run_policy_name(kind, 0);
    for (size_t i = 0; (p = run_policy_name(kind, i)); i++)
        if (strcmp(p, asked) == 0)
            return p;
    return NULL;
}

static enum core_rc unknown_policy(const struct run_assembly *a, const char *asked,
                                   struct core_err *e)
{
    char list[256] = "";
    const char *p;
    size_t at = 0;

    if (a->kind == IO_SCENARIO_QUEUE)
        return core_err(e, CORE_E_USAGE, "--policy %s: the queue model '%s' has one policy: %s",
                        asked, io_config_name(a->cfg), run_policy_name(a->kind, 0));
    for (size_t i = 0; (p = run_policy_name(a->kind, i)) && at < sizeof(list); i++)
        at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", i ? ", " : "", p);
    return core_err(e, CORE_E_USAGE, "--policy %s: unknown policy (%s, all)", asked, list);
}

/* ---- the radio sampler -------------------------------------------------------------- */

struct sampler {
    struct radio_world *radio;  /* sampled (borrowed) */
    struct run_sinks *sinks;    /* where the rows go (borrowed) */
    struct radio_sample *rows;  /* [n_ues] scratch (owned) */
    size_t n_ues;               /* UEs */
    double period_s;            /* between instants, s */
    double end_s;               /* the run's end, s */
    uint64_t k;                 /* the instant now due: k x period */
    uint32_t entity;            /* its engine entity */
    double last_s;              /* the last instant sampled, s */
};

static void on_tick(void *state, const struct core_event *ev, struct core_engine *eng)
{
    struct sampler *s = state;
    struct core_err e;
    double next_s;

    for (size_t i = 0; i < s->n_ues; i++)
        if (radio_world_sample(s->radio, (uint32_t)i, &s->rows[i], &e) != CORE_OK) {
            core_engine_fail(eng, e.rc, e.msg);
            return;
        }
    run_sinks_samples(s->sinks, s->rows, s->n_ues);
    /* each instant reaches the sinks, and the caller's observer, at once */
    core_engine_request_stop(eng);
    s->last_s = ev->time_s;
    next_s = (double)++s->k * s->period_s;
    if (next_s <= s->end_s * (1.0 + 1e-12) &&
        core_schedule_at(eng, next_s, s->entity, 0, 255, (union core_payload){0}) == 0)
        core_engine_fail(eng, CORE_E_NOMEM, "out of memory for events");
}

static const core_handler_fn tick_handlers[] = {on_tick};
static const struct core_entity_type sampler_type = {"radio_sampler", tick_handlers, 1};

static enum core_rc sampler_start(struct sampler *s, struct core_engine *eng,
                                  struct radio_world *radio, struct run_sinks *sinks,
                                  const struct run_assembly *a, struct core_err *e)
{
    int type = core_engine_register_type(eng, &sampler_type);

    memset(s, 0, sizeof(*s));
    s->radio = radio;
    s->sinks = sinks;
    s->n_ues = radio_world_n_ues(radio);
    s->period_s = a->radio.sample_period_s;
    s->end_s = a->sim.duration_s;
    s->rows = core_calloc(s->n_ues ? s->n_ues : 1, sizeof(*s->rows));
    s->entity = type >= 0 ? core_engine_add_entity(eng, type, s) : UINT32_MAX;
    if (!s->rows || s->entity == UINT32_MAX ||
        core_schedule_at(eng, 0.0, s->entity, 0, 255, (union core_payload){0}) == 0)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory for the radio sampler",
                        io_config_path(a->cfg));
    return CORE_OK;
}

/* ---- the run ----------------------------------------------------------------------- */

static void result_init(struct run_result *res)
{
    memset(res, 0, sizeof(*res));
    core_stats_init(&res->sojourn);
    core_stats_init(&res->wait);
    core_p2_init(&res->p50, 0.50);
    core_p2_init(&res->p95, 0.95);
    core_p2_init(&res->p99, 0.99);
    res->theory_sojourn_s = NAN;
    snprintf(res->status, sizeof(res->status), "failed");
}

/* The worlds of one run, whichever exist. */
struct worlds {
    struct core_engine *eng;
    struct proto_queue_world *queue;
    struct radio_world *radio;
    struct proto_collab_world *collab;
    struct sampler sampler;
};

static enum core_rc build_worlds(const struct run_assembly *a, const struct run_options *opt,
                                 struct run_decider *decider, struct run_sinks *sinks,
                                 struct worlds *w, struct core_err *e)
{
    /* outcomes reach the policy only when it listens: no cost per outcome otherwise */
    const struct proto_sink sink = {
        .outcome = decider->observes ? run_sinks_outcome_observed : run_sinks_outcome,
        .message = opt->trace ? run_sinks_message : NULL,
        .energy = run_sinks_energy,
        .ctx = sinks,
    };

    w->eng = core_engine_create(a->kind == IO_SCENARIO_RADIO ? 0 : 4096);
    if (!w->eng)
        return core_err(e, CORE_E_NOMEM, "out of memory creating the engine");
    sinks->eng = w->eng;
    if (a->kind == IO_SCENARIO_QUEUE) {
        w->queue =
            proto_queue_world_create(&a->sim, &a->queue, w->eng, run_sinks_request, sinks, e);
        return w->queue ? CORE_OK : e->rc;
    }
    w->radio = radio_world_create(&a->radio, w->eng, a->sim.seed, e);
    if (!w->radio)
        return core_err(e, e->rc, "%s: %s", io_config_path(a->cfg), e->msg);
    if (a->kind == IO_SCENARIO_RADIO)
        return sampler_start(&w->sampler, w->eng, w->radio, sinks, a, e);
    sinks->decider = decider;
    w->collab = proto_collab_world_create(&a->collab, w->eng, w->radio, &decider->decider, NULL,
                                          &sink, e);
    return w->collab ? CORE_OK : e->rc;
}

static void worlds_fini(struct worlds *w, struct run_result *res)
{
    if (w->radio) {
        res->n_ues = radio_world_n_ues(w->radio);
        res->n_cells = radio_world_n_cells(w->radio);
        radio_world_stats(w->radio, &res->radio);
    }
    if (w->collab)
        proto_collab_world_stats(w->collab, &res->collab);
    proto_collab_world_destroy(w->collab);
    proto_queue_world_destroy(w->queue);
    radio_world_destroy(w->radio);
    core_free(w->sampler.rows);
    core_engine_destroy(w->eng);
}

/* The model names of a collaborative scenario, for the inferences' rows. */
static enum core_rc model_names(const struct run_assembly *a, struct run_sinks *s,
                                struct core_err *e)
{
    const char **names = core_calloc(a->n_models ? a->n_models : 1, sizeof(*names));

    if (!names)
        return core_err(e, CORE_E_NOMEM, "out of memory");
    for (size_t m = 0; m < a->n_models; m++)
        names[m] = a->models[m].name;
    s->model_names = names;
    return CORE_OK;
}

enum core_rc run_scenario(const struct run_assembly *a, const struct run_options *opt,
                          struct run_result *res, struct core_err *e)
{
    struct run_decider decider = {0};
    struct run_sinks sinks = {0};
    struct worlds w = {0};
    struct db_run_info info;
    struct db *db = NULL;
    const char *policy;
    double wall0_s = core_wall_s();
    enum core_rc rc;

    result_init(res);
    res->seed = a->sim.seed;
    if (a->kind == IO_SCENARIO_QUEUE)
        res->theory_sojourn_s = proto_queue_theory_sojourn_s(&a->queue);
    policy = pick_policy(a->kind, opt->policy);
    if (!policy)
        return unknown_policy(a, opt->policy, e);
    if (opt->trace && a->kind != IO_SCENARIO_COLLAB)
        return core_err(e, CORE_E_USAGE, "--trace needs a collaborative scenario (%s is not)",
                        io_config_path(a->cfg));
    snprintf(res->policy, sizeof(res->policy), "%s", policy);
    if (!opt->no_db) {
        if (opt->db_path)
            snprintf(res->db_path, sizeof(res->db_path), "%s", opt->db_path);
        else
            run_default_db_path(io_config_name(a->cfg), res->db_path, sizeof(res->db_path));
    }
    if (a->kind == IO_SCENARIO_COLLAB) {
        enum policy_kind kind;

        CORE_ASSERT(policy_kind_find(policy, &kind));
        rc = run_decider_init(&decider, kind, a, opt->agent, e);
        if (rc == CORE_E_INPUT && opt->agent && policy_needs_agent(kind)) {
            char why[sizeof(e->msg)];

            snprintf(why, sizeof(why), "%s", e->msg);
            core_err(e, rc, "%s:0: %s", opt->agent_path ? opt->agent_path : "the agent", why);
        }
        if (rc == CORE_OK)
            rc = model_names(a, &sinks, e);
        if (rc != CORE_OK)
            goto out_free;
        res->exact = decider.exact;
    }
    if (res->db_path[0]) {
        db = db_open(res->db_path, e);
        if (!db) {
            rc = e->rc;
            goto out_free;
        }
        run_info(a, policy, opt->version, &info);
        rc = db_run_begin(db, &info, &res->run_id, e);
        if (rc != CORE_OK)
            goto out_close_db;
    }
    sinks.db = db;
    sinks.assembly = a;
    sinks.run_id = res->run_id;
    sinks.observer = opt->observer;
    sinks.res = res;
    rc = build_worlds(a, opt, &decider, &sinks, &w, e);
    if (rc == CORE_OK && db && w.collab)
        rc = run_record_ues(a, w.radio, db, res->run_id, e);
    if (rc == CORE_OK && db && w.collab)
        rc = run_record_layers(a, db, res->run_id, e);
    if (rc == CORE_OK && db && w.collab)
        rc = run_record_sample_fields(a, db, res->run_id, e);
    if (rc == CORE_OK)
        rc = run_slices(io_config_path(a->cfg), w.eng, a->sim.duration_s, opt->stop_flag,
                        opt->progress, opt->progress_ctx, run_sinks_drain, &sinks, e);
    /* The run stopped (at its end, or interrupted): what is in flight is
     * recorded unfinished. A failed run's world is left as it was. */
    if (w.collab && (rc == CORE_OK || rc == CORE_E_INTERRUPTED)) {
        struct core_err de = {0};
        enum core_rc drc;

        proto_collab_world_end(w.collab);
        drc = run_sinks_drain(&sinks, &de);
        if (drc != CORE_OK && rc == CORE_OK) {
            rc = drc;
            *e = de;
        }
    }
    if (w.eng) {
        res->events = core_engine_events_run(w.eng);
        res->sim_end_s = a->kind == IO_SCENARIO_RADIO ? w.sampler.last_s : core_engine_now(w.eng);
    }
    worlds_fini(&w, res);
    rc = run_end(db, res->run_id, rc, res->status, sizeof(res->status), e);
out_close_db:
    db_close(db);
out_free:
    run_decider_fini(&decider);
    run_sinks_fini(&sinks);
    res->wall_s = core_wall_s() - wall0_s;
    return rc;
}
