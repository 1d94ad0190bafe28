/*
 * compact.c - bin-pack compaction (see compact.h): Iceberg Java's
 * RewriteDataFiles, bin-pack strategy, partial progress on.
 *
 * How it works:
 * 1. Plan against the current snapshot S0 (sequence number seq0): every
 *    live file is read from the manifests, position delete files are
 *    opened to learn which data files they name. Per partition (spec id +
 *    partition tuple), a data file is a candidate when it is outside
 *    [min, max] file size or has delete-file-threshold delete files that
 *    apply to it. Candidates, smallest first, fill groups of at most
 *    max-file-group-size bytes; a group is rewritten when it has
 *    min-input-files files, or more than the target in bytes, or a file
 *    with deletes, or a file too large (or always, with rewrite-all).
 * 2. Per group, outside any lock: scan S0 reading only the group's files
 *    (their position and equality deletes applied) and write the rows
 *    with an appender into files of the table's default spec, a new file
 *    each time the rows reach target-size worth (estimated from the
 *    input's bytes per row). When the table's default sort order is not
 *    the unsorted order 0, the group's rows are staged in one batch
 *    first, ordered by it (sort.c: a permutation of row indexes over the
 *    columns, then gathered a column at a time), and written in that
 *    order, so the group's files hold consecutive ranges of the order as
 *    Java's sort rewrite (a range shuffle) makes them; each file's
 *    manifest entry records the order's id (sort_order_id). A group
 *    whose rows pass SORT_MEM_MAX in memory is sorted in runs of that
 *    size (each file still sorted; the runs' files overlap). An order
 *    floe cannot apply (unknown transform, a column gone) refuses the
 *    run before anything is written.
 * 3. Commit one "replace" snapshot per group (fl_ice_table_rewrite): it
 *    removes the group's data files and the position delete files that
 *    name only them, and adds the new files with data sequence number
 *    seq0, so equality deletes committed after S0 (seq > seq0) still
 *    apply to the rewritten rows. Each attempt first validates the fresh
 *    base: a group file no longer live, or a position delete file
 *    committed after S0 that names a group file, abandons the group (its
 *    written files are deleted). A group abandoned for new deletes is
 *    planned once more, from the fresh table, after the others.
 *
 * Format 3: deletion vectors count as position deletes that name their
 * one data file (referenced_data_file); the commit removes those of the
 * group's files by the file they name (a Puffin file may hold vectors of
 * other files too), and a vector committed after S0 for a group file
 * abandons the group as a position delete does. The rewrite keeps row
 * lineage (format/spec.md, "Row Lineage"): the scan gives each row's
 * _row_id and _last_updated_sequence_number (stored, else inherited) and
 * the new files store both columns.
 *
 * The commit is the ordinary optimistic one (a metadata swap, retried
 * on a lost compare-and-swap), so a pipeline committing the same table
 * never waits for a compaction: at worst one of its attempts retries.
 */
#include "iceberg/compact.h"
#include "core/mem.h"
#include "format/parquet/reader.h"
#include "iceberg/sort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POS_FILE_PATH_ID 2147483546
#define DELETE_FILE_MAX ((size_t)512 << 20)
#define ROUNDS 2
/* sorting: a group's rows are ordered in memory; past this size each
 * run of rows is sorted on its own */
#define SORT_MEM_MAX ((size_t)256 << 20)
#define SORT_ROWS_MAX ((size_t)1 << 30)
#define SORT_CHUNK 65536

struct cfile {
    struct fl_ice_data_file df;
    int64_t seq;
    char *key;   /* "<spec id>/<partition path>" */
    char *ppath; /* partition path */
    char **refs; /* position deletes: the store keys of the data files named, sorted */
    char *fkey;  /* data files: the store key of df.file_path (or it, unresolvable) */
    int nrefs;
    int ndel;  /* data files: delete files that apply */
    int group; /* data files: group index, -1 none */
};

struct plan {
    struct fl_ice_table *tbl;
    struct cfile *f;
    int n, cap;
    char **paths; /* live data files' store keys (cfile.fkey), sorted */
    int npaths;
    fl_err_t rc;
    struct fl_error *err;
};

static int str_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool in_sorted(char **v, int n, const char *s) {
    return n > 0 && bsearch(&s, v, (size_t)n, sizeof(char *), str_cmp) != NULL;
}

/* The store key of a recorded path (fl_ice_table_key), or the path when
 * it has none: position delete rows and manifests may spell one file
 * differently (hdfs://nn/x against /x, s3a:// against s3://); keys match
 * as the scan matches them. fl_free it. */
static char *path_key_dup(struct fl_ice_table *tbl, const char *path) {
    char key[FL_STORE_KEY_MAX + 1];
    return fl_strdup(fl_ice_table_key(tbl, path, key, sizeof(key), NULL) == FL_OK ? key : path);
}

static void cfile_fini(struct cfile *c) {
    fl_ice_data_file_fini(&c->df);
    fl_free(c->fkey);
    fl_free(c->key);
    fl_free(c->ppath);
    for (int i = 0; i < c->nrefs; i++) fl_free(c->refs[i]);
    fl_free(c->refs);
}

static void plan_fini(struct plan *p) {
    for (int i = 0; i < p->n; i++) cfile_fini(&p->f[i]);
    fl_free(p->f);
    fl_free(p->paths); /* borrowed from f */
}

