/*
 * test_maintain.c - the maintenance runner (pipeline/maintain.c) on real
 * tables in a temporary warehouse and SQLite catalog: one run expires
 * with the policy and records what it did and what the table holds
 * (snapshots, live data files, small ones, metadata files); a default
 * yields to the table's own history.expire.* property while a value the
 * YAML set wins over it; a missing table is an error in the stats, not
 * a crash; and the thread stops at once when freed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "core/time.h"
#include "iceberg/table.h"
#include "pipe_env.h"
#include "pipeline/maintain.h"

#include <unistd.h>

static const char SCHEMA[] = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                             "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":\"string\"}]}";

/* default.name with n one-row appends (n snapshots, n data files). */
static void table_with(struct env *e, const char *name, int n, const struct fl_ice_kv *props,
                       int nprops) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_create(e->st, fl_catalog_ice(e->cat), "default", name, e->schema, NULL, props,
                            nprops, &tbl, &err))
        fail_msg("create: %s", err.msg);
    for (int i = 0; i < n; i++) {
        struct fl_batch *b = NULL;
        struct fl_ice_appender *ap = NULL;
        const char row[] = "{\"city\":\"x\"}";
        assert_int_equal(fl_batch_new(fl_ice_meta_current_schema(tbl->meta), 0, &b, &err), FL_OK);
        assert_int_equal(fl_batch_append_json(b, row, strlen(row), &err), FL_OK);
        assert_int_equal(fl_ice_appender_new(tbl, &ap, &err), FL_OK);
        assert_int_equal(fl_ice_appender_add(ap, b, &err), FL_OK);
        int64_t snap;
        if (fl_ice_appender_commit(ap, NULL, 0, &snap, &err)) fail_msg("commit: %s", err.msg);
        fl_ice_appender_free(ap);
        fl_batch_free(b);
    }
    fl_ice_table_free(tbl);
}

static struct fl_maint_policy policy(int64_t age_ms, int64_t min_keep, unsigned set) {
    return (struct fl_maint_policy){.enabled = true,
                                    .interval_ms = 60000,
                                    .max_snapshot_age_ms = age_ms,
                                    .min_snapshots = min_keep,
                                    .target_file_size = FL_MAINT_DEFAULT_TARGET_FILE_SIZE,
                                    .min_input_files = 5,
                                    .compact_every_ms = FL_MAINT_DEFAULT_COMPACT_EVERY_MS,
                                    .clean_older_than_ms = FL_MAINT_DEFAULT_CLEAN_OLDER_THAN_MS,
                                    .clean_every_ms = FL_MAINT_DEFAULT_CLEAN_EVERY_MS,
                                    .set = set};
}

static void test_run_once(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-maint", SCHEMA);
    struct fl_ice_kv keep4[] = {{"history.expire.min-snapshots-to-keep", "4"}};
    table_with(&e, "a", 6, NULL, 0);
    table_with(&e, "b", 6, keep4, 1); /* its property wins over a default */
    table_with(&e, "c", 6, keep4, 1); /* the YAML's value wins over its property */
    usleep(20000);
    struct fl_maint_table t[] = {
        {"default", "a", policy(1, 2, 0)},
        {"default", "b", policy(1, 2, 0)},
        {"default", "c", policy(1, 2, FL_MAINT_SET_MIN_SNAPSHOTS | FL_MAINT_SET_MAX_SNAPSHOT_AGE)},
        {"default", "missing", policy(1, 2, 0)},
    };
    struct fl_maint *m = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_maint_new(e.st, e.cat, t, 4, &m, &err), FL_OK);
    assert_int_equal(fl_maint_count(m), 4);
    struct fl_maint_stats s;
    fl_maint_get(m, 0, &s);
    assert_int_equal(s.runs, 0);
    assert_int_equal(s.last_run_ms, -1);
    fl_maint_run_once(m);
    static const int64_t kept[] = {2, 4, 2};
    for (int i = 0; i < 3; i++) {
        fl_maint_get(m, i, &s);
        assert_string_equal(s.last_error, "");
        assert_int_equal(s.runs, 1);
        assert_true(s.last_run_ms > 0 && s.last_duration_ms >= 0);
        assert_int_equal(s.snapshots, kept[i]);
        assert_int_equal(s.last_expired, 6 - kept[i]);
        assert_int_equal(s.last_deleted, 6 - kept[i]); /* their manifest lists; data stays live */
        assert_int_equal(s.data_files, 6);
        assert_int_equal(s.small_files, 6);
        assert_int_equal(s.target_file_size, FL_MAINT_DEFAULT_TARGET_FILE_SIZE);
        assert_true(s.metadata_files > 0);
    }
    fl_maint_get(m, 3, &s);
    assert_int_equal(s.errors, 1);
    assert_true(s.last_error[0] != 0);
    /* again: nothing left to expire */
    fl_maint_run_once(m);
    fl_maint_get(m, 0, &s);
    assert_int_equal(s.runs, 2);
    assert_int_equal(s.last_expired, 0);
    assert_int_equal(s.expired_total, 4);
    fl_maint_free(m);
    pipe_env_close(&e);
}

static void test_stop_promptly(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-maint", SCHEMA);
    table_with(&e, "a", 1, NULL, 0);
    struct fl_maint_table t[] = {{"default", "a", policy(60000, 1, 0)}};
    t[0].pol.interval_ms = 1000;
    struct fl_maint *m = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_maint_new(e.st, e.cat, t, 1, &m, &err), FL_OK);
    assert_int_equal(fl_maint_start(m, &err), FL_OK);
    struct fl_maint_stats s = {0};
    for (int i = 0; i < 100 && s.runs == 0; i++) { /* one run at ~1 s */
        usleep(50000);
        fl_maint_get(m, 0, &s);
    }
    assert_int_equal(s.runs, 1);
    int64_t t0 = fl_time_mono_us();
    fl_maint_free(m); /* asleep until the next interval: wakes and exits */
    assert_true(fl_time_mono_us() - t0 < 500000);
    pipe_env_close(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_once),
        cmocka_unit_test(test_stop_promptly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
