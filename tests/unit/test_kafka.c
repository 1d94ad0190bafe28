/*
 * test_kafka.c - unit tests for src/kafka without sockets: the wire
 * reader's bounds (compact strings, null, bad and over-long varints,
 * array counts past the input, tagged fields), and fl_kafka_handle on
 * whole requests - ApiVersions v3 (flexible request header, v0 response
 * header) and its v0 fallback, Metadata v12 with and without
 * auto-creation, a flexible Produce v9 whose batch a flexible Fetch v12
 * returns byte for byte, ListOffsets, headers too short to read, and
 * CreatePartitions v0-v3 (grow, validate only, shrink, assignments,
 * truncated requests).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/endian.h"
#include "kafka/kafka.h"
#include "kafka/wire.h"
#include "log/batch.h"
#include "log/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static struct fl_log *lg;
static struct fl_kafka *kf;

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/floe_kafka_XXXXXX");
    assert_non_null(mkdtemp(dir));
    struct fl_log_opts o;
    fl_log_opts_default(&o);
    o.dir = dir;
    o.retention_check_ms = -1;
    struct fl_error err = {0};
    assert_int_equal(fl_log_open(&o, &lg, &err), FL_OK);
    struct fl_kafka_config c;
    fl_kafka_config_default(&c);
    c.max_block_ms = 0;
    c.topic_defaults.sync = FL_LOG_SYNC_NEVER;
    assert_int_equal(fl_kafka_new(lg, &c, &kf, &err), FL_OK);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    fl_kafka_free(kf);
    fl_log_close(lg);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_reader_bounds(void **state) {
    (void)state;
    struct fl_kafka_rd rd;
    const uint8_t s[] = {0x04, 'a', 'b', 'c', 0x00, 0x02, 0x01, 0x01, 'x'};
    fl_kafka_rd_init(&rd, s, sizeof(s));
    struct fl_kafka_str a = fl_kafka_rd_str(&rd, true), n = fl_kafka_rd_str(&rd, true);
    assert_int_equal(a.len, 3);
    assert_memory_equal(a.p, "abc", 3);
    assert_int_equal(n.len, -1);
    fl_kafka_rd_tags(&rd, true); /* two tagged fields: tag 1 size 1 'x', then... cut */
    assert_true(rd.bad);
    const uint8_t bad[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    fl_kafka_rd_init(&rd, bad, sizeof(bad));
    (void)fl_kafka_rd_uvarint(&rd);
    assert_true(rd.bad);
    assert_int_equal(fl_kafka_rd_i32(&rd), 0); /* sticky */
    const uint8_t arr[] = {0x00, 0x00, 0x10, 0x00, 1, 2, 3};
    fl_kafka_rd_init(&rd, arr, sizeof(arr));
    (void)fl_kafka_rd_array(&rd, false, 4);
    assert_true(rd.bad);
    const uint8_t neg[] = {0xff, 0xfe, 'a'}; /* a string of length -2 */
    fl_kafka_rd_init(&rd, neg, sizeof(neg));
    (void)fl_kafka_rd_str(&rd, false);
    assert_true(rd.bad);
}

/* A request: header v1 (or v2 when flex) and body bytes. */
static size_t req(uint8_t *out, int16_t key, int16_t ver, bool flex, const uint8_t *body,
                  size_t blen) {
    size_t n = 0;
    out[n++] = (uint8_t)(key >> 8);
    out[n++] = (uint8_t)key;
    out[n++] = (uint8_t)(ver >> 8);
    out[n++] = (uint8_t)ver;
    fl_put_be32(out + n, 42);
    n += 4;
    out[n++] = 0;
    out[n++] = 1;
    out[n++] = 'u';         /* client id "u" */
    if (flex) out[n++] = 0; /* no tagged fields */
    if (blen) memcpy(out + n, body, blen);
    return n + blen;
}

