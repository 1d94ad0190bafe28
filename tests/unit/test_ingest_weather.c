/*
 * test_ingest_weather.c - seed 001's dashboard API (src/ingest/
 * routes_weather.c) and the pages (routes_web.c) through the router,
 * without sockets, over a scratch catalog: no table, an empty table, rows
 * in the seed's exact reply shape, latest?since= filtering and its
 * errors; the cache answers from memory while nothing commits (the data
 * files can even be gone) and after a commit reads only the files it
 * added (an upsert's new row replaces the cached point of its key), and
 * the whole table again after files were removed (compaction); the pages and
 * assets with their types, 404s for names not embedded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch.h"
#include "batch/batch_json.h"
#include "catalog/catalog.h"
#include "core/mem.h"
#include "core/schema.h"
#include "iceberg/table.h"
#include "ingest/ingest.h"
#include "ingest_memlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct env {
    char dir[64];
    struct fl_store *st;
    struct fl_catalog *cat;
    struct memlog ml;
    struct fl_ingest_backend be;
    struct fl_ingest *ing;
    struct fl_ingest_resp resp;
    struct fl_ice_table *tbl;
};

static int env_setup(void **state) {
    struct env *e = calloc(1, sizeof(*e));
    snprintf(e->dir, sizeof(e->dir), "/tmp/floe-weather-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    char uri[128];
    struct fl_error err = {0};
    snprintf(uri, sizeof(uri), "file://%s/wh", e->dir);
    assert_int_equal(fl_store_open(uri, NULL, &e->st, &err), FL_OK);
    snprintf(uri, sizeof(uri), "sqlite://%s/catalog.db", e->dir);
    assert_int_equal(fl_catalog_open(uri, "floe", &e->cat, &err), FL_OK);
    memlog_init(&e->ml, &e->be);
    struct fl_ingest_config cfg;
    fl_ingest_config_default(&cfg);
    cfg.sql = (struct fl_ingest_sql){.store = e->st, .cat = e->cat, .log = NULL};
    assert_int_equal(fl_ingest_new(&cfg, &e->be, &e->ing, &err), FL_OK);
    fl_ingest_config_fini(&cfg);
    fl_ingest_resp_init(&e->resp);
    *state = e;
    return 0;
}

static int env_teardown(void **state) {
    struct env *e = *state;
    fl_ice_table_free(e->tbl);
    fl_ingest_resp_fini(&e->resp);
    fl_ingest_free(e->ing);
    memlog_fini(&e->ml);
    fl_catalog_free(e->cat);
    fl_store_free(e->st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
    assert_int_equal(system(cmd), 0);
    free(e);
    return 0;
}

/* GET target: the status; the body is e->resp.body, NUL-terminated. */
static int get(struct env *e, const char *target) {
    struct fl_ingest_req req = {.method = "GET", .target = target};
    fl_ingest_handle(e->ing, &req, &e->resp);
    assert_int_equal(fl_buf_append_u8(&e->resp.body, 0), FL_OK);
    e->resp.body.len--;
    if (getenv("TEST_VERBOSE"))
        fprintf(stderr, "%s -> %d %s\n", target, e->resp.status, (const char *)e->resp.body.data);
    return e->resp.status;
}
static const char *body(struct env *e) { return (const char *)e->resp.body.data; }

/* default.weather_agg as the window pipeline makes it (the columns the API reads). */
static void create_agg(struct env *e) {
    const char *schema =
        "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
        "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":\"string\"},"
        "{\"id\":2,\"name\":\"window_start\",\"required\":true,\"type\":\"timestamptz\"},"
        "{\"id\":3,\"name\":\"avg_temperature\",\"required\":false,\"type\":\"double\"}]}";
    struct fl_error err = {0};
    struct fl_schema *sc = NULL;
    assert_int_equal(fl_schema_parse(schema, strlen(schema), &sc, &err), FL_OK);
    if (fl_ice_table_create(e->st, fl_catalog_ice(e->cat), "default", "weather_agg", sc, NULL, NULL,
                            0, &e->tbl, &err))
        fail_msg("create: %s", err.msg);
    fl_schema_free(sc);
}

/* Appends rows (JSON objects, one a line) as one commit, with the rows
 * at positions pos[0..ndel) of data file del deleted in the same commit
 * (an upsert; ndel 0: a plain append). */
