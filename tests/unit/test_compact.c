/*
 * test_compact.c - bin-pack compaction (iceberg/compact.c) on real
 * tables partitioned by city: small files per partition become one file
 * per partition with the same rows (position and equality deletes
 * applied, the position delete files gone), one replace snapshot per
 * partition's group with the starting sequence number; and, from a
 * second handle between the plan and the commit (the before_commit
 * hook): an append is kept, a position delete against a file of the
 * group abandons the group and the retry applies it, an equality delete
 * still applies to the rewritten rows, a removed file abandons its
 * group. A dry run changes nothing; a newer format is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "core/mem.h"
#include "iceberg/compact.h"
#include "iceberg/orphans.h"
#include "iceberg/table.h"
#include "iceberg/table_int.h"
#include "log/log.h"
#include "pipe_env.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *SCHEMA = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                            "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                            "{\"id\":2,\"name\":\"city\",\"required\":false,\"type\":\"string\"}]}";

/* format 2, or 3 (deletion vectors, row lineage) when v3 */
static struct fl_ice_table *table_new_fmt(struct env *e, bool v3) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    struct fl_ice_spec *spec = NULL;
    const char *terms[] = {"city"};
    struct fl_ice_kv props[] = {{"format-version", "3"}};
    if (fl_ice_spec_from_terms(e->schema, 0, terms, 1, 1000, &spec, &err)) fail_msg("%s", err.msg);
    if (fl_ice_table_create(e->st, fl_catalog_ice(e->cat), "db", "t", e->schema, spec, props,
                            v3 ? 1 : 0, &tbl, &err))
        fail_msg("create: %s", err.msg);
    fl_ice_spec_free(spec);
    assert_int_equal(tbl->meta->format_version, v3 ? 3 : 2);
    return tbl;
}

static struct fl_ice_table *table_new(struct env *e) { return table_new_fmt(e, false); }

static struct fl_ice_table *table_load(struct env *e) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_load(e->st, fl_catalog_ice(e->cat), "db", "t", &tbl, &err))
        fail_msg("load: %s", err.msg);
    return tbl;
}

static struct fl_batch *row_batch(struct fl_ice_table *tbl, int64_t id, const char *city) {
    struct fl_error err = {0};
    struct fl_batch *b = NULL;
    char row[128];
    snprintf(row, sizeof(row), "{\"id\":%lld,\"city\":\"%s\"}", (long long)id, city);
    assert_int_equal(fl_batch_new(fl_ice_meta_current_schema(tbl->meta), 0, &b, &err), FL_OK);
    if (fl_batch_append_json(b, row, strlen(row), &err)) fail_msg("%s", err.msg);
    return b;
}

/* Appends the row (id, city) as one snapshot; no cmocka inside, so that
 * threads may call it. */
static fl_err_t try_append(struct fl_ice_table *tbl, int64_t id, const char *city,
                           struct fl_error *err) {
    char row[128];
    snprintf(row, sizeof(row), "{\"id\":%lld,\"city\":\"%s\"}", (long long)id, city);
    struct fl_batch *b = NULL;
    struct fl_ice_appender *ap = NULL;
    fl_err_t rc = fl_batch_new(fl_ice_meta_current_schema(tbl->meta), 0, &b, err);
    if (!rc) rc = fl_batch_append_json(b, row, strlen(row), err);
    if (!rc) rc = fl_ice_appender_new(tbl, &ap, err);
    if (!rc) rc = fl_ice_appender_add(ap, b, err);
    if (!rc) rc = fl_ice_appender_commit(ap, NULL, 0, NULL, err);
    fl_ice_appender_free(ap);
    fl_batch_free(b);
    return rc;
}

static void append(struct fl_ice_table *tbl, int64_t id, const char *city) {
    struct fl_error err = {0};
    if (try_append(tbl, id, city, &err)) fail_msg("append: %s", err.msg);
}

static bool id_is(void *ctx, const struct fl_batch *b, size_t row) {
    int64_t v;
    memcpy(&v, b->cols[0].values + row * 8, 8);
    return v == *(int64_t *)ctx;
}

static void delete_id(struct fl_ice_table *tbl, int64_t id) {
    struct fl_error err = {0};
    int64_t n = 0, snap = -1;
    if (fl_ice_table_delete_where(tbl, id_is, &id, &n, &snap, &err)) fail_msg("%s", err.msg);
    assert_int_equal(n, 1);
}

static fl_err_t sink(void *ctx, const void *data, size_t len) {
    return fl_buf_append(ctx, data, len);
}

/* Writes rows (of schema) as a delete file of the given content in
 * city's partition (db/t/data/city=<city>/<tag>-<id>.parquet) and commits
 * it as its own snapshot; an equality delete is on id (field 1). */
