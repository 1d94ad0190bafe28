/*
 * server.c - libmicrohttpd glue: sockets, limits and buffering; the
 * router (router.c) decides every reply.
 *
 * How it works: MHD runs `threads` threads, each with its own poll()
 * loop over its share of the connections (MHD_USE_POLL_INTERNAL_THREAD
 * + MHD_OPTION_THREAD_POOL_SIZE). Not epoll: with epoll (edge-triggered
 * in MHD 0.9.75), thread pool and suspend/resume, bench/ingest.sh's
 * alternating loads left every connection of a new wrk run accepted but
 * never read, in about one run in five, each worker asleep in epoll_wait
 * (seen with gdb and ss) until the 30 s idle timeout; poll() is
 * level-triggered and 18 runs of the same sequence never stalled, at the
 * same throughput. The URI log callback captures the raw
 * request target (MHD would otherwise hand us a decoded path and parsed
 * arguments) into a per-request struct; the access handler collects the
 * body into a buffer capped at body_bytes and, when the request is
 * complete, calls fl_ingest_handle_async on that thread.
 *
 * Waiting for the log without holding a thread: when the router says the
 * reply is pending (GET /log: its event is queued in the coalescer,
 * coalesce.c), the connection is suspended (MHD_ALLOW_SUSPEND_RESUME) and
 * the thread goes on serving other connections. The coalescer's appender
 * thread writes everything queued with one append and one fsync, the
 * router fills the reply, and on_done resumes the connection; MHD then
 * calls on_request again, which queues that reply. So a reply still goes
 * out only after the record is durable, and a few threads serve any
 * number of waiting requests. The race between the appender finishing
 * and this thread suspending is settled by r->phase (RUNNING ->
 * SUSPENDED here, -> DONE in on_done; whoever comes second resumes).
 * Other routes (POST /topics, uploads) still block their thread in the
 * append. Stopping: new requests of open keep-alive connections are
 * answered on their thread (no more suspending), then the stop waits
 * until no request may still be suspended (MHD must not be stopped with
 * a suspended connection).
 *
 * Event streams (GET /api/weather/stream; the router's reply carries a
 * struct fl_ingest_stream): an MHD response of unknown size whose content
 * reader writes what fl_ingest_stream_next gives. With nothing to write
 * the reader parks the connection (suspends it, on srv->parked) and
 * returns 0; a ticker thread resumes every parked stream each
 * FL_INGEST_STREAM_TICK_MS, so an open stream costs no thread and one
 * fl_ingest_stream_next a tick. Stopping ends every stream: the ticker
 * resumes them one last time and their readers end the response.
 *
 * TLS: with a certificate and key (fl_ingest_server_start_tls) MHD
 * serves HTTPS through GnuTLS (MHD_USE_TLS); everything else is the same.
 *
 * Limits: a Content-Length over the cap is answered 413 before the body
 * is read; a chunked body over the cap is discarded and then
 * answered 413 (and the connection dropped past four times the cap);
 * header bytes are checked here (431 JSON) and MHD's per-connection memory
 * limit bounds what it buffers before that; MHD's connection limit and
 * per-connection timeout keep slow or idle clients from holding the
 * server (a client trickling bytes occupies only its socket, not a
 * thread).
 */
#include "ingest/server.h"
#include "core/addr.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEADERS_MAX 100

struct fl_ingest_server {
    struct MHD_Daemon *mhd;
    struct fl_ingest *ing;
    struct fl_ingest_limits lim;
    uint16_t port;
    char *cert_pem, *key_pem; /* TLS (NULL: plain HTTP), kept for the daemon's life */
    atomic_int pending;       /* requests that may be suspended */
    atomic_bool stopping;     /* no more suspending: answer on the thread */
    /* event streams: the parked ones (suspended until the next tick),
     * under mu; the ticker thread resumes them */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct stream *parked;
    bool streams_end; /* stopping: no more parking, the ticker ends */
    atomic_int streams;
    pthread_t ticker;
};

