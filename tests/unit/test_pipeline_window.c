/*
 * test_pipeline_window.c - the window step: tumbling and hopping
 * assignment, the aggregates, the watermark and late records, eviction of
 * closed windows, restoring state from result rows; through a real
 * pipeline (log -> window -> Iceberg): a restart in the middle, with the
 * state reloaded from the table, gives the same rows as no restart; and
 * the `window:` config section with its file:line errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "core/config.h"
#include "core/mem.h"
#include "iceberg/table.h"
#include "log/log.h"
#include "pipeline/pipeline.h"
#include "pipeline/window.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S (INT64_C(1000000)) /* a second in microseconds */

static const char *const KEY[] = {"city"};
static const struct fl_pipe_agg AGGS[] = {
    {FL_PIPE_AGG_AVG, "temperature", "avg_t"}, {FL_PIPE_AGG_COUNT, "*", "n"},
    {FL_PIPE_AGG_SUM, "temperature", "sum_t"}, {FL_PIPE_AGG_MIN, "temperature", "min_t"},
    {FL_PIPE_AGG_MAX, "temperature", "max_t"}, {FL_PIPE_AGG_COUNT, "temperature", "n_t"}};

struct fixture {
    struct fl_pipe_window_config cfg;
    struct fl_schema *out;
    struct fl_pipe_window *w;
    struct fl_batch *in;
};

static void fx_init(struct fixture *fx, int64_t size_ms, int64_t slide_ms, int64_t lateness_ms) {
    memset(fx, 0, sizeof(*fx));
    fx->cfg = (struct fl_pipe_window_config){.time_col = "ts",
                                             .key = KEY,
                                             .nkey = 1,
                                             .size_ms = size_ms,
                                             .slide_ms = slide_ms,
                                             .lateness_ms = lateness_ms,
                                             .aggs = AGGS,
                                             .naggs = 6};
    struct fl_error err = {0};
    char *json = fl_pipe_window_table_schema(&fx->cfg);
    if (fl_schema_parse(json, strlen(json), &fx->out, &err)) fail_msg("%s", err.msg);
    fl_free(json);
    if (fl_pipe_window_new(&fx->cfg, fx->out, &fx->w, &err)) fail_msg("%s", err.msg);
    assert_int_equal(fl_batch_new(fl_pipe_window_input_schema(fx->w), 0, &fx->in, &err), FL_OK);
}

static void fx_fini(struct fixture *fx) {
    fl_batch_free(fx->in);
    fl_pipe_window_free(fx->w);
    fl_schema_free(fx->out);
}

/* Adds one event (t in seconds); returns the window's verdict. */
static fl_err_t add(struct fixture *fx, const char *city, double t_s, const char *temp,
                    char *reason) {
    char json[256];
    /* epoch seconds with a fraction (a number's unit is told by its magnitude) */
    snprintf(json, sizeof(json), "{\"city\":\"%s\",\"ts\":%.6f,\"temperature\":%s}", city, t_s,
             temp);
    struct fl_error err = {0};
    fl_batch_reset(fx->in);
    if (fl_batch_append_json(fx->in, json, strlen(json), &err)) fail_msg("%s", err.msg);
    char why[512];
    return fl_pipe_window_add(fx->w, fx->in, 0, reason ? reason : why, 512);
}

struct row {
    char city[16];
    int64_t start, end, n, n_t;
    double avg, sum, min, max;
    bool avg_null;
};

