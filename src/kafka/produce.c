/*
 * produce.c - Produce (v0-v9): record batches from a producer into the
 * log as they were sent, acknowledged once durable. Versions 0-2 are
 * read too (clients such as librdkafka 2.0 judge a broker's codecs by
 * whether it lists Produce v0), but only record batches v2 (magic 2)
 * are stored: the old message sets get UNSUPPORTED_FOR_MESSAGE_FORMAT.
 *
 * How it works: each partition's records are one or more record batches
 * (v2). Their framing is checked here (lengths, magic 2, a codec the
 * log's readers can decode); the log checks each batch whole (CRC-32C,
 * offsets, records) before it writes anything, patches the base offset
 * in place in the request buffer and returns once the batch is as
 * durable as the topic's sync says - so acks 1 and all are answered
 * after that, and acks 0 gets no reply at all. On a connection of the
 * server the wait is the server's (kafka.h's waits): the reply is held
 * until durable while the connection's next requests are read, so one
 * producer's pipelined requests share fsyncs (with acks 0 the writer
 * still waits, to run the fsync that makes the records visible, and
 * then sends nothing). A partition with several
 * batches has every batch checked before the first is appended, so a
 * refused batch appends nothing. Each error is the partition's Kafka
 * code; a missing topic is created on first use (config). Batches of an
 * idempotent producer (a producer id and sequence in the header) pass
 * producers.c first: a retry of a stored batch is answered with its
 * original offset and not appended again; a gap in the sequence gets
 * OUT_OF_ORDER_SEQUENCE_NUMBER. With `log: {kafka: ...}` (cfg.forward)
 * the checked batches go to the external cluster instead
 * (produce_forward.c).
 */
#include "kafka/kafka_int.h"

#include "core/endian.h"
#include "core/mem.h"
#include "log/batch.h"

#include <stdio.h>

#include <string.h>

/* The batches of one partition's records: framing and codec. Returns a
 * Kafka code; *nbatches gets their number. */
static int16_t frame_check(const uint8_t *p, size_t len, int *nbatches) {
    size_t pos = 0;
    *nbatches = 0;
    if (!p || len == 0) return FL_KAFKA_CORRUPT_MESSAGE;
    while (pos < len) {
        if (len - pos < FL_LOG_BATCH_OVERHEAD) return FL_KAFKA_CORRUPT_MESSAGE;
        uint32_t blen = fl_be32(p + pos + 8);
        if (blen < FL_LOG_BATCH_OVERHEAD - FL_LOG_BATCH_LOG_OVERHEAD ||
            blen > len - pos - FL_LOG_BATCH_LOG_OVERHEAD)
            return FL_KAFKA_CORRUPT_MESSAGE;
        if (p[pos + 16] != 2) return FL_KAFKA_UNSUPPORTED_FOR_MESSAGE_FORMAT; /* magic 0, 1 */
        int codec = p[pos + 22] & FL_LOG_ATTR_CODEC_MASK;
        if (!fl_log_codec_readable(codec)) return FL_KAFKA_UNSUPPORTED_COMPRESSION_TYPE;
        pos += (size_t)blen + FL_LOG_BATCH_LOG_OVERHEAD;
        (*nbatches)++;
    }
    return FL_KAFKA_NONE;
}

static void wait_add(struct fl_kafka_waits *waits, const char *topic, int32_t part,
                     const struct fl_log_durable *d) {
    if (waits->n == waits->cap) {
        waits->cap = waits->cap ? waits->cap * 2 : 8;
        waits->v = fl_realloc(waits->v, (size_t)waits->cap * sizeof(*waits->v));
    }
    struct fl_kafka_wait *x = &waits->v[waits->n++];
    snprintf(x->topic, sizeof(x->topic), "%s", topic);
    x->part = part;
    x->d = *d;
}

/* Appends one partition's batches; *base gets the first offset. With
 * waits, the durability the reply owes is added there instead of
 * waited for. */
