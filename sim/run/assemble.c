/*
 * assemble.c — a scenario made runnable: from its configuration tree
 * (sim/io), the configurations of its worlds, built once and never patched
 * afterwards, and, for a collaborative scenario, its models loaded and its
 * problems priced (sim/proto).
 *
 * The radio world: the <radio> section's values, the groups in document
 * order with their positions (a collaborative scenario's groups carry no
 * traffic of the radio world's own: their traffic is the protocol's).
 *
 * A collaborative world: each model loaded — a file beside the scenario, or
 * the zoo's — as its graph and shapes only in costed mode (VGG-16 takes
 * kilobytes, not its 553 MB of weights), finalized with seed 1, folded and
 * fused in real mode, as an inference engine deploys it; the resource types
 * into one CPMM (declared figures: the roofline prices every layer); each
 * side's instances and options; and one problem per (device class, model)
 * that some group runs, with its truth (the problem priced as the world
 * executes it: compute_cpmm_truth) when some resource declares a bias or
 * names a stored profile (profile="FILE#KEY", FILE beside the scenario: a
 * results database coinfer profile --db wrote). Such a resource's stored
 * layers, matched to each model by its zoo name or file base name and by
 * layer index and name, are added to the CPMM, whose regression is fitted
 * on them before any problem is priced: the truth of each layer there is
 * its measurement, the prediction the regression's.
 * A model with accuracy data (<model accuracy>) offers its encodings on its
 * problems and their truths (run_accuracy_attach); in real mode its inputs
 * are Fashion-MNIST's test images, loaded once per run. A model file's early
 * exits (<model exits="on">) are offered through the accuracy file's exit
 * lines (run_exits_attach): graphs only in costed mode; in real mode loaded
 * with the model's weights, folded and fused like it, for the world to run.
 * Errors carry the FILE:LINE of the element at fault
 * (a model file's own errors keep its FILE:LINE).
 */
#include "run/run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/nn.h"

#define DATA(c, n, type) ((const type *)io_config_data((c), (n), 0))

/* ---- the radio world ---------------------------------------------------------- */

static enum core_rc assemble_radio(struct run_assembly *a, struct core_err *e)
{
    const struct io_config *c = a->cfg;
    io_node radio = io_config_child(c, IO_NODE_ROOT, IO_EL_RADIO, 0);
    size_t n_groups = io_config_count(c, radio, IO_EL_UE_GROUP), n_pos = 0, at = 0;

    a->radio = *DATA(c, radio, struct radio_world_config);
    a->radio.carrier =
        *DATA(c, io_config_child(c, radio, IO_EL_CARRIER, 0), struct radio_carrier_config);
    a->radio.deploy =
        *DATA(c, io_config_child(c, radio, IO_EL_DEPLOYMENT, 0), struct radio_deployment_config);
    a->radio.pc = *DATA(c, io_config_child(c, radio, IO_EL_POWER_CONTROL, 0),
                        struct radio_pc_config);
    a->radio.ho =
        *DATA(c, io_config_child(c, radio, IO_EL_HANDOVER, 0), struct radio_handover_config);
    a->radio.access =
        *DATA(c, io_config_child(c, radio, IO_EL_ACCESS, 0), struct radio_access_config);
    a->radio.power =
        *DATA(c, io_config_child(c, radio, IO_EL_UE_POWER, 0), struct radio_power_model);
    for (size_t g = 0; g < n_groups; g++)
        n_pos += io_config_count(c, io_config_child(c, radio, IO_EL_UE_GROUP, g), IO_EL_POSITION);
    a->groups = core_calloc(n_groups, sizeof(*a->groups));
    a->pos_x_m = core_calloc(n_pos ? n_pos : 1, sizeof(double));
    a->pos_y_m = core_calloc(n_pos ? n_pos : 1, sizeof(double));
    if (!a->groups || !a->pos_x_m || !a->pos_y_m)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory for the radio world",
                        io_config_path(c));
    for (size_t g = 0; g < n_groups; g++) {
        io_node gn = io_config_child(c, radio, IO_EL_UE_GROUP, g);
        struct radio_ue_group_config *gc = &a->groups[g];
        size_t first = at;

        *gc = *DATA(c, gn, struct radio_ue_group_config);
        gc->link = *DATA(c, io_config_child(c, gn, IO_EL_LINK, 0), struct radio_link_config);
        for (io_node p = io_config_child(c, gn, IO_EL_POSITION, 0); p != IO_NODE_NONE;
             p = io_config_next(c, p)) {
            if (io_config_element_index(c, p) != IO_EL_POSITION)
                continue;
            a->pos_x_m[at] = DATA(c, p, struct io_position)->x_m;
            a->pos_y_m[at] = DATA(c, p, struct io_position)->y_m;
            at++;
        }
        gc->pos_x_m = at > first ? &a->pos_x_m[first] : NULL;
        gc->pos_y_m = at > first ? &a->pos_y_m[first] : NULL;
        if (a->kind == IO_SCENARIO_COLLAB) {
            gc->ul_bytes = 0.0;
            gc->dl_bytes = 0.0;
            gc->request_rate_hz = 0.0;
        }
    }
    a->radio.groups = a->groups;
    a->radio.n_groups = n_groups;
    return CORE_OK;
}

/* ---- the collaborative world ---------------------------------------------------- */

/* Allocate n zeroed elements of size into *p (n 0: one), or report. */
static enum core_rc alloc_array(const struct run_assembly *a, void *p, size_t n, size_t size,
                                struct core_err *e)
{
    void **out = p;

