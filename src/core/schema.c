/*
 * schema.c - Iceberg schema JSON <-> struct fl_schema, with jansson.
 *
 * How it works: the JSON is parsed into a jansson tree once (schemas are
 * small and parsed at table load, not per record), walked recursively
 * into struct fl_field arrays, and printed back in the spec's shape:
 * primitive types as strings, nested types as objects with their
 * element/key/value ids. Every field id must be positive and unique,
 * every name non-empty and unique among its siblings.
 */
#include "core/schema.h"
#include "core/mem.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCHEMA_MAX_DEPTH 32
#define SCHEMA_MAX_FIELDS 100000

static const struct {
    const char *name;
    fl_type_id_t type;
} prim_names[] = {
    {"boolean", FL_TYPE_BOOLEAN},
    {"int", FL_TYPE_INT},
    {"long", FL_TYPE_LONG},
    {"float", FL_TYPE_FLOAT},
    {"double", FL_TYPE_DOUBLE},
    {"date", FL_TYPE_DATE},
    {"time", FL_TYPE_TIME},
    {"timestamp", FL_TYPE_TIMESTAMP},
    {"timestamptz", FL_TYPE_TIMESTAMPTZ},
    {"string", FL_TYPE_STRING},
    {"binary", FL_TYPE_BINARY},
    {"uuid", FL_TYPE_UUID},
};

bool fl_type_is_primitive(fl_type_id_t type) {
    return type != FL_TYPE_STRUCT && type != FL_TYPE_LIST && type != FL_TYPE_MAP;
}

bool fl_field_is_exact(const struct fl_field *field) {
    return !field->nanos && !field->opaque_type;
}

fl_err_t fl_type_parse(const char *text, struct fl_field *field) {
    if (strcmp(text, "timestamp_ns") == 0 || strcmp(text, "timestamptz_ns") == 0) {
        field->type = text[9] == 't' ? FL_TYPE_TIMESTAMPTZ : FL_TYPE_TIMESTAMP;
        field->nanos = true;
        return FL_OK;
    }
    if (strcmp(text, "unknown") == 0 || strcmp(text, "variant") == 0 ||
        (strncmp(text, "geometry", 8) == 0 && (!text[8] || text[8] == '(')) ||
        (strncmp(text, "geography", 9) == 0 && (!text[9] || text[9] == '('))) {
        if (strlen(text) > 256) return FL_ERR_INVALID;
        field->type = FL_TYPE_BINARY;
        fl_free(field->opaque_type);
        field->opaque_type = fl_strdup(text);
        return FL_OK;
    }
    for (size_t i = 0; i < sizeof(prim_names) / sizeof(prim_names[0]); i++) {
        if (strcmp(text, prim_names[i].name) == 0) {
            field->type = prim_names[i].type;
            return FL_OK;
        }
    }
    int p, s, n = 0;
    long len;
    if (sscanf(text, "decimal(%d ,%d )%n", &p, &s, &n) == 2 && text[n] == '\0') {
        if (p < 1 || p > 38 || s < 0 || s > p) return FL_ERR_INVALID;
        field->type = FL_TYPE_DECIMAL;
        field->precision = p;
        field->scale = s;
        return FL_OK;
    }
    n = 0;
    if (sscanf(text, "fixed[%ld]%n", &len, &n) == 1 && text[n] == '\0') {
        if (len < 1 || len > (1 << 20)) return FL_ERR_INVALID;
        field->type = FL_TYPE_FIXED;
        field->length = (int32_t)len;
        return FL_OK;
    }
    return FL_ERR_INVALID;
}

