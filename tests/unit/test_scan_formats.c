/*
 * test_scan_formats.c - Iceberg tables whose data files are ORC or Avro,
 * read through the scan as Parquet ones are: an ORC file written by
 * Apache ORC's Java writer (vendored unchanged from apache/orc examples,
 * tests/fixtures/orc) and an Avro data file written here by floe's Avro
 * writer with Iceberg field-id attributes, each committed to a table
 * built here whose manifest names its real file_format. Projection,
 * columns missing from the file (null), position deletes (row ordinals
 * in the file; one of them an Avro delete file) and equality deletes
 * apply to them; the manifests record
 * ORC and AVRO; a format floe does not read is refused naming the format
 * and the file, and a file that is not what its manifest says is refused
 * naming both.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "core/mem.h"
#include "format/avro/container.h"
#include "format/parquet/writer.h"
#include "iceberg/datafile.h"
#include "iceberg/table.h"
#include "fixtures.h"
#include "pipe_env.h"
#include "table_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *POS_SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":2147483546,\"name\":\"file_path\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":2147483545,\"name\":\"pos\",\"required\":true,\"type\":\"long\"}]}";

/* The flat columns of apache/orc's TestOrcFile.test1.orc (no iceberg.id
 * attributes: ids by position), and a column the file does not have. */
static const char *ORC_SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"boolean1\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":2,\"name\":\"byte1\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":3,\"name\":\"short1\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":4,\"name\":\"int1\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":5,\"name\":\"long1\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":6,\"name\":\"float1\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":7,\"name\":\"double1\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":8,\"name\":\"bytes1\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":9,\"name\":\"string1\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":40,\"name\":\"added_later\",\"required\":false,\"type\":\"string\"}]}";

static const char *AVRO_TABLE =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"city\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":4,\"name\":\"amount\",\"required\":false,\"type\":\"decimal(9, 2)\"},"
    "{\"id\":5,\"name\":\"day\",\"required\":false,\"type\":\"date\"}]}";

/* The Avro data file's schema: fields in another order than the table's
 * and under other names, so only field ids can match them. */
static const char *AVRO_FILE =
    "{\"type\":\"record\",\"name\":\"r\",\"fields\":["
    "{\"name\":\"town\",\"type\":[\"null\",\"string\"],\"default\":null,\"field-id\":2},"
    "{\"name\":\"key\",\"type\":\"long\",\"field-id\":1},"
    "{\"name\":\"at\",\"type\":[\"null\",{\"type\":\"long\",\"logicalType\":\"timestamp-micros\","
    "\"adjust-to-utc\":true}],\"default\":null,\"field-id\":3},"
    "{\"name\":\"amt\",\"type\":[\"null\",{\"type\":\"fixed\",\"name\":\"d\",\"size\":4,"
    "\"logicalType\":\"decimal\",\"precision\":9,\"scale\":2}],\"default\":null,\"field-id\":4},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\",\"element-id\":7},"
    "\"field-id\":6}]}";

static fl_err_t sink(void *ctx, const void *data, size_t len) {
    return fl_buf_append(ctx, data, len);
}

static struct fl_ice_table *table_new(struct env *e, const char *name) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_create(e->st, fl_catalog_ice(e->cat), "db", name, e->schema, NULL, NULL, 0,
                            &tbl, &err))
        fail_msg("create: %s", err.msg);
    return tbl;
}

/* Commits the file at path (as recorded in the manifest) as one file. */
static void commit_path(struct fl_ice_table *tbl, const char *path, size_t len, const char *format,
                        int content, int64_t rows, int32_t eq_id) {
    struct fl_error err = {0};
    struct fl_ice_data_file df;
    memset(&df, 0, sizeof(df));
    df.file_path = fl_strdup(path);
    df.file_format = format;
    df.content = content;
    df.record_count = rows;
    df.file_size_in_bytes = (int64_t)len;
    if (eq_id) {
        df.equality_ids = fl_calloc(1, sizeof(int32_t));
        df.equality_ids[0] = eq_id;
        df.nequality = 1;
    }
    if (fl_ice_table_commit_files(tbl, &df, 1, NULL, 0, NULL, &err)) fail_msg("%s", err.msg);
    fl_ice_data_file_fini(&df);
}

