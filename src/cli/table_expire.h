/*
 * table_expire.h - `floe table expire`: its options and its report
 * (cmd_table.c parses the command line and opens the table).
 */
#ifndef FL_CLI_TABLE_EXPIRE_H
#define FL_CLI_TABLE_EXPIRE_H

#include "core/err.h"
#include "iceberg/table.h"

#include <stdint.h>

#define FL_CLI_EXPIRE_IDS_MAX 64

struct fl_cli_expire_args {
    int64_t older_than_ms; /* FL_ICE_EXPIRE_UNSET when not given */
    int64_t retain_last;   /* 0 when not given */
    int64_t ids[FL_CLI_EXPIRE_IDS_MAX];
    int nids;
    int dry_run;
};

/* --older-than TS: ISO-8601 ("2026-12-01T00:00:00Z"), epoch
 * milliseconds, "now", or a duration back from now ("3d", "12h", "15m",
 * "90s", "0s"); target is a struct fl_cli_expire_args. */
fl_err_t fl_cli_expire_opt_older_than(void *target, const char *v, struct fl_error *err);
/* --snapshot-id ID, repeatable. */
fl_err_t fl_cli_expire_opt_snapshot_id(void *target, const char *v, struct fl_error *err);

/* Runs the expiry on tbl and prints what it expired and deleted (with
 * dry_run, what it would, file by file). Returns the exit code. */
int fl_cli_table_expire(struct fl_ice_table *tbl, const struct fl_cli_expire_args *a);

#endif
