/*
 * dvfile.h - a table's deletion vectors in its store (format 3): one
 * read back from the Puffin file a manifest entry names, checked against
 * that entry; and new ones written as one Puffin file whose blobs become
 * position delete entries (file_format PUFFIN, referenced_data_file,
 * content_offset, content_size_in_bytes).
 */
#ifndef FL_ICEBERG_DVFILE_H
#define FL_ICEBERG_DVFILE_H

#include "core/buf.h"
#include "core/err.h"
#include "format/puffin/dv.h"
#include "iceberg/datafile.h"

struct fl_ice_table;

/* Decodes the deletion vector at [offset, offset + size) of the Puffin
 * file in `file` (its bytes) that applies to data file ref and, the
 * manifest says, holds card positions. The Puffin footer must list that
 * range as an uncompressed deletion-vector-v1 blob for ref; a file
 * without Puffin magic that is exactly the blob (DuckDB 1.5.3 wrote
 * bare blobs) is read as the blob. The caller owns *out. */
fl_err_t fl_ice_dv_from_file(const struct fl_buf *file, int64_t offset, int64_t size,
                             const char *ref, int64_t card, struct fl_dv **out,
                             struct fl_error *err);

/* One deletion vector to write: the data file it applies to, as its
 * manifest entry says it (path, spec, partition), and the positions. */
struct fl_ice_dv_target {
    const struct fl_ice_data_file *data; /* borrowed */
    struct fl_dv *dv;                    /* borrowed */
    const char *replaces;                /* the live vector merged into dv, or NULL */
    int64_t replaces_offset;
};

/* Writes the n vectors as one Puffin file data/<uuid>-deletes.puffin in
 * tbl's store, without committing: *out gets one position delete entry
 * per vector (the caller finis each and frees the array). */
fl_err_t fl_ice_dv_write(struct fl_ice_table *tbl, const struct fl_ice_dv_target *t, int n,
                         struct fl_ice_data_file **out, struct fl_error *err);

#endif
