/*
 * test_collab_summary.c — the per-policy summary of collaborative inferences
 * against figures computed by hand: ten inferences with latencies 1..10 s
 * (exact R type 7 quantiles), energies, deadline, decline, override and
 * accuracy counts; the same figures whatever the batches and their order;
 * an empty summary; growth of the latency array past its first allocation;
 * an allocation failure that adds nothing; and both printed layouts
 * (one line per policy, one column per policy), captured with
 * open_memstream and checked token by token.
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

#include "testutil.h"

#include "run/run.h"

#define MAX_TOKENS 16

static struct core_err err;

/* Ten inferences, by hand:
 *   latency i + 1 s for i = 0..9, in the scrambled order of `order`;
 *   UE energy 0.1 (i + 1) J: mean 0.55 J; edge energy 2 J each: mean 2 J;
 *   deadline met when latency <= 7 s: 7 of 10, ratio 0.7;
 *   declined: latencies 1 and 2 (2); overridden: latency 6 (1);
 *   correct known for latencies 3 (1), 4 (0), 5 (1): accuracy 2/3.
 * Sorted latencies 1..10, R type 7 at h = 9 p: p50 5.5, p95 9.55, p99 9.91;
 * mean 5.5 s. */
static void make_rows(struct proto_outcome rows[10])
{
    static const int order[10] = {7, 2, 9, 0, 5, 1, 8, 3, 6, 4};
    int k;

    memset(rows, 0, 10 * sizeof(*rows));
    for (k = 0; k < 10; k++) {
        struct proto_outcome *r = &rows[k];
        int i = order[k];

        r->inference_id = (uint64_t)k;
        r->finished = true;
        r->latency_s = (double)(i + 1);
        r->ue_energy_j = 0.1 * (double)(i + 1);
        r->edge_energy_j = 2.0;
        r->deadline_met = i + 1 <= 7;
        r->declined = i < 2;
        r->overridden = i == 5;
        r->correct = i == 2 ? 1 : i == 3 ? 0 : i == 4 ? 1 : -1;
    }
}

static void expect_known_figures(const struct run_summary *s)
{
    assert_int_equal(s->count, 10);
    assert_int_equal(s->declined, 2);
    assert_int_equal(s->overridden, 1);
    assert_int_equal(s->deadline_met, 7);
    assert_int_equal(s->correct_known, 3);
    assert_int_equal(s->correct, 2);
    assert_near(s->mean_latency_s, 5.5, 1e-12);
    assert_near(s->p50_latency_s, 5.5, 1e-12);
    assert_near(s->p95_latency_s, 9.55, 1e-12);
    assert_near(s->p99_latency_s, 9.91, 1e-12);
    assert_near(s->mean_ue_energy_j, 0.55, 1e-12);
    assert_near(s->mean_edge_energy_j, 2.0, 1e-12);
    assert_near(s->deadline_ratio, 0.7, 1e-12);
    assert_near(s->accuracy, 2.0 / 3.0, 1e-12);
}

static void test_collab_summary_known_rows_give_hand_computed_figures(void **state)
{
    struct proto_outcome rows[10];
    struct run_summary s;

    make_rows(rows);
    run_summary_init(&s, "oracle", 3);
    assert_core_rc(run_summary_add(&s, rows, 10, &err), CORE_OK);
    run_summary_finish(&s);
    run_summary_fini(&s);
    /* The figures outlive the latencies. */
    assert_null(s.latency_s);
    assert_string_equal(s.policy, "oracle");
    assert_int_equal(s.run_id, 3);
    expect_known_figures(&s);
}

static void test_collab_summary_batches_in_any_split_give_the_same_figures(void **state)
{
    struct proto_outcome rows[10];
    struct run_summary s;
    size_t i;

    make_rows(rows);
    run_summary_init(&s, "split", 0);
    /* One row, then three, then none, then six; finish in between changes nothing. */
    assert_core_rc(run_summary_add(&s, rows, 1, &err), CORE_OK);
    assert_core_rc(run_summary_add(&s, rows + 1, 3, &err), CORE_OK);
    run_summary_finish(&s);
    assert_near(s.mean_latency_s, (8.0 + 3.0 + 10.0 + 1.0) / 4.0, 1e-12);
    assert_core_rc(run_summary_add(&s, rows + 4, 0, &err), CORE_OK);
    assert_core_rc(run_summary_add(&s, rows + 4, 6, &err), CORE_OK);
    run_summary_finish(&s);
    expect_known_figures(&s);
    for (i = 1; i < s.count; i++)
        assert_true(s.latency_s[i - 1] <= s.latency_s[i]);
    run_summary_fini(&s);
}

