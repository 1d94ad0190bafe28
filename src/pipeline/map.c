/*
 * map.c - rename, cast and derive (see map.h).
 *
 * Compiling: a table of names to sources is rewritten step by step - a
 * name nobody mentioned reads the record field of its name; rename moves
 * a source to a new name and leaves the old name empty; cast marks a
 * source for lenient conversion; derive gives a name a computed source.
 * Each table column then takes the source its name ends with.
 *
 * Planning (at bind): which column reads which record key straight from
 * the streaming decoder, and what the map appends itself after the
 * decoder's row. Plain field columns claim their key first, then casts,
 * date() and hour(); a key already claimed is captured instead (the
 * decoder copies its scalar aside) and converted here after the row.
 * Positions, the clock, constants and renamed-away columns are always
 * appended here. Applying: fl_jdec_row, then one pass over that list.
 */
#include "pipeline/map.h"
#include "batch/batch_json.h"
#include "batch/json_decode.h"
#include "core/mem.h"
#include "core/time.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum src_kind {
    SRC_NONE,    /* renamed away: null */
    SRC_KEY,     /* the record field `key` */
    SRC_KEY_NOW, /* the record field, else the processing time (processed_timestamp) */
    SRC_NOW,
    SRC_TOPIC,
    SRC_PARTITION,
    SRC_OFFSET,
    SRC_TIMESTAMP, /* the log record's timestamp (_kafka_timestamp) */
    SRC_CONST,
    SRC_DATE_OF, /* the day of the record field `key` */
    SRC_HOUR_OF  /* the record field `key`, an hour stamp */
};

struct src {
    enum src_kind kind;
    char *key;              /* record field, for KEY, KEY_NOW, DATE_OF, HOUR_OF */
    int cast;               /* lenient conversion to the column's type */
    int64_t unit_us;        /* cast: microseconds per unit of epoch numbers */
    struct fl_schema *ksch; /* CONST: the one column's schema and its one row */
    struct fl_batch *kval;
    int direct; /* the decoder appends it from the key */
    int cap;    /* else: the capture of the key, or -1 */
};

struct name_src {
    char *name;
    struct src s;
};

struct env {
    struct name_src *v;
    int n;
};

struct fl_pipe_map {
    struct fl_pipe_map_step *steps;
    int nsteps;
    int32_t schema_id;
    int ncols;
    struct src *cols; /* per column of the bound schema */
    int *fill;        /* the columns the map appends after the decoder's row */
    int nfill;
    char **caps; /* the keys captured, in capture order */
    int ncaps;
};

static void src_fini(struct src *s) {
    fl_free(s->key);
    fl_batch_free(s->kval);
    fl_schema_free(s->ksch);
    memset(s, 0, sizeof(*s));
}

static void cols_free(struct fl_pipe_map *m) {
    for (int i = 0; i < m->ncols; i++) src_fini(&m->cols[i]);
    for (int i = 0; i < m->ncaps; i++) fl_free(m->caps[i]);
    fl_free(m->cols);
    fl_free(m->fill);
    fl_free(m->caps);
    m->cols = NULL;
    m->fill = NULL;
    m->caps = NULL;
    m->ncols = m->nfill = m->ncaps = 0;
}

/* ---- compiling ---- */

static struct name_src *env_find(struct env *e, const char *name) {
    for (int i = 0; i < e->n; i++)
        if (!strcmp(e->v[i].name, name)) return &e->v[i];
    return NULL;
}

/* The current source of name: its entry, or the record field of its name. */
static struct src env_get(struct env *e, const char *name) {
    struct name_src *ns = env_find(e, name);
    if (ns) return ns->s;
    return (struct src){.kind = SRC_KEY, .key = (char *)name};
}

/* Sets name's source (copying its key). */
static void env_set(struct env *e, const char *name, struct src s) {
    struct name_src *ns = env_find(e, name);
    char *key = s.key ? fl_strdup(s.key) : NULL;
    if (!ns) {
        e->v = fl_reallocarray(e->v, (size_t)e->n + 1, sizeof(*e->v));
        ns = &e->v[e->n++];
        ns->name = fl_strdup(name);
    } else {
        fl_free(ns->s.key);
    }
    ns->s = s;
    ns->s.key = key;
}

