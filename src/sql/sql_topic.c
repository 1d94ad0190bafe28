/*
 * sql_topic.c - the "floe_topic" virtual table module: a topic of the
 * durable log (src/log/) as a read-only SQL table, `topic.weather`, with
 * columns partition, offset, timestamp, key, value, headers.
 *
 * How it works: xBestIndex takes =, <, <=, >, >= on partition and offset
 * and =, >, >= on timestamp (never omitted: SQLite still tests every
 * row, pushdown only chooses where to start and stop reading). xFilter
 * narrows, per partition, the offsets to read: [max(start, lower
 * bounds, the time index's first offset at the timestamp bound),
 * min(end at xFilter, upper bound)). The end is taken once, so a
 * statement reads a fixed prefix of each partition while appends go on.
 * Rows are read in order, partition by partition, a read of whole record
 * batches (fl_log_read, up to READ_BYTES) at a time into one buffer the
 * cursor reuses; records are decoded in place and key, value and headers
 * handed to SQLite from that buffer (no allocation per row).
 *
 * The log is either shared (floe up: env->log, thread-safe) or opened
 * read-only by each cursor at its xFilter (floe sql --data: env->log_dir),
 * so every statement sees the records whole at its start and never
 * fights the writer (no lock, no recovery writes: log.h).
 *
 * An upper bound on timestamp is not pushed: record timestamps are the
 * producer's, not ordered by offset, and the time index only bounds
 * from below. Compressed batches (no codecs in the log yet) are an error,
 * not skipped: a query never silently loses rows.
 */
#include "sql/sql_int.h"

#include "core/buf.h"
#include "core/mem.h"
#include "log/batch.h"
#include "log/log.h"
#include "sql/sql_pred.h"
#include "sql/sql_time.h"
#include "sql/sql_types.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define READ_BYTES ((size_t)1 << 20)
#define READ_BUF_MAX ((size_t)64 << 20) /* largest batch the log appends is 8 MiB by default */
#define HEADERS_MAX ((size_t)16 << 20)

enum { COL_PARTITION, COL_OFFSET, COL_TIMESTAMP, COL_KEY, COL_VALUE, COL_HEADERS };

struct vtab {
    sqlite3_vtab base;
    struct fl_sql_env *env;
    char topic[FL_SQL_NAME_MAX];
};

struct cursor {
    sqlite3_vtab_cursor base;
    struct fl_log *log; /* env->log, or owned */
    int own_log;
    int nparts, part;                   /* partitions; the one being read */
    int part_lo, part_hi;               /* partitions to read: [lo, hi) */
    int64_t off_lo, off_hi, ts_lo;      /* bounds common to every partition; ts_lo < 0: none */
    struct fl_log_partition_info *info; /* nparts, at xFilter */
    int64_t pos, stop; /* the current partition: first offset wanted, end (exclusive) */
    int64_t next;      /* the offset after the batches read so far */
    struct fl_buf buf; /* whole batches, reused */
    struct fl_log_batch_iter it;
    struct fl_log_decoded rec;
    struct fl_buf hdrs; /* headers of the current row as JSON, reused */
    int hdrs_done;
    int64_t rowid;
    int64_t decoded; /* records decoded, for the stats */
    int eof;
};

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                      char **errmsg) {
    struct fl_error err = {0};
    if (argc != 4) {
        *errmsg = sqlite3_mprintf("%s: want 1 argument (topic)", argv[0]);
        return SQLITE_ERROR;
    }
    struct vtab *vt = sqlite3_malloc(sizeof(*vt));
    if (!vt) return SQLITE_NOMEM;
    memset(vt, 0, sizeof(*vt));
    vt->env = aux;
    if (fl_sql_dequote(argv[3], vt->topic, sizeof(vt->topic), &err)) {
        *errmsg = sqlite3_mprintf("%s: %s", argv[0], err.msg);
        sqlite3_free(vt);
        return SQLITE_ERROR;
    }
    int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(\"partition\" INTEGER, \"offset\" BIGINT, "
                                      "\"timestamp\" TIMESTAMPTZ COLLATE " FL_SQL_TIME_COLLATION
                                      ", \"key\" VARCHAR, "
                                      "\"value\" VARCHAR, \"headers\" JSON)");
    if (rc) {
        sqlite3_free(vt);
        return rc;
    }
    *out = &vt->base;
    return SQLITE_OK;
}

