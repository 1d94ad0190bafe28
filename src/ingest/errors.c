/*
 * errors.c - the table of HTTP error codes (errors.h): code, status,
 * Iceberg exception type, meaning, ordered by status. The unit tests
 * check every code is unique, its status is code / 100, and that
 * docs/internals/ingest.md lists each one.
 */
#include "ingest/errors.h"

#include <stddef.h>

static const struct fl_ingest_errdef TABLE[] = {
    {FL_INGEST_E_BAD_REQUEST, 400, NULL, "malformed request target or body"},
    {FL_INGEST_E_BAD_NAME, 400, NULL, "bad file name or topic name"},
    {FL_INGEST_E_MISSING_PARAM, 400, NULL, "a required query parameter is missing"},
    {FL_INGEST_E_NOT_A_NUMBER, 400, NULL, "a parameter is not a decimal number"},
    {FL_INGEST_E_EMPTY_BODY, 400, NULL, "empty body"},
    {FL_INGEST_E_NOT_JSON, 400, NULL, "uploaded file is not JSON or not UTF-8"},
    {FL_INGEST_E_BAD_MULTIPART, 400, NULL, "bad or truncated multipart body"},
    {FL_INGEST_E_UNKNOWN_KIND, 400, NULL, "no upload kind for the file name"},
    {FL_INGEST_E_SQL_SYNTAX, 400, NULL, "POST /sql: the statement does not compile"},
    {FL_INGEST_E_SQL_MULTI, 400, NULL, "POST /sql: not exactly one statement"},
    {FL_INGEST_E_SQL_RUN, 400, NULL, "POST /sql: the statement failed while running"},
    {FL_INGEST_E_ICE_BAD_REQUEST, 400, "BadRequestException", "Iceberg REST: bad request"},
    {FL_INGEST_E_ICE_AUTH, 401, "NotAuthorizedException",
     "Iceberg REST: bearer token missing or wrong"},
    {FL_INGEST_E_UNAUTHORIZED, 401, NULL, "auth: no API key, or not a known one"},
    {FL_INGEST_E_READ_ONLY, 403, NULL, "POST /sql: refused, the statement is not a read"},
    {FL_INGEST_E_FORBIDDEN, 403, NULL, "auth: the key's role does not allow the route"},
    {FL_INGEST_E_ICE_FORBIDDEN, 403, "ForbiddenException",
     "Iceberg REST: the key's role does not allow the request"},
    {FL_INGEST_E_NOT_FOUND, 404, NULL, "no route"},
    {FL_INGEST_E_TOPIC_NOT_FOUND, 404, NULL, "unknown topic"},
    {FL_INGEST_E_PARTITION_NOT_FOUND, 404, NULL, "no such partition"},
    {FL_INGEST_E_ICE_NO_NAMESPACE, 404, "NoSuchNamespaceException",
     "Iceberg REST: no such namespace"},
    {FL_INGEST_E_ICE_NO_TABLE, 404, "NoSuchTableException", "Iceberg REST: no such table"},
    {FL_INGEST_E_ICE_NO_ROUTE, 404, "NoSuchRouteException", "Iceberg REST: no such route"},
    {FL_INGEST_E_METHOD, 405, NULL, "method not allowed on the route"},
    {FL_INGEST_E_ICE_METHOD, 405, "BadRequestException", "Iceberg REST: method not allowed"},
    {FL_INGEST_E_TIMEOUT, 408, NULL, "POST /sql: the query ran past timeout_ms"},
    {FL_INGEST_E_ICE_EXISTS, 409, "AlreadyExistsException", "Iceberg REST: already exists"},
    {FL_INGEST_E_ICE_COMMIT, 409, "CommitFailedException", "Iceberg REST: a requirement failed"},
    {FL_INGEST_E_ICE_NOT_EMPTY, 409, "NamespaceNotEmptyException",
     "Iceberg REST: namespace not empty"},
    {FL_INGEST_E_TOO_LARGE, 413, NULL, "body over body_bytes"},
    {FL_INGEST_E_TOO_MANY, 413, NULL, "more records than `records`"},
    {FL_INGEST_E_URI_TOO_LONG, 414, NULL,
     "request path (8 KiB) or a query value (4 KiB) over its cap"},
    {FL_INGEST_E_MEDIA_TYPE, 415, NULL, "Content-Type not accepted"},
    {FL_INGEST_E_INVALID_RECORDS, 422, NULL, "POST /topics body: not JSON, not UTF-8, bad record"},
    {FL_INGEST_E_HEADERS_TOO_LARGE, 431, NULL, "request line and headers over header_bytes"},
    {FL_INGEST_E_INTERNAL, 500, NULL, "anything else from the log, store or SQL engine"},
    {FL_INGEST_E_ICE_SERVICE, 500, "ServiceFailureException", "Iceberg REST: server failure"},
    {FL_INGEST_E_UNAVAILABLE, 503, NULL,
     "the log refused (disk cap or full): retry after Retry-After"},
};

const struct fl_ingest_errdef *fl_ingest_err_def(fl_ingest_ecode_t code) {
    const struct fl_ingest_errdef *internal = NULL;
    for (size_t i = 0; i < sizeof(TABLE) / sizeof(TABLE[0]); i++) {
        if (TABLE[i].code == code) return &TABLE[i];
        if (TABLE[i].code == FL_INGEST_E_INTERNAL) internal = &TABLE[i];
    }
    return internal;
}

const struct fl_ingest_errdef *fl_ingest_err_table(int *n) {
    *n = (int)(sizeof(TABLE) / sizeof(TABLE[0]));
    return TABLE;
}
