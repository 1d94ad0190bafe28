/*
 * partition.h - Iceberg partition specs: fields mapping a source column
 * through a transform to a partition field id and name (format/spec.md,
 * "Partitioning"), their JSON form, and the partition tuple and path of
 * a batch row.
 */
#ifndef FL_ICEBERG_PARTITION_H
#define FL_ICEBERG_PARTITION_H

#include "batch/batch.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/schema.h"
#include "iceberg/transform.h"

#include <stdint.h>

/* Partition field ids start here, as Iceberg Java assigns them. */
#define FL_ICE_PARTITION_FIELD_ID_START 1000

struct fl_ice_part_field {
    int32_t source_id;
    int32_t field_id;
    char *name;
    struct fl_ice_transform transform;
};

struct fl_ice_spec {
    int32_t spec_id;
    struct fl_ice_part_field *fields;
    int nfields;
};

/* Parses {"spec-id":N,"fields":[{"source-id","field-id","name","transform"}]}
 * text; the caller owns *out. */
fl_err_t fl_ice_spec_parse(const char *json, size_t len, struct fl_ice_spec **out,
                           struct fl_error *err);
/* Builds a spec from "transform(column)" terms as users write them:
 * "day(ts)", "bucket(16, id)", "truncate(4, name)", "city" (identity).
 * Field ids are assigned from first_field_id; names follow Iceberg's
 * defaults (ts_day, id_bucket, name_trunc, city). */
fl_err_t fl_ice_spec_from_terms(const struct fl_schema *schema, int32_t spec_id,
                                const char *const *terms, int nterms, int32_t first_field_id,
                                struct fl_ice_spec **out, struct fl_error *err);
/* One such term into the spec's transform text ("day", "bucket[16]",
 * "identity") and the column name; FL_ERR_INVALID when it is not col,
 * f(col) or f(N, col). Partition and sort order terms alike. */
fl_err_t fl_ice_term_parse(const char *term, char *xf, size_t xfsz, char *col, size_t colsz);
/* Checks every source id exists in schema and takes its transform. */
fl_err_t fl_ice_spec_bind(const struct fl_ice_spec *spec, const struct fl_schema *schema,
                          struct fl_error *err);
/* Appends the spec as JSON; fields_only writes just the fields array
 * (the Avro manifest's "partition-spec" metadata value). */
fl_err_t fl_ice_spec_to_json(const struct fl_ice_spec *spec, int fields_only, struct fl_buf *out);
void fl_ice_spec_free(struct fl_ice_spec *spec);
/* Highest partition field id, or FL_ICE_PARTITION_FIELD_ID_START - 1. */
int32_t fl_ice_spec_last_field_id(const struct fl_ice_spec *spec);

/* Partition values of one row of batch (whose schema the spec is bound
 * to): out[i] for spec field i. */
void fl_ice_spec_row_values(const struct fl_ice_spec *spec, const struct fl_batch *batch,
                            size_t row, struct fl_ice_pval *out);
/* Appends "name=value/name=value" for those values (URL-escaped). */
fl_err_t fl_ice_spec_path(const struct fl_ice_spec *spec, const struct fl_ice_pval *vals,
                          struct fl_buf *out);

#endif
