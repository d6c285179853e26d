/*
 * test_sweep.c — sweep files: value lists, linear and log ranges by step and
 * by count, zipped factors, constraints keeping combinations, the order of
 * points (the last factor, then replication, then policy varying fastest)
 * with one seed per replication shared by every policy, and each kind of bad
 * input reported as FILE:LINE at the element that is wrong. Run from the
 * repository root (the sweeps name scenarios/fixed-link.xml).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "io/io.h"

static struct core_err err; /* assert_core_rc prints it */
static struct testutil_dir *dir;
static char scenario[PATH_MAX]; /* scenarios/fixed-link.xml, absolute */

static int setup(void **unused)
{
    dir = testutil_dir_create("sweep", "sweep.xml");
    if (!dir || !realpath("scenarios/fixed-link.xml", scenario))
        return -1;
    return 0;
}

static int teardown(void **unused)
{
    testutil_dir_destroy(dir);
    return 0;
}

/* Write a sweep of the body (the elements inside <sweep>) over fixed-link.xml. */
static void write_sweep(const char *body)
{
    FILE *f = fopen(dir->path, "w");

    assert_non_null(f);
    fprintf(f, "<?xml version=\"1.0\"?>\n<sweep name=\"t\" scenario=\"%s\">\n%s</sweep>\n",
            scenario, body);
    assert_int_equal(fclose(f), 0);
}

static struct io_sweep *load(const char *body)
{
    struct io_sweep *s = NULL;

    write_sweep(body);
    assert_core_rc(io_sweep_load(dir->path, &s, &err), CORE_OK);
    return s;
}

/* body must fail with CORE_E_INPUT and "FILE:line: ..." containing want. */
static void rejects(const char *body, long line, const char *want)
{
    struct io_sweep *s = NULL;
    char prefix[256];
    enum core_rc rc;

    write_sweep(body);
    core_err_clear(&err);
    rc = io_sweep_load(dir->path, &s, &err);
    if (rc == CORE_OK) {
        io_sweep_destroy(s);
        fail_msg("the sweep loaded; expected '%s'", want);
    }
    assert_int_equal(rc, CORE_E_INPUT);
    assert_null(s);
    snprintf(prefix, sizeof(prefix), "%s:%ld: ", dir->path, line);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0 || !strstr(err.msg, want))
        fail_msg("message '%s', expected '%s...%s'", err.msg, prefix, want);
}

/* The values factor f takes over the combinations, as "a b c" (first policy,
 * first replication of each). */
static void values_of(const struct io_sweep *s, size_t f, char *buf, size_t size)
{
    size_t per = io_sweep_n_policies(s) * io_sweep_n_replications(s), used = 0;

    buf[0] = '\0';
    for (uint64_t i = 0; i < io_sweep_n_points(s); i += per) {
        struct io_sweep_point pt;

        io_sweep_point(s, i, &pt);
        snprintf(buf + used, size - used, "%s%s", used ? " " : "", io_sweep_point_value(s, &pt, f));
        used += strlen(buf + used);
    }
}

static void assert_values(const struct io_sweep *s, size_t f, const char *want)
{
    char got[1024];

    values_of(s, f, got, sizeof(got));
    assert_string_equal(got, want);
}

static void test_sweep_value_lists_keep_the_text_as_written(void **unused)
{
    struct io_sweep *s =
        load("<factor name=\"up\" path=\"radio/ue-group[0]/link@ul-rate\" "
             "values=\"1 Mbit/s, 8 Mbit/s,20Mbps\"/>\n");

    assert_int_equal(io_sweep_n_factors(s), 1);
    assert_string_equal(io_sweep_factor_name(s, 0), "up");
    assert_string_equal(io_sweep_factor_path(s, 0), "radio/ue-group[0]/link@ul-rate");
    assert_values(s, 0, "1 Mbit/s 8 Mbit/s 20Mbps");
    assert_int_equal(io_sweep_n_points(s), 3);
    {
        struct io_sweep_point pt;

        io_sweep_point(s, 1, &pt);
        assert_string_equal(io_sweep_point_set(s, &pt, 0),
                            "radio/ue-group[0]/link@ul-rate=8 Mbit/s");
    }
    io_sweep_destroy(s);
}

