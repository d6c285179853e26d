/*
 * collab.c — a loaded collaborative scenario resolved into what the world
 * is built from: struct proto_collab_config, one compute_problem per
 * (device class, model) that some ue-group runs, the models themselves and
 * the radio world without traffic of its own.
 *
 * Each model is loaded (its file relative to the scenario's directory, or
 * the zoo's). Costed mode needs only its graph, shapes and costs, so it is
 * not finalized (VGG-16 takes kilobytes, not its 553 MB of weights); real
 * mode finalizes it with seed 1, folds its batch norms and fuses its
 * activations as an inference engine deploys it. Either way the layers that
 * folding and fusing make aliases are nn's answer (nn_model_layer_alias).
 *
 * A side's options come from its <use> elements (io_collab_side_options);
 * every option of every side prices every layer through the CPMM's roofline
 * on the declared figures:
 *   latency = max(FLOPs / (peak x amount x efficiency), bytes / bandwidth)
 *             + overhead,     energy = active power x share used x latency,
 * INFINITY where the resource does not run the layer's type. A layer that
 * moves no data (a reshape, or an alias left by folding and fusing) costs
 * ALIAS_LATENCY_S on any option and no energy; when it is the only reader of
 * its producer it joins the producer's problem layer (struct model_layers),
 * which halves MobileNetV2's and ResNet-18's problems and every per-layer
 * loop of the policies and the world: a cut between a conv and its fused
 * activation sends the same tensor at the same cost as the cut after it.
 *
 * Layout: struct io_collab owns everything its config points to (model
 * names, problems, models, radio groups and positions), so the config
 * stays valid as long as the io_collab, whatever becomes of the scenario.
 */
#include "io/collab_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn.h"

/* The cost of a layer that moves no data: a pointer hand-off, s. Positive
 * because a problem's latencies are (compute_problem_check). */
#define ALIAS_LATENCY_S 1e-9

struct io_collab {
    struct proto_collab_config cfg;                          /* what the world is built from */
    char model_name[PROTO_MAX_MODELS][CORE_KNOB_STRING_MAX]; /* cfg.model_name points here */
    struct nn_model *model[PROTO_MAX_MODELS];                /* shapes only (costed) or finalized,
                                                                folded, fused (real) (owned) */
    uint16_t *layer_group[PROTO_MAX_MODELS];                 /* nn layer -> problem layer (owned) */
    struct compute_problem problem[PROTO_MAX_DEVICES][PROTO_MAX_MODELS]; /* cfg.problem's */
    struct radio_world_config radio;                                     /* groups point below */
    struct radio_ue_group_config groups[IO_RADIO_MAX_GROUPS];            /* traffic zeroed */
    double pos_x_m[IO_RADIO_MAX_POSITIONS];                              /* positions, m */
    double pos_y_m[IO_RADIO_MAX_POSITIONS];                              /* positions, m */
};

/* One model's layers as the CPMM sees them, and as the problem groups them:
 * an alias that is the only reader of its producer (a folded batch norm, a
 * fused activation, a flatten) joins its producer's group, since no cut
 * between them changes what crosses or what it costs; every other layer
 * heads a group of its own. Groups are numbered in order of their heads, a
 * topological order. */
struct model_layers {
    size_t n;                        /* layers */
    struct compute_layer_desc *desc; /* [n] (owned) */
    bool *alias;                     /* [n]: moves no data (owned) */
    uint16_t *group_of;              /* [n]: the problem layer each is part of (owned) */
    int *head;                       /* [n_groups]: its first layer (owned) */
    int *last;                       /* [n_groups]: its last layer, whose output it is (owned) */
    size_t n_groups;                 /* problem layers */
};

/* ---- models --------------------------------------------------------------- */

/* The model file's path: as written if absolute, else beside the scenario. */
static void model_path(const char *scenario, const char *file, char *out, size_t size)
{
    const char *slash = strrchr(scenario, '/');

    if (file[0] == '/' || slash == NULL)
        snprintf(out, size, "%s", file);
    else
        snprintf(out, size, "%.*s/%s", (int)(slash - scenario), scenario, file);
}

