/*
 * decode.c - Parquet encodings, decoding side.
 *
 * How it works: each decoder walks its input with explicit bounds and
 * appends decoded values to a struct fl_pq_vec (whose buffers are capped).
 * Bit-packed data is read LSB first (RLE hybrid, delta miniblocks) or MSB
 * first (the deprecated BIT_PACKED levels) one value at a time, loading
 * only bytes that exist. Delta arithmetic is done in unsigned integers so
 * that wrap-around is defined, as Encodings.md asks.
 */
#include "format/parquet/decode.h"

#include "core/endian.h"
#include "core/mem.h"
#include "core/varint.h"
#include "format/parquet/meta.h"

#include <string.h>

void fl_pq_vec_init(struct fl_pq_vec *v, size_t max_bytes) {
    v->n = 0;
    v->width = 0;
    fl_buf_init(&v->data, max_bytes);
    fl_buf_init(&v->offs, max_bytes);
}

void fl_pq_vec_reset(struct fl_pq_vec *v, size_t width) {
    v->n = 0;
    v->width = width;
    fl_buf_reset(&v->data);
    fl_buf_reset(&v->offs);
}

void fl_pq_vec_fini(struct fl_pq_vec *v) {
    fl_buf_fini(&v->data);
    fl_buf_fini(&v->offs);
}

size_t fl_pq_phys_width(int ptype, int32_t type_len) {
    switch (ptype) {
    case FL_PQ_BOOLEAN:
        return 1;
    case FL_PQ_INT32:
    case FL_PQ_FLOAT:
        return 4;
    case FL_PQ_INT64:
    case FL_PQ_DOUBLE:
        return 8;
    case FL_PQ_INT96:
        return 12;
    case FL_PQ_FIXED_LEN_BYTE_ARRAY:
        return type_len > 0 ? (size_t)type_len : 0;
    default:
        return 0;
    }
}

/* These return their code itself, not fl_errf's value, so that the
 * compiler sees each failure path return non-zero (and does not warn that
 * a value the failed read left unset may be used after it). */
static fl_err_t corrupt(struct fl_error *err, const char *what) {
    fl_errf(err, FL_ERR_CORRUPT, "%s", what);
    return FL_ERR_CORRUPT;
}

static fl_err_t too_big(struct fl_error *err) {
    fl_errf(err, FL_ERR_LIMIT, "decoded page is larger than the reader's cap");
    return FL_ERR_LIMIT;
}

/* Room for count fixed-width values at the end of v. */
static uint8_t *vec_grow(struct fl_pq_vec *v, size_t count) {
    static uint8_t none[16];
    size_t bytes;
    if (count == 0) return none;
    if (!fl_mul_ok(count, v->width, &bytes)) return NULL;
    uint8_t *p = fl_buf_grow(&v->data, bytes);
    if (p) v->n += count;
    return p;
}

static fl_err_t vec_push_bytes(struct fl_pq_vec *v, const uint8_t *p, size_t n,
                               struct fl_error *err) {
    if (v->offs.len == 0 && fl_buf_append_le32(&v->offs, 0)) return too_big(err);
    if (n > UINT32_MAX - v->data.len) return too_big(err);
    if (fl_buf_append(&v->data, p, n)) return too_big(err);
    uint32_t end = (uint32_t)v->data.len;
    if (fl_buf_append(&v->offs, &end, sizeof(end))) return too_big(err);
    v->n++;
    return FL_OK;
}

/* value of bw <= 64 bits at bit position pos, LSB-first; bytes must hold it */
static uint64_t get_bits(const uint8_t *base, uint64_t pos, int bw) {
    if (bw == 0) return 0;
    const uint8_t *b = base + (pos >> 3);
    int shift = (int)(pos & 7);
    int nbytes = (shift + bw + 7) / 8;
    unsigned __int128 v = 0;
    for (int k = 0; k < nbytes; k++) v |= (unsigned __int128)b[k] << (8 * k);
    v >>= shift;
    return bw == 64 ? (uint64_t)v : (uint64_t)v & ((UINT64_C(1) << bw) - 1);
}

