/*
 * test_transform.c - Iceberg partition transforms against the spec's
 * test vectors (Appendix B hashes, truncate examples) and partition path
 * text as Iceberg Java prints it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch.h"
#include "batch/batch_json.h"
#include "core/schema.h"
#include "iceberg/partition.h"
#include "iceberg/transform.h"

#include <stdlib.h>
#include <string.h>

static const char *SCHEMA =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"i\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":2,\"name\":\"l\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":3,\"name\":\"dec\",\"required\":false,\"type\":\"decimal(9, 2)\"},"
    "{\"id\":4,\"name\":\"dt\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":5,\"name\":\"t\",\"required\":false,\"type\":\"time\"},"
    "{\"id\":6,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":7,\"name\":\"tstz\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":8,\"name\":\"s\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":9,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
    "{\"id\":10,\"name\":\"fx\",\"required\":false,\"type\":\"fixed[4]\"},"
    "{\"id\":11,\"name\":\"bin\",\"required\":false,\"type\":\"binary\"}]}";

struct fixture {
    struct fl_schema *schema;
    struct fl_batch *batch;
};

static int setup(void **state) {
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct fl_error err = {0};
    if (fl_schema_parse(SCHEMA, strlen(SCHEMA), &fx->schema, &err)) return -1;
    if (fl_batch_new(fx->schema, 0, &fx->batch, &err)) return -1;
    const char *rows[] = {
        "{\"i\":34,\"l\":34,\"dec\":\"14.20\",\"dt\":\"2017-11-16\",\"t\":\"22:31:08\","
        "\"ts\":\"2017-11-16T22:31:08\",\"tstz\":\"2017-11-16T14:31:08-08:00\",\"s\":\"iceberg\","
        "\"u\":\"f79c3e09-677c-4bbd-a479-3f349cb785e7\",\"fx\":\"00010203\",\"bin\":\"00010203\"}",
        "{\"i\":-1,\"l\":1,\"dec\":\"10.65\",\"dt\":\"1969-12-31\",\"ts\":\"1969-12-31T23:59:59."
        "999999\","
        "\"s\":\"\xc3\xa9t\xc3\xa9 x\"}",
        "{}",
    };
    for (size_t i = 0; i < 3; i++)
        if (fl_batch_append_json(fx->batch, rows[i], strlen(rows[i]), &err)) return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    struct fixture *fx = *state;
    fl_batch_free(fx->batch);
    fl_schema_free(fx->schema);
    free(fx);
    return 0;
}

static void test_spec_hash_vectors(void **state) {
    struct fixture *fx = *state;
    struct fl_batch *b = fx->batch;
    assert_int_equal(fl_ice_hash_value(&b->cols[0], 0), 2017239379);
    assert_int_equal(fl_ice_hash_value(&b->cols[1], 0), 2017239379);
    assert_int_equal(fl_ice_hash_value(&b->cols[2], 0), -500754589);
    assert_int_equal(fl_ice_hash_value(&b->cols[3], 0), -653330422);
    assert_int_equal(fl_ice_hash_value(&b->cols[4], 0), -662762989);
    assert_int_equal(fl_ice_hash_value(&b->cols[5], 0), -2047944441);
    assert_int_equal(fl_ice_hash_value(&b->cols[6], 0), -2047944441);
    assert_int_equal(fl_ice_hash_value(&b->cols[7], 0), 1210000089);
    assert_int_equal(fl_ice_hash_value(&b->cols[8], 0), 1488055340);
    assert_int_equal(fl_ice_hash_value(&b->cols[9], 0), -188683207);
    assert_int_equal(fl_ice_hash_value(&b->cols[10], 0), -188683207);
}

static void test_bucket_truncate(void **state) {
    struct fixture *fx = *state;
    struct fl_batch *b = fx->batch;
    struct fl_ice_transform t;
    struct fl_ice_pval v;
    assert_int_equal(fl_ice_transform_parse("bucket[16]", &t), FL_OK);
    fl_ice_transform_apply(&t, &b->cols[0], 0, &v);
    assert_int_equal(v.i64, 3);
    assert_int_equal(v.type, FL_TYPE_INT);
    fl_ice_transform_apply(&t, &b->cols[0], 2, &v);
    assert_true(v.is_null);

    assert_int_equal(fl_ice_transform_parse("truncate[10]", &t), FL_OK);
    fl_ice_transform_apply(&t, &b->cols[0], 0, &v);
    assert_int_equal(v.i64, 30);
    fl_ice_transform_apply(&t, &b->cols[0], 1, &v); /* -1 -> -10 */
    assert_int_equal(v.i64, -10);
    fl_ice_transform_apply(&t, &b->cols[1], 1, &v); /* 1 -> 0 */
    assert_int_equal(v.i64, 0);
    /* wrapping like Java: INT_MIN truncated by 10 is 2147483646 (see Iceberg's TruncateFunction) */
    {
        struct fl_col c = b->cols[0];
        int32_t mn = INT32_MIN;
        uint8_t save[4];
        memcpy(save, c.values, 4);
        memcpy(b->cols[0].values, &mn, 4);
        fl_ice_transform_apply(&t, &b->cols[0], 0, &v);
        assert_int_equal(v.i64, 2147483646);
        memcpy(b->cols[0].values, save, 4);
        int64_t lmn = INT64_MIN;
        memcpy(save, b->cols[1].values, 4);
        int64_t lsave;
        memcpy(&lsave, b->cols[1].values, 8);
        memcpy(b->cols[1].values, &lmn, 8);
        struct fl_ice_transform t100;
        fl_ice_transform_parse("truncate[100]", &t100);
        fl_ice_transform_apply(&t100, &b->cols[1], 0, &v); /* no UB: wraps */
        assert_true(v.i64 == (int64_t)((uint64_t)INT64_MIN - 92u));
        memcpy(b->cols[1].values, &lsave, 8);
    }
    assert_int_equal(fl_ice_transform_parse("truncate[50]", &t), FL_OK);
    fl_ice_transform_apply(&t, &b->cols[2], 1, &v); /* 10.65 -> 10.50 */
    assert_true(v.dec == 1050);
    assert_int_equal(fl_ice_transform_parse("truncate[3]", &t), FL_OK);
    fl_ice_transform_apply(&t, &b->cols[7], 0, &v);
    assert_int_equal(v.len, 3);
    assert_memory_equal(v.bytes, "ice", 3);
    fl_ice_transform_apply(&t, &b->cols[7], 1, &v); /* 3 code points, 5 bytes */
    assert_int_equal(v.len, 5);
    fl_ice_transform_apply(&t, &b->cols[10], 0, &v);
    assert_int_equal(v.len, 3);

    assert_int_equal(fl_ice_transform_parse("bucket[0]", &t), FL_ERR_INVALID);
    assert_int_equal(fl_ice_transform_parse("truncate[x]", &t), FL_ERR_INVALID);
    assert_int_equal(fl_ice_transform_parse("bucket[4]x", &t), FL_ERR_INVALID);
}

