/*
 * routes_sql.c - POST /sql: one read-only SQL statement in a JSON body,
 * rows out as JSON, for dashboards and scripts. Body:
 *   {"query": "SELECT ...", "limit": 10000, "timeout_ms": 10000}
 * Reply 200: {"columns": [...], "rows": [[...], ...], "truncated": false,
 *             "elapsed_ms": 12}
 * Errors (errors.h): 400 40001 bad body, 40010 does not compile (with
 * "offset"), 40011 not exactly one statement, 40012 failed while
 * running; 403 40301 not a read (the reply names what was refused); 408
 * 40801 past timeout_ms; 500 50001 the catalog could not be opened.
 *
 * How it works: each request opens its own SQLite connection over the
 * catalog (so it sees the newest commits; sql/sql_db.c ATTACHes one
 * in-memory schema per namespace), then locks it down before the
 * client's text is compiled: loading extensions is switched off, the
 * connection is made defensive, and an authorizer (sqlite3_set_authorizer)
 * allows only reads: SELECT, reading columns, recursive CTEs, functions
 * but those that touch files or load code, and the introspection pragmas
 * of INTROSPECT (also as table-valued functions, pragma_table_info('t')).
 * Everything else - ATTACH and DETACH (which sqlite3_stmt_readonly calls
 * read-only: ATTACH creates a file), other pragmas, INSERT, UPDATE,
 * DELETE, CREATE, DROP, ALTER, transactions, savepoints, ANALYZE - is
 * refused while compiling, and the reply says which action was.
 * sqlite3_stmt_readonly stays as a second check, and the maintenance
 * statements (REINDEX, VACUUM, ANALYZE), whose whole-database forms reach
 * no authorizer action, are refused by their first word. The statement
 * runs under a row limit, a cap on the size of any value it makes
 * (SQLITE_LIMIT_LENGTH) and a deadline enforced by SQLite's progress
 * handler.
 */
#include "ingest/ingest_int.h"
#include "core/mem.h"
#include "core/time.h"
#include "sql/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SQL_LIMIT_MAX 100000
#define SQL_TIMEOUT_MAX_MS 60000
/* The largest string or blob a statement may make (SQLite's default is
 * 1 GB): zeroblob(1e9) or a runaway group_concat fails with "string or
 * blob too big" instead of taking the memory. Each value is also bounded
 * by the reply cap when it is sent. */
#define SQL_VALUE_MAX (16 << 20)

/* Pragmas that only describe the schema: none has a form that writes. */
static const char *const INTROSPECT[] = {
    "table_info",     "table_xinfo",   "table_list",       "index_list",
    "index_info",     "index_xinfo",   "foreign_key_list", "database_list",
    "collation_list", "function_list", "module_list",      "pragma_list",
};

/* Functions that read or write files or load code, when some extension
 * provides them (load_extension is also switched off). */
static const char *const DENIED_FUNCTIONS[] = {
    "load_extension", "readfile", "writefile", "edit", "fts3_tokenizer", "lsdir", "zipfile",
};

/* The name of a refused authorizer action, for the reply. */
static const char *action_name(int action) {
    static const struct {
        int action;
        const char *name;
    } names[] = {
        {SQLITE_ATTACH, "ATTACH"},
        {SQLITE_DETACH, "DETACH"},
        {SQLITE_PRAGMA, "PRAGMA"},
        {SQLITE_INSERT, "INSERT"},
        {SQLITE_UPDATE, "UPDATE"},
        {SQLITE_DELETE, "DELETE"},
        {SQLITE_TRANSACTION, "a transaction"},
        {SQLITE_SAVEPOINT, "SAVEPOINT"},
        {SQLITE_REINDEX, "REINDEX"},
        {SQLITE_ANALYZE, "ANALYZE"},
        {SQLITE_ALTER_TABLE, "ALTER TABLE"},
        {SQLITE_FUNCTION, "the function"},
        {SQLITE_CREATE_TABLE, "CREATE TABLE"},
        {SQLITE_CREATE_TEMP_TABLE, "CREATE TEMP TABLE"},
        {SQLITE_CREATE_INDEX, "CREATE INDEX"},
        {SQLITE_CREATE_TEMP_INDEX, "CREATE TEMP INDEX"},
        {SQLITE_CREATE_VIEW, "CREATE VIEW"},
        {SQLITE_CREATE_TEMP_VIEW, "CREATE TEMP VIEW"},
        {SQLITE_CREATE_TRIGGER, "CREATE TRIGGER"},
        {SQLITE_CREATE_TEMP_TRIGGER, "CREATE TEMP TRIGGER"},
        {SQLITE_CREATE_VTABLE, "CREATE VIRTUAL TABLE"},
        {SQLITE_DROP_TABLE, "DROP TABLE"},
        {SQLITE_DROP_TEMP_TABLE, "DROP TEMP TABLE"},
        {SQLITE_DROP_INDEX, "DROP INDEX"},
        {SQLITE_DROP_TEMP_INDEX, "DROP TEMP INDEX"},
        {SQLITE_DROP_VIEW, "DROP VIEW"},
        {SQLITE_DROP_TEMP_VIEW, "DROP TEMP VIEW"},
        {SQLITE_DROP_TRIGGER, "DROP TRIGGER"},
        {SQLITE_DROP_TEMP_TRIGGER, "DROP TEMP TRIGGER"},
        {SQLITE_DROP_VTABLE, "DROP VIRTUAL TABLE"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].action == action) return names[i].name;
    return "an action that is not a read";
}

