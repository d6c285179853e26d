/*
 * sweep.c — sweep files: a parameter study over a base scenario's knobs
 * (scenarios/sweep.xsd documents every element and attribute).
 *
 * Loading validates the file against its schema (xml_load.c), loads the base
 * scenario (its path relative to the sweep file) and reads the factors. Each
 * factor names a knob by path (the same paths as --set) and gives its values
 * as a list or a range; every value is checked by loading the base scenario
 * with that one value set (the knob's units, range and the scenario's
 * cross-checks, named at the factor's FILE:LINE). A factor's type in
 * expressions is its knob's: a number (with the knob's dimension) for real
 * and integer knobs, a boolean, or a string for names and choices.
 *
 * Factors outside a <zip> are axes of their own; the factors of one <zip>
 * share an axis (value i of each goes together). Combinations are the
 * product of the axes, the first axis varying slowest, numbered in that
 * order; the constraints keep some of them, in order (an array of kept
 * combination numbers, bounded by SWEEP_MAX_COMBINATIONS). A point is (kept
 * combination, replication, policy), policy varying fastest, so that the
 * policies of one replication are neighbours and share its seed (common
 * random numbers).
 */
#include "io/io_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "policy/policy.h"

#define SWEEP_MAX_COMBINATIONS 10000000ULL /* factor combinations before constraints */
#define SWEEP_MAX_VALUES 1000000           /* values of one factor's range */
#define SWEEP_NAME_MAX 64                  /* a factor's name */

static const struct io_xml_kind sweep_kind = {"sweep", "scenarios", "COINFER_SCHEMA_DIR",
                                              "sweep.xsd", "sweep file",
                                              CORE_FILE_MAX_SCENARIO, IO_SCENARIO_MAX_ELEMENTS};

/* One factor: a knob and the values it takes. */
struct sweep_factor {
    char name[SWEEP_NAME_MAX]; /* its name in expressions and listings */
    char *path;                /* its knob path (owned) */
    long line;                 /* its line in the sweep file */
    size_t axis;               /* the axis it moves along */
    enum io_type type;         /* its type in expressions */
    enum core_dim dim;         /* a number's dimension */
    size_t n_values;           /* values it takes */
    char **text;               /* [n_values]: each as a file writes it (owned) */
    char **set;                /* [n_values]: "PATH=VALUE" (owned) */
    struct io_value *value;    /* [n_values]: typed (str points into text) */
};

/* One constraint: the text and where it was written, and its AST. */
struct sweep_constraint {
    long line;          /* its line */
    struct io_expr *x;  /* parsed (owned) */
};

struct io_sweep {
    char path[IO_PATH_MAX];          /* the sweep file */
    char sha256[65];                 /* of its bytes */
    char name[CORE_KNOB_STRING_MAX]; /* the sweep's name */
    char scenario[IO_PATH_MAX];      /* the base scenario, resolved beside the file */
    enum io_scenario_kind kind;      /* what the base scenario is */
    uint64_t base_seed;              /* its <simulation seed> */
    struct sweep_factor *factors;    /* [n_factors] (owned) */
    size_t n_factors;
    size_t *axis_len;                /* [n_axes]: values along each axis (owned) */
    size_t n_axes;
    struct sweep_constraint *constraints; /* [n_constraints] (owned) */
    size_t n_constraints;
    char **policies;                 /* [n_policies] (owned) */
    size_t n_policies;
    uint64_t *seeds;                 /* [n_replications] (owned) */
    size_t n_replications;
    struct io_sweep_stopping stopping; /* <replications min max ...>: sequential stopping */
    char stopping_metric[64];        /* its metric (stopping.metric points here) */
    uint64_t *kept;                  /* [n_kept]: combination numbers the constraints keep */
    uint64_t n_kept;
    struct io_expr_name *names;      /* [n_factors + 3]: for filters (owned) */
};

/* ---- small helpers ------------------------------------------------------ */

static enum core_rc nomem(const struct io_sweep *s, long line, struct core_err *e)
{
    return core_err(e, CORE_E_NOMEM, "%s:%ld: out of memory", s->path, line);
}

/* Attribute name of x as a new string (xmlFree), NULL when absent. */
static char *attr(xmlNodePtr x, const char *name)
{
    return (char *)xmlGetProp(x, (const xmlChar *)name);
}

