/*
 * json_decode.c - yajl events into a batch row (see json_decode.h).
 *
 * Setup: each column has the key it reads (its name unless told
 * otherwise) and each capture its key; they are hashed (open addressing)
 * into key entries, each feeding a column, a capture or both, rebuilt
 * whenever the setup changes - never per record.
 *
 * State of one record: depth (0 outside the object, 1 at its keys,
 * deeper inside a skipped nested value), the entry the last key named
 * (or -1: skip), and generation stamps per column, entry and capture
 * (seen[c] == gen: the column got its value in this record; bumping gen
 * clears every stamp at once). Captured bytes go to one scratch buffer,
 * emptied per record and capped. A callback that finds an error stores
 * it and returns 0, which cancels the parse; the handle is then replaced.
 */
#include "batch/json_decode.h"
#include "batch/batch_json.h"
#include "core/mem.h"
#include "core/time.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* A key the decoder acts on: it feeds a column, a capture, or both. */
struct key {
    const char *name; /* the column's or the capture's copy */
    size_t len;
    int col, cap;  /* or -1 */
    uint32_t seen; /* gen of the record that had it */
};

struct cap {
    int kind, b;
    size_t off, len; /* bytes in the scratch buffer */
    uint32_t gen;    /* gen of the record that had it */
};

#define NEST_MAX_DEPTH 64
#define NEST_MAX_BYTES ((size_t)64 << 20)

struct fl_jdec {
    const struct fl_schema *schema;
    int ncols;
    int *mode;
    char **ckey;              /* per column: the key it reads, or NULL */
    fl_jdec_convert_fn *conv; /* per column: the caller's conversion, or NULL */
    void **conv_arg;
    uint32_t *seen; /* per column: gen of the record that set it */
    uint32_t gen;
    struct key *keys;
    int nkeys;
    int *slots; /* open addressing over keys: key index or -1 */
    uint32_t nslots;
    char **capkey;
    struct cap *caps;
    int ncaps;
    struct fl_buf scratch; /* the captured bytes of the record */
    bool hour_stamps;
    yajl_handle h;
    /* the record being parsed */
    struct fl_batch *b;
    int depth, key, started, done; /* key: the last key's entry, or -1 (skip) */
    size_t end;                    /* bytes of the record up to the object's closing brace */
    /* the value of a nested column, re-serialized as JSON text (batch.h) */
    int nest_col; /* column being captured, or -1 */
    int nest_depth;
    uint8_t nest_comma[NEST_MAX_DEPTH + 1];
    struct fl_buf nest;
    fl_err_t rc;
    struct fl_error *err;
};

static uint32_t hash(const void *p, size_t n) {
    const uint8_t *s = p;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 16777619u;
    return h;
}

/* The slot of key (n bytes): its entry's, or the empty one it would take. */
static uint32_t slot_of(const struct fl_jdec *d, const void *key, size_t n) {
    for (uint32_t i = hash(key, n) & (d->nslots - 1);; i = (i + 1) & (d->nslots - 1)) {
        int k = d->slots[i];
        if (k < 0 || (d->keys[k].len == n && !memcmp(d->keys[k].name, key, n))) return i;
    }
}

static int lookup(const struct fl_jdec *d, const unsigned char *key, size_t n) {
    return d->slots[slot_of(d, key, n)];
}

/* The entry of name, added when new. */
static struct key *entry(struct fl_jdec *d, const char *name) {
    size_t n = strlen(name);
    uint32_t i = slot_of(d, name, n);
    if (d->slots[i] >= 0) return &d->keys[d->slots[i]];
    struct key *k = &d->keys[d->nkeys];
    *k = (struct key){.name = name, .len = n, .col = -1, .cap = -1};
    d->slots[i] = d->nkeys++;
    return k;
}

/* Rebuilds the key table from the columns' keys and the captures (at
 * setup only; records never allocate). */
static void rebuild(struct fl_jdec *d) {
    int max = d->ncols + d->ncaps;
    d->nslots = 8;
    while (d->nslots < 2u * (uint32_t)max) d->nslots <<= 1;
    fl_free(d->slots);
    d->slots = fl_malloc(d->nslots * sizeof(int));
    for (uint32_t i = 0; i < d->nslots; i++) d->slots[i] = -1;
    d->keys = fl_reallocarray(d->keys, (size_t)max + 1, sizeof(*d->keys));
    d->nkeys = 0;
    for (int c = 0; c < d->ncols; c++)
        if (d->ckey[c] && d->mode[c] != FL_JDEC_CALLER) entry(d, d->ckey[c])->col = c;
    for (int i = 0; i < d->ncaps; i++) entry(d, d->capkey[i])->cap = i;
}