/* ---- RLE / bit-packed hybrid ---- */

fl_err_t fl_pq_rle_init(struct fl_pq_rle *d, const uint8_t *data, size_t len, int bit_width,
                        struct fl_error *err) {
    memset(d, 0, sizeof(*d));
    if (bit_width < 0 || bit_width > 32) return corrupt(err, "RLE bit width above 32");
    d->p = data;
    d->end = data + len;
    d->bit_width = bit_width;
    return FL_OK;
}

static fl_err_t rle_next_run(struct fl_pq_rle *d, struct fl_error *err) {
    uint64_t h;
    size_t k = fl_varint_get_u64(d->p, (size_t)(d->end - d->p), &h);
    if (!k)
        return corrupt(err,
                       d->p >= d->end ? "RLE data ends before its values" : "bad RLE run header");
    d->p += k;
    if (h & 1) {
        uint64_t groups = h >> 1;
        if (groups > (uint64_t)INT32_MAX / 8) return corrupt(err, "RLE bit-packed run too long");
        uint64_t bytes = groups * (uint64_t)d->bit_width;
        size_t avail = (size_t)(d->end - d->p);
        size_t present = bytes < avail ? (size_t)bytes : avail;
        uint64_t values = groups * 8;
        /* A writer may cut the last run short; only whole values count. */
        if (d->bit_width && present < bytes)
            values = (uint64_t)present * 8 / (uint64_t)d->bit_width;
        d->bp = d->p;
        d->bp_bytes = present;
        d->bp_pos = 0;
        d->bp_left = (uint32_t)values;
        d->p += present;
    } else {
        uint64_t cnt = h >> 1;
        if (cnt == 0 || cnt > (uint64_t)INT32_MAX)
            return corrupt(err, "RLE run length out of range");
        size_t vb = (size_t)(d->bit_width + 7) / 8;
        if ((size_t)(d->end - d->p) < vb) return corrupt(err, "RLE run value truncated");
        uint32_t v = 0;
        for (size_t i = 0; i < vb; i++) v |= (uint32_t)d->p[i] << (8 * i);
        d->p += vb;
        if (d->bit_width < 32 && (v >> d->bit_width))
            return corrupt(err, "RLE run value wider than its bit width");
        d->rle_value = v;
        d->rle_left = (uint32_t)cnt;
    }
    return FL_OK;
}

fl_err_t fl_pq_rle_get(struct fl_pq_rle *d, uint32_t *out, size_t n, struct fl_error *err) {
    while (n) {
        if (d->rle_left) {
            size_t k = d->rle_left < n ? d->rle_left : n;
            for (size_t i = 0; i < k; i++) out[i] = d->rle_value;
            d->rle_left -= (uint32_t)k;
            out += k;
            n -= k;
        } else if (d->bp_left) {
            size_t k = d->bp_left < n ? d->bp_left : n;
            for (size_t i = 0; i < k; i++) {
                out[i] = (uint32_t)get_bits(d->bp, d->bp_pos, d->bit_width);
                d->bp_pos += (uint64_t)d->bit_width;
            }
            d->bp_left -= (uint32_t)k;
            out += k;
            n -= k;
        } else {
            fl_err_t e = rle_next_run(d, err);
            if (e) return e;
        }
    }
    return FL_OK;
}

/* ---- levels ---- */

static fl_err_t levels_rle(int max_level, const uint8_t *p, size_t len, size_t n, uint8_t *out,
                           struct fl_error *err) {
    struct fl_pq_rle d;
    uint32_t tmp[512];
    fl_err_t e = fl_pq_rle_init(&d, p, len, fl_pq_bit_width((uint32_t)max_level), err);
    for (size_t i = 0; i < n && !e;) {
        size_t k = n - i < 512 ? n - i : 512;
        e = fl_pq_rle_get(&d, tmp, k, err);
        for (size_t j = 0; j < k && !e; j++) {
            if (tmp[j] > (uint32_t)max_level)
                return corrupt(err, "level above the column's maximum");
            out[i + j] = (uint8_t)tmp[j];
        }
        i += k;
    }
    return e;
}

