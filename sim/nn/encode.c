/*
 * encode.c — the feature encodings of a crossing tensor (nn.h): what the
 * device sends instead of the float32 tensor at a split, and what the edge
 * decodes it back to.
 *
 * Layouts, little-endian, for a tensor of n values x[0..n):
 *   fp32   n float32: the bits as they are (the identity);
 *   fp16   n IEEE binary16, round to nearest even; a magnitude beyond the
 *          largest half (65504) saturates to it;
 *   int8   float32 scale s, u8 zero point z, then n u8 codes q;
 *   int4   the same with 4-bit codes, two a byte (value 2i in the low
 *          nibble of byte i), ceil(n / 2) bytes;
 *   topk   u32 k, k indices ascending (u8 when n <= 2^8, u16 when n <=
 *          2^16, else u32), then the k float32 values there.
 * Linear quantisation with L levels (255 for int8, 15 for int4) covers
 * [lo, hi] = [min(0, min x), max(0, max x)] (zero is always exact, so a
 * ReLU's zeros stay zeros): s = (hi - lo) / L, z = round(-lo / s),
 * q = clamp(round(x / s) + z, 0, L), decoded (q - z) s: within s / 2 of x.
 * A tensor of zeros has s = 1 and decodes to zeros. Top-k keeps the k =
 * ceil(f n) values of largest magnitude (ties: the lower index), zero
 * elsewhere.
 *
 * Every encoding but fp32 is free of NaN and infinity when decoded: a NaN
 * is encoded as 0, an infinity as the largest finite value of its sign
 * (fp32 keeps the bits).
 */
#include "nn/nn_int.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
    [NN_ENC_FP32] = "fp32", [NN_ENC_FP16] = "fp16", [NN_ENC_INT8] = "int8",
    [NN_ENC_INT4] = "int4", [NN_ENC_TOPK] = "topk",
};
static_assert(ARRAY_LEN(kind_names) == NN_ENC_KIND_COUNT, "one name per encoding");

/* Bytes of the scale and zero point of the quantised encodings. */
#define QUANT_HEADER_BYTES 5

const char *nn_enc_kind_name(enum nn_enc_kind k)
{
    CORE_ASSERT((unsigned)k < NN_ENC_KIND_COUNT);
    return kind_names[k];
}

bool nn_encoding_parse(const char *text, struct nn_encoding *out)
{
    static const char topk[] = "topk:";
    char *end;
    double f;

    for (size_t k = 0; k < NN_ENC_TOPK; k++)
        if (strcmp(text, kind_names[k]) == 0) {
            *out = (struct nn_encoding){.kind = (enum nn_enc_kind)k, .topk_fraction = 0};
            return true;
        }
    if (strncmp(text, topk, sizeof(topk) - 1) != 0 || !text[sizeof(topk) - 1])
        return false;
    f = strtod(text + sizeof(topk) - 1, &end);
    if (*end || !(f > 0 && f <= 1))
        return false;
    *out = (struct nn_encoding){.kind = NN_ENC_TOPK, .topk_fraction = f};
    return true;
}

void nn_encoding_text(const struct nn_encoding *enc, char *buf, size_t size)
{
    if (enc->kind == NN_ENC_TOPK)
        snprintf(buf, size, "topk:%g", enc->topk_fraction);
    else
        snprintf(buf, size, "%s", nn_enc_kind_name(enc->kind));
}

size_t nn_encoding_topk_count(const struct nn_encoding *enc, size_t n)
{
    double k;

    CORE_ASSERT(enc->kind == NN_ENC_TOPK);
    if (n == 0)
        return 0;
    /* the tolerance keeps 0.1 x 30 at 3 although 0.1 is not exact */
    k = ceil(enc->topk_fraction * (double)n - 1e-9);
    return k < 1 ? 1 : k > (double)n ? n : (size_t)k;
}

/* Bytes of one top-k index for a tensor of n values. */
static size_t index_bytes(size_t n)
{
    return n <= 256 ? 1 : n <= 65536 ? 2 : 4;
}

uint64_t nn_encoding_bytes(const struct nn_encoding *enc, size_t n)
{
    switch (enc->kind) {
    case NN_ENC_FP32:
        return 4 * (uint64_t)n;
    case NN_ENC_FP16:
        return 2 * (uint64_t)n;
    case NN_ENC_INT8:
        return QUANT_HEADER_BYTES + (uint64_t)n;
    case NN_ENC_INT4:
        return QUANT_HEADER_BYTES + ((uint64_t)n + 1) / 2;
    case NN_ENC_TOPK:
        return 4 + (uint64_t)nn_encoding_topk_count(enc, n) * (index_bytes(n) + 4);
    case NN_ENC_KIND_COUNT:
        break;
    }
    CORE_ASSERT(!"an encoding kind");
    return 0;
}

