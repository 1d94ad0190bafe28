/*
 * pg_evolve.h - a mirror table's Iceberg schema following its source
 * table's columns (as a pgoutput Relation message or pg_catalog gives
 * them): the schema changes that make the mirror's columns those of the
 * source - a new column added (optional, a fresh field id), a column the
 * source no longer has dropped, a widened type promoted where Iceberg
 * allows it (int->long, float->double, a wider decimal of the same scale)
 * - or an error naming the table and column when it does not (e.g.
 * string->int, or dropping a primary key column). Columns are matched by
 * name: a rename reads as a drop and an add.
 */
#ifndef FL_CDC_PG_EVOLVE_H
#define FL_CDC_PG_EVOLVE_H

#include "core/err.h"
#include "core/schema.h"
#include "iceberg/evolve.h"
#include "iceberg/table.h"

/* One source column: its name and Iceberg type text (fl_pgt_map's). */
struct fl_cdc_src_col {
    const char *name;
    const char *type;
};

/* The changes (in order: drops, widenings, adds) that turn cur into the
 * source's columns; *out (free with fl_cdc_changes_free) owns copies of
 * the names and types. *nout = 0 when cur already matches. table names
 * the source table in errors. */
fl_err_t fl_cdc_schema_diff(const struct fl_schema *cur, const char *table,
                            const struct fl_cdc_src_col *cols, int ncols,
                            struct fl_ice_schema_change **out, int *nout, struct fl_error *err);
void fl_cdc_changes_free(struct fl_ice_schema_change *ch, int n);

/* fl_cdc_schema_diff against tbl's current schema and, when there are
 * changes, one schema commit making them (tbl refreshed). *nchanges
 * gets their count. */
fl_err_t fl_cdc_mirror_evolve(struct fl_ice_table *tbl, const char *table,
                              const struct fl_cdc_src_col *cols, int ncols, int *nchanges,
                              struct fl_error *err);

#endif