/* The data files a position delete file names (sorted, distinct). */
static fl_err_t delete_refs(struct fl_ice_table *tbl, const char *path, char ***out, int *nout,
                            struct fl_error *err) {
    char key[FL_STORE_KEY_MAX + 1];
    struct fl_buf b;
    fl_buf_init(&b, DELETE_FILE_MAX);
    struct fl_pq_reader *r = NULL;
    char **v = NULL;
    int n = 0, cap = 0;
    fl_err_t rc = fl_ice_table_key(tbl, path, key, sizeof(key), err);
    if (!rc) rc = fl_store_get(tbl->store, key, &b, DELETE_FILE_MAX, err);
    if (!rc) rc = fl_pq_reader_open_mem(b.data, b.len, &r, err);
    int32_t id = POS_FILE_PATH_ID;
    if (!rc) rc = fl_pq_reader_project_ids(r, &id, 1, err);
    while (!rc) {
        struct fl_batch *batch = NULL;
        rc = fl_pq_reader_next(r, &batch, err);
        if (rc == FL_ERR_EOF) {
            rc = FL_OK;
            break;
        }
        for (size_t i = 0; !rc && i < batch->nrows; i++) {
            size_t len;
            const uint8_t *p = fl_col_bytes(&batch->cols[0], i, &len);
            if (!p) continue;
            if (n > 0 && strlen(v[n - 1]) == len && !memcmp(v[n - 1], p, len)) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 4;
                v = fl_reallocarray(v, (size_t)cap, sizeof(*v));
            }
            char *raw = fl_strndup((const char *)p, len);
            v[n++] = path_key_dup(tbl, raw);
            fl_free(raw);
        }
    }
    fl_pq_reader_free(r);
    fl_buf_fini(&b);
    if (rc) {
        fl_err_prefix(err, "position delete file %s", path);
        for (int i = 0; i < n; i++) fl_free(v[i]);
        fl_free(v);
        return rc;
    }
    if (n > 1) qsort(v, (size_t)n, sizeof(*v), str_cmp);
    int w = 0; /* distinct */
    for (int i = 0; i < n; i++) {
        if (w > 0 && !strcmp(v[w - 1], v[i]))
            fl_free(v[i]);
        else
            v[w++] = v[i];
    }
    *out = v;
    *nout = w;
    return FL_OK;
}

/* A format 3 deletion vector: a position delete entry naming its one
 * data file, a blob of a Puffin file that may hold other files' vectors. */
static bool is_dv(const struct fl_ice_data_file *df) {
    return df->content == FL_ICE_CONTENT_POSITION_DELETES && df->has_content_range &&
           df->referenced_data_file;
}

static int on_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct plan *p = ctx;
    if (e->status == FL_ICE_STATUS_DELETED || p->rc) return 0;
    if (e->df.content != FL_ICE_CONTENT_DATA && e->df.content != FL_ICE_CONTENT_POSITION_DELETES &&
        e->df.content != FL_ICE_CONTENT_EQUALITY_DELETES) {
        p->rc = fl_errf(p->err, FL_ERR_UNSUPPORTED,
                        "file %s has content kind %d, which compaction does not know: refused",
                        e->df.file_path, (int)e->df.content);
        return 0;
    }
    if (e->df.file_format && strcmp(e->df.file_format, "PARQUET") != 0 && !is_dv(&e->df)) {
        p->rc = fl_errf(p->err, FL_ERR_UNSUPPORTED,
                        "file %s is %s; compaction reads Parquet only: refused", e->df.file_path,
                        e->df.file_format);
        return 0;
    }
    const struct fl_ice_spec *spec = fl_ice_meta_spec(p->tbl->meta, e->df.spec_id);
    if (!spec) {
        p->rc = fl_errf(p->err, FL_ERR_CORRUPT, "file %s names unknown spec %d", e->df.file_path,
                        e->df.spec_id);
        return 0;
    }
    struct fl_buf pb;
    fl_buf_init(&pb, FL_BUF_NOMAX);
    if (spec->nfields > 0 && fl_ice_spec_path(spec, e->df.partition, &pb)) {
        fl_buf_fini(&pb);
        p->rc = fl_errf(p->err, FL_ERR_LIMIT, "partition path of %s too long", e->df.file_path);
        return 0;
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 64;
        p->f = fl_reallocarray(p->f, (size_t)p->cap, sizeof(*p->f));
    }
    struct cfile *c = &p->f[p->n++];
    memset(c, 0, sizeof(*c));
    fl_ice_data_file_copy(&c->df, &e->df);
    c->seq = e->sequence_number;
    c->group = -1;
    c->ppath = fl_strndup(pb.data ? (const char *)pb.data : "", pb.len);
    size_t kl = pb.len + 24;
    c->key = fl_malloc(kl);
    snprintf(c->key, kl, "%d/%s", (int)e->df.spec_id, c->ppath);
    fl_buf_fini(&pb);
    return 0;
}

/* Reads S0's live files, the data files each position delete names, and
 * counts the delete files that apply to each data file. */
