/*
 * server.c - the Kafka server's sockets (kafka.h): one listening socket,
 * an accept thread, and two threads per connection: a reader that reads
 * request frames (a 4-byte big-endian size, then the request) and
 * answers each into a reply, and a writer that sends the replies in the
 * order of their requests, as the protocol requires, each once the
 * produce it answers is durable. So a producer's pipelined requests do
 * not wait for each other's fsync one by one: they share fsyncs (group
 * commit), and the reader goes on while the writer waits.
 *
 * Limits, each checked where the input arrives: a frame over
 * max_request_bytes (or under a request header's 8 bytes) closes its
 * connection with a log line before any of it is buffered; a reply is
 * built in a buffer capped at max_inflight_bytes, and the reader stops
 * while the replies queued for the writer hold more; connections past
 * max_connections are closed at accept with a log line. A request whose
 * header or body cannot be read closes its connection too (Kafka does
 * the same); every other problem is a Kafka error code in the reply.
 *
 * TLS (kafka.tls): each accepted socket is handed to a pump thread
 * (tls.c) and the connection reads and writes the plaintext end of a
 * socketpair instead; nothing else here changes.
 *
 * Threads: the accept thread reaps finished connections; stop sets a
 * flag that every thread sees within POLL_MS, then joins them all. A
 * request in progress (a produce waiting for fsync, a long-polling
 * fetch) is answered first.
 */
#include "kafka/kafka_int.h"
#include "kafka/tls.h"

#include "core/addr.h"
#include "core/endian.h"
#include "core/log.h"
#include "core/mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define POLL_MS 200
#define HEADER_MIN 8 /* api key, version, correlation id */

struct reply;

struct conn {
    struct fl_kafka_server *srv;
    int fd;
    pthread_t th;
    atomic_bool done;
    char peer[64];
    struct conn *next;
    /* replies in request order, from the reader to the writer (qlock) */
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    struct reply *head, *tail;
    size_t qbytes;
    bool reading_done, failed;
};

struct fl_kafka_server {
    struct fl_kafka *k;
    int lfd;
    uint16_t port;
    pthread_t accept_th;
    atomic_bool stopping;
    struct conn *conns; /* accept thread only, and stop after it is joined */
    int nconns;
    struct fl_kafka_tls *tls; /* NULL: plaintext */
};

/* Reads exactly n bytes. 0 done, -1 closed, failed or stopping (idle
 * says the connection is between requests: a stop ends it at once). */
static int read_n(struct conn *c, uint8_t *p, size_t n) {
    size_t got = 0;
    while (got < n) {
        if (atomic_load(&c->srv->stopping)) return -1;
        struct pollfd pfd = {c->fd, POLLIN, 0};
        int r = poll(&pfd, 1, POLL_MS);
        if (r < 0 && errno != EINTR) return -1;
        if (r <= 0) continue;
        ssize_t m = read(c->fd, p + got, n - got);
        if (m == 0) return -1;
        if (m < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return -1;
        }
        got += (size_t)m;
    }
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t m = send(fd, p, n, MSG_NOSIGNAL);
        if (m < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += m;
        n -= (size_t)m;
    }
    return 0;
}

/* One reply waiting to be sent, with the durability it still owes. */
struct reply {
    struct fl_buf out;
    struct fl_kafka_waits waits;
    struct reply *next;
};

static void reply_free(struct reply *r) {
    fl_buf_fini(&r->out);
    fl_kafka_waits_fini(&r->waits);
    fl_free(r);
}

/* The connection's writer: sends each reply in order once what it owes
 * is durable. A failure closes the connection (the reader sees it).
 * @locality the connection's writer thread */
static void *writer_main(void *arg) {
    struct conn *c = arg;
    struct fl_kafka *k = c->srv->k;
    pthread_mutex_lock(&c->qlock);
    for (;;) {
        while (!c->head && !c->reading_done) pthread_cond_wait(&c->qcond, &c->qlock);
        struct reply *r = c->head;
        if (!r) break;
        c->head = r->next;
        if (!c->head) c->tail = NULL;
        bool failed = c->failed;
        pthread_mutex_unlock(&c->qlock);
        struct fl_error err = {0};
        if (!failed && fl_kafka_waits_run(k, &r->waits, &err)) {
            fl_warn("kafka: %s: %s: closing the connection (the reply is not sent)", c->peer,
                    err.msg);
            failed = true;
        } else if (!failed && r->out.len && write_all(c->fd, r->out.data, r->out.len)) {
            failed = true;
        }
        if (failed) shutdown(c->fd, SHUT_RDWR);
        pthread_mutex_lock(&c->qlock);
        c->failed |= failed;
        c->qbytes -= r->out.len;
        pthread_cond_broadcast(&c->qcond);
        reply_free(r);
    }
    pthread_mutex_unlock(&c->qlock);
    return NULL;
}