static enum core_rc load_model(const struct io_scenario *sc, size_t i, struct nn_model **out,
                               struct core_err *e)
{
    const struct proto_model_config *mc = &sc->collab.model[i];
    bool real = sc->collab.inference.mode == PROTO_INFER_REAL;
    char path[IO_PATH_MAX + CORE_KNOB_STRING_MAX];
    struct nn_model *m = NULL;
    enum core_rc rc;

    /* Costed mode prices shapes and costs only: no weights, no arena. Real
     * mode runs the model, finalized, folded and fused. */
    if (mc->file[0] != '\0') {
        model_path(sc->path, mc->file, path, sizeof(path));
        rc = real ? io_model_load(path, 1, &m, e) : io_model_load_shapes(path, &m, e);
    } else {
        enum nn_zoo_model z = NN_ZOO_COUNT;

        if (!nn_zoo_find(mc->zoo, &z))
            CORE_ASSERT(!"a zoo name the loader checked");
        rc = nn_zoo_build(z, 1, &m, e);
        if (rc == CORE_OK && real)
            rc = nn_model_finalize(m, 1, e);
    }
    if (rc != CORE_OK) {
        nn_model_destroy(m);
        return rc;
    }
    if (real) {
        nn_model_fold_batchnorm(m);
        nn_model_fuse_activations(m);
    }
    if (nn_model_n_layers(m) > COMPUTE_PLAN_MAX_LAYERS) {
        size_t n = nn_model_n_layers(m);
        nn_model_destroy(m);
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'model': model '%s' has %zu layers, more than the %d a "
                        "plan can hold",
                        sc->path, sc->collab.model_line[i], mc->name, n, COMPUTE_PLAN_MAX_LAYERS);
    }
    *out = m;
    return CORE_OK;
}

/* Whether producer's output has exactly one reader. */
static bool reads_alone(const struct nn_model *m, int producer)
{
    size_t n_layers = nn_model_n_layers(m), readers = 0;

    for (size_t j = 0; j < n_layers; j++) {
        size_t n_in;
        const int *in = nn_model_layer_inputs(m, (int)j, &n_in);
        for (size_t k = 0; k < n_in; k++)
            readers += in[k] == producer;
    }
    return readers == 1;
}

static void model_layers_fini(struct model_layers *ml)
{
    core_free(ml->desc);
    core_free(ml->alias);
    core_free(ml->group_of);
    core_free(ml->head);
    core_free(ml->last);
    memset(ml, 0, sizeof(*ml));
}

/* Group ml's layers (see struct model_layers). */
static void group_layers(const struct nn_model *m, struct model_layers *ml)
{
    ml->n_groups = 0;
    for (size_t i = 0; i < ml->n; i++) {
        size_t n_in;
        const int *in = nn_model_layer_inputs(m, (int)i, &n_in);

        if (ml->alias[i] && n_in == 1 && in[0] >= 0 && reads_alone(m, in[0])) {
            uint16_t g = ml->group_of[in[0]];

            ml->group_of[i] = g;
            ml->last[g] = (int)i;
            continue;
        }
        ml->group_of[i] = (uint16_t)ml->n_groups;
        ml->head[ml->n_groups] = (int)i;
        ml->last[ml->n_groups] = (int)i;
        ml->n_groups++;
    }
}

static enum core_rc model_layers_init(const struct io_scenario *sc, size_t mi,
                                      const struct nn_model *m, struct model_layers *ml,
                                      struct core_err *e)
{
    struct core_err why;