/* ---- bytes -------------------------------------------------------------- */

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_f32(uint8_t *p, float f)
{
    uint32_t v;

    memcpy(&v, &f, sizeof(v));
    put_u32(p, v);
}

static float get_f32(const uint8_t *p)
{
    const uint32_t v = get_u32(p);
    float f;

    memcpy(&f, &v, sizeof(f));
    return f;
}

/* x with NaN as 0 and an infinity as the largest float of its sign. */
static float tame(float x)
{
    return isnan(x) ? 0.0f : isinf(x) ? copysignf(FLT_MAX, x) : x;
}

/* ---- fp16 --------------------------------------------------------------- */

uint16_t nn_half_from_float(float f)
{
    uint32_t x, ax, sign, mant, rem, h;

    memcpy(&x, &f, sizeof(x));
    sign = (x >> 16) & 0x8000u;
    ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) /* NaN */
        return 0;
    if (ax >= 0x477ff000u) /* 65520 and more round to infinity: saturate */
        return (uint16_t)(sign | 0x7bffu);
    if (ax < 0x38800000u) { /* below 2^-14: a subnormal half m 2^-24 */
        float a;

        memcpy(&a, &ax, sizeof(a));
        /* exact product; 1024 is the smallest normal's code, as it should be */
        return (uint16_t)(sign | (uint32_t)nearbyintf(a * 16777216.0f));
    }
    mant = ax & 0x7fffffu;
    h = ((((ax >> 23) - 127 + 15) << 10) | (mant >> 13));
    rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1)))
        h++; /* a carry into the exponent is the right rounding too */
    return (uint16_t)(sign | h);
}

float nn_half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    uint32_t x;
    float f;

    if (exp == 0) { /* zero or subnormal: mant 2^-24 */
        f = (float)mant / 16777216.0f;
        return sign ? -f : f;
    }
    if (exp == 31)
        x = sign | 0x7f800000u | (mant << 13);
    else
        x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    memcpy(&f, &x, sizeof(f));
    return f;
}

/* ---- linear quantisation ------------------------------------------------ */

static size_t quant_encode(const float *x, size_t n, uint32_t levels, uint8_t *out)
{
    double lo = 0, hi = 0, scale;
    float s;
    long z;

    for (size_t i = 0; i < n; i++) {
        const double v = tame(x[i]);

        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    scale = (hi - lo) / levels;
    s = scale > FLT_MAX ? FLT_MAX : (float)scale;
    if (!(s > 0)) /* all zeros, or a range below the smallest float */
        s = 1.0f;
    z = lround(-lo / s);
    z = z < 0 ? 0 : z > (long)levels ? (long)levels : z;
    put_f32(out, s);
    out[4] = (uint8_t)z;
    out += QUANT_HEADER_BYTES;
    if (levels == 15)
        memset(out, 0, (n + 1) / 2);
    for (size_t i = 0; i < n; i++) {
        double q = nearbyint((double)tame(x[i]) / s) + (double)z;

        q = q < 0 ? 0 : q > levels ? levels : q;
        if (levels == 15)
            out[i / 2] |= (uint8_t)((uint32_t)q << (4 * (i % 2)));
        else
            out[i] = (uint8_t)q;
    }
    return QUANT_HEADER_BYTES + (levels == 15 ? (n + 1) / 2 : n);
}

static bool quant_decode(const uint8_t *in, size_t n, uint32_t levels, float *y)
{
    const float s = get_f32(in);
    const int z = in[4];

    if (!isfinite(s) || !(s > 0) || (uint32_t)z > levels)
        return false;
    in += QUANT_HEADER_BYTES;
    for (size_t i = 0; i < n; i++) {
        const int q = levels == 15 ? (in[i / 2] >> (4 * (i % 2))) & 0xf : in[i];

        /* exact in double; the range's ends may lie a half step beyond a float's */
        const double v = (double)(q - z) * s;

        y[i] = v > FLT_MAX ? FLT_MAX : v < -FLT_MAX ? -FLT_MAX : (float)v;
    }
    return true;
}

/* ---- top-k -------------------------------------------------------------- */

/* The k-th largest of a[0..n) (1 <= k <= n; no NaN), reordering a:
 * quickselect with a median-of-three pivot and a three-way partition (so
 * that runs of equal values, a ReLU's zeros, cost one pass). */
static float kth_largest(float *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n; /* the range still searched, [lo, hi) */
    const size_t want = k - 1; /* its place in descending order */

    for (;;) {
        const float x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1];
        const float p = x > y ? (y > z ? y : x > z ? z : x) : (x > z ? x : y > z ? z : y);
        size_t lt = lo, i = lo, gt = hi;
        float t;

        /* [lo, lt) > p, [lt, gt) == p, [gt, hi) < p */
        while (i < gt) {
            if (a[i] > p) {
                t = a[lt];
                a[lt++] = a[i];
                a[i++] = t;
            } else if (a[i] < p) {
                t = a[--gt];
                a[gt] = a[i];
                a[i] = t;
            } else {
                i++;
            }
        }
        if (want < lt)
            hi = lt;
        else if (want < gt)
            return p;
        else
            lo = gt;
    }
}

