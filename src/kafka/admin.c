/*
 * admin.c - the admin APIs: CreateTopics (v0-v5), DeleteTopics (v0-v5),
 * CreatePartitions (v0-v3) and DescribeConfigs (v0-v4), over the log's
 * topics.
 *
 * Topic configs map onto the log's (log.h's struct fl_log_topic_config):
 * retention.ms, retention.bytes, segment.bytes, segment.ms and
 * max.message.bytes (the largest batch an append takes), plus
 * cleanup.policy=delete, the only policy there is. Any other config, or
 * a value out of the log's range, gets INVALID_CONFIG and creates
 * nothing; a replication factor other than 1 (or -1, the default)
 * INVALID_REPLICATION_FACTOR (one broker); explicit replica assignments
 * are taken for their partition count. CreatePartitions grows a topic
 * (fl_log_topic_add_partitions): a count not above the current one is
 * INVALID_PARTITIONS, and an explicit assignment must give each new
 * partition this one broker, else INVALID_REPLICA_ASSIGNMENT; a topic
 * named twice is grown once and the second gets INVALID_PARTITIONS.
 * DescribeConfigs answers those keys for a topic and floe's Kafka
 * settings for the broker.
 */
#include "kafka/kafka_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RESOURCE_TOPIC = 2, RESOURCE_BROKER = 4 };
enum { SOURCE_TOPIC = 1, SOURCE_DEFAULT = 5 };

/* Sets one Kafka topic config on c; false when unknown or out of range. */
static bool config_set(struct fl_log_topic_config *c, struct fl_kafka_str key,
                       struct fl_kafka_str val) {
    char k[64], v[32];
    if (!fl_kafka_str_copy(key, k, sizeof(k)) || !fl_kafka_str_copy(val, v, sizeof(v)))
        return false;
    if (!strcmp(k, "cleanup.policy")) return !strcmp(v, "delete");
    char *end;
    long long n = strtoll(v, &end, 10);
    if (*end) return false;
    if (!strcmp(k, "retention.ms"))
        c->retention_ms = n;
    else if (!strcmp(k, "retention.bytes"))
        c->retention_bytes = n;
    else if (!strcmp(k, "segment.bytes"))
        c->segment_bytes = n;
    else if (!strcmp(k, "segment.ms"))
        c->segment_ms = n;
    else if (!strcmp(k, "max.message.bytes"))
        c->max_append_bytes = n;
    else
        return false;
    return true;
}

/* the message of a topic a key's role may not change (kafka.c sets rq->denied) */
#define DENIED_MSG "the key lacks the admin role"

struct create {
    char name[FL_KAFKA_TOPIC_MAX + 1];
    struct fl_kafka_str shown;
    int16_t code;
    const char *msg;
    struct fl_log_topic_config cfg;
};

static void create_read(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                        struct create *c) {
    bool flex = rq->flex;
    c->shown = fl_kafka_rd_str(rd, flex);
    int32_t np = fl_kafka_rd_i32(rd);
    int16_t rf = fl_kafka_rd_i16(rd);
    c->cfg = k->cfg.topic_defaults;
    c->code = FL_KAFKA_NONE;
    if (!fl_kafka_str_copy(c->shown, c->name, sizeof(c->name))) {
        c->code = FL_KAFKA_INVALID_TOPIC_EXCEPTION;
        c->msg = "topic names are 1..249 bytes of [a-zA-Z0-9._-]";
    }
    int32_t na = fl_kafka_rd_array(rd, flex, 8);
    for (int32_t i = 0; i < na && !rd->bad; i++) {
        (void)fl_kafka_rd_i32(rd);
        int32_t nb = fl_kafka_rd_array(rd, flex, 4);
        for (int32_t j = 0; j < nb && !rd->bad; j++) (void)fl_kafka_rd_i32(rd);
        fl_kafka_rd_tags(rd, flex);
    }
    if (na > 0) np = na;
    int32_t nc = fl_kafka_rd_array(rd, flex, 3);
    for (int32_t i = 0; i < nc && !rd->bad; i++) {
        struct fl_kafka_str key = fl_kafka_rd_str(rd, flex), val = fl_kafka_rd_str(rd, flex);
        fl_kafka_rd_tags(rd, flex);
        if (!c->code && !config_set(&c->cfg, key, val)) {
            c->code = FL_KAFKA_INVALID_CONFIG;
            c->msg = "floe takes retention.ms, retention.bytes, segment.bytes, segment.ms, "
                     "max.message.bytes and cleanup.policy=delete";
        }
    }
    fl_kafka_rd_tags(rd, flex);
    if (c->code) return;
    if (rf != -1 && rf != 1) {
        c->code = FL_KAFKA_INVALID_REPLICATION_FACTOR;
        c->msg = "floe is one broker: replication factor 1";
    } else if (np != -1 && (np < 1 || np > FL_LOG_MAX_PARTITIONS)) {
        c->code = FL_KAFKA_INVALID_PARTITIONS;
        c->msg = "partitions must be 1..10000";
    } else if (np != -1) {
        c->cfg.partitions = np;
    }
}

