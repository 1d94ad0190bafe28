/*
 * test_core.c - unit tests for src/core: errors, buffers, time, CRC32C,
 * varints and zigzag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/crc32c.h"
#include "core/err.h"
#include "core/fileio.h"
#include "core/time.h"
#include "core/varint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_errf_keeps_first(void **state) {
    (void)state;
    struct fl_error e;
    fl_err_clear(&e);
    assert_int_equal(fl_errf(&e, FL_ERR_CORRUPT, "bad %d", 7), FL_ERR_CORRUPT);
    assert_int_equal(fl_errf(&e, FL_ERR_IO, "later"), FL_ERR_IO);
    assert_int_equal(e.code, FL_ERR_CORRUPT);
    assert_string_equal(e.msg, "bad 7");
    fl_err_prefix(&e, "file %s", "x");
    assert_string_equal(e.msg, "file x: bad 7");
    assert_string_equal(fl_err_name(FL_ERR_IO), "i/o error");
    assert_int_equal(fl_errf(NULL, FL_ERR_LIMIT, "no buffer"), FL_ERR_LIMIT);
}

static void test_buf_cap(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, 10);
    assert_int_equal(fl_buf_append(&b, "hello", 5), FL_OK);
    assert_int_equal(fl_buf_append(&b, "world", 5), FL_OK);
    assert_int_equal(fl_buf_append_u8(&b, '!'), FL_ERR_LIMIT);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data, "helloworld", 10);
    fl_buf_reset(&b);
    assert_int_equal(fl_buf_printf(&b, "%d-%s", 42, "x"), FL_OK);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "42-x", 4);
    assert_int_equal(fl_buf_append_le32(&b, 0x01020304), FL_OK);
    assert_int_equal(b.data[4], 4);
    assert_int_equal(b.data[7], 1);
    fl_buf_fini(&b);
}

/* An epoch number's unit told by its magnitude: each unit on both sides
 * of its thresholds (1e11, 1e14, 1e17), fractions, negatives, the range. */
static void test_time_epoch_guess(void **state) {
    (void)state;
    static const struct {
        int64_t v, us;
    } CASES[] = {
        {0, 0},
        {1, 1000000},                                           /* seconds */
        {-1, -1000000},                                         /* a second before 1970 */
        {1767780000, INT64_C(1767780000000000)},                /* seed 002's instant, in s */
        {INT64_C(99999999999), INT64_C(99999999999000000)},     /* 1e11 - 1: still seconds (5138) */
        {INT64_C(100000000000), INT64_C(100000000000000)},      /* 1e11: milliseconds (1973) */
        {INT64_C(1767780000000), INT64_C(1767780000000000)},    /* seed 002's ms */
        {INT64_C(99999999999999), INT64_C(99999999999999000)},  /* 1e14 - 1: ms */
        {INT64_C(100000000000000), INT64_C(100000000000000)},   /* 1e14: microseconds */
        {INT64_C(1767780000000000), INT64_C(1767780000000000)}, /* in us */
        {INT64_C(99999999999999999), INT64_C(99999999999999999)},  /* 1e17 - 1: us */
        {INT64_C(100000000000000000), INT64_C(100000000000000)},   /* 1e17: nanoseconds */
        {INT64_C(1767780000000000000), INT64_C(1767780000000000)}, /* in ns */
        {INT64_C(1767780000000001999), INT64_C(1767780000000001)}, /* ns truncated */
        {-INT64_C(100000000000000001), -INT64_C(100000000000001)}, /* floor before 1970 */
        {INT64_MAX, INT64_MAX / 1000},                             /* 2262 in ns */
    };
    int64_t us;
    char iso[40];
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        us = 0;
        if (fl_time_epoch_guess_us(CASES[i].v, &us) != FL_OK || us != CASES[i].us)
            fail_msg("case %zu: %lld -> %lld, not %lld", i, (long long)CASES[i].v, (long long)us,
                     (long long)CASES[i].us);
    }
    assert_int_equal(fl_time_epoch_guess_us(INT64_C(1767780000000), &us), FL_OK);
    fl_time_format_iso(us, iso, sizeof(iso));
    assert_string_equal(iso, "2026-01-07T10:00:00.000000Z"); /* not 1970-01-21 */
    /* seconds before 0001-01-01: a range error, not a wrapped year */
    assert_int_equal(fl_time_epoch_guess_us(-INT64_C(99999999999), &us), FL_ERR_RANGE);
    assert_int_equal(fl_time_epoch_guess_us(-INT64_C(62135596800), &us), FL_OK); /* 0001-01-01 */
    assert_int_equal(fl_time_epoch_guess_us(-INT64_C(62135596801), &us), FL_ERR_RANGE);
    assert_int_equal(fl_time_epoch_guess_us(INT64_MIN, &us), FL_OK); /* ns: 1677 */
    /* fractions */
    assert_int_equal(fl_time_epoch_guess_us_double(1767780000.5, &us), FL_OK);
    assert_int_equal(us, INT64_C(1767780000500000));
    assert_int_equal(fl_time_epoch_guess_us_double(1767780000000.25, &us), FL_OK);
    assert_int_equal(us, INT64_C(1767780000000250));
    assert_int_equal(fl_time_epoch_guess_us_double(99999999999.5, &us), FL_OK); /* seconds */
    assert_int_equal(us, INT64_C(99999999999500000));
    assert_int_equal(fl_time_epoch_guess_us_double(1e11, &us), FL_OK); /* ms */
    assert_int_equal(us, INT64_C(100000000000000));
    assert_int_equal(fl_time_epoch_guess_us_double(-0.5, &us), FL_OK);
    assert_int_equal(us, -500000);
    assert_int_equal(fl_time_epoch_guess_us_double(1.767780000e18, &us), FL_OK); /* ns */
    assert_int_equal(us, INT64_C(1767780000000000));
    assert_int_equal(fl_time_epoch_guess_us_double(-1e12 * 1e3, &us), FL_OK);
    assert_int_equal(fl_time_epoch_guess_us_double(1e300, &us), FL_ERR_RANGE);
    assert_int_equal(fl_time_epoch_guess_us_double(0.0 / 0.0, &us), FL_ERR_RANGE);
}

