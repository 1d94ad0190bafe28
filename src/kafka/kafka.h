/*
 * kafka.h - floe's Kafka protocol server: Kafka clients (librdkafka,
 * kcat, confluent-kafka, kafkajs, Java) produce to and fetch from floe's
 * log as from a one-broker cluster.
 *
 * Two layers, as the HTTP ingest (ingest/router.c and server.c):
 *   fl_kafka_handle() turns one whole request frame (the bytes after the
 *     4-byte size) into one response frame, with no socket: the server,
 *     the unit tests and the fuzz target drive the same function;
 *   fl_kafka_server_*() own the listening socket and one thread per
 *     connection, read frames under the size limit and answer them in
 *     order.
 * docs/internals/kafka.md describes the APIs, versions and error codes.
 */
#ifndef FL_KAFKA_KAFKA_H
#define FL_KAFKA_KAFKA_H

#include "core/auth.h"
#include "core/buf.h"
#include "core/err.h"
#include "log/log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The defaults, in this one place (the up plan fills them in, floe
 * config show prints them, docs/config.md lists them). */
#define FL_KAFKA_LISTEN_DEFAULT "127.0.0.1:9092"
#define FL_KAFKA_REQUEST_BYTES_DEFAULT (100 << 20) /* Kafka's socket.request.max.bytes */
#define FL_KAFKA_CONNECTIONS_DEFAULT 1024
#define FL_KAFKA_INFLIGHT_BYTES_DEFAULT (64 << 20)
#define FL_KAFKA_BLOCK_MS_DEFAULT 300000 /* librdkafka's default rebalance timeout */

/* A SASL/PLAIN user (kafka.users in the config; strings borrowed). */
struct fl_kafka_user {
    const char *name, *password;
};

/* `log: {kafka: ...}`: Produce requests go to an external Kafka cluster
 * through these (the ingest backend's functions, src/ingest/
 * backend_kafka.h) instead of into the log; each is answered once the
 * cluster acknowledged it. Metadata counts the cluster's partitions. */
struct fl_kafka_forward {
    void *ctx;
    fl_err_t (*partitions)(void *ctx, const char *topic, bool create, int *partitions,
                           struct fl_error *err);
    /* returns when the cluster has the records; *base_offset the first's */
    fl_err_t (*append)(void *ctx, const char *topic, int partition,
                       const struct fl_log_record *recs, int n, int64_t *base_offset,
                       struct fl_error *err);
};

struct fl_kafka_config {
    const char *advertised_host; /* Metadata's broker host (borrowed) */
    int advertised_port;         /* 0: the port the server bound */
    bool auto_create_topics;
    struct fl_log_topic_config topic_defaults; /* of topics created on first use */
    size_t max_request_bytes;                  /* a frame past this closes its connection */
    int max_connections;                       /* connections past this are closed at accept */
    size_t max_inflight_bytes;                 /* a connection's request plus its reply */
    const struct fl_kafka_user *users;         /* with nusers > 0, connections authenticate first */
    int nusers;
    const struct fl_auth *auth;     /* borrowed: auth: keys; when required, SASL/PLAIN with
                                       username = key name, password = the key */
    const char *tls_cert, *tls_key; /* borrowed PEM file paths: TLS on the port (tls.c) */
    int max_block_ms;               /* the longest one request waits: a fetch's long poll, a join
                                       round, a sync for the leader's assignment */
    const struct fl_kafka_forward *forward; /* borrowed; NULL: Produce appends to the log */
};

/* max_request_bytes etc. from the defaults above; auto-create on. */
void fl_kafka_config_default(struct fl_kafka_config *cfg);

/* The broker state behind every connection: the log, the config and the
 * coordinator's consumer groups. */
struct fl_kafka;

/* The caller owns *out (fl_kafka_free); log and cfg's strings are
 * borrowed for its lifetime. */
fl_err_t fl_kafka_new(struct fl_log *log, const struct fl_kafka_config *cfg, struct fl_kafka **out,
                      struct fl_error *err);
void fl_kafka_free(struct fl_kafka *k);

/* Durability a reply still owes (Produce with acks 1 or all under sync
 * always): the server waits for each entry, in order, before it sends
 * the reply, while it goes on reading the connection's next requests. */
struct fl_kafka_wait {
    char topic[250];
    int32_t part;
    struct fl_log_durable d;
};
struct fl_kafka_waits {
    struct fl_kafka_wait *v;
    int n, cap;
};

/* Waits for every entry of waits, then empties it. An error (the
 * records were not stored: the disk filled or an fsync failed) means the
 * reply must not be sent: the server closes the connection, and the
 * producer state of that partition is forgotten, so that an idempotent
 * producer's retry is not taken for a duplicate. */
fl_err_t fl_kafka_waits_run(struct fl_kafka *k, struct fl_kafka_waits *waits, struct fl_error *err);
void fl_kafka_waits_fini(struct fl_kafka_waits *waits);

/* One connection's SASL state, kept by the server across its requests. */
struct fl_kafka_session {
    bool mechanism; /* SaslHandshake chose PLAIN */
    bool authenticated;
    bool close;         /* authentication failed: close after this reply */
    int grants;         /* what it may do (core/auth.h's FL_AUTH_*) */
    char key_name[128]; /* the authenticated key's name, for messages */
};

/* Answers one request (req: the frame after its size field, len bytes)
 * into out (reset first): the response frame with its 4-byte size, or
 * nothing (out->len 0) for a Produce with acks 0. FL_ERR_CORRUPT when
 * the request header cannot be read (the server closes the connection
 * then; err says why); every other problem is a Kafka error code in the
 * response. May block: a Fetch until its min_bytes or max_wait, a
 * Produce until durable - unless waits is given (not NULL): then the
 * Produce returns once its batches are written and adds what the reply
 * must wait for to waits (fl_kafka_waits_run). When the config has
 * users, sess (NULL: a trusted caller) must have authenticated with
 * SaslHandshake and SaslAuthenticate (PLAIN) before any request but
 * ApiVersions: another request is FL_ERR_CORRUPT (the connection is
 * closed, as Kafka does). Thread-safe. */
fl_err_t fl_kafka_handle(struct fl_kafka *k, uint8_t *req, size_t len, struct fl_buf *out,
                         struct fl_kafka_waits *waits, struct fl_kafka_session *sess,
                         struct fl_error *err);

/* Ends every wait in progress (long-polling fetches, join rounds, syncs)
 * and makes new ones return at once: the server is stopping. */
void fl_kafka_stop_waits(struct fl_kafka *k);

/* Sets the port Metadata replies advertise when the config said 0 (the
 * server's, once bound). */
void fl_kafka_set_port(struct fl_kafka *k, int port);

struct fl_kafka_server;

/* Listens on listen ("ADDR:PORT"; port 0 = any free) and serves k until
 * stopped. FL_ERR_IO when the address cannot be bound. */
fl_err_t fl_kafka_server_start(struct fl_kafka *k, const char *listen, struct fl_kafka_server **out,
                               struct fl_error *err);
uint16_t fl_kafka_server_port(const struct fl_kafka_server *srv);
/* Stops accepting, closes every connection (a request in progress is
 * answered first), joins the threads, frees. NULL is a no-op. */
void fl_kafka_server_stop(struct fl_kafka_server *srv);

#endif
