/*
 * bits.h - bit-width helpers shared by the Parquet encoders and decoders.
 */
#ifndef FL_FORMAT_PARQUET_BITS_H
#define FL_FORMAT_PARQUET_BITS_H

#include <stdint.h>

/* Bits needed to store max_value (0 for 0), as RLE/bit-packing uses. */
static inline int fl_pq_bit_width(uint64_t max_value) {
    return max_value ? 64 - __builtin_clzll(max_value) : 0;
}

#endif
