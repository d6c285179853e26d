/*
 * tables.c — the tables rows are inserted into, one entry each in db_tables
 * (indexed by enum db_table): the INSERT, the row type, how a row's fields
 * become columns and how a row is named when its insert fails. db_insert
 * (db.c) runs a batch through its entry in one transaction.
 *
 *   requests: the validation queue's rows; wait, service and sojourn are
 *     stored derived so that queries need no arithmetic;
 *   radio_samples: coinfer radio's rows, SINR -inf (no signal) as -Inf;
 *   profiles: coinfer profile's rows, one profiled_at (now) per batch;
 *   accuracy: coinfer accuracy's rows, one measured_at (now) per batch; cut
 *     NULL for a prefix, exit NULL for the model's own output;
 *   exit_accuracy: coinfer accuracy --exits's rows, the same; exit and
 *     threshold NULL for the model's own output, exit_accuracy NULL where
 *     nothing left;
 *   inferences (struct proto_outcome): model is the batch's
 *     model_names[outcome.model]; correct -1 (not known) is NULL; the
 *     flags are 0 or 1; ue_alloc and edge_alloc are the plan's allocation
 *     texts (compute_plan_alloc_text, at most DB_ALLOC_TEXT_MAX - 1
 *     characters); an unfinished outcome has t_done_s, latency_s NULL, its
 *     stage, and deadline_met 0 when its deadline has passed, else NULL;
 *   energy: the ledger (proto_energy_row): owner 'ue' (ue_id set, resource
 *     NULL) or 'edge' (resource set, ue_id NULL);
 *   layers: a model's problem layers (db_layer_row);
 *   inferences also: restarts; plan_order NULL where the plan's order is
 *     the layers' own, else "i,j,..." (the layer at each position);
 *     encoding the executed plan's uplink encoding by name ("fp32" for a
 *     problem that offers none), NULL where the plan sends nothing (local,
 *     no plan); decided_encoding the decided plan's where an a3 changed
 *     the plan, as decided_split; exit where the executed plan ended
 *     ("output", or the problem's exit name), NULL without a plan;
 *   messages: src and dst are "ue:<id>" and "cell:<id>", in the direction of
 *     the record's uplink flag; type is proto_msg_type_name; inference_id -1
 *     (a state message) is NULL.
 */
#include "db/db_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Bytes of the longest allocation text, NUL included: a segment per layer,
 * each a label (at most 31 characters), ':', two positions of at most five
 * digits, '-' and ','. */
#define DB_ALLOC_TEXT_MAX                                                                    \
    (COMPUTE_PLAN_MAX_LAYERS * (sizeof(((struct compute_option *)0)->label) + 13) + 1)
/* Bytes of an edge-waits text: per option its label, '=', a %.9g number
 * (at most 16 characters) and ',' */
#define DB_WAITS_TEXT_MAX                                                                    \
    (COMPUTE_PLAN_MAX_OPTIONS * (sizeof(((struct compute_option *)0)->label) + 18) + 1)

static void bind_real_or_null(sqlite3_stmt *st, int col, double v);

/* The name of the encoding plan pl sends its crossing tensors at into
 * column col: the problem's encoding name, "fp32" (encoding 0, the
 * problem's own bytes) for a problem that offers none; NULL for a plan
 * that sends nothing across the uplink (no plan, or local). */
static void bind_encoding(sqlite3_stmt *st, int col, const struct compute_problem *p,
                          const struct compute_plan *pl)
{
    const char *name;

    if (pl->n_layers == 0 || pl->n_ue >= pl->n_layers) {
        sqlite3_bind_null(st, col);
        return;
    }
    if (p->n_encodings == 0) {
        sqlite3_bind_text(st, col, "fp32", -1, SQLITE_STATIC);
        return;
    }
    name = p->encodings[pl->encoding].name;
    sqlite3_bind_text(st, col, name, (int)strnlen(name, sizeof(p->encodings[0].name)),
                      SQLITE_TRANSIENT);
}

/* Where outcome r's plan ended into column col: "output" (the model's own
 * output), the problem's exit name, NULL where no plan ran. */
