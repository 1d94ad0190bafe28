/*
 * decode.c - Avro binary data to struct fl_avro_value trees, bounded.
 *
 * How it works: dec() walks the schema node and the bytes together. ints
 * must fit 32 bits, booleans are 0 or 1, union and enum indexes must name
 * a branch or symbol. Arrays and maps come in blocks: a count, negative
 * when followed by the block's byte size (which is checked and then only
 * used to bound the block), ending with a 0 count. Before items are
 * allocated the count is checked against the bytes left, using the
 * smallest encoded size of the item type that the schema parser worked
 * out; zero-size items (null, empty records) are bounded by the arena's
 * cap alone. Items of successive blocks go into one array that grows
 * geometrically in the arena. Nesting depth is capped, which also stops
 * a record that contains itself.
 */
#include "format/avro/decode.h"
#include "core/mem.h"
#include "core/varint.h"

#include <string.h>

#define MAX_DEPTH (2 * FL_AVRO_SCHEMA_MAX_DEPTH + 8)

fl_err_t fl_avro_get_long(struct fl_avro_in *in, int64_t *v) {
    /* As Apache Avro's Java BinaryDecoder: at most 10 bytes; of the 10th
     * only the lowest bit counts, higher bits are dropped rather than
     * refused (a DuckDB test table carries such a 65-bit snapshot id, and
     * Java, Spark and DuckDB read it). */
    uint64_t u = 0;
    for (size_t i = 0; i < in->left && i < FL_VARINT_MAX; i++) {
        uint64_t b = in->p[i];
        u |= (b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            in->p += i + 1;
            in->left -= i + 1;
            *v = fl_zigzag_dec64(u);
            return FL_OK;
        }
    }
    return FL_ERR_CORRUPT;
}

/* A length that fits the bytes left. */
static fl_err_t get_len(struct fl_avro_in *in, size_t *len) {
    int64_t l;
    if (fl_avro_get_long(in, &l) || l < 0 || (uint64_t)l > in->left) return FL_ERR_CORRUPT;
    *len = (size_t)l;
    return FL_OK;
}

fl_err_t fl_avro_get_bytes(struct fl_avro_in *in, const uint8_t **data, size_t *len) {
    if (get_len(in, len)) return FL_ERR_CORRUPT;
    *data = in->p;
    in->p += *len;
    in->left -= *len;
    return FL_OK;
}

static fl_err_t corrupt(struct fl_error *err, const char *what) {
    return fl_errf(err, FL_ERR_CORRUPT, "avro: %s", what);
}

static fl_err_t limit(struct fl_error *err) {
    return fl_errf(err, FL_ERR_LIMIT, "avro: decoded data larger than the memory cap");
}

static fl_err_t dec(struct fl_avro_in *in, const struct fl_avro_node *node,
                    struct fl_avro_arena *arena, struct fl_avro_value *v, int depth,
                    struct fl_error *err);

static fl_err_t get_raw_bytes(struct fl_avro_in *in, struct fl_avro_arena *arena, size_t len,
                              struct fl_avro_value *v, struct fl_error *err) {
    void *p;
    if (len > in->left) return corrupt(err, "bytes run past the end of the data");
    if (fl_avro_arena_alloc(arena, len + 1, &p)) return limit(err);
    if (len) memcpy(p, in->p, len);
    in->p += len;
    in->left -= len;
    v->u.bytes.data = p;
    v->u.bytes.len = len;
    return FL_OK;
}

/* Arrays and maps: blocks of items into one growing arena array. */
static fl_err_t dec_blocks(struct fl_avro_in *in, const struct fl_avro_node *t,
                           struct fl_avro_arena *arena, struct fl_avro_value *v, int depth,
                           struct fl_error *err) {
    bool map = t->type == FL_AVRO_MAP;
    size_t item_min = t->items->min_size + (map ? 1 : 0);
    size_t n = 0, cap = 0;
    struct fl_avro_value *items = NULL, *keys = NULL;
    for (;;) {
        int64_t count;
        if (fl_avro_get_long(in, &count)) return corrupt(err, "truncated block count");
        if (count == 0) break;
        size_t block_left = in->left, block_size = SIZE_MAX;
        if (count < 0) {
            int64_t size;
            if (count == INT64_MIN) return corrupt(err, "bad block count");
            count = -count;
            if (fl_avro_get_long(in, &size) || size < 0 || (uint64_t)size > in->left)
                return corrupt(err, "bad block size");
            block_left = block_size = (size_t)size;
        }
        size_t left_before = in->left;
        if (item_min && (uint64_t)count > block_left / item_min)
            return corrupt(err, "block count larger than the bytes left");
        size_t want;
        if ((uint64_t)count > SIZE_MAX / 2 - n) return limit(err);
        want = n + (size_t)count;
        if (want > cap) {
            size_t ncap = cap ? cap * 2 : 4, bytes;
            if (ncap < want) ncap = want;
            void *p, *q = NULL;
            if (!fl_mul_ok(ncap, sizeof(*items), &bytes) || fl_avro_arena_alloc(arena, bytes, &p) ||
                (map && fl_avro_arena_alloc(arena, bytes, &q)))
                return limit(err);
            if (n) {
                memcpy(p, items, n * sizeof(*items));
                if (map) memcpy(q, keys, n * sizeof(*keys));
            }
            items = p;
            keys = q;
            cap = ncap;
        }
        for (size_t i = 0; i < (size_t)count; i++, n++) {
            fl_err_t rc;
            if (map) {
                size_t kl;
                struct fl_avro_value *k = &keys[n];
                k->node = k->type = fl_avro_value_key_node();
                k->branch = -1;
                if (get_len(in, &kl)) return corrupt(err, "bad map key");
                if ((rc = get_raw_bytes(in, arena, kl, k, err))) return rc;
            }
            if ((rc = dec(in, t->items, arena, &items[n], depth + 1, err))) return rc;
        }
        if (block_size != SIZE_MAX && left_before - in->left != block_size)
            return corrupt(err, "block size does not match its items");
    }
    v->n = n;
    if (map) {
        v->u.map.keys = keys;
        v->u.map.values = items;
    } else {
        v->u.items = items;
    }
    return FL_OK;
}

