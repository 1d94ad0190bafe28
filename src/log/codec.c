/*
 * codec.c - the compression codecs of Kafka record batches (attributes
 * bits 0-2): 1 gzip, 2 snappy, 3 lz4, 4 zstd. The log stores compressed
 * batches as producers sent them; readers (batch.c's iterator: the
 * pipelines, floe sql's topic.NAME, floe topic tail) decompress the
 * records of one batch at a time into a buffer the iterator owns and
 * reuses.
 *
 * Formats, as Kafka clients write them: gzip is a gzip stream (zlib's
 * also accepted); snappy is either raw snappy (librdkafka) or the
 * xerial framing Java's SnappyOutputStream writes (an 8-byte magic,
 * two 4-byte version fields, then blocks of a 4-byte big-endian length
 * and raw snappy); lz4 is an LZ4 frame; zstd a zstd frame. The output is
 * bounded by the buffer's cap: a batch that inflates past it is an error
 * (FL_ERR_CORRUPT), not an allocation.
 */
#include "log/codec.h"

#include "core/endian.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define CHUNK (64 << 10)

static fl_err_t too_big(struct fl_buf *out, struct fl_error *err) {
    return fl_errf(err, FL_ERR_CORRUPT, "compressed records inflate past %zu bytes", out->max);
}

static fl_err_t gzip_dec(const uint8_t *src, size_t len, struct fl_buf *out, struct fl_error *err) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 32) != Z_OK) return fl_errf(err, FL_ERR_NOMEM, "gzip: init");
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)len;
    fl_err_t rc = FL_OK;
    for (;;) {
        if (fl_buf_reserve(out, CHUNK)) {
            rc = too_big(out, err);
            break;
        }
        size_t room = out->cap - out->len;
        if (room > out->max - out->len) room = out->max - out->len;
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)room;
        int z = inflate(&zs, Z_NO_FLUSH);
        out->len += room - zs.avail_out;
        if (z == Z_STREAM_END) break;
        if (z != Z_OK && !(z == Z_BUF_ERROR && zs.avail_out == 0)) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "gzip: %s", zs.msg ? zs.msg : "bad stream");
            break;
        }
        if (zs.avail_out != 0 && zs.avail_in == 0) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "gzip: stream cut short");
            break;
        }
    }
    inflateEnd(&zs);
    return rc;
}

static fl_err_t snappy_block(const uint8_t *src, size_t len, struct fl_buf *out,
                             struct fl_error *err) {
    size_t n;
    if (snappy_uncompressed_length((const char *)src, len, &n) != SNAPPY_OK)
        return fl_errf(err, FL_ERR_CORRUPT, "snappy: bad block");
    uint8_t *dst = n <= out->max - out->len ? fl_buf_grow(out, n) : NULL;
    if (!dst) return too_big(out, err);
    size_t got = n;
    if (snappy_uncompress((const char *)src, len, (char *)dst, &got) != SNAPPY_OK || got != n)
        return fl_errf(err, FL_ERR_CORRUPT, "snappy: bad block");
    return FL_OK;
}

static fl_err_t snappy_dec(const uint8_t *src, size_t len, struct fl_buf *out,
                           struct fl_error *err) {
    static const uint8_t XERIAL[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
    if (len < 16 || memcmp(src, XERIAL, 8)) return snappy_block(src, len, out, err);
    for (size_t pos = 16; pos < len;) {
        if (len - pos < 4) return fl_errf(err, FL_ERR_CORRUPT, "snappy: framing cut short");
        uint32_t n = fl_be32(src + pos);
        pos += 4;
        if (n > len - pos) return fl_errf(err, FL_ERR_CORRUPT, "snappy: block past the end");
        fl_err_t rc = snappy_block(src + pos, n, out, err);
        if (rc) return rc;
        pos += n;
    }
    return FL_OK;
}

static fl_err_t lz4_dec(const uint8_t *src, size_t len, struct fl_buf *out, struct fl_error *err) {
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return fl_errf(err, FL_ERR_NOMEM, "lz4: init");
    fl_err_t rc = FL_OK;
    size_t pos = 0, hint = 1;
    while (hint != 0) {
        if (fl_buf_reserve(out, CHUNK)) {
            rc = too_big(out, err);
            break;
        }
        size_t room = out->cap - out->len, in = len - pos;
        if (room > out->max - out->len) room = out->max - out->len;
        hint = LZ4F_decompress(dctx, out->data + out->len, &room, src + pos, &in, NULL);
        if (LZ4F_isError(hint)) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "lz4: %s", LZ4F_getErrorName(hint));
            break;
        }
        out->len += room;
        pos += in;
        if (hint != 0 && pos == len && room == 0) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "lz4: frame cut short");
            break;
        }
    }
    LZ4F_freeDecompressionContext(dctx);
    return rc;
}

static fl_err_t zstd_dec(const uint8_t *src, size_t len, struct fl_buf *out, struct fl_error *err) {
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds) return fl_errf(err, FL_ERR_NOMEM, "zstd: init");
    ZSTD_inBuffer in = {src, len, 0};
    fl_err_t rc = FL_OK;
    size_t r = 1;
    while (r != 0) {
        if (fl_buf_reserve(out, CHUNK)) {
            rc = too_big(out, err);
            break;
        }
        size_t room = out->cap - out->len;
        if (room > out->max - out->len) room = out->max - out->len;
        ZSTD_outBuffer ob = {out->data + out->len, room, 0};
        r = ZSTD_decompressStream(ds, &ob, &in);
        if (ZSTD_isError(r)) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "zstd: %s", ZSTD_getErrorName(r));
            break;
        }
        out->len += ob.pos;
        if (r != 0 && in.pos == in.size && ob.pos < ob.size) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "zstd: frame cut short");
            break;
        }
    }
    ZSTD_freeDStream(ds);
    return rc;
}

fl_err_t fl_log_codec_decompress(int codec, const uint8_t *src, size_t len, struct fl_buf *out,
                                 struct fl_error *err) {
    switch (codec) {
    case 1:
        return gzip_dec(src, len, out, err);
    case 2:
        return snappy_dec(src, len, out, err);
    case 3:
        return lz4_dec(src, len, out, err);
    case 4:
        return zstd_dec(src, len, out, err);
    default:
        return fl_errf(err, FL_ERR_UNSUPPORTED, "compression codec %d unknown", codec);
    }
}
