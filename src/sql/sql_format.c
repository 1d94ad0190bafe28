/*
 * sql_format.c - rendering result rows (see sql_format.h). Values are
 * rendered from SQLite's storage class: integers and reals as numbers
 * (SQLite's own text for reals, "%!.15g"), text as is, blobs as
 * lowercase hex (JSON, CSV) or x'..' (table), NULL as NULL/empty/null.
 */
#include "sql/sql_format.h"

#include "core/mem.h"
#include "sql/sql_types.h"

#include <string.h>

#define TABLE_ROWS_MAX 10000000

struct cell {
    char *s;
    int right; /* numbers align right */
};

struct fl_sql_out {
    fl_sql_fmt_t fmt;
    int header;
    int ncols;
    char **names;
    int64_t nrows;
    struct cell *cells; /* table: nrows * ncols */
    size_t cap;
};

fl_err_t fl_sql_fmt_parse(const char *s, fl_sql_fmt_t *out) {
    static const char *const names[] = {"table", "csv", "json", "ndjson"};
    for (int k = 0; k < 4; k++)
        if (!strcmp(s, names[k])) {
            *out = (fl_sql_fmt_t)k;
            return FL_OK;
        }
    return FL_ERR_INVALID;
}

struct fl_sql_out *fl_sql_out_new(fl_sql_fmt_t fmt, int header) {
    struct fl_sql_out *o = fl_calloc(1, sizeof(*o));
    o->fmt = fmt;
    o->header = header;
    return o;
}

void fl_sql_out_free(struct fl_sql_out *o) {
    if (!o) return;
    for (int i = 0; i < o->ncols; i++) fl_free(o->names[i]);
    fl_free(o->names);
    for (size_t k = 0; o->cells && k < (size_t)o->nrows * (size_t)o->ncols; k++)
        fl_free(o->cells[k].s);
    fl_free(o->cells);
    fl_free(o);
}

int64_t fl_sql_out_rows(const struct fl_sql_out *o) { return o->nrows; }

static fl_err_t csv_field(const char *s, size_t n, struct fl_buf *out) {
    int quote = 0;
    for (size_t k = 0; k < n; k++)
        if (s[k] == ',' || s[k] == '"' || s[k] == '\n' || s[k] == '\r') quote = 1;
    if (n && (s[0] == ' ' || s[n - 1] == ' ')) quote = 1;
    if (!quote) return fl_buf_append(out, s, n);
    fl_err_t rc = fl_buf_append_u8(out, '"');
    for (size_t k = 0; k < n && !rc; k++) {
        if (s[k] == '"') rc = fl_buf_append_u8(out, '"');
        if (!rc) rc = fl_buf_append_u8(out, (uint8_t)s[k]);
    }
    if (!rc) rc = fl_buf_append_u8(out, '"');
    return rc;
}

fl_err_t fl_sql_out_begin(struct fl_sql_out *o, sqlite3_stmt *stmt, struct fl_buf *out) {
    o->ncols = sqlite3_column_count(stmt);
    o->names = fl_calloc((size_t)o->ncols + 1, sizeof(char *));
    for (int i = 0; i < o->ncols; i++) {
        const char *n = sqlite3_column_name(stmt, i);
        o->names[i] = fl_strdup(n ? n : "?");
    }
    if (o->fmt == FL_SQL_FMT_CSV && o->header && o->ncols) {
        for (int i = 0; i < o->ncols; i++) {
            if (i) fl_buf_append_u8(out, ',');
            csv_field(o->names[i], strlen(o->names[i]), out);
        }
        return fl_buf_append_u8(out, (uint8_t)'\n');
    }
    if (o->fmt == FL_SQL_FMT_JSON) return fl_buf_append_u8(out, '[');
    return FL_OK;
}

static fl_err_t hex(const uint8_t *p, size_t n, struct fl_buf *out) {
    fl_err_t rc = FL_OK;
    for (size_t k = 0; k < n && !rc; k++) rc = fl_buf_printf(out, "%02x", p[k]);
    return rc;
}

static char *cell_text(sqlite3_stmt *stmt, int i, int *right) {
    int t = sqlite3_column_type(stmt, i);
    *right = t == SQLITE_INTEGER || t == SQLITE_FLOAT;
    if (t == SQLITE_NULL) return fl_strdup("NULL");
    if (t == SQLITE_BLOB) {
        struct fl_buf b;
        fl_buf_init(&b, FL_BUF_NOMAX);
        fl_buf_append_str(&b, "x'");
        hex(sqlite3_column_blob(stmt, i), (size_t)sqlite3_column_bytes(stmt, i), &b);
        fl_buf_append_str(&b, "'");
        char *s = fl_strndup((const char *)b.data, b.len);
        fl_buf_fini(&b);
        return s;
    }
    const char *s = (const char *)sqlite3_column_text(stmt, i);
    return fl_strndup(s ? s : "", (size_t)sqlite3_column_bytes(stmt, i));
}

