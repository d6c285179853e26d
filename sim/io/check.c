/*
 * check.c — the checks of a scenario that no single knob can make: values
 * that must agree with each other, names that must resolve, and the radio's
 * and compute's rules of validity. They run on the configuration tree after
 * any --set (io_scenario_load), so an override is checked like the file,
 * and each error names the element's FILE:LINE (and the override that
 * touched it, io_config_err).
 *
 * In order: the simulation (warm-up before the end); the radio world (the
 * carrier for its numerology, the deployment's geometry, the UE power
 * model, each group's speeds and its <position> children); then, in a collaborative scenario,
 * the resource types, the models (a file or a zoo name; a file, resolved
 * beside the scenario, must exist and be readable), the device classes
 * and the edge (their <use> instances and the options they give), each
 * group's device and workloads, and the objective's weights. In a radio-only
 * scenario no group may carry a device or a workload. What needs the
 * models themselves (a layer no resource runs) is checked when the run tier
 * builds the problems.
 */
#include "io/io_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "nn/nn.h"

/* The longest instance name: its labels ("name:cores") fit in 31 bytes. */
#define INSTANCE_NAME_MAX 26

#define DATA(c, n, type) ((const type *)io_config_data((c), (n), 0))

/* The longest scenario name (it names runs and the default database). */
#define SCENARIO_NAME_MAX 127

/* A name is a name: it becomes part of results/NAME.db, so it may not
 * climb out of results/, name a directory, hide itself or break a line:
 * no path separator ('/', '\\'), no "..", no leading '.', no control
 * character. */
static enum core_rc check_name(const struct io_config *c, struct core_err *e)
{
    const char *name = io_config_name(c);
    size_t n = strlen(name);
    bool control = false;

    for (const char *p = name; *p; p++)
        control |= (unsigned char)*p < 0x20 || *p == 0x7f;
    if (n == 0 || n > SCENARIO_NAME_MAX || strchr(name, '/') || strchr(name, '\\') ||
        strstr(name, "..") || name[0] == '.' || control)
        return io_config_err(c, IO_NODE_ROOT, e,
                             "attribute 'name': '%.64s%s' is not a name of 1 to %d characters "
                             "without '/', '\\', '..', a leading '.' or control characters",
                             name, n > 64 ? "..." : "", SCENARIO_NAME_MAX);
    return CORE_OK;
}

static enum core_rc check_simulation(const struct io_config *c, struct core_err *e)
{
    io_node n = io_config_child(c, IO_NODE_ROOT, IO_EL_SIMULATION, 0);
    const struct proto_sim_config *sim = DATA(c, n, struct proto_sim_config);

    if (sim->warmup_s >= sim->duration_s)
        return io_config_err(c, n, e, "'warmup' (%g s) must be less than 'duration' (%g s)",
                             sim->warmup_s, sim->duration_s);
    return CORE_OK;
}

/* A radio check's verdict on node. */
static enum core_rc radio_verdict(const struct io_config *c, io_node n, enum core_rc rc,
                                  const struct core_err *why, struct core_err *e)
{
    if (rc == CORE_OK)
        return CORE_OK;
    return io_config_err(c, n, e, "%s", why->msg);
}

static enum core_rc check_group(const struct io_config *c, io_node g, struct core_err *e)
{
    const struct radio_ue_group_config *gc = DATA(c, g, struct radio_ue_group_config);
    size_t n_pos = io_config_count(c, g, IO_EL_POSITION);
    struct core_err why;
    io_node link;

    core_err_clear(&why);
    if (gc->placement != RADIO_PLACE_POSITIONS && n_pos > 0)
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'position' is allowed only in a group with "
                        "placement=\"positions\"",
                        io_config_path(c),
                        io_config_line(c, io_config_child(c, g, IO_EL_POSITION, 0)));
    if (gc->placement == RADIO_PLACE_POSITIONS && (long)n_pos != gc->n_ues)
        return io_config_err(c, g, e,
                             "placement 'positions' needs one <position> per UE: count is %ld, "
                             "found %zu",
                             gc->n_ues, n_pos);
    if (radio_ue_group_config_check(gc, &why) != CORE_OK)
        return radio_verdict(c, g, why.rc, &why, e);
    link = io_config_child(c, g, IO_EL_LINK, 0);
    return radio_verdict(c, link,
                         radio_link_config_check(DATA(c, link, struct radio_link_config), &why),
                         &why, e);
}

static enum core_rc check_radio(const struct io_config *c, io_node radio, struct core_err *e)
{
    io_node carrier = io_config_child(c, radio, IO_EL_CARRIER, 0);
    io_node deploy = io_config_child(c, radio, IO_EL_DEPLOYMENT, 0);
    io_node power = io_config_child(c, radio, IO_EL_UE_POWER, 0);
    struct core_err why;
    enum core_rc rc;

