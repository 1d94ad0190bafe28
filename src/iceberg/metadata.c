/*
 * metadata.c - Iceberg table metadata JSON: parse, build, change, print.
 *
 * The jansson document is the source of truth; the typed views in
 * struct fl_ice_meta point into it (strings) or are built from it
 * (schemas, specs, snapshots) by rebuild(), which runs after parsing and
 * after every change. 64-bit ids stay exact: jansson keeps integers as
 * long long. Every integer member is read with fl_ice_json_i64 here, so
 * one of another type (the string "123") is an error naming it, from
 * whichever engine wrote the file; the lookups after rebuild
 * (fl_ice_doc_i64) read only members it has checked.
 */
#include "iceberg/metadata_int.h"
#include "core/mem.h"
#include "core/uuid.h"
#include "iceberg/json_member.h"

#include <jansson.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>

#define DOC(meta) FL_ICE_DOC(meta)
#define FL_ICE_META_MAX (256 << 20)

static void views_free(struct fl_ice_meta *meta) {
    for (int i = 0; i < meta->nschemas; i++) fl_schema_free(meta->schemas[i]);
    fl_free(meta->schemas);
    for (int i = 0; i < meta->nspecs; i++) fl_ice_spec_free(meta->specs[i]);
    fl_free(meta->specs);
    fl_free(meta->snapshots);
    meta->schemas = NULL;
    meta->specs = NULL;
    meta->snapshots = NULL;
    meta->nschemas = meta->nspecs = meta->nsnapshots = 0;
}

void fl_ice_meta_free(struct fl_ice_meta *meta) {
    if (!meta) return;
    views_free(meta);
    json_decref(DOC(meta));
    fl_free(meta);
}

#define WHAT "table metadata"

/* d[key], a required integer member of the metadata. */
static fl_err_t need_int(json_t *d, const char *key, int64_t *v, struct fl_error *err) {
    return fl_ice_json_i64(d, WHAT, key, FL_ICE_JSON_REQUIRED, 0, v, err);
}

/* d[key], an optional one (dflt when absent). */
static fl_err_t opt_int(json_t *d, const char *key, int64_t dflt, int64_t *v,
                        struct fl_error *err) {
    return fl_ice_json_i64(d, WHAT, key, FL_ICE_JSON_OPTIONAL, dflt, v, err);
}

/* Checks the members fl_ice_meta_ref and fl_ice_meta_snapshot_at read
 * later: each ref's and each snapshot-log entry's integers. */
static fl_err_t check_refs_and_log(json_t *d, struct fl_error *err) {
    const char *name;
    json_t *r, *log = json_object_get(d, "snapshot-log");
    int64_t v;
    fl_err_t rc = FL_OK;
    json_object_foreach(json_object_get(d, "refs"), name, r) {
        char what[96];
        snprintf(what, sizeof(what), WHAT ": ref %.60s", name);
        if ((rc = fl_ice_json_i64(r, what, "snapshot-id", FL_ICE_JSON_REQUIRED, 0, &v, err)))
            return rc;
    }
    for (size_t i = 0; i < json_array_size(log); i++) {
        json_t *e = json_array_get(log, i);
        rc = fl_ice_json_i64(e, WHAT ": snapshot-log", "snapshot-id", FL_ICE_JSON_REQUIRED, 0, &v,
                             err);
        if (!rc)
            rc = fl_ice_json_i64(e, WHAT ": snapshot-log", "timestamp-ms", FL_ICE_JSON_REQUIRED, 0,
                                 &v, err);
        if (rc) return rc;
    }
    return FL_OK;
}

static fl_err_t parse_schema_json(json_t *js, struct fl_schema **out, struct fl_error *err) {
    char *text = json_dumps(js, JSON_COMPACT);
    if (!text) return fl_errf(err, FL_ERR_INVALID, "table metadata: schema is not an object");
    fl_err_t rc = fl_schema_parse(text, strlen(text), out, err);
    free(text);
    return rc;
}