static void test_sweep_ranges_by_count_and_step_linear_and_log(void **unused)
{
    struct io_sweep *s = load(
        "<factor name=\"a\" path=\"radio/ue-group[0]/link@latency\" from=\"0 ms\" to=\"10 ms\" "
        "count=\"3\"/>\n"
        "<factor name=\"b\" path=\"radio/ue-group[1]/link@latency\" from=\"1 ms\" to=\"2.5 ms\" "
        "step=\"0.5 ms\"/>\n"
        "<factor name=\"c\" path=\"radio/ue-group[0]/link@ul-rate\" from=\"1 Mbps\" "
        "to=\"100 Mbps\" count=\"3\" scale=\"log\"/>\n"
        "<factor name=\"d\" path=\"radio/ue-group[1]/link@ul-rate\" from=\"1 Mbps\" "
        "to=\"10 Mbps\" step=\"2\" scale=\"log\"/>\n"
        "<factor name=\"e\" path=\"radio/ue-group[0]@count\" from=\"8\" to=\"2\" step=\"-3\"/>\n");

    assert_int_equal(io_sweep_n_points(s), 3 * 4 * 3 * 4 * 3);
    {
        /* the last factor varies fastest: the first points walk e, then d */
        static const char *const want_e[] = {"8", "5", "2", "8"};
        static const char *const want_d[] = {"1e6", "1e6", "1e6", "2e6"};
        struct io_sweep_point pt;

        for (uint64_t i = 0; i < 4; i++) {
            io_sweep_point(s, i, &pt);
            assert_string_equal(io_sweep_point_value(s, &pt, 4), want_e[i]);
            assert_string_equal(io_sweep_point_value(s, &pt, 3), want_d[i]);
        }
        io_sweep_point(s, 144, &pt); /* a's second value: after 4 * 3 * 4 * 3 points */
        assert_string_equal(io_sweep_point_value(s, &pt, 0), "0.005");
        io_sweep_point(s, 288, &pt);
        assert_string_equal(io_sweep_point_value(s, &pt, 0), "0.01");
        io_sweep_point(s, 36, &pt); /* b's second value */
        assert_string_equal(io_sweep_point_value(s, &pt, 1), "0.0015");
        io_sweep_point(s, 3 * 4, &pt); /* first point of c's second value */
        assert_string_equal(io_sweep_point_value(s, &pt, 2), "1e7");
        io_sweep_point(s, 3 * 4 * 3 * 4 - 1, &pt);
        assert_string_equal(io_sweep_point_value(s, &pt, 1), "0.0025");
        assert_string_equal(io_sweep_point_value(s, &pt, 2), "1e8");
        assert_string_equal(io_sweep_point_value(s, &pt, 3), "8e6");
    }
    io_sweep_destroy(s);
}

static void test_sweep_zipped_factors_move_together(void **unused)
{
    struct io_sweep *s = load(
        "<zip>\n"
        "  <factor name=\"up\" path=\"radio/ue-group[0]/link@ul-rate\" "
        "values=\"1 Mbps, 2 Mbps\"/>\n"
        "  <factor name=\"down\" path=\"radio/ue-group[0]/link@dl-rate\" "
        "values=\"10 Mbps, 20 Mbps\"/>\n"
        "</zip>\n"
        "<factor name=\"n\" path=\"radio/ue-group[0]@count\" values=\"1, 2, 3\"/>\n");

    assert_int_equal(io_sweep_n_points(s), 6);
    assert_values(s, 0, "1 Mbps 1 Mbps 1 Mbps 2 Mbps 2 Mbps 2 Mbps");
    assert_values(s, 1, "10 Mbps 10 Mbps 10 Mbps 20 Mbps 20 Mbps 20 Mbps");
    assert_values(s, 2, "1 2 3 1 2 3");
    io_sweep_destroy(s);
}

