/*
 * sql_meta.c - the "floe_meta" virtual table module: an Iceberg table's
 * metadata tables with Trino's names and columns ("t$snapshots",
 * "t$history", "t$files", "t$manifests", "t$partitions", "t$refs").
 *
 * How it works: the tables are small (one row per snapshot, file,
 * manifest, partition or ref), so xFilter loads the table's current
 * version and materializes every row into an array of values; nothing
 * is pushed down and SQLite filters and sorts. Trino's map and row
 * columns (summary, partition, column_sizes, bounds...) are JSON text,
 * which SQLite's json_extract reads; bounds and partition values are
 * shown in the same text forms as the table's own columns.
 */
#include "sql/sql_int.h"

#include "core/mem.h"
#include "core/time.h"
#include "iceberg/prune.h"
#include "sql/sql_time.h"
#include "sql/sql_types.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define META_LIST_MAX ((size_t)512 << 20)

static const char *const DECLS[FL_SQL_META__COUNT] = {
    [FL_SQL_META_SNAPSHOTS] =
        "CREATE TABLE x(committed_at TIMESTAMPTZ COLLATE " FL_SQL_TIME_COLLATION
        ", snapshot_id BIGINT, parent_id BIGINT, "
        "operation VARCHAR, manifest_list VARCHAR, summary JSON)",
    [FL_SQL_META_HISTORY] =
        "CREATE TABLE x(made_current_at TIMESTAMPTZ COLLATE " FL_SQL_TIME_COLLATION
        ", snapshot_id BIGINT, parent_id BIGINT, "
        "is_current_ancestor BOOLEAN)",
    [FL_SQL_META_FILES] =
        "CREATE TABLE x(content INTEGER, file_path VARCHAR, file_format VARCHAR, spec_id INTEGER, "
        "partition JSON, record_count BIGINT, file_size_in_bytes BIGINT, column_sizes JSON, "
        "value_counts JSON, null_value_counts JSON, nan_value_counts JSON, lower_bounds JSON, "
        "upper_bounds JSON, equality_ids JSON)",
    [FL_SQL_META_MANIFESTS] =
        "CREATE TABLE x(path VARCHAR, length BIGINT, partition_spec_id INTEGER, "
        "added_snapshot_id BIGINT, added_data_files_count INTEGER, added_rows_count BIGINT, "
        "existing_data_files_count INTEGER, existing_rows_count BIGINT, "
        "deleted_data_files_count INTEGER, deleted_rows_count BIGINT, "
        "partition_summaries JSON, content INTEGER)",
    [FL_SQL_META_PARTITIONS] =
        "CREATE TABLE x(partition JSON, spec_id INTEGER, record_count BIGINT, "
        "file_count BIGINT, total_size BIGINT)",
    [FL_SQL_META_REFS] = "CREATE TABLE x(name VARCHAR, type VARCHAR, snapshot_id BIGINT, "
                         "max_reference_age_in_ms BIGINT, min_snapshots_to_keep INTEGER, "
                         "max_snapshot_age_in_ms BIGINT)",
};
static const int NCOLS[FL_SQL_META__COUNT] = {6, 4, 14, 12, 5, 6};

struct mval {
    int type; /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_TEXT */
    int64_t i;
    char *s;
};

struct mtab {
    sqlite3_vtab base;
    struct fl_sql_env *env;
    char ns[FL_SQL_NAME_MAX], name[FL_SQL_NAME_MAX];
    fl_sql_meta_t kind;
};

struct mcur {
    sqlite3_vtab_cursor base;
    struct mval *vals; /* nrows * ncols */
    size_t nrows, cap, row;
    int ncols;
    /* building */
    int col;
    struct fl_ice_table *tbl;
};

/* ---- row building ---- */

static void begin_row(struct mcur *c) {
    if (c->nrows == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->vals = fl_reallocarray(c->vals, c->cap * (size_t)c->ncols, sizeof(struct mval));
    }
    memset(&c->vals[c->nrows * (size_t)c->ncols], 0, sizeof(struct mval) * (size_t)c->ncols);
    c->nrows++;
    c->col = 0;
}

static struct mval *slot(struct mcur *c) {
    return c->col < c->ncols ? &c->vals[(c->nrows - 1) * (size_t)c->ncols + (size_t)c->col++]
                             : NULL;
}

