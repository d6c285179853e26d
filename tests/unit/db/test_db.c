/*
 * test_db.c — the results database: the schema's exact columns and version
 * (every table of DESIGN.md from version 4 on; their rows are tested in
 * test_db_collab.c), migration from an empty file and from versions 1 and 2
 * (older rows kept) and refusal of newer or foreign files, the
 * run lifecycle, requests and radio samples read back bit-exact, batches that fail as a whole,
 * a run killed with SIGKILL that leaves a clean database, and out-of-memory
 * paths. Each test works in its own directory under /tmp, removed afterwards;
 * the tests read what was written through a separate raw SQLite connection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sqlutil.h"
#include "testutil.h"

#include "db/db.h"
#include "run/run.h"

/* ---- helpers --------------------------------------------------------------- */

/* The fixture: the test's directory, path = dir/results.db. */
static int setup(void **state)
{
    *state = testutil_dir_create("db", "results.db");
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    core_alloc_fail_after(0);
    testutil_dir_destroy(*state);
    return 0;
}

static const struct db_run_info run_info = {
    .scenario = "mm1",
    .scenario_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    .policy = "fifo",
    .seed = 42,
    .version = "test",
};

static struct db *open_ok(const char *path)
{
    struct core_err e;
    struct db *db;

    core_err_clear(&e);
    db = db_open(path, &e);
    if (!db)
        fprintf(stderr, "db_open: %s\n", e.msg);
    assert_non_null(db);
    return db;
}

/* Rows request_id = first .. first + n - 1 with times derived from the id. */
static void make_rows(struct proto_request_record *rows, size_t n, uint64_t first)
{
    size_t i;

    for (i = 0; i < n; i++) {
        double t = (double)(first + i) * 0.1;

        rows[i].request_id = first + i;
        rows[i].ue_id = (uint32_t)((first + i) % 7);
        rows[i].server_id = 0;
        rows[i].t_arrival_s = t;
        rows[i].t_start_s = t + 0.01 * (double)(i % 3);
        rows[i].t_done_s = rows[i].t_start_s + 0.05;
    }
}

static int64_t count_requests(const char *path, int64_t run_id)
{
    sqlite3 *conn = raw_open(path);
    char sql[128];
    int64_t n;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM requests WHERE run_id = %lld",
             (long long)run_id);
    n = raw_int(conn, sql);
    sqlite3_close(conn);
    return n;
}

static void run_status(const char *path, int64_t run_id, char *buf, size_t size)
{
    sqlite3 *conn = raw_open(path);
    char sql[128];

    snprintf(sql, sizeof(sql), "SELECT status FROM runs WHERE run_id = %lld", (long long)run_id);
    raw_text(conn, sql, buf, size);
    sqlite3_close(conn);
}

/* ---- schema and versions ------------------------------------------------ */

static void test_db_open_creates_schema_with_fixed_columns_and_version(void **state)
{
    struct testutil_dir *f = *state;
    long live0 = core_alloc_live();
    struct db *db = open_ok(f->path);
    char cols[1024], mode[32];
    sqlite3 *conn;

    db_close(db);
    assert_int_equal(core_alloc_live(), live0);
    conn = raw_open(f->path);
    raw_columns(conn, "runs", cols, sizeof(cols));
    assert_string_equal(cols, "run_id,scenario,scenario_sha256,policy,seed,version,started_at,"
                              "finished_at,status,config_sha256,overrides");
    raw_columns(conn, "configs", cols, sizeof(cols));
    assert_string_equal(cols, "config_sha256,config");
    raw_columns(conn, "requests", cols, sizeof(cols));
    assert_string_equal(cols, "run_id,request_id,ue_id,server_id,t_arrival_s,t_start_s,"
                              "t_done_s,wait_s,service_s,sojourn_s");
    raw_columns(conn, "radio_samples", cols, sizeof(cols));
    assert_string_equal(cols, "run_id,ue_id,t_s,cell_id,x_m,y_m,ul_sinr_db,dl_sinr_db,ul_cqi,"
                              "dl_cqi,ul_rate_bps,dl_rate_bps");
    raw_columns(conn, "profiles", cols, sizeof(cols));
    assert_string_equal(cols, "model,layer_index,layer_name,layer_type,resource,threads,flops,"
                              "params,out_bytes,latency_s,reps,latency_min_s,latency_max_s,"
                              "profiled_at,host_key,cpu_model,blas_coretype,blas_corename,"
                              "blas_cpu_family,blas_config");
    raw_columns(conn, "inferences", cols, sizeof(cols));
    assert_string_equal(cols, "run_id,inference_id,ue_id,cell_id,model,split,t_request_s,"
                              "t_done_s,latency_s,ue_compute_s,uplink_s,edge_queue_s,"
                              "edge_compute_s,downlink_s,signaling_s,ue_energy_j,edge_energy_j,"
                              "correct,declined,overridden,deadline_met,ue_alloc,edge_alloc,"
                              "stage,decline_reason,no_plan_layer,decided_split,decided_ue_alloc,"
                              "decided_edge_alloc,decided_ue_load,decided_battery_j,"
                              "decided_ul_rate_bps,decided_dl_rate_bps,decided_edge_waits_s,"
                              "predicted_latency_s,predicted_ue_energy_j,predicted_edge_energy_j,"
                              "restarts,plan_order,encoding,decided_encoding,exit");
    raw_columns(conn, "messages", cols, sizeof(cols));
    assert_string_equal(cols, "run_id,t_s,src,dst,type,bytes,inference_id");
    raw_columns(conn, "samples", cols, sizeof(cols));
    assert_string_equal(cols, "run_id,inference_id,ue_id,device,model,state,action,reward,"
                              "window_reward,next_state");
    raw_columns(conn, "sample_fields", cols, sizeof(cols));
    assert_string_equal(cols, "run_id,device,model,kind,field,name,unit,description");
    raw_columns(conn, "accuracy", cols, sizeof(cols));
    assert_string_equal(cols, "model,weights,split,layer,encoding,crossing_bytes,items,correct,"
                              "accuracy,fp32_accuracy,measured_at,cut,exit");
    raw_columns(conn, "exit_accuracy", cols, sizeof(cols));
    assert_string_equal(cols, "model,weights,confidence,thresholds,threshold,stage,exit,"
                              "after_layer,items,"
                              "exited,correct,exit_rate,exit_accuracy,stage_macs,"
                              "cascade_accuracy,cascade_macs,model_accuracy,model_macs,"
                              "measured_at");
    assert_int_equal(db_schema_version(), 16);
    assert_int_equal(raw_int(conn, "PRAGMA user_version"), db_schema_version());
    raw_text(conn, "PRAGMA journal_mode", mode, sizeof(mode));
    assert_string_equal(mode, "wal");
    raw_columns(conn, "ues", cols, sizeof(cols));
    assert_string_equal(cols, "run_id,ue_id,device,ue_group,cell_id,x_m,y_m");
    raw_columns(conn, "energy", cols, sizeof(cols));
    assert_string_equal(cols, "run_id,owner,ue_id,cell_id,resource,idle_j,compute_j,background_j,"
                              "radio_j,tail_j,duration_s");
    raw_columns(conn, "layers", cols, sizeof(cols));
    assert_string_equal(cols, "run_id,model,layer,name,op,nn_layers,out_bytes");
    raw_columns(conn, "sweep_points", cols, sizeof(cols));
    assert_string_equal(cols, "point_key,sweep,sweep_file,point_index,combination,replication,"
                              "policy,seed,config_sha256,version,status,run_id,exit_status,"
                              "error,updated_at");
    raw_columns(conn, "sweep_values", cols, sizeof(cols));
    assert_string_equal(cols, "point_key,factor_index,factor,path,value,value_num");
    raw_columns(conn, "trainings", cols, sizeof(cols));
    assert_string_equal(cols, "train_id,agent,sources,samples,seed,steps,settings,version,"
                              "started_at,finished_at,status");
    raw_columns(conn, "training_steps", cols, sizeof(cols));
    assert_string_equal(cols, "train_id,step,loss,heldout_loss,heldout_regret");
    /* Every table of DESIGN.md (samples a view over sample_rows), requests, configs, ues,
     * energy, layers, sweep_points, sweep_values, sample_fields, trainings and
     * training_steps, accuracy, exit_accuracy: 18. */
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"),
                     18);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND "
                                   "name = 'samples'"),
                     1);
    sqlite3_close(conn);
}

