/*
 * test_dv.c - Iceberg format 3: Puffin files and deletion vectors read
 * and written, v3 table metadata, and v3 tables read and written end to
 * end. Expected values come from the fixtures' authors (iceberg-rust's
 * deletes-dv README, Iceberg Java's Puffin test files, duckdb-iceberg's
 * legacy_bare_deletion_vector test), never from floe itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "catalog/catalog.h"
#include "core/mem.h"
#include "format/puffin/dv.h"
#include "format/puffin/puffin.h"
#include "iceberg/manifest.h"
#include "iceberg/table.h"
#include "store/store.h"
#include "fixtures.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bytes of a fixture file (relative to tests/fixtures/iceberg). */
static uint8_t *fixture(const char *rel, size_t *len) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/iceberg/%s", fixtures_dir(), rel);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = fl_malloc((size_t)n + 1);
    if (fread(p, 1, (size_t)n, f) != (size_t)n) fail_msg("short read %s", path);
    fclose(f);
    *len = (size_t)n;
    return p;
}

struct collect {
    int64_t v[16];
    int n;
};

static int collect_pos(void *ctx, int64_t pos) {
    struct collect *c = ctx;
    if (c->n < 16) c->v[c->n] = pos;
    c->n++;
    return 0;
}

static struct fl_dv *decode_fixture(const char *name) {
    char rel[256];
    snprintf(rel, sizeof(rel), "iceberg-rust/deletes-dv/%s", name);
    size_t len;
    uint8_t *b = fixture(rel, &len);
    struct fl_dv *dv = NULL;
    struct fl_error err = {0};
    if (fl_dv_decode(b, len, &dv, &err)) fail_msg("%s: %s", name, err.msg);
    fl_free(b);
    return dv;
}

