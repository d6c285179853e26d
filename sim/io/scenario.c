/*
 * scenario.c — scenario files in: read, parse, validate, and read into a
 * configuration tree (config.c) through the scenario's grammar.
 *
 * A scenario is read whole (for its SHA-256), parsed by libxml2 without
 * network access or external entities and validated against
 * scenarios/schema.xsd (xml_load.c); only then is it read into the tree:
 * each element becomes a node of its grammar entry below, its attributes set
 * through that entry's knob tables (units to SI, ranges checked), defaults
 * first. Every libxml2 message is rewritten (xml_errors.c) and every error
 * is "FILE:LINE: message" with CORE_E_INPUT.
 *
 * The grammar — which elements exist, under which parent, which module's
 * knob tables read their attributes — is the table `grammar` below, in the
 * schema's order of elements (so that a canonical text lists them as a file
 * would):
 *
 *   <scenario name="...">                           root; name default: the file's base name
 *     <description>...</description>                free text, not configuration
 *     <simulation duration seed warmup/>
 *     <queue> <server .../> <ues .../> </queue>     the validation queue, or
 *     <radio sample-period>                         a radio world:
 *       <carrier/> <deployment/> <power-control/> <handover/> <access/>
 *       <ue-power/>                                 at most once each
 *       <ue-group ... device="...">                 one or more
 *         <link mode ul-rate dl-rate latency/>      at most once
 *         <position x y/>                           placement="positions": one per UE
 *         <workload model rate deadline/>           collaborative scenarios
 *       </ue-group>
 *     </radio>
 *     <resource/>* <model/>* <device> <use/>+ </device>* <edge> <use/>+ </edge>
 *     <protocol/> <objective/> <inference/>        with any of these: collaborative
 *   </scenario>
 *
 * A singleton an element may leave out (carrier, deployment, power-control,
 * handover, access, ue-power; a group's link; protocol, objective, inference
 * of a collaborative scenario) becomes a node of defaults at the line of its parent, so that every knob
 * has a node, a path and a canonical value. The checks that need several
 * values, other elements or the models are check.c's (io_scenario_check),
 * run after any --set.
 */
#include "io/io_int.h"
#include "policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <limits.h>

#include <libxml/tree.h>

/* ---- the scenario's own knobs ---------------------------------------------- */

static const struct core_knob scenario_knob_list[] = {
    {"name", CORE_KNOB_STRING, CORE_DIM_NONE, "", 0, 0, NULL, offsetof(struct io_scenario_attrs,
                                                                       name),
     "Name of the scenario, of its runs and of its default database (results/NAME.db): 1 "
     "to 127 characters, no '/', '\\', '..', leading '.' or control characters; empty: the "
     "file's base name without .xml."},
};
const struct core_knob_table io_scenario_knobs = {"scenario", scenario_knob_list,
                                                  ARRAY_LEN(scenario_knob_list)};

/* <position>: one UE's starting point (placement="positions"). */
static const struct core_knob position_knob_list[] = {
    {"x", CORE_KNOB_REAL, CORE_DIM_LENGTH, NULL, -1e6, 1e6, NULL,
     offsetof(struct io_position, x_m), "x of the UE's starting point."},
    {"y", CORE_KNOB_REAL, CORE_DIM_LENGTH, NULL, -1e6, 1e6, NULL,
     offsetof(struct io_position, y_m), "y of the UE's starting point."},
};
const struct core_knob_table io_position_knobs = {"position", position_knob_list,
                                                  ARRAY_LEN(position_knob_list)};

static void radio_init(void *blob)
{
    struct core_err e;

    CORE_ASSERT(radio_world_config_defaults(blob, &e) == CORE_OK);
}

/* A model file's path, canonically: absolute (the scenario's directory
 * resolved, links followed), so that the canonical text reads back from
 * anywhere on this machine. */
static void model_canonical(const struct io_config *c, io_node n, const char *knob, char *value,
                            size_t size)
{
    char joined[IO_PATH_MAX], real[PATH_MAX];

    (void)n;
    if ((strcmp(knob, "file") != 0 && strcmp(knob, "accuracy") != 0) || value[0] == '\0')
        return;
    io_resolve_beside(io_config_path(c), value, joined, sizeof(joined));
    if (realpath(joined, real) && strlen(real) < size)
        snprintf(value, size, "%s", real);
}