static void test_sweep_constraints_keep_only_the_combinations_they_hold_for(void **unused)
{
    struct io_sweep *s = load(
        "<factor name=\"up\" path=\"radio/ue-group[0]/link@ul-rate\" "
        "values=\"1 Mbps, 2 Mbps, 4 Mbps\"/>\n"
        "<factor name=\"n\" path=\"radio/ue-group[0]@count\" values=\"1, 2, 3\"/>\n"
        "<constraint>n * up &lt;= 4 Mbps</constraint>\n"
        "<constraint>n != 2 or up == 1 Mbps</constraint>\n");

    /* kept: (1M,1) (1M,2) (1M,3) (2M,1) (4M,1) */
    assert_int_equal(io_sweep_n_combinations(s), 5);
    assert_values(s, 0, "1 Mbps 1 Mbps 1 Mbps 2 Mbps 4 Mbps");
    assert_values(s, 1, "1 2 3 1 1");
    io_sweep_destroy(s);
}

static void test_sweep_policies_share_each_replications_seed(void **unused)
{
    struct io_sweep *s = load(
        "<factor name=\"n\" path=\"radio/ue-group[0]@count\" values=\"1, 2\"/>\n"
        "<policies>local, joint split</policies>\n"
        "<replications count=\"2\" first-seed=\"41\"/>\n");
    static const char *const pol[] = {"local", "joint", "split"};
    struct io_sweep_point pt;

    assert_int_equal(io_sweep_n_points(s), 2 * 2 * 3);
    for (uint64_t i = 0; i < io_sweep_n_points(s); i++) {
        io_sweep_point(s, i, &pt);
        assert_int_equal(pt.index, i);
        assert_int_equal(pt.combination, i / 6);
        assert_int_equal(pt.replication, (i / 3) % 2);
        assert_int_equal(pt.seed, 41 + (i / 3) % 2);
        assert_string_equal(pt.policy, pol[i % 3]);
    }
    io_sweep_destroy(s);
}

static void test_sweep_defaults_are_one_replication_on_the_scenario_seed_and_joint(void **unused)
{
    struct io_sweep *s = load("<factor name=\"n\" path=\"radio/ue-group[0]@count\" "
                              "values=\"1\"/>\n<replications seeds=\"7, 3 9\"/>\n");
    struct io_sweep_point pt;

    assert_int_equal(io_sweep_n_replications(s), 3);
    io_sweep_point(s, 1, &pt);
    assert_int_equal(pt.seed, 3);
    assert_string_equal(pt.policy, "joint");
    io_sweep_destroy(s);
    s = load("<factor name=\"n\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n");
    io_sweep_point(s, 0, &pt);
    assert_int_equal(pt.seed, 1); /* fixed-link.xml's seed */
    assert_int_equal(io_sweep_n_policies(s), 1);
    assert_string_equal(io_sweep_name(s), "t");
    assert_int_equal(io_sweep_kind(s), IO_SCENARIO_COLLAB);
    io_sweep_destroy(s);
}

static void test_sweep_sequential_stopping_runs_seeds_from_first_up_to_max(void **unused)
{
    struct io_sweep *s = load("<factor name=\"n\" path=\"radio/ue-group[0]@count\" "
                              "values=\"1, 2\"/>\n<policies>local joint</policies>\n"
                              "<replications min=\"3\" max=\"7\" metric=\"p95_latency_s\" "
                              "rel-half-width=\"0.02\" first-seed=\"10\"/>\n");
    const struct io_sweep_stopping *st = io_sweep_stopping(s);
    struct io_sweep_point pt;

    assert_true(st->on);
    assert_int_equal(st->min, 3);
    assert_true(st->rel_half_width == 0.02);
    assert_string_equal(st->metric, "p95_latency_s");
    assert_int_equal(st->line, 5);
    assert_int_equal(io_sweep_n_replications(s), 7);
    assert_int_equal(io_sweep_n_points(s), 2 * 7 * 2);
    io_sweep_point(s, 2 * 7 * 2 - 1, &pt);
    assert_int_equal(pt.replication, 6);
    assert_int_equal(pt.seed, 16);
    io_sweep_destroy(s);
    s = load("<factor name=\"n\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n"
             "<replications count=\"2\"/>\n");
    assert_false(io_sweep_stopping(s)->on);
    io_sweep_destroy(s);
}

