/*
 * cmd_gen.c - `floe gen SCENARIO`: the seeds' data generators, as load
 * for `floe up` over HTTP (libcurl, one keep-alive handle per thread).
 *
 *   weather     seed 001: GET /log?city=..&temperature=.. for its 10 cities
 *   datalake    seed 000: the same 5 session, 2 employee and 2 client files
 *               uploaded in a loop (multipart field "file")
 *   clickstream seed 002: POST /topics/clickstream {event_id,user_id,url,referrer,ua,ts}
 *   iot         seed 002: POST /topics/iot
 * {device_id,site,temp_c,humidity,battery,signal_strength,ts} ratings     seed 004: POST
 * /topics/nail_salon_ratings {customer_id,...,timestamp}
 *
 * With --kafka HOST:PORT the same events go over the Kafka protocol
 * (kafka/client.h: one connection per thread, acks=all, keyed events to
 * their key's partition by murmur2, weather readings round-robin).
 *
 * Threads share the rate evenly and keep a schedule (no burst after a
 * stall); the main thread prints the achieved rate every 2 seconds. The
 * exit status is 1 when any request failed.
 */
#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "core/time.h"
#include "kafka/client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GEN_THREADS_MAX 64

static const char *const CITIES[] = {"San Francisco", "New York", "Los Angeles", "Chicago",
                                     "Houston",       "Phoenix",  "Seattle",     "Denver",
                                     "Miami",         "Boston"};
static const char *const URLS[] = {"/",         "/products",      "/products/42", "/cart",
                                   "/checkout", "/search?q=floe", "/about",       "/blog/iceberg"};
static const char *const COMMENTS[] = {"Excellent service!", "Great nails", "Okay", "Too slow",
                                       "Will come back"};

typedef enum { GEN_WEATHER, GEN_DATALAKE, GEN_CLICKSTREAM, GEN_IOT, GEN_RATINGS } gen_kind_t;

struct gen {
    gen_kind_t kind;
    const char *target;
    const char *kafka; /* HOST:PORT: produce over the Kafka protocol instead */
    double rate;       /* requests per second, all threads */
    double duration_s;
    int threads;
    _Atomic long long ok, failed;
    _Atomic int stop;
    int64_t start_us;
};

struct worker {
    struct gen *g;
    int id;
    uint64_t rng;
    /* --kafka: this thread's connection and its topic's partition count */
    struct fl_kafka_client *kc;
    int nparts;
};

static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx) {
    (void)p;
    (void)ctx;
    return size * n;
}

/* The seed 000 sample files: fixed contents, so loops re-send identical data. */
static void datalake_file(long long i, char *name, size_t namesz, char *body, size_t bodysz) {
    int k = (int)(i % 9);
    if (k < 5) {
        snprintf(name, namesz, "sessions_%d.json", k + 1);
        snprintf(body, bodysz,
                 "{\"uuid\":\"session-%d\",\"status\":\"%s\",\"client_uuid\":\"client-%d\","
                 "\"specialist_uuid\":\"employee-%d\"}",
                 k + 1, k % 2 ? "resubmission" : "approved", k % 2 + 1, k % 2 + 1);
    } else if (k < 7) {
        snprintf(name, namesz, "employees_%d.json", k - 4);
        snprintf(
            body, bodysz,
            "{\"uuid\":\"employee-%d\",\"name\":\"Specialist %d\",\"email\":\"s%d@example.com\","
            "\"role\":\"specialist\"}",
            k - 4, k - 4, k - 4);
    } else {
        snprintf(name, namesz, "clients_%d.json", k - 6);
        snprintf(body, bodysz,
                 "{\"uuid\":\"client-%d\",\"name\":\"Client %d\",\"email\":\"c%d@example.com\"}",
                 k - 6, k - 6, k - 6);
    }
}

static void iso_now(char *out, size_t n, int with_zone) {
    char ts[40];
    fl_time_format_iso(fl_time_now_us(), ts, sizeof(ts));
    ts[19] = '\0'; /* seconds precision, as the seeds' producers send */
    snprintf(out, n, "%s%s", ts, with_zone ? "Z" : "");
}

