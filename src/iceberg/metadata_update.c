/*
 * metadata_update.c - the REST catalog's TableRequirement checks and
 * TableUpdate actions (apache/iceberg open-api/rest-catalog-open-api.yaml)
 * applied to table metadata. Commits from outside engines and floe's own
 * go through the same compare-and-swap (fl_ice_table_commit_meta), so a
 * requirement is re-checked on every retry against the newest base.
 *
 * Every integer member is read with fl_ice_json_i64 (json_member.h), and
 * an update reads all of its members before it changes anything: a
 * snapshot id written as the string "123" is FL_ERR_INVALID naming the
 * member, with the metadata left as it was - whoever the caller (the
 * REST route, which checks types first too, the CLI, a pipeline).
 */
#include "iceberg/metadata_int.h"
#include "core/mem.h"
#include "core/time.h"
#include "iceberg/json_member.h"

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
        int64_t want = FL_ICE_NO_SNAPSHOT; /* null (or absent): the ref must not exist */
        int64_t have = ref ? fl_ice_meta_ref(meta, ref) : FL_ICE_NO_SNAPSHOT;
        if (!ref) rc = fl_errf(err, FL_ERR_INVALID, "assert-ref-snapshot-id needs ref");
        if (!rc)
            rc = fl_ice_json_i64(o, type, "snapshot-id", FL_ICE_JSON_NULLABLE, FL_ICE_NO_SNAPSHOT,
                                 &want, err);
        if (!rc && want == FL_ICE_NO_SNAPSHOT && have != FL_ICE_NO_SNAPSHOT)
            rc = fl_errf(err, FL_ERR_CONFLICT,
                         "Requirement failed: branch or tag %s was created concurrently", ref);
        else if (!rc && have != want)
            rc = fl_errf(err, FL_ERR_CONFLICT,
                         "Requirement failed: %s has changed: expected id %lld != %lld", ref,
                         (long long)want, (long long)have);
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
            int64_t want = 0;
            rc = fl_ice_json_i64(o, type, ints[k].key, FL_ICE_JSON_REQUIRED, 0, &want, err);
            if (!rc && want != have)
                rc = fl_errf(err, FL_ERR_CONFLICT,
                             "Requirement failed: %s changed: expected %lld != %lld", ints[k].key,
                             (long long)want, (long long)have);
        }
    }
    json_decref(o);
    return rc;
}

/* The highest "<idkey>" in the array d[listkey] into *m (-1 when empty). */
static fl_err_t max_id(json_t *d, const char *listkey, const char *idkey, int64_t *m,
                       struct fl_error *err) {
    *m = -1;
    json_t *arr = json_object_get(d, listkey);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        int64_t id = -1;
        fl_err_t rc = fl_ice_json_i64(json_array_get(arr, i), listkey, idkey, FL_ICE_JSON_REQUIRED,
                                      -1, &id, err);
        if (rc) return rc;
        if (id > *m) *m = id;
    }
    return FL_OK;
}

/* One TableUpdate action: reads every member of o (the update; a is its
 * action) first, then changes d, the document of meta. */
typedef fl_err_t (*update_fn)(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                              struct fl_error *err);

static fl_err_t assign_uuid(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                            struct fl_error *err) {
    (void)meta;
    json_t *u = json_object_get(o, "uuid");
    if (!json_is_string(u)) return fl_errf(err, FL_ERR_INVALID, "%s needs uuid", a);
    json_object_set(d, "table-uuid", u);
    return FL_OK;
}

static fl_err_t upgrade_format_version(struct fl_ice_meta *meta, json_t *d, json_t *o,
                                       const char *a, struct fl_error *err) {
    int64_t v = 0;
    fl_err_t rc = fl_ice_json_i64(o, a, "format-version", FL_ICE_JSON_REQUIRED, 0, &v, err);
    if (rc) return rc;
    if (v < meta->format_version || v > 3)
        return fl_errf(err, FL_ERR_INVALID, "cannot change format version %d to %lld",
                       meta->format_version, (long long)v);
    json_object_set_new(d, "format-version", json_integer(v));
    if (v >= 3 && !json_object_get(d, "next-row-id"))
        json_object_set_new(d, "next-row-id", json_integer(0));
    return FL_OK;
}

