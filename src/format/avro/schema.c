/*
 * schema.c - parses Avro schema JSON (jansson) into a struct fl_avro_node
 * graph.
 *
 * How it works: the JSON text is copied first, byte for byte, so that a
 * writer can put exactly that text into a container header. jansson then
 * parses it and parse_type() walks the JSON recursively (depth capped),
 * making one node per type. Primitive names ("long") make a fresh node;
 * named types (record, enum, fixed) are registered under their full name
 * (namespace rules of the Avro spec) BEFORE their fields are parsed, so a
 * record may refer to itself. Every allocation is remembered in the
 * schema's own list and freed together; nodes are shared, never owned by
 * a parent. Logical types that do not fit their base type are ignored, as
 * the spec says. Iceberg's id attributes (field-id on fields, element-id
 * on arrays, key-id/value-id on maps) are kept on the nodes.
 */
#include "format/avro/schema.h"
#include "core/mem.h"

#include <jansson.h>
#include <string.h>

struct named {
    const char *fullname;
    struct fl_avro_node *node;
};

struct fl_avro_schema {
    char *json; /* the exact text, NUL-terminated */
    size_t json_len;
    struct fl_avro_node *root;
    void **allocs; /* everything below is freed through this list */
    size_t nallocs, allocs_cap;
    struct named *names;
    size_t nnames, names_cap;
    size_t nnodes;
};

struct parser {
    struct fl_avro_schema *schema;
    struct fl_error *err;
};

static void *track(struct fl_avro_schema *s, void *p) {
    if (s->nallocs == s->allocs_cap) {
        s->allocs_cap = s->allocs_cap ? s->allocs_cap * 2 : 64;
        s->allocs = fl_reallocarray(s->allocs, s->allocs_cap, sizeof(*s->allocs));
    }
    s->allocs[s->nallocs++] = p;
    return p;
}

static const char *sdup(struct fl_avro_schema *s, const char *str) {
    return track(s, fl_strdup(str));
}

static fl_err_t new_node(struct parser *ps, fl_avro_type_t type, struct fl_avro_node **out) {
    if (++ps->schema->nnodes > FL_AVRO_SCHEMA_MAX_NODES)
        return fl_errf(ps->err, FL_ERR_LIMIT, "avro schema: more than %d types",
                       FL_AVRO_SCHEMA_MAX_NODES);
    struct fl_avro_node *n = track(ps->schema, fl_calloc(1, sizeof(*n)));
    n->type = type;
    n->element_id = n->key_id = n->value_id = FL_AVRO_NO_ID;
    *out = n;
    return FL_OK;
}

static const struct {
    const char *name;
    fl_avro_type_t type;
    size_t min_size;
} primitives[] = {{"null", FL_AVRO_NULL, 0},   {"boolean", FL_AVRO_BOOLEAN, 1},
                  {"int", FL_AVRO_INT, 1},     {"long", FL_AVRO_LONG, 1},
                  {"float", FL_AVRO_FLOAT, 4}, {"double", FL_AVRO_DOUBLE, 8},
                  {"bytes", FL_AVRO_BYTES, 1}, {"string", FL_AVRO_STRING, 1}};

const char *fl_avro_type_name(fl_avro_type_t type) {
    static const char *const names[] = {"null",   "boolean", "int",    "long",   "float",
                                        "double", "bytes",   "string", "record", "enum",
                                        "array",  "map",     "union",  "fixed"};
    if ((unsigned)type >= sizeof(names) / sizeof(names[0])) return "?";
    return names[type];
}

static int primitive_index(const char *name) {
    for (size_t i = 0; i < sizeof(primitives) / sizeof(primitives[0]); i++)
        if (strcmp(name, primitives[i].name) == 0) return (int)i;
    return -1;
}

static struct fl_avro_node *lookup(struct fl_avro_schema *s, const char *fullname) {
    for (size_t i = 0; i < s->nnames; i++)
        if (strcmp(s->names[i].fullname, fullname) == 0) return s->names[i].node;
    return NULL;
}

/* Full name of a named type: a dotted name is already full; otherwise the
 * type's own namespace, else the enclosing one. */
static const char *make_fullname(struct fl_avro_schema *s, const char *name, const char *ns) {
    if (strchr(name, '.') || !ns || !*ns) return sdup(s, name);
    size_t nl = strlen(ns), ml = strlen(name);
    char *full = track(s, fl_malloc(nl + ml + 2));
    memcpy(full, ns, nl);
    full[nl] = '.';
    memcpy(full + nl + 1, name, ml + 1);
    return full;
}

