/*
 * coalesce.c - group commit at the ingest layer.
 *
 * How it works (LevelDB's writer queue): each topic partition has a slot
 * with a FIFO of groups. A caller adds its records to the open group at
 * the tail (or opens a new one when the tail is full or already being
 * written) and waits. When the slot is idle the caller becomes the
 * leader: it takes the head group, writes all its records with one
 * inner append outside the lock, hands every member its offsets (base +
 * its position in the group) and its error, and passes leadership to the
 * next group in the FIFO. Records are not copied: every member blocks
 * until its group is written, so the pointers stay valid. A failed
 * append fails the whole group and stores nothing (the log's append is
 * all or nothing), so each member answers 503/500 and the log stays
 * unchanged. Order: a caller's records are contiguous and groups are
 * written in FIFO order, so one connection's requests keep their order.
 */
#include "ingest/coalesce.h"
#include "core/mem.h"

#include <pthread.h>
#include <string.h>

#define GROUP_RECORDS_MAX 10000
#define SLOTS 64

struct group {
    struct group *next;
    struct fl_log_record *recs;
    int n, cap;
    size_t bytes;
    int members;
    int sealed; /* taken by a leader: no more joins */
    int done;
    int lead; /* this group's turn: one member becomes the leader */
    int64_t base;
    fl_err_t rc;
    struct fl_error err;
    pthread_cond_t cv;
};

struct slot {
    struct slot *next; /* hash chain */
    char *topic;
    int partition;
    pthread_mutex_t mu;
    struct group *head, *tail;
    int busy;
};

struct coalescer {
    struct fl_ingest_backend inner;
    size_t max_bytes;
    pthread_mutex_t mu; /* the slot table */
    struct slot *slots[SLOTS];
};

static struct slot *slot_get(struct coalescer *co, const char *topic, int partition) {
    unsigned h = (unsigned)partition * 31u;
    for (const char *p = topic; *p; p++) h = h * 131u + (unsigned char)*p;
    h %= SLOTS;
    pthread_mutex_lock(&co->mu);
    struct slot *s = co->slots[h];
    while (s && (s->partition != partition || strcmp(s->topic, topic))) s = s->next;
    if (!s) {
        s = fl_calloc(1, sizeof(*s));
        s->topic = fl_strdup(topic);
        s->partition = partition;
        pthread_mutex_init(&s->mu, NULL);
        s->next = co->slots[h];
        co->slots[h] = s;
    }
    pthread_mutex_unlock(&co->mu);
    return s;
}

static void group_leave(struct group *g) {
    if (--g->members) return;
    pthread_cond_destroy(&g->cv);
    fl_free(g->recs);
    fl_free(g);
}

/* Writes the head group g; called and returns with s->mu held. */
static void lead(struct coalescer *co, struct slot *s, struct group *g) {
    g->sealed = 1;
    s->head = g->next;
    if (s->tail == g) s->tail = NULL;
    pthread_mutex_unlock(&s->mu);
    g->rc =
        co->inner.append(co->inner.ctx, s->topic, s->partition, g->recs, g->n, &g->base, &g->err);
    pthread_mutex_lock(&s->mu);
    g->done = 1;
    pthread_cond_broadcast(&g->cv);
    if (s->head) {
        s->head->lead = 1;
        pthread_cond_broadcast(&s->head->cv);
    } else {
        s->busy = 0;
    }
}

static fl_err_t co_append(void *ctx, const char *topic, int partition,
                          const struct fl_log_record *recs, int n, int64_t *base_offset,
                          struct fl_error *err) {
    struct coalescer *co = ctx;
    size_t bytes = 0;
    for (int i = 0; i < n; i++) bytes += recs[i].key_len + recs[i].value_len + 32;
    /* a request as big as a group on its own gains nothing from company */
    if (bytes >= co->max_bytes || n >= GROUP_RECORDS_MAX)
        return co->inner.append(co->inner.ctx, topic, partition, recs, n, base_offset, err);
    struct slot *s = slot_get(co, topic, partition);
    pthread_mutex_lock(&s->mu);
    struct group *g = s->tail;
    if (!g || g->sealed || g->bytes + bytes > co->max_bytes || g->n + n > GROUP_RECORDS_MAX) {
        g = fl_calloc(1, sizeof(*g));
        pthread_cond_init(&g->cv, NULL);
        if (s->tail)
            s->tail->next = g;
        else
            s->head = g;
        s->tail = g;
    }
    if (g->n + n > g->cap) {
        g->cap = g->n + n > 2 * g->cap ? g->n + n : 2 * g->cap;
        g->recs = fl_reallocarray(g->recs, (size_t)g->cap, sizeof(*g->recs));
    }
    int pos = g->n;
    memcpy(g->recs + pos, recs, (size_t)n * sizeof(*recs));
    g->n += n;
    g->bytes += bytes;
    g->members++;
    if (!s->busy) {
        s->busy = 1; /* the FIFO was empty: g is the head */
        lead(co, s, g);
    } else {
        while (!g->done) {
            if (g->lead) {
                g->lead = 0;
                lead(co, s, g);
                break;
            }
            pthread_cond_wait(&g->cv, &s->mu);
        }
    }
    fl_err_t rc = g->rc;
    if (rc)
        fl_errf(err, rc, "%s", g->err.msg);
    else
        *base_offset = g->base + pos;
    group_leave(g);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static fl_err_t co_partitions(void *ctx, const char *topic, bool create, int *partitions,
                              struct fl_error *err) {
    struct coalescer *co = ctx;
    return co->inner.topic_partitions(co->inner.ctx, topic, create, partitions, err);
}

static fl_err_t co_put_file(void *ctx, const char *key, const void *data, size_t len,
                            struct fl_error *err) {
    struct coalescer *co = ctx;
    return co->inner.put_file(co->inner.ctx, key, data, len, err);
}

void fl_ingest_coalesce_init(struct fl_ingest_backend *out, const struct fl_ingest_backend *inner,
                             size_t max_bytes) {
    struct coalescer *co = fl_calloc(1, sizeof(*co));
    co->inner = *inner;
    co->max_bytes = max_bytes ? max_bytes : (size_t)1 << 20;
    pthread_mutex_init(&co->mu, NULL);
    out->ctx = co;
    out->append = co_append;
    out->topic_partitions = co_partitions;
    out->put_file = co_put_file;
}

void fl_ingest_coalesce_fini(struct fl_ingest_backend *be) {
    struct coalescer *co = be->ctx;
    if (!co) return;
    for (int i = 0; i < SLOTS; i++)
        for (struct slot *s = co->slots[i], *next; s; s = next) {
            next = s->next;
            pthread_mutex_destroy(&s->mu);
            fl_free(s->topic);
            fl_free(s);
        }
    pthread_mutex_destroy(&co->mu);
    fl_free(co);
    be->ctx = NULL;
}
