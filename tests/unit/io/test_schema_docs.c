/*
 * test_schema_docs.c — scenarios/schema.xsd against the knob tables, so the
 * two cannot drift apart: every knob of <simulation>, <server>, <ues> and of
 * the radio section (<radio>, <carrier>, <deployment>, <power-control>,
 * <handover>, <ue-group>, <position>) and of a collaborative scenario
 * (<resource>, <model>, <device>, <edge>, <use>, <protocol>, <objective>,
 * <inference>, <workload> and <ue-group device>) is an xs:attribute of
 * that element with the XSD type of its kind and dimension, documented
 * with its unit, default ("Default: empty." for an empty string, or
 * "Required.") and range;
 * every attribute the XSD declares on those elements is a knob of one of
 * its tables; and every
 * element and attribute in the schema has documentation. Run from the
 * repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xsdutil.h"

#include "io/io.h"
#include "io/io_int.h"

#define SCHEMA "scenarios/schema.xsd"

static const struct core_knob_table *const tables[] = {
    &proto_sim_knobs,        &proto_queue_server_knobs, &proto_queue_ues_knobs,
    &radio_section_knobs,    &radio_carrier_knobs,      &radio_deployment_knobs,
    &radio_pc_knobs,         &radio_handover_knobs,     &radio_ue_group_knobs,
    &compute_resource_knobs, &proto_model_knobs,        &proto_device_knobs,
    &proto_edge_knobs,       &proto_use_knobs,          &proto_protocol_knobs,
    &proto_objective_knobs,  &proto_inference_knobs,    &proto_workload_knobs,
};

/* Tables that add attributes to an element whose main table is another
 * (io_scenario_knobs gives the main one): <ue-group device> is proto's. */
static const struct core_knob_table *const extra_tables[] = {
    &proto_ue_group_knobs,
};

/* The XSD simple type of each dimension's quantities. */
static const char *const dim_types[] = {
    [CORE_DIM_NONE] = "xs:double",       [CORE_DIM_TIME] = "time",
    [CORE_DIM_FREQUENCY] = "frequency",  [CORE_DIM_LENGTH] = "length",
    [CORE_DIM_SPEED] = "speed",          [CORE_DIM_POWER] = "power",
    [CORE_DIM_POWER_DBM] = "powerLevel", [CORE_DIM_DB] = "decibels",
    [CORE_DIM_ENERGY] = "energy",        [CORE_DIM_BYTES] = "size",
    [CORE_DIM_BITRATE] = "bitRate",      [CORE_DIM_FLOPS] = "computeRate",
};
static_assert(ARRAY_LEN(dim_types) == CORE_DIM_COUNT, "one type per dimension");

static int setup(void **unused)
{
    return xsd_load(SCHEMA);
}

/* The complexType that describes element name. */
static xmlNodePtr element_type(const char *name)
{
    xmlNodePtr el = find_named(xsd_root(), "element", name);
    char type[256];

    if (el == NULL)
        return NULL;
    prop(el, "type", type, sizeof(type));
    if (type[0] == '\0') {
        for (xmlNodePtr c = el->children; c != NULL; c = c->next) {
            if (is_xs(c, "complexType"))
                return c;
        }
        return NULL;
    }
    return find_named(xsd_root()->children, "complexType", type);
}

/* The xs:attribute name directly under complex type t. */
static xmlNodePtr type_attribute(xmlNodePtr t, const char *name)
{
    char buf[256];

    for (xmlNodePtr a = t->children; a != NULL; a = a->next) {
        if (is_xs(a, "attribute") && strcmp(prop(a, "name", buf, sizeof(buf)), name) == 0)
            return a;
    }
    return NULL;
}