static int emit_rows(struct fixture *fx, struct row *rows, int max) {
    struct fl_batch *b = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_batch_new(fx->out, 0, &b, &err), FL_OK);
    size_t n = 0;
    assert_int_equal(fl_pipe_window_emit(fx->w, b, 42, &n, &err), FL_OK);
    assert_int_equal(n, b->nrows);
    const struct fl_schema *s = fx->out;
    int ci = fl_schema_index_by_name(s, "city"), si = fl_schema_index_by_name(s, "window_start"),
        ei = fl_schema_index_by_name(s, "window_end"), ai = fl_schema_index_by_name(s, "avg_t"),
        ni = fl_schema_index_by_name(s, "n"), sui = fl_schema_index_by_name(s, "sum_t"),
        mi = fl_schema_index_by_name(s, "min_t"), xi = fl_schema_index_by_name(s, "max_t"),
        nti = fl_schema_index_by_name(s, "n_t"), ui = fl_schema_index_by_name(s, "last_updated");
    for (size_t r = 0; r < b->nrows && (int)r < max; r++) {
        struct row *x = &rows[r];
        size_t len;
        const uint8_t *c = fl_col_bytes(&b->cols[ci], r, &len);
        snprintf(x->city, sizeof(x->city), "%.*s", (int)len, c);
        x->start = ((int64_t *)b->cols[si].values)[r];
        x->end = ((int64_t *)b->cols[ei].values)[r];
        x->n = ((int64_t *)b->cols[ni].values)[r];
        x->n_t = ((int64_t *)b->cols[nti].values)[r];
        x->avg_null = fl_col_is_null(&b->cols[ai], r);
        x->avg = ((double *)b->cols[ai].values)[r];
        x->sum = ((double *)b->cols[sui].values)[r];
        x->min = ((double *)b->cols[mi].values)[r];
        x->max = ((double *)b->cols[xi].values)[r];
        assert_int_equal(((int64_t *)b->cols[ui].values)[r], 42);
    }
    int got = (int)b->nrows;
    fl_batch_free(b);
    return got;
}

static const struct row *find(const struct row *rows, int n, const char *city, int64_t start_s) {
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].city, city) && rows[i].start == start_s * S) return &rows[i];
    return NULL;
}

static void test_tumbling(void **state) {
    (void)state;
    struct fixture fx;
    fx_init(&fx, 60000, 0, 0);
    assert_int_equal(add(&fx, "a", 10, "1.5", NULL), FL_OK);
    assert_int_equal(add(&fx, "a", 59.999, "2.5", NULL), FL_OK);
    assert_int_equal(add(&fx, "b", 30, "null", NULL),
                     FL_OK); /* counted by count(*), not by the others */
    assert_int_equal(add(&fx, "a", 60, "-4", NULL), FL_OK); /* the next window: [60, 120) */
    assert_int_equal(add(&fx, "a", -1, "7", NULL),
                     FL_ERR_RANGE); /* [-60, 0) closed at watermark 60 */
    struct row rows[8];
    assert_int_equal(emit_rows(&fx, rows, 8), 3);
    const struct row *a0 = find(rows, 3, "a", 0), *a1 = find(rows, 3, "a", 60),
                     *b0 = find(rows, 3, "b", 0);
    assert_non_null(a0);
    assert_non_null(a1);
    assert_non_null(b0);
    assert_int_equal(a0->end, 60 * S);
    assert_int_equal(a0->n, 2);
    assert_true(a0->avg == 2.0 && a0->sum == 4.0 && a0->min == 1.5 && a0->max == 2.5);
    assert_int_equal(a1->n, 1);
    assert_true(a1->avg == -4 && a1->min == -4 && a1->max == -4);
    assert_int_equal(b0->n, 1);
    assert_int_equal(b0->n_t, 0);
    assert_true(b0->avg_null);
    fx_fini(&fx);
}

static void test_hopping(void **state) {
    (void)state;
    struct fixture fx;
    fx_init(&fx, 60000, 20000, 1000000); /* 1 min windows every 20 s; lateness large */
    assert_int_equal(add(&fx, "a", 70, "1", NULL), FL_OK);  /* in [20,80) [40,100) [60,120) */
    assert_int_equal(add(&fx, "a", 45, "3", NULL), FL_OK);  /* in [0,60) [20,80) [40,100) */
    assert_int_equal(add(&fx, "a", -5, "10", NULL), FL_OK); /* in [-60,0) [-40,20) [-20,40) */
    struct row rows[16];
    int n = emit_rows(&fx, rows, 16);
    assert_int_equal(n, 7);
    int64_t want_start[] = {-60, -40, -20, 0, 20, 40, 60};
    int64_t want_n[] = {1, 1, 1, 1, 2, 2, 1};
    double want_sum[] = {10, 10, 10, 3, 4, 4, 1};
    for (int i = 0; i < 7; i++) {
        const struct row *r = find(rows, n, "a", want_start[i]);
        assert_non_null(r);
        assert_int_equal(r->end - r->start, 60 * S);
        assert_int_equal(r->n, want_n[i]);
        assert_true(r->sum == want_sum[i]);
    }
    fx_fini(&fx);
}

