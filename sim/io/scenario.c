/*
 * scenario.c — scenario files in: read, parse, validate, convert.
 *
 * A scenario is read whole (for its SHA-256), parsed by libxml2 without
 * network access or external entities (XML_PARSE_NONET, no NOENT or DTDLOAD)
 * and with line numbers past 65535 (XML_PARSE_BIG_LINES), validated against
 * scenarios/schema.xsd, and only then converted: each element's attributes
 * are set through its module's knob table (units to SI, ranges checked) and
 * cross-checks run last. Every libxml2 message is caught by a structured
 * error handler and rewritten (xml_errors.c); the first error is reported as
 * "FILE:LINE: message" with CORE_E_INPUT.
 *
 * The file's structure for now:
 *
 *   <scenario name="...">          name optional (default: the file's base name)
 *     <description>...</description>   optional
 *     <simulation duration=".." seed=".." warmup=".."/>
 *     <queue>                          either the validation queue ...
 *       <server servers=".." service=".." mean-service=".."/>
 *       <ues count=".." arrival=".." rate=".."/>
 *     </queue>
 *     <radio sample-period="..">       ... or a radio world (IO_SCENARIO_RADIO)
 *       <carrier .../> <deployment .../> <power-control .../> <handover .../>
 *                                      each optional, at most once, in this order
 *       <ue-group ...>                 one or more
 *         <position x=".." y=".."/>    with placement="positions": one per UE
 *       </ue-group>
 *     </radio>
 *     <resource/> <model/> <device/> <edge/> <protocol/> <objective/> <inference/>
 *                                      with <radio>: a collaborative scenario
 *                                      (IO_SCENARIO_COLLAB), read by collab_load.c
 *   </scenario>
 *
 * The radio elements' knobs live in sim/radio/radio_knobs.c; the checks that
 * need several values or the radio model's validity ranges are radio's
 * *_check functions, reported here with the element's FILE:LINE.
 *
 * The schema is found at $COINFER_SCHEMA_DIR/schema.xsd if that variable is
 * set, else at ../scenarios/schema.xsd from the directory of the running
 * binary (/proc/self/exe: build/coinfer finds scenarios/) or from one of its
 * two parents (build/asan/coinfer), else at scenarios/schema.xsd from the
 * current directory.
 */
#include "io/io.h"
#include "io/io_int.h"
#include "io/collab_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

/* ---- knob tables of the scenario's elements ------------------------------ */

/* <position>: one UE's starting point (placement="positions"). */
struct position {
    double x_m; /* m */
    double y_m; /* m */
};

static const struct core_knob position_knobs[] = {
    {"x", CORE_KNOB_REAL, CORE_DIM_LENGTH, NULL, -1e6, 1e6, NULL, offsetof(struct position, x_m),
     "x of the UE's starting point."},
    {"y", CORE_KNOB_REAL, CORE_DIM_LENGTH, NULL, -1e6, 1e6, NULL, offsetof(struct position, y_m),
     "y of the UE's starting point."},
};

static const struct core_knob_table position_table = {
    "position", position_knobs, ARRAY_LEN(position_knobs)
};

static const struct core_knob_table *const element_tables[] = {
    &proto_sim_knobs,
    &proto_queue_server_knobs,
    &proto_queue_ues_knobs,
    &radio_section_knobs,
    &radio_carrier_knobs,
    &radio_deployment_knobs,
    &radio_pc_knobs,
    &radio_handover_knobs,
    &radio_ue_group_knobs,
    &position_table,
    &compute_resource_knobs,
    &proto_model_knobs,
    &proto_device_knobs,
    &proto_edge_knobs,
    &proto_use_knobs,
    &proto_protocol_knobs,
    &proto_objective_knobs,
    &proto_inference_knobs,
    &proto_workload_knobs,
};

const struct core_knob_table *io_scenario_knobs(const char *element)
{
    for (size_t i = 0; i < ARRAY_LEN(element_tables); i++) {
        if (strcmp(element_tables[i]->element, element) == 0)
            return element_tables[i];
    }
    return NULL;
}

/* ---- reading, parsing and validating ------------------------------------- */

static const struct io_xml_kind scenario_kind = {"scenario", "scenarios", "COINFER_SCHEMA_DIR"};

/* ---- converting ------------------------------------------------------------ */

/* Set config from node's attributes through table t: defaults first, then
 * each attribute (which must be a knob), then check that required knobs were
 * given. */