/* A write that takes at most 3 bytes, and none once *left is used up. */
static ssize_t short_write(void *ctx, int fd, const void *data, size_t len) {
    int *left = ctx;
    if (*left <= 0) return 0;
    size_t n = len < 3 ? len : 3;
    if ((int)n > *left) n = (size_t)*left;
    *left -= (int)n;
    return write(fd, data, n);
}

/* Paths at their buffer's size and one past it; whole writes through
 * short writes; a write that stops is ENOSPC; whole reads and the end. */
static void test_fileio(void **state) {
    (void)state;
    char buf[8];
    struct fl_error e = {0};
    assert_int_equal(fl_path_fmt(buf, sizeof(buf), &e, "%s/%s", "abc", "xyz"), FL_OK);
    assert_string_equal(buf, "abc/xyz"); /* 7 bytes and the NUL: the limit */
    assert_int_equal(fl_path_fmt(buf, sizeof(buf), &e, "%s/%s", "abc", "wxyz"), FL_ERR_LIMIT);
    assert_string_equal(buf, ""); /* never the shortened "abc/wxy" */
    assert_non_null(strstr(e.msg, "is 8 bytes, over the limit of 7"));
    assert_int_equal(fl_path_fmt(buf, sizeof(buf), NULL, "%s", "12345678"), FL_ERR_LIMIT);

    char tmpl[] = "/tmp/floe-fileio-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    unlink(tmpl);
    const char text[] = "0123456789abcdef";
    int left = 100;
    assert_int_equal(fl_write_all_fn(fd, text, 16, -1, short_write, &left), 0);
    assert_int_equal(left, 84);
    assert_int_equal(fl_write_all(fd, "XY", 2, 4), 0); /* pwrite at 4 */
    left = 5;
    errno = 0;
    assert_int_equal(fl_write_all_fn(fd, text, 16, -1, short_write, &left), -1);
    assert_int_equal(errno, ENOSPC);
    char got[32];
    size_t n = 0;
    assert_int_equal(fl_read_full(fd, got, 16, 0, &n), 0);
    assert_int_equal(n, 16);
    assert_memory_equal(got, "0123XY6789abcdef", 16);
    assert_int_equal(fl_read_full(fd, got, 32, 0, &n), 1); /* the end of the file */
    assert_int_equal(n, 21);
    assert_memory_equal(got + 16, "01234", 5);
    close(fd);
    assert_int_equal(fl_read_full(fd, got, 4, 0, &n), -1);
    assert_int_equal(errno, EBADF);
}

