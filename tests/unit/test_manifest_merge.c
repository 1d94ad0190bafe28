/*
 * test_manifest_merge.c - manifest merging on commit: with
 * commit.manifest.min-count-to-merge = 3, the third append merges the
 * table's manifests into one whose entries keep their snapshot ids and
 * sequence numbers (EXISTING) beside the commit's own (ADDED); the
 * manifest list's counts and sequence numbers agree; older snapshots
 * still read their own manifests; delete manifests merge only with
 * delete manifests and specs are never mixed; merging off, or a target
 * size smaller than one manifest, leaves a manifest per commit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "catalog/catalog.h"
#include "iceberg/evolve.h"
#include "iceberg/merge.h"
#include "iceberg/table.h"
#include "table_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"temperature\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"}]}";

static int64_t scan_count(struct fl_ice_table *tbl, int64_t snap) {
    struct fl_ice_scan *sc = NULL;
    struct fl_error err = {0};
    if (fl_ice_scan_open(tbl, snap, &sc, &err)) fail_msg("scan: %s", err.msg);
    int64_t n = 0;
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &b, &err);
        if (rc == FL_ERR_EOF) break;
        if (rc) fail_msg("scan next: %s", err.msg);
        n += (int64_t)b->nrows;
    }
    fl_ice_scan_free(sc);
    return n;
}

/* Appends one row on day 10 + day of January 2026; returns the snapshot. */
static int64_t append_day(struct fl_ice_table *tbl, int day) {
    char row[160];
    snprintf(row, sizeof(row),
             "{\"city\":\"C%d\",\"temperature\":%d.0,\"ts\":\"2026-01-%02dT12:00:00Z\"}", day, day,
             10 + day);
    return table_env_append(tbl, row);
}

/* What one snapshot's manifest list and entries hold. */
#define MAXM 16
#define MAXE 64
struct listing {
    struct fl_ice_manifest_file mf[MAXM]; /* shallow: counts, ids, sequence numbers */
    int nmf;
    struct {
        int manifest; /* index into mf */
        fl_ice_status_t status;
        int64_t snapshot_id, seq, file_seq;
        int content;
        char city[16];
    } e[MAXE];
    int ne;
};

static bool keep_all(void *ctx, const struct fl_ice_manifest_file *mf) {
    struct listing *l = ctx;
    assert_true(l->nmf < MAXM);
    l->mf[l->nmf] = *mf;
    l->mf[l->nmf].manifest_path = NULL;
    l->mf[l->nmf].partitions = NULL;
    l->nmf++;
    return true;
}

static int on_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct listing *l = ctx;
    assert_true(l->ne < MAXE);
    l->e[l->ne].manifest = l->nmf - 1;
    l->e[l->ne].status = e->status;
    l->e[l->ne].snapshot_id = e->snapshot_id;
    l->e[l->ne].seq = e->sequence_number;
    l->e[l->ne].file_seq = e->file_sequence_number;
    l->e[l->ne].content = e->df.content;
    l->e[l->ne].city[0] = 0;
    l->ne++;
    return 0;
}

static void list_snapshot(struct fl_ice_table *tbl, int64_t snap, struct listing *l) {
    struct fl_error err = {0};
    memset(l, 0, sizeof(*l));
    if (fl_ice_table_files(tbl, snap, keep_all, on_entry, l, &err)) fail_msg("files: %s", err.msg);
}

/* The entry of the data file of snapshot s, or -1. */
static int entry_of(const struct listing *l, int64_t snap, int content) {
    for (int i = 0; i < l->ne; i++)
        if (l->e[i].snapshot_id == snap && l->e[i].content == content) return i;
    return -1;
}

struct fixture {
    char dir[64];
    struct fl_store *st;
    struct fl_catalog *cat;
    struct fl_ice_table *tbl;
};

static void open_table(struct fixture *fx, const struct fl_ice_kv *props, int nprops) {
    strcpy(fx->dir, "/tmp/floe-merge-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    char uri[256], caturi[256];
    snprintf(uri, sizeof(uri), "file://%s/wh", fx->dir);
    snprintf(caturi, sizeof(caturi), "sqlite://%s/catalog.db", fx->dir);
    struct fl_error err = {0};
    struct fl_schema *schema = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_store_opts sopts = {0};
    assert_int_equal(fl_store_open(uri, &sopts, &fx->st, &err), FL_OK);
    assert_int_equal(fl_catalog_open(caturi, "floe", &fx->cat, &err), FL_OK);
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err), FL_OK);
    const char *terms[] = {"day(ts)"};
    assert_int_equal(fl_ice_spec_from_terms(schema, 0, terms, 1, 1000, &spec, &err), FL_OK);
    if (fl_ice_table_create(fx->st, fl_catalog_ice(fx->cat), "default", "weather", schema, spec,
                            props, nprops, &fx->tbl, &err))
        fail_msg("create: %s", err.msg);
    fl_schema_free(schema);
    fl_ice_spec_free(spec);
}