/* Puts bytes at key in tbl's store and commits them as one file. */
static void commit_file(struct fl_ice_table *tbl, const char *key, const void *data, size_t len,
                        const char *format, int content, int64_t rows, int32_t eq_id) {
    struct fl_error err = {0};
    assert_int_equal(fl_store_put(tbl->store, key, data, len, &err), FL_OK);
    char *loc = fl_ice_table_uri(tbl, key);
    commit_path(tbl, loc, len, format, content, rows, eq_id);
    fl_free(loc);
}

/* The NDJSON rows (of schema_json) as a Parquet file in out. */
static void parquet_bytes(const char *schema_json, const char *rows, struct fl_buf *out) {
    struct fl_error err = {0};
    struct fl_schema *schema = NULL;
    assert_int_equal(fl_schema_parse(schema_json, strlen(schema_json), &schema, &err), FL_OK);
    struct fl_batch *b = NULL;
    assert_int_equal(fl_batch_new(schema, 0, &b, &err), FL_OK);
    for (const char *r = rows; *r;) {
        size_t n = strcspn(r, "\n");
        if (fl_batch_append_json(b, r, n, &err)) fail_msg("%s", err.msg);
        r += n + (r[n] ? 1 : 0);
    }
    fl_buf_init(out, FL_BUF_NOMAX);
    struct fl_pq_writer_opts opts;
    fl_pq_writer_opts_default(&opts);
    struct fl_pq_writer *pqw = NULL;
    struct fl_pq_file_result res = {0};
    assert_int_equal(fl_pq_writer_new(schema, &opts, sink, out, &pqw, &err), FL_OK);
    assert_int_equal(fl_pq_writer_add_batch(pqw, b, &err), FL_OK);
    assert_int_equal(fl_pq_writer_close(pqw, &res, &err), FL_OK);
    fl_pq_file_result_fini(&res);
    fl_pq_writer_free(pqw);
    fl_batch_free(b);
    fl_schema_free(schema);
}

/* The NDJSON rows (of schema_json) as a Parquet delete file at key. */
static void commit_delete(struct fl_ice_table *tbl, const char *key, const char *schema_json,
                          const char *row, int content, int32_t eq_id) {
    struct fl_buf file;
    parquet_bytes(schema_json, row, &file);
    commit_file(tbl, key, file.data, file.len, "PARQUET", content, 1, eq_id);
    fl_buf_fini(&file);
}

/* The rows the current snapshot reads, one "a|b|..." line per row (nulls
 * as "null"), columns by the given ids (NULL: all). */
static char *scan_text(struct fl_ice_table *tbl, const int32_t *ids, int nids, char *out,
                       size_t cap) {
    struct fl_ice_scan *sc = NULL;
    struct fl_error err = {0};
    if (fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err)) fail_msg("scan: %s", err.msg);
    if (ids) assert_int_equal(fl_ice_scan_project_ids(sc, ids, nids, &err), FL_OK);
    struct fl_batch *b = NULL;
    fl_err_t rc;
    out[0] = '\0';
    struct fl_buf line;
    fl_buf_init(&line, FL_BUF_NOMAX);
    while ((rc = fl_ice_scan_next(sc, &b, &err)) == FL_OK) {
        for (size_t r = 0; r < b->nrows; r++) {
            bool first = true;
            for (int c = 0; c < b->ncols; c++) {
                bool want = !ids;
                for (int k = 0; ids && k < nids; k++) want |= b->cols[c].field->id == ids[k];
                if (!want) continue;
                fl_buf_reset(&line);
                if (fl_col_is_null(&b->cols[c], r))
                    fl_buf_append_str(&line, "null");
                else
                    fl_col_value_to_json(&b->cols[c], r, &line);
                snprintf(out + strlen(out), cap - strlen(out), "%s%.*s", first ? "" : "|",
                         (int)line.len, (const char *)line.data);
                first = false;
            }
            snprintf(out + strlen(out), cap - strlen(out), "\n");
        }
    }
    if (rc != FL_ERR_EOF) fail_msg("scan: %s", err.msg);
    fl_buf_fini(&line);
    fl_ice_scan_free(sc);
    return out;
}