static void put_null(struct mcur *c) {
    struct mval *v = slot(c);
    if (v) v->type = SQLITE_NULL;
}

static void put_int(struct mcur *c, int64_t i) {
    struct mval *v = slot(c);
    if (v) v->type = SQLITE_INTEGER, v->i = i;
}

static void put_id(struct mcur *c, int64_t id) {
    if (id == FL_ICE_NO_SNAPSHOT || id == FL_ICE_NULL_LONG)
        put_null(c);
    else
        put_int(c, id);
}

static void put_text(struct mcur *c, const char *s, size_t n) {
    struct mval *v = slot(c);
    if (v) v->type = SQLITE_TEXT, v->s = fl_strndup(s, n);
}

static void put_str(struct mcur *c, const char *s) {
    if (s)
        put_text(c, s, strlen(s));
    else
        put_null(c);
}

static void put_buf(struct mcur *c, struct fl_buf *b) {
    put_text(c, b->data ? (const char *)b->data : "", b->len);
    fl_buf_reset(b);
}

static void put_time_ms(struct mcur *c, int64_t ms) {
    char t[40];
    fl_sql_format_timestamp(ms * 1000, 1, t, sizeof(t));
    put_str(c, t);
}

static void free_rows(struct mcur *c) {
    for (size_t k = 0; k < c->nrows * (size_t)c->ncols; k++) fl_free(c->vals[k].s);
    fl_free(c->vals);
    c->vals = NULL;
    c->nrows = c->cap = c->row = 0;
}

/* ---- the tables ---- */

static json_t *doc_snapshot(const struct fl_ice_meta *m, int64_t id) {
    json_t *arr = json_object_get((json_t *)m->doc, "snapshots");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *s = json_array_get(arr, i);
        if (json_integer_value(json_object_get(s, "snapshot-id")) == id) return s;
    }
    return NULL;
}

static void rows_snapshots(struct mcur *c, const struct fl_ice_meta *m) {
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    for (int i = 0; i < m->nsnapshots; i++) {
        const struct fl_ice_snapshot *s = &m->snapshots[i];
        begin_row(c);
        put_time_ms(c, s->timestamp_ms);
        put_id(c, s->snapshot_id);
        put_id(c, s->parent_id);
        put_str(c, s->operation && s->operation[0] ? s->operation : NULL);
        put_str(c, s->manifest_list);
        /* the summary without "operation", as Trino's map shows it */
        json_t *sum = json_object_get(doc_snapshot(m, s->snapshot_id), "summary");
        const char *k;
        json_t *v;
        int first = 1;
        fl_buf_append_u8(&b, '{');
        json_object_foreach(sum, k, v) {
            if (!strcmp(k, "operation") || !json_is_string(v)) continue;
            if (!first) fl_buf_append_u8(&b, ',');
            first = 0;
            fl_sql_json_str(k, strlen(k), &b);
            fl_buf_append_u8(&b, ':');
            fl_sql_json_str(json_string_value(v), strlen(json_string_value(v)), &b);
        }
        fl_buf_append_u8(&b, '}');
        put_buf(c, &b);
    }
    fl_buf_fini(&b);
}

static int is_ancestor(const struct fl_ice_meta *m, int64_t id) {
    int64_t cur = m->current_snapshot_id;
    for (int guard = 0; cur != FL_ICE_NO_SNAPSHOT && guard <= m->nsnapshots; guard++) {
        if (cur == id) return 1;
        const struct fl_ice_snapshot *p = fl_ice_meta_snapshot(m, cur);
        cur = p ? p->parent_id : FL_ICE_NO_SNAPSHOT;
    }
    return 0;
}

static void rows_history(struct mcur *c, const struct fl_ice_meta *m) {
    json_t *log = json_object_get((json_t *)m->doc, "snapshot-log");
    if (json_array_size(log) == 0) {
        for (int i = 0; i < m->nsnapshots; i++) {
            const struct fl_ice_snapshot *s = &m->snapshots[i];
            begin_row(c);
            put_time_ms(c, s->timestamp_ms);
            put_id(c, s->snapshot_id);
            put_id(c, s->parent_id);
            put_int(c, is_ancestor(m, s->snapshot_id));
        }
        return;
    }
    for (size_t i = 0; i < json_array_size(log); i++) {
        json_t *e = json_array_get(log, i);
        int64_t id = json_integer_value(json_object_get(e, "snapshot-id"));
        const struct fl_ice_snapshot *s = fl_ice_meta_snapshot(m, id);
        begin_row(c);
        put_time_ms(c, json_integer_value(json_object_get(e, "timestamp-ms")));
        put_id(c, id);
        put_id(c, s ? s->parent_id : FL_ICE_NO_SNAPSHOT);
        put_int(c, is_ancestor(m, id));
    }
}