static char *dup_range(const char *s, size_t n)
{
    char *d = core_malloc(n + 1);

    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* s without leading and trailing white space, as [*start, *start + *len). */
static void trim(const char *s, size_t n, const char **start, size_t *len)
{
    while (n > 0 && isspace((unsigned char)*s))
        s++, n--;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    *start = s;
    *len = n;
}

static bool valid_name(const char *n)
{
    if (!(isalpha((unsigned char)n[0]) || n[0] == '_'))
        return false;
    for (const char *c = n; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_'))
            return false;
    return true;
}

/* ---- factor values --------------------------------------------------------- */

/* Append value text to factor f (its SI value num for numbers). */
static enum core_rc add_value(struct io_sweep *s, struct sweep_factor *f, const char *text,
                              size_t len, struct core_err *e)
{
    size_t n = f->n_values + 1, plen = strlen(f->path);
    char **t = core_realloc(f->text, n * sizeof(*t));

    if (!t)
        return nomem(s, f->line, e);
    f->text = t;
    t = core_realloc(f->set, n * sizeof(*t));
    if (!t)
        return nomem(s, f->line, e);
    f->set = t;
    struct io_value *v = core_realloc(f->value, n * sizeof(*v));
    if (!v)
        return nomem(s, f->line, e);
    f->value = v;
    f->text[f->n_values] = dup_range(text, len);
    f->set[f->n_values] = core_malloc(plen + len + 2);
    if (!f->text[f->n_values] || !f->set[f->n_values]) {
        core_free(f->text[f->n_values]);
        core_free(f->set[f->n_values]);
        return nomem(s, f->line, e);
    }
    snprintf(f->set[f->n_values], plen + len + 2, "%s=%s", f->path, f->text[f->n_values]);
    memset(&f->value[f->n_values], 0, sizeof(f->value[0]));
    f->n_values = n;
    return CORE_OK;
}

/* The typed value of f's value v, from its text (already accepted by the
 * knob): a number in SI, a boolean, or the text. */
static enum core_rc type_value(struct io_sweep *s, struct sweep_factor *f,
                               const struct core_knob *k, size_t v, struct core_err *e)
{
    struct io_value *val = &f->value[v];
    const char *text = f->text[v];
    char why[256], *end;

    val->str = text;
    switch (k->kind) {
    case CORE_KNOB_REAL:
        if (core_quantity_parse(text, k->dim, &val->num, why, sizeof(why)) != CORE_OK)
            return core_err(e, CORE_E_INPUT, "%s:%ld: factor '%s': value '%s': %s", s->path,
                            f->line, f->name, text, why);
        break;
    case CORE_KNOB_INT:
    case CORE_KNOB_UINT64:
        errno = 0;
        val->num = strtod(text, &end);
        break;
    case CORE_KNOB_BOOL:
        val->b = strcmp(text, "true") == 0 || strcmp(text, "1") == 0;
        break;
    default:
        break;
    }
    return CORE_OK;
}

/* Check every value of f by loading the base scenario with it set. */
static enum core_rc check_values(struct io_sweep *s, struct sweep_factor *f,
                                 const struct core_knob *k, struct core_err *e)
{
    for (size_t v = 0; v < f->n_values; v++) {
        const char *set = f->set[v];
        struct io_config *c = NULL;
        struct core_err inner;
        enum core_rc rc;

        core_err_clear(&inner);
        rc = io_scenario_load(s->scenario, &set, 1, &c, &inner);
        io_config_destroy(c);
        if (rc == CORE_E_NOMEM)
            return core_err(e, rc, "%s", inner.msg);
        if (rc != CORE_OK)
            return core_err(e, CORE_E_INPUT, "%s:%ld: factor '%s': value '%s': %s", s->path,
                            f->line, f->name, f->text[v], inner.msg);
        rc = type_value(s, f, k, v, e);
        if (rc != CORE_OK)
            return rc;
    }
    return CORE_OK;
}

/* values="a, b, c": comma-separated, each trimmed. */
static enum core_rc read_list(struct io_sweep *s, struct sweep_factor *f, const char *list,
                              struct core_err *e)
{
    const char *p = list;

    for (;;) {
        const char *comma = strchr(p, ','), *item;
        size_t n = comma ? (size_t)(comma - p) : strlen(p), len;
        enum core_rc rc;

        trim(p, n, &item, &len);
        if (len == 0)
            return core_err(e, CORE_E_INPUT, "%s:%ld: factor '%s': an empty value in values=\"%s\"",
                            s->path, f->line, f->name, list);
        for (size_t v = 0; v < f->n_values; v++)
            if (strlen(f->text[v]) == len && strncmp(f->text[v], item, len) == 0)
                return core_err(e, CORE_E_INPUT,
                                "%s:%ld: factor '%s': value '%.*s' is listed twice", s->path,
                                f->line, f->name, (int)len, item);
        rc = add_value(s, f, item, len, e);
        if (rc != CORE_OK)
            return rc;
        if (!comma)
            return CORE_OK;
        p = comma + 1;
    }
}

/* A range bound or step as a number: in the knob's dimension (a bare number
 * is SI), or a plain number for a ratio or an integer knob. */
static enum core_rc range_number(struct io_sweep *s, const struct sweep_factor *f,
                                 const char *what, const char *text, enum core_dim dim,
                                 double *out, struct core_err *e)
{
    char why[256];

    if (core_quantity_parse(text, dim, out, why, sizeof(why)) != CORE_OK || !isfinite(*out))
        return core_err(e, CORE_E_INPUT, "%s:%ld: factor '%s': %s=\"%s\": %s", s->path, f->line,
                        f->name, what, text, isfinite(*out) ? why : "not a finite number");
    return CORE_OK;
}

/* from/to with step or count, scale linear or log: the values as SI text. */
static enum core_rc read_range(struct io_sweep *s, struct sweep_factor *f,
                               const struct core_knob *k, xmlNodePtr x, struct core_err *e)
{
    char *from_t = attr(x, "from"), *to_t = attr(x, "to"), *step_t = attr(x, "step");
    char *count_t = attr(x, "count"), *scale_t = attr(x, "scale");
    bool is_log = scale_t && strcmp(scale_t, "log") == 0;
    bool integer = k->kind == CORE_KNOB_INT || k->kind == CORE_KNOB_UINT64;
    enum core_dim dim = k->kind == CORE_KNOB_REAL ? k->dim : CORE_DIM_NONE;
    double from = 0, to = 0, step = 0, n_real;
    size_t n = 0;
    enum core_rc rc = CORE_OK;

    if (k->kind != CORE_KNOB_REAL && !integer) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: factor '%s': a range needs a numeric knob; '%s' is not one "
                      "(list its values with values=\"...\")",
                      s->path, f->line, f->name, f->path);
        goto out;
    }
    if (!from_t || !to_t || (!step_t == !count_t)) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: factor '%s': a range needs from, to and one of step or count",
                      s->path, f->line, f->name);
        goto out;
    }
    rc = range_number(s, f, "from", from_t, dim, &from, e);
    if (rc == CORE_OK)
        rc = range_number(s, f, "to", to_t, dim, &to, e);
    if (rc == CORE_OK && step_t)
        rc = range_number(s, f, "step", step_t, is_log ? CORE_DIM_NONE : dim, &step, e);
    if (rc != CORE_OK)
        goto out;
    if (is_log && (from <= 0 || to <= 0)) {
        rc = core_err(e, CORE_E_INPUT, "%s:%ld: factor '%s': a log range needs from and to > 0",
                      s->path, f->line, f->name);
        goto out;
    }
    if (count_t) {
        char *end;
        unsigned long long c;

        errno = 0;
        c = strtoull(count_t, &end, 10);
        if (*end != '\0' || errno != 0 || c < 1 || c > SWEEP_MAX_VALUES) {
            rc = core_err(e, CORE_E_INPUT, "%s:%ld: factor '%s': count=\"%s\" is not in [1, %d]",
                          s->path, f->line, f->name, count_t, SWEEP_MAX_VALUES);
            goto out;
        }
        n = (size_t)c;
    } else {
        if (is_log)
            n_real = step > 0 && step != 1 ? log(to / from) / log(step) : -1;
        else
            n_real = step != 0 ? (to - from) / step : -1;
        if (!(n_real >= 0) || n_real >= SWEEP_MAX_VALUES) {
            rc = core_err(e, CORE_E_INPUT,
                          "%s:%ld: factor '%s': step=\"%s\" does not lead from %s to %s in at "
                          "most %d values%s",
                          s->path, f->line, f->name, step_t, from_t, to_t, SWEEP_MAX_VALUES,
                          is_log ? " (a log range's step is a ratio, e.g. 2)" : "");
            goto out;
        }
        n = (size_t)floor(n_real + 1e-9) + 1;
    }
    for (size_t i = 0; i < n; i++) {
        double v, t = n > 1 ? (double)i / (double)(n - 1) : 0.0;
        char buf[64];

        if (count_t)
            v = is_log ? from * pow(to / from, t) : from + t * (to - from);
        else
            v = is_log ? from * pow(step, (double)i) : from + (double)i * step;
        if (count_t && i == n - 1 && n > 1)
            v = to; /* the end exactly, whatever the rounding */
        if (integer) {
            double r = round(v);

            if (fabs(v - r) > 1e-9 * fmax(1.0, fabs(v))) {
                core_format_shortest(v, buf, sizeof(buf));
                rc = core_err(e, CORE_E_INPUT,
                              "%s:%ld: factor '%s': the range gives %s, but '%s' is an integer "
                              "(list the values, or choose a range of whole numbers)",
                              s->path, f->line, f->name, buf, f->path);
                goto out;
            }
            snprintf(buf, sizeof(buf), "%.0f", r);
        } else {
            core_format_shortest(v, buf, sizeof(buf));
        }
        rc = add_value(s, f, buf, strlen(buf), e);
        if (rc != CORE_OK)
            goto out;
    }
