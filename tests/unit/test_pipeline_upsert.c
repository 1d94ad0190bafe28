/*
 * test_pipeline_upsert.c - seed 000's datalake path through a pipeline:
 * pointer records name raw JSON files in the warehouse (one object or an
 * array), a missing file and refused objects (status not allowed, a
 * required column null) go to the dead-letter topic with reasons, rows
 * are upserted by uuid: the same files re-sent many times leave the rows
 * as they are and make NO new snapshot; a changed file replaces its row
 * (position delete + append in one snapshot), one row per key, as floe's
 * scan (any v2 reader) sees it; a restarted pipeline converges the same.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "iceberg/table.h"
#include "log/log.h"
#include "pipeline/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"uuid\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"status\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"client_uuid\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"specialist_uuid\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":5,\"name\":\"processed_timestamp\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":6,\"name\":\"_kafka_offset\",\"required\":false,\"type\":\"long\"}]}";

static void produce(struct fl_log *log, const char *value) {
    struct fl_error err = {0};
    struct fl_log_record r = {
        .value = (const uint8_t *)value, .value_len = strlen(value), .timestamp_ms = -1};
    int64_t off;
    if (fl_log_append(log, "session_topic", 0, &r, 1, &off, &err)) fail_msg("append: %s", err.msg);
}

static void put(struct fl_store *st, const char *key, const char *text) {
    struct fl_error err = {0};
    if (fl_store_put(st, key, text, strlen(text), &err)) fail_msg("put: %s", err.msg);
}

static void pointer(struct fl_log *log, const char *name) {
    char v[256];
    snprintf(v, sizeof(v), "{\"file_name\":\"%s\",\"file_path\":\"uploads/sessions/%s\"}", name,
             name);
    produce(log, v);
}

/* Rows of default.sessions; *status_of_a gets the status of uuid "a"
 * and *count_a how many rows it has; *snaps the snapshot count. */
static int64_t table_rows(struct fl_store *st, struct fl_catalog *cat, char *status_of_a,
                          int *count_a, int *snaps) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_load(st, fl_catalog_ice(cat), "default", "sessions", &tbl, &err))
        fail_msg("%s", err.msg);
    *snaps = tbl->meta->nsnapshots;
    struct fl_ice_scan *sc = NULL;
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_OK);
    int64_t n = 0;
    *count_a = 0;
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &b, &err);
        if (rc == FL_ERR_EOF) break;
        assert_int_equal(rc, FL_OK);
        for (size_t r = 0; r < b->nrows; r++) {
            size_t len, sl;
            const uint8_t *u = fl_col_bytes(&b->cols[0], r, &len);
            if (len == 1 && u[0] == 'a') {
                (*count_a)++;
                const uint8_t *s = fl_col_bytes(&b->cols[1], r, &sl);
                snprintf(status_of_a, 32, "%.*s", (int)sl, (const char *)s);
            }
        }
        n += (int64_t)b->nrows;
    }
    fl_ice_scan_free(sc);
    fl_ice_table_free(tbl);
    return n;
}

static void step(struct fl_pipe *p, int64_t want) {
    struct fl_error err = {0};
    int64_t n = -1;
    if (fl_pipe_step(p, &n, &err)) fail_msg("step: %s", err.msg);
    assert_int_equal(n, want);
}

static const char *A1 =
    "{\"uuid\":\"a\",\"status\":\"approved\",\"client_uuid\":\"c1\",\"specialist_uuid\":\"s1\"}";
static const char *A2 = "{\"uuid\":\"a\",\"status\":\"resubmission\",\"client_uuid\":\"c1\","
                        "\"specialist_uuid\":\"s1\"}";

/* state: NULL, or the table's format-version ("3": the upserts' deletes
 * are deletion vectors) */