static void commit_delete_file(struct fl_ice_table *tbl, const struct fl_schema *schema,
                               const struct fl_batch *rows, int64_t id, const char *city,
                               int content, const char *tag) {
    struct fl_error err = {0};
    struct fl_batch *b = row_batch(tbl, id, city);
    const struct fl_ice_spec *spec = fl_ice_meta_default_spec(tbl->meta);
    struct fl_ice_pval vals[2];
    fl_ice_spec_row_values(spec, b, 0, vals);
    struct fl_buf file;
    fl_buf_init(&file, FL_BUF_NOMAX);
    struct fl_pq_writer_opts opts;
    fl_pq_writer_opts_default(&opts);
    struct fl_pq_writer *pqw = NULL;
    struct fl_pq_file_result res = {0};
    assert_int_equal(fl_pq_writer_new(schema, &opts, sink, &file, &pqw, &err), FL_OK);
    assert_int_equal(fl_pq_writer_add_batch(pqw, rows, &err), FL_OK);
    assert_int_equal(fl_pq_writer_close(pqw, &res, &err), FL_OK);
    char key[256];
    snprintf(key, sizeof(key), "db/t/data/city=%s/%s-%lld.parquet", city, tag, (long long)id);
    assert_int_equal(fl_store_put(tbl->store, key, file.data, file.len, &err), FL_OK);
    char *loc = fl_ice_table_uri(tbl, key);
    struct fl_ice_data_file df;
    assert_int_equal(fl_ice_data_file_from_parquet(&df, loc, schema, &res, spec, vals, &err),
                     FL_OK);
    df.content = content;
    if (content == FL_ICE_CONTENT_EQUALITY_DELETES) {
        df.equality_ids = fl_calloc(1, sizeof(int32_t));
        df.equality_ids[0] = 1;
        df.nequality = 1;
    }
    if (fl_ice_table_commit_files(tbl, &df, 1, NULL, 0, NULL, &err)) fail_msg("%s", err.msg);
    fl_ice_data_file_fini(&df);
    fl_free(loc);
    fl_pq_file_result_fini(&res);
    fl_pq_writer_free(pqw);
    fl_buf_fini(&file);
    fl_batch_free(b);
}

/* An equality delete on id (field 1) for the row (id, city), in city's
 * partition, committed as its own snapshot. */
static void eq_delete(struct fl_ice_table *tbl, int64_t id, const char *city) {
    struct fl_batch *b = row_batch(tbl, id, city);
    commit_delete_file(tbl, fl_ice_meta_current_schema(tbl->meta), b, id, city,
                       FL_ICE_CONTENT_EQUALITY_DELETES, "eq");
    fl_batch_free(b);
}

/* fl_ice_scan_each's callback: the data file and position of row id. */
struct where_is {
    int64_t id;
    char path[512];
    int64_t pos;
};

static fl_err_t find_id(void *ctx, const struct fl_batch *b, const char *path, const int64_t *pos,
                        struct fl_error *err) {
    (void)err;
    struct where_is *w = ctx;
    for (size_t r = 0; r < b->nrows; r++)
        if (fl_col_int(&b->cols[0], r) == w->id) {
            snprintf(w->path, sizeof(w->path), "%s", path);
            w->pos = pos[r];
        }
    return FL_OK;
}

/* Where row id is in the current snapshot (its file path and position). */
static struct where_is where_is(struct fl_ice_table *tbl, int64_t id) {
    struct fl_error err = {0};
    struct where_is w = {.id = id};
    struct fl_ice_scan *sc = NULL;
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_OK);
    assert_int_equal(fl_ice_scan_each(sc, find_id, &w, &err), FL_OK);
    fl_ice_scan_free(sc);
    return w;
}

/* A position delete of row id (in city's partition) as another engine
 * writes one: its file_path spelled file:/... where the manifest says
 * file:///..., committed as its own snapshot. */
static void pos_delete_spelled(struct fl_ice_table *tbl, int64_t id, const char *city) {
    struct fl_error err = {0};
    struct where_is w = where_is(tbl, id);
    assert_true(!strncmp(w.path, "file:///", 8));
    static const char pos_schema[] =
        "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
        "{\"id\":2147483546,\"name\":\"file_path\",\"required\":true,\"type\":\"string\"},"
        "{\"id\":2147483545,\"name\":\"pos\",\"required\":true,\"type\":\"long\"}]}";
    struct fl_schema *ps = NULL;
    assert_int_equal(fl_schema_parse(pos_schema, strlen(pos_schema), &ps, &err), FL_OK);
    char row[700];
    snprintf(row, sizeof(row), "{\"file_path\":\"file:%s\",\"pos\":%lld}", w.path + 7,
             (long long)w.pos);
    struct fl_batch *pb = NULL;
    assert_int_equal(fl_batch_new(ps, 0, &pb, &err), FL_OK);
    if (fl_batch_append_json(pb, row, strlen(row), &err)) fail_msg("%s", err.msg);
    commit_delete_file(tbl, ps, pb, id, city, FL_ICE_CONTENT_POSITION_DELETES, "pos");
    fl_batch_free(pb);
    fl_schema_free(ps);
}