static size_t topk_encode(const struct nn_encoding *enc, const float *x, size_t n, uint8_t *out,
                          float *ws)
{
    const size_t k = nn_encoding_topk_count(enc, n), w = index_bytes(n);
    size_t greater = 0, taken = 0;
    uint8_t *idx = out + 4, *val = out + 4 + k * w;
    float thr;

    put_u32(out, (uint32_t)k);
    if (k == 0)
        return 4;
    for (size_t i = 0; i < n; i++)
        ws[i] = fabsf(tame(x[i]));
    thr = kth_largest(ws, n, k);
    for (size_t i = 0; i < n; i++)
        greater += fabsf(tame(x[i])) > thr;
    /* all above the threshold, and the first (k - greater) equal to it */
    for (size_t i = 0; i < n && taken < k; i++) {
        const float a = fabsf(tame(x[i]));

        if (a > thr || (a == thr && greater < k)) {
            if (a == thr)
                greater++;
            if (w == 1)
                idx[taken] = (uint8_t)i;
            else if (w == 2) {
                idx[2 * taken] = (uint8_t)i;
                idx[2 * taken + 1] = (uint8_t)(i >> 8);
            } else
                put_u32(idx + 4 * taken, (uint32_t)i);
            put_f32(val + 4 * taken, tame(x[i]));
            taken++;
        }
    }
    CORE_ASSERT(taken == k);
    return 4 + k * (w + 4);
}

static bool topk_decode(const struct nn_encoding *enc, const uint8_t *in, size_t n, float *y)
{
    const size_t k = get_u32(in), w = index_bytes(n);
    const uint8_t *idx = in + 4, *val = in + 4 + k * w;
    size_t prev = 0;

    if (k != nn_encoding_topk_count(enc, n))
        return false;
    memset(y, 0, n * sizeof(*y));
    for (size_t j = 0; j < k; j++) {
        const size_t i = w == 1 ? idx[j]
                         : w == 2 ? (size_t)idx[2 * j] | (size_t)idx[2 * j + 1] << 8
                                  : get_u32(idx + 4 * j);
        const float v = get_f32(val + 4 * j);

        if (i >= n || (j > 0 && i <= prev) || !isfinite(v))
            return false;
        y[i] = v;
        prev = i;
    }
    return true;
}

/* ---- the encodings ------------------------------------------------------ */

size_t nn_encode(const struct nn_encoding *enc, const float *x, size_t n, uint8_t *out,
                 float *ws)
{
    switch (enc->kind) {
    case NN_ENC_FP32:
        for (size_t i = 0; i < n; i++)
            put_f32(out + 4 * i, x[i]);
        return 4 * n;
    case NN_ENC_FP16:
        for (size_t i = 0; i < n; i++) {
            const uint16_t h = nn_half_from_float(x[i]);

            out[2 * i] = (uint8_t)h;
            out[2 * i + 1] = (uint8_t)(h >> 8);
        }
        return 2 * n;
    case NN_ENC_INT8:
        return quant_encode(x, n, 255, out);
    case NN_ENC_INT4:
        return quant_encode(x, n, 15, out);
    case NN_ENC_TOPK:
        return topk_encode(enc, x, n, out, ws);
    case NN_ENC_KIND_COUNT:
        break;
    }
    CORE_ASSERT(!"an encoding kind");
    return 0;
}

bool nn_decode(const struct nn_encoding *enc, const uint8_t *in, size_t n, float *y)
{
    switch (enc->kind) {
    case NN_ENC_FP32:
        for (size_t i = 0; i < n; i++)
            y[i] = get_f32(in + 4 * i);
        return true;
    case NN_ENC_FP16:
        for (size_t i = 0; i < n; i++)
            y[i] = nn_half_to_float((uint16_t)(in[2 * i] | in[2 * i + 1] << 8));
        return true;
    case NN_ENC_INT8:
        return quant_decode(in, n, 255, y);
    case NN_ENC_INT4:
        return quant_decode(in, n, 15, y);
    case NN_ENC_TOPK:
        return topk_decode(enc, in, n, y);
    case NN_ENC_KIND_COUNT:
        break;
    }
    CORE_ASSERT(!"an encoding kind");
    return false;
}
