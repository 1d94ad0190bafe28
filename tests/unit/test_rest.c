/*
 * test_rest.c - the Iceberg REST catalog routes, called without sockets:
 * config, namespaces (multi-level with 0x1F), tables (create, load, list,
 * HEAD, rename, drop), commits with requirements and updates (a stale
 * requirement gets 409 CommitFailedException and changes nothing), the
 * error model, bearer tokens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/rest.h"
#include "iceberg/table.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct env {
    char dir[64];
    struct fl_store *st;
    struct fl_catalog *cat;
    struct fl_rest rest;
    struct fl_buf out;
};

static json_t *call(struct env *e, const char *method, const char *path, const char *body,
                    int *status) {
    fl_rest_handle(&e->rest, method, path, NULL, NULL, body, body ? strlen(body) : 0, status,
                   &e->out);
    if (e->out.len == 0) return NULL;
    json_t *j = json_loadb((const char *)e->out.data, e->out.len, 0, NULL);
    assert_non_null(j);
    return j;
}

/* For calls whose status is all that matters. */
static int status_of(struct env *e, const char *method, const char *path) {
    int st;
    json_decref(call(e, method, path, NULL, &st));
    return st;
}

static void test_rest_catalog(void **state) {
    (void)state;
    struct env e = {0};
    snprintf(e.dir, sizeof(e.dir), "/tmp/floe-rest-XXXXXX");
    assert_non_null(mkdtemp(e.dir));
    char uri[128], cat[128];
    snprintf(uri, sizeof(uri), "file://%s/wh", e.dir);
    snprintf(cat, sizeof(cat), "sqlite://%s/cat.db", e.dir);
    struct fl_error err = {0};
    struct fl_store_opts so = {0};
    assert_int_equal(fl_store_open(uri, &so, &e.st, &err), FL_OK);
    assert_int_equal(fl_catalog_open(cat, "floe", &e.cat, &err), FL_OK);
    e.rest = (struct fl_rest){.store = e.st, .cat = e.cat};
    fl_buf_init(&e.out, FL_BUF_NOMAX);
    int st;
    json_t *j = call(&e, "GET", "/v1/config", NULL, &st);
    assert_int_equal(st, 200);
    assert_true(json_is_object(json_object_get(j, "defaults")));
    json_decref(j);

    j = call(&e, "POST", "/v1/namespaces",
             "{\"namespace\":[\"sales\",\"eu\"],\"properties\":{\"owner\":\"ops\"}}", &st);
    assert_int_equal(st, 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(j, "properties"), "owner")), "ops");
    json_decref(j);
    j = call(&e, "POST", "/v1/namespaces", "{\"namespace\":[\"sales\",\"eu\"]}", &st);
    assert_int_equal(st, 409);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "type")),
                        "AlreadyExistsException");
    json_decref(j);
    j = call(&e, "GET", "/v1/namespaces/sales%1Feu", NULL, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_array_size(json_object_get(j, "namespace")), 2);
    json_decref(j);
    assert_int_equal(status_of(&e, "HEAD", "/v1/namespaces/nope"), 404);
    j = call(&e, "GET", "/v1/namespaces", NULL, &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_array_size(json_object_get(j, "namespaces")), 1); /* "sales" at the top */
    json_decref(j);

    const char *create =
        "{\"name\":\"orders\",\"schema\":{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
        "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
        "{\"id\":2,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"}]},"
        "\"partition-spec\":{\"spec-id\":0,\"fields\":[{\"name\":\"ts_day\",\"transform\":\"day\","
        "\"source-id\":2,\"field-id\":1000}]},"
        "\"properties\":{\"write.format.default\":\"parquet\"}}";
    j = call(&e, "POST", "/v1/namespaces/sales%1Feu/tables", create, &st);
    assert_int_equal(st, 200);
    assert_non_null(json_string_value(json_object_get(j, "metadata-location")));
    json_t *meta = json_object_get(j, "metadata");
    assert_int_equal(json_integer_value(json_object_get(meta, "format-version")), 2);
    char uuid[64];
    snprintf(uuid, sizeof(uuid), "%s", json_string_value(json_object_get(meta, "table-uuid")));
    json_decref(j);
    assert_int_equal(status_of(&e, "HEAD", "/v1/namespaces/sales%1Feu/tables/orders"), 204);
    j = call(&e, "GET", "/v1/namespaces/sales%1Feu/tables", NULL, &st);
    assert_int_equal(json_array_size(json_object_get(j, "identifiers")), 1);
    json_decref(j);

    /* floe appends; an outside commit that assumed the empty table loses */
    struct fl_ice_table *tbl = NULL;
    assert_int_equal(fl_ice_table_load(e.st, e.cat, "sales.eu", "orders", &tbl, &err), FL_OK);
    int64_t s1 = -1;
    assert_int_equal(fl_ice_table_commit_files(tbl, NULL, 0, NULL, 0, &s1, &err), FL_OK);
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"requirements\":[{\"type\":\"assert-table-uuid\",\"uuid\":\"%s\"},"
             "{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-id\":null}],"
             "\"updates\":[{\"action\":\"set-properties\",\"updates\":{\"k\":\"v\"}}]}",
             uuid);
    j = call(&e, "POST", "/v1/namespaces/sales%1Feu/tables/orders", body, &st);
    assert_int_equal(st, 409);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "type")),
                        "CommitFailedException");
    json_decref(j);
    j = call(&e, "GET", "/v1/namespaces/sales%1Feu/tables/orders", NULL, &st);
    assert_null(
        json_object_get(json_object_get(json_object_get(j, "metadata"), "properties"), "k"));
    json_decref(j);
    /* the same with the right base wins, and changes the schema too */
    snprintf(body, sizeof(body),
             "{\"requirements\":[{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\",\"snapshot-"
             "id\":%lld},"
             "{\"type\":\"assert-current-schema-id\",\"current-schema-id\":0}],"
             "\"updates\":[{\"action\":\"set-properties\",\"updates\":{\"k\":\"v\"}},"
             "{\"action\":\"add-schema\",\"schema\":{\"type\":\"struct\",\"fields\":["
             "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
             "{\"id\":2,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"},"
             "{\"id\":3,\"name\":\"note\",\"required\":false,\"type\":\"string\"}]},\"last-column-"
             "id\":3},"
             "{\"action\":\"set-current-schema\",\"schema-id\":-1}]}",
             (long long)s1);
    j = call(&e, "POST", "/v1/namespaces/sales%1Feu/tables/orders", body, &st);
    assert_int_equal(st, 200);
    meta = json_object_get(j, "metadata");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(meta, "properties"), "k")), "v");
    assert_int_equal(json_integer_value(json_object_get(meta, "current-schema-id")), 1);
    assert_int_equal(json_integer_value(json_object_get(meta, "last-column-id")), 3);
    json_decref(j);
    /* unknown updates are 400; malformed bodies too */
    j = call(&e, "POST", "/v1/namespaces/sales%1Feu/tables/orders",
             "{\"updates\":[{\"action\":\"frobnicate\"}]}", &st);
    assert_int_equal(st, 400);
    json_decref(j);
    j = call(&e, "POST", "/v1/namespaces", "[1,2", &st);
    assert_int_equal(st, 400);
    json_decref(j);

    j = call(&e, "POST", "/v1/namespaces", "{\"namespace\":[\"archive\"]}", &st);
    json_decref(j);
    j = call(&e, "POST", "/v1/tables/rename",
             "{\"source\":{\"namespace\":[\"sales\",\"eu\"],\"name\":\"orders\"},"
             "\"destination\":{\"namespace\":[\"archive\"],\"name\":\"orders_2026\"}}",
             &st);
    assert_int_equal(st, 204);
    json_decref(j);
    assert_int_equal(status_of(&e, "DELETE", "/v1/namespaces/archive"), 409); /* not empty */
    assert_int_equal(status_of(&e, "DELETE", "/v1/namespaces/archive/tables/orders_2026"), 204);
    assert_int_equal(status_of(&e, "GET", "/v1/namespaces/archive/tables/orders_2026"), 404);

    /* bearer tokens */
    e.rest.token = "s3cret";
    fl_rest_handle(&e.rest, "GET", "/v1/config", NULL, NULL, NULL, 0, &st, &e.out);
    assert_int_equal(st, 401);
    fl_rest_handle(&e.rest, "GET", "/v1/config", NULL, "Bearer s3cret", NULL, 0, &st, &e.out);
    assert_int_equal(st, 200);

    fl_ice_table_free(tbl);
    fl_buf_fini(&e.out);
    fl_catalog_free(e.cat);
    fl_store_free(e.st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", e.dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rest_catalog)};
    return cmocka_run_group_tests_name("rest", tests, NULL, NULL);
}