static fl_err_t plan_load(struct plan *p, int64_t snap, struct fl_error *err) {
    p->err = err;
    fl_err_t rc = fl_ice_table_files(p->tbl, snap, NULL, on_entry, p, err);
    if (!rc) rc = p->rc;
    for (int i = 0; i < p->n && !rc; i++)
        if (is_dv(&p->f[i].df)) {
            p->f[i].refs = fl_calloc(1, sizeof(char *));
            p->f[i].refs[0] = path_key_dup(p->tbl, p->f[i].df.referenced_data_file);
            p->f[i].nrefs = 1;
        } else if (p->f[i].df.content == FL_ICE_CONTENT_POSITION_DELETES)
            rc = delete_refs(p->tbl, p->f[i].df.file_path, &p->f[i].refs, &p->f[i].nrefs, err);
    if (rc) return rc;
    p->paths = fl_calloc((size_t)p->n + 1, sizeof(char *));
    for (int i = 0; i < p->n; i++)
        if (p->f[i].df.content == FL_ICE_CONTENT_DATA) {
            p->f[i].fkey = path_key_dup(p->tbl, p->f[i].df.file_path);
            p->paths[p->npaths++] = p->f[i].fkey;
        }
    qsort(p->paths, (size_t)p->npaths, sizeof(char *), str_cmp);
    /* deletes that apply (format/spec.md, "Scan Planning") */
    for (int d = 0; d < p->n; d++) {
        struct cfile *del = &p->f[d];
        if (del->df.content == FL_ICE_CONTENT_DATA) continue;
        bool global = del->df.npartition == 0;
        for (int i = 0; i < p->n; i++) {
            struct cfile *c = &p->f[i];
            if (c->df.content != FL_ICE_CONTENT_DATA) continue;
            if (del->df.content == FL_ICE_CONTENT_POSITION_DELETES) {
                if (del->seq >= c->seq && in_sorted(del->refs, del->nrefs, c->fkey)) c->ndel++;
            } else if (del->seq > c->seq && (global || !strcmp(del->key, c->key))) {
                c->ndel++;
            }
        }
    }
    return FL_OK;
}

/* ---- grouping ---- */

struct limits {
    int64_t target, min_size, max_size, max_group;
    int min_input, del_threshold;
    bool all;
};

static int by_key_size(const void *a, const void *b) {
    const struct cfile *x = *(struct cfile *const *)a, *y = *(struct cfile *const *)b;
    int c = strcmp(x->key, y->key);
    if (c) return c;
    return (x->df.file_size_in_bytes > y->df.file_size_in_bytes) -
           (x->df.file_size_in_bytes < y->df.file_size_in_bytes);
}

static bool candidate(const struct limits *lim, const struct cfile *c) {
    return lim->all || c->df.file_size_in_bytes < lim->min_size ||
           c->df.file_size_in_bytes > lim->max_size || c->ndel >= lim->del_threshold;
}

static bool group_qualifies(const struct limits *lim, const struct fl_ice_compact_group *g,
                            bool with_deletes, bool too_large) {
    if (lim->all) return true;
    return (g->nfiles >= lim->min_input && g->nfiles > 1) ||
           (g->nfiles > 1 && g->bytes > lim->target) || g->bytes > lim->max_group || with_deletes ||
           too_large;
}

static struct fl_ice_compact_group *group_add(struct fl_ice_compact_result *res,
                                              const struct cfile *c, int round) {
    res->groups = fl_reallocarray(res->groups, (size_t)res->ngroups + 1, sizeof(*res->groups));
    struct fl_ice_compact_group *g = &res->groups[res->ngroups++];
    memset(g, 0, sizeof(*g));
    g->spec_id = c->df.spec_id;
    g->partition = fl_strdup(c->ppath);
    g->round = round;
    g->snapshot_id = -1;
    return g;
}

/* Bin-packs the candidates of each partition (only those `keys` names
 * when not NULL) into groups: res->groups from first_group on. */
static void plan_groups(struct plan *p, const struct limits *lim, const char *only_partition,
                        char **keys, int nkeys, int round, struct fl_ice_compact_result *res) {
    struct cfile **v = fl_calloc((size_t)p->n + 1, sizeof(*v));
    int nv = 0;
    for (int i = 0; i < p->n; i++) {
        struct cfile *c = &p->f[i];
        if (c->df.content != FL_ICE_CONTENT_DATA || !candidate(lim, c)) continue;
        if (only_partition && strcmp(only_partition, c->ppath) != 0) continue;
        if (keys && !in_sorted(keys, nkeys, c->key)) continue;
        v[nv++] = c;
    }
    qsort(v, (size_t)nv, sizeof(*v), by_key_size);
    for (int i = 0; i < nv;) {
        int j = i;
        while (j < nv && !strcmp(v[j]->key, v[i]->key)) j++;
        /* one partition: v[i..j), smallest first, into bins of max_group */
        for (int k = i; k < j;) {
            struct fl_ice_compact_group *g = group_add(res, v[k], round);
            int gi = res->ngroups - 1, first = k;
            bool dels = false, large = false;
            while (k < j &&
                   (g->nfiles == 0 || g->bytes + v[k]->df.file_size_in_bytes <= lim->max_group)) {
                v[k]->group = gi;
                g->nfiles++;
                g->bytes += v[k]->df.file_size_in_bytes;
                g->records += v[k]->df.record_count;
                dels |= v[k]->ndel >= lim->del_threshold;
                large |= v[k]->df.file_size_in_bytes > lim->max_size;
                k++;
            }
            if (!group_qualifies(lim, g, dels, large)) {
                for (int x = first; x < k; x++) v[x]->group = -1;
                fl_free(g->partition);
                res->ngroups--;
            }
        }
        i = j;
    }
    fl_free(v);
}