/* {"name": value, ...} of a file's partition tuple. */
static void partition_json(const struct fl_ice_meta *m, int32_t spec_id,
                           const struct fl_ice_pval *vals, int n, struct fl_buf *b) {
    const struct fl_ice_spec *spec = fl_ice_meta_spec(m, spec_id);
    fl_buf_append_u8(b, '{');
    for (int k = 0; k < n; k++) {
        if (k) fl_buf_append_u8(b, ',');
        const char *nm = spec && k < spec->nfields ? spec->fields[k].name : "?";
        fl_sql_json_str(nm, strlen(nm), b);
        fl_buf_append_u8(b, ':');
        fl_sql_pval_json(&vals[k], b);
    }
    fl_buf_append_u8(b, '}');
}

enum metric { M_SIZE, M_VALUES, M_NULLS, M_NANS, M_LOWER, M_UPPER };

static void metrics_json(const struct fl_schema *schema, const struct fl_ice_data_file *df,
                         enum metric which, struct fl_buf *b) {
    int first = 1;
    fl_buf_append_u8(b, '{');
    for (int k = 0; k < df->ncols; k++) {
        const struct fl_ice_col_metrics *cm = &df->cols[k];
        int64_t v = which == M_SIZE     ? cm->column_size
                    : which == M_VALUES ? cm->value_count
                    : which == M_NULLS  ? cm->null_count
                                        : cm->nan_count;
        if (which <= M_NANS && v < 0) continue;
        if (which >= M_LOWER && !cm->has_bounds) continue;
        if (!first) fl_buf_append_u8(b, ',');
        first = 0;
        fl_buf_printf(b, "\"%d\":", (int)cm->field_id);
        if (which <= M_NANS) {
            fl_buf_printf(b, "%lld", (long long)v);
            continue;
        }
        int idx = schema ? fl_schema_index_by_id(schema, cm->field_id) : -1;
        struct fl_ice_pval pv;
        const uint8_t *bytes = which == M_LOWER ? cm->lower : cm->upper;
        size_t len = which == M_LOWER ? cm->lower_len : cm->upper_len;
        if (idx >= 0 && fl_ice_pval_from_bound(&schema->fields[idx], bytes, len, &pv) == FL_OK) {
            fl_sql_pval_json(&pv, b);
        } else {
            fl_buf_append_u8(b, '"');
            for (size_t j = 0; j < len; j++) fl_buf_printf(b, "%02x", bytes[j]);
            fl_buf_append_u8(b, '"');
        }
    }
    fl_buf_append_u8(b, '}');
}

struct files_ctx {
    struct mcur *c;
    const struct fl_ice_meta *m;
    struct fl_buf b;
};

static int on_file(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct files_ctx *fc = ctx;
    struct mcur *c = fc->c;
    const struct fl_ice_data_file *df = &e->df;
    if (e->status == FL_ICE_STATUS_DELETED) return 0;
    const struct fl_schema *schema = fl_ice_meta_current_schema(fc->m);
    begin_row(c);
    put_int(c, df->content);
    put_str(c, df->file_path);
    put_str(c, df->file_format);
    put_int(c, df->spec_id);
    partition_json(fc->m, df->spec_id, df->partition, df->npartition, &fc->b);
    put_buf(c, &fc->b);
    put_int(c, df->record_count);
    put_int(c, df->file_size_in_bytes);
    for (int w = M_SIZE; w <= M_UPPER; w++) {
        metrics_json(schema, df, (enum metric)w, &fc->b);
        put_buf(c, &fc->b);
    }
    if (df->nequality > 0) {
        fl_buf_append_u8(&fc->b, '[');
        for (int k = 0; k < df->nequality; k++)
            fl_buf_printf(&fc->b, "%s%d", k ? "," : "", (int)df->equality_ids[k]);
        fl_buf_append_u8(&fc->b, ']');
        put_buf(c, &fc->b);
    } else {
        put_null(c);
    }
    return 0;
}

