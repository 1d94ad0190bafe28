/*
 * container.h - Avro object container files (Avro 1.11 spec, "Object
 * Container Files"), written and read by floe itself.
 *
 * A file is the magic "Obj\x01", a metadata map<bytes> (avro.schema, the
 * schema's JSON text; avro.codec; the caller's keys, for Iceberg "schema",
 * "partition-spec", "format-version", ...), a 16-byte sync marker, then
 * blocks: record count, byte size, the (compressed) records, the sync
 * marker again.
 *
 * The writer builds the whole file in memory (manifests are small) and
 * hands the bytes over; the reader reads a file from memory or from a
 * path and yields one record at a time.
 */
#ifndef FL_FORMAT_AVRO_CONTAINER_H
#define FL_FORMAT_AVRO_CONTAINER_H

#include "core/err.h"
#include "format/avro/codec.h"
#include "format/avro/schema.h"
#include "format/avro/value.h"

#include <stddef.h>
#include <stdint.h>

#define FL_AVRO_SYNC_SIZE 16
#define FL_AVRO_FILE_MAX ((size_t)1 << 30)     /* whole file, both ways */
#define FL_AVRO_BLOCK_BYTES ((size_t)64 << 10) /* writer: flush a block past this */
#define FL_AVRO_META_MAX_KEYS 1024

struct fl_avro_writer;
struct fl_avro_reader;

/* ---- writing ---- */

/* A writer of records of schema (borrowed: it must outlive the writer),
 * compressed with codec (null and deflate are what Iceberg readers take;
 * snappy and zstandard also work). */
fl_err_t fl_avro_writer_new(const struct fl_avro_schema *schema, fl_avro_codec_t codec,
                            struct fl_avro_writer **wp, struct fl_error *err);
void fl_avro_writer_free(struct fl_avro_writer *w);

/* Adds (or replaces) a metadata entry; val is copied. Only before the
 * first record. Keys starting "avro." are reserved (FL_ERR_INVALID). */
fl_err_t fl_avro_writer_set_meta(struct fl_avro_writer *w, const char *key, const void *val,
                                 size_t len, struct fl_error *err);
/* Replaces the random sync marker (for reproducible files in tests). */
void fl_avro_writer_set_sync(struct fl_avro_writer *w, const uint8_t sync[FL_AVRO_SYNC_SIZE]);
/* Uncompressed bytes of records after which a block is closed. */
void fl_avro_writer_set_block_bytes(struct fl_avro_writer *w, size_t bytes);

/* Encodes one record (a datum of the schema's root). A record that does
 * not fit the schema is refused with FL_ERR_INVALID and leaves the file
 * as it was. */
fl_err_t fl_avro_writer_append(struct fl_avro_writer *w, const struct fl_avro_value *rec,
                               struct fl_error *err);
/* Closes the last block and hands over the file: *data (free with
 * fl_free) of *len bytes. The writer takes no more records. */
fl_err_t fl_avro_writer_finish(struct fl_avro_writer *w, uint8_t **data, size_t *len,
                               struct fl_error *err);

/* ---- reading ---- */

/* Caps for a reader; zero fields take the defaults. */
struct fl_avro_reader_opts {
    size_t block_max;  /* decompressed bytes of one block (default 64 MiB) */
    size_t record_max; /* arena bytes for one decoded record (default 64 MiB) */
};

/* Parses the header of len bytes at data (borrowed: they must outlive
 * the reader). opts may be NULL. Errors: FL_ERR_CORRUPT for what is no
 * Avro container (bad magic, bad metadata, bad schema JSON), and
 * FL_ERR_UNSUPPORTED for an unknown codec, each with a message. */
fl_err_t fl_avro_reader_open(const uint8_t *data, size_t len,
                             const struct fl_avro_reader_opts *opts, struct fl_avro_reader **rp,
                             struct fl_error *err);
/* The same for a whole file read from path (at most FL_AVRO_FILE_MAX). */
fl_err_t fl_avro_reader_open_file(const char *path, const struct fl_avro_reader_opts *opts,
                                  struct fl_avro_reader **rp, struct fl_error *err);
void fl_avro_reader_free(struct fl_avro_reader *r);

/* The writer's schema, parsed from the header's avro.schema. */
const struct fl_avro_schema *fl_avro_reader_schema(const struct fl_avro_reader *r);
fl_avro_codec_t fl_avro_reader_codec(const struct fl_avro_reader *r);
/* A metadata value (NUL-terminated copy, len without the NUL), NULL if
 * absent. */
const char *fl_avro_reader_meta(const struct fl_avro_reader *r, const char *key, size_t *len);
size_t fl_avro_reader_meta_count(const struct fl_avro_reader *r);
/* Entry i in file order. */
void fl_avro_reader_meta_at(const struct fl_avro_reader *r, size_t i, const char **key,
                            const char **val, size_t *len);

/* The next record, valid until the next call or fl_avro_reader_free().
 * FL_ERR_EOF after the last; FL_ERR_CORRUPT for a truncated file, a bad
 * sync marker, a block whose records do not fill it exactly, or bad data. */
fl_err_t fl_avro_reader_next(struct fl_avro_reader *r, const struct fl_avro_value **rec,
                             struct fl_error *err);

#endif
