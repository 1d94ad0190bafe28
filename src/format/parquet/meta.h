/*
 * meta.h - Parquet metadata as C structs (parquet.thrift's FileMetaData,
 * SchemaElement, RowGroup, ColumnChunk, ColumnMetaData, Statistics,
 * KeyValue, PageHeader, ColumnIndex, OffsetIndex), their parsers, and the
 * text forms `floe parquet meta` and `floe parquet schema` print.
 *
 * Parsing never trusts the bytes: lengths and counts are bounded by the
 * input, required fields are checked, unknown fields are skipped. A file
 * metadata and a page index own an arena that holds everything they point
 * to (strings are copied and NUL-terminated), and the arena has a cap
 * proportional to the input, so a footer cannot make us allocate much
 * more than its own size. A page header is parsed into a caller's struct
 * with no allocation (its statistics are skipped).
 */
#ifndef FL_FORMAT_PARQUET_META_H
#define FL_FORMAT_PARQUET_META_H

#include "core/buf.h"
#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* parquet.thrift enums, values as on the wire. */
enum fl_pq_type {
    FL_PQ_BOOLEAN = 0,
    FL_PQ_INT32 = 1,
    FL_PQ_INT64 = 2,
    FL_PQ_INT96 = 3,
    FL_PQ_FLOAT = 4,
    FL_PQ_DOUBLE = 5,
    FL_PQ_BYTE_ARRAY = 6,
    FL_PQ_FIXED_LEN_BYTE_ARRAY = 7
};
enum fl_pq_repetition { FL_PQ_REQUIRED = 0, FL_PQ_OPTIONAL = 1, FL_PQ_REPEATED = 2 };
enum fl_pq_converted {
    FL_PQ_CT_UTF8 = 0,
    FL_PQ_CT_MAP = 1,
    FL_PQ_CT_MAP_KEY_VALUE = 2,
    FL_PQ_CT_LIST = 3,
    FL_PQ_CT_ENUM = 4,
    FL_PQ_CT_DECIMAL = 5,
    FL_PQ_CT_DATE = 6,
    FL_PQ_CT_TIME_MILLIS = 7,
    FL_PQ_CT_TIME_MICROS = 8,
    FL_PQ_CT_TIMESTAMP_MILLIS = 9,
    FL_PQ_CT_TIMESTAMP_MICROS = 10,
    FL_PQ_CT_UINT_8 = 11,
    FL_PQ_CT_UINT_16 = 12,
    FL_PQ_CT_UINT_32 = 13,
    FL_PQ_CT_UINT_64 = 14,
    FL_PQ_CT_INT_8 = 15,
    FL_PQ_CT_INT_16 = 16,
    FL_PQ_CT_INT_32 = 17,
    FL_PQ_CT_INT_64 = 18,
    FL_PQ_CT_JSON = 19,
    FL_PQ_CT_BSON = 20,
    FL_PQ_CT_INTERVAL = 21
};
enum fl_pq_encoding {
    FL_PQ_ENC_PLAIN = 0,
    FL_PQ_ENC_PLAIN_DICTIONARY = 2,
    FL_PQ_ENC_RLE = 3,
    FL_PQ_ENC_BIT_PACKED = 4,
    FL_PQ_ENC_DELTA_BINARY_PACKED = 5,
    FL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    FL_PQ_ENC_DELTA_BYTE_ARRAY = 7,
    FL_PQ_ENC_RLE_DICTIONARY = 8,
    FL_PQ_ENC_BYTE_STREAM_SPLIT = 9,
    FL_PQ_ENC_ALP = 10
};
enum fl_pq_page_type {
    FL_PQ_PAGE_DATA = 0,
    FL_PQ_PAGE_INDEX = 1,
    FL_PQ_PAGE_DICTIONARY = 2,
    FL_PQ_PAGE_DATA_V2 = 3
};
/* LogicalType union members (field ids); NONE = absent, OTHER = a member
 * this reader does not know (a newer writer's). */
