/*
 * list_offsets.c - ListOffsets (v1-v6): a partition's earliest offset
 * (timestamp -2), its latest (-1, the high watermark) or the first
 * offset whose record timestamp is at least a time, with that record's
 * timestamp (offset and timestamp -1 when none is that late, as Kafka).
 */
#include "kafka/kafka_int.h"

#include "core/mem.h"

#include <string.h>

/* The timestamp of the record at offset (ts when it cannot be read). */
static int64_t record_time(struct fl_kafka *k, const char *topic, int32_t part, int64_t offset,
                           int64_t ts) {
    struct fl_buf buf;
    struct fl_error err = {0};
    int64_t next, found = ts;
    fl_buf_init(&buf, FL_BUF_NOMAX);
    if (!fl_log_read(k->log, topic, part, offset, 1, &buf, &next, &err)) {
        struct fl_log_batch_iter it;
        struct fl_log_decoded rec;
        fl_log_batch_iter_init(&it, buf.data, buf.len);
        while (fl_log_batch_iter_next(&it, &rec, &err) == FL_OK)
            if (rec.offset == offset) {
                found = rec.timestamp_ms;
                break;
            }
        fl_log_batch_iter_fini(&it);
    }
    fl_buf_fini(&buf);
    return found;
}

/* One partition's answer: *ts and *offset from the request's timestamp. */
static int16_t lookup(struct fl_kafka *k, const char *topic, int32_t part,
                      const struct fl_log_partition_info *pi, int64_t *ts, int64_t *offset) {
    if (*ts == -2 || *ts == -1) {
        *offset = *ts == -2 ? pi->start_offset : pi->end_offset;
        *ts = -1;
        return FL_KAFKA_NONE;
    }
    if (*ts < 0) return FL_KAFKA_UNSUPPORTED_VERSION; /* -3 (max timestamp) is v7's */
    struct fl_error err = {0};
    fl_err_t rc = fl_log_offset_for_time(k->log, topic, part, *ts, offset, &err);
    if (rc) return fl_kafka_code(rc);
    if (*offset >= pi->end_offset) {
        *offset = -1;
        *ts = -1;
    } else {
        *ts = record_time(k, topic, part, *offset, *ts);
    }
    return FL_KAFKA_NONE;
}

fl_err_t fl_kafka_list_offsets(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                               struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    int16_t v = rq->version;
    (void)fl_kafka_rd_i32(rd);            /* replica id */
    if (v >= 2) (void)fl_kafka_rd_i8(rd); /* isolation level */
    int32_t nt = fl_kafka_rd_array(rd, flex, 2);
    if (rd->bad) return FL_ERR_CORRUPT;
    if (v >= 2) fl_kafka_wr_i32(w, 0); /* throttle */
    fl_kafka_wr_array(w, flex, nt < 0 ? 0 : nt);
    for (int32_t t = 0; t < nt; t++) {
        char name[FL_KAFKA_TOPIC_MAX + 1];
        bool named;
        int32_t np = fl_kafka_topic_head(rd, w, flex, 12, name, &named);
        if (np < 0) return FL_ERR_CORRUPT;
        int nparts = 0;
        struct fl_log_partition_info *info = NULL;
        int16_t tcode = rq->denied ? rq->denied
                        : named    ? fl_kafka_topic_info(k, name, &nparts, &info)
                                   : FL_KAFKA_INVALID_TOPIC_EXCEPTION;
        for (int32_t i = 0; i < np; i++) {
            int32_t part = fl_kafka_rd_i32(rd);
            if (v >= 4) (void)fl_kafka_rd_i32(rd); /* current leader epoch */
            int64_t ts = fl_kafka_rd_i64(rd), offset = -1;
            fl_kafka_rd_tags(rd, flex);
            if (rd->bad) {
                fl_free(info);
                return FL_ERR_CORRUPT;
            }
            int16_t code = tcode;
            if (!code && (part < 0 || part >= nparts)) code = FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
            if (!code) code = lookup(k, name, part, &info[part], &ts, &offset);
            fl_kafka_wr_i32(w, part);
            fl_kafka_wr_i16(w, code);
            fl_kafka_wr_i64(w, code ? -1 : ts);
            fl_kafka_wr_i64(w, code ? -1 : offset);
            if (v >= 4) fl_kafka_wr_i32(w, 0); /* leader epoch */
            fl_kafka_wr_tags(w, flex);
        }
        fl_free(info);
        fl_kafka_rd_tags(rd, flex);
        fl_kafka_wr_tags(w, flex);
    }
    fl_kafka_rd_tags(rd, flex);
    fl_kafka_wr_tags(w, flex);
    return rd->bad ? FL_ERR_CORRUPT : FL_OK;
}
