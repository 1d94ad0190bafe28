/*
 * routes_weather.c - seed 001's dashboard API over the table
 * default.weather_agg (the 1-minute averages per city of the weather
 * scenario), in the seed's exact reply shape:
 *   GET /api/weather                {"cities":[...],"data":{"City":[
 *                                    {"time":"2026-01-08T14:30:00.000Z",
 *                                     "temperature":72.5}, ...], ...}}
 *   GET /api/weather/latest?since=T the same, with only the points whose
 *                                   time is T or later (T: ISO-8601 or
 *                                   epoch milliseconds)
 * time is the window's start, temperature its avg_temperature; cities
 * are sorted by name, points by time. The windows are written in update
 * mode (pipeline/window.h), so the newest point of a city changes until
 * its window closes: `since` includes the point AT T, which the page
 * replaces.
 *
 * How it works: one cache per router, keyed by the table's metadata
 * location, which every commit changes. A request asks the catalog for
 * the location (one indexed lookup); only when it moved does it run one
 * Iceberg scan of that table alone (iceberg/table.h; deletes applied, as
 * the window pipeline upserts), keep the newest WEATHER_POINTS_MAX points
 * per city, and render the whole reply once.
 * Polling pages thus cost one catalog lookup and a copy per request
 * while nothing commits. The cache's mutex serializes refreshes, so N
 * pollers after a commit cause one scan, not N.
 */
#include "ingest/ingest_int.h"
#include "ingest/query.h"
#include "core/mem.h"
#include "core/time.h"
#include "catalog/catalog.h"
#include "iceberg/table.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Points kept per city: a day of 1-minute windows. Older ones stay in
 * the table (floe sql reads them); the dashboard shows the last day. */
#define WEATHER_POINTS_MAX 1440
#define WEATHER_CITIES_MAX 1000
#define WEATHER_LOC_MAX 4096

struct wpoint {
    int city;
    int64_t us; /* window start */
    double temp;
    int has_temp; /* avg_temperature may be NULL (no numeric reading) */
};

struct fl_ingest_weather {
    pthread_mutex_t mu;
    char loc[WEATHER_LOC_MAX]; /* metadata location the cache holds; "" = none */
    char **cities;             /* sorted by name */
    int ncities;
    struct wpoint *pts; /* by city, then time */
    size_t npts;
    struct fl_buf all; /* GET /api/weather's body */
};

static const char WEATHER_NS[] = "default", WEATHER_TABLE[] = "weather_agg";

struct fl_ingest_weather *fl_ingest_weather_new(void) {
    struct fl_ingest_weather *w = fl_calloc(1, sizeof(*w));
    pthread_mutex_init(&w->mu, NULL);
    fl_buf_init(&w->all, (size_t)64 << 20);
    return w;
}

static void weather_clear(struct fl_ingest_weather *w) {
    for (int i = 0; i < w->ncities; i++) fl_free(w->cities[i]);
    fl_free(w->cities);
    fl_free(w->pts);
    w->cities = NULL;
    w->pts = NULL;
    w->ncities = 0;
    w->npts = 0;
    w->loc[0] = 0;
    fl_buf_reset(&w->all);
}

void fl_ingest_weather_free(struct fl_ingest_weather *w) {
    if (!w) return;
    weather_clear(w);
    fl_buf_fini(&w->all);
    pthread_mutex_destroy(&w->mu);
    fl_free(w);
}

/* "2026-01-08T14:30:00.000Z": the seed's time, JavaScript's toISOString. */
static void format_ms(int64_t us, char *out, size_t outsz) {
    char iso[48];
    fl_time_format_iso(us - ((us % 1000) + 1000) % 1000, iso, sizeof(iso));
    /* iso: YYYY-MM-DDTHH:MM:SS.ffffffZ -> keep milliseconds */
    char *dot = strchr(iso, '.');
    if (dot && strlen(dot) >= 4)
        snprintf(out, outsz, "%.*s.%.3sZ", (int)(dot - iso), iso, dot + 1);
    else
        snprintf(out, outsz, "%s", iso);
}

