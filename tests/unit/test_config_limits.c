/*
 * test_config_limits.c - every limit of the configuration file at the
 * limit and one past it: the loader accepts exactly the maximum (of
 * pipelines, topics, a topic's partitions, allowed-value columns, values
 * in a list, window keys and aggregates, map steps, upload kinds, a
 * table's properties) and refuses one more with "FILE:LINE: key: too
 * many ... (at most N)" at the entry past it; and
 * the up plan that `floe up` runs and `floe config show` prints keeps
 * everything the loader accepted (no second, smaller cap).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/up_plan.h"
#include "cli/up_tables.h"
#include "core/buf.h"
#include "core/config.h"
#include "iceberg/metadata.h"
#include "iceberg/table.h"
#include "log/log.h"
#include "pipe_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text to a temp file; the caller unlinks path. */
static void write_tmp(const struct fl_buf *text, char *path, size_t pathsz) {
    snprintf(path, pathsz, "/tmp/floe_limits_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text->data, text->len), (ssize_t)text->len);
    close(fd);
}

/* Loads text; the message from the first ':' on (the path varies). */
static fl_err_t load(const struct fl_buf *text, struct fl_config *cfg, char *msg, size_t msgsz) {
    char path[64];
    struct fl_error err = {0};
    write_tmp(text, path, sizeof(path));
    fl_config_init(cfg);
    fl_err_t rc = fl_config_load(path, cfg, &err);
    const char *colon = strchr(err.msg, ':');
    snprintf(msg, msgsz, "%s", colon ? colon : err.msg);
    unlink(path);
    return rc;
}

static void add(struct fl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct fl_buf *b, const char *fmt, ...) {
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    assert_int_equal(fl_buf_append_str(b, line), FL_OK);
}

/* "pipelines:" and n one-line pipelines (line 1 + i for the i-th). */
static void pipelines_yaml(struct fl_buf *b, int n) {
    add(b, "pipelines:\n");
    for (int i = 1; i <= n; i++)
        add(b, "  - {name: p%d, topic: t%d, table: default.t%d}\n", i, i, i);
}

static void test_pipelines(void **state) {
    (void)state;
    struct fl_buf b;
    struct fl_config cfg;
    char msg[512];
    fl_buf_init(&b, FL_BUF_NOMAX);
    pipelines_yaml(&b, FL_CONFIG_PIPELINES_MAX);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_OK);
    assert_int_equal(cfg.npipelines, FL_CONFIG_PIPELINES_MAX);
    fl_config_fini(&cfg);

    /* the plan: every pipeline, and every one's topic */
    char path[64];
    write_tmp(&b, path, sizeof(path));
    struct fl_up_plan plan;
    struct fl_error err = {0};
    assert_int_equal(fl_up_plan_build(&plan, path, NULL, NULL, &err), FL_OK);
    assert_int_equal(plan.npipes, FL_CONFIG_PIPELINES_MAX);
    assert_string_equal(plan.pipes[FL_CONFIG_PIPELINES_MAX - 1].pc.topic, "t1024");
    assert_string_equal(plan.pipes[FL_CONFIG_PIPELINES_MAX - 1].pc.ns, "default");
    assert_string_equal(plan.pipes[FL_CONFIG_PIPELINES_MAX - 1].pc.table, "t1024");
    assert_int_equal(plan.ntopics, 4 + FL_CONFIG_PIPELINES_MAX); /* the seeds' and t1..t1024 */
    fl_up_plan_fini(&plan);
    unlink(path);

    fl_buf_reset(&b);
    pipelines_yaml(&b, FL_CONFIG_PIPELINES_MAX + 1);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_ERR_INVALID);
    assert_string_equal(msg, ":1026: pipelines: too many pipelines (at most 1024)");
    fl_config_fini(&cfg);
    fl_buf_fini(&b);
}

static void test_topics(void **state) {
    (void)state;
    struct fl_buf b;
    struct fl_config cfg;
    char msg[512];
    fl_buf_init(&b, FL_BUF_NOMAX);
    add(&b, "topics:\n");
    for (int i = 1; i <= FL_CONFIG_TOPICS_MAX; i++) add(&b, "  - {name: t%d, partitions: 2}\n", i);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_OK);
    assert_int_equal(cfg.ntopics, FL_CONFIG_TOPICS_MAX);
    fl_config_fini(&cfg);
    add(&b, "  - {name: one_more}\n");
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_ERR_INVALID);
    assert_string_equal(msg, ":1026: topics: too many topics (at most 1024)");
    fl_config_fini(&cfg);
    fl_buf_fini(&b);
}

