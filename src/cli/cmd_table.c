/*
 * cmd_table.c - `floe table ...`: Iceberg tables from the shell.
 *
 *   create NS.NAME --schema S.json [--partition TERM]... [--property K=V]...
 *   list [NS] | describe T | history T | snapshots T | files T [--snapshot ID]
 *   append|overwrite T FILE.ndjson|FILE.parquet | compact T [OPTS] | scan T [--snapshot ID]
 * [--where EXPR] expire T [--older-than TS] [--retain-last N] [--snapshot-id ID]... [--dry-run]
 * [--limit N] delete T --where EXPR | drop T [--purge] | register NS.NAME PATH
 * | unregister T | alter T
 * add-column|rename-column|drop-column|widen|partition-by|sort-by|set|unset ...
 *
 * T is NS.NAME in the catalog, or a table folder or metadata file (a
 * path or URI containing '/'), read without any catalog as DuckDB's
 * iceberg_scan does; paths recorded under the table's own location
 * resolve inside that folder, so moved or copied tables read as they are.
 * The warehouse and catalog come from --warehouse/--catalog, else
 * FLOE_WAREHOUSE/FLOE_CATALOG, else ./warehouse and its catalog.db.
 */
#include "batch/batch_json.h"
#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/table_compact.h"
#include "cli/table_expire.h"
#include "cli/table_maintain.h"
#include "cli/table_orphans.h"
#include "cli/warehouse.h"
#include "core/mem.h"
#include "core/time.h"
#include "format/parquet/reader.h"
#include "iceberg/evolve.h"
#include "iceberg/expire.h"
#include "iceberg/prune.h"
#include "iceberg/retention.h"
#include "iceberg/table.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TERMS 32
#define APPEND_BATCH_ROWS 65536

struct opts {
    const char *warehouse, *catalog;
    const char *schema, *where;
    const char *terms[MAX_TERMS];
    int nterms;
    struct fl_ice_kv props[MAX_TERMS];
    int nprops;
    int64_t snapshot;
    int64_t limit;
    int purge;
    int stats;
    int lineage; /* scan --row-lineage */
    const char *args[4];
    int nargs;
    char **rest; /* alter: the words after T */
    int nrest;
    struct fl_cli_expire_args expire;
    int uploads; /* clean-orphans: also the warehouse's uploads/ */
    struct fl_cli_compact_args compact;
};

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: floe table [--warehouse URI] [--catalog URI] COMMAND ...\n"
        "  create NS.NAME --schema SCHEMA.json [--partition 'day(ts)'|'bucket(16, id)'|COL]...\n"
        "                 [--property KEY=VALUE]...\n"
        "  list [NS]            describe T         history T        snapshots T\n"
        "  files T [--snapshot ID]                 drop T [--purge]\n"
        "  register NS.NAME FOLDER|METADATA.json   (the catalog points at a table folder of the\n"
        "            warehouse)                    unregister T  (the files stay)\n"
        "  append T FILE.ndjson|FILE.parquet       overwrite T FILE (replaces every row)\n"
        "  compact T [--target-size BYTES] [--min-input-files N] [--partition PATH] [--all]\n"
        "            [--dry-run]  (bin-pack per partition, deletes applied: a replace snapshot\n"
        "            per group)\n"
        "  scan T [--snapshot ID] [--where 'col op value [and ...]'] [--limit N] [--stats]\n"
        "         [--row-lineage]   (format 3: each row's _row_id, _last_updated_sequence_number)\n"
        "  delete T --where 'col op value [and ...]'   (row-level: position delete files;\n"
        "                                 deletion vectors on format 3 tables)\n"
        "  expire T [--older-than TS|now] [--retain-last N] [--snapshot-id ID]... [--dry-run]\n"
        "           (snapshot expiry: defaults from history.expire.*, then deletes the files\n"
        "           only expired snapshots reach)\n"
        "  clean-orphans [T] [--older-than DURATION|TS] [--uploads] [--dry-run]\n"
        "           (deletes unreferenced files older than 3d under T's folder; --uploads: the\n"
        "           temporary files killed uploads left under the warehouse's uploads/)\n"
        "  maintain T [--dry-run]  (expire, compact, clean-orphans in turn with their defaults)\n"
        "  alter T add-column NAME TYPE [required] | rename-column OLD NEW | drop-column NAME\n"
        "        | widen NAME long|double|decimal(P,S) | partition-by [TERM]... | set K=V... | "
        "unset K...\n"
        "        | sort-by ['TERM [asc|desc] [nulls first|last]']...  (the order compact writes)\n"
        "T is NS.NAME, or a table folder or metadata file (path or URI) read without a catalog.\n"
        "Defaults: --warehouse $FLOE_WAREHOUSE or ./warehouse, --catalog $FLOE_CATALOG or\n"
        "sqlite:<warehouse>/catalog.db for a local warehouse.\n");
}

static bool remove_all(void *ctx, const struct fl_ice_data_file *df);

static int fail(struct fl_error *err) {
    fprintf(stderr, "floe table: %s\n", err->msg[0] ? err->msg : fl_err_name(err->code));
    return 1;
}

struct env {
    struct fl_store *store;
    struct fl_catalog *cat;
};

static void env_fini(struct env *e) {
    fl_catalog_free(e->cat);
    fl_store_free(e->store);
}

static fl_err_t env_open(const struct opts *o, struct env *e, struct fl_error *err) {
    return fl_cli_warehouse_open(o->warehouse, o->catalog, &e->store, &e->cat, err);
}

/* Splits "a.b.c" at the last dot into namespace and name. */
static fl_err_t split_name(const char *t, char *ns, size_t nssz, char *name, size_t namesz,
                           struct fl_error *err) {
    const char *dot = strrchr(t, '.');
    if (!dot || dot == t || !dot[1])
        return fl_errf(err, FL_ERR_INVALID, "table \"%s\" must be NAMESPACE.NAME", t);
    if (snprintf(ns, nssz, "%.*s", (int)(dot - t), t) >= (int)nssz ||
        snprintf(name, namesz, "%s", dot + 1) >= (int)namesz)
        return fl_errf(err, FL_ERR_INVALID, "table \"%.200s\": namespace or name too long", t);
    return FL_OK;
}

