/*
 * collab_load.c — the elements of a collaborative scenario, read into
 * struct io_collab_spec with their lines, every name resolved and every
 * check that needs no model file run, so that a scenario loads (and
 * `coinfer validate` passes) only when its names fit together:
 *
 *   <scenario>
 *     <simulation .../>
 *     <radio ...>
 *       <ue-group ... device="phone">       device: a <device> name
 *         <workload model="lenet5" rate=".." deadline=".."/>   one or more
 *       </ue-group>
 *     </radio>
 *     <resource name="npu" kind="npu" peak=".." .../>   resource types (compute.h)
 *     <model name="lenet5" file="../models/lenet5.xml"/>   or zoo="resnet18"
 *     <device name="phone" default="npu">   a UE device class
 *       <use resource="cpu-a76" name="big" amounts="1 2 4"/>   its instances
 *       <use resource="npu"/>
 *     </device>
 *     <edge default="gpu"> <use .../> </edge>   the edge node of every cell
 *     <protocol .../> <objective .../> <inference .../>   each optional
 *   </scenario>
 *
 * Any of the top-level elements above makes the scenario collaborative
 * (IO_SCENARIO_COLLAB); it then needs at least one model and one device,
 * one edge, and every ue-group a device and a workload. Resources must be
 * declared (measured host figures would need profiles, and a costed run
 * must be reproducible byte for byte from the file alone).
 */
#include "io/collab_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"

/* The longest instance name: its labels ("name:cores") fit in 31 bytes. */
#define NAME_MAX_CHARS 26

static bool is_element(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static size_t count_children(xmlNodePtr parent, const char *name)
{
    size_t n = 0;

    for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
        n += is_element(c, name);
    return n;
}

static xmlNodePtr first_child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
        if (is_element(c, name))
            return c;
    return NULL;
}

/* Apply to config only the attributes of node that are knobs of t (the
 * others belong to another table), after t's defaults. */
static enum core_rc apply_known(const char *path, xmlNodePtr node, const struct core_knob_table *t,
                                void *config, struct core_err *e)
{
    char why[768];
    enum core_rc rc = core_knobs_defaults(t, config, e);

    for (xmlAttrPtr a = node->properties; rc == CORE_OK && a != NULL; a = a->next) {
        const struct core_knob *k = core_knob_find(t, (const char *)a->name);
        xmlChar *value;

        if (k == NULL)
            continue;
        value = xmlNodeListGetString(node->doc, a->children, 1);
        rc = core_knob_set(k, value ? (const char *)value : "", config, why, sizeof(why));
        xmlFree(value);
        if (rc != CORE_OK)
            return core_err(e, CORE_E_INPUT, "%s:%ld: element '%s': attribute '%s': %s", path,
                            io_xml_node_line(node), t->element, k->name, why);
    }
    return rc;
}

/* ---- options of one side ----------------------------------------------------- */

static enum core_rc add_option(const char *path, long line, const char *owner,
                               struct io_side_options *out, uint32_t instance, double amount,
                               uint32_t units, const char *label, struct core_err *e)
{
    struct compute_option *o;

    if (out->n == COMPUTE_PLAN_MAX_OPTIONS)
        return core_err(e, CORE_E_INPUT, "%s:%ld: element 'use': %s has more than %d options", path,
                        line, owner, COMPUTE_PLAN_MAX_OPTIONS);
    o = &out->option[out->n];
    o->resource = instance;
    o->amount = amount;
    /* Names have at most NAME_MAX_CHARS characters and cores 4 digits. */
    CORE_ASSERT(strlen(label) < sizeof(o->label));
    memcpy(o->label, label, strlen(label) + 1);
    out->units[out->n] = units;
    out->n++;
    return CORE_OK;
}

/* The options of CPU use u (instance i) of r: one per amount. */
static enum core_rc cpu_options(const char *path, long line, const char *owner,
                                const struct proto_use_config *u, const char *name,
                                const struct compute_resource_config *r, uint32_t i,
                                struct io_side_options *out, struct core_err *e)
{
    char buf[CORE_KNOB_STRING_MAX], label[64], *tok, *save = NULL, *end;
    enum core_rc rc;

