/*
 * config.c — the configuration tree: what a scenario file says, read once,
 * owned, with no fixed maxima a user can reach.
 *
 * A tree is a grammar (struct io_element: which elements exist, under which
 * parent, which knob tables their attributes fill) and the nodes read from a
 * file. Each node is one element; its values live in the blobs of its knob
 * tables (the very structs the modules declare their knobs for: struct
 * proto_sim_config for <simulation>, struct radio_carrier_config for
 * <carrier>, ...), set through the tables (core_knob_set), defaults first.
 *
 * Layout. Nodes are one growable array, blobs one growable byte array; a
 * node names its parent, its first and last child and its next sibling by
 * index, and its blobs by offset, so the tree holds no pointer into itself
 * and grows by realloc. A pointer from io_config_data stays valid until the
 * tree grows (loading); reading and setting knobs never move it.
 *
 * Paths. A knob is named by the elements that lead to it and its attribute:
 * "simulation@seed", "radio/deployment@isd", "radio/ue-group[2]@count",
 * "edge/use[gpu]@count", "device[flagship]/use[npu]@amounts". A bracket holds
 * an index among the siblings of that name (from 0), or a key: the value of
 * the element's key knob (its name), or of its fallback when that is empty
 * (a <use> without a name is keyed by its resource). io_config_set sets a
 * knob by path through the knob's own table, with the same parsing, units
 * and range checks as the file, and remembers the override for messages and
 * for the canonical text.
 *
 * Canonical text. Every node, in document order, as an XML element with
 * every knob of its tables as an attribute, in table order, each value as
 * core_knob_format writes it (a bare number in the SI unit, exact): two
 * trees with the same values have the same text, whatever the file's units,
 * order of attributes, defaults left out or --set applied. It is a scenario
 * file coinfer reads back; its SHA-256 identifies the configuration of a run.
 */
#include "io/io_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOB_ALIGN 16 /* bytes: every blob starts at a multiple of this */

struct config_node {
    uint16_t element;      /* index in the grammar */
    uint32_t parent;       /* parent node (IO_NODE_NONE: the root) */
    uint32_t first_child;  /* first child (IO_NODE_NONE: none) */
    uint32_t last_child;   /* last child (IO_NODE_NONE: none) */
    uint32_t next;         /* next sibling (IO_NODE_NONE: last) */
    long line;             /* line of the element in its file (0: not in the file) */
    size_t data[IO_ELEMENT_TABLES]; /* offset of each table's blob in the tree's data */
    uint64_t given[IO_ELEMENT_TABLES]; /* bit k: knob k of the table was written or set */
};

/* One --set applied: its text and the node it changed. */
struct config_override {
    char *text;    /* "PATH=VALUE" (owned) */
    uint32_t node; /* the node it set a knob of */
};

/* Entries of a tree's lookup cache (struct io_config.cursor). */
#define CONFIG_CURSORS 8

struct io_config {
    const struct io_element *grammar; /* borrowed, static */
    size_t n_elements;                /* entries of grammar */
    char *path;                       /* the file (owned) */
    struct config_node *nodes;        /* [n_nodes] (owned) */
    size_t n_nodes, cap_nodes;        /* used, allocated */
    unsigned char *data;              /* blobs (owned) */
    size_t n_data, cap_data;          /* bytes used, allocated */
    struct config_override *sets;     /* [n_sets] (owned) */
    size_t n_sets;                    /* overrides applied */
    char file_sha256[65];             /* of the file's bytes ("": none) */
    enum io_scenario_kind kind;       /* what the scenario describes */
    /* Where io_config_child last stopped and what io_config_count last
     * counted, per (parent, element) for the last CONFIG_CURSORS such
     * pairs, so that a loop over the i-th children (i = 0, 1, 2, ... up to
     * the count, nested in another such loop or not) costs O(n) in all,
     * not O(n^2): a cache of lookups, emptied whenever a node is added. */
    struct config_cursor {
        io_node parent;   /* IO_NODE_NONE: empty */
        uint16_t element; /* the element looked up */
        size_t i;         /* the index of node among parent's children of element */
        io_node node;     /* that child (IO_NODE_NONE: none yet) */
        size_t count;     /* parent's children of element (SIZE_MAX: not counted) */
        uint64_t used;    /* when it was last used (uses counts the uses) */
    } cursor[CONFIG_CURSORS];
    uint64_t uses; /* lookups through the cache so far: the least recently used
                      entry is replaced */
};

