/*
 * elide.c — fitting a message into a fixed buffer without losing its reason.
 *
 * An error message is a short reason around values a user wrote: a path, a
 * name, an attribute's text. A value can be megabytes long (a 1 MB name, a
 * 5 kB path); cut at the buffer's end, it would push the reason out. So the
 * message is split into words (runs of bytes other than space, tab and
 * newline) and every word longer than 2 * keep + 3 bytes is written as its
 * first keep bytes, "...", and its last keep bytes, with keep the largest of
 * CORE_ELIDE_KEEPS that makes the message fit. Short words (the reason) are
 * kept whole; only when even the shortest keep does not fit is the end cut
 * (and marked "..."). Cuts fall on UTF-8 character boundaries. Linear in
 * the message's length per keep tried.
 */
#include "core/core.h"

#include <string.h>

/* Bytes kept at each end of an elided word, the longest tried first. */
static const size_t elide_keeps[] = {120, 60, 30, 12};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

static bool is_continuation(char c)
{
    return ((unsigned char)c & 0xc0) == 0x80;
}

/* Length of src written with every word longer than 2 * keep + 3 elided. */
static size_t elided_len(const char *src, size_t n, size_t keep)
{
    size_t out = 0, i = 0;

    while (i < n) {
        size_t w = i;

        while (w < n && !is_space(src[w]))
            w++;
        out += (w - i > 2 * keep + 3) ? 2 * keep + 3 : w - i;
        if (w < n)
            out++; /* the space after it */
        i = w + (w < n);
    }
    return out;
}

/* Write src with long words elided into dst (room for everything: checked
 * by the caller through elided_len, or cut at dst_size - 1 here). */
static void write_elided(char *dst, size_t dst_size, const char *src, size_t n, size_t keep)
{
    size_t at = 0, i = 0;

#define PUT(p, len)                                                         \
    do {                                                                    \
        size_t l_ = (len);                                                  \
        if (l_ > dst_size - 1 - at)                                         \
            l_ = dst_size - 1 - at;                                         \
        memcpy(dst + at, (p), l_);                                          \
        at += l_;                                                           \
    } while (0)

    while (i < n && at < dst_size - 1) {
        size_t w = i;

        while (w < n && !is_space(src[w]))
            w++;
        if (w - i > 2 * keep + 3) {
            size_t head = keep, tail = w - keep;

            while (head > 0 && is_continuation(src[i + head]))
                head--;
            while (tail < w && is_continuation(src[tail]))
                tail++;
            PUT(src + i, head);
            PUT("...", 3);
            PUT(src + tail, w - tail);
        } else {
            PUT(src + i, w - i);
        }
        if (w < n)
            PUT(src + w, 1);
        i = w + (w < n);
    }
#undef PUT
    dst[at] = '\0';
}

void core_elide(char *dst, size_t dst_size, const char *src)
{
    size_t n = strlen(src), k;

    if (dst_size == 0)
        return;
    if (n < dst_size) {
        memmove(dst, src, n + 1);
        return;
    }
    for (k = 0; k < ARRAY_LEN(elide_keeps); k++) {
        if (elided_len(src, n, elide_keeps[k]) < dst_size) {
            write_elided(dst, dst_size, src, n, elide_keeps[k]);
            return;
        }
    }
    write_elided(dst, dst_size, src, n, elide_keeps[ARRAY_LEN(elide_keeps) - 1]);
    if (dst_size > 4) {
        size_t at = strlen(dst);

        if (at > dst_size - 4)
            at = dst_size - 4;
        while (at > 0 && is_continuation(dst[at]))
            at--;
        memcpy(dst + at, "...", 4);
    }
}