    if (u->amounts[0] == '\0') {
        snprintf(label, sizeof(label), "%s:%ld", name, r->units);
        return add_option(path, line, owner, out, i, (double)r->units, (uint32_t)r->units, label,
                          e);
    }
    snprintf(buf, sizeof(buf), "%s", u->amounts);
    for (tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
        long cores = strtol(tok, &end, 10);

        if (end == tok || *end != '\0' || cores < 1 || cores > r->units)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'use': amount '%s' of '%s' is not a core count "
                            "from 1 to %ld (the cores of resource '%s')",
                            path, line, tok, name, r->units, r->name);
        snprintf(label, sizeof(label), "%s:%ld", name, cores);
        for (size_t o = 0; o < out->n; o++)
            if (strcmp(out->option[o].label, label) == 0)
                return core_err(e, CORE_E_INPUT,
                                "%s:%ld: element 'use': amount %ld of '%s' is given twice", path,
                                line, cores, name);
        rc = add_option(path, line, owner, out, i, (double)cores, (uint32_t)cores, label, e);
        if (rc != CORE_OK)
            return rc;
    }
    if (out->n == 0 || out->option[out->n - 1].resource != i)
        return core_err(e, CORE_E_INPUT, "%s:%ld: element 'use': amounts of '%s' lists no amount",
                        path, line, name);
    return CORE_OK;
}

enum core_rc io_collab_side_options(const char *path, const struct io_collab_spec *spec,
                                    const struct io_collab_side_spec *side, const char *element,
                                    const char *owner, const char *def, struct io_side_options *out,
                                    struct core_err *e)
{
    enum core_rc rc = CORE_OK;
    size_t best = 0;
    bool found = false;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; rc == CORE_OK && i < side->n_uses; i++) {
        const struct proto_use_config *u = &side->use[i];
        const struct compute_resource_config *r = &spec->resource[side->use_resource[i]];
        const char *name = u->name[0] ? u->name : u->resource;

        if (r->kind == COMPUTE_RES_CPU) {
            rc = cpu_options(path, side->use_line[i], owner, u, name, r, (uint32_t)i, out, e);
        } else if (u->amounts[0] != '\0' && strcmp(u->amounts, "1") != 0) {
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'use': amounts of '%s' is '%s', but a %s runs one "
                            "job at a time (leave amounts out, or write 1)",
                            path, side->use_line[i], name, u->amounts,
                            compute_resource_kind_name((enum compute_resource_kind)r->kind));
        } else {
            rc = add_option(path, side->use_line[i], owner, out, (uint32_t)i, 1.0, 1, name, e);
        }
    }
    if (rc != CORE_OK || def[0] == '\0')
        return rc;
    for (size_t o = 0; o < out->n; o++) {
        const struct proto_use_config *u = &side->use[out->option[o].resource];
        const char *name = u->name[0] ? u->name : u->resource;

        if (strcmp(out->option[o].label, def) == 0) {
            out->default_option = (uint32_t)o;
            return CORE_OK;
        }
        if (strcmp(name, def) == 0 &&
            (!found || out->option[o].amount > out->option[best].amount)) {
            best = o;
            found = true;
        }
    }
    if (found) {
        out->default_option = (uint32_t)best;
        return CORE_OK;
    }
    {
        char list[512] = "";
        size_t at = 0;
        for (size_t o = 0; o < out->n && at < sizeof(list); o++)
            at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", o ? ", " : "",
                                   out->option[o].label);
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element '%s': default '%s' is not an option of %s (its options: "
                        "%s)",
                        path, side->line, element, def, owner, list);
    }
}

/* ---- the elements ------------------------------------------------------------ */

static enum core_rc resource_from_node(const char *path, xmlNodePtr n, struct io_collab_spec *s,
                                       struct core_err *e)
{
    struct compute_resource_config *c;
    struct compute_resource r;
    struct core_err why;
    long line = io_xml_node_line(n);
    enum core_rc rc;

