/*
 * sql_rows.c - module "floe$rows": an eponymous-only virtual table whose
 * hidden argument is a pointer to a struct fl_sql_rows (bound with
 * sqlite3_bind_pointer, type "floe$rows"); it yields those rows in order.
 *
 * How it works: a shortcut (sql_agg.c) computes a statement's answer in
 * C and replaces the statement with
 *   SELECT c0 AS "<name 0>", c1 AS "<name 1>", ... FROM "floe$rows"(?1)
 * so the caller steps an ordinary statement with the original column
 * names; the values are handed over as they are (the columns have no
 * declared type, so no affinity changes them). The pointer's destructor
 * frees the rows when the statement is finalized. The name cannot clash
 * with a metadata table ("t$kind" has six kinds only).
 */
#include "sql/sql_int.h"
#include "sql/sql_rows.h"

#include "core/mem.h"

#include <string.h>

#define ROWS_PTR_TYPE "floe$rows"

struct fl_sql_rows *fl_sql_rows_new(int ncols) {
    struct fl_sql_rows *rows = fl_calloc(1, sizeof(*rows));
    rows->ncols = ncols;
    fl_buf_init(&rows->heap, FL_BUF_NOMAX);
    return rows;
}

void fl_sql_rows_free(struct fl_sql_rows *rows) {
    if (!rows) return;
    fl_free(rows->cells);
    fl_buf_fini(&rows->heap);
    fl_free(rows);
}

struct fl_sql_cell *fl_sql_rows_append(struct fl_sql_rows *rows) {
    if (rows->nrows == rows->cap) {
        rows->cap = rows->cap ? rows->cap * 2 : 16;
        rows->cells =
            fl_reallocarray(rows->cells, rows->cap * (size_t)rows->ncols, sizeof(*rows->cells));
    }
    struct fl_sql_cell *c = rows->cells + rows->nrows * (size_t)rows->ncols;
    memset(c, 0, (size_t)rows->ncols * sizeof(*c));
    for (int k = 0; k < rows->ncols; k++) c[k].type = SQLITE_NULL;
    rows->nrows++;
    return c;
}

fl_err_t fl_sql_rows_set_text(struct fl_sql_rows *rows, struct fl_sql_cell *cell, const void *p,
                              size_t n) {
    cell->type = SQLITE_TEXT;
    cell->off = rows->heap.len;
    cell->n = n;
    return n ? fl_buf_append(&rows->heap, p, n) : FL_OK;
}

static void rows_destroy(void *p) { fl_sql_rows_free(p); }

int fl_sql_rows_statement(sqlite3 *db, struct fl_sql_rows *rows, sqlite3_stmt *like,
                          sqlite3_stmt **out) {
    *out = NULL;
    if (rows->ncols < 1 || rows->ncols > FL_SQL_ROWS_MAXCOLS ||
        sqlite3_column_count(like) != rows->ncols) {
        fl_sql_rows_free(rows);
        return SQLITE_MISUSE;
    }
    struct fl_buf q;
    fl_buf_init(&q, FL_BUF_NOMAX);
    fl_err_t e = fl_buf_append_str(&q, "SELECT ");
    for (int k = 0; k < rows->ncols && !e; k++) {
        const char *name = sqlite3_column_name(like, k);
        char *part = sqlite3_mprintf("%sc%d AS \"%w\"", k ? ", " : "", k, name ? name : "");
        e = part ? fl_buf_append_str(&q, part) : FL_ERR_NOMEM;
        sqlite3_free(part);
    }
    if (!e) e = fl_buf_append_str(&q, " FROM \"" ROWS_PTR_TYPE "\"(?1)");
    if (!e) e = fl_buf_append_u8(&q, 0);
    int rc = e ? SQLITE_NOMEM : sqlite3_prepare_v2(db, (const char *)q.data, -1, out, NULL);
    fl_buf_fini(&q);
    if (rc != SQLITE_OK) {
        fl_sql_rows_free(rows);
        sqlite3_finalize(*out);
        *out = NULL;
        return rc;
    }
    /* on failure sqlite3_bind_pointer calls the destructor itself */
    rc = sqlite3_bind_pointer(*out, 1, rows, ROWS_PTR_TYPE, rows_destroy);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*out);
        *out = NULL;
    }
    return rc;
}

struct rows_cursor {
    sqlite3_vtab_cursor base;
    const struct fl_sql_rows *rows; /* borrowed from the bound pointer */
    size_t row;
};