static fl_err_t parse_spec_json(json_t *js, struct fl_ice_spec **out, struct fl_error *err) {
    char *text = json_dumps(js, JSON_COMPACT);
    if (!text) return fl_errf(err, FL_ERR_INVALID, "table metadata: bad partition spec");
    fl_err_t rc = fl_ice_spec_parse(text, strlen(text), out, err);
    free(text);
    return rc;
}

/* Rebuilds the typed views from the document and checks its invariants. */
fl_err_t fl_ice_meta_rebuild(struct fl_ice_meta *meta, struct fl_error *err) {
    json_t *d = DOC(meta);
    fl_err_t rc;
    int64_t v = 0;
    views_free(meta);
    if (!json_is_object(d))
        return fl_errf(err, FL_ERR_INVALID, "table metadata is not a JSON object");
    if ((rc = need_int(d, "format-version", &v, err))) return rc;
    if (v < 1 || v > 3)
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "table metadata format-version %lld is not supported (1, 2 or 3)",
                       (long long)v);
    meta->format_version = (int)v;
    const char *uuid = json_string_value(json_object_get(d, "table-uuid"));
    snprintf(meta->table_uuid, sizeof(meta->table_uuid), "%s", uuid ? uuid : "");
    if (meta->format_version >= 2 && !uuid)
        return fl_errf(err, FL_ERR_INVALID,
                       "table metadata: \"table-uuid\" is required in format 2");
    meta->location = json_string_value(json_object_get(d, "location"));
    if (!meta->location)
        return fl_errf(err, FL_ERR_INVALID, "table metadata: \"location\" is required");
    if (meta->format_version >= 2) {
        /* fields format 2 makes required, which v1 readers may default */
        static const char *const v2_required[] = {"last-sequence-number", "schemas",
                                                  "current-schema-id",    "partition-specs",
                                                  "default-spec-id",      "last-partition-id",
                                                  "sort-orders",          "default-sort-order-id"};
        for (size_t i = 0; i < sizeof(v2_required) / sizeof(v2_required[0]); i++)
            if (!json_object_get(d, v2_required[i]))
                return fl_errf(err, FL_ERR_INVALID,
                               "table metadata: \"%s\" is required in format 2", v2_required[i]);
    }
    if ((rc = opt_int(d, "last-sequence-number", 0, &meta->last_sequence_number, err))) return rc;
    if ((rc = opt_int(d, "next-row-id", 0, &meta->next_row_id, err))) return rc;
    if (meta->next_row_id < 0)
        return fl_errf(err, FL_ERR_INVALID, "table metadata: next-row-id %lld is negative",
                       (long long)meta->next_row_id);
    if ((rc = need_int(d, "last-updated-ms", &meta->last_updated_ms, err))) return rc;
    if ((rc = need_int(d, "last-column-id", &v, err))) return rc;
    meta->last_column_id = (int32_t)v;

    /* schemas: v2 list, or v1's single "schema" */
    json_t *schemas = json_object_get(d, "schemas");
    if (json_is_array(schemas) && json_array_size(schemas) > 0) {
        size_t n = json_array_size(schemas);
        meta->schemas = fl_calloc(n, sizeof(*meta->schemas));
        for (size_t i = 0; i < n; i++) {
            if ((rc = parse_schema_json(json_array_get(schemas, i), &meta->schemas[i], err)))
                return rc;
            meta->nschemas++;
        }
        if ((rc = opt_int(d, "current-schema-id", meta->schemas[0]->schema_id, &v, err))) return rc;
        meta->current_schema_id = (int32_t)v;
    } else if (json_is_object(json_object_get(d, "schema"))) {
        meta->schemas = fl_calloc(1, sizeof(*meta->schemas));
        if ((rc = parse_schema_json(json_object_get(d, "schema"), &meta->schemas[0], err)))
            return rc;
        meta->nschemas = 1;
        meta->current_schema_id = meta->schemas[0]->schema_id;
    } else {
        return fl_errf(err, FL_ERR_INVALID, "table metadata has no schema");
    }
    if (!fl_ice_meta_current_schema(meta))
        return fl_errf(err, FL_ERR_INVALID, "table metadata: current-schema-id %d names no schema",
                       meta->current_schema_id);

    /* partition specs: v2 list, or v1's fields-only "partition-spec" */
    json_t *specs = json_object_get(d, "partition-specs");
    if (json_is_array(specs) && json_array_size(specs) > 0) {
        size_t n = json_array_size(specs);
        meta->specs = fl_calloc(n, sizeof(*meta->specs));
        for (size_t i = 0; i < n; i++) {
            if ((rc = parse_spec_json(json_array_get(specs, i), &meta->specs[i], err))) return rc;
            meta->nspecs++;
        }
        if ((rc = opt_int(d, "default-spec-id", meta->specs[0]->spec_id, &v, err))) return rc;
        meta->default_spec_id = (int32_t)v;
    } else {
        json_t *old = json_object_get(d, "partition-spec");
        json_t *empty = json_array();
        meta->specs = fl_calloc(1, sizeof(*meta->specs));
        rc = parse_spec_json(json_is_array(old) ? old : empty, &meta->specs[0], err);
        json_decref(empty);
        if (rc) return rc;
        meta->nspecs = 1;
        meta->default_spec_id = 0;
    }
    if (!fl_ice_meta_default_spec(meta))
        return fl_errf(err, FL_ERR_INVALID, "table metadata: default-spec-id %d names no spec",
                       meta->default_spec_id);
    int32_t last_pid = FL_ICE_PARTITION_FIELD_ID_START - 1;
    for (int i = 0; i < meta->nspecs; i++) {
        int32_t l = fl_ice_spec_last_field_id(meta->specs[i]);
        if (l > last_pid) last_pid = l;
    }
    if ((rc = opt_int(d, "last-partition-id", last_pid, &v, err))) return rc;
    meta->last_partition_id = (int32_t)v;
    if ((rc = opt_int(d, "default-sort-order-id", 0, &v, err))) return rc;
    meta->default_sort_order_id = (int32_t)v;

    /* snapshots */
    json_t *snaps = json_object_get(d, "snapshots");
    size_t ns = json_is_array(snaps) ? json_array_size(snaps) : 0;
    meta->snapshots = fl_calloc(ns ? ns : 1, sizeof(*meta->snapshots));
    for (size_t i = 0; i < ns; i++) {
        json_t *js = json_array_get(snaps, i);
        struct fl_ice_snapshot *s = &meta->snapshots[i];
        char what[64];
        snprintf(what, sizeof(what), WHAT ": snapshot %zu", i);
        rc =
            fl_ice_json_i64(js, what, "snapshot-id", FL_ICE_JSON_REQUIRED, 0, &s->snapshot_id, err);
        if (!rc)
            rc = fl_ice_json_i64(js, what, "timestamp-ms", FL_ICE_JSON_REQUIRED, 0,
                                 &s->timestamp_ms, err);
        if (!rc)
            rc = fl_ice_json_i64(js, what, "parent-snapshot-id", FL_ICE_JSON_NULLABLE,
                                 FL_ICE_NO_SNAPSHOT, &s->parent_id, err);
        if (!rc)
            rc = fl_ice_json_i64(js, what, "sequence-number", FL_ICE_JSON_OPTIONAL, 0,
                                 &s->sequence_number, err);
        if (!rc) rc = fl_ice_json_i64(js, what, "schema-id", FL_ICE_JSON_OPTIONAL, -1, &v, err);
        if (!rc)
            rc = fl_ice_json_i64(js, what, "first-row-id", FL_ICE_JSON_NULLABLE, -1,
                                 &s->first_row_id, err);
        if (!rc)
            rc = fl_ice_json_i64(js, what, "added-rows", FL_ICE_JSON_NULLABLE, -1, &s->added_rows,
                                 err);
        if (rc) return rc;
        s->schema_id = (int32_t)v;
        s->manifest_list = json_string_value(json_object_get(js, "manifest-list"));
        const char *op =
            json_string_value(json_object_get(json_object_get(js, "summary"), "operation"));
        s->operation = op ? op : "";
        if (meta->format_version >= 2 && !s->manifest_list)
            return fl_errf(err, FL_ERR_INVALID,
                           "table metadata: snapshot %lld has no manifest-list",
                           (long long)s->snapshot_id);
        meta->nsnapshots++;
    }
    /* required in format 3; an empty table without it (DuckDB wrote some)
     * reads, since no row id was ever assigned */
    if (meta->format_version >= 3 && ns > 0 && !json_object_get(d, "next-row-id"))
        return fl_errf(err, FL_ERR_INVALID,
                       "table metadata: \"next-row-id\" is required in format 3");
    if ((rc = fl_ice_json_i64(d, WHAT, "current-snapshot-id", FL_ICE_JSON_NULLABLE,
                              FL_ICE_NO_SNAPSHOT, &meta->current_snapshot_id, err)) ||
        (rc = check_refs_and_log(d, err)))
        return rc;
    int64_t main_ref = fl_ice_meta_ref(meta, "main");
    if (json_is_object(json_object_get(d, "refs")) &&
        json_object_get(json_object_get(d, "refs"), "main"))
        meta->current_snapshot_id = main_ref; /* refs win, as the spec says they must agree */
    if (meta->current_snapshot_id != FL_ICE_NO_SNAPSHOT &&
        !fl_ice_meta_snapshot(meta, meta->current_snapshot_id))
        return fl_errf(err, FL_ERR_INVALID,
                       "table metadata: current snapshot %lld is not in snapshots",
                       (long long)meta->current_snapshot_id);
    return FL_OK;
}

