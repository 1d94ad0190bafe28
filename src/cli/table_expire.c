/*
 * table_expire.c - `floe table expire T [--older-than TS] [--retain-last N]
 * [--snapshot-id ID]... [--dry-run]`: snapshot expiry from the shell,
 * with the meaning of Spark's expire_snapshots procedure: --older-than
 * (default: now minus the table's history.expire.max-snapshot-age-ms,
 * 5 days) and --retain-last (default: history.expire.min-snapshots-to-
 * keep, 1) set the defaults that branches without their own retention
 * use; --snapshot-id expires those snapshots whatever their age. The
 * work is fl_ice_table_expire's; this file parses the values and prints
 * the counts, and with --dry-run every snapshot, ref and file.
 */
#include "cli/table_expire.h"
#include "core/time.h"
#include "iceberg/expire.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

fl_err_t fl_cli_expire_opt_older_than(void *target, const char *v, struct fl_error *err) {
    struct fl_cli_expire_args *a = target;
    int64_t us;
    char *end;
    if (!strcmp(v, "now")) {
        a->older_than_ms = fl_time_now_us() / 1000;
        return FL_OK;
    }
    long long ms = strtoll(v, &end, 10);
    if (end != v && !*end && ms >= 0) {
        a->older_than_ms = ms;
        return FL_OK;
    }
    /* a duration back from now: 90s, 15m, 12h, 3d */
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    for (size_t u = 0; end != v && ms >= 0 && u < sizeof(units) / sizeof(units[0]); u++)
        if (!strcmp(end, units[u].unit) && ms <= INT64_MAX / 2 / units[u].ms) {
            a->older_than_ms = fl_time_now_us() / 1000 - ms * units[u].ms;
            return FL_OK;
        }
    if (fl_time_parse_iso(v, strlen(v), &us))
        return fl_errf(err, FL_ERR_INVALID,
                       "wants an ISO-8601 time, epoch milliseconds, now or a duration (3d, 12h, "
                       "0s), got \"%s\"",
                       v);
    a->older_than_ms = us / 1000;
    return FL_OK;
}

fl_err_t fl_cli_expire_opt_snapshot_id(void *target, const char *v, struct fl_error *err) {
    struct fl_cli_expire_args *a = target;
    char *end;
    long long id = strtoll(v, &end, 10);
    if (end == v || *end || id < 0)
        return fl_errf(err, FL_ERR_INVALID, "wants a snapshot id, got \"%s\"", v);
    if (a->nids == FL_CLI_EXPIRE_IDS_MAX)
        return fl_errf(err, FL_ERR_INVALID, "at most %d snapshot ids", FL_CLI_EXPIRE_IDS_MAX);
    a->ids[a->nids++] = id;
    return FL_OK;
}

int fl_cli_table_expire(struct fl_ice_table *tbl, const struct fl_cli_expire_args *a) {
    struct fl_ice_expire_opts opts = {.older_than_ms = a->older_than_ms,
                                      .retain_last = a->retain_last,
                                      .ids = a->ids,
                                      .nids = a->nids,
                                      .dry_run = a->dry_run != 0};
    struct fl_ice_expire_result res;
    struct fl_error err = {0};
    fl_err_t rc = fl_ice_table_expire(tbl, &opts, &res, &err);
    if (!rc || res.nexpired || res.nrefs) { /* a cleanup error comes after a done commit */
        if (a->dry_run)
            printf("would expire %d snapshots (%lld kept) and remove %d refs; would delete %d "
                   "files:",
                   res.nexpired, (long long)res.retained, res.nrefs, res.nfiles);
        else
            printf("expired %d snapshots (%lld kept), removed %d refs; deleted %d files:",
                   res.nexpired, (long long)res.retained, res.nrefs, res.nfiles);
        printf(" %d manifest lists, %d manifests, %d data files, %d delete files",
               res.manifest_lists, res.manifests, res.data_files, res.delete_files);
        printf(res.failed ? "; %d could not be deleted (left for orphan cleanup)\n" : "\n",
               res.failed);
    }
    if (a->dry_run) {
        for (int i = 0; i < res.nexpired; i++) printf("snapshot %lld\n", (long long)res.expired[i]);
        for (int i = 0; i < res.nrefs; i++) printf("ref %s\n", res.refs[i]);
        for (int i = 0; i < res.nfiles; i++) printf("file %s\n", res.files[i]);
    }
    fl_ice_expire_result_fini(&res);
    if (rc) {
        fprintf(stderr, "floe table expire: %s\n", err.msg[0] ? err.msg : fl_err_name(err.code));
        return 1;
    }
    return 0;
}
