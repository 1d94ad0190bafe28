/*
 * window.c - event-time windows and their aggregates (see window.h).
 *
 * How it works: an open window is (group key bytes, start). The group key
 * is encoded by upsert.c's fl_pipe_key_encode (per column a null flag,
 * then the value's length and bytes) into a reused buffer, and the window looked up in an
 * open-addressing hash table of indexes into a flat array of windows; a
 * window's key bytes live in one arena and its accumulators, one
 * (value, count) pair per aggregate, in one flat array. A record costs a
 * key encoding, one probe per window it falls in and a few additions: no
 * allocation unless the arrays grow (geometrically). Eviction, after a
 * commit, compacts the arrays in place and rehashes.
 *
 * Assignment: with slide s and size z (s divides z) the windows of event
 * time t start at floor(t/s)*s, minus s, ... while start > t - z. The
 * watermark is max(event time seen) - lateness, advanced by each record
 * before it is assigned, in offset order; a window [start, end) is closed
 * once end <= watermark. A record adds to its open windows only; when all
 * are closed it is late. Because the watermark moves per record, not per
 * batch, where commits fall does not change which records are late: a
 * replay after a restart decides exactly as the first run did (for one
 * partition; with several, the order across partitions is the order the
 * steps read them in).
 *
 * Accumulators (v, n): count: n; sum: v, n (null while n = 0); avg: sum v
 * and count n, the output v/n; min/max: v, n. In the result table an avg
 * keeps v and n in <as>_sum and <as>_count, the others are their output.
 */
#include "pipeline/window.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/time.h"
#include "pipeline/upsert.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct win {
    uint64_t hash;
    int64_t start;
    size_t koff, klen; /* group key bytes in the arena */
    int touched;       /* changed since the last fl_pipe_window_done */
};

struct acc {
    double v;
    int64_t n;
};

struct fl_pipe_window {
    int64_t size, slide, lateness; /* microseconds */
    int nkey, naggs;
    fl_pipe_agg_t fn[FL_PIPE_WINDOW_MAX_AGGS];
    int in_val[FL_PIPE_WINDOW_MAX_AGGS]; /* input column of each aggregate, -1 = count(*) */
    int in_time;                         /* input column of the event time */
    /* result table columns */
    const struct fl_schema *out;
    int out_key[FL_PIPE_WINDOW_MAX_KEYS], out_start, out_end, out_updated;
    int out_agg[FL_PIPE_WINDOW_MAX_AGGS], out_sum[FL_PIPE_WINDOW_MAX_AGGS],
        out_cnt[FL_PIPE_WINDOW_MAX_AGGS];
    struct fl_schema *in; /* owned */
    /* state */
    int64_t max_event;
    struct win *wins;
    struct acc *accs; /* naggs per window */
    size_t nwin, capwin;
    int32_t *slots; /* -1 empty, else index into wins */
    size_t nslots;
    struct fl_buf arena, key;
};

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static uint64_t hash_key(const uint8_t *p, size_t n, int64_t start) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    h ^= (uint64_t)start;
    h *= 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

static bool numeric_agg_type(fl_type_id_t t) {
    return t == FL_TYPE_DOUBLE || t == FL_TYPE_FLOAT || t == FL_TYPE_LONG || t == FL_TYPE_INT;
}

static bool key_type_ok(fl_type_id_t t) {
    return t == FL_TYPE_STRING || t == FL_TYPE_INT || t == FL_TYPE_LONG || t == FL_TYPE_DATE ||
           t == FL_TYPE_BOOLEAN || t == FL_TYPE_TIMESTAMP || t == FL_TYPE_TIMESTAMPTZ;
}

static const char *const AGG_NAMES[] = {"count", "sum", "avg", "min", "max"};

static bool count_star(const struct fl_pipe_agg *a) { return !a->col || !strcmp(a->col, "*"); }

