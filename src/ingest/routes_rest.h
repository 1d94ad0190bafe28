/*
 * routes_rest.h - the Iceberg REST catalog protocol (apache/iceberg
 * open-api/rest-catalog-open-api.yaml) served under /v1/ from floe's
 * catalog, so Trino, Spark, DuckDB, PyIceberg and iceberg-js use floe's
 * tables. The router (router.c) serves it when fl_ingest_config.rest is
 * set; routes_rest.c dispatches, routes_rest_namespaces.c and
 * routes_rest_tables.c answer, routes_rest_commit.c checks and applies
 * commits.
 *
 * Errors are in the spec's ErrorModel ({"error":{"message","type","code"}})
 * through the router's one error helper and table (errors.h). Commits
 * from outside go through fl_ice_table_commit_meta, the same
 * compare-and-swap as floe's own pipelines: requirements are checked
 * against the newest base on every retry, so nobody's snapshot is lost.
 */
#ifndef FL_INGEST_ROUTES_REST_H
#define FL_INGEST_ROUTES_REST_H

#include "catalog/catalog.h"
#include "ingest/ingest.h"
#include "store/store.h"

struct fl_rest {
    struct fl_store *store; /* borrowed: the warehouse */
    struct fl_catalog *cat; /* borrowed */
    const char *token;      /* when set, "Authorization: Bearer <token>" is required */
};

/* Answers one request under /v1/ into resp (initialized by the caller):
 * path is the raw path without the query ("/v1/namespaces/a%1Fb"),
 * query the raw query string or NULL, authorization the request's
 * Authorization header or NULL. The body of a 204 is empty. The router
 * calls it; tests and the fuzz target call it directly. */
void fl_ingest_rest_handle(struct fl_rest *rest, const char *method, const char *path,
                           const char *query, const char *authorization, const uint8_t *body,
                           size_t len, struct fl_ingest_resp *resp);

#endif