    *out = core_calloc(n ? n : 1, size);
    if (!*out)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory for the collaborative world",
                        io_config_path(a->cfg));
    return CORE_OK;
}

/* One side's instances, options and prices, from its <use> elements. The
 * arrays go into *sd (owned by the assembly through sd's fields). */
static enum core_rc side_build(struct run_assembly *a, io_node node, bool is_edge,
                               const char *def, const char *owner, double copy_latency_s,
                               double copy_bandwidth_bps, double copy_power_w,
                               struct run_side *sd, struct core_err *e)
{
    const struct io_config *c = a->cfg;
    const uint16_t use_el = is_edge ? IO_EL_EDGE_USE : IO_EL_DEVICE_USE;
    const size_t n_uses = io_config_count(c, node, use_el);
    const struct proto_use_config **uses = NULL;
    const struct compute_resource_config **res = NULL;
    struct proto_instance *instances;
    char why[768];
    size_t bad;
    enum core_rc rc;

    rc = alloc_array(a, &sd->instances, n_uses, sizeof(*sd->instances), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &sd->cpmm_resource, n_uses, sizeof(*sd->cpmm_resource), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &uses, n_uses, sizeof(*uses), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &res, n_uses, sizeof(*res), e);
    if (rc != CORE_OK)
        goto out_free;
    instances = sd->instances;
    for (size_t i = 0; i < n_uses; i++) {
        io_node un = io_config_child(c, node, use_el, i);
        const struct proto_use_config *u = DATA(c, un, struct proto_use_config);
        io_node rn = io_config_find(c, IO_NODE_ROOT, IO_EL_RESOURCE, u->resource);
        const struct compute_resource_config *r = DATA(c, rn, struct compute_resource_config);

        uses[i] = u;
        res[i] = r;
        sd->cpmm_resource[i] = io_config_index(c, rn);
        instances[i].name = proto_use_name(u);
        instances[i].units =
            (uint32_t)(r->kind == COMPUTE_RES_CPU ? u->count * r->units : u->count);
        instances[i].idle_power_w =
            u->idle_power_w >= 0.0 ? u->idle_power_w : (double)u->count * r->idle_power_w;
        /* One unit computing: a core of a CPU, a device of an accelerator. */
        instances[i].unit_power_w =
            r->kind == COMPUTE_RES_CPU ? r->active_power_w / (double)r->units : r->active_power_w;
        instances[i].background_load = u->background_load;
        instances[i].background_job_s = u->background_job_s;
        instances[i].withdrawn_from_s = u->withdrawn_from_s;
        instances[i].withdrawn_until_s = u->withdrawn_until_s;
    }
    /* io_scenario_check derived these options already: this cannot fail. */
    if (proto_side_options(uses, res, n_uses, def, owner, &sd->opts, &bad, why, sizeof(why)) !=
        CORE_OK) {
        rc = io_config_err(c, node, e, "%s", why);
        goto out_free;
    }
    sd->side.n_instances = n_uses;
    sd->side.instances = sd->instances;
    sd->side.n_options = sd->opts.n;
    sd->side.option_units = sd->opts.units;
    sd->price.opts = &sd->opts;
    sd->price.cpmm_resource = sd->cpmm_resource;
    sd->price.copy_latency_s = copy_latency_s;
    sd->price.copy_bytes_per_s = copy_bandwidth_bps / 8.0;
    sd->price.copy_power_w = copy_power_w;
out_free:
    core_free(uses);
    core_free(res);
    return rc;
}

/* Model m of the scenario: a file beside the scenario or the zoo's; shapes
 * only in costed mode, finalized, folded and fused in real mode, and then,
 * with exits (non-NULL, empty: a file's model with exits="on"), its exits
 * the same way. */
static enum core_rc load_model(const struct run_assembly *a, io_node mn, bool real,
                               struct nn_exits *exits, struct nn_model **out, struct core_err *e)
{
    const struct proto_model_config *mc = DATA(a->cfg, mn, struct proto_model_config);
    struct nn_model *m = NULL;
    enum core_rc rc;

    if (mc->file[0] != '\0') {
        char path[IO_PATH_MAX];

        io_resolve_beside(io_config_path(a->cfg), mc->file, path, sizeof(path));
        if (real && exits)
            rc = io_model_load_exits(path, 1, &m, exits, e);
        else
            rc = real ? io_model_load(path, 1, &m, e) : io_model_load_shapes(path, &m, e);
    } else {
        enum nn_zoo_model z = NN_ZOO_COUNT;

        if (!nn_zoo_find(mc->zoo, &z))
            CORE_ASSERT(!"a zoo name io_scenario_check accepted");
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
    for (size_t k = 0; real && exits && k < exits->n; k++) {
        nn_model_fold_batchnorm(exits->v[k].branch);
        nn_model_fuse_activations(exits->v[k].branch);
    }
    *out = m;
    return CORE_OK;
}

/* Model mn's accuracy file (its accuracy attribute) into *acc (zeroed
 * when it names none), its path in path. Without one its encoding must be
 * fp32. */
static enum core_rc load_accuracy(const struct run_assembly *a, io_node mn,
                                  struct io_accuracy *acc, char *path, struct core_err *e)
{
    const struct proto_model_config *mc = DATA(a->cfg, mn, struct proto_model_config);
    struct nn_encoding want;
    struct core_err why;
    enum core_rc rc;

