/*
 * xml_load.c — reading, parsing and validating coinfer's XML files, shared by
 * every file kind that is not a scenario (model files for now).
 *
 * A file is read whole (for its SHA-256), parsed by libxml2 without network
 * access or external entities (XML_PARSE_NONET, no NOENT or DTDLOAD) and with
 * line numbers past 65535 (XML_PARSE_BIG_LINES), its root element checked,
 * entity references refused, and the tree validated against the kind's XSD.
 * Every libxml2 message is caught by a structured error handler and rewritten
 * (xml_errors.c); the first error is reported as "FILE:LINE: message" with
 * CORE_E_INPUT. A kind's schema is found at $<env>/schema.xsd if that
 * variable is set, else at ../<dir>/schema.xsd from the directory of the
 * running binary or one of its two parents, else at <dir>/schema.xsd from
 * the current directory.
 *
 * Compiling a schema costs more than validating a file against it (the
 * scenario XSD: most of a small scenario's load), and a sweep, a test or a
 * fuzzer loads many files of one kind: compiled schemas are kept for the
 * life of the process, one per schema file, and compiled again only when
 * that file changes (its device, inode, size or modification time). One
 * mutex guards the cache and every validation against a cached schema.
 */
#include "io/io_int.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

/* The first error libxml2 reported, and how many followed it. */
struct xml_capture {
    int n_errors;     /* errors seen (warnings are ignored) */
    long line;        /* line of the first, 0 if unknown */
    bool from_parser; /* the first is a well-formedness error */
    char msg[1024];   /* libxml2's text of the first */
};

/* libxml2 2.9 keeps lines up to 65535 in the node; past that (with
 * XML_PARSE_BIG_LINES) only text nodes keep their line, in psvi, and it is
 * the line where the text ends, which is where the next element starts. */
long io_xml_node_line(const xmlNode *n)
{
    if (n != NULL && n->type == XML_ATTRIBUTE_NODE)
        n = n->parent;
    if (n == NULL)
        return 0;
    if (n->type == XML_ELEMENT_NODE && n->line == 65535 && n->prev != NULL &&
        n->prev->type == XML_TEXT_NODE && n->prev->psvi != NULL)
        return (long)(intptr_t)n->prev->psvi;
    return xmlGetLineNo(n);
}

static void on_xml_error(void *ctx, xmlErrorPtr err)
{
    struct xml_capture *cap = ctx;

    if (cap == NULL || err == NULL || err->level < XML_ERR_ERROR)
        return;
    if (cap->n_errors++ > 0)
        return;
    cap->line = err->line;
    if ((cap->line <= 0 || cap->line >= 65535) && err->node != NULL)
        cap->line = io_xml_node_line(err->node);
    cap->from_parser = err->domain != XML_FROM_SCHEMASV && err->domain != XML_FROM_SCHEMASP;
    /* A value quoted in the message may be megabytes long: keep the reason. */
    core_elide(cap->msg, sizeof(cap->msg), err->message ? err->message : "unknown error");
}

/* Read the whole file at path into a new buffer (core_free it): a regular
 * file of at most kind->max_bytes (core_file_open), read up to one byte
 * past its size so that a file growing meanwhile is refused too. */
static enum core_rc read_file(const char *path, const struct io_xml_kind *kind, char **buf_out,
                              size_t *len_out, struct core_err *e)
{
    const uint64_t max = kind->max_bytes < INT_MAX ? kind->max_bytes : INT_MAX;
    FILE *f;
    char *buf;
    uint64_t size;
    size_t len;
    enum core_rc rc;

    rc = core_file_open(path, kind->what, max, &f, &size, e);
    if (rc != CORE_OK)
        return rc;
    buf = core_malloc((size_t)size + 1);
    if (buf == NULL) {
        fclose(f);
        return core_err(e, CORE_E_NOMEM, "%s:0: out of memory reading the file", path);
    }
    len = fread(buf, 1, (size_t)size + 1, f);
    if (ferror(f)) {
        int err = errno;
        core_free(buf);
        fclose(f);
        return core_err(e, CORE_E_INPUT, "%s:0: cannot read: %s", path, strerror(err));
    }
    fclose(f);
    if (len > size) {
        core_free(buf);
        return core_err(e, CORE_E_INPUT, "%s:0: the %s grew while it was read", path, kind->what);
    }
    *buf_out = buf;
    *len_out = len;
    return CORE_OK;
}