/* Inflates gzip-compressed metadata (write.metadata.compression-codec=gzip,
 * files named *.gz.metadata.json) into out, up to FL_ICE_META_MAX bytes. */
static fl_err_t gunzip(const uint8_t *src, size_t len, struct fl_buf *out, struct fl_error *err) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 16) != Z_OK) return fl_errf(err, FL_ERR_NOMEM, "gzip: no memory");
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)len;
    int zr = Z_OK;
    while (zr != Z_STREAM_END) {
        if (fl_buf_reserve(out, 65536)) {
            inflateEnd(&zs);
            return fl_errf(err, FL_ERR_LIMIT, "gzip metadata larger than %d MiB",
                           FL_ICE_META_MAX >> 20);
        }
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)(out->cap - out->len);
        zr = inflate(&zs, Z_NO_FLUSH);
        out->len = out->cap - zs.avail_out;
        if (zr != Z_OK && zr != Z_STREAM_END) {
            inflateEnd(&zs);
            return fl_errf(err, FL_ERR_CORRUPT, "gzip metadata is corrupt (zlib %d)", zr);
        }
    }
    inflateEnd(&zs);
    return FL_OK;
}

fl_err_t fl_ice_meta_parse(const char *json, size_t len, struct fl_ice_meta **out,
                           struct fl_error *err) {
    json_error_t je;
    if (len >= 2 && (uint8_t)json[0] == 0x1f && (uint8_t)json[1] == 0x8b) {
        struct fl_buf plain;
        fl_buf_init(&plain, FL_ICE_META_MAX);
        fl_err_t rc = gunzip((const uint8_t *)json, len, &plain, err);
        if (!rc) rc = fl_ice_meta_parse((const char *)plain.data, plain.len, out, err);
        fl_buf_fini(&plain);
        return rc;
    }
    json_t *doc = json_loadb(json, len, 0, &je);
    if (!doc)
        return fl_errf(err, FL_ERR_INVALID, "table metadata JSON line %d column %d: %s", je.line,
                       je.column, je.text);
    struct fl_ice_meta *meta = fl_calloc(1, sizeof(*meta));
    meta->doc = doc;
    fl_err_t rc = fl_ice_meta_rebuild(meta, err);
    if (rc) {
        fl_ice_meta_free(meta);
        return rc;
    }
    *out = meta;
    return FL_OK;
}