static void test_watermark_late_evict(void **state) {
    (void)state;
    struct fixture fx;
    fx_init(&fx, 60000, 0, 10000); /* tumbling 1 min, 10 s lateness */
    char reason[512];
    assert_int_equal(add(&fx, "a", 100, "1", reason), FL_OK); /* [60,120) */
    assert_int_equal(add(&fx, "a", 125, "1", reason),
                     FL_OK); /* watermark 115: [60,120) still open */
    assert_int_equal(add(&fx, "a", 119, "5", reason), FL_OK); /* out of order, within lateness */
    assert_int_equal(fl_pipe_window_watermark(fx.w), 115 * S);
    assert_int_equal(add(&fx, "b", 200, "1", reason),
                     FL_OK); /* watermark 190 closes [60,120) and [120,180) */
    assert_int_equal(add(&fx, "a", 170, "9", reason), FL_ERR_RANGE);
    assert_non_null(strstr(reason, "late: "));
    assert_non_null(strstr(reason, "watermark"));
    assert_int_equal(add(&fx, "a", 181, "2", reason), FL_OK); /* [180,240) is open */
    struct row rows[8];
    int n = emit_rows(&fx, rows, 8);
    assert_int_equal(n, 4); /* a@60 (closed now, but touched: emitted), a@120, b@180, a@180 */
    assert_int_equal(find(rows, n, "a", 60)->n, 2);
    assert_true(find(rows, n, "a", 60)->max == 5);
    assert_int_equal(fl_pipe_window_open_count(fx.w), 4);
    fl_pipe_window_done(fx.w); /* committed: the closed windows go */
    assert_int_equal(fl_pipe_window_open_count(fx.w), 2);
    assert_int_equal(emit_rows(&fx, rows, 8), 0); /* nothing touched since */
    assert_int_equal(add(&fx, "a", 182, "4", reason), FL_OK);
    n = emit_rows(&fx, rows, 8);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].n, 2);
    assert_true(rows[0].avg == 3.0);
    /* a record without an event time is refused too */
    fl_batch_reset(fx.in);
    fl_col_append_bytes(&fx.in->cols[0], "a", 1);
    fl_col_append_null(&fx.in->cols[1]);
    fl_col_append_null(&fx.in->cols[2]);
    assert_int_equal(fl_batch_end_row(fx.in), FL_OK);
    assert_int_equal(fl_pipe_window_add(fx.w, fx.in, 0, reason, sizeof(reason)), FL_ERR_RANGE);
    assert_non_null(strstr(reason, "no event time"));
    fx_fini(&fx);
}

/* Many keys and windows: the table grows and evicts without losing any. */
static void test_many_windows(void **state) {
    (void)state;
    struct fixture fx;
    fx_init(&fx, 1000, 0, 0);
    char city[16];
    for (int t = 0; t < 50; t++)
        for (int k = 0; k < 100; k++) {
            snprintf(city, sizeof(city), "k%d", k);
            assert_int_equal(add(&fx, city, t, "1", NULL), FL_OK);
        }
    assert_int_equal(fl_pipe_window_open_count(fx.w), 5000);
    struct row *rows = calloc(5000, sizeof(*rows));
    assert_int_equal(emit_rows(&fx, rows, 5000), 5000);
    for (int i = 0; i < 5000; i++) assert_int_equal(rows[i].n, 1);
    free(rows);
    fl_pipe_window_done(fx.w);
    assert_int_equal(fl_pipe_window_open_count(fx.w), 100); /* only second 49 is open */
    assert_int_equal(add(&fx, "k7", 49.5, "3", NULL), FL_OK);
    struct row r[2];
    assert_int_equal(emit_rows(&fx, r, 2), 1);
    assert_int_equal(r[0].n, 2);
    assert_string_equal(r[0].city, "k7");
    fx_fini(&fx);
}

