/*
 * test_cdc_pg_evolve.c - a CDC mirror's schema following its source's
 * columns (cdc/pg_evolve.h): the changes a new column, a dropped one and
 * widened types make, the errors for changes Iceberg does not allow
 * (naming the table and column), and a mirror pipeline that reloads the
 * evolved table mid-stream: rows after the change carry the new column,
 * the upsert key is found again after a column before it was dropped,
 * and a tombstone (a null-value record after a delete) is skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cdc/pg_evolve.h"
#include "iceberg/table.h"
#include "log/log.h"
#include "cdc_topic.h"
#include "pipe_env.h"
#include "pipeline/pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[2],\"fields\":["
    "{\"id\":1,\"name\":\"pre\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"id\",\"required\":true,\"type\":\"int\"},"
    "{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"amount\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":5,\"name\":\"price\",\"required\":false,\"type\":\"decimal(10, 2)\"}]}";

static const char *TOPIC = "db1.public.t";

static struct fl_schema *parse(void) {
    struct fl_schema *s = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &s, &err), FL_OK);
    return s;
}

/* The diff as "drop pre,widen id long,add score long" */
static fl_err_t diff_text(const struct fl_cdc_src_col *cols, int n, char *out, size_t size,
                          struct fl_error *err) {
    struct fl_schema *s = parse();
    fl_err_clear(err);
    struct fl_ice_schema_change *ch = NULL;
    int nch = -1;
    fl_err_t rc = fl_cdc_schema_diff(s, "public.t", cols, n, &ch, &nch, err);
    out[0] = 0;
    for (int i = 0; i < nch; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s %s%s%s", i ? "," : "",
                 ch[i].kind == FL_ICE_ADD_COLUMN    ? "add"
                 : ch[i].kind == FL_ICE_DROP_COLUMN ? "drop"
                                                    : "widen",
                 ch[i].name, ch[i].type ? " " : "", ch[i].type ? ch[i].type : "");
    if (rc) assert_int_equal(nch, 0);
    fl_cdc_changes_free(ch, nch);
    fl_schema_free(s);
    return rc;
}

static void test_diff(void **state) {
    (void)state;
    struct fl_error err = {0};
    char text[512];
    /* the same columns (varchar(n) -> text is string either way): nothing */
    struct fl_cdc_src_col same[] = {{"pre", "string"},
                                    {"id", "int"},
                                    {"name", "string"},
                                    {"amount", "float"},
                                    {"price", "decimal(10, 2)"}};
    assert_int_equal(diff_text(same, 5, text, sizeof(text), &err), FL_OK);
    assert_string_equal(text, "");
    /* a drop, three widenings, an add */
    struct fl_cdc_src_col evolved[] = {{"id", "long"},
                                       {"name", "string"},
                                       {"amount", "double"},
                                       {"price", "decimal(14, 2)"},
                                       {"score", "long"}};
    assert_int_equal(diff_text(evolved, 5, text, sizeof(text), &err), FL_OK);
    assert_string_equal(text, "drop pre,widen id long,widen amount double,widen price decimal(14, "
                              "2),add score long");
    /* text -> int: not allowed, table and column named */
    struct fl_cdc_src_col narrow[] = {{"pre", "string"},
                                      {"id", "int"},
                                      {"name", "int"},
                                      {"amount", "float"},
                                      {"price", "decimal(10, 2)"}};
    assert_int_equal(diff_text(narrow, 5, text, sizeof(text), &err), FL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "table public.t, column name: its type changed from string to "
                                    "int, which Iceberg does not allow"));
    /* a decimal's scale may not change; double -> float neither */
    struct fl_cdc_src_col scale[] = {{"pre", "string"},
                                     {"id", "int"},
                                     {"name", "string"},
                                     {"amount", "float"},
                                     {"price", "decimal(12, 3)"}};
    assert_int_equal(diff_text(scale, 5, text, sizeof(text), &err), FL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "table public.t, column price: its type changed from "
                                    "decimal(10, 2) to decimal(12, 3)"));
    /* the primary key column gone (dropped or renamed) */
    struct fl_cdc_src_col nokey[] = {{"pre", "string"}, {"ident", "int"}, {"name", "string"}};
    assert_int_equal(diff_text(nokey, 3, text, sizeof(text), &err), FL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "table public.t, column id: a primary key column"));
    /* a type floe does not know */
    struct fl_cdc_src_col unknown[] = {{"id", "int"}, {"x", "circle"}};
    assert_int_equal(diff_text(unknown, 2, text, sizeof(text), &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "column x"));
}

static void change(struct fl_log *log, const char *key, const char *value, int end) {
    cdc_change(log, TOPIC, key, value, end);
}

/* The table as "id:name:score;" sorted by id (ids below 10; "-" a null,
 * score "x" when the table has no such column). */