static void test_upsert(void **state) {
    const char *format = *state;
    struct fl_ice_kv props[] = {{"format-version", format}};
    char dir[] = "/tmp/floe-upsert-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char logdir[128], uri[128], caturi[128], cmd[256];
    snprintf(logdir, sizeof(logdir), "%s/log", dir);
    snprintf(uri, sizeof(uri), "file://%s/wh", dir);
    snprintf(caturi, sizeof(caturi), "sqlite://%s/cat.db", dir);
    struct fl_error err = {0};
    struct fl_log *log = NULL;
    struct fl_log_opts lo;
    fl_log_opts_default(&lo);
    lo.dir = logdir;
    assert_int_equal(fl_log_open(&lo, &log, &err), FL_OK);
    struct fl_log_topic_config tc;
    fl_log_topic_config_default(&tc);
    assert_int_equal(fl_log_topic_create(log, "session_topic", &tc, &err), FL_OK);
    struct fl_store *st = NULL;
    struct fl_catalog *cat = NULL;
    struct fl_schema *schema = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_ice_table *tbl = NULL;
    struct fl_store_opts so = {0};
    assert_int_equal(fl_store_open(uri, &so, &st, &err), FL_OK);
    assert_int_equal(fl_catalog_open(caturi, "floe", &cat, &err), FL_OK);
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err), FL_OK);
    const char *terms[] = {"status"};
    assert_int_equal(
        fl_ice_spec_from_terms(schema, 0, terms, 1, FL_ICE_PARTITION_FIELD_ID_START, &spec, &err),
        FL_OK);
    assert_int_equal(fl_ice_table_create(st, fl_catalog_ice(cat), "default", "sessions", schema,
                                         spec, props, format ? 1 : 0, &tbl, &err),
                     FL_OK);
    assert_int_equal(tbl->meta->format_version, format ? 3 : 2);
    fl_ice_table_free(tbl);
    fl_ice_spec_free(spec);
    fl_schema_free(schema);

    /* the raw files: one object, an array of two, refused ones */
    put(st, "uploads/sessions/s1.json", A1);
    put(st, "uploads/sessions/s2.json",
        "[{\"uuid\":\"b\",\"status\":\"approved\",\"client_uuid\":\"c2\",\"specialist_uuid\":"
        "\"s1\"},"
        "{\"uuid\":\"c\",\"status\":\"resubmission\",\"client_uuid\":\"c3\",\"specialist_uuid\":"
        "\"s2\"}]");
    put(st, "uploads/sessions/bad.json",
        "{\"uuid\":\"d\",\"status\":\"bogus\",\"client_uuid\":\"c4\"}");
    put(st, "uploads/sessions/nul.json",
        "{\"uuid\":\"e\",\"status\":\"approved\",\"client_uuid\":null}");
    put(st, "uploads/sessions/junk.json", "not json");

    const char *req[] = {"client_uuid"};
    const char *ok[] = {"approved", "resubmission"};
    struct fl_pipe_allowed al = {"status", ok, 2};
    const char *key[] = {"uuid"};
    struct fl_pipe_config pc = {
        .name = "sessions",
        .topic = "session_topic",
        .ns = "default",
        .table = "sessions",
        .decode = FL_PIPE_DECODE_POINTER,
        .key = key,
        .nkey = 1,
        .rules = {.required = req, .nrequired = 1, .allowed = &al, .nallowed = 1}};
    struct fl_pipe *p = NULL;
    if (fl_pipe_new(log, st, cat, &pc, &p, &err)) fail_msg("%s", err.msg);

    pointer(log, "s1.json");
    pointer(log, "s2.json");
    pointer(log, "bad.json");
    pointer(log, "nul.json");
    pointer(log, "missing.json");
    pointer(log, "junk.json");
    produce(log, "{\"file_name\":\"x\",\"file_path\":\"../../etc/passwd\"}");
    produce(log, "{\"file_name\":\"x\"}");
    step(p, 8);
    char sa[32] = "";
    int ca = 0, snaps = 0;
    assert_int_equal(table_rows(st, cat, sa, &ca, &snaps), 3);
    assert_int_equal(snaps, 1);
    assert_string_equal(sa, "approved");
    struct fl_pipe_stats ps;
    fl_pipe_get_stats(p, &ps);
    assert_int_equal(ps.records_dlq, 6);

    /* the dead-letter topic says why, for each */
    struct fl_buf raw;
    fl_buf_init(&raw, 1 << 20);
    int64_t next;
    assert_int_equal(fl_log_read(log, "session_topic.dlq", 0, 0, 1 << 20, &raw, &next, &err),
                     FL_OK);
    assert_int_equal(next, 6);
    assert_non_null(memmem(raw.data, raw.len, "not an allowed value", 20));
    assert_non_null(memmem(raw.data, raw.len, "required column client_uuid is null", 35));
    assert_non_null(memmem(raw.data, raw.len, "missing.json: not found", 23));
    assert_non_null(memmem(raw.data, raw.len, "not a JSON object or array", 26));
    assert_non_null(memmem(raw.data, raw.len, "not a relative store path", 25));
    assert_non_null(memmem(raw.data, raw.len, "is not {", 8));
    fl_buf_fini(&raw);

    /* the same files re-sent many times: rows stay, no new snapshot */
    for (int round = 0; round < 5; round++) {
        for (int k = 0; k < 3; k++) {
            pointer(log, "s1.json");
            pointer(log, "s2.json");
        }
        step(p, 6);
        assert_int_equal(table_rows(st, cat, sa, &ca, &snaps), 3);
        assert_int_equal(snaps, 1);
        assert_int_equal(ca, 1);
    }
    fl_pipe_get_stats(p, &ps);
    assert_int_equal(ps.steps_no_change, 5);
    assert_int_equal(ps.commits, 1);

    /* a changed file: its row is replaced in one snapshot, one row per key */
    put(st, "uploads/sessions/s1.json", A2);
    pointer(log, "s2.json");
    pointer(log, "s1.json");
    pointer(log, "s1.json");
    step(p, 3);
    assert_int_equal(table_rows(st, cat, sa, &ca, &snaps), 3);
    assert_int_equal(snaps, 2);
    assert_int_equal(ca, 1);
    assert_string_equal(sa, "resubmission");
    fl_pipe_get_stats(p, &ps);
    assert_int_equal(ps.rows_deleted, 1);

    /* re-sent again: no change, no snapshot */
    pointer(log, "s1.json");
    step(p, 1);
    assert_int_equal(table_rows(st, cat, sa, &ca, &snaps), 3);
    assert_int_equal(snaps, 2);
    fl_pipe_free(p);

    /* a restart re-reads the uncommitted no-ops: still nothing changes */
    if (fl_pipe_new(log, st, cat, &pc, &p, &err)) fail_msg("%s", err.msg);
    step(p, 1);
    assert_int_equal(table_rows(st, cat, sa, &ca, &snaps), 3);
    assert_int_equal(snaps, 2);
    assert_int_equal(ca, 1);
    /* a new uuid shows up in the next commit */
    put(st, "uploads/sessions/s3.json",
        "{\"uuid\":\"f\",\"status\":\"approved\",\"client_uuid\":\"c9\"}");
    pointer(log, "s3.json");
    step(p, 1);
    assert_int_equal(table_rows(st, cat, sa, &ca, &snaps), 4);
    assert_int_equal(snaps, 3);
    fl_pipe_free(p);

    fl_catalog_free(cat);
    fl_store_free(st);
    fl_log_close(log);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Without a configured key the table's identifier fields are the key;
 * a plain JSON (not pointer) topic is upserted as well. */
