/*
 * sql_types.c - Iceberg values as SQLite values (see sql_types.h for the
 * mapping). Every cell goes through fl_sql_result_col, so the rules live
 * in one place: numbers as numbers, the types SQLite has no word for as
 * fixed-width text, bytes as blobs.
 */
#include "sql/sql_types.h"

#include "batch/batch_json.h"
#include "core/time.h"
#include "core/uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fl_sql_type_decl(const struct fl_field *f, char *out, size_t outsz) {
    switch (f->type) {
    case FL_TYPE_BOOLEAN:
        snprintf(out, outsz, "BOOLEAN");
        return;
    case FL_TYPE_INT:
        snprintf(out, outsz, "INTEGER");
        return;
    case FL_TYPE_LONG:
        snprintf(out, outsz, "BIGINT");
        return;
    case FL_TYPE_FLOAT:
        snprintf(out, outsz, "REAL");
        return;
    case FL_TYPE_DOUBLE:
        snprintf(out, outsz, "DOUBLE");
        return;
    case FL_TYPE_DECIMAL:
        snprintf(out, outsz, "DECIMAL(%d,%d)", (int)f->precision, (int)f->scale);
        return;
    case FL_TYPE_DATE:
        snprintf(out, outsz, "DATE");
        return;
    case FL_TYPE_TIME:
        snprintf(out, outsz, "TIME");
        return;
    case FL_TYPE_TIMESTAMP:
        snprintf(out, outsz, "TIMESTAMP");
        return;
    case FL_TYPE_TIMESTAMPTZ:
        snprintf(out, outsz, "TIMESTAMPTZ");
        return;
    case FL_TYPE_STRING:
        snprintf(out, outsz, "VARCHAR");
        return;
    case FL_TYPE_UUID:
        snprintf(out, outsz, "UUID");
        return;
    case FL_TYPE_BINARY: /* a variant is read as its JSON text */
        snprintf(out, outsz, "%s",
                 f->opaque_type && strcmp(f->opaque_type, "variant") == 0 ? "JSON" : "BLOB");
        return;
    case FL_TYPE_FIXED:
        snprintf(out, outsz, "BLOB");
        return;
    default:
        snprintf(out, outsz, "JSON");
        return; /* nested: JSON text */
    }
}

double fl_sql_float_widen(float f) {
    char tmp[32];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, (double)f);
        double d = strtod(tmp, NULL);
        if ((float)d == f) return d;
    }
    return (double)f;
}

