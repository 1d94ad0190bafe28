/*
 * test_expire.c - table maintenance: snapshot expiry and metadata file
 * retention. The plan on hand-written metadata (branch age and
 * min-snapshots-to-keep, a ref's own retention, tags, ref age, main never
 * removed, explicit ids, snapshots no ref reaches, pipeline offsets, the
 * snapshot-log trimmed); the files on a real table (a file shared by a
 * retained and an expired snapshot stays, one only expired snapshots
 * reach goes; a dry run changes nothing); delete-after-commit keeping
 * exactly previous-versions-max + 1 versions; a path table whose
 * version-hint lags after a crash opens at its newest version; and a
 * pipeline that
 * restarts after its table was expired down to one snapshot and reads
 * nothing twice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "core/time.h"
#include "iceberg/expire.h"
#include "iceberg/retention.h"
#include "iceberg/table.h"
#include "log/log.h"
#include "pipeline/pipeline.h"
#include "pipe_env.h"
#include "table_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the plan, on hand-written metadata ---- */

struct snap {
    int64_t id, parent, ts;
    const char *summary; /* extra summary JSON members, or NULL */
};

/* Format-2 metadata with snaps (main at main_id), extra refs JSON
 * members and properties JSON members. */
static struct fl_ice_meta *meta_of(const struct snap *s, int n, int64_t main_id, const char *refs,
                                   const char *props) {
    static char b[1 << 16];
    int k = snprintf(
        b, sizeof(b),
        "{\"format-version\":2,\"table-uuid\":\"9c12d441-03fe-4693-9a96-a0705ddf69c1\","
        "\"location\":\"file:///t\",\"last-sequence-number\":%d,\"last-updated-ms\":1,"
        "\"last-column-id\":1,\"current-schema-id\":0,\"schemas\":[{\"type\":\"struct\","
        "\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":"
        "\"long\"}]}],\"default-spec-id\":0,\"partition-specs\":[{\"spec-id\":0,\"fields\":[]}],"
        "\"last-partition-id\":999,\"default-sort-order-id\":0,\"sort-orders\":[{\"order-id\":0,"
        "\"fields\":[]}],\"properties\":{%s},\"current-snapshot-id\":%lld,"
        "\"refs\":{\"main\":{\"snapshot-id\":%lld,\"type\":\"branch\"}%s%s},\"snapshots\":[",
        n, props ? props : "", (long long)main_id, (long long)main_id, refs ? "," : "",
        refs ? refs : "");
    for (int i = 0; i < n; i++) {
        char parent[64] = "";
        if (s[i].parent)
            snprintf(parent, sizeof(parent), "\"parent-snapshot-id\":%lld,",
                     (long long)s[i].parent);
        k +=
            snprintf(b + k, sizeof(b) - (size_t)k,
                     "%s{\"snapshot-id\":%lld,%s\"sequence-number\":%d,\"timestamp-ms\":%lld,"
                     "\"manifest-list\":\"file:///t/metadata/snap-%lld.avro\","
                     "\"summary\":{\"operation\":\"append\"%s%s}}",
                     i ? "," : "", (long long)s[i].id, parent, i + 1, (long long)s[i].ts,
                     (long long)s[i].id, s[i].summary ? "," : "", s[i].summary ? s[i].summary : "");
    }
    k += snprintf(b + k, sizeof(b) - (size_t)k, "],\"snapshot-log\":[");
    for (int i = 0; i < n; i++)
        k +=
            snprintf(b + k, sizeof(b) - (size_t)k, "%s{\"timestamp-ms\":%lld,\"snapshot-id\":%lld}",
                     i ? "," : "", (long long)s[i].ts, (long long)s[i].id);
    snprintf(b + k, sizeof(b) - (size_t)k, "],\"metadata-log\":[]}");
    struct fl_ice_meta *m = NULL;
    struct fl_error err = {0};
    if (fl_ice_meta_parse(b, strlen(b), &m, &err)) fail_msg("%s", err.msg);
    return m;
}

