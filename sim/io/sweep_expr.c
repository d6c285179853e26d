/*
 * sweep_expr.c — the small typed expression language of sweep files: the
 * constraints between factors (<constraint>) and `coinfer sweep --filter`.
 *
 * An expression is parsed once into an AST (an array of nodes, children by
 * index), every node typed as it is built, and evaluated on the values of
 * the names it may use; nothing is ever substituted into its text. Grammar,
 * lowest precedence first:
 *
 *   or      := and { ("or" | "||") and }
 *   and     := not { ("and" | "&&") not }
 *   not     := ("not" | "!") not | cmp
 *   cmp     := sum [ ("==" | "!=" | "<" | "<=" | ">" | ">=") sum ]
 *   sum     := product { ("+" | "-") product }
 *   product := unary { ("*" | "/") unary }
 *   unary   := "-" unary | primary
 *   primary := NUMBER [UNIT] | 'text' | "text" | true | false | NAME | "(" or ")"
 *
 * Types: number, string, boolean. A number carries the physical dimension of
 * what it came from (a factor's knob, or a literal with a unit: `5 Mbps`,
 * `200ms`, read in SI like a scenario value); a bare literal fits any
 * dimension. Adding or comparing numbers of two different dimensions, ordering
 * strings or booleans, mixing types, and an expression that is not a boolean
 * are errors at parse time: "column N: what is wrong". Evaluation cannot
 * fail: arithmetic is IEEE double (x / 0 is infinite, and NaN compares
 * false).
 *
 * Parsing and evaluation recurse, so an expression may nest at most
 * EXPR_MAX_DEPTH levels: its tree (a chain "1 + 1 + ... + 1" is as deep as
 * it is long) and the parser's own nesting (parentheses, "-", "not") are
 * refused past that at parse time, so that no text can overflow the stack.
 */
#include "io/io.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a node does. */
enum expr_op {
    OP_NUMBER, OP_STRING, OP_BOOL, OP_NAME,
    OP_OR, OP_AND, OP_NOT, OP_NEG,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV,
};

#define DIM_ANY CORE_DIM_COUNT /* a number that fits any dimension */

/* The deepest an expression may nest (README, "Parameter studies"). */
#define EXPR_MAX_DEPTH 256

struct expr_node {
    enum expr_op op;       /* what it does */
    enum io_type type;     /* the type of its value */
    enum core_dim dim;     /* a number's dimension (DIM_ANY: any) */
    uint32_t left, right;  /* operands (node indices) */
    double num;            /* OP_NUMBER: its value, SI */
    bool b;                /* OP_BOOL: its value */
    char *str;             /* OP_STRING: its text (owned) */
    size_t name;           /* OP_NAME: index into the names */
    uint32_t depth;        /* levels of the tree it roots (a leaf: 1) */
};

struct io_expr {
    struct expr_node *nodes; /* [n_nodes] (owned); the root is the last */
    size_t n_nodes, cap;
    uint32_t root;           /* the whole expression */
};

/* The parser's state. */
struct parser {
    const char *text;                /* the expression */
    size_t pos;                      /* next character */
    const struct io_expr_name *names; /* what a NAME may be */
    size_t n_names;
    struct io_expr *x;               /* what is being built */
    char *why;                       /* the first error */
    size_t why_size;
    bool failed;                     /* set with why */
    bool nomem;                      /* the failure was allocation */
    unsigned nesting;                /* "(", "-" and "not" open around pos */
};

