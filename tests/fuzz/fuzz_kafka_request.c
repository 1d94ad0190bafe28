/*
 * fuzz_kafka_request.c - libFuzzer target: the input is one Kafka request
 * frame (the bytes after its size field) handed to fl_kafka_handle, the
 * function the server calls for every frame it reads. Every length,
 * count, varint and batch in it is untrusted: the reply must be a whole
 * frame whose size field matches, or the request refused with
 * FL_ERR_CORRUPT (the server would close the connection), never a crash
 * or a read past the input. The log (one topic "t" of two partitions,
 * sync never) lives in a temp folder for the whole run; waits are off
 * (max_block_ms 0); CreateTopics, DeleteTopics and CreatePartitions
 * inputs are skipped so that the run does not fill the disk with topics
 * and partitions (test_kafka.c feeds CreatePartitions truncated requests).
 *
 * Inputs whose size is 3 modulo 4 go (trusted) to a second server
 * configured as under `log: {kafka: ...}` (kafka.h's forward): its
 * Produce decodes each batch into records for the external cluster;
 * the fake cluster here reads every byte of every key, value and header
 * it is given (so a pointer past the input is caught) and acknowledges.
 *
 * Seeds in tests/fuzz/corpus/kafka_request/: ApiVersions v3, Metadata
 * v9, Produce v3 and v9 with a record batch, Fetch v11, JoinGroup v5,
 * SaslHandshake v1 and SaslAuthenticate v2 (user alice, as configured),
 * and produce_v3_forward / produce_v9_forward (the Produce seeds with
 * trailing zero bytes making their size 3 modulo 4: the forward path).
 */
#include "core/buf.h"
#include "core/endian.h"
#include "kafka/kafka.h"
#include "log/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fl_log *lg;
static struct fl_kafka *kf, *kf_fwd;
static volatile uint8_t sink;

static fl_err_t fwd_partitions(void *ctx, const char *topic, bool create, int *partitions,
                               struct fl_error *err) {
    (void)ctx, (void)create;
    if (strcmp(topic, "t")) return fl_errf(err, FL_ERR_NOTFOUND, "no topic %s", topic);
    *partitions = 2;
    return FL_OK;
}

static void touch(const void *p, size_t n) {
    const uint8_t *b = p;
    uint8_t x = 0;
    for (size_t i = 0; b && i < n; i++) x ^= b[i];
    sink ^= x;
}

static fl_err_t fwd_append(void *ctx, const char *topic, int partition,
                           const struct fl_log_record *recs, int n, int64_t *base_offset,
                           struct fl_error *err) {
    (void)ctx, (void)topic, (void)partition, (void)err;
    for (int i = 0; i < n; i++) {
        touch(recs[i].key, recs[i].key_len);
        touch(recs[i].value, recs[i].value_len);
        for (int h = 0; h < recs[i].nheaders; h++) {
            touch(recs[i].headers[h].key, recs[i].headers[h].key_len);
            touch(recs[i].headers[h].value, recs[i].headers[h].value_len);
        }
    }
    *base_offset = 0;
    return FL_OK;
}
static const struct fl_kafka_forward fwd = {NULL, fwd_partitions, fwd_append};

static void init(void) {
    static char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/floe_fuzz_kafka_XXXXXX");
    if (!mkdtemp(dir)) abort();
    struct fl_log_opts o;
    fl_log_opts_default(&o);
    o.dir = dir;
    o.retention_check_ms = -1;
    struct fl_error err = {0};
    if (fl_log_open(&o, &lg, &err)) abort();
    struct fl_log_topic_config tc;
    fl_log_topic_config_default(&tc);
    tc.partitions = 2;
    tc.sync = FL_LOG_SYNC_NEVER;
    tc.retention_bytes = 1 << 20;
    tc.segment_bytes = 1 << 20;
    if (fl_log_topic_create(lg, "t", &tc, &err)) abort();
    struct fl_kafka_config c;
    fl_kafka_config_default(&c);
    c.max_block_ms = 0;
    c.auto_create_topics = false;
    c.max_inflight_bytes = 4 << 20;
    static const struct fl_kafka_user users[] = {{"alice", "secret"}};
    c.users = users;
    c.nusers = 1;
    if (fl_kafka_new(lg, &c, &kf, &err)) abort();
    c.forward = &fwd;
    c.nusers = 0;
    if (fl_kafka_new(lg, &c, &kf_fwd, &err)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!kf) init();
    if (size >= 2 && (data[0] == 0 && (data[1] == 19 || data[1] == 20 || data[1] == 37))) return 0;
    uint8_t *req = malloc(size ? size : 1); /* the handler patches batches in place */
    if (size) memcpy(req, data, size);
    struct fl_buf out;
    struct fl_error err = {0};
    fl_buf_init(&out, 4 << 20);
    /* even inputs start unauthenticated (users are configured), odd ones trusted */
    struct fl_kafka_session sess = {0};
    fl_err_t rc = size % 4 == 3
                      ? fl_kafka_handle(kf_fwd, req, size, &out, NULL, NULL, &err)
                      : fl_kafka_handle(kf, req, size, &out, NULL, size % 2 ? NULL : &sess, &err);
    if (rc == FL_OK && out.len && (out.len < 8 || fl_be32(out.data) != out.len - 4)) abort();
    if (rc != FL_OK && rc != FL_ERR_CORRUPT && rc != FL_ERR_LIMIT) abort();
    fl_buf_fini(&out);
    free(req);
    return 0;
}
