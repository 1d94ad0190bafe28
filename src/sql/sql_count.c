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

#include <stdio.h>
#include <string.h>

/* Skips whitespace and comments from s[i]. */
static size_t skip_space(const char *s, size_t i) {
    for (;;) {
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f') {
            i++;
        } else if (s[i] == '-' && s[i + 1] == '-') {
            while (s[i] && s[i] != '\n') i++;
        } else if (s[i] == '/' && s[i + 1] == '*') {
            const char *e = strstr(s + i + 2, "*/");
            if (!e) return strlen(s); /* SQLite accepts an unterminated final comment */
            i = (size_t)(e - s) + 2;
        } else {
            return i;
        }
    }
}

static int ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || (unsigned char)c >= 0x80;
}

/* Matches keyword kw (case-insensitive, not followed by an identifier
 * character) at s[*i] after space; advances past it. */
static int keyword(const char *s, size_t *i, const char *kw) {
    size_t j = skip_space(s, *i), n = strlen(kw);
    if (sqlite3_strnicmp(s + j, kw, (int)n) != 0 || ident_char(s[j + n])) return 0;
    *i = j + n;
    return 1;
}

static int punct(const char *s, size_t *i, char c) {
    size_t j = skip_space(s, *i);
    if (s[j] != c) return 0;
    *i = j + 1;
    return 1;
}

/* One identifier, bare or quoted ("", [], ``), at s[*i] after space. */
static int ident(const char *s, size_t *i) {
    size_t j = skip_space(s, *i);
    char q = s[j] == '"' ? '"' : s[j] == '`' ? '`' : s[j] == '[' ? ']' : 0;
    if (q) {
        for (j++;; j++) {
            if (!s[j]) return 0;
            if (s[j] == q) {
                if (q != ']' && s[j + 1] == q) {
                    j++;
                    continue;
                }
                break;
            }
        }
        *i = j + 1;
        return 1;
    }
    if (!ident_char(s[j]) || (s[j] >= '0' && s[j] <= '9')) return 0;
    while (ident_char(s[j])) j++;
    *i = j;
    return 1;
}

int fl_sql_count_shape(const char *sql) {
    size_t i = 0;
    if (!sql || !keyword(sql, &i, "SELECT") || !keyword(sql, &i, "count") || !punct(sql, &i, '(') ||
        !punct(sql, &i, '*') || !punct(sql, &i, ')') || !keyword(sql, &i, "FROM") ||
        !ident(sql, &i))
        return 0;
    if (punct(sql, &i, '.') && !ident(sql, &i)) return 0;
    punct(sql, &i, ';');
    return sql[skip_space(sql, i)] == '\0';
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
    if (!*stmt || !fl_sql_count_shape(sqlite3_sql(*stmt))) return 0;
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
