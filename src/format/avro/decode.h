/*
 * decode.h - bounded decoding of Avro binary data into struct fl_avro_value
 * trees.
 *
 * A struct fl_avro_in is the bytes left to read. Nothing reads past
 * them: every length and count is checked against what is left (and
 * against the arena's cap) before it is used, so truncated or hostile
 * input ends in FL_ERR_CORRUPT (or FL_ERR_LIMIT) with a message.
 */
#ifndef FL_FORMAT_AVRO_DECODE_H
#define FL_FORMAT_AVRO_DECODE_H

#include "core/err.h"
#include "format/avro/schema.h"
#include "format/avro/value.h"

#include <stddef.h>
#include <stdint.h>

struct fl_avro_in {
    const uint8_t *p;
    size_t left;
};

/* Primitives; FL_ERR_CORRUPT (no message) when truncated or malformed. */
fl_err_t fl_avro_get_long(struct fl_avro_in *in, int64_t *v);
/* A length-prefixed byte string, returned as a pointer into the input. */
fl_err_t fl_avro_get_bytes(struct fl_avro_in *in, const uint8_t **data, size_t *len);

/* Decodes one datum of node from in into val; children and bytes go into
 * arena (bytes are copied and NUL-terminated). */
fl_err_t fl_avro_decode(struct fl_avro_in *in, const struct fl_avro_node *node,
                        struct fl_avro_arena *arena, struct fl_avro_value *val,
                        struct fl_error *err);

#endif