static bool fail(struct parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct parser *p, size_t at, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (p->failed)
        return false;
    p->failed = true;
    n = snprintf(p->why, p->why_size, "column %zu: ", at + 1);
    if (n < 0 || (size_t)n >= p->why_size)
        return false;
    va_start(ap, fmt);
    vsnprintf(p->why + n, p->why_size - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

static const char *type_name(enum io_type t)
{
    static const char *const names[] = {"a number", "a string", "a boolean"};
    static_assert(ARRAY_LEN(names) == IO_TYPE_COUNT, "one name per type");
    return names[t];
}

static void skip_space(struct parser *p)
{
    while (isspace((unsigned char)p->text[p->pos]))
        p->pos++;
}

/* Whether the next token is exactly tok (a word must end there). */
static bool accept(struct parser *p, const char *tok)
{
    size_t n = strlen(tok);

    skip_space(p);
    if (strncmp(p->text + p->pos, tok, n) != 0)
        return false;
    if (isalpha((unsigned char)tok[0]) &&
        (isalnum((unsigned char)p->text[p->pos + n]) || p->text[p->pos + n] == '_'))
        return false;
    /* "<" must not take the first half of "<=", "=" is never an operator alone */
    if ((strcmp(tok, "<") == 0 || strcmp(tok, ">") == 0 || strcmp(tok, "!") == 0) &&
        p->text[p->pos + n] == '=')
        return false;
    p->pos += n;
    return true;
}

/* Its operands: leaves none, "-" and "not" the left one, the rest both. */
static int n_operands(enum expr_op op)
{
    switch (op) {
    case OP_NUMBER:
    case OP_STRING:
    case OP_BOOL:
    case OP_NAME:
        return 0;
    case OP_NOT:
    case OP_NEG:
        return 1;
    default:
        return 2;
    }
}

static bool add_node(struct parser *p, const struct expr_node *n, uint32_t *out)
{
    struct io_expr *x = p->x;
    uint32_t depth = 1;
    int arity = n_operands(n->op);

    if (arity >= 1)
        depth = 1 + x->nodes[n->left].depth;
    if (arity == 2 && x->nodes[n->right].depth + 1 > depth)
        depth = 1 + x->nodes[n->right].depth;
    if (depth > EXPR_MAX_DEPTH) {
        core_free(n->str);
        return fail(p, p->pos, "the expression nests more than %d levels deep", EXPR_MAX_DEPTH);
    }

    if (x->n_nodes == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 16;
        struct expr_node *grown = core_realloc(x->nodes, cap * sizeof(*grown));

        if (!grown) {
            p->nomem = true;
            core_free(n->str);
            return fail(p, p->pos, "out of memory");
        }
        x->nodes = grown;
        x->cap = cap;
    }
    x->nodes[x->n_nodes] = *n;
    x->nodes[x->n_nodes].depth = depth;
    *out = (uint32_t)x->n_nodes++;
    return true;
}

/* Enter one more level of the parser's recursion at column at; false (with
 * why) past EXPR_MAX_DEPTH. Each true is matched by a p->nesting--. */
static bool enter(struct parser *p, size_t at)
{
    if (p->nesting >= EXPR_MAX_DEPTH)
        return fail(p, at, "the expression nests more than %d levels deep", EXPR_MAX_DEPTH);
    p->nesting++;
    return true;
}

static const struct expr_node *node(const struct parser *p, uint32_t i)
{
    return &p->x->nodes[i];
}

static bool is_keyword(const char *w, size_t n)
{
    static const char *const kw[] = {"and", "or", "not", "true", "false"};

    for (size_t i = 0; i < ARRAY_LEN(kw); i++)
        if (strlen(kw[i]) == n && strncmp(w, kw[i], n) == 0)
            return true;
    return false;
}

static bool is_name(const struct parser *p, const char *w, size_t n)
{
    for (size_t i = 0; i < p->n_names; i++)
        if (strlen(p->names[i].name) == n && strncmp(w, p->names[i].name, n) == 0)
            return true;
    return false;
}

static bool parse_or(struct parser *p, uint32_t *out);

/* A number and its unit, if a unit word follows it. */
static bool parse_number(struct parser *p, uint32_t *out)
{
    struct expr_node n = {.op = OP_NUMBER, .type = IO_TYPE_NUMBER, .dim = DIM_ANY};
    const char *start = p->text + p->pos;
    size_t at = p->pos, wstart, wlen;
    char *end;

    n.num = strtod(start, &end);
    if (end == start)
        return fail(p, at, "expected a number");
    p->pos += (size_t)(end - start);
    wstart = p->pos;
    while (p->text[wstart] == ' ')
        wstart++;
    wlen = strspn(p->text + wstart, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz/");
    if (wlen > 0 && p->text[wstart] != '/' && !is_keyword(p->text + wstart, wlen) &&
        !is_name(p, p->text + wstart, wlen) &&
        !isalnum((unsigned char)p->text[wstart + wlen]) && p->text[wstart + wlen] != '_') {
        char q[128], why[256];
        int d;

        if ((size_t)(end - start) + wlen + 2 > sizeof(q))
            return fail(p, at, "a number with an overlong unit");
        snprintf(q, sizeof(q), "%.*s %.*s", (int)(end - start), start, (int)wlen,
                 p->text + wstart);
        for (d = CORE_DIM_NONE + 1; d < CORE_DIM_COUNT; d++)
            if (core_quantity_parse(q, (enum core_dim)d, &n.num, why, sizeof(why)) == CORE_OK)
                break;
        if (d == CORE_DIM_COUNT)
            return fail(p, wstart, "'%.*s' is neither a unit nor a name that can be used here",
                        (int)wlen, p->text + wstart);
        n.dim = (enum core_dim)d;
        p->pos = wstart + wlen;
    }
    return add_node(p, &n, out);
}

static bool parse_string(struct parser *p, uint32_t *out)
{
    struct expr_node n = {.op = OP_STRING, .type = IO_TYPE_STRING, .dim = DIM_ANY};
    char quote = p->text[p->pos];
    const char *close = strchr(p->text + p->pos + 1, quote);
    size_t len;

    if (!close)
        return fail(p, p->pos, "a string without its closing %c", quote);
    len = (size_t)(close - (p->text + p->pos + 1));
    n.str = core_malloc(len + 1);
    if (!n.str) {
        p->nomem = true;
        return fail(p, p->pos, "out of memory");
    }
    memcpy(n.str, p->text + p->pos + 1, len);
    n.str[len] = '\0';
    p->pos += len + 2;
    return add_node(p, &n, out);
}

static bool parse_primary(struct parser *p, uint32_t *out)
{
    struct expr_node n = {.dim = DIM_ANY};
    char c;
    size_t at, len;

    skip_space(p);
    at = p->pos;
    c = p->text[at];
    if (c == '(') {
        bool ok;

        p->pos++;
        if (!enter(p, at))
            return false;
        ok = parse_or(p, out);
        p->nesting--;
        if (!ok)
            return false;
        if (!accept(p, ")"))
            return fail(p, p->pos, "expected ')' to close the '(' of column %zu", at + 1);
        return true;
    }
    if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)p->text[at + 1])))
        return parse_number(p, out);
    if (c == '\'' || c == '"')
        return parse_string(p, out);
    if (isalpha((unsigned char)c) || c == '_') {
        len = 1;
        while (isalnum((unsigned char)p->text[at + len]) || p->text[at + len] == '_')
            len++;
        p->pos += len;
        if (len == 4 && strncmp(p->text + at, "true", 4) == 0) {
            n.op = OP_BOOL, n.type = IO_TYPE_BOOL, n.b = true;
            return add_node(p, &n, out);
        }
        if (len == 5 && strncmp(p->text + at, "false", 5) == 0) {
            n.op = OP_BOOL, n.type = IO_TYPE_BOOL, n.b = false;
            return add_node(p, &n, out);
        }
        for (size_t i = 0; i < p->n_names; i++)
            if (strlen(p->names[i].name) == len && strncmp(p->text + at, p->names[i].name,
                                                           len) == 0) {
                n.op = OP_NAME, n.type = p->names[i].type, n.name = i;
                n.dim = p->names[i].type == IO_TYPE_NUMBER ? p->names[i].dim : DIM_ANY;
                return add_node(p, &n, out);
            }
        {
            char list[512] = "";
            size_t used = 0;

            for (size_t i = 0; i < p->n_names && used + 2 < sizeof(list); i++) {
                snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                         p->names[i].name);
                used += strlen(list + used);
            }
            return fail(p, at, "unknown name '%.*s' (known: %s)", (int)len, p->text + at,
                        p->n_names ? list : "none");
        }
    }
    if (c == '\0')
        return fail(p, at, "the expression ends where a value is expected");
    return fail(p, at, "unexpected '%c' where a value is expected", c);
}

