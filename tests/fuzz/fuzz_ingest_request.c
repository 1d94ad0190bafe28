/*
 * fuzz_ingest_request.c - libFuzzer target for the HTTP request handlers:
 * the input is split like a raw request ("METHOD TARGET\n", "Name: value\n"
 * header lines, an empty line, the body) and handed to fl_ingest_handle
 * directly, without sockets, over the in-memory backend of the unit tests.
 * Checks: every reply is JSON with a status, every error reply has
 * error_code and message, its code is in the one table (errors.h) with
 * that status, and a refused request appended nothing (GET /metrics'
 * text reply excepted from the JSON check). A request with an
 * Authorization or X-API-Key header goes to a second router with auth
 * on (one read+write key, "fuzz-key"), so key parsing is fuzzed too.
 */
#include "core/auth.h"
#include "ingest/ingest.h"
#include "../unit/ingest_memlog.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEADERS 16

static struct memlog ml;
static struct fl_ingest_backend be;
static struct fl_ingest *ing, *ing_auth;
static struct fl_auth auth;

static void setup(void) {
    memlog_init(&ml, &be);
    ml.default_parts = 3;
    struct fl_ingest_config cfg;
    fl_ingest_config_default(&cfg);
    cfg.limits.body_bytes = 1 << 16;
    cfg.limits.records = 50;
    fl_ingest_new(&cfg, &be, &ing, NULL);
    if (!auth.nkeys) {
        static struct fl_auth_key key = {.name = "fuzz", .grants = FL_AUTH_READ | FL_AUTH_WRITE};
        char hash[FL_AUTH_HASH_TEXT];
        fl_auth_hash_format("fuzz-key", 8, hash);
        fl_auth_hash_parse(hash, key.sha256, NULL);
        auth = (struct fl_auth){.present = true, .keys = &key, .nkeys = 1};
    }
    cfg.auth = &auth;
    fl_ingest_new(&cfg, &be, &ing_auth, NULL);
    fl_ingest_config_fini(&cfg);
    memlog_create(&ml, "weather", 2);
}

/* Next line of [*p, end) as a NUL-terminated copy in out (truncated to cap). */
static int next_line(const uint8_t **p, const uint8_t *end, char *out, size_t cap) {
    if (*p >= end) return 0;
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    size_t k = n < cap - 1 ? n : cap - 1;
    memcpy(out, *p, k);
    out[k] = 0;
    if (k && out[k - 1] == '\r') out[k - 1] = 0;
    *p += n + (nl ? 1 : 0);
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!ing) setup();
    /* keep the in-memory log small: start over now and then */
    if (ml.appends > 1000) {
        memlog_fini(&ml);
        fl_ingest_free(ing);
        fl_ingest_free(ing_auth);
        ing = ing_auth = NULL;
        setup();
    }
    const uint8_t *p = data, *end = data + size;
    char line[2048], method[32] = "GET", target[2048] = "/";
    char names[MAX_HEADERS][64], values[MAX_HEADERS][512];
    struct fl_ingest_header h[MAX_HEADERS];
    int nh = 0;
    bool keyed = false;
    if (next_line(&p, end, line, sizeof(line))) {
        char *sp = strchr(line, ' ');
        if (sp) {
            *sp = 0;
            snprintf(method, sizeof(method), "%s", line);
            snprintf(target, sizeof(target), "%s", sp + 1);
        } else {
            snprintf(target, sizeof(target), "%s", line);
        }
    }
    while (next_line(&p, end, line, sizeof(line)) && line[0]) {
        char *colon = strchr(line, ':');
        if (!colon || nh == MAX_HEADERS) continue;
        *colon = 0;
        const char *v = colon + 1;
        while (*v == ' ') v++;
        snprintf(names[nh], sizeof(names[nh]), "%s", line);
        snprintf(values[nh], sizeof(values[nh]), "%s", v);
        h[nh].name = names[nh];
        h[nh].value = values[nh];
        keyed |= !strcasecmp(names[nh], "Authorization") || !strcasecmp(names[nh], "X-API-Key");
        nh++;
    }
    int before = ml.appends;
    struct fl_ingest_req req = {.method = method,
                                .target = target,
                                .headers = h,
                                .nheaders = nh,
                                .body = p,
                                .body_len = (size_t)(end - p)};
    struct fl_ingest_resp resp;
    fl_ingest_resp_init(&resp);
    fl_ingest_handle(keyed ? ing_auth : ing, &req, &resp);
    if (resp.status < 200 || resp.status > 599) abort();
    if (resp.status == 200 && !strncmp(resp.content_type, "text/plain", 10)) { /* /metrics */
        if (!resp.body.len || ml.appends != before) abort();
        fl_ingest_resp_fini(&resp);
        return 0;
    }
    json_t *j = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
    if (!j) abort();
    if (resp.status >= 400) {
        json_t *code = json_object_get(j, "error_code");
        if (!json_is_integer(code)) abort();
        const struct fl_ingest_errdef *def =
            fl_ingest_err_def((fl_ingest_ecode_t)json_integer_value(code));
        if (def->code != json_integer_value(code) || def->status != resp.status) abort();
        if (!json_is_string(json_object_get(j, "message"))) abort();
        if (ml.appends != before) abort(); /* refused, yet appended */
    }
    json_decref(j);
    fl_ingest_resp_fini(&resp);
    return 0;
}