/* An upsert of row id as the pipeline does it on a format 3 table: a
 * deletion vector for the old row (merged with its file's live one)
 * committed with the new row as one snapshot. */
static void upsert(struct fl_ice_table *tbl, int64_t id, const char *city) {
    struct fl_error err = {0};
    struct where_is w = where_is(tbl, id);
    assert_true(w.path[0] != '\0');
    const char *paths[] = {w.path};
    struct fl_ice_data_file *dels = NULL;
    int ndels = 0;
    if (fl_ice_table_write_position_deletes(tbl, paths, &w.pos, 1, &dels, &ndels, &err))
        fail_msg("deletes: %s", err.msg);
    assert_int_equal(ndels, 1);
    assert_true(dels[0].has_content_range); /* a deletion vector */
    int64_t base = tbl->meta->current_snapshot_id, snap = -1;
    struct fl_batch *b = row_batch(tbl, id, city);
    struct fl_ice_appender *ap = NULL;
    assert_int_equal(fl_ice_appender_new(tbl, &ap, &err), FL_OK);
    assert_int_equal(fl_ice_appender_add(ap, b, &err), FL_OK);
    if (fl_ice_appender_commit_with(ap, dels, ndels, base, paths, 1, NULL, 0, &snap, &err))
        fail_msg("upsert commit: %s", err.msg);
    fl_ice_appender_free(ap);
    fl_batch_free(b);
    for (int i = 0; i < ndels; i++) fl_ice_data_file_fini(&dels[i]);
    fl_free(dels);
}

/* The ids of the current snapshot, sorted, as "1,2,3". */
static const char *ids(struct fl_ice_table *tbl) {
    static char out[4096];
    int64_t v[512];
    int n = 0;
    struct fl_ice_scan *sc = NULL;
    struct fl_error err = {0};
    if (fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err)) fail_msg("scan: %s", err.msg);
    struct fl_batch *b = NULL;
    fl_err_t rc;
    while ((rc = fl_ice_scan_next(sc, &b, &err)) == FL_OK)
        for (size_t r = 0; r < b->nrows && n < 512; r++)
            memcpy(&v[n++], b->cols[0].values + r * 8, 8);
    assert_int_equal(rc, FL_ERR_EOF);
    fl_ice_scan_free(sc);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            int64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%lld", i ? "," : "",
                 (long long)v[i]);
    return out;
}

struct counts {
    int data, pos, eq;
};

static int count_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct counts *c = ctx;
    if (e->status == FL_ICE_STATUS_DELETED) return 0;
    if (e->df.content == FL_ICE_CONTENT_DATA) c->data++;
    if (e->df.content == FL_ICE_CONTENT_POSITION_DELETES) c->pos++;
    if (e->df.content == FL_ICE_CONTENT_EQUALITY_DELETES) c->eq++;
    return 0;
}

static struct counts live(struct fl_ice_table *tbl) {
    struct counts c = {0};
    struct fl_error err = {0};
    const struct fl_ice_snapshot *s = fl_ice_meta_current_snapshot(tbl->meta);
    if (fl_ice_table_files(tbl, s->snapshot_id, NULL, count_entry, &c, &err))
        fail_msg("%s", err.msg);
    return c;
}

/* ids 1..12 in a, 101..112 in b: 12 one-row files per partition */
static void fill(struct fl_ice_table *tbl) {
    for (int i = 1; i <= 12; i++) {
        append(tbl, i, "a");
        append(tbl, 100 + i, "b");
    }
}

static void compact(struct fl_ice_table *tbl, struct fl_ice_compact_opts *o,
                    struct fl_ice_compact_result *res) {
    struct fl_error err = {0};
    if (fl_ice_table_compact(tbl, o, res, &err)) fail_msg("compact: %s", err.msg);
}

static void test_compact_rows(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-compact", SCHEMA);
    struct fl_ice_table *tbl = table_new(&e);
    fill(tbl);
    delete_id(tbl, 3);
    eq_delete(tbl, 8, "a");
    const char *want = "1,2,4,5,6,7,9,10,11,12,101,102,103,104,105,106,107,108,109,110,111,112";
    assert_string_equal(ids(tbl), want);
    int64_t seq0 = fl_ice_meta_current_snapshot(tbl->meta)->sequence_number;
    struct fl_ice_compact_opts o = {0};
    struct fl_ice_compact_result res;
    compact(tbl, &o, &res);
    assert_int_equal(res.ngroups, 2); /* one per partition */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(res.groups[i].state, FL_ICE_GROUP_COMMITTED);
        assert_int_equal(res.groups[i].nfiles, 12);
        assert_int_equal(res.groups[i].nout, 1);
    }
    assert_string_equal(res.groups[0].partition, "city=a");
    assert_int_equal(res.groups[0].out_records, 10);
    assert_int_equal(res.groups[0].ndeletes_removed, 1);
    assert_int_equal(res.nparts, 2);
    assert_int_equal(res.parts[0].files_before, 12);
    assert_int_equal(res.parts[0].files_after, 1);
    assert_string_equal(ids(tbl), want);
    struct counts c = live(tbl);
    assert_int_equal(c.data, 2);
    assert_int_equal(c.pos, 0); /* named only compacted files: removed */
    assert_int_equal(c.eq, 1);  /* equality deletes stay (expiry removes them later) */
    /* the new files carry the starting sequence number; one replace per group */
    const struct fl_ice_snapshot *cur = fl_ice_meta_current_snapshot(tbl->meta);
    assert_string_equal(cur->operation, "replace");
    assert_int_equal(cur->sequence_number, seq0 + 2);
    assert_int_equal(res.groups[1].snapshot_id, cur->snapshot_id);
    fl_ice_compact_result_fini(&res);
    /* a second run has nothing to do */
    compact(tbl, &o, &res);
    assert_int_equal(res.ngroups, 0);
    fl_ice_compact_result_fini(&res);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

