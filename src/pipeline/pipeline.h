/*
 * pipeline.h - pipelines from a log topic into an Iceberg table, exactly
 * once: each commit's snapshot records, in its summary, the log offsets
 * it covers (key "floe.offsets.<topic>", JSON {"<partition>": next}),
 * so data and offsets move together and a restarted pipeline resumes
 * from the table's own record: nothing lost, nothing applied twice.
 *
 * This first slice decodes JSON records by column name into the table's
 * schema (Iceberg JSON value forms; "YYYY-MM-DD-HH" hours too, as the
 * seed's weather events carry), derives the _kafka_* columns and
 * processed_timestamp when the table has them, and sends records that do
 * not fit to the dead-letter topic "<topic>.dlq" with their source
 * position and reason.
 *
 * Options: decode "debezium" (change events from a CDC source: upserts,
 * deletes and truncates, with tx_aligned so that a source transaction
 * is never split across snapshots); decode "pointer" (pointer.h: the value names a raw JSON file
 * in the warehouse, fetched and decoded into one row per object);
 * validate rules (validate.h: required columns, allowed values); and
 * upsert by key (upsert.h: key columns, by default the table's
 * identifier fields; without either the pipeline appends). An upsert
 * step commits its appended rows, its position deletes and its offsets
 * in ONE snapshot. A step that changes nothing (every record a no-op,
 * deduplicated or dead-lettered) makes NO snapshot: its offsets are kept
 * in memory only and go out with the next commit that changes something.
 * After a restart those records are read again, which is safe because
 * upserting the same values is idempotent (they are no-ops again, or,
 * when a later record of the same key did change the table, that one is
 * replayed after them in offset order); only the dead-letter topic may
 * see its records again (at-least-once there, as after any crash).
 *
 * With a window step (window.h) the records feed event-time windows and
 * each commit upserts the touched windows' current values, with the
 * offsets and the watermark (summary "floe.window.max-event-time") in the
 * same snapshot; an optional PostgreSQL sink (window_pg.h) is written
 * before that commit. A restart, or a failed step, reloads the open
 * windows from the table and resumes from its offsets.
 *
 * With a Kafka source (kafka_source.h) several workers (floe processes
 * with the same config) share one table: each consumes the partitions
 * its consumer group gives it, seeks them to the offsets the table
 * records, and commits with a check made on every compare-and-swap
 * attempt against the fresh table: each partition it read must still be
 * recorded at the offset it read from (else another worker took it: the
 * commit is refused, the batch dropped, the partitions sought back), and
 * the summary carries every other partition's offset as recorded. Its
 * dead letters go to floe's own log, topic "<name>.dlq".
 */
#ifndef FL_PIPELINE_PIPELINE_H
#define FL_PIPELINE_PIPELINE_H

#include "catalog/catalog.h"
#include "core/err.h"
#include "log/log.h"
#include "pipeline/kafka_source.h"
#include "pipeline/map.h"
#include "pipeline/validate.h"
#include "pipeline/window.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdint.h>

struct fl_pipe_config {
    const char *name;  /* for logs */
    const char *topic; /* source: a topic of floe's log (NULL with kafka) */
    /* or an external Kafka cluster (kafka_source.h): the partitions are
     * divided between the workers of the group, each commit moves only
     * the partitions this worker read (offsets.h); no window step */
    const struct fl_pipe_kafka_config *kafka;
    const char *ns, *table;     /* sink: an existing Iceberg table */
    const char *dlq_topic;      /* NULL = "<topic>.dlq" */
    int64_t commit_interval_ms; /* default 1000 */
    int64_t max_batch_records;  /* commit early past this; default 1,000,000 */
    int decode;                 /* FL_PIPE_DECODE_JSON (default) or FL_PIPE_DECODE_POINTER */
    const struct fl_pipe_map_step *map; /* map steps (map.h), in order; rules and key name */
    int nmap;                           /* table columns, looked up through the renames */
    size_t pointer_max_bytes;           /* cap on a pointed-to file; 0 = 16 MiB */
    const char *const *key; /* upsert key columns; none: the table's identifier fields */
    int nkey;
    struct fl_pipe_rules rules; /* validate step; zeroed = none */
    /* window step (window.h): the table receives the windows' aggregates,
     * upserted by (window_start, group columns), created when absent;
     * NULL = rows go to the table as they are */
    const struct fl_pipe_window_config *window;
    /* commit only whole transactions: a step ends at the last record
     * carrying the header FL_PIPE_TX_HEADER (a one-partition topic);
     * records after it wait for the next step */
    bool tx_aligned;
};

/* The header a change source puts on the last record of a transaction
 * in a topic (value: the source's position, e.g. a PostgreSQL LSN). */
