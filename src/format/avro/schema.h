/*
 * schema.h - Avro schemas as a C tree, parsed from their JSON text.
 *
 * A struct fl_avro_schema owns a byte-exact copy of the JSON it was parsed
 * from (a container header's avro.schema is that text, so Iceberg's
 * field-id, element-id, key-id and value-id attributes survive) and a tree
 * of struct fl_avro_node. Named types (record, enum, fixed) may be
 * referenced again by name, so the tree is a graph: nodes belong to the
 * schema, never to their parents, and live until fl_avro_schema_free().
 */
#ifndef FL_FORMAT_AVRO_SCHEMA_H
#define FL_FORMAT_AVRO_SCHEMA_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hard caps on schemas from outside (a container header). */
#define FL_AVRO_SCHEMA_MAX_JSON ((size_t)4 << 20)
#define FL_AVRO_SCHEMA_MAX_NODES 20000
#define FL_AVRO_SCHEMA_MAX_DEPTH 64

typedef enum {
    FL_AVRO_NULL,
    FL_AVRO_BOOLEAN,
    FL_AVRO_INT,
    FL_AVRO_LONG,
    FL_AVRO_FLOAT,
    FL_AVRO_DOUBLE,
    FL_AVRO_BYTES,
    FL_AVRO_STRING,
    FL_AVRO_RECORD,
    FL_AVRO_ENUM,
    FL_AVRO_ARRAY,
    FL_AVRO_MAP,
    FL_AVRO_UNION,
    FL_AVRO_FIXED
} fl_avro_type_t;

/* The logical types Iceberg uses; others are kept as FL_AVRO_LT_NONE
 * (the Avro spec says unknown logical types fall back to the base type). */
typedef enum {
    FL_AVRO_LT_NONE,
    FL_AVRO_LT_DATE,             /* int: days since 1970-01-01 */
    FL_AVRO_LT_TIME_MILLIS,      /* int */
    FL_AVRO_LT_TIME_MICROS,      /* long */
    FL_AVRO_LT_TIMESTAMP_MILLIS, /* long */
    FL_AVRO_LT_TIMESTAMP_MICROS, /* long; adjust-to-utc says timestamptz */
    FL_AVRO_LT_TIMESTAMP_NANOS,  /* long */
    FL_AVRO_LT_DECIMAL,          /* fixed or bytes, precision and scale */
    FL_AVRO_LT_UUID,             /* fixed(16) or string */
    FL_AVRO_LT_MAP               /* Iceberg: array of {key, value} records */
} fl_avro_logical_t;

/* "No id": the attribute was absent. Iceberg ids are non-negative. */
#define FL_AVRO_NO_ID INT32_MIN

struct fl_avro_node;

struct fl_avro_field {
    const char *name;
    const char *doc;  /* NULL when absent */
    int32_t field_id; /* "field-id", FL_AVRO_NO_ID when absent */
    bool has_default; /* the JSON default itself is in the text */
    struct fl_avro_node *type;
};

struct fl_avro_node {
    fl_avro_type_t type;
    fl_avro_logical_t logical;
    const char *name; /* full name of a record, enum, fixed; else NULL */
    size_t min_size;  /* fewest bytes one datum of this type encodes to */
    /* record */
    size_t nfields;
    struct fl_avro_field *fields;
    /* enum */
    size_t nsymbols;
    const char **symbols;
    /* array items, map values */
    struct fl_avro_node *items;
    /* union */
    size_t nbranches;
    struct fl_avro_node **branches;
    /* fixed */
    size_t size;
    /* decimal */
    int precision, scale;
    bool adjust_to_utc;       /* timestamp "adjust-to-utc": true */
    int32_t element_id;       /* array "element-id" */
    int32_t key_id, value_id; /* map "key-id", "value-id" */
};

struct fl_avro_schema;

/* Parses len bytes of Avro schema JSON. The text is copied byte for byte.
 * Errors: FL_ERR_INVALID (with a message in err) for JSON that is no
 * valid schema, FL_ERR_LIMIT beyond the caps above. */
fl_err_t fl_avro_schema_parse(const char *json, size_t len, struct fl_avro_schema **schemap,
                              struct fl_error *err);
void fl_avro_schema_free(struct fl_avro_schema *schema);

const struct fl_avro_node *fl_avro_schema_root(const struct fl_avro_schema *schema);
/* The exact text given to fl_avro_schema_parse (NUL-terminated). */
const char *fl_avro_schema_json(const struct fl_avro_schema *schema, size_t *len);

/* Field of a record by name or by Iceberg field-id; NULL if none (or if
 * node is no record). *index (may be NULL) gets its position. */
const struct fl_avro_field *fl_avro_node_field(const struct fl_avro_node *node, const char *name,
                                               size_t *index);
const struct fl_avro_field *fl_avro_node_field_by_id(const struct fl_avro_node *node, int32_t id,
                                                     size_t *index);
/* For a union of null and one other type: that type; otherwise node. */
const struct fl_avro_node *fl_avro_node_nonnull(const struct fl_avro_node *node);
/* "int", "record", ... */
const char *fl_avro_type_name(fl_avro_type_t type);

#endif
