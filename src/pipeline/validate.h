/*
 * validate.h - the validate step of a pipeline: required (non-null)
 * columns and allowed values (seed 000's status check), applied to a
 * decoded JSON object before it becomes a row. A refused object goes to
 * the dead-letter topic with the rule it broke.
 */
#ifndef FL_PIPELINE_VALIDATE_H
#define FL_PIPELINE_VALIDATE_H

#include <jansson.h>
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
/* true when obj passes; otherwise reason names the rule and the column. */
bool fl_pipe_validator_check(const struct fl_pipe_validator *v, json_t *obj, char *reason,
                             size_t reasonsz);
void fl_pipe_validator_free(struct fl_pipe_validator *v);

#endif