/* results/ (the default databases' home) is the one directory db_open
 * creates; a database anywhere else needs its directory to exist, and a
 * path that is not a regular file is refused. */
static void test_db_open_creates_results_but_no_other_directory(void **state)
{
    struct testutil_dir *f = *state;
    char path[256], cwd[4096];
    struct core_err e;
    struct stat sb;

    snprintf(path, sizeof(path), "%s/a/b/c/results.db", f->dir);
    core_err_clear(&e);
    assert_null(db_open(path, &e));
    assert_int_equal(e.rc, CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "/a/b/c does not exist (coinfer creates none but results/)"));
    snprintf(path, sizeof(path), "%s/a", f->dir);
    assert_int_not_equal(stat(path, &sb), 0);

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(f->dir), 0);
    db_close(open_ok("results/x.db"));
    assert_int_equal(stat("results/x.db", &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_int_equal(chdir(cwd), 0);

    core_err_clear(&e);
    assert_null(db_open(f->dir, &e));
    assert_int_equal(e.rc, CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "not a regular file"));
    core_err_clear(&e);
    assert_null(db_open("", &e));
    assert_int_equal(e.rc, CORE_E_INPUT);
}

static void test_db_open_under_a_file_fails_with_io_error(void **state)
{
    struct testutil_dir *f = *state;
    char file[256], path[300];
    struct core_err e;
    FILE *fp;

    snprintf(file, sizeof(file), "%s/plain", f->dir);
    fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    snprintf(path, sizeof(path), "%s/sub/results.db", file);
    core_err_clear(&e);
    assert_null(db_open(path, &e));
    assert_int_equal(e.rc, CORE_E_IO);
    assert_non_null(strstr(e.msg, path));
}

static void test_db_reopen_keeps_runs_and_rows(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_request_record rows[10];
    struct db *db = open_ok(f->path);
    struct core_err e;
    int64_t run_id, again;
    char status[32];

    make_rows(rows, 10, 0);
    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    assert_int_equal(db_insert_requests(db, run_id, rows, 10, &e), CORE_OK);
    assert_int_equal(db_run_end(db, run_id, "complete", &e), CORE_OK);
    db_close(db);

    db = open_ok(f->path);
    assert_int_equal(db_run_begin(db, &run_info, &again, &e), CORE_OK);
    assert_int_equal(again, run_id + 1);
    db_close(db);
    assert_int_equal(count_requests(f->path, run_id), 10);
    run_status(f->path, run_id, status, sizeof(status));
    assert_string_equal(status, "complete");
}

static void test_db_migrates_version0_database_keeping_its_content(void **state)
{
    struct testutil_dir *f = *state;
    sqlite3 *conn = raw_open(f->path);
    char cols[512];

    raw_exec(conn, "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('kept')");
    assert_int_equal(raw_int(conn, "PRAGMA user_version"), 0);
    sqlite3_close(conn);

    db_close(open_ok(f->path));
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "PRAGMA user_version"), db_schema_version());
    raw_columns(conn, "requests", cols, sizeof(cols));
    assert_string_equal(cols, "run_id,request_id,ue_id,server_id,t_arrival_s,t_start_s,"
                              "t_done_s,wait_s,service_s,sojourn_s");
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM notes WHERE x = 'kept'"), 1);
    sqlite3_close(conn);
}

