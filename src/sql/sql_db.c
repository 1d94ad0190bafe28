/*
 * sql_db.c - the SQLite connection floe sql runs in: modules registered,
 * every catalog table created as virtual tables under the names
 * sql.h describes.
 *
 * How it works: the catalog's namespaces are walked (children too); for
 * each namespace an in-memory database is ATTACHed under the namespace's
 * name, so `ns.t` resolves as a schema-qualified name, and the tables of
 * "default" are also created in main, so a bare `t` works. Every table is
 * also a TEMP table named "ns.t", which needs no ATTACH (SQLite allows 10
 * attached databases; namespaces past that, or named main/temp, have
 * only this form). Each data table comes with its six metadata tables
 * under the same prefix: "t$snapshots", ... A table that cannot be
 * opened is skipped and reported in the warnings.
 *
 * The log's topics (when a log is given) are the tables `topic.NAME`:
 * the schema "topic" is attached first, so it is there whatever the
 * number of namespaces, and each is also the TEMP table "topic.NAME".
 * A namespace named "topic" shares the schema (a name clash is a
 * warning).
 */
#include "sql/sql_agg.h"
#include "sql/sql_int.h"
#include "sql/sql_time.h"

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WARNINGS_MAX 8192

struct fl_sql {
    sqlite3 *db;
    struct fl_sql_env env;
    struct fl_buf warnings;
    int ntables;
    char *log_dir; /* env.log_dir */
};

struct name_list {
    char **ns, **name;
    int n, cap;
    struct fl_catalog *cat;
    struct fl_error *err;
    fl_err_t rc;
};

static int add_table(void *ctx, const char *ns, const char *name) {
    struct name_list *nl = ctx;
    if (nl->n == nl->cap) {
        nl->cap = nl->cap ? nl->cap * 2 : 32;
        nl->ns = fl_reallocarray(nl->ns, (size_t)nl->cap, sizeof(char *));
        nl->name = fl_reallocarray(nl->name, (size_t)nl->cap, sizeof(char *));
    }
    nl->ns[nl->n] = fl_strdup(ns);
    nl->name[nl->n] = fl_strdup(name);
    nl->n++;
    return 0;
}

static int walk_ns(void *ctx, const char *ns, const char *name) {
    (void)name;
    struct name_list *nl = ctx;
    if (!nl->rc) nl->rc = fl_catalog_table_list(nl->cat, ns, add_table, nl, nl->err);
    if (!nl->rc) nl->rc = fl_catalog_ns_list(nl->cat, ns, walk_ns, nl, nl->err);
    return nl->rc != FL_OK;
}

static void warn(struct fl_sql *sql, const char *schema, const char *tname, const char *msg) {
    fl_buf_printf(&sql->warnings, "%s.%s: %s\n", schema, tname, msg);
}

/* Runs one CREATE VIRTUAL TABLE; 0 on success. */
static int create(struct fl_sql *sql, const char *schema, const char *tname, const char *module,
                  const char *ns, const char *name, const char *kind) {
    char *q;
    if (!name)
        q = sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\".\"%w\" USING %s('%q')", schema, tname,
                            module, ns);
    else if (kind)
        q = sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\".\"%w\" USING %s('%q', '%q', '%q')", schema,
                            tname, module, ns, name, kind);
    else
        q = sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\".\"%w\" USING %s('%q', '%q')", schema,
                            tname, module, ns, name);
    if (!q) return SQLITE_NOMEM;
    char *msg = NULL;
    int rc = sqlite3_exec(sql->db, q, NULL, NULL, &msg);
    if (rc) warn(sql, schema, tname, msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    sqlite3_free(q);
    return rc;
}

