/*
 * fuzz_sql_http.c - libFuzzer target: POST /sql (src/ingest/routes_sql.c)
 * through the router, over a scratch catalog with one table, the input
 * being the query. Checks: every reply is JSON with a status from the one
 * table of codes (errors.h); no input creates a file (the connection is
 * read-only: ATTACH, VACUUM INTO and the file functions are refused), as
 * seen in the working directory, which is an empty scratch folder; a
 * refusal (403) names what it refused. tests/fuzz/sql_http.dict gives the
 * fuzzer the words of the refused actions.
 */
#include "catalog/catalog.h"
#include "core/schema.h"
#include "iceberg/table.h"
#include "ingest/ingest.h"
#include "../unit/ingest_memlog.h"

#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], cwd[96];
static struct fl_store *st;
static struct fl_catalog *cat;
static struct memlog ml;
static struct fl_ingest_backend be;
static struct fl_ingest *ing;

static void drop(void) {
    fl_ingest_free(ing);
    memlog_fini(&ml);
    fl_catalog_free(cat);
    fl_store_free(st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd)) abort();
}

static void setup(void) {
    struct fl_error err = {0};
    snprintf(dir, sizeof(dir), "/tmp/fuzz_sql_http_XXXXXX");
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
        fl_ice_table_create(st, fl_catalog_ice(cat), "default", "t", sc, NULL, NULL, 0, &tbl, &err))
        abort();
    fl_ice_table_free(tbl);
    fl_schema_free(sc);
    memlog_init(&ml, &be);
    struct fl_ingest_config cfg;
    fl_ingest_config_default(&cfg);
    cfg.sql = (struct fl_ingest_sql){.store = st, .cat = cat, .log = NULL};
    if (fl_ingest_new(&cfg, &be, &ing, &err)) abort();
    fl_ingest_config_fini(&cfg);
    snprintf(cwd, sizeof(cwd), "%s/cwd", dir);
    if (mkdir(cwd, 0700) || chdir(cwd)) abort();
    atexit(drop);
}

/* True when the working directory is still empty. */
static int cwd_empty(void) {
    DIR *d = opendir(".");
    if (!d) abort();
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!ing) setup();
    if (size > 4096) return 0;
    json_t *o = json_object();
    json_object_set_new(o, "query", json_stringn_nocheck((const char *)data, size));
    json_object_set_new(o, "timeout_ms", json_integer(200));
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!body) return 0;
    struct fl_ingest_req req = {.method = "POST",
                                .target = "/sql",
                                .body = (const uint8_t *)body,
                                .body_len = strlen(body)};
    struct fl_ingest_resp resp;
    fl_ingest_resp_init(&resp);
    fl_ingest_handle(ing, &req, &resp);
    json_t *j = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
    if (!json_is_object(j)) abort();
    if (resp.status >= 400) {
        json_t *code = json_object_get(j, "error_code");
        const struct fl_ingest_errdef *def =
            fl_ingest_err_def((fl_ingest_ecode_t)json_integer_value(code));
        if (!json_is_integer(code) || def->code != json_integer_value(code) ||
            def->status != resp.status)
            abort();
        if (resp.status == 403 &&
            !strstr(json_string_value(json_object_get(j, "message")), "refused"))
            abort();
    } else if (resp.status != 200) {
        abort();
    }
    if (!cwd_empty()) abort(); /* a statement created a file */
    json_decref(j);
    fl_ingest_resp_fini(&resp);
    free(body);
    return 0;
}
