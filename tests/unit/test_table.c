/*
 * test_table.c - Iceberg tables end to end on a local warehouse with the
 * SQLite catalog: create a partitioned table, append, scan, time travel,
 * a stale writer that loses the compare-and-swap and retries, a table
 * read by path without the catalog; and tables Iceberg Java and Spark
 * wrote (position deletes, equality deletes, a renamed column) read
 * with the row counts their authors state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "catalog/catalog.h"
#include "iceberg/evolve.h"
#include "iceberg/table.h"
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"temperature\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"}]}";

static int64_t scan_count(struct fl_ice_table *tbl, int64_t snap, double *sum) {
    struct fl_ice_scan *sc = NULL;
    struct fl_error err = {0};
    if (fl_ice_scan_open(tbl, snap, &sc, &err)) fail_msg("scan: %s", err.msg);
    int64_t n = 0;
    if (sum) *sum = 0;
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &b, &err);
        if (rc == FL_ERR_EOF) break;
        if (rc) fail_msg("scan next: %s", err.msg);
        n += (int64_t)b->nrows;
        if (sum)
            for (size_t r = 0; r < b->nrows; r++)
                if (!fl_col_is_null(&b->cols[1], r)) *sum += ((double *)b->cols[1].values)[r];
    }
    fl_ice_scan_free(sc);
    return n;
}

static void append_rows(struct fl_ice_table *tbl, const char *const *rows, int n, int64_t *snap) {
    struct fl_error err = {0};
    struct fl_batch *b = NULL;
    struct fl_ice_appender *ap = NULL;
    assert_int_equal(fl_batch_new(fl_ice_meta_current_schema(tbl->meta), 0, &b, &err), FL_OK);
    for (int i = 0; i < n; i++)
        if (fl_batch_append_json(b, rows[i], strlen(rows[i]), &err)) fail_msg("%s", err.msg);
    assert_int_equal(fl_ice_appender_new(tbl, &ap, &err), FL_OK);
    if (fl_ice_appender_add(ap, b, &err)) fail_msg("add: %s", err.msg);
    struct fl_ice_kv sum[] = {{"floe.source", "test"}};
    if (fl_ice_appender_commit(ap, sum, 1, snap, &err)) fail_msg("commit: %s", err.msg);
    fl_ice_appender_free(ap);
    fl_batch_free(b);
}

static bool is_rome(void *ctx, const struct fl_batch *b, size_t row) {
    (void)ctx;
    size_t len;
    const uint8_t *p = fl_col_bytes(&b->cols[0], row, &len);
    return len == 4 && memcmp(p, "Rome", 4) == 0;
}

static void test_create_append_scan(void **state) {
    (void)state;
    char dir[] = "/tmp/floe-tbl-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char uri[256], caturi[256];
    snprintf(uri, sizeof(uri), "file://%s/wh", dir);
    snprintf(caturi, sizeof(caturi), "sqlite://%s/catalog.db", dir);
    struct fl_error err = {0};
    struct fl_store *st = NULL;
    struct fl_catalog *cat = NULL;
    struct fl_schema *schema = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_store_opts sopts = {0};
    assert_int_equal(fl_store_open(uri, &sopts, &st, &err), FL_OK);
    assert_int_equal(fl_catalog_open(caturi, "floe", &cat, &err), FL_OK);
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err), FL_OK);
    const char *terms[] = {"day(ts)", "city"};
    assert_int_equal(fl_ice_spec_from_terms(schema, 0, terms, 2, 1000, &spec, &err), FL_OK);
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_create(st, fl_catalog_ice(cat), "default", "weather", schema, spec, NULL, 0,
                            &tbl, &err))
        fail_msg("create: %s", err.msg);
    assert_int_equal(tbl->version, 1);
    assert_int_equal(scan_count(tbl, FL_ICE_NO_SNAPSHOT, NULL), 0);
    fl_err_clear(&err);
    assert_int_equal(fl_ice_table_create(st, fl_catalog_ice(cat), "default", "weather", schema,
                                         spec, NULL, 0, &tbl, &err),
                     FL_ERR_EXISTS);
    fl_err_clear(&err);

    const char *rows1[] = {
        "{\"city\":\"Paris\",\"temperature\":20.5,\"ts\":\"2026-01-08T14:00:00Z\"}",
        "{\"city\":\"Oslo\",\"temperature\":-3.0,\"ts\":\"2026-01-08T15:00:00Z\"}",
        "{\"city\":\"Paris\",\"temperature\":21.5,\"ts\":\"2026-01-09T01:00:00Z\"}",
        "{\"city\":\"Oslo\",\"ts\":\"2026-01-09T02:00:00Z\"}",
    };
    int64_t s1 = -1, s2 = -1, s3 = -1;
    append_rows(tbl, rows1, 4, &s1);
    assert_true(s1 > 0);
    assert_int_equal(tbl->version, 2);
    double sum;
    assert_int_equal(scan_count(tbl, FL_ICE_NO_SNAPSHOT, &sum), 4);
    assert_true(sum == 39.0);
    /* four partitions, four files, Hive-style paths */
    uint64_t sz;
    char key[512];
    assert_int_equal(fl_ice_table_key(tbl, tbl->metadata_location, key, sizeof(key), &err), FL_OK);
    assert_int_equal(fl_store_head(st, "default/weather/metadata/version-hint.text", &sz, &err),
                     FL_OK);
    assert_int_equal(fl_store_head(st, "default/weather/metadata/v2.metadata.json", &sz, &err),
                     FL_OK);
    assert_string_equal(fl_ice_snapshot_summary(tbl->meta, s1, "added-data-files"), "4");
    assert_string_equal(fl_ice_snapshot_summary(tbl->meta, s1, "total-records"), "4");
    assert_string_equal(fl_ice_snapshot_summary(tbl->meta, s1, "floe.source"), "test");

    /* a second handle, loaded now, goes stale when the first commits again */
    struct fl_ice_table *stale = NULL;
    assert_int_equal(fl_ice_table_load(st, fl_catalog_ice(cat), "default", "weather", &stale, &err),
                     FL_OK);
    const char *rows2[] = {
        "{\"city\":\"Rome\",\"temperature\":15.0,\"ts\":\"2026-01-10T00:00:00Z\"}"};
    append_rows(tbl, rows2, 1, &s2);
    const char *rows3[] = {
        "{\"city\":\"Rome\",\"temperature\":16.0,\"ts\":\"2026-01-10T01:00:00Z\"}",
        "{\"city\":\"Lima\",\"temperature\":25.0,\"ts\":\"2026-01-10T02:00:00Z\"}"};
    append_rows(stale, rows3, 2, &s3); /* loses the CAS, reloads, retries */
    assert_int_equal(stale->version, 4);
    assert_int_equal(scan_count(stale, FL_ICE_NO_SNAPSHOT, &sum), 7);
    assert_true(sum == 95.0);
    assert_string_equal(fl_ice_snapshot_summary(stale->meta, s3, "total-records"), "7");
    /* time travel */
    assert_int_equal(scan_count(stale, s1, NULL), 4);
    assert_int_equal(scan_count(stale, s2, NULL), 5);
    const struct fl_ice_snapshot *snap3 = fl_ice_meta_snapshot(stale->meta, s3);
    assert_int_equal(snap3->parent_id, s2);
    assert_int_equal(snap3->sequence_number, 3);

    /* the same table by path, without the catalog (version-hint) */
    struct fl_ice_table *bypath = NULL;
    assert_int_equal(fl_ice_table_load_path(st, "default/weather", &bypath, &err), FL_OK);
    assert_int_equal(bypath->version, 4);
    assert_int_equal(scan_count(bypath, FL_ICE_NO_SNAPSHOT, NULL), 7);
    const char *rows4[] = {
        "{\"city\":\"Kyiv\",\"temperature\":1.0,\"ts\":\"2026-01-11T00:00:00Z\"}"};
    int64_t s4;
    append_rows(bypath, rows4, 1, &s4);
    assert_int_equal(bypath->version, 5);

    /* row-level delete: position delete files, then every reader skips the rows */
    int64_t deleted = 0, s5 = -1;
    assert_int_equal(fl_ice_table_delete_where(bypath, is_rome, NULL, &deleted, &s5, &err), FL_OK);
    assert_int_equal(deleted, 2);
    assert_int_equal(scan_count(bypath, FL_ICE_NO_SNAPSHOT, &sum), 6);
    assert_true(sum == 65.0);
    assert_int_equal(scan_count(bypath, s4, NULL), 8); /* the snapshot before still has them */
    assert_string_equal(fl_ice_meta_snapshot(bypath->meta, s5)->operation, "delete");
    assert_string_equal(fl_ice_snapshot_summary(bypath->meta, s5, "added-position-deletes"), "2");
    assert_int_equal(fl_ice_table_delete_where(bypath, is_rome, NULL, &deleted, &s5, &err), FL_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(s5, -1);

    /* schema evolution: add, rename, widen; old files read the new column as null */
    struct fl_ice_schema_change ch[] = {
        {.kind = FL_ICE_ADD_COLUMN, .name = "humidity", .type = "float"},
        {.kind = FL_ICE_RENAME_COLUMN, .name = "temperature", .new_name = "temp_c"},
    };
    assert_int_equal(fl_ice_table_evolve_schema(bypath, ch, 2, &err), FL_OK);
    const char *rows5[] = {
        "{\"city\":\"Nuuk\",\"temp_c\":-10.0,\"ts\":\"2026-01-12T00:00:00Z\",\"humidity\":0.5}"};
    append_rows(bypath, rows5, 1, &s5);
    struct fl_ice_schema_change widen = {
        .kind = FL_ICE_WIDEN_COLUMN, .name = "humidity", .type = "double"};
    assert_int_equal(fl_ice_table_evolve_schema(bypath, &widen, 1, &err), FL_OK);
    assert_int_equal(scan_count(bypath, FL_ICE_NO_SNAPSHOT, &sum),
                     7); /* column 1 is temp_c by id */
    assert_true(sum == 55.0);
    struct fl_ice_schema_change bad[] = {
        {.kind = FL_ICE_DROP_COLUMN, .name = "city"}, /* a partition source */
        {.kind = FL_ICE_WIDEN_COLUMN, .name = "temp_c", .type = "int"},
        {.kind = FL_ICE_ADD_COLUMN, .name = "x", .type = "int", .required = true},
        {.kind = FL_ICE_RENAME_COLUMN, .name = "ts", .new_name = "city"},
    };
    for (int i = 0; i < 4; i++) {
        fl_err_clear(&err);
        int v = bypath->version;
        assert_int_not_equal(fl_ice_table_evolve_schema(bypath, &bad[i], 1, &err), FL_OK);
        assert_int_equal(bypath->version, v);
    }
    fl_err_clear(&err);
    /* partition evolution: new data goes to the new spec, old data stays readable */
    const char *month[] = {"month(ts)"};
    assert_int_equal(fl_ice_table_set_partitioning(bypath, month, 1, &err), FL_OK);
    assert_int_equal(fl_ice_meta_default_spec(bypath->meta)->spec_id, 1);
    assert_int_equal(fl_ice_meta_default_spec(bypath->meta)->fields[0].field_id, 1002);
    append_rows(bypath, rows5, 1, &s5);
    assert_int_equal(scan_count(bypath, FL_ICE_NO_SNAPSHOT, NULL), 8);
    const char *k[] = {"owner"}, *v[] = {"ops"};
    assert_int_equal(fl_ice_table_set_properties(bypath, k, v, 1, &err), FL_OK);
    assert_string_equal(fl_ice_meta_property(bypath->meta, "owner"), "ops");

    /* many partitions, rows interleaved: slots are created and revisited */
    const char *t2[] = {"city"};
    assert_int_equal(fl_ice_table_set_partitioning(bypath, t2, 1, &err), FL_OK);
    char many[40][128];
    const char *mp[40];
    for (int i = 0; i < 40; i++) {
        snprintf(many[i], sizeof(many[i]),
                 "{\"city\":\"c%02d\",\"temp_c\":1.0,\"ts\":\"2026-02-01T00:00:00Z\"}", i % 20);
        mp[i] = many[i];
    }
    int64_t s6;
    append_rows(bypath, mp, 40, &s6);
    assert_string_equal(fl_ice_snapshot_summary(bypath->meta, s6, "added-data-files"), "20");
    assert_int_equal(scan_count(bypath, FL_ICE_NO_SNAPSHOT, NULL), 48);

    fl_ice_table_free(bypath);
    fl_ice_table_free(stale);
    fl_ice_table_free(tbl);
    fl_ice_spec_free(spec);
    fl_schema_free(schema);
    fl_catalog_free(cat);
    fl_store_free(st);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static int64_t fixture_count(const char *root_rel, const char *table_key, const char *meta_file) {
    char uri[1024], key[512];
    snprintf(uri, sizeof(uri), "file://%s/iceberg/%s", fixtures_dir(), root_rel);
    struct fl_error err = {0};
    struct fl_store *st = NULL;
    struct fl_store_opts sopts = {0};
    if (fl_store_open(uri, &sopts, &st, &err)) fail_msg("store %s: %s", uri, err.msg);
    if (meta_file)
        snprintf(key, sizeof(key), "%s/metadata/%s", table_key, meta_file);
    else
        snprintf(key, sizeof(key), "%s", table_key);
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_load_path(st, key, &tbl, &err)) fail_msg("load %s: %s", key, err.msg);
    int64_t n = scan_count(tbl, FL_ICE_NO_SNAPSHOT, NULL);
    fl_ice_table_free(tbl);
    fl_store_free(st);
    return n;
}

