/*
 * rows.c - Avro data files into columnar batches (see rows.h): the
 * mapping of the writer schema's flat fields to Iceberg types and field
 * ids, and the copy of each decoded record's values into the columns.
 */
#include "format/avro/rows.h"
#include "batch/project.h"
#include "core/mem.h"
#include "format/avro/container.h"

#include <stdio.h>
#include <string.h>

struct fl_avro_rows {
    struct fl_avro_reader *rd;
    struct fl_schema *schema;  /* the file's flat fields */
    size_t *src;               /* schema field -> index in the Avro record */
    struct fl_batch_proj proj; /* the batch's columns */
    bool done;
};

/* The Iceberg type of a (non-union) Avro node, false when there is none. */
static bool map_type(const struct fl_avro_node *t, struct fl_field *f) {
    switch (t->type) {
    case FL_AVRO_BOOLEAN:
        f->type = FL_TYPE_BOOLEAN;
        return true;
    case FL_AVRO_INT:
        f->type = t->logical == FL_AVRO_LT_DATE          ? FL_TYPE_DATE
                  : t->logical == FL_AVRO_LT_TIME_MILLIS ? FL_TYPE_TIME
                                                         : FL_TYPE_INT;
        return true;
    case FL_AVRO_LONG:
        switch (t->logical) {
        case FL_AVRO_LT_TIME_MICROS:
            f->type = FL_TYPE_TIME;
            break;
        case FL_AVRO_LT_TIMESTAMP_MILLIS:
        case FL_AVRO_LT_TIMESTAMP_MICROS:
        case FL_AVRO_LT_TIMESTAMP_NANOS:
            f->type = t->adjust_to_utc ? FL_TYPE_TIMESTAMPTZ : FL_TYPE_TIMESTAMP;
            break;
        default:
            f->type = FL_TYPE_LONG;
        }
        return true;
    case FL_AVRO_FLOAT:
        f->type = FL_TYPE_FLOAT;
        return true;
    case FL_AVRO_DOUBLE:
        f->type = FL_TYPE_DOUBLE;
        return true;
    case FL_AVRO_STRING:
        f->type = FL_TYPE_STRING;
        return true;
    case FL_AVRO_BYTES:
    case FL_AVRO_FIXED:
        if (t->logical == FL_AVRO_LT_DECIMAL) {
            if (t->precision < 1 || t->precision > 38 || t->scale < 0 || t->scale > t->precision)
                return false;
            f->type = FL_TYPE_DECIMAL;
            f->precision = t->precision;
            f->scale = t->scale;
        } else if (t->type == FL_AVRO_FIXED && t->logical == FL_AVRO_LT_UUID && t->size == 16) {
            f->type = FL_TYPE_UUID;
        } else if (t->type == FL_AVRO_FIXED) {
            if (t->size < 1 || t->size > INT32_MAX) return false;
            f->type = FL_TYPE_FIXED;
            f->length = (int32_t)t->size;
        } else {
            f->type = FL_TYPE_BINARY;
        }
        return true;
    default:
        return false;
    }
}

fl_err_t fl_avro_rows_open(const uint8_t *data, size_t len, struct fl_avro_rows **out,
                           struct fl_error *err) {
    struct fl_avro_rows *r = fl_calloc(1, sizeof(*r));
    fl_err_t rc = fl_avro_reader_open(data, len, NULL, &r->rd, err);
    if (rc) {
        fl_free(r);
        return rc;
    }
    const struct fl_avro_node *root = fl_avro_schema_root(fl_avro_reader_schema(r->rd));
    if (root->type != FL_AVRO_RECORD) {
        rc = fl_errf(err, FL_ERR_UNSUPPORTED, "avro: the file's schema is a %s, not a record",
                     fl_avro_type_name(root->type));
        fl_avro_rows_free(r);
        return rc;
    }
    bool ids = true;
    for (size_t i = 0; i < root->nfields; i++)
        if (root->fields[i].field_id == FL_AVRO_NO_ID || root->fields[i].field_id < 0) ids = false;
    r->schema = fl_calloc(1, sizeof(*r->schema));
    r->schema->fields = fl_calloc(root->nfields + 1, sizeof(struct fl_field));
    r->src = fl_calloc(root->nfields + 1, sizeof(size_t));
    for (size_t i = 0; i < root->nfields; i++) {
        const struct fl_avro_field *af = &root->fields[i];
        const struct fl_avro_node *t = fl_avro_node_nonnull(af->type);
        struct fl_field f = {.id = ids ? af->field_id : (int32_t)i + 1};
        f.required = af->type->type != FL_AVRO_UNION;
        if (t->type == FL_AVRO_UNION || !map_type(t, &f)) continue; /* nested: left out */
        if (fl_schema_index_by_id(r->schema, f.id) >= 0) {
            fl_avro_rows_free(r);
            return fl_errf(err, FL_ERR_CORRUPT, "avro: field id %d appears twice", (int)f.id);
        }
        f.name = fl_strdup(af->name);
        r->src[r->schema->nfields] = i;
        r->schema->fields[r->schema->nfields++] = f;
    }
    rc = fl_batch_proj_set(&r->proj, r->schema, NULL, 0, FL_AVRO_ROWS_BATCH, "avro", err);
    if (rc) {
        fl_avro_rows_free(r);
        return rc;
    }
    *out = r;
    return FL_OK;
}

