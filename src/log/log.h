/*
 * log.h - floe's embedded durable log: topics of N partitions, each an
 * append-only sequence of segment files holding Kafka record batches (v2,
 * magic 2, CRC-32C), so the Kafka protocol server can later serve fetches
 * from disk as they are.
 *
 * THIS HEADER IS THE CONTRACT between the log (src/log/) and its users
 * (the HTTP ingest in src/ingest/, later pipelines and the Kafka server).
 * Names and semantics here are fixed; the log's authors may add to it.
 *
 * Threading: every function is thread-safe. Appends to one partition are
 * serialized; appends to different partitions run in parallel; with the
 * "sync" durability policy concurrent appends share one fsync (group
 * commit) and each call returns only after its records are on disk.
 */
#ifndef FL_LOG_LOG_H
#define FL_LOG_LOG_H

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_log;

typedef enum {
    FL_LOG_SYNC_ALWAYS = 0, /* acknowledged = fsynced (group commit); the default */
    FL_LOG_SYNC_INTERVAL,   /* fsync every flush_interval_ms; an ack may be lost on power loss */
    FL_LOG_SYNC_NEVER       /* benchmarks only */
} fl_log_sync_t;

/* The most partitions a topic may have: the one limit, for the log and
 * for everything that reads a topic whole (pipelines). Written once, on
 * the core floor, where the config loader checks it too. */
#define FL_LOG_MAX_PARTITIONS FL_CONFIG_PARTITIONS_MAX

struct fl_log_topic_config {
    int partitions;            /* 1..FL_LOG_MAX_PARTITIONS; default 1 */
    fl_log_sync_t sync;        /* default FL_LOG_SYNC_ALWAYS */
    int64_t flush_interval_ms; /* FL_LOG_SYNC_INTERVAL; default 1000 */
    int64_t retention_ms; /* delete whole segments older than this; -1 = forever (default 7 days) */
    int64_t retention_bytes;  /* per partition; -1 = unlimited (default) */
    int64_t segment_bytes;    /* roll a segment past this; default 64 MiB */
    int64_t segment_ms;       /* roll a segment older than this; default 1 hour */
    int64_t max_append_bytes; /* largest batch one append may write; default 8 MiB */
};

/* Fills cfg with the defaults above. */
void fl_log_topic_config_default(struct fl_log_topic_config *cfg);

/* Fault injection at the storage boundary, for tests (opts.faults; NULL
 * in real use). Each counter, while > 0, makes the next operation of its
 * kind fail and is decremented. */
struct fl_log_faults {
    int write_enospc; /* a segment write stores half the batch, then fails with ENOSPC */
    int fsync_eio;    /* an fdatasync of a segment fails with EIO */
    int fsync_enospc; /* (added) an fdatasync of a segment fails with ENOSPC */
};

struct fl_log_opts {
    const char *dir;        /* the log's directory (created if missing) */
    int64_t max_disk_bytes; /* all topics; appends fail with FL_ERR_LIMIT past it; -1 = no cap */
    int64_t min_free_bytes; /* appends fail with FL_ERR_LIMIT when the disk has less free; default
                               64 MiB */
    /* added: */
    int64_t retention_check_ms;   /* background retention period; 0 = default 5 s, < 0 = never (call
                                     fl_log_retention_run) */
    struct fl_log_faults *faults; /* tests only */
    bool read_only; /* for readers beside a running writer (floe topic tail/list/describe):
                       no recovery writes, no lock, no background thread; appends,
                       creates, deletes and commits fail with FL_ERR_INVALID */
};

/* Fills opts with the defaults: dir NULL, no disk cap, 64 MiB free,
 * retention checked every 5 s. (A zeroed struct also works: a
 * max_disk_bytes of 0 means no cap and min_free_bytes 0 no check.) */
void fl_log_opts_default(struct fl_log_opts *opts);

/* Runs retention (by age and size: whole non-active segments) and
 * age-based segment roll on every partition now, as the background
 * thread does every retention_check_ms. *removed (may be NULL) gets the
 * number of segments deleted. */
fl_err_t fl_log_retention_run(struct fl_log *log, int *removed, struct fl_error *err);

/* Kafka's Utils.murmur2 (seed 0x9747b28c) of len bytes, as a signed
 * 32-bit value; fl_log_partition_for_key is (murmur2 & 0x7fffffff) % n. */
int32_t fl_log_murmur2(const uint8_t *data, size_t len);

/* Opens (creating if needed) the log in opts->dir and recovers every
 * partition: scans the tail of each active segment, verifies CRCs,
 * truncates a torn tail, rebuilds indexes that are behind. The caller
 * owns *out (fl_log_close). One process at a time opens a log for
 * writing (an exclusive flock on DIR/.lock): FL_ERR_CONFLICT otherwise.
 * A read-only open sees the records whole at the time of the open. */
