/*
 * catalog.c - the SQL catalog's logic, written once for every backend.
 *
 * Tables and namespaces are rows of iceberg_tables and
 * iceberg_namespace_properties, as JdbcCatalog and PyIceberg's
 * SqlCatalog keep them: a namespace exists when it has a property row
 * (created namespaces get "exists"="true", as both do) or holds a table.
 * When floe creates the tables it adds JdbcCatalog's iceberg_type column
 * ('TABLE'); catalogs created by PyIceberg lack it and are used as they
 * are.
 *
 * Concurrency: a commit is one UPDATE ... WHERE metadata_location =
 * expected (atomic in every backend). Sequences that read, then write
 * (namespace create and drop, table create and rename, property updates)
 * run in one driver transaction through run_txn: SQLite serializes them
 * with BEGIN IMMEDIATE; PostgreSQL runs them SERIALIZABLE and may abort
 * one of two racing transactions (FL_ERR_CONFLICT from the driver), which
 * run_txn then runs again from the start, so the loser sees the winner's
 * result (e.g. "namespace already exists").
 *
 * Threads: one catalog (one connection) is shared by floe up's threads -
 * pipelines, maintenance, the REST catalog - and neither SQLite's nor
 * libpq's connection may carry two threads' statements or transactions
 * at once (a statement of one thread would run inside another's
 * transaction, and SQLite's sqlite3_changes would count the wrong
 * UPDATE). So every statement (cat_exec) and every whole transaction
 * (run_txn, from begin to commit or rollback) holds the catalog's
 * recursive mutex; run_txn's backoff sleeps outside it.
 */
#include "catalog/catalog.h"
#include "catalog/catalog_int.h"
#include "core/fileio.h"
#include "core/mem.h"
#include "core/time.h"
#include "iceberg/table_ops.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fl_catalog {
    struct fl_ice_catalog ice; /* the table operations iceberg/ commits through */
    const struct fl_catalog_driver *drv;
    void *conn;
    char *name;
    int has_type;       /* iceberg_type column present */
    pthread_mutex_t mu; /* recursive: one thread's statement or transaction at a time */
};

/* One statement on the shared connection, under the catalog's mutex. */
static fl_err_t cat_exec(struct fl_catalog *cat, const char *sql, const char *const *params,
                         int nparams, fl_catalog_row_fn row, void *ctx, long *changes,
                         struct fl_error *err) {
    pthread_mutex_lock(&cat->mu);
    fl_err_t rc = cat->drv->exec(cat->conn, sql, params, nparams, row, ctx, changes, err);
    pthread_mutex_unlock(&cat->mu);
    return rc;
}

static const char *const SCHEMA_SQL[] = {
    "CREATE TABLE IF NOT EXISTS iceberg_tables ("
    "catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL, "
    "table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000), "
    "previous_metadata_location VARCHAR(1000), iceberg_type VARCHAR(5), "
    "PRIMARY KEY (catalog_name, table_namespace, table_name))",
    "CREATE TABLE IF NOT EXISTS iceberg_namespace_properties ("
    "catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL, "
    "property_key VARCHAR(255) NOT NULL, property_value VARCHAR(1000), "
    "PRIMARY KEY (catalog_name, namespace, property_key))",
    /* floe's own (fl_catalog_lease): other catalogs' readers ignore it */
    "CREATE TABLE IF NOT EXISTS floe_leases ("
    "catalog_name VARCHAR(255) NOT NULL, lease_name VARCHAR(255) NOT NULL, "
    "owner VARCHAR(255) NOT NULL, expires_ms BIGINT NOT NULL, "
    "PRIMARY KEY (catalog_name, lease_name))",
};

static fl_err_t check_ns(const char *ns, struct fl_error *err) {
    fl_err_t rc = fl_path_check_name("namespace", ns, err);
    if (rc) return rc;
    if (ns[0] == '.' || ns[strlen(ns) - 1] == '.' || strstr(ns, ".."))
        return fl_errf(err, FL_ERR_INVALID, "namespace \"%s\" has an empty level", ns);
    return FL_OK;
}

