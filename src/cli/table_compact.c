/*
 * table_compact.c - `floe table compact T [--target-size BYTES]
 * [--min-input-files N] [--partition PATH] [--all] [--dry-run]`: bin-pack
 * compaction from the shell (Spark's rewrite_data_files with the binpack
 * strategy). The work is fl_ice_table_compact's; this file prints the
 * plan, the groups committed or abandoned, and the files per partition.
 */
#include "cli/table_compact.h"
#include "iceberg/compact.h"

#include <stdio.h>

static const char *state_name(fl_ice_group_state_t s) {
    return s == FL_ICE_GROUP_COMMITTED   ? "committed"
           : s == FL_ICE_GROUP_ABANDONED ? "abandoned"
                                         : "planned";
}

int fl_cli_table_compact(struct fl_ice_table *tbl, const struct fl_cli_compact_args *a,
                         const char *partition, int dry_run) {
    struct fl_ice_compact_opts opts = {.target_size = a->target_size,
                                       .min_input_files = (int)a->min_input_files,
                                       .rewrite_all = a->all != 0,
                                       .partition = partition,
                                       .dry_run = dry_run != 0};
    struct fl_ice_compact_result res;
    struct fl_error err = {0};
    fl_err_t rc = fl_ice_table_compact(tbl, &opts, &res, &err);
    if (res.sort_order_id != 0)
        printf("rows of each written file sorted by the table's sort order %d\n",
               (int)res.sort_order_id);
    int committed = 0, abandoned = 0, files_in = 0, files_out = 0, dels = 0;
    int64_t rows = 0, last = -1;
    for (int i = 0; i < res.ngroups; i++) {
        const struct fl_ice_compact_group *g = &res.groups[i];
        printf("group %d%s partition \"%s\" (spec %d): %d files, %lld bytes, %lld rows -> %s", i,
               g->round ? " (retry)" : "", g->partition, (int)g->spec_id, g->nfiles,
               (long long)g->bytes, (long long)g->records, state_name(g->state));
        if (g->state == FL_ICE_GROUP_COMMITTED) {
            printf(": %d files, %lld bytes, %lld rows, %d delete files removed, snapshot %lld\n",
                   g->nout, (long long)g->out_bytes, (long long)g->out_records, g->ndeletes_removed,
                   (long long)g->snapshot_id);
            committed++;
            files_in += g->nfiles;
            files_out += g->nout;
            dels += g->ndeletes_removed;
            rows += g->out_records;
            last = g->snapshot_id;
        } else if (g->state == FL_ICE_GROUP_ABANDONED) {
            printf(": %s\n", g->why);
            abandoned++;
        } else {
            printf("\n");
        }
    }
    for (int i = 0; i < res.nparts; i++) {
        const struct fl_ice_compact_partition *p = &res.parts[i];
        printf("partition \"%s\" (spec %d): %d data files -> %d, %d delete files -> %d%s\n",
               p->partition, (int)p->spec_id, p->files_before, p->files_after, p->deletes_before,
               p->deletes_after, dry_run ? " (dry run)" : "");
    }
    if (rc) {
        fl_ice_compact_result_fini(&res);
        fprintf(stderr, "floe table compact: %s\n", err.msg);
        return 1;
    }
    if (dry_run)
        printf("dry run: %d groups planned against snapshot %lld, target %lld bytes; nothing "
               "changed\n",
               res.ngroups, (long long)res.start_snapshot_id, (long long)res.target_size);
    else if (committed == 0)
        printf("nothing to compact (%d groups abandoned)\n", abandoned);
    else
        printf("compacted %d data and %d delete files into %d files in %d groups (%d abandoned), "
               "last into snapshot %lld (%lld rows)\n",
               files_in, dels, files_out, committed, abandoned, (long long)last, (long long)rows);
    fl_ice_compact_result_fini(&res);
    return 0;
}
