/*
 * delete.c - row-level deletes as position delete files (format/spec.md,
 * "Position Delete Files"): rows chosen by a predicate are recorded as
 * (file_path, pos) pairs, sorted by path then position as the spec
 * requires, written as one Parquet delete file per affected data file in
 * that data file's partition, and committed in one snapshot. Readers
 * (floe's scan, Spark, Trino, PyIceberg, icebird) then skip those rows.
 * Format 3 tables get deletion vectors instead: one per affected data
 * file, merged with the file's live vector (which the commit removes,
 * so at most one stays live), all in one Puffin file.
 */
#include "core/mem.h"
#include "core/uuid.h"
#include "format/parquet/writer.h"
#include "iceberg/dvfile.h"
#include "iceberg/table.h"
#include "iceberg/table_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char POS_SCHEMA[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":2147483546,\"name\":\"file_path\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2147483545,\"name\":\"pos\",\"required\":true,\"type\":\"long\"}]}";

struct target {
    char *path;
    int64_t *pos;
    size_t n, cap;
    struct fl_ice_pval *part; /* copied from the data file's entry */
    int npart;
    struct fl_buf pbytes;
    int found;
    int32_t spec_id;
    /* format 3: the data file's live deletion vector, if any */
    char *old_dv;
    int64_t old_off, old_size, old_card;
};

struct targets {
    struct target *t;
    int n, cap;
    const char *pos_file; /* format 3: a live position delete file that may name a target */
    char *pos_file_own;
};

static struct target *target_for(struct targets *ts, const char *path) {
    for (int i = ts->n - 1; i >= 0; i--)
        if (strcmp(ts->t[i].path, path) == 0) return &ts->t[i];
    if (ts->n == ts->cap) {
        ts->cap = ts->cap ? ts->cap * 2 : 16;
        ts->t = fl_reallocarray(ts->t, (size_t)ts->cap, sizeof(*ts->t));
    }
    struct target *t = &ts->t[ts->n++];
    memset(t, 0, sizeof(*t));
    t->path = fl_strdup(path);
    fl_buf_init(&t->pbytes, FL_BUF_NOMAX);
    return t;
}

/* The live deletion vector of a target (format 3). */
static void note_dv(struct targets *ts, const struct fl_ice_data_file *df) {
    for (int i = 0; i < ts->n; i++) {
        struct target *t = &ts->t[i];
        if (strcmp(t->path, df->referenced_data_file) != 0) continue;
        fl_free(t->old_dv);
        t->old_dv = fl_strdup(df->file_path);
        t->old_off = df->content_offset;
        t->old_size = df->content_size_in_bytes;
        t->old_card = df->record_count;
    }
}