static int vt_disconnect(sqlite3_vtab *base) {
    sqlite3_free(base);
    return SQLITE_OK;
}

static int range_op(int op) {
    return op == SQLITE_INDEX_CONSTRAINT_EQ || op == SQLITE_INDEX_CONSTRAINT_LT ||
           op == SQLITE_INDEX_CONSTRAINT_LE || op == SQLITE_INDEX_CONSTRAINT_GT ||
           op == SQLITE_INDEX_CONSTRAINT_GE;
}

static int vt_best_index(sqlite3_vtab *base, sqlite3_index_info *info) {
    (void)base;
    struct fl_sql_plan plan;
    memset(&plan, 0, sizeof(plan));
    plan.col_used = (uint64_t)info->colUsed;
    double cost = 1e6;
    for (int i = 0; i < info->nConstraint && plan.ncons < FL_SQL_PREDS_MAX; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (!c->usable || !range_op(c->op)) continue;
        if (c->iColumn == COL_TIMESTAMP) {
            if (c->op != SQLITE_INDEX_CONSTRAINT_EQ && c->op != SQLITE_INDEX_CONSTRAINT_GT &&
                c->op != SQLITE_INDEX_CONSTRAINT_GE)
                continue;
            /* pushed as the column compares: by value (sql_time.c) */
            const char *coll = sqlite3_vtab_collation(info, i);
            if (!coll || sqlite3_stricmp(coll, FL_SQL_TIME_COLLATION) != 0) continue;
        } else if (c->iColumn != COL_PARTITION && c->iColumn != COL_OFFSET)
            continue;
        plan.cons[plan.ncons].col = c->iColumn;
        plan.cons[plan.ncons].op = c->op;
        info->aConstraintUsage[i].argvIndex = ++plan.ncons;
        cost *= c->op == SQLITE_INDEX_CONSTRAINT_EQ ? 0.1 : 0.5;
    }
    char buf[64 + 16 * FL_SQL_PREDS_MAX];
    if (fl_sql_plan_encode(&plan, buf, sizeof(buf))) return SQLITE_ERROR;
    info->idxStr = sqlite3_mprintf("%s", buf);
    if (!info->idxStr) return SQLITE_NOMEM;
    info->needToFreeIdxStr = 1;
    info->estimatedCost = cost;
    info->estimatedRows = (sqlite3_int64)cost;
    /* rows come in offset order within a partition, partitions in order */
    if (info->nOrderBy == 2 && info->aOrderBy[0].iColumn == COL_PARTITION &&
        !info->aOrderBy[0].desc && info->aOrderBy[1].iColumn == COL_OFFSET &&
        !info->aOrderBy[1].desc)
        info->orderByConsumed = 1;
    return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out) {
    (void)base;
    struct cursor *cur = sqlite3_malloc(sizeof(*cur));
    if (!cur) return SQLITE_NOMEM;
    memset(cur, 0, sizeof(*cur));
    fl_buf_init(&cur->buf, READ_BUF_MAX);
    fl_buf_init(&cur->hdrs, HEADERS_MAX);
    *out = &cur->base;
    return SQLITE_OK;
}

static void drop_log(struct cursor *cur) {
    if (cur->own_log) fl_log_close(cur->log);
    cur->log = NULL;
    cur->own_log = 0;
}

static int vt_close(sqlite3_vtab_cursor *base) {
    struct cursor *cur = (struct cursor *)base;
    drop_log(cur);
    fl_free(cur->info);
    fl_buf_fini(&cur->buf);
    fl_buf_fini(&cur->hdrs);
    fl_log_batch_iter_fini(&cur->it);
    sqlite3_free(cur);
    return SQLITE_OK;
}

static int fail(struct cursor *cur, const struct fl_error *err) {
    sqlite3_vtab *vt = cur->base.pVtab;
    sqlite3_free(vt->zErrMsg);
    vt->zErrMsg = sqlite3_mprintf("topic %s: %s", ((struct vtab *)vt)->topic,
                                  err->msg[0] ? err->msg : fl_err_name(err->code));
    return SQLITE_ERROR;
}