/* Stores the error (about field name, or the record when NULL) and
 * cancels the parse. */
static int fail(struct fl_jdec *d, const char *name, const char *why) {
    if (name)
        d->rc = fl_errf(d->err, FL_ERR_INVALID, "field \"%s\": %s", name, why);
    else
        d->rc = fl_errf(d->err, FL_ERR_INVALID, "%s", why);
    return 0;
}

/* Keeps a copy of v's bytes for the caller (fl_jdec_captured). */
static int capture(struct fl_jdec *d, const struct key *k, const struct fl_jscalar *v) {
    struct cap *cp = &d->caps[k->cap];
    *cp = (struct cap){.kind = v->kind, .b = v->b, .off = d->scratch.len, .gen = d->gen};
    if (v->kind != FL_JS_NUMBER && v->kind != FL_JS_STRING) return 1;
    if (fl_buf_append(&d->scratch, v->s, v->len)) {
        d->rc =
            fl_errf(d->err, FL_ERR_INVALID,
                    "field \"%s\": too long to derive a column from (the values kept of one record "
                    "are limited to %zu bytes)",
                    k->name, d->scratch.max);
        return 0;
    }
    cp->len = v->len;
    return 1;
}

/* ---- nested columns: the value's events echoed as compact JSON ---- */

static int nest_fail(struct fl_jdec *d, const char *why) {
    return fail(d, d->schema->fields[d->nest_col].name, why);
}

/* The separator before an item at the open level. */
static void nest_sep(struct fl_jdec *d) {
    if (d->nest_comma[d->nest_depth]) fl_buf_append_u8(&d->nest, ',');
    d->nest_comma[d->nest_depth] = 1;
}

static int nest_scalar(struct fl_jdec *d, const struct fl_jscalar *v) {
    nest_sep(d);
    fl_err_t rc;
    switch (v->kind) {
    case FL_JS_NULL:
        rc = fl_buf_append_str(&d->nest, "null");
        break;
    case FL_JS_BOOL:
        rc = fl_buf_append_str(&d->nest, v->b ? "true" : "false");
        break;
    case FL_JS_NUMBER:
        rc = fl_buf_append(&d->nest, v->s, v->len);
        break;
    default:
        rc = fl_json_put_string(&d->nest, (const uint8_t *)v->s, v->len);
    }
    return rc ? nest_fail(d, "nested value too large") : 1;
}

static int nest_open(struct fl_jdec *d, char c) {
    if (d->nest_depth >= NEST_MAX_DEPTH) return nest_fail(d, "nested too deeply");
    if (d->nest_depth) nest_sep(d);
    d->nest_comma[++d->nest_depth] = 0;
    d->depth++;
    return fl_buf_append_u8(&d->nest, (uint8_t)c) ? nest_fail(d, "nested value too large") : 1;
}

static int nest_key(struct fl_jdec *d, const unsigned char *key, size_t n) {
    nest_sep(d);
    d->nest_comma[d->nest_depth] = 0; /* the value follows without a comma */
    if (fl_json_put_string(&d->nest, key, n) || fl_buf_append_u8(&d->nest, ':'))
        return nest_fail(d, "nested value too large");
    return 1;
}

static int nest_close(struct fl_jdec *d, char c) {
    d->depth--;
    if (fl_buf_append_u8(&d->nest, (uint8_t)c)) return nest_fail(d, "nested value too large");
    if (--d->nest_depth > 0) {
        d->nest_comma[d->nest_depth] = 1;
        return 1;
    }
    struct fl_col *col = &d->b->cols[d->nest_col];
    fl_err_t rc = fl_col_append_bytes(col, d->nest.data, d->nest.len);
    d->nest_col = -1;
    d->key = -1;
    return rc ? nest_fail(d, "batch is full") : 1;
}