    memset(acc, 0, sizeof(*acc));
    path[0] = '\0';
    if (mc->accuracy[0] == '\0') {
        if (!nn_encoding_parse(mc->encoding, &want) || want.kind != NN_ENC_FP32)
            return io_config_err(a->cfg, mn, e,
                                 "model '%s': encoding '%s' needs the model's accuracy data "
                                 "(accuracy=\"FILE\", what `coinfer accuracy` printed)",
                                 mc->name, mc->encoding);
        return CORE_OK;
    }
    io_resolve_beside(io_config_path(a->cfg), mc->accuracy, path, IO_PATH_MAX);
    core_err_clear(&why);
    rc = io_accuracy_load(path, acc, &why);
    if (rc == CORE_E_INPUT)
        return io_config_err(a->cfg, mn, e, "model '%s': %s", mc->name, why.msg);
    if (rc != CORE_OK)
        *e = why;
    return rc;
}

/* Model mn's exits as choices (<model exits exit>) into *rx and *on: off
 * leaves rx empty (its exit must be none); on needs accuracy data with the
 * exits' lines and a model file with exits: in costed mode loaded here, in
 * real mode the ones load_model gave in rx->x, of main model real. */
static enum core_rc load_exits(const struct run_assembly *a, io_node mn,
                               const struct nn_model *real, const struct io_accuracy *acc,
                               const char *acc_path, struct run_exits *rx, bool *on,
                               struct core_err *e)
{
    const struct proto_model_config *mc = DATA(a->cfg, mn, struct proto_model_config);
    char path[IO_PATH_MAX];
    struct core_err why;
    enum core_rc rc;

    *on = strcmp(mc->exits, "on") == 0;
    if (!*on && strcmp(mc->exits, "off") != 0)
        return io_config_err(a->cfg, mn, e, "model '%s': exits '%s', expected on or off",
                             mc->name, mc->exits);
    if (!*on)
        return strcmp(mc->exit, "none") == 0
                   ? CORE_OK
                   : io_config_err(a->cfg, mn, e, "model '%s': exit '%s' needs exits=\"on\"",
                                   mc->name, mc->exit);
    if (acc->n_rows == 0)
        return io_config_err(a->cfg, mn, e,
                             "model '%s': exits=\"on\" needs its accuracy data with each "
                             "exit's accuracy: accuracy=\"FILE\" where FILE is `{ coinfer "
                             "accuracy MODEL --weights W; coinfer accuracy MODEL --weights W "
                             "--exits; } > FILE`", mc->name);
    if (mc->file[0] == '\0')
        return io_config_err(a->cfg, mn, e,
                             "model '%s': exits=\"on\", but a zoo model has no exits", mc->name);
    io_resolve_beside(io_config_path(a->cfg), mc->file, path, sizeof(path));
    core_err_clear(&why);
    rc = real ? run_exits_match(acc, acc_path, real, rx, &why)
              : run_exits_load(acc, acc_path, path, rx, &why);
    if (rc == CORE_E_INPUT)
        return io_config_err(a->cfg, mn, e, "model '%s': %s", mc->name, why.msg);
    if (rc != CORE_OK)
        *e = why;
    return rc;
}

/* Real mode, model mn (m) with accuracy data: its inputs are Fashion-MNIST's
 * test images (NN_FMNIST_DIR, loaded once for every such model), which its
 * input must fit. */
static enum core_rc load_test_set(struct run_assembly *a, io_node mn, const struct nn_model *m,
                                  struct core_err *e)
{
    const struct proto_model_config *mc = DATA(a->cfg, mn, struct proto_model_config);
    struct nn_shape in = nn_model_shape(m, NN_INPUT);
    struct core_err why;
    enum core_rc rc;

