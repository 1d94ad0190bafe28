/*
 * kafka_int.h - what the files of src/kafka/ share (as SQLite's
 * btreeInt.h): the broker state, a decoded request header, the API
 * table that dispatch (kafka.c) and ApiVersions (api_meta.c) read, the
 * Kafka error codes floe answers with, and small helpers each API file
 * uses (topic lookup and creation, topic ids, the new-data signal that
 * long-polling fetches wait on).
 *
 * Locks: k->lock guards the new-data sequence (k->seq, k->data_cond);
 * the consumer groups have their own lock (groups.c).
 */
#ifndef FL_KAFKA_KAFKA_INT_H
#define FL_KAFKA_KAFKA_INT_H

#include "kafka/kafka.h"
#include "kafka/wire.h"

#include <pthread.h>
#include <stdatomic.h>

/* Error codes (Kafka's Errors.java numbering). */
enum {
    FL_KAFKA_UNKNOWN_SERVER_ERROR = -1,
    FL_KAFKA_NONE = 0,
    FL_KAFKA_OFFSET_OUT_OF_RANGE = 1,
    FL_KAFKA_CORRUPT_MESSAGE = 2,
    FL_KAFKA_UNKNOWN_TOPIC_OR_PARTITION = 3,
    FL_KAFKA_MESSAGE_TOO_LARGE = 10,
    FL_KAFKA_COORDINATOR_NOT_AVAILABLE = 15,
    FL_KAFKA_NOT_COORDINATOR = 16,
    FL_KAFKA_INVALID_TOPIC_EXCEPTION = 17,
    FL_KAFKA_INVALID_REQUIRED_ACKS = 21,
    FL_KAFKA_ILLEGAL_GENERATION = 22,
    FL_KAFKA_INCONSISTENT_GROUP_PROTOCOL = 23,
    FL_KAFKA_INVALID_GROUP_ID = 24,
    FL_KAFKA_UNKNOWN_MEMBER_ID = 25,
    FL_KAFKA_INVALID_SESSION_TIMEOUT = 26,
    FL_KAFKA_REBALANCE_IN_PROGRESS = 27,
    FL_KAFKA_TOPIC_AUTHORIZATION_FAILED = 29,
    FL_KAFKA_GROUP_AUTHORIZATION_FAILED = 30,
    FL_KAFKA_UNSUPPORTED_SASL_MECHANISM = 33,
    FL_KAFKA_ILLEGAL_SASL_STATE = 34,
    FL_KAFKA_UNSUPPORTED_VERSION = 35,
    FL_KAFKA_TOPIC_ALREADY_EXISTS = 36,
    FL_KAFKA_INVALID_PARTITIONS = 37,
    FL_KAFKA_INVALID_REPLICATION_FACTOR = 38,
    FL_KAFKA_INVALID_REPLICA_ASSIGNMENT = 39,
    FL_KAFKA_INVALID_CONFIG = 40,
    FL_KAFKA_INVALID_REQUEST = 42,
    FL_KAFKA_UNSUPPORTED_FOR_MESSAGE_FORMAT = 43,
    FL_KAFKA_OUT_OF_ORDER_SEQUENCE_NUMBER = 45,
    FL_KAFKA_DUPLICATE_SEQUENCE_NUMBER = 46,
    FL_KAFKA_INVALID_PRODUCER_EPOCH = 47,
    FL_KAFKA_TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53,
    FL_KAFKA_SASL_AUTHENTICATION_FAILED = 58,
    FL_KAFKA_KAFKA_STORAGE_ERROR = 56,
    FL_KAFKA_UNKNOWN_PRODUCER_ID = 59,
    FL_KAFKA_NON_EMPTY_GROUP = 68,
    FL_KAFKA_GROUP_ID_NOT_FOUND = 69,
    FL_KAFKA_UNSUPPORTED_COMPRESSION_TYPE = 76,
    FL_KAFKA_MEMBER_ID_REQUIRED = 79,
    FL_KAFKA_UNKNOWN_TOPIC_ID = 100,
};

#define FL_KAFKA_NODE_ID 1
#define FL_KAFKA_CLUSTER_ID "floe"
#define FL_KAFKA_TOPIC_MAX 249 /* the log's name limit */

struct fl_kafka_groups;    /* groups.c */
struct fl_kafka_producers; /* produce_forward.c: one partition's record batches (framing checked)
                            * produced into the external cluster (cfg.forward); a Kafka code, *base
                            * the first batch's offset there. */
