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

#include "ingest/routes_rest.h"
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
    struct fl_ingest_resp out;
};

static json_t *call_auth(struct env *e, const char *method, const char *path, const char *auth,
                         const char *body, int *status) {
    fl_ingest_rest_handle(&e->rest, method, path, NULL, auth, (const uint8_t *)body,
                          body ? strlen(body) : 0, &e->out);
    *status = e->out.status;
    if (e->out.body.len == 0) return NULL;
    json_t *j = json_loadb((const char *)e->out.body.data, e->out.body.len, 0, NULL);
    assert_non_null(j);
    return j;
}

static json_t *call(struct env *e, const char *method, const char *path, const char *body,
                    int *status) {
    return call_auth(e, method, path, NULL, body, status);
}

/* The spec's ErrorModel: {"error":{"message","type","code"}}, code the status. */
static void assert_error(json_t *j, int status, const char *type) {
    json_t *e = json_object_get(j, "error");
    assert_non_null(json_string_value(json_object_get(e, "message")));
    assert_int_equal(json_integer_value(json_object_get(e, "code")), status);
    assert_string_equal(json_string_value(json_object_get(e, "type")), type);
    json_decref(j);
}

static void env_open(struct env *e) {
    memset(e, 0, sizeof(*e));
    snprintf(e->dir, sizeof(e->dir), "/tmp/floe-rest-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    char uri[128], cat[128];
    snprintf(uri, sizeof(uri), "file://%s/wh", e->dir);
    snprintf(cat, sizeof(cat), "sqlite://%s/cat.db", e->dir);
    struct fl_error err = {0};
    struct fl_store_opts so = {0};
    assert_int_equal(fl_store_open(uri, &so, &e->st, &err), FL_OK);
    assert_int_equal(fl_catalog_open(cat, "floe", &e->cat, &err), FL_OK);
    e->rest = (struct fl_rest){.store = e->st, .cat = e->cat};
    fl_ingest_resp_init(&e->out);
}

static void env_close(struct env *e) {
    fl_ingest_resp_fini(&e->out);
    fl_catalog_free(e->cat);
    fl_store_free(e->st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
    assert_int_equal(system(cmd), 0);
}

/* For calls whose status is all that matters. */
static int status_of(struct env *e, const char *method, const char *path) {
    int st;
    json_decref(call(e, method, path, NULL, &st));
    return st;
}

static void test_rest_catalog(void **state) {
    (void)state;
    struct env e;
    env_open(&e);
    struct fl_error err = {0};
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
    assert_int_equal(
        fl_ice_table_load(e.st, fl_catalog_ice(e.cat), "sales.eu", "orders", &tbl, &err), FL_OK);
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
    assert_error(call_auth(&e, "GET", "/v1/config", NULL, NULL, &st), 401,
                 "NotAuthorizedException");
    assert_error(call_auth(&e, "GET", "/v1/config", "Bearer s3cre", NULL, &st), 401,
                 "NotAuthorizedException");
    json_decref(call_auth(&e, "GET", "/v1/config", "Bearer s3cret", NULL, &st));
    assert_int_equal(st, 200);

    fl_ice_table_free(tbl);
    env_close(&e);
}

static const char *CREATE_T =
    "{\"name\":\"t\",\"schema\":{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"}]}}";

/* The route table: a known path with another method is 405, an unknown
 * path 404, a bad name in the path 400; each in the spec's ErrorModel. */
