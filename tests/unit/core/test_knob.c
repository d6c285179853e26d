/*
 * test_knob.c — knob tables: defaults fill a config, every kind of knob
 * parses and stores its value at its offset, and every way a value can be
 * wrong gives the exact message the user reads (ranges with their unit, the
 * choices of an enum). The tables of sim/proto are checked to have defaults
 * that parse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/core.h"
#include "proto/proto.h"

struct demo_config {
    double delay_s;                   /* REAL, time */
    long n_items;                     /* INT */
    uint64_t seed;                    /* UINT64 */
    bool verbose;                     /* BOOL */
    int colour;                       /* ENUM */
    char label[CORE_KNOB_STRING_MAX]; /* STRING */
};

static const char *const colours[] = {"red", "green", "blue", NULL};

static const struct core_knob demo_knobs[] = {
    {"delay", CORE_KNOB_REAL, CORE_DIM_TIME, "250 ms", 1e-9, 1e3, NULL,
     offsetof(struct demo_config, delay_s), "A delay."},
    {"items", CORE_KNOB_INT, CORE_DIM_NONE, "3", 1, 100, NULL,
     offsetof(struct demo_config, n_items), "A count."},
    {"seed", CORE_KNOB_UINT64, CORE_DIM_NONE, "7", 0, 1.8446744073709552e19, NULL,
     offsetof(struct demo_config, seed), "A seed."},
    {"verbose", CORE_KNOB_BOOL, CORE_DIM_NONE, "false", 0, 1, NULL,
     offsetof(struct demo_config, verbose), "A switch."},
    {"colour", CORE_KNOB_ENUM, CORE_DIM_NONE, "green", 0, 0, colours,
     offsetof(struct demo_config, colour), "A choice."},
    {"label", CORE_KNOB_STRING, CORE_DIM_NONE, NULL, 0, 0, NULL,
     offsetof(struct demo_config, label), "A name (required)."},
};

static const struct core_knob_table demo_table = {"demo", demo_knobs, ARRAY_LEN(demo_knobs)};

static const struct core_knob *knob(const char *name)
{
    const struct core_knob *k = core_knob_find(&demo_table, name);

    assert_non_null(k);
    return k;
}

static void test_knobs_defaults_fill_every_knob_that_has_one(void **unused)
{
    struct demo_config c;
    struct core_err e = {0};

    memset(&c, 0xab, sizeof(c));
    c.label[0] = 'x';
    assert_int_equal(core_knobs_defaults(&demo_table, &c, &e), CORE_OK);
    assert_true(c.delay_s == 0.25);
    assert_int_equal(c.n_items, 3);
    assert_int_equal(c.seed, 7);
    assert_false(c.verbose);
    assert_int_equal(c.colour, 1);
    assert_int_equal(c.label[0], 'x'); /* required: left alone */
}

static void test_knobs_defaults_report_a_default_that_does_not_parse(void **unused)
{
    static const struct core_knob broken[] = {
        {"delay", CORE_KNOB_REAL, CORE_DIM_TIME, "soon", 0, 1, NULL, 0, "Broken."},
    };
    static const struct core_knob_table t = {"demo", broken, 1};
    struct demo_config c;
    struct core_err e = {0};

    assert_int_equal(core_knobs_defaults(&t, &c, &e), CORE_E_INPUT);
    assert_string_equal(e.msg, "default of 'delay' on element 'demo': 'soon' is not a time (a "
                               "number with unit s, ms, us, ns, min or h; a bare number is in "
                               "seconds)");
}

static void test_knob_set_stores_each_kind_at_its_offset(void **unused)
{
    struct demo_config c = {0};
    char why[256];

    assert_int_equal(core_knob_set(knob("delay"), "20 min", &c, why, sizeof(why)), CORE_E_INPUT);
    assert_int_equal(core_knob_set(knob("delay"), "20 ms", &c, why, sizeof(why)), CORE_OK);
    assert_true(c.delay_s == 0.02);
    assert_int_equal(core_knob_set(knob("items"), "+42", &c, why, sizeof(why)), CORE_OK);
    assert_int_equal(c.n_items, 42);
    assert_int_equal(core_knob_set(knob("seed"), "18446744073709551615", &c, why, sizeof(why)),
                     CORE_OK);
    assert_true(c.seed == UINT64_MAX);
    assert_int_equal(core_knob_set(knob("verbose"), "true", &c, why, sizeof(why)), CORE_OK);
    assert_true(c.verbose);
    assert_int_equal(core_knob_set(knob("verbose"), "0", &c, why, sizeof(why)), CORE_OK);
    assert_false(c.verbose);
    assert_int_equal(core_knob_set(knob("verbose"), "1", &c, why, sizeof(why)), CORE_OK);
    assert_true(c.verbose);
    assert_int_equal(core_knob_set(knob("colour"), "blue", &c, why, sizeof(why)), CORE_OK);
    assert_int_equal(c.colour, 2);
    assert_int_equal(core_knob_set(knob("label"), "edge-1", &c, why, sizeof(why)), CORE_OK);
    assert_string_equal(c.label, "edge-1");
}

