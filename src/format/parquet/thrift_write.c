/*
 * thrift_write.c - Thrift compact protocol encoder (see thrift_write.h).
 *
 * Everything funnels through put()/put_varint(), which reserve room in the
 * output buffer and record the first failure in enc->err; later calls see
 * the error and do nothing. Field headers use the short form when the id
 * delta from the previous field of the same struct is 1..15.
 */
#include "format/parquet/thrift_write.h"

#include "core/varint.h"

#include <string.h>

static void put(struct fl_thrift_enc *enc, const void *data, size_t len) {
    if (enc->err) return;
    fl_err_t err = fl_buf_append(enc->out, data, len);
    if (err) enc->err = err;
}

static void put_byte(struct fl_thrift_enc *enc, uint8_t b) {
    if (enc->err) return;
    fl_err_t err = fl_buf_append_u8(enc->out, b);
    if (err) enc->err = err;
}

static void put_varint(struct fl_thrift_enc *enc, uint64_t v) {
    uint8_t tmp[FL_VARINT_MAX];
    put(enc, tmp, fl_varint_put_u64(tmp, v));
}

static void put_zigzag(struct fl_thrift_enc *enc, int64_t v) {
    put_varint(enc, fl_zigzag_enc64(v));
}

static void field_header(struct fl_thrift_enc *enc, int16_t id, uint8_t type) {
    if (enc->err) return;
    if (enc->depth < 1) {
        enc->err = FL_ERR_INVALID;
        return;
    }
    int16_t *last = &enc->last[enc->depth - 1];
    int delta = (int)id - (int)*last;
    if (delta > 0 && delta <= 15) {
        put_byte(enc, (uint8_t)(delta << 4 | type));
    } else {
        put_byte(enc, type);
        put_zigzag(enc, id);
    }
    *last = id;
}

void fl_thrift_enc_init(struct fl_thrift_enc *enc, struct fl_buf *out) {
    enc->out = out;
    enc->depth = 1;
    enc->last[0] = 0;
    enc->err = FL_OK;
}

fl_err_t fl_thrift_enc_finish(struct fl_thrift_enc *enc) {
    if (!enc->err && enc->depth != 1) enc->err = FL_ERR_INVALID;
    put_byte(enc, FL_THRIFT_STOP);
    enc->depth = 0;
    return enc->err;
}

void fl_thrift_enc_bool(struct fl_thrift_enc *enc, int16_t id, bool v) {
    field_header(enc, id, v ? FL_THRIFT_TRUE : FL_THRIFT_FALSE);
}

void fl_thrift_enc_i8(struct fl_thrift_enc *enc, int16_t id, int8_t v) {
    field_header(enc, id, FL_THRIFT_I8);
    put_byte(enc, (uint8_t)v);
}

void fl_thrift_enc_i16(struct fl_thrift_enc *enc, int16_t id, int16_t v) {
    field_header(enc, id, FL_THRIFT_I16);
    put_zigzag(enc, v);
}

void fl_thrift_enc_i32(struct fl_thrift_enc *enc, int16_t id, int32_t v) {
    field_header(enc, id, FL_THRIFT_I32);
    put_zigzag(enc, v);
}

void fl_thrift_enc_i64(struct fl_thrift_enc *enc, int16_t id, int64_t v) {
    field_header(enc, id, FL_THRIFT_I64);
    put_zigzag(enc, v);
}

void fl_thrift_enc_double(struct fl_thrift_enc *enc, int16_t id, double v) {
    uint64_t bits;
    uint8_t le[8];
    memcpy(&bits, &v, 8);
    for (int i = 0; i < 8; i++) le[i] = (uint8_t)(bits >> (8 * i));
    field_header(enc, id, FL_THRIFT_DOUBLE);
    put(enc, le, 8);
}

void fl_thrift_enc_binary(struct fl_thrift_enc *enc, int16_t id, const void *data, size_t len) {
    field_header(enc, id, FL_THRIFT_BINARY);
    fl_thrift_enc_elem_binary(enc, data, len);
}

void fl_thrift_enc_string(struct fl_thrift_enc *enc, int16_t id, const char *s) {
    fl_thrift_enc_binary(enc, id, s, strlen(s));
}

static void push(struct fl_thrift_enc *enc) {
    if (enc->err) return;
    if (enc->depth >= FL_THRIFT_ENC_DEPTH) {
        enc->err = FL_ERR_LIMIT;
        return;
    }
    enc->last[enc->depth++] = 0;
}

void fl_thrift_enc_struct_begin(struct fl_thrift_enc *enc, int16_t id) {
    field_header(enc, id, FL_THRIFT_STRUCT);
    push(enc);
}

void fl_thrift_enc_elem_struct_begin(struct fl_thrift_enc *enc) { push(enc); }

void fl_thrift_enc_struct_end(struct fl_thrift_enc *enc) {
    if (enc->err) return;
    if (enc->depth <= 1) {
        enc->err = FL_ERR_INVALID;
        return;
    }
    put_byte(enc, FL_THRIFT_STOP);
    enc->depth--;
}

void fl_thrift_enc_struct_raw(struct fl_thrift_enc *enc, int16_t id, const void *body, size_t len) {
    field_header(enc, id, FL_THRIFT_STRUCT);
    put(enc, body, len);
}

void fl_thrift_enc_empty_struct(struct fl_thrift_enc *enc, int16_t id) {
    fl_thrift_enc_struct_begin(enc, id);
    fl_thrift_enc_struct_end(enc);
}

void fl_thrift_enc_list_begin(struct fl_thrift_enc *enc, int16_t id, fl_thrift_type_t elem_type,
                              size_t n) {
    field_header(enc, id, FL_THRIFT_LIST);
    if (n > INT32_MAX) {
        if (!enc->err) enc->err = FL_ERR_LIMIT;
        return;
    }
    if (n < 15) {
        put_byte(enc, (uint8_t)(n << 4 | elem_type));
    } else {
        put_byte(enc, (uint8_t)(0xf0 | elem_type));
        put_varint(enc, n);
    }
}

void fl_thrift_enc_elem_bool(struct fl_thrift_enc *enc, bool v) { put_byte(enc, v ? 1 : 0); }

void fl_thrift_enc_elem_i32(struct fl_thrift_enc *enc, int32_t v) { put_zigzag(enc, v); }

void fl_thrift_enc_elem_i64(struct fl_thrift_enc *enc, int64_t v) { put_zigzag(enc, v); }

void fl_thrift_enc_elem_binary(struct fl_thrift_enc *enc, const void *data, size_t len) {
    put_varint(enc, len);
    put(enc, data, len);
}
