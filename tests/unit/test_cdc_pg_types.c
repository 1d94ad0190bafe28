/*
 * test_cdc_pg_types.c - unit tests for src/cdc/pg_types.c: PostgreSQL
 * types to Iceberg types (numeric's typmod, the refused ones with their
 * reason), text values to the JSON forms floe's decoder reads, and
 * COPY text-format rows (nulls, escapes, too many fields).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cdc/pg_types.h"

#include <string.h>

static void test_map(void **state) {
    (void)state;
    char type[32], why[160];
    enum fl_pgt_kind k;
    assert_int_equal(fl_pgt_map(20, -1, "int8", type, sizeof(type), &k, why, sizeof(why)), 0);
    assert_string_equal(type, "long");
    assert_int_equal(k, FL_PGT_NUMBER);
    assert_int_equal(
        fl_pgt_map(1700, (12 << 16 | 2) + 4, "numeric", type, sizeof(type), &k, why, sizeof(why)),
        0);
    assert_string_equal(type, "decimal(12, 2)");
    assert_int_equal(fl_pgt_map(1184, -1, "timestamptz", type, sizeof(type), &k, why, sizeof(why)),
                     0);
    assert_string_equal(type, "timestamptz");
    assert_int_equal(k, FL_PGT_TIMESTAMPTZ);
    assert_int_equal(fl_pgt_map(3802, -1, "jsonb", type, sizeof(type), &k, why, sizeof(why)), 0);
    assert_string_equal(type, "string");
    assert_int_equal(fl_pgt_map(2950, -1, "uuid", type, sizeof(type), &k, why, sizeof(why)), 0);
    assert_string_equal(type, "uuid");
    assert_int_equal(fl_pgt_map(17, -1, "bytea", type, sizeof(type), &k, why, sizeof(why)), 0);
    assert_string_equal(type, "binary");
    assert_int_equal(fl_pgt_map(1700, -1, "numeric", type, sizeof(type), &k, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "numeric without a precision"));
    assert_int_equal(
        fl_pgt_map(1700, (40 << 16 | 2) + 4, "numeric", type, sizeof(type), &k, why, sizeof(why)),
        -1);
    assert_non_null(strstr(why, "numeric(40,2)"));
    assert_int_equal(fl_pgt_map(718, -1, "circle", type, sizeof(type), &k, why, sizeof(why)), -1);
    assert_string_equal(why, "type circle (oid 718) is not supported");
}

static void json_is(enum fl_pgt_kind k, const char *in, const char *want) {
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    assert_int_equal(fl_pgt_json(k, (const uint8_t *)in, strlen(in), &b), FL_OK);
    fl_buf_append_u8(&b, 0);
    assert_string_equal((const char *)b.data, want);
    fl_buf_fini(&b);
}

static void test_json(void **state) {
    (void)state;
    json_is(FL_PGT_NUMBER, "-42", "-42");
    json_is(FL_PGT_FLOAT, "-1.5e-07", "-1.5e-07");
    json_is(FL_PGT_FLOAT, "NaN", "\"NaN\"");
    json_is(FL_PGT_FLOAT, "-Infinity", "\"-Infinity\"");
    json_is(FL_PGT_NUMBER, "1;2", "\"1;2\""); /* not a number: a string, refused later */
    json_is(FL_PGT_BOOL, "t", "true");
    json_is(FL_PGT_BOOL, "f", "false");
    json_is(FL_PGT_STRING, "12.30", "\"12.30\"");
    json_is(FL_PGT_STRING, "a\"b\\c\nd\x01", "\"a\\\"b\\\\c\\nd\\u0001\"");
    json_is(FL_PGT_TIMESTAMP, "2024-02-29 10:00:00.25", "\"2024-02-29T10:00:00.25\"");
    json_is(FL_PGT_TIMESTAMPTZ, "1999-12-31 23:59:59.999999+00",
            "\"1999-12-31T23:59:59.999999+00:00\"");
    json_is(FL_PGT_TIMESTAMPTZ, "2024-01-01 00:00:00+05:30", "\"2024-01-01T00:00:00+05:30\"");
    json_is(FL_PGT_TIMESTAMPTZ, "infinity", "\"infinity\"");
    json_is(FL_PGT_BYTEA, "\\x00ff", "\"00ff\"");
    json_is(FL_PGT_STRING, "{\"k\": [1, 2]}", "\"{\\\"k\\\": [1, 2]}\"");
}

static void test_copy_row(void **state) {
    (void)state;
    struct fl_buf scratch;
    fl_buf_init(&scratch, FL_BUF_NOMAX);
    size_t st[8], ln[8];
    int nf = 0;
    struct fl_error e = {0};
    const char *row = "1\t\\N\tab\\tc\\\\d\\n\t\\x41\\101\\x\t\n";
    assert_int_equal(
        fl_pgt_copy_row((const uint8_t *)row, strlen(row), &scratch, st, ln, 8, &nf, &e), FL_OK);
    assert_int_equal(nf, 5);
    assert_int_equal(ln[0], 1);
    assert_memory_equal(scratch.data + st[0], "1", 1);
    assert_true(ln[1] == SIZE_MAX);
    assert_int_equal(ln[2], 7);
    assert_memory_equal(scratch.data + st[2], "ab\tc\\d\n", 7);
    assert_int_equal(ln[3], 3);
    assert_memory_equal(scratch.data + st[3], "AAx", 3);
    assert_int_equal(ln[4], 0); /* an empty string, not null */
    const char *three = "a\tb\tc";
    assert_int_equal(
        fl_pgt_copy_row((const uint8_t *)three, strlen(three), &scratch, st, ln, 2, &nf, &e),
        FL_ERR_CORRUPT);
    const char *lone = "a\\";
    assert_int_equal(
        fl_pgt_copy_row((const uint8_t *)lone, strlen(lone), &scratch, st, ln, 8, &nf, &e),
        FL_ERR_CORRUPT);
    assert_int_equal(fl_pgt_copy_row((const uint8_t *)"", 0, &scratch, st, ln, 8, &nf, &e), FL_OK);
    assert_int_equal(nf, 1);
    assert_int_equal(ln[0], 0);
    fl_buf_fini(&scratch);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_copy_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