fl_err_t fl_kafka_create_topics(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                                struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    int16_t v = rq->version;
    struct fl_kafka_rd topics = *rd;
    int32_t n = fl_kafka_rd_array(rd, flex, 10);
    for (int32_t i = 0; i < n && !rd->bad; i++) {
        struct create c;
        create_read(k, rq, rd, &c);
    }
    (void)fl_kafka_rd_i32(rd); /* timeout: creation is synchronous */
    bool validate_only = v >= 1 && fl_kafka_rd_i8(rd) != 0;
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad || n < 0) return FL_ERR_CORRUPT;
    (void)fl_kafka_rd_array(&topics, flex, 10);
    if (v >= 2) fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_array(w, flex, n);
    for (int32_t i = 0; i < n; i++) {
        struct create c = {0};
        create_read(k, rq, &topics, &c);
        struct fl_error err = {0};
        if (rq->denied) {
            c.code = rq->denied;
            c.msg = DENIED_MSG;
        }
        if (!c.code && !validate_only) {
            fl_err_t rc = fl_log_topic_create(k->log, c.name, &c.cfg, &err);
            c.code = rc == FL_ERR_EXISTS    ? FL_KAFKA_TOPIC_ALREADY_EXISTS
                     : rc == FL_ERR_INVALID ? FL_KAFKA_INVALID_CONFIG
                     : rc                   ? FL_KAFKA_UNKNOWN_SERVER_ERROR
                                            : FL_KAFKA_NONE;
            if (rc) c.msg = err.msg;
        } else if (!c.code) {
            int np;
            if (!fl_kafka_topic_partitions(k, c.name, false, &np)) {
                c.code = FL_KAFKA_TOPIC_ALREADY_EXISTS;
                c.msg = "the topic exists";
            }
        }
        fl_kafka_wr_kstr(w, flex, c.shown);
        fl_kafka_wr_i16(w, c.code);
        if (v >= 1) fl_kafka_wr_str(w, flex, c.code ? c.msg : NULL);
        if (v >= 5) {
            fl_kafka_wr_i32(w, c.code ? -1 : c.cfg.partitions);
            fl_kafka_wr_i16(w, c.code ? -1 : 1);
            fl_kafka_wr_array(w, flex, -1); /* configs: not echoed */
        }
        fl_kafka_wr_tags(w, flex);
    }
    fl_kafka_wr_tags(w, flex);
    return FL_OK;
}

fl_err_t fl_kafka_delete_topics(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                                struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    struct fl_kafka_rd names = *rd;
    int32_t n = fl_kafka_rd_array(rd, flex, 1);
    for (int32_t i = 0; i < n && !rd->bad; i++) (void)fl_kafka_rd_str(rd, flex);
    (void)fl_kafka_rd_i32(rd);
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad || n < 0) return FL_ERR_CORRUPT;
    (void)fl_kafka_rd_array(&names, flex, 1);
    if (rq->version >= 1) fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_array(w, flex, n);
    for (int32_t i = 0; i < n; i++) {
        struct fl_kafka_str s = fl_kafka_rd_str(&names, flex);
        char name[FL_KAFKA_TOPIC_MAX + 1];
        struct fl_error err = {0};
        int16_t code = FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
        if (rq->denied) {
            code = rq->denied;
            snprintf(err.msg, sizeof(err.msg), "%s", DENIED_MSG);
        } else if (fl_kafka_str_copy(s, name, sizeof(name))) {
            fl_err_t rc = fl_log_topic_delete(k->log, name, &err);
            code = rc == FL_OK             ? FL_KAFKA_NONE
                   : rc == FL_ERR_NOTFOUND ? FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION
                                           : FL_KAFKA_UNKNOWN_SERVER_ERROR;
        }
        fl_kafka_wr_kstr(w, flex, s);
        fl_kafka_wr_i16(w, code);
        if (rq->version >= 5) fl_kafka_wr_str(w, flex, code ? err.msg : NULL);
        fl_kafka_wr_tags(w, flex);
    }
    fl_kafka_wr_tags(w, flex);
    return FL_OK;
}

