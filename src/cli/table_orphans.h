/*
 * table_orphans.h - `floe table clean-orphans`: the report of orphan
 * cleanup for a table and for the warehouse's upload leftovers
 * (cmd_table.c parses the command line and opens the table).
 */
#ifndef FL_CLI_TABLE_ORPHANS_H
#define FL_CLI_TABLE_ORPHANS_H

#include "iceberg/table.h"
#include "store/store.h"

#include <stdint.h>

/* Cleans tbl's orphans (tbl may be NULL) and, when uploads is not NULL,
 * the temporary files under that warehouse store's uploads/; only files
 * modified before older_than_ms (FL_ICE_EXPIRE_UNSET: the default age)
 * go. Prints counts and bytes, and with dry_run each file it would
 * delete, deleting nothing. Returns the exit code. */
int fl_cli_table_clean_orphans(struct fl_ice_table *tbl, struct fl_store *uploads,
                               int64_t older_than_ms, int dry_run);

#endif
