/*
 * sql_vtab.c - the "floe" virtual table module: an Iceberg table's rows
 * as a SQLite table.
 *
 * How it works: xCreate/xConnect load the table once to declare its
 * current schema (plus the hidden columns _snapshot_id and _as_of that
 * make t(ID) and t(NULL, TIME) time travel; on a format 3 table also
 * the hidden row lineage columns _row_id and _last_updated_sequence_number,
 * as Spark shows them: not in SELECT *, selectable by name, each row's
 * stored value or else the inherited one, first_row_id + position and
 * the data file's sequence number). xBestIndex takes the
 * constraints SQLite offers: equality on a hidden column picks the
 * snapshot (omitted from SQLite's own test); =, <, <=, >, >=, IS NULL and
 * IS NOT NULL on data columns become pruning predicates (sql_pred.c; not
 * omitted, SQLite still tests every row); LIMIT/OFFSET stop the scan
 * early when no other term can reject rows and there is no ORDER BY. The plan travels to xFilter
 * as idxStr (sql_args.c). Each cursor loads the table afresh at its
 * first xFilter, so a statement sees the catalog's current version and a
 * cursor never shares metadata with another. When no data column is
 * used (COUNT(*) without a filter) and the snapshot has no delete files,
 * the rows are counted from the manifests' record counts and no data
 * file is opened.
 */
#include "sql/sql_int.h"

#include "core/buf.h"
#include "core/mem.h"
#include "sql/sql_pred.h"
#include "sql/sql_time.h"
#include "sql/sql_types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vtab {
    sqlite3_vtab base;
    struct fl_sql_env *env;
    char ns[FL_SQL_NAME_MAX], name[FL_SQL_NAME_MAX];
    struct fl_schema *schema; /* declared columns, a copy */
    int col_snap, col_asof;   /* the hidden columns' indexes */
    int col_rid, col_seq;     /* format 3: the lineage columns' indexes, else -1 */
    int64_t est_rows;
    int64_t fixed_snap; /* USING floe(ns, t, ID) (FOR VERSION AS OF): that snapshot */
};

struct cursor {
    sqlite3_vtab_cursor base;
    struct fl_ice_table *tbl; /* borrowed from the env (sql_tables.c) */
    struct fl_ice_scan *scan;
    struct fl_batch *batch; /* borrowed from scan */
    size_t row;
    int64_t rowid, emitted, stop_after; /* stop_after < 0: no limit */
    int eof;
    int *map; /* declared column -> batch column, -1 = null */
    struct fl_sql_preds preds;
    int counted; /* stats of the scan already added */
    int count_only;
    int64_t count_total;
    int64_t snap_id;     /* FL_ICE_NO_SNAPSHOT: current */
    sqlite3_value *asof; /* as given, for the hidden column */
    int have_snap_arg;
    int lineage; /* a lineage column is used: the scan gives them */
};

static int set_err(sqlite3_vtab *vt, const struct fl_error *err) {
    sqlite3_free(vt->zErrMsg);
    vt->zErrMsg = sqlite3_mprintf("%s", err->msg[0] ? err->msg : fl_err_name(err->code));
    return SQLITE_ERROR;
}

int fl_sql_module_args(int argc, const char *const *argv, char *ns, char *name, fl_sql_meta_t *kind,
                       int nkind, char **errmsg) {
    struct fl_error err = {0};
    int want = 3 + 2 + (nkind ? 1 : 0);
    if (argc != want) {
        *errmsg = sqlite3_mprintf("%s: want %d arguments (namespace, table%s)", argv[0], want - 3,
                                  nkind ? ", kind" : "");
        return SQLITE_ERROR;
    }
    char kbuf[32];
    if (fl_sql_dequote(argv[3], ns, FL_SQL_NAME_MAX, &err) ||
        fl_sql_dequote(argv[4], name, FL_SQL_NAME_MAX, &err) ||
        (nkind && fl_sql_dequote(argv[5], kbuf, sizeof(kbuf), &err))) {
        *errmsg = sqlite3_mprintf("%s: %s", argv[0], err.msg);
        return SQLITE_ERROR;
    }
    if (nkind) {
        *kind = fl_sql_meta_parse(kbuf);
        if (*kind == FL_SQL_META_NONE) {
            *errmsg = sqlite3_mprintf("%s: unknown metadata table kind \"%s\"", argv[0], kbuf);
            return SQLITE_ERROR;
        }
    }
    return SQLITE_OK;
}

