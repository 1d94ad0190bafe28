/*
 * schema.h - the type system: Iceberg schemas (field ids, names, types,
 * required flags), on the core floor so that batch/, format/ and iceberg/
 * all stand on it.
 *
 * One representation serves the table metadata, the columnar batches and
 * the Parquet files: a struct fl_schema is read from and written as
 * Iceberg's schema JSON (format/spec.md, "Schemas" and Appendix C), so a
 * table's schema and a batch's schema are the same object.
 *
 * Nested types (struct, list, map) are parsed and printed; batches hold
 * their values as JSON text (batch/batch.h), which the Parquet reader
 * assembles and the writer shreds (format/parquet/nested.h, shred.h).
 */
#ifndef FL_CORE_SCHEMA_H
#define FL_CORE_SCHEMA_H

#include "core/buf.h"
#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    FL_TYPE_BOOLEAN = 1,
    FL_TYPE_INT,         /* int32 */
    FL_TYPE_LONG,        /* int64 */
    FL_TYPE_FLOAT,       /* IEEE 754 binary32 */
    FL_TYPE_DOUBLE,      /* IEEE 754 binary64 */
    FL_TYPE_DECIMAL,     /* decimal(precision, scale), precision <= 38 */
    FL_TYPE_DATE,        /* int32 days since 1970-01-01 */
    FL_TYPE_TIME,        /* int64 microseconds since midnight */
    FL_TYPE_TIMESTAMP,   /* int64 microseconds since epoch, no zone */
    FL_TYPE_TIMESTAMPTZ, /* int64 microseconds since epoch, UTC */
    FL_TYPE_STRING,      /* UTF-8 bytes */
    FL_TYPE_BINARY,      /* bytes */
    FL_TYPE_UUID,        /* 16 bytes, RFC 4122 byte order */
    FL_TYPE_FIXED,       /* fixed[length] bytes */
    FL_TYPE_STRUCT,
    FL_TYPE_LIST,
    FL_TYPE_MAP
} fl_type_id_t;

struct fl_field {
    int32_t id;
    char *name;
    bool required;
    fl_type_id_t type;
    int32_t precision; /* decimal */
    int32_t scale;     /* decimal */
    int32_t length;    /* fixed */
    char *doc;         /* may be NULL */
    /* format 3 default values, as their JSON text (the spec's JSON
     * single-value serialization); NULL when absent. initial_default is
     * what rows written before the field existed read as. */
    char *initial_default;
    char *write_default;
    /* format 3 types floe maps onto others: timestamp_ns and timestamptz_ns
     * are FL_TYPE_TIMESTAMP(TZ) with nanos set (values held in
     * microseconds, the nanoseconds truncated); unknown, variant,
     * geometry(...) and geography(...) are kept as their type text in
     * opaque_type (type FL_TYPE_BINARY, never read: unknown is always
     * null, the others are refused when selected). */
    bool nanos;
    char *opaque_type;
    /* struct: the fields; list: one child, the element (its id is the
     * element-id); map: two children, key then value. */
    struct fl_field *children;
    int nchildren;
};

struct fl_schema {
    int32_t schema_id;
    struct fl_field *fields; /* top-level fields in order */
    int nfields;
    int32_t *identifier_ids; /* identifier-field-ids, may be NULL */
    int nidentifier;
};

/* Parses Iceberg schema JSON ({"type":"struct","schema-id":..,"fields":[..]})
 * from len bytes. The caller owns *out (fl_schema_free). Errors name the
 * field and say what is wrong. */
fl_err_t fl_schema_parse(const char *json, size_t len, struct fl_schema **out,
                         struct fl_error *err);
/* Same, from a file path. */
fl_err_t fl_schema_load(const char *path, struct fl_schema **out, struct fl_error *err);

/* Appends the schema as Iceberg schema JSON to out. */
fl_err_t fl_schema_to_json(const struct fl_schema *schema, struct fl_buf *out);

void fl_schema_free(struct fl_schema *schema);
/* Deep copy. */
struct fl_schema *fl_schema_dup(const struct fl_schema *schema);
/* A new schema holding copies of the given top-level fields, in order. */
struct fl_schema *fl_schema_select(const struct fl_schema *schema, const int *field_idx, int n);

/* Top-level lookups; -1 when absent. */
int fl_schema_index_by_id(const struct fl_schema *schema, int32_t id);
int fl_schema_index_by_name(const struct fl_schema *schema, const char *name);
/* Highest field id anywhere in the schema (last-column-id). */
int32_t fl_schema_max_field_id(const struct fl_schema *schema);

/* Iceberg type text: "long", "decimal(10, 2)", "fixed[16]", "struct"... */
void fl_type_format(const struct fl_field *field, char *out, size_t outsz);
/* Parses a primitive type text into field->type/precision/scale/length
 * (and nanos, opaque_type: fl_schema_free frees the latter). */
fl_err_t fl_type_parse(const char *text, struct fl_field *field);
/* Bytes per value in a batch column for fixed-width types, 0 for
 * string/binary and nested types. boolean is 1 byte (0 or 1), decimal is
 * 16 bytes (little-endian two's complement __int128). */
size_t fl_type_width(const struct fl_field *field);
/* The Iceberg type JSON of a type in the config's compact text form: a
 * primitive ("long", "decimal(10, 2)"), "list<T>", "map<K, V>" or
 * "struct<name: T, ...>", nested freely. Element, value and member types
 * are optional (map keys required); their ids are taken from *next_id on.
 * FL_ERR_INVALID with why for text that is not a type. */
fl_err_t fl_type_text_json(const char *text, int32_t *next_id, struct fl_buf *out, char *why,
                           size_t whysz);
bool fl_type_is_primitive(fl_type_id_t type);
/* Whether floe can hold the field's values exactly as the table's type
 * says (false for timestamp_ns, timestamptz_ns and the opaque types):
 * writers refuse such fields, pruning skips them. */
bool fl_field_is_exact(const struct fl_field *field);

#endif
