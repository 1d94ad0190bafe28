/*
 * map.h - the map step of a pipeline: rename, cast and derive columns,
 * in the order the user wrote them, between decode and the sink.
 *
 *   rename {from: K, to: C}   column C takes what record field K held
 *   cast {column: C, unit}    C's value is converted to C's type where the
 *                             plain decode would refuse it: numbers and
 *                             booleans to text, "4.0"/4.0 to integers,
 *                             "true"/"1" to booleans, epoch numbers (unit
 *                             s by default, ms, us) to timestamps, ISO
 *                             timestamps to dates
 *   derive {column: C, from}  now (processed time), topic, partition,
 *                             offset (the record's position in the log),
 *                             date(K) (the day of K's timestamp: a date
 *                             column, or "YYYY-MM-DD" text), hour(K)
 *                             (an hour stamp "2026-01-08-14" to a
 *                             timestamp)
 *   derive {column: C, value} a constant, converted once
 *
 * Without steps a column reads the record field of its name; columns
 * named _kafka_topic, _kafka_partition and _kafka_offset are derived from
 * the record's position, and processed_timestamp is the processing time
 * when the record has none (seed 004's bronze columns) - unless a step
 * says otherwise for that column.
 *
 * How it works: the steps are compiled once against the table's schema
 * into one source per column (a record field with its conversion, a
 * position, the clock or a constant); each record is then appended
 * column by column straight into the batch, with no allocation of its
 * own (constants are kept as one-row columns and copied).
 */
#ifndef FL_PIPELINE_MAP_H
#define FL_PIPELINE_MAP_H

#include "batch/batch.h"
#include "core/err.h"
#include "iceberg/schema.h"

#include <jansson.h>
#include <stdint.h>

#define FL_PIPE_MAP_RENAME 0
#define FL_PIPE_MAP_CAST 1
#define FL_PIPE_MAP_DERIVE 2

struct fl_pipe_map_step {
    int kind;           /* FL_PIPE_MAP_* (the values of config.h's FL_CONFIG_MAP_*) */
    const char *column; /* rename: the new name; cast, derive: the column */
    const char *from;   /* rename: the record field; derive: the source; cast: unit or NULL */
    const char *value;  /* derive: a constant */
    const char *where;  /* "FILE:LINE" for messages, or NULL */
};

/* Where the record came from, for derived columns. */
struct fl_pipe_map_pos {
    const char *topic;
    int partition;
    int64_t offset;
    int64_t now_us;
};

struct fl_pipe_map;

/* Compiles steps (copied) against schema. FL_ERR_INVALID naming the
 * step's FILE:LINE when a step names no column of the table, a derived
 * value cannot fit its column's type, or a source is unknown. */
fl_err_t fl_pipe_map_new(const struct fl_schema *schema, const struct fl_pipe_map_step *steps,
                         int n, struct fl_pipe_map **out, struct fl_error *err);
/* Recompiles for another schema (the table evolved); a no-op for the
 * same schema id. */
fl_err_t fl_pipe_map_bind(struct fl_pipe_map *m, const struct fl_schema *schema,
                          struct fl_error *err);
/* The record field column reads (after renames), or NULL when the
 * column is derived or renamed away: validation rules written against
 * table columns look there. */
const char *fl_pipe_map_source(const struct fl_pipe_map *m, const char *column);
/* Appends object o as one row of b (whose schema the map is bound to).
 * On failure nothing is appended, reason says which column and why, and
 * FL_ERR_INVALID (the record's fault) or another code (the batch's) is
 * returned. */
fl_err_t fl_pipe_map_row(const struct fl_pipe_map *m, struct fl_batch *b, json_t *o,
                         const struct fl_pipe_map_pos *pos, char *reason, size_t reasonsz);
void fl_pipe_map_free(struct fl_pipe_map *m);

#endif