struct part_group {
    char *key; /* spec id and tuple JSON */
    int32_t spec_id;
    int64_t records, files, size;
};

struct parts_ctx {
    const struct fl_ice_meta *m;
    struct part_group *g;
    int n, cap;
    struct fl_buf b;
};

static int on_part_file(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct parts_ctx *pc = ctx;
    if (e->status == FL_ICE_STATUS_DELETED || e->df.content != FL_ICE_CONTENT_DATA) return 0;
    fl_buf_reset(&pc->b);
    partition_json(pc->m, e->df.spec_id, e->df.partition, e->df.npartition, &pc->b);
    fl_buf_append_u8(&pc->b, 0);
    const char *key = (const char *)pc->b.data;
    int k = 0;
    for (; k < pc->n; k++)
        if (pc->g[k].spec_id == e->df.spec_id && !strcmp(pc->g[k].key, key)) break;
    if (k == pc->n) {
        if (pc->n == pc->cap) {
            pc->cap = pc->cap ? pc->cap * 2 : 16;
            pc->g = fl_reallocarray(pc->g, (size_t)pc->cap, sizeof(*pc->g));
        }
        pc->g[k] = (struct part_group){fl_strdup(key), e->df.spec_id, 0, 0, 0};
        pc->n++;
    }
    pc->g[k].records += e->df.record_count;
    pc->g[k].files++;
    pc->g[k].size += e->df.file_size_in_bytes;
    return 0;
}

static fl_err_t rows_manifests(struct mcur *c, struct fl_ice_table *tbl, struct fl_error *err) {
    const struct fl_ice_meta *m = tbl->meta;
    const struct fl_ice_snapshot *snap = fl_ice_meta_current_snapshot(m);
    if (!snap) return FL_OK;
    if (!snap->manifest_list)
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "the current snapshot has no manifest list (format 1 manifests)");
    char key[FL_STORE_KEY_MAX + 1];
    struct fl_buf b, js;
    fl_buf_init(&b, META_LIST_MAX);
    fl_buf_init(&js, FL_BUF_NOMAX);
    struct fl_ice_manifest_file *mfs = NULL;
    int n = 0;
    fl_err_t rc = fl_ice_table_key(tbl, snap->manifest_list, key, sizeof(key), err);
    if (!rc) rc = fl_store_get(tbl->store, key, &b, META_LIST_MAX, err);
    if (!rc) rc = fl_ice_manifest_list_read(b.data, b.len, &mfs, &n, err);
    const struct fl_schema *schema = fl_ice_meta_current_schema(m);
    for (int i = 0; i < n && !rc; i++) {
        const struct fl_ice_manifest_file *mf = &mfs[i];
        begin_row(c);
        put_str(c, mf->manifest_path);
        put_int(c, mf->manifest_length);
        put_int(c, mf->partition_spec_id);
        put_id(c, mf->added_snapshot_id);
        put_int(c, mf->added_files_count);
        put_int(c, mf->added_rows_count);
        put_int(c, mf->existing_files_count);
        put_int(c, mf->existing_rows_count);
        put_int(c, mf->deleted_files_count);
        put_int(c, mf->deleted_rows_count);
        const struct fl_ice_spec *spec = fl_ice_meta_spec(m, mf->partition_spec_id);
        fl_buf_append_u8(&js, '[');
        for (int k = 0; k < mf->npartitions; k++) {
            const struct fl_ice_field_summary *fs = &mf->partitions[k];
            fl_buf_printf(
                &js, "%s{\"contains_null\":%s,\"contains_nan\":%s,\"lower_bound\":", k ? "," : "",
                fs->contains_null ? "true" : "false", fs->contains_nan ? "true" : "false");
            struct fl_field res;
            memset(&res, 0, sizeof(res));
            int have_type = 0;
            if (spec && k < spec->nfields) {
                int si = fl_schema_index_by_id(schema, spec->fields[k].source_id);
                if (si >= 0) {
                    fl_ice_transform_result_type(&spec->fields[k].transform, &schema->fields[si],
                                                 &res);
                    have_type = 1;
                }
            }
            for (int side = 0; side < 2; side++) {
                const struct fl_buf *bb = side ? &fs->upper : &fs->lower;
                struct fl_ice_pval pv;
                if (side) fl_buf_append_str(&js, ",\"upper_bound\":");
                if (!fs->has_bounds || !bb->len)
                    fl_buf_append_str(&js, "null");
                else if (have_type && fl_ice_pval_from_bound(&res, bb->data, bb->len, &pv) == FL_OK)
                    fl_sql_pval_json(&pv, &js);
                else
                    fl_buf_append_str(&js, "null");
            }
            fl_buf_append_u8(&js, '}');
        }
        fl_buf_append_u8(&js, ']');
        put_buf(c, &js);
        put_int(c, mf->content);
    }
    for (int i = 0; i < n; i++) fl_ice_manifest_file_fini(&mfs[i]);
    fl_free(mfs);
    fl_buf_fini(&b);
    fl_buf_fini(&js);
    return rc;
}

