/*
 * partition.c - partition specs: JSON, binding to a schema, user terms,
 * and per-row partition values and paths.
 */
#include "iceberg/partition.h"
#include "core/mem.h"
#include "iceberg/json_member.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fl_ice_spec_free(struct fl_ice_spec *spec) {
    if (!spec) return;
    for (int i = 0; i < spec->nfields; i++) fl_free(spec->fields[i].name);
    fl_free(spec->fields);
    fl_free(spec);
}

int32_t fl_ice_spec_last_field_id(const struct fl_ice_spec *spec) {
    int32_t m = FL_ICE_PARTITION_FIELD_ID_START - 1;
    for (int i = 0; i < spec->nfields; i++)
        if (spec->fields[i].field_id > m) m = spec->fields[i].field_id;
    return m;
}

static fl_err_t check_names(const struct fl_ice_spec *spec, struct fl_error *err) {
    for (int i = 0; i < spec->nfields; i++)
        for (int k = 0; k < i; k++) {
            if (strcmp(spec->fields[i].name, spec->fields[k].name) == 0)
                return fl_errf(err, FL_ERR_INVALID, "partition field name \"%s\" is used twice",
                               spec->fields[i].name);
            if (spec->fields[i].field_id == spec->fields[k].field_id)
                return fl_errf(err, FL_ERR_INVALID, "partition field id %d is used twice",
                               spec->fields[i].field_id);
        }
    return FL_OK;
}

fl_err_t fl_ice_spec_parse(const char *json, size_t len, struct fl_ice_spec **out,
                           struct fl_error *err) {
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root)
        return fl_errf(err, FL_ERR_INVALID, "partition spec JSON line %d: %s", je.line, je.text);
    struct fl_ice_spec *spec = fl_calloc(1, sizeof(*spec));
    fl_err_t rc = FL_OK;
    json_t *jf = json_is_array(root) ? root : json_object_get(root, "fields");
    if (json_is_object(root)) {
        int64_t id = 0;
        rc = fl_ice_json_i64(root, "partition spec", "spec-id", FL_ICE_JSON_OPTIONAL, 0, &id, err);
        if (rc) goto out;
        spec->spec_id = (int32_t)id;
    }
    if (!json_is_array(jf)) {
        rc = fl_errf(err, FL_ERR_INVALID, "partition spec: \"fields\" must be an array");
        goto out;
    }
    size_t n = json_array_size(jf);
    spec->fields = fl_calloc(n ? n : 1, sizeof(*spec->fields));
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(jf, i);
        json_t *src = json_object_get(f, "source-id");
        if (!src) { /* v3 multi-argument form with one argument */
            json_t *ids = json_object_get(f, "source-ids");
            if (json_array_size(ids) == 1) src = json_array_get(ids, 0);
        }
        const char *name = json_string_value(json_object_get(f, "name"));
        const char *xf = json_string_value(json_object_get(f, "transform"));
        if (!json_is_integer(src) || !name || !*name || !xf) {
            rc = fl_errf(err, FL_ERR_INVALID,
                         "partition field %zu needs source-id, name and transform", i);
            goto out;
        }
        /* v1 specs may omit field ids: Java assigns 1000, 1001, ... */
        int64_t fid = 0;
        rc = fl_ice_json_i64(f, "partition field", "field-id", FL_ICE_JSON_OPTIONAL,
                             FL_ICE_PARTITION_FIELD_ID_START + (int64_t)i, &fid, err);
        if (rc) goto out;
        struct fl_ice_part_field *pf = &spec->fields[i];
        pf->source_id = (int32_t)json_integer_value(src);
        pf->field_id = (int32_t)fid;
        pf->name = fl_strdup(name);
        spec->nfields = (int)i + 1;
        if (fl_ice_transform_parse(xf, &pf->transform)) {
            rc = fl_errf(err, FL_ERR_UNSUPPORTED,
                         "partition field \"%s\": unknown transform \"%s\"", name, xf);
            goto out;
        }
    }
    rc = check_names(spec, err);
