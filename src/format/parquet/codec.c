/*
 * codec.c - Parquet page compression with Debian's codec libraries.
 *
 * GZIP pages are gzip streams (RFC 1952), written by zlib with a gzip
 * wrapper and read with automatic header detection so that zlib-wrapped
 * pages from old writers also decode. LZ4 (codec 5) is the deprecated
 * Hadoop framing: big-endian uncompressed and compressed lengths before
 * each LZ4 block; some old writers used plain LZ4 frames under the same
 * code, so a page that does not parse as Hadoop framing is tried as a raw
 * block. Every decompression must produce exactly the size the page
 * header announced.
 *
 * zstd contexts are made once per thread and reused (pthread keys free
 * them when the thread ends): ZSTD_compress and a fresh DCtx per page
 * allocate and initialise a context each call, which profiling of
 * compaction beside live pipelines found at 15% of floe's CPU.
 */
#include "format/parquet/codec.h"
#include "core/endian.h"

#include <lz4.h>
#include <pthread.h>
#include <snappy-c.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

static pthread_key_t zstd_cctx_key, zstd_dctx_key;
static pthread_once_t zstd_keys_once = PTHREAD_ONCE_INIT;

static void zstd_cctx_free(void *p) { ZSTD_freeCCtx(p); }
static void zstd_dctx_free(void *p) { ZSTD_freeDCtx(p); }
static void zstd_keys_make(void) {
    pthread_key_create(&zstd_cctx_key, zstd_cctx_free);
    pthread_key_create(&zstd_dctx_key, zstd_dctx_free);
}

/* This thread's contexts (NULL: out of memory). */
static ZSTD_CCtx *zstd_cctx(void) {
    pthread_once(&zstd_keys_once, zstd_keys_make);
    ZSTD_CCtx *c = pthread_getspecific(zstd_cctx_key);
    if (!c && (c = ZSTD_createCCtx()) && pthread_setspecific(zstd_cctx_key, c)) {
        ZSTD_freeCCtx(c);
        c = NULL;
    }
    return c;
}

static ZSTD_DCtx *zstd_dctx(void) {
    pthread_once(&zstd_keys_once, zstd_keys_make);
    ZSTD_DCtx *d = pthread_getspecific(zstd_dctx_key);
    if (!d && (d = ZSTD_createDCtx()) && pthread_setspecific(zstd_dctx_key, d)) {
        ZSTD_freeDCtx(d);
        d = NULL;
    }
    return d;
}

int fl_pq_codec_parse(const char *name) {
    static const struct {
        const char *name;
        int codec;
    } names[] = {{"uncompressed", FL_PQ_CODEC_UNCOMPRESSED},
                 {"none", FL_PQ_CODEC_UNCOMPRESSED},
                 {"snappy", FL_PQ_CODEC_SNAPPY},
                 {"gzip", FL_PQ_CODEC_GZIP},
                 {"zstd", FL_PQ_CODEC_ZSTD},
                 {"lz4_raw", FL_PQ_CODEC_LZ4_RAW},
                 {"lz4", FL_PQ_CODEC_LZ4_RAW}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i].name) == 0) return names[i].codec;
    return -1;
}

const char *fl_pq_codec_name(int codec) {
    static const char *const n[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                    "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
    if (codec < 0 || codec > 7) return "UNKNOWN";
    return n[codec];
}

static fl_err_t gzip_compress(int level, const uint8_t *src, size_t len, struct fl_buf *out,
                              struct fl_error *err) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return fl_errf(err, FL_ERR_NOMEM, "gzip: deflateInit2 failed");
    uLong bound = deflateBound(&zs, (uLong)len) + 32;
    fl_err_t rc = fl_buf_reserve(out, bound);
    if (rc) {
        deflateEnd(&zs);
        return fl_errf(err, rc, "gzip: page too large");
    }
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)len;
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)bound;
    int zr = deflate(&zs, Z_FINISH);
    if (zr != Z_STREAM_END) {
        deflateEnd(&zs);
        return fl_errf(err, FL_ERR_INVALID, "gzip: deflate failed (%d)", zr);
    }
    out->len += zs.total_out;
    deflateEnd(&zs);
    return FL_OK;
}

