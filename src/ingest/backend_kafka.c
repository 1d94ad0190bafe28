/*
 * backend_kafka.c - the ingest backend over an external Kafka cluster
 * (see backend_kafka.h).
 *
 * How it works: one idempotent librdkafka producer; a thread polls it
 * for delivery reports. An append (under amu, one at a time) produces
 * each record with a pointer to the call's state as the message opaque,
 * then waits until every record is delivered or refused; the first
 * record's offset is the call's base offset. Partition counts come from
 * metadata requests, cached for a few seconds.
 */
#include "ingest/backend_kafka.h"
#include "core/mem.h"
#include "core/time.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define META_TTL_US (5 * 1000000)

struct topic_count {
    char *name;
    int partitions;
    int64_t at_us;
};

struct kbe {
    rd_kafka_t *rk;
    struct fl_store *store;
    pthread_t poller;
    int stop;
    pthread_mutex_t amu; /* one append at a time */
    pthread_mutex_t mu;  /* the cache */
    struct topic_count *topics;
    int ntopics;
};

/* One append's delivery state. */
struct call {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int left;
    rd_kafka_resp_err_t err;
    int64_t first, last;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk, (void)opaque;
    struct call *c = m->_private;
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    if (m->err && !c->err) c->err = m->err;
    if (!m->err && (c->first < 0 || m->offset < c->first)) c->first = m->offset;
    if (!m->err && m->offset > c->last) c->last = m->offset;
    if (--c->left == 0) pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void *poll_main(void *arg) {
    struct kbe *kb = arg;
    while (!__atomic_load_n(&kb->stop, __ATOMIC_ACQUIRE)) rd_kafka_poll(kb->rk, 100);
    return NULL;
}

static fl_err_t be_partitions(void *ctx, const char *topic, bool create, int *partitions,
                              struct fl_error *err) {
    (void)create; /* the cluster's topics: not created here */
    struct kbe *kb = ctx;
    int64_t now = fl_time_mono_us();
    pthread_mutex_lock(&kb->mu);
    for (int i = 0; i < kb->ntopics; i++)
        if (!strcmp(kb->topics[i].name, topic) && now - kb->topics[i].at_us < META_TTL_US) {
            *partitions = kb->topics[i].partitions;
            pthread_mutex_unlock(&kb->mu);
            return FL_OK;
        }
    pthread_mutex_unlock(&kb->mu);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(kb->rk, topic, NULL);
    if (!rkt) return fl_errf(err, FL_ERR_INVALID, "topic %s: not a Kafka topic name", topic);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(kb->rk, 0, rkt, &md, 5000);
    fl_err_t rc = FL_OK;
    int n = 0;
    if (e)
        rc = fl_errf(err, FL_ERR_IO, "kafka: metadata of %s: %s", topic, rd_kafka_err2str(e));
    else if (md->topic_cnt < 1 || md->topics[0].err || md->topics[0].partition_cnt < 1)
        rc = fl_errf(err, FL_ERR_NOTFOUND, "topic %s: not in the Kafka cluster (%s)", topic,
                     md->topic_cnt > 0 ? rd_kafka_err2str(md->topics[0].err) : "no metadata");
    else
        n = md->topics[0].partition_cnt;
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    if (rc) return rc;
    pthread_mutex_lock(&kb->mu);
    int i = 0;
    while (i < kb->ntopics && strcmp(kb->topics[i].name, topic)) i++;
    if (i == kb->ntopics && kb->ntopics < 1024) {
        kb->topics = fl_reallocarray(kb->topics, (size_t)kb->ntopics + 1, sizeof(*kb->topics));
        kb->topics[kb->ntopics++].name = fl_strdup(topic);
    }
    if (i < kb->ntopics) kb->topics[i] = (struct topic_count){kb->topics[i].name, n, now};
    pthread_mutex_unlock(&kb->mu);
    *partitions = n;
    return FL_OK;
}

/* Produces one record, waiting while librdkafka's local queue is full. */
static rd_kafka_resp_err_t produce_one(struct kbe *kb, const char *topic, int partition,
                                       const struct fl_log_record *r, struct call *c) {
    rd_kafka_headers_t *hs = NULL;
    if (r->nheaders > 0) {
        hs = rd_kafka_headers_new((size_t)r->nheaders);
        for (int h = 0; h < r->nheaders; h++)
            rd_kafka_header_add(hs, r->headers[h].key, (ssize_t)r->headers[h].key_len,
                                r->headers[h].value, (ssize_t)r->headers[h].value_len);
    }
    for (;;) {
        rd_kafka_headers_t *copy = hs ? rd_kafka_headers_copy(hs) : NULL;
        rd_kafka_resp_err_t e =
            rd_kafka_producev(kb->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_KEY((void *)r->key, r->key ? r->key_len : 0),
                              RD_KAFKA_V_VALUE((void *)r->value, r->value ? r->value_len : 0),
                              RD_KAFKA_V_TIMESTAMP(r->timestamp_ms > 0 ? r->timestamp_ms : 0),
                              RD_KAFKA_V_HEADERS(copy), RD_KAFKA_V_OPAQUE(c), RD_KAFKA_V_END);
        if (e && copy) rd_kafka_headers_destroy(copy); /* not taken */
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            if (hs) rd_kafka_headers_destroy(hs);
            return e;
        }
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL); /* the poller drains deliveries meanwhile */
    }
}

