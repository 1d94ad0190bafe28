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
 * exist; the statistics files of removed snapshots leave the metadata
 * with them (the files themselves are left for orphan cleanup).
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

static int summary_prefixed(json_t *s, const char *prefix, struct fl_ice_kv *out, int cap) {
    size_t pl = strlen(prefix);
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

int fl_ice_snapshot_summary_prefixed(const struct fl_ice_meta *meta, int64_t snapshot_id,
                                     const char *prefix, struct fl_ice_kv *out, int cap) {
    json_t *snaps = json_object_get(DOC(meta), "snapshots");
    for (size_t i = 0; i < json_array_size(snaps); i++) {
        json_t *s = json_array_get(snaps, i);
        if (fl_ice_doc_i64(s, "snapshot-id", FL_ICE_NO_SNAPSHOT) == snapshot_id)
            return summary_prefixed(s, prefix, out, cap);
    }
    return 0;
}

int fl_ice_snapshot_summary_prefixed_at(const struct fl_ice_meta *meta, int i, const char *prefix,
                                        struct fl_ice_kv *out, int cap) {
    json_t *s = json_array_get(json_object_get(DOC(meta), "snapshots"), (size_t)i);
    return s ? summary_prefixed(s, prefix, out, cap) : 0;
}

static int i64_cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* id among the n sorted ids */
static int id_in(int64_t id, const int64_t *ids, int n) {
    return n && bsearch(&id, ids, (size_t)n, sizeof(*ids), i64_cmp) != NULL;
}

fl_err_t fl_ice_meta_remove_snapshots(struct fl_ice_meta *meta, const int64_t *ids_in, int nids,
                                      const char *const *refs, int nrefs, struct fl_error *err) {
    json_t *d = DOC(meta);
    fl_err_t rc = FL_OK;
    int64_t *ids = fl_calloc((size_t)nids + 1, sizeof(*ids)), *left = NULL;
    if (nids) memcpy(ids, ids_in, (size_t)nids * sizeof(*ids));
    if (nids) qsort(ids, (size_t)nids, sizeof(*ids), i64_cmp);
    for (int i = 0; i < nrefs && !rc; i++) {
        if (strcmp(refs[i], "main") == 0)
            rc = fl_errf(err, FL_ERR_INVALID, "the main branch is never removed");
        else
            json_object_del(fl_ice_doc_member(d, "refs", 0), refs[i]);
    }
    if (!rc && id_in(meta->current_snapshot_id, ids, nids))
        rc = fl_errf(err, FL_ERR_INVALID, "cannot remove the current snapshot %lld",
                     (long long)meta->current_snapshot_id);
    /* a snapshot a remaining ref points at stays */
    const char *name;
    json_t *r;
    json_object_foreach(fl_ice_doc_member(d, "refs", 0), name, r) {
        int64_t sid = fl_ice_doc_i64(r, "snapshot-id", FL_ICE_NO_SNAPSHOT);
        if (!rc && id_in(sid, ids, nids))
            rc = fl_errf(err, FL_ERR_INVALID, "cannot remove snapshot %lld: ref %s points at it",
                         (long long)sid, name);
    }
    if (rc) goto out;
    json_t *all = json_object_get(d, "snapshots"), *snaps = json_array();
    for (size_t i = 0; i < json_array_size(all); i++)
        if (!id_in(fl_ice_doc_i64(json_array_get(all, i), "snapshot-id", -1), ids, nids))
            json_array_append(snaps, json_array_get(all, i));
    json_object_set_new(d, "snapshots", snaps);
    /* statistics of removed snapshots go with them, as in Java's builder */
    static const char *const stats[] = {"statistics", "partition-statistics"};
    for (int k = 0; k < 2; k++) {
        json_t *st = json_object_get(d, stats[k]);
        for (size_t i = json_array_size(st); i-- > 0;)
            if (id_in(fl_ice_doc_i64(json_array_get(st, i), "snapshot-id", -1), ids, nids))
                json_array_remove(st, i);
    }
    /* the snapshot-log keeps only the entries after the last removed one */
    size_t nleft = json_array_size(snaps);
    left = fl_calloc(nleft + 1, sizeof(*left));
    for (size_t i = 0; i < nleft; i++)
        left[i] = fl_ice_doc_i64(json_array_get(snaps, i), "snapshot-id", -2);
    if (nleft) qsort(left, nleft, sizeof(*left), i64_cmp);
    json_t *log = json_object_get(d, "snapshot-log");
    size_t cut = 0;
    for (size_t i = 0; i < json_array_size(log); i++)
        if (!id_in(fl_ice_doc_i64(json_array_get(log, i), "snapshot-id", -1), left, (int)nleft))
            cut = i + 1;
    if (cut) {
        json_t *kept = json_array();
        for (size_t i = cut; i < json_array_size(log); i++)
            json_array_append(kept, json_array_get(log, i));
        json_object_set_new(d, "snapshot-log", kept);
    }
    rc = fl_ice_meta_rebuild(meta, err);
out:
    fl_free(ids);
    fl_free(left);
    return rc;
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

int fl_ice_meta_stats_files(const struct fl_ice_meta *meta, const char **out, int cap) {
    static const char *const kinds[] = {"statistics", "partition-statistics"};
    int n = 0;
    for (int k = 0; k < 2; k++) {
        json_t *st = json_object_get(DOC(meta), kinds[k]);
        for (size_t i = 0; i < json_array_size(st); i++) {
            const char *f =
                json_string_value(json_object_get(json_array_get(st, i), "statistics-path"));
            if (!f) continue;
            if (n < cap) out[n] = f;
            n++;
        }
    }
    return n;
}
