/*
 * test_config_maint.c - the `maintenance:` blocks (core/config_maint.c)
 * and the policy the up plan derives from them (cli/up_maint.c): every
 * key read at the top level, under tables[] and under pipelines[]; a
 * policy that could expire every snapshot (min_snapshots_to_keep 0, a
 * zero or negative age) refused with FILE:LINE at its line; a table's
 * block merged key by key over the top level's, over floe's defaults;
 * two blocks for one table refused; the built-in pipelines' tables
 * maintained by default.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/up_plan.h"
#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static void write_tmp(const char *text) {
    snprintf(path, sizeof(path), "/tmp/floe_maint_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Builds the plan of text; msg gets the error from the path on ("FILE:LINE: ..."
 * with FILE replaced by "F"). */
static fl_err_t plan_of(const char *text, struct fl_up_plan *plan, char *msg, size_t msgsz) {
    struct fl_error err = {0};
    write_tmp(text);
    fl_err_t rc = fl_up_plan_build(plan, path, NULL, "/tmp/floe_maint_data", &err);
    size_t pl = strlen(path);
    snprintf(msg, msgsz, "%s", strncmp(err.msg, path, pl) == 0 ? err.msg + pl : err.msg);
    unlink(path);
    return rc;
}

static const struct fl_maint_policy *pol_of(const struct fl_up_plan *plan, const char *name) {
    for (int i = 0; i < plan->nmaint; i++)
        if (!strcmp(plan->maint[i].name, name)) return &plan->maint[i].pol;
    return NULL;
}

static void refused(const char *text, const char *want) {
    struct fl_up_plan plan;
    char msg[512];
    assert_int_equal(plan_of(text, &plan, msg, sizeof(msg)), FL_ERR_INVALID);
    if (!strstr(msg, want)) fail_msg("got \"%s\", want \"%s\"", msg, want);
    fl_up_plan_fini(&plan);
}

static const char TABLES[] = "tables:\n"
                             "  - name: a\n"
                             "    schema: [{name: id, type: long}]\n"
                             "  - name: b\n"
                             "    schema: [{name: id, type: long}]\n";

static void test_defaults(void **state) {
    (void)state;
    struct fl_up_plan plan;
    char msg[512];
    /* no config: the built-in pipelines' tables, each maintained */
    assert_int_equal(plan_of("", &plan, msg, sizeof(msg)), FL_OK);
    assert_true(plan.nmaint >= 4);
    for (int i = 0; i < plan.nmaint; i++) {
        const struct fl_maint_policy *p = &plan.maint[i].pol;
        assert_true(p->enabled);
        assert_int_equal(p->interval_ms, FL_MAINT_DEFAULT_INTERVAL_MS);
        assert_int_equal(p->max_snapshot_age_ms, FL_MAINT_DEFAULT_MAX_SNAPSHOT_AGE_MS);
        assert_int_equal(p->min_snapshots, FL_MAINT_DEFAULT_MIN_SNAPSHOTS);
        assert_int_equal(p->set, 0); /* the tables' own properties win */
        assert_true(p->compact && p->clean);
    }
    assert_non_null(pol_of(&plan, "weather_agg"));
    fl_up_plan_fini(&plan);
}