/* The ids the plan expires, as a sorted comma list "1,2,3". */
static const char *plan(const struct fl_ice_meta *m, const struct fl_ice_expire_opts *o,
                        fl_err_t want, char *refs_out) {
    static char out[512];
    struct fl_ice_expire_result res = {0};
    struct fl_error err = {0};
    assert_int_equal(fl_ice_expire_plan(m, o, &res, &err), want);
    out[0] = '\0';
    for (int i = 0; i < res.nexpired; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%lld", i ? "," : "",
                 (long long)res.expired[i]);
    if (refs_out) {
        refs_out[0] = '\0';
        for (int i = 0; i < res.nrefs; i++)
            snprintf(refs_out + strlen(refs_out), 128 - strlen(refs_out), "%s%s", i ? "," : "",
                     res.refs[i]);
    }
    fl_ice_expire_result_fini(&res);
    return out;
}

/* main: 1 <- 2 <- ... <- 10, snapshot i at i * 1000 ms */
static void chain(struct snap *s) {
    for (int i = 0; i < 10; i++) s[i] = (struct snap){i + 1, i, (i + 1) * 1000, NULL};
}

static void test_plan_age_and_min(void **state) {
    (void)state;
    struct snap s[10];
    chain(s);
    struct fl_ice_expire_opts o = {.now_ms = 11000, .older_than_ms = FL_ICE_EXPIRE_UNSET};
    /* Iceberg's defaults: 5 days, keep 1: nothing is old enough */
    struct fl_ice_meta *m = meta_of(s, 10, 10, NULL, NULL);
    assert_string_equal(plan(m, &o, FL_OK, NULL), "");
    fl_ice_meta_free(m);
    /* max age 3.5 s: snapshots from 7.5 s on stay */
    m = meta_of(s, 10, 10, NULL, "\"history.expire.max-snapshot-age-ms\":\"3500\"");
    assert_string_equal(plan(m, &o, FL_OK, NULL), "1,2,3,4,5,6,7");
    /* min-snapshots-to-keep wins over age */
    o.retain_last = 5;
    assert_string_equal(plan(m, &o, FL_OK, NULL), "1,2,3,4,5");
    fl_ice_meta_free(m);
    m = meta_of(s, 10, 10, NULL,
                "\"history.expire.max-snapshot-age-ms\":\"3500\","
                "\"history.expire.min-snapshots-to-keep\":\"6\"");
    o.retain_last = 0;
    assert_string_equal(plan(m, &o, FL_OK, NULL), "1,2,3,4");
    /* --older-than overrides the property's age: everything but the last 6 */
    o.older_than_ms = 11000;
    assert_string_equal(plan(m, &o, FL_OK, NULL), "1,2,3,4");
    o.retain_last = 1;
    assert_string_equal(plan(m, &o, FL_OK, NULL), "1,2,3,4,5,6,7,8,9");
    /* main's head always stays, even with everything older than now */
    fl_ice_meta_free(m);
}

