/*
 * metadata_update.c - the REST catalog's TableRequirement checks and
 * TableUpdate actions (apache/iceberg open-api/rest-catalog-open-api.yaml)
 * applied to table metadata. Commits from outside engines and floe's own
 * go through the same compare-and-swap (fl_ice_table_commit_meta), so a
 * requirement is re-checked on every retry against the newest base.
 */
#include "iceberg/metadata_int.h"
#include "core/time.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DOC(meta) FL_ICE_DOC(meta)

static json_t *load(const char *json, size_t len, struct fl_error *err) {
    json_error_t je;
    json_t *o = json_loadb(json, len, 0, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        fl_errf(err, FL_ERR_INVALID, "not a JSON object: %s", o ? "" : je.text);
        return NULL;
    }
    return o;
}

fl_err_t fl_ice_meta_check_requirement(const struct fl_ice_meta *meta, const char *json, size_t len,
                                       struct fl_error *err) {
    json_t *o = load(json, len, err);
    if (!o) return FL_ERR_INVALID;
    const char *type = json_string_value(json_object_get(o, "type"));
    fl_err_t rc = FL_OK;
    if (!type)
        rc = fl_errf(err, FL_ERR_INVALID, "requirement without a type");
    else if (!strcmp(type, "assert-create"))
        rc = fl_errf(err, FL_ERR_CONFLICT, "Requirement failed: table already exists");
    else if (!strcmp(type, "assert-table-uuid")) {
        const char *u = json_string_value(json_object_get(o, "uuid"));
        if (!u || strcmp(u, meta->table_uuid))
            rc = fl_errf(err, FL_ERR_CONFLICT,
                         "Requirement failed: UUID does not match: expected %s != %s", u ? u : "?",
                         meta->table_uuid);
    } else if (!strcmp(type, "assert-ref-snapshot-id")) {
        const char *ref = json_string_value(json_object_get(o, "ref"));
        json_t *want = json_object_get(o, "snapshot-id");
        int64_t have = ref ? fl_ice_meta_ref(meta, ref) : FL_ICE_NO_SNAPSHOT;
        if (!ref)
            rc = fl_errf(err, FL_ERR_INVALID, "assert-ref-snapshot-id needs ref");
        else if (json_is_null(want) || !want) {
            if (have != FL_ICE_NO_SNAPSHOT)
                rc = fl_errf(err, FL_ERR_CONFLICT,
                             "Requirement failed: branch or tag %s was created concurrently", ref);
        } else if (have != (int64_t)json_integer_value(want))
            rc = fl_errf(err, FL_ERR_CONFLICT,
                         "Requirement failed: %s has changed: expected id %lld != %lld", ref,
                         (long long)json_integer_value(want), (long long)have);
    } else {
        static const struct {
            const char *type, *key;
        } ints[] = {{"assert-last-assigned-field-id", "last-assigned-field-id"},
                    {"assert-current-schema-id", "current-schema-id"},
                    {"assert-last-assigned-partition-id", "last-assigned-partition-id"},
                    {"assert-default-spec-id", "default-spec-id"},
                    {"assert-default-sort-order-id", "default-sort-order-id"}};
        int k = -1;
        for (int i = 0; i < 5; i++)
            if (!strcmp(type, ints[i].type)) k = i;
        if (k < 0)
            rc = fl_errf(err, FL_ERR_INVALID, "unknown requirement type \"%s\"", type);
        else {
            int64_t have = k == 0   ? meta->last_column_id
                           : k == 1 ? meta->current_schema_id
                           : k == 2 ? meta->last_partition_id
                           : k == 3 ? meta->default_spec_id
                                    : meta->default_sort_order_id;
            json_t *w = json_object_get(o, ints[k].key);
            if (!json_is_integer(w))
                rc = fl_errf(err, FL_ERR_INVALID, "%s needs %s", type, ints[k].key);
            else if (json_integer_value(w) != have)
                rc = fl_errf(err, FL_ERR_CONFLICT,
                             "Requirement failed: %s changed: expected %lld != %lld", ints[k].key,
                             (long long)json_integer_value(w), (long long)have);
        }
    }
    json_decref(o);
    return rc;
}

