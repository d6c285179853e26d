/*
 * train.c — `coinfer train`: the learning agent trained offline from the
 * samples of one or more results databases (DESIGN.md step 9; no
 * interaction with any world while it trains).
 *
 * Each complete run with samples names its resolved configuration (the
 * `configs` table): it is assembled again (the same CPMM predictions, the
 * same problems), once per distinct configuration, so that every sample's
 * (device class, model) has its problem: the action space the agent's
 * network for it decodes over, and the masks of its decisions. Samples of
 * one (model, device class) from different configurations must share that
 * action space (layers, options per side, state size); the first
 * configuration's problem stands for all. A sample is parsed back (its
 * state's numbers, its action into a plan by policy_action_plan, the
 * compute state its decision saw by policy_state_decode) and costs minus its
 * reward. policy_agent_train does the rest; its progress goes to the
 * caller and to `training_steps`, the training itself to `trainings`, and
 * the agent to its file (io_agent_write).
 */
#include "run/run_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One distinct configuration, assembled. */
struct config_entry {
    char *text;                /* its canonical text (owned) */
    struct io_config *cfg;     /* loaded (owned) */
    struct run_assembly *a;    /* assembled (owned) */
};

/* One (model, device class) the samples cover. */
struct problem_entry {
    char *model, *device;                 /* names (owned) */
    const struct compute_problem *p;      /* the first configuration's problem (borrowed) */
    uint32_t n_state;                     /* its state's features */
};

struct loader {
    const char *db_path;              /* the database being read */
    int64_t run_id;                   /* the run being read */
    struct run_assembly *a;           /* its assembly */
    struct config_entry *configs; size_t n_configs;
    struct problem_entry *problems; size_t n_problems;
    /* The samples as policy_agent_train takes them; their state pointers
     * are set once the floats stop moving (state_at[i]: sample i's offset). */
    struct policy_sample *samples; size_t n_samples, cap_samples;
    size_t *state_at;
    float *floats; size_t n_floats, cap_floats;
    uint64_t skipped;                 /* samples of no bound problem (none today) */
};

static char *dup_text(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = core_malloc(n);

    if (d)
        memcpy(d, s, n);
    return d;
}

/* Load and assemble configuration text (through a temporary file: the
 * loader reads files). */
static enum core_rc assemble_text(struct loader *l, const char *text, struct config_entry *ce,
                                  struct core_err *e)
{
    char path[] = "/tmp/coinfer-train-XXXXXX";
    int fd = mkstemp(path);
    size_t n = strlen(text);
    enum core_rc rc;
    FILE *f;

    if (fd < 0)
        return core_err(e, CORE_E_IO, "%s: run %lld: a temporary file for its configuration: %s",
                        l->db_path, (long long)l->run_id, strerror(errno));
    f = fdopen(fd, "w");
    if (!f || fwrite(text, 1, n, f) != n || fclose(f) != 0) {
        if (!f)
            close(fd);
        unlink(path);
        return core_err(e, CORE_E_IO, "%s: run %lld: writing its configuration: %s", l->db_path,
                        (long long)l->run_id, strerror(errno));
    }
    rc = io_scenario_load(path, NULL, 0, &ce->cfg, e);
    if (rc == CORE_OK)
        rc = run_assemble(ce->cfg, &ce->a, e);
    unlink(path);
    if (rc != CORE_OK) {
        char why[sizeof(e->msg)];

        snprintf(why, sizeof(why), "%s", e->msg);
        return core_err(e, rc, "%s: run %lld: its recorded configuration does not assemble "
                               "(%s)", l->db_path, (long long)l->run_id, why);
    }
    return CORE_OK;
}

/* The assembly of configuration text: one already made, or a new one. */
static enum core_rc config_of(struct loader *l, const char *text, struct core_err *e)
{
    struct config_entry *grown, *ce;

    for (size_t i = 0; i < l->n_configs; i++)
        if (strcmp(l->configs[i].text, text) == 0) {
            l->a = l->configs[i].a;
            return CORE_OK;
        }
    grown = core_realloc(l->configs, (l->n_configs + 1) * sizeof(*grown));
    if (!grown)
        return core_err(e, CORE_E_NOMEM, "out of memory reading %s", l->db_path);
    l->configs = grown;
    ce = &l->configs[l->n_configs];
    memset(ce, 0, sizeof(*ce));
    ce->text = dup_text(text);
    if (!ce->text)
        return core_err(e, CORE_E_NOMEM, "out of memory reading %s", l->db_path);
    l->n_configs++;
    if (assemble_text(l, text, ce, e) != CORE_OK)
        return e->rc;
    l->a = ce->a;
    return CORE_OK;
}