    ml->n = nn_model_n_layers(m);
    ml->desc = core_calloc(ml->n, sizeof(*ml->desc));
    ml->alias = core_calloc(ml->n, sizeof(*ml->alias));
    ml->group_of = core_calloc(ml->n, sizeof(*ml->group_of));
    ml->head = core_calloc(ml->n, sizeof(*ml->head));
    ml->last = core_calloc(ml->n, sizeof(*ml->last));
    if (ml->desc == NULL || ml->alias == NULL || ml->group_of == NULL || ml->head == NULL ||
        ml->last == NULL) {
        model_layers_fini(ml);
        return core_err(e, CORE_E_NOMEM, "%s:%ld: out of memory for the layers of model '%s'",
                        sc->path, sc->collab.model_line[mi], sc->collab.model[mi].name);
    }
    for (size_t i = 0; i < ml->n; i++) {
        struct nn_layer_profile lp;

        memset(&lp, 0, sizeof(lp));
        nn_model_layer_cost(m, (int)i, &lp.cost);
        nn_model_layer_gemm(m, (int)i, &lp.gemm);
        core_err_clear(&why);
        if (io_layer_desc(m, (int)i, &lp, &ml->desc[i], &why) != CORE_OK) {
            model_layers_fini(ml);
            return core_err(e, CORE_E_INPUT, "%s:%ld: element 'model': model '%s': %s", sc->path,
                            sc->collab.model_line[mi], sc->collab.model[mi].name, why.msg);
        }
        ml->alias[i] = nn_model_layer_alias(m, (int)i) || ml->desc[i].type == COMPUTE_LAYER_RESHAPE;
    }
    group_layers(m, ml);
    return CORE_OK;
}

/* ---- sides ------------------------------------------------------------------ */

/* proto's view of one side: its instances and their options' units. */
static void side_from_spec(const struct io_collab_spec *s, const struct io_collab_side_spec *side,
                           const struct io_side_options *opts, struct proto_side *out)
{
    memset(out, 0, sizeof(*out));
    out->n_instances = side->n_uses;
    for (size_t i = 0; i < side->n_uses; i++) {
        const struct proto_use_config *u = &side->use[i];
        const struct compute_resource_config *r = &s->resource[side->use_resource[i]];

        snprintf(out->instance_name[i], sizeof(out->instance_name[i]), "%s",
                 u->name[0] ? u->name : u->resource);
        out->instance_units[i] =
            (uint32_t)(r->kind == COMPUTE_RES_CPU ? u->count * r->units : u->count);
        out->idle_power_w[i] =
            u->idle_power_w >= 0.0 ? u->idle_power_w : (double)u->count * r->idle_power_w;
        out->background_load[i] = u->background_load;
        out->background_job_s[i] = u->background_job_s;
        out->withdrawn_from_s[i] = u->withdrawn_from_s;
        out->withdrawn_until_s[i] = u->withdrawn_until_s;
    }
    out->n_options = opts->n;
    for (size_t o = 0; o < opts->n; o++)
        out->option_units[o] = opts->units[o];
}

/* ---- problems --------------------------------------------------------------- */

struct side_view {
    const struct io_collab_side_spec *spec; /* its <use>s */
    struct io_side_options opts;            /* its options */
    double copy_latency_s, copy_bytes_per_s, copy_power_w;
};

/* Price every layer of ml on every option of side sv into p's side s. */
static enum core_rc price_side(const struct compute_cpmm *cpmm, const struct model_layers *ml,
                               const struct side_view *sv, enum compute_side s,
                               struct compute_problem *p, struct core_err *e)
{
    enum core_rc rc;

    p->n_options[s] = sv->opts.n;
    p->default_option[s] = sv->opts.default_option;
    p->copy_latency_s[s] = sv->copy_latency_s;
    p->copy_bytes_per_s[s] = sv->copy_bytes_per_s;
    p->copy_power_w[s] = sv->copy_power_w;
    for (size_t o = 0; o < sv->opts.n; o++) {
        const struct compute_option *opt = &sv->opts.option[o];

        p->options[s][o] = *opt;
        for (size_t i = 0; i < ml->n; i++) {
            struct compute_cpmm_request q;
            struct compute_cpmm_reply r;
            double *lat = &p->latency_s[s][o * p->n_layers + ml->group_of[i]];
            double *en = &p->energy_j[s][o * p->n_layers + ml->group_of[i]];

            if (ml->alias[i]) {
                *lat += ALIAS_LATENCY_S;
                continue;
            }
            memset(&q, 0, sizeof(q));
            q.resource = sv->spec->use_resource[opt->resource];
            q.amount = opt->amount;
            q.layer = ml->desc[i];
            rc = compute_cpmm_predict(cpmm, &q, &r, e);
            if (rc != CORE_OK)
                return rc;
            *lat += r.source == COMPUTE_CPMM_UNSUPPORTED ? INFINITY : r.latency_s;
            *en += r.source == COMPUTE_CPMM_UNSUPPORTED ? 0.0 : r.energy_j;
        }
    }
    return CORE_OK;
}

