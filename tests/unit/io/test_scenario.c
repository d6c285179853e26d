/*
 * test_scenario.c — the scenario loader: valid files give the right SI
 * values, name and SHA-256; each broken fixture under tests/data/scenarios/
 * gives exactly the `FILE:LINE: message` a user will read, with CORE_E_INPUT
 * (exit code 2); a missing schema and out-of-memory are reported; nothing
 * leaks. Run from the repository root (scripts/run-tests.sh does).
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
#include <math.h>

#include "testutil.h"

#include "io/io.h"
#include "run/run.h"

#define DATA "tests/data/scenarios/"

/* What a loaded scenario says, as the run tier assembles it (radio groups
 * with their positions), for the assertions below. */
static struct {
    struct io_config *cfg;        /* the tree (owned) */
    struct run_assembly *a;       /* assembled from it, models aside (owned) */
    const char *path, *name, *sha256;
    enum io_scenario_kind kind;
    struct proto_sim_config sim;
    struct proto_queue_config queue;
    struct radio_world_config radio;
    struct {
        size_t n_devices, n_models;
    } collab;
} scenario;

static void unload(void)
{
    run_assembly_destroy(scenario.a);
    io_config_destroy(scenario.cfg);
    memset(&scenario, 0, sizeof(scenario));
}

/* io_scenario_load into the view; the tree kept until the next load. */
static enum core_rc load(const char *path, struct core_err *e)
{
    enum core_rc rc;

    unload();
    rc = io_scenario_load(path, NULL, 0, &scenario.cfg, e);
    if (rc != CORE_OK)
        return rc;
    scenario.path = io_config_path(scenario.cfg);
    scenario.name = io_config_name(scenario.cfg);
    scenario.sha256 = io_config_file_sha256(scenario.cfg);
    scenario.kind = io_config_kind(scenario.cfg);
    scenario.collab.n_devices = io_config_count(scenario.cfg, IO_NODE_ROOT, IO_EL_DEVICE);
    scenario.collab.n_models = io_config_count(scenario.cfg, IO_NODE_ROOT, IO_EL_MODEL);
    rc = scenario.kind == IO_SCENARIO_QUEUE ? run_assemble(scenario.cfg, &scenario.a, e)
                                            : run_assemble_radio(scenario.cfg, &scenario.a, e);
    if (rc != CORE_OK)
        return rc;
    scenario.sim = scenario.a->sim;
    scenario.queue = scenario.a->queue;
    scenario.radio = scenario.a->radio;
    return CORE_OK;
}

static void load_ok(const char *path)
{
    struct core_err e = {0};
    enum core_rc rc = load(path, &e);

    if (rc != CORE_OK) {
        print_error("%s: rc %d: %s\n", path, rc, e.msg);
        fail();
    }
}

static void test_scenario_loads_values_with_units_as_si(void **unused)
{
    long live;

    unload();
    live = core_alloc_live();
    load_ok(DATA "valid-units.xml");
    assert_string_equal(scenario.path, DATA "valid-units.xml");
    assert_string_equal(scenario.name, "units test");
    assert_int_equal(scenario.kind, IO_SCENARIO_QUEUE);
    assert_true(scenario.sim.duration_s == 120.0);
    assert_true(scenario.sim.seed == UINT64_MAX);
    assert_true(scenario.sim.warmup_s == 1.5);
    assert_int_equal(scenario.queue.server.n_servers, 3);
    assert_int_equal(scenario.queue.server.service, PROTO_SERVICE_DETERMINISTIC);
    assert_true(scenario.queue.server.mean_service_s == 250e-6);
    assert_int_equal(scenario.queue.ues.n_ues, 7);
    assert_int_equal(scenario.queue.ues.arrival, PROTO_ARRIVAL_PERIODIC);
    assert_true(scenario.queue.ues.rate_hz == 2000.0);
    /* sha256sum tests/data/scenarios/valid-units.xml */
    assert_string_equal(scenario.sha256,
                        "82eb2ca86d8b1af628f05bb70b18fe30d245e95a4f97d92d7abd871312bb29e7");
    unload();
    assert_int_equal(core_alloc_live(), live);
}