/* ---- rewriting one group ---- */

struct group_ctx {
    struct plan *p;
    int gi;
    char **data; /* the group's data file paths, sorted */
    int ndata;
    char **data_keys; /* their store keys (cfile.fkey), sorted */
    char **remove;    /* data + position delete files to remove, sorted */
    int nremove;
    const char *key;
    int64_t seq0;
    bool lineage; /* format 3 at the plan: the rewrite stores row lineage */
    /* validation */
    char **seen_del; /* delete files found not to touch the group */
    int nseen;
    int found;
    bool abandoned;
    char why[160];
    fl_err_t rc;
    struct fl_error *err;
};

static bool scan_keep(void *ctx, const struct fl_ice_data_file *df) {
    struct group_ctx *gc = ctx;
    if (df->content == FL_ICE_CONTENT_DATA) return in_sorted(gc->data, gc->ndata, df->file_path);
    if (df->content == FL_ICE_CONTENT_POSITION_DELETES) return true; /* matched by path */
    return true; /* equality deletes: the scan applies them by sequence number */
}

/* Whether deletion vector df names a data file of the group. */
static bool dv_of_group(struct group_ctx *gc, const struct fl_ice_data_file *df) {
    char *k = path_key_dup(gc->p->tbl, df->referenced_data_file);
    bool mine = in_sorted(gc->data_keys, gc->ndata, k);
    fl_free(k);
    return mine;
}

/* The group's data files, the position delete files that name only
 * them, and their deletion vectors (by the file each names: one Puffin
 * file may hold the vectors of files outside the group). */
static bool remove_pick(void *ctx, const struct fl_ice_data_file *df) {
    struct group_ctx *gc = ctx;
    if (is_dv(df)) return dv_of_group(gc, df);
    return in_sorted(gc->remove, gc->nremove, df->file_path);
}

static int validate_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct group_ctx *gc = ctx;
    if (e->status == FL_ICE_STATUS_DELETED || gc->rc || gc->abandoned) return 0;
    if (e->df.content == FL_ICE_CONTENT_DATA) {
        if (in_sorted(gc->data, gc->ndata, e->df.file_path)) gc->found++;
        return 0;
    }
    /* a position delete committed after S0 that names a group file */
    if (e->df.content != FL_ICE_CONTENT_POSITION_DELETES || e->sequence_number <= gc->seq0)
        return 0;
    if (is_dv(&e->df)) {
        if (dv_of_group(gc, &e->df)) {
            gc->abandoned = true;
            snprintf(gc->why, sizeof(gc->why),
                     "position deletes (a deletion vector) committed since the plan name a file "
                     "of the group");
        }
        return 0;
    }
    for (int i = 0; i < gc->nseen; i++)
        if (!strcmp(gc->seen_del[i], e->df.file_path)) return 0;
    char **refs = NULL;
    int nrefs = 0;
    gc->rc = delete_refs(gc->p->tbl, e->df.file_path, &refs, &nrefs, gc->err);
    for (int i = 0; i < nrefs && !gc->abandoned; i++)
        if (in_sorted(gc->data_keys, gc->ndata, refs[i])) {
            gc->abandoned = true;
            snprintf(gc->why, sizeof(gc->why),
                     "position deletes committed since the plan name a file of the group");
        }
    for (int i = 0; i < nrefs; i++) fl_free(refs[i]);
    fl_free(refs);
    if (!gc->rc && !gc->abandoned) {
        gc->seen_del = fl_reallocarray(gc->seen_del, (size_t)gc->nseen + 1, sizeof(char *));
        gc->seen_del[gc->nseen++] = fl_strdup(e->df.file_path);
    }
    return 0;
}

/* Per commit attempt, on the fresh base (see the file comment). */
static fl_err_t validate(void *ctx, struct fl_ice_table *tbl, struct fl_error *err) {
    struct group_ctx *gc = ctx;
    const struct fl_ice_snapshot *cur = fl_ice_meta_current_snapshot(tbl->meta);
    gc->found = 0;
    gc->rc = FL_OK;
    gc->err = err;
    fl_err_t rc = FL_OK;
    if (tbl->meta->format_version >= 3 && !gc->lineage) {
        gc->abandoned = true;
        snprintf(gc->why, sizeof(gc->why),
                 "the table became format version %d since the plan (the rewrite has no row "
                 "lineage)",
                 tbl->meta->format_version);
        return fl_errf(err, FL_ERR_CONFLICT, "group abandoned: %s", gc->why);
    }
    if (cur) rc = fl_ice_table_files(tbl, cur->snapshot_id, NULL, validate_entry, gc, err);
    if (!rc) rc = gc->rc;
    if (rc) return rc;
    if (!gc->abandoned && gc->found < gc->ndata) {
        gc->abandoned = true;
        snprintf(gc->why, sizeof(gc->why),
                 "%d of its %d files were removed since the plan (no longer live)",
                 gc->ndata - gc->found, gc->ndata);
    }
    if (gc->abandoned) return fl_errf(err, FL_ERR_CONFLICT, "group abandoned: %s", gc->why);
    return FL_OK;
}

