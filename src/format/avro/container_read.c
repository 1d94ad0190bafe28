/*
 * container_read.c - reads Avro object container files, bounded.
 *
 * How it works: open parses the header (magic, metadata map with every
 * count and length checked against the bytes left, avro.schema through
 * the schema parser, avro.codec, sync marker) and copies the metadata
 * values out, NUL-terminated. next() decodes records from the current
 * block; when it is used up the block must have been consumed exactly,
 * and the next block is read: count, size (within the bytes left), data,
 * and a sync marker that must equal the header's. The data is
 * decompressed into a buffer capped at block_max; the record count is
 * checked against the decompressed size and the schema's smallest record
 * size before decoding starts. Each record is decoded into an arena that
 * is reset for the next one and capped at record_max.
 */
#include "format/avro/container.h"
#include "core/buf.h"
#include "core/mem.h"
#include "format/avro/decode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ZERO_SIZE_RECORDS_MAX ((int64_t)1 << 20)

struct meta {
    char *key;
    char *val;
    size_t len;
};

struct fl_avro_reader {
    uint8_t *owned; /* the file, when read from a path */
    struct fl_avro_in file;
    struct fl_avro_schema *schema;
    fl_avro_codec_t codec;
    uint8_t sync[FL_AVRO_SYNC_SIZE];
    struct meta *meta;
    size_t nmeta;
    struct fl_buf block;  /* decompressed data of the current block */
    struct fl_avro_in in; /* what is left of it */
    int64_t records_left; /* in the current block */
    uint64_t block_no;
    struct fl_avro_arena arena;
    struct fl_avro_value rec;
    bool failed;
};

static fl_err_t corrupt(struct fl_error *err, const char *what) {
    return fl_errf(err, FL_ERR_CORRUPT, "avro container: %s", what);
}

static fl_err_t read_header(struct fl_avro_reader *r, struct fl_error *err) {
    struct fl_avro_in *in = &r->file;
    if (in->left < 4 || memcmp(in->p, "Obj\x01", 4) != 0)
        return corrupt(err, "not an Avro object container file (bad magic)");
    in->p += 4;
    in->left -= 4;
    const char *schema_json = NULL, *codec = NULL;
    size_t schema_len = 0, codec_len = 0;
    for (;;) {
        int64_t count, size;
        if (fl_avro_get_long(in, &count)) return corrupt(err, "truncated metadata");
        if (count == 0) break;
        if (count < 0) {
            if (count == INT64_MIN || fl_avro_get_long(in, &size) || size < 0)
                return corrupt(err, "bad metadata block");
            count = -count;
        }
        /* each entry takes at least two bytes */
        if ((uint64_t)count > in->left / 2 || r->nmeta + (uint64_t)count > FL_AVRO_META_MAX_KEYS)
            return corrupt(err, "too many metadata entries");
        r->meta = fl_reallocarray(r->meta, r->nmeta + (size_t)count, sizeof(*r->meta));
        for (int64_t i = 0; i < count; i++) {
            const uint8_t *k, *v;
            size_t kl, vl;
            if (fl_avro_get_bytes(in, &k, &kl) || fl_avro_get_bytes(in, &v, &vl))
                return corrupt(err, "truncated metadata entry");
            if (memchr(k, 0, kl)) return corrupt(err, "metadata key with a NUL byte");
            for (size_t j = 0; j < r->nmeta; j++)
                if (strlen(r->meta[j].key) == kl && memcmp(r->meta[j].key, k, kl) == 0)
                    return corrupt(err, "metadata key twice");
            struct meta *m = &r->meta[r->nmeta++];
            m->key = fl_strndup((const char *)k, kl);
            m->val = fl_malloc(vl + 1);
            if (vl) memcpy(m->val, v, vl);
            m->val[vl] = '\0';
            m->len = vl;
            if (strcmp(m->key, "avro.schema") == 0) {
                schema_json = m->val;
                schema_len = vl;
            } else if (strcmp(m->key, "avro.codec") == 0) {
                codec = m->val;
                codec_len = vl;
            }
        }
    }
    if (in->left < FL_AVRO_SYNC_SIZE) return corrupt(err, "truncated header (sync marker)");
    memcpy(r->sync, in->p, FL_AVRO_SYNC_SIZE);
    in->p += FL_AVRO_SYNC_SIZE;
    in->left -= FL_AVRO_SYNC_SIZE;
    if (!schema_json) return corrupt(err, "no avro.schema in the header");
    r->codec = FL_AVRO_CODEC_NULL;
    if (codec) {
        int c = fl_avro_codec_parse(codec, codec_len);
        if (c < 0)
            return fl_errf(err, FL_ERR_UNSUPPORTED, "avro container: codec \"%.*s\" not supported",
                           (int)(codec_len > 64 ? 64 : codec_len), codec);
        r->codec = (fl_avro_codec_t)c;
    }
    fl_err_t rc = fl_avro_schema_parse(schema_json, schema_len, &r->schema, err);
    if (rc) {
        fl_err_prefix(err, "avro container: header's avro.schema");
        if (rc == FL_ERR_INVALID) { /* a bad schema in a file is a corrupt file */
            rc = FL_ERR_CORRUPT;
            if (err) err->code = rc;
        }
        return rc;
    }
    return FL_OK;
}

