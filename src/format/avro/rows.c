/*
 * rows.c - Avro data files into columnar batches (see rows.h): the
 * mapping of the writer schema's flat fields to Iceberg types and field
 * ids, and the copy of each decoded record's values into the columns.
 */
#include "format/avro/rows.h"
#include "batch/project.h"
#include "batch/batch_json.h"
#include "core/mem.h"
#include "format/avro/container.h"

#include <stdio.h>
#include <string.h>

/* A member of a nested field: its Iceberg field and how its Avro values
 * look (an Iceberg map may be an Avro map or an array of key/value
 * records). */
struct anode {
    const struct fl_field *f; /* in r->schema */
    bool file_id;             /* f->id came from the file (else members match by name) */
    bool kv_array;            /* map written as an array of {key, value} records */
    int leaf;                 /* primitive: its column in r->leaf_batch */
    struct anode *kids;       /* struct members, list element, map key and value */
};

struct fl_avro_rows {
    struct fl_avro_reader *rd;
    struct fl_schema *schema;        /* the file's fields */
    size_t *src;                     /* schema field -> index in the Avro record */
    struct anode *nested;            /* schema field -> its members (nested fields only) */
    struct fl_batch_proj proj;       /* the batch's columns */
    const struct fl_field **targets; /* batch column -> table field to shape it after */
    struct fl_schema *leaf_schema;   /* every primitive member, one value at a time */
    struct fl_batch *leaf_batch;
    struct fl_buf json;
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

#define MAX_DEPTH 32
#define MAX_MEMBERS 10000

static void field_free(struct fl_field *f) {
    for (int i = 0; i < f->nchildren; i++) field_free(&f->children[i]);
    fl_free(f->children);
    fl_free(f->name);
    memset(f, 0, sizeof(*f));
}

static void anode_free(struct anode *a, const struct fl_field *f) {
    for (int i = 0; a->kids && i < f->nchildren; i++) anode_free(&a->kids[i], &f->children[i]);
    fl_free(a->kids);
    a->kids = NULL;
}

/* Types Avro node n (maybe a union with null) as f (name and id set by
 * the caller), members too: record -> struct, array -> list, map and
 * Iceberg's array of key/value records -> map. Members without ids are
 * numbered from *next. false for what Iceberg's Avro mapping has no type
 * for (f is then empty but for its name). */
static bool build_field(const struct fl_avro_node *n, int32_t *next, int depth, int *budget,
                        struct fl_field *f) {
    const struct fl_avro_node *t = fl_avro_node_nonnull(n);
    f->required = n->type != FL_AVRO_UNION;
    if (t->type == FL_AVRO_UNION || --*budget < 0 || depth > MAX_DEPTH) return false;
    const struct fl_avro_node *kv =
        t->type == FL_AVRO_ARRAY ? fl_avro_node_nonnull(t->items) : NULL;
    bool kv_array =
        kv && t->logical == FL_AVRO_LT_MAP && kv->type == FL_AVRO_RECORD && kv->nfields == 2;
    int nk;
    if (t->type == FL_AVRO_RECORD) {
        f->type = FL_TYPE_STRUCT;
        nk = (int)t->nfields;
    } else if (t->type == FL_AVRO_ARRAY) {
        f->type = kv_array ? FL_TYPE_MAP : FL_TYPE_LIST;
        nk = kv_array ? 2 : 1;
    } else if (t->type == FL_AVRO_MAP) {
        f->type = FL_TYPE_MAP;
        nk = 2;
    } else {
        return map_type(t, f);
    }
    f->children = fl_calloc((size_t)nk + 1, sizeof(struct fl_field));
    for (int k = 0; k < nk; k++) {
        struct fl_field *c = &f->children[k];
        const struct fl_avro_node *cn;
        int32_t id;
        if (t->type == FL_AVRO_RECORD || kv_array) {
            const struct fl_avro_field *af = kv_array ? &kv->fields[k] : &t->fields[k];
            cn = af->type;
            id = af->field_id;
            c->name = fl_strdup(kv_array ? (k ? "value" : "key") : af->name);
        } else if (t->type == FL_AVRO_ARRAY) {
            cn = t->items;
            id = t->element_id;
            c->name = fl_strdup("element");
        } else {
            static const struct fl_avro_node string_node = {.type = FL_AVRO_STRING};
            cn = k ? t->items : &string_node;
            id = k ? t->value_id : t->key_id;
            c->name = fl_strdup(k ? "value" : "key");
        }
        c->id = id >= 0 ? id : (*next)++;
        f->nchildren = k + 1;
        if (!build_field(cn, next, depth + 1, budget, c)) {
            char *name = f->name;
            f->name = NULL;
            field_free(f);
            f->name = name;
            return false;
        }
    }
    if (f->type == FL_TYPE_MAP && !fl_type_is_primitive(f->children[0].type)) {
        char *name = f->name;
        f->name = NULL;
        field_free(f);
        f->name = name;
        return false; /* keys are printed as JSON scalars */
    }
    return true;
}

/* The members of field f (built from Avro node n) as anodes. */
static void build_anode(const struct fl_avro_node *n, const struct fl_field *f, struct anode *a) {
    const struct fl_avro_node *t = fl_avro_node_nonnull(n);
    a->f = f;
    a->file_id = true;
    if (!f->nchildren) return;
    const struct fl_avro_node *kv =
        t->type == FL_AVRO_ARRAY ? fl_avro_node_nonnull(t->items) : NULL;
    a->kv_array = t->type == FL_AVRO_ARRAY && f->type == FL_TYPE_MAP;
    a->kids = fl_calloc((size_t)f->nchildren, sizeof(struct anode));
    for (int k = 0; k < f->nchildren; k++) {
        static const struct fl_avro_node string_node = {.type = FL_AVRO_STRING};
        const struct fl_avro_node *cn;
        bool has_id;
        if (t->type == FL_AVRO_RECORD || a->kv_array) {
            const struct fl_avro_field *af = a->kv_array ? &kv->fields[k] : &t->fields[k];
            cn = af->type;
            has_id = af->field_id >= 0;
        } else if (t->type == FL_AVRO_ARRAY) {
            cn = t->items;
            has_id = t->element_id >= 0;
        } else {
            cn = k ? t->items : &string_node;
            has_id = (k ? t->value_id : t->key_id) >= 0;
        }
        build_anode(cn, &f->children[k], &a->kids[k]);
        a->kids[k].file_id = has_id;
    }
}

/* Gives each primitive member under a a column of r->leaf_schema. */
static void add_leaves(struct fl_avro_rows *r, struct anode *a, int *cap) {
    if (fl_type_is_primitive(a->f->type)) {
        if (r->leaf_schema->nfields == *cap) {
            *cap *= 2;
            r->leaf_schema->fields =
                fl_reallocarray(r->leaf_schema->fields, (size_t)*cap, sizeof(struct fl_field));
        }
        a->leaf = r->leaf_schema->nfields;
        r->leaf_schema->fields[r->leaf_schema->nfields++] =
            (struct fl_field){.id = a->f->id,
                              .type = a->f->type,
                              .precision = a->f->precision,
                              .scale = a->f->scale,
                              .length = a->f->length};
        return;
    }
    for (int k = 0; k < a->f->nchildren; k++) add_leaves(r, &a->kids[k], cap);
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
    fl_buf_init(&r->json, FL_BATCH_HEAP_MAX);
    r->schema = fl_calloc(1, sizeof(*r->schema));
    r->schema->fields = fl_calloc(root->nfields + 1, sizeof(struct fl_field));
    r->src = fl_calloc(root->nfields + 1, sizeof(size_t));
    int32_t next = (int32_t)root->nfields + 1;
    for (size_t i = 0; i < root->nfields && ids; i++)
        if (root->fields[i].field_id >= next && root->fields[i].field_id < INT32_MAX)
            next = root->fields[i].field_id + 1;
    for (size_t i = 0; i < root->nfields; i++) {
        const struct fl_avro_field *af = &root->fields[i];
        struct fl_field f = {.id = ids ? af->field_id : (int32_t)i + 1};
        int budget = MAX_MEMBERS;
        f.name = fl_strdup(af->name);
        if (!build_field(af->type, &next, 0, &budget, &f)) {
            field_free(&f); /* a union of several types: left out */
            continue;
        }
        if (fl_schema_index_by_id(r->schema, f.id) >= 0) {
            field_free(&f);
            fl_avro_rows_free(r);
            return fl_errf(err, FL_ERR_CORRUPT, "avro: field id %d appears twice", (int)f.id);
        }
        r->src[r->schema->nfields] = i;
        r->schema->fields[r->schema->nfields++] = f;
    }
    /* members of nested fields: their shapes, and a column for each leaf */
    r->nested = fl_calloc((size_t)r->schema->nfields + 1, sizeof(struct anode));
    for (int k = 0; k < r->schema->nfields; k++)
        build_anode(root->fields[r->src[k]].type, &r->schema->fields[k], &r->nested[k]);
    r->leaf_schema = fl_calloc(1, sizeof(*r->leaf_schema));
    r->leaf_schema->fields = fl_calloc(64, sizeof(struct fl_field));
    int leafcap = 64;
    for (int k = 0; k < r->schema->nfields; k++)
        if (!fl_type_is_primitive(r->schema->fields[k].type))
            add_leaves(r, &r->nested[k], &leafcap);
    rc = fl_batch_new(r->leaf_schema, 1, &r->leaf_batch, err);
    if (rc) {
        fl_avro_rows_free(r);
        return rc;
    }
    rc = fl_avro_rows_project_ids(r, NULL, 0, err);
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
    for (int k = 0; r->nested && k < r->schema->nfields; k++)
        anode_free(&r->nested[k], &r->schema->fields[k]);
    fl_free(r->nested);
    fl_schema_free(r->schema);
    fl_free(r->src);
    fl_free(r->targets);
    fl_batch_free(r->leaf_batch);
    fl_schema_free(r->leaf_schema);
    fl_buf_fini(&r->json);
    fl_batch_proj_fini(&r->proj);
    fl_free(r);
}

const struct fl_schema *fl_avro_rows_schema(const struct fl_avro_rows *r) { return r->schema; }

fl_err_t fl_avro_rows_project_ids(struct fl_avro_rows *r, const int32_t *ids, int n,
                                  struct fl_error *err) {
    fl_err_t rc = fl_batch_proj_set(&r->proj, r->schema, ids, n, FL_AVRO_ROWS_BATCH, "avro", err);
    if (rc) return rc;
    fl_free(r->targets);
    r->targets = fl_calloc((size_t)r->proj.batch->ncols + 1, sizeof(*r->targets));
    return FL_OK;
}

fl_err_t fl_avro_rows_nested_target(struct fl_avro_rows *r, int32_t id,
                                    const struct fl_field *target, struct fl_error *err) {
    for (int c = 0; c < r->proj.batch->ncols; c++)
        if (r->proj.schema->fields[c].id == id &&
            !fl_type_is_primitive(r->proj.schema->fields[c].type)) {
            r->targets[c] = target;
            return FL_OK;
        }
    return fl_errf(err, FL_ERR_NOTFOUND, "avro: no nested column of field id %d is projected",
                   (int)id);
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

static const struct fl_field *tchild(const struct fl_field *t, fl_type_id_t type, int i) {
    return t && t->type == type && t->nchildren > i ? &t->children[i] : NULL;
}

/* Whether member a is the target's member tc: by id, or by name when the
 * file has no ids. */
static bool member_is(const struct anode *a, const struct fl_field *tc) {
    return a->file_id ? a->f->id == tc->id : strcmp(a->f->name, tc->name) == 0;
}

/* Appends value v of member a as JSON to out, shaped after the table's
 * field t (NULL: the file's shape). */
static fl_err_t emit(struct fl_avro_rows *r, const struct anode *a, const struct fl_avro_value *v,
                     const struct fl_field *t, struct fl_buf *out) {
    if (fl_avro_value_is_null(v)) return fl_buf_append_str(out, "null");
    const struct fl_field *f = a->f;
    fl_err_t rc = FL_OK;
    if (fl_type_is_primitive(f->type)) {
        struct fl_col *col = &r->leaf_batch->cols[a->leaf];
        fl_col_reset(col);
        rc = append_value(col, v);
        return rc ? rc : fl_col_value_to_json(col, 0, out);
    }
    if (f->type == FL_TYPE_STRUCT) {
        if (t && t->type != FL_TYPE_STRUCT) t = NULL;
        if (v->n != (size_t)f->nchildren) return FL_ERR_CORRUPT;
        int n = t ? t->nchildren : f->nchildren;
        rc = fl_buf_append_u8(out, '{');
        for (int j = 0; j < n && !rc; j++) {
            const struct fl_field *tc = t ? &t->children[j] : NULL;
            int kid = t ? -1 : j;
            for (int m = 0; t && m < f->nchildren && kid < 0; m++)
                if (member_is(&a->kids[m], tc)) kid = m;
            const char *name = tc ? tc->name : f->children[kid].name;
            if (j) rc = fl_buf_append_u8(out, ',');
            if (!rc) rc = fl_json_put_string(out, (const uint8_t *)name, strlen(name));
            if (!rc) rc = fl_buf_append_u8(out, ':');
            if (!rc)
                rc = kid < 0 ? fl_buf_append_str(out, "null")
                             : emit(r, &a->kids[kid], &v->u.items[kid], tc, out);
        }
        return rc ? rc : fl_buf_append_u8(out, '}');
    }
    if (f->type == FL_TYPE_LIST) {
        rc = fl_buf_append_u8(out, '[');
        for (size_t i = 0; i < v->n && !rc; i++) {
            if (i) rc = fl_buf_append_u8(out, ',');
            if (!rc) rc = emit(r, &a->kids[0], &v->u.items[i], tchild(t, FL_TYPE_LIST, 0), out);
        }
        return rc ? rc : fl_buf_append_u8(out, ']');
    }
    bool obj = f->children[0].type == FL_TYPE_STRING;
    rc = fl_buf_append_u8(out, obj ? '{' : '[');
    for (size_t i = 0; i < v->n && !rc; i++) {
        const struct fl_avro_value *k, *val;
        if (a->kv_array) {
            const struct fl_avro_value *e = &v->u.items[i];
            if (fl_avro_value_is_null(e) || e->n != 2) return FL_ERR_CORRUPT;
            k = &e->u.items[0];
            val = &e->u.items[1];
        } else {
            k = &v->u.map.keys[i];
            val = &v->u.map.values[i];
        }
        if (fl_avro_value_is_null(k)) return FL_ERR_CORRUPT; /* a map key is never null */
        if (i) rc = fl_buf_append_u8(out, ',');
        if (!rc && !obj) rc = fl_buf_append_str(out, "{\"key\":");
        if (!rc) rc = emit(r, &a->kids[0], k, tchild(t, FL_TYPE_MAP, 0), out);
        if (!rc) rc = fl_buf_append_str(out, obj ? ":" : ",\"value\":");
        if (!rc) rc = emit(r, &a->kids[1], val, tchild(t, FL_TYPE_MAP, 1), out);
        if (!rc && !obj) rc = fl_buf_append_u8(out, '}');
    }
    return rc ? rc : fl_buf_append_u8(out, obj ? '}' : ']');
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
            int fi = r->proj.idx[c];
            struct fl_col *col = &r->proj.batch->cols[c];
            if (fl_type_is_primitive(r->schema->fields[fi].type)) {
                rc = append_value(col, &rec->u.items[k]);
            } else if (fl_avro_value_is_null(&rec->u.items[k])) {
                rc = fl_col_append_null(col);
            } else {
                fl_buf_reset(&r->json);
                rc = emit(r, &r->nested[fi], &rec->u.items[k], r->targets[c], &r->json);
                if (!rc) rc = fl_col_append_bytes(col, r->json.data, r->json.len);
            }
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
