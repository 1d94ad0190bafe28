/*
 * fuzz_rest_body.c - libFuzzer target: the Iceberg REST catalog's request
 * bodies and query strings, through the server's own entry point
 * (fl_ingest_rest_handle, src/ingest/routes_rest.c) over a real catalog and warehouse in a scratch
 * folder: create namespace, namespace properties, create table, commit
 * (requirements and updates), register, rename, and list with
 * parent/pageToken/pageSize. No input may crash, leak, or get a reply
 * that is not JSON in the spec's shapes (a status and, but for 204, a
 * JSON object).
 *
 * Input: the first byte picks the route (mod 7); the rest is the body
 * (or the query string for the list). The scratch catalog is remade
 * every REMAKE inputs so successful commits do not fill the disk.
 */
#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/schema.h"
#include "iceberg/table.h"
#include "ingest/routes_rest.h"
#include "store/store.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REMAKE 500

static char dir[64];
static struct fl_store *st;
static struct fl_catalog *cat;
static int runs;

static void drop(void) {
    fl_catalog_free(cat);
    fl_store_free(st);
    cat = NULL;
    st = NULL;
    if (dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd)) abort();
    }
}

static void make(void) {
    struct fl_error err = {0};
    snprintf(dir, sizeof(dir), "/tmp/fuzz_rest_XXXXXX");
    if (!mkdtemp(dir)) abort();
    char uri[128];
    snprintf(uri, sizeof(uri), "file://%s/wh", dir);
    if (fl_store_open(uri, NULL, &st, &err)) abort();
    snprintf(uri, sizeof(uri), "sqlite://%s/catalog.db", dir);
    if (fl_catalog_open(uri, "floe", &cat, &err)) abort();
    const char *schema = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                         "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                         "{\"id\":2,\"name\":\"s\",\"required\":false,\"type\":\"string\"}]}";
    struct fl_schema *sc = NULL;
    struct fl_ice_table *tbl = NULL;
    if (fl_schema_parse(schema, strlen(schema), &sc, &err) ||
        fl_ice_table_create(st, fl_catalog_ice(cat), "ns", "t", sc, NULL, NULL, 0, &tbl, &err))
        abort();
    fl_ice_table_free(tbl);
    fl_schema_free(sc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!cat || ++runs % REMAKE == 0) {
        if (cat)
            drop();
        else
            atexit(drop);
        make();
    }
    if (size < 1) return 0;
    static const char *paths[] = {"/v1/namespaces",
                                  "/v1/namespaces/ns/properties",
                                  "/v1/namespaces/ns/tables",
                                  "/v1/namespaces/ns/tables/t",
                                  "/v1/namespaces/ns/register",
                                  "/v1/tables/rename",
                                  "/v1/namespaces"};
    int route = data[0] % 7;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    char *query = NULL;
    if (route == 6) {
        query = malloc(len + 1);
        memcpy(query, body, len);
        query[len] = '\0';
        len = 0;
    }
    struct fl_rest rest = {.store = st, .cat = cat, .token = NULL};
    struct fl_ingest_resp out;
    fl_ingest_resp_init(&out);
    fl_ingest_rest_handle(&rest, route == 6 ? "GET" : "POST", paths[route], query, NULL,
                          (const uint8_t *)body, len, &out);
    int status = out.status;
    if (status < 200 || status > 599) abort();
    if (status != 204) {
        json_t *j = json_loadb((const char *)out.body.data, out.body.len, 0, NULL);
        if (!json_is_object(j)) abort();
        /* the spec's ErrorModel: message, type, and code = the status */
        json_t *e = json_object_get(j, "error");
        if (status >= 400 && (!json_is_string(json_object_get(e, "message")) ||
                              !json_is_string(json_object_get(e, "type")) ||
                              json_integer_value(json_object_get(e, "code")) != status))
            abort();
        json_decref(j);
    }
    fl_ingest_resp_fini(&out);
    free(query);
    return 0;
}
