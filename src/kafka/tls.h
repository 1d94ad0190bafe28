/*
 * tls.h - TLS on the Kafka port (OpenSSL): a pump thread per connection
 * between the client's TCP socket and one end of a socketpair, whose
 * other end the connection's reader and writer threads (server.c) use as
 * if it were the client. So the SSL object has one thread (OpenSSL's
 * SSL may not be read and written from two at once) and server.c's
 * framing, limits and ordering are the same with or without TLS.
 */
#ifndef FL_KAFKA_TLS_H
#define FL_KAFKA_TLS_H

#include "core/err.h"

struct fl_kafka_tls;

/* A TLS context from PEM files: cert (chain) and its private key.
 * FL_ERR_INVALID with a message naming the file when OpenSSL refuses. */
fl_err_t fl_kafka_tls_new(const char *cert_file, const char *key_file, struct fl_kafka_tls **out,
                          struct fl_error *err);

/* Takes net (an accepted TCP socket) and returns in *app the plaintext
 * end of a socketpair; a pump thread handshakes and moves bytes both
 * ways until either side closes, then closes both. -1 (net closed) when
 * no socketpair or thread could be made. */
int fl_kafka_tls_wrap(struct fl_kafka_tls *tls, int net, int *app);

/* Waits (up to 5 s) for the pumps still running, then frees tls. */
void fl_kafka_tls_free(struct fl_kafka_tls *tls);

#endif