static void test_plan_refs_and_tags(void **state) {
    (void)state;
    struct snap s[13];
    chain(s);
    /* branch b forks at 3: 11 <- 12; 13 is reached by no ref */
    s[10] = (struct snap){11, 3, 3500, NULL};
    s[11] = (struct snap){12, 11, 4500, NULL};
    s[12] = (struct snap){13, 0, 5500, NULL};
    const char *refs =
        "\"b\":{\"snapshot-id\":12,\"type\":\"branch\",\"min-snapshots-to-keep\":2},"
        "\"keep\":{\"snapshot-id\":2,\"type\":\"tag\"},"
        "\"stale\":{\"snapshot-id\":1,\"type\":\"tag\",\"max-ref-age-ms\":5000},"
        "\"young\":{\"snapshot-id\":9,\"type\":\"branch\",\"max-snapshot-age-ms\":3000}";
    struct fl_ice_meta *m = meta_of(s, 13, 10, refs, NULL);
    char removed[128];
    struct fl_ice_expire_opts o = {.now_ms = 11000, .older_than_ms = 11000, .retain_last = 1};
    /* kept: main's 10; b's 12 and 11 (its own min 2); tag keep's 2; young's 9 and 8 (its
     * own age, 3 s); stale is 10 s old, past its 5 s: removed, and 1 with it; 13, that no
     * ref reaches, is older than --older-than */
    assert_string_equal(plan(m, &o, FL_OK, removed), "1,3,4,5,6,7,13");
    assert_string_equal(removed, "stale");
    /* a snapshot no ref reaches stays while it is younger than the default age */
    o.older_than_ms = 5000;
    assert_string_equal(plan(m, &o, FL_OK, removed), "1,3,4");
    /* table-wide ref age: every ref but main older than 1.5 s goes; main never */
    fl_ice_meta_free(m);
    m = meta_of(s, 13, 1, refs, "\"history.expire.max-ref-age-ms\":\"1500\"");
    o.older_than_ms = 11000;
    assert_string_equal(plan(m, &o, FL_OK, removed), "2,3,4,5,6,7,8,9,10,11,12,13");
    assert_string_equal(removed, "b,keep,stale,young");
    fl_ice_meta_free(m);
}

static void test_plan_explicit_ids(void **state) {
    (void)state;
    struct snap s[10];
    chain(s);
    struct fl_ice_meta *m = meta_of(s, 10, 10, "\"t\":{\"snapshot-id\":4,\"type\":\"tag\"}", NULL);
    int64_t ids[] = {9, 2};
    struct fl_ice_expire_opts o = {
        .now_ms = 11000, .older_than_ms = FL_ICE_EXPIRE_UNSET, .ids = ids, .nids = 2};
    assert_string_equal(plan(m, &o, FL_OK, NULL), "2,9");
    int64_t head[] = {10}, tagged[] = {4}, missing[] = {77};
    o.ids = head;
    o.nids = 1;
    plan(m, &o, FL_ERR_INVALID, NULL); /* main points at it */
    o.ids = tagged;
    plan(m, &o, FL_ERR_INVALID, NULL); /* tag t points at it */
    o.ids = missing;
    plan(m, &o, FL_ERR_NOTFOUND, NULL);
    fl_ice_meta_free(m);
}

static void test_plan_keeps_pipeline_offsets(void **state) {
    (void)state;
    struct snap s[10];
    chain(s);
    /* pipeline a's last commit was 4, b's 8, then another engine's commits:
     * 4 and all after it stay (the pipeline walks parents to find it) */
    s[3].summary = "\"floe.offsets.a\":\"{\\\"0\\\":7}\"";
    s[1].summary = "\"floe.offsets.a\":\"{\\\"0\\\":3}\"";
    s[7].summary = "\"floe.offsets.b\":\"{\\\"0\\\":9}\"";
    struct fl_ice_meta *m = meta_of(s, 10, 10, NULL, NULL);
    struct fl_ice_expire_opts o = {.now_ms = 11000, .older_than_ms = 11000, .retain_last = 1};
    assert_string_equal(plan(m, &o, FL_OK, NULL), "1,2,3");
    int64_t ids[] = {6};
    o.ids = ids;
    o.nids = 1;
    plan(m, &o, FL_ERR_INVALID, NULL);
    fl_ice_meta_free(m);
}

