/*
 * pg_types.h - PostgreSQL column types as Iceberg types, and PostgreSQL
 * text values (as pgoutput and COPY's text format send them) as the JSON
 * values of a change event, in forms floe's JSON decoder reads back into
 * the mirror table's columns: integers as numbers, numeric as a decimal
 * string, booleans, dates, times and timestamps as ISO-8601 strings
 * (timestamptz with +00:00: the session runs in UTC), uuid, text and
 * json/jsonb as strings, bytea as a hex string.
 *
 * Also COPY's text format (one row: tab-separated fields, \N for null,
 * backslash escapes) split into fields, for the initial snapshot.
 */
#ifndef FL_CDC_PG_TYPES_H
#define FL_CDC_PG_TYPES_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

/* How a column's text becomes JSON. */
enum fl_pgt_kind {
    FL_PGT_NUMBER, /* int2/4/8: the text as a JSON number */
    FL_PGT_FLOAT,  /* float4/8: a number; NaN, Infinity as strings */
    FL_PGT_BOOL,
    FL_PGT_STRING,      /* numeric, text, varchar, bpchar, uuid, date, time, json(b) */
    FL_PGT_TIMESTAMP,   /* "YYYY-MM-DD HH:MM:SS[.f]" -> 'T' */
    FL_PGT_TIMESTAMPTZ, /* "...+00" -> "...+00:00" */
    FL_PGT_BYTEA,       /* "\x0a0b" -> "0a0b" */
};

/* The Iceberg type (text as the schema JSON spells it, into type,
 * typesz bytes) and kind of a column of type oid with typmod; 0, or -1
 * with why (e.g. "type circle (oid 718) is not supported") when the
 * type has no mapping. */
int fl_pgt_map(uint32_t oid, int32_t typmod, const char *typname, char *type, size_t typesz,
               enum fl_pgt_kind *kind, char *why, size_t whysz);

/* Appends v (len bytes of PostgreSQL text output) as a JSON value. */
fl_err_t fl_pgt_json(enum fl_pgt_kind kind, const uint8_t *v, size_t len, struct fl_buf *out);
/* Appends s as a JSON string (escaped). */
fl_err_t fl_pgt_json_string(const uint8_t *s, size_t len, struct fl_buf *out);

/* Splits one COPY text-format row (len bytes, a trailing newline
 * allowed) into at most maxf fields, unescaped into scratch: starts[i],
 * lens[i] index scratch, lens[i] = SIZE_MAX for \N. *nf gets the count.
 * FL_ERR_CORRUPT for a bad escape or more than maxf fields. */
fl_err_t fl_pgt_copy_row(const uint8_t *row, size_t len, struct fl_buf *scratch, size_t *starts,
                         size_t *lens, int maxf, int *nf, struct fl_error *err);

#endif
