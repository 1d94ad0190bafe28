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
 * the location (one indexed lookup); only when it moved does it load the
 * table and read what changed:
 *   - incrementally, when the cached snapshot is an ancestor of the
 *     current one through appends and overwrites only (the window
 *     pipeline's upserts), with the same table and schema: one Iceberg
 *     scan of the files added since the cached snapshot's sequence
 *     number (fl_ice_scan_open_since; deletes among them applied), whose
 *     rows replace the cached points of the same city and window_start
 *     (the pipeline upserts by that key) or add new ones;
 *   - whole otherwise (first request, a compaction or delete removed
 *     data files, a rollback, snapshots expired between, a new schema or
 *     a recreated table): one scan of the current snapshot.
 * Either way the newest WEATHER_POINTS_MAX points per city are kept and
 * the whole reply is rendered once. So a refresh reads one commit's files
 * (its cost does not grow with the table's age), and polling pages cost
 * one catalog lookup and a copy per request while nothing commits;
 * latest?since= finds each city's first point by binary search. The
 * cache's mutex serializes refreshes, so N pollers after a commit cause
 * one read, not N.
 * One limit of the incremental read: a delete of a key that is not
 * written again (no window pipeline does that) shows at the next whole
 * read, i.e. after the next compaction.
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
    int gen;      /* 1: read by this refresh (replaces a cached point of its key) */
};

struct fl_ingest_weather {
    pthread_mutex_t mu;
    char loc[WEATHER_LOC_MAX]; /* metadata location the cache holds; "" = none */
    char **cities;             /* sorted by name */
    int ncities;
    struct wpoint *pts; /* by city, then time */
    size_t npts;
    size_t *city_at;   /* city c's points: pts[city_at[c] .. city_at[c + 1]) */
    struct fl_buf all; /* GET /api/weather's body */
    /* what the cache holds: the table (uuid), schema and snapshot read */
    char uuid[37];
    int32_t schema_id;
    int64_t snap_id, seq; /* FL_ICE_NO_SNAPSHOT / -1: none */
};

static const char WEATHER_NS[] = "default", WEATHER_TABLE[] = "weather_agg";

struct fl_ingest_weather *fl_ingest_weather_new(void) {
    struct fl_ingest_weather *w = fl_calloc(1, sizeof(*w));
    pthread_mutex_init(&w->mu, NULL);
    fl_buf_init(&w->all, (size_t)64 << 20);
    w->snap_id = FL_ICE_NO_SNAPSHOT;
    w->seq = -1;
    return w;
}

static void weather_clear(struct fl_ingest_weather *w) {
    for (int i = 0; i < w->ncities; i++) fl_free(w->cities[i]);
    fl_free(w->cities);
    fl_free(w->pts);
    fl_free(w->city_at);
    w->cities = NULL;
    w->pts = NULL;
    w->city_at = NULL;
    w->ncities = 0;
    w->npts = 0;
    w->loc[0] = 0;
    w->uuid[0] = 0;
    w->snap_id = FL_ICE_NO_SNAPSHOT;
    w->seq = -1;
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
    for (int c = 0; c < w->ncities && !rc; c++) {
        if (c) rc = fl_buf_append_u8(out, ',');
        if (!rc) rc = fl_ingest_json_str(out, w->cities[c], strlen(w->cities[c]));
        if (!rc) rc = fl_buf_append(out, ":[", 2);
        size_t lo = w->city_at[c], hi = w->city_at[c + 1];
        while (lo < hi) { /* the first point at or after since_us */
            size_t mid = lo + (hi - lo) / 2;
            if (w->pts[mid].us < since_us)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t i = lo; i < w->city_at[c + 1] && !rc; i++) {
            const struct wpoint *p = &w->pts[i];
            char t[48];
            format_ms(p->us, t, sizeof(t));
            if (p->has_temp && isfinite(p->temp)) /* JSON has no NaN or Infinity */
                rc = fl_buf_printf(out, "%s{\"time\":\"%s\",\"temperature\":%.17g}",
                                   i == lo ? "" : ",", t, p->temp);
            else
                rc = fl_buf_printf(out, "%s{\"time\":\"%s\",\"temperature\":null}",
                                   i == lo ? "" : ",", t);
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
        *p = (struct wpoint){.city = c, .us = fl_col_int(start, r), .gen = 1};
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
    if (p->us != q->us) return (p->us > q->us) - (p->us < q->us);
    return p->gen - q->gen;
}

/* Cities by name, points by city then time, one a key (city, time): the
 * one read last (gen 1) replaces a cached one; the newest
 * WEATHER_POINTS_MAX a city kept, and city_at[] set. */
static void order_points(struct fl_ingest_weather *w) {
    int n = w->ncities;
    fl_free(w->city_at);
    w->city_at = fl_calloc((size_t)n + 1, sizeof(*w->city_at));
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
    size_t out = 0; /* one point a key: the last of equal keys (gen 1 sorts after 0) */
    for (size_t i = 0; i < w->npts; i++) {
        if (out && w->pts[out - 1].city == w->pts[i].city && w->pts[out - 1].us == w->pts[i].us)
            out--;
        w->pts[out] = w->pts[i];
        w->pts[out++].gen = 0;
    }
    w->npts = out;
    /* keep the last WEATHER_POINTS_MAX of each city's run */
    out = 0;
    for (size_t i = 0; i < w->npts;) {
        size_t j = i;
        while (j < w->npts && w->pts[j].city == w->pts[i].city) j++;
        size_t from = j - i > WEATHER_POINTS_MAX ? j - WEATHER_POINTS_MAX : i;
        memmove(&w->pts[out], &w->pts[from], (j - from) * sizeof(*w->pts));
        out += j - from;
        i = j;
    }
    w->npts = out;
    for (size_t i = 0, c = 0; c <= (size_t)n; c++) { /* every city has a point */
        while (i < w->npts && w->pts[i].city < (int)c) i++;
        w->city_at[c] = i;
    }
    fl_free(byname);
    fl_free(rank);
}

/* Whether the cache can catch up with tbl's current snapshot cur by
 * reading only the files added since: the same table and schema, and the
 * cached snapshot an ancestor of cur through appends and overwrites. */
static bool can_catch_up(const struct fl_ingest_weather *w, const struct fl_ice_table *tbl,
                         const struct fl_ice_snapshot *cur) {
    const struct fl_ice_meta *m = tbl->meta;
    if (!w->loc[0] || w->seq <= 0 || w->snap_id == FL_ICE_NO_SNAPSHOT || m->format_version < 2 ||
        strcmp(w->uuid, m->table_uuid) != 0 || w->schema_id != m->current_schema_id)
        return false;
    for (const struct fl_ice_snapshot *s = cur; s;) {
        if (s->snapshot_id == w->snap_id) return true;
        if (strcmp(s->operation, "append") != 0 && strcmp(s->operation, "overwrite") != 0)
            return false;
        if (s->sequence_number <= w->seq || s->parent_id == FL_ICE_NO_SNAPSHOT) return false;
        s = fl_ice_meta_snapshot(m, s->parent_id);
    }
    return false; /* an ancestor expired: cannot tell what changed */
}

/* Brings w (under w->mu) to the table at metadata location loc: reads
 * the files added since the cached snapshot, or the whole snapshot when
 * it cannot (can_catch_up) or the incremental scan finds removed files;
 * deletes applied (the window pipeline upserts), weather_agg alone, no
 * SQL connection over the whole catalog. */
static fl_err_t refresh(struct fl_ingest *ing, struct fl_ingest_weather *w, const char *loc,
                        struct fl_error *err) {
    struct fl_ice_table *tbl = NULL;
    struct fl_ice_scan *scan = NULL;
    fl_err_t rc = fl_ice_table_load(ing->cfg.sql.store, fl_catalog_ice(ing->cfg.sql.cat),
                                    WEATHER_NS, WEATHER_TABLE, &tbl, err);
    if (rc) goto out;
    const struct fl_ice_snapshot *cur = fl_ice_meta_current_snapshot(tbl->meta);
    bool incremental = cur && can_catch_up(w, tbl, cur);
    if (incremental) {
        rc = fl_ice_scan_open_since(tbl, FL_ICE_NO_SNAPSHOT, w->seq, &scan, err);
        if (rc == FL_ERR_CONFLICT) { /* data files removed since: read whole */
            *err = (struct fl_error){0};
            incremental = false;
        } else if (rc) {
            goto out;
        }
    }
    if (!incremental) {
        weather_clear(w);
        rc = fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &scan, err);
        if (rc) goto out;
    }
    const struct fl_schema *sc = fl_ice_scan_schema(scan);
    struct scan_ctx x = {.w = w,
                         .c_city = fl_schema_index_by_name(sc, "city"),
                         .c_start = fl_schema_index_by_name(sc, "window_start"),
                         .c_temp = fl_schema_index_by_name(sc, "avg_temperature"),
                         .cap = w->npts,
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
    fl_buf_reset(&w->all);
    rc = render(w, INT64_MIN, &w->all);
    if (rc) {
        fl_errf(err, rc, "weather_agg: reply too large");
        goto out;
    }
    snprintf(w->loc, sizeof(w->loc), "%s", loc);
    snprintf(w->uuid, sizeof(w->uuid), "%s", tbl->meta->table_uuid);
    w->schema_id = tbl->meta->current_schema_id;
    w->snap_id = cur ? cur->snapshot_id : FL_ICE_NO_SNAPSHOT;
    w->seq = cur ? cur->sequence_number : -1;
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

/* The reply for the points at or after since (INT64_MIN: the cached
 * whole reply) onto out, the cache brought to the table's current
 * metadata location first, which *loc gets ("" without a table). Under
 * w->mu. */
static fl_err_t reply_locked(struct fl_ingest *ing, struct fl_ingest_weather *w, int64_t since,
                             struct fl_buf *out, char loc[WEATHER_LOC_MAX], struct fl_error *err) {
    fl_err_t rc = fl_catalog_table_load(ing->cfg.sql.cat, WEATHER_NS, WEATHER_TABLE, loc,
                                        WEATHER_LOC_MAX, err);
    if (rc == FL_ERR_NOTFOUND) {
        weather_clear(w); /* no table yet (or dropped): no cities */
        loc[0] = 0;
        *err = (struct fl_error){0};
        static const char NONE[] = "{\"cities\":[],\"data\":{}}";
        return fl_buf_append(out, NONE, sizeof(NONE) - 1);
    }
    if (!rc && strcmp(loc, w->loc) != 0) rc = refresh(ing, w, loc, err);
    if (!rc && w->loc[0])
        rc = since != INT64_MIN ? render(w, since, out)
                                : fl_buf_append(out, w->all.data, w->all.len);
    return rc;
}

/* ---- GET /api/weather/stream: server-sent events ---- */

/* An open stream: what its client was last sent. */
struct fl_ingest_stream {
    struct fl_ingest *ing;
    char loc[WEATHER_LOC_MAX]; /* the metadata location last sent */
    bool sent;                 /* the first event (the whole reply) went out */
    int64_t since;             /* the next event's points: from 2 min before the newest sent */
    int64_t last_us;           /* monotonic time of the last bytes written */
};

#define STREAM_KEEPALIVE_US (15 * INT64_C(1000000))

bool fl_ingest_stream_next(struct fl_ingest_stream *st, struct fl_buf *out) {
    struct fl_ingest_weather *w = st->ing->weather;
    struct fl_error err = {0};
    char loc[WEATHER_LOC_MAX];
    int64_t now = fl_time_mono_us();
    pthread_mutex_lock(&w->mu);
    /* the location first: an unchanged table costs this lookup alone */
    fl_err_t rc = fl_catalog_table_load(st->ing->cfg.sql.cat, WEATHER_NS, WEATHER_TABLE, loc,
                                        sizeof(loc), &err);
    if (rc == FL_ERR_NOTFOUND) loc[0] = 0;
    bool changed = !st->sent || (rc != FL_OK && rc != FL_ERR_NOTFOUND) || strcmp(loc, st->loc);
    size_t at = out->len;
    if (changed) {
        err = (struct fl_error){0};
        fl_buf_append_str(out, "event: weather\ndata: ");
        rc = reply_locked(st->ing, w, st->sent ? st->since : INT64_MIN, out, loc, &err);
        int64_t newest = INT64_MIN;
        for (int c = 0; !rc && c < w->ncities; c++)
            if (w->city_at[c + 1] > w->city_at[c] && w->pts[w->city_at[c + 1] - 1].us > newest)
                newest = w->pts[w->city_at[c + 1] - 1].us;
        if (rc) {
            out->len = at;
            fl_buf_append_str(out, "event: error\ndata: ");
            fl_ingest_json_str(out, err.msg[0] ? err.msg : "weather",
                               strlen(err.msg[0] ? err.msg : "weather"));
        }
        fl_buf_append_str(out, "\n\n");
        snprintf(st->loc, sizeof(st->loc), "%s", loc); /* an error: again at the next commit */
        if (!rc && newest != INT64_MIN) st->since = newest - 120 * INT64_C(1000000);
        st->sent = true;
    } else if (now - st->last_us >= STREAM_KEEPALIVE_US) {
        fl_buf_append_str(out, ": keep-alive\n\n"); /* finds clients that went away */
    }
    pthread_mutex_unlock(&w->mu);
    if (out->len > at) st->last_us = now;
    return true;
}

void fl_ingest_stream_free(struct fl_ingest_stream *st) { fl_free(st); }

void fl_ingest_route_weather(struct fl_ingest *ing, const struct fl_ingest_call *call,
                             const char *rest, struct fl_ingest_resp *resp) {
    struct fl_error err = {0};
    struct fl_ingest_weather *w = ing->weather;
    int64_t since = INT64_MIN;
    bool latest = !strcmp(rest, "/latest");
    if (!strcmp(rest, "/stream")) {
        resp->stream = fl_calloc(1, sizeof(*resp->stream));
        resp->stream->ing = ing;
        resp->stream->since = INT64_MIN;
        resp->status = 200;
        resp->content_type = "text/event-stream";
        return;
    }
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
    fl_err_t rc = reply_locked(ing, w, since, &resp->body, loc, &err);
    pthread_mutex_unlock(&w->mu);
    if (rc) {
        fl_buf_reset(&resp->body);
        fl_ingest_resp_error(resp, FL_INGEST_E_INTERNAL, "%s", err.msg[0] ? err.msg : "weather");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
}