/* An event stream's response state (the router's resp.stream, taken). */
struct stream {
    struct fl_ingest_server *srv;
    struct MHD_Connection *con;
    struct fl_ingest_stream *st;
    struct fl_buf out; /* written up to off */
    size_t off;
    struct stream *next; /* on srv->parked */
};

/* r->phase: where a request whose reply may wait for the log is */
enum { PHASE_NONE, PHASE_RUNNING, PHASE_SUSPENDED, PHASE_DONE };

struct request {
    struct fl_ingest_server *srv;
    struct MHD_Connection *con;
    char *target;
    struct fl_buf body;
    int started;
    int too_large;
    size_t discarded;
    atomic_int phase;
    bool counted; /* counted in srv->pending */
    bool has_resp;
    int64_t t0_us; /* monotonic, at its request line: GET /metrics' latency */
    struct fl_ingest_resp resp;
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con) {
    struct request *r = fl_calloc(1, sizeof(*r));
    r->srv = cls;
    r->con = con;
    r->target = fl_strdup(uri ? uri : "");
    r->t0_us = fl_time_mono_us();
    atomic_init(&r->phase, PHASE_NONE);
    return r;
}

static void uncount(struct request *r) {
    if (!r->counted) return;
    r->counted = false;
    atomic_fetch_sub(&r->srv->pending, 1);
}

static void on_completed(void *cls, struct MHD_Connection *con, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)cls;
    (void)con;
    (void)toe;
    struct request *r = *req_cls;
    if (!r) return;
    uncount(r); /* the client went away after its reply was ready */
    if (r->has_resp) fl_ingest_resp_fini(&r->resp);
    fl_buf_fini(&r->body);
    fl_free(r->target);
    fl_free(r);
    *req_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n') line[--n] = 0;
    fl_debug("http: %s", line);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    struct stream *s = cls;
    struct fl_ingest_server *srv = s->srv;
    if (s->off == s->out.len) {
        fl_buf_reset(&s->out);
        s->off = 0;
        if (atomic_load(&srv->stopping) || !fl_ingest_stream_next(s->st, &s->out))
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if (s->off == s->out.len) { /* nothing new: parked until the next tick */
        pthread_mutex_lock(&srv->mu);
        bool end = srv->streams_end;
        if (!end) {
            s->next = srv->parked;
            srv->parked = s;
            MHD_suspend_connection(s->con);
        }
        pthread_mutex_unlock(&srv->mu);
        return end ? MHD_CONTENT_READER_END_OF_STREAM : 0;
    }
    size_t n = s->out.len - s->off < max ? s->out.len - s->off : max;
    memcpy(buf, s->out.data + s->off, n);
    s->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls) {
    struct stream *s = cls;
    atomic_fetch_sub(&s->srv->streams, 1);
    fl_ingest_stream_free(s->st);
    fl_buf_fini(&s->out);
    fl_free(s);
}

/* Resumes every parked stream (under srv->mu). A resumed connection may
 * end and free its stream at once on an MHD thread: next is read first. */
static void resume_parked(struct fl_ingest_server *srv) {
    struct stream *s = srv->parked, *next;
    srv->parked = NULL;
    for (; s; s = next) {
        next = s->next;
        MHD_resume_connection(s->con);
    }
}

static void *ticker(void *arg) {
    struct fl_ingest_server *srv = arg;
    pthread_mutex_lock(&srv->mu);
    while (!srv->streams_end) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += FL_INGEST_STREAM_TICK_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&srv->cv, &srv->mu, &ts);
        resume_parked(srv);
    }
    resume_parked(srv);
    pthread_mutex_unlock(&srv->mu);
    return NULL;
}

