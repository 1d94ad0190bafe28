/*
 * project.h - the projection a file reader keeps: which of a file's flat
 * columns its batches carry (by Iceberg field id, in the caller's order),
 * the schema of just those, and the batch they are decoded into. Shared
 * by the Avro and ORC data file readers.
 */
#ifndef FL_BATCH_PROJECT_H
#define FL_BATCH_PROJECT_H

#include "batch/batch.h"
#include "core/err.h"
#include "core/schema.h"

#include <stddef.h>
#include <stdint.h>

struct fl_batch_proj {
    int *idx;                 /* batch column -> index in the file's schema */
    struct fl_schema *schema; /* the batch's columns */
    struct fl_batch *batch;   /* empty until filled */
};

/* Makes *p the columns of schema with the n given ids, in that order
 * (ids NULL: every column of schema). FL_ERR_NOTFOUND naming what ("orc")
 * and the id when one is not in schema; *p is left as it was on error.
 * *p must be zeroed or set before. */
fl_err_t fl_batch_proj_set(struct fl_batch_proj *p, const struct fl_schema *schema,
                           const int32_t *ids, int n, size_t cap_hint, const char *what,
                           struct fl_error *err);
void fl_batch_proj_fini(struct fl_batch_proj *p);

#endif
