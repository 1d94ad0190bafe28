/*
 * test_variant.c - the Variant binary encoding into JSON text
 * (format/parquet/variant.h): values built byte by byte from
 * apache/parquet-format VariantEncoding.md (every primitive type, short
 * strings, objects and arrays with 1- to 4-byte ids and offsets, is_large
 * counts, objects whose values are not in field order), and malformed
 * input refused with an error, never read past or turned into a value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "format/parquet/variant.h"

#include <string.h>

/* metadata: version 1, 1-byte offsets, dictionary "age", "name", "a" */
static const uint8_t META3[] = {0x01, 3, 0, 3, 7, 8, 'a', 'g', 'e', 'n', 'a', 'm', 'e', 'a'};
/* metadata with an empty dictionary */
static const uint8_t META0[] = {0x01, 0, 0};

static void want(const uint8_t *m, size_t ml, const uint8_t *v, size_t vl, const char *json) {
    struct fl_buf out;
    fl_buf_init(&out, FL_BUF_NOMAX);
    struct fl_error err = {0};
    fl_err_t rc = fl_variant_to_json(m, ml, v, vl, &out, &err);
    if (rc) fail_msg("%s: error %s", json, err.msg);
    fl_buf_append_u8(&out, 0);
    assert_string_equal((const char *)out.data, json);
    fl_buf_fini(&out);
}

static void refuse(const uint8_t *m, size_t ml, const uint8_t *v, size_t vl, fl_err_t code,
                   const char *needle) {
    struct fl_buf out;
    fl_buf_init(&out, FL_BUF_NOMAX);
    struct fl_error err = {0};
    fl_err_t rc = fl_variant_to_json(m, ml, v, vl, &out, &err);
    if (rc != code) fail_msg("want error %d (%s), got %d: %s", (int)code, needle, (int)rc, err.msg);
    if (!strstr(err.msg, needle)) fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
    fl_buf_fini(&out);
}

#define WANT(v, json) want(META0, sizeof(META0), v, sizeof(v), json)
#define P(t) (uint8_t)((t) << 2) /* a primitive's value_metadata byte */