static void test_compact_dry_run_and_refusal(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-compact", SCHEMA);
    struct fl_ice_table *tbl = table_new(&e);
    fill(tbl);
    char *loc = fl_strdup(tbl->metadata_location);
    struct fl_ice_compact_opts o = {.dry_run = true};
    struct fl_ice_compact_result res;
    compact(tbl, &o, &res);
    assert_int_equal(res.ngroups, 2);
    assert_int_equal(res.groups[0].state, FL_ICE_GROUP_PLANNED);
    fl_ice_compact_result_fini(&res);
    assert_int_equal(fl_ice_table_refresh(tbl, &(struct fl_error){0}), FL_OK);
    assert_string_equal(tbl->metadata_location, loc);
    assert_int_equal(live(tbl).data, 24);
    /* --partition and --min-input-files */
    struct fl_ice_compact_opts o2 = {.dry_run = true, .partition = "city=b"};
    compact(tbl, &o2, &res);
    assert_int_equal(res.ngroups, 1);
    assert_string_equal(res.groups[0].partition, "city=b");
    fl_ice_compact_result_fini(&res);
    struct fl_ice_compact_opts o3 = {.dry_run = true, .min_input_files = 13};
    compact(tbl, &o3, &res);
    assert_int_equal(res.ngroups, 0);
    fl_ice_compact_result_fini(&res);
    /* a format it does not know: refused before any change */
    tbl->meta->format_version = 4;
    struct fl_error err = {0};
    assert_int_equal(fl_ice_table_compact(tbl, &o, &res, &err), FL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "format version 4"));
    fl_ice_compact_result_fini(&res);
    fl_free(loc);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

/* ---- a second writer between the plan and the commit ---- */

enum what { APPEND, POS_DELETE, POS_DELETE_SPELLED, EQ_DELETE, REMOVE_FILE, DV_UPSERT };

struct hook {
    struct env *e;
    enum what what;
    int calls;
};

static bool remove_one(void *ctx, const struct fl_ice_data_file *df) {
    int *done = ctx;
    if (*done || df->content != FL_ICE_CONTENT_DATA || !strstr(df->file_path, "city=a"))
        return false;
    *done = 1;
    return true;
}

static fl_err_t before_commit(void *ctx, int group, struct fl_error *err) {
    (void)err;
    struct hook *h = ctx;
    if (group != 0 || h->calls++ > 0) return FL_OK; /* once, while group 0 (city=a) waits */
    struct fl_ice_table *other = table_load(h->e);
    struct fl_error e2 = {0};
    int done = 0;
    switch (h->what) {
    case APPEND:
        append(other, 50, "a");
        break;
    case POS_DELETE:
        delete_id(other, 5);
        break;
    case POS_DELETE_SPELLED:
        pos_delete_spelled(other, 5, "a");
        break;
    case EQ_DELETE:
        eq_delete(other, 6, "a");
        break;
    case DV_UPSERT: /* format 3: a deletion vector for a file of the group */
        upsert(other, 5, "a");
        break;
    case REMOVE_FILE:
        if (fl_ice_table_replace(other, remove_one, &done, NULL, 0, "delete", NULL, 0, NULL, &e2))
            fail_msg("%s", e2.msg);
        break;
    }
    fl_ice_table_free(other);
    return FL_OK;
}

/* Files under the table's folder that no metadata references, whatever
 * their age: what a commit left behind. */
static int unreferenced(struct fl_ice_table *tbl) {
    struct fl_error err = {0};
    struct fl_ice_orphan_opts o = {.older_than_ms = INT64_MAX / 2, .dry_run = true};
    struct fl_ice_orphan_result res;
    if (fl_ice_table_clean_orphans(tbl, &o, &res, &err)) fail_msg("%s", err.msg);
    for (int i = 0; i < res.nfiles; i++) print_message("unreferenced: %s\n", res.files[i].key);
    int n = res.nfiles;
    fl_ice_orphan_result_fini(&res);
    return n;
}