static void test_tables_from_other_engines(void **state) {
    (void)state;
    /* icebird/EXPECTED.md: java/bunnies v2: 21, v4 (6 position deletes): 15, v5 (eq delete +
     * reinsert): 15 */
    assert_int_equal(
        fixture_count("icebird/hyperparam-iceberg", "java/bunnies", "v2.metadata.json"), 21);
    assert_int_equal(
        fixture_count("icebird/hyperparam-iceberg", "java/bunnies", "v4.metadata.json"), 15);
    assert_int_equal(fixture_count("icebird/hyperparam-iceberg", "java/bunnies", NULL), 15);
    /* spark/bunnies merge-on-read: v3 (1 position delete): 20 */
    assert_int_equal(
        fixture_count("icebird/hyperparam-iceberg", "spark/bunnies", "v3.metadata.json"), 20);
    /* spark/rename_column: 4 rows, bucket + identity(date) partitions */
    assert_int_equal(fixture_count("icebird/hyperparam-iceberg", "spark/rename_column", NULL), 4);
    /* duckdb-iceberg equality_deletes (Spark 3.5): 2 rows; partitioned: 3 rows */
    assert_int_equal(
        fixture_count("duckdb-iceberg/persistent/equality_deletes/warehouse", "mydb/mytable", NULL),
        2);
    assert_int_equal(fixture_count("duckdb-iceberg/persistent/equality_deletes/warehouse",
                                   "mydb/mytable_partitioned", NULL),
                     3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_append_scan),
        cmocka_unit_test(test_tables_from_other_engines),
    };
    return cmocka_run_group_tests_name("table", tests, NULL, NULL);
}
