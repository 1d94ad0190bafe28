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
 * position and reason. Later slices add map/validate steps, upserts and
 * windows.
 */
#ifndef FL_PIPELINE_PIPELINE_H
#define FL_PIPELINE_PIPELINE_H

#include "catalog/catalog.h"
#include "core/err.h"
#include "log/log.h"
#include "store/store.h"

#include <stdint.h>

struct fl_pipe_config {
    const char *name;           /* for logs */
    const char *topic;          /* source */
    const char *ns, *table;     /* sink: an existing Iceberg table */
    const char *dlq_topic;      /* NULL = "<topic>.dlq" */
    int64_t commit_interval_ms; /* default 1000 */
    int64_t max_batch_records;  /* commit early past this; default 1,000,000 */
};

struct fl_pipe_stats {
    int64_t records_in, records_out, records_dlq, commits;
};

struct fl_pipe;

/* The caller keeps log, store and catalog alive for the pipeline's life.
 * Reads the table's last snapshot for the offsets to resume from. */
fl_err_t fl_pipe_new(struct fl_log *log, struct fl_store *st, struct fl_catalog *cat,
                     const struct fl_pipe_config *cfg, struct fl_pipe **out, struct fl_error *err);
/* Reads what the topic has past the committed offsets (up to
 * max_batch_records), writes it to the table in one commit with the new
 * offsets, and returns; *records gets the number consumed (0: nothing new,
 * no snapshot). */
fl_err_t fl_pipe_step(struct fl_pipe *p, int64_t *records, struct fl_error *err);
/* Runs steps every commit_interval_ms on a thread of its own until stop. */
fl_err_t fl_pipe_start(struct fl_pipe *p, struct fl_error *err);
/* Stops the thread after a last step (graceful: flush and commit). */
void fl_pipe_stop(struct fl_pipe *p);
void fl_pipe_get_stats(const struct fl_pipe *p, struct fl_pipe_stats *out);
void fl_pipe_free(struct fl_pipe *p);

#endif