struct grow {
    struct fl_kafka_str shown;
    char name[FL_KAFKA_TOPIC_MAX + 1];
    int32_t count;
    int32_t nassign; /* -1: no assignment (null) */
    bool assign_ok;  /* every new partition on this broker, one replica */
};

/* One topic of a CreatePartitions request. */
static void grow_read(struct fl_kafka_rd *rd, bool flex, struct grow *g) {
    g->shown = fl_kafka_rd_str(rd, flex);
    g->count = fl_kafka_rd_i32(rd);
    g->nassign = fl_kafka_rd_array(rd, flex, flex ? 2 : 4);
    g->assign_ok = true;
    for (int32_t i = 0; i < g->nassign && !rd->bad; i++) {
        int32_t nb = fl_kafka_rd_array(rd, flex, 4);
        g->assign_ok &= nb == 1;
        for (int32_t j = 0; j < nb && !rd->bad; j++)
            g->assign_ok &= fl_kafka_rd_i32(rd) == FL_KAFKA_NODE_ID;
        fl_kafka_rd_tags(rd, flex);
    }
    fl_kafka_rd_tags(rd, flex);
    if (!fl_kafka_str_copy(g->shown, g->name, sizeof(g->name))) g->name[0] = 0;
}

/* Grows one topic as g asks (or checks only); a Kafka code, *msg its message. */
static int16_t grow_apply(struct fl_kafka *k, const struct grow *g, bool validate_only,
                          struct fl_error *err, const char **msg) {
    int np = 0;
    *msg = NULL;
    if (!g->name[0] || fl_kafka_topic_partitions(k, g->name, false, &np)) {
        *msg = "no such topic";
        return FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    }
    if (g->nassign >= 0 && g->count > np && (g->nassign != g->count - np || !g->assign_ok)) {
        *msg = "floe is one broker: an assignment names broker 1 once for each new partition";
        return FL_KAFKA_INVALID_REPLICA_ASSIGNMENT;
    }
    fl_err_t rc = fl_log_topic_add_partitions(k->log, g->name, g->count, validate_only, NULL, err);
    if (rc) *msg = err->msg;
    switch (rc) {
    case FL_OK:
        return FL_KAFKA_NONE;
    case FL_ERR_NOTFOUND:
        return FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    case FL_ERR_RANGE:
    case FL_ERR_LIMIT:
        return FL_KAFKA_INVALID_PARTITIONS;
    default:
        return FL_KAFKA_KAFKA_STORAGE_ERROR;
    }
}

fl_err_t fl_kafka_create_partitions(struct fl_kafka *k, struct fl_kafka_req *rq,
                                    struct fl_kafka_rd *rd, struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    struct fl_kafka_rd topics = *rd;
    int32_t n = fl_kafka_rd_array(rd, flex, flex ? 6 : 9);
    for (int32_t i = 0; i < n && !rd->bad; i++) {
        struct grow g;
        grow_read(rd, flex, &g);
    }
    (void)fl_kafka_rd_i32(rd); /* timeout: adding is synchronous */
    bool validate_only = fl_kafka_rd_i8(rd) != 0;
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad || n < 0) return FL_ERR_CORRUPT; /* read whole before anything changes */
    (void)fl_kafka_rd_array(&topics, flex, 1);
    fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_array(w, flex, n);
    for (int32_t i = 0; i < n; i++) {
        struct grow g;
        grow_read(&topics, flex, &g);
        struct fl_error err = {0};
        const char *msg = DENIED_MSG;
        int16_t code = rq->denied ? rq->denied : grow_apply(k, &g, validate_only, &err, &msg);
        fl_kafka_wr_kstr(w, flex, g.shown);
        fl_kafka_wr_i16(w, code);
        fl_kafka_wr_str(w, flex, code ? msg : NULL);
        fl_kafka_wr_tags(w, flex);
    }
    fl_kafka_wr_tags(w, flex);
    return FL_OK;
}

struct entry {
    const char *name;
    char value[32];
    bool is_default;
};