static fl_err_t check_table(const char *ns, const char *name, struct fl_error *err) {
    fl_err_t rc = check_ns(ns, err);
    return rc ? rc : fl_path_check_name("table", name, err);
}

static int row_found(void *ctx, const char *const *cols, int n) {
    (void)cols;
    (void)n;
    *(int *)ctx = 1;
    return 1;
}

/* ---- the table operations iceberg/ commits through ---- */

static struct fl_catalog *cat_of(struct fl_ice_catalog *icat) {
    return (struct fl_catalog *)(void *)((char *)icat - offsetof(struct fl_catalog, ice));
}

static fl_err_t ice_load(struct fl_ice_catalog *icat, const char *ns, const char *name, char *out,
                         size_t outsz, struct fl_error *err) {
    return fl_catalog_table_load(cat_of(icat), ns, name, out, outsz, err);
}

static fl_err_t ice_ns_ensure(struct fl_ice_catalog *icat, const char *ns, struct fl_error *err) {
    struct fl_catalog *cat = cat_of(icat);
    fl_err_t rc = fl_catalog_ns_exists(cat, ns, err);
    if (rc != FL_ERR_NOTFOUND) return rc;
    fl_err_clear(err);
    rc = fl_catalog_ns_create(cat, ns, NULL, NULL, 0, err);
    if (rc == FL_ERR_EXISTS) { /* another writer created it first */
        fl_err_clear(err);
        rc = FL_OK;
    }
    return rc;
}

static fl_err_t ice_create(struct fl_ice_catalog *icat, const char *ns, const char *name,
                           const char *location, struct fl_error *err) {
    return fl_catalog_table_create(cat_of(icat), ns, name, location, err);
}

static fl_err_t ice_commit(struct fl_ice_catalog *icat, const char *ns, const char *name,
                           const char *expected, const char *location, struct fl_error *err) {
    return fl_catalog_table_commit(cat_of(icat), ns, name, expected, location, err);
}

static const struct fl_ice_catalog_ops ice_ops = {
    .load = ice_load,
    .ns_ensure = ice_ns_ensure,
    .create = ice_create,
    .commit = ice_commit,
};

struct fl_ice_catalog *fl_catalog_ice(struct fl_catalog *cat) {
    return cat ? &cat->ice : NULL;
}

fl_err_t fl_catalog_open(const char *uri, const char *catalog_name, struct fl_catalog **out,
                         struct fl_error *err) {
    const char *path = uri;
    int pg = strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0;
    if (pg)
        path = uri;
    else if (strncmp(uri, "sqlite:///", 10) == 0)
        path = uri + 9;
    else if (strncmp(uri, "sqlite://", 9) == 0)
        path = uri + 9;
    else if (strncmp(uri, "sqlite:", 7) == 0)
        path = uri + 7;
    else if (strstr(uri, "://"))
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "catalog URI \"%s\": only sqlite: and postgresql:// are supported", uri);
    if (!*path) return fl_errf(err, FL_ERR_INVALID, "catalog URI \"%s\" names no file", uri);
    struct fl_catalog *cat = fl_calloc(1, sizeof(*cat));
    cat->ice.ops = &ice_ops;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&cat->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    cat->drv = pg ? &fl_catalog_pg_driver : &fl_catalog_sqlite_driver;
    cat->name = fl_strdup(catalog_name);
    fl_err_t rc = pg ? fl_catalog_pg_open(uri, &cat->conn, err)
                     : fl_catalog_sqlite_open(path, &cat->conn, err);
    for (size_t i = 0; !rc && i < sizeof(SCHEMA_SQL) / sizeof(SCHEMA_SQL[0]); i++) {
        struct fl_error e = {0};
        rc = cat_exec(cat, SCHEMA_SQL[i], NULL, 0, NULL, NULL, NULL, &e);
        /* PostgreSQL: of two workers creating the same table at once, the
         * loser may get a duplicate-key error from the system catalogs;
         * the winner has committed by then, so IF NOT EXISTS now holds. */
        for (int retry = 0; rc == FL_ERR_EXISTS && retry < 3; retry++) {
            fl_err_clear(&e);
            rc = cat_exec(cat, SCHEMA_SQL[i], NULL, 0, NULL, NULL, NULL, &e);
        }
        if (rc) fl_errf(err, rc, "%s", e.msg);
    }
    if (!rc) {
        struct fl_error probe = {0};
        cat->has_type = cat_exec(cat, "SELECT iceberg_type FROM iceberg_tables LIMIT 0", NULL, 0,
                                 NULL, NULL, NULL, &probe) == FL_OK;
    }
    if (rc) {
        fl_catalog_free(cat);
        return rc;
    }
    *out = cat;
    return FL_OK;
}