static void test_primitives(void **state) {
    (void)state;
    const uint8_t null_[] = {P(0)}, t[] = {P(1)}, f[] = {P(2)};
    WANT(null_, "null");
    WANT(t, "true");
    WANT(f, "false");
    const uint8_t i8[] = {P(3), 0xde}, i16[] = {P(4), 0x2e, 0xfb}, i32[] = {P(5), 0xa0, 0x86, 1, 0};
    WANT(i8, "-34");
    WANT(i16, "-1234");
    WANT(i32, "100000");
    const uint8_t i64[] = {P(6), 0x00, 0xe4, 0x0b, 0x54, 0x02, 0, 0, 0};
    WANT(i64, "10000000000");
    /* 14.3 as a double and -10.11 as a float: the shortest text */
    const uint8_t d[] = {P(7), 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0x2c, 0x40};
    WANT(d, "14.3");
    const uint8_t fl[] = {P(14), 0x8f, 0xc2, 0x21, 0xc1};
    WANT(fl, "-10.11");
    /* decimal4 3.14 (scale 2), decimal8 -1.5, decimal16 -1 with scale 0 */
    const uint8_t d4[] = {P(8), 2, 0x3a, 0x01, 0, 0};
    WANT(d4, "3.14");
    const uint8_t d8[] = {P(9), 1, 0xf1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    WANT(d8, "-1.5");
    uint8_t d16[18] = {P(10), 0};
    memset(d16 + 2, 0xff, 16);
    WANT(d16, "-1");
    /* date 2024-11-07 = 20034 days; 1957-11-07 = -4438 */
    const uint8_t dt[] = {P(11), 0x42, 0x4e, 0, 0}, dn[] = {P(11), 0xaa, 0xee, 0xff, 0xff};
    WANT(dt, "\"2024-11-07\"");
    WANT(dn, "\"1957-11-07\"");
    /* 2024-11-07 12:33:54.123456 UTC = 1730982834123456 us */
    const uint8_t tz[] = {P(12), 0xc0, 0xb2, 0xf0, 0xd8, 0x51, 0x26, 0x06, 0x00};
    const uint8_t ntz[] = {P(13), 0xc0, 0xb2, 0xf0, 0xd8, 0x51, 0x26, 0x06, 0x00};
    WANT(tz, "\"2024-11-07 12:33:54.123456+00:00\"");
    WANT(ntz, "\"2024-11-07 12:33:54.123456\"");
    /* one nanosecond before the epoch, without and with a zone */
    const uint8_t ns[] = {P(19), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint8_t nstz[] = {P(18), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    WANT(ns, "\"1969-12-31 23:59:59.999999999\"");
    WANT(nstz, "\"1969-12-31 23:59:59.999999999+00:00\"");
    /* time 12:33:54.123456 = 45234123456 us */
    const uint8_t tm[] = {P(17), 0xc0, 0xf2, 0x29, 0x88, 0x0a, 0, 0, 0};
    WANT(tm, "\"12:33:54.123456\"");
    const uint8_t bin[] = {P(15), 4, 0, 0, 0, 0x0a, 0x0b, 0x0c, 0x0d};
    WANT(bin, "\"CgsMDQ==\"");
    const uint8_t bin1[] = {P(15), 1, 0, 0, 0, 0xff}, bin0[] = {P(15), 0, 0, 0, 0};
    WANT(bin1, "\"/w==\"");
    WANT(bin0, "\"\"");
    const uint8_t str[] = {P(16), 5, 0, 0, 0, 'a', '\t', '"', 0, 'b'};
    WANT(str, "\"a\\t\\\"\\u0000b\"");
    const uint8_t uuid[] = {P(20), 0xf2, 0x4f, 0x9b, 0x64, 0x81, 0xfa, 0x49, 0xd1,
                            0xb7,  0x4e, 0x8c, 0x09, 0xa6, 0xe3, 0x1c, 0x56};
    WANT(uuid, "\"f24f9b64-81fa-49d1-b74e-8c09a6e31c56\"");
    /* short string (basic type 1) with every escape Jackson shortens */
    const uint8_t ss[] = {(uint8_t)(1 | 7 << 2), '\b', '\f', '\n', '\r', '\\', 0x01, 0xc3};
    refuse(META0, sizeof(META0), ss, sizeof(ss), FL_ERR_CORRUPT, "UTF-8"); /* cut in a char */
    const uint8_t ss2[] = {(uint8_t)(1 | 8 << 2), '\b', '\f', '\n', '\r', '\\', 0x01, 0xc3, 0xa9};
    WANT(ss2, "\"\\b\\f\\n\\r\\\\\\u0001\xc3\xa9\"");
}

static void test_nested(void **state) {
    (void)state;
    /* {"age":30,"name":"Alice"}: field ids sorted by name (age=0,
     * name=1), values stored name first to check offsets are followed */
    const uint8_t obj[] = {2,   2,   0,   1,   6,   0,    8, (uint8_t)(1 | 5 << 2),
                           'A', 'l', 'i', 'c', 'e', P(3), 30};
    want(META3, sizeof(META3), obj, sizeof(obj), "{\"age\":30,\"name\":\"Alice\"}");
    /* [1,[],{}] with 2-byte offsets and a 4-byte (is_large) count */
    const uint8_t arr[] = {(uint8_t)(3 | (1 | 1 << 2) << 2),
                           3,
                           0,
                           0,
                           0,
                           0,
                           0,
                           2,
                           0,
                           5,
                           0,
                           8,
                           0,
                           P(3),
                           1,
                           3,
                           0,
                           0,
                           2,
                           0,
                           0};
    want(META0, sizeof(META0), arr, sizeof(arr), "[1,[],{}]");
    /* {"a":null} with 4-byte field ids and 3-byte offsets */
    const uint8_t big[] = {(uint8_t)(2 | (2 | 3 << 2) << 2), 1, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, P(0)};
    want(META3, sizeof(META3), big, sizeof(big), "{\"a\":null}");
}

static void test_malformed(void **state) {
    (void)state;
    const uint8_t one[] = {P(3), 1};
    /* metadata: empty, version 2, truncated, a dictionary past its bytes */
    refuse(META0, 0, one, sizeof(one), FL_ERR_CORRUPT, "empty");
    const uint8_t v2[] = {0x02, 0, 0};
    refuse(v2, sizeof(v2), one, sizeof(one), FL_ERR_UNSUPPORTED, "version");
    const uint8_t m_trunc[] = {0x01, 5, 0, 1};
    refuse(m_trunc, sizeof(m_trunc), one, sizeof(one), FL_ERR_CORRUPT, "do not fit");
    const uint8_t m_past[] = {0x01, 1, 0, 9, 'a'};
    refuse(m_past, sizeof(m_past), one, sizeof(one), FL_ERR_CORRUPT, "past its bytes");
    /* values: empty, a truncated int64, a string longer than its bytes, an
     * unknown type, a field id outside the dictionary, an offset past the
     * fields, a count larger than the bytes, a bad decimal scale */
    refuse(META0, sizeof(META0), one, 0, FL_ERR_CORRUPT, "truncated");
    const uint8_t i64[] = {P(6), 1, 2, 3};
    refuse(META0, sizeof(META0), i64, sizeof(i64), FL_ERR_CORRUPT, "truncated");
    const uint8_t str[] = {P(16), 0xff, 0xff, 0xff, 0x7f, 'a'};
    refuse(META0, sizeof(META0), str, sizeof(str), FL_ERR_CORRUPT, "truncated");
    const uint8_t unk[] = {P(21)};
    refuse(META0, sizeof(META0), unk, sizeof(unk), FL_ERR_UNSUPPORTED, "type 21");
    const uint8_t badid[] = {2, 1, 7, 0, 1, P(0)};
    refuse(META3, sizeof(META3), badid, sizeof(badid), FL_ERR_CORRUPT, "field id 7");
    const uint8_t badoff[] = {3, 1, 5, 6, P(0)};
    refuse(META0, sizeof(META0), badoff, sizeof(badoff), FL_ERR_CORRUPT, "truncated");
    const uint8_t count[] = {(uint8_t)(3 | 1 << 4), 0xff, 0xff, 0xff, 0xff, 0};
    refuse(META0, sizeof(META0), count, sizeof(count), FL_ERR_CORRUPT, "truncated");
    const uint8_t scale[] = {P(8), 39, 1, 0, 0, 0};
    refuse(META0, sizeof(META0), scale, sizeof(scale), FL_ERR_CORRUPT, "scale");
    const uint8_t time[] = {P(17), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    refuse(META0, sizeof(META0), time, sizeof(time), FL_ERR_CORRUPT, "outside a day");
    /* nesting beyond the limit: arrays of one array, each at offset 0 */
    uint8_t deep[4 * (FL_VARIANT_MAX_DEPTH + 2) + 1];
    size_t n = 0;
    for (int k = 0; k < FL_VARIANT_MAX_DEPTH + 2; k++) {
        size_t rest = sizeof(deep) - n - 4; /* the bytes after this header */
        deep[n++] = 3;
        deep[n++] = 1;
        deep[n++] = 0;
        deep[n++] = (uint8_t)(rest > 255 ? 255 : rest);
    }
    deep[n++] = P(0);
    /* offsets in one byte cannot span it all: every level but the last
     * few ends early; the error is a limit or a truncation, never a crash */
    struct fl_buf out;
    fl_buf_init(&out, FL_BUF_NOMAX);
    struct fl_error err = {0};
    assert_int_not_equal(fl_variant_to_json(META0, sizeof(META0), deep, n, &out, &err), FL_OK);
    fl_buf_fini(&out);
    /* with exact 4-byte offsets the depth limit itself is hit */
    uint8_t deep4[10 * (FL_VARIANT_MAX_DEPTH + 2) + 1];
    n = 0;
    for (int k = 0; k < FL_VARIANT_MAX_DEPTH + 2; k++) {
        uint32_t rest = (uint32_t)(sizeof(deep4) - n - 10);
        deep4[n++] = (uint8_t)(3 | 3 << 2);
        deep4[n++] = 1;
        memset(deep4 + n, 0, 4);
        n += 4;
        deep4[n++] = (uint8_t)rest;
        deep4[n++] = (uint8_t)(rest >> 8);
        deep4[n++] = 0;
        deep4[n++] = 0;
    }
    deep4[n++] = P(0);
    refuse(META0, sizeof(META0), deep4, n, FL_ERR_LIMIT, "deeper");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primitives),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
