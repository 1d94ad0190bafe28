/*
 * test_orphans.c - orphan cleanup (src/iceberg/orphans.c). A table with
 * commits, a replace that marks a file DELETED, an expired snapshot and
 * files recorded under other spellings of its location, plus strays: a
 * data file never committed, the manifest list of the expired snapshot
 * left by a crash, metadata files no longer in the metadata-log, a
 * temporary file of a killed write, a stray younger than the cutoff,
 * files outside the table (a sibling folder whose name shares its
 * prefix) and a symbolic link to a file outside. Exactly the old
 * unreferenced ones go, a dry run deletes nothing, every retained
 * snapshot reads the same rows after. Also: path spellings resolve to
 * one key; upload temp files are swept by age, never a real upload.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/time.h"
#include "iceberg/expire.h"
#include "iceberg/orphans.h"
#include "iceberg/table.h"
#include "pipe_env.h"
#include "table_env.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY_MS INT64_C(86400000)

static const char *const SCHEMA = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                                  "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":"
                                  "\"string\"},"
                                  "{\"id\":2,\"name\":\"ts\",\"required\":true,\"type\":"
                                  "\"timestamptz\"}]}";

static int64_t now_ms(void) { return fl_time_now_us() / 1000; }

static struct fl_ice_table *table_new(struct env *e, const char *name) {
    static const struct fl_ice_kv props[] = {
        {"write.metadata.delete-after-commit.enabled", "false"},
        {"write.metadata.previous-versions-max", "2"}};
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_create(e->st, fl_catalog_ice(e->cat), "default", name, e->schema, NULL, props,
                            2, &tbl, &err))
        fail_msg("create: %s", err.msg);
    return tbl;
}

static int64_t append_city(struct fl_ice_table *tbl, const char *city) {
    char row[128];
    snprintf(row, sizeof(row), "{\"city\":\"%s\",\"ts\":0}", city);
    return table_env_append(tbl, row);
}

static int64_t rows(struct fl_ice_table *tbl, int64_t snap) { return table_env_rows(tbl, snap); }

/* the local path of a store key */
static void path_of(struct env *e, const char *key, char *out, size_t outsz) {
    int n = snprintf(out, outsz, "%s/wh/%s", e->dir, key);
    assert_true(n > 0 && (size_t)n < outsz);
}

static void put(struct env *e, const char *key, const char *body) {
    struct fl_error err = {0};
    if (fl_store_put(e->st, key, body, strlen(body), &err)) fail_msg("put %s: %s", key, err.msg);
}

static int has(struct env *e, const char *key) {
    char p[1024];
    struct stat sb;
    path_of(e, key, p, sizeof(p));
    return lstat(p, &sb) == 0;
}

