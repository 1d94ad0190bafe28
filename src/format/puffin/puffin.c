/*
 * puffin.c - Puffin file footers, read and written (puffin.h).
 *
 * Reading trusts nothing in the file: the payload size must fit between
 * the two footer magics, a compressed payload must inflate within
 * FL_PUFFIN_FOOTER_MAX, and each blob's offset and length must lie
 * between the leading magic and the footer. Unknown blob types and
 * properties are kept in the JSON and ignored.
 */
#include "format/puffin/puffin.h"
#include "core/endian.h"
#include "core/mem.h"

#include <jansson.h>
#include <lz4frame.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC_LEN 4
#define FOOTER_FIXED (MAGIC_LEN + 4 + 4 + MAGIC_LEN) /* magic, payload, size, flags, magic */

void fl_puffin_free(struct fl_puffin *pf) {
    if (!pf) return;
    fl_free(pf->blobs);
    json_decref(pf->doc);
    fl_free(pf);
}

/* Inflates one LZ4 frame into out, up to FL_PUFFIN_FOOTER_MAX bytes. */
static fl_err_t lz4_frame(const uint8_t *src, size_t len, struct fl_buf *out,
                          struct fl_error *err) {
    LZ4F_dctx *dctx = NULL;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return fl_errf(err, FL_ERR_NOMEM, "puffin: lz4 context");
    fl_err_t rc = FL_OK;
    size_t in_off = 0, hint = 1;
    while (hint != 0) {
        if (in_off >= len) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "puffin: footer's lz4 frame is truncated");
            break;
        }
        if (fl_buf_reserve(out, 65536)) {
            rc = fl_errf(err, FL_ERR_LIMIT, "puffin: footer larger than %zu bytes",
                         (size_t)FL_PUFFIN_FOOTER_MAX);
            break;
        }
        size_t dst_n = out->cap - out->len, src_n = len - in_off;
        hint = LZ4F_decompress(dctx, out->data + out->len, &dst_n, src + in_off, &src_n, NULL);
        if (LZ4F_isError(hint)) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "puffin: footer's lz4 frame: %s",
                         LZ4F_getErrorName(hint));
            break;
        }
        out->len += dst_n;
        in_off += src_n;
        if (src_n == 0 && dst_n == 0 && hint != 0) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "puffin: footer's lz4 frame makes no progress");
            break;
        }
    }
    LZ4F_freeDecompressionContext(dctx);
    return rc;
}

/* o[key] as an integer member; FL_ERR_CORRUPT naming it when absent or not one. */
static fl_err_t blob_int(json_t *o, int i, const char *key, int64_t *v, struct fl_error *err) {
    json_t *j = json_object_get(o, key);
    if (!json_is_integer(j))
        return fl_errf(err, FL_ERR_CORRUPT, "puffin: blob %d has no integer \"%s\"", i, key);
    *v = json_integer_value(j);
    return FL_OK;
}