/* Whether two numbers' dimensions may meet in + - or a comparison. */
static bool dims_fit(enum core_dim a, enum core_dim b)
{
    return a == DIM_ANY || b == DIM_ANY || a == b;
}

static const char *dim_text(enum core_dim d)
{
    return d == DIM_ANY ? "a number" : core_dim_name(d);
}

/* Build a binary node op(l, r) after checking its operands' types. */
static bool binary(struct parser *p, enum expr_op op, const char *tok, size_t at, uint32_t l,
                   uint32_t r, uint32_t *out)
{
    const struct expr_node *a = node(p, l), *b = node(p, r);
    struct expr_node n = {.op = op, .left = l, .right = r, .dim = DIM_ANY};

    switch (op) {
    case OP_OR:
    case OP_AND:
        if (a->type != IO_TYPE_BOOL || b->type != IO_TYPE_BOOL)
            return fail(p, at, "'%s' takes two booleans, not %s and %s", tok, type_name(a->type),
                        type_name(b->type));
        n.type = IO_TYPE_BOOL;
        break;
    case OP_EQ:
    case OP_NE:
        if (a->type != b->type)
            return fail(p, at, "'%s' compares %s with %s", tok, type_name(a->type),
                        type_name(b->type));
        if (a->type == IO_TYPE_NUMBER && !dims_fit(a->dim, b->dim))
            return fail(p, at, "'%s' compares a %s with a %s", tok, dim_text(a->dim),
                        dim_text(b->dim));
        n.type = IO_TYPE_BOOL;
        break;
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        if (a->type != IO_TYPE_NUMBER || b->type != IO_TYPE_NUMBER)
            return fail(p, at, "'%s' orders numbers only, not %s and %s", tok,
                        type_name(a->type), type_name(b->type));
        if (!dims_fit(a->dim, b->dim))
            return fail(p, at, "'%s' compares a %s with a %s", tok, dim_text(a->dim),
                        dim_text(b->dim));
        n.type = IO_TYPE_BOOL;
        break;
    case OP_ADD:
    case OP_SUB:
        if (a->type != IO_TYPE_NUMBER || b->type != IO_TYPE_NUMBER)
            return fail(p, at, "'%s' takes two numbers, not %s and %s", tok, type_name(a->type),
                        type_name(b->type));
        if (!dims_fit(a->dim, b->dim))
            return fail(p, at, "'%s' of a %s and a %s", tok, dim_text(a->dim), dim_text(b->dim));
        n.type = IO_TYPE_NUMBER;
        n.dim = a->dim != DIM_ANY ? a->dim : b->dim;
        break;
    default: /* OP_MUL, OP_DIV */
        if (a->type != IO_TYPE_NUMBER || b->type != IO_TYPE_NUMBER)
            return fail(p, at, "'%s' takes two numbers, not %s and %s", tok, type_name(a->type),
                        type_name(b->type));
        n.type = IO_TYPE_NUMBER;
        /* scaling keeps a dimension; a product of two dimensions is checked no further */
        if (a->dim == DIM_ANY || a->dim == CORE_DIM_NONE)
            n.dim = op == OP_MUL ? b->dim : (b->dim == DIM_ANY || b->dim == CORE_DIM_NONE
                                                 ? a->dim : DIM_ANY);
        else if (b->dim == DIM_ANY || b->dim == CORE_DIM_NONE)
            n.dim = a->dim;
        else
            n.dim = DIM_ANY;
        break;
    }
    return add_node(p, &n, out);
}

