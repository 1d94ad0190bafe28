/*
 * compress.h - ORC's compression chunks (ORCv1 spec, "Compression"):
 * 3-byte little-endian headers (length * 2 + isOriginal), each chunk
 * compressed on its own with zlib (raw deflate), snappy, zstd or lz4
 * (block), through Debian's libraries.
 */
#ifndef FL_FORMAT_ORC_COMPRESS_H
#define FL_FORMAT_ORC_COMPRESS_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

/* PostScript.compression values. */
typedef enum {
    FL_ORC_NONE = 0,
    FL_ORC_ZLIB = 1,
    FL_ORC_SNAPPY = 2,
    FL_ORC_LZO = 3,
    FL_ORC_LZ4 = 4,
    FL_ORC_ZSTD = 5
} fl_orc_codec_t;

const char *fl_orc_codec_name(int codec);

/* Appends the decompressed bytes of the len bytes at src (a whole stream
 * or tail section) to out (FL_ERR_LIMIT past out's own max). block is the
 * PostScript's compressionBlockSize: no chunk may decompress to more.
 * With FL_ORC_NONE the bytes are copied as they are. */
fl_err_t fl_orc_decompress(int codec, uint64_t block, const uint8_t *src, size_t len,
                           struct fl_buf *out, struct fl_error *err);

#endif