static fl_err_t gzip_decompress(const uint8_t *src, size_t len, uint8_t *dst, size_t dst_len,
                                struct fl_error *err) {
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return fl_errf(err, FL_ERR_NOMEM, "gzip: inflateInit2 failed");
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)len;
    zs.next_out = dst;
    zs.avail_out = (uInt)dst_len;
    int zr;
    for (;;) {
        zr = inflate(&zs, Z_FINISH);
        /* concatenated gzip members: continue with the next one */
        if (zr == Z_STREAM_END && zs.avail_in > 0 && zs.avail_out > 0) {
            if (inflateReset(&zs) != Z_OK) break;
            continue;
        }
        break;
    }
    size_t got = (size_t)(zs.next_out - dst); /* total_out restarts with each member */
    inflateEnd(&zs);
    if (zr != Z_STREAM_END || got != dst_len)
        return fl_errf(err, FL_ERR_CORRUPT, "gzip: corrupt page (zlib %d, %zu of %zu bytes)", zr,
                       got, dst_len);
    return FL_OK;
}

fl_err_t fl_pq_compress(int codec, int level, const uint8_t *src, size_t len, struct fl_buf *out,
                        struct fl_error *err) {
    fl_err_t rc;
    if (len > (size_t)INT32_MAX)
        return fl_errf(err, FL_ERR_LIMIT, "page of %zu bytes too large", len);
    switch (codec) {
    case FL_PQ_CODEC_UNCOMPRESSED:
        rc = fl_buf_append(out, src, len);
        return rc ? fl_errf(err, rc, "page too large") : FL_OK;
    case FL_PQ_CODEC_SNAPPY: {
        size_t bound = snappy_max_compressed_length(len);
        if ((rc = fl_buf_reserve(out, bound))) return fl_errf(err, rc, "snappy: page too large");
        size_t olen = bound;
        if (snappy_compress((const char *)src, len, (char *)out->data + out->len, &olen) !=
            SNAPPY_OK)
            return fl_errf(err, FL_ERR_INVALID, "snappy: compression failed");
        out->len += olen;
        return FL_OK;
    }
    case FL_PQ_CODEC_GZIP:
        return gzip_compress(level, src, len, out, err);
    case FL_PQ_CODEC_ZSTD: {
        size_t bound = ZSTD_compressBound(len);
        if ((rc = fl_buf_reserve(out, bound))) return fl_errf(err, rc, "zstd: page too large");
        ZSTD_CCtx *cctx = zstd_cctx();
        if (!cctx) return fl_errf(err, FL_ERR_NOMEM, "zstd: no context");
        size_t n =
            ZSTD_compressCCtx(cctx, out->data + out->len, bound, src, len, level ? level : 3);
        if (ZSTD_isError(n)) return fl_errf(err, FL_ERR_INVALID, "zstd: %s", ZSTD_getErrorName(n));
        out->len += n;
        return FL_OK;
    }
    case FL_PQ_CODEC_LZ4_RAW: {
        int bound = LZ4_compressBound((int)len);
        if (bound <= 0) return fl_errf(err, FL_ERR_LIMIT, "lz4: page too large");
        if ((rc = fl_buf_reserve(out, (size_t)bound)))
            return fl_errf(err, rc, "lz4: page too large");
        int n =
            LZ4_compress_default((const char *)src, (char *)out->data + out->len, (int)len, bound);
        if (n <= 0) return fl_errf(err, FL_ERR_INVALID, "lz4: compression failed");
        out->len += (size_t)n;
        return FL_OK;
    }
    default:
        return fl_errf(err, FL_ERR_UNSUPPORTED, "compression codec %s is not supported for writing",
                       fl_pq_codec_name(codec));
    }
}