fl_err_t fl_pq_decode_levels_v1(int encoding, int max_level, const uint8_t *p, size_t len, size_t n,
                                uint8_t *out, size_t *used, struct fl_error *err) {
    if (max_level < 0 || max_level > 255) return corrupt(err, "level out of range");
    if (encoding == FL_PQ_ENC_RLE) {
        if (len < 4) return corrupt(err, "levels length truncated");
        uint32_t l = fl_le32(p);
        if (l > len - 4) return corrupt(err, "levels longer than the page");
        *used = 4 + (size_t)l;
        return levels_rle(max_level, p + 4, l, n, out, err);
    }
    if (encoding == FL_PQ_ENC_BIT_PACKED) {
        int bw = fl_pq_bit_width((uint32_t)max_level);
        uint64_t bits = (uint64_t)n * (uint64_t)bw;
        uint64_t bytes = (bits + 7) / 8;
        if (bytes > len) return corrupt(err, "bit-packed levels longer than the page");
        for (size_t i = 0; i < n; i++) {
            uint32_t v = 0;
            for (int b = 0; b < bw; b++) {
                uint64_t pos = (uint64_t)i * (uint64_t)bw + (uint64_t)b;
                v = v << 1 | ((p[pos >> 3] >> (7 - (pos & 7))) & 1);
            }
            if (v > (uint32_t)max_level) return corrupt(err, "level above the column's maximum");
            out[i] = (uint8_t)v;
        }
        *used = (size_t)bytes;
        return FL_OK;
    }
    return fl_errf(err, FL_ERR_UNSUPPORTED, "level encoding %d is not supported", encoding);
}

fl_err_t fl_pq_decode_levels_v2(int max_level, const uint8_t *p, size_t len, size_t n, uint8_t *out,
                                struct fl_error *err) {
    if (max_level < 0 || max_level > 255) return corrupt(err, "level out of range");
    return levels_rle(max_level, p, len, n, out, err);
}

/* ---- PLAIN ---- */

fl_err_t fl_pq_decode_plain(int ptype, int32_t type_len, const uint8_t *p, size_t len, size_t n,
                            struct fl_pq_vec *out, size_t *used, struct fl_error *err) {
    size_t need;
    if (ptype == FL_PQ_BOOLEAN) {
        need = n / 8 + (n % 8 != 0);
        if (need > len) return corrupt(err, "PLAIN booleans run past the page");
        uint8_t *o = vec_grow(out, n);
        if (!o) return too_big(err);
        for (size_t i = 0; i < n; i++) o[i] = (p[i >> 3] >> (i & 7)) & 1;
    } else if (ptype == FL_PQ_BYTE_ARRAY) {
        size_t pos = 0;
        for (size_t i = 0; i < n; i++) {
            if (len - pos < 4) return corrupt(err, "PLAIN byte array length runs past the page");
            uint32_t l = fl_le32(p + pos);
            pos += 4;
            if (l > len - pos) return corrupt(err, "PLAIN byte array runs past the page");
            fl_err_t e = vec_push_bytes(out, p + pos, l, err);
            if (e) return e;
            pos += l;
        }
        need = pos;
    } else {
        size_t w = fl_pq_phys_width(ptype, type_len);
        if (!w) return corrupt(err, "PLAIN value of unknown width");
        if (!fl_mul_ok(n, w, &need) || need > len)
            return corrupt(err, "PLAIN values run past the page");
        uint8_t *o = vec_grow(out, n);
        if (!o) return too_big(err);
        if (need) memcpy(o, p, need);
    }
    if (used) *used = need;
    return FL_OK;
}

/* ---- dictionary indices ---- */

