/*
 * fileread.c - the dispatch of data and delete file reads on the
 * manifest's file_format: Parquet (format/parquet/reader.h), Avro
 * (format/avro/rows.h) and ORC (format/orc/reader.h) behind one reader.
 */
#include "iceberg/fileread.h"
#include "core/mem.h"
#include "format/avro/rows.h"
#include "format/orc/reader.h"

#include <jansson.h>
#include <string.h>

typedef enum { FMT_PARQUET, FMT_AVRO, FMT_ORC } fmt_t;

struct fl_ice_file_reader {
    fmt_t fmt;
    struct fl_pq_reader *pq;
    struct fl_avro_rows *avro;
    struct fl_orc_reader *orc;
};

fl_err_t fl_ice_file_reader_open(const char *format, const uint8_t *data, size_t len,
                                 struct fl_ice_file_reader **out, struct fl_error *err) {
    struct fl_ice_file_reader *r = fl_calloc(1, sizeof(*r));
    fl_err_t rc;
    const char *f = format ? format : "PARQUET"; /* v1 manifests of old writers may omit it */
    if (!strcmp(f, "PARQUET")) {
        r->fmt = FMT_PARQUET;
        rc = fl_pq_reader_open_mem(data, len, &r->pq, err);
    } else if (!strcmp(f, "AVRO")) {
        r->fmt = FMT_AVRO;
        rc = fl_avro_rows_open(data, len, &r->avro, err);
    } else if (!strcmp(f, "ORC")) {
        r->fmt = FMT_ORC;
        rc = fl_orc_reader_open_mem(data, len, &r->orc, err);
    } else {
        rc = fl_errf(err, FL_ERR_UNSUPPORTED,
                     "file_format %s is not one floe reads (PARQUET, AVRO, ORC)", f);
        fl_free(r);
        return rc;
    }
    if (rc) {
        fl_err_prefix(err, "file_format %s", f);
        fl_ice_file_reader_free(r);
        return rc;
    }
    *out = r;
    return FL_OK;
}

void fl_ice_file_reader_free(struct fl_ice_file_reader *r) {
    if (!r) return;
    fl_pq_reader_free(r->pq);
    fl_avro_rows_free(r->avro);
    fl_orc_reader_free(r->orc);
    fl_free(r);
}

const struct fl_schema *fl_ice_file_reader_schema(const struct fl_ice_file_reader *r) {
    switch (r->fmt) {
    case FMT_AVRO:
        return fl_avro_rows_schema(r->avro);
    case FMT_ORC:
        return fl_orc_reader_schema(r->orc);
    default:
        return fl_pq_reader_schema(r->pq);
    }
}

fl_err_t fl_ice_file_reader_project_ids(struct fl_ice_file_reader *r, const int32_t *ids, int n,
                                        struct fl_error *err) {
    switch (r->fmt) {
    case FMT_AVRO:
        return fl_avro_rows_project_ids(r->avro, ids, n, err);
    case FMT_ORC:
        return fl_orc_reader_project_ids(r->orc, ids, n, err);
    default:
        return fl_pq_reader_project_ids(r->pq, ids, n, err);
    }
}

fl_err_t fl_ice_file_reader_add_pred(struct fl_ice_file_reader *r, const struct fl_pq_pred *pred,
                                     struct fl_error *err) {
    return r->fmt == FMT_PARQUET ? fl_pq_reader_add_pred(r->pq, pred, err) : FL_OK;
}

fl_err_t fl_ice_file_reader_nested_target(struct fl_ice_file_reader *r, int32_t id,
                                          const struct fl_field *target, struct fl_error *err) {
    if (r->fmt == FMT_PARQUET) return fl_pq_reader_nested_target(r->pq, id, target, err);
    if (r->fmt == FMT_ORC) return fl_orc_reader_nested_target(r->orc, id, target, err);
    return fl_avro_rows_nested_target(r->avro, id, target, err);
}

fl_err_t fl_ice_file_reader_next(struct fl_ice_file_reader *r, struct fl_batch **out,
                                 struct fl_error *err) {
    switch (r->fmt) {
    case FMT_AVRO:
        return fl_avro_rows_next(r->avro, out, err);
    case FMT_ORC:
        return fl_orc_reader_next(r->orc, out, err);
    default:
        return fl_pq_reader_next(r->pq, out, err);
    }
}

void fl_ice_file_reader_stats(const struct fl_ice_file_reader *r, struct fl_pq_read_stats *out) {
    memset(out, 0, sizeof(*out));
    if (r->fmt == FMT_PARQUET) fl_pq_reader_stats(r->pq, out);
    if (r->fmt == FMT_ORC) fl_orc_reader_stats(r->orc, &out->row_groups_read, &out->rows_read);
}

static bool field_has(const struct fl_field *f, int32_t id) {
    for (int i = 0; i < f->nchildren; i++)
        if (f->children[i].id == id || field_has(&f->children[i], id)) return true;
    return false;
}

/* Whether id is a member of one of the table's nested fields. */
static bool nested_has(const struct fl_schema *s, int32_t id) {
    for (int k = 0; k < s->nfields; k++)
        if (field_has(&s->fields[k], id)) return true;
    return false;
}

/* The id the name mapping (a JSON array of {"field-id", "names",
 * "fields"}) gives top-level name, or 0. */
static int32_t mapped_id(json_t *mapping, const char *name) {
    size_t i, j;
    json_t *e, *n;
    json_array_foreach(mapping, i, e) {
        json_t *id = json_object_get(e, "field-id");
        json_array_foreach(json_object_get(e, "names"), j, n) {
            if (json_is_string(n) && !strcmp(json_string_value(n), name) && json_is_integer(id) &&
                json_integer_value(id) > 0 && json_integer_value(id) <= INT32_MAX)
                return (int32_t)json_integer_value(id);
        }
    }
    return 0;
}

fl_err_t fl_ice_file_reader_resolve_names(struct fl_ice_file_reader *r,
                                          const struct fl_schema *table, const char *mapping,
                                          struct fl_error *err) {
    if (r->fmt != FMT_ORC || fl_orc_reader_has_ids(r->orc)) return FL_OK;
    const struct fl_schema *fs = fl_orc_reader_schema(r->orc);
    json_t *m = mapping ? json_loads(mapping, 0, NULL) : NULL;
    if (mapping && !json_is_array(m)) {
        json_decref(m);
        return fl_errf(err, FL_ERR_CORRUPT,
                       "table property schema.name-mapping.default is not a JSON array");
    }
    if (!m) return FL_OK; /* no mapping: ids by position, as Impala assigns them */
    int32_t *ids = fl_calloc((size_t)fs->nfields + 1, sizeof(int32_t));
    for (int k = 0; k < fs->nfields; k++) {
        int32_t id = mapped_id(m, fs->fields[k].name);
        if (id > 0 && fl_schema_index_by_id(table, id) < 0 && nested_has(table, id)) {
            /* a top-level column mapped to the id of a member: the mapping
             * contradicts the schema (Hive's migration writes some with
             * another numbering), so the table's field of that name. An id
             * found nowhere is a dropped column: left out, read as null. */
            int ti = fl_schema_index_by_name(table, fs->fields[k].name);
            id = ti >= 0 ? table->fields[ti].id : 0;
        }
        for (int j = 0; j < k && id > 0; j++)
            if (ids[j] == id) id = 0; /* two columns mapped to one id: neither guessed twice */
        ids[k] = id;
    }
    json_decref(m);
    fl_err_t rc = fl_orc_reader_set_ids(r->orc, ids, err);
    fl_free(ids);
    return rc;
}
