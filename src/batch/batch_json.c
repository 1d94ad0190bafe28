/*
 * batch_json.c - JSON <-> batch rows, in Iceberg's single-value JSON forms.
 *
 * Values go into columns through fl_col_append_jscalar, shared by the
 * jansson path here (a tree per record, fine for tools) and the streaming
 * decoder (json_decode.c, the pipelines' hot path). Output is written
 * straight into a byte buffer. Doubles print in the shortest
 * form that reads back to the same bits, so a value survives
 * JSON -> Parquet -> JSON exactly.
 */
#include "batch/batch_json.h"
#include "core/time.h"

#include <errno.h>
#include <jansson.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- decimals, uuids, hex ---- */

fl_err_t fl_decimal_parse(const char *s, size_t len, int precision, int scale, __int128 *out) {
    size_t i = 0;
    int neg = 0, digits = 0, frac = 0, seen_dot = 0, any = 0;
    __int128 v = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    for (; i < len; i++) {
        char c = s[i];
        if (c == '.' && !seen_dot) {
            seen_dot = 1;
            continue;
        }
        if (c < '0' || c > '9') return FL_ERR_INVALID;
        any = 1;
        if (seen_dot) {
            if (frac >= scale) {
                if (c != '0') return FL_ERR_RANGE; /* would lose digits */
                continue;
            }
            frac++;
        }
        if (v == 0 && c == '0' && !seen_dot) continue;     /* leading zeros */
        if (v != 0 && ++digits >= 38) return FL_ERR_RANGE; /* 10^38 * 10 overflows */
        v = v * 10 + (c - '0');
    }
    if (!any) return FL_ERR_INVALID;
    for (; frac < scale; frac++) {
        if (v != 0 && ++digits >= 38) return FL_ERR_RANGE;
        v *= 10;
    }
    /* v now holds at most 38 significant digits */
    __int128 lim = 1;
    for (int k = 0; k < precision; k++) lim *= 10;
    if (v >= lim) return FL_ERR_RANGE;
    *out = neg ? -v : v;
    return FL_OK;
}

void fl_decimal_format(__int128 v, int scale, char *out, size_t outsz) {
    char tmp[64];
    int n = 0, neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale) tmp[n++] = '0';
    size_t o = 0;
    if (neg && o + 1 < outsz) out[o++] = '-';
    for (int k = n - 1; k >= 0 && o + 1 < outsz; k--) {
        out[o++] = tmp[k];
        if (k == scale && scale > 0 && o + 1 < outsz) out[o++] = '.';
    }
    out[o] = '\0';
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* ---- JSON -> row ---- */

static fl_err_t bad(struct fl_error *err, const struct fl_field *f, const char *why) {
    char type[48];
    fl_type_format(f, type, sizeof(type));
    return fl_errf(err, FL_ERR_INVALID, "field \"%s\" (%s): %s", f->name, type, why);
}

/* Numbers that producers send as strings ("21.5", as seed 001's logging
 * server does) are taken when the whole string is the number. A number's
 * own text is read the same way. */
static int numeric_text(const char *s, size_t n, double *d, long long *ll, int *is_int) {
    char tmp[72];
    if (n == 0 || n > 64 || s[0] == ' ' || s[n - 1] == ' ') return 0;
    memcpy(tmp, s, n); /* s need not be NUL-terminated */
    tmp[n] = 0;
    if (memchr(tmp, 0, n)) return 0;
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (*end == '\0' && errno == 0) {
        *ll = v;
        *d = (double)v;
        *is_int = 1;
        return 1;
    }
    if (errno == ERANGE && *end == '\0') {
        /* an integer beyond 64 bits: a number, not an int */
        *ll = 0;
        *is_int = -1;
    } else {
        *is_int = 0;
    }
    errno = 0;
    double dv = strtod(tmp, &end);
    if (*end != '\0' || dv != dv) return 0; /* NaN text is handled by the caller */
    /* ERANGE on overflow refuses the number; on underflow (subnormals such
     * as 5e-324, or 1e-400 -> 0) the value is kept, as jansson reads it */
    if (errno == ERANGE && (dv == HUGE_VAL || dv == -HUGE_VAL)) return 0;
    *d = dv;
    return 1;
}