fl_err_t fl_pipe_window_config_check(const struct fl_pipe_window_config *cfg,
                                     struct fl_error *err) {
    if (!cfg->time_col || !*cfg->time_col)
        return fl_errf(err, FL_ERR_INVALID, "window: time column missing");
    if (cfg->size_ms <= 0) return fl_errf(err, FL_ERR_INVALID, "window: size must be positive");
    int64_t slide = cfg->slide_ms > 0 ? cfg->slide_ms : cfg->size_ms;
    if (slide > cfg->size_ms || cfg->size_ms % slide != 0)
        return fl_errf(err, FL_ERR_INVALID, "window: slide (%lld ms) must divide size (%lld ms)",
                       (long long)slide, (long long)cfg->size_ms);
    if (cfg->size_ms / slide > 1000)
        return fl_errf(err, FL_ERR_LIMIT, "window: size/slide is over 1000 windows per record");
    if (cfg->lateness_ms < 0) return fl_errf(err, FL_ERR_INVALID, "window: lateness must be >= 0");
    if (cfg->size_ms > INT64_C(366) * 86400000 || cfg->lateness_ms > INT64_C(366) * 86400000)
        return fl_errf(err, FL_ERR_LIMIT, "window: size and lateness are limited to a year");
    if (cfg->nkey < 0 || cfg->nkey > FL_PIPE_WINDOW_MAX_KEYS)
        return fl_errf(err, FL_ERR_LIMIT, "window: at most %d key columns",
                       FL_PIPE_WINDOW_MAX_KEYS);
    if (cfg->naggs < 1 || cfg->naggs > FL_PIPE_WINDOW_MAX_AGGS)
        return fl_errf(err, FL_ERR_INVALID, "window: 1 to %d aggregates", FL_PIPE_WINDOW_MAX_AGGS);
    static const char *const reserved[] = {"window_start", "window_end", "last_updated"};
    for (int i = 0; i < cfg->nkey; i++) {
        for (int j = 0; j < 3; j++)
            if (!strcmp(cfg->key[i], reserved[j]))
                return fl_errf(err, FL_ERR_INVALID, "window: key column %s is a result column name",
                               cfg->key[i]);
        if (!strcmp(cfg->key[i], cfg->time_col))
            return fl_errf(err, FL_ERR_INVALID, "window: key column %s is the time column",
                           cfg->key[i]);
    }
    for (int i = 0; i < cfg->naggs; i++) {
        const struct fl_pipe_agg *a = &cfg->aggs[i];
        if ((unsigned)a->fn > FL_PIPE_AGG_MAX)
            return fl_errf(err, FL_ERR_INVALID, "window: unknown aggregate");
        if (!a->as || !*a->as || strlen(a->as) > 200)
            return fl_errf(err, FL_ERR_INVALID, "window: aggregate %s needs an output name (as)",
                           AGG_NAMES[a->fn]);
        if (count_star(a) && a->fn != FL_PIPE_AGG_COUNT)
            return fl_errf(err, FL_ERR_INVALID, "window: %s(*) is not an aggregate: name a column",
                           AGG_NAMES[a->fn]);
        if (!count_star(a) && a->fn != FL_PIPE_AGG_COUNT) {
            if (!strcmp(a->col, cfg->time_col))
                return fl_errf(err, FL_ERR_INVALID, "window: %s over the time column",
                               AGG_NAMES[a->fn]);
            for (int k = 0; k < cfg->nkey; k++)
                if (!strcmp(a->col, cfg->key[k]))
                    return fl_errf(err, FL_ERR_INVALID, "window: %s over the key column %s",
                                   AGG_NAMES[a->fn], a->col);
        }
        for (int j = 0; j < 3; j++)
            if (!strcmp(a->as, reserved[j]))
                return fl_errf(err, FL_ERR_INVALID, "window: output %s is a result column name",
                               a->as);
        for (int k = 0; k < cfg->nkey; k++)
            if (!strcmp(a->as, cfg->key[k]))
                return fl_errf(err, FL_ERR_INVALID, "window: output %s is a key column", a->as);
        for (int j = 0; j < i; j++)
            if (!strcmp(a->as, cfg->aggs[j].as))
                return fl_errf(err, FL_ERR_INVALID, "window: output %s named twice", a->as);
    }
    return FL_OK;
}