static void upsert(struct env *e, const char *rows, const char *del, const int64_t *pos, int ndel) {
    struct fl_error err = {0};
    struct fl_batch *b = NULL;
    struct fl_ice_appender *ap = NULL;
    assert_int_equal(fl_batch_new(fl_ice_meta_current_schema(e->tbl->meta), 0, &b, &err), FL_OK);
    for (const char *p = rows; *p;) {
        size_t n = strcspn(p, "\n");
        if (fl_batch_append_json(b, p, n, &err)) fail_msg("row: %s", err.msg);
        p += n + (p[n] == '\n');
    }
    assert_int_equal(fl_ice_appender_new(e->tbl, &ap, &err), FL_OK);
    assert_int_equal(fl_ice_appender_add(ap, b, &err), FL_OK);
    int64_t snap;
    struct fl_ice_data_file *dels = NULL;
    int ndels = 0;
    if (ndel) {
        const char *paths[8];
        for (int i = 0; i < ndel; i++) paths[i] = del;
        if (fl_ice_table_write_position_deletes(e->tbl, paths, pos, (size_t)ndel, &dels, &ndels,
                                                &err))
            fail_msg("deletes: %s", err.msg);
    }
    const struct fl_ice_snapshot *base = fl_ice_meta_current_snapshot(e->tbl->meta);
    if (fl_ice_appender_commit_with(ap, dels, ndels, base ? base->snapshot_id : -1, &del,
                                    ndel ? 1 : 0, NULL, 0, &snap, &err))
        fail_msg("commit: %s", err.msg);
    for (int i = 0; i < ndels; i++) fl_ice_data_file_fini(&dels[i]);
    fl_free(dels);
    fl_ice_appender_free(ap);
    fl_batch_free(b);
}

static void append(struct env *e, const char *rows) { upsert(e, rows, NULL, NULL, 0); }

/* The path of the data file the current snapshot added (one). */
struct newest {
    int64_t seq;
    char path[1024];
};
static int on_newest(void *ctx, const struct fl_ice_manifest_entry *en) {
    struct newest *n = ctx;
    if (en->status != FL_ICE_STATUS_DELETED && en->df.content == FL_ICE_CONTENT_DATA &&
        en->sequence_number == n->seq)
        snprintf(n->path, sizeof(n->path), "%s", en->df.file_path);
    return 0;
}
static void newest_file(struct env *e, char *out, size_t outsz) {
    struct fl_error err = {0};
    const struct fl_ice_snapshot *cur = fl_ice_meta_current_snapshot(e->tbl->meta);
    struct newest n = {.seq = cur->sequence_number};
    assert_int_equal(fl_ice_table_files(e->tbl, cur->snapshot_id, NULL, on_newest, &n, &err),
                     FL_OK);
    assert_true(n.path[0]);
    snprintf(out, outsz, "%s", n.path);
}

static bool is_path(void *ctx, const struct fl_ice_data_file *df) {
    return !strcmp(df->file_path, ctx);
}