static int is_path(const char *t) { return strchr(t, '/') != NULL; }

/* Opens T: from the catalog, or a folder/metadata file by path. The
 * store for a path is opened on its parent; *own_store tells to free it. */
static fl_err_t open_table(const struct opts *o, struct env *e, const char *t,
                           struct fl_ice_table **out, struct fl_store **own_store,
                           struct fl_error *err) {
    *own_store = NULL;
    if (!is_path(t)) {
        char ns[256], name[256];
        fl_err_t rc = split_name(t, ns, sizeof(ns), name, sizeof(name), err);
        if (!rc) rc = env_open(o, e, err);
        if (!rc) rc = fl_ice_table_load(e->store, fl_catalog_ice(e->cat), ns, name, out, err);
        return rc;
    }
    char *uri = fl_cli_to_uri(t);
    fl_err_t rc = fl_ice_table_open_uri(uri, own_store, out, err);
    fl_free(uri);
    return rc;
}

static void print_json_str(FILE *f, const char *s) {
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    fl_buf_append_u8(&b, '"');
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            fl_buf_printf(&b, "\\%c", c);
        else if (c < 0x20)
            fl_buf_printf(&b, "\\u%04x", c);
        else
            fl_buf_append_u8(&b, c);
    }
    fl_buf_append_u8(&b, '"');
    fwrite(b.data, 1, b.len, f);
    fl_buf_fini(&b);
}

/* ---- commands ---- */

static int cmd_create(const struct opts *o) {
    struct fl_error err = {0};
    struct env e;
    struct fl_schema *schema = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_ice_table *tbl = NULL;
    char ns[256], name[256];
    int rc = 1;
    if (!o->schema) {
        fprintf(stderr, "floe table create: --schema SCHEMA.json is required\n");
        return 2;
    }
    if (split_name(o->args[1], ns, sizeof(ns), name, sizeof(name), &err)) return fail(&err);
    if (fl_schema_load(o->schema, &schema, &err)) return fail(&err);
    if (fl_ice_spec_from_terms(schema, 0, o->terms, o->nterms, FL_ICE_PARTITION_FIELD_ID_START,
                               &spec, &err))
        goto out;
    if (env_open(o, &e, &err)) goto out;
    struct fl_ice_kv props[MAX_TERMS + FL_ICE_FLOE_PROPS]; /* the user's, then floe's defaults */
    int nprops = fl_ice_floe_table_props(o->props, o->nprops, props, MAX_TERMS + FL_ICE_FLOE_PROPS);
    if (!fl_ice_table_create(e.store, fl_catalog_ice(e.cat), ns, name, schema, spec, props, nprops,
                             &tbl, &err)) {
        printf("created %s.%s at %s\n", ns, name, tbl->meta->location);
        rc = 0;
    }
    fl_ice_table_free(tbl);
    env_fini(&e);
out:
    if (rc) fail(&err);
    fl_ice_spec_free(spec);
    fl_schema_free(schema);
    return rc;
}

static int print_name(void *ctx, const char *ns, const char *name) {
    (void)ctx;
    printf("%s%s%s\n", ns, name ? "." : "", name ? name : "");
    return 0;
}

struct list_ctx {
    struct fl_catalog *cat;
    struct fl_error *err;
    fl_err_t rc;
};

static int list_ns_tables(void *ctx, const char *ns, const char *name) {
    (void)name;
    struct list_ctx *lc = ctx;
    fl_catalog_table_list(lc->cat, ns, print_name, NULL, lc->err);
    fl_catalog_ns_list(lc->cat, ns, list_ns_tables, lc, lc->err);
    return 0;
}

static int cmd_list(const struct opts *o) {
    struct fl_error err = {0};
    struct env e;
    if (env_open(o, &e, &err)) return fail(&err);
    fl_err_t rc;
    if (o->nargs > 1) {
        rc = fl_catalog_table_list(e.cat, o->args[1], print_name, NULL, &err);
    } else {
        struct list_ctx lc = {e.cat, &err, FL_OK};
        rc = fl_catalog_ns_list(e.cat, NULL, list_ns_tables, &lc, &err);
    }
    env_fini(&e);
    return rc ? fail(&err) : 0;
}

static int cmd_describe(struct fl_ice_table *tbl) {
    const struct fl_ice_meta *m = tbl->meta;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    fl_buf_printf(&b, "{\"location\":");
    fwrite(b.data, 1, b.len, stdout);
    fl_buf_reset(&b);
    print_json_str(stdout, m->location);
    printf(",\"metadata_location\":");
    print_json_str(stdout, tbl->metadata_location);
    printf(",\"format_version\":%d,\"table_uuid\":\"%s\",\"current_snapshot_id\":",
           m->format_version, m->table_uuid);
    if (m->current_snapshot_id == FL_ICE_NO_SNAPSHOT)
        printf("null");
    else
        printf("%lld", (long long)m->current_snapshot_id);
    printf(",\"snapshots\":%d,\"schema\":", m->nschemas ? m->nsnapshots : 0);
    fl_schema_to_json(fl_ice_meta_current_schema(m), &b);
    fl_buf_append_str(&b, ",\"partition_spec\":");
    fl_ice_spec_to_json(fl_ice_meta_default_spec(m), 0, &b);
    fl_buf_printf(&b, ",\"default_sort_order_id\":%d", (int)m->default_sort_order_id);
    fwrite(b.data, 1, b.len, stdout);
    const char *tr = fl_ice_snapshot_summary(m, m->current_snapshot_id, "total-records");
    printf(",\"total_records\":%s}\n", tr ? tr : "0");
    fl_buf_fini(&b);
    return 0;
}