static void close_table(struct fixture *fx) {
    fl_ice_table_free(fx->tbl);
    fl_catalog_free(fx->cat);
    fl_store_free(fx->st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
    assert_int_equal(system(cmd), 0);
}

static bool is_c2_or_c3(void *ctx, const struct fl_batch *b, size_t row) {
    int *which = ctx;
    size_t len;
    const uint8_t *p = fl_col_bytes(&b->cols[0], row, &len);
    char want[8];
    snprintf(want, sizeof(want), "C%d", *which);
    return len == strlen(want) && memcmp(p, want, len) == 0;
}

static void test_merge_on_append(void **state) {
    (void)state;
    struct fixture fx;
    struct fl_ice_kv props[] = {{FL_ICE_MERGE_MIN_COUNT, "3"}};
    open_table(&fx, props, 1);
    struct fl_ice_table *tbl = fx.tbl;
    struct listing l;
    int64_t s[8];

    s[1] = append_day(tbl, 1);
    s[2] = append_day(tbl, 2);
    list_snapshot(tbl, s[2], &l);
    assert_int_equal(l.nmf, 2); /* 2 < 3: kept apart */
    assert_string_equal(fl_ice_snapshot_summary(tbl->meta, s[2], "manifests-created"), "1");
    assert_string_equal(fl_ice_snapshot_summary(tbl->meta, s[2], "manifests-kept"), "1");

    s[3] = append_day(tbl, 3); /* 3 manifests in the bin: merged into one */
    list_snapshot(tbl, s[3], &l);
    assert_int_equal(l.nmf, 1);
    assert_int_equal(l.ne, 3);
    assert_int_equal(l.mf[0].added_snapshot_id, s[3]);
    assert_int_equal(l.mf[0].sequence_number, 3);
    assert_int_equal(l.mf[0].min_sequence_number, 1);
    assert_int_equal(l.mf[0].added_files_count, 1);
    assert_int_equal(l.mf[0].existing_files_count, 2);
    assert_int_equal(l.mf[0].deleted_files_count, 0);
    assert_int_equal(l.mf[0].added_rows_count, 1);
    assert_int_equal(l.mf[0].existing_rows_count, 2);
    for (int k = 1; k <= 3; k++) {
        int i = entry_of(&l, s[k], 0);
        assert_true(i >= 0);
        assert_int_equal(l.e[i].status, k == 3 ? FL_ICE_STATUS_ADDED : FL_ICE_STATUS_EXISTING);
        assert_int_equal(l.e[i].seq, k); /* data sequence number of the commit that added it */
        assert_int_equal(l.e[i].file_seq, k);
    }
    assert_string_equal(fl_ice_snapshot_summary(tbl->meta, s[3], "manifests-created"), "1");
    assert_string_equal(fl_ice_snapshot_summary(tbl->meta, s[3], "manifests-kept"), "0");
    assert_string_equal(fl_ice_snapshot_summary(tbl->meta, s[3], "manifests-replaced"), "2");
    assert_int_equal(scan_count(tbl, s[3]), 3);

    /* time travel: the older snapshots keep their lists and manifests */
    list_snapshot(tbl, s[2], &l);
    assert_int_equal(l.nmf, 2);
    assert_int_equal(scan_count(tbl, s[1]), 1);
    assert_int_equal(scan_count(tbl, s[2]), 2);

    s[4] = append_day(tbl, 4); /* [new, merged]: 2 < 3, kept */
    list_snapshot(tbl, s[4], &l);
    assert_int_equal(l.nmf, 2);
    s[5] = append_day(tbl, 5); /* [new, m4, merged]: merged again, the EXISTING stay EXISTING */
    list_snapshot(tbl, s[5], &l);
    assert_int_equal(l.nmf, 1);
    assert_int_equal(l.ne, 5);
    assert_int_equal(l.mf[0].sequence_number, 5);
    assert_int_equal(l.mf[0].min_sequence_number, 1);
    assert_int_equal(l.mf[0].added_files_count, 1);
    assert_int_equal(l.mf[0].existing_files_count, 4);
    for (int k = 1; k <= 5; k++) {
        int i = entry_of(&l, s[k], 0);
        assert_true(i >= 0);
        assert_int_equal(l.e[i].seq, k);
        assert_int_equal(l.e[i].status, k == 5 ? FL_ICE_STATUS_ADDED : FL_ICE_STATUS_EXISTING);
    }
    assert_int_equal(scan_count(tbl, FL_ICE_NO_SNAPSHOT), 5);
    assert_int_equal(scan_count(tbl, s[4]), 4);

    /* deletes: three delete commits; delete manifests merge among themselves */
    struct fl_error err = {0};
    int64_t deleted = 0, d[4];
    for (int k = 1; k <= 3; k++) {
        if (fl_ice_table_delete_where(tbl, is_c2_or_c3, &k, &deleted, &d[k], &err))
            fail_msg("%s", err.msg);
        assert_int_equal(deleted, 1);
    }
    list_snapshot(tbl, d[2], &l);
    assert_int_equal(l.nmf, 3); /* the data manifest and two delete manifests */
    list_snapshot(tbl, d[3], &l);
    assert_int_equal(l.nmf, 2); /* the data manifest and one merged delete manifest */
    int ndel = 0;
    for (int m = 0; m < l.nmf; m++) {
        for (int i = 0; i < l.ne; i++)
            if (l.e[i].manifest == m) assert_int_equal(l.e[i].content != 0, l.mf[m].content);
        if (l.mf[m].content == 1) {
            ndel++;
            assert_int_equal(l.mf[m].added_files_count, 1);
            assert_int_equal(l.mf[m].existing_files_count, 2);
            assert_int_equal(l.mf[m].sequence_number, 8);
            assert_int_equal(l.mf[m].min_sequence_number, 6);
        }
    }
    assert_int_equal(ndel, 1);
    for (int k = 1; k <= 3; k++) {
        int i = entry_of(&l, d[k], 1);
        assert_true(i >= 0);
        assert_int_equal(l.e[i].seq, 5 + k); /* a delete keeps its own sequence number */
    }
    assert_int_equal(scan_count(tbl, FL_ICE_NO_SNAPSHOT), 2);
    assert_int_equal(scan_count(tbl, d[1]), 4);
    assert_int_equal(scan_count(tbl, s[5]), 5);

    /* a new partition spec: its manifests never merge with the old spec's */
    const char *terms[] = {"city"};
    assert_int_equal(fl_ice_table_set_partitioning(tbl, terms, 1, &err), FL_OK);
    for (int k = 6; k <= 8; k++) s[k % 8] = append_day(tbl, k);
    list_snapshot(tbl, s[0], &l);
    int nspec1 = 0;
    for (int m = 0; m < l.nmf; m++) {
        if (l.mf[m].partition_spec_id != 1) continue;
        nspec1++;
        assert_int_equal(l.mf[m].added_files_count + l.mf[m].existing_files_count, 3);
        for (int i = 0; i < l.ne; i++)
            if (l.e[i].manifest == m) assert_true(l.e[i].seq >= 9);
    }
    assert_int_equal(nspec1, 1);
    assert_int_equal(scan_count(tbl, FL_ICE_NO_SNAPSHOT), 5);
    close_table(&fx);
}

static void test_merge_off(void **state) {
    (void)state;
    struct fixture fx;
    struct fl_ice_kv off[] = {{FL_ICE_MERGE_ENABLED, "false"}, {FL_ICE_MERGE_MIN_COUNT, "2"}};
    open_table(&fx, off, 2);
    int64_t s = -1;
    for (int k = 1; k <= 4; k++) s = append_day(fx.tbl, k);
    struct listing l;
    list_snapshot(fx.tbl, s, &l);
    assert_int_equal(l.nmf, 4);
    close_table(&fx);

    /* a target smaller than one manifest: every bin holds one, none merges */
    struct fl_ice_kv tiny[] = {{FL_ICE_MERGE_MIN_COUNT, "2"}, {FL_ICE_MERGE_TARGET_BYTES, "100"}};
    open_table(&fx, tiny, 2);
    for (int k = 1; k <= 4; k++) s = append_day(fx.tbl, k);
    list_snapshot(fx.tbl, s, &l);
    assert_int_equal(l.nmf, 4);
    close_table(&fx);

    /* the defaults: 100 manifests before the first merge */
    open_table(&fx, NULL, 0);
    struct fl_ice_merge_opts mo;
    fl_ice_merge_opts_from_meta(fx.tbl->meta, &mo);
    assert_true(mo.enabled);
    assert_int_equal(mo.min_count, 100);
    assert_int_equal(mo.target_bytes, 8 << 20);
    for (int k = 1; k <= 4; k++) s = append_day(fx.tbl, k);
    list_snapshot(fx.tbl, s, &l);
    assert_int_equal(l.nmf, 4);
    close_table(&fx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_on_append),
        cmocka_unit_test(test_merge_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
