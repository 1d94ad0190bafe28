/*
 * routes_rest_int.h - what the files of the Iceberg REST catalog share:
 * the parsed call each handler receives, the table of routes, and the
 * helpers for namespaces, pages and errors (routes_rest.c).
 */
#ifndef FL_INGEST_ROUTES_REST_INT_H
#define FL_INGEST_ROUTES_REST_INT_H

#include "ingest/ingest_int.h"
#include "ingest/routes_rest.h"

#include "iceberg/table.h"

#include <jansson.h>

#define REST_NS_MAX 512   /* a namespace, dotted */
#define REST_NAME_MAX 256 /* a table name */

/* One request after routes_rest.c matched its route: {ns} and {table} of
 * the path decoded, the body parsed (NULL when empty). */
struct rest_call {
    struct fl_rest *rest;
    const char *method;
    const char *query; /* raw, "" when none */
    json_t *body;      /* borrowed: a JSON object or NULL */
    char ns[REST_NS_MAX];
    char name[REST_NAME_MAX];
    struct fl_ingest_resp *resp;
};

typedef void (*rest_handler)(struct rest_call *c);

/* Handlers: routes_rest_namespaces.c */
void fl_rest_ns_list(struct rest_call *c);
void fl_rest_ns_create(struct rest_call *c);
void fl_rest_ns_load(struct rest_call *c); /* GET and HEAD */
void fl_rest_ns_drop(struct rest_call *c);
void fl_rest_ns_props(struct rest_call *c);
/* routes_rest_tables.c */
void fl_rest_config(struct rest_call *c);
void fl_rest_table_list(struct rest_call *c);
void fl_rest_table_create(struct rest_call *c);
void fl_rest_table_register(struct rest_call *c);
void fl_rest_table_load(struct rest_call *c); /* GET and HEAD */
void fl_rest_table_drop(struct rest_call *c);
void fl_rest_table_metrics(struct rest_call *c);
void fl_rest_table_rename(struct rest_call *c);
/* routes_rest_commit.c */
void fl_rest_table_commit(struct rest_call *c);

/* Helpers (routes_rest.c). */
/* The error reply for a failed catalog or table call: 404 as notfound
 * (FL_INGEST_E_ICE_NO_NAMESPACE or _NO_TABLE), 409 exists or conflict,
 * 400 invalid or unsupported, else 500. */
void fl_rest_fail(struct rest_call *c, fl_err_t rc, const struct fl_error *err,
                  fl_ingest_ecode_t notfound);
/* A 204 with an empty body. */
void fl_rest_no_content(struct rest_call *c);
/* "a.b" -> ["a","b"] */
json_t *fl_rest_ns_levels(const char *dotted);
/* ["a","b"] -> "a.b" into out; -1 when not an array of non-empty levels
 * without '.', or too long. */
int fl_rest_ns_from_json(json_t *arr, char *out, size_t outsz);
/* A decoded namespace (levels joined by 0x1F) into the dotted form in
 * place; -1 when a level is empty or contains '.'. */
int fl_rest_ns_undot(char *ns);
/* Query parameter name, percent-decoded, into out: 1 present, 0 absent,
 * -1 malformed or longer than outsz - 1. */
int fl_rest_query(const struct rest_call *c, const char *name, char *out, size_t outsz);
/* Replies {key: a page of items, "next-page-token": ...} by the query's
 * pageToken and pageSize; takes items. */
void fl_rest_page_reply(struct rest_call *c, const char *key, json_t *items);
/* Catalog callbacks: add_ns appends levels to an array, add_prop sets
 * k: v on an object, add_ident appends {namespace, name}. */
int fl_rest_add_ns(void *ctx, const char *ns, const char *name);
int fl_rest_add_prop(void *ctx, const char *k, const char *v);
int fl_rest_add_ident(void *ctx, const char *ns, const char *name);
/* The members of obj (a JSON object, or absent: none) as keys and values,
 * arrays grown to fit (the caller frees both with fl_free; the strings
 * are obj's). Every value must be a string: else the reply is a 400
 * naming the key, and -1. Properties have no count limit: the request
 * body's cap (body_bytes) bounds them. */
int fl_rest_string_map(struct rest_call *c, json_t *obj, const char *what, const char ***keys,
                       const char ***vals, int *n);
/* LoadTableResult of tbl. */
json_t *fl_rest_load_result(struct fl_ice_table *tbl);

#endif
