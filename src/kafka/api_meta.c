/*
 * api_meta.c - ApiVersions (v0-v3) and Metadata (v0-v12): what a client
 * asks first. floe answers as a one-broker cluster: itself, at the
 * advertised address, is the leader and only replica of every
 * partition and the controller.
 *
 * Metadata with a null topic list (v1+; an empty one in v0) lists every
 * topic; named topics that do not exist are created with the Kafka
 * defaults when the request and the config allow it (auto-create), else
 * get UNKNOWN_TOPIC_OR_PARTITION; a name the log refuses gets
 * INVALID_TOPIC_EXCEPTION.
 */
#include "kafka/kafka_int.h"

#include "core/mem.h"

#include <string.h>

fl_err_t fl_kafka_api_versions(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                               struct fl_kafka_wr *w) {
    (void)k;
    if (rq->version >= 3) {
        (void)fl_kafka_rd_str(rd, true); /* client software name and version */
        (void)fl_kafka_rd_str(rd, true);
        fl_kafka_rd_tags(rd, true);
    }
    if (rd->bad) return FL_ERR_CORRUPT;
    fl_kafka_wr_i16(w, FL_KAFKA_NONE);
    fl_kafka_wr_array(w, rq->flex, fl_kafka_napis);
    for (int i = 0; i < fl_kafka_napis; i++) {
        fl_kafka_wr_i16(w, fl_kafka_apis[i].key);
        fl_kafka_wr_i16(w, fl_kafka_apis[i].min);
        fl_kafka_wr_i16(w, fl_kafka_apis[i].max);
        fl_kafka_wr_tags(w, rq->flex);
    }
    if (rq->version >= 1) fl_kafka_wr_i32(w, 0); /* throttle */
    fl_kafka_wr_tags(w, rq->flex);
    return FL_OK;
}

static void write_ids(struct fl_kafka_wr *w, bool flex, int n) {
    fl_kafka_wr_array(w, flex, n);
    if (n) fl_kafka_wr_i32(w, FL_KAFKA_NODE_ID);
}

/* One topic of the reply: name given (NUL-terminated) or, for an id
 * that names no topic, NULL with the id. */
static void write_topic(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_wr *w,
                        const char *name, const uint8_t *asked_id, int16_t code, bool create) {
    int16_t v = rq->version;
    int np = 0;
    /* auto-create is a write: a key without the write role gets
     * TOPIC_AUTHORIZATION_FAILED for a topic it would have created */
    const struct fl_kafka_session *sess = rq->sess;
    bool may_create = create && !(sess && sess->authenticated && !(sess->grants & FL_AUTH_WRITE));
    if (!code && name) code = fl_kafka_topic_partitions(k, name, may_create, &np);
    if (code == FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION && create && !may_create &&
        k->cfg.auto_create_topics)
        code = FL_KAFKA_TOPIC_AUTHORIZATION_FAILED;
    if (code) np = 0;
    fl_kafka_wr_i16(w, code);
    fl_kafka_wr_str(w, rq->flex, name || v >= 12 ? name : ""); /* nullable from v12 */
    if (v >= 10) {
        uint8_t id[16] = {0};
        if (!code && name)
            fl_kafka_topic_id(name, id);
        else if (asked_id)
            memcpy(id, asked_id, 16);
        fl_kafka_wr_uuid(w, id);
    }
    if (v >= 1) fl_kafka_wr_i8(w, 0); /* is_internal */
    fl_kafka_wr_array(w, rq->flex, np);
    for (int p = 0; p < np; p++) {
        fl_kafka_wr_i16(w, FL_KAFKA_NONE);
        fl_kafka_wr_i32(w, p);
        fl_kafka_wr_i32(w, FL_KAFKA_NODE_ID);
        if (v >= 7) fl_kafka_wr_i32(w, 0); /* leader epoch */
        write_ids(w, rq->flex, 1);         /* replicas */
        write_ids(w, rq->flex, 1);         /* in-sync replicas */
        if (v >= 5) write_ids(w, rq->flex, 0);
        fl_kafka_wr_tags(w, rq->flex);
    }
    if (v >= 8) fl_kafka_wr_i32(w, INT32_MIN); /* authorized operations: not asked */
    fl_kafka_wr_tags(w, rq->flex);
}

struct names {
    char **v;
    int n, cap;
};

