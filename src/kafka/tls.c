/*
 * tls.c - the Kafka port's TLS pumps (tls.h). How a pump works: both its
 * sockets are non-blocking; it handshakes (10 s at most), then loops:
 * decrypt what the client sent into `in` and write it to the app end,
 * read what the app end (the connection's writer) sent into `out` and
 * encrypt it to the client, and when neither moves, poll for what
 * OpenSSL or the app end is waiting for. One 16 KiB buffer each way: a
 * side that stops reading stops the pump from reading the other way into
 * that buffer only, so replies still flow while requests wait (the
 * server's backpressure, server.c, keeps working). Either side closing
 * (or a TLS error) ends the pump, which closes both sockets; the
 * connection's reader then sees its end closed.
 */
#include "kafka/tls.h"
#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF 16384
#define HANDSHAKE_MS 10000

struct fl_kafka_tls {
    SSL_CTX *ctx;
    atomic_int pumps;
};

struct pump {
    struct fl_kafka_tls *tls;
    SSL *ssl;
    int net, app;
};

fl_err_t fl_kafka_tls_new(const char *cert_file, const char *key_file, struct fl_kafka_tls **out,
                          struct fl_error *err) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return fl_errf(err, FL_ERR_NOMEM, "kafka tls: no SSL context");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    const char *bad = NULL;
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1)
        bad = cert_file;
    else if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
             SSL_CTX_check_private_key(ctx) != 1)
        bad = key_file;
    if (bad) {
        char why[256];
        ERR_error_string_n(ERR_get_error(), why, sizeof(why));
        ERR_clear_error();
        SSL_CTX_free(ctx);
        return fl_errf(err, FL_ERR_INVALID, "kafka tls: %s: %s", bad, why);
    }
    struct fl_kafka_tls *t = fl_calloc(1, sizeof(*t));
    t->ctx = ctx;
    atomic_init(&t->pumps, 0);
    *out = t;
    return FL_OK;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool handshake(struct pump *p) {
    int64_t end = now_ms() + HANDSHAKE_MS;
    for (;;) {
        int r = SSL_accept(p->ssl);
        if (r == 1) return true;
        int e = SSL_get_error(p->ssl, r);
        short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        int64_t left = end - now_ms();
        if (!ev || left <= 0) return false;
        struct pollfd pfd = {p->net, ev, 0};
        if (poll(&pfd, 1, (int)left) <= 0) return false;
    }
}

/* After an SSL call returned n <= 0: what it waits for into *net_ev (0),
 * or -1 when the connection is over. */
static int ssl_wait(SSL *ssl, int n, short *net_ev) {
    int e = SSL_get_error(ssl, n);
    if (e == SSL_ERROR_WANT_READ)
        *net_ev |= POLLIN;
    else if (e == SSL_ERROR_WANT_WRITE)
        *net_ev |= POLLOUT;
    else
        return -1;
    return 0;
}

/* One pass both ways; *net_ev and *app_ev get what to poll for. Returns
 * 1 moved bytes, 0 nothing to do, -1 finished (closed or failed). */
static int pass(struct pump *p, char *in, size_t *in_len, size_t *in_off, char *out,
                size_t *out_len, size_t *out_off, short *net_ev, short *app_ev) {
    int moved = 0;
    *net_ev = *app_ev = 0;
    if (*in_len == 0) { /* client -> app: decrypt */
        int n = SSL_read(p->ssl, in, BUF);
        if (n > 0) {
            *in_len = (size_t)n;
            *in_off = 0;
            moved = 1;
        } else if (ssl_wait(p->ssl, n, net_ev)) {
            return -1; /* closed by the client, or a TLS error */
        }
    }
    if (*in_len) {
        ssize_t m = write(p->app, in + *in_off, *in_len - *in_off);
        if (m > 0) {
            *in_off += (size_t)m;
            if (*in_off == *in_len) *in_len = 0;
            moved = 1;
        } else if (m < 0 && (errno == EAGAIN || errno == EINTR)) {
            *app_ev |= POLLOUT;
        } else {
            return -1;
        }
    }
    if (*out_len == 0) { /* app -> client: read what the writer sent */
        ssize_t m = read(p->app, out, BUF);
        if (m > 0) {
            *out_len = (size_t)m;
            *out_off = 0;
            moved = 1;
        } else if (m < 0 && (errno == EAGAIN || errno == EINTR)) {
            *app_ev |= POLLIN;
        } else {
            return -1; /* the connection closed its end */
        }
    }
    if (*out_len) {
        int n = SSL_write(p->ssl, out + *out_off, (int)(*out_len - *out_off));
        if (n > 0) {
            *out_off += (size_t)n;
            if (*out_off == *out_len) *out_len = 0;
            moved = 1;
        } else if (ssl_wait(p->ssl, n, net_ev)) {
            return -1;
        }
    }
    return moved;
}

static void *pump_main(void *arg) {
    struct pump *p = arg;
    char *in = fl_malloc(BUF), *out = fl_malloc(BUF);
    size_t in_len = 0, in_off = 0, out_len = 0, out_off = 0;
    if (handshake(p)) {
        for (;;) {
            short net_ev, app_ev;
            int r = pass(p, in, &in_len, &in_off, out, &out_len, &out_off, &net_ev, &app_ev);
            if (r < 0) break;
            if (r > 0) continue;
            struct pollfd pfd[2] = {{p->net, net_ev, 0}, {p->app, app_ev, 0}};
            if (poll(pfd, 2, -1) < 0 && errno != EINTR) break;
            if ((pfd[0].revents | pfd[1].revents) & (POLLERR | POLLNVAL)) break;
            if ((pfd[0].revents & POLLHUP) && !(pfd[0].revents & POLLIN)) break;
            if ((pfd[1].revents & POLLHUP) && !(pfd[1].revents & POLLIN)) break;
        }
        SSL_shutdown(p->ssl); /* best effort: the client may be gone */
    }
    fl_free(in);
    fl_free(out);
    SSL_free(p->ssl);
    close(p->net);
    close(p->app);
    atomic_fetch_sub(&p->tls->pumps, 1);
    fl_free(p);
    ERR_clear_error();
    return NULL;
}

int fl_kafka_tls_wrap(struct fl_kafka_tls *tls, int net, int *app) {
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
        close(net);
        return -1;
    }
    struct pump *p = fl_calloc(1, sizeof(*p));
    p->tls = tls;
    p->net = net;
    p->app = sp[0];
    p->ssl = SSL_new(tls->ctx);
    fcntl(net, F_SETFL, fcntl(net, F_GETFL) | O_NONBLOCK);
    fcntl(sp[0], F_SETFL, fcntl(sp[0], F_GETFL) | O_NONBLOCK);
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    atomic_fetch_add(&tls->pumps, 1);
    bool ok =
        p->ssl && SSL_set_fd(p->ssl, net) == 1 && pthread_create(&th, &attr, pump_main, p) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
        atomic_fetch_sub(&tls->pumps, 1);
        SSL_free(p->ssl);
        fl_free(p);
        close(net);
        close(sp[0]);
        close(sp[1]);
        return -1;
    }
    *app = sp[1];
    return 0;
}

void fl_kafka_tls_free(struct fl_kafka_tls *tls) {
    if (!tls) return;
    for (int i = 0; i < 500 && atomic_load(&tls->pumps) > 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    /* a pump still running holds the context through its SSL's reference */
    SSL_CTX_free(tls->ctx);
    if (atomic_load(&tls->pumps) == 0) fl_free(tls);
}