char *fl_pipe_window_table_schema(const struct fl_pipe_window_config *cfg) {
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    int id = 1;
    fl_buf_append_str(&b, "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[");
    for (int i = 0; i < cfg->nkey; i++)
        fl_buf_printf(&b, "{\"id\":%d,\"name\":\"%s\",\"required\":false,\"type\":\"string\"},",
                      id++, cfg->key[i]);
    fl_buf_printf(
        &b, "{\"id\":%d,\"name\":\"window_start\",\"required\":true,\"type\":\"timestamptz\"},",
        id++);
    fl_buf_printf(&b,
                  "{\"id\":%d,\"name\":\"window_end\",\"required\":true,\"type\":\"timestamptz\"},",
                  id++);
    for (int i = 0; i < cfg->naggs; i++) {
        const struct fl_pipe_agg *a = &cfg->aggs[i];
        fl_buf_printf(&b, "{\"id\":%d,\"name\":\"%s\",\"required\":false,\"type\":\"%s\"},", id++,
                      a->as, a->fn == FL_PIPE_AGG_COUNT ? "long" : "double");
        if (a->fn == FL_PIPE_AGG_AVG) {
            fl_buf_printf(&b,
                          "{\"id\":%d,\"name\":\"%s_sum\",\"required\":false,\"type\":\"double\"},",
                          id++, a->as);
            fl_buf_printf(&b,
                          "{\"id\":%d,\"name\":\"%s_count\",\"required\":false,\"type\":\"long\"},",
                          id++, a->as);
        }
    }
    fl_buf_printf(
        &b, "{\"id\":%d,\"name\":\"last_updated\",\"required\":false,\"type\":\"timestamptz\"}]}",
        id);
    fl_buf_append_u8(&b, 0);
    size_t n;
    return (char *)fl_buf_detach(&b, &n);
}

static int find_col(const struct fl_schema *s, const char *name) {
    for (int i = 0; i < s->nfields; i++)
        if (!strcmp(s->fields[i].name, name)) return i;
    return -1;
}

/* Column `name` of out with a type accepted by ok, or an error. */
static fl_err_t out_col(const struct fl_schema *out, const char *name, bool (*ok)(fl_type_id_t),
                        const char *want, int *idx, struct fl_error *err) {
    *idx = find_col(out, name);
    if (*idx < 0)
        return fl_errf(err, FL_ERR_INVALID, "window: the result table has no column %s", name);
    if (!ok(out->fields[*idx].type))
        return fl_errf(err, FL_ERR_INVALID, "window: result column %s must be %s", name, want);
    return FL_OK;
}

static bool is_ts(fl_type_id_t t) { return t == FL_TYPE_TIMESTAMP || t == FL_TYPE_TIMESTAMPTZ; }
static bool is_long(fl_type_id_t t) { return t == FL_TYPE_LONG; }
static bool is_double(fl_type_id_t t) { return t == FL_TYPE_DOUBLE; }

/* The input schema: group columns (their result types), the time column,
 * then each distinct aggregated column as an optional double. */