/* The index of (model, device) among the problems, registered from the
 * run's assembly the first time; CORE_E_INPUT when the run has no such
 * problem or one of another action space. */
static enum core_rc problem_of(struct loader *l, const char *model, const char *device,
                               uint32_t *out, struct core_err *e)
{
    const struct run_assembly *a = l->a;
    const struct compute_problem *p = NULL;
    struct problem_entry *pe;

    for (size_t d = 0; d < a->n_devices && !p; d++)
        for (size_t m = 0; m < a->n_models && !p; m++)
            if (strcmp(a->models[m].name, model) == 0 &&
                strcmp(run_device_name(a, d), device) == 0)
                p = a->problem_of[d * a->n_models + m];
    if (!p)
        return core_err(e, CORE_E_INPUT,
                        "%s: run %lld: a sample of model '%s' on device class '%s', which its "
                        "configuration does not run",
                        l->db_path, (long long)l->run_id, model, device);
    for (size_t i = 0; i < l->n_problems; i++) {
        pe = &l->problems[i];
        if (strcmp(pe->model, model) != 0 || strcmp(pe->device, device) != 0)
            continue;
        if (pe->p->n_layers != p->n_layers ||
            pe->p->n_options[COMPUTE_SIDE_UE] != p->n_options[COMPUTE_SIDE_UE] ||
            pe->p->n_options[COMPUTE_SIDE_EDGE] != p->n_options[COMPUTE_SIDE_EDGE])
            return core_err(e, CORE_E_INPUT,
                            "%s: run %lld: model '%s' on device class '%s' has another action "
                            "space (%zu layers, %zu UE and %zu edge options) than in the samples "
                            "read before (%zu, %zu, %zu): one agent cannot learn both",
                            l->db_path, (long long)l->run_id, model, device, p->n_layers,
                            p->n_options[COMPUTE_SIDE_UE], p->n_options[COMPUTE_SIDE_EDGE],
                            pe->p->n_layers, pe->p->n_options[COMPUTE_SIDE_UE],
                            pe->p->n_options[COMPUTE_SIDE_EDGE]);
        *out = (uint32_t)i;
        return CORE_OK;
    }
    pe = core_realloc(l->problems, (l->n_problems + 1) * sizeof(*pe));
    if (!pe)
        return core_err(e, CORE_E_NOMEM, "out of memory reading %s", l->db_path);
    l->problems = pe;
    pe = &l->problems[l->n_problems];
    pe->model = dup_text(model);
    pe->device = dup_text(device);
    pe->p = p;
    pe->n_state = (uint32_t)policy_state_size(p);
    l->n_problems++;
    if (!pe->model || !pe->device)
        return core_err(e, CORE_E_NOMEM, "out of memory reading %s", l->db_path);
    *out = (uint32_t)(l->n_problems - 1);
    return CORE_OK;
}

static enum core_rc on_sample(void *ctx, const struct db_value *v, size_t n_cols,
                              struct core_err *e)
{
    struct loader *l = ctx;
    const struct compute_problem *p;
    int32_t action[COMPUTE_PLAN_MAX_LAYERS];
    struct policy_sample *s;
    uint32_t k = 0;
    enum core_rc rc;

