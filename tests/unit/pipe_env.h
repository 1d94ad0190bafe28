/*
 * pipe_env.h - what the pipeline and maintenance unit tests stand on: a
 * durable log, a local warehouse and a SQLite catalog in a fresh
 * temporary folder, and a schema, removed again by pipe_env_close.
 * Header-only, like ingest_memlog.h: each test binary carries its copy.
 */
#ifndef FL_TESTS_PIPE_ENV_H
#define FL_TESTS_PIPE_ENV_H

#include "catalog/catalog.h"
#include "core/schema.h"
#include "log/log.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct env {
    char dir[64];
    struct fl_log *log;
    struct fl_store *st;
    struct fl_catalog *cat;
    struct fl_schema *schema;
};

/* Opens e in /tmp/<prefix>-XXXXXX with schema_json as e->schema. */
static inline void pipe_env_open(struct env *e, const char *prefix, const char *schema_json) {
    snprintf(e->dir, sizeof(e->dir), "/tmp/%s-XXXXXX", prefix);
    assert_non_null(mkdtemp(e->dir));
    char logdir[128], uri[128], caturi[128];
    snprintf(logdir, sizeof(logdir), "%s/log", e->dir);
    snprintf(uri, sizeof(uri), "file://%s/wh", e->dir);
    snprintf(caturi, sizeof(caturi), "sqlite://%s/cat.db", e->dir);
    struct fl_error err = {0};
    struct fl_log_opts lo;
    fl_log_opts_default(&lo);
    lo.dir = logdir;
    struct fl_store_opts so = {0};
    assert_int_equal(fl_log_open(&lo, &e->log, &err), FL_OK);
    assert_int_equal(fl_store_open(uri, &so, &e->st, &err), FL_OK);
    assert_int_equal(fl_catalog_open(caturi, "floe", &e->cat, &err), FL_OK);
    assert_int_equal(fl_schema_parse(schema_json, strlen(schema_json), &e->schema, &err), FL_OK);
}

static inline void pipe_env_close(struct env *e) {
    fl_schema_free(e->schema);
    fl_catalog_free(e->cat);
    fl_store_free(e->st);
    fl_log_close(e->log);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
    assert_int_equal(system(cmd), 0);
}

#endif
