/*
 * sql_agg.h - single-table aggregate statements answered in C from the
 * table's column batches (sql_agg.c), e.g.
 *   SELECT city, avg(temperature), count(*) FROM weather GROUP BY city
 */
#ifndef FL_SQL_SQL_AGG_H
#define FL_SQL_SQL_AGG_H

#include "sql/sql.h"
#include "sql/sql_args.h"

#include <sqlite3.h>

#define FL_SQL_AGG_ITEMS 16 /* result columns at most */
#define FL_SQL_AGG_KEYS 8   /* GROUP BY columns at most */
#define FL_SQL_AGG_TERMS 8  /* WHERE terms at most */

typedef enum {
    FL_SQL_AGG_COLUMN, /* a GROUP BY column */
    FL_SQL_AGG_COUNT_STAR,
    FL_SQL_AGG_COUNT,
    FL_SQL_AGG_SUM,
    FL_SQL_AGG_AVG,
    FL_SQL_AGG_MIN,
    FL_SQL_AGG_MAX,
} fl_sql_agg_fn_t;

/* The statement as the recogniser read it: names dequoted, as written. */
struct fl_sql_agg_shape {
    int nitems, ngroup, norder;
    struct {
        fl_sql_agg_fn_t fn;
        char col[FL_SQL_NAME_MAX]; /* "" for count(*) */
    } items[FL_SQL_AGG_ITEMS];
    char group[FL_SQL_AGG_KEYS][FL_SQL_NAME_MAX];
    int order[FL_SQL_AGG_KEYS]; /* ORDER BY as indexes into group */
    int nwhere;
    struct {
        char col[FL_SQL_NAME_MAX];
        int op;  /* SQLITE_INDEX_CONSTRAINT_EQ, _LT, _LE, _GT, _GE, _ISNULL, _ISNOTNULL */
        int lit; /* SQLITE_INTEGER, SQLITE_TEXT; SQLITE_NULL for IS [NOT] NULL */
        int64_t i;
        char text[FL_SQL_NAME_MAX];
        size_t n;
    } where[FL_SQL_AGG_TERMS];
};

/* 1 when text is exactly
 *   SELECT item, ... FROM name [WHERE term AND ...] [GROUP BY col, ...]
 *   [ORDER BY col [ASC], ...] [;]
 * where an item is a GROUP BY column or count(*), count(col), sum(col),
 * avg(col), min(col), max(col); a term is `col op literal` (op one of
 * =, ==, <, <=, >, >=; the literal an integer or a '...' string) or
 * `col IS [NOT] NULL`; the ORDER BY columns, if any, are the GROUP BY
 * columns in some order; fills *out. 0 for anything else. */
int fl_sql_agg_shape(const char *text, struct fl_sql_agg_shape *out);

/* When *stmt, prepared on sql's connection, has that shape over a floe
 * table (no time travel) whose snapshot has no delete files, and every
 * column has a type the aggregation handles exactly as SQLite would,
 * computes the answer from the table's batches, finalizes *stmt and
 * replaces it by a statement yielding the same rows with the same column
 * names; returns 1. Otherwise (or when FLOE_SQL_NO_SHORTCUTS is set in
 * the environment) returns 0 and leaves *stmt to run as it is. */
int fl_sql_agg_shortcut(struct fl_sql *sql, sqlite3_stmt **stmt);

#endif