static int cmd_snapshots(struct fl_ice_table *tbl, int history) {
    const struct fl_ice_meta *m = tbl->meta;
    for (int i = 0; i < m->nsnapshots; i++) {
        const struct fl_ice_snapshot *s = &m->snapshots[i];
        char ts[40];
        fl_time_format_iso(s->timestamp_ms * 1000, ts, sizeof(ts));
        printf("{\"%s\":\"%s\",\"snapshot_id\":%lld,\"parent_id\":",
               history ? "made_current_at" : "committed_at", ts, (long long)s->snapshot_id);
        if (s->parent_id == FL_ICE_NO_SNAPSHOT)
            printf("null");
        else
            printf("%lld", (long long)s->parent_id);
        if (history) {
            /* is the snapshot an ancestor of (or) the current one? */
            int anc = 0;
            int64_t cur = m->current_snapshot_id;
            for (int guard = 0; cur != FL_ICE_NO_SNAPSHOT && guard <= m->nsnapshots; guard++) {
                if (cur == s->snapshot_id) {
                    anc = 1;
                    break;
                }
                const struct fl_ice_snapshot *p = fl_ice_meta_snapshot(m, cur);
                cur = p ? p->parent_id : FL_ICE_NO_SNAPSHOT;
            }
            printf(",\"is_current_ancestor\":%s}\n", anc ? "true" : "false");
            continue;
        }
        printf(",\"operation\":\"%s\",\"sequence_number\":%lld,\"manifest_list\":", s->operation,
               (long long)s->sequence_number);
        print_json_str(stdout, s->manifest_list ? s->manifest_list : "");
        static const char *const keys[] = {"added-data-files", "added-records", "total-records",
                                           "total-data-files", "added-delete-files"};
        printf(",\"summary\":{");
        int first = 1;
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            const char *v = fl_ice_snapshot_summary(m, s->snapshot_id, keys[k]);
            if (!v) continue;
            printf("%s\"%s\":\"%s\"", first ? "" : ",", keys[k], v);
            first = 0;
        }
        printf("}}\n");
    }
    return 0;
}

static void print_pval(const struct fl_ice_pval *v) {
    if (v->is_null) {
        printf("null");
        return;
    }
    switch (v->type) {
    case FL_TYPE_STRING: {
        char *s = fl_strndup((const char *)v->bytes, v->len);
        print_json_str(stdout, s);
        fl_free(s);
        return;
    }
    case FL_TYPE_FLOAT:
    case FL_TYPE_DOUBLE:
        printf("%.17g", v->f64);
        return;
    case FL_TYPE_DECIMAL: {
        char d[64];
        fl_decimal_format(v->dec, v->scale, d, sizeof(d));
        printf("\"%s\"", d);
        return;
    }
    case FL_TYPE_BINARY:
    case FL_TYPE_FIXED:
    case FL_TYPE_UUID:
        printf("\"");
        for (size_t i = 0; i < v->len; i++) printf("%02x", v->bytes[i]);
        printf("\"");
        return;
    case FL_TYPE_DATE: {
        char d[16];
        fl_time_format_date((int32_t)v->i64, d, sizeof(d));
        printf("\"%s\"", d);
        return;
    }
    default:
        printf("%lld", (long long)v->i64);
    }
}

static int print_file(void *ctx, const struct fl_ice_manifest_entry *e) {
    (void)ctx;
    if (e->status == FL_ICE_STATUS_DELETED) return 0;
    printf("{\"content\":%d,\"file_path\":", (int)e->df.content);
    print_json_str(stdout, e->df.file_path);
    printf(",\"file_format\":\"%s\",\"spec_id\":%d,\"partition\":[", e->df.file_format,
           e->df.spec_id);
    for (int i = 0; i < e->df.npartition; i++) {
        if (i) printf(",");
        print_pval(&e->df.partition[i]);
    }
    printf("],\"record_count\":%lld,\"file_size_in_bytes\":%lld,\"sequence_number\":%lld",
           (long long)e->df.record_count, (long long)e->df.file_size_in_bytes,
           (long long)e->sequence_number);
    if (e->df.has_first_row_id) printf(",\"first_row_id\":%lld", (long long)e->df.first_row_id);
    if (e->df.referenced_data_file) {
        printf(",\"referenced_data_file\":");
        print_json_str(stdout, e->df.referenced_data_file);
    }
    if (e->df.has_content_range)
        printf(",\"content_offset\":%lld,\"content_size_in_bytes\":%lld",
               (long long)e->df.content_offset, (long long)e->df.content_size_in_bytes);
    printf("}\n");
    return 0;
}

static int cmd_files(struct fl_ice_table *tbl, int64_t snap) {
    struct fl_error err = {0};
    if (snap == FL_ICE_NO_SNAPSHOT) snap = tbl->meta->current_snapshot_id;
    if (snap == FL_ICE_NO_SNAPSHOT) return 0;
    return fl_ice_table_files(tbl, snap, NULL, print_file, NULL, &err) ? fail(&err) : 0;
}