fl_err_t fl_pq_decode_dict(const struct fl_pq_vec *dict, const uint8_t *p, size_t len, size_t n,
                           struct fl_pq_vec *out, struct fl_error *err) {
    struct fl_pq_rle d;
    uint32_t idx[512];
    if (n == 0) return FL_OK;
    if (len < 1) return corrupt(err, "dictionary indices without a bit width");
    if (p[0] > 32) return corrupt(err, "dictionary index bit width above 32");
    fl_err_t e = fl_pq_rle_init(&d, p + 1, len - 1, p[0], err);
    for (size_t i = 0; i < n && !e;) {
        size_t k = n - i < 512 ? n - i : 512;
        e = fl_pq_rle_get(&d, idx, k, err);
        if (e) return e;
        for (size_t j = 0; j < k; j++)
            if (idx[j] >= dict->n) return corrupt(err, "dictionary index out of range");
        if (dict->width) {
            uint8_t *o = vec_grow(out, k);
            if (!o) return too_big(err);
            for (size_t j = 0; j < k; j++)
                memcpy(o + j * dict->width, dict->data.data + (size_t)idx[j] * dict->width,
                       dict->width);
        } else {
            for (size_t j = 0; j < k && !e; j++) {
                size_t l;
                const uint8_t *b = fl_pq_vec_bytes(dict, idx[j], &l);
                e = vec_push_bytes(out, b, l, err);
            }
        }
        i += k;
    }
    return e;
}

fl_err_t fl_pq_decode_bool_rle(const uint8_t *p, size_t len, size_t n, struct fl_pq_vec *out,
                               struct fl_error *err) {
    struct fl_pq_rle d;
    uint32_t tmp[512];
    if (len < 4) return corrupt(err, "RLE booleans without a length");
    uint32_t l = fl_le32(p);
    if (l > len - 4) return corrupt(err, "RLE booleans longer than the page");
    fl_err_t e = fl_pq_rle_init(&d, p + 4, l, 1, err);
    for (size_t i = 0; i < n && !e;) {
        size_t k = n - i < 512 ? n - i : 512;
        e = fl_pq_rle_get(&d, tmp, k, err);
        if (e) return e;
        uint8_t *o = vec_grow(out, k);
        if (!o) return too_big(err);
        for (size_t j = 0; j < k; j++) o[j] = (uint8_t)tmp[j];
        i += k;
    }
    return e;
}

/* ---- DELTA_BINARY_PACKED ---- */

static fl_err_t uvarint(const uint8_t **p, const uint8_t *end, uint64_t *v, struct fl_error *err) {
    size_t k = fl_varint_get_u64(*p, (size_t)(end - *p), v);
    if (!k) return corrupt(err, "delta header truncated");
    *p += k;
    return FL_OK;
}

/* Decodes into dst (int64 values, native order), at most max_n. bits is
 * 32 or 64: the physical type's width, which sets the wrap-around and the
 * range of the first value. */
