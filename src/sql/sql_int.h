/*
 * sql_int.h - what the files of src/sql/ share: the environment the
 * virtual table modules get as their client data, and their
 * registration functions.
 */
#ifndef FL_SQL_SQL_INT_H
#define FL_SQL_SQL_INT_H

#include "sql/sql.h"
#include "sql/sql_args.h"

#include <sqlite3.h>

struct fl_sql_env {
    struct fl_store *store; /* borrowed */
    struct fl_catalog *cat; /* borrowed */
    struct fl_sql_stats stats;
    struct fl_log *log;  /* borrowed, shared by all cursors (floe up); or NULL and: */
    const char *log_dir; /* each topic cursor opens the log here read-only (floe sql) */
    /* sql_count.c's probe: while set, every cursor's xFilter yields no
     * row; a "floe" cursor that could answer the statement's COUNT(*)
     * from manifests adds to probe_hits and leaves the count in
     * probe_count, every other cursor adds to probe_misses. */
    int count_probe;
    int probe_hits, probe_misses;
    int64_t probe_count;
    /* sql_agg.c's probe (set together with count_probe): a "floe" cursor
     * whose plan has no LIMIT, OFFSET or time travel counts a
     * hit and leaves its table's names and a copy of its declared schema
     * here (probe_schema is owned by the prober); others count a miss. */
    int agg_probe;
    char probe_ns[FL_SQL_NAME_MAX], probe_name[FL_SQL_NAME_MAX];
    struct fl_schema *probe_schema;
    /* sql_tables.c: the tables loaded so far */
    struct fl_sql_loaded *loaded;
    int nloaded, caploaded;
};

/* Adds a finished (or abandoned) scan's counters to env->stats. */
void fl_sql_stats_add_scan(struct fl_sql_env *env, const struct fl_ice_scan *scan);
/* Module "floe$rows": rows computed before the statement ran (sql_rows.c). */
int fl_sql_rows_register(sqlite3 *db);

/* The namespace of a table read by path (iceberg_scan, sql_path.c):
 * its name is the table's URI. No catalog namespace is "/". */
#define FL_SQL_PATH_NS "/"

/* Lends table ns.name: the one loaded before while the catalog still
 * names its metadata file, else a fresh load (sql_tables.c). Give it
 * back with fl_sql_table_return. */
fl_err_t fl_sql_table_borrow(struct fl_sql_env *env, const char *ns, const char *name,
                             struct fl_ice_table **out, struct fl_error *err);
void fl_sql_table_return(struct fl_sql_env *env, struct fl_ice_table *tbl);
/* Frees every loaded table; after the connection's last cursor closed. */
void fl_sql_tables_free(struct fl_sql_env *env);

/* The environment of sql (owned by sql). */
struct fl_sql_env *fl_sql_env_of(struct fl_sql *sql);

/* Module "floe": USING floe('ns', 'table'), a table's rows. */
int fl_sql_vtab_register(sqlite3 *db, struct fl_sql_env *env);
/* Module "floe_meta": USING floe_meta('ns', 'table', 'snapshots'|...). */
int fl_sql_meta_register(sqlite3 *db, struct fl_sql_env *env);

/* Module "floe_topic": USING floe_topic('topic'), a topic of the log. */
int fl_sql_topic_register(sqlite3 *db, struct fl_sql_env *env);

/* Opens the log in dir read-only (beside a running writer, log.h); the
 * caller closes *out. */
fl_err_t fl_sql_log_open_ro(const char *dir, struct fl_log **out, struct fl_error *err);

/* Parses the module arguments argv[3..] into ns, name and (nkind > 0)
 * the metadata kind; *errmsg gets an sqlite3_mprintf'd message. */
int fl_sql_module_args(int argc, const char *const *argv, char *ns, char *name, fl_sql_meta_t *kind,
                       int nkind, char **errmsg);

#endif