struct writer {
    struct fl_ice_appender *ap;
    /* format 3: the rows' lineage, read from the scan, goes with them */
    const struct fl_ice_scan *sc;
    struct fl_batch *lin; /* the table's columns + _row_id, _last_updated_sequence_number */
    int64_t rows_per_file, staged;
    struct fl_ice_data_file *out;
    int nout;
    /* sorting (so != NULL): the group's rows staged, then ordered */
    const struct fl_ice_sort_order *so;
    struct fl_batch *stage, *chunk;
    uint32_t *perm, *tmp;
    size_t permcap;
};

static void writer_fini(struct writer *w) {
    fl_batch_free(w->lin);
    w->lin = NULL;
    fl_batch_free(w->stage);
    fl_batch_free(w->chunk);
    fl_free(w->perm);
    fl_free(w->tmp);
    w->stage = w->chunk = NULL;
    w->perm = w->tmp = NULL;
    w->permcap = 0;
}

/* Bytes the staged rows take in memory. */
static size_t stage_bytes(const struct fl_batch *b) {
    size_t n = 0;
    for (int c = 0; c < b->ncols; c++) {
        const struct fl_col *col = &b->cols[c];
        n += col->width ? col->len * col->width : col->heap.len + col->len * sizeof(uint32_t);
    }
    return n;
}

/* Closes the appender's files (one per partition) into w->out. */
static fl_err_t writer_close_files(struct writer *w, struct fl_error *err) {
    struct fl_ice_data_file *dfs = NULL;
    int n = 0;
    fl_err_t rc = fl_ice_appender_write(w->ap, &dfs, &n, err);
    if (rc) return rc;
    w->out = fl_reallocarray(w->out, (size_t)w->nout + (size_t)n + 1, sizeof(*w->out));
    for (int i = 0; i < n; i++) dfs[i].sort_order_id = w->so ? w->so->order_id : 0;
    memcpy(w->out + w->nout, dfs, sizeof(*dfs) * (size_t)n);
    w->nout += n;
    fl_free(dfs);
    return FL_OK;
}

/* Orders the staged rows by the sort order and hands them to the
 * appender in that order, at most SORT_CHUNK rows at a time, closing
 * the files every rows_per_file rows: the files of one sorted run hold
 * consecutive ranges of the order. */
static fl_err_t stage_sorted(struct writer *w, struct fl_error *err) {
    struct fl_batch *st = w->stage;
    size_t n = st->nrows;
    if (n > w->permcap) {
        fl_free(w->perm);
        fl_free(w->tmp);
        w->perm = fl_reallocarray(NULL, n, sizeof(*w->perm));
        w->tmp = fl_reallocarray(NULL, n, sizeof(*w->tmp));
        w->permcap = n;
    }
    fl_ice_sort_perm(w->so, st, w->perm, w->tmp);
    fl_err_t rc = FL_OK;
    if (!w->chunk) rc = fl_batch_new(st->schema, SORT_CHUNK, &w->chunk, err);
    size_t in_file = 0, per_file = (size_t)w->rows_per_file;
    for (size_t lo = 0; lo < n && !rc;) {
        size_t hi = lo + SORT_CHUNK < n ? lo + SORT_CHUNK : n;
        if (hi - lo > per_file - in_file) hi = lo + (per_file - in_file);
        fl_batch_reset(w->chunk);
        /* gather, a column at a time */
        for (int c = 0; c < st->ncols && !rc; c++)
            for (size_t i = lo; i < hi && !rc; i++)
                rc = fl_col_append_from(&w->chunk->cols[c], &st->cols[c], w->perm[i]);
        if (!rc) rc = fl_batch_seal(w->chunk);
        if (!rc) rc = fl_ice_appender_add(w->ap, w->chunk, err);
        in_file += hi - lo;
        lo = hi;
        if (!rc && in_file == per_file) {
            rc = writer_close_files(w, err);
            in_file = 0;
        }
    }
    fl_batch_reset(st);
    if (rc && !err->msg[0]) fl_errf(err, rc, "sorting the rows of a group failed");
    return rc;
}

/* Writes what is staged: without a sort order, the appender's file(s);
 * with one, the staged rows sorted into files of rows_per_file rows. */
static fl_err_t writer_flush(struct writer *w, struct fl_error *err) {
    fl_err_t rc = w->so && w->stage ? stage_sorted(w, err) : FL_OK;
    if (!rc) rc = writer_close_files(w, err);
    w->staged = 0;
    return rc;
}

/* Stages b's rows to be sorted with the rest of the group's. */
static fl_err_t stage_add(struct writer *w, const struct fl_batch *b, struct fl_error *err) {
    fl_err_t rc = w->stage ? FL_OK : fl_batch_new(b->schema, 0, &w->stage, err);
    for (int c = 0; c < b->ncols && !rc; c++)
        rc = fl_col_append_rows(&w->stage->cols[c], &b->cols[c], 0, b->nrows);
    if (!rc) rc = fl_batch_seal(w->stage);
    if (rc && !err->msg[0]) fl_errf(err, rc, "staging rows to sort failed");
    return rc;
}