static void test_rest_routes(void **state) {
    (void)state;
    struct env e;
    env_open(&e);
    int st;
    assert_error(call(&e, "DELETE", "/v1/config", NULL, &st), 405, "BadRequestException");
    assert_error(call(&e, "GET", "/v1/tables/rename", NULL, &st), 405, "BadRequestException");
    assert_error(call(&e, "GET", "/v1/nope", NULL, &st), 404, "NoSuchRouteException");
    assert_error(call(&e, "GET", "/v1/namespaces/a/tables/b/c/d", NULL, &st), 404,
                 "NoSuchRouteException");
    assert_error(call(&e, "GET", "/v1/namespaces/a%ZZ", NULL, &st), 400, "BadRequestException");
    assert_error(call(&e, "GET", "/v1/namespaces/a.b", NULL, &st), 400, "BadRequestException");
    assert_error(call(&e, "GET", "/v1/namespaces/a%1F%1Fb", NULL, &st), 400, "BadRequestException");
    assert_error(call(&e, "GET", "/v1/namespaces/", NULL, &st), 400, "BadRequestException");
    assert_error(call(&e, "GET", "/v1/namespaces/nope/tables/t", NULL, &st), 404,
                 "NoSuchTableException");
    assert_error(call(&e, "GET", "/v1/namespaces/nope", NULL, &st), 404,
                 "NoSuchNamespaceException");
    /* a property value that is not a string is refused, not dropped */
    assert_error(
        call(&e, "POST", "/v1/namespaces", "{\"namespace\":[\"n\"],\"properties\":{\"a\":1}}", &st),
        400, "BadRequestException");
    json_decref(call(&e, "POST", "/v1/namespaces", "{\"namespace\":[\"n\"]}", &st));
    assert_int_equal(st, 200);
    assert_error(call(&e, "POST", "/v1/namespaces/n/properties", "{\"removals\":[1]}", &st), 400,
                 "BadRequestException");
    assert_error(call(&e, "POST", "/v1/namespaces/n/tables",
                      "{\"name\":\"t\",\"schema\":{\"type\":\"struct\",\"fields\":[]},"
                      "\"properties\":{\"k\":true}}",
                      &st),
                 400, "BadRequestException");
    env_close(&e);
}

/* Every typed member of a requirement or update is checked before the
 * commit: a string where the spec has an integer is 400, never read as 0. */
static void test_rest_commit_types(void **state) {
    (void)state;
    struct env e;
    env_open(&e);
    int st;
    json_decref(call(&e, "POST", "/v1/namespaces", "{\"namespace\":[\"n\"]}", &st));
    json_decref(call(&e, "POST", "/v1/namespaces/n/tables", CREATE_T, &st));
    assert_int_equal(st, 200);
    static const char *const bad[] = {
        /* the case: "123" was read as 0, i.e. as no snapshot */
        "{\"requirements\":[{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\","
        "\"snapshot-id\":\"123\"}],\"updates\":[]}",
        "{\"requirements\":[{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\","
        "\"snapshot-id\":1.5}],\"updates\":[]}",
        "{\"requirements\":[{\"type\":\"assert-ref-snapshot-id\",\"ref\":7,"
        "\"snapshot-id\":null}],\"updates\":[]}",
        "{\"requirements\":[{\"type\":\"assert-current-schema-id\",\"current-schema-id\":\"0\"}],"
        "\"updates\":[]}",
        "{\"requirements\":[{\"type\":\"assert-table-uuid\",\"uuid\":1}],\"updates\":[]}",
        "{\"requirements\":[\"assert-create\"],\"updates\":[]}",
        "{\"updates\":[{\"action\":\"upgrade-format-version\",\"format-version\":\"2\"}]}",
        "{\"updates\":[{\"action\":\"add-schema\",\"schema\":{\"type\":\"struct\",\"fields\":[]},"
        "\"last-column-id\":\"3\"}]}",
        "{\"updates\":[{\"action\":\"set-current-schema\",\"schema-id\":\"-1\"}]}",
        "{\"updates\":[{\"action\":\"set-default-spec\",\"spec-id\":true}]}",
        "{\"updates\":[{\"action\":\"set-default-sort-order\",\"sort-order-id\":\"0\"}]}",
        "{\"updates\":[{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":\"5\","
        "\"manifest-list\":\"x\"}}]}",
        "{\"updates\":[{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":5,"
        "\"sequence-number\":\"1\",\"manifest-list\":\"x\"}}]}",
        "{\"updates\":[{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":5,"
        "\"timestamp-ms\":\"1\",\"manifest-list\":\"x\"}}]}",
        "{\"updates\":[{\"action\":\"set-snapshot-ref\",\"ref-name\":\"main\",\"type\":\"branch\","
        "\"snapshot-id\":\"5\"}]}",
        "{\"updates\":[{\"action\":\"set-snapshot-ref\",\"ref-name\":\"main\",\"type\":\"branch\","
        "\"snapshot-id\":5,\"max-ref-age-ms\":\"1\"}]}",
        "{\"updates\":[{\"action\":\"remove-snapshots\",\"snapshot-ids\":[\"5\"]}]}",
        "{\"updates\":[{\"action\":\"set-properties\",\"updates\":{\"k\":1}}]}",
        "{\"updates\":[{\"action\":\"remove-properties\",\"removals\":[1]}]}",
        "{\"updates\":[{\"action\":\"set-location\",\"location\":[]}]}",
        "{\"updates\":[{\"noaction\":1}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = call(&e, "POST", "/v1/namespaces/n/tables/t", bad[i], &st);
        if (st != 400) fail_msg("%s -> %d", bad[i], st);
        assert_error(j, 400, "BadRequestException");
    }
    /* nothing was applied; the integer forms still commit */
    json_t *j = call(&e, "POST", "/v1/namespaces/n/tables/t",
                     "{\"requirements\":[{\"type\":\"assert-ref-snapshot-id\",\"ref\":\"main\","
                     "\"snapshot-id\":null}],"
                     "\"updates\":[{\"action\":\"set-properties\",\"updates\":{\"k\":\"v\"}}]}",
                     &st);
    assert_int_equal(st, 200);
    json_t *meta = json_object_get(j, "metadata");
    assert_int_equal(json_integer_value(json_object_get(meta, "format-version")), 2);
    assert_int_equal(json_integer_value(json_object_get(meta, "current-schema-id")), 0);
    json_decref(j);
    env_close(&e);
}

