/*
 * table_orphans.c - `floe table clean-orphans [T] [--older-than
 * DURATION|TS] [--uploads] [--dry-run]`: orphan cleanup from the shell.
 * The work is fl_ice_table_clean_orphans's (the table's folder) and
 * fl_ice_clean_temp_files's (the warehouse's uploads/, where a kill -9
 * during POST /upload/file leaves a ".floe-tmp-*" file); this file
 * prints the counts and bytes, and with --dry-run each file with its
 * size and age.
 */
#include "cli/table_orphans.h"
#include "core/time.h"
#include "iceberg/expire.h"
#include "iceberg/orphans.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define UPLOADS_PREFIX "uploads/"

static void report(const char *what, const char *root, const struct fl_ice_orphan_result *res,
                   int dry_run, int64_t now_ms) {
    size_t rl = strlen(root);
    while (rl && root[rl - 1] == '/') rl--;
    printf("%s: %s %d files, %" PRIu64 " bytes (%" PRId64 " listed, %" PRId64
           " referenced, %" PRId64 " unreferenced but too young)",
           what, dry_run ? "would delete" : "deleted", res->nfiles, res->bytes, res->scanned,
           res->referenced, res->young);
    printf(res->failed ? "; %d could not be deleted\n" : "\n", res->failed);
    if (res->uploads_unlisted)
        printf("%s: the store does not list incomplete multipart uploads: none looked at\n", what);
    if (!dry_run) return;
    for (int i = 0; i < res->nfiles; i++) {
        int64_t age = (now_ms - res->files[i].mtime_ms) / 1000;
        if (res->files[i].upload_id)
            printf("%.*s/%s\tincomplete multipart upload %s\tage %" PRId64 "s\n", (int)rl, root,
                   res->files[i].key, res->files[i].upload_id, age < 0 ? 0 : age);
        else
            printf("%.*s/%s\t%" PRIu64 " bytes\tage %" PRId64 "s\n", (int)rl, root,
                   res->files[i].key, res->files[i].size, age < 0 ? 0 : age);
    }
}

int fl_cli_table_clean_orphans(struct fl_ice_table *tbl, struct fl_store *uploads,
                               int64_t older_than_ms, int dry_run) {
    int64_t now = fl_time_now_us() / 1000;
    struct fl_ice_orphan_opts opts = {
        .now_ms = now,
        .older_than_ms = older_than_ms == FL_ICE_EXPIRE_UNSET ? FL_ICE_ORPHAN_UNSET : older_than_ms,
        .dry_run = dry_run != 0};
    struct fl_ice_orphan_result res;
    struct fl_error err = {0};
    fl_err_t rc = FL_OK;
    if (tbl) {
        rc = fl_ice_table_clean_orphans(tbl, &opts, &res, &err);
        if (!rc) report("table", fl_store_uri(tbl->store), &res, dry_run, now);
        fl_ice_orphan_result_fini(&res);
    }
    if (!rc && uploads) {
        rc = fl_ice_clean_temp_files(uploads, UPLOADS_PREFIX, &opts, &res, &err);
        if (!rc) report("uploads", fl_store_uri(uploads), &res, dry_run, now);
        fl_ice_orphan_result_fini(&res);
    }
    if (rc) {
        fprintf(stderr, "floe table clean-orphans: %s\n",
                err.msg[0] ? err.msg : fl_err_name(err.code));
        return 1;
    }
    return 0;
}
