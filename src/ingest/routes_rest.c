/*
 * routes_rest.c - the Iceberg REST catalog's front: bearer token, body,
 * the table of routes, and the helpers its handlers share
 * (routes_rest_int.h).
 *
 * Routes (prefix-less, as GET /v1/config advertises no prefix):
 *   GET  /v1/config
 *   GET|POST /v1/namespaces          HEAD|GET|DELETE /v1/namespaces/{ns}
 *   POST /v1/namespaces/{ns}/properties
 *   GET|POST /v1/namespaces/{ns}/tables
 *   HEAD|GET|DELETE|POST /v1/namespaces/{ns}/tables/{table}   (POST = commit)
 *   POST /v1/namespaces/{ns}/register   (a metadata file inside the warehouse)
 *   POST /v1/namespaces/{ns}/tables/{table}/metrics   (accepted, 204, not kept)
 *   POST /v1/tables/rename
 * How it works: the path after /v1/ is matched segment by segment
 * against ROUTES; {ns} and {table} are percent-decoded there, once, for
 * every handler; a path that matches with another method is 405, one
 * that matches nothing 404. Lists (namespaces, tables) page with
 * pageToken/pageSize: the token is the position of the next item, opaque
 * to clients; "next-page-token" is set while more remain, null at the
 * end (and without a pageToken). Multi-level namespaces travel as levels
 * joined by 0x1F (%1F) in paths and are stored dotted ("a.b") in the
 * catalog, as JdbcCatalog does. Bodies are capped by the server's
 * body_bytes; nothing here has a count limit of its own.
 */
#include "ingest/routes_rest_int.h"
#include "core/mem.h"
#include "ingest/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct rest_route {
    const char *method;
    const char *path; /* segments after /v1/; {ns} and {table} are parameters */
    rest_handler fn;
} ROUTES[] = {
    {"GET", "config", fl_rest_config},
    {"POST", "tables/rename", fl_rest_table_rename},
    {"GET", "namespaces", fl_rest_ns_list},
    {"POST", "namespaces", fl_rest_ns_create},
    {"GET", "namespaces/{ns}", fl_rest_ns_load},
    {"HEAD", "namespaces/{ns}", fl_rest_ns_load},
    {"DELETE", "namespaces/{ns}", fl_rest_ns_drop},
    {"POST", "namespaces/{ns}/properties", fl_rest_ns_props},
    {"GET", "namespaces/{ns}/tables", fl_rest_table_list},
    {"POST", "namespaces/{ns}/tables", fl_rest_table_create},
    {"POST", "namespaces/{ns}/register", fl_rest_table_register},
    {"GET", "namespaces/{ns}/tables/{table}", fl_rest_table_load},
    {"HEAD", "namespaces/{ns}/tables/{table}", fl_rest_table_load},
    {"DELETE", "namespaces/{ns}/tables/{table}", fl_rest_table_drop},
    {"POST", "namespaces/{ns}/tables/{table}", fl_rest_table_commit},
    {"POST", "namespaces/{ns}/tables/{table}/metrics", fl_rest_table_metrics},
};

/* Percent-decodes s[0..n) into out (NUL-terminated); -1 on a bad escape,
 * a NUL, invalid UTF-8, or more than outsz - 1 bytes. */
static int pct_decode(const char *s, size_t n, char *out, size_t outsz) {
    struct fl_buf b;
    fl_buf_init(&b, outsz);
    int rc = fl_ingest_url_decode(s, n, false, &b, NULL) ? -1 : 0;
    if (!rc) memcpy(out, b.data, b.len + 1);
    fl_buf_fini(&b);
    return rc;
}

/* Does path (after /v1/) match pattern? Fills c->ns and c->name from
 * {ns} and {table}; *bad is set when a parameter does not decode. */
static bool route_match(const char *pattern, const char *path, struct rest_call *c, bool *bad) {
    for (;;) {
        size_t pl = strcspn(pattern, "/"), sl = strcspn(path, "/");
        if (!strncmp(pattern, "{ns}", pl) && pl == 4) {
            if ((pct_decode(path, sl, c->ns, sizeof(c->ns)) || fl_rest_ns_undot(c->ns)))
                *bad = true;
        } else if (!strncmp(pattern, "{table}", pl) && pl == 7) {
            if ((pct_decode(path, sl, c->name, sizeof(c->name)) || !c->name[0])) *bad = true;
        } else if (pl != sl || strncmp(pattern, path, pl)) {
            return false;
        }
        pattern += pl;
        path += sl;
        if (!*pattern || !*path) return !*pattern && !*path;
        pattern++, path++;
    }
}