static fl_err_t add_schema(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                           struct fl_error *err) {
    json_t *sc = json_object_get(o, "schema");
    int64_t last = -1, id = -1;
    if (!json_is_object(sc)) return fl_errf(err, FL_ERR_INVALID, "%s needs schema", a);
    fl_err_t rc = fl_ice_json_i64(o, a, "last-column-id", FL_ICE_JSON_OPTIONAL, -1, &last, err);
    if (!rc) rc = max_id(d, "schemas", "schema-id", &id, err);
    if (rc) return rc;
    json_t *copy = json_deep_copy(sc);
    json_object_set_new(copy, "schema-id", json_integer(id + 1));
    json_array_append_new(fl_ice_doc_member(d, "schemas", 1), copy);
    if (last > meta->last_column_id) json_object_set_new(d, "last-column-id", json_integer(last));
    return FL_OK;
}

/* set-current-schema, set-default-spec, set-default-sort-order: o[key]
 * into d[dkey]; -1 means the last added (the highest id in d[listkey]). */
static fl_err_t set_default(json_t *d, json_t *o, const char *a, const char *key,
                            const char *listkey, const char *idkey, const char *dkey,
                            struct fl_error *err) {
    int64_t id = -1;
    fl_err_t rc = fl_ice_json_i64(o, a, key, FL_ICE_JSON_REQUIRED, -1, &id, err);
    if (!rc && id == -1) rc = max_id(d, listkey, idkey, &id, err);
    if (rc) return rc;
    if (id < 0) return fl_errf(err, FL_ERR_INVALID, "%s: nothing to set (%lld)", a, (long long)id);
    json_object_set_new(d, dkey, json_integer(id));
    return FL_OK;
}

static fl_err_t set_current_schema(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                                   struct fl_error *err) {
    (void)meta;
    return set_default(d, o, a, "schema-id", "schemas", "schema-id", "current-schema-id", err);
}

static fl_err_t set_default_spec(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                                 struct fl_error *err) {
    (void)meta;
    return set_default(d, o, a, "spec-id", "partition-specs", "spec-id", "default-spec-id", err);
}

static fl_err_t set_default_sort_order(struct fl_ice_meta *meta, json_t *d, json_t *o,
                                       const char *a, struct fl_error *err) {
    (void)meta;
    return set_default(d, o, a, "sort-order-id", "sort-orders", "order-id", "default-sort-order-id",
                       err);
}

static fl_err_t add_spec(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                         struct fl_error *err) {
    json_t *sp = json_object_get(o, "spec");
    if (!json_is_object(sp)) return fl_errf(err, FL_ERR_INVALID, "%s needs spec", a);
    int64_t id = -1, last = meta->last_partition_id;
    fl_err_t rc = max_id(d, "partition-specs", "spec-id", &id, err);
    json_t *fields = json_object_get(sp, "fields");
    for (size_t i = 0; !rc && i < json_array_size(fields); i++) {
        int64_t fid = -1;
        rc = fl_ice_json_i64(json_array_get(fields, i), a, "field-id", FL_ICE_JSON_OPTIONAL, -1,
                             &fid, err);
        if (fid > last) last = fid;
    }
    if (rc) return rc;
    json_t *copy = json_deep_copy(sp);
    json_object_set_new(copy, "spec-id", json_integer(id + 1));
    json_array_append_new(fl_ice_doc_member(d, "partition-specs", 1), copy);
    if (last > meta->last_partition_id)
        json_object_set_new(d, "last-partition-id", json_integer(last));
    return FL_OK;
}

