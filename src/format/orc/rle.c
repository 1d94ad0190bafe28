/*
 * rle.c - ORC byte, boolean and integer run length decoding (see rle.h).
 */
#include "format/orc/rle.h"
#include "format/orc/proto.h"

#include <string.h>

static const uint8_t none[1];

void fl_orc_byte_rle_init(struct fl_orc_byte_rle *d, const uint8_t *data, size_t len) {
    memset(d, 0, sizeof(*d));
    if (!data) data = none, len = 0; /* an absent stream */
    d->p = data;
    d->end = data + len;
}

fl_err_t fl_orc_byte_rle_next(struct fl_orc_byte_rle *d, uint8_t *out, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (d->run) {
            size_t k = d->run < n - i ? d->run : n - i;
            memset(out + i, d->val, k);
            d->run -= k;
            i += k;
        } else if (d->lit) {
            size_t k = d->lit < n - i ? d->lit : n - i;
            if ((size_t)(d->end - d->p) < k) return FL_ERR_CORRUPT;
            memcpy(out + i, d->p, k);
            d->p += k;
            d->lit -= k;
            i += k;
        } else {
            if (d->p >= d->end) return FL_ERR_CORRUPT;
            uint8_t h = *d->p++;
            if (h < 0x80) {
                if (d->p >= d->end) return FL_ERR_CORRUPT;
                d->run = (size_t)h + 3;
                d->val = *d->p++;
            } else {
                d->lit = 256 - (size_t)h;
            }
        }
    }
    return FL_OK;
}

void fl_orc_bool_rle_init(struct fl_orc_bool_rle *d, const uint8_t *data, size_t len) {
    fl_orc_byte_rle_init(&d->bytes, data, len);
    d->cur = 0;
    d->left = 0;
}

fl_err_t fl_orc_bool_rle_next(struct fl_orc_bool_rle *d, uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!d->left) {
            fl_err_t rc = fl_orc_byte_rle_next(&d->bytes, &d->cur, 1);
            if (rc) return rc;
            d->left = 8;
        }
        d->left--;
        out[i] = (d->cur >> d->left) & 1;
    }
    return FL_OK;
}

void fl_orc_int_rle_init(struct fl_orc_int_rle *d, const uint8_t *data, size_t len, bool v2,
                         bool is_signed) {
    if (!data) data = none, len = 0;
    d->p = data;
    d->end = data + len;
    d->v2 = v2;
    d->is_signed = is_signed;
    d->n = d->pos = 0;
}

static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

/* A varint as the stream's sign says. */
static bool read_vint(struct fl_orc_int_rle *d, bool is_signed, int64_t *out) {
    uint64_t v;
    if (!fl_orc_varint(&d->p, d->end, &v)) return false;
    *out = is_signed ? unzigzag(v) : (int64_t)v;
    return true;
}

/* count big-endian values of width bits (1..64), then skip to a byte. */
static bool read_bits(struct fl_orc_int_rle *d, int width, size_t count, uint64_t *out) {
    uint64_t bits = (uint64_t)width * count;
    size_t bytes = (size_t)((bits + 7) / 8);
    if ((size_t)(d->end - d->p) < bytes) return false;
    const uint8_t *p = d->p;
    uint64_t bitpos = 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t v = 0;
        for (int left = width; left > 0;) {
            size_t byte = (size_t)(bitpos >> 3);
            int off = (int)(bitpos & 7), avail = 8 - off;
            int take = left < avail ? left : avail;
            uint8_t chunk = (uint8_t)((p[byte] >> (avail - take)) & ((1u << take) - 1));
            v = (take == 64 ? 0 : v << take) | chunk;
            left -= take;
            bitpos += (uint64_t)take;
        }
        out[i] = v;
    }
    d->p += bytes;
    return true;
}

/* The 5-bit width code of RLEv2 (delta: code 0 is width 0). */
static int decode_width(int code, bool delta) {
    static const int high[] = {26, 28, 30, 32, 40, 48, 56, 64};
    if (delta && code == 0) return 0;
    return code < 24 ? code + 1 : high[code - 24];
}

static int closest_fixed_bits(int n) {
    if (n <= 24) return n;
    if (n <= 26) return 26;
    if (n <= 28) return 28;
    if (n <= 30) return 30;
    if (n <= 32) return 32;
    if (n <= 40) return 40;
    if (n <= 48) return 48;
    if (n <= 56) return 56;
    return 64;
}

static fl_err_t run_v1(struct fl_orc_int_rle *d) {
    if (d->p >= d->end) return FL_ERR_CORRUPT;
    uint8_t h = *d->p++;
    if (h < 0x80) {
        if (d->p >= d->end) return FL_ERR_CORRUPT;
        int8_t delta = (int8_t)*d->p++;
        int64_t base;
        if (!read_vint(d, d->is_signed, &base)) return FL_ERR_CORRUPT;
        d->n = (size_t)h + 3;
        for (size_t i = 0; i < d->n; i++)
            d->lit[i] = (int64_t)((uint64_t)base + (uint64_t)((int64_t)i * delta));
    } else {
        d->n = 256 - (size_t)h;
        for (size_t i = 0; i < d->n; i++)
            if (!read_vint(d, d->is_signed, &d->lit[i])) return FL_ERR_CORRUPT;
    }
    return FL_OK;
}