static fl_err_t delta_decode(int bits, const uint8_t *p, size_t len, size_t max_n,
                             struct fl_buf *dst, size_t *count, size_t *used,
                             struct fl_error *err) {
    const uint8_t *start = p, *end = p + len;
    uint64_t block, nmb, total, zz;
    fl_err_t e;
    if ((e = uvarint(&p, end, &block, err)) || (e = uvarint(&p, end, &nmb, err)) ||
        (e = uvarint(&p, end, &total, err)) || (e = uvarint(&p, end, &zz, err)))
        return e;
    if (block == 0 || block % 128 || block > ((uint64_t)1 << 20))
        return corrupt(err, "delta block size is not a multiple of 128 (up to 1M)");
    if (nmb == 0 || block % nmb || (block / nmb) % 32)
        return corrupt(err, "delta miniblock count does not divide the block into multiples of 32");
    if (total > max_n) return corrupt(err, "delta value count beyond the page's values");
    uint64_t vpm = block / nmb;
    int64_t first = fl_zigzag_dec64(zz);
    if (bits == 32 && (first < INT32_MIN || first > INT32_MAX))
        return corrupt(err, "delta first value overflows INT32");
    *count = (size_t)total;
    if (total == 0) {
        *used = (size_t)(p - start);
        return FL_OK;
    }
    size_t bytes;
    if (!fl_mul_ok((size_t)total, 8, &bytes)) return too_big(err);
    if (fl_buf_reserve(dst, bytes)) return too_big(err);
    uint64_t last = (uint64_t)first;
    uint64_t mask = bits == 32 ? UINT32_MAX : UINT64_MAX;
    int64_t v0 = bits == 32 ? (int64_t)(int32_t)(uint32_t)last : (int64_t)last;
    fl_buf_append(dst, &v0, 8);
    uint64_t left = total - 1;
    while (left) {
        if ((e = uvarint(&p, end, &zz, err))) return e;
        int64_t min_delta = fl_zigzag_dec64(zz);
        if ((uint64_t)(end - p) < nmb) return corrupt(err, "delta bit widths truncated");
        const uint8_t *widths = p;
        p += nmb;
        for (uint64_t m = 0; m < nmb && left; m++) {
            int bw = widths[m];
            /* The spec caps INT32 miniblocks at 32 bits, but DuckDB writes
             * INT32 deltas computed in 64 bits (up to 33 bits and min
             * deltas beyond INT32). Arithmetic modulo 2^32 gives the same
             * values either way, so only the 64-bit cap is enforced. */
            if (bw > 64) return corrupt(err, "delta miniblock bit width above 64");
            uint64_t k = left < vpm ? left : vpm;
            uint64_t full = vpm * (uint64_t)bw / 8;
            uint64_t need = (k * (uint64_t)bw + 7) / 8;
            size_t avail = (size_t)(end - p);
            if (need > avail) return corrupt(err, "delta miniblock runs past the page");
            for (uint64_t i = 0; i < k; i++) {
                uint64_t d = get_bits(p, i * (uint64_t)bw, bw);
                last = (last + (uint64_t)min_delta + d) & mask;
                int64_t v = bits == 32 ? (int64_t)(int32_t)(uint32_t)last : (int64_t)last;
                memcpy(dst->data + dst->len, &v, 8);
                dst->len += 8;
            }
            p += full < avail ? full : avail;
            left -= k;
        }
    }
    *used = (size_t)(p - start);
    return FL_OK;
}

fl_err_t fl_pq_decode_delta_binary(int ptype, const uint8_t *p, size_t len, size_t max_n,
                                   struct fl_pq_vec *out, size_t *count, size_t *used,
                                   struct fl_error *err) {
    struct fl_buf tmp;
    if (ptype != FL_PQ_INT32 && ptype != FL_PQ_INT64)
        return corrupt(err, "DELTA_BINARY_PACKED on a type other than INT32/INT64");
    fl_buf_init(&tmp, out->data.max);
    fl_err_t e =
        delta_decode(ptype == FL_PQ_INT32 ? 32 : 64, p, len, max_n, &tmp, count, used, err);
    if (!e) {
        uint8_t *o = vec_grow(out, *count);
        if (!o) e = too_big(err);
        for (size_t i = 0; !e && i < *count; i++) {
            int64_t v;
            memcpy(&v, tmp.data + i * 8, 8);
            if (ptype == FL_PQ_INT32)
                fl_put_le32(o + i * 4, (uint32_t)(int32_t)v);
            else
                fl_put_le64(o + i * 8, (uint64_t)v);
        }
    }
    fl_buf_fini(&tmp);
    return e;
}

fl_err_t fl_pq_decode_delta_length(const uint8_t *p, size_t len, size_t n, struct fl_pq_vec *out,
                                   size_t *used, struct fl_error *err) {
    struct fl_buf lens;
    size_t cnt = 0, hdr = 0;
    fl_buf_init(&lens, out->data.max);
    fl_err_t e = delta_decode(32, p, len, n, &lens, &cnt, &hdr, err);
    if (!e && cnt != n) e = corrupt(err, "DELTA_LENGTH_BYTE_ARRAY count differs from the page's");
    size_t pos = hdr;
    for (size_t i = 0; !e && i < n; i++) {
        int64_t l;
        memcpy(&l, lens.data + i * 8, 8);
        if (l < 0 || (uint64_t)l > len - pos) {
            e = corrupt(err, "DELTA_LENGTH_BYTE_ARRAY length out of range");
            break;
        }
        e = vec_push_bytes(out, p + pos, (size_t)l, err);
        pos += (size_t)l;
    }
    if (!e && used) *used = pos;
    fl_buf_fini(&lens);
    return e;
}

