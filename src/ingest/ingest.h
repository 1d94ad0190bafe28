/*
 * ingest.h - floe's HTTP front door, independent of any socket: a router
 * that turns one whole HTTP request (method, raw target, headers, body)
 * into one reply, appending to the log through a table of backend
 * functions. src/ingest/server.c feeds it from libmicrohttpd; the unit
 * tests and the fuzz target feed it directly with an in-memory backend.
 *
 * Routes (docs/internals/ingest.md):
 *   GET  /health                       {"status":"healthy"}
 *   GET  /log?city=..&temperature=..   the seed's weather logger
 *   POST /upload/file/{file_name}      the seed's file upload + pointer message
 *   POST /topics/{topic}               Confluent REST Proxy v2 produce (and
 *                                      a plain object, array or NDJSON)
 *   POST /sql                          one read-only SQL statement (routes_sql.c)
 *   /v1/...                            the Iceberg REST catalog (routes_rest.c)
 *   GET  /status                       the owner's JSON (floe up: pipelines)
 *   GET  /api/weather[/latest?since=]  seed 001's dashboard API (routes_weather.c)
 *   GET  / /dashboard/weather /console /assets/.. /licenses   the pages (routes_web.c)
 * Every error reply comes from the one table of codes (errors.h); a reply
 * to an append is built only after the backend's append returned, i.e.
 * the records are durable.
 */
#ifndef FL_INGEST_INGEST_H
#define FL_INGEST_INGEST_H

#include "core/buf.h"
#include "core/err.h"
#include "ingest/errors.h"
#include "log/log.h"