static int name_taken(const struct fl_schema *s, const char *n) {
    for (int i = 0; i < s->nfields; i++)
        if (sqlite3_stricmp(s->fields[i].name, n) == 0) return 1;
    return 0;
}

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                      char **errmsg) {
    struct fl_sql_env *env = aux;
    struct vtab *vt = sqlite3_malloc(sizeof(*vt));
    if (!vt) return SQLITE_NOMEM;
    memset(vt, 0, sizeof(*vt));
    vt->env = env;
    vt->fixed_snap = FL_ICE_NO_SNAPSHOT;
    /* a third argument: the snapshot of a FOR VERSION AS OF (sql_travel.c) */
    int rc = fl_sql_module_args(argc == 6 ? 5 : argc, argv, vt->ns, vt->name, NULL, 0, errmsg);
    if (!rc && argc == 6) {
        char sbuf[32], *end;
        struct fl_error aerr = {0};
        if (fl_sql_dequote(argv[5], sbuf, sizeof(sbuf), &aerr) ||
            (vt->fixed_snap = strtoll(sbuf, &end, 10), *end || !sbuf[0])) {
            *errmsg = sqlite3_mprintf("%s: bad snapshot id %s", argv[0], argv[5]);
            rc = SQLITE_ERROR;
        }
    }
    if (rc) {
        sqlite3_free(vt);
        return rc;
    }
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_sql_table_borrow(env, vt->ns, vt->name, &tbl, &err)) {
        *errmsg = sqlite3_mprintf("%s.%s: %s", vt->ns, vt->name, err.msg);
        sqlite3_free(vt);
        return SQLITE_ERROR;
    }
    if (vt->fixed_snap != FL_ICE_NO_SNAPSHOT && !fl_ice_meta_snapshot(tbl->meta, vt->fixed_snap)) {
        *errmsg = sqlite3_mprintf("%s.%s has no snapshot %lld", vt->ns, vt->name,
                                  (long long)vt->fixed_snap);
        fl_sql_table_return(env, tbl);
        sqlite3_free(vt);
        return SQLITE_ERROR;
    }
    /* time travel declares the columns of its snapshot's schema */
    vt->schema = fl_schema_dup(fl_ice_meta_snapshot_schema(tbl->meta, vt->fixed_snap));
    const char *tr =
        fl_ice_snapshot_summary(tbl->meta, tbl->meta->current_snapshot_id, "total-records");
    vt->est_rows = tr ? strtoll(tr, NULL, 10) : 1000000;
    if (vt->est_rows < 1) vt->est_rows = 1;
    int format_version = tbl->meta->format_version;
    fl_sql_table_return(env, tbl); /* kept loaded for the statement's cursors */

    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    fl_buf_append_str(&b, "CREATE TABLE x(");
    char q[FL_SQL_NAME_MAX * 2 + 4], type[48];
    for (int i = 0; i < vt->schema->nfields; i++) {
        if (fl_sql_quote_ident(vt->schema->fields[i].name, q, sizeof(q))) {
            *errmsg = sqlite3_mprintf("column name too long in %s.%s", vt->ns, vt->name);
            rc = SQLITE_ERROR;
            break;
        }
        fl_sql_type_decl(&vt->schema->fields[i], type, sizeof(type));
        /* dates and timestamps compare as values (sql_time.c) */
        fl_buf_printf(
            &b, "%s %s%s, ", q, type,
            fl_sql_time_typed(vt->schema->fields[i].type) ? " COLLATE " FL_SQL_TIME_COLLATION : "");
    }
    /* hidden columns for time travel, named so no data column hides them */
    char hs[64] = "_snapshot_id", ha[64] = "_as_of";
    while (name_taken(vt->schema, hs) && strlen(hs) < 40)
        memmove(hs + 1, hs, strlen(hs) + 1), hs[0] = '_';
    while (name_taken(vt->schema, ha) && strlen(ha) < 40)
        memmove(ha + 1, ha, strlen(ha) + 1), ha[0] = '_';
    fl_buf_printf(&b, "%s BIGINT HIDDEN, %s HIDDEN", hs, ha);
    vt->col_snap = vt->schema->nfields;
    vt->col_asof = vt->schema->nfields + 1;
    vt->col_rid = vt->col_seq = -1;
    /* format 3 row lineage, unless a data column has the name */
    if (format_version >= 3 && !name_taken(vt->schema, "_row_id") &&
        !name_taken(vt->schema, "_last_updated_sequence_number")) {
        fl_buf_append_str(&b,
                          ", _row_id BIGINT HIDDEN, _last_updated_sequence_number BIGINT HIDDEN");
        vt->col_rid = vt->schema->nfields + 2;
        vt->col_seq = vt->schema->nfields + 3;
    }
    fl_buf_append_str(&b, ")");
    fl_buf_append_u8(&b, 0);
    if (!rc) {
        rc = sqlite3_declare_vtab(db, (const char *)b.data);
        if (rc) *errmsg = sqlite3_mprintf("%s.%s: %s", vt->ns, vt->name, sqlite3_errmsg(db));
    }
    fl_buf_fini(&b);
    if (rc) {
        fl_schema_free(vt->schema);
        sqlite3_free(vt);
        return rc;
    }
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
    *out = &vt->base;
    return SQLITE_OK;
}