fl_err_t fl_log_open(const struct fl_log_opts *opts, struct fl_log **out, struct fl_error *err);
/* Flushes and fsyncs everything, closes files, frees. */
void fl_log_close(struct fl_log *log);

/* Topic names: 1..249 bytes of [a-zA-Z0-9._-], not "." or ".." (Kafka's rule). */
fl_err_t fl_log_topic_create(struct fl_log *log, const char *topic,
                             const struct fl_log_topic_config *cfg, struct fl_error *err);
/* Creates the topic with cfg when missing; FL_OK when it exists (any config). */
fl_err_t fl_log_topic_ensure(struct fl_log *log, const char *topic,
                             const struct fl_log_topic_config *cfg, struct fl_error *err);
fl_err_t fl_log_topic_delete(struct fl_log *log, const char *topic, struct fl_error *err);
/* (Added) Grows topic to count partitions (Kafka's CreatePartitions):
 * the new ones are created empty, then the count is persisted in the
 * topic's config atomically, then they are published to appends and
 * reads at once; appends and reads of the old ones go on meanwhile.
 * *before (may be NULL) gets the count before. With validate_only
 * everything is checked and nothing changed. Errors: FL_ERR_NOTFOUND
 * for an unknown topic, FL_ERR_RANGE when count is not above the
 * current count (partitions are never removed), FL_ERR_LIMIT past
 * FL_LOG_MAX_PARTITIONS, FL_ERR_IO (nothing added) when a file could
 * not be written. */
fl_err_t fl_log_topic_add_partitions(struct fl_log *log, const char *topic, int count,
                                     bool validate_only, int *before, struct fl_error *err);
/* Calls fn for each topic name, sorted; a non-zero return stops. */
fl_err_t fl_log_topic_list(struct fl_log *log, int (*fn)(void *ctx, const char *topic), void *ctx,
                           struct fl_error *err);

struct fl_log_partition_info {
    int64_t start_offset; /* first offset still stored (after retention) */
    int64_t end_offset;   /* next offset to be written (Kafka's log end offset) */
    int64_t bytes;        /* on disk, all segments */
    int segments;
    int64_t in_records; /* appended since the log was opened (for /metrics) */
    int64_t in_bytes;   /* their record batches' bytes */
};

/* Number of partitions (FL_ERR_NOTFOUND for an unknown topic), and the
 * config; info (may be NULL) gets one entry per partition, at most ninfo. */
fl_err_t fl_log_topic_describe(struct fl_log *log, const char *topic, int *partitions,
                               struct fl_log_topic_config *cfg, struct fl_log_partition_info *info,
                               int ninfo, struct fl_error *err);

struct fl_log_header {
    const char *key;
    size_t key_len;
    const uint8_t *value; /* NULL = null value */
    size_t value_len;
};

struct fl_log_record {
    const uint8_t *key; /* NULL = null key */
    size_t key_len;
    const uint8_t *value; /* NULL = null value (a tombstone) */
    size_t value_len;
    int64_t timestamp_ms; /* < 0: the log stamps it with the current time */
    const struct fl_log_header *headers;
    int nheaders;
};

/* Kafka's default partitioner for a keyed record: murmur2 of the key,
 * positive, modulo the partition count (the same partition a Kafka
 * producer would choose). */
int fl_log_partition_for_key(const uint8_t *key, size_t len, int partitions);

/* Appends n records to one partition as one record batch and returns when
 * they are durable under the topic's policy; *base_offset gets the offset
 * of the first (the others follow consecutively). FL_ERR_LIMIT (reply
 * 503) when the log is over its disk limits or the disk is full:
 * nothing is written then. FL_ERR_NOTFOUND for an unknown topic or
 * partition, FL_ERR_INVALID for a batch over max_append_bytes. */
fl_err_t fl_log_append(struct fl_log *log, const char *topic, int partition,
                       const struct fl_log_record *recs, int n, int64_t *base_offset,
                       struct fl_error *err);

/* (Added, for the Kafka server.) What fl_log_append_batch found in a
 * producer's batch header. */
struct fl_log_batch_info {
    int32_t count;
    int codec; /* 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd */
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
};

/* (Added) What an append must still wait for to be durable (sync
 * always): fl_log_append_batch fills it instead of waiting when the
 * caller passes one, and fl_log_wait_durable waits for it. */
struct fl_log_durable {
    int64_t end;    /* offsets below this */
    uint64_t epoch; /* the partition's truncation count when written */
    bool pending;   /* false: nothing to wait for */
};