    if (!a->test_set) {
        core_err_clear(&why);
        rc = nn_dataset_load_fmnist(NN_FMNIST_DIR, false, &a->test_set, &why);
        if (rc == CORE_E_INPUT)
            return io_config_err(a->cfg, mn, e,
                                 "model '%s': real mode with accuracy data draws Fashion-MNIST "
                                 "test images: %s", mc->name, why.msg);
        if (rc != CORE_OK) {
            *e = why;
            return rc;
        }
    }
    if (in.c != a->test_set->c || in.h != a->test_set->h || in.w != a->test_set->w)
        return io_config_err(a->cfg, mn, e,
                             "model '%s': real mode with accuracy data feeds it %ux%ux%u "
                             "Fashion-MNIST images, and its input is %ux%ux%u", mc->name,
                             a->test_set->c, a->test_set->h, a->test_set->w, (unsigned)in.c,
                             (unsigned)in.h, (unsigned)in.w);
    return CORE_OK;
}

/* The first workload of a group of device d that runs model m, or
 * IO_NODE_NONE. */
static io_node workload_of(const struct io_config *c, io_node radio, const char *device,
                           const char *model)
{
    for (size_t g = 0; g < io_config_count(c, radio, IO_EL_UE_GROUP); g++) {
        io_node gn = io_config_child(c, radio, IO_EL_UE_GROUP, g);
        const struct proto_ue_group_config *gc = io_config_data(c, gn, 1);

        if (strcmp(gc->device, device) != 0)
            continue;
        for (size_t w = 0; w < io_config_count(c, gn, IO_EL_WORKLOAD); w++) {
            io_node wn = io_config_child(c, gn, IO_EL_WORKLOAD, w);

            if (strcmp(DATA(c, wn, struct proto_workload_config)->model, model) == 0)
                return wn;
        }
    }
    return IO_NODE_NONE;
}

/* The name model mc has in stored profiles, as coinfer profile names it:
 * its zoo name, or its file's base name without ".xml". */
static void measured_name(const struct proto_model_config *mc, char *buf, size_t size)
{
    const char *base;
    size_t n;

    if (mc->file[0] == '\0') {
        snprintf(buf, size, "%s", mc->zoo);
        return;
    }
    base = strrchr(mc->file, '/');
    snprintf(buf, size, "%s", base ? base + 1 : mc->file);
    n = strlen(buf);
    if (n > 4 && strcmp(buf + n - 4, ".xml") == 0)
        buf[n - 4] = '\0';
}

/* Add to the CPMM every layer of model m (its layers ml, its name in
 * profiles name) that runs code, as stored under resource r's key: the
 * samples its regression fits and its truth answers with. A model or a
 * layer the store lacks, or a layer stored under another name (a
 * different model of that name), is an error at the resource's line. */
static enum core_rc add_measured(const struct run_assembly *a, struct compute_cpmm *cpmm,
                                 size_t r, const struct db_profile_store *st,
                                 const struct nn_model *m, const struct proto_layers *ml,
                                 const char *name, struct core_err *e)
{
    const struct io_config *c = a->cfg;
    io_node rn = io_config_child(c, IO_NODE_ROOT, IO_EL_RESOURCE, r);
    const struct compute_resource_config *rc_ = DATA(c, rn, struct compute_resource_config);
    char key[COMPUTE_CPMM_KEY_MAX];

    if (!db_profile_store_has_model(st, name))
        return io_config_err(c, rn, e,
                             "resource '%s': profile \"%s\" holds no model '%s' (record it with "
                             "coinfer profile %s --threads %d --db FILE on host %s)",
                             rc_->name, rc_->profile, name, name, st->threads, st->key);
    for (size_t i = 0; i < ml->n; i++) {
        const struct db_stored_layer *l;
        struct core_err why;

        if (ml->alias[i])
            continue;
        l = db_profile_store_find(st, name, (int)i);
        if (!l || strcmp(l->layer_name, nn_model_layer_name(m, (int)i)) != 0 ||
            !(l->latency_s > 0.0))
            return io_config_err(
                c, rn, e, "resource '%s': profile \"%s\" %s layer %zu '%s' of model '%s'%s%s%s",
                rc_->name, rc_->profile, l ? "does not time" : "holds no", i,
                nn_model_layer_name(m, (int)i), name,
                l ? " (it stores a layer '" : " (a profile of another model of that name?)",
                l ? l->layer_name : "", l ? "' there with no time: another model of that name?)"
                                          : "");
        proto_layer_key(name, i, key, sizeof(key));
        core_err_clear(&why);
        if (compute_cpmm_add_profile(cpmm, r, (double)st->threads, key, &ml->desc[i],
                                     l->latency_s, &why) != CORE_OK)
            return why.rc == CORE_E_NOMEM
                       ? core_err(e, why.rc, "%s: out of memory", io_config_path(c))
                       : io_config_err(c, rn, e, "resource '%s': %s", rc_->name, why.msg);
    }
    return CORE_OK;
}

/* The models and one problem per (device class, model) some group runs,
 * and its truth (its own when no resource declares a bias or a profile):
 * first every model loaded and, for each resource with a stored profile
 * (stores[r] non-NULL), its layers added to the CPMM, which is then
 * fitted; then the problems priced. */
static enum core_rc build_models(struct run_assembly *a, struct compute_cpmm *cpmm,
                                 struct db_profile_store *const *stores, bool real,
                                 struct core_err *e)
{
    const struct io_config *c = a->cfg;
    struct proto_world_config *cfg = &a->collab;
    io_node radio = io_config_child(c, IO_NODE_ROOT, IO_EL_RADIO, 0);
    const size_t n_res = io_config_count(c, IO_NODE_ROOT, IO_EL_RESOURCE);
    struct proto_layers *mls = NULL;
    char (*names)[CORE_KNOB_STRING_MAX] = NULL;
    bool any_store = false;
    enum core_rc rc;

