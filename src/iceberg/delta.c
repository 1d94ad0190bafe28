/*
 * delta.c - row-delta validation: the data files an upsert's position
 * deletes name are still live when its commit lands (table_int.h,
 * Iceberg Java's RowDelta.validateDataFilesExist).
 *
 * Why: a pipeline plans its deletes against the snapshot it read; if a
 * compaction (or an overwrite) commits in between and replaces a file
 * the deletes name, the deletes would name a file no snapshot reads
 * any more, and the rows they meant to delete would live on in the
 * compacted file: a key twice. Compaction validates the other order
 * (deletes committed during its rewrite abandon the group).
 *
 * How: per commit attempt, on the fresh base, walk from the current
 * snapshot back to the plan's; if every snapshot on the way is an
 * append (nothing removed), pass without reading a manifest or sorting
 * the paths - the common case, a pipeline alone or beside expiry.
 * Otherwise read the live data files of the current snapshot and require
 * every named one.
 */
#include "iceberg/table_int.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

static int str_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void fl_ice_delta_check_init(struct fl_ice_delta_check *dc, int64_t base, const char *const *refs,
                             int nrefs) {
    *dc = (struct fl_ice_delta_check){.base = base, .given = refs, .ngiven = nrefs > 0 ? nrefs : 0};
}

/* The sorted, distinct copies of the given paths (once per commit, and
 * only when a full check is needed: the common commit never sorts). */
static void refs_sort(struct fl_ice_delta_check *dc) {
    if (dc->refs || dc->ngiven == 0) return;
    char **v = fl_calloc((size_t)dc->ngiven, sizeof(*v));
    for (int i = 0; i < dc->ngiven; i++) v[i] = (char *)dc->given[i]; /* borrowed while sorting */
    qsort(v, (size_t)dc->ngiven, sizeof(*v), str_cmp);
    int n = 0;
    for (int i = 0; i < dc->ngiven; i++)
        if (n == 0 || strcmp(v[n - 1], v[i]) != 0) v[n++] = v[i];
    for (int i = 0; i < n; i++) v[i] = fl_strdup(v[i]);
    dc->refs = v;
    dc->nrefs = n;
}

void fl_ice_delta_check_fini(struct fl_ice_delta_check *dc) {
    for (int i = 0; i < dc->nrefs; i++) fl_free(dc->refs[i]);
    fl_free(dc->refs);
    *dc = (struct fl_ice_delta_check){0};
}

/* Only appends between the current snapshot and base (base reached). */
static bool appends_only_since(const struct fl_ice_meta *meta, int64_t base) {
    int64_t id = meta->current_snapshot_id;
    for (int hops = 0; hops <= meta->nsnapshots; hops++) {
        if (id == base) return true;
        const struct fl_ice_snapshot *s = fl_ice_meta_snapshot(meta, id);
        if (!s || strcmp(s->operation, "append") != 0) return false;
        id = s->parent_id;
    }
    return false;
}

struct live_ctx {
    const struct fl_ice_delta_check *dc;
    bool *seen;
    int found;
};

static int live_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct live_ctx *lc = ctx;
    if (e->status == FL_ICE_STATUS_DELETED || e->df.content != FL_ICE_CONTENT_DATA) return 0;
    const char *key = e->df.file_path;
    char **hit = bsearch(&key, lc->dc->refs, (size_t)lc->dc->nrefs, sizeof(char *), str_cmp);
    if (hit && !lc->seen[hit - lc->dc->refs]) {
        lc->seen[hit - lc->dc->refs] = true;
        lc->found++;
    }
    return 0;
}

fl_err_t fl_ice_delta_validate(void *ctx, struct fl_ice_table *tbl, struct fl_error *err) {
    struct fl_ice_delta_check *dc = ctx;
    const struct fl_ice_meta *meta = tbl->meta;
    if (dc->ngiven == 0 || appends_only_since(meta, dc->base)) return FL_OK;
    refs_sort(dc);
    if (meta->current_snapshot_id == FL_ICE_NO_SNAPSHOT)
        return fl_errf(err, FL_ERR_CONFLICT,
                       "the %d data files the deletes name are gone: the table has no snapshot",
                       dc->nrefs);
    struct live_ctx lc = {.dc = dc, .seen = fl_calloc((size_t)dc->nrefs, sizeof(bool))};
    fl_err_t rc = fl_ice_table_files(tbl, meta->current_snapshot_id, NULL, live_entry, &lc, err);
    fl_free(lc.seen);
    if (!rc && lc.found < dc->nrefs)
        rc = fl_errf(err, FL_ERR_CONFLICT,
                     "%d of the %d data files the position deletes name were removed since the "
                     "plan (a compaction or overwrite committed meanwhile): planned again",
                     dc->nrefs - lc.found, dc->nrefs);
    return rc;
}