static void test_time_roundtrip(void **state) {
    (void)state;
    char s[40];
    int64_t us;
    fl_time_format_iso(0, s, sizeof(s));
    assert_string_equal(s, "1970-01-01T00:00:00.000000Z");
    fl_time_format_iso(-1, s, sizeof(s));
    assert_string_equal(s, "1969-12-31T23:59:59.999999Z");
    assert_int_equal(fl_time_parse_iso("1969-12-31T23:59:59.999999Z", 27, &us), FL_OK);
    assert_int_equal(us, -1);
    assert_int_equal(fl_time_parse_iso("2026-01-08 14:00:00+02:00", 25, &us), FL_OK);
    fl_time_format_iso(us, s, sizeof(s));
    assert_string_equal(s, "2026-01-08T12:00:00.000000Z");
    assert_int_equal(fl_time_parse_iso("1900-02-29", 10, &us), FL_ERR_INVALID);
    assert_int_equal(fl_time_parse_iso("2000-02-29", 10, &us), FL_OK);
    assert_int_equal(fl_time_parse_iso("2000-02-29T25:00", 16, &us), FL_ERR_INVALID);
    assert_int_equal(fl_time_parse_iso("2000-02-29x", 11, &us), FL_ERR_INVALID);
    int32_t days;
    assert_int_equal(fl_time_parse_date("0001-01-01", 10, &days), FL_OK);
    assert_int_equal(days, -719162);
    fl_time_format_date(days, s, sizeof(s));
    assert_string_equal(s, "0001-01-01");
    assert_int_equal(fl_time_parse_time("23:59:59.5", 10, &us), FL_OK);
    assert_int_equal(us, INT64_C(86399500000));
    fl_time_format_time(us, s, sizeof(s));
    assert_string_equal(s, "23:59:59.500000");
    /* every day of 400 years round-trips through civil form */
    for (int64_t d = -200000; d < 200000; d += 7) {
        int64_t y;
        unsigned m, dd;
        fl_time_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(fl_time_days_from_civil(y, m, dd), d);
    }
}

static void test_crc32c_vectors(void **state) {
    (void)state;
    /* RFC 3720 B.4 test vectors */
    uint8_t zeros[32] = {0}, ones[32], inc[32];
    memset(ones, 0xff, 32);
    for (int i = 0; i < 32; i++) inc[i] = (uint8_t)i;
    assert_int_equal(fl_crc32c(0, zeros, 32), 0x8A9136AA);
    assert_int_equal(fl_crc32c(0, ones, 32), 0x62A8AB43);
    assert_int_equal(fl_crc32c(0, inc, 32), 0x46DD794E);
    assert_int_equal(fl_crc32c(0, "123456789", 9), 0xE3069283);
    /* incremental equals one-shot */
    assert_int_equal(fl_crc32c(fl_crc32c(0, "1234", 4), "56789", 5), 0xE3069283);
}

static void test_varint(void **state) {
    (void)state;
    uint8_t b[FL_VARINT_MAX];
    uint64_t v;
    assert_int_equal(fl_varint_put_u64(b, 300), 2);
    assert_int_equal(b[0], 0xac);
    assert_int_equal(b[1], 0x02);
    assert_int_equal(fl_varint_get_u64(b, 2, &v), 2);
    assert_int_equal(v, 300);
    assert_int_equal(fl_varint_get_u64(b, 1, &v), 0); /* truncated */
    assert_int_equal(fl_varint_put_u64(b, UINT64_MAX), 10);
    assert_int_equal(fl_varint_get_u64(b, 10, &v), 10);
    assert_true(v == UINT64_MAX);
    uint8_t over[11];
    memset(over, 0xff, sizeof(over));
    assert_int_equal(fl_varint_get_u64(over, 11, &v), 0); /* longer than 64 bits */
    assert_int_equal(fl_zigzag_enc64(-1), 1);
    assert_int_equal(fl_zigzag_enc64(1), 2);
    assert_true(fl_zigzag_dec64(fl_zigzag_enc64(INT64_MIN)) == INT64_MIN);
    assert_true(fl_zigzag_dec64(fl_zigzag_enc64(INT64_MAX)) == INT64_MAX);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errf_keeps_first), cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_time_roundtrip),   cmocka_unit_test(test_time_epoch_guess),
        cmocka_unit_test(test_fileio),           cmocka_unit_test(test_crc32c_vectors),
        cmocka_unit_test(test_varint),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
