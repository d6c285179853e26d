/*
 * test_xml_errors.c — libxml2's messages rewritten as plain ones: one case per
 * form the translator knows (values of built-in and quantity types, pattern
 * and enumeration facets, unknown and missing attributes, unexpected and
 * missing elements, text where none may be, parser errors) and the fallback
 * for a form it does not know. The inputs are libxml2 2.9's own wording.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "io/io.h"
#include "io/io_int.h"

struct translation {
    const char *libxml2;
    bool from_parser;
    const char *plain;
};

static const struct translation cases[] = {
    {"Element 'ues', attribute 'count': '0' is not a valid value of the atomic type "
     "'xs:positiveInteger'.\n",
     false, "element 'ues': attribute 'count': '0' is not a positive integer"},
    {"Element 'simulation', attribute 'seed': '-1' is not a valid value of the atomic type "
     "'xs:unsignedLong'.\n",
     false,
     "element 'simulation': attribute 'seed': '-1' is not a whole number from 0 to "
     "18446744073709551615"},
    {"Element 'simulation', attribute 'duration': 'abc' is not a valid value of the atomic "
     "type 'time'.\n",
     false,
     "element 'simulation': attribute 'duration': 'abc' is not a time (a number with unit s, "
     "ms, us, ns, min or h; a bare number is in seconds)"},
    {"Element 'ues', attribute 'rate': [facet 'pattern'] The value 'fast' is not accepted by "
     "the pattern '[+\\-]?[0-9]+'.\n",
     false,
     "element 'ues': attribute 'rate': 'fast' is not a frequency (a number with unit Hz, kHz, "
     "MHz, GHz or /s; a bare number is in hertz)"},
    {"Element 'foo', attribute 'bar': [facet 'pattern'] The value 'x' is not accepted by the "
     "pattern 'y'.\n",
     false, "element 'foo': attribute 'bar': 'x' is not of the expected form"},
    {"Element 'foo', attribute 'bar': 'x' is not a valid value of the atomic type 'weird'.\n",
     false, "element 'foo': attribute 'bar': 'x' is not a valid value of type 'weird'"},
    {"Element 'server', attribute 'service': [facet 'enumeration'] The value 'erlang' is not "
     "an element of the set {'exponential', 'deterministic'}.\n",
     false,
     "element 'server': attribute 'service': 'erlang' is not one of: exponential, "
     "deterministic"},
    {"Element 'scenario', attribute 'name': [facet 'maxLength'] The value has a length of "
     "'200'; this exceeds the allowed maximum length of '127'.\n",
     false,
     "element 'scenario': attribute 'name': the value has a length of '200'; this exceeds the "
     "allowed maximum length of '127'"},
    {"Element 'ues', attribute 'speed': The attribute 'speed' is not allowed.\n", false,
     "element 'ues': unknown attribute 'speed' (allowed: count, arrival, rate)"},
    {"Element 'scenario', attribute 'x': The attribute 'x' is not allowed.\n", false,
     "element 'scenario': unknown attribute 'x' (allowed: name)"},
    {"Element 'server': The attribute 'mean-service' is required but missing.\n", false,
     "element 'server': attribute 'mean-service' is required but missing"},
    {"Element 'foo': This element is not expected. Expected is one of ( simulation, queue "
     ").\n",
     false, "element 'foo' is not expected here (expected <simulation> or <queue>)"},
    {"Element 'x': This element is not expected. Expected is ( a, b, c ).\n", false,
     "element 'x' is not expected here (expected <a>, <b> or <c>)"},
    {"Element 'gateway': This element is not expected.\n", false,
     "element 'gateway' is not expected here"},
    {"Element 'queue': Missing child element(s). Expected is ( ues ).\n", false,
     "element 'queue' is missing a child element (expected <ues>)"},
    {"Element 'ues': Character content other than whitespace is not allowed because the "
     "content type is 'empty'.\n",
     false, "element 'ues' may not contain text"},
    {"Element 'ues': Something new.\n", false, "element 'ues': something new"},
    {"Something odd happened.\n", false, "something odd happened"},
    {"Start tag expected, '<' not found\n", true,
     "not well-formed XML: start tag expected, '<' not found"},
};

static void test_xml_translate_each_known_form_and_the_fallback(void **unused)
{
    char out[1024];
    int bad = 0;

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        io_xml_translate(cases[i].libxml2, cases[i].from_parser, out, sizeof(out));
        if (strcmp(out, cases[i].plain) != 0) {
            print_error("%s  got      \"%s\"\n  expected \"%s\"\n", cases[i].libxml2, out,
                        cases[i].plain);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

static void test_xml_translate_truncates_to_the_buffer(void **unused)
{
    char out[16];

    io_xml_translate(cases[0].libxml2, false, out, sizeof(out));
    assert_int_equal(strlen(out), sizeof(out) - 1);
    assert_memory_equal(out, "element 'ues': ", 15);
}

static void test_xml_scenario_knob_finds_attributes_through_the_grammar(void **unused)
{
    char list[256];

    assert_ptr_equal(io_scenario_knob("simulation", "seed"),
                     core_knob_find(&proto_sim_knobs, "seed"));
    assert_ptr_equal(io_scenario_knob("server", "servers"),
                     core_knob_find(&proto_queue_server_knobs, "servers"));
    /* <ue-group> reads two tables: radio's and proto's device attribute. */
    assert_ptr_equal(io_scenario_knob("ue-group", "count"),
                     core_knob_find(&radio_ue_group_knobs, "count"));
    assert_ptr_equal(io_scenario_knob("ue-group", "device"),
                     core_knob_find(&proto_ue_group_knobs, "device"));
    assert_null(io_scenario_knob("queue", "anything"));
    assert_null(io_scenario_knob("server", "speed"));
    io_scenario_attributes("server", list, sizeof(list));
    assert_string_equal(list, "servers, service, mean-service");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_translate_each_known_form_and_the_fallback),
        cmocka_unit_test(test_xml_translate_truncates_to_the_buffer),
        cmocka_unit_test(test_xml_scenario_knob_finds_attributes_through_the_grammar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
