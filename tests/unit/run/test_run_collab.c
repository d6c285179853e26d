/*
 * test_run_collab.c — the run driver on a collaborative scenario
 * (driver.c, decider.c, sinks.c, samples.c) and the queue model's sink:
 * an exploring, traced run records every message and sample with its
 * fields and hands the observer every outcome and the energy ledger; a run
 * without --db goes to results/<name>.db; rl runs with an agent trained on
 * the scenario's samples and is refused without one (usage) or with an
 * agent of other models (bad input naming the agent file); an unknown
 * policy is a usage error listing the scenario's; the queue model has one
 * policy and no trace; its requests reach the observer; radio samples
 * print as CSV under their header.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "testutil.h"

#include "run/run.h"
#include "scenarioutil.h"
#include "sqlutil.h"

#define SCENARIO "scenarios/collab-small.xml"
#define QUEUE "tests/data/scenarios/valid-defaults.xml"

static struct core_err err;

static const char *const explore_sets[] = {"simulation@duration=3 s", "exploration@split=0.3",
                                           "exploration@option=0.2"};

struct seen {
    uint64_t outcomes, energy, requests;
};

static void on_outcomes(void *ctx, const struct proto_outcome *rows, size_t n)
{
    (void)rows;
    ((struct seen *)ctx)->outcomes += n;
}

static void on_energy(void *ctx, const struct proto_energy_row *rows, size_t n)
{
    (void)rows;
    ((struct seen *)ctx)->energy += n;
}

static void on_requests(void *ctx, const struct proto_request_record *rows, size_t n)
{
    (void)rows;
    ((struct seen *)ctx)->requests += n;
}

static void test_an_exploring_traced_run_records_messages_samples_and_energy(void **state)
{
    struct testutil_dir *d = testutil_dir_create("run-collab", "r.db");
    struct tu_scenario sc;
    struct run_options opt = {0};
    struct run_result res;
    struct seen seen = {0};
    sqlite3 *c;

    (void)state;
    assert_core_rc(tu_scenario_open(&sc, SCENARIO, explore_sets, 3, &err), CORE_OK);
    opt.db_path = d->path;
    opt.policy = "joint";
    opt.trace = true;
    opt.observer = (struct run_observer){.outcomes = on_outcomes, .energy = on_energy,
                                         .ctx = &seen};
    assert_core_rc(run_scenario(sc.a, &opt, &res, &err), CORE_OK);
    assert_string_equal(res.status, "complete");
    c = raw_open(d->path);
    assert_true(res.n_messages > 0);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM messages"), res.n_messages);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM inferences"), seen.outcomes);
    assert_true(seen.energy > 0);
    /* one sample per finished inference, its fields described per (device, model) */
    assert_int_equal(raw_int(c, "SELECT count(*) FROM sample_rows"),
                     raw_int(c, "SELECT count(*) FROM inferences WHERE t_done_s IS NOT NULL"));
    assert_int_equal(raw_int(c, "SELECT count(DISTINCT model) FROM sample_fields"), 2);
    /* a sample's action has one number per action field */
    assert_true(raw_int(c, "SELECT count(*) FROM sample_fields WHERE kind = 'action' AND "
                           "model = 'lenet5'") > 0);
    assert_int_equal(raw_int(c, "SELECT count(*) FROM sample_fields WHERE kind = 'action' AND "
                                "model = 'lenet5'"),
                     raw_int(c, "SELECT length(action) - length(replace(action, ',', '')) + 1 "
                                "FROM sample_rows WHERE model = 'lenet5' LIMIT 1"));
    sqlite3_close(c);
    tu_scenario_close(&sc);
    testutil_dir_destroy(d);
}

static void test_a_run_without_a_database_path_goes_to_results(void **state)
{
    struct testutil_dir *d = testutil_dir_create("run-default", "results");
    struct tu_scenario sc;
    struct run_options opt = {0};
    struct run_result res;
    char cwd[4096];
    struct stat sb;

    (void)state;
    assert_core_rc(tu_scenario_open(&sc, SCENARIO, explore_sets, 1, &err), CORE_OK);
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(d->dir), 0);
    assert_int_equal(mkdir("results", 0755), 0);
    opt.policy = "local";
    assert_core_rc(run_scenario(sc.a, &opt, &res, &err), CORE_OK);
    assert_int_equal(chdir(cwd), 0);
    assert_string_equal(res.db_path, "results/collab-small.db");
    assert_string_equal(res.policy, "local");
    {
        char path[256];

        snprintf(path, sizeof(path), "%s/results/collab-small.db", d->dir);
        assert_int_equal(stat(path, &sb), 0);
    }
    tu_scenario_close(&sc);
    testutil_dir_destroy(d);
}