/* Queues r behind the replies before it, holding the reader while the
 * queue holds more than max_inflight_bytes. false when the writer
 * failed (r is freed). */
static bool queue_reply(struct conn *c, struct reply *r, size_t max) {
    pthread_mutex_lock(&c->qlock);
    while (!c->failed && c->qbytes > 0 && c->qbytes + r->out.len > max)
        pthread_cond_wait(&c->qcond, &c->qlock);
    bool ok = !c->failed;
    if (ok) {
        if (c->tail)
            c->tail->next = r;
        else
            c->head = r;
        c->tail = r;
        c->qbytes += r->out.len;
        pthread_cond_broadcast(&c->qcond);
    }
    pthread_mutex_unlock(&c->qlock);
    if (!ok) reply_free(r);
    return ok;
}

/* The connection's reader: frames in, each answered into a reply queued
 * for the writer, so that a produce waiting for its fsync does not stop
 * the next requests. @locality the connection's thread */
static void *conn_main(void *arg) {
    struct conn *c = arg;
    struct fl_kafka *k = c->srv->k;
    struct fl_buf req;
    fl_buf_init(&req, k->cfg.max_request_bytes);
    pthread_t wth;
    struct fl_kafka_session sess = {0};
    bool writer = pthread_create(&wth, NULL, writer_main, c) == 0;
    while (writer) {
        uint8_t sz[4];
        if (read_n(c, sz, 4)) break;
        uint32_t size = fl_be32(sz);
        if (size < HEADER_MIN || size > k->cfg.max_request_bytes) {
            fl_warn("kafka: %s: request frame of %u bytes (limits %d..%zu): closing the "
                    "connection",
                    c->peer, size, HEADER_MIN, k->cfg.max_request_bytes);
            break;
        }
        fl_buf_reset(&req);
        if (!fl_buf_grow(&req, size) || read_n(c, req.data, size)) break;
        struct reply *r = fl_calloc(1, sizeof(*r));
        fl_buf_init(&r->out, k->cfg.max_inflight_bytes);
        struct fl_error err = {0};
        if (fl_kafka_handle(k, req.data, size, &r->out, &r->waits, &sess, &err)) {
            fl_warn("kafka: %s: %s: closing the connection", c->peer, err.msg);
            reply_free(r);
            break;
        }
        if (r->out.len == 0 && r->waits.n == 0) { /* acks 0, nothing to wait for */
            reply_free(r);
        } else if (!queue_reply(c, r, k->cfg.max_inflight_bytes)) {
            break;
        }
        if (sess.close) {
            fl_warn("kafka: %s: SASL authentication failed: closing the connection", c->peer);
            break; /* the writer sends the refusal first */
        }
        if (req.cap > ((size_t)4 << 20)) { /* give a large request's memory back */
            fl_buf_fini(&req);
            fl_buf_init(&req, k->cfg.max_request_bytes);
        }
    }
    fl_buf_fini(&req);
    pthread_mutex_lock(&c->qlock);
    c->reading_done = true;
    pthread_cond_broadcast(&c->qcond);
    pthread_mutex_unlock(&c->qlock);
    if (writer) pthread_join(wth, NULL); /* the replies already queued go out first */
    close(c->fd);
    c->fd = -1;
    atomic_store(&c->done, true);
    return NULL;
}

static void peer_name(int fd, char *out, size_t outsz) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
            port = ntohs(a->sin6_port);
        }
    }
    snprintf(out, outsz, "%s:%d", host, port);
}

static void conn_free(struct conn *c) {
    pthread_mutex_destroy(&c->qlock);
    pthread_cond_destroy(&c->qcond);
    fl_free(c);
}

