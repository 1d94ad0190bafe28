/*
 * window.h - the window step of a pipeline: tumbling and hopping windows
 * on event time, count/sum/avg/min/max of a numeric column per group key
 * (one or more columns), a watermark (the largest event time seen minus
 * the allowed lateness) that closes windows, and late records (every
 * window of theirs closed) refused with a reason for the dead-letter topic.
 *
 * The step keeps the open windows in memory and writes, at each commit,
 * the CURRENT full values of every window it touched (Spark's "update"
 * output mode) as rows of the result table, keyed by (window_start, group
 * columns). Next to each output column the table keeps the state needed
 * to merge further records exactly: an avg column X has X_sum (double)
 * and X_count (long) beside it; count, sum, min and max are their own
 * state. So a restart reloads the open windows from the table itself
 * (fl_pipe_window_load) and the watermark from the snapshot summary, and
 * produces the rows it would have produced without the restart.
 *
 * Result table columns: the group columns, window_start, window_end
 * (timestamptz), one per aggregate (count: long, the others: double), the
 * avg state columns, and last_updated (timestamptz, when the row was
 * written). fl_pipe_window_table_schema builds it.
 */
#ifndef FL_PIPELINE_WINDOW_H
#define FL_PIPELINE_WINDOW_H

#include "batch/batch.h"
#include "core/err.h"
#include "core/schema.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FL_PIPE_AGG_COUNT,
    FL_PIPE_AGG_SUM,
    FL_PIPE_AGG_AVG,
    FL_PIPE_AGG_MIN,
    FL_PIPE_AGG_MAX
} fl_pipe_agg_t;

struct fl_pipe_agg {
    fl_pipe_agg_t fn;
    const char *col; /* the input column; NULL or "*" = count(*) (count only) */
    const char *as;  /* the output column */
};

struct fl_pipe_window_config {
    const char *time_col;   /* event time: a timestamp (ISO text, hour stamp or micros) */
    const char *const *key; /* group columns (0 = one group) */
    int nkey;
    int64_t size_ms;     /* window length */
    int64_t slide_ms;    /* hop; 0 or size = tumbling; must divide size */
    int64_t lateness_ms; /* allowed lateness, >= 0 */
    const struct fl_pipe_agg *aggs;
    int naggs;
    const char *pg_uri;   /* optional PostgreSQL sink (window_pg.h) */
    const char *pg_table; /* its table; default: the Iceberg table's name */
};

#define FL_PIPE_WINDOW_MAX_KEYS 16
#define FL_PIPE_WINDOW_MAX_AGGS 32

/* Checks cfg (sizes, names, aggregates); a message names what is wrong. */
fl_err_t fl_pipe_window_config_check(const struct fl_pipe_window_config *cfg, struct fl_error *err);

/* The result table's Iceberg schema as JSON (group columns as strings),
 * for creating it; the caller frees it with fl_free. */
char *fl_pipe_window_table_schema(const struct fl_pipe_window_config *cfg);

struct fl_pipe_window;

/* A window step writing rows of the result table schema out (borrowed,
 * must outlive the step; group column types come from it, and every
 * column the step writes must be there with its type). cfg is copied. */
fl_err_t fl_pipe_window_new(const struct fl_pipe_window_config *cfg, const struct fl_schema *out,
                            struct fl_pipe_window **w, struct fl_error *err);
void fl_pipe_window_free(struct fl_pipe_window *w);

/* The schema records are decoded into before fl_pipe_window_add: the
 * group columns, the time column and the aggregated columns (double). */
const struct fl_schema *fl_pipe_window_input_schema(const struct fl_pipe_window *w);
/* The upsert key of the result table as column indexes of out:
 * window_start first (so the merge scan prunes by time), then the group
 * columns. Returns how many (nkey + 1). */
int fl_pipe_window_result_key(const struct fl_pipe_window *w, int *cols);

/* Adds row `row` of in (the input schema) to each of its windows that is
 * still open, after advancing the watermark. FL_ERR_RANGE when the record
 * is late (every window of it closed) or has no event time; reason then
 * says why ("late: ..."). No allocation unless a new window opens and the
 * table must grow.
 * @locality the pipeline's thread */
fl_err_t fl_pipe_window_add(struct fl_pipe_window *w, const struct fl_batch *in, size_t row,
                            char *reason, size_t reasonsz);
/* Appends to out (the result schema) the current values of every window
 * touched since the last fl_pipe_window_done; last_updated = now_us.
 * Returns how many rows through *rows. */
fl_err_t fl_pipe_window_emit(struct fl_pipe_window *w, struct fl_batch *out, int64_t now_us,
                             size_t *rows, struct fl_error *err);
/* The emitted rows are committed: clears the touched marks and evicts the
 * windows the watermark closed (they can never change again). */
void fl_pipe_window_done(struct fl_pipe_window *w);
/* Forgets every window and the watermark (before a reload). */
void fl_pipe_window_reset(struct fl_pipe_window *w);
/* Restores one window from row `row` of a result-table batch (the state
 * columns); rows of closed windows are ignored. */
fl_err_t fl_pipe_window_restore(struct fl_pipe_window *w, const struct fl_batch *b, size_t row,
                                struct fl_error *err);

/* The largest event time seen (INT64_MIN: none yet) and the watermark. */
int64_t fl_pipe_window_max_event(const struct fl_pipe_window *w);
void fl_pipe_window_set_max_event(struct fl_pipe_window *w, int64_t us);
int64_t fl_pipe_window_watermark(const struct fl_pipe_window *w);
/* Open windows held in memory. */
size_t fl_pipe_window_open_count(const struct fl_pipe_window *w);

/* Snapshot summary key of the largest event time seen (micros, decimal). */
#define FL_PIPE_WINDOW_SUMMARY_MAX_EVENT "floe.window.max-event-time"
#define FL_PIPE_WINDOW_SUMMARY_WATERMARK "floe.window.watermark"

#endif