static void test_remove_snapshots_trims_log(void **state) {
    (void)state;
    struct snap s[10];
    chain(s);
    struct fl_ice_meta *m = meta_of(s, 10, 10, NULL, NULL);
    struct fl_error err = {0};
    int64_t ids[] = {3, 1, 2, 6};
    assert_int_equal(fl_ice_meta_remove_snapshots(m, ids, 4, NULL, 0, &err), FL_OK);
    assert_int_equal(m->nsnapshots, 6);
    assert_null(fl_ice_meta_snapshot(m, 6));
    assert_non_null(fl_ice_meta_snapshot(m, 5));
    /* the log keeps only what follows the last removed entry: 7..10 */
    assert_null(fl_ice_meta_snapshot_at(m, 6500));
    assert_int_equal(fl_ice_meta_snapshot_at(m, 7500)->snapshot_id, 7);
    int64_t cur[] = {10};
    assert_int_equal(fl_ice_meta_remove_snapshots(m, cur, 1, NULL, 0, &err), FL_ERR_INVALID);
    fl_ice_meta_free(m);
    m = meta_of(s, 10, 10, NULL, NULL);
    const char *main_ref[] = {"main"};
    assert_int_equal(fl_ice_meta_remove_snapshots(m, NULL, 0, main_ref, 1, &err), FL_ERR_INVALID);
    fl_ice_meta_free(m);
}

/* ---- on a real table ---- */

static const char *SCHEMA = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                            "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":\"string\"},"
                            "{\"id\":2,\"name\":\"temperature\",\"required\":false,\"type\":"
                            "\"double\"},"
                            "{\"id\":3,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"},"
                            "{\"id\":4,\"name\":\"_kafka_partition\",\"required\":false,\"type\":"
                            "\"int\"},"
                            "{\"id\":5,\"name\":\"_kafka_offset\",\"required\":false,\"type\":"
                            "\"long\"}]}";

static void env_open(struct env *e) { pipe_env_open(e, "floe-expire", SCHEMA); }

static void env_close(struct env *e) { pipe_env_close(e); }

static struct fl_ice_table *table_new(struct env *e, const char *name,
                                      const struct fl_ice_kv *props, int nprops) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_create(e->st, fl_catalog_ice(e->cat), "default", name, e->schema, NULL, props,
                            nprops, &tbl, &err))
        fail_msg("create: %s", err.msg);
    return tbl;
}

static int64_t append_city(struct fl_ice_table *tbl, const char *city) {
    char row[128];
    snprintf(row, sizeof(row), "{\"city\":\"%s\",\"temperature\":1.5,\"ts\":0}", city);
    return table_env_append(tbl, row);
}

static int64_t rows(struct fl_ice_table *tbl, int64_t snap) { return table_env_rows(tbl, snap); }

struct live {
    char paths[16][512];
    int n;
};

static int live_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct live *l = ctx;
    if (e->status != FL_ICE_STATUS_DELETED && l->n < 16)
        snprintf(l->paths[l->n++], sizeof(l->paths[0]), "%s", e->df.file_path);
    return 0;
}

static int exists(struct fl_ice_table *tbl, const char *path) {
    char key[1024];
    uint64_t sz;
    struct fl_error err = {0};
    assert_int_equal(fl_ice_table_key(tbl, path, key, sizeof(key), &err), FL_OK);
    return fl_store_head(tbl->store, key, &sz, &err) == FL_OK;
}

static bool is_first(void *ctx, const struct fl_ice_data_file *df) {
    return strcmp(df->file_path, (const char *)ctx) == 0;
}

static fl_err_t count_key(void *ctx, const char *key, uint64_t size) {
    (void)size;
    if (strstr(key, ".metadata.json")) ++*(int *)ctx;
    return FL_OK;
}

static int metadata_files(struct env *e, const char *table) {
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "default/%s/metadata/", table);
    int n = 0;
    struct fl_error err = {0};
    assert_int_equal(fl_store_list(e->st, prefix, count_key, &n, &err), FL_OK);
    return n;
}

