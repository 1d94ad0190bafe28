/*
 * upsert.h - MERGE by key for a pipeline step (update when matched,
 * insert when not) the Iceberg v2 merge-on-read way: the step's rows are
 * deduplicated by key (the last one wins: the latest offset), then the
 * table is scanned for the keys (pruned by the first key column's range);
 * an existing row equal to the new one in every column but the derived
 * ones (processed_timestamp, _kafka_*) makes the new row a no-op, any
 * other existing row of the key is deleted by position and the new row
 * appended. The caller commits rows and deletes in one snapshot.
 *
 * Change data (fl_pipe_upsert_ops, from a CDC topic): a row may be a
 * delete (only its key columns matter: the key's rows are deleted and
 * nothing appended), may leave columns unchanged (PostgreSQL's unsent
 * TOASTed values: the value comes from the key's previous row in the
 * step, else from the table's row), and the step may begin with a
 * truncate (every live row of the table deleted; rows before `first`
 * ignored).
 */
#ifndef FL_PIPELINE_UPSERT_H
#define FL_PIPELINE_UPSERT_H

#include "batch/batch.h"
#include "core/err.h"
#include "iceberg/table.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_pipe_upsert_plan {
    struct fl_batch *rows; /* to append (same schema as the input) */
    char **paths;          /* position deletes: data file path ... */
    int64_t *pos;          /* ... and row position, ndel of them */
    size_t ndel, cap;
    int64_t deduped;   /* input rows superseded within the step */
    int64_t unchanged; /* rows equal to what the table holds: dropped */
};

/* Plans the merge of in (rows in arrival order, the table's current
 * schema) into tbl's current snapshot by the columns keycols (indexes
 * into the schema). plan is initialized here; free it with
 * fl_pipe_upsert_plan_fini. */
fl_err_t fl_pipe_upsert_plan(struct fl_ice_table *tbl, const struct fl_batch *in,
                             const int *keycols, int nkey, struct fl_pipe_upsert_plan *plan,
                             struct fl_error *err);
struct fl_pipe_upsert_ops {
    const uint8_t *tomb;      /* per row: 1 = a delete; NULL = none */
    const uint8_t *unchanged; /* per row, ncols bytes: 1 = keep the previous value; NULL = none */
    size_t first;             /* rows before it are ignored (a truncate came after them) */
    bool truncate;            /* delete every live row of the table first */
};
/* fl_pipe_upsert_plan with change data; ops NULL = plain upserts. */
fl_err_t fl_pipe_upsert_plan_ops(struct fl_ice_table *tbl, const struct fl_batch *in,
                                 const int *keycols, int nkey, const struct fl_pipe_upsert_ops *ops,
                                 struct fl_pipe_upsert_plan *plan, struct fl_error *err);
void fl_pipe_upsert_plan_fini(struct fl_pipe_upsert_plan *plan);

/* Encodes the key of row `row` of b (columns keycols) into out, replacing
 * its content: per column a null flag byte, then the value's length
 * (uint32, host order) and bytes. Equal keys give equal bytes. Shared
 * with the window step's group keys (window.c). */
void fl_pipe_key_encode(const struct fl_batch *b, size_t row, const int *keycols, int nkey,
                        struct fl_buf *out);

#endif