void fl_avro_rows_free(struct fl_avro_rows *r) {
    if (!r) return;
    fl_avro_reader_free(r->rd);
    fl_schema_free(r->schema);
    fl_free(r->src);
    fl_batch_proj_fini(&r->proj);
    fl_free(r);
}

const struct fl_schema *fl_avro_rows_schema(const struct fl_avro_rows *r) { return r->schema; }

fl_err_t fl_avro_rows_project_ids(struct fl_avro_rows *r, const int32_t *ids, int n,
                                  struct fl_error *err) {
    return fl_batch_proj_set(&r->proj, r->schema, ids, n, FL_AVRO_ROWS_BATCH, "avro", err);
}

/* Big-endian two's complement of 1..16 bytes. */
static __int128 be_signed(const uint8_t *p, size_t n) {
    __int128 v = (p[0] & 0x80) ? -1 : 0;
    for (size_t i = 0; i < n; i++) v = (__int128)(((unsigned __int128)v << 8) | p[i]);
    return v;
}

static fl_err_t append_value(struct fl_col *col, const struct fl_avro_value *v) {
    if (fl_avro_value_is_null(v)) return fl_col_append_null(col);
    const struct fl_avro_node *t = v->type;
    switch (col->field->type) {
    case FL_TYPE_BOOLEAN:
        return fl_col_append_bool(col, v->u.b);
    case FL_TYPE_INT:
    case FL_TYPE_DATE:
        return fl_col_append_i32(col, v->u.i);
    case FL_TYPE_TIME:
        return fl_col_append_i64(col, t->type == FL_AVRO_INT ? (int64_t)v->u.i * 1000 : v->u.l);
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ: {
        int64_t x = v->u.l;
        if (t->logical == FL_AVRO_LT_TIMESTAMP_MILLIS) {
            if (x > INT64_MAX / 1000 || x < INT64_MIN / 1000) return FL_ERR_RANGE;
            x *= 1000;
        } else if (t->logical == FL_AVRO_LT_TIMESTAMP_NANOS) {
            x = x / 1000 - (x % 1000 < 0); /* floored, as the Parquet reader does */
        }
        return fl_col_append_i64(col, x);
    }
    case FL_TYPE_LONG:
        return fl_col_append_i64(col, v->u.l);
    case FL_TYPE_FLOAT:
        return fl_col_append_f32(col, v->u.f);
    case FL_TYPE_DOUBLE:
        return fl_col_append_f64(col, v->u.d);
    case FL_TYPE_DECIMAL:
        if (v->u.bytes.len == 0) return fl_col_append_i128(col, 0);
        if (v->u.bytes.len > 16) return FL_ERR_RANGE;
        return fl_col_append_i128(col, be_signed(v->u.bytes.data, v->u.bytes.len));
    default:
        return fl_col_append_bytes(col, v->u.bytes.data, v->u.bytes.len);
    }
}

fl_err_t fl_avro_rows_next(struct fl_avro_rows *r, struct fl_batch **out, struct fl_error *err) {
    fl_batch_reset(r->proj.batch);
    while (!r->done && r->proj.batch->nrows < FL_AVRO_ROWS_BATCH) {
        const struct fl_avro_value *rec = NULL;
        fl_err_t rc = fl_avro_reader_next(r->rd, &rec, err);
        if (rc == FL_ERR_EOF) {
            r->done = true;
            break;
        }
        if (rc) return rc;
        for (int c = 0; c < r->proj.batch->ncols && !rc; c++) {
            size_t k = r->src[r->proj.idx[c]];
            if (k >= rec->n) {
                rc = FL_ERR_CORRUPT;
                break;
            }
            rc = append_value(&r->proj.batch->cols[c], &rec->u.items[k]);
        }
        if (!rc) rc = fl_batch_end_row(r->proj.batch);
        if (rc) {
            fl_batch_rollback_row(r->proj.batch);
            return fl_errf(err, rc, "avro: record %zu does not fit its column types",
                           r->proj.batch->nrows);
        }
    }
    if (r->proj.batch->nrows == 0) return FL_ERR_EOF;
    *out = r->proj.batch;
    return FL_OK;
}
