/*
 * test_pipeline_cdc.c - a pipeline mirroring a Debezium change topic
 * (decode debezium, tx_aligned): inserts, updates and deletes by key, an
 * unchanged TOASTed column (Debezium's placeholder) keeping the value of
 * the row before it (in the same step or in the table), a truncate, and
 * a transaction whose last record has not arrived yet waiting for the
 * next step, so that every snapshot ends at a transaction end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "iceberg/table.h"
#include "log/log.h"
#include "cdc_topic.h"
#include "pipe_env.h"
#include "pipeline/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"note\",\"required\":false,\"type\":\"string\"}]}";

static const char *TOPIC = "db1.public.t";

static void change(struct fl_log *log, const char *value, int end) {
    cdc_change(log, TOPIC, NULL, value, end);
}

/* The table as "id:name:note;" sorted by id (ids below 10), and its snapshots. */
static void table_text(struct env *e, char *out, size_t size, int *snaps) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_load(e->st, fl_catalog_ice(e->cat), "public", "t", &tbl, &err))
        fail_msg("%s", err.msg);
    *snaps = tbl->meta->nsnapshots;
    char rows[10][64] = {{0}};
    struct fl_ice_scan *sc = NULL;
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_OK);
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &b, &err);
        if (rc == FL_ERR_EOF) break;
        assert_int_equal(rc, FL_OK);
        for (size_t r = 0; r < b->nrows; r++) {
            int64_t id = ((const int64_t *)b->cols[0].values)[r];
            assert_true(id >= 0 && id < 10);
            assert_int_equal(rows[id][0], 0); /* one row per key */
            size_t ln = 0, lt = 0;
            const uint8_t *n =
                fl_col_is_null(&b->cols[1], r) ? NULL : fl_col_bytes(&b->cols[1], r, &ln);
            const uint8_t *t =
                fl_col_is_null(&b->cols[2], r) ? NULL : fl_col_bytes(&b->cols[2], r, &lt);
            snprintf(rows[id], sizeof(rows[id]), "%lld:%.*s:%.*s;", (long long)id, (int)ln,
                     n ? (const char *)n : "", t ? (int)lt : 1, t ? (const char *)t : "-");
        }
    }
    fl_ice_scan_free(sc);
    fl_ice_table_free(tbl);
    out[0] = 0;
    for (int i = 0; i < 10; i++) strncat(out, rows[i], size - strlen(out) - 1);
}

#define step cdc_step
#define EV CDC_EV

static void test_changes(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-cdc", SCHEMA);
    struct fl_error err = {0};
    struct fl_log_topic_config tc;
    fl_log_topic_config_default(&tc);
    assert_int_equal(fl_log_topic_create(e.log, TOPIC, &tc, &err), FL_OK);
    struct fl_ice_table *tbl = NULL;
    assert_int_equal(fl_ice_table_create(e.st, fl_catalog_ice(e.cat), "public", "t", e.schema, NULL,
                                         NULL, 0, &tbl, &err),
                     FL_OK);
    fl_ice_table_free(tbl);
    struct fl_pipe_config pc = {.topic = TOPIC,
                                .ns = "public",
                                .table = "t",
                                .decode = FL_PIPE_DECODE_DEBEZIUM,
                                .tx_aligned = true};
    struct fl_pipe *p = NULL;
    if (fl_pipe_new(e.log, e.st, e.cat, &pc, &p, &err)) fail_msg("%s", err.msg);
    char text[640];
    int snaps = 0;

    /* tx 1 whole; tx 2 begun (an update leaving note unchanged) */
    change(e.log, EV("c", "null", "{\"id\":1,\"name\":\"a\",\"note\":\"BIG\"}"), 0);
    change(e.log, EV("c", "null", "{\"id\":2,\"name\":\"b\",\"note\":null}"), 0);
    change(e.log, EV("c", "null", "{\"id\":3,\"name\":\"c\",\"note\":\"N3\"}"), 1);
    change(e.log,
           EV("u", "null", "{\"id\":1,\"name\":\"a2\",\"note\":\"__debezium_unavailable_value\"}"),
           0);
    step(p, 3);
    table_text(&e, text, sizeof(text), &snaps);
    assert_string_equal(text, "1:a:BIG;2:b:-;3:c:N3;");
    assert_int_equal(snaps, 1);

    /* tx 2 ends with a delete by key (REPLICA IDENTITY DEFAULT's before image) */
    change(e.log, EV("d", "{\"id\":2,\"name\":null,\"note\":null}", "null"), 1);
    step(p, 2);
    table_text(&e, text, sizeof(text), &snaps);
    assert_string_equal(text, "1:a2:BIG;3:c:N3;");
    assert_int_equal(snaps, 2);

    /* tx 3: two updates of one key leaving note unchanged (the value
     * comes from the table through both), a delete then re-insert of
     * another key, a bad event (dead-lettered) */
    change(e.log,
           EV("u", "null", "{\"id\":3,\"name\":\"c2\",\"note\":\"__debezium_unavailable_value\"}"),
           0);
    change(e.log,
           EV("u", "null", "{\"id\":3,\"name\":\"c3\",\"note\":\"__debezium_unavailable_value\"}"),
           0);
    change(e.log, EV("d", "{\"id\":1}", "null"), 0);
    change(e.log, EV("c", "null", "{\"id\":1,\"name\":\"again\",\"note\":\"x\"}"), 0);
    change(e.log, "{\"op\":\"q\"}", 0);
    change(e.log, EV("c", "null", "{\"id\":4,\"name\":\"d\",\"note\":\"N4\"}"), 1);
    step(p, 6);
    table_text(&e, text, sizeof(text), &snaps);
    assert_string_equal(text, "1:again:x;3:c3:N3;4:d:N4;");
    assert_int_equal(snaps, 3);

    /* tx 4: a truncate then one insert; the rows before it in the step are gone too */
    change(e.log, EV("c", "null", "{\"id\":6,\"name\":\"f\",\"note\":null}"), 1);
    change(e.log, "{\"before\":null,\"after\":null,\"op\":\"t\",\"ts_ms\":1}", 0);
    change(e.log, EV("c", "null", "{\"id\":5,\"name\":\"e\",\"note\":null}"), 1);
    step(p, 3);
    table_text(&e, text, sizeof(text), &snaps);
    assert_string_equal(text, "5:e:-;");

    /* a restarted pipeline resumes after the last transaction: nothing new */
    fl_pipe_free(p);
    p = NULL;
    if (fl_pipe_new(e.log, e.st, e.cat, &pc, &p, &err)) fail_msg("%s", err.msg);
    step(p, 0);
    struct fl_pipe_stats ps;
    fl_pipe_get_stats(p, &ps);
    assert_int_equal(ps.consumed, 14);
    fl_pipe_free(p);

    /* debezium decode needs a key; tx_aligned one partition */
    struct fl_pipe_config bad = pc;
    bad.topic = "two";
    tc.partitions = 2;
    assert_int_equal(fl_log_topic_create(e.log, "two", &tc, &err), FL_OK);
    assert_int_equal(fl_pipe_new(e.log, e.st, e.cat, &bad, &p, &err), FL_ERR_INVALID);
    pipe_env_close(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
