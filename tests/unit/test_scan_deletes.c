/*
 * test_scan_deletes.c - which rows a scan's delete files remove, on small
 * tables built here, each the situation another engine's table puts us
 * in: a position delete file that names its data file with another
 * spelling of the same location (Hive/Impala's bare /warehouse/... or
 * hdfs://namenode:port/... against the other, s3a:// against s3://,
 * file:/ against file:///) still removes its row; a null file_path is an
 * error naming the delete file; an equality delete of one partition
 * leaves the same key in other partitions alone, and one written with
 * an unpartitioned spec applies to all of them; an equality delete on a
 * column a data file lacks (added later: null; an identity partition
 * column kept only in the partition tuple: its value) still applies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "core/mem.h"
#include "format/parquet/writer.h"
#include "iceberg/datafile.h"
#include "iceberg/evolve.h"
#include "iceberg/table.h"
#include "pipe_env.h"
#include "table_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *SCHEMA = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                            "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                            "{\"id\":2,\"name\":\"city\",\"required\":false,\"type\":\"string\"}]}";

static const char *POS_SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":2147483546,\"name\":\"file_path\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":2147483545,\"name\":\"pos\",\"required\":true,\"type\":\"long\"}]}";

static struct fl_ice_table *table_new(struct env *e, const char *name, const char *part) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    struct fl_ice_spec *spec = NULL;
    if (part && fl_ice_spec_from_terms(e->schema, 0, &part, 1, 1000, &spec, &err))
        fail_msg("%s", err.msg);
    if (fl_ice_table_create(e->st, fl_catalog_ice(e->cat), "db", name, e->schema, spec, NULL, 0,
                            &tbl, &err))
        fail_msg("create: %s", err.msg);
    fl_ice_spec_free(spec);
    return tbl;
}

/* The rows of a batch of tbl's current schema from NDJSON text. */
static struct fl_batch *rows_batch(const struct fl_schema *schema, const char *rows) {
    struct fl_error err = {0};
    struct fl_batch *b = NULL;
    assert_int_equal(fl_batch_new(schema, 0, &b, &err), FL_OK);
    for (const char *r = rows; *r;) {
        const char *nl = strchr(r, '\n');
        size_t n = nl ? (size_t)(nl - r) : strlen(r);
        if (fl_batch_append_json(b, r, n, &err)) fail_msg("%s", err.msg);
        r += n + (nl ? 1 : 0);
    }
    return b;
}

/* Appends the NDJSON rows as one snapshot. */
static void append_rows(struct fl_ice_table *tbl, const char *rows) {
    struct fl_error err = {0};
    struct fl_batch *b = rows_batch(fl_ice_meta_current_schema(tbl->meta), rows);
    struct fl_ice_appender *ap = NULL;
    assert_int_equal(fl_ice_appender_new(tbl, &ap, &err), FL_OK);
    if (fl_ice_appender_add(ap, b, &err)) fail_msg("add: %s", err.msg);
    if (fl_ice_appender_commit(ap, NULL, 0, NULL, &err)) fail_msg("commit: %s", err.msg);
    fl_ice_appender_free(ap);
    fl_batch_free(b);
}

static fl_err_t sink(void *ctx, const void *data, size_t len) {
    return fl_buf_append(ctx, data, len);
}

/* Writes the JSON rows (schema_json) as a Parquet file at key of tbl's
 * store and commits it as a file of content kind (equality deletes on
 * field eq_id) with the partition values under the default spec of
 * part_row, a row of the table's schema (NULL: unpartitioned). */
