/*
 * fetch.c - Fetch (v4-v13): stored record batches to consumers, copied
 * from the log's segments into the reply as they are (no decoding, no
 * per-record work), with min_bytes and max_wait as a long poll.
 *
 * How it works: the request is read once into a small table of topics
 * and partitions (v13 names topics by id: the log's names are hashed to
 * find them). The reply is then built; when it holds fewer record bytes
 * than min_bytes and max_wait has not passed, it is thrown away and the
 * thread waits for the next append (kafka.c's new-data signal, and at
 * least every 100 ms for appends from the HTTP side) and builds it
 * again. Each partition reads at most its partition_max_bytes and the
 * whole reply at most max_bytes and the connection's in-flight limit,
 * but the first partition with data always gets one whole batch (Kafka's
 * KIP-74), so a batch over the limits still goes through. Fetch sessions
 * (v7+) are declined: session id 0, every request a full one (Kafka's
 * sessionless fetch). No transactions: the last stable offset is the
 * high watermark, and there are no aborted transactions.
 */
#include "kafka/kafka_int.h"

#include "core/mem.h"
#include "core/time.h"
#include "core/varint.h"

#include <string.h>

#define POLL_US 100000 /* re-check for appends the signal does not see */

struct fpart {
    int32_t part;
    int64_t offset;
    int32_t max_bytes;
};

struct ftopic {
    char name[FL_KAFKA_TOPIC_MAX + 1];
    uint8_t id[16];
    int16_t code; /* for every partition */
    int32_t nparts;
    struct fpart *parts;
};

struct freq {
    int32_t max_wait, min_bytes, max_bytes;
    int32_t ntopics;
    struct ftopic *topics;
};

static void freq_fini(struct freq *f) {
    for (int32_t i = 0; i < f->ntopics; i++) fl_free(f->topics[i].parts);
    fl_free(f->topics);
}

static fl_err_t read_topics(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                            struct freq *f) {
    bool flex = rq->flex;
    int16_t v = rq->version;
    int32_t n = fl_kafka_rd_array(rd, flex, 2);
    if (rd->bad || n < 0) return FL_ERR_CORRUPT;
    f->topics = fl_calloc((size_t)n + 1, sizeof(*f->topics));
    for (int32_t i = 0; i < n; i++) {
        struct ftopic *t = &f->topics[i];
        f->ntopics = i + 1; /* freed by freq_fini however far this one gets */
        if (v <= 12) {
            if (!fl_kafka_str_copy(fl_kafka_rd_str(rd, flex), t->name, sizeof(t->name)))
                t->code = FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
            else
                fl_kafka_topic_id(t->name, t->id);
        } else {
            fl_kafka_rd_uuid(rd, t->id);
            if (!rd->bad && !fl_kafka_topic_by_id(k, t->id, t->name))
                t->code = FL_KAFKA_UNKNOWN_TOPIC_ID;
        }
        int32_t np = fl_kafka_rd_array(rd, flex, 16);
        if (rd->bad || np < 0) return FL_ERR_CORRUPT;
        t->parts = fl_calloc((size_t)np + 1, sizeof(*t->parts));
        for (int32_t j = 0; j < np; j++, t->nparts++) {
            struct fpart *p = &t->parts[j];
            p->part = fl_kafka_rd_i32(rd);
            if (v >= 9) (void)fl_kafka_rd_i32(rd); /* current leader epoch */
            p->offset = fl_kafka_rd_i64(rd);
            if (v >= 12) (void)fl_kafka_rd_i32(rd); /* last fetched epoch */
            if (v >= 5) (void)fl_kafka_rd_i64(rd);  /* the consumer's log start offset */
            p->max_bytes = fl_kafka_rd_i32(rd);
            fl_kafka_rd_tags(rd, flex);
            if (rd->bad) return FL_ERR_CORRUPT;
        }
        fl_kafka_rd_tags(rd, flex);
    }
    return rd->bad ? FL_ERR_CORRUPT : FL_OK;
}

static fl_err_t read_request(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                             struct freq *f) {
    bool flex = rq->flex;
    int16_t v = rq->version;
    (void)fl_kafka_rd_i32(rd); /* replica id (v0-v14) */
    f->max_wait = fl_kafka_rd_i32(rd);
    f->min_bytes = fl_kafka_rd_i32(rd);
    f->max_bytes = fl_kafka_rd_i32(rd);
    (void)fl_kafka_rd_i8(rd); /* isolation level: no transactions, both read the same */
    if (v >= 7) {
        (void)fl_kafka_rd_i32(rd); /* session id and epoch: sessions are declined */
        (void)fl_kafka_rd_i32(rd);
    }
    fl_err_t rc = read_topics(k, rq, rd, f);
    if (rc) return rc;
    if (v >= 7) { /* forgotten topics: nothing to forget without sessions */
        int32_t n = fl_kafka_rd_array(rd, flex, 2);
        for (int32_t i = 0; i < n && !rd->bad; i++) {
            if (v <= 12) {
                (void)fl_kafka_rd_str(rd, flex);
            } else {
                uint8_t id[16];
                fl_kafka_rd_uuid(rd, id);
            }
            int32_t np = fl_kafka_rd_array(rd, flex, 4);
            for (int32_t j = 0; j < np && !rd->bad; j++) (void)fl_kafka_rd_i32(rd);
            fl_kafka_rd_tags(rd, flex);
        }
    }
    if (v >= 11) (void)fl_kafka_rd_str(rd, flex); /* rack */
    fl_kafka_rd_tags(rd, flex);
    return rd->bad ? FL_ERR_CORRUPT : FL_OK;
}

