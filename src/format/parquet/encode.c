/*
 * encode.c - PLAIN booleans, RLE/bit-packed hybrid, DELTA_BINARY_PACKED and
 * the dictionary hash table (see encode.h and Encodings.md).
 *
 * How it works:
 *  - Bit packing fills a 64-bit accumulator LSB first and spills whole
 *    bytes, so values keep their bit order and bytes come out little-endian
 *    as Encodings.md requires.
 *  - The hybrid encoder scans the input once for runs. A run of 8 or more
 *    equal values becomes an RLE run, after the pending literals have been
 *    rounded up to a multiple of 8 by borrowing the run's first values
 *    (bit-packed runs hold whole groups of 8; only the last one of the
 *    stream may be padded). The scan is written once as a macro and
 *    instantiated for uint32 values, byte values and bitmaps.
 *  - DELTA_BINARY_PACKED computes deltas in wrapping unsigned arithmetic
 *    (32-bit for INT32), subtracts the block's minimum delta and packs each
 *    miniblock with its own width.
 *  - The dictionary is open addressing with linear probing over entry
 *    indices; hashes are kept per entry so growing never rehashes values.
 */
#include "format/parquet/encode.h"

#include "core/endian.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/varint.h"

#include <string.h>

fl_err_t fl_pq_plain_encode_bool(const uint8_t *v, size_t n, struct fl_buf *out) {
    fl_err_t err = fl_buf_reserve(out, (n + 7) / 8);
    if (err) return err;
    uint8_t *p = out->data + out->len;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        *p++ = (uint8_t)((v[i] != 0) | (v[i + 1] != 0) << 1 | (v[i + 2] != 0) << 2 |
                         (v[i + 3] != 0) << 3 | (v[i + 4] != 0) << 4 | (v[i + 5] != 0) << 5 |
                         (v[i + 6] != 0) << 6 | (v[i + 7] != 0) << 7);
    }
    if (i < n) {
        uint8_t b = 0;
        for (int k = 0; i < n; i++, k++) b |= (uint8_t)((v[i] != 0) << k);
        *p++ = b;
    }
    out->len = (size_t)(p - out->data);
    return FL_OK;
}

static fl_err_t put_varint(struct fl_buf *out, uint64_t v) {
    uint8_t tmp[FL_VARINT_MAX];
    return fl_buf_append(out, tmp, fl_varint_put_u64(tmp, v));
}

static fl_err_t rle_run(uint32_t value, size_t count, int w, struct fl_buf *out) {
    fl_err_t err = put_varint(out, (uint64_t)count << 1);
    if (err) return err;
    uint8_t b[4];
    int nb = (w + 7) / 8;
    for (int k = 0; k < nb; k++) b[k] = (uint8_t)(value >> (8 * k));
    return fl_buf_append(out, b, (size_t)nb);
}

/* Accessors and run scanners of the three input kinds. */
#define GET_ARR(src, i) ((uint32_t)(src)[i])
#define GET_BIT(src, i) ((uint32_t)((src)[(i) >> 3] >> ((i)&7)) & 1u)

static inline size_t run_end_u32(const uint32_t *v, size_t i, size_t n) {
    uint32_t x = v[i];
    size_t j = i + 1;
    while (j < n && v[j] == x) j++;
    return j;
}

static inline size_t run_end_u8(const uint8_t *v, size_t i, size_t n) {
    uint8_t x = v[i];
    size_t j = i + 1;
    while (j < n && v[j] == x) j++;
    return j;
}

static inline size_t run_end_bits(const uint8_t *b, size_t i, size_t n) {
    uint32_t x = GET_BIT(b, i);
    uint8_t full = x ? 0xff : 0x00;
    size_t j = i + 1;
    while (j < n && (j & 7) && GET_BIT(b, j) == x) j++;
    if (j < n && !(j & 7) && GET_BIT(b, j) == x) {
        while (j + 8 <= n && b[j >> 3] == full) j += 8;
        while (j < n && GET_BIT(b, j) == x) j++;
    }
    return j;
}

