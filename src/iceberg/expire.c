/*
 * expire.c - snapshot expiry and the file cleanup that follows it, as
 * Iceberg Java's RemoveSnapshots and ReachableFileCleanup do it.
 *
 * How it works, in three phases:
 *  1. plan (fl_ice_expire_plan, pure): the refs to keep (main always;
 *     another ref while its snapshot is younger than its max-ref-age),
 *     the snapshots to keep (each retained ref's snapshot; for a branch,
 *     its ancestors while fewer than min-snapshots-to-keep are kept or
 *     they are younger than max-snapshot-age, each from the ref or else
 *     from the table properties and the caller's --older-than and
 *     --retain-last; snapshots no ref reaches that are younger than the
 *     default age; and for each pipeline the newest ancestor of main
 *     with its floe.offsets.* entry, with the snapshots between it and
 *     main's head, which the pipeline walks to find it), and everything
 *     else plus the caller's explicit ids to expire.
 *  2. commit: the plan is made again inside fl_ice_table_commit_meta's
 *     change function, on the fresh metadata of each attempt, so a
 *     conflicting commit is never undone; the change records the
 *     manifest lists of the snapshots it removes.
 *  3. cleanup, after the commit is visible: the manifests that expired
 *     snapshots list and no retained snapshot lists are candidates; the
 *     files live in candidate manifests, minus every file live in a
 *     retained manifest, are deleted, then the candidate manifests and
 *     the expired manifest lists. Only files found through removed
 *     snapshots are ever deleted, so a commit still in flight (whose new
 *     files no expired snapshot names) is never at risk, and a crash
 *     before or during the deletes leaves orphans, never a dangling
 *     reference.
 */
#include "iceberg/expire.h"
#include "iceberg/table_int.h"
#include "core/mem.h"
#include "core/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX ((size_t)512 << 20) /* the largest manifest list read */

/* ---- small sets ---- */

struct strset {
    char **s;
    int n, cap;
    int sorted;
};

static void strset_add(struct strset *ss, const char *v) {
    if (ss->n == ss->cap) {
        ss->cap = ss->cap ? ss->cap * 2 : 64;
        ss->s = fl_reallocarray(ss->s, (size_t)ss->cap, sizeof(*ss->s));
    }
    ss->s[ss->n++] = fl_strdup(v);
    ss->sorted = 0;
}

static int str_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strset_sort(struct strset *ss) {
    if (ss->sorted) return;
    if (ss->n) qsort(ss->s, (size_t)ss->n, sizeof(*ss->s), str_cmp);
    int w = 0;
    for (int i = 0; i < ss->n; i++) {
        if (w && strcmp(ss->s[w - 1], ss->s[i]) == 0)
            fl_free(ss->s[i]);
        else
            ss->s[w++] = ss->s[i];
    }
    ss->n = w;
    ss->sorted = 1;
}

static int strset_has(struct strset *ss, const char *v) {
    strset_sort(ss);
    return ss->n && bsearch(&v, ss->s, (size_t)ss->n, sizeof(*ss->s), str_cmp) != NULL;
}

static void strset_fini(struct strset *ss) {
    for (int i = 0; i < ss->n; i++) fl_free(ss->s[i]);
    fl_free(ss->s);
    memset(ss, 0, sizeof(*ss));
}

/* snapshot id -> index in meta->snapshots, for ancestor walks of any length */
struct snap_index {
    int64_t id;
    int idx;
};

static int idx_cmp(const void *a, const void *b) {
    int64_t x = ((const struct snap_index *)a)->id, y = ((const struct snap_index *)b)->id;
    return x < y ? -1 : x > y;
}

static int snap_find(const struct snap_index *ix, int n, int64_t id) {
    struct snap_index key = {.id = id};
    const struct snap_index *f = n ? bsearch(&key, ix, (size_t)n, sizeof(*ix), idx_cmp) : NULL;
    return f ? f->idx : -1;
}

/* ---- 1. plan ---- */

static int64_t prop_i64(const struct fl_ice_meta *meta, const char *key, int64_t dflt) {
    const char *v = fl_ice_meta_property(meta, key);
    if (!v) return dflt;
    char *end;
    long long x = strtoll(v, &end, 10);
    return end != v && !*end ? (int64_t)x : dflt;
}

static int id_in(int64_t id, const int64_t *ids, int n) {
    for (int i = 0; i < n; i++)
        if (ids[i] == id) return 1;
    return 0;
}

