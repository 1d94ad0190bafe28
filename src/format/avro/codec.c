/*
 * codec.c - Avro block compression with zlib, libsnappy and libzstd.
 *
 * Decompression never trusts a size from the input: deflate and zstd
 * stream into the caller's capped buffer chunk by chunk, snappy's
 * announced length is checked against the cap before anything is
 * allocated, and its CRC-32 (zlib's, big-endian, over the uncompressed
 * bytes) must match.
 */
#include "format/avro/codec.h"
#include "core/endian.h"

#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define STEP ((size_t)64 << 10)

static const char *const names[] = {"null", "deflate", "snappy", "zstandard"};

int fl_avro_codec_parse(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) return (int)i;
    return -1;
}

const char *fl_avro_codec_name(fl_avro_codec_t codec) {
    if ((unsigned)codec >= sizeof(names) / sizeof(names[0])) return "?";
    return names[codec];
}

static fl_err_t limit(struct fl_error *err) {
    return fl_errf(err, FL_ERR_LIMIT, "avro: block larger than its cap when decompressed");
}

static fl_err_t deflate_compress(const uint8_t *src, size_t len, struct fl_buf *out,
                                 struct fl_error *err) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (len > UINT32_MAX) return fl_errf(err, FL_ERR_LIMIT, "avro deflate: block too large");
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return fl_errf(err, FL_ERR_NOMEM, "avro deflate: deflateInit2 failed");
    uLong bound = deflateBound(&zs, (uLong)len) + 16;
    if (fl_buf_reserve(out, bound)) {
        deflateEnd(&zs);
        return fl_errf(err, FL_ERR_LIMIT, "avro deflate: output larger than its cap");
    }
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)len;
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)bound;
    int zr = deflate(&zs, Z_FINISH);
    if (zr == Z_STREAM_END) out->len += zs.total_out;
    deflateEnd(&zs);
    if (zr != Z_STREAM_END) return fl_errf(err, FL_ERR_INVALID, "avro deflate: failed (%d)", zr);
    return FL_OK;
}

static fl_err_t deflate_decompress(const uint8_t *src, size_t len, struct fl_buf *out,
                                   struct fl_error *err) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (len > UINT32_MAX) return fl_errf(err, FL_ERR_LIMIT, "avro deflate: block too large");
    if (inflateInit2(&zs, -15) != Z_OK)
        return fl_errf(err, FL_ERR_NOMEM, "avro deflate: inflateInit2 failed");
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)len;
    fl_err_t rc = FL_OK;
    for (;;) {
        size_t room = out->max - out->len < STEP ? out->max - out->len : STEP;
        if (room == 0 || fl_buf_reserve(out, room)) {
            rc = limit(err);
            break;
        }
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)room;
        int zr = inflate(&zs, Z_NO_FLUSH);
        out->len += room - zs.avail_out;
        if (zr == Z_STREAM_END) break;
        if (zr == Z_OK && zs.avail_out == 0) continue;
        if (zr == Z_OK && zs.avail_in > 0) continue;
        rc = fl_errf(err, FL_ERR_CORRUPT, "avro deflate: %s",
                     zr == Z_OK || zr == Z_BUF_ERROR ? "truncated stream"
                                                     : (zs.msg ? zs.msg : "bad stream"));
        break;
    }
    inflateEnd(&zs);
    return rc;
}

static fl_err_t snappy_compress_block(const uint8_t *src, size_t len, struct fl_buf *out,
                                      struct fl_error *err) {
    size_t clen = snappy_max_compressed_length(len);
    if (fl_buf_reserve(out, clen + 4))
        return fl_errf(err, FL_ERR_LIMIT, "avro snappy: output larger than its cap");
    if (snappy_compress((const char *)src, len, (char *)out->data + out->len, &clen) != SNAPPY_OK)
        return fl_errf(err, FL_ERR_INVALID, "avro snappy: compression failed");
    out->len += clen;
    uint8_t crc[4];
    fl_put_be32(crc, (uint32_t)crc32(0L, src, (uInt)len));
    return fl_buf_append(out, crc, 4);
}