void io_xml_schema_file_path(const char *env, const char *dir, const char *file, char *buf,
                             size_t size)
{
    const char *env_dir = getenv(env);
    char exe[PATH_MAX];
    ssize_t n;

    if (env_dir != NULL && env_dir[0] != '\0') {
        snprintf(buf, size, "%s/%s", env_dir, file);
        return;
    }
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        char *slash;
        exe[n] = '\0';
        for (int up = 0; up < 3 && (slash = strrchr(exe, '/')) != NULL; up++) {
            *slash = '\0';
            snprintf(buf, size, "%s/../%s/%s", exe, dir, file);
            if (access(buf, R_OK) == 0)
                return;
            /* where `make install` puts it: PREFIX/bin/coinfer and
             * PREFIX/share/coinfer/DIR/FILE */
            snprintf(buf, size, "%s/../share/coinfer/%s/%s", exe, dir, file);
            if (up == 0 && access(buf, R_OK) == 0)
                return;
        }
    }
    snprintf(buf, size, "%s/%s", dir, file);
}

void io_xml_schema_path(const char *env, const char *dir, char *buf, size_t size)
{
    io_xml_schema_file_path(env, dir, "schema.xsd", buf, size);
}

/* The first entity reference under n (libxml2 keeps them as nodes when
 * entities are not substituted, which we never do), or NULL. */
static xmlNodePtr find_entity_ref(xmlNodePtr n)
{
    for (; n != NULL; n = n->next) {
        xmlNodePtr found;
        if (n->type == XML_ENTITY_REF_NODE)
            return n;
        if (n->type == XML_ELEMENT_NODE && (found = find_entity_ref(n->children)) != NULL)
            return found;
    }
    return NULL;
}

/* One compiled schema and the identity of the file it came from. */
struct schema_entry {
    char path[PATH_MAX + 32]; /* the schema file as found ("" : a free slot) */
    dev_t dev;                /* its device and inode, */
    ino_t ino;
    off_t size_bytes;         /* size, */
    struct timespec mtime;    /* and modification time when compiled */
    xmlSchemaPtr schema;      /* compiled (owned) */
};

