/*
 * kafka.c - the broker behind every connection (kafka.h): its state,
 * the request header and dispatch to one handler per API (the API table
 * below is the one list of what floe speaks and at which versions), the
 * error codes of log errors, topic lookup with creation on first use,
 * topic ids and the new-data signal of long-polling fetches.
 *
 * How it works: fl_kafka_handle reads the request header (v0-v2: v2 when
 * the API's version is flexible, with tagged fields), writes the
 * response header (v1 with tagged fields when flexible, but always v0
 * for ApiVersions, as clients expect), and calls the handler on the
 * rest; the size field is patched at the end. The request bytes are
 * the caller's and mutable: Produce patches base offsets into its
 * batches in place and stores them from there. An unknown API or version
 * gets UNSUPPORTED_VERSION (ApiVersions: a v0 reply listing the APIs,
 * so the client can pick); only an unreadable header or body closes the
 * connection (FL_ERR_CORRUPT to the server).
 */
#include "kafka/kafka_int.h"

#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const struct fl_kafka_api fl_kafka_apis[] = {
    {0, 0, 9, 9, "Produce", fl_kafka_produce, FL_AUTH_WRITE},
    {1, 4, 13, 12, "Fetch", fl_kafka_fetch, FL_AUTH_READ},
    {2, 1, 6, 6, "ListOffsets", fl_kafka_list_offsets, FL_AUTH_READ},
    {3, 0, 12, 9, "Metadata", fl_kafka_metadata, 0},
    {8, 0, 8, 8, "OffsetCommit", fl_kafka_offset_commit, FL_AUTH_READ},
    {9, 0, 7, 6, "OffsetFetch", fl_kafka_offset_fetch, FL_AUTH_READ},
    {10, 0, 3, 3, "FindCoordinator", fl_kafka_find_coordinator, 0},
    {11, 0, 7, 6, "JoinGroup", fl_kafka_join_group, FL_AUTH_READ},
    {12, 0, 4, 4, "Heartbeat", fl_kafka_heartbeat, FL_AUTH_READ},
    {13, 0, 5, 4, "LeaveGroup", fl_kafka_leave_group, FL_AUTH_READ},
    {14, 0, 5, 4, "SyncGroup", fl_kafka_sync_group, FL_AUTH_READ},
    {15, 0, 5, 5, "DescribeGroups", fl_kafka_describe_groups, FL_AUTH_READ},
    {16, 0, 4, 3, "ListGroups", fl_kafka_list_groups, FL_AUTH_READ},
    {17, 0, 1, -1, "SaslHandshake", fl_kafka_sasl_handshake, 0},
    {18, 0, 3, 3, "ApiVersions", fl_kafka_api_versions, 0},
    {19, 0, 5, 5, "CreateTopics", fl_kafka_create_topics, FL_AUTH_ADMIN},
    {20, 0, 5, 4, "DeleteTopics", fl_kafka_delete_topics, FL_AUTH_ADMIN},
    {22, 0, 4, 2, "InitProducerId", fl_kafka_init_producer_id, FL_AUTH_WRITE},
    {32, 0, 4, 4, "DescribeConfigs", fl_kafka_describe_configs, FL_AUTH_READ},
    {36, 0, 2, 2, "SaslAuthenticate", fl_kafka_sasl_authenticate, 0},
    {37, 0, 3, 2, "CreatePartitions", fl_kafka_create_partitions, FL_AUTH_ADMIN},
};
const int fl_kafka_napis = (int)(sizeof(fl_kafka_apis) / sizeof(fl_kafka_apis[0]));

bool fl_kafka_sasl_on(const struct fl_kafka *k) {
    return k->cfg.nusers > 0 || fl_auth_required(k->cfg.auth);
}

void fl_kafka_config_default(struct fl_kafka_config *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->advertised_host = "127.0.0.1";
    cfg->auto_create_topics = true;
    fl_log_topic_config_default(&cfg->topic_defaults);
    cfg->max_request_bytes = FL_KAFKA_REQUEST_BYTES_DEFAULT;
    cfg->max_connections = FL_KAFKA_CONNECTIONS_DEFAULT;
    cfg->max_inflight_bytes = FL_KAFKA_INFLIGHT_BYTES_DEFAULT;
    cfg->max_block_ms = FL_KAFKA_BLOCK_MS_DEFAULT;
}