static void test_db_migrates_version1_database_keeping_runs_and_requests(void **state)
{
    struct testutil_dir *f = *state;
    struct radio_sample row = {.ue = 3, .t_s = 1.0, .cell = 2, .ul_cqi = 7, .dl_cqi = 9};
    sqlite3 *conn = raw_open(f->path);
    struct db *db;
    struct core_err e;

    /* Version 1 exactly as release 1 wrote it, with one run and one request. */
    raw_exec(conn,
             "CREATE TABLE runs (run_id INTEGER PRIMARY KEY, scenario TEXT NOT NULL, "
             "scenario_sha256 TEXT, policy TEXT NOT NULL, seed INTEGER NOT NULL, version TEXT, "
             "started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL DEFAULT "
             "'running' CHECK (status IN ('running', 'complete', 'failed', 'interrupted')));"
             "CREATE TABLE requests (run_id INTEGER NOT NULL REFERENCES runs(run_id), "
             "request_id INTEGER NOT NULL, ue_id INTEGER NOT NULL, server_id INTEGER NOT NULL, "
             "t_arrival_s REAL NOT NULL, t_start_s REAL NOT NULL, t_done_s REAL NOT NULL, "
             "wait_s REAL NOT NULL, service_s REAL NOT NULL, sojourn_s REAL NOT NULL, "
             "PRIMARY KEY (run_id, request_id)) WITHOUT ROWID;"
             "INSERT INTO runs (scenario, policy, seed, started_at, status) VALUES ('old', "
             "'fifo', 5, '2026-01-01T00:00:00.000Z', 'complete');"
             "INSERT INTO requests VALUES (1, 0, 0, 0, 0.5, 0.5, 0.75, 0, 0.25, 0.25);"
             "PRAGMA user_version = 1");
    sqlite3_close(conn);

    db = open_ok(f->path);
    assert_int_equal(db_insert_radio_samples(db, 1, &row, 1, &e), CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "PRAGMA user_version"), db_schema_version());
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM runs WHERE scenario = 'old' AND "
                                   "status = 'complete'"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM requests WHERE t_done_s = 0.75"), 1);
    assert_int_equal(raw_int(conn, "SELECT dl_cqi FROM radio_samples WHERE run_id = 1"), 9);
    sqlite3_close(conn);
}

static const struct db_profile_row profile_rows[] = {
    {.model = "lenet5", .layer_index = 0, .layer_name = "conv1", .layer_type = "conv2d",
     .resource = "host-cpu", .threads = 1, .flops = 235200, .params = 156, .out_bytes = 18816,
     .latency_s = 1.25e-5, .reps = 3, .latency_min_s = 1.0e-5, .latency_max_s = 2.5e-5},
    {.model = "lenet5", .layer_index = -1, .layer_name = "total", .layer_type = "total",
     .resource = "host-cpu", .threads = 1, .flops = 9007199254740993ULL, .params = 61706,
     .out_bytes = 40, .latency_s = 0.1, .reps = 3, .latency_min_s = 0.0625,
     .latency_max_s = 0.3},
};

static void test_db_migrates_version2_database_keeping_radio_samples(void **state)
{
    struct testutil_dir *f = *state;
    sqlite3 *conn = raw_open(f->path);
    struct db *db;
    struct core_err e;

    /* Version 2 as the previous release wrote it, with one run and one sample. */
    raw_exec(conn,
             "CREATE TABLE runs (run_id INTEGER PRIMARY KEY, scenario TEXT NOT NULL, "
             "scenario_sha256 TEXT, policy TEXT NOT NULL, seed INTEGER NOT NULL, version TEXT, "
             "started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL DEFAULT "
             "'running' CHECK (status IN ('running', 'complete', 'failed', 'interrupted')));"
             "CREATE TABLE requests (run_id INTEGER NOT NULL REFERENCES runs(run_id), "
             "request_id INTEGER NOT NULL, ue_id INTEGER NOT NULL, server_id INTEGER NOT NULL, "
             "t_arrival_s REAL NOT NULL, t_start_s REAL NOT NULL, t_done_s REAL NOT NULL, "
             "wait_s REAL NOT NULL, service_s REAL NOT NULL, sojourn_s REAL NOT NULL, "
             "PRIMARY KEY (run_id, request_id)) WITHOUT ROWID;"
             "CREATE TABLE radio_samples (run_id INTEGER NOT NULL REFERENCES runs(run_id), "
             "ue_id INTEGER NOT NULL, t_s REAL NOT NULL, cell_id INTEGER NOT NULL, "
             "x_m REAL NOT NULL, y_m REAL NOT NULL, ul_sinr_db REAL NOT NULL, "
             "dl_sinr_db REAL NOT NULL, ul_cqi INTEGER NOT NULL, dl_cqi INTEGER NOT NULL, "
             "ul_rate_bps REAL NOT NULL, dl_rate_bps REAL NOT NULL, "
             "PRIMARY KEY (run_id, t_s, ue_id)) WITHOUT ROWID;"
             "INSERT INTO runs (scenario, policy, seed, started_at, status) VALUES ('old', "
             "'radio', 5, '2026-01-01T00:00:00.000Z', 'complete');"
             "INSERT INTO radio_samples VALUES (1, 4, 0.5, 2, 1, 2, 3, 4, 5, 6, 7, 8);"
             "PRAGMA user_version = 2");
    sqlite3_close(conn);

    db = open_ok(f->path);
    assert_int_equal(db_insert_profiles(db, profile_rows, ARRAY_LEN(profile_rows), &e),
                     CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "PRAGMA user_version"), db_schema_version());
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM runs WHERE scenario = 'old'"), 1);
    assert_int_equal(raw_int(conn, "SELECT dl_rate_bps FROM radio_samples WHERE ue_id = 4"), 8);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles"), 2);
    sqlite3_close(conn);
}

