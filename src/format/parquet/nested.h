/*
 * nested.h - Parquet nested columns: the plan that maps a top-level group
 * (or a repeated field) of a Parquet schema to an Iceberg struct, list or
 * map, and the assembly of its leaves' repetition and definition levels
 * back into one JSON text per row (batch.h's representation of nested
 * values).
 *
 * The plan follows parquet-format LogicalTypes.md: 3-level LIST and MAP
 * groups, and the backward-compatibility rules for 2-level lists (a
 * repeated primitive or a repeated group with several fields, or one
 * named "array" or "<list>_tuple", is the element itself), MAP_KEY_VALUE,
 * and a repeated field outside any LIST annotation (a required list of
 * required elements). Field ids come from the file (element, key and
 * value ids included) or from a counter when the file has none.
 *
 * Assembly reads each leaf as a stream of (rep, def, value) entries that
 * the reader decodes a page at a time (levels in bulk, values converted
 * into a leaf column); it never allocates per value. A leaf whose entries
 * disagree with the first leaf of its field is reported as corrupt, never
 * turned into a plausible wrong row.
 */
#ifndef FL_FORMAT_PARQUET_NESTED_H
#define FL_FORMAT_PARQUET_NESTED_H

#include "batch/batch.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/schema.h"
#include "format/parquet/meta.h"

#include <stdbool.h>
#include <stdint.h>

enum { FL_PQ_NK_PRIM, FL_PQ_NK_STRUCT, FL_PQ_NK_LIST, FL_PQ_NK_MAP };

struct fl_pq_nnode {
    int kind;
    const char *name; /* Parquet name (struct members), borrowed from the meta */
    bool nullable;
    int16_t def;      /* the value is present (not null) iff the entry's def >= def */
    int16_t elem_def; /* list/map: at least one entry iff def >= elem_def */
    int16_t rep;      /* list/map: the repetition level of its entries */
    int first, last;  /* leaves under the node: plan leaf indexes [first, last] */
    int kid0, nkids;  /* children: plan->kids[kid0 .. kid0 + nkids) */
    int leaf;         /* prim: plan leaf index */
    bool str_keys;    /* map: keys are strings (printed as a JSON object) */
    int32_t id;       /* the Iceberg field id of the value (the root's: 0) */
    bool file_id;     /* id came from the file (else members match by name) */
};

/* Types a primitive Parquet element as an Iceberg field (the reader's
 * mapping); fills why and fails for a type it cannot read. */
typedef fl_err_t (*fl_pq_leaf_type_fn)(const struct fl_pq_schema_elem *el, struct fl_field *f,
                                       int *conv, char *why, size_t whysz);

struct fl_pq_nested {
    struct fl_pq_nnode *nodes; /* nodes[0] is the top-level field */
    int nnodes;
    int *kids;
    int nkids;
    int *leaves; /* per plan leaf: the file's leaf (column chunk) index */
    int *conv;   /* per plan leaf: the reader's conversion */
    int nleaves;
    struct fl_schema *leaf_schema; /* per plan leaf: its Iceberg type, for value columns */
};

/* Builds the plan of top-level element top_elem (its leaves are the file's
 * leaves [leaf0, leaf0 + nleaves)) and fills *field (ids: the file's when
 * use_ids, else from *next_id). On FL_ERR_UNSUPPORTED why says what
 * cannot be read; FL_ERR_CORRUPT for a malformed LIST or MAP. */
fl_err_t fl_pq_nested_build(const struct fl_pq_file_meta *m, int top_elem, int leaf0, int nleaves,
                            bool use_ids, int32_t *next_id, fl_pq_leaf_type_fn type_fn,
                            struct fl_pq_nested **out, struct fl_field *field, char *why,
                            size_t whysz);
void fl_pq_nested_free(struct fl_pq_nested *n);

/* One leaf's decoded page as assembly sees it. */
struct fl_pq_nleaf {
    const uint8_t *reps, *defs; /* n levels each (reps NULL when max_rep is 0) */
    size_t n, i;                /* levels in the page, next one */
    const struct fl_col *vals;  /* the page's non-null values, converted */
    size_t vi;                  /* next value */
    int16_t max_def;
    bool eof; /* no page left in the column chunk */
};

/* Loads the leaf's next page (sets n, i = 0, vals, vi = 0) or sets eof. */
typedef fl_err_t (*fl_pq_nleaf_refill_fn)(void *ctx, int leaf, struct fl_error *err);

struct fl_pq_assembler {
    const struct fl_pq_nested *plan;
    struct fl_pq_nleaf *leaves; /* plan->nleaves, filled by the reader */
    fl_pq_nleaf_refill_fn refill;
    void *ctx;
    const char *name; /* column name, for errors */
    /* The table's field to shape values after (NULL: the file's shape):
     * struct members matched by id (by name without file ids), named as
     * in it, their initial-default (else null) when the file lacks them,
     * left out when it does; a variant field (format/parquet/variant.h)
     * is read as its JSON text. */
    const struct fl_field *target;
    struct fl_buf discard;  /* members the target leaves out */
    struct fl_buf vscratch; /* a shredded variant's typed value, encoded */
    /* the JSON text of the target's members' initial-defaults, made the
     * first time a file lacks the member (NULL text: null) */
    struct fl_pq_ndefault {
        const struct fl_field *field;
        char *json;
    } * defaults;
    int ndefaults;
};

/* Frees what assembly allocated (a zeroed assembler too). */
void fl_pq_assembler_fini(struct fl_pq_assembler *a);

/* Appends the next row's value (JSON text, or a null) to col. */
fl_err_t fl_pq_assemble_row(struct fl_pq_assembler *a, struct fl_col *col, struct fl_buf *scratch,
                            struct fl_error *err);
/* Skips the next row in every leaf. */
fl_err_t fl_pq_skip_row(struct fl_pq_assembler *a, struct fl_error *err);

#endif
