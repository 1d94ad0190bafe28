/*
 * codec.h - Parquet page compression through Debian's libraries:
 * snappy (libsnappy), gzip (zlib), zstd (libzstd), lz4_raw (liblz4).
 *
 * Codec numbers are parquet.thrift's CompressionCodec values, so they go
 * into ColumnMetaData.codec as they are.
 */
#ifndef FL_FORMAT_PARQUET_CODEC_H
#define FL_FORMAT_PARQUET_CODEC_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FL_PQ_CODEC_UNCOMPRESSED = 0,
    FL_PQ_CODEC_SNAPPY = 1,
    FL_PQ_CODEC_GZIP = 2,
    FL_PQ_CODEC_LZO = 3,    /* not supported */
    FL_PQ_CODEC_BROTLI = 4, /* not supported */
    FL_PQ_CODEC_LZ4 = 5,    /* deprecated Hadoop framing, read only */
    FL_PQ_CODEC_ZSTD = 6,
    FL_PQ_CODEC_LZ4_RAW = 7
} fl_pq_codec_t;

/* "uncompressed"/"none", "snappy", "gzip", "zstd", "lz4_raw"; -1 if unknown. */
int fl_pq_codec_parse(const char *name);
/* Parquet's upper-case name ("ZSTD"). */
const char *fl_pq_codec_name(int codec);

/* Appends the compressed form of src to out. level 0 = codec default. */
fl_err_t fl_pq_compress(int codec, int level, const uint8_t *src, size_t len, struct fl_buf *out,
                        struct fl_error *err);

/* Decompresses src into dst, which must be exactly dst_len bytes (the
 * page header's uncompressed size); anything else is FL_ERR_CORRUPT. */
fl_err_t fl_pq_decompress(int codec, const uint8_t *src, size_t len, uint8_t *dst, size_t dst_len,
                          struct fl_error *err);

#endif