fl_err_t fl_avro_reader_open(const uint8_t *data, size_t len,
                             const struct fl_avro_reader_opts *opts, struct fl_avro_reader **rp,
                             struct fl_error *err) {
    *rp = NULL;
    struct fl_avro_reader *r = fl_calloc(1, sizeof(*r));
    size_t block_max = opts && opts->block_max ? opts->block_max : (size_t)64 << 20;
    size_t record_max = opts && opts->record_max ? opts->record_max : (size_t)64 << 20;
    r->file.p = data;
    r->file.left = len;
    fl_buf_init(&r->block, block_max);
    fl_avro_arena_init(&r->arena, record_max);
    fl_err_t rc = read_header(r, err);
    if (rc) {
        fl_avro_reader_free(r);
        return rc;
    }
    *rp = r;
    return FL_OK;
}

fl_err_t fl_avro_reader_open_file(const char *path, const struct fl_avro_reader_opts *opts,
                                  struct fl_avro_reader **rp, struct fl_error *err) {
    *rp = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fl_errf(err, errno == ENOENT ? FL_ERR_NOTFOUND : FL_ERR_IO, "%s: %s", path,
                       strerror(errno));
    struct fl_buf buf;
    fl_buf_init(&buf, FL_AVRO_FILE_MAX);
    fl_err_t rc = FL_OK;
    for (;;) {
        if ((rc = fl_buf_reserve(&buf, 65536))) {
            rc = fl_errf(err, FL_ERR_LIMIT, "%s: larger than %zu bytes", path, FL_AVRO_FILE_MAX);
            break;
        }
        size_t n = fread(buf.data + buf.len, 1, 65536, f);
        buf.len += n;
        if (n < 65536) {
            if (ferror(f)) rc = fl_errf(err, FL_ERR_IO, "%s: read failed", path);
            break;
        }
    }
    fclose(f);
    if (!rc) {
        size_t len = buf.len;
        uint8_t *data = fl_buf_detach(&buf, &len);
        rc = fl_avro_reader_open(data, len, opts, rp, err);
        if (rc) {
            fl_free(data);
            fl_err_prefix(err, "%s", path);
        } else {
            (*rp)->owned = data;
        }
    }
    fl_buf_fini(&buf);
    return rc;
}

void fl_avro_reader_free(struct fl_avro_reader *r) {
    if (!r) return;
    for (size_t i = 0; i < r->nmeta; i++) {
        fl_free(r->meta[i].key);
        fl_free(r->meta[i].val);
    }
    fl_free(r->meta);
    fl_avro_schema_free(r->schema);
    fl_buf_fini(&r->block);
    fl_avro_arena_fini(&r->arena);
    fl_free(r->owned);
    fl_free(r);
}

const struct fl_avro_schema *fl_avro_reader_schema(const struct fl_avro_reader *r) {
    return r->schema;
}

fl_avro_codec_t fl_avro_reader_codec(const struct fl_avro_reader *r) { return r->codec; }