static void path_of(const char *xf, const struct fl_col *col, size_t row, const char *want) {
    struct fl_ice_transform t;
    struct fl_ice_pval v;
    struct fl_buf out;
    assert_int_equal(fl_ice_transform_parse(xf, &t), FL_OK);
    fl_ice_transform_apply(&t, col, row, &v);
    fl_buf_init(&out, 1024);
    assert_int_equal(fl_ice_pval_to_path(&t, &v, &out), FL_OK);
    fl_buf_append_u8(&out, 0);
    assert_string_equal((char *)out.data, want);
    fl_buf_fini(&out);
}

static void test_time_transforms_and_paths(void **state) {
    struct fixture *fx = *state;
    struct fl_batch *b = fx->batch;
    path_of("year", &b->cols[5], 0, "2017");
    path_of("month", &b->cols[5], 0, "2017-11");
    path_of("day", &b->cols[5], 0, "2017-11-16");
    path_of("hour", &b->cols[5], 0, "2017-11-16-22");
    path_of("hour", &b->cols[6], 0, "2017-11-16-22");
    /* before the epoch: floor, not truncation toward zero */
    path_of("day", &b->cols[5], 1, "1969-12-31");
    path_of("hour", &b->cols[5], 1, "1969-12-31-23");
    path_of("month", &b->cols[3], 1, "1969-12");
    path_of("year", &b->cols[3], 1, "1969");
    path_of("identity", &b->cols[5], 0, "2017-11-16T22%3A31%3A08");
    path_of("identity", &b->cols[6], 0, "2017-11-16T22%3A31%3A08Z");
    path_of("identity", &b->cols[7], 1, "%C3%A9t%C3%A9+x");
    path_of("identity", &b->cols[2], 0, "14.20");
    path_of("identity", &b->cols[8], 0, "f79c3e09-677c-4bbd-a479-3f349cb785e7");
    path_of("identity", &b->cols[7], 2, "null");
    path_of("bucket[4]", &b->cols[7], 0, "1");
    path_of("void", &b->cols[0], 0, "null");

    struct fl_ice_transform t;
    struct fl_ice_pval v;
    fl_ice_transform_parse("year", &t);
    fl_ice_transform_apply(&t, &b->cols[5], 0, &v);
    assert_int_equal(v.i64, 47);
    fl_ice_transform_parse("month", &t);
    fl_ice_transform_apply(&t, &b->cols[5], 0, &v);
    assert_int_equal(v.i64, 574);
    fl_ice_transform_parse("day", &t);
    fl_ice_transform_apply(&t, &b->cols[5], 0, &v);
    assert_int_equal(v.i64, 17486);
    assert_int_equal(v.type, FL_TYPE_DATE);
}

