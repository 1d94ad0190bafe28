/*
 * coalesce.c - group commit at the ingest layer.
 *
 * How it works: each topic partition has a slot with a FIFO of queued
 * appends. A caller (an HTTP thread) adds its append to the slot's FIFO
 * and, if the slot was idle, puts the slot on the ready list; it never
 * writes. A few appender threads (APPENDERS) take ready slots: an
 * appender takes every append queued in the slot (up to max_bytes and
 * GROUP_RECORDS_MAX), writes them with one inner append outside the lock
 * (one record batch, one write, one fsync), then hands every append its
 * offsets (base + its position in the group) and its error through its
 * callback, and puts the slot back on the ready list if more arrived
 * meanwhile. So a slot is written by one thread at a time, and groups
 * grow with the load: everything that arrives during one fsync goes into
 * the next.
 *
 * Two ways in: append_async (GET /log through server.c) returns at once
 * and its callback runs on the appender thread; append (everything else)
 * queues the same way and blocks until its callback woke it. Records are
 * not copied: they are borrowed until the callback. A failed append fails
 * the whole group and stores nothing (the log's append is all or
 * nothing), so each member answers 503/500 and the log stays unchanged.
 * Order: a caller's records are contiguous and a slot's groups are
 * written in FIFO order, so one connection's requests keep their order.
 * A request as big as a group on its own goes straight to the log on the
 * caller's thread.
 *
 * @locks co->mu guards the slot table, every FIFO and the ready list.
 */
#include "ingest/coalesce.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#define GROUP_RECORDS_MAX 10000
#define SLOTS 64
/* appender threads: partitions written in parallel; one is enough for
 * one partition, a few let a slow partition not hold up the others */
#define APPENDERS 4

struct item {
    struct item *next;
    const struct fl_log_record *recs;
    int n;
    size_t bytes;
    fl_ingest_append_cb cb;
    void *arg;
};

struct slot {
    struct slot *next;  /* hash chain */
    struct slot *rnext; /* ready list */
    char *topic;
    int partition;
    struct item *head, *tail;
    bool busy; /* on the ready list or being written */
};

struct coalescer {
    struct fl_ingest_backend inner;
    size_t max_bytes;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* ready list not empty, or stop */
    struct slot *slots[SLOTS];
    struct slot *ready_head, *ready_tail;
    bool stop;
    pthread_t th[APPENDERS];
    int nth;
};

/* @locks co->mu */
static struct slot *slot_get(struct coalescer *co, const char *topic, int partition) {
    unsigned h = (unsigned)partition * 31u;
    for (const char *p = topic; *p; p++) h = h * 131u + (unsigned char)*p;
    h %= SLOTS;
    struct slot *s = co->slots[h];
    while (s && (s->partition != partition || strcmp(s->topic, topic))) s = s->next;
    if (!s) {
        s = fl_calloc(1, sizeof(*s));
        s->topic = fl_strdup(topic);
        s->partition = partition;
        s->next = co->slots[h];
        co->slots[h] = s;
    }
    return s;
}

/* @locks co->mu */
static void ready_push(struct coalescer *co, struct slot *s) {
    s->rnext = NULL;
    if (co->ready_tail)
        co->ready_tail->rnext = s;
    else
        co->ready_head = s;
    co->ready_tail = s;
    pthread_cond_signal(&co->cv);
}

static size_t recs_bytes(const struct fl_log_record *recs, int n) {
    size_t bytes = 0;
    for (int i = 0; i < n; i++) bytes += recs[i].key_len + recs[i].value_len + 32;
    return bytes;
}

/* Queues it (it->recs, n, bytes, cb, arg set) on its partition's slot.
 * @locality any thread; takes co->mu */
static void enqueue(struct coalescer *co, const char *topic, int partition, struct item *it) {
    pthread_mutex_lock(&co->mu);
    struct slot *s = slot_get(co, topic, partition);
    it->next = NULL;
    if (s->tail)
        s->tail->next = it;
    else
        s->head = it;
    s->tail = it;
    if (!s->busy) {
        s->busy = true;
        ready_push(co, s);
    }
    pthread_mutex_unlock(&co->mu);
}

