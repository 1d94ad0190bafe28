/*
 * rle.h - ORC's run length encodings (ORCv1 spec, "Run Length
 * Encoding"): byte RLE, boolean RLE (bits of byte RLE, high bit first),
 * and integer RLE version 1 and version 2 (short repeat, direct, patched
 * base, delta), signed (zigzag) or unsigned. Each decoder reads a
 * decompressed stream and never reads past its end: running out of
 * values is FL_ERR_CORRUPT.
 */
#ifndef FL_FORMAT_ORC_RLE_H
#define FL_FORMAT_ORC_RLE_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FL_ORC_RLE_MAX_RUN 512

struct fl_orc_byte_rle {
    const uint8_t *p, *end;
    size_t run, lit; /* values left in the current run or literal group */
    uint8_t val;
};

struct fl_orc_bool_rle {
    struct fl_orc_byte_rle bytes;
    uint8_t cur;
    int left; /* bits of cur not handed out yet */
};

struct fl_orc_int_rle {
    const uint8_t *p, *end;
    bool v2, is_signed;
    size_t n, pos; /* values in lit, next one to hand out */
    int64_t lit[FL_ORC_RLE_MAX_RUN];
};

void fl_orc_byte_rle_init(struct fl_orc_byte_rle *d, const uint8_t *data, size_t len);
fl_err_t fl_orc_byte_rle_next(struct fl_orc_byte_rle *d, uint8_t *out, size_t n);

void fl_orc_bool_rle_init(struct fl_orc_bool_rle *d, const uint8_t *data, size_t len);
/* n values, each 0 or 1. */
fl_err_t fl_orc_bool_rle_next(struct fl_orc_bool_rle *d, uint8_t *out, size_t n);

void fl_orc_int_rle_init(struct fl_orc_int_rle *d, const uint8_t *data, size_t len, bool v2,
                         bool is_signed);
fl_err_t fl_orc_int_rle_next(struct fl_orc_int_rle *d, int64_t *out, size_t n);

#endif
