/*
 * test_ingest_sql.c - POST /sql (src/ingest/routes_sql.c) through the
 * router, without sockets, over a scratch catalog with one table and
 * the REST catalog off: reads answered; every write or file-touching
 * action refused with 403 40301 naming it, and no file created (ATTACH
 * and VACUUM INTO aim at the scratch folder); the other error codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "core/schema.h"
#include "iceberg/table.h"
#include "ingest/ingest.h"
#include "ingest_memlog.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct env {
    char dir[64];
    struct fl_store *st;
    struct fl_catalog *cat;
    struct memlog ml;
    struct fl_ingest_backend be;
    struct fl_ingest *ing;
    struct fl_ingest_resp resp;
    json_t *j; /* the last reply */
};

static int env_setup(void **state) {
    struct env *e = calloc(1, sizeof(*e));
    snprintf(e->dir, sizeof(e->dir), "/tmp/floe-sqlhttp-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    char uri[128];
    struct fl_error err = {0};
    snprintf(uri, sizeof(uri), "file://%s/wh", e->dir);
    assert_int_equal(fl_store_open(uri, NULL, &e->st, &err), FL_OK);
    snprintf(uri, sizeof(uri), "sqlite://%s/catalog.db", e->dir);
    assert_int_equal(fl_catalog_open(uri, "floe", &e->cat, &err), FL_OK);
    const char *schema = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                         "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"}]}";
    struct fl_schema *sc = NULL;
    struct fl_ice_table *tbl = NULL;
    assert_int_equal(fl_schema_parse(schema, strlen(schema), &sc, &err), FL_OK);
    assert_int_equal(fl_ice_table_create(e->st, fl_catalog_ice(e->cat), "default", "t", sc, NULL,
                                         NULL, 0, &tbl, &err),
                     FL_OK);
    fl_ice_table_free(tbl);
    fl_schema_free(sc);
    memlog_init(&e->ml, &e->be);
    struct fl_ingest_config cfg;
    fl_ingest_config_default(&cfg);
    cfg.sql = (struct fl_ingest_sql){.store = e->st, .cat = e->cat, .log = NULL}; /* rest off */
    assert_int_equal(fl_ingest_new(&cfg, &e->be, &e->ing, &err), FL_OK);
    fl_ingest_config_fini(&cfg);
    fl_ingest_resp_init(&e->resp);
    *state = e;
    return 0;
}