/* The records field of one partition: read from the log straight into
 * the reply. Returns a Kafka code; *got gets the bytes read. */
static int16_t write_records(struct fl_kafka *k, struct fl_kafka_wr *w, bool flex,
                             const char *topic, const struct fpart *p, size_t budget, size_t *got) {
    struct fl_buf *b = w->b;
    size_t at = b->len;
    uint8_t pad[5] = {0};
    fl_kafka_wr_raw(w, pad, flex ? 5 : 4); /* the length, known after the read */
    if (w->bad) return FL_KAFKA_NONE;
    int64_t next;
    struct fl_error err = {0};
    fl_err_t rc = FL_OK;
    if (budget > 0) rc = fl_log_read(k->log, topic, p->part, p->offset, budget, b, &next, &err);
    size_t len = b->len - at - (flex ? 5 : 4);
    int16_t code = rc == FL_ERR_RANGE ? FL_KAFKA_OFFSET_OUT_OF_RANGE : fl_kafka_code(rc);
    if (rc) {
        b->len = at + (flex ? 5 : 4);
        len = 0;
    }
    if (flex) {
        uint8_t v[FL_VARINT_MAX];
        size_t vn = fl_varint_put_u64(v, (uint64_t)len + 1);
        memmove(b->data + at + vn, b->data + at + 5, len);
        memcpy(b->data + at, v, vn);
        b->len = at + vn + len;
    } else {
        fl_kafka_wr_patch32(w, at, (int32_t)len);
    }
    *got = len;
    return code;
}

/* One reply into w; returns the record bytes it holds, or -1 when a
 * partition has an error (answered at once). */
static int64_t write_reply(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_wr *w,
                           const struct freq *f) {
    bool flex = rq->flex;
    int16_t v = rq->version;
    size_t budget = f->max_bytes > 0 ? (size_t)f->max_bytes : 0;
    int64_t total = 0;
    bool failed = false;
    fl_kafka_wr_i32(w, 0); /* throttle */
    if (v >= 7) {
        fl_kafka_wr_i16(w, FL_KAFKA_NONE);
        fl_kafka_wr_i32(w, 0); /* session id: none */
    }
    fl_kafka_wr_array(w, flex, f->ntopics);
    for (int32_t i = 0; i < f->ntopics; i++) {
        const struct ftopic *t = &f->topics[i];
        if (v <= 12)
            fl_kafka_wr_str(w, flex, t->name);
        else
            fl_kafka_wr_uuid(w, t->id);
        int nparts = 0;
        struct fl_log_partition_info *info = NULL;
        int16_t tcode = rq->denied ? rq->denied
                        : t->code  ? t->code
                                   : fl_kafka_topic_info(k, t->name, &nparts, &info);
        fl_kafka_wr_array(w, flex, t->nparts);
        for (int32_t j = 0; j < t->nparts; j++) {
            const struct fpart *p = &t->parts[j];
            int16_t code = tcode;
            if (!code && (p->part < 0 || p->part >= nparts))
                code = FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
            const struct fl_log_partition_info *pi = code ? NULL : &info[p->part];
            fl_kafka_wr_i32(w, p->part);
            size_t code_at = w->b->len;
            fl_kafka_wr_i16(w, code);
            fl_kafka_wr_i64(w, pi ? pi->end_offset : -1); /* high watermark */
            fl_kafka_wr_i64(w, pi ? pi->end_offset : -1); /* last stable offset */
            if (v >= 5) fl_kafka_wr_i64(w, pi ? pi->start_offset : -1);
            fl_kafka_wr_array(w, flex, -1);      /* aborted transactions: none */
            if (v >= 11) fl_kafka_wr_i32(w, -1); /* preferred read replica */
            size_t got = 0, room = budget;
            if (p->max_bytes >= 0 && (size_t)p->max_bytes < room) room = (size_t)p->max_bytes;
            if (!code) {
                code = write_records(k, w, flex, t->name, p, room, &got);
                if (code && !w->bad) {
                    w->b->data[code_at] = (uint8_t)((uint16_t)code >> 8);
                    w->b->data[code_at + 1] = (uint8_t)code;
                }
            } else {
                fl_kafka_wr_array(w, flex, 0); /* empty records: same shape as bytes */
            }
            if (code) failed = true;
            budget = got >= budget ? 0 : budget - got;
            total += (int64_t)got;
            fl_kafka_wr_tags(w, flex);
        }
        fl_free(info);
        fl_kafka_wr_tags(w, flex);
    }
    fl_kafka_wr_tags(w, flex);
    return failed ? -1 : total;
}

fl_err_t fl_kafka_fetch(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                        struct fl_kafka_wr *w) {
    struct freq f = {0};
    fl_err_t rc = read_request(k, rq, rd, &f);
    if (rc) goto out;
    int32_t cap = k->cfg.max_block_ms;
    int32_t wait_ms = f.max_wait < 0 ? 0 : f.max_wait > cap ? cap : f.max_wait;
    int64_t deadline = fl_time_mono_us() + (int64_t)wait_ms * 1000;
    uint64_t seq = fl_kafka_seq(k);
    size_t start = w->b->len;
    for (;;) {
        int64_t got = write_reply(k, rq, w, &f);
        int64_t now = fl_time_mono_us();
        if (w->bad || got < 0 || got >= f.min_bytes || now >= deadline || atomic_load(&k->stopping))
            break;
        w->b->len = start;
        fl_kafka_wait(k, &seq, now + POLL_US < deadline ? now + POLL_US : deadline);
    }
out:
    freq_fini(&f);
    return rc;
}