/* A topic's partitions: the loader's limit is the log's (one number). */
static void test_partitions(void **state) {
    (void)state;
    struct fl_buf b;
    struct fl_config cfg;
    char msg[512];
    assert_int_equal(FL_LOG_MAX_PARTITIONS, FL_CONFIG_PARTITIONS_MAX);
    fl_buf_init(&b, FL_BUF_NOMAX);
    add(&b, "topics:\n  - {name: t, partitions: %d}\n", FL_CONFIG_PARTITIONS_MAX);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_OK);
    assert_int_equal(cfg.topics[0].partitions, 10000);
    fl_config_fini(&cfg);
    fl_buf_reset(&b);
    add(&b, "topics:\n  - {name: t, partitions: %d}\n", FL_CONFIG_PARTITIONS_MAX + 1);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_ERR_INVALID);
    assert_string_equal(msg, ":2: topics[].partitions: 10001 is out of range 1..10000");
    fl_config_fini(&cfg);
    fl_buf_fini(&b);
}

/* One pipeline with ncols allowed-value columns of nvalues values each. */
static void allowed_yaml(struct fl_buf *b, int ncols, int nvalues) {
    add(b, "pipelines:\n  - topic: t\n    table: default.t\n    allowed:\n");
    for (int c = 1; c <= ncols; c++) {
        add(b, "      c%d: [", c);
        for (int v = 1; v <= nvalues; v++) add(b, "%sv%d", v > 1 ? ", " : "", v);
        add(b, "]\n");
    }
}

static void test_allowed(void **state) {
    (void)state;
    struct fl_buf b;
    struct fl_config cfg;
    char msg[512], path[64];
    fl_buf_init(&b, FL_BUF_NOMAX);
    allowed_yaml(&b, FL_CONFIG_ALLOWED_MAX, FL_CONFIG_LIST_MAX);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_OK);
    assert_int_equal(cfg.pipelines[0].nallowed, FL_CONFIG_ALLOWED_MAX);
    assert_int_equal(cfg.pipelines[0].allowed[255].nvalues, FL_CONFIG_LIST_MAX);
    fl_config_fini(&cfg);

    /* the plan hands every column and every value to the pipeline */
    write_tmp(&b, path, sizeof(path));
    struct fl_up_plan plan;
    struct fl_error err = {0};
    assert_int_equal(fl_up_plan_build(&plan, path, NULL, NULL, &err), FL_OK);
    const struct fl_pipe_rules *r = &plan.pipes[0].pc.rules;
    assert_int_equal(r->nallowed, FL_CONFIG_ALLOWED_MAX);
    assert_string_equal(r->allowed[255].col, "c256");
    assert_int_equal(r->allowed[255].nvalues, FL_CONFIG_LIST_MAX);
    assert_string_equal(r->allowed[255].values[255], "v256");
    fl_up_plan_fini(&plan);
    unlink(path);

    fl_buf_reset(&b);
    allowed_yaml(&b, FL_CONFIG_ALLOWED_MAX + 1, 1);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_ERR_INVALID);
    assert_string_equal(msg, ":261: pipelines[].allowed: too many columns (at most 256)");
    fl_config_fini(&cfg);

    fl_buf_reset(&b);
    allowed_yaml(&b, 1, FL_CONFIG_LIST_MAX + 1);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_ERR_INVALID);
    assert_string_equal(msg, ":5: pipelines[].allowed: too many values (at most 256)");
    fl_config_fini(&cfg);
    fl_buf_fini(&b);
}

/* A window pipeline with nkey group columns and naggs aggregates. */
static void window_yaml(struct fl_buf *b, int nkey, int naggs) {
    add(b, "pipelines:\n  - topic: t\n    table: default.t\n    window:\n      time: ts\n"
           "      size: 1m\n      key: [");
    for (int k = 1; k <= nkey; k++) add(b, "%sk%d", k > 1 ? ", " : "", k);
    add(b, "]\n      aggregates:\n");
    for (int a = 1; a <= naggs; a++) add(b, "        - {sum: v%d}\n", a);
}