/* Writes v as exactly n decimal digits at p (v < 10^n). */
static void put_digits(char *p, unsigned v, int n) {
    for (int k = n - 1; k >= 0; k--) {
        p[k] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* The slow, general form: any year fl_time_format_iso prints. */
static void format_timestamp_any(int64_t us, int tz, char *out, size_t outsz) {
    char iso[40];
    fl_time_format_iso(us, iso, sizeof(iso)); /* YYYY-MM-DDTHH:MM:SS.ffffffZ */
    size_t n = strlen(iso);
    if (n && iso[n - 1] == 'Z') iso[--n] = '\0';
    char *t = strchr(iso, 'T');
    if (t) *t = ' ';
    snprintf(out, outsz, "%s%s", iso, tz ? "+00:00" : "");
}

/* Years 0001-9999 (every value SQLite's date functions read) are written
 * digit by digit: this runs once per timestamp cell, and snprintf was
 * most of a scan's time. Other years take the general path. */
void fl_sql_format_timestamp(int64_t us, int tz, char *out, size_t outsz) {
    if (us < INT64_C(-62135596800000000) || us > INT64_C(253402300799999999) || outsz < 33) {
        format_timestamp_any(us, tz, out, outsz);
        return;
    }
    int64_t days = us / FL_US_PER_DAY, rem = us % FL_US_PER_DAY;
    if (rem < 0) rem += FL_US_PER_DAY, days--;
    int64_t y;
    unsigned m, d;
    fl_time_civil_from_days(days, &y, &m, &d);
    unsigned secs = (unsigned)(rem / FL_US_PER_SEC);
    put_digits(out, (unsigned)y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    out[10] = ' ';
    put_digits(out + 11, secs / 3600, 2);
    out[13] = ':';
    put_digits(out + 14, secs / 60 % 60, 2);
    out[16] = ':';
    put_digits(out + 17, secs % 60, 2);
    out[19] = '.';
    put_digits(out + 20, (unsigned)(rem % FL_US_PER_SEC), 6);
    if (tz) {
        memcpy(out + 26, "+00:00", 7);
    } else {
        out[26] = '\0';
    }
}

int fl_sql_value_text(const struct fl_col *col, size_t row, char *out, size_t outsz) {
    const uint8_t *v = col->values ? col->values + row * col->width : NULL;
    switch (col->field->type) {
    case FL_TYPE_DECIMAL: {
        __int128 d;
        memcpy(&d, v, 16);
        fl_decimal_format(d, col->field->scale, out, outsz);
        break;
    }
    case FL_TYPE_DATE: {
        int32_t days;
        memcpy(&days, v, 4);
        fl_time_format_date(days, out, outsz);
        break;
    }
    case FL_TYPE_TIME: {
        int64_t us;
        memcpy(&us, v, 8);
        fl_time_format_time(us, out, outsz);
        break;
    }
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ: {
        int64_t us;
        memcpy(&us, v, 8);
        fl_sql_format_timestamp(us, col->field->type == FL_TYPE_TIMESTAMPTZ, out, outsz);
        break;
    }
    case FL_TYPE_UUID: {
        char u[37];
        fl_uuid_format(v, u);
        snprintf(out, outsz, "%s", u);
        break;
    }
    default:
        return -1;
    }
    return (int)strlen(out);
}

void fl_sql_result_col(sqlite3_context *ctx, const struct fl_col *col, size_t row) {
    if (fl_col_is_null(col, row)) {
        sqlite3_result_null(ctx);
        return;
    }
    const uint8_t *v = col->width ? col->values + row * col->width : NULL;
    switch (col->field->type) {
    case FL_TYPE_BOOLEAN:
        sqlite3_result_int(ctx, v[0] != 0);
        return;
    case FL_TYPE_INT: {
        int32_t x;
        memcpy(&x, v, 4);
        sqlite3_result_int(ctx, x);
        return;
    }
    case FL_TYPE_LONG: {
        int64_t x;
        memcpy(&x, v, 8);
        sqlite3_result_int64(ctx, x);
        return;
    }
    case FL_TYPE_FLOAT: {
        float x;
        memcpy(&x, v, 4);
        sqlite3_result_double(ctx, fl_sql_float_widen(x));
        return;
    }
    case FL_TYPE_DOUBLE: {
        double x;
        memcpy(&x, v, 8);
        sqlite3_result_double(ctx, x);
        return;
    }
    case FL_TYPE_STRING:
    case FL_TYPE_STRUCT: /* nested values are JSON text (batch.h) */
    case FL_TYPE_LIST:
    case FL_TYPE_MAP: {
        size_t len;
        const uint8_t *p = fl_col_bytes(col, row, &len);
        sqlite3_result_text64(ctx, (const char *)p, len, SQLITE_TRANSIENT, SQLITE_UTF8);
        return;
    }
    case FL_TYPE_BINARY: {
        size_t len;
        const uint8_t *p = fl_col_bytes(col, row, &len);
        if (col->field->opaque_type && strcmp(col->field->opaque_type, "variant") == 0)
            sqlite3_result_text64(ctx, (const char *)p, len, SQLITE_TRANSIENT, SQLITE_UTF8);
        else
            sqlite3_result_blob64(ctx, p, len, SQLITE_TRANSIENT);
        return;
    }
    case FL_TYPE_FIXED:
        sqlite3_result_blob64(ctx, v, col->width, SQLITE_TRANSIENT);
        return;
    default: {
        char txt[FL_SQL_TEXT_MAX];
        int n = fl_sql_value_text(col, row, txt, sizeof(txt));
        if (n < 0)
            sqlite3_result_null(ctx);
        else
            sqlite3_result_text(ctx, txt, n, SQLITE_TRANSIENT);
        return;
    }
    }
}

fl_err_t fl_sql_json_str(const char *s, size_t n, struct fl_buf *out) {
    fl_err_t rc = fl_buf_append_u8(out, '"');
    for (size_t k = 0; k < n && !rc; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == '"' || c == '\\')
            rc = fl_buf_printf(out, "\\%c", c);
        else if (c < 0x20)
            rc = fl_buf_printf(out, "\\u%04x", c);
        else
            rc = fl_buf_append_u8(out, c);
    }
    if (!rc) rc = fl_buf_append_u8(out, '"');
    return rc;
}

fl_err_t fl_sql_pval_json(const struct fl_ice_pval *v, struct fl_buf *out) {
    char t[FL_SQL_TEXT_MAX];
    if (v->is_null) return fl_buf_append_str(out, "null");
    switch (v->type) {
    case FL_TYPE_BOOLEAN:
        return fl_buf_append_str(out, v->i64 ? "true" : "false");
    case FL_TYPE_INT:
    case FL_TYPE_LONG:
        return fl_buf_printf(out, "%lld", (long long)v->i64);
    case FL_TYPE_FLOAT:
    case FL_TYPE_DOUBLE:
        if (v->f64 != v->f64 || v->f64 > 1.7976931348623157e308 || v->f64 < -1.7976931348623157e308)
            return fl_buf_printf(out, "\"%s\"",
                                 v->f64 != v->f64 ? "NaN"
                                 : v->f64 > 0     ? "Infinity"
                                                  : "-Infinity");
        return fl_buf_printf(out, "%.17g",
                             v->type == FL_TYPE_FLOAT ? fl_sql_float_widen((float)v->f64) : v->f64);
    case FL_TYPE_DECIMAL:
        fl_decimal_format(v->dec, v->scale, t, sizeof(t));
        return fl_buf_printf(out, "\"%s\"", t);
    case FL_TYPE_DATE:
        fl_time_format_date((int32_t)v->i64, t, sizeof(t));
        return fl_buf_printf(out, "\"%s\"", t);
    case FL_TYPE_TIME:
        fl_time_format_time(v->i64, t, sizeof(t));
        return fl_buf_printf(out, "\"%s\"", t);
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ:
        fl_sql_format_timestamp(v->i64, v->type == FL_TYPE_TIMESTAMPTZ, t, sizeof(t));
        return fl_buf_printf(out, "\"%s\"", t);
    case FL_TYPE_STRING:
        return fl_sql_json_str((const char *)v->bytes, v->len, out);
    case FL_TYPE_UUID:
        if (v->len == 16) {
            fl_uuid_format(v->bytes, t);
            return fl_buf_printf(out, "\"%s\"", t);
        }
        /* fall through */
    default: {
        fl_err_t rc = fl_buf_append_u8(out, '"');
        for (size_t k = 0; k < v->len && !rc; k++) rc = fl_buf_printf(out, "%02x", v->bytes[k]);
        if (!rc) rc = fl_buf_append_u8(out, '"');
        return rc;
    }
    }
}
