/*
 * batch.c - columnar batches: allocation, row-wise appends, reuse.
 *
 * Columns grow geometrically (values, validity and offsets together, so
 * cap is the same for all three); the validity bitmap is only created
 * when the first null arrives, and then back-filled with ones. Nothing is
 * freed on reset, so a batch reused across micro-batches settles at its
 * high-water mark and appends stop allocating.
 */
#include "batch/batch.h"
#include "core/mem.h"

#include <string.h>

static void col_init(struct fl_col *col, const struct fl_field *field) {
    memset(col, 0, sizeof(*col));
    col->field = field;
    col->width = fl_type_width(field);
    fl_buf_init(&col->heap, FL_BATCH_HEAP_MAX);
}

static void col_fini(struct fl_col *col) {
    fl_free(col->validity);
    fl_free(col->values);
    fl_free(col->offsets);
    fl_buf_fini(&col->heap);
}

static void col_grow(struct fl_col *col, size_t rows) {
    if (rows <= col->cap) return;
    size_t cap = col->cap ? col->cap : 64;
    while (cap < rows) cap *= 2;
    if (col->width) {
        col->values = fl_reallocarray(col->values, cap, col->width);
    } else {
        col->offsets = fl_reallocarray(col->offsets, cap + 1, sizeof(uint32_t));
        if (col->cap == 0) col->offsets[0] = 0;
    }
    if (col->validity) {
        size_t oldb = (col->cap + 7) / 8, newb = (cap + 7) / 8;
        col->validity = fl_realloc(col->validity, newb);
        memset(col->validity + oldb, 0xff, newb - oldb);
    }
    col->cap = cap;
}

fl_err_t fl_col_reserve(struct fl_col *col, size_t rows) {
    col_grow(col, rows);
    return FL_OK;
}

fl_err_t fl_batch_new(const struct fl_schema *schema, size_t cap_hint, struct fl_batch **out,
                      struct fl_error *err) {
    (void)err;
    struct fl_batch *batch = fl_calloc(1, sizeof(*batch));
    batch->schema = schema;
    batch->ncols = schema->nfields;
    batch->cols = fl_calloc(schema->nfields ? (size_t)schema->nfields : 1, sizeof(struct fl_col));
    for (int i = 0; i < schema->nfields; i++) {
        col_init(&batch->cols[i], &schema->fields[i]);
        if (cap_hint) col_grow(&batch->cols[i], cap_hint);
    }
    *out = batch;
    return FL_OK;
}

void fl_batch_free(struct fl_batch *batch) {
    if (!batch) return;
    for (int i = 0; i < batch->ncols; i++) col_fini(&batch->cols[i]);
    fl_free(batch->cols);
    fl_free(batch);
}

static void col_reset(struct fl_col *col) {
    col->len = 0;
    col->null_count = 0;
    if (col->validity) memset(col->validity, 0xff, (col->cap + 7) / 8);
    if (col->offsets) col->offsets[0] = 0;
    fl_buf_reset(&col->heap);
}

void fl_col_reset(struct fl_col *col) { col_reset(col); }

void fl_batch_reset(struct fl_batch *batch) {
    for (int i = 0; i < batch->ncols; i++) col_reset(&batch->cols[i]);
    batch->nrows = 0;
}

/* Room for one more value. */
static inline void col_room(struct fl_col *col) {
    if (col->len >= col->cap) col_grow(col, col->len + 1);
}

fl_err_t fl_col_append_null(struct fl_col *col) {
    col_room(col);
    if (!col->validity) {
        size_t nb = (col->cap + 7) / 8;
        col->validity = fl_malloc(nb);
        memset(col->validity, 0xff, nb);
    }
    size_t i = col->len;
    col->validity[i >> 3] &= (uint8_t) ~(1u << (i & 7));
    if (col->width)
        memset(col->values + i * col->width, 0, col->width);
    else
        col->offsets[i + 1] = col->offsets[i];
    col->null_count++;
    col->len++;
    return FL_OK;
}

#define APPEND_FIXED(fn, ctype)                                                                    \
    fl_err_t fn(struct fl_col *col, ctype v) {                                                     \
        if (col->width != sizeof(ctype)) return FL_ERR_INVALID;                                    \
        col_room(col);                                                                             \
        memcpy(col->values + col->len * sizeof(ctype), &v, sizeof(ctype));                         \
        col->len++;                                                                                \
        return FL_OK;                                                                              \
    }