/* Hadoop's LZ4 framing: repeated [u32be raw_len][u32be comp_len][block]. */
static int lz4_hadoop(const uint8_t *src, size_t len, uint8_t *dst, size_t dst_len) {
    size_t in = 0, outp = 0;
    while (in < len) {
        if (len - in < 8) return -1;
        uint32_t raw = fl_be32(src + in), comp = fl_be32(src + in + 4);
        in += 8;
        if (comp > len - in || raw > dst_len - outp) return -1;
        int n =
            LZ4_decompress_safe((const char *)src + in, (char *)dst + outp, (int)comp, (int)raw);
        if (n < 0 || (uint32_t)n != raw) return -1;
        in += comp;
        outp += raw;
    }
    return outp == dst_len ? 0 : -1;
}

fl_err_t fl_pq_decompress(int codec, const uint8_t *src, size_t len, uint8_t *dst, size_t dst_len,
                          struct fl_error *err) {
    if (len > (size_t)INT32_MAX || dst_len > (size_t)INT32_MAX)
        return fl_errf(err, FL_ERR_LIMIT, "page of %zu bytes too large", len);
    switch (codec) {
    case FL_PQ_CODEC_UNCOMPRESSED:
        if (len != dst_len)
            return fl_errf(err, FL_ERR_CORRUPT, "uncompressed page of %zu bytes, header says %zu",
                           len, dst_len);
        if (len) memcpy(dst, src, len);
        return FL_OK;
    case FL_PQ_CODEC_SNAPPY: {
        size_t n;
        if (snappy_uncompressed_length((const char *)src, len, &n) != SNAPPY_OK || n != dst_len)
            return fl_errf(err, FL_ERR_CORRUPT, "snappy: corrupt page header");
        if (snappy_uncompress((const char *)src, len, (char *)dst, &n) != SNAPPY_OK || n != dst_len)
            return fl_errf(err, FL_ERR_CORRUPT, "snappy: corrupt page");
        return FL_OK;
    }
    case FL_PQ_CODEC_GZIP:
        return gzip_decompress(src, len, dst, dst_len, err);
    case FL_PQ_CODEC_ZSTD: {
        ZSTD_DCtx *dctx = zstd_dctx();
        if (!dctx) return fl_errf(err, FL_ERR_NOMEM, "zstd: no context");
        size_t n = ZSTD_decompressDCtx(dctx, dst, dst_len, src, len);
        if (ZSTD_isError(n)) return fl_errf(err, FL_ERR_CORRUPT, "zstd: %s", ZSTD_getErrorName(n));
        if (n != dst_len)
            return fl_errf(err, FL_ERR_CORRUPT, "zstd: page gave %zu bytes, header says %zu", n,
                           dst_len);
        return FL_OK;
    }
    case FL_PQ_CODEC_LZ4_RAW: {
        int n = LZ4_decompress_safe((const char *)src, (char *)dst, (int)len, (int)dst_len);
        if (n < 0 || (size_t)n != dst_len)
            return fl_errf(err, FL_ERR_CORRUPT, "lz4_raw: corrupt page");
        return FL_OK;
    }
    case FL_PQ_CODEC_LZ4: {
        if (lz4_hadoop(src, len, dst, dst_len) == 0) return FL_OK;
        int n = LZ4_decompress_safe((const char *)src, (char *)dst, (int)len, (int)dst_len);
        if (n >= 0 && (size_t)n == dst_len) return FL_OK;
        return fl_errf(err, FL_ERR_CORRUPT, "lz4: corrupt page");
    }
    default:
        return fl_errf(err, FL_ERR_UNSUPPORTED, "compression codec %s is not supported",
                       fl_pq_codec_name(codec));
    }
}