static fl_err_t parse_blobs(struct fl_puffin *pf, size_t blobs_end, struct fl_error *err) {
    json_t *arr = json_object_get(pf->doc, "blobs");
    if (!json_is_array(arr))
        return fl_errf(err, FL_ERR_CORRUPT, "puffin: footer has no \"blobs\" list");
    size_t n = json_array_size(arr);
    if (n > FL_PUFFIN_BLOBS_MAX)
        return fl_errf(err, FL_ERR_LIMIT, "puffin: %zu blobs (at most %d)", n, FL_PUFFIN_BLOBS_MAX);
    pf->blobs = fl_calloc(n ? n : 1, sizeof(*pf->blobs));
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        struct fl_puffin_blob *b = &pf->blobs[i];
        fl_err_t rc;
        if (!json_is_object(o))
            return fl_errf(err, FL_ERR_CORRUPT, "puffin: blob %zu is not an object", i);
        b->type = json_string_value(json_object_get(o, "type"));
        if (!b->type) return fl_errf(err, FL_ERR_CORRUPT, "puffin: blob %zu has no type", i);
        if (!json_is_array(json_object_get(o, "fields")))
            return fl_errf(err, FL_ERR_CORRUPT, "puffin: blob %zu has no fields list", i);
        if ((rc = blob_int(o, (int)i, "snapshot-id", &b->snapshot_id, err)) ||
            (rc = blob_int(o, (int)i, "sequence-number", &b->sequence_number, err)) ||
            (rc = blob_int(o, (int)i, "offset", &b->offset, err)) ||
            (rc = blob_int(o, (int)i, "length", &b->length, err)))
            return rc;
        if (b->offset < MAGIC_LEN || b->length < 0 || (uint64_t)b->offset > blobs_end ||
            (uint64_t)b->length > blobs_end - (uint64_t)b->offset)
            return fl_errf(err, FL_ERR_CORRUPT,
                           "puffin: blob %zu (offset %lld, length %lld) lies outside the blob "
                           "area (bytes 4 to %zu)",
                           i, (long long)b->offset, (long long)b->length, blobs_end);
        json_t *codec = json_object_get(o, "compression-codec");
        b->codec = json_string_value(codec);
        if (codec && !json_is_null(codec) && !b->codec)
            return fl_errf(err, FL_ERR_CORRUPT, "puffin: blob %zu: compression-codec not a string",
                           i);
        json_t *props = json_object_get(o, "properties");
        b->referenced_data_file = json_string_value(json_object_get(props, "referenced-data-file"));
        b->cardinality = -1;
        const char *card = json_string_value(json_object_get(props, "cardinality"));
        if (card) {
            char *end = NULL;
            long long c = strtoll(card, &end, 10);
            if (!*card || *end || c < 0)
                return fl_errf(err, FL_ERR_CORRUPT, "puffin: blob %zu: cardinality \"%.40s\"", i,
                               card);
            b->cardinality = c;
        }
        pf->nblobs++;
    }
    return FL_OK;
}

fl_err_t fl_puffin_open(const uint8_t *data, size_t len, struct fl_puffin **out,
                        struct fl_error *err) {
    *out = NULL;
    if (len < MAGIC_LEN + FOOTER_FIXED || memcmp(data, FL_PUFFIN_MAGIC, MAGIC_LEN) != 0 ||
        memcmp(data + len - MAGIC_LEN, FL_PUFFIN_MAGIC, MAGIC_LEN) != 0)
        return fl_errf(err, FL_ERR_CORRUPT,
                       "not a Puffin file (%zu bytes; no PFA1 magic at both ends)", len);
    const uint8_t *tail = data + len - MAGIC_LEN - 4 - 4; /* payload size, flags */
    int32_t psize = (int32_t)fl_le32(tail);
    uint32_t flags = fl_le32(tail + 4);
    /* the payload sits between the footer's magic and its size field */
    size_t room = len - MAGIC_LEN - FOOTER_FIXED;
    if (psize < 0 || (size_t)psize > room)
        return fl_errf(err, FL_ERR_CORRUPT,
                       "puffin: footer payload size %d does not fit a %zu-byte file", psize, len);
    const uint8_t *payload = tail - psize;
    const uint8_t *fmagic = payload - MAGIC_LEN;
    if (memcmp(fmagic, FL_PUFFIN_MAGIC, MAGIC_LEN) != 0)
        return fl_errf(err, FL_ERR_CORRUPT, "puffin: no magic before the footer payload");
    size_t blobs_end = (size_t)(fmagic - data);
    struct fl_buf plain;
    fl_buf_init(&plain, FL_PUFFIN_FOOTER_MAX);
    fl_err_t rc = FL_OK;
    const char *json = (const char *)payload;
    size_t jlen = (size_t)psize;
    if (flags & 1) {
        if ((rc = lz4_frame(payload, (size_t)psize, &plain, err))) goto fail;
        json = (const char *)plain.data;
        jlen = plain.len;
    } else if (jlen > FL_PUFFIN_FOOTER_MAX) {
        rc = fl_errf(err, FL_ERR_LIMIT, "puffin: footer larger than %zu bytes",
                     (size_t)FL_PUFFIN_FOOTER_MAX);
        goto fail;
    }
    json_error_t je;
    json_t *doc = json_loadb(json ? json : "", jlen, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(doc)) {
        json_decref(doc);
        rc = fl_errf(err, FL_ERR_CORRUPT, "puffin: footer is not a JSON object (%s)",
                     doc ? "another JSON value" : je.text);
        goto fail;
    }
    struct fl_puffin *pf = fl_calloc(1, sizeof(*pf));
    pf->doc = doc;
    if ((rc = parse_blobs(pf, blobs_end, err))) {
        fl_puffin_free(pf);
        goto fail;
    }
    *out = pf;
fail:
    fl_buf_fini(&plain);
    return rc;
}