static bool parse_unary(struct parser *p, uint32_t *out)
{
    size_t at;

    skip_space(p);
    at = p->pos;
    if (p->text[at] == '-') {
        struct expr_node n = {.op = OP_NEG, .type = IO_TYPE_NUMBER};
        uint32_t v;
        bool ok;

        p->pos++;
        if (!enter(p, at))
            return false;
        ok = parse_unary(p, &v);
        p->nesting--;
        if (!ok)
            return false;
        if (node(p, v)->type != IO_TYPE_NUMBER)
            return fail(p, at, "'-' takes a number, not %s", type_name(node(p, v)->type));
        n.left = v;
        n.dim = node(p, v)->dim;
        return add_node(p, &n, out);
    }
    return parse_primary(p, out);
}

static bool parse_product(struct parser *p, uint32_t *out)
{
    uint32_t l, r;

    if (!parse_unary(p, &l))
        return false;
    for (;;) {
        size_t at;
        enum expr_op op;

        skip_space(p);
        at = p->pos;
        if (accept(p, "*"))
            op = OP_MUL;
        else if (accept(p, "/"))
            op = OP_DIV;
        else
            break;
        if (!parse_unary(p, &r) || !binary(p, op, op == OP_MUL ? "*" : "/", at, l, r, &l))
            return false;
    }
    *out = l;
    return true;
}