static json_t *schema_to_jobj(const struct fl_schema *schema) {
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    fl_schema_to_json(schema, &b);
    json_t *j = json_loadb((const char *)b.data, b.len, 0, NULL);
    fl_buf_fini(&b);
    return j;
}

static json_t *spec_to_jobj(const struct fl_ice_spec *spec) {
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    fl_ice_spec_to_json(spec, 0, &b);
    json_t *j = json_loadb((const char *)b.data, b.len, 0, NULL);
    fl_buf_fini(&b);
    return j;
}

fl_err_t fl_ice_meta_new(const struct fl_schema *schema, const struct fl_ice_spec *spec,
                         const char *location, const struct fl_ice_kv *props, int nprops,
                         int64_t now_ms, struct fl_ice_meta **out, struct fl_error *err) {
    struct fl_ice_spec empty = {0};
    if (!spec) spec = &empty;
    fl_err_t rc = fl_ice_spec_bind(spec, schema, err);
    if (rc) return rc;
    int version = 2;
    for (int i = 0; i < nprops; i++) {
        if (strcmp(props[i].key, "format-version") != 0) continue;
        if (strcmp(props[i].value, "2") != 0 && strcmp(props[i].value, "3") != 0)
            return fl_errf(err, FL_ERR_INVALID,
                           "format-version \"%.20s\": floe creates format 2 or 3 tables",
                           props[i].value);
        version = props[i].value[0] - '0';
    }
    char uuid[37];
    fl_uuid_v4_text(uuid);
    json_t *d = json_object();
    json_object_set_new(d, "format-version", json_integer(version));
    if (version >= 3) json_object_set_new(d, "next-row-id", json_integer(0));
    json_object_set_new(d, "table-uuid", json_string(uuid));
    json_object_set_new(d, "location", json_string(location));
    json_object_set_new(d, "last-sequence-number", json_integer(0));
    json_object_set_new(d, "last-updated-ms", json_integer(now_ms));
    json_object_set_new(d, "last-column-id", json_integer(fl_schema_max_field_id(schema)));
    json_object_set_new(d, "current-schema-id", json_integer(schema->schema_id));
    json_t *schemas = json_array();
    json_array_append_new(schemas, schema_to_jobj(schema));
    json_object_set_new(d, "schemas", schemas);
    json_object_set_new(d, "default-spec-id", json_integer(spec->spec_id));
    json_t *specs = json_array();
    json_array_append_new(specs, spec_to_jobj(spec));
    json_object_set_new(d, "partition-specs", specs);
    json_object_set_new(d, "last-partition-id", json_integer(fl_ice_spec_last_field_id(spec)));
    json_object_set_new(d, "default-sort-order-id", json_integer(0));
    json_t *orders = json_array(), *unsorted = json_object();
    json_object_set_new(unsorted, "order-id", json_integer(0));
    json_object_set_new(unsorted, "fields", json_array());
    json_array_append_new(orders, unsorted);
    json_object_set_new(d, "sort-orders", orders);
    json_t *jp = json_object();
    for (int i = 0; i < nprops; i++)
        if (strcmp(props[i].key, "format-version") != 0)
            json_object_set_new(jp, props[i].key, json_string(props[i].value));
    json_object_set_new(d, "properties", jp);
    json_object_set_new(d, "current-snapshot-id", json_integer(-1));
    json_object_set_new(d, "refs", json_object());
    json_object_set_new(d, "snapshots", json_array());
    json_object_set_new(d, "statistics", json_array());
    json_object_set_new(d, "snapshot-log", json_array());
    json_object_set_new(d, "metadata-log", json_array());
    struct fl_ice_meta *meta = fl_calloc(1, sizeof(*meta));
    meta->doc = d;
    rc = fl_ice_meta_rebuild(meta, err);
    if (rc) {
        fl_ice_meta_free(meta);
        return rc;
    }
    *out = meta;
    return FL_OK;
}