static int cmd_append(struct fl_ice_table *tbl, const char *file, int overwrite) {
    struct fl_error err = {0};
    const struct fl_schema *schema = fl_ice_meta_current_schema(tbl->meta);
    struct fl_batch *batch = NULL;
    struct fl_ice_appender *ap = NULL;
    struct fl_pq_reader *r = NULL;
    FILE *in = NULL;
    char *line = NULL;
    size_t cap = 0;
    int rc = 1;
    long long rows = 0;
    size_t fl = strlen(file);
    if (fl_ice_appender_new(tbl, &ap, &err)) goto out;
    if (fl > 8 && strcmp(file + fl - 8, ".parquet") == 0) {
        /* a Parquet file: its columns matched to the table's by id, else by name */
        if (fl_pq_reader_open_file(file, &r, &err)) goto out;
        if (fl_batch_new(schema, 0, &batch, &err)) goto out;
        const struct fl_schema *fs = fl_pq_reader_schema(r);
        int32_t ids[1024];
        int map[1024];
        int n = 0;
        for (int c = 0; c < schema->nfields && c < 1024; c++) {
            int k = fl_schema_index_by_id(fs, schema->fields[c].id);
            if (k < 0 || strcmp(fs->fields[k].name, schema->fields[c].name) != 0)
                k = fl_schema_index_by_name(fs, schema->fields[c].name);
            map[c] = k < 0 ? -1 : n;
            if (k >= 0) ids[n++] = fs->fields[k].id;
        }
        if (fl_pq_reader_project_ids(r, ids, n, &err)) goto out;
        for (;;) {
            struct fl_batch *in_b = NULL;
            fl_err_t e = fl_pq_reader_next(r, &in_b, &err);
            if (e == FL_ERR_EOF) break;
            if (e) goto out;
            for (size_t row = 0; row < in_b->nrows; row++) {
                fl_err_t ce = FL_OK;
                for (int c = 0; c < schema->nfields && !ce; c++) {
                    if (map[c] < 0) {
                        if (schema->fields[c].required) {
                            fl_errf(&err, FL_ERR_INVALID,
                                    "%s has no column for required field \"%s\"", file,
                                    schema->fields[c].name);
                            goto out;
                        }
                        ce = fl_col_append_null(&batch->cols[c]);
                    } else {
                        ce = fl_col_append_from(&batch->cols[c], &in_b->cols[map[c]], row);
                    }
                }
                if (!ce) ce = fl_batch_end_row(batch);
                if (ce) {
                    fl_errf(&err, ce, "%s row %lld: a value does not fit the table's column type",
                            file, rows);
                    goto out;
                }
                rows++;
            }
            if (fl_ice_appender_add(ap, batch, &err)) goto out;
            fl_batch_reset(batch);
        }
    } else {
        in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
        if (!in) {
            fl_errf(&err, FL_ERR_IO, "%s: %s", file, strerror(errno));
            goto out;
        }
        if (fl_batch_new(schema, 0, &batch, &err)) goto out;
        ssize_t n;
        long long lineno = 0;
        while ((n = getline(&line, &cap, in)) >= 0) {
            lineno++;
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
            if (n == 0) continue;
            if (fl_batch_append_json(batch, line, (size_t)n, &err)) {
                fl_err_prefix(&err, "%s line %lld", file, lineno);
                goto out;
            }
            rows++;
            if (batch->nrows == APPEND_BATCH_ROWS) {
                if (fl_ice_appender_add(ap, batch, &err)) goto out;
                fl_batch_reset(batch);
            }
        }
        if (batch->nrows && fl_ice_appender_add(ap, batch, &err)) goto out;
    }
    int64_t snap = -1;
    if (overwrite) {
        if (fl_ice_appender_commit_replace(ap, remove_all, NULL, "overwrite", NULL, 0, &snap, &err))
            goto out;
        printf("overwrote the table with %lld rows in snapshot %lld\n", rows, (long long)snap);
    } else {
        if (fl_ice_appender_commit(ap, NULL, 0, &snap, &err)) goto out;
        if (snap < 0)
            printf("nothing to append: no rows, no snapshot\n");
        else
            printf("appended %lld rows in snapshot %lld\n", rows, (long long)snap);
    }
    rc = 0;
out:
    if (rc) fail(&err);
    if (in && in != stdin) fclose(in);
    free(line);
    fl_pq_reader_free(r);
    fl_batch_free(batch);
    fl_ice_appender_free(ap);
    return rc;
}

/* ---- --where: col op literal [and ...] ----
 * Each literal becomes a one-row batch of its column's type (parsed as
 * JSON rows are), so rows are compared by value, typed, and the same
 * literals drive manifest, file, row-group and page pruning. */

struct where {
    struct fl_ice_pred preds[16];
    int n;
    struct fl_schema *schemas[16];
    struct fl_batch *lits[16];
    int cols[16]; /* column of each predicate in the table schema */
};

static void where_fini(struct where *w) {
    for (int i = 0; i < w->n; i++) {
        fl_batch_free(w->lits[i]);
        fl_schema_free(w->schemas[i]);
    }
    w->n = 0;
}

/* One JSON object {"v": literal} for a literal of field f. */
static void literal_json(const struct fl_field *f, const char *v, size_t vl, int quoted,
                         struct fl_buf *js) {
    fl_buf_append_str(js, "{\"v\":");
    bool bare =
        !quoted && (f->type == FL_TYPE_INT || f->type == FL_TYPE_LONG || f->type == FL_TYPE_FLOAT ||
                    f->type == FL_TYPE_DOUBLE || f->type == FL_TYPE_BOOLEAN);
    if (!quoted && vl == 4 && !strncasecmp(v, "null", 4))
        fl_buf_append_str(js, "null");
    else if (bare)
        fl_buf_append(js, v, vl);
    else {
        fl_buf_append_u8(js, '"');
        for (size_t k = 0; k < vl; k++) {
            if (v[k] == '"' || v[k] == '\\') fl_buf_append_u8(js, '\\');
            fl_buf_append_u8(js, (uint8_t)v[k]);
        }
        fl_buf_append_u8(js, '"');
    }
    fl_buf_append_u8(js, '}');
}