static int vt_disconnect(sqlite3_vtab *base) {
    struct vtab *vt = (struct vtab *)base;
    fl_schema_free(vt->schema);
    sqlite3_free(vt);
    return SQLITE_OK;
}

static int pushable_op(int op) {
    return op == SQLITE_INDEX_CONSTRAINT_EQ || op == SQLITE_INDEX_CONSTRAINT_LT ||
           op == SQLITE_INDEX_CONSTRAINT_LE || op == SQLITE_INDEX_CONSTRAINT_GT ||
           op == SQLITE_INDEX_CONSTRAINT_GE || op == SQLITE_INDEX_CONSTRAINT_ISNULL ||
           op == SQLITE_INDEX_CONSTRAINT_ISNOTNULL;
}

static int text_mapped(fl_type_id_t t) {
    return t == FL_TYPE_STRING || t == FL_TYPE_UUID || t == FL_TYPE_DATE || t == FL_TYPE_TIME ||
           t == FL_TYPE_TIMESTAMP || t == FL_TYPE_TIMESTAMPTZ;
}

/* Whether colUsed (bit 63: every column from 63 on) has a lineage column. */
static int lineage_used(const struct vtab *vt, uint64_t used) {
    for (int c = 0; c < 2; c++) {
        int i = c ? vt->col_seq : vt->col_rid;
        if (i >= 0 && (used & ((uint64_t)1 << (i < 63 ? i : 63)))) return 1;
    }
    return 0;
}