/* Namespace part of a full name ("a.b.c" -> "a.b"), or NULL. */
static const char *namespace_of(struct fl_avro_schema *s, const char *fullname) {
    const char *dot = strrchr(fullname, '.');
    if (!dot) return NULL;
    return track(s, fl_strndup(fullname, (size_t)(dot - fullname)));
}

static fl_err_t register_name(struct parser *ps, const char *fullname, struct fl_avro_node *n) {
    struct fl_avro_schema *s = ps->schema;
    if (lookup(s, fullname))
        return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: type \"%s\" defined twice", fullname);
    if (s->nnames == s->names_cap) {
        s->names_cap = s->names_cap ? s->names_cap * 2 : 16;
        s->names = fl_reallocarray(s->names, s->names_cap, sizeof(*s->names));
    }
    s->names[s->nnames].fullname = fullname;
    s->names[s->nnames].node = n;
    s->nnames++;
    return FL_OK;
}

static fl_err_t get_id(struct parser *ps, json_t *obj, const char *key, int32_t *out) {
    json_t *v = json_object_get(obj, key);
    if (!v) return FL_OK;
    if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN + 1 ||
        json_integer_value(v) > INT32_MAX)
        return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: \"%s\" must be a 32-bit integer",
                       key);
    *out = (int32_t)json_integer_value(v);
    return FL_OK;
}

/* Sets n->logical from a "logicalType" attribute when it fits n's type. */
static void parse_logical(json_t *obj, struct fl_avro_node *n) {
    const char *lt = json_string_value(json_object_get(obj, "logicalType"));
    if (!lt) return;
    fl_avro_type_t t = n->type;
    if (strcmp(lt, "date") == 0 && t == FL_AVRO_INT)
        n->logical = FL_AVRO_LT_DATE;
    else if (strcmp(lt, "time-millis") == 0 && t == FL_AVRO_INT)
        n->logical = FL_AVRO_LT_TIME_MILLIS;
    else if (strcmp(lt, "time-micros") == 0 && t == FL_AVRO_LONG)
        n->logical = FL_AVRO_LT_TIME_MICROS;
    else if (strcmp(lt, "timestamp-millis") == 0 && t == FL_AVRO_LONG)
        n->logical = FL_AVRO_LT_TIMESTAMP_MILLIS;
    else if (strcmp(lt, "timestamp-micros") == 0 && t == FL_AVRO_LONG)
        n->logical = FL_AVRO_LT_TIMESTAMP_MICROS;
    else if (strcmp(lt, "timestamp-nanos") == 0 && t == FL_AVRO_LONG)
        n->logical = FL_AVRO_LT_TIMESTAMP_NANOS;
    else if (strcmp(lt, "uuid") == 0 &&
             (t == FL_AVRO_STRING || (t == FL_AVRO_FIXED && n->size == 16)))
        n->logical = FL_AVRO_LT_UUID;
    else if (strcmp(lt, "map") == 0 && t == FL_AVRO_ARRAY)
        n->logical = FL_AVRO_LT_MAP;
    else if (strcmp(lt, "decimal") == 0 && (t == FL_AVRO_BYTES || t == FL_AVRO_FIXED)) {
        json_t *p = json_object_get(obj, "precision"), *sc = json_object_get(obj, "scale");
        json_int_t prec = json_is_integer(p) ? json_integer_value(p) : 0;
        json_int_t scale = json_is_integer(sc) ? json_integer_value(sc) : 0;
        if (prec >= 1 && prec <= 1000 && scale >= 0 && scale <= prec) {
            n->logical = FL_AVRO_LT_DECIMAL;
            n->precision = (int)prec;
            n->scale = (int)scale;
        }
    }
    if (n->logical == FL_AVRO_LT_TIMESTAMP_MICROS || n->logical == FL_AVRO_LT_TIMESTAMP_MILLIS ||
        n->logical == FL_AVRO_LT_TIMESTAMP_NANOS)
        n->adjust_to_utc = json_is_true(json_object_get(obj, "adjust-to-utc"));
}

static fl_err_t parse_type(struct parser *ps, json_t *j, const char *ns, int depth,
                           struct fl_avro_node **out);