fl_err_t fl_kafka_new(struct fl_log *log, const struct fl_kafka_config *cfg, struct fl_kafka **out,
                      struct fl_error *err) {
    struct fl_kafka *k = fl_calloc(1, sizeof(*k));
    k->log = log;
    k->cfg = *cfg;
    atomic_init(&k->port, cfg->advertised_port);
    atomic_init(&k->stopping, false);
    pthread_mutex_init(&k->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&k->data_cond, &ca);
    pthread_condattr_destroy(&ca);
    fl_err_t rc = fl_kafka_producers_new(&k->producers);
    if (!rc) rc = fl_kafka_groups_new(&k->groups, err);
    if (rc) {
        fl_kafka_free(k);
        return rc;
    }
    *out = k;
    return FL_OK;
}

void fl_kafka_free(struct fl_kafka *k) {
    if (!k) return;
    fl_kafka_groups_free(k->groups);
    fl_kafka_producers_free(k->producers);
    pthread_cond_destroy(&k->data_cond);
    pthread_mutex_destroy(&k->lock);
    fl_free(k);
}

void fl_kafka_stop_waits(struct fl_kafka *k) {
    atomic_store(&k->stopping, true);
    fl_kafka_notify(k);
    fl_kafka_groups_wake(k->groups);
}

void fl_kafka_set_port(struct fl_kafka *k, int port) {
    if (k->cfg.advertised_port == 0) atomic_store(&k->port, port);
}

int16_t fl_kafka_code(fl_err_t rc) {
    switch (rc) {
    case FL_OK:
        return FL_KAFKA_NONE;
    case FL_ERR_CORRUPT:
        return FL_KAFKA_CORRUPT_MESSAGE;
    case FL_ERR_NOTFOUND:
        return FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    case FL_ERR_RANGE:
        return FL_KAFKA_MESSAGE_TOO_LARGE;
    case FL_ERR_LIMIT:
    case FL_ERR_IO:
        return FL_KAFKA_KAFKA_STORAGE_ERROR;
    case FL_ERR_UNSUPPORTED:
        return FL_KAFKA_UNSUPPORTED_COMPRESSION_TYPE;
    default:
        return FL_KAFKA_UNKNOWN_SERVER_ERROR;
    }
}

int16_t fl_kafka_topic_partitions(struct fl_kafka *k, const char *topic, bool create,
                                  int *partitions) {
    struct fl_error err = {0};
    if (k->cfg.forward) { /* the external cluster's topics: never created here */
        fl_err_t frc =
            k->cfg.forward->partitions(k->cfg.forward->ctx, topic, false, partitions, &err);
        if (frc == FL_ERR_NOTFOUND || frc == FL_ERR_INVALID)
            return FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
        return frc ? FL_KAFKA_UNKNOWN_SERVER_ERROR : FL_KAFKA_NONE;
    }
    fl_err_t rc = fl_log_topic_describe(k->log, topic, partitions, NULL, NULL, 0, &err);
    if (rc == FL_ERR_NOTFOUND && create && k->cfg.auto_create_topics) {
        rc = fl_log_topic_ensure(k->log, topic, &k->cfg.topic_defaults, &err);
        if (rc == FL_ERR_INVALID) return FL_KAFKA_INVALID_TOPIC_EXCEPTION;
        if (!rc) rc = fl_log_topic_describe(k->log, topic, partitions, NULL, NULL, 0, &err);
    }
    if (rc == FL_ERR_NOTFOUND || rc == FL_ERR_INVALID) return FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    return rc ? FL_KAFKA_UNKNOWN_SERVER_ERROR : FL_KAFKA_NONE;
}

int32_t fl_kafka_topic_head(struct fl_kafka_rd *rd, struct fl_kafka_wr *w, bool flex,
                            size_t min_item, char *name, bool *named) {
    struct fl_kafka_str s = fl_kafka_rd_str(rd, flex);
    int32_t np = fl_kafka_rd_array(rd, flex, min_item);
    if (rd->bad) return -1;
    *named = fl_kafka_str_copy(s, name, FL_KAFKA_TOPIC_MAX + 1);
    fl_kafka_wr_kstr(w, flex, s);
    fl_kafka_wr_array(w, flex, np < 0 ? 0 : np);
    return np < 0 ? 0 : np;
}

