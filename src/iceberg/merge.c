/*
 * merge.c - manifest merging on commit (see merge.h).
 *
 * How it works, following Iceberg Java's ManifestMergeManager: the
 * manifests of the new list are taken per content (data, then deletes)
 * and per partition spec (highest id first), in list order, the commit's
 * own first. Each group is packed from its END (the oldest manifests)
 * into bins of at most target_bytes of manifest files, one bin open at a
 * time, so manifest order is kept and the bin left under-filled is the
 * newest one, merged again by a later commit. A bin of one manifest is
 * kept as it is; so is the bin holding the group's first manifest while
 * it has fewer than min_count manifests (an append adds one manifest and
 * merges only once min_count have piled up); every other bin becomes one
 * new manifest. The merged manifest is written before the commit's
 * metadata, so a crash or a lost compare-and-swap leaves an orphan file,
 * never a changed table; older snapshots keep their own manifest lists.
 */
#include "iceberg/merge.h"
#include "core/mem.h"
#include "iceberg/table_int.h"

#include <stdlib.h>
#include <strings.h>

#define DEFAULT_MIN_COUNT 100
#define DEFAULT_TARGET_BYTES ((int64_t)8 << 20)

void fl_ice_merge_opts_from_meta(const struct fl_ice_meta *meta, struct fl_ice_merge_opts *opts) {
    opts->enabled = true;
    opts->min_count = DEFAULT_MIN_COUNT;
    opts->target_bytes = DEFAULT_TARGET_BYTES;
    const char *v = fl_ice_meta_property(meta, FL_ICE_MERGE_ENABLED);
    if (v && strcasecmp(v, "false") == 0) opts->enabled = false;
    char *end;
    if ((v = fl_ice_meta_property(meta, FL_ICE_MERGE_MIN_COUNT))) {
        long long n = strtoll(v, &end, 10);
        if (*v && !*end && n >= 0 && n <= INT32_MAX) opts->min_count = (int)n;
    }
    if ((v = fl_ice_meta_property(meta, FL_ICE_MERGE_TARGET_BYTES))) {
        long long n = strtoll(v, &end, 10);
        if (*v && !*end && n > 0) opts->target_bytes = n;
    }
}

struct merging {
    int64_t id;
    struct fl_ice_manifest_entry *e;
    int n, cap;
};

/* One entry of a manifest being merged, as Java's createManifest keeps it. */
static int merge_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct merging *m = ctx;
    if (e->status == FL_ICE_STATUS_DELETED && e->snapshot_id != m->id)
        return 0; /* an earlier delete */
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 256;
        m->e = fl_reallocarray(m->e, (size_t)m->cap, sizeof(*m->e));
    }
    struct fl_ice_manifest_entry *d = &m->e[m->n++];
    *d = *e; /* snapshot id and sequence numbers as read, i.e. explicit */
    fl_ice_data_file_copy(&d->df, &e->df);
    if (e->status == FL_ICE_STATUS_ADDED && e->snapshot_id == m->id) {
        /* still this commit's: inherits from the merged manifest */
        d->sequence_number = d->file_sequence_number = FL_ICE_NULL_LONG;
    } else if (e->status == FL_ICE_STATUS_ADDED) {
        d->status = FL_ICE_STATUS_EXISTING;
    }
    return 0;
}

/* Rewrites the manifests bin[0..n) (one content, one spec) as one; *out
 * untouched and *wrote 0 when no entry is left. */
static fl_err_t merge_bin(struct fl_ice_table *tbl, int64_t id, int64_t seq,
                          const struct fl_ice_manifest_file *const *bin, int n,
                          struct fl_ice_manifest_file *out, int *wrote, struct fl_error *err) {
    struct merging m = {.id = id};
    fl_err_t rc = FL_OK;
    *wrote = 0;
    for (int i = 0; i < n && !rc; i++) {
        rc = fl_ice_table_read_manifest(tbl, bin[i], merge_entry, &m, err);
        if (rc) fl_err_prefix(err, "merging manifest %s", bin[i]->manifest_path);
    }
    const struct fl_ice_spec *spec = fl_ice_meta_spec(tbl->meta, bin[0]->partition_spec_id);
    if (!rc && !spec)
        rc = fl_errf(err, FL_ERR_CORRUPT, "manifest %s names unknown spec %d",
                     bin[0]->manifest_path, bin[0]->partition_spec_id);
    if (!rc && m.n > 0) {
        rc = fl_ice_table_put_manifest(tbl, spec, bin[0]->content, m.e, m.n,
                                       bin[0]->content ? "g1" : "g0", id, seq, out, err);
        if (!rc) *wrote = 1;
    }
    for (int i = 0; i < m.n; i++) fl_ice_data_file_fini(&m.e[i].df);
    fl_free(m.e);
    return rc;
}