static void env_fini(struct env *e) {
    for (int i = 0; i < e->n; i++) {
        fl_free(e->v[i].name);
        fl_free(e->v[i].s.key);
    }
    fl_free(e->v);
}

static fl_err_t step_err(struct fl_error *err, const struct fl_pipe_map_step *st, const char *fmt,
                         ...) __attribute__((format(printf, 3, 4)));
static fl_err_t step_err(struct fl_error *err, const struct fl_pipe_map_step *st, const char *fmt,
                         ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    static const char *const kinds[] = {"rename", "cast", "derive"};
    return fl_errf(err, FL_ERR_INVALID, "%s%smap step %s: %s", st->where ? st->where : "",
                   st->where ? ": " : "", kinds[st->kind], msg);
}

/* "date(ts)" -> "ts" into out; 0 when s is not fn(...). */
static int call_arg(const char *s, const char *fn, char *out, size_t outsz) {
    size_t n = strlen(fn), len = strlen(s);
    if (strncmp(s, fn, n) || s[n] != '(' || len < n + 3 || s[len - 1] != ')') return 0;
    size_t an = len - n - 2;
    if (an >= outsz) return 0;
    memcpy(out, s + n + 1, an);
    out[an] = 0;
    return 1;
}

static int is_ts(fl_type_id_t t) { return t == FL_TYPE_TIMESTAMP || t == FL_TYPE_TIMESTAMPTZ; }

static fl_err_t compile_derive(struct env *e, const struct fl_schema *schema,
                               const struct fl_pipe_map_step *st, struct fl_error *err) {
    int c = fl_schema_index_by_name(schema, st->column);
    if (c < 0) return step_err(err, st, "the table has no column %s", st->column);
    const struct fl_field *f = &schema->fields[c];
    struct src s = {0};
    char arg[256];
    if (st->value) {
        s.kind = SRC_CONST;
    } else if (!strcmp(st->from, "now")) {
        if (!is_ts(f->type) && f->type != FL_TYPE_LONG)
            return step_err(err, st, "now needs a timestamp or long column, not %s", st->column);
        s.kind = SRC_NOW;
    } else if (!strcmp(st->from, "topic")) {
        if (f->type != FL_TYPE_STRING)
            return step_err(err, st, "topic needs a string column, not %s", st->column);
        s.kind = SRC_TOPIC;
    } else if (!strcmp(st->from, "partition")) {
        if (f->type != FL_TYPE_INT && f->type != FL_TYPE_LONG)
            return step_err(err, st, "partition needs an int or long column, not %s", st->column);
        s.kind = SRC_PARTITION;
    } else if (!strcmp(st->from, "offset")) {
        if (f->type != FL_TYPE_LONG)
            return step_err(err, st, "offset needs a long column, not %s", st->column);
        s.kind = SRC_OFFSET;
    } else if (!strcmp(st->from, "timestamp")) {
        if (!is_ts(f->type))
            return step_err(err, st, "timestamp needs a timestamp column, not %s", st->column);
        s.kind = SRC_TIMESTAMP;
    } else if (call_arg(st->from, "date", arg, sizeof(arg)) ||
               call_arg(st->from, "hour", arg, sizeof(arg))) {
        int date = st->from[0] == 'd';
        if (date ? f->type != FL_TYPE_DATE && f->type != FL_TYPE_STRING : !is_ts(f->type))
            return step_err(err, st,
                            date ? "date() needs a date or string column, not %s"
                                 : "hour() needs a timestamp column, not %s",
                            st->column);
        struct src in = env_get(e, arg);
        if (in.kind != SRC_KEY && in.kind != SRC_KEY_NOW)
            return step_err(err, st, "%s is not a field of the record (derived or renamed away)",
                            arg);
        s.kind = date ? SRC_DATE_OF : SRC_HOUR_OF;
        s.key = in.key;
    } else {
        return step_err(err, st,
                        "unknown source \"%s\" (now, topic, partition, offset, timestamp, "
                        "date(FIELD), hour(FIELD))",
                        st->from);
    }
    env_set(e, st->column, s);
    return FL_OK;
}