/* The current snapshot's manifests without a live entry. */
static int dead_manifests(struct fl_ice_table *tbl) {
    struct fl_error err = {0};
    struct fl_ice_manifest_file *mf = NULL;
    int n = 0, dead = 0;
    if (fl_ice_table_manifests(tbl, &mf, &n, &err)) fail_msg("%s", err.msg);
    for (int i = 0; i < n; i++) {
        dead += mf[i].added_files_count == 0 && mf[i].existing_files_count == 0;
        fl_ice_manifest_file_fini(&mf[i]);
    }
    fl_free(mf);
    return dead;
}

static void concurrent(enum what what, struct fl_ice_compact_result *res, char *ids_out,
                       struct counts *c) {
    struct env e;
    pipe_env_open(&e, "floe-compact", SCHEMA);
    struct fl_ice_table *tbl = table_new_fmt(&e, what == DV_UPSERT);
    fill(tbl);
    struct hook h = {.e = &e, .what = what};
    struct fl_ice_compact_opts o = {.before_commit = before_commit, .hook_ctx = &h};
    compact(tbl, &o, res);
    snprintf(ids_out, 4096, "%s", ids(tbl));
    *c = live(tbl);
    /* the attempts that lost to the concurrent commit left nothing behind */
    assert_int_equal(unreferenced(tbl), 0);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

/* A replace's manifests that hold only DELETED entries stay in its own
 * snapshot and are not carried into the next (Iceberg Java's rule), so
 * compaction does not leave dead manifests in every later scan. */
static void test_dead_manifests_dropped(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-compact", SCHEMA);
    struct fl_ice_table *tbl = table_new(&e);
    fill(tbl);
    struct fl_ice_compact_opts o = {0};
    struct fl_ice_compact_result res;
    compact(tbl, &o, &res);
    fl_ice_compact_result_fini(&res);
    compact(tbl, &o, &res); /* nothing left to do */
    fl_ice_compact_result_fini(&res);
    assert_true(dead_manifests(tbl) > 0);
    const char *want = "1,2,3,4,5,6,7,8,9,10,11,12,101,102,103,104,105,106,107,108,109,110,111,"
                       "112,113";
    append(tbl, 113, "b");
    assert_int_equal(dead_manifests(tbl), 0);
    assert_string_equal(ids(tbl), want);
    assert_int_equal(unreferenced(tbl), 0);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

/* One thread's appends through its own handle (no cmocka in threads). */
struct appender_thread {
    struct env *e;
    int first, n;
    int64_t conflicts;
    char error[600];
};

static void *append_thread(void *arg) {
    struct appender_thread *a = arg;
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_load(a->e->st, fl_catalog_ice(a->e->cat), "db", "t", &tbl, &err)) {
        snprintf(a->error, sizeof(a->error), "load: %s", err.msg);
        return NULL;
    }
    for (int i = 0; i < a->n && !a->error[0]; i++)
        if (try_append(tbl, a->first + i, "c", &err))
            snprintf(a->error, sizeof(a->error), "%s", err.msg);
    a->conflicts = tbl->conflicts;
    fl_ice_table_free(tbl);
    return NULL;
}

/* Handles of one table in one process commit one at a time under its
 * commit lock (commit_lock.h): a handle behind another's commit catches
 * up before its attempt instead of losing the compare-and-swap, so four
 * threads appending at once all land, none retried. */
static void test_commit_lock(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-compact", SCHEMA);
    struct fl_ice_table *a = table_new(&e), *b = table_load(&e);
    append(a, 1, "a");
    append(b, 2, "b"); /* b was loaded before a's commit */
    assert_int_equal(a->conflicts + b->conflicts, 0);
    assert_string_equal(ids(b), "1,2");
    pthread_t th[4];
    struct appender_thread at[4];
    for (int i = 0; i < 4; i++) {
        at[i] = (struct appender_thread){.e = &e, .first = 100 * (i + 1), .n = 10};
        assert_int_equal(pthread_create(&th[i], NULL, append_thread, &at[i]), 0);
    }
    int64_t conflicts = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        if (at[i].error[0]) fail_msg("thread %d: %s", i, at[i].error);
        conflicts += at[i].conflicts;
    }
    assert_int_equal(conflicts, 0);
    struct fl_error err = {0};
    assert_int_equal(fl_ice_table_refresh(b, &err), FL_OK);
    assert_int_equal(live(b).data, 42); /* one file an append */
    fl_ice_table_free(a);
    fl_ice_table_free(b);
    pipe_env_close(&e);
}

/* The path of a live data file of partition city=<city>. */
struct pick {
    const char *city;
    char path[512];
};

static int pick_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct pick *pk = ctx;
    char part[32];
    snprintf(part, sizeof(part), "city=%s/", pk->city);
    if (!pk->path[0] && e->status != FL_ICE_STATUS_DELETED &&
        e->df.content == FL_ICE_CONTENT_DATA && strstr(e->df.file_path, part))
        snprintf(pk->path, sizeof(pk->path), "%s", e->df.file_path);
    return 0;
}

