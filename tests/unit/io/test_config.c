/*
 * test_config.c — the configuration tree: knobs named by path and set with
 * --set through their own tables (every form of path, every usage error
 * naming what is wrong), cross-checks after an override naming it, and the
 * canonical text: the same for files that say the same thing differently,
 * different when a value differs, and a scenario file that reads back to
 * the same text for every shipped scenario. Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "io/io.h"

#define DEFAULT "scenarios/default.xml"

static struct core_err err; /* assert_core_rc prints it */

static struct io_config *load(const char *path, const char *const *sets, size_t n)
{
    struct io_config *c = NULL;

    assert_core_rc(io_scenario_load(path, sets, n, &c, &err), CORE_OK);
    return c;
}

static const void *at(const struct io_config *c, io_node parent, enum io_element_id el,
                      size_t i)
{
    io_node n = io_config_child(c, parent, (uint16_t)el, i);

    assert_int_not_equal(n, IO_NODE_NONE);
    return io_config_data(c, n, 0);
}

static io_node radio_of(const struct io_config *c)
{
    return io_config_child(c, IO_NODE_ROOT, IO_EL_RADIO, 0);
}

static void test_config_set_reaches_every_form_of_path(void **unused)
{
    static const char *const sets[] = {
        "simulation@seed=99",
        "simulation@duration=2 min",
        "radio/deployment@isd=250 m",
        "radio/ue-group[1]@count=7",
        "radio/ue-group[0]/workload[resnet18]@rate=3 Hz",
        "edge/use[gpu]@count=3",
        "device[flagship]/use[npu]@idle-power=30 mW",
        "protocol@override-wait=150 ms",
    };
    long live = core_alloc_live();
    struct io_config *c = load(DEFAULT, sets, ARRAY_LEN(sets));
    io_node radio = radio_of(c), g0 = io_config_child(c, radio, IO_EL_UE_GROUP, 0);
    io_node edge = io_config_child(c, IO_NODE_ROOT, IO_EL_EDGE, 0);
    io_node flagship = io_config_find(c, IO_NODE_ROOT, IO_EL_DEVICE, "flagship");

    assert_true(((const struct proto_sim_config *)at(c, IO_NODE_ROOT, IO_EL_SIMULATION, 0))->seed ==
                99);
    assert_true(((const struct proto_sim_config *)at(c, IO_NODE_ROOT, IO_EL_SIMULATION, 0))
                    ->duration_s == 120.0);
    assert_true(((const struct radio_deployment_config *)at(c, radio, IO_EL_DEPLOYMENT, 0))
                    ->isd_m == 250.0);
    assert_int_equal(((const struct radio_ue_group_config *)at(c, radio, IO_EL_UE_GROUP, 1))->n_ues,
                     7);
    assert_true(((const struct proto_workload_config *)at(c, g0, IO_EL_WORKLOAD, 1))->rate_hz ==
                3.0);
    assert_int_equal(((const struct proto_use_config *)io_config_data(
                          c, io_config_find(c, edge, IO_EL_EDGE_USE, "gpu"), 0))
                         ->count,
                     3);
    assert_int_not_equal(flagship, IO_NODE_NONE);
    assert_true(((const struct proto_use_config *)io_config_data(
                     c, io_config_find(c, flagship, IO_EL_DEVICE_USE, "npu"), 0))
                    ->idle_power_w == 0.03);
    assert_true(((const struct proto_protocol_config *)at(c, IO_NODE_ROOT, IO_EL_PROTOCOL, 0))
                    ->override_wait_s == 0.15);
    assert_int_equal(io_config_n_overrides(c), ARRAY_LEN(sets));
    assert_string_equal(io_config_override(c, 3), "radio/ue-group[1]@count=7");
    io_config_destroy(c);
    assert_int_equal(core_alloc_live(), live);
}

static void test_config_defaults_have_paths_too(void **unused)
{
    /* collab-small writes no <carrier> and no <objective>: their nodes of
     * defaults take overrides like any other. */
    static const char *const sets[] = {"radio/carrier@bandwidth=20 MHz",
                                       "objective@energy-weight=2"};
    struct io_config *c = load("scenarios/collab-small.xml", sets, 2);

    assert_true(((const struct radio_carrier_config *)at(c, radio_of(c), IO_EL_CARRIER, 0))
                    ->bandwidth_hz == 20e6);
    assert_true(((const struct proto_objective_config *)at(c, IO_NODE_ROOT, IO_EL_OBJECTIVE, 0))
                    ->energy_weight == 2.0);
    io_config_destroy(c);
}