    for (size_t r = 0; r < n_res; r++)
        any_store = any_store || stores[r];
    rc = alloc_array(a, &mls, a->n_models, sizeof(*mls), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &names, a->n_models, sizeof(*names), e);
    for (size_t m = 0; rc == CORE_OK && m < a->n_models; m++) {
        io_node mn = io_config_child(c, IO_NODE_ROOT, IO_EL_MODEL, m);
        const struct proto_model_config *mc = DATA(c, mn, struct proto_model_config);
        struct proto_model *pm = &a->models[m];
        struct run_exits *rx = &a->real_exits[m];
        struct core_err why;

        pm->name = mc->name;
        /* real mode runs the exits too: they come with the weights */
        if (real && mc->file[0] != '\0' && strcmp(mc->exits, "on") == 0) {
            rx->x = core_calloc(1, sizeof(*rx->x));
            if (!rx->x) {
                rc = core_err(e, CORE_E_NOMEM, "%s: out of memory", io_config_path(c));
                break;
            }
        }
        rc = load_model(a, mn, real, rx->x, &a->nn_models[m], e);
        if (rc != CORE_OK)
            break;
        pm->output_bytes = (double)nn_model_tensor_bytes(
            a->nn_models[m], (int)nn_model_n_layers(a->nn_models[m]) - 1);
        core_err_clear(&why);
        if (proto_layers_init(a->nn_models[m], &mls[m], &why) != CORE_OK) {
            rc = why.rc == CORE_E_NOMEM
                     ? core_err(e, why.rc, "%s: out of memory", io_config_path(c))
                     : io_config_err(c, mn, e, "model '%s': %s", mc->name, why.msg);
            break;
        }
        measured_name(mc, names[m], sizeof(names[m]));
        if (any_store)
            mls[m].measured = names[m];
        for (size_t r = 0; rc == CORE_OK && r < n_res; r++)
            if (stores[r])
                rc = add_measured(a, cpmm, r, stores[r], a->nn_models[m], &mls[m], names[m], e);
    }
    /* Without stored profiles the fit is empty, and every price comes from
     * the roofline. */
    if (rc == CORE_OK)
        rc = compute_cpmm_fit(cpmm, e);
    if (rc == CORE_OK && compute_cpmm_biased(cpmm))
        rc = alloc_array(a, &a->truths, a->n_devices * a->n_models, sizeof(*a->truths), e);
    for (size_t m = 0; rc == CORE_OK && m < a->n_models; m++) {
        io_node mn = io_config_child(c, IO_NODE_ROOT, IO_EL_MODEL, m);
        const struct proto_model_config *mc = DATA(c, mn, struct proto_model_config);
        const struct proto_layers *ml = &mls[m];
        struct io_accuracy acc;
        char acc_path[IO_PATH_MAX];
        struct core_err why;

        struct run_exits costed_rx, *rx = real ? &a->real_exits[m] : &costed_rx;
        bool exits_on;

        memset(&costed_rx, 0, sizeof(costed_rx));
        rc = load_accuracy(a, mn, &acc, acc_path, e);
        if (rc == CORE_OK && real && acc.n_rows > 0)
            rc = load_test_set(a, mn, a->nn_models[m], e);
        if (rc == CORE_OK)
            rc = load_exits(a, mn, real ? a->nn_models[m] : NULL, &acc, acc_path, rx, &exits_on, e);
        if (rc != CORE_OK) {
            io_accuracy_fini(&acc);
            break;
        }
        for (size_t d = 0; rc == CORE_OK && d < a->n_devices; d++) {
            const struct proto_device_config *dc =
                DATA(c, io_config_child(c, IO_NODE_ROOT, IO_EL_DEVICE, d),
                     struct proto_device_config);
            io_node wn = workload_of(c, radio, dc->name, mc->name);
            struct compute_problem *p = &a->problems[d * a->n_models + m];

            if (wn == IO_NODE_NONE)
                continue; /* no UE of this class runs this model */
            core_err_clear(&why);
            rc = proto_problem_build(cpmm, a->nn_models[m], ml, &a->devices[d].price,
                                     &a->edge.price, mc->input_element_bytes,
                                     cfg->protocol.header_bytes, false, p, &why);
            if (rc == CORE_OK && a->truths)
                rc = proto_problem_build(cpmm, a->nn_models[m], ml, &a->devices[d].price,
                                         &a->edge.price, mc->input_element_bytes,
                                         cfg->protocol.header_bytes, true,
                                         &a->truths[d * a->n_models + m], &why);
            if (rc == CORE_E_INPUT)
                rc = io_config_err(c, wn, e, "device '%s' runs model '%s', whose %s", dc->name,
                                   mc->name, why.msg);
            else if (rc != CORE_OK)
                *e = why;
            if (rc == CORE_OK && acc.n_rows > 0) {
                core_err_clear(&why);
                rc = run_accuracy_attach(&acc, acc_path, a->nn_models[m], ml, mc->encoding, p,
                                         &why);
                if (rc == CORE_OK && a->truths)
                    rc = run_accuracy_attach(&acc, acc_path, a->nn_models[m], ml, mc->encoding,
                                             &a->truths[d * a->n_models + m], &why);
                if (rc == CORE_E_INPUT)
                    rc = io_config_err(c, mn, e, "model '%s': %s", mc->name, why.msg);
                else if (rc != CORE_OK)
                    *e = why;
            }
            if (rc == CORE_OK && exits_on) {
                core_err_clear(&why);
                rc = run_exits_attach(rx, ml, cpmm, &a->devices[d].price, &a->edge.price, false,
                                      mc->exit, p, &why);
                if (rc == CORE_OK && a->truths)
                    rc = run_exits_attach(rx, ml, cpmm, &a->devices[d].price, &a->edge.price, true,
                                          mc->exit, &a->truths[d * a->n_models + m], &why);
                if (rc == CORE_E_INPUT)
                    rc = io_config_err(c, mn, e, "model '%s': %s", mc->name, why.msg);
                else if (rc != CORE_OK)
                    *e = why;
            }
            if (rc == CORE_OK) {
                a->problem_of[d * a->n_models + m] = p;
                a->truth_of[d * a->n_models + m] =
                    a->truths ? &a->truths[d * a->n_models + m] : p;
            }
        }
        io_accuracy_fini(&acc);
        run_exits_fini(&costed_rx);
    }
    for (size_t m = 0; mls && m < a->n_models; m++) {
        if (mls[m].n > 0) {
            a->layer_group[m] = mls[m].group_of; /* kept for real mode */
            mls[m].group_of = NULL;
        }
        proto_layers_fini(&mls[m]);
        if (real && a->nn_models[m]) {
            a->models[m].real = a->nn_models[m];
            a->models[m].real_group = a->layer_group[m];
            const struct proto_model_config *mc = DATA(
                a->cfg, io_config_child(a->cfg, IO_NODE_ROOT, IO_EL_MODEL, m),
                struct proto_model_config);

            a->models[m].test_set = mc->accuracy[0] != '\0' ? a->test_set : NULL;
            if (a->real_exits[m].bl) { /* exits="on", matched */
                a->models[m].real_exits = a->real_exits[m].x;
                a->models[m].real_exit_layers = a->real_exits[m].bl;
            }
        }
    }
    core_free(mls);
    core_free(names);
    return rc;
}

/* The groups and their workloads, names resolved to indices. */
static enum core_rc build_groups(struct run_assembly *a, struct core_err *e)
{
    const struct io_config *c = a->cfg;
    io_node radio = io_config_child(c, IO_NODE_ROOT, IO_EL_RADIO, 0);
    size_t n_workloads = 0, at = 0;
    enum core_rc rc;