static void test_collab_summary_empty_has_no_figures(void **state)
{
    struct run_summary s;

    run_summary_init(&s, "local", 0);
    run_summary_finish(&s);
    assert_int_equal(s.count, 0);
    assert_true(isnan(s.mean_latency_s));
    assert_true(isnan(s.p50_latency_s));
    assert_true(isnan(s.p99_latency_s));
    assert_true(isnan(s.mean_ue_energy_j));
    assert_true(isnan(s.deadline_ratio));
    assert_true(isnan(s.accuracy));
    run_summary_fini(&s);
}

static void test_collab_summary_grows_past_its_first_allocation(void **state)
{
    enum { N = 5000 };
    struct proto_outcome *rows = calloc(N, sizeof(*rows));
    struct run_summary s;
    long live0 = core_alloc_live();
    size_t i;

    assert_non_null(rows);
    for (i = 0; i < N; i++) {
        rows[i].finished = true;
        rows[i].latency_s = (double)(N - 1 - i); /* descending: 4999 .. 0 */
        rows[i].correct = -1;
    }
    run_summary_init(&s, "random", 0);
    for (i = 0; i < N; i += 700)
        assert_core_rc(run_summary_add(&s, rows + i, i + 700 <= N ? 700 : N - i, &err),
                       CORE_OK);
    run_summary_finish(&s);
    assert_int_equal(s.count, N);
    assert_true(s.capacity >= N);
    /* 0 .. 4999: h = 4999 p. */
    assert_near(s.p50_latency_s, 2499.5, 1e-9);
    assert_near(s.p95_latency_s, 4749.05, 1e-9);
    assert_near(s.p99_latency_s, 4949.01, 1e-9);
    assert_near(s.mean_latency_s, 2499.5, 1e-9);
    assert_true(isnan(s.accuracy));
    assert_int_equal(core_alloc_live(), live0 + 1);
    run_summary_fini(&s);
    assert_int_equal(core_alloc_live(), live0);
    free(rows);
}

static void test_collab_summary_out_of_memory_adds_nothing(void **state)
{
    struct proto_outcome rows[10];
    struct run_summary s;
    long live0 = core_alloc_live();

    make_rows(rows);
    run_summary_init(&s, "edge", 0);
    core_alloc_fail_after(1);
    core_err_clear(&err);
    assert_core_rc(run_summary_add(&s, rows, 10, &err), CORE_E_NOMEM);
    core_alloc_fail_after(0);
    assert_non_null(strstr(err.msg, "out of memory"));
    assert_int_equal(s.count, 0);
    assert_int_equal(s.declined, 0);
    assert_near(s.sum_latency_s, 0.0, 0.0);
    assert_int_equal(core_alloc_live(), live0);
    /* And it works afterwards. */
    assert_core_rc(run_summary_add(&s, rows, 10, &err), CORE_OK);
    run_summary_finish(&s);
    expect_known_figures(&s);
    run_summary_fini(&s);
    assert_int_equal(core_alloc_live(), live0);
}

static void test_collab_summary_long_policy_name_is_truncated(void **state)
{
    struct run_summary s;

    run_summary_init(&s, "a-policy-name-much-longer-than-the-field-holds", 0);
    assert_int_equal(strlen(s.policy), RUN_POLICY_NAME_MAX - 1);
    assert_memory_equal(s.policy, "a-policy-name-much-longer-than-", RUN_POLICY_NAME_MAX - 1);
    run_summary_fini(&s);
}

/* ---- printing ---------------------------------------------------------------- */

/* open_memstream's buffer: file scope, so that it outlives capture(). */
static char *captured;
static size_t captured_len;

/* Print with fn into a string (malloc'd; the caller frees it). */
static char *capture(void (*fn)(FILE *, const struct run_summary *, size_t),
                     const struct run_summary *s, size_t n)
{
    FILE *fp;

    captured = NULL;
    fp = open_memstream(&captured, &captured_len);
    assert_non_null(fp);
    fn(fp, s, n);
    fclose(fp);
    return captured;
}

/* The whitespace-separated tokens of the line of text starting with first;
 * returns their count (0 when no line starts so). */