/* Restoring from emitted rows continues exactly where the first left off. */
static void test_restore(void **state) {
    (void)state;
    struct fixture a, b;
    fx_init(&a, 60000, 30000, 5000);
    fx_init(&b, 60000, 30000, 5000);
    const double ts[] = {10, 20, 65, 31, 95, 61, 200, 150, 171, 190};
    const char *vals[] = {"1", "2", "3.25", "4", "null", "6", "7", "8", "9", "10"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(add(&a, "x", ts[i], vals[i], NULL), add(&b, "y", ts[i], vals[i], NULL));
    }
    /* b "commits": its rows are written, then it restarts from them */
    struct fl_batch *rows = NULL;
    struct fl_error err = {0};
    size_t n = 0;
    assert_int_equal(fl_batch_new(b.out, 0, &rows, &err), FL_OK);
    assert_int_equal(fl_pipe_window_emit(b.w, rows, 1, &n, &err), FL_OK);
    int64_t mx = fl_pipe_window_max_event(b.w);
    fl_pipe_window_reset(b.w);
    assert_int_equal(fl_pipe_window_open_count(b.w), 0);
    fl_pipe_window_set_max_event(b.w, mx);
    for (size_t r = 0; r < rows->nrows; r++)
        assert_int_equal(fl_pipe_window_restore(b.w, rows, r, &err), FL_OK);
    fl_batch_free(rows);
    /* both go on; a's windows are renamed "y" in b: compare by start */
    fl_pipe_window_done(a.w);
    for (int i = 5; i < 10; i++)
        assert_int_equal(add(&a, "x", ts[i], vals[i], NULL), add(&b, "y", ts[i], vals[i], NULL));
    struct row ra[16], rb[16];
    int na = emit_rows(&a, ra, 16), nb = emit_rows(&b, rb, 16);
    assert_true(na > 0);
    for (int i = 0; i < na; i++) {
        const struct row *o = find(rb, nb, "y", ra[i].start / S);
        assert_non_null(o);
        assert_int_equal(o->n, ra[i].n);
        assert_int_equal(o->n_t, ra[i].n_t);
        assert_true(o->avg == ra[i].avg && o->sum == ra[i].sum && o->min == ra[i].min &&
                    o->max == ra[i].max);
    }
    fx_fini(&a);
    fx_fini(&b);
}

static void test_config_check(void **state) {
    (void)state;
    struct fl_pipe_window_config c = {.time_col = "ts",
                                      .key = KEY,
                                      .nkey = 1,
                                      .size_ms = 60000,
                                      .slide_ms = 25000,
                                      .aggs = AGGS,
                                      .naggs = 2};
    struct fl_error err = {0};
    assert_int_equal(fl_pipe_window_config_check(&c, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "divide"));
    c.slide_ms = 0;
    assert_int_equal(fl_pipe_window_config_check(&c, &err), FL_OK);
    struct fl_pipe_agg bad[] = {{FL_PIPE_AGG_AVG, "*", "x"}};
    c.aggs = bad;
    c.naggs = 1;
    fl_err_clear(&err);
    assert_int_equal(fl_pipe_window_config_check(&c, &err), FL_ERR_INVALID);
    if (!strstr(err.msg, "avg(*)")) fail_msg("%s", err.msg);
}

/* ---- through a pipeline: log -> window -> Iceberg, with a restart ---- */

struct env {
    char dir[64];
    struct fl_log *log;
    struct fl_store *st;
    struct fl_catalog *cat;
};

