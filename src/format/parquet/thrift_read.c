/*
 * thrift_read.c - bounded Thrift compact protocol decoder.
 *
 * How it works: the reader is a cursor over [start, end). Integers are
 * zigzag ULEB128 varints (i16/i32 range-checked), doubles are 8 bytes
 * little-endian, binaries are a varint length and the bytes. A field
 * header byte holds a 4-bit id delta (0 = a zigzag i16 id follows) and a
 * 4-bit type; booleans keep their value in the type. A list header holds
 * a 4-bit size (15 = a varint size follows) and the element type. Every
 * failure is FL_ERR_CORRUPT and sticks: later calls return it at once.
 */
#include "format/parquet/thrift_read.h"

#include "core/endian.h"
#include "core/varint.h"

#include <string.h>

void fl_pq_thrift_reader_init(struct fl_pq_thrift_reader *tr, const uint8_t *data, size_t len,
                              int64_t base, struct fl_error *err) {
    tr->start = tr->p = data;
    tr->end = data + len;
    tr->base = base;
    tr->depth = 0;
    tr->err = err;
    tr->code = FL_OK;
}

/* Returns FL_ERR_CORRUPT itself rather than fl_errf's value, so that the
 * compiler sees every failure path return non-zero (and does not warn
 * that a value the failed read left unset may be used). */
static fl_err_t fail(struct fl_pq_thrift_reader *tr, const char *what) {
    if (tr->code) return tr->code;
    tr->code = FL_ERR_CORRUPT;
    fl_errf(tr->err, FL_ERR_CORRUPT, "thrift: %s at byte %lld", what,
            (long long)(tr->base + (int64_t)(tr->p - tr->start)));
    return FL_ERR_CORRUPT;
}

fl_err_t fl_pq_thrift_fail(struct fl_pq_thrift_reader *tr, const char *what) {
    return fail(tr, what);
}

static fl_err_t get_varint(struct fl_pq_thrift_reader *tr, uint64_t *v) {
    if (tr->code) return tr->code;
    size_t n = fl_varint_get_u64(tr->p, (size_t)(tr->end - tr->p), v);
    if (!n) return fail(tr, tr->p >= tr->end ? "truncated input" : "bad varint");
    tr->p += n;
    return FL_OK;
}

static fl_err_t get_zigzag(struct fl_pq_thrift_reader *tr, int64_t lo, int64_t hi, int64_t *v) {
    uint64_t u;
    fl_err_t e = get_varint(tr, &u);
    if (e) return e;
    int64_t s = fl_zigzag_dec64(u);
    if (s < lo || s > hi) return fail(tr, "integer out of range for its type");
    *v = s;
    return FL_OK;
}

static fl_err_t get_byte(struct fl_pq_thrift_reader *tr, uint8_t *b) {
    if (tr->code) return tr->code;
    if (tr->p >= tr->end) return fail(tr, "truncated input");
    *b = *tr->p++;
    return FL_OK;
}

static fl_err_t skip_value(struct fl_pq_thrift_reader *tr, int type, bool in_list);

/* A field of a known id but another wire type: skipped, as Thrift's own
 * generated readers do; FL_ERR_NOTFOUND (not sticky) tells the caller the
 * field is absent. */
static fl_err_t mismatch(struct fl_pq_thrift_reader *tr, int type) {
    fl_err_t e = skip_value(tr, type, false);
    return e ? e : FL_ERR_NOTFOUND;
}

fl_err_t fl_pq_thrift_struct_begin(struct fl_pq_thrift_reader *tr, struct fl_pq_thrift_struct *st) {
    if (tr->code) return tr->code;
    if (tr->depth >= FL_PQ_THRIFT_MAX_DEPTH) return fail(tr, "structs nested too deeply");
    tr->depth++;
    st->last_id = 0;
    return FL_OK;
}

fl_err_t fl_pq_thrift_field_next(struct fl_pq_thrift_reader *tr, struct fl_pq_thrift_struct *st,
                                 int16_t *id, int *type) {
    uint8_t b = 0;
    fl_err_t e = get_byte(tr, &b);
    if (e) return e;
    int t = b & 0x0f;
    if (t == FL_PQ_TT_STOP) {
        if (b != 0) return fail(tr, "bad field header");
        tr->depth--;
        *type = FL_PQ_TT_STOP;
        *id = 0;
        return FL_OK;
    }
    if (t > FL_PQ_TT_STRUCT) return fail(tr, "unknown field type");
    int delta = b >> 4;
    int64_t fid;
    if (delta) {
        fid = (int64_t)st->last_id + delta;
        if (fid > INT16_MAX) return fail(tr, "field id out of range");
    } else {
        e = get_zigzag(tr, INT16_MIN, INT16_MAX, &fid);
        if (e) return e;
    }
    st->last_id = (int16_t)fid;
    *id = (int16_t)fid;
    *type = t;
    return FL_OK;
}