struct bad_set {
    const char *set;     /* the --set */
    const char *message; /* the whole message */
};

static const struct bad_set bad_sets[] = {
    {"simulation", "--set simulation: expected PATH=VALUE (see coinfer run --help)"},
    {"simulation=5", "--set simulation=5: the path names no attribute (write "
                     "ELEMENT/...@ATTRIBUTE, e.g. radio/deployment@isd)"},
    {"simulation@=5", "--set simulation@=5: the path names no attribute (write "
                      "ELEMENT/...@ATTRIBUTE, e.g. radio/deployment@isd)"},
    {"simulation@speed=5", "--set simulation@speed=5: element 'simulation' has no attribute "
                           "'speed'"},
    {"radio/ue-group@count=5", "--set radio/ue-group@count=5: there are 2 <ue-group> elements: "
                               "say which, as ue-group[0] or ue-group[NAME]"},
    {"radio/ue-group[2]@count=5", "--set radio/ue-group[2]@count=5: no element ue-group[2] "
                                  "where the path looks for it"},
    {"edge/use[tpu]@count=5", "--set edge/use[tpu]@count=5: no element use[tpu] where the path "
                              "looks for it"},
    {"gateway@x=5", "--set gateway@x=5: no element gateway where the path looks for it"},
    {"radio/ue-group[0@count=5", "--set radio/ue-group[0@count=5: '[' without ']' after "
                                 "'ue-group'"},
    {"simulation@duration=-5 s", "--set simulation@duration=-5 s: '-5 s' is out of range: "
                                 "'duration' must be in [1e-9 s, 1e12 s]"},
    {"simulation@duration=5 m", "--set simulation@duration=5 m: '5 m' has unit 'm' (a length) "
                                "but 'duration' is a time: use s, ms, us, ns, min or h"},
    {"radio/deployment@scheduler=fifo", "--set radio/deployment@scheduler=fifo: 'fifo' is not "
                                        "one of: rr, pf"},
};

