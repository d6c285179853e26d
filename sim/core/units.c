/*
 * units.c — physical quantities written with units, converted to SI.
 *
 * A quantity is "<number>[spaces]<unit>" or a bare number, which is in the SI
 * unit of its dimension. The number is parsed strictly (strtod, no leading
 * or trailing junk, no NaN or infinity, no hexadecimal); the unit is looked up
 * in one table of (dimension, name, factor to SI), so "500 ms" of
 * CORE_DIM_TIME is 0.5 and "3.5 GHz" of CORE_DIM_FREQUENCY is 3.5e9. A unit
 * of another dimension gets a message naming both dimensions and the units
 * that would do.
 *
 * Rates of data are bit rates (SI unit bit/s) but may be written in bytes
 * per second as well: "25 GB/s" is 2e11 bit/s, with decimal prefixes (1 kB/s
 * = 1000 B/s = 8000 bit/s), as memory and link bandwidths are quoted.
 */
#include "core/core.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dim_info {
    const char *si_unit;  /* unit of a bare number */
    const char *name;     /* human name */
    const char *article;  /* "a" or "an", for messages */
    const char *si_words; /* the SI unit in words: "a bare number is in ..." */
};

static const struct dim_info dims[] = {
    [CORE_DIM_NONE] = {"", "number", "a", "plain numbers"},
    [CORE_DIM_TIME] = {"s", "time", "a", "seconds"},
    [CORE_DIM_FREQUENCY] = {"Hz", "frequency", "a", "hertz"},
    [CORE_DIM_LENGTH] = {"m", "length", "a", "metres"},
    [CORE_DIM_SPEED] = {"m/s", "speed", "a", "metres per second"},
    [CORE_DIM_POWER] = {"W", "power", "a", "watts"},
    [CORE_DIM_POWER_DBM] = {"dBm", "power level", "a", "dBm"},
    [CORE_DIM_DB] = {"dB", "ratio in decibels", "a", "dB"},
    [CORE_DIM_ENERGY] = {"J", "energy", "an", "joules"},
    [CORE_DIM_BYTES] = {"B", "size", "a", "bytes"},
    [CORE_DIM_BITRATE] = {"bit/s", "bit rate", "a", "bits per second"},
    [CORE_DIM_FLOPS] = {"FLOP/s", "compute rate", "a", "operations per second"},
};
static_assert(ARRAY_LEN(dims) == CORE_DIM_COUNT, "one entry per core_dim");

struct unit {
    enum core_dim dim;
    const char *name; /* as written after the number (case-sensitive) */
    double to_si;     /* SI value of 1 of this unit */
};

/* Units in the order messages list them; the first of each dimension is its
 * SI unit. */
static const struct unit units[] = {
    {CORE_DIM_TIME, "s", 1.0},           {CORE_DIM_TIME, "ms", 1e-3},
    {CORE_DIM_TIME, "us", 1e-6},         {CORE_DIM_TIME, "ns", 1e-9},
    {CORE_DIM_TIME, "min", 60.0},        {CORE_DIM_TIME, "h", 3600.0},
    {CORE_DIM_FREQUENCY, "Hz", 1.0},     {CORE_DIM_FREQUENCY, "kHz", 1e3},
    {CORE_DIM_FREQUENCY, "MHz", 1e6},    {CORE_DIM_FREQUENCY, "GHz", 1e9},
    {CORE_DIM_FREQUENCY, "/s", 1.0},     {CORE_DIM_LENGTH, "m", 1.0},
    {CORE_DIM_LENGTH, "km", 1e3},        {CORE_DIM_LENGTH, "cm", 1e-2},
    {CORE_DIM_LENGTH, "mm", 1e-3},       {CORE_DIM_SPEED, "m/s", 1.0},
    {CORE_DIM_SPEED, "km/h", 1.0 / 3.6}, {CORE_DIM_POWER, "W", 1.0},
    {CORE_DIM_POWER, "mW", 1e-3},        {CORE_DIM_POWER, "kW", 1e3},
    {CORE_DIM_POWER_DBM, "dBm", 1.0},    {CORE_DIM_DB, "dB", 1.0},
    {CORE_DIM_ENERGY, "J", 1.0},         {CORE_DIM_ENERGY, "mJ", 1e-3},
    {CORE_DIM_ENERGY, "kJ", 1e3},        {CORE_DIM_ENERGY, "Wh", 3600.0},
    {CORE_DIM_ENERGY, "mWh", 3.6},       {CORE_DIM_BYTES, "B", 1.0},
    {CORE_DIM_BYTES, "kB", 1e3},         {CORE_DIM_BYTES, "MB", 1e6},
    {CORE_DIM_BYTES, "GB", 1e9},         {CORE_DIM_BYTES, "KiB", 1024.0},
    {CORE_DIM_BYTES, "MiB", 1048576.0},  {CORE_DIM_BYTES, "GiB", 1073741824.0},
    {CORE_DIM_BITRATE, "bit/s", 1.0},    {CORE_DIM_BITRATE, "bps", 1.0},
    {CORE_DIM_BITRATE, "kbit/s", 1e3},   {CORE_DIM_BITRATE, "kbps", 1e3},
    {CORE_DIM_BITRATE, "Mbit/s", 1e6},   {CORE_DIM_BITRATE, "Mbps", 1e6},
    {CORE_DIM_BITRATE, "Gbit/s", 1e9},   {CORE_DIM_BITRATE, "Gbps", 1e9},
    {CORE_DIM_BITRATE, "B/s", 8.0},      {CORE_DIM_BITRATE, "kB/s", 8e3},
    {CORE_DIM_BITRATE, "MB/s", 8e6},     {CORE_DIM_BITRATE, "GB/s", 8e9},
    {CORE_DIM_FLOPS, "FLOPS", 1.0},
    {CORE_DIM_FLOPS, "FLOP/s", 1.0},     {CORE_DIM_FLOPS, "GFLOPS", 1e9},
    {CORE_DIM_FLOPS, "TFLOPS", 1e12},    {CORE_DIM_FLOPS, "TOPS", 1e12},
};

