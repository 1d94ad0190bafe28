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
#include "core/auth.h"
#include "core/mem.h"
#include "core/time.h"

#include <string.h>
#include <strings.h>

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
    ing->started_us = fl_time_now_us(); /* the http counters: zero from calloc */
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

static bool r_metrics(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                      struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)rest, (void)done, (void)arg;
    fl_ingest_route_metrics(ing, call, resp);
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

static bool r_api_topics(struct fl_ingest *ing, const struct fl_ingest_call *call, const char *rest,
                         struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    (void)rest, (void)done, (void)arg;
    fl_ingest_route_api_topics(ing, call, resp);
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
enum need { NEED_NOTHING, NEED_REST, NEED_SQL, NEED_STATUS, NEED_LOG };

/* The routes, first match wins. methods: space-separated; NULL = any (the
 * route answers 405 itself). */
static const struct route {
    const char *path;
    bool prefix; /* path is a prefix; the route gets what follows it */
    const char *methods;
    enum need need;
    route_fn fn;
    const char *pattern; /* its label in GET /metrics */
    int grants;          /* what a key needs (core/auth.h) when auth is on; 0 open */
} ROUTES[] = {
    /* /v1/: reads need read, everything else (commits, creates, drops) admin */
    {"/v1/", true, NULL, NEED_REST, r_rest, "/v1/*", FL_AUTH_ADMIN},
    {"/sql", false, "POST", NEED_SQL, r_sql, "/sql", FL_AUTH_READ},
    {"/upload/file/", true, "POST PUT", NEED_NOTHING, r_upload, "/upload/file/*", FL_AUTH_WRITE},
    {"/topics/", true, "POST", NEED_NOTHING, r_topics, "/topics/*", FL_AUTH_WRITE},
    {"/log", false, "GET", NEED_NOTHING, r_log, "/log", FL_AUTH_WRITE},
    {"/status", false, "GET", NEED_STATUS, r_status, "/status", FL_AUTH_READ},
    {"/metrics", false, "GET", NEED_NOTHING, r_metrics, "/metrics", FL_AUTH_READ},
    /* liveness probes carry no key; it says nothing but "up" */
    {"/health", false, "GET HEAD", NEED_NOTHING, r_health, "/health", 0},
    /* seed 001's dashboard data: a read */
    {"/api/weather", true, "GET", NEED_SQL, r_weather, "/api/weather*", FL_AUTH_READ},
    /* the console's topics: offsets and sizes, a read */
    {"/api/topics", false, "GET", NEED_LOG, r_api_topics, "/api/topics", FL_AUTH_READ},
    /* the pages and their scripts hold no data (they fetch it from the
     * routes above, which ask for a key): open, so a browser can load them */
    {"/", false, "GET", NEED_NOTHING, r_page, "/", 0},
    {"/dashboard/weather", false, "GET", NEED_NOTHING, r_page, "/dashboard/weather", 0},
    {"/console", false, "GET", NEED_NOTHING, r_page, "/console", 0},
    {"/assets/", true, "GET", NEED_NOTHING, r_asset, "/assets/*", 0},
    {"/licenses", false, "GET", NEED_NOTHING, r_licenses, "/licenses", 0},
};
#define NROUTES ((int)(sizeof(ROUTES) / sizeof(ROUTES[0])))
_Static_assert(NROUTES <= FL_INGEST_ROUTES_MAX, "FL_INGEST_ROUTES_MAX too small");

const char *fl_ingest_route_pattern(int i) {
    return i >= 0 && i < NROUTES ? ROUTES[i].pattern : NULL;
}

static bool served(const struct fl_ingest *ing, enum need need) {
    switch (need) {
    case NEED_REST:
        return ing->cfg.rest != NULL;
    case NEED_SQL:
        return ing->cfg.sql.store != NULL && ing->cfg.sql.cat != NULL;
    case NEED_STATUS:
        return ing->cfg.status != NULL;
    case NEED_LOG:
        return ing->cfg.sql.log != NULL;
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

/* The API key of req: "Authorization: Bearer KEY" or "X-API-Key: KEY". */
static const char *request_key(const struct fl_ingest_req *req) {
    const char *a = fl_ingest_req_header(req, "Authorization");
    if (a && !strncasecmp(a, "Bearer ", 7)) {
        a += 7;
        while (*a == ' ') a++;
        return *a ? a : NULL;
    }
    const char *k = fl_ingest_req_header(req, "X-API-Key");
    return k && *k ? k : NULL;
}

/* Whether a /v1/ request is a read: GET, HEAD, or the scan report a
 * reading engine posts, exactly POST /v1/namespaces/{ns}/tables/{t}/metrics
 * (five segments of the raw path, as routes_rest.c matches them). */
static bool rest_read(const struct fl_ingest_req *req) {
    if (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD")) return true;
    if (strcmp(req->method, "POST") != 0) return false;
    const char *p = req->target + 4; /* after "/v1/" (the route's prefix) */
    size_t len = strcspn(p, "?");
    const char *seg[6];
    size_t seglen[6];
    int n = 0;
    for (size_t i = 0; n < 6;) {
        size_t k = strcspn(p + i, "/?");
        if (i + k > len) k = len - i;
        seg[n] = p + i;
        seglen[n++] = k;
        i += k;
        if (i >= len) break;
        i++; /* the '/' */
    }
    return n == 5 && seglen[0] == 10 && !memcmp(seg[0], "namespaces", 10) && seglen[2] == 6 &&
           !memcmp(seg[2], "tables", 6) && seglen[4] == 7 && !memcmp(seg[4], "metrics", 7) &&
           seglen[1] && seglen[3];
}

/* Whether req may use route r: true, or false with the 401 or 403 reply
 * in resp. The key is never quoted in a reply or a log. */
static bool authorized(const struct fl_ingest *ing, const struct route *r,
                       const struct fl_ingest_req *req, struct fl_ingest_resp *resp) {
    const struct fl_auth *a = ing->cfg.auth;
    if (!fl_auth_required(a)) return true;
    int need = r->grants;
    bool rest = r->fn == r_rest;
    if (rest && rest_read(req)) need = FL_AUTH_READ;
    if (r->fn == r_metrics && a->open_metrics) need = 0;
    if (!need) return true;
    const char *key = request_key(req);
    const struct fl_auth_key *k = key ? fl_auth_find(a, key, strlen(key)) : NULL;
    if (!k) {
        fl_ingest_resp_error(resp, rest ? FL_INGEST_E_ICE_AUTH : FL_INGEST_E_UNAUTHORIZED,
                             "%s: send Authorization: Bearer <key> or X-API-Key: <key>",
                             key ? "unknown API key" : "an API key is required");
        resp->challenge = true;
        return false;
    }
    if ((k->grants & need) != need) {
        fl_ingest_resp_error(resp, rest ? FL_INGEST_E_ICE_FORBIDDEN : FL_INGEST_E_FORBIDDEN,
                             "key %.100s may not %s %s (needs the %s role)", k->name, req->method,
                             r->pattern,
                             need & FL_AUTH_ADMIN   ? "admin"
                             : need & FL_AUTH_WRITE ? "write"
                                                    : "read");
        return false;
    }
    return true;
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
    resp->challenge = false;
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
    else if (!authorized(ing, r, &whole, resp))
        ;                                                /* 401 or 403 in resp */
    else if (req->body_len > ing->cfg.limits.body_bytes) /* the server refuses it first */
        fl_ingest_resp_error(resp, FL_INGEST_E_TOO_LARGE, "body over body_bytes (%zu bytes)",
                             ing->cfg.limits.body_bytes);
    else
        pending = r->fn(ing, &call, rest, resp, done, arg);
    if (r) resp->route = (int)(r - ROUTES);
out:
    fl_buf_fini(&path);
    return pending;
}

bool fl_ingest_auth_on(const struct fl_ingest *ing) { return fl_auth_required(ing->cfg.auth); }

bool fl_ingest_precheck(struct fl_ingest *ing, const struct fl_ingest_req *req,
                        struct fl_ingest_resp *resp) {
    if (!fl_auth_required(ing->cfg.auth)) return true;
    const char *target = req->target ? req->target : "";
    const char *rest = NULL;
    size_t len = strcspn(target, "?");
    const struct route *r = route_find(ing, target, len, &rest);
    if (!r || !method_ok(r->methods, req->method ? req->method : "")) return true;
    struct fl_ingest_req whole = *req;
    whole.method = req->method ? req->method : "";
    if (authorized(ing, r, &whole, resp)) return true;
    resp->route = (int)(r - ROUTES);
    return false;
}

void fl_ingest_handle(struct fl_ingest *ing, const struct fl_ingest_req *req,
                      struct fl_ingest_resp *resp) {
    dispatch(ing, req, resp, NULL, NULL);
}

bool fl_ingest_handle_async(struct fl_ingest *ing, const struct fl_ingest_req *req,
                            struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    return dispatch(ing, req, resp, done, arg);
}