void fl_catalog_free(struct fl_catalog *cat) {
    if (!cat) return;
    if (cat->conn) cat->drv->close(cat->conn);
    pthread_mutex_destroy(&cat->mu);
    fl_free(cat->name);
    fl_free(cat);
}

/* ---- namespaces ---- */

fl_err_t fl_catalog_ns_exists(struct fl_catalog *cat, const char *ns, struct fl_error *err) {
    fl_err_t rc = check_ns(ns, err);
    if (rc) return rc;
    char like[300];
    snprintf(like, sizeof(like), "%s.%%", ns);
    const char *p[] = {cat->name, ns, cat->name, ns, like};
    int found = 0;
    rc = cat_exec(
        cat,
        "SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ? "
        "UNION ALL SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND "
        "(table_namespace = ? OR table_namespace LIKE ?) LIMIT 1",
        p, 5, row_found, &found, NULL, err);
    if (rc) return rc;
    return found ? FL_OK : fl_errf(err, FL_ERR_NOTFOUND, "namespace \"%s\" does not exist", ns);
}

/* ---- transactions ---- */

/* Attempts of one read-then-write transaction before giving up. */
#define TXN_ATTEMPTS 30

/* The arguments of every transaction body below. */
struct txn_args {
    const char *ns, *name;
    const char *const *keys;
    const char *const *values;
    int n;
    const char *loc;             /* table create */
    const char *to_ns, *to_name; /* table rename */
};

typedef fl_err_t (*txn_body_fn)(struct fl_catalog *cat, const struct txn_args *a,
                                struct fl_error *err);

/* Sleeps 0.5 to 1 times min(2^attempt, 64) ms, jittered so that racing
 * workers spread out instead of colliding again. */
