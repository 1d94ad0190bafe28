/*
 * metadata.h - Iceberg table metadata (format/spec.md, "Table Metadata"
 * and Appendix C): the JSON document that names a table's schemas,
 * partition specs, snapshots and refs.
 *
 * How it works: the parsed JSON document stays the source of truth, so
 * fields floe does not model (statistics, encryption keys, unknown
 * future fields) survive a read-modify-write by floe unchanged. Typed
 * views (schemas, specs, snapshots, scalar fields) are rebuilt from the
 * document after every change. Formats 1, 2 and 3 are read; floe writes
 * format 2, or 3 when a table is created with the property
 * format-version=3, and upgrades tables it commits to only when asked.
 */
#ifndef FL_ICEBERG_METADATA_H
#define FL_ICEBERG_METADATA_H

#include "core/buf.h"
#include "core/err.h"
#include "iceberg/partition.h"
#include "core/schema.h"

#include <stdbool.h>
#include <stdint.h>

#define FL_ICE_NO_SNAPSHOT INT64_C(-1)

struct fl_ice_snapshot {
    int64_t snapshot_id;
    int64_t parent_id;       /* FL_ICE_NO_SNAPSHOT when none */
    int64_t sequence_number; /* 0 for v1 tables */
    int64_t timestamp_ms;
    const char *manifest_list; /* NULL for v1 snapshots that list manifests */
    int32_t schema_id;         /* -1 when absent */
    const char *operation;     /* summary's operation, "" when absent */
    int64_t first_row_id;      /* format 3 row lineage; -1 when absent */
    int64_t added_rows;        /* format 3: row ids this snapshot assigned; -1 when absent */
};

struct fl_ice_meta {
    int format_version;
    char table_uuid[37];
    const char *location;
    int64_t last_sequence_number;
    int64_t next_row_id; /* format 3 row lineage (0 before format 3) */
    int64_t last_updated_ms;
    int32_t last_column_id;
    int32_t current_schema_id;
    int32_t default_spec_id;
    int32_t last_partition_id;
    int32_t default_sort_order_id;
    int64_t current_snapshot_id; /* FL_ICE_NO_SNAPSHOT when none */
    struct fl_schema **schemas;
    int nschemas;
    struct fl_ice_spec **specs;
    int nspecs;
    struct fl_ice_snapshot *snapshots;
    int nsnapshots;
    void *doc; /* the JSON document (json_t *), owned */
};

/* A key/value pair for properties and snapshot summaries. */
struct fl_ice_kv {
    const char *key;
    const char *value;
};

/* Parses table metadata JSON (or its gzip form, by magic); checks what readers rely on (format
 * version 1 or 2, current schema and default spec exist, refs point at
 * known snapshots). The caller owns *out. */
fl_err_t fl_ice_meta_parse(const char *json, size_t len, struct fl_ice_meta **out,
                           struct fl_error *err);

/* New format-2 metadata for a table at location with schema (its ids
 * kept as given), spec (NULL = unpartitioned) and properties. The
 * reserved property format-version ("2" or "3") picks the format and is
 * not stored, as in Iceberg's catalogs. */
fl_err_t fl_ice_meta_new(const struct fl_schema *schema, const struct fl_ice_spec *spec,
                         const char *location, const struct fl_ice_kv *props, int nprops,
                         int64_t now_ms, struct fl_ice_meta **out, struct fl_error *err);

/* Appends the document as JSON (pretty if pretty != 0). */
fl_err_t fl_ice_meta_to_json(const struct fl_ice_meta *meta, int pretty, struct fl_buf *out);
void fl_ice_meta_free(struct fl_ice_meta *meta);

const struct fl_schema *fl_ice_meta_schema(const struct fl_ice_meta *meta, int32_t schema_id);
/* The schema time travel reads snapshot_id with: the snapshot's
 * schema-id, as Trino and Spark read it (columns added later absent,
 * renamed ones under their name of then); the current schema for
 * FL_ICE_NO_SNAPSHOT, an unknown snapshot, or one without schema-id (v1
 * writers: the schema of that time is not recorded). */
const struct fl_schema *fl_ice_meta_snapshot_schema(const struct fl_ice_meta *meta,
                                                    int64_t snapshot_id);
const struct fl_schema *fl_ice_meta_current_schema(const struct fl_ice_meta *meta);
const struct fl_ice_spec *fl_ice_meta_spec(const struct fl_ice_meta *meta, int32_t spec_id);
const struct fl_ice_spec *fl_ice_meta_default_spec(const struct fl_ice_meta *meta);
const struct fl_ice_snapshot *fl_ice_meta_snapshot(const struct fl_ice_meta *meta, int64_t id);
const struct fl_ice_snapshot *fl_ice_meta_current_snapshot(const struct fl_ice_meta *meta);
/* The snapshot that was current at timestamp_ms (from the snapshot log,
 * else the snapshots' own times); NULL when the table was empty then. */
const struct fl_ice_snapshot *fl_ice_meta_snapshot_at(const struct fl_ice_meta *meta,
                                                      int64_t timestamp_ms);
/* Snapshot id a ref ("main", a branch or tag) points at, or FL_ICE_NO_SNAPSHOT. */
int64_t fl_ice_meta_ref(const struct fl_ice_meta *meta, const char *name);
const char *fl_ice_meta_property(const struct fl_ice_meta *meta, const char *key);
const char *fl_ice_snapshot_summary(const struct fl_ice_meta *meta, int64_t snapshot_id,
                                    const char *key);

