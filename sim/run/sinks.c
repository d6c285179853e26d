/*
 * sinks.c — the record sinks of a run: the rows the world's handlers report
 * (requests, radio samples, outcomes of inferences and their training
 * samples, messages, the energy ledger), buffered in
 * memory, written to the results database between slices (one transaction
 * per kind per drain: all of a batch or none of it) and handed to the
 * caller's observer (its in-memory sink: summaries, CSV).
 *
 * When the run's policy learns, each outcome goes to it first, at once
 * (run_sinks_outcome_observed: the world's sink only then).
 *
 * Handlers never do I/O and never fail on a full buffer: a buffer grows
 * (amortised doubling, the only allocation, and only past the largest batch
 * so far) and, from its high-water mark on, asks the engine to stop so that
 * the driver drains it. Should a buffer fail to grow, the engine fails with
 * CORE_E_NOMEM: nothing is dropped silently.
 *
 * Also here: the CSV sink of radio samples (run_csv_samples).
 */
#include "run/run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Rows buffered before the engine is asked to stop for a drain. */
#define HIGH_REQUESTS 65536
#define HIGH_SAMPLES 65536
#define HIGH_OUTCOMES 4096
#define HIGH_MESSAGES 16384
#define HIGH_ENERGY 16384

/* Make room for one more row of size bytes in *rows (n used, *cap held);
 * false when it cannot grow (the engine is then failed). */
static bool room(struct run_sinks *s, void **rows, size_t n, size_t *cap, size_t size,
                 size_t high)
{
    if (n == *cap) {
        size_t c = *cap ? 2 * *cap : high;
        void *p = core_realloc(*rows, c * size);

        if (!p) {
            s->nomem = true;
            core_engine_fail(s->eng, CORE_E_NOMEM, "out of memory buffering the run's records");
            return false;
        }
        *rows = p;
        *cap = c;
    }
    if (n + 1 >= high)
        core_engine_request_stop(s->eng);
    return true;
}

void run_sinks_request(void *ctx, const struct proto_request_record *r)
{
    struct run_sinks *s = ctx;

    if (room(s, (void **)&s->requests, s->n_requests, &s->cap_requests, sizeof(*r),
             HIGH_REQUESTS))
        s->requests[s->n_requests++] = *r;
}

void run_sinks_outcome(void *ctx, const struct proto_outcome *o)
{
    struct run_sinks *s = ctx;

    if (room(s, (void **)&s->outcomes, s->n_outcomes, &s->cap_outcomes, sizeof(*o),
             HIGH_OUTCOMES))
        s->outcomes[s->n_outcomes++] = *o;
}

void run_sinks_outcome_observed(void *ctx, const struct proto_outcome *o)
{
    struct run_sinks *s = ctx;

    run_decider_observe(s->decider, o);
    run_sinks_outcome(ctx, o);
}

void run_sinks_message(void *ctx, const struct proto_message_record *m)
{
    struct run_sinks *s = ctx;

    if (room(s, (void **)&s->messages, s->n_messages, &s->cap_messages, sizeof(*m),
             HIGH_MESSAGES))
        s->messages[s->n_messages++] = *m;
}

void run_sinks_energy(void *ctx, const struct proto_energy_row *r)
{
    struct run_sinks *s = ctx;

    if (room(s, (void **)&s->energy, s->n_energy, &s->cap_energy, sizeof(*r), HIGH_ENERGY))
        s->energy[s->n_energy++] = *r;
}

void run_sinks_samples(struct run_sinks *s, const struct radio_sample *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!room(s, (void **)&s->samples, s->n_samples, &s->cap_samples, sizeof(*rows),
                  HIGH_SAMPLES))
            return;
        s->samples[s->n_samples++] = rows[i];
    }
}

