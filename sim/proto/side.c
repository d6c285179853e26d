/*
 * side.c — the options of one compute side (a UE device class or the edge
 * node): what a decision may give a layer on that side.
 *
 * A side lists its resource instances (its <use> elements). An accelerator
 * instance is one option, labelled with the instance's name, share 1, one
 * unit. A CPU instance is one option per amount it allows (amounts="1 2 4";
 * none given: all its cores), labelled "name:cores", each job holding that
 * many cores. The side's default option (the split-default policy's fixed
 * choice) is named by a label ("cpu:4"), or by an instance's name (its
 * largest amount), or left empty (the first option).
 */
#include "proto/proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum core_rc add_option(struct proto_side_options *out, uint32_t instance, double amount,
                               uint32_t units, const char *label, const char *owner, char *why,
                               size_t why_size)
{
    struct compute_option *o;

    if (out->n == COMPUTE_PLAN_MAX_OPTIONS) {
        snprintf(why, why_size, "%s has more than %d options", owner, COMPUTE_PLAN_MAX_OPTIONS);
        return CORE_E_INPUT;
    }
    o = &out->option[out->n];
    o->resource = instance;
    o->amount = amount;
    CORE_ASSERT(strlen(label) < sizeof(o->label)); /* names are checked short enough */
    memcpy(o->label, label, strlen(label) + 1);
    out->units[out->n] = units;
    out->n++;
    return CORE_OK;
}

/* The options of CPU use u (instance i) of r: one per amount. */
static enum core_rc cpu_options(const struct proto_use_config *u, const char *name,
                                const struct compute_resource_config *r, uint32_t i,
                                const char *owner, struct proto_side_options *out, char *why,
                                size_t why_size)
{
    char buf[CORE_KNOB_STRING_MAX], label[CORE_KNOB_STRING_MAX + 24], *tok, *save = NULL, *end;
    size_t first = out->n;
    enum core_rc rc;

    if (u->amounts[0] == '\0') {
        snprintf(label, sizeof(label), "%s:%ld", name, r->units);
        return add_option(out, i, (double)r->units, (uint32_t)r->units, label, owner, why,
                          why_size);
    }
    snprintf(buf, sizeof(buf), "%s", u->amounts);
    for (tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
        long cores = strtol(tok, &end, 10);

        if (end == tok || *end != '\0' || cores < 1 || cores > r->units) {
            snprintf(why, why_size,
                     "amount '%s' of '%s' is not a core count from 1 to %ld (the cores of "
                     "resource '%s')",
                     tok, name, r->units, r->name);
            return CORE_E_INPUT;
        }
        snprintf(label, sizeof(label), "%s:%ld", name, cores);
        for (size_t o = first; o < out->n; o++)
            if (strcmp(out->option[o].label, label) == 0) {
                snprintf(why, why_size, "amount %ld of '%s' is given twice", cores, name);
                return CORE_E_INPUT;
            }
        rc = add_option(out, i, (double)cores, (uint32_t)cores, label, owner, why, why_size);
        if (rc != CORE_OK)
            return rc;
    }
    if (out->n == first) {
        snprintf(why, why_size, "amounts of '%s' lists no amount", name);
        return CORE_E_INPUT;
    }
    return CORE_OK;
}

const char *proto_use_name(const struct proto_use_config *u)
{
    return u->name[0] ? u->name : u->resource;
}

enum core_rc proto_side_options(const struct proto_use_config *const *uses,
                                const struct compute_resource_config *const *resources,
                                size_t n_uses, const char *def, const char *owner,
                                struct proto_side_options *out, size_t *bad, char *why,
                                size_t why_size)
{
    enum core_rc rc = CORE_OK;
    size_t best = 0;
    bool found = false;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n_uses; i++) {
        const struct proto_use_config *u = uses[i];
        const struct compute_resource_config *r = resources[i];
        const char *name = proto_use_name(u);

        *bad = i;
        if (r->kind == COMPUTE_RES_CPU) {
            rc = cpu_options(u, name, r, (uint32_t)i, owner, out, why, why_size);
        } else if (u->amounts[0] != '\0' && strcmp(u->amounts, "1") != 0) {
            snprintf(why, why_size,
                     "amounts of '%s' is '%s', but a %s runs one job at a time (leave amounts "
                     "out, or write 1)",
                     name, u->amounts,
                     compute_resource_kind_name((enum compute_resource_kind)r->kind));
            rc = CORE_E_INPUT;
        } else {
            rc = add_option(out, (uint32_t)i, 1.0, 1, name, owner, why, why_size);
        }
        if (rc != CORE_OK)
            return rc;
    }
    *bad = n_uses;
    if (def[0] == '\0')
        return CORE_OK;
    for (size_t o = 0; o < out->n; o++) {
        const char *name = proto_use_name(uses[out->option[o].resource]);

        if (strcmp(out->option[o].label, def) == 0) {
            out->default_option = (uint32_t)o;
            return CORE_OK;
        }
        if (strcmp(name, def) == 0 &&
            (!found || out->option[o].amount > out->option[best].amount)) {
            best = o;
            found = true;
        }
    }
    if (found) {
        out->default_option = (uint32_t)best;
        return CORE_OK;
    }
    {
        char list[512] = "";
        size_t at = 0;

        for (size_t o = 0; o < out->n && at < sizeof(list); o++)
            at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%s", o ? ", " : "",
                                   out->option[o].label);
        snprintf(why, why_size, "default '%s' is not an option of %s (its options: %s)", def,
                 owner, list);
    }
    return CORE_E_INPUT;
}