static int names_add(void *ctx, const char *topic) {
    struct names *ns = ctx;
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? ns->cap * 2 : 16;
        ns->v = fl_realloc(ns->v, (size_t)ns->cap * sizeof(*ns->v));
    }
    ns->v[ns->n++] = fl_strdup(topic);
    return 0;
}

static void write_brokers(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_wr *w) {
    if (rq->version >= 3) fl_kafka_wr_i32(w, 0); /* throttle */
    fl_kafka_wr_array(w, rq->flex, 1);
    fl_kafka_wr_i32(w, FL_KAFKA_NODE_ID);
    fl_kafka_wr_str(w, rq->flex, k->cfg.advertised_host);
    fl_kafka_wr_i32(w, atomic_load(&k->port));
    if (rq->version >= 1) fl_kafka_wr_str(w, rq->flex, NULL); /* rack */
    fl_kafka_wr_tags(w, rq->flex);
    if (rq->version >= 2) fl_kafka_wr_str(w, rq->flex, FL_KAFKA_CLUSTER_ID);
    if (rq->version >= 1) fl_kafka_wr_i32(w, FL_KAFKA_NODE_ID); /* controller */
}

fl_err_t fl_kafka_metadata(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                           struct fl_kafka_wr *w) {
    int16_t v = rq->version;
    bool flex = rq->flex;
    /* the topic list comes before the auto-create flag: read past it first */
    struct fl_kafka_rd topics = *rd;
    int32_t n = fl_kafka_rd_array(rd, flex, flex ? 2 : 2);
    for (int32_t i = 0; i < n && !rd->bad; i++) {
        uint8_t id[16];
        if (v >= 10) fl_kafka_rd_uuid(rd, id);
        (void)fl_kafka_rd_str(rd, flex);
        fl_kafka_rd_tags(rd, flex);
    }
    bool create = v < 4 || fl_kafka_rd_i8(rd) != 0;
    if (v >= 8 && v <= 10) (void)fl_kafka_rd_i8(rd);
    if (v >= 8) (void)fl_kafka_rd_i8(rd);
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad) return FL_ERR_CORRUPT;

    write_brokers(k, rq, w);
    if (n < 0 || (n == 0 && v == 0)) {
        struct names ns = {0};
        struct fl_error err = {0};
        fl_log_topic_list(k->log, names_add, &ns, &err);
        fl_kafka_wr_array(w, flex, ns.n);
        for (int i = 0; i < ns.n; i++) {
            write_topic(k, rq, w, ns.v[i], NULL, FL_KAFKA_NONE, false);
            fl_free(ns.v[i]);
        }
        fl_free(ns.v);
    } else {
        (void)fl_kafka_rd_array(&topics, flex, 2);
        fl_kafka_wr_array(w, flex, n);
        for (int32_t i = 0; i < n; i++) {
            uint8_t id[16] = {0};
            static const uint8_t zero[16];
            if (v >= 10) fl_kafka_rd_uuid(&topics, id);
            struct fl_kafka_str s = fl_kafka_rd_str(&topics, flex);
            fl_kafka_rd_tags(&topics, flex);
            char name[FL_KAFKA_TOPIC_MAX + 1];
            if (s.len < 0 && memcmp(id, zero, 16)) {
                bool found = fl_kafka_topic_by_id(k, id, name);
                write_topic(k, rq, w, found ? name : NULL, id,
                            found ? FL_KAFKA_NONE : FL_KAFKA_UNKNOWN_TOPIC_ID, false);
            } else if (!fl_kafka_str_copy(s, name, sizeof(name))) {
                char shown[FL_KAFKA_TOPIC_MAX + 1];
                int len = s.len < 0 ? 0 : s.len > FL_KAFKA_TOPIC_MAX ? FL_KAFKA_TOPIC_MAX : s.len;
                memcpy(shown, s.p ? s.p : "", (size_t)len);
                shown[len] = 0;
                write_topic(k, rq, w, shown, NULL, FL_KAFKA_INVALID_TOPIC_EXCEPTION, false);
            } else {
                write_topic(k, rq, w, name, NULL, FL_KAFKA_NONE, create);
            }
        }
    }
    if (v >= 8 && v <= 10) fl_kafka_wr_i32(w, INT32_MIN);
    fl_kafka_wr_tags(w, flex);
    return FL_OK;
}
