/*
 * dv.c - deletion vectors (dv.h): a sorted array of buckets, one per
 * distinct high 32 bits of the positions, each a CRoaring 32-bit bitmap
 * of the low 32 bits. Lookups binary-search the buckets (a data file of
 * fewer than 2^32 rows has one) and ask CRoaring.
 *
 * Decoding never trusts a length: the blob's own length must equal the
 * bytes given, the bucket count must fit the bytes left, each bitmap is
 * validated here in full (portable_size) before CRoaring's _safe
 * deserializer reads it, and the bitmaps must use the vector's bytes
 * exactly.
 */
#include "format/puffin/dv.h"
#include "core/endian.h"
#include "core/mem.h"

#include <roaring/roaring.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct bucket {
    uint32_t key;
    roaring_bitmap_t *bm;
};

struct fl_dv {
    struct bucket *b;
    size_t n, cap;
};

struct fl_dv *fl_dv_new(void) {
    return fl_calloc(1, sizeof(struct fl_dv));
}

void fl_dv_free(struct fl_dv *dv) {
    if (!dv) return;
    for (size_t i = 0; i < dv->n; i++) roaring_bitmap_free(dv->b[i].bm);
    fl_free(dv->b);
    fl_free(dv);
}

/* Index of the bucket with key, or of where it would go (*found false). */
static size_t find(const struct fl_dv *dv, uint32_t key, bool *found) {
    size_t lo = 0, hi = dv->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dv->b[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < dv->n && dv->b[lo].key == key;
    return lo;
}

static roaring_bitmap_t *bucket_for(struct fl_dv *dv, uint32_t key) {
    bool found;
    size_t i = find(dv, key, &found);
    if (found) return dv->b[i].bm;
    roaring_bitmap_t *bm = roaring_bitmap_create();
    if (!bm) return NULL;
    if (dv->n == dv->cap) {
        dv->cap = dv->cap ? dv->cap * 2 : 4;
        dv->b = fl_reallocarray(dv->b, dv->cap, sizeof(*dv->b));
    }
    memmove(&dv->b[i + 1], &dv->b[i], (dv->n - i) * sizeof(*dv->b));
    dv->b[i].key = key;
    dv->b[i].bm = bm;
    dv->n++;
    return bm;
}

fl_err_t fl_dv_add(struct fl_dv *dv, int64_t pos) {
    if (pos < 0) return FL_ERR_RANGE;
    roaring_bitmap_t *bm = bucket_for(dv, (uint32_t)((uint64_t)pos >> 32));
    if (!bm) return FL_ERR_NOMEM;
    roaring_bitmap_add(bm, (uint32_t)pos);
    return FL_OK;
}

bool fl_dv_contains(const struct fl_dv *dv, int64_t pos) {
    if (pos < 0 || dv->n == 0) return false;
    bool found;
    size_t i = find(dv, (uint32_t)((uint64_t)pos >> 32), &found);
    return found && roaring_bitmap_contains(dv->b[i].bm, (uint32_t)pos);
}

fl_err_t fl_dv_merge(struct fl_dv *dst, const struct fl_dv *src) {
    for (size_t i = 0; i < src->n; i++) {
        roaring_bitmap_t *bm = bucket_for(dst, src->b[i].key);
        if (!bm) return FL_ERR_NOMEM;
        roaring_bitmap_or_inplace(bm, src->b[i].bm);
    }
    return FL_OK;
}

uint64_t fl_dv_cardinality(const struct fl_dv *dv) {
    uint64_t n = 0;
    for (size_t i = 0; i < dv->n; i++) n += roaring_bitmap_get_cardinality(dv->b[i].bm);
    return n;
}

struct each_ctx {
    int (*fn)(void *ctx, int64_t pos);
    void *ctx;
    uint64_t high;
    int stop;
};

static bool each_one(uint32_t low, void *p) {
    struct each_ctx *e = p;
    e->stop = e->fn(e->ctx, (int64_t)(e->high | low));
    return e->stop == 0;
}

int fl_dv_each(const struct fl_dv *dv, int (*fn)(void *ctx, int64_t pos), void *ctx) {
    struct each_ctx e = {fn, ctx, 0, 0};
    for (size_t i = 0; i < dv->n && !e.stop; i++) {
        e.high = (uint64_t)dv->b[i].key << 32;
        roaring_iterate(dv->b[i].bm, each_one, &e);
    }
    return e.stop;
}

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }

/* Validates one 32-bit portable Roaring bitmap (RoaringFormatSpec,
 * "General layout") before CRoaring sees it, and returns its size in
 * bytes (0: invalid). CRoaring 0.2.66 trusts the format: it sizes its
 * container array from the count before checking the bytes (a 20-byte
 * blob could ask for gigabytes), takes a bitmap container's cardinality
 * from the header (a wrong one later trips its assertions), and reads
 * array and run containers unchecked. So here: a known cookie, at most
 * 2^16 containers with strictly increasing keys, arrays strictly
 * increasing, bitmaps holding as many bits as they claim, runs sorted,
 * apart and inside 16 bits, every byte inside `left`. */
static size_t portable_size(const uint8_t *p, size_t left) {
    if (left < 4) return 0;
    uint32_t cookie = fl_le32(p);
    size_t n, at;
    const uint8_t *runs = NULL;
    if ((cookie & 0xffff) == 12347) { /* SERIAL_COOKIE: a bitset says which are runs */
        n = (cookie >> 16) + 1;
        runs = p + 4;
        at = 4 + (n + 7) / 8;
    } else if (cookie == 12346) { /* SERIAL_COOKIE_NO_RUNCONTAINER */
        if (left < 8 || fl_le32(p + 4) > 65536) return 0;
        n = fl_le32(p + 4);
        at = 8;
    } else {
        return 0;
    }
    const uint8_t *desc = p + at; /* n (key, cardinality - 1) pairs */
    if (at > left || 4 * n > left - at) return 0;
    at += 4 * n;
    if (!runs || n >= 4) { /* the offset header, not needed to read */
        if (4 * n > left - at) return 0;
        at += 4 * n;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t key = le16(desc + 4 * i), card = (uint32_t)le16(desc + 4 * i + 2) + 1;
        if (i > 0 && key <= le16(desc + 4 * (i - 1))) return 0;
        if (runs && (runs[i / 8] >> (i % 8)) & 1) {
            if (left - at < 2) return 0;
            size_t nr = le16(p + at);
            at += 2;
            if (4 * nr > left - at) return 0;
            uint32_t next = 0; /* the least value the next run may start at */
            for (size_t r = 0; r < nr; r++) {
                uint32_t start = le16(p + at + 4 * r), len = le16(p + at + 4 * r + 2);
                if (start < next || start + len > 0xffff) return 0;
                next = start + len + 1; /* sorted, not overlapping */
            }
            at += 4 * nr;
        } else if (card > 4096) { /* bitmap container */
            if (left - at < 8192) return 0;
            uint32_t bits = 0;
            for (size_t w = 0; w < 1024; w++)
                bits += (uint32_t)__builtin_popcountll(fl_le64(p + at + 8 * w));
            if (bits != card) return 0;
            at += 8192;
        } else { /* array container */
            if (2 * (size_t)card > left - at) return 0;
            for (size_t k = 1; k < card; k++)
                if (le16(p + at + 2 * k) <= le16(p + at + 2 * (k - 1))) return 0;
            at += 2 * (size_t)card;
        }
    }
    return at;
}

