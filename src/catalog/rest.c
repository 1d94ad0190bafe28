/*
 * rest.c - Iceberg REST catalog routes over floe's SQL catalog and tables.
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
 * Lists (namespaces, tables) page with pageToken/pageSize: the token is
 * the position of the next item, opaque to clients; "next-page-token" is
 * set while more remain, null at the end (and without a pageToken).
 * Multi-level namespaces travel as levels joined by 0x1F (%1F) in paths
 * and are stored dotted ("a.b") in the catalog, as JdbcCatalog does.
 */
#include "catalog/rest.h"
#include "core/mem.h"
#include "iceberg/table.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void error_reply(int *status, struct fl_buf *out, int code, const char *type,
                        const char *msg) {
    json_t *o = json_object(), *e = json_object();
    json_object_set_new(e, "message", json_string(msg));
    json_object_set_new(e, "type", json_string(type));
    json_object_set_new(e, "code", json_integer(code));
    json_object_set_new(o, "error", e);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    fl_buf_reset(out);
    if (s) fl_buf_append_str(out, s);
    free(s);
    *status = code;
}

static void json_reply(int *status, struct fl_buf *out, int code, json_t *o) {
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    fl_buf_reset(out);
    if (s) fl_buf_append_str(out, s);
    free(s);
    *status = code;
}

/* Maps a floe error to the spec's status and exception type. */
static void fail(int *status, struct fl_buf *out, fl_err_t rc, const struct fl_error *err,
                 const char *notfound_type) {
    const char *msg = err->msg[0] ? err->msg : fl_err_name(rc);
    switch (rc) {
    case FL_ERR_NOTFOUND:
        error_reply(status, out, 404, notfound_type, msg);
        return;
    case FL_ERR_EXISTS:
        error_reply(status, out, 409, "AlreadyExistsException", msg);
        return;
    case FL_ERR_CONFLICT:
        error_reply(status, out, 409, "CommitFailedException", msg);
        return;
    case FL_ERR_INVALID:
    case FL_ERR_UNSUPPORTED:
        error_reply(status, out, 400, "BadRequestException", msg);
        return;
    default:
        error_reply(status, out, 500, "ServiceFailureException", msg);
        return;
    }
}

/* Percent-decodes a path segment into out; -1 on a bad escape. */
static int pct_decode(const char *s, size_t n, char *out, size_t outsz) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (o + 1 >= outsz) return -1;
        if (s[i] == '%') {
            if (i + 2 >= n) return -1;
            char hx[3] = {s[i + 1], s[i + 2], 0};
            if (!isxdigit((unsigned char)hx[0]) || !isxdigit((unsigned char)hx[1])) return -1;
            out[o++] = (char)strtol(hx, NULL, 16);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return 0;
}

/* A namespace path segment (levels joined by 0x1F) into the dotted form;
 * a level containing '.' cannot be stored dotted and is refused. */
static int ns_from_segment(const char *seg, size_t n, char *out, size_t outsz) {
    if (pct_decode(seg, n, out, outsz)) return -1;
    for (char *p = out; *p; p++) {
        if (*p == '.') return -1;
        if (*p == 0x1f) *p = '.';
    }
    return out[0] ? 0 : -1;
}

