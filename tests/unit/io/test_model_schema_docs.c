/*
 * test_model_schema_docs.c — models/schema.xsd documents itself and agrees
 * with sim/nn: every element, attribute and named type has documentation;
 * every attribute says "Required." exactly when it is use="required" and
 * "Default: ..." otherwise; the layer types are nn_op_name's, in enum order.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "xsdutil.h"

#include "nn/nn.h"

#define SCHEMA "models/schema.xsd"

static int setup(void **unused)
{
    return xsd_load(SCHEMA);
}

/* Every xs:element, xs:attribute, named xs:simpleType and xs:complexType
 * outside an element needs documentation. */
static bool needs_doc(const xmlNode *n)
{
    char name[256];

    return is_xs(n, "element") || is_xs(n, "attribute") ||
           (is_xs(n, "simpleType") && prop(n, "name", name, sizeof(name))[0]) ||
           (is_xs(n, "complexType") && !is_xs(n->parent, "element"));
}

static void test_model_schema_documents_every_element_attribute_and_type(void **unused)
{
    assert_int_equal(xsd_count_undocumented(xsd_root()->children, needs_doc), 0);
}

/* "Required." for use="required", "Default: " otherwise, for every attribute
 * under n; count the violations. */
static int wrong_defaults(xmlNodePtr n, int *n_attrs)
{
    char text[2048], name[256], use[64];
    int bad = 0;

    for (; n != NULL; n = n->next) {
        if (is_xs(n, "attribute")) {
            bool required = strcmp(prop(n, "use", use, sizeof(use)), "required") == 0;
            const char *want = required ? "Required." : "Default: ";
            documentation(n, text, sizeof(text));
            (*n_attrs)++;
            if (strstr(text, want) == NULL) {
                print_error("attribute '%s' (line %ld) is %s but its documentation lacks "
                            "\"%s\": %s\n",
                            prop(n, "name", name, sizeof(name)), xmlGetLineNo(n),
                            required ? "required" : "optional", want, text);
                bad++;
            }
        }
        if (n->type == XML_ELEMENT_NODE)
            bad += wrong_defaults(n->children, n_attrs);
    }
    return bad;
}

static void test_model_schema_states_required_or_default_for_every_attribute(void **unused)
{
    int n_attrs = 0;

    assert_int_equal(wrong_defaults(xsd_root()->children, &n_attrs), 0);
    assert_int_equal(n_attrs, 23); /* 4 of <input>, 14 of a layer, 3 of <exit>, 2 of <model> */
}

/* The enumeration values of the named simple type, into values[]. */
static size_t enumeration(const char *type, char values[][64], size_t max)
{
    char buf[256];
    size_t n = 0;

    for (xmlNodePtr t = xsd_root()->children; t != NULL; t = t->next) {
        if (!is_xs(t, "simpleType") || strcmp(prop(t, "name", buf, sizeof(buf)), type) != 0)
            continue;
        for (xmlNodePtr r = t->children; r != NULL; r = r->next) {
            if (!is_xs(r, "restriction"))
                continue;
            for (xmlNodePtr v = r->children; v != NULL && n < max; v = v->next) {
                if (is_xs(v, "enumeration"))
                    prop(v, "value", values[n++], 64);
            }
        }
    }
    return n;
}

static void test_model_schema_layer_types_are_the_nn_ops_in_enum_order(void **unused)
{
    char values[NN_OP_COUNT + 4][64];
    size_t n = enumeration("layerType", values, ARRAY_LEN(values));

    assert_int_equal(n, NN_OP_COUNT);
    for (int op = 0; op < NN_OP_COUNT; op++)
        assert_string_equal(values[op], nn_op_name((enum nn_op)op));
}

static void test_model_schema_activations_are_nn_act_names_in_enum_order(void **unused)
{
    char values[NN_ACT_COUNT + 4][64];
    size_t n = enumeration("activation", values, ARRAY_LEN(values));

    assert_int_equal(n, NN_ACT_COUNT);
    assert_string_equal(values[NN_ACT_NONE], "none");
    for (int a = 0; a < NN_ACT_COUNT; a++)
        assert_string_equal(values[a], nn_act_name((enum nn_act)a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_schema_documents_every_element_attribute_and_type),
        cmocka_unit_test(test_model_schema_states_required_or_default_for_every_attribute),
        cmocka_unit_test(test_model_schema_layer_types_are_the_nn_ops_in_enum_order),
        cmocka_unit_test(test_model_schema_activations_are_nn_act_names_in_enum_order),
    };
    return cmocka_run_group_tests(tests, setup, xsd_teardown);
}