enum fl_pq_logical_kind {
    FL_PQ_LT_NONE = 0,
    FL_PQ_LT_STRING = 1,
    FL_PQ_LT_MAP = 2,
    FL_PQ_LT_LIST = 3,
    FL_PQ_LT_ENUM = 4,
    FL_PQ_LT_DECIMAL = 5,
    FL_PQ_LT_DATE = 6,
    FL_PQ_LT_TIME = 7,
    FL_PQ_LT_TIMESTAMP = 8,
    FL_PQ_LT_INTEGER = 10,
    FL_PQ_LT_UNKNOWN = 11,
    FL_PQ_LT_JSON = 12,
    FL_PQ_LT_BSON = 13,
    FL_PQ_LT_UUID = 14,
    FL_PQ_LT_FLOAT16 = 15,
    FL_PQ_LT_VARIANT = 16,
    FL_PQ_LT_GEOMETRY = 17,
    FL_PQ_LT_GEOGRAPHY = 18,
    FL_PQ_LT_FILE = 19,
    FL_PQ_LT_OTHER = 255
};
enum fl_pq_time_unit {
    FL_PQ_UNIT_NONE = 0,
    FL_PQ_UNIT_MILLIS = 1,
    FL_PQ_UNIT_MICROS = 2,
    FL_PQ_UNIT_NANOS = 3
};

/* Bytes owned by the metadata's arena. */
struct fl_pq_bin {
    const uint8_t *data;
    size_t len;
};

struct fl_pq_stats {
    bool has_max, has_min, has_max_value, has_min_value;
    bool has_null_count, has_distinct_count, has_nan_count;
    bool has_is_max_exact, has_is_min_exact;
    bool is_max_value_exact, is_min_value_exact;
    struct fl_pq_bin max, min, max_value, min_value;
    int64_t null_count, distinct_count, nan_count;
};

struct fl_pq_logical {
    int kind;      /* enum fl_pq_logical_kind */
    int32_t scale; /* DECIMAL */
    int32_t precision;
    bool utc;       /* TIME, TIMESTAMP: isAdjustedToUTC */
    int unit;       /* TIME, TIMESTAMP: enum fl_pq_time_unit */
    int bit_width;  /* INTEGER */
    bool is_signed; /* INTEGER */
};

struct fl_pq_schema_elem {
    const char *name;
    bool has_type, has_type_length, has_repetition, has_num_children;
    bool has_converted, has_scale, has_precision, has_field_id;
    int type; /* enum fl_pq_type */
    int32_t type_length;
    int repetition; /* enum fl_pq_repetition */
    int32_t num_children;
    int converted; /* enum fl_pq_converted */
    int32_t scale, precision, field_id;
    struct fl_pq_logical logical;
};

struct fl_pq_kv {
    const char *key;
    size_t key_len;
    const char *value; /* NULL when absent */
    size_t value_len;
};

struct fl_pq_col_meta {
    int type;
    int *encodings;
    int nencodings;
    const char **path;
    int npath;
    int codec;
    int64_t num_values, total_uncompressed_size, total_compressed_size;
    struct fl_pq_kv *kv;
    int nkv;
    int64_t data_page_offset;
    bool has_index_page_offset, has_dictionary_page_offset, has_stats, has_bloom_filter;
    int64_t index_page_offset, dictionary_page_offset;
    struct fl_pq_stats stats;
    int64_t bloom_filter_offset;
    int32_t bloom_filter_length; /* -1 when absent */
};

struct fl_pq_column_chunk {
    const char *file_path; /* NULL: this file */
    int64_t file_offset;
    bool has_meta_data, has_offset_index, has_column_index, encrypted;
    struct fl_pq_col_meta meta;
    int64_t offset_index_offset, column_index_offset;
    int32_t offset_index_length, column_index_length;
};

struct fl_pq_row_group {
    struct fl_pq_column_chunk *columns;
    int ncolumns;
    int64_t total_byte_size, num_rows;
    bool has_file_offset, has_total_compressed_size, has_ordinal;
    int64_t file_offset, total_compressed_size;
    int16_t ordinal;
    int nsorting_columns;
};

/* A leaf (primitive) column of the schema tree, in column-chunk order. */
struct fl_pq_leaf {
    int elem;         /* index into schema[] */
    int top;          /* index of its top-level ancestor among the root's children */
    int top_elem;     /* schema[] index of that ancestor */
    int16_t max_def;  /* max definition level */
    int16_t max_rep;  /* max repetition level */
    int depth;        /* 1 = child of the root */
    const char *path; /* dotted path, arena-owned */
};

struct fl_pq_arena;

