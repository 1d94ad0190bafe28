/*
 * merge.h - manifest merging on commit, as Iceberg Java's
 * MergingSnapshotProducer does it: a table that takes a commit a second
 * would otherwise gather a manifest a second, and every query plans over
 * all of them.
 */
#ifndef FL_ICEBERG_MERGE_H
#define FL_ICEBERG_MERGE_H

#include "iceberg/table.h"

#include <stdbool.h>
#include <stdint.h>

/* The table properties (and Java's defaults). */
#define FL_ICE_MERGE_ENABLED "commit.manifest-merge.enabled"          /* true */
#define FL_ICE_MERGE_MIN_COUNT "commit.manifest.min-count-to-merge"   /* 100 */
#define FL_ICE_MERGE_TARGET_BYTES "commit.manifest.target-size-bytes" /* 8 MiB */

struct fl_ice_merge_opts {
    bool enabled;
    int min_count;
    int64_t target_bytes;
};

/* The merge settings of meta's properties; defaults for what is missing
 * or not a valid value. */
void fl_ice_merge_opts_from_meta(const struct fl_ice_meta *meta, struct fl_ice_merge_opts *opts);

/* The manifest list a commit of snapshot_id (sequence number seq) is
 * about to write, in (its own new manifests first, then the parent's),
 * merged: data and delete manifests apart, each partition spec apart,
 * packed from the oldest end into bins of up to target_bytes; a bin of
 * several manifests is rewritten as one, except the bin holding the
 * commit's first manifest while it has fewer than min_count. Merged
 * entries keep their snapshot ids and sequence numbers as EXISTING;
 * this commit's ADDED and DELETED entries stay so; entries deleted by
 * earlier snapshots are dropped. *out (*nout records, fl_free it) holds
 * shallow copies of the kept records of in and of the merged ones, which
 * are in *made (*nmade; the caller finis each after writing the list,
 * and fl_frees the array). The merged manifests are new files that only
 * the commit makes visible. */
fl_err_t fl_ice_manifests_merge(struct fl_ice_table *tbl, const struct fl_ice_merge_opts *opts,
                                int64_t snapshot_id, int64_t seq,
                                const struct fl_ice_manifest_file *in, int n,
                                struct fl_ice_manifest_file **out, int *nout,
                                struct fl_ice_manifest_file **made, int *nmade,
                                struct fl_error *err);

#endif