    (void)n_cols;
    rc = problem_of(l, v[1].text, v[0].text, &k, e);
    if (rc != CORE_OK)
        return rc;
    p = l->problems[k].p;
    if (l->n_samples == l->cap_samples) {
        size_t cap = l->cap_samples ? 2 * l->cap_samples : 4096;
        struct policy_sample *g = core_realloc(l->samples, cap * sizeof(*g));
        size_t *at = g ? core_realloc(l->state_at, cap * sizeof(*at)) : NULL;

        if (g)
            l->samples = g;
        if (!at)
            return core_err(e, CORE_E_NOMEM, "out of memory reading the samples of %s",
                            l->db_path);
        l->state_at = at;
        l->cap_samples = cap;
    }
    if (l->n_floats + l->problems[k].n_state > l->cap_floats) {
        size_t cap = l->cap_floats ? 2 * l->cap_floats : 65536;
        float *g;

        while (cap < l->n_floats + l->problems[k].n_state)
            cap *= 2;
        g = core_realloc(l->floats, cap * sizeof(*g));
        if (!g)
            return core_err(e, CORE_E_NOMEM, "out of memory reading the samples of %s",
                            l->db_path);
        l->floats = g;
        l->cap_floats = cap;
    }
    s = &l->samples[l->n_samples];
    memset(s, 0, sizeof(*s));
    s->problem = k;
    l->state_at[l->n_samples] = l->n_floats;
    if (!run_sample_numbers(v[2].text, l->problems[k].n_state, l->floats + l->n_floats, NULL) ||
        !run_sample_numbers(v[3].text, policy_action_size(p), NULL, action) || v[4].null ||
        !isfinite(v[4].d))
        return core_err(e, CORE_E_INPUT,
                        "%s: run %lld: a sample of model '%s' whose state, action or reward is "
                        "not what its encoding says (sample_fields)",
                        l->db_path, (long long)l->run_id, v[1].text);
    if (policy_action_plan(p, action, &s->plan, e) != CORE_OK) {
        char why[sizeof(e->msg)];

        snprintf(why, sizeof(why), "%s", e->msg);
        return core_err(e, CORE_E_INPUT, "%s: run %lld: a sample of model '%s': %s",
                        l->db_path, (long long)l->run_id, v[1].text, why);
    }
    s->cost = -v[4].d;
    l->n_floats += l->problems[k].n_state;
    l->n_samples++;
    return CORE_OK;
}

struct run_row {
    int64_t run_id;
    char *config;
};

struct run_list {
    struct run_row *rows;
    size_t n;
};

static enum core_rc on_run(void *ctx, const struct db_value *v, size_t n_cols, struct core_err *e)
{
    struct run_list *r = ctx;
    struct run_row *g = core_realloc(r->rows, (r->n + 1) * sizeof(*g));

    (void)n_cols;
    if (!g)
        return core_err(e, CORE_E_NOMEM, "out of memory listing the runs");
    r->rows = g;
    g[r->n].run_id = v[0].i;
    g[r->n].config = dup_text(v[1].text);
    if (!g[r->n++].config)
        return core_err(e, CORE_E_NOMEM, "out of memory listing the runs");
    return CORE_OK;
}

/* Read every sample of the database at path into l. */
static enum core_rc load_db(struct loader *l, const char *path, struct core_err *e)
{
    struct db_reader *r = NULL;
    struct run_list runs = {0};
    enum core_rc rc = db_reader_open(path, &r, e);
    uint64_t before = l->n_samples;

    l->db_path = path;
    if (rc == CORE_OK)
        rc = db_query(r, DB_Q_RUNS_WITH_SAMPLES, 0, on_run, &runs, e);
    for (size_t i = 0; rc == CORE_OK && i < runs.n; i++) {
        l->run_id = runs.rows[i].run_id;
        rc = config_of(l, runs.rows[i].config, e);
        if (rc == CORE_OK)
            rc = db_query(r, DB_Q_SAMPLES_OF_RUN, l->run_id, on_sample, l, e);
    }
    if (rc == CORE_OK && l->n_samples == before)
        rc = core_err(e, CORE_E_INPUT,
                      "%s: no training samples (no complete collaborative run recorded any: "
                      "run a scenario with --db %s first)",
                      path, path);
    for (size_t i = 0; i < runs.n; i++)
        core_free(runs.rows[i].config);
    core_free(runs.rows);
    db_reader_close(r);
    return rc;
}

#define SUBSET_ENTITY ((uint64_t)0x5b5e7 << 32) /* the subset's RNG entity */

/* Keep at most max of l's samples, drawn uniformly (seed, CORE_RNG_SHUFFLE)
 * within each (model, device) pair in proportion to its count, at least
 * one each; the kept keep their order. */
static enum core_rc subset(struct loader *l, uint64_t max, uint64_t seed, struct core_err *e)
{
    size_t *idx = NULL, *at = NULL, *keep_n = NULL, n = l->n_samples, i, k, kept = 0;
    struct core_rng *r = NULL;
    bool *keep = NULL;
    enum core_rc rc = CORE_OK;