APPEND_FIXED(fl_col_append_i32, int32_t)
APPEND_FIXED(fl_col_append_i64, int64_t)
APPEND_FIXED(fl_col_append_f32, float)
APPEND_FIXED(fl_col_append_f64, double)
APPEND_FIXED(fl_col_append_i128, __int128)

fl_err_t fl_col_append_bool(struct fl_col *col, bool v) {
    if (col->field->type != FL_TYPE_BOOLEAN) return FL_ERR_INVALID;
    col_room(col);
    col->values[col->len++] = v ? 1 : 0;
    return FL_OK;
}

fl_err_t fl_col_append_bytes(struct fl_col *col, const void *data, size_t len) {
    col_room(col);
    if (col->width) {
        if (len != col->width) return FL_ERR_INVALID;
        memcpy(col->values + col->len * col->width, data, len);
    } else {
        fl_err_t rc = fl_buf_append(&col->heap, data, len);
        if (rc) return rc;
        col->offsets[col->len + 1] = (uint32_t)col->heap.len;
    }
    col->len++;
    return FL_OK;
}

fl_err_t fl_col_append_from(struct fl_col *dst, const struct fl_col *src, size_t row) {
    if (fl_col_is_null(src, row)) return fl_col_append_null(dst);
    if (!src->width) {
        size_t len;
        const uint8_t *p = fl_col_bytes(src, row, &len);
        return fl_col_append_bytes(dst, p, len);
    }
    const uint8_t *p = src->values + row * src->width;
    if (dst->width == src->width) return fl_col_append_bytes(dst, p, src->width);
    if (src->field->type == FL_TYPE_INT && dst->field->type == FL_TYPE_LONG) {
        int32_t v;
        memcpy(&v, p, 4);
        return fl_col_append_i64(dst, v);
    }
    if (src->field->type == FL_TYPE_FLOAT && dst->field->type == FL_TYPE_DOUBLE) {
        float v;
        memcpy(&v, p, 4);
        return fl_col_append_f64(dst, v);
    }
    return FL_ERR_INVALID;
}

fl_err_t fl_col_append_rows(struct fl_col *dst, const struct fl_col *src, size_t start, size_t n) {
    if (dst->width != src->width || (src->width && dst->field->type != src->field->type) ||
        (src->null_count && src->validity)) {
        /* conversions or nulls: value by value */
        for (size_t r = start; r < start + n; r++) {
            fl_err_t rc = fl_col_append_from(dst, src, r);
            if (rc) return rc;
        }
        return FL_OK;
    }
    if (dst->len + n > dst->cap) col_grow(dst, dst->len + n);
    if (src->width) {
        memcpy(dst->values + dst->len * dst->width, src->values + start * src->width,
               n * src->width);
    } else {
        uint32_t base = src->offsets[start], end = src->offsets[start + n];
        size_t at = dst->heap.len;
        if (at + (end - base) > FL_BATCH_HEAP_MAX) return FL_ERR_LIMIT;
        fl_err_t rc =
            fl_buf_append(&dst->heap, src->heap.data ? src->heap.data + base : NULL, end - base);
        if (rc) return rc;
        for (size_t i = 0; i < n; i++)
            dst->offsets[dst->len + i + 1] = (uint32_t)(at + (src->offsets[start + i + 1] - base));
    }
    dst->len += n;
    return FL_OK;
}

fl_err_t fl_batch_end_row(struct fl_batch *batch) {
    for (int i = 0; i < batch->ncols; i++)
        if (batch->cols[i].len != batch->nrows + 1) return FL_ERR_INVALID;
    batch->nrows++;
    return FL_OK;
}

void fl_batch_rollback_row(struct fl_batch *batch) {
    for (int i = 0; i < batch->ncols; i++) {
        struct fl_col *col = &batch->cols[i];
        while (col->len > batch->nrows) {
            size_t r = --col->len;
            if (fl_col_is_null(col, r)) {
                col->validity[r >> 3] |= (uint8_t)(1u << (r & 7));
                col->null_count--;
            }
            if (!col->width) col->heap.len = col->offsets[r];
        }
    }
}

void fl_batch_truncate(struct fl_batch *batch, size_t n) {
    if (n < batch->nrows) batch->nrows = n;
    fl_batch_rollback_row(batch);
}

fl_err_t fl_batch_seal(struct fl_batch *batch) {
    size_t n = batch->ncols ? batch->cols[0].len : 0;
    for (int i = 1; i < batch->ncols; i++)
        if (batch->cols[i].len != n) return FL_ERR_INVALID;
    batch->nrows = n;
    return FL_OK;
}