static int vt_best_index(sqlite3_vtab *base, sqlite3_index_info *info) {
    struct vtab *vt = (struct vtab *)base;
    struct fl_sql_plan plan;
    memset(&plan, 0, sizeof(plan));
    plan.col_used = (uint64_t)info->colUsed;
    int snap_i = -1, asof_i = -1, limit_i = -1, offset_i = -1;
    int cons_i[FL_SQL_PREDS_MAX];
    int others = 0; /* terms SQLite itself will test on our rows */
    double cost = (double)vt->est_rows;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->op == SQLITE_INDEX_CONSTRAINT_LIMIT) {
            if (c->usable) limit_i = i;
            continue;
        }
        if (c->op == SQLITE_INDEX_CONSTRAINT_OFFSET) {
            if (c->usable) offset_i = i;
            continue;
        }
        if (c->iColumn == vt->col_snap || c->iColumn == vt->col_asof) {
            if (c->op != SQLITE_INDEX_CONSTRAINT_EQ) {
                others++;
                continue;
            }
            /* a time-travel argument must be used: refuse plans without it */
            if (!c->usable) return SQLITE_CONSTRAINT;
            if (c->iColumn == vt->col_snap)
                snap_i = i;
            else
                asof_i = i;
            continue;
        }
        others++;
        if (!c->usable || c->iColumn < 0 || !pushable_op(c->op) || plan.ncons >= FL_SQL_PREDS_MAX)
            continue;
        if (c->iColumn >= vt->schema->nfields) continue;
        if (text_mapped(vt->schema->fields[c->iColumn].type)) {
            /* pushed as SQLite compares: strings and uuids by BINARY,
             * dates and timestamps by value (their declared collation) */
            const char *coll = sqlite3_vtab_collation(info, i);
            const char *want = fl_sql_time_typed(vt->schema->fields[c->iColumn].type)
                                   ? FL_SQL_TIME_COLLATION
                                   : "BINARY";
            if (coll ? sqlite3_stricmp(coll, want) != 0 : strcmp(want, "BINARY") != 0) continue;
        }
        cons_i[plan.ncons] = i;
        plan.cons[plan.ncons].col = c->iColumn;
        plan.cons[plan.ncons].op = c->op;
        plan.ncons++;
        cost *= c->op == SQLITE_INDEX_CONSTRAINT_EQ ? 0.1 : 0.5;
    }
    int argv = 0;
    if (snap_i >= 0) {
        info->aConstraintUsage[snap_i].argvIndex = ++argv;
        info->aConstraintUsage[snap_i].omit = 1;
        plan.has_snap = 1;
    }
    if (asof_i >= 0) {
        info->aConstraintUsage[asof_i].argvIndex = ++argv;
        info->aConstraintUsage[asof_i].omit = 1;
        plan.has_asof = 1;
    }
    for (int k = 0; k < plan.ncons; k++) info->aConstraintUsage[cons_i[k]].argvIndex = ++argv;
    /* a LIMIT only counts rows in SQLite's order: not with an ORDER BY we do not satisfy */
    if (others == 0 && limit_i >= 0 && info->nOrderBy == 0) {
        info->aConstraintUsage[limit_i].argvIndex = ++argv;
        plan.has_limit = 1;
        if (offset_i >= 0) {
            info->aConstraintUsage[offset_i].argvIndex = ++argv;
            plan.has_offset = 1;
        }
    }
    /* no data column needed at all: rows can be counted from manifests */
    uint64_t data_mask =
        vt->schema->nfields >= 63 ? ~(uint64_t)0 : (((uint64_t)1 << vt->schema->nfields) - 1);
    if (vt->schema->nfields >= 63)
        data_mask &= ~(((uint64_t)1 << vt->col_snap) | ((uint64_t)1 << vt->col_asof));
    if (lineage_used(vt, plan.col_used)) data_mask = ~(uint64_t)0; /* they need the rows */
    plan.count_only = (plan.col_used & data_mask) == 0;
    char buf[64 + 16 * FL_SQL_PREDS_MAX];
    if (fl_sql_plan_encode(&plan, buf, sizeof(buf))) return SQLITE_ERROR;
    info->idxStr = sqlite3_mprintf("%s", buf);
    if (!info->idxStr) return SQLITE_NOMEM;
    info->needToFreeIdxStr = 1;
    info->estimatedCost = cost < 1 ? 1 : cost;
    info->estimatedRows = (sqlite3_int64)(cost < 1 ? 1 : cost);
    return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out) {
    (void)base;
    struct cursor *cur = sqlite3_malloc(sizeof(*cur));
    if (!cur) return SQLITE_NOMEM;
    memset(cur, 0, sizeof(*cur));
    fl_sql_preds_init(&cur->preds);
    cur->eof = 1;
    *out = &cur->base;
    return SQLITE_OK;
}

void fl_sql_stats_add_scan(struct fl_sql_env *env, const struct fl_ice_scan *scan) {
    struct fl_ice_scan_stats st;
    fl_ice_scan_stats(scan, &st);
    env->stats.ice.manifests_planned += st.manifests_planned;
    env->stats.ice.manifests_skipped += st.manifests_skipped;
    env->stats.ice.files_planned += st.files_planned;
    env->stats.ice.files_skipped += st.files_skipped;
    env->stats.ice.files_read += st.files_read;
    env->stats.ice.row_groups_read += st.row_groups_read;
    env->stats.ice.row_groups_skipped += st.row_groups_skipped;
    env->stats.ice.pages_skipped += st.pages_skipped;
}