static size_t line_tokens(const char *text, const char *first, char tokens[MAX_TOKENS][64])
{
    const char *p = text;
    size_t n = 0;

    while (p && *p) {
        const char *end = strchr(p, '\n');
        char line[1024], *tok, *save;

        snprintf(line, sizeof(line), "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
        p = end ? end + 1 : NULL;
        tok = strtok_r(line, " ", &save);
        if (!tok || strcmp(tok, first) != 0)
            continue;
        while (tok && n < MAX_TOKENS) {
            snprintf(tokens[n++], 64, "%s", tok);
            tok = strtok_r(NULL, " ", &save);
        }
        return n;
    }
    return 0;
}

static void expect_line(const char *text, const char *first, const char *const *want, size_t n)
{
    char got[MAX_TOKENS][64];
    size_t m = line_tokens(text, first, got), i;

    if (m != n)
        fprintf(stderr, "line '%s': %zu tokens, want %zu; text:\n%s", first, m, n, text);
    assert_int_equal(m, n);
    for (i = 0; i < n; i++) {
        if (strcmp(got[i], want[i]) != 0)
            fprintf(stderr, "line '%s' token %zu: '%s', want '%s'; text:\n%s", first, i, got[i],
                    want[i], text);
        assert_string_equal(got[i], want[i]);
    }
}

/* The known summary as "oracle" (run 3) and an empty one as "local" (run 4). */
static void make_two(struct run_summary s[2])
{
    struct proto_outcome rows[10];

    make_rows(rows);
    run_summary_init(&s[0], "oracle", 3);
    assert_core_rc(run_summary_add(&s[0], rows, 10, &err), CORE_OK);
    run_summary_finish(&s[0]);
    run_summary_fini(&s[0]);
    run_summary_init(&s[1], "local", 4);
    run_summary_finish(&s[1]);
}

static void test_collab_summary_prints_one_aligned_line_per_policy(void **state)
{
    static const char *const header[] = {"run_id",
                                         "policy",
                                         "inferences",
                                         "unfinished",
                                         "no_plan",
                                         "mean_latency_s",
                                         "p50_latency_s",
                                         "p95_latency_s",
                                         "p99_latency_s",
                                         "mean_ue_energy_j",
                                         "mean_edge_energy_j",
                                         "deadline_hit_ratio",
                                         "declined",
                                         "overridden",
                                         "accuracy"};
    static const char *const oracle[] = {"3",    "oracle", "10", "0",   "0", "5.5", "5.5", "9.55",
                                         "9.91", "0.55",   "2",  "0.7", "2", "1",   "0.666667"};
    static const char *const local[] = {"4", "local", "0", "0", "0", "-", "-", "-",
                                        "-", "-",     "-", "-", "0", "0", "-"};
    struct run_summary s[2];
    char *text, *second;
    const char *p95;

    make_two(s);
    text = capture(run_summary_print, s, 2);
    expect_line(text, "run_id", header, ARRAY_LEN(header));
    expect_line(text, "3", oracle, ARRAY_LEN(oracle));
    expect_line(text, "4", local, ARRAY_LEN(local));
    /* Aligned: each line has the same length, and 9.55 ends where its header does. */
    second = strchr(text, '\n') + 1;
    assert_int_equal(strchr(second, '\n') - second, strchr(text, '\n') - text);
    p95 = strstr(second, "9.55");
    assert_non_null(p95);
    assert_int_equal(p95 + 4 - second, strstr(text, "p95_latency_s") + 13 - text);
    free(text);

    /* Without run ids there is no run_id column. */
    s[0].run_id = 0;
    s[1].run_id = 0;
    text = capture(run_summary_print, s, 2);
    expect_line(text, "policy", header + 1, ARRAY_LEN(header) - 1);
    expect_line(text, "oracle", oracle + 1, ARRAY_LEN(oracle) - 1);
    free(text);
}

static void test_collab_summary_prints_policies_side_by_side(void **state)
{
    static const char *const policy[] = {"policy", "oracle", "local"};
    static const char *const p95[] = {"p95_latency_s", "9.55", "-"};
    static const char *const declined[] = {"declined", "2", "0"};
    static const char *const accuracy[] = {"accuracy", "0.666667", "-"};
    struct run_summary s[2];
    char *text;

    make_two(s);
    text = capture(run_summary_print_columns, s, 2);
    expect_line(text, "run_id", (const char *const[]){"run_id", "3", "4"}, 3);
    expect_line(text, "policy", policy, ARRAY_LEN(policy));
    expect_line(text, "p95_latency_s", p95, ARRAY_LEN(p95));
    expect_line(text, "declined", declined, ARRAY_LEN(declined));
    expect_line(text, "accuracy", accuracy, ARRAY_LEN(accuracy));
    /* Fifteen lines, all of one length. */
    {
        const char *p = text, *end;
        size_t lines = 0, width = strchr(text, '\n') - text;

        while ((end = strchr(p, '\n')) != NULL) {
            assert_int_equal(end - p, width);
            lines++;
            p = end + 1;
        }
        assert_int_equal(lines, 15);
    }
    free(text);
}

/* The ten known rows and three unfinished ones (latency NAN, 9 J each): the
 * count and the deadline ratio take all thirteen (an unfinished inference
 * missed its deadline), latency and energy the ten finished; the printed
 * table says so. */
static void test_collab_summary_counts_unfinished_but_averages_the_finished(void **state)
{
    struct proto_outcome rows[13];
    struct run_summary s;
    char *text;

    make_rows(rows);
    memset(&rows[10], 0, 3 * sizeof(rows[0]));
    for (int k = 10; k < 13; k++) {
        rows[k].inference_id = (uint64_t)k;
        rows[k].stage = "at-edge";
        rows[k].latency_s = NAN;
        rows[k].t_done_s = NAN;
        rows[k].ue_energy_j = 9.0;
        rows[k].edge_energy_j = 9.0;
        rows[k].correct = -1;
    }
    run_summary_init(&s, "random", 5);
    assert_core_rc(run_summary_add(&s, rows, 13, &err), CORE_OK);
    run_summary_finish(&s);
    assert_int_equal(s.count, 13);
    assert_int_equal(s.unfinished, 3);
    assert_near(s.mean_latency_s, 5.5, 1e-12);
    assert_near(s.p99_latency_s, 9.91, 1e-12);
    assert_near(s.mean_ue_energy_j, 0.55, 1e-12);
    assert_near(s.mean_edge_energy_j, 2.0, 1e-12);
    assert_near(s.deadline_ratio, 7.0 / 13.0, 1e-12);
    text = capture(run_summary_print, &s, 1);
    expect_line(text, "5", (const char *const[]){"5", "random", "13", "3", "0", "5.5", "5.5",
                                                 "9.55", "9.91", "0.55", "2", "0.538462", "2",
                                                 "1", "0.666667"},
                15);
    assert_non_null(strstr(text, "over the finished inferences only"));
    free(text);
    run_summary_fini(&s);
}

/* Two rows that ended with no plan beside the ten known ones: counted apart
 * from the unfinished, missed deadlines, out of the means. */
static void test_collab_summary_counts_no_plan_apart(void **state)
{
    struct proto_outcome rows[12];
    struct run_summary s;
    char *text;

    make_rows(rows);
    memset(&rows[10], 0, 2 * sizeof(rows[0]));
    for (int k = 10; k < 12; k++) {
        rows[k].inference_id = (uint64_t)k;
        rows[k].stage = "no-plan";
        rows[k].no_plan = true;
        rows[k].no_plan_layer = 7;
        rows[k].declined = true;
        rows[k].latency_s = NAN;
        rows[k].t_done_s = NAN;
        rows[k].ue_energy_j = 9.0;
        rows[k].correct = -1;
    }
    run_summary_init(&s, "joint", 6);
    assert_core_rc(run_summary_add(&s, rows, 12, &err), CORE_OK);
    run_summary_finish(&s);
    assert_int_equal(s.count, 12);
    assert_int_equal(s.unfinished, 0);
    assert_int_equal(s.no_plan, 2);
    assert_int_equal(s.declined, 4);
    assert_near(s.mean_latency_s, 5.5, 1e-12);
    assert_near(s.mean_ue_energy_j, 0.55, 1e-12);
    assert_near(s.deadline_ratio, 7.0 / 12.0, 1e-12);
    text = capture(run_summary_print, &s, 1);
    assert_non_null(strstr(text, "over the finished inferences only"));
    free(text);
    run_summary_fini(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_collab_summary_known_rows_give_hand_computed_figures),
        TEST(test_collab_summary_batches_in_any_split_give_the_same_figures),
        TEST(test_collab_summary_empty_has_no_figures),
        TEST(test_collab_summary_grows_past_its_first_allocation),
        TEST(test_collab_summary_out_of_memory_adds_nothing),
        TEST(test_collab_summary_counts_unfinished_but_averages_the_finished),
        TEST(test_collab_summary_counts_no_plan_apart),
        TEST(test_collab_summary_long_policy_name_is_truncated),
        TEST(test_collab_summary_prints_one_aligned_line_per_policy),
        TEST(test_collab_summary_prints_policies_side_by_side),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
