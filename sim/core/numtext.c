/*
 * numtext.c — numbers as text, fast: what the training samples are written
 * with (a run writes tens of numbers per inference, and snprintf's %.9g
 * cost more than simulating the inference).
 */
#include "core/core.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* 10^k for k = 0..48: what core_num_text scales by. */
static double pow10_of(int k)
{
    static const double p[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                               1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
                               1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29,
                               1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39,
                               1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47, 1e48};

    return p[k];
}

/* Digits of v (> 0) into buf backwards from end; returns the first. */
static char *digits(uint64_t v, char *end)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

size_t core_num_text(double x, char *buf)
{
    char tmp[24], *d, *o = buf;
    uint64_t m;
    int e10, n_dig;

    if (x < 0) {
        *o++ = '-';
        x = -x;
    }
    if (x == floor(x) && x < 1e15) {
        d = digits((uint64_t)x, tmp + sizeof(tmp));
        memcpy(o, d, (size_t)(tmp + sizeof(tmp) - d));
        return (size_t)(o - buf) + (size_t)(tmp + sizeof(tmp) - d);
    }
    if (x < 1e-38 || x >= 1e38) /* outside a float's normal range: rare, exact enough */
        return (size_t)(o - buf) + (size_t)snprintf(o, 24, "%.9g", x);
    e10 = (int)floor(log10(x));
    m = (uint64_t)llround(e10 >= 8 ? x / pow10_of(e10 - 8) : x * pow10_of(8 - e10));
    if (m >= 1000000000u) { /* rounding carried a digit */
        m /= 10;
        e10++;
    }
    while (m % 10 == 0)
        m /= 10;
    d = digits(m, tmp + sizeof(tmp));
    n_dig = (int)(tmp + sizeof(tmp) - d);
    if (e10 >= -5 && e10 < 9) {
        if (e10 < 0) { /* 0.000ddd */
            *o++ = '0';
            *o++ = '.';
            for (int z = -1; z > e10; z--)
                *o++ = '0';
            memcpy(o, d, (size_t)n_dig);
            o += n_dig;
        } else { /* ddd.ddd (or ddd000: an integer caught above) */
            for (int k = 0; k < n_dig || k <= e10; k++) {
                if (k == e10 + 1)
                    *o++ = '.';
                *o++ = k < n_dig ? d[k] : '0';
            }
        }
        return (size_t)(o - buf);
    }
    *o++ = d[0];
    if (n_dig > 1) {
        *o++ = '.';
        memcpy(o, d + 1, (size_t)n_dig - 1);
        o += n_dig - 1;
    }
    return (size_t)(o - buf) + (size_t)snprintf(o, 8, "e%+03d", e10);
}