/* The reply for the points at or after since_us (INT64_MIN: all) onto out. */
static fl_err_t render(const struct fl_ingest_weather *w, int64_t since_us, struct fl_buf *out) {
    fl_err_t rc = fl_buf_append(out, "{\"cities\":[", 11);
    for (int c = 0; c < w->ncities && !rc; c++) {
        if (c) rc = fl_buf_append_u8(out, ',');
        if (!rc) rc = fl_ingest_json_str(out, w->cities[c], strlen(w->cities[c]));
    }
    if (!rc) rc = fl_buf_append(out, "],\"data\":{", 10);
    size_t i = 0;
    for (int c = 0; c < w->ncities && !rc; c++) {
        if (c) rc = fl_buf_append_u8(out, ',');
        if (!rc) rc = fl_ingest_json_str(out, w->cities[c], strlen(w->cities[c]));
        if (!rc) rc = fl_buf_append(out, ":[", 2);
        int first = 1;
        for (; i < w->npts && w->pts[i].city == c && !rc; i++) {
            const struct wpoint *p = &w->pts[i];
            if (p->us < since_us) continue;
            char t[48];
            format_ms(p->us, t, sizeof(t));
            if (p->has_temp && isfinite(p->temp)) /* JSON has no NaN or Infinity */
                rc = fl_buf_printf(out, "%s{\"time\":\"%s\",\"temperature\":%.17g}",
                                   first ? "" : ",", t, p->temp);
            else
                rc = fl_buf_printf(out, "%s{\"time\":\"%s\",\"temperature\":null}",
                                   first ? "" : ",", t);
            first = 0;
        }
        if (!rc) rc = fl_buf_append_u8(out, ']');
    }
    if (!rc) rc = fl_buf_append(out, "}}", 2);
    return rc;
}

/* The index of city[0..len) in w->cities, added when new; -1 past the cap. */
static int city_index(struct fl_ingest_weather *w, const uint8_t *city, size_t len, int *last) {
    if (*last >= 0 && strlen(w->cities[*last]) == len && !memcmp(w->cities[*last], city, len))
        return *last;
    for (int i = 0; i < w->ncities; i++)
        if (strlen(w->cities[i]) == len && !memcmp(w->cities[i], city, len)) return *last = i;
    if (w->ncities == WEATHER_CITIES_MAX) return -1;
    w->cities = fl_realloc(w->cities, (size_t)(w->ncities + 1) * sizeof(*w->cities));
    w->cities[w->ncities] = fl_strndup((const char *)city, len);
    return *last = w->ncities++;
}

/* What a scan of the table fills: w, the columns' indexes, the points'
 * capacity. */
struct scan_ctx {
    struct fl_ingest_weather *w;
    int c_city, c_start, c_temp;
    size_t cap;
    int last; /* the previous row's city */
};

static fl_err_t add_batch(void *arg, const struct fl_batch *b, const char *path, const int64_t *pos,
                          struct fl_error *err) {
    (void)path, (void)pos;
    struct scan_ctx *x = arg;
    struct fl_ingest_weather *w = x->w;
    const struct fl_col *city = &b->cols[x->c_city], *start = &b->cols[x->c_start];
    const struct fl_col *temp = x->c_temp >= 0 ? &b->cols[x->c_temp] : NULL;
    for (size_t r = 0; r < b->nrows; r++) {
        if (fl_col_is_null(city, r) || fl_col_is_null(start, r)) continue;
        size_t len;
        const uint8_t *name = fl_col_bytes(city, r, &len);
        int c = city_index(w, name, len, &x->last);
        if (c < 0)
            return fl_errf(err, FL_ERR_LIMIT, "weather_agg: more than %d cities",
                           WEATHER_CITIES_MAX);
        if (w->npts == x->cap) {
            x->cap = x->cap ? x->cap * 2 : 256;
            w->pts = fl_reallocarray(w->pts, x->cap, sizeof(*w->pts));
        }
        struct wpoint *p = &w->pts[w->npts++];
        *p = (struct wpoint){.city = c, .us = fl_col_int(start, r)};
        if (temp && !fl_col_is_null(temp, r)) {
            if (temp->field->type == FL_TYPE_FLOAT) {
                float f;
                memcpy(&f, temp->values + r * 4, 4);
                p->temp = f;
            } else {
                memcpy(&p->temp, temp->values + r * 8, 8);
            }
            p->has_temp = 1;
        }
    }
    return FL_OK;
}