static void set_age(struct env *e, const char *key, int64_t mtime_ms) {
    char p[1024];
    path_of(e, key, p, sizeof(p));
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = (time_t)(mtime_ms / 1000);
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static fl_err_t age_all(void *ctx, const struct fl_store_obj *obj) {
    set_age(ctx, obj->key, now_ms() - 10 * DAY_MS);
    return FL_OK;
}

/* ---- what the snapshots hold ---- */

struct first {
    struct fl_ice_data_file df;
    int got;
};

static int first_live(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct first *f = ctx;
    if (!f->got && e->status != FL_ICE_STATUS_DELETED) {
        fl_ice_data_file_copy(&f->df, &e->df);
        f->got = 1;
    }
    return 0;
}

static bool is_path(void *ctx, const struct fl_ice_data_file *df) {
    return strcmp(df->file_path, (const char *)ctx) == 0;
}

/* Copies the first live file of snap under data/alt-<i>.parquet and
 * commits the copies, each recorded under another spelling of the
 * table's location: file:/x, a bare /x and file://localhost/x. */
static int64_t commit_spellings(struct env *e, struct fl_ice_table *tbl, int64_t snap) {
    struct fl_error err = {0};
    struct first f = {0};
    assert_int_equal(fl_ice_table_files(tbl, snap, NULL, first_live, &f, &err), FL_OK);
    assert_true(f.got);
    char key[1024], src[1024], dst[1024], cmd[3072];
    assert_int_equal(fl_ice_table_key(tbl, f.df.file_path, key, sizeof(key), &err), FL_OK);
    path_of(e, key, src, sizeof(src));
    struct fl_ice_data_file dfs[3];
    static const char *const schemes[] = {"file:", "", "file://localhost"};
    for (int i = 0; i < 3; i++) {
        snprintf(dst, sizeof(dst), "%s/wh/default/t/data/alt-%d.parquet", e->dir, i);
        snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
        assert_int_equal(system(cmd), 0);
        fl_ice_data_file_copy(&dfs[i], &f.df);
        free(dfs[i].file_path);
        char p[1024];
        snprintf(p, sizeof(p), "%s%s/wh/default/t/data/alt-%d.parquet", schemes[i], e->dir, i);
        dfs[i].file_path = strdup(p);
    }
    int64_t id = -1;
    if (fl_ice_table_commit_files(tbl, dfs, 3, NULL, 0, &id, &err)) fail_msg("%s", err.msg);
    for (int i = 0; i < 3; i++) fl_ice_data_file_fini(&dfs[i]);
    fl_ice_data_file_fini(&f.df);
    return id;
}

static int in_list(const char *key, const char *const *keys, int n) {
    for (int i = 0; i < n; i++)
        if (!strcmp(keys[i], key)) return 1;
    return 0;
}

struct meta_old {
    int below; /* versions under this one left the log */
    char keys[64][256];
    int n;
};

static fl_err_t old_metadata(void *ctx, const char *key, uint64_t size) {
    (void)size;
    struct meta_old *m = ctx;
    int v = fl_ice_metadata_version(key);
    if (v >= 0 && v < m->below && m->n < 64) snprintf(m->keys[m->n++], 256, "%s", key);
    return FL_OK;
}

static void test_clean_table(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-orphans", SCHEMA);
    struct fl_error err = {0};
    struct fl_ice_table *tbl = table_new(&e, "t");
    int64_t s1 = append_city(tbl, "a");
    int64_t s2 = append_city(tbl, "b");
    struct first fa = {0};
    assert_int_equal(fl_ice_table_files(tbl, s1, NULL, first_live, &fa, &err), FL_OK);
    int64_t s3 = -1; /* a's file DELETED from here on, still live in s2 */
    assert_int_equal(
        fl_ice_table_replace(tbl, is_path, fa.df.file_path, NULL, 0, "delete", NULL, 0, &s3, &err),
        FL_OK);
    int64_t s4 = append_city(tbl, "c");
    int64_t s5 = commit_spellings(&e, tbl, s4);
    assert_int_equal(rows(tbl, s5), 5);

    /* expire s1, then put its manifest list back as a crash would leave it */
    char list1[1024];
    assert_int_equal(fl_ice_table_key(tbl, fl_ice_meta_snapshot(tbl->meta, s1)->manifest_list,
                                      list1, sizeof(list1), &err),
                     FL_OK);
    struct fl_buf lb;
    fl_buf_init(&lb, FL_BUF_NOMAX);
    assert_int_equal(fl_store_get(e.st, list1, &lb, 1 << 20, &err), FL_OK);
    struct fl_ice_expire_opts xo = {.older_than_ms = FL_ICE_EXPIRE_UNSET, .ids = &s1, .nids = 1};
    struct fl_ice_expire_result xr;
    assert_int_equal(fl_ice_table_expire(tbl, &xo, &xr, &err), FL_OK);
    assert_int_equal(xr.nexpired, 1);
    fl_ice_expire_result_fini(&xr);
    assert_false(has(&e, list1));
    assert_int_equal(fl_store_put(e.st, list1, lb.data, lb.len, &err), FL_OK);
    fl_buf_fini(&lb);

    /* strays */
    put(&e, "default/t/data/never-committed.parquet", "PAR1 not really");
    put(&e, "default/t/data/fresh.parquet", "written by a commit in flight");
    put(&e, "default/t2/data/x.parquet", "another table whose name shares the prefix");
    put(&e, "default/other.bin", "outside any table");
    /* a lost attempt at a logged version; one at the next version (in flight) */
    char lost[256], next[256];
    snprintf(lost, sizeof(lost),
             "default/t/metadata/%05d-00000000-0000-4000-8000-000000000000.metadata.json",
             tbl->version - 1);
    snprintf(next, sizeof(next),
             "default/t/metadata/%05d-00000000-0000-4000-8000-000000000001.metadata.json",
             tbl->version + 1);
    put(&e, lost, "{}");
    put(&e, next, "{}");
    char p[1024], target[1024];
    path_of(&e, "default/t/data/.floe-tmp-crashed", p, sizeof(p));
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("half a parquet file", f);
    fclose(f);
    path_of(&e, "default/other.bin", target, sizeof(target));
    path_of(&e, "default/t/data/link.parquet", p, sizeof(p));
    assert_int_equal(symlink(target, p), 0);

    /* everything ten days old but the fresh stray */
    assert_int_equal(fl_store_scan(e.st, "", FL_STORE_SCAN_TEMP, age_all, &e, &err), FL_OK);
    set_age(&e, "default/t/data/fresh.parquet", now_ms() - 1000);

    /* what must go: the strays and the metadata versions the log let go */
    assert_int_equal(fl_ice_table_refresh(tbl, &err), FL_OK);
    assert_int_equal(fl_ice_meta_log_files(tbl->meta, NULL, 0), 2);
    struct meta_old mo = {.below = tbl->version - 2};
    assert_int_equal(fl_store_list(e.st, "default/t/metadata/", old_metadata, &mo, &err), FL_OK);
    assert_true(mo.n >= 2 * 3); /* twins of versions 0..2 at least */
    const char *want[80];
    int nwant = 0;
    want[nwant++] = "default/t/data/never-committed.parquet";
    want[nwant++] = "default/t/data/.floe-tmp-crashed";
    want[nwant++] = list1;
    want[nwant++] = lost;
    for (int i = 0; i < mo.n; i++) want[nwant++] = mo.keys[i];

    int64_t before[8], ids[8];
    int nsnap = tbl->meta->nsnapshots;
    assert_int_equal(nsnap, 4);
    for (int i = 0; i < nsnap; i++) {
        ids[i] = tbl->meta->snapshots[i].snapshot_id;
        before[i] = rows(tbl, ids[i]);
    }

    /* dry run: the list, nothing deleted */
    struct fl_ice_orphan_opts o = {.older_than_ms = now_ms() - DAY_MS, .dry_run = true};
    struct fl_ice_orphan_result dry, res;
    if (fl_ice_table_clean_orphans(tbl, &o, &dry, &err)) fail_msg("%s", err.msg);
    for (int i = 0; i < dry.nfiles; i++)
        if (!in_list(dry.files[i].key, want, nwant)) fail_msg("would delete %s", dry.files[i].key);
    assert_int_equal(dry.nfiles, nwant);
    assert_int_equal(dry.young, 1);
    assert_int_equal(dry.failed, 0);
    for (int i = 0; i < nwant; i++) assert_true(has(&e, want[i]));
    assert_true(dry.bytes > 0);

    /* the real run deletes exactly those */
    o.dry_run = false;
    if (fl_ice_table_clean_orphans(tbl, &o, &res, &err)) fail_msg("%s", err.msg);
    assert_int_equal(res.nfiles, dry.nfiles);
    assert_int_equal(res.failed, 0);
    assert_true(res.bytes == dry.bytes);
    for (int i = 0; i < nwant; i++) assert_false(has(&e, want[i]));
    fl_ice_orphan_result_fini(&dry);
    fl_ice_orphan_result_fini(&res);
    assert_true(has(&e, "default/t/data/fresh.parquet"));
    assert_true(has(&e, "default/t2/data/x.parquet"));
    assert_true(has(&e, "default/other.bin"));
    assert_true(has(&e, "default/t/data/link.parquet"));
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "default/t/data/alt-%d.parquet", i);
        assert_true(has(&e, p));
    }
    assert_true(has(&e, "default/t/metadata/version-hint.text"));
    assert_true(has(&e, next));

    /* every retained snapshot reads what it read, from a fresh load too */
    struct fl_ice_table *again = NULL;
    assert_int_equal(fl_ice_table_load(e.st, fl_catalog_ice(e.cat), "default", "t", &again, &err),
                     FL_OK);
    for (int i = 0; i < nsnap; i++) {
        assert_int_equal(rows(tbl, ids[i]), before[i]);
        assert_int_equal(rows(again, ids[i]), before[i]);
    }
    assert_int_equal(rows(again, s2), 2); /* reads a's file, DELETED in later manifests */
    assert_int_equal(rows(again, FL_ICE_NO_SNAPSHOT), 5);
    /* the same table by path opens and cleans to nothing more */
    struct fl_ice_table *bypath = NULL;
    assert_int_equal(fl_ice_table_load_path(e.st, "default/t", &bypath, &err), FL_OK);
    if (fl_ice_table_clean_orphans(bypath, &o, &res, &err)) fail_msg("%s", err.msg);
    assert_int_equal(res.nfiles, 0);
    fl_ice_orphan_result_fini(&res);
    fl_ice_table_free(bypath);
    fl_ice_table_free(again);
    fl_ice_data_file_fini(&fa.df);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