static bool authorized(const struct fl_rest *rest, const char *authorization) {
    if (!rest->token) return true;
    return authorization && !strncmp(authorization, "Bearer ", 7) &&
           !strcmp(authorization + 7, rest->token);
}

void fl_ingest_rest_handle(struct fl_rest *rest, const char *method, const char *path,
                           const char *query, const char *authorization, const uint8_t *body,
                           size_t len, struct fl_ingest_resp *resp) {
    struct rest_call c = {
        .rest = rest, .method = method, .query = query ? query : "", .resp = resp};
    fl_buf_reset(&resp->body);
    resp->content_type = "application/json";
    if (!authorized(rest, authorization)) {
        fl_ingest_resp_error(resp, FL_INGEST_E_ICE_AUTH,
                             "Not authorized: a bearer token is required");
        goto out;
    }
    if (len > 0) {
        json_error_t je;
        c.body = json_loadb((const char *)body, len, 0, &je);
        if (!json_is_object(c.body)) {
            fl_ingest_resp_error(resp, FL_INGEST_E_ICE_BAD_REQUEST,
                                 "request body is not a JSON object: %s", je.text);
            goto out;
        }
    }
    if (strncmp(path, "/v1/", 4)) {
        fl_ingest_resp_error(resp, FL_INGEST_E_ICE_NO_ROUTE, "no such route");
        goto out;
    }
    const struct rest_route *found = NULL, *other_method = NULL;
    bool bad = false;
    for (size_t i = 0; i < sizeof(ROUTES) / sizeof(ROUTES[0]) && !found; i++) {
        bool b = false;
        if (!route_match(ROUTES[i].path, path + 4, &c, &b)) continue;
        if (!strcmp(ROUTES[i].method, method))
            found = &ROUTES[i], bad = b;
        else
            other_method = &ROUTES[i];
    }
    if (!found && !other_method)
        fl_ingest_resp_error(resp, FL_INGEST_E_ICE_NO_ROUTE, "no such route: %.16s %.200s", method,
                             path);
    else if (!found)
        fl_ingest_resp_error(resp, FL_INGEST_E_ICE_METHOD, "method %.16s not allowed for %.200s",
                             method, path);
    else if (bad)
        fl_ingest_resp_error(resp, FL_INGEST_E_ICE_BAD_REQUEST,
                             "malformed namespace or table name in the path");
    else
        found->fn(&c);
out:
    json_decref(c.body);
}

void fl_ingest_route_rest(struct fl_ingest *ing, const struct fl_ingest_call *call,
                          const char *raw_path, struct fl_ingest_resp *resp) {
    fl_ingest_rest_handle(ing->cfg.rest, call->req->method, raw_path, call->query,
                          fl_ingest_req_header(call->req, "Authorization"), call->req->body,
                          call->req->body_len, resp);
}

void fl_rest_fail(struct rest_call *c, fl_err_t rc, const struct fl_error *err,
                  fl_ingest_ecode_t notfound) {
    const char *msg = err->msg[0] ? err->msg : fl_err_name(rc);
    fl_ingest_ecode_t code = rc == FL_ERR_NOTFOUND   ? notfound
                             : rc == FL_ERR_EXISTS   ? FL_INGEST_E_ICE_EXISTS
                             : rc == FL_ERR_CONFLICT ? FL_INGEST_E_ICE_COMMIT
                             : rc == FL_ERR_INVALID || rc == FL_ERR_UNSUPPORTED
                                 ? FL_INGEST_E_ICE_BAD_REQUEST
                                 : FL_INGEST_E_ICE_SERVICE;
    fl_ingest_resp_error(c->resp, code, "%s", msg);
}

void fl_rest_no_content(struct rest_call *c) {
    fl_buf_reset(&c->resp->body);
    c->resp->status = 204;
}

int fl_rest_ns_undot(char *ns) {
    if (!ns[0]) return -1;
    for (char *p = ns; *p; p++) {
        if (*p == '.') return -1;
        if (*p == 0x1f) {
            if (p == ns || !p[1] || p[1] == 0x1f) return -1; /* an empty level */
            *p = '.';
        }
    }
    return 0;
}

json_t *fl_rest_ns_levels(const char *dotted) {
    json_t *a = json_array();
    const char *p = dotted;
    for (;;) {
        const char *dot = strchr(p, '.');
        json_array_append_new(a, dot ? json_stringn(p, (size_t)(dot - p)) : json_string(p));
        if (!dot) break;
        p = dot + 1;
    }
    return a;
}