    if (max == 0 || max >= n)
        return CORE_OK;
    idx = core_malloc(n * sizeof(*idx));
    at = core_calloc(l->n_problems + 1, sizeof(*at));
    keep = core_calloc(n, sizeof(*keep));
    keep_n = core_calloc(l->n_problems, sizeof(*keep_n));
    r = core_rng_create(seed, SUBSET_ENTITY, CORE_RNG_SHUFFLE);
    if (!idx || !at || !keep || !keep_n || !r) {
        rc = core_err(e, CORE_E_NOMEM, "out of memory choosing %llu of %zu samples",
                      (unsigned long long)max, n);
        goto out;
    }
    /* Bucket the samples by problem (counting sort), then shuffle each
     * bucket's head. */
    for (i = 0; i < n; i++)
        at[l->samples[i].problem + 1]++;
    for (k = 0; k < l->n_problems; k++)
        at[k + 1] += at[k];
    for (i = 0; i < n; i++)
        idx[at[l->samples[i].problem]++] = i;
    for (k = l->n_problems; k > 0; k--)
        at[k] = at[k - 1];
    at[0] = 0;
    /* Each pair's share, rounded down but at least one, then what is left
     * one at a time in pair order, so that max are kept in all (or one a
     * pair when there are more pairs than max). */
    for (k = 0; k < l->n_problems; k++) {
        const size_t cnt = at[k + 1] - at[k];
        size_t want = (size_t)((double)max * (double)cnt / (double)n);

        want = want < 1 ? 1 : want > cnt ? cnt : want;
        keep_n[k] = want;
        kept += want;
    }
    /* Raising the small pairs to one may have taken more than max: give
     * back from the largest shares (never below one). */
    while (kept > max) {
        size_t big = 0;

        for (k = 1; k < l->n_problems; k++)
            if (keep_n[k] > keep_n[big])
                big = k;
        if (keep_n[big] <= 1)
            break; /* more pairs than max: one each */
        keep_n[big]--;
        kept--;
    }
    for (k = 0; kept < max; k = (k + 1) % l->n_problems)
        if (keep_n[k] < at[k + 1] - at[k]) {
            keep_n[k]++;
            kept++;
        }
    kept = 0;
    for (k = 0; k < l->n_problems; k++) {
        const size_t lo = at[k], cnt = at[k + 1] - at[k], want = keep_n[k];

        for (i = 0; i < want; i++) {
            size_t j = i + (size_t)core_rng_below(r, cnt - i), t = idx[lo + i];

            idx[lo + i] = idx[lo + j];
            idx[lo + j] = t;
            keep[idx[lo + i]] = true;
        }
    }
    for (i = 0; i < n; i++)
        if (keep[i]) {
            l->samples[kept] = l->samples[i];
            l->state_at[kept] = l->state_at[i];
            kept++;
        }
    l->n_samples = kept;
out:
    core_free(idx);
    core_free(at);
    core_free(keep);
    core_free(keep_n);
    core_rng_destroy(r);
    return rc;
}

static void loader_fini(struct loader *l)
{
    for (size_t i = 0; i < l->n_configs; i++) {
        core_free(l->configs[i].text);
        run_assembly_destroy(l->configs[i].a);
        io_config_destroy(l->configs[i].cfg);
    }
    for (size_t i = 0; i < l->n_problems; i++) {
        core_free(l->problems[i].model);
        core_free(l->problems[i].device);
    }
    core_free(l->configs);
    core_free(l->problems);
    core_free(l->samples);
    core_free(l->state_at);
    core_free(l->floats);
}

/* ---- training ------------------------------------------------------------------- */

struct progress {
    const struct run_train_options *o;
    struct db *db;
    int64_t train_id;
    struct policy_train_step last;
    enum core_rc rc;                 /* the first failure to record a step */
    struct core_err err;
};

static void on_step(void *ctx, const struct policy_train_step *s)
{
    struct progress *pr = ctx;
    const struct db_training_step row = {s->step, s->loss, s->heldout_loss, s->heldout_regret};

    pr->last = *s;
    if (pr->db && pr->rc == CORE_OK)
        pr->rc = db_insert_training_steps(pr->db, pr->train_id, &row, 1, &pr->err);
    if (pr->o->progress)
        pr->o->progress(pr->o->progress_ctx, s, pr->o->cfg.steps);
}

/* The sources, one per line (owned), for the trainings row. */
static char *sources_text(const struct run_train_options *o)
{
    size_t n = 1;
    char *t, *at;

    for (size_t i = 0; i < o->n_sources; i++)
        n += strlen(o->sources[i]) + 1;
    t = core_malloc(n);
    if (!t)
        return NULL;
    at = t;
    for (size_t i = 0; i < o->n_sources; i++) {
        size_t k = strlen(o->sources[i]);

        memcpy(at, o->sources[i], k);
        at += k;
        *at++ = i + 1 < o->n_sources ? '\n' : '\0';
    }
    if (o->n_sources == 0)
        *at = '\0';
    return t;
}