void fl_type_format(const struct fl_field *field, char *out, size_t outsz) {
    if (field->opaque_type) {
        snprintf(out, outsz, "%s", field->opaque_type);
        return;
    }
    if (field->nanos && (field->type == FL_TYPE_TIMESTAMP || field->type == FL_TYPE_TIMESTAMPTZ)) {
        snprintf(out, outsz, "%s",
                 field->type == FL_TYPE_TIMESTAMP ? "timestamp_ns" : "timestamptz_ns");
        return;
    }
    switch (field->type) {
    case FL_TYPE_DECIMAL:
        snprintf(out, outsz, "decimal(%d, %d)", field->precision, field->scale);
        return;
    case FL_TYPE_FIXED:
        snprintf(out, outsz, "fixed[%d]", field->length);
        return;
    case FL_TYPE_STRUCT:
        snprintf(out, outsz, "struct");
        return;
    case FL_TYPE_LIST:
        snprintf(out, outsz, "list");
        return;
    case FL_TYPE_MAP:
        snprintf(out, outsz, "map");
        return;
    default:
        for (size_t i = 0; i < sizeof(prim_names) / sizeof(prim_names[0]); i++)
            if (prim_names[i].type == field->type) {
                snprintf(out, outsz, "%s", prim_names[i].name);
                return;
            }
    }
    snprintf(out, outsz, "unknown");
}

size_t fl_type_width(const struct fl_field *field) {
    switch (field->type) {
    case FL_TYPE_BOOLEAN:
        return 1;
    case FL_TYPE_INT:
    case FL_TYPE_DATE:
    case FL_TYPE_FLOAT:
        return 4;
    case FL_TYPE_LONG:
    case FL_TYPE_TIME:
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ:
    case FL_TYPE_DOUBLE:
        return 8;
    case FL_TYPE_DECIMAL:
    case FL_TYPE_UUID:
        return 16;
    case FL_TYPE_FIXED:
        return (size_t)field->length;
    default:
        return 0;
    }
}

/* ---- the compact type text of the config: list<T>, map<K, V>, struct<a: T, ...> ---- */

struct ttext {
    const char *p;
    int32_t *next_id;
    struct fl_buf *out;
    char *why;
    size_t whysz;
    int depth;
};

static void tt_ws(struct ttext *t) {
    while (*t->p == ' ' || *t->p == '\t' || *t->p == '\n') t->p++;
}

static bool tt_word(struct ttext *t, const char *w) {
    size_t n = strlen(w);
    tt_ws(t);
    if (strncmp(t->p, w, n) != 0) return false;
    const char *q = t->p + n;
    while (*q == ' ' || *q == '\t') q++;
    if (*q != '<') return false;
    t->p = q + 1;
    return true;
}

static fl_err_t tt_fail(struct ttext *t, const char *what) {
    snprintf(t->why, t->whysz, "%s at \"%.20s\"", what, t->p);
    return FL_ERR_INVALID;
}

static fl_err_t tt_expect(struct ttext *t, char c) {
    tt_ws(t);
    if (*t->p != c) {
        char what[32];
        snprintf(what, sizeof(what), "expected '%c'", c);
        return tt_fail(t, what);
    }
    t->p++;
    return FL_OK;
}

static fl_err_t tt_type(struct ttext *t);

static fl_err_t tt_child(struct ttext *t, const char *idkey, const char *typekey) {
    fl_err_t rc = fl_buf_printf(t->out, "\"%s\":%d,\"%s\":", idkey, (int)(*t->next_id)++, typekey);
    return rc ? rc : tt_type(t);
}