out:
    xmlFree(from_t);
    xmlFree(to_t);
    xmlFree(step_t);
    xmlFree(count_t);
    xmlFree(scale_t);
    return rc;
}

/* Read <factor> x onto axis. base: the base scenario, for the knob. */
static enum core_rc read_factor(struct io_sweep *s, const struct io_config *base, xmlNodePtr x,
                                size_t axis, struct core_err *e)
{
    static const char *const reserved[] = {"policy", "replication", "seed", "and", "or",
                                           "not", "true", "false"};
    struct sweep_factor *f, *grown;
    char *name = attr(x, "name"), *path = attr(x, "path"), *values = attr(x, "values");
    char why[768];
    const struct core_knob *k;
    bool ranged = xmlHasProp(x, (const xmlChar *)"from") || xmlHasProp(x, (const xmlChar *)"to") ||
                  xmlHasProp(x, (const xmlChar *)"step") ||
                  xmlHasProp(x, (const xmlChar *)"count") ||
                  xmlHasProp(x, (const xmlChar *)"scale");
    long line = io_xml_node_line(x);
    enum core_rc rc = CORE_OK;

    grown = core_realloc(s->factors, (s->n_factors + 1) * sizeof(*grown));
    if (!grown) {
        rc = nomem(s, line, e);
        goto out;
    }
    s->factors = grown;
    f = &s->factors[s->n_factors++];
    memset(f, 0, sizeof(*f));
    f->line = line;
    f->axis = axis;
    snprintf(f->name, sizeof(f->name), "%s", name ? name : "");
    f->path = core_strdup(path ? path : "");
    if (!f->path) {
        rc = nomem(s, line, e);
        goto out;
    }
    if (!name || strlen(name) >= SWEEP_NAME_MAX || !valid_name(name)) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: factor name '%s' is not a name (a letter or '_', then letters, "
                      "digits or '_', at most %d characters)",
                      s->path, line, name ? name : "", SWEEP_NAME_MAX - 1);
        goto out;
    }
    for (size_t i = 0; i < ARRAY_LEN(reserved); i++)
        if (strcmp(name, reserved[i]) == 0) {
            rc = core_err(e, CORE_E_INPUT, "%s:%ld: factor name '%s' is reserved (choose another)",
                          s->path, line, name);
            goto out;
        }
    for (size_t i = 0; i + 1 < s->n_factors; i++) {
        if (strcmp(s->factors[i].name, name) == 0) {
            rc = core_err(e, CORE_E_INPUT, "%s:%ld: factor '%s' is also named on line %ld",
                          s->path, line, name, s->factors[i].line);
            goto out;
        }
        if (strcmp(s->factors[i].path, f->path) == 0) {
            rc = core_err(e, CORE_E_INPUT,
                          "%s:%ld: factor '%s': path '%s' is also factor '%s' (line %ld)",
                          s->path, line, name, f->path, s->factors[i].name, s->factors[i].line);
            goto out;
        }
    }
    if (strcmp(f->path, "simulation@seed") == 0) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: factor '%s': the seed is not a factor: give the seeds with "
                      "<replications>",
                      s->path, line, name);
        goto out;
    }
    k = io_config_knob_at(base, f->path, why, sizeof(why));
    if (!k) {
        rc = core_err(e, CORE_E_INPUT, "%s:%ld: factor '%s': path '%s': %s (in %s)", s->path,
                      line, name, f->path, why, s->scenario);
        goto out;
    }
    f->type = k->kind == CORE_KNOB_REAL || k->kind == CORE_KNOB_INT ||
                      k->kind == CORE_KNOB_UINT64
                  ? IO_TYPE_NUMBER
                  : k->kind == CORE_KNOB_BOOL ? IO_TYPE_BOOL : IO_TYPE_STRING;
    f->dim = k->kind == CORE_KNOB_REAL ? k->dim : CORE_DIM_NONE;
    if (!values == !ranged) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: factor '%s': give its values either as values=\"a, b, ...\" or "
                      "as a range (from, to, step or count)",
                      s->path, line, name);
        goto out;
    }
    rc = values ? read_list(s, f, values, e) : read_range(s, f, k, x, e);
    if (rc == CORE_OK)
        rc = check_values(s, f, k, e);
