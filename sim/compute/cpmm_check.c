/*
 * cpmm_check.c — the CPMM's cross-model check (coinfer profile --cpmm-check):
 * leave one model out, fit the per-type regressions on the others, predict
 * every layer of the one left out, and score the predictions by relative
 * error. Pure: it builds and destroys its own CPMM per round.
 */
#include "compute/compute.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The resource the check fits on: the profiled host CPU, one core. */
static void host_resource(struct compute_resource *r)
{
    size_t t;

    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", "host");
    r->kind = COMPUTE_RES_CPU;
    r->units = 1;
    r->measured = true;
    for (t = 0; t < COMPUTE_LAYER_TYPE_COUNT; t++) {
        r->efficiency[t] = 1.0;
        r->supports[t] = true;
        r->bias[t] = 1.0;
    }
}

/* Fill res from the relative errors err[0..n) (sorted in place). */
static void score(double *err, size_t n, double tol, size_t n_unpriced,
                  struct compute_cpmm_check_result *res)
{
    size_t i;

    memset(res, 0, sizeof(*res));
    res->n_counted = n;
    res->n_unpriced = n_unpriced;
    for (i = 0; i < n; i++)
        if (err[i] <= tol)
            res->n_within++;
    core_sort_doubles(err, n);
    res->share_within = n ? (double)res->n_within / (double)n : NAN;
    res->median_rel_error = core_quantile_sorted(err, n, 0.5);
}

/* Fit on every model but out and write the relative errors of out's layers
 * at or above floor_s to err[], their count to *n_err. */
static enum core_rc leave_one_out(const struct compute_cpmm_check_model *models, size_t n_models,
                                  size_t out, double floor_s, double *err, size_t *n_err,
                                  size_t *n_unpriced, struct core_err *e)
{
    const struct compute_cpmm_check_model *mo = &models[out];
    struct compute_cpmm_request q;
    struct compute_cpmm_reply reply;
    struct compute_resource host;
    struct compute_cpmm *c = compute_cpmm_create();
    struct core_err ignored;
    enum core_rc rc;
    size_t j, i, res;

    *n_err = *n_unpriced = 0;
    if (!c)
        return core_err(e, CORE_E_NOMEM, "out of memory for the CPMM check");
    host_resource(&host);
    rc = compute_cpmm_add_resource(c, &host, &res, e);
    for (j = 0; j < n_models && rc == CORE_OK; j++) {
        if (j == out)
            continue;
        for (i = 0; i < models[j].n_layers && rc == CORE_OK; i++)
            if (models[j].latency_s[i] >= 0.1 * floor_s && models[j].latency_s[i] > 0.0)
                rc = compute_cpmm_add_profile(c, res, 1.0, NULL, &models[j].layers[i],
                                              models[j].latency_s[i], e);
    }
    if (rc == CORE_OK)
        rc = compute_cpmm_fit(c, e);
    for (i = 0; mo->predicted_s && i < mo->n_layers; i++)
        mo->predicted_s[i] = NAN;
    for (i = 0; i < mo->n_layers && rc == CORE_OK; i++) {
        const double t_s = mo->latency_s[i];
        if (!(t_s >= floor_s) || t_s <= 0.0)
            continue;
        memset(&q, 0, sizeof(q));
        q.resource = res;
        q.amount = 1.0;
        q.layer = mo->layers[i];
        if (compute_cpmm_predict(c, &q, &reply, &ignored) != CORE_OK) {
            err[(*n_err)++] = INFINITY;
            (*n_unpriced)++;
            if (mo->predicted_s)
                mo->predicted_s[i] = INFINITY;
            continue;
        }
        err[(*n_err)++] = fabs(reply.latency_s - t_s) / t_s;
        if (mo->predicted_s)
            mo->predicted_s[i] = reply.latency_s;
    }
    compute_cpmm_destroy(c);
    return rc;
}

enum core_rc compute_cpmm_check(const struct compute_cpmm_check_model *models, size_t n_models,
                                double tol, double floor_s,
                                struct compute_cpmm_check_result *per_model,
                                struct compute_cpmm_check_result *overall, struct core_err *e)
{
    size_t total = 0, n_all = 0, n_err, n_unpriced, unpriced_all = 0, j;
    double *all, *err;
    enum core_rc rc = CORE_OK;

    if (n_models < 2)
        return core_err(e, CORE_E_INPUT, "the CPMM check needs at least 2 models, got %zu",
                        n_models);
    for (j = 0; j < n_models; j++)
        total += models[j].n_layers;
    all = core_calloc(total ? total : 1, sizeof(*all));
    err = core_calloc(total ? total : 1, sizeof(*err));
    if (!all || !err) {
        core_free(err);
        core_free(all);
        return core_err(e, CORE_E_NOMEM, "out of memory for the CPMM check");
    }
    for (j = 0; j < n_models; j++) {
        rc = leave_one_out(models, n_models, j, floor_s, err, &n_err, &n_unpriced, e);
        if (rc != CORE_OK)
            break;
        memcpy(all + n_all, err, n_err * sizeof(*err));
        n_all += n_err;
        unpriced_all += n_unpriced;
        if (per_model)
            score(err, n_err, tol, n_unpriced, &per_model[j]);
    }
    if (rc == CORE_OK)
        score(all, n_all, tol, unpriced_all, overall);
    core_free(err);
    core_free(all);
    return rc;
}