static void test_scenario_fills_defaults_and_names_itself_after_the_file(void **unused)
{
    load_ok(DATA "valid-defaults.xml");
    assert_string_equal(scenario.name, "valid-defaults");
    assert_true(scenario.sim.duration_s == 100.0);
    assert_true(scenario.sim.seed == 1);
    assert_true(scenario.sim.warmup_s == 0.0);
    assert_int_equal(scenario.queue.server.n_servers, 1);
    assert_int_equal(scenario.queue.server.service, PROTO_SERVICE_EXPONENTIAL);
    assert_true(scenario.queue.server.mean_service_s == 0.5);
    assert_int_equal(scenario.queue.ues.n_ues, 1);
    assert_int_equal(scenario.queue.ues.arrival, PROTO_ARRIVAL_POISSON);
    assert_true(scenario.queue.ues.rate_hz == 1.5);
}

static void test_scenario_shipped_scenarios_load_at_their_documented_load(void **unused)
{
    load_ok("scenarios/validation-mm1.xml");
    assert_true(proto_queue_rho(&scenario.queue) > 0.8 - 1e-12 &&
                proto_queue_rho(&scenario.queue) < 0.8 + 1e-12);
    assert_int_equal(scenario.queue.server.service, PROTO_SERVICE_EXPONENTIAL);
    assert_true(scenario.sim.duration_s * 0.8 >= 2e6);
    load_ok("scenarios/validation-md1.xml");
    assert_true(proto_queue_rho(&scenario.queue) > 0.8 - 1e-12 &&
                proto_queue_rho(&scenario.queue) < 0.8 + 1e-12);
    assert_int_equal(scenario.queue.server.service, PROTO_SERVICE_DETERMINISTIC);
    assert_true(scenario.sim.duration_s * 0.8 >= 1e6);
    load_ok("scenarios/default.xml");
    assert_int_equal(scenario.kind, IO_SCENARIO_COLLAB);
    assert_int_equal(scenario.collab.n_devices, 2);
    assert_int_equal(scenario.collab.n_models, 3);
    assert_int_equal(scenario.radio.n_groups, 2);
    assert_int_equal(scenario.radio.groups[0].n_ues + scenario.radio.groups[1].n_ues, 20);
    assert_string_equal(scenario.name, "default");
    load_ok("scenarios/bench-1000ues.xml");
    assert_int_equal(scenario.radio.groups[0].n_ues + scenario.radio.groups[1].n_ues, 1000);
}