static fl_err_t parse_where(const char *expr, const struct fl_schema *schema, struct where *w,
                            struct fl_error *err) {
    static const struct {
        const char *s;
        fl_ice_op_t op;
    } ops[] = {{"=", FL_ICE_OP_EQ},  {"==", FL_ICE_OP_EQ}, {"!=", FL_ICE_OP_NE},
               {"<>", FL_ICE_OP_NE}, {"<", FL_ICE_OP_LT},  {"<=", FL_ICE_OP_LE},
               {">", FL_ICE_OP_GT},  {">=", FL_ICE_OP_GE}};
    memset(w, 0, sizeof(*w));
    char *copy = fl_strdup(expr), *save = NULL;
    fl_err_t rc = FL_OK;
    for (char *p = copy; *p; p++)
        if (p[0] == ' ' && strncasecmp(p, " and ", 5) == 0) {
            p[0] = '\x01';
            memmove(p + 1, p + 5, strlen(p + 5) + 1);
        }
    for (char *tok = strtok_r(copy, "\x01", &save); tok && !rc;
         tok = strtok_r(NULL, "\x01", &save)) {
        if (w->n == 16) {
            rc = fl_errf(err, FL_ERR_LIMIT, "--where: at most 16 conditions");
            break;
        }
        char name[128], op[3];
        int pos = 0;
        while (*tok == ' ') tok++;
        if (sscanf(tok, "%127[A-Za-z0-9_] %2[=<>!] %n", name, op, &pos) < 2 || pos == 0) {
            rc = fl_errf(err, FL_ERR_INVALID, "--where: cannot read \"%s\" (want col op value)",
                         tok);
            break;
        }
        int col = fl_schema_index_by_name(schema, name);
        if (col < 0) {
            rc = fl_errf(err, FL_ERR_INVALID, "--where: no column \"%s\"", name);
            break;
        }
        if (!fl_type_is_primitive(schema->fields[col].type) || schema->fields[col].opaque_type) {
            rc = fl_errf(
                err, FL_ERR_UNSUPPORTED,
                "--where: \"%s\" is a %s column: conditions on it are not supported "
                "(floe sql's json_extract can filter nested and variant columns)",
                name, schema->fields[col].opaque_type ? schema->fields[col].opaque_type : "nested");
            break;
        }
        int found = -1;
        for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
            if (!strcmp(op, ops[k].s)) found = (int)k;
        if (found < 0) {
            rc = fl_errf(err, FL_ERR_INVALID, "--where: unknown operator \"%s\"", op);
            break;
        }
        const char *v = tok + pos;
        size_t vl = strlen(v);
        while (vl && v[vl - 1] == ' ') vl--;
        int quoted = vl >= 2 && (v[0] == '\'' || v[0] == '"') && v[vl - 1] == v[0];
        if (quoted) v++, vl -= 2;
        /* a one-row batch of just this column, renamed "v", holds the literal */
        const struct fl_field *f = &schema->fields[col];
        struct fl_schema *ls = fl_schema_select(schema, &col, 1);
        ls->fields[0].required = false;
        fl_free(ls->fields[0].name);
        ls->fields[0].name = fl_strdup("v");
        w->schemas[w->n] = ls;
        w->n++; /* owned from here, freed by where_fini */
        if ((rc = fl_batch_new(ls, 1, &w->lits[w->n - 1], err))) break;
        struct fl_buf js;
        fl_buf_init(&js, 65536);
        literal_json(f, v, vl, quoted, &js);
        rc = fl_batch_append_json(w->lits[w->n - 1], (const char *)js.data, js.len, err);
        fl_buf_fini(&js);
        if (rc) {
            fl_err_prefix(err, "--where %s", name);
            break;
        }
        struct fl_ice_pred *p = &w->preds[w->n - 1];
        p->field_id = f->id;
        p->op = ops[found].op;
        p->lit = &w->lits[w->n - 1]->cols[0];
        p->row = 0;
        if (fl_col_is_null(p->lit, 0))
            p->op = p->op == FL_ICE_OP_NE ? FL_ICE_OP_NOT_NULL : FL_ICE_OP_IS_NULL;
        w->cols[w->n - 1] = col;
    }
    fl_free(copy);
    if (rc) where_fini(w);
    return rc;
}

/* SQL semantics: a comparison with null is not true; "= null" means IS NULL. */
static bool row_matches(const struct fl_batch *b, size_t row, const struct where *w) {
    struct fl_ice_transform id = {FL_ICE_XF_IDENTITY, 0};
    for (int i = 0; i < w->n; i++) {
        const struct fl_ice_pred *p = &w->preds[i];
        const struct fl_col *col = &b->cols[w->cols[i]];
        bool isnull = fl_col_is_null(col, row);
        if (p->op == FL_ICE_OP_IS_NULL || p->op == FL_ICE_OP_NOT_NULL) {
            if (isnull != (p->op == FL_ICE_OP_IS_NULL)) return false;
            continue;
        }
        if (isnull) return false;
        struct fl_ice_pval a, x;
        fl_ice_transform_apply(&id, col, row, &a);
        fl_ice_transform_apply(&id, p->lit, 0, &x);
        int c = fl_ice_pval_cmp(&a, &x);
        bool ok = p->op == FL_ICE_OP_EQ   ? c == 0
                  : p->op == FL_ICE_OP_NE ? c != 0
                  : p->op == FL_ICE_OP_LT ? c < 0
                  : p->op == FL_ICE_OP_LE ? c <= 0
                  : p->op == FL_ICE_OP_GT ? c > 0
                                          : c >= 0;
        if (!ok) return false;
    }
    return true;
}

/* What scan prints: rows matching where, up to limit (-1: all). */
struct scan_print {
    const struct where *w;
    long long limit, printed;
    struct fl_buf out;
    struct fl_ice_scan *sc; /* for --row-lineage */
    int lineage;
};

/* fl_ice_scan_each's callback: prints the batch's matching rows as JSON
 * lines; FL_ERR_EOF (not an error: cmd_scan stops there) at the limit. */
static fl_err_t print_rows(void *ctx, const struct fl_batch *b, const char *path,
                           const int64_t *pos, struct fl_error *err) {
    (void)path, (void)pos, (void)err;
    struct scan_print *sp = ctx;
    for (size_t row = 0; row < b->nrows && (sp->limit < 0 || sp->printed < sp->limit); row++) {
        if (sp->w->n && !row_matches(b, row, sp->w)) continue;
        fl_batch_row_to_json(b, row, &sp->out);
        if (sp->lineage && sp->out.len > 0 && sp->out.data[sp->out.len - 1] == '}') {
            int64_t rid, seq;
            fl_ice_scan_lineage(sp->sc, row, &rid, &seq);
            sp->out.len--;
            fl_buf_printf(&sp->out, "%s\"_row_id\":", b->ncols ? "," : "");
            if (rid < 0)
                fl_buf_append_str(&sp->out, "null");
            else
                fl_buf_printf(&sp->out, "%lld", (long long)rid);
            fl_buf_printf(&sp->out, ",\"_last_updated_sequence_number\":%lld}", (long long)seq);
        }
        fl_buf_append_u8(&sp->out, '\n');
        sp->printed++;
    }
    if (sp->out.len) fwrite(sp->out.data, 1, sp->out.len, stdout); /* data is NULL before a row */
    fl_buf_reset(&sp->out);
    return sp->limit >= 0 && sp->printed >= sp->limit ? FL_ERR_EOF : FL_OK;
}