    core_err_clear(&why);
    rc = radio_verdict(c, carrier,
                       radio_carrier_config_check(DATA(c, carrier, struct radio_carrier_config),
                                                  &why),
                       &why, e);
    if (rc == CORE_OK)
        rc = radio_verdict(
            c, deploy,
            radio_deployment_config_check(DATA(c, deploy, struct radio_deployment_config), &why),
            &why, e);
    if (rc == CORE_OK)
        rc = radio_verdict(c, power,
                           radio_power_model_check(DATA(c, power, struct radio_power_model), &why),
                           &why, e);
    if (rc == CORE_OK && io_config_count(c, radio, IO_EL_UE_GROUP) == 0)
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'radio' is missing a child element (expected "
                        "<ue-group>)",
                        io_config_path(c), io_config_line(c, radio));
    for (io_node g = io_config_first(c, radio); rc == CORE_OK && g != IO_NODE_NONE;
         g = io_config_next(c, g))
        if (io_config_element_index(c, g) == IO_EL_UE_GROUP)
            rc = check_group(c, g, e);
    return rc;
}

/* A radio-only scenario: no group may carry collaborative parts. */
static enum core_rc check_radio_only(const struct io_config *c, io_node radio, struct core_err *e)
{
    for (size_t i = 0; i < io_config_count(c, radio, IO_EL_UE_GROUP); i++) {
        io_node g = io_config_child(c, radio, IO_EL_UE_GROUP, i);
        io_node w = io_config_child(c, g, IO_EL_WORKLOAD, 0);

        if (((const struct proto_ue_group_config *)io_config_data(c, g, 1))->device[0] != '\0')
            return io_config_err(c, g, e,
                                 "attribute 'device' is allowed only in a collaborative "
                                 "scenario (with <model>, <device> and <edge>)");
        if (w != IO_NODE_NONE)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'workload' is allowed only in a collaborative "
                            "scenario (with <model>, <device> and <edge>)",
                            io_config_path(c), io_config_line(c, w));
    }
    return CORE_OK;
}

/* No two children of element under the root share a key. */
/* A key and where it is, for finding duplicates by sorting. */
struct keyed {
    const char *key; /* the node's key */
    size_t i;        /* its index among its parent's children of its element */
};

static int keyed_cmp(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int d = strcmp(x->key, y->key);

    return d ? d : (x->i > y->i) - (x->i < y->i);
}

/* The first child (in document order) whose key an earlier one has: sort
 * the keys (O(n log n); the n^2 comparisons of all pairs took seconds for
 * a few thousand resources) and take, over each run of equal keys, its
 * second occurrence. */
static enum core_rc unique_keys(const struct io_config *c, io_node parent, uint16_t element,
                                const char *what, struct core_err *e)
{
    size_t n = io_config_count(c, parent, element), dup = SIZE_MAX, first = 0;
    struct keyed *k;

    if (n < 2)
        return CORE_OK;
    k = core_malloc(n * sizeof(*k));
    if (!k)
        return core_err(e, CORE_E_NOMEM, "%s: out of memory checking names",
                        io_config_path(c));
    for (size_t i = 0; i < n; i++) {
        k[i].key = io_config_key(c, io_config_child(c, parent, element, i));
        k[i].i = i;
    }
    qsort(k, n, sizeof(*k), keyed_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(k[i].key, k[i - 1].key) == 0 && (i < 2 || strcmp(k[i - 1].key,
                                                                     k[i - 2].key) != 0) &&
            k[i].i < dup) {
            dup = k[i].i;
            first = k[i - 1].i;
        }
    core_free(k);
    if (dup != SIZE_MAX) {
        io_node a = io_config_child(c, parent, element, dup);
        io_node b = io_config_child(c, parent, element, first);

        return io_config_err(c, a, e, "%s '%s' is already taken (line %ld)", what,
                             io_config_key(c, a), io_config_line(c, b));
    }
    return CORE_OK;
}

static enum core_rc check_resources(const struct io_config *c, struct core_err *e)
{
    enum core_rc rc = unique_keys(c, IO_NODE_ROOT, IO_EL_RESOURCE, "name", e);

    for (size_t i = 0; rc == CORE_OK && i < io_config_count(c, IO_NODE_ROOT, IO_EL_RESOURCE);
         i++) {
        io_node n = io_config_child(c, IO_NODE_ROOT, IO_EL_RESOURCE, i);
        const struct compute_resource_config *rc_ = DATA(c, n, struct compute_resource_config);
        struct compute_resource r;
        struct core_err why;

        core_err_clear(&why);
        if (compute_resource_from_config(rc_, &r, &why) != CORE_OK)
            return io_config_err(c, n, e, "%s", why.msg);
        if (rc_->measured)
            return io_config_err(c, n, e,
                                 "resource '%s' is measured at run time, but a collaborative "
                                 "run must be reproducible byte for byte from its files: "
                                 "declare its figures (peak, memory-bandwidth) or name a "
                                 "stored profile of the host (profile=\"FILE#KEY\", from "
                                 "coinfer profile --db FILE)",
                                 rc_->name);
    }
    return rc;
}

