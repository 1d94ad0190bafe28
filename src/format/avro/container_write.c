/*
 * container_write.c - writes Avro object container files into memory.
 *
 * How it works: records are encoded one after another into the block
 * buffer; when it passes the block size the block is compressed and
 * appended to the file buffer as count, size, bytes, sync marker. The
 * header (magic, metadata map in one block, sync marker) goes into the
 * file buffer just before the first block, so metadata may be set until
 * then. avro.schema is the schema's original JSON text, byte for byte,
 * which is what keeps Iceberg's field-ids in the file.
 */
#include "format/avro/container.h"
#include "core/buf.h"
#include "core/mem.h"
#include "format/avro/encode.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

struct meta {
    char *key;
    uint8_t *val;
    size_t len;
};

struct fl_avro_writer {
    const struct fl_avro_schema *schema;
    fl_avro_codec_t codec;
    uint8_t sync[FL_AVRO_SYNC_SIZE];
    struct meta *meta;
    size_t nmeta;
    struct fl_buf file;  /* header and closed blocks */
    struct fl_buf block; /* encoded records of the open block */
    struct fl_buf zbuf;  /* compressed block */
    size_t block_records;
    size_t block_bytes;
    bool header_done;
    bool finished;
};

static void random_sync(uint8_t *sync) {
    size_t got = 0;
    while (got < FL_AVRO_SYNC_SIZE) {
        ssize_t n = getrandom(sync + got, FL_AVRO_SYNC_SIZE - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (n < 0 && errno != EINTR)
            break;
    }
    if (got < FL_AVRO_SYNC_SIZE) { /* no getrandom: anything unlikely to repeat */
        uintptr_t a = (uintptr_t)sync;
        for (size_t i = 0; i < FL_AVRO_SYNC_SIZE; i++)
            sync[i] ^= (uint8_t)((a >> (i % 8)) ^ (uint8_t)getpid() ^ (i * 131));
    }
}

fl_err_t fl_avro_writer_new(const struct fl_avro_schema *schema, fl_avro_codec_t codec,
                            struct fl_avro_writer **wp, struct fl_error *err) {
    *wp = NULL;
    if ((unsigned)codec > FL_AVRO_CODEC_ZSTANDARD)
        return fl_errf(err, FL_ERR_INVALID, "avro writer: unknown codec %d", (int)codec);
    struct fl_avro_writer *w = fl_calloc(1, sizeof(*w));
    w->schema = schema;
    w->codec = codec;
    w->block_bytes = FL_AVRO_BLOCK_BYTES;
    random_sync(w->sync);
    fl_buf_init(&w->file, FL_AVRO_FILE_MAX);
    fl_buf_init(&w->block, FL_AVRO_FILE_MAX);
    fl_buf_init(&w->zbuf, FL_AVRO_FILE_MAX);
    *wp = w;
    return FL_OK;
}

void fl_avro_writer_free(struct fl_avro_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->nmeta; i++) {
        fl_free(w->meta[i].key);
        fl_free(w->meta[i].val);
    }
    fl_free(w->meta);
    fl_buf_fini(&w->file);
    fl_buf_fini(&w->block);
    fl_buf_fini(&w->zbuf);
    fl_free(w);
}

fl_err_t fl_avro_writer_set_meta(struct fl_avro_writer *w, const char *key, const void *val,
                                 size_t len, struct fl_error *err) {
    if (w->header_done)
        return fl_errf(err, FL_ERR_INVALID, "avro writer: metadata \"%s\" after the first record",
                       key);
    if (strncmp(key, "avro.", 5) == 0)
        return fl_errf(err, FL_ERR_INVALID, "avro writer: metadata key \"%s\" is reserved", key);
    uint8_t *copy = fl_malloc(len ? len : 1);
    if (len) memcpy(copy, val, len);
    for (size_t i = 0; i < w->nmeta; i++)
        if (strcmp(w->meta[i].key, key) == 0) {
            fl_free(w->meta[i].val);
            w->meta[i].val = copy;
            w->meta[i].len = len;
            return FL_OK;
        }
    if (w->nmeta >= FL_AVRO_META_MAX_KEYS) {
        fl_free(copy);
        return fl_errf(err, FL_ERR_LIMIT, "avro writer: more than %d metadata keys",
                       FL_AVRO_META_MAX_KEYS);
    }
    w->meta = fl_reallocarray(w->meta, w->nmeta + 1, sizeof(*w->meta));
    w->meta[w->nmeta].key = fl_strdup(key);
    w->meta[w->nmeta].val = copy;
    w->meta[w->nmeta].len = len;
    w->nmeta++;
    return FL_OK;
}

