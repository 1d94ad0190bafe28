/*
 * reader.h - reading Parquet files into columnar batches.
 *
 * A reader opens a file (mapped) or a memory image, parses and checks the
 * footer, maps the file's flat columns to an Iceberg schema, and then
 * returns batches of the projected columns, row group by row group, page
 * by page. Simple predicates skip row groups (column chunk statistics)
 * and pages (ColumnIndex/OffsetIndex); they never filter rows inside the
 * pages that are kept - the caller filters.
 *
 * Nothing in the file is trusted: every offset, length and count is
 * checked against the file and against hard caps before it drives a read
 * or an allocation, and errors say which file position, row group and
 * column went wrong. Nested columns (struct, list, map) read as one JSON
 * text per row (batch.h, nested.h); predicates on them are refused. See
 * docs/internals/parquet-reader.md.
 */
#ifndef FL_FORMAT_PARQUET_READER_H
#define FL_FORMAT_PARQUET_READER_H

#include "batch/batch.h"
#include "core/err.h"
#include "format/parquet/meta.h"
#include "core/schema.h"

#include <stddef.h>
#include <stdint.h>

struct fl_pq_reader;

/* Opens a file (memory-mapped read-only) or borrows len bytes of memory
 * (which must outlive the reader). The caller owns *out (fl_pq_reader_free).
 * FL_ERR_CORRUPT for a malformed footer, FL_ERR_UNSUPPORTED for an
 * encrypted footer, FL_ERR_IO when the file cannot be read. */
fl_err_t fl_pq_reader_open_file(const char *path, struct fl_pq_reader **out, struct fl_error *err);
fl_err_t fl_pq_reader_open_mem(const uint8_t *data, size_t len, struct fl_pq_reader **out,
                               struct fl_error *err);
void fl_pq_reader_free(struct fl_pq_reader *r);

/* The parsed footer, owned by the reader. */
const struct fl_pq_file_meta *fl_pq_reader_meta(const struct fl_pq_reader *r);

/* Iceberg schema of the file's flat columns, owned by the reader. Field
 * ids come from the file when every top-level field has one, else they
 * are 1..n by position among the top-level fields (the members of nested
 * fields without ids are numbered after them). Types map as follows:
 * INT32 -> int (INT(8/16/32), UINT(8/16)), long (UINT(32)), date (DATE),
 * time (TIME millis), decimal (DECIMAL); INT64 -> long, time, timestamp or
 * timestamptz (by isAdjustedToUTC; legacy TIMESTAMP_* converted types are
 * UTC), decimal; INT96 -> timestamp; FLOAT, DOUBLE, BOOLEAN as such;
 * BYTE_ARRAY -> string (STRING/UTF8/ENUM/JSON), decimal, else binary;
 * FIXED_LEN_BYTE_ARRAY -> uuid (UUID, 16 bytes), decimal, else fixed[L].
 * Times and timestamps are converted to microseconds (nanoseconds are
 * floored to microseconds). */
const struct fl_schema *fl_pq_reader_schema(const struct fl_pq_reader *r);

/* Chooses the columns of the batches, in the given order (default: all of
 * the schema). Must be called before the first fl_pq_reader_next.
 * FL_ERR_NOTFOUND for an unknown id/name, FL_ERR_UNSUPPORTED (or
 * FL_ERR_CORRUPT) for a column the reader cannot read, FL_ERR_INVALID for
 * a duplicate. */
fl_err_t fl_pq_reader_project_ids(struct fl_pq_reader *r, const int32_t *ids, int n,
                                  struct fl_error *err);
fl_err_t fl_pq_reader_project_names(struct fl_pq_reader *r, const char *const *names, int n,
                                    struct fl_error *err);

/* Shapes the JSON of nested column `id` after target (the table's field
 * of that id, borrowed until the reader is freed): struct members are
 * matched by field id (by name when the file has no ids), named as in
 * target and in its order, null when the file lacks them, left out when
 * target does (Iceberg schema evolution inside structs). Before the first
 * fl_pq_reader_next. FL_ERR_NOTFOUND when id is not a nested column. */
fl_err_t fl_pq_reader_nested_target(struct fl_pq_reader *r, int32_t id,
                                    const struct fl_field *target, struct fl_error *err);

typedef enum {
    FL_PQ_PRED_EQ,
    FL_PQ_PRED_LT,
    FL_PQ_PRED_LE,
    FL_PQ_PRED_GT,
    FL_PQ_PRED_GE,
    FL_PQ_PRED_IS_NULL,
    FL_PQ_PRED_NOT_NULL
} fl_pq_pred_op_t;

/* "column <op> literal"; the literal is in the column's batch
 * representation: i64 for boolean/int/long/date/time/timestamp(tz), f64
 * for float/double, i128 for decimal (unscaled), bytes/len for
 * string/binary/uuid/fixed. */
struct fl_pq_pred {
    int32_t field_id;
    fl_pq_pred_op_t op;
    int64_t i64;
    double f64;
    __int128 i128;
    const uint8_t *bytes;
    size_t len;
};

/* Adds a predicate (ANDed with the others) used only to skip row groups
 * and pages; bytes are copied. Before the first fl_pq_reader_next.
 * FL_ERR_NOTFOUND for a field id not in the schema. */
fl_err_t fl_pq_reader_add_pred(struct fl_pq_reader *r, const struct fl_pq_pred *pred,
                               struct fl_error *err);

/* Next batch of the projected columns (at most 8192 rows, never spanning
 * row groups), borrowed: valid until the next call or free. FL_ERR_EOF at
 * the end. After an error the reader can only be freed. */
fl_err_t fl_pq_reader_next(struct fl_pq_reader *r, struct fl_batch **out, struct fl_error *err);

struct fl_pq_read_stats {
    int64_t row_groups_read, row_groups_skipped, pages_read, pages_skipped, rows_read;
};
void fl_pq_reader_stats(const struct fl_pq_reader *r, struct fl_pq_read_stats *out);

/* Hard caps (see docs/internals/parquet-reader.md). */
#define FL_PQ_MAX_FOOTER ((size_t)256 << 20)
#define FL_PQ_MAX_PAGE_BYTES ((size_t)1 << 30)
#define FL_PQ_MAX_PAGE_VALUES ((int64_t)1 << 24)
#define FL_PQ_BATCH_ROWS 8192

#endif