/* A resource's stored profile, canonically: its FILE absolute as a model
 * file's path (model_canonical), "#KEY" as written; a value that is not
 * FILE#KEY (an error the check reports) as written. */
static void resource_canonical(const struct io_config *c, io_node n, const char *knob,
                               char *value, size_t size)
{
    char file[CORE_KNOB_STRING_MAX], key[CORE_KNOB_STRING_MAX];
    char joined[IO_PATH_MAX], real[PATH_MAX];

    (void)n;
    if (strcmp(knob, "profile") != 0 || !compute_resource_profile_split(value, file, key))
        return;
    io_resolve_beside(io_config_path(c), file, joined, sizeof(joined));
    if (realpath(joined, real) && strlen(real) + 1 + strlen(key) < size)
        snprintf(value, size, "%s#%s", real, key);
}

#define TABLE1(t, s) 1, {&(t), NULL}, {sizeof(s), 0}

/* The grammar, in the schema's order. */
const struct io_element io_scenario_grammar[IO_EL_COUNT] = {
    [IO_EL_SCENARIO] = {"scenario", IO_EL_SCENARIO, TABLE1(io_scenario_knobs,
                                                           struct io_scenario_attrs),
                        NULL, NULL, NULL, NULL},
    [IO_EL_SIMULATION] = {"simulation", IO_EL_SCENARIO,
                          TABLE1(proto_sim_knobs, struct proto_sim_config), NULL, NULL, NULL,
                          NULL},
    [IO_EL_QUEUE] = {"queue", IO_EL_SCENARIO, 0, {NULL, NULL}, {0, 0}, NULL, NULL, NULL, NULL},
    [IO_EL_SERVER] = {"server", IO_EL_QUEUE,
                      TABLE1(proto_queue_server_knobs, struct proto_queue_server_config), NULL,
                      NULL, NULL, NULL},
    [IO_EL_UES] = {"ues", IO_EL_QUEUE, TABLE1(proto_queue_ues_knobs, struct proto_queue_ues_config),
                   NULL, NULL, NULL, NULL},
    [IO_EL_RADIO] = {"radio", IO_EL_SCENARIO,
                     TABLE1(radio_section_knobs, struct radio_world_config), radio_init, NULL,
                     NULL, NULL},
    [IO_EL_CARRIER] = {"carrier", IO_EL_RADIO,
                       TABLE1(radio_carrier_knobs, struct radio_carrier_config), NULL, NULL, NULL,
                       NULL},
    [IO_EL_DEPLOYMENT] = {"deployment", IO_EL_RADIO,
                          TABLE1(radio_deployment_knobs, struct radio_deployment_config), NULL,
                          NULL, NULL, NULL},
    [IO_EL_POWER_CONTROL] = {"power-control", IO_EL_RADIO,
                             TABLE1(radio_pc_knobs, struct radio_pc_config), NULL, NULL, NULL,
                             NULL},
    [IO_EL_HANDOVER] = {"handover", IO_EL_RADIO,
                        TABLE1(radio_handover_knobs, struct radio_handover_config), NULL, NULL,
                        NULL, NULL},
    [IO_EL_ACCESS] = {"access", IO_EL_RADIO,
                      TABLE1(radio_access_knobs, struct radio_access_config), NULL, NULL, NULL,
                      NULL},
    [IO_EL_UE_POWER] = {"ue-power", IO_EL_RADIO,
                        TABLE1(radio_ue_power_knobs, struct radio_power_model), NULL, NULL, NULL,
                        NULL},
    [IO_EL_UE_GROUP] = {"ue-group", IO_EL_RADIO, 2,
                        {&radio_ue_group_knobs, &proto_ue_group_knobs},
                        {sizeof(struct radio_ue_group_config), sizeof(struct proto_ue_group_config)},
                        NULL, NULL, NULL, NULL},
    [IO_EL_LINK] = {"link", IO_EL_UE_GROUP, TABLE1(radio_link_knobs, struct radio_link_config),
                    NULL, NULL, NULL, NULL},
    [IO_EL_POSITION] = {"position", IO_EL_UE_GROUP, TABLE1(io_position_knobs, struct io_position),
                        NULL, NULL, NULL, NULL},
    [IO_EL_WORKLOAD] = {"workload", IO_EL_UE_GROUP,
                        TABLE1(proto_workload_knobs, struct proto_workload_config), NULL, "model",
                        NULL, NULL},
    [IO_EL_RESOURCE] = {"resource", IO_EL_SCENARIO,
                        TABLE1(compute_resource_knobs, struct compute_resource_config), NULL,
                        "name", NULL, resource_canonical},
    [IO_EL_MODEL] = {"model", IO_EL_SCENARIO, TABLE1(proto_model_knobs, struct proto_model_config),
                     NULL, "name", NULL, model_canonical},
    [IO_EL_DEVICE] = {"device", IO_EL_SCENARIO,
                      TABLE1(proto_device_knobs, struct proto_device_config), NULL, "name", NULL,
                      NULL},
    [IO_EL_DEVICE_USE] = {"use", IO_EL_DEVICE, TABLE1(proto_use_knobs, struct proto_use_config),
                          NULL, "name", "resource", NULL},
    [IO_EL_EDGE] = {"edge", IO_EL_SCENARIO, TABLE1(proto_edge_knobs, struct proto_edge_config),
                    NULL, NULL, NULL, NULL},
    [IO_EL_EDGE_USE] = {"use", IO_EL_EDGE, TABLE1(proto_use_knobs, struct proto_use_config), NULL,
                        "name", "resource", NULL},
    [IO_EL_PROTOCOL] = {"protocol", IO_EL_SCENARIO,
                        TABLE1(proto_protocol_knobs, struct proto_protocol_config), NULL, NULL,
                        NULL, NULL},
    [IO_EL_OBJECTIVE] = {"objective", IO_EL_SCENARIO,
                         TABLE1(proto_objective_knobs, struct proto_objective_config), NULL, NULL,
                         NULL, NULL},
    [IO_EL_REWARD] = {"reward", IO_EL_SCENARIO,
                      TABLE1(proto_reward_knobs, struct proto_reward_config), NULL, NULL, NULL,
                      NULL},
    [IO_EL_EXPLORATION] = {"exploration", IO_EL_SCENARIO,
                           TABLE1(policy_explore_knobs, struct policy_explore_config), NULL, NULL,
                           NULL, NULL},
    [IO_EL_INFERENCE] = {"inference", IO_EL_SCENARIO,
                         TABLE1(proto_inference_knobs, struct proto_inference_config), NULL, NULL,
                         NULL, NULL},
};
static_assert(ARRAY_LEN(io_scenario_grammar) == IO_EL_COUNT, "one grammar entry per element");