static bool listed(const char *const *list, size_t n, const char *name) {
    for (size_t i = 0; name && i < n; i++)
        if (!strcasecmp(list[i], name)) return true;
    return false;
}

/* The authorizer's context: the first action it refused, for the reply. */
struct guard {
    char refused[256];
};

static bool schema_table(const char *name) {
    return name && (!strcmp(name, "sqlite_master") || !strcmp(name, "sqlite_temp_master"));
}

static int authorize(void *ctx, int action, const char *a1, const char *a2, const char *db,
                     const char *trigger) {
    (void)db, (void)trigger;
    struct guard *g = ctx;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_FUNCTION:
        if (!listed(DENIED_FUNCTIONS, sizeof(DENIED_FUNCTIONS) / sizeof(DENIED_FUNCTIONS[0]), a2))
            return SQLITE_OK;
        break;
    case SQLITE_PRAGMA:
        if (listed(INTROSPECT, sizeof(INTROSPECT) / sizeof(INTROSPECT[0]), a1)) return SQLITE_OK;
        break;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        /* The schema table: SQLite asks UPDATE of each of its columns when
         * a statement first uses an eponymous virtual table (SELECT * FROM
         * pragma_table_info('t')), and INSERT or DELETE before the CREATE
         * or DROP action that would write it, which is refused and named
         * in the reply. Writing the schema table directly stays
         * impossible: SQLite refuses it without PRAGMA writable_schema
         * (refused here), the connection is defensive, and such a
         * statement is not read-only (refused after compiling). */
        if (schema_table(a1)) return SQLITE_OK;
        break;
    default:
        break;
    }
    if (!g->refused[0]) {
        /* a1/a2 name the object: the file of an ATTACH, the table of a
         * DELETE, the pragma, the function */
        const char *obj = action == SQLITE_FUNCTION ? a2 : a1;
        const char *arg = action == SQLITE_PRAGMA ? a2 : NULL;
        int n = snprintf(g->refused, sizeof(g->refused), "%s", action_name(action));
        if (obj) n += snprintf(g->refused + n, sizeof(g->refused) - (size_t)n, " '%.100s'", obj);
        if (arg) snprintf(g->refused + n, sizeof(g->refused) - (size_t)n, " (%.100s)", arg);
    }
    return SQLITE_DENY;
}

static int past_deadline(void *arg) { return fl_time_mono_us() > *(const int64_t *)arg; }

/* Reads a JSON number member that must be an integer in [lo, hi] (def when
 * absent); -1 when present but not such an integer. */
static int int_member(json_t *o, const char *key, json_int_t def, json_int_t lo, json_int_t hi,
                      json_int_t *out) {
    json_t *v = json_object_get(o, key);
    if (!v) return *out = def, 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) return -1;
    *out = json_integer_value(v);
    return 0;
}

/* The row's columns as JSON values (blobs as hex). */
static json_t *row_json(sqlite3_stmt *stmt, int ncol) {
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
    return row;
}

/* The first word of a statement, after blanks and comments (for a
 * refusal that has no authorizer action). */
static void first_word(const char *sql, char *out, size_t outsz) {
    for (;;) {
        sql += strspn(sql, " \t\r\n(");
        if (sql[0] == '-' && sql[1] == '-')
            sql += strcspn(sql, "\n");
        else if (sql[0] == '/' && sql[1] == '*' && strstr(sql + 2, "*/"))
            sql = strstr(sql + 2, "*/") + 2;
        else
            break;
    }
    size_t n = strcspn(sql, " \t\r\n;(-/");
    snprintf(out, outsz, "%.*s", (int)(n < 40 ? n : 40), sql);
}

/* Statements whose whole-database forms (bare REINDEX, VACUUM, ANALYZE)
 * reach no authorizer action: refused by their first word. */
static bool maintenance(const char *word) {
    static const char *const words[] = {"REINDEX", "VACUUM", "ANALYZE"};
    return listed(words, sizeof(words) / sizeof(words[0]), word);
}