static fl_err_t be_append(void *ctx, const char *topic, int partition,
                          const struct fl_log_record *recs, int n, int64_t *base_offset,
                          struct fl_error *err) {
    struct kbe *kb = ctx;
    struct call c = {.err = RD_KAFKA_RESP_ERR_NO_ERROR, .first = -1, .last = -1};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    pthread_mutex_lock(&kb->amu);
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
    int sent = 0;
    for (; sent < n; sent++) {
        pthread_mutex_lock(&c.mu);
        c.left++;
        pthread_mutex_unlock(&c.mu);
        if ((e = produce_one(kb, topic, partition, &recs[sent], &c))) {
            pthread_mutex_lock(&c.mu);
            c.left--;
            pthread_mutex_unlock(&c.mu);
            break;
        }
    }
    /* every record sent is reported once, delivered or not: wait for all */
    pthread_mutex_lock(&c.mu);
    while (c.left > 0) pthread_cond_wait(&c.cv, &c.mu);
    pthread_mutex_unlock(&c.mu);
    pthread_mutex_unlock(&kb->amu);
    pthread_cond_destroy(&c.cv);
    pthread_mutex_destroy(&c.mu);
    if (!e) e = c.err;
    if (e)
        return fl_errf(err, e == RD_KAFKA_RESP_ERR__QUEUE_FULL ? FL_ERR_LIMIT : FL_ERR_IO,
                       "kafka: produce to %s/%d: %s (%d of %d records sent)", topic, partition,
                       rd_kafka_err2str(e), sent, n);
    if (n > 0 && c.last - c.first != n - 1)
        return fl_errf(err, FL_ERR_IO,
                       "kafka: %s/%d: %d records got offsets %lld..%lld, not consecutive", topic,
                       partition, n, (long long)c.first, (long long)c.last);
    *base_offset = c.first;
    return FL_OK;
}

static fl_err_t be_put_file(void *ctx, const char *key, const void *data, size_t len,
                            struct fl_error *err) {
    struct kbe *kb = ctx;
    return fl_store_put(kb->store, key, data, len, err);
}

static fl_err_t set(rd_kafka_conf_t *conf, const char *key, const char *value,
                    struct fl_error *err) {
    char why[512];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) != RD_KAFKA_CONF_OK)
        return fl_errf(err, FL_ERR_INVALID, "log.kafka property %s: %s", key, why);
    return FL_OK;
}

fl_err_t fl_ingest_backend_kafka_init(struct fl_ingest_backend *be, const char *bootstrap,
                                      const char *const *keys, const char *const *values, int n,
                                      struct fl_store *store, struct fl_error *err) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    fl_err_t rc = set(conf, "linger.ms", "2", err);
    if (!rc) rc = set(conf, "client.id", "floe-ingest", err);
    for (int i = 0; !rc && i < n; i++) rc = set(conf, keys[i], values[i], err);
    if (!rc) rc = set(conf, "bootstrap.servers", bootstrap, err);
    if (!rc) rc = set(conf, "enable.idempotence", "true", err); /* acks=all, no duplicates */
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    char why[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return fl_errf(err, FL_ERR_INVALID, "log.kafka: %s", why);
    }
    struct kbe *kb = fl_calloc(1, sizeof(*kb));
    kb->rk = rk;
    kb->store = store;
    pthread_mutex_init(&kb->amu, NULL);
    pthread_mutex_init(&kb->mu, NULL);
    if (pthread_create(&kb->poller, NULL, poll_main, kb)) {
        rd_kafka_destroy(rk);
        fl_free(kb);
        return fl_errf(err, FL_ERR_NOMEM, "log.kafka: cannot start a thread");
    }
    be->ctx = kb;
    be->topic_partitions = be_partitions;
    be->append = be_append;
    be->append_async = NULL; /* the coalescer (coalesce.c) provides it */
    be->put_file = be_put_file;
    return FL_OK;
}

void fl_ingest_backend_kafka_fini(struct fl_ingest_backend *be) {
    struct kbe *kb = be->ctx;
    if (!kb) return;
    rd_kafka_flush(kb->rk, 10000);
    __atomic_store_n(&kb->stop, 1, __ATOMIC_RELEASE);
    pthread_join(kb->poller, NULL);
    rd_kafka_destroy(kb->rk);
    for (int i = 0; i < kb->ntopics; i++) fl_free(kb->topics[i].name);
    fl_free(kb->topics);
    pthread_mutex_destroy(&kb->amu);
    pthread_mutex_destroy(&kb->mu);
    fl_free(kb);
    be->ctx = NULL;
}
