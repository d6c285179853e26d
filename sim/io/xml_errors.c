/*
 * xml_errors.c — libxml2's messages rewritten for people who write scenarios.
 *
 * libxml2 reports schema violations in the schema's vocabulary ("'0' is not
 * a valid value of the atomic type 'xs:positiveInteger'", "[facet 'pattern']
 * The value 'abc' is not accepted by the pattern '[+\-]?([0-9]+...'"). The
 * translations below say the same thing in the user's: "'0' is not a
 * positive integer", "'abc' is not a time (a number with unit s, ms, ...)".
 * A message we do not recognise is passed through with its first letter in
 * lower case, so nothing is ever lost. Only the message is rewritten here;
 * the caller puts the file and line in front.
 */
#include "io/io_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Phrases for the built-in XSD types the schema uses. */
static const struct {
    const char *type;
    const char *phrase;
} xs_types[] = {
    {"xs:positiveInteger", "a positive integer"},
    {"xs:nonNegativeInteger", "a non-negative integer"},
    {"xs:integer", "an integer"},
    {"xs:unsignedLong", "a whole number from 0 to 18446744073709551615"},
    {"xs:boolean", "true or false"},
    {"xs:double", "a number"},
    {"xs:decimal", "a number"},
};

/* Copy s[0..n) into buf as a string. */
static void copy_span(char *buf, size_t size, const char *s, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
}

/* If *p starts with prefix, step past it and return true. */
static bool eat(const char **p, const char *prefix)
{
    size_t n = strlen(prefix);

    if (strncmp(*p, prefix, n) != 0)
        return false;
    *p += n;
    return true;
}

/* Read up to the next occurrence of stop into buf and step past stop. */
static bool take_until(const char **p, const char *stop, char *buf, size_t size)
{
    const char *end = strstr(*p, stop);

    if (end == NULL)
        return false;
    copy_span(buf, size, *p, (size_t)(end - *p));
    *p = end + strlen(stop);
    return true;
}

/* "( a, b, c )" in libxml2's "Expected is ( ... )" as "<a>, <b> or <c>". */
static void expected_list(const char *msg, char *buf, size_t size)
{
    const char *open = strstr(msg, "( "), *close, *p;
    size_t used = 0;
    int k = 0;

    buf[0] = '\0';
    if (open == NULL || (close = strstr(open, " )")) == NULL)
        return;
    for (p = open + 2; p < close;) {
        const char *comma = strstr(p, ", ");
        const char *end = comma != NULL && comma < close ? comma : close;
        bool last = end == close;
        int w = snprintf(buf + used, size - used, "%s<%.*s>",
                         k == 0 ? ""
                         : last ? " or "
                                : ", ",
                         (int)(end - p), p);
        if (w < 0 || (size_t)w >= size - used)
            return;
        used += (size_t)w;
        k++;
        p = last ? close : end + 2;
    }
}

/* "{'a', 'b'}" of an enumeration facet as "a, b". */
static void enum_set(const char *set, char *buf, size_t size)
{
    size_t used = 0;

    for (; *set != '\0' && used + 1 < size; set++) {
        if (*set != '\'' && *set != '{' && *set != '}')
            buf[used++] = *set;
    }
    buf[used] = '\0';
}

/* Why value is not valid for attribute attr of element elem, from the knob
 * table; false when no knob explains it. */
static bool knob_why(const char *elem, const char *attr, const char *value, char *why, size_t size)
{
    const struct core_knob *k = io_scenario_knob(elem, attr);
    double v;

    if (k == NULL || k->kind != CORE_KNOB_REAL)
        return false;
    if (core_quantity_parse(value, k->dim, &v, why, size) == CORE_OK)
        snprintf(why, size, "'%s' is not a valid %s", value, core_dim_name(k->dim));
    return true;
}