const char *fl_avro_reader_meta(const struct fl_avro_reader *r, const char *key, size_t *len) {
    for (size_t i = 0; i < r->nmeta; i++)
        if (strcmp(r->meta[i].key, key) == 0) {
            if (len) *len = r->meta[i].len;
            return r->meta[i].val;
        }
    return NULL;
}

size_t fl_avro_reader_meta_count(const struct fl_avro_reader *r) { return r->nmeta; }

void fl_avro_reader_meta_at(const struct fl_avro_reader *r, size_t i, const char **key,
                            const char **val, size_t *len) {
    *key = r->meta[i].key;
    *val = r->meta[i].val;
    *len = r->meta[i].len;
}

/* Reads the next block header, data and sync marker; FL_ERR_EOF at a
 * clean end of file. */
static fl_err_t next_block(struct fl_avro_reader *r, struct fl_error *err) {
    struct fl_avro_in *in = &r->file;
    int64_t count;
    const uint8_t *data;
    size_t len;
    if (in->left == 0) return FL_ERR_EOF;
    r->block_no++;
    if (fl_avro_get_long(in, &count) || count < 0)
        return fl_errf(err, FL_ERR_CORRUPT, "avro container: block %llu: bad record count",
                       (unsigned long long)r->block_no);
    if (fl_avro_get_bytes(in, &data, &len))
        return fl_errf(err, FL_ERR_CORRUPT,
                       "avro container: block %llu: size runs past the end of the file",
                       (unsigned long long)r->block_no);
    if (in->left < FL_AVRO_SYNC_SIZE)
        return fl_errf(err, FL_ERR_CORRUPT, "avro container: block %llu: truncated sync marker",
                       (unsigned long long)r->block_no);
    if (memcmp(in->p, r->sync, FL_AVRO_SYNC_SIZE) != 0)
        return fl_errf(err, FL_ERR_CORRUPT,
                       "avro container: block %llu: sync marker does not match the header's",
                       (unsigned long long)r->block_no);
    in->p += FL_AVRO_SYNC_SIZE;
    in->left -= FL_AVRO_SYNC_SIZE;
    fl_buf_reset(&r->block);
    fl_err_t rc = fl_avro_decompress(r->codec, data, len, &r->block, err);
    if (rc) {
        fl_err_prefix(err, "avro container: block %llu", (unsigned long long)r->block_no);
        return rc;
    }
    size_t min = fl_avro_schema_root(r->schema)->min_size;
    if ((min && (uint64_t)count > r->block.len / min) || (!min && count > ZERO_SIZE_RECORDS_MAX))
        return fl_errf(err, FL_ERR_CORRUPT,
                       "avro container: block %llu: %lld records cannot fit in %zu bytes",
                       (unsigned long long)r->block_no, (long long)count, r->block.len);
    r->in.p = r->block.data;
    r->in.left = r->block.len;
    r->records_left = count;
    return FL_OK;
}

fl_err_t fl_avro_reader_next(struct fl_avro_reader *r, const struct fl_avro_value **rec,
                             struct fl_error *err) {
    fl_err_t rc;
    *rec = NULL;
    if (r->failed) return fl_errf(err, FL_ERR_CORRUPT, "avro container: read after an error");
    while (r->records_left == 0) {
        if (r->in.left != 0) {
            r->failed = true;
            return fl_errf(err, FL_ERR_CORRUPT,
                           "avro container: block %llu: %zu bytes after its last record",
                           (unsigned long long)r->block_no, r->in.left);
        }
        if ((rc = next_block(r, err))) {
            if (rc != FL_ERR_EOF) r->failed = true;
            return rc;
        }
    }
    fl_avro_arena_reset(&r->arena);
    rc = fl_avro_decode(&r->in, fl_avro_schema_root(r->schema), &r->arena, &r->rec, err);
    if (rc) {
        r->failed = true;
        fl_err_prefix(err, "avro container: block %llu", (unsigned long long)r->block_no);
        return rc;
    }
    r->records_left--;
    *rec = &r->rec;
    return FL_OK;
}