static fl_err_t build_input(struct fl_pipe_window *w, const struct fl_pipe_window_config *cfg,
                            struct fl_error *err) {
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    static const char *const tn[] = {[FL_TYPE_STRING] = "string",
                                     [FL_TYPE_INT] = "int",
                                     [FL_TYPE_LONG] = "long",
                                     [FL_TYPE_DATE] = "date",
                                     [FL_TYPE_BOOLEAN] = "boolean",
                                     [FL_TYPE_TIMESTAMP] = "timestamp",
                                     [FL_TYPE_TIMESTAMPTZ] = "timestamptz"};
    const char *names[FL_PIPE_WINDOW_MAX_KEYS + 1 + FL_PIPE_WINDOW_MAX_AGGS];
    int n = 0;
    fl_buf_append_str(&b, "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[");
    for (int i = 0; i < cfg->nkey; i++) {
        names[n++] = cfg->key[i];
        fl_buf_printf(&b, "{\"id\":%d,\"name\":\"%s\",\"required\":false,\"type\":\"%s\"},", n,
                      cfg->key[i], tn[w->out->fields[w->out_key[i]].type]);
    }
    names[n++] = cfg->time_col;
    w->in_time = n - 1;
    fl_buf_printf(&b, "{\"id\":%d,\"name\":\"%s\",\"required\":true,\"type\":\"timestamptz\"}", n,
                  cfg->time_col);
    for (int a = 0; a < cfg->naggs; a++) {
        w->in_val[a] = -1;
        if (count_star(&cfg->aggs[a])) continue;
        for (int j = 0; j < n && w->in_val[a] < 0; j++)
            if (!strcmp(names[j], cfg->aggs[a].col)) w->in_val[a] = j;
        if (w->in_val[a] >= 0) continue;
        w->in_val[a] = n;
        names[n++] = cfg->aggs[a].col;
        fl_buf_printf(&b, ",{\"id\":%d,\"name\":\"%s\",\"required\":false,\"type\":\"double\"}", n,
                      cfg->aggs[a].col);
    }
    fl_buf_append_str(&b, "]}");
    fl_err_t rc = fl_schema_parse((const char *)b.data, b.len, &w->in, err);
    fl_buf_fini(&b);
    if (rc) fl_err_prefix(err, "window: input columns");
    return rc;
}

static void table_init(struct fl_pipe_window *w, size_t nslots) {
    w->nslots = nslots;
    w->slots = fl_reallocarray(w->slots, nslots, sizeof(int32_t));
    for (size_t i = 0; i < nslots; i++) w->slots[i] = -1;
}