    if (s->n_resources == IO_COLLAB_MAX_RESOURCES)
        return core_err(e, CORE_E_INPUT, "%s:%ld: more than %d <resource> elements", path, line,
                        IO_COLLAB_MAX_RESOURCES);
    c = &s->resource[s->n_resources];
    rc = io_scenario_apply(path, n, &compute_resource_knobs, c, e);
    if (rc != CORE_OK)
        return rc;
    for (size_t i = 0; i < s->n_resources; i++)
        if (strcmp(s->resource[i].name, c->name) == 0)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'resource': name '%s' is already taken (line %ld)",
                            path, line, c->name, s->resource_line[i]);
    core_err_clear(&why);
    if (compute_resource_from_config(c, &r, &why) != CORE_OK)
        return core_err(e, CORE_E_INPUT, "%s:%ld: element 'resource': %s", path, line, why.msg);
    if (c->measured)
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'resource': resource '%s' is measured, but a "
                        "collaborative scenario needs declared figures (peak, memory-bandwidth) "
                        "for now: costed runs must be reproducible byte for byte",
                        path, line, c->name);
    s->resource_line[s->n_resources++] = line;
    return CORE_OK;
}

static enum core_rc model_from_node(const char *path, xmlNodePtr n, struct io_collab_spec *s,
                                    struct core_err *e)
{
    struct proto_model_config *m;
    long line = io_xml_node_line(n);
    enum nn_zoo_model z;
    enum core_rc rc;

    if (s->n_models == PROTO_MAX_MODELS)
        return core_err(e, CORE_E_INPUT, "%s:%ld: more than %d <model> elements", path, line,
                        PROTO_MAX_MODELS);
    m = &s->model[s->n_models];
    rc = io_scenario_apply(path, n, &proto_model_knobs, m, e);
    if (rc != CORE_OK)
        return rc;
    for (size_t i = 0; i < s->n_models; i++)
        if (strcmp(s->model[i].name, m->name) == 0)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'model': name '%s' is already taken (line %ld)", path,
                            line, m->name, s->model_line[i]);
    if ((m->file[0] == '\0') == (m->zoo[0] == '\0'))
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'model': give either 'file' or 'zoo' (one of them)", path,
                        line);
    if (m->zoo[0] != '\0' && !nn_zoo_find(m->zoo, &z)) {
        char list[512] = "";
        size_t at = 0;

        for (int i = 0; nn_zoo_names[i] && at < sizeof(list); i++)
            at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", i ? ", " : "",
                                   nn_zoo_names[i]);
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'model': attribute 'zoo': '%s' is not one of: %s", path,
                        line, m->zoo, list);
    }
    s->model_line[s->n_models++] = line;
    return CORE_OK;
}

/* The <use> children of a <device> or the <edge>. */
static enum core_rc uses_from_node(const char *path, xmlNodePtr parent, bool is_edge,
                                   struct io_collab_spec *s, struct io_collab_side_spec *side,
                                   struct core_err *e)
{
    enum core_rc rc;

    side->line = io_xml_node_line(parent);
    for (xmlNodePtr n = parent->children; n != NULL; n = n->next) {
        struct proto_use_config *u;
        const char *name;
        long line = io_xml_node_line(n);
        bool known = false;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (!is_element(n, "use"))
            return core_err(e, CORE_E_INPUT, "%s:%ld: element '%s' is not expected here", path,
                            line, (const char *)n->name);
        if (side->n_uses == PROTO_MAX_INSTANCES)
            return core_err(e, CORE_E_INPUT, "%s:%ld: more than %d <use> elements in one <%s>",
                            path, line, PROTO_MAX_INSTANCES, (const char *)parent->name);
        u = &side->use[side->n_uses];
        rc = io_scenario_apply(path, n, &proto_use_knobs, u, e);
        if (rc != CORE_OK)
            return rc;
        if (!is_edge && (xmlHasProp(n, (const xmlChar *)"background-load") != NULL ||
                         xmlHasProp(n, (const xmlChar *)"background-job") != NULL ||
                         xmlHasProp(n, (const xmlChar *)"withdrawn-from") != NULL ||
                         xmlHasProp(n, (const xmlChar *)"withdrawn-until") != NULL))
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'use': background-load, background-job and "
                            "withdrawn-from/-until belong to the edge's resources, not a "
                            "device's",
                            path, line);
        if (u->withdrawn_until_s < u->withdrawn_from_s)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'use': withdrawn-until (%g s) is before "
                            "withdrawn-from (%g s)",
                            path, line, u->withdrawn_until_s, u->withdrawn_from_s);
        for (size_t r = 0; r < s->n_resources; r++) {
            if (strcmp(s->resource[r].name, u->resource) == 0) {
                side->use_resource[side->n_uses] = (uint32_t)r;
                known = true;
            }
        }
        if (!known)
            return core_err(e, CORE_E_INPUT, "%s:%ld: element 'use': unknown resource '%s'", path,
                            line, u->resource);
        name = u->name[0] ? u->name : u->resource;
        if (strlen(name) > NAME_MAX_CHARS)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'use': name '%s' is longer than %d characters (name "
                            "the instance with attribute 'name')",
                            path, line, name, NAME_MAX_CHARS);
        for (size_t i = 0; i < side->n_uses; i++) {
            const struct proto_use_config *v = &side->use[i];
            if (strcmp(v->name[0] ? v->name : v->resource, name) == 0)
                return core_err(e, CORE_E_INPUT,
                                "%s:%ld: element 'use': instance name '%s' is already taken "
                                "(line %ld)",
                                path, line, name, side->use_line[i]);
        }
        side->use_line[side->n_uses++] = line;
    }
    if (side->n_uses == 0)
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element '%s' is missing a child element (expected <use>)", path,
                        side->line, (const char *)parent->name);
    return CORE_OK;
}

