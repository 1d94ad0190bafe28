/*
 * table_int.h - what the files of src/iceberg/ that take part in a
 * commit share about a table's manifests: reading one a manifest list
 * names, and writing a new one into the table's metadata folder.
 */
#ifndef FL_ICEBERG_TABLE_INT_H
#define FL_ICEBERG_TABLE_INT_H

#include "iceberg/table.h"

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

#endif
