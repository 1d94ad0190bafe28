/*
 * scan.c - reading an Iceberg snapshot: plan the files from the manifest
 * list and manifests, load the delete files that apply, read each data
 * file (Parquet, Avro or ORC by its manifest's file_format:
 * iceberg/fileread.c) into batches of the table's current schema (time
 * travel: of the snapshot's schema-id) and drop the deleted rows. Files
 * outside the warehouse are read through stores opened beside it
 * (fl_ice_table_locate, fl_store_open_sibling).
 *
 * Delete rules (format/spec.md, "Scan Planning"): a position delete
 * applies to data files whose data sequence number is <= its own; an
 * equality delete to data files whose data sequence number is < its own
 * and, unless it was written with an unpartitioned spec, of its spec and
 * partition tuple. Position delete rows and data files meet by store key
 * (fl_ice_table_key; root and key for a file outside the warehouse:
 * match_key), so any spelling of one location matches.
 * Format 3 deletion vectors (a position delete entry with a content
 * range: one deletion-vector-v1 blob of a Puffin file) name their one
 * data file in referenced_data_file; at most one applies to a data file,
 * and where one applies the position delete files do not (the vector
 * already holds them).
 * Columns are matched by field id, so renamed columns read by id and
 * columns added after a file was written read as their initial-default
 * (format 3), else null; int->long and float->double widen.
 */
#include "batch/batch_json.h"
#include "core/hash.h"
#include "core/mem.h"
#include "iceberg/dvfile.h"
#include "iceberg/fileread.h"
#include "iceberg/prune.h"
#include "iceberg/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_MAX ((size_t)2 << 30)
#define MANIFEST_MAX ((size_t)512 << 20)
#define POS_FILE_PATH_ID 2147483546
#define POS_POS_ID 2147483545

struct plan_file {
    char *path;
    char *key;          /* data files: match_key of path; NULL when it has none */
    const char *format; /* fl_ice_file_format_name's: never freed */
    int64_t seq;
    int content;
    int32_t spec_id;
    struct fl_ice_pval *part; /* bytes in pbytes */
    int npart;
    struct fl_buf pbytes;
    int32_t *eq_ids;
    int neq;
    bool has_frid; /* format 3: the data file's first_row_id */
    int64_t frid;
    /* deletion vectors: the blob's range and the data file's store key */
    bool is_dv;
    int64_t dv_offset, dv_size, dv_card;
    char *dv_ref; /* referenced_data_file as written */
};

struct dv_delete {
    char *key; /* the data file's store key */
    int64_t seq;
    struct fl_dv *dv;
};

struct pos_delete {
    const char *path; /* data file: its store key, or as recorded when it has none;
                       * borrowed from the scan's pos_paths */
    int64_t pos;
    int64_t seq;
};

struct eq_delete {
    int64_t seq;
    int file;    /* its plan_file: the spec and partition it applies to */
    bool global; /* written with an unpartitioned spec: applies to every partition */
    int32_t *ids;
    int nids;
    struct fl_schema *schema; /* of the delete rows */
    struct fl_batch *rows;
    /* one row: for the open data file, each key column it lacks holds
     * the value its rows have there (identity partition value,
     * initial-default or null; eq_missing) */
    struct fl_batch *miss;
    /* hash index over rows' keys (open addressing, row + 1, 0 = empty;
     * eq_index): a data row costs one probe, not a pass over the rows */
    uint32_t *slots;
    uint32_t mask;
};

struct fl_ice_scan {
    struct fl_ice_table *tbl;
    const struct fl_schema *schema; /* output: the current schema, or the snapshot's (as of) */
    struct plan_file *files;
    int nfiles, cap;
    int ndata, ndeletes;
    const struct fl_ice_pred *preds; /* borrowed, for the scan's life */
    fl_ice_file_pred_fn keep;        /* NULL: every file */
    void *keep_ctx;
    int npreds;
    struct fl_ice_scan_stats stats;
    struct pos_delete *pos;
    size_t npos, poscap;
    char **pos_paths; /* owned: each delete file's distinct data file keys */
    size_t npos_paths, pos_paths_cap;
    struct eq_delete *eq;
    int neq;
    struct dv_delete *dvs; /* sorted by key once planned */
    int ndv;
    /* reading state */
    const struct fl_dv *cur_dv; /* the deletion vector of the open data file, or NULL */
    bool lineage;               /* fl_ice_scan_want_lineage was called */
    int cur;
    struct fl_buf data;
    struct fl_ice_file_reader *r;
    int *map; /* output column -> reader batch column, -1 = null, -2 = constant, -3 = default */
    struct fl_batch *defaults;        /* one row: each output column's initial-default, else null */
    const struct fl_ice_pval **konst; /* -2 columns: the file's identity partition value */
    bool *skip;                       /* output columns not wanted (projection): read as null */
    int64_t row_base;                 /* position of the reader batch's first row in the file */
    struct fl_batch *out;
    int64_t *pos_out; /* file position of each row of out */
    size_t pos_cap;
    /* lineage: the reader batch columns of a rewritten file's stored
     * _row_id and _last_updated_sequence_number (-1: not stored), and
     * each row of out's stored values (LINEAGE_INHERIT: null, inherited) */
    int rid_col, seq_col;
    int64_t *rid_out, *seq_out;
    /* stores opened for files outside the warehouse (fl_ice_table_locate) */
    struct ext_store {
        char *root;
        struct fl_store *st;
    } * ext;
    int next;
};

/* The key position deletes and data files meet by: the store key of a
 * file under the table or the warehouse, the store root and key of one
 * elsewhere (a "scheme://" text, never a store key); NULL when the path
 * can be read nowhere. fl_free it. */
static char *match_key(const struct fl_ice_table *tbl, const char *path) {
    char root[FL_STORE_KEY_MAX + 1], key[FL_STORE_KEY_MAX + 1];
    if (fl_ice_table_locate(tbl, path, root, sizeof(root), key, sizeof(key), NULL)) return NULL;
    size_t n = strlen(root) + strlen(key) + 1;
    char *k = fl_malloc(n);
    snprintf(k, n, "%s%s", root, key);
    return k;
}