static fl_err_t tt_type(struct ttext *t) {
    fl_err_t rc;
    if (++t->depth > SCHEMA_MAX_DEPTH) return tt_fail(t, "nested too deeply");
    if (tt_word(t, "list")) {
        fl_buf_append_str(t->out, "{\"type\":\"list\",");
        if ((rc = tt_child(t, "element-id", "element"))) return rc;
        fl_buf_append_str(t->out, ",\"element-required\":false}");
        rc = tt_expect(t, '>');
    } else if (tt_word(t, "map")) {
        fl_buf_append_str(t->out, "{\"type\":\"map\",");
        if ((rc = tt_child(t, "key-id", "key")) || (rc = tt_expect(t, ','))) return rc;
        fl_buf_append_u8(t->out, ',');
        if ((rc = tt_child(t, "value-id", "value"))) return rc;
        fl_buf_append_str(t->out, ",\"value-required\":false}");
        rc = tt_expect(t, '>');
    } else if (tt_word(t, "struct")) {
        fl_buf_append_str(t->out, "{\"type\":\"struct\",\"fields\":[");
        for (int k = 0;; k++) {
            tt_ws(t);
            const char *name = t->p;
            while (*t->p && !strchr(":<>, \t\n", *t->p)) t->p++;
            size_t n = (size_t)(t->p - name);
            if (!n || memchr(name, '"', n) || memchr(name, '\\', n))
                return tt_fail(t, "expected a member name");
            if ((rc = tt_expect(t, ':'))) return rc;
            fl_buf_printf(t->out, "%s{\"id\":%d,\"name\":\"%.*s\",\"required\":false,\"type\":",
                          k ? "," : "", (int)(*t->next_id)++, (int)n, name);
            if ((rc = tt_type(t))) return rc;
            fl_buf_append_u8(t->out, '}');
            tt_ws(t);
            if (*t->p != ',') break;
            t->p++;
        }
        fl_buf_append_str(t->out, "]}");
        rc = tt_expect(t, '>');
    } else {
        /* a primitive: up to a delimiter outside parentheses */
        tt_ws(t);
        const char *start = t->p;
        int paren = 0;
        while (*t->p && (paren || !strchr(",<>", *t->p))) {
            paren += *t->p == '(' ? 1 : *t->p == ')' ? -1 : 0;
            t->p++;
        }
        size_t n = (size_t)(t->p - start);
        while (n && (start[n - 1] == ' ' || start[n - 1] == '\t')) n--;
        char word[64];
        struct fl_field f;
        memset(&f, 0, sizeof(f));
        if (n == 0 || n >= sizeof(word)) return tt_fail(t, "expected a type");
        memcpy(word, start, n);
        word[n] = '\0';
        if (fl_type_parse(word, &f)) {
            t->p = start;
            return tt_fail(t, "unknown type");
        }
        char text[64];
        fl_type_format(&f, text, sizeof(text));
        fl_free(f.opaque_type);
        rc = fl_buf_printf(t->out, "\"%s\"", text);
    }
    t->depth--;
    return rc;
}

fl_err_t fl_type_text_json(const char *text, int32_t *next_id, struct fl_buf *out, char *why,
                           size_t whysz) {
    struct ttext t = {.p = text, .next_id = next_id, .out = out, .why = why, .whysz = whysz};
    fl_err_t rc = tt_type(&t);
    if (rc) return rc;
    tt_ws(&t);
    if (*t.p) return tt_fail(&t, "unexpected text after the type");
    return FL_OK;
}

/* ---- parsing ---- */

struct parse_ctx {
    struct fl_error *err;
    int nfields; /* fields seen, for the cap */
};

static void field_fini(struct fl_field *f) {
    for (int i = 0; i < f->nchildren; i++) field_fini(&f->children[i]);
    fl_free(f->children);
    fl_free(f->name);
    fl_free(f->doc);
    fl_free(f->initial_default);
    fl_free(f->write_default);
    fl_free(f->opaque_type);
    memset(f, 0, sizeof(*f));
}

static fl_err_t parse_type(struct parse_ctx *pc, json_t *jt, struct fl_field *f, const char *what,
                           int depth);

static fl_err_t get_id(struct parse_ctx *pc, json_t *obj, const char *key, const char *what,
                       int32_t *id) {
    json_t *j = json_object_get(obj, key);
    if (!json_is_integer(j) || json_integer_value(j) < 0 || json_integer_value(j) > INT32_MAX)
        return fl_errf(pc->err, FL_ERR_INVALID, "%s: \"%s\" must be a non-negative integer", what,
                       key);
    *id = (int32_t)json_integer_value(j);
    return FL_OK;
}

/* A default value's JSON text, or NULL when absent or null. */
static char *default_text(json_t *v) {
    if (!v || json_is_null(v)) return NULL;
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    char *out = t ? fl_strdup(t) : NULL;
    free(t);
    return out;
}

