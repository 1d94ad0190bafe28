/*
 * validate.c - required columns and allowed values (see validate.h). The
 * rules are copied at construction, so a validator outlives the config it
 * came from; checks run on the pipeline's thread without locks.
 */
#include "pipeline/validate.h"
#include "batch/batch_json.h"
#include "core/buf.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct allowed {
    char *col;
    char **values;
    int nvalues;
    int idx; /* column index once bound */
};

struct fl_pipe_validator {
    char **required;
    int *required_idx; /* column indexes once bound */
    int nrequired;
    struct allowed *allowed;
    int nallowed;
};

struct fl_pipe_validator *fl_pipe_validator_new(const struct fl_pipe_rules *rules) {
    struct fl_pipe_validator *v = fl_calloc(1, sizeof(*v));
    if (!rules) return v;
    for (int i = 0; i < rules->nrequired; i++) fl_pipe_validator_require(v, rules->required[i]);
    if (rules->nallowed > 0) v->allowed = fl_calloc((size_t)rules->nallowed, sizeof(*v->allowed));
    for (int i = 0; i < rules->nallowed; i++) {
        const struct fl_pipe_allowed *a = &rules->allowed[i];
        struct allowed *d = &v->allowed[v->nallowed++];
        d->col = fl_strdup(a->col);
        d->values = fl_calloc((size_t)a->nvalues + 1, sizeof(char *));
        for (int k = 0; k < a->nvalues; k++) d->values[k] = fl_strdup(a->values[k]);
        d->nvalues = a->nvalues;
    }
    return v;
}

void fl_pipe_validator_require(struct fl_pipe_validator *v, const char *col) {
    for (int i = 0; i < v->nrequired; i++)
        if (!strcmp(v->required[i], col)) return;
    v->required = fl_reallocarray(v->required, (size_t)v->nrequired + 1, sizeof(char *));
    v->required[v->nrequired++] = fl_strdup(col);
}

static int column_of(const struct fl_schema *schema, const char *name) {
    for (int c = 0; c < schema->nfields; c++)
        if (!strcmp(schema->fields[c].name, name)) return c;
    return -1;
}

fl_err_t fl_pipe_validator_bind(struct fl_pipe_validator *v, const struct fl_schema *schema,
                                struct fl_error *err) {
    fl_free(v->required_idx);
    v->required_idx = fl_calloc((size_t)v->nrequired + 1, sizeof(int));
    for (int i = 0; i < v->nrequired; i++)
        if ((v->required_idx[i] = column_of(schema, v->required[i])) < 0)
            return fl_errf(err, FL_ERR_INVALID,
                           "validate: required column %s is not a column of the table",
                           v->required[i]);
    for (int i = 0; i < v->nallowed; i++)
        if ((v->allowed[i].idx = column_of(schema, v->allowed[i].col)) < 0)
            return fl_errf(err, FL_ERR_INVALID,
                           "validate: allowed values for %s, not a column of the table",
                           v->allowed[i].col);
    return FL_OK;
}

bool fl_pipe_validator_check_row(const struct fl_pipe_validator *v, const struct fl_batch *b,
                                 size_t row, char *reason, size_t reasonsz) {
    for (int i = 0; i < v->nrequired; i++)
        if (fl_col_is_null(&b->cols[v->required_idx[i]], row)) {
            snprintf(reason, reasonsz,
                     "validate: required column %s is null (missing or JSON null)", v->required[i]);
            return false;
        }
    for (int i = 0; i < v->nallowed; i++) {
        const struct allowed *a = &v->allowed[i];
        const struct fl_col *col = &b->cols[a->idx];
        if (fl_col_is_null(col, row)) continue; /* absence is the required rule's business */
        /* strings by content, other values by their JSON text */
        struct fl_buf text;
        fl_buf_init(&text, 1 << 16);
        const uint8_t *p;
        size_t n;
        if (col->field->type == FL_TYPE_STRING) {
            p = fl_col_bytes(col, row, &n);
        } else {
            fl_col_value_to_json(col, row, &text);
            p = text.data;
            n = text.len;
            if (n >= 2 && p[0] == '"' && p[n - 1] == '"') { /* dates, uuids...: the text inside */
                p++;
                n -= 2;
            }
        }
        bool ok = false;
        for (int k = 0; k < a->nvalues && !ok; k++)
            ok = strlen(a->values[k]) == n && !memcmp(a->values[k], p, n);
        if (!ok)
            snprintf(reason, reasonsz, "validate: %s value \"%.*s\" is not an allowed value",
                     a->col, (int)(n < 100 ? n : 100), (const char *)p);
        fl_buf_fini(&text);
        if (!ok) return false;
    }
    return true;
}

void fl_pipe_validator_free(struct fl_pipe_validator *v) {
    if (!v) return;
    for (int i = 0; i < v->nrequired; i++) fl_free(v->required[i]);
    fl_free(v->required);
    fl_free(v->required_idx);
    for (int i = 0; i < v->nallowed; i++) {
        for (int k = 0; k < v->allowed[i].nvalues; k++) fl_free(v->allowed[i].values[k]);
        fl_free(v->allowed[i].values);
        fl_free(v->allowed[i].col);
    }
    fl_free(v->allowed);
    fl_free(v);
}
