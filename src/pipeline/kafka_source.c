/*
 * kafka_source.c - a pipeline's librdkafka consumer (see kafka_source.h).
 *
 * The rebalance callback runs inside the poll, on the pipeline's thread:
 * on assignment it asks the owner for each partition's start (the
 * table's offset) and assigns with those offsets, so the group's
 * committed offsets count only for a partition the table has never
 * seen; on revocation it marks the partitions unassigned and flags the
 * step when one had in-flight records. Eager and cooperative assignors
 * both work (assign vs incremental_assign).
 */
#include "pipeline/kafka_source.h"
#include "core/log.h"
#include "core/mem.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

#define BATCH_MSGS 4096

struct fl_ksrc {
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    char *name;
    fl_ksrc_start_fn start;
    void *start_ctx;
    struct fl_ksrc_part *parts;
    int nparts, cparts;
    bool revoked;
    char error[512]; /* an error event the next poll returns; "" none */
    rd_kafka_message_t *msgs[BATCH_MSGS];
};

static struct fl_ksrc_part *find_part(struct fl_ksrc *k, const char *topic, int32_t partition,
                                      bool add) {
    for (int i = 0; i < k->nparts; i++)
        if (k->parts[i].partition == partition && !strcmp(k->parts[i].topic, topic))
            return &k->parts[i];
    if (!add) return NULL;
    if (k->nparts == k->cparts) {
        k->cparts = k->cparts ? 2 * k->cparts : 16;
        k->parts = fl_reallocarray(k->parts, (size_t)k->cparts, sizeof(*k->parts));
    }
    struct fl_ksrc_part *p = &k->parts[k->nparts++];
    *p = (struct fl_ksrc_part){fl_strdup(topic), partition, -1, -1, -1, false};
    return p;
}

static void on_assign(struct fl_ksrc *k, rd_kafka_topic_partition_list_t *ps) {
    for (int i = 0; i < ps->cnt; i++) {
        rd_kafka_topic_partition_t *e = &ps->elems[i];
        struct fl_ksrc_part *p = find_part(k, e->topic, e->partition, true);
        int64_t off = k->start(k->start_ctx, e->topic, e->partition);
        p->base = off;
        p->next = off;
        p->first = -1;
        p->assigned = true;
        e->offset = off >= 0 ? off : RD_KAFKA_OFFSET_INVALID;
        fl_log(FL_LOG_INFO, "pipeline %s: assigned %s/%d from %s%lld", k->name, e->topic,
               (int)e->partition, off >= 0 ? "the table's offset " : "(none in the table) ",
               (long long)off);
    }
}

static void on_revoke(struct fl_ksrc *k, rd_kafka_topic_partition_list_t *ps) {
    for (int i = 0; i < ps->cnt; i++) {
        struct fl_ksrc_part *p = find_part(k, ps->elems[i].topic, ps->elems[i].partition, false);
        if (!p) continue;
        if (p->first >= 0) k->revoked = true; /* its in-flight records are dropped */
        p->assigned = false;
        fl_log(FL_LOG_INFO, "pipeline %s: revoked %s/%d%s", k->name, p->topic, (int)p->partition,
               p->first >= 0 ? " (in-flight records dropped)" : "");
    }
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *ps, void *opaque) {
    struct fl_ksrc *k = opaque;
    bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        on_assign(k, ps);
        rd_kafka_error_t *e = NULL;
        if (coop)
            e = rd_kafka_incremental_assign(rk, ps);
        else
            rd_kafka_assign(rk, ps);
        if (e) {
            fl_log(FL_LOG_ERROR, "pipeline %s: assign: %s", k->name, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        return;
    }
    on_revoke(k, ps);
    if (coop) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, ps);
        if (e) rd_kafka_error_destroy(e);
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

/* Whether a librdkafka error code is one no retry fixes (credentials,
 * rights, a missing topic, a fatal error): the step fails with it. */
static bool permanent(int e) {
    switch (e) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__FATAL:
        return true;
    default:
        return false;
    }
}

/* Error events (served inside the poll, on the pipeline's thread): a
 * permanent one is kept for the poll to return, others logged (librdkafka
 * retries them: a broker down, a connection lost). */
static void error_cb(rd_kafka_t *rk, int e, const char *reason, void *opaque) {
    struct fl_ksrc *k = opaque;
    char fatal[256];
    if (e == RD_KAFKA_RESP_ERR__FATAL && rd_kafka_fatal_error(rk, fatal, sizeof(fatal)))
        reason = fatal;
    if (permanent(e))
        snprintf(k->error, sizeof(k->error), "%s", reason);
    else
        fl_log(FL_LOG_WARN, "pipeline %s: kafka: %s", k->name, reason);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    fl_log(level <= 3   ? FL_LOG_ERROR
           : level <= 4 ? FL_LOG_WARN
                        : FL_LOG_INFO,
           "librdkafka %s: %s", fac, buf);
}

