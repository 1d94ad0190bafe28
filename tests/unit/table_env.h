/*
 * table_env.h - what the Iceberg table unit tests share: append one JSON
 * row as a snapshot, count the rows a snapshot reads. Header-only, like
 * pipe_env.h: each test binary carries its copy.
 */
#ifndef FL_TESTS_TABLE_ENV_H
#define FL_TESTS_TABLE_ENV_H

#include "batch/batch_json.h"
#include "iceberg/table.h"

#include <string.h>

/* Appends the JSON object row (tbl's current schema) as one snapshot;
 * returns its id. */
static inline int64_t table_env_append(struct fl_ice_table *tbl, const char *row) {
    struct fl_error err = {0};
    struct fl_batch *b = NULL;
    struct fl_ice_appender *ap = NULL;
    assert_int_equal(fl_batch_new(fl_ice_meta_current_schema(tbl->meta), 0, &b, &err), FL_OK);
    if (fl_batch_append_json(b, row, strlen(row), &err)) fail_msg("%s", err.msg);
    assert_int_equal(fl_ice_appender_new(tbl, &ap, &err), FL_OK);
    if (fl_ice_appender_add(ap, b, &err)) fail_msg("add: %s", err.msg);
    int64_t snap = -1;
    if (fl_ice_appender_commit(ap, NULL, 0, &snap, &err)) fail_msg("commit: %s", err.msg);
    fl_ice_appender_free(ap);
    fl_batch_free(b);
    return snap;
}

/* The rows snapshot snap of tbl reads (FL_ICE_NO_SNAPSHOT: current). */
static inline int64_t table_env_rows(struct fl_ice_table *tbl, int64_t snap) {
    struct fl_ice_scan *sc = NULL;
    struct fl_error err = {0};
    if (fl_ice_scan_open(tbl, snap, &sc, &err)) fail_msg("scan: %s", err.msg);
    int64_t n = 0;
    struct fl_batch *b = NULL;
    fl_err_t rc;
    while ((rc = fl_ice_scan_next(sc, &b, &err)) == FL_OK) n += (int64_t)b->nrows;
    if (rc != FL_ERR_EOF) fail_msg("scan: %s", err.msg);
    fl_ice_scan_free(sc);
    return n;
}

#endif
