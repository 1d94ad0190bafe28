/*
 * append.c - the appender: rows into Parquet data files, one per
 * partition, committed as one snapshot (see table.h).
 *
 * How it works: each row's partition values pick its slot (the last slot
 * used is tried first: rows of one partition come in runs); a slot
 * stages rows in a batch and hands every STAGE_ROWS of them to its
 * Parquet writer, which writes into memory. A commit closes every
 * writer, puts each file under data/<partition path>/<uuid>.parquet, and
 * commits them (with any borrowed extra files, and a removal predicate
 * for replace) through fl_ice_table_replace. The slots are emptied
 * either way: the appender then starts over.
 */
#include "iceberg/table.h"
#include "iceberg/table_int.h"
#include "core/mem.h"
#include "core/uuid.h"
#include "format/parquet/writer.h"

#include <stdio.h>
#include <string.h>

#define STAGE_ROWS 65536

struct part_slot {
    char *path;               /* partition path, "" when unpartitioned */
    struct fl_ice_pval *vals; /* bytes point into vbuf */
    struct fl_buf vbuf;
    struct fl_batch *stage;
    struct fl_pq_writer *pqw;
    struct fl_buf file;
};

struct fl_ice_appender {
    struct fl_ice_table *tbl;
    const struct fl_schema *schema;
    struct fl_schema *own_schema; /* lineage: the schema with the two lineage columns */
    const struct fl_ice_spec *spec;
    struct part_slot **slots; /* each slot stays put: its Parquet sink points into it */
    int nslots, cap;
    struct fl_buf pathbuf;
    struct fl_ice_pval *rowvals;
};

static fl_err_t sink_buf(void *ctx, const void *data, size_t len) {
    return fl_buf_append(ctx, data, len);
}

fl_err_t fl_ice_appender_new(struct fl_ice_table *tbl, struct fl_ice_appender **out,
                             struct fl_error *err) {
    const struct fl_schema *schema = fl_ice_meta_current_schema(tbl->meta);
    for (int i = 0; i < schema->nfields; i++)
        if (!fl_field_is_exact(&schema->fields[i])) {
            char t[300];
            fl_type_format(&schema->fields[i], t, sizeof(t));
            return fl_errf(err, FL_ERR_UNSUPPORTED,
                           "column \"%s\" has type %s, which floe cannot write yet",
                           schema->fields[i].name, t);
        }
    struct fl_ice_appender *ap = fl_calloc(1, sizeof(*ap));
    ap->tbl = tbl;
    ap->schema = fl_ice_meta_current_schema(tbl->meta);
    ap->spec = fl_ice_meta_default_spec(tbl->meta);
    fl_buf_init(&ap->pathbuf, 65536);
    ap->rowvals = fl_calloc((size_t)ap->spec->nfields + 1, sizeof(*ap->rowvals));
    *out = ap;
    return FL_OK;
}

fl_err_t fl_ice_appender_new_lineage(struct fl_ice_table *tbl, struct fl_ice_appender **out,
                                     struct fl_error *err) {
    fl_err_t rc = fl_ice_appender_new(tbl, out, err);
    if (rc) return rc;
    struct fl_ice_appender *ap = *out;
    struct fl_schema *s = fl_schema_dup(ap->schema);
    static const struct {
        int32_t id;
        const char *name;
    } cols[2] = {{FL_ICE_ROW_ID_FIELD, "_row_id"},
                 {FL_ICE_LAST_SEQ_FIELD, "_last_updated_sequence_number"}};
    s->fields = fl_reallocarray(s->fields, (size_t)s->nfields + 2, sizeof(*s->fields));
    for (int k = 0; k < 2; k++) {
        struct fl_field *f = &s->fields[s->nfields++];
        memset(f, 0, sizeof(*f));
        f->id = cols[k].id;
        f->name = fl_strdup(cols[k].name);
        f->type = FL_TYPE_LONG;
    }
    ap->own_schema = s;
    ap->schema = s;
    return FL_OK;
}

const struct fl_schema *fl_ice_appender_schema(const struct fl_ice_appender *ap) {
    return ap->schema;
}

static void slot_fini(struct part_slot *s) {
    fl_free(s->path);
    fl_free(s->vals);
    fl_buf_fini(&s->vbuf);
    fl_batch_free(s->stage);
    fl_pq_writer_free(s->pqw);
    fl_buf_fini(&s->file);
}

void fl_ice_appender_free(struct fl_ice_appender *ap) {
    if (!ap) return;
    for (int i = 0; i < ap->nslots; i++) {
        slot_fini(ap->slots[i]);
        fl_free(ap->slots[i]);
    }
    fl_free(ap->slots);
    fl_free(ap->rowvals);
    fl_buf_fini(&ap->pathbuf);
    fl_schema_free(ap->own_schema);
    fl_free(ap);
}