fl_err_t fl_sql_out_row(struct fl_sql_out *o, sqlite3_stmt *stmt, struct fl_buf *out) {
    fl_err_t rc = FL_OK;
    if (o->fmt == FL_SQL_FMT_TABLE) {
        if (o->nrows >= TABLE_ROWS_MAX) return FL_ERR_LIMIT;
        size_t need = ((size_t)o->nrows + 1) * (size_t)o->ncols;
        if (need > o->cap) {
            o->cap = need * 2;
            o->cells = fl_reallocarray(o->cells, o->cap, sizeof(*o->cells));
        }
        for (int i = 0; i < o->ncols; i++) {
            struct cell *c = &o->cells[(size_t)o->nrows * (size_t)o->ncols + (size_t)i];
            c->s = cell_text(stmt, i, &c->right);
        }
        o->nrows++;
        return FL_OK;
    }
    if (o->fmt == FL_SQL_FMT_CSV) {
        for (int i = 0; i < o->ncols && !rc; i++) {
            if (i) fl_buf_append_u8(out, ',');
            int t = sqlite3_column_type(stmt, i);
            if (t == SQLITE_NULL) continue;
            if (t == SQLITE_BLOB)
                rc = hex(sqlite3_column_blob(stmt, i), (size_t)sqlite3_column_bytes(stmt, i), out);
            else {
                const char *s = (const char *)sqlite3_column_text(stmt, i);
                rc = csv_field(s ? s : "", (size_t)sqlite3_column_bytes(stmt, i), out);
            }
        }
        o->nrows++;
        return rc ? rc : fl_buf_append_u8(out, (uint8_t)'\n');
    }
    /* json, ndjson */
    if (o->fmt == FL_SQL_FMT_JSON && o->nrows) fl_buf_append_u8(out, ',');
    if (o->fmt == FL_SQL_FMT_JSON) fl_buf_append_u8(out, '\n');
    fl_buf_append_u8(out, '{');
    for (int i = 0; i < o->ncols && !rc; i++) {
        if (i) fl_buf_append_u8(out, ',');
        fl_sql_json_str(o->names[i], strlen(o->names[i]), out);
        fl_buf_append_u8(out, ':');
        int t = sqlite3_column_type(stmt, i);
        const char *s;
        switch (t) {
        case SQLITE_NULL:
            rc = fl_buf_append_str(out, "null");
            break;
        case SQLITE_INTEGER:
            rc = fl_buf_printf(out, "%lld", (long long)sqlite3_column_int64(stmt, i));
            break;
        case SQLITE_FLOAT:
            s = (const char *)sqlite3_column_text(stmt, i);
            /* SQLite spells infinities "Inf"/"-Inf": not JSON numbers */
            if (!s || strstr(s, "Inf"))
                rc = fl_sql_json_str(s ? s : "", s ? strlen(s) : 0, out);
            else
                rc = fl_buf_append_str(out, s);
            break;
        case SQLITE_BLOB:
            fl_buf_append_u8(out, '"');
            rc = hex(sqlite3_column_blob(stmt, i), (size_t)sqlite3_column_bytes(stmt, i), out);
            fl_buf_append_u8(out, '"');
            break;
        default: {
            s = (const char *)sqlite3_column_text(stmt, i);
            size_t n = (size_t)sqlite3_column_bytes(stmt, i);
            /* a nested column straight from a table is JSON text already */
            const char *decl = sqlite3_column_decltype(stmt, i);
            if (s && n && decl && strcmp(decl, "JSON") == 0 && (s[0] == '{' || s[0] == '['))
                rc = fl_buf_append(out, s, n);
            else
                rc = fl_sql_json_str(s ? s : "", n, out);
        }
        }
    }
    fl_buf_append_u8(out, '}');
    if (o->fmt == FL_SQL_FMT_NDJSON) fl_buf_append_u8(out, '\n');
    o->nrows++;
    return rc;
}

/* Display width: code points (UTF-8 continuation bytes do not count). */
static size_t width(const char *s) {
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
    return w;
}

static void pad(struct fl_buf *out, size_t n) {
    for (size_t k = 0; k < n; k++) fl_buf_append_u8(out, ' ');
}

static void rule(struct fl_buf *out, const size_t *w, int n) {
    for (int i = 0; i < n; i++) {
        fl_buf_append_u8(out, '+');
        for (size_t k = 0; k < w[i] + 2; k++) fl_buf_append_u8(out, '-');
    }
    fl_buf_append_str(out, "+\n");
}

fl_err_t fl_sql_out_end(struct fl_sql_out *o, struct fl_buf *out) {
    if (o->fmt == FL_SQL_FMT_JSON) return fl_buf_append_str(out, o->nrows ? "\n]\n" : "]\n");
    if (o->fmt != FL_SQL_FMT_TABLE || o->ncols == 0) return FL_OK;
    size_t *w = fl_calloc((size_t)o->ncols, sizeof(size_t));
    for (int i = 0; i < o->ncols; i++) w[i] = width(o->names[i]);
    for (int64_t r = 0; r < o->nrows; r++)
        for (int i = 0; i < o->ncols; i++) {
            size_t cw = width(o->cells[(size_t)r * (size_t)o->ncols + (size_t)i].s);
            if (cw > w[i]) w[i] = cw;
        }
    rule(out, w, o->ncols);
    for (int i = 0; i < o->ncols; i++) {
        fl_buf_append_str(out, "| ");
        fl_buf_append_str(out, o->names[i]);
        pad(out, w[i] - width(o->names[i]) + 1);
    }
    fl_buf_append_str(out, "|\n");
    rule(out, w, o->ncols);
    for (int64_t r = 0; r < o->nrows; r++) {
        for (int i = 0; i < o->ncols; i++) {
            const struct cell *c = &o->cells[(size_t)r * (size_t)o->ncols + (size_t)i];
            size_t gap = w[i] - width(c->s);
            fl_buf_append_str(out, "| ");
            if (c->right) pad(out, gap);
            fl_buf_append_str(out, c->s);
            pad(out, c->right ? 1 : gap + 1);
        }
        fl_buf_append_str(out, "|\n");
    }
    if (o->nrows) rule(out, w, o->ncols);
    fl_free(w);
    return fl_buf_printf(out, "(%lld row%s)\n", (long long)o->nrows, o->nrows == 1 ? "" : "s");
}
