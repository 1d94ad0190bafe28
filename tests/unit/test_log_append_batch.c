/*
 * test_log_append_batch.c - unit tests for the log's producer-batch
 * path (log.h: fl_log_append_batch, fl_log_wait_durable) and its codecs
 * (log/codec.c): a batch is stored as sent but for its base offset; with
 * a durability token it is written at once and readable only after the
 * wait (sync always); a bad CRC, a count that disagrees with the offset
 * deltas, a batch over max_append_bytes and a compressed batch whose
 * records do not inflate are refused and append nothing; gzip, snappy,
 * lz4 and zstd batches built here with the libraries themselves are
 * stored compressed and decoded by the iterator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/crc32c.h"
#include "core/endian.h"
#include "log/batch.h"
#include "log/log.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

static char dir[64];
static struct fl_log *lg;

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/floe_lab_XXXXXX");
    assert_non_null(mkdtemp(dir));
    struct fl_log_opts o;
    fl_log_opts_default(&o);
    o.dir = dir;
    o.min_free_bytes = 0;
    o.retention_check_ms = -1;
    struct fl_error err = {0};
    assert_int_equal(fl_log_open(&o, &lg, &err), FL_OK);
    struct fl_log_topic_config c;
    fl_log_topic_config_default(&c);
    c.max_append_bytes = 4096;
    assert_int_equal(fl_log_topic_create(lg, "t", &c, &err), FL_OK);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    fl_log_close(lg);
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Three records as one uncompressed batch into b. */
static void encode3(struct fl_buf *b) {
    struct fl_log_record r[3] = {{(const uint8_t *)"a", 1, (const uint8_t *)"one", 3, 5, NULL, 0},
                                 {NULL, 0, (const uint8_t *)"two", 3, 6, NULL, 0},
                                 {(const uint8_t *)"c", 1, NULL, 0, 7, NULL, 0}};
    struct fl_error err = {0};
    assert_int_equal(fl_log_batch_encode(b, 0, r, 3, 0, &err), FL_OK);
}

static void fix_crc(struct fl_buf *b) {
    fl_put_be32(b->data + 17,
                fl_crc32c(0, b->data + FL_LOG_BATCH_CRC_START, b->len - FL_LOG_BATCH_CRC_START));
}

static int64_t end_offset(void) {
    struct fl_log_partition_info pi;
    assert_int_equal(fl_log_topic_describe(lg, "t", NULL, NULL, &pi, 1, NULL), FL_OK);
    return pi.end_offset;
}

static int count_records(int64_t from) {
    struct fl_buf out;
    struct fl_error err = {0};
    int64_t next;
    fl_buf_init(&out, 1 << 20);
    assert_int_equal(fl_log_read(lg, "t", 0, from, 1 << 20, &out, &next, &err), FL_OK);
    struct fl_log_batch_iter it;
    struct fl_log_decoded d;
    int n = 0;
    fl_log_batch_iter_init(&it, out.data, out.len);
    while (fl_log_batch_iter_next(&it, &d, &err) == FL_OK) {
        if (d.offset < from) continue;
        if (d.value) assert_true(d.value_len == 3);
        n++;
    }
    fl_log_batch_iter_fini(&it);
    fl_buf_fini(&out);
    return n;
}

static void test_later_and_refusals(void **state) {
    (void)state;
    struct fl_buf b;
    struct fl_error err = {0};
    fl_buf_init(&b, 1 << 20);
    encode3(&b);
    int64_t base = -1;
    struct fl_log_durable d;
    assert_int_equal(fl_log_append_batch(lg, "t", 0, b.data, b.len, NULL, &base, &d, &err), FL_OK);
    assert_int_equal(base, 0);
    assert_true(d.pending);
    assert_int_equal(count_records(0), 0); /* written, not yet durable: not visible */
    assert_int_equal(fl_log_wait_durable(lg, "t", 0, &d, &err), FL_OK);
    assert_int_equal(count_records(0), 3);
    /* a bad CRC, a count that disagrees, a batch too large: nothing appended */
    b.data[b.len - 1] ^= 1;
    assert_int_equal(fl_log_append_batch(lg, "t", 0, b.data, b.len, NULL, &base, NULL, &err),
                     FL_ERR_CORRUPT);
    b.data[b.len - 1] ^= 1;
    fl_put_be32(b.data + 57, 2); /* recordCount 2, lastOffsetDelta 2 */
    fix_crc(&b);
    fl_err_clear(&err);
    assert_int_equal(fl_log_append_batch(lg, "t", 0, b.data, b.len, NULL, &base, NULL, &err),
                     FL_ERR_CORRUPT);
    uint8_t big[5000];
    memset(big, 0, sizeof(big));
    fl_err_clear(&err);
    assert_int_equal(fl_log_append_batch(lg, "t", 0, big, sizeof(big), NULL, &base, NULL, &err),
                     FL_ERR_RANGE);
    assert_int_equal(end_offset(), 3);
    fl_buf_fini(&b);
}

/* The batch's records compressed with codec into a new batch. */
static void recompress(struct fl_buf *b, int codec) {
    const uint8_t *rec = b->data + FL_LOG_BATCH_OVERHEAD;
    size_t n = b->len - FL_LOG_BATCH_OVERHEAD, cap = n * 2 + 1024, got = cap;
    uint8_t *z = malloc(cap);
    if (codec == 1) {
        z_stream zs = {0};
        assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        zs.next_in = (Bytef *)(uintptr_t)rec;
        zs.avail_in = (uInt)n;
        zs.next_out = z;
        zs.avail_out = (uInt)cap;
        assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
        got = zs.total_out;
        deflateEnd(&zs);
    } else if (codec == 2) {
        assert_int_equal(snappy_compress((const char *)rec, n, (char *)z, &got), SNAPPY_OK);
    } else if (codec == 3) {
        got = LZ4F_compressFrame(z, cap, rec, n, NULL);
        assert_false(LZ4F_isError(got));
    } else {
        got = ZSTD_compress(z, cap, rec, n, 3);
        assert_false(ZSTD_isError(got));
    }
    b->len = FL_LOG_BATCH_OVERHEAD;
    assert_int_equal(fl_buf_append(b, z, got), FL_OK);
    free(z);
    fl_put_be32(b->data + 8, (uint32_t)(b->len - FL_LOG_BATCH_LOG_OVERHEAD));
    b->data[22] = (uint8_t)((b->data[22] & ~FL_LOG_ATTR_CODEC_MASK) | codec);
    fix_crc(b);
}

static void test_codecs(void **state) {
    (void)state;
    struct fl_error err = {0};
    for (int codec = 1; codec <= 4; codec++) {
        struct fl_buf b;
        fl_buf_init(&b, 1 << 20);
        encode3(&b);
        recompress(&b, codec);
        int64_t base = -1, end = end_offset();
        assert_int_equal(fl_log_append_batch(lg, "t", 0, b.data, b.len, NULL, &base, NULL, &err),
                         FL_OK);
        assert_int_equal(base, end);
        assert_int_equal(count_records(base), 3);
        /* the same header over bytes that do not inflate: refused */
        memset(b.data + FL_LOG_BATCH_OVERHEAD, 0x5a, b.len - FL_LOG_BATCH_OVERHEAD);
        fix_crc(&b);
        assert_int_equal(fl_log_append_batch(lg, "t", 0, b.data, b.len, NULL, &base, NULL, &err),
                         FL_ERR_CORRUPT);
        fl_err_clear(&err);
        assert_int_equal(end_offset(), end + 3);
        fl_buf_fini(&b);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_later_and_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_codecs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