const struct core_knob *io_scenario_knob(const char *element, const char *attr)
{
    for (size_t i = 0; i < IO_EL_COUNT; i++) {
        const struct io_element *el = &io_scenario_grammar[i];

        if (strcmp(el->name, element) != 0)
            continue;
        for (size_t t = 0; t < el->n_tables; t++) {
            const struct core_knob *k = core_knob_find(el->table[t], attr);

            if (k)
                return k;
        }
    }
    return NULL;
}

void io_scenario_attributes(const char *element, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < IO_EL_COUNT && used < size; i++) {
        const struct io_element *el = &io_scenario_grammar[i];

        if (strcmp(el->name, element) != 0)
            continue;
        for (size_t t = 0; t < el->n_tables; t++)
            for (size_t k = 0; k < el->table[t]->n_knobs && used < size; k++) {
                snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
                         el->table[t]->knobs[k].name);
                used += strlen(buf + used);
            }
        break; /* both <use> entries have the same attributes */
    }
}

/* ---- reading the file into the tree ------------------------------------------ */

static const struct io_xml_kind scenario_kind = {"scenario", "scenarios", "COINFER_SCHEMA_DIR",
                                                 NULL,
                                                "scenario file", CORE_FILE_MAX_SCENARIO,
                                                IO_SCENARIO_MAX_ELEMENTS};

/* The grammar entry of element name under parent kind p, or IO_EL_COUNT. */
static enum io_element_id entry_of(enum io_element_id p, const char *name)
{
    for (size_t i = 1; i < IO_EL_COUNT; i++)
        if (io_scenario_grammar[i].parent == p && strcmp(io_scenario_grammar[i].name, name) == 0)
            return (enum io_element_id)i;
    return IO_EL_COUNT;
}

/* node's attributes into the tree; every one a knob of the entry. */
static enum core_rc read_attributes(struct io_config *c, io_node node, xmlNodePtr x,
                                    struct core_err *e)
{
    char why[768];
    long line = io_xml_node_line(x);

