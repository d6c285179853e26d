/*
 * knob.c — setting a module's configuration from its knob table.
 *
 * A knob (core.h) names one attribute of one scenario element, its kind, its
 * dimension, its default as a user would write it (NULL: required), its
 * valid range in SI units and the offset of its field in the module's config
 * struct. core_knob_set parses a value written by the user, checks it and
 * stores it at that offset; messages say what was expected and, for values
 * out of range, the valid range with its unit. They carry no file or line:
 * the scenario loader adds those.
 */
#include "core/core.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shortest exact "%g" with a plain exponent (core.h). */
void core_format_shortest(double x, char *buf, size_t size)
{
    char tmp[64], *e, *d;
    int prec;

    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
    e = strchr(tmp, 'e');
    if (e) {
        d = e + 1;
        if (*d == '+')
            memmove(d, d + 1, strlen(d + 1) + 1);
        else if (*d == '-')
            d++;
        while (d[0] == '0' && d[1] != '\0')
            memmove(d, d + 1, strlen(d + 1) + 1);
    }
    snprintf(buf, size, "%s", tmp);
}

/* An integer bound as digits; 2^64 (UINT64_MAX as a double) as UINT64_MAX. */
static void format_integer(double x, char *buf, size_t size)
{
    if (x >= 18446744073709551615.0)
        snprintf(buf, size, "%" PRIu64, UINT64_MAX);
    else
        snprintf(buf, size, "%.0f", x);
}

/* "[1e-12 s, 1e9 s]" or "[1, 100000]": the range of k for messages. */
static void format_range(const struct core_knob *k, char *buf, size_t size)
{
    char lo[64], hi[64];
    const char *unit = k->kind == CORE_KNOB_REAL ? core_dim_si_unit(k->dim) : "";
    const char *sp = unit[0] ? " " : "";

    if (k->kind == CORE_KNOB_REAL) {
        core_format_shortest(k->min, lo, sizeof(lo));
        core_format_shortest(k->max, hi, sizeof(hi));
    } else {
        format_integer(k->min, lo, sizeof(lo));
        format_integer(k->max, hi, sizeof(hi));
    }
    snprintf(buf, size, "[%s%s%s, %s%s%s]", lo, sp, unit, hi, sp, unit);
}

static enum core_rc out_of_range(const struct core_knob *k, const char *text, char *why,
                                 size_t why_size)
{
    char range[160];

    format_range(k, range, sizeof(range));
    snprintf(why, why_size, "'%s' is out of range: '%s' must be in %s", text, k->name, range);
    return CORE_E_INPUT;
}

/* core_quantity_parse says "'5 m' has unit 'm' (a length) but a time is
 * expected: use s, ..."; with the knob known, say "but 'duration' is a time:
 * use s, ...". Other messages are left as they are. */
static void name_in_dimension_message(const struct core_knob *k, char *why, size_t why_size)
{
    char head[512], dim[64], tail[256];
    const char *but = strstr(why, ") but ");
    const char *expected = but ? strstr(but, " is expected: ") : NULL;

    if (expected == NULL)
        return;
    snprintf(head, sizeof(head), "%.*s", (int)(but + 1 - why), why);
    snprintf(dim, sizeof(dim), "%.*s", (int)(expected - (but + 6)), but + 6);
    snprintf(tail, sizeof(tail), "%s", expected + 14);
    snprintf(why, why_size, "%s but '%s' is %s: %s", head, k->name, dim, tail);
}

/* Strict base-10 integer: optional sign, digits, nothing else. */
static bool is_integer_text(const char *s, bool allow_minus)
{
    if (*s == '+' || (allow_minus && *s == '-'))
        s++;
    if (!isdigit((unsigned char)*s))
        return false;
    while (isdigit((unsigned char)*s))
        s++;
    return *s == '\0';
}

static enum core_rc set_int(const struct core_knob *k, const char *text, long *out, char *why,
                            size_t why_size)
{
    long v;

    if (!is_integer_text(text, true)) {
        snprintf(why, why_size, "'%s' is not an integer", text);
        return CORE_E_INPUT;
    }
    errno = 0;
    v = strtol(text, NULL, 10);
    if (errno == ERANGE || (double)v < k->min || (double)v > k->max)
        return out_of_range(k, text, why, why_size);
    *out = v;
    return CORE_OK;
}

static enum core_rc set_uint64(const struct core_knob *k, const char *text, uint64_t *out,
                               char *why, size_t why_size)
{
    unsigned long long v;

    if (!is_integer_text(text, false)) {
        snprintf(why, why_size, "'%s' is not a non-negative integer", text);
        return CORE_E_INPUT;
    }
    errno = 0;
    v = strtoull(text, NULL, 10);
    if (errno == ERANGE || (double)v < k->min || (double)v > k->max)
        return out_of_range(k, text, why, why_size);
    *out = (uint64_t)v;
    return CORE_OK;
}