static int i64_cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* id among the n sorted ids */
static int id_sorted_in(int64_t id, const int64_t *ids, int n) {
    return n && bsearch(&id, ids, (size_t)n, sizeof(*ids), i64_cmp) != NULL;
}

struct plan {
    const struct fl_ice_meta *meta;
    struct snap_index *ix;
    char *keep; /* per snapshot index */
    char *reached;
};

/* Keeps the ancestors of head while fewer than min are kept or they are
 * no older than older_than (Java's computeBranchSnapshotsToRetain). */
static void keep_branch(struct plan *pl, int64_t head, int64_t older_than, int64_t min) {
    int64_t kept = 0;
    int n = pl->meta->nsnapshots;
    for (int i = snap_find(pl->ix, n, head), guard = 0; i >= 0 && guard <= n; guard++) {
        const struct fl_ice_snapshot *s = &pl->meta->snapshots[i];
        if (kept < min || s->timestamp_ms >= older_than) {
            pl->keep[i] = 1;
            kept++;
        } else
            break;
        i = snap_find(pl->ix, n, s->parent_id);
    }
}

/* Marks head and its ancestors as reached by a branch. */
static void reach_branch(struct plan *pl, int64_t head) {
    int n = pl->meta->nsnapshots;
    for (int i = snap_find(pl->ix, n, head), guard = 0; i >= 0 && guard <= n; guard++) {
        pl->reached[i] = 1;
        i = snap_find(pl->ix, n, pl->meta->snapshots[i].parent_id);
    }
}

/* Keeps, for each pipeline, the newest ancestor of main that records its
 * offsets (the one a restarting pipeline resumes from) and every
 * snapshot between it and main's head, since the pipeline finds it by
 * walking parents. Returns the index of a snapshot kept this way that is
 * among ids (-1 when none). */
static int keep_offsets(struct plan *pl, int64_t head, const int64_t *ids, int nids) {
    struct strset seen = {0};
    int n = pl->meta->nsnapshots, clash = -1, depth = 0, deepest = -1;
    int *path = fl_calloc((size_t)n + 1, sizeof(*path));
    for (int i = snap_find(pl->ix, n, head); i >= 0 && depth < n; depth++) {
        path[depth] = i;
        int nk = fl_ice_snapshot_summary_prefixed_at(pl->meta, i, "floe.offsets.", NULL, 0);
        struct fl_ice_kv *kv = fl_calloc((size_t)nk + 1, sizeof(*kv));
        fl_ice_snapshot_summary_prefixed_at(pl->meta, i, "floe.offsets.", kv, nk);
        for (int k = 0; k < nk; k++) {
            if (strset_has(&seen, kv[k].key)) continue;
            strset_add(&seen, kv[k].key);
            deepest = depth;
        }
        fl_free(kv);
        i = snap_find(pl->ix, n, pl->meta->snapshots[i].parent_id);
    }
    for (int d = 0; d <= deepest; d++) {
        pl->keep[path[d]] = 1;
        if (clash < 0 && id_in(pl->meta->snapshots[path[d]].snapshot_id, ids, nids))
            clash = path[d];
    }
    fl_free(path);
    strset_fini(&seen);
    return clash;
}

