/*
 * test_json_decode.c - the streaming JSON decoder (batch/json_decode.c):
 * every type through the shared conversions, unknown and nested keys,
 * errors that leave the batch and the decoder sound, caller columns, hour
 * stamps, subnormal doubles (strtod's underflow ERANGE) kept, overflow
 * refused, agreement with the jansson path row for row, and what a map
 * drives: columns reading other keys, conversion hooks, captures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch.h"
#include "batch/batch_json.h"
#include "batch/json_decode.h"
#include "core/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"b\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":3,\"name\":\"i\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":4,\"name\":\"d\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":5,\"name\":\"dec\",\"required\":false,\"type\":\"decimal(10, 2)\"},"
    "{\"id\":6,\"name\":\"dt\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":7,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":8,\"name\":\"s\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":9,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
    "{\"id\":10,\"name\":\"bin\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":11,\"name\":\"pos\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":12,\"name\":\"seen_at\",\"required\":false,\"type\":\"timestamptz\"}]}";

struct fixture {
    struct fl_schema *schema;
    struct fl_batch *a, *b;
    struct fl_jdec *d;
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof(*f));
    struct fl_error e = {0};
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &f->schema, &e), FL_OK);
    assert_int_equal(fl_batch_new(f->schema, 0, &f->a, &e), FL_OK);
    assert_int_equal(fl_batch_new(f->schema, 0, &f->b, &e), FL_OK);
    assert_int_equal(fl_jdec_new(f->schema, &f->d, &e), FL_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    fl_jdec_free(f->d);
    fl_batch_free(f->a);
    fl_batch_free(f->b);
    fl_schema_free(f->schema);
    free(f);
    return 0;
}

/* Decodes json as a whole row of f->a; returns the rc, err in e. */
static fl_err_t row(struct fixture *f, const char *json, struct fl_error *e) {
    memset(e, 0, sizeof(*e));
    fl_err_t rc = fl_jdec_row(f->d, f->a, json, strlen(json), e);
    if (!rc) rc = fl_batch_end_row(f->a);
    return rc;
}

static void row_text(struct fl_batch *b, size_t r, char *out, size_t outsz) {
    struct fl_buf t;
    fl_buf_init(&t, FL_BUF_NOMAX);
    assert_int_equal(fl_batch_row_to_json(b, r, &t), FL_OK);
    snprintf(out, outsz, "%.*s", (int)t.len, (const char *)t.data);
    fl_buf_fini(&t);
}

static void test_types_and_agreement(void **state) {
    struct fixture *f = *state;
    static const char *const OK[] = {
        "{\"id\":1,\"b\":true,\"i\":-7,\"d\":0.1,\"dec\":\"12.34\",\"dt\":\"2026-01-08\","
        "\"ts\":\"2026-01-08T14:00:00Z\",\"s\":\"caf\\u00e9 "
        "\\ud83d\\ude00\",\"u\":\"f79c3e09-677c-4bbd-a479-3f349cb785e7\","
        "\"bin\":\"00ff\"}",
        "{\"id\":\"42\",\"d\":\"21.5\",\"i\":\"3\"}",                        /* numeric strings */
        "{\"id\":9223372036854775807,\"d\":\"NaN\",\"dec\":5,\"dt\":20000}", /* extremes, numbers */
        "{\"id\":2,\"dec\":1.005,\"ts\":1767880800000000,\"s\":null}",       /* rounding to scale */
        "  {\"unknown\":{\"a\":[1,{\"b\":[]}]},\"id\":3,\"other\":[\"x\"]}\n", /* nested, skipped */
        "{\"id\":4,\"d\":5e-324}",                    /* subnormal: ERANGE, kept */
        "{\"id\":5,\"d\":\"-2.2250738585072e-309\"}", /* subnormal text */
        "{\"id\":6,\"d\":1e-400}",                    /* underflow to 0 */
    };
    char ta[512], tb[512];
    for (size_t k = 0; k < sizeof(OK) / sizeof(OK[0]); k++) {
        struct fl_error e;
        fl_batch_reset(f->a);
        fl_batch_reset(f->b);
        if (row(f, OK[k], &e)) fail_msg("record %zu: %s", k, e.msg);
        assert_int_equal(fl_batch_append_json(f->b, OK[k], strlen(OK[k]), &e), FL_OK);
        row_text(f->a, 0, ta, sizeof(ta));
        row_text(f->b, 0, tb, sizeof(tb));
        assert_string_equal(ta, tb); /* the jansson path reads the same row */
    }
    fl_batch_reset(f->a);
    struct fl_error e;
    assert_int_equal(row(f, OK[0], &e), FL_OK);
    row_text(f->a, 0, ta, sizeof(ta));
    assert_non_null(strstr(ta, "\"s\":\"café 😀\""));
    assert_non_null(strstr(ta, "\"dec\":\"12.34\""));
}