/* ---- changes, each followed by a rebuild of the typed views ----
 * A change that fails leaves meta unusable: free it and start again from
 * the metadata file. */

struct fl_ice_new_snapshot {
    int64_t snapshot_id;
    int64_t parent_id; /* FL_ICE_NO_SNAPSHOT for the first */
    int64_t timestamp_ms;
    const char *manifest_list;
    const char *operation; /* append, overwrite, delete, replace */
    const struct fl_ice_kv *summary;
    int nsummary;
    /* format 3: the row ids the snapshot's new data manifests take,
     * first_row_id = the table's next-row-id (ignored before format 3) */
    int64_t added_rows;
};

/* Adds a snapshot with the next sequence number, points branch (NULL =
 * "main") at it, and for main also current-snapshot-id and the snapshot
 * log. *sequence_number receives the number assigned. */
fl_err_t fl_ice_meta_add_snapshot(struct fl_ice_meta *meta, const struct fl_ice_new_snapshot *ns,
                                  const char *branch, int64_t *sequence_number,
                                  struct fl_error *err);
/* Records the metadata file this version replaces in the metadata log. */
fl_err_t fl_ice_meta_log_previous(struct fl_ice_meta *meta, const char *prev_location,
                                  int64_t prev_updated_ms, int max_entries);
fl_err_t fl_ice_meta_set_property(struct fl_ice_meta *meta, const char *key, const char *value);
fl_err_t fl_ice_meta_remove_property(struct fl_ice_meta *meta, const char *key);
/* Adds schema (with a new schema-id assigned) and, if set_current,
 * makes it current; last-column-id grows to cover it. */
fl_err_t fl_ice_meta_add_schema(struct fl_ice_meta *meta, const struct fl_schema *schema,
                                int set_current, int32_t *schema_id, struct fl_error *err);
/* Adds spec (new spec-id assigned) and, if set_default, makes it default. */
fl_err_t fl_ice_meta_add_spec(struct fl_ice_meta *meta, const struct fl_ice_spec *spec,
                              int set_default, int32_t *spec_id, struct fl_error *err);
/* Rebuilds the typed views after the document (meta->doc) was changed
 * directly, and checks its invariants. */
fl_err_t fl_ice_meta_rebuild(struct fl_ice_meta *meta, struct fl_error *err);

/* The Iceberg REST catalog's table requirements and updates (apache/iceberg
 * open-api/rest-catalog-open-api.yaml: TableRequirement, TableUpdate), one
 * JSON object each (metadata_update.c). A requirement that does not hold
 * is FL_ERR_CONFLICT; an unknown or malformed one FL_ERR_INVALID. */
fl_err_t fl_ice_meta_check_requirement(const struct fl_ice_meta *meta, const char *json, size_t len,
                                       struct fl_error *err);
fl_err_t fl_ice_meta_apply_update(struct fl_ice_meta *meta, const char *json, size_t len,
                                  struct fl_error *err);

/* ---- refs and snapshot removal (metadata_refs.c) ---- */

/* A branch or tag with its own retention (-1 where the ref sets none). */
struct fl_ice_ref {
    const char *name; /* borrowed from meta until its next change */
    int64_t snapshot_id;
    bool is_tag;
    int64_t max_ref_age_ms;
    int64_t max_snapshot_age_ms;
    int64_t min_snapshots_to_keep;
};

/* Fills out with up to cap refs (main is synthesized from
 * current-snapshot-id when the document has no refs) and returns how
 * many there are (may exceed cap: call again with more room). */
int fl_ice_meta_refs(const struct fl_ice_meta *meta, struct fl_ice_ref *out, int cap);
/* The summary entries of snapshot_id whose key starts with prefix (up to
 * cap, borrowed until meta changes); returns how many there are. */
int fl_ice_snapshot_summary_prefixed(const struct fl_ice_meta *meta, int64_t snapshot_id,
                                     const char *prefix, struct fl_ice_kv *out, int cap);
/* The same for the snapshot at index i of meta->snapshots. */
int fl_ice_snapshot_summary_prefixed_at(const struct fl_ice_meta *meta, int i, const char *prefix,
                                        struct fl_ice_kv *out, int cap);
/* The metadata-file of each metadata-log entry, oldest first (up to
 * cap, borrowed until meta changes); returns how many there are. */
int fl_ice_meta_log_files(const struct fl_ice_meta *meta, const char **out, int cap);
/* The statistics-path of each statistics and partition-statistics entry
 * (Puffin and partition stats files; up to cap, borrowed until meta
 * changes); returns how many there are. */
int fl_ice_meta_stats_files(const struct fl_ice_meta *meta, const char **out, int cap);
/* Removes refs (never main) and then snapshots ids (none current or
 * still named by a ref: FL_ERR_INVALID), and trims the snapshot-log to
 * the entries after the last removed snapshot, as Iceberg Java does. */
fl_err_t fl_ice_meta_remove_snapshots(struct fl_ice_meta *meta, const int64_t *ids, int nids,
                                      const char *const *refs, int nrefs, struct fl_error *err);

/* Sets last-updated-ms (done just before writing a new version). */
void fl_ice_meta_touch(struct fl_ice_meta *meta, int64_t now_ms);

#endif
