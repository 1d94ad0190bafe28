/*
 * decode.h - Parquet value and level decoders (Encodings.md): PLAIN for
 * every physical type, dictionary indices (PLAIN_DICTIONARY and
 * RLE_DICTIONARY), the RLE/bit-packed hybrid (levels, booleans, indices),
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT.
 *
 * Every decoder reads only the len bytes it is given and fails with
 * FL_ERR_CORRUPT (and a message) on a count beyond the input, a bit width
 * beyond the type, a dictionary index out of range or a length that does
 * not add up. Output goes into a struct fl_pq_vec of values in Parquet's
 * physical form (little-endian, BOOLEAN one byte per value, byte arrays as
 * offsets + bytes), whose buffers have a hard cap set by the caller.
 */
#ifndef FL_FORMAT_PARQUET_DECODE_H
#define FL_FORMAT_PARQUET_DECODE_H

#include "core/buf.h"
#include "core/err.h"
#include "format/parquet/bits.h"

#include <stddef.h>
#include <stdint.h>

/* Decoded values of one physical type. */
struct fl_pq_vec {
    size_t n;           /* values */
    size_t width;       /* bytes per value; 0 = BYTE_ARRAY */
    struct fl_buf data; /* n * width bytes, or the byte arrays' bytes */
    struct fl_buf offs; /* BYTE_ARRAY: n + 1 uint32_t offsets into data */
};

/* max_bytes caps data (and offs) growth: FL_ERR_LIMIT beyond it. */
void fl_pq_vec_init(struct fl_pq_vec *v, size_t max_bytes);
/* Empties v for values of the given width, keeping its memory. */
void fl_pq_vec_reset(struct fl_pq_vec *v, size_t width);
void fl_pq_vec_fini(struct fl_pq_vec *v);
/* Bytes of value i of a BYTE_ARRAY vec. */
static inline const uint8_t *fl_pq_vec_bytes(const struct fl_pq_vec *v, size_t i, size_t *len) {
    const uint32_t *o = (const uint32_t *)(const void *)v->offs.data;
    *len = o[i + 1] - o[i];
    return v->data.data + o[i];
}

/* Width of a decoded value: BOOLEAN 1, INT32/FLOAT 4, INT64/DOUBLE 8,
 * INT96 12, FIXED_LEN_BYTE_ARRAY type_len, BYTE_ARRAY 0. */
size_t fl_pq_phys_width(int ptype, int32_t type_len);

/* RLE/bit-packed hybrid decoder over encoded-data (no length prefix). */
struct fl_pq_rle {
    const uint8_t *p, *end;
    int bit_width;
    uint32_t rle_left; /* values left in the current RLE run */
    uint32_t rle_value;
    uint32_t bp_left;  /* values left in the current bit-packed run */
    const uint8_t *bp; /* start of the bit-packed run's bytes */
    size_t bp_bytes;   /* bytes of it present in the input */
    uint64_t bp_pos;   /* next value's bit position in the run */
};

/* bit_width 0..32. */
fl_err_t fl_pq_rle_init(struct fl_pq_rle *d, const uint8_t *data, size_t len, int bit_width,
                        struct fl_error *err);
/* Next n values into out; FL_ERR_CORRUPT if the input ends first. */
fl_err_t fl_pq_rle_get(struct fl_pq_rle *d, uint32_t *out, size_t n, struct fl_error *err);

/* Bits needed for values 0..max_level. */
/* fl_pq_bit_width() lives in format/parquet/bits.h */

/* Levels of a v1 page in RLE (4-byte length prefix) or the deprecated
 * BIT_PACKED encoding; *used gets the bytes consumed. */
fl_err_t fl_pq_decode_levels_v1(int encoding, int max_level, const uint8_t *p, size_t len, size_t n,
                                uint8_t *out, size_t *used, struct fl_error *err);
/* Levels of a v2 page: RLE without a length prefix, exactly len bytes. */
fl_err_t fl_pq_decode_levels_v2(int max_level, const uint8_t *p, size_t len, size_t n, uint8_t *out,
                                struct fl_error *err);

/* PLAIN: appends n values to out (reset to the type's width by the
 * caller); *used gets the bytes consumed (may be NULL). */
fl_err_t fl_pq_decode_plain(int ptype, int32_t type_len, const uint8_t *p, size_t len, size_t n,
                            struct fl_pq_vec *out, size_t *used, struct fl_error *err);
/* RLE_DICTIONARY / PLAIN_DICTIONARY data: a bit-width byte then indices;
 * appends dict[index] for n values. */
fl_err_t fl_pq_decode_dict(const struct fl_pq_vec *dict, const uint8_t *p, size_t len, size_t n,
                           struct fl_pq_vec *out, struct fl_error *err);
/* BOOLEAN in RLE: a 4-byte length then the hybrid with bit width 1. */
fl_err_t fl_pq_decode_bool_rle(const uint8_t *p, size_t len, size_t n, struct fl_pq_vec *out,
                               struct fl_error *err);
/* DELTA_BINARY_PACKED for INT32 or INT64: appends the values (at most
 * max_n; *count gets how many the header declared). */
fl_err_t fl_pq_decode_delta_binary(int ptype, const uint8_t *p, size_t len, size_t max_n,
                                   struct fl_pq_vec *out, size_t *count, size_t *used,
                                   struct fl_error *err);
/* DELTA_LENGTH_BYTE_ARRAY: exactly n byte arrays. */
fl_err_t fl_pq_decode_delta_length(const uint8_t *p, size_t len, size_t n, struct fl_pq_vec *out,
                                   size_t *used, struct fl_error *err);
/* DELTA_BYTE_ARRAY for BYTE_ARRAY (type_len 0) or FIXED_LEN_BYTE_ARRAY:
 * exactly n values. */
fl_err_t fl_pq_decode_delta_byte_array(int ptype, int32_t type_len, const uint8_t *p, size_t len,
                                       size_t n, struct fl_pq_vec *out, struct fl_error *err);
/* BYTE_STREAM_SPLIT for FLOAT, DOUBLE, INT32, INT64, FIXED_LEN_BYTE_ARRAY:
 * len must be exactly n times the value width. */
fl_err_t fl_pq_decode_byte_stream_split(int ptype, int32_t type_len, const uint8_t *p, size_t len,
                                        size_t n, struct fl_pq_vec *out, struct fl_error *err);

#endif