fl_err_t fl_ice_meta_to_json(const struct fl_ice_meta *meta, int pretty, struct fl_buf *out) {
    char *s = json_dumps(DOC(meta), JSON_PRESERVE_ORDER | (pretty ? JSON_INDENT(2) : JSON_COMPACT));
    if (!s) return FL_ERR_NOMEM;
    fl_err_t rc = fl_buf_append_str(out, s);
    free(s);
    return rc;
}

const struct fl_schema *fl_ice_meta_schema(const struct fl_ice_meta *meta, int32_t schema_id) {
    for (int i = 0; i < meta->nschemas; i++)
        if (meta->schemas[i]->schema_id == schema_id) return meta->schemas[i];
    return NULL;
}

const struct fl_schema *fl_ice_meta_current_schema(const struct fl_ice_meta *meta) {
    return fl_ice_meta_schema(meta, meta->current_schema_id);
}

const struct fl_schema *fl_ice_meta_snapshot_schema(const struct fl_ice_meta *meta,
                                                    int64_t snapshot_id) {
    const struct fl_ice_snapshot *s =
        snapshot_id == FL_ICE_NO_SNAPSHOT ? NULL : fl_ice_meta_snapshot(meta, snapshot_id);
    const struct fl_schema *sch =
        s && s->schema_id >= 0 ? fl_ice_meta_schema(meta, s->schema_id) : NULL;
    return sch ? sch : fl_ice_meta_current_schema(meta);
}