/* The highest "<idkey>" in the array d[listkey] (-1 when empty). */
static int64_t max_id(json_t *d, const char *listkey, const char *idkey) {
    int64_t m = -1;
    json_t *arr = json_object_get(d, listkey);
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (fl_ice_doc_i64(json_array_get(arr, i), idkey, -1) > m)
            m = fl_ice_doc_i64(json_array_get(arr, i), idkey, -1);
    return m;
}

fl_err_t fl_ice_meta_apply_update(struct fl_ice_meta *meta, const char *json, size_t len,
                                  struct fl_error *err) {
    json_t *o = load(json, len, err);
    if (!o) return FL_ERR_INVALID;
    json_t *d = DOC(meta);
    const char *action = json_string_value(json_object_get(o, "action"));
    fl_err_t rc = FL_OK;
    if (!action)
        rc = fl_errf(err, FL_ERR_INVALID, "update without an action");
    else if (!strcmp(action, "assign-uuid")) {
        json_t *u = json_object_get(o, "uuid");
        if (!json_is_string(u))
            rc = fl_errf(err, FL_ERR_INVALID, "assign-uuid needs uuid");
        else
            json_object_set(d, "table-uuid", u);
    } else if (!strcmp(action, "upgrade-format-version")) {
        int64_t v = fl_ice_doc_i64(o, "format-version", -1);
        if (v < meta->format_version || v > 2)
            rc = fl_errf(err, FL_ERR_INVALID, "cannot change format version %d to %lld",
                         meta->format_version, (long long)v);
        else
            json_object_set_new(d, "format-version", json_integer(v));
    } else if (!strcmp(action, "add-schema")) {
        json_t *sc = json_object_get(o, "schema");
        if (!json_is_object(sc))
            rc = fl_errf(err, FL_ERR_INVALID, "add-schema needs schema");
        else {
            json_t *copy = json_deep_copy(sc);
            int64_t id = max_id(d, "schemas", "schema-id") + 1;
            json_object_set_new(copy, "schema-id", json_integer(id));
            json_array_append_new(fl_ice_doc_member(d, "schemas", 1), copy);
            int64_t lc = fl_ice_doc_i64(o, "last-column-id", -1);
            if (lc > meta->last_column_id)
                json_object_set_new(d, "last-column-id", json_integer(lc));
        }
    } else if (!strcmp(action, "set-current-schema")) {
        int64_t id = fl_ice_doc_i64(o, "schema-id", -2);
        if (id == -1)
            id = max_id(d, "schemas", "schema-id"); /* -1: the last added (the highest id) */
        if (id < 0)
            rc = fl_errf(err, FL_ERR_INVALID, "set-current-schema: no schema to set");
        else
            json_object_set_new(d, "current-schema-id", json_integer(id));
    } else if (!strcmp(action, "add-spec")) {
        json_t *sp = json_object_get(o, "spec");
        if (!json_is_object(sp))
            rc = fl_errf(err, FL_ERR_INVALID, "add-spec needs spec");
        else {
            json_t *copy = json_deep_copy(sp);
            int64_t id = max_id(d, "partition-specs", "spec-id") + 1;
            json_object_set_new(copy, "spec-id", json_integer(id));
            json_array_append_new(fl_ice_doc_member(d, "partition-specs", 1), copy);
            json_t *fields = json_object_get(copy, "fields");
            for (size_t i = 0; i < json_array_size(fields); i++) {
                int64_t fid = fl_ice_doc_i64(json_array_get(fields, i), "field-id", -1);
                if (fid > meta->last_partition_id)
                    json_object_set_new(d, "last-partition-id", json_integer(fid));
            }
        }
    } else if (!strcmp(action, "set-default-spec")) {
        int64_t id = fl_ice_doc_i64(o, "spec-id", -2);
        if (id == -1) id = max_id(d, "partition-specs", "spec-id");
        if (id < 0)
            rc = fl_errf(err, FL_ERR_INVALID, "set-default-spec: no spec to set");
        else
            json_object_set_new(d, "default-spec-id", json_integer(id));
    } else if (!strcmp(action, "add-sort-order")) {
        json_t *so = json_object_get(o, "sort-order");
        if (!json_is_object(so))
            rc = fl_errf(err, FL_ERR_INVALID, "add-sort-order needs sort-order");
        else {
            json_t *copy = json_deep_copy(so);
            int64_t id = json_array_size(json_object_get(copy, "fields"))
                             ? max_id(d, "sort-orders", "order-id") + 1
                             : 0;
            json_object_set_new(copy, "order-id", json_integer(id));
            if (id > 0)
                json_array_append_new(fl_ice_doc_member(d, "sort-orders", 1), copy);
            else
                json_decref(copy);
        }
    } else if (!strcmp(action, "set-default-sort-order")) {
        int64_t id = fl_ice_doc_i64(o, "sort-order-id", -2);
        if (id == -1) id = max_id(d, "sort-orders", "order-id");
        if (id < 0)
            rc = fl_errf(err, FL_ERR_INVALID, "set-default-sort-order: no order to set");
        else
            json_object_set_new(d, "default-sort-order-id", json_integer(id));
    } else if (!strcmp(action, "add-snapshot")) {
        json_t *sn = json_object_get(o, "snapshot");
        int64_t id = fl_ice_doc_i64(sn, "snapshot-id", -1);
        int64_t seq = fl_ice_doc_i64(sn, "sequence-number", 0);
        if (!json_is_object(sn) || id < 0 || !json_is_string(json_object_get(sn, "manifest-list")))
            rc = fl_errf(err, FL_ERR_INVALID,
                         "add-snapshot needs a snapshot with snapshot-id and manifest-list");
        else if (fl_ice_meta_snapshot(meta, id))
            rc = fl_errf(err, FL_ERR_INVALID, "snapshot %lld already exists", (long long)id);
        else if (meta->format_version >= 2 && seq <= meta->last_sequence_number &&
                 meta->nsnapshots > 0)
            rc = fl_errf(err, FL_ERR_CONFLICT,
                         "Cannot add snapshot with sequence number %lld older than last sequence "
                         "number %lld",
                         (long long)seq, (long long)meta->last_sequence_number);
        else {
            json_array_append_new(fl_ice_doc_member(d, "snapshots", 1), json_deep_copy(sn));
            if (seq > meta->last_sequence_number)
                json_object_set_new(d, "last-sequence-number", json_integer(seq));
            json_object_set_new(
                d, "last-updated-ms",
                json_integer(fl_ice_doc_i64(sn, "timestamp-ms", fl_time_now_us() / 1000)));
        }
    } else if (!strcmp(action, "set-snapshot-ref")) {
        const char *name = json_string_value(json_object_get(o, "ref-name"));
        int64_t id = fl_ice_doc_i64(o, "snapshot-id", -1);
        const char *rtype = json_string_value(json_object_get(o, "type"));
        if (!name || id < 0 || !rtype || (strcmp(rtype, "branch") && strcmp(rtype, "tag")))
            rc = fl_errf(err, FL_ERR_INVALID,
                         "set-snapshot-ref needs ref-name, snapshot-id and type branch|tag");
        else {
            /* the snapshot may have been added by this same commit: look in the document */
            json_t *snaps = json_object_get(d, "snapshots");
            int64_t ts = -1;
            for (size_t i = 0; i < json_array_size(snaps); i++)
                if (fl_ice_doc_i64(json_array_get(snaps, i), "snapshot-id", -2) == id)
                    ts = fl_ice_doc_i64(json_array_get(snaps, i), "timestamp-ms", 0);
            if (ts < 0)
                rc = fl_errf(err, FL_ERR_INVALID, "snapshot %lld does not exist", (long long)id);
            else {
                json_t *ref = json_object();
                json_object_set_new(ref, "snapshot-id", json_integer(id));
                json_object_set_new(ref, "type", json_string(rtype));
                static const char *const extra[] = {"max-ref-age-ms", "max-snapshot-age-ms",
                                                    "min-snapshots-to-keep"};
                for (int i = 0; i < 3; i++)
                    if (json_is_integer(json_object_get(o, extra[i])))
                        json_object_set(ref, extra[i], json_object_get(o, extra[i]));
                json_object_set_new(fl_ice_doc_member(d, "refs", 0), name, ref);
                if (!strcmp(name, "main")) {
                    json_object_set_new(d, "current-snapshot-id", json_integer(id));
                    json_t *e = json_object();
                    json_object_set_new(e, "timestamp-ms", json_integer(ts));
                    json_object_set_new(e, "snapshot-id", json_integer(id));
                    json_array_append_new(fl_ice_doc_member(d, "snapshot-log", 1), e);
                }
            }
        }
    } else if (!strcmp(action, "remove-snapshots")) {
        json_t *ids = json_object_get(o, "snapshot-ids");
        json_t *snaps = json_object_get(d, "snapshots");
        for (size_t i = json_array_size(snaps); i-- > 0;) {
            int64_t sid = fl_ice_doc_i64(json_array_get(snaps, i), "snapshot-id", -1);
            for (size_t k = 0; k < json_array_size(ids); k++)
                if (json_integer_value(json_array_get(ids, k)) == sid) {
                    if (sid == meta->current_snapshot_id) {
                        rc = fl_errf(err, FL_ERR_INVALID, "cannot remove the current snapshot %lld",
                                     (long long)sid);
                        break;
                    }
                    json_array_remove(snaps, i);
                    break;
                }
        }
    } else if (!strcmp(action, "remove-snapshot-ref")) {
        const char *name = json_string_value(json_object_get(o, "ref-name"));
        if (!name)
            rc = fl_errf(err, FL_ERR_INVALID, "remove-snapshot-ref needs ref-name");
        else {
            json_object_del(fl_ice_doc_member(d, "refs", 0), name);
            if (!strcmp(name, "main"))
                json_object_set_new(d, "current-snapshot-id", json_integer(-1));
        }
    } else if (!strcmp(action, "set-location")) {
        json_t *l = json_object_get(o, "location");
        if (!json_is_string(l))
            rc = fl_errf(err, FL_ERR_INVALID, "set-location needs location");
        else
            json_object_set(d, "location", l);
    } else if (!strcmp(action, "set-properties")) {
        json_t *u = json_object_get(o, "updates");
        const char *k;
        json_t *v;
        if (!json_is_object(u))
            rc = fl_errf(err, FL_ERR_INVALID, "set-properties needs updates");
        else
            json_object_foreach(u, k, v) if (json_is_string(v))
                json_object_set(fl_ice_doc_member(d, "properties", 0), k, v);
    } else if (!strcmp(action, "remove-properties")) {
        json_t *r = json_object_get(o, "removals");
        if (!json_is_array(r))
            rc = fl_errf(err, FL_ERR_INVALID, "remove-properties needs removals");
        else
            for (size_t i = 0; i < json_array_size(r); i++)
                if (json_is_string(json_array_get(r, i)))
                    json_object_del(fl_ice_doc_member(d, "properties", 0),
                                    json_string_value(json_array_get(r, i)));
    } else {
        rc = fl_errf(err, FL_ERR_INVALID, "unknown update action \"%s\"", action);
    }
    json_decref(o);
    if (!rc) rc = fl_ice_meta_rebuild(meta, err);
    return rc;
}
