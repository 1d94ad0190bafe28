/*
 * thrift_write.h - Thrift compact protocol encoder for Parquet's footer,
 * page headers and page indexes.
 *
 * A struct fl_thrift_enc appends to a caller's struct fl_buf. Callers write
 * fields in increasing id order inside a struct (the encoder keeps the last
 * id of each open struct to emit short-form delta headers), open and close
 * nested structs and lists explicitly, and check the sticky error once at
 * the end with fl_thrift_enc_finish(): every call after a failure is a
 * no-op, so encoding code needs no error check per field.
 *
 * Wire format: Apache Thrift's compact protocol specification
 * (doc/specs/thrift-compact-protocol.md): ULEB128 varints, zigzag i16/i32/
 * i64, field header `ddddtttt` when the id delta is 1..15 and `0000tttt` +
 * zigzag id otherwise, bool values in the field header, list header
 * `sssstttt` for sizes 0..14 and `1111tttt` + varint beyond.
 */
#ifndef FL_FORMAT_PARQUET_THRIFT_WRITE_H
#define FL_FORMAT_PARQUET_THRIFT_WRITE_H

#include "core/buf.h"
#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Compact protocol type codes (field types; list element types agree
 * except bool, which is FL_THRIFT_BOOL as an element type). */
typedef enum {
    FL_THRIFT_STOP = 0,
    FL_THRIFT_TRUE = 1,
    FL_THRIFT_FALSE = 2,
    FL_THRIFT_BOOL = 2, /* list element type */
    FL_THRIFT_I8 = 3,
    FL_THRIFT_I16 = 4,
    FL_THRIFT_I32 = 5,
    FL_THRIFT_I64 = 6,
    FL_THRIFT_DOUBLE = 7,
    FL_THRIFT_BINARY = 8,
    FL_THRIFT_LIST = 9,
    FL_THRIFT_SET = 10,
    FL_THRIFT_MAP = 11,
    FL_THRIFT_STRUCT = 12
} fl_thrift_type_t;

#define FL_THRIFT_ENC_DEPTH 16

struct fl_thrift_enc {
    struct fl_buf *out;
    int depth;                         /* open structs */
    int16_t last[FL_THRIFT_ENC_DEPTH]; /* last field id per open struct */
    fl_err_t err;                      /* first failure, sticky */
};

/* Starts encoding into out (borrowed); the top-level struct is open. */
void fl_thrift_enc_init(struct fl_thrift_enc *enc, struct fl_buf *out);
/* Writes the stop byte of the top-level struct; returns the sticky error
 * (FL_ERR_LIMIT when out's cap was hit, FL_ERR_INVALID on misuse). */
fl_err_t fl_thrift_enc_finish(struct fl_thrift_enc *enc);

/* Struct fields. id must grow within a struct. */
void fl_thrift_enc_bool(struct fl_thrift_enc *enc, int16_t id, bool v);
void fl_thrift_enc_i8(struct fl_thrift_enc *enc, int16_t id, int8_t v);
void fl_thrift_enc_i16(struct fl_thrift_enc *enc, int16_t id, int16_t v);
void fl_thrift_enc_i32(struct fl_thrift_enc *enc, int16_t id, int32_t v);
void fl_thrift_enc_i64(struct fl_thrift_enc *enc, int16_t id, int64_t v);
void fl_thrift_enc_double(struct fl_thrift_enc *enc, int16_t id, double v);
void fl_thrift_enc_binary(struct fl_thrift_enc *enc, int16_t id, const void *data, size_t len);
void fl_thrift_enc_string(struct fl_thrift_enc *enc, int16_t id, const char *s);
/* Opens a struct (or union) field; close it with fl_thrift_enc_struct_end. */
void fl_thrift_enc_struct_begin(struct fl_thrift_enc *enc, int16_t id);
void fl_thrift_enc_struct_end(struct fl_thrift_enc *enc);
/* A struct field whose body (fields and stop byte, as written by another
 * encoder from its own top level) was serialized earlier. */
void fl_thrift_enc_struct_raw(struct fl_thrift_enc *enc, int16_t id, const void *body, size_t len);
/* An empty struct field (TypeDefinedOrder, StringType, ...). */
void fl_thrift_enc_empty_struct(struct fl_thrift_enc *enc, int16_t id);
/* Opens a list field of n elements of elem_type; the elements follow with
 * the fl_thrift_enc_elem_* calls (n of them); lists need no end call. */
void fl_thrift_enc_list_begin(struct fl_thrift_enc *enc, int16_t id, fl_thrift_type_t elem_type,
                              size_t n);

/* List elements. */
void fl_thrift_enc_elem_bool(struct fl_thrift_enc *enc, bool v);
void fl_thrift_enc_elem_i32(struct fl_thrift_enc *enc, int32_t v);
void fl_thrift_enc_elem_i64(struct fl_thrift_enc *enc, int64_t v);
void fl_thrift_enc_elem_binary(struct fl_thrift_enc *enc, const void *data, size_t len);
/* A struct element; close it with fl_thrift_enc_struct_end. */
void fl_thrift_enc_elem_struct_begin(struct fl_thrift_enc *enc);

#endif