static void table_text(struct env *e, char *out, size_t size) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_load(e->st, fl_catalog_ice(e->cat), "public", "t", &tbl, &err))
        fail_msg("%s", err.msg);
    char rows[10][64] = {{0}};
    struct fl_ice_scan *sc = NULL;
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_OK);
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &b, &err);
        if (rc == FL_ERR_EOF) break;
        assert_int_equal(rc, FL_OK);
        int ci = fl_schema_index_by_name(b->schema, "id"),
            cn = fl_schema_index_by_name(b->schema, "name"),
            cs = fl_schema_index_by_name(b->schema, "score");
        assert_true(ci >= 0 && cn >= 0);
        for (size_t r = 0; r < b->nrows; r++) {
            int64_t id = b->schema->fields[ci].type == FL_TYPE_LONG
                             ? ((const int64_t *)b->cols[ci].values)[r]
                             : ((const int32_t *)b->cols[ci].values)[r];
            assert_true(id >= 0 && id < 10);
            assert_int_equal(rows[id][0], 0); /* one row per key */
            size_t ln = 0;
            const uint8_t *n =
                fl_col_is_null(&b->cols[cn], r) ? NULL : fl_col_bytes(&b->cols[cn], r, &ln);
            char score[24] = "x";
            if (cs >= 0 && fl_col_is_null(&b->cols[cs], r))
                snprintf(score, sizeof(score), "-");
            else if (cs >= 0)
                snprintf(score, sizeof(score), "%lld",
                         (long long)((const int64_t *)b->cols[cs].values)[r]);
            snprintf(rows[id], sizeof(rows[id]), "%lld:%.*s:%s;", (long long)id, (int)ln,
                     n ? (const char *)n : "-", score);
        }
    }
    fl_ice_scan_free(sc);
    fl_ice_table_free(tbl);
    out[0] = 0;
    for (int i = 0; i < 10; i++) strncat(out, rows[i], size - strlen(out) - 1);
}

#define step cdc_step
#define EV CDC_EV

static void test_pipeline_follows(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-cdcev", SCHEMA);
    struct fl_error err = {0};
    struct fl_log_topic_config tc;
    fl_log_topic_config_default(&tc);
    assert_int_equal(fl_log_topic_create(e.log, TOPIC, &tc, &err), FL_OK);
    struct fl_ice_table *tbl = NULL;
    assert_int_equal(fl_ice_table_create(e.st, fl_catalog_ice(e.cat), "public", "t", e.schema, NULL,
                                         NULL, 0, &tbl, &err),
                     FL_OK);
    struct fl_pipe_config pc = {.topic = TOPIC,
                                .ns = "public",
                                .table = "t",
                                .decode = FL_PIPE_DECODE_DEBEZIUM,
                                .tx_aligned = true};
    struct fl_pipe *p = NULL;
    if (fl_pipe_new(e.log, e.st, e.cat, &pc, &p, &err)) fail_msg("%s", err.msg);
    char text[640];

    /* the old shape; a delete followed by its tombstone (key, null value) */
    change(e.log, "{\"id\":1}", EV("c", "null", "{\"pre\":\"p\",\"id\":1,\"name\":\"a\"}"), 0);
    change(e.log, "{\"id\":2}", EV("c", "null", "{\"pre\":\"p\",\"id\":2,\"name\":\"b\"}"), 0);
    change(e.log, "{\"id\":3}", EV("c", "null", "{\"pre\":\"p\",\"id\":3,\"name\":\"c\"}"), 1);
    change(e.log, "{\"id\":3}", EV("d", "{\"id\":3}", "null"), 0);
    change(e.log, "{\"id\":3}", NULL, 1);
    step(p, 5);
    table_text(&e, text, sizeof(text));
    assert_string_equal(text, "1:a:x;2:b:x;");

    /* the source drops pre (before the key), widens id and amount, adds score */
    struct fl_cdc_src_col cols[] = {{"id", "long"},
                                    {"name", "string"},
                                    {"amount", "double"},
                                    {"price", "decimal(10, 2)"},
                                    {"score", "long"}};
    int nch = 0;
    assert_int_equal(fl_cdc_mirror_evolve(tbl, "public.t", cols, 5, &nch, &err), FL_OK);
    assert_int_equal(nch, 4);
    const struct fl_schema *s = fl_ice_meta_current_schema(tbl->meta);
    assert_int_equal(s->nfields, 5);
    assert_int_equal(s->fields[4].id, 6); /* a fresh field id */
    assert_string_equal(s->fields[4].name, "score");
    assert_int_equal(s->fields[0].type, FL_TYPE_LONG);
    /* again: nothing left to change */
    assert_int_equal(fl_cdc_mirror_evolve(tbl, "public.t", cols, 5, &nch, &err), FL_OK);
    assert_int_equal(nch, 0);
    fl_pipe_reload_table(p);
    assert_true(fl_pipe_reload_pending(p));

    /* the new shape: an update of an old row, a new row with a big id-free score */
    change(e.log, "{\"id\":1}",
           EV("u", "null", "{\"id\":1,\"name\":\"a2\",\"amount\":1.5,\"score\":5000000000}"), 0);
    change(e.log, "{\"id\":4}", EV("c", "null", "{\"id\":4,\"name\":\"d\",\"score\":7}"), 1);
    step(p, 2);
    assert_false(fl_pipe_reload_pending(p));
    table_text(&e, text, sizeof(text));
    assert_string_equal(text, "1:a2:5000000000;2:b:-;4:d:7;");

    /* deletes by the key found again after pre went */
    change(e.log, "{\"id\":2}", EV("d", "{\"id\":2}", "null"), 0);
    change(e.log, "{\"id\":2}", NULL, 1);
    step(p, 2);
    table_text(&e, text, sizeof(text));
    assert_string_equal(text, "1:a2:5000000000;4:d:7;");
    fl_pipe_free(p);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_pipeline_follows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