static void bind_exit(sqlite3_stmt *st, int col, const struct proto_outcome *r)
{
    const struct compute_problem *p = r->problem;
    const char *name;

    if (r->no_plan || r->plan.n_layers == 0) {
        sqlite3_bind_null(st, col);
        return;
    }
    if (r->plan.exit == 0 || r->plan.exit > p->n_exits) {
        sqlite3_bind_text(st, col, "output", -1, SQLITE_STATIC);
        return;
    }
    name = p->exits[r->plan.exit - 1].name;
    sqlite3_bind_text(st, col, name, (int)strnlen(name, sizeof(p->exits[0].name)),
                      SQLITE_TRANSIENT);
}

/* The plan's order as "i,j,k,..." into column col, NULL where it is the
 * layers' own order (text: room for DB_ALLOC_TEXT_MAX bytes). */
static void bind_order(sqlite3_stmt *st, int col, const struct compute_plan *pl, char *text)
{
    size_t len = 0;
    uint32_t k;

    static_assert(COMPUTE_PLAN_MAX_LAYERS * 7 < DB_ALLOC_TEXT_MAX, "an order fits the buffer");
    for (k = 0; k < pl->n_layers && pl->order[k] == k; k++)
        ;
    if (k == pl->n_layers) {
        sqlite3_bind_null(st, col);
        return;
    }
    for (k = 0; k < pl->n_layers; k++) {
        int w = snprintf(text + len, DB_ALLOC_TEXT_MAX - len, "%s%u", k ? "," : "",
                         (unsigned)pl->order[k]);

        len += w > 0 ? (size_t)w : 0;
    }
    sqlite3_bind_text(st, col, text, -1, SQLITE_TRANSIENT);
}

/* The decision columns (27..37 and 41) of an outcome: the state its plan
 * was decided on, what that plan was predicted to cost, and the plan itself
 * where an a3 changed it (NULL where the plan executed is the one
 * decided). All NULL for an inference that never had a plan (no-plan). */
static void bind_decision(sqlite3_stmt *st, const struct proto_outcome *r, char *text)
{
    const struct compute_problem *p = r->problem;
    struct compute_plan_cost c;
    size_t len = 0;

    if (r->plan_decided.n_layers == 0) {
        for (int col = 27; col <= 37; col++)
            sqlite3_bind_null(st, col);
        sqlite3_bind_null(st, 41);
        return;
    }
    if (compute_plan_equal(&r->plan_decided, &r->plan)) {
        sqlite3_bind_null(st, 27);
        sqlite3_bind_null(st, 28);
        sqlite3_bind_null(st, 29);
        sqlite3_bind_null(st, 41);
    } else {
        bind_encoding(st, 41, p, &r->plan_decided);
        sqlite3_bind_int64(st, 27, r->plan_decided.n_ue);
        compute_plan_alloc_text(p, &r->plan_decided, COMPUTE_SIDE_UE, text, DB_ALLOC_TEXT_MAX);
        sqlite3_bind_text(st, 28, text, -1, SQLITE_TRANSIENT);
        compute_plan_alloc_text(p, &r->plan_decided, COMPUTE_SIDE_EDGE, text, DB_ALLOC_TEXT_MAX);
        sqlite3_bind_text(st, 29, text, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_double(st, 30, r->ue_load);
    bind_real_or_null(st, 31, isinf(r->battery_j) ? NAN : r->battery_j);
    sqlite3_bind_double(st, 32, r->state.ul_rate_bps);
    sqlite3_bind_double(st, 33, r->state.dl_rate_bps);
    for (size_t o = 0; r->state.edge_available && o < p->n_options[COMPUTE_SIDE_EDGE]; o++) {
        /* the label copied, the number alone through printf (a "%.*s" takes
         * glibc's slow positional path: a third of a row's cost) */
        const char *label = p->options[COMPUTE_SIDE_EDGE][o].label;
        size_t n = strnlen(label, sizeof(p->options[COMPUTE_SIDE_EDGE][o].label));
        int w;

        if (o)
            text[len++] = ',';
        memcpy(text + len, label, n);
        len += n;
        text[len++] = '=';
        if (r->state.wait_s[COMPUTE_SIDE_EDGE][o] == 0.0) { /* an idle option: most of them */
            text[len++] = '0';
            text[len] = '\0';
            continue;
        }
        w = snprintf(text + len, DB_WAITS_TEXT_MAX - len, "%.9g",
                     r->state.wait_s[COMPUTE_SIDE_EDGE][o]);
        len += w > 0 ? (size_t)w : 0;
    }
    if (r->state.edge_available)
        sqlite3_bind_text(st, 34, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 34);
    compute_plan_cost(p, &r->state, &r->plan_decided, &c);
    bind_real_or_null(st, 35, c.latency_s);
    bind_real_or_null(st, 36, c.ue_energy_j);
    bind_real_or_null(st, 37, c.edge_energy_j);
}

/* ---- requests, radio samples, profiles ------------------------------------ */

static void bind_request(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct proto_request_record *r = row;

    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)r->request_id);
    sqlite3_bind_int64(st, 3, r->ue_id);
    sqlite3_bind_int64(st, 4, r->server_id);
    sqlite3_bind_double(st, 5, r->t_arrival_s);
    sqlite3_bind_double(st, 6, r->t_start_s);
    sqlite3_bind_double(st, 7, r->t_done_s);
    sqlite3_bind_double(st, 8, r->t_start_s - r->t_arrival_s);
    sqlite3_bind_double(st, 9, r->t_done_s - r->t_start_s);
    sqlite3_bind_double(st, 10, r->t_done_s - r->t_arrival_s);
}

