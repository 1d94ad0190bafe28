/*
 * meta.h - the ORC file tail and stripe footers (ORCv1 spec, "File
 * Tail", "Stripes"): the PostScript, the Footer's stripes and types
 * (with the Iceberg attributes iceberg.id, iceberg.long-type and
 * iceberg.binary-type), and each stripe footer's streams and column
 * encodings, decoded from their protobuf bytes. Offsets and lengths are
 * checked against the file before anyone uses them.
 */
#ifndef FL_FORMAT_ORC_META_H
#define FL_FORMAT_ORC_META_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FL_ORC_MAX_TYPES 100000
#define FL_ORC_MAX_STRIPES 1000000
#define FL_ORC_MAX_STREAMS 1000000
#define FL_ORC_MAX_TAIL ((size_t)256 << 20)

/* Type.Kind */
enum {
    FL_ORC_BOOLEAN = 0,
    FL_ORC_BYTE,
    FL_ORC_SHORT,
    FL_ORC_INT,
    FL_ORC_LONG,
    FL_ORC_FLOAT,
    FL_ORC_DOUBLE,
    FL_ORC_STRING,
    FL_ORC_BINARY,
    FL_ORC_TIMESTAMP,
    FL_ORC_LIST,
    FL_ORC_MAP,
    FL_ORC_STRUCT,
    FL_ORC_UNION,
    FL_ORC_DECIMAL,
    FL_ORC_DATE,
    FL_ORC_VARCHAR,
    FL_ORC_CHAR,
    FL_ORC_TIMESTAMP_INSTANT
};

/* Stream.Kind */
enum {
    FL_ORC_PRESENT = 0,
    FL_ORC_DATA = 1,
    FL_ORC_LENGTH = 2,
    FL_ORC_DICTIONARY_DATA = 3,
    FL_ORC_SECONDARY = 5
};

/* ColumnEncoding.Kind */
enum { FL_ORC_DIRECT = 0, FL_ORC_DICTIONARY, FL_ORC_DIRECT_V2, FL_ORC_DICTIONARY_V2 };

#define FL_ORC_NO_ID INT32_MIN

struct fl_orc_type {
    int kind;
    uint32_t *sub; /* subtypes: column ids */
    int nsub;
    char **names; /* struct field names, nsub of them for a struct */
    int nnames;
    uint32_t precision, scale;
    int32_t iceberg_id;   /* "iceberg.id", FL_ORC_NO_ID when absent */
    char long_type[16];   /* "iceberg.long-type" ("TIME"), "" when absent */
    char binary_type[16]; /* "iceberg.binary-type" ("UUID", "FIXED") */
};

struct fl_orc_stripe {
    uint64_t offset, index_len, data_len, footer_len, rows;
};

struct fl_orc_tail {
    int codec;
    uint64_t block;
    struct fl_orc_type *types; /* column i is types[i]; 0 is the root */
    int ntypes;
    struct fl_orc_stripe *stripes;
    int nstripes;
    uint64_t rows;
};

/* Parses the tail of a whole file of len bytes. FL_ERR_CORRUPT for no
 * ORC file or a bad tail, FL_ERR_UNSUPPORTED for an encrypted file or an
 * unknown codec. */
fl_err_t fl_orc_tail_parse(const uint8_t *data, size_t len, struct fl_orc_tail *t,
                           struct fl_error *err);
void fl_orc_tail_fini(struct fl_orc_tail *t);

struct fl_orc_stream {
    int kind;
    uint32_t column;
    uint64_t offset, length; /* offset in the file */
};

struct fl_orc_stripe_footer {
    struct fl_orc_stream *streams;
    int nstreams;
    int *enc; /* per column */
    uint32_t *dict_size;
    int nenc;
    char tz[64]; /* writerTimezone, "" when absent */
};

/* Parses a (decompressed) stripe footer of stripe s; streams get their
 * file offsets, checked to lie inside the stripe's index and data. */
fl_err_t fl_orc_stripe_footer_parse(const uint8_t *data, size_t len, const struct fl_orc_stripe *s,
                                    struct fl_orc_stripe_footer *f, struct fl_error *err);
void fl_orc_stripe_footer_fini(struct fl_orc_stripe_footer *f);

#endif