/* Whether s is a JSON number (RFC 8259's grammar). */
static int json_number(const char *s) {
    if (*s == '-') s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9') s++;
    else
        return 0;
    if (*s == '.') {
        if (*++s < '0' || *s > '9') return 0;
        while (*s >= '0' && *s <= '9') s++;
    }
    if (*s == 'e' || *s == 'E') {
        if (*++s == '+' || *s == '-') s++;
        if (*s < '0' || *s > '9') return 0;
        while (*s >= '0' && *s <= '9') s++;
    }
    return *s == 0;
}

/* A constant converted once into a one-row column of f's type: text for
 * a string column; else read as a JSON scalar (null, true, false, a
 * number, a quoted string) or, failing that, as text. */
static fl_err_t compile_const(struct src *s, const struct fl_schema *schema, int c,
                              const struct fl_pipe_map_step *st, struct fl_error *err) {
    s->ksch = fl_schema_select(schema, &c, 1);
    s->ksch->fields[0].required = false;
    fl_err_t rc = fl_batch_new(s->ksch, 1, &s->kval, err);
    if (rc) return rc;
    const char *v = st->value;
    size_t n = strlen(v);
    struct fl_jscalar j = {.kind = FL_JS_STRING, .s = v, .len = n};
    if (schema->fields[c].type != FL_TYPE_STRING) {
        if (!strcmp(v, "null"))
            j.kind = FL_JS_NULL;
        else if (!strcmp(v, "true") || !strcmp(v, "false"))
            j = (struct fl_jscalar){.kind = FL_JS_BOOL, .b = v[0] == 't'};
        else if (json_number(v))
            j.kind = FL_JS_NUMBER;
        else if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
            j = (struct fl_jscalar){FL_JS_STRING, 0, v + 1, n - 2};
    }
    struct fl_error e = {0};
    rc = fl_col_append_jscalar(&s->kval->cols[0], &j, &e);
    if (!rc) rc = fl_batch_end_row(s->kval);
    if (rc) return step_err(err, st, "value does not fit: %s", e.msg[0] ? e.msg : fl_err_name(rc));
    return FL_OK;
}

static int reads_key(const struct src *s) {
    return s->kind == SRC_KEY || s->kind == SRC_KEY_NOW || s->kind == SRC_DATE_OF ||
           s->kind == SRC_HOUR_OF;
}

/* Which columns the decoder fills from their key, which keys it
 * captures, which columns the map appends (see the top of the file). */
static void plan(struct fl_pipe_map *m) {
    m->fill = fl_calloc((size_t)m->ncols + 1, sizeof(int));
    m->caps = fl_calloc((size_t)m->ncols + 1, sizeof(char *));
    for (int pass = 0; pass < 2; pass++) {
        for (int c = 0; c < m->ncols; c++) {
            struct src *s = &m->cols[c];
            int plain = (s->kind == SRC_KEY || s->kind == SRC_KEY_NOW) && !s->cast;
            if (!reads_key(s) || plain != (pass == 0)) continue;
            int claimed = 0;
            for (int o = 0; o < m->ncols && !claimed; o++)
                claimed = m->cols[o].direct && !strcmp(m->cols[o].key, s->key);
            s->cap = -1;
            if (!claimed) {
                s->direct = 1;
                continue;
            }
            for (int i = 0; i < m->ncaps && s->cap < 0; i++)
                if (!strcmp(m->caps[i], s->key)) s->cap = i;
            if (s->cap < 0) {
                s->cap = m->ncaps;
                m->caps[m->ncaps++] = fl_strdup(s->key);
            }
        }
    }
    for (int c = 0; c < m->ncols; c++)
        if (!m->cols[c].direct || m->cols[c].kind == SRC_KEY_NOW) m->fill[m->nfill++] = c;
}

