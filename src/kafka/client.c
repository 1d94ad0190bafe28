/*
 * client.c - the small synchronous Kafka producer of client.h.
 *
 * How it works: requests are built with wire.c's writer (request header
 * v1, client id "floe"), sent whole, and the reply read whole (at most
 * CLIENT_REPLY_MAX bytes) and checked with wire.c's bounded reader; the
 * correlation id must match. Records become one record batch v2
 * (log/batch.h's encoder, the same bytes floe's log stores).
 */
#include "kafka/client.h"

#include "core/buf.h"
#include "core/endian.h"
#include "core/mem.h"
#include "core/time.h"
#include "kafka/wire.h"
#include "log/batch.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CLIENT_REPLY_MAX (16 << 20)
#define CLIENT_BATCH_MAX (8 << 20)

struct fl_kafka_client {
    int fd;
    int32_t corr;
    struct fl_buf req, reply, batch;
};

fl_err_t fl_kafka_client_open(const char *hostport, struct fl_kafka_client **out,
                              struct fl_error *err) {
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof(host) || !colon[1])
        return fl_errf(err, FL_ERR_INVALID, "kafka broker \"%s\" is not HOST:PORT", hostport);
    snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport), hostport);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai)
        return fl_errf(err, FL_ERR_IO, "kafka broker %s: cannot resolve", hostport);
    int fd = -1;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0) return fl_errf(err, FL_ERR_IO, "kafka broker %s: %s", hostport, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct fl_kafka_client *c = fl_calloc(1, sizeof(*c));
    c->fd = fd;
    fl_buf_init(&c->req, CLIENT_BATCH_MAX + 4096);
    fl_buf_init(&c->reply, CLIENT_REPLY_MAX);
    fl_buf_init(&c->batch, CLIENT_BATCH_MAX);
    *out = c;
    return FL_OK;
}

void fl_kafka_client_free(struct fl_kafka_client *c) {
    if (!c) return;
    close(c->fd);
    fl_buf_fini(&c->req);
    fl_buf_fini(&c->reply);
    fl_buf_fini(&c->batch);
    fl_free(c);
}

/* Starts a request in c->req: size placeholder and header v1. */
static void begin(struct fl_kafka_client *c, struct fl_kafka_wr *w, int16_t key, int16_t ver) {
    fl_buf_reset(&c->req);
    fl_kafka_wr_init(w, &c->req);
    (void)fl_kafka_wr_mark32(w);
    fl_kafka_wr_i16(w, key);
    fl_kafka_wr_i16(w, ver);
    fl_kafka_wr_i32(w, ++c->corr);
    fl_kafka_wr_str(w, false, "floe");
}

static int io_full(int fd, uint8_t *p, size_t n, bool out) {
    while (n > 0) {
        ssize_t m = out ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
        if (m < 0 && errno == EINTR) continue;
        if (m <= 0) return -1;
        p += m;
        n -= (size_t)m;
    }
    return 0;
}

/* Sends c->req and reads the reply's body (after the correlation id) into rd. */
static fl_err_t call(struct fl_kafka_client *c, struct fl_kafka_wr *w, struct fl_kafka_rd *rd,
                     struct fl_error *err) {
    if (w->bad) return fl_errf(err, FL_ERR_LIMIT, "kafka request too large");
    fl_kafka_wr_patch32(w, 0, (int32_t)(c->req.len - 4));
    uint8_t sz[4];
    if (io_full(c->fd, c->req.data, c->req.len, true) || io_full(c->fd, sz, 4, false))
        return fl_errf(err, FL_ERR_IO, "kafka broker: connection lost");
    uint32_t n = fl_be32(sz);
    fl_buf_reset(&c->reply);
    uint8_t *p = n >= 4 && n <= CLIENT_REPLY_MAX ? fl_buf_grow(&c->reply, n) : NULL;
    if (!p || io_full(c->fd, p, n, false))
        return fl_errf(err, FL_ERR_IO, "kafka broker: bad or lost reply of %u bytes", n);
    if ((int32_t)fl_be32(p) != c->corr)
        return fl_errf(err, FL_ERR_CORRUPT, "kafka broker: reply to another request");
    fl_kafka_rd_init(rd, p + 4, n - 4);
    return FL_OK;
}

