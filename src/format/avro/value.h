/*
 * value.h - Avro datums as a small tagged tree, and the arena they live in.
 *
 * Why a tree and not a streaming put_long()/get_long() API: manifests are
 * small, Iceberg code wants to look fields up by name or field-id in any
 * order ("data_file" -> "file_path"), and one model serves both writing
 * and reading, so a round trip is a comparison of two trees. Values, their
 * children and their bytes are carved from a struct fl_avro_arena (chunks
 * of 64 KiB or more, a hard cap on the total), never allocated one by one;
 * fl_avro_arena_reset() drops them all at once.
 *
 * Every value knows its schema node. A value in a union slot has node set
 * to the union and type to the chosen branch; elsewhere node == type.
 * Strings are NUL-terminated (the NUL is not counted in len).
 */
#ifndef FL_FORMAT_AVRO_VALUE_H
#define FL_FORMAT_AVRO_VALUE_H

#include "core/err.h"
#include "format/avro/schema.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_avro_arena_chunk;

/* Embedded by its owner: _init sets the cap, _fini frees. */
struct fl_avro_arena {
    struct fl_avro_arena_chunk *head;
    size_t used; /* bytes handed out since the last reset */
    size_t max;  /* hard cap on used */
};

void fl_avro_arena_init(struct fl_avro_arena *arena, size_t max);
void fl_avro_arena_fini(struct fl_avro_arena *arena);
/* Forgets every value; keeps the first chunk for reuse. */
void fl_avro_arena_reset(struct fl_avro_arena *arena);
/* size zeroed bytes, 8-aligned; FL_ERR_LIMIT beyond the cap. */
fl_err_t fl_avro_arena_alloc(struct fl_avro_arena *arena, size_t size, void **out);

struct fl_avro_value {
    const struct fl_avro_node *node; /* declared schema of the slot */
    const struct fl_avro_node *type; /* concrete type (the branch in a union) */
    int32_t branch;                  /* union branch index, -1 outside unions */
    size_t n;                        /* record fields, array items, map entries */
    union {
        bool b;
        int32_t i; /* int, and the symbol index of an enum */
        int64_t l;
        float f;
        double d;
        struct {
            uint8_t *data;
            size_t len;
        } bytes;                     /* bytes, string, fixed */
        struct fl_avro_value *items; /* record fields in schema order, array items */
        struct {
            struct fl_avro_value *keys; /* strings */
            struct fl_avro_value *values;
        } map;
    } u;
};

/* Makes *val a default datum of node in arena: null, zero, empty, a record
 * with every field made the same way, the first branch of a union. The
 * setters below then fill it in. */
fl_err_t fl_avro_value_init(struct fl_avro_arena *arena, const struct fl_avro_node *node,
                            struct fl_avro_value *val);

/* Field of a record value by name or Iceberg field-id (NULL if none). For
 * a record in a union, the chosen branch is searched. */
struct fl_avro_value *fl_avro_value_field(const struct fl_avro_value *rec, const char *name);
struct fl_avro_value *fl_avro_value_field_by_id(const struct fl_avro_value *rec, int32_t id);
/* true when the value is null (also a null branch of a union). */
bool fl_avro_value_is_null(const struct fl_avro_value *val);

/*
 * Setters. In a union slot they pick the branch of the matching type
 * first (set_long also fits a long into an int branch when no long
 * branch exists and the value fits). FL_ERR_INVALID when the slot has no
 * such type, FL_ERR_RANGE when the value does not fit (fixed of another
 * size, int out of range, unknown enum symbol). Bytes are copied into
 * arena.
 */
fl_err_t fl_avro_value_set_null(struct fl_avro_value *val);
fl_err_t fl_avro_value_set_bool(struct fl_avro_value *val, bool b);
fl_err_t fl_avro_value_set_int(struct fl_avro_value *val, int32_t i);
fl_err_t fl_avro_value_set_long(struct fl_avro_value *val, int64_t l);
fl_err_t fl_avro_value_set_float(struct fl_avro_value *val, float f);
fl_err_t fl_avro_value_set_double(struct fl_avro_value *val, double d);
fl_err_t fl_avro_value_set_string(struct fl_avro_arena *arena, struct fl_avro_value *val,
                                  const char *s);
/* bytes or fixed (len must equal the fixed size); also string. */
fl_err_t fl_avro_value_set_bytes(struct fl_avro_arena *arena, struct fl_avro_value *val,
                                 const void *data, size_t len);
fl_err_t fl_avro_value_set_enum(struct fl_avro_value *val, const char *symbol);
/* Selects the record/array/map branch of a union slot (and initialises
 * it) so that its fields or items can be set. */
fl_err_t fl_avro_value_select(struct fl_avro_arena *arena, struct fl_avro_value *val,
                              fl_avro_type_t type);
/* Makes an array value hold n default items (or a map n entries, keys
 * empty strings), replacing what it held. */
fl_err_t fl_avro_value_resize(struct fl_avro_arena *arena, struct fl_avro_value *val, size_t n);

/* The schema node of map keys (a plain string). */
const struct fl_avro_node *fl_avro_value_key_node(void);

/* Deep equality of two datums (same types, same values; floats by bits). */
bool fl_avro_value_equal(const struct fl_avro_value *a, const struct fl_avro_value *b);

#endif
