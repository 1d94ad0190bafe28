/*
 * sql_types.h - how Iceberg values look in SQLite: the declared column
 * types of floe's virtual tables and the value of each batch cell.
 *
 * Mapping (docs/internals/sql.md has the table and the reasons):
 *   boolean -> INTEGER 0/1 (declared BOOLEAN), int/long -> INTEGER,
 *   float/double -> REAL (a float as the shortest decimal that reads back
 *   as the same float, so 0.1f shows 0.1), decimal(P,S) -> TEXT with
 *   exactly S fractional digits (declared DECIMAL(P,S): NUMERIC affinity,
 *   so comparisons with numbers are numeric), date -> 'YYYY-MM-DD',
 *   time -> 'HH:MM:SS.ffffff', timestamp -> 'YYYY-MM-DD HH:MM:SS.ffffff',
 *   timestamptz -> the same in UTC with '+00:00', string -> TEXT,
 *   uuid -> canonical lowercase TEXT, binary/fixed -> BLOB.
 * The text forms have a fixed width for years 0001-9999, so text order
 * is value order: that is what lets range constraints on them be pushed
 * down (sql_pred.c).
 */
#ifndef FL_SQL_SQL_TYPES_H
#define FL_SQL_SQL_TYPES_H

#include "batch/batch.h"
#include "core/schema.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Longest text form of a scalar value (decimal(38) with sign and point). */
#define FL_SQL_TEXT_MAX 48

/* The declared SQLite type of a field ("BIGINT", "DECIMAL(10,2)", ...). */
void fl_sql_type_decl(const struct fl_field *f, char *out, size_t outsz);

/* A float widened to the double of its shortest round-trip decimal. */
double fl_sql_float_widen(float f);

/* 'YYYY-MM-DD HH:MM:SS.ffffff' (tz: with '+00:00') for microseconds since
 * the epoch; out needs 33 bytes. */
void fl_sql_format_timestamp(int64_t us, int tz, char *out, size_t outsz);

/* Text form of a text-mapped value of col at row (decimal, date, time,
 * timestamps, uuid) into out (FL_SQL_TEXT_MAX bytes); returns its length,
 * or -1 when the column's type is not a text-mapped one. */
int fl_sql_value_text(const struct fl_col *col, size_t row, char *out, size_t outsz);

/* Sets the result of ctx to the value of col at row (NULL when null). */
void fl_sql_result_col(sqlite3_context *ctx, const struct fl_col *col, size_t row);

#include "core/buf.h"
#include "iceberg/transform.h"

/* Appends a partition value or bound as a JSON value: numbers bare,
 * everything else a string in the forms above (binary and fixed as hex),
 * null as null. */
fl_err_t fl_sql_pval_json(const struct fl_ice_pval *v, struct fl_buf *out);
/* Appends s (n bytes) as a JSON string. */
fl_err_t fl_sql_json_str(const char *s, size_t n, struct fl_buf *out);

#endif