/* A number for a timestamp column is epoch time in the unit its
 * magnitude tells (seconds, ms, us, ns), on both decode paths; a number
 * that is no instant is refused, never a silent 1970. */
static void test_epoch_numbers(void **state) {
    struct fixture *f = *state;
    static const char *const SAME[] = {
        "1767780000",   "1767780000000", "1767780000000000", "1767780000000000000",
        "1767780000.0", "1.76778e12", /* seed 002's ms, in every unit and form */
    };
    char ta[512], tb[512];
    for (size_t k = 0; k < sizeof(SAME) / sizeof(SAME[0]); k++) {
        char json[128];
        struct fl_error e;
        snprintf(json, sizeof(json), "{\"id\":1,\"ts\":%s}", SAME[k]);
        fl_batch_reset(f->a);
        fl_batch_reset(f->b);
        if (row(f, json, &e)) fail_msg("%s: %s", SAME[k], e.msg);
        assert_int_equal(fl_batch_append_json(f->b, json, strlen(json), &e), FL_OK);
        row_text(f->a, 0, ta, sizeof(ta));
        row_text(f->b, 0, tb, sizeof(tb));
        assert_string_equal(ta, tb);
        if (!strstr(ta, "\"ts\":\"2026-01-07T10:00:00.000000+00:00\""))
            fail_msg("%s: %s", SAME[k], ta);
    }
    static const char *const BAD[] = {"{\"id\":1,\"ts\":-99999999999}", "{\"id\":1,\"ts\":1e300}",
                                      "{\"id\":1,\"ts\":99999999999999999999}"};
    for (size_t k = 0; k < sizeof(BAD) / sizeof(BAD[0]); k++) {
        struct fl_error e;
        fl_batch_reset(f->a);
        assert_int_equal(row(f, BAD[k], &e), FL_ERR_INVALID);
        if (!strstr(e.msg, "epoch number out of range (years 0001-9999)"))
            fail_msg("%s: %s", BAD[k], e.msg);
        assert_int_not_equal(fl_batch_append_json(f->b, BAD[k], strlen(BAD[k]), &e), FL_OK);
    }
}