/* qsort's context-free comparators: cities by name through rank[] */
static const int *sort_rank;
static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_points(const void *a, const void *b) {
    const struct wpoint *p = a, *q = b;
    if (p->city != q->city) return sort_rank[p->city] - sort_rank[q->city];
    return (p->us > q->us) - (p->us < q->us);
}

/* Cities by name, points by city then time, the newest WEATHER_POINTS_MAX
 * a city kept. */
static void order_points(struct fl_ingest_weather *w) {
    int n = w->ncities;
    if (n == 0) return; /* no rows */
    char **byname = fl_malloc((size_t)n * sizeof(*byname));
    int *rank = fl_malloc((size_t)n * sizeof(*rank));
    memcpy(byname, w->cities, (size_t)n * sizeof(*byname));
    qsort(byname, (size_t)n, sizeof(*byname), cmp_names);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (w->cities[j] == byname[i]) rank[j] = i;
    pthread_mutex_lock(&sort_mu);
    sort_rank = rank;
    qsort(w->pts, w->npts, sizeof(*w->pts), cmp_points);
    pthread_mutex_unlock(&sort_mu);
    for (size_t i = 0; i < w->npts; i++) w->pts[i].city = rank[w->pts[i].city];
    memcpy(w->cities, byname, (size_t)n * sizeof(*byname));
    /* keep the last WEATHER_POINTS_MAX of each city's run */
    size_t out = 0;
    for (size_t i = 0; i < w->npts;) {
        size_t j = i;
        while (j < w->npts && w->pts[j].city == w->pts[i].city) j++;
        size_t from = j - i > WEATHER_POINTS_MAX ? j - WEATHER_POINTS_MAX : i;
        memmove(&w->pts[out], &w->pts[from], (j - from) * sizeof(*w->pts));
        out += j - from;
        i = j;
    }
    w->npts = out;
    fl_free(byname);
    fl_free(rank);
}

/* Rescans the table into w (under w->mu) for the metadata location loc:
 * one Iceberg scan (deletes applied: the window pipeline upserts) of
 * weather_agg alone, no SQL connection over the whole catalog. */
static fl_err_t refresh(struct fl_ingest *ing, struct fl_ingest_weather *w, const char *loc,
                        struct fl_error *err) {
    struct fl_ice_table *tbl = NULL;
    struct fl_ice_scan *scan = NULL;
    weather_clear(w);
    fl_err_t rc = fl_ice_table_load(ing->cfg.sql.store, fl_catalog_ice(ing->cfg.sql.cat),
                                    WEATHER_NS, WEATHER_TABLE, &tbl, err);
    if (!rc) rc = fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &scan, err);
    if (rc) goto out;
    const struct fl_schema *sc = fl_ice_scan_schema(scan);
    struct scan_ctx x = {.w = w,
                         .c_city = fl_schema_index_by_name(sc, "city"),
                         .c_start = fl_schema_index_by_name(sc, "window_start"),
                         .c_temp = fl_schema_index_by_name(sc, "avg_temperature"),
                         .last = -1};
    if (x.c_city < 0 || x.c_start < 0 || sc->fields[x.c_city].type != FL_TYPE_STRING ||
        (sc->fields[x.c_start].type != FL_TYPE_TIMESTAMPTZ &&
         sc->fields[x.c_start].type != FL_TYPE_TIMESTAMP) ||
        (x.c_temp >= 0 && sc->fields[x.c_temp].type != FL_TYPE_DOUBLE &&
         sc->fields[x.c_temp].type != FL_TYPE_FLOAT)) {
        rc = fl_errf(err, FL_ERR_INVALID,
                     "weather_agg needs city (string), window_start (timestamp) and "
                     "avg_temperature (double)");
        goto out;
    }
    rc = fl_ice_scan_each(scan, add_batch, &x, err);
    if (rc) goto out;
    order_points(w);
    rc = render(w, INT64_MIN, &w->all);
    if (rc) {
        fl_errf(err, rc, "weather_agg: reply too large");
        goto out;
    }
    snprintf(w->loc, sizeof(w->loc), "%s", loc);