static void commit_rows(struct fl_ice_table *tbl, const char *key, const char *schema_json,
                        const char *rows, int content, int32_t eq_id, const char *part_row) {
    struct fl_error err = {0};
    struct fl_schema *schema = NULL;
    assert_int_equal(fl_schema_parse(schema_json, strlen(schema_json), &schema, &err), FL_OK);
    struct fl_batch *b = rows_batch(schema, rows);
    const struct fl_ice_spec *spec = fl_ice_meta_default_spec(tbl->meta);
    struct fl_ice_pval vals[4];
    struct fl_batch *full =
        part_row ? rows_batch(fl_ice_meta_current_schema(tbl->meta), part_row) : NULL;
    if (full) fl_ice_spec_row_values(spec, full, 0, vals);
    struct fl_buf file;
    fl_buf_init(&file, FL_BUF_NOMAX);
    struct fl_pq_writer_opts opts;
    fl_pq_writer_opts_default(&opts);
    struct fl_pq_writer *pqw = NULL;
    struct fl_pq_file_result res = {0};
    assert_int_equal(fl_pq_writer_new(schema, &opts, sink, &file, &pqw, &err), FL_OK);
    assert_int_equal(fl_pq_writer_add_batch(pqw, b, &err), FL_OK);
    assert_int_equal(fl_pq_writer_close(pqw, &res, &err), FL_OK);
    assert_int_equal(fl_store_put(tbl->store, key, file.data, file.len, &err), FL_OK);
    char *loc = fl_ice_table_uri(tbl, key);
    struct fl_ice_data_file df;
    assert_int_equal(fl_ice_data_file_from_parquet(&df, loc, schema, &res, full ? spec : NULL,
                                                   full ? vals : NULL, &err),
                     FL_OK);
    df.spec_id = spec ? spec->spec_id : 0;
    df.content = content;
    if (content == FL_ICE_CONTENT_EQUALITY_DELETES) {
        df.equality_ids = fl_calloc(1, sizeof(int32_t));
        df.equality_ids[0] = eq_id;
        df.nequality = 1;
    }
    if (fl_ice_table_commit_files(tbl, &df, 1, NULL, 0, NULL, &err)) fail_msg("%s", err.msg);
    fl_ice_data_file_fini(&df);
    fl_free(loc);
    fl_pq_file_result_fini(&res);
    fl_pq_writer_free(pqw);
    fl_buf_fini(&file);
    fl_batch_free(b);
    fl_batch_free(full);
    fl_schema_free(schema);
}

/* A delete file of rows (of schema_json): equality deletes on field
 * eq_id in the partition of the first row under the default spec, or
 * position deletes, unpartitioned. */
static void commit_delete_on(struct fl_ice_table *tbl, const char *key, const char *schema_json,
                             const char *rows, int content, int32_t eq_id) {
    const struct fl_ice_spec *spec = fl_ice_meta_default_spec(tbl->meta);
    bool part = content == FL_ICE_CONTENT_EQUALITY_DELETES && spec && spec->nfields;
    char first[256] = "";
    snprintf(first, sizeof(first), "%.*s", (int)strcspn(rows, "\n"), rows);
    commit_rows(tbl, key, schema_json, rows, content, eq_id, part ? first : NULL);
}

/* commit_delete_on with equality deletes on id (field 1). */
static void commit_delete(struct fl_ice_table *tbl, const char *key, const char *schema_json,
                          const char *rows, int content) {
    commit_delete_on(tbl, key, schema_json, rows, content, 1);
}

static int on_data(void *ctx, const struct fl_ice_manifest_entry *e) {
    if (e->status != FL_ICE_STATUS_DELETED && e->df.content == FL_ICE_CONTENT_DATA)
        snprintf(ctx, 512, "%s", e->df.file_path);
    return 0;
}

/* The store key of the table's (one) data file. */
static void data_key(struct fl_ice_table *tbl, char *key, size_t n) {
    struct fl_error err = {0};
    char path[512] = "";
    if (fl_ice_table_files(tbl, tbl->meta->current_snapshot_id, NULL, on_data, path, &err))
        fail_msg("%s", err.msg);
    if (fl_ice_table_key(tbl, path, key, n, &err)) fail_msg("%s", err.msg);
}

/* Table ns.name with ids 1..4 in one data file, a position delete of
 * position 1 naming the data file as spell_prefix + its store key, and
 * the location the metadata says replaced by location (NULL: kept):
 * the rows the scan then reads. */