/* iceberg-rust deletes-dv/README.md: the positions of each golden blob */
static void test_dv_golden_blobs(void **state) {
    (void)state;
    struct fl_dv *dv = decode_fixture("empty.bin");
    assert_int_equal(fl_dv_cardinality(dv), 0);
    assert_false(fl_dv_contains(dv, 0));
    fl_dv_free(dv);

    dv = decode_fixture("single-position.bin");
    assert_int_equal(fl_dv_cardinality(dv), 1);
    assert_true(fl_dv_contains(dv, 0));
    assert_false(fl_dv_contains(dv, 1));
    fl_dv_free(dv);

    dv = decode_fixture("small-bitmap.bin");
    struct collect c = {0};
    fl_dv_each(dv, collect_pos, &c);
    assert_int_equal(c.n, 4);
    int64_t want[] = {0, 1, 100, 1000};
    for (int i = 0; i < 4; i++) assert_int_equal(c.v[i], want[i]);
    fl_dv_free(dv);

    dv = decode_fixture("spanning-keys.bin");
    memset(&c, 0, sizeof(c));
    fl_dv_each(dv, collect_pos, &c);
    int64_t span[] = {0, INT64_C(1) << 33, (INT64_C(1) << 33) + 5, INT64_C(1) << 34};
    assert_int_equal(c.n, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(c.v[i], span[i]);
    assert_false(fl_dv_contains(dv, (INT64_C(1) << 33) + 4));
    fl_dv_free(dv);

    dv = decode_fixture("dense-range.bin");
    assert_int_equal(fl_dv_cardinality(dv), 10000);
    assert_true(fl_dv_contains(dv, 9999));
    assert_false(fl_dv_contains(dv, 10000));
    fl_dv_free(dv);
}

/* Our encoding of the same sets decodes to the same positions, and
 * every kind of damage is refused with a message. */
static void test_dv_encode_and_damage(void **state) {
    (void)state;
    struct fl_dv *dv = fl_dv_new();
    int64_t pos[] = {0, 1, 100, 1000, INT64_C(1) << 33, (INT64_C(1) << 33) + 5};
    for (int i = 0; i < 6; i++) assert_int_equal(fl_dv_add(dv, pos[i]), FL_OK);
    assert_int_equal(fl_dv_add(dv, -1), FL_ERR_RANGE);
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    assert_int_equal(fl_dv_encode(dv, &b), FL_OK);
    fl_dv_free(dv);
    struct fl_error err = {0};
    struct fl_dv *back = NULL;
    assert_int_equal(fl_dv_decode(b.data, b.len, &back, &err), FL_OK);
    assert_int_equal(fl_dv_cardinality(back), 6);
    for (int i = 0; i < 6; i++) assert_true(fl_dv_contains(back, pos[i]));
    fl_dv_free(back);
    /* the small set encodes exactly as iceberg-rust's golden file */
    struct fl_dv *small = fl_dv_new();
    for (int i = 0; i < 4; i++) fl_dv_add(small, pos[i]);
    struct fl_buf sb;
    fl_buf_init(&sb, FL_BUF_NOMAX);
    assert_int_equal(fl_dv_encode(small, &sb), FL_OK);
    size_t glen;
    uint8_t *golden = fixture("iceberg-rust/deletes-dv/small-bitmap.bin", &glen);
    assert_int_equal(sb.len, glen);
    assert_memory_equal(sb.data, golden, glen);
    fl_free(golden);
    fl_buf_fini(&sb);
    fl_dv_free(small);

    /* damage: every single-byte flip and every truncation is refused */
    for (size_t i = 0; i < b.len; i++) {
        b.data[i] ^= 0x40;
        fl_err_clear(&err);
        back = NULL;
        assert_int_not_equal(fl_dv_decode(b.data, b.len, &back, &err), FL_OK);
        assert_null(back);
        assert_true(err.msg[0] != 0);
        b.data[i] ^= 0x40;
    }
    for (size_t n = 0; n < b.len; n++) {
        fl_err_clear(&err);
        back = NULL;
        assert_int_not_equal(fl_dv_decode(b.data, n, &back, &err), FL_OK);
    }
    fl_buf_fini(&b);
}

/* Iceberg Java's Puffin test files (iceberg-rust testdata/puffin/java-generated) */
static void test_puffin_java_files(void **state) {
    (void)state;
    struct fl_error err = {0};
    struct fl_puffin *pf = NULL;
    size_t len;
    uint8_t *b = fixture("iceberg-rust/puffin/java-generated/empty-puffin-uncompressed.bin", &len);
    assert_int_equal(fl_puffin_open(b, len, &pf, &err), FL_OK);
    assert_int_equal(pf->nblobs, 0);
    fl_puffin_free(pf);
    fl_free(b);

    b = fixture("iceberg-rust/puffin/java-generated/sample-metric-data-uncompressed.bin", &len);
    assert_int_equal(fl_puffin_open(b, len, &pf, &err), FL_OK);
    assert_int_equal(pf->nblobs, 2);
    assert_string_equal(pf->blobs[0].type, "some-blob");
    assert_int_equal(pf->blobs[0].offset, 4);
    assert_int_equal(pf->blobs[0].length, 9);
    assert_memory_equal(b + 4, "abcdefghi", 9);
    assert_string_equal(pf->blobs[1].type, "some-other-blob");
    assert_int_equal(pf->blobs[1].snapshot_id, 2);
    assert_null(pf->blobs[1].codec);
    fl_puffin_free(pf);
    fl_free(b);

    b = fixture("iceberg-rust/puffin/java-generated/sample-metric-data-compressed-zstd.bin", &len);
    assert_int_equal(fl_puffin_open(b, len, &pf, &err), FL_OK);
    assert_int_equal(pf->nblobs, 2);
    assert_string_equal(pf->blobs[0].codec, "zstd");
    fl_puffin_free(pf);
    /* a footer size that points before the file, a cut file */
    for (size_t n = 0; n < len; n += 7) {
        fl_err_clear(&err);
        pf = NULL;
        assert_int_not_equal(fl_puffin_open(b, n, &pf, &err), FL_OK);
        assert_null(pf);
    }
    fl_free(b);
}

/* Our Puffin writer: the footer reads back, the blob is where it says. */
static void test_puffin_write(void **state) {
    (void)state;
    struct fl_buf file;
    fl_buf_init(&file, FL_BUF_NOMAX);
    struct fl_puffin_writer w;
    assert_int_equal(fl_puffin_writer_init(&w, &file), FL_OK);
    const char *k[] = {"referenced-data-file", "cardinality"},
               *v[] = {"s3://b/t/data/a.parquet", "3"};
    int64_t off1, off2;
    assert_int_equal(fl_puffin_writer_add(&w, FL_PUFFIN_DV_TYPE, FL_DV_POS_FIELD_ID,
                                          (const uint8_t *)"hello", 5, k, v, 2, &off1),
                     FL_OK);
    assert_int_equal(fl_puffin_writer_add(&w, FL_PUFFIN_DV_TYPE, FL_DV_POS_FIELD_ID,
                                          (const uint8_t *)"world!", 6, k, v, 1, &off2),
                     FL_OK);
    assert_int_equal(fl_puffin_writer_finish(&w, "floe test"), FL_OK);
    struct fl_puffin *pf = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_puffin_open(file.data, file.len, &pf, &err), FL_OK);
    assert_int_equal(pf->nblobs, 2);
    assert_int_equal(pf->blobs[0].offset, 4);
    assert_int_equal(off1, 4);
    assert_int_equal(off2, 9);
    assert_int_equal(pf->blobs[0].cardinality, 3);
    assert_int_equal(pf->blobs[1].cardinality, -1);
    assert_string_equal(pf->blobs[0].referenced_data_file, "s3://b/t/data/a.parquet");
    assert_int_equal(pf->blobs[0].snapshot_id, -1);
    assert_non_null(fl_puffin_find(pf, 9, 6));
    assert_null(fl_puffin_find(pf, 9, 5));
    assert_memory_equal(file.data + 9, "world!", 6);
    fl_puffin_free(pf);
    fl_buf_fini(&file);
}

