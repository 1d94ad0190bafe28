/*
 * metadata_refs.c - what table maintenance reads and changes in the
 * metadata document: the refs with their retention fields, the summary
 * keys of a snapshot under a prefix, and the removal of snapshots and
 * refs (format/spec.md "Snapshot References", "Snapshot Retention
 * Policy"; the REST update remove-snapshots).
 *
 * How it works: like metadata.c, it reads and edits the jansson document
 * and rebuilds the typed views after a change. Removing snapshots trims
 * the snapshot-log the way Iceberg Java's TableMetadata builder does: an
 * entry for a removed snapshot drops every entry before it too, so the
 * log stays an unbroken history of main that only names snapshots that
 * exist.
 */
#include "iceberg/metadata_int.h"
#include "core/mem.h"

#include <jansson.h>
#include <string.h>

#define DOC(meta) FL_ICE_DOC(meta)

static void ref_from_json(const char *name, json_t *r, struct fl_ice_ref *out) {
    out->name = name;
    out->snapshot_id = fl_ice_doc_i64(r, "snapshot-id", FL_ICE_NO_SNAPSHOT);
    const char *type = json_string_value(json_object_get(r, "type"));
    out->is_tag = type && strcmp(type, "tag") == 0;
    out->max_ref_age_ms = fl_ice_doc_i64(r, "max-ref-age-ms", -1);
    out->max_snapshot_age_ms = fl_ice_doc_i64(r, "max-snapshot-age-ms", -1);
    out->min_snapshots_to_keep = fl_ice_doc_i64(r, "min-snapshots-to-keep", -1);
}

int fl_ice_meta_refs(const struct fl_ice_meta *meta, struct fl_ice_ref *out, int cap) {
    json_t *refs = json_object_get(DOC(meta), "refs");
    int n = 0;
    const char *name;
    json_t *r;
    if (json_is_object(refs)) {
        json_object_foreach(refs, name, r) {
            if (!json_is_object(r)) continue;
            if (n < cap) ref_from_json(name, r, &out[n]);
            n++;
        }
    }
    if (!json_object_get(refs, "main") && meta->current_snapshot_id != FL_ICE_NO_SNAPSHOT) {
        /* a format-1 table without refs: main is the current snapshot */
        if (n < cap) {
            out[n] = (struct fl_ice_ref){.name = "main",
                                         .snapshot_id = meta->current_snapshot_id,
                                         .max_ref_age_ms = -1,
                                         .max_snapshot_age_ms = -1,
                                         .min_snapshots_to_keep = -1};
        }
        n++;
    }
    return n;
}

int fl_ice_snapshot_summary_prefixed(const struct fl_ice_meta *meta, int64_t snapshot_id,
                                     const char *prefix, struct fl_ice_kv *out, int cap) {
    json_t *snaps = json_object_get(DOC(meta), "snapshots");
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < json_array_size(snaps); i++) {
        json_t *s = json_array_get(snaps, i);
        if (fl_ice_doc_i64(s, "snapshot-id", FL_ICE_NO_SNAPSHOT) != snapshot_id) continue;
        int n = 0;
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(s, "summary"), k, v) {
            if (strncmp(k, prefix, pl) != 0 || !json_is_string(v)) continue;
            if (n < cap) out[n] = (struct fl_ice_kv){k, json_string_value(v)};
            n++;
        }
        return n;
    }
    return 0;
}

static int id_in(int64_t id, const int64_t *ids, int n) {
    for (int i = 0; i < n; i++)
        if (ids[i] == id) return 1;
    return 0;
}

fl_err_t fl_ice_meta_remove_snapshots(struct fl_ice_meta *meta, const int64_t *ids, int nids,
                                      const char *const *refs, int nrefs, struct fl_error *err) {
    json_t *d = DOC(meta);
    for (int i = 0; i < nrefs; i++) {
        if (strcmp(refs[i], "main") == 0)
            return fl_errf(err, FL_ERR_INVALID, "the main branch is never removed");
        json_object_del(fl_ice_doc_member(d, "refs", 0), refs[i]);
    }
    for (int i = 0; i < nids; i++)
        if (ids[i] == meta->current_snapshot_id)
            return fl_errf(err, FL_ERR_INVALID, "cannot remove the current snapshot %lld",
                           (long long)ids[i]);
    /* a snapshot a remaining ref points at stays */
    const char *name;
    json_t *r;
    json_object_foreach(fl_ice_doc_member(d, "refs", 0), name, r) {
        int64_t sid = fl_ice_doc_i64(r, "snapshot-id", FL_ICE_NO_SNAPSHOT);
        if (id_in(sid, ids, nids))
            return fl_errf(err, FL_ERR_INVALID, "cannot remove snapshot %lld: ref %s points at it",
                           (long long)sid, name);
    }
    json_t *snaps = json_object_get(d, "snapshots");
    for (size_t i = json_array_size(snaps); i-- > 0;)
        if (id_in(fl_ice_doc_i64(json_array_get(snaps, i), "snapshot-id", -1), ids, nids))
            json_array_remove(snaps, i);
    /* the snapshot-log keeps only the entries after the last removed one */
    json_t *log = json_object_get(d, "snapshot-log");
    size_t cut = 0;
    for (size_t i = 0; i < json_array_size(log); i++) {
        int64_t sid = fl_ice_doc_i64(json_array_get(log, i), "snapshot-id", -1);
        int exists = 0;
        for (size_t k = 0; k < json_array_size(snaps) && !exists; k++)
            exists = fl_ice_doc_i64(json_array_get(snaps, k), "snapshot-id", -2) == sid;
        if (!exists) cut = i + 1;
    }
    while (cut-- > 0) json_array_remove(log, 0);
    return fl_ice_meta_rebuild(meta, err);
}

int fl_ice_meta_log_files(const struct fl_ice_meta *meta, const char **out, int cap) {
    json_t *log = json_object_get(DOC(meta), "metadata-log");
    int n = 0;
    for (size_t i = 0; i < json_array_size(log); i++) {
        const char *f = json_string_value(json_object_get(json_array_get(log, i), "metadata-file"));
        if (!f) continue;
        if (n < cap) out[n] = f;
        n++;
    }
    return n;
}
