/*
 * table_maintain.h - `floe table maintain`: expiry, compaction and
 * orphan cleanup in one (cmd_table.c parses the command line and opens
 * the table).
 */
#ifndef FL_CLI_TABLE_MAINTAIN_H
#define FL_CLI_TABLE_MAINTAIN_H

#include "cli/table_compact.h"
#include "cli/table_expire.h"
#include "iceberg/table.h"

/* Runs on tbl, as floe up's maintenance does, expiry with the table's
 * history.expire.* properties, then bin-pack compaction with the
 * table's defaults, then orphan cleanup with the default age; each
 * step prints its summary as its own command does and the first that
 * fails stops the rest. With dry_run in ex, every step is a dry run.
 * ex and co are the command line's: an option of one of the single
 * commands (other is non-zero for one ex and co do not hold) is refused
 * with exit code 2, since maintain uses each action's defaults.
 * Returns the exit code. */
int fl_cli_table_maintain(struct fl_ice_table *tbl, const struct fl_cli_expire_args *ex,
                          const struct fl_cli_compact_args *co, int other);

#endif
