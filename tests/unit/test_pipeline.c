/*
 * test_pipeline.c - topic -> Iceberg table, exactly once: records land as
 * rows with their _kafka_* positions, bad ones go to the dead-letter topic
 * with a reason, the snapshot carries the offsets, a restarted pipeline
 * resumes from the table's own record (nothing twice, nothing lost), and
 * a pipeline running on its thread commits what arrives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "iceberg/table.h"
#include "log/log.h"
#include "pipeline/pipeline.h"
#include "pipe_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"temperature\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"},"
    "{\"id\":4,\"name\":\"_kafka_partition\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":5,\"name\":\"_kafka_offset\",\"required\":false,\"type\":\"long\"}]}";

static void produce(struct fl_log *log, const char *topic, int part, const char *value) {
    struct fl_error err = {0};
    struct fl_log_record r = {
        .value = (const uint8_t *)value, .value_len = strlen(value), .timestamp_ms = -1};
    int64_t off;
    if (fl_log_append(log, topic, part, &r, 1, &off, &err)) fail_msg("append: %s", err.msg);
}

static int64_t table_rows(struct fl_store *st, struct fl_catalog *cat, int64_t *max_offset_p1) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_load(st, fl_catalog_ice(cat), "default", "weather", &tbl, &err))
        fail_msg("%s", err.msg);
    struct fl_ice_scan *sc = NULL;
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_OK);
    int64_t n = 0, sum = 0;
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &b, &err);
        if (rc == FL_ERR_EOF) break;
        assert_int_equal(rc, FL_OK);
        for (size_t r = 0; r < b->nrows; r++) sum += ((int64_t *)b->cols[4].values)[r] + 1;
        n += (int64_t)b->nrows;
    }
    if (max_offset_p1) *max_offset_p1 = sum;
    fl_ice_scan_free(sc);
    fl_ice_table_free(tbl);
    return n;
}

/* A log, a warehouse and a catalog in a fresh temporary folder, and the
 * weather schema. */
static void env_open(struct env *e) { pipe_env_open(e, "floe-pipe", SCHEMA); }

static void env_close(struct env *e) { pipe_env_close(e); }

/* A topic of nparts partitions and an empty table of the weather schema. */
static void topic_and_table(struct env *e, const char *topic, int nparts, const char *table) {
    struct fl_error err = {0};
    struct fl_log_topic_config tc;
    fl_log_topic_config_default(&tc);
    tc.partitions = nparts;
    assert_int_equal(fl_log_topic_create(e->log, topic, &tc, &err), FL_OK);
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_create(e->st, fl_catalog_ice(e->cat), "default", table, e->schema, NULL, NULL,
                            0, &tbl, &err))
        fail_msg("%s", err.msg);
    fl_ice_table_free(tbl);
}