static fl_err_t snappy_decompress_block(const uint8_t *src, size_t len, struct fl_buf *out,
                                        struct fl_error *err) {
    size_t ulen;
    if (len < 4) return fl_errf(err, FL_ERR_CORRUPT, "avro snappy: block without its CRC");
    len -= 4;
    if (snappy_uncompressed_length((const char *)src, len, &ulen) != SNAPPY_OK)
        return fl_errf(err, FL_ERR_CORRUPT, "avro snappy: bad block header");
    /* at least a byte: an empty block still gets a buffer to point into */
    if (ulen > UINT32_MAX || fl_buf_reserve(out, ulen ? ulen : 1)) return limit(err);
    size_t got = ulen;
    if (snappy_uncompress((const char *)src, len, (char *)out->data + out->len, &got) !=
            SNAPPY_OK ||
        got != ulen)
        return fl_errf(err, FL_ERR_CORRUPT, "avro snappy: bad compressed data");
    uint32_t want = fl_be32(src + len);
    uint32_t have = (uint32_t)crc32(0L, out->data + out->len, (uInt)ulen);
    if (want != have)
        return fl_errf(err, FL_ERR_CORRUPT, "avro snappy: CRC mismatch (%08x, computed %08x)", want,
                       have);
    out->len += ulen;
    return FL_OK;
}

static fl_err_t zstd_compress_block(const uint8_t *src, size_t len, struct fl_buf *out,
                                    struct fl_error *err) {
    size_t bound = ZSTD_compressBound(len);
    if (fl_buf_reserve(out, bound))
        return fl_errf(err, FL_ERR_LIMIT, "avro zstandard: output larger than its cap");
    size_t n = ZSTD_compress(out->data + out->len, bound, src, len, 3);
    if (ZSTD_isError(n))
        return fl_errf(err, FL_ERR_INVALID, "avro zstandard: %s", ZSTD_getErrorName(n));
    out->len += n;
    return FL_OK;
}

static fl_err_t zstd_decompress_block(const uint8_t *src, size_t len, struct fl_buf *out,
                                      struct fl_error *err) {
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds) return fl_errf(err, FL_ERR_NOMEM, "avro zstandard: no decompression context");
    ZSTD_initDStream(ds);
    ZSTD_inBuffer in = {src, len, 0};
    fl_err_t rc = FL_OK;
    size_t ret = 1;
    while (in.pos < in.size || ret != 0) {
        size_t room = out->max - out->len < STEP ? out->max - out->len : STEP;
        if (room == 0 || fl_buf_reserve(out, room)) {
            rc = limit(err);
            break;
        }
        ZSTD_outBuffer ob = {out->data + out->len, room, 0};
        size_t before = in.pos;
        ret = ZSTD_decompressStream(ds, &ob, &in);
        if (ZSTD_isError(ret)) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "avro zstandard: %s", ZSTD_getErrorName(ret));
            break;
        }
        out->len += ob.pos;
        if (ret != 0 && in.pos == in.size && ob.pos < room && in.pos == before) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "avro zstandard: truncated frame");
            break;
        }
    }
    ZSTD_freeDStream(ds);
    return rc;
}

fl_err_t fl_avro_compress(fl_avro_codec_t codec, const uint8_t *src, size_t len, struct fl_buf *out,
                          struct fl_error *err) {
    switch (codec) {
    case FL_AVRO_CODEC_NULL:
        if (fl_buf_append(out, src, len))
            return fl_errf(err, FL_ERR_LIMIT, "avro: output larger than its cap");
        return FL_OK;
    case FL_AVRO_CODEC_DEFLATE:
        return deflate_compress(src, len, out, err);
    case FL_AVRO_CODEC_SNAPPY:
        return snappy_compress_block(src, len, out, err);
    case FL_AVRO_CODEC_ZSTANDARD:
        return zstd_compress_block(src, len, out, err);
    }
    return fl_errf(err, FL_ERR_UNSUPPORTED, "avro: unknown codec %d", (int)codec);
}

fl_err_t fl_avro_decompress(fl_avro_codec_t codec, const uint8_t *src, size_t len,
                            struct fl_buf *out, struct fl_error *err) {
    switch (codec) {
    case FL_AVRO_CODEC_NULL:
        if (fl_buf_append(out, src, len)) return limit(err);
        return FL_OK;
    case FL_AVRO_CODEC_DEFLATE:
        return deflate_decompress(src, len, out, err);
    case FL_AVRO_CODEC_SNAPPY:
        return snappy_decompress_block(src, len, out, err);
    case FL_AVRO_CODEC_ZSTANDARD:
        return zstd_decompress_block(src, len, out, err);
    }
    return fl_errf(err, FL_ERR_UNSUPPORTED, "avro: unknown codec %d", (int)codec);
}