static void rows_refs(struct mcur *c, const struct fl_ice_meta *m) {
    json_t *refs = json_object_get((json_t *)m->doc, "refs");
    const char *k;
    json_t *r;
    if (json_object_size(refs) == 0) {
        if (m->current_snapshot_id == FL_ICE_NO_SNAPSHOT) return;
        begin_row(c); /* format 1: main is the current snapshot */
        put_str(c, "main");
        put_str(c, "BRANCH");
        put_id(c, m->current_snapshot_id);
        put_null(c);
        put_null(c);
        put_null(c);
        return;
    }
    json_object_foreach(refs, k, r) {
        begin_row(c);
        put_str(c, k);
        const char *t = json_string_value(json_object_get(r, "type"));
        put_str(c, t && !strcmp(t, "tag") ? "TAG" : "BRANCH");
        put_id(c, json_integer_value(json_object_get(r, "snapshot-id")));
        static const char *const keys[] = {"max-ref-age-ms", "min-snapshots-to-keep",
                                           "max-snapshot-age-ms"};
        for (int i = 0; i < 3; i++) {
            json_t *v = json_object_get(r, keys[i]);
            if (json_is_integer(v))
                put_int(c, json_integer_value(v));
            else
                put_null(c);
        }
    }
}

/* ---- the module ---- */

static int mt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                      char **errmsg) {
    struct mtab *mt = sqlite3_malloc(sizeof(*mt));
    if (!mt) return SQLITE_NOMEM;
    memset(mt, 0, sizeof(*mt));
    mt->env = aux;
    int rc = fl_sql_module_args(argc, argv, mt->ns, mt->name, &mt->kind, 1, errmsg);
    if (!rc) rc = sqlite3_declare_vtab(db, DECLS[mt->kind]);
    if (rc) {
        sqlite3_free(mt);
        return rc;
    }
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
    *out = &mt->base;
    return SQLITE_OK;
}

static int mt_disconnect(sqlite3_vtab *base) {
    sqlite3_free(base);
    return SQLITE_OK;
}

static int mt_best_index(sqlite3_vtab *base, sqlite3_index_info *info) {
    (void)base;
    info->estimatedCost = 1000;
    info->estimatedRows = 100;
    return SQLITE_OK;
}

static int mt_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out) {
    struct mtab *mt = (struct mtab *)base;
    struct mcur *c = sqlite3_malloc(sizeof(*c));
    if (!c) return SQLITE_NOMEM;
    memset(c, 0, sizeof(*c));
    c->ncols = NCOLS[mt->kind];
    *out = &c->base;
    return SQLITE_OK;
}

static int mt_close(sqlite3_vtab_cursor *base) {
    struct mcur *c = (struct mcur *)base;
    free_rows(c);
    fl_sql_table_return(((struct mtab *)base->pVtab)->env, c->tbl);
    sqlite3_free(c);
    return SQLITE_OK;
}

