/*
 * expire.h - snapshot expiry (format/spec.md "Snapshot Retention
 * Policy"; Iceberg Java's ExpireSnapshots): remove the snapshots and
 * refs a table's retention no longer keeps in one commit, then delete
 * the files only they reached.
 */
#ifndef FL_ICEBERG_EXPIRE_H
#define FL_ICEBERG_EXPIRE_H

#include "iceberg/table.h"

#include <stdbool.h>
#include <stdint.h>

/* Table properties and Iceberg's defaults */
#define FL_ICE_PROP_MAX_SNAPSHOT_AGE "history.expire.max-snapshot-age-ms" /* 5 days */
#define FL_ICE_PROP_MIN_SNAPSHOTS "history.expire.min-snapshots-to-keep"  /* 1 */
#define FL_ICE_PROP_MAX_REF_AGE "history.expire.max-ref-age-ms"           /* forever */
#define FL_ICE_MAX_SNAPSHOT_AGE_DEFAULT INT64_C(432000000)

#define FL_ICE_EXPIRE_UNSET INT64_MIN

struct fl_ice_expire_opts {
    int64_t now_ms;         /* 0: the clock */
    int64_t older_than_ms;  /* FL_ICE_EXPIRE_UNSET: now - history.expire.max-snapshot-age-ms */
    int64_t retain_last;    /* < 1: history.expire.min-snapshots-to-keep */
    int64_t max_ref_age_ms; /* < 1: history.expire.max-ref-age-ms (a ref's own age wins) */
    const int64_t *ids;     /* snapshots to expire whatever their age (borrowed) */
    int nids;
    bool dry_run; /* compute and list, change nothing */
};

struct fl_ice_expire_result {
    int64_t *expired; /* snapshot ids removed (or that would be) */
    int nexpired;
    char **refs; /* refs removed */
    int nrefs;
    char **files; /* store keys deleted (or that would be), kinds in this order: */
    int nfiles;
    int manifest_lists, manifests, data_files, delete_files;
    int failed;       /* deletes that failed: left for orphan cleanup */
    int64_t retained; /* snapshots left */
};

/* Which snapshots and refs meta's retention lets go at opts->now_ms:
 * refs other than main older than their max-ref-age; then every
 * snapshot that no retained tag names, that is not among the ancestors
 * a retained branch keeps (younger than its max-snapshot-age, or among
 * its min-snapshots-to-keep newest), that is not an unreferenced
 * snapshot younger than the default age, and that is not the newest
 * ancestor of main holding a pipeline's offsets (floe.offsets.*) or
 * between it and main's head; plus
 * opts->ids. An id in opts->ids that a retained ref names, or that holds
 * pipeline offsets, is FL_ERR_INVALID. Fills res->expired and res->refs
 * only. */
fl_err_t fl_ice_expire_plan(const struct fl_ice_meta *meta, const struct fl_ice_expire_opts *opts,
                            struct fl_ice_expire_result *res, struct fl_error *err);

/* Expires tbl's snapshots: one commit through fl_ice_table_commit_meta
 * (on a conflict the plan is made again on the fresh table) that removes
 * the planned refs and snapshots and trims the snapshot-log; then, once
 * that commit is visible, deletes the manifest lists of the expired
 * snapshots, the manifests only they list and the data and delete files
 * live only in those manifests: never a file a retained snapshot
 * reaches. With opts->dry_run nothing changes and res lists what would
 * go. A failed delete is counted in res->failed, not an error; an error
 * reading what the retained snapshots reach stops the deletes (the
 * commit stays). The caller finis res. */
fl_err_t fl_ice_table_expire(struct fl_ice_table *tbl, const struct fl_ice_expire_opts *opts,
                             struct fl_ice_expire_result *res, struct fl_error *err);

void fl_ice_expire_result_fini(struct fl_ice_expire_result *res);

/* The kinds of file fl_ice_table_reachable reports. */
enum fl_ice_reach_kind {
    FL_ICE_REACH_MANIFEST_LIST,
    FL_ICE_REACH_MANIFEST,
    FL_ICE_REACH_DATA,
    FL_ICE_REACH_DELETES
};
typedef void (*fl_ice_reach_fn)(void *ctx, const char *path, enum fl_ice_reach_kind kind);

/* Calls fn (path as recorded, valid during the call) for every file the
 * snapshots of tbl's metadata reach, through the walk expiry's cleanup
 * uses: each manifest list, each manifest they list, each data and
 * delete file those manifests name whatever the entry's status (a
 * DELETED entry's file may still be read through an older manifest).
 * A list or manifest that cannot be read, or a format 1 snapshot
 * without a manifest list, is an error: the caller must not take what
 * was reported for the whole. */
fl_err_t fl_ice_table_reachable(struct fl_ice_table *tbl, fl_ice_reach_fn fn, void *ctx,
                                struct fl_error *err);

#endif