/* The table and its metadata tables in schema, named prefix + suffix. */
static int create_all(struct fl_sql *sql, const char *schema, const char *prefix, const char *ns,
                      const char *name) {
    int rc = create(sql, schema, prefix, "floe", ns, name, NULL);
    if (rc) return rc;
    for (int k = 0; k < FL_SQL_META__COUNT; k++) {
        char tn[FL_SQL_NAME_MAX * 2 + 32];
        snprintf(tn, sizeof(tn), "%s$%s", prefix, fl_sql_meta_name((fl_sql_meta_t)k));
        create(sql, schema, tn, "floe_meta", ns, name, fl_sql_meta_name((fl_sql_meta_t)k));
    }
    return SQLITE_OK;
}

static int attach(struct fl_sql *sql, const char *ns) {
    if (!sqlite3_stricmp(ns, "main") || !sqlite3_stricmp(ns, "temp")) return SQLITE_ERROR;
    char *q = sqlite3_mprintf("ATTACH ':memory:' AS \"%w\"", ns);
    if (!q) return SQLITE_NOMEM;
    int rc = sqlite3_exec(sql->db, q, NULL, NULL, NULL);
    sqlite3_free(q);
    return rc;
}

static int add_topic(void *ctx, const char *topic) {
    struct name_list *nl = ctx;
    return add_table(nl, "topic", topic);
}

fl_err_t fl_sql_log_open_ro(const char *dir, struct fl_log **out, struct fl_error *err) {
    struct fl_log_opts opts;
    fl_log_opts_default(&opts);
    opts.dir = dir;
    opts.read_only = true;
    opts.retention_check_ms = -1;
    fl_err_t rc = fl_log_open(&opts, out, err);
    if (rc) fl_err_prefix(err, "log %s: ", dir);
    return rc;
}

/* The topics of log (or of the log in dir, opened read-only for the list). */
static fl_err_t list_topics(struct fl_log *log, const char *dir, struct name_list *tl,
                            struct fl_error *err) {
    struct fl_log *own = NULL;
    if (!log) {
        struct stat sb;
        if (stat(dir, &sb) != 0) return FL_OK; /* no log yet: no topics */
        fl_err_t rc = fl_sql_log_open_ro(dir, &own, err);
        if (rc) return rc;
        log = own;
    }
    fl_err_t rc = fl_log_topic_list(log, add_topic, tl, err);
    if (own) fl_log_close(own);
    return rc;
}

fl_err_t fl_sql_open(struct fl_store *st, struct fl_catalog *cat, struct fl_sql **out,
                     struct fl_error *err) {
    return fl_sql_open_log(st, cat, NULL, NULL, out, err);
}