/* Adds the finished (or abandoned) scan's counters to the environment. */
static void scan_done(struct cursor *cur, struct fl_sql_env *env) {
    if (cur->scan && !cur->counted) {
        fl_sql_stats_add_scan(env, cur->scan);
        cur->counted = 1;
    }
    fl_ice_scan_free(cur->scan);
    cur->scan = NULL;
    cur->batch = NULL;
}

static void cursor_reset(struct cursor *cur, struct fl_sql_env *env) {
    scan_done(cur, env);
    fl_sql_preds_fini(&cur->preds);
    fl_free(cur->map);
    cur->map = NULL;
    sqlite3_value_free(cur->asof);
    cur->asof = NULL;
    cur->eof = 1;
    cur->row = 0;
    cur->rowid = cur->emitted = 0;
    cur->count_only = 0;
    cur->counted = 0;
    cur->have_snap_arg = 0;
    cur->lineage = 0;
}

static int vt_close(sqlite3_vtab_cursor *base) {
    struct cursor *cur = (struct cursor *)base;
    struct fl_sql_env *env = ((struct vtab *)base->pVtab)->env;
    cursor_reset(cur, env);
    fl_sql_table_return(env, cur->tbl);
    sqlite3_free(cur);
    return SQLITE_OK;
}

/* Moves to the next row of the scan (or of the count). */
static int advance(struct cursor *cur, struct vtab *vt) {
    if (cur->stop_after >= 0 && cur->emitted >= cur->stop_after) {
        cur->eof = 1;
        scan_done(cur, vt->env);
        return SQLITE_OK;
    }
    if (cur->count_only) {
        if (cur->emitted >= cur->count_total)
            cur->eof = 1;
        else
            cur->emitted++, cur->rowid++;
        return SQLITE_OK;
    }
    if (cur->batch && cur->row + 1 < cur->batch->nrows) {
        cur->row++;
    } else {
        struct fl_error err = {0};
        struct fl_batch *b = NULL;
        fl_err_t rc = cur->scan ? fl_ice_scan_next(cur->scan, &b, &err) : FL_ERR_EOF;
        if (rc == FL_ERR_EOF) {
            cur->eof = 1;
            scan_done(cur, vt->env);
            return SQLITE_OK;
        }
        if (rc) {
            cur->eof = 1;
            return set_err(&vt->base, &err);
        }
        cur->batch = b;
        cur->row = 0;
    }
    cur->emitted++;
    cur->rowid++;
    vt->env->stats.rows++;
    return SQLITE_OK;
}

struct count_ctx {
    int64_t rows;
    int deletes;
};

static int count_entry(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct count_ctx *cc = ctx;
    if (e->status == FL_ICE_STATUS_DELETED) return 0;
    if (e->df.content != FL_ICE_CONTENT_DATA) {
        cc->deletes++;
        return 1; /* stop: the count needs a real scan */
    }
    cc->rows += e->df.record_count;
    return 0;
}

/* Sums the record counts of snapshot sid's live data files into *rows;
 * *deletes is set when it has a live delete file (the sum is then not
 * the table's row count). */
static fl_err_t manifest_count(struct fl_ice_table *tbl, int64_t sid, int64_t *rows, int *deletes,
                               struct fl_error *err) {
    struct count_ctx cc = {0, 0};
    fl_err_t rc = FL_OK;
    if (sid != FL_ICE_NO_SNAPSHOT) rc = fl_ice_table_files(tbl, sid, NULL, count_entry, &cc, err);
    *rows = cc.rows;
    *deletes = cc.deletes;
    return rc;
}

/* sql_count.c's probe (sql_int.h): yields no row; counts a hit only for a
 * plain COUNT(*) of the current snapshot (no column used, no constraint,
 * no LIMIT, no time travel) without delete files. sql_agg.c's probe
 * (agg_probe) counts a hit for any plan without LIMIT or time travel
 * (its constraints are the statement's WHERE terms, which sql_agg.c tests
 * itself) and leaves the table's names and declared schema. */
