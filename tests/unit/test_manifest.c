/*
 * test_manifest.c - manifests and manifest lists: floe writes them and
 * reads them back (counts, partition summaries, bounds, inheritance);
 * floe reads the ones Iceberg Java and Spark wrote in the fixtures and
 * gets the values their decoded JSON shows. Independent readers
 * (python3-avro, avsc) check floe's files in tests/interop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/mem.h"
#include "iceberg/manifest.h"
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *slurp(const char *rel, size_t *len) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/iceberg/%s", fixtures_dir(), rel);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *b = malloc((size_t)n);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) fail_msg("short read %s", path);
    fclose(f);
    *len = (size_t)n;
    return b;
}

struct seen {
    int n;
    int64_t records;
    int64_t seq[8];
    int64_t snap[8];
    char path[8][256];
    int32_t part_day[8];
    char part_city[8][32];
    int64_t lower_id[8];
    int64_t bound_cols[8];
};

static int on_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct seen *s = ctx;
    int i = s->n++;
    if (i >= 8) return 1;
    s->records += e->df.record_count;
    s->seq[i] = e->sequence_number;
    s->snap[i] = e->snapshot_id;
    snprintf(s->path[i], sizeof(s->path[i]), "%s", e->df.file_path);
    if (e->df.npartition == 2) {
        s->part_day[i] = (int32_t)e->df.partition[0].i64;
        snprintf(s->part_city[i], sizeof(s->part_city[i]), "%.*s", (int)e->df.partition[1].len,
                 (const char *)e->df.partition[1].bytes);
    }
    for (int k = 0; k < e->df.ncols; k++) {
        if (e->df.cols[k].has_bounds) s->bound_cols[i]++;
        if (e->df.cols[k].field_id == 1 && e->df.cols[k].lower_len == 8)
            memcpy(&s->lower_id[i], e->df.cols[k].lower, 8);
    }
    return 0;
}

static void test_write_read_roundtrip(void **state) {
    (void)state;
    const char *js = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                     "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                     "{\"id\":2,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"},"
                     "{\"id\":3,\"name\":\"city\",\"required\":false,\"type\":\"string\"}]}";
    struct fl_schema *schema = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_schema_parse(js, strlen(js), &schema, &err), FL_OK);
    const char *terms[] = {"day(ts)", "city"};
    assert_int_equal(fl_ice_spec_from_terms(schema, 0, terms, 2, 1000, &spec, &err), FL_OK);

    struct fl_ice_manifest_entry entries[3];
    struct fl_ice_col_metrics cols[3][3];
    struct fl_ice_pval parts[3][2];
    const char *cities[] = {"Paris", "Oslo", NULL};
    int64_t lower[3] = {-5, 10, 7}, upper[3] = {100, 20, 7};
    memset(entries, 0, sizeof(entries));
    memset(cols, 0, sizeof(cols));
    memset(parts, 0, sizeof(parts));
    for (int i = 0; i < 3; i++) {
        struct fl_ice_manifest_entry *e = &entries[i];
        e->status = FL_ICE_STATUS_ADDED;
        e->snapshot_id = 77;
        e->sequence_number = FL_ICE_NULL_LONG;
        e->file_sequence_number = FL_ICE_NULL_LONG;
        char *path = fl_malloc(64);
        snprintf(path, 64, "file:///wh/t/data/f%d.parquet", i);
        e->df.file_path = path;
        e->df.file_format = "PARQUET";
        e->df.record_count = 10 * (i + 1);
        e->df.file_size_in_bytes = 1000 + i;
        parts[i][0].type = FL_TYPE_DATE;
        parts[i][0].i64 = 20000 + i;
        parts[i][1].type = FL_TYPE_STRING;
        parts[i][1].is_null = cities[i] == NULL;
        parts[i][1].bytes = (const uint8_t *)cities[i];
        parts[i][1].len = cities[i] ? strlen(cities[i]) : 0;
        e->df.partition = parts[i];
        e->df.npartition = 2;
        for (int k = 0; k < 3; k++) {
            cols[i][k].field_id = k + 1;
            cols[i][k].column_size = 100;
            cols[i][k].value_count = e->df.record_count;
            cols[i][k].null_count = 0;
            cols[i][k].nan_count = -1;
        }
        cols[i][0].has_bounds = true;
        cols[i][0].lower = (uint8_t *)&lower[i];
        cols[i][0].upper = (uint8_t *)&upper[i];
        cols[i][0].lower_len = cols[i][0].upper_len = 8;
        e->df.cols = cols[i];
        e->df.ncols = 3;
    }
    uint8_t *m = NULL;
    size_t mlen = 0;
    struct fl_ice_manifest_file mf;
    assert_int_equal(fl_ice_manifest_write(schema, spec, 0, entries, 3, &m, &mlen, &mf, &err),
                     FL_OK);
    assert_int_equal(mf.added_files_count, 3);
    assert_int_equal(mf.added_rows_count, 60);
    assert_int_equal(mf.npartitions, 2);
    assert_true(mf.partitions[1].contains_null);
    assert_true(mf.partitions[1].has_bounds);
    assert_int_equal(mf.partitions[1].lower.len, 4); /* "Oslo" */
    assert_memory_equal(mf.partitions[1].upper.data, "Paris", 5);
    mf.manifest_path = fl_strdup("file:///wh/t/metadata/m0.avro");
    mf.sequence_number = 5;
    mf.min_sequence_number = 5;
    mf.added_snapshot_id = 77;

    uint8_t *l = NULL;
    size_t llen = 0;
    assert_int_equal(fl_ice_manifest_list_write(77, -1, 5, &mf, 1, &l, &llen, &err), FL_OK);
    struct fl_ice_manifest_file *back = NULL;
    int nb = 0;
    assert_int_equal(fl_ice_manifest_list_read(l, llen, &back, &nb, &err), FL_OK);
    assert_int_equal(nb, 1);
    assert_string_equal(back[0].manifest_path, "file:///wh/t/metadata/m0.avro");
    assert_int_equal(back[0].manifest_length, (int64_t)mlen);
    assert_int_equal(back[0].sequence_number, 5);
    assert_int_equal(back[0].added_rows_count, 60);
    assert_int_equal(back[0].npartitions, 2);
    assert_true(back[0].partitions[1].contains_null);
    assert_int_equal(back[0].partitions[0].lower.len, 4);

    const char *dump = getenv("FLOE_MANIFEST_OUT"); /* for checks with other readers */
    if (dump) {
        char p1[512], p2[512];
        snprintf(p1, sizeof(p1), "%s/m0.avro", dump);
        snprintf(p2, sizeof(p2), "%s/snap.avro", dump);
        FILE *f1 = fopen(p1, "wb"), *f2 = fopen(p2, "wb");
        assert_non_null(f1);
        assert_non_null(f2);
        fwrite(m, 1, mlen, f1);
        fwrite(l, 1, llen, f2);
        fclose(f1);
        fclose(f2);
    }
    struct seen s = {0};
    assert_int_equal(fl_ice_manifest_read(m, mlen, &back[0], on_entry, &s, &err), FL_OK);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.records, 60);
    assert_int_equal(s.seq[0], 5); /* inherited from the list */
    assert_int_equal(s.snap[2], 77);
    assert_string_equal(s.path[1], "file:///wh/t/data/f1.parquet");
    assert_int_equal(s.part_day[2], 20002);
    assert_string_equal(s.part_city[0], "Paris");
    assert_int_equal(s.lower_id[0], -5);

    for (int i = 0; i < nb; i++) fl_ice_manifest_file_fini(&back[i]);
    fl_free(back);
    fl_ice_manifest_file_fini(&mf);
    for (int i = 0; i < 3; i++) fl_free(entries[i].df.file_path);
    fl_free(m);
    fl_free(l);
    fl_ice_spec_free(spec);
    fl_schema_free(schema);
}