static void test_scenario_radio_section_loads_as_si_with_groups_and_positions(void **unused)
{
    const struct radio_world_config *r = &scenario.radio;
    long live;

    unload();
    live = core_alloc_live();
    load_ok(DATA "valid-radio.xml");
    assert_int_equal(scenario.kind, IO_SCENARIO_RADIO);
    assert_string_equal(scenario.name, "radio-small");
    assert_true(scenario.sim.duration_s == 10.0 && scenario.sim.seed == 4);
    assert_true(r->sample_period_s == 0.5);
    assert_true(r->carrier.carrier_hz == 2.6e9 && r->carrier.bandwidth_hz == 20e6);
    assert_true(r->carrier.scs_hz == 15e3 && r->carrier.layers == 2);
    assert_int_equal(r->carrier.rate_model, RADIO_RATE_SHANNON);
    assert_true(r->carrier.snr_gap_db == 3.0 && r->carrier.overhead == 0.14);
    assert_int_equal(r->deploy.scenario, RADIO_SCENARIO_UMI);
    assert_true(r->deploy.n_sites == 7 && r->deploy.n_sectors == 3 && r->deploy.isd_m == 200.0);
    assert_int_equal(r->deploy.scheduler, RADIO_SCHED_PF);
    assert_true(r->deploy.load == 0.3 && r->deploy.gnb_power_dbm == 46.0);
    assert_true(r->deploy.shadowing && r->deploy.fading);
    assert_true(r->pc.p0_dbm == -85.0 && r->pc.alpha == 0.7 && r->pc.p_max_dbm == 23.0);
    assert_true(r->ho.hysteresis_db == 2.0 && r->ho.time_to_trigger_s == 0.32);
    assert_int_equal(r->n_groups, 2);
    assert_ptr_equal(r->groups, scenario.a->groups);
    assert_int_equal(r->groups[0].n_ues, 20);
    assert_int_equal(r->groups[0].placement, RADIO_PLACE_UNIFORM_CELL);
    assert_int_equal(r->groups[0].mobility, RADIO_MOBILITY_WAYPOINT);
    assert_true(r->groups[0].speed_min_mps == 1.0 && r->groups[0].speed_max_mps == 2.0);
    assert_true(r->groups[0].pause_s == 2.0 && r->groups[0].request_rate_hz == 0.0);
    assert_int_equal(r->groups[1].placement, RADIO_PLACE_POSITIONS);
    assert_near(r->groups[1].speed_min_mps, 30.0 / 3.6, 1e-12);
    assert_true(r->groups[1].pos_x_m[0] == 10.0 && r->groups[1].pos_y_m[0] == -20.0);
    assert_true(r->groups[1].pos_x_m[1] == 100.0 && r->groups[1].pos_y_m[1] == 50.0);
    assert_null(r->groups[0].pos_x_m);
    /* Each group's values are its node's in the tree, by index and by path. */
    assert_int_equal(io_config_count(scenario.cfg,
                                     io_config_child(scenario.cfg, IO_NODE_ROOT, IO_EL_RADIO, 0),
                                     IO_EL_UE_GROUP),
                     2);
    unload();
    assert_int_equal(core_alloc_live(), live);
}

struct broken {
    const char *file;    /* under tests/data/scenarios/ */
    const char *message; /* the whole message after "tests/data/scenarios/" */
};

