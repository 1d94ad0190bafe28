/*
 * value.c - the arena and the tagged datum tree of value.h.
 *
 * The arena is a list of chunks with a bump pointer; a request larger than
 * the default chunk gets a chunk of its own. The cap counts the bytes
 * handed out, so a file that announces a billion array items fails with
 * FL_ERR_LIMIT before anything that large is allocated.
 */
#include "format/avro/value.h"
#include "core/mem.h"

#include <string.h>

#define CHUNK_MIN ((size_t)64 << 10)

struct fl_avro_arena_chunk {
    struct fl_avro_arena_chunk *next;
    size_t size, used;
    _Alignas(16) uint8_t data[];
};

void fl_avro_arena_init(struct fl_avro_arena *arena, size_t max) {
    arena->head = NULL;
    arena->used = 0;
    arena->max = max;
}

static void free_chunks(struct fl_avro_arena_chunk *c) {
    while (c) {
        struct fl_avro_arena_chunk *next = c->next;
        fl_free(c);
        c = next;
    }
}

void fl_avro_arena_fini(struct fl_avro_arena *arena) {
    free_chunks(arena->head);
    arena->head = NULL;
    arena->used = 0;
}

void fl_avro_arena_reset(struct fl_avro_arena *arena) {
    struct fl_avro_arena_chunk *keep = arena->head;
    if (keep) {
        free_chunks(keep->next);
        keep->next = NULL;
        keep->used = 0;
    }
    arena->used = 0;
}

