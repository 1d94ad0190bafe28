/*
 * orphans.c - orphan file cleanup, as Iceberg Java's DeleteOrphanFiles
 * does it, and the sweep of temporary files left by killed writes.
 *
 * How it works, in three phases:
 *  1. referenced: the store keys of every file the table's current
 *     metadata reaches (the metadata file, its metadata-log, statistics
 *     files, version-hint.text, and through fl_ice_table_reachable - the
 *     walk expiry's cleanup uses - every manifest list, manifest, data
 *     and delete file of every snapshot, any entry status). Paths become
 *     keys through fl_ice_table_key, the resolver scans use, so
 *     s3a://b/t/x and s3://b/t/x, file:/w/t/x and file:///w/t/x are the
 *     same key (a relative path keeps both its readings). A file that
 *     cannot be read, or an absolute path outside the table and the
 *     warehouse, stops everything before a single delete.
 *  2. candidates: every object the store lists under the table's folder
 *     (temporary files of the local backend included), with its size and
 *     modification time. The vN.metadata.json twin floe writes beside
 *     each referenced NNNNN-<uuid>.metadata.json is referenced too; a
 *     metadata file newer than the current version (a commit in flight,
 *     or one a reader's version-hint will name next) is kept without
 *     looking at its age.
 *  3. orphans: candidates not referenced and last modified before the
 *     cutoff are deleted, after the listing is complete. The age rule is
 *     what keeps a commit in flight safe: its new files exist before the
 *     metadata that names them, and they are younger than the cutoff.
 *     The listing never leaves the table's folder (keys under
 *     "<folder>/") and never follows a symbolic link.
 * On S3 the incomplete multipart uploads under the folder (a process
 * killed during a large upload leaves one, billed until aborted) are
 * listed too and aborted when initiated before the cutoff; a server that
 * cannot list them (HTTP 501) is noted in the result, not an error.
 */
#include "iceberg/orphans.h"
#include "iceberg/expire.h"
#include "iceberg/table_int.h"
#include "core/mem.h"
#include "core/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- 1. referenced ---- */

struct refs {
    struct fl_ice_table *tbl;
    char **keys;
    int n, cap;
    int current;   /* the current metadata version (-1 when its name has none) */
    int *versions; /* metadata versions kept whole (named vN.metadata.json) */
    int nversions;
    char *bad; /* the first referenced path that resolves to no key */
};

static int key_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void refs_push(struct refs *r, const char *key) {
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->keys = fl_reallocarray(r->keys, (size_t)r->cap, sizeof(*r->keys));
    }
    r->keys[r->n++] = fl_strdup(key);
}

/* Adds the key of path. A relative path (no scheme; not valid Iceberg,
 * yet some writers record one) may be under the table or under the
 * warehouse: both keys are kept. An absolute path that resolves to
 * neither is an error (Java's prefix-mismatch ERROR mode): a file the
 * table may read under another spelling must not look unreferenced. */
static void refs_add(struct refs *r, const char *path) {
    char key[FL_STORE_KEY_MAX + 1];
    struct fl_error e = {0};
    if (!path || r->bad) return;
    if (fl_ice_table_key(r->tbl, path, key, sizeof(key), &e) == FL_OK) {
        refs_push(r, key);
        return;
    }
    if (path[0] != '/' && !strstr(path, ":/")) {
        char *k = fl_ice_table_child_key(r->tbl, path);
        refs_push(r, k);
        refs_push(r, path);
        fl_free(k);
        return;
    }
    r->bad = fl_strdup(path);
}

static void reach_cb(void *ctx, const char *path, enum fl_ice_reach_kind kind) {
    (void)kind;
    refs_add(ctx, path);
}

/* A referenced metadata file's twin: floe writes each version as
 * NNNNN-<uuid>.metadata.json and vN.metadata.json. The vN twin of a
 * NNNNN name is kept by name; a vN name (a table opened by path) does
 * not say which NNNNN-<uuid> file is its twin (a catalog may point at
 * it), so every file of version N is kept. */
static void refs_version(struct refs *r, const char *path) {
    int v = fl_ice_metadata_version(path);
    if (v < 0) return;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (base[0] != 'v') {
        char rel[64];
        snprintf(rel, sizeof(rel), "metadata/v%d.metadata.json", v);
        char *twin = fl_ice_table_child_key(r->tbl, rel);
        refs_push(r, twin);
        fl_free(twin);
        return;
    }
    r->versions = fl_reallocarray(r->versions, (size_t)r->nversions + 1, sizeof(*r->versions));
    r->versions[r->nversions++] = v;
}