static int cmd_scan(struct fl_ice_table *tbl, const struct opts *o) {
    struct fl_error err = {0};
    struct fl_ice_scan *sc = NULL;
    struct where w = {0};
    /* --snapshot is time travel: that snapshot's schema, its column names */
    if (o->where &&
        parse_where(o->where, fl_ice_meta_snapshot_schema(tbl->meta, o->snapshot), &w, &err))
        return fail(&err);
    if (fl_ice_scan_open_as_of(tbl, o->snapshot, w.preds, w.n, &sc, &err)) {
        where_fini(&w);
        return fail(&err);
    }
    struct scan_print sp = {.w = &w, .limit = o->limit, .sc = sc, .lineage = o->lineage};
    fl_buf_init(&sp.out, FL_BUF_NOMAX);
    int rc = 0;
    if (o->lineage && fl_ice_scan_want_lineage(sc, &err)) {
        fl_buf_fini(&sp.out);
        fl_ice_scan_free(sc);
        where_fini(&w);
        return fail(&err);
    }
    fl_err_t e = o->limit == 0 ? FL_OK : fl_ice_scan_each(sc, print_rows, &sp, &err);
    if (e && e != FL_ERR_EOF) rc = fail(&err);
    long long printed = sp.printed;
    if (o->stats) {
        struct fl_ice_scan_stats st;
        fl_ice_scan_stats(sc, &st);
        fprintf(stderr,
                "{\"manifests_planned\":%lld,\"manifests_skipped\":%lld,\"files_planned\":%lld,"
                "\"files_skipped\":%lld,\"files_read\":%lld,\"row_groups_read\":%lld,"
                "\"row_groups_skipped\":%lld,\"pages_skipped\":%lld,\"rows\":%lld}\n",
                (long long)st.manifests_planned, (long long)st.manifests_skipped,
                (long long)st.files_planned, (long long)st.files_skipped, (long long)st.files_read,
                (long long)st.row_groups_read, (long long)st.row_groups_skipped,
                (long long)st.pages_skipped, printed);
    }
    fl_buf_fini(&sp.out);
    fl_ice_scan_free(sc);
    where_fini(&w);
    return rc;
}

struct key_list {
    char **keys;
    int n, cap;
};

static fl_err_t collect_key(void *ctx, const char *key, uint64_t size) {
    (void)size;
    struct key_list *kl = ctx;
    if (kl->n == kl->cap) {
        kl->cap = kl->cap ? kl->cap * 2 : 64;
        kl->keys = fl_reallocarray(kl->keys, (size_t)kl->cap, sizeof(char *));
    }
    kl->keys[kl->n++] = fl_strdup(key);
    return FL_OK;
}

static bool where_pred(void *ctx, const struct fl_batch *b, size_t row) {
    return row_matches(b, row, ctx);
}

static int cmd_delete(struct fl_ice_table *tbl, const struct opts *o) {
    struct fl_error err = {0};
    if (!o->where) {
        fprintf(stderr, "floe table delete: --where is required\n");
        return 2;
    }
    struct where w;
    if (parse_where(o->where, fl_ice_meta_current_schema(tbl->meta), &w, &err)) return fail(&err);
    int64_t n = 0, snap = -1;
    fl_err_t rc = fl_ice_table_delete_where(tbl, where_pred, &w, &n, &snap, &err);
    where_fini(&w);
    if (rc) return fail(&err);
    if (snap < 0)
        printf("no row matched: nothing deleted, no snapshot\n");
    else
        printf("deleted %lld rows in snapshot %lld (%s)\n", (long long)n, (long long)snap,
               tbl->meta->format_version >= 3 ? "deletion vectors" : "position deletes");
    return 0;
}

static bool remove_all(void *ctx, const struct fl_ice_data_file *df) {
    (void)ctx;
    (void)df;
    return true;
}

/* alter T add-column NAME TYPE [required] | rename-column OLD NEW |
 * drop-column NAME | widen NAME TYPE | partition-by [TERM...] |
 * sort-by [TERM...] | set KEY=VALUE... | unset KEY... */
static int cmd_alter(struct fl_ice_table *tbl, int argc, char **argv) {
    struct fl_error err = {0};
    if (argc < 1) {
        usage(stderr);
        return 2;
    }
    const char *what = argv[0];
    fl_err_t rc;
    struct fl_ice_schema_change ch = {0};
    if (!strcmp(what, "add-column") && argc >= 3) {
        ch = (struct fl_ice_schema_change){.kind = FL_ICE_ADD_COLUMN,
                                           .name = argv[1],
                                           .type = argv[2],
                                           .required = argc >= 4 && !strcmp(argv[3], "required")};
        rc = fl_ice_table_evolve_schema(tbl, &ch, 1, &err);
    } else if (!strcmp(what, "rename-column") && argc >= 3) {
        ch = (struct fl_ice_schema_change){
            .kind = FL_ICE_RENAME_COLUMN, .name = argv[1], .new_name = argv[2]};
        rc = fl_ice_table_evolve_schema(tbl, &ch, 1, &err);
    } else if (!strcmp(what, "drop-column") && argc >= 2) {
        ch = (struct fl_ice_schema_change){.kind = FL_ICE_DROP_COLUMN, .name = argv[1]};
        rc = fl_ice_table_evolve_schema(tbl, &ch, 1, &err);
    } else if (!strcmp(what, "widen") && argc >= 3) {
        ch = (struct fl_ice_schema_change){
            .kind = FL_ICE_WIDEN_COLUMN, .name = argv[1], .type = argv[2]};
        rc = fl_ice_table_evolve_schema(tbl, &ch, 1, &err);
    } else if (!strcmp(what, "partition-by")) {
        rc = fl_ice_table_set_partitioning(tbl, (const char *const *)argv + 1, argc - 1, &err);
    } else if (!strcmp(what, "sort-by")) {
        rc = fl_ice_table_set_sort_order(tbl, (const char *const *)argv + 1, argc - 1, &err);
    } else if ((!strcmp(what, "set") || !strcmp(what, "unset")) && argc >= 2) {
        const char *keys[MAX_TERMS], *vals[MAX_TERMS];
        int n = 0;
        for (int i = 1; i < argc && n < MAX_TERMS; i++) {
            char *eq = what[0] == 's' ? strchr(argv[i], '=') : NULL;
            if (what[0] == 's' && !eq) {
                fprintf(stderr, "floe table alter set: want KEY=VALUE, got \"%s\"\n", argv[i]);
                return 2;
            }
            if (eq) *eq = '\0';
            keys[n] = argv[i];
            vals[n++] = eq ? eq + 1 : NULL;
        }
        rc = fl_ice_table_set_properties(tbl, keys, vals, n, &err);
    } else {
        usage(stderr);
        return 2;
    }
    if (rc) return fail(&err);
    printf("altered: metadata version %d\n", tbl->version);
    return 0;
}