    for (xmlAttrPtr a = x->properties; a != NULL; a = a->next) {
        xmlChar *value = xmlNodeListGetString(x->doc, a->children, 1);
        enum core_rc rc;

        if (value == NULL)
            value = xmlStrdup((const xmlChar *)"");
        if (value == NULL)
            return core_err(e, CORE_E_NOMEM, "%s:%ld: out of memory", io_config_path(c), line);
        if (!io_config_knob(c, node, (const char *)a->name, NULL)) {
            xmlFree(value);
            return core_err(e, CORE_E_INPUT, "%s:%ld: element '%s': unknown attribute '%s'",
                            io_config_path(c), line, (const char *)x->name,
                            (const char *)a->name);
        }
        rc = io_config_apply(c, node, (const char *)a->name, (const char *)value, why,
                             sizeof(why));
        xmlFree(value);
        if (rc != CORE_OK)
            return core_err(e, CORE_E_INPUT, "%s:%ld: element '%s': attribute '%s': %s",
                            io_config_path(c), line, (const char *)x->name, (const char *)a->name,
                            why);
    }
    return CORE_OK;
}

static enum core_rc read_element(struct io_config *c, io_node parent, enum io_element_id id,
                                 xmlNodePtr x, struct core_err *e);

static enum core_rc read_children(struct io_config *c, io_node node, enum io_element_id id,
                                  xmlNodePtr x, struct core_err *e)
{
    for (xmlNodePtr k = x->children; k != NULL; k = k->next) {
        enum io_element_id kid;
        enum core_rc rc;

        if (k->type != XML_ELEMENT_NODE)
            continue;
        if (id == IO_EL_SCENARIO && strcmp((const char *)k->name, "description") == 0)
            continue;
        kid = entry_of(id, (const char *)k->name);
        if (kid == IO_EL_COUNT)
            return core_err(e, CORE_E_INPUT, "%s:%ld: element '%s' is not expected here",
                            io_config_path(c), io_xml_node_line(k), (const char *)k->name);
        rc = read_element(c, node, kid, k, e);
        if (rc != CORE_OK)
            return rc;
    }
    return CORE_OK;
}

static enum core_rc read_element(struct io_config *c, io_node parent, enum io_element_id id,
                                 xmlNodePtr x, struct core_err *e)
{
    io_node node;
    enum core_rc rc = io_config_add(c, parent, (uint16_t)id, io_xml_node_line(x), &node, e);

    if (rc == CORE_OK)
        rc = read_attributes(c, node, x, e);
    if (rc == CORE_OK)
        rc = read_children(c, node, id, x, e);
    return rc;
}

/* Add a node of defaults for each singleton of kinds[] that parent lacks. */
static enum core_rc add_defaults(struct io_config *c, io_node parent, const enum io_element_id *ids,
                                 size_t n, struct core_err *e)
{
    for (size_t i = 0; i < n; i++) {
        io_node node;

        if (io_config_count(c, parent, (uint16_t)ids[i]) > 0)
            continue;
        if (io_config_add(c, parent, (uint16_t)ids[i], io_config_line(c, parent), &node, e) !=
            CORE_OK)
            return e->rc;
    }
    return CORE_OK;
}

/* The scenario's name when the file gives none: its base name without
 * ".xml". */
static void default_name(struct io_config *c)
{
    struct io_scenario_attrs *a = (struct io_scenario_attrs *)io_config_data(c, IO_NODE_ROOT, 0);
    const char *path = io_config_path(c), *base = strrchr(path, '/');
    size_t n;

    if (a->name[0] != '\0')
        return;
    base = base ? base + 1 : path;
    n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".xml") == 0)
        n -= 4;
    if (n >= sizeof(a->name))
        n = sizeof(a->name) - 1;
    memcpy(a->name, base, n);
    a->name[n] = '\0';
}

