/*
 * routes_rest_tables.c - the Iceberg REST catalog's config and table
 * routes: GET /v1/config, list, create, register, load (GET and HEAD),
 * drop, metrics (accepted, not kept) and rename. Commits are in
 * routes_rest_commit.c.
 */
#include "ingest/routes_rest_int.h"
#include "core/fileio.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

/* GET /v1/config: no defaults, no overrides, no prefix */
void fl_rest_config(struct rest_call *c) {
    json_t *o = json_object();
    json_object_set_new(o, "defaults", json_object());
    json_object_set_new(o, "overrides", json_object());
    fl_ingest_resp_json(c->resp, 200, o);
}

/* GET /v1/namespaces/{ns}/tables */
void fl_rest_table_list(struct rest_call *c) {
    struct fl_error err = {0};
    json_t *arr = json_array();
    fl_err_t rc = fl_catalog_table_list(c->rest->cat, c->ns, fl_rest_add_ident, arr, &err);
    if (rc) {
        json_decref(arr);
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_NAMESPACE);
    } else {
        fl_rest_page_reply(c, "identifiers", arr);
    }
}

/* A CreateTableRequest's write-order with fields as the updates that
 * add it and make it the default (into upd[0..1], freed by the caller);
 * how many. */
static int write_order_updates(json_t *wo, char **upd) {
    if (!json_is_object(wo) || json_array_size(json_object_get(wo, "fields")) == 0) return 0;
    json_t *add = json_pack("{s:s, s:O}", "action", "add-sort-order", "sort-order", wo);
    upd[0] = add ? json_dumps(add, JSON_COMPACT) : NULL;
    json_decref(add);
    upd[1] = strdup("{\"action\":\"set-default-sort-order\",\"sort-order-id\":-1}");
    return 2;
}

/* POST /v1/namespaces/{ns}/tables: CreateTableRequest {name, schema,
 * partition-spec, write-order, properties} */
void fl_rest_table_create(struct rest_call *c) {
    struct fl_error err = {0};
    const char *name = json_string_value(json_object_get(c->body, "name"));
    json_t *js = json_object_get(c->body, "schema");
    json_t *jp = json_object_get(c->body, "partition-spec");
    json_t *jw = json_object_get(c->body, "write-order");
    char *upd[2] = {NULL, NULL};
    int nupd = 0;
    char *stext = NULL, *ptext = NULL;
    struct fl_schema *schema = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_ice_table *tbl = NULL;
    const char **keys = NULL, **vals = NULL;
    struct fl_ice_kv *props = NULL;
    int np = 0;
    if (!name || !json_is_object(js) || (jp && !json_is_object(jp) && !json_is_null(jp)) ||
        (jw && !json_is_object(jw) && !json_is_null(jw))) {
        fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST,
                             "CreateTableRequest needs name and schema (and an object "
                             "partition-spec and write-order)");
        goto out;
    }
    if (fl_rest_string_map(c, json_object_get(c->body, "properties"), "properties", &keys, &vals,
                           &np))
        goto out;
    props = fl_calloc((size_t)np + 1, sizeof(*props));
    for (int i = 0; i < np; i++) props[i] = (struct fl_ice_kv){keys[i], vals[i]};
    stext = json_dumps(js, JSON_COMPACT);
    fl_err_t rc = stext ? fl_schema_parse(stext, strlen(stext), &schema, &err) : FL_ERR_NOMEM;
    if (!rc && json_is_object(jp)) {
        ptext = json_dumps(jp, JSON_COMPACT);
        rc = ptext ? fl_ice_spec_parse(ptext, strlen(ptext), &spec, &err) : FL_ERR_NOMEM;
    }
    if (!rc) rc = fl_catalog_ns_exists(c->rest->cat, c->ns, &err);
    if (!rc) {
        nupd = write_order_updates(jw, upd);
        if (nupd && (!upd[0] || !upd[1])) rc = fl_errf(&err, FL_ERR_NOMEM, "write-order");
    }
    if (!rc)
        rc = fl_ice_table_create_with(c->rest->store, fl_catalog_ice(c->rest->cat), c->ns, name,
                                      schema, spec, props, np, (const char *const *)upd, nupd, &tbl,
                                      &err);
    if (rc)
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_NAMESPACE);
    else
        fl_ingest_resp_json(c->resp, 200, fl_rest_load_result(tbl));
out:
    fl_ice_table_free(tbl);
    fl_ice_spec_free(spec);
    fl_schema_free(schema);
    free(stext);
    free(ptext);
    free(upd[0]);
    free(upd[1]);
    fl_free(keys);
    fl_free(vals);
    fl_free(props);
}

/* POST /v1/namespaces/{ns}/register: RegisterTableRequest {name,
 * metadata-location, overwrite}. The metadata file must be inside the
 * warehouse and parse as table metadata; overwrite swaps an existing
 * table's location by the same compare-and-swap as a commit. */