static void plan_add(struct fl_ice_scan *sc, const struct fl_ice_manifest_entry *e) {
    if (sc->nfiles == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 32;
        sc->files = fl_reallocarray(sc->files, (size_t)sc->cap, sizeof(*sc->files));
    }
    struct plan_file *pf = &sc->files[sc->nfiles++];
    memset(pf, 0, sizeof(*pf));
    pf->path = fl_strdup(e->df.file_path);
    if (e->df.content == FL_ICE_CONTENT_DATA) pf->key = match_key(sc->tbl, pf->path);
    pf->format = e->df.file_format;
    pf->seq = e->sequence_number;
    pf->content = e->df.content;
    pf->has_frid = e->df.has_first_row_id;
    pf->frid = e->df.first_row_id;
    pf->spec_id = e->df.spec_id;
    /* partition values: identity ones stand in for columns a writer left
     * out of the data file (as Spark does for identity partitions) */
    fl_buf_init(&pf->pbytes, FL_BUF_NOMAX);
    pf->npart = e->df.npartition;
    pf->part = fl_calloc((size_t)pf->npart + 1, sizeof(*pf->part));
    size_t *off = fl_calloc((size_t)pf->npart + 1, sizeof(size_t));
    for (int k = 0; k < pf->npart; k++) {
        pf->part[k] = e->df.partition[k];
        if (pf->part[k].bytes && !pf->part[k].is_null) {
            off[k] = pf->pbytes.len;
            fl_buf_append(&pf->pbytes, pf->part[k].bytes, pf->part[k].len);
        }
    }
    for (int k = 0; k < pf->npart; k++)
        if (pf->part[k].bytes && !pf->part[k].is_null) pf->part[k].bytes = pf->pbytes.data + off[k];
    fl_free(off);
    if (e->df.nequality > 0) {
        pf->eq_ids = fl_calloc((size_t)e->df.nequality, sizeof(int32_t));
        memcpy(pf->eq_ids, e->df.equality_ids, sizeof(int32_t) * (size_t)e->df.nequality);
        pf->neq = e->df.nequality;
    }
    if (e->df.content == FL_ICE_CONTENT_POSITION_DELETES && e->df.has_content_range) {
        pf->is_dv = true;
        pf->dv_offset = e->df.content_offset;
        pf->dv_size = e->df.content_size_in_bytes;
        pf->dv_card = e->df.record_count;
        pf->dv_ref = e->df.referenced_data_file ? fl_strdup(e->df.referenced_data_file) : NULL;
    }
    if (pf->content == FL_ICE_CONTENT_DATA)
        sc->ndata++;
    else
        sc->ndeletes++;
}

static int on_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct fl_ice_scan *sc = ctx;
    if (e->status == FL_ICE_STATUS_DELETED) return 0;
    if (sc->keep && !sc->keep(sc->keep_ctx, &e->df)) return 0;
    if (e->df.content == FL_ICE_CONTENT_DATA) {
        sc->stats.files_planned++;
        if (sc->npreds &&
            !fl_ice_prune_file(sc->schema, fl_ice_meta_spec(sc->tbl->meta, e->df.spec_id), &e->df,
                               sc->preds, sc->npreds)) {
            sc->stats.files_skipped++;
            return 0;
        }
    }
    plan_add(sc, e);
    return 0;
}

static bool keep_manifest(void *ctx, const struct fl_ice_manifest_file *mf) {
    struct fl_ice_scan *sc = ctx;
    sc->stats.manifests_planned++;
    /* no live entry (only DELETED ones, as the snapshot of a replace or a
     * delete lists them): nothing to read, as Java's ManifestGroup skips
     * manifests without added or existing files; counts of -1 (unknown)
     * are read */
    if (mf->added_files_count == 0 && mf->existing_files_count == 0) {
        sc->stats.manifests_skipped++;
        return false;
    }
    if (sc->npreds &&
        !fl_ice_prune_manifest(sc->schema, fl_ice_meta_spec(sc->tbl->meta, mf->partition_spec_id),
                               mf, sc->preds, sc->npreds)) {
        sc->stats.manifests_skipped++;
        return false;
    }
    return true;
}

static fl_err_t table_get(struct fl_ice_table *tbl, const char *path, struct fl_buf *out,
                          size_t max, struct fl_error *err) {
    char key[FL_STORE_KEY_MAX + 1];
    fl_err_t rc = fl_ice_table_key(tbl, path, key, sizeof(key), err);
    fl_buf_reset(out);
    if (!rc) rc = fl_store_get(tbl->store, key, out, max, err);
    return rc;
}

/* A data or delete file, wherever its path puts it (fl_ice_table_locate). */
static fl_err_t get_object(struct fl_ice_scan *sc, const char *path, struct fl_buf *out, size_t max,
                           struct fl_error *err) {
    char root[FL_STORE_KEY_MAX + 1], key[FL_STORE_KEY_MAX + 1];
    fl_err_t rc = fl_ice_table_locate(sc->tbl, path, root, sizeof(root), key, sizeof(key), err);
    if (rc) return rc;
    struct fl_store *st = sc->tbl->store;
    if (root[0]) {
        st = NULL;
        for (int i = 0; i < sc->next && !st; i++)
            if (!strcmp(sc->ext[i].root, root)) st = sc->ext[i].st;
        if (!st) {
            if ((rc = fl_store_open_sibling(sc->tbl->store, root, &st, err))) return rc;
            sc->ext = fl_reallocarray(sc->ext, (size_t)sc->next + 1, sizeof(*sc->ext));
            sc->ext[sc->next].root = fl_strdup(root);
            sc->ext[sc->next++].st = st;
        }
    }
    fl_buf_reset(out);
    return fl_store_get(st, key, out, max, err);
}

fl_err_t fl_ice_table_files(struct fl_ice_table *tbl, int64_t snapshot_id,
                            fl_ice_manifest_filter_fn keep, fl_ice_entry_fn fn, void *ctx,
                            struct fl_error *err) {
    const struct fl_ice_snapshot *snap = fl_ice_meta_snapshot(tbl->meta, snapshot_id);
    if (!snap)
        return fl_errf(err, FL_ERR_NOTFOUND, "snapshot %lld does not exist",
                       (long long)snapshot_id);
    if (!snap->manifest_list)
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "snapshot %lld lists manifests without a manifest list",
                       (long long)snapshot_id);
    struct fl_buf b;
    fl_buf_init(&b, MANIFEST_MAX);
    struct fl_ice_manifest_file *mfs = NULL;
    int nmf = 0;
    fl_err_t rc = table_get(tbl, snap->manifest_list, &b, MANIFEST_MAX, err);
    if (!rc) rc = fl_ice_manifest_list_read(b.data, b.len, &mfs, &nmf, err);
    for (int i = 0; i < nmf && !rc; i++) {
        if (keep && !keep(ctx, &mfs[i])) continue;
        rc = table_get(tbl, mfs[i].manifest_path, &b, MANIFEST_MAX, err);
        if (!rc) rc = fl_ice_manifest_read(b.data, b.len, &mfs[i], fn, ctx, err);
        if (rc) fl_err_prefix(err, "manifest %s", mfs[i].manifest_path);
    }
    for (int i = 0; i < nmf; i++) fl_ice_manifest_file_fini(&mfs[i]);
    fl_free(mfs);
    fl_buf_fini(&b);
    return rc;
}