int16_t fl_kafka_topic_info(struct fl_kafka *k, const char *topic, int *partitions,
                            struct fl_log_partition_info **info) {
    *info = NULL;
    int16_t code = fl_kafka_topic_partitions(k, topic, false, partitions);
    if (code) return code;
    struct fl_error err = {0};
    *info = fl_calloc((size_t)*partitions, sizeof(**info));
    if (fl_log_topic_describe(k->log, topic, partitions, NULL, *info, *partitions, &err)) {
        fl_free(*info);
        *info = NULL;
        return FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    }
    return FL_KAFKA_NONE;
}

void fl_kafka_topic_id(const char *topic, uint8_t id[16]) {
    /* two FNV-1a 64 hashes of the name with different offsets: stable
     * across restarts, never all zero (zero means "no id") */
    uint64_t h[2] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL};
    for (int i = 0; i < 2; i++)
        for (const char *p = topic; *p; p++) h[i] = (h[i] ^ (uint8_t)*p) * 0x100000001b3ULL;
    for (int i = 0; i < 16; i++) id[i] = (uint8_t)(h[i / 8] >> (8 * (i % 8)));
    id[6] = (uint8_t)((id[6] & 0x0f) | 0x40); /* a version-4 shaped UUID */
    id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
}

struct by_id {
    const uint8_t *id;
    char *out;
    bool found;
};

static int by_id_one(void *ctx, const char *topic) {
    struct by_id *b = ctx;
    uint8_t id[16];
    fl_kafka_topic_id(topic, id);
    if (memcmp(id, b->id, 16)) return 0;
    snprintf(b->out, FL_KAFKA_TOPIC_MAX + 1, "%s", topic);
    b->found = true;
    return 1;
}

bool fl_kafka_topic_by_id(struct fl_kafka *k, const uint8_t id[16], char *out) {
    struct by_id b = {id, out, false};
    struct fl_error err = {0};
    fl_log_topic_list(k->log, by_id_one, &b, &err);
    return b.found;
}

void fl_kafka_notify(struct fl_kafka *k) {
    pthread_mutex_lock(&k->lock);
    k->seq++;
    pthread_cond_broadcast(&k->data_cond);
    pthread_mutex_unlock(&k->lock);
}

uint64_t fl_kafka_seq(struct fl_kafka *k) {
    pthread_mutex_lock(&k->lock);
    uint64_t s = k->seq;
    pthread_mutex_unlock(&k->lock);
    return s;
}

void fl_kafka_wait(struct fl_kafka *k, uint64_t *seq, int64_t deadline_us) {
    struct timespec ts = {(time_t)(deadline_us / 1000000), (long)(deadline_us % 1000000) * 1000};
    pthread_mutex_lock(&k->lock);
    while (k->seq == *seq && fl_time_mono_us() < deadline_us && !atomic_load(&k->stopping))
        if (pthread_cond_timedwait(&k->data_cond, &k->lock, &ts) == ETIMEDOUT) break;
    *seq = k->seq;
    pthread_mutex_unlock(&k->lock);
}

static const struct fl_kafka_api *api_find(int16_t key) {
    for (int i = 0; i < fl_kafka_napis; i++)
        if (fl_kafka_apis[i].key == key) return &fl_kafka_apis[i];
    return NULL;
}

/* ApiVersions for a version it does not know: a v0 reply (Kafka's
 * fallback), so that the client learns the versions and asks again. */
static void api_versions_fallback(struct fl_kafka_wr *w) {
    fl_kafka_wr_i16(w, FL_KAFKA_UNSUPPORTED_VERSION);
    fl_kafka_wr_array(w, false, fl_kafka_napis);
    for (int i = 0; i < fl_kafka_napis; i++) {
        fl_kafka_wr_i16(w, fl_kafka_apis[i].key);
        fl_kafka_wr_i16(w, fl_kafka_apis[i].min);
        fl_kafka_wr_i16(w, fl_kafka_apis[i].max);
    }
}

fl_err_t fl_kafka_waits_run(struct fl_kafka *k, struct fl_kafka_waits *waits,
                            struct fl_error *err) {
    fl_err_t rc = FL_OK;
    for (int i = 0; i < waits->n && !rc; i++) {
        struct fl_kafka_wait *x = &waits->v[i];
        rc = fl_log_wait_durable(k->log, x->topic, x->part, &x->d, err);
        if (rc) fl_kafka_producers_forget(k, x->topic, x->part);
    }
    if (waits->n && !rc) fl_kafka_notify(k); /* now visible to fetches (sync always) */
    waits->n = 0;
    return rc;
}

void fl_kafka_waits_fini(struct fl_kafka_waits *waits) {
    fl_free(waits->v);
    memset(waits, 0, sizeof(*waits));
}

