/*
 * json_decode.c - yajl events into a batch row (see json_decode.h).
 *
 * State of one record: depth (0 outside the object, 1 at its keys,
 * deeper inside a skipped nested value), the column the last key named
 * (or -1: skip), and a generation stamp per column (seen[c] == gen: the
 * column got its value in this record; bumping gen clears every stamp at
 * once). A callback that finds an error stores it and returns 0, which
 * cancels the parse; the handle is then replaced.
 */
#include "batch/json_decode.h"
#include "batch/batch_json.h"
#include "core/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

struct fl_jdec {
    const struct fl_schema *schema;
    int ncols;
    int *mode;
    uint32_t *seen; /* per column: gen of the record that set it */
    uint32_t gen;
    int *slots; /* open addressing over column names: column index or -1 */
    uint32_t nslots;
    bool hour_stamps;
    yajl_handle h;
    /* the record being parsed */
    struct fl_batch *b;
    int depth, col, started, done;
    size_t end; /* bytes of the record up to the object's closing brace */
    fl_err_t rc;
    struct fl_error *err;
};

static uint32_t hash(const void *p, size_t n) {
    const uint8_t *s = p;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

static int lookup(const struct fl_jdec *d, const unsigned char *key, size_t n) {
    for (uint32_t i = hash(key, n) & (d->nslots - 1);; i = (i + 1) & (d->nslots - 1)) {
        int c = d->slots[i];
        if (c < 0) return -1;
        const char *name = d->schema->fields[c].name;
        if (strlen(name) == n && !memcmp(name, key, n)) return c;
    }
}

/* Stores the error (about column name, or the record when NULL) and
 * cancels the parse. */
static int fail(struct fl_jdec *d, const char *name, const char *why) {
    if (name) d->rc = fl_errf(d->err, FL_ERR_INVALID, "field \"%s\": %s", name, why);
    else d->rc = fl_errf(d->err, FL_ERR_INVALID, "%s", why);
    return 0;
}

/* A scalar at the current position: the column's value, or skipped. */
static int on_scalar(struct fl_jdec *d, struct fl_jscalar *v) {
    if (d->depth == 0) return fail(d, NULL, "value is not a JSON object");
    if (d->depth > 1 || d->col < 0) return 1;
    int c = d->col;
    d->col = -1;
    if (v->kind == FL_JS_NULL && d->mode[c] == FL_JDEC_CALLER_DEFAULT) return 1;
    struct fl_col *col = &d->b->cols[c];
    char tmp[32];
    if (d->hour_stamps && v->kind == FL_JS_STRING && v->len == 13 &&
        (col->field->type == FL_TYPE_TIMESTAMP || col->field->type == FL_TYPE_TIMESTAMPTZ)) {
        /* "2026-01-08-14" -> "2026-01-08T14:00:00Z" */
        const char *s = v->s;
        bool shape = s[4] == '-' && s[7] == '-' && s[10] == '-';
        for (int i = 0; shape && i < 13; i++)
            if (i != 4 && i != 7 && i != 10 && (s[i] < '0' || s[i] > '9')) shape = false;
        if (shape) {
            memcpy(tmp, s, 10);
            tmp[10] = 'T';
            memcpy(tmp + 11, s + 11, 2);
            memcpy(tmp + 13, ":00:00Z", 7);
            v->s = tmp;
            v->len = 20;
        }
    }
    fl_err_t rc = fl_col_append_jscalar(col, v, d->err);
    if (rc) {
        d->rc = rc;
        return 0;
    }
    return 1;
}

static int cb_null(void *ctx) {
    struct fl_jscalar v = {.kind = FL_JS_NULL};
    return on_scalar(ctx, &v);
}
static int cb_bool(void *ctx, int b) {
    struct fl_jscalar v = {.kind = FL_JS_BOOL, .b = b};
    return on_scalar(ctx, &v);
}
static int cb_number(void *ctx, const char *s, size_t n) {
    struct fl_jscalar v = {.kind = FL_JS_NUMBER, .s = s, .len = n};
    return on_scalar(ctx, &v);
}
static int cb_string(void *ctx, const unsigned char *s, size_t n) {
    struct fl_jscalar v = {.kind = FL_JS_STRING, .s = (const char *)s, .len = n};
    return on_scalar(ctx, &v);
}

static int cb_key(void *ctx, const unsigned char *key, size_t n) {
    struct fl_jdec *d = ctx;
    if (d->depth != 1) return 1;
    int c = lookup(d, key, n);
    if (c >= 0 && d->mode[c] == FL_JDEC_CALLER) c = -1;
    if (c >= 0 && d->seen[c] == d->gen)
        return fail(d, d->schema->fields[c].name, "key appears twice");
    if (c >= 0) d->seen[c] = d->gen; /* a repeat is caught even after a null */
    d->col = c;
    return 1;
}

static int cb_open(void *ctx) {
    struct fl_jdec *d = ctx;
    if (d->depth == 0) {
        if (d->started) return fail(d, NULL, "more than one JSON value");
        d->started = 1;
    } else if (d->depth == 1 && d->col >= 0) {
        return fail(d, d->schema->fields[d->col].name, "expected a scalar, not an object or array");
    }
    d->depth++;
    return 1;
}
static int cb_open_array(void *ctx) {
    struct fl_jdec *d = ctx;
    if (d->depth == 0) return fail(d, NULL, "value is not a JSON object");
    return cb_open(ctx);
}
static int cb_close(void *ctx) {
    struct fl_jdec *d = ctx;
    if (--d->depth == 0) {
        d->done = 1;
        d->end = yajl_get_bytes_consumed(d->h);
    }
    d->col = -1;
    return 1;
}

static const yajl_callbacks CALLBACKS = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_bool,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_open,
    .yajl_map_key = cb_key,
    .yajl_end_map = cb_close,
    .yajl_start_array = cb_open_array,
    .yajl_end_array = cb_close,
};