fl_err_t fl_pipe_window_new(const struct fl_pipe_window_config *cfg, const struct fl_schema *out,
                            struct fl_pipe_window **wp, struct fl_error *err) {
    fl_err_t rc = fl_pipe_window_config_check(cfg, err);
    if (rc) return rc;
    struct fl_pipe_window *w = fl_calloc(1, sizeof(*w));
    w->size = cfg->size_ms * 1000;
    w->slide = (cfg->slide_ms > 0 ? cfg->slide_ms : cfg->size_ms) * 1000;
    w->lateness = cfg->lateness_ms * 1000;
    w->nkey = cfg->nkey;
    w->naggs = cfg->naggs;
    w->out = out;
    w->max_event = INT64_MIN;
    fl_buf_init(&w->arena, FL_BUF_NOMAX);
    fl_buf_init(&w->key, FL_BUF_NOMAX);
    table_init(w, 64);
    for (int i = 0; i < cfg->nkey && !rc; i++) {
        w->out_key[i] = find_col(out, cfg->key[i]);
        if (w->out_key[i] < 0)
            rc = fl_errf(err, FL_ERR_INVALID, "window: the result table has no key column %s",
                         cfg->key[i]);
        else if (!key_type_ok(out->fields[w->out_key[i]].type))
            rc = fl_errf(
                err, FL_ERR_INVALID,
                "window: key column %s must be a string, integer, date, boolean or timestamp",
                cfg->key[i]);
    }
    if (!rc) rc = out_col(out, "window_start", is_ts, "a timestamp", &w->out_start, err);
    if (!rc) rc = out_col(out, "window_end", is_ts, "a timestamp", &w->out_end, err);
    w->out_updated = find_col(out, "last_updated");
    if (!rc && w->out_updated >= 0 && !is_ts(out->fields[w->out_updated].type))
        rc = fl_errf(err, FL_ERR_INVALID, "window: result column last_updated must be a timestamp");
    for (int a = 0; a < cfg->naggs && !rc; a++) {
        const struct fl_pipe_agg *g = &cfg->aggs[a];
        w->fn[a] = g->fn;
        w->out_sum[a] = w->out_cnt[a] = -1;
        rc = out_col(out, g->as, g->fn == FL_PIPE_AGG_COUNT ? is_long : is_double,
                     g->fn == FL_PIPE_AGG_COUNT ? "a long" : "a double", &w->out_agg[a], err);
        if (!rc && g->fn == FL_PIPE_AGG_AVG) {
            char n[256];
            snprintf(n, sizeof(n), "%s_sum", g->as);
            rc =
                out_col(out, n, is_double, "a double (the avg's running sum)", &w->out_sum[a], err);
            snprintf(n, sizeof(n), "%s_count", g->as);
            if (!rc)
                rc = out_col(out, n, is_long, "a long (the avg's running count)", &w->out_cnt[a],
                             err);
        }
    }
    if (!rc) rc = build_input(w, cfg, err);
    for (int a = 0; a < cfg->naggs && !rc; a++) {
        int c = w->in_val[a];
        if (c >= 0 && cfg->aggs[a].fn != FL_PIPE_AGG_COUNT &&
            !numeric_agg_type(w->in->fields[c].type))
            rc = fl_errf(err, FL_ERR_INVALID, "window: %s(%s): not a numeric column",
                         AGG_NAMES[cfg->aggs[a].fn], cfg->aggs[a].col);
    }
    if (rc) {
        fl_pipe_window_free(w);
        return rc;
    }
    *wp = w;
    return FL_OK;
}

void fl_pipe_window_free(struct fl_pipe_window *w) {
    if (!w) return;
    fl_schema_free(w->in);
    fl_free(w->wins);
    fl_free(w->accs);
    fl_free(w->slots);
    fl_buf_fini(&w->arena);
    fl_buf_fini(&w->key);
    fl_free(w);
}

const struct fl_schema *fl_pipe_window_input_schema(const struct fl_pipe_window *w) {
    return w->in;
}

int fl_pipe_window_result_key(const struct fl_pipe_window *w, int *cols) {
    cols[0] = w->out_start;
    for (int i = 0; i < w->nkey; i++) cols[i + 1] = w->out_key[i];
    return w->nkey + 1;
}

int64_t fl_pipe_window_max_event(const struct fl_pipe_window *w) { return w->max_event; }
void fl_pipe_window_set_max_event(struct fl_pipe_window *w, int64_t us) { w->max_event = us; }
int64_t fl_pipe_window_watermark(const struct fl_pipe_window *w) {
    return w->max_event == INT64_MIN ? INT64_MIN : w->max_event - w->lateness;
}
size_t fl_pipe_window_open_count(const struct fl_pipe_window *w) { return w->nwin; }

/* The group key of row `row` of b (columns cols[0..nkey)) into w->key. */
static void encode_key(struct fl_pipe_window *w, const struct fl_batch *b, const int *cols,
                       size_t row) {
    fl_pipe_key_encode(b, row, cols, w->nkey, &w->key);
}

static void rehash(struct fl_pipe_window *w, size_t nslots) {
    table_init(w, nslots);
    for (size_t i = 0; i < w->nwin; i++) {
        size_t s = (size_t)w->wins[i].hash & (w->nslots - 1);
        while (w->slots[s] >= 0) s = (s + 1) & (w->nslots - 1);
        w->slots[s] = (int32_t)i;
    }
}