static void describe_request(const void *row, char *buf, size_t size)
{
    const struct proto_request_record *r = row;

    snprintf(buf, size, "request %llu", (unsigned long long)r->request_id);
}

static void bind_radio_sample(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct radio_sample *r = row;

    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, r->ue);
    sqlite3_bind_double(st, 3, r->t_s);
    sqlite3_bind_int64(st, 4, r->cell);
    sqlite3_bind_double(st, 5, r->x_m);
    sqlite3_bind_double(st, 6, r->y_m);
    sqlite3_bind_double(st, 7, r->ul_sinr_db);
    sqlite3_bind_double(st, 8, r->dl_sinr_db);
    sqlite3_bind_int64(st, 9, r->ul_cqi);
    sqlite3_bind_int64(st, 10, r->dl_cqi);
    sqlite3_bind_double(st, 11, r->ul_rate_bps);
    sqlite3_bind_double(st, 12, r->dl_rate_bps);
}

static void describe_radio_sample(const void *row, char *buf, size_t size)
{
    const struct radio_sample *r = row;

    snprintf(buf, size, "the radio sample of UE %u at %g s", (unsigned)r->ue, r->t_s);
}

/* Profile rows bind ?2..?20 (?15..?20 the host's, NULL without one); ?1
 * (profiled_at, now) is bound once per batch. */
static void bind_profile_batch(struct db *db, sqlite3_stmt *st, const void *ctx)
{
    (void)ctx;
    db_now_text(db->batch_text, sizeof(db->batch_text));
    sqlite3_bind_text(st, 1, db->batch_text, -1, SQLITE_STATIC);
}

static void bind_profile(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct db_profile_row *r = row;

    (void)run_id;
    sqlite3_bind_text(st, 2, r->model, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->layer_index);
    sqlite3_bind_text(st, 4, r->layer_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->layer_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->resource, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, r->threads);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)r->flops);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)r->params);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)r->out_bytes);
    sqlite3_bind_double(st, 11, r->latency_s);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->reps);
    sqlite3_bind_double(st, 13, r->latency_min_s);
    sqlite3_bind_double(st, 14, r->latency_max_s);
    if (r->host) {
        sqlite3_bind_text(st, 15, r->host->key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 16, r->host->cpu_model, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 17, r->host->blas_coretype, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 18, r->host->blas_corename, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 19, r->host->blas_cpu_family, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 20, r->host->blas_config, -1, SQLITE_STATIC);
    } else {
        for (int col = 15; col <= 20; col++)
            sqlite3_bind_null(st, col);
    }
}

static void describe_profile(const void *row, char *buf, size_t size)
{
    const struct db_profile_row *r = row;

    snprintf(buf, size, "the profile of %s layer %d (%s)", r->model ? r->model : "(null)",
             r->layer_index, r->layer_name ? r->layer_name : "(null)");
}

/* Accuracy rows bind ?2..?13; ?1 (measured_at, now) is bound once per batch
 * (bind_profile_batch: the same timestamp rule). */
static void bind_accuracy(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct db_accuracy_row *r = row;

    (void)run_id;
    (void)ctx;
    sqlite3_bind_text(st, 2, r->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->weights, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, r->split);
    sqlite3_bind_text(st, 5, r->layer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->encoding, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)r->crossing_bytes);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)r->items);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)r->correct);
    sqlite3_bind_double(st, 10, r->accuracy);
    sqlite3_bind_double(st, 11, r->fp32_accuracy);
    sqlite3_bind_text(st, 12, r->cut, -1, SQLITE_STATIC); /* NULL binds NULL */
    sqlite3_bind_text(st, 13, r->exit, -1, SQLITE_STATIC);
}

