/*
 * test_report.c — `coinfer report` against databases whose statistics are
 * known by hand: the runs table, the requests table's mean, quantiles,
 * throughput and utilisation, several runs with their statuses, an empty
 * database, the profiles, the per-policy summary of runs that recorded
 * inferences (next to a queue run whose output stays as it was), the
 * uplink encodings' shares per run (only once one is not fp32), and the
 * errors (missing file, not a database, newer schema, out of memory). The
 * report is captured with open_memstream and checked token by token on the
 * line of each run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "run/run.h"

#define MAX_TOKENS 16

struct fixture {
    struct testutil_dir *tmp; /* the test's directory, path = dir/results.db */
    char *out;                /* the captured report (malloc'd by open_memstream) */
    size_t out_len;           /* its length, bytes */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    f->tmp = testutil_dir_create("report", "results.db");
    if (!f->tmp) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    core_alloc_fail_after(0);
    testutil_dir_destroy(f->tmp);
    free(f->out);
    free(f);
    return 0;
}

/* Run run_report into f->out; returns its code. */
static enum core_rc report(struct fixture *f, struct core_err *e)
{
    FILE *fp;
    enum core_rc rc;

    free(f->out);
    f->out = NULL;
    fp = open_memstream(&f->out, &f->out_len);
    assert_non_null(fp);
    core_err_clear(e);
    rc = run_report(f->tmp->path, RUN_REPORT_BY_RUN, fp, e);
    fclose(fp);
    return rc;
}

/* Split the line of text that starts with `first` as its first token into
 * tokens[]; returns the count, 0 if no line under the header `section`
 * starts so. */
