/*
 * variant.h - the Variant binary encoding (apache/parquet-format
 * VariantEncoding.md): one value with its metadata dictionary, rendered
 * as JSON text, which is how floe shows a variant column.
 *
 * Rendering: null, booleans, integers, doubles, floats (shortest text
 * that reads back) and decimals (their digits) as JSON numbers and
 * literals; strings escaped as JSON (\b \f \n \r \t short, other control
 * bytes \u00XX); dates "YYYY-MM-DD", times "HH:MM:SS.ffffff", timestamps
 * "YYYY-MM-DD HH:MM:SS.ffffff" (nanosecond ones with 9 digits, with time
 * zone ones "+00:00" appended), binary as base64 and uuids in their
 * 8-4-4-4-12 form, all as JSON strings; arrays and objects as JSON
 * arrays and objects, object members in the order of their field ids
 * (sorted by name, as the encoding requires).
 *
 * Every length, count, offset and field id is checked against the bytes
 * given; malformed input is FL_ERR_CORRUPT naming what is wrong, a type
 * id from a later version of the spec FL_ERR_UNSUPPORTED. Nesting is
 * limited to FL_VARIANT_MAX_DEPTH.
 */
#ifndef FL_FORMAT_PARQUET_VARIANT_H
#define FL_FORMAT_PARQUET_VARIANT_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

#define FL_VARIANT_MAX_DEPTH 128

/* Appends the JSON text of the variant (meta, mlen: its metadata; val,
 * vlen: its value) to out. On error out may hold a partial text. */
fl_err_t fl_variant_to_json(const uint8_t *meta, size_t mlen, const uint8_t *val, size_t vlen,
                            struct fl_buf *out, struct fl_error *err);

#endif