static int on_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct targets *ts = ctx;
    if (e->status != FL_ICE_STATUS_DELETED && e->df.content == FL_ICE_CONTENT_POSITION_DELETES) {
        if (e->df.has_content_range && e->df.referenced_data_file) {
            note_dv(ts, &e->df);
        } else if (!ts->pos_file) {
            bool names = !e->df.referenced_data_file;
            for (int i = 0; i < ts->n && !names; i++)
                names = strcmp(ts->t[i].path, e->df.referenced_data_file) == 0;
            if (names) ts->pos_file = ts->pos_file_own = fl_strdup(e->df.file_path);
        }
    }
    if (e->status == FL_ICE_STATUS_DELETED || e->df.content != FL_ICE_CONTENT_DATA) return 0;
    for (int i = 0; i < ts->n; i++) {
        struct target *t = &ts->t[i];
        if (t->found || strcmp(t->path, e->df.file_path) != 0) continue;
        t->found = 1;
        t->spec_id = e->df.spec_id;
        t->npart = e->df.npartition;
        t->part = fl_calloc((size_t)t->npart + 1, sizeof(*t->part));
        size_t *off = fl_calloc((size_t)t->npart + 1, sizeof(size_t));
        for (int k = 0; k < t->npart; k++) {
            t->part[k] = e->df.partition[k];
            if (t->part[k].bytes) {
                off[k] = t->pbytes.len;
                fl_buf_append(&t->pbytes, t->part[k].bytes, t->part[k].len);
            }
        }
        for (int k = 0; k < t->npart; k++)
            if (t->part[k].bytes) t->part[k].bytes = t->pbytes.data + off[k];
        fl_free(off);
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_target(const void *a, const void *b) {
    return strcmp(((const struct target *)a)->path, ((const struct target *)b)->path);
}

static fl_err_t sink_buf(void *ctx, const void *data, size_t len) {
    return fl_buf_append(ctx, data, len);
}

/* Format 3: one deletion vector per target, merged with its live one,
 * all in one Puffin file (fl_ice_dv_write). */
static fl_err_t write_dvs(struct fl_ice_table *tbl, struct targets *ts,
                          struct fl_ice_data_file **out, int *nout, struct fl_error *err) {
    struct fl_ice_dv_target *dt = fl_calloc((size_t)ts->n + 1, sizeof(*dt));
    struct fl_ice_data_file *data = fl_calloc((size_t)ts->n + 1, sizeof(*data));
    struct fl_buf file;
    fl_buf_init(&file, (size_t)1 << 30);
    fl_err_t rc = FL_OK;
    for (int i = 0; i < ts->n && !rc; i++) {
        struct target *t = &ts->t[i];
        data[i].file_path = t->path;
        data[i].spec_id = t->spec_id;
        data[i].partition = t->part;
        data[i].npartition = t->npart;
        dt[i].data = &data[i];
        dt[i].dv = fl_dv_new();
        for (size_t k = 0; k < t->n && !rc; k++) rc = fl_dv_add(dt[i].dv, t->pos[k]);
        if (rc) {
            rc = fl_errf(err, rc, "data file %s: position %lld cannot be deleted", t->path,
                         (long long)t->pos[0]);
            break;
        }
        if (!t->old_dv) continue;
        char key[FL_STORE_KEY_MAX + 1];
        struct fl_dv *old = NULL;
        rc = fl_ice_table_key(tbl, t->old_dv, key, sizeof(key), err);
        if (!rc) rc = fl_store_get(tbl->store, key, &file, (size_t)1 << 30, err);
        if (!rc)
            rc = fl_ice_dv_from_file(&file, t->old_off, t->old_size, t->path, t->old_card, &old,
                                     err);
        if (!rc) rc = fl_dv_merge(dt[i].dv, old);
        fl_dv_free(old);
        if (rc) fl_err_prefix(err, "deletion vector %s of %s", t->old_dv, t->path);
        dt[i].replaces = t->old_dv;
        dt[i].replaces_offset = t->old_off;
        fl_buf_reset(&file);
    }
    if (!rc) rc = fl_ice_dv_write(tbl, dt, ts->n, out, err);
    if (!rc) *nout = ts->n;
    for (int i = 0; i < ts->n; i++) fl_dv_free(dt[i].dv);
    fl_free(dt);
    fl_free(data);
    fl_buf_fini(&file);
    return rc;
}

/* Writes one position delete file per data file of ts (whose positions
 * are filled) into the store, without committing: *out gets the files
 * (caller finis each and frees the array). */
static fl_err_t write_targets(struct fl_ice_table *tbl, struct targets *ts,
                              struct fl_ice_data_file **out, int *nout, struct fl_error *err) {
    struct fl_schema *ps = NULL;
    struct fl_batch *pb = NULL;
    struct fl_ice_data_file *dfs = NULL;
    int ndf = 0;
    *out = NULL;
    *nout = 0;
    /* the partition of each affected data file */
    fl_err_t rc = fl_ice_table_files(tbl, tbl->meta->current_snapshot_id, NULL, on_entry, ts, err);
    if (rc) goto out;
    qsort(ts->t, (size_t)ts->n, sizeof(*ts->t), cmp_target);
    const struct fl_ice_spec *spec = fl_ice_meta_default_spec(tbl->meta);
    for (int i = 0; i < ts->n; i++) {
        if (!ts->t[i].found)
            return fl_errf(err, FL_ERR_CORRUPT, "data file %s is not in the current snapshot",
                           ts->t[i].path);
        if (ts->t[i].npart != spec->nfields)
            return fl_errf(err, FL_ERR_UNSUPPORTED,
                           "data file %s was written under another partition spec; deleting "
                           "from it is not supported yet",
                           ts->t[i].path);
    }
    /* a vector replaces every position delete of its data file, so the
     * files' positions would have to be merged into it first */
    if (tbl->meta->format_version >= 3 && ts->pos_file)
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "position delete file %s (from before format 3) may name the data files "
                       "deleted from; merging it into deletion vectors is not supported yet",
                       ts->pos_file);
    if (tbl->meta->format_version >= 3) return write_dvs(tbl, ts, out, nout, err);
    /* one delete file per data file */
    if ((rc = fl_schema_parse(POS_SCHEMA, sizeof(POS_SCHEMA) - 1, &ps, err))) goto out;
    if ((rc = fl_batch_new(ps, 0, &pb, err))) goto out;
    dfs = fl_calloc((size_t)ts->n + 1, sizeof(*dfs));
    for (int i = 0; i < ts->n && !rc; i++) {
        struct target *t = &ts->t[i];
        if (!t->found) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "data file %s is not in the current snapshot",
                         t->path);
            break;
        }
        if (t->npart != spec->nfields) {
            rc = fl_errf(err, FL_ERR_UNSUPPORTED,
                         "data file %s was written under another partition spec; deleting from it "
                         "is not supported yet",
                         t->path);
            break;
        }
        qsort(t->pos, t->n, sizeof(int64_t), cmp_i64);
        fl_batch_reset(pb);
        for (size_t k = 0; k < t->n && !rc; k++) {
            rc = fl_col_append_bytes(&pb->cols[0], t->path, strlen(t->path));
            if (!rc) rc = fl_col_append_i64(&pb->cols[1], t->pos[k]);
            if (!rc) rc = fl_batch_end_row(pb);
        }
        struct fl_pq_writer_opts opts;
        fl_pq_writer_opts_default(&opts);
        opts.stats_max_len = 0; /* exact file_path bounds let readers match the data file */
        struct fl_buf file;
        fl_buf_init(&file, FL_BUF_NOMAX);
        struct fl_pq_writer *pqw = NULL;
        struct fl_pq_file_result res = {0};
        if (!rc) rc = fl_pq_writer_new(ps, &opts, sink_buf, &file, &pqw, err);
        if (!rc) rc = fl_pq_writer_add_batch(pqw, pb, err);
        if (!rc) rc = fl_pq_writer_close(pqw, &res, err);
        fl_pq_writer_free(pqw);
        if (!rc) {
            char uuid[37], rel[128];
            fl_uuid_v4_text(uuid);
            snprintf(rel, sizeof(rel), "data/%s-deletes.parquet", uuid);
            char *key = fl_ice_table_child_key(tbl, rel);
            rc = fl_store_put(tbl->store, key, file.data, file.len, err);
            char *loc = fl_ice_table_uri(tbl, key);
            if (!rc)
                rc = fl_ice_data_file_from_parquet(&dfs[ndf], loc, ps, &res, spec, t->part, err);
            if (!rc) {
                dfs[ndf].content = FL_ICE_CONTENT_POSITION_DELETES;
                ndf++;
            }
            fl_free(loc);
            fl_free(key);
        }
        fl_pq_file_result_fini(&res);
        fl_buf_fini(&file);
    }