static void test_sweep_bad_sequential_stopping_is_an_error_at_its_line(void **unused)
{
    static const char factor[] = "<factor name=\"n\" path=\"radio/ue-group[0]@count\" "
                                 "values=\"1\"/>\n";
    char body[512];

    snprintf(body, sizeof(body), "%s<replications min=\"2\" max=\"4\" metric=\"accuracy\"/>\n",
             factor);
    rejects(body, 4, "rel-half-width missing");
    snprintf(body, sizeof(body),
             "%s<replications min=\"1\" max=\"4\" metric=\"accuracy\" "
             "rel-half-width=\"0.1\"/>\n",
             factor);
    rejects(body, 4, "min 1 is below 2");
    snprintf(body, sizeof(body),
             "%s<replications min=\"5\" max=\"4\" metric=\"accuracy\" "
             "rel-half-width=\"0.1\"/>\n",
             factor);
    rejects(body, 4, "max 4 is not in [min, ");
    snprintf(body, sizeof(body),
             "%s<replications min=\"2\" max=\"4\" metric=\"accuracy\" "
             "rel-half-width=\"-1\"/>\n",
             factor);
    rejects(body, 4, "rel-half-width '-1' is not a number > 0");
    snprintf(body, sizeof(body),
             "%s<replications min=\"2\" max=\"4\" metric=\"accuracy\" "
             "rel-half-width=\"0.1\" seeds=\"1 2\"/>\n",
             factor);
    rejects(body, 4, "it takes no seeds");
    snprintf(body, sizeof(body),
             "%s<replications min=\"2\" max=\"4\" metric=\"speed\" "
             "rel-half-width=\"0.1\"/>\n",
             factor);
    rejects(body, 4, "'speed' is not one of: mean_latency_s");
}

static void test_sweep_filter_names_cover_factors_policy_replication_and_seed(void **unused)
{
    struct io_sweep *s = load(
        "<factor name=\"up\" path=\"radio/ue-group[0]/link@ul-rate\" values=\"1 Mbps, 2 Mbps\"/>\n"
        "<policies>local joint</policies>\n<replications count=\"2\"/>\n");
    struct io_value v[4];
    struct io_expr *x = NULL;
    struct io_sweep_point pt;
    char why[256];
    size_t kept = 0;

    assert_int_equal(io_sweep_n_names(s), 4);
    assert_int_equal(io_expr_parse("policy == 'joint' and up > 1 Mbps and replication == 1 and "
                                   "seed == 2",
                                   io_sweep_names(s), io_sweep_n_names(s), &x, why, sizeof(why)),
                     CORE_OK);
    for (uint64_t i = 0; i < io_sweep_n_points(s); i++) {
        io_sweep_point(s, i, &pt);
        io_sweep_point_values(s, &pt, v);
        if (io_expr_eval(x, v)) {
            kept++;
            assert_int_equal(i, 7);
        }
    }
    assert_int_equal(kept, 1);
    io_expr_destroy(x);
    io_sweep_destroy(s);
}

