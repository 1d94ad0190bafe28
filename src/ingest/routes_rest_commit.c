/*
 * routes_rest_commit.c - POST /v1/namespaces/{ns}/tables/{table}: a
 * CommitTableRequest {requirements, updates} applied by the same
 * compare-and-swap as floe's own commits (fl_ice_table_commit_meta), so
 * requirements are re-checked against the newest base on every retry.
 *
 * How it works: before anything is applied, every requirement and update
 * is checked against FIELDS, the types the REST spec gives their members
 * (TableRequirement and TableUpdate in rest-catalog-open-api.yaml), by one
 * checked accessor (member). A member of the wrong type - the string
 * "123" where a snapshot id is an integer - is a 400 naming it, where
 * reading it as a number would have made it 0 (or dropped it). Then
 * iceberg/metadata_update.c checks and applies them on each attempt.
 */
#include "ingest/routes_rest_int.h"
#include "iceberg/json_member.h"

#include <stdlib.h>
#include <string.h>

enum ftype { F_INT, F_INT_OR_NULL, F_STRING, F_OBJECT, F_INT_ARRAY, F_STRING_ARRAY, F_STRING_MAP };

/* The typed members of each requirement type and update action; "in"
 * names a member object they sit in (add-snapshot's snapshot). A member
 * listed here may be absent: metadata_update.c says which are required. */
static const struct field {
    const char *kind; /* requirement "type" or update "action" */
    const char *in;
    const char *key;
    enum ftype type;
} FIELDS[] = {
    {"assert-table-uuid", NULL, "uuid", F_STRING},
    {"assert-ref-snapshot-id", NULL, "ref", F_STRING},
    {"assert-ref-snapshot-id", NULL, "snapshot-id",
     F_INT_OR_NULL}, /* null: the ref must not exist */
    {"assert-last-assigned-field-id", NULL, "last-assigned-field-id", F_INT},
    {"assert-current-schema-id", NULL, "current-schema-id", F_INT},
    {"assert-last-assigned-partition-id", NULL, "last-assigned-partition-id", F_INT},
    {"assert-default-spec-id", NULL, "default-spec-id", F_INT},
    {"assert-default-sort-order-id", NULL, "default-sort-order-id", F_INT},
    {"assign-uuid", NULL, "uuid", F_STRING},
    {"upgrade-format-version", NULL, "format-version", F_INT},
    {"add-schema", NULL, "schema", F_OBJECT},
    {"add-schema", NULL, "last-column-id", F_INT},
    {"set-current-schema", NULL, "schema-id", F_INT},
    {"add-spec", NULL, "spec", F_OBJECT},
    {"set-default-spec", NULL, "spec-id", F_INT},
    {"add-sort-order", NULL, "sort-order", F_OBJECT},
    {"set-default-sort-order", NULL, "sort-order-id", F_INT},
    {"add-snapshot", NULL, "snapshot", F_OBJECT},
    {"add-snapshot", "snapshot", "snapshot-id", F_INT},
    {"add-snapshot", "snapshot", "parent-snapshot-id", F_INT_OR_NULL},
    {"add-snapshot", "snapshot", "sequence-number", F_INT},
    {"add-snapshot", "snapshot", "timestamp-ms", F_INT},
    {"add-snapshot", "snapshot", "manifest-list", F_STRING},
    {"add-snapshot", "snapshot", "schema-id", F_INT},
    {"add-snapshot", "snapshot", "summary", F_OBJECT},
    {"set-snapshot-ref", NULL, "ref-name", F_STRING},
    {"set-snapshot-ref", NULL, "snapshot-id", F_INT},
    {"set-snapshot-ref", NULL, "type", F_STRING},
    {"set-snapshot-ref", NULL, "max-ref-age-ms", F_INT},
    {"set-snapshot-ref", NULL, "max-snapshot-age-ms", F_INT},
    {"set-snapshot-ref", NULL, "min-snapshots-to-keep", F_INT},
    {"remove-snapshots", NULL, "snapshot-ids", F_INT_ARRAY},
    {"remove-snapshot-ref", NULL, "ref-name", F_STRING},
    {"set-location", NULL, "location", F_STRING},
    {"set-properties", NULL, "updates", F_STRING_MAP},
    {"remove-properties", NULL, "removals", F_STRING_ARRAY},
};

static const char *const TYPE_NAMES[] = {
    /* F_INT, F_INT_OR_NULL: fl_ice_json_i64 words them */
    [F_STRING] = "a string",
    [F_OBJECT] = "an object",
    [F_INT_ARRAY] = "an array of integers",
    [F_STRING_ARRAY] = "an array of strings",
    [F_STRING_MAP] = "an object of strings",
};

static bool all_of(json_t *v, int (*is)(const json_t *)) {
    size_t i;
    json_t *x;
    const char *k;
    if (json_is_array(v)) {
        json_array_foreach(v, i, x) if (!is(x)) return false;
    } else {
        json_object_foreach(v, k, x) if (!is(x)) return false;
    }
    return true;
}