static void test_errors_leave_nothing(void **state) {
    struct fixture *f = *state;
    static const struct {
        const char *json, *why;
    } BAD[] = {
        {"not json", "invalid JSON"},
        {"{\"id\":1", "not closed"},
        {"{\"id\":1}5", "bytes after the object"},
        {"{\"id\":1} {\"id\":2}", "more than one JSON value"},
        {"[1,2]", "not a JSON object"},
        {"7", "not a JSON object"},
        {"", "not a JSON object"},
        {"{\"b\":true}", "\"id\": required field is missing"},
        {"{\"id\":null}", "required field is null"},
        {"{\"id\":1,\"id\":2}", "key appears twice"},
        {"{\"id\":1,\"i\":3000000000}", "out of int range"},
        {"{\"id\":1.5}", "expected an integer"},
        {"{\"id\":1,\"s\":{\"x\":1}}", "not an object or array"},
        {"{\"id\":1,\"dec\":\"123456789.1\"}", "precision"},
        {"{\"id\":1,\"s\":\"\xff\"}", "invalid JSON"},
        {"{\"id\":1,\"u\":\"nope\"}", "uuid"},
        {"{\"id\":1,\"d\":1e999}", "expected a number"},
    };
    struct fl_error e;
    fl_batch_reset(f->a);
    assert_int_equal(row(f, "{\"id\":0}", &e), FL_OK);
    for (size_t k = 0; k < sizeof(BAD) / sizeof(BAD[0]); k++) {
        assert_int_not_equal(row(f, BAD[k].json, &e), FL_OK);
        if (!strstr(e.msg, BAD[k].why))
            fail_msg("record %zu: \"%s\" lacks \"%s\"", k, e.msg, BAD[k].why);
        assert_int_equal(f->a->nrows, 1);
        for (int c = 0; c < f->a->ncols; c++) assert_int_equal(f->a->cols[c].len, 1);
        /* the decoder is sound for the next record */
        assert_int_equal(row(f, "{\"id\":5,\"s\":\"after\"}", &e), FL_OK);
        fl_batch_rollback_row(f->a);
        f->a->nrows = 1;
        for (int c = 0; c < f->a->ncols; c++) f->a->cols[c].len = 1;
    }
}

static void test_caller_columns_and_hour_stamps(void **state) {
    struct fixture *f = *state;
    int pos = 10, seen_at = 11;
    fl_jdec_column_mode(f->d, pos, FL_JDEC_CALLER);
    fl_jdec_column_mode(f->d, seen_at, FL_JDEC_CALLER_DEFAULT);
    fl_jdec_hour_stamps(f->d, true);
    fl_batch_reset(f->a);
    struct fl_error e = {0};
    const char *r1 = "{\"id\":1,\"pos\":99,\"ts\":\"2026-01-08-14\"}";
    assert_int_equal(fl_jdec_row(f->d, f->a, r1, strlen(r1), &e), FL_OK);
    assert_false(fl_jdec_seen(f->d, seen_at)); /* absent: the caller's */
    assert_int_equal(fl_col_append_i64(&f->a->cols[pos], 7), FL_OK);
    assert_int_equal(fl_col_append_i64(&f->a->cols[seen_at], 1000), FL_OK);
    assert_int_equal(fl_batch_end_row(f->a), FL_OK);
    const char *r2 = "{\"id\":2,\"seen_at\":\"2026-01-01T00:00:00Z\",\"ts\":\"2026-01-08-1x\"}";
    assert_int_not_equal(fl_jdec_row(f->d, f->a, r2, strlen(r2), &e),
                         FL_OK); /* not an hour stamp */
    const char *r3 = "{\"id\":3,\"seen_at\":\"2026-01-01T00:00:00Z\",\"seen_at2\":null}";
    assert_int_equal(fl_jdec_row(f->d, f->a, r3, strlen(r3), &e), FL_OK);
    assert_true(fl_jdec_seen(f->d, seen_at)); /* the record's own */
    assert_int_equal(fl_col_append_i64(&f->a->cols[pos], 8), FL_OK);
    assert_int_equal(fl_batch_end_row(f->a), FL_OK);
    const char *r4 = "{\"id\":4,\"seen_at\":null}";
    assert_int_equal(fl_jdec_row(f->d, f->a, r4, strlen(r4), &e), FL_OK);
    assert_false(fl_jdec_seen(f->d, seen_at)); /* null: the caller's default applies */
    assert_int_equal(fl_col_append_i64(&f->a->cols[pos], 9), FL_OK);
    assert_int_equal(fl_col_append_i64(&f->a->cols[seen_at], 2000), FL_OK);
    assert_int_equal(fl_batch_end_row(f->a), FL_OK);
    char t[512];
    row_text(f->a, 0, t, sizeof(t));
    if (!strstr(t, "\"ts\":\"2026-01-08T14:00:00.000000+00:00\"")) fail_msg("%s", t);
    assert_non_null(strstr(t, "\"pos\":7")); /* the record's "pos" ignored */
    row_text(f->a, 1, t, sizeof(t));
    assert_non_null(strstr(t, "\"seen_at\":\"2026-01-01T00:00:00.000000+00:00\""));
    assert_int_equal(f->a->nrows, 3);
}

