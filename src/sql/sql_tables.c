/*
 * sql_tables.c - the Iceberg tables one SQL connection has loaded, lent
 * to its virtual tables and cursors.
 *
 * How it works: every table of the catalog is declared to SQLite under
 * several names (ns.name, the bare name, ...), and each declaration's
 * xConnect needs the table's schema; each cursor needs the table too.
 * Loading means reading and parsing the metadata JSON (tens of millions
 * of instructions for a table with a hundred snapshots), so a loaded
 * table is kept and lent again while the catalog still names the same
 * metadata file (a catalog lookup, no parse). After a commit the next
 * borrower loads the new version; a borrower keeps what it borrowed
 * until it gives it back, so a running cursor reads the version it
 * started on. Metadata files are never rewritten, so equal locations
 * mean equal tables. A table read by path (iceberg_scan, namespace
 * FL_SQL_PATH_NS, the name its URI) is loaded again by every borrower,
 * with a store of its own.
 */
#include "core/mem.h"
#include "sql/sql_int.h"

#include <stdio.h>
#include <string.h>

struct fl_sql_loaded {
    char ns[FL_SQL_NAME_MAX], name[FL_SQL_NAME_MAX];
    struct fl_ice_table *tbl;
    struct fl_store *own; /* a table read by path: the store under it */
    int users;
    int stale; /* superseded: freed when its last borrower gives it back */
};

static struct fl_sql_loaded *find(struct fl_sql_env *env, const char *ns, const char *name) {
    for (int i = 0; i < env->nloaded; i++) {
        struct fl_sql_loaded *l = &env->loaded[i];
        if (!l->stale && !strcmp(l->ns, ns) && !strcmp(l->name, name)) return l;
    }
    return NULL;
}

static void drop(struct fl_sql_env *env, int i) {
    fl_ice_table_free(env->loaded[i].tbl);
    fl_store_free(env->loaded[i].own);
    env->loaded[i] = env->loaded[--env->nloaded];
}

fl_err_t fl_sql_table_borrow(struct fl_sql_env *env, const char *ns, const char *name,
                             struct fl_ice_table **out, struct fl_error *err) {
    struct fl_sql_loaded *l = find(env, ns, name);
    if (l && env->cat) {
        char loc[FL_STORE_KEY_MAX + 512];
        struct fl_error lerr = {0};
        if (!fl_catalog_table_load(env->cat, ns, name, loc, sizeof(loc), &lerr) &&
            l->tbl->metadata_location && !strcmp(loc, l->tbl->metadata_location)) {
            l->users++;
            *out = l->tbl;
            return FL_OK;
        }
    }
    struct fl_ice_table *tbl = NULL;
    struct fl_store *own = NULL;
    int by_path = !strcmp(ns, FL_SQL_PATH_NS);
    fl_err_t rc =
        by_path ? fl_ice_table_open_uri(name, &own, &tbl, err)
                : fl_ice_table_load(env->store, fl_catalog_ice(env->cat), ns, name, &tbl, err);
    if (rc) {
        fl_store_free(own);
        return rc;
    }
    if (l) { /* superseded */
        if (l->users == 0)
            drop(env, (int)(l - env->loaded));
        else
            l->stale = 1;
    }
    if (env->nloaded == env->caploaded) {
        env->caploaded = env->caploaded ? env->caploaded * 2 : 8;
        env->loaded = fl_reallocarray(env->loaded, (size_t)env->caploaded, sizeof(*env->loaded));
    }
    l = &env->loaded[env->nloaded++];
    memset(l, 0, sizeof(*l));
    snprintf(l->ns, sizeof(l->ns), "%s", ns);
    snprintf(l->name, sizeof(l->name), "%s", name);
    l->tbl = tbl;
    l->own = own;
    l->users = 1;
    l->stale = !env->cat || by_path; /* nothing to check a later borrow against */
    *out = tbl;
    return FL_OK;
}

void fl_sql_table_return(struct fl_sql_env *env, struct fl_ice_table *tbl) {
    if (!tbl) return;
    for (int i = 0; i < env->nloaded; i++) {
        if (env->loaded[i].tbl != tbl) continue;
        if (--env->loaded[i].users == 0 && env->loaded[i].stale) drop(env, i);
        return;
    }
}

void fl_sql_tables_free(struct fl_sql_env *env) {
    for (int i = 0; i < env->nloaded; i++) {
        fl_ice_table_free(env->loaded[i].tbl);
        fl_store_free(env->loaded[i].own);
    }
    fl_free(env->loaded);
    env->loaded = NULL;
    env->nloaded = env->caploaded = 0;
}
