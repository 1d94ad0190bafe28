/*
 * producers.c - InitProducerId (v0-v4) and idempotent produce: producer
 * ids, epochs and per-partition sequence numbers, so that a producer's
 * retry of a batch the log already holds is acknowledged with the
 * original offsets instead of being appended twice, and a gap in the
 * sequence is refused with OUT_OF_ORDER_SEQUENCE_NUMBER.
 *
 * How it works: ids are handed out from a counter that starts at the
 * wall clock in microseconds when floe starts, so an id is never given
 * twice across restarts; epochs start at 0. For every (topic, partition,
 * producer id) the table keeps the epoch, the last sequence appended and
 * the last five batches (first and last sequence, base offset), as
 * Kafka does. A batch is
 *   - a duplicate when its sequences are one of those five: its base
 *     offset is returned and nothing is appended;
 *   - next when its first sequence follows the last one (wrapping after
 *     INT32_MAX), or is 0 under a newer epoch: it is appended;
 *   - out of order otherwise; an older epoch is INVALID_PRODUCER_EPOCH.
 * A producer id below the first one this process gave out is from
 * before a restart: the first time it is seen on a partition, that
 * partition's batch headers are read back from the log (producer id,
 * epoch, sequences and offsets are all in the header, as sent) to
 * rebuild its state. That read is a scan of the partition, once per old
 * producer and partition. (Under `log: {kafka: ...}` the batches are in
 * the external cluster, not the log: an old producer's first batch is
 * then taken at whatever sequence it has, so a retry that spans a floe
 * restart can reach the cluster twice.)
 *
 * One producer sends to a partition over one connection, whose requests
 * are handled one at a time (server.c), so the check and the append are
 * not one atomic step: the table's lock is held for each alone. The
 * table holds at most ENTRIES_MAX entries; past it the least recently
 * used one is dropped (its producer then gets OUT_OF_ORDER_SEQUENCE on
 * its next batch, and starts over with a new id).
 */
#include "kafka/kafka_int.h"

#include "core/mem.h"
#include "core/time.h"
#include "log/batch.h"

#include <string.h>

#define RECENT 5
#define BUCKETS 4096
#define ENTRIES_MAX 65536
#define SCAN_BYTES (1 << 20)

struct recent {
    int32_t first, last;
    int64_t offset;
};

struct pstate {
    char *topic;
    int32_t part;
    int64_t pid;
    int16_t epoch;
    int32_t last_seq; /* -1: none yet */
    struct recent recent[RECENT];
    int nrecent, head;
    int64_t used_us;
    struct pstate *next;
};

struct fl_kafka_producers {
    pthread_mutex_t lock;
    int64_t next_pid, first_pid;
    struct pstate *buckets[BUCKETS];
    int n;
};

fl_err_t fl_kafka_producers_new(struct fl_kafka_producers **out) {
    struct fl_kafka_producers *ps = fl_calloc(1, sizeof(*ps));
    pthread_mutex_init(&ps->lock, NULL);
    ps->first_pid = ps->next_pid = fl_time_now_us();
    *out = ps;
    return FL_OK;
}

void fl_kafka_producers_free(struct fl_kafka_producers *ps) {
    if (!ps) return;
    for (int b = 0; b < BUCKETS; b++)
        for (struct pstate *s = ps->buckets[b], *nx; s; s = nx) {
            nx = s->next;
            fl_free(s->topic);
            fl_free(s);
        }
    pthread_mutex_destroy(&ps->lock);
    fl_free(ps);
}

static unsigned bucket(const char *topic, int32_t part, int64_t pid) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = topic; *p; p++) h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
    h ^= (uint64_t)pid * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uint32_t)part;
    return (unsigned)(h % BUCKETS);
}

static struct pstate *find(struct fl_kafka_producers *ps, const char *topic, int32_t part,
                           int64_t pid) {
    for (struct pstate *s = ps->buckets[bucket(topic, part, pid)]; s; s = s->next)
        if (s->pid == pid && s->part == part && !strcmp(s->topic, topic)) return s;
    return NULL;
}