/* What an API answers a key whose role lacks it; 0: the connection closes. */
static int16_t denied_code(int16_t key) {
    switch (key) {
    case 0:
    case 1:
    case 2: /* Produce, Fetch, ListOffsets: per partition */
    case 19:
    case 20:
    case 37: /* CreateTopics, DeleteTopics, CreatePartitions: per topic */
        return FL_KAFKA_TOPIC_AUTHORIZATION_FAILED;
    case 8:
    case 9:
    case 11:
    case 12:
    case 13:
    case 14:
    case 15: /* the group APIs */
        return FL_KAFKA_GROUP_AUTHORIZATION_FAILED;
    default:
        return 0;
    }
}

fl_err_t fl_kafka_handle(struct fl_kafka *k, uint8_t *req, size_t len, struct fl_buf *out,
                         struct fl_kafka_waits *waits, struct fl_kafka_session *sess,
                         struct fl_error *err) {
    struct fl_kafka_rd rd;
    struct fl_kafka_wr w;
    struct fl_kafka_req rq = {0};
    rq.waits = waits;
    rq.sess = sess;
    fl_buf_reset(out);
    fl_kafka_rd_init(&rd, req, len);
    fl_kafka_wr_init(&w, out);
    rq.key = fl_kafka_rd_i16(&rd);
    rq.version = fl_kafka_rd_i16(&rd);
    rq.corr = fl_kafka_rd_i32(&rd);
    if (rd.bad) return fl_errf(err, FL_ERR_CORRUPT, "request of %zu bytes: no header", len);
    size_t size_at = fl_kafka_wr_mark32(&w);
    fl_kafka_wr_i32(&w, rq.corr);
    const struct fl_kafka_api *api = api_find(rq.key);
    fl_err_t rc = FL_OK;
    if (fl_kafka_sasl_on(k) && sess && !sess->authenticated && rq.key != 18 && rq.key != 17 &&
        rq.key != 36)
        return fl_errf(err, FL_ERR_CORRUPT, "API %d before SASL authentication", rq.key);
    /* an auth: key's role (kafka.users have every grant): Produce, Fetch
     * and ListOffsets answer TOPIC_AUTHORIZATION_FAILED for each
     * partition, the topic admin APIs it for each topic, the group APIs
     * GROUP_AUTHORIZATION_FAILED, and the connection stays; any other API the role does not allow
     * closes the connection. The reason goes to floe's log. */
    if (api && sess && sess->authenticated && (sess->grants & api->grants) != api->grants) {
        const char *role = api->grants & FL_AUTH_ADMIN   ? "admin"
                           : api->grants & FL_AUTH_WRITE ? "write"
                                                         : "read";
        rq.denied = denied_code(api->key);
        if (!rq.denied)
            return fl_errf(err, FL_ERR_CORRUPT, "%s: key %.100s lacks the %s role", api->name,
                           sess->key_name, role);
        fl_warn("kafka: %s: key %.100s lacks the %s role: %s_AUTHORIZATION_FAILED", api->name,
                sess->key_name, role,
                rq.denied == FL_KAFKA_GROUP_AUTHORIZATION_FAILED ? "GROUP" : "TOPIC");
    }
    if (!api || rq.version < api->min || rq.version > api->max) {
        if (api && api->key == 18)
            api_versions_fallback(&w);
        else
            fl_kafka_wr_i16(&w, FL_KAFKA_UNSUPPORTED_VERSION);
    } else {
        rq.flex = api->flex_from >= 0 && rq.version >= api->flex_from;
        rq.client_id = fl_kafka_rd_str(&rd, false);
        fl_kafka_rd_tags(&rd, rq.flex);
        if (rd.bad)
            return fl_errf(err, FL_ERR_CORRUPT, "%s v%d: bad request header", api->name,
                           rq.version);
        fl_kafka_wr_tags(&w, rq.flex && api->key != 18);
        rc = api->fn(k, &rq, &rd, &w);
        if (rc)
            return fl_errf(err, rc, "%s v%d: malformed request (%zu bytes)", api->name, rq.version,
                           len);
    }
    if (rq.no_reply) {
        fl_buf_reset(out);
        return FL_OK;
    }
    if (w.bad)
        return fl_errf(err, FL_ERR_LIMIT, "reply to API %d over the connection's in-flight limit",
                       rq.key);
    fl_kafka_wr_patch32(&w, size_at, (int32_t)(out->len - 4));
    return FL_OK;
}