/* The first workload of a group of device d that runs model m: its line. */
static long workload_line(const struct io_collab_spec *s, size_t n_groups, size_t d, size_t m)
{
    for (size_t g = 0; g < n_groups; g++) {
        if (s->group_device[g] != d)
            continue;
        for (size_t w = 0; w < s->n_workloads[g]; w++)
            if (s->workload_model[g][w] == m)
                return s->workload_line[g][w];
    }
    return 0;
}

static enum core_rc build_problem(const struct io_scenario *sc, const struct compute_cpmm *cpmm,
                                  const struct nn_model *nm, const struct model_layers *ml,
                                  const struct side_view *ue, const struct side_view *edge,
                                  size_t d, size_t mi, struct compute_problem *p,
                                  struct core_err *e)
{
    const struct io_collab_spec *s = &sc->collab;
    enum core_rc rc;

    rc = compute_problem_init(p, ml->n_groups, ue->opts.n, edge->opts.n, e);
    if (rc != CORE_OK)
        return rc;
    /* The input as the UE holds it (an 8-bit image, say), not as float32. */
    p->input_bytes = (double)nn_model_tensor_bytes(nm, NN_INPUT) / sizeof(float) *
                     s->model[mi].input_element_bytes;
    p->msg_header_bytes = s->protocol.header_bytes;
    for (size_t g = 0; g < ml->n_groups; g++) {
        size_t n_in;
        const int *in = nn_model_layer_inputs(nm, ml->head[g], &n_in);

        p->layers[g].n_inputs = (uint32_t)n_in;
        for (size_t k = 0; k < n_in; k++)
            p->layers[g].inputs[k] = in[k] < 0 ? in[k] : (int32_t)ml->group_of[in[k]];
        p->layers[g].out_bytes = (double)nn_model_tensor_bytes(nm, ml->last[g]);
    }
    rc = price_side(cpmm, ml, ue, COMPUTE_SIDE_UE, p, e);
    if (rc == CORE_OK)
        rc = price_side(cpmm, ml, edge, COMPUTE_SIDE_EDGE, p, e);
    if (rc != CORE_OK)
        return rc;
    for (size_t g = 0; g < ml->n_groups; g++) {
        int i = ml->head[g];
        bool runs = false;
        for (int side = 0; side < COMPUTE_SIDE_COUNT; side++)
            for (size_t o = 0; o < p->n_options[side]; o++)
                runs =
                    runs || isfinite(compute_problem_latency_s(p, (enum compute_side)side, o, g));
        if (!runs)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'workload': device '%s' runs model '%s', whose layer "
                            "%d '%s' is of type %s, which none of its resources supports, with "
                            "no edge resource to fall back on",
                            sc->path, workload_line(s, sc->radio.n_groups, d, mi),
                            s->device[d].name, s->model[mi].name, i,
                            nn_model_layer_name(nm, i),
                            compute_layer_type_name(ml->desc[i].type));
    }
    return compute_problem_check(p, e);
}

/* ---- the public face ---------------------------------------------------------- */