fl_err_t fl_ice_expire_plan(const struct fl_ice_meta *meta, const struct fl_ice_expire_opts *opts,
                            struct fl_ice_expire_result *res, struct fl_error *err) {
    int64_t now = opts->now_ms > 0 ? opts->now_ms : fl_time_now_us() / 1000;
    int64_t max_age = prop_i64(meta, FL_ICE_PROP_MAX_SNAPSHOT_AGE, FL_ICE_MAX_SNAPSHOT_AGE_DEFAULT);
    int64_t older_than =
        opts->older_than_ms != FL_ICE_EXPIRE_UNSET ? opts->older_than_ms : now - max_age;
    int64_t min_keep =
        opts->retain_last >= 1 ? opts->retain_last : prop_i64(meta, FL_ICE_PROP_MIN_SNAPSHOTS, 1);
    int64_t max_ref_age = opts->max_ref_age_ms >= 1
                              ? opts->max_ref_age_ms
                              : prop_i64(meta, FL_ICE_PROP_MAX_REF_AGE, INT64_MAX);
    int n = meta->nsnapshots;
    struct plan pl = {.meta = meta,
                      .ix = fl_calloc((size_t)n + 1, sizeof(*pl.ix)),
                      .keep = fl_calloc((size_t)n + 1, 1),
                      .reached = fl_calloc((size_t)n + 1, 1)};
    for (int i = 0; i < n; i++) pl.ix[i] = (struct snap_index){meta->snapshots[i].snapshot_id, i};
    if (n) qsort(pl.ix, (size_t)n, sizeof(*pl.ix), idx_cmp);
    int nrefs = fl_ice_meta_refs(meta, NULL, 0);
    struct fl_ice_ref *refs = fl_calloc((size_t)nrefs + 1, sizeof(*refs));
    char *ref_kept = fl_calloc((size_t)nrefs + 1, 1);
    fl_ice_meta_refs(meta, refs, nrefs);
    fl_err_t rc = FL_OK;

    /* refs: main always; others while their snapshot exists and is young enough */
    for (int r = 0; r < nrefs; r++) {
        int i = snap_find(pl.ix, n, refs[r].snapshot_id);
        int64_t age = refs[r].max_ref_age_ms >= 0 ? refs[r].max_ref_age_ms : max_ref_age;
        ref_kept[r] = strcmp(refs[r].name, "main") == 0 ||
                      (i >= 0 && now - meta->snapshots[i].timestamp_ms <= age);
        if (!ref_kept[r]) continue;
        if (id_in(refs[r].snapshot_id, opts->ids, opts->nids)) {
            rc = fl_errf(err, FL_ERR_INVALID, "cannot expire snapshot %lld: ref %s points at it",
                         (long long)refs[r].snapshot_id, refs[r].name);
            goto out;
        }
        if (i >= 0) pl.keep[i] = 1;
        if (refs[r].is_tag) {
            if (i >= 0) pl.reached[i] = 1;
            continue;
        }
        int64_t bt =
            refs[r].max_snapshot_age_ms >= 0 ? now - refs[r].max_snapshot_age_ms : older_than;
        int64_t bm = refs[r].min_snapshots_to_keep >= 0 ? refs[r].min_snapshots_to_keep : min_keep;
        keep_branch(&pl, refs[r].snapshot_id, bt, bm);
        reach_branch(&pl, refs[r].snapshot_id);
        if (strcmp(refs[r].name, "main") == 0) {
            int clash = keep_offsets(&pl, refs[r].snapshot_id, opts->ids, opts->nids);
            if (clash >= 0) {
                rc = fl_errf(err, FL_ERR_INVALID,
                             "cannot expire snapshot %lld: it holds the offsets a pipeline "
                             "resumes from",
                             (long long)meta->snapshots[clash].snapshot_id);
                goto out;
            }
        }
    }
    /* snapshots no retained ref reaches stay until they are old enough */
    for (int i = 0; i < n; i++)
        if (!pl.reached[i] && meta->snapshots[i].timestamp_ms >= older_than) pl.keep[i] = 1;

    for (int r = 0; r < nrefs; r++) {
        if (ref_kept[r]) continue;
        res->refs = fl_reallocarray(res->refs, (size_t)res->nrefs + 1, sizeof(*res->refs));
        res->refs[res->nrefs++] = fl_strdup(refs[r].name);
    }
    res->expired = fl_calloc((size_t)n + 1, sizeof(*res->expired));
    for (int i = 0; i < n; i++) {
        int64_t sid = meta->snapshots[i].snapshot_id;
        if (!pl.keep[i] || id_in(sid, opts->ids, opts->nids)) res->expired[res->nexpired++] = sid;
    }
    for (int k = 0; k < opts->nids; k++)
        if (snap_find(pl.ix, n, opts->ids[k]) < 0) {
            rc = fl_errf(err, FL_ERR_NOTFOUND, "snapshot %lld does not exist",
                         (long long)opts->ids[k]);
            goto out;
        }
    if (res->nexpired) qsort(res->expired, (size_t)res->nexpired, sizeof(*res->expired), i64_cmp);
    res->retained = n - res->nexpired;
out:
    fl_free(ref_kept);
    fl_free(refs);
    fl_free(pl.ix);
    fl_free(pl.keep);
    fl_free(pl.reached);
    return rc;
}

void fl_ice_expire_result_fini(struct fl_ice_expire_result *res) {
    fl_free(res->expired);
    for (int i = 0; i < res->nrefs; i++) fl_free(res->refs[i]);
    fl_free(res->refs);
    for (int i = 0; i < res->nfiles; i++) fl_free(res->files[i]);
    fl_free(res->files);
    memset(res, 0, sizeof(*res));
}