const struct fl_puffin_blob *fl_puffin_find(const struct fl_puffin *pf, int64_t offset,
                                            int64_t length) {
    for (int i = 0; i < pf->nblobs; i++)
        if (pf->blobs[i].offset == offset && pf->blobs[i].length == length) return &pf->blobs[i];
    return NULL;
}

/* ---- writing ---- */

fl_err_t fl_puffin_writer_init(struct fl_puffin_writer *w, struct fl_buf *out) {
    w->out = out;
    w->blobs = json_array();
    return fl_buf_append(out, FL_PUFFIN_MAGIC, MAGIC_LEN);
}

void fl_puffin_writer_fini(struct fl_puffin_writer *w) {
    json_decref(w->blobs);
    w->blobs = NULL;
}

fl_err_t fl_puffin_writer_add(struct fl_puffin_writer *w, const char *type, int32_t field_id,
                              const uint8_t *data, size_t len, const char *const *keys,
                              const char *const *values, int nprops, int64_t *offset) {
    *offset = (int64_t)w->out->len;
    fl_err_t rc = fl_buf_append(w->out, data, len);
    if (rc) return rc;
    json_t *b = json_object(), *props = json_object(), *fields = json_array();
    json_array_append_new(fields, json_integer(field_id));
    json_object_set_new(b, "type", json_string(type));
    json_object_set_new(b, "fields", fields);
    json_object_set_new(b, "snapshot-id", json_integer(-1));
    json_object_set_new(b, "sequence-number", json_integer(-1));
    json_object_set_new(b, "offset", json_integer(*offset));
    json_object_set_new(b, "length", json_integer((json_int_t)len));
    for (int i = 0; i < nprops; i++) json_object_set_new(props, keys[i], json_string(values[i]));
    json_object_set_new(b, "properties", props);
    json_array_append_new(w->blobs, b);
    return FL_OK;
}

fl_err_t fl_puffin_writer_finish(struct fl_puffin_writer *w, const char *created_by) {
    json_t *doc = json_object(), *props = json_object();
    json_object_set_new(props, "created-by", json_string(created_by));
    json_object_set(doc, "blobs", w->blobs);
    json_object_set_new(doc, "properties", props);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    fl_puffin_writer_fini(w);
    if (!text) return FL_ERR_NOMEM;
    size_t n = strlen(text);
    uint8_t tail[8];
    fl_put_le32(tail, (uint32_t)n);
    fl_put_le32(tail + 4, 0); /* flags: payload not compressed */
    fl_err_t rc = fl_buf_append(w->out, FL_PUFFIN_MAGIC, MAGIC_LEN);
    if (!rc) rc = fl_buf_append(w->out, text, n);
    if (!rc) rc = fl_buf_append(w->out, tail, sizeof(tail));
    if (!rc) rc = fl_buf_append(w->out, FL_PUFFIN_MAGIC, MAGIC_LEN);
    free(text);
    return rc;
}
