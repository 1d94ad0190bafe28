/*
 * encode.h - Avro binary encoding (Avro 1.11 spec, "Binary Encoding") of
 * datums and of the primitives the container header needs.
 */
#ifndef FL_FORMAT_AVRO_ENCODE_H
#define FL_FORMAT_AVRO_ENCODE_H

#include "core/buf.h"
#include "core/err.h"
#include "format/avro/schema.h"
#include "format/avro/value.h"

#include <stddef.h>
#include <stdint.h>

/* Zigzag varint long (also int). */
fl_err_t fl_avro_put_long(struct fl_buf *out, int64_t v);
/* Length-prefixed bytes (also string). */
fl_err_t fl_avro_put_bytes(struct fl_buf *out, const void *data, size_t len);

/* Appends the encoding of val as a datum of node to out. The value is
 * checked against node structurally (type of every slot, union branch
 * index, record field count, fixed size, enum symbol), so a value decoded
 * under another parse of the same schema text encodes too. Errors:
 * FL_ERR_INVALID with the path of the slot that does not fit,
 * FL_ERR_LIMIT at out's cap. */
fl_err_t fl_avro_encode(const struct fl_avro_node *node, const struct fl_avro_value *val,
                        struct fl_buf *out, struct fl_error *err);

#endif