static void txn_backoff(int attempt, unsigned *seed) {
    long cap_us = 1000L << (attempt < 6 ? attempt : 6);
    long us = cap_us / 2 + (long)(rand_r(seed) % (unsigned)(cap_us / 2 + 1));
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Runs body in one transaction, again from begin() while the database
 * aborts it for a serialization conflict; at most TXN_ATTEMPTS times. */
static fl_err_t run_txn(struct fl_catalog *cat, txn_body_fn body, const struct txn_args *a,
                        struct fl_error *err) {
    unsigned seed = (unsigned)fl_time_mono_us() ^ (unsigned)(uintptr_t)a;
    struct fl_error e = {0};
    fl_err_t rc = FL_OK;
    for (int attempt = 0; attempt < TXN_ATTEMPTS; attempt++) {
        if (attempt) txn_backoff(attempt, &seed);
        fl_err_clear(&e);
        pthread_mutex_lock(&cat->mu);
        rc = cat->drv->begin(cat->conn, &e);
        if (!rc) {
            rc = body(cat, a, &e);
            if (rc)
                cat->drv->rollback(cat->conn);
            else
                rc = cat->drv->commit(cat->conn, &e);
        }
        pthread_mutex_unlock(&cat->mu);
        if (rc != FL_ERR_CONFLICT) break;
    }
    if (rc) fl_errf(err, rc, "%s", e.msg);
    return rc;
}

static fl_err_t put_props(struct fl_catalog *cat, const char *ns, const char *const *keys,
                          const char *const *values, int n, struct fl_error *err) {
    for (int i = 0; i < n; i++) {
        fl_err_t rc;
        if (values[i]) {
            const char *p[] = {cat->name, ns, keys[i], values[i]};
            long ch = 0;
            rc = cat_exec(cat,
                          "UPDATE iceberg_namespace_properties SET property_value = ? "
                          "WHERE catalog_name = ? AND namespace = ? AND property_key = ?",
                          (const char *const[]){values[i], cat->name, ns, keys[i]}, 4, NULL, NULL,
                          &ch, err);
            if (!rc && ch == 0)
                rc = cat_exec(cat,
                              "INSERT INTO iceberg_namespace_properties "
                              "(catalog_name, namespace, property_key, property_value) "
                              "VALUES (?, ?, ?, ?)",
                              p, 4, NULL, NULL, NULL, err);
        } else {
            const char *p[] = {cat->name, ns, keys[i]};
            rc = cat_exec(cat,
                          "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? "
                          "AND namespace = ? AND property_key = ?",
                          p, 3, NULL, NULL, NULL, err);
        }
        if (rc) return rc;
    }
    return FL_OK;
}

static fl_err_t ns_create_txn(struct fl_catalog *cat, const struct txn_args *a,
                              struct fl_error *err) {
    struct fl_error probe = {0};
    fl_err_t rc = fl_catalog_ns_exists(cat, a->ns, &probe);
    if (rc == FL_OK) return fl_errf(err, FL_ERR_EXISTS, "namespace \"%s\" already exists", a->ns);
    if (rc != FL_ERR_NOTFOUND) return fl_errf(err, rc, "%s", probe.msg);
    static const char *const exists_k[] = {"exists"}, *const exists_v[] = {"true"};
    return a->n > 0 ? put_props(cat, a->ns, a->keys, a->values, a->n, err)
                    : put_props(cat, a->ns, exists_k, exists_v, 1, err);
}

fl_err_t fl_catalog_ns_create(struct fl_catalog *cat, const char *ns, const char *const *keys,
                              const char *const *values, int nprops, struct fl_error *err) {
    fl_err_t rc = check_ns(ns, err);
    if (rc) return rc;
    struct txn_args a = {.ns = ns, .keys = keys, .values = values, .n = nprops};
    return run_txn(cat, ns_create_txn, &a, err);
}

static fl_err_t ns_drop_txn(struct fl_catalog *cat, const struct txn_args *a,
                            struct fl_error *err) {
    int has_tables = 0;
    const char *p[] = {cat->name, a->ns};
    fl_err_t rc = cat_exec(
        cat, "SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? LIMIT 1",
        p, 2, row_found, &has_tables, NULL, err);
    if (rc) return rc;
    if (has_tables) return fl_errf(err, FL_ERR_INVALID, "namespace \"%s\" is not empty", a->ns);
    long ch = 0;
    rc = cat_exec(
        cat, "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?", p,
        2, NULL, NULL, &ch, err);
    if (!rc && ch == 0)
        rc = fl_errf(err, FL_ERR_NOTFOUND, "namespace \"%s\" does not exist", a->ns);
    return rc;
}

fl_err_t fl_catalog_ns_drop(struct fl_catalog *cat, const char *ns, struct fl_error *err) {
    fl_err_t rc = check_ns(ns, err);
    if (rc) return rc;
    struct txn_args a = {.ns = ns};
    return run_txn(cat, ns_drop_txn, &a, err);
}

struct ns_list {
    const char *parent;
    size_t plen;
    char **seen;
    int nseen, cap;
};

static int ns_collect(void *ctx, const char *const *cols, int n) {
    struct ns_list *l = ctx;
    if (n < 1 || !cols[0]) return 0;
    const char *ns = cols[0];
    if (l->parent && (strncmp(ns, l->parent, l->plen) != 0 || ns[l->plen] != '.')) return 0;
    /* the level right below parent: parent.child[.more] -> parent.child */
    const char *start = l->parent ? ns + l->plen + 1 : ns;
    const char *dot = strchr(start, '.');
    size_t len = dot ? (size_t)(dot - ns) : strlen(ns);
    for (int i = 0; i < l->nseen; i++)
        if (strlen(l->seen[i]) == len && memcmp(l->seen[i], ns, len) == 0) return 0;
    if (l->nseen == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->seen = fl_reallocarray(l->seen, (size_t)l->cap, sizeof(char *));
    }
    l->seen[l->nseen++] = fl_strndup(ns, len);
    return 0;
}

fl_err_t fl_catalog_ns_list(struct fl_catalog *cat, const char *parent, fl_catalog_name_fn fn,
                            void *ctx, struct fl_error *err) {
    struct ns_list l = {.parent = parent, .plen = parent ? strlen(parent) : 0};
    const char *p[] = {cat->name, cat->name};
    fl_err_t rc =
        cat_exec(cat,
                 "SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ? "
                 "UNION SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ? "
                 "ORDER BY 1",
                 p, 2, ns_collect, &l, NULL, err);
    for (int i = 0; i < l.nseen && !rc; i++)
        if (fn(ctx, l.seen[i], NULL)) break;
    for (int i = 0; i < l.nseen; i++) fl_free(l.seen[i]);
    fl_free(l.seen);
    return rc;
}

struct prop_ctx {
    fl_catalog_prop_fn fn;
    void *ctx;
};

static int prop_row(void *ctx, const char *const *cols, int n) {
    struct prop_ctx *pc = ctx;
    return n >= 2 ? pc->fn(pc->ctx, cols[0], cols[1] ? cols[1] : "") : 0;
}

fl_err_t fl_catalog_ns_props(struct fl_catalog *cat, const char *ns, fl_catalog_prop_fn fn,
                             void *ctx, struct fl_error *err) {
    fl_err_t rc = fl_catalog_ns_exists(cat, ns, err);
    if (rc) return rc;
    struct prop_ctx pc = {fn, ctx};
    const char *p[] = {cat->name, ns};
    return cat_exec(cat,
                    "SELECT property_key, property_value FROM iceberg_namespace_properties "
                    "WHERE catalog_name = ? AND namespace = ? ORDER BY property_key",
                    p, 2, prop_row, &pc, NULL, err);
}

static fl_err_t ns_set_props_txn(struct fl_catalog *cat, const struct txn_args *a,
                                 struct fl_error *err) {
    fl_err_t rc = fl_catalog_ns_exists(cat, a->ns, err);
    return rc ? rc : put_props(cat, a->ns, a->keys, a->values, a->n, err);
}

fl_err_t fl_catalog_ns_set_props(struct fl_catalog *cat, const char *ns, const char *const *keys,
                                 const char *const *values, int n, struct fl_error *err) {
    struct txn_args a = {.ns = ns, .keys = keys, .values = values, .n = n};
    return run_txn(cat, ns_set_props_txn, &a, err);
}

/* ---- tables ---- */

static fl_err_t table_create_txn(struct fl_catalog *cat, const struct txn_args *a,
                                 struct fl_error *err) {
    fl_err_t rc = fl_catalog_ns_exists(cat, a->ns, err);
    if (rc) return rc;
    const char *p[] = {cat->name, a->ns, a->name, a->loc};
    rc = cat_exec(cat,
                  cat->has_type
                      ? "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
                        "metadata_location, previous_metadata_location, iceberg_type) "
                        "VALUES (?, ?, ?, ?, NULL, 'TABLE')"
                      : "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
                        "metadata_location, previous_metadata_location) VALUES (?, ?, ?, ?, NULL)",
                  p, 4, NULL, NULL, NULL, err);
    if (rc == FL_ERR_EXISTS) {
        fl_err_clear(err);
        return fl_errf(err, FL_ERR_EXISTS, "table %s.%s already exists", a->ns, a->name);
    }
    return rc;
}

/* In one transaction with the namespace check, so that a concurrent
 * namespace drop either sees the table (not empty) or wins (no
 * namespace). */
fl_err_t fl_catalog_table_create(struct fl_catalog *cat, const char *ns, const char *name,
                                 const char *metadata_location, struct fl_error *err) {
    fl_err_t rc = check_table(ns, name, err);
    if (rc) return rc;
    struct txn_args a = {.ns = ns, .name = name, .loc = metadata_location};
    return run_txn(cat, table_create_txn, &a, err);
}

struct loc_ctx {
    char *out;
    size_t outsz;
    int found;
    int too_long;
};

static int loc_row(void *ctx, const char *const *cols, int n) {
    struct loc_ctx *lc = ctx;
    lc->found = 1;
    const char *v = n > 0 && cols[0] ? cols[0] : "";
    if (strlen(v) >= lc->outsz)
        lc->too_long = 1;
    else
        memcpy(lc->out, v, strlen(v) + 1);
    return 1;
}

fl_err_t fl_catalog_table_load(struct fl_catalog *cat, const char *ns, const char *name, char *out,
                               size_t outsz, struct fl_error *err) {
    fl_err_t rc = check_table(ns, name, err);
    if (rc) return rc;
    struct loc_ctx lc = {.out = out, .outsz = outsz};
    const char *p[] = {cat->name, ns, name};
    rc = cat_exec(cat,
                  cat->has_type
                      ? "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ? AND "
                        "table_namespace = ? AND table_name = ? AND "
                        "(iceberg_type = 'TABLE' OR iceberg_type IS NULL)"
                      : "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ? AND "
                        "table_namespace = ? AND table_name = ?",
                  p, 3, loc_row, &lc, NULL, err);
    if (rc) return rc;
    if (!lc.found) return fl_errf(err, FL_ERR_NOTFOUND, "table %s.%s does not exist", ns, name);
    if (lc.too_long)
        return fl_errf(err, FL_ERR_LIMIT, "table %s.%s: metadata location too long", ns, name);
    return FL_OK;
}

fl_err_t fl_catalog_table_commit(struct fl_catalog *cat, const char *ns, const char *name,
                                 const char *expected, const char *new_location,
                                 struct fl_error *err) {
    fl_err_t rc = check_table(ns, name, err);
    if (rc) return rc;
    const char *p[] = {new_location, expected, cat->name, ns, name, expected};
    long ch = 0;
    rc = cat_exec(cat,
                  "UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? "
                  "WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND "
                  "metadata_location = ?",
                  p, 6, NULL, NULL, &ch, err);
    if (rc) return rc;
    if (ch == 1) return FL_OK;
    char cur[1024];
    struct fl_error probe = {0};
    if (fl_catalog_table_load(cat, ns, name, cur, sizeof(cur), &probe) == FL_ERR_NOTFOUND)
        return fl_errf(err, FL_ERR_NOTFOUND, "table %s.%s does not exist", ns, name);
    return fl_errf(err, FL_ERR_CONFLICT,
                   "table %s.%s was changed by another writer (expected %s, found %s)", ns, name,
                   expected, cur);
}

fl_err_t fl_catalog_lease(struct fl_catalog *cat, const char *name, const char *owner,
                          int64_t now_ms, int64_t ttl_ms, bool *held, struct fl_error *err) {
    *held = false;
    if (!*name || strlen(name) > 255 || !*owner || strlen(owner) > 255)
        return fl_errf(err, FL_ERR_INVALID, "lease %.64s: name and owner take 1 to 255 bytes",
                       name);
    char now[24], until[24];
    snprintf(now, sizeof(now), "%lld", (long long)now_ms);
    snprintf(until, sizeof(until), "%lld", (long long)(now_ms + ttl_ms));
    /* two single statements, each atomic: the first taker inserts; then
     * the holder renews, or anyone takes an expired lease over */
    const char *ins[] = {cat->name, name, owner, until};
    struct fl_error e = {0};
    fl_err_t rc = cat_exec(cat,
                           "INSERT INTO floe_leases (catalog_name, lease_name, owner, expires_ms) "
                           "VALUES (?, ?, ?, ?)",
                           ins, 4, NULL, NULL, NULL, &e);
    if (rc == FL_OK) {
        *held = true;
        return FL_OK;
    }
    if (rc != FL_ERR_EXISTS) return fl_errf(err, rc, "lease %s: %s", name, e.msg);
    const char *up[] = {owner, until, cat->name, name, owner, now};
    long ch = 0;
    rc = cat_exec(cat,
                  "UPDATE floe_leases SET owner = ?, expires_ms = ? WHERE catalog_name = ? AND "
                  "lease_name = ? AND (owner = ? OR expires_ms < ?)",
                  up, 6, NULL, NULL, &ch, err);
    *held = !rc && ch == 1;
    return rc;
}

fl_err_t fl_catalog_table_drop(struct fl_catalog *cat, const char *ns, const char *name,
                               struct fl_error *err) {
    fl_err_t rc = check_table(ns, name, err);
    if (rc) return rc;
    const char *p[] = {cat->name, ns, name};
    long ch = 0;
    rc = cat_exec(cat,
                  "DELETE FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? "
                  "AND table_name = ?",
                  p, 3, NULL, NULL, &ch, err);
    if (rc) return rc;
    return ch ? FL_OK : fl_errf(err, FL_ERR_NOTFOUND, "table %s.%s does not exist", ns, name);
}

static fl_err_t table_rename_txn(struct fl_catalog *cat, const struct txn_args *a,
                                 struct fl_error *err) {
    fl_err_t rc = fl_catalog_ns_exists(cat, a->to_ns, err);
    if (rc) return rc;
    const char *p[] = {a->to_ns, a->to_name, cat->name, a->ns, a->name};
    long ch = 0;
    rc = cat_exec(cat,
                  "UPDATE iceberg_tables SET table_namespace = ?, table_name = ? "
                  "WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?",
                  p, 5, NULL, NULL, &ch, err);
    if (rc == FL_ERR_EXISTS) {
        fl_err_clear(err);
        return fl_errf(err, FL_ERR_EXISTS, "table %s.%s already exists", a->to_ns, a->to_name);
    }
    if (rc) return rc;
    return ch ? FL_OK : fl_errf(err, FL_ERR_NOTFOUND, "table %s.%s does not exist", a->ns, a->name);
}

fl_err_t fl_catalog_table_rename(struct fl_catalog *cat, const char *ns, const char *name,
                                 const char *to_ns, const char *to_name, struct fl_error *err) {
    fl_err_t rc = check_table(ns, name, err);
    if (!rc) rc = check_table(to_ns, to_name, err);
    if (rc) return rc;
    struct txn_args a = {.ns = ns, .name = name, .to_ns = to_ns, .to_name = to_name};
    return run_txn(cat, table_rename_txn, &a, err);
}

struct name_ctx {
    fl_catalog_name_fn fn;
    void *ctx;
};

static int name_row(void *ctx, const char *const *cols, int n) {
    struct name_ctx *nc = ctx;
    return n >= 2 && cols[0] && cols[1] ? nc->fn(nc->ctx, cols[0], cols[1]) : 0;
}

fl_err_t fl_catalog_table_list(struct fl_catalog *cat, const char *ns, fl_catalog_name_fn fn,
                               void *ctx, struct fl_error *err) {
    fl_err_t rc = fl_catalog_ns_exists(cat, ns, err);
    if (rc) return rc;
    struct name_ctx nc = {fn, ctx};
    const char *p[] = {cat->name, ns};
    return cat_exec(cat,
                    cat->has_type
                        ? "SELECT table_namespace, table_name FROM iceberg_tables WHERE "
                          "catalog_name = ? AND table_namespace = ? AND "
                          "(iceberg_type = 'TABLE' OR iceberg_type IS NULL) ORDER BY table_name"
                        : "SELECT table_namespace, table_name FROM iceberg_tables WHERE "
                          "catalog_name = ? AND table_namespace = ? ORDER BY table_name",
                    p, 2, name_row, &nc, NULL, err);
}
