/*
 * xsdutil.h — walking an XML Schema (XSD) with libxml2, shared by the tests
 * that check a schema's documentation against the code. Include after
 * <cmocka.h>.
 *
 * xsd_load reads the schema under test into xsd_doc, saying on stderr when
 * it cannot, xsd_teardown frees it and xsd_root is its root; is_xs
 * tells an xs:<local> element; prop copies an attribute's value; find_named
 * finds an xs:<local> by its name attribute; documentation collects the
 * text of an element's xs:annotation/xs:documentation; xsd_count_undocumented
 * reports the elements that lack it among those a test says need it.
 */
#ifndef COINFER_XSDUTIL_H
#define COINFER_XSDUTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

/* The schema the test file checks: read by xsd_load, freed by xsd_teardown. */
static xmlDocPtr xsd_doc;

/* Read the schema at path (relative paths from the repository root) into
 * xsd_doc: 0, or -1 with a message on stderr if it cannot be read. For a
 * cmocka group setup. */
static inline int xsd_load(const char *path)
{
    xsd_doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    if (xsd_doc == NULL) {
        fprintf(stderr, "cannot parse %s (run from the repository root)\n", path);
        return -1;
    }
    return 0;
}

/* A cmocka group teardown: free xsd_doc. */
static inline int xsd_teardown(void **unused)
{
    (void)unused;
    xmlFreeDoc(xsd_doc);
    xsd_doc = NULL;
    return 0;
}

/* The root element of xsd_doc, xs:schema. */
static inline xmlNodePtr xsd_root(void)
{
    return xmlDocGetRootElement(xsd_doc);
}

/* Whether n is the element xs:<local> of the XML Schema namespace. */
static inline bool is_xs(const xmlNode *n, const char *local)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0 &&
           n->ns != NULL &&
           strcmp((const char *)n->ns->href, "http://www.w3.org/2001/XMLSchema") == 0;
}

/* The attribute name of n, or "" (the returned string lives in buf). */
static inline const char *prop(const xmlNode *n, const char *name, char *buf, size_t size)
{
    xmlChar *v = xmlGetProp(n, (const xmlChar *)name);

    snprintf(buf, size, "%s", v ? (const char *)v : "");
    xmlFree(v);
    return buf;
}

/* The first xs:<local> in the subtree of n whose name attribute is name. */
static inline xmlNodePtr find_named(xmlNodePtr n, const char *local, const char *name)
{
    char buf[256];

    for (; n != NULL; n = n->next) {
        xmlNodePtr found;
        if (is_xs(n, local) && strcmp(prop(n, "name", buf, sizeof(buf)), name) == 0)
            return n;
        if (n->type == XML_ELEMENT_NODE && (found = find_named(n->children, local, name)))
            return found;
    }
    return NULL;
}

/* The documentation of n (xs:annotation/xs:documentation) with runs of
 * white space collapsed to one space; "" when there is none. */
static inline void documentation(const xmlNode *n, char *buf, size_t size)
{
    size_t used = 0;

    buf[0] = '\0';
    for (const xmlNode *a = n->children; a != NULL; a = a->next) {
        if (!is_xs(a, "annotation"))
            continue;
        for (const xmlNode *d = a->children; d != NULL; d = d->next) {
            xmlChar *text;
            if (!is_xs(d, "documentation"))
                continue;
            text = xmlNodeGetContent(d);
            for (const char *p = (const char *)text; p && *p && used + 1 < size; p++) {
                bool space = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
                if (space && (used == 0 || buf[used - 1] == ' '))
                    continue;
                buf[used++] = space ? ' ' : *p;
            }
            xmlFree(text);
        }
    }
    while (used > 0 && buf[used - 1] == ' ')
        used--;
    buf[used] = '\0';
}

/* Count the nodes in n, its siblings and their subtrees for which needs_doc
 * is true and documentation is empty, naming each with its line. */
static inline int xsd_count_undocumented(xmlNodePtr n, bool (*needs_doc)(const xmlNode *n))
{
    char text[2048], name[256];
    int bad = 0;

    for (; n != NULL; n = n->next) {
        if (needs_doc(n)) {
            documentation(n, text, sizeof(text));
            if (text[0] == '\0') {
                print_error("%s '%s' (line %ld) has no documentation\n", (const char *)n->name,
                            prop(n, "name", name, sizeof(name)), xmlGetLineNo(n));
                bad++;
            }
        }
        if (n->type == XML_ELEMENT_NODE)
            bad += xsd_count_undocumented(n->children, needs_doc);
    }
    return bad;
}

#endif /* COINFER_XSDUTIL_H */