/* The window (w->key, start), created (zeroed) when absent. */
static size_t window_get(struct fl_pipe_window *w, int64_t start) {
    uint64_t h = hash_key(w->key.data, w->key.len, start);
    size_t s = (size_t)h & (w->nslots - 1);
    for (; w->slots[s] >= 0; s = (s + 1) & (w->nslots - 1)) {
        const struct win *x = &w->wins[w->slots[s]];
        if (x->hash == h && x->start == start && x->klen == w->key.len &&
            !memcmp(w->arena.data + x->koff, w->key.data, x->klen))
            return (size_t)w->slots[s];
    }
    if (w->nwin == w->capwin) {
        w->capwin = w->capwin ? w->capwin * 2 : 64;
        w->wins = fl_reallocarray(w->wins, w->capwin, sizeof(*w->wins));
        w->accs = fl_reallocarray(w->accs, w->capwin * (size_t)w->naggs, sizeof(*w->accs));
    }
    size_t i = w->nwin++;
    w->wins[i] = (struct win){.hash = h, .start = start, .koff = w->arena.len, .klen = w->key.len};
    fl_buf_append(&w->arena, w->key.data, w->key.len);
    memset(&w->accs[i * (size_t)w->naggs], 0, sizeof(struct acc) * (size_t)w->naggs);
    w->slots[s] = (int32_t)i;
    if (w->nwin * 2 > w->nslots) rehash(w, w->nslots * 2);
    return i;
}

static double value_of(const struct fl_col *c, size_t row) {
    switch (c->field->type) {
    case FL_TYPE_INT:
        return ((const int32_t *)c->values)[row];
    case FL_TYPE_LONG:
        return (double)((const int64_t *)c->values)[row];
    case FL_TYPE_FLOAT:
        return ((const float *)c->values)[row];
    default:
        return ((const double *)c->values)[row];
    }
}

static void accumulate(struct fl_pipe_window *w, size_t wi, const struct fl_batch *in, size_t row) {
    struct acc *a = &w->accs[wi * (size_t)w->naggs];
    for (int k = 0; k < w->naggs; k++) {
        int c = w->in_val[k];
        if (c < 0) {
            a[k].n++;
            continue;
        }
        const struct fl_col *col = &in->cols[c];
        if (fl_col_is_null(col, row)) continue;
        if (w->fn[k] == FL_PIPE_AGG_COUNT) {
            a[k].n++;
            continue;
        }
        double x = value_of(col, row);
        switch (w->fn[k]) {
        case FL_PIPE_AGG_SUM:
        case FL_PIPE_AGG_AVG:
            a[k].v = a[k].n ? a[k].v + x : x;
            break;
        case FL_PIPE_AGG_MIN:
            a[k].v = a[k].n && !(x < a[k].v) ? a[k].v : x;
            break;
        case FL_PIPE_AGG_MAX:
            a[k].v = a[k].n && !(x > a[k].v) ? a[k].v : x;
            break;
        default:
            break;
        }
        a[k].n++;
    }
    w->wins[wi].touched = 1;
}

fl_err_t fl_pipe_window_add(struct fl_pipe_window *w, const struct fl_batch *in, size_t row,
                            char *reason, size_t reasonsz) {
    const struct fl_col *tc = &in->cols[w->in_time];
    if (fl_col_is_null(tc, row)) {
        snprintf(reason, reasonsz, "window: no event time (%s)", tc->field->name);
        return FL_ERR_RANGE;
    }
    int64_t t = ((const int64_t *)tc->values)[row];
    if (t > w->max_event) w->max_event = t;
    int64_t wm = w->max_event - w->lateness;
    int64_t last = floor_div(t, w->slide) * w->slide;
    if (last + w->size <= wm) {
        char ts[40], wms[40], ws[40];
        fl_time_format_iso(t, ts, sizeof(ts));
        fl_time_format_iso(wm, wms, sizeof(wms));
        fl_time_format_iso(last + w->size, ws, sizeof(ws));
        snprintf(reason, reasonsz,
                 "late: event time %s is behind the watermark %s (max event time minus %lld ms "
                 "lateness); "
                 "its last window closed at %s",
                 ts, wms, (long long)(w->lateness / 1000), ws);
        return FL_ERR_RANGE;
    }
    int keycols[FL_PIPE_WINDOW_MAX_KEYS];
    for (int k = 0; k < w->nkey; k++) keycols[k] = k; /* the input schema starts with them */
    encode_key(w, in, keycols, row);
    for (int64_t start = last; start > t - w->size; start -= w->slide) {
        if (start + w->size <= wm) break; /* this one and the earlier ones are closed */
        accumulate(w, window_get(w, start), in, row);
    }
    return FL_OK;
}