enum core_rc run_train(const struct run_train_options *o, struct run_train_result *res,
                       struct core_err *e)
{
    struct loader l = {0};
    struct policy_agent_problem *problems = NULL;
    struct compute_state *states = NULL;
    struct policy_agent *agent = NULL;
    struct progress pr = {.o = o};
    struct db *db = NULL;
    char settings[256], *sources = NULL;
    double wall0_s = core_wall_s();
    enum core_rc rc = CORE_OK;

    memset(res, 0, sizeof(*res));
    for (size_t i = 0; rc == CORE_OK && i < o->n_sources; i++)
        rc = load_db(&l, o->sources[i], e);
    res->samples_read = l.n_samples;
    if (rc == CORE_OK)
        rc = subset(&l, o->max_samples, o->cfg.seed, e);
    if (rc == CORE_OK) {
        problems = core_calloc(l.n_problems, sizeof(*problems));
        states = core_calloc(l.n_samples, sizeof(*states));
        if (!problems || !states)
            rc = core_err(e, CORE_E_NOMEM, "out of memory for %zu samples", l.n_samples);
    }
    for (size_t i = 0; rc == CORE_OK && i < l.n_problems; i++)
        problems[i] = (struct policy_agent_problem){l.problems[i].model, l.problems[i].device,
                                                    l.problems[i].p, l.problems[i].n_state};
    for (size_t i = 0; rc == CORE_OK && i < l.n_samples; i++) { /* the floats stay put now */
        struct policy_sample *s = &l.samples[i];

        s->state = l.floats + l.state_at[i];
        policy_state_decode(l.problems[s->problem].p, s->state, &states[i]);
        s->st = &states[i];
    }
    res->samples = l.n_samples;
    res->problems = l.n_problems;
    res->load_s = core_wall_s() - wall0_s;
    if (rc == CORE_OK) {
        db = db_open(o->db_path ? o->db_path : o->sources[0], e);
        if (!db)
            rc = e->rc;
    }
    if (rc == CORE_OK) {
        const struct policy_train_config *c = &o->cfg;
        struct db_training_info info;

        snprintf(settings, sizeof(settings),
                 "batch=%u learning_rate=%g hidden=%u depth=%u conservative=%g holdout=%g "
                 "threads=%d prior=%s keep=%s every=%llu shrink=%g%s max_samples=%llu pessimism=%g",
                 (unsigned)c->batch, c->learning_rate, (unsigned)c->hidden, (unsigned)c->depth,
                 c->conservative, c->holdout, c->threads,
                 policy_prior_name((enum policy_prior)c->prior), c->best_heldout ? "best" : "last",
                 (unsigned long long)o->every, c->shrink, c->imitate ? " imitate" : "",
                 (unsigned long long)o->max_samples, c->pessimism);
        sources = sources_text(o);
        info = (struct db_training_info){o->out_path, sources ? sources : "", l.n_samples,
                                         c->seed, c->steps, settings, o->version};
        rc = sources ? db_training_begin(db, &info, &pr.train_id, e)
                     : core_err(e, CORE_E_NOMEM, "out of memory");
        pr.db = rc == CORE_OK ? db : NULL;
    }
    if (rc == CORE_OK)
        rc = policy_agent_train(problems, l.n_problems, l.samples, l.n_samples, &o->cfg, on_step,
                                &pr, o->every, &agent, e);
    if (rc == CORE_OK && pr.rc != CORE_OK) {
        rc = pr.rc;
        *e = pr.err;
    }
    if (rc == CORE_OK)
        rc = io_agent_write(agent, o->out_path, e);
    if (pr.db) {
        struct core_err end_err;
        enum core_rc erc = db_training_end(db, pr.train_id, rc == CORE_OK ? "complete" : "failed",
                                           &end_err);

        if (rc == CORE_OK && erc != CORE_OK) {
            rc = erc;
            *e = end_err;
        }
    }
    res->train_id = pr.train_id;
    res->last = pr.last;
    res->wall_s = core_wall_s() - wall0_s;
    policy_agent_destroy(agent);
    db_close(db);
    core_free(sources);
    core_free(problems);
    core_free(states);
    loader_fini(&l);
    return rc;
}
