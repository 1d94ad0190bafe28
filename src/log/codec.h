/*
 * codec.h - decompressing the records of a compressed Kafka record batch
 * (codec.c): gzip, snappy (raw or xerial-framed), lz4 (frame), zstd.
 */
#ifndef FL_LOG_CODEC_H
#define FL_LOG_CODEC_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

/* The most bytes one batch's records may inflate to (the iterator's cap). */
#define FL_LOG_DECOMPRESSED_MAX ((size_t)256 << 20)

/* Appends the decompressed bytes of src to out, at most out's cap.
 * FL_ERR_CORRUPT for bad input or output past the cap, FL_ERR_UNSUPPORTED
 * for a codec other than 1..4. */
fl_err_t fl_log_codec_decompress(int codec, const uint8_t *src, size_t len, struct fl_buf *out,
                                 struct fl_error *err);

#endif
