/*
 * wire.h - the Kafka protocol's primitive types: big-endian integers,
 * unsigned varints, strings and byte arrays in their classic (int16 /
 * int32 length) and compact (varint length + 1) forms, arrays, UUIDs and
 * tagged fields, read from a request and written into a response.
 *
 * The reader never trusts the wire: every length and count is checked
 * against the bytes left before it is used, and the first problem makes
 * the reader "bad" (sticky): every later read returns zero or empty, so
 * a decoder reads a whole message and checks rd->bad once. The writer
 * appends to an fl_buf under its cap; a full buffer makes it bad too.
 */
#ifndef FL_KAFKA_WIRE_H
#define FL_KAFKA_WIRE_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_kafka_rd {
    const uint8_t *p, *end;
    bool bad;
};

/* A string in the request: not NUL-terminated; len -1 = null. */
struct fl_kafka_str {
    const char *p;
    int32_t len;
};

static inline void fl_kafka_rd_init(struct fl_kafka_rd *rd, const uint8_t *p, size_t len) {
    rd->p = p;
    rd->end = p + len;
    rd->bad = false;
}
static inline size_t fl_kafka_rd_left(const struct fl_kafka_rd *rd) {
    return (size_t)(rd->end - rd->p);
}

int8_t fl_kafka_rd_i8(struct fl_kafka_rd *rd);
int16_t fl_kafka_rd_i16(struct fl_kafka_rd *rd);
int32_t fl_kafka_rd_i32(struct fl_kafka_rd *rd);
int64_t fl_kafka_rd_i64(struct fl_kafka_rd *rd);
/* An unsigned varint of at most 32 bits. */
uint32_t fl_kafka_rd_uvarint(struct fl_kafka_rd *rd);
void fl_kafka_rd_uuid(struct fl_kafka_rd *rd, uint8_t out[16]);
/* A (nullable) string, compact when flex. */
struct fl_kafka_str fl_kafka_rd_str(struct fl_kafka_rd *rd, bool flex);
/* (Nullable) bytes, compact when flex: *p points into the request (NULL
 * and *len 0 for null). The bytes are mutable: the request buffer is the
 * caller's. */
void fl_kafka_rd_bytes(struct fl_kafka_rd *rd, bool flex, const uint8_t **p, size_t *len);
/* An array's count (compact when flex): -1 for null; bad when count
 * items of at least min_item bytes each cannot fit in what is left. */
int32_t fl_kafka_rd_array(struct fl_kafka_rd *rd, bool flex, size_t min_item);
/* Skips a tagged-field section when flex (none otherwise). */
void fl_kafka_rd_tags(struct fl_kafka_rd *rd, bool flex);
/* Copies a string into out (outsz bytes with its NUL); false for null,
 * empty or too long (the reader is not made bad). */
bool fl_kafka_str_copy(struct fl_kafka_str s, char *out, size_t outsz);

struct fl_kafka_wr {
    struct fl_buf *b;
    bool bad;
};

static inline void fl_kafka_wr_init(struct fl_kafka_wr *w, struct fl_buf *b) {
    w->b = b;
    w->bad = false;
}
void fl_kafka_wr_raw(struct fl_kafka_wr *w, const void *p, size_t len);
void fl_kafka_wr_i8(struct fl_kafka_wr *w, int8_t v);
void fl_kafka_wr_i16(struct fl_kafka_wr *w, int16_t v);
void fl_kafka_wr_i32(struct fl_kafka_wr *w, int32_t v);
void fl_kafka_wr_i64(struct fl_kafka_wr *w, int64_t v);
void fl_kafka_wr_uvarint(struct fl_kafka_wr *w, uint32_t v);
void fl_kafka_wr_uuid(struct fl_kafka_wr *w, const uint8_t id[16]);
/* A string of len bytes (NULL = null), compact when flex. */
void fl_kafka_wr_strn(struct fl_kafka_wr *w, bool flex, const char *s, size_t len);
/* A NUL-terminated string (NULL = null). */
void fl_kafka_wr_str(struct fl_kafka_wr *w, bool flex, const char *s);
/* A string as the request gave it (a null one as "": reply names are
 * not nullable). */
void fl_kafka_wr_kstr(struct fl_kafka_wr *w, bool flex, struct fl_kafka_str s);
/* len bytes (p may be NULL when len is 0), compact when flex. */
void fl_kafka_wr_bytes(struct fl_kafka_wr *w, bool flex, const void *p, size_t len);
/* An array's count (-1 = null), compact when flex. */
void fl_kafka_wr_array(struct fl_kafka_wr *w, bool flex, int32_t n);
/* An empty tagged-field section when flex. */
void fl_kafka_wr_tags(struct fl_kafka_wr *w, bool flex);
/* Writes 4 zero bytes and returns their position, for fl_kafka_wr_patch32. */
size_t fl_kafka_wr_mark32(struct fl_kafka_wr *w);
void fl_kafka_wr_patch32(struct fl_kafka_wr *w, size_t pos, int32_t v);

#endif
