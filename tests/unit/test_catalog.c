/*
 * test_catalog.c - the SQL catalog on SQLite: namespaces, tables, the
 * compare-and-swap commit (two handles racing on one file: exactly one
 * wins), and a catalog file written by PyIceberg's SqlCatalog.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "catalog_lease_cases.h"
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct names {
    char buf[1024];
};

static int collect(void *ctx, const char *ns, const char *name) {
    struct names *n = ctx;
    size_t l = strlen(n->buf);
    snprintf(n->buf + l, sizeof(n->buf) - l, "%s%s%s;", ns, name ? "." : "", name ? name : "");
    return 0;
}

static int collect_prop(void *ctx, const char *k, const char *v) {
    struct names *n = ctx;
    size_t l = strlen(n->buf);
    snprintf(n->buf + l, sizeof(n->buf) - l, "%s=%s;", k, v);
    return 0;
}

static void test_lease(void **state) {
    (void)state;
    char dir[] = "/tmp/floe-lease-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char uri[256], cmd[300];
    snprintf(uri, sizeof(uri), "sqlite://%s/catalog.db", dir);
    struct fl_catalog *a = NULL, *b = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_catalog_open(uri, "floe", &a, &err), FL_OK);
    assert_int_equal(fl_catalog_open(uri, "floe", &b, &err), FL_OK);
    lease_cases(a, b);
    fl_catalog_free(a);
    fl_catalog_free(b);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_namespaces_tables_cas(void **state) {
    (void)state;
    char dir[] = "/tmp/floe-cat-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char uri[256];
    snprintf(uri, sizeof(uri), "sqlite://%s/catalog.db", dir);
    struct fl_catalog *a = NULL, *b = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_catalog_open(uri, "floe", &a, &err), FL_OK);
    assert_int_equal(fl_catalog_open(uri, "floe", &b, &err), FL_OK);

    assert_int_equal(fl_catalog_ns_exists(a, "default", &err), FL_ERR_NOTFOUND);
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_ns_create(a, "default", NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(fl_catalog_ns_create(b, "default", NULL, NULL, 0, &err), FL_ERR_EXISTS);
    fl_err_clear(&err);
    const char *k[] = {"owner", "comment"}, *v[] = {"ops", "EU sales"};
    assert_int_equal(fl_catalog_ns_create(a, "sales.eu", k, v, 2, &err), FL_OK);
    assert_int_equal(fl_catalog_ns_create(a, "sales.us", NULL, NULL, 0, &err), FL_OK);
    struct names n = {{0}};
    assert_int_equal(fl_catalog_ns_list(a, NULL, collect, &n, &err), FL_OK);
    assert_string_equal(n.buf, "default;sales;");
    memset(&n, 0, sizeof(n));
    assert_int_equal(fl_catalog_ns_list(a, "sales", collect, &n, &err), FL_OK);
    assert_string_equal(n.buf, "sales.eu;sales.us;");
    memset(&n, 0, sizeof(n));
    assert_int_equal(fl_catalog_ns_props(a, "sales.eu", collect_prop, &n, &err), FL_OK);
    assert_string_equal(n.buf, "comment=EU sales;owner=ops;");
    const char *k2[] = {"owner", "comment"}, *v2[] = {"data", NULL};
    assert_int_equal(fl_catalog_ns_set_props(a, "sales.eu", k2, v2, 2, &err), FL_OK);
    memset(&n, 0, sizeof(n));
    fl_catalog_ns_props(a, "sales.eu", collect_prop, &n, &err);
    assert_string_equal(n.buf, "owner=data;");

    /* bad names never reach SQL */
    assert_int_equal(fl_catalog_ns_create(a, "../x", NULL, NULL, 0, &err), FL_ERR_INVALID);
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_table_create(a, "default", "a/b", "x", &err), FL_ERR_INVALID);
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_table_create(a, "nope", "t", "x", &err), FL_ERR_NOTFOUND);
    fl_err_clear(&err);

    assert_int_equal(fl_catalog_table_create(a, "default", "weather", "m0.json", &err), FL_OK);
    assert_int_equal(fl_catalog_table_create(b, "default", "weather", "m0.json", &err),
                     FL_ERR_EXISTS);
    fl_err_clear(&err);
    char loc[256];
    assert_int_equal(fl_catalog_table_load(b, "default", "weather", loc, sizeof(loc), &err), FL_OK);
    assert_string_equal(loc, "m0.json");

    /* both writers start from m0; exactly one commit wins */
    assert_int_equal(fl_catalog_table_commit(a, "default", "weather", "m0.json", "m1a.json", &err),
                     FL_OK);
    assert_int_equal(fl_catalog_table_commit(b, "default", "weather", "m0.json", "m1b.json", &err),
                     FL_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "m1a.json"));
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_table_load(b, "default", "weather", loc, sizeof(loc), &err), FL_OK);
    assert_string_equal(loc, "m1a.json");
    /* the loser retries on the new base */
    assert_int_equal(fl_catalog_table_commit(b, "default", "weather", "m1a.json", "m2.json", &err),
                     FL_OK);

    assert_int_equal(fl_catalog_ns_drop(a, "default", &err), FL_ERR_INVALID);
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_table_rename(a, "default", "weather", "sales.eu", "weather2", &err),
                     FL_OK);
    memset(&n, 0, sizeof(n));
    assert_int_equal(fl_catalog_table_list(a, "sales.eu", collect, &n, &err), FL_OK);
    assert_string_equal(n.buf, "sales.eu.weather2;");
    assert_int_equal(fl_catalog_table_drop(a, "sales.eu", "weather2", &err), FL_OK);
    assert_int_equal(fl_catalog_table_drop(a, "sales.eu", "weather2", &err), FL_ERR_NOTFOUND);
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_table_commit(a, "sales.eu", "weather2", "m2.json", "m3.json", &err),
                     FL_ERR_NOTFOUND);
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_ns_drop(a, "default", &err), FL_OK);
    assert_int_equal(fl_catalog_ns_drop(a, "default", &err), FL_ERR_NOTFOUND);

    fl_catalog_free(a);
    fl_catalog_free(b);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_pyiceberg_catalog(void **state) {
    (void)state;
    char src[1024], cmd[2048];
    snprintf(src, sizeof(src),
             "%s/iceberg/duckdb-iceberg/persistent/add_columns_with_defaults/pyiceberg_catalog.db",
             fixtures_dir());
    char dir[] = "/tmp/floe-pycat-XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd), "cp '%s' %s/cat.db", src, dir);
    assert_int_equal(system(cmd), 0);
    char uri[256];
    snprintf(uri, sizeof(uri), "%s/cat.db", dir);
    struct fl_catalog *c = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_catalog_open(uri, "default", &c, &err), FL_OK);
    assert_int_equal(fl_catalog_ns_exists(c, "default", &err), FL_OK);
    char loc[1024];
    assert_int_equal(
        fl_catalog_table_load(c, "default", "add_columns_with_defaults", loc, sizeof(loc), &err),
        FL_OK);
    assert_non_null(strstr(loc, "00003-3f1801a5-7dfb-4072-b14a-39cd12f9279b.metadata.json"));
    /* a table floe adds is visible with PyIceberg's layout (no iceberg_type column) */
    assert_int_equal(fl_catalog_table_create(c, "default", "from_floe", "m.json", &err), FL_OK);
    struct names n = {{0}};
    assert_int_equal(fl_catalog_table_list(c, "default", collect, &n, &err), FL_OK);
    assert_string_equal(n.buf, "default.add_columns_with_defaults;default.from_floe;");
    fl_catalog_free(c);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_namespaces_tables_cas),
        cmocka_unit_test(test_lease),
        cmocka_unit_test(test_pyiceberg_catalog),
    };
    return cmocka_run_group_tests_name("catalog", tests, NULL, NULL);
}