fl_err_t fl_kafka_client_partitions(struct fl_kafka_client *c, const char *topic, int *n,
                                    struct fl_error *err) {
    struct fl_kafka_wr w;
    struct fl_kafka_rd rd;
    begin(c, &w, 3, 4); /* Metadata v4 */
    fl_kafka_wr_array(&w, false, 1);
    fl_kafka_wr_str(&w, false, topic);
    fl_kafka_wr_i8(&w, 1); /* allow auto-creation */
    fl_err_t rc = call(c, &w, &rd, err);
    if (rc) return rc;
    (void)fl_kafka_rd_i32(&rd); /* throttle */
    int32_t nb = fl_kafka_rd_array(&rd, false, 10);
    for (int32_t i = 0; i < nb && !rd.bad; i++) {
        (void)fl_kafka_rd_i32(&rd);
        (void)fl_kafka_rd_str(&rd, false);
        (void)fl_kafka_rd_i32(&rd);
        (void)fl_kafka_rd_str(&rd, false);
    }
    (void)fl_kafka_rd_str(&rd, false); /* cluster id */
    (void)fl_kafka_rd_i32(&rd);        /* controller */
    int32_t nt = fl_kafka_rd_array(&rd, false, 9);
    int16_t code = fl_kafka_rd_i16(&rd);
    (void)fl_kafka_rd_str(&rd, false);
    (void)fl_kafka_rd_i8(&rd);
    int32_t np = fl_kafka_rd_array(&rd, false, 18);
    if (rd.bad || nt != 1) return fl_errf(err, FL_ERR_CORRUPT, "kafka broker: bad Metadata reply");
    if (code || np < 1)
        return fl_errf(err, FL_ERR_NOTFOUND, "kafka broker: topic %s: error %d", topic, code);
    *n = np;
    return FL_OK;
}

fl_err_t fl_kafka_client_produce(struct fl_kafka_client *c, const char *topic, int partition,
                                 const struct fl_log_record *recs, int n, int64_t *base_offset,
                                 struct fl_error *err) {
    fl_buf_reset(&c->batch);
    fl_err_t rc = fl_log_batch_encode(&c->batch, 0, recs, n, fl_time_now_us() / 1000, err);
    if (rc) return rc;
    struct fl_kafka_wr w;
    struct fl_kafka_rd rd;
    begin(c, &w, 0, 3); /* Produce v3 */
    fl_kafka_wr_str(&w, false, NULL);
    fl_kafka_wr_i16(&w, -1); /* acks=all */
    fl_kafka_wr_i32(&w, 30000);
    fl_kafka_wr_array(&w, false, 1);
    fl_kafka_wr_str(&w, false, topic);
    fl_kafka_wr_array(&w, false, 1);
    fl_kafka_wr_i32(&w, partition);
    fl_kafka_wr_bytes(&w, false, c->batch.data, c->batch.len);
    rc = call(c, &w, &rd, err);
    if (rc) return rc;
    (void)fl_kafka_rd_array(&rd, false, 2);
    (void)fl_kafka_rd_str(&rd, false);
    (void)fl_kafka_rd_array(&rd, false, 14);
    (void)fl_kafka_rd_i32(&rd);
    int16_t code = fl_kafka_rd_i16(&rd);
    int64_t base = fl_kafka_rd_i64(&rd);
    if (rd.bad) return fl_errf(err, FL_ERR_CORRUPT, "kafka broker: bad Produce reply");
    if (code)
        return fl_errf(err, FL_ERR_INVALID, "kafka broker: produce to %s-%d: error %d", topic,
                       partition, code);
    *base_offset = base;
    return FL_OK;
}