void fl_ingest_route_sql(struct fl_ingest *ing, const struct fl_ingest_call *call,
                         struct fl_ingest_resp *resp) {
    int64_t t0 = fl_time_mono_us();
    struct fl_error err = {0};
    struct fl_sql *sql = NULL;
    sqlite3_stmt *stmt = NULL;
    char *prepared = NULL; /* query with typed literals made plain (fl_sql_text_dup) */
    json_t *cols = NULL, *rows = NULL;
    struct guard guard = {{0}};
    json_error_t je;
    json_t *req = json_loadb((const char *)call->req->body, call->req->body_len, 0, &je);
    const char *query = json_string_value(json_object_get(req, "query"));
    json_int_t limit, timeout;
    if (!json_is_object(req) || !query) {
        fl_ingest_resp_error(resp, FL_INGEST_E_BAD_REQUEST, "body must be {\"query\": \"...\"}");
        goto out;
    }
    if (int_member(req, "limit", 10000, 0, SQL_LIMIT_MAX, &limit) ||
        int_member(req, "timeout_ms", 10000, 1, SQL_TIMEOUT_MAX_MS, &timeout)) {
        fl_ingest_resp_error(resp, FL_INGEST_E_BAD_REQUEST,
                             "limit must be an integer 0..%d and timeout_ms 1..%d", SQL_LIMIT_MAX,
                             SQL_TIMEOUT_MAX_MS);
        goto out;
    }
    if (fl_sql_open_log(ing->cfg.sql.store, ing->cfg.sql.cat, ing->cfg.sql.log, NULL, &sql, &err)) {
        fl_ingest_resp_error(resp, FL_INGEST_E_INTERNAL, "%s", err.msg);
        goto out;
    }
    sqlite3 *db = fl_sql_db(sql);
    /* floe's own ATTACHes are done: from here on, reads only */
    sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_set_authorizer(db, authorize, &guard);
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, SQL_VALUE_MAX);
    int64_t deadline = t0 + (int64_t)timeout * 1000;
    sqlite3_progress_handler(db, 1000, past_deadline, &deadline);
    const char *tail = NULL;
    prepared = fl_sql_text_dup(query);
    int rc = sqlite3_prepare_v2(db, prepared, -1, &stmt, &tail);
    if (rc != SQLITE_OK && guard.refused[0]) {
        fl_ingest_resp_error(resp, FL_INGEST_E_READ_ONLY, "POST /sql is read-only: %s refused",
                             guard.refused);
        goto out;
    }
    if (rc != SQLITE_OK) {
        char at[32];
        snprintf(at, sizeof(at), "\"offset\":%d", sqlite3_error_offset(db));
        fl_ingest_resp_error_with(resp, FL_INGEST_E_SQL_SYNTAX,
                                  sqlite3_error_offset(db) >= 0 ? at : NULL, "%s",
                                  sqlite3_errmsg(db));
        goto out;
    }
    tail += strspn(tail, " \n\r\t;");
    if (!stmt || *tail) {
        fl_ingest_resp_error(resp, FL_INGEST_E_SQL_MULTI, "exactly one SQL statement per request");
        goto out;
    }
    char word[48];
    first_word(query, word, sizeof(word));
    if (!sqlite3_stmt_readonly(stmt) || maintenance(word)) {
        fl_ingest_resp_error(resp, FL_INGEST_E_READ_ONLY,
                             "POST /sql is read-only: %s refused (it writes)", word);
        goto out;
    }
    fl_sql_shortcut(sql, &stmt);
    cols = json_array();
    rows = json_array();
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
        json_array_append_new(rows, row_json(stmt, ncol));
        n++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        if (guard.refused[0]) /* e.g. a pragma table-valued function */
            fl_ingest_resp_error(resp, FL_INGEST_E_READ_ONLY, "POST /sql is read-only: %s refused",
                                 guard.refused);
        else if (rc == SQLITE_INTERRUPT)
            fl_ingest_resp_error(resp, FL_INGEST_E_TIMEOUT, "the query ran past timeout_ms");
        else
            fl_ingest_resp_error(resp, FL_INGEST_E_SQL_RUN, "%s", sqlite3_errmsg(db));
        goto out;
    }
    json_t *o = json_object();
    json_object_set_new(o, "columns", cols);
    json_object_set_new(o, "rows", rows);
    cols = rows = NULL;
    json_object_set_new(o, "truncated", json_boolean(truncated));
    json_object_set_new(o, "elapsed_ms", json_integer((fl_time_mono_us() - t0) / 1000));
    fl_ingest_resp_json(resp, 200, o);
out:
    json_decref(cols);
    json_decref(rows);
    sqlite3_finalize(stmt);
    fl_free(prepared);
    fl_sql_free(sql);
    json_decref(req);
}