static void test_weather_api(void **state) {
    struct env *e = *state;
    /* no table: no cities */
    assert_int_equal(get(e, "/api/weather"), 200);
    assert_string_equal(body(e), "{\"cities\":[],\"data\":{}}");
    assert_string_equal(e->resp.content_type, "application/json");
    create_agg(e);
    assert_int_equal(get(e, "/api/weather"), 200);
    assert_string_equal(body(e), "{\"cities\":[],\"data\":{}}");
    append(
        e,
        "{\"city\":\"Paris\",\"window_start\":\"2026-01-08T14:31:00Z\",\"avg_temperature\":70}\n"
        "{\"city\":\"Oslo\",\"window_start\":\"2026-01-08T14:30:00Z\",\"avg_temperature\":-3.5}\n"
        "{\"city\":\"Paris\",\"window_start\":\"2026-01-08T14:30:00.123456Z\","
        "\"avg_temperature\":72.5}\n"
        "{\"city\":\"Oslo\",\"window_start\":\"2026-01-08T14:31:00Z\"}");
    static const char all[] =
        "{\"cities\":[\"Oslo\",\"Paris\"],\"data\":{"
        "\"Oslo\":[{\"time\":\"2026-01-08T14:30:00.000Z\",\"temperature\":-3.5},"
        "{\"time\":\"2026-01-08T14:31:00.000Z\",\"temperature\":null}],"
        "\"Paris\":[{\"time\":\"2026-01-08T14:30:00.123Z\",\"temperature\":72.5},"
        "{\"time\":\"2026-01-08T14:31:00.000Z\",\"temperature\":70}]}}";
    assert_int_equal(get(e, "/api/weather"), 200);
    assert_string_equal(body(e), all);
    /* since: the points at or after it, every city listed */
    assert_int_equal(get(e, "/api/weather/latest?since=2026-01-08T14:31:00.000Z"), 200);
    assert_string_equal(body(e), "{\"cities\":[\"Oslo\",\"Paris\"],\"data\":{"
                                 "\"Oslo\":[{\"time\":\"2026-01-08T14:31:00.000Z\","
                                 "\"temperature\":null}],"
                                 "\"Paris\":[{\"time\":\"2026-01-08T14:31:00.000Z\","
                                 "\"temperature\":70}]}}");
    assert_int_equal(get(e, "/api/weather/latest?since=1767882660000"), 200); /* 14:31 in ms */
    assert_non_null(strstr(body(e), "\"Oslo\":[{\"time\":\"2026-01-08T14:31:00.000Z\""));
    assert_int_equal(get(e, "/api/weather/latest?since=2026-01-08%2014%3A30%3A00%2B01%3A00"), 200);
    assert_string_equal(body(e), all); /* 13:30 UTC */
    assert_int_equal(get(e, "/api/weather/latest?since=2999-01-01"), 200);
    assert_string_equal(body(e), "{\"cities\":[\"Oslo\",\"Paris\"],\"data\":{\"Oslo\":[],"
                                 "\"Paris\":[]}}");
    /* errors */
    assert_int_equal(get(e, "/api/weather/latest"), 400);
    assert_non_null(strstr(body(e), "40003"));
    assert_int_equal(get(e, "/api/weather/latest?since="), 400);
    assert_int_equal(get(e, "/api/weather/latest?since=12abc"), 400);
    assert_int_equal(get(e, "/api/weather/latest?since=%FF"), 400);
    assert_int_equal(get(e, "/api/weather/latest?since=-99999999999999999999"), 400);
    assert_int_equal(get(e, "/api/weather/other"), 404);
    assert_int_equal(get(e, "/api/weathers"), 404);
}

static void test_weather_cache(void **state) {
    struct env *e = *state;
    create_agg(e);
    append(e,
           "{\"city\":\"Rome\",\"window_start\":\"2026-01-08T14:30:00Z\",\"avg_temperature\":60}");
    assert_int_equal(get(e, "/api/weather"), 200);
    char first[256];
    snprintf(first, sizeof(first), "%s", body(e));
    /* the data files gone: while nothing commits, the cache still answers */
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "find %s/wh -name '*.parquet' -delete", e->dir);
    assert_int_equal(system(cmd), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(get(e, "/api/weather"), 200);
        assert_string_equal(body(e), first);
    }
    assert_int_equal(get(e, "/api/weather/latest?since=0"), 200);
    assert_string_equal(body(e), first);
    /* a commit moves the metadata location: the next request reads only
     * the file it added (the first one is gone, and not needed) */
    char second_file[1024];
    append(e,
           "{\"city\":\"Rome\",\"window_start\":\"2026-01-08T14:31:00Z\",\"avg_temperature\":61}");
    newest_file(e, second_file, sizeof(second_file));
    assert_int_equal(get(e, "/api/weather"), 200);
    assert_string_equal(body(e), "{\"cities\":[\"Rome\"],\"data\":{\"Rome\":["
                                 "{\"time\":\"2026-01-08T14:30:00.000Z\",\"temperature\":60},"
                                 "{\"time\":\"2026-01-08T14:31:00.000Z\",\"temperature\":61}]}}");
    /* an upsert (the window pipeline's update: the old row deleted, the
     * new one written, one "overwrite" snapshot): the new value replaces
     * the cached point of the same key, a new city joins in name order */
    int64_t pos0 = 0;
    upsert(e,
           "{\"city\":\"Rome\",\"window_start\":\"2026-01-08T14:31:00Z\",\"avg_temperature\":62}\n"
           "{\"city\":\"Oslo\",\"window_start\":\"2026-01-08T14:31:00Z\",\"avg_temperature\":30}",
           second_file, &pos0, 1);
    assert_int_equal(get(e, "/api/weather"), 200);
    assert_string_equal(body(e),
                        "{\"cities\":[\"Oslo\",\"Rome\"],\"data\":{"
                        "\"Oslo\":[{\"time\":\"2026-01-08T14:31:00.000Z\",\"temperature\":30}],"
                        "\"Rome\":["
                        "{\"time\":\"2026-01-08T14:30:00.000Z\",\"temperature\":60},"
                        "{\"time\":\"2026-01-08T14:31:00.000Z\",\"temperature\":62}]}}");
    assert_int_equal(get(e, "/api/weather/latest?since=2026-01-08T14:31:00Z"), 200);
    assert_string_equal(body(e),
                        "{\"cities\":[\"Oslo\",\"Rome\"],\"data\":{"
                        "\"Oslo\":[{\"time\":\"2026-01-08T14:31:00.000Z\",\"temperature\":30}],"
                        "\"Rome\":["
                        "{\"time\":\"2026-01-08T14:31:00.000Z\",\"temperature\":62}]}}");
    /* files removed (a "replace", as compaction commits; here it drops the
     * second file, whose row the upsert deleted): the next request reads
     * the whole table, and meets the first file, which is gone (500 with
     * the JSON error shape) */
    struct fl_error err = {0};
    int64_t snap;
    assert_int_equal(fl_ice_table_replace(e->tbl, is_path, second_file, NULL, 0, "replace", NULL, 0,
                                          &snap, &err),
                     FL_OK);
    assert_int_equal(get(e, "/api/weather"), 500);
    assert_non_null(strstr(body(e), "\"error_code\":50001"));
}