static enum core_rc apply_element(const char *path, xmlNodePtr node,
                                  const struct core_knob_table *t, void *config, struct core_err *e)
{
    bool seen[64] = {false};
    char why[768];
    long line = io_xml_node_line(node);
    enum core_rc rc;

    CORE_ASSERT(t->n_knobs <= ARRAY_LEN(seen));
    rc = core_knobs_defaults(t, config, e);
    if (rc != CORE_OK)
        return rc;
    for (xmlAttrPtr a = node->properties; a != NULL; a = a->next) {
        const char *name = (const char *)a->name;
        const struct core_knob *k = core_knob_find(t, name);
        xmlChar *value;

        /* <ue-group device> is proto's knob, read with the collaborative elements. */
        if (k == NULL && t == &radio_ue_group_knobs &&
            core_knob_find(&proto_ue_group_knobs, name) != NULL)
            continue;
        if (k == NULL)
            return core_err(e, CORE_E_INPUT, "%s:%ld: element '%s': unknown attribute '%s'", path,
                            line, t->element, name);
        value = xmlNodeListGetString(node->doc, a->children, 1);
        if (value == NULL)
            value = xmlStrdup((const xmlChar *)"");
        if (value == NULL)
            return core_err(e, CORE_E_NOMEM, "%s:%ld: out of memory", path, line);
        rc = core_knob_set(k, (const char *)value, config, why, sizeof(why));
        xmlFree(value);
        if (rc != CORE_OK)
            return core_err(e, CORE_E_INPUT, "%s:%ld: element '%s': attribute '%s': %s", path, line,
                            t->element, name, why);
        seen[k - t->knobs] = true;
    }
    for (size_t i = 0; i < t->n_knobs; i++) {
        if (t->knobs[i].def == NULL && !seen[i])
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element '%s': attribute '%s' is required but missing", path,
                            line, t->element, t->knobs[i].name);
    }
    return CORE_OK;
}

enum core_rc io_scenario_apply(const char *path, xmlNodePtr node, const struct core_knob_table *t,
                               void *config, struct core_err *e)
{
    return apply_element(path, node, t, config, e);
}

static bool is_element(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* The one child element of parent named name; an error if it is absent. */
static enum core_rc child(const char *path, xmlNodePtr parent, const char *name, xmlNodePtr *out,
                          struct core_err *e)
{
    for (xmlNodePtr n = parent->children; n != NULL; n = n->next) {
        if (is_element(n, name)) {
            *out = n;
            return CORE_OK;
        }
    }
    return core_err(e, CORE_E_INPUT,
                    "%s:%ld: element '%s' is missing a child element (expected <%s>)", path,
                    io_xml_node_line(parent), (const char *)parent->name, name);
}

/* Every child element of parent is one of names (NULL-terminated). */
static enum core_rc only_children(const char *path, xmlNodePtr parent, const char *const *names,
                                  struct core_err *e)
{
    for (xmlNodePtr n = parent->children; n != NULL; n = n->next) {
        bool known = false;
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (size_t i = 0; names[i] != NULL; i++)
            known = known || is_element(n, names[i]);
        if (!known)
            return core_err(e, CORE_E_INPUT, "%s:%ld: element '%s' is not expected here", path,
                            io_xml_node_line(n), (const char *)n->name);
    }
    return CORE_OK;
}

/* The scenario's name: name="..." or the file's base name without ".xml". */
static enum core_rc scenario_name(const char *path, xmlNodePtr root, char *out, struct core_err *e)
{
    xmlChar *name = xmlGetProp(root, (const xmlChar *)"name");
    const char *base;
    size_t n;

    if (name != NULL) {
        n = strlen((const char *)name);
        if (n == 0 || n >= IO_NAME_MAX) {
            xmlFree(name);
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'scenario': attribute 'name' must have 1 to %d "
                            "characters",
                            path, io_xml_node_line(root), IO_NAME_MAX - 1);
        }
        memcpy(out, name, n + 1);
        xmlFree(name);
        return CORE_OK;
    }
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".xml") == 0)
        n -= 4;
    if (n >= IO_NAME_MAX)
        n = IO_NAME_MAX - 1;
    memcpy(out, base, n);
    out[n] = '\0';
    return CORE_OK;
}

/* A radio check's verdict on node as FILE:LINE: element '...': why. */
static enum core_rc radio_check(const char *path, xmlNodePtr node, enum core_rc rc,
                                const struct core_err *why, struct core_err *e)
{
    if (rc == CORE_OK)
        return CORE_OK;
    return core_err(e, rc, "%s:%ld: element '%s': %s", path, io_xml_node_line(node),
                    (const char *)node->name, why->msg);
}