static_assert(IO_ELEMENT_TABLES <= 2, "nodes record up to two tables");

/* ---- building ------------------------------------------------------------- */

static void forget_cursors(struct io_config *c)
{
    for (size_t k = 0; k < CONFIG_CURSORS; k++)
        c->cursor[k].parent = IO_NODE_NONE;
}

/* The cache entry of (parent, element), made if there is none. The cache
 * is not part of the tree's value: filling it through a const tree changes
 * nothing a caller can see. */
static struct config_cursor *cursor_of(const struct io_config *c, io_node parent,
                                       uint16_t element)
{
    struct io_config *cache = (struct io_config *)c;
    struct config_cursor *k = &cache->cursor[0];

    cache->uses++;
    for (size_t i = 0; i < CONFIG_CURSORS; i++) {
        if (c->cursor[i].parent == parent && c->cursor[i].element == element) {
            cache->cursor[i].used = cache->uses;
            return &cache->cursor[i];
        }
        if (c->cursor[i].used < k->used)
            k = &cache->cursor[i];
    }
    k->parent = parent;
    k->element = element;
    k->node = IO_NODE_NONE;
    k->count = SIZE_MAX;
    k->used = cache->uses;
    return k;
}

struct io_config *io_config_create(const struct io_element *grammar, size_t n_elements,
                                   const char *path)
{
    struct io_config *c = core_calloc(1, sizeof(*c));

    CORE_ASSERT(n_elements > 0 && n_elements < UINT16_MAX);
    if (!c)
        return NULL;
    c->grammar = grammar;
    c->n_elements = n_elements;
    forget_cursors(c);
    c->path = core_strdup(path);
    if (!c->path) {
        core_free(c);
        return NULL;
    }
    return c;
}

void io_config_destroy(struct io_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_sets; i++)
        core_free(c->sets[i].text);
    core_free(c->sets);
    core_free(c->nodes);
    core_free(c->data);
    core_free(c->path);
    core_free(c);
}

static enum core_rc grow(void **p, size_t *cap, size_t need, size_t elem, size_t first)
{
    size_t n = *cap ? *cap : first;
    void *q;

    if (need <= *cap)
        return CORE_OK;
    while (n < need)
        n *= 2;
    q = core_realloc(*p, n * elem);
    if (!q)
        return CORE_E_NOMEM;
    *p = q;
    *cap = n;
    return CORE_OK;
}

enum core_rc io_config_add(struct io_config *c, io_node parent, uint16_t element, long line,
                           io_node *out, struct core_err *e)
{
    const struct io_element *el = &c->grammar[element];
    struct config_node *n;
    size_t at = c->n_data;
    enum core_rc rc;

    CORE_ASSERT(element < c->n_elements);
    CORE_ASSERT(parent == IO_NODE_NONE ? c->n_nodes == 0 : parent < c->n_nodes);
    forget_cursors(c);
    if (c->n_nodes >= IO_NODE_NONE - 1)
        return core_err(e, CORE_E_INPUT, "%s:%ld: more than %u elements", c->path, line,
                        (unsigned)(IO_NODE_NONE - 1));
    for (size_t t = 0; t < el->n_tables; t++)
        at += (el->size[t] + BLOB_ALIGN - 1) / BLOB_ALIGN * BLOB_ALIGN;
    if (grow((void **)&c->nodes, &c->cap_nodes, c->n_nodes + 1, sizeof(*c->nodes), 64) != CORE_OK ||
        grow((void **)&c->data, &c->cap_data, at, 1, 4096) != CORE_OK)
        return core_err(e, CORE_E_NOMEM, "%s:%ld: out of memory for the configuration", c->path,
                        line);
    n = &c->nodes[c->n_nodes];
    memset(n, 0, sizeof(*n));
    n->element = element;
    n->parent = parent;
    n->first_child = n->last_child = n->next = IO_NODE_NONE;
    n->line = line;
    at = c->n_data;
    for (size_t t = 0; t < el->n_tables; t++) {
        size_t bytes = (el->size[t] + BLOB_ALIGN - 1) / BLOB_ALIGN * BLOB_ALIGN;

        n->data[t] = at;
        memset(c->data + at, 0, bytes);
        if (t == 0 && el->init)
            el->init(c->data + at);
        rc = core_knobs_defaults(el->table[t], c->data + at, e);
        CORE_ASSERT(rc == CORE_OK); /* a table's defaults parse (checked by the tests) */
        at += bytes;
    }
    c->n_data = at;
    if (parent != IO_NODE_NONE) {
        struct config_node *p = &c->nodes[parent];

        if (p->last_child == IO_NODE_NONE)
            p->first_child = (uint32_t)c->n_nodes;
        else
            c->nodes[p->last_child].next = (uint32_t)c->n_nodes;
        p->last_child = (uint32_t)c->n_nodes;
    }
    *out = (io_node)c->n_nodes++;
    return CORE_OK;
}