static int env_teardown(void **state) {
    struct env *e = *state;
    json_decref(e->j);
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

/* POSTs body to target; returns the status, the reply parsed in e->j. */
static int post(struct env *e, const char *method, const char *target, const char *body) {
    struct fl_ingest_req req = {.method = method,
                                .target = target,
                                .body = (const uint8_t *)body,
                                .body_len = body ? strlen(body) : 0};
    fl_ingest_handle(e->ing, &req, &e->resp);
    json_decref(e->j);
    e->j = json_loadb((const char *)e->resp.body.data, e->resp.body.len, 0, NULL);
    assert_non_null(e->j);
    if (getenv("TEST_VERBOSE"))
        fprintf(stderr, "%s -> %d %.*s\n", body ? body : target, e->resp.status,
                (int)e->resp.body.len, (const char *)e->resp.body.data);
    return e->resp.status;
}

/* Runs query (a SQL text) as POST /sql. */
static int sql(struct env *e, const char *query) {
    json_t *o = json_object();
    json_object_set_new(o, "query", json_string(query));
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    int st = post(e, "POST", "/sql", body);
    free(body);
    return st;
}

static int code(struct env *e) {
    return (int)json_integer_value(json_object_get(e->j, "error_code"));
}
static const char *message(struct env *e) {
    return json_string_value(json_object_get(e->j, "message"));
}

/* Entries in e->dir besides the warehouse and the catalog. */
static int stray_files(struct env *e) {
    DIR *d = opendir(e->dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *de; (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "wh") &&
            strncmp(de->d_name, "catalog.db", 10))
            n++;
    closedir(d);
    return n;
}

static void test_sql_reads(void **state) {
    struct env *e = *state;
    assert_int_equal(sql(e, "SELECT COUNT(*) FROM t"), 200);
    assert_int_equal(
        json_integer_value(json_array_get(json_array_get(json_object_get(e->j, "rows"), 0), 0)), 0);
    assert_int_equal(sql(e, "SELECT abs(-2), upper('a'), json_array(1)"), 200);
    assert_int_equal(sql(e, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                            "WHERE x < 5) SELECT sum(x) FROM c"),
                     200);
    assert_int_equal(sql(e, "SELECT COUNT(*) FROM \"t$snapshots\""), 200);
    /* introspection pragmas are reads */
    assert_int_equal(sql(e, "PRAGMA table_info(t)"), 200);
    assert_int_equal(sql(e, "SELECT name FROM pragma_table_info('t')"), 200);
    assert_string_equal(
        json_string_value(json_array_get(json_array_get(json_object_get(e->j, "rows"), 0), 0)),
        "id");
    assert_int_equal(sql(e, "EXPLAIN SELECT * FROM t"), 200);
    /* the REST catalog is off, POST /sql is still served; /v1/ is not */
    assert_int_equal(post(e, "GET", "/v1/config", NULL), 404);
    assert_int_equal(code(e), 40400);
}

static void test_sql_refusals(void **state) {
    struct env *e = *state;
    char attach[160], vacuum[160], attach_uri[200];
    snprintf(attach, sizeof(attach), "ATTACH '%s/x.db' AS x", e->dir);
    snprintf(attach_uri, sizeof(attach_uri), "ATTACH 'file:%s/u.db?mode=rwc' AS u", e->dir);
    snprintf(vacuum, sizeof(vacuum), "VACUUM INTO '%s/v.db'", e->dir);
    const struct {
        const char *query;
        const char *named; /* the reply's message names it */
    } refused[] = {
        {attach, "ATTACH"},
        {attach_uri, "ATTACH"},
        {"ATTACH ':memory:' AS m", "ATTACH"},
        {"DETACH \"default\"", "DETACH"},
        {"PRAGMA writable_schema = 1", "PRAGMA 'writable_schema' (1)"},
        {"PRAGMA user_version = 7", "PRAGMA 'user_version'"},
        {"PRAGMA user_version", "PRAGMA 'user_version'"},
        {"PRAGMA journal_mode = OFF", "PRAGMA 'journal_mode'"},
        {"PRAGMA temp_store_directory = '/tmp'", "PRAGMA 'temp_store_directory'"},
        {"SELECT * FROM pragma_user_version", "PRAGMA 'user_version'"},
        {"SELECT load_extension('/tmp/nope')", "load_extension"},
        {"INSERT INTO t VALUES (1)", "INSERT"},
        {"CREATE TABLE w(a)", "CREATE TABLE"},
        {"CREATE TEMP TABLE w(a)", "CREATE TEMP TABLE"},
        {"CREATE TEMP VIEW v AS SELECT 1", "CREATE TEMP VIEW"},
        {"DROP TABLE t", "DROP"},
        {"ALTER TABLE t RENAME TO u", "ALTER TABLE"},
        {"BEGIN", "transaction"},
        {"COMMIT", "transaction"},
        {"SAVEPOINT s", "SAVEPOINT"},
        {"RELEASE s", "SAVEPOINT"},
        {"REINDEX", "REINDEX"},
        {"/* a */ -- b\n REINDEX", "REINDEX"},
        {"ANALYZE", "sqlite_stat1"}, /* it would create its statistics table */
        {"VACUUM", "VACUUM"},
        {vacuum, "VACUUM"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        int st = sql(e, refused[i].query);
        if (st != 403 || code(e) != 40301 || !strstr(message(e), refused[i].named) ||
            !strstr(message(e), "read-only"))
            fail_msg("%s -> %d %.*s", refused[i].query, st, (int)e->resp.body.len,
                     (const char *)e->resp.body.data);
    }
    assert_int_equal(stray_files(e), 0); /* neither ATTACH nor VACUUM INTO made a file */
    /* a floe table has no write method, the schema table is read-only
     * without writable_schema: SQLite itself refuses before the authorizer */
    assert_int_equal(sql(e, "UPDATE sqlite_master SET sql = 'x'"), 400);
    assert_non_null(strstr(message(e), "may not be modified"));
    assert_int_equal(sql(e, "DELETE FROM sqlite_master"), 400);
    assert_non_null(strstr(message(e), "may not be modified"));
    assert_int_equal(sql(e, "UPDATE t SET id = 2"), 400);
    assert_non_null(strstr(message(e), "may not be modified"));
    assert_int_equal(sql(e, "DELETE FROM t"), 400);
    assert_non_null(strstr(message(e), "may not be modified"));
    /* functions that would touch files do not exist or are refused */
    static const char *const files[] = {"SELECT writefile('w.txt', 'x')",
                                        "SELECT readfile('/etc/passwd')"};
    for (size_t i = 0; i < 2; i++) {
        int st = sql(e, files[i]);
        assert_true(st == 400 || st == 403);
    }
    assert_int_equal(stray_files(e), 0);
    /* and the table still reads */
    assert_int_equal(sql(e, "SELECT COUNT(*) FROM t"), 200);
}

static void test_sql_errors(void **state) {
    struct env *e = *state;
    assert_int_equal(sql(e, "SELECT id FROM t WHER 1"), 400);
    assert_int_equal(code(e), 40010);
    assert_true(json_integer_value(json_object_get(e->j, "offset")) > 0);
    assert_int_equal(sql(e, "SELECT 1; SELECT 2"), 400);
    assert_int_equal(code(e), 40011);
    assert_int_equal(sql(e, ""), 400);
    assert_int_equal(code(e), 40011);
    assert_int_equal(sql(e, "SELECT json('{')"), 400);
    assert_int_equal(code(e), 40012);
    /* a value past the 16 MiB cap fails instead of taking the memory */
    assert_int_equal(sql(e, "SELECT length(zeroblob(16 * 1024 * 1024))"), 200);
    assert_int_equal(sql(e, "SELECT length(zeroblob(16 * 1024 * 1024 + 1))"), 400);
    assert_int_equal(code(e), 40012);
    assert_int_equal(sql(e, "SELECT length(zeroblob(1000000000))"), 400);
    assert_int_equal(code(e), 40012);
    assert_int_equal(post(e, "POST", "/sql", "not json"), 400);
    assert_int_equal(code(e), 40001);
    assert_int_equal(post(e, "POST", "/sql", "{\"query\":\"SELECT 1\",\"limit\":\"5\"}"), 400);
    assert_int_equal(code(e), 40001);
    assert_int_equal(post(e, "POST", "/sql", "{\"query\":\"SELECT 1\",\"timeout_ms\":0}"), 400);
    assert_int_equal(code(e), 40001);
    assert_int_equal(post(e, "GET", "/sql", NULL), 405);
    assert_int_equal(code(e), 40501);
    assert_int_equal(post(e, "POST", "/sql",
                          "{\"query\":\"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
                          "FROM c) SELECT count(*) FROM c\",\"timeout_ms\":50}"),
                     408);
    assert_int_equal(code(e), 40801);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sql_reads, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_sql_refusals, env_setup, env_teardown),
        cmocka_unit_test_setup_teardown(test_sql_errors, env_setup, env_teardown),
    };
    return cmocka_run_group_tests_name("ingest_sql", tests, NULL, NULL);
}