static enum core_rc device_from_node(const char *path, xmlNodePtr n, struct io_collab_spec *s,
                                     struct core_err *e)
{
    struct io_side_options opts;
    struct proto_device_config *d;
    long line = io_xml_node_line(n);
    enum core_rc rc;

    if (s->n_devices == PROTO_MAX_DEVICES)
        return core_err(e, CORE_E_INPUT, "%s:%ld: more than %d <device> elements", path, line,
                        PROTO_MAX_DEVICES);
    d = &s->device[s->n_devices];
    rc = io_scenario_apply(path, n, &proto_device_knobs, d, e);
    if (rc != CORE_OK)
        return rc;
    for (size_t i = 0; i < s->n_devices; i++)
        if (strcmp(s->device[i].name, d->name) == 0)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'device': name '%s' is already taken (line %ld)", path,
                            line, d->name, s->device_side[i].line);
    rc = uses_from_node(path, n, false, s, &s->device_side[s->n_devices], e);
    if (rc == CORE_OK) {
        char owner[CORE_KNOB_STRING_MAX + 16];
        snprintf(owner, sizeof(owner), "device '%.255s'", d->name);
        rc = io_collab_side_options(path, s, &s->device_side[s->n_devices], "device", owner,
                                    d->default_option, &opts, e);
    }
    if (rc == CORE_OK)
        s->n_devices++;
    return rc;
}

/* The device attribute and <workload> children of ue-group g. */
static enum core_rc group_from_node(const char *path, xmlNodePtr n, size_t g,
                                    struct io_collab_spec *s, struct core_err *e)
{
    struct proto_ue_group_config *gc = &s->group[g];
    long line = io_xml_node_line(n);
    bool known = false;
    enum core_rc rc;

    rc = apply_known(path, n, &proto_ue_group_knobs, gc, e);
    if (rc != CORE_OK)
        return rc;
    if (gc->device[0] == '\0')
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'ue-group': attribute 'device' is required in a "
                        "collaborative scenario",
                        path, line);
    for (size_t d = 0; d < s->n_devices; d++) {
        if (strcmp(s->device[d].name, gc->device) == 0) {
            s->group_device[g] = (uint32_t)d;
            known = true;
        }
    }
    if (!known)
        return core_err(e, CORE_E_INPUT, "%s:%ld: element 'ue-group': unknown device '%s'", path,
                        line, gc->device);
    for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
        size_t w = s->n_workloads[g];
        struct proto_workload_config *wc = &s->workload[g][w];
        long wline = io_xml_node_line(c);

        if (!is_element(c, "workload"))
            continue;
        if (w == PROTO_MAX_WORKLOADS)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: more than %d <workload> elements in one "
                            "<ue-group>",
                            path, wline, PROTO_MAX_WORKLOADS);
        rc = io_scenario_apply(path, c, &proto_workload_knobs, wc, e);
        if (rc != CORE_OK)
            return rc;
        known = false;
        for (size_t m = 0; m < s->n_models; m++) {
            if (strcmp(s->model[m].name, wc->model) == 0) {
                s->workload_model[g][w] = (uint32_t)m;
                known = true;
            }
        }
        if (!known)
            return core_err(e, CORE_E_INPUT, "%s:%ld: element 'workload': unknown model '%s'", path,
                            wline, wc->model);
        s->workload_line[g][w] = wline;
        s->n_workloads[g]++;
    }
    if (s->n_workloads[g] == 0)
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'ue-group' is missing a child element (expected "
                        "<workload>)",
                        path, line);
    return CORE_OK;
}