static fl_err_t parse_name(struct parser *ps, json_t *obj, const char *ns, const char *what,
                           const char **fullname, const char **own_ns) {
    const char *name = json_string_value(json_object_get(obj, "name"));
    if (!name || !*name)
        return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: %s without a name", what);
    json_t *nsj = json_object_get(obj, "namespace");
    if (nsj && !json_is_string(nsj) && !json_is_null(nsj))
        return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: %s \"%s\": bad namespace", what,
                       name);
    if (json_is_string(nsj)) ns = json_string_value(nsj);
    *fullname = make_fullname(ps->schema, name, ns);
    *own_ns = namespace_of(ps->schema, *fullname);
    return FL_OK;
}

static fl_err_t parse_record(struct parser *ps, json_t *obj, const char *ns, int depth,
                             struct fl_avro_node *n) {
    const char *own_ns;
    fl_err_t rc = parse_name(ps, obj, ns, "record", &n->name, &own_ns);
    if (!rc) rc = register_name(ps, n->name, n);
    if (rc) return rc;
    json_t *fields = json_object_get(obj, "fields");
    if (!json_is_array(fields))
        return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: record \"%s\" without fields",
                       n->name);
    n->nfields = json_array_size(fields);
    n->fields = track(ps->schema, fl_calloc(n->nfields ? n->nfields : 1, sizeof(*n->fields)));
    for (size_t i = 0; i < n->nfields; i++) {
        json_t *fj = json_array_get(fields, i);
        struct fl_avro_field *f = &n->fields[i];
        const char *fname = json_string_value(json_object_get(fj, "name"));
        if (!json_is_object(fj) || !fname)
            return fl_errf(ps->err, FL_ERR_INVALID,
                           "avro schema: record \"%s\": field %zu without a name", n->name, i);
        for (size_t k = 0; k < i; k++)
            if (strcmp(n->fields[k].name, fname) == 0)
                return fl_errf(ps->err, FL_ERR_INVALID,
                               "avro schema: record \"%s\": field \"%s\" twice", n->name, fname);
        f->name = sdup(ps->schema, fname);
        const char *doc = json_string_value(json_object_get(fj, "doc"));
        if (doc) f->doc = sdup(ps->schema, doc);
        f->field_id = FL_AVRO_NO_ID;
        if ((rc = get_id(ps, fj, "field-id", &f->field_id))) return rc;
        f->has_default = json_object_get(fj, "default") != NULL;
        json_t *tj = json_object_get(fj, "type");
        if (!tj)
            return fl_errf(ps->err, FL_ERR_INVALID,
                           "avro schema: record \"%s\": field \"%s\" without a type", n->name,
                           fname);
        if ((rc = parse_type(ps, tj, own_ns, depth + 1, &f->type))) {
            fl_err_prefix(ps->err, "field \"%s\"", fname);
            return rc;
        }
        n->min_size += f->type->min_size;
    }
    return FL_OK;
}

static fl_err_t parse_enum(struct parser *ps, json_t *obj, const char *ns, struct fl_avro_node *n) {
    const char *own_ns;
    fl_err_t rc = parse_name(ps, obj, ns, "enum", &n->name, &own_ns);
    if (!rc) rc = register_name(ps, n->name, n);
    if (rc) return rc;
    json_t *syms = json_object_get(obj, "symbols");
    if (!json_is_array(syms) || json_array_size(syms) == 0)
        return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: enum \"%s\" without symbols",
                       n->name);
    n->nsymbols = json_array_size(syms);
    n->symbols = track(ps->schema, fl_calloc(n->nsymbols, sizeof(*n->symbols)));
    for (size_t i = 0; i < n->nsymbols; i++) {
        const char *sym = json_string_value(json_array_get(syms, i));
        if (!sym)
            return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: enum \"%s\": bad symbol",
                           n->name);
        n->symbols[i] = sdup(ps->schema, sym);
    }
    n->min_size = 1;
    return FL_OK;
}

static fl_err_t parse_fixed(struct parser *ps, json_t *obj, const char *ns,
                            struct fl_avro_node *n) {
    const char *own_ns;
    fl_err_t rc = parse_name(ps, obj, ns, "fixed", &n->name, &own_ns);
    if (!rc) rc = register_name(ps, n->name, n);
    if (rc) return rc;
    json_t *sz = json_object_get(obj, "size");
    if (!json_is_integer(sz) || json_integer_value(sz) < 0 || json_integer_value(sz) > (1 << 20))
        return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: fixed \"%s\": bad size", n->name);
    n->size = (size_t)json_integer_value(sz);
    n->min_size = n->size;
    parse_logical(obj, n);
    return FL_OK;
}