static uint8_t *slurp(const char *rel, size_t *len) {
    char path[512];
    snprintf(path, sizeof(path), "%s%s", "", rel);
    uint8_t *d = fixtures_read(path, len);
    if (!d) fail_msg("cannot read fixture %s", path);
    return d;
}

static int on_format(void *ctx, const struct fl_ice_manifest_entry *e) {
    if (e->df.content == FL_ICE_CONTENT_DATA) snprintf(ctx, 16, "%s", e->df.file_format);
    return 0;
}

static void test_orc_data_file(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-scanfmt", ORC_SCHEMA);
    struct fl_ice_table *tbl = table_new(&e, "o");
    size_t len;
    uint8_t *orc = slurp("orc/TestOrcFile.test1.orc", &len);
    commit_file(tbl, "db/o/data/test1.orc", orc, len, "ORC", FL_ICE_CONTENT_DATA, 2, 0);
    free(orc);
    char fmt[16] = "", out[4096];
    struct fl_error err = {0};
    assert_int_equal(
        fl_ice_table_files(tbl, tbl->meta->current_snapshot_id, NULL, on_format, fmt, &err), FL_OK);
    assert_string_equal(fmt, "ORC");
    /* the values of apache/orc's examples/expected/TestOrcFile.test1.jsn.gz */
    assert_string_equal(
        scan_text(tbl, NULL, 0, out, sizeof(out)),
        "false|1|1024|65536|9223372036854775807|1.0|-15.0|\"0001020304\"|\"hi\"|null\n"
        "true|100|2048|65536|9223372036854775807|2.0|-5.0|\"\"|\"bye\"|null\n");
    const int32_t proj[] = {9, 3};
    assert_string_equal(scan_text(tbl, proj, 2, out, sizeof(out)), "1024|\"hi\"\n2048|\"bye\"\n");
    /* position 0 of the ORC file deleted */
    char row[512];
    char *loc = fl_ice_table_uri(tbl, "db/o/data/test1.orc");
    snprintf(row, sizeof(row), "{\"file_path\":\"%s\",\"pos\":0}", loc);
    fl_free(loc);
    commit_delete(tbl, "db/o/data/pos.parquet", POS_SCHEMA, row, FL_ICE_CONTENT_POSITION_DELETES,
                  0);
    const int32_t s1[] = {9};
    assert_string_equal(scan_text(tbl, s1, 1, out, sizeof(out)), "\"bye\"\n");
    /* an equality delete on string1 */
    commit_delete(tbl, "db/o/data/eq.parquet", ORC_SCHEMA, "{\"string1\":\"bye\"}",
                  FL_ICE_CONTENT_EQUALITY_DELETES, 9);
    assert_int_equal(table_env_rows(tbl, FL_ICE_NO_SNAPSHOT), 0);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

/* Four rows as floe's Avro writer writes them under AVRO_FILE. */
static void avro_rows(uint8_t **data, size_t *len) {
    struct fl_error err = {0};
    struct fl_avro_schema *as = NULL;
    assert_int_equal(fl_avro_schema_parse(AVRO_FILE, strlen(AVRO_FILE), &as, &err), FL_OK);
    struct fl_avro_writer *w = NULL;
    assert_int_equal(fl_avro_writer_new(as, FL_AVRO_CODEC_DEFLATE, &w, &err), FL_OK);
    struct fl_avro_arena ar;
    fl_avro_arena_init(&ar, 1 << 20);
    const char *towns[] = {"Oslo", NULL, "Bergen", "Tromsø"};
    for (int i = 0; i < 4; i++) {
        struct fl_avro_value rec;
        assert_int_equal(fl_avro_value_init(&ar, fl_avro_schema_root(as), &rec), FL_OK);
        assert_int_equal(fl_avro_value_set_long(fl_avro_value_field(&rec, "key"), 10 + i), FL_OK);
        if (towns[i])
            assert_int_equal(
                fl_avro_value_set_string(&ar, fl_avro_value_field(&rec, "town"), towns[i]), FL_OK);
        if (i != 2)
            assert_int_equal(fl_avro_value_set_long(fl_avro_value_field(&rec, "at"),
                                                    1610280000000000LL + i * 1000001LL),
                             FL_OK);
        uint8_t dec[4] = {0xff, 0xff, 0xff, (uint8_t)(0x9c - i)}; /* -1.00, -1.01, ... */
        assert_int_equal(fl_avro_value_set_bytes(&ar, fl_avro_value_field(&rec, "amt"), dec, 4),
                         FL_OK);
        assert_int_equal(fl_avro_writer_append(w, &rec, &err), FL_OK);
        fl_avro_arena_reset(&ar);
    }
    assert_int_equal(fl_avro_writer_finish(w, data, len, &err), FL_OK);
    fl_avro_writer_free(w);
    fl_avro_arena_fini(&ar);
    fl_avro_schema_free(as);
}

/* A position delete file in Avro (the spec's file_path and pos field
 * ids) deleting row pos of path. */
static void avro_position_delete(const char *path, int64_t pos, uint8_t **data, size_t *len) {
    static const char *schema =
        "{\"type\":\"record\",\"name\":\"position_delete\",\"fields\":["
        "{\"name\":\"file_path\",\"type\":\"string\",\"field-id\":2147483546},"
        "{\"name\":\"pos\",\"type\":\"long\",\"field-id\":2147483545}]}";
    struct fl_error err = {0};
    struct fl_avro_schema *as = NULL;
    assert_int_equal(fl_avro_schema_parse(schema, strlen(schema), &as, &err), FL_OK);
    struct fl_avro_writer *w = NULL;
    assert_int_equal(fl_avro_writer_new(as, FL_AVRO_CODEC_NULL, &w, &err), FL_OK);
    struct fl_avro_arena ar;
    fl_avro_arena_init(&ar, 1 << 20);
    struct fl_avro_value rec;
    assert_int_equal(fl_avro_value_init(&ar, fl_avro_schema_root(as), &rec), FL_OK);
    assert_int_equal(fl_avro_value_set_string(&ar, fl_avro_value_field(&rec, "file_path"), path),
                     FL_OK);
    assert_int_equal(fl_avro_value_set_long(fl_avro_value_field(&rec, "pos"), pos), FL_OK);
    assert_int_equal(fl_avro_writer_append(w, &rec, &err), FL_OK);
    assert_int_equal(fl_avro_writer_finish(w, data, len, &err), FL_OK);
    fl_avro_writer_free(w);
    fl_avro_arena_fini(&ar);
    fl_avro_schema_free(as);
}

/* A table with nested columns whose data file is Avro: the table's
 * struct lacks the file's member "gone", has "added" the file lacks and
 * orders its members otherwise; tags is a list, attrs an Avro map, codes
 * Iceberg's array of key/value records (logicalType "map") with int keys. */
static const char *NESTED_TABLE =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"geo\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":11,\"name\":\"lon\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":10,\"name\":\"lat\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":13,\"name\":\"added\",\"required\":false,\"type\":\"string\"}]}},"
    "{\"id\":3,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"list\","
    "\"element-id\":14,\"element\":\"string\",\"element-required\":false}},"
    "{\"id\":4,\"name\":\"attrs\",\"required\":false,\"type\":{\"type\":\"map\","
    "\"key-id\":15,\"key\":\"string\",\"value-id\":16,\"value\":\"long\",\"value-required\":true}},"
    "{\"id\":5,\"name\":\"codes\",\"required\":false,\"type\":{\"type\":\"map\","
    "\"key-id\":17,\"key\":\"int\",\"value-id\":18,\"value\":\"string\",\"value-required\":false}}]"
    "}";

static const char *NESTED_FILE =
    "{\"type\":\"record\",\"name\":\"r\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\",\"field-id\":1},"
    "{\"name\":\"geo\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"r2\",\"fields\":["
    "{\"name\":\"lat\",\"type\":\"double\",\"field-id\":10},"
    "{\"name\":\"lon\",\"type\":[\"null\",\"double\"],\"field-id\":11},"
    "{\"name\":\"gone\",\"type\":\"int\",\"field-id\":12}]}],\"field-id\":2},"
    "{\"name\":\"tags\",\"type\":[\"null\",{\"type\":\"array\",\"items\":[\"null\",\"string\"],"
    "\"element-id\":14}],\"field-id\":3},"
    "{\"name\":\"attrs\",\"type\":[\"null\",{\"type\":\"map\",\"values\":\"long\","
    "\"key-id\":15,\"value-id\":16}],\"field-id\":4},"
    "{\"name\":\"codes\",\"type\":[\"null\",{\"type\":\"array\",\"logicalType\":\"map\","
    "\"items\":{\"type\":\"record\",\"name\":\"k17_v18\",\"fields\":["
    "{\"name\":\"key\",\"type\":\"int\",\"field-id\":17},"
    "{\"name\":\"value\",\"type\":[\"null\",\"string\"],\"field-id\":18}]}}],\"field-id\":5}]}";

static void test_avro_nested(void **state) {
    (void)state;
    struct fl_error err = {0};
    struct fl_avro_schema *as = NULL;
    assert_int_equal(fl_avro_schema_parse(NESTED_FILE, strlen(NESTED_FILE), &as, &err), FL_OK);
    struct fl_avro_writer *w = NULL;
    assert_int_equal(fl_avro_writer_new(as, FL_AVRO_CODEC_NULL, &w, &err), FL_OK);
    struct fl_avro_arena ar;
    fl_avro_arena_init(&ar, 1 << 20);
    for (int i = 0; i < 2; i++) {
        struct fl_avro_value rec;
        assert_int_equal(fl_avro_value_init(&ar, fl_avro_schema_root(as), &rec), FL_OK);
        assert_int_equal(fl_avro_value_set_long(fl_avro_value_field(&rec, "id"), i + 1), FL_OK);
        if (i == 0) {
            struct fl_avro_value *g = fl_avro_value_field(&rec, "geo");
            assert_int_equal(fl_avro_value_select(&ar, g, FL_AVRO_RECORD), FL_OK);
            assert_int_equal(fl_avro_value_set_double(fl_avro_value_field(g, "lat"), 52.5), FL_OK);
            assert_int_equal(fl_avro_value_set_int(fl_avro_value_field(g, "gone"), 7), FL_OK);
            struct fl_avro_value *t = fl_avro_value_field(&rec, "tags");
            assert_int_equal(fl_avro_value_select(&ar, t, FL_AVRO_ARRAY), FL_OK);
            assert_int_equal(fl_avro_value_resize(&ar, t, 2), FL_OK);
            assert_int_equal(fl_avro_value_set_string(&ar, &t->u.items[0], "a\"b"), FL_OK);
            struct fl_avro_value *m = fl_avro_value_field(&rec, "attrs");
            assert_int_equal(fl_avro_value_select(&ar, m, FL_AVRO_MAP), FL_OK);
            assert_int_equal(fl_avro_value_resize(&ar, m, 1), FL_OK);
            assert_int_equal(fl_avro_value_set_string(&ar, &m->u.map.keys[0], "x"), FL_OK);
            assert_int_equal(fl_avro_value_set_long(&m->u.map.values[0], -3), FL_OK);
            struct fl_avro_value *c = fl_avro_value_field(&rec, "codes");
            assert_int_equal(fl_avro_value_select(&ar, c, FL_AVRO_ARRAY), FL_OK);
            assert_int_equal(fl_avro_value_resize(&ar, c, 2), FL_OK);
            for (int k = 0; k < 2; k++) {
                struct fl_avro_value *kv = &c->u.items[k];
                assert_int_equal(fl_avro_value_set_int(fl_avro_value_field(kv, "key"), 40 + k),
                                 FL_OK);
                if (k)
                    assert_int_equal(
                        fl_avro_value_set_string(&ar, fl_avro_value_field(kv, "value"), "z"),
                        FL_OK);
            }
        }
        assert_int_equal(fl_avro_writer_append(w, &rec, &err), FL_OK);
        fl_avro_arena_reset(&ar);
    }
    uint8_t *avro = NULL;
    size_t len = 0;
    assert_int_equal(fl_avro_writer_finish(w, &avro, &len, &err), FL_OK);
    fl_avro_writer_free(w);
    fl_avro_arena_fini(&ar);
    fl_avro_schema_free(as);

    struct env e;
    pipe_env_open(&e, "floe-scanfmt", NESTED_TABLE);
    struct fl_ice_table *tbl = table_new(&e, "n");
    commit_file(tbl, "db/n/data/rows.avro", avro, len, "AVRO", FL_ICE_CONTENT_DATA, 2, 0);
    fl_free(avro);
    char out[4096];
    assert_string_equal(scan_text(tbl, NULL, 0, out, sizeof(out)),
                        "1|{\"lon\":null,\"lat\":52.5,\"added\":null}|[\"a\\\"b\",null]|{\"x\":-3}"
                        "|[{\"key\":40,\"value\":null},{\"key\":41,\"value\":\"z\"}]\n"
                        "2|null|null|null|null\n");
    /* a scalar sibling alone */
    const int32_t proj[] = {1};
    assert_string_equal(scan_text(tbl, proj, 1, out, sizeof(out)), "1\n2\n");
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

static void test_avro_data_file(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-scanfmt", AVRO_TABLE);
    struct fl_ice_table *tbl = table_new(&e, "a");
    uint8_t *avro = NULL;
    size_t len = 0;
    avro_rows(&avro, &len);
    commit_file(tbl, "db/a/data/rows.avro", avro, len, "AVRO", FL_ICE_CONTENT_DATA, 4, 0);
    fl_free(avro);
    char fmt[16] = "", out[4096];
    struct fl_error err = {0};
    assert_int_equal(
        fl_ice_table_files(tbl, tbl->meta->current_snapshot_id, NULL, on_format, fmt, &err), FL_OK);
    assert_string_equal(fmt, "AVRO");
    assert_string_equal(scan_text(tbl, NULL, 0, out, sizeof(out)),
                        "10|\"Oslo\"|\"2021-01-10T12:00:00.000000+00:00\"|\"-1.00\"|null\n"
                        "11|null|\"2021-01-10T12:00:01.000001+00:00\"|\"-1.01\"|null\n"
                        "12|\"Bergen\"|null|\"-1.02\"|null\n"
                        "13|\"Tromsø\"|\"2021-01-10T12:00:03.000003+00:00\"|\"-1.03\"|null\n");
    const int32_t proj[] = {2};
    assert_string_equal(scan_text(tbl, proj, 1, out, sizeof(out)),
                        "\"Oslo\"\nnull\n\"Bergen\"\n\"Tromsø\"\n");
    /* the position delete is an Avro file too (Iceberg allows any format) */
    char *loc = fl_ice_table_uri(tbl, "db/a/data/rows.avro");
    uint8_t *del = NULL;
    size_t dlen = 0;
    avro_position_delete(loc, 1, &del, &dlen);
    fl_free(loc);
    commit_file(tbl, "db/a/data/pos.avro", del, dlen, "AVRO", FL_ICE_CONTENT_POSITION_DELETES, 1,
                0);
    fl_free(del);
    commit_delete(tbl, "db/a/data/eq.parquet", AVRO_TABLE, "{\"id\":12}",
                  FL_ICE_CONTENT_EQUALITY_DELETES, 1);
    const int32_t ids[] = {1};
    assert_string_equal(scan_text(tbl, ids, 1, out, sizeof(out)), "10\n13\n");
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

/* The scan's error for the table's (one) data file. */
static const char *scan_error(struct fl_ice_table *tbl, char *msg, size_t cap) {
    struct fl_ice_scan *sc = NULL;
    struct fl_error err = {0};
    fl_err_t rc = fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err);
    struct fl_batch *b;
    if (!rc) rc = fl_ice_scan_next(sc, &b, &err);
    assert_int_not_equal(rc, FL_OK);
    fl_ice_scan_free(sc);
    snprintf(msg, cap, "%s", err.msg);
    return msg;
}

static void test_format_refusals(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-scanfmt", AVRO_TABLE);
    char msg[1024];
    /* a format no engine writes: named, with the file */
    struct fl_ice_table *tbl = table_new(&e, "x");
    commit_file(tbl, "db/x/data/f.csv", "1,2\n", 4, "CSV", FL_ICE_CONTENT_DATA, 1, 0);
    scan_error(tbl, msg, sizeof(msg));
    assert_non_null(strstr(msg, "db/x/data/f.csv"));
    assert_non_null(strstr(msg, "file_format CSV"));
    fl_ice_table_free(tbl);
    /* an Avro file the manifest calls PARQUET: both named */
    tbl = table_new(&e, "y");
    uint8_t *avro = NULL;
    size_t len = 0;
    avro_rows(&avro, &len);
    commit_file(tbl, "db/y/data/rows.avro", avro, len, "PARQUET", FL_ICE_CONTENT_DATA, 4, 0);
    scan_error(tbl, msg, sizeof(msg));
    assert_non_null(strstr(msg, "db/y/data/rows.avro"));
    assert_non_null(strstr(msg, "file_format PARQUET"));
    fl_ice_table_free(tbl);
    /* and one the manifest calls ORC */
    tbl = table_new(&e, "z");
    commit_file(tbl, "db/z/data/rows.avro", avro, len, "ORC", FL_ICE_CONTENT_DATA, 4, 0);
    scan_error(tbl, msg, sizeof(msg));
    assert_non_null(strstr(msg, "file_format ORC"));
    assert_non_null(strstr(msg, "not an ORC file"));
    fl_ice_table_free(tbl);
    fl_free(avro);
    pipe_env_close(&e);
}

/* A file written to a local folder beside the warehouse: dir/rel. */
static void put_local(const char *dir, const char *rel, const struct fl_buf *b) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
    *slash = '/';
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
    fclose(f);
}

/* Data files outside the table location and outside the warehouse (as
 * write.data.path or files added from another folder leave them) are
 * read where they are; a position delete spelling such a path another
 * way still applies; "..", unknown schemes and another kind of store
 * are refused naming the path. */
static void test_files_outside_location(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-scanfmt", AVRO_TABLE);
    struct fl_ice_table *tbl = table_new(&e, "t");
    struct fl_buf b;
    parquet_bytes(AVRO_TABLE, "{\"id\":1,\"city\":\"Oslo\"}\n{\"id\":2,\"city\":\"Rome\"}", &b);
    put_local(e.dir, "elsewhere/data/a.parquet", &b);
    char path[512], out[1024];
    snprintf(path, sizeof(path), "file://%s/elsewhere/data/a.parquet", e.dir);
    commit_path(tbl, path, b.len, "PARQUET", FL_ICE_CONTENT_DATA, 2, 0);
    fl_buf_fini(&b);
    /* and one under the warehouse, outside the table (write.data.path) */
    parquet_bytes(AVRO_TABLE, "{\"id\":3}", &b);
    commit_file(tbl, "shared/t-data/b.parquet", b.data, b.len, "PARQUET", FL_ICE_CONTENT_DATA, 1,
                0);
    fl_buf_fini(&b);
    const int32_t ids[] = {1};
    assert_string_equal(scan_text(tbl, ids, 1, out, sizeof(out)),
                        "3\n1\n2\n"); /* newest manifest first */
    /* a position delete naming the outside file as file:/ (one slash) */
    char row[600];
    snprintf(row, sizeof(row), "{\"file_path\":\"file:%s/elsewhere/data/a.parquet\",\"pos\":0}",
             e.dir);
    commit_delete(tbl, "db/t/data/pos.parquet", POS_SCHEMA, row, FL_ICE_CONTENT_POSITION_DELETES,
                  0);
    assert_string_equal(scan_text(tbl, ids, 1, out, sizeof(out)), "3\n2\n");
    fl_ice_table_free(tbl);
    /* refusals */
    char msg[1024];
    const char *bad[] = {"file://%s/wh/db/u/../../../elsewhere/data/a.parquet",
                         "gs://bucket%s/a.parquet", "s3://bucket%s/a.parquet"};
    const char *why[] = {"\"..\" segment", "scheme gs", "another kind of store"};
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof(name), "u%d", i);
        tbl = table_new(&e, name);
        const char *pct = strstr(bad[i], "%s");
        snprintf(path, sizeof(path), "%.*s%s%s", (int)(pct - bad[i]), bad[i], e.dir, pct + 2);
        commit_path(tbl, path, 100, "PARQUET", FL_ICE_CONTENT_DATA, 2, 0);
        scan_error(tbl, msg, sizeof(msg));
        if (!strstr(msg, why[i]) || !strstr(msg, path)) fail_msg("%s: %s", path, msg);
        fl_ice_table_free(tbl);
    }
    pipe_env_close(&e);
}

