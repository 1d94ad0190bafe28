/*
 * server.h - the HTTP server of `floe up`: libmicrohttpd with a pool of
 * threads, each running its own epoll loop, in front of the ingest
 * router (ingest.h). Design: docs/internals/ingest.md.
 */
#ifndef FL_INGEST_SERVER_H
#define FL_INGEST_SERVER_H

#include "core/err.h"
#include "ingest/ingest.h"

#include <stdint.h>

struct fl_ingest_server;

/* Starts serving ing (borrowed; it must outlive the server) on listen,
 * "ADDR:PORT" or "[ADDR6]:PORT" (port 0 picks a free one), with ing's
 * limits. The caller owns *out (fl_ingest_server_stop). */
fl_err_t fl_ingest_server_start(struct fl_ingest *ing, const char *listen,
                                struct fl_ingest_server **out, struct fl_error *err);
/* The same over TLS (libmicrohttpd's GnuTLS): cert_pem and key_pem are
 * the PEM texts of the certificate (chain) and its private key (copied).
 * FL_ERR_INVALID when this libmicrohttpd has no TLS, FL_ERR_IO when the
 * daemon does not start (a certificate or key GnuTLS refuses among the
 * causes). */
fl_err_t fl_ingest_server_start_tls(struct fl_ingest *ing, const char *listen, const char *cert_pem,
                                    const char *key_pem, struct fl_ingest_server **out,
                                    struct fl_error *err);
/* The port actually bound. */
uint16_t fl_ingest_server_port(const struct fl_ingest_server *srv);
/* Stops accepting, lets the requests in progress finish (their appends
 * complete and are answered), closes every connection and frees srv. */
void fl_ingest_server_stop(struct fl_ingest_server *srv);

#endif