static int16_t append_part(struct fl_kafka *k, const char *topic, int32_t part, uint8_t *p,
                           size_t len, struct fl_kafka_waits *waits, int64_t *base) {
    int nb;
    int16_t code = frame_check(p, len, &nb);
    if (code) return code;
    struct fl_error err = {0};
    if (nb > 1) /* all or nothing: check every batch before the first is stored */
        for (size_t pos = 0; pos < len;) {
            size_t blen = (size_t)fl_be32(p + pos + 8) + FL_LOG_BATCH_LOG_OVERHEAD;
            struct fl_log_batch_hdr h;
            if (fl_log_batch_check(p + pos, blen, &h, &err)) return FL_KAFKA_CORRUPT_MESSAGE;
            pos += blen;
        }
    for (size_t pos = 0; pos < len;) {
        size_t blen = (size_t)fl_be32(p + pos + 8) + FL_LOG_BATCH_LOG_OVERHEAD;
        struct fl_log_batch_hdr h;
        int64_t off = -1;
        fl_log_batch_hdr_parse(p + pos, &h);
        code = fl_kafka_producer_check(k, topic, part, &h, &off);
        if (code && code != FL_KAFKA_DUPLICATE_SEQUENCE_NUMBER) return code;
        if (!code) { /* a retried batch the log holds keeps its offsets */
            struct fl_log_durable later;
            fl_err_t rc = fl_log_append_batch(k->log, topic, part, p + pos, blen, NULL, &off,
                                              waits ? &later : NULL, &err);
            if (rc) return fl_kafka_code(rc);
            if (waits && later.pending) wait_add(waits, topic, part, &later);
            fl_kafka_producer_appended(k, topic, part, &h, off);
        }
        if (pos == 0) *base = off;
        pos += blen;
    }
    fl_kafka_notify(k);
    return FL_KAFKA_NONE;
}

static void write_part(struct fl_kafka_wr *w, struct fl_kafka_req *rq, int32_t part, int16_t code,
                       int64_t base) {
    fl_kafka_wr_i32(w, part);
    fl_kafka_wr_i16(w, code);
    fl_kafka_wr_i64(w, code ? -1 : base);
    fl_kafka_wr_i64(w, -1);                       /* log append time: CreateTime topics */
    if (rq->version >= 5) fl_kafka_wr_i64(w, -1); /* log start offset: not tracked here */
    if (rq->version >= 8) {
        fl_kafka_wr_array(w, rq->flex, 0); /* record errors */
        fl_kafka_wr_str(w, rq->flex, NULL);
    }
    fl_kafka_wr_tags(w, rq->flex);
}

fl_err_t fl_kafka_produce(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                          struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    if (rq->version >= 3) (void)fl_kafka_rd_str(rd, flex); /* transactional id */
    int16_t acks = fl_kafka_rd_i16(rd);
    (void)fl_kafka_rd_i32(rd); /* timeout: appends wait for durability, not replicas */
    int32_t nt = fl_kafka_rd_array(rd, flex, 2);
    if (rd->bad) return FL_ERR_CORRUPT;
    rq->no_reply = acks == 0;
    bool acks_ok = acks == 0 || acks == 1 || acks == -1;
    fl_kafka_wr_array(w, flex, nt < 0 ? 0 : nt);
    for (int32_t t = 0; t < nt; t++) {
        char name[FL_KAFKA_TOPIC_MAX + 1];
        bool named;
        int32_t np = fl_kafka_topic_head(rd, w, flex, 8, name, &named);
        if (np < 0) return FL_ERR_CORRUPT;
        int parts = 0;
        int16_t tcode = rq->denied ? rq->denied
                        : !acks_ok ? FL_KAFKA_INVALID_REQUIRED_ACKS
                        : !named   ? FL_KAFKA_INVALID_TOPIC_EXCEPTION
                                   : FL_KAFKA_NONE;
        if (!tcode) tcode = fl_kafka_topic_partitions(k, name, true, &parts);
        for (int32_t i = 0; i < np; i++) {
            int32_t part = fl_kafka_rd_i32(rd);
            const uint8_t *recs;
            size_t len;
            fl_kafka_rd_bytes(rd, flex, &recs, &len);
            fl_kafka_rd_tags(rd, flex);
            if (rd->bad) return FL_ERR_CORRUPT;
            int64_t base = -1;
            int16_t code = tcode;
            if (!code && (part < 0 || part >= parts)) code = FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
            /* the request buffer is the server's own (kafka.h): stored in place */
            if (!code && k->cfg.forward) {
                int nb;
                code = frame_check(recs, len, &nb);
                if (!code) code = fl_kafka_forward_part(k, name, part, recs, len, &base);
            } else if (!code) {
                code = append_part(k, name, part, (uint8_t *)recs, len, rq->waits, &base);
            }
            write_part(w, rq, part, code, base);
        }
        fl_kafka_rd_tags(rd, flex);
        fl_kafka_wr_tags(w, flex);
    }
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad) return FL_ERR_CORRUPT;
    if (rq->version >= 1) fl_kafka_wr_i32(w, 0); /* throttle */
    fl_kafka_wr_tags(w, flex);
    return FL_OK;
}