static fl_err_t parse_fields(struct parse_ctx *pc, json_t *arr, struct fl_field **out, int *nout,
                             const char *what, int depth) {
    if (!json_is_array(arr))
        return fl_errf(pc->err, FL_ERR_INVALID, "%s: \"fields\" must be an array", what);
    size_t n = json_array_size(arr);
    pc->nfields += (int)n;
    if (pc->nfields > SCHEMA_MAX_FIELDS)
        return fl_errf(pc->err, FL_ERR_LIMIT, "schema has more than %d fields", SCHEMA_MAX_FIELDS);
    struct fl_field *fields = fl_calloc(n ? n : 1, sizeof(*fields));
    fl_err_t rc = FL_OK;
    size_t i;
    for (i = 0; i < n; i++) {
        json_t *jf = json_array_get(arr, i);
        struct fl_field *f = &fields[i];
        char fwhat[256];
        if (!json_is_object(jf)) {
            rc = fl_errf(pc->err, FL_ERR_INVALID, "%s: field %zu is not an object", what, i);
            break;
        }
        json_t *jn = json_object_get(jf, "name");
        if (!json_is_string(jn) || json_string_length(jn) == 0) {
            rc = fl_errf(pc->err, FL_ERR_INVALID, "%s: field %zu has no \"name\"", what, i);
            break;
        }
        f->name = fl_strdup(json_string_value(jn));
        snprintf(fwhat, sizeof(fwhat), "field \"%s\"", f->name);
        for (size_t k = 0; k < i; k++)
            if (strcmp(fields[k].name, f->name) == 0) {
                rc = fl_errf(pc->err, FL_ERR_INVALID, "%s: duplicate field name", fwhat);
                goto out;
            }
        if ((rc = get_id(pc, jf, "id", fwhat, &f->id))) break;
        json_t *jr = json_object_get(jf, "required");
        if (!json_is_boolean(jr)) {
            rc = fl_errf(pc->err, FL_ERR_INVALID, "%s: \"required\" must be true or false", fwhat);
            break;
        }
        f->required = json_is_true(jr);
        json_t *jd = json_object_get(jf, "doc");
        if (json_is_string(jd)) f->doc = fl_strdup(json_string_value(jd));
        f->initial_default = default_text(json_object_get(jf, "initial-default"));
        f->write_default = default_text(json_object_get(jf, "write-default"));
        if ((rc = parse_type(pc, json_object_get(jf, "type"), f, fwhat, depth + 1))) break;
    }
out:
    if (rc) {
        for (size_t k = 0; k < n; k++) field_fini(&fields[k]);
        fl_free(fields);
        return rc;
    }
    *out = fields;
    *nout = (int)n;
    return FL_OK;
}

/* A list element or map key/value: a child field named as Iceberg does. */
static fl_err_t parse_child(struct parse_ctx *pc, json_t *obj, struct fl_field *child,
                            const char *name, const char *idkey, const char *typekey,
                            const char *reqkey, const char *what, int depth) {
    fl_err_t rc;
    child->name = fl_strdup(name);
    if ((rc = get_id(pc, obj, idkey, what, &child->id))) return rc;
    if (reqkey) {
        json_t *jr = json_object_get(obj, reqkey);
        if (!json_is_boolean(jr))
            return fl_errf(pc->err, FL_ERR_INVALID, "%s: \"%s\" must be true or false", what,
                           reqkey);
        child->required = json_is_true(jr);
    } else {
        child->required = true; /* map keys are always required */
    }
    return parse_type(pc, json_object_get(obj, typekey), child, what, depth + 1);
}

