/*
 * reader.h - reading ORC files (Apache ORC specification v1) into
 * columnar batches, as the Parquet reader hands them out.
 *
 * The root struct's flat fields become an Iceberg schema: field ids from
 * the ORC type attribute iceberg.id (1..n by position when a top-level
 * field has none), types: boolean; byte, short, int -> int; long -> long
 * (time with iceberg.long-type=TIME); float; double; string, varchar,
 * char -> string; binary -> binary (uuid with iceberg.binary-type=UUID;
 * FIXED stays binary); decimal(p,s) (precision 0, Hive 0.11's unbounded
 * decimal, as decimal(38,18)); date; timestamp (wall clock of the
 * writer's timezone, read only when that is UTC, as Iceberg writes it)
 * and timestamp with local time zone (TIMESTAMP_INSTANT) -> timestamptz,
 * both in microseconds (nanoseconds floored). Structs, lists and maps
 * become Iceberg struct, list (member "element") and map ("key",
 * "value") fields, members numbered after the top-level fields when they
 * have no iceberg.id; their batch values are JSON text (batch/batch.h),
 * assembled from each member's PRESENT and LENGTH streams (a member has
 * a value per present parent; a list or map LENGTH entries). Unions, and
 * a nested column holding one, are left out of the schema.
 *
 * Nothing in the file is trusted: the tail, every stripe and stream
 * offset and length, every run and every dictionary index is checked
 * before it drives a read or an allocation. Compression: none, zlib,
 * snappy, lz4, zstd (LZO is refused).
 */
#ifndef FL_FORMAT_ORC_READER_H
#define FL_FORMAT_ORC_READER_H

#include "batch/batch.h"
#include "core/err.h"
#include "core/schema.h"

#include <stddef.h>
#include <stdint.h>

#define FL_ORC_BATCH_ROWS 8192
#define FL_ORC_MAX_STREAM ((size_t)1 << 30) /* decompressed bytes of one stream */
#define FL_ORC_MAX_DICT ((uint32_t)1 << 24) /* entries of one string dictionary */
/* values of one member of a nested column in one batch (list and map
 * entries of its rows); more is refused as corrupt */
#define FL_ORC_MAX_ENTRIES ((size_t)1 << 24)

struct fl_orc_reader;

/* Borrows len bytes at data (they must outlive the reader). */
fl_err_t fl_orc_reader_open_mem(const uint8_t *data, size_t len, struct fl_orc_reader **out,
                                struct fl_error *err);
void fl_orc_reader_free(struct fl_orc_reader *r);
const struct fl_schema *fl_orc_reader_schema(const struct fl_orc_reader *r);
/* Whether the file's top-level fields carry iceberg.id (else their ids
 * are 1..n by position). */
bool fl_orc_reader_has_ids(const struct fl_orc_reader *r);
/* Gives the schema's fields (in schema order) the ids ids[k]; a field
 * whose id is <= 0 is dropped. Resets the projection to every field;
 * before the first batch. FL_ERR_INVALID (and nothing changed) for an id
 * given twice. */
fl_err_t fl_orc_reader_set_ids(struct fl_orc_reader *r, const int32_t *ids, struct fl_error *err);
/* Rows the footer says the file has. */
uint64_t fl_orc_reader_rows(const struct fl_orc_reader *r);
/* Batch columns by field id, before the first batch (default, and ids
 * NULL: all).
 * FL_ERR_NOTFOUND for an id not in the schema. */
fl_err_t fl_orc_reader_project_ids(struct fl_orc_reader *r, const int32_t *ids, int n,
                                   struct fl_error *err);
/* Shapes the JSON of nested column id after target (the table's field,
 * borrowed until the reader is freed): struct members matched by field
 * id (by name when the file has no ids), named and ordered as in target,
 * null when the file lacks them, left out when target does. After the
 * projection, before the first batch. FL_ERR_NOTFOUND when id is not a
 * projected nested column. */
fl_err_t fl_orc_reader_nested_target(struct fl_orc_reader *r, int32_t id,
                                     const struct fl_field *target, struct fl_error *err);
/* Up to FL_ORC_BATCH_ROWS rows in file order (borrowed until the next
 * call), FL_ERR_EOF at the end. After an error the reader can only be
 * freed. */
fl_err_t fl_orc_reader_next(struct fl_orc_reader *r, struct fl_batch **out, struct fl_error *err);
void fl_orc_reader_stats(const struct fl_orc_reader *r, int64_t *stripes_read, int64_t *rows_read);

#endif