#define FL_PIPE_TX_HEADER "floe.tx-end"

#define FL_PIPE_DECODE_JSON 0
#define FL_PIPE_DECODE_POINTER 1
/* Debezium change events (debezium.h): c/u/r upsert the after row, d
 * deletes the before row's key, t truncates; needs an upsert key */
#define FL_PIPE_DECODE_DEBEZIUM 2

/* The freshness histogram's upper bounds in ms (ascending). */
#define FL_PIPE_FRESH_NB 14
extern const int64_t FL_PIPE_FRESH_BOUNDS_MS[FL_PIPE_FRESH_NB];

struct fl_pipe_stats {
    int64_t records_in, records_out, records_dlq, commits;
    int64_t rows_unchanged;  /* upsert: rows equal to the table's, dropped */
    int64_t rows_deleted;    /* upsert: old rows replaced (position deletes) */
    int64_t steps_no_change; /* steps that consumed records but made no snapshot */
    int64_t records_late;    /* window: late records (dead-lettered, also in records_dlq) */
    int64_t windows_open;    /* window: open windows held in memory */
    /* for floe status: as of the last step */
    int64_t consumed;       /* sum over partitions of the next offset to consume */
    int64_t lag;            /* log end offsets minus consumed (filled by fl_pipe_get_stats) */
    int64_t last_commit_ms; /* the table's current snapshot's time, -1 none */
    int64_t snapshots;      /* the table's snapshots */
    int64_t data_files;     /* its current snapshot's total-data-files */
    /* commit latency (the snapshot commit of a step, retries included) */
    int64_t commit_us_total, commit_us_max;
    int64_t commit_ms_p50, commit_ms_p99; /* 1 ms buckets, FL_PIPE_COMMIT_HIST_MS at most */
    int64_t commit_conflicts; /* retries after another writer (maintenance) committed first */
    int64_t data_bytes;       /* its current snapshot's total-files-size */
    /* freshness: at each commit, the commit's end minus the newest
     * committed record's timestamp (its arrival for HTTP ingest and
     * LogAppendTime; the producer's clock for Kafka CreateTime), in ms;
     * fresh_hist[i] counts those <= FL_PIPE_FRESH_BOUNDS_MS[i], the last
     * bucket every longer one */
    int64_t fresh_count, fresh_ms_total;
    int64_t fresh_hist[FL_PIPE_FRESH_NB + 1];
    const char *name, *topic, *ns, *table; /* the pipeline's, valid while it lives */
    char error[256];                       /* the last step's error, "" when it succeeded */
    char partitions[512]; /* Kafka source: this worker's, "topic/0,1,2 ..."; "" none */
};

#define FL_PIPE_COMMIT_HIST_MS 2000 /* latencies past it count in its last bucket */

struct fl_pipe;

/* The caller keeps log, store and catalog alive for the pipeline's life.
 * Reads the table's last snapshot for the offsets to resume from. */
fl_err_t fl_pipe_new(struct fl_log *log, struct fl_store *st, struct fl_catalog *cat,
                     const struct fl_pipe_config *cfg, struct fl_pipe **out, struct fl_error *err);
/* Reads what the topic has past the consumed offsets (up to
 * max_batch_records), writes it to the table in one commit with the new
 * offsets, and returns; *records gets the number consumed (0: nothing new,
 * no snapshot; an upsert step that changed nothing makes no snapshot
 * either). */
fl_err_t fl_pipe_step(struct fl_pipe *p, int64_t *records, struct fl_error *err);
/* Runs steps every commit_interval_ms on a thread of its own until stop. */
fl_err_t fl_pipe_start(struct fl_pipe *p, struct fl_error *err);
/* Stops the thread after a last step (graceful: flush and commit). */
void fl_pipe_stop(struct fl_pipe *p);
/* Counters, the table's state and the lag (reads the log's end offsets);
 * any thread. */
void fl_pipe_get_stats(const struct fl_pipe *p, struct fl_pipe_stats *out);
/* The commit latency histogram since start: counts[i] = commits that took
 * i ms (the last bucket, FL_PIPE_COMMIT_HIST_MS, holds every longer one).
 * Copies min(n, FL_PIPE_COMMIT_HIST_MS + 1) buckets and returns how many. */
int fl_pipe_commit_hist(const struct fl_pipe *p, int64_t *counts, int n);
/* Another writer changed the table's schema (a CDC source following its
 * source's columns): the next step reloads the table first and decodes
 * with the new schema. Pending until that step has opened. Any thread. */
void fl_pipe_reload_table(struct fl_pipe *p);
bool fl_pipe_reload_pending(struct fl_pipe *p);
void fl_pipe_free(struct fl_pipe *p);

#endif
