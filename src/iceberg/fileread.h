/*
 * fileread.h - one reader over a data or delete file in any format an
 * Iceberg manifest may name (file_format PARQUET, AVRO or ORC): the one
 * place that dispatches on the format. Each format's own reader maps the
 * file's columns to Iceberg field ids and hands out the same columnar
 * batches (batch/batch.h) of the projected columns; rows come in file
 * order, so a row's ordinal in the file is its position for position
 * deletes.
 */
#ifndef FL_ICEBERG_FILEREAD_H
#define FL_ICEBERG_FILEREAD_H

#include "batch/batch.h"
#include "core/err.h"
#include "core/schema.h"
#include "format/parquet/reader.h"

#include <stddef.h>
#include <stdint.h>

struct fl_ice_file_reader;

/* Opens len bytes at data (borrowed: they must outlive the reader) as a
 * file of format ("PARQUET", "AVRO", "ORC", as fl_ice_file_format_name
 * spells them; NULL is PARQUET). FL_ERR_UNSUPPORTED naming the format for
 * any other; the format reader's error, prefixed "file_format F", for a
 * file that is not what the manifest says. Callers prefix the path. */
fl_err_t fl_ice_file_reader_open(const char *format, const uint8_t *data, size_t len,
                                 struct fl_ice_file_reader **out, struct fl_error *err);
void fl_ice_file_reader_free(struct fl_ice_file_reader *r);

/* The file's flat columns as an Iceberg schema (owned by the reader). */
const struct fl_schema *fl_ice_file_reader_schema(const struct fl_ice_file_reader *r);
/* Chooses the batch columns by field id, before the first batch. */
fl_err_t fl_ice_file_reader_project_ids(struct fl_ice_file_reader *r, const int32_t *ids, int n,
                                        struct fl_error *err);
/* Resolves the columns of a file written without field ids (a table
 * migrated from Hive) by name, as the spec's "Column Projection" says:
 * mapping is the table property schema.name-mapping.default (NULL: none,
 * and ids stay 1..n by position). A name whose mapped id the table's top
 * level lacks but names as a member (a mapping that contradicts the
 * schema) takes the id of the table's field of that name; a column with
 * no id of the table is left out (read as null). ORC only (nothing for
 * files with ids and other formats); before the projection. */
fl_err_t fl_ice_file_reader_resolve_names(struct fl_ice_file_reader *r,
                                          const struct fl_schema *table, const char *mapping,
                                          struct fl_error *err);
/* A predicate that may skip parts of the file (Parquet row groups and
 * pages); formats without such statistics ignore it. */
fl_err_t fl_ice_file_reader_add_pred(struct fl_ice_file_reader *r, const struct fl_pq_pred *pred,
                                     struct fl_error *err);
/* Shapes nested column id after the table's field target (as
 * fl_pq_reader_nested_target, fl_orc_reader_nested_target and
 * fl_avro_rows_nested_target do). */
fl_err_t fl_ice_file_reader_nested_target(struct fl_ice_file_reader *r, int32_t id,
                                          const struct fl_field *target, struct fl_error *err);
/* The next batch (borrowed until the next call); FL_ERR_EOF at the end. */
fl_err_t fl_ice_file_reader_next(struct fl_ice_file_reader *r, struct fl_batch **out,
                                 struct fl_error *err);
/* Row groups and pages read and skipped (zero for Avro; ORC counts
 * stripes as row groups). */
void fl_ice_file_reader_stats(const struct fl_ice_file_reader *r, struct fl_pq_read_stats *out);

#endif