static fl_err_t parse_type(struct parse_ctx *pc, json_t *jt, struct fl_field *f, const char *what,
                           int depth) {
    if (depth > SCHEMA_MAX_DEPTH)
        return fl_errf(pc->err, FL_ERR_LIMIT, "%s: nested deeper than %d", what, SCHEMA_MAX_DEPTH);
    if (json_is_string(jt)) {
        if (fl_type_parse(json_string_value(jt), f))
            return fl_errf(pc->err, FL_ERR_INVALID, "%s: unknown type \"%s\"", what,
                           json_string_value(jt));
        return FL_OK;
    }
    if (!json_is_object(jt))
        return fl_errf(pc->err, FL_ERR_INVALID, "%s: \"type\" must be a string or an object", what);
    const char *kind = json_string_value(json_object_get(jt, "type"));
    if (!kind) return fl_errf(pc->err, FL_ERR_INVALID, "%s: nested type has no \"type\"", what);
    if (strcmp(kind, "struct") == 0) {
        f->type = FL_TYPE_STRUCT;
        return parse_fields(pc, json_object_get(jt, "fields"), &f->children, &f->nchildren, what,
                            depth);
    }
    if (strcmp(kind, "list") == 0) {
        f->type = FL_TYPE_LIST;
        f->children = fl_calloc(1, sizeof(*f->children));
        f->nchildren = 1;
        return parse_child(pc, jt, &f->children[0], "element", "element-id", "element",
                           "element-required", what, depth);
    }
    if (strcmp(kind, "map") == 0) {
        f->type = FL_TYPE_MAP;
        f->children = fl_calloc(2, sizeof(*f->children));
        f->nchildren = 2;
        fl_err_t rc =
            parse_child(pc, jt, &f->children[0], "key", "key-id", "key", NULL, what, depth);
        if (rc) return rc;
        return parse_child(pc, jt, &f->children[1], "value", "value-id", "value", "value-required",
                           what, depth);
    }
    return fl_errf(pc->err, FL_ERR_INVALID, "%s: unknown nested type \"%s\"", what, kind);
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int count_ids(const struct fl_field *fields, int n) {
    int k = n;
    for (int i = 0; i < n; i++) k += count_ids(fields[i].children, fields[i].nchildren);
    return k;
}

static void collect_ids(const struct fl_field *fields, int n, int32_t *ids, int *k) {
    for (int i = 0; i < n; i++) {
        ids[(*k)++] = fields[i].id;
        collect_ids(fields[i].children, fields[i].nchildren, ids, k);
    }
}

static fl_err_t schema_from_json(json_t *root, struct fl_schema **out, struct fl_error *err) {
    struct parse_ctx pc = {.err = err};
    if (!json_is_object(root)) return fl_errf(err, FL_ERR_INVALID, "schema must be a JSON object");
    const char *t = json_string_value(json_object_get(root, "type"));
    if (t && strcmp(t, "struct") != 0)
        return fl_errf(err, FL_ERR_INVALID, "schema \"type\" must be \"struct\"");
    struct fl_schema *s = fl_calloc(1, sizeof(*s));
    fl_err_t rc;
    json_t *jid = json_object_get(root, "schema-id");
    if (jid) {
        if (!json_is_integer(jid)) {
            rc = fl_errf(err, FL_ERR_INVALID, "\"schema-id\" must be an integer");
            goto out;
        }
        s->schema_id = (int32_t)json_integer_value(jid);
    }
    if ((rc = parse_fields(&pc, json_object_get(root, "fields"), &s->fields, &s->nfields, "schema",
                           0)))
        goto out;
    /* field ids unique across the whole schema */
    int32_t *ids = fl_calloc((size_t)count_ids(s->fields, s->nfields) + 1, sizeof(int32_t));
    int k = 0;
    collect_ids(s->fields, s->nfields, ids, &k);
    qsort(ids, (size_t)k, sizeof(int32_t), cmp_i32);
    for (int i = 1; i < k; i++)
        if (ids[i] == ids[i - 1]) {
            rc = fl_errf(err, FL_ERR_INVALID, "field id %d is used twice", ids[i]);
            break;
        }
    fl_free(ids);
    if (rc) goto out;
    json_t *jident = json_object_get(root, "identifier-field-ids");
    if (jident) {
        if (!json_is_array(jident)) {
            rc = fl_errf(err, FL_ERR_INVALID, "\"identifier-field-ids\" must be an array");
            goto out;
        }
        size_t n = json_array_size(jident);
        s->identifier_ids = fl_calloc(n ? n : 1, sizeof(int32_t));
        for (size_t i = 0; i < n; i++) {
            json_t *j = json_array_get(jident, i);
            if (!json_is_integer(j) ||
                fl_schema_index_by_id(s, (int32_t)json_integer_value(j)) < 0) {
                rc = fl_errf(err, FL_ERR_INVALID,
                             "identifier-field-ids[%zu] is not a top-level field id", i);
                goto out;
            }
            s->identifier_ids[i] = (int32_t)json_integer_value(j);
        }
        s->nidentifier = (int)n;
    }
    *out = s;
    s = NULL;
out:
    fl_schema_free(s);
    return rc;
}

fl_err_t fl_schema_parse(const char *json, size_t len, struct fl_schema **out,
                         struct fl_error *err) {
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return fl_errf(err, FL_ERR_INVALID, "schema JSON line %d column %d: %s", je.line, je.column,
                       je.text);
    fl_err_t rc = schema_from_json(root, out, err);
    json_decref(root);
    return rc;
}

fl_err_t fl_schema_load(const char *path, struct fl_schema **out, struct fl_error *err) {
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return fl_errf(err, FL_ERR_INVALID, "%s: line %d column %d: %s", path, je.line, je.column,
                       je.text);
    fl_err_t rc = schema_from_json(root, out, err);
    json_decref(root);
    if (rc) fl_err_prefix(err, "%s", path);
    return rc;
}

/* ---- printing ---- */

static json_t *type_to_json(const struct fl_field *f);

static json_t *fields_to_json(const struct fl_field *fields, int n) {
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        json_t *jf = json_object();
        json_object_set_new(jf, "id", json_integer(fields[i].id));
        json_object_set_new(jf, "name", json_string(fields[i].name));
        json_object_set_new(jf, "required", json_boolean(fields[i].required));
        json_object_set_new(jf, "type", type_to_json(&fields[i]));
        if (fields[i].doc) json_object_set_new(jf, "doc", json_string(fields[i].doc));
        if (fields[i].initial_default)
            json_object_set_new(jf, "initial-default",
                                json_loads(fields[i].initial_default, JSON_DECODE_ANY, NULL));
        if (fields[i].write_default)
            json_object_set_new(jf, "write-default",
                                json_loads(fields[i].write_default, JSON_DECODE_ANY, NULL));
        json_array_append_new(arr, jf);
    }
    return arr;
}

