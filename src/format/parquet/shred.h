/*
 * shred.h - nested values (JSON text, batch.h's representation of struct,
 * list and map columns) shredded into the repetition levels, definition
 * levels and values of their Parquet leaves, in the standard layouts of
 * parquet-format LogicalTypes.md:
 *
 *   <opt> group f (LIST) { repeated group list { <opt> element } }
 *   <opt> group f (MAP) { repeated group key_value { required key; <opt> value } }
 *   <opt> group f { fields }
 *
 * The JSON is read by yajl's event parser straight into the leaves (no
 * tree, no allocation per value): a struct takes an object (missing keys
 * and keys of no field are null and ignored), a list an array, a map an
 * object (keys converted to the key type) or an array of
 * {"key":..,"value":..} objects. Leaf values go through the batch's JSON
 * conversions (fl_col_append_jscalar).
 */
#ifndef FL_FORMAT_PARQUET_SHRED_H
#define FL_FORMAT_PARQUET_SHRED_H

#include "batch/batch.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/schema.h"

#include <stdbool.h>
#include <stdint.h>

/* One leaf's shredded entries since the last reset. */
struct fl_pq_shred_leaf {
    const struct fl_field *field; /* the leaf in the schema */
    const char **path;            /* names from the top-level field down */
    int npath;
    int16_t max_def, max_rep;
    bool optional;            /* the leaf element's own repetition */
    struct fl_col *vals;      /* one value (or null) per entry */
    struct fl_buf defs, reps; /* one level per entry */
    struct fl_buf rows;       /* uint32 entry index where each row starts, and the end */
};

struct fl_pq_shredder;

/* A shredder for the nested top-level field f (borrowed: it must outlive
 * the shredder). */
fl_err_t fl_pq_shredder_new(const struct fl_field *f, struct fl_pq_shredder **out,
                            struct fl_error *err);
void fl_pq_shredder_free(struct fl_pq_shredder *sh);

int fl_pq_shredder_nleaves(const struct fl_pq_shredder *sh);
struct fl_pq_shred_leaf *fl_pq_shredder_leaf(struct fl_pq_shredder *sh, int i);

/* Empties every leaf (rows start again at 0). */
void fl_pq_shredder_reset(struct fl_pq_shredder *sh);

/* Shreds one row: the JSON text (len bytes), or a null when json is NULL.
 * On error the leaves are back as before the row and err names the path. */
fl_err_t fl_pq_shred_row(struct fl_pq_shredder *sh, const uint8_t *json, size_t len,
                         struct fl_error *err);

#endif