const struct core_knob *io_config_knob(const struct io_config *c, io_node node, const char *name,
                                       size_t *table)
{
    const struct io_element *el = &c->grammar[c->nodes[node].element];

    for (size_t t = 0; t < el->n_tables; t++) {
        const struct core_knob *k = core_knob_find(el->table[t], name);

        if (k) {
            if (table)
                *table = t;
            return k;
        }
    }
    return NULL;
}

enum core_rc io_config_apply(struct io_config *c, io_node node, const char *name,
                             const char *value, char *why, size_t why_size)
{
    size_t t;
    const struct core_knob *k = io_config_knob(c, node, name, &t);
    struct config_node *n = &c->nodes[node];

    if (!k) {
        snprintf(why, why_size, "unknown attribute '%s'", name);
        return CORE_E_INPUT;
    }
    if (core_knob_set(k, value, c->data + n->data[t], why, why_size) != CORE_OK)
        return CORE_E_INPUT;
    n->given[t] |= (uint64_t)1 << (k - c->grammar[n->element].table[t]->knobs);
    return CORE_OK;
}

/* ---- reading -------------------------------------------------------------- */

const char *io_config_path(const struct io_config *c)
{
    return c->path;
}

const char *io_config_file_sha256(const struct io_config *c)
{
    return c->file_sha256;
}

void io_config_set_file_sha256(struct io_config *c, const char sha256[65])
{
    memcpy(c->file_sha256, sha256, 65);
}

enum io_scenario_kind io_config_kind(const struct io_config *c)
{
    return c->kind;
}

void io_config_set_kind(struct io_config *c, enum io_scenario_kind kind)
{
    c->kind = kind;
}

const struct io_element *io_config_element(const struct io_config *c, io_node node)
{
    CORE_ASSERT(node < c->n_nodes);
    return &c->grammar[c->nodes[node].element];
}

uint16_t io_config_element_index(const struct io_config *c, io_node node)
{
    CORE_ASSERT(node < c->n_nodes);
    return c->nodes[node].element;
}

long io_config_line(const struct io_config *c, io_node node)
{
    CORE_ASSERT(node < c->n_nodes);
    return c->nodes[node].line;
}

io_node io_config_parent(const struct io_config *c, io_node node)
{
    CORE_ASSERT(node < c->n_nodes);
    return c->nodes[node].parent;
}

const void *io_config_data(const struct io_config *c, io_node node, size_t table)
{
    CORE_ASSERT(node < c->n_nodes);
    CORE_ASSERT(table < c->grammar[c->nodes[node].element].n_tables);
    return c->data + c->nodes[node].data[table];
}

bool io_config_given(const struct io_config *c, io_node node, const char *name)
{
    size_t t;
    const struct core_knob *k = io_config_knob(c, node, name, &t);

    if (!k)
        return false;
    return (c->nodes[node].given[t] >> (k - c->grammar[c->nodes[node].element].table[t]->knobs)) &
           1;
}

io_node io_config_first(const struct io_config *c, io_node parent)
{
    CORE_ASSERT(parent < c->n_nodes);
    return c->nodes[parent].first_child;
}

io_node io_config_next(const struct io_config *c, io_node node)
{
    CORE_ASSERT(node < c->n_nodes);
    return c->nodes[node].next;
}

static bool named(const struct io_config *c, io_node n, const char *element)
{
    return strcmp(c->grammar[c->nodes[n].element].name, element) == 0;
}

size_t io_config_count(const struct io_config *c, io_node parent, uint16_t element)
{
    struct config_cursor *cur = cursor_of(c, parent, element);
    size_t k = 0;

    if (cur->count != SIZE_MAX)
        return cur->count;
    for (io_node n = io_config_first(c, parent); n != IO_NODE_NONE; n = c->nodes[n].next)
        k += c->nodes[n].element == element;
    cur->count = k;
    return k;
}

