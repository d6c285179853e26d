/*
 * test_sweep_stats.c — the per-point statistics of sweeps: the metric names
 * the report, export, plot and sequential stopping use are exactly those
 * scenarios/sweep.xsd lets a sweep file name (its sweep-metric type), each
 * with its SI unit; the 95 % t half-width and the paired differences over
 * common seeds have their textbook values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/run_int.h"

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_sweep_metrics_are_the_ones_the_schema_names(void **unused)
{
    char *xsd = read_text("scenarios/sweep.xsd");
    const char *type = strstr(xsd, "<xs:simpleType name=\"sweep-metric\">");
    const char *end = type ? strstr(type, "</xs:simpleType>") : NULL;
    size_t in_schema = 0;
    char want[128];

    assert_non_null(type);
    assert_non_null(end);
    for (const char *p = type; (p = strstr(p, "<xs:enumeration")) && p < end; p++)
        in_schema++;
    assert_int_equal(in_schema, RUN_M_COUNT);
    for (size_t m = 0; m < RUN_M_COUNT; m++) {
        snprintf(want, sizeof(want), "<xs:enumeration value=\"%s\"/>", run_sweep_metric_names[m]);
        if (!strstr(type, want) || strstr(type, want) > end)
            fail_msg("the schema's sweep-metric lacks %s", run_sweep_metric_names[m]);
        assert_int_equal(run_sweep_metric_of(run_sweep_metric_names[m]), m);
        /* the unit is the name's suffix (_s, _j) or 1 for a ratio */
        const char *unit = run_sweep_metric_unit((enum run_sweep_metric)m);
        size_t len = strlen(run_sweep_metric_names[m]);
        const char *suffix = run_sweep_metric_names[m] + len - 2;

        assert_string_equal(unit, strcmp(suffix, "_s") == 0   ? "s"
                                  : strcmp(suffix, "_j") == 0 ? "J"
                                                              : "1");
    }
    assert_int_equal(run_sweep_metric_of("speed"), RUN_M_COUNT);
    free(xsd);
}

static void test_sweep_paired_differences_match_by_seed(void **unused)
{
    struct run_sweep_rep a[3] = {{.replication = 0, .seed = 5}, {.replication = 1, .seed = 6},
                                 {.replication = 2, .seed = 7}};
    struct run_sweep_rep b[3] = {{.replication = 2, .seed = 7}, {.replication = 0, .seed = 5},
                                 {.replication = 1, .seed = 6}};
    struct run_sweep_group g = {.reps = a, .n_reps = 3}, ref = {.reps = b, .n_reps = 3};
    struct core_stats d;
    double half;

    /* a - b by seed: 5 -> 1.0, 6 -> 2.0, 7 -> 3.0 (NAN in one run leaves its seed out) */
    a[0].m[RUN_M_MEAN_LATENCY] = 11.0, b[1].m[RUN_M_MEAN_LATENCY] = 10.0;
    a[1].m[RUN_M_MEAN_LATENCY] = 22.0, b[2].m[RUN_M_MEAN_LATENCY] = 20.0;
    a[2].m[RUN_M_MEAN_LATENCY] = 33.0, b[0].m[RUN_M_MEAN_LATENCY] = 30.0;
    run_sweep_paired(&g, &ref, RUN_M_MEAN_LATENCY, &d);
    assert_int_equal(d.n, 3);
    assert_true(fabs(d.mean - 2.0) < 1e-12);
    /* sd 1, t(0.975, 2) = 4.302652729911275: half-width 4.3027 / sqrt(3) */
    half = run_ci95_half_width(&d);
    assert_true(fabs(half - 4.302652729911275 / sqrt(3.0)) < 1e-9);
    b[0].m[RUN_M_MEAN_LATENCY] = NAN;
    run_sweep_paired(&g, &ref, RUN_M_MEAN_LATENCY, &d);
    assert_int_equal(d.n, 2);
    assert_true(isnan(run_ci95_half_width(&(struct core_stats){.n = 1})));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_metrics_are_the_ones_the_schema_names),
        cmocka_unit_test(test_sweep_paired_differences_match_by_seed),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