static size_t line_tokens(const char *text, const char *section, const char *first,
                          char tokens[MAX_TOKENS][64])
{
    const char *p = strstr(text, section);
    size_t n = 0;

    if (!p)
        return 0;
    while ((p = strchr(p, '\n')) != NULL) {
        char line[1024], *tok, *save;
        const char *end;

        p++;
        end = strchr(p, '\n');
        if (!end || end == p)
            return 0; /* end of the section */
        snprintf(line, sizeof(line), "%.*s", (int)(end - p), p);
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

static void expect_tokens(const char *report_text, const char *section, const char *first,
                          const char *const *want, size_t n_want)
{
    char got[MAX_TOKENS][64];
    size_t n = line_tokens(report_text, section, first, got), i;

    if (n != n_want)
        fprintf(stderr, "line '%s' of '%s': %zu tokens, want %zu; report:\n%s", first, section, n,
                n_want, report_text);
    assert_int_equal(n, n_want);
    for (i = 0; i < n; i++) {
        if (want[i] && strcmp(got[i], want[i]) != 0)
            fprintf(stderr, "token %zu: got '%s', want '%s'; report:\n%s", i, got[i], want[i],
                    report_text);
        if (want[i])
            assert_string_equal(got[i], want[i]);
    }
}

static const struct db_run_info run_info = {
    .scenario = "mm1",
    .scenario_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    .policy = "fifo",
    .seed = 42,
    .version = "v-test",
};

/* Five requests on one unit, by hand:
 *   id  arrival  start  done   wait  service  sojourn
 *    0    0       0      1     0     1        1
 *    1    1       1      2     0     1        1      (starts as 0 ends: one unit)
 *    2    1.5     2      3     0.5   1        1.5
 *    3    2       3      4     1     1        2
 *    4    6       6     10     0     4        4
 * sojourn sorted 1 1 1.5 2 4: mean 1.9, p50 1.5, p95 2 + 0.8 * 2 = 3.6,
 * p99 2 + 0.96 * 2 = 3.92; mean wait 0.3, mean service 1.6; span 10 s:
 * throughput 0.5 Hz; busy 8 s on one unit: utilisation 0.8. */
static const struct proto_request_record known_rows[] = {
    {0, 0, 0, 0.0, 0.0, 1.0}, {1, 1, 0, 1.0, 1.0, 2.0},  {2, 0, 0, 1.5, 2.0, 3.0},
    {3, 2, 0, 2.0, 3.0, 4.0}, {4, 1, 0, 6.0, 6.0, 10.0},
};
static const char *const known_stats[] = {"1",    "5",   "1.9", "1.5", "3.6",
                                          "3.92", "0.3", "1.6", "0.5", "0.8"};

static int64_t make_known_run(const char *path, const char *status)
{
    struct core_err e;
    struct db *db = db_open(path, &e);
    int64_t run_id;

    assert_non_null(db);
    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    assert_int_equal(db_insert_requests(db, run_id, known_rows, ARRAY_LEN(known_rows), &e),
                     CORE_OK);
    if (status)
        assert_int_equal(db_run_end(db, run_id, status, &e), CORE_OK);
    db_close(db);
    return run_id;
}

static void test_report_known_run_prints_its_statistics(void **state)
{
    struct fixture *f = *state;
    static const char *const want_run[] = {"1",  "mm1", "fifo", "42",    "complete",
                                           NULL, NULL,  "5",    "v-test"};
    long live0 = core_alloc_live();
    struct core_err e;

    assert_int_equal(make_known_run(f->tmp->path, "complete"), 1);
    assert_int_equal(report(f, &e), CORE_OK);
    expect_tokens(f->out, "\nruns:", "1", want_run, ARRAY_LEN(want_run));
    expect_tokens(f->out, "\nrequests", "1", known_stats, ARRAY_LEN(known_stats));
    assert_non_null(strstr(f->out, "run_id  scenario  policy  seed  status"));
    assert_non_null(strstr(f->out, "sojourn_p99_s"));
    assert_non_null(strstr(f->out, "\n1 run\n"));
    assert_null(strstr(f->out, "\ninferences"));
    assert_int_equal(core_alloc_live(), live0);
}

/* Insert rows as one run ended 'complete'; returns its id. */
static int64_t make_run(const char *path, const struct proto_request_record *rows, size_t n)
{
    struct core_err e;
    struct db *db = db_open(path, &e);
    int64_t run_id;

    assert_non_null(db);
    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    assert_int_equal(db_insert_requests(db, run_id, rows, n, &e), CORE_OK);
    assert_int_equal(db_run_end(db, run_id, "complete", &e), CORE_OK);
    db_close(db);
    return run_id;
}

/* Five samples of two UEs, by hand: ul SINR 0 1 2 3 4 dB, dl SINR 10 20 30 40
 * 50 dB, ul rate 1e6 .. 5e6 bit/s, dl rate 2e6 .. 10e6 bit/s (step 2e6).
 * R type 7: p5 = x1 + 0.2 (x2 - x1), p50 = x3, p95 = x4 + 0.8 (x5 - x4). */
static void test_report_radio_samples_show_sinr_and_rate_percentiles(void **state)
{
    struct fixture *f = *state;
    static const char *const want[] = {"2",     "5",       "2",       "0.2",   "2",
                                       "3.8",   "12",      "30",      "48",    "1.2e+06",
                                       "3e+06", "4.8e+06", "2.4e+06", "6e+06", "9.6e+06"};
    struct radio_sample rows[5];
    char tokens[MAX_TOKENS][64];
    long live0 = core_alloc_live();
    struct core_err e;
    struct db *db;
    int64_t run_id;

    make_known_run(f->tmp->path, "complete");
    for (int i = 0; i < 5; i++) {
        rows[i] = (struct radio_sample){
            .ue = (uint32_t)(i % 2),
            .t_s = (double)(i / 2),
            .cell = 0,
            .ul_sinr_db = i,
            .dl_sinr_db = 10.0 * (i + 1),
            .ul_cqi = 3,
            .dl_cqi = 9,
            .ul_rate_bps = 1e6 * (i + 1),
            .dl_rate_bps = 2e6 * (i + 1),
        };
    }
    db = db_open(f->tmp->path, &e);
    assert_non_null(db);
    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    assert_int_equal(run_id, 2);
    assert_int_equal(db_insert_radio_samples(db, run_id, rows, 5, &e), CORE_OK);
    assert_int_equal(db_run_end(db, run_id, "complete", &e), CORE_OK);
    db_close(db);
    assert_int_equal(report(f, &e), CORE_OK);
    expect_tokens(f->out, "\nradio samples", "2", want, ARRAY_LEN(want));
    /* The queue run has no radio line. */
    assert_int_equal(line_tokens(f->out, "\nradio samples", "1", tokens), 0);
    assert_non_null(strstr(f->out, "dl_rate_p95_bps"));
    assert_int_equal(core_alloc_live(), live0);
}

static void test_report_utilisation_divides_by_units_seen_busy_at_once(void **state)
{
    struct fixture *f = *state;
    /* Two units: requests 0 and 1 in service together on [0, 2], request 2
     * on [2, 4]. Busy 6 s over a 4 s span on 2 units: 0.75; 3 requests in
     * 4 s: 0.75 Hz; sojourn 2 s each. */
    static const struct proto_request_record two_units[] = {
        {0, 0, 0, 0.0, 0.0, 2.0},
        {1, 1, 0, 0.0, 0.0, 2.0},
        {2, 2, 0, 2.0, 2.0, 4.0},
    };
    /* One instantaneous request: no span, so no throughput or utilisation. */
    static const struct proto_request_record instant[] = {{0, 0, 0, 5.0, 5.0, 5.0}};
    static const char *const want_two[] = {"1", "3", "2", "2", "2", "2", "0", "2", "0.75", "0.75"};
    static const char *const want_instant[] = {"2", "1", "0", "0", "0", "0", "0", "0", "-", "-"};
    struct core_err e;

    assert_int_equal(make_run(f->tmp->path, two_units, ARRAY_LEN(two_units)), 1);
    assert_int_equal(make_run(f->tmp->path, instant, ARRAY_LEN(instant)), 2);
    assert_int_equal(report(f, &e), CORE_OK);
    expect_tokens(f->out, "\nrequests", "1", want_two, ARRAY_LEN(want_two));
    expect_tokens(f->out, "\nrequests", "2", want_instant, ARRAY_LEN(want_instant));
}

static void test_report_several_runs_show_each_status_and_seed(void **state)
{
    struct fixture *f = *state;
    static const char *const want_running[] = {
        "2", "mm1", "fifo", "18446744073709551615", "running", NULL, "-", "0", "v-test"};
    static const char *const want_failed[] = {"3",  "mm1", "fifo", "42",    "failed",
                                              NULL, NULL,  "5",    "v-test"};
    struct db_run_info big_seed = run_info;
    struct core_err e;
    struct db *db;
    int64_t id;
    const char *want_stats[ARRAY_LEN(known_stats)];
    char got[MAX_TOKENS][64];

    make_known_run(f->tmp->path, "complete");
    db = db_open(f->tmp->path, &e);
    assert_non_null(db);
    big_seed.seed = UINT64_MAX;
    assert_int_equal(db_run_begin(db, &big_seed, &id, &e), CORE_OK);
    db_close(db);
    make_known_run(f->tmp->path, "failed");

    assert_int_equal(report(f, &e), CORE_OK);
    expect_tokens(f->out, "\nruns:", "2", want_running, ARRAY_LEN(want_running));
    expect_tokens(f->out, "\nruns:", "3", want_failed, ARRAY_LEN(want_failed));
    /* Run 3 has the known statistics; run 2 recorded nothing, so no line. */
    memcpy(want_stats, known_stats, sizeof(want_stats));
    want_stats[0] = "3";
    expect_tokens(f->out, "\nrequests", "3", want_stats, ARRAY_LEN(want_stats));
    assert_int_equal(line_tokens(f->out, "\nrequests", "2", got), 0);
    assert_non_null(strstr(f->out, "\n3 runs\n"));
}

static void test_report_database_without_runs_says_no_runs(void **state)
{
    struct fixture *f = *state;
    struct core_err e;

    db_close(db_open(f->tmp->path, &e));
    assert_int_equal(report(f, &e), CORE_OK);
    assert_non_null(strstr(f->out, "no runs"));
    assert_null(strstr(f->out, "requests"));
}

static void test_report_profiles_show_one_line_per_profile_with_or_without_runs(void **state)
{
    static const struct db_profile_row rows[] = {
        {.model = "tiny", .layer_index = 0, .layer_name = "conv", .layer_type = "conv2d",
         .resource = "host-cpu", .threads = 2, .flops = 100, .params = 10, .out_bytes = 40,
         .latency_s = 0.25, .reps = 5, .latency_min_s = 0.125, .latency_max_s = 0.5},
        {.model = "tiny", .layer_index = 1, .layer_name = "fc", .layer_type = "fc",
         .resource = "host-cpu", .threads = 2, .flops = 20, .params = 11, .out_bytes = 8,
         .latency_s = 0.5, .reps = 5, .latency_min_s = 0.25, .latency_max_s = 1.0},
        {.model = "tiny", .layer_index = -1, .layer_name = "total", .layer_type = "total",
         .resource = "host-cpu", .threads = 2, .flops = 120, .params = 21, .out_bytes = 8,
         .latency_s = 0.75, .reps = 5, .latency_min_s = 0.5, .latency_max_s = 1.5},
    };
    /* profiled_at, then the host key: none for rows recorded without one */
    static const char *const want[] = {"tiny", "host-cpu", "2", "2", "5", "0.75", "120", "21",
                                       NULL, "-"};
    static const char *const want_keyed[] = {"small", "host-cpu", "2", "2", "5", "0.75", "120",
                                             "21", NULL, "amd-epyc:haswell:2t"};
    static const struct db_profile_host host = {"amd-epyc:haswell:2t", "AMD EPYC", "Haswell",
                                                "Haswell", "Cooperlake", "OpenBLAS 0.3.21"};
    struct db_profile_row keyed[ARRAY_LEN(rows)];
    struct fixture *f = *state;
    struct core_err e;
    struct db *db = db_open(f->tmp->path, &e);

    assert_non_null(db);
    assert_int_equal(db_insert_profiles(db, rows, ARRAY_LEN(rows), &e), CORE_OK);
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        keyed[i] = rows[i];
        keyed[i].model = "small";
        keyed[i].host = &host;
    }
    assert_int_equal(db_replace_profile(db, keyed, ARRAY_LEN(keyed), &e), CORE_OK);
    db_close(db);
    assert_int_equal(report(f, &e), CORE_OK);
    assert_non_null(strstr(f->out, "no runs"));
    expect_tokens(f->out, "\nprofiles", "tiny", want, ARRAY_LEN(want));
    expect_tokens(f->out, "\nprofiles", "small", want_keyed, ARRAY_LEN(want_keyed));
    make_known_run(f->tmp->path, "complete");
    assert_int_equal(report(f, &e), CORE_OK);
    expect_tokens(f->out, "\nprofiles", "tiny", want, ARRAY_LEN(want));
    assert_non_null(strstr(f->out, "\n1 run\n"));
}

/* Two policies on one seed, by hand:
 *   split, 5 inferences, one unfinished: latencies of the 4 finished 1 2 3 4
 *     s: mean 2.5, p50 2.5, p95 3 + 0.85 = 3.85, p99 3 + 0.97 = 3.97; UE
 *     energy 0.5 J each; edge energy 0 1 2 3 J: mean 1.5 (the unfinished
 *     one's 9 J counted in neither); deadline met 3 of 5 (0.6); 1 declined,
 *     2 overridden; correct unknown: accuracy "-";
 *   oracle, 2 inferences: latencies 0.25 0.75 s: mean and p50 0.5, p95
 *     0.25 + 0.95 * 0.5 = 0.725, p99 0.745; UE energy 0.1 and 0.3 J: 0.2;
 *     edge 0 J; both within the deadline (1); correct 1 and 0: 0.5. */
static const char *const collab_models[] = {"lenet5"};
static const struct proto_outcome split_rows[] = {
    {.inference_id = 0, .finished = true, .latency_s = 1, .ue_energy_j = 0.5,
     .edge_energy_j = 0, .correct = -1, .declined = true, .deadline_met = true},
    {.inference_id = 1, .finished = true, .latency_s = 2, .ue_energy_j = 0.5,
     .edge_energy_j = 1, .correct = -1, .overridden = true, .deadline_met = true},
    {.inference_id = 2, .finished = true, .latency_s = 4, .ue_energy_j = 0.5,
     .edge_energy_j = 3, .correct = -1, .overridden = true},
    {.inference_id = 3, .finished = true, .latency_s = 3, .ue_energy_j = 0.5,
     .edge_energy_j = 2, .correct = -1, .deadline_met = true},
    {.inference_id = 4, .finished = false, .stage = "uploading", .latency_s = NAN,
     .t_done_s = NAN, .ue_energy_j = 9, .edge_energy_j = 9, .correct = -1, .deadline_s = 1},
};
static const struct proto_outcome oracle_rows[] = {
    {.inference_id = 0, .finished = true, .latency_s = 0.75, .ue_energy_j = 0.3, .correct = 1,
     .deadline_met = true},
    {.inference_id = 1, .finished = true, .latency_s = 0.25, .ue_energy_j = 0.1, .correct = 0,
     .deadline_met = true},
};

/* A run of policy recording rows as inferences, ended 'complete'. */
static int64_t make_collab_run(const char *path, const char *policy,
                               const struct proto_outcome *rows, size_t n)
{
    struct db_run_info info = run_info;
    struct core_err e;
    struct db *db = db_open(path, &e);
    int64_t run_id;

    assert_non_null(db);
    info.scenario = "default";
    info.policy = policy;
    assert_int_equal(db_run_begin(db, &info, &run_id, &e), CORE_OK);
    assert_int_equal(db_insert_inferences(db, run_id, collab_models, rows, n, &e),
                     CORE_OK);
    assert_int_equal(db_run_end(db, run_id, "complete", &e), CORE_OK);
    db_close(db);
    return run_id;
}

static void test_report_inference_runs_show_the_per_policy_summary(void **state)
{
    static const char *const want_split[] = {"2",    "split", "5",   "1",   "0", "2.5", "2.5", "3.85",
                                             "3.97", "0.5",   "1.5", "0.6", "1", "2",   "-"};
    static const char *const want_oracle[] = {"3",     "oracle", "2", "0", "0", "0.5", "0.5", "0.725",
                                              "0.745", "0.2",    "0", "1", "0", "0",   "0.5"};
    static const char *const want_run[] = {"2",  "default", "split", "42", "complete",
                                           NULL, NULL,      "0",     "v-test"};
    struct fixture *f = *state;
    long live0 = core_alloc_live();
    char got[MAX_TOKENS][64];
    struct core_err e;

    assert_int_equal(make_known_run(f->tmp->path, "complete"), 1);
    assert_int_equal(make_collab_run(f->tmp->path, "split", split_rows, ARRAY_LEN(split_rows)),
                     2);
    assert_int_equal(make_collab_run(f->tmp->path, "oracle", oracle_rows, ARRAY_LEN(oracle_rows)),
                     3);
    assert_int_equal(report(f, &e), CORE_OK);
    expect_tokens(f->out, "\ninferences", "2", want_split, ARRAY_LEN(want_split));
    expect_tokens(f->out, "\ninferences", "3", want_oracle, ARRAY_LEN(want_oracle));
    assert_non_null(
        strstr(f->out, "run_id  policy  inferences  unfinished  no_plan  mean_latency_s"));
    assert_non_null(strstr(f->out, "over the finished inferences only"));
    /* The queue run keeps its requests line and has none among the inferences. */
    expect_tokens(f->out, "\nrequests", "1", known_stats, ARRAY_LEN(known_stats));
    assert_int_equal(line_tokens(f->out, "\ninferences", "1", got), 0);
    assert_int_equal(line_tokens(f->out, "\nrequests", "2", got), 0);
    expect_tokens(f->out, "\nruns:", "2", want_run, ARRAY_LEN(want_run));
    assert_non_null(strstr(f->out, "\n3 runs\n"));
    assert_int_equal(core_alloc_live(), live0);
}

/* Offloading plans (one layer on the UE of two) of a problem without
 * encodings (fp32) or with fp32, int8 and int4; row 1 of a run with
 * encodings runs locally (no encoding), row 3 is unfinished (not counted). */
static void encoding_rows(struct proto_outcome rows[4], const struct compute_problem *p,
                          uint8_t enc)
{
    memset(rows, 0, 4 * sizeof(*rows));
    for (int i = 0; i < 4; i++) {
        rows[i].inference_id = (uint64_t)i;
        rows[i].finished = i < 3;
        rows[i].stage = i < 3 ? NULL : "uploading";
        rows[i].latency_s = i < 3 ? 0.5 : NAN;
        rows[i].t_done_s = i < 3 ? 1.0 : NAN;
        rows[i].correct = -1;
        rows[i].deadline_s = 1e6;
        rows[i].problem = p;
        rows[i].plan.n_layers = 2;
        rows[i].plan.n_ue = 1;
        rows[i].plan.order[1] = 1;
        rows[i].plan.encoding = enc;
    }
    if (p->n_encodings > 0)
        rows[1].plan.n_ue = 2;
}

/* The encodings table: absent while every inference sent fp32 (or nothing),
 * then, once one sent another encoding, each run's shares of its finished
 * inferences, largest first. */
static void test_report_encodings_show_each_runs_shares_once_one_is_not_fp32(void **state)
{
    static const char *const want_fp32[] = {"1", "edge", "fp32", "100.00", "%"};
    static const char *const want_int4[] = {"2", "joint", "int4", "66.67", "%,", "none",
                                            "33.33", "%"};
    struct fixture *f = *state;
    struct compute_problem plain = {0}, enc = {0};
    struct proto_outcome rows[4];
    struct core_err e;

    core_err_clear(&e);
    assert_int_equal(compute_problem_init(&plain, 2, 1, 1, &e), CORE_OK);
    assert_int_equal(compute_problem_init(&enc, 2, 1, 1, &e), CORE_OK);
    assert_int_equal(compute_problem_encodings_init(&enc, 3, &e), CORE_OK);
    snprintf(enc.encodings[0].name, sizeof(enc.encodings[0].name), "fp32");
    snprintf(enc.encodings[1].name, sizeof(enc.encodings[1].name), "int8");
    snprintf(enc.encodings[2].name, sizeof(enc.encodings[2].name), "int4");
    encoding_rows(rows, &plain, 0);
    make_collab_run(f->tmp->path, "edge", rows, 4);
    assert_int_equal(report(f, &e), CORE_OK);
    assert_null(strstr(f->out, "uplink encodings"));
    encoding_rows(rows, &enc, 2);
    make_collab_run(f->tmp->path, "joint", rows, 4);
    assert_int_equal(report(f, &e), CORE_OK);
    assert_non_null(strstr(f->out, "\nuplink encodings:\nrun_id  policy  encodings (share of "
                                   "finished inferences)\n"));
    expect_tokens(f->out, "\nuplink encodings", "1", want_fp32, ARRAY_LEN(want_fp32));
    expect_tokens(f->out, "\nuplink encodings", "2", want_int4, ARRAY_LEN(want_int4));
    compute_problem_fini(&plain);
    compute_problem_fini(&enc);
}

static void test_report_inferences_out_of_memory_fails_cleanly(void **state)
{
    struct fixture *f = *state;
    long live0 = core_alloc_live();
    struct core_err e;
    unsigned long k;
    enum core_rc rc = CORE_OK;

    make_collab_run(f->tmp->path, "split", split_rows, ARRAY_LEN(split_rows));
    make_collab_run(f->tmp->path, "oracle", oracle_rows, ARRAY_LEN(oracle_rows));
    for (k = 1; k < 100; k++) {
        core_alloc_fail_after(k);
        rc = report(f, &e);
        core_alloc_fail_after(0);
        if (rc == CORE_OK)
            break;
        assert_int_equal(rc, CORE_E_NOMEM);
        assert_non_null(strstr(e.msg, "out of memory"));
        assert_non_null(strstr(e.msg, f->tmp->path));
        assert_int_equal(core_alloc_live(), live0);
    }
    assert_int_equal(rc, CORE_OK);
    /* Every allocation of the report failed once, cleanly: the reader, the
     * tables, the summaries and each run's latencies. */
    assert_true(k > 4);
    assert_int_equal(core_alloc_live(), live0);
}

static void test_report_empty_file_says_no_runs_and_stays_untouched(void **state)
{
    struct fixture *f = *state;
    FILE *fp = fopen(f->tmp->path, "w");
    struct core_err e;
    struct stat sb;

    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(report(f, &e), CORE_OK);
    assert_non_null(strstr(f->out, "no runs"));
    assert_int_equal(stat(f->tmp->path, &sb), 0);
    assert_int_equal(sb.st_size, 0); /* read-only: nothing created, nothing migrated */
}

static void test_report_missing_file_is_an_input_error(void **state)
{
    struct fixture *f = *state;
    struct core_err e;
    char want[256];

    assert_int_equal(report(f, &e), CORE_E_INPUT);
    snprintf(want, sizeof(want), "%s: no such results database", f->tmp->path);
    assert_string_equal(e.msg, want);
    assert_int_equal(access(f->tmp->path, F_OK), -1); /* and none was created */
}

static void test_report_directory_is_an_input_error(void **state)
{
    struct fixture *f = *state;
    struct core_err e;

    snprintf(f->tmp->path, sizeof(f->tmp->path), "%s", f->tmp->dir);
    assert_int_equal(report(f, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "is a directory"));
}

static void test_report_file_that_is_not_a_database_is_an_input_error(void **state)
{
    struct fixture *f = *state;
    FILE *fp = fopen(f->tmp->path, "w");
    struct core_err e;
    int i;

    assert_non_null(fp);
    for (i = 0; i < 200; i++)
        fputs("this is a scenario file, not a database\n", fp);
    fclose(fp);
    assert_int_equal(report(f, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, f->tmp->path));
    assert_non_null(strstr(e.msg, "not a SQLite database"));
}

static void test_report_newer_schema_is_an_input_error(void **state)
{
    struct fixture *f = *state;
    sqlite3 *conn = NULL;
    struct core_err e;

    assert_int_equal(sqlite3_open(f->tmp->path, &conn), SQLITE_OK);
    assert_int_equal(sqlite3_exec(conn, "PRAGMA user_version = 99", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(conn);
    assert_int_equal(report(f, &e), CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "schema version 99 is newer than this coinfer"));
}

static void test_report_reads_a_snapshot_while_a_writer_holds_a_transaction(void **state)
{
    struct fixture *f = *state;
    static const char *const want_run[] = {"1",  "mm1", "fifo", "42",    "running",
                                           NULL, "-",   "5",    "v-test"};
    sqlite3 *writer = NULL;
    struct core_err e;

    make_known_run(f->tmp->path, NULL);
    /* Another process in the middle of a batch: its rows are not committed. */
    assert_int_equal(sqlite3_open(f->tmp->path, &writer), SQLITE_OK);
    assert_int_equal(sqlite3_exec(writer,
                                  "BEGIN IMMEDIATE; INSERT INTO requests VALUES "
                                  "(1, 99, 0, 0, 20.0, 20.0, 21.0, 0.0, 1.0, 1.0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(report(f, &e), CORE_OK);
    sqlite3_exec(writer, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(writer);
    expect_tokens(f->out, "\nruns:", "1", want_run, ARRAY_LEN(want_run));
    expect_tokens(f->out, "\nrequests", "1", known_stats, ARRAY_LEN(known_stats));
}

static void test_report_out_of_memory_fails_cleanly(void **state)
{
    struct fixture *f = *state;
    long live0 = core_alloc_live();
    struct core_err e;
    unsigned long k;
    enum core_rc rc = CORE_OK;

    make_known_run(f->tmp->path, "complete");
    for (k = 1; k < 100; k++) {
        core_alloc_fail_after(k);
        rc = report(f, &e);
        core_alloc_fail_after(0);
        if (rc == CORE_OK)
            break;
        assert_int_equal(rc, CORE_E_NOMEM);
        assert_non_null(strstr(e.msg, "out of memory"));
        assert_int_equal(core_alloc_live(), live0);
    }
    assert_int_equal(rc, CORE_OK);
    assert_true(k > 4); /* the reader, the tables and the series failed in turn */
    assert_int_equal(core_alloc_live(), live0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_radio_samples_show_sinr_and_rate_percentiles,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_report_encodings_show_each_runs_shares_once_one_is_not_fp32, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_known_run_prints_its_statistics, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_utilisation_divides_by_units_seen_busy_at_once,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_several_runs_show_each_status_and_seed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_database_without_runs_says_no_runs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_report_profiles_show_one_line_per_profile_with_or_without_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_empty_file_says_no_runs_and_stays_untouched,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_missing_file_is_an_input_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_directory_is_an_input_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_file_that_is_not_a_database_is_an_input_error,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_newer_schema_is_an_input_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_report_reads_a_snapshot_while_a_writer_holds_a_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_out_of_memory_fails_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_inference_runs_show_the_per_policy_summary,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_inferences_out_of_memory_fails_cleanly, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