static void plan_reset(struct fl_ice_expire_result *res) {
    struct fl_ice_expire_result keep = *res;
    fl_free(keep.expired);
    for (int i = 0; i < keep.nrefs; i++) fl_free(keep.refs[i]);
    fl_free(keep.refs);
    res->expired = NULL;
    res->refs = NULL;
    res->nexpired = res->nrefs = 0;
}

/* ---- 2. commit ---- */

/* Refuses, before any change, a table whose files the cleanup could not
 * follow. */
static fl_err_t lists_check(const struct fl_ice_meta *meta, struct fl_error *err) {
    for (int i = 0; i < meta->nsnapshots; i++)
        if (!meta->snapshots[i].manifest_list)
            return fl_errf(err, FL_ERR_UNSUPPORTED,
                           "snapshot %lld lists its manifests inline (format 1): floe's expiry "
                           "follows manifest lists only; nothing was changed",
                           (long long)meta->snapshots[i].snapshot_id);
    return FL_OK;
}

/* The manifest lists of meta's snapshots, those in ids (sorted) or not. */
static void lists_of(const struct fl_ice_meta *meta, const int64_t *ids, int nids, int in,
                     struct strset *out) {
    for (int i = 0; i < meta->nsnapshots; i++) {
        const struct fl_ice_snapshot *s = &meta->snapshots[i];
        if (s->manifest_list && id_sorted_in(s->snapshot_id, ids, nids) == in)
            strset_add(out, s->manifest_list);
    }
}

struct expire_change {
    const struct fl_ice_expire_opts *opts;
    struct fl_ice_expire_result *res;
    struct strset expired_lists; /* manifest lists of the removed snapshots */
};

static fl_err_t expire_apply(void *ctx, struct fl_ice_meta *next, int attempt,
                             struct fl_error *err) {
    (void)attempt;
    struct expire_change *x = ctx;
    plan_reset(x->res);
    strset_fini(&x->expired_lists);
    fl_err_t rc = lists_check(next, err);
    if (!rc) rc = fl_ice_expire_plan(next, x->opts, x->res, err);
    if (rc) return rc;
    lists_of(next, x->res->expired, x->res->nexpired, 1, &x->expired_lists);
    return fl_ice_meta_remove_snapshots(next, x->res->expired, x->res->nexpired,
                                        (const char *const *)x->res->refs, x->res->nrefs, err);
}

/* ---- 3. cleanup ---- */

struct reach {
    struct fl_ice_table *tbl;
    struct strset *paths;   /* live file paths found */
    struct strset *deletes; /* the delete files among them */
};

static fl_err_t read_list(struct fl_ice_table *tbl, const char *list,
                          struct fl_ice_manifest_file **mfs, int *nmf, struct fl_error *err) {
    char key[FL_STORE_KEY_MAX + 1];
    struct fl_buf b;
    fl_buf_init(&b, LIST_MAX);
    fl_err_t rc = fl_ice_table_key(tbl, list, key, sizeof(key), err);
    if (!rc) rc = fl_store_get(tbl->store, key, &b, LIST_MAX, err);
    if (!rc) rc = fl_ice_manifest_list_read(b.data, b.len, mfs, nmf, err);
    fl_buf_fini(&b);
    if (rc) fl_err_prefix(err, "manifest list %s", list);
    return rc;
}

static void free_list(struct fl_ice_manifest_file *mfs, int n) {
    for (int i = 0; i < n; i++) fl_ice_manifest_file_fini(&mfs[i]);
    fl_free(mfs);
}

static int collect_live(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct reach *r = ctx;
    if (e->status == FL_ICE_STATUS_DELETED) return 0;
    strset_add(r->paths, e->df.file_path);
    if (r->deletes && e->df.content != FL_ICE_CONTENT_DATA) strset_add(r->deletes, e->df.file_path);
    return 0;
}

static int mf_cmp(const void *a, const void *b) {
    return strcmp(((const struct fl_ice_manifest_file *)a)->manifest_path,
                  ((const struct fl_ice_manifest_file *)b)->manifest_path);
}

/* The distinct manifests the lists name: *keep (*nkeep, sorted by path;
 * the caller frees them with free_list) and their paths in *paths. A
 * list that is gone is skipped when skip_missing, else an error. */