static void test_rl_runs_with_an_agent_of_its_scenario_and_only_then(void **state)
{
    struct testutil_dir *d = testutil_dir_create("run-rl", "s.db");
    struct tu_scenario sc;
    struct run_options opt = {0};
    struct run_result res;
    struct run_train_result tr;
    struct run_train_options to = {0};
    struct policy_agent *agent = NULL, *other = NULL;
    const char *sources[] = {d->path};
    char agent_path[128], rl_db[128];

    (void)state;
    snprintf(agent_path, sizeof(agent_path), "%s/a.agent", d->dir);
    snprintf(rl_db, sizeof(rl_db), "%s/rl.db", d->dir);
    assert_core_rc(tu_scenario_open(&sc, SCENARIO, explore_sets, 3, &err), CORE_OK);
    opt.db_path = d->path;
    opt.policy = "joint";
    assert_core_rc(run_scenario(sc.a, &opt, &res, &err), CORE_OK);
    to.sources = sources;
    to.n_sources = 1;
    to.out_path = agent_path;
    to.cfg = (struct policy_train_config){.seed = 1, .steps = 5, .batch = 8,
                                          .learning_rate = 1e-2, .hidden = 4, .depth = 1,
                                          .holdout = 0.1, .threads = 1};
    assert_core_rc(run_train(&to, &tr, &err), CORE_OK);
    assert_core_rc(io_agent_read(agent_path, &agent, &err), CORE_OK);

    opt.db_path = rl_db;
    opt.policy = "rl";
    assert_core_rc(run_scenario(sc.a, &opt, &res, &err), CORE_E_USAGE);
    assert_non_null(strstr(err.msg, "policy rl needs an agent (--agent FILE)"));
    opt.agent = agent;
    opt.agent_path = agent_path;
    assert_core_rc(run_scenario(sc.a, &opt, &res, &err), CORE_OK);
    assert_string_equal(res.policy, "rl");
    assert_true(res.n_rows > 0);

    /* an agent of other models (the fixture's) */
    assert_core_rc(io_agent_read("tests/data/agents/tiny.agent", &other, &err), CORE_OK);
    opt.agent = other;
    opt.agent_path = "tiny.agent";
    assert_core_rc(run_scenario(sc.a, &opt, &res, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "tiny.agent:0: the agent has no network for model"));
    opt.agent_path = NULL;
    assert_core_rc(run_scenario(sc.a, &opt, &res, &err), CORE_E_INPUT);
    assert_non_null(strstr(err.msg, "the agent:0: "));
    policy_agent_destroy(other);
    policy_agent_destroy(agent);
    tu_scenario_close(&sc);
    testutil_dir_destroy(d);
}

static void test_unknown_policies_and_misplaced_trace_are_usage_errors(void **state)
{
    struct tu_scenario sc, q;
    struct run_options opt = {0};
    struct run_result res;
    struct seen seen = {0};

    (void)state;
    assert_core_rc(tu_scenario_open(&sc, SCENARIO, explore_sets, 1, &err), CORE_OK);
    opt.no_db = true;
    opt.policy = "greedy";
    assert_core_rc(run_scenario(sc.a, &opt, &res, &err), CORE_E_USAGE);
    assert_non_null(strstr(err.msg, "greedy"));
    assert_non_null(strstr(err.msg, "local, "));
    assert_non_null(strstr(err.msg, "joint"));
    tu_scenario_close(&sc);

    assert_core_rc(tu_scenario_open(&q, QUEUE, NULL, 0, &err), CORE_OK);
    assert_core_rc(run_scenario(q.a, &opt, &res, &err), CORE_E_USAGE);
    assert_non_null(strstr(err.msg, "has one policy: fifo"));
    opt.policy = NULL;
    opt.trace = true;
    assert_core_rc(run_scenario(q.a, &opt, &res, &err), CORE_E_USAGE);
    assert_non_null(strstr(err.msg, "--trace needs a collaborative scenario"));
    opt.trace = false;
    opt.observer = (struct run_observer){.requests = on_requests, .ctx = &seen};
    assert_core_rc(run_scenario(q.a, &opt, &res, &err), CORE_OK);
    assert_string_equal(res.policy, "fifo");
    assert_true(seen.requests > 0);
    assert_int_equal(seen.requests, res.n_rows);
    tu_scenario_close(&q);
}

static void test_radio_samples_print_as_csv_under_their_header(void **state)
{
    const struct radio_sample rows[2] = {
        {.ue = 3, .t_s = 0.5, .cell = 1, .x_m = 10, .y_m = -20, .ul_sinr_db = 7.5,
         .dl_sinr_db = 12.25, .ul_cqi = 9, .dl_cqi = 11, .ul_rate_bps = 2e7, .dl_rate_bps = 5e7},
        {.ue = 4, .t_s = 1, .cell = 0},
    };
    char *text = NULL;
    size_t size;
    FILE *out = open_memstream(&text, &size);

    (void)state;
    assert_non_null(out);
    fputs(run_csv_samples_header, out);
    run_csv_samples(out, rows, 2);
    fclose(out);
    assert_string_equal(text, "ue_id,t_s,cell_id,x_m,y_m,ul_sinr_db,dl_sinr_db,ul_cqi,dl_cqi,"
                              "ul_rate_bps,dl_rate_bps\n"
                              "3,0.5,1,10,-20,7.5,12.25,9,11,20000000,50000000\n"
                              "4,1,0,0,0,0,0,0,0,0,0\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_an_exploring_traced_run_records_messages_samples_and_energy),
        TEST(test_a_run_without_a_database_path_goes_to_results),
        TEST(test_rl_runs_with_an_agent_of_its_scenario_and_only_then),
        TEST(test_unknown_policies_and_misplaced_trace_are_usage_errors),
        TEST(test_radio_samples_print_as_csv_under_their_header),
    };

    core_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