/* A scalar at the current position: captured, a column's value, or skipped. */
static int on_scalar(struct fl_jdec *d, struct fl_jscalar *v) {
    if (d->nest_col >= 0) return nest_scalar(d, v);
    if (d->depth == 0) return fail(d, NULL, "value is not a JSON object");
    if (d->depth > 1 || d->key < 0) return 1;
    const struct key *k = &d->keys[d->key];
    d->key = -1;
    if (k->cap >= 0 && !capture(d, k, v)) return 0;
    int c = k->col;
    if (c < 0) return 1;
    if (v->kind == FL_JS_NULL && d->mode[c] == FL_JDEC_CALLER_DEFAULT) return 1;
    struct fl_col *col = &d->b->cols[c];
    fl_err_t rc;
    int64_t us;
    if (d->conv[c] && v->kind != FL_JS_NULL)
        rc = d->conv[c](d->conv_arg[c], col, v, d->err);
    else if (d->hour_stamps && v->kind == FL_JS_STRING &&
             (col->field->type == FL_TYPE_TIMESTAMP || col->field->type == FL_TYPE_TIMESTAMPTZ) &&
             !fl_time_parse_hour_stamp(v->s, v->len, &us))
        rc = fl_col_append_i64(col, us); /* "2026-01-08-14": the hour, UTC */
    else
        rc = fl_col_append_jscalar(col, v, d->err);
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
    if (d->nest_col >= 0) return nest_key(d, key, n);
    if (d->depth != 1) return 1;
    int e = lookup(d, key, n);
    if (e >= 0) {
        struct key *k = &d->keys[e];
        if (k->seen == d->gen) return fail(d, k->name, "key appears twice");
        k->seen = d->gen; /* a repeat is caught even after a null */
        if (k->col >= 0) d->seen[k->col] = d->gen;
    }
    d->key = e;
    return 1;
}

static int open_value(struct fl_jdec *d, char c) {
    if (d->nest_col >= 0) return nest_open(d, c);
    if (d->depth == 0) {
        if (d->started) return fail(d, NULL, "more than one JSON value");
        d->started = 1;
    } else if (d->depth == 1 && d->key >= 0) {
        const struct key *k = &d->keys[d->key];
        int col = k->col;
        if (col >= 0 && k->cap < 0 && !d->conv[col] &&
            !fl_type_is_primitive(d->schema->fields[col].type)) {
            /* a nested column: keep the value's text */
            d->nest_col = col;
            d->nest_depth = 0;
            fl_buf_reset(&d->nest);
            return nest_open(d, c);
        }
        return fail(d, k->col >= 0 ? d->schema->fields[k->col].name : k->name,
                    "expected a scalar, not an object or array");
    }
    d->depth++;
    return 1;
}
static int cb_open(void *ctx) { return open_value(ctx, '{'); }
static int cb_open_array(void *ctx) {
    struct fl_jdec *d = ctx;
    if (d->depth == 0 && d->nest_col < 0) return fail(d, NULL, "value is not a JSON object");
    return open_value(d, '[');
}
static int close_value(struct fl_jdec *d, char c) {
    if (d->nest_col >= 0) return nest_close(d, c);
    if (--d->depth == 0) {
        d->done = 1;
        d->end = yajl_get_bytes_consumed(d->h);
    }
    d->key = -1;
    return 1;
}
static int cb_close_map(void *ctx) { return close_value(ctx, '}'); }
static int cb_close_array(void *ctx) { return close_value(ctx, ']'); }

static const yajl_callbacks CALLBACKS = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_bool,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_open,
    .yajl_map_key = cb_key,
    .yajl_end_map = cb_close_map,
    .yajl_start_array = cb_open_array,
    .yajl_end_array = cb_close_array,
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
    d->ckey = fl_calloc((size_t)d->ncols + 1, sizeof(char *));
    d->conv = fl_calloc((size_t)d->ncols + 1, sizeof(fl_jdec_convert_fn));
    d->conv_arg = fl_calloc((size_t)d->ncols + 1, sizeof(void *));
    for (int c = 0; c < d->ncols; c++) d->ckey[c] = fl_strdup(schema->fields[c].name);
    d->gen = 1;
    fl_buf_init(&d->scratch, FL_JDEC_CAPTURE_MAX);
    fl_buf_init(&d->nest, NEST_MAX_BYTES);
    d->nest_col = -1;
    rebuild(d);
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
    for (int c = 0; c < d->ncols; c++) fl_free(d->ckey[c]);
    for (int i = 0; i < d->ncaps; i++) fl_free(d->capkey[i]);
    fl_free(d->ckey);
    fl_free(d->capkey);
    fl_free(d->caps);
    fl_free(d->conv);
    fl_free(d->conv_arg);
    fl_free(d->mode);
    fl_free(d->seen);
    fl_free(d->keys);
    fl_free(d->slots);
    fl_buf_fini(&d->scratch);
    fl_buf_fini(&d->nest);
    fl_free(d);
}