out:
    json_decref(root);
    if (rc) {
        fl_ice_spec_free(spec);
        return rc;
    }
    *out = spec;
    return FL_OK;
}

fl_err_t fl_ice_spec_bind(const struct fl_ice_spec *spec, const struct fl_schema *schema,
                          struct fl_error *err) {
    for (int i = 0; i < spec->nfields; i++) {
        const struct fl_ice_part_field *pf = &spec->fields[i];
        int idx = fl_schema_index_by_id(schema, pf->source_id);
        if (idx < 0)
            return fl_errf(err, FL_ERR_INVALID,
                           "partition field \"%s\": source column id %d is not a top-level column",
                           pf->name, pf->source_id);
        fl_err_t rc = fl_ice_transform_check(&pf->transform, &schema->fields[idx], err);
        if (rc) return rc;
    }
    return FL_OK;
}

static const char *default_suffix(fl_ice_xf_kind_t kind) {
    switch (kind) {
    case FL_ICE_XF_BUCKET:
        return "_bucket";
    case FL_ICE_XF_TRUNCATE:
        return "_trunc";
    case FL_ICE_XF_YEAR:
        return "_year";
    case FL_ICE_XF_MONTH:
        return "_month";
    case FL_ICE_XF_DAY:
        return "_day";
    case FL_ICE_XF_HOUR:
        return "_hour";
    case FL_ICE_XF_VOID:
        return "_null";
    default:
        return "";
    }
}

/* Parses one term: "col", "day(col)", "bucket(16, col)", "truncate(4,col)";
 * also the spec's spellings "years/months/days/hours". */
fl_err_t fl_ice_term_parse(const char *term, char *xf, size_t xfsz, char *col, size_t colsz) {
    const char *open = strchr(term, '(');
    if (!open) {
        snprintf(xf, xfsz, "identity");
        snprintf(col, colsz, "%s", term);
    } else {
        const char *close = strrchr(term, ')');
        if (!close || close < open || close[1]) return FL_ERR_INVALID;
        char fn[32], args[256];
        size_t fl = (size_t)(open - term), al = (size_t)(close - open - 1);
        if (fl == 0 || fl >= sizeof(fn) || al >= sizeof(args)) return FL_ERR_INVALID;
        memcpy(fn, term, fl);
        fn[fl] = 0;
        memcpy(args, open + 1, al);
        args[al] = 0;
        static const char *const plural[][2] = {
            {"years", "year"}, {"months", "month"}, {"days", "day"}, {"hours", "hour"}};
        for (int i = 0; i < 4; i++)
            if (strcmp(fn, plural[i][0]) == 0) snprintf(fn, sizeof(fn), "%s", plural[i][1]);
        char *comma = strchr(args, ',');
        if (comma) {
            *comma = 0;
            long w = strtol(args, NULL, 10);
            snprintf(xf, xfsz, "%s[%ld]", fn, w);
            snprintf(col, colsz, "%s", comma + 1);
        } else {
            snprintf(xf, xfsz, "%s", fn);
            snprintf(col, colsz, "%s", args);
        }
    }
    /* trim spaces around the column name */
    char *s = col;
    while (isspace((unsigned char)*s)) s++;
    memmove(col, s, strlen(s) + 1);
    size_t n = strlen(col);
    while (n && isspace((unsigned char)col[n - 1])) col[--n] = 0;
    return n ? FL_OK : FL_ERR_INVALID;
}

