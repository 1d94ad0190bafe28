/*
 * sql_count.c - `SELECT count(*) FROM t` answered from manifest record
 * counts, without SQLite stepping a row per record.
 *
 * How it works: a virtual table cannot return an aggregate, so even when
 * the "floe" cursor counts rows from the manifests (sql_vtab.c) SQLite
 * calls xNext once per row. This file recognises one statement shape
 * before it runs, and three checks must all agree or the statement runs
 * unchanged (the general path):
 *   1. the text is exactly SELECT count(*) FROM name (name may be
 *      schema-qualified and quoted; comments and a final ';' allowed):
 *      no WHERE, GROUP BY, HAVING, LIMIT, join, table-valued arguments;
 *   2. SQLite's authorizer, while a copy is prepared, reports exactly one
 *      SELECT, one call of count and one read of a table with no column
 *      (a view would add a SELECT, a filter a column or function);
 *   3. the copy is stepped with the environment's count_probe set: every
 *      cursor yields no row; the "floe" cursor that SQLite's own name
 *      resolution opened counts a hit only for a plain COUNT(*) of the
 *      current snapshot without delete files and leaves the count
 *      (sql_int.h). Exactly one hit and no miss is required.
 * The answer replaces the statement with `SELECT ?1 AS "<column name>"`,
 * so the result has the name, type and value the general path would give.
 */
#include "sql/sql_int.h"
#include "sql/sql_lex.h"

#include <stdio.h>
#include <string.h>

int fl_sql_count_shape(const char *sql) {
    size_t i = 0;
    if (!sql || !fl_sql_lex_keyword(sql, &i, "SELECT") || !fl_sql_lex_keyword(sql, &i, "count") ||
        !fl_sql_lex_punct(sql, &i, '(') || !fl_sql_lex_punct(sql, &i, '*') ||
        !fl_sql_lex_punct(sql, &i, ')') || !fl_sql_lex_keyword(sql, &i, "FROM") ||
        !fl_sql_lex_ident(sql, &i, NULL, 0))
        return 0;
    if (fl_sql_lex_punct(sql, &i, '.') && !fl_sql_lex_ident(sql, &i, NULL, 0)) return 0;
    fl_sql_lex_punct(sql, &i, ';');
    return sql[fl_sql_lex_space(sql, i)] == '\0';
}

struct auth_seen {
    int selects, counts, reads, others;
};

static int observe(void *ctx, int code, const char *a, const char *b, const char *db,
                   const char *trigger) {
    (void)db, (void)trigger;
    struct auth_seen *s = ctx;
    if (code == SQLITE_SELECT)
        s->selects++;
    else if (code == SQLITE_FUNCTION && b && sqlite3_stricmp(b, "count") == 0)
        s->counts++;
    else if (code == SQLITE_READ && a && b && b[0] == '\0')
        s->reads++;
    else
        s->others++;
    return SQLITE_OK;
}

int fl_sql_count_shortcut(struct fl_sql *sql, sqlite3_stmt **stmt) {
    if (!*stmt || !fl_sql_shortcuts_enabled() || !fl_sql_count_shape(sqlite3_sql(*stmt))) return 0;
    sqlite3 *db = fl_sql_db(sql);
    struct fl_sql_env *env = fl_sql_env_of(sql);
    struct auth_seen seen = {0, 0, 0, 0};
    sqlite3_stmt *copy = NULL, *answer = NULL;
    int done = 0;
    sqlite3_set_authorizer(db, observe, &seen);
    int rc = sqlite3_prepare_v2(db, sqlite3_sql(*stmt), -1, &copy, NULL);
    sqlite3_set_authorizer(db, NULL, NULL);
    if (rc != SQLITE_OK || !copy || seen.selects != 1 || seen.counts != 1 || seen.reads != 1 ||
        seen.others != 0 || sqlite3_column_count(copy) != 1)
        goto out;
    env->count_probe = 1;
    env->probe_hits = env->probe_misses = 0;
    rc = sqlite3_step(copy);
    env->count_probe = 0;
    if (rc != SQLITE_ROW || env->probe_hits != 1 || env->probe_misses != 0) goto out;
    /* the column name as the general path would give it */
    const char *name = sqlite3_column_name(*stmt, 0);
    char *q = sqlite3_mprintf("SELECT ?1 AS \"%w\"", name ? name : "count(*)");
    if (!q) goto out;
    rc = sqlite3_prepare_v2(db, q, -1, &answer, NULL);
    sqlite3_free(q);
    if (rc != SQLITE_OK || sqlite3_bind_int64(answer, 1, env->probe_count) != SQLITE_OK) goto out;
    sqlite3_finalize(*stmt);
    *stmt = answer;
    answer = NULL;
    done = 1;
out:
    env->count_probe = 0;
    sqlite3_finalize(copy);
    sqlite3_finalize(answer);
    return done;
}