static int mt_filter(sqlite3_vtab_cursor *base, int idx_num, const char *idx_str, int argc,
                     sqlite3_value **argv) {
    (void)idx_num, (void)idx_str, (void)argc, (void)argv;
    struct mcur *c = (struct mcur *)base;
    struct mtab *mt = (struct mtab *)base->pVtab;
    struct fl_error err = {0};
    free_rows(c);
    fl_sql_table_return(mt->env, c->tbl);
    c->tbl = NULL;
    if (mt->env->count_probe) { /* sql_count.c: not answerable from manifests */
        mt->env->probe_misses++;
        return SQLITE_OK;
    }
    fl_err_t rc = fl_sql_table_borrow(mt->env, mt->ns, mt->name, &c->tbl, &err);
    const struct fl_ice_meta *m = rc ? NULL : c->tbl->meta;
    int64_t cur = m ? m->current_snapshot_id : FL_ICE_NO_SNAPSHOT;
    if (!rc) {
        switch (mt->kind) {
        case FL_SQL_META_SNAPSHOTS:
            rows_snapshots(c, m);
            break;
        case FL_SQL_META_HISTORY:
            rows_history(c, m);
            break;
        case FL_SQL_META_REFS:
            rows_refs(c, m);
            break;
        case FL_SQL_META_MANIFESTS:
            rc = rows_manifests(c, c->tbl, &err);
            break;
        case FL_SQL_META_FILES: {
            struct files_ctx fc = {c, m, {0}};
            fl_buf_init(&fc.b, FL_BUF_NOMAX);
            if (cur != FL_ICE_NO_SNAPSHOT)
                rc = fl_ice_table_files(c->tbl, cur, NULL, on_file, &fc, &err);
            fl_buf_fini(&fc.b);
            break;
        }
        case FL_SQL_META_PARTITIONS: {
            struct parts_ctx pc = {m, NULL, 0, 0, {0}};
            fl_buf_init(&pc.b, FL_BUF_NOMAX);
            if (cur != FL_ICE_NO_SNAPSHOT)
                rc = fl_ice_table_files(c->tbl, cur, NULL, on_part_file, &pc, &err);
            for (int k = 0; k < pc.n; k++) {
                begin_row(c);
                put_str(c, pc.g[k].key);
                put_int(c, pc.g[k].spec_id);
                put_int(c, pc.g[k].records);
                put_int(c, pc.g[k].files);
                put_int(c, pc.g[k].size);
                fl_free(pc.g[k].key);
            }
            fl_free(pc.g);
            fl_buf_fini(&pc.b);
            break;
        }
        default:
            break;
        }
    }
    if (rc) {
        sqlite3_free(mt->base.zErrMsg);
        mt->base.zErrMsg =
            sqlite3_mprintf("%s.%s$%s: %s", mt->ns, mt->name, fl_sql_meta_name(mt->kind), err.msg);
        return SQLITE_ERROR;
    }
    c->row = 0;
    return SQLITE_OK;
}

static int mt_next(sqlite3_vtab_cursor *base) {
    ((struct mcur *)base)->row++;
    return SQLITE_OK;
}

static int mt_eof(sqlite3_vtab_cursor *base) {
    struct mcur *c = (struct mcur *)base;
    return c->row >= c->nrows;
}

static int mt_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int i) {
    struct mcur *c = (struct mcur *)base;
    if (i < 0 || i >= c->ncols || c->row >= c->nrows) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    const struct mval *v = &c->vals[c->row * (size_t)c->ncols + (size_t)i];
    if (v->type == SQLITE_INTEGER)
        sqlite3_result_int64(ctx, v->i);
    else if (v->type == SQLITE_TEXT)
        sqlite3_result_text(ctx, v->s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_result_null(ctx);
    return SQLITE_OK;
}

static int mt_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
    *rowid = (sqlite3_int64)((struct mcur *)base)->row;
    return SQLITE_OK;
}

static sqlite3_module meta_module = {
    .iVersion = 0,
    .xCreate = mt_connect,
    .xConnect = mt_connect,
    .xBestIndex = mt_best_index,
    .xDisconnect = mt_disconnect,
    .xDestroy = mt_disconnect,
    .xOpen = mt_open,
    .xClose = mt_close,
    .xFilter = mt_filter,
    .xNext = mt_next,
    .xEof = mt_eof,
    .xColumn = mt_column,
    .xRowid = mt_rowid,
};

int fl_sql_meta_register(sqlite3 *db, struct fl_sql_env *env) {
    return sqlite3_create_module_v2(db, "floe_meta", &meta_module, env, NULL);
}