/* An upsert's row delta planned on snapshot base: a position delete of
 * row 0 of path and one new row, committed through tbl. */
static fl_err_t row_delta(struct fl_ice_table *tbl, int64_t base, const char *path, int64_t id,
                          struct fl_error *err) {
    struct fl_ice_data_file *dels = NULL;
    int ndels = 0;
    int64_t pos = 0;
    const char *paths[] = {path};
    if (fl_ice_table_write_position_deletes(tbl, paths, &pos, 1, &dels, &ndels, err))
        fail_msg("%s", err->msg);
    struct fl_batch *b = row_batch(tbl, id, "a");
    struct fl_ice_appender *ap = NULL;
    assert_int_equal(fl_ice_appender_new(tbl, &ap, err), FL_OK);
    assert_int_equal(fl_ice_appender_add(ap, b, err), FL_OK);
    fl_err_t rc = fl_ice_appender_commit_with(ap, dels, ndels, base, paths, 1, NULL, 0, NULL, err);
    fl_ice_appender_free(ap);
    fl_batch_free(b);
    for (int i = 0; i < ndels; i++) fl_ice_data_file_fini(&dels[i]);
    fl_free(dels);
    return rc;
}

/* Row deltas are validated against removals since their plan: appends
 * in between pass, a compaction that replaced the file the deletes name
 * refuses the commit (FL_ERR_CONFLICT) and leaves the table as it was. */
static void test_row_delta_validated(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-compact", SCHEMA);
    struct fl_ice_table *tbl = table_new(&e);
    fill(tbl);
    struct fl_error err = {0};
    struct pick pa = {.city = "a"};
    const struct fl_ice_snapshot *cur = fl_ice_meta_current_snapshot(tbl->meta);
    assert_int_equal(fl_ice_table_files(tbl, cur->snapshot_id, NULL, pick_entry, &pa, &err), FL_OK);
    assert_true(pa.path[0]);
    /* planned, then another writer appends: the delta lands */
    int64_t base = cur->snapshot_id;
    struct fl_ice_table *other = table_load(&e);
    append(other, 200, "b");
    assert_int_equal(row_delta(tbl, base, pa.path, 300, &err), FL_OK);
    /* planned, then a compaction replaces the file: refused */
    struct pick pb = {.city = "a"};
    assert_int_equal(fl_ice_table_refresh(tbl, &err), FL_OK);
    cur = fl_ice_meta_current_snapshot(tbl->meta);
    assert_int_equal(fl_ice_table_files(tbl, cur->snapshot_id, NULL, pick_entry, &pb, &err), FL_OK);
    base = cur->snapshot_id;
    assert_int_equal(fl_ice_table_refresh(other, &err), FL_OK);
    struct fl_ice_compact_opts o = {0};
    struct fl_ice_compact_result res;
    compact(other, &o, &res);
    fl_ice_compact_result_fini(&res);
    char got[4096];
    snprintf(got, sizeof(got), "%s", ids(other));
    int commas = 0;
    for (const char *c = got; *c; c++) commas += *c == ',';
    assert_int_equal(commas + 1, 24 + 2 - 1); /* fill, 200, 300, one row deleted */
    assert_non_null(strstr(got, ",200,300"));
    assert_int_equal(row_delta(tbl, base, pb.path, 400, &err), FL_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "were removed since the plan"));
    assert_string_equal(ids(tbl), got);
    assert_int_equal(unreferenced(tbl), 1); /* the refused delta's delete file, for clean-orphans */
    fl_ice_table_free(other);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

static void test_concurrent_append_kept(void **state) {
    (void)state;
    struct fl_ice_compact_result res;
    char got[4096];
    struct counts c;
    concurrent(APPEND, &res, got, &c);
    assert_int_equal(res.groups[0].state, FL_ICE_GROUP_COMMITTED);
    assert_int_equal(res.groups[1].state, FL_ICE_GROUP_COMMITTED);
    assert_string_equal(got, "1,2,3,4,5,6,7,8,9,10,11,12,50,101,102,103,104,105,106,107,108,109,"
                             "110,111,112");
    assert_int_equal(c.data, 3); /* two compacted, the append's */
    fl_ice_compact_result_fini(&res);
}

static void test_concurrent_position_delete_not_lost(void **state) {
    (void)state;
    struct fl_ice_compact_result res;
    char got[4096];
    struct counts c;
    concurrent(POS_DELETE, &res, got, &c);
    /* the group of city=a is abandoned, b commits, then a retry of a
     * planned from the fresh table applies the delete */
    assert_int_equal(res.ngroups, 3);
    assert_int_equal(res.groups[0].state, FL_ICE_GROUP_ABANDONED);
    assert_non_null(strstr(res.groups[0].why, "position deletes"));
    assert_int_equal(res.groups[1].state, FL_ICE_GROUP_COMMITTED);
    assert_int_equal(res.groups[2].round, 1);
    assert_int_equal(res.groups[2].state, FL_ICE_GROUP_COMMITTED);
    assert_string_equal(got, "1,2,3,4,6,7,8,9,10,11,12,101,102,103,104,105,106,107,108,109,110,"
                             "111,112");
    assert_int_equal(c.data, 2);
    assert_int_equal(c.pos, 0);
    fl_ice_compact_result_fini(&res);
}

