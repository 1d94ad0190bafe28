/*
 * backend_kafka.h - the ingest backend over an external Kafka cluster
 * (`log: {kafka: ...}`): appends are produced through librdkafka with
 * idempotence on (acks=all, no duplicates on retry) and return when the
 * cluster has them; uploaded files go to the warehouse store as with
 * floe's own log. Topics are the cluster's: one it lacks is not created
 * (404, as with auto_create_topics off), whatever the request asks.
 *
 * One append at a time: the records of one call are produced to their
 * partition and all delivered before the next call's are sent, so that
 * they get consecutive offsets (the REST proxy's reply names the first)
 * - the HTTP front door's coalescer (coalesce.c) makes concurrent
 * requests one call.
 */
#ifndef FL_INGEST_BACKEND_KAFKA_H
#define FL_INGEST_BACKEND_KAFKA_H

#include "ingest/ingest.h"
#include "store/store.h"

/* Fills be: a producer to bootstrap with the librdkafka properties
 * keys[i] = values[i] (borrowed for the call), and store (borrowed: it
 * must outlive be). Free with fl_ingest_backend_kafka_fini. */
fl_err_t fl_ingest_backend_kafka_init(struct fl_ingest_backend *be, const char *bootstrap,
                                      const char *const *keys, const char *const *values, int n,
                                      struct fl_store *store, struct fl_error *err);
/* Flushes what is in flight (up to 10 s) and frees. */
void fl_ingest_backend_kafka_fini(struct fl_ingest_backend *be);

#endif