out:
    if (rc) {
        for (int i = 0; i < ndf; i++) fl_ice_data_file_fini(&dfs[i]);
        fl_free(dfs);
    } else {
        *out = dfs;
        *nout = ndf;
    }
    fl_batch_free(pb);
    fl_schema_free(ps);
    return rc;
}

static void targets_fini(struct targets *ts) {
    for (int i = 0; i < ts->n; i++) {
        fl_free(ts->t[i].path);
        fl_free(ts->t[i].pos);
        fl_free(ts->t[i].part);
        fl_free(ts->t[i].old_dv);
        fl_buf_fini(&ts->t[i].pbytes);
    }
    fl_free(ts->t);
    fl_free(ts->pos_file_own);
}

static void target_add(struct target *t, int64_t pos) {
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 256;
        t->pos = fl_reallocarray(t->pos, t->cap, sizeof(int64_t));
    }
    t->pos[t->n++] = pos;
}

fl_err_t fl_ice_table_write_position_deletes(struct fl_ice_table *tbl, const char *const *paths,
                                             const int64_t *pos, size_t n,
                                             struct fl_ice_data_file **out, int *nout,
                                             struct fl_error *err) {
    struct targets ts = {0};
    *out = NULL;
    *nout = 0;
    if (n == 0) return FL_OK;
    for (size_t i = 0; i < n; i++) target_add(target_for(&ts, paths[i]), pos[i]);
    fl_err_t rc = write_targets(tbl, &ts, out, nout, err);
    targets_fini(&ts);
    return rc;
}

/* The rows a delete_where takes, collected per data file. */
struct find {
    fl_ice_row_pred_fn pred;
    void *ctx;
    struct targets *ts;
    int64_t *deleted;
};

static fl_err_t find_rows(void *ctx, const struct fl_batch *b, const char *path, const int64_t *pos,
                          struct fl_error *err) {
    (void)err;
    struct find *f = ctx;
    struct target *t = NULL;
    for (size_t r = 0; r < b->nrows; r++) {
        if (!f->pred(f->ctx, b, r)) continue;
        if (!t) t = target_for(f->ts, path);
        target_add(t, pos[r]);
        (*f->deleted)++;
    }
    return FL_OK;
}

fl_err_t fl_ice_table_delete_where(struct fl_ice_table *tbl, fl_ice_row_pred_fn pred, void *ctx,
                                   int64_t *deleted, int64_t *snapshot_id, struct fl_error *err) {
    *deleted = 0;
    if (snapshot_id) *snapshot_id = -1;
    struct targets ts = {0};
    struct fl_ice_scan *sc = NULL;
    struct fl_ice_data_file *dfs = NULL;
    int ndf = 0;
    fl_err_t rc = fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, err);
    /* 1. find the rows */
    struct find f = {pred, ctx, &ts, deleted};
    if (!rc) rc = fl_ice_scan_each(sc, find_rows, &f, err);
    fl_ice_scan_free(sc);
    if (rc || ts.n == 0) goto out;
    /* 2. one delete file per data file, then one commit */
    if ((rc = write_targets(tbl, &ts, &dfs, &ndf, err))) goto out;
    char n[24];
    snprintf(n, sizeof(n), "%lld", (long long)*deleted);
    struct fl_ice_kv sum[] = {{"deleted-records", n}};
    rc = fl_ice_table_commit_files(tbl, dfs, ndf, sum, 1, snapshot_id, err);
out:
    for (int i = 0; i < ndf; i++) fl_ice_data_file_fini(&dfs[i]);
    fl_free(dfs);
    targets_fini(&ts);
    return rc;
}