    for (size_t g = 0; g < a->radio.n_groups; g++)
        n_workloads +=
            io_config_count(c, io_config_child(c, radio, IO_EL_UE_GROUP, g), IO_EL_WORKLOAD);
    rc = alloc_array(a, &a->proto_groups, a->radio.n_groups, sizeof(*a->proto_groups), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &a->workloads, n_workloads, sizeof(*a->workloads), e);
    if (rc != CORE_OK)
        return rc;
    for (size_t g = 0; g < a->radio.n_groups; g++) {
        io_node gn = io_config_child(c, radio, IO_EL_UE_GROUP, g);
        const struct proto_ue_group_config *gc = io_config_data(c, gn, 1);
        struct proto_group *pg = &a->proto_groups[g];
        size_t n_w = io_config_count(c, gn, IO_EL_WORKLOAD);

        pg->n_ues = (size_t)a->groups[g].n_ues;
        pg->device = (uint32_t)io_config_index(
            c, io_config_find(c, IO_NODE_ROOT, IO_EL_DEVICE, gc->device));
        pg->n_workloads = n_w;
        pg->workloads = &a->workloads[at];
        for (size_t w = 0; w < n_w; w++, at++) {
            const struct proto_workload_config *wc =
                DATA(c, io_config_child(c, gn, IO_EL_WORKLOAD, w), struct proto_workload_config);

            a->workloads[at].model = (uint32_t)io_config_index(
                c, io_config_find(c, IO_NODE_ROOT, IO_EL_MODEL, wc->model));
            a->workloads[at].arrival = wc->arrival;
            a->workloads[at].rate_hz = wc->rate_hz;
            a->workloads[at].deadline_s = wc->deadline_s;
        }
    }
    return CORE_OK;
}

/* Resource rn's stored profile into *out (owned; NULL when it names none):
 * its FILE taken from the scenario file's directory. A missing file or key
 * is an error at the resource's line. */
static enum core_rc load_store(const struct run_assembly *a, io_node rn,
                               struct db_profile_store **out, struct core_err *e)
{
    const struct io_config *c = a->cfg;
    const struct compute_resource_config *rc_ = DATA(c, rn, struct compute_resource_config);
    char file[CORE_KNOB_STRING_MAX], key[CORE_KNOB_STRING_MAX], path[IO_PATH_MAX];
    struct core_err why;

    *out = NULL;
    if (rc_->profile[0] == '\0')
        return CORE_OK;
    /* compute_resource_from_config checked the form already. */
    if (!compute_resource_profile_split(rc_->profile, file, key))
        CORE_ASSERT(!"a profile compute_resource_from_config accepted");
    io_resolve_beside(io_config_path(c), file, path, sizeof(path));
    core_err_clear(&why);
    if (db_profile_store_load(path, key, out, &why) == CORE_OK)
        return CORE_OK;
    if (why.rc == CORE_E_NOMEM)
        return core_err(e, why.rc, "%s", why.msg);
    return io_config_err(c, rn, e, "resource '%s': profile \"%s\": %s", rc_->name,
                         rc_->profile, why.msg);
}

/* Every option of side sd (its <use> elements under node) on a resource
 * with a stored profile must take the profile's threads as its cores: the
 * measurement is the truth at that amount only. */
static enum core_rc check_measured_amounts(const struct run_assembly *a, io_node node,
                                           bool is_edge, const struct run_side *sd,
                                           struct db_profile_store *const *stores,
                                           struct core_err *e)
{
    const struct io_config *c = a->cfg;
    const uint16_t use_el = is_edge ? IO_EL_EDGE_USE : IO_EL_DEVICE_USE;

    for (size_t o = 0; o < sd->opts.n; o++) {
        const struct compute_option *opt = &sd->opts.option[o];
        const size_t r = sd->cpmm_resource[opt->resource];
        const struct db_profile_store *st = stores[r];

        if (st && opt->amount != (double)st->threads)
            return io_config_err(
                c, io_config_child(c, node, use_el, opt->resource), e,
                "option '%s' takes %g cores of resource '%s', whose profile \"%s\" was "
                "measured on %d thread%s: its options take %d (amounts=\"%d\"; or profile it "
                "again with --threads %g)",
                opt->label, opt->amount,
                DATA(c, io_config_child(c, IO_NODE_ROOT, IO_EL_RESOURCE, r),
                     struct compute_resource_config)->name,
                DATA(c, io_config_child(c, IO_NODE_ROOT, IO_EL_RESOURCE, r),
                     struct compute_resource_config)->profile,
                st->threads, st->threads == 1 ? "" : "s", st->threads, st->threads, opt->amount);
    }
    return CORE_OK;
}

static enum core_rc assemble_collab(struct run_assembly *a, struct compute_cpmm *cpmm,
                                    struct core_err *e)
{
    const struct io_config *c = a->cfg;
    struct proto_world_config *cfg = &a->collab;
    io_node edge = io_config_child(c, IO_NODE_ROOT, IO_EL_EDGE, 0);
    const struct proto_edge_config *ec = DATA(c, edge, struct proto_edge_config);
    const size_t n_res = io_config_count(c, IO_NODE_ROOT, IO_EL_RESOURCE);
    struct db_profile_store **stores = NULL;
    enum core_rc rc;

