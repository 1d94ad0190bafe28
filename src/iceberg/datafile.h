/*
 * datafile.h - Iceberg data_file records (format/spec.md, "Data File
 * Fields"): what a manifest says about one Parquet file, including the
 * per-column metrics and the lower/upper bounds in the spec's binary
 * single-value serialization (Appendix D).
 *
 * The bounds come from the Parquet writer's file-level statistics and
 * are re-encoded (decimals become minimal big-endian two's complement)
 * and truncated the way Iceberg's default metrics mode truncate(16) does:
 * strings to 16 code points, binary to 16 bytes, the lower bound a
 * prefix, the upper bound a prefix with its last code point incremented.
 */
#ifndef FL_ICEBERG_DATAFILE_H
#define FL_ICEBERG_DATAFILE_H

#include "core/buf.h"
#include "core/err.h"
#include "format/parquet/writer.h"
#include "iceberg/partition.h"
#include "core/schema.h"

#include <stdbool.h>
#include <stdint.h>

#define FL_ICE_METRICS_TRUNCATE 16

typedef enum {
    FL_ICE_CONTENT_DATA = 0,
    FL_ICE_CONTENT_POSITION_DELETES = 1,
    FL_ICE_CONTENT_EQUALITY_DELETES = 2
} fl_ice_content_t;

struct fl_ice_col_metrics {
    int32_t field_id;
    int64_t column_size;
    int64_t value_count;
    int64_t null_count;
    int64_t nan_count; /* -1 when not a float/double column */
    bool has_bounds;
    uint8_t *lower, *upper; /* into the data file's arena */
    size_t lower_len, upper_len;
};

struct fl_ice_data_file {
    fl_ice_content_t content;
    char *file_path;
    const char *file_format; /* "PARQUET", "AVRO", "ORC", "PUFFIN" (deletion vectors), ...
                                (fl_ice_file_format_name) */
    int32_t spec_id;
    struct fl_ice_pval *partition; /* one per spec field; bytes in the arena */
    int npartition;
    int64_t record_count;
    int64_t file_size_in_bytes;
    struct fl_ice_col_metrics *cols;
    int ncols;
    int32_t *equality_ids; /* equality deletes only */
    int nequality;
    int32_t sort_order_id; /* data and equality delete files: the order the rows are in, 0 none */
    /* format 3 (zero: absent) */
    bool has_first_row_id; /* data files: first_row_id (142) given or inherited */
    int64_t first_row_id;
    char *referenced_data_file; /* 143: the one data file a deletion vector applies to */
    bool has_content_range;     /* 144/145: a deletion vector's blob inside a Puffin file */
    int64_t content_offset;
    int64_t content_size_in_bytes;
    /* floe's own deletion vectors: the live one this one merged and
     * replaces in its commit (file path and offset), NULL for none */
    char *replaces_dv;
    int64_t replaces_dv_offset;
    struct fl_buf arena; /* owns bound and partition bytes */
};

/* Fills df from a closed Parquet writer's result for a file at path
 * written under schema, with partition values vals of spec (NULL/0 for
 * unpartitioned; byte values are copied). The caller owns df
 * (fl_ice_data_file_fini). */
fl_err_t fl_ice_data_file_from_parquet(struct fl_ice_data_file *df, const char *path,
                                       const struct fl_schema *schema,
                                       const struct fl_pq_file_result *res,
                                       const struct fl_ice_spec *spec,
                                       const struct fl_ice_pval *vals, struct fl_error *err);
void fl_ice_data_file_fini(struct fl_ice_data_file *df);
/* A deep copy of src (bounds, partition values and ids owned by dst). */
void fl_ice_data_file_copy(struct fl_ice_data_file *dst, const struct fl_ice_data_file *src);

/* The spec's spelling of a manifest's file_format (any case): "PARQUET",
 * "AVRO" or "ORC"; another name as given (kept for the process's life,
 * so a rewritten manifest records it unchanged), or "OTHER" when it is
 * empty, long, not printable ASCII or one too many. Never to be freed. */
const char *fl_ice_file_format_name(const char *s, size_t len);

/* Appendix D: one value of a field (given in its Parquet statistics
 * form: the physical type's plain encoding) as Iceberg bound bytes. */
fl_err_t fl_ice_bound_from_parquet(const struct fl_field *field, const uint8_t *pq, size_t len,
                                   struct fl_buf *out);
/* Appendix D for a partition value or any single value. */
fl_err_t fl_ice_pval_serialize(const struct fl_ice_pval *v, struct fl_buf *out);

#endif