static void test_api_versions(void **state) {
    (void)state;
    uint8_t r[256], body[] = {0x02, 'c', 0x02, '1', 0x00};
    struct fl_buf out;
    struct fl_error err = {0};
    fl_buf_init(&out, 1 << 20);
    size_t n = req(r, 18, 3, true, body, sizeof(body));
    assert_int_equal(fl_kafka_handle(kf, r, n, &out, NULL, NULL, &err), FL_OK);
    assert_int_equal(fl_be32(out.data), out.len - 4);
    assert_int_equal(fl_be32(out.data + 4), 42);
    assert_int_equal(out.data[8] << 8 | out.data[9], 0); /* no tags: header v0 */
    assert_true(out.data[10] > 10);                      /* compact array of the APIs */
    /* CreatePartitions (37) v0-v3 among them: key, min, max, no tags */
    assert_non_null(memmem(out.data + 11, out.len - 11, "\x00\x25\x00\x00\x00\x03\x00", 7));
    n = req(r, 18, 77, false, NULL, 0);
    assert_int_equal(fl_kafka_handle(kf, r, n, &out, NULL, NULL, &err), FL_OK);
    assert_int_equal(out.data[8] << 8 | out.data[9], 35);
    assert_true(fl_be32(out.data + 10) > 10);
    n = req(r, 999, 0, false, NULL, 0);
    assert_int_equal(fl_kafka_handle(kf, r, n, &out, NULL, NULL, &err), FL_OK);
    assert_int_equal(out.data[8] << 8 | out.data[9], 35);
    assert_int_equal(fl_kafka_handle(kf, r, 5, &out, NULL, NULL, &err), FL_ERR_CORRUPT);
    fl_buf_fini(&out);
}

static void test_metadata_autocreate(void **state) {
    (void)state;
    /* v12: topics [{id zero, name "m1"}], allow auto-create = false, include ops */
    uint8_t body[64], r[128];
    size_t b = 0;
    body[b++] = 2;
    memset(body + b, 0, 16);
    b += 16;
    body[b++] = 3;
    memcpy(body + b, "m1", 2);
    b += 2;
    body[b++] = 0; /* topic tags */
    body[b++] = 0; /* auto-create off */
    body[b++] = 0;
    body[b++] = 0;
    struct fl_buf out;
    struct fl_error err = {0};
    fl_buf_init(&out, 1 << 20);
    size_t n = req(r, 3, 12, true, body, b);
    assert_int_equal(fl_kafka_handle(kf, r, n, &out, NULL, NULL, &err), FL_OK);
    int np;
    assert_int_equal(fl_log_topic_describe(lg, "m1", &np, NULL, NULL, 0, &err), FL_ERR_NOTFOUND);
    assert_non_null(memmem(out.data, out.len, "\x00\x03\x03m1", 5)); /* UNKNOWN_TOPIC, "m1" */
    body[b - 3] = 1;                                                 /* auto-create on */
    /* a key without the write role may not create: TOPIC_AUTHORIZATION_FAILED */
    struct fl_kafka_session sess = {.authenticated = true, .grants = FL_AUTH_READ};
    n = req(r, 3, 12, true, body, b);
    assert_int_equal(fl_kafka_handle(kf, r, n, &out, NULL, &sess, &err), FL_OK);
    assert_int_equal(fl_log_topic_describe(lg, "m1", &np, NULL, NULL, 0, &err), FL_ERR_NOTFOUND);
    assert_non_null(memmem(out.data, out.len, "\x00\x1d\x03m1", 5));
    n = req(r, 3, 12, true, body, b);
    assert_int_equal(fl_kafka_handle(kf, r, n, &out, NULL, NULL, &err), FL_OK);
    assert_int_equal(fl_log_topic_describe(lg, "m1", &np, NULL, NULL, 0, &err), FL_OK);
    assert_non_null(memmem(out.data, out.len, "\x00\x00\x03m1", 5));
    fl_buf_fini(&out);
}

/* A key without the write role: Produce answers TOPIC_AUTHORIZATION_FAILED
 * (29) for the partition and stores nothing; a group API answers
 * GROUP_AUTHORIZATION_FAILED (30); InitProducerId still closes. */
static void test_produce_denied(void **state) {
    (void)state;
    /* v3: transactional id null, acks 1, timeout, [{"d1", [{0, empty records}]}] */
    static const uint8_t body[] = {0xff, 0xff, 0, 1, 0, 0, 0x03, 0xe8, 0, 0, 0, 1, 0, 2,
                                   'd',  '1',  0, 0, 0, 1, 0,    0,    0, 0, 0, 0, 0, 0};
    uint8_t r[128];
    struct fl_buf out;
    struct fl_error err = {0};
    struct fl_kafka_session sess = {.authenticated = true, .grants = FL_AUTH_READ};
    snprintf(sess.key_name, sizeof(sess.key_name), "reader");
    fl_buf_init(&out, 1 << 20);
    size_t n = req(r, 0, 3, false, body, sizeof(body));
    assert_int_equal(fl_kafka_handle(kf, r, n, &out, NULL, &sess, &err), FL_OK);
    /* topics [1] "d1" partitions [1] partition 0 code 29 */
    assert_non_null(memmem(out.data, out.len,
                           "\x00\x00\x00\x01\x00\x02"
                           "d1\x00\x00\x00\x01\x00\x00\x00\x00\x00\x1d",
                           18));
    int np;
    assert_int_equal(fl_log_topic_describe(lg, "d1", &np, NULL, NULL, 0, &err), FL_ERR_NOTFOUND);
    n = req(r, 22, 0, false, NULL, 0); /* InitProducerId needs write: still closes */
    assert_int_equal(fl_kafka_handle(kf, r, n, &out, NULL, &sess, &err), FL_ERR_CORRUPT);
    /* a write key in a group API: Heartbeat v0 {"g", generation 1, "m"} gets
     * GROUP_AUTHORIZATION_FAILED (30) */
    static const uint8_t hb[] = {0, 1, 'g', 0, 0, 0, 1, 0, 1, 'm'};
    sess.grants = FL_AUTH_WRITE;
    n = req(r, 12, 0, false, hb, sizeof(hb));
    assert_int_equal(fl_kafka_handle(kf, r, n, &out, NULL, &sess, &err), FL_OK);
    assert_int_equal(out.len, 10);
    assert_int_equal(out.data[8] << 8 | out.data[9], 30);
    fl_buf_fini(&out);
}

