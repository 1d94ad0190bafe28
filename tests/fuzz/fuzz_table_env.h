/*
 * fuzz_table_env.h - the scratch warehouse the catalog-facing fuzz targets
 * share: a temporary folder with a local store, a SQLite catalog and one
 * table ns.t (id long required, s string), made by fuzz_table_env_make
 * and removed with everything in it by fuzz_table_env_drop. Any failure
 * aborts: a fuzz target has no one to report to.
 */
#ifndef FL_FUZZ_TABLE_ENV_H
#define FL_FUZZ_TABLE_ENV_H

#include "catalog/catalog.h"
#include "core/schema.h"
#include "iceberg/table.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_table_env {
    char dir[64];
    struct fl_store *st;
    struct fl_catalog *cat;
};

/* Makes the folder /tmp/<prefix>XXXXXX, its store, catalog and ns.t. */
static inline void fuzz_table_env_make(struct fuzz_table_env *env, const char *prefix,
                                       const char *ns) {
    struct fl_error err = {0};
    if (snprintf(env->dir, sizeof(env->dir), "/tmp/%sXXXXXX", prefix) >= (int)sizeof(env->dir) ||
        !mkdtemp(env->dir))
        abort();
    char uri[128];
    snprintf(uri, sizeof(uri), "file://%s/wh", env->dir);
    if (fl_store_open(uri, NULL, &env->st, &err)) abort();
    snprintf(uri, sizeof(uri), "sqlite://%s/catalog.db", env->dir);
    if (fl_catalog_open(uri, "floe", &env->cat, &err)) abort();
    const char *schema = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                         "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                         "{\"id\":2,\"name\":\"s\",\"required\":false,\"type\":\"string\"}]}";
    struct fl_schema *sc = NULL;
    struct fl_ice_table *tbl = NULL;
    if (fl_schema_parse(schema, strlen(schema), &sc, &err) ||
        fl_ice_table_create(env->st, fl_catalog_ice(env->cat), ns, "t", sc, NULL, NULL, 0, &tbl,
                            &err))
        abort();
    fl_ice_table_free(tbl);
    fl_schema_free(sc);
}

/* Frees the store and catalog and removes the folder. */
static inline void fuzz_table_env_drop(struct fuzz_table_env *env) {
    fl_catalog_free(env->cat);
    fl_store_free(env->st);
    env->cat = NULL;
    env->st = NULL;
    if (env->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", env->dir);
        if (system(cmd)) abort();
        env->dir[0] = '\0';
    }
}

#endif
