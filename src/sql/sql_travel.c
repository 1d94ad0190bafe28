/*
 * sql_travel.c - Trino's time travel, `t FOR VERSION AS OF <id>` and
 * `t FOR TIMESTAMP AS OF '<time>'`, read with the snapshot's own schema.
 *
 * How it works: the table function form t(ID) keeps the table's current
 * columns, because SQLite fixes a virtual table's columns when it is
 * declared. So before floe sql prepares a text (fl_sql_text_prepare,
 * sql_path.c), each `REF FOR VERSION|TIMESTAMP AS OF LITERAL` after a
 * table reference REF (bare or quoted, schema-qualified or not) is found
 * (fl_sql_travel_match) and replaced by the TEMP table "ns.t@ID", module
 * floe with the snapshot id as a third argument (fl_sql_travel_declare):
 * that table declares the columns of the snapshot's schema-id (columns
 * added later absent, renamed ones under their old names) and always
 * reads that snapshot; the COUNT(*) and aggregate shortcuts pass it by.
 * REF is resolved as SQLite resolves a name (temp, then main, or the
 * named schema) to the floe table it declares; a time becomes the
 * snapshot current then (an error before the first one, as in Trino).
 * After iceberg_scan('PATH') the clause reads that path's table
 * (sql_path.c finds it with fl_sql_travel_clause).
 */
#include "sql/sql_travel.h"

#include "core/mem.h"
#include "sql/sql_int.h"
#include "sql/sql_lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || (unsigned char)c >= 0x80;
}

/* The identifier ending right before s[e] (after space): its first
 * character (a quoted one's opening quote) + 1, and its name dequoted
 * into out; 0 when none. Quoted names with "" inside are not recognised. */
static size_t ident_before(const char *s, size_t e, char *out, size_t outsz) {
    while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r'))
        e--;
    if (e == 0) return 0;
    size_t b;
    if (s[e - 1] == '"') {
        if (e < 2) return 0;
        b = e - 2;
        while (b > 0 && s[b] != '"') b--;
        if (s[b] != '"' || (b > 0 && s[b - 1] == '"')) return 0;
        if (e - b - 2 >= outsz || e - b - 2 == 0) return 0;
        memcpy(out, s + b + 1, e - b - 2);
        out[e - b - 2] = '\0';
        return b + 1; /* +1: 0 means none */
    }
    b = e;
    while (b > 0 && word_char(s[b - 1])) b--;
    if (b == e || (s[b] >= '0' && s[b] <= '9') || e - b >= outsz) return 0;
    memcpy(out, s + b, e - b);
    out[e - b] = '\0';
    return b + 1;
}

size_t fl_sql_travel_clause(const char *s, size_t i, size_t end, struct fl_sql_travel *t) {
    if (end - i != 3 || sqlite3_strnicmp(s + i, "FOR", 3) != 0) return 0;
    memset(t, 0, sizeof(*t));
    size_t j = end;
    if (fl_sql_lex_keyword(s, &j, "VERSION"))
        t->by_time = 0;
    else if (fl_sql_lex_keyword(s, &j, "TIMESTAMP"))
        t->by_time = 1;
    else
        return 0;
    if (!fl_sql_lex_keyword(s, &j, "AS") || !fl_sql_lex_keyword(s, &j, "OF")) return 0;
    j = fl_sql_lex_space(s, j);
    size_t v = j, n = 0;
    if (t->by_time) {
        if (s[j] != '\'') return 0;
        for (j++; s[j] && s[j] != '\''; j++) /* no '' inside a time */
            if (n + 1 < sizeof(t->value)) t->value[n++] = s[j];
        if (s[j] != '\'') return 0;
        j++;
    } else {
        if (s[j] == '-') j++;
        while (s[j] >= '0' && s[j] <= '9') j++;
        if (j == v || (s[j - 1] == '-') || word_char(s[j]) || j - v >= sizeof(t->value)) return 0;
        n = j - v;
        memcpy(t->value, s + v, n);
    }
    t->value[n] = '\0';
    t->start = i;
    t->end = j;
    return j;
}

size_t fl_sql_travel_match(const char *s, size_t i, size_t end, struct fl_sql_travel *t) {
    size_t j = fl_sql_travel_clause(s, i, end, t);
    if (!j) return 0;
    /* the reference before FOR: [schema.]name */
    size_t b = ident_before(s, i, t->name, sizeof(t->name));
    if (!b) return 0;
    t->start = b - 1;
    size_t d = t->start;
    while (d > 0 && (s[d - 1] == ' ' || s[d - 1] == '\t' || s[d - 1] == '\n')) d--;
    if (d > 0 && s[d - 1] == '.') {
        size_t b2 = ident_before(s, d - 1, t->schema, sizeof(t->schema));
        if (!b2) return 0;
        t->start = b2 - 1;
    }
    t->end = j;
    return j;
}

