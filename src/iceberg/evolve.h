/*
 * evolve.h - changing a table's schema, partitioning and properties,
 * each as a new metadata version committed with retries (see evolve.c).
 */
#ifndef FL_ICEBERG_EVOLVE_H
#define FL_ICEBERG_EVOLVE_H

#include "iceberg/table.h"

#include <stdbool.h>

typedef enum {
    FL_ICE_ADD_COLUMN,
    FL_ICE_RENAME_COLUMN,
    FL_ICE_DROP_COLUMN,
    FL_ICE_WIDEN_COLUMN
} fl_ice_schema_change_kind_t;

struct fl_ice_schema_change {
    fl_ice_schema_change_kind_t kind;
    const char *name;     /* the column (top level) */
    const char *new_name; /* rename */
    const char *type;     /* add, widen: an Iceberg type text */
    bool required;        /* add: only while the table has no snapshot */
};

/* Applies the changes in order as one new schema, made current. */
fl_err_t fl_ice_table_evolve_schema(struct fl_ice_table *tbl, const struct fl_ice_schema_change *ch,
                                    int n, struct fl_error *err);
/* A new partition spec from terms ("day(ts)", "bucket(16, id)", "col";
 * none = unpartitioned), made the default for new data. */
fl_err_t fl_ice_table_set_partitioning(struct fl_ice_table *tbl, const char *const *terms, int n,
                                       struct fl_error *err);
/* Makes the sort order of terms ("id", "day(ts) desc", "name asc nulls
 * last": fl_ice_sort_order_from_terms) the table's default, reusing an
 * equal order's id; no terms = unsorted (order 0). Compaction then
 * writes its rows in that order. */
fl_err_t fl_ice_table_set_sort_order(struct fl_ice_table *tbl, const char *const *terms, int n,
                                     struct fl_error *err);
/* Sets (value != NULL) or removes (value == NULL) table properties. */
fl_err_t fl_ice_table_set_properties(struct fl_ice_table *tbl, const char *const *keys,
                                     const char *const *values, int n, struct fl_error *err);

#endif