/* The configs of one resource into e (at most 8); a Kafka code. */
static int16_t resource_configs(struct fl_kafka *k, int8_t type, const char *name, struct entry *e,
                                int *n) {
    *n = 0;
    if (type == RESOURCE_BROKER) {
        e[(*n)++] = (struct entry){"num.partitions", "", true};
        snprintf(e[0].value, sizeof(e[0].value), "%d", k->cfg.topic_defaults.partitions);
        e[(*n)++] = (struct entry){"auto.create.topics.enable", "", true};
        snprintf(e[1].value, sizeof(e[1].value), "%s",
                 k->cfg.auto_create_topics ? "true" : "false");
        e[(*n)++] = (struct entry){"socket.request.max.bytes", "", true};
        snprintf(e[2].value, sizeof(e[2].value), "%zu", k->cfg.max_request_bytes);
        return FL_KAFKA_NONE;
    }
    if (type != RESOURCE_TOPIC) return FL_KAFKA_INVALID_REQUEST;
    struct fl_log_topic_config c;
    int np;
    struct fl_error err = {0};
    if (fl_log_topic_describe(k->log, name, &np, &c, NULL, 0, &err))
        return FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    const struct {
        const char *name;
        int64_t v;
    } vals[] = {{"retention.ms", c.retention_ms},
                {"retention.bytes", c.retention_bytes},
                {"segment.bytes", c.segment_bytes},
                {"segment.ms", c.segment_ms},
                {"max.message.bytes", c.max_append_bytes}};
    e[(*n)++] = (struct entry){"cleanup.policy", "delete", true};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++, (*n)++) {
        e[*n] = (struct entry){vals[i].name, "", false};
        snprintf(e[*n].value, sizeof(e[*n].value), "%" PRId64, vals[i].v);
    }
    return FL_KAFKA_NONE;
}

fl_err_t fl_kafka_describe_configs(struct fl_kafka *k, struct fl_kafka_req *rq,
                                   struct fl_kafka_rd *rd, struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    int16_t v = rq->version;
    int32_t n = fl_kafka_rd_array(rd, flex, 4);
    if (rd->bad || n < 0) return FL_ERR_CORRUPT;
    fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_array(w, flex, n);
    for (int32_t i = 0; i < n; i++) {
        int8_t type = fl_kafka_rd_i8(rd);
        struct fl_kafka_str s = fl_kafka_rd_str(rd, flex);
        struct fl_kafka_str keys[16];
        int32_t nk = fl_kafka_rd_array(rd, flex, 1);
        for (int32_t j = 0; j < nk && !rd->bad; j++) {
            struct fl_kafka_str key = fl_kafka_rd_str(rd, flex);
            if (j < 16) keys[j] = key;
        }
        fl_kafka_rd_tags(rd, flex);
        if (rd->bad) return FL_ERR_CORRUPT;
        char name[FL_KAFKA_TOPIC_MAX + 1] = "";
        struct entry e[8];
        int ne = 0;
        fl_kafka_str_copy(s, name, sizeof(name));
        int16_t code = resource_configs(k, type, name, e, &ne);
        fl_kafka_wr_i16(w, code);
        fl_kafka_wr_str(w, flex, code ? "no such resource" : NULL);
        fl_kafka_wr_i8(w, type);
        fl_kafka_wr_kstr(w, flex, s);
        int shown = 0;
        bool want[8];
        for (int x = 0; x < ne; x++) {
            want[x] = nk <= 0;
            for (int32_t j = 0; j < nk && j < 16; j++)
                want[x] |= keys[j].len >= 0 && (size_t)keys[j].len == strlen(e[x].name) &&
                           !memcmp(keys[j].p, e[x].name, (size_t)keys[j].len);
            shown += want[x];
        }
        fl_kafka_wr_array(w, flex, shown);
        for (int x = 0; x < ne; x++) {
            if (!want[x]) continue;
            fl_kafka_wr_str(w, flex, e[x].name);
            fl_kafka_wr_str(w, flex, e[x].value);
            fl_kafka_wr_i8(w, type == RESOURCE_BROKER); /* read only */
            if (v == 0)
                fl_kafka_wr_i8(w, e[x].is_default);
            else
                fl_kafka_wr_i8(w, e[x].is_default ? SOURCE_DEFAULT : SOURCE_TOPIC);
            fl_kafka_wr_i8(w, 0);                      /* sensitive */
            if (v >= 1) fl_kafka_wr_array(w, flex, 0); /* synonyms */
            if (v >= 3) {
                fl_kafka_wr_i8(w, 0);
                fl_kafka_wr_str(w, flex, NULL);
            }
            fl_kafka_wr_tags(w, flex);
        }
        fl_kafka_wr_tags(w, flex);
    }
    if (v >= 1) (void)fl_kafka_rd_i8(rd);
    if (v >= 3) (void)fl_kafka_rd_i8(rd);
    fl_kafka_rd_tags(rd, flex);
    fl_kafka_wr_tags(w, flex);
    return rd->bad ? FL_ERR_CORRUPT : FL_OK;
}
