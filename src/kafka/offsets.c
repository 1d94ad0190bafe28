/*
 * offsets.c - OffsetCommit (v0-v8) and OffsetFetch (v0-v7): a consumer
 * group's committed positions, stored as the log's consumer offsets
 * (log.h: fl_log_offset_commit, durable before the reply) so that they
 * survive restarts and are the same offsets floe's own readers keep.
 *
 * A commit from a member of a group checks its generation first
 * (groups.c): a member that was dropped or is a generation behind gets
 * UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION and stores nothing, so a
 * consumer that lost its partitions in a rebalance cannot move the
 * offsets of their new owner. Commit metadata strings are not kept (an
 * OffsetFetch answers them as null).
 */
#include "kafka/kafka_int.h"

#include <string.h>

#define GROUP_NAME_MAX 200 /* the log's limit (log/offsets.c) */

fl_err_t fl_kafka_offset_commit(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                                struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    int16_t v = rq->version;
    struct fl_kafka_str group = fl_kafka_rd_str(rd, flex), member = {NULL, -1};
    int32_t gen = -1;
    if (v >= 1) {
        gen = fl_kafka_rd_i32(rd);
        member = fl_kafka_rd_str(rd, flex);
    }
    if (v >= 7) (void)fl_kafka_rd_str(rd, flex);     /* group instance id */
    if (v >= 2 && v <= 4) (void)fl_kafka_rd_i64(rd); /* retention */
    int32_t nt = fl_kafka_rd_array(rd, flex, 2);
    if (rd->bad) return FL_ERR_CORRUPT;
    char gname[GROUP_NAME_MAX + 1];
    int16_t gcode = rq->denied ? rq->denied
                    : !fl_kafka_str_copy(group, gname, sizeof(gname))
                        ? FL_KAFKA_INVALID_GROUP_ID
                        : fl_kafka_group_check(k, group, member, gen);
    if (v >= 3) fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_array(w, flex, nt < 0 ? 0 : nt);
    for (int32_t t = 0; t < nt; t++) {
        char name[FL_KAFKA_TOPIC_MAX + 1];
        bool named;
        int32_t np = fl_kafka_topic_head(rd, w, flex, 14, name, &named);
        if (np < 0) return FL_ERR_CORRUPT;
        for (int32_t i = 0; i < np; i++) {
            int32_t part = fl_kafka_rd_i32(rd);
            int64_t offset = fl_kafka_rd_i64(rd);
            if (v >= 6) (void)fl_kafka_rd_i32(rd); /* leader epoch */
            if (v == 1) (void)fl_kafka_rd_i64(rd); /* commit timestamp */
            (void)fl_kafka_rd_str(rd, flex);       /* metadata */
            fl_kafka_rd_tags(rd, flex);
            if (rd->bad) return FL_ERR_CORRUPT;
            int16_t code = gcode ? gcode : named ? FL_KAFKA_NONE : FL_KAFKA_INVALID_TOPIC_EXCEPTION;
            struct fl_error err = {0};
            if (!code && fl_log_offset_commit(k->log, gname, name, part, offset, &err))
                code = FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
            fl_kafka_wr_i32(w, part);
            fl_kafka_wr_i16(w, code);
            fl_kafka_wr_tags(w, flex);
        }
        fl_kafka_rd_tags(rd, flex);
        fl_kafka_wr_tags(w, flex);
    }
    fl_kafka_rd_tags(rd, flex);
    fl_kafka_wr_tags(w, flex);
    return rd->bad ? FL_ERR_CORRUPT : FL_OK;
}

fl_err_t fl_kafka_offset_fetch(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                               struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    int16_t v = rq->version;
    struct fl_kafka_str group = fl_kafka_rd_str(rd, flex);
    int32_t nt = fl_kafka_rd_array(rd, flex, 2);
    if (rd->bad) return FL_ERR_CORRUPT;
    char gname[GROUP_NAME_MAX + 1];
    bool gok = fl_kafka_str_copy(group, gname, sizeof(gname));
    if (v >= 3) fl_kafka_wr_i32(w, 0);
    /* null topics (every topic the group committed): answered as none */
    fl_kafka_wr_array(w, flex, nt < 0 ? 0 : nt);
    for (int32_t t = 0; t < nt; t++) {
        char name[FL_KAFKA_TOPIC_MAX + 1];
        bool named;
        int32_t np = fl_kafka_topic_head(rd, w, flex, 4, name, &named);
        if (np < 0) return FL_ERR_CORRUPT;
        for (int32_t i = 0; i < np; i++) {
            int32_t part = fl_kafka_rd_i32(rd);
            int64_t offset = -1;
            struct fl_error err = {0};
            if (!rq->denied && gok && named &&
                fl_log_offset_fetch(k->log, gname, name, part, &offset, &err))
                offset = -1; /* never committed */
            fl_kafka_wr_i32(w, part);
            fl_kafka_wr_i64(w, offset);
            if (v >= 5) fl_kafka_wr_i32(w, -1); /* leader epoch */
            fl_kafka_wr_str(w, flex, NULL);     /* metadata */
            fl_kafka_wr_i16(w, rq->denied);
            fl_kafka_wr_tags(w, flex);
        }
        fl_kafka_rd_tags(rd, flex);
        fl_kafka_wr_tags(w, flex);
    }
    if (v >= 7) (void)fl_kafka_rd_i8(rd); /* require stable: every offset is stable */
    fl_kafka_rd_tags(rd, flex);
    if (v >= 2)
        fl_kafka_wr_i16(w, rq->denied ? rq->denied
                           : gok      ? FL_KAFKA_NONE
                                      : FL_KAFKA_INVALID_GROUP_ID);
    fl_kafka_wr_tags(w, flex);
    return rd->bad ? FL_ERR_CORRUPT : FL_OK;
}
