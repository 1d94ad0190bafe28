/*
 * dvfile.c - deletion vectors of a table, read from and written to its
 * store (dvfile.h). Reading checks the manifest entry against the Puffin
 * footer (range, type, no compression, referenced data file) and the
 * vector against the entry (record_count is its cardinality), so a
 * vector that does not say what the manifest says is an error, never a
 * silently different set of rows.
 */
#include "iceberg/dvfile.h"
#include "core/mem.h"
#include "core/uuid.h"
#include "format/puffin/puffin.h"
#include "iceberg/table.h"
#include "iceberg/table_int.h"

#include <stdio.h>
#include <string.h>

/* The blob's bytes inside file, once the footer vouches for them. */
static fl_err_t find_blob(const struct fl_buf *file, int64_t offset, int64_t size, const char *ref,
                          const uint8_t **blob, struct fl_error *err) {
    if (offset < 0 || size < 0 || (uint64_t)offset > file->len ||
        (uint64_t)size > file->len - (uint64_t)offset)
        return fl_errf(err, FL_ERR_CORRUPT,
                       "content_offset %lld and content_size_in_bytes %lld lie outside the "
                       "%zu-byte file",
                       (long long)offset, (long long)size, file->len);
    *blob = file->data + offset;
    if (file->len < 4 || memcmp(file->data, FL_PUFFIN_MAGIC, 4) != 0) {
        if (offset == 0 && (size_t)size == file->len) return FL_OK;
        return fl_errf(err, FL_ERR_CORRUPT, "not a Puffin file (no PFA1 magic)");
    }
    struct fl_puffin *puf = NULL;
    fl_err_t rc = fl_puffin_open(file->data, file->len, &puf, err);
    if (rc) return rc;
    const struct fl_puffin_blob *pb = fl_puffin_find(puf, offset, size);
    if (!pb)
        rc = fl_errf(err, FL_ERR_CORRUPT,
                     "the Puffin footer lists no blob at offset %lld, length %lld",
                     (long long)offset, (long long)size);
    else if (strcmp(pb->type, FL_PUFFIN_DV_TYPE) != 0)
        rc = fl_errf(err, FL_ERR_CORRUPT, "the blob at offset %lld is a %.60s, not a %s",
                     (long long)offset, pb->type, FL_PUFFIN_DV_TYPE);
    else if (pb->codec)
        rc = fl_errf(err, FL_ERR_CORRUPT, "a %s blob must not be compressed (%.20s)",
                     FL_PUFFIN_DV_TYPE, pb->codec);
    else if (pb->referenced_data_file && strcmp(pb->referenced_data_file, ref) != 0)
        rc = fl_errf(err, FL_ERR_CORRUPT, "the blob is for %.200s, the manifest says %.200s",
                     pb->referenced_data_file, ref);
    fl_puffin_free(puf);
    return rc;
}

fl_err_t fl_ice_dv_from_file(const struct fl_buf *file, int64_t offset, int64_t size,
                             const char *ref, int64_t card, struct fl_dv **out,
                             struct fl_error *err) {
    *out = NULL;
    const uint8_t *blob = NULL;
    struct fl_dv *dv = NULL;
    if (!ref) return fl_errf(err, FL_ERR_CORRUPT, "a deletion vector without referenced_data_file");
    fl_err_t rc = find_blob(file, offset, size, ref, &blob, err);
    if (!rc) rc = fl_dv_decode(blob, (size_t)size, &dv, err);
    if (!rc && (int64_t)fl_dv_cardinality(dv) != card)
        rc = fl_errf(err, FL_ERR_CORRUPT,
                     "the deletion vector holds %llu positions, the manifest's record_count "
                     "says %lld",
                     (unsigned long long)fl_dv_cardinality(dv), (long long)card);
    if (rc) {
        fl_dv_free(dv);
        return rc;
    }
    *out = dv;
    return FL_OK;
}

fl_err_t fl_ice_dv_write(struct fl_ice_table *tbl, const struct fl_ice_dv_target *t, int n,
                         struct fl_ice_data_file **out, struct fl_error *err) {
    *out = NULL;
    struct fl_buf file, blob;
    fl_buf_init(&file, FL_BUF_NOMAX);
    fl_buf_init(&blob, FL_BUF_NOMAX);
    struct fl_puffin_writer w;
    struct fl_ice_data_file *dfs = fl_calloc((size_t)n + 1, sizeof(*dfs));
    int64_t *off = fl_calloc((size_t)n + 1, sizeof(int64_t)), *len = fl_calloc((size_t)n + 1, 8);
    fl_err_t rc = fl_puffin_writer_init(&w, &file);
    for (int i = 0; i < n && !rc; i++) {
        char card[24];
        snprintf(card, sizeof(card), "%llu", (unsigned long long)fl_dv_cardinality(t[i].dv));
        const char *keys[] = {"referenced-data-file", "cardinality"};
        const char *vals[] = {t[i].data->file_path, card};
        fl_buf_reset(&blob);
        rc = fl_dv_encode(t[i].dv, &blob);
        if (!rc)
            rc = fl_puffin_writer_add(&w, FL_PUFFIN_DV_TYPE, FL_DV_POS_FIELD_ID, blob.data,
                                      blob.len, keys, vals, 2, &off[i]);
        len[i] = (int64_t)blob.len;
    }
    if (!rc)
        rc = fl_puffin_writer_finish(&w, "floe " FLOE_VERSION);
    else
        fl_puffin_writer_fini(&w);
    char *key = NULL, *loc = NULL;
    if (!rc) {
        char uuid[37], rel[128];
        fl_uuid_v4_text(uuid);
        snprintf(rel, sizeof(rel), "data/%s-deletes.puffin", uuid);
        key = fl_ice_table_child_key(tbl, rel);
        rc = fl_store_put(tbl->store, key, file.data, file.len, err);
        loc = fl_ice_table_uri(tbl, key);
    } else {
        fl_errf(err, rc, "deletion vectors: cannot encode the Puffin file");
    }
    for (int i = 0; i < n && !rc; i++) {
        struct fl_ice_data_file *df = &dfs[i];
        const struct fl_ice_data_file *data = t[i].data;
        fl_ice_data_file_copy(df, data); /* spec and partition; the rest is the vector's */
        fl_free(df->file_path);
        df->file_path = fl_strdup(loc);
        df->content = FL_ICE_CONTENT_POSITION_DELETES;
        df->file_format = "PUFFIN";
        df->ncols = 0;
        df->nequality = 0;
        df->sort_order_id = 0;
        df->has_first_row_id = false;
        df->record_count = (int64_t)fl_dv_cardinality(t[i].dv);
        df->file_size_in_bytes = (int64_t)file.len;
        fl_free(df->referenced_data_file);
        df->referenced_data_file = fl_strdup(data->file_path);
        df->has_content_range = true;
        df->content_offset = off[i];
        df->content_size_in_bytes = len[i];
        fl_free(df->replaces_dv);
        df->replaces_dv = t[i].replaces ? fl_strdup(t[i].replaces) : NULL;
        df->replaces_dv_offset = t[i].replaces_offset;
    }
    fl_free(key);
    fl_free(loc);
    fl_free(off);
    fl_free(len);
    fl_buf_fini(&blob);
    fl_buf_fini(&file);
    if (rc) {
        for (int i = 0; i < n; i++) fl_ice_data_file_fini(&dfs[i]);
        fl_free(dfs);
        return rc;
    }
    *out = dfs;
    return FL_OK;
}