/* {"namespace":[ns],"properties":{"k0":"v",...}} with n properties */
static char *ns_body(const char *ns, int n) {
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    fl_buf_printf(&b, "{\"namespace\":[\"%s\"],\"properties\":{", ns);
    for (int i = 0; i < n; i++) fl_buf_printf(&b, "%s\"k%d\":\"v%d\"", i ? "," : "", i, i);
    fl_buf_append_str(&b, "}}");
    fl_buf_append_u8(&b, 0);
    return (char *)b.data;
}

/* Namespace properties and property updates have no fixed count: 64 and
 * 65 (the old cap and past it), 128 and 129, and 1000 are all kept. */
static void test_rest_no_property_cap(void **state) {
    (void)state;
    struct env e;
    env_open(&e);
    int st;
    static const int counts[] = {64, 65, 1000};
    for (size_t i = 0; i < 3; i++) {
        char ns[16];
        snprintf(ns, sizeof(ns), "p%d", counts[i]);
        char *body = ns_body(ns, counts[i]);
        json_t *j = call(&e, "POST", "/v1/namespaces", body, &st);
        free(body);
        assert_int_equal(st, 200);
        assert_int_equal(json_object_size(json_object_get(j, "properties")), counts[i]);
        json_decref(j);
    }
    /* updates: 64 removals + 64 updates (128), 64 + 65 (129), 500 + 500 */
    static const int upd[][2] = {{64, 64}, {64, 65}, {500, 500}};
    for (size_t i = 0; i < 3; i++) {
        json_decref(call(&e, "POST", "/v1/namespaces", "{\"namespace\":[\"u\"]}", &st));
        char *create = ns_body("u", upd[i][0]);
        json_decref(call(&e, "DELETE", "/v1/namespaces/u", NULL, &st));
        json_decref(call(&e, "POST", "/v1/namespaces", create, &st));
        free(create);
        assert_int_equal(st, 200);
        struct fl_buf b;
        fl_buf_init(&b, FL_BUF_NOMAX);
        fl_buf_append_str(&b, "{\"removals\":[");
        for (int k = 0; k < upd[i][0]; k++) fl_buf_printf(&b, "%s\"k%d\"", k ? "," : "", k);
        fl_buf_append_str(&b, "],\"updates\":{");
        for (int k = 0; k < upd[i][1]; k++) fl_buf_printf(&b, "%s\"n%d\":\"w\"", k ? "," : "", k);
        fl_buf_append_str(&b, "}}");
        fl_buf_append_u8(&b, 0);
        json_t *j = call(&e, "POST", "/v1/namespaces/u/properties", (const char *)b.data, &st);
        fl_buf_fini(&b);
        assert_int_equal(st, 200);
        assert_int_equal(json_array_size(json_object_get(j, "removed")), upd[i][0]);
        assert_int_equal(json_array_size(json_object_get(j, "updated")), upd[i][1]);
        json_decref(j);
        j = call(&e, "GET", "/v1/namespaces/u", NULL, &st);
        assert_int_equal(json_object_size(json_object_get(j, "properties")), upd[i][1]);
        json_decref(j);
    }
    env_close(&e);
}