int16_t fl_kafka_forward_part(struct fl_kafka *k, const char *topic, int32_t part, const uint8_t *p,
                              size_t len, int64_t *base);
/* producers.c */
struct fl_log_batch_hdr; /* log/batch.h */

struct fl_kafka {
    struct fl_log *log;
    struct fl_kafka_config cfg;
    atomic_int port; /* advertised */
    pthread_mutex_t lock;
    pthread_cond_t data_cond; /* broadcast after every append */
    uint64_t seq;             /* appends so far */
    struct fl_kafka_groups *groups;
    struct fl_kafka_producers *producers;
    atomic_bool stopping; /* the server stops: waits end at once */
};

/* One request's header. */
struct fl_kafka_req {
    int16_t key, version;
    int32_t corr;
    bool flex; /* the API's flexible versions: compact types and tagged fields */
    struct fl_kafka_str client_id;
    bool no_reply;                 /* set by Produce with acks 0 */
    struct fl_kafka_waits *waits;  /* NULL: Produce waits for durability itself */
    struct fl_kafka_session *sess; /* NULL: a trusted caller */
    int16_t denied; /* nonzero: the key lacks the API's role; every topic or group answers this */
};

/* Reads the request body at rd and writes the response body to w.
 * Returns FL_ERR_CORRUPT (the connection is closed) when the body is
 * malformed (rd->bad); Kafka errors go into the response. */
typedef fl_err_t (*fl_kafka_api_fn)(struct fl_kafka *k, struct fl_kafka_req *rq,
                                    struct fl_kafka_rd *rd, struct fl_kafka_wr *w);

struct fl_kafka_api {
    int16_t key, min, max, flex_from; /* flex_from: first flexible version, -1 none */
    const char *name;
    fl_kafka_api_fn fn;
    int grants; /* what an auth: key needs for it (core/auth.h); 0: any authenticated */
};
extern const struct fl_kafka_api fl_kafka_apis[];

/* Whether connections must authenticate (SASL/PLAIN) first: kafka.users
 * or auth: keys are configured. */
bool fl_kafka_sasl_on(const struct fl_kafka *k);
extern const int fl_kafka_napis;

/* The Kafka code of a log error. */
int16_t fl_kafka_code(fl_err_t rc);

/* The partition count of topic (copied into a NUL-terminated name by
 * the caller); when missing and create is true (and the config allows
 * it) the topic is made with the defaults. Returns a Kafka code:
 * NONE, UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION. */
int16_t fl_kafka_topic_partitions(struct fl_kafka *k, const char *topic, bool create,
                                  int *partitions);

/* fl_kafka_topic_partitions without creation, and each partition's
 * offsets into *info (the caller frees it; NULL on an error code). */
int16_t fl_kafka_topic_info(struct fl_kafka *k, const char *topic, int *partitions,
                            struct fl_log_partition_info **info);

/* The head of one topic of a request whose reply repeats its shape
 * (Produce, ListOffsets, OffsetCommit, OffsetFetch): reads the topic's
 * name into name (FL_KAFKA_TOPIC_MAX + 1 bytes; *named false when it is
 * not a usable name) and its partition count (items of at least
 * min_item bytes), writes both to the reply, and returns the count, or
 * -1 when the request is unreadable. */
int32_t fl_kafka_topic_head(struct fl_kafka_rd *rd, struct fl_kafka_wr *w, bool flex,
                            size_t min_item, char *name, bool *named);

/* A stable topic id derived from its name (Metadata v10+, Fetch v13). */
void fl_kafka_topic_id(const char *topic, uint8_t id[16]);
/* The name of the topic with this id into out (FL_KAFKA_TOPIC_MAX + 1
 * bytes); false when none has it. */
bool fl_kafka_topic_by_id(struct fl_kafka *k, const uint8_t id[16], char *out);

/* The new-data signal: fetches wait on it, appends raise it. */
void fl_kafka_notify(struct fl_kafka *k);
/* Waits until an append after *seq or until deadline_us (monotonic);
 * updates *seq. */
void fl_kafka_wait(struct fl_kafka *k, uint64_t *seq, int64_t deadline_us);
uint64_t fl_kafka_seq(struct fl_kafka *k);

/* groups.c: wakes every request waiting on a group (the server stops). */
void fl_kafka_groups_wake(struct fl_kafka_groups *gs);

