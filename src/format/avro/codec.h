/*
 * codec.h - the block codecs of Avro object container files: null,
 * deflate (raw RFC 1951, no zlib header), snappy (with Avro's trailing
 * big-endian CRC-32 of the uncompressed bytes) and zstandard.
 */
#ifndef FL_FORMAT_AVRO_CODEC_H
#define FL_FORMAT_AVRO_CODEC_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FL_AVRO_CODEC_NULL,
    FL_AVRO_CODEC_DEFLATE,
    FL_AVRO_CODEC_SNAPPY,
    FL_AVRO_CODEC_ZSTANDARD
} fl_avro_codec_t;

/* Codec of an avro.codec value (len bytes, not NUL-terminated); -1 if
 * unknown. */
int fl_avro_codec_parse(const char *name, size_t len);
/* The avro.codec name ("deflate"). */
const char *fl_avro_codec_name(fl_avro_codec_t codec);

/* Appends the compressed form of len bytes of src to out. */
fl_err_t fl_avro_compress(fl_avro_codec_t codec, const uint8_t *src, size_t len, struct fl_buf *out,
                          struct fl_error *err);

/* Appends the decompressed form of src to out; out's cap bounds the
 * result (FL_ERR_LIMIT). Malformed input, a bad snappy CRC or a
 * truncated stream is FL_ERR_CORRUPT. */
fl_err_t fl_avro_decompress(fl_avro_codec_t codec, const uint8_t *src, size_t len,
                            struct fl_buf *out, struct fl_error *err);

#endif