static const struct broken broken_files[] = {
    {"not-xml.xml", "not-xml.xml:1: not well-formed XML: start tag expected, '<' not found"},
    {"empty.xml", "empty.xml:1: not well-formed XML: document is empty"},
    {"truncated.xml",
     "truncated.xml:6: not well-formed XML: premature end of data in tag queue line 4"},
    {"unknown-element.xml", "unknown-element.xml:7: element 'gateway' is not expected here"},
    {"unknown-attribute.xml", "unknown-attribute.xml:5: element 'server': unknown attribute "
                              "'speed' (allowed: servers, service, mean-service)"},
    {"count-zero.xml",
     "count-zero.xml:6: element 'ues': attribute 'count': '0' is not a positive integer"},
    {"count-abc.xml",
     "count-abc.xml:6: element 'ues': attribute 'count': 'abc' is not a positive integer"},
    {"negative-duration.xml", "negative-duration.xml:3: element 'simulation': attribute "
                              "'duration': '-5 s' is out of range: 'duration' must be in "
                              "[1e-9 s, 1e12 s]"},
    {"infinite-duration.xml", "infinite-duration.xml:3: element 'simulation': attribute "
                              "'duration': 'inf' is not a time (a number with unit s, ms, us, "
                              "ns, min or h; a bare number is in seconds)"},
    {"wrong-unit.xml", "wrong-unit.xml:3: element 'simulation': attribute 'duration': '5 m' has "
                       "unit 'm' (a length) but 'duration' is a time: use s, ms, us, ns, min "
                       "or h"},
    {"unknown-unit.xml", "unknown-unit.xml:3: element 'simulation': attribute 'duration': "
                         "'5 parsecs' has an unknown unit 'parsecs': a time uses s, ms, us, "
                         "ns, min or h"},
    {"out-of-range.xml", "out-of-range.xml:5: element 'server': attribute 'mean-service': '0 s' "
                         "is out of range: 'mean-service' must be in [1e-12 s, 1e9 s]"},
    {"rate-too-high.xml", "rate-too-high.xml:6: element 'ues': attribute 'rate': '1e20 Hz' is "
                          "out of range: 'rate' must be in [1e-12 Hz, 1e12 Hz]"},
    {"negative-seed.xml", "negative-seed.xml:3: element 'simulation': attribute 'seed': '-1' is "
                          "not a whole number from 0 to 18446744073709551615"},
    {"missing-required.xml", "missing-required.xml:5: element 'server': attribute "
                             "'mean-service' is required but missing"},
    {"missing-queue.xml",
     "missing-queue.xml:2: element 'scenario' is missing a child element (expected <queue> or "
     "<radio>)"},
    {"radio-carrier-too-high.xml", "radio-carrier-too-high.xml:5: element 'carrier': attribute "
                                   "'frequency': '200 GHz' is out of range: 'frequency' must be "
                                   "in [5e8 Hz, 1e11 Hz]"},
    {"radio-bandwidth-numerology.xml",
     "radio-bandwidth-numerology.xml:5: element 'carrier': bandwidth 100 MHz is not allowed at 15 "
     "kHz SCS (TS 38.101-1 table 5.3.2-1 allows 5, 10, 15, 20, 25, 30, 35, 40, 45, 50 MHz)"},
    {"radio-negative-isd.xml", "radio-negative-isd.xml:5: element 'deployment': attribute 'isd': "
                               "'-500 m' is out of range: 'isd' must be in [1 m, 5e4 m]"},
    {"radio-isd-beyond-range.xml",
     "radio-isd-beyond-range.xml:5: element 'deployment': attribute 'isd': 12000 m puts the cell "
     "edge 6928.2 m from its site, beyond the UMa path-loss range of 5000 m (isd at most "
     "8660.25 m with 1 sector)"},
    {"radio-inh-too-far.xml",
     "radio-inh-too-far.xml:5: element 'deployment': attribute 'isd': 300 m puts the cell edge "
     "173.205 m from its site, beyond the InH-open path-loss range of 149.987 m (isd at most "
     "259.785 m with 1 sector)"},
    {"radio-sites-not-hex.xml", "radio-sites-not-hex.xml:5: element 'deployment': attribute "
                                "'sites': 5 is not a hexagonal count 1 + 3 k (k + 1) (1, 7, 19, "
                                "37, 61, 91, ..., 3997)"},
    {"radio-positions-count.xml", "radio-positions-count.xml:5: element 'ue-group': placement "
                                  "'positions' needs one <position> per UE: count is 3, found 2"},
    {"radio-position-wrong-group.xml", "radio-position-wrong-group.xml:6: element 'position' is "
                                       "allowed only in a group with placement=\"positions\""},
    {"radio-speed-order.xml", "radio-speed-order.xml:5: element 'ue-group': attribute "
                              "'speed-min': 2.77778 m/s must not exceed 'speed-max' (1.38889 "
                              "m/s)"},
    {"radio-unknown-scenario.xml", "radio-unknown-scenario.xml:5: element 'deployment': "
                                   "attribute 'scenario': 'RMa' is not one of: UMa, UMi, "
                                   "InH-mixed, InH-open"},
    {"radio-no-group.xml", "radio-no-group.xml:4: element 'radio' is missing a child element "
                           "(expected <deployment>, <power-control>, <handover>, <access>, "
                           "<ue-power> or <ue-group>)"},
    {"radio-fixed-link-no-rate.xml", "radio-fixed-link-no-rate.xml:6: element 'link': "
                                     "attribute 'ul-rate': a fixed link needs a positive "
                                     "uplink rate"},
    {"radio-tail-power.xml", "radio-tail-power.xml:5: element 'ue-power': attribute "
                             "'tail-power': 2 W must be between 0 W and 'on-power' (1.288 W): "
                             "the tail is the connected state without a transfer"},
    {"radio-and-queue.xml", "radio-and-queue.xml:8: element 'radio' is not expected here"},
    {"unknown-enum.xml", "unknown-enum.xml:5: element 'server': attribute 'service': 'erlang' "
                         "is not one of: exponential, deterministic"},
    {"warmup-ge-duration.xml", "warmup-ge-duration.xml:3: element 'simulation': 'warmup' "
                               "(10 s) must be less than 'duration' (10 s)"},
    {"wrong-root.xml",
     "wrong-root.xml:3: root element 'network' is not a coinfer scenario file (expected <scenario>)"},
    {"external-entity.xml",
     "external-entity.xml:5: not well-formed XML: attribute references external entity 'xxe'"},
    {"text-in-empty.xml", "text-in-empty.xml:3: element 'simulation' may not contain text"},
    {"entity-in-text.xml", "entity-in-text.xml:6: entity '&xxe;' is not allowed in a scenario "
                           "file (write the text itself)"},
    {"no-such-file.xml", "no-such-file.xml:0: cannot open: No such file or directory"},
};

