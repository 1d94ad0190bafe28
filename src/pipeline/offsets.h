/*
 * offsets.h - the per-partition offsets a pipeline records in each
 * snapshot summary ("floe.offsets.<topic>" = JSON {"<partition>": next}),
 * read back and merged the way several workers need it (Iceberg's Kafka
 * Connect sink does the same): every commit carries the offsets of every
 * partition ever written, a worker moves only the partitions it read,
 * and only from the offset the table records (a worker that lost a
 * partition and kept reading it, a zombie, is refused).
 */
#ifndef FL_PIPELINE_OFFSETS_H
#define FL_PIPELINE_OFFSETS_H

#include "core/err.h"
#include "iceberg/metadata.h"

#include <stdint.h>

/* "floe.offsets.<topic>" (fl_free it). */
char *fl_pipe_offsets_key(const char *topic);
/* The value the table records for topic: from the latest snapshot of
 * the current lineage that has the key (maintenance snapshots carry it,
 * other writers' may not); NULL when none does. Borrowed from meta. */
const char *fl_pipe_offsets_recorded(const struct fl_ice_meta *meta, const char *topic);
/* partition's next offset in a recorded value (NULL: none), -1 when
 * the value has no entry for it. */
int64_t fl_pipe_offsets_get(const char *recorded, int32_t partition);

/* One partition a commit moves: from base (-1: the table had no entry
 * when the worker began reading it) to next. */
struct fl_pipe_offset_move {
    int32_t partition;
    int64_t base, next;
};
/* The recorded value (NULL: none) with the moves applied, every other
 * partition kept, as compact JSON in *out (free() it). FL_ERR_CONFLICT
 * (nothing in *out) when a partition's recorded offset is not the move's
 * base: another worker committed it since. FL_ERR_CORRUPT when the
 * recorded value is not a JSON object of integers. */
fl_err_t fl_pipe_offsets_merge(const char *recorded, const char *topic,
                               const struct fl_pipe_offset_move *mv, int n, char **out,
                               struct fl_error *err);

#endif