static int count_probe(struct cursor *cur, struct vtab *vt, const struct fl_sql_plan *plan) {
    struct fl_sql_env *env = vt->env;
    struct fl_error err = {0};
    cur->eof = 1;
    if (env->agg_probe) {
        if (plan->has_limit || plan->has_offset || plan->has_snap || plan->has_asof ||
            vt->fixed_snap != FL_ICE_NO_SNAPSHOT || env->probe_schema) {
            env->probe_misses++;
            return SQLITE_OK;
        }
        env->probe_schema = fl_schema_dup(vt->schema);
        if (!env->probe_schema) return SQLITE_NOMEM;
        memcpy(env->probe_ns, vt->ns, sizeof(env->probe_ns));
        memcpy(env->probe_name, vt->name, sizeof(env->probe_name));
        env->probe_hits++;
        return SQLITE_OK;
    }
    if (!plan->count_only || plan->ncons || plan->has_limit || plan->has_offset || plan->has_snap ||
        plan->has_asof || vt->fixed_snap != FL_ICE_NO_SNAPSHOT) {
        env->probe_misses++;
        return SQLITE_OK;
    }
    if (!cur->tbl && fl_sql_table_borrow(env, vt->ns, vt->name, &cur->tbl, &err))
        return set_err(&vt->base, &err);
    int64_t rows;
    int deletes;
    if (manifest_count(cur->tbl, cur->tbl->meta->current_snapshot_id, &rows, &deletes, &err))
        return set_err(&vt->base, &err);
    if (deletes) {
        env->probe_misses++;
        return SQLITE_OK;
    }
    env->probe_hits++;
    env->probe_count = rows;
    env->stats.scans++;
    env->stats.count_only++;
    return SQLITE_OK;
}

static void lit_from_value(sqlite3_value *v, struct fl_sql_lit *lit) {
    memset(lit, 0, sizeof(*lit));
    lit->type = sqlite3_value_type(v);
    if (lit->type == SQLITE_INTEGER) lit->i = sqlite3_value_int64(v);
    if (lit->type == SQLITE_FLOAT) lit->f = sqlite3_value_double(v);
    if (lit->type == SQLITE_BLOB) {
        lit->p = sqlite3_value_blob(v);
        lit->n = (size_t)sqlite3_value_bytes(v);
    } else if (lit->type != SQLITE_NULL) {
        lit->p = sqlite3_value_text(v);
        lit->n = (size_t)sqlite3_value_bytes(v);
    }
}