fl_err_t fl_pq_thrift_read_bool(struct fl_pq_thrift_reader *tr, int type, bool *v) {
    if (tr->code) return tr->code;
    if (type == FL_PQ_TT_BOOL_TRUE)
        *v = true;
    else if (type == FL_PQ_TT_BOOL_FALSE)
        *v = false;
    else
        return mismatch(tr, type);
    return FL_OK;
}

fl_err_t fl_pq_thrift_read_list_bool(struct fl_pq_thrift_reader *tr, bool *v) {
    uint8_t b = 0;
    fl_err_t e = get_byte(tr, &b);
    if (e) return e;
    /* Writers use 1 for true and 2 (Thrift) or 0 (some others) for false. */
    if (b > 2) return fail(tr, "bad bool list element");
    *v = b == FL_PQ_TT_BOOL_TRUE;
    return FL_OK;
}

fl_err_t fl_pq_thrift_read_i8(struct fl_pq_thrift_reader *tr, int type, int8_t *v) {
    uint8_t b = 0;
    if (tr->code) return tr->code;
    if (type != FL_PQ_TT_I8) return mismatch(tr, type);
    fl_err_t e = get_byte(tr, &b);
    if (e) return e;
    *v = (int8_t)b;
    return FL_OK;
}

fl_err_t fl_pq_thrift_read_i16(struct fl_pq_thrift_reader *tr, int type, int16_t *v) {
    int64_t x;
    if (tr->code) return tr->code;
    if (type != FL_PQ_TT_I16) return mismatch(tr, type);
    fl_err_t e = get_zigzag(tr, INT16_MIN, INT16_MAX, &x);
    if (e) return e;
    *v = (int16_t)x;
    return FL_OK;
}

fl_err_t fl_pq_thrift_read_i32(struct fl_pq_thrift_reader *tr, int type, int32_t *v) {
    int64_t x;
    if (tr->code) return tr->code;
    if (type != FL_PQ_TT_I32) return mismatch(tr, type);
    fl_err_t e = get_zigzag(tr, INT32_MIN, INT32_MAX, &x);
    if (e) return e;
    *v = (int32_t)x;
    return FL_OK;
}

fl_err_t fl_pq_thrift_read_i64(struct fl_pq_thrift_reader *tr, int type, int64_t *v) {
    if (tr->code) return tr->code;
    if (type != FL_PQ_TT_I64) return mismatch(tr, type);
    return get_zigzag(tr, INT64_MIN, INT64_MAX, v);
}

fl_err_t fl_pq_thrift_read_double(struct fl_pq_thrift_reader *tr, int type, double *v) {
    if (tr->code) return tr->code;
    if (type != FL_PQ_TT_DOUBLE) return mismatch(tr, type);
    if (tr->end - tr->p < 8) return fail(tr, "truncated double");
    uint64_t u = fl_le64(tr->p);
    memcpy(v, &u, 8);
    tr->p += 8;
    return FL_OK;
}

fl_err_t fl_pq_thrift_read_binary(struct fl_pq_thrift_reader *tr, int type, const uint8_t **data,
                                  size_t *len) {
    uint64_t n;
    if (tr->code) return tr->code;
    if (type != FL_PQ_TT_BINARY) return mismatch(tr, type);
    fl_err_t e = get_varint(tr, &n);
    if (e) return e;
    if (n > FL_PQ_THRIFT_MAX_BINARY) return fail(tr, "string longer than the 1 GiB cap");
    if (n > (uint64_t)(tr->end - tr->p)) return fail(tr, "string runs past the end");
    *data = tr->p;
    *len = (size_t)n;
    tr->p += n;
    return FL_OK;
}