/* The spellings of one location resolve to one key; another bucket does
 * not. */
static void test_spellings(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-orphans", SCHEMA);
    struct fl_error err = {0};
    struct fl_ice_table *tbl = table_new(&e, "t");
    char k[1024], p[1024];
    static const char *const forms[][2] = {{"file://", "/wh/default/t/data/x"},
                                           {"file:", "/wh/default/t/data/x"},
                                           {"", "/wh/default/t/data/x"},
                                           {"file://localhost", "/wh/default/t//data/x"}};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        snprintf(p, sizeof(p), "%s%s%s", forms[i][0], e.dir, forms[i][1]);
        assert_int_equal(fl_ice_table_key(tbl, p, k, sizeof(k), &err), FL_OK);
        assert_string_equal(k, "default/t/data/x");
    }
    /* s3a:// and s3:// name the same objects */
    const char *loc = tbl->meta->location;
    tbl->meta->location = "s3a://bucket/wh/default/t";
    assert_int_equal(fl_ice_table_key(tbl, "s3://bucket/wh/default/t/data/y", k, sizeof(k), &err),
                     FL_OK);
    assert_string_equal(k, "default/t/data/y");
    assert_int_equal(fl_ice_table_key(tbl, "s3n://bucket/wh/default/t/data/y", k, sizeof(k), &err),
                     FL_OK);
    assert_string_equal(k, "default/t/data/y");
    assert_int_equal(fl_ice_table_key(tbl, "s3://other/wh/default/t/data/y", k, sizeof(k), &err),
                     FL_ERR_INVALID);
    tbl->meta->location = loc;

    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

