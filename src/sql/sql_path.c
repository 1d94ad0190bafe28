/*
 * sql_path.c - iceberg_scan('PATH'): a table read by path in floe sql, as
 * DuckDB's iceberg_scan reads one, without registering it.
 *
 * How it works: a virtual table's columns are fixed when it is declared,
 * and a table function's arguments are only known when it runs, so
 * iceberg_scan cannot be an SQLite table function. Instead, before a
 * statement is prepared, each call `iceberg_scan('PATH')` (a string
 * literal, outside strings, quoted names and comments) becomes the TEMP
 * virtual table "iceberg_scan(URI)" of module floe, namespace
 * FL_SQL_PATH_NS and name URI (the path made absolute), created once per
 * connection; the text names that table instead. The table loads through
 * fl_ice_table_open_uri, a store of its own on the table folder's parent
 * (sql_tables.c), as `floe table scan PATH` does, and everything else
 * (pushdown, time travel, the shortcuts, metadata) works as for catalog
 * tables. Trino's FOR VERSION|TIMESTAMP AS OF clauses are rewritten in
 * the same pass (sql_travel.c), one right after iceberg_scan('PATH')
 * included. The rewritten text differs in length
 * from the original: error offsets after a rewrite are off by a few
 * characters.
 */
#include "core/mem.h"
#include "sql/sql.h"
#include "sql/sql_args.h"
#include "sql/sql_int.h"
#include "sql/sql_lex.h"
#include "sql/sql_travel.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALLS_MAX 16

struct call {
    size_t start, end;       /* the text replaced */
    char *path;              /* iceberg_scan: the literal, unescaped; NULL: a time travel */
    struct fl_sql_travel tr; /* FOR VERSION|TIMESTAMP AS OF (sql_travel.c) */
    int travel;              /* iceberg_scan('PATH') FOR ... AS OF: tr holds the clause */
};

struct calls {
    struct call c[CALLS_MAX];
    int n;
    int too_many;
};

/* fl_sql_lex_words' callback: records iceberg_scan('...') calls and
 * time-travel clauses. */
static size_t on_word(void *ctx, const char *s, size_t i, size_t end, char prev) {
    struct calls *cs = ctx;
    struct fl_sql_travel tr;
    struct call *last = cs->n ? &cs->c[cs->n - 1] : NULL;
    if (last && last->path && !last->travel && fl_sql_lex_space(s, last->end) == i &&
        fl_sql_travel_clause(s, i, end, &tr)) { /* iceberg_scan('PATH') FOR ... AS OF */
        last->tr = tr;
        last->travel = 1;
        last->end = tr.end;
        return tr.end;
    }
    size_t te = fl_sql_travel_match(s, i, end, &tr);
    if (te && (cs->n == 0 || tr.start >= cs->c[cs->n - 1].end)) {
        if (cs->n == CALLS_MAX) {
            cs->too_many = 1;
            return te;
        }
        cs->c[cs->n].start = tr.start;
        cs->c[cs->n].end = te;
        cs->c[cs->n].path = NULL;
        cs->c[cs->n].travel = 0;
        cs->c[cs->n].tr = tr;
        cs->n++;
        return te;
    }
    if (prev == '.' || end - i != 12 || sqlite3_strnicmp(s + i, "iceberg_scan", 12) != 0)
        return end;
    size_t j = end;
    if (!fl_sql_lex_punct(s, &j, '(')) return end;
    j = fl_sql_lex_space(s, j);
    if (s[j] != '\'') return end;
    struct fl_buf lit;
    fl_buf_init(&lit, FL_BUF_NOMAX);
    for (j++; s[j]; j++) {
        if (s[j] == '\'') {
            if (s[j + 1] != '\'') break;
            j++;
        }
        fl_buf_append_u8(&lit, (uint8_t)s[j]);
    }
    if (s[j] != '\'') {
        fl_buf_fini(&lit);
        return end;
    }
    j++;
    if (!fl_sql_lex_punct(s, &j, ')')) {
        fl_buf_fini(&lit);
        return end;
    }
    if (cs->n == CALLS_MAX) {
        cs->too_many = 1;
        fl_buf_fini(&lit);
        return j;
    }
    fl_buf_append_u8(&lit, 0);
    cs->c[cs->n].start = i;
    cs->c[cs->n].end = j;
    cs->c[cs->n].path = (char *)lit.data; /* taken from lit */
    cs->c[cs->n].travel = 0;
    cs->n++;
    return j;
}