/* The same with the delete naming the group's file file:/... (another
 * engine's spelling): still seen, the row stays deleted. */
static void test_concurrent_spelled_position_delete_not_lost(void **state) {
    (void)state;
    struct fl_ice_compact_result res;
    char got[4096];
    struct counts c;
    concurrent(POS_DELETE_SPELLED, &res, got, &c);
    assert_int_equal(res.groups[0].state, FL_ICE_GROUP_ABANDONED);
    assert_non_null(strstr(res.groups[0].why, "position deletes"));
    assert_string_equal(got, "1,2,3,4,6,7,8,9,10,11,12,101,102,103,104,105,106,107,108,109,110,"
                             "111,112");
    assert_int_equal(c.pos, 0);
    fl_ice_compact_result_fini(&res);
}

static void test_concurrent_equality_delete_applies(void **state) {
    (void)state;
    struct fl_ice_compact_result res;
    char got[4096];
    struct counts c;
    concurrent(EQ_DELETE, &res, got, &c);
    assert_int_equal(res.groups[0].state, FL_ICE_GROUP_COMMITTED);
    assert_int_equal(res.groups[0].out_records, 12); /* written before the delete */
    /* ... yet id 6 stays deleted: the new file keeps the starting sequence number */
    assert_string_equal(got, "1,2,3,4,5,7,8,9,10,11,12,101,102,103,104,105,106,107,108,109,110,"
                             "111,112");
    fl_ice_compact_result_fini(&res);
}

static void test_concurrent_removal_abandons(void **state) {
    (void)state;
    struct fl_ice_compact_result res;
    char got[4096];
    struct counts c;
    concurrent(REMOVE_FILE, &res, got, &c);
    assert_int_equal(res.ngroups, 2);
    assert_int_equal(res.groups[0].state, FL_ICE_GROUP_ABANDONED);
    assert_non_null(strstr(res.groups[0].why, "removed"));
    assert_int_equal(res.groups[1].state, FL_ICE_GROUP_COMMITTED);
    assert_int_equal(c.data, 11 + 1); /* a's 11 files as they were, b's one */
    int n = 1;
    for (const char *p = got; *p; p++) n += *p == ',';
    assert_int_equal(n, 23); /* the removed file's row is gone, nothing else */
    fl_ice_compact_result_fini(&res);
}

/* ---- format 3: deletion vectors and row lineage ---- */

/* Each live row's id with its _row_id and _last_updated_sequence_number. */
struct lineage {
    int n;
    int64_t id[64], rid[64], seq[64];
};

static struct lineage lineage_of(struct fl_ice_table *tbl) {
    struct lineage l = {0};
    struct fl_error err = {0};
    struct fl_ice_scan *sc = NULL;
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_OK);
    if (fl_ice_scan_want_lineage(sc, &err)) fail_msg("%s", err.msg);
    struct fl_batch *b = NULL;
    fl_err_t rc;
    while ((rc = fl_ice_scan_next(sc, &b, &err)) == FL_OK)
        for (size_t r = 0; r < b->nrows; r++) {
            assert_true(l.n < 64);
            l.id[l.n] = fl_col_int(&b->cols[0], r);
            fl_ice_scan_lineage(sc, r, &l.rid[l.n], &l.seq[l.n]);
            assert_true(l.rid[l.n] >= 0);
            assert_true(l.seq[l.n] > 0);
            l.n++;
        }
    if (rc != FL_ERR_EOF) fail_msg("scan: %s", err.msg);
    fl_ice_scan_free(sc);
    /* row ids are unique */
    for (int i = 0; i < l.n; i++)
        for (int j = i + 1; j < l.n; j++) assert_true(l.rid[i] != l.rid[j]);
    return l;
}

/* Row id's lineage in l (the row must be there). */
static void lineage_find(const struct lineage *l, int64_t id, int64_t *rid, int64_t *seq) {
    for (int i = 0; i < l->n; i++)
        if (l->id[i] == id) {
            *rid = l->rid[i];
            *seq = l->seq[i];
            return;
        }
    fail_msg("id %lld not found", (long long)id);
}

/* Every row of a is in b with the same lineage, except `changed` (-1:
 * none), and b has no other rows. */
static void lineage_same(const struct lineage *a, const struct lineage *b, int64_t changed) {
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        int64_t rid, seq;
        lineage_find(b, a->id[i], &rid, &seq);
        if (a->id[i] == changed) {
            assert_true(rid != a->rid[i]);
            assert_true(seq > a->seq[i]);
            continue;
        }
        assert_int_equal(rid, a->rid[i]);
        assert_int_equal(seq, a->seq[i]);
    }
}