/* b's rows with their lineage (format/spec.md, "Row Lineage": a
 * rewritten row keeps its _row_id and _last_updated_sequence_number);
 * a row without a row id (its file had no first_row_id) stores null. */
static fl_err_t with_lineage(struct writer *w, const struct fl_batch *b, struct fl_error *err) {
    fl_err_t rc = w->lin ? FL_OK : fl_batch_new(fl_ice_appender_schema(w->ap), 0, &w->lin, err);
    if (rc) return rc;
    fl_batch_reset(w->lin);
    for (int c = 0; c < b->ncols && !rc; c++)
        rc = fl_col_append_rows(&w->lin->cols[c], &b->cols[c], 0, b->nrows);
    struct fl_col *rid = &w->lin->cols[b->ncols], *seq = &w->lin->cols[b->ncols + 1];
    for (size_t i = 0; i < b->nrows && !rc; i++) {
        int64_t r, q;
        fl_ice_scan_lineage(w->sc, i, &r, &q);
        rc = r >= 0 ? fl_col_append_i64(rid, r) : fl_col_append_null(rid);
        if (!rc) rc = fl_col_append_i64(seq, q);
    }
    if (!rc) rc = fl_batch_seal(w->lin);
    if (rc && !err->msg[0]) fl_errf(err, rc, "adding row lineage to the rows failed");
    return rc;
}

static fl_err_t write_batch(void *ctx, const struct fl_batch *b, const char *path,
                            const int64_t *pos, struct fl_error *err) {
    (void)path;
    (void)pos;
    struct writer *w = ctx;
    if (w->sc) {
        fl_err_t lr = with_lineage(w, b, err);
        if (lr) return lr;
        b = w->lin;
    }
    fl_err_t rc = w->so ? stage_add(w, b, err) : fl_ice_appender_add(w->ap, b, err);
    w->staged += (int64_t)b->nrows;
    /* sorting: the whole group is staged, up to the memory cap */
    bool full =
        w->so ? !rc && (stage_bytes(w->stage) >= SORT_MEM_MAX || w->stage->nrows >= SORT_ROWS_MAX)
              : w->staged >= w->rows_per_file;
    if (!rc && full) rc = writer_flush(w, err);
    return rc;
}

static void delete_written(struct fl_ice_table *tbl, struct writer *w) {
    for (int i = 0; i < w->nout; i++) {
        char key[FL_STORE_KEY_MAX + 1];
        if (!fl_ice_table_key(tbl, w->out[i].file_path, key, sizeof(key), NULL))
            fl_store_delete(tbl->store, key, NULL);
    }
}

/* Reads the group's rows at S0 and writes them as new files. */
static fl_err_t group_write(struct group_ctx *gc, int64_t snap, struct writer *w,
                            struct fl_error *err) {
    struct fl_ice_scan *sc = NULL;
    fl_err_t rc = gc->lineage ? fl_ice_appender_new_lineage(gc->p->tbl, &w->ap, err)
                              : fl_ice_appender_new(gc->p->tbl, &w->ap, err);
    if (!rc) rc = fl_ice_scan_open_files(gc->p->tbl, snap, scan_keep, gc, &sc, err);
    if (!rc && gc->lineage) {
        rc = fl_ice_scan_want_lineage(sc, err);
        w->sc = sc;
    }
    if (!rc) rc = fl_ice_scan_each(sc, write_batch, w, err);
    if (!rc && w->staged > 0) rc = writer_flush(w, err);
    fl_ice_scan_free(sc);
    writer_fini(w); /* its batches may have the appender's schema */
    fl_ice_appender_free(w->ap);
    w->ap = NULL;
    return rc;
}

static void str_list_free(char **v, int n) {
    for (int i = 0; i < n; i++) fl_free(v[i]);
    fl_free(v);
}

/* Rewrites and commits group gi; a failed validation abandons it (the
 * result says why) and is not an error. */