fl_err_t fl_avro_arena_alloc(struct fl_avro_arena *arena, size_t size, void **out) {
    size_t sz = (size + 15) & ~(size_t)15, total;
    if (sz < size || !fl_add_ok(arena->used, sz, &total) || total > arena->max) return FL_ERR_LIMIT;
    struct fl_avro_arena_chunk *c = arena->head;
    if (!c || c->size - c->used < sz) {
        size_t csize = sz > CHUNK_MIN ? sz : CHUNK_MIN;
        c = fl_malloc(sizeof(*c) + csize);
        c->size = csize;
        c->used = 0;
        if (arena->head && sz > CHUNK_MIN) {
            /* a big one-off: keep the current chunk in front for small ones */
            c->next = arena->head->next;
            arena->head->next = c;
        } else {
            c->next = arena->head;
            arena->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += sz;
    arena->used = total;
    memset(p, 0, size);
    *out = p;
    return FL_OK;
}

static const struct fl_avro_node key_node = {.type = FL_AVRO_STRING,
                                             .min_size = 1,
                                             .element_id = FL_AVRO_NO_ID,
                                             .key_id = FL_AVRO_NO_ID,
                                             .value_id = FL_AVRO_NO_ID};

const struct fl_avro_node *fl_avro_value_key_node(void) { return &key_node; }

static fl_err_t init_typed(struct fl_avro_arena *arena, const struct fl_avro_node *type,
                           struct fl_avro_value *val, int depth);

/* Initialises val as a datum of node (a union picks null, else branch 0). */
static fl_err_t init_slot(struct fl_avro_arena *arena, const struct fl_avro_node *node,
                          struct fl_avro_value *val, int depth) {
    if (depth > FL_AVRO_SCHEMA_MAX_DEPTH) return FL_ERR_LIMIT;
    memset(val, 0, sizeof(*val));
    val->node = node;
    val->branch = -1;
    if (node->type != FL_AVRO_UNION) return init_typed(arena, node, val, depth);
    size_t b = 0;
    for (size_t i = 0; i < node->nbranches; i++)
        if (node->branches[i]->type == FL_AVRO_NULL) {
            b = i;
            break;
        }
    val->branch = (int32_t)b;
    return init_typed(arena, node->branches[b], val, depth);
}

static fl_err_t init_typed(struct fl_avro_arena *arena, const struct fl_avro_node *type,
                           struct fl_avro_value *val, int depth) {
    fl_err_t rc = FL_OK;
    void *p;
    val->type = type;
    val->n = 0;
    memset(&val->u, 0, sizeof(val->u));
    switch (type->type) {
    case FL_AVRO_STRING:
    case FL_AVRO_BYTES:
        if ((rc = fl_avro_arena_alloc(arena, 1, &p))) return rc;
        val->u.bytes.data = p;
        break;
    case FL_AVRO_FIXED:
        if ((rc = fl_avro_arena_alloc(arena, type->size + 1, &p))) return rc;
        val->u.bytes.data = p;
        val->u.bytes.len = type->size;
        break;
    case FL_AVRO_RECORD: {
        size_t sz;
        if (!fl_mul_ok(type->nfields, sizeof(struct fl_avro_value), &sz)) return FL_ERR_LIMIT;
        if ((rc = fl_avro_arena_alloc(arena, sz, &p))) return rc;
        val->u.items = p;
        val->n = type->nfields;
        for (size_t i = 0; i < type->nfields && !rc; i++)
            rc = init_slot(arena, type->fields[i].type, &val->u.items[i], depth + 1);
        break;
    }
    default:
        break;
    }
    return rc;
}

fl_err_t fl_avro_value_init(struct fl_avro_arena *arena, const struct fl_avro_node *node,
                            struct fl_avro_value *val) {
    return init_slot(arena, node, val, 0);
}

static const struct fl_avro_value *branch_record(const struct fl_avro_value *v) {
    return v && v->type && v->type->type == FL_AVRO_RECORD ? v : NULL;
}

struct fl_avro_value *fl_avro_value_field(const struct fl_avro_value *rec, const char *name) {
    size_t i;
    if (!(rec = branch_record(rec)) || !fl_avro_node_field(rec->type, name, &i)) return NULL;
    return &rec->u.items[i];
}

struct fl_avro_value *fl_avro_value_field_by_id(const struct fl_avro_value *rec, int32_t id) {
    size_t i;
    if (!(rec = branch_record(rec)) || !fl_avro_node_field_by_id(rec->type, id, &i)) return NULL;
    return &rec->u.items[i];
}

bool fl_avro_value_is_null(const struct fl_avro_value *val) {
    return !val || !val->type || val->type->type == FL_AVRO_NULL;
}

/* Points val at the branch (or plain type) of type t; -1 if none. */
static int find_branch(const struct fl_avro_node *node, fl_avro_type_t t) {
    if (node->type != FL_AVRO_UNION) return node->type == t ? 0 : -1;
    for (size_t i = 0; i < node->nbranches; i++)
        if (node->branches[i]->type == t) return (int)i;
    return -1;
}

static fl_err_t pick(struct fl_avro_value *val, fl_avro_type_t t) {
    int b = find_branch(val->node, t);
    if (b < 0) return FL_ERR_INVALID;
    if (val->node->type == FL_AVRO_UNION) {
        val->branch = b;
        val->type = val->node->branches[b];
    } else {
        val->type = val->node;
    }
    val->n = 0;
    return FL_OK;
}

fl_err_t fl_avro_value_set_null(struct fl_avro_value *val) {
    fl_err_t rc = pick(val, FL_AVRO_NULL);
    if (!rc) memset(&val->u, 0, sizeof(val->u));
    return rc;
}

fl_err_t fl_avro_value_set_bool(struct fl_avro_value *val, bool b) {
    fl_err_t rc = pick(val, FL_AVRO_BOOLEAN);
    if (!rc) val->u.b = b;
    return rc;
}

fl_err_t fl_avro_value_set_int(struct fl_avro_value *val, int32_t i) {
    if (find_branch(val->node, FL_AVRO_INT) < 0) return fl_avro_value_set_long(val, i);
    fl_err_t rc = pick(val, FL_AVRO_INT);
    if (!rc) val->u.i = i;
    return rc;
}

fl_err_t fl_avro_value_set_long(struct fl_avro_value *val, int64_t l) {
    if (find_branch(val->node, FL_AVRO_LONG) < 0) {
        if (find_branch(val->node, FL_AVRO_INT) < 0) return FL_ERR_INVALID;
        if (l < INT32_MIN || l > INT32_MAX) return FL_ERR_RANGE;
        pick(val, FL_AVRO_INT);
        val->u.i = (int32_t)l;
        return FL_OK;
    }
    pick(val, FL_AVRO_LONG);
    val->u.l = l;
    return FL_OK;
}

fl_err_t fl_avro_value_set_float(struct fl_avro_value *val, float f) {
    if (find_branch(val->node, FL_AVRO_FLOAT) < 0) return fl_avro_value_set_double(val, f);
    pick(val, FL_AVRO_FLOAT);
    val->u.f = f;
    return FL_OK;
}

fl_err_t fl_avro_value_set_double(struct fl_avro_value *val, double d) {
    fl_err_t rc = pick(val, FL_AVRO_DOUBLE);
    if (!rc) val->u.d = d;
    return rc;
}

static fl_err_t copy_bytes(struct fl_avro_arena *arena, struct fl_avro_value *val, const void *data,
                           size_t len) {
    void *p;
    size_t sz;
    if (!fl_add_ok(len, 1, &sz)) return FL_ERR_LIMIT;
    fl_err_t rc = fl_avro_arena_alloc(arena, sz, &p);
    if (rc) return rc;
    if (len) memcpy(p, data, len);
    val->u.bytes.data = p;
    val->u.bytes.len = len;
    return FL_OK;
}

fl_err_t fl_avro_value_set_string(struct fl_avro_arena *arena, struct fl_avro_value *val,
                                  const char *s) {
    fl_err_t rc = pick(val, FL_AVRO_STRING);
    return rc ? rc : copy_bytes(arena, val, s, strlen(s));
}

fl_err_t fl_avro_value_set_bytes(struct fl_avro_arena *arena, struct fl_avro_value *val,
                                 const void *data, size_t len) {
    int b;
    if ((b = find_branch(val->node, FL_AVRO_FIXED)) >= 0) {
        const struct fl_avro_node *t =
            val->node->type == FL_AVRO_UNION ? val->node->branches[b] : val->node;
        if (t->size != len) return FL_ERR_RANGE;
        pick(val, FL_AVRO_FIXED);
    } else if (pick(val, FL_AVRO_BYTES) && pick(val, FL_AVRO_STRING)) {
        return FL_ERR_INVALID;
    }
    return copy_bytes(arena, val, data, len);
}

fl_err_t fl_avro_value_set_enum(struct fl_avro_value *val, const char *symbol) {
    fl_err_t rc = pick(val, FL_AVRO_ENUM);
    if (rc) return rc;
    for (size_t i = 0; i < val->type->nsymbols; i++)
        if (strcmp(val->type->symbols[i], symbol) == 0) {
            val->u.i = (int32_t)i;
            return FL_OK;
        }
    return FL_ERR_RANGE;
}

fl_err_t fl_avro_value_select(struct fl_avro_arena *arena, struct fl_avro_value *val,
                              fl_avro_type_t type) {
    fl_err_t rc = pick(val, type);
    return rc ? rc : init_typed(arena, val->type, val, 0);
}

fl_err_t fl_avro_value_resize(struct fl_avro_arena *arena, struct fl_avro_value *val, size_t n) {
    const struct fl_avro_node *t = val->type;
    if (!t || (t->type != FL_AVRO_ARRAY && t->type != FL_AVRO_MAP)) return FL_ERR_INVALID;
    bool map = t->type == FL_AVRO_MAP;
    size_t sz;
    void *items, *keys = NULL;
    if (!fl_mul_ok(n ? n : 1, sizeof(struct fl_avro_value), &sz)) return FL_ERR_LIMIT;
    fl_err_t rc = fl_avro_arena_alloc(arena, sz, &items);
    if (!rc && map) rc = fl_avro_arena_alloc(arena, sz, &keys);
    for (size_t i = 0; i < n && !rc; i++) {
        rc = init_slot(arena, t->items, (struct fl_avro_value *)items + i, 1);
        if (!rc && map) rc = init_slot(arena, &key_node, (struct fl_avro_value *)keys + i, 1);
    }
    if (rc) return rc;
    if (map) {
        val->u.map.keys = keys;
        val->u.map.values = items;
    } else {
        val->u.items = items;
    }
    val->n = n;
    return FL_OK;
}

bool fl_avro_value_equal(const struct fl_avro_value *a, const struct fl_avro_value *b) {
    if (a->type->type != b->type->type || a->branch != b->branch) return false;
    switch (a->type->type) {
    case FL_AVRO_NULL:
        return true;
    case FL_AVRO_BOOLEAN:
        return a->u.b == b->u.b;
    case FL_AVRO_INT:
    case FL_AVRO_ENUM:
        return a->u.i == b->u.i;
    case FL_AVRO_LONG:
        return a->u.l == b->u.l;
    case FL_AVRO_FLOAT:
        return memcmp(&a->u.f, &b->u.f, sizeof(float)) == 0;
    case FL_AVRO_DOUBLE:
        return memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0;
    case FL_AVRO_BYTES:
    case FL_AVRO_STRING:
    case FL_AVRO_FIXED:
        return a->u.bytes.len == b->u.bytes.len &&
               (a->u.bytes.len == 0 ||
                memcmp(a->u.bytes.data, b->u.bytes.data, a->u.bytes.len) == 0);
    case FL_AVRO_RECORD:
    case FL_AVRO_ARRAY:
        if (a->n != b->n) return false;
        for (size_t i = 0; i < a->n; i++)
            if (!fl_avro_value_equal(&a->u.items[i], &b->u.items[i])) return false;
        return true;
    case FL_AVRO_MAP:
        if (a->n != b->n) return false;
        for (size_t i = 0; i < a->n; i++)
            if (!fl_avro_value_equal(&a->u.map.keys[i], &b->u.map.keys[i]) ||
                !fl_avro_value_equal(&a->u.map.values[i], &b->u.map.values[i]))
                return false;
        return true;
    case FL_AVRO_UNION:
        return false;
    }
    return false;
}