static int64_t scan_rows(struct fl_ice_table *tbl, int64_t *ids, int max) {
    struct fl_ice_scan *sc = NULL;
    struct fl_error err = {0};
    if (fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err)) fail_msg("scan: %s", err.msg);
    int64_t n = 0;
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &b, &err);
        if (rc == FL_ERR_EOF) break;
        if (rc) fail_msg("scan next: %s", err.msg);
        for (size_t r = 0; r < b->nrows; r++, n++)
            if (ids && n < max) ids[n] = fl_col_int(&b->cols[0], r);
    }
    fl_ice_scan_free(sc);
    return n;
}

/* A table of the fixtures: the store at iceberg/<root>, the table at key. */
static struct fl_ice_table *fixture_table(const char *root, const char *key, struct fl_store **st) {
    char uri[1024];
    snprintf(uri, sizeof(uri), "file://%s/iceberg/%s", fixtures_dir(), root);
    struct fl_error err = {0};
    struct fl_store_opts sopts = {0};
    if (fl_store_open(uri, &sopts, st, &err)) fail_msg("store %s: %s", uri, err.msg);
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_load_path(*st, key, &tbl, &err)) fail_msg("load %s: %s", key, err.msg);
    return tbl;
}

/* duckdb-iceberg legacy_bare_deletion_vector: a v3 table whose deletion
 * vector file is one bare blob (DuckDB 1.5.3); its test expects ids 1, 3. */
static void test_v3_fixture_bare_dv(void **state) {
    (void)state;
    struct fl_store *st = NULL;
    struct fl_ice_table *tbl =
        fixture_table("duckdb-iceberg/persistent/legacy_bare_deletion_vector/warehouse",
                      "default/legacy_bare_deletion_vector", &st);
    assert_int_equal(tbl->meta->format_version, 3);
    assert_int_equal(tbl->meta->next_row_id, 3);
    int64_t ids[8];
    assert_int_equal(scan_rows(tbl, ids, 8), 2);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 3);
    fl_ice_table_free(tbl);
    fl_store_free(st);
}

/* duckdb-iceberg add_columns_with_defaults (PyIceberg): 14 columns added
 * with an initial-default after the first file was written; its rows read
 * the defaults (duckdb-iceberg test/sql/local/initial_default_all_types.test) */
static void test_initial_default(void **state) {
    (void)state;
    struct fl_error err = {0};
    struct fl_store *st = NULL;
    struct fl_ice_table *tbl =
        fixture_table("duckdb-iceberg/persistent/add_columns_with_defaults/default.db",
                      "add_columns_with_defaults", &st);
    struct fl_ice_scan *sc = NULL;
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_OK);
    int n = 0, defaulted = 0;
    struct fl_buf js;
    fl_buf_init(&js, FL_BUF_NOMAX);
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &b, &err);
        if (rc == FL_ERR_EOF) break;
        if (rc) fail_msg("scan: %s", err.msg);
        for (size_t r = 0; r < b->nrows; r++, n++) {
            fl_buf_reset(&js);
            assert_int_equal(fl_batch_row_to_json(b, r, &js), FL_OK);
            fl_buf_append_u8(&js, 0);
            const char *row = (const char *)js.data;
            if (strstr(row, "\"col1\":\"test\"")) {
                assert_non_null(strstr(row, "\"col_integer\":453243"));
                continue;
            }
            defaulted++;
            const char *want[] = {"\"col_boolean\":true",
                                  "\"col_integer\":342342",
                                  "\"col_long\":-9223372036854775808",
                                  "\"col_decimal\":\"12345.00\"",
                                  "\"col_date\":\"2003-10-20\"",
                                  "\"col_time\":\"00:00:00.012345\"",
                                  "\"col_timestamp\":\"1970-01-01T00:00:00.012345\"",
                                  "\"col_timestamptz\":\"1970-01-01T00:00:00.012345+00:00\"",
                                  "\"col_string\":\"HELLO\"",
                                  "\"col_uuid\":\"f79c3e09-677c-4bbd-a479-3f349cb785e7\"",
                                  "\"col_fixed\":\"010203ff03\"",
                                  "\"col_binary\":\"0102\""};
            for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
                if (!strstr(row, want[k])) fail_msg("row %s lacks %s", row, want[k]);
        }
    }
    assert_int_equal(n, 3);
    assert_int_equal(defaulted, 2);
    fl_buf_fini(&js);
    fl_ice_scan_free(sc);
    /* the defaults survive the schema's trip through floe's writer */
    struct fl_buf sj;
    fl_buf_init(&sj, FL_BUF_NOMAX);
    assert_int_equal(fl_schema_to_json(fl_ice_meta_current_schema(tbl->meta), &sj), FL_OK);
    fl_buf_append_u8(&sj, 0);
    assert_non_null(strstr((const char *)sj.data, "\"initial-default\":342342"));
    assert_non_null(strstr((const char *)sj.data, "\"write-default\":\"HELLO\""));
    fl_buf_fini(&sj);
    fl_ice_table_free(tbl);
    fl_store_free(st);
}

