/*
 * rest.h - the Iceberg REST catalog protocol (apache/iceberg
 * open-api/rest-catalog-open-api.yaml) served from floe's catalog, so
 * Trino, Spark, DuckDB, PyIceberg and iceberg-js use floe's tables.
 *
 * One socket-free entry point: the HTTP server hands over method, path
 * (without the query), query string and body; the reply is a status and a
 * JSON body (errors in the spec's ErrorModel: {"error":{"message","type","code"}}).
 * Commits from outside go through fl_ice_table_commit_meta, the same
 * compare-and-swap as floe's own pipelines: requirements are checked
 * against the newest base on every retry, so nobody's snapshot is lost.
 */
#ifndef FL_CATALOG_REST_H
#define FL_CATALOG_REST_H

#include "catalog/catalog.h"
#include "core/buf.h"
#include "store/store.h"

struct fl_rest {
    struct fl_store *store; /* borrowed: the warehouse */
    struct fl_catalog *cat; /* borrowed */
    const char *token;      /* when set, "Authorization: Bearer <token>" is required */
};

/* Handles one request under /v1/...; *status gets the HTTP status and out
 * the JSON body (empty for 204). authorization is the request's
 * Authorization header or NULL. */
void fl_rest_handle(struct fl_rest *rest, const char *method, const char *path, const char *query,
                    const char *authorization, const char *body, size_t len, int *status,
                    struct fl_buf *out);

#endif