static enum core_rc set_enum(const struct core_knob *k, const char *text, int *out, char *why,
                             size_t why_size)
{
    size_t used;
    int i;

    CORE_ASSERT(k->choices != NULL);
    for (i = 0; k->choices[i] != NULL; i++) {
        if (strcmp(k->choices[i], text) == 0) {
            *out = i;
            return CORE_OK;
        }
    }
    snprintf(why, why_size, "'%s' is not one of: ", text);
    used = strlen(why);
    for (i = 0; k->choices[i] != NULL && used < why_size; i++) {
        snprintf(why + used, why_size - used, "%s%s", i ? ", " : "", k->choices[i]);
        used += strlen(why + used);
    }
    return CORE_E_INPUT;
}

enum core_rc core_knob_set(const struct core_knob *k, const char *text, void *config, char *why,
                           size_t why_size)
{
    char *field = (char *)config + k->offset;
    double v;

    switch (k->kind) {
    case CORE_KNOB_REAL:
        if (core_quantity_parse(text, k->dim, &v, why, why_size) != CORE_OK) {
            name_in_dimension_message(k, why, why_size);
            return CORE_E_INPUT;
        }
        if (v < k->min || v > k->max)
            return out_of_range(k, text, why, why_size);
        memcpy(field, &v, sizeof(v));
        return CORE_OK;
    case CORE_KNOB_INT: {
        long l = 0;
        if (set_int(k, text, &l, why, why_size) != CORE_OK)
            return CORE_E_INPUT;
        memcpy(field, &l, sizeof(l));
        return CORE_OK;
    }
    case CORE_KNOB_UINT64: {
        uint64_t u = 0;
        if (set_uint64(k, text, &u, why, why_size) != CORE_OK)
            return CORE_E_INPUT;
        memcpy(field, &u, sizeof(u));
        return CORE_OK;
    }
    case CORE_KNOB_BOOL: {
        bool b;
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0) {
            b = true;
        } else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0) {
            b = false;
        } else {
            snprintf(why, why_size, "'%s' is not true or false", text);
            return CORE_E_INPUT;
        }
        memcpy(field, &b, sizeof(b));
        return CORE_OK;
    }
    case CORE_KNOB_ENUM: {
        int i = 0;
        if (set_enum(k, text, &i, why, why_size) != CORE_OK)
            return CORE_E_INPUT;
        memcpy(field, &i, sizeof(i));
        return CORE_OK;
    }
    case CORE_KNOB_STRING:
        if (strlen(text) >= CORE_KNOB_STRING_MAX) {
            snprintf(why, why_size, "'%.40s...' is longer than %d characters", text,
                     CORE_KNOB_STRING_MAX - 1);
            return CORE_E_INPUT;
        }
        memcpy(field, text, strlen(text) + 1);
        return CORE_OK;
    case CORE_KNOB_KIND_COUNT:
        break;
    }
    CORE_ASSERT(!"a knob of a known kind");
    return CORE_E_INPUT;
}

enum core_rc core_knobs_defaults(const struct core_knob_table *t, void *config, struct core_err *e)
{
    char why[512];

    for (size_t i = 0; i < t->n_knobs; i++) {
        const struct core_knob *k = &t->knobs[i];
        if (k->def == NULL)
            continue;
        if (core_knob_set(k, k->def, config, why, sizeof(why)) != CORE_OK)
            return core_err(e, CORE_E_INPUT, "default of '%s' on element '%s': %s", k->name,
                            t->element, why);
    }
    return CORE_OK;
}

void core_knob_format(const struct core_knob *k, const void *config, char *buf, size_t size)
{
    const char *field = (const char *)config + k->offset;

    switch (k->kind) {
    case CORE_KNOB_REAL: {
        double v, a;
        memcpy(&v, field, sizeof(v));
        a = fabs(v);
        /* Plain decimals where they read well (200, 0.14, 3500000000),
         * the shortest exact exponent form elsewhere (5e-6, 1e20). */
        if (a >= 1e-3 && a < 1e16)
            for (int d = 0; d <= 17; d++) {
                char tmp[64];

                snprintf(tmp, sizeof(tmp), "%.*f", d, v);
                if (strtod(tmp, NULL) == v) {
                    snprintf(buf, size, "%s", tmp);
                    return;
                }
            }
        core_format_shortest(v, buf, size);
        return;
    }
    case CORE_KNOB_INT: {
        long l;
        memcpy(&l, field, sizeof(l));
        snprintf(buf, size, "%ld", l);
        return;
    }
    case CORE_KNOB_UINT64: {
        uint64_t u;
        memcpy(&u, field, sizeof(u));
        snprintf(buf, size, "%" PRIu64, u);
        return;
    }
    case CORE_KNOB_BOOL: {
        bool b;
        memcpy(&b, field, sizeof(b));
        snprintf(buf, size, "%s", b ? "true" : "false");
        return;
    }
    case CORE_KNOB_ENUM: {
        int i;
        memcpy(&i, field, sizeof(i));
        CORE_ASSERT(k->choices != NULL && i >= 0);
        snprintf(buf, size, "%s", k->choices[i]);
        return;
    }
    case CORE_KNOB_STRING:
        snprintf(buf, size, "%s", field);
        return;
    case CORE_KNOB_KIND_COUNT:
        break;
    }
    CORE_ASSERT(!"a knob of a known kind");
}

const struct core_knob *core_knob_find(const struct core_knob_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_knobs; i++) {
        if (strcmp(t->knobs[i].name, name) == 0)
            return &t->knobs[i];
    }
    return NULL;
}