static fl_err_t add_sort_order(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                               struct fl_error *err) {
    (void)meta;
    json_t *so = json_object_get(o, "sort-order");
    if (!json_is_object(so)) return fl_errf(err, FL_ERR_INVALID, "%s needs sort-order", a);
    if (!json_array_size(json_object_get(so, "fields"))) return FL_OK; /* unsorted: order 0 */
    int64_t id = -1;
    fl_err_t rc = max_id(d, "sort-orders", "order-id", &id, err);
    if (rc) return rc;
    json_t *copy = json_deep_copy(so);
    json_object_set_new(copy, "order-id", json_integer((id > 0 ? id : 0) + 1)); /* 0: unsorted */
    json_array_append_new(fl_ice_doc_member(d, "sort-orders", 1), copy);
    return FL_OK;
}

static fl_err_t add_snapshot(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                             struct fl_error *err) {
    json_t *sn = json_object_get(o, "snapshot");
    int64_t id = -1, seq = 0, ts = 0, any = 0;
    if (!json_is_object(sn) || !json_is_string(json_object_get(sn, "manifest-list")))
        return fl_errf(err, FL_ERR_INVALID,
                       "%s needs a snapshot with snapshot-id and manifest-list", a);
    fl_err_t rc = fl_ice_json_i64(sn, a, "snapshot-id", FL_ICE_JSON_REQUIRED, -1, &id, err);
    if (!rc) rc = fl_ice_json_i64(sn, a, "sequence-number", FL_ICE_JSON_OPTIONAL, 0, &seq, err);
    if (!rc)
        rc = fl_ice_json_i64(sn, a, "timestamp-ms", FL_ICE_JSON_OPTIONAL, fl_time_now_us() / 1000,
                             &ts, err);
    if (!rc) rc = fl_ice_json_i64(sn, a, "parent-snapshot-id", FL_ICE_JSON_NULLABLE, -1, &any, err);
    if (!rc) rc = fl_ice_json_i64(sn, a, "schema-id", FL_ICE_JSON_OPTIONAL, -1, &any, err);
    if (rc) return rc;
    if (id < 0)
        return fl_errf(err, FL_ERR_INVALID, "%s: snapshot-id %lld is negative", a, (long long)id);
    if (fl_ice_meta_snapshot(meta, id))
        return fl_errf(err, FL_ERR_INVALID, "snapshot %lld already exists", (long long)id);
    if (meta->format_version >= 2 && seq <= meta->last_sequence_number && meta->nsnapshots > 0)
        return fl_errf(err, FL_ERR_CONFLICT,
                       "Cannot add snapshot with sequence number %lld older than last sequence "
                       "number %lld",
                       (long long)seq, (long long)meta->last_sequence_number);
    if (meta->format_version >= 3) {
        /* row lineage, as Iceberg Java's TableMetadata.Builder checks it */
        int64_t first = -1, added = -1;
        rc = fl_ice_json_i64(sn, a, "first-row-id", FL_ICE_JSON_REQUIRED, -1, &first, err);
        if (!rc) rc = fl_ice_json_i64(sn, a, "added-rows", FL_ICE_JSON_REQUIRED, -1, &added, err);
        if (rc) return rc;
        if (first < meta->next_row_id || added < 0)
            return fl_errf(err, FL_ERR_INVALID,
                           "%s: first-row-id %lld is behind the table's next-row-id %lld, or "
                           "added-rows %lld is negative",
                           a, (long long)first, (long long)meta->next_row_id, (long long)added);
        json_object_set_new(d, "next-row-id", json_integer(meta->next_row_id + added));
    }
    json_array_append_new(fl_ice_doc_member(d, "snapshots", 1), json_deep_copy(sn));
    if (seq > meta->last_sequence_number)
        json_object_set_new(d, "last-sequence-number", json_integer(seq));
    json_object_set_new(d, "last-updated-ms", json_integer(ts));
    return FL_OK;
}

/* The timestamp of snapshot id in the document (which may have been
 * added by this same commit), or -1 when there is none. */