static int cmp_desc(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x > y ? -1 : x < y;
}

fl_err_t fl_ice_manifests_merge(struct fl_ice_table *tbl, const struct fl_ice_merge_opts *opts,
                                int64_t snapshot_id, int64_t seq,
                                const struct fl_ice_manifest_file *in, int n,
                                struct fl_ice_manifest_file **out, int *nout,
                                struct fl_ice_manifest_file **made, int *nmade,
                                struct fl_error *err) {
    *out = fl_calloc((size_t)n + 1, sizeof(**out));
    *made = fl_calloc((size_t)n + 1, sizeof(**made));
    *nout = *nmade = 0;
    if (!opts->enabled) {
        for (int i = 0; i < n; i++) (*out)[(*nout)++] = in[i];
        return FL_OK;
    }
    const struct fl_ice_manifest_file **group = fl_calloc((size_t)n + 1, sizeof(*group));
    int *binof = fl_calloc((size_t)n + 1, sizeof(*binof));
    int32_t *specs = fl_calloc((size_t)n + 1, sizeof(*specs));
    fl_err_t rc = FL_OK;
    for (int content = 0; content < 2 && !rc; content++) {
        const struct fl_ice_manifest_file *first = NULL;
        int nspecs = 0;
        for (int i = 0; i < n; i++) {
            if (in[i].content != content) continue;
            if (!first) first = &in[i];
            specs[nspecs++] = in[i].partition_spec_id;
        }
        qsort(specs, (size_t)nspecs, sizeof(*specs), cmp_desc);
        for (int s = 0; s < nspecs && !rc; s++) {
            if (s > 0 && specs[s] == specs[s - 1]) continue;
            int ng = 0;
            for (int i = 0; i < n; i++)
                if (in[i].content == content && in[i].partition_spec_id == specs[s])
                    group[ng++] = &in[i];
            /* pack from the end, one open bin: binof[i] counts bins from the end */
            int nbins = 0;
            int64_t w = 0;
            for (int i = ng - 1; i >= 0; i--) {
                int64_t len = group[i]->manifest_length;
                if (nbins == 0 || w + len > opts->target_bytes) {
                    nbins++;
                    w = 0;
                }
                w += len;
                binof[i] = nbins - 1;
            }
            /* bins in list order: the highest binof comes first */
            for (int lo = 0; lo < ng && !rc;) {
                int hi = lo;
                bool has_first = false;
                while (hi < ng && binof[hi] == binof[lo]) has_first |= group[hi++] == first;
                int size = hi - lo;
                if (size == 1 || (has_first && size < opts->min_count)) {
                    for (int i = lo; i < hi; i++) (*out)[(*nout)++] = *group[i];
                } else {
                    int wrote = 0;
                    rc = merge_bin(tbl, snapshot_id, seq, &group[lo], size, &(*made)[*nmade],
                                   &wrote, err);
                    if (wrote) (*out)[(*nout)++] = (*made)[(*nmade)++];
                }
                lo = hi;
            }
        }
    }
    for (int i = 0; i < n; i++)
        if (in[i].content != 0 && in[i].content != 1)
            (*out)[(*nout)++] = in[i]; /* not ours to merge */
    fl_free(group);
    fl_free(binof);
    fl_free(specs);
    if (rc) {
        for (int i = 0; i < *nmade; i++) fl_ice_manifest_file_fini(&(*made)[i]);
        fl_free(*made);
        fl_free(*out);
        *made = *out = NULL;
        *nout = *nmade = 0;
    }
    return rc;
}