/* The response for an event stream: resp->stream taken over. */
static struct MHD_Response *stream_response(struct fl_ingest_server *srv,
                                            struct MHD_Connection *con,
                                            struct fl_ingest_resp *resp) {
    struct stream *s = fl_calloc(1, sizeof(*s));
    s->srv = srv;
    s->con = con;
    s->st = resp->stream;
    resp->stream = NULL;
    fl_buf_init(&s->out, (size_t)64 << 20);
    atomic_fetch_add(&srv->streams, 1);
    struct MHD_Response *mr =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_read, s, stream_free);
    if (!mr) {
        stream_free(s);
        return NULL;
    }
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    return mr;
}

static enum MHD_Result send_resp(struct fl_ingest_server *srv, struct MHD_Connection *con,
                                 struct fl_ingest_resp *resp) {
    if (resp->stream) {
        struct MHD_Response *mr = stream_response(srv, con, resp);
        if (!mr) return MHD_NO;
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
        enum MHD_Result ret = MHD_queue_response(con, (unsigned)resp->status, mr);
        MHD_destroy_response(mr);
        return ret;
    }
    size_t len = 0;
    uint8_t *data = fl_buf_detach(&resp->body, &len);
    /* the body's buffer (malloc'ed) is handed over: MHD frees it */
    struct MHD_Response *mr =
        data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!mr) {
        fl_free(data);
        return MHD_NO;
    }
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    if (resp->retry_after_s) {
        char ra[16];
        snprintf(ra, sizeof(ra), "%u", resp->retry_after_s);
        MHD_add_response_header(mr, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (resp->challenge) MHD_add_response_header(mr, "WWW-Authenticate", "Bearer realm=\"floe\"");
    enum MHD_Result ret = MHD_queue_response(con, (unsigned)resp->status, mr);
    MHD_destroy_response(mr);
    return ret;
}

struct header_walk {
    struct fl_ingest_header h[HEADERS_MAX];
    int n;
    int overflow;
    size_t bytes;
};

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value) {
    (void)kind;
    struct header_walk *w = cls;
    w->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
    if (w->n == HEADERS_MAX) {
        w->overflow = 1;
        return MHD_YES;
    }
    w->h[w->n].name = key;
    w->h[w->n].value = value ? value : "";
    w->n++;
    return MHD_YES;
}

static enum MHD_Result refuse(struct request *r, fl_ingest_ecode_t code, const char *what,
                              size_t limit) {
    struct fl_ingest_resp resp;
    fl_ingest_resp_init(&resp);
    fl_ingest_resp_error(&resp, code, "%s over the limit of %zu bytes", what, limit);
    fl_ingest_note_http(r->srv->ing, &resp, fl_time_mono_us() - r->t0_us);
    enum MHD_Result ret = send_resp(r->srv, r->con, &resp);
    fl_ingest_resp_fini(&resp);
    return ret;
}

/* With auth on, a request whose key may not use its route is answered
 * (401/403) before its body is read. */
static enum MHD_Result precheck(struct request *r, const char *method) {
    if (!fl_ingest_auth_on(r->srv->ing)) return MHD_YES;
    struct header_walk hw = {.n = 0};
    MHD_get_connection_values(r->con, MHD_HEADER_KIND, on_header, &hw);
    struct fl_ingest_req req = {
        .method = method, .target = r->target, .headers = hw.h, .nheaders = hw.n};
    struct fl_ingest_resp resp;
    fl_ingest_resp_init(&resp);
    enum MHD_Result ret = MHD_YES;
    if (!fl_ingest_precheck(r->srv->ing, &req, &resp)) {
        fl_ingest_note_http(r->srv->ing, &resp, fl_time_mono_us() - r->t0_us);
        ret = send_resp(r->srv, r->con, &resp);
    }
    fl_ingest_resp_fini(&resp);
    return ret;
}

/* The router filled r->resp.
 * @locality the coalescer's appender thread, or the MHD thread itself */