static void test_java_written(void **state) {
    (void)state;
    struct fl_error err = {0};
    size_t len = 0;
    uint8_t *list =
        slurp("icebird/snap-8656952484400131532-1-a85973e4-4009-4cba-875e-5278a2c6027d.avro", &len);
    struct fl_ice_manifest_file *files = NULL;
    int n = 0;
    assert_int_equal(fl_ice_manifest_list_read(list, len, &files, &n, &err), FL_OK);
    assert_int_equal(n, 1);
    assert_int_equal(files[0].added_files_count, 1);
    assert_int_equal(files[0].added_rows_count, 21);
    assert_int_equal(files[0].manifest_length, 7211);
    assert_int_equal(files[0].added_snapshot_id, INT64_C(8656952484400131532));
    assert_int_equal(files[0].sequence_number, 1);
    assert_non_null(strstr(files[0].manifest_path, "a85973e4-4009-4cba-875e-5278a2c6027d-m0.avro"));
    free(list);
    uint8_t *man = slurp("icebird/a85973e4-4009-4cba-875e-5278a2c6027d-m0.avro", &len);
    struct seen s = {0};
    assert_int_equal(fl_ice_manifest_read(man, len, &files[0], on_entry, &s, &err), FL_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.records, 21);
    assert_int_equal(s.seq[0], 1);
    assert_string_equal(s.path[0], "s3a://hyperparam-iceberg/warehouse/bunnies/data/"
                                   "00000-1-ab020707-f0e6-43c8-98ed-5643ba60e97c-00001.parquet");
    assert_int_equal(s.bound_cols[0], 8);
    free(man);
    fl_ice_manifest_file_fini(&files[0]);
    fl_free(files);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read_roundtrip),
        cmocka_unit_test(test_java_written),
    };
    return cmocka_run_group_tests_name("manifest", tests, NULL, NULL);
}
