/*
 * rows.h - Avro data files (Iceberg's Avro data file format) read into
 * columnar batches, as the Parquet reader hands them out.
 *
 * The container's writer schema must be a record. Its flat fields become
 * an Iceberg schema: ids from the fields' "field-id" attributes (1..n by
 * position when a top-level field has none), types as Iceberg's Avro
 * mapping (format/spec.md, "Avro"): boolean, int (date), long (time-micros,
 * timestamp-micros with adjust-to-utc -> timestamptz, else timestamp;
 * millis and nanos are converted to microseconds), float, double, string
 * (uuid), bytes and fixed (decimal, uuid), each plain or in a union with
 * null (optional); records -> struct, arrays -> list ("element",
 * element-id), maps -> map (string "key", "value", key-id and value-id)
 * and Iceberg's arrays of key/value records (logicalType "map") -> map,
 * members without ids numbered after the top-level fields; their batch
 * values are JSON text (batch/batch.h). A union of several non-null types
 * is left out of the schema. Rows come in file order.
 */
#ifndef FL_FORMAT_AVRO_ROWS_H
#define FL_FORMAT_AVRO_ROWS_H

#include "batch/batch.h"
#include "core/err.h"
#include "core/schema.h"

#include <stddef.h>
#include <stdint.h>

#define FL_AVRO_ROWS_BATCH 8192

struct fl_avro_rows;

/* Opens len bytes at data (borrowed, must outlive the reader). Errors as
 * fl_avro_reader_open, and FL_ERR_UNSUPPORTED for a root that is no
 * record. */
fl_err_t fl_avro_rows_open(const uint8_t *data, size_t len, struct fl_avro_rows **out,
                           struct fl_error *err);
void fl_avro_rows_free(struct fl_avro_rows *r);
const struct fl_schema *fl_avro_rows_schema(const struct fl_avro_rows *r);
/* The batch columns, by field id, before the first batch (default, and
 * ids NULL: all).
 * FL_ERR_NOTFOUND for an id not in the schema. */
fl_err_t fl_avro_rows_project_ids(struct fl_avro_rows *r, const int32_t *ids, int n,
                                  struct fl_error *err);
/* Shapes the JSON of nested column id after target (the table's field,
 * borrowed until the reader is freed): struct members matched by field
 * id (by name when the file has none), named and ordered as in target,
 * null when the file lacks them, left out when target does. After the
 * projection, before the first batch. FL_ERR_NOTFOUND when id is not a
 * projected nested column. */
fl_err_t fl_avro_rows_nested_target(struct fl_avro_rows *r, int32_t id,
                                    const struct fl_field *target, struct fl_error *err);
/* Up to FL_AVRO_ROWS_BATCH rows, borrowed until the next call; FL_ERR_EOF
 * at the end. */
fl_err_t fl_avro_rows_next(struct fl_avro_rows *r, struct fl_batch **out, struct fl_error *err);

#endif