#define DEFINE_RLE_ENCODER(NAME, SRC_T, GET, RUN_END)                                              \
    static fl_err_t NAME##_bitpacked(SRC_T src, size_t start, size_t count, int w,                 \
                                     struct fl_buf *out) {                                         \
        size_t groups = (count + 7) / 8;                                                           \
        fl_err_t err = put_varint(out, (uint64_t)groups << 1 | 1);                                 \
        if (err) return err;                                                                       \
        size_t nbytes = groups * (size_t)w;                                                        \
        err = fl_buf_reserve(out, nbytes);                                                         \
        if (err) return err;                                                                       \
        uint8_t *p = out->data + out->len;                                                         \
        uint64_t acc = 0;                                                                          \
        int bits = 0;                                                                              \
        size_t end = start + count;                                                                \
        for (size_t i = start; i < start + groups * 8; i++) {                                      \
            uint64_t x = i < end ? GET(src, i) : 0;                                                \
            acc |= x << bits;                                                                      \
            bits += w;                                                                             \
            while (bits >= 8) {                                                                    \
                *p++ = (uint8_t)acc;                                                               \
                acc >>= 8;                                                                         \
                bits -= 8;                                                                         \
            }                                                                                      \
        }                                                                                          \
        out->len += nbytes;                                                                        \
        return FL_OK;                                                                              \
    }                                                                                              \
    static fl_err_t NAME(SRC_T src, size_t n, int w, struct fl_buf *out) {                         \
        fl_err_t err = FL_OK;                                                                      \
        size_t lit = 0, i = 0;                                                                     \
        while (i < n) {                                                                            \
            uint32_t x = GET(src, i);                                                              \
            size_t j = RUN_END(src, i, n);                                                         \
            size_t r = j - i;                                                                      \
            if (r >= 8) {                                                                          \
                size_t nlit = i - lit;                                                             \
                size_t pad = (8 - nlit % 8) % 8;                                                   \
                if (nlit == 0 || r - pad >= 8) {                                                   \
                    if (nlit) {                                                                    \
                        err = NAME##_bitpacked(src, lit, nlit + pad, w, out);                      \
                        if (err) return err;                                                       \
                        r -= pad;                                                                  \
                    }                                                                              \
                    err = rle_run(x, r, w, out);                                                   \
                    if (err) return err;                                                           \
                    lit = j;                                                                       \
                }                                                                                  \
            }                                                                                      \
            i = j;                                                                                 \
        }                                                                                          \
        if (lit < n) err = NAME##_bitpacked(src, lit, n - lit, w, out);                            \
        return err;                                                                                \
    }

DEFINE_RLE_ENCODER(rle_u32, const uint32_t *, GET_ARR, run_end_u32)
DEFINE_RLE_ENCODER(rle_u8, const uint8_t *, GET_ARR, run_end_u8)
DEFINE_RLE_ENCODER(rle_bits, const uint8_t *, GET_BIT, run_end_bits)

fl_err_t fl_pq_rle_encode_u32(const uint32_t *v, size_t n, int bit_width, struct fl_buf *out) {
    if (bit_width < 0 || bit_width > 32) return FL_ERR_INVALID;
    return rle_u32(v, n, bit_width, out);
}

fl_err_t fl_pq_rle_encode_u8(const uint8_t *v, size_t n, int bit_width, struct fl_buf *out) {
    if (bit_width < 0 || bit_width > 8) return FL_ERR_INVALID;
    return rle_u8(v, n, bit_width, out);
}

fl_err_t fl_pq_rle_encode_bits(const uint8_t *bits, size_t n, struct fl_buf *out) {
    return rle_bits(bits, n, 1, out);
}

/* Packs count (a multiple of 8) values of w bits (0..64) LSB first into
 * out, which has room for count * w / 8 bytes. */
static void pack64(const uint64_t *v, size_t count, int w, uint8_t *out) {
    if (w == 0) return;
    uint64_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t x = v[i];
        acc |= x << bits;
        if (bits + w >= 64) {
            uint64_t a = acc;
            for (int k = 0; k < 8; k++) *out++ = (uint8_t)(a >> (8 * k));
            int used = 64 - bits;
            acc = used < 64 ? x >> used : 0;
            bits = bits + w - 64;
        } else {
            bits += w;
            while (bits >= 8) {
                *out++ = (uint8_t)acc;
                acc >>= 8;
                bits -= 8;
            }
        }
    }
}

#define DELTA_MAX_BLOCK 1024

