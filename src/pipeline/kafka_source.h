/*
 * kafka_source.h - a pipeline's records from an external Kafka cluster,
 * through librdkafka: one consumer in a consumer group, whose
 * partitions the group divides between the workers (floe processes)
 * that run the same pipeline.
 *
 * The table, not the group, holds the truth of what was consumed
 * (pipeline.h): on assignment the source asks its owner where each
 * partition starts (the offset the table records, or none: the group's
 * committed offset, else the earliest) and seeks there; offsets are
 * never auto-committed; after each Iceberg commit the pipeline calls
 * fl_ksrc_committed, which commits the same offsets to Kafka
 * (asynchronously, for Kafka's tools to show the lag). On revocation the
 * partitions' in-flight records are dropped (fl_ksrc_take_revoked tells
 * the step, which drops its batch and rewinds) and the next owner reads
 * them again from the table's offsets.
 *
 * Messages come in batches (rd_kafka_consume_batch_queue), compressed
 * batches decoded by librdkafka, each handed to a callback as the same
 * struct fl_log_decoded that floe's own log gives; no copy is kept.
 */
#ifndef FL_PIPELINE_KAFKA_SOURCE_H
#define FL_PIPELINE_KAFKA_SOURCE_H

#include "core/err.h"
#include "log/log.h"

#include <stdbool.h>
#include <stdint.h>

struct fl_pipe_kafka_config {
    const char *bootstrap;     /* bootstrap.servers */
    const char *group;         /* group.id */
    const char *const *topics; /* names, or one "^regex" */
    int ntopics;
    const char *const *prop_keys, *const *prop_values; /* librdkafka properties */
    int nprops;
};

/* A partition the source has been assigned (now or before). */
struct fl_ksrc_part {
    char *topic;
    int32_t partition;
    int64_t base; /* the table's next offset when the step began; -1 none recorded */
    int64_t next; /* the next offset to read; -1 not known yet (the group's or earliest) */
    /* the first offset fetched since the last commit (read, or dropped
     * after an error): where a rewind goes back to when the table
     * records nothing; -1 none */
    int64_t first;
    bool assigned;
};

/* Where a partition starts on assignment or after a failed step: the
 * next offset the table records for it, or -1 when it records none. */
typedef int64_t (*fl_ksrc_start_fn)(void *ctx, const char *topic, int32_t partition);
/* One record of part (part->first and ->next are moved by the source
 * after the callback returns FL_OK). */
typedef fl_err_t (*fl_ksrc_record_fn)(void *ctx, const struct fl_ksrc_part *part,
                                      const struct fl_log_decoded *rec, struct fl_error *err);

struct fl_ksrc;

/* Creates the consumer and subscribes; name is for logs. start is called
 * from the rebalance callback, which runs inside fl_ksrc_poll on the
 * caller's thread. */
fl_err_t fl_ksrc_new(const struct fl_pipe_kafka_config *cfg, const char *name,
                     fl_ksrc_start_fn start, void *start_ctx, struct fl_ksrc **out,
                     struct fl_error *err);
/* Up to max records, waiting at most timeout_ms for the first batch,
 * each to fn; *n gets how many. Transient cluster errors (a broker down)
 * are logged and the poll returns what it has; a fatal consumer error,
 * an unknown topic or an authentication failure is returned. */
fl_err_t fl_ksrc_poll(struct fl_ksrc *k, int64_t max, int timeout_ms, fl_ksrc_record_fn fn,
                      void *ctx, int64_t *n, struct fl_error *err);
/* The partitions known (assigned now or before); borrowed, valid until
 * the next call into the source. */
int fl_ksrc_parts(struct fl_ksrc *k, struct fl_ksrc_part **parts);
/* Whether partitions with in-flight records were revoked since the last
 * call (the flag clears). */
bool fl_ksrc_take_revoked(struct fl_ksrc *k);
/* After the step's Iceberg commit: every partition read becomes based
 * at its next offset, which is committed to the group (async). */
void fl_ksrc_committed(struct fl_ksrc *k);
/* After a failed or dropped step: every partition the step read goes
 * back to where start says (the table's offset; the step's first offset
 * when the table records none) and is sought there. */
fl_err_t fl_ksrc_rewind(struct fl_ksrc *k, struct fl_error *err);
/* The sum over assigned partitions of next and of the high watermarks
 * (cached by librdkafka from fetches, no request) for floe status. */
void fl_ksrc_lag(struct fl_ksrc *k, int64_t *consumed, int64_t *lag);
/* This worker's assigned partitions as text, "topic/0,1,2 other/0"
 * (cut to outsz - 1 bytes). */
void fl_ksrc_assigned_text(struct fl_ksrc *k, char *out, size_t outsz);
/* Leaves the group (consumer close) and frees. */
void fl_ksrc_free(struct fl_ksrc *k);

#endif
