/*
 * prune.h - skipping manifests and data files that cannot hold rows a
 * simple predicate wants (format/spec.md, "Scan Planning"): partition
 * summaries prune manifests, partition values and column bounds prune
 * files. Predicates on a source column are projected through each
 * partition transform the way Iceberg's inclusive projection does
 * (identity, year, month, day, hour, truncate keep order; bucket only
 * answers equality). Pruning is conservative: when in doubt, keep.
 */
#ifndef FL_ICEBERG_PRUNE_H
#define FL_ICEBERG_PRUNE_H

#include "batch/batch.h"
#include "iceberg/datafile.h"
#include "iceberg/manifest.h"
#include "iceberg/partition.h"

#include <stdbool.h>

typedef enum {
    FL_ICE_OP_EQ,
    FL_ICE_OP_NE,
    FL_ICE_OP_LT,
    FL_ICE_OP_LE,
    FL_ICE_OP_GT,
    FL_ICE_OP_GE,
    FL_ICE_OP_IS_NULL,
    FL_ICE_OP_NOT_NULL
} fl_ice_op_t;

/* column op literal; the literal is row `row` of col (a column of the
 * predicate's field type, owned by the caller, alive while it is used). */
struct fl_ice_pred {
    int32_t field_id;
    fl_ice_op_t op;
    const struct fl_col *lit;
    size_t row;
};

/* An Appendix D bound of field f as a value (bytes point into b). */
fl_err_t fl_ice_pval_from_bound(const struct fl_field *f, const uint8_t *b, size_t len,
                                struct fl_ice_pval *out);

/* false when no row of the data file can match all preds. */
bool fl_ice_prune_file(const struct fl_schema *schema, const struct fl_ice_spec *spec,
                       const struct fl_ice_data_file *df, const struct fl_ice_pred *preds, int n);
/* false when no file of the manifest can match all preds. */
bool fl_ice_prune_manifest(const struct fl_schema *schema, const struct fl_ice_spec *spec,
                           const struct fl_ice_manifest_file *mf, const struct fl_ice_pred *preds,
                           int n);

#endif