fl_err_t fl_dv_decode(const uint8_t *blob, size_t len, struct fl_dv **out, struct fl_error *err) {
    *out = NULL;
    if (len < 4 + 4 + 8 + 4)
        return fl_errf(err, FL_ERR_CORRUPT, "deletion vector: %zu bytes is too short", len);
    uint32_t vlen = fl_be32(blob); /* magic + vector */
    if ((uint64_t)vlen + 8 != len)
        return fl_errf(err, FL_ERR_CORRUPT,
                       "deletion vector: its length field says %u bytes, the blob has %zu", vlen,
                       len >= 8 ? len - 8 : 0);
    if (memcmp(blob + 4, FL_DV_MAGIC_BYTES, 4) != 0)
        return fl_errf(err, FL_ERR_CORRUPT, "deletion vector: bad magic (not D1 D3 39 64)");
    uint32_t crc = (uint32_t)crc32(0L, blob + 4, (uInt)vlen);
    if (crc != fl_be32(blob + 4 + vlen))
        return fl_errf(err, FL_ERR_CORRUPT, "deletion vector: CRC-32 %08x, the blob says %08x", crc,
                       fl_be32(blob + 4 + vlen));
    const uint8_t *p = blob + 8;
    size_t left = vlen - 4;
    uint64_t nb = fl_le64(p);
    p += 8;
    left -= 8;
    /* each bucket takes at least a key and an 8-byte bitmap header */
    if (nb > left / 12)
        return fl_errf(err, FL_ERR_CORRUPT, "deletion vector: %llu bitmaps cannot fit in %zu bytes",
                       (unsigned long long)nb, left);
    struct fl_dv *dv = fl_dv_new();
    dv->cap = nb ? (size_t)nb : 1;
    dv->b = fl_calloc(dv->cap, sizeof(*dv->b));
    fl_err_t rc = FL_OK;
    for (uint64_t i = 0; i < nb; i++) {
        if (left < 4) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "deletion vector: bitmap %llu is cut off",
                         (unsigned long long)i);
            break;
        }
        uint32_t key = fl_le32(p);
        p += 4;
        left -= 4;
        if (key > 0x7fffffffu) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "deletion vector: key %u makes positions negative",
                         key);
            break;
        }
        if (dv->n > 0 && key <= dv->b[dv->n - 1].key) {
            rc = fl_errf(err, FL_ERR_CORRUPT,
                         "deletion vector: bitmap keys out of order (%u after %u)", key,
                         dv->b[dv->n - 1].key);
            break;
        }
        size_t sz = portable_size(p, left);
        roaring_bitmap_t *bm =
            sz ? roaring_bitmap_portable_deserialize_safe((const char *)p, sz) : NULL;
        if (!bm) {
            rc = fl_errf(err, FL_ERR_CORRUPT,
                         "deletion vector: bitmap %llu (key %u) is not a portable Roaring bitmap",
                         (unsigned long long)i, key);
            break;
        }
        dv->b[dv->n].key = key;
        dv->b[dv->n].bm = bm;
        dv->n++;
        p += sz;
        left -= sz;
    }
    if (!rc && left != 0)
        rc = fl_errf(err, FL_ERR_CORRUPT, "deletion vector: %zu bytes after the last bitmap", left);
    if (rc) {
        fl_dv_free(dv);
        return rc;
    }
    *out = dv;
    return FL_OK;
}

fl_err_t fl_dv_encode(struct fl_dv *dv, struct fl_buf *out) {
    size_t nb = 0, vlen = 4 + 8;
    for (size_t i = 0; i < dv->n; i++) {
        if (roaring_bitmap_is_empty(dv->b[i].bm)) continue;
        roaring_bitmap_run_optimize(dv->b[i].bm);
        vlen += 4 + roaring_bitmap_portable_size_in_bytes(dv->b[i].bm);
        nb++;
    }
    if (vlen > UINT32_MAX) return FL_ERR_LIMIT;
    size_t start = out->len;
    uint8_t *p = fl_buf_grow(out, 4 + vlen + 4);
    if (!p) return FL_ERR_LIMIT;
    fl_put_be32(p, (uint32_t)vlen);
    memcpy(p + 4, FL_DV_MAGIC_BYTES, 4);
    fl_put_le64(p + 8, nb);
    uint8_t *q = p + 16;
    for (size_t i = 0; i < dv->n; i++) {
        if (roaring_bitmap_is_empty(dv->b[i].bm)) continue;
        fl_put_le32(q, dv->b[i].key);
        q += 4;
        q += roaring_bitmap_portable_serialize(dv->b[i].bm, (char *)q);
    }
    p = out->data + start; /* fl_buf_grow may not move, but be exact */
    fl_put_be32(p + 4 + vlen, (uint32_t)crc32(0L, p + 4, (uInt)vlen));
    return FL_OK;
}