/* A format 3 table under upserts: small files with deletion vectors
 * compact into one file per partition holding the same rows, each with
 * the _row_id and _last_updated_sequence_number it had (stored in the
 * file), the vectors gone; an upsert on the compacted file and a second
 * compaction (reading the stored lineage) keep every other row's. */
static void test_compact_v3_lineage(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-compact", SCHEMA);
    struct fl_ice_table *tbl = table_new_fmt(&e, true);
    for (int i = 1; i <= 6; i++) {
        append(tbl, i, "a");
        append(tbl, 100 + i, "b");
    }
    upsert(tbl, 2, "a");
    upsert(tbl, 4, "a");
    upsert(tbl, 2, "a"); /* twice: the upserted row's file gets a vector too */
    upsert(tbl, 103, "b");
    delete_id(tbl, 5);
    const char *want = "1,2,3,4,6,101,102,103,104,105,106";
    assert_string_equal(ids(tbl), want);
    struct counts c0 = live(tbl);
    assert_true(c0.pos >= 4); /* deletion vectors, one per data file with deletes */
    struct lineage before = lineage_of(tbl);
    assert_int_equal(before.n, 11);

    struct fl_ice_compact_opts o = {0};
    struct fl_ice_compact_result res;
    compact(tbl, &o, &res);
    assert_int_equal(res.ngroups, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(res.groups[i].state, FL_ICE_GROUP_COMMITTED);
        assert_int_equal(res.groups[i].nout, 1);
        assert_true(res.groups[i].ndeletes_removed >= 1);
    }
    fl_ice_compact_result_fini(&res);
    assert_string_equal(ids(tbl), want);
    struct counts c1 = live(tbl);
    assert_int_equal(c1.data, 2);
    assert_true(c1.data < c0.data);
    assert_int_equal(c1.pos, 0); /* the vectors named only compacted files */
    struct lineage after = lineage_of(tbl);
    lineage_same(&before, &after, -1);

    /* an upsert on the compacted file: a vector for it, one new row id */
    int64_t next = tbl->meta->next_row_id;
    upsert(tbl, 3, "a");
    assert_string_equal(ids(tbl), want);
    assert_int_equal(live(tbl).pos, 1);
    struct lineage up = lineage_of(tbl);
    lineage_same(&after, &up, 3);
    int64_t rid3, seq3;
    lineage_find(&up, 3, &rid3, &seq3);
    assert_true(rid3 >= next);

    /* again: the stored lineage of the compacted file is read and kept */
    compact(tbl, &o, &res);
    assert_int_equal(res.ngroups, 1); /* city=a: the compacted file and the upsert's */
    assert_int_equal(res.groups[0].state, FL_ICE_GROUP_COMMITTED);
    fl_ice_compact_result_fini(&res);
    assert_string_equal(ids(tbl), want);
    assert_int_equal(live(tbl).pos, 0);
    struct lineage again = lineage_of(tbl);
    lineage_same(&up, &again, -1);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

/* A deletion vector committed between the plan and the commit for a file
 * of the group abandons the group; the retry applies it. */
static void test_concurrent_dv_not_lost(void **state) {
    (void)state;
    struct fl_ice_compact_result res;
    char got[4096];
    struct counts c;
    concurrent(DV_UPSERT, &res, got, &c);
    assert_string_equal(got, "1,2,3,4,5,6,7,8,9,10,11,12,101,102,103,104,105,106,107,108,109,110,"
                             "111,112");
    bool abandoned = false, retried = false;
    for (int i = 0; i < res.ngroups; i++) {
        if (res.groups[i].state == FL_ICE_GROUP_ABANDONED) {
            abandoned = true;
            assert_non_null(strstr(res.groups[i].why, "deletion vector"));
        }
        retried |= res.groups[i].round == 1 && res.groups[i].state == FL_ICE_GROUP_COMMITTED;
    }
    assert_true(abandoned);
    assert_true(retried);
    assert_int_equal(c.pos, 0);
    assert_int_equal(c.data, 2);
    fl_ice_compact_result_fini(&res);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_rows),
        cmocka_unit_test(test_compact_dry_run_and_refusal),
        cmocka_unit_test(test_dead_manifests_dropped),
        cmocka_unit_test(test_commit_lock),
        cmocka_unit_test(test_row_delta_validated),
        cmocka_unit_test(test_concurrent_append_kept),
        cmocka_unit_test(test_concurrent_position_delete_not_lost),
        cmocka_unit_test(test_concurrent_spelled_position_delete_not_lost),
        cmocka_unit_test(test_concurrent_equality_delete_applies),
        cmocka_unit_test(test_concurrent_removal_abandons),
        cmocka_unit_test(test_compact_v3_lineage),
        cmocka_unit_test(test_concurrent_dv_not_lost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
