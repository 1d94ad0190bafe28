/*
 * compress.c - decompression of ORC compression chunks (see compress.h).
 */
#include "format/orc/compress.h"

#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#define BLOCK_MAX ((uint64_t)64 << 20) /* no writer uses chunks near this */

const char *fl_orc_codec_name(int codec) {
    static const char *const names[] = {"NONE", "ZLIB", "SNAPPY", "LZO", "LZ4", "ZSTD"};
    return codec >= 0 && codec <= 5 ? names[codec] : "unknown";
}

/* Inflates raw deflate data into exactly the room at dst (at most cap
 * bytes); *n gets the size. */
static int inflate_raw(const uint8_t *src, size_t len, uint8_t *dst, size_t cap, size_t *n) {
    z_stream zs = {0};
    if (inflateInit2(&zs, -15) != Z_OK) return -1;
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)len;
    zs.next_out = dst;
    zs.avail_out = (uInt)cap;
    int r = inflate(&zs, Z_FINISH);
    *n = cap - zs.avail_out;
    inflateEnd(&zs);
    return r == Z_STREAM_END ? 0 : -1;
}

static fl_err_t chunk(int codec, const uint8_t *src, size_t len, uint8_t *dst, size_t cap,
                      size_t *n) {
    switch (codec) {
    case FL_ORC_ZLIB:
        return inflate_raw(src, len, dst, cap, n) ? FL_ERR_CORRUPT : FL_OK;
    case FL_ORC_SNAPPY: {
        size_t ulen;
        if (snappy_uncompressed_length((const char *)src, len, &ulen) != SNAPPY_OK || ulen > cap)
            return FL_ERR_CORRUPT;
        *n = ulen;
        return snappy_uncompress((const char *)src, len, (char *)dst, n) == SNAPPY_OK
                   ? FL_OK
                   : FL_ERR_CORRUPT;
    }
    case FL_ORC_LZ4: {
        int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)len, (int)cap);
        if (r < 0) return FL_ERR_CORRUPT;
        *n = (size_t)r;
        return FL_OK;
    }
    case FL_ORC_ZSTD: {
        size_t r = ZSTD_decompress(dst, cap, src, len);
        if (ZSTD_isError(r)) return FL_ERR_CORRUPT;
        *n = r;
        return FL_OK;
    }
    default:
        return FL_ERR_UNSUPPORTED;
    }
}

fl_err_t fl_orc_decompress(int codec, uint64_t block, const uint8_t *src, size_t len,
                           struct fl_buf *out, struct fl_error *err) {
    if (codec == FL_ORC_NONE) return fl_buf_append(out, src, len);
    if (codec != FL_ORC_ZLIB && codec != FL_ORC_SNAPPY && codec != FL_ORC_LZ4 &&
        codec != FL_ORC_ZSTD)
        return fl_errf(err, FL_ERR_UNSUPPORTED, "orc: compression %s is not supported",
                       fl_orc_codec_name(codec));
    if (block == 0 || block > BLOCK_MAX)
        return fl_errf(err, FL_ERR_CORRUPT, "orc: compression block size %llu out of range",
                       (unsigned long long)block);
    size_t off = 0;
    while (off < len) {
        if (len - off < 3)
            return fl_errf(err, FL_ERR_CORRUPT, "orc: truncated compression chunk header");
        uint32_t h = src[off] | (uint32_t)src[off + 1] << 8 | (uint32_t)src[off + 2] << 16;
        off += 3;
        size_t clen = h >> 1;
        if (clen > len - off)
            return fl_errf(err, FL_ERR_CORRUPT,
                           "orc: compression chunk of %zu bytes past the end of its stream", clen);
        if (h & 1) {
            if (clen > block)
                return fl_errf(err, FL_ERR_CORRUPT, "orc: chunk larger than the block size");
            fl_err_t rc = fl_buf_append(out, src + off, clen);
            if (rc) return fl_errf(err, rc, "orc: decompressed stream too large");
        } else {
            fl_err_t rc = fl_buf_reserve(out, (size_t)block);
            if (rc) return fl_errf(err, rc, "orc: decompressed stream too large");
            size_t n = 0;
            rc = chunk(codec, src + off, clen, out->data + out->len, (size_t)block, &n);
            if (rc)
                return fl_errf(err, rc, "orc: a %s chunk at offset %zu does not decompress",
                               fl_orc_codec_name(codec), off - 3);
            out->len += n;
        }
        off += clen;
    }
    return FL_OK;
}