/* A hook that doubles longs (the map's casts work this way). */
static fl_err_t twice(void *arg, struct fl_col *col, const struct fl_jscalar *v,
                      struct fl_error *err) {
    (*(int *)arg)++;
    if (v->kind != FL_JS_NUMBER) return fl_errf(err, FL_ERR_INVALID, "twice: not a number");
    return fl_col_append_i64(col, 2 * strtoll(v->s, NULL, 10));
}

/* Decodes json into a row of f->a, not ended. */
static fl_err_t jrow(struct fixture *f, const char *json, struct fl_error *e) {
    memset(e, 0, sizeof(*e));
    return fl_jdec_row(f->d, f->a, json, strlen(json), e);
}

static void test_keys_hooks_captures(void **state) {
    struct fixture *f = *state;
    int s = 7, pos = 10, calls = 0;
    fl_jdec_column_key(f->d, s, "name"); /* s reads "name"; "s" feeds nothing */
    fl_jdec_column_key(f->d, pos, "id"); /* pos takes "id" from the column id */
    fl_jdec_column_convert(f->d, pos, twice, &calls);
    int c_s = fl_jdec_capture(f->d, "s"), c_id = fl_jdec_capture(f->d, "id");
    assert_int_equal(c_s, 0);
    assert_int_equal(c_id, 1);
    assert_int_equal(fl_jdec_capture(f->d, "s"), 0);
    fl_batch_reset(f->a);
    struct fl_error e = {0};
    /* id is required but no column reads "id" any more: missing */
    assert_int_equal(jrow(f, "{\"s\":\"own\",\"name\":\"renamed\",\"id\":21}", &e), FL_ERR_INVALID);
    assert_string_equal(e.msg, "field \"id\": required field is missing");
    fl_jdec_column_key(f->d, 0, "ident");
    assert_int_equal(jrow(f, "{\"ident\":1,\"s\":\"own\",\"name\":\"renamed\",\"id\":21}", &e),
                     FL_OK);
    assert_int_equal(fl_batch_end_row(f->a), FL_OK);
    assert_int_equal(calls, 2); /* the refused record ran it too */
    struct fl_jscalar v;
    assert_true(fl_jdec_captured(f->d, c_s, &v));
    assert_int_equal(v.kind, FL_JS_STRING);
    assert_int_equal(v.len, 3);
    assert_memory_equal(v.s, "own", 3);
    assert_true(fl_jdec_captured(f->d, c_id, &v));
    assert_int_equal(v.kind, FL_JS_NUMBER);
    char t[512];
    row_text(f->a, 0, t, sizeof(t));
    if (!strstr(t, "\"s\":\"renamed\"") || !strstr(t, "\"pos\":42")) fail_msg("%s", t);
    /* absent and null captures; a repeated captured key; the cap */
    assert_int_equal(jrow(f, "{\"ident\":2,\"s\":null}", &e), FL_OK);
    assert_true(fl_jdec_captured(f->d, c_s, &v));
    assert_int_equal(v.kind, FL_JS_NULL);
    assert_false(fl_jdec_captured(f->d, c_id, &v));
    fl_batch_rollback_row(f->a);
    assert_int_equal(jrow(f, "{\"ident\":2,\"s\":1,\"s\":2}", &e), FL_ERR_INVALID);
    assert_string_equal(e.msg, "field \"s\": key appears twice");
    fl_jdec_capture_limit(f->d, 4);
    assert_int_equal(jrow(f, "{\"ident\":2,\"s\":\"abcde\"}", &e), FL_ERR_INVALID);
    assert_non_null(strstr(e.msg, "field \"s\": too long"));
    assert_int_equal(f->a->nrows, 1);
    for (int c = 0; c < f->a->ncols; c++) assert_int_equal(f->a->cols[c].len, 1);
}

/* Nested columns keep their value as compact JSON text, the same text as
 * the jansson path gives; a Debezium-style envelope with a nested
 * "after" struct; a scalar for a nested column is refused. */
