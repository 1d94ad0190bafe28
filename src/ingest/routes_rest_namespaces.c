/*
 * routes_rest_namespaces.c - the Iceberg REST catalog's namespace
 * routes: list (with parent and paging), create, load (GET and HEAD),
 * drop, and update properties. Namespaces are stored dotted in floe's
 * catalog ("a.b"), so a level may not contain '.'. Properties have no
 * count limit of their own; the request body cap bounds them.
 */
#include "ingest/routes_rest_int.h"
#include "core/mem.h"

#include <string.h>

/* GET /v1/namespaces[?parent=a%1Fb] */
void fl_rest_ns_list(struct rest_call *c) {
    struct fl_error err = {0};
    char parent[REST_NS_MAX] = "";
    json_t *arr = NULL;
    int has = fl_rest_query(c, "parent", parent, sizeof(parent));
    if (has < 0 || (has && parent[0] && fl_rest_ns_undot(parent))) {
        fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST, "bad parent namespace");
        goto out;
    }
    arr = json_array();
    fl_err_t rc = parent[0] ? fl_catalog_ns_exists(c->rest->cat, parent, &err) : FL_OK;
    if (!rc)
        rc = fl_catalog_ns_list(c->rest->cat, parent[0] ? parent : NULL, fl_rest_add_ns, arr, &err);
    if (rc) {
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_NAMESPACE);
        goto out;
    }
    fl_rest_page_reply(c, "namespaces", arr);
    arr = NULL;
out:
    json_decref(arr);
}

/* {"namespace": [...], "properties": {...}} of ns */
static void ns_reply(struct rest_call *c, const char *ns, json_t *props) {
    json_t *o = json_object();
    json_object_set_new(o, "namespace", fl_rest_ns_levels(ns));
    json_object_set_new(o, "properties", props);
    fl_ingest_resp_json(c->resp, 200, o);
}

/* POST /v1/namespaces: CreateNamespaceRequest {namespace, properties} */
void fl_rest_ns_create(struct rest_call *c) {
    struct fl_error err = {0};
    char ns[REST_NS_MAX];
    const char **keys = NULL, **vals = NULL;
    int n = 0;
    if (fl_rest_ns_from_json(json_object_get(c->body, "namespace"), ns, sizeof(ns))) {
        fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST,
                             "CreateNamespaceRequest needs namespace levels without '.'");
        goto out;
    }
    if (fl_rest_string_map(c, json_object_get(c->body, "properties"), "properties", &keys, &vals,
                           &n))
        goto out;
    fl_err_t rc = fl_catalog_ns_create(c->rest->cat, ns, keys, vals, n, &err);
    if (rc) {
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_NAMESPACE);
        goto out;
    }
    json_t *props = json_object();
    fl_catalog_ns_props(c->rest->cat, ns, fl_rest_add_prop, props, &err);
    ns_reply(c, ns, props);
out:
    fl_free(keys);
    fl_free(vals);
}

/* GET|HEAD /v1/namespaces/{ns} */
void fl_rest_ns_load(struct rest_call *c) {
    struct fl_error err = {0};
    json_t *props = json_object();
    fl_err_t rc = fl_catalog_ns_props(c->rest->cat, c->ns, fl_rest_add_prop, props, &err);
    if (rc) {
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_NAMESPACE);
    } else if (!strcmp(c->method, "HEAD")) {
        fl_rest_no_content(c);
    } else {
        ns_reply(c, c->ns, props);
        props = NULL;
    }
    json_decref(props);
}

/* DELETE /v1/namespaces/{ns}: 409 while it holds tables */
void fl_rest_ns_drop(struct rest_call *c) {
    struct fl_error err = {0};
    fl_err_t rc = fl_catalog_ns_drop(c->rest->cat, c->ns, &err);
    if (rc == FL_ERR_INVALID)
        fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_NOT_EMPTY, "%s", err.msg);
    else if (rc)
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_NAMESPACE);
    else
        fl_rest_no_content(c);
}

/* POST /v1/namespaces/{ns}/properties: UpdateNamespacePropertiesRequest
 * {removals: [..], updates: {..}} -> {updated, removed, missing}. */
void fl_rest_ns_props(struct rest_call *c) {
    struct fl_error err = {0};
    json_t *rem = json_object_get(c->body, "removals");
    const char **keys = NULL, **vals = NULL, **ukeys = NULL, **uvals = NULL;
    int nu = 0, n = 0;
    json_t *updated = json_array(), *removed = json_array(), *missing = json_array();
    json_t *before = json_object();
    if (rem && !json_is_array(rem)) {
        fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST, "removals must be an array");
        goto out;
    }
    if (fl_rest_string_map(c, json_object_get(c->body, "updates"), "updates", &ukeys, &uvals, &nu))
        goto out;
    fl_err_t rc = fl_catalog_ns_props(c->rest->cat, c->ns, fl_rest_add_prop, before, &err);
    if (rc) {
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_NAMESPACE);
        goto out;
    }
    size_t cap = json_array_size(rem) + (size_t)nu + 1;
    keys = fl_calloc(cap, sizeof(*keys));
    vals = fl_calloc(cap, sizeof(*vals));
    for (size_t i = 0; i < json_array_size(rem); i++) {
        const char *k = json_string_value(json_array_get(rem, i));
        if (!k) {
            fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST,
                                 "removals must be an array of strings");
            goto out;
        }
        if (json_object_get(before, k)) {
            keys[n] = k;
            vals[n++] = NULL;
            json_array_append_new(removed, json_string(k));
        } else {
            json_array_append_new(missing, json_string(k));
        }
    }
    for (int i = 0; i < nu; i++) {
        keys[n] = ukeys[i];
        vals[n++] = uvals[i];
        json_array_append_new(updated, json_string(ukeys[i]));
    }
    rc = fl_catalog_ns_set_props(c->rest->cat, c->ns, keys, vals, n, &err);
    if (rc) {
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_NAMESPACE);
        goto out;
    }
    json_t *o = json_object();
    json_object_set(o, "updated", updated);
    json_object_set(o, "removed", removed);
    json_object_set(o, "missing", missing);
    fl_ingest_resp_json(c->resp, 200, o);
out:
    json_decref(updated);
    json_decref(removed);
    json_decref(missing);
    json_decref(before);
    fl_free(keys);
    fl_free(vals);
    fl_free(ukeys);
    fl_free(uvals);
}