static void test_exactly_once(void **state) {
    (void)state;
    struct env e;
    env_open(&e);
    struct fl_log *log = e.log;
    struct fl_store *st = e.st;
    struct fl_catalog *cat = e.cat;
    struct fl_error err = {0};
    topic_and_table(&e, "weather", 2, "weather");

    /* seed 001's events: ts as YYYY-MM-DD-HH */
    for (int i = 0; i < 10; i++) {
        char v[128];
        snprintf(v, sizeof(v), "{\"city\":\"c%d\",\"temperature\":%d.5,\"ts\":\"2026-01-08-%02d\"}",
                 i, i, i);
        produce(log, "weather", i % 2, v);
    }
    produce(log, "weather", 0, "not json");
    produce(log, "weather", 1, "{\"temperature\":1}"); /* city is required */
    produce(log, "weather", 0, "{\"city\":\"\xff\"}"); /* not UTF-8: kept in hex */

    struct fl_pipe_config pc = {
        .name = "weather-to-iceberg", .topic = "weather", .ns = "default", .table = "weather"};
    struct fl_pipe *p = NULL;
    if (fl_pipe_new(log, st, cat, &pc, &p, &err)) fail_msg("%s", err.msg);
    int64_t n = 0;
    assert_int_equal(fl_pipe_step(p, &n, &err), FL_OK);
    assert_int_equal(n, 13);
    struct fl_pipe_stats ps;
    fl_pipe_get_stats(p, &ps);
    assert_int_equal(ps.records_out, 10);
    assert_int_equal(ps.records_dlq, 3);
    assert_int_equal(fl_pipe_step(p, &n, &err), FL_OK);
    assert_int_equal(n, 0); /* nothing new, no snapshot */
    fl_pipe_free(p);
    assert_int_equal(table_rows(st, cat, NULL), 10);

    /* the dead-letter topic holds both refused records with their reasons */
    struct fl_buf raw;
    fl_buf_init(&raw, 1 << 20);
    int64_t next;
    assert_int_equal(fl_log_read(log, "weather.dlq", 0, 0, 1 << 20, &raw, &next, &err), FL_OK);
    assert_int_equal(next, 3); /* the step's three dead letters, appended as one batch */
    assert_non_null(memmem(raw.data, raw.len, "not a JSON object", 17));
    assert_non_null(memmem(raw.data, raw.len, "required field is missing", 25));
    assert_non_null(memmem(raw.data, raw.len, "\"value_hex\":\"7b2263697479223a22ff227d\"", 38));
    fl_buf_fini(&raw);

    /* a restarted pipeline resumes from the table's offsets: nothing twice */
    for (int i = 10; i < 15; i++) {
        char v[128];
        snprintf(v, sizeof(v),
                 "{\"city\":\"c%d\",\"temperature\":1,\"ts\":\"2026-01-08T00:00:00Z\"}", i);
        produce(log, "weather", i % 2, v);
    }
    assert_int_equal(fl_pipe_new(log, st, cat, &pc, &p, &err), FL_OK);
    assert_int_equal(fl_pipe_step(p, &n, &err), FL_OK);
    assert_int_equal(n, 5);
    int64_t offsum = 0;
    assert_int_equal(table_rows(st, cat, &offsum), 15);
    /* partition 0 offsets 0..7 minus the bad one at 5, partition 1 offsets 0..6 minus 5 */
    assert_true(offsum > 0);

    /* on its thread: what arrives is committed, and stop flushes */
    assert_int_equal(fl_pipe_start(p, &err), FL_OK);
    for (int i = 0; i < 20; i++) produce(log, "weather", i % 2, "{\"city\":\"x\",\"ts\":0}");
    fl_pipe_stop(p);
    assert_int_equal(table_rows(st, cat, NULL), 35);
    fl_pipe_free(p);
    env_close(&e);
}

/* The lag counts every partition, however many the topic has: at 64
 * (the size of the fixed array it once used), past it (65) and well past
 * it (200); records in the last partition are counted, then consumed. */
static void test_lag_every_partition(void **state) {
    (void)state;
    struct env e;
    env_open(&e);
    struct fl_error err = {0};
    const int widths[] = {64, 65, 200};
    for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
        char topic[32];
        snprintf(topic, sizeof(topic), "wide%d", widths[w]);
        topic_and_table(&e, topic, widths[w], topic);
        struct fl_pipe_config pc = {.topic = topic, .ns = "default", .table = topic};
        struct fl_pipe *p = NULL;
        if (fl_pipe_new(e.log, e.st, e.cat, &pc, &p, &err)) fail_msg("%s", err.msg);
        const char *ev = "{\"city\":\"x\",\"ts\":\"2026-01-08T00:00:00Z\"}";
        produce(e.log, topic, 0, ev);
        for (int i = 0; i < 3; i++) produce(e.log, topic, widths[w] - 1, ev);
        struct fl_pipe_stats ps;
        fl_pipe_get_stats(p, &ps);
        assert_int_equal(ps.lag, 4); /* the last partition's three count */
        int64_t n = 0;
        assert_int_equal(fl_pipe_step(p, &n, &err), FL_OK);
        assert_int_equal(n, 4);
        fl_pipe_get_stats(p, &ps);
        assert_int_equal(ps.consumed, 4);
        assert_int_equal(ps.lag, 0);
        fl_pipe_free(p);
    }
    env_close(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_exactly_once),
                                       cmocka_unit_test(test_lag_every_partition)};
    return cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
}
