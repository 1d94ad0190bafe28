/*
 * batch_json.h - JSON records into batch rows and batch rows out as JSON.
 *
 * Values use Iceberg's JSON single-value serialization (format/spec.md,
 * Appendix D): decimals as strings ("14.20"), dates "2017-11-16", times
 * "22:31:08.123456", timestamps "2017-11-16T22:31:08.123456" and
 * timestamptz with "+00:00", uuids in canonical text, binary and fixed as
 * hexadecimal strings. JSON has no NaN or infinities: floats and doubles
 * accept and print the strings "NaN", "Infinity" and "-Infinity".
 * On input, numbers are also accepted for dates (days), times
 * (microseconds), timestamps (epoch time in the unit the number's
 * magnitude tells: s, ms, us or ns, fl_time_epoch_guess_us) and
 * decimals, and numeric strings ("21.5") for numbers; missing keys and
 * JSON null are
 * nulls; keys not in the schema are ignored.
 *
 * fl_batch_append_json parses a tree per record (jansson) and is meant for
 * tools and tests; pipelines use the streaming decoder (json_decode.h).
 * Both put values into columns with fl_col_append_jscalar.
 */
#ifndef FL_BATCH_BATCH_JSON_H
#define FL_BATCH_BATCH_JSON_H

#include "batch/batch.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/uuid.h"

/* One JSON scalar as a parser saw it: numbers keep their text (exact for
 * longs and decimals), strings are unescaped bytes (not NUL-terminated). */
enum { FL_JS_NULL, FL_JS_BOOL, FL_JS_NUMBER, FL_JS_STRING, FL_JS_NESTED };
struct fl_jscalar {
    int kind;
    int b;         /* FL_JS_BOOL */
    const char *s; /* FL_JS_NUMBER, FL_JS_STRING */
    size_t len;
};

/* true for a number whose text has no fraction or exponent ("42", "-7"). */
bool fl_jscalar_is_integer(const struct fl_jscalar *j);

/* Appends j to col (one value), converted to the column's type by the
 * rules above; on error nothing is appended and err names the field. */
fl_err_t fl_col_append_jscalar(struct fl_col *col, const struct fl_jscalar *j,
                               struct fl_error *err);

/* Appends a format 3 default value (its JSON single-value serialization,
 * a NUL-terminated text; NULL: null) to col as the column's type reads it;
 * a nested column's default is appended as null. */
fl_err_t fl_col_append_default(struct fl_col *col, const char *json_text, struct fl_error *err);

/* Appends one JSON object (len bytes) as a row of batch. On error nothing
 * is appended and err names the field and the reason. */
fl_err_t fl_batch_append_json(struct fl_batch *batch, const char *json, size_t len,
                              struct fl_error *err);

/* Appends row `row` of batch as one JSON object (no newline) to out. */
fl_err_t fl_batch_row_to_json(const struct fl_batch *batch, size_t row, struct fl_buf *out);

/* Appends n bytes as a quoted, escaped JSON string. */
fl_err_t fl_json_put_string(struct fl_buf *out, const uint8_t *s, size_t n);

/* The shortest text of a finite v that reads back to it, as a JSON
 * number that reads back as floating point ("1.0", not "1"). */
void fl_json_shortest_double(double v, char *out, size_t outsz);
void fl_json_shortest_float(float v, char *out, size_t outsz);

/* Appends the JSON text of one value of col (not null) to out. */
fl_err_t fl_col_value_to_json(const struct fl_col *col, size_t row, struct fl_buf *out);

/* Parses a decimal text ("-12.340", "5", "1e3" not allowed) into an
 * integer scaled by `scale`, refusing more than `precision` digits or
 * fractional digits that would be lost. */
fl_err_t fl_decimal_parse(const char *s, size_t len, int precision, int scale, __int128 *out);
/* Formats an unscaled decimal with `scale` fractional digits. */
void fl_decimal_format(__int128 v, int scale, char *out, size_t outsz);

#endif