static fl_err_t parse_union(struct parser *ps, json_t *arr, const char *ns, int depth,
                            struct fl_avro_node *n) {
    n->nbranches = json_array_size(arr);
    if (n->nbranches == 0) return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: empty union");
    n->branches = track(ps->schema, fl_calloc(n->nbranches, sizeof(*n->branches)));
    size_t min = SIZE_MAX;
    for (size_t i = 0; i < n->nbranches; i++) {
        fl_err_t rc = parse_type(ps, json_array_get(arr, i), ns, depth + 1, &n->branches[i]);
        if (rc) return rc;
        struct fl_avro_node *b = n->branches[i];
        if (b->type == FL_AVRO_UNION)
            return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: union inside a union");
        for (size_t k = 0; k < i; k++) {
            struct fl_avro_node *o = n->branches[k];
            bool named =
                b->type == FL_AVRO_RECORD || b->type == FL_AVRO_ENUM || b->type == FL_AVRO_FIXED;
            if (o->type == b->type && (!named || strcmp(o->name, b->name) == 0))
                return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: union has two %s branches",
                               fl_avro_type_name(b->type));
        }
        if (b->min_size < min) min = b->min_size;
    }
    n->min_size = 1 + min;
    return FL_OK;
}

static fl_err_t parse_object(struct parser *ps, json_t *obj, const char *ns, int depth,
                             struct fl_avro_node **out) {
    json_t *tj = json_object_get(obj, "type");
    fl_err_t rc;
    if (json_is_object(tj) || json_is_array(tj)) /* {"type": {...}} wraps a type */
        return parse_type(ps, tj, ns, depth + 1, out);
    const char *t = json_string_value(tj);
    if (!t) return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: object without a type");
    int pi = primitive_index(t);
    struct fl_avro_node *n;
    if (pi >= 0) {
        if ((rc = new_node(ps, primitives[pi].type, &n))) return rc;
        n->min_size = primitives[pi].min_size;
        parse_logical(obj, n);
    } else if (strcmp(t, "record") == 0 || strcmp(t, "error") == 0) {
        if ((rc = new_node(ps, FL_AVRO_RECORD, &n)) || (rc = parse_record(ps, obj, ns, depth, n)))
            return rc;
    } else if (strcmp(t, "enum") == 0) {
        if ((rc = new_node(ps, FL_AVRO_ENUM, &n)) || (rc = parse_enum(ps, obj, ns, n))) return rc;
    } else if (strcmp(t, "fixed") == 0) {
        if ((rc = new_node(ps, FL_AVRO_FIXED, &n)) || (rc = parse_fixed(ps, obj, ns, n))) return rc;
    } else if (strcmp(t, "array") == 0 || strcmp(t, "map") == 0) {
        bool arr = t[0] == 'a';
        json_t *ij = json_object_get(obj, arr ? "items" : "values");
        if (!ij)
            return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: %s without %s", t,
                           arr ? "items" : "values");
        if ((rc = new_node(ps, arr ? FL_AVRO_ARRAY : FL_AVRO_MAP, &n))) return rc;
        if ((rc = parse_type(ps, ij, ns, depth + 1, &n->items))) return rc;
        if ((rc = get_id(ps, obj, "element-id", &n->element_id)) ||
            (rc = get_id(ps, obj, "key-id", &n->key_id)) ||
            (rc = get_id(ps, obj, "value-id", &n->value_id)))
            return rc;
        n->min_size = 1;
        parse_logical(obj, n);
    } else {
        /* {"type": "SomeName"} refers to a named type */
        return parse_type(ps, tj, ns, depth + 1, out);
    }
    *out = n;
    return FL_OK;
}

