/*
 * map.c - rename, cast and derive (see map.h).
 *
 * Compiling: a table of names to sources is rewritten step by step - a
 * name nobody mentioned reads the record field of its name; rename moves
 * a source to a new name and leaves the old name empty; cast marks a
 * source for lenient conversion; derive gives a name a computed source.
 * Each table column then takes the source its name ends with. Applying:
 * one pass over the columns, appending to the batch's columns directly.
 */
#include "pipeline/map.h"
#include "batch/batch_json.h"
#include "core/mem.h"
#include "core/time.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum src_kind {
    SRC_NONE,     /* renamed away: null */
    SRC_KEY,      /* the record field `key` */
    SRC_KEY_NOW,  /* the record field, else the processing time (processed_timestamp) */
    SRC_NOW,
    SRC_TOPIC,
    SRC_PARTITION,
    SRC_OFFSET,
    SRC_CONST,
    SRC_DATE_OF,  /* the day of the record field `key` */
    SRC_HOUR_OF   /* the record field `key`, an hour stamp */
};

struct src {
    enum src_kind kind;
    char *key;          /* record field, for KEY, KEY_NOW, DATE_OF, HOUR_OF */
    int cast;           /* lenient conversion to the column's type */
    int64_t unit_us;    /* cast: microseconds per unit of epoch numbers */
    struct fl_schema *ksch; /* CONST: the one column's schema and its one row */
    struct fl_batch *kval;
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
    struct env names; /* the compiled names -> sources, for fl_pipe_map_source */
    int nsteps;
    int32_t schema_id;
    int ncols;
    struct src *cols; /* per column of the bound schema */
};

static void src_fini(struct src *s) {
    fl_free(s->key);
    fl_batch_free(s->kval);
    fl_schema_free(s->ksch);
    memset(s, 0, sizeof(*s));
}

static void cols_free(struct fl_pipe_map *m) {
    for (int i = 0; i < m->ncols; i++) src_fini(&m->cols[i]);
    fl_free(m->cols);
    m->cols = NULL;
    m->ncols = 0;
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
        if (f->type != FL_TYPE_STRING) return step_err(err, st, "topic needs a string column, not %s", st->column);
        s.kind = SRC_TOPIC;
    } else if (!strcmp(st->from, "partition")) {
        if (f->type != FL_TYPE_INT && f->type != FL_TYPE_LONG)
            return step_err(err, st, "partition needs an int or long column, not %s", st->column);
        s.kind = SRC_PARTITION;
    } else if (!strcmp(st->from, "offset")) {
        if (f->type != FL_TYPE_LONG) return step_err(err, st, "offset needs a long column, not %s", st->column);
        s.kind = SRC_OFFSET;
    } else if (call_arg(st->from, "date", arg, sizeof(arg)) || call_arg(st->from, "hour", arg, sizeof(arg))) {
        int date = st->from[0] == 'd';
        if (date ? f->type != FL_TYPE_DATE && f->type != FL_TYPE_STRING : !is_ts(f->type))
            return step_err(err, st, date ? "date() needs a date or string column, not %s"
                                          : "hour() needs a timestamp column, not %s", st->column);
        struct src in = env_get(e, arg);
        if (in.kind != SRC_KEY && in.kind != SRC_KEY_NOW)
            return step_err(err, st, "%s is not a field of the record (derived or renamed away)", arg);
        s.kind = date ? SRC_DATE_OF : SRC_HOUR_OF;
        s.key = in.key;
    } else {
        return step_err(err, st, "unknown source \"%s\" (now, topic, partition, offset, date(FIELD), hour(FIELD))",
                        st->from);
    }
    env_set(e, st->column, s);
    return FL_OK;
}

/* A constant converted once into a one-row column of f's type. */
static fl_err_t compile_const(struct src *s, const struct fl_schema *schema, int c,
                              const struct fl_pipe_map_step *st, struct fl_error *err) {
    s->ksch = fl_schema_select(schema, &c, 1);
    s->ksch->fields[0].required = false;
    fl_err_t rc = fl_batch_new(s->ksch, 1, &s->kval, err);
    if (rc) return rc;
    json_t *j = NULL;
    if (schema->fields[c].type != FL_TYPE_STRING)
        j = json_loads(st->value, JSON_DECODE_ANY, NULL);
    if (!j) j = json_string(st->value);
    struct fl_error e = {0};
    rc = j ? fl_col_append_json(&s->kval->cols[0], j, &e) : FL_ERR_INVALID;
    json_decref(j);
    if (!rc) rc = fl_batch_end_row(s->kval);
    if (rc) return step_err(err, st, "value does not fit: %s", e.msg[0] ? e.msg : "not UTF-8 text");
    return FL_OK;
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
                s.unit_us = !st->from || !strcmp(st->from, "s") ? 1000000 : !strcmp(st->from, "ms") ? 1000 : 1;
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
            if (!strcmp(f->name, "_kafka_topic") && f->type == FL_TYPE_STRING) s->kind = SRC_TOPIC;
            else if (!strcmp(f->name, "_kafka_partition") && (f->type == FL_TYPE_INT || f->type == FL_TYPE_LONG))
                s->kind = SRC_PARTITION;
            else if (!strcmp(f->name, "_kafka_offset") && f->type == FL_TYPE_LONG) s->kind = SRC_OFFSET;
            else if (!strcmp(f->name, "processed_timestamp") && (is_ts(f->type) || f->type == FL_TYPE_LONG))
                s->kind = SRC_KEY_NOW;
            if (s->kind == SRC_KEY || s->kind == SRC_KEY_NOW) s->key = fl_strdup(f->name);
        }
        if (s->kind == SRC_CONST) {
            const struct fl_pipe_map_step *st = NULL;
            for (int i = m->nsteps - 1; i >= 0 && !st; i--)
                if (m->steps[i].kind == FL_PIPE_MAP_DERIVE && m->steps[i].value && !strcmp(m->steps[i].column, f->name))
                    st = &m->steps[i];
            rc = compile_const(s, schema, c, st, err);
        }
    }
    env_fini(&m->names);
    m->names = e;
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
            return fl_errf(err, FL_ERR_INVALID, "%s%smap step %d is incomplete", s->where ? s->where : "",
                           s->where ? ": " : "", i + 1);
        }
        m->steps[i] = (struct fl_pipe_map_step){s->kind, fl_strdup(s->column), s->from ? fl_strdup(s->from) : NULL,
                                                s->value ? fl_strdup(s->value) : NULL,
                                                s->where ? fl_strdup(s->where) : NULL};
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