struct fl_rest;    /* ingest/routes_rest.h */
struct fl_store;   /* store/store.h */
struct fl_catalog; /* catalog/catalog.h */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The end of an append_async: rc FL_OK and base_offset when the records
 * are durable, else the error (the log's append is all or nothing). */
typedef void (*fl_ingest_append_cb)(void *arg, fl_err_t rc, int64_t base_offset,
                                    const struct fl_error *err);

/* Where the router stores things. All functions may be called from many
 * threads at once. The production one (backend_log.c) wraps fl_log and
 * fl_store; tests use an in-memory double. */
struct fl_ingest_backend {
    void *ctx;
    /* Number of partitions of topic; when missing and create is true the
     * topic is created with the defaults, else FL_ERR_NOTFOUND. */
    fl_err_t (*topic_partitions)(void *ctx, const char *topic, bool create, int *partitions,
                                 struct fl_error *err);
    /* fl_log_append's contract: returns when durable; FL_ERR_LIMIT = 503. */
    fl_err_t (*append)(void *ctx, const char *topic, int partition,
                       const struct fl_log_record *recs, int n, int64_t *base_offset,
                       struct fl_error *err);
    /* Optional (NULL: the router blocks in append). Queues the append and
     * returns at once; cb(arg, ...) runs exactly once, on another thread,
     * when the records are durable or refused. recs and the bytes they
     * point to are borrowed until cb runs. */
    void (*append_async)(void *ctx, const char *topic, int partition,
                         const struct fl_log_record *recs, int n, fl_ingest_append_cb cb,
                         void *arg);
    /* Atomically writes (overwriting) a raw file under key in the warehouse. */
    fl_err_t (*put_file)(void *ctx, const char *key, const void *data, size_t len,
                         struct fl_error *err);
};

/* The kind of an uploaded file, chosen by the file name's prefix (the seed
 * simulator's names: sessions_1.json, employees_4.json, clients_2.json). */
struct fl_ingest_kind {
    char *prefix; /* "sessions" matches "sessions_1.json" and "sessions.json" */
    char *folder; /* "sessions" -> uploads/sessions/<file_name> */
    char *topic;  /* "session_topic" */
};

#define FL_INGEST_KINDS_MAX 32

/* The default of limits.header_bytes (request line + headers), as Apache,
 * nginx and Jetty; the one place it is set (docs/config.md says the same). */
#define FL_INGEST_HEADER_BYTES_DEFAULT ((size_t)8 << 10)

struct fl_ingest_limits {
    size_t header_bytes;  /* request line + headers; FL_INGEST_HEADER_BYTES_DEFAULT; past it 431 */
    size_t body_bytes;    /* any request body; 8 MiB */
    int records;          /* records in one POST /topics request; 10000 */
    unsigned connections; /* open connections; 1024 */
    unsigned timeout_s;   /* idle/slow connection timeout; 30 */
    unsigned threads;     /* server threads (each its own poll() loop); 16 */
    unsigned retry_after_s; /* Retry-After of a 503; 1 */
};

struct fl_ingest_config {
    struct fl_ingest_limits limits;
    struct fl_ingest_kind kinds[FL_INGEST_KINDS_MAX];
    int nkinds;
    char *weather_topic;        /* GET /log's topic; "weather" */
    bool auto_create_topics;    /* POST /topics/{unknown}: create (true) or 404 */
    struct fl_rest *rest;       /* borrowed: the Iceberg REST catalog under /v1/ (NULL = off) */
    struct fl_ingest_sql {      /* POST /sql (store NULL = off), whether or not rest is on */
        struct fl_store *store; /* borrowed: the warehouse */
        struct fl_catalog *cat; /* borrowed: its tables are SQL tables */
        struct fl_log *log;     /* borrowed: its topics are tables topic.NAME (NULL = none) */
    } sql;
    /* GET /status: its JSON body, written by the owner (floe up: the
     * pipelines' counters) on a server thread; NULL = no such route */
    void (*status)(void *ctx, struct fl_buf *out);
    void *status_ctx;
    /* GET /metrics: the owner's metric families (prom.h) after the
     * server's own (HTTP, process); NULL = only those */
    void (*metrics)(void *ctx, struct fl_buf *out);
    void *metrics_ctx;
    /* borrowed: API keys and roles (core/auth.h); NULL or not required =
     * every route open. The router checks each request's key
     * (Authorization: Bearer KEY, or X-API-Key: KEY) against its route */
    const struct fl_auth *auth;
};

/* Fills cfg with the defaults above and the seed's three kinds
 * (sessions -> sessions/session_topic, employees -> employee_files/
 * employee_topic, clients -> client_files/client_topic). */
void fl_ingest_config_default(struct fl_ingest_config *cfg);
/* Adds or replaces the kind for prefix (strings copied). FL_ERR_LIMIT when full,
 * FL_ERR_INVALID for an empty prefix or a folder that is not a plain name. */
fl_err_t fl_ingest_config_set_kind(struct fl_ingest_config *cfg, const char *prefix,
                                   const char *folder, const char *topic, struct fl_error *err);
/* Frees the strings of cfg. */
void fl_ingest_config_fini(struct fl_ingest_config *cfg);

struct fl_ingest_header {
    const char *name; /* compared case-insensitively */
    const char *value;
};

/* One whole request. All pointers belong to the caller. */
struct fl_ingest_req {
    const char *method;
    const char *target; /* raw request target: "/log?city=New%20York&temperature=1" */
    const struct fl_ingest_header *headers;
    int nheaders;
    const uint8_t *body;
    size_t body_len;
};

/* A reply: status, JSON body (content_type may be changed), Retry-After. */
struct fl_ingest_resp {
    int status;
    const char *content_type; /* static string */
    unsigned retry_after_s;   /* 0 = no Retry-After header */
    int route;                /* the route that answered (metrics label); -1 none */
    bool challenge;           /* a 401 of auth: WWW-Authenticate: Bearer */
    struct fl_buf body;
    /* non-NULL: the reply is an endless event stream (text/event-stream,
     * GET /api/weather/stream); the server takes it and writes what
     * fl_ingest_stream_next gives, asking again at least every
     * FL_INGEST_STREAM_TICK_MS while the client stays */
    struct fl_ingest_stream *stream;
};

#define FL_INGEST_STREAM_TICK_MS 500
struct fl_ingest_stream;
/* Appends to out what the stream's client has not seen (nothing when
 * nothing changed, a comment line every 15 s so that a client that went
 * away is found). False when the stream ends. A server thread. */
bool fl_ingest_stream_next(struct fl_ingest_stream *st, struct fl_buf *out);
void fl_ingest_stream_free(struct fl_ingest_stream *st);

void fl_ingest_resp_init(struct fl_ingest_resp *resp);
void fl_ingest_resp_fini(struct fl_ingest_resp *resp);

struct fl_ingest;

/* A router over backend (copied) with cfg (copied, kinds included). */
fl_err_t fl_ingest_new(const struct fl_ingest_config *cfg, const struct fl_ingest_backend *backend,
                       struct fl_ingest **out, struct fl_error *err);
void fl_ingest_free(struct fl_ingest *ing);
const struct fl_ingest_limits *fl_ingest_limits(const struct fl_ingest *ing);

/* Answers one request into resp (initialized by the caller). Never fails:
 * every problem becomes an error reply. Thread-safe. */
void fl_ingest_handle(struct fl_ingest *ing, const struct fl_ingest_req *req,
                      struct fl_ingest_resp *resp);

/* Whether requests need a key (the config's auth:). */
bool fl_ingest_auth_on(const struct fl_ingest *ing);

/* Before a request's body is read (req without one): false, with the
 * 401 or 403 reply in resp, when its key may not use the route its raw
 * path names, so that a server need not take a body it will refuse.
 * true otherwise; fl_ingest_handle checks again on the decoded path. */
bool fl_ingest_precheck(struct fl_ingest *ing, const struct fl_ingest_req *req,
                        struct fl_ingest_resp *resp);

/* A reply that waits for the log was filled in: see fl_ingest_handle_async. */
typedef void (*fl_ingest_done_cb)(void *arg);

/* Like fl_ingest_handle, but a route that appends (today GET /log, when
 * the backend has append_async) does not wait for the log. Returns false
 * when resp is complete on return (done is never called); true when the
 * reply is pending: done(arg) is then called exactly once, from any
 * thread and possibly before this returns, after resp is filled in.
 * req is borrowed only for the call; resp must stay valid until done and
 * is not touched after done. Lets a server answer many requests with few
 * threads (server.c). */
bool fl_ingest_handle_async(struct fl_ingest *ing, const struct fl_ingest_req *req,
                            struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg);

/* Counts one answered request for GET /metrics: resp's route and
 * status, and how long it took (us, from its first byte to its reply).
 * Atomics only: any thread, no allocation. */
void fl_ingest_note_http(struct fl_ingest *ing, const struct fl_ingest_resp *resp, int64_t us);

/* Fills resp with the error reply of code (errors.h): its status, and
 * {"error_code":code,"message":msg} (or the Iceberg ErrorModel for the
 * /v1/ codes). The one error helper of every route, and of the server for
 * refusals it decides before the router sees a request. */
void fl_ingest_resp_error(struct fl_ingest_resp *resp, fl_ingest_ecode_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
