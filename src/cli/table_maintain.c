/*
 * table_maintain.c - `floe table maintain T [--dry-run]`: the three
 * maintenance actions in the order of floe up's maintenance
 * (pipeline/maintain.c): snapshot expiry with the table's
 * history.expire.* properties (Iceberg's defaults: 5 days, keep 1),
 * bin-pack compaction with the table's defaults, and orphan cleanup of
 * files older than 3 days. Each step is the single command's function,
 * so it prints the same summary; the first error stops the rest.
 */
#include "cli/table_maintain.h"
#include "cli/table_orphans.h"
#include "iceberg/expire.h"

#include <stdio.h>

int fl_cli_table_maintain(struct fl_ice_table *tbl, const struct fl_cli_expire_args *ex,
                          const struct fl_cli_compact_args *co, int other) {
    const char *bad = ex->older_than_ms != FL_ICE_EXPIRE_UNSET ? "--older-than"
                      : ex->retain_last                        ? "--retain-last"
                      : ex->nids                               ? "--snapshot-id"
                      : co->target_size                        ? "--target-size"
                      : co->min_input_files                    ? "--min-input-files"
                      : co->all                                ? "--all"
                      : other                                  ? "--partition or --uploads"
                                                               : NULL;
    if (bad) {
        fprintf(stderr,
                "floe table maintain: takes only --dry-run, not %s (each step uses the table's "
                "defaults; run expire, compact or clean-orphans for other values)\n",
                bad);
        return 2;
    }
    struct fl_cli_expire_args defaults = {.older_than_ms = FL_ICE_EXPIRE_UNSET,
                                          .dry_run = ex->dry_run};
    struct fl_cli_compact_args cdefaults = {0};
    printf("expire:\n");
    int rc = fl_cli_table_expire(tbl, &defaults);
    if (!rc) {
        printf("compact:\n");
        rc = fl_cli_table_compact(tbl, &cdefaults, NULL, ex->dry_run);
    }
    if (!rc) {
        printf("clean-orphans:\n");
        rc = fl_cli_table_clean_orphans(tbl, NULL, FL_ICE_EXPIRE_UNSET, ex->dry_run);
    }
    if (rc) fprintf(stderr, "floe table maintain: stopped\n");
    return rc;
}
