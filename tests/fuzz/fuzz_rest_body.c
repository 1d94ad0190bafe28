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
#include "ingest/routes_rest.h"
#include "fuzz_table_env.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REMAKE 500

static struct fuzz_table_env env;
static int runs;

static void drop(void) { fuzz_table_env_drop(&env); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!env.cat || ++runs % REMAKE == 0) {
        if (env.cat)
            drop();
        else
            atexit(drop);
        fuzz_table_env_make(&env, "fuzz_rest_", "ns");
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
    struct fl_rest rest = {.store = env.st, .cat = env.cat, .token = NULL};
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
