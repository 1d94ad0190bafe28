/*
 * orphans.h - orphan file cleanup (Iceberg Java's DeleteOrphanFiles):
 * delete the files under a table's location that no retained metadata
 * references and that are older than a safety age; and the temporary
 * files a killed write left under any prefix of the warehouse.
 */
#ifndef FL_ICEBERG_ORPHANS_H
#define FL_ICEBERG_ORPHANS_H

#include "iceberg/table.h"

#include <stdbool.h>
#include <stdint.h>

/* The safety age when the caller gives none: Iceberg Java's 3 days (see
 * docs/internals/iceberg.md, "Orphan cleanup", for why it is safe). */
#define FL_ICE_ORPHAN_AGE_DEFAULT_MS INT64_C(259200000)
#define FL_ICE_ORPHAN_UNSET INT64_MIN

struct fl_ice_orphan_opts {
    int64_t now_ms;        /* 0: the clock */
    int64_t older_than_ms; /* only files modified before this go;
                              FL_ICE_ORPHAN_UNSET: now - the default age */
    bool dry_run;          /* list, delete nothing */
};

struct fl_ice_orphan_file {
    char *key; /* store key */
    uint64_t size;
    int64_t mtime_ms;
    bool temp; /* a temporary file of a write that never finished */
    /* an incomplete S3 multipart upload under key (size 0, mtime its
     * initiation): aborted rather than deleted; NULL for a file */
    char *upload_id;
};

struct fl_ice_orphan_result {
    struct fl_ice_orphan_file *files; /* deleted (or, dry, that would be) */
    int nfiles;
    uint64_t bytes;        /* their sizes */
    int64_t scanned;       /* objects listed */
    int64_t referenced;    /* of them, referenced (kept) */
    int64_t young;         /* unreferenced but not older than the cutoff (kept) */
    bool uploads_unlisted; /* the store could not list multipart uploads (none looked at) */
    int failed;            /* deletes that failed (not in files) */
};

/* Deletes the orphans under tbl's folder: every object listed there
 * (temporary files included) that the current metadata does not
 * reference and that was last modified before opts->older_than_ms.
 * Referenced: the current metadata file, every metadata-log file and
 * their vN.metadata.json twins, every metadata file newer than the
 * current one, version-hint.text, the statistics files the
 * metadata names, and every manifest list, manifest, data and delete
 * file of every snapshot (fl_ice_table_reachable), compared as store
 * keys (fl_ice_table_key). If any of that cannot be read nothing is
 * deleted. A failed delete is counted in res->failed, not an error.
 * The caller finis res. */
fl_err_t fl_ice_table_clean_orphans(struct fl_ice_table *tbl, const struct fl_ice_orphan_opts *opts,
                                    struct fl_ice_orphan_result *res, struct fl_error *err);

/* Deletes the temporary files (".floe-tmp-*") under prefix of st older
 * than opts->older_than_ms: what a process killed during a write left,
 * e.g. under the warehouse's uploads/. Only temporary files are ever
 * touched. The caller finis res. */
fl_err_t fl_ice_clean_temp_files(struct fl_store *st, const char *prefix,
                                 const struct fl_ice_orphan_opts *opts,
                                 struct fl_ice_orphan_result *res, struct fl_error *err);

void fl_ice_orphan_result_fini(struct fl_ice_orphan_result *res);

#endif