static void copy_radio(const struct io_scenario *sc, struct io_collab *c)
{
    c->radio = sc->radio;
    memcpy(c->pos_x_m, sc->radio_pos_x_m, sizeof(c->pos_x_m));
    memcpy(c->pos_y_m, sc->radio_pos_y_m, sizeof(c->pos_y_m));
    for (size_t g = 0; g < sc->radio.n_groups; g++) {
        struct radio_ue_group_config *gc = &c->groups[g];

        *gc = sc->radio_groups[g];
        gc->ul_bytes = 0.0;
        gc->dl_bytes = 0.0;
        gc->request_rate_hz = 0.0;
        if (gc->pos_x_m != NULL) {
            gc->pos_x_m = c->pos_x_m + (sc->radio_groups[g].pos_x_m - sc->radio_pos_x_m);
            gc->pos_y_m = c->pos_y_m + (sc->radio_groups[g].pos_y_m - sc->radio_pos_y_m);
        }
    }
    c->radio.groups = c->groups;
}

static void fill_config(const struct io_scenario *sc, struct io_collab *c)
{
    const struct io_collab_spec *s = &sc->collab;
    struct proto_collab_config *cfg = &c->cfg;

    cfg->sim = sc->sim;
    cfg->protocol = s->protocol;
    cfg->objective = s->objective;
    cfg->inference = s->inference;
    cfg->n_models = s->n_models;
    for (size_t m = 0; m < s->n_models; m++) {
        snprintf(c->model_name[m], sizeof(c->model_name[m]), "%s", s->model[m].name);
        cfg->model_name[m] = c->model_name[m];
        cfg->model_output_bytes[m] =
            (double)nn_model_tensor_bytes(c->model[m], (int)nn_model_n_layers(c->model[m]) - 1);
    }
    cfg->n_devices = s->n_devices;
    cfg->n_groups = sc->radio.n_groups;
    for (size_t g = 0; g < sc->radio.n_groups; g++) {
        struct proto_ue_group *ug = &cfg->groups[g];

        cfg->group_n_ues[g] = (size_t)sc->radio_groups[g].n_ues;
        ug->device = s->group_device[g];
        ug->n_workloads = s->n_workloads[g];
        for (size_t w = 0; w < s->n_workloads[g]; w++) {
            const struct proto_workload_config *wc = &s->workload[g][w];
            ug->workloads[w].model = s->workload_model[g][w];
            ug->workloads[w].arrival = wc->arrival;
            ug->workloads[w].rate_hz = wc->rate_hz;
            ug->workloads[w].deadline_s = wc->deadline_s;
        }
    }
}

/* Whether some group of device d runs model m. */
static bool runs(const struct io_collab_spec *s, size_t n_groups, size_t d, size_t m)
{
    return workload_line(s, n_groups, d, m) != 0;
}

static enum core_rc build_all(const struct io_scenario *sc, struct io_collab *c,
                              struct compute_cpmm *cpmm, struct core_err *e)
{
    const struct io_collab_spec *s = &sc->collab;
    struct side_view ue[PROTO_MAX_DEVICES], edge;
    char owner[CORE_KNOB_STRING_MAX + 16];
    enum core_rc rc;