static enum core_rc check_models(const struct io_config *c, struct core_err *e)
{
    enum core_rc rc = unique_keys(c, IO_NODE_ROOT, IO_EL_MODEL, "name", e);

    for (size_t i = 0; rc == CORE_OK && i < io_config_count(c, IO_NODE_ROOT, IO_EL_MODEL); i++) {
        io_node n = io_config_child(c, IO_NODE_ROOT, IO_EL_MODEL, i);
        const struct proto_model_config *m = DATA(c, n, struct proto_model_config);
        enum nn_zoo_model z;

        if ((m->file[0] == '\0') == (m->zoo[0] == '\0'))
            return io_config_err(c, n, e, "give either 'file' or 'zoo' (one of them)");
        if (m->file[0] != '\0') {
            char path[IO_PATH_MAX];
            struct stat st;

            /* Here, not when the run loads it: the error names the scenario's line. */
            io_resolve_beside(io_config_path(c), m->file, path, sizeof(path));
            if (stat(path, &st) != 0 || access(path, R_OK) != 0)
                return io_config_err(c, n, e, "attribute 'file': cannot read '%s' (%s): %s",
                                     m->file, path, strerror(errno));
            if (!S_ISREG(st.st_mode))
                return io_config_err(c, n, e, "attribute 'file': '%s' (%s) is not a file",
                                     m->file, path);
        }
        if (m->zoo[0] != '\0' && !nn_zoo_find(m->zoo, &z)) {
            char list[512] = "";
            size_t at = 0;

            for (int k = 0; nn_zoo_names[k] && at < sizeof(list); k++)
                at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", k ? ", " : "",
                                       nn_zoo_names[k]);
            return io_config_err(c, n, e, "attribute 'zoo': '%s' is not one of: %s", m->zoo,
                                 list);
        }
    }
    return rc;
}

/* The <use> children of a device or the edge, and the options they give. */
static enum core_rc check_side(const struct io_config *c, io_node side, bool is_edge,
                               const char *def, const char *owner, struct core_err *e)
{
    const uint16_t use_el = is_edge ? IO_EL_EDGE_USE : IO_EL_DEVICE_USE;
    const size_t n_uses = io_config_count(c, side, use_el);
    const struct proto_use_config **uses = NULL;
    const struct compute_resource_config **res = NULL;
    struct proto_side_options opts;
    char why[768];
    size_t bad;
    enum core_rc rc = CORE_OK;

    if (n_uses == 0)
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element '%s' is missing a child element (expected <use>)",
                        io_config_path(c), io_config_line(c, side),
                        io_config_element(c, side)->name);
    uses = core_calloc(n_uses, sizeof(*uses));
    res = core_calloc(n_uses, sizeof(*res));
    if (!uses || !res) {
        rc = core_err(e, CORE_E_NOMEM, "%s:%ld: out of memory", io_config_path(c),
                      io_config_line(c, side));
        goto out_free;
    }
    for (size_t i = 0; i < n_uses; i++) {
        io_node n = io_config_child(c, side, use_el, i);
        const struct proto_use_config *u = DATA(c, n, struct proto_use_config);
        io_node r = io_config_find(c, IO_NODE_ROOT, IO_EL_RESOURCE, u->resource);
        const char *name = proto_use_name(u);

        /* By value, not by presence: a canonical text writes every knob. */
        if (!is_edge && (u->background_load != 0.0 ||
                         u->withdrawn_until_s != u->withdrawn_from_s)) {
            rc = io_config_err(c, n, e,
                               "background-load, background-job and withdrawn-from/-until "
                               "belong to the edge's resources, not a device's");
            goto out_free;
        }
        if (u->withdrawn_until_s < u->withdrawn_from_s) {
            rc = io_config_err(c, n, e, "withdrawn-until (%g s) is before withdrawn-from (%g s)",
                               u->withdrawn_until_s, u->withdrawn_from_s);
            goto out_free;
        }
        if (r == IO_NODE_NONE) {
            rc = io_config_err(c, n, e, "unknown resource '%s'", u->resource);
            goto out_free;
        }
        if (strlen(name) > INSTANCE_NAME_MAX) {
            rc = io_config_err(c, n, e,
                               "name '%s' is longer than %d characters (name the instance with "
                               "attribute 'name')",
                               name, INSTANCE_NAME_MAX);
            goto out_free;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(proto_use_name(uses[j]), name) == 0) {
                rc = io_config_err(c, n, e, "instance name '%s' is already taken (line %ld)", name,
                                   io_config_line(c, io_config_child(c, side, use_el, j)));
                goto out_free;
            }
        uses[i] = u;
        res[i] = DATA(c, r, struct compute_resource_config);
    }
    if (proto_side_options(uses, res, n_uses, def, owner, &opts, &bad, why, sizeof(why)) !=
        CORE_OK)
        rc = io_config_err(c, bad < n_uses ? io_config_child(c, side, use_el, bad) : side, e, "%s",
                           why);