static int cmd_drop(const struct opts *o) {
    struct fl_error err = {0};
    struct env e;
    char ns[256], name[256];
    if (split_name(o->args[1], ns, sizeof(ns), name, sizeof(name), &err)) return fail(&err);
    if (o->purge && !strcmp(o->args[0], "unregister")) {
        fl_errf(&err, FL_ERR_INVALID, "unregister leaves the files alone: use drop --purge");
        return fail(&err);
    }
    if (env_open(o, &e, &err)) return fail(&err);
    struct fl_ice_table *tbl = NULL;
    char prefix[FL_STORE_KEY_MAX + 2] = "";
    fl_err_t rc = FL_OK;
    if (o->purge) {
        rc = fl_ice_table_load(e.store, fl_catalog_ice(e.cat), ns, name, &tbl, &err);
        if (!rc && tbl->key_prefix[0]) snprintf(prefix, sizeof(prefix), "%s/", tbl->key_prefix);
        fl_ice_table_free(tbl);
    }
    if (!rc) rc = fl_catalog_table_drop(e.cat, ns, name, &err);
    struct key_list kl = {0};
    if (!rc && !strcmp(o->args[0], "unregister")) {
        env_fini(&e);
        printf("unregistered %s.%s (its files stay where they are)\n", ns, name);
        return 0;
    }
    if (!rc && prefix[0]) {
        /* the catalog no longer points at the table: remove its files */
        rc = fl_store_list(e.store, prefix, collect_key, &kl, &err);
        for (int i = 0; i < kl.n && !rc; i++) rc = fl_store_delete(e.store, kl.keys[i], &err);
    }
    for (int i = 0; i < kl.n; i++) fl_free(kl.keys[i]);
    fl_free(kl.keys);
    env_fini(&e);
    if (rc) return fail(&err);
    if (o->purge)
        printf("dropped %s.%s and removed %d files\n", ns, name, kl.n);
    else
        printf("dropped %s.%s (its files stay in the warehouse)\n", ns, name);
    return 0;
}

/* register NS.NAME PATH: the catalog points ns.name at the current
 * metadata file of the table folder (or metadata file) PATH, which must
 * be in the warehouse; nothing is written to the table. */
static int cmd_register(const struct opts *o) {
    struct fl_error err = {0};
    struct env e = {0};
    char ns[256], name[256];
    struct fl_store *own = NULL;
    struct fl_ice_table *tbl = NULL, *back = NULL;
    fl_err_t rc = split_name(o->args[1], ns, sizeof(ns), name, sizeof(name), &err);
    if (!rc && !is_path(o->args[2]))
        rc = fl_errf(&err, FL_ERR_INVALID,
                     "register: \"%s\" is not a table folder or metadata file", o->args[2]);
    if (!rc) rc = open_table(o, &e, o->args[2], &tbl, &own, &err);
    if (!rc) rc = env_open(o, &e, &err);
    struct fl_ice_catalog *icat = rc ? NULL : fl_catalog_ice(e.cat);
    if (!rc) rc = icat->ops->ns_ensure(icat, ns, &err);
    if (!rc) rc = fl_catalog_table_create(e.cat, ns, name, tbl->metadata_location, &err);
    if (!rc) {
        /* the warehouse must reach it, or the name would point nowhere */
        struct fl_error lerr = {0};
        if (fl_ice_table_load(e.store, icat, ns, name, &back, &lerr)) {
            fl_catalog_table_drop(e.cat, ns, name, NULL);
            rc = fl_errf(&err, FL_ERR_INVALID,
                         "register: %s is not readable from the warehouse %s: %s",
                         tbl->metadata_location, fl_store_uri(e.store), lerr.msg);
        }
    }
    if (!rc) printf("registered %s.%s at %s\n", ns, name, tbl->metadata_location);
    fl_ice_table_free(back);
    fl_ice_table_free(tbl);
    fl_store_free(own);
    env_fini(&e);
    return rc ? fail(&err) : 0;
}

static fl_err_t opt_partition(void *target, const char *v, struct fl_error *err) {
    struct opts *o = target;
    if (o->nterms == MAX_TERMS)
        return fl_errf(err, FL_ERR_INVALID, "at most %d partition terms", MAX_TERMS);
    o->terms[o->nterms++] = v;
    return FL_OK;
}

/* KEY=VALUE: split in argv's own string */
static fl_err_t opt_property(void *target, const char *v, struct fl_error *err) {
    struct opts *o = target;
    char *eq = strchr(v, '=');
    if (!eq) return fl_errf(err, FL_ERR_INVALID, "wants KEY=VALUE, got \"%s\"", v);
    if (o->nprops == MAX_TERMS)
        return fl_errf(err, FL_ERR_INVALID, "at most %d properties", MAX_TERMS);
    *eq = '\0';
    o->props[o->nprops].key = v;
    o->props[o->nprops++].value = eq + 1;
    return FL_OK;
}

/* clean-orphans: tbl's orphans (tbl may be NULL) and, with --uploads,
 * the warehouse's upload leftovers. */
static int cmd_clean_orphans(const struct opts *o, struct env *e, struct fl_ice_table *tbl) {
    struct fl_error err = {0};
    if (o->uploads && !e->store && env_open(o, e, &err)) return fail(&err);
    return fl_cli_table_clean_orphans(tbl, o->uploads ? e->store : NULL, o->expire.older_than_ms,
                                      o->expire.dry_run);
}

/* The positional words a command takes at most (alter: its own words). */
static int max_words(const char *cmd) {
    if (!strcmp(cmd, "alter")) return 3 + MAX_TERMS;
    if (!strcmp(cmd, "append") || !strcmp(cmd, "overwrite") || !strcmp(cmd, "register")) return 3;
    return 2;
}