static enum core_rc read_doc(struct io_config *c, xmlDocPtr doc, struct core_err *e)
{
    static const enum io_element_id radio_singletons[] = {
        IO_EL_CARRIER, IO_EL_DEPLOYMENT, IO_EL_POWER_CONTROL, IO_EL_HANDOVER, IO_EL_ACCESS,
        IO_EL_UE_POWER};
    static const enum io_element_id collab_singletons[] = {
        IO_EL_PROTOCOL, IO_EL_OBJECTIVE, IO_EL_REWARD, IO_EL_EXPLORATION, IO_EL_INFERENCE};
    static const enum io_element_id collab_elements[] = {
        IO_EL_RESOURCE, IO_EL_MODEL, IO_EL_DEVICE, IO_EL_EDGE,
        IO_EL_PROTOCOL, IO_EL_OBJECTIVE, IO_EL_REWARD, IO_EL_EXPLORATION, IO_EL_INFERENCE};
    xmlNodePtr root = xmlDocGetRootElement(doc);
    io_node node, radio;
    enum core_rc rc;

    rc = io_config_add(c, IO_NODE_NONE, IO_EL_SCENARIO, io_xml_node_line(root), &node, e);
    if (rc == CORE_OK)
        rc = read_attributes(c, IO_NODE_ROOT, root, e);
    if (rc == CORE_OK)
        rc = read_children(c, IO_NODE_ROOT, IO_EL_SCENARIO, root, e);
    if (rc != CORE_OK)
        return rc;
    default_name(c);
    radio = io_config_child(c, IO_NODE_ROOT, IO_EL_RADIO, 0);
    if (radio == IO_NODE_NONE) {
        io_config_set_kind(c, IO_SCENARIO_QUEUE);
        return CORE_OK;
    }
    rc = add_defaults(c, radio, radio_singletons, ARRAY_LEN(radio_singletons), e);
    for (size_t g = 0; rc == CORE_OK && g < io_config_count(c, radio, IO_EL_UE_GROUP); g++) {
        static const enum io_element_id group_singletons[] = {IO_EL_LINK};

        rc = add_defaults(c, io_config_child(c, radio, IO_EL_UE_GROUP, g), group_singletons,
                          ARRAY_LEN(group_singletons), e);
    }
    if (rc != CORE_OK)
        return rc;
    io_config_set_kind(c, IO_SCENARIO_RADIO);
    for (size_t i = 0; i < ARRAY_LEN(collab_elements); i++)
        if (io_config_count(c, IO_NODE_ROOT, (uint16_t)collab_elements[i]) > 0) {
            io_config_set_kind(c, IO_SCENARIO_COLLAB);
            return add_defaults(c, IO_NODE_ROOT, collab_singletons, ARRAY_LEN(collab_singletons),
                                e);
        }
    return CORE_OK;
}

enum core_rc io_scenario_load(const char *path, const char *const *sets, size_t n_sets,
                              struct io_config **out, struct core_err *e)
{
    struct io_config *c;
    xmlDocPtr doc = NULL;
    char sha256[65];
    enum core_rc rc;

    *out = NULL;
    if (strlen(path) >= IO_PATH_MAX)
        return core_err(e, CORE_E_INPUT, "%.64s...:0: the path is longer than %d characters", path,
                        IO_PATH_MAX - 1);
    rc = io_xml_load(path, &scenario_kind, &doc, sha256, e);
    if (rc != CORE_OK)
        return rc;
    c = io_config_create(io_scenario_grammar, IO_EL_COUNT, path);
    if (!c) {
        xmlFreeDoc(doc);
        return core_err(e, CORE_E_NOMEM, "%s:0: out of memory", path);
    }
    io_config_set_file_sha256(c, sha256);
    rc = read_doc(c, doc, e);
    xmlFreeDoc(doc);
    for (size_t i = 0; rc == CORE_OK && i < n_sets; i++)
        rc = io_config_set(c, sets[i], e);
    if (rc == CORE_OK)
        rc = io_scenario_check(c, e);
    if (rc != CORE_OK) {
        io_config_destroy(c);
        return rc;
    }
    *out = c;
    return CORE_OK;
}

const char *io_config_name(const struct io_config *c)
{
    return ((const struct io_scenario_attrs *)io_config_data(c, IO_NODE_ROOT, 0))->name;
}

void io_resolve_beside(const char *base_file, const char *path, char *out, size_t size)
{
    const char *slash = strrchr(base_file, '/');

    if (path[0] == '/' || slash == NULL)
        snprintf(out, size, "%s", path);
    else
        snprintf(out, size, "%.*s/%s", (int)(slash - base_file), base_file, path);
}

bool io_file_is_model(const char *path)
{
    return io_xml_root_is(path, "model");
}