out:
    xmlFree(name);
    xmlFree(path);
    xmlFree(values);
    return rc;
}

static enum core_rc add_axis(struct io_sweep *s, size_t len, long line, struct core_err *e)
{
    size_t *grown = core_realloc(s->axis_len, (s->n_axes + 1) * sizeof(*grown));

    if (!grown)
        return nomem(s, line, e);
    s->axis_len = grown;
    s->axis_len[s->n_axes++] = len;
    return CORE_OK;
}

/* <zip>: its factors on one new axis, all as long. */
static enum core_rc read_zip(struct io_sweep *s, const struct io_config *base, xmlNodePtr x,
                             struct core_err *e)
{
    size_t first = s->n_factors, axis = s->n_axes;
    enum core_rc rc;

    for (xmlNodePtr k = x->children; k != NULL; k = k->next) {
        if (k->type != XML_ELEMENT_NODE)
            continue;
        rc = read_factor(s, base, k, axis, e);
        if (rc != CORE_OK)
            return rc;
    }
    for (size_t i = first + 1; i < s->n_factors; i++)
        if (s->factors[i].n_values != s->factors[first].n_values)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: zipped factors move together, so they need as many values: "
                            "'%s' has %zu, '%s' has %zu",
                            s->path, io_xml_node_line(x), s->factors[first].name,
                            s->factors[first].n_values, s->factors[i].name,
                            s->factors[i].n_values);
    return add_axis(s, s->factors[first].n_values, io_xml_node_line(x), e);
}

/* ---- policies, replications, constraints ----------------------------------------- */

static enum core_rc add_policy(struct io_sweep *s, const char *name, size_t len, long line,
                               struct core_err *e)
{
    char **grown;

    for (size_t i = 0; i < s->n_policies; i++)
        if (strlen(s->policies[i]) == len && strncmp(s->policies[i], name, len) == 0)
            return core_err(e, CORE_E_INPUT, "%s:%ld: policy '%.*s' is named twice", s->path,
                            line, (int)len, name);
    grown = core_realloc(s->policies, (s->n_policies + 1) * sizeof(*grown));
    if (!grown)
        return nomem(s, line, e);
    s->policies = grown;
    s->policies[s->n_policies] = dup_range(name, len);
    if (!s->policies[s->n_policies])
        return nomem(s, line, e);
    s->n_policies++;
    return CORE_OK;
}

/* The policies a scenario of the base's kind runs: "all", or names. */
static enum core_rc read_policies(struct io_sweep *s, xmlNodePtr x, struct core_err *e)
{
    xmlChar *text = xmlNodeGetContent(x);
    const char *p = (const char *)text;
    long line = io_xml_node_line(x);
    enum core_rc rc = CORE_OK;

