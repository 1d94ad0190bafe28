/*
 * client.h - a small synchronous Kafka producer (client.c) for floe's own
 * tools: `floe gen --kafka` sends the seeds' events to any Kafka broker,
 * floe's included, over the protocol a Kafka client speaks (Metadata v4
 * with topic auto-creation, Produce v3 with acks=all and record batches
 * v2). One connection, one request at a time.
 */
#ifndef FL_KAFKA_CLIENT_H
#define FL_KAFKA_CLIENT_H

#include "core/err.h"
#include "log/log.h"

struct fl_kafka_client;

/* Connects to "HOST:PORT" (a name or a numeric address). FL_ERR_IO when
 * it cannot; the caller frees *out with fl_kafka_client_free. */
fl_err_t fl_kafka_client_open(const char *hostport, struct fl_kafka_client **out,
                              struct fl_error *err);
void fl_kafka_client_free(struct fl_kafka_client *c);

/* The partition count of topic (asking the broker to create it when
 * missing). FL_ERR_NOTFOUND with the broker's error code otherwise. */
fl_err_t fl_kafka_client_partitions(struct fl_kafka_client *c, const char *topic, int *n,
                                    struct fl_error *err);

/* Sends n records as one batch to the partition, acks=all; *base_offset
 * gets the offset of the first. FL_ERR_IO for a broken connection,
 * FL_ERR_INVALID with the broker's error code for a refusal. */
fl_err_t fl_kafka_client_produce(struct fl_kafka_client *c, const char *topic, int partition,
                                 const struct fl_log_record *recs, int n, int64_t *base_offset,
                                 struct fl_error *err);

#endif
