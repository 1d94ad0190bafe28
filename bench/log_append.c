/*
 * log_append.c - appends records to floe's durable log from N threads and
 * reports appends/s and append latency (p50, p99, max); with --acks it
 * prints "partition offset key" for every acknowledged record, which is
 * how tests/e2e/log_crash.sh checks that kill -9 loses nothing acked.
 *
 *   log_append --dir DIR [--topic T] [--partitions P] [--threads N]
 *              [--records N] [--batch R] [--value-bytes B]
 *              [--sync always|interval|never] [--run ID] [--acks]
 *
 * Thread t appends to partition t % P; each record is keyed
 * "<run>-<t>-<i>" with a JSON value padded to --value-bytes. Without
 * --records it runs for 3 seconds.
 */
#include "core/mem.h"
#include "core/time.h"
#include "log/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cfg {
    const char *dir, *topic, *run;
    int partitions, threads, batch, value_bytes, acks;
    long records;
    fl_log_sync_t sync;
};

struct worker {
    const struct cfg *cfg;
    struct fl_log *log;
    int id;
    long done;
    int64_t *lat; /* microseconds per append */
    long nlat, caplat;
    int failed;
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop;

static void *work(void *arg) {
    struct worker *w = arg;
    const struct cfg *c = w->cfg;
    int part = w->id % c->partitions;
    struct fl_log_record *recs = fl_calloc((size_t)c->batch, sizeof(*recs));
    char(*keys)[64] = fl_calloc((size_t)c->batch, 64);
    char *vals = fl_calloc((size_t)c->batch, (size_t)c->value_bytes + 64);
    for (long i = 0; !stop && (c->records < 0 || i < c->records); i += c->batch) {
        int n = 0;
        for (; n < c->batch && (c->records < 0 || i + n < c->records); n++) {
            char *v = vals + (size_t)n * ((size_t)c->value_bytes + 64);
            snprintf(keys[n], 64, "%s-%d-%ld", c->run, w->id, i + n);
            int len = snprintf(v, 64, "{\"t\":%d,\"i\":%ld,\"pad\":\"", w->id, i + n);
            while (len < c->value_bytes - 2) v[len++] = 'x';
            v[len++] = '"';
            v[len++] = '}';
            recs[n] = (struct fl_log_record){(const uint8_t *)keys[n],
                                             strlen(keys[n]),
                                             (const uint8_t *)v,
                                             (size_t)len,
                                             -1,
                                             NULL,
                                             0};
        }
        int64_t off, t0 = fl_time_mono_us();
        struct fl_error err = {0};
        if (fl_log_append(w->log, c->topic, part, recs, n, &off, &err) != FL_OK) {
            fprintf(stderr, "log_append: %s\n", err.msg);
            w->failed = 1;
            break;
        }
        int64_t dt = fl_time_mono_us() - t0;
        if (w->nlat == w->caplat) {
            w->caplat = w->caplat ? w->caplat * 2 : 4096;
            w->lat = fl_reallocarray(w->lat, (size_t)w->caplat, sizeof(*w->lat));
        }
        w->lat[w->nlat++] = dt;
        w->done += n;
        if (c->acks) {
            pthread_mutex_lock(&out_lock);
            for (int k = 0; k < n; k++) printf("%d %lld %s\n", part, (long long)(off + k), keys[k]);
            fflush(stdout);
            pthread_mutex_unlock(&out_lock);
        }
    }
    fl_free(recs);
    fl_free(keys);
    fl_free(vals);
    return NULL;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    struct cfg c = {NULL, "bench", "r", 1, 1, 1, 100, 0, -1, FL_LOG_SYNC_ALWAYS};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--acks")) {
            c.acks = 1;
            continue;
        }
        i++;
        if (!strcmp(a, "--dir"))
            c.dir = v;
        else if (!strcmp(a, "--topic"))
            c.topic = v;
        else if (!strcmp(a, "--run"))
            c.run = v;
        else if (!strcmp(a, "--partitions"))
            c.partitions = atoi(v);
        else if (!strcmp(a, "--threads"))
            c.threads = atoi(v);
        else if (!strcmp(a, "--batch"))
            c.batch = atoi(v);
        else if (!strcmp(a, "--value-bytes"))
            c.value_bytes = atoi(v);
        else if (!strcmp(a, "--records"))
            c.records = atol(v);
        else if (!strcmp(a, "--sync"))
            c.sync = !strcmp(v, "never")      ? FL_LOG_SYNC_NEVER
                     : !strcmp(v, "interval") ? FL_LOG_SYNC_INTERVAL
                                              : FL_LOG_SYNC_ALWAYS;
        else {
            fprintf(stderr,
                    "usage: log_append --dir DIR [--topic T] [--partitions P] [--threads N]\n"
                    "  [--records N] [--batch R] [--value-bytes B] [--sync always|interval|never]\n"
                    "  [--run ID] [--acks]\n");
            return 2;
        }
    }
    if (!c.dir || c.partitions < 1 || c.threads < 1 || c.batch < 1 || c.value_bytes < 16) {
        fprintf(stderr, "log_append: --dir is required; counts must be positive\n");
        return 2;
    }
    struct fl_log_opts opts;
    fl_log_opts_default(&opts);
    opts.dir = c.dir;
    opts.min_free_bytes = 0;
    struct fl_log *log;
    struct fl_error err = {0};
    if (fl_log_open(&opts, &log, &err) != FL_OK) {
        fprintf(stderr, "log_append: %s\n", err.msg);
        return 1;
    }
    struct fl_log_topic_config tc;
    fl_log_topic_config_default(&tc);
    tc.partitions = c.partitions;
    tc.sync = c.sync;
    if (fl_log_topic_ensure(log, c.topic, &tc, &err) != FL_OK) {
        fprintf(stderr, "log_append: %s\n", err.msg);
        fl_log_close(log);
        return 1;
    }
    struct worker *w = fl_calloc((size_t)c.threads, sizeof(*w));
    pthread_t *tid = fl_calloc((size_t)c.threads, sizeof(*tid));
    int64_t t0 = fl_time_mono_us();
    for (int i = 0; i < c.threads; i++) {
        w[i] = (struct worker){&c, log, i, 0, NULL, 0, 0, 0};
        pthread_create(&tid[i], NULL, work, &w[i]);
    }
    if (c.records < 0) {
        while (fl_time_mono_us() - t0 < 3 * 1000000) {
            struct timespec ts = {0, 50 * 1000000};
            nanosleep(&ts, NULL);
        }
        stop = 1;
    }
    long total = 0, nlat = 0;
    int failed = 0;
    for (int i = 0; i < c.threads; i++) {
        pthread_join(tid[i], NULL);
        total += w[i].done;
        nlat += w[i].nlat;
        failed |= w[i].failed;
    }
    double secs = (double)(fl_time_mono_us() - t0) / 1e6;
    int64_t *all = fl_calloc((size_t)nlat + 1, sizeof(*all));
    long k = 0;
    for (int i = 0; i < c.threads; i++) {
        memcpy(all + k, w[i].lat, (size_t)w[i].nlat * sizeof(*all));
        k += w[i].nlat;
        fl_free(w[i].lat);
    }
    qsort(all, (size_t)nlat, sizeof(*all), cmp64);
    if (nlat)
        fprintf(stderr,
                "log_append: %ld records in %ld appends, %d threads, %d partitions, sync %s: "
                "%.0f records/s, %.0f appends/s, latency p50 %lld us p99 %lld us max %lld us\n",
                total, nlat, c.threads, c.partitions,
                c.sync == FL_LOG_SYNC_ALWAYS     ? "always"
                : c.sync == FL_LOG_SYNC_INTERVAL ? "interval"
                                                 : "never",
                (double)total / secs, (double)nlat / secs, (long long)all[nlat / 2],
                (long long)all[(nlat * 99) / 100], (long long)all[nlat - 1]);
    fl_free(all);
    fl_free(w);
    fl_free(tid);
    fl_log_close(log);
    return failed;
}
