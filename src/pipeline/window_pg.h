/*
 * window_pg.h - the optional PostgreSQL sink of a window step (libpq):
 * each commit's window rows go to a PostgreSQL table with
 * INSERT ... ON CONFLICT (group columns, window_start) DO UPDATE, in one
 * transaction, BEFORE the Iceberg commit. The values are absolute (the
 * window's current full aggregates), so writing them twice is harmless:
 * a crash between the two commits is repaired by the replay.
 *
 * The table is created when absent with seed 001's analytics layout:
 * group columns, the value aggregates (DOUBLE PRECISION), window_start,
 * window_end (TIMESTAMP, UTC), the count aggregates (BIGINT),
 * last_updated (TIMESTAMP DEFAULT CURRENT_TIMESTAMP), PRIMARY KEY (group
 * columns, window_start). A lost connection is retried with backoff;
 * when it stays lost the write fails and the pipeline does not advance.
 */
#ifndef FL_PIPELINE_WINDOW_PG_H
#define FL_PIPELINE_WINDOW_PG_H

#include "batch/batch.h"
#include "core/err.h"
#include "pipeline/window.h"

struct fl_pipe_pg;

/* A sink into table (optionally "schema.table") of the server at uri for
 * the window step cfg; out is the result table schema the rows come in
 * (borrowed). Connects lazily, on the first write. */
fl_err_t fl_pipe_pg_new(const char *uri, const char *table, const struct fl_pipe_window_config *cfg,
                        const struct fl_schema *out, struct fl_pipe_pg **pg, struct fl_error *err);
/* Upserts every row of b in one transaction. A lost connection is
 * retried (reconnect, backoff from 100 ms, for up to retry_ms in all);
 * any other failure returns at once with the server's message.
 * @locality the pipeline's thread */
fl_err_t fl_pipe_pg_write(struct fl_pipe_pg *pg, const struct fl_batch *b, int64_t retry_ms,
                          struct fl_error *err);
void fl_pipe_pg_free(struct fl_pipe_pg *pg);

#endif