static void test_check(void **state) {
    struct fixture *fx = *state;
    struct fl_ice_transform t;
    struct fl_error err = {0};
    fl_ice_transform_parse("hour", &t);
    assert_int_equal(fl_ice_transform_check(&t, &fx->schema->fields[3], &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "field \"dt\""));
    fl_ice_transform_parse("day", &t);
    assert_int_equal(fl_ice_transform_check(&t, &fx->schema->fields[3], NULL), FL_OK);
    fl_ice_transform_parse("bucket[8]", &t);
    assert_int_equal(fl_ice_transform_check(&t, &fx->schema->fields[8], NULL), FL_OK);
}

static void test_spec_terms_json_path(void **state) {
    struct fixture *fx = *state;
    const char *terms[] = {"day(ts)", "bucket(4, s)", "truncate(3,s)", "i", "hours(tstz)"};
    struct fl_ice_spec *spec = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_ice_spec_from_terms(fx->schema, 0, terms, 5, 1000, &spec, &err), FL_OK);
    assert_string_equal(spec->fields[0].name, "ts_day");
    assert_string_equal(spec->fields[1].name, "s_bucket");
    assert_string_equal(spec->fields[2].name, "s_trunc");
    assert_string_equal(spec->fields[3].name, "i");
    assert_string_equal(spec->fields[4].name, "tstz_hour");
    assert_int_equal(fl_ice_spec_last_field_id(spec), 1004);
    struct fl_buf b;
    fl_buf_init(&b, 4096);
    assert_int_equal(fl_ice_spec_to_json(spec, 0, &b), FL_OK);
    struct fl_ice_spec *back = NULL;
    assert_int_equal(fl_ice_spec_parse((char *)b.data, b.len, &back, &err), FL_OK);
    assert_int_equal(back->nfields, 5);
    assert_int_equal(back->fields[1].transform.kind, FL_ICE_XF_BUCKET);
    assert_int_equal(back->fields[1].transform.param, 4);
    assert_int_equal(back->fields[4].source_id, 7);
    assert_int_equal(fl_ice_spec_bind(back, fx->schema, &err), FL_OK);
    fl_buf_reset(&b);
    struct fl_ice_pval vals[5];
    fl_ice_spec_row_values(spec, fx->batch, 0, vals);
    assert_int_equal(fl_ice_spec_path(spec, vals, &b), FL_OK);
    fl_buf_append_u8(&b, 0);
    assert_string_equal((char *)b.data,
                        "ts_day=2017-11-16/s_bucket=1/s_trunc=ice/i=34/tstz_hour=2017-11-16-22");
    fl_buf_fini(&b);
    fl_ice_spec_free(back);
    fl_ice_spec_free(spec);

    const char *bad1[] = {"day(nope)"};
    fl_err_clear(&err);
    assert_int_equal(fl_ice_spec_from_terms(fx->schema, 0, bad1, 1, 1000, &spec, &err),
                     FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no column"));
    const char *bad2[] = {"hour(dt)"};
    fl_err_clear(&err);
    assert_int_equal(fl_ice_spec_from_terms(fx->schema, 0, bad2, 1, 1000, &spec, &err),
                     FL_ERR_INVALID);
    const char *dup[] = {"i", "i"};
    fl_err_clear(&err);
    assert_int_equal(fl_ice_spec_from_terms(fx->schema, 0, dup, 2, 1000, &spec, &err),
                     FL_ERR_INVALID);
    /* a v1 spec with only fields and no field ids */
    const char *v1 = "[{\"name\":\"i\",\"transform\":\"identity\",\"source-id\":1}]";
    assert_int_equal(fl_ice_spec_parse(v1, strlen(v1), &spec, &err), FL_OK);
    assert_int_equal(spec->fields[0].field_id, 1000);
    fl_ice_spec_free(spec);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_hash_vectors),         cmocka_unit_test(test_bucket_truncate),
        cmocka_unit_test(test_time_transforms_and_paths), cmocka_unit_test(test_check),
        cmocka_unit_test(test_spec_terms_json_path),
    };
    return cmocka_run_group_tests_name("transform", tests, setup, teardown);
}
