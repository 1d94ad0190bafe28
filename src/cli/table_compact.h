/*
 * table_compact.h - `floe table compact`: its options and its report
 * (cmd_table.c parses the command line and opens the table).
 */
#ifndef FL_CLI_TABLE_COMPACT_H
#define FL_CLI_TABLE_COMPACT_H

#include "iceberg/table.h"

#include <stdint.h>

struct fl_cli_compact_args {
    int64_t target_size;     /* 0: the table's write.target-file-size-bytes */
    int64_t min_input_files; /* 0: 5 */
    int all;                 /* --all: Java's rewrite-all */
};

/* Runs bin-pack compaction on tbl (only the partition path `partition`
 * when not NULL) and prints per partition the files before and after and
 * each group committed or abandoned. Returns the exit code. */
int fl_cli_table_compact(struct fl_ice_table *tbl, const struct fl_cli_compact_args *a,
                         const char *partition, int dry_run);

#endif