static void append_json(struct fl_ice_table *tbl, const char *const *rows, int n);

static bool only_id(void *ctx, const struct fl_ice_data_file *df) {
    (void)ctx;
    (void)df;
    return true;
}

/* Format 3 types: timestamp_ns and timestamptz_ns read (at microsecond
 * precision), unknown reads as null, variant/geometry/geography refuse
 * only their own column; floe never writes any of them. */
static void test_v3_types(void **state) {
    (void)state;
    const char *js =
        "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
        "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
        "{\"id\":2,\"name\":\"a\",\"required\":false,\"type\":\"timestamp_ns\"},"
        "{\"id\":3,\"name\":\"b\",\"required\":false,\"type\":\"timestamptz_ns\"},"
        "{\"id\":4,\"name\":\"c\",\"required\":false,\"type\":\"unknown\"},"
        "{\"id\":5,\"name\":\"d\",\"required\":false,\"type\":\"variant\"},"
        "{\"id\":6,\"name\":\"e\",\"required\":false,\"type\":\"geometry(srid:4326)\"},"
        "{\"id\":7,\"name\":\"f\",\"required\":false,\"type\":\"geography(srid:4326, "
        "karney)\"}]}";
    struct fl_schema *schema = NULL;
    struct fl_error err = {0};
    if (fl_schema_parse(js, strlen(js), &schema, &err)) fail_msg("%s", err.msg);
    assert_int_equal(schema->fields[1].type, FL_TYPE_TIMESTAMP);
    assert_true(schema->fields[1].nanos);
    assert_int_equal(schema->fields[2].type, FL_TYPE_TIMESTAMPTZ);
    assert_true(fl_field_is_exact(&schema->fields[0]));
    for (int i = 1; i < 7; i++) assert_false(fl_field_is_exact(&schema->fields[i]));
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    assert_int_equal(fl_schema_to_json(schema, &b), FL_OK);
    fl_buf_append_u8(&b, 0);
    const char *types[] = {
        "\"timestamp_ns\"", "\"timestamptz_ns\"",      "\"unknown\"",
        "\"variant\"",      "\"geometry(srid:4326)\"", "\"geography(srid:4326, karney)\""};
    for (int i = 0; i < 6; i++) assert_non_null(strstr((const char *)b.data, types[i]));
    fl_buf_fini(&b);
    struct fl_schema *copy = fl_schema_dup(schema);
    assert_string_equal(copy->fields[4].opaque_type, "variant");
    fl_schema_free(copy);

    /* a v3 table of them: created, scanned empty, never appended to */
    char dir[] = "/tmp/floe-dvt-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char uri[256], caturi[256];
    snprintf(uri, sizeof(uri), "file://%s/wh", dir);
    snprintf(caturi, sizeof(caturi), "sqlite://%s/catalog.db", dir);
    struct fl_store *st = NULL;
    struct fl_catalog *cat = NULL;
    struct fl_store_opts sopts = {0};
    assert_int_equal(fl_store_open(uri, &sopts, &st, &err), FL_OK);
    assert_int_equal(fl_catalog_open(caturi, "floe", &cat, &err), FL_OK);
    struct fl_ice_kv props[] = {{"format-version", "3"}};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_create(st, fl_catalog_ice(cat), "db", "types", schema, NULL, props, 1, &tbl,
                            &err))
        fail_msg("create: %s", err.msg);
    assert_int_equal(scan_rows(tbl, NULL, 0), 0);
    struct fl_ice_appender *ap = NULL;
    assert_int_equal(fl_ice_appender_new(tbl, &ap, &err), FL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "timestamp_ns"));
    fl_err_clear(&err);
    fl_ice_table_free(tbl);

    /* a column of an opaque type that a data file holds: refused when
     * selected, the others still read. Made by retyping a binary column in
     * memory, as no writer here can make a variant column. */
    const char *plain = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                        "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                        "{\"id\":5,\"name\":\"d\",\"required\":false,\"type\":\"binary\"},"
                        "{\"id\":4,\"name\":\"c\",\"required\":false,\"type\":\"long\"}]}";
    struct fl_schema *ps = NULL;
    assert_int_equal(fl_schema_parse(plain, strlen(plain), &ps, &err), FL_OK);
    if (fl_ice_table_create(st, fl_catalog_ice(cat), "db", "opaque", ps, NULL, props, 1, &tbl,
                            &err))
        fail_msg("create: %s", err.msg);
    const char *rows[] = {"{\"id\":1,\"d\":\"00ff\",\"c\":7}", "{\"id\":2,\"c\":8}"};
    append_json(tbl, rows, 2);
    json_t *fields = json_object_get(
        json_array_get(json_object_get((json_t *)tbl->meta->doc, "schemas"), 0), "fields");
    json_object_set_new(json_array_get(fields, 1), "type", json_string("variant"));
    json_object_set_new(json_array_get(fields, 2), "type", json_string("unknown"));
    assert_int_equal(fl_ice_meta_rebuild(tbl->meta, &err), FL_OK);
    struct fl_ice_scan *sc = NULL;
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_OK);
    struct fl_batch *bt = NULL;
    assert_int_equal(fl_ice_scan_next(sc, &bt, &err), FL_ERR_UNSUPPORTED);
    if (!strstr(err.msg, "\"d\" has type variant")) fail_msg("%s", err.msg);
    fl_ice_scan_free(sc);
    fl_err_clear(&err);
    int32_t ids[] = {1, 4};
    assert_int_equal(fl_ice_scan_open_files(tbl, FL_ICE_NO_SNAPSHOT, only_id, NULL, &sc, &err),
                     FL_OK);
    assert_int_equal(fl_ice_scan_project_ids(sc, ids, 2, &err), FL_OK);
    assert_int_equal(fl_ice_scan_next(sc, &bt, &err), FL_OK);
    assert_int_equal(bt->nrows, 2);
    for (size_t r = 0; r < 2; r++) assert_true(fl_col_is_null(&bt->cols[2], r)); /* unknown */
    assert_false(fl_col_is_null(&bt->cols[0], 0));
    fl_ice_scan_free(sc);
    fl_ice_table_free(tbl);
    fl_schema_free(ps);
    fl_catalog_free(cat);
    fl_store_free(st);
    fl_schema_free(schema);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* iceberg-rust table_metadata: v3 metadata parses, row lineage read */