static int rv_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                      char **errmsg) {
    (void)aux, (void)argc, (void)argv, (void)errmsg;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    fl_err_t e = fl_buf_append_str(&b, "CREATE TABLE x(");
    for (int k = 0; k < FL_SQL_ROWS_MAXCOLS && !e; k++) e = fl_buf_printf(&b, "c%d, ", k);
    if (!e) e = fl_buf_append_str(&b, "rows HIDDEN)");
    if (!e) e = fl_buf_append_u8(&b, 0);
    int rc = e ? SQLITE_NOMEM : sqlite3_declare_vtab(db, (const char *)b.data);
    fl_buf_fini(&b);
    if (rc != SQLITE_OK) return rc;
    sqlite3_vtab *vt = sqlite3_malloc(sizeof(*vt));
    if (!vt) return SQLITE_NOMEM;
    memset(vt, 0, sizeof(*vt));
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
    *out = vt;
    return SQLITE_OK;
}

static int rv_disconnect(sqlite3_vtab *vt) {
    sqlite3_free(vt);
    return SQLITE_OK;
}

static int rv_best_index(sqlite3_vtab *vt, sqlite3_index_info *info) {
    (void)vt;
    info->estimatedCost = 1e12;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->iColumn != FL_SQL_ROWS_MAXCOLS || c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
        if (!c->usable) return SQLITE_CONSTRAINT;
        info->aConstraintUsage[i].argvIndex = 1;
        info->aConstraintUsage[i].omit = 1;
        info->idxNum = 1;
        info->estimatedCost = 1;
    }
    return SQLITE_OK;
}

static int rv_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out) {
    (void)vt;
    struct rows_cursor *cur = sqlite3_malloc(sizeof(*cur));
    if (!cur) return SQLITE_NOMEM;
    memset(cur, 0, sizeof(*cur));
    *out = &cur->base;
    return SQLITE_OK;
}

static int rv_close(sqlite3_vtab_cursor *cur) {
    sqlite3_free(cur);
    return SQLITE_OK;
}

static int rv_filter(sqlite3_vtab_cursor *base, int idx_num, const char *idx_str, int argc,
                     sqlite3_value **argv) {
    (void)idx_str;
    struct rows_cursor *cur = (struct rows_cursor *)base;
    cur->rows = idx_num == 1 && argc == 1 ? sqlite3_value_pointer(argv[0], ROWS_PTR_TYPE) : NULL;
    cur->row = 0;
    return SQLITE_OK;
}

static int rv_next(sqlite3_vtab_cursor *base) {
    ((struct rows_cursor *)base)->row++;
    return SQLITE_OK;
}

static int rv_eof(sqlite3_vtab_cursor *base) {
    struct rows_cursor *cur = (struct rows_cursor *)base;
    return !cur->rows || cur->row >= cur->rows->nrows;
}

static int rv_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int i) {
    struct rows_cursor *cur = (struct rows_cursor *)base;
    const struct fl_sql_rows *rows = cur->rows;
    if (!rows || i < 0 || i >= rows->ncols || cur->row >= rows->nrows) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    const struct fl_sql_cell *c = &rows->cells[cur->row * (size_t)rows->ncols + (size_t)i];
    switch (c->type) {
    case SQLITE_INTEGER:
        sqlite3_result_int64(ctx, c->i);
        break;
    case SQLITE_FLOAT:
        sqlite3_result_double(ctx, c->d);
        break;
    case SQLITE_TEXT:
        sqlite3_result_text64(ctx, c->n ? (const char *)rows->heap.data + c->off : "", c->n,
                              SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
    default:
        sqlite3_result_null(ctx);
    }
    return SQLITE_OK;
}

static int rv_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
    *rowid = (sqlite3_int64)((struct rows_cursor *)base)->row;
    return SQLITE_OK;
}

static sqlite3_module rows_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only */
    .xConnect = rv_connect,
    .xBestIndex = rv_best_index,
    .xDisconnect = rv_disconnect,
    .xDestroy = rv_disconnect,
    .xOpen = rv_open,
    .xClose = rv_close,
    .xFilter = rv_filter,
    .xNext = rv_next,
    .xEof = rv_eof,
    .xColumn = rv_column,
    .xRowid = rv_rowid,
};

int fl_sql_rows_register(sqlite3 *db) {
    return sqlite3_create_module_v2(db, ROWS_PTR_TYPE, &rows_module, NULL, NULL);
}