void fl_jdec_column_mode(struct fl_jdec *d, int col, int mode) {
    if (col < 0 || col >= d->ncols) return;
    d->mode[col] = mode;
    rebuild(d);
}

void fl_jdec_column_key(struct fl_jdec *d, int col, const char *key) {
    if (col < 0 || col >= d->ncols) return;
    char *copy = key ? fl_strdup(key) : NULL;
    for (int c = 0; key && c < d->ncols; c++)
        if (c != col && d->ckey[c] && !strcmp(d->ckey[c], key)) {
            fl_free(d->ckey[c]);
            d->ckey[c] = NULL;
        }
    fl_free(d->ckey[col]);
    d->ckey[col] = copy;
    rebuild(d);
}

void fl_jdec_column_convert(struct fl_jdec *d, int col, fl_jdec_convert_fn fn, void *arg) {
    if (col < 0 || col >= d->ncols) return;
    d->conv[col] = fn;
    d->conv_arg[col] = arg;
}

int fl_jdec_capture(struct fl_jdec *d, const char *key) {
    for (int i = 0; i < d->ncaps; i++)
        if (!strcmp(d->capkey[i], key)) return i;
    d->capkey = fl_reallocarray(d->capkey, (size_t)d->ncaps + 1, sizeof(char *));
    d->caps = fl_reallocarray(d->caps, (size_t)d->ncaps + 1, sizeof(*d->caps));
    d->capkey[d->ncaps] = fl_strdup(key);
    d->caps[d->ncaps] = (struct cap){0};
    d->ncaps++;
    rebuild(d);
    return d->ncaps - 1;
}

void fl_jdec_capture_limit(struct fl_jdec *d, size_t max) { d->scratch.max = max; }

bool fl_jdec_captured(const struct fl_jdec *d, int i, struct fl_jscalar *out) {
    *out = (struct fl_jscalar){.kind = FL_JS_NULL};
    if (i < 0 || i >= d->ncaps || d->caps[i].gen != d->gen) return false;
    const struct cap *cp = &d->caps[i];
    out->kind = cp->kind;
    out->b = cp->b;
    out->s = (const char *)d->scratch.data + cp->off;
    out->len = cp->len;
    if (!d->scratch.data) out->s = "";
    return true;
}

void fl_jdec_hour_stamps(struct fl_jdec *d, bool on) { d->hour_stamps = on; }

bool fl_jdec_seen(const struct fl_jdec *d, int col) {
    return col >= 0 && col < d->ncols && d->seen[col] == d->gen &&
           d->b->cols[col].len > d->b->nrows && !fl_col_is_null(&d->b->cols[col], d->b->nrows);
}

/* The parser's own message for a broken record, on one line. */
static fl_err_t syntax_error(struct fl_jdec *d, const void *json, size_t len,
                             struct fl_error *err) {
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
        for (int i = 0; i < d->nkeys; i++) d->keys[i].seen = 0;
        for (int i = 0; i < d->ncaps; i++) d->caps[i].gen = 0;
        d->gen = 1;
    }
    d->b = b;
    d->depth = d->started = d->done = 0;
    d->key = -1;
    d->nest_col = -1;
    fl_buf_reset(&d->scratch);
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
            rc =
                fl_errf(err, FL_ERR_INVALID, "invalid JSON: bytes after the object at byte %zu", i);
            d->done = 0; /* the handle holds them: replace it */
        }
    }
    if (!rc && !d->done)
        rc = fl_errf(err, FL_ERR_INVALID,
                     d->started ? "invalid JSON: the object is not closed"
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
        if (d->mode[c] == FL_JDEC_CALLER_DEFAULT && d->seen[c] == d->gen &&
            b->cols[c].len == b->nrows)
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