struct fl_pq_file_meta {
    int32_t version;
    struct fl_pq_schema_elem *schema; /* schema[0] is the root */
    int nschema;
    int64_t num_rows;
    struct fl_pq_row_group *row_groups;
    int nrow_groups;
    struct fl_pq_kv *kv;
    int nkv;
    const char *created_by; /* NULL when absent */
    int *column_orders;     /* 1 = TYPE_ORDER, 0 = another (unknown) order */
    int ncolumn_orders;
    bool encrypted; /* encryption_algorithm present */
    /* Derived from the schema tree. */
    struct fl_pq_leaf *leaves;
    int nleaves;
    int ntop; /* children of the root */
    struct fl_pq_arena *arena;
};

struct fl_pq_data_page_header {
    int32_t num_values;
    int encoding;
    int def_encoding;
    int rep_encoding;
};
struct fl_pq_dict_page_header {
    int32_t num_values;
    int encoding;
    bool is_sorted;
};
struct fl_pq_data_page_header_v2 {
    int32_t num_values, num_nulls, num_rows;
    int encoding;
    int32_t def_levels_byte_length, rep_levels_byte_length;
    bool is_compressed; /* default true */
};
struct fl_pq_page_header {
    int type; /* enum fl_pq_page_type */
    int32_t uncompressed_page_size, compressed_page_size;
    bool has_crc, has_data, has_dict, has_data_v2;
    uint32_t crc;
    struct fl_pq_data_page_header data;
    struct fl_pq_dict_page_header dict;
    struct fl_pq_data_page_header_v2 data_v2;
};

struct fl_pq_column_index {
    int npages;
    bool *null_pages;
    struct fl_pq_bin *min_values, *max_values;
    int boundary_order;   /* 0 unordered, 1 ascending, 2 descending */
    int64_t *null_counts; /* NULL when absent */
    struct fl_pq_arena *arena;
};

struct fl_pq_page_location {
    int64_t offset;
    int32_t compressed_page_size;
    int64_t first_row_index;
};
struct fl_pq_offset_index {
    int npages;
    struct fl_pq_page_location *pages;
    struct fl_pq_arena *arena;
};

/* Parses a serialized FileMetaData of len bytes (the footer); base is its
 * file position, for messages. The caller owns *out (fl_pq_file_meta_free).
 * Checks the schema tree (num_children consistent, depth capped) and that
 * each row group has one column chunk per leaf. FL_ERR_CORRUPT with the
 * byte position on malformed input, FL_ERR_LIMIT if it would need more
 * memory than its cap. */
fl_err_t fl_pq_file_meta_parse(const uint8_t *data, size_t len, int64_t base,
                               struct fl_pq_file_meta **out, struct fl_error *err);
void fl_pq_file_meta_free(struct fl_pq_file_meta *meta);

/* Parses one PageHeader from at most len bytes; *hdr_len gets its size. */
fl_err_t fl_pq_page_header_parse(const uint8_t *data, size_t len, int64_t base,
                                 struct fl_pq_page_header *hdr, size_t *hdr_len,
                                 struct fl_error *err);

fl_err_t fl_pq_column_index_parse(const uint8_t *data, size_t len, int64_t base,
                                  struct fl_pq_column_index **out, struct fl_error *err);
void fl_pq_column_index_free(struct fl_pq_column_index *ci);
fl_err_t fl_pq_offset_index_parse(const uint8_t *data, size_t len, int64_t base,
                                  struct fl_pq_offset_index **out, struct fl_error *err);
void fl_pq_offset_index_free(struct fl_pq_offset_index *oi);

/* Names of enum values ("INT32", "RLE_DICTIONARY", ...); "UNKNOWN(n)"
 * forms go into the caller's scratch of at least 24 bytes. */
const char *fl_pq_type_name(int type);
const char *fl_pq_encoding_name(int enc, char *scratch, size_t n);
const char *fl_pq_converted_name(int ct);

/* Appends the metadata as JSON (what `floe parquet meta` prints): version,
 * num_rows, created_by, key-value metadata, and per row group its column
 * chunks with path, physical type, encodings, codec, sizes, num_values,
 * statistics decoded to readable values, page-index presence. */
fl_err_t fl_pq_meta_to_json(const struct fl_pq_file_meta *meta, struct fl_buf *out);
/* Appends the schema tree as indented text, one element a line:
 * "<repetition> <physical> <name> (<logical>) = <field id>". */
fl_err_t fl_pq_schema_to_text(const struct fl_pq_file_meta *meta, struct fl_buf *out);

#endif