static void test_produce_fetch_flexible(void **state) {
    (void)state;
    struct fl_buf batch, out;
    struct fl_error err = {0};
    fl_buf_init(&batch, 1 << 20);
    fl_buf_init(&out, 1 << 20);
    struct fl_log_record recs[2] = {
        {(const uint8_t *)"k", 1, (const uint8_t *)"v1", 2, 1000, NULL, 0},
        {NULL, 0, (const uint8_t *)"v2", 2, 1001, NULL, 0}};
    assert_int_equal(fl_log_batch_encode(&batch, 0, recs, 2, 0, &err), FL_OK);
    /* Produce v9: txn null, acks -1, timeout, [{"pf", [{0, records}]}] */
    uint8_t body[512], r[640];
    size_t b = 0;
    body[b++] = 0;
    body[b++] = 0xff;
    body[b++] = 0xff;
    fl_put_be32(body + b, 1000);
    b += 4;
    body[b++] = 2;
    body[b++] = 3;
    memcpy(body + b, "pf", 2);
    b += 2;
    body[b++] = 2;
    fl_put_be32(body + b, 0);
    b += 4;
    assert_true(batch.len + 1 < 127);
    body[b++] = (uint8_t)(batch.len + 1);
    memcpy(body + b, batch.data, batch.len);
    b += batch.len;
    body[b++] = 0;
    body[b++] = 0;
    body[b++] = 0;
    size_t n = req(r, 0, 9, true, body, b);
    assert_int_equal(fl_kafka_handle(kf, r, n, &out, NULL, NULL, &err), FL_OK);
    /* reply: size, corr, tags, [ "pf", [ {0, error 0, base 0 ...} ] ] */
    assert_int_equal(out.data[8], 0);
    assert_int_equal(out.data[9], 2);
    assert_int_equal(out.data[15], 0);
    assert_int_equal(out.data[16], 0); /* error 0 */
    /* Fetch v12: replica, max wait 0, min bytes 1, max bytes, isolation,
     * session 0 epoch -1, [{"pf", [{0, epoch -1, offset 0, last epoch -1, log start -1, 1 MiB}]}]
     */
    b = 0;
    uint8_t *p = body;
    const uint8_t head[] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0,    0,    0,    1,   0,
                            0x10, 0,    0,    0,    0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    memcpy(p, head, sizeof(head));
    b = sizeof(head);
    p[b++] = 2;
    p[b++] = 3;
    memcpy(p + b, "pf", 2);
    b += 2;
    p[b++] = 2;
    const uint8_t part[] = {0,    0,    0,    0,    0xff, 0xff, 0xff, 0xff, 0,    0,    0,
                            0,    0,    0,    0,    0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0,    0x10, 0,    0,    0};
    memcpy(p + b, part, sizeof(part));
    b += sizeof(part);
    p[b++] = 0; /* topic tags */
    p[b++] = 1; /* forgotten: none */
    p[b++] = 1; /* rack "" */
    p[b++] = 0;
    n = req(r, 1, 12, true, body, b);
    assert_int_equal(fl_kafka_handle(kf, r, n, &out, NULL, NULL, &err), FL_OK);
    /* the stored batch comes back as it was sent but for its base offset (0 here too) */
    assert_non_null(memmem(out.data, out.len, batch.data + 12, batch.len - 12));
    fl_buf_fini(&batch);
    fl_buf_fini(&out);
}

/* CreatePartitions of topic "g" to count, v0 (assignments: nassign
 * entries of broker `broker`, -1 = null) or v2 (flexible, null
 * assignments); returns the topic's error code in the reply. */