static void test_db_profiles_read_back_exact_with_one_profiled_at(void **state)
{
    struct testutil_dir *f = *state;
    long live0 = core_alloc_live();
    struct db *db = open_ok(f->path);
    sqlite3_stmt *st = NULL;
    struct core_err e;
    sqlite3 *conn;
    size_t i = 0;

    assert_int_equal(db_insert_profiles(db, profile_rows, ARRAY_LEN(profile_rows), &e),
                     CORE_OK);
    assert_int_equal(db_insert_profiles(db, profile_rows, 0, &e), CORE_OK);
    db_close(db);
    assert_int_equal(core_alloc_live(), live0);
    conn = raw_open(f->path);
    assert_int_equal(sqlite3_prepare_v2(conn,
                                        "SELECT model, layer_index, layer_name, layer_type, "
                                        "resource, threads, flops, params, out_bytes, latency_s, "
                                        "reps, latency_min_s, latency_max_s FROM profiles "
                                        "ORDER BY rowid",
                                        -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const struct db_profile_row *r = &profile_rows[i++];

        assert_string_equal((const char *)sqlite3_column_text(st, 0), r->model);
        assert_int_equal(sqlite3_column_int(st, 1), r->layer_index);
        assert_string_equal((const char *)sqlite3_column_text(st, 2), r->layer_name);
        assert_string_equal((const char *)sqlite3_column_text(st, 3), r->layer_type);
        assert_string_equal((const char *)sqlite3_column_text(st, 4), r->resource);
        assert_int_equal(sqlite3_column_int(st, 5), r->threads);
        assert_int_equal((uint64_t)sqlite3_column_int64(st, 6), r->flops);
        assert_int_equal((uint64_t)sqlite3_column_int64(st, 7), r->params);
        assert_int_equal((uint64_t)sqlite3_column_int64(st, 8), r->out_bytes);
        assert_true(sqlite3_column_double(st, 9) == r->latency_s);
        assert_int_equal((uint64_t)sqlite3_column_int64(st, 10), r->reps);
        assert_true(sqlite3_column_double(st, 11) == r->latency_min_s);
        assert_true(sqlite3_column_double(st, 12) == r->latency_max_s);
    }
    sqlite3_finalize(st);
    assert_int_equal(i, ARRAY_LEN(profile_rows));
    assert_int_equal(raw_int(conn, "SELECT count(DISTINCT profiled_at) FROM profiles"), 1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles WHERE profiled_at GLOB "
                                   "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z'"),
                     2);
    sqlite3_close(conn);
}

static void test_db_profile_batch_with_a_bad_row_is_refused_whole(void **state)
{
    struct testutil_dir *f = *state;
    struct db_profile_row rows[2] = {profile_rows[0], profile_rows[1]};
    struct db *db = open_ok(f->path);
    struct core_err e;
    sqlite3 *conn;

    rows[1].layer_index = -2; /* the CHECK refuses it */
    core_err_clear(&e);
    assert_int_equal(db_insert_profiles(db, rows, 2, &e), CORE_E_DB);
    if (!strstr(e.msg, "the profile of lenet5 layer -2 (total)")) {
        print_error("message: %s\n", e.msg);
        fail();
    }
    rows[1].layer_index = -1;
    rows[0].model = NULL; /* NOT NULL refuses it */
    assert_int_equal(db_insert_profiles(db, rows, 2, &e), CORE_E_DB);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM profiles"), 0);
    sqlite3_close(conn);
}

static void test_db_accuracy_rows_read_back_with_one_measured_at(void **state)
{
    static const struct db_accuracy_row rows[] = {
        {"lenet5-fmnist", "models/lenet5-fmnist.weights", 0, "input", "fp32", 3136, 200, 183, 0.915,
         0.915, NULL, NULL},
        {"lenet5-fmnist", "models/lenet5-fmnist.weights", 2, "pool1", "topk:0.25", 8644, 200, 180,
         0.9, 0.915, NULL, NULL},
    };
    struct testutil_dir *f = *state;
    struct db_accuracy_row bad = rows[1];
    struct db *db = open_ok(f->path);
    struct core_err e;
    sqlite3 *conn;

    assert_int_equal(db_insert_accuracy(db, rows, ARRAY_LEN(rows), &e), CORE_OK);
    bad.correct = 201; /* more than the items: the CHECK refuses the batch */
    core_err_clear(&e);
    assert_int_equal(db_insert_accuracy(db, &bad, 1, &e), CORE_E_DB);
    if (!strstr(e.msg, "the accuracy of lenet5-fmnist at split 2 with topk:0.25")) {
        print_error("message: %s\n", e.msg);
        fail();
    }
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM accuracy"), 2);
    assert_int_equal(raw_int(conn, "SELECT count(DISTINCT measured_at) FROM accuracy"), 1);
    assert_int_equal(raw_int(conn, "SELECT crossing_bytes FROM accuracy WHERE split = 2 AND "
                                   "layer = 'pool1' AND encoding = 'topk:0.25' AND items = 200 "
                                   "AND correct = 180 AND accuracy = 0.9 AND fp32_accuracy = "
                                   "0.915 AND weights = 'models/lenet5-fmnist.weights'"),
                     8644);
    sqlite3_close(conn);
}

/* A cut across branches (cut: the device's layers as ranges, split their
 * count) and an exit's row (exit: its name) round-trip; a prefix of the
 * model's output has both NULL; an error names the cut and the exit. */
static void test_db_accuracy_rows_keep_a_cut_across_branches_and_an_exit(void **state)
{
    static const struct db_accuracy_row rows[] = {
        {"resnet-fmnist", "w", 12, "b1_relu+b2_down_bn", "int8", 21962, 100, 90, 0.9, 0.91,
         "0-9,15-16", NULL},
        {"lenet5-exits", "w", 4, "exit1.flatten", "int4", 105, 100, 88, 0.88, 0.89, NULL, "exit1"},
        {"lenet5-exits", "w", 2, "pool1", "int4", 437, 100, 91, 0.91, 0.91, NULL, NULL},
    };
    struct testutil_dir *f = *state;
    struct db_accuracy_row bad = rows[0];
    struct db *db = open_ok(f->path);
    struct core_err e;
    sqlite3 *conn;

    core_err_clear(&e);
    assert_int_equal(db_insert_accuracy(db, rows, ARRAY_LEN(rows), &e), CORE_OK);
    bad.correct = 101;
    bad.exit = "exit2";
    assert_int_equal(db_insert_accuracy(db, &bad, 1, &e), CORE_E_DB);
    if (!strstr(e.msg, "the accuracy of resnet-fmnist at split 0-9,15-16 with int8 ending at "
                       "exit2")) {
        print_error("message: %s\n", e.msg);
        fail();
    }
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM accuracy WHERE cut = '0-9,15-16' AND "
                                   "split = 12 AND layer = 'b1_relu+b2_down_bn' AND exit IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM accuracy WHERE exit = 'exit1' AND "
                                   "split = 4 AND cut IS NULL AND crossing_bytes = 105"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM accuracy WHERE split = 2 AND cut IS "
                                   "NULL AND exit IS NULL"),
                     1);
    sqlite3_close(conn);
}

/* A version 15 database (accuracy without cut and exit) keeps its accuracy
 * rows through the step to 16, both NULL in them (what they were: prefixes
 * of the model's output), and takes new rows with them written. */
