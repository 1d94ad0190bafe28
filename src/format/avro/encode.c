/*
 * encode.c - Avro binary encoding of struct fl_avro_value trees.
 *
 * int and long are zigzag varints; float and double little-endian IEEE;
 * bytes and string a long length then the bytes; fixed the bytes alone;
 * enum and union index a long; a record its fields in order; an array or
 * map one block of count items (map: key string, value) then a 0 count.
 * Empty arrays and maps are the 0 count alone.
 */
#include "format/avro/encode.h"
#include "core/varint.h"

#include <string.h>

#define MAX_DEPTH (2 * FL_AVRO_SCHEMA_MAX_DEPTH + 8)

fl_err_t fl_avro_put_long(struct fl_buf *out, int64_t v) {
    uint8_t tmp[FL_VARINT_MAX];
    size_t n = fl_varint_put_u64(tmp, fl_zigzag_enc64(v));
    return fl_buf_append(out, tmp, n);
}

fl_err_t fl_avro_put_bytes(struct fl_buf *out, const void *data, size_t len) {
    if (len > INT64_MAX) return FL_ERR_LIMIT;
    fl_err_t rc = fl_avro_put_long(out, (int64_t)len);
    return rc ? rc : fl_buf_append(out, data, len);
}

static fl_err_t limit(struct fl_error *err) {
    return fl_errf(err, FL_ERR_LIMIT, "avro encode: output larger than its cap");
}

static fl_err_t enc(const struct fl_avro_node *node, const struct fl_avro_value *v,
                    struct fl_buf *out, int depth, struct fl_error *err);

static fl_err_t enc_typed(const struct fl_avro_node *t, const struct fl_avro_value *v,
                          struct fl_buf *out, int depth, struct fl_error *err) {
    fl_err_t rc = FL_OK;
    uint8_t tmp[8];
    if (!v->type || v->type->type != t->type)
        return fl_errf(err, FL_ERR_INVALID, "avro encode: expected %s, value is %s",
                       fl_avro_type_name(t->type),
                       v->type ? fl_avro_type_name(v->type->type) : "unset");
    switch (t->type) {
    case FL_AVRO_NULL:
        return FL_OK;
    case FL_AVRO_BOOLEAN:
        rc = fl_buf_append_u8(out, v->u.b ? 1 : 0);
        break;
    case FL_AVRO_INT:
        rc = fl_avro_put_long(out, v->u.i);
        break;
    case FL_AVRO_LONG:
        rc = fl_avro_put_long(out, v->u.l);
        break;
    case FL_AVRO_FLOAT: {
        uint32_t bits;
        memcpy(&bits, &v->u.f, 4);
        for (int i = 0; i < 4; i++) tmp[i] = (uint8_t)(bits >> (8 * i));
        rc = fl_buf_append(out, tmp, 4);
        break;
    }
    case FL_AVRO_DOUBLE: {
        uint64_t bits;
        memcpy(&bits, &v->u.d, 8);
        for (int i = 0; i < 8; i++) tmp[i] = (uint8_t)(bits >> (8 * i));
        rc = fl_buf_append(out, tmp, 8);
        break;
    }
    case FL_AVRO_BYTES:
    case FL_AVRO_STRING:
        rc = fl_avro_put_bytes(out, v->u.bytes.data, v->u.bytes.len);
        break;
    case FL_AVRO_FIXED:
        if (v->u.bytes.len != t->size)
            return fl_errf(err, FL_ERR_INVALID, "avro encode: fixed %s takes %zu bytes, not %zu",
                           t->name, t->size, v->u.bytes.len);
        rc = fl_buf_append(out, v->u.bytes.data, t->size);
        break;
    case FL_AVRO_ENUM:
        if (v->u.i < 0 || (size_t)v->u.i >= t->nsymbols)
            return fl_errf(err, FL_ERR_INVALID, "avro encode: enum %s has no symbol %d", t->name,
                           (int)v->u.i);
        rc = fl_avro_put_long(out, v->u.i);
        break;
    case FL_AVRO_RECORD:
        if (v->n != t->nfields)
            return fl_errf(err, FL_ERR_INVALID, "avro encode: record %s has %zu fields, value %zu",
                           t->name, t->nfields, v->n);
        for (size_t i = 0; i < t->nfields; i++) {
            if ((rc = enc(t->fields[i].type, &v->u.items[i], out, depth + 1, err))) {
                if (rc != FL_ERR_LIMIT) fl_err_prefix(err, "%s", t->fields[i].name);
                return rc;
            }
        }
        return FL_OK;
    case FL_AVRO_ARRAY:
    case FL_AVRO_MAP:
        if (v->n > 0) {
            if ((rc = fl_avro_put_long(out, (int64_t)v->n))) break;
            for (size_t i = 0; i < v->n && !rc; i++) {
                if (t->type == FL_AVRO_MAP) {
                    const struct fl_avro_value *k = &v->u.map.keys[i];
                    if (!k->type || k->type->type != FL_AVRO_STRING)
                        return fl_errf(err, FL_ERR_INVALID, "avro encode: map key is no string");
                    if ((rc = fl_avro_put_bytes(out, k->u.bytes.data, k->u.bytes.len))) break;
                    rc = enc(t->items, &v->u.map.values[i], out, depth + 1, err);
                } else {
                    rc = enc(t->items, &v->u.items[i], out, depth + 1, err);
                }
            }
            if (rc) {
                if (rc == FL_ERR_LIMIT) return limit(err);
                return rc;
            }
        }
        rc = fl_buf_append_u8(out, 0);
        break;
    case FL_AVRO_UNION:
        return fl_errf(err, FL_ERR_INVALID, "avro encode: union inside a union");
    }
    return rc == FL_ERR_LIMIT ? limit(err) : rc;
}

static fl_err_t enc(const struct fl_avro_node *node, const struct fl_avro_value *v,
                    struct fl_buf *out, int depth, struct fl_error *err) {
    if (depth > MAX_DEPTH)
        return fl_errf(err, FL_ERR_LIMIT, "avro encode: nested deeper than %d", MAX_DEPTH);
    if (node->type != FL_AVRO_UNION) return enc_typed(node, v, out, depth, err);
    if (v->branch < 0 || (size_t)v->branch >= node->nbranches)
        return fl_errf(err, FL_ERR_INVALID, "avro encode: union branch %d out of range",
                       (int)v->branch);
    fl_err_t rc = fl_avro_put_long(out, v->branch);
    if (rc) return limit(err);
    return enc_typed(node->branches[v->branch], v, out, depth + 1, err);
}

fl_err_t fl_avro_encode(const struct fl_avro_node *node, const struct fl_avro_value *val,
                        struct fl_buf *out, struct fl_error *err) {
    return enc(node, val, out, 0, err);
}