/* Event seq of the topic scenarios (clickstream, iot, ratings): its
 * topic, key and JSON value, the same over HTTP and Kafka. */
static const char *event(struct worker *w, long long seq, char *key, size_t keysz, char *value,
                         size_t valsz) {
    struct gen *g = w->g;
    char ts[48];
    const char *topic;
    if (g->kind == GEN_CLICKSTREAM) {
        topic = "clickstream";
        iso_now(ts, sizeof(ts), 1);
        unsigned user = (unsigned)(rnd(&w->rng) % 5000);
        snprintf(key, keysz, "user-%u", user);
        snprintf(value, valsz,
                 "{\"event_id\":\"e-%d-%lld\",\"user_id\":\"user-%u\",\"url\":\"%s\","
                 "\"referrer\":\"%s\","
                 "\"ua\":\"Mozilla/5.0 (X11; Linux x86_64)\",\"ts\":\"%s\"}",
                 w->id, seq, user, URLS[rnd(&w->rng) % 8], URLS[rnd(&w->rng) % 8], ts);
    } else if (g->kind == GEN_IOT) {
        topic = "iot";
        iso_now(ts, sizeof(ts), 1);
        unsigned dev = (unsigned)(rnd(&w->rng) % 200);
        snprintf(key, keysz, "device-%u", dev);
        snprintf(value, valsz,
                 "{\"device_id\":\"device-%u\",\"site\":\"site-%u\",\"temp_c\":%.2f,"
                 "\"humidity\":%.2f,"
                 "\"battery\":%.2f,\"signal_strength\":%d,\"ts\":\"%s\"}",
                 dev, dev % 10, 15.0 + (double)(rnd(&w->rng) % 2000) / 100.0,
                 (double)(rnd(&w->rng) % 10000) / 100.0, (double)(rnd(&w->rng) % 1000) / 10.0,
                 -(int)(rnd(&w->rng) % 90) - 30, ts);
    } else {
        topic = "nail_salon_ratings";
        iso_now(ts, sizeof(ts), 0);
        unsigned cust = (unsigned)(rnd(&w->rng) % 1000) + 1;
        snprintf(key, keysz, "%u", cust);
        snprintf(value, valsz,
                 "{\"customer_id\":%u,\"branch_id\":%d,\"employee_id\":%d,\"treatment_id\":%d,"
                 "\"rating_value\":%.1f,\"comment\":\"%s\",\"timestamp\":\"%s\"}",
                 cust, (int)(rnd(&w->rng) % 5) + 1, (int)(rnd(&w->rng) % 20) + 1,
                 (int)(rnd(&w->rng) % 10) + 1, 1.0 + (double)(rnd(&w->rng) % 9) / 2.0,
                 COMMENTS[rnd(&w->rng) % 5], ts);
    }
    return topic;
}

/* A seed 001 reading as GET /log stores it (ingest/routes_log.c): the
 * temperature as sent, ts the UTC hour. */
static void weather_value(struct worker *w, char *value, size_t valsz) {
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%d-%H", &tm);
    snprintf(value, valsz, "{\"city\":\"%s\",\"temperature\":%.1f,\"ts\":\"%s\"}",
             CITIES[rnd(&w->rng) % 10], 40.0 + (double)(rnd(&w->rng) % 600) / 10.0, ts);
}