    for (size_t r = 0; r < s->n_resources; r++) {
        struct compute_resource res;
        size_t index;
        rc = compute_resource_from_config(&s->resource[r], &res, e);
        if (rc == CORE_OK)
            rc = compute_cpmm_add_resource(cpmm, &res, &index, e);
        if (rc != CORE_OK)
            return rc;
        CORE_ASSERT(index == r);
    }
    /* No profiles: the fit is empty, and every price comes from the roofline. */
    rc = compute_cpmm_fit(cpmm, e);
    if (rc != CORE_OK)
        return rc;
    memset(&edge, 0, sizeof(edge));
    edge.spec = &s->edge_side;
    edge.copy_latency_s = s->edge.copy_latency_s;
    edge.copy_bytes_per_s = s->edge.copy_bandwidth_bps / 8.0;
    edge.copy_power_w = s->edge.copy_power_w;
    rc = io_collab_side_options(sc->path, s, &s->edge_side, "edge", "the edge",
                                s->edge.default_option, &edge.opts, e);
    if (rc != CORE_OK)
        return rc;
    side_from_spec(s, &s->edge_side, &edge.opts, &c->cfg.edge);
    for (size_t d = 0; d < s->n_devices; d++) {
        memset(&ue[d], 0, sizeof(ue[d]));
        ue[d].spec = &s->device_side[d];
        ue[d].copy_latency_s = s->device[d].copy_latency_s;
        ue[d].copy_bytes_per_s = s->device[d].copy_bandwidth_bps / 8.0;
        ue[d].copy_power_w = s->device[d].copy_power_w;
        snprintf(owner, sizeof(owner), "device '%.255s'", s->device[d].name);
        rc = io_collab_side_options(sc->path, s, &s->device_side[d], "device", owner,
                                    s->device[d].default_option, &ue[d].opts, e);
        if (rc != CORE_OK)
            return rc;
        side_from_spec(s, &s->device_side[d], &ue[d].opts, &c->cfg.device[d]);
        c->cfg.device[d].battery_j = s->device[d].battery_j;
    }
    for (size_t m = 0; m < s->n_models; m++) {
        rc = load_model(sc, m, &c->model[m], e);
        if (rc != CORE_OK)
            return rc;
    }
    fill_config(sc, c);
    for (size_t m = 0; m < s->n_models; m++) {
        struct model_layers ml;

        rc = model_layers_init(sc, m, c->model[m], &ml, e);
        if (rc != CORE_OK)
            return rc;
        for (size_t d = 0; rc == CORE_OK && d < s->n_devices; d++) {
            if (!runs(s, sc->radio.n_groups, d, m))
                continue;
            rc = build_problem(sc, cpmm, c->model[m], &ml, &ue[d], &edge, d, m, &c->problem[d][m],
                               e);
            if (rc == CORE_OK)
                c->cfg.problem[d][m] = &c->problem[d][m];
        }
        c->layer_group[m] = ml.group_of; /* kept for real mode */
        ml.group_of = NULL;
        model_layers_fini(&ml);
        if (rc != CORE_OK)
            return rc;
    }
    return CORE_OK;
}

enum core_rc io_collab_build(const struct io_scenario *sc, struct io_collab **out,
                             struct core_err *e)
{
    struct compute_cpmm *cpmm;
    struct io_collab *c;
    enum core_rc rc;

    *out = NULL;
    if (sc->kind != IO_SCENARIO_COLLAB)
        return core_err(e, CORE_E_USAGE,
                        "%s: not a collaborative scenario (it needs <model>, <device> and <edge>)",
                        sc->path);
    c = core_calloc(1, sizeof(*c));
    cpmm = compute_cpmm_create();
    if (c == NULL || cpmm == NULL) {
        core_free(c);
        compute_cpmm_destroy(cpmm);
        return core_err(e, CORE_E_NOMEM, "%s:0: out of memory", sc->path);
    }
    copy_radio(sc, c);
    rc = build_all(sc, c, cpmm, e);
    compute_cpmm_destroy(cpmm);
    if (rc != CORE_OK) {
        io_collab_destroy(c);
        return rc;
    }
    *out = c;
    return CORE_OK;
}

void io_collab_destroy(struct io_collab *c)
{
    if (c == NULL)
        return;
    for (size_t d = 0; d < PROTO_MAX_DEVICES; d++)
        for (size_t m = 0; m < PROTO_MAX_MODELS; m++)
            compute_problem_fini(&c->problem[d][m]);
    for (size_t m = 0; m < PROTO_MAX_MODELS; m++) {
        nn_model_destroy(c->model[m]);
        core_free(c->layer_group[m]);
    }
    core_free(c);
}

const struct proto_collab_config *io_collab_config(const struct io_collab *c)
{
    return &c->cfg;
}

const struct radio_world_config *io_collab_radio(const struct io_collab *c)
{
    return &c->radio;
}

struct nn_model *io_collab_model(const struct io_collab *c, size_t m)
{
    CORE_ASSERT(m < c->cfg.n_models);
    return c->model[m];
}

const uint16_t *io_collab_layer_groups(const struct io_collab *c, size_t m)
{
    CORE_ASSERT(m < c->cfg.n_models);
    return c->layer_group[m];
}
