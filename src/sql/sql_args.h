/*
 * sql_args.h - the small languages of floe's SQL layer: the arguments of
 * CREATE VIRTUAL TABLE ... USING floe(ns, name[, kind]) as SQLite hands
 * them over (raw tokens, maybe quoted), the names of metadata tables
 * ("t$snapshots"), and the plan string xBestIndex passes to xFilter.
 * Everything here parses text that reaches floe from outside, with hard
 * size caps; tests/fuzz/fuzz_sql_names.c exercises it.
 */
#ifndef FL_SQL_SQL_ARGS_H
#define FL_SQL_SQL_ARGS_H

#include "core/err.h"
#include "sql/sql_pred.h"

#include <stddef.h>
#include <stdint.h>

#define FL_SQL_NAME_MAX 256

/* Metadata tables, Trino's names. */
typedef enum {
    FL_SQL_META_NONE = -1,
    FL_SQL_META_SNAPSHOTS = 0,
    FL_SQL_META_HISTORY,
    FL_SQL_META_FILES,
    FL_SQL_META_MANIFESTS,
    FL_SQL_META_PARTITIONS,
    FL_SQL_META_REFS,
    FL_SQL_META__COUNT
} fl_sql_meta_t;

/* "snapshots" -> FL_SQL_META_SNAPSHOTS; FL_SQL_META_NONE when unknown. */
fl_sql_meta_t fl_sql_meta_parse(const char *s);
const char *fl_sql_meta_name(fl_sql_meta_t kind);

/* Removes one level of SQL quoting ('x', "x", [x], `x`, doubled quotes
 * inside) and surrounding blanks from a module argument into out.
 * FL_ERR_INVALID for an unterminated quote, an empty name, or one longer
 * than outsz - 1 bytes. */
fl_err_t fl_sql_dequote(const char *in, char *out, size_t outsz, struct fl_error *err);

/* Appends name as a double-quoted SQL identifier into out (outsz bytes);
 * FL_ERR_LIMIT when it does not fit. */
fl_err_t fl_sql_quote_ident(const char *name, char *out, size_t outsz);

/* Splits a user's table name "ns.t$kind" (kind optional) into parts:
 * the namespace is what precedes the last dot ("" when none), the kind
 * what follows a '$' after it. FL_ERR_INVALID for an unknown kind or an
 * empty table name. */
fl_err_t fl_sql_name_split(const char *full, char *ns, size_t nssz, char *name, size_t namesz,
                           fl_sql_meta_t *kind, struct fl_error *err);

/* An as-of time: integer milliseconds since the epoch, or ISO-8601 text
 * ('2026-01-08 14:00:00', with 'T', with a zone; no zone = UTC). */
fl_err_t fl_sql_parse_as_of(const char *text, size_t len, int64_t *ms, struct fl_error *err);

/* What xBestIndex decided, passed to xFilter as idxStr. The argv values
 * come in this order: snapshot id, as-of time, each constraint, limit,
 * offset (only those present). */
struct fl_sql_plan {
    uint64_t col_used; /* sqlite3_index_info.colUsed */
    int has_snap, has_asof, has_limit, has_offset;
    int count_only; /* no column needed: rows counted from manifests */
    int ncons;
    struct {
        int col;
        int op; /* SQLITE_INDEX_CONSTRAINT_* */
    } cons[FL_SQL_PREDS_MAX];
};

/* Encodes a plan as text into out (outsz >= 64 + 16 * ncons). */
fl_err_t fl_sql_plan_encode(const struct fl_sql_plan *plan, char *out, size_t outsz);
/* Parses the text back; FL_ERR_INVALID when it is not one. */
fl_err_t fl_sql_plan_decode(const char *s, struct fl_sql_plan *plan);

#endif