static fl_err_t slot_flush(struct fl_ice_appender *ap, struct part_slot *s, struct fl_error *err) {
    if (!s->stage || s->stage->nrows == 0) return FL_OK;
    fl_err_t rc;
    if (!s->pqw) {
        struct fl_pq_writer_opts opts;
        fl_pq_writer_opts_default(&opts);
        const char *codec = fl_ice_meta_property(ap->tbl->meta, "write.parquet.compression-codec");
        if (codec && fl_pq_codec_parse(codec) >= 0) opts.codec = fl_pq_codec_parse(codec);
        struct fl_buf sj;
        fl_buf_init(&sj, FL_BUF_NOMAX);
        fl_schema_to_json(ap->schema, &sj);
        fl_buf_append_u8(&sj, 0);
        struct fl_pq_writer_kv kv = {"iceberg.schema", (const char *)sj.data};
        opts.kv = &kv;
        opts.nkv = 1;
        fl_buf_init(&s->file, FL_BUF_NOMAX);
        rc = fl_pq_writer_new(ap->schema, &opts, sink_buf, &s->file, &s->pqw, err);
        fl_buf_fini(&sj);
        if (rc) return rc;
    }
    rc = fl_pq_writer_add_batch(s->pqw, s->stage, err);
    fl_batch_reset(s->stage);
    return rc;
}

static bool same_vals(const struct fl_ice_pval *a, const struct fl_ice_pval *b, int n) {
    for (int k = 0; k < n; k++) {
        if (a[k].is_null != b[k].is_null) return false;
        if (!a[k].is_null && fl_ice_pval_cmp(&a[k], &b[k]) != 0) return false;
    }
    return true;
}

static fl_err_t find_slot(struct fl_ice_appender *ap, const struct fl_batch *batch, size_t row,
                          struct part_slot **out, struct fl_error *err) {
    int nf = ap->spec->nfields;
    if (nf > 0) fl_ice_spec_row_values(ap->spec, batch, row, ap->rowvals);
    /* by value, the last slot used first: rows of one partition come in runs */
    for (int i = ap->nslots - 1; i >= 0; i--) {
        struct part_slot *s = ap->slots[i];
        if (same_vals(s->vals, ap->rowvals, nf)) {
            /* move it to the end, where the next row looks first */
            ap->slots[i] = ap->slots[ap->nslots - 1];
            ap->slots[ap->nslots - 1] = s;
            *out = s;
            return FL_OK;
        }
    }
    fl_buf_reset(&ap->pathbuf);
    if (nf > 0) {
        fl_err_t rc = fl_ice_spec_path(ap->spec, ap->rowvals, &ap->pathbuf);
        if (rc) return fl_errf(err, rc, "partition path too long");
    }
    const char *p = ap->pathbuf.data ? (const char *)ap->pathbuf.data : "";
    size_t pl = ap->pathbuf.len;
    if (ap->nslots == ap->cap) {
        ap->cap = ap->cap ? ap->cap * 2 : 8;
        ap->slots = fl_reallocarray(ap->slots, (size_t)ap->cap, sizeof(*ap->slots));
    }
    struct part_slot *s = fl_calloc(1, sizeof(*s));
    ap->slots[ap->nslots++] = s;
    s->path = fl_strndup(p, pl);
    fl_buf_init(&s->vbuf, FL_BUF_NOMAX);
    s->vals = fl_calloc((size_t)ap->spec->nfields + 1, sizeof(*s->vals));
    size_t *offs = fl_calloc((size_t)ap->spec->nfields + 1, sizeof(size_t));
    for (int k = 0; k < ap->spec->nfields; k++) {
        s->vals[k] = ap->rowvals[k];
        if (ap->rowvals[k].bytes && !ap->rowvals[k].is_null) {
            offs[k] = s->vbuf.len;
            fl_buf_append(&s->vbuf, ap->rowvals[k].bytes, ap->rowvals[k].len);
        }
    }
    for (int k = 0; k < ap->spec->nfields; k++)
        if (s->vals[k].bytes && !s->vals[k].is_null) s->vals[k].bytes = s->vbuf.data + offs[k];
    fl_free(offs);
    fl_err_t rc = fl_batch_new(ap->schema, 0, &s->stage, err);
    if (rc) return rc;
    *out = s;
    return FL_OK;
}