static void test_files_shared_kept_expired_deleted(void **state) {
    (void)state;
    struct env e;
    env_open(&e);
    struct fl_error err = {0};
    struct fl_ice_table *tbl = table_new(&e, "t", NULL, 0);
    int64_t s1 = append_city(tbl, "a");
    int64_t s2 = append_city(tbl, "b");
    struct live l1 = {0};
    assert_int_equal(fl_ice_table_files(tbl, s1, NULL, live_entry, &l1, &err), FL_OK);
    assert_int_equal(l1.n, 1);
    /* s3 removes s1's file: it stays reachable only from s1 and s2 */
    int64_t s3 = -1;
    assert_int_equal(
        fl_ice_table_replace(tbl, is_first, l1.paths[0], NULL, 0, "delete", NULL, 0, &s3, &err),
        FL_OK);
    int64_t s4 = append_city(tbl, "c");
    struct live now = {0};
    assert_int_equal(fl_ice_table_files(tbl, s4, NULL, live_entry, &now, &err), FL_OK);
    assert_int_equal(now.n, 2);
    assert_int_equal(rows(tbl, s4), 2);
    const struct fl_ice_snapshot *sn1 = fl_ice_meta_snapshot(tbl->meta, s1);
    char list1[512];
    snprintf(list1, sizeof(list1), "%s", sn1->manifest_list);

    /* a dry run lists, changes nothing */
    char *loc = strdup(tbl->metadata_location);
    int nmeta = metadata_files(&e, "t");
    struct fl_ice_expire_opts o = {
        .older_than_ms = fl_time_now_us() / 1000 + 1000, .retain_last = 2, .dry_run = true};
    struct fl_ice_expire_result dry;
    assert_int_equal(fl_ice_table_expire(tbl, &o, &dry, &err), FL_OK);
    assert_int_equal(dry.nexpired, 2);
    assert_int_equal(dry.data_files, 1);
    assert_int_equal(dry.manifest_lists, 2);
    assert_string_equal(tbl->metadata_location, loc);
    assert_int_equal(metadata_files(&e, "t"), nmeta);
    assert_true(exists(tbl, l1.paths[0]));
    assert_true(exists(tbl, list1));
    assert_int_equal(fl_ice_table_refresh(tbl, &err), FL_OK);
    assert_int_equal(tbl->meta->nsnapshots, 4);

    /* the real run deletes exactly what the dry run listed */
    o.dry_run = false;
    struct fl_ice_expire_result res;
    assert_int_equal(fl_ice_table_expire(tbl, &o, &res, &err), FL_OK);
    assert_int_equal(res.nexpired, dry.nexpired);
    assert_int_equal(res.nfiles, dry.nfiles);
    for (int i = 0; i < res.nfiles; i++) assert_string_equal(res.files[i], dry.files[i]);
    assert_int_equal(res.retained, 2);
    assert_int_equal(res.failed, 0);
    fl_ice_expire_result_fini(&dry);
    fl_ice_expire_result_fini(&res);
    assert_false(exists(tbl, l1.paths[0])); /* only expired snapshots had it live */
    assert_false(exists(tbl, list1));
    for (int i = 0; i < now.n; i++) assert_true(exists(tbl, now.paths[i])); /* shared: kept */
    assert_null(fl_ice_meta_snapshot(tbl->meta, s1));
    assert_null(fl_ice_meta_snapshot(tbl->meta, s2));
    assert_int_equal(rows(tbl, s3), 1);
    assert_int_equal(rows(tbl, s4), 2);
    /* a fresh load reads the same: every retained snapshot's files are there */
    struct fl_ice_table *again = NULL;
    assert_int_equal(fl_ice_table_load(e.st, fl_catalog_ice(e.cat), "default", "t", &again, &err),
                     FL_OK);
    assert_int_equal(again->meta->nsnapshots, 2);
    assert_int_equal(rows(again, s3), 1);
    assert_int_equal(rows(again, FL_ICE_NO_SNAPSHOT), 2);
    fl_ice_table_free(again);
    /* nothing left to expire: no commit */
    int version = tbl->version;
    assert_int_equal(fl_ice_table_expire(tbl, &o, &res, &err), FL_OK);
    assert_int_equal(res.nexpired, 0);
    assert_int_equal(tbl->version, version);
    fl_ice_expire_result_fini(&res);
    free(loc);
    fl_ice_table_free(tbl);
    env_close(&e);
}