fl_err_t fl_pipe_map_bind(struct fl_pipe_map *m, const struct fl_schema *schema,
                          struct fl_error *err) {
    if (m->cols && m->schema_id == schema->schema_id) return FL_OK;
    cols_free(m);
    struct env e = {0};
    fl_err_t rc = FL_OK;
    for (int i = 0; i < m->nsteps && !rc; i++) {
        const struct fl_pipe_map_step *st = &m->steps[i];
        if (st->kind == FL_PIPE_MAP_RENAME) {
            if (!strcmp(st->from, st->column)) continue;
            struct src s = env_get(&e, st->from);
            char *key = s.key ? fl_strdup(s.key) : NULL; /* env_set below may free it */
            s.key = key;
            env_set(&e, st->column, s);
            fl_free(key);
            env_set(&e, st->from, (struct src){.kind = SRC_NONE});
        } else if (st->kind == FL_PIPE_MAP_CAST) {
            if (fl_schema_index_by_name(schema, st->column) < 0)
                rc = step_err(err, st, "the table has no column %s", st->column);
            else {
                struct src s = env_get(&e, st->column);
                char *key = s.key ? fl_strdup(s.key) : NULL;
                s.key = key;
                s.cast = 1;
                s.unit_us = !st->from || !strcmp(st->from, "s") ? 1000000
                            : !strcmp(st->from, "ms")           ? 1000
                                                                : 1;
                env_set(&e, st->column, s);
                fl_free(key);
            }
        } else if (st->kind == FL_PIPE_MAP_DERIVE) {
            rc = compile_derive(&e, schema, st, err);
        } else {
            rc = fl_errf(err, FL_ERR_INVALID, "map step %d: unknown kind", i + 1);
        }
    }
    m->cols = fl_calloc((size_t)schema->nfields + 1, sizeof(*m->cols));
    m->ncols = schema->nfields;
    m->schema_id = schema->schema_id;
    for (int c = 0; c < schema->nfields && !rc; c++) {
        const struct fl_field *f = &schema->fields[c];
        struct name_src *ns = env_find(&e, f->name);
        struct src *s = &m->cols[c];
        if (ns) {
            *s = ns->s;
            s->key = ns->s.key ? fl_strdup(ns->s.key) : NULL;
        } else {
            /* the defaults: seed 004's bronze columns */
            s->kind = SRC_KEY;
            if (!strcmp(f->name, "_kafka_topic") && f->type == FL_TYPE_STRING)
                s->kind = SRC_TOPIC;
            else if (!strcmp(f->name, "_kafka_partition") &&
                     (f->type == FL_TYPE_INT || f->type == FL_TYPE_LONG))
                s->kind = SRC_PARTITION;
            else if (!strcmp(f->name, "_kafka_offset") && f->type == FL_TYPE_LONG)
                s->kind = SRC_OFFSET;
            else if (!strcmp(f->name, "_kafka_timestamp") && is_ts(f->type))
                s->kind = SRC_TIMESTAMP;
            else if (!strcmp(f->name, "processed_timestamp") &&
                     (is_ts(f->type) || f->type == FL_TYPE_LONG))
                s->kind = SRC_KEY_NOW;
            if (s->kind == SRC_KEY || s->kind == SRC_KEY_NOW) s->key = fl_strdup(f->name);
        }
        if (s->kind == SRC_CONST) {
            const struct fl_pipe_map_step *st = NULL;
            for (int i = m->nsteps - 1; i >= 0 && !st; i--)
                if (m->steps[i].kind == FL_PIPE_MAP_DERIVE && m->steps[i].value &&
                    !strcmp(m->steps[i].column, f->name))
                    st = &m->steps[i];
            rc = compile_const(s, schema, c, st, err);
        }
    }
    env_fini(&e);
    if (!rc) plan(m);
    if (rc) cols_free(m);
    return rc;
}

fl_err_t fl_pipe_map_new(const struct fl_schema *schema, const struct fl_pipe_map_step *steps,
                         int n, struct fl_pipe_map **out, struct fl_error *err) {
    struct fl_pipe_map *m = fl_calloc(1, sizeof(*m));
    if (n > 0) m->steps = fl_calloc((size_t)n, sizeof(*m->steps));
    for (int i = 0; i < n; i++) {
        const struct fl_pipe_map_step *s = &steps[i];
        if (!s->column || (s->kind == FL_PIPE_MAP_RENAME && !s->from) ||
            (s->kind == FL_PIPE_MAP_DERIVE && !s->from == !s->value)) {
            fl_pipe_map_free(m);
            return fl_errf(err, FL_ERR_INVALID, "%s%smap step %d is incomplete",
                           s->where ? s->where : "", s->where ? ": " : "", i + 1);
        }
        m->steps[i] = (struct fl_pipe_map_step){
            s->kind, fl_strdup(s->column), s->from ? fl_strdup(s->from) : NULL,
            s->value ? fl_strdup(s->value) : NULL, s->where ? fl_strdup(s->where) : NULL};
        m->nsteps++;
    }
    fl_err_t rc = fl_pipe_map_bind(m, schema, err);
    if (rc) {
        fl_pipe_map_free(m);
        return rc;
    }
    *out = m;
    return FL_OK;
}