static fl_err_t run_v2(struct fl_orc_int_rle *d) {
    uint64_t u[FL_ORC_RLE_MAX_RUN];
    if (d->p >= d->end) return FL_ERR_CORRUPT;
    uint8_t h = *d->p++;
    int enc = h >> 6;
    if (enc == 0) { /* short repeat */
        int w = ((h >> 3) & 7) + 1;
        if (d->end - d->p < w) return FL_ERR_CORRUPT;
        uint64_t v = 0;
        for (int i = 0; i < w; i++) v = v << 8 | *d->p++;
        int64_t x = d->is_signed ? unzigzag(v) : (int64_t)v;
        d->n = (size_t)(h & 7) + 3;
        for (size_t i = 0; i < d->n; i++) d->lit[i] = x;
        return FL_OK;
    }
    if (d->p >= d->end) return FL_ERR_CORRUPT;
    size_t len = ((size_t)(h & 1) << 8 | *d->p++) + 1;
    d->n = len;
    if (enc == 1) { /* direct */
        int w = decode_width((h >> 1) & 0x1f, false);
        if (!read_bits(d, w, len, u)) return FL_ERR_CORRUPT;
        for (size_t i = 0; i < len; i++) d->lit[i] = d->is_signed ? unzigzag(u[i]) : (int64_t)u[i];
        return FL_OK;
    }
    if (enc == 2) { /* patched base */
        int w = decode_width((h >> 1) & 0x1f, false);
        if (d->end - d->p < 2) return FL_ERR_CORRUPT;
        uint8_t b3 = *d->p++, b4 = *d->p++;
        int bw = ((b3 >> 5) & 7) + 1, pw = decode_width(b3 & 0x1f, false);
        int pgw = ((b4 >> 5) & 7) + 1, pll = b4 & 0x1f;
        if (pw + pgw > 64 || d->end - d->p < bw) return FL_ERR_CORRUPT;
        uint64_t b = 0;
        for (int i = 0; i < bw; i++) b = b << 8 | *d->p++;
        uint64_t sign = (uint64_t)1 << (bw * 8 - 1);
        int64_t base = (b & sign) ? -(int64_t)(b & ~sign) : (int64_t)b;
        if (!read_bits(d, w, len, u)) return FL_ERR_CORRUPT;
        uint64_t patches[32];
        int cfb = closest_fixed_bits(pw + pgw);
        if (pll && !read_bits(d, cfb, (size_t)pll, patches)) return FL_ERR_CORRUPT;
        uint64_t pmask = pw == 64 ? ~(uint64_t)0 : (((uint64_t)1 << pw) - 1);
        size_t idx = 0;
        for (int k = 0; k < pll; k++) {
            idx += (size_t)(patches[k] >> pw);
            uint64_t patch = patches[k] & pmask;
            if (patch == 0) continue; /* a gap of 255 without a patch */
            if (idx >= len || w >= 64) return FL_ERR_CORRUPT;
            u[idx] |= patch << w;
        }
        for (size_t i = 0; i < len; i++) d->lit[i] = (int64_t)((uint64_t)base + u[i]);
        return FL_OK;
    }
    /* delta */
    int w = decode_width((h >> 1) & 0x1f, true);
    int64_t base, delta;
    if (!read_vint(d, d->is_signed, &base) || !read_vint(d, true, &delta)) return FL_ERR_CORRUPT;
    d->lit[0] = base;
    if (len >= 2) d->lit[1] = (int64_t)((uint64_t)base + (uint64_t)delta);
    if (len > 2) {
        if (w == 0) {
            for (size_t i = 2; i < len; i++)
                d->lit[i] = (int64_t)((uint64_t)d->lit[i - 1] + (uint64_t)delta);
        } else {
            if (!read_bits(d, w, len - 2, u)) return FL_ERR_CORRUPT;
            for (size_t i = 2; i < len; i++)
                d->lit[i] = delta < 0 ? (int64_t)((uint64_t)d->lit[i - 1] - u[i - 2])
                                      : (int64_t)((uint64_t)d->lit[i - 1] + u[i - 2]);
        }
    }
    return FL_OK;
}

fl_err_t fl_orc_int_rle_next(struct fl_orc_int_rle *d, int64_t *out, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (d->pos == d->n) {
            d->pos = d->n = 0;
            fl_err_t rc = d->v2 ? run_v2(d) : run_v1(d);
            if (rc) {
                d->n = 0;
                return rc;
            }
        }
        size_t k = d->n - d->pos < n - i ? d->n - d->pos : n - i;
        memcpy(out + i, d->lit + d->pos, k * sizeof(int64_t));
        d->pos += k;
        i += k;
    }
    return FL_OK;
}
