/*
 * kafka_produce.c - the Kafka benchmark client: librdkafka (Debian's
 * librdkafka-dev) against any broker, floe's Kafka server in
 * bench/kafka.sh. Three modes, 100-byte values, no keys:
 *
 *   produce  -n N     N records with acks=all as fast as librdkafka
 *                     batches them (linger.ms 5, up to 10,000 records a
 *                     batch); records/s from the first send to the last
 *                     delivery report.
 *   latency  -r R -d S  single records (linger.ms 0, acks=all) sent at R
 *                     a second for S seconds, each its own produce call
 *                     paced on an absolute clock; a poller thread takes
 *                     delivery reports as they come; p50, p99 and max
 *                     from each send to its report.
 *   consume  -n N     reads the topic from the beginning of every
 *                     partition (assign, no group rebalance) until N
 *                     records or the end of all partitions; records/s
 *                     from the first poll to the last record.
 *
 * Prints one line of results; exit status 1 when a delivery failed or
 * fewer records than asked arrived. Built by CMake when pkg-config finds
 * rdkafka (target kafka_produce), else by bench/kafka.sh with cc.
 */
#include <librdkafka/rdkafka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VALUE_BYTES 100

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct opts {
    const char *brokers, *topic, *mode;
    long n, rate, secs;
    const char *extra[16]; /* -X key=value: librdkafka settings over the defaults */
    int nextra;
};

static void usage(void) {
    fprintf(stderr,
            "usage: kafka_produce -b HOST:PORT -t TOPIC [-X key=value]... produce -n N\n"
            "       kafka_produce -b HOST:PORT -t TOPIC [-X ...] latency -r PER_SEC -d SECS\n"
            "       kafka_produce -b HOST:PORT -t TOPIC [-X ...] consume -n N\n");
}

static int set(rd_kafka_conf_t *conf, const char *k, const char *v) {
    char err[256];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "kafka_produce: %s=%s: %s\n", k, v, err);
        return -1;
    }
    return 0;
}

/* The -X settings, after the mode's defaults. */
static int set_extra(rd_kafka_conf_t *conf, const struct opts *o) {
    for (int i = 0; i < o->nextra; i++) {
        char kv[256];
        snprintf(kv, sizeof(kv), "%s", o->extra[i]);
        char *eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "kafka_produce: -X %s: expected key=value\n", kv);
            return -1;
        }
        *eq = 0;
        if (set(conf, kv, eq + 1)) return -1;
    }
    return 0;
}

/* State the delivery report callback updates (the poller's thread). */
struct reports {
    atomic_long done, failed;
    int64_t *lat_ns; /* latency mode: per record, by index */
    int64_t last_ns; /* when the last report came */
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    struct reports *r = opaque;
    int64_t t = now_ns();
    if (m->err) {
        if (atomic_fetch_add(&r->failed, 1) == 0)
            fprintf(stderr, "kafka_produce: delivery failed: %s\n", rd_kafka_err2str(m->err));
    } else if (r->lat_ns) {
        /* the message's opaque is its send time; store the latency by index */
        long i = atomic_load(&r->done);
        r->lat_ns[i] = t - (int64_t)(intptr_t)m->_private;
    }
    r->last_ns = t;
    atomic_fetch_add(&r->done, 1);
}

static rd_kafka_t *producer(const struct opts *o, struct reports *r, const char *linger) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    if (set(conf, "bootstrap.servers", o->brokers) || set(conf, "acks", "all") ||
        set(conf, "linger.ms", linger) || set(conf, "batch.num.messages", "10000") ||
        set(conf, "batch.size", "4000000") ||
        set(conf, "queue.buffering.max.messages", "2000000") ||
        set(conf, "queue.buffering.max.kbytes", "1048576") || set_extra(conf, o)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, r);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) fprintf(stderr, "kafka_produce: %s\n", err);
    return rk;
}

/* Sends one value; retries while the local queue is full. */
static int send_one(rd_kafka_t *rk, const char *topic, const char *value, void *opaque) {
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE((void *)value, VALUE_BYTES),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "kafka_produce: produce: %s\n", rd_kafka_err2str(e));
            return -1;
        }
        rd_kafka_poll(rk, 1);
    }
}

static int run_produce(const struct opts *o) {
    struct reports r = {0};
    rd_kafka_t *rk = producer(o, &r, "5");
    if (!rk) return 1;
    char value[VALUE_BYTES];
    int rc = 0;
    int64_t t0 = now_ns();
    for (long i = 0; i < o->n && rc == 0; i++) {
        snprintf(value, sizeof(value), "%099ld", i);
        rc = send_one(rk, o->topic, value, NULL);
        if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 60000);
    long done = atomic_load(&r.done), failed = atomic_load(&r.failed);
    double secs = (double)(r.last_ns - t0) / 1e9;
    printf("produce: %ld records of %d B, acks=all: %.0f records/s (%.2f s, %ld failed)\n", done,
           VALUE_BYTES, secs > 0 ? (double)(done - failed) / secs : 0, secs, failed);
    rd_kafka_destroy(rk);
    return rc || failed || done != o->n;
}

struct poller {
    rd_kafka_t *rk;
    atomic_bool stop;
};

