/*
 * table_int.h - what the files of src/iceberg/ that take part in a
 * commit share about a table: the keys of its files, and its manifests
 * (manifest.c): reading one a manifest list names, writing a new one or
 * a manifest list into the table's metadata folder.
 */
#ifndef FL_ICEBERG_TABLE_INT_H
#define FL_ICEBERG_TABLE_INT_H

#include "iceberg/table.h"

/* The key of rel ("data/x.parquet") under the table's folder (fl_free it). */
char *fl_ice_table_child_key(const struct fl_ice_table *tbl, const char *rel);

/* The manifests of the table's current snapshot, from its manifest list
 * (none for a table without snapshots); the caller finis and frees them. */
fl_err_t fl_ice_table_manifests(struct fl_ice_table *tbl, struct fl_ice_manifest_file **files,
                                int *n, struct fl_error *err);

/* Calls fn for each entry of the manifest mf names, with the values it
 * inherits from mf (snapshot id, sequence numbers). */
fl_err_t fl_ice_table_read_manifest(struct fl_ice_table *tbl, const struct fl_ice_manifest_file *mf,
                                    fl_ice_entry_fn fn, void *ctx, struct fl_error *err);

/* Writes entries (content 0 data, 1 deletes, all of spec) as a new
 * manifest metadata/<uuid>-<tag>.avro of snapshot snapshot_id with
 * sequence number seq, and fills *out (the caller finis it): path,
 * length, counts, partition summaries, min_sequence_number (the least
 * data sequence number of its live entries, seq when none or when they
 * inherit). Unreferenced until a commit names it. */
fl_err_t fl_ice_table_put_manifest(struct fl_ice_table *tbl, const struct fl_ice_spec *spec,
                                   int content, const struct fl_ice_manifest_entry *entries, int n,
                                   const char *tag, int64_t snapshot_id, int64_t seq,
                                   struct fl_ice_manifest_file *out, struct fl_error *err);

/* Writes the manifest list of snapshot snapshot_id (parent_id, sequence
 * number seq) as metadata/snap-<id>-<attempt + 1>-<uuid>.avro; *loc gets
 * its URI (fl_free it). Unreferenced until a commit names it. */
fl_err_t fl_ice_table_put_manifest_list(struct fl_ice_table *tbl, int64_t snapshot_id,
                                        int64_t parent_id, int64_t seq, int attempt,
                                        const struct fl_ice_manifest_file *list, int n, char **loc,
                                        struct fl_error *err);

/* One snapshot adding files and removing what rw->remove picks, with
 * rw's data sequence number and per-attempt validation; operation NULL:
 * derived from what it adds (fl_ice_table_replace and _rewrite are this
 * with a fixed rw). */
fl_err_t fl_ice_table_commit_rw(struct fl_ice_table *tbl, const struct fl_ice_rewrite *rw,
                                const struct fl_ice_data_file *files, int n, const char *operation,
                                const struct fl_ice_kv *summary, int nsummary, int64_t *snapshot_id,
                                struct fl_error *err);

/* Row-delta validation (delta.c): the data files refs names are still
 * live in tbl's fresh base, checked only when a snapshot other than an
 * append was committed since base. FL_ERR_CONFLICT when one is gone. */
struct fl_ice_delta_check {
    int64_t base;
    const char *const *given; /* borrowed, as the caller passed them */
    int ngiven;
    char **refs; /* sorted, distinct copies, made by the first full check */
    int nrefs;
};
void fl_ice_delta_check_init(struct fl_ice_delta_check *dc, int64_t base, const char *const *refs,
                             int nrefs);
void fl_ice_delta_check_fini(struct fl_ice_delta_check *dc);
fl_err_t fl_ice_delta_validate(void *dc, struct fl_ice_table *tbl, struct fl_error *err);

#endif