/* An expiry from a stale handle loses the swap to an append, plans again on
 * the fresh table, and keeps the append's snapshot and files. */
static void test_expire_retries_on_conflict(void **state) {
    (void)state;
    struct env e;
    env_open(&e);
    struct fl_error err = {0};
    struct fl_ice_table *tbl = table_new(&e, "c", NULL, 0);
    for (int i = 0; i < 4; i++) append_city(tbl, "x");
    struct fl_ice_table *stale = NULL;
    assert_int_equal(fl_ice_table_load(e.st, fl_catalog_ice(e.cat), "default", "c", &stale, &err),
                     FL_OK);
    int64_t late = append_city(tbl, "late"); /* stale does not know it */
    struct fl_ice_expire_opts o = {.older_than_ms = fl_time_now_us() / 1000 + 1000,
                                   .retain_last = 1};
    struct fl_ice_expire_result res;
    assert_int_equal(fl_ice_table_expire(stale, &o, &res, &err), FL_OK);
    assert_int_equal(res.nexpired, 4);
    assert_int_equal(res.retained, 1);
    assert_int_equal(res.data_files, 0); /* every file is still live in the append's snapshot */
    fl_ice_expire_result_fini(&res);
    assert_int_equal(stale->meta->current_snapshot_id, late);
    assert_int_equal(fl_ice_table_refresh(tbl, &err), FL_OK);
    assert_int_equal(tbl->meta->nsnapshots, 1);
    assert_int_equal(rows(tbl, FL_ICE_NO_SNAPSHOT), 5);
    fl_ice_table_free(stale);
    fl_ice_table_free(tbl);
    env_close(&e);
}

/* A crash between a path table's commit point (creating vN.metadata.json)
 * and its version-hint.text: the table opens at vN and takes commits (the
 * expiry crash test found the hint's lag made every later commit give up). */
static void test_version_hint_lag(void **state) {
    (void)state;
    struct env e;
    env_open(&e);
    struct fl_error err = {0};
    struct fl_ice_table *tbl = table_new(&e, "h", NULL, 0);
    append_city(tbl, "a");
    append_city(tbl, "b");
    assert_int_equal(tbl->version, 3);
    fl_ice_table_free(tbl);
    assert_int_equal(fl_store_put(e.st, "default/h/metadata/version-hint.text", "2", 1, &err),
                     FL_OK);
    assert_int_equal(fl_ice_table_load_path(e.st, "default/h", &tbl, &err), FL_OK);
    assert_int_equal(tbl->version, 3);
    assert_int_equal(rows(tbl, FL_ICE_NO_SNAPSHOT), 2);
    append_city(tbl, "c");
    assert_int_equal(tbl->version, 4);
    fl_ice_table_free(tbl);
    env_close(&e);
}

static int log_len(struct fl_ice_table *tbl) { return fl_ice_meta_log_files(tbl->meta, NULL, 0); }