static void env_open(struct env *e) {
    snprintf(e->dir, sizeof(e->dir), "/tmp/floe-win-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    char logdir[128], uri[128], caturi[128];
    snprintf(logdir, sizeof(logdir), "%s/log", e->dir);
    snprintf(uri, sizeof(uri), "file://%s/wh", e->dir);
    snprintf(caturi, sizeof(caturi), "sqlite://%s/cat.db", e->dir);
    struct fl_error err = {0};
    struct fl_log_opts lo;
    fl_log_opts_default(&lo);
    lo.dir = logdir;
    assert_int_equal(fl_log_open(&lo, &e->log, &err), FL_OK);
    struct fl_log_topic_config tc;
    fl_log_topic_config_default(&tc);
    assert_int_equal(fl_log_topic_create(e->log, "weather", &tc, &err), FL_OK);
    struct fl_store_opts so = {0};
    assert_int_equal(fl_store_open(uri, &so, &e->st, &err), FL_OK);
    assert_int_equal(fl_catalog_open(caturi, "floe", &e->cat, &err), FL_OK);
}

static void env_close(struct env *e) {
    fl_catalog_free(e->cat);
    fl_store_free(e->st);
    fl_log_close(e->log);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
    assert_int_equal(system(cmd), 0);
}

static void produce_event(struct env *e, int i) {
    /* out of order within 30 s, every 7th one late beyond the 10 s lateness */
    static const char *const cities[] = {"Denver", "Miami", "Boston"};
    int64_t t = 1767880800 + i * 5 - (i % 3) * 12 - (i % 7 == 6 ? 120 : 0);
    char v[160];
    snprintf(v, sizeof(v), "{\"city\":\"%s\",\"temperature\":\"%d.%d\",\"ts\":%lld}", cities[i % 3],
             40 + i % 50, i % 10, (long long)t * 1000000);
    struct fl_log_record r = {
        .value = (const uint8_t *)v, .value_len = strlen(v), .timestamp_ms = -1};
    int64_t off;
    struct fl_error err = {0};
    if (fl_log_append(e->log, "weather", 0, &r, 1, &off, &err)) fail_msg("%s", err.msg);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The table's rows as sorted text lines, without last_updated. */
static char *table_text(struct env *e) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_load(e->st, fl_catalog_ice(e->cat), "default", "agg", &tbl, &err))
        fail_msg("%s", err.msg);
    struct fl_ice_scan *sc = NULL;
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_OK);
    char **lines = NULL;
    size_t n = 0;
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &b, &err);
        if (rc == FL_ERR_EOF) break;
        assert_int_equal(rc, FL_OK);
        int up = fl_schema_index_by_name(b->schema, "last_updated");
        for (size_t r = 0; r < b->nrows; r++) {
            struct fl_buf t;
            fl_buf_init(&t, FL_BUF_NOMAX);
            for (int c = 0; c < b->ncols; c++) {
                if (c == up) continue;
                const struct fl_col *col = &b->cols[c];
                if (fl_col_is_null(col, r))
                    fl_buf_append_str(&t, "null");
                else if (col->width == 8 && col->field->type == FL_TYPE_DOUBLE)
                    fl_buf_printf(&t, "%.17g", ((double *)col->values)[r]);
                else if (col->width == 8)
                    fl_buf_printf(&t, "%lld", (long long)((int64_t *)col->values)[r]);
                else {
                    size_t len;
                    const uint8_t *v = fl_col_bytes(col, r, &len);
                    fl_buf_append(&t, v, len);
                }
                fl_buf_append_u8(&t, '|');
            }
            fl_buf_append_u8(&t, 0);
            lines = realloc(lines, (n + 1) * sizeof(char *));
            lines[n++] = strdup((char *)t.data);
            fl_buf_fini(&t);
        }
    }
    fl_ice_scan_free(sc);
    fl_ice_table_free(tbl);
    qsort(lines, n, sizeof(char *), cmp_str);
    size_t total = 1;
    for (size_t i = 0; i < n; i++) total += strlen(lines[i]) + 1;
    char *out = calloc(1, total);
    for (size_t i = 0; i < n; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
        free(lines[i]);
    }
    free(lines);
    return out;
}

static char *run_pipeline(int restart_every, int64_t *late_out) {
    struct env e;
    env_open(&e);
    static const struct fl_pipe_agg aggs[] = {{FL_PIPE_AGG_AVG, "temperature", "avg_temperature"},
                                              {FL_PIPE_AGG_COUNT, "*", "record_count"},
                                              {FL_PIPE_AGG_MAX, "temperature", "max_temperature"}};
    struct fl_pipe_window_config wc = {.time_col = "ts",
                                       .key = KEY,
                                       .nkey = 1,
                                       .size_ms = 60000,
                                       .slide_ms = 30000,
                                       .lateness_ms = 10000,
                                       .aggs = aggs,
                                       .naggs = 3};
    struct fl_pipe_config pc = {
        .name = "agg", .topic = "weather", .ns = "default", .table = "agg", .window = &wc};
    struct fl_error err = {0};
    struct fl_pipe *p = NULL;
    int64_t late = 0;
    for (int i = 0; i < 120; i++) {
        produce_event(&e, i);
        if (i % 10 != 9) continue;
        if (!p && fl_pipe_new(e.log, e.st, e.cat, &pc, &p, &err)) fail_msg("%s", err.msg);
        int64_t n = 0;
        if (fl_pipe_step(p, &n, &err)) fail_msg("%s", err.msg);
        struct fl_pipe_stats ps;
        fl_pipe_get_stats(p, &ps);
        if (restart_every && (i / 10) % restart_every == 0) {
            late += ps.records_late;
            fl_pipe_free(p); /* the next step runs on a fresh pipeline: state from the table */
            p = NULL;
        }
    }
    if (p) {
        struct fl_pipe_stats ps;
        fl_pipe_get_stats(p, &ps);
        late += ps.records_late;
        fl_pipe_free(p);
    }
    *late_out = late;
    char *t = table_text(&e);
    env_close(&e);
    return t;
}

