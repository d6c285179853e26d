/*
 * io_int.h — shared between the files of sim/io only: loading XML files and
 * the translation of libxml2's messages into plain ones.
 */
#ifndef COINFER_IO_INT_H
#define COINFER_IO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "io/io.h"

/* ---- libxml2 messages (xml_errors.c) ------------------------------------ */

/* Rewrite one libxml2 message (schema validity or parser error) as a plain
 * one: "Element 'ues', attribute 'count': '0' is not a valid value of the
 * atomic type 'xs:positiveInteger'." becomes "element 'ues': attribute
 * 'count': '0' is not a positive integer". A value that fails a quantity's
 * pattern is explained from the element's knob table (io_scenario_knobs).
 * from_parser: msg is a well-formedness error of the XML parser. */
void io_xml_translate(const char *msg, bool from_parser, char *out, size_t out_size);

/* ---- building a configuration tree (config.c) ---------------------------- */

/* An empty tree of grammar (static; n_elements entries) read from path. NULL
 * on allocation failure. */
struct io_config *io_config_create(const struct io_element *grammar, size_t n_elements,
                                   const char *path);

/* Add a node of element under parent (IO_NODE_NONE: the root, the first
 * node), at line of the file, its structs initialised and set to their
 * defaults; *out its index. CORE_E_NOMEM; CORE_E_INPUT past 2^32 - 2 nodes. */
enum core_rc io_config_add(struct io_config *c, io_node parent, uint16_t element, long line,
                           io_node *out, struct core_err *e);

/* The knob of attribute name of node's element (and which of its tables
 * holds it), or NULL. */
const struct core_knob *io_config_knob(const struct io_config *c, io_node node, const char *name,
                                       size_t *table);

/* Set attribute name of node from text (core_knob_set) and mark it given.
 * CORE_E_INPUT with why[] (no file or line). */
enum core_rc io_config_apply(struct io_config *c, io_node node, const char *name,
                             const char *value, char *why, size_t why_size);

void io_config_set_file_sha256(struct io_config *c, const char sha256[65]);
void io_config_set_kind(struct io_config *c, enum io_scenario_kind kind);

/* ---- loading XML files (xml_load.c) -------------------------------------- */

#include <libxml/tree.h>

/* A kind of coinfer XML file: its root element and where its schema is. */
struct io_xml_kind {
    const char *root;       /* root element name ("model") */
    const char *schema_dir; /* directory of schema.xsd in the source tree ("models") */
    const char *schema_env; /* variable naming another directory for it */
    const char *schema_file; /* its file name in that directory (NULL: "schema.xsd") */
    const char *what;       /* its name in messages ("model file") */
    uint64_t max_bytes;     /* the largest such file read, bytes (CORE_FILE_MAX_*) */
    size_t max_elements;    /* the most elements it may have */
};

/* The most attributes one element of any coinfer XML file may have (the
 * most any has is a few dozen). */
#define IO_XML_MAX_ATTRIBUTES 256
/* The longest attribute value, bytes (a knob's text is at most 255). */
#define IO_XML_MAX_VALUE_BYTES 4096
/* The most elements a scenario file may have, and a model file (its
 * <layer>s, IO_MODEL_MAX_LAYERS, and a few more). */
#define IO_SCENARIO_MAX_ELEMENTS 1000000
#define IO_MODEL_MAX_LAYERS 100000

/* Before the parse (xml_scan.c): refuse a file of kind with more elements
 * than kind->max_elements or an element with more than
 * IO_XML_MAX_ATTRIBUTES attributes, in one linear pass over its bytes
 * (libxml2 is quadratic in attributes). CORE_E_INPUT "FILE:LINE: ...". */
enum core_rc io_xml_scan_limits(const char *path, const struct io_xml_kind *kind, const char *buf,
                                size_t len, struct core_err *e);

/* The line of node n (an element or attribute) in its file, 0 if unknown. */
long io_xml_node_line(const xmlNode *n);

/* Where kind's schema is: $env/schema.xsd, else ../dir/schema.xsd from the
 * running binary's directory or one of its two parents, else
 * ../share/coinfer/dir/schema.xsd from the binary's directory (an installed
 * coinfer), else dir/schema.xsd. */
void io_xml_schema_path(const char *env, const char *dir, char *buf, size_t size);
/* The same for a schema file named file ("sweep.xsd") instead of schema.xsd. */
void io_xml_schema_file_path(const char *env, const char *dir, const char *file, char *buf,
                             size_t size);

/* Read, parse (no network, no entities) and validate the file at path against
 * kind's schema. *doc_out is returned owned (xmlFreeDoc), sha256 the file's
 * hex digest. CORE_E_INPUT with "FILE:LINE: message"; CORE_E_IO for a schema
 * that cannot be read; CORE_E_NOMEM. */
enum core_rc io_xml_load(const char *path, const struct io_xml_kind *kind, xmlDocPtr *doc_out,
                         char sha256[65], struct core_err *e);

/* Whether the file at path parses far enough to show its root element and
 * that element is named root (reads only up to it; reports nothing). For
 * io_validate_file's dispatch by file kind. */
bool io_xml_root_is(const char *path, const char *root);

#endif /* COINFER_IO_INT_H */
