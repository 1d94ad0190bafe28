/*
 * retention.h - what every commit does to keep a table bounded
 * (format/spec.md "Table Metadata" metadata-log; Iceberg's table
 * properties write.metadata.delete-after-commit.enabled and
 * write.metadata.previous-versions-max), the properties floe gives the
 * tables it creates, and the floe state that each snapshot carries on
 * from its parent so that expiring old snapshots never loses it.
 */
#ifndef FL_ICEBERG_RETENTION_H
#define FL_ICEBERG_RETENTION_H

#include "iceberg/metadata.h"

struct fl_ice_table;

#define FL_ICE_PROP_DELETE_AFTER_COMMIT "write.metadata.delete-after-commit.enabled"
#define FL_ICE_PROP_PREVIOUS_VERSIONS_MAX "write.metadata.previous-versions-max"
/* Iceberg's defaults, for tables that do not set the properties */
#define FL_ICE_PREVIOUS_VERSIONS_MAX_DEFAULT 100
/* floe's choice for the tables it creates: 20 s of versions at 1 s commits */
#define FL_ICE_FLOE_PREVIOUS_VERSIONS_MAX "20"

/* Summary key prefixes of floe state that snapshots carry on from their
 * parent (the pipelines' exactly-once offsets and window watermark). */
#define FL_ICE_CARRIED_PREFIXES                                                                    \
    { "floe.offsets.", "floe.window." }

/* The metadata-log length the table asks for: previous-versions-max
 * (Iceberg's default 100 when absent or not a number), at least 1. */
int fl_ice_retention_log_max(const struct fl_ice_meta *meta);

/* Properties for a table floe creates: props (borrowed, they win) plus
 * floe's defaults (FL_ICE_FLOE_PROPS of them) for the keys props leaves
 * out. Returns the count written to out (at most cap: give it n +
 * FL_ICE_FLOE_PROPS). */
#define FL_ICE_FLOE_PROPS 2
int fl_ice_floe_table_props(const struct fl_ice_kv *props, int n, struct fl_ice_kv *out, int cap);

/* After the commit from base (at base_location) to next is durable and
 * visible: when next has delete-after-commit on, deletes the metadata
 * files that base's metadata-log names and next's no longer does (with
 * their vN.metadata.json twins), as Iceberg Java does. Best effort: a
 * failed delete is logged and leaves an orphan; returns how many files
 * it deleted. */
int fl_ice_retention_after_commit(struct fl_ice_table *tbl, const struct fl_ice_meta *base,
                                  const struct fl_ice_meta *next);

/* The summary of a new snapshot: kv (borrowed) plus the carried floe
 * state of parent that kv does not set. *out gets a new array (fl_free
 * it) whose strings are borrowed from kv and meta; returns its length. */
int fl_ice_summary_carry(const struct fl_ice_meta *meta, int64_t parent, const struct fl_ice_kv *kv,
                         int n, struct fl_ice_kv **out);

#endif