/* Joins the connections that ended. @locality the accept thread */
static void reap(struct fl_kafka_server *srv, bool all) {
    for (struct conn **pp = &srv->conns; *pp;) {
        struct conn *c = *pp;
        if (!all && !atomic_load(&c->done)) {
            pp = &c->next;
            continue;
        }
        pthread_join(c->th, NULL);
        *pp = c->next;
        srv->nconns--;
        conn_free(c);
    }
}

static void *accept_main(void *arg) {
    struct fl_kafka_server *srv = arg;
    while (!atomic_load(&srv->stopping)) {
        struct pollfd pfd = {srv->lfd, POLLIN, 0};
        int r = poll(&pfd, 1, POLL_MS);
        reap(srv, false);
        if (r <= 0) continue;
        int fd = accept(srv->lfd, NULL, NULL);
        if (fd < 0) continue;
        struct conn *c = fl_calloc(1, sizeof(*c));
        c->srv = srv;
        c->fd = fd;
        atomic_init(&c->done, false);
        pthread_mutex_init(&c->qlock, NULL);
        pthread_cond_init(&c->qcond, NULL);
        peer_name(fd, c->peer, sizeof(c->peer));
        if (srv->nconns >= srv->k->cfg.max_connections) {
            fl_warn("kafka: %s: over max_connections (%d): closing the connection", c->peer,
                    srv->k->cfg.max_connections);
            close(fd);
            conn_free(c);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (srv->tls && fl_kafka_tls_wrap(srv->tls, fd, &c->fd) != 0) {
            fl_warn("kafka: %s: cannot start TLS: closing the connection", c->peer);
            conn_free(c);
            continue;
        }
        fd = c->fd; /* with TLS: the plaintext end of the pump (tls.c) */
        if (pthread_create(&c->th, NULL, conn_main, c) != 0) {
            fl_warn("kafka: %s: cannot start a thread: closing the connection", c->peer);
            close(fd);
            conn_free(c);
            continue;
        }
        c->next = srv->conns;
        srv->conns = c;
        srv->nconns++;
    }
    return NULL;
}

fl_err_t fl_kafka_server_start(struct fl_kafka *k, const char *addr, struct fl_kafka_server **out,
                               struct fl_error *err) {
    struct sockaddr_storage ss;
    fl_err_t rc = fl_addr_parse(addr, &ss, err);
    if (rc) return rc;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fl_errf(err, FL_ERR_IO, "kafka: socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    socklen_t slen =
        ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, (struct sockaddr *)&ss, slen) != 0 || listen(fd, 128) != 0) {
        int e = errno;
        close(fd);
        return fl_errf(err, FL_ERR_IO,
                       "kafka: cannot listen on %s: %s (another Kafka broker? set kafka.listen "
                       "or --kafka-listen, or kafka.enabled: false)",
                       addr, strerror(e));
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof(bound);
    getsockname(fd, (struct sockaddr *)&bound, &blen);
    struct fl_kafka_tls *tls = NULL;
    if (k->cfg.tls_cert && (rc = fl_kafka_tls_new(k->cfg.tls_cert, k->cfg.tls_key, &tls, err))) {
        close(fd);
        return rc;
    }
    struct fl_kafka_server *srv = fl_calloc(1, sizeof(*srv));
    srv->k = k;
    srv->tls = tls;
    srv->lfd = fd;
    srv->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    atomic_init(&srv->stopping, false);
    fl_kafka_set_port(k, srv->port);
    if (pthread_create(&srv->accept_th, NULL, accept_main, srv) != 0) {
        close(fd);
        fl_kafka_tls_free(srv->tls);
        fl_free(srv);
        return fl_errf(err, FL_ERR_IO, "kafka: cannot start the accept thread");
    }
    *out = srv;
    return FL_OK;
}

uint16_t fl_kafka_server_port(const struct fl_kafka_server *srv) { return srv->port; }

void fl_kafka_server_stop(struct fl_kafka_server *srv) {
    if (!srv) return;
    atomic_store(&srv->stopping, true);
    fl_kafka_stop_waits(srv->k); /* a long poll or a join round ends now */
    pthread_join(srv->accept_th, NULL);
    close(srv->lfd);
    reap(srv, true);
    fl_kafka_tls_free(srv->tls); /* after the connections: their pumps end with them */
    fl_free(srv);
}