void fl_ice_scan_free(struct fl_ice_scan *sc) {
    if (!sc) return;
    for (int i = 0; i < sc->nfiles; i++) {
        fl_free(sc->files[i].path);
        fl_free(sc->files[i].key);
        fl_free(sc->files[i].eq_ids);
        fl_free(sc->files[i].dv_ref);
        fl_free(sc->files[i].part);
        fl_buf_fini(&sc->files[i].pbytes);
    }
    fl_free(sc->files);
    for (size_t i = 0; i < sc->npos_paths; i++) fl_free(sc->pos_paths[i]);
    fl_free(sc->pos_paths);
    fl_free(sc->pos);
    for (int i = 0; i < sc->neq; i++) {
        fl_free(sc->eq[i].ids);
        fl_batch_free(sc->eq[i].rows);
        fl_batch_free(sc->eq[i].miss);
        fl_free(sc->eq[i].slots);
        fl_schema_free(sc->eq[i].schema);
    }
    fl_free(sc->eq);
    for (int i = 0; i < sc->ndv; i++) {
        fl_free(sc->dvs[i].key);
        fl_dv_free(sc->dvs[i].dv);
    }
    fl_free(sc->dvs);
    fl_ice_file_reader_free(sc->r);
    fl_buf_fini(&sc->data);
    fl_free(sc->map);
    fl_free(sc->konst);
    fl_free(sc->skip);
    fl_batch_free(sc->defaults);
    fl_batch_free(sc->out);
    fl_free(sc->pos_out);
    fl_free(sc->rid_out);
    fl_free(sc->seq_out);
    for (int i = 0; i < sc->next; i++) {
        fl_free(sc->ext[i].root);
        fl_store_free(sc->ext[i].st);
    }
    fl_free(sc->ext);
    fl_free(sc);
}

const char *fl_ice_scan_position(const struct fl_ice_scan *sc, const int64_t **pos) {
    *pos = sc->pos_out;
    return sc->cur >= 0 && sc->cur < sc->nfiles ? sc->files[sc->cur].path : NULL;
}

fl_err_t fl_ice_scan_each(struct fl_ice_scan *sc, fl_ice_scan_batch_fn fn, void *ctx,
                          struct fl_error *err) {
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &b, err);
        if (rc == FL_ERR_EOF) return FL_OK;
        if (rc) return rc;
        const int64_t *pos = NULL;
        const char *path = fl_ice_scan_position(sc, &pos);
        if ((rc = fn(ctx, b, path, pos, err))) return rc;
    }
}

void fl_ice_scan_counts(const struct fl_ice_scan *sc, int *data_files, int *delete_files) {
    if (data_files) *data_files = sc->ndata;
    if (delete_files) *delete_files = sc->ndeletes;
}

fl_err_t fl_ice_scan_project_ids(struct fl_ice_scan *sc, const int32_t *ids, int n,
                                 struct fl_error *err) {
    if (sc->r || sc->cur >= 0)
        return fl_errf(err, FL_ERR_INVALID, "projection must be set before the first batch");
    fl_free(sc->skip);
    sc->skip = fl_calloc((size_t)sc->schema->nfields + 1, sizeof(bool));
    for (int c = 0; c < sc->schema->nfields; c++) {
        sc->skip[c] = true;
        for (int k = 0; k < n; k++)
            if (ids[k] == sc->schema->fields[c].id) sc->skip[c] = false;
    }
    return FL_OK;
}

#define ROW_ID_FIELD 2147483540   /* _row_id */
#define LAST_SEQ_FIELD 2147483539 /* _last_updated_sequence_number */

fl_err_t fl_ice_scan_want_lineage(struct fl_ice_scan *sc, struct fl_error *err) {
    if (sc->r || sc->cur >= 0)
        return fl_errf(err, FL_ERR_INVALID, "row lineage must be asked for before the first batch");
    sc->lineage = true;
    return FL_OK;
}

/* A stored lineage value that is null: the row inherits its value. */
#define LINEAGE_INHERIT INT64_MIN

/* Stored values win; a null (or a file without the columns) inherits
 * first_row_id + position and the file's data sequence number
 * (format/spec.md, "Row Lineage"). */
void fl_ice_scan_lineage(const struct fl_ice_scan *sc, size_t row, int64_t *row_id, int64_t *seq) {
    const struct plan_file *pf = &sc->files[sc->cur];
    *row_id = pf->has_frid ? pf->frid + sc->pos_out[row] : -1;
    *seq = pf->seq;
    if (sc->lineage && sc->rid_out[row] != LINEAGE_INHERIT) *row_id = sc->rid_out[row];
    if (sc->lineage && sc->seq_out[row] != LINEAGE_INHERIT) *seq = sc->seq_out[row];
}

/* Room for n rows of out's positions (and stored lineage). */
static void pos_reserve(struct fl_ice_scan *sc, size_t n) {
    if (n <= sc->pos_cap) return;
    sc->pos_cap = sc->pos_cap * 2 > n ? sc->pos_cap * 2 : n;
    sc->pos_out = fl_reallocarray(sc->pos_out, sc->pos_cap, sizeof(int64_t));
    if (!sc->lineage) return;
    sc->rid_out = fl_reallocarray(sc->rid_out, sc->pos_cap, sizeof(int64_t));
    sc->seq_out = fl_reallocarray(sc->seq_out, sc->pos_cap, sizeof(int64_t));
}

/* Row out_row of out comes from row `row` of the reader batch `in`, at
 * file position pos. */
static void pos_set(struct fl_ice_scan *sc, size_t out_row, const struct fl_batch *in, size_t row,
                    int64_t pos) {
    sc->pos_out[out_row] = pos;
    if (!sc->lineage) return;
    const struct fl_col *r = sc->rid_col >= 0 ? &in->cols[sc->rid_col] : NULL;
    const struct fl_col *q = sc->seq_col >= 0 ? &in->cols[sc->seq_col] : NULL;
    sc->rid_out[out_row] = r && !fl_col_is_null(r, row) ? fl_col_int(r, row) : LINEAGE_INHERIT;
    sc->seq_out[out_row] = q && !fl_col_is_null(q, row) ? fl_col_int(q, row) : LINEAGE_INHERIT;
}

void fl_ice_scan_stats(const struct fl_ice_scan *sc, struct fl_ice_scan_stats *out) {
    *out = sc->stats;
}

static int pos_cmp(const void *a, const void *b) {
    const struct pos_delete *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c) return c;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static void eq_index(struct eq_delete *ed);