static int send_one(struct worker *w, CURL *c, long long seq) {
    struct gen *g = w->g;
    char url[1024], body[2048], name[64];
    struct curl_slist *hdrs = NULL;
    curl_mime *mime = NULL;
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    switch (g->kind) {
    case GEN_WEATHER: {
        char *city = curl_easy_escape(c, CITIES[rnd(&w->rng) % 10], 0);
        double t = 40.0 + (double)(rnd(&w->rng) % 600) / 10.0;
        snprintf(url, sizeof(url), "%s/log?city=%s&temperature=%.1f", g->target, city, t);
        curl_free(city);
        break;
    }
    case GEN_DATALAKE: {
        datalake_file(seq, name, sizeof(name), body, sizeof(body));
        snprintf(url, sizeof(url), "%s/upload/file/%s", g->target, name);
        mime = curl_mime_init(c);
        curl_mimepart *part = curl_mime_addpart(mime);
        curl_mime_name(part, "file");
        curl_mime_filename(part, name);
        curl_mime_type(part, "application/json");
        curl_mime_data(part, body, CURL_ZERO_TERMINATED);
        curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
        break;
    }
    default: {
        char value[1024], key[32];
        const char *topic = event(w, seq, key, sizeof(key), value, sizeof(value));
        snprintf(url, sizeof(url), "%s/topics/%s", g->target, topic);
        snprintf(body, sizeof(body), "{\"records\":[{\"key\":\"%s\",\"value\":%s}]}", key, value);
        hdrs = curl_slist_append(hdrs, "Content-Type: application/vnd.kafka.json.v2+json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    CURLcode cr = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, NULL);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all(hdrs);
    curl_mime_free(mime);
    return cr == CURLE_OK && status >= 200 && status < 300;
}

/* One event over the Kafka protocol: keyed events go to their key's
 * partition (murmur2, as Kafka's producers), weather readings round-robin. */
static int send_kafka(struct worker *w, long long seq) {
    struct gen *g = w->g;
    char value[1024], key[32] = "";
    const char *topic = "weather";
    struct fl_error err = {0};
    if (g->kind == GEN_WEATHER)
        weather_value(w, value, sizeof(value));
    else
        topic = event(w, seq, key, sizeof(key), value, sizeof(value));
    if (!w->kc && (fl_kafka_client_open(g->kafka, &w->kc, &err) ||
                   fl_kafka_client_partitions(w->kc, topic, &w->nparts, &err))) {
        fl_kafka_client_free(w->kc);
        w->kc = NULL;
        return 0;
    }
    struct fl_log_record rec = {
        (const uint8_t *)key, strlen(key), (const uint8_t *)value, strlen(value), -1, NULL, 0};
    if (!*key) rec.key = NULL;
    int part = rec.key ? fl_log_partition_for_key(rec.key, rec.key_len, w->nparts)
                       : (int)(seq % w->nparts);
    int64_t base;
    if (fl_kafka_client_produce(w->kc, topic, part, &rec, 1, &base, &err)) {
        fl_kafka_client_free(w->kc); /* a new connection for the next one */
        w->kc = NULL;
        return 0;
    }
    return 1;
}

static void *work(void *arg) {
    struct worker *w = arg;
    struct gen *g = w->g;
    CURL *c = g->kafka ? NULL : curl_easy_init();
    if (!c && !g->kafka) return NULL;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    const char *key = getenv("FLOE_API_KEY"); /* floe up with auth: a write key */
    if (c && key && *key) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, key);
    }
    double per_thread = g->rate / g->threads;
    for (long long i = 0; !atomic_load(&g->stop); i++) {
        /* the schedule: request i of this thread is due at start + i / rate */
        if (per_thread > 0) {
            int64_t due = g->start_us + (int64_t)((double)i * 1e6 / per_thread);
            int64_t now = fl_time_mono_us();
            if (due > now) usleep((useconds_t)(due - now));
        }
        if (atomic_load(&g->stop)) break;
        long long seq = i * g->threads + w->id;
        if (g->kafka ? send_kafka(w, seq) : send_one(w, c, seq))
            atomic_fetch_add(&g->ok, 1);
        else
            atomic_fetch_add(&g->failed, 1);
    }
    if (c) curl_easy_cleanup(c);
    fl_kafka_client_free(w->kc);
    return NULL;
}

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: floe gen weather|datalake|clickstream|iot|ratings [--rate N] [--duration S]\n"
        "                [--target URL | --kafka HOST:PORT] [--threads N]\n"
        "defaults: --rate 100 requests/s (0 = as fast as possible), --duration 10 s (0 = until\n"
        "interrupted), --target http://127.0.0.1:8080, --threads 4; --kafka produces each event\n"
        "over the Kafka protocol (acks=all) instead of HTTP (not datalake: it uploads files)\n"
        "FLOE_API_KEY: the key to send over HTTP (floe up with auth:, a write key)\n");
}