/* The XSD type a knob must have; for enums, check the enumeration itself. */
static bool type_matches(const struct core_knob *k, const char *type, char *why, size_t size)
{
    const char *want = NULL;

    switch (k->kind) {
    case CORE_KNOB_REAL:
        want = dim_types[k->dim];
        break;
    case CORE_KNOB_INT:
        want = k->min >= 1   ? "xs:positiveInteger"
               : k->min >= 0 ? "xs:nonNegativeInteger"
                             : "xs:integer";
        break;
    case CORE_KNOB_UINT64:
        want = "xs:unsignedLong";
        break;
    case CORE_KNOB_BOOL:
        want = "xs:boolean";
        break;
    case CORE_KNOB_STRING:
        want = "xs:string";
        break;
    case CORE_KNOB_ENUM: {
        xmlNodePtr st = find_named(xsd_root()->children, "simpleType", type);
        xmlNodePtr r = NULL;
        char value[256];
        size_t i = 0;
        if (st == NULL) {
            snprintf(why, size, "enum type '%s' is not a named simpleType", type);
            return false;
        }
        for (xmlNodePtr c = st->children; c != NULL; c = c->next) {
            if (is_xs(c, "restriction"))
                r = c;
        }
        for (xmlNodePtr c = r ? r->children : NULL; c != NULL; c = c->next) {
            if (!is_xs(c, "enumeration"))
                continue;
            prop(c, "value", value, sizeof(value));
            if (k->choices[i] == NULL || strcmp(k->choices[i], value) != 0) {
                snprintf(why, size, "enumeration value %zu of '%s' is '%s', knob has '%s'", i, type,
                         value, k->choices[i] ? k->choices[i] : "(end)");
                return false;
            }
            i++;
        }
        if (k->choices[i] != NULL) {
            snprintf(why, size, "'%s' lacks the choice '%s'", type, k->choices[i]);
            return false;
        }
        return true;
    }
    case CORE_KNOB_KIND_COUNT:
        break;
    }
    if (want == NULL || strcmp(type, want) != 0) {
        snprintf(why, size, "XSD type '%s', expected '%s'", type, want ? want : "?");
        return false;
    }
    return true;
}

/* Check one knob against its xs:attribute; print and count what is wrong. */
static int check_knob(const struct core_knob_table *t, const struct core_knob *k)
{
    xmlNodePtr ct = element_type(t->element), a;
    char doc_text[2048], want[256], buf[256], lo[64], hi[64], why[1024];
    const char *unit = k->kind == CORE_KNOB_REAL ? core_dim_si_unit(k->dim) : "";
    int bad = 0;

    if (ct == NULL || (a = type_attribute(ct, k->name)) == NULL) {
        print_error("<%s %s>: no xs:attribute in " SCHEMA "\n", t->element, k->name);
        return 1;
    }
    documentation(a, doc_text, sizeof(doc_text));
    if (doc_text[0] == '\0') {
        print_error("<%s %s>: no documentation\n", t->element, k->name);
        bad++;
    }
    if (k->def != NULL && k->def[0] == '\0')
        snprintf(want, sizeof(want), "Default: empty.");
    else if (k->def != NULL)
        snprintf(want, sizeof(want), "Default: %s.", k->def);
    else
        snprintf(want, sizeof(want), "Required.");
    if (strstr(doc_text, want) == NULL) {
        print_error("<%s %s>: documentation lacks \"%s\": %s\n", t->element, k->name, want,
                    doc_text);
        bad++;
    }
    if (strcmp(prop(a, "use", buf, sizeof(buf)), k->def ? "" : "required") != 0) {
        print_error("<%s %s>: use=\"%s\" but the knob is %s\n", t->element, k->name, buf,
                    k->def ? "optional" : "required");
        bad++;
    }
    if (unit[0] != '\0') {
        snprintf(want, sizeof(want), "Unit: %s (", unit);
        if (strstr(doc_text, want) == NULL) {
            print_error("<%s %s>: documentation lacks \"%s\": %s\n", t->element, k->name, want,
                        doc_text);
            bad++;
        }
    }
    if (k->kind == CORE_KNOB_REAL || k->kind == CORE_KNOB_INT) {
        if (k->kind == CORE_KNOB_REAL) {
            core_format_shortest(k->min, lo, sizeof(lo));
            core_format_shortest(k->max, hi, sizeof(hi));
        } else {
            snprintf(lo, sizeof(lo), "%.0f", k->min);
            snprintf(hi, sizeof(hi), "%.0f", k->max);
        }
        snprintf(want, sizeof(want), "Range: %s%s%s to %s%s%s", lo, unit[0] ? " " : "", unit, hi,
                 unit[0] ? " " : "", unit);
        if (strstr(doc_text, want) == NULL) {
            print_error("<%s %s>: documentation lacks \"%s\": %s\n", t->element, k->name, want,
                        doc_text);
            bad++;
        }
    }
    if (!type_matches(k, prop(a, "type", buf, sizeof(buf)), why, sizeof(why))) {
        print_error("<%s %s>: %s\n", t->element, k->name, why);
        bad++;
    }
    return bad;
}

