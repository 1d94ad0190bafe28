/*
 * routes_metrics.c - GET /metrics: Prometheus' text exposition format
 * (prom.h). The server's own families come from here: HTTP requests by
 * route pattern (the router's table, so a label never holds a raw URL)
 * and status, a latency histogram per route, and the process (RSS, open
 * file descriptors, start time, uptime). Then the owner's families
 * (fl_ingest_config.metrics: floe up's topics, pipelines and tables).
 *
 * How it stays cheap: fl_ingest_note_http, called for every request, is
 * a handful of relaxed atomic adds into fixed arrays; a scrape walks
 * them and reads /proc/self once.
 */
#include "ingest/ingest_int.h"
#include "ingest/prom.h"
#include "core/time.h"

#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

/* latency bucket bounds in seconds */
static const double LAT_BOUNDS[FL_INGEST_LAT_NB] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  5,     10};

void fl_ingest_note_http(struct fl_ingest *ing, const struct fl_ingest_resp *resp, int64_t us) {
    int r = resp->route >= 0 && fl_ingest_route_pattern(resp->route) ? resp->route
                                                                     : FL_INGEST_ROUTES_MAX;
    struct fl_ingest_http_stats *h = &ing->http[r];
    int st = resp->status >= 100 && resp->status < 600 ? resp->status - 100 : 500 - 100;
    if (us < 0) us = 0;
    int b = 0;
    while (b < FL_INGEST_LAT_NB && (double)us > LAT_BOUNDS[b] * 1e6) b++;
    atomic_fetch_add_explicit(&h->by_status[st], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->lat[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->lat_us_total, (uint64_t)us, memory_order_relaxed);
}

static const char *route_label(int r) {
    const char *p = fl_ingest_route_pattern(r);
    return p ? p : "none";
}

static void http_families(struct fl_ingest *ing, struct fl_buf *out) {
    fl_prom_family(out, "floe_http_requests_total", "counter",
                   "HTTP requests answered, by route pattern and status (route none: no route)");
    for (int r = 0; r <= FL_INGEST_ROUTES_MAX; r++) {
        if (r < FL_INGEST_ROUTES_MAX && !fl_ingest_route_pattern(r)) continue;
        for (int st = 0; st < 500; st++) {
            uint64_t n = atomic_load_explicit(&ing->http[r].by_status[st], memory_order_relaxed);
            if (!n) continue;
            char code[8];
            snprintf(code, sizeof(code), "%d", st + 100);
            const char *lab[] = {"route", route_label(r), "status", code, NULL};
            fl_prom_sample(out, "floe_http_requests_total", lab, (double)n);
        }
    }
    fl_prom_family(out, "floe_http_request_duration_seconds", "histogram",
                   "time from a request's first byte to its reply being queued, by route pattern");
    for (int r = 0; r <= FL_INGEST_ROUTES_MAX; r++) {
        if (r < FL_INGEST_ROUTES_MAX && !fl_ingest_route_pattern(r)) continue;
        uint64_t c[FL_INGEST_LAT_NB + 1];
        for (int b = 0; b <= FL_INGEST_LAT_NB; b++)
            c[b] = atomic_load_explicit(&ing->http[r].lat[b], memory_order_relaxed);
        double sum =
            (double)atomic_load_explicit(&ing->http[r].lat_us_total, memory_order_relaxed) / 1e6;
        const char *lab[] = {"route", route_label(r), NULL};
        fl_prom_histogram(out, "floe_http_request_duration_seconds", lab, LAT_BOUNDS, c,
                          FL_INGEST_LAT_NB, sum);
    }
}

static void process_families(struct fl_ingest *ing, struct fl_buf *out) {
    long long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lld %lld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    long psz = sysconf(_SC_PAGESIZE);
    fl_prom_family(out, "process_resident_memory_bytes", "gauge", "resident set size in bytes");
    fl_prom_sample(out, "process_resident_memory_bytes", NULL,
                   (double)resident * (double)(psz > 0 ? psz : 4096));
    int fds = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') fds++;
        closedir(d);
        fds--; /* the directory's own */
    }
    fl_prom_family(out, "process_open_fds", "gauge", "open file descriptors");
    fl_prom_sample(out, "process_open_fds", NULL, fds > 0 ? fds : 0);
    fl_prom_family(out, "process_start_time_seconds", "gauge",
                   "when floe started serving, seconds since the Unix epoch");
    fl_prom_sample(out, "process_start_time_seconds", NULL, (double)(ing->started_us / 1000000));
    fl_prom_family(out, "floe_uptime_seconds", "gauge", "seconds since floe started serving");
    fl_prom_sample(out, "floe_uptime_seconds", NULL,
                   (double)(fl_time_now_us() - ing->started_us) / 1e6);
}

void fl_ingest_route_metrics(struct fl_ingest *ing, const struct fl_ingest_call *call,
                             struct fl_ingest_resp *resp) {
    (void)call;
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    http_families(ing, &resp->body);
    process_families(ing, &resp->body);
    if (ing->cfg.metrics) ing->cfg.metrics(ing->cfg.metrics_ctx, &resp->body);
}
