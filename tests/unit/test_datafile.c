/*
 * test_datafile.c - data_file records from real Parquet files written by
 * floe's writer: counts, sizes, Appendix D bounds (decimals re-encoded
 * big-endian, strings truncated to 16 code points with a rounded-up
 * upper bound), and partition values copied out of the batch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch.h"
#include "batch/batch_json.h"
#include "format/parquet/writer.h"
#include "iceberg/datafile.h"
#include "iceberg/partition.h"

#include <string.h>

static fl_err_t sink(void *ctx, const void *data, size_t len) {
    return fl_buf_append(ctx, data, len);
}

static const char *SCHEMA =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"price\",\"required\":false,\"type\":\"decimal(10, 2)\"},"
    "{\"id\":3,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"t\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":5,\"name\":\"city\",\"required\":true,\"type\":\"string\"}]}";

static void test_from_parquet(void **state) {
    (void)state;
    struct fl_schema *schema = NULL;
    struct fl_batch *batch = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err), FL_OK);
    assert_int_equal(fl_batch_new(schema, 0, &batch, &err), FL_OK);
    const char *rows[] = {
        "{\"id\":5,\"price\":\"-1.50\",\"name\":"
        "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9zz\",\"t\":\"NaN\",\"city\":\"Paris\"}",
        "{\"id\":-7,\"price\":\"300.00\",\"name\":\"abc\",\"t\":2.5,\"city\":\"Paris\"}",
        "{\"id\":9,\"city\":\"Paris\"}",
    };
    for (int i = 0; i < 3; i++)
        assert_int_equal(fl_batch_append_json(batch, rows[i], strlen(rows[i]), &err), FL_OK);
    struct fl_buf file;
    fl_buf_init(&file, FL_BUF_NOMAX);
    struct fl_pq_writer_opts opts;
    fl_pq_writer_opts_default(&opts);
    struct fl_pq_writer *pqw = NULL;
    struct fl_pq_file_result res = {0};
    assert_int_equal(fl_pq_writer_new(schema, &opts, sink, &file, &pqw, &err), FL_OK);
    assert_int_equal(fl_pq_writer_add_batch(pqw, batch, &err), FL_OK);
    assert_int_equal(fl_pq_writer_close(pqw, &res, &err), FL_OK);

    const char *terms[] = {"city"};
    struct fl_ice_spec *spec = NULL;
    assert_int_equal(fl_ice_spec_from_terms(schema, 0, terms, 1, 1000, &spec, &err), FL_OK);
    struct fl_ice_pval pv[1];
    fl_ice_spec_row_values(spec, batch, 0, pv);
    struct fl_ice_data_file df;
    assert_int_equal(fl_ice_data_file_from_parquet(&df, "s3://wh/t/data/city=Paris/a.parquet",
                                                   schema, &res, spec, pv, &err),
                     FL_OK);
    fl_batch_reset(batch); /* the data file must not point into the batch */
    assert_int_equal(df.record_count, 3);
    assert_int_equal(df.file_size_in_bytes, (int64_t)file.len);
    assert_int_equal(df.npartition, 1);
    assert_int_equal(df.partition[0].len, 5);
    assert_memory_equal(df.partition[0].bytes, "Paris", 5);
    /* id: longs little-endian */
    assert_int_equal(df.cols[0].lower_len, 8);
    int64_t lo;
    memcpy(&lo, df.cols[0].lower, 8);
    assert_int_equal(lo, -7);
    /* price: decimal(10,2) is INT64 in Parquet; bounds are minimal big-endian: -150 = ff 6a, 30000
     * = 75 30 */
    assert_int_equal(df.cols[1].lower_len, 2);
    assert_int_equal(df.cols[1].lower[0], 0xff);
    assert_int_equal(df.cols[1].lower[1], 0x6a);
    assert_int_equal(df.cols[1].upper_len, 2);
    assert_int_equal(df.cols[1].upper[0], 0x75);
    assert_int_equal(df.cols[1].upper[1], 0x30);
    assert_int_equal(df.cols[1].null_count, 1);
    /* name: "abc" is the lower bound; the upper is 16 code points, the last one incremented */
    assert_int_equal(df.cols[2].lower_len, 3);
    assert_int_equal(df.cols[2].upper_len, 32);
    assert_int_equal(df.cols[2].upper[30], 0xc3);
    assert_int_equal(df.cols[2].upper[31], 0xaa);
    /* t: NaN counted, not a bound */
    assert_int_equal(df.cols[3].nan_count, 1);
    double hi;
    memcpy(&hi, df.cols[3].upper, 8);
    assert_true(hi == 2.5);
    assert_int_equal(df.cols[0].nan_count, -1);

    struct fl_buf b;
    fl_buf_init(&b, 64);
    struct fl_ice_pval d = {.type = FL_TYPE_DECIMAL, .dec = 1420};
    assert_int_equal(fl_ice_pval_serialize(&d, &b), FL_OK);
    assert_int_equal(b.len, 2); /* 14.20 -> 0x058c */
    assert_int_equal(b.data[0], 0x05);
    assert_int_equal(b.data[1], 0x8c);
    fl_buf_fini(&b);

    fl_ice_data_file_fini(&df);
    fl_ice_spec_free(spec);
    fl_pq_file_result_fini(&res);
    fl_pq_writer_free(pqw);
    fl_buf_fini(&file);
    fl_batch_free(batch);
    fl_schema_free(schema);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_from_parquet)};
    return cmocka_run_group_tests_name("datafile", tests, NULL, NULL);
}
