/*
 * router.c - the ingest router: configuration, and one request in, one
 * reply out. How it works: the raw target is split at '?', the path is
 * percent-decoded (refusing bad escapes, NUL and invalid UTF-8) and
 * matched against the table of routes (ROUTES: path or prefix, methods,
 * what must be configured); the route parses the rest and calls the
 * backend or the catalog. Nothing here touches a socket, so the unit tests and the
 * fuzz target drive exactly the code the server runs.
 */
#include "ingest/ingest_int.h"
#include "ingest/query.h"
#include "core/mem.h"

#include <string.h>

#define PATH_MAX_BYTES 8192

void fl_ingest_config_default(struct fl_ingest_config *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->limits.header_bytes = FL_INGEST_HEADER_BYTES_DEFAULT;
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
    ing->weather = fl_ingest_weather_new();
    *out = ing;
    return FL_OK;
}

void fl_ingest_free(struct fl_ingest *ing) {
    if (!ing) return;
    fl_ingest_config_fini(&ing->cfg);
    fl_ingest_weather_free(ing->weather);
    fl_free(ing);
}

const struct fl_ingest_limits *fl_ingest_limits(const struct fl_ingest *ing) {
    return &ing->cfg.limits;
}

/* Every route has this shape; done NULL: answer before returning. */
typedef bool (*route_fn)(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                         struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg);

static bool r_rest(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                   struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)rest, (void)done, (void)arg;
    /* the Iceberg REST catalog parses its own (raw) path: %1F separates levels */
    const char *target = call->req->target;
    char *raw = fl_strndup(target, strcspn(target, "?"));
    fl_ingest_route_rest(ing, call, raw, resp);
    fl_free(raw);
    return false;
}

static bool r_sql(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                  struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)rest, (void)done, (void)arg;
    fl_ingest_route_sql(ing, call, resp);
    return false;
}

static bool r_upload(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                     struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)done, (void)arg;
    fl_ingest_route_upload(ing, call, rest, resp);
    return false;
}

static bool r_topics(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                     struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)done, (void)arg;
    fl_ingest_route_topics(ing, call, rest, resp);
    return false;
}

static bool r_log(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                  struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)rest;
    return fl_ingest_route_log(ing, call, resp, done, arg);
}

static bool r_status(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                     struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)rest, (void)done, (void)arg;
    fl_ingest_route_status(ing, call, resp);
    return false;
}

static bool r_health(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                     struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)rest, (void)done, (void)arg;
    fl_ingest_route_health(ing, call, resp);
    return false;
}

static bool r_weather(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                      struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)done, (void)arg;
    fl_ingest_route_weather(ing, call, rest, resp);
    return false;
}

static bool r_page(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                   struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)rest, (void)done, (void)arg;
    fl_ingest_route_page(ing, call, resp);
    return false;
}

static bool r_asset(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                    struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)done, (void)arg;
    fl_ingest_route_asset(ing, call, rest, resp);
    return false;
}

static bool r_licenses(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                       struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)rest, (void)done, (void)arg;
    fl_ingest_route_licenses(ing, call, resp);
    return false;
}

/* What a route needs configured to be served. */
enum need { NEED_NOTHING, NEED_REST, NEED_SQL, NEED_STATUS };

/* The routes, first match wins. methods: space-separated; NULL = any (the
 * route answers 405 itself). */
static const struct route {
    const char *path;
    bool prefix; /* path is a prefix; the route gets what follows it */
    const char *methods;
    enum need need;
    route_fn fn;
} ROUTES[] = {
    {"/v1/", true, NULL, NEED_REST, r_rest},
    {"/sql", false, "POST", NEED_SQL, r_sql},
    {"/upload/file/", true, "POST PUT", NEED_NOTHING, r_upload},
    {"/topics/", true, "POST", NEED_NOTHING, r_topics},
    {"/log", false, "GET", NEED_NOTHING, r_log},
    {"/status", false, "GET", NEED_STATUS, r_status},
    {"/health", false, "GET HEAD", NEED_NOTHING, r_health},
    {"/api/weather", true, "GET", NEED_SQL, r_weather},
    {"/", false, "GET", NEED_NOTHING, r_page},
    {"/dashboard/weather", false, "GET", NEED_NOTHING, r_page},
    {"/console", false, "GET", NEED_NOTHING, r_page},
    {"/assets/", true, "GET", NEED_NOTHING, r_asset},
    {"/licenses", false, "GET", NEED_NOTHING, r_licenses},
};

static bool served(const struct fl_ingest *ing, enum need need) {
    switch (need) {
    case NEED_REST:
        return ing->cfg.rest != NULL;
    case NEED_SQL:
        return ing->cfg.sql.store != NULL && ing->cfg.sql.cat != NULL;
    case NEED_STATUS:
        return ing->cfg.status != NULL;
    default:
        return true;
    }
}

/* The route for path, *rest what follows a prefix; NULL when none. */
static const struct route *route_find(const struct fl_ingest *ing, const char *path, size_t len,
                                      const char **rest) {
    for (size_t i = 0; i < sizeof(ROUTES) / sizeof(ROUTES[0]); i++) {
        const struct route *r = &ROUTES[i];
        size_t n = strlen(r->path);
        if (!served(ing, r->need) || len < n || memcmp(path, r->path, n) != 0) continue;
        if (!r->prefix && len != n) continue;
        *rest = path + n;
        return r;
    }
    return NULL;
}

static bool method_ok(const char *methods, const char *m) {
    size_t ml = strlen(m);
    for (const char *p = methods; p && *p;) {
        size_t n = strcspn(p, " ");
        if (n == ml && !memcmp(p, m, n)) return true;
        p += n + (p[n] == ' ');
    }
    return methods == NULL;
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
    struct fl_ingest_req whole = *req;
    whole.target = target;
    whole.method = req->method ? req->method : "";
    struct fl_ingest_call call = {
        .req = &whole, .query = q ? q + 1 : "", .query_len = q ? strlen(q + 1) : 0};
    const char *m = whole.method;
    const char *rest = NULL;
    if (target[0] != '/') {
        fl_ingest_resp_error(resp, FL_INGEST_E_BAD_REQUEST, "request target must start with /");
        goto out;
    }
    if (fl_ingest_url_decode(target, raw_len, false, &path, &err)) {
        fl_ingest_resp_error(
            resp, err.code == FL_ERR_LIMIT ? FL_INGEST_E_URI_TOO_LONG : FL_INGEST_E_BAD_REQUEST,
            "request path: %s", err.msg);
        goto out;
    }
    call.path = (const char *)path.data;
    call.path_len = path.len;
    const struct route *r = route_find(ing, call.path, call.path_len, &rest);
    if (!r)
        fl_ingest_resp_error(resp, FL_INGEST_E_NOT_FOUND, "no route for %.16s %.200s", m,
                             call.path);
    else if (!method_ok(r->methods, m))
        fl_ingest_resp_error(resp, FL_INGEST_E_METHOD, "method %.16s not allowed for %.200s", m,
                             call.path);
    else if (req->body_len > ing->cfg.limits.body_bytes) /* the server refuses it first */
        fl_ingest_resp_error(resp, FL_INGEST_E_TOO_LARGE, "body over body_bytes (%zu bytes)",
                             ing->cfg.limits.body_bytes);
    else
        pending = r->fn(ing, &call, rest, resp, done, arg);
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