static void test_db_migrates_version15_accuracy_rows_with_null_cut_and_exit(void **state)
{
    static const struct db_accuracy_row old_row = {
        "lenet5-fmnist", "w", 3, "conv2", "int8", 1029, 100, 92, 0.92, 0.92, NULL, NULL};
    static const struct db_accuracy_row new_row = {
        "resnet-fmnist", "w", 12, "b1_relu+b2_down_bn", "int8", 21962, 100, 90, 0.9, 0.91,
        "0-9,15-16",     NULL};
    struct testutil_dir *f = *state;
    struct db *db = open_ok(f->path);
    struct core_err e;
    sqlite3 *conn;

    core_err_clear(&e);
    assert_int_equal(db_insert_accuracy(db, &old_row, 1, &e), CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    raw_exec(conn, "ALTER TABLE accuracy DROP COLUMN exit;"
                   "ALTER TABLE accuracy DROP COLUMN cut;"
                   "PRAGMA user_version = 15");
    sqlite3_close(conn);

    db = open_ok(f->path);
    assert_int_equal(db_insert_accuracy(db, &new_row, 1, &e), CORE_OK);
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "PRAGMA user_version"), db_schema_version());
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM accuracy WHERE split = 3 AND "
                                   "layer = 'conv2' AND cut IS NULL AND exit IS NULL"),
                     1);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM accuracy WHERE cut = '0-9,15-16'"), 1);
    sqlite3_close(conn);
}

static void test_db_migrates_empty_file(void **state)
{
    struct testutil_dir *f = *state;
    FILE *fp = fopen(f->path, "w");
    sqlite3 *conn;

    assert_non_null(fp);
    fclose(fp);
    db_close(open_ok(f->path));
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "PRAGMA user_version"), db_schema_version());
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM runs"), 0);
    sqlite3_close(conn);
}

static void test_db_opens_current_version_without_migrating(void **state)
{
    struct testutil_dir *f = *state;
    sqlite3 *conn;

    db_close(open_ok(f->path));
    /* A marker row proves the second open did not recreate anything. */
    conn = raw_open(f->path);
    raw_exec(conn, "INSERT INTO runs (scenario, policy, seed, started_at) "
                   "VALUES ('marker', 'fifo', 1, '2026-01-01T00:00:00.000Z')");
    sqlite3_close(conn);
    db_close(open_ok(f->path));
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM runs WHERE scenario = 'marker'"), 1);
    assert_int_equal(raw_int(conn, "PRAGMA user_version"), db_schema_version());
    sqlite3_close(conn);
}

static void test_db_rejects_newer_schema_version(void **state)
{
    struct testutil_dir *f = *state;
    long live0 = core_alloc_live();
    sqlite3 *conn = raw_open(f->path);
    struct core_err e;
    char want[256];

    raw_exec(conn, "PRAGMA user_version = 99");
    sqlite3_close(conn);
    core_err_clear(&e);
    assert_null(db_open(f->path, &e));
    assert_int_equal(e.rc, CORE_E_INPUT);
    snprintf(want, sizeof(want),
             "%s: results database schema version 99 is newer than this coinfer (%d)", f->path,
             db_schema_version());
    assert_string_equal(e.msg, want);
    assert_int_equal(core_alloc_live(), live0);
}

static void test_db_rejects_file_that_is_not_a_database(void **state)
{
    struct testutil_dir *f = *state;
    long live0 = core_alloc_live();
    FILE *fp = fopen(f->path, "w");
    struct core_err e;
    int i;

    assert_non_null(fp);
    for (i = 0; i < 200; i++)
        fputs("<scenario name='not a database'/>\n", fp);
    fclose(fp);
    core_err_clear(&e);
    assert_null(db_open(f->path, &e));
    assert_int_equal(e.rc, CORE_E_INPUT);
    assert_non_null(strstr(e.msg, f->path));
    assert_non_null(strstr(e.msg, "not a SQLite database"));
    assert_int_equal(core_alloc_live(), live0);
}

static void test_db_failed_migration_leaves_the_file_unchanged(void **state)
{
    struct testutil_dir *f = *state;
    sqlite3 *conn = raw_open(f->path);
    struct core_err e;

    /* A foreign database with its own `runs`: our step 0 -> 1 cannot apply. */
    raw_exec(conn, "CREATE TABLE runs (x INTEGER)");
    sqlite3_close(conn);
    core_err_clear(&e);
    assert_null(db_open(f->path, &e));
    assert_int_equal(e.rc, CORE_E_INPUT);
    assert_non_null(strstr(e.msg, "not a coinfer results database"));
    assert_non_null(strstr(e.msg, "already exists"));
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "PRAGMA user_version"), 0);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM sqlite_schema WHERE name = 'requests'"),
                     0);
    sqlite3_close(conn);
}

/* ---- runs --------------------------------------------------------------- */

static void test_db_run_is_running_until_ended_complete(void **state)
{
    struct testutil_dir *f = *state;
    struct db *db = open_ok(f->path);
    struct core_err e;
    char sql[256], started[64], finished[64], text[128];
    int64_t run_id;
    sqlite3 *conn;

    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    /* Committed at once: visible to another connection while the run is on. */
    conn = raw_open(f->path);
    snprintf(sql, sizeof(sql), "SELECT status FROM runs WHERE run_id = %lld", (long long)run_id);
    raw_text(conn, sql, text, sizeof(text));
    assert_string_equal(text, "running");
    snprintf(sql, sizeof(sql), "SELECT finished_at FROM runs WHERE run_id = %lld",
             (long long)run_id);
    raw_text(conn, sql, text, sizeof(text));
    assert_string_equal(text, "NULL");
    snprintf(sql, sizeof(sql),
             "SELECT scenario || '|' || scenario_sha256 || '|' || policy || '|' || seed || '|' "
             "|| version FROM runs WHERE run_id = %lld",
             (long long)run_id);
    raw_text(conn, sql, text, sizeof(text));
    assert_string_equal(text, "mm1|9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
                              "|fifo|42|test");

    assert_int_equal(db_run_end(db, run_id, "complete", &e), CORE_OK);
    snprintf(sql, sizeof(sql), "SELECT status FROM runs WHERE run_id = %lld", (long long)run_id);
    raw_text(conn, sql, text, sizeof(text));
    assert_string_equal(text, "complete");
    snprintf(sql, sizeof(sql), "SELECT started_at FROM runs WHERE run_id = %lld",
             (long long)run_id);
    raw_text(conn, sql, started, sizeof(started));
    snprintf(sql, sizeof(sql), "SELECT finished_at FROM runs WHERE run_id = %lld",
             (long long)run_id);
    raw_text(conn, sql, finished, sizeof(finished));
    /* ISO-8601 UTC with milliseconds: 2026-11-24T18:19:05.123Z */
    assert_int_equal(strlen(started), 24);
    assert_int_equal(started[10], 'T');
    assert_int_equal(started[19], '.');
    assert_int_equal(started[23], 'Z');
    assert_int_equal(strlen(finished), 24);
    assert_true(strcmp(started, finished) <= 0);
    sqlite3_close(conn);
    db_close(db);
}

