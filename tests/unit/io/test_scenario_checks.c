/*
 * test_scenario_checks.c — the cross-checks a schema cannot make
 * (sim/io/check.c), each provoked by one --set on scenarios/collab-small.xml:
 * a name with a control character or a parent directory in it, a model file
 * that is a directory, a zoo model that does not exist, a device resource
 * with edge-only attributes, a withdrawal that ends before it starts, an
 * instance name taken twice or too long, and an objective that weighs
 * nothing. Each is bad input (CORE_E_INPUT, exit 2) naming the file, the
 * line of the element at fault and what is wrong. Run from the repository
 * root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "io/io.h"

#define SCENARIO "scenarios/collab-small.xml"

static struct core_err err;

struct bad {
    const char *set;  /* one override */
    const char *want; /* in the message */
};

static const struct bad bad[] = {
    {"@name=a\x01z", "scenarios/collab-small.xml:12: element 'scenario': attribute 'name'"},
    {"@name=x..y", "'x..y' is not a name of 1 to 127 characters"},
    {"model[lenet5]@file=.", "is not a file"},
    {"model[lenet5]@zoo=nosuchnet", "attribute 'zoo': 'nosuchnet' is not one of: "},
    {"device[phone]/use[cpu]@background-load=0.5",
     "belong to the edge's resources, not a device's"},
    {"edge/use[cpu]@withdrawn-from=5 s", "withdrawn-until (0 s) is before withdrawn-from (5 s)"},
    {"edge/use[gpu]@name=cpu", "instance name 'cpu' is already taken (line "},
    {"edge/use[gpu]@name=a-name-of-more-than-26-chars", "is longer than 26 characters"},
    {"objective@latency-weight=0", "latency-weight and energy-weight are both 0"},
};

static void test_each_cross_check_is_bad_input_naming_file_line_and_reason(void **unused)
{
    int failures = 0;

    (void)unused;
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        struct io_config *c = NULL;
        struct core_err e = {0};
        enum core_rc rc = io_scenario_load(SCENARIO, &bad[i].set, 1, &c, &e);

        if (bad[i].set[0] == 'm' && strstr(bad[i].set, "@zoo=")) {
            /* a model names a file or a zoo entry, not both: clear the file too */
            const char *both[] = {"model[lenet5]@file=", bad[i].set};

            io_config_destroy(c);
            c = NULL;
            rc = io_scenario_load(SCENARIO, both, 2, &c, &e);
        }
        if (rc != CORE_E_INPUT || c != NULL || !strstr(e.msg, bad[i].want) ||
            strncmp(e.msg, SCENARIO ":", strlen(SCENARIO) + 1) != 0) {
            print_error("--set %s: rc %s, message '%s' (wanted CORE_E_INPUT with '%s')\n",
                        bad[i].set, core_rc_name(rc), e.msg, bad[i].want);
            failures++;
        }
        print_message("--set %s: %s\n", bad[i].set, e.msg);
        io_config_destroy(c);
    }
    assert_int_equal(failures, 0);
}

static void test_the_scenario_itself_passes_every_check(void **unused)
{
    struct io_config *c = NULL;

    (void)unused;
    assert_core_rc(io_scenario_load(SCENARIO, NULL, 0, &c, &err), CORE_OK);
    io_config_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_the_scenario_itself_passes_every_check),
        TEST(test_each_cross_check_is_bad_input_naming_file_line_and_reason),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
