/*
 * warehouse.h - how the table-facing commands (floe table, floe sql) find
 * the warehouse and its catalog: --warehouse / --catalog, else
 * FLOE_WAREHOUSE / FLOE_CATALOG, else ./warehouse and, for a local
 * warehouse, sqlite:<warehouse>/catalog.db.
 */
#ifndef FL_CLI_WAREHOUSE_H
#define FL_CLI_WAREHOUSE_H

#include "catalog/catalog.h"
#include "core/err.h"
#include "store/store.h"

/* "file:///abs/path" for a local path (relative to the working
 * directory), the URI as it is otherwise. The caller frees it. */
char *fl_cli_to_uri(const char *path_or_uri);

/* Opens the warehouse store and the catalog (both NULL arguments fall back
 * as above; a local warehouse folder is created). On failure nothing is
 * left open. */
fl_err_t fl_cli_warehouse_open(const char *warehouse, const char *catalog, struct fl_store **st,
                               struct fl_catalog **cat, struct fl_error *err);

#endif