static fl_err_t get_int(const struct fl_jscalar *j, int64_t lo, int64_t hi, int64_t *out) {
    double d;
    long long ll;
    int is_int;
    if (j->kind != FL_JS_NUMBER && j->kind != FL_JS_STRING) return FL_ERR_INVALID;
    if (!numeric_text(j->s, j->len, &d, &ll, &is_int)) return FL_ERR_INVALID;
    if (is_int < 0) return FL_ERR_RANGE;
    if (!is_int) return FL_ERR_INVALID;
    if (ll < lo || ll > hi) return FL_ERR_RANGE;
    *out = ll;
    return FL_OK;
}

static int text_is(const struct fl_jscalar *j, const char *lit) {
    size_t n = strlen(lit);
    return j->len == n && !memcmp(j->s, lit, n);
}

static fl_err_t get_double(const struct fl_jscalar *j, double *out) {
    long long ll;
    int is_int;
    if (j->kind == FL_JS_NUMBER || j->kind == FL_JS_STRING) {
        if (numeric_text(j->s, j->len, out, &ll, &is_int)) return FL_OK;
        if (j->kind == FL_JS_NUMBER) return FL_ERR_INVALID;
        if (text_is(j, "NaN"))
            *out = NAN;
        else if (text_is(j, "Infinity"))
            *out = INFINITY;
        else if (text_is(j, "-Infinity"))
            *out = -INFINITY;
        else
            return FL_ERR_INVALID;
        return FL_OK;
    }
    return FL_ERR_INVALID;
}

bool fl_jscalar_is_integer(const struct fl_jscalar *j) {
    return j->kind == FL_JS_NUMBER && !memchr(j->s, '.', j->len) && !memchr(j->s, 'e', j->len) &&
           !memchr(j->s, 'E', j->len);
}