    if (!text)
        return nomem(s, line, e);
    while (rc == CORE_OK) {
        size_t len;
        enum policy_kind k;
        char name[64];

        p += strspn(p, " \t\r\n,");
        if (*p == '\0')
            break;
        len = strcspn(p, " \t\r\n,");
        snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63), p);
        if (strcmp(name, "all") == 0 && s->kind == IO_SCENARIO_COLLAB) {
            for (k = 0; rc == CORE_OK && k < POLICY_KIND_COUNT; k++)
                rc = add_policy(s, policy_kind_name(k), strlen(policy_kind_name(k)), line, e);
        } else if (s->kind == IO_SCENARIO_COLLAB ? !policy_kind_find(name, &k)
                                                 : strcmp(name, "fifo") != 0) {
            char list[512] = "";
            size_t used = 0;

            if (s->kind == IO_SCENARIO_COLLAB)
                for (k = 0; k < POLICY_KIND_COUNT; k++) {
                    snprintf(list + used, sizeof(list) - used, "%s, ", policy_kind_name(k));
                    used += strlen(list + used);
                }
            rc = core_err(e, CORE_E_INPUT, "%s:%ld: '%.*s' is not a policy of %s (%s%s)", s->path,
                          line, (int)len, p, s->scenario,
                          s->kind == IO_SCENARIO_COLLAB ? list : "fifo",
                          s->kind == IO_SCENARIO_COLLAB ? "or all" : "");
        } else {
            rc = add_policy(s, p, len, line, e);
        }
        p += len;
    }
    xmlFree(text);
    if (rc == CORE_OK && s->n_policies == 0)
        rc = core_err(e, CORE_E_INPUT, "%s:%ld: <policies> names no policy", s->path, line);
    return rc;
}

static enum core_rc parse_seed(struct io_sweep *s, long line, const char *what, const char *text,
                               size_t len, uint64_t *out, struct core_err *e)
{
    char buf[32], *end;

    if (len == 0 || len >= sizeof(buf) || strspn(text, "0123456789") < len)
        return core_err(e, CORE_E_INPUT, "%s:%ld: %s '%.*s' is not an integer in [0, 2^64-1]",
                        s->path, line, what, (int)len, text);
    memcpy(buf, text, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtoull(buf, &end, 10);
    if (errno != 0)
        return core_err(e, CORE_E_INPUT, "%s:%ld: %s '%s' is not an integer in [0, 2^64-1]",
                        s->path, line, what, buf);
    return CORE_OK;
}

/* Sequential stopping: <replications min max metric rel-half-width>; *count
 * becomes max (the replications that may run). */
static enum core_rc read_stopping(struct io_sweep *s, xmlNodePtr x, long line, uint64_t *count,
                                  struct core_err *e)
{
    char *min_t = attr(x, "min"), *max_t = attr(x, "max"), *metric_t = attr(x, "metric"),
         *rel_t = attr(x, "rel-half-width");
    uint64_t min = 0, max = 0;
    enum core_rc rc = CORE_OK;
    char *end;
    double rel;

    if (!min_t || !max_t || !metric_t || !rel_t) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: <replications>: sequential stopping needs min, max, metric and "
                      "rel-half-width together (%s missing)",
                      s->path, line,
                      !min_t ? "min" : !max_t ? "max" : !metric_t ? "metric" : "rel-half-width");
        goto out;
    }
    rc = parse_seed(s, line, "min", min_t, strlen(min_t), &min, e);
    if (rc == CORE_OK)
        rc = parse_seed(s, line, "max", max_t, strlen(max_t), &max, e);
    if (rc != CORE_OK)
        goto out;
    if (min < 2) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: <replications>: min %s is below 2 (a t-interval needs two "
                      "replications)",
                      s->path, line, min_t);
        goto out;
    }
    if (max < min || max > SWEEP_MAX_VALUES) {
        rc = core_err(e, CORE_E_INPUT, "%s:%ld: <replications>: max %s is not in [min, %d]",
                      s->path, line, max_t, SWEEP_MAX_VALUES);
        goto out;
    }
    rel = strtod(rel_t, &end);
    if (end == rel_t || *end != '\0' || !(rel > 0) || !(rel < 1e9)) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: <replications>: rel-half-width '%s' is not a number > 0 (0.05: "
                      "the half-width within 5 %% of the mean)",
                      s->path, line, rel_t);
        goto out;
    }
    snprintf(s->stopping_metric, sizeof(s->stopping_metric), "%s", metric_t);
    s->stopping = (struct io_sweep_stopping){.on = true, .min = (size_t)min,
                                             .rel_half_width = rel,
                                             .metric = s->stopping_metric, .line = line};
    *count = max;
out:
    xmlFree(min_t);
    xmlFree(max_t);
    xmlFree(metric_t);
    xmlFree(rel_t);
    return rc;
}

/* <replications count first-seed>, <replications seeds="a, b">, or
 * <replications min max metric rel-half-width first-seed>. */
static enum core_rc read_replications(struct io_sweep *s, xmlNodePtr x, struct core_err *e)
{
    char *count_t = attr(x, "count"), *first_t = attr(x, "first-seed"), *seeds_t = attr(x, "seeds");
    long line = io_xml_node_line(x);
    uint64_t first = s->base_seed, count = 1;
    bool sequential = xmlHasProp(x, (const xmlChar *)"min") ||
                      xmlHasProp(x, (const xmlChar *)"max") ||
                      xmlHasProp(x, (const xmlChar *)"metric") ||
                      xmlHasProp(x, (const xmlChar *)"rel-half-width");
    enum core_rc rc = CORE_OK;