static void test_sweep_bad_factors_are_errors_at_their_line(void **unused)
{
    rejects("<factor name=\"x\" path=\"radio/ue-group[5]@count\" values=\"1\"/>\n", 3,
            "factor 'x': path 'radio/ue-group[5]@count': no element ue-group[5]");
    rejects("<factor name=\"x\" path=\"radio@nope\" values=\"1\"/>\n", 3,
            "element 'radio' has no attribute 'nope'");
    rejects("\n<factor name=\"x\" path=\"radio/ue-group[0]@count\" values=\"1, -2\"/>\n", 4,
            "factor 'x': value '-2': --set radio/ue-group[0]@count=-2:");
    rejects("<factor name=\"x\" path=\"radio/ue-group[0]@count\" values=\"1,,2\"/>\n", 3,
            "an empty value");
    rejects("<factor name=\"x\" path=\"radio/ue-group[0]@count\" values=\"1, 2, 1\"/>\n", 3,
            "factor 'x': value '1' is listed twice");
    rejects("<factor name=\"x\" path=\"radio/ue-group[0]@count\" values=\"1\" from=\"1\"/>\n", 3,
            "give its values either as values=");
    rejects("<factor name=\"x\" path=\"radio/ue-group[0]@count\" from=\"1\" to=\"2\"/>\n", 3,
            "a range needs from, to and one of step or count");
    rejects("<factor name=\"x\" path=\"radio/ue-group[0]@count\" from=\"1\" to=\"2\" "
            "count=\"3\"/>\n",
            3, "the range gives 1.5, but 'radio/ue-group[0]@count' is an integer");
    rejects("<factor name=\"x\" path=\"radio/ue-group[0]@device\" from=\"1\" to=\"2\" "
            "count=\"3\"/>\n",
            3, "a range needs a numeric knob");
    rejects("<factor name=\"x\" path=\"radio/ue-group[0]/link@latency\" from=\"1 ms\" "
            "to=\"2 ms\" step=\"-1 ms\"/>\n",
            3, "step=\"-1 ms\" does not lead from 1 ms to 2 ms");
    rejects("<factor name=\"x\" path=\"radio/ue-group[0]/link@latency\" from=\"1 Hz\" "
            "to=\"2 ms\" count=\"2\"/>\n",
            3, "from=\"1 Hz\"");
    rejects("<factor name=\"x\" path=\"radio/ue-group[0]/link@ul-rate\" from=\"0\" "
            "to=\"2 Mbps\" count=\"2\" scale=\"log\"/>\n",
            3, "a log range needs from and to > 0");
    rejects("<factor name=\"seed\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n", 3,
            "factor name 'seed' is reserved");
    rejects("<factor name=\"s\" path=\"simulation@seed\" values=\"1\"/>\n", 3,
            "the seed is not a factor");
    rejects("<factor name=\"x\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n"
            "<factor name=\"x\" path=\"radio/ue-group[1]@count\" values=\"1\"/>\n",
            4, "factor 'x' is also named on line 3");
    rejects("<factor name=\"x\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n"
            "<factor name=\"y\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n",
            4, "is also factor 'x' (line 3)");
}

static void test_sweep_bad_zips_constraints_policies_and_seeds_are_errors(void **unused)
{
    rejects("<zip>\n"
            "  <factor name=\"a\" path=\"radio/ue-group[0]@count\" values=\"1, 2\"/>\n"
            "  <factor name=\"b\" path=\"radio/ue-group[1]@count\" values=\"1\"/>\n"
            "</zip>\n",
            3, "zipped factors move together, so they need as many values: 'a' has 2, 'b' has 1");
    rejects("<factor name=\"n\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n"
            "<constraint>n &gt; 1 ms</constraint>\n",
            4, "constraint \"n > 1 ms\": column 3: '>' compares a number with a time");
    rejects("<factor name=\"n\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n"
            "<constraint>policy == 'joint'</constraint>\n",
            4, "constraints are between factors");
    rejects("<factor name=\"n\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n"
            "<policies>joint fifo</policies>\n",
            4, "'fifo' is not a policy of");
    rejects("<factor name=\"n\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n"
            "<policies>joint joint</policies>\n",
            4, "policy 'joint' is named twice");
    rejects("<factor name=\"n\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n"
            "<replications seeds=\"1, 2, 1\"/>\n",
            4, "seed 1 is given twice");
    rejects("<factor name=\"n\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n"
            "<replications seeds=\"1\" count=\"2\"/>\n",
            4, "not both");
    rejects("<factor name=\"n\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n"
            "<replications count=\"2\" first-seed=\"18446744073709551615\"/>\n",
            4, "overflow");
}

