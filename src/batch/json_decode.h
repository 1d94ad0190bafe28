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
 * Columns can be left to the caller (fl_jdec_caller): the decoder then
 * ignores their keys (FL_JDEC_CALLER) or reports whether the record had
 * them (FL_JDEC_CALLER_DEFAULT, see fl_jdec_seen), and the caller appends
 * their values before ending the row.
 */
#ifndef FL_BATCH_JSON_DECODE_H
#define FL_BATCH_JSON_DECODE_H

#include "batch/batch.h"
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