/* One slot per schema coinfer has (scenario, sweep, model) and a spare. */
#define SCHEMA_CACHE_SLOTS 4
static struct schema_entry schema_cache[SCHEMA_CACHE_SLOTS];
static unsigned schema_cache_next; /* the slot to reuse when none is free */
static pthread_mutex_t schema_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static bool same_file(const struct schema_entry *c, const char *xsd, const struct stat *st)
{
    return strcmp(c->path, xsd) == 0 && c->dev == st->st_dev && c->ino == st->st_ino &&
           c->size_bytes == st->st_size && c->mtime.tv_sec == st->st_mtim.tv_sec &&
           c->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* The compiled schema at xsd into *out, from the cache or compiled now (and
 * kept): CORE_E_IO when it cannot be read or compiled, CORE_E_NOMEM. Call
 * with the lock held; the schema stays valid while it is. */
static enum core_rc cached_schema(const char *xsd, const struct io_xml_kind *kind,
                                  struct xml_capture *cap, xmlSchemaPtr *out, struct core_err *e)
{
    struct schema_entry *slot = NULL;
    xmlSchemaParserCtxtPtr pctx;
    xmlSchemaPtr schema;
    struct stat st;

    if (access(xsd, R_OK) != 0 || stat(xsd, &st) != 0)
        return core_err(e, CORE_E_IO,
                        "%s:0: cannot open the %s schema: %s (set %s to the directory holding "
                        "%s)",
                        xsd, kind->root, strerror(errno), kind->schema_env,
                        kind->schema_file ? kind->schema_file : "schema.xsd");
    for (size_t i = 0; i < SCHEMA_CACHE_SLOTS; i++) {
        if (schema_cache[i].schema != NULL && same_file(&schema_cache[i], xsd, &st)) {
            *out = schema_cache[i].schema;
            return CORE_OK;
        }
    }
    pctx = xmlSchemaNewParserCtxt(xsd);
    if (pctx == NULL)
        return core_err(e, CORE_E_NOMEM, "%s:0: out of memory loading the schema", xsd);
    xmlSchemaSetParserStructuredErrors(pctx, on_xml_error, cap);
    schema = xmlSchemaParse(pctx);
    xmlSchemaFreeParserCtxt(pctx);
    if (schema == NULL)
        return core_err(e, CORE_E_IO, "%s:%ld: the %s schema is broken: %s", xsd, cap->line,
                        kind->root, cap->n_errors ? cap->msg : "cannot parse it");
    /* The same path compiled before (the file changed), else a free slot,
     * else the next in turn. */
    for (size_t i = 0; i < SCHEMA_CACHE_SLOTS && slot == NULL; i++)
        if (schema_cache[i].schema != NULL && strcmp(schema_cache[i].path, xsd) == 0)
            slot = &schema_cache[i];
    for (size_t i = 0; i < SCHEMA_CACHE_SLOTS && slot == NULL; i++)
        if (schema_cache[i].schema == NULL)
            slot = &schema_cache[i];
    if (slot == NULL)
        slot = &schema_cache[schema_cache_next++ % SCHEMA_CACHE_SLOTS];
    xmlSchemaFree(slot->schema);
    snprintf(slot->path, sizeof(slot->path), "%s", xsd);
    slot->dev = st.st_dev;
    slot->ino = st.st_ino;
    slot->size_bytes = st.st_size;
    slot->mtime = st.st_mtim;
    slot->schema = schema;
    *out = schema;
    return CORE_OK;
}

/* Validate doc against the schema at xsd; the first violation as FILE:LINE. */
static enum core_rc validate_doc(const char *path, const char *xsd, const struct io_xml_kind *kind,
                                 xmlDocPtr doc, struct xml_capture *cap, struct core_err *e)
{
    char plain[1024];
    xmlSchemaValidCtxtPtr vctx;
    xmlSchemaPtr schema = NULL;
    enum core_rc rc;
    int ret;

    pthread_mutex_lock(&schema_cache_lock);
    rc = cached_schema(xsd, kind, cap, &schema, e);
    if (rc != CORE_OK)
        goto out_unlock;
    vctx = xmlSchemaNewValidCtxt(schema);
    if (vctx == NULL) {
        rc = core_err(e, CORE_E_NOMEM, "%s:0: out of memory validating", path);
        goto out_unlock;
    }
    xmlSchemaSetValidStructuredErrors(vctx, on_xml_error, cap);
    ret = xmlSchemaValidateDoc(vctx, doc);
    if (ret != 0 && cap->n_errors > 0) {
        io_xml_translate(cap->msg, cap->from_parser, plain, sizeof(plain));
        rc = core_err(e, CORE_E_INPUT, "%s:%ld: %s", path, cap->line, plain);
    } else if (ret != 0) {
        rc = core_err(e, CORE_E_RUNTIME, "%s:0: libxml2 could not validate the file (code %d)",
                      path, ret);
    }
    xmlSchemaFreeValidCtxt(vctx);
out_unlock:
    pthread_mutex_unlock(&schema_cache_lock);
    return rc;
}

enum core_rc io_xml_load(const char *path, const struct io_xml_kind *kind, xmlDocPtr *doc_out,
                         char sha256[65], struct core_err *e)
{
    struct xml_capture cap = {0};
    struct core_sha256 hash;
    xmlParserCtxtPtr pctx;
    xmlDocPtr doc;
    xmlNodePtr root, ref;
    char *buf = NULL, plain[1024], xsd[PATH_MAX + 32];
    size_t len = 0;
    enum core_rc rc;

    *doc_out = NULL;
    rc = read_file(path, kind, &buf, &len, e);
    if (rc != CORE_OK)
        return rc;
    rc = io_xml_scan_limits(path, kind, buf, len, e);
    if (rc != CORE_OK)
        goto out_free_buf;
    core_sha256_init(&hash);
    core_sha256_update(&hash, buf, len);
    core_sha256_final_hex(&hash, sha256);

    xmlSetStructuredErrorFunc(&cap, on_xml_error);
    pctx = xmlNewParserCtxt();
    if (pctx == NULL) {
        rc = core_err(e, CORE_E_NOMEM, "%s:0: out of memory parsing the file", path);
        goto out_free_buf;
    }
    doc = xmlCtxtReadMemory(pctx, buf, (int)len, path, NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
    if (doc == NULL || !pctx->wellFormed || cap.n_errors > 0) {
        xmlFreeDoc(doc);
        xmlFreeParserCtxt(pctx);
        io_xml_translate(cap.n_errors ? cap.msg : "The document cannot be parsed", true, plain,
                         sizeof(plain));
        rc = core_err(e, CORE_E_INPUT, "%s:%ld: %s", path, cap.line, plain);
        goto out_free_buf;
    }
    xmlFreeParserCtxt(pctx);

    root = xmlDocGetRootElement(doc);
    if (root == NULL || strcmp((const char *)root->name, kind->root) != 0) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: root element '%s' is not a coinfer %s file (expected <%s>)", path,
                      root ? io_xml_node_line(root) : 0L, root ? (const char *)root->name : "",
                      kind->root, kind->root);
        goto out_free_doc;
    }
    ref = find_entity_ref(root);
    if (ref != NULL) {
        rc = core_err(e, CORE_E_INPUT,
                      "%s:%ld: entity '&%s;' is not allowed in a %s file (write the text "
                      "itself)",
                      path, ref->parent ? io_xml_node_line(ref->parent) : 0L,
                      (const char *)ref->name, kind->root);
        goto out_free_doc;
    }
    io_xml_schema_file_path(kind->schema_env, kind->schema_dir,
                            kind->schema_file ? kind->schema_file : "schema.xsd", xsd, sizeof(xsd));
    rc = validate_doc(path, xsd, kind, doc, &cap, e);
    if (rc == CORE_OK) {
        *doc_out = doc;
        doc = NULL;
    }
out_free_doc:
    xmlFreeDoc(doc);
out_free_buf:
    xmlSetStructuredErrorFunc(NULL, NULL);
    core_free(buf);
    return rc;
}