/* Tightens [*lo, *hi) by "x op v" for an integer column; v not pushable: no change. */
static void int_bound(int op, sqlite3_value *v, int64_t *lo, int64_t *hi) {
    int t = sqlite3_value_type(v);
    int64_t a, b; /* the integers x may take satisfy a <= x < b */
    if (t == SQLITE_INTEGER) {
        int64_t i = sqlite3_value_int64(v);
        a = op == SQLITE_INDEX_CONSTRAINT_GT ? (i == INT64_MAX ? INT64_MAX : i + 1)
            : op == SQLITE_INDEX_CONSTRAINT_LT || op == SQLITE_INDEX_CONSTRAINT_LE ? INT64_MIN
                                                                                   : i;
        b = op == SQLITE_INDEX_CONSTRAINT_LT ? i
            : op == SQLITE_INDEX_CONSTRAINT_GT || op == SQLITE_INDEX_CONSTRAINT_GE
                ? INT64_MAX
                : (i == INT64_MAX ? INT64_MAX : i + 1);
    } else if (t == SQLITE_FLOAT) {
        double d = sqlite3_value_double(v);
        if (!(d > -9e18 && d < 9e18)) return; /* NaN, or beyond any offset */
        double fl = floor(d), ce = ceil(d);
        switch (op) {
        case SQLITE_INDEX_CONSTRAINT_EQ:
            if (fl != d)
                a = 0, b = 0; /* no integer equals it */
            else
                a = (int64_t)d, b = (int64_t)d + 1;
            break;
        case SQLITE_INDEX_CONSTRAINT_GT:
            a = (int64_t)fl + 1, b = INT64_MAX;
            break;
        case SQLITE_INDEX_CONSTRAINT_GE:
            a = (int64_t)ce, b = INT64_MAX;
            break;
        case SQLITE_INDEX_CONSTRAINT_LT:
            a = INT64_MIN, b = (int64_t)ce;
            break;
        default:
            a = INT64_MIN, b = (int64_t)fl + 1;
            break; /* LE */
        }
    } else
        return; /* text or blob: SQLite's comparison rules, not ours */
    if (a > *lo) *lo = a;
    if (b < *hi) *hi = b;
}

/* Lower bound in milliseconds that "timestamp op v" puts on records
 * (-1 when none is pushable). Record timestamps are whole milliseconds. */
static int64_t ts_bound(int op, sqlite3_value *v) {
    struct fl_sql_lit lit = {.type = sqlite3_value_type(v)};
    if (lit.type != SQLITE_TEXT) return -1;
    lit.p = sqlite3_value_text(v);
    lit.n = (size_t)sqlite3_value_bytes(v);
    int64_t us;
    fl_ice_op_t iop;
    if (!fl_sql_temporal_bound(FL_TYPE_TIMESTAMPTZ, op, &lit, &us, &iop)) return -1;
    if (us < 0) return -1;
    if (iop == FL_ICE_OP_GT) return us / 1000 + 1;
    return (us + 999) / 1000; /* EQ, GE: the first whole millisecond at or past us */
}

/* Positions the cursor at its next partition with rows to read; eof when none. */
static fl_err_t next_partition(struct cursor *cur, struct fl_error *err) {
    const char *topic = ((struct vtab *)cur->base.pVtab)->topic;
    for (cur->part++; cur->part < cur->part_hi; cur->part++) {
        const struct fl_log_partition_info *pi = &cur->info[cur->part];
        int64_t lo = cur->off_lo > pi->start_offset ? cur->off_lo : pi->start_offset;
        int64_t hi = cur->off_hi < pi->end_offset ? cur->off_hi : pi->end_offset;
        if (cur->ts_lo >= 0 && lo < hi) {
            int64_t at;
            fl_err_t rc = fl_log_offset_for_time(cur->log, topic, cur->part, cur->ts_lo, &at, err);
            if (rc) return rc;
            if (at > lo) lo = at;
        }
        if (lo >= hi) continue;
        cur->pos = cur->next = lo;
        cur->stop = hi;
        fl_buf_reset(&cur->buf);
        fl_log_batch_iter_fini(&cur->it);
        fl_log_batch_iter_init(&cur->it, NULL, 0);
        return FL_OK;
    }
    cur->eof = 1;
    return FL_OK;
}