static void test_db_several_runs_get_their_own_ids_and_rows(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_request_record rows[30];
    struct db *db = open_ok(f->path);
    struct db_run_info other = run_info;
    int64_t id[3];
    struct core_err e;
    char status[32];
    int i;

    make_rows(rows, 30, 0);
    other.seed = UINT64_MAX; /* stored as the int64 with the same bits */
    for (i = 0; i < 3; i++) {
        assert_int_equal(db_run_begin(db, i == 1 ? &other : &run_info, &id[i], &e), CORE_OK);
        /* The same request ids in each run: the key is (run_id, request_id). */
        assert_int_equal(db_insert_requests(db, id[i], rows, (size_t)(10 * (i + 1)), &e),
                         CORE_OK);
    }
    assert_int_equal(db_run_end(db, id[0], "complete", &e), CORE_OK);
    assert_int_equal(db_run_end(db, id[2], "failed", &e), CORE_OK);
    db_close(db);
    assert_true(id[0] < id[1] && id[1] < id[2]);
    for (i = 0; i < 3; i++)
        assert_int_equal(count_requests(f->path, id[i]), 10 * (i + 1));
    run_status(f->path, id[1], status, sizeof(status));
    assert_string_equal(status, "running");
    run_status(f->path, id[2], status, sizeof(status));
    assert_string_equal(status, "failed");
    {
        sqlite3 *conn = raw_open(f->path);
        char sql[128];

        snprintf(sql, sizeof(sql), "SELECT seed FROM runs WHERE run_id = %lld", (long long)id[1]);
        assert_int_equal((uint64_t)raw_int(conn, sql), UINT64_MAX);
        sqlite3_close(conn);
    }
}

static void test_db_run_end_rejects_a_status_that_is_not_final(void **state)
{
    struct testutil_dir *f = *state;
    struct db *db = open_ok(f->path);
    static const char *const bad[] = {"bogus", "running", "Complete", ""};
    struct core_err e;
    char status[32];
    int64_t run_id;
    size_t i;

    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        core_err_clear(&e);
        assert_int_equal(db_run_end(db, run_id, bad[i], &e), CORE_E_DB);
        assert_non_null(strstr(e.msg, "is not a final run status"));
        assert_non_null(strstr(e.msg, f->path));
    }
    db_close(db);
    run_status(f->path, run_id, status, sizeof(status));
    assert_string_equal(status, "running");
}

static void test_db_schema_check_rejects_an_unknown_status(void **state)
{
    struct testutil_dir *f = *state;
    sqlite3 *conn;
    int rc;

    db_close(open_ok(f->path));
    conn = raw_open(f->path);
    rc = sqlite3_exec(conn,
                      "INSERT INTO runs (scenario, policy, seed, started_at, status) "
                      "VALUES ('x', 'fifo', 1, '2026-01-01T00:00:00.000Z', 'bogus')",
                      NULL, NULL, NULL);
    assert_int_equal(rc, SQLITE_CONSTRAINT);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM runs"), 0);
    sqlite3_close(conn);
}

static void test_db_run_end_on_unknown_or_ended_run_fails(void **state)
{
    struct testutil_dir *f = *state;
    struct db *db = open_ok(f->path);
    struct core_err e;
    int64_t run_id;

    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    core_err_clear(&e);
    assert_int_equal(db_run_end(db, run_id + 100, "complete", &e), CORE_E_DB);
    assert_non_null(strstr(e.msg, "does not exist or has already ended"));
    assert_int_equal(db_run_end(db, run_id, "interrupted", &e), CORE_OK);
    core_err_clear(&e);
    assert_int_equal(db_run_end(db, run_id, "complete", &e), CORE_E_DB);
    assert_non_null(strstr(e.msg, "has already ended"));
    db_close(db);
}

/* ---- requests ----------------------------------------------------------- */