/* The queue model's statistics over the requests drained. */
static void summarise_requests(struct run_result *res, const struct proto_request_record *rows,
                               size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct proto_request_record *row = &rows[i];
        double sojourn_s = row->t_done_s - row->t_arrival_s;

        core_stats_add(&res->sojourn, sojourn_s);
        core_stats_add(&res->wait, row->t_start_s - row->t_arrival_s);
        core_p2_add(&res->p50, sojourn_s);
        core_p2_add(&res->p95, sojourn_s);
        core_p2_add(&res->p99, sojourn_s);
    }
}

enum core_rc run_sinks_drain(void *ctx, struct core_err *e)
{
    struct run_sinks *s = ctx;
    const struct run_observer *ob = &s->observer;
    enum core_rc rc = CORE_OK;

    if (s->n_requests > 0) {
        if (s->db)
            rc = db_insert_requests(s->db, s->run_id, s->requests, s->n_requests, e);
        if (rc != CORE_OK)
            return rc;
        summarise_requests(s->res, s->requests, s->n_requests);
        if (ob->requests)
            ob->requests(ob->ctx, s->requests, s->n_requests);
        s->res->n_rows += s->n_requests;
        s->n_requests = 0;
    }
    if (s->n_samples > 0) {
        if (s->db)
            rc = db_insert_radio_samples(s->db, s->run_id, s->samples, s->n_samples, e);
        if (rc != CORE_OK)
            return rc;
        if (ob->samples)
            ob->samples(ob->ctx, s->samples, s->n_samples);
        s->res->n_rows += s->n_samples;
        s->n_samples = 0;
    }
    if (s->n_outcomes > 0) {
        if (s->db)
            rc = db_insert_inferences(s->db, s->run_id, s->model_names, s->outcomes,
                                      s->n_outcomes, e);
        if (rc == CORE_OK && s->db)
            rc = run_samples_write(s, s->outcomes, s->n_outcomes, e);
        if (rc != CORE_OK)
            return rc;
        if (ob->outcomes)
            ob->outcomes(ob->ctx, s->outcomes, s->n_outcomes);
        s->res->n_rows += s->n_outcomes;
        s->n_outcomes = 0;
    }
    if (s->n_messages > 0) {
        if (s->db)
            rc = db_insert_messages(s->db, s->run_id, s->messages, s->n_messages, e);
        if (rc != CORE_OK)
            return rc;
        s->res->n_messages += s->n_messages;
        s->n_messages = 0;
    }
    if (s->n_energy > 0) {
        if (s->db)
            rc = db_insert_energy(s->db, s->run_id, s->energy, s->n_energy, e);
        if (rc != CORE_OK)
            return rc;
        if (ob->energy)
            ob->energy(ob->ctx, s->energy, s->n_energy);
        s->n_energy = 0;
    }
    return CORE_OK;
}

void run_sinks_fini(struct run_sinks *s)
{
    core_free(s->requests);
    core_free(s->samples);
    core_free(s->outcomes);
    core_free(s->messages);
    core_free(s->energy);
    core_free((void *)s->model_names);
    core_free(s->sample_rows);
    core_free(s->sample_at);
    core_free(s->text);
    memset(s, 0, sizeof(*s));
}

/* ---- the CSV sink ------------------------------------------------------------------- */

const char run_csv_samples_header[] =
    "ue_id,t_s,cell_id,x_m,y_m,ul_sinr_db,dl_sinr_db,ul_cqi,dl_cqi,ul_rate_bps,dl_rate_bps\n";

void run_csv_samples(void *out, const struct radio_sample *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct radio_sample *r = &rows[i];

        fprintf(out, "%u,%.9g,%u,%.9g,%.9g,%.9g,%.9g,%u,%u,%.9g,%.9g\n", (unsigned)r->ue, r->t_s,
                (unsigned)r->cell, r->x_m, r->y_m, r->ul_sinr_db, r->dl_sinr_db,
                (unsigned)r->ul_cqi, (unsigned)r->dl_cqi, r->ul_rate_bps, r->dl_rate_bps);
    }
}