static int64_t rows_after_spelled_delete(struct env *e, const char *name, const char *location,
                                         const char *spell_prefix) {
    struct fl_ice_table *tbl = table_new(e, name, NULL);
    append_rows(tbl, "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n{\"id\":4}");
    assert_int_equal(table_env_rows(tbl, FL_ICE_NO_SNAPSHOT), 4);
    char key[512], row[1200], dkey[600];
    data_key(tbl, key, sizeof(key));
    snprintf(row, sizeof(row), "{\"file_path\":\"%s%s\",\"pos\":1}", spell_prefix, key);
    snprintf(dkey, sizeof(dkey), "db/%s/data/del.parquet", name);
    commit_delete(tbl, dkey, POS_SCHEMA, row, FL_ICE_CONTENT_POSITION_DELETES);
    if (location) tbl->meta->location = location; /* as another engine wrote it */
    int64_t n = table_env_rows(tbl, FL_ICE_NO_SNAPSHOT);
    fl_ice_table_free(tbl);
    return n;
}

static void test_position_delete_spellings(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-scandel", SCHEMA);
    char prefix[256];
    /* Hive/Impala: the manifest under hdfs://namenode:20500, the delete bare */
    assert_int_equal(
        rows_after_spelled_delete(&e, "a", "hdfs://namenode:20500/warehouse/db/a", "/warehouse/"),
        3);
    assert_int_equal(rows_after_spelled_delete(&e, "b", "hdfs://namenode:20500/warehouse/db/b",
                                               "hdfs://namenode:20500/warehouse/"),
                     3);
    /* a bare table location, the delete under a namenode */
    assert_int_equal(
        rows_after_spelled_delete(&e, "c", "/warehouse/db/c", "hdfs://namenode:20500/warehouse/"),
        3);
    assert_int_equal(rows_after_spelled_delete(&e, "d", "s3://bucket/wh/db/d", "s3a://bucket/wh/"),
                     3);
    /* the real location, spelled file:/ instead of file:/// */
    snprintf(prefix, sizeof(prefix), "file:%s/wh/", e.dir);
    assert_int_equal(rows_after_spelled_delete(&e, "e", NULL, prefix), 3);
    /* and as written (the spelling floe itself records) */
    snprintf(prefix, sizeof(prefix), "file://%s/wh/", e.dir);
    assert_int_equal(rows_after_spelled_delete(&e, "f", NULL, prefix), 3);
    pipe_env_close(&e);
}

static void test_position_delete_null_path(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-scandel", SCHEMA);
    struct fl_ice_table *tbl = table_new(&e, "t", NULL);
    append_rows(tbl, "{\"id\":1}\n{\"id\":2}");
    commit_delete(tbl, "db/t/data/nullpath.parquet", POS_SCHEMA, "{\"file_path\":null,\"pos\":0}",
                  FL_ICE_CONTENT_POSITION_DELETES);
    struct fl_ice_scan *sc = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "nullpath.parquet"));
    assert_non_null(strstr(err.msg, "null file_path"));
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

/* The ids and cities the current snapshot reads, sorted, as "1/Bergen,2/Oslo". */
static const char *rows_text(struct fl_ice_table *tbl) {
    static char out[1024];
    char rows[32][64];
    int n = 0;
    struct fl_ice_scan *sc = NULL;
    struct fl_error err = {0};
    if (fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err)) fail_msg("%s", err.msg);
    struct fl_batch *b = NULL;
    fl_err_t rc;
    while ((rc = fl_ice_scan_next(sc, &b, &err)) == FL_OK)
        for (size_t r = 0; r < b->nrows && n < 32; r++) {
            size_t len;
            const uint8_t *c = fl_col_bytes(&b->cols[1], r, &len);
            snprintf(rows[n++], 64, "%lld/%.*s", (long long)fl_col_int(&b->cols[0], r), (int)len,
                     (const char *)c);
        }
    if (rc != FL_ERR_EOF) fail_msg("%s", err.msg);
    fl_ice_scan_free(sc);
    qsort(rows, (size_t)n, sizeof(rows[0]), (int (*)(const void *, const void *))strcmp);
    out[0] = 0;
    for (int i = 0; i < n; i++)
        snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "," : "", rows[i]);
    return out;
}