/* Reads a delete file fully into the scan's delete sets. */
static fl_err_t load_delete_file(struct fl_ice_scan *sc, const struct plan_file *pf,
                                 struct fl_error *err) {
    struct fl_buf b;
    fl_buf_init(&b, FILE_MAX);
    struct fl_ice_file_reader *r = NULL;
    fl_err_t rc = get_object(sc, pf->path, &b, FILE_MAX, err);
    if (!rc) rc = fl_ice_file_reader_open(pf->format, b.data, b.len, &r, err);
    if (rc) goto out;
    if (pf->content == FL_ICE_CONTENT_POSITION_DELETES) {
        int32_t ids[2] = {POS_FILE_PATH_ID, POS_POS_ID};
        if ((rc = fl_ice_file_reader_project_ids(r, ids, 2, err))) goto out;
        /* rows are sorted by file_path: resolve each spelling once, and
         * keep its key once for all its rows (last_key: in pos_paths) */
        char *last = NULL;
        const char *last_key = NULL;
        for (;;) {
            struct fl_batch *batch = NULL;
            rc = fl_ice_file_reader_next(r, &batch, err);
            if (rc == FL_ERR_EOF) {
                rc = FL_OK;
                break;
            }
            if (rc) break;
            if (batch->ncols != 2) {
                rc = fl_errf(err, FL_ERR_INVALID, "a position delete file needs file_path and pos");
                break;
            }
            for (size_t i = 0; i < batch->nrows && !rc; i++) {
                if (fl_col_is_null(&batch->cols[0], i) || fl_col_is_null(&batch->cols[1], i)) {
                    rc = fl_errf(err, FL_ERR_INVALID, "row %zu has a null %s", i,
                                 fl_col_is_null(&batch->cols[0], i) ? "file_path" : "pos");
                    break;
                }
                size_t len;
                const uint8_t *p = fl_col_bytes(&batch->cols[0], i, &len);
                if (!last || strlen(last) != len || memcmp(last, p, len) != 0) {
                    fl_free(last);
                    last = fl_strndup((const char *)p, len);
                    char *key = match_key(sc->tbl, last);
                    if (!key) key = fl_strdup(last);
                    if (sc->npos_paths == sc->pos_paths_cap) {
                        sc->pos_paths_cap = sc->pos_paths_cap ? sc->pos_paths_cap * 2 : 16;
                        sc->pos_paths = fl_reallocarray(sc->pos_paths, sc->pos_paths_cap,
                                                        sizeof(*sc->pos_paths));
                    }
                    sc->pos_paths[sc->npos_paths++] = key;
                    last_key = key;
                }
                if (sc->npos == sc->poscap) {
                    sc->poscap = sc->poscap ? sc->poscap * 2 : 1024;
                    sc->pos = fl_reallocarray(sc->pos, sc->poscap, sizeof(*sc->pos));
                }
                struct pos_delete *d = &sc->pos[sc->npos++];
                d->path = last_key;
                memcpy(&d->pos, batch->cols[1].values + i * 8, 8);
                d->seq = pf->seq;
            }
            if (rc) break;
        }
        fl_free(last);
        if (rc) goto out;
    } else {
        if (pf->neq < 1 || pf->neq > 16) {
            rc = fl_errf(err, FL_ERR_UNSUPPORTED,
                         "equality deletes on %d columns (1 to 16 supported)", pf->neq);
            goto out;
        }
        if ((rc = fl_ice_file_reader_project_ids(r, pf->eq_ids, pf->neq, err))) goto out;
        const struct fl_ice_spec *spec = fl_ice_meta_spec(sc->tbl->meta, pf->spec_id);
        struct eq_delete ed = {.seq = pf->seq,
                               .nids = pf->neq,
                               .file = (int)(pf - sc->files),
                               .global = spec ? spec->nfields == 0 : pf->npart == 0};
        ed.ids = fl_calloc((size_t)pf->neq, sizeof(int32_t));
        memcpy(ed.ids, pf->eq_ids, sizeof(int32_t) * (size_t)pf->neq);
        ed.schema = NULL;
        for (;;) {
            struct fl_batch *batch = NULL;
            rc = fl_ice_file_reader_next(r, &batch, err);
            if (rc == FL_ERR_EOF) {
                rc = FL_OK;
                break;
            }
            if (rc) break;
            if (!ed.schema) {
                ed.schema = fl_schema_dup(batch->schema);
                if ((rc = fl_batch_new(ed.schema, 0, &ed.rows, err))) break;
            }
            for (size_t i = 0; i < batch->nrows && !rc; i++) {
                for (int c = 0; c < batch->ncols && !rc; c++)
                    rc = fl_col_append_from(&ed.rows->cols[c], &batch->cols[c], i);
                if (!rc) rc = fl_batch_end_row(ed.rows);
            }
        }
        /* every key column, in equality_ids order (eq_deleted relies on it) */
        for (int k = 0; !rc && ed.rows && k < pf->neq; k++)
            if (k >= ed.rows->ncols || ed.rows->cols[k].field->id != pf->eq_ids[k])
                rc = fl_errf(err, FL_ERR_CORRUPT,
                             "equality delete file lacks key column (field id %d)",
                             (int)pf->eq_ids[k]);
        if (!rc && ed.rows && ed.rows->nrows >= ((size_t)1 << 31))
            rc = fl_errf(err, FL_ERR_LIMIT, "equality delete file of %zu rows (2^31 supported)",
                         ed.rows->nrows);
        if (!rc && ed.rows) rc = fl_batch_new(ed.schema, 1, &ed.miss, err);
        if (!rc && ed.rows) eq_index(&ed);
        if (rc || !ed.rows) {
            fl_batch_free(ed.miss);
            fl_free(ed.ids);
            fl_batch_free(ed.rows);
            fl_schema_free(ed.schema);
        } else {
            sc->eq = fl_reallocarray(sc->eq, (size_t)sc->neq + 1, sizeof(*sc->eq));
            sc->eq[sc->neq++] = ed;
        }
    }
out:
    if (rc) fl_err_prefix(err, "delete file %s", pf->path);
    fl_ice_file_reader_free(r);
    fl_buf_fini(&b);
    return rc;
}

static int dv_cmp(const void *a, const void *b) {
    return strcmp(((const struct dv_delete *)a)->key, ((const struct dv_delete *)b)->key);
}

/* Reads the deletion vectors of the plan (each Puffin file once when its
 * vectors are listed together) and sorts them by data file. */
static fl_err_t load_dvs(struct fl_ice_scan *sc, struct fl_error *err) {
    struct fl_buf b;
    fl_buf_init(&b, FILE_MAX);
    const char *loaded = NULL;
    fl_err_t rc = FL_OK;
    for (int i = 0; i < sc->nfiles && !rc; i++) {
        const struct plan_file *pf = &sc->files[i];
        if (!pf->is_dv) continue;
        struct fl_dv *dv = NULL;
        char key[FL_STORE_KEY_MAX + 1];
        if (!loaded || strcmp(loaded, pf->path) != 0) {
            loaded = NULL;
            rc = get_object(sc, pf->path, &b, FILE_MAX, err);
            if (!rc) loaded = pf->path;
        }
        if (!rc)
            rc = fl_ice_dv_from_file(&b, pf->dv_offset, pf->dv_size, pf->dv_ref, pf->dv_card, &dv,
                                     err);
        if (!rc && fl_ice_table_key(sc->tbl, pf->dv_ref, key, sizeof(key), NULL) != FL_OK)
            snprintf(key, sizeof(key), "%s", pf->dv_ref);
        if (rc) {
            fl_dv_free(dv);
            fl_err_prefix(err, "deletion vector %s (offset %lld)", pf->path,
                          (long long)pf->dv_offset);
            break;
        }
        sc->dvs = fl_reallocarray(sc->dvs, (size_t)sc->ndv + 1, sizeof(*sc->dvs));
        sc->dvs[sc->ndv++] = (struct dv_delete){fl_strdup(key), pf->seq, dv};
    }
    fl_buf_fini(&b);
    if (rc || sc->ndv < 2) return rc;
    qsort(sc->dvs, (size_t)sc->ndv, sizeof(*sc->dvs), dv_cmp);
    for (int i = 1; i < sc->ndv; i++)
        if (strcmp(sc->dvs[i - 1].key, sc->dvs[i].key) == 0)
            return fl_errf(err, FL_ERR_CORRUPT,
                           "two live deletion vectors for data file %s (at most one is allowed)",
                           sc->dvs[i].key);
    return FL_OK;
}