static fl_err_t snapshot_ts(json_t *d, int64_t id, int64_t *ts, struct fl_error *err) {
    json_t *snaps = json_object_get(d, "snapshots");
    *ts = -1;
    for (size_t i = 0; i < json_array_size(snaps); i++) {
        json_t *s = json_array_get(snaps, i);
        int64_t sid = -1;
        fl_err_t rc =
            fl_ice_json_i64(s, "snapshots", "snapshot-id", FL_ICE_JSON_REQUIRED, -1, &sid, err);
        if (!rc && sid == id)
            rc = fl_ice_json_i64(s, "snapshots", "timestamp-ms", FL_ICE_JSON_OPTIONAL, 0, ts, err);
        if (rc) return rc;
    }
    return FL_OK;
}

static fl_err_t set_snapshot_ref(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                                 struct fl_error *err) {
    (void)meta;
    static const char *const extra[] = {"max-ref-age-ms", "max-snapshot-age-ms",
                                        "min-snapshots-to-keep"};
    const char *name = json_string_value(json_object_get(o, "ref-name"));
    const char *rtype = json_string_value(json_object_get(o, "type"));
    int64_t id = -1, ts = -1, x[3];
    if (!name || !rtype || (strcmp(rtype, "branch") && strcmp(rtype, "tag")))
        return fl_errf(err, FL_ERR_INVALID, "%s needs ref-name, snapshot-id and type branch|tag",
                       a);
    fl_err_t rc = fl_ice_json_i64(o, a, "snapshot-id", FL_ICE_JSON_REQUIRED, -1, &id, err);
    for (int i = 0; i < 3 && !rc; i++)
        rc = fl_ice_json_i64(o, a, extra[i], FL_ICE_JSON_OPTIONAL, -1, &x[i], err);
    if (!rc) rc = snapshot_ts(d, id, &ts, err);
    if (rc) return rc;
    if (ts < 0) return fl_errf(err, FL_ERR_INVALID, "snapshot %lld does not exist", (long long)id);
    json_t *ref = json_object();
    json_object_set_new(ref, "snapshot-id", json_integer(id));
    json_object_set_new(ref, "type", json_string(rtype));
    for (int i = 0; i < 3; i++)
        if (json_object_get(o, extra[i])) json_object_set_new(ref, extra[i], json_integer(x[i]));
    json_object_set_new(fl_ice_doc_member(d, "refs", 0), name, ref);
    if (!strcmp(name, "main")) {
        json_object_set_new(d, "current-snapshot-id", json_integer(id));
        json_t *e = json_object();
        json_object_set_new(e, "timestamp-ms", json_integer(ts));
        json_object_set_new(e, "snapshot-id", json_integer(id));
        json_array_append_new(fl_ice_doc_member(d, "snapshot-log", 1), e);
    }
    return FL_OK;
}

/* As Java's TableMetadata.Builder.removeSnapshots: the snapshots go, a
 * branch or tag left pointing at one of them goes too (main's current
 * snapshot is refused instead), and the snapshot-log keeps only what
 * follows the last removed entry (fl_ice_meta_remove_snapshots). */
static fl_err_t remove_snapshots(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                                 struct fl_error *err) {
    json_t *ids = json_object_get(o, "snapshot-ids");
    if (!json_is_array(ids))
        return fl_errf(err, FL_ERR_INVALID, "%s: \"snapshot-ids\" must be an array of integers", a);
    size_t n = json_array_size(ids);
    int64_t *v = fl_calloc(n + 1, sizeof(*v));
    fl_err_t rc = FL_OK;
    for (size_t k = 0; k < n && !rc; k++) {
        json_t *x = json_array_get(ids, k);
        if (!json_is_integer(x))
            rc = fl_errf(err, FL_ERR_INVALID, "%s: \"snapshot-ids\" must be an array of integers",
                         a);
        else if ((v[k] = (int64_t)json_integer_value(x)) == meta->current_snapshot_id &&
                 fl_ice_meta_snapshot(meta, meta->current_snapshot_id))
            rc = fl_errf(err, FL_ERR_INVALID, "cannot remove the current snapshot %lld",
                         (long long)meta->current_snapshot_id);
    }
    const char **dangling =
        fl_calloc(json_object_size(json_object_get(d, "refs")) + 1, sizeof(*dangling));
    int nd = 0;
    const char *name;
    json_t *r;
    json_object_foreach(json_object_get(d, "refs"), name, r) {
        int64_t sid = fl_ice_doc_i64(r, "snapshot-id", FL_ICE_NO_SNAPSHOT);
        for (size_t k = 0; k < n; k++)
            if (v[k] == sid && strcmp(name, "main") != 0) {
                dangling[nd++] = name;
                break;
            }
    }
    if (!rc) rc = fl_ice_meta_remove_snapshots(meta, v, (int)n, dangling, nd, err);
    fl_free(dangling);
    fl_free(v);
    return rc;
}

