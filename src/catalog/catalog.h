/*
 * catalog.h - the table catalog: which metadata file is each table's
 * current version, and the namespaces tables live in.
 *
 * The layout is the SQL catalog of Iceberg Java's JdbcCatalog and
 * PyIceberg's SqlCatalog (tables iceberg_tables and
 * iceberg_namespace_properties, keyed by catalog name), so those tools
 * open floe's catalog and floe opens theirs. Backends sit behind a table
 * of function pointers: SQLite for the embedded default, PostgreSQL for
 * several floe workers sharing tables. A commit is a compare-and-swap:
 * UPDATE ... WHERE metadata_location = the location the writer started
 * from; losing it returns FL_ERR_CONFLICT and changes nothing.
 *
 * Namespaces are dotted strings ("sales.eu"), as JdbcCatalog stores
 * multi-level namespaces; each level and each table name passes
 * fl_path_check_name (core/fileio.h), since they become folders.
 *
 * Iceberg tables reach the catalog through the table operations iceberg/
 * defines (iceberg/table_ops.h): a struct fl_catalog embeds a struct
 * fl_ice_catalog whose ops load, register and compare-and-swap a table's
 * metadata location; fl_catalog_ice hands it out.
 */
#ifndef FL_CATALOG_CATALOG_H
#define FL_CATALOG_CATALOG_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_catalog;
struct fl_ice_catalog;

/* Called once per namespace or table name; a non-zero return stops. */
typedef int (*fl_catalog_name_fn)(void *ctx, const char *ns, const char *name);
/* Called once per namespace property. */
typedef int (*fl_catalog_prop_fn)(void *ctx, const char *key, const char *value);

/* Opens the catalog at uri ("sqlite:///abs/path.db", "sqlite:relative.db",
 * a plain file path, or a libpq URI "postgresql://user@host:port/db" /
 * "postgres://...") under catalog_name (JdbcCatalog's catalog_name
 * column, e.g. "floe"), creating its tables when missing. A PostgreSQL
 * catalog handle is one connection: one thread at a time. */
fl_err_t fl_catalog_open(const char *uri, const char *catalog_name, struct fl_catalog **out,
                         struct fl_error *err);
void fl_catalog_free(struct fl_catalog *cat);

/* Namespaces. create: FL_ERR_EXISTS if present; drop: FL_ERR_INVALID if
 * it still holds tables, FL_ERR_NOTFOUND if absent. */
fl_err_t fl_catalog_ns_create(struct fl_catalog *cat, const char *ns, const char *const *keys,
                              const char *const *values, int nprops, struct fl_error *err);
fl_err_t fl_catalog_ns_exists(struct fl_catalog *cat, const char *ns, struct fl_error *err);
fl_err_t fl_catalog_ns_drop(struct fl_catalog *cat, const char *ns, struct fl_error *err);
/* Top-level namespaces when parent is NULL, else the children of parent. */
fl_err_t fl_catalog_ns_list(struct fl_catalog *cat, const char *parent, fl_catalog_name_fn fn,
                            void *ctx, struct fl_error *err);
fl_err_t fl_catalog_ns_props(struct fl_catalog *cat, const char *ns, fl_catalog_prop_fn fn,
                             void *ctx, struct fl_error *err);
/* Sets (value != NULL) or removes (value == NULL) properties. */
fl_err_t fl_catalog_ns_set_props(struct fl_catalog *cat, const char *ns, const char *const *keys,
                                 const char *const *values, int n, struct fl_error *err);

/* Tables. create: FL_ERR_EXISTS if present (the namespace must exist). */
fl_err_t fl_catalog_table_create(struct fl_catalog *cat, const char *ns, const char *name,
                                 const char *metadata_location, struct fl_error *err);
/* The current metadata location into out (outsz bytes); FL_ERR_NOTFOUND. */
fl_err_t fl_catalog_table_load(struct fl_catalog *cat, const char *ns, const char *name, char *out,
                               size_t outsz, struct fl_error *err);
/* Compare-and-swap from expected to new_location; FL_ERR_CONFLICT when
 * the table's location is no longer expected, FL_ERR_NOTFOUND if gone. */
fl_err_t fl_catalog_table_commit(struct fl_catalog *cat, const char *ns, const char *name,
                                 const char *expected, const char *new_location,
                                 struct fl_error *err);
/* A lease in the catalog (table floe_leases), for work one process of
 * several sharing the catalog should do at a time (table maintenance):
 * *held is true when owner now holds name until now_ms + ttl_ms - it was
 * free, expired, or already owner's (renewed). Times are the callers'
 * wall clocks in epoch ms: a ttl well above the hosts' clock skew. */
fl_err_t fl_catalog_lease(struct fl_catalog *cat, const char *name, const char *owner,
                          int64_t now_ms, int64_t ttl_ms, bool *held, struct fl_error *err);
fl_err_t fl_catalog_table_drop(struct fl_catalog *cat, const char *ns, const char *name,
                               struct fl_error *err);
fl_err_t fl_catalog_table_rename(struct fl_catalog *cat, const char *ns, const char *name,
                                 const char *to_ns, const char *to_name, struct fl_error *err);
fl_err_t fl_catalog_table_list(struct fl_catalog *cat, const char *ns, fl_catalog_name_fn fn,
                               void *ctx, struct fl_error *err);

/* The catalog as Iceberg tables use it (iceberg/table_ops.h): pass it to
 * fl_ice_table_load and fl_ice_table_create. Borrowed, valid while cat
 * is; NULL when cat is NULL (tables opened by path have no catalog). */
struct fl_ice_catalog *fl_catalog_ice(struct fl_catalog *cat);

#endif