static int is_integer(const json_t *v) { return json_is_integer(v); }
static int is_string(const json_t *v) { return json_is_string(v); }

static bool typed(json_t *v, enum ftype t) {
    switch (t) {
    case F_INT:
    case F_INT_OR_NULL:
        return false; /* member_ok reads these with fl_ice_json_i64 */
    case F_STRING:
        return json_is_string(v);
    case F_OBJECT:
        return json_is_object(v);
    case F_INT_ARRAY:
        return json_is_array(v) && all_of(v, is_integer);
    case F_STRING_ARRAY:
        return json_is_array(v) && all_of(v, is_string);
    case F_STRING_MAP:
        return json_is_object(v) && all_of(v, is_string);
    }
    return false;
}

/* The checked accessor: true when o[key] is absent or of type t; else
 * the reply is a 400 naming kind, key and the type. Integers are read by
 * iceberg's fl_ice_json_i64, the accessor metadata_update.c reads them
 * with, so both refuse the same members with the same words. */
static bool member_ok(struct rest_call *c, json_t *o, const char *kind, const char *key,
                      enum ftype t) {
    if (t == F_INT || t == F_INT_OR_NULL) {
        struct fl_error err = {0};
        int64_t i;
        if (!fl_ice_json_i64(o, kind, key, t == F_INT ? FL_ICE_JSON_OPTIONAL : FL_ICE_JSON_NULLABLE,
                             0, &i, &err))
            return true;
        fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST, "%s", err.msg);
        return false;
    }
    json_t *v = json_object_get(o, key);
    if (!v || typed(v, t)) return true;
    fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST, "%.60s: \"%.60s\" must be %s", kind,
                         key, TYPE_NAMES[t]);
    return false;
}

/* Checks each element of arr (requirements: tag "type", updates:
 * "action") against FIELDS; 0, or -1 with the 400 written. */
static int check_all(struct rest_call *c, json_t *arr, const char *tag) {
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        const char *kind = json_string_value(json_object_get(o, tag));
        if (!json_is_object(o) || !kind) {
            fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST,
                                 "each of %s must be an object with a string \"%s\"",
                                 !strcmp(tag, "type") ? "requirements" : "updates", tag);
            return -1;
        }
        for (size_t f = 0; f < sizeof(FIELDS) / sizeof(FIELDS[0]); f++) {
            if (strcmp(FIELDS[f].kind, kind)) continue;
            json_t *in = FIELDS[f].in ? json_object_get(o, FIELDS[f].in) : o;
            if (!member_ok(c, in, kind, FIELDS[f].key, FIELDS[f].type)) return -1;
        }
    }
    return 0;
}

struct commit_ctx {
    json_t *requirements, *updates;
};

static fl_err_t apply_commit(void *ctx, struct fl_ice_meta *next, int attempt,
                             struct fl_error *err) {
    (void)attempt;
    struct commit_ctx *cc = ctx;
    fl_err_t rc = FL_OK;
    for (size_t i = 0; i < json_array_size(cc->requirements) && !rc; i++) {
        char *s = json_dumps(json_array_get(cc->requirements, i), JSON_COMPACT);
        rc = s ? fl_ice_meta_check_requirement(next, s, strlen(s), err) : FL_ERR_NOMEM;
        free(s);
    }
    for (size_t i = 0; i < json_array_size(cc->updates) && !rc; i++) {
        char *s = json_dumps(json_array_get(cc->updates, i), JSON_COMPACT);
        rc = s ? fl_ice_meta_apply_update(next, s, strlen(s), err) : FL_ERR_NOMEM;
        free(s);
    }
    return rc;
}

void fl_rest_table_commit(struct rest_call *c) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    struct commit_ctx cc = {json_object_get(c->body, "requirements"),
                            json_object_get(c->body, "updates")};
    fl_err_t rc =
        fl_ice_table_load(c->rest->store, fl_catalog_ice(c->rest->cat), c->ns, c->name, &tbl, &err);
    if (!rc &&
        (!json_is_array(cc.updates) || (cc.requirements && !json_is_array(cc.requirements)))) {
        fl_ingest_resp_error(c->resp, FL_INGEST_E_ICE_BAD_REQUEST,
                             "CommitTableRequest needs requirements and updates arrays");
        goto out;
    }
    if (!rc && (check_all(c, cc.requirements, "type") || check_all(c, cc.updates, "action")))
        goto out;
    if (!rc) rc = fl_ice_table_commit_meta(tbl, apply_commit, &cc, &err);
    if (rc) {
        fl_rest_fail(c, rc, &err, FL_INGEST_E_ICE_NO_TABLE);
        goto out;
    }
    json_t *o = fl_rest_load_result(tbl);
    json_object_del(o, "config");
    fl_ingest_resp_json(c->resp, 200, o);
out:
    fl_ice_table_free(tbl);
}