out:
    if (rc) weather_clear(w);
    fl_ice_scan_free(scan);
    fl_ice_table_free(tbl);
    return rc;
}

/* `since` as microseconds: ISO-8601 text or epoch milliseconds. */
static int parse_since(const char *s, int64_t *us) {
    char *end;
    long long ms = strtoll(s, &end, 10);
    if (*s && !*end) {
        if (ms < INT64_MIN / 1000 || ms > INT64_MAX / 1000) return -1;
        *us = (int64_t)ms * 1000;
        return 0;
    }
    return fl_time_parse_iso(s, strlen(s), us) ? -1 : 0;
}

void fl_ingest_route_weather(struct fl_ingest *ing, const struct fl_ingest_call *call,
                             const char *rest, struct fl_ingest_resp *resp) {
    struct fl_error err = {0};
    struct fl_ingest_weather *w = ing->weather;
    int64_t since = INT64_MIN;
    bool latest = !strcmp(rest, "/latest");
    if (*rest && !latest) {
        fl_ingest_resp_error(resp, FL_INGEST_E_NOT_FOUND, "no route for GET /api/weather%.200s",
                             rest);
        return;
    }
    if (latest) {
        struct fl_buf v;
        fl_buf_init(&v, 256);
        fl_err_t qrc = fl_ingest_query_get(call->query, call->query_len, "since", &v, &err);
        int bad = qrc == FL_OK && parse_since((const char *)v.data, &since);
        fl_buf_fini(&v);
        if (qrc == FL_ERR_NOTFOUND) {
            fl_ingest_resp_error(resp, FL_INGEST_E_MISSING_PARAM, "since is required");
            return;
        }
        if (qrc || bad) {
            fl_ingest_resp_error(resp, FL_INGEST_E_BAD_REQUEST,
                                 "since must be an ISO-8601 time or epoch milliseconds");
            return;
        }
    }
    char loc[WEATHER_LOC_MAX];
    pthread_mutex_lock(&w->mu);
    fl_err_t rc =
        fl_catalog_table_load(ing->cfg.sql.cat, WEATHER_NS, WEATHER_TABLE, loc, sizeof(loc), &err);
    if (rc == FL_ERR_NOTFOUND) {
        weather_clear(w); /* no table yet (or dropped): no cities */
        rc = render(w, since, &resp->body);
    } else if (!rc && strcmp(loc, w->loc) != 0) {
        rc = refresh(ing, w, loc, &err);
    }
    if (!rc && w->loc[0]) {
        rc = latest ? render(w, since, &resp->body)
                    : fl_buf_append(&resp->body, w->all.data, w->all.len);
    }
    pthread_mutex_unlock(&w->mu);
    if (rc) {
        fl_buf_reset(&resp->body);
        fl_ingest_resp_error(resp, FL_INGEST_E_INTERNAL, "%s", err.msg[0] ? err.msg : "weather");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
}