fl_err_t fl_col_append_jscalar(struct fl_col *col, const struct fl_jscalar *j,
                               struct fl_error *err) {
    const struct fl_field *f = col->field;
    int64_t iv;
    double dv;
    fl_err_t rc;
    const char *s = j->kind == FL_JS_STRING ? j->s : NULL;
    size_t slen = s ? j->len : 0;
    if (j->kind == FL_JS_NULL) {
        if (f->required)
            return fl_errf(err, FL_ERR_INVALID, "field \"%s\": required field is null", f->name);
        return fl_col_append_null(col);
    }
    switch (f->type) {
    case FL_TYPE_BOOLEAN:
        if (j->kind != FL_JS_BOOL) return bad(err, f, "expected true or false");
        return fl_col_append_bool(col, j->b);
    case FL_TYPE_INT:
        if ((rc = get_int(j, INT32_MIN, INT32_MAX, &iv)))
            return bad(err, f,
                       rc == FL_ERR_RANGE ? "integer out of int range" : "expected an integer");
        return fl_col_append_i32(col, (int32_t)iv);
    case FL_TYPE_LONG:
        if ((rc = get_int(j, INT64_MIN, INT64_MAX, &iv)))
            return bad(err, f,
                       rc == FL_ERR_RANGE ? "integer out of long range" : "expected an integer");
        return fl_col_append_i64(col, iv);
    case FL_TYPE_FLOAT:
        if (get_double(j, &dv)) return bad(err, f, "expected a number, \"NaN\" or \"Infinity\"");
        if (isfinite(dv) && fabs(dv) > 3.4028234663852886e38)
            return bad(err, f, "number out of float range");
        return fl_col_append_f32(col, (float)dv);
    case FL_TYPE_DOUBLE:
        if (get_double(j, &dv)) return bad(err, f, "expected a number, \"NaN\" or \"Infinity\"");
        return fl_col_append_f64(col, dv);
    case FL_TYPE_DECIMAL: {
        __int128 d;
        char tmp[64];
        if (j->kind == FL_JS_NUMBER) {
            /* the number's text, exact; a float with more digits than the
             * scale is rounded to it, as a JSON double would be */
            rc = fl_decimal_parse(j->s, j->len, f->precision, f->scale, &d);
            if (rc && !fl_jscalar_is_integer(j) && !get_double(j, &dv)) {
                snprintf(tmp, sizeof(tmp), "%.*f", f->scale, dv);
                rc = fl_decimal_parse(tmp, strlen(tmp), f->precision, f->scale, &d);
            }
        } else {
            if (!s) return bad(err, f, "expected a decimal string such as \"12.34\"");
            rc = fl_decimal_parse(s, slen, f->precision, f->scale, &d);
        }
        if (rc == FL_ERR_RANGE) return bad(err, f, "decimal does not fit its precision and scale");
        if (rc) return bad(err, f, "not a decimal number");
        return fl_col_append_i128(col, d);
    }
    case FL_TYPE_DATE: {
        int32_t days;
        if (fl_jscalar_is_integer(j)) {
            if (get_int(j, FL_DATE_MIN_DAYS, FL_DATE_MAX_DAYS, &iv))
                return bad(err, f,
                           "day number out of range (years 0001-9999; an epoch time in seconds "
                           "or milliseconds wants a timestamp column, or derive date(FIELD))");
            return fl_col_append_i32(col, (int32_t)iv);
        }
        if (!s || fl_time_parse_date(s, slen, &days))
            return bad(err, f, "expected a date YYYY-MM-DD");
        return fl_col_append_i32(col, days);
    }
    case FL_TYPE_TIME: {
        int64_t us;
        if (fl_jscalar_is_integer(j)) {
            if (get_int(j, 0, FL_US_PER_DAY - 1, &iv)) return bad(err, f, "time out of range");
            return fl_col_append_i64(col, iv);
        }
        if (!s || fl_time_parse_time(s, slen, &us))
            return bad(err, f, "expected a time HH:MM:SS[.ffffff]");
        return fl_col_append_i64(col, us);
    }
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ: {
        /* a number is epoch time in the unit its magnitude tells
         * (fl_time_epoch_guess_us): seed 002's milliseconds are 2026 */
        int64_t us;
        if (fl_jscalar_is_integer(j)) {
            if (get_int(j, INT64_MIN, INT64_MAX, &iv) || fl_time_epoch_guess_us(iv, &us))
                return bad(err, f, "epoch number out of range (years 0001-9999)");
            return fl_col_append_i64(col, us);
        }
        if (j->kind == FL_JS_NUMBER) {
            if (get_double(j, &dv) || fl_time_epoch_guess_us_double(dv, &us))
                return bad(err, f, "epoch number out of range (years 0001-9999)");
            return fl_col_append_i64(col, us);
        }
        if (!s || fl_time_parse_iso(s, slen, &us))
            return bad(err, f,
                       "expected an ISO-8601 timestamp or an epoch number (seconds, "
                       "milliseconds, microseconds or nanoseconds, told by its magnitude)");
        return fl_col_append_i64(col, us);
    }
    case FL_TYPE_STRING:
        if (!s) return bad(err, f, "expected a string");
        rc = fl_col_append_bytes(col, s, slen);
        return rc ? fl_errf(err, rc, "field \"%s\": batch is full", f->name) : FL_OK;
    case FL_TYPE_UUID: {
        uint8_t u[16];
        if (!s || fl_uuid_parse(s, slen, u)) return bad(err, f, "expected a uuid string");
        return fl_col_append_bytes(col, u, 16);
    }
    case FL_TYPE_BINARY:
    case FL_TYPE_FIXED: {
        if (!s || slen % 2) return bad(err, f, "expected a hexadecimal string");
        if (f->type == FL_TYPE_FIXED && slen / 2 != (size_t)f->length)
            return bad(err, f, "hexadecimal string has the wrong length for fixed");
        size_t n = slen / 2;
        uint8_t stackbuf[256] = {0};
        uint8_t *b = n <= sizeof(stackbuf) ? stackbuf : malloc(n);
        if (!b) return FL_ERR_NOMEM;
        for (size_t k = 0; k < n; k++) {
            int hi = hexval(s[2 * k]), lo = hexval(s[2 * k + 1]);
            if (hi < 0 || lo < 0) {
                if (b != stackbuf) free(b);
                return bad(err, f, "expected a hexadecimal string");
            }
            b[k] = (uint8_t)(hi << 4 | lo);
        }
        rc = fl_col_append_bytes(col, b, n);
        if (b != stackbuf) free(b);
        return rc ? fl_errf(err, rc, "field \"%s\": batch is full", f->name) : FL_OK;
    }
    case FL_TYPE_STRUCT:
        return bad(err, f, "expected an object");
    case FL_TYPE_LIST:
        return bad(err, f, "expected an array");
    case FL_TYPE_MAP:
        return bad(err, f, "expected an object or an array of {\"key\":..,\"value\":..}");
    default:
        return bad(err, f, "type not supported");
    }
}

