/*
 * sql_travel.h - Trino's FOR VERSION AS OF / FOR TIMESTAMP AS OF in floe
 * sql, read with the snapshot's own schema (sql_travel.c).
 */
#ifndef FL_SQL_TRAVEL_H
#define FL_SQL_TRAVEL_H

#include "sql/sql.h"
#include "sql/sql_args.h"

#include <stddef.h>

/* One `REF FOR VERSION|TIMESTAMP AS OF LITERAL` of a text. */
struct fl_sql_travel {
    size_t start, end;            /* the whole clause, REF included */
    char schema[FL_SQL_NAME_MAX]; /* REF's schema, "" when bare */
    char name[FL_SQL_NAME_MAX];   /* REF's name, dequoted */
    int by_time;                  /* TIMESTAMP AS OF */
    char value[64];               /* the snapshot id or the time */
};

/* At the bare word s[i..end): the end of `FOR VERSION|TIMESTAMP AS OF
 * LITERAL` starting with it, with t's by_time and value filled and start
 * at FOR (no reference: the caller names the table), or 0 when none. */
size_t fl_sql_travel_clause(const char *s, size_t i, size_t end, struct fl_sql_travel *t);
/* At the bare word s[i..end): the end of a time-travel clause starting
 * with it (FOR) after a table reference, with *t filled, or 0 when there
 * is none. */
size_t fl_sql_travel_match(const char *s, size_t i, size_t end, struct fl_sql_travel *t);
/* Resolves t's table and snapshot and declares the TEMP table that reads
 * it; out gets its quoted name. Errors name the table or snapshot. */
fl_err_t fl_sql_travel_declare(struct fl_sql *sql, const struct fl_sql_travel *t, char *out,
                               size_t outsz, struct fl_error *err);

#endif
