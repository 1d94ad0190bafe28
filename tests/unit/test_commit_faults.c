/*
 * test_commit_faults.c - storage failures at every step of an Iceberg
 * commit: the Nth fsync, the Nth rename/link, ENOSPC after N bytes, short
 * writes. Whatever fails, the invariant holds: the append reports success
 * exactly when its rows are visible, the table always opens at a committed
 * version with whole snapshots only, and the next commit (without faults)
 * succeeds. The same again on a table that merges its manifests on every
 * commit (commit.manifest.min-count-to-merge = 2), so the faults also hit
 * the merged manifest's writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "catalog/catalog.h"
#include "iceberg/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"n\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"}]}";

struct env {
    char dir[64];
    char uri[128], caturi[128];
    struct fl_schema *schema;
};

static int64_t count_rows(struct env *e) {
    struct fl_error err = {0};
    struct fl_store *st = NULL;
    struct fl_catalog *cat = NULL;
    struct fl_ice_table *tbl = NULL;
    struct fl_store_opts so = {0};
    if (fl_store_open(e->uri, &so, &st, &err)) fail_msg("store: %s", err.msg);
    if (fl_catalog_open(e->caturi, "floe", &cat, &err)) fail_msg("catalog: %s", err.msg);
    if (fl_ice_table_load(st, fl_catalog_ice(cat), "db", "t", &tbl, &err))
        fail_msg("load after fault: %s", err.msg);
    struct fl_ice_scan *sc = NULL;
    if (fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err))
        fail_msg("scan after fault: %s", err.msg);
    int64_t n = 0;
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &b, &err);
        if (rc == FL_ERR_EOF) break;
        if (rc) fail_msg("scan next after fault: %s", err.msg);
        n += (int64_t)b->nrows;
    }
    /* the summary agrees with the rows: snapshots are whole */
    const char *tr =
        fl_ice_snapshot_summary(tbl->meta, tbl->meta->current_snapshot_id, "total-records");
    assert_int_equal(tr ? strtoll(tr, NULL, 10) : 0, n);
    fl_ice_scan_free(sc);
    fl_ice_table_free(tbl);
    fl_catalog_free(cat);
    fl_store_free(st);
    return n;
}

/* One append of `rows` rows through a store with the given faults. */
static fl_err_t append_with(struct env *e, struct fl_store_faults *faults, int rows, int day) {
    struct fl_error err = {0};
    struct fl_store *st = NULL;
    struct fl_catalog *cat = NULL;
    struct fl_ice_table *tbl = NULL;
    struct fl_ice_appender *ap = NULL;
    struct fl_batch *b = NULL;
    struct fl_store_opts so = {.faults = faults};
    fl_err_t rc = fl_store_open(e->uri, &so, &st, &err);
    if (!rc) rc = fl_catalog_open(e->caturi, "floe", &cat, &err);
    if (!rc) rc = fl_ice_table_load(st, fl_catalog_ice(cat), "db", "t", &tbl, &err);
    if (!rc) rc = fl_batch_new(e->schema, 0, &b, &err);
    for (int i = 0; i < rows && !rc; i++) {
        char js[160];
        snprintf(js, sizeof(js), "{\"city\":\"c%d\",\"n\":%d,\"ts\":\"2026-01-%02dT00:00:00Z\"}",
                 i % 3, i, day);
        rc = fl_batch_append_json(b, js, strlen(js), &err);
    }
    if (!rc) rc = fl_ice_appender_new(tbl, &ap, &err);
    if (!rc) rc = fl_ice_appender_add(ap, b, &err);
    int64_t snap;
    if (!rc) rc = fl_ice_appender_commit(ap, NULL, 0, &snap, &err);
    fl_ice_appender_free(ap);
    fl_batch_free(b);
    fl_ice_table_free(tbl);
    fl_catalog_free(cat);
    fl_store_free(st);
    return rc;
}

static void setup_env(struct env *e, const struct fl_ice_kv *props, int nprops) {
    snprintf(e->dir, sizeof(e->dir), "/tmp/floe-faults-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    snprintf(e->uri, sizeof(e->uri), "file://%s/wh", e->dir);
    snprintf(e->caturi, sizeof(e->caturi), "sqlite://%s/cat.db", e->dir);
    struct fl_error err = {0};
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &e->schema, &err), FL_OK);
    struct fl_store *st = NULL;
    struct fl_catalog *cat = NULL;
    struct fl_ice_table *tbl = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_store_opts so = {0};
    const char *terms[] = {"day(ts)", "city"};
    assert_int_equal(fl_store_open(e->uri, &so, &st, &err), FL_OK);
    assert_int_equal(fl_catalog_open(e->caturi, "floe", &cat, &err), FL_OK);
    assert_int_equal(fl_ice_spec_from_terms(e->schema, 0, terms, 2, 1000, &spec, &err), FL_OK);
    assert_int_equal(fl_ice_table_create(st, fl_catalog_ice(cat), "db", "t", e->schema, spec, props,
                                         nprops, &tbl, &err),
                     FL_OK);
    fl_ice_table_free(tbl);
    fl_ice_spec_free(spec);
    fl_catalog_free(cat);
    fl_store_free(st);
}