void fl_rest_table_register(struct rest_call *c) {
    struct fl_error err = {0};
    const char *name = json_string_value(json_object_get(c->body, "name"));
    const char *loc = json_string_value(json_object_get(c->body, "metadata-location"));
    json_t *ow = json_object_get(c->body, "overwrite");
    struct fl_ice_table *tbl = NULL;
    if (!name || !loc || (ow && !json_is_boolean(ow))) {
        fl_ingest_resp_error(
            c->resp, FL_INGEST_E_ICE_BAD_REQUEST,
            "RegisterTableRequest needs name and metadata-location (and a boolean overwrite)");
        goto out;
    }
    const char *root = fl_store_uri(c->rest->store);
    size_t rl = strlen(root);
    if (strncmp(loc, root, rl) || !loc[rl] || strstr(loc, "/../") || strstr(loc, "/./")) {
        fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST,
                             "metadata-location must be a metadata file inside the warehouse");
        goto out;
    }
    fl_err_t rc = fl_path_check_name("table", name, &err);
    if (!rc) rc = fl_ice_table_load_path(c->rest->store, loc + rl, &tbl, &err);
    if (rc == FL_ERR_NOTFOUND || rc == FL_ERR_CORRUPT || rc == FL_ERR_UNSUPPORTED)
        rc = FL_ERR_INVALID; /* the request's file, not the table, is wrong */
    fl_ice_table_free(tbl);
    tbl = NULL;
    if (!rc) rc = fl_catalog_ns_exists(c->rest->cat, c->ns, &err);
    if (rc) {
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_NAMESPACE);
        goto out;
    }
    rc = fl_catalog_table_create(c->rest->cat, c->ns, name, loc, &err);
    if (rc == FL_ERR_EXISTS && json_is_true(ow)) {
        char cur[4096];
        fl_err_clear(&err);
        rc = fl_catalog_table_load(c->rest->cat, c->ns, name, cur, sizeof(cur), &err);
        if (!rc) rc = fl_catalog_table_commit(c->rest->cat, c->ns, name, cur, loc, &err);
    }
    if (!rc)
        rc = fl_ice_table_load(c->rest->store, fl_catalog_ice(c->rest->cat), c->ns, name, &tbl,
                               &err);
    if (rc)
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_TABLE);
    else
        fl_ingest_resp_json(c->resp, 200, fl_rest_load_result(tbl));
out:
    fl_ice_table_free(tbl);
}

/* GET|HEAD /v1/namespaces/{ns}/tables/{table} */
void fl_rest_table_load(struct rest_call *c) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    fl_err_t rc =
        fl_ice_table_load(c->rest->store, fl_catalog_ice(c->rest->cat), c->ns, c->name, &tbl, &err);
    if (rc)
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_TABLE);
    else if (!strcmp(c->method, "HEAD"))
        fl_rest_no_content(c);
    else
        fl_ingest_resp_json(c->resp, 200, fl_rest_load_result(tbl));
    fl_ice_table_free(tbl);
}

/* DELETE /v1/namespaces/{ns}/tables/{table} */
void fl_rest_table_drop(struct rest_call *c) {
    struct fl_error err = {0};
    fl_err_t rc = fl_catalog_table_drop(c->rest->cat, c->ns, c->name, &err);
    if (rc)
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_TABLE);
    else
        fl_rest_no_content(c);
}

/* POST /v1/namespaces/{ns}/tables/{table}/metrics: ReportMetricsRequest,
 * accepted when the table exists; floe keeps no metrics */
void fl_rest_table_metrics(struct rest_call *c) {
    struct fl_error err = {0};
    char loc[4096];
    fl_err_t rc = FL_OK;
    if (!json_is_object(c->body))
        fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST,
                             "ReportMetricsRequest needs a body");
    else if ((rc = fl_catalog_table_load(c->rest->cat, c->ns, c->name, loc, sizeof(loc), &err)))
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_TABLE);
    else
        fl_rest_no_content(c);
}

/* POST /v1/tables/rename: RenameTableRequest {source, destination} */
void fl_rest_table_rename(struct rest_call *c) {
    struct fl_error err = {0};
    char sns[REST_NS_MAX], dns[REST_NS_MAX];
    fl_err_t rc;
    json_t *src = json_object_get(c->body, "source"),
           *dst = json_object_get(c->body, "destination");
    const char *sn = json_string_value(json_object_get(src, "name"));
    const char *dn = json_string_value(json_object_get(dst, "name"));
    if (!sn || !dn || fl_rest_ns_from_json(json_object_get(src, "namespace"), sns, sizeof(sns)) ||
        fl_rest_ns_from_json(json_object_get(dst, "namespace"), dns, sizeof(dns))) {
        fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST,
                             "RenameTableRequest needs source and destination");
    } else if ((rc = fl_catalog_ns_exists(c->rest->cat, dns, &err))) {
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_NAMESPACE);
    } else if ((rc = fl_catalog_table_rename(c->rest->cat, sns, sn, dns, dn, &err))) {
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_TABLE);
    } else {
        fl_rest_no_content(c);
    }
}
