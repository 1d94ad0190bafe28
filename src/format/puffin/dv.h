/*
 * dv.h - Iceberg deletion vectors: the `deletion-vector-v1` Puffin blob
 * (apache/iceberg format/puffin-spec.md), a set of deleted row positions
 * of one data file.
 *
 * A blob is: the length of magic + vector (4 bytes big-endian), the magic
 * D1 D3 39 64, the vector in Roaring's portable 64-bit format (bucket
 * count, 8 bytes little-endian; per bucket in ascending key order the
 * high 32 bits of the positions, 4 bytes little-endian, and a 32-bit
 * portable Roaring bitmap of the low 32 bits), and the CRC-32 of magic +
 * vector (4 bytes big-endian). The 32-bit bitmaps are CRoaring's
 * (libroaring-dev); the 64-bit framing around them is ours.
 */
#ifndef FL_FORMAT_PUFFIN_DV_H
#define FL_FORMAT_PUFFIN_DV_H

#include "core/buf.h"
#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FL_DV_MAGIC_BYTES "\xD1\xD3\x39\x64"
#define FL_DV_POS_FIELD_ID 2147483545 /* the reserved _pos field the blob is computed for */

struct fl_dv;

struct fl_dv *fl_dv_new(void);
void fl_dv_free(struct fl_dv *dv);

/* Decodes a whole deletion-vector-v1 blob (len bytes, not kept). Every
 * length, the magic, the CRC, key order and each bitmap are checked;
 * FL_ERR_CORRUPT says which failed. The caller owns *out. */
fl_err_t fl_dv_decode(const uint8_t *blob, size_t len, struct fl_dv **out, struct fl_error *err);
/* Appends dv as a deletion-vector-v1 blob (run-optimized bitmaps, as
 * Iceberg Java writes them). */
fl_err_t fl_dv_encode(struct fl_dv *dv, struct fl_buf *out);

/* pos must be >= 0 (the spec's positive 64-bit positions). */
fl_err_t fl_dv_add(struct fl_dv *dv, int64_t pos);
bool fl_dv_contains(const struct fl_dv *dv, int64_t pos);
/* Adds every position of src to dst. */
fl_err_t fl_dv_merge(struct fl_dv *dst, const struct fl_dv *src);
uint64_t fl_dv_cardinality(const struct fl_dv *dv);
/* Calls fn for each position in ascending order until it returns non-zero. */
int fl_dv_each(const struct fl_dv *dv, int (*fn)(void *ctx, int64_t pos), void *ctx);

#endif
