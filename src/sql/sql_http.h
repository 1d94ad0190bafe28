/*
 * sql_http.h - POST /sql: one SQL statement in a JSON body, rows out as
 * JSON, for dashboards and scripts (issue 6). Body:
 *   {"query": "SELECT ...", "limit": 10000, "timeout_ms": 10000}
 * Reply 200: {"columns": [...], "rows": [[...], ...], "truncated": false,
 *             "elapsed_ms": 12}
 * Errors: 400 {"error_code": 40001, "message": "...", "offset": N} for a
 * bad request or query, 408 when the time limit ran out.
 */
#ifndef FL_SQL_SQL_HTTP_H
#define FL_SQL_SQL_HTTP_H

#include "catalog/catalog.h"
#include "core/buf.h"
#include "log/log.h"
#include "store/store.h"

#define FL_SQL_HTTP_LIMIT_MAX 100000
#define FL_SQL_HTTP_TIMEOUT_MAX_MS 60000

/* Runs the request's query over the catalog's tables (as they are now)
 * and, when log is not NULL, the log's topics (topic.NAME; the log is
 * shared, borrowed); *status and out get the reply. Thread-safe: each
 * call has its own SQLite connection. */
void fl_sql_http_handle(struct fl_store *st, struct fl_catalog *cat, struct fl_log *log,
                        const char *body, size_t len, int *status, struct fl_buf *out);

#endif
