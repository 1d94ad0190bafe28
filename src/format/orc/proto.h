/*
 * proto.h - the protobuf wire format, read: just enough to walk the
 * messages of orc_proto.proto (varints, 64-bit, length-delimited and
 * 32-bit fields). Every length is checked against the bytes at hand.
 */
#ifndef FL_FORMAT_ORC_PROTO_H
#define FL_FORMAT_ORC_PROTO_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_orc_pb {
    const uint8_t *p, *end;
};

/* One field: its number, wire type, and value (varint/fixed in u64;
 * length-delimited bytes in data/len). */
struct fl_orc_pb_field {
    uint32_t num;
    int wire;
    uint64_t u64;
    const uint8_t *data;
    size_t len;
};

void fl_orc_pb_init(struct fl_orc_pb *pb, const uint8_t *data, size_t len);
/* true with the next field in *f, false at the end; FL_ERR_CORRUPT in
 * *rc for a truncated or malformed field. */
bool fl_orc_pb_next(struct fl_orc_pb *pb, struct fl_orc_pb_field *f, fl_err_t *rc);
/* A base-128 varint at *p (< end), advancing *p; false when truncated or
 * longer than 10 bytes. */
bool fl_orc_varint(const uint8_t **p, const uint8_t *end, uint64_t *out);
/* Calls fn for each value of a repeated uint field, packed or not. */
fl_err_t fl_orc_pb_uints(const struct fl_orc_pb_field *f, void (*fn)(void *ctx, uint64_t v),
                         void *ctx);

#endif
