/*
 * catalog_int.h - what catalog.c needs from a SQL backend: run one
 * statement with text parameters ("?" placeholders, rewritten by the
 * driver when its dialect differs) and hand back rows as text. All
 * catalog logic lives in catalog.c, written once for every backend.
 */
#ifndef FL_CATALOG_CATALOG_INT_H
#define FL_CATALOG_CATALOG_INT_H

#include "core/err.h"

/* One result row; cols[i] is NULL for SQL NULL. Non-zero stops. */
typedef int (*fl_catalog_row_fn)(void *ctx, const char *const *cols, int ncols);

struct fl_catalog_driver {
    const char *name;
    /* Runs sql with params; rows go to row (may be NULL); *changes gets
     * the number of rows an INSERT/UPDATE/DELETE touched. A unique-key
     * violation returns FL_ERR_EXISTS. FL_ERR_CONFLICT means the database
     * aborted the open transaction (serialization failure, deadlock, lost
     * connection) and the caller may run it again from begin(). */
    fl_err_t (*exec)(void *conn, const char *sql, const char *const *params, int nparams,
                     fl_catalog_row_fn row, void *ctx, long *changes, struct fl_error *err);
    /* A write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL:
     * SERIALIZABLE). commit() may also return FL_ERR_CONFLICT. */
    fl_err_t (*begin)(void *conn, struct fl_error *err);
    fl_err_t (*commit)(void *conn, struct fl_error *err);
    void (*rollback)(void *conn);
    void (*close)(void *conn);
};

/* Opens a SQLite database file (created if missing). */
fl_err_t fl_catalog_sqlite_open(const char *path, void **conn, struct fl_error *err);
extern const struct fl_catalog_driver fl_catalog_sqlite_driver;

/* Connects to PostgreSQL with a libpq connection string or URI
 * ("postgresql://user@host:port/db?sslmode=disable"). */
fl_err_t fl_catalog_pg_open(const char *uri, void **conn, struct fl_error *err);
extern const struct fl_catalog_driver fl_catalog_pg_driver;

#endif