    a->n_models = io_config_count(c, IO_NODE_ROOT, IO_EL_MODEL);
    a->n_devices = io_config_count(c, IO_NODE_ROOT, IO_EL_DEVICE);
    cfg->sim = a->sim;
    cfg->protocol = *DATA(c, io_config_child(c, IO_NODE_ROOT, IO_EL_PROTOCOL, 0),
                          struct proto_protocol_config);
    cfg->objective = *DATA(c, io_config_child(c, IO_NODE_ROOT, IO_EL_OBJECTIVE, 0),
                           struct proto_objective_config);
    cfg->reward = *DATA(c, io_config_child(c, IO_NODE_ROOT, IO_EL_REWARD, 0),
                        struct proto_reward_config);
    a->explore = *DATA(c, io_config_child(c, IO_NODE_ROOT, IO_EL_EXPLORATION, 0),
                       struct policy_explore_config);
    cfg->inference = *DATA(c, io_config_child(c, IO_NODE_ROOT, IO_EL_INFERENCE, 0),
                           struct proto_inference_config);
    cfg->ue_power = a->radio.power;
    rc = alloc_array(a, &a->models, a->n_models, sizeof(*a->models), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &a->nn_models, a->n_models, sizeof(*a->nn_models), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &a->layer_group, a->n_models, sizeof(*a->layer_group), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &a->real_exits, a->n_models, sizeof(*a->real_exits), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &a->devices, a->n_devices, sizeof(*a->devices), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &a->device_sides, a->n_devices, sizeof(*a->device_sides), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &a->problems, a->n_devices * a->n_models, sizeof(*a->problems), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &a->problem_of, a->n_devices * a->n_models, sizeof(*a->problem_of),
                         e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &a->truth_of, a->n_devices * a->n_models, sizeof(*a->truth_of), e);
    if (rc == CORE_OK)
        rc = alloc_array(a, &stores, n_res, sizeof(*stores), e);
    for (size_t r = 0; rc == CORE_OK && r < n_res; r++) {
        io_node rn = io_config_child(c, IO_NODE_ROOT, IO_EL_RESOURCE, r);
        struct compute_resource res;
        size_t index;

        rc = compute_resource_from_config(DATA(c, rn, struct compute_resource_config), &res, e);
        if (rc == CORE_OK)
            rc = compute_cpmm_add_resource(cpmm, &res, &index, e);
        CORE_ASSERT(rc != CORE_OK || index == r);
        if (rc == CORE_OK)
            rc = load_store(a, rn, &stores[r], e);
    }
    if (rc == CORE_OK)
        rc = side_build(a, edge, true, ec->default_option, "the edge", ec->copy_latency_s,
                        ec->copy_bandwidth_bps, ec->copy_power_w, &a->edge, e);
    for (size_t d = 0; rc == CORE_OK && d < a->n_devices; d++) {
        io_node dn = io_config_child(c, IO_NODE_ROOT, IO_EL_DEVICE, d);
        const struct proto_device_config *dc = DATA(c, dn, struct proto_device_config);
        char owner[CORE_KNOB_STRING_MAX + 16];

        snprintf(owner, sizeof(owner), "device '%.255s'", dc->name);
        rc = side_build(a, dn, false, dc->default_option, owner, dc->copy_latency_s,
                        dc->copy_bandwidth_bps, dc->copy_power_w, &a->devices[d], e);
        a->devices[d].side.battery_j = dc->battery_j;
        a->device_sides[d] = a->devices[d].side;
    }
    if (rc == CORE_OK)
        rc = check_measured_amounts(a, edge, true, &a->edge, stores, e);
    for (size_t d = 0; rc == CORE_OK && d < a->n_devices; d++)
        rc = check_measured_amounts(a, io_config_child(c, IO_NODE_ROOT, IO_EL_DEVICE, d), false,
                                    &a->devices[d], stores, e);
    if (rc == CORE_OK)
        rc = build_models(a, cpmm, stores, cfg->inference.mode == PROTO_INFER_REAL, e);
    if (rc == CORE_OK)
        rc = build_groups(a, e);
    for (size_t r = 0; stores && r < n_res; r++)
        db_profile_store_destroy(stores[r]);
    core_free(stores);
    if (rc != CORE_OK)
        return rc;
    cfg->n_models = a->n_models;
    cfg->models = a->models;
    cfg->n_devices = a->n_devices;
    cfg->devices = a->device_sides;
    cfg->edge = a->edge.side;
    cfg->backhaul.latency_s = ec->backhaul_latency_s;
    cfg->backhaul.rate_bps = ec->backhaul_bandwidth_bps;
    cfg->problems = (const struct compute_problem *const *)a->problem_of;
    cfg->truths = (const struct compute_problem *const *)a->truth_of;
    cfg->n_groups = a->radio.n_groups;
    cfg->groups = a->proto_groups;
    return CORE_OK;
}

/* ---- the public face ----------------------------------------------------------------- */

/* The overrides of c, one "PATH=VALUE" per line, into *out (owned). */
static enum core_rc join_overrides(const struct io_config *c, char **out, struct core_err *e)
{
    size_t n = 1, at = 0;