/* A CreateTableRequest's write-order (PyIceberg's sort_order, Trino's
 * sorted_by) is the new table's default sort order from its first
 * metadata version on; an empty one leaves it unsorted, a malformed one
 * is refused and creates nothing. */
static void test_rest_create_write_order(void **state) {
    (void)state;
    struct env e;
    env_open(&e);
    int st;
    json_decref(call(&e, "POST", "/v1/namespaces", "{\"namespace\":[\"s\"]}", &st));
#define CREATE(name, extra)                                                                        \
    "{\"name\":\"" name "\",\"schema\":{\"type\":\"struct\",\"schema-id\":0,\"fields\":["          \
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"                              \
    "{\"id\":2,\"name\":\"city\",\"required\":false,\"type\":\"string\"}]}" extra "}"
    json_t *j = call(&e, "POST", "/v1/namespaces/s/tables",
                     CREATE("sorted", ",\"write-order\":{\"order-id\":1,\"fields\":[{"
                                      "\"transform\":\"identity\",\"source-id\":2,\"direction\":"
                                      "\"desc\",\"null-order\":\"nulls-last\"}]}"),
                     &st);
    assert_int_equal(st, 200);
    json_t *meta = json_object_get(j, "metadata");
    assert_int_equal(json_integer_value(json_object_get(meta, "default-sort-order-id")), 1);
    json_t *orders = json_object_get(meta, "sort-orders");
    assert_int_equal(json_array_size(orders), 2); /* 0 unsorted, 1 */
    json_t *f = json_array_get(json_object_get(json_array_get(orders, 1), "fields"), 0);
    assert_string_equal(json_string_value(json_object_get(f, "direction")), "desc");
    json_decref(j);
    /* the first version has it: what floe's compaction reads */
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    assert_int_equal(fl_ice_table_load(e.st, fl_catalog_ice(e.cat), "s", "sorted", &tbl, &err),
                     FL_OK);
    assert_int_equal(tbl->version, 1);
    assert_int_equal(tbl->meta->default_sort_order_id, 1);
    fl_ice_table_free(tbl);
    j = call(&e, "POST", "/v1/namespaces/s/tables",
             CREATE("unsorted", ",\"write-order\":{\"order-id\":0,\"fields\":[]}"), &st);
    assert_int_equal(st, 200);
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(j, "metadata"), "default-sort-order-id")),
                     0);
    json_decref(j);
    assert_error(
        call(&e, "POST", "/v1/namespaces/s/tables", CREATE("bad", ",\"write-order\":[1]"), &st),
        400, "BadRequestException");
    assert_int_equal(status_of(&e, "HEAD", "/v1/namespaces/s/tables/bad"), 404);
    env_close(&e);
}
#undef CREATE

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rest_catalog), cmocka_unit_test(test_rest_routes),
        cmocka_unit_test(test_rest_commit_types), cmocka_unit_test(test_rest_no_property_cap),
        cmocka_unit_test(test_rest_create_write_order)};
    return cmocka_run_group_tests_name("rest", tests, NULL, NULL);
}
