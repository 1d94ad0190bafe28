/*
 * sql.h - floe's SQL engine: a SQLite connection in which every table of
 * the catalog is a virtual table over its Iceberg snapshot, next to its
 * metadata tables (Trino's names: "t$snapshots", "t$history", "t$files",
 * "t$manifests", "t$partitions", "t$refs").
 *
 * Names (docs/internals/sql.md): a table of the "default" namespace is
 * `t`; a table of namespace ns is `ns.t` (ns is an attached in-memory
 * schema; `"sales.eu".t` for dotted namespaces) and also `"ns.t"` (a
 * TEMP table, always present, also when the attach limit of SQLite is
 * reached). Time travel is the table-valued form: t(SNAPSHOT_ID) or
 * t(NULL, AS_OF) where AS_OF is milliseconds or ISO-8601 text; these are
 * the hidden columns _snapshot_id and _as_of.
 */
#ifndef FL_SQL_SQL_H
#define FL_SQL_SQL_H

#include "catalog/catalog.h"
#include "core/buf.h"
#include "core/err.h"
#include "iceberg/table.h"
#include "log/log.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdint.h>

struct fl_sql;

/* What the Iceberg scans of the statements since the last take read. */
struct fl_sql_stats {
    int64_t scans;       /* scans opened */
    int64_t count_only;  /* of which answered from manifest record counts */
    int64_t rows;        /* rows handed to SQLite */
    int64_t log_records; /* topic tables: records decoded from the log (pushdown reads fewer) */
    struct fl_ice_scan_stats ice;
};

/* Opens an in-memory SQLite connection over the catalog's tables. The
 * store and catalog are borrowed and must outlive *out. Tables that
 * cannot be opened are left out; fl_sql_warnings says which and why. */
fl_err_t fl_sql_open(struct fl_store *st, struct fl_catalog *cat, struct fl_sql **out,
                     struct fl_error *err);
/* The same, with the log's topics as read-only tables `topic.NAME` (and
 * "topic.NAME"): columns partition, offset, timestamp, key, value,
 * headers. Either log (borrowed, shared by every statement: the process
 * that owns the log) or log_dir (copied; each statement opens the log
 * there read-only, beside a running writer); both NULL: no topics. A
 * log_dir without a log in it is not an error: no topics. */
fl_err_t fl_sql_open_log(struct fl_store *st, struct fl_catalog *cat, struct fl_log *log,
                         const char *log_dir, struct fl_sql **out, struct fl_error *err);
void fl_sql_free(struct fl_sql *sql);
/* The connection (owned by sql). */
sqlite3 *fl_sql_db(struct fl_sql *sql);
/* Problems met while opening, one a line ("" when none). */
const char *fl_sql_warnings(const struct fl_sql *sql);
/* Number of catalog tables made visible. */
int fl_sql_table_count(const struct fl_sql *sql);
/* Copies the scan counters into out and resets them. */
void fl_sql_stats_take(struct fl_sql *sql, struct fl_sql_stats *out);

/* COUNT(*) without SQLite stepping rows (sql_count.c): when *stmt,
 * prepared on sql's connection, is exactly `SELECT count(*) FROM t` and t
 * is a floe table whose current snapshot has no delete files, *stmt is
 * finalized and replaced by a one-row statement with the same column name
 * and the sum of the manifests' record counts; returns 1. Otherwise
 * returns 0 and leaves *stmt to run as it is (the general path). */
int fl_sql_count_shortcut(struct fl_sql *sql, sqlite3_stmt **stmt);
/* Tries each shortcut (fl_sql_count_shortcut, then fl_sql_agg_shortcut of
 * sql_agg.h) on *stmt; returns 1 when one replaced it. */
int fl_sql_shortcut(struct fl_sql *sql, sqlite3_stmt **stmt);
/* A copy of the statements' text for sqlite3_prepare (fl_free it), with
 * Trino's typed literals (TIMESTAMP '...', DATE '...') made plain
 * strings, which date and timestamp columns compare as values
 * (sql_time.c). The same length: error offsets hold in the original. */
char *fl_sql_text_dup(const char *text);
/* fl_sql_text_dup, and each iceberg_scan('PATH') call made a TEMP table
 * over the table folder or metadata file at PATH (a local path or a
 * URI), read without the catalog as DuckDB's iceberg_scan reads it
 * (sql_path.c). *out (fl_free it) is the text to prepare; an unreadable
 * PATH is an error naming it. For floe sql's shell only: POST /sql reads
 * no paths of the server. */
fl_err_t fl_sql_text_prepare(struct fl_sql *sql, const char *text, char **out,
                             struct fl_error *err);
/* 0 when the environment has FLOE_SQL_NO_SHORTCUTS set (not "" or "0"):
 * every statement then runs as written (tests compare both paths). */
int fl_sql_shortcuts_enabled(void);
/* 1 when text has the statement shape fl_sql_count_shortcut answers. */
int fl_sql_count_shape(const char *text);

#endif