static void test_equality_delete_partition(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-scandel", SCHEMA);
    struct fl_ice_table *tbl = table_new(&e, "t", "city");
    append_rows(tbl, "{\"id\":1,\"city\":\"Oslo\"}\n{\"id\":2,\"city\":\"Oslo\"}");
    append_rows(tbl, "{\"id\":1,\"city\":\"Bergen\"}\n{\"id\":2,\"city\":\"Bergen\"}");
    assert_string_equal(rows_text(tbl), "1/Bergen,1/Oslo,2/Bergen,2/Oslo");
    /* id 1 in Oslo's partition: Bergen's id 1 stays */
    commit_delete(tbl, "db/t/data/city=Oslo/eq.parquet", SCHEMA, "{\"id\":1,\"city\":\"Oslo\"}",
                  FL_ICE_CONTENT_EQUALITY_DELETES);
    assert_string_equal(rows_text(tbl), "1/Bergen,2/Bergen,2/Oslo");
    /* an equality delete of the unpartitioned spec applies everywhere */
    struct fl_error err = {0};
    if (fl_ice_table_set_partitioning(tbl, NULL, 0, &err)) fail_msg("%s", err.msg);
    commit_delete(tbl, "db/t/data/eq2.parquet", SCHEMA, "{\"id\":2}",
                  FL_ICE_CONTENT_EQUALITY_DELETES);
    assert_string_equal(rows_text(tbl), "1/Bergen");
    /* sequence numbers still rule: a row appended after the delete stays */
    append_rows(tbl, "{\"id\":2,\"city\":\"Oslo\"}");
    assert_string_equal(rows_text(tbl), "1/Bergen,2/Oslo");
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

/* An equality delete on a column added after a data file was written:
 * that file's rows have null there (Iceberg's rule for a column a file
 * lacks), so a null key deletes them and another key leaves them. */
static void test_equality_delete_added_column(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-scandel", SCHEMA);
    struct fl_ice_table *tbl = table_new(&e, "t", NULL);
    append_rows(tbl, "{\"id\":1,\"city\":\"Oslo\"}\n{\"id\":2,\"city\":\"Bergen\"}");
    struct fl_error err = {0};
    struct fl_ice_schema_change add = {.kind = FL_ICE_ADD_COLUMN, .name = "zone", .type = "string"};
    if (fl_ice_table_evolve_schema(tbl, &add, 1, &err)) fail_msg("%s", err.msg);
    append_rows(tbl, "{\"id\":3,\"city\":\"Tromso\",\"zone\":\"north\"}");
    static const char *ZONE =
        "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
        "{\"id\":3,\"name\":\"zone\",\"required\":false,\"type\":\"string\"}]}";
    commit_delete_on(tbl, "db/t/data/eq-south.parquet", ZONE, "{\"zone\":\"south\"}",
                     FL_ICE_CONTENT_EQUALITY_DELETES, 3);
    assert_string_equal(rows_text(tbl), "1/Oslo,2/Bergen,3/Tromso");
    commit_delete_on(tbl, "db/t/data/eq-null.parquet", ZONE, "{\"zone\":null}",
                     FL_ICE_CONTENT_EQUALITY_DELETES, 3);
    assert_string_equal(rows_text(tbl), "3/Tromso");
    commit_delete_on(tbl, "db/t/data/eq-north.parquet", ZONE, "{\"zone\":\"north\"}",
                     FL_ICE_CONTENT_EQUALITY_DELETES, 3);
    assert_string_equal(rows_text(tbl), "");
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

/* Commits a data file of tbl's default (identity city) spec at key that
 * holds only the id column, as Hive writes a partition's files: the city
 * is in the partition tuple (city), not in the file. */
static void commit_without_city(struct fl_ice_table *tbl, const char *key, const char *ids,
                                const char *city) {
    static const char *ID_ONLY = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                                 "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"}]}";
    char row[128];
    snprintf(row, sizeof(row), "{\"id\":0,\"city\":\"%s\"}", city);
    commit_rows(tbl, key, ID_ONLY, ids, FL_ICE_CONTENT_DATA, 0, row);
}

/* An equality delete on an identity partition column that the data file
 * keeps only in its partition tuple (Hive, migrated tables): the rows
 * have the partition's value there, and the delete applies to them. */