static void test_v3_metadata(void **state) {
    (void)state;
    size_t len;
    uint8_t *b = fixture("iceberg-rust/table_metadata/TableMetadataV3ValidMinimal.json", &len);
    struct fl_ice_meta *meta = NULL;
    struct fl_error err = {0};
    if (fl_ice_meta_parse((const char *)b, len, &meta, &err)) fail_msg("%s", err.msg);
    assert_int_equal(meta->format_version, 3);
    fl_ice_meta_free(meta);
    fl_free(b);
    b = fixture("iceberg-rust/table_metadata/TableMetadataV3ValidEncryption.json", &len);
    if (fl_ice_meta_parse((const char *)b, len, &meta, &err)) fail_msg("%s", err.msg);
    fl_ice_meta_free(meta);
    fl_free(b);
    /* format 3 without the fields it requires (schemas, next-row-id) */
    b = fixture("iceberg-rust/table_metadata/TableMetadataUnsupportedVersion.json", &len);
    fl_err_clear(&err);
    assert_int_equal(fl_ice_meta_parse((const char *)b, len, &meta, &err), FL_ERR_INVALID);
    fl_free(b);
    const char *no_row_id = "{\"format-version\":3,\"table-uuid\":\"x\",\"location\":\"/t\","
                            "\"last-sequence-number\":0,\"last-updated-ms\":1,\"last-column-id\":0,"
                            "\"schemas\":[{\"type\":\"struct\",\"schema-id\":0,\"fields\":[]}],"
                            "\"current-schema-id\":0,\"partition-specs\":[{\"spec-id\":0,"
                            "\"fields\":[]}],\"default-spec-id\":0,\"last-partition-id\":999,"
                            "\"sort-orders\":[],\"default-sort-order-id\":0,"
                            "\"current-snapshot-id\":1,\"snapshots\":[{\"snapshot-id\":1,"
                            "\"sequence-number\":1,\"timestamp-ms\":1,\"manifest-list\":\"/m\","
                            "\"summary\":{\"operation\":\"append\"}}]}";
    fl_err_clear(&err);
    assert_int_equal(fl_ice_meta_parse(no_row_id, strlen(no_row_id), &meta, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "next-row-id"));

    /* a REST client's add-snapshot on a format 3 table: row lineage checked and advanced */
    b = fixture("iceberg-rust/table_metadata/TableMetadataV3ValidMinimal.json", &len);
    fl_err_clear(&err);
    if (fl_ice_meta_parse((const char *)b, len, &meta, &err)) fail_msg("%s", err.msg);
    fl_free(b);
    const char *no_lineage = "{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":77,"
                             "\"sequence-number\":35,\"timestamp-ms\":1,\"manifest-list\":\"/l\","
                             "\"summary\":{\"operation\":\"append\"}}}";
    assert_int_equal(fl_ice_meta_apply_update(meta, no_lineage, strlen(no_lineage), &err),
                     FL_ERR_INVALID);
    fl_ice_meta_free(meta);
    b = fixture("iceberg-rust/table_metadata/TableMetadataV3ValidMinimal.json", &len);
    fl_err_clear(&err);
    if (fl_ice_meta_parse((const char *)b, len, &meta, &err)) fail_msg("%s", err.msg);
    fl_free(b);
    const char *ok = "{\"action\":\"add-snapshot\",\"snapshot\":{\"snapshot-id\":77,"
                     "\"sequence-number\":35,\"timestamp-ms\":1,\"manifest-list\":\"/l\","
                     "\"first-row-id\":0,\"added-rows\":12,"
                     "\"summary\":{\"operation\":\"append\"}}}";
    if (fl_ice_meta_apply_update(meta, ok, strlen(ok), &err)) fail_msg("%s", err.msg);
    assert_int_equal(meta->next_row_id, 12);
    assert_int_equal(fl_ice_meta_snapshot(meta, 77)->added_rows, 12);
    fl_ice_meta_free(meta);
}