static fl_err_t group_run(struct plan *p, int gi, int64_t snap, int64_t seq0,
                          const struct limits *lim, const struct fl_ice_sort_order *so,
                          const struct fl_ice_compact_opts *o, struct fl_ice_compact_result *res,
                          struct fl_error *err) {
    struct fl_ice_compact_group *g = &res->groups[gi];
    struct group_ctx gc = {
        .p = p, .gi = gi, .seq0 = seq0, .lineage = p->tbl->meta->format_version >= 3};
    const char *key = NULL;
    for (int i = 0; i < p->n; i++) {
        struct cfile *c = &p->f[i];
        if (c->df.content != FL_ICE_CONTENT_DATA || c->group != gi) continue;
        gc.data = fl_reallocarray(gc.data, (size_t)gc.ndata + 1, sizeof(char *));
        gc.data_keys = fl_reallocarray(gc.data_keys, (size_t)gc.ndata + 1, sizeof(char *));
        gc.data_keys[gc.ndata] = fl_strdup(c->fkey);
        gc.data[gc.ndata++] = fl_strdup(c->df.file_path);
        key = c->key;
    }
    qsort(gc.data, (size_t)gc.ndata, sizeof(char *), str_cmp);
    qsort(gc.data_keys, (size_t)gc.ndata, sizeof(char *), str_cmp);
    gc.key = key;
    for (int i = 0; i < gc.ndata; i++) {
        gc.remove = fl_reallocarray(gc.remove, (size_t)gc.nremove + 1, sizeof(char *));
        gc.remove[gc.nremove++] = fl_strdup(gc.data[i]);
    }
    /* position delete files (planned at S0, so applied by the rewrite)
     * whose every named file is in the group or no longer live go too */
    for (int i = 0; i < p->n; i++) {
        struct cfile *d = &p->f[i];
        if (d->df.content != FL_ICE_CONTENT_POSITION_DELETES || d->nrefs == 0) continue;
        if (is_dv(&d->df)) { /* removed by the file it names (remove_pick) */
            g->ndeletes_removed += in_sorted(gc.data_keys, gc.ndata, d->refs[0]);
            continue;
        }
        bool only = true, any = false;
        for (int r = 0; r < d->nrefs && only; r++) {
            bool mine = in_sorted(gc.data_keys, gc.ndata, d->refs[r]);
            any |= mine;
            only = mine || !in_sorted(p->paths, p->npaths, d->refs[r]);
        }
        if (!only || !any) continue;
        gc.remove = fl_reallocarray(gc.remove, (size_t)gc.nremove + 1, sizeof(char *));
        gc.remove[gc.nremove++] = fl_strdup(d->df.file_path);
        g->ndeletes_removed++;
    }
    qsort(gc.remove, (size_t)gc.nremove, sizeof(char *), str_cmp);

    struct writer w = {.so = so};
    double bpr = g->records > 0 ? (double)g->bytes / (double)g->records : 1.0;
    w.rows_per_file = (int64_t)((double)lim->target / (bpr > 0 ? bpr : 1.0));
    if (w.rows_per_file < 1) w.rows_per_file = 1;
    fl_err_t rc = group_write(&gc, snap, &w, err);
    if (!rc && o->before_commit) rc = o->before_commit(o->hook_ctx, gi, err);
    for (int i = 0; i < w.nout; i++) {
        g->out_bytes += w.out[i].file_size_in_bytes;
        g->out_records += w.out[i].record_count;
    }
    g->nout = w.nout;
    if (!rc) {
        char nums[2][24];
        snprintf(nums[0], sizeof(nums[0]), "%lld", (long long)snap);
        snprintf(nums[1], sizeof(nums[1]), "%d", g->nfiles);
        struct fl_ice_kv sum[2] = {{"floe.compact.start-snapshot-id", nums[0]},
                                   {"floe.compact.rewritten-data-files", nums[1]}};
        struct fl_ice_rewrite rw = {.remove = remove_pick,
                                    .remove_ctx = &gc,
                                    .data_sequence_number = seq0,
                                    .validate = validate,
                                    .validate_ctx = &gc};
        rc = fl_ice_table_rewrite(p->tbl, &rw, w.out, w.nout, sum, 2, &g->snapshot_id, err);
        if (rc == FL_ERR_CONFLICT && !gc.abandoned) {
            /* every compare-and-swap lost to other writers: not committed */
            gc.abandoned = true;
            snprintf(gc.why, sizeof(gc.why), "%.120s", err->msg);
        }
        if (rc && gc.abandoned) {
            fl_err_clear(err);
            rc = FL_OK;
            g->state = FL_ICE_GROUP_ABANDONED;
            snprintf(g->why, sizeof(g->why), "%s", gc.why);
            g->snapshot_id = -1;
            delete_written(p->tbl, &w);
        } else if (!rc) {
            g->state = FL_ICE_GROUP_COMMITTED;
        }
    }
    /* on any other error the written files stay: a commit whose outcome
     * is unknown (a catalog that timed out) may reference them; orphan
     * cleanup removes them if not */
    for (int i = 0; i < w.nout; i++) fl_ice_data_file_fini(&w.out[i]);
    fl_free(w.out);
    str_list_free(gc.data, gc.ndata);
    str_list_free(gc.data_keys, gc.ndata);
    str_list_free(gc.remove, gc.nremove);
    str_list_free(gc.seen_del, gc.nseen);
    return rc;
}

/* ---- the whole run ---- */

static void limits_from(const struct fl_ice_table *tbl, const struct fl_ice_compact_opts *o,
                        struct limits *lim) {
    lim->target = o->target_size;
    if (lim->target <= 0) {
        const char *v = fl_ice_meta_property(tbl->meta, FL_ICE_PROP_TARGET_FILE_SIZE);
        long long t = v ? strtoll(v, NULL, 10) : 0;
        lim->target = t > 0 ? t : FL_ICE_COMPACT_TARGET_DEFAULT;
    }
    lim->min_size = o->min_file_size > 0 ? o->min_file_size : lim->target / 4 * 3;
    lim->max_size = o->max_file_size > 0 ? o->max_file_size : lim->target / 10 * 18;
    lim->min_input = o->min_input_files > 0 ? o->min_input_files : 5;
    lim->del_threshold = o->delete_file_threshold > 0 ? o->delete_file_threshold : 1;
    lim->max_group = o->max_group_size > 0 ? o->max_group_size : (int64_t)100 << 30;
    lim->all = o->rewrite_all;
}