static fl_err_t new_handle(struct fl_jdec *d, struct fl_error *err) {
    if (d->h) yajl_free(d->h);
    d->h = yajl_alloc(&CALLBACKS, NULL, d);
    if (!d->h) return fl_errf(err, FL_ERR_NOMEM, "json decoder: out of memory");
    yajl_config(d->h, yajl_allow_multiple_values, 1);
    return FL_OK;
}

fl_err_t fl_jdec_new(const struct fl_schema *schema, struct fl_jdec **out, struct fl_error *err) {
    struct fl_jdec *d = fl_calloc(1, sizeof(*d));
    d->schema = schema;
    d->ncols = schema->nfields;
    d->mode = fl_calloc((size_t)d->ncols + 1, sizeof(int));
    d->seen = fl_calloc((size_t)d->ncols + 1, sizeof(uint32_t));
    d->gen = 1;
    d->nslots = 8;
    while (d->nslots < 2u * (uint32_t)d->ncols) d->nslots <<= 1;
    d->slots = fl_malloc(d->nslots * sizeof(int));
    for (uint32_t i = 0; i < d->nslots; i++) d->slots[i] = -1;
    for (int c = 0; c < d->ncols; c++) {
        const char *name = schema->fields[c].name;
        uint32_t i = hash(name, strlen(name)) & (d->nslots - 1);
        while (d->slots[i] >= 0) i = (i + 1) & (d->nslots - 1);
        d->slots[i] = c;
    }
    fl_err_t rc = new_handle(d, err);
    if (rc) {
        fl_jdec_free(d);
        return rc;
    }
    *out = d;
    return FL_OK;
}

void fl_jdec_free(struct fl_jdec *d) {
    if (!d) return;
    if (d->h) yajl_free(d->h);
    fl_free(d->mode);
    fl_free(d->seen);
    fl_free(d->slots);
    fl_free(d);
}