static void describe_accuracy(const void *row, char *buf, size_t size)
{
    const struct db_accuracy_row *r = row;

    if (r->cut)
        snprintf(buf, size, "the accuracy of %s at split %s with %s%s%s",
                 r->model ? r->model : "(null)", r->cut, r->encoding ? r->encoding : "(null)",
                 r->exit ? " ending at " : "", r->exit ? r->exit : "");
    else
        snprintf(buf, size, "the accuracy of %s at split %u with %s%s%s",
                 r->model ? r->model : "(null)", (unsigned)r->split,
                 r->encoding ? r->encoding : "(null)", r->exit ? " ending at " : "",
                 r->exit ? r->exit : "");
}

/* Exit-accuracy rows bind ?2..?19; ?1 (measured_at) once per batch. */
static void bind_exit_accuracy(sqlite3_stmt *st, int64_t run_id, const void *row,
                               const void *ctx)
{
    const struct db_exit_accuracy_row *r = row;

    (void)run_id;
    (void)ctx;
    sqlite3_bind_text(st, 2, r->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->weights, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->confidence, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->thresholds, -1, SQLITE_STATIC);
    if (r->exit) {
        sqlite3_bind_double(st, 6, r->threshold);
        sqlite3_bind_text(st, 8, r->exit, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 6);
        sqlite3_bind_null(st, 8);
    }
    sqlite3_bind_int64(st, 7, r->stage);
    sqlite3_bind_text(st, 9, r->after_layer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)r->items);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->exited);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->correct);
    sqlite3_bind_double(st, 13, r->items ? (double)r->exited / (double)r->items : 0.0);
    if (r->exited)
        sqlite3_bind_double(st, 14, (double)r->correct / (double)r->exited);
    else
        sqlite3_bind_null(st, 14);
    sqlite3_bind_int64(st, 15, (sqlite3_int64)r->stage_macs);
    sqlite3_bind_double(st, 16, r->cascade_accuracy);
    sqlite3_bind_double(st, 17, r->cascade_macs);
    sqlite3_bind_double(st, 18, r->model_accuracy);
    sqlite3_bind_int64(st, 19, (sqlite3_int64)r->model_macs);
}

static void describe_exit_accuracy(const void *row, char *buf, size_t size)
{
    const struct db_exit_accuracy_row *r = row;

    snprintf(buf, size, "the exit accuracy of %s at stage %u, thresholds %s",
             r->model ? r->model : "(null)", (unsigned)r->stage,
             r->thresholds ? r->thresholds : "(null)");
}

/* ---- inferences ---------------------------------------------------------- */

/* A double, NULL when NAN. */
static void bind_real_or_null(sqlite3_stmt *st, int col, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, col);
    else
        sqlite3_bind_double(st, col, v);
}