static struct fl_ice_compact_partition *part_for(struct fl_ice_compact_result *res, int32_t spec,
                                                 const char *path) {
    for (int i = 0; i < res->nparts; i++)
        if (res->parts[i].spec_id == spec && !strcmp(res->parts[i].partition, path))
            return &res->parts[i];
    res->parts = fl_reallocarray(res->parts, (size_t)res->nparts + 1, sizeof(*res->parts));
    struct fl_ice_compact_partition *pt = &res->parts[res->nparts++];
    memset(pt, 0, sizeof(*pt));
    pt->spec_id = spec;
    pt->partition = fl_strdup(path);
    return pt;
}

/* Live files per partition of the table's current snapshot (after ==
 * false: before the run). Partitions are those groups touched. */
static fl_err_t count_parts(struct fl_ice_table *tbl, struct fl_ice_compact_result *res, bool after,
                            struct fl_error *err) {
    struct plan p = {.tbl = tbl, .err = err};
    const struct fl_ice_snapshot *cur = fl_ice_meta_current_snapshot(tbl->meta);
    fl_err_t rc = cur ? fl_ice_table_files(tbl, cur->snapshot_id, NULL, on_entry, &p, err) : FL_OK;
    if (!rc) rc = p.rc;
    for (int i = 0; i < p.n && !rc; i++) {
        bool touched = false;
        for (int g = 0; g < res->ngroups && !touched; g++)
            touched = res->groups[g].spec_id == p.f[i].df.spec_id &&
                      !strcmp(res->groups[g].partition, p.f[i].ppath);
        if (!touched) continue;
        struct fl_ice_compact_partition *pt = part_for(res, p.f[i].df.spec_id, p.f[i].ppath);
        bool data = p.f[i].df.content == FL_ICE_CONTENT_DATA;
        if (after)
            data ? pt->files_after++ : pt->deletes_after++;
        else
            data ? pt->files_before++ : pt->deletes_before++;
    }
    plan_fini(&p);
    return rc;
}

fl_err_t fl_ice_table_compact(struct fl_ice_table *tbl, const struct fl_ice_compact_opts *o,
                              struct fl_ice_compact_result *res, struct fl_error *err) {
    memset(res, 0, sizeof(*res));
    res->start_snapshot_id = -1;
    if (tbl->meta->format_version > 3)
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "table format version %d: compaction knows versions 1 to 3; refused",
                       tbl->meta->format_version);
    struct limits lim;
    limits_from(tbl, o, &lim);
    res->target_size = lim.target;
    fl_err_t rc = FL_OK;
    struct fl_ice_sort_order *so = NULL;
    char **retry = NULL;
    int nretry = 0;
    for (int round = 0; round < ROUNDS && !rc; round++) {
        if (round > 0 && nretry == 0) break;
        if (round > 0 && (rc = fl_ice_table_refresh(tbl, err))) break;
        const struct fl_ice_snapshot *s0 = fl_ice_meta_current_snapshot(tbl->meta);
        if (!s0) break;
        int64_t snap = s0->snapshot_id, seq0 = s0->sequence_number;
        /* the default sort order, bound to this round's schema: one floe
         * cannot apply refuses the run before anything is written */
        fl_ice_sort_order_free(so);
        so = NULL;
        if ((rc = fl_ice_sort_order_default(tbl->meta, &so, err))) {
            fl_err_prefix(err, "compaction refused");
            break;
        }
        res->sort_order_id = so ? so->order_id : 0;
        if (round == 0) {
            res->start_snapshot_id = snap;
            res->start_sequence_number = seq0;
        }
        struct plan p = {.tbl = tbl};
        rc = plan_load(&p, snap, err);
        int first = res->ngroups;
        if (!rc) plan_groups(&p, &lim, o->partition, retry, nretry, round, res);
        if (!rc && round == 0) rc = count_parts(tbl, res, false, err);
        str_list_free(retry, nretry);
        retry = NULL;
        nretry = 0;
        for (int gi = first; gi < res->ngroups && !rc && !o->dry_run; gi++) {
            rc = group_run(&p, gi, snap, seq0, &lim, so, o, res, err);
            if (!rc && res->groups[gi].state == FL_ICE_GROUP_ABANDONED && round + 1 < ROUNDS &&
                strstr(res->groups[gi].why, "position deletes")) {
                char k[64 + 1024];
                snprintf(k, sizeof(k), "%d/%s", (int)res->groups[gi].spec_id,
                         res->groups[gi].partition);
                retry = fl_reallocarray(retry, (size_t)nretry + 1, sizeof(char *));
                retry[nretry++] = fl_strdup(k);
            }
        }
        if (nretry > 1) qsort(retry, (size_t)nretry, sizeof(char *), str_cmp);
        plan_fini(&p);
    }
    str_list_free(retry, nretry);
    fl_ice_sort_order_free(so);
    if (!rc && !o->dry_run && res->ngroups > 0) rc = count_parts(tbl, res, true, err);
    if (o->dry_run)
        for (int i = 0; i < res->nparts; i++) {
            res->parts[i].files_after = res->parts[i].files_before;
            res->parts[i].deletes_after = res->parts[i].deletes_before;
        }
    return rc;
}

void fl_ice_compact_result_fini(struct fl_ice_compact_result *res) {
    for (int i = 0; i < res->ngroups; i++) fl_free(res->groups[i].partition);
    fl_free(res->groups);
    for (int i = 0; i < res->nparts; i++) fl_free(res->parts[i].partition);
    fl_free(res->parts);
    memset(res, 0, sizeof(*res));
}
