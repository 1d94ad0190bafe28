/*
 * varint.h - unsigned LEB128 varints and zigzag, as used by the Thrift
 * compact protocol, Avro and Kafka records.
 *
 * Decoders take the bytes left and never read past them; they return the
 * number of bytes consumed, or 0 when the input is truncated or the
 * varint is longer than its type allows.
 */
#ifndef FL_CORE_VARINT_H
#define FL_CORE_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define FL_VARINT_MAX 10

/* Writes v into out (at least FL_VARINT_MAX bytes); returns bytes written. */
static inline size_t fl_varint_put_u64(uint8_t *out, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

static inline size_t fl_varint_get_u64(const uint8_t *p, size_t avail, uint64_t *v) {
    uint64_t r = 0;
    for (size_t i = 0; i < avail && i < FL_VARINT_MAX; i++) {
        uint64_t b = p[i];
        if (i == 9 && b > 1) return 0; /* more than 64 bits */
        r |= (b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = r;
            return i + 1;
        }
    }
    return 0;
}

static inline uint64_t fl_zigzag_enc64(int64_t v) {
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline int64_t fl_zigzag_dec64(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

#endif
