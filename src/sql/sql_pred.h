/*
 * sql_pred.h - SQLite constraints into Iceberg pruning predicates.
 *
 * xBestIndex hands over "column op value" terms; each becomes a struct
 * fl_ice_pred whose literal is a one-row batch column of the field's
 * type. The translation is conservative: it must never skip a row that
 * SQLite's own comparison (with the column's affinity) would keep, so a
 * term is relaxed (x < 5.5 on an integer column becomes x <= 5) or not
 * pushed at all when the two orders might disagree. Rows are still
 * tested by SQLite (omit = 0); pushdown only skips what cannot match.
 */
#ifndef FL_SQL_SQL_PRED_H
#define FL_SQL_SQL_PRED_H

#include "batch/batch.h"
#include "iceberg/prune.h"
#include "core/schema.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FL_SQL_PREDS_MAX 32

/* A constraint's right-hand value as SQLite gave it. type is
 * SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL;
 * p/n hold the text (for numbers, SQLite's text rendering of them) or
 * the blob bytes. */
struct fl_sql_lit {
    int type;
    int64_t i;
    double f;
    const uint8_t *p;
    size_t n;
};

struct fl_sql_preds {
    struct fl_ice_pred preds[FL_SQL_PREDS_MAX];
    struct fl_schema *schemas[FL_SQL_PREDS_MAX]; /* one-field schemas of the literals */
    struct fl_batch *lits[FL_SQL_PREDS_MAX];
    int n;
};

void fl_sql_preds_init(struct fl_sql_preds *ps);
void fl_sql_preds_fini(struct fl_sql_preds *ps);

/* Adds the pruning form of "field op v" where op is an
 * SQLITE_INDEX_CONSTRAINT_* code (EQ, LT, LE, GT, GE, ISNULL,
 * ISNOTNULL; others are not pushed) and field is top-level field `col`
 * of schema. Returns true when a predicate was added, false when the term
 * cannot be pushed down safely (nothing added). */
bool fl_sql_preds_add(struct fl_sql_preds *ps, const struct fl_schema *schema, int col, int op,
                      const struct fl_sql_lit *v);

/* The bound a text literal v puts on a temporal column of type t (date,
 * time, timestamp, timestamptz, declared COLLATE floe_time) under SQLite
 * operator op (EQ, LT, LE, GT, GE): *value gets days (date) or
 * microseconds of the instant v names (fl_sql_time_parse), *ice_op the
 * operator to use with it (a date against an instant inside a day turns
 * < into <= and > into >=). false when v cannot be pushed. */
bool fl_sql_temporal_bound(fl_type_id_t t, int op, const struct fl_sql_lit *v, int64_t *value,
                           fl_ice_op_t *ice_op);

#endif