/* A radio-only scenario: no ue-group may carry collaborative parts. */
static enum core_rc radio_only(const char *path, xmlNodePtr radio, struct core_err *e)
{
    for (xmlNodePtr n = radio->children; n != NULL; n = n->next) {
        xmlNodePtr w;
        if (!is_element(n, "ue-group"))
            continue;
        if (xmlHasProp(n, (const xmlChar *)"device") != NULL)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'ue-group': attribute 'device' is allowed only in a "
                            "collaborative scenario (with <model>, <device> and <edge>)",
                            path, io_xml_node_line(n));
        if ((w = first_child(n, "workload")) != NULL)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'workload' is allowed only in a collaborative "
                            "scenario (with <model>, <device> and <edge>)",
                            path, io_xml_node_line(w));
    }
    return CORE_OK;
}

static enum core_rc optional_element(const char *path, xmlNodePtr root, const char *name,
                                     const struct core_knob_table *t, void *config, long *line,
                                     struct core_err *e)
{
    xmlNodePtr n = first_child(root, name);
    enum core_rc rc = core_knobs_defaults(t, config, e);

    if (rc != CORE_OK || n == NULL)
        return rc;
    if (line != NULL)
        *line = io_xml_node_line(n);
    return io_scenario_apply(path, n, t, config, e);
}

enum core_rc io_collab_from_doc(const char *path, xmlNodePtr root, struct io_scenario *out,
                                struct core_err *e)
{
    static const char *const collab[] = {"resource", "model",     "device",    "edge",
                                         "protocol", "objective", "inference", NULL};
    struct io_collab_spec *s = &out->collab;
    xmlNodePtr radio = first_child(root, "radio"), edge;
    struct io_side_options opts;
    bool any = false;
    size_t g = 0;
    enum core_rc rc;

    for (size_t i = 0; collab[i] != NULL; i++)
        any = any || first_child(root, collab[i]) != NULL;
    if (!any)
        return radio_only(path, radio, e);

    memset(s, 0, sizeof(*s));
    rc = optional_element(path, root, "protocol", &proto_protocol_knobs, &s->protocol, NULL, e);
    if (rc == CORE_OK)
        rc = optional_element(path, root, "objective", &proto_objective_knobs, &s->objective,
                              &s->objective_line, e);
    if (rc == CORE_OK)
        rc = optional_element(path, root, "inference", &proto_inference_knobs, &s->inference, NULL,
                              e);
    for (xmlNodePtr n = root->children; rc == CORE_OK && n != NULL; n = n->next) {
        if (is_element(n, "resource"))
            rc = resource_from_node(path, n, s, e);
        else if (is_element(n, "model"))
            rc = model_from_node(path, n, s, e);
    }
    for (xmlNodePtr n = root->children; rc == CORE_OK && n != NULL; n = n->next)
        if (is_element(n, "device"))
            rc = device_from_node(path, n, s, e);
    if (rc != CORE_OK)
        return rc;
    if (s->n_models == 0 || s->n_devices == 0 || count_children(root, "edge") != 1)
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'scenario': a collaborative scenario needs at least one "
                        "<model>, at least one <device> and one <edge>",
                        path, io_xml_node_line(root));
    edge = first_child(root, "edge");
    rc = io_scenario_apply(path, edge, &proto_edge_knobs, &s->edge, e);
    if (rc == CORE_OK)
        rc = uses_from_node(path, edge, true, s, &s->edge_side, e);
    if (rc == CORE_OK)
        rc = io_collab_side_options(path, s, &s->edge_side, "edge", "the edge",
                                    s->edge.default_option, &opts, e);
    for (xmlNodePtr n = radio->children; rc == CORE_OK && n != NULL; n = n->next)
        if (is_element(n, "ue-group"))
            rc = group_from_node(path, n, g++, s, e);
    if (rc != CORE_OK)
        return rc;
    if (s->objective.latency_weight == 0.0 && s->objective.energy_weight == 0.0)
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'objective': latency-weight and energy-weight are both "
                        "0, which makes every decision equally good (give one of them a "
                        "positive weight)",
                        path, s->objective_line);
    out->kind = IO_SCENARIO_COLLAB;
    return CORE_OK;
}
