/*
 * sql_rows.h - a result computed in C before a statement ran, handed
 * back through SQLite as the rows of the eponymous table "floe$rows"
 * (sql_rows.c), so the statement keeps its column names and SQLite's
 * output path.
 */
#ifndef FL_SQL_SQL_ROWS_H
#define FL_SQL_SQL_ROWS_H

#include "core/buf.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Columns "floe$rows" declares: results wider than this are not taken. */
#define FL_SQL_ROWS_MAXCOLS 64

/* One value: type is SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT or
 * SQLITE_TEXT (n bytes at off in the rows' heap). */
struct fl_sql_cell {
    int type;
    int64_t i;
    double d;
    size_t off, n;
};

struct fl_sql_rows {
    int ncols;
    size_t nrows, cap;
    struct fl_sql_cell *cells; /* nrows * ncols, row after row */
    struct fl_buf heap;        /* the bytes of text cells */
};

/* A new empty result of ncols (1..FL_SQL_ROWS_MAXCOLS) columns. */
struct fl_sql_rows *fl_sql_rows_new(int ncols);
void fl_sql_rows_free(struct fl_sql_rows *rows);
/* Appends a row of NULLs; returns its ncols cells (valid until the next
 * append). */
struct fl_sql_cell *fl_sql_rows_append(struct fl_sql_rows *rows);
/* Makes cell the text p[0..n) (copied into the heap). */
fl_err_t fl_sql_rows_set_text(struct fl_sql_rows *rows, struct fl_sql_cell *cell, const void *p,
                              size_t n);
/* Prepares on db a statement yielding rows, in order, with the column
 * names of like (which must have rows->ncols columns). Takes ownership of
 * rows in every case (the statement frees it when finalized). Returns an
 * SQLite code; *out is the statement or NULL. */
int fl_sql_rows_statement(sqlite3 *db, struct fl_sql_rows *rows, sqlite3_stmt *like,
                          sqlite3_stmt **out);

#endif