static fl_err_t refs_collect(struct refs *r, struct fl_error *err) {
    const struct fl_ice_meta *meta = r->tbl->meta;
    refs_add(r, r->tbl->metadata_location);
    refs_version(r, r->tbl->metadata_location);
    r->current = fl_ice_metadata_version(r->tbl->metadata_location);
    if (r->current < 0) r->current = r->tbl->version;
    int nlog = fl_ice_meta_log_files(meta, NULL, 0);
    int nstats = fl_ice_meta_stats_files(meta, NULL, 0);
    const char **f = fl_calloc((size_t)(nlog > nstats ? nlog : nstats) + 1, sizeof(*f));
    fl_ice_meta_log_files(meta, f, nlog);
    for (int i = 0; i < nlog; i++) {
        refs_add(r, f[i]);
        refs_version(r, f[i]);
    }
    fl_ice_meta_stats_files(meta, f, nstats);
    for (int i = 0; i < nstats; i++) refs_add(r, f[i]);
    fl_free(f);
    char *hint = fl_ice_table_child_key(r->tbl, "metadata/version-hint.text");
    refs_push(r, hint);
    fl_free(hint);
    fl_err_t rc = fl_ice_table_reachable(r->tbl, reach_cb, r, err);
    if (rc) return rc;
    if (r->bad)
        return fl_errf(err, FL_ERR_INVALID,
                       "the table references %s, which is neither under its location %s nor "
                       "under the warehouse %s",
                       r->bad, r->tbl->meta->location ? r->tbl->meta->location : "",
                       fl_store_uri(r->tbl->store));
    if (r->n) qsort(r->keys, (size_t)r->n, sizeof(*r->keys), key_cmp);
    return FL_OK;
}

static int refs_has(const struct refs *r, const char *key) {
    return r->n && bsearch(&key, r->keys, (size_t)r->n, sizeof(*r->keys), key_cmp) != NULL;
}

/* A metadata file directly in the table's metadata/ folder whose version
 * is kept whole, or newer than the current one. */
static int metadata_kept(const struct refs *r, const char *key) {
    size_t pl = strlen(r->tbl->key_prefix);
    const char *rel = key + pl + (pl ? 1 : 0);
    if (strncmp(rel, "metadata/", 9) != 0 || strchr(rel + 9, '/')) return 0;
    int v = fl_ice_metadata_version(rel);
    if (v < 0) return 0;
    if (r->current >= 0 && v > r->current) return 1;
    for (int i = 0; i < r->nversions; i++)
        if (v == r->versions[i]) return 1;
    return 0;
}

static void refs_fini(struct refs *r) {
    for (int i = 0; i < r->n; i++) fl_free(r->keys[i]);
    fl_free(r->keys);
    fl_free(r->versions);
    fl_free(r->bad);
}

/* ---- 2. candidates ---- */

struct sweep {
    const struct refs *refs; /* NULL: temporary files only */
    int64_t cutoff;
    struct fl_ice_orphan_result *res;
};

static void res_add(struct fl_ice_orphan_result *res, const struct fl_store_obj *obj) {
    int n = res->nfiles; /* room doubles at 16, 32, 64 ... */
    if (n == 0 || (n >= 16 && (n & (n - 1)) == 0))
        res->files = fl_reallocarray(res->files, n ? (size_t)n * 2 : 16, sizeof(*res->files));
    res->files[res->nfiles++] = (struct fl_ice_orphan_file){.key = fl_strdup(obj->key),
                                                            .size = obj->size,
                                                            .mtime_ms = obj->mtime_ms,
                                                            .temp = obj->temp};
}

/* Incomplete multipart uploads (S3) under the prefix: whatever the
 * table references, an upload never finished is not one of its files;
 * one initiated before the cutoff belongs to no write in flight. */
static fl_err_t upload_cb(void *ctx, const char *key, const char *upload_id, int64_t initiated_ms) {
    struct sweep *sw = ctx;
    sw->res->scanned++;
    if (initiated_ms >= sw->cutoff) {
        sw->res->young++;
        return FL_OK;
    }
    struct fl_store_obj obj = {.key = key, .size = 0, .mtime_ms = initiated_ms, .temp = true};
    res_add(sw->res, &obj);
    sw->res->files[sw->res->nfiles - 1].upload_id = fl_strdup(upload_id);
    return FL_OK;
}