static void check_broken(enum core_rc (*load_fn)(const char *, struct core_err *))
{
    char path[256], want[1024];
    long live = core_alloc_live();
    int bad = 0;

    for (size_t i = 0; i < ARRAY_LEN(broken_files); i++) {
        struct core_err e = {0};
        enum core_rc rc;
        snprintf(path, sizeof(path), DATA "%s", broken_files[i].file);
        snprintf(want, sizeof(want), DATA "%s", broken_files[i].message);
        rc = load_fn(path, &e);
        if (rc != CORE_E_INPUT || core_rc_exit_code(rc) != 2 || strcmp(e.msg, want) != 0) {
            print_error("%s: rc %d\n  got      \"%s\"\n  expected \"%s\"\n", path, rc, e.msg, want);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
    assert_int_equal(core_alloc_live(), live);
}

static enum core_rc load_into_static(const char *path, struct core_err *e)
{
    enum core_rc rc = load(path, e);

    unload();
    return rc;
}

static void test_scenario_each_broken_file_gives_file_line_and_plain_message(void **unused)
{
    check_broken(load_into_static);
}

static void test_validate_file_gives_the_same_errors_as_load(void **unused)
{
    struct core_err e = {0};

    check_broken(run_validate);
    assert_int_equal(run_validate("scenarios/default.xml", &e), CORE_OK);
}

static void test_validate_file_checks_model_files_as_models(void **unused)
{
    struct core_err e = {0};

    assert_int_equal(run_validate("models/lenet5.xml", &e), CORE_OK);
    assert_int_equal(load("models/lenet5.xml", &e), CORE_E_INPUT);
    assert_string_equal(e.msg, "models/lenet5.xml:12: root element 'model' is not a coinfer scenario file "
                               "(expected <scenario>)");
}

static void test_scenario_missing_schema_is_an_io_error_naming_it(void **unused)
{
    struct core_err e = {0};
    enum core_rc rc;

    setenv("COINFER_SCHEMA_DIR", "tests/data/no-such-dir", 1);
    rc = load(DATA "valid-units.xml", &e);
    unsetenv("COINFER_SCHEMA_DIR");
    assert_int_equal(rc, CORE_E_IO);
    assert_string_equal(e.msg, "tests/data/no-such-dir/schema.xsd:0: cannot open the scenario "
                               "schema: No such file or directory (set COINFER_SCHEMA_DIR to "
                               "the directory holding schema.xsd)");
}

static void test_scenario_schema_dir_from_environment_is_used(void **unused)
{
    struct core_err e = {0};
    enum core_rc rc;

    setenv("COINFER_SCHEMA_DIR", "scenarios", 1);
    rc = load(DATA "valid-units.xml", &e);
    unsetenv("COINFER_SCHEMA_DIR");
    assert_int_equal(rc, CORE_OK);
}

static void test_scenario_out_of_memory_reading_the_file_is_reported(void **unused)
{
    struct core_err e = {0};
    long live;
    enum core_rc rc;

    unload();
    live = core_alloc_live();
    core_alloc_fail_after(1);
    rc = load(DATA "valid-units.xml", &e);
    core_alloc_fail_after(0);
    assert_int_equal(rc, CORE_E_NOMEM);
    assert_string_equal(e.msg, DATA "valid-units.xml:0: out of memory reading the file");
    assert_int_equal(core_alloc_live(), live);

    core_alloc_fail_after(1);
    rc = run_validate(DATA "valid-units.xml", &e);
    core_alloc_fail_after(0);
    assert_int_equal(rc, CORE_E_NOMEM);
    assert_int_equal(core_alloc_live(), live);
}

static void test_scenario_too_long_a_path_is_rejected(void **unused)
{
    static char path[IO_PATH_MAX + 8];
    struct core_err e = {0};

    memset(path, 'a', sizeof(path) - 1);
    assert_int_equal(load(path, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, ":0: the path is longer than 4095 characters"));
}

static void test_scenario_lines_past_65535_are_reported_exactly(void **unused)
{
    char path[128], want[256];
    struct core_err e = {0};
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/coinfer-test-scenario-%ld.xml", (long)getpid());
    f = fopen(path, "w");

    assert_non_null(f);
    fputs("<?xml version=\"1.0\"?>\n<scenario>\n", f);
    for (int i = 0; i < 70000; i++)
        fputs("\n", f);
    fputs("<simulation duration=\"10 s\"/>\n<queue>\n<server mean-service=\"1 s\"/>\n"
          "<ues count=\"0\" rate=\"1 Hz\"/>\n</queue>\n</scenario>\n",
          f);
    fclose(f);
    assert_int_equal(load(path, &e), CORE_E_INPUT);
    remove(path);
    snprintf(want, sizeof(want),
             "%s:70006: element 'ues': attribute 'count': '0' is not a positive integer", path);
    assert_string_equal(e.msg, want);
}

/* True when msg is "path:LINE: something". */
static bool has_file_line(const char *msg, const char *path)
{
    size_t n = strlen(path);
    const char *p = msg + n + 1;

    if (strncmp(msg, path, n) != 0 || msg[n] != ':' || !(*p >= '0' && *p <= '9'))
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    return p[0] == ':' && p[1] == ' ' && p[2] != '\0';
}

static void test_scenario_every_truncation_of_a_valid_file_fails_cleanly(void **unused)
{
    static char text[4096];
    char path[128];
    long live;
    size_t len;
    FILE *f = fopen(DATA "valid-units.xml", "rb");

    unload();
    live = core_alloc_live();
    assert_non_null(f);
    len = fread(text, 1, sizeof(text), f);
    fclose(f);
    snprintf(path, sizeof(path), "/tmp/coinfer-test-truncated-%ld.xml", (long)getpid());
    for (size_t n = 0; n < len; n++) {
        struct core_err e = {0};
        enum core_rc rc;
        f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(text, 1, n, f), n);
        fclose(f);
        rc = load(path, &e);
        /* Only the final newline may go. */
        if (n + 1 < len ? rc != CORE_E_INPUT || !has_file_line(e.msg, path) : rc != CORE_OK) {
            print_error("first %zu bytes: rc %d: %s\n", n, rc, e.msg);
            remove(path);
            fail();
        }
    }
    remove(path);
    unload();
    assert_int_equal(core_alloc_live(), live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_loads_values_with_units_as_si),
        cmocka_unit_test(test_scenario_fills_defaults_and_names_itself_after_the_file),
        cmocka_unit_test(test_scenario_shipped_scenarios_load_at_their_documented_load),
        cmocka_unit_test(test_scenario_radio_section_loads_as_si_with_groups_and_positions),
        cmocka_unit_test(test_scenario_each_broken_file_gives_file_line_and_plain_message),
        cmocka_unit_test(test_validate_file_gives_the_same_errors_as_load),
        cmocka_unit_test(test_validate_file_checks_model_files_as_models),
        cmocka_unit_test(test_scenario_missing_schema_is_an_io_error_naming_it),
        cmocka_unit_test(test_scenario_schema_dir_from_environment_is_used),
        cmocka_unit_test(test_scenario_out_of_memory_reading_the_file_is_reported),
        cmocka_unit_test(test_scenario_too_long_a_path_is_rejected),
        cmocka_unit_test(test_scenario_lines_past_65535_are_reported_exactly),
        cmocka_unit_test(test_scenario_every_truncation_of_a_valid_file_fails_cleanly),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    unload();
    return failed;
}