static void test_sweep_schema_and_scenario_errors_name_the_file_and_line(void **unused)
{
    struct io_sweep *s = NULL;
    FILE *f;

    rejects("<factor name=\"n\" path=\"radio/ue-group[0]@count\"/>\n<bogus/>\n", 4,
            "bogus");
    rejects("<factor name=\"1n\" path=\"radio/ue-group[0]@count\" values=\"1\"/>\n", 3, "name");
    f = fopen(dir->path, "w");
    assert_non_null(f);
    fprintf(f, "<sweep scenario=\"missing.xml\">\n  <factor name=\"n\" path=\"a@b\" "
               "values=\"1\"/>\n</sweep>\n");
    fclose(f);
    assert_int_equal(io_sweep_load(dir->path, &s, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, ":1: scenario=\"missing.xml\": "));
    assert_non_null(strstr(err.msg, "missing.xml:0: cannot open"));
    f = fopen(dir->path, "w");
    assert_non_null(f);
    fprintf(f, "<sweep scenario=\"%s/scenarios/radio-7cells.xml\">\n  <factor name=\"n\" "
               "path=\"a@b\" values=\"1\"/>\n</sweep>\n",
            getenv("PWD") ? getenv("PWD") : ".");
    fclose(f);
    assert_int_equal(io_sweep_load(dir->path, &s, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, ":1: "));
    assert_non_null(strstr(err.msg, "is a radio scenario"));
    assert_true(io_file_is_sweep(dir->path));
    assert_false(io_file_is_sweep("scenarios/fixed-link.xml"));
}

static void test_sweep_out_of_memory_is_reported_and_leaks_nothing(void **unused)
{
    write_sweep("<zip>\n"
                "  <factor name=\"a\" path=\"radio/ue-group[0]@count\" values=\"1, 2\"/>\n"
                "  <factor name=\"b\" path=\"radio/ue-group[1]@count\" from=\"1\" to=\"2\" "
                "count=\"2\"/>\n"
                "</zip>\n"
                "<constraint>a + b &gt; 1</constraint>\n<policies>local joint</policies>\n"
                "<replications seeds=\"1 2\"/>\n");
    for (unsigned long k = 1;; k++) {
        struct io_sweep *s = NULL;
        enum core_rc rc;

        core_alloc_fail_after(k);
        rc = io_sweep_load(dir->path, &s, &err);
        core_alloc_fail_after(0);
        if (rc == CORE_OK) {
            assert_int_equal(io_sweep_n_points(s), 2 * 2 * 2);
            io_sweep_destroy(s);
            break;
        }
        assert_int_equal(rc, CORE_E_NOMEM);
        assert_null(s);
        assert_true(k < 100000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_sweep_value_lists_keep_the_text_as_written),
        TEST(test_sweep_ranges_by_count_and_step_linear_and_log),
        TEST(test_sweep_zipped_factors_move_together),
        TEST(test_sweep_constraints_keep_only_the_combinations_they_hold_for),
        TEST(test_sweep_policies_share_each_replications_seed),
        TEST(test_sweep_defaults_are_one_replication_on_the_scenario_seed_and_joint),
        TEST(test_sweep_sequential_stopping_runs_seeds_from_first_up_to_max),
        TEST(test_sweep_bad_sequential_stopping_is_an_error_at_its_line),
        TEST(test_sweep_filter_names_cover_factors_policy_replication_and_seed),
        TEST(test_sweep_bad_factors_are_errors_at_their_line),
        TEST(test_sweep_bad_zips_constraints_policies_and_seeds_are_errors),
        TEST(test_sweep_schema_and_scenario_errors_name_the_file_and_line),
        TEST(test_sweep_out_of_memory_is_reported_and_leaks_nothing),
    };

    core_init();
    return cmocka_run_group_tests(tests, setup, teardown);
}