static json_t *type_to_json(const struct fl_field *f) {
    json_t *o;
    char text[300];
    switch (f->type) {
    case FL_TYPE_STRUCT:
        o = json_object();
        json_object_set_new(o, "type", json_string("struct"));
        json_object_set_new(o, "fields", fields_to_json(f->children, f->nchildren));
        return o;
    case FL_TYPE_LIST:
        o = json_object();
        json_object_set_new(o, "type", json_string("list"));
        json_object_set_new(o, "element-id", json_integer(f->children[0].id));
        json_object_set_new(o, "element", type_to_json(&f->children[0]));
        json_object_set_new(o, "element-required", json_boolean(f->children[0].required));
        return o;
    case FL_TYPE_MAP:
        o = json_object();
        json_object_set_new(o, "type", json_string("map"));
        json_object_set_new(o, "key-id", json_integer(f->children[0].id));
        json_object_set_new(o, "key", type_to_json(&f->children[0]));
        json_object_set_new(o, "value-id", json_integer(f->children[1].id));
        json_object_set_new(o, "value", type_to_json(&f->children[1]));
        json_object_set_new(o, "value-required", json_boolean(f->children[1].required));
        return o;
    default:
        fl_type_format(f, text, sizeof(text));
        return json_string(text);
    }
}

