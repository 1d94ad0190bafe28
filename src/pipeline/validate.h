/*
 * validate.h - the validate step of a pipeline: required (non-null)
 * columns and allowed values (seed 000's status check), applied to a
 * decoded row before it is ended (json_decode.h). A refused record goes
 * to the dead-letter topic with the rule it broke.
 */
#ifndef FL_PIPELINE_VALIDATE_H
#define FL_PIPELINE_VALIDATE_H

#include "batch/batch.h"
#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>

/* col's value must be one of values (compared as text: strings by
 * content, numbers and booleans by their JSON text). */
struct fl_pipe_allowed {
    const char *col;
    const char *const *values;
    int nvalues;
};

struct fl_pipe_rules {
    const char *const *required; /* columns that must be present and non-null */
    int nrequired;
    const struct fl_pipe_allowed *allowed;
    int nallowed;
};

struct fl_pipe_validator;

/* A validator holding its own copy of rules (NULL = no rules). */
struct fl_pipe_validator *fl_pipe_validator_new(const struct fl_pipe_rules *rules);
/* Adds a required column (the upsert key columns are implicitly required). */
void fl_pipe_validator_require(struct fl_pipe_validator *v, const char *col);
/* Resolves the rules' columns in schema (kept by reference); every rule
 * must name a column (FL_ERR_INVALID otherwise). Call again after the
 * table's schema changed. */
fl_err_t fl_pipe_validator_bind(struct fl_pipe_validator *v, const struct fl_schema *schema,
                                struct fl_error *err);
/* true when row `row` of b (b's schema is the bound one; the row may be
 * one not yet ended) passes; otherwise reason names the rule and the
 * column. */
bool fl_pipe_validator_check_row(const struct fl_pipe_validator *v, const struct fl_batch *b,
                                 size_t row, char *reason, size_t reasonsz);
void fl_pipe_validator_free(struct fl_pipe_validator *v);

#endif