const struct fl_ice_spec *fl_ice_meta_spec(const struct fl_ice_meta *meta, int32_t spec_id) {
    for (int i = 0; i < meta->nspecs; i++)
        if (meta->specs[i]->spec_id == spec_id) return meta->specs[i];
    return NULL;
}

const struct fl_ice_spec *fl_ice_meta_default_spec(const struct fl_ice_meta *meta) {
    return fl_ice_meta_spec(meta, meta->default_spec_id);
}

const struct fl_ice_snapshot *fl_ice_meta_snapshot(const struct fl_ice_meta *meta, int64_t id) {
    for (int i = 0; i < meta->nsnapshots; i++)
        if (meta->snapshots[i].snapshot_id == id) return &meta->snapshots[i];
    return NULL;
}

const struct fl_ice_snapshot *fl_ice_meta_current_snapshot(const struct fl_ice_meta *meta) {
    if (meta->current_snapshot_id == FL_ICE_NO_SNAPSHOT) return NULL;
    return fl_ice_meta_snapshot(meta, meta->current_snapshot_id);
}

const struct fl_ice_snapshot *fl_ice_meta_snapshot_at(const struct fl_ice_meta *meta,
                                                      int64_t timestamp_ms) {
    json_t *log = json_object_get(DOC(meta), "snapshot-log");
    int64_t found = FL_ICE_NO_SNAPSHOT;
    if (json_array_size(log) > 0) {
        for (size_t i = 0; i < json_array_size(log); i++) {
            json_t *e = json_array_get(log, i);
            if (fl_ice_doc_i64(e, "timestamp-ms", INT64_MAX) <= timestamp_ms)
                found = fl_ice_doc_i64(e, "snapshot-id", FL_ICE_NO_SNAPSHOT);
        }
        return found == FL_ICE_NO_SNAPSHOT ? NULL : fl_ice_meta_snapshot(meta, found);
    }
    const struct fl_ice_snapshot *best = NULL;
    for (int i = 0; i < meta->nsnapshots; i++) {
        const struct fl_ice_snapshot *s = &meta->snapshots[i];
        if (s->timestamp_ms <= timestamp_ms && (!best || s->timestamp_ms >= best->timestamp_ms))
            best = s;
    }
    return best;
}

int64_t fl_ice_meta_ref(const struct fl_ice_meta *meta, const char *name) {
    json_t *refs = json_object_get(DOC(meta), "refs");
    json_t *r = json_object_get(refs, name);
    if (r) return fl_ice_doc_i64(r, "snapshot-id", FL_ICE_NO_SNAPSHOT);
    if (strcmp(name, "main") == 0) {
        json_t *cur = json_object_get(DOC(meta), "current-snapshot-id");
        return json_is_integer(cur) ? (int64_t)json_integer_value(cur) : FL_ICE_NO_SNAPSHOT;
    }
    return FL_ICE_NO_SNAPSHOT;
}