io_node io_config_child(const struct io_config *c, io_node parent, uint16_t element, size_t i)
{
    struct config_cursor *k = cursor_of(c, parent, element);
    io_node n = io_config_first(c, parent);
    size_t skip = i;

    if (k->node != IO_NODE_NONE && k->i <= i) {
        if (k->i == i)
            return k->node;
        n = c->nodes[k->node].next;
        skip = i - k->i - 1;
    }
    for (; n != IO_NODE_NONE; n = c->nodes[n].next)
        if (c->nodes[n].element == element && skip-- == 0) {
            k->i = i;
            k->node = n;
            return n;
        }
    return IO_NODE_NONE;
}

/* The same by element name (paths name elements). */
static size_t count_named(const struct io_config *c, io_node parent, const char *element)
{
    size_t k = 0;

    for (io_node n = io_config_first(c, parent); n != IO_NODE_NONE; n = c->nodes[n].next)
        k += named(c, n, element);
    return k;
}

static io_node child_named(const struct io_config *c, io_node parent, const char *element,
                           size_t i)
{
    for (io_node n = io_config_first(c, parent); n != IO_NODE_NONE; n = c->nodes[n].next)
        if (named(c, n, element) && i-- == 0)
            return n;
    return IO_NODE_NONE;
}

/* The key of node n (its key knob's value, or its fallback's when empty),
 * or NULL when its element has none. */
static const char *node_key(const struct io_config *c, io_node n)
{
    const struct io_element *el = &c->grammar[c->nodes[n].element];
    const char *names[2] = {el->key, el->key_fallback};

    for (size_t i = 0; i < 2; i++) {
        size_t t;
        const struct core_knob *k;

        if (!names[i])
            continue;
        k = io_config_knob(c, n, names[i], &t);
        CORE_ASSERT(k && k->kind == CORE_KNOB_STRING);
        if (((const char *)io_config_data(c, n, t) + k->offset)[0] != '\0')
            return (const char *)io_config_data(c, n, t) + k->offset;
    }
    return NULL;
}

const char *io_config_key(const struct io_config *c, io_node node)
{
    const char *k = node_key(c, node);

    return k ? k : "";
}

/* The first child of parent that is element (by id, or by name when id is
 * UINT16_MAX) and whose key is key. */
static io_node find_key(const struct io_config *c, io_node parent, uint16_t id,
                        const char *element, const char *key)
{
    for (io_node n = io_config_first(c, parent); n != IO_NODE_NONE; n = c->nodes[n].next) {
        const char *k;

        if (id != UINT16_MAX ? c->nodes[n].element != id : !named(c, n, element))
            continue;
        k = node_key(c, n);
        if (k && strcmp(k, key) == 0)
            return n;
    }
    return IO_NODE_NONE;
}

io_node io_config_find(const struct io_config *c, io_node parent, uint16_t element,
                       const char *key)
{
    return find_key(c, parent, element, NULL, key);
}

size_t io_config_index(const struct io_config *c, io_node node)
{
    io_node parent = c->nodes[node].parent;
    size_t i = 0;

    if (parent == IO_NODE_NONE)
        return 0;
    for (io_node n = io_config_first(c, parent); n != node; n = c->nodes[n].next)
        i += c->nodes[n].element == c->nodes[node].element;
    return i;
}

/* ---- paths and overrides ---------------------------------------------------- */

/* Resolve the element part of a path (before '@') from the root: into *out,
 * or false with why[] saying which segment fails. */