/* The floe table ns.t that schema.name declares (its CREATE VIRTUAL
 * TABLE text: USING floe('ns', 't')). */
static fl_err_t declared(sqlite3 *db, const char *schema, const char *name, char *ns, char *tname,
                         struct fl_error *err) {
    char *q = sqlite3_mprintf("SELECT sql FROM \"%w\".sqlite_schema WHERE type = 'table' AND "
                              "name = '%q' COLLATE NOCASE",
                              schema, name);
    sqlite3_stmt *st = NULL;
    int rc = q ? sqlite3_prepare_v2(db, q, -1, &st, NULL) : SQLITE_NOMEM;
    sqlite3_free(q);
    fl_err_t e = FL_ERR_NOTFOUND;
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        const char *sql = (const char *)sqlite3_column_text(st, 0);
        const char *u = sql ? strstr(sql, "USING floe(") : NULL;
        const char *p = u ? u + 11 : NULL;
        char *out[2] = {ns, tname};
        for (int k = 0; p && k < 2; k++) {
            while (*p == ' ' || *p == ',') p++;
            if (*p != '\'') {
                p = NULL;
                break;
            }
            size_t n = 0;
            for (p++; *p; p++) {
                if (*p == '\'') {
                    if (p[1] != '\'') break;
                    p++;
                }
                if (n + 1 == FL_SQL_NAME_MAX) break; /* too long: no table of ours */
                out[k][n++] = *p;
            }
            out[k][n] = '\0';
            if (*p != '\'')
                p = NULL;
            else
                p++;
        }
        if (p && *p == ')') /* a catalog table, or one by path (iceberg_scan) */
            e = FL_OK;
        else
            e = fl_errf(err, FL_ERR_UNSUPPORTED, "FOR ... AS OF: %s is not an Iceberg table", name);
    }
    sqlite3_finalize(st);
    return e;
}

fl_err_t fl_sql_travel_declare(struct fl_sql *sql, const struct fl_sql_travel *t, char *out,
                               size_t outsz, struct fl_error *err) {
    sqlite3 *db = fl_sql_db(sql);
    char ns[FL_SQL_NAME_MAX], tname[FL_SQL_NAME_MAX];
    fl_err_t rc = FL_ERR_NOTFOUND;
    if (t->schema[0]) {
        rc = declared(db, t->schema, t->name, ns, tname, err);
    } else {
        rc = declared(db, "temp", t->name, ns, tname, err);
        if (rc == FL_ERR_NOTFOUND) rc = declared(db, "main", t->name, ns, tname, err);
    }
    if (rc == FL_ERR_NOTFOUND)
        return fl_errf(err, FL_ERR_NOTFOUND, "FOR ... AS OF: no table %s%s%s", t->schema,
                       t->schema[0] ? "." : "", t->name);
    if (rc) return rc;
    int64_t id;
    if (t->by_time) {
        struct fl_sql_env *env = fl_sql_env_of(sql);
        struct fl_ice_table *tbl = NULL;
        int64_t ms;
        if ((rc = fl_sql_parse_as_of(t->value, strlen(t->value), &ms, err))) return rc;
        if ((rc = fl_sql_table_borrow(env, ns, tname, &tbl, err))) return rc;
        const struct fl_ice_snapshot *s = fl_ice_meta_snapshot_at(tbl->meta, ms);
        id = s ? s->snapshot_id : FL_ICE_NO_SNAPSHOT;
        fl_sql_table_return(env, tbl);
        if (!s)
            return fl_errf(err, FL_ERR_NOTFOUND, "%s.%s has no snapshot at or before %s", ns, tname,
                           t->value);
    } else {
        id = strtoll(t->value, NULL, 10);
    }
    char vname[2 * FL_SQL_NAME_MAX + 32];
    snprintf(vname, sizeof(vname), "%s.%s@%lld", ns, tname, (long long)id);
    char *q = sqlite3_mprintf(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.\"%w\" USING floe('%q', '%q', '%lld')", vname, ns,
        tname, (long long)id);
    char *msg = NULL;
    int src = q ? sqlite3_exec(db, q, NULL, NULL, &msg) : SQLITE_NOMEM;
    sqlite3_free(q);
    if (src) {
        rc = fl_errf(err, FL_ERR_INVALID, "%s", msg ? msg : sqlite3_errstr(src));
        sqlite3_free(msg);
        return rc;
    }
    if (fl_sql_quote_ident(vname, out, outsz))
        return fl_errf(err, FL_ERR_LIMIT, "table name too long: %s", vname);
    return FL_OK;
}
