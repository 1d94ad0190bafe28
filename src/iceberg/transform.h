/*
 * transform.h - Iceberg partition transforms (format/spec.md, "Partition
 * Transforms" and Appendix B): identity, bucket[N], truncate[W], year,
 * month, day, hour, void; Murmur3 x86 32 hashing; partition path text.
 *
 * Values come straight from batch columns (struct fl_col): fixed-width
 * values little-endian as batches hold them, strings and binary as bytes.
 * A transform's result is a struct fl_ice_pval; its type is the
 * transform's result type (bucket, year, month, hour: int; day: date;
 * identity and truncate: the source type; void: always null).
 */
#ifndef FL_ICEBERG_TRANSFORM_H
#define FL_ICEBERG_TRANSFORM_H

#include "batch/batch.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/schema.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    FL_ICE_XF_IDENTITY = 0,
    FL_ICE_XF_BUCKET,
    FL_ICE_XF_TRUNCATE,
    FL_ICE_XF_YEAR,
    FL_ICE_XF_MONTH,
    FL_ICE_XF_DAY,
    FL_ICE_XF_HOUR,
    FL_ICE_XF_VOID
} fl_ice_xf_kind_t;

struct fl_ice_transform {
    fl_ice_xf_kind_t kind;
    int32_t param; /* N for bucket, W for truncate */
};

/* A partition value. bytes point into the source column or into buf. */
struct fl_ice_pval {
    bool is_null;
    fl_type_id_t type;    /* result type */
    int32_t scale;        /* decimals */
    int64_t i64;          /* boolean, int, long, date, time, timestamps */
    double f64;           /* float, double */
    __int128 dec;         /* decimal unscaled */
    const uint8_t *bytes; /* string, binary, fixed, uuid */
    size_t len;
    uint8_t buf[16]; /* owns short byte results (uuid, fixed <= 16) */
};

/* Parses "identity", "bucket[16]", "truncate[10]", "year", "month",
 * "day", "hour", "void" (the spec's transform strings). */
fl_err_t fl_ice_transform_parse(const char *text, struct fl_ice_transform *out);
/* The spec's text of a transform into out. */
void fl_ice_transform_format(const struct fl_ice_transform *t, char *out, size_t outsz);
/* FL_OK when the transform can apply to the source type, else
 * FL_ERR_INVALID with a reason in err. */
fl_err_t fl_ice_transform_check(const struct fl_ice_transform *t, const struct fl_field *src,
                                struct fl_error *err);
/* The result type of t on src, written into res (type, precision...). */
void fl_ice_transform_result_type(const struct fl_ice_transform *t, const struct fl_field *src,
                                  struct fl_field *res);

/* Murmur3 x86 32-bit with seed 0, as the spec's Appendix B defines. */
uint32_t fl_ice_murmur3_32(const void *data, size_t len);
/* The spec's 32-bit hash of one value of col (not null); Appendix B. */
int32_t fl_ice_hash_value(const struct fl_col *col, size_t row);

/* Applies t to row `row` of col (whose field must pass _check). */
void fl_ice_transform_apply(const struct fl_ice_transform *t, const struct fl_col *col, size_t row,
                            struct fl_ice_pval *out);

/* Appends the partition path text of a value as Iceberg's
 * PartitionSpec.partitionToPath does (before URL-escaping): "null",
 * years "2017", months "2017-11", days "2017-11-16", hours "2017-11-16-22",
 * decimals with their scale, binary as base64. */
fl_err_t fl_ice_pval_to_path(const struct fl_ice_transform *t, const struct fl_ice_pval *v,
                             struct fl_buf *out);

/* Orders two non-null values of one type: numbers numerically, bytes
 * (strings, binary, uuid, fixed) as unsigned lexicographic, as Iceberg's
 * comparators do. */
int fl_ice_pval_cmp(const struct fl_ice_pval *a, const struct fl_ice_pval *b);

/* Appends s escaped as java.net.URLEncoder does (UTF-8): letters, digits
 * and ".-*_" stay, space becomes '+', every other byte %XX. */
fl_err_t fl_ice_url_escape(struct fl_buf *out, const uint8_t *s, size_t n);

#endif
