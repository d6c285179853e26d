/*
 * db_collab.c — the collaborative-inference protocol's rows in the results
 * database: `inferences` (one per finished inference) and, with --trace,
 * `messages` (one per delivered protocol message).
 *
 * Both go through io_db_insert_batch (db.c): one transaction per call, all
 * of the batch or none of it, with the statements db.c prepared at open.
 * The records (proto.h) become columns as follows:
 *
 *   inferences: model is model_names[record.model]; policy is the caller's,
 *     bound once per batch; correct -1 (not known) is NULL; the three flags
 *     are 0 or 1; the allocation texts are read up to their NUL (or
 *     PROTO_ALLOC_TEXT_MAX bytes);
 *   messages: src and dst are "ue:<id>" and "cell:<id>", in the direction of
 *     the record's uplink flag; type is proto_msg_type_name; inference_id -1
 *     (a state message) is NULL.
 *
 * A separate file from db.c so that a program that never writes these rows
 * does not link proto's message names.
 */
#include "io/io.h"
#include "io/db_int.h"

#include <stdio.h>
#include <string.h>

/* ---- inferences ---------------------------------------------------------- */

/* Rows bind ?1 and ?3..?24; ?2 (the policy) is bound once per batch. ctx is
 * the model names. */
static void bind_inference(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct proto_inference_record *r = row;
    const char *const *model_names = ctx;

    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)r->inference_id);
    sqlite3_bind_int64(st, 4, r->ue_id);
    sqlite3_bind_int64(st, 5, r->cell_id);
    sqlite3_bind_text(st, 6, model_names[r->model], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, r->split);
    sqlite3_bind_double(st, 8, r->t_request_s);
    sqlite3_bind_double(st, 9, r->t_done_s);
    sqlite3_bind_double(st, 10, r->latency_s);
    sqlite3_bind_double(st, 11, r->ue_compute_s);
    sqlite3_bind_double(st, 12, r->uplink_s);
    sqlite3_bind_double(st, 13, r->edge_queue_s);
    sqlite3_bind_double(st, 14, r->edge_compute_s);
    sqlite3_bind_double(st, 15, r->downlink_s);
    sqlite3_bind_double(st, 16, r->signaling_s);
    sqlite3_bind_double(st, 17, r->ue_energy_j);
    sqlite3_bind_double(st, 18, r->edge_energy_j);
    if (r->correct < 0)
        sqlite3_bind_null(st, 19);
    else
        sqlite3_bind_int64(st, 19, r->correct);
    sqlite3_bind_int(st, 20, r->declined);
    sqlite3_bind_int(st, 21, r->overridden);
    sqlite3_bind_int(st, 22, r->deadline_met);
    sqlite3_bind_text(st, 23, r->ue_alloc, (int)strnlen(r->ue_alloc, PROTO_ALLOC_TEXT_MAX),
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 24, r->edge_alloc, (int)strnlen(r->edge_alloc, PROTO_ALLOC_TEXT_MAX),
                      SQLITE_STATIC);
}

static void describe_inference(const void *row, char *buf, size_t size)
{
    const struct proto_inference_record *r = row;

    snprintf(buf, size, "inference %llu (UE %u)", (unsigned long long)r->inference_id,
             (unsigned)r->ue_id);
}

static const struct io_db_batch inference_batch = {
    .rows_name = "inferences",
    .row_size = sizeof(struct proto_inference_record),
    .per_run = true,
    .bind = bind_inference,
    .describe = describe_inference,
};

enum core_rc io_db_insert_inferences(struct io_db *db, int64_t run_id, const char *policy,
                                     const char *const *model_names,
                                     const struct proto_inference_record *rows, size_t n,
                                     struct core_err *e)
{
    enum core_rc rc;

    CORE_ASSERT(policy && model_names);
    sqlite3_bind_text(db->insert_inference, 2, policy, -1, SQLITE_STATIC);
    rc = io_db_insert_batch(db, db->insert_inference, &inference_batch, run_id, rows, n,
                            model_names, __func__, e);
    sqlite3_clear_bindings(db->insert_inference);
    return rc;
}

/* ---- messages ------------------------------------------------------------ */

#define ENDPOINT_MAX 24 /* "cell:4294967295" and its NUL fit */

/* The endpoint texts of the row being inserted: bound without a copy, they
 * live in io_db_insert_messages's frame until its bindings are cleared. */
struct message_endpoints {
    char ue[ENDPOINT_MAX];   /* "ue:<id>" */
    char cell[ENDPOINT_MAX]; /* "cell:<id>" */
};

static void bind_message(sqlite3_stmt *st, int64_t run_id, const void *row, const void *ctx)
{
    const struct proto_message_record *r = row;
    struct message_endpoints *ep = (struct message_endpoints *)ctx;
    int n_ue = snprintf(ep->ue, sizeof(ep->ue), "ue:%u", (unsigned)r->ue_id);
    int n_cell = snprintf(ep->cell, sizeof(ep->cell), "cell:%u", (unsigned)r->cell_id);

    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_double(st, 2, r->t_s);
    sqlite3_bind_text(st, 3, r->uplink ? ep->ue : ep->cell, r->uplink ? n_ue : n_cell,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->uplink ? ep->cell : ep->ue, r->uplink ? n_cell : n_ue,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 5, proto_msg_type_name(r->type), -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 6, r->bytes);
    if (r->inference_id < 0)
        sqlite3_bind_null(st, 7);
    else
        sqlite3_bind_int64(st, 7, r->inference_id);
}

static void describe_message(const void *row, char *buf, size_t size)
{
    const struct proto_message_record *r = row;

    snprintf(buf, size, "the %s message of UE %u at %g s", proto_msg_type_name(r->type),
             (unsigned)r->ue_id, r->t_s);
}

static const struct io_db_batch message_batch = {
    .rows_name = "messages",
    .row_size = sizeof(struct proto_message_record),
    .per_run = true,
    .bind = bind_message,
    .describe = describe_message,
};

enum core_rc io_db_insert_messages(struct io_db *db, int64_t run_id,
                                   const struct proto_message_record *rows, size_t n,
                                   struct core_err *e)
{
    struct message_endpoints ep = {"", ""};
    enum core_rc rc;

    rc = io_db_insert_batch(db, db->insert_message, &message_batch, run_id, rows, n, &ep, __func__,
                            e);
    sqlite3_clear_bindings(db->insert_message);
    return rc;
}