int fl_rest_ns_from_json(json_t *arr, char *out, size_t outsz) {
    if (!json_is_array(arr) || json_array_size(arr) == 0) return -1;
    size_t o = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *l = json_string_value(json_array_get(arr, i));
        if (!l || !*l || strchr(l, '.')) return -1;
        int n = snprintf(out + o, outsz - o, "%s%s", i ? "." : "", l);
        if (n < 0 || (size_t)n >= outsz - o) return -1;
        o += (size_t)n;
    }
    return 0;
}

int fl_rest_query(const struct rest_call *c, const char *name, char *out, size_t outsz) {
    struct fl_buf b;
    fl_buf_init(&b, outsz);
    fl_err_t rc = fl_ingest_query_get(c->query, strlen(c->query), name, &b, NULL);
    int ret = rc == FL_ERR_NOTFOUND ? 0 : rc ? -1 : 1;
    if (ret == 1) memcpy(out, b.data, b.len + 1);
    fl_buf_fini(&b);
    return ret;
}

void fl_rest_page_reply(struct rest_call *c, const char *key, json_t *items) {
    char tok[32] = "", size[32] = "";
    int has_tok = fl_rest_query(c, "pageToken", tok, sizeof(tok));
    int has_size = fl_rest_query(c, "pageSize", size, sizeof(size));
    char *end;
    long long from = 0, n = -1;
    if (has_tok < 0 || has_size < 0) goto bad;
    if (has_tok && tok[0]) {
        from = strtoll(tok, &end, 10);
        if (*end || from < 0) goto bad;
    }
    if (has_size) {
        n = strtoll(size, &end, 10);
        if (*end || n < 1) goto bad;
    }
    if (!has_tok) n = -1; /* no paging asked for: everything */
    json_t *page = json_array();
    size_t total = json_array_size(items);
    size_t i = (size_t)from;
    for (; i < total && (n < 0 || (long long)(i - (size_t)from) < n); i++)
        json_array_append(page, json_array_get(items, i));
    json_t *o = json_object();
    json_object_set_new(o, key, page);
    char next[32];
    snprintf(next, sizeof(next), "%zu", i);
    json_object_set_new(o, "next-page-token", i < total ? json_string(next) : json_null());
    fl_ingest_resp_json(c->resp, 200, o);
    goto out;
bad:
    fl_ingest_resp_error(
        c->resp, FL_INGEST_E_ICE_BAD_REQUEST,
        "pageToken must be a token this server returned and pageSize a positive integer");
out:
    json_decref(items);
}

int fl_rest_add_ns(void *ctx, const char *ns, const char *name) {
    (void)name;
    json_array_append_new(ctx, fl_rest_ns_levels(ns));
    return 0;
}

int fl_rest_add_prop(void *ctx, const char *k, const char *v) {
    json_object_set_new(ctx, k, json_string(v));
    return 0;
}

int fl_rest_add_ident(void *ctx, const char *ns, const char *name) {
    json_t *id = json_object();
    json_object_set_new(id, "namespace", fl_rest_ns_levels(ns));
    json_object_set_new(id, "name", json_string(name));
    json_array_append_new(ctx, id);
    return 0;
}

int fl_rest_string_map(struct rest_call *c, json_t *obj, const char *what, const char ***keys,
                       const char ***vals, int *n) {
    size_t cap = json_object_size(obj);
    *keys = fl_calloc(cap ? cap : 1, sizeof(**keys));
    *vals = fl_calloc(cap ? cap : 1, sizeof(**vals));
    *n = 0;
    if (obj && !json_is_object(obj)) {
        fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST, "%s must be an object", what);
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        if (!json_is_string(v)) {
            fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST,
                                 "%s: the value of \"%.100s\" must be a string", what, k);
            return -1;
        }
        (*keys)[*n] = k;
        (*vals)[(*n)++] = json_string_value(v);
    }
    return 0;
}

json_t *fl_rest_load_result(struct fl_ice_table *tbl) {
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    fl_ice_meta_to_json(tbl->meta, 0, &b);
    json_t *meta = json_loadb((const char *)b.data, b.len, 0, NULL);
    fl_buf_fini(&b);
    json_t *o = json_object();
    json_object_set_new(o, "metadata-location", json_string(tbl->metadata_location));
    json_object_set_new(o, "metadata", meta ? meta : json_object());
    json_object_set_new(o, "config", json_object());
    return o;
}