static bool parse_sum(struct parser *p, uint32_t *out)
{
    uint32_t l, r;

    if (!parse_product(p, &l))
        return false;
    for (;;) {
        size_t at;
        enum expr_op op;

        skip_space(p);
        at = p->pos;
        if (accept(p, "+"))
            op = OP_ADD;
        else if (accept(p, "-"))
            op = OP_SUB;
        else
            break;
        if (!parse_product(p, &r) || !binary(p, op, op == OP_ADD ? "+" : "-", at, l, r, &l))
            return false;
    }
    *out = l;
    return true;
}

static bool parse_cmp(struct parser *p, uint32_t *out)
{
    static const struct {
        const char *tok;
        enum expr_op op;
    } ops[] = {{"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE},
               {"<", OP_LT},  {">", OP_GT}};
    uint32_t l, r;
    size_t at;

    if (!parse_sum(p, &l))
        return false;
    skip_space(p);
    at = p->pos;
    for (size_t i = 0; i < ARRAY_LEN(ops); i++)
        if (accept(p, ops[i].tok)) {
            if (!parse_sum(p, &r) || !binary(p, ops[i].op, ops[i].tok, at, l, r, &l))
                return false;
            skip_space(p);
            for (size_t j = 0; j < ARRAY_LEN(ops); j++)
                if (strncmp(p->text + p->pos, ops[j].tok, strlen(ops[j].tok)) == 0)
                    return fail(p, p->pos, "comparisons do not chain: write a < b and b < c");
            break;
        }
    if (p->text[p->pos] == '=' && p->text[p->pos + 1] != '=')
        return fail(p, p->pos, "'=' is not an operator: compare with '=='");
    *out = l;
    return true;
}

static bool parse_not(struct parser *p, uint32_t *out)
{
    size_t at;

    skip_space(p);
    at = p->pos;
    if (accept(p, "not") || accept(p, "!")) {
        struct expr_node n = {.op = OP_NOT, .type = IO_TYPE_BOOL, .dim = DIM_ANY};
        uint32_t v;
        bool ok;

        if (!enter(p, at))
            return false;
        ok = parse_not(p, &v);
        p->nesting--;
        if (!ok)
            return false;
        if (node(p, v)->type != IO_TYPE_BOOL)
            return fail(p, at, "'not' takes a boolean, not %s", type_name(node(p, v)->type));
        n.left = v;
        return add_node(p, &n, out);
    }
    return parse_cmp(p, out);
}

static bool parse_and(struct parser *p, uint32_t *out)
{
    uint32_t l, r;

    if (!parse_not(p, &l))
        return false;
    for (;;) {
        size_t at;

        skip_space(p);
        at = p->pos;
        if (!accept(p, "and") && !accept(p, "&&"))
            break;
        if (!parse_not(p, &r) || !binary(p, OP_AND, "and", at, l, r, &l))
            return false;
    }
    *out = l;
    return true;
}

static bool parse_or(struct parser *p, uint32_t *out)
{
    uint32_t l, r;

    if (!parse_and(p, &l))
        return false;
    for (;;) {
        size_t at;

        skip_space(p);
        at = p->pos;
        if (!accept(p, "or") && !accept(p, "||"))
            break;
        if (!parse_and(p, &r) || !binary(p, OP_OR, "or", at, l, r, &l))
            return false;
    }
    *out = l;
    return true;
}

enum core_rc io_expr_parse(const char *text, const struct io_expr_name *names, size_t n_names,
                           struct io_expr **out, char *why, size_t why_size)
{
    struct parser p = {.text = text, .names = names, .n_names = n_names, .why = why,
                       .why_size = why_size};
    uint32_t root;

    *out = NULL;
    why[0] = '\0';
    p.x = core_calloc(1, sizeof(*p.x));
    if (!p.x) {
        snprintf(why, why_size, "out of memory");
        return CORE_E_NOMEM;
    }
    if (parse_or(&p, &root)) {
        skip_space(&p);
        if (text[p.pos] != '\0')
            fail(&p, p.pos, "unexpected '%s' after a complete expression", text + p.pos);
        else if (node(&p, root)->type != IO_TYPE_BOOL)
            fail(&p, 0, "the expression is %s, not a condition (true or false)",
                 type_name(node(&p, root)->type));
    }
    if (p.failed) {
        io_expr_destroy(p.x);
        return p.nomem ? CORE_E_NOMEM : CORE_E_INPUT;
    }
    p.x->root = root;
    *out = p.x;
    return CORE_OK;
}

void io_expr_destroy(struct io_expr *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n_nodes; i++)
        core_free(x->nodes[i].str);
    core_free(x->nodes);
    core_free(x);
}