/* Removed files read whole: after an "overwrite" that drops a file (the
 * kind of snapshot an incremental read otherwise follows), its points are
 * gone (reading only the added files would have kept them). */
static void test_weather_removed(void **state) {
    struct env *e = *state;
    create_agg(e);
    append(e,
           "{\"city\":\"Rome\",\"window_start\":\"2026-01-08T14:30:00Z\",\"avg_temperature\":60}");
    char file[1024];
    newest_file(e, file, sizeof(file));
    append(e,
           "{\"city\":\"Rome\",\"window_start\":\"2026-01-08T14:31:00Z\",\"avg_temperature\":61}");
    assert_int_equal(get(e, "/api/weather"), 200);
    assert_non_null(strstr(body(e), "14:30:00.000Z"));
    struct fl_error err = {0};
    int64_t snap;
    assert_int_equal(
        fl_ice_table_replace(e->tbl, is_path, file, NULL, 0, "overwrite", NULL, 0, &snap, &err),
        FL_OK);
    assert_int_equal(get(e, "/api/weather"), 200);
    assert_string_equal(body(e), "{\"cities\":[\"Rome\"],\"data\":{\"Rome\":["
                                 "{\"time\":\"2026-01-08T14:31:00.000Z\",\"temperature\":61}]}}");
}

/* The next events of st as a string, in out. */
static const char *next_events(struct fl_ingest_stream *st, struct fl_buf *out) {
    fl_buf_reset(out);
    assert_true(fl_ingest_stream_next(st, out));
    assert_int_equal(fl_buf_append_u8(out, 0), FL_OK);
    return (const char *)out->data;
}

/* GET /api/weather/stream: the whole reply first, nothing while nothing
 * commits, then the points since 2 min before the newest sent. */