    core_free(s->seeds);
    s->seeds = NULL;
    s->n_replications = 0;
    if (seeds_t && (count_t || first_t)) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: <replications>: give seeds=\"...\" or count and first-seed, not "
                      "both",
                      s->path, line);
        goto out;
    }
    if (sequential && (seeds_t || count_t)) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: <replications>: sequential stopping (min, max) runs seeds from "
                      "first-seed on: it takes no %s",
                      s->path, line, seeds_t ? "seeds" : "count");
        goto out;
    }
    if (sequential) {
        rc = read_stopping(s, x, line, &count, e);
        if (rc != CORE_OK)
            goto out;
    }
    if (seeds_t) {
        const char *p = seeds_t;

        while (rc == CORE_OK) {
            size_t len;
            uint64_t seed, *grown;

            p += strspn(p, " \t\r\n,");
            if (*p == '\0')
                break;
            len = strcspn(p, " \t\r\n,");
            rc = parse_seed(s, line, "seed", p, len, &seed, e);
            if (rc != CORE_OK)
                break;
            for (size_t i = 0; i < s->n_replications; i++)
                if (s->seeds[i] == seed) {
                    rc = core_err(e, CORE_E_INPUT, "%s:%ld: seed %.*s is given twice", s->path,
                                  line, (int)len, p);
                    goto out;
                }
            grown = core_realloc(s->seeds, (s->n_replications + 1) * sizeof(*grown));
            if (!grown) {
                rc = nomem(s, line, e);
                goto out;
            }
            s->seeds = grown;
            s->seeds[s->n_replications++] = seed;
            p += len;
        }
        if (rc == CORE_OK && s->n_replications == 0)
            rc = core_err(e, CORE_E_INPUT, "%s:%ld: seeds=\"\" names no seed", s->path, line);
        goto out;
    }
    if (count_t && !sequential)
        rc = parse_seed(s, line, "count", count_t, strlen(count_t), &count, e);
    if (rc == CORE_OK && (count < 1 || count > SWEEP_MAX_VALUES))
        rc = core_err(e, CORE_E_INPUT, "%s:%ld: count '%s' is not in [1, %d]", s->path, line,
                      count_t, SWEEP_MAX_VALUES);
    if (rc == CORE_OK && first_t)
        rc = parse_seed(s, line, "first-seed", first_t, strlen(first_t), &first, e);
    if (rc == CORE_OK && first > UINT64_MAX - (count - 1))
        rc = core_err(e, CORE_E_INPUT, "%s:%ld: seeds from %s on overflow 2^64-1", s->path,
                      line, first_t);
    if (rc != CORE_OK)
        goto out;
    s->seeds = core_calloc((size_t)count, sizeof(*s->seeds));
    if (!s->seeds) {
        rc = nomem(s, line, e);
        goto out;
    }
    for (uint64_t r = 0; r < count; r++)
        s->seeds[r] = first + r;
    s->n_replications = (size_t)count;
out:
    xmlFree(count_t);
    xmlFree(first_t);
    xmlFree(seeds_t);
    return rc;
}

static enum core_rc read_constraint(struct io_sweep *s, xmlNodePtr x, struct core_err *e)
{
    xmlChar *text = xmlNodeGetContent(x);
    struct sweep_constraint *grown;
    long line = io_xml_node_line(x);
    char why[512];
    enum core_rc rc;

    if (!text)
        return nomem(s, line, e);
    grown = core_realloc(s->constraints, (s->n_constraints + 1) * sizeof(*grown));
    if (!grown) {
        xmlFree(text);
        return nomem(s, line, e);
    }
    s->constraints = grown;
    rc = io_expr_parse((const char *)text, s->names, s->n_factors,
                       &s->constraints[s->n_constraints].x, why, sizeof(why));
    if (rc == CORE_OK) {
        s->constraints[s->n_constraints].line = line;
        s->n_constraints++;
    } else if (rc == CORE_E_NOMEM) {
        rc = nomem(s, line, e);
    } else {
        rc = core_err(e, CORE_E_INPUT, "%s:%ld: constraint \"%s\": %s%s", s->path, line,
                      (const char *)text, why,
                      strstr(why, "unknown name 'policy'") || strstr(why, "unknown name 'seed'") ||
                              strstr(why, "unknown name 'replication'")
                          ? " (constraints are between factors; --filter also sees policy, "
                            "replication and seed)"
                          : "");
    }
    xmlFree(text);
    return rc;
}

/* ---- combinations ------------------------------------------------------------ */

/* The value index of factor f in combination number c (before constraints). */
static size_t value_of(const struct io_sweep *s, uint64_t c, size_t f)
{
    size_t axis = s->factors[f].axis;

    for (size_t a = s->n_axes; a-- > axis + 1;)
        c /= s->axis_len[a];
    return (size_t)(c % s->axis_len[axis]);
}

static void combination_values(const struct io_sweep *s, uint64_t c, struct io_value *v)
{
    for (size_t f = 0; f < s->n_factors; f++)
        v[f] = s->factors[f].value[value_of(s, c, f)];
}

/* Number the combinations and keep those every constraint holds for. */
static enum core_rc enumerate(struct io_sweep *s, long line, struct core_err *e)
{
    uint64_t total = 1, cap = 0;
    struct io_value *v;

