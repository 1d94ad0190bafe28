/*
 * sql_http.c - POST /sql (see sql_http.h). Each request opens its own
 * SQLite connection over the catalog (so it sees the newest commits),
 * prepares exactly one statement, and steps it under a row limit and a
 * deadline enforced by SQLite's progress handler.
 */
#include "sql/sql_http.h"
#include "core/time.h"
#include "sql/sql.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply(int *status, struct fl_buf *out, int code, json_t *o) {
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    fl_buf_reset(out);
    if (s) fl_buf_append_str(out, s);
    free(s);
    *status = code;
}

static void error(int *status, struct fl_buf *out, int code, int ecode, const char *msg,
                  int offset) {
    json_t *o = json_object();
    json_object_set_new(o, "error_code", json_integer(ecode));
    json_object_set_new(o, "message", json_string(msg));
    if (offset >= 0) json_object_set_new(o, "offset", json_integer(offset));
    reply(status, out, code, o);
}

static int past_deadline(void *arg) { return fl_time_mono_us() > *(const int64_t *)arg; }

void fl_sql_http_handle(struct fl_store *st, struct fl_catalog *cat, struct fl_log *log,
                        const char *body, size_t len, int *status, struct fl_buf *out) {
    int64_t t0 = fl_time_mono_us();
    json_error_t je;
    json_t *req = json_loadb(body, len, 0, &je);
    const char *query = json_string_value(json_object_get(req, "query"));
    if (!json_is_object(req) || !query) {
        error(status, out, 400, 40001, "body must be {\"query\": \"...\"}", -1);
        json_decref(req);
        return;
    }
    json_int_t limit = json_is_integer(json_object_get(req, "limit"))
                           ? json_integer_value(json_object_get(req, "limit"))
                           : 10000;
    json_int_t timeout = json_is_integer(json_object_get(req, "timeout_ms"))
                             ? json_integer_value(json_object_get(req, "timeout_ms"))
                             : 10000;
    if (limit < 0 || limit > FL_SQL_HTTP_LIMIT_MAX || timeout < 1 ||
        timeout > FL_SQL_HTTP_TIMEOUT_MAX_MS) {
        error(status, out, 400, 40001, "limit must be 0..100000 and timeout_ms 1..60000", -1);
        json_decref(req);
        return;
    }
    struct fl_error err = {0};
    struct fl_sql *sql = NULL;
    if (fl_sql_open_log(st, cat, log, NULL, &sql, &err)) {
        error(status, out, 500, 50001, err.msg, -1);
        json_decref(req);
        return;
    }
    sqlite3 *db = fl_sql_db(sql);
    int64_t deadline = t0 + (int64_t)timeout * 1000;
    sqlite3_progress_handler(db, 1000, past_deadline, &deadline);
    sqlite3_stmt *stmt = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(db, query, -1, &stmt, &tail);
    if (rc != SQLITE_OK) {
        error(status, out, 400, 40002, sqlite3_errmsg(db), sqlite3_error_offset(db));
        goto done;
    }
    while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';')) tail++;
    if (!stmt || (tail && *tail)) {
        error(status, out, 400, 40003, "exactly one SQL statement per request", -1);
        goto done;
    }
    if (!sqlite3_stmt_readonly(stmt)) {
        error(status, out, 400, 40004, "only read-only statements are allowed", -1);
        goto done;
    }
    fl_sql_shortcut(sql, &stmt);
    json_t *cols = json_array(), *rows = json_array();
    int ncol = sqlite3_column_count(stmt);
    for (int c = 0; c < ncol; c++)
        json_array_append_new(cols, json_string(sqlite3_column_name(stmt, c)));
    json_int_t n = 0;
    int truncated = 0;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (n == limit) {
            truncated = 1;
            break;
        }
        json_t *row = json_array();
        for (int c = 0; c < ncol; c++) {
            switch (sqlite3_column_type(stmt, c)) {
            case SQLITE_INTEGER:
                json_array_append_new(row, json_integer(sqlite3_column_int64(stmt, c)));
                break;
            case SQLITE_FLOAT:
                json_array_append_new(row, json_real(sqlite3_column_double(stmt, c)));
                break;
            case SQLITE_TEXT:
                json_array_append_new(row, json_stringn((const char *)sqlite3_column_text(stmt, c),
                                                        (size_t)sqlite3_column_bytes(stmt, c)));
                break;
            case SQLITE_BLOB: {
                const unsigned char *b = sqlite3_column_blob(stmt, c);
                int bl = sqlite3_column_bytes(stmt, c);
                char *hex = malloc((size_t)bl * 2 + 1);
                for (int i = 0; hex && i < bl; i++) snprintf(hex + 2 * i, 3, "%02x", b[i]);
                if (hex) hex[2 * bl] = 0;
                json_array_append_new(row, hex ? json_string(hex) : json_null());
                free(hex);
                break;
            }
            default:
                json_array_append_new(row, json_null());
            }
        }
        json_array_append_new(rows, row);
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        json_decref(cols);
        json_decref(rows);
        if (rc == SQLITE_INTERRUPT)
            error(status, out, 408, 40801, "the query ran past timeout_ms", -1);
        else
            error(status, out, 400, 40005, sqlite3_errmsg(db), -1);
        goto done;
    }
    json_t *o = json_object();
    json_object_set_new(o, "columns", cols);
    json_object_set_new(o, "rows", rows);
    json_object_set_new(o, "truncated", json_boolean(truncated));
    json_object_set_new(o, "elapsed_ms", json_integer((fl_time_mono_us() - t0) / 1000));
    reply(status, out, 200, o);
done:
    sqlite3_finalize(stmt);
    fl_sql_free(sql);
    json_decref(req);
}