static void bind_inference(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct proto_outcome *r = row;
    const char *const *model_names = ((const struct db_inference_ctx *)ctx)->model_names;
    char alloc[DB_ALLOC_TEXT_MAX];

    static_assert(DB_WAITS_TEXT_MAX <= DB_ALLOC_TEXT_MAX, "one buffer holds either text");
    double elapsed = r->ue_compute_s + r->uplink_s + r->edge_queue_s + r->edge_compute_s +
                     r->downlink_s + r->signaling_s;

    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)r->inference_id);
    sqlite3_bind_int64(st, 3, r->ue_id);
    sqlite3_bind_int64(st, 4, r->cell_id);
    sqlite3_bind_text(st, 5, model_names[r->model], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, r->split);
    sqlite3_bind_double(st, 7, r->t_request_s);
    bind_real_or_null(st, 8, r->finished ? r->t_done_s : NAN);
    bind_real_or_null(st, 9, r->finished ? r->latency_s : NAN);
    sqlite3_bind_double(st, 10, r->ue_compute_s);
    sqlite3_bind_double(st, 11, r->uplink_s);
    sqlite3_bind_double(st, 12, r->edge_queue_s);
    sqlite3_bind_double(st, 13, r->edge_compute_s);
    sqlite3_bind_double(st, 14, r->downlink_s);
    sqlite3_bind_double(st, 15, r->signaling_s);
    sqlite3_bind_double(st, 16, r->ue_energy_j);
    sqlite3_bind_double(st, 17, r->edge_energy_j);
    if (r->correct < 0)
        sqlite3_bind_null(st, 18);
    else
        sqlite3_bind_int64(st, 18, r->correct);
    sqlite3_bind_int(st, 19, r->declined);
    sqlite3_bind_int(st, 20, r->overridden);
    if (r->finished)
        sqlite3_bind_int(st, 21, r->deadline_met);
    else if (elapsed > r->deadline_s || r->no_plan)
        sqlite3_bind_int(st, 21, 0); /* already late, or never to finish */
    else
        sqlite3_bind_null(st, 21);
    compute_plan_alloc_text(r->problem, &r->plan, COMPUTE_SIDE_UE, alloc, sizeof(alloc));
    sqlite3_bind_text(st, 22, alloc, -1, SQLITE_TRANSIENT);
    compute_plan_alloc_text(r->problem, &r->plan, COMPUTE_SIDE_EDGE, alloc, sizeof(alloc));
    sqlite3_bind_text(st, 23, alloc, -1, SQLITE_TRANSIENT);
    if (r->finished)
        sqlite3_bind_null(st, 24);
    else
        sqlite3_bind_text(st, 24, r->stage ? r->stage : "?", -1, SQLITE_STATIC);
    if (r->decline == PROTO_DECLINE_NONE)
        sqlite3_bind_null(st, 25);
    else
        sqlite3_bind_text(st, 25, proto_decline_name(r->decline), -1, SQLITE_STATIC);
    if (!r->no_plan)
        sqlite3_bind_null(st, 26);
    else
        sqlite3_bind_int(st, 26, r->no_plan_layer);
    bind_decision(st, r, alloc);
    sqlite3_bind_int64(st, 38, r->restarts);
    bind_order(st, 39, &r->plan, alloc);
    if (r->no_plan)
        sqlite3_bind_null(st, 40);
    else
        bind_encoding(st, 40, r->problem, &r->plan);
    bind_exit(st, 42, r);
}

static void describe_inference(const void *row, char *buf, size_t size)
{
    const struct proto_outcome *r = row;

    snprintf(buf, size, "inference %llu (UE %u)", (unsigned long long)r->inference_id,
             (unsigned)r->ue_id);
}

/* ---- messages ------------------------------------------------------------ */

#define ENDPOINT_MAX 24 /* "cell:4294967295" and its NUL fit */

/* The endpoints are texts of the row's own, so SQLite copies them
 * (SQLITE_TRANSIENT). */
static void bind_message(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct proto_message_record *r = row;
    char ue[ENDPOINT_MAX], cell[ENDPOINT_MAX];
    int n_ue = snprintf(ue, sizeof(ue), "ue:%u", (unsigned)r->ue_id);
    int n_cell = snprintf(cell, sizeof(cell), "cell:%u", (unsigned)r->cell_id);

    (void)ctx;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_double(st, 2, r->t_s);
    sqlite3_bind_text(st, 3, r->uplink ? ue : cell, r->uplink ? n_ue : n_cell, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, r->uplink ? cell : ue, r->uplink ? n_cell : n_ue, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, proto_msg_type_name(r->type), -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 6, r->bytes);
    if (r->inference_id < 0)
        sqlite3_bind_null(st, 7);
    else
        sqlite3_bind_int64(st, 7, r->inference_id);
}

/* ---- UEs ------------------------------------------------------------------ */

static void bind_ue(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct db_ue_row *r = row;

    (void)ctx;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, r->ue_id);
    sqlite3_bind_text(st, 3, r->device, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, r->group);
    sqlite3_bind_int64(st, 5, r->cell_id);
    sqlite3_bind_double(st, 6, r->x_m);
    sqlite3_bind_double(st, 7, r->y_m);
}

static void describe_ue(const void *row, char *buf, size_t size)
{
    snprintf(buf, size, "UE %u", (unsigned)((const struct db_ue_row *)row)->ue_id);
}

static void describe_message(const void *row, char *buf, size_t size)
{
    const struct proto_message_record *r = row;

    snprintf(buf, size, "the %s message of UE %u at %g s", proto_msg_type_name(r->type),
             (unsigned)r->ue_id, r->t_s);
}

/* ---- the table of tables ----------------------------------------------------- */

/* ---- energy and layers ------------------------------------------------------------ */