/* The deletion vector that applies to data file pf, or NULL. */
static const struct fl_dv *dv_for(const struct fl_ice_scan *sc, const struct plan_file *pf) {
    if (!pf->key || sc->ndv == 0) return NULL;
    struct dv_delete k = {.key = pf->key};
    const struct dv_delete *d = bsearch(&k, sc->dvs, (size_t)sc->ndv, sizeof(*sc->dvs), dv_cmp);
    return d && d->seq >= pf->seq ? d->dv : NULL;
}

fl_err_t fl_ice_scan_open(struct fl_ice_table *tbl, int64_t snapshot_id, struct fl_ice_scan **out,
                          struct fl_error *err) {
    return fl_ice_scan_open_where(tbl, snapshot_id, NULL, 0, out, err);
}

static fl_err_t scan_open(struct fl_ice_table *tbl, int64_t snapshot_id, bool as_of,
                          const struct fl_ice_pred *preds, int npreds, fl_ice_file_pred_fn keep,
                          void *keep_ctx, struct fl_ice_scan **out, struct fl_error *err);

fl_err_t fl_ice_scan_open_where(struct fl_ice_table *tbl, int64_t snapshot_id,
                                const struct fl_ice_pred *preds, int npreds,
                                struct fl_ice_scan **out, struct fl_error *err) {
    return scan_open(tbl, snapshot_id, false, preds, npreds, NULL, NULL, out, err);
}

fl_err_t fl_ice_scan_open_as_of(struct fl_ice_table *tbl, int64_t snapshot_id,
                                const struct fl_ice_pred *preds, int npreds,
                                struct fl_ice_scan **out, struct fl_error *err) {
    return scan_open(tbl, snapshot_id, true, preds, npreds, NULL, NULL, out, err);
}

fl_err_t fl_ice_scan_open_files(struct fl_ice_table *tbl, int64_t snapshot_id,
                                fl_ice_file_pred_fn keep, void *keep_ctx, struct fl_ice_scan **out,
                                struct fl_error *err) {
    return scan_open(tbl, snapshot_id, false, NULL, 0, keep, keep_ctx, out, err);
}

const struct fl_schema *fl_ice_scan_schema(const struct fl_ice_scan *sc) { return sc->schema; }

/* The one-row batch of the output columns' initial-default values (the
 * spec's JSON single-value serialization), or NULL when no column has one. */
static fl_err_t build_defaults(struct fl_ice_scan *sc, struct fl_error *err) {
    bool any = false;
    for (int c = 0; c < sc->schema->nfields; c++) any |= !!sc->schema->fields[c].initial_default;
    if (!any) return FL_OK;
    fl_err_t rc = fl_batch_new(sc->schema, 1, &sc->defaults, err);
    for (int c = 0; c < sc->schema->nfields && !rc; c++) {
        const struct fl_field *f = &sc->schema->fields[c];
        rc = fl_col_append_default(&sc->defaults->cols[c], f->initial_default, err);
        if (rc) fl_err_prefix(err, "initial-default of column %s", f->name);
    }
    if (!rc) rc = fl_batch_end_row(sc->defaults);
    return rc;
}

static fl_err_t scan_open(struct fl_ice_table *tbl, int64_t snapshot_id, bool as_of,
                          const struct fl_ice_pred *preds, int npreds, fl_ice_file_pred_fn keep,
                          void *keep_ctx, struct fl_ice_scan **out, struct fl_error *err) {
    struct fl_ice_scan *sc = fl_calloc(1, sizeof(*sc));
    sc->tbl = tbl;
    sc->keep = keep;
    sc->keep_ctx = keep_ctx;
    sc->preds = preds;
    sc->npreds = npreds;
    sc->schema = as_of ? fl_ice_meta_snapshot_schema(tbl->meta, snapshot_id)
                       : fl_ice_meta_current_schema(tbl->meta);
    sc->cur = -1;
    fl_buf_init(&sc->data, FILE_MAX);
    fl_err_t rc = fl_batch_new(sc->schema, 0, &sc->out, err);
    if (!rc) rc = build_defaults(sc, err);
    const struct fl_ice_snapshot *snap = snapshot_id == FL_ICE_NO_SNAPSHOT
                                             ? fl_ice_meta_current_snapshot(tbl->meta)
                                             : fl_ice_meta_snapshot(tbl->meta, snapshot_id);
    if (!rc && !snap && snapshot_id != FL_ICE_NO_SNAPSHOT)
        rc = fl_errf(err, FL_ERR_NOTFOUND, "snapshot %lld does not exist", (long long)snapshot_id);
    if (!rc && snap)
        rc = fl_ice_table_files(tbl, snap->snapshot_id, keep_manifest, on_entry, sc, err);
    for (int i = 0; i < sc->nfiles && !rc; i++)
        if (sc->files[i].content != FL_ICE_CONTENT_DATA && !sc->files[i].is_dv)
            rc = load_delete_file(sc, &sc->files[i], err);
    if (!rc) rc = load_dvs(sc, err);
    if (!rc && sc->npos) qsort(sc->pos, sc->npos, sizeof(*sc->pos), pos_cmp);
    if (rc) {
        fl_ice_scan_free(sc);
        return rc;
    }
    *out = sc;
    return FL_OK;
}