static void append_json(struct fl_ice_table *tbl, const char *const *rows, int n) {
    struct fl_error err = {0};
    struct fl_batch *b = NULL;
    struct fl_ice_appender *ap = NULL;
    assert_int_equal(fl_batch_new(fl_ice_meta_current_schema(tbl->meta), 0, &b, &err), FL_OK);
    for (int i = 0; i < n; i++)
        if (fl_batch_append_json(b, rows[i], strlen(rows[i]), &err)) fail_msg("%s", err.msg);
    assert_int_equal(fl_ice_appender_new(tbl, &ap, &err), FL_OK);
    if (fl_ice_appender_add(ap, b, &err)) fail_msg("add: %s", err.msg);
    if (fl_ice_appender_commit(ap, NULL, 0, NULL, &err)) fail_msg("commit: %s", err.msg);
    fl_ice_appender_free(ap);
    fl_batch_free(b);
}

static bool id_in(void *ctx, const struct fl_batch *b, size_t row) {
    const int64_t *set = ctx; /* {n, ids...} */
    for (int64_t i = 1; i <= set[0]; i++)
        if (fl_col_int(&b->cols[0], row) == set[i]) return true;
    return false;
}

struct live {
    int data, dvs, pos_files;
    int64_t dv_records;
    int64_t first_row_ids[8];
    char dv_path[512];
    int64_t dv_off, dv_len;
};

static int count_live(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct live *l = ctx;
    if (e->status == FL_ICE_STATUS_DELETED) return 0;
    if (e->df.content == FL_ICE_CONTENT_DATA) {
        if (l->data < 8)
            l->first_row_ids[l->data] = e->df.has_first_row_id ? e->df.first_row_id : -1;
        l->data++;
    } else if (e->df.has_content_range) {
        l->dvs++;
        l->dv_records += e->df.record_count;
        assert_string_equal(e->df.file_format, "PUFFIN");
        assert_non_null(e->df.referenced_data_file);
        snprintf(l->dv_path, sizeof(l->dv_path), "%s", e->df.file_path);
        l->dv_off = e->df.content_offset;
        l->dv_len = e->df.content_size_in_bytes;
    } else {
        l->pos_files++;
    }
    return 0;
}