/* Appends one record batch as a Kafka producer sent it (v2, any codec):
 * checks it whole first (length, magic, CRC-32C, consecutive offset
 * deltas, every record's framing when uncompressed), then stores its
 * bytes as they are but for the base offset, which is patched in place
 * in batch, and returns like fl_log_append once it is durable. info (may
 * be NULL) gets the header's count, codec and producer fields. With
 * later (may be NULL) it returns once the batch is written, before its
 * fsync, and *later says what fl_log_wait_durable must wait for: a
 * connection keeps reading requests while earlier ones become durable.
 * Errors: FL_ERR_CORRUPT for a malformed batch, FL_ERR_RANGE for one
 * over max_append_bytes, FL_ERR_NOTFOUND and FL_ERR_LIMIT as
 * fl_log_append; a refused batch appends nothing. */
fl_err_t fl_log_append_batch(struct fl_log *log, const char *topic, int partition, uint8_t *batch,
                             size_t len, struct fl_log_batch_info *info, int64_t *base_offset,
                             struct fl_log_durable *later, struct fl_error *err);
/* Waits until an append that returned *d is durable (group commit).
 * FL_ERR_LIMIT when the disk filled and its records were cut off,
 * FL_ERR_IO when an fsync failed: the records are not stored. */
fl_err_t fl_log_wait_durable(struct fl_log *log, const char *topic, int partition,
                             const struct fl_log_durable *d, struct fl_error *err);

/* Reads whole record batches starting with the one holding `offset`,
 * up to about max_bytes (at least one batch), appending their raw bytes
 * (Kafka wire/disk format) to out; *next_offset gets the offset after the
 * last record read. FL_ERR_RANGE for an offset below the start or above
 * the end; at the end, nothing is appended and *next_offset = offset. */
fl_err_t fl_log_read(struct fl_log *log, const char *topic, int partition, int64_t offset,
                     size_t max_bytes, struct fl_buf *out, int64_t *next_offset,
                     struct fl_error *err);

/* The first offset whose record timestamp is >= ts_ms (the end offset if none). */
fl_err_t fl_log_offset_for_time(struct fl_log *log, const char *topic, int partition, int64_t ts_ms,
                                int64_t *offset, struct fl_error *err);

/* Walking raw record batches (as fl_log_read returns them). Records are
 * decoded in place: pointers point into the batch bytes. */
struct fl_log_batch_iter {
    const uint8_t *p, *end; /* remaining bytes */
    /* the current batch */
    int64_t base_offset, base_timestamp;
    int32_t nrecords, index;
    const uint8_t *rec, *rec_end;
    /* added: what decoding needs from the current batch's header */
    int64_t max_timestamp;
    int16_t attributes;
    /* added: a compressed batch's records, decompressed (fl_log_batch_iter_fini) */
    struct fl_buf dec;
};
struct fl_log_decoded {
    int64_t offset;
    int64_t timestamp_ms;
    const uint8_t *key; /* NULL = null key */
    size_t key_len;
    const uint8_t *value; /* NULL = null value */
    size_t value_len;
    int nheaders;
    const uint8_t *headers; /* raw, nheaders of them */
    const uint8_t
        *headers_end; /* end of the record (fl_log_header_next in log/batch.h walks them) */
};
void fl_log_batch_iter_init(struct fl_log_batch_iter *it, const uint8_t *data, size_t len);
/* FL_OK with *rec filled, FL_ERR_EOF at the end, FL_ERR_CORRUPT (with a
 * message) for a malformed batch or record; never reads past len.
 * (Added:) compressed batches (gzip, snappy, lz4, zstd) are decompressed
 * into the iterator's buffer, reused for each batch: a record's pointers
 * stay valid until the next batch starts. Call fl_log_batch_iter_fini
 * when done (and before initializing a used iterator again).
 * FL_ERR_UNSUPPORTED for an unknown codec; the next call goes on with
 * the batch after it. */
fl_err_t fl_log_batch_iter_next(struct fl_log_batch_iter *it, struct fl_log_decoded *rec,
                                struct fl_error *err);
/* (Added) Frees what the iterator holds (decompressed records); it may
 * be initialized again after. */
void fl_log_batch_iter_fini(struct fl_log_batch_iter *it);
/* (Added) Whether the iterator decodes batches of this codec (0 none,
 * 1 gzip, 2 snappy, 3 lz4, 4 zstd): the Kafka server stores only what
 * floe's readers can read. */
bool fl_log_codec_readable(int codec);

/* Consumer group offsets, stored durably and read back after a restart. */
fl_err_t fl_log_offset_commit(struct fl_log *log, const char *group, const char *topic,
                              int partition, int64_t offset, struct fl_error *err);
/* FL_ERR_NOTFOUND when the group never committed for that partition. */
fl_err_t fl_log_offset_fetch(struct fl_log *log, const char *group, const char *topic,
                             int partition, int64_t *offset, struct fl_error *err);

#endif