static void test_delete_after_commit(void **state) {
    (void)state;
    struct env e;
    env_open(&e);
    /* N = 3 previous versions, then 3 + 5 commits */
    struct fl_ice_kv props[] = {{FL_ICE_PROP_DELETE_AFTER_COMMIT, "true"},
                                {FL_ICE_PROP_PREVIOUS_VERSIONS_MAX, "3"}};
    struct fl_ice_table *tbl = table_new(&e, "kept", props, 2);
    for (int i = 0; i < 8; i++) append_city(tbl, "x");
    assert_int_equal(log_len(tbl), 3);
    /* the current version and the 3 the log names, each with its vN twin */
    assert_int_equal(metadata_files(&e, "kept"), 2 * (3 + 1));
    const char *logged[3];
    fl_ice_meta_log_files(tbl->meta, logged, 3);
    for (int i = 0; i < 3; i++) assert_true(exists(tbl, logged[i]));
    /* readers by path (version-hint) and by catalog still open it */
    struct fl_ice_table *by_path = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_ice_table_load_path(e.st, "default/kept", &by_path, &err), FL_OK);
    assert_int_equal(rows(by_path, FL_ICE_NO_SNAPSHOT), 8);
    fl_ice_table_free(by_path);

    /* a metadata file that cannot be deleted (a directory stands in its
     * place): the commit still succeeds; the file is left for orphan cleanup */
    char stuck[1200], inner[1300], key[1024];
    assert_int_equal(fl_ice_table_key(tbl, logged[0], key, sizeof(key), &err), FL_OK);
    snprintf(stuck, sizeof(stuck), "%s/wh/%s", e.dir, key);
    assert_int_equal(unlink(stuck), 0);
    assert_int_equal(mkdir(stuck, 0755), 0);
    snprintf(inner, sizeof(inner), "%s/x", stuck);
    FILE *f = fopen(inner, "w");
    assert_non_null(f);
    fclose(f);
    append_city(tbl, "x");
    assert_int_equal(log_len(tbl), 3);
    assert_int_equal(access(inner, F_OK), 0);
    assert_int_equal(rows(tbl, FL_ICE_NO_SNAPSHOT), 9);
    fl_ice_table_free(tbl);

    /* Iceberg's defaults (a table someone else made): keep 100, delete none */
    tbl = table_new(&e, "all", NULL, 0);
    for (int i = 0; i < 8; i++) append_city(tbl, "x");
    assert_int_equal(log_len(tbl), 8);
    assert_int_equal(metadata_files(&e, "all"), 2 * 9);
    fl_ice_table_free(tbl);

    /* what floe gives its own tables: the user's values win */
    struct fl_ice_kv out[4];
    assert_int_equal(fl_ice_floe_table_props(NULL, 0, out, 4), 2);
    assert_string_equal(out[0].value, "true");
    struct fl_ice_kv mine[] = {{FL_ICE_PROP_PREVIOUS_VERSIONS_MAX, "7"}};
    assert_int_equal(fl_ice_floe_table_props(mine, 1, out, 4), 2);
    assert_string_equal(out[0].value, "7");
    assert_string_equal(out[1].key, FL_ICE_PROP_DELETE_AFTER_COMMIT);
    env_close(&e);
}

/* ---- pipelines' offsets survive expiry ---- */

static void produce(struct fl_log *log, int from, int to) {
    struct fl_error err = {0};
    for (int i = from; i < to; i++) {
        char v[128];
        snprintf(v, sizeof(v), "{\"city\":\"c%d\",\"temperature\":1,\"ts\":0}", i);
        struct fl_log_record r = {
            .value = (const uint8_t *)v, .value_len = strlen(v), .timestamp_ms = -1};
        int64_t off;
        if (fl_log_append(log, "weather", i % 2, &r, 1, &off, &err)) fail_msg("%s", err.msg);
    }
}

static int64_t step(struct env *e, const struct fl_pipe_config *pc) {
    struct fl_pipe *p = NULL;
    struct fl_error err = {0};
    if (fl_pipe_new(e->log, e->st, e->cat, pc, &p, &err)) fail_msg("%s", err.msg);
    int64_t n = 0;
    if (fl_pipe_step(p, &n, &err)) fail_msg("%s", err.msg);
    fl_pipe_free(p);
    return n;
}

/* Another engine's commit: a snapshot over the same manifests, no floe
 * summary entries (fl_ice_meta_add_snapshot carries nothing). */