static bool resolve_path(const struct io_config *c, const char *path, size_t len, io_node *out,
                         char *why, size_t why_size)
{
    io_node at = IO_NODE_ROOT;
    size_t i = 0;

    while (i < len) {
        char name[64], sel[CORE_KNOB_STRING_MAX];
        size_t j = i, nlen;
        bool has_sel = false;
        io_node found = IO_NODE_NONE;

        while (j < len && path[j] != '/' && path[j] != '[')
            j++;
        nlen = j - i;
        if (nlen == 0 || nlen >= sizeof(name)) {
            snprintf(why, why_size, "an empty or overlong element name at offset %zu", i);
            return false;
        }
        memcpy(name, path + i, nlen);
        name[nlen] = '\0';
        if (j < len && path[j] == '[') {
            const char *close = memchr(path + j, ']', len - j);
            size_t slen;

            if (!close) {
                snprintf(why, why_size, "'[' without ']' after '%s'", name);
                return false;
            }
            slen = (size_t)(close - (path + j + 1));
            if (slen == 0 || slen >= sizeof(sel)) {
                snprintf(why, why_size, "an empty or overlong [...] after '%s'", name);
                return false;
            }
            memcpy(sel, path + j + 1, slen);
            sel[slen] = '\0';
            has_sel = true;
            j = (size_t)(close - path) + 1;
        }
        if (j < len && path[j] != '/') {
            snprintf(why, why_size, "'%c' after '%s' (expected '/' or '@')", path[j], name);
            return false;
        }
        if (!has_sel) {
            size_t n = count_named(c, at, name);

            if (n == 1)
                found = child_named(c, at, name, 0);
            else if (n > 1) {
                snprintf(why, why_size, "there are %zu <%s> elements: say which, as %s[0] or "
                                        "%s[NAME]", n, name, name, name);
                return false;
            }
        } else if (strspn(sel, "0123456789") == strlen(sel)) {
            found = child_named(c, at, name, strtoul(sel, NULL, 10));
        } else {
            found = find_key(c, at, UINT16_MAX, name, sel);
        }
        if (found == IO_NODE_NONE) {
            snprintf(why, why_size, "no element %s%s%s%s where the path looks for it", name,
                     has_sel ? "[" : "", has_sel ? sel : "", has_sel ? "]" : "");
            return false;
        }
        at = found;
        i = j < len ? j + 1 : j;
    }
    *out = at;
    return true;
}

const struct core_knob *io_config_knob_at(const struct io_config *c, const char *path, char *why,
                                         size_t why_size)
{
    const char *at = strchr(path, '@');
    const struct core_knob *k;
    io_node node;

    if (!at || at[1] == '\0') {
        snprintf(why, why_size, "the path names no attribute (write ELEMENT/...@ATTRIBUTE, "
                                "e.g. radio/deployment@isd)");
        return NULL;
    }
    if (!resolve_path(c, path, (size_t)(at - path), &node, why, why_size))
        return NULL;
    k = io_config_knob(c, node, at + 1, NULL);
    if (!k)
        snprintf(why, why_size, "element '%s' has no attribute '%s'",
                 c->grammar[c->nodes[node].element].name, at + 1);
    return k;
}

enum core_rc io_config_set(struct io_config *c, const char *assignment, struct core_err *e)
{
    const char *eq = strchr(assignment, '='), *at;
    char why[768], name[64];
    struct config_override *o;
    io_node node;
    size_t plen;

    if (!eq)
        return core_err(e, CORE_E_USAGE, "--set %s: expected PATH=VALUE (see coinfer run --help)",
                        assignment);
    plen = (size_t)(eq - assignment);
    at = memchr(assignment, '@', plen);
    if (!at || at + 1 == eq || (size_t)(eq - at - 1) >= sizeof(name))
        return core_err(e, CORE_E_USAGE,
                        "--set %s: the path names no attribute (write ELEMENT/...@ATTRIBUTE, "
                        "e.g. radio/deployment@isd)",
                        assignment);
    if (!resolve_path(c, assignment, (size_t)(at - assignment), &node, why, sizeof(why)))
        return core_err(e, CORE_E_USAGE, "--set %s: %s", assignment, why);
    memcpy(name, at + 1, (size_t)(eq - at - 1));
    name[eq - at - 1] = '\0';
    if (!io_config_knob(c, node, name, NULL))
        return core_err(e, CORE_E_USAGE, "--set %s: element '%s' has no attribute '%s'",
                        assignment, c->grammar[c->nodes[node].element].name, name);
    if (io_config_apply(c, node, name, eq + 1, why, sizeof(why)) != CORE_OK)
        return core_err(e, CORE_E_USAGE, "--set %s: %s", assignment, why);
    o = core_realloc(c->sets, (c->n_sets + 1) * sizeof(*c->sets));
    if (!o)
        return core_err(e, CORE_E_NOMEM, "--set %s: out of memory", assignment);
    c->sets = o;
    o[c->n_sets].text = core_strdup(assignment);
    if (!o[c->n_sets].text)
        return core_err(e, CORE_E_NOMEM, "--set %s: out of memory", assignment);
    o[c->n_sets].node = (uint32_t)node;
    c->n_sets++;
    return CORE_OK;
}

size_t io_config_n_overrides(const struct io_config *c)
{
    return c->n_sets;
}