static void bind_energy(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct proto_energy_row *r = row;

    (void)ctx;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, r->edge ? "edge" : "ue", -1, SQLITE_STATIC);
    if (r->edge) {
        sqlite3_bind_null(st, 3);
        sqlite3_bind_text(st, 5, r->resource, -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_int64(st, 3, r->ue_id);
        sqlite3_bind_null(st, 5);
    }
    sqlite3_bind_int64(st, 4, r->cell_id);
    sqlite3_bind_double(st, 6, r->idle_j);
    sqlite3_bind_double(st, 7, r->compute_j);
    sqlite3_bind_double(st, 8, r->background_j);
    sqlite3_bind_double(st, 9, r->radio_j);
    sqlite3_bind_double(st, 10, r->tail_j);
    sqlite3_bind_double(st, 11, r->duration_s);
}

static void describe_energy(const void *row, char *buf, size_t size)
{
    const struct proto_energy_row *r = row;

    if (r->edge)
        snprintf(buf, size, "the energy of edge instance '%s' of cell %u", r->resource,
                 (unsigned)r->cell_id);
    else
        snprintf(buf, size, "the energy of UE %u", (unsigned)r->ue_id);
}

static void bind_layer(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct db_layer_row *r = row;

    (void)ctx;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, r->model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, r->layer);
    sqlite3_bind_text(st, 4, r->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, r->op, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, r->nn_layers, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 7, r->out_bytes);
}

static void describe_layer(const void *row, char *buf, size_t size)
{
    const struct db_layer_row *r = row;

    snprintf(buf, size, "layer %u of model '%s'", (unsigned)r->layer, r->model);
}

static void bind_sample(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct db_sample_row *r = row;

    (void)ctx;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)r->inference_id);
    sqlite3_bind_int64(st, 3, r->ue_id);
    sqlite3_bind_text(st, 4, r->device, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, r->action, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 8, r->reward);
    sqlite3_bind_double(st, 9, r->window_reward);
}

static void describe_sample(const void *row, char *buf, size_t size)
{
    const struct db_sample_row *r = row;

    snprintf(buf, size, "the sample of inference %llu", (unsigned long long)r->inference_id);
}

static void bind_sample_field(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct db_sample_field_row *r = row;

    (void)ctx;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, r->device, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->model, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->field);
    sqlite3_bind_text(st, 6, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, r->unit, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, r->description, -1, SQLITE_STATIC);
}

static void describe_sample_field(const void *row, char *buf, size_t size)
{
    const struct db_sample_field_row *r = row;

    snprintf(buf, size, "%s field %u of the samples of model '%s' on device '%s'", r->kind,
             (unsigned)r->field, r->model, r->device);
}

static void bind_training_step(sqlite3_stmt *st, int64_t train_id, const void *row,
                               const void *ctx)
{
    const struct db_training_step *r = row;

    (void)ctx;
    sqlite3_bind_int64(st, 1, train_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)r->step);
    sqlite3_bind_double(st, 3, r->loss);
    bind_real_or_null(st, 4, r->heldout_loss);
    bind_real_or_null(st, 5, r->heldout_regret);
}

static void describe_training_step(const void *row, char *buf, size_t size)
{
    const struct db_training_step *r = row;

    snprintf(buf, size, "training step %llu", (unsigned long long)r->step);
}

/* Laid out by hand: clang-format would re-flow the whole table whenever a
 * line of it changes. */