static void test_pipeline_restart_same_rows(void **state) {
    (void)state;
    int64_t late0 = 0, late1 = 0;
    char *once = run_pipeline(0, &late0);
    char *restarted = run_pipeline(1, &late1);
    assert_true(strlen(once) > 100);
    if (strcmp(once, restarted)) {
        FILE *f = fopen("/tmp/floe-win-once.txt", "w");
        fputs(once, f);
        fclose(f);
        f = fopen("/tmp/floe-win-restarted.txt", "w");
        fputs(restarted, f);
        fclose(f);
        fail_msg(
            "a restart changed the rows: diff /tmp/floe-win-once.txt /tmp/floe-win-restarted.txt");
    }
    assert_true(late0 > 0);
    assert_int_equal(late0, late1);
    free(once);
    free(restarted);
}

static void test_config_yaml(void **state) {
    (void)state;
    char path[] = "/tmp/floe-wcfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *good = "pipelines:\n"
                       "  - name: agg\n"
                       "    topic: weather\n"
                       "    table: default.weather_agg\n"
                       "    window:\n"
                       "      time: ts\n"
                       "      key: [city]\n"
                       "      size: 1m\n"
                       "      slide: 30s\n"
                       "      lateness: 500ms\n"
                       "      aggregates:\n"
                       "        - {avg: temperature, as: avg_temperature}\n"
                       "        - {count: \"*\"}\n"
                       "      postgres: {uri: \"postgresql://u@h/db\", table: weather}\n";
    assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
    close(fd);
    struct fl_config cfg;
    struct fl_error err = {0};
    fl_config_init(&cfg);
    if (fl_config_load(path, &cfg, &err)) fail_msg("%s", err.msg);
    const struct fl_config_window *w = cfg.pipelines[0].window;
    assert_non_null(w);
    assert_string_equal(w->time, "ts");
    assert_int_equal(w->nkey, 1);
    assert_int_equal(w->size_ms, 60000);
    assert_int_equal(w->slide_ms, 30000);
    assert_int_equal(w->lateness_ms, 500);
    assert_int_equal(w->naggs, 2);
    assert_int_equal(w->aggs[0].fn, FL_PIPE_AGG_AVG);
    assert_string_equal(w->aggs[1].as, "count");
    assert_string_equal(w->pg_table, "weather");
    fl_config_fini(&cfg);

    static const struct {
        const char *yaml, *want;
    } bad[] = {
        {"pipelines:\n  - {topic: w, table: a.b, window: {time: ts, size: 1m, aggregates: [{avg: "
         "t}], slide: 25s}}\n",
         ":2: pipelines[].window.slide: must divide"},
        {"pipelines:\n  - topic: w\n    table: a.b\n    window:\n      time: ts\n      size: 60\n",
         ":6: pipelines[].window.size: expected a duration"},
        {"pipelines:\n  - topic: w\n    table: a.b\n    window:\n      time: ts\n      size: 1m\n  "
         "    aggregates:\n"
         "        - {median: t}\n",
         ":8: pipelines[].window.aggregates[].median: unknown key"},
        {"pipelines:\n  - topic: w\n    table: a.b\n    window: {size: 1m, aggregates: [{count: "
         "\"*\"}]}\n",
         ":4: pipelines[].window.time: missing"},
        {"pipelines:\n  - topic: w\n    table: a.b\n    window: {time: ts, size: 1m, aggregates: "
         "[{sum: \"*\"}]}\n",
         "only count takes"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        FILE *f = fopen(path, "w");
        fputs(bad[i].yaml, f);
        fclose(f);
        fl_config_init(&cfg);
        memset(&err, 0, sizeof(err));
        assert_int_equal(fl_config_load(path, &cfg, &err), FL_ERR_INVALID);
        if (!strstr(err.msg, bad[i].want))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg, bad[i].want);
        fl_config_fini(&cfg);
    }
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumbling),
        cmocka_unit_test(test_hopping),
        cmocka_unit_test(test_watermark_late_evict),
        cmocka_unit_test(test_many_windows),
        cmocka_unit_test(test_restore),
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_pipeline_restart_same_rows),
        cmocka_unit_test(test_config_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
