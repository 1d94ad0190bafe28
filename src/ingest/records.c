/*
 * records.c - POST /topics bodies into records, with jansson. Every
 * record of a body is parsed and checked before the router appends any,
 * so a refused body leaves the log unchanged. NDJSON lines are parsed one
 * at a time (blank lines skipped); jansson itself refuses invalid UTF-8
 * and \u0000.
 */
#include "ingest/records.h"
#include "core/mem.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

fl_err_t fl_ingest_body_kind(const char *content_type, fl_ingest_body_t *kind,
                             struct fl_error *err) {
    static const struct {
        const char *type;
        fl_ingest_body_t kind;
    } types[] = {
        {"application/vnd.kafka.json.v2+json", FL_INGEST_BODY_REST},
        {"application/vnd.kafka.v2+json", FL_INGEST_BODY_REST},
        {"application/json", FL_INGEST_BODY_JSON},
        {"application/x-ndjson", FL_INGEST_BODY_NDJSON},
        {"application/jsonlines", FL_INGEST_BODY_NDJSON},
        {"application/x-jsonlines", FL_INGEST_BODY_NDJSON},
    };
    if (content_type) {
        size_t n = strcspn(content_type, "; \t");
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            if (strlen(types[i].type) == n && strncasecmp(content_type, types[i].type, n) == 0) {
                *kind = types[i].kind;
                return FL_OK;
            }
    }
    return fl_errf(err, FL_ERR_UNSUPPORTED,
                   "Content-Type %s%s%s is not supported: use application/vnd.kafka.json.v2+json, "
                   "application/json or application/x-ndjson",
                   content_type ? "\"" : "", content_type ? content_type : "missing",
                   content_type ? "\"" : "");
}

void fl_ingest_recs_fini(struct fl_ingest_recs *recs) {
    for (int i = 0; i < recs->n; i++) {
        free(recs->v[i].key);
        free(recs->v[i].value);
    }
    fl_free(recs->v);
    recs->v = NULL;
    recs->n = 0;
}

/* Serializes j (not NULL, not JSON null) as compact JSON (malloc'd by jansson). */
static fl_err_t dump(json_t *j, char **out, size_t *len, struct fl_error *err) {
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) return fl_errf(err, FL_ERR_INVALID, "value cannot be serialized");
    *out = s;
    *len = strlen(s);
    return FL_OK;
}

static fl_err_t push(struct fl_ingest_recs *out, int max_records, json_t *key, json_t *value,
                     int partition, struct fl_error *err) {
    if (out->n >= max_records)
        return fl_errf(err, FL_ERR_LIMIT, "more than %d records in one request", max_records);
    if (out->n % 64 == 0) out->v = fl_reallocarray(out->v, (size_t)out->n + 64, sizeof(*out->v));
    struct fl_ingest_rec *r = &out->v[out->n];
    memset(r, 0, sizeof(*r));
    r->partition = partition;
    out->n++;
    if (key && json_is_string(key)) {
        size_t n = json_string_length(key);
        r->key = malloc(n + 1);
        if (!r->key) return fl_errf(err, FL_ERR_NOMEM, "out of memory");
        memcpy(r->key, json_string_value(key), n + 1);
        r->key_len = n;
    } else if (key && !json_is_null(key)) {
        fl_err_t rc = dump(key, &r->key, &r->key_len, err);
        if (rc) return rc;
    }
    if (value && !json_is_null(value)) return dump(value, &r->value, &r->value_len, err);
    return FL_OK;
}