    for (size_t a = 0; a < s->n_axes; a++) {
        if (s->axis_len[a] > SWEEP_MAX_COMBINATIONS / total)
            return core_err(e, CORE_E_INPUT,
                            "%s:%ld: the factors make more than %llu combinations", s->path,
                            line, (unsigned long long)SWEEP_MAX_COMBINATIONS);
        total *= s->axis_len[a];
    }
    v = core_calloc(s->n_factors + 1, sizeof(*v));
    if (!v)
        return nomem(s, line, e);
    for (uint64_t c = 0; c < total; c++) {
        bool keep = true;

        combination_values(s, c, v);
        for (size_t i = 0; keep && i < s->n_constraints; i++)
            keep = io_expr_eval(s->constraints[i].x, v);
        if (!keep)
            continue;
        if (s->n_kept == cap) {
            uint64_t *grown;

            cap = cap ? 2 * cap : 64;
            grown = core_realloc(s->kept, (size_t)cap * sizeof(*grown));
            if (!grown) {
                core_free(v);
                return nomem(s, line, e);
            }
            s->kept = grown;
        }
        s->kept[s->n_kept++] = c;
    }
    core_free(v);
    return CORE_OK;
}

/* ---- the file ---------------------------------------------------------------- */

static enum core_rc read_sweep(struct io_sweep *s, xmlNodePtr root, struct core_err *e)
{
    char *name = attr(root, "name"), *scenario = attr(root, "scenario");
    struct io_config *base = NULL;
    long line = io_xml_node_line(root);
    bool have_policies = false;
    enum core_rc rc;

    if (name && name[0] != '\0') {
        snprintf(s->name, sizeof(s->name), "%s", name);
    } else {
        const char *b = strrchr(s->path, '/');
        size_t n;

        b = b ? b + 1 : s->path;
        n = strlen(b);
        if (n > 4 && strcmp(b + n - 4, ".xml") == 0)
            n -= 4;
        snprintf(s->name, sizeof(s->name), "%.*s", (int)n, b);
    }
    io_resolve_beside(s->path, scenario ? scenario : "", s->scenario, sizeof(s->scenario));
    rc = io_scenario_load(s->scenario, NULL, 0, &base, e);
    if (rc == CORE_E_INPUT && strncmp(e->msg, s->scenario, strlen(s->scenario)) == 0 &&
        strncmp(e->msg + strlen(s->scenario), ":0:", 3) == 0) {
        /* the file itself is missing or unreadable: say which line named it */
        char inner[sizeof(e->msg)];

        snprintf(inner, sizeof(inner), "%s", e->msg);
        rc = core_err(e, CORE_E_INPUT, "%s:%ld: scenario=\"%s\": %s", s->path, line,
                      scenario ? scenario : "", inner);
    }
    if (rc != CORE_OK)
        goto out;
    s->kind = io_config_kind(base);
    if (s->kind == IO_SCENARIO_RADIO) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: %s is a radio scenario; a sweep runs what `coinfer run` runs (a "
                      "collaborative or queue scenario)",
                      s->path, line, s->scenario);
        goto out;
    }
    s->base_seed = ((const struct proto_sim_config *)io_config_data(
                        base, io_config_child(base, IO_NODE_ROOT, IO_EL_SIMULATION, 0), 0))
                       ->seed;
    s->seeds = core_calloc(1, sizeof(*s->seeds));
    if (!s->seeds) {
        rc = nomem(s, line, e);
        goto out;
    }
    s->seeds[0] = s->base_seed;
    s->n_replications = 1;

    for (xmlNodePtr k = root->children; rc == CORE_OK && k != NULL; k = k->next) {
        const char *el = (const char *)k->name;

        if (k->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp(el, "factor") == 0) {
            rc = read_factor(s, base, k, s->n_axes, e);
            if (rc == CORE_OK)
                rc = add_axis(s, s->factors[s->n_factors - 1].n_values, io_xml_node_line(k), e);
        } else if (strcmp(el, "zip") == 0) {
            rc = read_zip(s, base, k, e);
        } else if (strcmp(el, "constraint") == 0 || strcmp(el, "policies") == 0 ||
                   strcmp(el, "replications") == 0) {
            if (!s->names) {
                s->names = core_calloc(s->n_factors + 3, sizeof(*s->names));
                if (!s->names) {
                    rc = nomem(s, line, e);
                    break;
                }
                for (size_t f = 0; f < s->n_factors; f++)
                    s->names[f] = (struct io_expr_name){s->factors[f].name, s->factors[f].type,
                                                        s->factors[f].dim};
            }
            if (el[0] == 'c') {
                rc = read_constraint(s, k, e);
            } else if (el[0] == 'p') {
                have_policies = true;
                rc = read_policies(s, k, e);
            } else {
                rc = read_replications(s, k, e);
            }
        }
    }
    if (rc != CORE_OK)
        goto out;
    if (!s->names) {
        s->names = core_calloc(s->n_factors + 3, sizeof(*s->names));
        if (!s->names) {
            rc = nomem(s, line, e);
            goto out;
        }
        for (size_t f = 0; f < s->n_factors; f++)
            s->names[f] = (struct io_expr_name){s->factors[f].name, s->factors[f].type,
                                                s->factors[f].dim};
    }
    s->names[s->n_factors] = (struct io_expr_name){"policy", IO_TYPE_STRING, CORE_DIM_COUNT};
    s->names[s->n_factors + 1] = (struct io_expr_name){"replication", IO_TYPE_NUMBER,
                                                       CORE_DIM_NONE};
    s->names[s->n_factors + 2] = (struct io_expr_name){"seed", IO_TYPE_NUMBER, CORE_DIM_NONE};
    if (!have_policies) {
        const char *def = s->kind == IO_SCENARIO_COLLAB ? policy_kind_name(policy_default())
                                                        : "fifo";
        rc = add_policy(s, def, strlen(def), line, e);
        if (rc != CORE_OK)
            goto out;
    }
    rc = enumerate(s, line, e);