static void *poll_main(void *arg) {
    struct poller *p = arg;
    while (!atomic_load(&p->stop)) rd_kafka_poll(p->rk, 10);
    return NULL;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int run_latency(const struct opts *o) {
    long n = o->rate * o->secs;
    struct reports r = {0};
    int64_t *lat = calloc((size_t)n, sizeof(*lat));
    rd_kafka_t *rk = lat ? producer(o, &r, "0") : NULL;
    if (!rk) {
        free(lat);
        return 1;
    }
    /* warm up: metadata and the connection before the clock starts */
    char value[VALUE_BYTES];
    memset(value, 'x', sizeof(value));
    int rc = send_one(rk, o->topic, value, NULL);
    rd_kafka_flush(rk, 10000);
    atomic_store(&r.done, 0);
    atomic_store(&r.failed, 0);
    r.lat_ns = lat;
    /* from here on only the poller takes reports, one thread, as they come */
    struct poller p = {.rk = rk};
    atomic_init(&p.stop, false);
    pthread_t th;
    pthread_create(&th, NULL, poll_main, &p);
    int64_t start = now_ns(), period = 1000000000 / o->rate;
    for (long i = 0; i < n && rc == 0; i++) {
        int64_t due = start + i * period;
        struct timespec ts = {(time_t)(due / 1000000000), (long)(due % 1000000000)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
        }
        rc = send_one(rk, o->topic, value, (void *)(intptr_t)now_ns());
    }
    double sent_secs = (double)(now_ns() - start) / 1e9;
    for (int64_t until = now_ns() + (int64_t)30 * 1000000000;
         atomic_load(&r.done) < n && now_ns() < until;)
        usleep(1000);
    atomic_store(&p.stop, true);
    pthread_join(th, NULL);
    long done = atomic_load(&r.done), failed = atomic_load(&r.failed), k = 0;
    for (long i = 0; i < done; i++)
        if (lat[i] > 0) lat[k++] = lat[i];
    qsort(lat, (size_t)k, sizeof(*lat), cmp_i64);
    if (k > 0)
        printf("latency: %ld single records at %ld/s, acks=all: p50 %.2f ms, p99 %.2f ms, max "
               "%.2f ms (%.1f s, %ld failed)\n",
               k, o->rate, (double)lat[k / 2] / 1e6, (double)lat[(k * 99) / 100] / 1e6,
               (double)lat[k - 1] / 1e6, sent_secs, failed);
    else
        printf("latency: no delivery reports (%ld failed)\n", failed);
    r.lat_ns = NULL;
    rd_kafka_flush(rk, 1000);
    free(lat);
    rd_kafka_destroy(rk);
    return rc || failed || done != n;
}

static int run_consume(const struct opts *o) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    if (set(conf, "bootstrap.servers", o->brokers) || set(conf, "group.id", "kafka_produce") ||
        set(conf, "enable.auto.commit", "false") || set(conf, "enable.partition.eof", "true") ||
        set(conf, "queued.max.messages.kbytes", "1048576") ||
        set(conf, "fetch.wait.max.ms", "100") || set_extra(conf, o)) {
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "kafka_produce: %s\n", err);
        return 1;
    }
    rd_kafka_poll_set_consumer(rk);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (e || md->topic_cnt != 1 || md->topics[0].err) {
        fprintf(stderr, "kafka_produce: metadata of %s: %s\n", o->topic,
                rd_kafka_err2str(e               ? e
                                 : md->topic_cnt ? md->topics[0].err
                                                 : e));
        if (md) rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        return 1;
    }
    int nparts = md->topics[0].partition_cnt;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(nparts);
    for (int i = 0; i < nparts; i++)
        rd_kafka_topic_partition_list_add(list, o->topic, md->topics[0].partitions[i].id)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    /* batches off the consumer queue: one lock round trip per batch, not per record */
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    rd_kafka_message_t *ms[4096];
    long got = 0, eofs = 0, bytes = 0;
    int64_t t0 = now_ns(), last = t0, deadline = t0 + (int64_t)120 * 1000000000;
    while (got < o->n && eofs < nparts && now_ns() < deadline) {
        ssize_t k = rd_kafka_consume_batch_queue(q, 100, ms, 4096);
        for (ssize_t i = 0; i < k; i++) {
            rd_kafka_message_t *m = ms[i];
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                eofs++;
            else if (m->err)
                fprintf(stderr, "kafka_produce: consume: %s\n", rd_kafka_message_errstr(m));
            else {
                got++;
                bytes += (long)m->len;
            }
            rd_kafka_message_destroy(m);
        }
        if (k > 0) last = now_ns();
    }
    rd_kafka_queue_destroy(q);
    double secs = (double)(last - t0) / 1e9;
    printf("consume: %ld records (%ld MB) from %d partition%s: %.0f records/s (%.2f s)\n", got,
           bytes >> 20, nparts, nparts == 1 ? "" : "s", secs > 0 ? (double)got / secs : 0, secs);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return got < o->n;
}

int main(int argc, char **argv) {
    struct opts o = {0};
    int c;
    while ((c = getopt(argc, argv, "b:t:n:r:d:X:")) != -1) {
        switch (c) {
        case 'X':
            if (o.nextra == 16) {
                fprintf(stderr, "kafka_produce: at most 16 -X settings\n");
                return 2;
            }
            o.extra[o.nextra++] = optarg;
            break;
        case 'b':
            o.brokers = optarg;
            break;
        case 't':
            o.topic = optarg;
            break;
        case 'n':
            o.n = strtol(optarg, NULL, 10);
            break;
        case 'r':
            o.rate = strtol(optarg, NULL, 10);
            break;
        case 'd':
            o.secs = strtol(optarg, NULL, 10);
            break;
        default:
            usage();
            return 2;
        }
    }
    o.mode = optind < argc ? argv[optind] : NULL;
    if (!o.brokers || !o.topic || !o.mode) {
        usage();
        return 2;
    }
    if (!strcmp(o.mode, "produce") && o.n > 0) return run_produce(&o);
    if (!strcmp(o.mode, "consume") && o.n > 0) return run_consume(&o);
    if (!strcmp(o.mode, "latency") && o.rate > 0 && o.rate <= 1000000 && o.secs > 0 &&
        o.secs <= 3600)
        return run_latency(&o);
    usage();
    return 2;
}
