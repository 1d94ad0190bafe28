/*
 * writer.h - the Parquet file writer: batches of an Iceberg schema in
 * (nested columns as JSON text, shredded by shred.h), a spec-exact Parquet
 * file out (parquet-format's parquet.thrift,
 * Encodings.md, LogicalTypes.md, PageIndex.md).
 *
 * The writer slices batches into data pages by bytes and into row groups
 * by bytes, buffers the compressed pages of the current row group only,
 * and writes each row group (dictionary page first, then data pages) when
 * it is full; page indexes and the footer follow the last row group.
 * Bytes go to a sink callback, or to a file with fl_pq_writer_open_file.
 * Design and invariants: docs/internals/parquet-writer.md.
 */
#ifndef FL_FORMAT_PARQUET_WRITER_H
#define FL_FORMAT_PARQUET_WRITER_H

#include "batch/batch.h"
#include "core/err.h"
#include "format/parquet/codec.h"
#include "core/schema.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_pq_writer_kv {
    const char *key;
    const char *value; /* may be NULL */
};

typedef enum {
    FL_PQ_MODE_AUTO = 0, /* dictionary, falling back to PLAIN, or to DELTA_BINARY_PACKED for
                           INT32/INT64 pages where that is smaller */
    FL_PQ_MODE_PLAIN,    /* PLAIN everywhere */
    FL_PQ_MODE_DICT,     /* dictionary until dict_max, then PLAIN (booleans: PLAIN) */
    FL_PQ_MODE_DELTA     /* DELTA_BINARY_PACKED for INT32/INT64 physical types, PLAIN otherwise */
} fl_pq_enc_mode_t;

struct fl_pq_writer_opts {
    int codec;                 /* fl_pq_codec_t; default FL_PQ_CODEC_ZSTD */
    int codec_level;           /* 0 = codec default */
    int page_version;          /* 1 (default) or 2 */
    size_t page_size;          /* target uncompressed bytes of values per data page, 1 MiB */
    size_t row_group_size;     /* target bytes per row group, 128 MiB */
    size_t dict_max;           /* dictionary bytes before falling back to PLAIN, 1 MiB */
    fl_pq_enc_mode_t encoding; /* default FL_PQ_MODE_AUTO */
    bool page_index;           /* ColumnIndex and OffsetIndex, default true */
    size_t stats_max_len;      /* byte-array statistics truncation, default 64; 0 = never */
    const struct fl_pq_writer_kv
        *kv; /* key-value metadata, borrowed until fl_pq_writer_new returns */
    int nkv;
};

/* Fills opts with the defaults above. */
void fl_pq_writer_opts_default(struct fl_pq_writer_opts *opts);

/* Receives the file's bytes in order; a non-zero return fails the writer. */
typedef fl_err_t (*fl_pq_sink_fn)(void *ctx, const void *data, size_t len);

struct fl_pq_writer;

/* A writer for schema (copied; struct, list and map fields become one
 * column per leaf in the standard 3-level layouts) sending bytes to
 * sink. opts may be NULL for the defaults. Writes the leading magic at
 * once. The caller owns *out (fl_pq_writer_free). Errors: FL_ERR_INVALID
 * for bad options, FL_ERR_UNSUPPORTED for map keys that are not
 * primitive or codecs that cannot be written, the sink's error. */
fl_err_t fl_pq_writer_new(const struct fl_schema *schema, const struct fl_pq_writer_opts *opts,
                          fl_pq_sink_fn sink, void *sink_ctx, struct fl_pq_writer **out,
                          struct fl_error *err);

/* The same, writing to path (created or truncated, mode 0644); close
 * flushes and fsyncs the file. */
fl_err_t fl_pq_writer_open_file(const char *path, const struct fl_schema *schema,
                                const struct fl_pq_writer_opts *opts, struct fl_pq_writer **out,
                                struct fl_error *err);

/* Appends the rows of batch, whose columns must match the writer's schema
 * (same field ids and types, in order). Batches may be of any size; full
 * pages and row groups are written as they fill. Borrowed only during the
 * call. A required column with a null is FL_ERR_INVALID; after any failure
 * the writer refuses further calls. */
fl_err_t fl_pq_writer_add_batch(struct fl_pq_writer *pqw, const struct fl_batch *batch,
                                struct fl_error *err);

/*
 * Per-column results, for Iceberg data_file metrics. column_size is the
 * column's compressed bytes in the file (pages with headers), value_count
 * counts rows including nulls, nan_count is 0 for non-float columns. min
 * and max are file-level bounds in Parquet's statistics byte form (PLAIN
 * without length prefix; decimals in their physical form: INT32/INT64
 * little-endian or big-endian two's complement bytes): byte arrays may be
 * truncated to stats_max_len, min to a prefix and max to an incremented
 * prefix, in which case min_exact/max_exact are false. Float bounds exclude
 * NaN; a zero min is written -0.0 and a zero max +0.0. has_min_max is
 * false when every value is null (or NaN).
 */
struct fl_pq_col_result {
    int32_t field_id;
    int64_t column_size;
    int64_t value_count;
    int64_t null_count;
    int64_t nan_count;
    bool has_min_max;
    uint8_t *min;
    size_t min_len;
    uint8_t *max;
    size_t max_len;
    bool min_exact, max_exact;
};

struct fl_pq_file_result {
    int64_t file_size;
    int64_t record_count;
    int nrow_groups;
    int ncols;
    struct fl_pq_col_result *cols; /* ncols, in schema order */
};

/* Writes the last row group, the page indexes and the footer (and fsyncs
 * and closes an open_file writer). Fills res (may be NULL; the caller
 * frees it with fl_pq_file_result_fini). The writer must still be freed. */
fl_err_t fl_pq_writer_close(struct fl_pq_writer *pqw, struct fl_pq_file_result *res,
                            struct fl_error *err);

void fl_pq_file_result_fini(struct fl_pq_file_result *res);

/* Frees the writer; an unclosed file is left incomplete (and closed). */
void fl_pq_writer_free(struct fl_pq_writer *pqw);

#endif
