/*
 * test_schema_batch.c - Iceberg schema JSON, columnar batches and the
 * JSON <-> row conversions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch.h"
#include "batch/batch_json.h"
#include "core/schema.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *ALL_TYPES =
    "{\"type\":\"struct\",\"schema-id\":3,\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"b\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":3,\"name\":\"i\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":4,\"name\":\"f\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":5,\"name\":\"d\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":6,\"name\":\"dec\",\"required\":false,\"type\":\"decimal(10, 2)\"},"
    "{\"id\":7,\"name\":\"dt\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":8,\"name\":\"t\",\"required\":false,\"type\":\"time\"},"
    "{\"id\":9,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":10,\"name\":\"tstz\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":11,\"name\":\"s\",\"required\":false,\"type\":\"string\",\"doc\":\"text\"},"
    "{\"id\":12,\"name\":\"bin\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":13,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
    "{\"id\":14,\"name\":\"fx\",\"required\":false,\"type\":\"fixed[3]\"}]}";

static void test_schema_roundtrip(void **state) {
    (void)state;
    struct fl_schema *s = NULL;
    struct fl_error e = {0};
    assert_int_equal(fl_schema_parse(ALL_TYPES, strlen(ALL_TYPES), &s, &e), FL_OK);
    assert_int_equal(s->nfields, 14);
    assert_int_equal(s->schema_id, 3);
    assert_int_equal(s->fields[5].type, FL_TYPE_DECIMAL);
    assert_int_equal(s->fields[5].precision, 10);
    assert_int_equal(s->fields[5].scale, 2);
    assert_int_equal(fl_type_width(&s->fields[13]), 3);
    assert_int_equal(fl_schema_max_field_id(s), 14);
    assert_int_equal(fl_schema_index_by_name(s, "ts"), 8);
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    assert_int_equal(fl_schema_to_json(s, &b), FL_OK);
    struct fl_schema *s2 = NULL;
    assert_int_equal(fl_schema_parse((char *)b.data, b.len, &s2, &e), FL_OK);
    struct fl_buf b2;
    fl_buf_init(&b2, FL_BUF_NOMAX);
    fl_schema_to_json(s2, &b2);
    assert_int_equal(b.len, b2.len);
    assert_memory_equal(b.data, b2.data, b.len);
    fl_buf_fini(&b);
    fl_buf_fini(&b2);
    fl_schema_free(s);
    fl_schema_free(s2);
}

static void test_schema_nested_and_errors(void **state) {
    (void)state;
    struct fl_schema *s = NULL;
    struct fl_error e = {0};
    const char *nested =
        "{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"l\",\"required\":false,"
        "\"type\":{\"type\":\"list\",\"element-id\":2,\"element\":\"string\",\"element-required\":"
        "true}},"
        "{\"id\":3,\"name\":\"m\",\"required\":true,\"type\":{\"type\":\"map\",\"key-id\":4,"
        "\"key\":\"string\","
        "\"value-id\":5,\"value\":{\"type\":\"struct\",\"fields\":[{\"id\":6,\"name\":\"x\","
        "\"required\":false,\"type\":\"int\"}]},"
        "\"value-required\":false}}]}";
    assert_int_equal(fl_schema_parse(nested, strlen(nested), &s, &e), FL_OK);
    assert_int_equal(fl_schema_max_field_id(s), 6);
    assert_int_equal(s->fields[1].children[1].children[0].id, 6);
    /* printed back exactly as parsed */
    struct fl_buf out;
    fl_buf_init(&out, 1 << 20);
    assert_int_equal(fl_schema_to_json(s, &out), FL_OK);
    assert_int_equal(fl_buf_append_u8(&out, 0), FL_OK);
    assert_string_equal(
        (const char *)out.data,
        "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"l\","
        "\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":2,\"element\":"
        "\"string\",\"element-required\":true}},{\"id\":3,\"name\":\"m\",\"required\":"
        "true,\"type\":{\"type\":\"map\",\"key-id\":4,\"key\":\"string\",\"value-id\":5,"
        "\"value\":{\"type\":\"struct\",\"fields\":[{\"id\":6,\"name\":\"x\","
        "\"required\":false,\"type\":\"int\"}]},\"value-required\":false}}]}");
    fl_buf_fini(&out);
    /* batches hold nested values as JSON text (variable width) */
    struct fl_batch *batch = NULL;
    assert_int_equal(fl_batch_new(s, 0, &batch, &e), FL_OK);
    assert_int_equal(batch->cols[0].width, 0);
    assert_int_equal(fl_col_append_bytes(&batch->cols[0], "[\"a\"]", 5), FL_OK);
    assert_int_equal(fl_col_append_null(&batch->cols[1]), FL_OK);
    assert_int_equal(fl_batch_end_row(batch), FL_OK);
    fl_batch_free(batch);
    fl_schema_free(s);

    const char *dup = "{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"a\",\"required\":true,"
                      "\"type\":\"int\"},"
                      "{\"id\":1,\"name\":\"b\",\"required\":true,\"type\":\"int\"}]}";
    fl_err_clear(&e);
    assert_int_equal(fl_schema_parse(dup, strlen(dup), &s, &e), FL_ERR_INVALID);
    assert_non_null(strstr(e.msg, "field id 1"));
    const char *badtype = "{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"a\",\"required\":"
                          "true,\"type\":\"decimal(40,2)\"}]}";
    fl_err_clear(&e);
    assert_int_equal(fl_schema_parse(badtype, strlen(badtype), &s, &e), FL_ERR_INVALID);
    assert_non_null(strstr(e.msg, "field \"a\""));
    fl_err_clear(&e);
    assert_int_equal(fl_schema_parse("[1,", 3, &s, &e), FL_ERR_INVALID);
}

