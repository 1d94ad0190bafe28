/*
 * puffin.h - Puffin files (apache/iceberg format/puffin-spec.md): the
 * container Iceberg v3 keeps deletion vectors and statistics in.
 *
 * A file is Magic "PFA1", blobs, then the footer: Magic, a JSON payload
 * (optionally one LZ4 frame), the payload size (4 bytes little-endian),
 * 4 flag bytes, Magic. The reader parses the footer from memory and
 * checks every blob's offset and length against the file before anyone
 * looks at a blob; the writer builds a whole file in memory (deletion
 * vectors are small) and hands the bytes over.
 */
#ifndef FL_FORMAT_PUFFIN_H
#define FL_FORMAT_PUFFIN_H

#include "core/buf.h"
#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

#define FL_PUFFIN_MAGIC "PFA1"
#define FL_PUFFIN_FOOTER_MAX ((size_t)16 << 20) /* payload, after decompression */
#define FL_PUFFIN_BLOBS_MAX 1000000
#define FL_PUFFIN_DV_TYPE "deletion-vector-v1"

/* One blob's metadata; strings point into the parsed footer. */
struct fl_puffin_blob {
    const char *type;
    int64_t snapshot_id;
    int64_t sequence_number;
    int64_t offset; /* checked: offset + length lies inside the blob area */
    int64_t length;
    const char *codec;                /* NULL: uncompressed */
    const char *referenced_data_file; /* properties["referenced-data-file"], or NULL */
    int64_t cardinality;              /* properties["cardinality"], -1 when absent */
};

struct fl_puffin {
    struct fl_puffin_blob *blobs;
    int nblobs;
    void *doc; /* the footer JSON (json_t *), owned */
};

/* Parses the footer of the len bytes at data (not copied, not kept).
 * FL_ERR_CORRUPT names what is wrong (magic, sizes, JSON, a blob outside
 * the file). The caller owns *out (fl_puffin_free). */
fl_err_t fl_puffin_open(const uint8_t *data, size_t len, struct fl_puffin **out,
                        struct fl_error *err);
void fl_puffin_free(struct fl_puffin *pf);
/* The blob that starts at offset with length bytes, or NULL. */
const struct fl_puffin_blob *fl_puffin_find(const struct fl_puffin *pf, int64_t offset,
                                            int64_t length);

/* ---- writing ---- */

struct fl_puffin_writer {
    struct fl_buf *out; /* borrowed: the file grows here */
    void *blobs;        /* json_t array, owned */
};

/* Starts a file in out (the magic). */
fl_err_t fl_puffin_writer_init(struct fl_puffin_writer *w, struct fl_buf *out);
/* Appends one uncompressed blob of type for field field_id, with the
 * given string properties (keys[i] = values[i]); *offset gets where it
 * starts. snapshot-id and sequence-number are -1, as Puffin v1 requires
 * of deletion vectors written before their commit. */
fl_err_t fl_puffin_writer_add(struct fl_puffin_writer *w, const char *type, int32_t field_id,
                              const uint8_t *data, size_t len, const char *const *keys,
                              const char *const *values, int nprops, int64_t *offset);
/* Writes the footer (uncompressed, properties created-by) and ends w. */
fl_err_t fl_puffin_writer_finish(struct fl_puffin_writer *w, const char *created_by);
/* Releases w without finishing (after an error). */
void fl_puffin_writer_fini(struct fl_puffin_writer *w);

#endif