static void on_done(void *arg) {
    struct request *r = arg;
    if (atomic_exchange(&r->phase, PHASE_DONE) == PHASE_SUSPENDED) MHD_resume_connection(r->con);
    /* else on_request has not suspended yet and will see PHASE_DONE;
     * either way r may be gone from here on */
}

/* Queues r->resp (complete) and forgets it. */
static enum MHD_Result reply(struct request *r) {
    fl_ingest_note_http(r->srv->ing, &r->resp, fl_time_mono_us() - r->t0_us);
    enum MHD_Result ret = send_resp(r->srv, r->con, &r->resp);
    fl_ingest_resp_fini(&r->resp);
    r->has_resp = false;
    uncount(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
    (void)url;
    (void)version;
    struct fl_ingest_server *srv = cls;
    struct request *r = *req_cls;
    if (!r) return MHD_NO; /* cannot happen: on_uri always allocates */
    /* called again after on_done resumed the connection */
    if (r->has_resp && atomic_load(&r->phase) == PHASE_DONE) return reply(r);
    if (!r->started) {
        r->started = 1;
        fl_buf_init(&r->body, srv->lim.body_bytes);
        const char *cl =
            MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            unsigned long long v = strtoull(cl, &end, 10);
            if (v > srv->lim.body_bytes)
                return refuse(r, FL_INGEST_E_TOO_LARGE, "request body", srv->lim.body_bytes);
        }
        return precheck(r, method);
    }
    if (*upload_data_size) {
        if (!r->too_large && fl_buf_append(&r->body, upload_data, *upload_data_size) != FL_OK) {
            r->too_large = 1;
            fl_buf_fini(&r->body);
        }
        if (r->too_large) {
            r->discarded += *upload_data_size;
            if (r->discarded > 4 * srv->lim.body_bytes) return MHD_NO; /* drop the connection */
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->too_large) return refuse(r, FL_INGEST_E_TOO_LARGE, "request body", srv->lim.body_bytes);

    struct header_walk hw = {.n = 0};
    MHD_get_connection_values(con, MHD_HEADER_KIND, on_header, &hw);
    hw.bytes += strlen(r->target) + strlen(method) + 12;
    if (hw.overflow || hw.bytes > srv->lim.header_bytes)
        return refuse(r, FL_INGEST_E_HEADERS_TOO_LARGE,
                      "request line and headers (header_bytes; at most 100 headers)",
                      srv->lim.header_bytes);

    struct fl_ingest_req req = {.method = method,
                                .target = r->target,
                                .headers = hw.h,
                                .nheaders = hw.n,
                                .body = r->body.data,
                                .body_len = r->body.len};
    fl_ingest_resp_init(&r->resp);
    r->has_resp = true;
    r->counted = true;
    atomic_fetch_add(&srv->pending, 1);
    /* counted before the stopping check, so that fl_ingest_server_stop
     * either waits for this request or this request sees it stopping */
    if (atomic_load(&srv->stopping)) {
        uncount(r); /* never suspended: the stop need not wait for it */
        fl_ingest_handle(srv->ing, &req, &r->resp);
        return reply(r);
    }
    atomic_store(&r->phase, PHASE_RUNNING);
    if (!fl_ingest_handle_async(srv->ing, &req, &r->resp, on_done, r)) return reply(r);
    if (atomic_load(&r->phase) == PHASE_DONE) return reply(r); /* durable already */
    MHD_suspend_connection(con);
    int expect = PHASE_RUNNING;
    if (!atomic_compare_exchange_strong(&r->phase, &expect, PHASE_SUSPENDED))
        MHD_resume_connection(con); /* on_done came in between: we are called again */
    return MHD_YES;
}

static void server_free(struct fl_ingest_server *srv) {
    pthread_cond_destroy(&srv->cv);
    pthread_mutex_destroy(&srv->mu);
    fl_free(srv->cert_pem);
    fl_free(srv->key_pem);
    fl_free(srv);
}

fl_err_t fl_ingest_server_start(struct fl_ingest *ing, const char *listen,
                                struct fl_ingest_server **out, struct fl_error *err) {
    return fl_ingest_server_start_tls(ing, listen, NULL, NULL, out, err);
}

fl_err_t fl_ingest_server_start_tls(struct fl_ingest *ing, const char *listen, const char *cert_pem,
                                    const char *key_pem, struct fl_ingest_server **out,
                                    struct fl_error *err) {
    struct sockaddr_storage ss;
    fl_err_t rc = fl_addr_parse(listen, &ss, err);
    if (rc) return rc;
    bool tls = cert_pem && key_pem;
    if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        return fl_errf(err, FL_ERR_INVALID, "this libmicrohttpd is built without TLS");
    struct fl_ingest_server *srv = fl_calloc(1, sizeof(*srv));
    if (tls) {
        srv->cert_pem = fl_strdup(cert_pem);
        srv->key_pem = fl_strdup(key_pem);
    }
    srv->ing = ing;
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cv, NULL);
    atomic_init(&srv->streams, 0);
    atomic_init(&srv->pending, 0);
    atomic_init(&srv->stopping, false);
    srv->lim = *fl_ingest_limits(ing);
    if (srv->lim.threads < 1) srv->lim.threads = 1;
    /* MHD buffers the request line and headers in a per-connection pool
     * that also holds read and write buffers; give it room beyond the
     * header limit so that our check (431 with JSON) usually runs first.
     * Not more: MHD 0.9.75 zeroes the whole pool before each request of a
     * keep-alive connection (MHD_pool_reset), which at 2 x header_bytes +
     * 16 KiB was a fifth of floe's CPU under single-event load. 8 KiB
     * beyond the headers holds the reply's header block and a body chunk */
    size_t pool = srv->lim.header_bytes + 8192;
    unsigned flags =
        MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    if (tls) flags |= MHD_USE_TLS;
    /* the TLS options last: without TLS the list ends before them */
    srv->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)srv->lim.threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)srv->lim.connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)srv->lim.timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->cert_pem, MHD_OPTION_HTTPS_MEM_KEY,
        srv->key_pem, MHD_OPTION_END);
    if (!srv->mhd) {
        server_free(srv);
        return fl_errf(err, FL_ERR_IO,
                       tls ? "cannot serve TLS on %s (address in use, or a certificate or key "
                             "GnuTLS refuses: PEM, the key matching the certificate?)"
                           : "cannot listen on %s (address in use or not local?)",
                       listen);
    }
    if (pthread_create(&srv->ticker, NULL, ticker, srv)) {
        MHD_stop_daemon(srv->mhd);
        server_free(srv);
        return fl_errf(err, FL_ERR_IO, "cannot start the event streams' thread");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    *out = srv;
    return FL_OK;
}

uint16_t fl_ingest_server_port(const struct fl_ingest_server *srv) { return srv->port; }

void fl_ingest_server_stop(struct fl_ingest_server *srv) {
    if (!srv) return;
    MHD_socket s = MHD_quiesce_daemon(srv->mhd);
    /* requests in progress finish and are answered; MHD may not be
     * stopped while a connection is suspended, and keep-alive clients
     * may still send requests: from now on they block their thread */
    atomic_store(&srv->stopping, true);
    while (atomic_load(&srv->pending) > 0) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    /* event streams: no more parking; the ticker resumes the parked ones
     * a last time and their readers end them (a stream whose client reads
     * nothing is not parked; MHD closes it) */
    pthread_mutex_lock(&srv->mu);
    srv->streams_end = true;
    pthread_cond_signal(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
    pthread_join(srv->ticker, NULL);
    for (int i = 0; i < 1000 && atomic_load(&srv->streams) > 0; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(srv->mhd);
    if (s != MHD_INVALID_SOCKET) close(s);
    server_free(srv);
}