static fl_err_t dec_typed(struct fl_avro_in *in, const struct fl_avro_node *t,
                          struct fl_avro_arena *arena, struct fl_avro_value *v, int depth,
                          struct fl_error *err) {
    int64_t l;
    size_t len;
    v->type = t;
    switch (t->type) {
    case FL_AVRO_NULL:
        return FL_OK;
    case FL_AVRO_BOOLEAN:
        if (in->left < 1 || in->p[0] > 1) return corrupt(err, "bad boolean");
        v->u.b = in->p[0];
        in->p++;
        in->left--;
        return FL_OK;
    case FL_AVRO_INT:
        if (fl_avro_get_long(in, &l) || l < INT32_MIN || l > INT32_MAX)
            return corrupt(err, "bad int");
        v->u.i = (int32_t)l;
        return FL_OK;
    case FL_AVRO_LONG:
        if (fl_avro_get_long(in, &l)) return corrupt(err, "bad long");
        v->u.l = l;
        return FL_OK;
    case FL_AVRO_FLOAT: {
        if (in->left < 4) return corrupt(err, "truncated float");
        uint32_t bits = 0;
        for (int i = 0; i < 4; i++) bits |= (uint32_t)in->p[i] << (8 * i);
        memcpy(&v->u.f, &bits, 4);
        in->p += 4;
        in->left -= 4;
        return FL_OK;
    }
    case FL_AVRO_DOUBLE: {
        if (in->left < 8) return corrupt(err, "truncated double");
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++) bits |= (uint64_t)in->p[i] << (8 * i);
        memcpy(&v->u.d, &bits, 8);
        in->p += 8;
        in->left -= 8;
        return FL_OK;
    }
    case FL_AVRO_BYTES:
    case FL_AVRO_STRING:
        if (get_len(in, &len)) return corrupt(err, "bad length of bytes");
        return get_raw_bytes(in, arena, len, v, err);
    case FL_AVRO_FIXED:
        return get_raw_bytes(in, arena, t->size, v, err);
    case FL_AVRO_ENUM:
        if (fl_avro_get_long(in, &l) || l < 0 || (uint64_t)l >= t->nsymbols)
            return corrupt(err, "bad enum index");
        v->u.i = (int32_t)l;
        return FL_OK;
    case FL_AVRO_RECORD: {
        void *p;
        if (t->nfields && fl_avro_arena_alloc(arena, t->nfields * sizeof(*v), &p))
            return limit(err);
        v->u.items = t->nfields ? p : NULL;
        v->n = t->nfields;
        for (size_t i = 0; i < t->nfields; i++) {
            fl_err_t rc = dec(in, t->fields[i].type, arena, &v->u.items[i], depth + 1, err);
            if (rc) {
                fl_err_prefix(err, "%s", t->fields[i].name);
                return rc;
            }
        }
        return FL_OK;
    }
    case FL_AVRO_ARRAY:
    case FL_AVRO_MAP:
        return dec_blocks(in, t, arena, v, depth, err);
    case FL_AVRO_UNION:
        break;
    }
    return corrupt(err, "union inside a union");
}

static fl_err_t dec(struct fl_avro_in *in, const struct fl_avro_node *node,
                    struct fl_avro_arena *arena, struct fl_avro_value *v, int depth,
                    struct fl_error *err) {
    if (depth > MAX_DEPTH)
        return fl_errf(err, FL_ERR_LIMIT, "avro: data nested deeper than %d", MAX_DEPTH);
    memset(v, 0, sizeof(*v));
    v->node = node;
    v->branch = -1;
    if (node->type != FL_AVRO_UNION) return dec_typed(in, node, arena, v, depth, err);
    int64_t b;
    if (fl_avro_get_long(in, &b) || b < 0 || (uint64_t)b >= node->nbranches)
        return corrupt(err, "bad union branch index");
    v->branch = (int32_t)b;
    return dec_typed(in, node->branches[b], arena, v, depth + 1, err);
}

fl_err_t fl_avro_decode(struct fl_avro_in *in, const struct fl_avro_node *node,
                        struct fl_avro_arena *arena, struct fl_avro_value *val,
                        struct fl_error *err) {
    return dec(in, node, arena, val, 0, err);
}