void fl_jdec_column_mode(struct fl_jdec *d, int col, int mode) {
    if (col >= 0 && col < d->ncols) d->mode[col] = mode;
}

void fl_jdec_hour_stamps(struct fl_jdec *d, bool on) { d->hour_stamps = on; }

bool fl_jdec_seen(const struct fl_jdec *d, int col) {
    return col >= 0 && col < d->ncols && d->seen[col] == d->gen &&
           d->b->cols[col].len > d->b->nrows && !fl_col_is_null(&d->b->cols[col], d->b->nrows);
}

/* The parser's own message for a broken record, on one line. */
static fl_err_t syntax_error(struct fl_jdec *d, const void *json, size_t len, struct fl_error *err) {
    unsigned char *msg = yajl_get_error(d->h, 0, json, len);
    char text[160];
    snprintf(text, sizeof(text), "%s", msg ? (const char *)msg : "parse error");
    if (msg) yajl_free_error(d->h, msg);
    for (char *p = text; *p; p++)
        if (*p == '\n') *p = ' ';
    size_t n = strlen(text);
    while (n && text[n - 1] == ' ') text[--n] = 0;
    return fl_errf(err, FL_ERR_INVALID, "value is not a JSON object: invalid JSON at byte %zu: %s",
                   yajl_get_bytes_consumed(d->h), text);
}

fl_err_t fl_jdec_row(struct fl_jdec *d, struct fl_batch *b, const void *json, size_t len,
                     struct fl_error *err) {
    if (++d->gen == 0) { /* wrapped: clear the stamps for real */
        memset(d->seen, 0, (size_t)d->ncols * sizeof(uint32_t));
        d->gen = 1;
    }
    d->b = b;
    d->depth = d->started = d->done = 0;
    d->col = -1;
    d->rc = FL_OK;
    d->err = err;
    /* the object ends at its closing brace; only whitespace may follow
     * (anything else would be the start of a value that the handle keeps
     * for the next record) */
    yajl_status st = yajl_parse(d->h, json, len);
    fl_err_t rc = d->rc;
    if (!rc && st != yajl_status_ok) rc = syntax_error(d, json, len, err);
    for (size_t i = d->end; !rc && d->done && i < len; i++) {
        char c = ((const char *)json)[i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            rc = fl_errf(err, FL_ERR_INVALID, "invalid JSON: bytes after the object at byte %zu", i);
            d->done = 0; /* the handle holds them: replace it */
        }
    }
    if (!rc && !d->done)
        rc = fl_errf(err, FL_ERR_INVALID, d->started ? "invalid JSON: the object is not closed"
                                                     : "value is not a JSON object");
    for (int c = 0; !rc && c < d->ncols; c++) {
        if (d->seen[c] == d->gen || d->mode[c] != FL_JDEC_JSON) continue;
        const struct fl_field *f = &d->schema->fields[c];
        if (f->required)
            rc = fl_errf(err, FL_ERR_INVALID, "field \"%s\": required field is missing", f->name);
        else
            rc = fl_col_append_null(&b->cols[c]);
    }
    /* a key seen with null for a CALLER_DEFAULT column left no value: not seen */
    for (int c = 0; !rc && c < d->ncols; c++)
        if (d->mode[c] == FL_JDEC_CALLER_DEFAULT && d->seen[c] == d->gen && b->cols[c].len == b->nrows)
            d->seen[c] = 0;
    if (rc) {
        fl_batch_rollback_row(b);
        /* the handle is mid-value or in error: a fresh one for the next record */
        if (st != yajl_status_ok || !d->done || d->depth) {
            struct fl_error ignore = {0};
            if (new_handle(d, &ignore)) d->h = NULL;
        }
        if (!d->h) return fl_errf(err, FL_ERR_NOMEM, "json decoder: out of memory");
    }
    return rc;
}