void fl_pipe_map_free(struct fl_pipe_map *m) {
    if (!m) return;
    cols_free(m);
    for (int i = 0; i < m->nsteps; i++) {
        fl_free((char *)m->steps[i].column);
        fl_free((char *)m->steps[i].from);
        fl_free((char *)m->steps[i].value);
        fl_free((char *)m->steps[i].where);
    }
    fl_free(m->steps);
    fl_free(m);
}

/* ---- applying ---- */

/* v's text NUL-terminated in buf; 0 when it does not fit (or holds a
 * NUL): no number is that long. */
static int text_of(const struct fl_jscalar *v, char *buf, size_t bufsz) {
    if (v->len >= bufsz || memchr(v->s, 0, v->len)) return 0;
    memcpy(buf, v->s, v->len);
    buf[v->len] = 0;
    return 1;
}

/* The whole of text as a double (strtod's syntax). */
static int text_double(const char *text, double *d) {
    char *end;
    errno = 0;
    *d = strtod(text, &end);
    return *text && !*end && !errno;
}

static int text_is(const struct fl_jscalar *v, const char *lit) {
    return v->len == strlen(lit) && !memcmp(v->s, lit, v->len);
}

/* A timestamp in any form a record carries it: ISO text, an hour stamp,
 * or a number (or numeric text) of unit_us microseconds; unit_us 0: of
 * the unit its magnitude tells (fl_time_epoch_guess_us). */
static int value_us(const struct fl_jscalar *v, int64_t unit_us, int64_t *us) {
    char text[64];
    double d;
    if (v->kind == FL_JS_STRING &&
        (!fl_time_parse_hour_stamp(v->s, v->len, us) || !fl_time_parse_iso(v->s, v->len, us)))
        return 1;
    if ((v->kind != FL_JS_STRING && v->kind != FL_JS_NUMBER) || !text_of(v, text, sizeof(text)))
        return 0;
    if (fl_jscalar_is_integer(v)) {
        char *end;
        errno = 0;
        long long i = strtoll(text, &end, 10);
        if (*end || errno) return 0;
        if (unit_us == 0) return fl_time_epoch_guess_us(i, us) == FL_OK;
        if (i > FL_TIME_MAX_US / unit_us || i < FL_TIME_MIN_US / unit_us) return 0;
        *us = i * unit_us;
        return 1;
    }
    if (!text_double(text, &d)) return 0;
    if (unit_us == 0) return fl_time_epoch_guess_us_double(d, us) == FL_OK;
    d *= (double)unit_us;
    if (!(d >= (double)FL_TIME_MIN_US && d <= (double)FL_TIME_MAX_US)) return 0;
    *us = (int64_t)d;
    return 1;
}