out_free:
    core_free(uses);
    core_free(res);
    return rc;
}

static enum core_rc check_collab(const struct io_config *c, io_node radio, struct core_err *e)
{
    const size_t n_devices = io_config_count(c, IO_NODE_ROOT, IO_EL_DEVICE);
    io_node edge = io_config_child(c, IO_NODE_ROOT, IO_EL_EDGE, 0);
    io_node objective = io_config_child(c, IO_NODE_ROOT, IO_EL_OBJECTIVE, 0);
    const struct proto_objective_config *obj = DATA(c, objective, struct proto_objective_config);
    enum core_rc rc = check_resources(c, e);

    if (rc == CORE_OK)
        rc = check_models(c, e);
    if (rc == CORE_OK)
        rc = unique_keys(c, IO_NODE_ROOT, IO_EL_DEVICE, "name", e);
    for (size_t d = 0; rc == CORE_OK && d < n_devices; d++) {
        io_node n = io_config_child(c, IO_NODE_ROOT, IO_EL_DEVICE, d);
        const struct proto_device_config *dc = DATA(c, n, struct proto_device_config);
        char owner[CORE_KNOB_STRING_MAX + 16];

        snprintf(owner, sizeof(owner), "device '%.255s'", dc->name);
        rc = check_side(c, n, false, dc->default_option, owner, e);
    }
    if (rc != CORE_OK)
        return rc;
    if (io_config_count(c, IO_NODE_ROOT, IO_EL_MODEL) == 0 || n_devices == 0 ||
        io_config_count(c, IO_NODE_ROOT, IO_EL_EDGE) != 1)
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'scenario': a collaborative scenario needs at least one "
                        "<model>, at least one <device> and one <edge>",
                        io_config_path(c), io_config_line(c, IO_NODE_ROOT));
    rc = check_side(c, edge, true, DATA(c, edge, struct proto_edge_config)->default_option,
                    "the edge", e);
    for (size_t i = 0; rc == CORE_OK && i < io_config_count(c, radio, IO_EL_UE_GROUP); i++) {
        io_node g = io_config_child(c, radio, IO_EL_UE_GROUP, i);
        const struct proto_ue_group_config *gc = io_config_data(c, g, 1);
        size_t n_w = io_config_count(c, g, IO_EL_WORKLOAD);

        if (gc->device[0] == '\0')
            return io_config_err(c, g, e,
                                 "attribute 'device' is required in a collaborative scenario");
        if (io_config_find(c, IO_NODE_ROOT, IO_EL_DEVICE, gc->device) == IO_NODE_NONE)
            return io_config_err(c, g, e, "unknown device '%s'", gc->device);
        for (size_t w = 0; w < n_w; w++) {
            io_node wn = io_config_child(c, g, IO_EL_WORKLOAD, w);
            const struct proto_workload_config *wc = DATA(c, wn, struct proto_workload_config);

            if (io_config_find(c, IO_NODE_ROOT, IO_EL_MODEL, wc->model) == IO_NODE_NONE)
                return io_config_err(c, wn, e, "unknown model '%s'", wc->model);
        }
        if (n_w == 0)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'ue-group' is missing a child element (expected "
                            "<workload>)",
                            io_config_path(c), io_config_line(c, g));
    }
    if (rc == CORE_OK && obj->latency_weight == 0.0 && obj->energy_weight == 0.0)
        return io_config_err(c, objective, e,
                             "latency-weight and energy-weight are both 0, which makes every "
                             "decision equally good (give one of them a positive weight)");
    return rc;
}

enum core_rc io_scenario_check(const struct io_config *c, struct core_err *e)
{
    io_node radio = io_config_child(c, IO_NODE_ROOT, IO_EL_RADIO, 0);
    enum core_rc rc = check_name(c, e);

    if (rc == CORE_OK)
        rc = check_simulation(c, e);
    if (rc != CORE_OK || radio == IO_NODE_NONE)
        return rc;
    rc = check_radio(c, radio, e);
    if (rc != CORE_OK)
        return rc;
    if (io_config_kind(c) == IO_SCENARIO_COLLAB)
        return check_collab(c, radio, e);
    return check_radio_only(c, radio, e);
}