static void test_nested_columns(void **state) {
    (void)state;
    static const char *NS =
        "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
        "{\"id\":1,\"name\":\"op\",\"required\":true,\"type\":\"string\"},"
        "{\"id\":2,\"name\":\"after\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
        "{\"id\":4,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
        "{\"id\":5,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":"
        "6,"
        "\"element\":\"string\",\"element-required\":false}}]}},"
        "{\"id\":3,\"name\":\"m\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":7,"
        "\"key\":"
        "\"string\",\"value-id\":8,\"value\":\"double\",\"value-required\":false}}]}";
    struct fl_schema *s;
    struct fl_error e = {0};
    assert_int_equal(fl_schema_parse(NS, strlen(NS), &s, &e), FL_OK);
    struct fl_batch *a, *b;
    struct fl_jdec *d;
    assert_int_equal(fl_batch_new(s, 0, &a, &e), FL_OK);
    assert_int_equal(fl_batch_new(s, 0, &b, &e), FL_OK);
    assert_int_equal(fl_jdec_new(s, &d, &e), FL_OK);
    static const char *const rec[] = {
        "{\"before\":null,\"after\":{\"id\":7,\"tags\":[\"x\", \"y\\\"z\", "
        "null],\"extra\":{\"k\":[1,"
        "2.50,{}]}},\"op\":\"c\",\"m\":{\"a\":1e3,\"b\":null},\"source\":{\"ts_ms\":1}}",
        "{\"op\":\"d\",\"after\":null,\"m\":{}}",
        "{\"op\":\"u\",\"after\":{\"id\":8,\"tags\":[]}}",
    };
    static const char *const want_after[] = {
        "{\"id\":7,\"tags\":[\"x\",\"y\\\"z\",null],\"extra\":{\"k\":[1,2.50,{}]}}", NULL,
        "{\"id\":8,\"tags\":[]}"};
    static const char *const want_m[] = {"{\"a\":1e3,\"b\":null}", "{}", NULL};
    for (int i = 0; i < 3; i++) {
        if (fl_jdec_row(d, a, rec[i], strlen(rec[i]), &e)) fail_msg("row %d: %s", i, e.msg);
        assert_int_equal(fl_batch_end_row(a), FL_OK);
        assert_int_equal(fl_batch_append_json(b, rec[i], strlen(rec[i]), &e), FL_OK);
        for (int c = 1; c < 3; c++) {
            const char *want = c == 1 ? want_after[i] : want_m[i];
            const struct fl_col *col = &a->cols[c];
            if (!want) {
                assert_true(fl_col_is_null(col, (size_t)i));
                assert_true(fl_col_is_null(&b->cols[c], (size_t)i));
                continue;
            }
            size_t n;
            const uint8_t *p = fl_col_bytes(col, (size_t)i, &n);
            if (n != strlen(want) || memcmp(p, want, n))
                fail_msg("row %d col %d: want %s got %.*s", i, c, want, (int)n, (const char *)p);
            assert_false(fl_col_is_null(&b->cols[c], (size_t)i)); /* jansson path too */
        }
    }
    /* a scalar for a nested column, nothing appended */
    const char *bad = "{\"op\":\"c\",\"after\":5}";
    assert_int_equal(fl_jdec_row(d, a, bad, strlen(bad), &e), FL_ERR_INVALID);
    assert_non_null(strstr(e.msg, "after"));
    assert_int_equal(a->cols[1].len, 3);
    /* the decoder goes on after it */
    if (fl_jdec_row(d, a, rec[2], strlen(rec[2]), &e)) fail_msg("after error: %s", e.msg);
    assert_int_equal(fl_batch_end_row(a), FL_OK);
    fl_jdec_free(d);
    fl_batch_free(a);
    fl_batch_free(b);
    fl_schema_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_types_and_agreement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoch_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_leave_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caller_columns_and_hour_stamps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_hooks_captures, setup, teardown),
        cmocka_unit_test(test_nested_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