static json_t *ns_levels(const char *dotted) {
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

/* ["a","b"] -> "a.b"; -1 when malformed. */
static int ns_from_json(json_t *arr, char *out, size_t outsz) {
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

/* The value of query parameter name (percent-decoded) into out; 1 when
 * present, 0 when absent, -1 when malformed or too long. */
static int query_param(const char *query, const char *name, char *out, size_t outsz, int decode) {
    size_t nl = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            if (decode) return pct_decode(p + nl + 1, len - nl - 1, out, outsz) ? -1 : 1;
            if (len - nl - 1 >= outsz) return -1;
            memcpy(out, p + nl + 1, len - nl - 1);
            out[len - nl - 1] = '\0';
            return 1;
        }
        if (len == nl && !strncmp(p, name, nl)) return out[0] = '\0', 1;
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

/* Replies {key: a page of items, "next-page-token": ...} by the query's
 * pageToken and pageSize (the spec's PageToken: without a pageToken, all
 * items and a null token; an empty pageToken starts paging); takes items. */
static void page_reply(const char *query, const char *key, json_t *items, int *status,
                       struct fl_buf *out) {
    char tok[32] = "", size[32] = "";
    int has_tok = query_param(query, "pageToken", tok, sizeof(tok), 1);
    int has_size = query_param(query, "pageSize", size, sizeof(size), 1);
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
    json_decref(items);
    json_t *o = json_object();
    json_object_set_new(o, key, page);
    char next[32];
    snprintf(next, sizeof(next), "%zu", i);
    json_object_set_new(o, "next-page-token", i < total ? json_string(next) : json_null());
    json_reply(status, out, 200, o);
    return;
bad:
    json_decref(items);
    error_reply(status, out, 400, "BadRequestException",
                "pageToken must be a token this server returned and pageSize a positive integer");
}

static int add_ns(void *ctx, const char *ns, const char *name) {
    (void)name;
    json_array_append_new(ctx, ns_levels(ns));
    return 0;
}

static int add_prop(void *ctx, const char *k, const char *v) {
    json_object_set_new(ctx, k, json_string(v));
    return 0;
}

static int add_ident(void *ctx, const char *ns, const char *name) {
    json_t *id = json_object();
    json_object_set_new(id, "namespace", ns_levels(ns));
    json_object_set_new(id, "name", json_string(name));
    json_array_append_new(ctx, id);
    return 0;
}

/* LoadTableResult */
static json_t *load_result(struct fl_ice_table *tbl) {
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

struct commit_ctx {
    json_t *requirements, *updates;
};

static fl_err_t apply_commit(void *ctx, struct fl_ice_meta *next, int attempt,
                             struct fl_error *err) {
    (void)attempt;
    struct commit_ctx *cc = ctx;
    fl_err_t rc = FL_OK;
    for (size_t i = 0; i < json_array_size(cc->requirements) && !rc; i++) {
        char *s = json_dumps(json_array_get(cc->requirements, i), JSON_COMPACT);
        rc = s ? fl_ice_meta_check_requirement(next, s, strlen(s), err) : FL_ERR_NOMEM;
        free(s);
    }
    for (size_t i = 0; i < json_array_size(cc->updates) && !rc; i++) {
        char *s = json_dumps(json_array_get(cc->updates, i), JSON_COMPACT);
        rc = s ? fl_ice_meta_apply_update(next, s, strlen(s), err) : FL_ERR_NOMEM;
        free(s);
    }
    return rc;
}

static void create_table(struct fl_rest *rest, const char *ns, json_t *req, int *status,
                         struct fl_buf *out) {
    struct fl_error err = {0};
    const char *name = json_string_value(json_object_get(req, "name"));
    json_t *js = json_object_get(req, "schema");
    if (!name || !json_is_object(js)) {
        error_reply(status, out, 400, "BadRequestException",
                    "CreateTableRequest needs name and schema");
        return;
    }
    char *stext = json_dumps(js, JSON_COMPACT), *ptext = NULL;
    struct fl_schema *schema = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_ice_table *tbl = NULL;
    fl_err_t rc = fl_schema_parse(stext, strlen(stext), &schema, &err);
    json_t *jp = json_object_get(req, "partition-spec");
    if (!rc && json_is_object(jp)) {
        ptext = json_dumps(jp, JSON_COMPACT);
        rc = fl_ice_spec_parse(ptext, strlen(ptext), &spec, &err);
    }
    struct fl_ice_kv props[64];
    int np = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(req, "properties"), k,
                        v) if (np < 64 && json_is_string(v)) {
        props[np].key = k;
        props[np++].value = json_string_value(v);
    }
    if (!rc) rc = fl_catalog_ns_exists(rest->cat, ns, &err);
    if (!rc)
        rc = fl_ice_table_create(rest->store, rest->cat, ns, name, schema, spec, props, np, &tbl,
                                 &err);
    if (rc)
        fail(status, out, rc, &err, "NoSuchNamespaceException");
    else
        json_reply(status, out, 200, load_result(tbl));
    fl_ice_table_free(tbl);
    fl_ice_spec_free(spec);
    fl_schema_free(schema);
    free(stext);
    free(ptext);
}

/* POST /v1/namespaces/{ns}/register: RegisterTableRequest {name,
 * metadata-location, overwrite}. The metadata file must be inside the
 * warehouse and parse as table metadata; overwrite swaps an existing
 * table's location by the same compare-and-swap as a commit. */
static void register_table(struct fl_rest *rest, const char *ns, json_t *req, int *status,
                           struct fl_buf *out) {
    struct fl_error err = {0};
    const char *name = json_string_value(json_object_get(req, "name"));
    const char *loc = json_string_value(json_object_get(req, "metadata-location"));
    json_t *ow = json_object_get(req, "overwrite");
    if (!name || !loc || (ow && !json_is_boolean(ow))) {
        error_reply(
            status, out, 400, "BadRequestException",
            "RegisterTableRequest needs name and metadata-location (and a boolean overwrite)");
        return;
    }
    const char *root = fl_store_uri(rest->store);
    size_t rl = strlen(root);
    if (strncmp(loc, root, rl) || !loc[rl] || strstr(loc, "/../") || strstr(loc, "/./")) {
        error_reply(status, out, 400, "BadRequestException",
                    "metadata-location must be a metadata file inside the warehouse");
        return;
    }
    struct fl_ice_table *tbl = NULL;
    fl_err_t rc = fl_catalog_check_name("table", name, &err);
    if (!rc) rc = fl_ice_table_load_path(rest->store, loc + rl, &tbl, &err);
    if (rc == FL_ERR_NOTFOUND || rc == FL_ERR_CORRUPT || rc == FL_ERR_UNSUPPORTED)
        rc = FL_ERR_INVALID; /* the request's file, not the table, is wrong */
    fl_ice_table_free(tbl);
    tbl = NULL;
    if (!rc) rc = fl_catalog_ns_exists(rest->cat, ns, &err);
    if (rc) {
        fail(status, out, rc, &err, "NoSuchNamespaceException");
        return;
    }
    rc = fl_catalog_table_create(rest->cat, ns, name, loc, &err);
    if (rc == FL_ERR_EXISTS && json_is_true(ow)) {
        char cur[4096];
        fl_err_clear(&err);
        rc = fl_catalog_table_load(rest->cat, ns, name, cur, sizeof(cur), &err);
        if (!rc) rc = fl_catalog_table_commit(rest->cat, ns, name, cur, loc, &err);
    }
    if (!rc) rc = fl_ice_table_load(rest->store, rest->cat, ns, name, &tbl, &err);
    if (rc)
        fail(status, out, rc, &err, "NoSuchTableException");
    else
        json_reply(status, out, 200, load_result(tbl));
    fl_ice_table_free(tbl);
}

static void table_route(struct fl_rest *rest, const char *method, const char *ns, const char *name,
                        json_t *req, int *status, struct fl_buf *out) {
    struct fl_error err = {0};
    if (!strcmp(method, "DELETE")) {
        fl_err_t rc = fl_catalog_table_drop(rest->cat, ns, name, &err);
        if (rc)
            fail(status, out, rc, &err, "NoSuchTableException");
        else
            fl_buf_reset(out), *status = 204;
        return;
    }
    struct fl_ice_table *tbl = NULL;
    fl_err_t rc = fl_ice_table_load(rest->store, rest->cat, ns, name, &tbl, &err);
    if (rc) {
        fail(status, out, rc, &err, "NoSuchTableException");
        return;
    }
    if (!strcmp(method, "HEAD")) {
        fl_buf_reset(out);
        *status = 204;
    } else if (!strcmp(method, "GET")) {
        json_reply(status, out, 200, load_result(tbl));
    } else if (!strcmp(method, "POST")) {
        struct commit_ctx cc = {json_object_get(req, "requirements"),
                                json_object_get(req, "updates")};
        if (!json_is_array(cc.updates) || (cc.requirements && !json_is_array(cc.requirements))) {
            error_reply(status, out, 400, "BadRequestException",
                        "CommitTableRequest needs requirements and updates arrays");
        } else {
            rc = fl_ice_table_commit_meta(tbl, apply_commit, &cc, &err);
            if (rc)
                fail(status, out, rc, &err, "NoSuchTableException");
            else {
                json_t *o = load_result(tbl);
                json_object_del(o, "config");
                json_reply(status, out, 200, o);
            }
        }
    } else {
        error_reply(status, out, 405, "BadRequestException", "method not allowed");
    }
    fl_ice_table_free(tbl);
}

void fl_rest_handle(struct fl_rest *rest, const char *method, const char *path, const char *query,
                    const char *authorization, const char *body, size_t len, int *status,
                    struct fl_buf *out) {
    struct fl_error err = {0};
    fl_buf_reset(out);
    if (rest->token) {
        size_t tl = strlen(rest->token);
        if (!authorization || strncmp(authorization, "Bearer ", 7) ||
            strlen(authorization + 7) != tl || strcmp(authorization + 7, rest->token)) {
            error_reply(status, out, 401, "NotAuthorizedException",
                        "Not authorized: a bearer token is required");
            return;
        }
    }
    json_t *req = NULL;
    if (len > 0) {
        json_error_t je;
        req = json_loadb(body, len, 0, &je);
        if (!json_is_object(req)) {
            char msg[256];
            snprintf(msg, sizeof(msg), "request body is not a JSON object: %s", je.text);
            error_reply(status, out, 400, "BadRequestException", msg);
            json_decref(req);
            return;
        }
    }
    /* split the path after /v1/ into segments */
    const char *p = path + 4;
    const char *seg[6];
    size_t segl[6];
    int nseg = 0;
    while (*p && nseg < 6) {
        const char *slash = strchr(p, '/');
        seg[nseg] = p;
        segl[nseg] = slash ? (size_t)(slash - p) : strlen(p);
        nseg++;
        if (!slash) break;
        p = slash + 1;
    }
#define SEG(i, s) (segl[i] == strlen(s) && !strncmp(seg[i], s, segl[i]))
    char ns[512], name[256];
    if (nseg == 1 && SEG(0, "config") && !strcmp(method, "GET")) {
        json_t *o = json_object();
        json_object_set_new(o, "defaults", json_object());
        json_object_set_new(o, "overrides", json_object());
        json_reply(status, out, 200, o);
    } else if (nseg == 2 && SEG(0, "tables") && SEG(1, "rename") && !strcmp(method, "POST")) {
        char sns[512], dns[512];
        json_t *src = json_object_get(req, "source"), *dst = json_object_get(req, "destination");
        const char *sn = json_string_value(json_object_get(src, "name"));
        const char *dn = json_string_value(json_object_get(dst, "name"));
        if (!sn || !dn || ns_from_json(json_object_get(src, "namespace"), sns, sizeof(sns)) ||
            ns_from_json(json_object_get(dst, "namespace"), dns, sizeof(dns))) {
            error_reply(status, out, 400, "BadRequestException",
                        "RenameTableRequest needs source and destination");
        } else {
            fl_err_t rc = fl_catalog_ns_exists(rest->cat, dns, &err);
            if (rc) {
                fail(status, out, rc, &err, "NoSuchNamespaceException");
                json_decref(req);
                return;
            }
            rc = fl_catalog_table_rename(rest->cat, sns, sn, dns, dn, &err);
            if (rc)
                fail(status, out, rc, &err, "NoSuchTableException");
            else
                *status = 204;
        }
    } else if (nseg >= 1 && SEG(0, "namespaces")) {
        if (nseg == 1 && !strcmp(method, "GET")) {
            char parent[512] = "", raw[512];
            int has = query_param(query, "parent", raw, sizeof(raw), 0);
            if (has < 0 ||
                (has && raw[0] && ns_from_segment(raw, strlen(raw), parent, sizeof(parent)))) {
                error_reply(status, out, 400, "BadRequestException", "bad parent namespace");
                json_decref(req);
                return;
            }
            json_t *arr = json_array();
            fl_err_t rc = parent[0] ? fl_catalog_ns_exists(rest->cat, parent, &err) : FL_OK;
            if (!rc)
                rc = fl_catalog_ns_list(rest->cat, parent[0] ? parent : NULL, add_ns, arr, &err);
            if (rc) {
                json_decref(arr);
                fail(status, out, rc, &err, "NoSuchNamespaceException");
            } else {
                page_reply(query, "namespaces", arr, status, out);
            }
        } else if (nseg == 1 && !strcmp(method, "POST")) {
            if (ns_from_json(json_object_get(req, "namespace"), ns, sizeof(ns))) {
                error_reply(status, out, 400, "BadRequestException",
                            "CreateNamespaceRequest needs namespace levels without '.'");
            } else {
                const char *keys[64], *vals[64];
                int n = 0;
                const char *k;
                json_t *v;
                json_object_foreach(json_object_get(req, "properties"), k,
                                    v) if (n < 64 && json_is_string(v)) {
                    keys[n] = k;
                    vals[n++] = json_string_value(v);
                }
                fl_err_t rc = fl_catalog_ns_create(rest->cat, ns, keys, vals, n, &err);
                if (rc)
                    fail(status, out, rc, &err, "NoSuchNamespaceException");
                else {
                    json_t *o = json_object(), *props = json_object();
                    fl_catalog_ns_props(rest->cat, ns, add_prop, props, &err);
                    json_object_set_new(o, "namespace", ns_levels(ns));
                    json_object_set_new(o, "properties", props);
                    json_reply(status, out, 200, o);
                }
            }
        } else if (nseg >= 2 && ns_from_segment(seg[1], segl[1], ns, sizeof(ns))) {
            error_reply(status, out, 400, "BadRequestException", "malformed namespace in the path");
        } else if (nseg == 2) {
            if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
                json_t *props = json_object();
                fl_err_t rc = fl_catalog_ns_props(rest->cat, ns, add_prop, props, &err);
                if (rc) {
                    json_decref(props);
                    fail(status, out, rc, &err, "NoSuchNamespaceException");
                } else if (!strcmp(method, "HEAD")) {
                    json_decref(props);
                    *status = 204;
                } else {
                    json_t *o = json_object();
                    json_object_set_new(o, "namespace", ns_levels(ns));
                    json_object_set_new(o, "properties", props);
                    json_reply(status, out, 200, o);
                }
            } else if (!strcmp(method, "DELETE")) {
                fl_err_t rc = fl_catalog_ns_drop(rest->cat, ns, &err);
                if (rc == FL_ERR_INVALID)
                    error_reply(status, out, 409, "NamespaceNotEmptyException", err.msg);
                else if (rc)
                    fail(status, out, rc, &err, "NoSuchNamespaceException");
                else
                    *status = 204;
            } else {
                error_reply(status, out, 405, "BadRequestException", "method not allowed");
            }
        } else if (nseg == 3 && SEG(2, "properties") && !strcmp(method, "POST")) {
            json_t *rem = json_object_get(req, "removals"), *upd = json_object_get(req, "updates");
            const char *keys[128], *vals[128];
            int n = 0;
            json_t *updated = json_array(), *removed = json_array(), *missing = json_array();
            json_t *before = json_object();
            fl_err_t rc = fl_catalog_ns_props(rest->cat, ns, add_prop, before, &err);
            for (size_t i = 0; !rc && i < json_array_size(rem) && n < 128; i++) {
                const char *k = json_string_value(json_array_get(rem, i));
                if (!k) continue;
                if (json_object_get(before, k)) {
                    keys[n] = k;
                    vals[n++] = NULL;
                    json_array_append_new(removed, json_string(k));
                } else {
                    json_array_append_new(missing, json_string(k));
                }
            }
            const char *k;
            json_t *v;
            json_object_foreach(upd, k, v) if (!rc && n < 128 && json_is_string(v)) {
                keys[n] = k;
                vals[n++] = json_string_value(v);
                json_array_append_new(updated, json_string(k));
            }
            if (!rc) rc = fl_catalog_ns_set_props(rest->cat, ns, keys, vals, n, &err);
            json_decref(before);
            if (rc) {
                json_decref(updated);
                json_decref(removed);
                json_decref(missing);
                fail(status, out, rc, &err, "NoSuchNamespaceException");
            } else {
                json_t *o = json_object();
                json_object_set_new(o, "updated", updated);
                json_object_set_new(o, "removed", removed);
                json_object_set_new(o, "missing", missing);
                json_reply(status, out, 200, o);
            }
        } else if (nseg == 3 && SEG(2, "tables")) {
            if (!strcmp(method, "GET")) {
                json_t *arr = json_array();
                fl_err_t rc = fl_catalog_table_list(rest->cat, ns, add_ident, arr, &err);
                if (rc) {
                    json_decref(arr);
                    fail(status, out, rc, &err, "NoSuchNamespaceException");
                } else {
                    page_reply(query, "identifiers", arr, status, out);
                }
            } else if (!strcmp(method, "POST")) {
                create_table(rest, ns, req, status, out);
            } else {
                error_reply(status, out, 405, "BadRequestException", "method not allowed");
            }
        } else if (nseg == 3 && SEG(2, "register")) {
            if (strcmp(method, "POST"))
                error_reply(status, out, 405, "BadRequestException", "method not allowed");
            else
                register_table(rest, ns, req, status, out);
        } else if (nseg == 5 && SEG(2, "tables") && SEG(4, "metrics") && !strcmp(method, "POST")) {
            /* ReportMetricsRequest: accepted when the table exists; floe keeps no metrics */
            if (pct_decode(seg[3], segl[3], name, sizeof(name)) || !name[0] ||
                !json_is_object(req)) {
                error_reply(status, out, 400, "BadRequestException",
                            "ReportMetricsRequest needs a table and a body");
            } else {
                char loc[4096];
                fl_err_t rc = fl_catalog_table_load(rest->cat, ns, name, loc, sizeof(loc), &err);
                if (rc)
                    fail(status, out, rc, &err, "NoSuchTableException");
                else
                    *status = 204;
            }
        } else if (nseg == 4 && SEG(2, "tables")) {
            if (pct_decode(seg[3], segl[3], name, sizeof(name)) || !name[0])
                error_reply(status, out, 400, "BadRequestException",
                            "malformed table name in the path");
            else
                table_route(rest, method, ns, name, req, status, out);
        } else {
            error_reply(status, out, 404, "NoSuchNamespaceException", "no such route");
        }
    } else {
        error_reply(status, out, 404, "BadRequestException", "no such route");
    }
#undef SEG
    json_decref(req);
}