/* One REST proxy record object: {"key":..,"value":..,"partition":..}. */
static fl_err_t push_rest(struct fl_ingest_recs *out, int max_records, json_t *rec, size_t idx,
                          struct fl_error *err) {
    if (!json_is_object(rec))
        return fl_errf(err, FL_ERR_INVALID, "records[%zu] is not an object", idx);
    const char *k;
    json_t *v;
    json_object_foreach(rec, k, v) {
        if (strcmp(k, "key") && strcmp(k, "value") && strcmp(k, "partition"))
            return fl_errf(err, FL_ERR_INVALID, "records[%zu] has an unknown field \"%s\"", idx, k);
    }
    int partition = -1;
    json_t *p = json_object_get(rec, "partition");
    if (p && !json_is_null(p)) {
        if (!json_is_integer(p) || json_integer_value(p) < 0 || json_integer_value(p) > 1000000)
            return fl_errf(err, FL_ERR_INVALID, "records[%zu].partition is not a partition number",
                           idx);
        partition = (int)json_integer_value(p);
    }
    return push(out, max_records, json_object_get(rec, "key"), json_object_get(rec, "value"),
                partition, err);
}

static fl_err_t parse_doc(fl_ingest_body_t kind, json_t *doc, int max_records,
                          struct fl_ingest_recs *out, struct fl_error *err) {
    json_t *records = json_is_object(doc) ? json_object_get(doc, "records") : NULL;
    if (kind == FL_INGEST_BODY_REST || (records && json_is_array(records))) {
        if (!records || !json_is_array(records))
            return fl_errf(err, FL_ERR_INVALID, "body has no \"records\" array");
        const char *k;
        json_t *v;
        json_object_foreach(doc, k, v) {
            if (strcmp(k, "records") && strcmp(k, "key_schema") && strcmp(k, "value_schema") &&
                strcmp(k, "key_schema_id") && strcmp(k, "value_schema_id"))
                return fl_errf(err, FL_ERR_INVALID, "unknown field \"%s\" beside \"records\"", k);
        }
        size_t i;
        json_array_foreach(records, i, v) {
            fl_err_t rc = push_rest(out, max_records, v, i, err);
            if (rc) return rc;
        }
        return FL_OK;
    }
    if (json_is_array(doc)) {
        size_t i;
        json_t *v;
        json_array_foreach(doc, i, v) {
            fl_err_t rc = push(out, max_records, NULL, v, -1, err);
            if (rc) return rc;
        }
        return FL_OK;
    }
    if (json_is_object(doc)) return push(out, max_records, NULL, doc, -1, err);
    return fl_errf(err, FL_ERR_INVALID, "body is neither a JSON object nor an array");
}

fl_err_t fl_ingest_records_parse(fl_ingest_body_t kind, const uint8_t *body, size_t len,
                                 int max_records, struct fl_ingest_recs *out,
                                 struct fl_error *err) {
    json_error_t jerr;
    fl_err_t rc = FL_OK;
    if (kind != FL_INGEST_BODY_NDJSON) {
        json_t *doc = json_loadb((const char *)body, len, 0, &jerr);
        if (!doc)
            return fl_errf(err, FL_ERR_INVALID, "body is not JSON: %s at line %d column %d",
                           jerr.text, jerr.line, jerr.column);
        rc = parse_doc(kind, doc, max_records, out, err);
        json_decref(doc);
    } else {
        size_t i = 0, line = 0;
        while (i < len && rc == FL_OK) {
            const uint8_t *nl = memchr(body + i, '\n', len - i);
            size_t end = nl ? (size_t)(nl - body) : len;
            line++;
            size_t a = i, b = end;
            while (a < b && (body[a] == ' ' || body[a] == '\t' || body[a] == '\r')) a++;
            while (b > a && (body[b - 1] == ' ' || body[b - 1] == '\t' || body[b - 1] == '\r')) b--;
            if (b > a) {
                json_t *doc = json_loadb((const char *)body + a, b - a, 0, &jerr);
                if (!doc)
                    return fl_errf(err, FL_ERR_INVALID, "line %zu is not JSON: %s at column %d",
                                   line, jerr.text, jerr.column);
                rc = push(out, max_records, NULL, doc, -1, err);
                json_decref(doc);
            }
            i = end + 1;
        }
    }
    if (rc == FL_OK && out->n == 0) rc = fl_errf(err, FL_ERR_INVALID, "no records in the body");
    return rc;
}
