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
 * named _kafka_topic, _kafka_partition, _kafka_offset and _kafka_timestamp
 * (the log record's timestamp) are derived from the record's position,
 * and processed_timestamp is the processing time
 * when the record has none (seed 004's bronze columns) - unless a step
 * says otherwise for that column.
 *
 * How it works: the steps are compiled once against the table's schema
 * into one source per column (a record field with its conversion, a
 * position, the clock or a constant), and a streaming decoder
 * (batch/json_decode.h) is set up from them: a column reads its record
 * field by the field's key, converted by the step's rule; a field that
 * another column reads too (date(K) of a column's K) is captured by the
 * decoder and converted after the row. Each record is then parsed once,
 * straight into the batch, with no tree and no allocation of its own;
 * the map appends the positions, the clock and the constants (kept as
 * one-row columns and copied) after the decoder's row.
 */
#ifndef FL_PIPELINE_MAP_H
#define FL_PIPELINE_MAP_H

#include "batch/batch.h"
#include "core/err.h"
#include "core/schema.h"

#include <stddef.h>
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
    int64_t timestamp_ms; /* the log record's timestamp, -1 none */
};

struct fl_pipe_map;

/* Compiles steps (copied; none is fine: the defaults above) against schema. FL_ERR_INVALID naming
 * the step's FILE:LINE when a step names no column of the table, a derived value cannot fit its
 * column's type, or a source is unknown. */
fl_err_t fl_pipe_map_new(const struct fl_schema *schema, const struct fl_pipe_map_step *steps,
                         int n, struct fl_pipe_map **out, struct fl_error *err);
/* Recompiles for another schema (the table evolved); a no-op for the
 * same schema id. Decoders made for the old binding must be freed first. */
fl_err_t fl_pipe_map_bind(struct fl_pipe_map *m, const struct fl_schema *schema,
                          struct fl_error *err);
/* A streaming decoder for the bound schema (the same schema object or
 * one of its id) set up to read records through the map; it keeps m
 * (and schema) by reference. The caller frees it with fl_jdec_free. */
struct fl_jdec;
fl_err_t fl_pipe_map_decoder(const struct fl_pipe_map *m, const struct fl_schema *schema,
                             struct fl_jdec **out, struct fl_error *err);
/* Decodes one JSON object (len bytes) through the map into a new row of
 * b (whose schema the map is bound to), with d from fl_pipe_map_decoder.
 * The row is NOT ended: the caller may check it (values at index
 * b->nrows), then fl_batch_end_row or fl_batch_rollback_row. On failure
 * nothing stays appended, err says which field or column and why, and
 * FL_ERR_INVALID (the record's fault) or another code (the batch's) is
 * returned. */
fl_err_t fl_pipe_map_row(const struct fl_pipe_map *m, struct fl_jdec *d, struct fl_batch *b,
                         const void *json, size_t len, const struct fl_pipe_map_pos *pos,
                         struct fl_error *err);
void fl_pipe_map_free(struct fl_pipe_map *m);

#endif
