/*
 * pg_source.h - change data capture from PostgreSQL into Iceberg mirror
 * tables (issue 14), the floe way: source -> log -> pipeline.
 *
 * The source reads the publication's changes from a logical replication
 * slot (pgoutput: protocol version 2 with streaming of large in-progress
 * transactions on PostgreSQL 14 and later, else version 1) and appends each change as a
 * Debezium JSON envelope (before, after, source{lsn, txId, ts_ms, db,
 * schema, table, ...}, op c/u/d/r/t, ts_ms) to the topic
 * "<topic_prefix>.<schema>.<table>" (one partition) of floe's log; the
 * records of one source transaction in one topic go to it at its commit (appends of at most 4 MiB),
 * the last carrying the header floe.tx-end (value: the transaction's end LSN). One pipeline per
 * table (decode debezium, tx_aligned) mirrors the topic into the Iceberg table "<schema>.<table>"
 * (or the configured name), created with the primary key as identifier fields.
 *
 * Exactly once: the flush LSN confirmed to PostgreSQL moves only past
 * transactions whose records every table's pipeline has committed to
 * Iceberg (its committed offset maps back to the LSN); after a restart
 * PostgreSQL re-sends from there and a transaction a topic already holds
 * (its end LSN not above the topic's last floe.tx-end) is not appended
 * again. The initial snapshot COPYs each table inside the snapshot the
 * slot exported (op r), so the stream starts where the copy ends; a
 * state topic "__floe_cdc.<slot>" records that the snapshot finished (a
 * crash before that drops the slot and copies again).
 */
#ifndef FL_CDC_PG_SOURCE_H
#define FL_CDC_PG_SOURCE_H

#include "catalog/catalog.h"
#include "core/err.h"
#include "log/log.h"
#include "pipeline/pipeline.h"
#include "store/store.h"

#include <stdint.h>

struct fl_cdc_pg_config {
    const char *name;           /* for logs; default the slot */
    const char *uri;            /* postgresql://... (a replication connection is made from it) */
    const char *slot;           /* default "floe" */
    const char *publication;    /* default "floe" */
    const char *topic_prefix;   /* default "floe" */
    const char *const *tables;  /* "schema.table" (no schema: public) */
    const char *const *targets; /* per table "ns.name" or NULL (= the source's name) */
    int ntables;
    int snapshot;                /* 1 initial (default), 0 never */
    int64_t commit_interval_ms;  /* the mirror pipelines'; default 500 */
    const char *spill_dir;       /* where open transactions spill (pg_txbuf.h); required */
    int64_t stream_buffer_bytes; /* memory for open transactions' changes; default 16 MiB */
    int no_streaming; /* 1: protocol 1 always; 0 (default): 2 with streaming on PG >= 14 */
    /* per table the mirror's partition terms ("day(created)", "bucket(16,
     * id)"; NULL or none: left as the table has it) */
    const char *const *const *partitions;
    const int *npartitions;
    int tombstones; /* a null-value record (same key) after each delete */
    int schema;     /* envelopes as {"schema": ..., "payload": ...} */
};

/* The replication slot as the health check (an ordinary connection,
 * every FL_CDC_SLOT_CHECK_MS) last read it from pg_replication_slots. */
#define FL_CDC_SLOT_CHECK_MS 5000
struct fl_cdc_pg_slot {
    int64_t checked_ms;    /* when (Unix ms), -1 never */
    int exists, active;    /* the slot exists; a walsender streams from it */
    char wal_status[16];   /* reserved, extended, unreserved, lost ("" unknown) */
    int64_t safe_wal_size; /* bytes of WAL before it is lost (max_slot_wal_keep_size), -1 none */
    int64_t lag_bytes;     /* the server's WAL end - the slot's confirmed flush LSN, -1 unknown */
    char invalidation[48]; /* invalidation_reason (PostgreSQL 17), "conflicting" (16), else "" */
    char problem[FL_ERROR_MSG_MAX]; /* a lost, invalidated or missing slot; "" healthy */
};

struct fl_cdc_pg_stats {
    uint64_t confirmed_lsn; /* flush LSN confirmed to PostgreSQL */
    uint64_t received_lsn;  /* the server's WAL end as last reported */
    int64_t last_commit_ms; /* source commit time of the last transaction received, -1 none */
    int64_t lag_ms;         /* age of the oldest change received but not yet in Iceberg, 0 none */
    int64_t txs, changes, snapshot_rows, reconnects;
    int connected;
    char last_error[FL_ERROR_MSG_MAX];
    int64_t schema_changes; /* mirror schema commits following the source's columns */
    struct fl_cdc_pg_slot slot;
};

struct fl_cdc_pg;

/* Checks the tables (they exist, have a primary key, every column's type
 * maps: else an error naming the table and column), creates the
 * publication when missing (or checks that it has every table), creates
 * the mirror tables and topics when missing and the pipelines. No
 * replication yet. */
fl_err_t fl_cdc_pg_new(struct fl_log *log, struct fl_store *st, struct fl_catalog *cat,
                       const struct fl_cdc_pg_config *cfg, struct fl_cdc_pg **out,
                       struct fl_error *err);
/* Starts the pipelines and the replication thread (slot, snapshot,
 * streaming; reconnecting with backoff after any failure). */
fl_err_t fl_cdc_pg_start(struct fl_cdc_pg *src, struct fl_error *err);
/* The mirror pipelines (owned by the source), for status. */
int fl_cdc_pg_pipes(const struct fl_cdc_pg *src, struct fl_pipe *const **pipes);
void fl_cdc_pg_get_stats(struct fl_cdc_pg *src, struct fl_cdc_pg_stats *out);
const char *fl_cdc_pg_name(const struct fl_cdc_pg *src);
/* Stops streaming, then the pipelines (each commits what it has). */
void fl_cdc_pg_free(struct fl_cdc_pg *src);

#endif