/* Drops the least recently used entry. @locks ps->lock */
static void evict(struct fl_kafka_producers *ps) {
    struct pstate **victim = NULL;
    for (int b = 0; b < BUCKETS; b++)
        for (struct pstate **pp = &ps->buckets[b]; *pp; pp = &(*pp)->next)
            if (!victim || (*pp)->used_us < (*victim)->used_us) victim = pp;
    if (!victim) return;
    struct pstate *s = *victim;
    *victim = s->next;
    fl_free(s->topic);
    fl_free(s);
    ps->n--;
}

static struct pstate *add(struct fl_kafka_producers *ps, const char *topic, int32_t part,
                          int64_t pid) {
    if (ps->n >= ENTRIES_MAX) evict(ps);
    struct pstate *s = fl_calloc(1, sizeof(*s));
    s->topic = fl_strdup(topic);
    s->part = part;
    s->pid = pid;
    s->epoch = -1;
    s->last_seq = -1;
    unsigned b = bucket(topic, part, pid);
    s->next = ps->buckets[b];
    ps->buckets[b] = s;
    ps->n++;
    return s;
}

static void remember(struct pstate *s, int16_t epoch, int32_t first, int32_t count,
                     int64_t offset) {
    if (epoch != s->epoch) s->nrecent = s->head = 0;
    s->epoch = epoch;
    int32_t last = (int32_t)(((int64_t)first + count - 1) % ((int64_t)INT32_MAX + 1));
    s->last_seq = last;
    s->recent[s->head] = (struct recent){first, last, offset};
    s->head = (s->head + 1) % RECENT;
    if (s->nrecent < RECENT) s->nrecent++;
}

/* Rebuilds s from the partition's batch headers. */
static void rebuild(struct fl_kafka *k, struct pstate *s) {
    struct fl_buf buf;
    struct fl_error err = {0};
    fl_buf_init(&buf, (size_t)64 << 20);
    int64_t at = 0, next;
    for (;;) {
        fl_buf_reset(&buf);
        fl_err_clear(&err);
        fl_err_t rc = fl_log_read(k->log, s->topic, s->part, at, SCAN_BYTES, &buf, &next, &err);
        if (rc == FL_ERR_RANGE && at == 0) { /* retention moved the start */
            struct fl_log_partition_info *info = NULL;
            int np;
            if (fl_kafka_topic_info(k, s->topic, &np, &info) || s->part >= np) {
                fl_free(info);
                break;
            }
            at = info[s->part].start_offset;
            fl_free(info);
            if (at == 0) break;
            continue;
        }
        if (rc || buf.len == 0 || next <= at) break;
        for (size_t pos = 0; pos + FL_LOG_BATCH_OVERHEAD <= buf.len;) {
            struct fl_log_batch_hdr h;
            fl_log_batch_hdr_parse(buf.data + pos, &h);
            if (h.producer_id == s->pid && h.base_sequence >= 0)
                remember(s, h.producer_epoch, h.base_sequence, h.count, h.base_offset);
            pos += (size_t)h.length + FL_LOG_BATCH_LOG_OVERHEAD;
        }
        at = next;
    }
    fl_buf_fini(&buf);
}