/* A jansson value as a scalar; numbers get their text in tmp. Objects
 * and arrays are FL_JS_NESTED (refused by every flat column type). */
static void scalar_of(json_t *j, struct fl_jscalar *out, char *tmp, size_t tmpsz) {
    memset(out, 0, sizeof(*out));
    if (!j || json_is_null(j)) {
        out->kind = FL_JS_NULL;
    } else if (json_is_boolean(j)) {
        out->kind = FL_JS_BOOL;
        out->b = json_is_true(j);
    } else if (json_is_string(j)) {
        out->kind = FL_JS_STRING;
        out->s = json_string_value(j);
        out->len = json_string_length(j);
    } else if (json_is_integer(j)) {
        out->kind = FL_JS_NUMBER;
        out->len = (size_t)snprintf(tmp, tmpsz, "%lld", (long long)json_integer_value(j));
        out->s = tmp;
    } else if (json_is_real(j)) {
        /* shortest text that reads back to the same double, with a '.' or
         * exponent so that it stays a non-integer */
        double v = json_real_value(j);
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(tmp, tmpsz, "%.*g", prec, v);
            if (strtod(tmp, NULL) == v) break;
        }
        if (!strpbrk(tmp, ".eEni")) strncat(tmp, ".0", tmpsz - strlen(tmp) - 1);
        out->kind = FL_JS_NUMBER;
        out->s = tmp;
        out->len = strlen(tmp);
    } else {
        out->kind = FL_JS_NESTED;
    }
}

fl_err_t fl_batch_append_json(struct fl_batch *batch, const char *json, size_t len,
                              struct fl_error *err) {
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root)
        return fl_errf(err, FL_ERR_INVALID, "invalid JSON at column %d: %s", je.column, je.text);
    fl_err_t rc = FL_OK;
    if (!json_is_object(root)) {
        rc = fl_errf(err, FL_ERR_INVALID, "record is not a JSON object");
        goto out;
    }
    for (int i = 0; i < batch->ncols; i++) {
        struct fl_col *col = &batch->cols[i];
        json_t *j = json_object_get(root, col->field->name);
        if (!j && col->field->required) {
            rc = fl_errf(err, FL_ERR_INVALID, "field \"%s\": required field is missing",
                         col->field->name);
            break;
        }
        if (!fl_type_is_primitive(col->field->type) && (json_is_object(j) || json_is_array(j))) {
            /* a nested column keeps the value's JSON text (batch.h) */
            char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
            rc = text ? fl_col_append_bytes(col, text, strlen(text)) : FL_ERR_NOMEM;
            free(text);
            if (rc) {
                fl_errf(err, rc, "field \"%s\": %s", col->field->name, fl_err_name(rc));
                break;
            }
            continue;
        }
        struct fl_jscalar sc;
        char tmp[64];
        scalar_of(j, &sc, tmp, sizeof(tmp));
        if ((rc = fl_col_append_jscalar(col, &sc, err))) break;
    }
    if (rc == FL_OK) rc = fl_batch_end_row(batch);
    if (rc) fl_batch_rollback_row(batch);
out:
    json_decref(root);
    return rc;
}

/* ---- row -> JSON ---- */