const char *io_config_override(const struct io_config *c, size_t i)
{
    CORE_ASSERT(i < c->n_sets);
    return c->sets[i].text;
}

enum core_rc io_config_err(const struct io_config *c, io_node node, struct core_err *e,
                           const char *fmt, ...)
{
    char what[768], sets[512] = "";
    size_t used = 0;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < c->n_sets && used < sizeof(sets); i++) {
        if (c->sets[i].node != node)
            continue;
        used += (size_t)snprintf(sets + used, sizeof(sets) - used, "%s--set %s",
                                 used ? ", " : " (after ", c->sets[i].text);
    }
    if (used > 0 && used < sizeof(sets))
        snprintf(sets + used, sizeof(sets) - used, ")");
    return core_err(e, CORE_E_INPUT, "%s:%ld: element '%s': %s%s", c->path, c->nodes[node].line,
                    c->grammar[c->nodes[node].element].name, what, sets);
}

/* ---- canonical text ------------------------------------------------------------ */

struct text {
    char *buf;    /* owned */
    size_t n;     /* bytes used, NUL excluded */
    size_t cap;   /* bytes allocated */
    bool nomem;   /* an append failed */
};

static void put(struct text *t, const char *s, size_t len)
{
    if (t->nomem)
        return;
    if (grow((void **)&t->buf, &t->cap, t->n + len + 1, 1, 4096) != CORE_OK) {
        t->nomem = true;
        return;
    }
    memcpy(t->buf + t->n, s, len);
    t->n += len;
    t->buf[t->n] = '\0';
}

static void puts_(struct text *t, const char *s)
{
    put(t, s, strlen(s));
}

/* s as an XML attribute value (quotes, ampersands, angle brackets escaped). */
static void put_escaped(struct text *t, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '"':
            puts_(t, "&quot;");
            break;
        case '&':
            puts_(t, "&amp;");
            break;
        case '<':
            puts_(t, "&lt;");
            break;
        case '>':
            puts_(t, "&gt;");
            break;
        default:
            put(t, s, 1);
        }
    }
}

static void canonical_node(const struct io_config *c, io_node node, int depth, struct text *t)
{
    const struct io_element *el = &c->grammar[c->nodes[node].element];
    char value[CORE_KNOB_STRING_MAX + 64];

    for (int i = 0; i < depth; i++)
        puts_(t, "  ");
    puts_(t, "<");
    puts_(t, el->name);
    for (size_t tb = 0; tb < el->n_tables; tb++) {
        const struct core_knob_table *kt = el->table[tb];

        for (size_t k = 0; k < kt->n_knobs; k++) {
            core_knob_format(&kt->knobs[k], io_config_data(c, node, tb), value, sizeof(value));
            if (el->canonical_value)
                el->canonical_value(c, node, kt->knobs[k].name, value, sizeof(value));
            puts_(t, " ");
            puts_(t, kt->knobs[k].name);
            puts_(t, "=\"");
            put_escaped(t, value);
            puts_(t, "\"");
        }
    }
    if (c->nodes[node].first_child == IO_NODE_NONE) {
        puts_(t, "/>\n");
        return;
    }
    puts_(t, ">\n");
    /* Children in grammar order (a file's order of elements, whatever the
     * file wrote or left to defaults), each element's in document order. */
    for (uint16_t id = 0; id < c->n_elements; id++)
        for (io_node n = c->nodes[node].first_child; n != IO_NODE_NONE; n = c->nodes[n].next)
            if (c->nodes[n].element == id)
                canonical_node(c, n, depth + 1, t);
    for (int i = 0; i < depth; i++)
        puts_(t, "  ");
    puts_(t, "</");
    puts_(t, el->name);
    puts_(t, ">\n");
}

enum core_rc io_config_canonical(const struct io_config *c, char **text_out, char sha256[65],
                                 struct core_err *e)
{
    struct text t = {0};
    struct core_sha256 h;

    *text_out = NULL;
    CORE_ASSERT(c->n_nodes > 0);
    puts_(&t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    canonical_node(c, IO_NODE_ROOT, 0, &t);
    if (t.nomem) {
        core_free(t.buf);
        return core_err(e, CORE_E_NOMEM, "%s: out of memory for the canonical configuration",
                        c->path);
    }
    core_sha256_init(&h);
    core_sha256_update(&h, t.buf, t.n);
    core_sha256_final_hex(&h, sha256);
    *text_out = t.buf;
    return CORE_OK;
}