static fl_err_t delta_encode(const void *src, bool is32, size_t n, size_t block_size,
                             size_t miniblocks, struct fl_buf *out) {
    if (block_size == 0 || block_size > DELTA_MAX_BLOCK || block_size % 8 || miniblocks == 0 ||
        block_size % miniblocks || (block_size / miniblocks) % 8)
        return FL_ERR_INVALID;
    const int32_t *v32 = src;
    const int64_t *v64 = src;
    size_t mb_size = block_size / miniblocks;
    int64_t first = n ? (is32 ? v32[0] : v64[0]) : 0;
    fl_err_t err = put_varint(out, block_size);
    if (!err) err = put_varint(out, miniblocks);
    if (!err) err = put_varint(out, n);
    if (!err) err = put_varint(out, fl_zigzag_enc64(first));
    if (err) return err;

    int64_t deltas[DELTA_MAX_BLOCK];
    uint64_t packed[DELTA_MAX_BLOCK];
    int64_t prev = first;
    size_t i = 1;
    while (i < n) {
        size_t nd = n - i < block_size ? n - i : block_size;
        int64_t min = INT64_MAX;
        if (is32) {
            for (size_t k = 0; k < nd; k++) {
                int32_t cur = v32[i + k];
                int64_t d = (int32_t)((uint32_t)cur - (uint32_t)prev);
                prev = cur;
                deltas[k] = d;
                if (d < min) min = d;
            }
        } else {
            for (size_t k = 0; k < nd; k++) {
                int64_t cur = v64[i + k];
                int64_t d = (int64_t)((uint64_t)cur - (uint64_t)prev);
                prev = cur;
                deltas[k] = d;
                if (d < min) min = d;
            }
        }
        size_t used_mb = (nd + mb_size - 1) / mb_size;
        uint8_t widths[DELTA_MAX_BLOCK / 8];
        size_t body = 0;
        for (size_t m = 0; m < miniblocks; m++) {
            uint64_t maxv = 0;
            if (m < used_mb) {
                size_t lo = m * mb_size, hi = lo + mb_size;
                for (size_t k = lo; k < hi; k++) {
                    uint64_t x = k < nd ? (uint64_t)deltas[k] - (uint64_t)min : 0;
                    packed[k] = x;
                    maxv |= x;
                }
                widths[m] = (uint8_t)fl_pq_bit_width(maxv);
                body += mb_size * widths[m] / 8;
            } else {
                widths[m] = 0;
            }
        }
        err = put_varint(out, fl_zigzag_enc64(min));
        if (!err) err = fl_buf_append(out, widths, miniblocks);
        if (!err) err = fl_buf_reserve(out, body);
        if (err) return err;
        uint8_t *p = out->data + out->len;
        for (size_t m = 0; m < used_mb; m++) {
            pack64(packed + m * mb_size, mb_size, widths[m], p);
            p += mb_size * widths[m] / 8;
        }
        out->len += body;
        i += nd;
    }
    return FL_OK;
}

fl_err_t fl_pq_delta_encode_i32(const int32_t *v, size_t n, struct fl_buf *out) {
    return delta_encode(v, true, n, 128, 4, out);
}

fl_err_t fl_pq_delta_encode_i64(const int64_t *v, size_t n, struct fl_buf *out) {
    return delta_encode(v, false, n, 128, 4, out);
}

fl_err_t fl_pq_delta_encode_i64_geom(const int64_t *v, size_t n, size_t block_size,
                                     size_t miniblocks, struct fl_buf *out) {
    return delta_encode(v, false, n, block_size, miniblocks, out);
}

/* ---- dictionary ---- */

#define DICT_MAX_ENTRIES ((uint32_t)1 << 30)
#define DICT_MAX_BYTES ((size_t)INT32_MAX - 4096)

void fl_pq_dict_init(struct fl_pq_dict *dict, size_t width) {
    memset(dict, 0, sizeof(*dict));
    dict->width = width;
    fl_buf_init(&dict->values, DICT_MAX_BYTES);
}

void fl_pq_dict_fini(struct fl_pq_dict *dict) {
    fl_free(dict->slots);
    fl_free(dict->hashes);
    fl_free(dict->offs);
    fl_buf_fini(&dict->values);
    memset(dict, 0, sizeof(*dict));
}

void fl_pq_dict_reset(struct fl_pq_dict *dict) {
    if (dict->slots) memset(dict->slots, 0, ((size_t)dict->mask + 1) * sizeof(uint32_t));
    dict->n = 0;
    fl_buf_reset(&dict->values);
}

/* Makes room for one more entry: entry arrays and a table at most half
 * full. */
static fl_err_t dict_grow(struct fl_pq_dict *dict) {
    if (dict->n >= DICT_MAX_ENTRIES) return FL_ERR_LIMIT;
    if (dict->n == dict->ecap) {
        size_t cap = dict->ecap ? dict->ecap * 2 : 1024;
        dict->hashes = fl_reallocarray(dict->hashes, cap, sizeof(uint32_t));
        if (!dict->width) dict->offs = fl_reallocarray(dict->offs, cap, sizeof(size_t));
        dict->ecap = cap;
    }
    size_t slots = dict->slots ? (size_t)dict->mask + 1 : 0;
    if ((size_t)(dict->n + 1) * 2 > slots) {
        size_t ns = slots ? slots * 2 : 2048;
        fl_free(dict->slots);
        dict->slots = fl_calloc(ns, sizeof(uint32_t));
        dict->mask = (uint32_t)(ns - 1);
        for (uint32_t e = 0; e < dict->n; e++) {
            uint32_t s = dict->hashes[e] & dict->mask;
            while (dict->slots[s]) s = (s + 1) & dict->mask;
            dict->slots[s] = e + 1;
        }
    }
    return FL_OK;
}