/* Appends one encoded group key value (null flag, length, bytes) to col. */
static fl_err_t append_key_value(struct fl_col *col, const uint8_t **p) {
    if (*(*p)++ == 0) return fl_col_append_null(col);
    uint32_t len;
    memcpy(&len, *p, 4);
    *p += 4;
    const uint8_t *v = *p;
    *p += len;
    int32_t i32;
    int64_t i64;
    switch (col->width) {
    case 0:
        return fl_col_append_bytes(col, v, len);
    case 1:
        return fl_col_append_bool(col, *v != 0);
    case 4:
        memcpy(&i32, v, 4);
        return fl_col_append_i32(col, i32);
    case 8:
        memcpy(&i64, v, 8);
        return fl_col_append_i64(col, i64);
    default:
        return FL_ERR_INVALID;
    }
}

static fl_err_t emit_one(struct fl_pipe_window *w, size_t wi, struct fl_batch *out,
                         int64_t now_us) {
    const struct win *x = &w->wins[wi];
    const struct acc *a = &w->accs[wi * (size_t)w->naggs];
    const uint8_t *p = w->arena.data + x->koff;
    fl_err_t rc = FL_OK;
    /* columns the step does not own stay null */
    uint8_t owned[1024] = {0};
    for (int k = 0; k < w->nkey && !rc; k++) {
        rc = append_key_value(&out->cols[w->out_key[k]], &p);
        owned[w->out_key[k]] = 1;
    }
    if (!rc) rc = fl_col_append_i64(&out->cols[w->out_start], x->start);
    if (!rc) rc = fl_col_append_i64(&out->cols[w->out_end], x->start + w->size);
    owned[w->out_start] = owned[w->out_end] = 1;
    for (int k = 0; k < w->naggs && !rc; k++) {
        struct fl_col *c = &out->cols[w->out_agg[k]];
        owned[w->out_agg[k]] = 1;
        if (w->fn[k] == FL_PIPE_AGG_COUNT)
            rc = fl_col_append_i64(c, a[k].n);
        else if (a[k].n == 0)
            rc = fl_col_append_null(c);
        else
            rc = fl_col_append_f64(c,
                                   w->fn[k] == FL_PIPE_AGG_AVG ? a[k].v / (double)a[k].n : a[k].v);
        if (!rc && w->fn[k] == FL_PIPE_AGG_AVG) {
            owned[w->out_sum[k]] = owned[w->out_cnt[k]] = 1;
            rc = a[k].n ? fl_col_append_f64(&out->cols[w->out_sum[k]], a[k].v)
                        : fl_col_append_null(&out->cols[w->out_sum[k]]);
            if (!rc) rc = fl_col_append_i64(&out->cols[w->out_cnt[k]], a[k].n);
        }
    }
    if (!rc && w->out_updated >= 0) {
        owned[w->out_updated] = 1;
        rc = fl_col_append_i64(&out->cols[w->out_updated], now_us);
    }
    for (int c = 0; c < out->ncols && !rc; c++)
        if (c >= (int)sizeof(owned) || !owned[c]) rc = fl_col_append_null(&out->cols[c]);
    if (!rc) rc = fl_batch_end_row(out);
    if (rc) fl_batch_rollback_row(out);
    return rc;
}