/* @locality an appender thread */
static void *appender(void *arg) {
    struct coalescer *co = arg;
    struct fl_log_record *recs = NULL;
    int cap = 0;
    pthread_mutex_lock(&co->mu);
    for (;;) {
        struct slot *s = co->ready_head;
        if (!s) {
            if (co->stop) break;
            pthread_cond_wait(&co->cv, &co->mu);
            continue;
        }
        co->ready_head = s->rnext;
        if (!co->ready_head) co->ready_tail = NULL;
        /* take a group: at least one append, then as many as fit */
        struct item *first = s->head, *last = first;
        int n = first->n;
        size_t bytes = first->bytes;
        while (last->next && bytes + last->next->bytes <= co->max_bytes &&
               n + last->next->n <= GROUP_RECORDS_MAX) {
            last = last->next;
            n += last->n;
            bytes += last->bytes;
        }
        s->head = last->next;
        if (!s->head) s->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&co->mu);

        if (n > cap) {
            cap = n > 2 * cap ? n : 2 * cap;
            recs = fl_reallocarray(recs, (size_t)cap, sizeof(*recs));
        }
        int pos = 0;
        for (struct item *it = first; it; it = it->next) {
            memcpy(recs + pos, it->recs, (size_t)it->n * sizeof(*recs));
            pos += it->n;
        }
        struct fl_error err = {0};
        int64_t base = 0;
        fl_err_t rc = co->inner.append(co->inner.ctx, s->topic, s->partition, recs, n, &base, &err);
        pos = 0;
        for (struct item *it = first, *next; it; it = next) {
            next = it->next; /* the callback may free it */
            int64_t off = base + pos;
            pos += it->n;
            it->cb(it->arg, rc, rc ? -1 : off, &err);
        }

        pthread_mutex_lock(&co->mu);
        if (s->head)
            ready_push(co, s);
        else
            s->busy = false;
    }
    pthread_mutex_unlock(&co->mu);
    fl_free(recs);
    return NULL;
}

/* An append_async: the item is allocated here and freed by its callback. */
struct async_item {
    struct item it;
    fl_ingest_append_cb cb;
    void *arg;
};

static void async_done(void *arg, fl_err_t rc, int64_t base_offset, const struct fl_error *err) {
    struct async_item *ai = arg;
    fl_ingest_append_cb cb = ai->cb;
    void *cb_arg = ai->arg;
    fl_free(ai);
    cb(cb_arg, rc, base_offset, err);
}

static void co_append_async(void *ctx, const char *topic, int partition,
                            const struct fl_log_record *recs, int n, fl_ingest_append_cb cb,
                            void *arg) {
    struct coalescer *co = ctx;
    size_t bytes = recs_bytes(recs, n);
    if (bytes >= co->max_bytes || n >= GROUP_RECORDS_MAX) {
        /* rare (GET /log events are small): write it here */
        struct fl_error err = {0};
        int64_t base = 0;
        fl_err_t rc = co->inner.append(co->inner.ctx, topic, partition, recs, n, &base, &err);
        cb(arg, rc, rc ? -1 : base, &err);
        return;
    }
    struct async_item *ai = fl_calloc(1, sizeof(*ai));
    ai->cb = cb;
    ai->arg = arg;
    ai->it = (struct item){.recs = recs, .n = n, .bytes = bytes, .cb = async_done, .arg = ai};
    enqueue(co, topic, partition, &ai->it);
}

/* A blocking append waits on its own condition variable. */
struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    fl_err_t rc;
    int64_t base;
    struct fl_error err;
};

static void waiter_done(void *arg, fl_err_t rc, int64_t base_offset, const struct fl_error *err) {
    struct waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    w->rc = rc;
    w->base = base_offset;
    if (rc) w->err = *err;
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static fl_err_t co_append(void *ctx, const char *topic, int partition,
                          const struct fl_log_record *recs, int n, int64_t *base_offset,
                          struct fl_error *err) {
    struct coalescer *co = ctx;
    size_t bytes = recs_bytes(recs, n);
    /* a request as big as a group on its own gains nothing from company */
    if (bytes >= co->max_bytes || n >= GROUP_RECORDS_MAX || co->nth == 0)
        return co->inner.append(co->inner.ctx, topic, partition, recs, n, base_offset, err);
    struct waiter w = {.done = false};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    struct item it = {.recs = recs, .n = n, .bytes = bytes, .cb = waiter_done, .arg = &w};
    enqueue(co, topic, partition, &it);
    pthread_mutex_lock(&w.mu);
    while (!w.done) pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    if (w.rc)
        fl_errf(err, w.rc, "%s", w.err.msg);
    else
        *base_offset = w.base;
    return w.rc;
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
    pthread_cond_init(&co->cv, NULL);
    for (int i = 0; i < APPENDERS; i++) {
        if (pthread_create(&co->th[co->nth], NULL, appender, co) != 0) break;
        co->nth++;
    }
    out->ctx = co;
    out->append = co_append;
    out->append_async = co->nth ? co_append_async : NULL;
    out->topic_partitions = co_partitions;
    out->put_file = co_put_file;
}

void fl_ingest_coalesce_fini(struct fl_ingest_backend *be) {
    struct coalescer *co = be->ctx;
    if (!co) return;
    /* the appenders drain what is queued, then exit */
    pthread_mutex_lock(&co->mu);
    co->stop = true;
    pthread_cond_broadcast(&co->cv);
    pthread_mutex_unlock(&co->mu);
    for (int i = 0; i < co->nth; i++) pthread_join(co->th[i], NULL);
    for (int i = 0; i < SLOTS; i++)
        for (struct slot *s = co->slots[i], *next; s; s = next) {
            next = s->next;
            fl_free(s->topic);
            fl_free(s);
        }
    pthread_cond_destroy(&co->cv);
    pthread_mutex_destroy(&co->mu);
    fl_free(co);
    be->ctx = NULL;
}