static struct live live_files(struct fl_ice_table *tbl) {
    struct live l = {0};
    struct fl_error err = {0};
    if (fl_ice_table_files(tbl, tbl->meta->current_snapshot_id, NULL, count_live, &l, &err))
        fail_msg("files: %s", err.msg);
    return l;
}

/* A table created with format-version=3: row lineage assigned, deletes
 * and upserts write one deletion vector per data file, merged with the
 * live one, which the same commit removes. */
static void test_v3_write(void **state) {
    (void)state;
    char dir[] = "/tmp/floe-dv-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char uri[256], caturi[256];
    snprintf(uri, sizeof(uri), "file://%s/wh", dir);
    snprintf(caturi, sizeof(caturi), "sqlite://%s/catalog.db", dir);
    struct fl_error err = {0};
    struct fl_store *st = NULL;
    struct fl_catalog *cat = NULL;
    struct fl_schema *schema = NULL;
    struct fl_store_opts sopts = {0};
    assert_int_equal(fl_store_open(uri, &sopts, &st, &err), FL_OK);
    assert_int_equal(fl_catalog_open(caturi, "floe", &cat, &err), FL_OK);
    const char *js = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                     "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                     "{\"id\":2,\"name\":\"v\",\"required\":false,\"type\":\"string\"}]}";
    assert_int_equal(fl_schema_parse(js, strlen(js), &schema, &err), FL_OK);
    struct fl_ice_kv bad[] = {{"format-version", "4"}};
    struct fl_ice_table *tbl = NULL;
    assert_int_equal(fl_ice_table_create(st, fl_catalog_ice(cat), "default", "t4", schema, NULL,
                                         bad, 1, &tbl, &err),
                     FL_ERR_INVALID);
    fl_err_clear(&err);
    struct fl_ice_kv props[] = {{"format-version", "3"}};
    if (fl_ice_table_create(st, fl_catalog_ice(cat), "default", "t", schema, NULL, props, 1, &tbl,
                            &err))
        fail_msg("create: %s", err.msg);
    assert_int_equal(tbl->meta->format_version, 3);
    assert_null(fl_ice_meta_property(tbl->meta, "format-version"));
    assert_int_equal(tbl->meta->next_row_id, 0);

    const char *r1[] = {"{\"id\":1,\"v\":\"a\"}", "{\"id\":2,\"v\":\"b\"}",
                        "{\"id\":3,\"v\":\"c\"}", "{\"id\":4,\"v\":\"d\"}"};
    const char *r2[] = {"{\"id\":5,\"v\":\"e\"}", "{\"id\":6,\"v\":\"f\"}"};
    append_json(tbl, r1, 4);
    const struct fl_ice_snapshot *s1 = fl_ice_meta_current_snapshot(tbl->meta);
    assert_int_equal(s1->first_row_id, 0);
    assert_int_equal(s1->added_rows, 4);
    assert_int_equal(tbl->meta->next_row_id, 4);
    append_json(tbl, r2, 2);
    const struct fl_ice_snapshot *s2 = fl_ice_meta_current_snapshot(tbl->meta);
    assert_int_equal(s2->first_row_id, 4);
    assert_int_equal(tbl->meta->next_row_id, s2->first_row_id + s2->added_rows);
    struct live l = live_files(tbl);
    assert_int_equal(l.data, 2);
    /* the files took the row ids of their manifests: 0..3 and 4..5 */
    assert_int_equal(l.first_row_ids[0] + l.first_row_ids[1], 4);
    assert_int_equal(l.first_row_ids[0] * l.first_row_ids[1], 0);

    /* delete 2: one vector for the first file */
    int64_t del1[] = {1, 2}, n = 0, snap = -1;
    assert_int_equal(fl_ice_table_delete_where(tbl, id_in, del1, &n, &snap, &err), FL_OK);
    assert_int_equal(n, 1);
    int64_t ids[8];
    assert_int_equal(scan_rows(tbl, ids, 8), 5);
    l = live_files(tbl);
    assert_int_equal(l.dvs, 1);
    assert_int_equal(l.pos_files, 0);
    assert_int_equal(l.dv_records, 1);
    /* delete 3 and 5: the first file's vector is replaced by {1, 2}, the
     * second file gets its own */
    int64_t del2[] = {2, 3, 5};
    assert_int_equal(fl_ice_table_delete_where(tbl, id_in, del2, &n, &snap, &err), FL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(scan_rows(tbl, ids, 8), 3);
    int64_t want[] = {1, 4, 6};
    int64_t sorted[3] = {ids[0], ids[1], ids[2]};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (sorted[j] < sorted[i]) {
                int64_t x = sorted[i];
                sorted[i] = sorted[j];
                sorted[j] = x;
            }
    for (int i = 0; i < 3; i++) assert_int_equal(sorted[i], want[i]);
    l = live_files(tbl);
    assert_int_equal(l.dvs, 2);
    assert_int_equal(l.dv_records, 3);
    assert_string_equal(fl_ice_snapshot_summary(tbl->meta, snap, "removed-position-deletes"), "1");

    /* an upsert's way: vectors written first, committed with new rows */
    struct fl_ice_data_file *dels = NULL;
    int ndels = 0;
    char path[512];
    struct fl_ice_scan *sc = NULL;
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_OK);
    struct fl_batch *b = NULL;
    assert_int_equal(fl_ice_scan_next(sc, &b, &err), FL_OK);
    const int64_t *pos = NULL;
    snprintf(path, sizeof(path), "%s", fl_ice_scan_position(sc, &pos));
    int64_t p0 = pos[0];
    fl_ice_scan_free(sc);
    const char *paths[] = {path};
    assert_int_equal(fl_ice_table_write_position_deletes(tbl, paths, &p0, 1, &dels, &ndels, &err),
                     FL_OK);
    assert_int_equal(ndels, 1);
    assert_non_null(dels[0].replaces_dv);
    int64_t before = tbl->meta->current_snapshot_id;
    const char *r3[] = {"{\"id\":7,\"v\":\"g\"}"};
    struct fl_batch *nb = NULL;
    struct fl_ice_appender *ap = NULL;
    assert_int_equal(fl_batch_new(fl_ice_meta_current_schema(tbl->meta), 0, &nb, &err), FL_OK);
    assert_int_equal(fl_batch_append_json(nb, r3[0], strlen(r3[0]), &err), FL_OK);
    assert_int_equal(fl_ice_appender_new(tbl, &ap, &err), FL_OK);
    assert_int_equal(fl_ice_appender_add(ap, nb, &err), FL_OK);
    if (fl_ice_appender_commit_with(ap, dels, ndels, before, paths, 1, NULL, 0, &snap, &err))
        fail_msg("upsert commit: %s", err.msg);
    fl_ice_appender_free(ap);
    fl_batch_free(nb);
    assert_int_equal(scan_rows(tbl, ids, 8), 3); /* one gone, one new */
    l = live_files(tbl);
    assert_int_equal(l.dvs, 2);
    assert_int_equal(l.dv_records, 4);
    /* committing the same vectors again: the one they replaced is gone,
     * and the live one is not theirs: a conflict, never two vectors */
    fl_err_clear(&err);
    assert_int_equal(fl_ice_table_commit_files(tbl, dels, ndels, NULL, 0, NULL, &err),
                     FL_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "deletion vector"));
    assert_int_equal(scan_rows(tbl, ids, 8), 3);
    for (int i = 0; i < ndels; i++) fl_ice_data_file_fini(&dels[i]);
    fl_free(dels);

    /* the vector's blob, read straight from its Puffin file */
    char key[FL_STORE_KEY_MAX + 1];
    struct fl_buf file;
    fl_buf_init(&file, FL_BUF_NOMAX);
    assert_int_equal(fl_ice_table_key(tbl, l.dv_path, key, sizeof(key), &err), FL_OK);
    assert_int_equal(fl_store_get(st, key, &file, FL_BUF_NOMAX, &err), FL_OK);
    struct fl_puffin *pf = NULL;
    assert_int_equal(fl_puffin_open(file.data, file.len, &pf, &err), FL_OK);
    assert_non_null(fl_puffin_find(pf, l.dv_off, l.dv_len));
    fl_puffin_free(pf);
    fl_buf_fini(&file);

    /* a fresh load reads the same */
    struct fl_ice_table *again = NULL;
    assert_int_equal(fl_ice_table_load(st, fl_catalog_ice(cat), "default", "t", &again, &err),
                     FL_OK);
    assert_int_equal(scan_rows(again, NULL, 0), 3);
    assert_int_equal(again->meta->format_version, 3);
    fl_ice_table_free(again);
    fl_ice_table_free(tbl);
    fl_schema_free(schema);
    fl_catalog_free(cat);
    fl_store_free(st);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dv_golden_blobs),    cmocka_unit_test(test_dv_encode_and_damage),
        cmocka_unit_test(test_puffin_java_files),  cmocka_unit_test(test_puffin_write),
        cmocka_unit_test(test_v3_fixture_bare_dv), cmocka_unit_test(test_v3_metadata),
        cmocka_unit_test(test_v3_write),           cmocka_unit_test(test_initial_default),
        cmocka_unit_test(test_v3_types),
    };
    return cmocka_run_group_tests_name("dv", tests, NULL, NULL);
}