static void test_equality_delete_partition_column_not_in_file(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-scandel", SCHEMA);
    struct fl_ice_table *tbl = table_new(&e, "t", "city");
    commit_without_city(tbl, "db/t/data/city=Oslo/hive.parquet", "{\"id\":1}\n{\"id\":2}", "Oslo");
    append_rows(tbl, "{\"id\":3,\"city\":\"Bergen\"}");
    assert_string_equal(rows_text(tbl), "1/Oslo,2/Oslo,3/Bergen");
    static const char *CITY =
        "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
        "{\"id\":2,\"name\":\"city\",\"required\":false,\"type\":\"string\"}]}";
    struct fl_error err = {0};
    if (fl_ice_table_set_partitioning(tbl, NULL, 0, &err)) fail_msg("%s", err.msg);
    commit_delete_on(tbl, "db/t/data/eq-rome.parquet", CITY, "{\"city\":\"Rome\"}",
                     FL_ICE_CONTENT_EQUALITY_DELETES, 2);
    assert_string_equal(rows_text(tbl), "1/Oslo,2/Oslo,3/Bergen");
    commit_delete_on(tbl, "db/t/data/eq-oslo.parquet", CITY, "{\"city\":\"Oslo\"}",
                     FL_ICE_CONTENT_EQUALITY_DELETES, 2);
    assert_string_equal(rows_text(tbl), "3/Bergen");
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

/* Many equality delete rows (a hash index, not a pass over them per data
 * row): ids divisible by 3 among 0..29999 go, plus ids no row has; the
 * rest stay, counted and summed. */
static void test_equality_delete_many_rows(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-scandel", SCHEMA);
    struct fl_ice_table *tbl = table_new(&e, "t", NULL);
    struct fl_buf rows, dels;
    fl_buf_init(&rows, FL_BUF_NOMAX);
    fl_buf_init(&dels, FL_BUF_NOMAX);
    char line[64];
    for (int i = 0; i < 30000; i++) {
        int n =
            snprintf(line, sizeof(line), "%s{\"id\":%d,\"city\":\"c%d\"}", i ? "\n" : "", i, i % 7);
        assert_int_equal(fl_buf_append(&rows, line, (size_t)n), FL_OK);
        if (i % 3 == 0 || i % 1000 == 1) { /* and 1000 ids beyond the data */
            n = snprintf(line, sizeof(line), "%s{\"id\":%d}", dels.len ? "\n" : "",
                         i % 3 == 0 ? i : 100000 + i);
            assert_int_equal(fl_buf_append(&dels, line, (size_t)n), FL_OK);
        }
    }
    assert_int_equal(fl_buf_append(&rows, "", 1), FL_OK);
    assert_int_equal(fl_buf_append(&dels, "", 1), FL_OK);
    append_rows(tbl, (const char *)rows.data);
    commit_delete(tbl, "db/t/data/eq-many.parquet", SCHEMA, (const char *)dels.data,
                  FL_ICE_CONTENT_EQUALITY_DELETES);
    struct fl_ice_scan *sc = NULL;
    struct fl_error err = {0};
    if (fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err)) fail_msg("%s", err.msg);
    struct fl_batch *b = NULL;
    fl_err_t rc;
    int64_t n = 0, sum = 0, want = 0;
    while ((rc = fl_ice_scan_next(sc, &b, &err)) == FL_OK)
        for (size_t r = 0; r < b->nrows; r++) {
            int64_t id = fl_col_int(&b->cols[0], r);
            assert_true(id % 3 != 0);
            n++;
            sum += id;
        }
    if (rc != FL_ERR_EOF) fail_msg("%s", err.msg);
    fl_ice_scan_free(sc);
    for (int i = 0; i < 30000; i++)
        if (i % 3) want += i;
    assert_int_equal(n, 20000);
    assert_int_equal(sum, want);
    fl_buf_fini(&rows);
    fl_buf_fini(&dels);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_position_delete_spellings),
        cmocka_unit_test(test_position_delete_null_path),
        cmocka_unit_test(test_equality_delete_partition),
        cmocka_unit_test(test_equality_delete_added_column),
        cmocka_unit_test(test_equality_delete_partition_column_not_in_file),
        cmocka_unit_test(test_equality_delete_many_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