fl_err_t fl_ice_appender_add(struct fl_ice_appender *ap, const struct fl_batch *batch,
                             struct fl_error *err) {
    if (batch->ncols != ap->schema->nfields)
        return fl_errf(err, FL_ERR_INVALID, "batch has %d columns, the table schema %d",
                       batch->ncols, ap->schema->nfields);
    for (int c = 0; c < batch->ncols; c++)
        if (batch->cols[c].field->id != ap->schema->fields[c].id ||
            batch->cols[c].field->type != ap->schema->fields[c].type)
            return fl_errf(err, FL_ERR_INVALID,
                           "batch column %d (\"%s\") does not match the table schema", c,
                           batch->cols[c].field->name);
    for (size_t row = 0; row < batch->nrows; row++) {
        struct part_slot *s = NULL;
        fl_err_t rc = find_slot(ap, batch, row, &s, err);
        if (rc) return rc;
        for (int c = 0; c < batch->ncols && !rc; c++)
            rc = fl_col_append_from(&s->stage->cols[c], &batch->cols[c], row);
        if (!rc) rc = fl_batch_end_row(s->stage);
        if (!rc && s->stage->nrows >= STAGE_ROWS) rc = slot_flush(ap, s, err);
        if (rc) return fl_errf(err, rc, "staging row %zu failed", row);
    }
    return FL_OK;
}

static fl_err_t appender_commit(struct fl_ice_appender *ap, const struct fl_ice_rewrite *rw,
                                const char *operation, const struct fl_ice_data_file *extra,
                                int nextra, bool always, const struct fl_ice_kv *summary,
                                int nsummary, int64_t *snapshot_id, struct fl_error *err);

fl_err_t fl_ice_appender_commit(struct fl_ice_appender *ap, const struct fl_ice_kv *summary,
                                int nsummary, int64_t *snapshot_id, struct fl_error *err) {
    return fl_ice_appender_commit_replace(ap, NULL, NULL, NULL, summary, nsummary, snapshot_id,
                                          err);
}

fl_err_t fl_ice_appender_commit_replace(struct fl_ice_appender *ap, fl_ice_file_pred_fn remove,
                                        void *remove_ctx, const char *operation,
                                        const struct fl_ice_kv *summary, int nsummary,
                                        int64_t *snapshot_id, struct fl_error *err) {
    struct fl_ice_rewrite rw = {
        .remove = remove, .remove_ctx = remove_ctx, .data_sequence_number = FL_ICE_NULL_LONG};
    return appender_commit(ap, &rw, operation, NULL, 0, false, summary, nsummary, snapshot_id, err);
}

fl_err_t fl_ice_appender_commit_with(struct fl_ice_appender *ap,
                                     const struct fl_ice_data_file *extra, int nextra, int64_t base,
                                     const char *const *refs, int nrefs,
                                     const struct fl_ice_kv *summary, int nsummary,
                                     int64_t *snapshot_id, struct fl_error *err) {
    struct fl_ice_delta_check dc;
    fl_ice_delta_check_init(&dc, base, refs, nrefs);
    struct fl_ice_rewrite rw = {.data_sequence_number = FL_ICE_NULL_LONG,
                                .validate = nrefs ? fl_ice_delta_validate : NULL,
                                .validate_ctx = &dc};
    fl_err_t rc =
        appender_commit(ap, &rw, NULL, extra, nextra, false, summary, nsummary, snapshot_id, err);
    fl_ice_delta_check_fini(&dc);
    return rc;
}

/* The row-delta validation, then the caller's check. */
struct checked {
    struct fl_ice_delta_check dc;
    bool delta;
    fl_ice_commit_check_fn check;
    void *ctx;
};

static fl_err_t checked_validate(void *ctx, struct fl_ice_table *tbl, struct fl_error *err) {
    struct checked *c = ctx;
    fl_err_t rc = c->delta ? fl_ice_delta_validate(&c->dc, tbl, err) : FL_OK;
    if (!rc && c->check) rc = c->check(c->ctx, tbl, err);
    return rc;
}

fl_err_t fl_ice_appender_commit_checked(struct fl_ice_appender *ap,
                                        const struct fl_ice_data_file *extra, int nextra,
                                        int64_t base, const char *const *refs, int nrefs,
                                        fl_ice_commit_check_fn check, void *check_ctx,
                                        const struct fl_ice_kv *summary, int nsummary,
                                        int64_t *snapshot_id, struct fl_error *err) {
    struct checked c = {.delta = nrefs > 0, .check = check, .ctx = check_ctx};
    fl_ice_delta_check_init(&c.dc, base, refs, nrefs);
    struct fl_ice_rewrite rw = {
        .data_sequence_number = FL_ICE_NULL_LONG, .validate = checked_validate, .validate_ctx = &c};
    fl_err_t rc =
        appender_commit(ap, &rw, NULL, extra, nextra, true, summary, nsummary, snapshot_id, err);
    fl_ice_delta_check_fini(&c.dc);
    return rc;
}