fl_err_t fl_pq_decode_delta_byte_array(int ptype, int32_t type_len, const uint8_t *p, size_t len,
                                       size_t n, struct fl_pq_vec *out, struct fl_error *err) {
    struct fl_buf prefixes;
    struct fl_pq_vec suffixes;
    size_t cnt = 0, used = 0;
    bool fixed = ptype == FL_PQ_FIXED_LEN_BYTE_ARRAY;
    if (!fixed && ptype != FL_PQ_BYTE_ARRAY)
        return corrupt(err, "DELTA_BYTE_ARRAY on a type other than byte arrays");
    if (fixed && type_len <= 0) return corrupt(err, "FIXED_LEN_BYTE_ARRAY without a length");
    fl_buf_init(&prefixes, out->data.max);
    fl_pq_vec_init(&suffixes, out->data.max);
    fl_err_t e = delta_decode(32, p, len, n, &prefixes, &cnt, &used, err);
    if (!e && cnt != n) e = corrupt(err, "DELTA_BYTE_ARRAY prefix count differs from the page's");
    if (!e) e = fl_pq_decode_delta_length(p + used, len - used, n, &suffixes, NULL, err);
    size_t prev_off = 0, prev_len = 0;
    struct fl_buf val;
    fl_buf_init(&val, out->data.max);
    for (size_t i = 0; !e && i < n; i++) {
        int64_t pl;
        size_t sl;
        memcpy(&pl, prefixes.data + i * 8, 8);
        const uint8_t *s = fl_pq_vec_bytes(&suffixes, i, &sl);
        if (pl < 0 || (uint64_t)pl > prev_len) {
            e = corrupt(err, "DELTA_BYTE_ARRAY prefix longer than the previous value");
            break;
        }
        size_t total = (size_t)pl + sl;
        if (fixed && total != (size_t)type_len) {
            e = corrupt(err, "DELTA_BYTE_ARRAY value length differs from the fixed length");
            break;
        }
        /* the previous value lives in out; copy the prefix out first, as
         * appending may move it */
        fl_buf_reset(&val);
        if (fl_buf_append(&val, out->data.data ? out->data.data + prev_off : NULL, (size_t)pl) ||
            fl_buf_append(&val, s, sl)) {
            e = too_big(err);
            break;
        }
        prev_off = out->data.len;
        prev_len = total;
        if (fixed) {
            uint8_t *o = vec_grow(out, 1);
            if (!o)
                e = too_big(err);
            else
                memcpy(o, val.data, total);
        } else {
            e = vec_push_bytes(out, val.data, total, err);
        }
    }
    fl_buf_fini(&val);
    fl_buf_fini(&prefixes);
    fl_pq_vec_fini(&suffixes);
    return e;
}

/* ---- BYTE_STREAM_SPLIT ---- */

fl_err_t fl_pq_decode_byte_stream_split(int ptype, int32_t type_len, const uint8_t *p, size_t len,
                                        size_t n, struct fl_pq_vec *out, struct fl_error *err) {
    size_t k, need;
    if (ptype != FL_PQ_FLOAT && ptype != FL_PQ_DOUBLE && ptype != FL_PQ_INT32 &&
        ptype != FL_PQ_INT64 && ptype != FL_PQ_FIXED_LEN_BYTE_ARRAY)
        return corrupt(err, "BYTE_STREAM_SPLIT on an unsupported type");
    k = fl_pq_phys_width(ptype, type_len);
    if (!k) return corrupt(err, "BYTE_STREAM_SPLIT value of unknown width");
    if (!fl_mul_ok(n, k, &need) || need != len)
        return corrupt(err, "BYTE_STREAM_SPLIT data is not the value count times the width");
    uint8_t *o = vec_grow(out, n);
    if (!o) return too_big(err);
    for (size_t s = 0; s < k; s++) {
        const uint8_t *stream = p + s * n;
        for (size_t i = 0; i < n; i++) o[i * k + s] = stream[i];
    }
    return FL_OK;
}