const char *fl_pipe_map_source(const struct fl_pipe_map *m, const char *column) {
    for (int i = 0; i < m->names.n; i++)
        if (!strcmp(m->names.v[i].name, column))
            return m->names.v[i].s.kind == SRC_KEY || m->names.v[i].s.kind == SRC_KEY_NOW ? m->names.v[i].s.key
                                                                                            : NULL;
    return column;
}

void fl_pipe_map_free(struct fl_pipe_map *m) {
    if (!m) return;
    cols_free(m);
    env_fini(&m->names);
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

/* Seed 001's hour stamps: "2026-01-08-14". */
static int parse_hour(const char *s, size_t len, int64_t *us) {
    if (len != 13 || s[4] != '-' || s[7] != '-' || s[10] != '-') return 0;
    for (size_t i = 0; i < len; i++)
        if (i != 4 && i != 7 && i != 10 && (s[i] < '0' || s[i] > '9')) return 0;
    int32_t days;
    if (fl_time_parse_date(s, 10, &days)) return 0;
    int h = (s[11] - '0') * 10 + (s[12] - '0');
    if (h > 23) return 0;
    *us = (int64_t)days * FL_US_PER_DAY + (int64_t)h * 3600 * 1000000;
    return 1;
}

/* A timestamp in any form a record carries it: ISO text, an hour stamp,
 * or a number of unit_us microseconds. */
static int value_us(json_t *j, int64_t unit_us, int64_t *us) {
    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        size_t n = json_string_length(j);
        if (parse_hour(s, n, us) || !fl_time_parse_iso(s, n, us)) return 1;
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (n == 0 || *end || errno) return 0;
        j = NULL;
        double v = d * (double)unit_us;
        if (!(v >= (double)FL_TIME_MIN_US && v <= (double)FL_TIME_MAX_US)) return 0;
        *us = (int64_t)v;
        return 1;
    }
    if (json_is_integer(j)) {
        json_int_t v = json_integer_value(j);
        if (v > FL_TIME_MAX_US / unit_us || v < FL_TIME_MIN_US / unit_us) return 0;
        *us = v * unit_us;
        return 1;
    }
    if (json_is_real(j)) {
        double v = json_real_value(j) * (double)unit_us;
        if (!(v >= (double)FL_TIME_MIN_US && v <= (double)FL_TIME_MAX_US)) return 0;
        *us = (int64_t)v;
        return 1;
    }
    return 0;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

static fl_err_t bad(const struct fl_field *f, const char *why, char *reason, size_t reasonsz) {
    snprintf(reason, reasonsz, "map: column %s: %s", f->name, why);
    return FL_ERR_INVALID;
}

/* cast: the lenient conversions map.h lists; anything else as plain decode. */
static fl_err_t cast_append(struct fl_col *col, json_t *j, int64_t unit_us, char *reason,
                            size_t reasonsz) {
    const struct fl_field *f = col->field;
    char buf[64];
    switch (f->type) {
    case FL_TYPE_STRING:
        if (json_is_integer(j)) snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(j));
        else if (json_is_real(j)) {
            for (int p = 1; p <= 17; p++) {
                snprintf(buf, sizeof(buf), "%.*g", p, json_real_value(j));
                if (strtod(buf, NULL) == json_real_value(j)) break;
            }
        } else if (json_is_boolean(j)) snprintf(buf, sizeof(buf), "%s", json_is_true(j) ? "true" : "false");
        else break;
        return fl_col_append_bytes(col, buf, strlen(buf));
    case FL_TYPE_BOOLEAN:
        if (json_is_integer(j) && (json_integer_value(j) == 0 || json_integer_value(j) == 1))
            return fl_col_append_bool(col, json_integer_value(j) == 1);
        if (json_is_string(j)) {
            const char *s = json_string_value(j);
            if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes")) return fl_col_append_bool(col, true);
            if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no")) return fl_col_append_bool(col, false);
            return bad(f, "expected true/false, 1/0 or yes/no", reason, reasonsz);
        }
        break;
    case FL_TYPE_INT:
    case FL_TYPE_LONG: {
        double d;
        if (json_is_real(j)) d = json_real_value(j);
        else if (json_is_string(j)) {
            char *end;
            errno = 0;
            d = strtod(json_string_value(j), &end);
            if (*end || errno || !json_string_length(j)) return bad(f, "expected a number", reason, reasonsz);
        } else break;
        double lo = f->type == FL_TYPE_INT ? -2147483648.0 : -9223372036854775808.0;
        if (d != floor(d) || d < lo || d >= -lo) return bad(f, "not an integer in range", reason, reasonsz);
        return f->type == FL_TYPE_INT ? fl_col_append_i32(col, (int32_t)d) : fl_col_append_i64(col, (int64_t)d);
    }
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ: {
        int64_t us;
        if (!value_us(j, unit_us, &us)) return bad(f, "expected a timestamp or an epoch number", reason, reasonsz);
        return fl_col_append_i64(col, us);
    }
    case FL_TYPE_DATE: {
        int64_t us;
        int32_t days;
        if (json_is_string(j) && !fl_time_parse_date(json_string_value(j), json_string_length(j), &days))
            return fl_col_append_i32(col, days);
        if (json_is_string(j) && value_us(j, unit_us, &us))
            return fl_col_append_i32(col, (int32_t)floor_div(us, FL_US_PER_DAY));
        break;
    }
    default:
        break;
    }
    struct fl_error e = {0};
    fl_err_t rc = fl_col_append_json(col, j, &e);
    if (rc) snprintf(reason, reasonsz, "map: cast: %s", e.msg);
    return rc;
}