static void test_window(void **state) {
    (void)state;
    struct fl_buf b;
    struct fl_config cfg;
    char msg[512];
    fl_buf_init(&b, FL_BUF_NOMAX);
    window_yaml(&b, FL_CONFIG_WINDOW_KEYS_MAX, FL_CONFIG_AGGS_MAX);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_OK);
    assert_int_equal(cfg.pipelines[0].window->nkey, FL_CONFIG_WINDOW_KEYS_MAX);
    assert_int_equal(cfg.pipelines[0].window->naggs, FL_CONFIG_AGGS_MAX);
    fl_config_fini(&cfg);
    fl_buf_reset(&b);
    window_yaml(&b, FL_CONFIG_WINDOW_KEYS_MAX + 1, 1);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_ERR_INVALID);
    assert_string_equal(msg, ":7: pipelines[].window.key: too many columns (at most 16)");
    fl_config_fini(&cfg);
    fl_buf_reset(&b);
    window_yaml(&b, 1, FL_CONFIG_AGGS_MAX + 1);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_ERR_INVALID);
    assert_string_equal(msg,
                        ":41: pipelines[].window.aggregates: too many aggregates (at most 32)");
    fl_config_fini(&cfg);
    fl_buf_fini(&b);
}

static void test_map_steps(void **state) {
    (void)state;
    struct fl_buf b;
    struct fl_config cfg;
    char msg[512], path[64];
    fl_buf_init(&b, FL_BUF_NOMAX);
    add(&b, "pipelines:\n  - topic: t\n    table: default.t\n    map:\n");
    for (int i = 1; i <= FL_CONFIG_MAP_STEPS_MAX; i++)
        add(&b, "      - derive: {column: c%d, value: '%d'}\n", i, i);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_OK);
    assert_int_equal(cfg.pipelines[0].nmap, FL_CONFIG_MAP_STEPS_MAX);
    fl_config_fini(&cfg);
    write_tmp(&b, path, sizeof(path));
    struct fl_up_plan plan;
    struct fl_error err = {0};
    assert_int_equal(fl_up_plan_build(&plan, path, NULL, NULL, &err), FL_OK);
    assert_int_equal(plan.pipes[0].pc.nmap, FL_CONFIG_MAP_STEPS_MAX);
    assert_string_equal(plan.pipes[0].pc.map[255].column, "c256");
    fl_up_plan_fini(&plan);
    unlink(path);
    add(&b, "      - cast: c\n");
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_ERR_INVALID);
    assert_string_equal(msg, ":261: pipelines[].map: too many steps (at most 256)");
    fl_config_fini(&cfg);
    fl_buf_fini(&b);
}

/* "uploads:" and n kinds with new prefixes. */
static void uploads_yaml(struct fl_buf *b, int n) {
    add(b, "uploads:\n");
    for (int i = 1; i <= n; i++) add(b, "  - {prefix: p%d, folder: f%d, topic: t%d}\n", i, i, i);
}

/* The loader takes 32 kinds; with the three built-in ones (ingest.h)
 * the plan - and so check, show and floe up - refuses more than 32. */
static void test_uploads(void **state) {
    (void)state;
    struct fl_buf b;
    struct fl_config cfg;
    char msg[512], path[64];
    struct fl_up_plan plan;
    struct fl_error err = {0};
    fl_buf_init(&b, FL_BUF_NOMAX);
    uploads_yaml(&b, FL_CONFIG_UPLOADS_MAX);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_OK);
    assert_int_equal(cfg.nuploads, FL_CONFIG_UPLOADS_MAX);
    fl_config_fini(&cfg);
    write_tmp(&b, path, sizeof(path));
    assert_int_equal(fl_up_plan_build(&plan, path, NULL, NULL, &err), FL_ERR_LIMIT);
    assert_non_null(strstr(err.msg, ": uploads: more than 32 upload kinds"));
    fl_up_plan_fini(&plan);
    unlink(path);

    fl_buf_reset(&b);
    uploads_yaml(&b, FL_INGEST_KINDS_MAX - 3);
    write_tmp(&b, path, sizeof(path));
    assert_int_equal(fl_up_plan_build(&plan, path, NULL, NULL, &err), FL_OK);
    assert_int_equal(plan.icfg.nkinds, FL_INGEST_KINDS_MAX);
    assert_int_equal(plan.ntopics, 4 + FL_INGEST_KINDS_MAX - 3);
    fl_up_plan_fini(&plan);
    unlink(path);

    fl_buf_reset(&b);
    uploads_yaml(&b, FL_CONFIG_UPLOADS_MAX + 1);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_ERR_INVALID);
    assert_string_equal(msg, ":34: uploads: too many upload kinds (at most 32)");
    fl_config_fini(&cfg);
    fl_buf_fini(&b);
}

