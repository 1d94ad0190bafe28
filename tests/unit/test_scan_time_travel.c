/*
 * test_scan_time_travel.c - a snapshot read as of its own schema-id
 * (iceberg/scan.c, fl_ice_scan_open_as_of), as Trino and Spark read it:
 * after a column is added and another renamed, the first snapshot reads
 * with its two columns under their old names; the current snapshot, and
 * scans that are not time travel, read with the current schema.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "iceberg/evolve.h"
#include "iceberg/table.h"
#include "pipe_env.h"
#include "table_env.h"

#include <string.h>

static const char *SCHEMA = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                            "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                            "{\"id\":2,\"name\":\"city\",\"required\":false,\"type\":\"string\"}]}";

/* The first row snapshot snap reads as JSON, its schema as of (as_of) or current. */
static const char *first_row(struct fl_ice_table *tbl, int64_t snap, bool as_of) {
    static char out[256];
    struct fl_ice_scan *sc = NULL;
    struct fl_error err = {0};
    fl_err_t rc = as_of ? fl_ice_scan_open_as_of(tbl, snap, NULL, 0, &sc, &err)
                        : fl_ice_scan_open(tbl, snap, &sc, &err);
    if (rc) fail_msg("%s", err.msg);
    struct fl_batch *b = NULL;
    if (fl_ice_scan_next(sc, &b, &err)) fail_msg("%s", err.msg);
    struct fl_buf j;
    fl_buf_init(&j, FL_BUF_NOMAX);
    fl_batch_row_to_json(b, 0, &j);
    snprintf(out, sizeof(out), "%.*s", (int)j.len, (const char *)j.data);
    fl_buf_fini(&j);
    assert_ptr_equal(fl_ice_scan_schema(sc), b->schema);
    fl_ice_scan_free(sc);
    return out;
}

static void test_time_travel_schema(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-timetravel", SCHEMA);
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_create(e.st, fl_catalog_ice(e.cat), "db", "t", e.schema, NULL, NULL, 0, &tbl,
                            &err))
        fail_msg("%s", err.msg);
    int64_t s1 = table_env_append(tbl, "{\"id\":1,\"city\":\"Oslo\"}");
    struct fl_ice_schema_change ch[2] = {
        {.kind = FL_ICE_ADD_COLUMN, .name = "score", .type = "long"},
        {.kind = FL_ICE_RENAME_COLUMN, .name = "city", .new_name = "town"},
    };
    if (fl_ice_table_evolve_schema(tbl, ch, 2, &err)) fail_msg("%s", err.msg);
    int64_t s2 = table_env_append(tbl, "{\"id\":2,\"town\":\"Rome\",\"score\":7}");
    assert_string_equal(first_row(tbl, s1, true), "{\"id\":1,\"city\":\"Oslo\"}");
    assert_string_equal(first_row(tbl, s1, false), "{\"id\":1,\"town\":\"Oslo\",\"score\":null}");
    /* the newest snapshot (either row first) and no snapshot: the current schema */
    assert_non_null(strstr(first_row(tbl, s2, true), "\"town\":"));
    assert_non_null(strstr(first_row(tbl, s2, true), "\"score\":"));
    assert_non_null(strstr(first_row(tbl, FL_ICE_NO_SNAPSHOT, true), "\"score\":"));
    assert_int_equal(fl_ice_meta_snapshot_schema(tbl->meta, s1)->nfields, 2);
    assert_ptr_equal(fl_ice_meta_snapshot_schema(tbl->meta, 12345),
                     fl_ice_meta_current_schema(tbl->meta));
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_travel_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