/* Moves to the next record within the bounds, reading batches as needed. */
static fl_err_t advance(struct cursor *cur, struct fl_error *err) {
    const char *topic = ((struct vtab *)cur->base.pVtab)->topic;
    cur->hdrs_done = 0;
    while (!cur->eof) {
        fl_err_t rc = fl_log_batch_iter_next(&cur->it, &cur->rec, err);
        if (rc == FL_OK) {
            cur->decoded++;
            if (cur->rec.offset < cur->pos) continue; /* before the start, in the first batch */
            if (cur->rec.offset < cur->stop) return FL_OK;
            rc = next_partition(cur, err);
        } else if (rc == FL_ERR_UNSUPPORTED) {
            return fl_errf(err, rc,
                           "partition %d: a record batch at offset %lld with an unknown "
                           "compression codec",
                           cur->part, (long long)cur->it.base_offset);
        } else if (rc != FL_ERR_EOF) {
            fl_err_prefix(err, "partition %d: ", cur->part);
            return rc;
        } else if (cur->next >= cur->stop) {
            rc = next_partition(cur, err);
        } else {
            /* the buffer is used up: read the batches that follow */
            fl_buf_reset(&cur->buf);
            int64_t from = cur->next;
            rc = fl_log_read(cur->log, topic, cur->part, from, READ_BYTES, &cur->buf, &cur->next,
                             err);
            if (rc == FL_ERR_RANGE) {
                /* retention removed the segment under us: go on at the new start */
                fl_err_clear(err);
                rc =
                    fl_log_topic_describe(cur->log, topic, NULL, NULL, cur->info, cur->nparts, err);
                if (!rc && from < cur->info[cur->part].start_offset) {
                    cur->pos = cur->next = cur->info[cur->part].start_offset;
                    continue;
                }
                if (!rc)
                    rc = fl_errf(err, FL_ERR_RANGE, "partition %d: offset %lld not readable",
                                 cur->part, (long long)from);
            } else if (!rc && (cur->buf.len == 0 || cur->next <= from)) {
                rc = next_partition(cur, err); /* the end came earlier than described */
            } else if (!rc) {
                fl_log_batch_iter_fini(&cur->it);
                fl_log_batch_iter_init(&cur->it, cur->buf.data, cur->buf.len);
            }
        }
        if (rc) return rc;
    }
    return FL_OK;
}

/* Adds the row just reached and the records decoded to the stats. */
static void account(struct cursor *cur, struct fl_sql_env *env) {
    if (!cur->eof) env->stats.rows++;
    env->stats.log_records += cur->decoded;
    cur->decoded = 0;
}

static int vt_filter(sqlite3_vtab_cursor *base, int idx_num, const char *idx_str, int argc,
                     sqlite3_value **argv) {
    (void)idx_num;
    struct cursor *cur = (struct cursor *)base;
    struct vtab *vt = (struct vtab *)base->pVtab;
    struct fl_sql_env *env = vt->env;
    struct fl_error err = {0};
    struct fl_sql_plan plan;
    if (!idx_str || fl_sql_plan_decode(idx_str, &plan) || plan.ncons != argc) {
        sqlite3_free(vt->base.zErrMsg);
        vt->base.zErrMsg = sqlite3_mprintf("floe_topic: bad plan");
        return SQLITE_ERROR;
    }
    drop_log(cur);
    cur->eof = 0;
    cur->rowid = 0;
    if (env->count_probe) { /* sql_count.c: not answerable from manifests */
        env->probe_misses++;
        cur->eof = 1;
        return SQLITE_OK;
    }
    if (env->log)
        cur->log = env->log;
    else {
        if (!env->log_dir) fl_errf(&err, FL_ERR_INVALID, "no log open");
        if (!env->log_dir || fl_sql_log_open_ro(env->log_dir, &cur->log, &err))
            return fail(cur, &err);
        cur->own_log = 1;
    }
    fl_free(cur->info);
    cur->info = NULL;
    if (fl_log_topic_describe(cur->log, vt->topic, &cur->nparts, NULL, NULL, 0, &err))
        return fail(cur, &err);
    cur->info = fl_calloc((size_t)cur->nparts, sizeof(*cur->info));
    if (fl_log_topic_describe(cur->log, vt->topic, &cur->nparts, NULL, cur->info, cur->nparts,
                              &err))
        return fail(cur, &err);
    int64_t plo = 0, phi = cur->nparts;
    cur->off_lo = 0;
    cur->off_hi = INT64_MAX;
    cur->ts_lo = -1;
    for (int k = 0; k < plan.ncons; k++) {
        int op = plan.cons[k].op;
        if (plan.cons[k].col == COL_PARTITION)
            int_bound(op, argv[k], &plo, &phi);
        else if (plan.cons[k].col == COL_OFFSET)
            int_bound(op, argv[k], &cur->off_lo, &cur->off_hi);
        else if (plan.cons[k].col == COL_TIMESTAMP) {
            int64_t t = ts_bound(op, argv[k]);
            if (t > cur->ts_lo) cur->ts_lo = t;
        }
    }
    if (plo < 0) plo = 0;
    if (phi > cur->nparts) phi = cur->nparts;
    cur->part_lo = (int)(plo < phi ? plo : phi);
    cur->part_hi = (int)phi;
    cur->part = cur->part_lo - 1;
    env->stats.scans++;
    cur->decoded = 0;
    fl_err_t rc = next_partition(cur, &err);
    if (!rc) rc = advance(cur, &err);
    account(cur, env);
    return rc ? fail(cur, &err) : SQLITE_OK;
}