static void test_weather_stream(void **state) {
    struct env *e = *state;
    assert_int_equal(get(e, "/api/weather/stream"), 200);
    assert_string_equal(e->resp.content_type, "text/event-stream");
    struct fl_ingest_stream *st = e->resp.stream;
    e->resp.stream = NULL;
    assert_non_null(st);
    struct fl_buf out;
    fl_buf_init(&out, 1 << 20);
    assert_string_equal(next_events(st, &out),
                        "event: weather\ndata: {\"cities\":[],\"data\":{}}\n\n");
    assert_string_equal(next_events(st, &out), "");
    create_agg(e);
    append(e,
           "{\"city\":\"Rome\",\"window_start\":\"2026-01-08T10:00:00Z\",\"avg_temperature\":50}\n"
           "{\"city\":\"Rome\",\"window_start\":\"2026-01-08T14:30:00Z\",\"avg_temperature\":60}");
    assert_string_equal(next_events(st, &out),
                        "event: weather\ndata: {\"cities\":[\"Rome\"],\"data\":{\"Rome\":["
                        "{\"time\":\"2026-01-08T10:00:00.000Z\",\"temperature\":50},"
                        "{\"time\":\"2026-01-08T14:30:00.000Z\",\"temperature\":60}]}}\n\n");
    assert_string_equal(next_events(st, &out), "");
    append(e,
           "{\"city\":\"Rome\",\"window_start\":\"2026-01-08T14:31:00Z\",\"avg_temperature\":61}");
    assert_string_equal(next_events(st, &out),
                        "event: weather\ndata: {\"cities\":[\"Rome\"],\"data\":{\"Rome\":["
                        "{\"time\":\"2026-01-08T14:30:00.000Z\",\"temperature\":60},"
                        "{\"time\":\"2026-01-08T14:31:00.000Z\",\"temperature\":61}]}}\n\n");
    assert_string_equal(next_events(st, &out), "");
    fl_ingest_stream_free(st);
    fl_buf_fini(&out);
    assert_int_equal(get(e, "/api/weather/streams"), 404);
}

/* A day of 1-minute windows per city at most: the oldest of 1,441 drop out. */
static void test_weather_cap(void **state) {
    struct env *e = *state;
    create_agg(e);
    size_t cap = 1442 * 100, n = 0;
    char *rows = malloc(cap);
    for (int i = 0; i < 1441; i++)
        n += (size_t)snprintf(rows + n, cap - n,
                              "{\"city\":\"Oslo\",\"window_start\":%lld,\"avg_temperature\":%d}\n",
                              (long long)(1767880800000000LL + i * 60000000LL), i);
    rows[n - 1] = 0;
    append(e, rows);
    free(rows);
    assert_int_equal(get(e, "/api/weather"), 200);
    const char *b = body(e);
    int points = 0;
    for (const char *p = b; (p = strstr(p, "\"time\"")); p++) points++;
    assert_int_equal(points, 1440);
    /* 2026-01-08T14:00Z + 1 minute: the first window dropped */
    assert_non_null(
        strstr(b, "\"Oslo\":[{\"time\":\"2026-01-08T14:01:00.000Z\",\"temperature\":1}"));
    assert_non_null(strstr(b, "\"temperature\":1440}]}}"));
}

static void test_pages(void **state) {
    struct env *e = *state;
    /* no weather_agg: / is the console */
    assert_int_equal(get(e, "/"), 200);
    assert_string_equal(e->resp.content_type, "text/html; charset=utf-8");
    assert_non_null(strstr(body(e), "floe console"));
    create_agg(e);
    assert_int_equal(get(e, "/"), 200);
    assert_non_null(strstr(body(e), "Real-time weather analytics"));
    assert_int_equal(get(e, "/dashboard/weather"), 200);
    assert_non_null(strstr(body(e), "/assets/dashboard.js"));
    assert_int_equal(get(e, "/console"), 200);
    assert_non_null(strstr(body(e), "/assets/console.js"));
    assert_int_equal(get(e, "/assets/console.js"), 200);
    assert_string_equal(e->resp.content_type, "text/javascript; charset=utf-8");
    assert_int_equal(get(e, "/assets/floe.css"), 200);
    assert_string_equal(e->resp.content_type, "text/css; charset=utf-8");
    assert_int_equal(get(e, "/assets/"), 404);
    assert_int_equal(get(e, "/assets/nope.js"), 404);
    assert_int_equal(get(e, "/assets/../console"), 404);
    assert_int_equal(get(e, "/assets/%2e%2e%2fconsole.js"), 404);
    assert_int_equal(get(e, "/console/"), 404);
    assert_int_equal(get(e, "/licenses"), 200);
    assert_string_equal(e->resp.content_type, "text/plain; charset=utf-8");
    struct fl_ingest_req req = {.method = "POST", .target = "/console"};
    fl_ingest_handle(e->ing, &req, &e->resp);
    assert_int_equal(e->resp.status, 405);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_weather_api, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_weather_cache, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_weather_removed, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_weather_stream, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_weather_cap, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_pages, env_setup, env_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