const char *core_dim_si_unit(enum core_dim dim)
{
    CORE_ASSERT(dim >= 0 && dim < CORE_DIM_COUNT);
    return dims[dim].si_unit;
}

const char *core_dim_name(enum core_dim dim)
{
    CORE_ASSERT(dim >= 0 && dim < CORE_DIM_COUNT);
    return dims[dim].name;
}

/* "s, ms, us, ns, min or h": the units of dim, for messages. */
static void list_units(enum core_dim dim, char *buf, size_t size)
{
    size_t n = 0, i, k = 0, used = 0;

    for (i = 0; i < ARRAY_LEN(units); i++)
        n += units[i].dim == dim;
    buf[0] = '\0';
    for (i = 0; i < ARRAY_LEN(units); i++) {
        if (units[i].dim != dim)
            continue;
        k++;
        const char *sep = k == 1 ? "" : k == n ? " or " : ", ";
        int w = snprintf(buf + used, size - used, "%s%s", sep, units[i].name);
        if (w < 0 || (size_t)w >= size - used)
            return;
        used += (size_t)w;
    }
}

static const struct unit *find_unit(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(units); i++) {
        if (strcmp(units[i].name, name) == 0)
            return &units[i];
    }
    return NULL;
}

enum core_rc core_quantity_parse(const char *text, enum core_dim dim, double *si_out, char *why,
                                 size_t why_size)
{
    char list[128];
    const struct unit *u;
    const char *p;
    char *end;
    double v;

    CORE_ASSERT(dim >= 0 && dim < CORE_DIM_COUNT);
    list_units(dim, list, sizeof(list));
    /* strtod alone would take leading spaces, "inf", "nan" and hex. */
    p = text + (text[0] == '+' || text[0] == '-');
    if (!(isdigit((unsigned char)p[0]) || p[0] == '.') ||
        (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')))
        goto not_a_number;
    v = strtod(text, &end);
    if (end == text)
        goto not_a_number;
    if (!isfinite(v)) {
        snprintf(why, why_size, "'%s' is too large to be %s %s", text, dims[dim].article,
                 dims[dim].name);
        return CORE_E_INPUT;
    }
    p = end;
    while (*p == ' ')
        p++;
    if (*p == '\0') {
        if (p != end)
            goto not_a_number; /* trailing spaces */
        *si_out = v;
        return CORE_OK;
    }
    if (dim == CORE_DIM_NONE) {
        snprintf(why, why_size, "'%s' is not a number (no unit allowed here)", text);
        return CORE_E_INPUT;
    }
    u = find_unit(p);
    if (u == NULL) {
        snprintf(why, why_size, "'%s' has an unknown unit '%s': %s %s uses %s", text, p,
                 dims[dim].article, dims[dim].name, list);
        return CORE_E_INPUT;
    }
    if (u->dim != dim) {
        snprintf(why, why_size, "'%s' has unit '%s' (%s %s) but %s %s is expected: use %s", text, p,
                 dims[u->dim].article, dims[u->dim].name, dims[dim].article, dims[dim].name, list);
        return CORE_E_INPUT;
    }
    v *= u->to_si;
    if (!isfinite(v)) {
        snprintf(why, why_size, "'%s' is too large to be %s %s", text, dims[dim].article,
                 dims[dim].name);
        return CORE_E_INPUT;
    }
    *si_out = v;
    return CORE_OK;

not_a_number:
    if (dim == CORE_DIM_NONE)
        snprintf(why, why_size, "'%s' is not a number", text);
    else
        snprintf(why, why_size, "'%s' is not %s %s (a number with unit %s; a bare number is in %s)",
                 text, dims[dim].article, dims[dim].name, list, dims[dim].si_words);
    return CORE_E_INPUT;
}