const char *fl_ice_meta_property(const struct fl_ice_meta *meta, const char *key) {
    return json_string_value(json_object_get(json_object_get(DOC(meta), "properties"), key));
}

const char *fl_ice_snapshot_summary(const struct fl_ice_meta *meta, int64_t snapshot_id,
                                    const char *key) {
    json_t *snaps = json_object_get(DOC(meta), "snapshots");
    for (size_t i = 0; i < json_array_size(snaps); i++) {
        json_t *s = json_array_get(snaps, i);
        if (fl_ice_doc_i64(s, "snapshot-id", FL_ICE_NO_SNAPSHOT) == snapshot_id)
            return json_string_value(json_object_get(json_object_get(s, "summary"), key));
    }
    return NULL;
}

/* ---- changes ---- */

fl_err_t fl_ice_meta_add_snapshot(struct fl_ice_meta *meta, const struct fl_ice_new_snapshot *ns,
                                  const char *branch, int64_t *sequence_number,
                                  struct fl_error *err) {
    json_t *d = DOC(meta);
    if (!branch) branch = "main";
    if (fl_ice_meta_snapshot(meta, ns->snapshot_id))
        return fl_errf(err, FL_ERR_INVALID, "snapshot id %lld already exists",
                       (long long)ns->snapshot_id);
    if (ns->parent_id != FL_ICE_NO_SNAPSHOT && !fl_ice_meta_snapshot(meta, ns->parent_id))
        return fl_errf(err, FL_ERR_INVALID, "parent snapshot %lld does not exist",
                       (long long)ns->parent_id);
    int64_t seq = meta->format_version >= 2 ? meta->last_sequence_number + 1 : 0;
    json_t *s = json_object();
    if (meta->format_version >= 2) json_object_set_new(s, "sequence-number", json_integer(seq));
    json_object_set_new(s, "snapshot-id", json_integer(ns->snapshot_id));
    if (ns->parent_id != FL_ICE_NO_SNAPSHOT)
        json_object_set_new(s, "parent-snapshot-id", json_integer(ns->parent_id));
    json_object_set_new(s, "timestamp-ms", json_integer(ns->timestamp_ms));
    json_t *sum = json_object();
    json_object_set_new(sum, "operation", json_string(ns->operation));
    for (int i = 0; i < ns->nsummary; i++)
        json_object_set_new(sum, ns->summary[i].key, json_string(ns->summary[i].value));
    json_object_set_new(s, "summary", sum);
    json_object_set_new(s, "manifest-list", json_string(ns->manifest_list));
    json_object_set_new(s, "schema-id", json_integer(meta->current_schema_id));
    if (meta->format_version >= 3) {
        if (ns->added_rows < 0) {
            json_decref(s);
            return fl_errf(err, FL_ERR_INVALID, "snapshot %lld: added-rows %lld is negative",
                           (long long)ns->snapshot_id, (long long)ns->added_rows);
        }
        json_object_set_new(s, "first-row-id", json_integer(meta->next_row_id));
        json_object_set_new(s, "added-rows", json_integer(ns->added_rows));
        json_object_set_new(d, "next-row-id", json_integer(meta->next_row_id + ns->added_rows));
    }
    json_array_append_new(fl_ice_doc_member(d, "snapshots", 1), s);
    if (meta->format_version >= 2)
        json_object_set_new(d, "last-sequence-number", json_integer(seq));
    json_t *ref = json_object();
    json_object_set_new(ref, "snapshot-id", json_integer(ns->snapshot_id));
    json_object_set_new(ref, "type", json_string("branch"));
    json_object_set_new(fl_ice_doc_member(d, "refs", 0), branch, ref);
    if (strcmp(branch, "main") == 0) {
        json_object_set_new(d, "current-snapshot-id", json_integer(ns->snapshot_id));
        json_t *e = json_object();
        json_object_set_new(e, "timestamp-ms", json_integer(ns->timestamp_ms));
        json_object_set_new(e, "snapshot-id", json_integer(ns->snapshot_id));
        json_array_append_new(fl_ice_doc_member(d, "snapshot-log", 1), e);
    }
    json_object_set_new(d, "last-updated-ms", json_integer(ns->timestamp_ms));
    if (sequence_number) *sequence_number = seq;
    return fl_ice_meta_rebuild(meta, err);
}

