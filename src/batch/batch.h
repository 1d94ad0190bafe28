/*
 * batch.h - columnar batches: the one in-memory representation that flows
 * from ingest to Parquet and back out of the reader.
 *
 * A batch holds nrows rows of a flat schema as one struct fl_col per
 * top-level field. Each column has a validity bitmap (bit i set = row i is
 * present; NULL bitmap = no nulls so far) and either
 *   - values: nrows * width bytes for fixed-width types, little-endian:
 *     boolean 1 byte (0/1), int/date int32, long/time/timestamp(tz) int64,
 *     float, double, decimal as int128 (16 bytes), uuid 16 bytes in RFC
 *     byte order, fixed[L] L bytes; a null slot holds zeros; or
 *   - offsets + heap: string and binary, offsets[nrows + 1] into heap;
 *     struct, list and map columns also use offsets + heap, each value
 *     being the JSON text of the nested value (struct -> object, list ->
 *     array, map -> object when its keys are strings, else an array of
 *     {"key":..,"value":..}; leaves in Iceberg's JSON single-value form,
 *     batch_json.h), the same text the reader assembles from Parquet
 *     levels and the writer shreds back into them.
 * Memory is kept across fl_batch_reset() so a batch is reused without
 * allocating per row. The schema is borrowed and must outlive the batch.
 */
#ifndef FL_BATCH_BATCH_H
#define FL_BATCH_BATCH_H

#include "core/buf.h"
#include "core/err.h"
#include "core/schema.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fl_col {
    const struct fl_field *field; /* borrowed from the batch's schema */
    size_t width;                 /* bytes per value; 0 = variable (offsets) */
    size_t len;                   /* values appended so far */
    size_t cap;                   /* rows allocated in values/validity */
    size_t null_count;
    uint8_t *validity;  /* bitmap, NULL while the column has no null */
    uint8_t *values;    /* fixed width: cap * width bytes */
    uint32_t *offsets;  /* variable width: cap + 1 entries */
    struct fl_buf heap; /* variable width bytes */
};

struct fl_batch {
    const struct fl_schema *schema;
    size_t nrows;
    int ncols;
    struct fl_col *cols; /* ncols, in schema order */
};

/* Max bytes of variable-width data in one column of one batch. */
#define FL_BATCH_HEAP_MAX ((size_t)UINT32_MAX)

/* A new empty batch for a schema (nested top-level fields hold JSON
 * text, see above). The caller owns *out. */
fl_err_t fl_batch_new(const struct fl_schema *schema, size_t cap_hint, struct fl_batch **out,
                      struct fl_error *err);
void fl_batch_free(struct fl_batch *batch);
/* Empties every column, keeping the memory. */
void fl_batch_reset(struct fl_batch *batch);
/* Empties one column, keeping the memory. */
void fl_col_reset(struct fl_col *col);

/* Row-wise building: append one value to each column, then
 * fl_batch_end_row(). A failing row can be undone with
 * fl_batch_rollback_row() before end_row. */
fl_err_t fl_col_append_null(struct fl_col *col);
fl_err_t fl_col_append_bool(struct fl_col *col, bool v);
fl_err_t fl_col_append_i32(struct fl_col *col, int32_t v);
fl_err_t fl_col_append_i64(struct fl_col *col, int64_t v);
fl_err_t fl_col_append_f32(struct fl_col *col, float v);
fl_err_t fl_col_append_f64(struct fl_col *col, double v);
fl_err_t fl_col_append_i128(struct fl_col *col, __int128 v);
/* string/binary: len bytes; fixed/uuid: exactly width bytes. */
fl_err_t fl_col_append_bytes(struct fl_col *col, const void *data, size_t len);
/* Appends n nulls / n zero-filled slots without per-value calls. */
fl_err_t fl_col_reserve(struct fl_col *col, size_t rows);

/* Appends value `row` of src (null or not) to dst; both columns must be
 * of the same type (widening int->long and float->double is allowed, as
 * Iceberg schema evolution does). */
fl_err_t fl_col_append_from(struct fl_col *dst, const struct fl_col *src, size_t row);
/* Appends rows [start, start + n) of src to dst, as n fl_col_append_from
 * calls would, with one copy per column when no value needs converting
 * and src has no null (the scan's common case). */
fl_err_t fl_col_append_rows(struct fl_col *dst, const struct fl_col *src, size_t start, size_t n);

/* Checks that every column has nrows + 1 values and advances nrows. */
fl_err_t fl_batch_end_row(struct fl_batch *batch);
/* Drops values appended to columns since the last end_row. */
void fl_batch_rollback_row(struct fl_batch *batch);
/* Drops the rows from n on (and any row begun): the batch holds its
 * first n rows again. Nothing when it holds n or fewer. */
void fl_batch_truncate(struct fl_batch *batch, size_t n);
/* Sets nrows after columns were filled in bulk; all must have equal len. */
fl_err_t fl_batch_seal(struct fl_batch *batch);

static inline bool fl_col_is_null(const struct fl_col *col, size_t row) {
    return col->validity && !(col->validity[row >> 3] & (1u << (row & 7)));
}
/* Pointer to the bytes of a variable-width value. */
/* The integer value of row `row` of a fixed-width integer-like column
 * (boolean, int, date: 1 or 4 bytes; long, time, timestamps: 8). */
static inline int64_t fl_col_int(const struct fl_col *col, size_t row) {
    const uint8_t *p = col->values + row * col->width;
    if (col->width == 1) return p[0] != 0;
    if (col->width == 4) {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline const uint8_t *fl_col_bytes(const struct fl_col *col, size_t row, size_t *len) {
    *len = col->offsets[row + 1] - col->offsets[row];
    return col->heap.data ? col->heap.data + col->offsets[row] : (const uint8_t *)"";
}

#endif
