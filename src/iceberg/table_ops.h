/*
 * table_ops.h - the catalog as an Iceberg table sees it: the one
 * interface through which iceberg/table.c finds, registers and commits
 * tables (as Iceberg Java's TableOperations, which JdbcTableOperations
 * and HiveTableOperations implement).
 *
 * A catalog keeps, for each table ns.name, the location of its current
 * metadata file; the commit point of every table change is the catalog's
 * compare-and-swap of that location. iceberg/ defines the operations and
 * includes nothing from catalog/; a catalog (catalog/catalog.c, the SQL
 * catalog) embeds struct fl_ice_catalog and fills in the table of
 * function pointers, so catalog/ depends on iceberg/, the floor below
 * it, and never the other way. A table opened by path has no catalog
 * (NULL).
 */
#ifndef FL_ICEBERG_TABLE_OPS_H
#define FL_ICEBERG_TABLE_OPS_H

#include "core/err.h"

#include <stddef.h>

struct fl_ice_catalog;

struct fl_ice_catalog_ops {
    /* Puts the current metadata location of ns.name into out (outsz
     * bytes). FL_ERR_NOTFOUND when there is no such table, FL_ERR_LIMIT
     * when the location does not fit. */
    fl_err_t (*load)(struct fl_ice_catalog *icat, const char *ns, const char *name, char *out,
                     size_t outsz, struct fl_error *err);
    /* Makes sure namespace ns exists (creating it when missing; a
     * concurrent creator is no error). FL_ERR_INVALID for a bad name.
     * Called before anything of a new table is written. */
    fl_err_t (*ns_ensure)(struct fl_ice_catalog *icat, const char *ns, struct fl_error *err);
    /* Registers the new table ns.name at its first metadata location.
     * FL_ERR_EXISTS when the name is taken. */
    fl_err_t (*create)(struct fl_ice_catalog *icat, const char *ns, const char *name,
                       const char *location, struct fl_error *err);
    /* Compare-and-swap of ns.name's location from expected to location:
     * FL_ERR_CONFLICT (and no change) when another writer moved it first,
     * FL_ERR_NOTFOUND when the table is gone. */
    fl_err_t (*commit)(struct fl_ice_catalog *icat, const char *ns, const char *name,
                       const char *expected, const char *location, struct fl_error *err);
};

/* Embedded in a catalog's own struct; the ops get it back as icat. */
struct fl_ice_catalog {
    const struct fl_ice_catalog_ops *ops;
};

#endif
