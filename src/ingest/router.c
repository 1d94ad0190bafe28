/*
 * router.c - the ingest router: configuration, and one request in, one
 * reply out. How it works: the raw target is split at '?', the path is
 * percent-decoded (refusing bad escapes, NUL and invalid UTF-8) and
 * matched against the four routes; the route parses the rest and calls
 * the backend. Nothing here touches a socket, so the unit tests and the
 * fuzz target drive exactly the code the server runs.
 */
#include "catalog/rest.h"
#include "sql/sql_http.h"
#include "ingest/ingest_int.h"
#include "ingest/query.h"
#include "core/mem.h"

#include <string.h>

#define PATH_MAX_BYTES 8192

void fl_ingest_config_default(struct fl_ingest_config *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->limits.header_bytes = 8 << 10; /* as Apache, nginx and Jetty */
    cfg->limits.body_bytes = 8 << 20;
    cfg->limits.records = 10000;
    cfg->limits.connections = 1024;
    cfg->limits.timeout_s = 30;
    cfg->limits.threads = 16;
    cfg->limits.retry_after_s = 1;
    cfg->weather_topic = fl_strdup("weather");
    cfg->auto_create_topics = true;
    fl_ingest_config_set_kind(cfg, "session", "sessions", "session_topic", NULL);
    fl_ingest_config_set_kind(cfg, "employee", "employee_files", "employee_topic", NULL);
    fl_ingest_config_set_kind(cfg, "client", "client_files", "client_topic", NULL);
}

fl_err_t fl_ingest_config_set_kind(struct fl_ingest_config *cfg, const char *prefix,
                                   const char *folder, const char *topic, struct fl_error *err) {
    if (!prefix || !*prefix) return fl_errf(err, FL_ERR_INVALID, "empty file name prefix");
    if (!folder || !*folder || strchr(folder, '/') || !strcmp(folder, ".") || !strcmp(folder, ".."))
        return fl_errf(err, FL_ERR_INVALID, "upload folder \"%s\" is not a plain name",
                       folder ? folder : "");
    if (!topic || !fl_ingest_topic_name_ok(topic, strlen(topic)))
        return fl_errf(err, FL_ERR_INVALID, "\"%s\" is not a valid topic name", topic ? topic : "");
    int i = 0;
    while (i < cfg->nkinds && strcmp(cfg->kinds[i].prefix, prefix) != 0) i++;
    if (i == FL_INGEST_KINDS_MAX)
        return fl_errf(err, FL_ERR_LIMIT, "more than %d upload kinds", FL_INGEST_KINDS_MAX);
    struct fl_ingest_kind *k = &cfg->kinds[i];
    if (i == cfg->nkinds) {
        k->prefix = fl_strdup(prefix);
        cfg->nkinds++;
    } else {
        fl_free(k->folder);
        fl_free(k->topic);
    }
    k->folder = fl_strdup(folder);
    k->topic = fl_strdup(topic);
    return FL_OK;
}

void fl_ingest_config_fini(struct fl_ingest_config *cfg) {
    for (int i = 0; i < cfg->nkinds; i++) {
        fl_free(cfg->kinds[i].prefix);
        fl_free(cfg->kinds[i].folder);
        fl_free(cfg->kinds[i].topic);
    }
    cfg->nkinds = 0;
    fl_free(cfg->weather_topic);
    cfg->weather_topic = NULL;
}

fl_err_t fl_ingest_new(const struct fl_ingest_config *cfg, const struct fl_ingest_backend *backend,
                       struct fl_ingest **out, struct fl_error *err) {
    if (!backend || !backend->append || !backend->topic_partitions || !backend->put_file)
        return fl_errf(err, FL_ERR_INVALID, "ingest backend incomplete");
    struct fl_ingest *ing = fl_calloc(1, sizeof(*ing));
    ing->cfg = *cfg;
    ing->cfg.weather_topic = fl_strdup(cfg->weather_topic ? cfg->weather_topic : "weather");
    for (int i = 0; i < cfg->nkinds; i++) {
        ing->cfg.kinds[i].prefix = fl_strdup(cfg->kinds[i].prefix);
        ing->cfg.kinds[i].folder = fl_strdup(cfg->kinds[i].folder);
        ing->cfg.kinds[i].topic = fl_strdup(cfg->kinds[i].topic);
    }
    if (ing->cfg.limits.records < 1) ing->cfg.limits.records = 1;
    ing->be = *backend;
    atomic_init(&ing->rr, 0);
    *out = ing;
    return FL_OK;
}