static fl_err_t manifests_of(struct fl_ice_table *tbl, struct strset *lists, struct strset *paths,
                             struct fl_ice_manifest_file **keep, int *nkeep, int skip_missing,
                             struct fl_error *err) {
    fl_err_t rc = FL_OK;
    int cap = 0;
    for (int l = 0; l < lists->n && !rc; l++) {
        struct fl_ice_manifest_file *mfs = NULL;
        int nmf = 0;
        rc = read_list(tbl, lists->s[l], &mfs, &nmf, err);
        if (rc == FL_ERR_NOTFOUND && skip_missing) { /* gone already: nothing to find there */
            fl_err_clear(err);
            rc = FL_OK;
            continue;
        }
        if (!rc && *nkeep + nmf > cap) {
            cap = (*nkeep + nmf) * 2;
            *keep = fl_reallocarray(*keep, (size_t)cap, sizeof(**keep));
        }
        for (int i = 0; i < nmf && !rc; i++) {
            (*keep)[(*nkeep)++] = mfs[i];
            memset(&mfs[i], 0, sizeof(mfs[i]));
        }
        free_list(mfs, nmf);
    }
    /* one sort, then the duplicates (most lists share most manifests) go */
    if (*nkeep) qsort(*keep, (size_t)*nkeep, sizeof(**keep), mf_cmp);
    int w = 0;
    for (int i = 0; i < *nkeep; i++) {
        if (w && strcmp((*keep)[w - 1].manifest_path, (*keep)[i].manifest_path) == 0) {
            fl_ice_manifest_file_fini(&(*keep)[i]);
            continue;
        }
        (*keep)[w++] = (*keep)[i];
        strset_add(paths, (*keep)[i].manifest_path);
    }
    *nkeep = w;
    return rc;
}

static void add_file(struct fl_ice_expire_result *res, const char *key) {
    res->files = fl_reallocarray(res->files, (size_t)res->nfiles + 1, sizeof(*res->files));
    res->files[res->nfiles++] = fl_strdup(key);
}

/* Deletes (or, dry, lists) the file at path; counts it in *kind. */
static void drop(struct fl_ice_table *tbl, struct fl_ice_expire_result *res, const char *path,
                 int *kind, bool dry) {
    char key[FL_STORE_KEY_MAX + 1];
    struct fl_error e = {0};
    if (fl_ice_table_key(tbl, path, key, sizeof(key), &e)) {
        res->failed++; /* outside the table: never ours to delete */
        return;
    }
    if (!dry && fl_store_delete(tbl->store, key, &e)) {
        res->failed++;
        return;
    }
    add_file(res, key);
    (*kind)++;
}

/* What only the expired snapshots reach, deleted (or listed when dry).
 * retained_lists: the manifest lists of every snapshot left. */
static fl_err_t cleanup(struct fl_ice_table *tbl, struct strset *expired_lists,
                        struct strset *retained_lists, bool dry, struct fl_ice_expire_result *res,
                        struct fl_error *err) {
    struct strset kept_manifests = {0}, gone_files = {0}, gone_deletes = {0}, kept_files = {0};
    struct fl_ice_manifest_file *cands = NULL, *kept = NULL;
    int ncands = 0, nkept = 0;
    /* manifests the retained snapshots list: every one must be read */
    fl_err_t rc = manifests_of(tbl, retained_lists, &kept_manifests, &kept, &nkept, 0, err);
    struct strset expired_manifests = {0};
    if (!rc) rc = manifests_of(tbl, expired_lists, &expired_manifests, &cands, &ncands, 1, err);
    /* candidates: listed by expired snapshots only; their live files */
    struct reach gone = {.tbl = tbl, .paths = &gone_files, .deletes = &gone_deletes};
    char *cand = fl_calloc((size_t)ncands + 1, 1);
    for (int i = 0; i < ncands && !rc; i++) {
        if (strset_has(&kept_manifests, cands[i].manifest_path)) continue;
        cand[i] = 1;
        rc = fl_ice_table_read_manifest(tbl, &cands[i], collect_live, &gone, err);
        if (rc == FL_ERR_NOTFOUND) { /* gone already */
            fl_err_clear(err);
            rc = FL_OK;
        }
    }
    /* minus every file live in a retained manifest */
    struct reach keep = {.tbl = tbl, .paths = &kept_files};
    for (int i = 0; i < nkept && !rc && gone_files.n; i++) {
        rc = fl_ice_table_read_manifest(tbl, &kept[i], collect_live, &keep, err);
        if (rc) fl_err_prefix(err, "retained manifest %s", kept[i].manifest_path);
    }
    if (!rc) {
        strset_sort(&gone_files);
        for (int i = 0; i < gone_files.n; i++) {
            if (strset_has(&kept_files, gone_files.s[i])) continue;
            int is_del = strset_has(&gone_deletes, gone_files.s[i]);
            drop(tbl, res, gone_files.s[i], is_del ? &res->delete_files : &res->data_files, dry);
        }
        for (int i = 0; i < ncands; i++)
            if (cand[i]) drop(tbl, res, cands[i].manifest_path, &res->manifests, dry);
        for (int i = 0; i < expired_lists->n; i++)
            if (!strset_has(retained_lists, expired_lists->s[i]))
                drop(tbl, res, expired_lists->s[i], &res->manifest_lists, dry);
    } else {
        fl_err_prefix(err, "expired snapshots' files not deleted");
    }
    fl_free(cand);
    free_list(cands, ncands);
    free_list(kept, nkept);
    strset_fini(&kept_manifests);
    strset_fini(&expired_manifests);
    strset_fini(&gone_files);
    strset_fini(&gone_deletes);
    strset_fini(&kept_files);
    return rc;
}