static fl_err_t append_src(const struct src *s, struct fl_col *col, json_t *o,
                           const struct fl_pipe_map_pos *pos, char *reason, size_t reasonsz) {
    const struct fl_field *f = col->field;
    json_t *j = s->key ? json_object_get(o, s->key) : NULL;
    int64_t us;
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
    case SRC_CONST:
        return fl_col_append_from(col, &s->kval->cols[0], 0);
    case SRC_KEY_NOW:
        if (!j || json_is_null(j)) return fl_col_append_i64(col, pos->now_us);
        break;
    default:
        break;
    }
    if (!j || json_is_null(j) || s->kind == SRC_NONE) {
        if (!f->required) return fl_col_append_null(col);
        snprintf(reason, reasonsz, "field \"%s\": required field is %s", f->name,
                 s->kind == SRC_NONE ? "renamed away" : j ? "null" : "missing");
        return FL_ERR_INVALID;
    }
    if (s->kind == SRC_DATE_OF) {
        if (!value_us(j, 1, &us)) return bad(f, "date(): the field is not a timestamp", reason, reasonsz);
        int32_t days = (int32_t)floor_div(us, FL_US_PER_DAY);
        if (f->type == FL_TYPE_DATE) return fl_col_append_i32(col, days);
        char d[16];
        fl_time_format_date(days, d, sizeof(d));
        return fl_col_append_bytes(col, d, strlen(d));
    }
    if (s->kind == SRC_HOUR_OF) {
        if (!json_is_string(j) || !parse_hour(json_string_value(j), json_string_length(j), &us))
            return bad(f, "hour(): expected an hour stamp YYYY-MM-DD-HH", reason, reasonsz);
        return fl_col_append_i64(col, us);
    }
    if (s->cast) return cast_append(col, j, s->unit_us, reason, reasonsz);
    /* hour stamps are timestamps without asking (seed 001's ts) */
    if (is_ts(f->type) && json_is_string(j) && parse_hour(json_string_value(j), json_string_length(j), &us))
        return fl_col_append_i64(col, us);
    struct fl_error e = {0};
    fl_err_t rc = fl_col_append_json(col, j, &e);
    if (rc) snprintf(reason, reasonsz, "%s", e.msg[0] ? e.msg : fl_err_name(rc));
    return rc;
}

fl_err_t fl_pipe_map_row(const struct fl_pipe_map *m, struct fl_batch *b, json_t *o,
                         const struct fl_pipe_map_pos *pos, char *reason, size_t reasonsz) {
    fl_err_t rc = FL_OK;
    if (b->ncols != m->ncols) {
        snprintf(reason, reasonsz, "map: the batch's schema is not the bound one");
        return FL_ERR_INVALID;
    }
    for (int c = 0; c < b->ncols && !rc; c++) {
        reason[0] = 0;
        rc = append_src(&m->cols[c], &b->cols[c], o, pos, reason, reasonsz);
        if (rc && !reason[0]) snprintf(reason, reasonsz, "column %s: %s", b->cols[c].field->name, fl_err_name(rc));
    }
    if (!rc) rc = fl_batch_end_row(b);
    if (rc) fl_batch_rollback_row(b);
    return rc;
}
