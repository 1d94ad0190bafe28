/*
 * test_sql_table_cache.c - a SQL connection lends the tables it loaded
 * (sql_tables.c) to later virtual tables and cursors only while the
 * catalog still names the same metadata file: a statement after a commit
 * sees the commit (rows, COUNT(*), a metadata table), a statement stepped
 * across a commit keeps its version, and two cursors of one table at
 * once (a self-join) both read it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "iceberg/table.h"
#include "sql/sql.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"}]}";

static void append_row(struct fl_ice_table *tbl, int i) {
    struct fl_error err = {0};
    struct fl_batch *b = NULL;
    struct fl_ice_appender *ap = NULL;
    char row[128];
    snprintf(row, sizeof(row), "{\"city\":\"c%d\",\"ts\":\"2026-01-%02dT00:00:00Z\"}", i,
             1 + i % 28);
    assert_int_equal(fl_batch_new(fl_ice_meta_current_schema(tbl->meta), 0, &b, &err), FL_OK);
    assert_int_equal(fl_batch_append_json(b, row, strlen(row), &err), FL_OK);
    assert_int_equal(fl_ice_appender_new(tbl, &ap, &err), FL_OK);
    assert_int_equal(fl_ice_appender_add(ap, b, &err), FL_OK);
    int64_t snap;
    if (fl_ice_appender_commit(ap, NULL, 0, &snap, &err)) fail_msg("commit: %s", err.msg);
    fl_ice_appender_free(ap);
    fl_batch_free(b);
}

static int64_t one_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) != SQLITE_ROW) fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_statement_after_commit(void **state) {
    (void)state;
    char dir[] = "/tmp/floe-sqlcache-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char uri[256], caturi[256];
    snprintf(uri, sizeof(uri), "file://%s/wh", dir);
    snprintf(caturi, sizeof(caturi), "sqlite://%s/catalog.db", dir);
    struct fl_error err = {0};
    struct fl_store *st = NULL;
    struct fl_catalog *cat = NULL;
    struct fl_schema *schema = NULL;
    struct fl_store_opts sopts = {0};
    assert_int_equal(fl_store_open(uri, &sopts, &st, &err), FL_OK);
    assert_int_equal(fl_catalog_open(caturi, "floe", &cat, &err), FL_OK);
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err), FL_OK);
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_create(st, fl_catalog_ice(cat), "default", "t", schema, NULL, NULL, 0, &tbl,
                            &err))
        fail_msg("create: %s", err.msg);
    append_row(tbl, 1);
    append_row(tbl, 2);

    struct fl_sql *sql = NULL;
    assert_int_equal(fl_sql_open(st, cat, &sql, &err), FL_OK);
    sqlite3 *db = fl_sql_db(sql);
    /* the count shortcut, a scan, a self-join (two cursors at once) */
    assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 2);
    assert_int_equal(one_int(db, "SELECT count(*) FROM t WHERE city >= 'c'"), 2);
    assert_int_equal(one_int(db, "SELECT count(*) FROM t a JOIN t b ON a.city = b.city"), 2);
    for (int i = 3; i <= 5; i++) {
        append_row(tbl, i); /* a commit between statements of one connection */
        assert_int_equal(one_int(db, "SELECT count(*) FROM t"), i);
        assert_int_equal(one_int(db, "SELECT count(*) FROM t WHERE city >= 'c'"), i);
        assert_int_equal(one_int(db, "SELECT count(*) FROM t a JOIN t b ON a.city = b.city"), i);
        assert_int_equal(one_int(db, "SELECT count(*) FROM \"t$snapshots\""), i);
    }
    /* a statement stepped across a commit keeps reading what it started on */
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT city FROM t", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    append_row(tbl, 6);
    int rows = 1;
    while (sqlite3_step(stmt) == SQLITE_ROW) rows++;
    sqlite3_finalize(stmt);
    assert_int_equal(rows, 5);
    assert_int_equal(one_int(db, "SELECT count(*) FROM t WHERE city >= 'c'"), 6);
    fl_sql_free(sql);

    fl_ice_table_free(tbl);
    fl_schema_free(schema);
    fl_catalog_free(cat);
    fl_store_free(st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statement_after_commit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