static bool pos_deleted(const struct fl_ice_scan *sc, const char *path, int64_t pos, int64_t seq) {
    struct pos_delete key = {.path = path, .pos = pos};
    size_t lo = 0, hi = sc->npos;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (pos_cmp(&sc->pos[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < sc->npos && pos_cmp(&sc->pos[lo], &key) == 0; lo++)
        if (sc->pos[lo].seq >= seq) return true;
    return false;
}

static double col_double(const struct fl_col *c, size_t r) {
    if (c->width == 4) {
        float f;
        memcpy(&f, c->values + r * 4, 4);
        return f;
    }
    double d;
    memcpy(&d, c->values + r * 8, 8);
    return d;
}

static bool values_equal(const struct fl_col *a, size_t ra, const struct fl_col *b, size_t rb) {
    bool na = fl_col_is_null(a, ra), nb = fl_col_is_null(b, rb);
    if (na || nb) return na && nb;
    if (!a->width || !b->width) {
        size_t la, lb;
        const uint8_t *pa = fl_col_bytes(a, ra, &la), *pb = fl_col_bytes(b, rb, &lb);
        return la == lb && memcmp(pa, pb, la) == 0;
    }
    bool fa = a->field->type == FL_TYPE_FLOAT || a->field->type == FL_TYPE_DOUBLE;
    bool fb = b->field->type == FL_TYPE_FLOAT || b->field->type == FL_TYPE_DOUBLE;
    if (fa && fb && a->width != b->width) /* float vs double after evolution */
        return col_double(a, ra) == col_double(b, rb);
    if (fa != fb) return false;
    if (a->width == b->width)
        return memcmp(a->values + ra * a->width, b->values + rb * b->width, a->width) == 0;
    return fl_col_int(a, ra) == fl_col_int(b, rb); /* int vs long after evolution */
}

/* Whether equality delete ed applies to data file pf by partition: a
 * delete written with an unpartitioned spec applies everywhere, any
 * other only to data files of its spec and partition tuple (format/
 * spec.md, "Scan Planning"). */
static bool eq_applies(const struct fl_ice_scan *sc, const struct eq_delete *ed,
                       const struct plan_file *pf) {
    if (ed->global) return true;
    const struct plan_file *df = &sc->files[ed->file];
    if (df->spec_id != pf->spec_id || df->npart != pf->npart) return false;
    for (int k = 0; k < pf->npart; k++) {
        if (df->part[k].is_null != pf->part[k].is_null) return false;
        if (!pf->part[k].is_null && fl_ice_pval_cmp(&df->part[k], &pf->part[k]) != 0) return false;
    }
    return true;
}

/* Hash of one key value, equal for any two values values_equal calls
 * equal: floats of either width hash their double (0.0 and -0.0 alike),
 * integers of width 1, 4 or 8 their int64 value (int vs long after
 * evolution), anything else its bytes. */
static uint64_t key_hash(const struct fl_col *c, size_t r) {
    if (fl_col_is_null(c, r)) return 0x6e756c6cULL;
    if (!c->width) {
        size_t len;
        const uint8_t *p = fl_col_bytes(c, r, &len);
        return fl_hash_bytes(p, len);
    }
    if (c->field->type == FL_TYPE_FLOAT || c->field->type == FL_TYPE_DOUBLE) {
        double d = col_double(c, r);
        if (d == 0) d = 0; /* -0.0 == 0.0 across widths */
        uint64_t bits;
        memcpy(&bits, &d, 8);
        return bits ^ 0x9e3779b97f4a7c15ULL;
    }
    if (c->width == 1 || c->width == 4 || c->width == 8) return (uint64_t)fl_col_int(c, r);
    return fl_hash_bytes(c->values + r * c->width, c->width);
}

static uint32_t row_hash(const struct fl_col *const *key, const size_t *krow, int nk) {
    uint64_t h = 0;
    for (int k = 0; k < nk; k++)
        h = (h ^ key_hash(key[k], krow[k])) * 0x100000001b3ULL + (uint64_t)k;
    return fl_hash_mix64(h);
}

/* Builds ed's hash index over its delete rows (a table at most half
 * full). Delete files beyond 2^31 rows are refused when loaded. */
static void eq_index(struct eq_delete *ed) {
    size_t n = ed->rows->nrows, ns = 16;
    while (ns < n * 2) ns *= 2;
    ed->slots = fl_calloc(ns, sizeof(uint32_t));
    ed->mask = (uint32_t)(ns - 1);
    const struct fl_col *key[16];
    size_t krow[16];
    for (int k = 0; k < ed->nids; k++) key[k] = &ed->rows->cols[k];
    for (size_t r = 0; r < n; r++) {
        for (int k = 0; k < ed->nids; k++) krow[k] = r;
        uint32_t s = row_hash(key, krow, ed->nids) & ed->mask;
        while (ed->slots[s]) s = (s + 1) & ed->mask;
        ed->slots[s] = (uint32_t)r + 1;
    }
}

static bool eq_deleted(const struct fl_ice_scan *sc, const struct fl_batch *batch, size_t row,
                       const struct plan_file *pf) {
    for (int d = 0; d < sc->neq; d++) {
        const struct eq_delete *ed = &sc->eq[d];
        if (ed->seq <= pf->seq || !eq_applies(sc, ed, pf)) continue;
        int nk = ed->nids; /* 1..16, checked when the delete file was loaded */
        const struct fl_col *key[16];
        size_t krow[16];
        for (int k = 0; k < nk; k++) { /* the file's column, or eq_missing's value */
            key[k] = &ed->miss->cols[k];
            krow[k] = 0;
            for (int c = 0; c < batch->ncols; c++)
                if (batch->cols[c].field->id == ed->rows->cols[k].field->id) {
                    key[k] = &batch->cols[c];
                    krow[k] = row;
                }
        }
        for (uint32_t s = row_hash(key, krow, nk) & ed->mask; ed->slots[s];
             s = (s + 1) & ed->mask) {
            size_t r = ed->slots[s] - 1;
            bool all = true;
            for (int k = 0; k < nk && all; k++)
                all = values_equal(key[k], krow[k], &ed->rows->cols[k], r);
            if (all) return true;
        }
    }
    return false;
}

/* Appends a partition value to a column of its (source) type. */
static fl_err_t col_append_pval(struct fl_col *col, const struct fl_ice_pval *v) {
    if (v->is_null) return fl_col_append_null(col);
    switch (col->field->type) {
    case FL_TYPE_BOOLEAN:
        return fl_col_append_bool(col, v->i64 != 0);
    case FL_TYPE_INT:
    case FL_TYPE_DATE:
        return fl_col_append_i32(col, (int32_t)v->i64);
    case FL_TYPE_FLOAT:
        return fl_col_append_f32(col, (float)v->f64);
    case FL_TYPE_DOUBLE:
        return fl_col_append_f64(col, v->f64);
    case FL_TYPE_DECIMAL:
        return fl_col_append_i128(col, v->dec);
    case FL_TYPE_STRING:
    case FL_TYPE_BINARY:
    case FL_TYPE_UUID:
    case FL_TYPE_FIXED:
        return fl_col_append_bytes(col, v->bytes, v->len);
    default:
        if (col->field->nanos) { /* the partition value is in nanoseconds */
            int64_t q = v->i64 / 1000;
            return fl_col_append_i64(col, q - (v->i64 % 1000 < 0));
        }
        return fl_col_append_i64(col, v->i64);
    }
}

/* Fills each equality delete's miss row for data file pf (its schema
 * fs): a key column fs lacks holds, in every row of the file, pf's
 * identity partition value of that column, else the column's
 * initial-default, else null (format/spec.md: a column a data file
 * lacks reads as its default or null), so deletes on it still apply. */
static fl_err_t eq_missing(struct fl_ice_scan *sc, const struct plan_file *pf,
                           const struct fl_schema *fs, struct fl_error *err) {
    const struct fl_ice_spec *fspec = fl_ice_meta_spec(sc->tbl->meta, pf->spec_id);
    fl_err_t rc = FL_OK;
    for (int d = 0; d < sc->neq && !rc; d++) {
        struct eq_delete *ed = &sc->eq[d];
        fl_batch_reset(ed->miss);
        for (int k = 0; k < ed->nids && !rc; k++) {
            struct fl_col *mc = &ed->miss->cols[k];
            int32_t id = ed->ids[k];
            if (fl_schema_index_by_id(fs, id) >= 0) {
                rc = fl_col_append_null(mc); /* not used: the file has it */
                continue;
            }
            const struct fl_ice_pval *pv = NULL;
            for (int j = 0; fspec && j < fspec->nfields && j < pf->npart; j++)
                if (fspec->fields[j].source_id == id &&
                    fspec->fields[j].transform.kind == FL_ICE_XF_IDENTITY)
                    pv = &pf->part[j];
            int c = fl_schema_index_by_id(sc->schema, id);
            const struct fl_col *dc = c >= 0 && sc->defaults ? &sc->defaults->cols[c] : NULL;
            if (pv)
                rc = col_append_pval(mc, pv);
            else if (!dc || fl_col_is_null(dc, 0))
                rc = fl_col_append_null(mc);
            else if (dc->field->type == mc->field->type)
                rc = fl_col_append_from(mc, dc, 0);
            else
                rc = fl_errf(err, FL_ERR_UNSUPPORTED,
                             "data file %s lacks equality delete key %s, whose initial-default "
                             "has another type than the delete file's column",
                             pf->path, mc->field->name);
        }
        if (!rc && fl_batch_end_row(ed->miss))
            rc = fl_errf(err, FL_ERR_INVALID, "equality delete keys of data file %s", pf->path);
    }
    return rc;
}

/* Whether field f is a variant or has one inside. */
static bool has_variant(const struct fl_field *f) {
    if (f->opaque_type && strcmp(f->opaque_type, "variant") == 0) return true;
    for (int k = 0; k < f->nchildren; k++)
        if (has_variant(&f->children[k])) return true;
    return false;
}

/* Opens data file i with the projection of the output schema it has. */
static fl_err_t open_data(struct fl_ice_scan *sc, int i, struct fl_error *err) {
    const struct plan_file *pf = &sc->files[i];
    fl_ice_file_reader_free(sc->r);
    sc->r = NULL;
    fl_err_t rc = get_object(sc, pf->path, &sc->data, FILE_MAX, err);
    if (!rc) rc = fl_ice_file_reader_open(pf->format, sc->data.data, sc->data.len, &sc->r, err);
    if (!rc)
        rc = fl_ice_file_reader_resolve_names(
            sc->r, sc->schema, fl_ice_meta_property(sc->tbl->meta, "schema.name-mapping.default"),
            err);
    if (rc) {
        fl_err_prefix(err, "data file %s", pf->path);
        return rc;
    }
    /* also need the equality-delete key columns, even if not in the output */
    const struct fl_schema *fs = fl_ice_file_reader_schema(sc->r);
    /* a rewritten file stores its rows' lineage: both columns are longs */
    static const int32_t lineage_ids[2] = {ROW_ID_FIELD, LAST_SEQ_FIELD};
    for (int k = 0; k < 2 && sc->lineage; k++) {
        int fi = fl_schema_index_by_id(fs, lineage_ids[k]);
        if (fi >= 0 && fs->fields[fi].type != FL_TYPE_LONG)
            return fl_errf(err, FL_ERR_CORRUPT, "data file %s: row lineage column %s is not a long",
                           pf->path, fs->fields[fi].name);
    }
    int32_t *ids = fl_calloc((size_t)sc->schema->nfields + 66, sizeof(int32_t));
    int nids = 0;
    fl_free(sc->map);
    fl_free(sc->konst);
    sc->map = fl_calloc((size_t)sc->schema->nfields + 1, sizeof(int));
    sc->konst = fl_calloc((size_t)sc->schema->nfields + 1, sizeof(*sc->konst));
    const struct fl_ice_spec *fspec = fl_ice_meta_spec(sc->tbl->meta, pf->spec_id);
    for (int c = 0; c < sc->schema->nfields; c++) {
        const struct fl_field *of = &sc->schema->fields[c];
        sc->map[c] = -1;
        if (sc->skip && sc->skip[c]) continue;
        if (of->opaque_type && strcmp(of->opaque_type, "unknown") == 0) continue; /* always null */
        int fi = fl_schema_index_by_id(fs, of->id);
        /* a variant (top-level or nested) reads from Parquet files only:
         * the Parquet reader decodes it (format/parquet/variant.h) */
        bool parquet = pf->format && strcmp(pf->format, "PARQUET") == 0;
        if (fi >= 0 && has_variant(of) && !parquet) {
            fl_free(ids);
            return fl_errf(err, FL_ERR_UNSUPPORTED,
                           "column \"%s\" holds a variant, which floe reads from Parquet data "
                           "files only (this one is %s); select the other columns",
                           of->name, pf->format ? pf->format : "?");
        }
        bool variant_ok = parquet && of->opaque_type && strcmp(of->opaque_type, "variant") == 0 &&
                          fi >= 0 && fs->fields[fi].type == FL_TYPE_STRUCT;
        if (of->opaque_type && fi >= 0 && !variant_ok) {
            fl_free(ids);
            return fl_errf(err, FL_ERR_UNSUPPORTED,
                           "column \"%s\" has type %s, which floe cannot read yet; select the "
                           "other columns",
                           of->name, of->opaque_type);
        }
        if (fl_schema_index_by_id(fs, sc->schema->fields[c].id) >= 0) {
            sc->map[c] = nids;
            ids[nids++] = sc->schema->fields[c].id;
            continue;
        }
        for (int k = 0; fspec && k < fspec->nfields && k < pf->npart; k++)
            if (fspec->fields[k].source_id == sc->schema->fields[c].id &&
                fspec->fields[k].transform.kind == FL_ICE_XF_IDENTITY) {
                sc->map[c] = -2;
                sc->konst[c] = &pf->part[k];
            }
        if (sc->map[c] == -1 && sc->defaults && !fl_col_is_null(&sc->defaults->cols[c], 0))
            sc->map[c] = -3;
    }
    for (int d = 0; d < sc->neq; d++)
        for (int k = 0; k < sc->eq[d].nids && nids < sc->schema->nfields + 64; k++) {
            int32_t id = sc->eq[d].ids[k];
            bool have = false;
            for (int j = 0; j < nids; j++) have |= ids[j] == id;
            if (!have && fl_schema_index_by_id(fs, id) >= 0) ids[nids++] = id;
        }
    sc->rid_col = sc->seq_col = -1;
    if (sc->lineage && fl_schema_index_by_id(fs, ROW_ID_FIELD) >= 0) {
        sc->rid_col = nids;
        ids[nids++] = ROW_ID_FIELD;
    }
    if (sc->lineage && fl_schema_index_by_id(fs, LAST_SEQ_FIELD) >= 0) {
        sc->seq_col = nids;
        ids[nids++] = LAST_SEQ_FIELD;
    }
    rc = fl_ice_file_reader_project_ids(sc->r, ids, nids, err);
    fl_free(ids);
    if (!rc) rc = eq_missing(sc, pf, fs, err);
    /* nested values take the table's member names and members (by id) */
    for (int c = 0; c < sc->schema->nfields && !rc; c++)
        if (sc->map[c] >= 0 &&
            (!fl_type_is_primitive(sc->schema->fields[c].type) ||
             sc->schema->fields[c].opaque_type) &&
            !fl_type_is_primitive(
                fs->fields[fl_schema_index_by_id(fs, sc->schema->fields[c].id)].type))
            rc = fl_ice_file_reader_nested_target(sc->r, sc->schema->fields[c].id,
                                                  &sc->schema->fields[c], err);
    /* the same predicates skip row groups and pages inside the file */
    for (int k = 0; k < sc->npreds && !rc; k++) {
        const struct fl_ice_pred *p = &sc->preds[k];
        if (fl_schema_index_by_id(fs, p->field_id) < 0) continue;
        int oi = fl_schema_index_by_id(sc->schema, p->field_id);
        if (oi >= 0 && !fl_field_is_exact(&sc->schema->fields[oi])) continue;
        struct fl_pq_pred pp = {.field_id = p->field_id};
        static const int ops[] = {[FL_ICE_OP_EQ] = FL_PQ_PRED_EQ,
                                  [FL_ICE_OP_LT] = FL_PQ_PRED_LT,
                                  [FL_ICE_OP_LE] = FL_PQ_PRED_LE,
                                  [FL_ICE_OP_GT] = FL_PQ_PRED_GT,
                                  [FL_ICE_OP_GE] = FL_PQ_PRED_GE,
                                  [FL_ICE_OP_IS_NULL] = FL_PQ_PRED_IS_NULL,
                                  [FL_ICE_OP_NOT_NULL] = FL_PQ_PRED_NOT_NULL,
                                  [FL_ICE_OP_NE] = -1};
        if (ops[p->op] < 0) continue;
        pp.op = (fl_pq_pred_op_t)ops[p->op];
        /* the file's column must have the predicate's type (not an evolved one) */
        const struct fl_field *ff = &fs->fields[fl_schema_index_by_id(fs, p->field_id)];
        if (ff->type != p->lit->field->type) continue;
        struct fl_ice_transform ident = {FL_ICE_XF_IDENTITY, 0};
        struct fl_ice_pval v;
        fl_ice_transform_apply(&ident, p->lit, p->row, &v);
        if (v.is_null && p->op != FL_ICE_OP_IS_NULL && p->op != FL_ICE_OP_NOT_NULL) continue;
        pp.i64 = v.i64;
        pp.f64 = v.f64;
        pp.i128 = v.dec;
        pp.bytes = v.bytes;
        pp.len = v.len;
        rc = fl_ice_file_reader_add_pred(sc->r, &pp, err);
    }
    sc->row_base = 0;
    sc->cur_dv = dv_for(sc, pf);
    if (rc) fl_err_prefix(err, "data file %s", pf->path);
    return rc;
}

/* One value of output column c that the data file does not have: its
 * identity partition value, its initial-default, or null. */
static fl_err_t append_missing(const struct fl_ice_scan *sc, int c, struct fl_col *oc) {
    if (sc->map[c] == -2) return col_append_pval(oc, sc->konst[c]);
    if (sc->map[c] == -3) return fl_col_append_from(oc, &sc->defaults->cols[c], 0);
    return fl_col_append_null(oc);
}

fl_err_t fl_ice_scan_next(struct fl_ice_scan *sc, struct fl_batch **out, struct fl_error *err) {
    for (;;) {
        if (!sc->r) {
            do sc->cur++;
            while (sc->cur < sc->nfiles && sc->files[sc->cur].content != FL_ICE_CONTENT_DATA);
            if (sc->cur >= sc->nfiles) return FL_ERR_EOF;
            fl_err_t rc = open_data(sc, sc->cur, err);
            if (rc) return rc;
        }
        struct fl_batch *in = NULL;
        fl_err_t rc = fl_ice_file_reader_next(sc->r, &in, err);
        if (rc == FL_ERR_EOF) {
            struct fl_pq_read_stats rs;
            fl_ice_file_reader_stats(sc->r, &rs);
            sc->stats.row_groups_read += rs.row_groups_read;
            sc->stats.row_groups_skipped += rs.row_groups_skipped;
            sc->stats.pages_skipped += rs.pages_skipped;
            sc->stats.files_read++;
            fl_ice_file_reader_free(sc->r);
            sc->r = NULL;
            continue;
        }
        if (rc) {
            fl_err_prefix(err, "data file %s", sc->files[sc->cur].path);
            return rc;
        }
        const struct plan_file *pf = &sc->files[sc->cur];
        fl_batch_reset(sc->out);
        if (!sc->npos && !sc->neq && !sc->cur_dv && in->nrows) {
            /* no deletes: every row, a column at a time */
            for (int c = 0; c < sc->out->ncols && !rc; c++) {
                struct fl_col *oc = &sc->out->cols[c];
                if (sc->map[c] >= 0) {
                    rc = fl_col_append_rows(oc, &in->cols[sc->map[c]], 0, in->nrows);
                    continue;
                }
                for (size_t row = 0; row < in->nrows && !rc; row++) rc = append_missing(sc, c, oc);
            }
            if (rc) {
                fl_batch_reset(sc->out);
                return fl_errf(err, rc, "data file %s: rows %lld.. do not fit the table schema",
                               pf->path, (long long)sc->row_base);
            }
            sc->out->nrows = in->nrows;
            pos_reserve(sc, in->nrows);
            for (size_t row = 0; row < in->nrows; row++)
                pos_set(sc, row, in, row, sc->row_base + (int64_t)row);
            sc->row_base += (int64_t)in->nrows;
            *out = sc->out;
            return FL_OK;
        }
        for (size_t row = 0; row < in->nrows; row++) {
            int64_t pos = sc->row_base + (int64_t)row;
            if (sc->cur_dv ? fl_dv_contains(sc->cur_dv, pos)
                           : sc->npos && pf->key && pos_deleted(sc, pf->key, pos, pf->seq))
                continue;
            if (sc->neq && eq_deleted(sc, in, row, pf)) continue;
            for (int c = 0; c < sc->out->ncols && !rc; c++)
                rc = sc->map[c] < 0
                         ? append_missing(sc, c, &sc->out->cols[c])
                         : fl_col_append_from(&sc->out->cols[c], &in->cols[sc->map[c]], row);
            if (!rc) rc = fl_batch_end_row(sc->out);
            if (!rc) {
                pos_reserve(sc, sc->out->nrows < 8192 ? 8192 : sc->out->nrows);
                pos_set(sc, sc->out->nrows - 1, in, row, pos);
            }
            if (rc)
                return fl_errf(err, rc, "data file %s: row %lld does not fit the table schema",
                               pf->path, (long long)pos);
        }
        sc->row_base += (int64_t)in->nrows;
        if (sc->out->nrows == 0) continue;
        *out = sc->out;
        return FL_OK;
    }
}