/* Upload leftovers: old temporary files go, a fresh one and every real
 * upload stay; nothing outside the prefix is looked at. */
static void test_upload_temp_files(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-orphans", SCHEMA);
    struct fl_error err = {0};
    put(&e, "uploads/sessions/sessions_1.json", "{}");
    put(&e, "default/t/keep.json", "{}");
    char p[1024];
    static const char *const tmps[] = {"uploads/sessions/.floe-tmp-old1",
                                       "uploads/clients/.floe-tmp-old2",
                                       "uploads/sessions/.floe-tmp-fresh", "default/t/.floe-tmp-x"};
    for (int i = 0; i < 4; i++) {
        if (i == 1) put(&e, "uploads/clients/c.json", "{}");
        path_of(&e, tmps[i], p, sizeof(p));
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs("12345678", f);
        fclose(f);
        if (i != 2) set_age(&e, tmps[i], now_ms() - 2 * DAY_MS);
    }
    set_age(&e, "uploads/sessions/sessions_1.json", now_ms() - 30 * DAY_MS);
    struct fl_ice_orphan_opts o = {.older_than_ms = now_ms() - DAY_MS, .dry_run = true};
    struct fl_ice_orphan_result res;
    assert_int_equal(fl_ice_clean_temp_files(e.st, "uploads/", &o, &res, &err), FL_OK);
    assert_int_equal(res.nfiles, 2);
    assert_int_equal(res.young, 1);
    assert_true(res.bytes == 16);
    fl_ice_orphan_result_fini(&res);
    assert_true(has(&e, tmps[0]));
    o.dry_run = false;
    assert_int_equal(fl_ice_clean_temp_files(e.st, "uploads/", &o, &res, &err), FL_OK);
    assert_int_equal(res.nfiles, 2);
    assert_true(res.files[0].temp && res.files[1].temp);
    fl_ice_orphan_result_fini(&res);
    assert_false(has(&e, tmps[0]));
    assert_false(has(&e, tmps[1]));
    assert_true(has(&e, tmps[2]));
    assert_true(has(&e, tmps[3])); /* outside uploads/ */
    assert_true(has(&e, "uploads/sessions/sessions_1.json"));
    assert_true(has(&e, "uploads/clients/c.json"));
    /* only temporary names can be deleted as temporary files */
    assert_int_equal(fl_store_delete_temp(e.st, "uploads/clients/c.json", &err), FL_ERR_INVALID);
    assert_int_equal(fl_store_delete_temp(e.st, "../x/.floe-tmp-a", &err), FL_ERR_INVALID);
    assert_true(has(&e, "uploads/clients/c.json"));
    pipe_env_close(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_table),
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_upload_temp_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