static int vt_filter(sqlite3_vtab_cursor *base, int idx_num, const char *idx_str, int argc,
                     sqlite3_value **argv) {
    (void)idx_num;
    struct cursor *cur = (struct cursor *)base;
    struct vtab *vt = (struct vtab *)base->pVtab;
    struct fl_error err = {0};
    struct fl_sql_plan plan;
    cursor_reset(cur, vt->env);
    if (fl_sql_plan_decode(idx_str, &plan)) {
        fl_errf(&err, FL_ERR_INVALID, "internal: bad plan \"%s\"", idx_str ? idx_str : "");
        return set_err(&vt->base, &err);
    }
    int want = plan.has_snap + plan.has_asof + plan.ncons + plan.has_limit + plan.has_offset;
    if (argc != want) {
        fl_errf(&err, FL_ERR_INVALID, "internal: plan wants %d values, got %d", want, argc);
        return set_err(&vt->base, &err);
    }
    if (vt->env->count_probe) return count_probe(cur, vt, &plan);
    if (!cur->tbl && fl_sql_table_borrow(vt->env, vt->ns, vt->name, &cur->tbl, &err))
        return set_err(&vt->base, &err);
    const struct fl_ice_meta *meta = cur->tbl->meta;
    int a = 0;
    cur->snap_id = FL_ICE_NO_SNAPSHOT;
    int empty = 0; /* as of a time before the table had rows */
    if (plan.has_snap) {
        sqlite3_value *v = argv[a++];
        if (sqlite3_value_type(v) != SQLITE_NULL) {
            if (sqlite3_value_numeric_type(v) != SQLITE_INTEGER) {
                fl_errf(&err, FL_ERR_INVALID, "%s: the snapshot id must be an integer", vt->name);
                return set_err(&vt->base, &err);
            }
            cur->snap_id = sqlite3_value_int64(v);
            cur->have_snap_arg = 1;
            if (!fl_ice_meta_snapshot(meta, cur->snap_id)) {
                fl_errf(&err, FL_ERR_NOTFOUND, "%s.%s has no snapshot %lld", vt->ns, vt->name,
                        (long long)cur->snap_id);
                return set_err(&vt->base, &err);
            }
        }
    }
    if (plan.has_asof) {
        sqlite3_value *v = argv[a++];
        cur->asof = sqlite3_value_dup(v);
        if (sqlite3_value_type(v) != SQLITE_NULL) {
            if (cur->have_snap_arg) {
                fl_errf(&err, FL_ERR_INVALID, "%s: give a snapshot id or an as-of time, not both",
                        vt->name);
                return set_err(&vt->base, &err);
            }
            int64_t ms;
            if (sqlite3_value_type(v) == SQLITE_INTEGER)
                ms = sqlite3_value_int64(v);
            else {
                const char *t = (const char *)sqlite3_value_text(v);
                if (fl_sql_parse_as_of(t ? t : "", t ? strlen(t) : 0, &ms, &err))
                    return set_err(&vt->base, &err);
            }
            const struct fl_ice_snapshot *s = fl_ice_meta_snapshot_at(meta, ms);
            if (s)
                cur->snap_id = s->snapshot_id, cur->have_snap_arg = 1;
            else
                empty = 1;
        }
    }
    if (vt->fixed_snap != FL_ICE_NO_SNAPSHOT) {
        if (cur->have_snap_arg || empty) {
            fl_errf(&err, FL_ERR_INVALID, "%s: already FOR VERSION AS OF %lld", vt->name,
                    (long long)vt->fixed_snap);
            return set_err(&vt->base, &err);
        }
        if (!fl_ice_meta_snapshot(meta, vt->fixed_snap)) {
            fl_errf(&err, FL_ERR_NOTFOUND, "%s.%s has no snapshot %lld", vt->ns, vt->name,
                    (long long)vt->fixed_snap);
            return set_err(&vt->base, &err);
        }
        cur->snap_id = vt->fixed_snap;
        cur->have_snap_arg = 1;
    }
    /* pruning predicates, in the table's schema of now (by field id) */
    const struct fl_schema *now = fl_ice_meta_current_schema(meta);
    for (int k = 0; k < plan.ncons; k++) {
        sqlite3_value *v = argv[a++];
        int col = plan.cons[k].col;
        if (col < 0 || col >= vt->schema->nfields) continue;
        int idx = fl_schema_index_by_id(now, vt->schema->fields[col].id);
        if (idx < 0 || now->fields[idx].type != vt->schema->fields[col].type) continue;
        struct fl_sql_lit lit;
        lit_from_value(v, &lit);
        fl_sql_preds_add(&cur->preds, now, idx, plan.cons[k].op, &lit);
    }
    cur->stop_after = -1;
    if (plan.has_limit) {
        int64_t lim = sqlite3_value_int64(argv[a++]);
        int64_t off = plan.has_offset ? sqlite3_value_int64(argv[a++]) : 0;
        if (off < 0) off = 0;
        if (lim >= 0) cur->stop_after = lim + off;
    }
    /* declared columns into the scan's output columns */
    cur->map = fl_calloc((size_t)vt->schema->nfields + 1, sizeof(int));
    for (int c = 0; c < vt->schema->nfields; c++)
        cur->map[c] = fl_schema_index_by_id(now, vt->schema->fields[c].id);
    vt->env->stats.scans++;
    if (empty) {
        cur->eof = 1;
        return SQLITE_OK;
    }
    int64_t sid = cur->snap_id != FL_ICE_NO_SNAPSHOT ? cur->snap_id : meta->current_snapshot_id;
    if (plan.count_only) {
        int64_t rows;
        int deletes;
        if (manifest_count(cur->tbl, sid, &rows, &deletes, &err)) return set_err(&vt->base, &err);
        if (!deletes) {
            cur->count_only = 1;
            cur->count_total = rows;
            vt->env->stats.count_only++;
            vt->env->stats.rows += rows;
            cur->eof = 0;
            return advance(cur, vt);
        }
    }
    if (fl_ice_scan_open_as_of(cur->tbl, cur->snap_id, cur->preds.preds, cur->preds.n, &cur->scan,
                               &err))
        return set_err(&vt->base, &err);
    /* time travel reads the snapshot's schema: declared columns it lacks
     * (added later) are null, renamed ones map by field id */
    const struct fl_schema *ss = fl_ice_scan_schema(cur->scan);
    for (int c = 0; c < vt->schema->nfields; c++)
        cur->map[c] = fl_schema_index_by_id(ss, vt->schema->fields[c].id);
    /* projection: only the columns the query uses are decoded (colUsed's
     * bit 63 stands for every column from 63 on) */
    int32_t *ids = fl_calloc((size_t)vt->schema->nfields + 1, sizeof(int32_t));
    int nids = 0;
    for (int c = 0; c < vt->schema->nfields; c++)
        if (plan.col_used & ((uint64_t)1 << (c < 63 ? c : 63)))
            ids[nids++] = vt->schema->fields[c].id;
    fl_err_t prc = fl_ice_scan_project_ids(cur->scan, ids, nids, &err);
    fl_free(ids);
    if (!prc && lineage_used(vt, plan.col_used)) {
        prc = fl_ice_scan_want_lineage(cur->scan, &err);
        cur->lineage = 1;
    }
    if (prc) return set_err(&vt->base, &err);
    cur->eof = 0;
    return advance(cur, vt);
}