fl_err_t fl_json_put_string(struct fl_buf *out, const uint8_t *s, size_t n) {
    static const char hx[] = "0123456789abcdef";
    fl_err_t rc = fl_buf_reserve(out, n + 2);
    if (rc) return rc;
    fl_buf_append_u8(out, '"');
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            fl_buf_append_u8(out, '\\');
            fl_buf_append_u8(out, c);
        } else if (c < 0x20) {
            char e[7] = {'\\', 'u', '0', '0', hx[c >> 4], hx[c & 15], 0};
            if (c == '\n')
                fl_buf_append(out, "\\n", 2);
            else if (c == '\t')
                fl_buf_append(out, "\\t", 2);
            else if (c == '\r')
                fl_buf_append(out, "\\r", 2);
            else
                fl_buf_append(out, e, 6);
        } else {
            rc = fl_buf_append_u8(out, c);
            if (rc) return rc;
        }
    }
    return fl_buf_append_u8(out, '"');
}

fl_err_t fl_col_append_default(struct fl_col *col, const char *json_text, struct fl_error *err) {
    json_t *v = json_text && fl_type_is_primitive(col->field->type)
                    ? json_loads(json_text, JSON_DECODE_ANY, NULL)
                    : NULL;
    struct fl_jscalar j = {.kind = FL_JS_NULL};
    if (json_is_boolean(v)) {
        j.kind = FL_JS_BOOL;
        j.b = json_is_true(v);
    } else if (json_is_number(v)) {
        j.kind = FL_JS_NUMBER; /* the text as written: exact for longs */
        j.s = json_text;
        j.len = strlen(json_text);
    } else if (json_is_string(v)) {
        j.kind = FL_JS_STRING;
        j.s = json_string_value(v);
        j.len = json_string_length(v);
    }
    fl_err_t rc = fl_col_append_jscalar(col, &j, err);
    json_decref(v);
    return rc;
}

/* Shortest text that reads back to v. Starting at DBL_DIG (15) digits is
 * enough for normal numbers: a decimal of at most 15 significant digits
 * survives the round trip, so when %.15g reads back it is the shortest
 * digit string already (%g drops trailing zeros; it prints 490 where a
 * 2-digit %g would print 4.9e+02); only 16 and 17 digits remain to try.
 * Subnormals have fewer bits and start at 1. Floats: FLT_DIG. */
void fl_json_shortest_double(double v, char *out, size_t outsz) {
    for (int p = fabs(v) < DBL_MIN ? 1 : DBL_DIG; p <= 17; p++) {
        snprintf(out, outsz, "%.*g", p, v);
        if (strtod(out, NULL) == v) break;
    }
    /* keep it a JSON number that reads back as floating point */
    if (!strpbrk(out, ".eE")) strncat(out, ".0", outsz - strlen(out) - 1);
}

void fl_json_shortest_float(float v, char *out, size_t outsz) {
    for (int p = fabsf(v) < FLT_MIN ? 1 : FLT_DIG; p <= 9; p++) {
        snprintf(out, outsz, "%.*g", p, (double)v);
        if (strtof(out, NULL) == v) break;
    }
    if (!strpbrk(out, ".eE")) strncat(out, ".0", outsz - strlen(out) - 1);
}