static fl_err_t parse_type(struct parser *ps, json_t *j, const char *ns, int depth,
                           struct fl_avro_node **out) {
    if (depth > FL_AVRO_SCHEMA_MAX_DEPTH)
        return fl_errf(ps->err, FL_ERR_LIMIT, "avro schema: nested deeper than %d",
                       FL_AVRO_SCHEMA_MAX_DEPTH);
    if (json_is_string(j)) {
        const char *t = json_string_value(j);
        int pi = primitive_index(t);
        if (pi >= 0) {
            fl_err_t rc = new_node(ps, primitives[pi].type, out);
            if (!rc) (*out)->min_size = primitives[pi].min_size;
            return rc;
        }
        struct fl_avro_node *n = NULL;
        if (!strchr(t, '.') && ns && *ns) {
            size_t nl = strlen(ns), tl = strlen(t);
            char *full = fl_malloc(nl + tl + 2);
            memcpy(full, ns, nl);
            full[nl] = '.';
            memcpy(full + nl + 1, t, tl + 1);
            n = lookup(ps->schema, full);
            fl_free(full);
        }
        if (!n) n = lookup(ps->schema, t);
        if (!n) return fl_errf(ps->err, FL_ERR_INVALID, "avro schema: unknown type \"%s\"", t);
        *out = n;
        return FL_OK;
    }
    if (json_is_array(j)) {
        fl_err_t rc = new_node(ps, FL_AVRO_UNION, out);
        return rc ? rc : parse_union(ps, j, ns, depth, *out);
    }
    if (json_is_object(j)) return parse_object(ps, j, ns, depth, out);
    return fl_errf(ps->err, FL_ERR_INVALID,
                   "avro schema: a type must be a string, array or object");
}

fl_err_t fl_avro_schema_parse(const char *json, size_t len, struct fl_avro_schema **schemap,
                              struct fl_error *err) {
    *schemap = NULL;
    if (len > FL_AVRO_SCHEMA_MAX_JSON)
        return fl_errf(err, FL_ERR_LIMIT, "avro schema: %zu bytes of JSON, cap %zu", len,
                       FL_AVRO_SCHEMA_MAX_JSON);
    struct fl_avro_schema *s = fl_calloc(1, sizeof(*s));
    s->json = fl_malloc(len + 1);
    if (len) memcpy(s->json, json, len);
    s->json[len] = '\0';
    s->json_len = len;
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_DECODE_ANY, &jerr);
    fl_err_t rc;
    if (!root) {
        rc = fl_errf(err, FL_ERR_INVALID, "avro schema: bad JSON at line %d column %d: %s",
                     jerr.line, jerr.column, jerr.text);
        goto out;
    }
    struct parser ps = {s, err};
    rc = parse_type(&ps, root, NULL, 0, &s->root);
    json_decref(root);
out:
    if (rc) {
        fl_avro_schema_free(s);
        return rc;
    }
    *schemap = s;
    return FL_OK;
}

void fl_avro_schema_free(struct fl_avro_schema *schema) {
    if (!schema) return;
    for (size_t i = 0; i < schema->nallocs; i++) fl_free(schema->allocs[i]);
    fl_free(schema->allocs);
    fl_free(schema->names);
    fl_free(schema->json);
    fl_free(schema);
}

const struct fl_avro_node *fl_avro_schema_root(const struct fl_avro_schema *schema) {
    return schema->root;
}

const char *fl_avro_schema_json(const struct fl_avro_schema *schema, size_t *len) {
    if (len) *len = schema->json_len;
    return schema->json;
}

const struct fl_avro_field *fl_avro_node_field(const struct fl_avro_node *node, const char *name,
                                               size_t *index) {
    if (!node || node->type != FL_AVRO_RECORD) return NULL;
    for (size_t i = 0; i < node->nfields; i++)
        if (strcmp(node->fields[i].name, name) == 0) {
            if (index) *index = i;
            return &node->fields[i];
        }
    return NULL;
}

const struct fl_avro_field *fl_avro_node_field_by_id(const struct fl_avro_node *node, int32_t id,
                                                     size_t *index) {
    if (!node || node->type != FL_AVRO_RECORD || id == FL_AVRO_NO_ID) return NULL;
    for (size_t i = 0; i < node->nfields; i++)
        if (node->fields[i].field_id == id) {
            if (index) *index = i;
            return &node->fields[i];
        }
    return NULL;
}

const struct fl_avro_node *fl_avro_node_nonnull(const struct fl_avro_node *node) {
    if (node->type != FL_AVRO_UNION || node->nbranches != 2) return node;
    if (node->branches[0]->type == FL_AVRO_NULL) return node->branches[1];
    if (node->branches[1]->type == FL_AVRO_NULL) return node->branches[0];
    return node;
}
