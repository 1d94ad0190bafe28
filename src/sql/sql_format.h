/*
 * sql_format.h - query results as text: an aligned table for people,
 * CSV (RFC 4180 quoting, lines end in LF, NULL as an empty field), a JSON array of objects, or
 * NDJSON (one object a line). The formatter appends to a buffer; the
 * caller decides where the bytes go. The table form holds the rows until
 * the end to size its columns; the others stream.
 */
#ifndef FL_SQL_SQL_FORMAT_H
#define FL_SQL_SQL_FORMAT_H

#include "core/buf.h"
#include "core/err.h"

#include <sqlite3.h>
#include <stdint.h>

typedef enum { FL_SQL_FMT_TABLE, FL_SQL_FMT_CSV, FL_SQL_FMT_JSON, FL_SQL_FMT_NDJSON } fl_sql_fmt_t;

/* "table", "csv", "json", "ndjson" -> *out; FL_ERR_INVALID otherwise. */
fl_err_t fl_sql_fmt_parse(const char *s, fl_sql_fmt_t *out);

struct fl_sql_out;

/* A formatter for the rows of one statement; header = 0 leaves out the
 * CSV header line. Caller frees. */
struct fl_sql_out *fl_sql_out_new(fl_sql_fmt_t fmt, int header);
void fl_sql_out_free(struct fl_sql_out *o);
/* Call before the first row: takes the column names from stmt. */
fl_err_t fl_sql_out_begin(struct fl_sql_out *o, sqlite3_stmt *stmt, struct fl_buf *out);
/* The current row of stmt (after sqlite3_step returned SQLITE_ROW). */
fl_err_t fl_sql_out_row(struct fl_sql_out *o, sqlite3_stmt *stmt, struct fl_buf *out);
/* After the last row. */
fl_err_t fl_sql_out_end(struct fl_sql_out *o, struct fl_buf *out);
/* Rows seen so far. */
int64_t fl_sql_out_rows(const struct fl_sql_out *o);

#endif