static void test_merge(void **state) {
    (void)state;
    struct fl_up_plan plan;
    char msg[512];
    char text[2048];
    snprintf(
        text, sizeof(text),
        "maintenance:\n"
        "  interval: 10s\n"
        "  expire: {max_snapshot_age: 1h, min_snapshots_to_keep: 5, max_ref_age: 7d}\n"
        "  compact: {enabled: false, target_file_size: 128MiB, min_input_files: 8, every: 5m}\n"
        "  clean: {older_than: 1d, every: 2h}\n"
        "%s"
        "    maintenance: {interval: 1m, expire: {min_snapshots_to_keep: 2}}\n"
        "pipelines:\n"
        "  - topic: t\n"
        "    table: default.c\n"
        "    maintenance: {enabled: false}\n",
        TABLES);
    assert_int_equal(plan_of(text, &plan, msg, sizeof(msg)), FL_OK);
    const struct fl_maint_policy *a = pol_of(&plan, "a"), *b = pol_of(&plan, "b"),
                                 *c = pol_of(&plan, "c");
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    /* a: the top level's */
    assert_true(a->enabled);
    assert_int_equal(a->interval_ms, 10000);
    assert_int_equal(a->max_snapshot_age_ms, 3600000);
    assert_int_equal(a->min_snapshots, 5);
    assert_int_equal(a->max_ref_age_ms, 7 * 86400000LL);
    assert_false(a->compact);
    assert_int_equal(a->target_file_size, 128 << 20);
    assert_int_equal(a->min_input_files, 8);
    assert_true(a->clean);
    assert_int_equal(a->clean_older_than_ms, 86400000);
    assert_int_equal(a->compact_every_ms, 300000);
    assert_int_equal(a->clean_every_ms, 7200000);
    assert_int_equal(a->set, FL_MAINT_SET_MAX_SNAPSHOT_AGE | FL_MAINT_SET_MIN_SNAPSHOTS |
                                 FL_MAINT_SET_MAX_REF_AGE | FL_MAINT_SET_TARGET_FILE_SIZE);
    /* b: its own keys over the top level's */
    assert_int_equal(b->interval_ms, 60000);
    assert_int_equal(b->min_snapshots, 2);
    assert_int_equal(b->max_snapshot_age_ms, 3600000);
    /* c: a pipeline's target, turned off there */
    assert_false(c->enabled);
    assert_int_equal(c->interval_ms, 10000);
    fl_up_plan_fini(&plan);
    /* nothing set: floe's cadences */
    assert_int_equal(plan_of(TABLES, &plan, msg, sizeof(msg)), FL_OK);
    a = pol_of(&plan, "a");
    assert_non_null(a);
    assert_int_equal(a->compact_every_ms, FL_MAINT_DEFAULT_COMPACT_EVERY_MS);
    assert_int_equal(a->clean_every_ms, FL_MAINT_DEFAULT_CLEAN_EVERY_MS);
    fl_up_plan_fini(&plan);
}

static void test_refused(void **state) {
    (void)state;
    refused("maintenance:\n  expire:\n    min_snapshots_to_keep: 0\n",
            ":3: maintenance.expire.min_snapshots_to_keep: must be at least 1: 0 could expire "
            "every snapshot");
    refused("maintenance: {expire: {min_snapshots_to_keep: -3}}\n",
            ":1: maintenance.expire.min_snapshots_to_keep: must be at least 1");
    refused("maintenance:\n  expire: {max_snapshot_age: 0s}\n",
            ":2: maintenance.expire.max_snapshot_age: must be positive: a zero or negative age "
            "could expire every snapshot");
    refused("maintenance:\n  expire: {max_snapshot_age: -1h}\n",
            ":2: maintenance.expire.max_snapshot_age: must be positive");
    refused("maintenance:\n  expire: {max_ref_age: 0ms}\n",
            ":2: maintenance.expire.max_ref_age: must be positive");
    refused("maintenance: {interval: 0s}\n", ":1: maintenance.interval: must be positive");
    refused("maintenance: {interval: 500ms}\n", ":1: maintenance.interval: at least 1s");
    refused("maintenance: {compact: {every: 900ms}}\n",
            ":1: maintenance.compact.every: at least 1s");
    refused("maintenance: {clean: {every: 0s}}\n", ":1: maintenance.clean.every: must be positive");
    refused("maintenance: {clean: {older_than: 0s}}\n",
            ":1: maintenance.clean.older_than: must be positive");
    refused("maintenance: {compact: {target_file_size: 12 bananas}}\n",
            ":1: maintenance.compact.target_file_size: expected a size");
    refused("maintenance: {compact: {min_input_files: 1}}\n",
            ":1: maintenance.compact.min_input_files: 1 is out of range 2..100000");
    refused("maintenance: {expire: {keep: 3}}\n", ":1: maintenance.expire.keep: unknown key");
    refused("maintenance: {enabled: maybe}\n", ":1: maintenance.enabled: expected true or false");
    refused("maintenance: [1]\n", ":1: maintenance: expected a mapping");
    /* deep in a table entry: still its own line */
    refused("tables:\n"
            "  - name: a\n"
            "    schema: [{name: id, type: long}]\n"
            "    maintenance:\n"
            "      expire:\n"
            "        min_snapshots_to_keep: 0\n",
            ":6: maintenance.expire.min_snapshots_to_keep: must be at least 1");
    /* one table, two blocks */
    refused("tables:\n"
            "  - name: a\n"
            "    schema: [{name: id, type: long}]\n"
            "    maintenance: {interval: 5s}\n"
            "pipelines:\n"
            "  - topic: t\n"
            "    table: default.a\n"
            "    maintenance: {interval: 9s}\n",
            "this table already has a maintenance block at");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
