/*
 * encode.h - Parquet value and level encodings for the writer (Encodings.md):
 * PLAIN booleans, the RLE/bit-packed hybrid (definition levels and
 * dictionary indices), DELTA_BINARY_PACKED (INT32/INT64), and the
 * dictionary builder behind RLE_DICTIONARY.
 *
 * All encoders append to a caller's struct fl_buf and work on whole arrays
 * so the hot loops stay inside this file; none allocates per value. They
 * return FL_ERR_LIMIT when the buffer's cap is reached.
 */
#ifndef FL_FORMAT_PARQUET_ENCODE_H
#define FL_FORMAT_PARQUET_ENCODE_H

#include "core/buf.h"
#include "core/err.h"
#include "format/parquet/bits.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bits needed to hold max_value (0 for 0). */
/* fl_pq_bit_width() lives in format/parquet/bits.h */

/* PLAIN BOOLEAN: n values (bytes, nonzero = true) bit-packed LSB first,
 * the last byte zero-padded. */
fl_err_t fl_pq_plain_encode_bool(const uint8_t *v, size_t n, struct fl_buf *out);

/* RLE/bit-packed hybrid without the 4-byte length prefix: n values of
 * bit_width bits (0..32). Runs of 8 or more equal values become RLE runs,
 * the rest bit-packed runs of multiples of 8 (the last one zero-padded). */
fl_err_t fl_pq_rle_encode_u32(const uint32_t *v, size_t n, int bit_width, struct fl_buf *out);
/* Same over byte values (definition levels). */
fl_err_t fl_pq_rle_encode_u8(const uint8_t *v, size_t n, int bit_width, struct fl_buf *out);
/* Same over a bitmap (bit i of bits, LSB first) with bit width 1: the
 * definition levels of a flat optional column straight from validity. */
fl_err_t fl_pq_rle_encode_bits(const uint8_t *bits, size_t n, struct fl_buf *out);

/* DELTA_BINARY_PACKED with blocks of 128 values in 4 miniblocks of 32.
 * INT32 deltas wrap in 32 bits, so no miniblock is wider than 32 bits. */
fl_err_t fl_pq_delta_encode_i32(const int32_t *v, size_t n, struct fl_buf *out);
fl_err_t fl_pq_delta_encode_i64(const int64_t *v, size_t n, struct fl_buf *out);
/* The same with another geometry (block_size a multiple of 8, divisible by
 * miniblocks into multiples of 8), for Encodings.md's examples; real
 * files need block_size % 128 == 0 and miniblocks of multiples of 32. */
fl_err_t fl_pq_delta_encode_i64_geom(const int64_t *v, size_t n, size_t block_size,
                                     size_t miniblocks, struct fl_buf *out);

/*
 * Dictionary builder: an open-addressing hash table over the distinct
 * values, whose PLAIN encoding accumulates in `values` (the dictionary
 * page payload). width > 0: fixed-width values of width bytes compared as
 * bits (so -0.0 and +0.0 are distinct); width 0: byte arrays, stored with
 * their 4-byte length prefix.
 */
struct fl_pq_dict {
    size_t width;         /* bytes per value, 0 = byte array */
    uint32_t n;           /* entries */
    uint32_t mask;        /* slots - 1 */
    uint32_t *slots;      /* entry index + 1, 0 = empty */
    uint32_t *hashes;     /* per entry */
    size_t *offs;         /* byte arrays: offset of each entry's length prefix */
    size_t ecap;          /* entries allocated in hashes/offs */
    struct fl_buf values; /* PLAIN-encoded entries */
};

void fl_pq_dict_init(struct fl_pq_dict *dict, size_t width);
void fl_pq_dict_fini(struct fl_pq_dict *dict);
/* Forgets all entries, keeping memory. */
void fl_pq_dict_reset(struct fl_pq_dict *dict);
/* Looks up or inserts n fixed-width values (packed, width bytes each) and
 * writes their indices to idx. */
fl_err_t fl_pq_dict_put_fixed(struct fl_pq_dict *dict, const uint8_t *vals, size_t n,
                              uint32_t *idx);
/* Looks up or inserts one byte array. */
fl_err_t fl_pq_dict_put_bytes(struct fl_pq_dict *dict, const uint8_t *data, size_t len,
                              uint32_t *idx);
/* Bytes of the dictionary page payload. */
static inline size_t fl_pq_dict_bytes(const struct fl_pq_dict *dict) { return dict->values.len; }

#endif