/* One <ue-group> and its <position> children into out->radio_groups[i]. */
static enum core_rc ue_group_from_node(const char *path, xmlNodePtr node, struct io_scenario *out,
                                       size_t i, size_t *n_pos, struct core_err *e)
{
    static const char *const in_group[] = {"position", "workload", NULL};
    struct radio_ue_group_config *g = &out->radio_groups[i];
    size_t first = *n_pos, n = 0;
    struct core_err why;
    enum core_rc rc;

    rc = apply_element(path, node, &radio_ue_group_knobs, g, e);
    if (rc == CORE_OK)
        rc = only_children(path, node, in_group, e);
    for (xmlNodePtr c = node->children; rc == CORE_OK && c != NULL; c = c->next) {
        struct position p;

        if (!is_element(c, "position"))
            continue;
        if (g->placement != RADIO_PLACE_POSITIONS)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'position' is allowed only in a group with "
                            "placement=\"positions\"",
                            path, io_xml_node_line(c));
        if (*n_pos == IO_RADIO_MAX_POSITIONS)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: more than %d <position> elements in one <radio>", path,
                            io_xml_node_line(c), IO_RADIO_MAX_POSITIONS);
        rc = apply_element(path, c, &position_table, &p, e);
        out->radio_pos_x_m[*n_pos] = p.x_m;
        out->radio_pos_y_m[*n_pos] = p.y_m;
        (*n_pos)++;
        n++;
    }
    if (rc != CORE_OK)
        return rc;
    if (g->placement == RADIO_PLACE_POSITIONS) {
        if ((long)n != g->n_ues)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: element 'ue-group': placement 'positions' needs one "
                            "<position> per UE: count is %ld, found %zu",
                            path, io_xml_node_line(node), g->n_ues, n);
        g->pos_x_m = &out->radio_pos_x_m[first];
        g->pos_y_m = &out->radio_pos_y_m[first];
    }
    core_err_clear(&why);
    return radio_check(path, node, radio_ue_group_config_check(g, &why), &why, e);
}

/* The <radio> section into out->radio. */
static enum core_rc radio_from_node(const char *path, xmlNodePtr radio, struct io_scenario *out,
                                    struct core_err *e)
{
    static const char *const in_radio[] = {"carrier",  "deployment", "power-control",
                                           "handover", "ue-group",   NULL};
    struct radio_world_config *cfg = &out->radio;
    size_t n_pos = 0;
    struct core_err why;
    enum core_rc rc;

    core_err_clear(&why);
    rc = radio_world_config_defaults(cfg, e);
    if (rc == CORE_OK)
        rc = apply_element(path, radio, &radio_section_knobs, cfg, e);
    if (rc == CORE_OK)
        rc = only_children(path, radio, in_radio, e);
    for (xmlNodePtr n = radio->children; rc == CORE_OK && n != NULL; n = n->next) {
        if (is_element(n, "carrier")) {
            rc = apply_element(path, n, &radio_carrier_knobs, &cfg->carrier, e);
            if (rc == CORE_OK)
                rc = radio_check(path, n, radio_carrier_config_check(&cfg->carrier, &why), &why,
                                 e);
        } else if (is_element(n, "deployment")) {
            rc = apply_element(path, n, &radio_deployment_knobs, &cfg->deploy, e);
            if (rc == CORE_OK)
                rc = radio_check(path, n, radio_deployment_config_check(&cfg->deploy, &why),
                                 &why, e);
        } else if (is_element(n, "power-control")) {
            rc = apply_element(path, n, &radio_pc_knobs, &cfg->pc, e);
        } else if (is_element(n, "handover")) {
            rc = apply_element(path, n, &radio_handover_knobs, &cfg->ho, e);
        } else if (is_element(n, "ue-group")) {
            if (cfg->n_groups == IO_RADIO_MAX_GROUPS)
                return core_err(e, CORE_E_INPUT,
                                "%s:%ld: more than %d <ue-group> elements in one <radio>", path,
                                io_xml_node_line(n), IO_RADIO_MAX_GROUPS);
            rc = ue_group_from_node(path, n, out, cfg->n_groups, &n_pos, e);
            cfg->n_groups++;
        }
    }
    if (rc != CORE_OK)
        return rc;
    if (cfg->n_groups == 0)
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'radio' is missing a child element (expected "
                        "<ue-group>)",
                        path, io_xml_node_line(radio));
    cfg->groups = out->radio_groups;
    /* The carrier is checked again with the deployment's defaults in place when
     * <carrier> was left out. */
    rc = radio_check(path, radio, radio_carrier_config_check(&cfg->carrier, &why), &why, e);
    if (rc == CORE_OK)
        rc = radio_check(path, radio, radio_deployment_config_check(&cfg->deploy, &why), &why,
                         e);
    return rc;
}

static bool has_child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr n = parent->children; n != NULL; n = n->next)
        if (is_element(n, name))
            return true;
    return false;
}