int fl_cli_table(int argc, char **argv) {
    struct opts o = {.snapshot = FL_ICE_NO_SNAPSHOT,
                     .limit = -1,
                     .expire = {.older_than_ms = FL_ICE_EXPIRE_UNSET}};
    const char *pos[3 + MAX_TERMS];
    int npos;
    const struct fl_cli_opt opts[] = {
        {.name = "--warehouse", .kind = FL_CLI_STR, .target = &o.warehouse},
        {.name = "--catalog", .kind = FL_CLI_STR, .target = &o.catalog},
        {.name = "--schema", .kind = FL_CLI_STR, .target = &o.schema},
        {.name = "--where", .kind = FL_CLI_STR, .target = &o.where},
        {.name = "--snapshot", .kind = FL_CLI_INT, .target = &o.snapshot},
        {.name = "--limit", .kind = FL_CLI_INT, .target = &o.limit, .lo = 0, .hi = INT64_MAX},
        {.name = "--purge", .kind = FL_CLI_FLAG, .target = &o.purge},
        {.name = "--stats", .kind = FL_CLI_FLAG, .target = &o.stats},
        {.name = "--row-lineage", .kind = FL_CLI_FLAG, .target = &o.lineage},
        {.name = "--partition", .kind = FL_CLI_FN, .target = &o, .fn = opt_partition},
        {.name = "--property", .kind = FL_CLI_FN, .target = &o, .fn = opt_property},
        {.name = "--older-than",
         .kind = FL_CLI_FN,
         .target = &o.expire,
         .fn = fl_cli_expire_opt_older_than},
        {.name = "--retain-last",
         .kind = FL_CLI_INT,
         .target = &o.expire.retain_last,
         .lo = 1,
         .hi = INT32_MAX},
        {.name = "--snapshot-id",
         .kind = FL_CLI_FN,
         .target = &o.expire,
         .fn = fl_cli_expire_opt_snapshot_id},
        {.name = "--dry-run", .kind = FL_CLI_FLAG, .target = &o.expire.dry_run},
        {.name = "--uploads", .kind = FL_CLI_FLAG, .target = &o.uploads},
        {.name = "--target-size",
         .kind = FL_CLI_INT,
         .target = &o.compact.target_size,
         .lo = 1,
         .hi = INT64_MAX},
        {.name = "--min-input-files",
         .kind = FL_CLI_INT,
         .target = &o.compact.min_input_files,
         .lo = 1,
         .hi = INT32_MAX},
        {.name = "--all", .kind = FL_CLI_FLAG, .target = &o.compact.all},
        {0}};
    int orc = fl_cli_opts("table", opts, argc, argv, pos, 3 + MAX_TERMS, &npos, usage);
    if (orc >= 0) return orc;
    if (npos == 0) {
        usage(stderr);
        return 2;
    }
    if (npos > max_words(pos[0])) {
        fprintf(stderr, "floe table %s: unexpected argument \"%s\"\n", pos[0],
                pos[max_words(pos[0])]);
        return 2;
    }
    for (o.nargs = 0; o.nargs < npos && o.nargs < 4; o.nargs++) o.args[o.nargs] = pos[o.nargs];
    if (!strcmp(pos[0], "alter") && npos > 2) { /* alter takes the rest as its own words */
        o.rest = (char **)pos + 2;
        o.nrest = npos - 2;
    }
    const char *cmd = o.args[0];
    if (!strcmp(cmd, "list")) return cmd_list(&o);
    if (!strcmp(cmd, "clean-orphans") && o.nargs < 2 && o.uploads) {
        struct env ue = {0};
        int urc = cmd_clean_orphans(&o, &ue, NULL);
        env_fini(&ue);
        return urc;
    }
    if (o.nargs < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(cmd, "create")) return cmd_create(&o);
    if (!strcmp(cmd, "drop") || !strcmp(cmd, "unregister")) return cmd_drop(&o);
    if (!strcmp(cmd, "register") && o.nargs >= 3) return cmd_register(&o);
    int known = !strcmp(cmd, "describe") || !strcmp(cmd, "history") || !strcmp(cmd, "snapshots") ||
                !strcmp(cmd, "files") || !strcmp(cmd, "scan") || !strcmp(cmd, "delete") ||
                !strcmp(cmd, "alter") || !strcmp(cmd, "compact") || !strcmp(cmd, "expire") ||
                !strcmp(cmd, "clean-orphans") || !strcmp(cmd, "maintain") ||
                ((!strcmp(cmd, "append") || !strcmp(cmd, "overwrite")) && o.nargs >= 3);
    if (!known) {
        usage(stderr);
        return 2;
    }
    struct fl_error err = {0};
    struct env e = {0};
    struct fl_store *own = NULL;
    struct fl_ice_table *tbl = NULL;
    int rc;
    if (open_table(&o, &e, o.args[1], &tbl, &own, &err))
        rc = fail(&err);
    else if (!strcmp(cmd, "describe"))
        rc = cmd_describe(tbl);
    else if (!strcmp(cmd, "history"))
        rc = cmd_snapshots(tbl, 1);
    else if (!strcmp(cmd, "snapshots"))
        rc = cmd_snapshots(tbl, 0);
    else if (!strcmp(cmd, "files"))
        rc = cmd_files(tbl, o.snapshot);
    else if (!strcmp(cmd, "scan"))
        rc = cmd_scan(tbl, &o);
    else if (!strcmp(cmd, "delete"))
        rc = cmd_delete(tbl, &o);
    else if (!strcmp(cmd, "alter"))
        rc = cmd_alter(tbl, o.nrest, o.rest);
    else if (!strcmp(cmd, "compact"))
        rc = fl_cli_table_compact(tbl, &o.compact, o.nterms ? o.terms[0] : NULL, o.expire.dry_run);
    else if (!strcmp(cmd, "expire"))
        rc = fl_cli_table_expire(tbl, &o.expire);
    else if (!strcmp(cmd, "clean-orphans"))
        rc = cmd_clean_orphans(&o, &e, tbl);
    else if (!strcmp(cmd, "maintain"))
        rc = fl_cli_table_maintain(tbl, &o.expire, &o.compact, o.nterms || o.uploads);
    else if (!strcmp(cmd, "overwrite"))
        rc = cmd_append(tbl, o.args[2], 1);
    else
        rc = cmd_append(tbl, o.args[2], 0);
    fl_ice_table_free(tbl);
    fl_store_free(own);
    env_fini(&e);
    return rc;
}