static void test_json_rows(void **state) {
    (void)state;
    struct fl_schema *s = NULL;
    struct fl_error e = {0};
    assert_int_equal(fl_schema_parse(ALL_TYPES, strlen(ALL_TYPES), &s, &e), FL_OK);
    struct fl_batch *batch = NULL;
    assert_int_equal(fl_batch_new(s, 0, &batch, &e), FL_OK);
    const char *row1 =
        "{\"id\":-9223372036854775808,\"b\":true,\"i\":-2147483648,\"f\":\"NaN\",\"d\":-0.0,"
        "\"dec\":\"-12.30\",\"dt\":\"1969-12-31\",\"t\":\"00:00:00.000001\","
        "\"ts\":\"1900-01-01T00:00:00\",\"tstz\":\"2026-01-08T14:00:00+01:00\",\"s\":"
        "\"a\\\"\\n\\u00e9\","
        "\"bin\":\"00ff\",\"u\":\"f79c3e09-677c-4bbd-a479-3f349cb785e7\",\"fx\":\"010203\"}";
    const char *row2 = "{\"id\":1,\"s\":\"\"}";
    assert_int_equal(fl_batch_append_json(batch, row1, strlen(row1), &e), FL_OK);
    assert_int_equal(fl_batch_append_json(batch, row2, strlen(row2), &e), FL_OK);
    /* refused rows leave the batch unchanged */
    const char *bad1 = "{\"id\":1,\"i\":2147483648}";
    assert_int_equal(fl_batch_append_json(batch, bad1, strlen(bad1), &e), FL_ERR_INVALID);
    assert_non_null(strstr(e.msg, "field \"i\""));
    fl_err_clear(&e);
    const char *bad2 = "{\"s\":\"x\"}";
    assert_int_equal(fl_batch_append_json(batch, bad2, strlen(bad2), &e), FL_ERR_INVALID);
    assert_non_null(strstr(e.msg, "required field is missing"));
    fl_err_clear(&e);
    const char *bad3 = "{\"id\":1,\"dec\":\"1.234\"}";
    assert_int_equal(fl_batch_append_json(batch, bad3, strlen(bad3), &e), FL_ERR_INVALID);
    fl_err_clear(&e);
    assert_int_equal(batch->nrows, 2);
    for (int i = 0; i < batch->ncols; i++) assert_int_equal(batch->cols[i].len, 2);
    assert_true(signbit(((double *)batch->cols[4].values)[0]));
    assert_true(isnan(((float *)batch->cols[3].values)[0]));

    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    assert_int_equal(fl_batch_row_to_json(batch, 0, &b), FL_OK);
    fl_buf_append_u8(&b, 0);
    assert_string_equal(
        (char *)b.data,
        "{\"id\":-9223372036854775808,\"b\":true,\"i\":-2147483648,\"f\":\"NaN\","
        "\"d\":-0.0,\"dec\":\"-12.30\",\"dt\":\"1969-12-31\",\"t\":\"00:00:00.000001\","
        "\"ts\":\"1900-01-01T00:00:00.000000\",\"tstz\":\"2026-01-08T13:00:00.000000+00:00\","
        "\"s\":\"a\\\"\\n\xc3\xa9\",\"bin\":\"00ff\",\"u\":\"f79c3e09-677c-4bbd-a479-"
        "3f349cb785e7\","
        "\"fx\":\"010203\"}");
    fl_buf_reset(&b);
    assert_int_equal(fl_batch_row_to_json(batch, 1, &b), FL_OK);
    fl_buf_append_u8(&b, 0);
    assert_string_equal(
        (char *)b.data,
        "{\"id\":1,\"b\":null,\"i\":null,\"f\":null,\"d\":null,\"dec\":null,\"dt\":null,"
        "\"t\":null,\"ts\":null,\"tstz\":null,\"s\":\"\",\"bin\":null,\"u\":null,\"fx\":null}");
    fl_batch_reset(batch);
    assert_int_equal(batch->nrows, 0);
    assert_int_equal(batch->cols[1].null_count, 0);
    fl_buf_fini(&b);
    fl_batch_free(batch);
    fl_schema_free(s);
}

