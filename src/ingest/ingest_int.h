/*
 * ingest_int.h - what the files of src/ingest/ share: the router struct,
 * the parsed request each route receives and the reply helpers.
 */
#ifndef FL_INGEST_INGEST_INT_H
#define FL_INGEST_INGEST_INT_H

#include "core/buf.h"
#include "ingest/ingest.h"

#include <jansson.h>
#include <stdatomic.h>

/* GET /metrics' HTTP families: per route (the router's table, and one
 * more for requests no route answered) requests by status and a latency
 * histogram; atomics, written by every server thread. */
#define FL_INGEST_ROUTES_MAX 16
#define FL_INGEST_LAT_NB 14 /* latency bucket bounds: routes_metrics.c */
struct fl_ingest_http_stats {
    atomic_uint_fast64_t by_status[500]; /* status - 100 */
    atomic_uint_fast64_t lat[FL_INGEST_LAT_NB + 1];
    atomic_uint_fast64_t lat_us_total;
};

struct fl_ingest {
    struct fl_ingest_config cfg;
    struct fl_ingest_backend be;
    atomic_uint rr; /* round-robin start for keyless records */
    struct fl_ingest_http_stats http[FL_INGEST_ROUTES_MAX + 1]; /* last: no route */
    int64_t started_us;                                         /* wall clock at fl_ingest_new */
    struct fl_ingest_weather *weather; /* GET /api/weather's cache (routes_weather.c) */
};

/* Route i's pattern (its metric label), NULL past the last route. */
const char *fl_ingest_route_pattern(int i);

/* A request after the router split its target: path is percent-decoded,
 * query is raw (fl_ingest_query_get decodes a parameter). */
struct fl_ingest_call {
    const struct fl_ingest_req *req;
    const char *path; /* decoded, NUL-terminated */
    size_t path_len;
    const char *query; /* raw, after '?'; "" when none */
    size_t query_len;
};

/* Value of header name (case-insensitive), NULL when absent. */
const char *fl_ingest_req_header(const struct fl_ingest_req *req, const char *name);

/* Appends s[0..len) as a JSON string literal (quotes included). */
fl_err_t fl_ingest_json_str(struct fl_buf *b, const char *s, size_t len);

/* fl_ingest_resp_error with members, pre-encoded JSON members such as
 * "\"offset\":12" (or NULL), beside the message. */
void fl_ingest_resp_error_with(struct fl_ingest_resp *resp, fl_ingest_ecode_t code,
                               const char *members, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A JSON reply with status: takes o (its reference is dropped). */
void fl_ingest_resp_json(struct fl_ingest_resp *resp, int status, json_t *o);

/* The error reply for a failed backend call: 503 + Retry-After for
 * FL_ERR_LIMIT, 404 for FL_ERR_NOTFOUND, 413 for FL_ERR_INVALID (over
 * max_append_bytes), else 500; err's message is the reply's. Returns the
 * code it answered with. */
fl_ingest_ecode_t fl_ingest_resp_backend_error(struct fl_ingest *ing, struct fl_ingest_resp *resp,
                                               const struct fl_error *err);

/* Kafka's topic name rule: 1..249 bytes of [a-zA-Z0-9._-], not "." or "..". */
int fl_ingest_topic_name_ok(const char *s, size_t len);

void fl_ingest_route_metrics(struct fl_ingest *ing, const struct fl_ingest_call *call,
                             struct fl_ingest_resp *resp);
void fl_ingest_route_status(struct fl_ingest *ing, const struct fl_ingest_call *call,
                            struct fl_ingest_resp *resp);
void fl_ingest_route_health(struct fl_ingest *ing, const struct fl_ingest_call *call,
                            struct fl_ingest_resp *resp);
/* done NULL: answers before returning (false). Else may return true and
 * finish later through the backend's append_async (fl_ingest_handle_async). */
bool fl_ingest_route_log(struct fl_ingest *ing, const struct fl_ingest_call *call,
                         struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg);
void fl_ingest_route_upload(struct fl_ingest *ing, const struct fl_ingest_call *call,
                            const char *file_name, struct fl_ingest_resp *resp);
void fl_ingest_route_topics(struct fl_ingest *ing, const struct fl_ingest_call *call,
                            const char *topic, struct fl_ingest_resp *resp);
/* POST /sql (routes_sql.c) */
void fl_ingest_route_sql(struct fl_ingest *ing, const struct fl_ingest_call *call,
                         struct fl_ingest_resp *resp);
/* /v1/... (routes_rest.c): raw_path is the undecoded path (%1F separates
 * namespace levels) */
void fl_ingest_route_rest(struct fl_ingest *ing, const struct fl_ingest_call *call,
                          const char *raw_path, struct fl_ingest_resp *resp);

/* GET /api/topics (routes_api_topics.c): the log's counters per partition */
void fl_ingest_route_api_topics(struct fl_ingest *ing, const struct fl_ingest_call *call,
                                struct fl_ingest_resp *resp);
/* GET /api/weather[/latest] (routes_weather.c): rest is what follows
 * /api/weather. */
struct fl_ingest_weather *fl_ingest_weather_new(void);
void fl_ingest_weather_free(struct fl_ingest_weather *w);
void fl_ingest_route_weather(struct fl_ingest *ing, const struct fl_ingest_call *call,
                             const char *rest, struct fl_ingest_resp *resp);
/* The pages (routes_web.c): /, /dashboard/weather, /console; the
 * embedded files under /assets/; /licenses. */
void fl_ingest_route_page(struct fl_ingest *ing, const struct fl_ingest_call *call,
                          struct fl_ingest_resp *resp);
void fl_ingest_route_asset(struct fl_ingest *ing, const struct fl_ingest_call *call,
                           const char *name, struct fl_ingest_resp *resp);
void fl_ingest_route_licenses(struct fl_ingest *ing, const struct fl_ingest_call *call,
                              struct fl_ingest_resp *resp);

#endif