fl_err_t fl_ice_spec_from_terms(const struct fl_schema *schema, int32_t spec_id,
                                const char *const *terms, int nterms, int32_t first_field_id,
                                struct fl_ice_spec **out, struct fl_error *err) {
    struct fl_ice_spec *spec = fl_calloc(1, sizeof(*spec));
    spec->spec_id = spec_id;
    spec->fields = fl_calloc(nterms ? (size_t)nterms : 1, sizeof(*spec->fields));
    fl_err_t rc = FL_OK;
    for (int i = 0; i < nterms; i++) {
        char xf[64], col[256];
        if (fl_ice_term_parse(terms[i], xf, sizeof(xf), col, sizeof(col))) {
            rc = fl_errf(err, FL_ERR_INVALID,
                         "partition term \"%s\" is not col, f(col) or f(N, col)", terms[i]);
            break;
        }
        struct fl_ice_part_field *pf = &spec->fields[i];
        spec->nfields = i + 1;
        pf->name = NULL;
        if (fl_ice_transform_parse(xf, &pf->transform)) {
            rc = fl_errf(err, FL_ERR_INVALID, "partition term \"%s\": unknown transform", terms[i]);
            break;
        }
        int idx = fl_schema_index_by_name(schema, col);
        if (idx < 0) {
            rc = fl_errf(err, FL_ERR_INVALID, "partition term \"%s\": no column \"%s\"", terms[i],
                         col);
            break;
        }
        pf->source_id = schema->fields[idx].id;
        pf->field_id = first_field_id + i;
        size_t nl = strlen(col) + 16;
        pf->name = fl_malloc(nl);
        snprintf(pf->name, nl, "%s%s", col, default_suffix(pf->transform.kind));
    }
    if (!rc) rc = check_names(spec, err);
    if (!rc) rc = fl_ice_spec_bind(spec, schema, err);
    if (rc) {
        fl_ice_spec_free(spec);
        return rc;
    }
    *out = spec;
    return FL_OK;
}

fl_err_t fl_ice_spec_to_json(const struct fl_ice_spec *spec, int fields_only, struct fl_buf *out) {
    json_t *arr = json_array();
    for (int i = 0; i < spec->nfields; i++) {
        const struct fl_ice_part_field *pf = &spec->fields[i];
        char xf[64];
        fl_ice_transform_format(&pf->transform, xf, sizeof(xf));
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(pf->name));
        json_object_set_new(o, "transform", json_string(xf));
        json_object_set_new(o, "source-id", json_integer(pf->source_id));
        json_object_set_new(o, "field-id", json_integer(pf->field_id));
        json_array_append_new(arr, o);
    }
    json_t *doc = arr;
    if (!fields_only) {
        doc = json_object();
        json_object_set_new(doc, "spec-id", json_integer(spec->spec_id));
        json_object_set_new(doc, "fields", arr);
    }
    char *s = json_dumps(doc, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(doc);
    if (!s) return FL_ERR_NOMEM;
    fl_err_t rc = fl_buf_append_str(out, s);
    free(s);
    return rc;
}

void fl_ice_spec_row_values(const struct fl_ice_spec *spec, const struct fl_batch *batch,
                            size_t row, struct fl_ice_pval *out) {
    for (int i = 0; i < spec->nfields; i++) {
        const struct fl_ice_part_field *pf = &spec->fields[i];
        int idx = fl_schema_index_by_id(batch->schema, pf->source_id);
        if (idx < 0) {
            memset(&out[i], 0, sizeof(out[i]));
            out[i].is_null = true;
            continue;
        }
        fl_ice_transform_apply(&pf->transform, &batch->cols[idx], row, &out[i]);
    }
}

fl_err_t fl_ice_spec_path(const struct fl_ice_spec *spec, const struct fl_ice_pval *vals,
                          struct fl_buf *out) {
    fl_err_t rc = FL_OK;
    for (int i = 0; i < spec->nfields && !rc; i++) {
        if (i) fl_buf_append_u8(out, '/');
        fl_ice_url_escape(out, (const uint8_t *)spec->fields[i].name, strlen(spec->fields[i].name));
        fl_buf_append_u8(out, '=');
        rc = fl_ice_pval_to_path(&spec->fields[i].transform, &vals[i], out);
    }
    return rc;
}