fl_err_t fl_schema_to_json(const struct fl_schema *schema, struct fl_buf *out) {
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("struct"));
    json_object_set_new(o, "schema-id", json_integer(schema->schema_id));
    if (schema->nidentifier > 0) {
        json_t *ids = json_array();
        for (int i = 0; i < schema->nidentifier; i++)
            json_array_append_new(ids, json_integer(schema->identifier_ids[i]));
        json_object_set_new(o, "identifier-field-ids", ids);
    }
    json_object_set_new(o, "fields", fields_to_json(schema->fields, schema->nfields));
    char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
    json_decref(o);
    if (!s) return FL_ERR_NOMEM;
    fl_err_t rc = fl_buf_append_str(out, s);
    free(s);
    return rc;
}

/* ---- lifetime and lookups ---- */

void fl_schema_free(struct fl_schema *schema) {
    if (!schema) return;
    for (int i = 0; i < schema->nfields; i++) field_fini(&schema->fields[i]);
    fl_free(schema->fields);
    fl_free(schema->identifier_ids);
    fl_free(schema);
}

static void field_copy(struct fl_field *dst, const struct fl_field *src) {
    *dst = *src;
    dst->name = fl_strdup(src->name);
    dst->doc = src->doc ? fl_strdup(src->doc) : NULL;
    dst->initial_default = src->initial_default ? fl_strdup(src->initial_default) : NULL;
    dst->write_default = src->write_default ? fl_strdup(src->write_default) : NULL;
    dst->opaque_type = src->opaque_type ? fl_strdup(src->opaque_type) : NULL;
    dst->children = NULL;
    if (src->nchildren) {
        dst->children = fl_calloc((size_t)src->nchildren, sizeof(*dst->children));
        for (int i = 0; i < src->nchildren; i++) field_copy(&dst->children[i], &src->children[i]);
    }
}

struct fl_schema *fl_schema_select(const struct fl_schema *schema, const int *field_idx, int n) {
    struct fl_schema *s = fl_calloc(1, sizeof(*s));
    s->schema_id = schema->schema_id;
    s->fields = fl_calloc(n ? (size_t)n : 1, sizeof(*s->fields));
    s->nfields = n;
    for (int i = 0; i < n; i++) field_copy(&s->fields[i], &schema->fields[field_idx[i]]);
    int k = 0;
    s->identifier_ids =
        fl_calloc(schema->nidentifier ? (size_t)schema->nidentifier : 1, sizeof(int32_t));
    for (int i = 0; i < schema->nidentifier; i++)
        if (fl_schema_index_by_id(s, schema->identifier_ids[i]) >= 0)
            s->identifier_ids[k++] = schema->identifier_ids[i];
    s->nidentifier = k;
    return s;
}

struct fl_schema *fl_schema_dup(const struct fl_schema *schema) {
    int *idx = fl_calloc(schema->nfields ? (size_t)schema->nfields : 1, sizeof(int));
    for (int i = 0; i < schema->nfields; i++) idx[i] = i;
    struct fl_schema *s = fl_schema_select(schema, idx, schema->nfields);
    fl_free(idx);
    return s;
}

int fl_schema_index_by_id(const struct fl_schema *schema, int32_t id) {
    for (int i = 0; i < schema->nfields; i++)
        if (schema->fields[i].id == id) return i;
    return -1;
}

int fl_schema_index_by_name(const struct fl_schema *schema, const char *name) {
    for (int i = 0; i < schema->nfields; i++)
        if (strcmp(schema->fields[i].name, name) == 0) return i;
    return -1;
}

static int32_t max_id(const struct fl_field *fields, int n) {
    int32_t m = 0;
    for (int i = 0; i < n; i++) {
        if (fields[i].id > m) m = fields[i].id;
        int32_t c = max_id(fields[i].children, fields[i].nchildren);
        if (c > m) m = c;
    }
    return m;
}

int32_t fl_schema_max_field_id(const struct fl_schema *schema) {
    return max_id(schema->fields, schema->nfields);
}
