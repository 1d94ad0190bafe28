/*
 * test_log.c - unit tests for src/log: the record batch v2 bytes (checked
 * by hand against DefaultRecordBatch/DefaultRecord, CRC-32C from an
 * independent bitwise implementation in Python), round trips through the
 * iterator, Kafka's murmur2 vectors, appends and reads over several
 * partitions, reads by offset and by time, segment roll, retention by
 * size and age, consumer offsets across close/open, recovery from a torn
 * tail cut at every byte of the last batch and from a bad CRC, group
 * commit with concurrent appenders, disk limits and injected ENOSPC and
 * fsync failures, partitions added while appends and reads run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "log/batch.h"
#include "log/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void rm_rf(const char *path) {
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            char sub[4400]; /* test_long_paths goes near PATH_MAX */
            snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
            rm_rf(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

struct fx {
    char dir[64];
    struct fl_log_opts opts;
    struct fl_log_faults faults;
    struct fl_log *log;
};

static struct fl_log *reopen(struct fx *fx) {
    if (fx->log) fl_log_close(fx->log);
    fx->log = NULL;
    struct fl_error e = {0};
    fl_err_t rc = fl_log_open(&fx->opts, &fx->log, &e);
    if (rc) fprintf(stderr, "open: %s\n", e.msg);
    assert_int_equal(rc, FL_OK);
    return fx->log;
}

static int setup(void **state) {
    struct fx *fx = calloc(1, sizeof(*fx));
    strcpy(fx->dir, "/tmp/floe-log-XXXXXX");
    if (!mkdtemp(fx->dir)) return -1;
    fl_log_opts_default(&fx->opts);
    fx->opts.dir = fx->dir;
    fx->opts.min_free_bytes = 0;
    fx->opts.retention_check_ms = -1;
    fx->opts.faults = &fx->faults;
    *state = fx;
    return 0;
}

static int teardown(void **state) {
    struct fx *fx = *state;
    fl_log_close(fx->log);
    rm_rf(fx->dir);
    free(fx);
    return 0;
}

static void mkcfg(struct fl_log_topic_config *cfg, int parts, fl_log_sync_t sync) {
    fl_log_topic_config_default(cfg);
    cfg->partitions = parts;
    cfg->sync = sync;
}

static void create(struct fx *fx, const char *t, const struct fl_log_topic_config *cfg) {
    struct fl_error e = {0};
    fl_err_t rc = fl_log_topic_create(fx->log, t, cfg, &e);
    if (rc) fprintf(stderr, "create: %s\n", e.msg);
    assert_int_equal(rc, FL_OK);
}

/* Appends one record "v<n>" keyed "k<n>" at timestamp ts; returns the offset. */
static int64_t put(struct fx *fx, const char *t, int p, int n, int64_t ts) {
    char k[32], v[64];
    snprintf(k, sizeof(k), "k%d", n);
    snprintf(v, sizeof(v), "value number %d", n);
    struct fl_log_record r = {
        (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v), ts, NULL, 0};
    int64_t off = -1;
    struct fl_error e = {0};
    fl_err_t rc = fl_log_append(fx->log, t, p, &r, 1, &off, &e);
    if (rc) fprintf(stderr, "append: %s\n", e.msg);
    assert_int_equal(rc, FL_OK);
    return off;
}

/* Reads every record of a partition from `from`; checks offsets run
 * on without gaps and values match put()'s; returns the count. */
static int64_t read_all(struct fx *fx, const char *t, int p, int64_t from, int64_t *first_n) {
    struct fl_buf buf;
    fl_buf_init(&buf, 64 << 20);
    int64_t off = from, count = 0, expect = from;
    for (;;) {
        fl_buf_reset(&buf);
        int64_t next;
        struct fl_error e = {0};
        assert_int_equal(fl_log_read(fx->log, t, p, off, 3000, &buf, &next, &e), FL_OK);
        if (buf.len == 0) break;
        struct fl_log_batch_iter it;
        struct fl_log_decoded d;
        fl_log_batch_iter_init(&it, buf.data, buf.len);
        fl_err_t rc;
        while ((rc = fl_log_batch_iter_next(&it, &d, &e)) == FL_OK) {
            if (d.offset < off) continue; /* the batch holding `off` may start before it */
            assert_int_equal(d.offset, expect);
            expect++;
            int n;
            assert_int_equal(sscanf((const char *)d.key, "k%d", &n), 1);
            if (count == 0 && first_n) *first_n = n;
            char v[64];
            snprintf(v, sizeof(v), "value number %d", n);
            assert_int_equal(d.value_len, strlen(v));
            assert_memory_equal(d.value, v, d.value_len);
            count++;
        }
        assert_int_equal(rc, FL_ERR_EOF);
        assert_true(next > off);
        off = next;
    }
    fl_buf_fini(&buf);
    return count;
}

static void test_batch_bytes(void **state) {
    (void)state;
    static const uint8_t want[70] = {
        0,    0,    0,    0,    0,    0,    0,    0,    /* baseOffset 0 */
        0,    0,    0,    0x3a,                         /* batchLength 58 = 70 - 12 */
        0,    0,    0,    0,                            /* partitionLeaderEpoch */
        2,                                              /* magic */
        0x71, 0x6a, 0x61, 0x89,                         /* CRC-32C of bytes 21..69 */
        0,    0,                                        /* attributes */
        0,    0,    0,    0,                            /* lastOffsetDelta */
        0,    0,    0,    0,    0,    0,    0x03, 0xe8, /* baseTimestamp 1000 */
        0,    0,    0,    0,    0,    0,    0x03, 0xe8, /* maxTimestamp 1000 */
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* producerId -1 */
        0xff, 0xff,                                     /* producerEpoch -1 */
        0xff, 0xff, 0xff, 0xff,                         /* baseSequence -1 */
        0,    0,    0,    1,                            /* records 1 */
        0x10,                                           /* length 8 (zigzag 16) */
        0,                                              /* attributes */
        0,                                              /* timestampDelta 0 */
        0,                                              /* offsetDelta 0 */
        0x02, 'k',                                      /* key length 1, "k" */
        0x02, 'v',                                      /* value length 1, "v" */
        0,                                              /* no headers */
    };
    struct fl_log_record r = {(const uint8_t *)"k", 1, (const uint8_t *)"v", 1, 1000, NULL, 0};
    struct fl_buf buf;
    fl_buf_init(&buf, 1 << 20);
    assert_int_equal(fl_log_batch_encode(&buf, 0, &r, 1, 5, NULL), FL_OK);
    assert_int_equal(buf.len, sizeof(want));
    assert_memory_equal(buf.data, want, sizeof(want));
    struct fl_log_batch_hdr h;
    assert_int_equal(fl_log_batch_check(buf.data, buf.len, &h, NULL), FL_OK);
    /* one flipped bit anywhere under the CRC is caught */
    buf.data[66] ^= 1;
    assert_int_equal(fl_log_batch_check(buf.data, buf.len, &h, NULL), FL_ERR_CORRUPT);
    fl_buf_fini(&buf);
}

static void test_batch_roundtrip(void **state) {
    (void)state;
    struct fl_log_header hs[2] = {{"h1", 2, (const uint8_t *)"x", 1}, {"h2", 2, NULL, 0}};
    struct fl_log_record r[3] = {
        {NULL, 0, (const uint8_t *)"a", 1, 5000, hs, 2},
        {(const uint8_t *)"key", 3, NULL, 0, 4000, NULL, 0}, /* older than base: negative delta */
        {(const uint8_t *)"", 0, (const uint8_t *)"", 0, -1, NULL, 0},
    };
    struct fl_buf buf;
    fl_buf_init(&buf, 1 << 20);
    assert_int_equal(fl_log_batch_encode(&buf, 42, r, 3, 9000, NULL), FL_OK);
    size_t one = buf.len;
    assert_int_equal(fl_log_batch_encode(&buf, 45, r + 1, 1, 9000, NULL), FL_OK);
    struct fl_log_batch_hdr h;
    fl_log_batch_hdr_parse(buf.data, &h);
    assert_int_equal(h.base_offset, 42);
    assert_int_equal(h.last_offset_delta, 2);
    assert_int_equal(h.base_timestamp, 5000);
    assert_int_equal(h.max_timestamp, 9000);
    assert_int_equal(h.count, 3);
    assert_int_equal(fl_log_batch_check(buf.data, one, &h, NULL), FL_OK);
    struct fl_log_batch_iter it;
    struct fl_log_decoded d;
    struct fl_error e = {0};
    fl_log_batch_iter_init(&it, buf.data, buf.len);
    assert_int_equal(fl_log_batch_iter_next(&it, &d, &e), FL_OK);
    assert_int_equal(d.offset, 42);
    assert_int_equal(d.timestamp_ms, 5000);
    assert_null(d.key);
    assert_int_equal(d.value_len, 1);
    assert_int_equal(d.nheaders, 2);
    const uint8_t *hp = d.headers;
    int hi = 0;
    struct fl_log_header hh;
    assert_int_equal(fl_log_header_next(&d, &hp, &hi, &hh), FL_OK);
    assert_int_equal(hh.key_len, 2);
    assert_memory_equal(hh.key, "h1", 2);
    assert_memory_equal(hh.value, "x", 1);
    assert_int_equal(fl_log_header_next(&d, &hp, &hi, &hh), FL_OK);
    assert_null(hh.value);
    assert_int_equal(fl_log_header_next(&d, &hp, &hi, &hh), FL_ERR_EOF);
    assert_int_equal(fl_log_batch_iter_next(&it, &d, &e), FL_OK);
    assert_int_equal(d.offset, 43);
    assert_int_equal(d.timestamp_ms, 4000);
    assert_memory_equal(d.key, "key", 3);
    assert_null(d.value);
    assert_int_equal(fl_log_batch_iter_next(&it, &d, &e), FL_OK);
    assert_int_equal(d.offset, 44);
    assert_int_equal(d.timestamp_ms, 9000);
    assert_non_null(d.key);
    assert_int_equal(d.key_len, 0);
    assert_int_equal(fl_log_batch_iter_next(&it, &d, &e), FL_OK);
    assert_int_equal(d.offset, 45);
    assert_int_equal(fl_log_batch_iter_next(&it, &d, &e), FL_ERR_EOF);
    /* a batch cut short at the end is the end, as in a fetch response */
    fl_log_batch_iter_init(&it, buf.data, buf.len - 3);
    for (int i = 0; i < 3; i++) assert_int_equal(fl_log_batch_iter_next(&it, &d, &e), FL_OK);
    assert_int_equal(fl_log_batch_iter_next(&it, &d, &e), FL_ERR_EOF);
    /* a corrupt one is an error, never a crash */
    buf.data[30] ^= 0x40;
    fl_log_batch_iter_init(&it, buf.data, buf.len);
    assert_int_equal(fl_log_batch_iter_next(&it, &d, &e), FL_ERR_CORRUPT);
    fl_buf_fini(&buf);
}

/* Vectors from Kafka's UtilsTest.testMurmur2 (apache/kafka,
 * clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java). */
static void test_murmur2(void **state) {
    (void)state;
    static const struct {
        const char *s;
        int32_t h;
    } v[] = {{"21", -973932308},
             {"foobar", -790332482},
             {"a-little-bit-long-string", -985981536},
             {"a-little-bit-longer-string", -1486304829},
             {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
             {"abc", 479470107}};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert_int_equal(fl_log_murmur2((const uint8_t *)v[i].s, strlen(v[i].s)), v[i].h);
    /* toPositive(h) % n: -973932308 & 0x7fffffff = 1173551340 */
    assert_int_equal(fl_log_partition_for_key((const uint8_t *)"21", 2, 7), 1173551340 % 7);
    assert_int_equal(fl_log_partition_for_key((const uint8_t *)"abc", 3, 10), 479470107 % 10);
    /* The partition librdkafka 2.0.2 (Debian's librdkafka1, the library
     * under python3-confluent-kafka) picks with its "murmur2" partitioner,
     * documented as Java-producer compatible: rd_kafka_msg_partitioner_murmur2
     * called through Python ctypes for 7 and 1000 partitions. */
    static const struct {
        const char *k;
        size_t len;
        int p7, p1000;
    } rd[] = {{"", 0, 2, 681},
              {"a", 1, 5, 524},
              {"ab", 2, 0, 434},
              {"abc", 3, 4, 107},
              {"abcd", 4, 5, 100},
              {"Berlin", 6, 4, 229},
              {"Paris", 5, 4, 708},
              {"session-42", 10, 6, 230},
              {"\xff\xfe\x00\x01", 4, 5, 769},
              {"Z\xc3\xbcrich", 7, 2, 833},
              {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 33, 5, 449}};
    for (size_t i = 0; i < sizeof(rd) / sizeof(rd[0]); i++) {
        assert_int_equal(fl_log_partition_for_key((const uint8_t *)rd[i].k, rd[i].len, 7),
                         rd[i].p7);
        assert_int_equal(fl_log_partition_for_key((const uint8_t *)rd[i].k, rd[i].len, 1000),
                         rd[i].p1000);
    }
}

static void test_partitions_roundtrip(void **state) {
    struct fx *fx = *state;
    reopen(fx);
    struct fl_log_topic_config cfg;
    mkcfg(&cfg, 3, FL_LOG_SYNC_NEVER);
    create(fx, "t1", &cfg);
    struct fl_error e = {0};
    assert_int_equal(fl_log_topic_create(fx->log, "t1", &cfg, &e), FL_ERR_EXISTS);
    assert_int_equal(fl_log_topic_ensure(fx->log, "t1", &cfg, NULL), FL_OK);
    assert_int_equal(fl_log_topic_create(fx->log, "bad/name", &cfg, NULL), FL_ERR_INVALID);
    assert_int_equal(fl_log_topic_create(fx->log, "..", &cfg, NULL), FL_ERR_INVALID);
    for (int i = 0; i < 90; i++) assert_int_equal(put(fx, "t1", i % 3, i, -1), i / 3);
    int64_t off;
    assert_int_equal(fl_log_append(fx->log, "t1", 3, NULL, 0, &off, NULL), FL_ERR_INVALID);
    struct fl_log_record r = {NULL, 0, NULL, 0, -1, NULL, 0};
    assert_int_equal(fl_log_append(fx->log, "t1", 3, &r, 1, &off, NULL), FL_ERR_NOTFOUND);
    assert_int_equal(fl_log_append(fx->log, "nope", 0, &r, 1, &off, NULL), FL_ERR_NOTFOUND);
    for (int p = 0; p < 3; p++) assert_int_equal(read_all(fx, "t1", p, 0, NULL), 30);
    reopen(fx);
    for (int p = 0; p < 3; p++) {
        int64_t first;
        assert_int_equal(read_all(fx, "t1", p, 0, &first), 30);
        assert_int_equal(first, p);
        assert_int_equal(put(fx, "t1", p, 1000 + p, -1), 30);
    }
    int n;
    struct fl_log_partition_info info[3];
    assert_int_equal(fl_log_topic_describe(fx->log, "t1", &n, &cfg, info, 3, NULL), FL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(cfg.sync, FL_LOG_SYNC_NEVER);
    assert_int_equal(info[1].start_offset, 0);
    assert_int_equal(info[1].end_offset, 31);
    assert_int_equal(info[1].segments, 1);
    struct fl_buf buf;
    fl_buf_init(&buf, 1 << 20);
    int64_t next;
    assert_int_equal(fl_log_read(fx->log, "t1", 0, 32, 100, &buf, &next, NULL), FL_ERR_RANGE);
    assert_int_equal(fl_log_read(fx->log, "t1", 0, 31, 100, &buf, &next, NULL), FL_OK);
    assert_int_equal(buf.len, 0);
    assert_int_equal(next, 31);
    fl_buf_fini(&buf);
    assert_int_equal(fl_log_topic_delete(fx->log, "t1", NULL), FL_OK);
    assert_int_equal(fl_log_topic_delete(fx->log, "t1", NULL), FL_ERR_NOTFOUND);
    reopen(fx);
    assert_int_equal(fl_log_topic_describe(fx->log, "t1", &n, NULL, NULL, 0, NULL),
                     FL_ERR_NOTFOUND);
}

static void test_offset_time_roll_retention(void **state) {
    struct fx *fx = *state;
    reopen(fx);
    struct fl_log_topic_config cfg;
    mkcfg(&cfg, 1, FL_LOG_SYNC_ALWAYS);
    cfg.segment_bytes = 4096;
    create(fx, "r", &cfg);
    /* timestamps 1000, 1010, ...; every tenth record goes back in time */
    for (int i = 0; i < 400; i++) put(fx, "r", 0, i, 1000 + 10 * i - (i % 10 == 9 ? 25 : 0));
    struct fl_log_partition_info info;
    int n;
    assert_int_equal(fl_log_topic_describe(fx->log, "r", &n, NULL, &info, 1, NULL), FL_OK);
    assert_true(info.segments >= 5);
    assert_int_equal(info.end_offset, 400);
    for (int pass = 0; pass < 2; pass++) {
        /* every offset reads back from the batch that holds it */
        for (int64_t o = 0; o < 400; o += 7)
            assert_int_equal(read_all(fx, "r", 0, o, NULL), 400 - o);
        int64_t off;
        assert_int_equal(fl_log_offset_for_time(fx->log, "r", 0, 0, &off, NULL), FL_OK);
        assert_int_equal(off, 0);
        assert_int_equal(fl_log_offset_for_time(fx->log, "r", 0, 1000 + 10 * 123, &off, NULL),
                         FL_OK);
        assert_int_equal(off, 123);
        assert_int_equal(fl_log_offset_for_time(fx->log, "r", 0, 1000 + 10 * 123 + 1, &off, NULL),
                         FL_OK);
        assert_int_equal(off, 124);
        /* record 129 is stamped 2265: the first at or after 2262 is 127 */
        assert_int_equal(fl_log_offset_for_time(fx->log, "r", 0, 2262, &off, NULL), FL_OK);
        assert_int_equal(off, 127);
        assert_int_equal(fl_log_offset_for_time(fx->log, "r", 0, 999999, &off, NULL), FL_OK);
        assert_int_equal(off, 400);
        reopen(fx); /* the indexes read back (sealed segments) or rebuilt */
    }
    /* retention by size keeps at least retention_bytes, never the active */
    struct fl_log_partition_info before = info;
    fl_log_close(fx->log);
    fx->log = NULL;
    char path[200];
    snprintf(path, sizeof(path), "%s/topics/r/topic.json", fx->dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"partitions\":1,\"sync\":\"always\",\"segment_bytes\":4096,\"retention_bytes\":"
               "10000,\"retention_ms\":-1}");
    fclose(f);
    /* a lost index is rebuilt */
    snprintf(path, sizeof(path), "%s/topics/r/0/00000000000000000000.index", fx->dir);
    assert_int_equal(unlink(path), 0);
    reopen(fx);
    int removed;
    assert_int_equal(fl_log_retention_run(fx->log, &removed, NULL), FL_OK);
    assert_true(removed > 0);
    assert_int_equal(fl_log_topic_describe(fx->log, "r", &n, NULL, &info, 1, NULL), FL_OK);
    assert_int_equal(info.segments, before.segments - removed);
    assert_true(info.start_offset > 0);
    assert_true(info.bytes >= 10000);
    int64_t first;
    assert_int_equal(read_all(fx, "r", 0, info.start_offset, &first), 400 - info.start_offset);
    assert_int_equal(first, info.start_offset);
    struct fl_buf buf;
    fl_buf_init(&buf, 1 << 20);
    int64_t next;
    assert_int_equal(fl_log_read(fx->log, "r", 0, info.start_offset - 1, 100, &buf, &next, NULL),
                     FL_ERR_RANGE);
    fl_buf_fini(&buf);
    /* retention by age: every record is from 1970, so all but the active go */
    f = fopen(path, "r");
    (void)f;
    if (f) fclose(f);
    snprintf(path, sizeof(path), "%s/topics/r/topic.json", fx->dir);
    fl_log_close(fx->log);
    fx->log = NULL;
    f = fopen(path, "w");
    fprintf(
        f,
        "{\"partitions\":1,\"sync\":\"always\",\"segment_bytes\":4096,\"retention_ms\":86400000}");
    fclose(f);
    reopen(fx);
    assert_int_equal(fl_log_retention_run(fx->log, &removed, NULL), FL_OK);
    assert_int_equal(fl_log_topic_describe(fx->log, "r", &n, NULL, &info, 1, NULL), FL_OK);
    assert_int_equal(info.segments, 1);
    assert_int_equal(info.end_offset, 400);
    assert_int_equal(put(fx, "r", 0, 400, -1), 400);
    assert_int_equal(read_all(fx, "r", 0, info.start_offset, NULL), 401 - info.start_offset);
}

static void test_consumer_offsets(void **state) {
    struct fx *fx = *state;
    reopen(fx);
    struct fl_log_topic_config cfg;
    mkcfg(&cfg, 2, FL_LOG_SYNC_ALWAYS);
    create(fx, "o", &cfg);
    int64_t off;
    assert_int_equal(fl_log_offset_fetch(fx->log, "g1", "o", 0, &off, NULL), FL_ERR_NOTFOUND);
    assert_int_equal(fl_log_offset_commit(fx->log, "g1", "o", 0, 5, NULL), FL_OK);
    assert_int_equal(fl_log_offset_commit(fx->log, "g1", "o", 1, 7, NULL), FL_OK);
    assert_int_equal(fl_log_offset_commit(fx->log, "g1", "o", 0, 6, NULL), FL_OK);
    assert_int_equal(fl_log_offset_commit(fx->log, "../weird group/..", "o", 0, 9, NULL), FL_OK);
    reopen(fx);
    assert_int_equal(fl_log_offset_fetch(fx->log, "g1", "o", 0, &off, NULL), FL_OK);
    assert_int_equal(off, 6);
    assert_int_equal(fl_log_offset_fetch(fx->log, "g1", "o", 1, &off, NULL), FL_OK);
    assert_int_equal(off, 7);
    assert_int_equal(fl_log_offset_fetch(fx->log, "../weird group/..", "o", 0, &off, NULL), FL_OK);
    assert_int_equal(off, 9);
    assert_int_equal(fl_log_offset_fetch(fx->log, "g2", "o", 0, &off, NULL), FL_ERR_NOTFOUND);
}

static int64_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void copy_prefix(const char *from, const char *to, int64_t len) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char b[4096];
    while (len > 0) {
        size_t n = fread(b, 1, len < (int64_t)sizeof(b) ? (size_t)len : sizeof(b), in);
        assert_true(n > 0);
        fwrite(b, 1, n, out);
        len -= (int64_t)n;
    }
    fclose(in);
    fclose(out);
}

static void test_torn_tail(void **state) {
    struct fx *fx = *state;
    reopen(fx);
    struct fl_log_topic_config cfg;
    mkcfg(&cfg, 1, FL_LOG_SYNC_NEVER);
    create(fx, "torn", &cfg);
    char seg[200], save[200];
    snprintf(seg, sizeof(seg), "%s/topics/torn/0/00000000000000000000.log", fx->dir);
    snprintf(save, sizeof(save), "%s/saved.log", fx->dir);
    /* enough batches for a few index entries before the last one */
    for (int i = 0; i < 120; i++) put(fx, "torn", 0, i, 1000 + i);
    int64_t last_start = file_size(seg);
    struct fl_log_record r[3] = {
        {(const uint8_t *)"k120", 4, (const uint8_t *)"value number 120", 16, 5000, NULL, 0},
        {(const uint8_t *)"k121", 4, (const uint8_t *)"value number 121", 16, 5001, NULL, 0},
        {(const uint8_t *)"k122", 4, (const uint8_t *)"value number 122", 16, 5002, NULL, 0},
    };
    int64_t off;
    assert_int_equal(fl_log_append(fx->log, "torn", 0, r, 3, &off, NULL), FL_OK);
    int64_t end = file_size(seg);
    fl_log_close(fx->log);
    fx->log = NULL;
    copy_prefix(seg, save, end);
    for (int64_t cut = last_start; cut <= end; cut++) {
        copy_prefix(save, seg, cut);
        reopen(fx);
        int64_t want = cut == end ? 123 : 120;
        struct fl_log_partition_info info;
        assert_int_equal(fl_log_topic_describe(fx->log, "torn", NULL, NULL, &info, 1, NULL), FL_OK);
        assert_int_equal(info.end_offset, want);
        assert_int_equal(file_size(seg), cut == end ? end : last_start);
        assert_int_equal(read_all(fx, "torn", 0, 0, NULL), want);
        /* the next append continues right after the last whole batch */
        if (cut % 16 == 0) {
            assert_int_equal(put(fx, "torn", 0, (int)want, -1), want);
            assert_int_equal(read_all(fx, "torn", 0, 0, NULL), want + 1);
        }
        fl_log_close(fx->log);
        fx->log = NULL;
    }
    /* a flipped byte (a CRC mismatch) in the batch at the last index entry,
     * then in the one after it: the good data ends right before it */
    int64_t pos[130], nb = 0, p = 0;
    FILE *f = fopen(save, "rb");
    while (p < end) {
        uint8_t h[12];
        fseek(f, (long)p, SEEK_SET);
        assert_int_equal(fread(h, 1, 12, f), 12);
        pos[nb++] = p;
        p += 12 + ((int64_t)h[8] << 24 | h[9] << 16 | h[10] << 8 | h[11]);
    }
    fclose(f);
    assert_int_equal(nb, 121);
    char idx[200];
    snprintf(idx, sizeof(idx), "%s/topics/torn/0/00000000000000000000.index", fx->dir);
    int64_t isz = file_size(idx);
    assert_true(isz >= 16);
    uint8_t ent[8];
    f = fopen(idx, "rb");
    fseek(f, (long)isz - 8, SEEK_SET);
    assert_int_equal(fread(ent, 1, 8, f), 8);
    fclose(f);
    int64_t last_idx = (int64_t)ent[0] << 24 | ent[1] << 16 | ent[2] << 8 | ent[3];
    assert_true(last_idx > 0 && last_idx < 119);
    for (int k = 0; k < 2; k++) {
        int64_t b = last_idx + k;
        copy_prefix(save, seg, end);
        f = fopen(seg, "r+b");
        fseek(f, (long)pos[b] + 40, SEEK_SET);
        fputc(0x55, f);
        fclose(f);
        reopen(fx);
        struct fl_log_partition_info info;
        assert_int_equal(fl_log_topic_describe(fx->log, "torn", NULL, NULL, &info, 1, NULL), FL_OK);
        assert_int_equal(info.end_offset, b);
        assert_int_equal(file_size(seg), pos[b]);
        assert_int_equal(read_all(fx, "torn", 0, 0, NULL), b);
        assert_int_equal(put(fx, "torn", 0, (int)b, -1), b);
        assert_int_equal(read_all(fx, "torn", 0, 0, NULL), b + 1);
        fl_log_close(fx->log);
        fx->log = NULL;
    }
}

struct thr {
    struct fx *fx;
    int id, n;
    int64_t *offs;
};

static void *appender(void *arg) {
    struct thr *t = arg;
    for (int i = 0; i < t->n; i++) {
        char k[32], v[64];
        int tag = t->id * 100000 + i;
        snprintf(k, sizeof(k), "k%d", tag);
        snprintf(v, sizeof(v), "value number %d", tag);
        struct fl_log_record r = {
            (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v), -1, NULL, 0};
        if (fl_log_append(t->fx->log, "gc", t->id % 2, &r, 1, &t->offs[i], NULL) != FL_OK)
            t->offs[i] = -1;
    }
    return NULL;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_group_commit(void **state) {
    struct fx *fx = *state;
    reopen(fx);
    struct fl_log_topic_config cfg;
    mkcfg(&cfg, 2, FL_LOG_SYNC_ALWAYS);
    cfg.segment_bytes = 16384; /* rolls while others wait for an fsync */
    create(fx, "gc", &cfg);
    enum { T = 6, N = 150 };
    struct thr th[T];
    pthread_t tid[T];
    for (int i = 0; i < T; i++) {
        th[i] = (struct thr){fx, i, N, calloc(N, sizeof(int64_t))};
        pthread_create(&tid[i], NULL, appender, &th[i]);
    }
    for (int i = 0; i < T; i++) pthread_join(tid[i], NULL);
    for (int p = 0; p < 2; p++) {
        int64_t all[T * N];
        int k = 0;
        for (int i = p; i < T; i += 2)
            for (int j = 0; j < N; j++) all[k++] = th[i].offs[j];
        qsort(all, (size_t)k, sizeof(all[0]), cmp64);
        for (int j = 0; j < k; j++) assert_int_equal(all[j], j); /* unique and contiguous */
        assert_int_equal(read_all(fx, "gc", p, 0, NULL), k);
    }
    /* each thread's records are in its own order */
    reopen(fx);
    for (int i = 0; i < T; i++) {
        for (int j = 1; j < N; j++) assert_true(th[i].offs[j] > th[i].offs[j - 1]);
        free(th[i].offs);
    }
    assert_int_equal(read_all(fx, "gc", 0, 0, NULL), T / 2 * N);
}

/* Concurrent appenders while fdatasync fails with ENOSPC now and then:
 * every append returns FL_OK or FL_ERR_LIMIT, and the partition holds
 * exactly the acknowledged records, each at its acknowledged offset. */
static void test_group_commit_enospc(void **state) {
    struct fx *fx = *state;
    reopen(fx);
    struct fl_log_topic_config cfg;
    mkcfg(&cfg, 2, FL_LOG_SYNC_ALWAYS);
    create(fx, "gc", &cfg);
    enum { T = 4, N = 100 };
    struct thr th[T];
    pthread_t tid[T];
    fx->faults.fsync_enospc = 6;
    for (int i = 0; i < T; i++) {
        th[i] = (struct thr){fx, i, N, calloc(N, sizeof(int64_t))};
        pthread_create(&tid[i], NULL, appender, &th[i]);
    }
    for (int i = 0; i < T; i++) pthread_join(tid[i], NULL);
    assert_int_equal(fx->faults.fsync_enospc, 0);
    reopen(fx);
    struct fl_buf buf;
    fl_buf_init(&buf, 64 << 20);
    int failed = 0;
    for (int p = 0; p < 2; p++) {
        int acked = 0;
        for (int i = p; i < T; i += 2)
            for (int j = 0; j < N; j++) acked += th[i].offs[j] >= 0;
        struct fl_log_partition_info info[2];
        assert_int_equal(fl_log_topic_describe(fx->log, "gc", NULL, NULL, info, 2, NULL), FL_OK);
        assert_int_equal(info[p].end_offset, acked);
        fl_buf_reset(&buf);
        int64_t next;
        assert_int_equal(fl_log_read(fx->log, "gc", p, 0, 64 << 20, &buf, &next, NULL), FL_OK);
        assert_int_equal(next, acked);
        struct fl_log_batch_iter it;
        struct fl_log_decoded d;
        fl_log_batch_iter_init(&it, buf.data, buf.len);
        while (fl_log_batch_iter_next(&it, &d, NULL) == FL_OK) {
            int tag;
            assert_int_equal(sscanf((const char *)d.key, "k%d", &tag), 1);
            assert_int_equal(th[tag / 100000].offs[tag % 100000], d.offset);
        }
    }
    for (int i = 0; i < T; i++) {
        for (int j = 0; j < N; j++) failed += th[i].offs[j] < 0;
        free(th[i].offs);
    }
    assert_true(failed >= 1);
    fl_buf_fini(&buf);
}

static void test_limits_and_faults(void **state) {
    struct fx *fx = *state;
    reopen(fx);
    struct fl_log_topic_config cfg;
    mkcfg(&cfg, 1, FL_LOG_SYNC_ALWAYS);
    cfg.max_append_bytes = 2048;
    create(fx, "lim", &cfg);
    put(fx, "lim", 0, 0, -1);
    char big[4096];
    memset(big, 'x', sizeof(big));
    struct fl_log_record r = {NULL, 0, (const uint8_t *)big, sizeof(big), -1, NULL, 0};
    int64_t off;
    struct fl_error e = {0};
    assert_int_equal(fl_log_append(fx->log, "lim", 0, &r, 1, &off, &e), FL_ERR_INVALID);
    /* injected ENOSPC: half a batch hits the disk, is cut off, nothing acknowledged */
    char seg[200];
    snprintf(seg, sizeof(seg), "%s/topics/lim/0/00000000000000000000.log", fx->dir);
    int64_t size = file_size(seg);
    fx->faults.write_enospc = 1;
    r.value_len = 1000;
    assert_int_equal(fl_log_append(fx->log, "lim", 0, &r, 1, &off, NULL), FL_ERR_LIMIT);
    assert_int_equal(file_size(seg), size);
    assert_int_equal(put(fx, "lim", 0, 1, -1), 1);
    /* the disk cap: refused before writing */
    fx->opts.max_disk_bytes = file_size(seg) + 100;
    reopen(fx);
    assert_int_equal(fl_log_append(fx->log, "lim", 0, &r, 1, &off, NULL), FL_ERR_LIMIT);
    fx->opts.max_disk_bytes = -1;
    fx->opts.min_free_bytes = INT64_C(1) << 60; /* more than any disk has free */
    reopen(fx);
    assert_int_equal(fl_log_append(fx->log, "lim", 0, &r, 1, &off, NULL), FL_ERR_LIMIT);
    fx->opts.min_free_bytes = 0;
    reopen(fx);
    assert_int_equal(read_all(fx, "lim", 0, 0, NULL), 2);
    /* ENOSPC from fdatasync (delayed allocation): the unsynced append is cut
     * off and refused as a disk limit; the partition goes on */
    int64_t before = file_size(seg);
    fx->faults.fsync_enospc = 1;
    assert_int_equal(fl_log_append(fx->log, "lim", 0, &r, 1, &off, NULL), FL_ERR_LIMIT);
    assert_int_equal(file_size(seg), before);
    struct fl_log_partition_info info;
    assert_int_equal(fl_log_topic_describe(fx->log, "lim", NULL, NULL, &info, 1, NULL), FL_OK);
    assert_int_equal(info.end_offset, 2);
    assert_int_equal(put(fx, "lim", 0, 2, -1), 2);
    reopen(fx);
    assert_int_equal(read_all(fx, "lim", 0, 0, NULL), 3);
    /* a failed fsync: not acknowledged, and the partition refuses appends until reopened */
    fx->faults.fsync_eio = 1;
    assert_int_equal(fl_log_append(fx->log, "lim", 0, &r, 1, &off, NULL), FL_ERR_IO);
    assert_int_equal(fl_log_append(fx->log, "lim", 0, &r, 1, &off, NULL), FL_ERR_IO);
    reopen(fx);
    assert_int_equal(put(fx, "lim", 0, 4, -1), 4); /* the unacknowledged one was recovered */
}

static void test_interval_policy(void **state) {
    struct fx *fx = *state;
    reopen(fx);
    struct fl_log_topic_config cfg;
    mkcfg(&cfg, 1, FL_LOG_SYNC_INTERVAL);
    cfg.flush_interval_ms = 5;
    create(fx, "iv", &cfg);
    for (int i = 0; i < 50; i++) {
        put(fx, "iv", 0, i, -1);
        if (i % 10 == 0) usleep(10000);
    }
    assert_int_equal(read_all(fx, "iv", 0, 0, NULL), 50);
    reopen(fx);
    assert_int_equal(read_all(fx, "iv", 0, 0, NULL), 50);
}

struct race {
    struct fx *fx;
    int done; /* __atomic */
    long reads, errors;
};

static void *race_appender(void *arg) {
    struct race *r = arg;
    for (int i = 0; i < 1500; i++) put(r->fx, "race", 0, i, -1);
    __atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Reads from the partition's start to its end over and over while
 * retention removes segments under it; offsets must run on without gaps. */
static void *race_reader(void *arg) {
    struct race *r = arg;
    struct fl_buf buf;
    fl_buf_init(&buf, 1 << 20);
    while (!__atomic_load_n(&r->done, __ATOMIC_SEQ_CST)) {
        struct fl_log_partition_info info;
        if (fl_log_topic_describe(r->fx->log, "race", NULL, NULL, &info, 1, NULL) != FL_OK) break;
        int64_t off = info.start_offset;
        for (;;) {
            fl_buf_reset(&buf);
            int64_t next;
            fl_err_t rc = fl_log_read(r->fx->log, "race", 0, off, 2000, &buf, &next, NULL);
            if (rc == FL_ERR_RANGE) break; /* retention passed us: start over */
            if (rc != FL_OK) {
                r->errors++;
                break;
            }
            if (buf.len == 0) break;
            struct fl_log_batch_iter it;
            struct fl_log_decoded d;
            fl_log_batch_iter_init(&it, buf.data, buf.len);
            int64_t expect = off;
            while ((rc = fl_log_batch_iter_next(&it, &d, NULL)) == FL_OK) {
                if (d.offset < off) continue;
                if (d.offset != expect) r->errors++;
                expect++;
            }
            if (rc != FL_ERR_EOF || next != expect) r->errors++;
            off = next;
            r->reads++;
        }
    }
    fl_buf_fini(&buf);
    return NULL;
}

static void test_read_during_retention(void **state) {
    struct fx *fx = *state;
    reopen(fx);
    struct fl_log_topic_config cfg;
    mkcfg(&cfg, 1, FL_LOG_SYNC_NEVER);
    cfg.segment_bytes = 4096;
    cfg.retention_bytes = 8192;
    create(fx, "race", &cfg);
    struct race r = {fx, 0, 0, 0};
    pthread_t a, b;
    pthread_create(&a, NULL, race_appender, &r);
    pthread_create(&b, NULL, race_reader, &r);
    int removed = 0;
    while (!__atomic_load_n(&r.done, __ATOMIC_SEQ_CST)) {
        int n;
        assert_int_equal(fl_log_retention_run(fx->log, &n, NULL), FL_OK);
        removed += n;
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    assert_int_equal(r.errors, 0);
    assert_true(removed > 0);
    assert_true(r.reads > 0);
    struct fl_log_partition_info info;
    assert_int_equal(fl_log_topic_describe(fx->log, "race", NULL, NULL, &info, 1, NULL), FL_OK);
    assert_int_equal(info.end_offset, 1500);
    assert_int_equal(read_all(fx, "race", 0, info.start_offset, NULL), 1500 - info.start_offset);
}

static void test_read_only_and_lock(void **state) {
    struct fx *fx = *state;
    reopen(fx);
    struct fl_log_topic_config cfg;
    mkcfg(&cfg, 1, FL_LOG_SYNC_ALWAYS);
    create(fx, "ro", &cfg);
    for (int i = 0; i < 10; i++) put(fx, "ro", 0, i, -1);
    /* a second writer is refused while the first holds the log */
    struct fl_log *other = NULL;
    struct fl_error e = {0};
    assert_int_equal(fl_log_open(&fx->opts, &other, &e), FL_ERR_CONFLICT);
    /* a reader beside it sees what is there and writes nothing */
    struct fl_log_opts ro = fx->opts;
    ro.read_only = true;
    assert_int_equal(fl_log_open(&ro, &other, &e), FL_OK);
    struct fl_log *writer = fx->log;
    fx->log = other;
    assert_int_equal(read_all(fx, "ro", 0, 0, NULL), 10);
    struct fl_log_record r = {NULL, 0, NULL, 0, -1, NULL, 0};
    int64_t off;
    assert_int_equal(fl_log_append(other, "ro", 0, &r, 1, &off, NULL), FL_ERR_INVALID);
    assert_int_equal(fl_log_topic_create(other, "x", &cfg, NULL), FL_ERR_INVALID);
    assert_int_equal(fl_log_offset_commit(other, "g", "ro", 0, 1, NULL), FL_ERR_INVALID);
    fx->log = writer;
    put(fx, "ro", 0, 10, -1);
    fl_log_close(other);
    /* a reader of a folder with no log yet sees no topics */
    char empty[96];
    snprintf(empty, sizeof(empty), "%s/none", fx->dir);
    ro.dir = empty;
    assert_int_equal(fl_log_open(&ro, &other, &e), FL_OK);
    int n;
    assert_int_equal(fl_log_topic_describe(other, "ro", &n, NULL, NULL, 0, NULL), FL_ERR_NOTFOUND);
    fl_log_close(other);
}

/* A folder path + "/" + name of total length len under base: nested
 * folders of at most 200 bytes a name, created; the path into out. */
static void deep_dir(const char *base, size_t len, char *out, size_t outsz) {
    snprintf(out, outsz, "%s", base);
    while (strlen(out) < len) {
        size_t n = strlen(out), add = len - n - 1;
        if (add > 200) add = 200;
        if (add == 0) add = 1, out[n - 1] = 'x'; /* never a trailing "/" */
        out[n] = '/';
        memset(out + n + 1, 'd', add);
        out[n + 1 + add] = 0;
        assert_true(mkdir(out, 0755) == 0 || errno == EEXIST);
    }
}

/* A path that would not fit PATH_MAX is an error naming it, never a
 * file at a shortened path: a topic whose segment index would be 4097
 * bytes long (the old code created "...00000000000000000000.ind"), and
 * a log folder too long for its lock file. */
static void test_long_paths(void **state) {
    struct fx *fx = *state;
    char dir[4200];
    deep_dir(fx->dir, 3860, dir, sizeof(dir));
    struct fl_log_opts o = fx->opts;
    o.dir = dir;
    struct fl_log *log = NULL;
    struct fl_error e = {0};
    assert_int_equal(fl_log_open(&o, &log, &e), FL_OK);
    char topic[201];
    memset(topic, 'a', 200);
    topic[200] = 0;
    struct fl_log_topic_config cfg;
    mkcfg(&cfg, 1, FL_LOG_SYNC_ALWAYS);
    assert_int_equal(fl_log_topic_create(log, topic, &cfg, &e), FL_ERR_LIMIT);
    assert_non_null(strstr(e.msg, "over the limit of 4095"));
    char path[4500];
    snprintf(path, sizeof(path), "%s/topics/%s", dir, topic);
    struct stat st;
    assert_int_equal(stat(path, &st), -1); /* nothing was made */
    /* a shorter name fits: the same folder works */
    topic[100] = 0;
    fl_err_clear(&e);
    assert_int_equal(fl_log_topic_create(log, topic, &cfg, &e), FL_OK);
    fl_log_close(log);

    char longer[4200];
    deep_dir(fx->dir, 4090, longer, sizeof(longer));
    o.dir = longer;
    fl_err_clear(&e);
    assert_int_equal(fl_log_open(&o, &log, &e), FL_ERR_LIMIT);
    if (!strstr(e.msg, "over the limit")) fail_msg("%s", e.msg);
}

/* Adding partitions while one thread appends to every partition it can
 * see and another reads them all: the new ones take appends at once,
 * nothing is lost or misplaced, a shrink or a no-op is refused, a reopen
 * sees the new count, a folder left by a crash before the count was
 * written is reused by the next add, and a read-only view sees the count. */
struct grow {
    struct fx *fx;
    int done; /* __atomic */
    int64_t appended[16];
    int max_seen, errors, reads;
};

static void *grow_appender(void *arg) {
    struct grow *g = arg;
    /* after done (all partitions added): 32 more, every partition twice */
    for (int i = 0, tail = 0; !__atomic_load_n(&g->done, __ATOMIC_ACQUIRE) || tail++ < 32; i++) {
        int n = 0;
        if (fl_log_topic_describe(g->fx->log, "grow", &n, NULL, NULL, 0, NULL) != FL_OK || n < 2 ||
            n > 16) {
            g->errors++;
            break;
        }
        if (n > g->max_seen) g->max_seen = n;
        int p = i % n;
        char v[32];
        snprintf(v, sizeof(v), "p%d n%lld", p, (long long)g->appended[p]);
        struct fl_log_record r = {NULL, 0, (const uint8_t *)v, strlen(v), -1, NULL, 0};
        int64_t off = -1;
        if (fl_log_append(g->fx->log, "grow", p, &r, 1, &off, NULL) != FL_OK ||
            off != g->appended[p])
            g->errors++;
        g->appended[p]++;
    }
    return NULL;
}

static void *grow_reader(void *arg) {
    struct grow *g = arg;
    struct fl_buf buf;
    fl_buf_init(&buf, 1 << 20);
    while (!__atomic_load_n(&g->done, __ATOMIC_ACQUIRE)) {
        struct fl_log_partition_info info[16];
        int n = 0;
        if (fl_log_topic_describe(g->fx->log, "grow", &n, NULL, info, 16, NULL) != FL_OK) {
            g->errors++;
            break;
        }
        for (int p = 0; p < n && p < 16; p++) {
            fl_buf_reset(&buf);
            int64_t next;
            /* every published partition reads, from 0 to its end */
            if (fl_log_read(g->fx->log, "grow", p, 0, 1 << 20, &buf, &next, NULL) != FL_OK)
                g->errors++;
            struct fl_log_batch_iter it;
            struct fl_log_decoded d;
            fl_log_batch_iter_init(&it, buf.data, buf.len);
            int64_t expect = 0;
            fl_err_t rc;
            while ((rc = fl_log_batch_iter_next(&it, &d, NULL)) == FL_OK) {
                char v[32];
                snprintf(v, sizeof(v), "p%d n%lld", p, (long long)expect);
                if (d.offset != expect || d.value_len != strlen(v) ||
                    memcmp(d.value, v, d.value_len))
                    g->errors++;
                expect++;
            }
            fl_log_batch_iter_fini(&it);
            if (rc != FL_ERR_EOF) g->errors++;
        }
        g->reads++;
    }
    fl_buf_fini(&buf);
    return NULL;
}

static void test_add_partitions(void **state) {
    struct fx *fx = *state;
    reopen(fx);
    struct fl_log_topic_config cfg;
    mkcfg(&cfg, 2, FL_LOG_SYNC_NEVER);
    cfg.segment_bytes = 4096; /* rolls while it grows */
    create(fx, "grow", &cfg);
    struct fl_error e = {0};
    int before = -1, n = 0;
    /* refused: a shrink, the same count, past the limit, an unknown topic */
    assert_int_equal(fl_log_topic_add_partitions(fx->log, "grow", 1, false, &before, &e),
                     FL_ERR_RANGE);
    assert_non_null(strstr(e.msg, "never removed"));
    assert_int_equal(before, 2);
    fl_err_clear(&e);
    assert_int_equal(fl_log_topic_add_partitions(fx->log, "grow", 2, false, NULL, &e),
                     FL_ERR_RANGE);
    assert_non_null(strstr(e.msg, "already has 2"));
    assert_int_equal(
        fl_log_topic_add_partitions(fx->log, "grow", FL_LOG_MAX_PARTITIONS + 1, false, NULL, &e),
        FL_ERR_LIMIT);
    assert_int_equal(fl_log_topic_add_partitions(fx->log, "nope", 3, false, NULL, &e),
                     FL_ERR_NOTFOUND);
    /* validate only: checked, nothing made */
    assert_int_equal(fl_log_topic_add_partitions(fx->log, "grow", 3, true, NULL, &e), FL_OK);
    assert_int_equal(fl_log_topic_describe(fx->log, "grow", &n, NULL, NULL, 0, NULL), FL_OK);
    assert_int_equal(n, 2);
    char path[256];
    struct stat st;
    snprintf(path, sizeof(path), "%s/topics/grow/2", fx->dir);
    assert_int_equal(stat(path, &st), -1);

    struct grow g = {.fx = fx};
    pthread_t a, b;
    pthread_create(&a, NULL, grow_appender, &g);
    pthread_create(&b, NULL, grow_reader, &g);
    const int steps[] = {3, 5, 8, 16};
    for (int i = 0; i < 4; i++) {
        usleep(20000);
        fl_err_clear(&e);
        fl_err_t rc = fl_log_topic_add_partitions(fx->log, "grow", steps[i], false, &before, &e);
        if (rc) fail_msg("add: %s", e.msg);
        assert_int_equal(before, i ? steps[i - 1] : 2);
    }
    usleep(20000);
    __atomic_store_n(&g.done, 1, __ATOMIC_RELEASE);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    assert_int_equal(g.errors, 0);
    assert_int_equal(g.max_seen, 16);
    assert_true(g.reads > 0);
    struct fl_log_partition_info info[16];
    for (int round = 0; round < 2; round++) { /* now, and after a reopen */
        assert_int_equal(fl_log_topic_describe(fx->log, "grow", &n, &cfg, info, 16, NULL), FL_OK);
        assert_int_equal(n, 16);
        assert_int_equal(cfg.partitions, 16);
        assert_int_equal(cfg.segment_bytes, 4096); /* the rest of the config kept */
        for (int p = 0; p < 16; p++) {
            assert_true(g.appended[p] > 0);
            assert_int_equal(info[p].end_offset, g.appended[p]);
        }
        reopen(fx);
    }
    assert_int_equal(fl_log_topic_add_partitions(fx->log, "grow", 15, false, NULL, &e),
                     FL_ERR_RANGE);
    /* a crash between making partition 16's folder and renaming the new
     * topic.json: the folder is there, the count still 16; the next add
     * reopens it as it is */
    fl_log_close(fx->log);
    fx->log = NULL;
    snprintf(path, sizeof(path), "%s/topics/grow/16", fx->dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/topics/grow/16/00000000000000000000.log", fx->dir);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);
    close(fd);
    reopen(fx);
    assert_int_equal(fl_log_topic_describe(fx->log, "grow", &n, NULL, NULL, 0, NULL), FL_OK);
    assert_int_equal(n, 16);
    assert_int_equal(fl_log_topic_add_partitions(fx->log, "grow", 17, false, NULL, &e), FL_OK);
    struct fl_log_record r = {NULL, 0, (const uint8_t *)"p16", 3, -1, NULL, 0};
    int64_t off = -1;
    assert_int_equal(fl_log_append(fx->log, "grow", 16, &r, 1, &off, &e), FL_OK);
    assert_int_equal(off, 0);
    /* a read-only view beside the writer sees the count too */
    struct fl_log_opts ro = fx->opts;
    ro.read_only = true;
    fl_log_close(fx->log);
    fx->log = NULL;
    struct fl_log *rl = NULL;
    assert_int_equal(fl_log_open(&ro, &rl, &e), FL_OK);
    assert_int_equal(fl_log_topic_describe(rl, "grow", &n, NULL, NULL, 0, NULL), FL_OK);
    assert_int_equal(n, 17);
    assert_int_equal(fl_log_topic_add_partitions(rl, "grow", 18, false, NULL, &e), FL_ERR_INVALID);
    fl_log_close(rl);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_bytes),
        cmocka_unit_test(test_batch_roundtrip),
        cmocka_unit_test(test_murmur2),
        cmocka_unit_test_setup_teardown(test_partitions_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offset_time_roll_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consumer_offsets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_and_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_enospc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interval_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_and_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_during_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_partitions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