static void test_config_bad_sets_are_usage_errors_naming_the_path(void **unused)
{
    long live = core_alloc_live();
    int bad = 0;

    for (size_t i = 0; i < ARRAY_LEN(bad_sets); i++) {
        struct io_config *c = NULL;
        struct core_err e = {0};
        enum core_rc rc = io_scenario_load(DEFAULT, &bad_sets[i].set, 1, &c, &e);

        if (rc != CORE_E_USAGE || core_rc_exit_code(rc) != 2 || c != NULL ||
            strcmp(e.msg, bad_sets[i].message) != 0) {
            print_error("%s: rc %d\n  got      \"%s\"\n  expected \"%s\"\n", bad_sets[i].set,
                        rc, e.msg, bad_sets[i].message);
            bad++;
        }
        io_config_destroy(c);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(core_alloc_live(), live);
}

static void test_config_a_cross_check_after_set_names_the_override(void **unused)
{
    static const char *const sets[] = {"simulation@warmup=1 h"};
    struct io_config *c = NULL;
    struct core_err e = {0};

    assert_int_equal(io_scenario_load(DEFAULT, sets, 1, &c, &e), CORE_E_INPUT);
    assert_null(c);
    assert_string_equal(e.msg, DEFAULT ":22: element 'simulation': 'warmup' (3600 s) must be less "
                               "than 'duration' (300 s) (after --set simulation@warmup=1 h)");
}

/* The canonical text and digest of scenario path with sets applied. */
static void canonical(const char *path, const char *const *sets, size_t n, char **text,
                      char sha[65])
{
    struct io_config *c = load(path, sets, n);

    assert_core_rc(io_config_canonical(c, text, sha, &err), CORE_OK);
    io_config_destroy(c);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void test_config_canonical_text_reads_back_to_itself(void **unused)
{
    static const char *const files[] = {
        "scenarios/default.xml", "scenarios/collab-small.xml", "scenarios/bench-1000ues.xml",
        "scenarios/radio-7cells.xml", "scenarios/validation-mm1.xml",
        "scenarios/validation-md1.xml", "tests/data/scenarios/valid-radio.xml",
        "tests/data/scenarios/valid-collab-zoo.xml", "tests/data/scenarios/collab-real.xml",
    };
    char path[128], sha_a[65], sha_b[65], *a, *b;

    snprintf(path, sizeof(path), "/tmp/coinfer-test-canonical-%ld.xml", (long)getpid());
    for (size_t i = 0; i < ARRAY_LEN(files); i++) {
        canonical(files[i], NULL, 0, &a, sha_a);
        write_file(path, a);
        canonical(path, NULL, 0, &b, sha_b);
        if (strcmp(a, b) != 0) {
            print_error("%s: its canonical text reads back differently\n", files[i]);
            fail();
        }
        assert_string_equal(sha_a, sha_b);
        core_free(a);
        core_free(b);
    }
    remove(path);
}

static void test_config_canonical_text_ignores_how_values_are_written(void **unused)
{
    /* The same values: units or SI, attributes in another order, defaults
     * written or left out, a value set by --set instead of in the file. */
    static const char *const sets[] = {"queue/ues@rate=2000"};
    char sha_a[65], sha_b[65], sha_c[65], sha_d[65], *a, *b, *c, *d;

    canonical("tests/data/scenarios/canonical-a.xml", NULL, 0, &a, sha_a);
    canonical("tests/data/scenarios/canonical-b.xml", NULL, 0, &b, sha_b);
    canonical("tests/data/scenarios/canonical-c.xml", sets, 1, &c, sha_c);
    assert_string_equal(a, b);
    assert_string_equal(sha_a, sha_b);
    assert_string_equal(sha_a, sha_c);
    /* One value apart: another text and digest. */
    canonical("tests/data/scenarios/canonical-c.xml", NULL, 0, &d, sha_d);
    assert_string_not_equal(sha_a, sha_d);
    assert_non_null(strstr(a, "<ues count=\"7\" arrival=\"periodic\" rate=\"2000\"/>"));
    assert_non_null(strstr(a, "mean-service=\"0.00025\""));
    core_free(a);
    core_free(b);
    core_free(c);
    core_free(d);
}

static void test_config_out_of_memory_setting_and_writing_is_reported(void **unused)
{
    static const char *const sets[] = {"radio/deployment@isd=250 m", "simulation@seed=3"};
    long live = core_alloc_live();
    enum core_rc rc = CORE_E_NOMEM;
    unsigned long k;

    for (k = 1; rc == CORE_E_NOMEM && k < 2000; k++) {
        struct io_config *c = NULL;
        struct core_err e = {0};
        char *text = NULL, sha[65];

        core_alloc_fail_after(k);
        rc = io_scenario_load("scenarios/collab-small.xml", sets, 2, &c, &e);
        if (rc == CORE_OK)
            rc = io_config_canonical(c, &text, sha, &e);
        core_alloc_fail_after(0);
        if (rc != CORE_OK && rc != CORE_E_NOMEM)
            fail_msg("k=%lu: rc %d: %s", k, rc, e.msg);
        core_free(text);
        io_config_destroy(c);
        assert_int_equal(core_alloc_live(), live);
    }
    assert_int_equal(rc, CORE_OK);
    assert_true(k > 10);
}

/* io_config_child and io_config_count remember where they last were (a
 * cache that makes loops over children linear): whatever the order of the
 * lookups — nested, interleaved across parents and elements, backwards —
 * they answer as a walk of the children from the first one does. */
static void test_config_child_lookups_in_any_order_match_a_plain_walk(void **unused)
{
    struct io_config *c = load(DEFAULT, NULL, 0);
    io_node parents[64];
    size_t n_parents = 0;
    uint64_t draw = 12345;

    /* Every node with children, the root's and its children's. */
    parents[n_parents++] = IO_NODE_ROOT;
    for (io_node n = io_config_first(c, IO_NODE_ROOT); n != IO_NODE_NONE;
         n = io_config_next(c, n)) {
        if (io_config_first(c, n) != IO_NODE_NONE && n_parents < ARRAY_LEN(parents))
            parents[n_parents++] = n;
        for (io_node m = io_config_first(c, n); m != IO_NODE_NONE; m = io_config_next(c, m))
            if (io_config_first(c, m) != IO_NODE_NONE && n_parents < ARRAY_LEN(parents))
                parents[n_parents++] = m;
    }
    assert_true(n_parents >= 3);
    for (int k = 0; k < 20000; k++) {
        io_node p, want = IO_NODE_NONE, got;
        uint16_t el;
        size_t i, count = 0, seen = 0;

        draw = draw * 6364136223846793005ull + 1442695040888963407ull;
        p = parents[(draw >> 33) % n_parents];
        el = (uint16_t)((draw >> 20) % IO_EL_COUNT);
        i = (size_t)((draw >> 8) % 6);
        for (io_node n = io_config_first(c, p); n != IO_NODE_NONE; n = io_config_next(c, n)) {
            if (io_config_element_index(c, n) != el)
                continue;
            if (seen++ == i)
                want = n;
            count++;
        }
        got = io_config_child(c, p, el, i);
        if (got != want)
            print_error("child(%u, %u, %zu) = %u, a walk gives %u\n", (unsigned)p, el, i,
                        (unsigned)got, (unsigned)want);
        assert_int_equal(got, want);
        assert_int_equal(io_config_count(c, p, el), count);
    }
    io_config_destroy(c);
}

static void test_config_malformed_paths_say_which_part_is_wrong(void **unused)
{
    static const struct bad_set malformed[] = {
        {"radio//deployment@isd=5 m", "an empty or overlong element name at offset 6"},
        {"radio/ue-group[]@count=5", "an empty or overlong [...] after 'ue-group'"},
        {"radio/ue-group[0]x@count=5", "'x' after 'ue-group' (expected '/' or '@')"},
    };

    for (size_t i = 0; i < ARRAY_LEN(malformed); i++) {
        struct io_config *c = NULL;
        struct core_err e = {0};

        assert_int_equal(io_scenario_load(DEFAULT, &malformed[i].set, 1, &c, &e),
                         CORE_E_USAGE);
        assert_null(c);
        if (!strstr(e.msg, malformed[i].message))
            fail_msg("%s: '%s' lacks '%s'", malformed[i].set, e.msg, malformed[i].message);
    }
}

static void test_config_canonical_text_escapes_what_xml_must_and_reads_back(void **unused)
{
    static const char *const sets[] = {"@name=a&b<c>d\"e"};
    char path[128], sha[65], *text;
    struct io_config *c;
    io_node sim;

    snprintf(path, sizeof(path), "/tmp/coinfer-test-escape-%ld.xml", (long)getpid());
    c = load("tests/data/scenarios/valid-defaults.xml", NULL, 0);
    sim = io_config_child(c, IO_NODE_ROOT, IO_EL_SIMULATION, 0);
    assert_true(io_config_given(c, sim, "duration"));
    assert_false(io_config_given(c, sim, "seed"));
    assert_false(io_config_given(c, sim, "no-such-attribute"));
    assert_int_equal(io_config_parent(c, sim), IO_NODE_ROOT);
    assert_string_equal(io_config_element(c, sim)->name, "simulation");
    io_config_destroy(c);

    c = load("tests/data/scenarios/valid-defaults.xml", sets, 1);
    assert_string_equal(io_config_name(c), "a&b<c>d\"e");
    assert_core_rc(io_config_canonical(c, &text, sha, &err), CORE_OK);
    assert_non_null(strstr(text, "name=\"a&amp;b&lt;c&gt;d&quot;e\""));
    io_config_destroy(c);
    write_file(path, text);
    core_free(text);
    c = load(path, NULL, 0);
    assert_string_equal(io_config_name(c), "a&b<c>d\"e");
    io_config_destroy(c);
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_malformed_paths_say_which_part_is_wrong),
        cmocka_unit_test(test_config_canonical_text_escapes_what_xml_must_and_reads_back),
        TEST(test_config_set_reaches_every_form_of_path),
        TEST(test_config_child_lookups_in_any_order_match_a_plain_walk),
        TEST(test_config_defaults_have_paths_too),
        TEST(test_config_bad_sets_are_usage_errors_naming_the_path),
        TEST(test_config_a_cross_check_after_set_names_the_override),
        TEST(test_config_canonical_text_reads_back_to_itself),
        TEST(test_config_canonical_text_ignores_how_values_are_written),
        TEST(test_config_out_of_memory_setting_and_writing_is_reported),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