static int vt_next(sqlite3_vtab_cursor *base) {
    return advance((struct cursor *)base, (struct vtab *)base->pVtab);
}

static int vt_eof(sqlite3_vtab_cursor *base) { return ((struct cursor *)base)->eof; }

static int vt_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int i) {
    struct cursor *cur = (struct cursor *)base;
    struct vtab *vt = (struct vtab *)base->pVtab;
    if (i == vt->col_snap) {
        int64_t sid = cur->have_snap_arg ? cur->snap_id
                      : cur->tbl         ? cur->tbl->meta->current_snapshot_id
                                         : FL_ICE_NO_SNAPSHOT;
        if (sid == FL_ICE_NO_SNAPSHOT)
            sqlite3_result_null(ctx);
        else
            sqlite3_result_int64(ctx, sid);
        return SQLITE_OK;
    }
    if (i == vt->col_asof) {
        if (cur->asof)
            sqlite3_result_value(ctx, cur->asof);
        else
            sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    if ((i == vt->col_rid || i == vt->col_seq) && i >= 0) {
        int64_t rid, seq;
        if (!cur->lineage || !cur->batch) {
            sqlite3_result_null(ctx);
            return SQLITE_OK;
        }
        fl_ice_scan_lineage(cur->scan, cur->row, &rid, &seq);
        if (i == vt->col_rid && rid < 0)
            sqlite3_result_null(ctx); /* a file without first_row_id */
        else
            sqlite3_result_int64(ctx, i == vt->col_rid ? rid : seq);
        return SQLITE_OK;
    }
    if (cur->count_only || !cur->batch || i < 0 || i >= vt->schema->nfields || cur->map[i] < 0) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    fl_sql_result_col(ctx, &cur->batch->cols[cur->map[i]], cur->row);
    return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
    *rowid = ((struct cursor *)base)->rowid;
    return SQLITE_OK;
}

static sqlite3_module floe_module = {
    .iVersion = 0,
    .xCreate = vt_connect,
    .xConnect = vt_connect,
    .xBestIndex = vt_best_index,
    .xDisconnect = vt_disconnect,
    .xDestroy = vt_disconnect,
    .xOpen = vt_open,
    .xClose = vt_close,
    .xFilter = vt_filter,
    .xNext = vt_next,
    .xEof = vt_eof,
    .xColumn = vt_column,
    .xRowid = vt_rowid,
};

int fl_sql_vtab_register(sqlite3 *db, struct fl_sql_env *env) {
    return sqlite3_create_module_v2(db, "floe", &floe_module, env, NULL);
}
