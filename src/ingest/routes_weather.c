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
 * SQL scan through floe's engine (sql/sql.h), keeping the newest
 * WEATHER_POINTS_MAX points per city, and render the whole reply once.
 * Polling pages thus cost one catalog lookup and a copy per request
 * while nothing commits. The cache's mutex serializes refreshes, so N
 * pollers after a commit cause one scan, not N.
 */
#include "ingest/ingest_int.h"
#include "ingest/query.h"
#include "core/mem.h"
#include "core/time.h"
#include "sql/sql.h"

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

static const char WEATHER_QUERY[] =
    "SELECT city, window_start, avg_temperature FROM (SELECT city, window_start, "
    "avg_temperature, row_number() OVER (PARTITION BY city ORDER BY window_start DESC) AS rn "
    "FROM weather_agg WHERE city IS NOT NULL) WHERE rn <= 1440 ORDER BY city, window_start";
_Static_assert(WEATHER_POINTS_MAX == 1440, "WEATHER_QUERY's rn bound");

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

/* Rescans the table into w (under w->mu) for the metadata location loc. */
static fl_err_t refresh(struct fl_ingest *ing, struct fl_ingest_weather *w, const char *loc,
                        struct fl_error *err) {
    struct fl_sql *sql = NULL;
    sqlite3_stmt *stmt = NULL;
    size_t cap = 0;
    weather_clear(w);
    fl_err_t rc = fl_sql_open(ing->cfg.sql.store, ing->cfg.sql.cat, &sql, err);
    if (rc) goto out;
    sqlite3 *db = fl_sql_db(sql);
    if (sqlite3_prepare_v2(db, WEATHER_QUERY, -1, &stmt, NULL) != SQLITE_OK) {
        rc = fl_errf(err, FL_ERR_INVALID, "weather_agg: %s", sqlite3_errmsg(db));
        goto out;
    }
    int src;
    while ((src = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *city = (const char *)sqlite3_column_text(stmt, 0);
        const char *ts = (const char *)sqlite3_column_text(stmt, 1);
        int64_t us;
        if (!city || !ts || fl_time_parse_iso(ts, strlen(ts), &us)) continue;
        if (!w->ncities || strcmp(w->cities[w->ncities - 1], city) != 0) {
            if (w->ncities == WEATHER_CITIES_MAX) {
                rc = fl_errf(err, FL_ERR_LIMIT, "weather_agg: more than %d cities",
                             WEATHER_CITIES_MAX);
                goto out;
            }
            w->cities = fl_realloc(w->cities, (size_t)(w->ncities + 1) * sizeof(*w->cities));
            w->cities[w->ncities++] = fl_strdup(city);
        }
        if (w->npts == cap) {
            cap = cap ? cap * 2 : 256;
            w->pts = fl_realloc(w->pts, cap * sizeof(*w->pts));
        }
        w->pts[w->npts++] = (struct wpoint){w->ncities - 1, us, sqlite3_column_double(stmt, 2),
                                            sqlite3_column_type(stmt, 2) != SQLITE_NULL};
    }
    if (src != SQLITE_DONE) {
        rc = fl_errf(err, FL_ERR_IO, "weather_agg: %s", sqlite3_errmsg(db));
        goto out;
    }
    rc = render(w, INT64_MIN, &w->all);
    if (rc) {
        fl_errf(err, rc, "weather_agg: reply too large");
        goto out;
    }
    snprintf(w->loc, sizeof(w->loc), "%s", loc);
out:
    if (rc) weather_clear(w);
    sqlite3_finalize(stmt);
    fl_sql_free(sql);
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