/* The value of node i; strings and booleans through their out-parameters. */
static double eval_num(const struct io_expr *x, uint32_t i, const struct io_value *v);

static bool eval_bool(const struct io_expr *x, uint32_t i, const struct io_value *v)
{
    const struct expr_node *n = &x->nodes[i];
    const struct expr_node *a = &x->nodes[n->left];

    switch (n->op) {
    case OP_BOOL:
        return n->b;
    case OP_NAME:
        return v[n->name].b;
    case OP_OR:
        return eval_bool(x, n->left, v) || eval_bool(x, n->right, v);
    case OP_AND:
        return eval_bool(x, n->left, v) && eval_bool(x, n->right, v);
    case OP_NOT:
        return !eval_bool(x, n->left, v);
    case OP_EQ:
    case OP_NE: {
        bool eq;

        if (a->type == IO_TYPE_NUMBER) {
            eq = eval_num(x, n->left, v) == eval_num(x, n->right, v);
        } else if (a->type == IO_TYPE_BOOL) {
            eq = eval_bool(x, n->left, v) == eval_bool(x, n->right, v);
        } else {
            const struct expr_node *b = &x->nodes[n->right];
            const char *s = a->op == OP_NAME ? v[a->name].str : a->str;
            const char *t = b->op == OP_NAME ? v[b->name].str : b->str;
            eq = strcmp(s, t) == 0;
        }
        return n->op == OP_EQ ? eq : !eq;
    }
    case OP_LT:
        return eval_num(x, n->left, v) < eval_num(x, n->right, v);
    case OP_LE:
        return eval_num(x, n->left, v) <= eval_num(x, n->right, v);
    case OP_GT:
        return eval_num(x, n->left, v) > eval_num(x, n->right, v);
    case OP_GE:
        return eval_num(x, n->left, v) >= eval_num(x, n->right, v);
    default:
        CORE_ASSERT(!"a boolean node");
        return false;
    }
}

static double eval_num(const struct io_expr *x, uint32_t i, const struct io_value *v)
{
    const struct expr_node *n = &x->nodes[i];

    switch (n->op) {
    case OP_NUMBER:
        return n->num;
    case OP_NAME:
        return v[n->name].num;
    case OP_NEG:
        return -eval_num(x, n->left, v);
    case OP_ADD:
        return eval_num(x, n->left, v) + eval_num(x, n->right, v);
    case OP_SUB:
        return eval_num(x, n->left, v) - eval_num(x, n->right, v);
    case OP_MUL:
        return eval_num(x, n->left, v) * eval_num(x, n->right, v);
    case OP_DIV:
        return eval_num(x, n->left, v) / eval_num(x, n->right, v);
    default:
        CORE_ASSERT(!"a number node");
        return NAN;
    }
}

bool io_expr_eval(const struct io_expr *x, const struct io_value *values)
{
    return eval_bool(x, x->root, values);
}

bool io_expr_uses(const struct io_expr *x, size_t name)
{
    for (size_t i = 0; i < x->n_nodes; i++)
        if (x->nodes[i].op == OP_NAME && x->nodes[i].name == name)
            return true;
    return false;
}
