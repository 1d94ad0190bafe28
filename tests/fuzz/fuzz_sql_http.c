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
#include "ingest/ingest.h"
#include "fuzz_table_env.h"
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

static char cwd[96];
static struct fuzz_table_env env;
static struct memlog ml;
static struct fl_ingest_backend be;
static struct fl_ingest *ing;

static void drop(void) {
    fl_ingest_free(ing);
    memlog_fini(&ml);
    fuzz_table_env_drop(&env);
}

static void setup(void) {
    struct fl_error err = {0};
    fuzz_table_env_make(&env, "fuzz_sql_http_", "default");
    memlog_init(&ml, &be);
    struct fl_ingest_config cfg;
    fl_ingest_config_default(&cfg);
    cfg.sql = (struct fl_ingest_sql){.store = env.st, .cat = env.cat, .log = NULL};
    if (fl_ingest_new(&cfg, &be, &ing, &err)) abort();
    fl_ingest_config_fini(&cfg);
    snprintf(cwd, sizeof(cwd), "%s/cwd", env.dir);
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