static void test_identifier_key(void **state) {
    (void)state;
    char dir[] = "/tmp/floe-upsert-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char logdir[128], uri[128], caturi[128], cmd[256];
    snprintf(logdir, sizeof(logdir), "%s/log", dir);
    snprintf(uri, sizeof(uri), "file://%s/wh", dir);
    snprintf(caturi, sizeof(caturi), "sqlite://%s/cat.db", dir);
    struct fl_error err = {0};
    struct fl_log *log = NULL;
    struct fl_log_opts lo;
    fl_log_opts_default(&lo);
    lo.dir = logdir;
    assert_int_equal(fl_log_open(&lo, &log, &err), FL_OK);
    struct fl_log_topic_config tc;
    fl_log_topic_config_default(&tc);
    assert_int_equal(fl_log_topic_create(log, "session_topic", &tc, &err), FL_OK);
    struct fl_store *st = NULL;
    struct fl_catalog *cat = NULL;
    struct fl_schema *schema = NULL;
    struct fl_ice_table *tbl = NULL;
    struct fl_store_opts so = {0};
    assert_int_equal(fl_store_open(uri, &so, &st, &err), FL_OK);
    assert_int_equal(fl_catalog_open(caturi, "floe", &cat, &err), FL_OK);
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err), FL_OK);
    assert_int_equal(fl_ice_table_create(st, fl_catalog_ice(cat), "default", "sessions", schema,
                                         NULL, NULL, 0, &tbl, &err),
                     FL_OK);
    fl_ice_table_free(tbl);
    fl_schema_free(schema);
    struct fl_pipe_config pc = {.topic = "session_topic", .ns = "default", .table = "sessions"};
    struct fl_pipe *p = NULL;
    if (fl_pipe_new(log, st, cat, &pc, &p, &err)) fail_msg("%s", err.msg);
    produce(log, A1);
    produce(log, A2);                          /* the later offset wins within the step */
    produce(log, "{\"status\":\"approved\"}"); /* no key: dead letter */
    step(p, 3);
    char sa[32] = "";
    int ca = 0, snaps = 0;
    assert_int_equal(table_rows(st, cat, sa, &ca, &snaps), 1);
    assert_string_equal(sa, "resubmission");
    produce(log, A1);
    step(p, 1);
    assert_int_equal(table_rows(st, cat, sa, &ca, &snaps), 1);
    assert_string_equal(sa, "approved");
    assert_int_equal(snaps, 2);
    fl_pipe_free(p);
    fl_catalog_free(cat);
    fl_store_free(st);
    fl_log_close(log);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upsert),
        cmocka_unit_test_prestate(test_upsert, (void *)"3"),
        cmocka_unit_test(test_identifier_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
