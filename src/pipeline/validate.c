/*
 * validate.c - required columns and allowed values (see validate.h). The
 * rules are copied at construction, so a validator outlives the config it
 * came from; checks run on the pipeline's thread without locks.
 */
#include "pipeline/validate.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct allowed {
    char *col;
    char **values;
    int nvalues;
};

struct fl_pipe_validator {
    char **required;
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

/* The value as text for an allowed-values test; NULL for objects/arrays. */
static char *value_text(json_t *jv) {
    if (json_is_string(jv)) return fl_strdup(json_string_value(jv));
    if (json_is_object(jv) || json_is_array(jv)) return NULL;
    char *s = json_dumps(jv, JSON_ENCODE_ANY | JSON_COMPACT);
    char *r = s ? fl_strdup(s) : NULL;
    free(s);
    return r;
}

bool fl_pipe_validator_check(const struct fl_pipe_validator *v, json_t *obj, char *reason,
                             size_t reasonsz) {
    for (int i = 0; i < v->nrequired; i++) {
        json_t *jv = json_object_get(obj, v->required[i]);
        if (!jv || json_is_null(jv)) {
            snprintf(reason, reasonsz, "validate: required column %s is %s", v->required[i],
                     jv ? "null" : "missing");
            return false;
        }
    }
    for (int i = 0; i < v->nallowed; i++) {
        const struct allowed *a = &v->allowed[i];
        json_t *jv = json_object_get(obj, a->col);
        if (!jv || json_is_null(jv)) continue; /* absence is the required rule's business */
        char *t = value_text(jv);
        bool ok = false;
        for (int k = 0; t && k < a->nvalues && !ok; k++) ok = !strcmp(t, a->values[k]);
        if (!ok) {
            snprintf(reason, reasonsz, "validate: %s value \"%.100s\" is not an allowed value", a->col,
                     t ? t : "(object)");
            fl_free(t);
            return false;
        }
        fl_free(t);
    }
    return true;
}

void fl_pipe_validator_free(struct fl_pipe_validator *v) {
    if (!v) return;
    for (int i = 0; i < v->nrequired; i++) fl_free(v->required[i]);
    fl_free(v->required);
    for (int i = 0; i < v->nallowed; i++) {
        for (int k = 0; k < v->allowed[i].nvalues; k++) fl_free(v->allowed[i].values[k]);
        fl_free(v->allowed[i].values);
        fl_free(v->allowed[i].col);
    }
    fl_free(v->allowed);
    fl_free(v);
}