int16_t fl_kafka_producer_check(struct fl_kafka *k, const char *topic, int32_t part,
                                const struct fl_log_batch_hdr *h, int64_t *dup_offset) {
    struct fl_kafka_producers *ps = k->producers;
    if (h->producer_id < 0 || h->base_sequence < 0) return FL_KAFKA_NONE; /* not idempotent */
    pthread_mutex_lock(&ps->lock);
    struct pstate *s = find(ps, topic, part, h->producer_id);
    bool old = !s && h->producer_id < ps->first_pid;
    if (!s) s = add(ps, topic, part, h->producer_id);
    s->used_us = fl_time_mono_us();
    pthread_mutex_unlock(&ps->lock);
    /* the connection's own producer: no one else touches s. Forwarding to
     * an external cluster (produce_forward.c) there is no log to read
     * back: an old producer's first batch is taken at any sequence */
    bool forwarded = k->cfg.forward != NULL;
    if (old && !forwarded) rebuild(k, s);
    pthread_mutex_lock(&ps->lock);
    int16_t code = FL_KAFKA_NONE;
    int32_t last = (int32_t)(((int64_t)h->base_sequence + h->count - 1) % ((int64_t)INT32_MAX + 1));
    if (s->epoch >= 0 && h->producer_epoch < s->epoch) {
        code = FL_KAFKA_INVALID_PRODUCER_EPOCH;
    } else if (h->producer_epoch == s->epoch) {
        for (int i = 0; i < s->nrecent; i++)
            if (s->recent[i].first == h->base_sequence && s->recent[i].last == last) {
                *dup_offset = s->recent[i].offset;
                code = FL_KAFKA_DUPLICATE_SEQUENCE_NUMBER;
            }
        int32_t want = s->last_seq == INT32_MAX ? 0 : s->last_seq + 1;
        if (!code && h->base_sequence != want) code = FL_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER;
    } else if (h->base_sequence != 0 && !(old && forwarded)) { /* a new one starts at 0 */
        code = FL_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER;
    }
    pthread_mutex_unlock(&ps->lock);
    return code;
}

void fl_kafka_producer_appended(struct fl_kafka *k, const char *topic, int32_t part,
                                const struct fl_log_batch_hdr *h, int64_t base_offset) {
    struct fl_kafka_producers *ps = k->producers;
    if (h->producer_id < 0 || h->base_sequence < 0) return;
    pthread_mutex_lock(&ps->lock);
    struct pstate *s = find(ps, topic, part, h->producer_id);
    if (!s) s = add(ps, topic, part, h->producer_id);
    remember(s, h->producer_epoch, h->base_sequence, h->count, base_offset);
    pthread_mutex_unlock(&ps->lock);
}

void fl_kafka_producers_forget(struct fl_kafka *k, const char *topic, int32_t part) {
    struct fl_kafka_producers *ps = k->producers;
    pthread_mutex_lock(&ps->lock);
    for (int b = 0; b < BUCKETS; b++)
        for (struct pstate **pp = &ps->buckets[b]; *pp;) {
            struct pstate *s = *pp;
            if (s->part == part && !strcmp(s->topic, topic)) {
                *pp = s->next;
                fl_free(s->topic);
                fl_free(s);
                ps->n--;
            } else {
                pp = &s->next;
            }
        }
    pthread_mutex_unlock(&ps->lock);
}

fl_err_t fl_kafka_init_producer_id(struct fl_kafka *k, struct fl_kafka_req *rq,
                                   struct fl_kafka_rd *rd, struct fl_kafka_wr *w) {
    bool flex = rq->flex;
    struct fl_kafka_str txn = fl_kafka_rd_str(rd, flex);
    (void)fl_kafka_rd_i32(rd); /* transaction timeout */
    int64_t pid = -1;
    int16_t epoch = -1;
    if (rq->version >= 3) {
        pid = fl_kafka_rd_i64(rd);
        epoch = fl_kafka_rd_i16(rd);
    }
    fl_kafka_rd_tags(rd, flex);
    if (rd->bad) return FL_ERR_CORRUPT;
    struct fl_kafka_producers *ps = k->producers;
    int16_t code = FL_KAFKA_NONE;
    if (txn.len >= 0) {
        code = FL_KAFKA_TRANSACTIONAL_ID_AUTHORIZATION_FAILED; /* no transactions */
    } else if (pid >= 0 && epoch >= 0 && epoch < INT16_MAX - 1) {
        epoch++; /* a producer bumping its epoch after an error keeps its id */
    } else {
        pthread_mutex_lock(&ps->lock);
        pid = ps->next_pid++;
        pthread_mutex_unlock(&ps->lock);
        epoch = 0;
    }
    fl_kafka_wr_i32(w, 0);
    fl_kafka_wr_i16(w, code);
    fl_kafka_wr_i64(w, code ? -1 : pid);
    fl_kafka_wr_i16(w, code ? -1 : epoch);
    fl_kafka_wr_tags(w, flex);
    return FL_OK;
}