int fl_cli_gen(int argc, char **argv) {
    static struct gen g;
    memset(&g, 0, sizeof(g));
    g.rate = 100;
    g.duration_s = 10;
    g.threads = 4;
    g.target = "http://127.0.0.1:8080";
    int64_t threads = g.threads;
    const char *pos[1];
    int npos;
    const struct fl_cli_opt opts[] = {
        {.name = "--rate", .kind = FL_CLI_NUM, .target = &g.rate},
        {.name = "--duration", .kind = FL_CLI_NUM, .target = &g.duration_s},
        {.name = "--target", .kind = FL_CLI_STR, .target = &g.target},
        {.name = "--kafka", .kind = FL_CLI_STR, .target = &g.kafka},
        {.name = "--threads",
         .kind = FL_CLI_INT,
         .target = &threads,
         .lo = 1,
         .hi = GEN_THREADS_MAX},
        {0}};
    int orc = fl_cli_opts("gen", opts, argc, argv, pos, 1, &npos, usage);
    if (orc >= 0) return orc;
    g.threads = (int)threads;
    const char *scenario = npos ? pos[0] : NULL;
    static const char *const names[] = {"weather", "datalake", "clickstream", "iot", "ratings"};
    int kind = -1;
    for (int k = 0; scenario && k < 5; k++)
        if (!strcmp(scenario, names[k])) kind = k;
    if (kind < 0) {
        fprintf(stderr, "floe gen: %s%s%s\n", scenario ? "unknown scenario \"" : "needs a scenario",
                scenario ? scenario : "", scenario ? "\"" : "");
        usage(stderr);
        return 2;
    }
    if (strlen(g.target) > 900) {
        fprintf(stderr, "floe gen: --target longer than 900 characters\n");
        return 2;
    }
    if (g.kafka && kind == GEN_DATALAKE) {
        fprintf(stderr, "floe gen: datalake uploads files: over HTTP only, not --kafka\n");
        return 2;
    }
    if (g.rate < 0 || g.duration_s < 0) {
        fprintf(stderr, "floe gen: --rate and --duration are >= 0\n");
        return 2;
    }
    g.kind = (gen_kind_t)kind;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_t th[GEN_THREADS_MAX];
    struct worker ws[GEN_THREADS_MAX];
    g.start_us = fl_time_mono_us();
    for (int i = 0; i < g.threads; i++) {
        ws[i] = (struct worker){
            .g = &g, .id = i, .rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)(i + 1) * 7919};
        pthread_create(&th[i], NULL, work, &ws[i]);
    }
    long long last = 0;
    int64_t last_us = g.start_us;
    for (;;) {
        usleep(200000);
        int64_t now = fl_time_mono_us();
        if (g.duration_s > 0 && now - g.start_us >= (int64_t)(g.duration_s * 1e6)) break;
        if (now - last_us >= 2000000) {
            long long ok = atomic_load(&g.ok);
            printf("gen %s: %.0f req/s (%lld ok, %lld failed)\n", names[kind],
                   (double)(ok - last) * 1e6 / (double)(now - last_us), ok, atomic_load(&g.failed));
            fflush(stdout);
            last = ok;
            last_us = now;
        }
    }
    atomic_store(&g.stop, 1);
    for (int i = 0; i < g.threads; i++) pthread_join(th[i], NULL);
    double secs = (double)(fl_time_mono_us() - g.start_us) / 1e6;
    long long ok = atomic_load(&g.ok), failed = atomic_load(&g.failed);
    printf("gen %s: %lld requests ok, %lld failed in %.1f s (%.0f req/s)\n", names[kind], ok,
           failed, secs, (double)ok / secs);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