fl_err_t fl_pipe_window_emit(struct fl_pipe_window *w, struct fl_batch *out, int64_t now_us,
                             size_t *rows, struct fl_error *err) {
    *rows = 0;
    if (out->ncols > 1024)
        return fl_errf(err, FL_ERR_LIMIT, "window: result table has over 1024 columns");
    for (size_t i = 0; i < w->nwin; i++) {
        if (!w->wins[i].touched) continue;
        fl_err_t rc = emit_one(w, i, out, now_us);
        if (rc)
            return fl_errf(err, rc, "window: writing a result row failed (%s)", fl_err_name(rc));
        (*rows)++;
    }
    return FL_OK;
}

void fl_pipe_window_done(struct fl_pipe_window *w) {
    int64_t wm = fl_pipe_window_watermark(w);
    size_t j = 0, koff = 0;
    for (size_t i = 0; i < w->nwin; i++) {
        struct win x = w->wins[i];
        if (x.start + w->size <= wm) continue; /* closed: evicted */
        x.touched = 0;
        memmove(w->arena.data + koff, w->arena.data + x.koff, x.klen);
        x.koff = koff;
        koff += x.klen;
        if (j != i)
            memmove(&w->accs[j * (size_t)w->naggs], &w->accs[i * (size_t)w->naggs],
                    sizeof(struct acc) * (size_t)w->naggs);
        w->wins[j++] = x;
    }
    if (j != w->nwin) {
        w->nwin = j;
        w->arena.len = koff;
        rehash(w, w->nslots);
    }
}

void fl_pipe_window_reset(struct fl_pipe_window *w) {
    w->nwin = 0;
    fl_buf_reset(&w->arena);
    w->max_event = INT64_MIN;
    table_init(w, w->nslots);
}

static double col_double(const struct fl_col *c, size_t row) {
    return c->field->type == FL_TYPE_LONG ? (double)((const int64_t *)c->values)[row]
                                          : value_of(c, row);
}

fl_err_t fl_pipe_window_restore(struct fl_pipe_window *w, const struct fl_batch *b, size_t row,
                                struct fl_error *err) {
    const struct fl_col *sc = &b->cols[w->out_start];
    if (fl_col_is_null(sc, row))
        return fl_errf(err, FL_ERR_CORRUPT, "window: result row without window_start");
    int64_t start = ((const int64_t *)sc->values)[row];
    if (start + w->size <= fl_pipe_window_watermark(w)) return FL_OK; /* closed */
    if (floor_div(start, w->slide) * w->slide != start)
        return fl_errf(
            err, FL_ERR_INVALID,
            "window: a result row starts off the window grid (was the size or slide changed?)");
    encode_key(w, b, w->out_key, row);
    size_t wi = window_get(w, start);
    struct acc *a = &w->accs[wi * (size_t)w->naggs];
    for (int k = 0; k < w->naggs; k++) {
        const struct fl_col *c = &b->cols[w->out_agg[k]];
        switch (w->fn[k]) {
        case FL_PIPE_AGG_COUNT:
            a[k].n = fl_col_is_null(c, row) ? 0 : ((const int64_t *)c->values)[row];
            break;
        case FL_PIPE_AGG_AVG: {
            const struct fl_col *s = &b->cols[w->out_sum[k]], *n = &b->cols[w->out_cnt[k]];
            a[k].n = fl_col_is_null(n, row) ? 0 : ((const int64_t *)n->values)[row];
            a[k].v = a[k].n && !fl_col_is_null(s, row) ? col_double(s, row) : 0;
            break;
        }
        default: /* sum, min, max: the value is the state; any count > 0 says "not null" */
            a[k].n = fl_col_is_null(c, row) ? 0 : 1;
            a[k].v = a[k].n ? col_double(c, row) : 0;
            break;
        }
    }
    return FL_OK;
}