/* A path as a URI: URIs as they are, local paths made absolute. */
static fl_err_t path_uri(const char *path, char *out, size_t outsz, struct fl_error *err) {
    int n;
    if (strstr(path, "://")) {
        n = snprintf(out, outsz, "%s", path);
    } else {
        char abs[PATH_MAX];
        if (!realpath(path, abs))
            return fl_errf(err, FL_ERR_NOTFOUND, "iceberg_scan('%s'): no such table folder", path);
        n = snprintf(out, outsz, "file://%s", abs);
    }
    if (n < 0 || (size_t)n >= outsz)
        return fl_errf(err, FL_ERR_LIMIT, "iceberg_scan('%.64s...'): path longer than %d bytes",
                       path, FL_SQL_NAME_MAX - 1);
    return FL_OK;
}

/* Creates the TEMP table "iceberg_scan(<uri>)" once. */
static fl_err_t declare(sqlite3 *db, const char *path, const char *tname, const char *uri,
                        struct fl_error *err) {
    char *q =
        sqlite3_mprintf("CREATE VIRTUAL TABLE IF NOT EXISTS temp.\"%w\" USING floe('%q', '%q')",
                        tname, FL_SQL_PATH_NS, uri);
    if (!q) return fl_errf(err, FL_ERR_NOMEM, "out of memory");
    char *msg = NULL;
    int rc = sqlite3_exec(db, q, NULL, NULL, &msg);
    sqlite3_free(q);
    fl_err_t e = FL_OK;
    if (rc)
        e = fl_errf(err, FL_ERR_INVALID, "iceberg_scan('%s'): %s", path,
                    msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return e;
}

fl_err_t fl_sql_text_prepare(struct fl_sql *sql, const char *text, char **out,
                             struct fl_error *err) {
    char *s = fl_sql_text_dup(text);
    struct calls cs = {.n = 0};
    fl_sql_lex_words(s, on_word, &cs);
    fl_err_t rc = cs.too_many ? fl_errf(err, FL_ERR_LIMIT,
                                        "at most %d iceberg_scan calls in one "
                                        "text",
                                        CALLS_MAX)
                              : FL_OK;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    size_t at = 0;
    for (int k = 0; k < cs.n && !rc; k++) {
        char uri[FL_SQL_NAME_MAX], tname[FL_SQL_NAME_MAX + 16], q[4 * FL_SQL_NAME_MAX + 80];
        if (!cs.c[k].path) {
            rc = fl_sql_travel_declare(sql, &cs.c[k].tr, q, sizeof(q), err);
            if (rc) break;
            fl_buf_append(&b, s + at, cs.c[k].start - at);
            fl_buf_append_str(&b, q);
            at = cs.c[k].end;
            continue;
        }
        rc = path_uri(cs.c[k].path, uri, sizeof(uri), err);
        if (!rc) snprintf(tname, sizeof(tname), "iceberg_scan(%s)", uri);
        if (!rc) rc = declare(fl_sql_db(sql), cs.c[k].path, tname, uri, err);
        if (!rc && cs.c[k].travel) { /* the snapshot's table over the path's */
            struct fl_sql_travel *tr = &cs.c[k].tr;
            snprintf(tr->schema, sizeof(tr->schema), "temp");
            size_t tl = strlen(tname);
            if (tl >= sizeof(tr->name))
                rc = fl_errf(err, FL_ERR_LIMIT,
                             "iceberg_scan('%.64s'): path too long for FOR ... "
                             "AS OF",
                             cs.c[k].path);
            else
                memcpy(tr->name, tname, tl + 1);
            if (!rc) rc = fl_sql_travel_declare(sql, tr, q, sizeof(q), err);
            if (rc) fl_err_prefix(err, "iceberg_scan('%s')", cs.c[k].path);
        } else if (!rc && fl_sql_quote_ident(tname, q, sizeof(q)))
            rc = fl_errf(err, FL_ERR_LIMIT, "iceberg_scan('%.64s'): path too long", cs.c[k].path);
        if (rc) break;
        fl_buf_append(&b, s + at, cs.c[k].start - at);
        fl_buf_append_str(&b, q);
        at = cs.c[k].end;
    }
    for (int k = 0; k < cs.n; k++) fl_free(cs.c[k].path);
    if (rc || cs.n == 0) {
        fl_buf_fini(&b);
        if (rc) {
            fl_free(s);
            return rc;
        }
        *out = s;
        return FL_OK;
    }
    fl_buf_append_str(&b, s + at);
    fl_buf_append_u8(&b, 0);
    fl_free(s);
    *out = (char *)b.data; /* taken from b */
    return FL_OK;
}