fl_err_t fl_pq_thrift_list_begin(struct fl_pq_thrift_reader *tr, int type, int *elem_type,
                                 uint32_t *count) {
    uint8_t b = 0;
    if (tr->code) return tr->code;
    if (type != FL_PQ_TT_LIST && type != FL_PQ_TT_SET) return mismatch(tr, type);
    fl_err_t e = get_byte(tr, &b);
    if (e) return e;
    uint64_t n = b >> 4;
    int et = b & 0x0f;
    if (n == 15) {
        e = get_varint(tr, &n);
        if (e) return e;
    }
    if (et == FL_PQ_TT_STOP || et > FL_PQ_TT_STRUCT) return fail(tr, "bad list element type");
    if (n > FL_PQ_THRIFT_MAX_LIST) return fail(tr, "list longer than the cap");
    /* Every element, even an empty struct, takes at least one byte. */
    if (n > (uint64_t)(tr->end - tr->p)) return fail(tr, "list longer than its bytes");
    *elem_type = et;
    *count = (uint32_t)n;
    return FL_OK;
}

static fl_err_t skip_struct(struct fl_pq_thrift_reader *tr) {
    struct fl_pq_thrift_struct st;
    fl_err_t e = fl_pq_thrift_struct_begin(tr, &st);
    for (;;) {
        int16_t id;
        int t;
        if (e) return e;
        e = fl_pq_thrift_field_next(tr, &st, &id, &t);
        if (e) return e;
        if (t == FL_PQ_TT_STOP) return FL_OK;
        e = fl_pq_thrift_skip(tr, t);
    }
}

/* Skips one value; list elements of bool type are one byte each, so the
 * element form is chosen by `in_list`. */
static fl_err_t skip_value(struct fl_pq_thrift_reader *tr, int type, bool in_list) {
    uint8_t b = 0;
    int64_t x;
    uint64_t n;
    const uint8_t *d;
    size_t len;
    fl_err_t e;
    if (tr->code) return tr->code;
    switch (type) {
    case FL_PQ_TT_BOOL_TRUE:
    case FL_PQ_TT_BOOL_FALSE:
        return in_list ? get_byte(tr, &b) : FL_OK;
    case FL_PQ_TT_I8:
        return get_byte(tr, &b);
    case FL_PQ_TT_I16:
    case FL_PQ_TT_I32:
    case FL_PQ_TT_I64:
        return get_zigzag(tr, INT64_MIN, INT64_MAX, &x);
    case FL_PQ_TT_DOUBLE:
        if (tr->end - tr->p < 8) return fail(tr, "truncated double");
        tr->p += 8;
        return FL_OK;
    case FL_PQ_TT_BINARY:
        return fl_pq_thrift_read_binary(tr, type, &d, &len);
    case FL_PQ_TT_LIST:
    case FL_PQ_TT_SET: {
        int et;
        uint32_t cnt;
        e = fl_pq_thrift_list_begin(tr, type, &et, &cnt);
        if (e) return e;
        if (tr->depth >= FL_PQ_THRIFT_MAX_DEPTH) return fail(tr, "containers nested too deeply");
        tr->depth++;
        for (uint32_t i = 0; i < cnt && !e; i++) e = skip_value(tr, et, true);
        tr->depth--;
        return e;
    }
    case FL_PQ_TT_MAP: {
        e = get_varint(tr, &n);
        if (e) return e;
        if (n == 0) return FL_OK;
        if (n > FL_PQ_THRIFT_MAX_LIST || n > (uint64_t)(tr->end - tr->p))
            return fail(tr, "map longer than its bytes");
        e = get_byte(tr, &b);
        if (e) return e;
        int kt = b >> 4, vt = b & 0x0f;
        if (kt == 0 || kt > FL_PQ_TT_STRUCT || vt == 0 || vt > FL_PQ_TT_STRUCT)
            return fail(tr, "bad map element types");
        if (tr->depth >= FL_PQ_THRIFT_MAX_DEPTH) return fail(tr, "containers nested too deeply");
        tr->depth++;
        for (uint64_t i = 0; i < n && !e; i++) {
            e = skip_value(tr, kt, true);
            if (!e) e = skip_value(tr, vt, true);
        }
        tr->depth--;
        return e;
    }
    case FL_PQ_TT_STRUCT:
        return skip_struct(tr);
    default:
        return fail(tr, "unknown type");
    }
}

fl_err_t fl_pq_thrift_skip(struct fl_pq_thrift_reader *tr, int type) {
    return skip_value(tr, type, false);
}