static int64_t floor_div(int64_t a, int64_t b) {
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static fl_err_t bad(struct fl_error *err, const struct fl_field *f, const char *why) {
    return fl_errf(err, FL_ERR_INVALID, "map: column %s: %s", f->name, why);
}

/* No step: the decoder's own rules (hour stamps are timestamps without
 * asking, seed 001's ts). */
static fl_err_t plain_append(struct fl_col *col, const struct fl_jscalar *v, struct fl_error *err) {
    int64_t us;
    if (is_ts(col->field->type) && v->kind == FL_JS_STRING &&
        !fl_time_parse_hour_stamp(v->s, v->len, &us))
        return fl_col_append_i64(col, us);
    return fl_col_append_jscalar(col, v, err);
}

/* cast: the lenient conversions map.h lists; anything else as plain decode. */
static fl_err_t cast_append(struct fl_col *col, const struct fl_jscalar *v, int64_t unit_us,
                            struct fl_error *err) {
    const struct fl_field *f = col->field;
    char buf[64];
    double d;
    int64_t us;
    int32_t days;
    switch (f->type) {
    case FL_TYPE_STRING:
        if (v->kind == FL_JS_BOOL) {
            snprintf(buf, sizeof(buf), "%s", v->b ? "true" : "false");
        } else if (v->kind == FL_JS_NUMBER) {
            if (!text_of(v, buf, sizeof(buf))) return fl_col_append_bytes(col, v->s, v->len);
            if (fl_jscalar_is_integer(v)) { /* as the number reads: "-0" -> "0" */
                char *end;
                errno = 0;
                long long i = strtoll(buf, &end, 10);
                if (!errno) snprintf(buf, sizeof(buf), "%lld", i);
            } else if (text_double(buf, &d)) { /* the shortest text of the double */
                for (int p = 1; p <= 17; p++) {
                    snprintf(buf, sizeof(buf), "%.*g", p, d);
                    if (strtod(buf, NULL) == d) break;
                }
            }
        } else {
            break;
        }
        return fl_col_append_bytes(col, buf, strlen(buf));
    case FL_TYPE_BOOLEAN:
        if (fl_jscalar_is_integer(v) && (text_is(v, "0") || text_is(v, "1")))
            return fl_col_append_bool(col, v->s[0] == '1');
        if (v->kind == FL_JS_STRING) {
            if (text_is(v, "true") || text_is(v, "1") || text_is(v, "yes"))
                return fl_col_append_bool(col, true);
            if (text_is(v, "false") || text_is(v, "0") || text_is(v, "no"))
                return fl_col_append_bool(col, false);
            return bad(err, f, "expected true/false, 1/0 or yes/no");
        }
        break;
    case FL_TYPE_INT:
    case FL_TYPE_LONG: {
        if (v->kind == FL_JS_STRING) {
            if (!text_of(v, buf, sizeof(buf)) || !text_double(buf, &d))
                return bad(err, f, "expected a number");
        } else if (v->kind == FL_JS_NUMBER && !fl_jscalar_is_integer(v)) {
            if (!text_of(v, buf, sizeof(buf)) || !text_double(buf, &d))
                return bad(err, f, "not an integer in range");
        } else {
            break;
        }
        double lo = f->type == FL_TYPE_INT ? -2147483648.0 : -9223372036854775808.0;
        if (d != floor(d) || d < lo || d >= -lo) return bad(err, f, "not an integer in range");
        return f->type == FL_TYPE_INT ? fl_col_append_i32(col, (int32_t)d)
                                      : fl_col_append_i64(col, (int64_t)d);
    }
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ:
        if (!value_us(v, unit_us, &us))
            return bad(err, f, "expected a timestamp or an epoch number");
        return fl_col_append_i64(col, us);
    case FL_TYPE_DATE:
        if (v->kind == FL_JS_STRING && !fl_time_parse_date(v->s, v->len, &days))
            return fl_col_append_i32(col, days);
        if (v->kind == FL_JS_STRING && value_us(v, unit_us, &us))
            return fl_col_append_i32(col, (int32_t)floor_div(us, FL_US_PER_DAY));
        break;
    default:
        break;
    }
    struct fl_error e = {0};
    fl_err_t rc = fl_col_append_jscalar(col, v, &e);
    if (rc) fl_errf(err, rc, "map: cast: %s", e.msg[0] ? e.msg : fl_err_name(rc));
    return rc;
}

/* A non-null record value into its column by the column's source: the
 * decoder's conversion hook, and the map's own for captured keys. */
static fl_err_t convert(void *arg, struct fl_col *col, const struct fl_jscalar *v,
                        struct fl_error *err) {
    const struct src *s = arg;
    const struct fl_field *f = col->field;
    int64_t us;
    if (s->kind == SRC_DATE_OF) {
        if (!value_us(v, 0, &us)) return bad(err, f, "date(): the field is not a timestamp");
        int32_t days = (int32_t)floor_div(us, FL_US_PER_DAY);
        if (f->type == FL_TYPE_DATE) return fl_col_append_i32(col, days);
        char d[16];
        fl_time_format_date(days, d, sizeof(d));
        return fl_col_append_bytes(col, d, strlen(d));
    }
    if (s->kind == SRC_HOUR_OF) {
        if (v->kind != FL_JS_STRING || fl_time_parse_hour_stamp(v->s, v->len, &us))
            return bad(err, f, "hour(): expected an hour stamp YYYY-MM-DD-HH");
        return fl_col_append_i64(col, us);
    }
    return s->cast ? cast_append(col, v, s->unit_us, err) : plain_append(col, v, err);
}

fl_err_t fl_pipe_map_decoder(const struct fl_pipe_map *m, const struct fl_schema *schema,
                             struct fl_jdec **out, struct fl_error *err) {
    if (!m->cols || schema->schema_id != m->schema_id || schema->nfields != m->ncols)
        return fl_errf(err, FL_ERR_INVALID, "map: the decoder's schema is not the bound one");
    struct fl_jdec *d = NULL;
    fl_err_t rc = fl_jdec_new(schema, &d, err);
    if (rc) return rc;
    fl_jdec_hour_stamps(d, true);
    for (int c = 0; c < m->ncols; c++) {
        const struct src *s = &m->cols[c];
        if (!s->direct) {
            fl_jdec_column_key(d, c, NULL);
            fl_jdec_column_mode(d, c, FL_JDEC_CALLER);
            continue;
        }
        fl_jdec_column_key(d, c, s->key);
        fl_jdec_column_mode(d, c, s->kind == SRC_KEY_NOW ? FL_JDEC_CALLER_DEFAULT : FL_JDEC_JSON);
        if (s->cast || s->kind == SRC_DATE_OF || s->kind == SRC_HOUR_OF)
            fl_jdec_column_convert(d, c, convert, (void *)s);
    }
    for (int i = 0; i < m->ncaps; i++) fl_jdec_capture(d, m->caps[i]);
    *out = d;
    return FL_OK;
}

/* Appends column c, one the map fills after the decoder's row. */
static fl_err_t fill(const struct fl_pipe_map *m, int c, const struct fl_jdec *d,
                     struct fl_col *col, const struct fl_pipe_map_pos *pos, struct fl_error *err) {
    const struct src *s = &m->cols[c];
    const struct fl_field *f = col->field;
    struct fl_jscalar v = {.kind = FL_JS_NULL};
    bool had = false;
    switch (s->kind) {
    case SRC_NOW:
        return fl_col_append_i64(col, pos->now_us);
    case SRC_TOPIC:
        return fl_col_append_bytes(col, pos->topic, strlen(pos->topic));
    case SRC_PARTITION:
        return f->type == FL_TYPE_INT ? fl_col_append_i32(col, pos->partition)
                                      : fl_col_append_i64(col, pos->partition);
    case SRC_OFFSET:
        return fl_col_append_i64(col, pos->offset);
    case SRC_TIMESTAMP:
        return pos->timestamp_ms < 0 ? fl_col_append_null(col)
                                     : fl_col_append_i64(col, pos->timestamp_ms * 1000);
    case SRC_CONST:
        return fl_col_append_from(col, &s->kval->cols[0], 0);
    case SRC_KEY_NOW:
        if (s->direct) return fl_jdec_seen(d, c) ? FL_OK : fl_col_append_i64(col, pos->now_us);
        if (!fl_jdec_captured(d, s->cap, &v) || v.kind == FL_JS_NULL)
            return fl_col_append_i64(col, pos->now_us);
        return convert((void *)s, col, &v, err);
    case SRC_NONE:
        break;
    default:
        had = fl_jdec_captured(d, s->cap, &v);
        if (v.kind != FL_JS_NULL) return convert((void *)s, col, &v, err);
        break;
    }
    if (!f->required) return fl_col_append_null(col);
    return fl_errf(err, FL_ERR_INVALID, "field \"%s\": required field is %s", f->name,
                   s->kind == SRC_NONE ? "renamed away"
                   : had               ? "null"
                                       : "missing");
}

fl_err_t fl_pipe_map_row(const struct fl_pipe_map *m, struct fl_jdec *d, struct fl_batch *b,
                         const void *json, size_t len, const struct fl_pipe_map_pos *pos,
                         struct fl_error *err) {
    if (b->ncols != m->ncols)
        return fl_errf(err, FL_ERR_INVALID, "map: the batch's schema is not the bound one");
    fl_err_clear(err);
    fl_err_t rc = fl_jdec_row(d, b, json, len, err);
    for (int i = 0; i < m->nfill && !rc; i++) {
        int c = m->fill[i];
        if ((rc = fill(m, c, d, &b->cols[c], pos, err)) && !err->msg[0])
            fl_errf(err, rc, "column %s: %s", b->cols[c].field->name, fl_err_name(rc));
    }
    if (rc) fl_batch_rollback_row(b);
    return rc;
}