static enum core_rc scenario_from_doc(const char *path, xmlDocPtr doc, struct io_scenario *out,
                                      struct core_err *e)
{
    static const char *const top[] = {"description", "simulation", "queue",     "radio",
                                      "resource",    "model",      "device",    "edge",
                                      "protocol",    "objective",  "inference", NULL};
    static const char *const in_queue[] = {"server", "ues", NULL};
    xmlNodePtr root = xmlDocGetRootElement(doc), sim, queue, server, ues, radio;
    enum core_rc rc;

    rc = scenario_name(path, root, out->name, e);
    if (rc == CORE_OK)
        rc = only_children(path, root, top, e);
    if (rc == CORE_OK)
        rc = child(path, root, "simulation", &sim, e);
    if (rc == CORE_OK)
        rc = apply_element(path, sim, &proto_sim_knobs, &out->sim, e);
    if (rc != CORE_OK)
        return rc;
    if (has_child(root, "radio") && !has_child(root, "queue")) {
        rc = child(path, root, "radio", &radio, e);
        if (rc == CORE_OK)
            rc = radio_from_node(path, radio, out, e);
        if (rc != CORE_OK)
            return rc;
        out->kind = IO_SCENARIO_RADIO;
        rc = io_collab_from_doc(path, root, out, e);
        if (rc != CORE_OK)
            return rc;
    } else {
        rc = child(path, root, "queue", &queue, e);
        if (rc == CORE_OK)
            rc = only_children(path, queue, in_queue, e);
        if (rc == CORE_OK)
            rc = child(path, queue, "server", &server, e);
        if (rc == CORE_OK)
            rc = child(path, queue, "ues", &ues, e);
        if (rc == CORE_OK)
            rc = apply_element(path, server, &proto_queue_server_knobs, &out->queue.server, e);
        if (rc == CORE_OK)
            rc = apply_element(path, ues, &proto_queue_ues_knobs, &out->queue.ues, e);
        if (rc != CORE_OK)
            return rc;
        out->kind = IO_SCENARIO_QUEUE;
    }

    if (out->sim.warmup_s >= out->sim.duration_s)
        return core_err(e, CORE_E_INPUT,
                        "%s:%ld: element 'simulation': 'warmup' (%g s) must be less than "
                        "'duration' (%g s)",
                        path, io_xml_node_line(sim), out->sim.warmup_s, out->sim.duration_s);
    return CORE_OK;
}

/* ---- the public face ------------------------------------------------------- */

enum core_rc io_scenario_load(const char *path, struct io_scenario *out, struct core_err *e)
{
    xmlDocPtr doc = NULL;
    enum core_rc rc;

    memset(out, 0, sizeof(*out));
    if (strlen(path) >= IO_PATH_MAX)
        return core_err(e, CORE_E_INPUT, "%.64s...:0: the path is longer than %d characters", path,
                        IO_PATH_MAX - 1);
    memcpy(out->path, path, strlen(path) + 1);
    rc = io_xml_load(path, &scenario_kind, &doc, out->sha256, e);
    if (rc != CORE_OK)
        return rc;
    rc = scenario_from_doc(path, doc, out, e);
    xmlFreeDoc(doc);
    return rc;
}

void io_scenario_copy(struct io_scenario *dst, const struct io_scenario *src)
{
    memcpy(dst, src, sizeof(*dst));
    if (src->radio.groups == NULL)
        return;
    dst->radio.groups = dst->radio_groups;
    for (size_t i = 0; i < src->radio.n_groups; i++) {
        if (src->radio_groups[i].pos_x_m == NULL)
            continue;
        dst->radio_groups[i].pos_x_m =
            dst->radio_pos_x_m + (src->radio_groups[i].pos_x_m - src->radio_pos_x_m);
        dst->radio_groups[i].pos_y_m =
            dst->radio_pos_y_m + (src->radio_groups[i].pos_y_m - src->radio_pos_y_m);
    }
}

enum core_rc io_validate_file(const char *path, struct core_err *e)
{
    struct io_scenario *s;
    enum core_rc rc;

    if (io_xml_root_is(path, "model"))
        return io_model_validate(path, e);
    s = core_malloc(sizeof(*s));
    if (s == NULL)
        return core_err(e, CORE_E_NOMEM, "%s:0: out of memory", path);
    rc = io_scenario_load(path, s, e);
    if (rc == CORE_OK && s->kind == IO_SCENARIO_COLLAB) {
        struct io_collab *c = NULL;
        rc = io_collab_build(s, &c, e);
        io_collab_destroy(c);
    }
    core_free(s);
    return rc;
}