static fl_err_t foreign_snapshot(void *ctx, struct fl_ice_meta *next, int attempt,
                                 struct fl_error *err) {
    (void)attempt;
    int64_t *id = ctx;
    const struct fl_ice_snapshot *cur = fl_ice_meta_current_snapshot(next);
    struct fl_ice_new_snapshot ns = {.snapshot_id = ++*id,
                                     .parent_id = cur->snapshot_id,
                                     .timestamp_ms = fl_time_now_us() / 1000,
                                     .manifest_list = cur->manifest_list,
                                     .operation = "replace"};
    return fl_ice_meta_add_snapshot(next, &ns, NULL, NULL, err);
}

static void expire_to_one(struct env *e, int64_t *kept) {
    struct fl_ice_table *tbl = NULL;
    struct fl_error err = {0};
    assert_int_equal(
        fl_ice_table_load(e->st, fl_catalog_ice(e->cat), "default", "weather", &tbl, &err), FL_OK);
    struct fl_ice_expire_opts o = {.older_than_ms = fl_time_now_us() / 1000 + 1000,
                                   .retain_last = 1};
    struct fl_ice_expire_result res;
    if (fl_ice_table_expire(tbl, &o, &res, &err)) fail_msg("%s", err.msg);
    *kept = res.retained;
    fl_ice_expire_result_fini(&res);
    fl_ice_table_free(tbl);
}

static void test_pipeline_offsets_survive(void **state) {
    (void)state;
    struct env e;
    env_open(&e);
    struct fl_error err = {0};
    struct fl_log_topic_config tc;
    fl_log_topic_config_default(&tc);
    tc.partitions = 2;
    assert_int_equal(fl_log_topic_create(e.log, "weather", &tc, &err), FL_OK);
    struct fl_ice_table *tbl = table_new(&e, "weather", NULL, 0);
    struct fl_pipe_config pc = {
        .name = "w", .topic = "weather", .ns = "default", .table = "weather"};
    for (int round = 0; round < 3; round++) {
        produce(e.log, round * 10, round * 10 + 10);
        assert_int_equal(step(&e, &pc), 10);
    }
    /* then a floe writer without offsets: its snapshot carries the pipeline's */
    assert_int_equal(fl_ice_table_refresh(tbl, &err), FL_OK);
    append_city(tbl, "other");
    int64_t kept;
    expire_to_one(&e, &kept);
    assert_int_equal(kept, 1);
    /* restart: nothing twice */
    produce(e.log, 30, 35);
    assert_int_equal(step(&e, &pc), 5);
    assert_int_equal(fl_ice_table_refresh(tbl, &err), FL_OK);
    assert_int_equal(rows(tbl, FL_ICE_NO_SNAPSHOT), 36);

    /* another engine commits on top (no floe entries): the snapshot the
     * pipeline resumes from is kept too */
    int64_t fid = 77;
    assert_int_equal(fl_ice_table_commit_meta(tbl, foreign_snapshot, &fid, &err), FL_OK);
    assert_int_equal(fl_ice_table_commit_meta(tbl, foreign_snapshot, &fid, &err), FL_OK);
    expire_to_one(&e, &kept);
    assert_int_equal(kept, 3);
    produce(e.log, 35, 40);
    assert_int_equal(step(&e, &pc), 5);
    assert_int_equal(fl_ice_table_refresh(tbl, &err), FL_OK);
    assert_int_equal(rows(tbl, FL_ICE_NO_SNAPSHOT), 41);
    assert_int_equal(step(&e, &pc), 0);
    fl_ice_table_free(tbl);
    env_close(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_age_and_min),
        cmocka_unit_test(test_plan_refs_and_tags),
        cmocka_unit_test(test_plan_explicit_ids),
        cmocka_unit_test(test_plan_keeps_pipeline_offsets),
        cmocka_unit_test(test_remove_snapshots_trims_log),
        cmocka_unit_test(test_files_shared_kept_expired_deleted),
        cmocka_unit_test(test_expire_retries_on_conflict),
        cmocka_unit_test(test_version_hint_lag),
        cmocka_unit_test(test_delete_after_commit),
        cmocka_unit_test(test_pipeline_offsets_survive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