fl_err_t fl_sql_open_log(struct fl_store *st, struct fl_catalog *cat, struct fl_log *log,
                         const char *log_dir, struct fl_sql **out, struct fl_error *err) {
    struct fl_sql *sql = fl_calloc(1, sizeof(*sql));
    sql->env.store = st;
    sql->env.cat = cat;
    sql->env.log = log;
    if (!log && log_dir) sql->env.log_dir = sql->log_dir = fl_strdup(log_dir);
    struct name_list tl = {0};
    fl_buf_init(&sql->warnings, WARNINGS_MAX);
    struct name_list nl = {.cat = cat, .err = err};
    fl_err_t rc = FL_OK;
    int src =
        sqlite3_open_v2(":memory:", &sql->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (src) {
        rc = fl_errf(err, FL_ERR_NOMEM, "sqlite: %s",
                     sql->db ? sqlite3_errmsg(sql->db) : sqlite3_errstr(src));
        goto out;
    }
    sqlite3_extended_result_codes(sql->db, 1);
    if (fl_sql_vtab_register(sql->db, &sql->env) || fl_sql_meta_register(sql->db, &sql->env) ||
        fl_sql_topic_register(sql->db, &sql->env) || fl_sql_rows_register(sql->db) ||
        fl_sql_time_register(sql->db)) {
        rc = fl_errf(err, FL_ERR_NOMEM, "sqlite: cannot register modules: %s",
                     sqlite3_errmsg(sql->db));
        goto out;
    }
    if (log || log_dir) rc = list_topics(log, log_dir, &tl, err);
    if (!rc) rc = fl_catalog_ns_list(cat, NULL, walk_ns, &nl, err);
    if (!rc) rc = nl.rc;
    if (rc) goto out;
    /* namespaces in the order met, each attached once; "topic" first */
    char **attached = fl_calloc((size_t)nl.n + 2, sizeof(char *));
    int natt = 0;
    if (tl.n && !attach(sql, "topic")) attached[natt++] = (char *)"topic";
    for (int i = 0; i < tl.n; i++) {
        char full[FL_SQL_NAME_MAX * 2 + 2];
        snprintf(full, sizeof(full), "topic.%s", tl.name[i]);
        int ok = natt && !create(sql, "topic", tl.name[i], "floe_topic", tl.name[i], NULL, NULL);
        ok |= !create(sql, "temp", full, "floe_topic", tl.name[i], NULL, NULL);
        sql->ntables += ok;
    }
    for (int i = 0; i < nl.n; i++) {
        const char *ns = nl.ns[i], *name = nl.name[i];
        int is_default = !strcmp(ns, "default");
        int ok = 0;
        if (is_default && !create_all(sql, "main", name, ns, name)) ok = 1;
        int have = 0;
        for (int k = 0; k < natt; k++) have |= !strcmp(attached[k], ns);
        if (!have && !attach(sql, ns)) attached[natt++] = nl.ns[i];
        have = 0;
        for (int k = 0; k < natt; k++) have |= !strcmp(attached[k], ns);
        if (have && !create_all(sql, ns, name, ns, name)) ok = 1;
        char full[FL_SQL_NAME_MAX * 2 + 2];
        snprintf(full, sizeof(full), "%s.%s", ns, name);
        if (!create_all(sql, "temp", full, ns, name)) ok = 1;
        sql->ntables += ok;
    }
    fl_free(attached);
out:
    for (int i = 0; i < tl.n; i++) {
        fl_free(tl.ns[i]);
        fl_free(tl.name[i]);
    }
    fl_free(tl.ns);
    fl_free(tl.name);
    for (int i = 0; i < nl.n; i++) {
        fl_free(nl.ns[i]);
        fl_free(nl.name[i]);
    }
    fl_free(nl.ns);
    fl_free(nl.name);
    if (rc) {
        fl_sql_free(sql);
        return rc;
    }
    *out = sql;
    return FL_OK;
}

void fl_sql_free(struct fl_sql *sql) {
    if (!sql) return;
    sqlite3_close_v2(sql->db);
    fl_sql_tables_free(&sql->env);
    fl_free(sql->log_dir);
    fl_buf_fini(&sql->warnings);
    fl_free(sql);
}

sqlite3 *fl_sql_db(struct fl_sql *sql) { return sql->db; }

int fl_sql_shortcuts_enabled(void) {
    const char *e = getenv("FLOE_SQL_NO_SHORTCUTS");
    return !e || !e[0] || strcmp(e, "0") == 0;
}

int fl_sql_shortcut(struct fl_sql *sql, sqlite3_stmt **stmt) {
    return fl_sql_count_shortcut(sql, stmt) || fl_sql_agg_shortcut(sql, stmt);
}

struct fl_sql_env *fl_sql_env_of(struct fl_sql *sql) {
    return &sql->env;
}

const char *fl_sql_warnings(const struct fl_sql *sql) {
    struct fl_sql *s = (struct fl_sql *)sql;
    if (fl_buf_append_u8(&s->warnings, 0)) return "";
    s->warnings.len--; /* keep the NUL outside the length */
    return (const char *)s->warnings.data;
}

int fl_sql_table_count(const struct fl_sql *sql) { return sql->ntables; }

void fl_sql_stats_take(struct fl_sql *sql, struct fl_sql_stats *out) {
    *out = sql->env.stats;
    memset(&sql->env.stats, 0, sizeof(sql->env.stats));
}