static void test_db_requests_read_back_bit_exact(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_request_record rows[4] = {
        {0, 0, 0, 0.1, 0.30000000000000004, 1.0 / 3.0},
        {1, UINT32_MAX, 7, 1e-300, 2e-300, 5e-300},
        {2, 3, 0, 123456.789, 123456.7890000001, 1e9 + 0.5},
        {(uint64_t)1 << 62, 1, 0, 0.0, 0.0, 0.0},
    };
    struct db *db = open_ok(f->path);
    struct core_err e;
    sqlite3_stmt *st;
    sqlite3 *conn;
    int64_t run_id;
    size_t i;

    rows[3].t_done_s = nextafter(1.0, 2.0);
    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    assert_int_equal(db_insert_requests(db, run_id, rows, 4, &e), CORE_OK);
    db_close(db);

    conn = raw_open(f->path);
    assert_int_equal(sqlite3_prepare_v2(conn,
                                        "SELECT request_id, ue_id, server_id, t_arrival_s, "
                                        "t_start_s, t_done_s, wait_s, service_s, sojourn_s "
                                        "FROM requests ORDER BY request_id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (i = 0; i < 4; i++) {
        const struct proto_request_record *r = &rows[i];
        double got[6], want[6] = {
                           r->t_arrival_s,
                           r->t_start_s,
                           r->t_done_s,
                           r->t_start_s - r->t_arrival_s,
                           r->t_done_s - r->t_start_s,
                           r->t_done_s - r->t_arrival_s,
                       };
        int c;

        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal((uint64_t)sqlite3_column_int64(st, 0), r->request_id);
        assert_int_equal(sqlite3_column_int64(st, 1), r->ue_id);
        assert_int_equal(sqlite3_column_int64(st, 2), r->server_id);
        for (c = 0; c < 6; c++) {
            got[c] = sqlite3_column_double(st, 3 + c);
            if (memcmp(&got[c], &want[c], sizeof(double)) != 0)
                fprintf(stderr, "row %zu column %d: got %.17g, want %.17g\n", i, 3 + c, got[c],
                        want[c]);
            assert_memory_equal(&got[c], &want[c], sizeof(double));
        }
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(conn);
}

static void test_db_batch_for_unknown_run_is_refused_whole(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_request_record rows[5];
    struct db *db = open_ok(f->path);
    struct core_err e;
    int64_t run_id;

    make_rows(rows, 5, 0);
    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    core_err_clear(&e);
    assert_int_equal(db_insert_requests(db, run_id + 1, rows, 5, &e), CORE_E_DB);
    assert_non_null(strstr(e.msg, "FOREIGN KEY constraint failed"));
    assert_non_null(strstr(e.msg, f->path));
    /* The handle is still usable after the failed batch. */
    assert_int_equal(db_insert_requests(db, run_id, rows, 5, &e), CORE_OK);
    db_close(db);
    assert_int_equal(count_requests(f->path, run_id + 1), 0);
    assert_int_equal(count_requests(f->path, run_id), 5);
}

static void test_db_radio_samples_read_back_bit_exact(void **state)
{
    struct testutil_dir *f = *state;
    struct radio_sample rows[3] = {
        {0, 0.0, 0, 1.0 / 3.0, -250.125, 12.5, 20.25, 9, 11, 1.5e8, 3.25e8},
        {UINT32_MAX, 0.0, 63, -1e-300, 1e6, -INFINITY, -7.75, 0, 1, 0.0, 1e-3},
        {0, 1e9 + 0.5, 7, 0.1, 0.2, 0.30000000000000004, 40.0, 15, 15, 9.9e8, 1e9},
    };
    struct db *db = open_ok(f->path);
    struct core_err e;
    sqlite3_stmt *st;
    sqlite3 *conn;
    int64_t run_id;

    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    assert_int_equal(db_insert_radio_samples(db, run_id, rows, 3, &e), CORE_OK);
    assert_int_equal(db_insert_radio_samples(db, run_id, rows, 0, &e), CORE_OK);
    db_close(db);

    conn = raw_open(f->path);
    assert_int_equal(sqlite3_prepare_v2(conn,
                                        "SELECT ue_id, t_s, cell_id, x_m, y_m, ul_sinr_db, "
                                        "dl_sinr_db, ul_cqi, dl_cqi, ul_rate_bps, dl_rate_bps "
                                        "FROM radio_samples ORDER BY t_s, ue_id",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (size_t i = 0; i < 3; i++) {
        const struct radio_sample *r = &rows[i];
        double want[7] = {r->t_s,        r->x_m,         r->y_m,        r->ul_sinr_db,
                          r->dl_sinr_db, r->ul_rate_bps, r->dl_rate_bps};
        const int col[7] = {1, 3, 4, 5, 6, 9, 10};

        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int64(st, 0), r->ue);
        assert_int_equal(sqlite3_column_int64(st, 2), r->cell);
        assert_int_equal(sqlite3_column_int64(st, 7), r->ul_cqi);
        assert_int_equal(sqlite3_column_int64(st, 8), r->dl_cqi);
        for (int c = 0; c < 7; c++) {
            double got = sqlite3_column_double(st, col[c]);

            if (memcmp(&got, &want[c], sizeof(double)) != 0)
                fprintf(stderr, "row %zu column %d: got %.17g, want %.17g\n", i, col[c], got,
                        want[c]);
            assert_memory_equal(&got, &want[c], sizeof(double));
        }
    }
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(conn);
}

static void test_db_radio_batch_for_unknown_run_or_duplicate_is_refused_whole(void **state)
{
    struct testutil_dir *f = *state;
    struct radio_sample rows[2] = {{.ue = 0, .t_s = 1.0}, {.ue = 1, .t_s = 1.0}};
    struct db *db = open_ok(f->path);
    struct core_err e;
    int64_t run_id;
    sqlite3 *conn;

    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    core_err_clear(&e);
    assert_int_equal(db_insert_radio_samples(db, run_id + 1, rows, 2, &e), CORE_E_DB);
    assert_non_null(strstr(e.msg, "FOREIGN KEY constraint failed"));
    assert_non_null(strstr(e.msg, "recording the radio sample of UE 0 at 1 s"));
    assert_int_equal(db_insert_radio_samples(db, run_id, rows, 1, &e), CORE_OK);
    core_err_clear(&e);
    assert_int_equal(db_insert_radio_samples(db, run_id, rows, 2, &e), CORE_E_DB);
    assert_non_null(strstr(e.msg, "UNIQUE constraint failed"));
    db_close(db);
    conn = raw_open(f->path);
    assert_int_equal(raw_int(conn, "SELECT count(*) FROM radio_samples"), 1);
    sqlite3_close(conn);
}

static void test_db_batch_with_a_duplicate_keeps_earlier_batches_only(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_request_record rows[20];
    struct db *db = open_ok(f->path);
    struct core_err e;
    int64_t run_id;

    make_rows(rows, 20, 0);
    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    assert_int_equal(db_insert_requests(db, run_id, rows, 10, &e), CORE_OK);
    /* Rows 5..19: 10..19 are new but 5..9 repeat, so none of them lands. */
    core_err_clear(&e);
    assert_int_equal(db_insert_requests(db, run_id, rows + 5, 15, &e), CORE_E_DB);
    assert_non_null(strstr(e.msg, "recording request 5"));
    assert_non_null(strstr(e.msg, "UNIQUE constraint failed"));
    assert_int_equal(db_insert_requests(db, run_id, rows, 0, &e), CORE_OK);
    db_close(db);
    assert_int_equal(count_requests(f->path, run_id), 10);
}

static void test_db_interrupted_run_keeps_all_rows(void **state)
{
    struct testutil_dir *f = *state;
    struct proto_request_record rows[100];
    struct db *db = open_ok(f->path);
    struct core_err e;
    char status[32];
    int64_t run_id;
    uint64_t b;

    assert_int_equal(db_run_begin(db, &run_info, &run_id, &e), CORE_OK);
    for (b = 0; b < 7; b++) {
        make_rows(rows, 100, b * 100);
        assert_int_equal(db_insert_requests(db, run_id, rows, 100, &e), CORE_OK);
    }
    assert_int_equal(db_run_end(db, run_id, "interrupted", &e), CORE_OK);
    db_close(db);
    assert_int_equal(count_requests(f->path, run_id), 700);
    run_status(f->path, run_id, status, sizeof(status));
    assert_string_equal(status, "interrupted");
}

static void test_db_kill_9_leaves_a_clean_database_with_the_run_running(void **state)
{
    struct testutil_dir *f = *state;
    enum { BATCHES = 5, ROWS = 200 };
    char wal[256], sql[128], text[64];
    int64_t run_id = 0;
    struct stat sb;
    int pipefd[2], status;
    sqlite3 *conn;
    pid_t pid;

    assert_int_equal(pipe(pipefd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct proto_request_record rows[ROWS];
        struct core_err e;
        struct db *db;
        int64_t id;
        uint64_t b;

        close(pipefd[0]);
        db = db_open(f->path, &e);
        if (!db || db_run_begin(db, &run_info, &id, &e) != CORE_OK)
            _exit(3);
        for (b = 0; b < BATCHES; b++) {
            make_rows(rows, ROWS, b * ROWS);
            if (db_insert_requests(db, id, rows, ROWS, &e) != CORE_OK)
                _exit(4);
        }
        if (write(pipefd[1], &id, sizeof(id)) != (ssize_t)sizeof(id))
            _exit(5);
        for (;;)
            pause();
    }
    close(pipefd[1]);
    assert_int_equal(read(pipefd[0], &run_id, sizeof(run_id)), (ssize_t)sizeof(run_id));
    close(pipefd[0]);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    /* The child never closed: its commits are in the WAL, not yet in the db. */
    snprintf(wal, sizeof(wal), "%s-wal", f->path);
    assert_int_equal(stat(wal, &sb), 0);
    assert_true(sb.st_size > 0);

    /* `coinfer report` reads it first, read-only, as a user would after a crash. */
    {
        char *out = NULL;
        size_t out_len = 0;
        FILE *fp = open_memstream(&out, &out_len);
        struct core_err e;

        assert_non_null(fp);
        core_err_clear(&e);
        if (run_report(f->path, RUN_REPORT_BY_RUN, fp, &e) != CORE_OK)
            fprintf(stderr, "run_report: %s\n", e.msg);
        fclose(fp);
        assert_int_equal(e.rc, CORE_OK);
        assert_non_null(strstr(out, " running "));
        assert_non_null(strstr(out, " 1000 "));
        free(out);
    }

    conn = raw_open(f->path);
    raw_text(conn, "PRAGMA integrity_check", text, sizeof(text));
    assert_string_equal(text, "ok");
    snprintf(sql, sizeof(sql), "SELECT status FROM runs WHERE run_id = %lld", (long long)run_id);
    raw_text(conn, sql, text, sizeof(text));
    assert_string_equal(text, "running");
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM requests WHERE run_id = %lld",
             (long long)run_id);
    assert_int_equal(raw_int(conn, sql), BATCHES * ROWS);
    assert_int_equal(raw_int(conn, "SELECT max(request_id) FROM requests"), BATCHES * ROWS - 1);
    sqlite3_close(conn);
    db_close(open_ok(f->path));
}

/* ---- out of memory -------------------------------------------------------- */

static void test_db_open_out_of_memory_fails_cleanly_at_every_allocation(void **state)
{
    struct testutil_dir *f = *state;
    char path[256];
    long live0 = core_alloc_live();
    unsigned long k;
    struct db *db = NULL;
    struct core_err e;

    snprintf(path, sizeof(path), "%s/results.db", f->dir);
    for (k = 1; k < 100; k++) {
        core_err_clear(&e);
        core_alloc_fail_after(k);
        db = db_open(path, &e);
        core_alloc_fail_after(0);
        if (db)
            break;
        if (e.rc != CORE_E_NOMEM)
            fprintf(stderr, "k = %lu: %s\n", k, e.msg);
        assert_int_equal(e.rc, CORE_E_NOMEM);
        assert_int_equal(core_alloc_live(), live0);
    }
    assert_non_null(db);
    assert_true(k > 2); /* the handle, its path */
    db_close(db);
    assert_int_equal(core_alloc_live(), live0);
}

static void test_db_close_null_is_a_no_op(void **state)
{
    (void)state;
    db_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_db_open_creates_schema_with_fixed_columns_and_version,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_open_creates_results_but_no_other_directory, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_open_under_a_file_fails_with_io_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_reopen_keeps_runs_and_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_migrates_version0_database_keeping_its_content,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_migrates_version1_database_keeping_runs_and_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_migrates_version2_database_keeping_radio_samples,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_profiles_read_back_exact_with_one_profiled_at,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_profile_batch_with_a_bad_row_is_refused_whole,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_migrates_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_radio_samples_read_back_bit_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_radio_batch_for_unknown_run_or_duplicate_is_refused_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_opens_current_version_without_migrating, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_rejects_newer_schema_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_accuracy_rows_read_back_with_one_measured_at, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_db_accuracy_rows_keep_a_cut_across_branches_and_an_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_migrates_version15_accuracy_rows_with_null_cut_and_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_rejects_file_that_is_not_a_database, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_failed_migration_leaves_the_file_unchanged, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_run_is_running_until_ended_complete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_several_runs_get_their_own_ids_and_rows, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_run_end_rejects_a_status_that_is_not_final, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_schema_check_rejects_an_unknown_status, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_run_end_on_unknown_or_ended_run_fails, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_requests_read_back_bit_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_batch_for_unknown_run_is_refused_whole, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_db_batch_with_a_duplicate_keeps_earlier_batches_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_interrupted_run_keeps_all_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_kill_9_leaves_a_clean_database_with_the_run_running,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_db_open_out_of_memory_fails_cleanly_at_every_allocation, setup, teardown),
        cmocka_unit_test(test_db_close_null_is_a_no_op),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