/* Defaults are filled once: the plan of no file, and overrides. */
/* A table's properties: the loader's cap, and floe up creates the table
 * with every one of them (plus floe's retention defaults). */
static void test_table_properties(void **state) {
    (void)state;
    struct fl_buf b;
    struct fl_config cfg;
    char msg[512];
    fl_buf_init(&b, FL_BUF_NOMAX);
    add(&b, "tables:\n  - name: t\n    schema: [{name: id, type: long}]\n    properties:\n");
    for (int i = 1; i <= FL_CONFIG_FIELDS_MAX; i++) add(&b, "      p.%d: 'v%d'\n", i, i);
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_OK);
    assert_int_equal(cfg.tables[0].nprops, FL_CONFIG_FIELDS_MAX);
    struct env e;
    pipe_env_open(&e, "floe-limits", "{\"type\":\"struct\",\"fields\":[]}");
    struct fl_error err = {0};
    int created = 0;
    if (fl_up_table_ensure(e.st, e.cat, &cfg.tables[0], &created, &err)) fail_msg("%s", err.msg);
    assert_true(created);
    struct fl_ice_table *tbl = NULL;
    assert_int_equal(fl_ice_table_load(e.st, fl_catalog_ice(e.cat), "default", "t", &tbl, &err),
                     FL_OK);
    assert_string_equal(fl_ice_meta_property(tbl->meta, "p.1"), "v1");
    assert_string_equal(fl_ice_meta_property(tbl->meta, "p.4096"), "v4096");
    assert_string_equal(
        fl_ice_meta_property(tbl->meta, "write.metadata.delete-after-commit.enabled"), "true");
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
    fl_config_fini(&cfg);
    add(&b, "      p.x: 'one too many'\n");
    assert_int_equal(load(&b, &cfg, msg, sizeof(msg)), FL_ERR_INVALID);
    assert_non_null(strstr(msg, "tables[].properties: too many properties (at most 4096)"));
    fl_config_fini(&cfg);
    fl_buf_fini(&b);
}

static void test_plan_defaults(void **state) {
    (void)state;
    struct fl_up_plan plan;
    struct fl_error err = {0};
    assert_int_equal(fl_up_plan_build(&plan, NULL, NULL, NULL, &err), FL_OK);
    assert_string_equal(plan.listen, "127.0.0.1:8080");
    assert_string_equal(plan.data_dir, "floe-data");
    assert_string_equal(plan.warehouse, "file://floe-data/warehouse");
    assert_string_equal(plan.catalog, "sqlite://floe-data/catalog.db");
    assert_true(plan.builtin);
    assert_int_equal(plan.npipes, 5);
    assert_int_equal(plan.ntopics, 4);
    assert_int_equal(plan.min_free_bytes, INT64_C(64) << 20);
    fl_up_plan_set_data_dir(&plan, "/abs/d");
    assert_string_equal(plan.warehouse, "file:///abs/d/warehouse");
    assert_string_equal(plan.catalog, "sqlite:///abs/d/catalog.db");
    fl_up_plan_fini(&plan);
    assert_int_equal(fl_up_plan_build(&plan, NULL, "0.0.0.0:1", "/x", &err), FL_OK);
    assert_string_equal(plan.listen, "0.0.0.0:1");
    assert_string_equal(plan.warehouse, "file:///x/warehouse");
    fl_up_plan_fini(&plan);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelines),        cmocka_unit_test(test_topics),
        cmocka_unit_test(test_partitions),       cmocka_unit_test(test_allowed),
        cmocka_unit_test(test_window),           cmocka_unit_test(test_map_steps),
        cmocka_unit_test(test_uploads),          cmocka_unit_test(test_plan_defaults),
        cmocka_unit_test(test_table_properties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