/* The API handlers, one file each family. */
fl_err_t fl_kafka_api_versions(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                               struct fl_kafka_wr *w);
fl_err_t fl_kafka_metadata(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                           struct fl_kafka_wr *w);
fl_err_t fl_kafka_produce(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                          struct fl_kafka_wr *w);
fl_err_t fl_kafka_fetch(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                        struct fl_kafka_wr *w);
fl_err_t fl_kafka_list_offsets(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                               struct fl_kafka_wr *w);
/* groups.c */
fl_err_t fl_kafka_groups_new(struct fl_kafka_groups **out, struct fl_error *err);
void fl_kafka_groups_free(struct fl_kafka_groups *gs);
/* Whether member may commit for group at generation gen (a Kafka code;
 * NONE for a commit outside any group: gen < 0, no member). */
int16_t fl_kafka_group_check(struct fl_kafka *k, struct fl_kafka_str group,
                             struct fl_kafka_str member, int32_t gen);
fl_err_t fl_kafka_find_coordinator(struct fl_kafka *k, struct fl_kafka_req *rq,
                                   struct fl_kafka_rd *rd, struct fl_kafka_wr *w);
fl_err_t fl_kafka_join_group(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                             struct fl_kafka_wr *w);
fl_err_t fl_kafka_sync_group(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                             struct fl_kafka_wr *w);
fl_err_t fl_kafka_heartbeat(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                            struct fl_kafka_wr *w);
fl_err_t fl_kafka_leave_group(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                              struct fl_kafka_wr *w);
fl_err_t fl_kafka_describe_groups(struct fl_kafka *k, struct fl_kafka_req *rq,
                                  struct fl_kafka_rd *rd, struct fl_kafka_wr *w);
fl_err_t fl_kafka_list_groups(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                              struct fl_kafka_wr *w);
/* producers.c */
fl_err_t fl_kafka_producers_new(struct fl_kafka_producers **out);
void fl_kafka_producers_free(struct fl_kafka_producers *ps);
/* Whether a batch with header h may be appended to topic's partition
 * part: NONE (append it; also for batches of no producer id),
 * DUPLICATE_SEQUENCE_NUMBER with *dup_offset the base offset the log
 * gave it before, OUT_OF_ORDER_SEQUENCE_NUMBER or INVALID_PRODUCER_EPOCH. */
int16_t fl_kafka_producer_check(struct fl_kafka *k, const char *topic, int32_t part,
                                const struct fl_log_batch_hdr *h, int64_t *dup_offset);
/* Forgets every producer's state on topic's partition part. */
void fl_kafka_producers_forget(struct fl_kafka *k, const char *topic, int32_t part);
/* Records an appended batch's sequences and base offset. */
void fl_kafka_producer_appended(struct fl_kafka *k, const char *topic, int32_t part,
                                const struct fl_log_batch_hdr *h, int64_t base_offset);
fl_err_t fl_kafka_init_producer_id(struct fl_kafka *k, struct fl_kafka_req *rq,
                                   struct fl_kafka_rd *rd, struct fl_kafka_wr *w);
/* sasl.c */
fl_err_t fl_kafka_sasl_handshake(struct fl_kafka *k, struct fl_kafka_req *rq,
                                 struct fl_kafka_rd *rd, struct fl_kafka_wr *w);
fl_err_t fl_kafka_sasl_authenticate(struct fl_kafka *k, struct fl_kafka_req *rq,
                                    struct fl_kafka_rd *rd, struct fl_kafka_wr *w);
/* admin.c */
fl_err_t fl_kafka_create_topics(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                                struct fl_kafka_wr *w);
fl_err_t fl_kafka_delete_topics(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                                struct fl_kafka_wr *w);
fl_err_t fl_kafka_create_partitions(struct fl_kafka *k, struct fl_kafka_req *rq,
                                    struct fl_kafka_rd *rd, struct fl_kafka_wr *w);
fl_err_t fl_kafka_describe_configs(struct fl_kafka *k, struct fl_kafka_req *rq,
                                   struct fl_kafka_rd *rd, struct fl_kafka_wr *w);
/* offsets.c */
fl_err_t fl_kafka_offset_commit(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                                struct fl_kafka_wr *w);
fl_err_t fl_kafka_offset_fetch(struct fl_kafka *k, struct fl_kafka_req *rq, struct fl_kafka_rd *rd,
                               struct fl_kafka_wr *w);

#endif
