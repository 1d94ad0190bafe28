/*
 * manifest.h - Iceberg manifests and manifest lists (format/spec.md,
 * "Manifests", "Manifest Lists", Appendix A "Avro"): Avro object
 * container files whose schemas carry every field-id the spec assigns,
 * written and read with floe's own Avro container code.
 *
 * Reading goes by field-id, so manifests written by Java, Spark,
 * PyIceberg (format 1 or 2, old or new field names) all read the same;
 * sequence numbers, snapshot ids and (format 3) first row ids inherit
 * from the manifest list entry as the spec says.
 */
#ifndef FL_ICEBERG_MANIFEST_H
#define FL_ICEBERG_MANIFEST_H

#include "core/buf.h"
#include "core/err.h"
#include "iceberg/datafile.h"
#include "iceberg/partition.h"
#include "core/schema.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    FL_ICE_STATUS_EXISTING = 0,
    FL_ICE_STATUS_ADDED = 1,
    FL_ICE_STATUS_DELETED = 2
} fl_ice_status_t;

#define FL_ICE_NULL_LONG INT64_MIN /* an optional long that is null */

struct fl_ice_manifest_entry {
    fl_ice_status_t status;
    int64_t snapshot_id;          /* FL_ICE_NULL_LONG: inherit */
    int64_t sequence_number;      /* FL_ICE_NULL_LONG: inherit */
    int64_t file_sequence_number; /* FL_ICE_NULL_LONG: inherit */
    struct fl_ice_data_file df;
};

struct fl_ice_field_summary {
    bool contains_null;
    bool contains_nan;
    bool has_bounds;
    struct fl_buf lower, upper; /* Appendix D bytes */
};

/* One manifest_file record of a manifest list. */
struct fl_ice_manifest_file {
    char *manifest_path;
    int64_t manifest_length;
    int32_t partition_spec_id;
    int content; /* 0 data, 1 deletes */
    int64_t sequence_number;
    int64_t min_sequence_number;
    int64_t added_snapshot_id;
    int32_t added_files_count, existing_files_count, deleted_files_count;
    int64_t added_rows_count, existing_rows_count, deleted_rows_count;
    struct fl_ice_field_summary *partitions;
    int npartitions;
    bool has_first_row_id; /* format 3, data manifests: 520 first_row_id */
    int64_t first_row_id;
};

void fl_ice_manifest_file_fini(struct fl_ice_manifest_file *mf);

/* Writes a format-2 manifest of entries (data or delete files of one
 * spec) into *out (caller frees with fl_free). Fills mf's counts and
 * partition summaries; the caller sets manifest_path, manifest_length
 * (= *outlen), sequence numbers and added_snapshot_id. */
fl_err_t fl_ice_manifest_write(const struct fl_schema *schema, const struct fl_ice_spec *spec,
                               int content, const struct fl_ice_manifest_entry *entries, int n,
                               uint8_t **out, size_t *outlen, struct fl_ice_manifest_file *mf,
                               struct fl_error *err);

/* The same for format_version 3: the data_file record also carries
 * first_row_id, referenced_data_file, content_offset and
 * content_size_in_bytes (142-145), written when the entry has them. */
fl_err_t fl_ice_manifest_write_version(int format_version, const struct fl_schema *schema,
                                       const struct fl_ice_spec *spec, int content,
                                       const struct fl_ice_manifest_entry *entries, int n,
                                       uint8_t **out, size_t *outlen,
                                       struct fl_ice_manifest_file *mf, struct fl_error *err);

/* Writes a format-2 manifest list. */
fl_err_t fl_ice_manifest_list_write(int64_t snapshot_id, int64_t parent_id, int64_t sequence_number,
                                    const struct fl_ice_manifest_file *files, int n, uint8_t **out,
                                    size_t *outlen, struct fl_error *err);

/* The same for format_version 3: with first_row_id (520). */
fl_err_t fl_ice_manifest_list_write_version(int format_version, int64_t snapshot_id,
                                            int64_t parent_id, int64_t sequence_number,
                                            const struct fl_ice_manifest_file *files, int n,
                                            uint8_t **out, size_t *outlen, struct fl_error *err);

/* Reads a manifest list; *files (n of them) are the caller's
 * (fl_ice_manifest_file_fini each, then fl_free the array). */
fl_err_t fl_ice_manifest_list_read(const uint8_t *data, size_t len,
                                   struct fl_ice_manifest_file **files, int *n,
                                   struct fl_error *err);

/* Called per entry; the entry is valid during the call only. Non-zero stops. */
typedef int (*fl_ice_entry_fn)(void *ctx, const struct fl_ice_manifest_entry *entry);

/* Reads a manifest whose list record is mf (for inheritance); partition
 * values take their types from the manifest's own Avro schema. */
fl_err_t fl_ice_manifest_read(const uint8_t *data, size_t len,
                              const struct fl_ice_manifest_file *mf, fl_ice_entry_fn fn, void *ctx,
                              struct fl_error *err);

#endif