/* The tables above plus the loader's own (<position>), as the loader sees them. */
static const struct core_knob_table *table_at(size_t i)
{
    return i < ARRAY_LEN(tables) ? tables[i] : io_scenario_knobs("position");
}
#define N_TABLES (ARRAY_LEN(tables) + 1)

/* Whether the attribute name of element is a knob of its main or an extra table. */
static bool is_knob(const struct core_knob_table *t, const char *name)
{
    if (core_knob_find(t, name) != NULL)
        return true;
    for (size_t i = 0; i < ARRAY_LEN(extra_tables); i++) {
        if (strcmp(extra_tables[i]->element, t->element) == 0 &&
            core_knob_find(extra_tables[i], name) != NULL)
            return true;
    }
    return false;
}

static void test_schema_documents_every_knob_with_unit_default_and_range(void **unused)
{
    int bad = 0;

    for (size_t i = 0; i < N_TABLES; i++) {
        const struct core_knob_table *t = table_at(i);

        assert_non_null(t);
        assert_ptr_equal(io_scenario_knobs(t->element), t);
        for (size_t j = 0; j < t->n_knobs; j++)
            bad += check_knob(t, &t->knobs[j]);
    }
    for (size_t i = 0; i < ARRAY_LEN(extra_tables); i++) {
        const struct core_knob_table *t = extra_tables[i];

        assert_non_null(io_scenario_knobs(t->element));
        for (size_t j = 0; j < t->n_knobs; j++)
            bad += check_knob(t, &t->knobs[j]);
    }
    assert_int_equal(bad, 0);
}

static void test_schema_declares_no_attribute_without_a_knob(void **unused)
{
    char name[256];
    int bad = 0;

    for (size_t i = 0; i < N_TABLES; i++) {
        const struct core_knob_table *t = table_at(i);
        xmlNodePtr ct = element_type(t->element);
        if (ct == NULL) {
            print_error("element '%s' has no complexType in " SCHEMA "\n", t->element);
            bad++;
            continue;
        }
        for (xmlNodePtr a = ct->children; a != NULL; a = a->next) {
            if (!is_xs(a, "attribute"))
                continue;
            prop(a, "name", name, sizeof(name));
            if (!is_knob(t, name)) {
                print_error("<%s %s> is in " SCHEMA " but not in the knob table\n",
                            t->element, name);
                bad++;
            }
        }
    }
    assert_int_equal(bad, 0);
}

/* Every xs:element, xs:attribute and xs:complexType needs documentation,
 * but a complex type written inside its element (the element's serves). */
static bool needs_doc(const xmlNode *n)
{
    return is_xs(n, "element") || is_xs(n, "attribute") ||
           (is_xs(n, "complexType") && !(n->parent != NULL && is_xs(n->parent, "element")));
}

static void test_schema_documents_every_element_and_attribute(void **unused)
{
    assert_int_equal(xsd_count_undocumented(xsd_root()->children, needs_doc), 0);
}

static void test_schema_every_quantity_type_is_declared(void **unused)
{
    for (int d = 1; d < CORE_DIM_COUNT; d++) {
        if (find_named(xsd_root()->children, "simpleType", dim_types[d]) == NULL) {
            print_error("no simpleType '%s' for %s\n", dim_types[d],
                        core_dim_name((enum core_dim)d));
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_documents_every_knob_with_unit_default_and_range),
        cmocka_unit_test(test_schema_declares_no_attribute_without_a_knob),
        cmocka_unit_test(test_schema_documents_every_element_and_attribute),
        cmocka_unit_test(test_schema_every_quantity_type_is_declared),
    };
    return cmocka_run_group_tests(tests, setup, xsd_teardown);
}
