/*
 * xml_scan.c — the size limits of an XML file, checked before libxml2
 * parses it.
 *
 * libxml2 2.9 (Debian 12) is quadratic in the attributes of one element
 * (it appends each new attribute at the end of the element's list, and
 * checks each against all before it): 100,000 attributes on one element
 * took 72 s to be refused. So before the parse a lexical pass over the
 * bytes (linear: one look at each) counts the elements of the file and the
 * attributes of each start tag and the length of their values, outside comments, CDATA sections,
 * processing instructions, the DOCTYPE and quoted values, and refuses a
 * file past its kind's limits (struct io_xml_kind: max_elements,
 * IO_XML_MAX_ATTRIBUTES, IO_XML_MAX_VALUE_BYTES) with the line of the
 * element that passes them. (libxml2 also cuts its own messages at 64,000
 * bytes: a megabyte value would leave no reason in the message.)
 * The scan only counts; what is well-formed is libxml2's to say.
 */
#include "io/io_int.h"

#include <string.h>

/* Advance *i past the first occurrence of end (counting newlines into
 * *line), or to len when there is none. */
static void skip_past(const char *buf, size_t len, size_t *i, const char *end, long *line)
{
    const size_t n = strlen(end);

    while (*i < len) {
        if (buf[*i] == '\n')
            (*line)++;
        if (buf[*i] == end[0] && len - *i >= n && memcmp(buf + *i, end, n) == 0) {
            *i += n;
            return;
        }
        (*i)++;
    }
}

/* Advance *i past the '>' that ends a tag or declaration, outside quotes
 * and (for a DOCTYPE) its [ internal subset ]; count '=' outside quotes
 * into *equals and the longest quoted value's bytes into *longest. */
static void skip_tag(const char *buf, size_t len, size_t *i, long *line, size_t *equals,
                     size_t *longest)
{
    size_t opened = 0;
    char quote = 0;
    int depth = 0;

    for (; *i < len; (*i)++) {
        const char c = buf[*i];

        if (c == '\n')
            (*line)++;
        if (quote) {
            if (c == quote) {
                quote = 0;
                if (*i - opened - 1 > *longest)
                    *longest = *i - opened - 1;
            }
        } else if (c == '"' || c == '\'') {
            quote = c;
            opened = *i;
        } else if (c == '=') {
            (*equals)++;
        } else if (c == '[') {
            depth++;
        } else if (c == ']' && depth > 0) {
            depth--;
        } else if (c == '>' && depth == 0) {
            (*i)++;
            return;
        }
    }
}

enum core_rc io_xml_scan_limits(const char *path, const struct io_xml_kind *kind, const char *buf,
                                size_t len, struct core_err *e)
{
    size_t i = 0, elements = 0, equals, longest;
    long line = 1;

    while (i < len) {
        const char *lt = memchr(buf + i, '<', len - i);
        long tag_line;

        if (!lt)
            break;
        for (const char *p = buf + i; p < lt; p++)
            line += *p == '\n';
        i = (size_t)(lt - buf);
        tag_line = line;
        if (len - i >= 4 && memcmp(buf + i, "<!--", 4) == 0) {
            i += 4;
            skip_past(buf, len, &i, "-->", &line);
        } else if (len - i >= 9 && memcmp(buf + i, "<![CDATA[", 9) == 0) {
            i += 9;
            skip_past(buf, len, &i, "]]>", &line);
        } else if (len - i >= 2 && memcmp(buf + i, "<?", 2) == 0) {
            i += 2;
            skip_past(buf, len, &i, "?>", &line);
        } else if (len - i >= 2 && (buf[i + 1] == '!' || buf[i + 1] == '/')) {
            equals = longest = 0;
            i++;
            skip_tag(buf, len, &i, &line, &equals, &longest);
        } else {
            equals = longest = 0;
            i++;
            skip_tag(buf, len, &i, &line, &equals, &longest);
            if (++elements > kind->max_elements)
                return core_err(e, CORE_E_INPUT,
                                "%s:%ld: more than %zu elements: a %s may have no more (the "
                                "limit; see README, Reliability)",
                                path, tag_line, kind->max_elements, kind->what);
            if (equals > IO_XML_MAX_ATTRIBUTES)
                return core_err(e, CORE_E_INPUT,
                                "%s:%ld: an element with %zu attributes: no element of a %s has "
                                "more than %d (the limit; see README, Reliability)",
                                path, tag_line, equals, kind->what, IO_XML_MAX_ATTRIBUTES);
            if (longest > IO_XML_MAX_VALUE_BYTES)
                return core_err(e, CORE_E_INPUT,
                                "%s:%ld: an attribute value of %zu bytes: no value in a %s may be "
                                "longer than %d bytes (the limit; see README, Reliability)",
                                path, tag_line, longest, kind->what, IO_XML_MAX_VALUE_BYTES);
        }
    }
    return CORE_OK;
}