static void test_decimal_text(void **state) {
    (void)state;
    __int128 v;
    char s[64];
    assert_int_equal(fl_decimal_parse("0.05", 4, 3, 2, &v), FL_OK);
    assert_true(v == 5);
    fl_decimal_format(v, 2, s, sizeof(s));
    assert_string_equal(s, "0.05");
    assert_int_equal(fl_decimal_parse("-999.99", 7, 5, 2, &v), FL_OK);
    fl_decimal_format(v, 2, s, sizeof(s));
    assert_string_equal(s, "-999.99");
    assert_int_equal(fl_decimal_parse("1000.00", 7, 5, 2, &v), FL_ERR_RANGE);
    assert_int_equal(fl_decimal_parse("1.", 2, 5, 0, &v), FL_OK);
    assert_int_equal(fl_decimal_parse("abc", 3, 5, 0, &v), FL_ERR_INVALID);
    /* 38 nines fit decimal(38,0) */
    const char *max = "99999999999999999999999999999999999999";
    assert_int_equal(fl_decimal_parse(max, 38, 38, 0, &v), FL_OK);
    fl_decimal_format(-v, 0, s, sizeof(s));
    assert_string_equal(s + 1, max);
}

/* fl_col_append_rows gives the same column as row-by-row appends: bulk
 * copies (fixed width, strings with offsets rebased), and the value-by-
 * value path for nulls and widening. */
static void test_append_rows(void **state) {
    (void)state;
    static const char *SRC = "{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"i\","
                             "\"required\":false,\"type\":\"int\"},"
                             "{\"id\":2,\"name\":\"s\",\"required\":false,\"type\":\"string\"},"
                             "{\"id\":3,\"name\":\"d\",\"required\":false,\"type\":\"double\"}]}";
    static const char *DST = "{\"type\":\"struct\",\"fields\":[{\"id\":1,\"name\":\"i\","
                             "\"required\":false,\"type\":\"long\"},"
                             "{\"id\":2,\"name\":\"s\",\"required\":false,\"type\":\"string\"},"
                             "{\"id\":3,\"name\":\"d\",\"required\":false,\"type\":\"double\"}]}";
    struct fl_error e = {0};
    struct fl_schema *ss = NULL, *ds = NULL;
    struct fl_batch *src = NULL, *bulk = NULL, *one = NULL;
    assert_int_equal(fl_schema_parse(SRC, strlen(SRC), &ss, &e), FL_OK);
    assert_int_equal(fl_schema_parse(DST, strlen(DST), &ds, &e), FL_OK);
    assert_int_equal(fl_batch_new(ss, 0, &src, &e), FL_OK);
    assert_int_equal(fl_batch_new(ds, 0, &bulk, &e), FL_OK);
    assert_int_equal(fl_batch_new(ds, 0, &one, &e), FL_OK);
    for (int pass = 0; pass < 2; pass++) { /* the second pass has a null in d */
        fl_batch_reset(src);
        for (int r = 0; r < 1000; r++) {
            char j[96];
            if (pass && r == 500)
                snprintf(j, sizeof(j), "{\"i\":%d,\"s\":\"v%d\"}", r, r);
            else
                snprintf(j, sizeof(j), "{\"i\":%d,\"s\":\"%.*s\",\"d\":%d.25}", r, r % 7, "abcdefg",
                         r);
            assert_int_equal(fl_batch_append_json(src, j, strlen(j), &e), FL_OK);
        }
        /* something before, so that offsets must be rebased */
        const char *pre = "{\"i\":-1,\"s\":\"before\",\"d\":0.5}";
        fl_batch_reset(bulk);
        fl_batch_reset(one);
        assert_int_equal(fl_batch_append_json(bulk, pre, strlen(pre), &e), FL_OK);
        assert_int_equal(fl_batch_append_json(one, pre, strlen(pre), &e), FL_OK);
        for (int c = 0; c < 3; c++)
            assert_int_equal(fl_col_append_rows(&bulk->cols[c], &src->cols[c], 100, 800), FL_OK);
        bulk->nrows += 800;
        for (size_t r = 100; r < 900; r++) {
            for (int c = 0; c < 3; c++)
                assert_int_equal(fl_col_append_from(&one->cols[c], &src->cols[c], r), FL_OK);
            assert_int_equal(fl_batch_end_row(one), FL_OK);
        }
        assert_int_equal(bulk->nrows, one->nrows);
        for (size_t r = 0; r < one->nrows; r++) {
            struct fl_buf a, b;
            fl_buf_init(&a, FL_BUF_NOMAX);
            fl_buf_init(&b, FL_BUF_NOMAX);
            assert_int_equal(fl_batch_row_to_json(bulk, r, &a), FL_OK);
            assert_int_equal(fl_batch_row_to_json(one, r, &b), FL_OK);
            assert_int_equal(a.len, b.len);
            assert_memory_equal(a.data, b.data, a.len);
            fl_buf_fini(&a);
            fl_buf_fini(&b);
        }
    }
    fl_batch_free(src);
    fl_batch_free(bulk);
    fl_batch_free(one);
    fl_schema_free(ss);
    fl_schema_free(ds);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_rows),
        cmocka_unit_test(test_schema_roundtrip),
        cmocka_unit_test(test_schema_nested_and_errors),
        cmocka_unit_test(test_json_rows),
        cmocka_unit_test(test_decimal_text),
    };
    return cmocka_run_group_tests_name("schema_batch", tests, NULL, NULL);
}
