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

/* Every knob table of the scenario grammar (io_scenario_grammar: the one
 * list of what a scenario's elements read), each once (the two <use>
 * elements share theirs), into tables[]; returns the count. */
#define MAX_TABLES (2 * IO_EL_COUNT)
static const struct core_knob_table *tables[MAX_TABLES];

static size_t grammar_tables(void)
{
    size_t n = 0;

    for (size_t i = 0; i < IO_EL_COUNT; i++)
        for (size_t t = 0; t < io_scenario_grammar[i].n_tables; t++) {
            const struct core_knob_table *kt = io_scenario_grammar[i].table[t];
            bool seen = false;

            for (size_t j = 0; j < n; j++)
                seen = seen || tables[j] == kt;
            if (!seen)
                tables[n++] = kt;
        }
    return n;
}

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

/* Whether attribute name of element is a knob of one of its tables. */
static bool is_knob(const struct core_knob_table *t, const char *name)
{
    return io_scenario_knob(t->element, name) != NULL;
}

static void test_schema_documents_every_knob_with_unit_default_and_range(void **unused)
{
    size_t n = grammar_tables();
    int bad = 0;

    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        const struct core_knob_table *t = tables[i];

        for (size_t j = 0; j < t->n_knobs; j++)
            bad += check_knob(t, &t->knobs[j]);
    }
    assert_int_equal(bad, 0);
}

static void test_schema_declares_no_attribute_without_a_knob(void **unused)
{
    char name[256];
    int bad = 0;

    size_t n = grammar_tables();

    for (size_t i = 0; i < n; i++) {
        const struct core_knob_table *t = tables[i];
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