    for (size_t i = 0; i < io_config_n_overrides(c); i++)
        n += strlen(io_config_override(c, i)) + 1;
    *out = core_malloc(n);
    if (!*out)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", io_config_path(c));
    (*out)[0] = '\0';
    for (size_t i = 0; i < io_config_n_overrides(c); i++)
        at += (size_t)snprintf(*out + at, n - at, "%s%s", at ? "\n" : "",
                               io_config_override(c, i));
    return CORE_OK;
}

void run_info(const struct run_assembly *a, const char *policy, const char *version,
              struct db_run_info *info)
{
    memset(info, 0, sizeof(*info));
    info->scenario = io_config_name(a->cfg);
    info->scenario_sha256 = io_config_file_sha256(a->cfg);
    info->policy = policy;
    info->seed = a->sim.seed;
    info->version = version ? version : "unknown";
    info->config = a->config_text;
    info->config_sha256 = a->config_sha256;
    info->overrides = a->overrides;
}

static enum core_rc assemble(const struct io_config *c, bool models, struct run_assembly **out,
                             struct core_err *e)
{
    struct run_assembly *a = core_calloc(1, sizeof(*a));
    enum core_rc rc = CORE_OK;

    *out = NULL;
    if (!a)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory", io_config_path(c));
    a->cfg = c;
    /* Without the models, a collaborative scenario is its radio world. */
    a->kind = !models && io_config_kind(c) == IO_SCENARIO_COLLAB ? IO_SCENARIO_RADIO
                                                                 : io_config_kind(c);
    rc = io_config_canonical(c, &a->config_text, a->config_sha256, e);
    if (rc == CORE_OK)
        rc = join_overrides(c, &a->overrides, e);
    if (rc != CORE_OK) {
        run_assembly_destroy(a);
        return rc;
    }
    a->sim = *DATA(c, io_config_child(c, IO_NODE_ROOT, IO_EL_SIMULATION, 0),
                   struct proto_sim_config);
    if (a->kind == IO_SCENARIO_QUEUE) {
        io_node q = io_config_child(c, IO_NODE_ROOT, IO_EL_QUEUE, 0);

        a->queue.server =
            *DATA(c, io_config_child(c, q, IO_EL_SERVER, 0), struct proto_queue_server_config);
        a->queue.ues = *DATA(c, io_config_child(c, q, IO_EL_UES, 0), struct proto_queue_ues_config);
    } else {
        rc = assemble_radio(a, e);
    }
    if (rc == CORE_OK && a->kind == IO_SCENARIO_COLLAB && models) {
        struct compute_cpmm *cpmm = compute_cpmm_create();

        if (!cpmm)
            rc = core_err(e, CORE_E_NOMEM, "%s: out of memory", io_config_path(c));
        else
            rc = assemble_collab(a, cpmm, e);
        compute_cpmm_destroy(cpmm);
    }
    if (rc != CORE_OK) {
        run_assembly_destroy(a);
        return rc;
    }
    *out = a;
    return CORE_OK;
}

enum core_rc run_assemble(const struct io_config *c, struct run_assembly **out,
                          struct core_err *e)
{
    return assemble(c, true, out, e);
}

enum core_rc run_assemble_radio(const struct io_config *c, struct run_assembly **out,
                                struct core_err *e)
{
    CORE_ASSERT(io_config_kind(c) != IO_SCENARIO_QUEUE);
    return assemble(c, false, out, e);
}

static void side_fini(struct run_side *sd)
{
    core_free(sd->instances);
    core_free(sd->cpmm_resource);
}

void run_assembly_destroy(struct run_assembly *a)
{
    if (!a)
        return;
    if (a->problems)
        for (size_t i = 0; i < a->n_devices * a->n_models; i++)
            compute_problem_fini(&a->problems[i]);
    if (a->truths)
        for (size_t i = 0; i < a->n_devices * a->n_models; i++)
            compute_problem_fini(&a->truths[i]);
    for (size_t m = 0; a->nn_models && m < a->n_models; m++)
        nn_model_destroy(a->nn_models[m]);
    for (size_t m = 0; a->layer_group && m < a->n_models; m++)
        core_free(a->layer_group[m]);
    for (size_t m = 0; a->real_exits && m < a->n_models; m++)
        run_exits_fini(&a->real_exits[m]);
    for (size_t d = 0; a->devices && d < a->n_devices; d++)
        side_fini(&a->devices[d]);
    side_fini(&a->edge);
    core_free(a->problems);
    core_free(a->problem_of);
    core_free(a->truths);
    core_free(a->truth_of);
    core_free(a->nn_models);
    core_free(a->layer_group);
    core_free(a->real_exits);
    nn_dataset_destroy(a->test_set);
    core_free(a->models);
    core_free(a->devices);
    core_free(a->device_sides);
    core_free(a->proto_groups);
    core_free(a->workloads);
    core_free(a->config_text);
    core_free(a->overrides);
    core_free(a->groups);
    core_free(a->pos_x_m);
    core_free(a->pos_y_m);
    core_free(a);
}

enum core_rc run_validate(const char *path, struct core_err *e)
{
    struct io_config *c = NULL;
    struct run_assembly *a = NULL;
    enum core_rc rc;

    if (io_file_is_model(path))
        return io_model_validate(path, e);
    if (io_file_is_sweep(path)) {
        struct io_sweep *sw = NULL;

        rc = io_sweep_load(path, &sw, e);
        io_sweep_destroy(sw);
        return rc;
    }
    rc = io_scenario_load(path, NULL, 0, &c, e);
    if (rc == CORE_OK)
        rc = run_assemble(c, &a, e);
    run_assembly_destroy(a);
    io_config_destroy(c);
    return rc;
}