static int vt_next(sqlite3_vtab_cursor *base) {
    struct cursor *cur = (struct cursor *)base;
    struct fl_error err = {0};
    cur->rowid++;
    fl_err_t rc = advance(cur, &err);
    account(cur, ((struct vtab *)base->pVtab)->env);
    return rc ? fail(cur, &err) : SQLITE_OK;
}

static int vt_eof(sqlite3_vtab_cursor *base) { return ((struct cursor *)base)->eof; }

/* The headers of the current record as a JSON object (values as strings, null as null). */
static fl_err_t headers_json(struct cursor *cur) {
    fl_buf_reset(&cur->hdrs);
    fl_err_t rc = fl_buf_append_u8(&cur->hdrs, '{');
    const uint8_t *p = cur->rec.headers;
    int index = 0;
    struct fl_log_header h;
    while (!rc && (rc = fl_log_header_next(&cur->rec, &p, &index, &h)) == FL_OK) {
        if (index > 1) rc = fl_buf_append_u8(&cur->hdrs, ',');
        if (!rc) rc = fl_sql_json_str(h.key, h.key_len, &cur->hdrs);
        if (!rc) rc = fl_buf_append_u8(&cur->hdrs, ':');
        if (!rc)
            rc = h.value ? fl_sql_json_str((const char *)h.value, h.value_len, &cur->hdrs)
                         : fl_buf_append_str(&cur->hdrs, "null");
    }
    if (rc == FL_ERR_EOF) rc = fl_buf_append_u8(&cur->hdrs, '}');
    return rc;
}

static int vt_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int i) {
    struct cursor *cur = (struct cursor *)base;
    const struct fl_log_decoded *r = &cur->rec;
    switch (i) {
    case COL_PARTITION:
        sqlite3_result_int(ctx, cur->part);
        break;
    case COL_OFFSET:
        sqlite3_result_int64(ctx, r->offset);
        break;
    case COL_TIMESTAMP: {
        char t[40];
        fl_sql_format_timestamp(r->timestamp_ms * 1000, 1, t, sizeof(t));
        sqlite3_result_text(ctx, t, -1, SQLITE_TRANSIENT);
        break;
    }
    case COL_KEY:
    case COL_VALUE: {
        const uint8_t *p = i == COL_KEY ? r->key : r->value;
        size_t n = i == COL_KEY ? r->key_len : r->value_len;
        if (!p)
            sqlite3_result_null(ctx);
        else
            sqlite3_result_text(ctx, (const char *)p, (int)n, SQLITE_TRANSIENT);
        break;
    }
    case COL_HEADERS:
        if (!cur->hdrs_done) {
            if (headers_json(cur)) {
                sqlite3_result_error(ctx, "malformed record headers", -1);
                return SQLITE_ERROR;
            }
            cur->hdrs_done = 1;
        }
        sqlite3_result_text(ctx, (const char *)cur->hdrs.data, (int)cur->hdrs.len,
                            SQLITE_TRANSIENT);
        break;
    default:
        sqlite3_result_null(ctx);
    }
    return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
    *rowid = ((struct cursor *)base)->rowid;
    return SQLITE_OK;
}

static sqlite3_module topic_module = {
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

int fl_sql_topic_register(sqlite3 *db, struct fl_sql_env *env) {
    return sqlite3_create_module(db, "floe_topic", &topic_module, env);
}
