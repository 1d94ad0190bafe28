/*
 * sql_time.h - dates and timestamps as values in floe sql: the collation
 * that compares their text forms by the instant they name, the literal
 * parser it and the pushdown share, and the blanking of Trino's typed
 * literals (TIMESTAMP '...') before SQLite reads a statement.
 */
#ifndef FL_SQL_TIME_H
#define FL_SQL_TIME_H

#include "core/schema.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* The collation every date, time, timestamp and timestamptz column is
 * declared with. */
#define FL_SQL_TIME_COLLATION "floe_time"

/* 1 for the types declared with it: date, time, timestamp, timestamptz. */
static inline int fl_sql_time_typed(fl_type_id_t t) {
    return t == FL_TYPE_DATE || t == FL_TYPE_TIME || t == FL_TYPE_TIMESTAMP ||
           t == FL_TYPE_TIMESTAMPTZ;
}

/* Reads text as a temporal value, microseconds: a date, a timestamp with
 * or without zone and fraction ('2021-01-10', '2021-01-10 12:00',
 * '2021-01-10T12:00:00.5+01:00', a trailing ' UTC'), seed 001's hour
 * stamp '2026-01-08-14' (also '2026-01-08 14'), a month '2026-01' (its
 * first day), or a time of day '14:00[:00[.f]]'. Text without
 * a zone is UTC. Years 0001-9999. 0 when s is none of these. */
int fl_sql_time_parse(const char *s, size_t n, int64_t *us);

/* Registers the collation on db: two texts that both parse compare as
 * their values; a text that does not parse sorts after every one that
 * does; two that do not compare as BINARY. SQLITE_OK or an error code. */
int fl_sql_time_register(sqlite3 *db);

/* Blanks, in place, the type words of Trino-style typed literals: DATE,
 * TIME, TIMESTAMP (with an optional WITH/WITHOUT TIME ZONE) right before
 * a string literal, so `ts >= TIMESTAMP '2021-01-10 12:00:00'` reaches
 * SQLite as `ts >=           '2021-01-10 12:00:00'`. Offsets into the text
 * stay the same (error positions). Strings, quoted names and comments are
 * left alone. */
void fl_sql_time_literals(char *sql);

#endif