static fl_err_t set(rd_kafka_conf_t *conf, const char *key, const char *value,
                    struct fl_error *err) {
    char why[512];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) != RD_KAFKA_CONF_OK)
        return fl_errf(err, FL_ERR_INVALID, "kafka property %s: %s", key, why);
    return FL_OK;
}

fl_err_t fl_ksrc_new(const struct fl_pipe_kafka_config *cfg, const char *name,
                     fl_ksrc_start_fn start, void *start_ctx, struct fl_ksrc **out,
                     struct fl_error *err) {
    *out = NULL;
    if (!cfg->bootstrap || !cfg->group || cfg->ntopics < 1)
        return fl_errf(err, FL_ERR_INVALID, "kafka source: needs bootstrap, group and topics");
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* defaults the properties may change */
    fl_err_t rc = set(conf, "auto.offset.reset", "earliest", err);
    if (!rc) rc = set(conf, "client.id", "floe", err);
    for (int i = 0; !rc && i < cfg->nprops; i++)
        rc = set(conf, cfg->prop_keys[i], cfg->prop_values[i], err);
    /* what exactly-once depends on: offsets live in the table */
    if (!rc) rc = set(conf, "bootstrap.servers", cfg->bootstrap, err);
    if (!rc) rc = set(conf, "group.id", cfg->group, err);
    if (!rc) rc = set(conf, "enable.auto.commit", "false", err);
    if (!rc) rc = set(conf, "enable.auto.offset.store", "false", err);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    struct fl_ksrc *k = fl_calloc(1, sizeof(*k));
    k->name = fl_strdup(name);
    k->start = start;
    k->start_ctx = start_ctx;
    rd_kafka_conf_set_opaque(conf, k);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    char why[512];
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
    if (!k->rk) {
        rd_kafka_conf_destroy(conf);
        fl_free(k->name);
        fl_free(k);
        return fl_errf(err, FL_ERR_INVALID, "kafka source: %s", why);
    }
    rd_kafka_poll_set_consumer(k->rk); /* errors and rebalances come with the messages */
    k->q = rd_kafka_queue_get_consumer(k->rk);
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(cfg->ntopics);
    for (int i = 0; i < cfg->ntopics; i++)
        rd_kafka_topic_partition_list_add(subs, cfg->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(k->rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (e) {
        rc = fl_errf(err, FL_ERR_INVALID, "kafka source: subscribe: %s", rd_kafka_err2str(e));
        fl_ksrc_free(k);
        return rc;
    }
    *out = k;
    return FL_OK;
}

/* An error message from the consumer: transient ones are logged (the
 * poll goes on), the others returned. */
static fl_err_t message_error(struct fl_ksrc *k, const rd_kafka_message_t *m,
                              struct fl_error *err) {
    char fatal[512];
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return FL_OK;
    if (m->err == RD_KAFKA_RESP_ERR__FATAL &&
        rd_kafka_fatal_error(k->rk, fatal, sizeof(fatal)) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return fl_errf(err, FL_ERR_IO, "kafka source: fatal: %s", fatal);
    const char *what = rd_kafka_message_errstr(m);
    const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
    switch (m->err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        return fl_errf(err, FL_ERR_IO, "kafka source %s: %s%s%s", k->name, topic,
                       *topic ? ": " : "", what);
    default:
        fl_log(FL_LOG_WARN, "pipeline %s: kafka: %s%s%s", k->name, topic, *topic ? ": " : "", what);
        return FL_OK;
    }
}

fl_err_t fl_ksrc_poll(struct fl_ksrc *k, int64_t max, int timeout_ms, fl_ksrc_record_fn fn,
                      void *ctx, int64_t *n, struct fl_error *err) {
    *n = 0;
    fl_err_t rc = FL_OK;
    while (!rc && *n < max && !k->error[0]) { /* an error event ends it */
        size_t want = max - *n < BATCH_MSGS ? (size_t)(max - *n) : BATCH_MSGS;
        ssize_t got = rd_kafka_consume_batch_queue(k->q, *n ? 0 : timeout_ms, k->msgs, want);
        if (got < 0)
            return fl_errf(err, FL_ERR_IO, "kafka source %s: %s", k->name,
                           rd_kafka_err2str(rd_kafka_last_error()));
        if (got == 0) break;
        for (ssize_t i = 0; i < got; i++) {
            rd_kafka_message_t *m = k->msgs[i];
            if (m->err) {
                if (!rc) rc = message_error(k, m, err);
                rd_kafka_message_destroy(m);
                continue;
            }
            struct fl_ksrc_part *p = find_part(k, rd_kafka_topic_name(m->rkt), m->partition, false);
            /* fetched before a revocation or a rewind: not ours to read */
            if (!p || !p->assigned || (p->next >= 0 && m->offset < p->next)) {
                rd_kafka_message_destroy(m);
                continue;
            }
            if (rc) { /* after an error: not read, but the rewind must cover it */
                if (p->first < 0) p->first = m->offset;
                rd_kafka_message_destroy(m);
                continue;
            }
            rd_kafka_timestamp_type_t tt;
            int64_t ts = rd_kafka_message_timestamp(m, &tt);
            struct fl_log_decoded rec = {.offset = m->offset,
                                         .timestamp_ms = ts,
                                         .key = m->key,
                                         .key_len = m->key_len,
                                         .value = m->payload,
                                         .value_len = m->len};
            rc = fn(ctx, p, &rec, err);
            if (!rc) {
                if (p->first < 0) p->first = m->offset;
                p->next = m->offset + 1;
                (*n)++;
            }
            rd_kafka_message_destroy(m);
        }
    }
    if (!rc && k->error[0]) {
        rc = fl_errf(err, FL_ERR_IO, "kafka source %s: %s", k->name, k->error);
        k->error[0] = 0;
    }
    return rc;
}

int fl_ksrc_parts(struct fl_ksrc *k, struct fl_ksrc_part **parts) {
    *parts = k->parts;
    return k->nparts;
}

bool fl_ksrc_take_revoked(struct fl_ksrc *k) {
    bool r = k->revoked;
    k->revoked = false;
    return r;
}

void fl_ksrc_committed(struct fl_ksrc *k) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(k->nparts);
    for (int i = 0; i < k->nparts; i++) {
        struct fl_ksrc_part *p = &k->parts[i];
        if (p->first < 0) continue;
        p->base = p->next;
        p->first = -1;
        if (p->assigned)
            rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = p->next;
    }
    /* for Kafka's tools (lag); the table stays the truth, so a failed
     * group commit is only logged */
    if (l->cnt) {
        rd_kafka_resp_err_t e = rd_kafka_commit(k->rk, l, 1);
        if (e)
            fl_log(FL_LOG_WARN, "pipeline %s: kafka offset commit: %s", k->name,
                   rd_kafka_err2str(e));
    }
    rd_kafka_topic_partition_list_destroy(l);
}

fl_err_t fl_ksrc_rewind(struct fl_ksrc *k, struct fl_error *err) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(k->nparts);
    for (int i = 0; i < k->nparts; i++) {
        struct fl_ksrc_part *p = &k->parts[i];
        if (p->first < 0) continue;
        int64_t off = k->start(k->start_ctx, p->topic, p->partition);
        int64_t to = off >= 0 ? off : p->first;
        fl_log(FL_LOG_INFO, "pipeline %s: %s/%d back to offset %lld", k->name, p->topic,
               (int)p->partition, (long long)to);
        p->base = off;
        p->next = to;
        p->first = -1;
        if (p->assigned) rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = to;
    }
    fl_err_t rc = FL_OK;
    if (l->cnt) {
        rd_kafka_error_t *e = rd_kafka_seek_partitions(k->rk, l, 5000);
        if (e) {
            rc = fl_errf(err, FL_ERR_IO, "kafka source %s: seek: %s", k->name,
                         rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        for (int i = 0; !rc && i < l->cnt; i++)
            if (l->elems[i].err)
                rc = fl_errf(err, FL_ERR_IO, "kafka source %s: seek %s/%d: %s", k->name,
                             l->elems[i].topic, (int)l->elems[i].partition,
                             rd_kafka_err2str(l->elems[i].err));
    }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

void fl_ksrc_lag(struct fl_ksrc *k, int64_t *consumed, int64_t *lag) {
    *consumed = *lag = 0;
    for (int i = 0; i < k->nparts; i++) {
        const struct fl_ksrc_part *p = &k->parts[i];
        if (!p->assigned || p->next < 0) continue;
        int64_t lo = -1, hi = -1;
        *consumed += p->next;
        if (rd_kafka_get_watermark_offsets(k->rk, p->topic, p->partition, &lo, &hi) == 0 &&
            hi > p->next)
            *lag += hi - p->next;
    }
}

void fl_ksrc_assigned_text(struct fl_ksrc *k, char *out, size_t outsz) {
    size_t n = 0;
    const char *last = NULL;
    out[0] = 0;
    for (int i = 0; i < k->nparts && n + 1 < outsz; i++) {
        const struct fl_ksrc_part *p = &k->parts[i];
        if (!p->assigned) continue;
        bool same = last && !strcmp(last, p->topic);
        int w = same ? snprintf(out + n, outsz - n, ",%d", (int)p->partition)
                     : snprintf(out + n, outsz - n, "%s%s/%d", n ? " " : "", p->topic,
                                (int)p->partition);
        if (w < 0) break;
        n += (size_t)w < outsz - n ? (size_t)w : outsz - n - 1;
        last = p->topic;
    }
}

void fl_ksrc_free(struct fl_ksrc *k) {
    if (!k) return;
    if (k->q) rd_kafka_queue_destroy(k->q);
    if (k->rk) {
        rd_kafka_consumer_close(k->rk); /* leaves the group; rebalance callbacks run here */
        rd_kafka_destroy(k->rk);
    }
    for (int i = 0; i < k->nparts; i++) fl_free(k->parts[i].topic);
    fl_free(k->parts);
    fl_free(k->name);
    fl_free(k);
}