static void teardown_env(struct env *e) {
    fl_schema_free(e->schema);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
    assert_int_equal(system(cmd), 0);
}

static void every_step_fails(const struct fl_ice_kv *props, int nprops) {
    struct env e;
    setup_env(&e, props, nprops);
    int64_t expect = 0;
    assert_int_equal(append_with(&e, NULL, 30, 1), FL_OK);
    expect += 30;
    /* how many fsyncs and renames does one clean commit do? */
    struct fl_store_faults probe = {0};
    assert_int_equal(append_with(&e, &probe, 30, 2), FL_OK);
    expect += 30;
    assert_true(probe.fsyncs > 3);
    assert_true(probe.renames > 3);
    int failed = 0, succeeded = 0;
    for (unsigned k = 1; k <= probe.fsyncs + 1; k++) {
        struct fl_store_faults f = {.fsync_fail_at = k};
        fl_err_t rc = append_with(&e, &f, 9, 3);
        if (rc == FL_OK)
            expect += 9, succeeded++;
        else
            failed++;
        assert_int_equal(count_rows(&e), expect);
    }
    for (unsigned k = 1; k <= probe.renames + 1; k++) {
        struct fl_store_faults f = {.rename_fail_at = k};
        fl_err_t rc = append_with(&e, &f, 9, 4);
        if (rc == FL_OK)
            expect += 9, succeeded++;
        else
            failed++;
        assert_int_equal(count_rows(&e), expect);
    }
    for (uint64_t bytes = 100; bytes < probe.bytes_written + 5000;
         bytes += probe.bytes_written / 7 + 1) {
        struct fl_store_faults f = {.enospc_after = bytes};
        fl_err_t rc = append_with(&e, &f, 9, 5);
        if (rc == FL_OK)
            expect += 9, succeeded++;
        else
            failed++;
        assert_int_equal(count_rows(&e), expect);
    }
    struct fl_store_faults shortw = {.short_writes = 1};
    assert_int_equal(append_with(&e, &shortw, 9, 6),
                     FL_OK); /* short writes are retried, not errors */
    expect += 9;
    assert_int_equal(count_rows(&e), expect);
    /* faults really hit, and the table goes on after every one of them */
    assert_true(failed > 5);
    assert_int_equal(append_with(&e, NULL, 30, 7), FL_OK);
    expect += 30;
    assert_int_equal(count_rows(&e), expect);
    if (nprops) { /* the last commit merged: one manifest, none kept */
        struct fl_error err = {0};
        struct fl_store *st = NULL;
        struct fl_catalog *cat = NULL;
        struct fl_ice_table *tbl = NULL;
        struct fl_store_opts so = {0};
        assert_int_equal(fl_store_open(e.uri, &so, &st, &err), FL_OK);
        assert_int_equal(fl_catalog_open(e.caturi, "floe", &cat, &err), FL_OK);
        assert_int_equal(fl_ice_table_load(st, fl_catalog_ice(cat), "db", "t", &tbl, &err), FL_OK);
        int64_t cur = tbl->meta->current_snapshot_id;
        assert_string_equal(fl_ice_snapshot_summary(tbl->meta, cur, "manifests-kept"), "0");
        assert_string_equal(fl_ice_snapshot_summary(tbl->meta, cur, "manifests-created"), "1");
        fl_ice_table_free(tbl);
        fl_catalog_free(cat);
        fl_store_free(st);
    }
    teardown_env(&e);
}

static void test_every_step_fails(void **state) {
    (void)state;
    every_step_fails(NULL, 0);
}

static void test_every_step_fails_merging(void **state) {
    (void)state;
    struct fl_ice_kv merge[] = {{"commit.manifest.min-count-to-merge", "2"}};
    every_step_fails(merge, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_step_fails),
                                       cmocka_unit_test(test_every_step_fails_merging)};
    return cmocka_run_group_tests_name("commit_faults", tests, NULL, NULL);
}
