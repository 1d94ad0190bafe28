/*
 * json_decode.h - the streaming JSON decoder of the pipelines' hot path:
 * one JSON object per call, parsed by yajl (Debian's libyajl, an
 * event-driven parser) straight into a row of a columnar batch. No tree,
 * no per-record allocation: keys are looked up in a hash of the schema's
 * column names built once, values go into their column as the parser
 * reports them (numbers as their own text, strings unescaped), through
 * the same conversions as the jansson path (fl_col_append_jscalar).
 *
 * Why yajl rather than jsmn (also in Debian): yajl validates the whole
 * grammar and UTF-8 and unescapes strings; jsmn only tokenizes, leaving
 * escapes, number syntax and UTF-8 to us. yajl's allow-multiple-values
 * mode lets one parser handle run across records with no setup per
 * record; a record that breaks the grammar costs a new handle.
 *
 * Semantics match fl_batch_append_json: keys not in the schema are
 * skipped (nested values included), a missing key or null is a null (an
 * error for a required column), a repeated column key is an error.
 * Columns can be left to the caller (fl_jdec_column_mode): the decoder
 * then ignores their keys (FL_JDEC_CALLER) or reports whether the record
 * had them (FL_JDEC_CALLER_DEFAULT, see fl_jdec_seen), and the caller
 * appends their values before ending the row.
 *
 * A compiled map (pipeline/map.c) drives the rest: a column may read a
 * key other than its name (fl_jdec_column_key: rename), convert through
 * the caller's function (fl_jdec_column_convert: cast, date(), hour()),
 * and keys whose value the caller needs after the row are captured
 * (fl_jdec_capture): their scalar's bytes are copied into one scratch
 * buffer per decoder, reused across records and capped.
 */
#ifndef FL_BATCH_JSON_DECODE_H
#define FL_BATCH_JSON_DECODE_H

#include "batch/batch.h"
#include "batch/batch_json.h"
#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>

struct fl_jdec;

/* A decoder for rows of schema (kept by reference: it must outlive d). */
fl_err_t fl_jdec_new(const struct fl_schema *schema, struct fl_jdec **out, struct fl_error *err);
void fl_jdec_free(struct fl_jdec *d);

#define FL_JDEC_JSON 0           /* from the record's key of the column's name (default) */
#define FL_JDEC_CALLER 1         /* the caller appends it; the record's key is ignored */
#define FL_JDEC_CALLER_DEFAULT 2 /* from the record when there; else the caller appends it */
void fl_jdec_column_mode(struct fl_jdec *d, int col, int mode);

/* Column col reads the record's key `key` (copied) instead of its own
 * name; NULL: no key (the column is missing unless the caller fills it).
 * A key feeds one column: a column that read `key` before reads nothing
 * now. A renamed column's own name no longer maps to it. */
void fl_jdec_column_key(struct fl_jdec *d, int col, const char *key);

/* Converts a non-null scalar of the record into col (one value). On
 * failure nothing is appended and err says why. */
typedef fl_err_t (*fl_jdec_convert_fn)(void *arg, struct fl_col *col, const struct fl_jscalar *v,
                                       struct fl_error *err);
/* col's values go through fn (arg kept by reference) instead of the
 * plain conversion (fl_col_append_jscalar, hour stamps); nulls keep the
 * plain rule. */
void fl_jdec_column_convert(struct fl_jdec *d, int col, fl_jdec_convert_fn fn, void *arg);

/* Captures the scalar of the record's key `key` (copied) for the caller:
 * returns the capture's index (the same for the same key), in call
 * order from 0. A capture may also feed a column. A nested value is an
 * error, as for a column. */
int fl_jdec_capture(struct fl_jdec *d, const char *key);
/* The cap on the bytes captured from one record (default
 * FL_JDEC_CAPTURE_MAX); a record over it is refused. */
#define FL_JDEC_CAPTURE_MAX ((size_t)64 << 10)
void fl_jdec_capture_limit(struct fl_jdec *d, size_t max);
/* After fl_jdec_row succeeded: capture i's scalar in *out (FL_JS_NULL
 * when null or absent; its bytes stay valid until the next fl_jdec_row)
 * and whether the record had the key. */
bool fl_jdec_captured(const struct fl_jdec *d, int i, struct fl_jscalar *out);

/* Also take "YYYY-MM-DD-HH" (seed 001's hour stamps, UTC) for timestamp
 * columns. */
void fl_jdec_hour_stamps(struct fl_jdec *d, bool on);

/* Parses one JSON object (len bytes) into a new row of b (whose schema is
 * d's). On success every column but the caller's has its value and the
 * row is NOT ended: the caller appends its columns, may check the row
 * (values at index b->nrows), then fl_batch_end_row or
 * fl_batch_rollback_row. On failure nothing stays appended and err says
 * why (the field and the reason, or where the JSON broke). */
fl_err_t fl_jdec_row(struct fl_jdec *d, struct fl_batch *b, const void *json, size_t len,
                     struct fl_error *err);

/* After fl_jdec_row: whether the record had a non-null value for col. */
bool fl_jdec_seen(const struct fl_jdec *d, int col);

#endif
