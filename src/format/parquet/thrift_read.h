/*
 * thrift_read.h - a bounded decoder for the Thrift compact protocol, the
 * encoding of every Parquet footer, page header and page index.
 *
 * A struct fl_pq_thrift_reader walks a byte range it never leaves: every
 * varint, string and list length is checked against the bytes left (and a
 * hard cap) before use, struct nesting is capped at FL_PQ_THRIFT_MAX_DEPTH,
 * and fields a caller does not know are skipped with fl_pq_thrift_skip(),
 * which is what keeps old readers working on files from newer writers.
 * The first error sticks in the reader; its message names the byte offset
 * (relative to `base`, usually the file position of the range).
 */
#ifndef FL_FORMAT_PARQUET_THRIFT_READ_H
#define FL_FORMAT_PARQUET_THRIFT_READ_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Compact protocol type codes. */
enum {
    FL_PQ_TT_STOP = 0,
    FL_PQ_TT_BOOL_TRUE = 1,
    FL_PQ_TT_BOOL_FALSE = 2,
    FL_PQ_TT_I8 = 3,
    FL_PQ_TT_I16 = 4,
    FL_PQ_TT_I32 = 5,
    FL_PQ_TT_I64 = 6,
    FL_PQ_TT_DOUBLE = 7,
    FL_PQ_TT_BINARY = 8,
    FL_PQ_TT_LIST = 9,
    FL_PQ_TT_SET = 10,
    FL_PQ_TT_MAP = 11,
    FL_PQ_TT_STRUCT = 12
};

#define FL_PQ_THRIFT_MAX_DEPTH 32
/* Hard caps on one list's elements and one binary's bytes. */
#define FL_PQ_THRIFT_MAX_LIST ((uint32_t)1 << 24)
#define FL_PQ_THRIFT_MAX_BINARY ((uint32_t)1 << 30)

struct fl_pq_thrift_reader {
    const uint8_t *start;
    const uint8_t *p;
    const uint8_t *end;
    int64_t base; /* position of start, for messages */
    int depth;
    struct fl_error *err; /* may be NULL */
    fl_err_t code;        /* first error, sticky */
};

/* One field header inside a struct; last_id carries the delta state. */
struct fl_pq_thrift_struct {
    int16_t last_id;
};

void fl_pq_thrift_reader_init(struct fl_pq_thrift_reader *tr, const uint8_t *data, size_t len,
                              int64_t base, struct fl_error *err);
/* Bytes consumed so far. */
static inline size_t fl_pq_thrift_reader_pos(const struct fl_pq_thrift_reader *tr) {
    return (size_t)(tr->p - tr->start);
}

/* Enters a struct (depth check). */
fl_err_t fl_pq_thrift_struct_begin(struct fl_pq_thrift_reader *tr, struct fl_pq_thrift_struct *st);
/* Reads the next field header: *type is FL_PQ_TT_STOP at the end of the
 * struct (and the struct is left). For booleans *type carries the value. */
fl_err_t fl_pq_thrift_field_next(struct fl_pq_thrift_reader *tr, struct fl_pq_thrift_struct *st,
                                 int16_t *id, int *type);

/* Scalars. Each checks the wire type it was given: a value of another
 * type is skipped and FL_ERR_NOTFOUND returned (not sticky), so a field
 * whose type changed in a newer spec reads as absent. */
fl_err_t fl_pq_thrift_read_bool(struct fl_pq_thrift_reader *tr, int type, bool *v);
fl_err_t fl_pq_thrift_read_i8(struct fl_pq_thrift_reader *tr, int type, int8_t *v);
fl_err_t fl_pq_thrift_read_i16(struct fl_pq_thrift_reader *tr, int type, int16_t *v);
fl_err_t fl_pq_thrift_read_i32(struct fl_pq_thrift_reader *tr, int type, int32_t *v);
fl_err_t fl_pq_thrift_read_i64(struct fl_pq_thrift_reader *tr, int type, int64_t *v);
fl_err_t fl_pq_thrift_read_double(struct fl_pq_thrift_reader *tr, int type, double *v);
/* Binary/string: *data points into the input (borrowed), *len bytes. */
fl_err_t fl_pq_thrift_read_binary(struct fl_pq_thrift_reader *tr, int type, const uint8_t **data,
                                  size_t *len);
/* List (or set) header: element type and count. The count is checked
 * against the bytes left (every element takes at least one byte). */
fl_err_t fl_pq_thrift_list_begin(struct fl_pq_thrift_reader *tr, int type, int *elem_type,
                                 uint32_t *count);
/* Reads a bool list element (one byte). */
fl_err_t fl_pq_thrift_read_list_bool(struct fl_pq_thrift_reader *tr, bool *v);

/* Skips one value of the given type, recursing into containers. */
fl_err_t fl_pq_thrift_skip(struct fl_pq_thrift_reader *tr, int type);

/* Records a format-level error (e.g. a missing required field) at the
 * current position; returns FL_ERR_CORRUPT. */
fl_err_t fl_pq_thrift_fail(struct fl_pq_thrift_reader *tr, const char *what);

#endif