out:
    io_config_destroy(base);
    xmlFree(name);
    xmlFree(scenario);
    return rc;
}

enum core_rc io_sweep_load(const char *path, struct io_sweep **out, struct core_err *e)
{
    struct io_sweep *s;
    xmlDocPtr doc = NULL;
    enum core_rc rc;

    *out = NULL;
    if (strlen(path) >= IO_PATH_MAX)
        return core_err(e, CORE_E_INPUT, "%.64s...:0: the path is longer than %d characters", path,
                        IO_PATH_MAX - 1);
    s = core_calloc(1, sizeof(*s));
    if (!s)
        return core_err(e, CORE_E_NOMEM, "%s:0: out of memory", path);
    snprintf(s->path, sizeof(s->path), "%s", path);
    rc = io_xml_load(path, &sweep_kind, &doc, s->sha256, e);
    if (rc == CORE_OK)
        rc = read_sweep(s, xmlDocGetRootElement(doc), e);
    xmlFreeDoc(doc);
    if (rc != CORE_OK) {
        io_sweep_destroy(s);
        return rc;
    }
    *out = s;
    return CORE_OK;
}

void io_sweep_destroy(struct io_sweep *s)
{
    if (!s)
        return;
    for (size_t f = 0; f < s->n_factors; f++) {
        struct sweep_factor *x = &s->factors[f];

        for (size_t v = 0; v < x->n_values; v++) {
            core_free(x->text[v]);
            core_free(x->set[v]);
        }
        core_free(x->text);
        core_free(x->set);
        core_free(x->value);
        core_free(x->path);
    }
    core_free(s->factors);
    core_free(s->axis_len);
    for (size_t i = 0; i < s->n_constraints; i++)
        io_expr_destroy(s->constraints[i].x);
    core_free(s->constraints);
    for (size_t i = 0; i < s->n_policies; i++)
        core_free(s->policies[i]);
    core_free(s->policies);
    core_free(s->seeds);
    core_free(s->kept);
    core_free(s->names);
    core_free(s);
}

bool io_file_is_sweep(const char *path)
{
    return io_xml_root_is(path, "sweep");
}

/* ---- reading a loaded sweep -------------------------------------------------- */

const char *io_sweep_path(const struct io_sweep *s)
{
    return s->path;
}

const char *io_sweep_file_sha256(const struct io_sweep *s)
{
    return s->sha256;
}

const char *io_sweep_name(const struct io_sweep *s)
{
    return s->name;
}

const char *io_sweep_scenario(const struct io_sweep *s)
{
    return s->scenario;
}

enum io_scenario_kind io_sweep_kind(const struct io_sweep *s)
{
    return s->kind;
}

size_t io_sweep_n_factors(const struct io_sweep *s)
{
    return s->n_factors;
}

const char *io_sweep_factor_name(const struct io_sweep *s, size_t f)
{
    return s->factors[f].name;
}

const char *io_sweep_factor_path(const struct io_sweep *s, size_t f)
{
    return s->factors[f].path;
}

size_t io_sweep_n_policies(const struct io_sweep *s)
{
    return s->n_policies;
}

const char *io_sweep_policy(const struct io_sweep *s, size_t i)
{
    return s->policies[i];
}

size_t io_sweep_n_replications(const struct io_sweep *s)
{
    return s->n_replications;
}

const struct io_sweep_stopping *io_sweep_stopping(const struct io_sweep *s)
{
    return &s->stopping;
}

uint64_t io_sweep_n_combinations(const struct io_sweep *s)
{
    return s->n_kept;
}

uint64_t io_sweep_n_points(const struct io_sweep *s)
{
    return s->n_kept * s->n_replications * s->n_policies;
}

bool io_sweep_in_shard(uint64_t i, uint64_t shard, uint64_t n_shards)
{
    return n_shards <= 1 || i % n_shards == shard;
}

void io_sweep_point(const struct io_sweep *s, uint64_t i, struct io_sweep_point *pt)
{
    uint64_t per = (uint64_t)s->n_replications * s->n_policies;

    CORE_ASSERT(i < io_sweep_n_points(s));
    pt->index = i;
    pt->combination = i / per;
    pt->replication = (size_t)((i / s->n_policies) % s->n_replications);
    pt->seed = s->seeds[pt->replication];
    pt->policy = s->policies[i % s->n_policies];
}

const char *io_sweep_point_value(const struct io_sweep *s, const struct io_sweep_point *pt,
                                 size_t f)
{
    return s->factors[f].text[value_of(s, s->kept[pt->combination], f)];
}

const char *io_sweep_point_set(const struct io_sweep *s, const struct io_sweep_point *pt,
                               size_t f)
{
    return s->factors[f].set[value_of(s, s->kept[pt->combination], f)];
}

size_t io_sweep_n_names(const struct io_sweep *s)
{
    return s->n_factors + 3;
}

const struct io_expr_name *io_sweep_names(const struct io_sweep *s)
{
    return s->names;
}

void io_sweep_point_values(const struct io_sweep *s, const struct io_sweep_point *pt,
                           struct io_value *values)
{
    combination_values(s, s->kept[pt->combination], values);
    values[s->n_factors] = (struct io_value){.str = pt->policy};
    values[s->n_factors + 1] = (struct io_value){.num = (double)pt->replication};
    values[s->n_factors + 2] = (struct io_value){.num = (double)pt->seed};
}
