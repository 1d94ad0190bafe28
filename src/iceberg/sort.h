/*
 * sort.h - Iceberg sort orders (format/spec.md, "Sort Orders"): a
 * table's sort orders read from its metadata, built from terms as users
 * write them, and the rows of a batch ordered by one (a permutation of
 * row indexes; the batch itself is not moved).
 */
#ifndef FL_ICEBERG_SORT_H
#define FL_ICEBERG_SORT_H

#include "batch/batch.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/schema.h"
#include "iceberg/metadata.h"
#include "iceberg/transform.h"

#include <stdbool.h>
#include <stdint.h>

struct fl_ice_sort_field {
    int32_t source_id;
    int col; /* index of the source column in the bound schema, -1 unbound */
    struct fl_ice_transform transform;
    bool desc;
    bool nulls_first;
};

struct fl_ice_sort_order {
    int32_t order_id; /* 0 is the unsorted order */
    struct fl_ice_sort_field *fields;
    int nfields;
};

/* The table's default sort order bound to its current schema; *out is
 * NULL when it is the unsorted order. FL_ERR_UNSUPPORTED, with the
 * field named, for what floe cannot sort by: an unknown transform or
 * direction, a multi-argument field (source-ids), a source column not
 * in the current schema or not a top-level primitive; FL_ERR_CORRUPT
 * when default-sort-order-id names no order. The caller owns *out. */
fl_err_t fl_ice_sort_order_default(const struct fl_ice_meta *meta, struct fl_ice_sort_order **out,
                                   struct fl_error *err);

/* A sort order (order id 0, to be assigned) from terms as Spark's WRITE
 * ORDERED BY takes them: "col", "day(ts)", "bucket(16, id)",
 * "truncate(4, name)", each followed by "asc" (default) or "desc" and
 * "nulls first" or "nulls last" (default: first for asc, last for desc,
 * as Iceberg Java's SortOrder builder). The caller owns *out. */
fl_err_t fl_ice_sort_order_from_terms(const struct fl_schema *schema, const char *const *terms,
                                      int nterms, struct fl_ice_sort_order **out,
                                      struct fl_error *err);

/* Appends {"order-id":N,"fields":[{"transform","source-id","direction",
 * "null-order"}]}. */
fl_err_t fl_ice_sort_order_to_json(const struct fl_ice_sort_order *so, struct fl_buf *out);
void fl_ice_sort_order_free(struct fl_ice_sort_order *so);

/* Fills perm[0..batch->nrows) with the batch's row indexes in the order
 * (stable: equal rows keep their input order). Values compare as
 * Iceberg's comparators do: numbers numerically (floats with -0 before
 * +0 and NaN after everything), strings and binary as unsigned bytes,
 * after the field's transform. tmp is scratch of nrows entries; the
 * batch's schema must be the one so is bound to. No allocation. */
void fl_ice_sort_perm(const struct fl_ice_sort_order *so, const struct fl_batch *batch,
                      uint32_t *perm, uint32_t *tmp);

#endif