static fl_err_t remove_snapshot_ref(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                                    struct fl_error *err) {
    (void)meta;
    const char *name = json_string_value(json_object_get(o, "ref-name"));
    if (!name) return fl_errf(err, FL_ERR_INVALID, "%s needs ref-name", a);
    json_object_del(fl_ice_doc_member(d, "refs", 0), name);
    if (!strcmp(name, "main")) json_object_set_new(d, "current-snapshot-id", json_integer(-1));
    return FL_OK;
}

static fl_err_t set_location(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                             struct fl_error *err) {
    (void)meta;
    json_t *l = json_object_get(o, "location");
    if (!json_is_string(l)) return fl_errf(err, FL_ERR_INVALID, "%s needs location", a);
    json_object_set(d, "location", l);
    return FL_OK;
}

static fl_err_t set_properties(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                               struct fl_error *err) {
    (void)meta;
    json_t *u = json_object_get(o, "updates");
    const char *k;
    json_t *v;
    if (!json_is_object(u)) return fl_errf(err, FL_ERR_INVALID, "%s needs updates", a);
    json_object_foreach(u, k, v) if (json_is_string(v))
        json_object_set(fl_ice_doc_member(d, "properties", 0), k, v);
    return FL_OK;
}

static fl_err_t remove_properties(struct fl_ice_meta *meta, json_t *d, json_t *o, const char *a,
                                  struct fl_error *err) {
    (void)meta;
    json_t *r = json_object_get(o, "removals");
    if (!json_is_array(r)) return fl_errf(err, FL_ERR_INVALID, "%s needs removals", a);
    for (size_t i = 0; i < json_array_size(r); i++)
        if (json_is_string(json_array_get(r, i)))
            json_object_del(fl_ice_doc_member(d, "properties", 0),
                            json_string_value(json_array_get(r, i)));
    return FL_OK;
}

static const struct {
    const char *action;
    update_fn fn;
} UPDATES[] = {
    {"assign-uuid", assign_uuid},
    {"upgrade-format-version", upgrade_format_version},
    {"add-schema", add_schema},
    {"set-current-schema", set_current_schema},
    {"add-spec", add_spec},
    {"set-default-spec", set_default_spec},
    {"add-sort-order", add_sort_order},
    {"set-default-sort-order", set_default_sort_order},
    {"add-snapshot", add_snapshot},
    {"set-snapshot-ref", set_snapshot_ref},
    {"remove-snapshots", remove_snapshots},
    {"remove-snapshot-ref", remove_snapshot_ref},
    {"set-location", set_location},
    {"set-properties", set_properties},
    {"remove-properties", remove_properties},
};

fl_err_t fl_ice_meta_apply_update(struct fl_ice_meta *meta, const char *json, size_t len,
                                  struct fl_error *err) {
    json_t *o = load(json, len, err);
    if (!o) return FL_ERR_INVALID;
    const char *action = json_string_value(json_object_get(o, "action"));
    fl_err_t rc = FL_OK;
    size_t k = 0, n = sizeof(UPDATES) / sizeof(UPDATES[0]);
    while (action && k < n && strcmp(action, UPDATES[k].action)) k++;
    if (!action)
        rc = fl_errf(err, FL_ERR_INVALID, "update without an action");
    else if (k == n)
        rc = fl_errf(err, FL_ERR_INVALID, "unknown update action \"%s\"", action);
    else
        rc = UPDATES[k].fn(meta, DOC(meta), o, action, err);
    json_decref(o);
    if (!rc) rc = fl_ice_meta_rebuild(meta, err);
    return rc;
}