struct bad {
    const char *knob;
    const char *text;
    const char *why;
};

static void test_knob_set_rejects_bad_values_with_exact_messages(void **unused)
{
    static char long_label[CORE_KNOB_STRING_MAX + 1];
    const struct bad cases[] = {
        {"delay", "0 s", "'0 s' is out of range: 'delay' must be in [1e-9 s, 1e3 s]"},
        {"delay", "-1", "'-1' is out of range: 'delay' must be in [1e-9 s, 1e3 s]"},
        {"delay", "5 m",
         "'5 m' has unit 'm' (a length) but 'delay' is a time: use s, ms, us, "
         "ns, min or h"},
        {"delay", "5 parsecs",
         "'5 parsecs' has an unknown unit 'parsecs': a time uses s, ms, "
         "us, ns, min or h"},
        {"items", "abc", "'abc' is not an integer"},
        {"items", "2.5", "'2.5' is not an integer"},
        {"items", "", "'' is not an integer"},
        {"items", "0", "'0' is out of range: 'items' must be in [1, 100]"},
        {"items", "101", "'101' is out of range: 'items' must be in [1, 100]"},
        {"items", "99999999999999999999",
         "'99999999999999999999' is out of range: 'items' must "
         "be in [1, 100]"},
        {"seed", "-1", "'-1' is not a non-negative integer"},
        {"seed", "18446744073709551616",
         "'18446744073709551616' is out of range: 'seed' must "
         "be in [0, 18446744073709551615]"},
        {"verbose", "yes", "'yes' is not true or false"},
        {"colour", "mauve", "'mauve' is not one of: red, green, blue"},
        {"label", long_label, NULL},
    };
    struct demo_config c;
    char why[256];

    memset(long_label, 'a', CORE_KNOB_STRING_MAX);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        enum core_rc rc;
        memset(&c, 0, sizeof(c));
        rc = core_knob_set(knob(cases[i].knob), cases[i].text, &c, why, sizeof(why));
        const char *want = cases[i].why
                               ? cases[i].why
                               : "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is longer than "
                                 "255 characters";
        if (rc != CORE_E_INPUT || strcmp(why, want) != 0) {
            print_error("%s='%.20s': rc %d, why \"%s\"\n  expected \"%s\"\n", cases[i].knob,
                        cases[i].text, rc, why, want);
            fail();
        }
        assert_true(c.delay_s == 0 && c.n_items == 0 && c.seed == 0 && c.colour == 0 &&
                    c.label[0] == '\0');
    }
}

static void test_knob_find_returns_null_for_an_unknown_name(void **unused)
{
    assert_ptr_equal(core_knob_find(&demo_table, "colour"), &demo_knobs[4]);
    assert_null(core_knob_find(&demo_table, "color"));
    assert_null(core_knob_find(&demo_table, ""));
}

static void test_knobs_proto_tables_have_defaults_that_parse_and_lie_in_range(void **unused)
{
    const struct core_knob_table *tables[] = {&proto_sim_knobs, &proto_queue_server_knobs,
                                              &proto_queue_ues_knobs};
    union {
        struct proto_sim_config sim;
        struct proto_queue_server_config server;
        struct proto_queue_ues_config ues;
    } c;
    struct core_err e = {0};

    for (size_t i = 0; i < ARRAY_LEN(tables); i++) {
        if (core_knobs_defaults(tables[i], &c, &e) != CORE_OK) {
            print_error("%s: %s\n", tables[i]->element, e.msg);
            fail();
        }
        for (size_t j = 0; j < tables[i]->n_knobs; j++) {
            const struct core_knob *k = &tables[i]->knobs[j];
            assert_non_null(k->help);
            if (k->kind == CORE_KNOB_ENUM)
                assert_non_null(k->choices);
            if (k->kind == CORE_KNOB_REAL || k->kind == CORE_KNOB_INT)
                assert_true(k->min <= k->max);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_knobs_defaults_fill_every_knob_that_has_one),
        cmocka_unit_test(test_knobs_defaults_report_a_default_that_does_not_parse),
        cmocka_unit_test(test_knob_set_stores_each_kind_at_its_offset),
        cmocka_unit_test(test_knob_set_rejects_bad_values_with_exact_messages),
        cmocka_unit_test(test_knob_find_returns_null_for_an_unknown_name),
        cmocka_unit_test(test_knobs_proto_tables_have_defaults_that_parse_and_lie_in_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
