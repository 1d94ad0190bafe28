/*
 * compact.h - bin-pack compaction of an Iceberg table (Iceberg Java's
 * RewriteDataFiles with the bin-pack strategy and partial progress): per
 * partition, small data files and files with deletes attached are
 * grouped and each group is rewritten, its deletes applied, into files
 * near the target size (in the table's sort order, if it has one),
 * committed as one "replace" snapshot per group that validates against
 * what was committed since the plan.
 */
#ifndef FL_ICEBERG_COMPACT_H
#define FL_ICEBERG_COMPACT_H

#include "core/err.h"
#include "iceberg/table.h"

#include <stdbool.h>
#include <stdint.h>

/* floe's target when the table has no write.target-file-size-bytes
 * (Iceberg's own default is 512 MiB): floe builds each output file in
 * memory before one PUT, so the target bounds compaction's memory. */
#define FL_ICE_COMPACT_TARGET_DEFAULT ((int64_t)128 << 20)
#define FL_ICE_PROP_TARGET_FILE_SIZE "write.target-file-size-bytes"

/* Zero (or NULL) fields take the defaults, Java's names in brackets. */
struct fl_ice_compact_opts {
    int64_t target_size;       /* [target-file-size-bytes] the table's property, else the above */
    int64_t min_file_size;     /* [min-file-size-bytes] 75% of target */
    int64_t max_file_size;     /* [max-file-size-bytes] 180% of target */
    int min_input_files;       /* [min-input-files] 5 */
    int delete_file_threshold; /* [delete-file-threshold] 1 (Java: never) */
    int64_t max_group_size;    /* [max-file-group-size-bytes] 100 GiB */
    bool rewrite_all;          /* [rewrite-all] every file of every partition */
    const char *partition;     /* only this partition path ("city=Oslo", "" unpartitioned) */
    bool dry_run;              /* plan only: nothing is written or committed */
    /* tests: called after a group's files are written, before its commit */
    fl_err_t (*before_commit)(void *ctx, int group, struct fl_error *err);
    void *hook_ctx;
};

typedef enum {
    FL_ICE_GROUP_PLANNED = 0,   /* dry run */
    FL_ICE_GROUP_COMMITTED = 1, /* its replace snapshot is committed */
    FL_ICE_GROUP_ABANDONED = 2  /* validation failed: the table is as before for it */
} fl_ice_group_state_t;

struct fl_ice_compact_group {
    int32_t spec_id;
    char *partition; /* partition path, "" when unpartitioned */
    int round;       /* 0, or 1 for a retry of a group abandoned for new deletes */
    int nfiles, ndeletes_removed;
    int64_t bytes, records; /* of the input files (before deletes) */
    int nout;
    int64_t out_bytes, out_records;
    int64_t snapshot_id; /* committed groups */
    fl_ice_group_state_t state;
    char why[160]; /* abandoned: why */
};

struct fl_ice_compact_partition {
    int32_t spec_id;
    char *partition;
    int files_before, files_after; /* live data files */
    int deletes_before, deletes_after;
};

struct fl_ice_compact_result {
    int64_t start_snapshot_id, start_sequence_number;
    int64_t target_size;
    int32_t sort_order_id; /* the order the written files' rows are in (the table's default); 0
                              unsorted */
    struct fl_ice_compact_group *groups;
    int ngroups;
    struct fl_ice_compact_partition *parts;
    int nparts;
};

/* Plans against the current snapshot and (unless dry_run) rewrites and
 * commits each group, its rows in the table's default sort order; a
 * group whose validation fails is abandoned (its written files deleted)
 * and the others go on. Refuses, before any change, a format version
 * above 2, an unknown content kind, a data file that is not Parquet and
 * a sort order floe cannot apply (FL_ERR_UNSUPPORTED). res is filled even on error (fini it). */
fl_err_t fl_ice_table_compact(struct fl_ice_table *tbl, const struct fl_ice_compact_opts *opts,
                              struct fl_ice_compact_result *res, struct fl_error *err);
void fl_ice_compact_result_fini(struct fl_ice_compact_result *res);

#endif