/* Where locate puts path for tbl: "KEY" under the store, "ROOT|KEY"
 * elsewhere, "error: ..." when refused. */
static const char *located(struct fl_ice_table *tbl, const char *path) {
    static char out[1200];
    char root[512], key[512];
    struct fl_error err = {0};
    if (fl_ice_table_locate(tbl, path, root, sizeof(root), key, sizeof(key), &err))
        snprintf(out, sizeof(out), "error: %s", err.msg);
    else
        snprintf(out, sizeof(out), "%s%s%s", root, root[0] ? "|" : "", key);
    return out;
}

/* A table read from another folder than its recorded location (copied
 * with its neighbours, as Impala's test tables are): a path outside the
 * location that shares a folder with it is read at the same place
 * relative to the table's folder, when the names between match. */
static void test_moved_table_paths(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-scanfmt", AVRO_TABLE);
    struct fl_ice_table *tbl = table_new(&e, "t");
    const char *own = tbl->meta->location;
    tbl->meta->location = "/test-warehouse/ice/t"; /* as Impala wrote it */
    assert_string_equal(located(tbl, "/test-warehouse/ice/t/data/a.parquet"),
                        "db/t/data/a.parquet");
    assert_string_equal(located(tbl, "/test-warehouse/ice/t_data01/c=1/a.parquet"),
                        "db/t_data01/c=1/a.parquet");
    assert_string_equal(located(tbl, "hdfs://nn:8020/test-warehouse/ice/t_data02/a.parquet"),
                        "db/t_data02/a.parquet");
    /* "ice/t" is not "db/t": read where the path says */
    assert_string_equal(located(tbl, "/test-warehouse/other/a.parquet"),
                        "file:///|test-warehouse/other/a.parquet");
    assert_non_null(
        strstr(located(tbl, "/test-warehouse/ice/x/../../../../etc/passwd"), "error: "));
    tbl->meta->location = "/test-warehouse/db/t"; /* two names match: up to the warehouse */
    assert_string_equal(located(tbl, "/test-warehouse/x/a.parquet"), "x/a.parquet");
    assert_string_equal(located(tbl, "/srv/a.parquet"), "file:///|srv/a.parquet");
    tbl->meta->location = own; /* not moved: paths outside are read where they are */
    char path[512], want[600];
    snprintf(path, sizeof(path), "%s/wh/db/t_data01/a.parquet", e.dir);
    snprintf(want, sizeof(want), "db/t_data01/a.parquet"); /* under the warehouse anyway */
    assert_string_equal(located(tbl, path), want);
    assert_string_equal(located(tbl, "/srv/t_data01/a.parquet"), "file:///|srv/t_data01/a.parquet");
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orc_data_file),
        cmocka_unit_test(test_avro_data_file),
        cmocka_unit_test(test_avro_nested),
        cmocka_unit_test(test_format_refusals),
        cmocka_unit_test(test_files_outside_location),
        cmocka_unit_test(test_moved_table_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