static fl_err_t sweep_cb(void *ctx, const struct fl_store_obj *obj) {
    struct sweep *sw = ctx;
    if (!sw->refs && !obj->temp) return FL_OK;
    sw->res->scanned++;
    if (!obj->temp && (refs_has(sw->refs, obj->key) || metadata_kept(sw->refs, obj->key))) {
        sw->res->referenced++;
        return FL_OK;
    }
    if (obj->mtime_ms >= sw->cutoff) {
        sw->res->young++;
        return FL_OK;
    }
    res_add(sw->res, obj);
    return FL_OK;
}

/* ---- 3. orphans ---- */

static int64_t cutoff_of(const struct fl_ice_orphan_opts *opts) {
    if (opts->older_than_ms != FL_ICE_ORPHAN_UNSET) return opts->older_than_ms;
    int64_t now = opts->now_ms > 0 ? opts->now_ms : fl_time_now_us() / 1000;
    return now - FL_ICE_ORPHAN_AGE_DEFAULT_MS;
}

/* Lists under prefix, then deletes what the listing found (unless dry);
 * a failed delete leaves the file out of res->files. */
static fl_err_t sweep(struct fl_store *st, const char *prefix, const struct refs *refs,
                      const struct fl_ice_orphan_opts *opts, struct fl_ice_orphan_result *res,
                      struct fl_error *err) {
    struct sweep sw = {.refs = refs, .cutoff = cutoff_of(opts), .res = res};
    fl_err_t rc = fl_store_scan(st, prefix, FL_STORE_SCAN_TEMP, sweep_cb, &sw, err);
    if (!rc) {
        struct fl_error ue = {0};
        fl_err_t urc = fl_store_uploads(st, prefix, upload_cb, &sw, &ue);
        if (urc == FL_ERR_UNSUPPORTED)
            res->uploads_unlisted = true;
        else if (urc)
            rc = fl_errf(err, urc, "%s", ue.msg);
    }
    if (rc || opts->dry_run) goto out;
    int w = 0;
    for (int i = 0; i < res->nfiles; i++) {
        struct fl_ice_orphan_file *f = &res->files[i];
        struct fl_error e = {0};
        fl_err_t drc = f->upload_id ? fl_store_abort_upload(st, f->key, f->upload_id, &e)
                       : f->temp    ? fl_store_delete_temp(st, f->key, &e)
                                    : fl_store_delete(st, f->key, &e);
        if (drc) {
            res->failed++;
            fl_free(f->key);
            fl_free(f->upload_id);
            continue;
        }
        res->files[w++] = *f;
    }
    res->nfiles = w;
out:
    for (int i = 0; i < res->nfiles; i++) res->bytes += res->files[i].size;
    return rc;
}

fl_err_t fl_ice_table_clean_orphans(struct fl_ice_table *tbl, const struct fl_ice_orphan_opts *opts,
                                    struct fl_ice_orphan_result *res, struct fl_error *err) {
    memset(res, 0, sizeof(*res));
    struct refs r = {.tbl = tbl};
    char prefix[FL_STORE_KEY_MAX + 1];
    fl_err_t rc = FL_OK;
    if (!tbl->key_prefix[0]) {
        rc = fl_errf(err, FL_ERR_INVALID,
                     "the table's folder is the whole store: orphan cleanup only runs under a "
                     "table's own folder");
        goto out;
    }
    if ((size_t)snprintf(prefix, sizeof(prefix), "%s/", tbl->key_prefix) >= sizeof(prefix)) {
        rc = fl_errf(err, FL_ERR_LIMIT, "table folder %s too long", tbl->key_prefix);
        goto out;
    }
    rc = refs_collect(&r, err);
    if (rc) {
        fl_err_prefix(err, "nothing deleted: cannot read what the table references");
        goto out;
    }
    rc = sweep(tbl->store, prefix, &r, opts, res, err);
out:
    refs_fini(&r);
    return rc;
}

fl_err_t fl_ice_clean_temp_files(struct fl_store *st, const char *prefix,
                                 const struct fl_ice_orphan_opts *opts,
                                 struct fl_ice_orphan_result *res, struct fl_error *err) {
    memset(res, 0, sizeof(*res));
    return sweep(st, prefix, NULL, opts, res, err);
}

void fl_ice_orphan_result_fini(struct fl_ice_orphan_result *res) {
    for (int i = 0; i < res->nfiles; i++) {
        fl_free(res->files[i].key);
        fl_free(res->files[i].upload_id);
    }
    fl_free(res->files);
    memset(res, 0, sizeof(*res));
}