fl_err_t fl_col_value_to_json(const struct fl_col *col, size_t row, struct fl_buf *out) {
    const struct fl_field *f = col->field;
    const uint8_t *p = col->width ? col->values + row * col->width : NULL;
    char tmp[96];
    switch (f->type) {
    case FL_TYPE_BOOLEAN:
        return fl_buf_append_str(out, p[0] ? "true" : "false");
    case FL_TYPE_INT: {
        int32_t v;
        memcpy(&v, p, 4);
        return fl_buf_printf(out, "%d", v);
    }
    case FL_TYPE_LONG: {
        int64_t v;
        memcpy(&v, p, 8);
        return fl_buf_printf(out, "%lld", (long long)v);
    }
    case FL_TYPE_FLOAT:
    case FL_TYPE_DOUBLE: {
        double v;
        if (f->type == FL_TYPE_FLOAT) {
            float fv;
            memcpy(&fv, p, 4);
            v = fv;
            if (isfinite(v)) fl_json_shortest_float(fv, tmp, sizeof(tmp));
        } else {
            memcpy(&v, p, 8);
            if (isfinite(v)) fl_json_shortest_double(v, tmp, sizeof(tmp));
        }
        if (isnan(v)) return fl_buf_append_str(out, "\"NaN\"");
        if (isinf(v)) return fl_buf_append_str(out, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return fl_buf_append_str(out, tmp);
    }
    case FL_TYPE_DECIMAL: {
        __int128 v;
        memcpy(&v, p, 16);
        fl_decimal_format(v, f->scale, tmp, sizeof(tmp));
        return fl_buf_printf(out, "\"%s\"", tmp);
    }
    case FL_TYPE_DATE: {
        int32_t v;
        memcpy(&v, p, 4);
        fl_time_format_date(v, tmp, sizeof(tmp));
        return fl_buf_printf(out, "\"%s\"", tmp);
    }
    case FL_TYPE_TIME: {
        int64_t v;
        memcpy(&v, p, 8);
        fl_time_format_time(v, tmp, sizeof(tmp));
        return fl_buf_printf(out, "\"%s\"", tmp);
    }
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ: {
        int64_t v;
        memcpy(&v, p, 8);
        fl_time_format_iso(v, tmp, sizeof(tmp));
        size_t n = strlen(tmp);
        if (n && tmp[n - 1] == 'Z') tmp[n - 1] = '\0'; /* Iceberg: no zone for timestamp */
        return fl_buf_printf(out, "\"%s%s\"", tmp, f->type == FL_TYPE_TIMESTAMPTZ ? "+00:00" : "");
    }
    case FL_TYPE_STRING: {
        size_t n;
        const uint8_t *s = fl_col_bytes(col, row, &n);
        return fl_json_put_string(out, s, n);
    }
    case FL_TYPE_UUID: {
        char u[37];
        fl_uuid_format(p, u);
        return fl_buf_printf(out, "\"%s\"", u);
    }
    case FL_TYPE_BINARY:
    case FL_TYPE_FIXED: {
        static const char hx[] = "0123456789abcdef";
        if (f->opaque_type && strcmp(f->opaque_type, "variant") == 0) { /* read as JSON text */
            size_t n;
            const uint8_t *s = fl_col_bytes(col, row, &n);
            return fl_buf_append(out, s, n);
        }
        size_t n = col->width;
        const uint8_t *s = p;
        if (!s) s = fl_col_bytes(col, row, &n);
        fl_err_t rc = fl_buf_reserve(out, 2 * n + 2);
        if (rc) return rc;
        fl_buf_append_u8(out, '"');
        for (size_t i = 0; i < n; i++) {
            fl_buf_append_u8(out, (uint8_t)hx[s[i] >> 4]);
            fl_buf_append_u8(out, (uint8_t)hx[s[i] & 15]);
        }
        return fl_buf_append_u8(out, '"');
    }
    case FL_TYPE_STRUCT:
    case FL_TYPE_LIST:
    case FL_TYPE_MAP: { /* already JSON text */
        size_t n;
        const uint8_t *s = fl_col_bytes(col, row, &n);
        return fl_buf_append(out, s, n);
    }
    default:
        return fl_buf_append_str(out, "null");
    }
}

fl_err_t fl_batch_row_to_json(const struct fl_batch *batch, size_t row, struct fl_buf *out) {
    fl_err_t rc = fl_buf_append_u8(out, '{');
    for (int i = 0; i < batch->ncols && !rc; i++) {
        const struct fl_col *col = &batch->cols[i];
        if (i) fl_buf_append_u8(out, ',');
        if ((rc = fl_json_put_string(out, (const uint8_t *)col->field->name,
                                     strlen(col->field->name))))
            break;
        fl_buf_append_u8(out, ':');
        if (fl_col_is_null(col, row))
            rc = fl_buf_append_str(out, "null");
        else
            rc = fl_col_value_to_json(col, row, out);
    }
    if (!rc) rc = fl_buf_append_u8(out, '}');
    return rc;
}