void fl_avro_writer_set_sync(struct fl_avro_writer *w, const uint8_t sync[FL_AVRO_SYNC_SIZE]) {
    memcpy(w->sync, sync, FL_AVRO_SYNC_SIZE);
}

void fl_avro_writer_set_block_bytes(struct fl_avro_writer *w, size_t bytes) {
    w->block_bytes = bytes ? bytes : 1;
}

static fl_err_t write_header(struct fl_avro_writer *w, struct fl_error *err) {
    static const uint8_t magic[4] = {'O', 'b', 'j', 1};
    size_t slen;
    const char *sjson = fl_avro_schema_json(w->schema, &slen);
    const char *codec = fl_avro_codec_name(w->codec);
    struct fl_buf *f = &w->file;
    fl_err_t rc = fl_buf_append(f, magic, 4);
    if (!rc) rc = fl_avro_put_long(f, (int64_t)w->nmeta + 2);
    if (!rc) rc = fl_avro_put_bytes(f, "avro.schema", 11);
    if (!rc) rc = fl_avro_put_bytes(f, sjson, slen);
    if (!rc) rc = fl_avro_put_bytes(f, "avro.codec", 10);
    if (!rc) rc = fl_avro_put_bytes(f, codec, strlen(codec));
    for (size_t i = 0; i < w->nmeta && !rc; i++) {
        rc = fl_avro_put_bytes(f, w->meta[i].key, strlen(w->meta[i].key));
        if (!rc) rc = fl_avro_put_bytes(f, w->meta[i].val, w->meta[i].len);
    }
    if (!rc) rc = fl_avro_put_long(f, 0);
    if (!rc) rc = fl_buf_append(f, w->sync, FL_AVRO_SYNC_SIZE);
    if (rc) return fl_errf(err, rc, "avro writer: header larger than the file cap");
    w->header_done = true;
    return FL_OK;
}

static fl_err_t flush_block(struct fl_avro_writer *w, struct fl_error *err) {
    if (w->block_records == 0) return FL_OK;
    fl_buf_reset(&w->zbuf);
    fl_err_t rc = fl_avro_compress(w->codec, w->block.data, w->block.len, &w->zbuf, err);
    if (rc) return rc;
    size_t mark = w->file.len;
    rc = fl_avro_put_long(&w->file, (int64_t)w->block_records);
    if (!rc) rc = fl_avro_put_bytes(&w->file, w->zbuf.data, w->zbuf.len);
    if (!rc) rc = fl_buf_append(&w->file, w->sync, FL_AVRO_SYNC_SIZE);
    if (rc) {
        w->file.len = mark;
        return fl_errf(err, rc, "avro writer: file larger than its cap");
    }
    fl_buf_reset(&w->block);
    w->block_records = 0;
    return FL_OK;
}

fl_err_t fl_avro_writer_append(struct fl_avro_writer *w, const struct fl_avro_value *rec,
                               struct fl_error *err) {
    if (w->finished) return fl_errf(err, FL_ERR_INVALID, "avro writer: already finished");
    fl_err_t rc;
    if (!w->header_done && (rc = write_header(w, err))) return rc;
    size_t mark = w->block.len;
    if ((rc = fl_avro_encode(fl_avro_schema_root(w->schema), rec, &w->block, err))) {
        w->block.len = mark;
        fl_err_prefix(err, "avro writer: record %zu", w->block_records);
        return rc;
    }
    w->block_records++;
    if (w->block.len >= w->block_bytes) return flush_block(w, err);
    return FL_OK;
}

fl_err_t fl_avro_writer_finish(struct fl_avro_writer *w, uint8_t **data, size_t *len,
                               struct fl_error *err) {
    fl_err_t rc;
    *data = NULL;
    *len = 0;
    if (w->finished) return fl_errf(err, FL_ERR_INVALID, "avro writer: already finished");
    if (!w->header_done && (rc = write_header(w, err))) return rc;
    if ((rc = flush_block(w, err))) return rc;
    w->finished = true;
    *data = fl_buf_detach(&w->file, len);
    return FL_OK;
}