/* clang-format off */
const struct db_table_spec db_tables[DB_TABLE_COUNT] = {
    [DB_REQUESTS] = {
        .rows_name = "requests",
        .insert_sql = "INSERT INTO requests (run_id, request_id, ue_id, server_id, t_arrival_s, "
                      "t_start_s, t_done_s, wait_s, service_s, sojourn_s) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        .row_size = sizeof(struct proto_request_record),
        .per_run = true,
        .bind = bind_request,
        .describe = describe_request,
    },
    [DB_RADIO_SAMPLES] = {
        .rows_name = "radio samples",
        .insert_sql = "INSERT INTO radio_samples (run_id, ue_id, t_s, cell_id, x_m, y_m, "
                      "ul_sinr_db, dl_sinr_db, ul_cqi, dl_cqi, ul_rate_bps, dl_rate_bps) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        .row_size = sizeof(struct radio_sample),
        .per_run = true,
        .bind = bind_radio_sample,
        .describe = describe_radio_sample,
    },
    [DB_PROFILES] = {
        .rows_name = "profile rows",
        .insert_sql = "INSERT INTO profiles (model, layer_index, layer_name, layer_type, "
                      "resource, threads, flops, params, out_bytes, latency_s, reps, "
                      "latency_min_s, latency_max_s, profiled_at, host_key, cpu_model, "
                      "blas_coretype, blas_corename, blas_cpu_family, blas_config) "
                      "VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?1, "
                      "?15, ?16, ?17, ?18, ?19, ?20)",
        .row_size = sizeof(struct db_profile_row),
        .per_run = false,
        .bind_batch = bind_profile_batch,
        .bind = bind_profile,
        .describe = describe_profile,
    },
    [DB_INFERENCES] = {
        .rows_name = "inferences",
        .insert_sql = "INSERT INTO inferences (run_id, inference_id, ue_id, cell_id, model, "
                      "split, t_request_s, t_done_s, latency_s, ue_compute_s, uplink_s, "
                      "edge_queue_s, edge_compute_s, downlink_s, signaling_s, ue_energy_j, "
                      "edge_energy_j, correct, declined, overridden, deadline_met, ue_alloc, "
                      "edge_alloc, stage, decline_reason, no_plan_layer, decided_split, "
                      "decided_ue_alloc, decided_edge_alloc, decided_ue_load, decided_battery_j, "
                      "decided_ul_rate_bps, decided_dl_rate_bps, decided_edge_waits_s, "
                      "predicted_latency_s, predicted_ue_energy_j, predicted_edge_energy_j, "
                      "restarts, plan_order, encoding, decided_encoding, exit) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                      "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, "
                      "?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41, ?42)",
        .row_size = sizeof(struct proto_outcome),
        .per_run = true,
        .bind = bind_inference,
        .describe = describe_inference,
    },
    [DB_MESSAGES] = {
        .rows_name = "messages",
        .insert_sql = "INSERT INTO messages (run_id, t_s, src, dst, type, bytes, inference_id) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        .row_size = sizeof(struct proto_message_record),
        .per_run = true,
        .bind = bind_message,
        .describe = describe_message,
    },
    [DB_UES] = {
        .rows_name = "UEs",
        .insert_sql = "INSERT INTO ues (run_id, ue_id, device, ue_group, cell_id, x_m, y_m) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        .row_size = sizeof(struct db_ue_row),
        .per_run = true,
        .bind = bind_ue,
        .describe = describe_ue,
    },
    [DB_ENERGY] = {
        .rows_name = "energy",
        .insert_sql = "INSERT INTO energy (run_id, owner, ue_id, cell_id, resource, idle_j, "
                      "compute_j, background_j, radio_j, tail_j, duration_s) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        .row_size = sizeof(struct proto_energy_row),
        .per_run = true,
        .bind = bind_energy,
        .describe = describe_energy,
    },
    [DB_LAYERS] = {
        .rows_name = "layers",
        .insert_sql = "INSERT INTO layers (run_id, model, layer, name, op, nn_layers, out_bytes) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        .row_size = sizeof(struct db_layer_row),
        .per_run = true,
        .bind = bind_layer,
        .describe = describe_layer,
    },
    [DB_SAMPLES] = {
        .rows_name = "samples",
        .insert_sql = "INSERT INTO sample_rows (run_id, inference_id, ue_id, device, model, state, "
                      "action, reward, window_reward) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        .row_size = sizeof(struct db_sample_row),
        .per_run = true,
        .bind = bind_sample,
        .describe = describe_sample,
    },
    [DB_SAMPLE_FIELDS] = {
        .rows_name = "sample fields",
        .insert_sql = "INSERT INTO sample_fields (run_id, device, model, kind, field, name, unit, "
                      "description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        .row_size = sizeof(struct db_sample_field_row),
        .per_run = true,
        .bind = bind_sample_field,
        .describe = describe_sample_field,
    },
    [DB_TRAINING_STEPS] = {
        .rows_name = "training steps",
        .insert_sql = "INSERT INTO training_steps (train_id, step, loss, heldout_loss, "
                      "heldout_regret) VALUES (?1, ?2, ?3, ?4, ?5)",
        .row_size = sizeof(struct db_training_step),
        .per_run = true,
        .bind = bind_training_step,
        .describe = describe_training_step,
    },
    [DB_ACCURACY] = {
        .rows_name = "accuracy rows",
        .insert_sql = "INSERT INTO accuracy (model, weights, split, layer, encoding, "
                      "crossing_bytes, items, correct, accuracy, fp32_accuracy, measured_at, "
                      "cut, exit) VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?1, ?12, ?13)",
        .row_size = sizeof(struct db_accuracy_row),
        .per_run = false,
        .bind_batch = bind_profile_batch,
        .bind = bind_accuracy,
        .describe = describe_accuracy,
    },
    [DB_EXIT_ACCURACY] = {
        .rows_name = "exit accuracy rows",
        .insert_sql = "INSERT INTO exit_accuracy (model, weights, confidence, thresholds, "
                      "threshold, stage, exit, after_layer, items, exited, correct, exit_rate, "
                      "exit_accuracy, stage_macs, cascade_accuracy, cascade_macs, "
                      "model_accuracy, model_macs, measured_at) VALUES (?2, ?3, ?4, ?5, ?6, ?7, "
                      "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?1)",
        .row_size = sizeof(struct db_exit_accuracy_row),
        .per_run = false,
        .bind_batch = bind_profile_batch,
        .bind = bind_exit_accuracy,
        .describe = describe_exit_accuracy,
    },
};
/* clang-format on */