static inline uint32_t hash_fixed(const uint8_t *v, size_t w) {
    if (w == 4) {
        uint32_t x;
        memcpy(&x, v, 4);
        return fl_hash_mix64(x);
    }
    if (w == 8) {
        uint64_t x;
        memcpy(&x, v, 8);
        return fl_hash_mix64(x);
    }
    return fl_hash_bytes(v, w);
}

static inline __attribute__((always_inline)) fl_err_t
put_fixed_w(struct fl_pq_dict *dict, const uint8_t *vals, size_t n, uint32_t *idx, size_t w) {
    for (size_t k = 0; k < n; k++) {
        const uint8_t *v = vals + k * w;
        uint32_t h = hash_fixed(v, w);
        if (!dict->slots) {
            fl_err_t err = dict_grow(dict);
            if (err) return err;
        }
        uint32_t s = h & dict->mask, e;
        while ((e = dict->slots[s]) != 0) {
            if (dict->hashes[e - 1] == h && !memcmp(dict->values.data + (size_t)(e - 1) * w, v, w))
                break;
            s = (s + 1) & dict->mask;
        }
        if (!e) {
            if ((size_t)(dict->n + 1) * 2 > (size_t)dict->mask + 1 || dict->n == dict->ecap) {
                fl_err_t err = dict_grow(dict);
                if (err) return err;
                s = h & dict->mask;
                while (dict->slots[s]) s = (s + 1) & dict->mask;
            }
            fl_err_t err = fl_buf_append(&dict->values, v, w);
            if (err) return err;
            dict->hashes[dict->n] = h;
            e = ++dict->n;
            dict->slots[s] = e;
        }
        idx[k] = e - 1;
    }
    return FL_OK;
}

fl_err_t fl_pq_dict_put_fixed(struct fl_pq_dict *dict, const uint8_t *vals, size_t n,
                              uint32_t *idx) {
    switch (dict->width) {
    case 0:
        return FL_ERR_INVALID;
    case 4:
        return put_fixed_w(dict, vals, n, idx, 4);
    case 8:
        return put_fixed_w(dict, vals, n, idx, 8);
    case 16:
        return put_fixed_w(dict, vals, n, idx, 16);
    default:
        return put_fixed_w(dict, vals, n, idx, dict->width);
    }
}

fl_err_t fl_pq_dict_put_bytes(struct fl_pq_dict *dict, const uint8_t *data, size_t len,
                              uint32_t *idx) {
    if (dict->width) return FL_ERR_INVALID;
    if (len > DICT_MAX_BYTES) return FL_ERR_LIMIT;
    uint32_t h = fl_hash_bytes(data, len);
    if (!dict->slots) {
        fl_err_t err = dict_grow(dict);
        if (err) return err;
    }
    uint32_t s = h & dict->mask, e;
    while ((e = dict->slots[s]) != 0) {
        if (dict->hashes[e - 1] == h) {
            const uint8_t *p = dict->values.data + dict->offs[e - 1];
            uint32_t elen = fl_le32(p);
            if (elen == len && !memcmp(p + 4, data, len)) break;
        }
        s = (s + 1) & dict->mask;
    }
    if (!e) {
        if ((size_t)(dict->n + 1) * 2 > (size_t)dict->mask + 1 || dict->n == dict->ecap) {
            fl_err_t err = dict_grow(dict);
            if (err) return err;
            s = h & dict->mask;
            while (dict->slots[s]) s = (s + 1) & dict->mask;
        }
        size_t off = dict->values.len;
        fl_err_t err = fl_buf_reserve(&dict->values, 4 + len);
        if (err) return err;
        uint8_t *p = dict->values.data + off;
        p[0] = (uint8_t)len;
        p[1] = (uint8_t)(len >> 8);
        p[2] = (uint8_t)(len >> 16);
        p[3] = (uint8_t)(len >> 24);
        if (len) memcpy(p + 4, data, len);
        dict->values.len += 4 + len;
        dict->hashes[dict->n] = h;
        dict->offs[dict->n] = off;
        e = ++dict->n;
        dict->slots[s] = e;
    }
    *idx = e - 1;
    return FL_OK;
}
