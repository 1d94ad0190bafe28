/*
 * catalog_sqlite.c - the SQLite backend of the catalog (Debian's
 * libsqlite3): WAL journal, synchronous=FULL so a commit that returned
 * survives power loss, a busy timeout so several floe processes on one
 * machine can share the file, BEGIN IMMEDIATE for write transactions.
 */
#include "catalog/catalog_int.h"

#include <sqlite3.h>
#include <stdio.h>

#define BUSY_TIMEOUT_MS 10000

static fl_err_t sq_err(sqlite3 *db, struct fl_error *err, const char *what) {
    int code = sqlite3_extended_errcode(db);
    fl_err_t rc = code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE
                      ? FL_ERR_EXISTS
                      : FL_ERR_IO;
    return fl_errf(err, rc, "sqlite catalog: %s: %s", what, sqlite3_errmsg(db));
}

fl_err_t fl_catalog_sqlite_open(const char *path, void **conn, struct fl_error *err) {
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK) {
        fl_errf(err, FL_ERR_IO, "sqlite catalog %s: %s", path,
                db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return FL_ERR_IO;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    char *msg = NULL;
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL, &msg) !=
        SQLITE_OK) {
        fl_errf(err, FL_ERR_IO, "sqlite catalog %s: %s", path, msg ? msg : "pragma failed");
        sqlite3_free(msg);
        sqlite3_close(db);
        return FL_ERR_IO;
    }
    *conn = db;
    return FL_OK;
}

/* One statement under the connection's mutex: the connection is shared by
 * floe up's threads (pipelines, maintenance, REST), and without the lock
 * sqlite3_changes could count another thread's statement, so that a
 * commit whose compare-and-swap succeeded read 0 rows changed, reported
 * a conflict and deleted the metadata file the catalog now names (found
 * by e2e/up_maintenance.sh: a pipeline and expiry committing at once). */
static fl_err_t sq_exec_locked(sqlite3 *db, const char *sql, const char *const *params, int nparams,
                               fl_catalog_row_fn row, void *ctx, long *changes,
                               struct fl_error *err) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return sq_err(db, err, "prepare");
    for (int i = 0; i < nparams; i++) {
        int b = params[i] ? sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT)
                          : sqlite3_bind_null(st, i + 1);
        if (b != SQLITE_OK) {
            sqlite3_finalize(st);
            return sq_err(db, err, "bind");
        }
    }
    fl_err_t rc = FL_OK;
    for (;;) {
        int s = sqlite3_step(st);
        if (s == SQLITE_DONE) break;
        if (s != SQLITE_ROW) {
            rc = sq_err(db, err, "step");
            break;
        }
        if (!row) continue;
        int n = sqlite3_column_count(st);
        const char *cols[16];
        if (n > 16) n = 16;
        for (int i = 0; i < n; i++) cols[i] = (const char *)sqlite3_column_text(st, i);
        if (row(ctx, cols, n)) break;
    }
    if (changes) *changes = sqlite3_changes(db);
    sqlite3_finalize(st);
    return rc;
}

static fl_err_t sq_exec(void *conn, const char *sql, const char *const *params, int nparams,
                        fl_catalog_row_fn row, void *ctx, long *changes, struct fl_error *err) {
    sqlite3 *db = conn;
    sqlite3_mutex_enter(sqlite3_db_mutex(db)); /* recursive under SQLITE_OPEN_FULLMUTEX */
    fl_err_t rc = sq_exec_locked(db, sql, params, nparams, row, ctx, changes, err);
    sqlite3_mutex_leave(sqlite3_db_mutex(db));
    return rc;
}

static fl_err_t sq_simple(void *conn, const char *sql, struct fl_error *err) {
    sqlite3 *db = conn;
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fl_errf(err, FL_ERR_IO, "sqlite catalog: %s: %s", sql, msg ? msg : "failed");
        sqlite3_free(msg);
        return FL_ERR_IO;
    }
    return FL_OK;
}

static fl_err_t sq_begin(void *conn, struct fl_error *err) {
    return sq_simple(conn, "BEGIN IMMEDIATE", err);
}

static fl_err_t sq_commit(void *conn, struct fl_error *err) {
    return sq_simple(conn, "COMMIT", err);
}

static void sq_rollback(void *conn) { sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL); }

static void sq_close(void *conn) { sqlite3_close(conn); }

const struct fl_catalog_driver fl_catalog_sqlite_driver = {
    .name = "sqlite",
    .exec = sq_exec,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .close = sq_close,
};