/* "element 'E': attribute 'A': ..." for a message about one attribute. */
static void attribute_message(const char *elem, const char *attr, const char *rest, char *out,
                              size_t size)
{
    char value[512], type[128], set[512], why[768];
    const char *p = rest;

    if (eat(&p, "The attribute '") && strstr(p, "' is not allowed") != NULL) {
        char allowed[512];

        io_scenario_attributes(elem, allowed, sizeof(allowed));
        snprintf(out, size, "element '%s': unknown attribute '%s'%s%s%s", elem, attr,
                 allowed[0] ? " (allowed: " : "", allowed, allowed[0] ? ")" : "");
        return;
    }
    p = rest;
    if (eat(&p, "'") &&
        take_until(&p, "' is not a valid value of the atomic type '", value, sizeof(value)) &&
        take_until(&p, "'", type, sizeof(type))) {
        for (size_t i = 0; i < ARRAY_LEN(xs_types); i++) {
            if (strcmp(xs_types[i].type, type) == 0) {
                snprintf(out, size, "element '%s': attribute '%s': '%s' is not %s", elem, attr,
                         value, xs_types[i].phrase);
                return;
            }
        }
        if (knob_why(elem, attr, value, why, sizeof(why))) {
            snprintf(out, size, "element '%s': attribute '%s': %s", elem, attr, why);
            return;
        }
        snprintf(out, size, "element '%s': attribute '%s': '%s' is not a valid value of type '%s'",
                 elem, attr, value, type);
        return;
    }
    p = rest;
    if (eat(&p, "[facet 'enumeration'] The value '") &&
        take_until(&p, "' is not an element of the set ", value, sizeof(value))) {
        enum_set(p, set, sizeof(set));
        snprintf(out, size, "element '%s': attribute '%s': '%s' is not one of: %s", elem, attr,
                 value, set);
        return;
    }
    p = rest;
    if (eat(&p, "[facet 'pattern'] The value '") &&
        take_until(&p, "' is not accepted by the pattern", value, sizeof(value))) {
        if (knob_why(elem, attr, value, why, sizeof(why)))
            snprintf(out, size, "element '%s': attribute '%s': %s", elem, attr, why);
        else
            snprintf(out, size, "element '%s': attribute '%s': '%s' is not of the expected form",
                     elem, attr, value);
        return;
    }
    p = rest;
    if (eat(&p, "[facet '") && take_until(&p, "'] ", value, sizeof(value)))
        rest = p;
    snprintf(out, size, "element '%s': attribute '%s': %c%s", elem, attr,
             tolower((unsigned char)rest[0]), rest[0] ? rest + 1 : "");
}

/* A message about element elem as a whole. */
static void element_message(const char *elem, const char *rest, char *out, size_t size)
{
    char attr[256], list[512];
    const char *p = rest;

    if (eat(&p, "The attribute '") &&
        take_until(&p, "' is required but missing", attr, sizeof(attr))) {
        snprintf(out, size, "element '%s': attribute '%s' is required but missing", elem, attr);
        return;
    }
    if (strncmp(rest, "This element is not expected", 28) == 0) {
        expected_list(rest, list, sizeof(list));
        snprintf(out, size, "element '%s' is not expected here%s%s%s", elem,
                 list[0] ? " (expected " : "", list, list[0] ? ")" : "");
        return;
    }
    if (strncmp(rest, "Missing child element(s)", 24) == 0) {
        expected_list(rest, list, sizeof(list));
        snprintf(out, size, "element '%s' is missing a child element%s%s%s", elem,
                 list[0] ? " (expected " : "", list, list[0] ? ")" : "");
        return;
    }
    if (strncmp(rest, "Character ", 10) == 0 && strstr(rest, "content") != NULL) {
        snprintf(out, size, "element '%s' may not contain text", elem);
        return;
    }
    snprintf(out, size, "element '%s': %c%s", elem, tolower((unsigned char)rest[0]),
             rest[0] ? rest + 1 : "");
}

void io_xml_translate(const char *msg, bool from_parser, char *out, size_t out_size)
{
    char m[1024], elem[256], attr[256];
    const char *p;
    size_t n;

    /* libxml2 ends its messages with ".\n" or "\n". */
    copy_span(m, sizeof(m), msg, strlen(msg));
    n = strlen(m);
    while (n > 0 && (isspace((unsigned char)m[n - 1]) || m[n - 1] == '.'))
        m[--n] = '\0';
    if (from_parser) {
        snprintf(out, out_size, "not well-formed XML: %c%s", tolower((unsigned char)m[0]),
                 m[0] ? m + 1 : "");
        return;
    }
    p = m;
    if (eat(&p, "Element '") && take_until(&p, "'", elem, sizeof(elem))) {
        if (eat(&p, ", attribute '") && take_until(&p, "': ", attr, sizeof(attr))) {
            attribute_message(elem, attr, p, out, out_size);
            return;
        }
        if (eat(&p, ": ")) {
            element_message(elem, p, out, out_size);
            return;
        }
    }
    snprintf(out, out_size, "%c%s", tolower((unsigned char)m[0]), m[0] ? m + 1 : "");
}