/* ---- typed entry points --------------------------------------------------------- */

enum core_rc db_insert_requests(struct db *db, int64_t run_id,
                                const struct proto_request_record *rows, size_t n,
                                struct core_err *e)
{
    return db_insert(db, DB_REQUESTS, run_id, rows, n, NULL, e);
}

enum core_rc db_insert_radio_samples(struct db *db, int64_t run_id,
                                     const struct radio_sample *rows, size_t n,
                                     struct core_err *e)
{
    return db_insert(db, DB_RADIO_SAMPLES, run_id, rows, n, NULL, e);
}

enum core_rc db_insert_profiles(struct db *db, const struct db_profile_row *rows, size_t n,
                                struct core_err *e)
{
    return db_insert(db, DB_PROFILES, 0, rows, n, NULL, e);
}

enum core_rc db_insert_inferences(struct db *db, int64_t run_id, const char *const *model_names,
                                  const struct proto_outcome *rows, size_t n,
                                  struct core_err *e)
{
    const struct db_inference_ctx ctx = {model_names};

    return db_insert(db, DB_INFERENCES, run_id, rows, n, &ctx, e);
}

enum core_rc db_insert_messages(struct db *db, int64_t run_id,
                                const struct proto_message_record *rows, size_t n,
                                struct core_err *e)
{
    return db_insert(db, DB_MESSAGES, run_id, rows, n, NULL, e);
}

enum core_rc db_insert_ues(struct db *db, int64_t run_id, const struct db_ue_row *rows, size_t n,
                           struct core_err *e)
{
    return db_insert(db, DB_UES, run_id, rows, n, NULL, e);
}

enum core_rc db_insert_energy(struct db *db, int64_t run_id, const struct proto_energy_row *rows,
                              size_t n, struct core_err *e)
{
    return db_insert(db, DB_ENERGY, run_id, rows, n, NULL, e);
}

enum core_rc db_insert_layers(struct db *db, int64_t run_id, const struct db_layer_row *rows,
                              size_t n, struct core_err *e)
{
    return db_insert(db, DB_LAYERS, run_id, rows, n, NULL, e);
}

enum core_rc db_insert_samples(struct db *db, int64_t run_id, const struct db_sample_row *rows,
                               size_t n, struct core_err *e)
{
    return db_insert(db, DB_SAMPLES, run_id, rows, n, NULL, e);
}

enum core_rc db_insert_sample_fields(struct db *db, int64_t run_id,
                                     const struct db_sample_field_row *rows, size_t n,
                                     struct core_err *e)
{
    return db_insert(db, DB_SAMPLE_FIELDS, run_id, rows, n, NULL, e);
}

enum core_rc db_insert_training_steps(struct db *db, int64_t train_id,
                                      const struct db_training_step *rows, size_t n,
                                      struct core_err *e)
{
    return db_insert(db, DB_TRAINING_STEPS, train_id, rows, n, NULL, e);
}

enum core_rc db_insert_accuracy(struct db *db, const struct db_accuracy_row *rows, size_t n,
                                struct core_err *e)
{
    return db_insert(db, DB_ACCURACY, 0, rows, n, NULL, e);
}

enum core_rc db_insert_exit_accuracy(struct db *db, const struct db_exit_accuracy_row *rows,
                                     size_t n, struct core_err *e)
{
    return db_insert(db, DB_EXIT_ACCURACY, 0, rows, n, NULL, e);
}
