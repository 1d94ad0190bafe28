/*
 * debezium.h - reading a Debezium change event (the JSON envelope
 * {before, after, source, op, ts_ms}, bare or wrapped as {schema,
 * payload}) for a pipeline that mirrors a change topic into a table:
 * the op, and the row object to decode (after for c/u/r, before for d,
 * none for t), with the columns PostgreSQL left unchanged (Debezium's
 * "__debezium_unavailable_value" placeholder) taken out and named.
 */
#ifndef FL_PIPELINE_DEBEZIUM_H
#define FL_PIPELINE_DEBEZIUM_H

#include "core/schema.h"

#include <stddef.h>
#include <stdint.h>

/* The value Debezium writes for an unchanged TOASTed column. */
#define FL_DBZ_UNAVAILABLE "__debezium_unavailable_value"

/* One event: op is 'c', 'u', 'r', 'd' or 't'; row (JSON text, NULL for
 * 't'; free with fl_pipe_dbz_fini). unchanged[c] = 1 for each column of
 * schema (ncols bytes, the caller's) that the event leaves unchanged. */
struct fl_pipe_dbz {
    char op;
    char *row;
    size_t row_len;
};

/* 0 on success; else -1 with reason (a bad envelope: not JSON, no op, an
 * unknown op, no row object for the op). */
int fl_pipe_dbz_read(const uint8_t *value, size_t len, const struct fl_schema *schema,
                     uint8_t *unchanged, struct fl_pipe_dbz *out, char *reason, size_t reasonsz);
void fl_pipe_dbz_fini(struct fl_pipe_dbz *ev);

#endif
