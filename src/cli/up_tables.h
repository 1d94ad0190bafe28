/*
 * up_tables.h - the `tables:` section of the configuration made real:
 * the schema and partition spec each entry declares, created in the
 * catalog by `floe up` when missing, compared when present; and a
 * pipeline's configured map steps in the pipeline's form.
 */
#ifndef FL_CLI_UP_TABLES_H
#define FL_CLI_UP_TABLES_H

#include "catalog/catalog.h"
#include "core/config.h"
#include "core/err.h"
#include "iceberg/partition.h"
#include "core/schema.h"
#include "pipeline/map.h"
#include "store/store.h"

/* The schema (ids 1, 2, ... in order, or the inline schema_json) and
 * the spec of t; the caller owns both. FL_ERR_INVALID with "FILE:LINE:
 * key: why" for an unknown type, an identifier column that is not a
 * required primitive, a partition term that does not bind. */
fl_err_t fl_up_table_build(const struct fl_config_table *t, struct fl_schema **schema,
                           struct fl_ice_spec **spec, struct fl_error *err);

/* Creates t when the catalog lacks it. When it exists: the same columns
 * (by name, type and required) is fine, extra columns in the table are
 * fine; a declared column the table lacks is added when t says
 * on_schema_change: add_columns, else refused like a column whose type
 * differs, with a message naming the column. *created says which. */
fl_err_t fl_up_table_ensure(struct fl_store *st, struct fl_catalog *cat,
                            const struct fl_config_table *t, int *created, struct fl_error *err);

/* pl's pl->nmap map steps as the pipeline takes them (pointing into pl),
 * in an array the caller frees (NULL when there are none). */
struct fl_pipe_map_step *fl_up_map_steps(const struct fl_config_pipeline *pl);

#endif