/* Bytes of a file's head that io_xml_root_is looks at (on the stack, so that
 * the sniff never fails for want of memory). */
#define SNIFF_BYTES 16384

/* A lexical scan of the file's head: past white space, the XML declaration,
 * processing instructions, comments and a DOCTYPE to the first start tag, so
 * that a file broken further down still shows its kind. */
bool io_xml_root_is(const char *path, const char *root)
{
    char buf[SNIFF_BYTES + 1], *p, *end;
    size_t n, len = strlen(root);
    FILE *f;

    /* Not a regular file (a FIFO would block, /dev/zero never end): no kind. */
    if (core_file_open(path, root, UINT64_MAX, &f, NULL, NULL) != CORE_OK)
        return false;
    n = fread(buf, 1, SNIFF_BYTES, f);
    fclose(f);
    buf[n] = '\0';
    p = buf;
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    for (;;) {
        const char *close;
        p += strspn(p, " \t\r\n");
        if (strncmp(p, "<?", 2) == 0)
            close = "?>";
        else if (strncmp(p, "<!--", 4) == 0)
            close = "-->";
        else if (strncmp(p, "<!", 2) == 0)
            close = ">";
        else
            break;
        end = strstr(p, close);
        if (end == NULL)
            break;
        p = end + strlen(close);
    }
    return p[0] == '<' && strncmp(p + 1, root, len) == 0 && p[1 + len] != '\0' &&
           strchr(" \t\r\n/>", p[1 + len]) != NULL;
}