void fl_ingest_free(struct fl_ingest *ing) {
    if (!ing) return;
    fl_ingest_config_fini(&ing->cfg);
    fl_free(ing);
}

const struct fl_ingest_limits *fl_ingest_limits(const struct fl_ingest *ing) {
    return &ing->cfg.limits;
}

static int prefixed(const char *path, size_t len, const char *prefix, const char **rest) {
    size_t n = strlen(prefix);
    if (len < n || memcmp(path, prefix, n) != 0) return 0;
    *rest = path + n;
    return 1;
}

/* Both entry points: done NULL answers before returning. */
static bool dispatch(struct fl_ingest *ing, const struct fl_ingest_req *req,
                     struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    bool pending = false;
    struct fl_error err = {0};
    struct fl_buf path;
    fl_buf_init(&path, PATH_MAX_BYTES);
    fl_buf_reset(&resp->body);
    resp->retry_after_s = 0;
    const char *target = req->target ? req->target : "";
    const char *q = strchr(target, '?');
    size_t raw_len = q ? (size_t)(q - target) : strlen(target);
    struct fl_ingest_call call = {
        .req = req, .query = q ? q + 1 : "", .query_len = q ? strlen(q + 1) : 0};
    const char *m = req->method ? req->method : "";
    const char *rest;
    if (target[0] != '/') {
        fl_ingest_resp_error(resp, 400, FL_INGEST_E_BAD_REQUEST,
                             "request target must start with /");
        goto out;
    }
    if (fl_ingest_url_decode(target, raw_len, false, &path, &err)) {
        fl_ingest_resp_error(resp, err.code == FL_ERR_LIMIT ? 414 : 400, FL_INGEST_E_BAD_REQUEST,
                             "request path: %s", err.msg);
        goto out;
    }
    call.path = (const char *)path.data;
    call.path_len = path.len;
    if (ing->cfg.rest && prefixed(call.path, call.path_len, "/v1/", &rest)) {
        /* the Iceberg REST catalog parses its own (raw) path: %1F separates levels */
        char *raw = fl_strndup(target, raw_len);
        int status = 500;
        fl_rest_handle(ing->cfg.rest, m, raw, call.query,
                       fl_ingest_req_header(req, "Authorization"), (const char *)req->body,
                       req->body_len, &status, &resp->body);
        fl_free(raw);
        resp->status = status;
        resp->content_type = "application/json";
        goto out;
    }
    if (ing->cfg.rest && !strcmp(call.path, "/sql")) {
        if (strcmp(m, "POST")) goto method;
        int status = 500;
        fl_sql_http_handle(ing->cfg.rest->store, ing->cfg.rest->cat, ing->cfg.sql_log,
                           (const char *)req->body, req->body_len, &status, &resp->body);
        resp->status = status;
        resp->content_type = "application/json";
        goto out;
    }
    if (prefixed(call.path, call.path_len, "/upload/file/", &rest)) {
        if (strcmp(m, "POST") && strcmp(m, "PUT")) goto method;
        fl_ingest_route_upload(ing, &call, rest, resp);
    } else if (prefixed(call.path, call.path_len, "/topics/", &rest)) {
        if (strcmp(m, "POST")) goto method;
        fl_ingest_route_topics(ing, &call, rest, resp);
    } else if (!strcmp(call.path, "/log")) {
        if (strcmp(m, "GET")) goto method;
        pending = fl_ingest_route_log(ing, &call, resp, done, arg);
    } else if (!strcmp(call.path, "/status") && ing->cfg.status) {
        if (strcmp(m, "GET")) goto method;
        fl_ingest_route_status(ing, &call, resp);
    } else if (!strcmp(call.path, "/health")) {
        if (strcmp(m, "GET") && strcmp(m, "HEAD")) goto method;
        fl_ingest_route_health(ing, &call, resp);
    } else {
        fl_ingest_resp_error(resp, 404, FL_INGEST_E_NOT_FOUND, "no route for %s %.200s", m,
                             call.path);
    }
    goto out;
method:
    fl_ingest_resp_error(resp, 405, FL_INGEST_E_METHOD, "method %.16s not allowed for %.200s", m,
                         call.path);
out:
    fl_buf_fini(&path);
    return pending;
}

void fl_ingest_handle(struct fl_ingest *ing, const struct fl_ingest_req *req,
                      struct fl_ingest_resp *resp) {
    dispatch(ing, req, resp, NULL, NULL);
}

bool fl_ingest_handle_async(struct fl_ingest *ing, const struct fl_ingest_req *req,
                            struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    return dispatch(ing, req, resp, done, arg);
}