fl_err_t fl_ice_table_expire(struct fl_ice_table *tbl, const struct fl_ice_expire_opts *opts,
                             struct fl_ice_expire_result *res, struct fl_error *err) {
    memset(res, 0, sizeof(*res));
    struct strset retained = {0};
    struct expire_change x = {.opts = opts, .res = res};
    fl_err_t rc = lists_check(tbl->meta, err);
    if (!rc) rc = fl_ice_expire_plan(tbl->meta, opts, res, err);
    if (rc) goto out;
    if (opts->dry_run) {
        lists_of(tbl->meta, res->expired, res->nexpired, 1, &x.expired_lists);
        lists_of(tbl->meta, res->expired, res->nexpired, 0, &retained);
        if (res->nexpired) rc = cleanup(tbl, &x.expired_lists, &retained, true, res, err);
        goto out;
    }
    if (res->nexpired == 0 && res->nrefs == 0) goto out; /* nothing to commit */
    rc = fl_ice_table_commit_meta(tbl, expire_apply, &x, err);
    if (rc) goto out;
    /* what is left is what the committed version keeps */
    res->retained = tbl->meta->nsnapshots;
    lists_of(tbl->meta, NULL, 0, 0, &retained);
    rc = cleanup(tbl, &x.expired_lists, &retained, false, res, err);
out:
    strset_fini(&retained);
    strset_fini(&x.expired_lists);
    return rc;
}

/* ---- reachability for orphan cleanup ---- */

struct reach_all {
    fl_ice_reach_fn fn;
    void *ctx;
};

static int collect_any(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct reach_all *r = ctx;
    r->fn(r->ctx, e->df.file_path,
          e->df.content == FL_ICE_CONTENT_DATA ? FL_ICE_REACH_DATA : FL_ICE_REACH_DELETES);
    return 0;
}

fl_err_t fl_ice_table_reachable(struct fl_ice_table *tbl, fl_ice_reach_fn fn, void *ctx,
                                struct fl_error *err) {
    struct strset lists = {0}, manifests = {0};
    struct fl_ice_manifest_file *mfs = NULL;
    int nmf = 0;
    struct reach_all r = {fn, ctx};
    fl_err_t rc = lists_check(tbl->meta, err);
    if (!rc) {
        lists_of(tbl->meta, NULL, 0, 0, &lists);
        strset_sort(&lists);
        rc = manifests_of(tbl, &lists, &manifests, &mfs, &nmf, 0, err);
    }
    for (int i = 0; i < lists.n && !rc; i++) fn(ctx, lists.s[i], FL_ICE_REACH_MANIFEST_LIST);
    for (int i = 0; i < nmf && !rc; i++) {
        fn(ctx, mfs[i].manifest_path, FL_ICE_REACH_MANIFEST);
        rc = fl_ice_table_read_manifest(tbl, &mfs[i], collect_any, &r, err);
        if (rc) fl_err_prefix(err, "manifest %s", mfs[i].manifest_path);
    }
    free_list(mfs, nmf);
    strset_fini(&lists);
    strset_fini(&manifests);
    return rc;
}