fl_err_t fl_ice_meta_log_previous(struct fl_ice_meta *meta, const char *prev_location,
                                  int64_t prev_updated_ms, int max_entries) {
    json_t *log = fl_ice_doc_member(DOC(meta), "metadata-log", 1);
    json_t *e = json_object();
    json_object_set_new(e, "timestamp-ms", json_integer(prev_updated_ms));
    json_object_set_new(e, "metadata-file", json_string(prev_location));
    json_array_append_new(log, e);
    while (max_entries > 0 && json_array_size(log) > (size_t)max_entries) json_array_remove(log, 0);
    return FL_OK;
}

fl_err_t fl_ice_meta_set_property(struct fl_ice_meta *meta, const char *key, const char *value) {
    json_object_set_new(fl_ice_doc_member(DOC(meta), "properties", 0), key, json_string(value));
    return FL_OK;
}

fl_err_t fl_ice_meta_remove_property(struct fl_ice_meta *meta, const char *key) {
    json_object_del(fl_ice_doc_member(DOC(meta), "properties", 0), key);
    return FL_OK;
}

fl_err_t fl_ice_meta_add_schema(struct fl_ice_meta *meta, const struct fl_schema *schema,
                                int set_current, int32_t *schema_id, struct fl_error *err) {
    json_t *d = DOC(meta);
    int32_t id = 0;
    for (int i = 0; i < meta->nschemas; i++)
        if (meta->schemas[i]->schema_id >= id) id = meta->schemas[i]->schema_id + 1;
    json_t *js = schema_to_jobj(schema);
    json_object_set_new(js, "schema-id", json_integer(id));
    json_array_append_new(fl_ice_doc_member(d, "schemas", 1), js);
    int32_t maxid = fl_schema_max_field_id(schema);
    if (maxid > meta->last_column_id) json_object_set_new(d, "last-column-id", json_integer(maxid));
    if (set_current) json_object_set_new(d, "current-schema-id", json_integer(id));
    if (schema_id) *schema_id = id;
    return fl_ice_meta_rebuild(meta, err);
}

fl_err_t fl_ice_meta_add_spec(struct fl_ice_meta *meta, const struct fl_ice_spec *spec,
                              int set_default, int32_t *spec_id, struct fl_error *err) {
    json_t *d = DOC(meta);
    fl_err_t rc = fl_ice_spec_bind(spec, fl_ice_meta_current_schema(meta), err);
    if (rc) return rc;
    int32_t id = 0;
    for (int i = 0; i < meta->nspecs; i++)
        if (meta->specs[i]->spec_id >= id) id = meta->specs[i]->spec_id + 1;
    json_t *js = spec_to_jobj(spec);
    json_object_set_new(js, "spec-id", json_integer(id));
    json_array_append_new(fl_ice_doc_member(d, "partition-specs", 1), js);
    int32_t last = fl_ice_spec_last_field_id(spec);
    if (last > meta->last_partition_id)
        json_object_set_new(d, "last-partition-id", json_integer(last));
    if (set_default) json_object_set_new(d, "default-spec-id", json_integer(id));
    if (spec_id) *spec_id = id;
    return fl_ice_meta_rebuild(meta, err);
}

void fl_ice_meta_touch(struct fl_ice_meta *meta, int64_t now_ms) {
    json_object_set_new(DOC(meta), "last-updated-ms", json_integer(now_ms));
    meta->last_updated_ms = now_ms;
}