/* Closes every slot's writer and puts its file: dfs gets the files
 * (room for ap->nslots), *ndf their count. The slots stay. */
static fl_err_t write_slots(struct fl_ice_appender *ap, struct fl_ice_data_file *dfs, int *ndf,
                            struct fl_error *err) {
    fl_err_t rc = FL_OK;
    for (int i = 0; i < ap->nslots && !rc; i++) {
        struct part_slot *s = ap->slots[i];
        if ((rc = slot_flush(ap, s, err))) break;
        if (!s->pqw) continue;
        struct fl_pq_file_result res = {0};
        if ((rc = fl_pq_writer_close(s->pqw, &res, err))) break;
        if (res.record_count == 0) {
            fl_pq_file_result_fini(&res);
            continue;
        }
        char uuid[37];
        fl_uuid_v4_text(uuid);
        size_t kl = strlen(s->path) + 64;
        char *rel = fl_malloc(kl);
        snprintf(rel, kl, "data/%s%s%s.parquet", s->path, *s->path ? "/" : "", uuid);
        char *key = fl_ice_table_child_key(ap->tbl, rel);
        fl_free(rel);
        rc = fl_store_put(ap->tbl->store, key, s->file.data, s->file.len, err);
        char *loc = fl_ice_table_uri(ap->tbl, key);
        if (!rc)
            rc = fl_ice_data_file_from_parquet(&dfs[*ndf], loc, ap->schema, &res, ap->spec, s->vals,
                                               err);
        if (!rc) (*ndf)++;
        fl_free(loc);
        fl_free(key);
        fl_pq_file_result_fini(&res);
    }
    return rc;
}

static void slots_clear(struct fl_ice_appender *ap) {
    for (int i = 0; i < ap->nslots; i++) {
        slot_fini(ap->slots[i]);
        fl_free(ap->slots[i]);
    }
    ap->nslots = 0;
}

fl_err_t fl_ice_appender_write(struct fl_ice_appender *ap, struct fl_ice_data_file **out, int *nout,
                               struct fl_error *err) {
    struct fl_ice_data_file *dfs = fl_calloc((size_t)ap->nslots + 1, sizeof(*dfs));
    int ndf = 0;
    fl_err_t rc = write_slots(ap, dfs, &ndf, err);
    slots_clear(ap);
    if (rc) {
        for (int i = 0; i < ndf; i++) fl_ice_data_file_fini(&dfs[i]);
        fl_free(dfs);
        return rc;
    }
    *out = dfs;
    *nout = ndf;
    return FL_OK;
}

/* Writes the staged rows as data files, then one snapshot with them and
 * the borrowed `extra` files (copied shallowly after the owned ones). */
static fl_err_t appender_commit(struct fl_ice_appender *ap, const struct fl_ice_rewrite *rw,
                                const char *operation, const struct fl_ice_data_file *extra,
                                int nextra, bool always, const struct fl_ice_kv *summary,
                                int nsummary, int64_t *snapshot_id, struct fl_error *err) {
    if (snapshot_id) *snapshot_id = -1;
    struct fl_ice_data_file *dfs = fl_calloc((size_t)ap->nslots + (size_t)nextra + 1, sizeof(*dfs));
    int ndf = 0;
    fl_err_t rc = write_slots(ap, dfs, &ndf, err);
    for (int i = 0; i < nextra; i++) dfs[ndf + i] = extra[i]; /* borrowed: not fini'd below */
    /* a checked commit checks against the table as it is now (a stale
     * base would refuse what a newer commit allows); the slots, which
     * point into the old metadata, are written by now */
    if (!rc && always) rc = fl_ice_table_refresh(ap->tbl, err);
    if (!rc && (ndf + nextra > 0 || rw->remove || always))
        rc = fl_ice_table_commit_rw(ap->tbl, rw, dfs, ndf + nextra, operation, summary, nsummary,
                                    snapshot_id, err);
    if (rc == FL_ERR_CONFLICT) /* refused or lost every attempt: nothing names them */
        for (int i = 0; i < ndf; i++) {
            char key[FL_STORE_KEY_MAX + 1];
            if (!fl_ice_table_key(ap->tbl, dfs[i].file_path, key, sizeof(key), NULL))
                fl_store_delete(ap->tbl->store, key, NULL);
        }
    for (int i = 0; i < ndf; i++) fl_ice_data_file_fini(&dfs[i]);
    fl_free(dfs);
    slots_clear(ap);
    return rc;
}