static int16_t create_partitions(int16_t ver, int32_t count, int32_t nassign, int32_t broker,
                                 bool validate_only, size_t cut) {
    uint8_t body[256], r[320];
    size_t b = 0;
    bool flex = ver >= 2;
    if (flex) {
        body[b++] = 2; /* one topic */
        body[b++] = 2;
        body[b++] = 'g';
    } else {
        fl_put_be32(body + b, 1);
        b += 4;
        body[b++] = 0;
        body[b++] = 1;
        body[b++] = 'g';
    }
    fl_put_be32(body + b, (uint32_t)count);
    b += 4;
    if (flex) {
        body[b++] = 0; /* null assignments */
        body[b++] = 0; /* topic tags */
    } else {
        fl_put_be32(body + b, (uint32_t)nassign);
        b += 4;
        for (int32_t i = 0; i < nassign; i++) {
            fl_put_be32(body + b, 1);
            fl_put_be32(body + b + 4, (uint32_t)broker);
            b += 8;
        }
    }
    fl_put_be32(body + b, 1000); /* timeout */
    b += 4;
    body[b++] = validate_only;
    if (flex) body[b++] = 0;
    struct fl_buf out;
    struct fl_error err = {0};
    fl_buf_init(&out, 1 << 20);
    size_t n = req(r, 37, ver, flex, body, b - cut);
    fl_err_t rc = fl_kafka_handle(kf, r, n, &out, NULL, NULL, &err);
    int16_t code = -100; /* the request was refused whole */
    if (rc == FL_OK) {
        assert_int_equal(fl_be32(out.data), out.len - 4);
        /* v0: throttle, array (4), name (2+1); v2: tags, throttle, array (1), name (1+1) */
        const uint8_t *c = flex ? out.data + 16 : out.data + 19;
        assert_int_equal(flex ? out.data[15] : out.data[18], 'g');
        code = (int16_t)(c[0] << 8 | c[1]);
    } else {
        assert_int_equal(rc, FL_ERR_CORRUPT);
    }
    fl_buf_fini(&out);
    return code;
}

static void test_create_partitions(void **state) {
    (void)state;
    struct fl_error err = {0};
    int np = 0;
    assert_int_equal(create_partitions(0, 3, -1, 1, false, 0), 3); /* UNKNOWN_TOPIC_OR_PARTITION */
    struct fl_log_topic_config tc;
    fl_log_topic_config_default(&tc);
    tc.sync = FL_LOG_SYNC_NEVER;
    assert_int_equal(fl_log_topic_create(lg, "g", &tc, &err), FL_OK);
    assert_int_equal(create_partitions(2, 3, -1, 1, true, 0), 0); /* validate only */
    assert_int_equal(fl_log_topic_describe(lg, "g", &np, NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(np, 1);
    assert_int_equal(create_partitions(2, 3, -1, 1, false, 0), 0);
    assert_int_equal(fl_log_topic_describe(lg, "g", &np, NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(np, 3);
    assert_int_equal(create_partitions(2, 3, -1, 1, false, 0), 37); /* INVALID_PARTITIONS */
    assert_int_equal(create_partitions(0, 2, -1, 1, false, 0), 37);
    assert_int_equal(create_partitions(0, 20000, -1, 1, false, 0), 37);
    /* assignments: one entry per new partition, on broker 1 */
    assert_int_equal(create_partitions(0, 5, 1, 1, false, 0), 39); /* INVALID_REPLICA_ASSIGNMENT */
    assert_int_equal(create_partitions(0, 5, 2, 7, false, 0), 39);
    assert_int_equal(fl_log_topic_describe(lg, "g", &np, NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(np, 3);
    assert_int_equal(create_partitions(1, 5, 2, 1, false, 0), 0);
    assert_int_equal(fl_log_topic_describe(lg, "g", &np, NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(np, 5);
    /* truncated anywhere: refused whole, nothing added */
    for (size_t cut = 1; cut < 12; cut++)
        assert_int_equal(create_partitions(cut % 2 ? 3 : 0, 9, cut % 2 ? -1 : 4, 1, false, cut),
                         -100);
    assert_int_equal(fl_log_topic_describe(lg, "g", &np, NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(np, 5);
    /* the new partitions take appends and reads */
    int64_t off = -1;
    struct fl_log_record rec = {NULL, 0, (const uint8_t *)"v", 1, -1, NULL, 0};
    assert_int_equal(fl_log_append(lg, "g", 4, &rec, 1, &off, &err), FL_OK);
    assert_int_equal(off, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_bounds),
        cmocka_unit_test_setup_teardown(test_api_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_autocreate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_produce_fetch_flexible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_produce_denied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_partitions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
