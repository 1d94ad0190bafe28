/*
 * pg_source.c - the PostgreSQL change source (see pg_source.h).
 *
 * Setup (fl_cdc_pg_new, on an ordinary connection): each table's columns
 * and primary key from pg_catalog, mapped to Iceberg types (pg_types.h);
 * the publication; the mirror tables, topics and pipelines.
 *
 * The replication thread runs sessions until stopped, each on a
 * connection with replication=database (TimeZone UTC, DateStyle ISO):
 * the slot made when missing (with an exported snapshot COPYed on a
 * second connection when snapshot is initial), then START_REPLICATION
 * and the CopyData loop: XLogData carries pgoutput messages (decoded by
 * pgoutput.c), keepalives ask for a status update. On PostgreSQL 14
 * and later the session asks for protocol version 2 with streaming, so
 * that the server sends a large transaction in blocks (Stream Start ..
 * Stop) before its commit instead of decoding it whole first. Changes of
 * a transaction (streamed or between Begin and Commit) wait as built
 * envelopes in a txbuf (pg_txbuf.h: bounded memory, then a spill file in
 * the data directory) until its Commit or Stream Commit, then go to each
 * table's topic in appends of at most APPEND_BATCH_BYTES, the last
 * record of each carrying floe.tx-end; a Stream Abort discards the
 * transaction or the aborted subtransaction's part. A failed session is retried after a
 * backoff (0.5 s doubling to 30 s); its transactions are re-sent by the
 * server and deduplicated by LSN.
 *
 * The confirmed flush LSN: per table a queue of (end offset, commit LSN)
 * of appended transactions; those the pipeline has consumed (its
 * committed offset) are popped; the oldest left bounds the confirmed LSN
 * at its commit LSN (PostgreSQL re-sends a transaction whose commit
 * record starts at or after the confirmed LSN). With nothing pending the
 * last commit's end (or, between transactions, the server's WAL end from
 * a keepalive) is confirmed.
 */
#include "cdc/pg_source.h"
#include "cdc/pg_evolve.h"
#include "cdc/pg_txbuf.h"
#include "cdc/pg_types.h"
#include "cdc/pgoutput.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/schema.h"
#include "core/time.h"
#include "iceberg/evolve.h"
#include "iceberg/partition.h"
#include "iceberg/retention.h"
#include "iceberg/table.h"
#include "log/batch.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#define SESSION_OPTIONS "-c DateStyle=ISO -c TimeZone=UTC -c extra_float_digits=3"
#define SNAPSHOT_BATCH 1000
#define APPEND_BATCH_BYTES ((size_t)4 << 20)

struct col {
    char *name;
    uint32_t oid;
    int32_t typmod;
    enum fl_pgt_kind kind;
    int key;
};

struct txpos {
    int64_t end_offset;  /* the topic's offset after the transaction */
    uint64_t commit_lsn; /* where its commit record starts */
    int64_t commit_ms;   /* its source commit time (a snapshot batch: its copy time) */
};

/* One column set of a table: what it had at start (shapes[0]), then
 * each set a Relation message changed it to. A change held for its
 * commit carries the number of the shape it was encoded in; the mirror
 * follows that shape at the commit, before the change reaches the topic
 * (tx_commit), so a transaction that aborts changes no mirror. */
struct shape {
    struct col *cols;
    int ncols;
    /* schema: true: what wraps an envelope and a key ({"schema":...,
     * "payload": before, } after); NULL otherwise */
    char *env_prefix, *key_prefix;
};

struct tbl {
    char *nsp, *rel; /* the source table */
    char *ns, *name; /* the mirror table */
    char *topic;
    struct col *cols; /* changes are encoded in these now: the last shape's */
    int ncols;
    /* the columns of a Relation message that differ from cols: a new
     * shape at the first change that comes in them */
    struct col *next_cols;
    int nnext;
    struct shape *shapes; /* owns the column sets; cols is the last one's */
    int nshapes;
    uint32_t mirror_shape; /* the shape the mirror's schema follows, UINT32_MAX not yet checked */
    char **part;           /* the configured partition terms (npart 0: none) */
    int npart;
    struct fl_pipe *pipe;
    uint64_t last_lsn;  /* the end LSN of the last transaction in the topic */
    struct fl_buf pend; /* the current transaction's envelopes */
    size_t *pend_off;   /* where each starts in pend */
    struct fl_buf keys; /* their record keys (Debezium's {"<key column>": value, ...}) */
    size_t *key_off;    /* where each starts in keys; an empty key is a null one */
    int npend, cpend;
    struct txpos *q; /* appended, not yet committed to Iceberg; a ring */
    size_t qhead, qn, qcap;
};

struct relmap {
    uint32_t relid;
    int tbl; /* index, -1 = not ours */
};

struct fl_cdc_pg {
    struct fl_log *log;
    struct fl_store *st;
    struct fl_catalog *cat;
    char *name, *uri, *slot, *pub, *prefix, *state_topic, *db;
    int snapshot;
    int tombstones, schema;
    int64_t interval_ms;
    struct tbl *t;
    int nt;
    struct fl_pipe **pipes;
    struct relmap *rel;
    int nrel, crel;
    struct fl_pgo_decoder *dec;
    struct fl_buf env;    /* one envelope being built */
    size_t env_ts;        /* where in env the commit time goes (env_source) */
    struct fl_buf key;    /* its record key */
    struct fl_txset *txs; /* open transactions (pg_txbuf.h) */
    struct fl_txbuf *cur; /* the one whose changes arrive now, NULL between */
    uint32_t cur_sub;     /* the (sub)transaction of the change at hand */
    char *spill_dir;
    size_t stream_buffer;
    int no_streaming, proto;
    struct fl_pgo_value *merged; /* an update's new values with the old row's for 'u' */
    int cmerged;
    /* the transaction being received */
    int in_tx;
    uint32_t xid; /* the (top) transaction at hand */
    uint64_t last_end, confirmed, wal_end;
    pthread_t thread;
    int running, stop;
    pthread_t health; /* the slot health check's thread */
    int health_running;
    int slot_seen; /* mu: the slot existed (or was made) this run */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct fl_cdc_pg_stats stats;
};

static int stopping(struct fl_cdc_pg *src);
static void env_schemas(struct fl_cdc_pg *src, const struct tbl *t, struct shape *sh);
static void shape_add(struct fl_cdc_pg *src, struct tbl *t, struct col *cols, int n);

/* ---- connections ---- */

static PGconn *pg_connect(const char *uri, int replication, struct fl_error *err) {
    const char *keys[] = {"dbname", "options", replication ? "replication" : NULL, NULL};
    const char *vals[] = {uri, SESSION_OPTIONS, "database", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        fl_errf(err, FL_ERR_IO, "PostgreSQL %sconnection: %s", replication ? "replication " : "",
                c ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* One command; FL_ERR_IO with the server's message unless it returns want. */
static fl_err_t pg_run(PGconn *c, PGresult **out, ExecStatusType want, const char *what,
                       struct fl_error *err, const char *sql, int n, const char *const *params) {
    PGresult *r = n ? PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0) : PQexec(c, sql);
    if (PQresultStatus(r) != want) {
        const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
        fl_errf(err, FL_ERR_IO, "%s: %s", what, m && *m ? m : PQerrorMessage(c));
        size_t l = strlen(err->msg);
        while (l && (err->msg[l - 1] == '\n')) err->msg[--l] = 0;
        PQclear(r);
        return FL_ERR_IO;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return FL_OK;
}

static char *quote_ident(PGconn *c, const char *s) {
    char *q = PQescapeIdentifier(c, s, strlen(s));
    char *r = fl_strdup(q ? q : "\"\"");
    PQfreemem(q);
    return r;
}

/* ---- setup ---- */

static void cols_free(struct col *cols, int n) {
    for (int c = 0; c < n; c++) fl_free(cols[c].name);
    fl_free(cols);
}

static const char *COLUMNS_SQL =
    "SELECT a.attname, a.atttypid, a.atttypmod, t.typname, "
    "COALESCE(a.attnum = ANY(i.indkey), false) "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
    "AND a.attgenerated = '' "
    "JOIN pg_type t ON t.oid = a.atttypid "
    "LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary "
    "WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') ORDER BY a.attnum";

static fl_err_t load_columns(PGconn *c, struct tbl *t, struct fl_error *err) {
    PGresult *r = NULL;
    const char *p[] = {t->nsp, t->rel};
    fl_err_t rc = pg_run(c, &r, PGRES_TUPLES_OK, "reading the columns", err, COLUMNS_SQL, 2, p);
    if (rc) return rc;
    int n = PQntuples(r), nkey = 0;
    if (n == 0) {
        PQclear(r);
        return fl_errf(err, FL_ERR_NOTFOUND, "table %s.%s does not exist (or has no columns)",
                       t->nsp, t->rel);
    }
    t->cols = fl_calloc((size_t)n, sizeof(*t->cols));
    for (int i = 0; i < n && !rc; i++) {
        struct col *cl = &t->cols[t->ncols++];
        cl->name = fl_strdup(PQgetvalue(r, i, 0));
        cl->oid = (uint32_t)strtoul(PQgetvalue(r, i, 1), NULL, 10);
        cl->typmod = (int32_t)strtol(PQgetvalue(r, i, 2), NULL, 10);
        cl->key = PQgetvalue(r, i, 4)[0] == 't';
        nkey += cl->key;
        char type[32], why[160];
        if (fl_pgt_map(cl->oid, cl->typmod, PQgetvalue(r, i, 3), type, sizeof(type), &cl->kind, why,
                       sizeof(why)))
            rc = fl_errf(err, FL_ERR_UNSUPPORTED, "table %s.%s, column %s: %s", t->nsp, t->rel,
                         cl->name, why);
    }
    PQclear(r);
    if (!rc && nkey == 0)
        rc = fl_errf(err, FL_ERR_UNSUPPORTED,
                     "table %s.%s has no primary key (the mirror table's identifier fields)",
                     t->nsp, t->rel);
    return rc;
}

/* The Iceberg schema JSON of t: ids 1..n, the key columns required and
 * the identifier fields. */
static char *schema_json(const struct tbl *t) {
    json_t *fields = json_array(), *ids = json_array();
    for (int i = 0; i < t->ncols; i++) {
        const struct col *c = &t->cols[i];
        char type[32], why[160];
        enum fl_pgt_kind k;
        fl_pgt_map(c->oid, c->typmod, NULL, type, sizeof(type), &k, why, sizeof(why));
        json_array_append_new(fields, json_pack("{s:i,s:s,s:b,s:s}", "id", i + 1, "name", c->name,
                                                "required", c->key, "type", type));
        if (c->key) json_array_append_new(ids, json_integer(i + 1));
    }
    json_t *o = json_pack("{s:s,s:i,s:o,s:o}", "type", "struct", "schema-id", 0,
                          "identifier-field-ids", ids, "fields", fields);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* Whether spec partitions as terms would over schema (same source
 * columns and transforms, in order). */
static int spec_is(const struct fl_ice_spec *spec, const struct fl_schema *schema,
                   const char *const *terms, int n, struct fl_error *err) {
    struct fl_ice_spec *want = NULL;
    if (fl_ice_spec_from_terms(schema, 0, terms, n, FL_ICE_PARTITION_FIELD_ID_START, &want, err))
        return -1;
    int same = spec && spec->nfields == want->nfields;
    for (int i = 0; same && i < want->nfields; i++)
        same = spec->fields[i].source_id == want->fields[i].source_id &&
               spec->fields[i].transform.kind == want->fields[i].transform.kind &&
               spec->fields[i].transform.param == want->fields[i].transform.param;
    fl_ice_spec_free(want);
    return same;
}

/* An existing mirror partitioned as configured: a new default spec
 * (partition evolution) when its current one differs. */
static fl_err_t ensure_partitioning(struct fl_cdc_pg *src, struct tbl *t, struct fl_ice_table *it,
                                    struct fl_error *err) {
    if (t->npart == 0) return FL_OK;
    const char *const *terms = (const char *const *)t->part;
    int same = spec_is(fl_ice_meta_default_spec(it->meta), fl_ice_meta_current_schema(it->meta),
                       terms, t->npart, err);
    fl_err_t rc = same < 0 ? FL_ERR_INVALID : FL_OK;
    if (!rc && !same) {
        rc = fl_ice_table_set_partitioning(it, terms, t->npart, err);
        if (!rc)
            fl_log(FL_LOG_INFO, "cdc %s: table %s.%s: partitioned as configured (a new spec)",
                   src->name, t->ns, t->name);
    }
    if (rc) fl_err_prefix(err, "table %s.%s: partition", t->ns, t->name);
    return rc;
}

static fl_err_t ensure_table(struct fl_cdc_pg *src, struct tbl *t, struct fl_error *err) {
    struct fl_ice_table *it = NULL;
    struct fl_error probe = {0};
    fl_err_t rc = fl_ice_table_load(src->st, fl_catalog_ice(src->cat), t->ns, t->name, &it, &probe);
    if (rc != FL_ERR_NOTFOUND) {
        if (rc)
            *err = probe;
        else
            rc = ensure_partitioning(src, t, it, err);
        fl_ice_table_free(it);
        return rc;
    }
    char *json = schema_json(t);
    struct fl_schema *schema = NULL;
    struct fl_ice_spec *spec = NULL;
    rc = fl_schema_parse(json, strlen(json), &schema, err);
    if (!rc && t->npart) {
        rc = fl_ice_spec_from_terms(schema, 0, (const char *const *)t->part, t->npart,
                                    FL_ICE_PARTITION_FIELD_ID_START, &spec, err);
        if (rc) fl_err_prefix(err, "table %s.%s: partition", t->nsp, t->rel);
    }
    struct fl_ice_kv props[FL_ICE_FLOE_PROPS];
    int nprops = fl_ice_floe_table_props(NULL, 0, props, FL_ICE_FLOE_PROPS);
    if (!rc)
        rc = fl_ice_table_create(src->st, fl_catalog_ice(src->cat), t->ns, t->name, schema, spec,
                                 props, nprops, &it, err);
    if (rc == FL_ERR_EXISTS) {
        fl_err_clear(err);
        rc = FL_OK;
    }
    if (!rc) fl_log(FL_LOG_INFO, "cdc %s: created table %s.%s", src->name, t->ns, t->name);
    fl_ice_table_free(it);
    fl_ice_spec_free(spec);
    fl_schema_free(schema);
    free(json);
    return rc;
}

/* The publication: created FOR TABLE every table when missing, else it
 * must publish each of them. */
static fl_err_t ensure_publication(struct fl_cdc_pg *src, PGconn *c, struct fl_error *err) {
    PGresult *r = NULL;
    const char *p[] = {src->pub};
    fl_err_t rc = pg_run(c, &r, PGRES_TUPLES_OK, "reading pg_publication", err,
                         "SELECT 1 FROM pg_publication WHERE pubname = $1", 1, p);
    if (rc) return rc;
    int exists = PQntuples(r) > 0;
    PQclear(r);
    if (!exists) {
        struct fl_buf sql;
        fl_buf_init(&sql, FL_BUF_NOMAX);
        char *q = quote_ident(c, src->pub);
        fl_buf_printf(&sql, "CREATE PUBLICATION %s FOR TABLE ", q);
        fl_free(q);
        for (int i = 0; i < src->nt; i++) {
            char *a = quote_ident(c, src->t[i].nsp), *b = quote_ident(c, src->t[i].rel);
            fl_buf_printf(&sql, "%s%s.%s", i ? ", " : "", a, b);
            fl_free(a);
            fl_free(b);
        }
        fl_buf_append_u8(&sql, 0);
        rc = pg_run(c, NULL, PGRES_COMMAND_OK, "CREATE PUBLICATION", err, (const char *)sql.data, 0,
                    NULL);
        fl_buf_fini(&sql);
        if (!rc) fl_log(FL_LOG_INFO, "cdc %s: created publication %s", src->name, src->pub);
        return rc;
    }
    for (int i = 0; i < src->nt && !rc; i++) {
        const char *pp[] = {src->pub, src->t[i].nsp, src->t[i].rel};
        rc = pg_run(c, &r, PGRES_TUPLES_OK, "reading pg_publication_tables", err,
                    "SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 "
                    "AND tablename = $3",
                    3, pp);
        if (rc) break;
        if (PQntuples(r) == 0)
            rc = fl_errf(err, FL_ERR_INVALID,
                         "publication %s does not publish table %s.%s (ALTER PUBLICATION %s ADD "
                         "TABLE %s.%s)",
                         src->pub, src->t[i].nsp, src->t[i].rel, src->pub, src->t[i].nsp,
                         src->t[i].rel);
        PQclear(r);
    }
    return rc;
}

static void split_name(const char *full, const char *dflt, char **a, char **b) {
    const char *dot = strchr(full, '.');
    *a = dot ? fl_strndup(full, (size_t)(dot - full)) : fl_strdup(dflt);
    *b = fl_strdup(dot ? dot + 1 : full);
}

/* The last transaction end LSN recorded in topic (0 when none): the
 * header floe.tx-end of the last record carrying it, searched in the
 * topic's last 100,000 records. */
static fl_err_t topic_last_lsn(struct fl_log *log, const char *topic, uint64_t *lsn,
                               struct fl_error *err) {
    *lsn = 0;
    struct fl_log_partition_info info;
    int np = 0;
    fl_err_t rc = fl_log_topic_describe(log, topic, &np, NULL, &info, 1, err);
    if (rc || np < 1 || info.end_offset <= info.start_offset) return rc;
    int64_t off =
        info.end_offset - 100000 > info.start_offset ? info.end_offset - 100000 : info.start_offset;
    struct fl_buf raw;
    fl_buf_init(&raw, FL_BUF_NOMAX);
    size_t hlen = strlen(FL_PIPE_TX_HEADER);
    while (!rc && off < info.end_offset) {
        int64_t next = off;
        fl_buf_reset(&raw);
        rc = fl_log_read(log, topic, 0, off, (size_t)4 << 20, &raw, &next, err);
        if (rc || raw.len == 0 || next <= off) break;
        struct fl_log_batch_iter it;
        struct fl_log_decoded rec;
        fl_log_batch_iter_init(&it, raw.data, raw.len);
        while (fl_log_batch_iter_next(&it, &rec, err) == FL_OK) {
            const uint8_t *hp = rec.headers;
            int idx = 0;
            struct fl_log_header h;
            while (fl_log_header_next(&rec, &hp, &idx, &h) == FL_OK) {
                if (h.key_len != hlen || memcmp(h.key, FL_PIPE_TX_HEADER, hlen) || !h.value ||
                    h.value_len > 20)
                    continue;
                char v[24];
                memcpy(v, h.value, h.value_len);
                v[h.value_len] = 0;
                uint64_t l = 0;
                struct fl_error pe = {0};
                if (fl_pg_lsn_parse(v, &l, &pe) == FL_OK && l > *lsn) *lsn = l;
            }
        }
        fl_log_batch_iter_fini(&it);
        fl_err_clear(err);
        off = next;
    }
    fl_buf_fini(&raw);
    return rc;
}

void fl_cdc_pg_free(struct fl_cdc_pg *src) {
    if (!src) return;
    pthread_mutex_lock(&src->mu);
    src->stop = 1;
    pthread_cond_broadcast(&src->cv);
    pthread_mutex_unlock(&src->mu);
    if (src->running) pthread_join(src->thread, NULL);
    if (src->health_running) pthread_join(src->health, NULL);
    src->running = src->health_running = 0;
    for (int i = 0; i < src->nt; i++) {
        struct tbl *t = &src->t[i];
        fl_pipe_free(t->pipe);
        if (!t->nshapes) cols_free(t->cols, t->ncols); /* load_columns failed */
        for (int k = 0; k < t->nshapes; k++) {
            cols_free(t->shapes[k].cols, t->shapes[k].ncols);
            fl_free(t->shapes[k].env_prefix);
            fl_free(t->shapes[k].key_prefix);
        }
        fl_free(t->shapes);
        cols_free(t->next_cols, t->nnext);
        for (int k = 0; k < t->npart; k++) fl_free(t->part[k]);
        fl_free(t->part);
        fl_free(t->nsp);
        fl_free(t->rel);
        fl_free(t->ns);
        fl_free(t->name);
        fl_free(t->topic);
        fl_buf_fini(&t->pend);
        fl_free(t->pend_off);
        fl_buf_fini(&t->keys);
        fl_free(t->key_off);
        fl_free(t->q);
    }
    fl_free(src->t);
    fl_free(src->pipes);
    fl_free(src->rel);
    fl_pgo_decoder_free(src->dec);
    fl_txset_free(src->txs);
    fl_free(src->spill_dir);
    fl_buf_fini(&src->key);
    fl_buf_fini(&src->env);
    fl_free(src->merged);
    fl_free(src->name);
    fl_free(src->uri);
    fl_free(src->slot);
    fl_free(src->pub);
    fl_free(src->prefix);
    fl_free(src->state_topic);
    fl_free(src->db);
    pthread_mutex_destroy(&src->mu);
    pthread_cond_destroy(&src->cv);
    fl_free(src);
}

fl_err_t fl_cdc_pg_new(struct fl_log *log, struct fl_store *st, struct fl_catalog *cat,
                       const struct fl_cdc_pg_config *cfg, struct fl_cdc_pg **out,
                       struct fl_error *err) {
    *out = NULL;
    if (!cfg->uri || cfg->ntables < 1)
        return fl_errf(err, FL_ERR_INVALID, "cdc: a postgres source needs a uri and tables");
    struct fl_cdc_pg *src = fl_calloc(1, sizeof(*src));
    src->log = log;
    src->st = st;
    src->cat = cat;
    src->uri = fl_strdup(cfg->uri);
    src->slot = fl_strdup(cfg->slot ? cfg->slot : "floe");
    src->pub = fl_strdup(cfg->publication ? cfg->publication : "floe");
    src->prefix = fl_strdup(cfg->topic_prefix ? cfg->topic_prefix : "floe");
    src->name = fl_strdup(cfg->name ? cfg->name : src->slot);
    src->snapshot = cfg->snapshot != 0;
    src->tombstones = cfg->tombstones != 0;
    src->schema = cfg->schema != 0;
    src->interval_ms = cfg->commit_interval_ms > 0 ? cfg->commit_interval_ms : 500;
    size_t sl = strlen(src->slot) + 16;
    src->state_topic = fl_malloc(sl);
    snprintf(src->state_topic, sl, "__floe_cdc.%s", src->slot);
    src->dec = fl_pgo_decoder_new();
    fl_buf_init(&src->env, FL_BUF_NOMAX);
    fl_buf_init(&src->key, FL_BUF_NOMAX);
    src->no_streaming = cfg->no_streaming != 0;
    src->stream_buffer =
        cfg->stream_buffer_bytes > 0 ? (size_t)cfg->stream_buffer_bytes : (size_t)16 << 20;
    src->spill_dir = fl_strdup(cfg->spill_dir ? cfg->spill_dir : "cdc-spill");
    pthread_mutex_init(&src->mu, NULL);
    pthread_cond_init(&src->cv, NULL);
    src->stats.last_commit_ms = -1;
    src->stats.slot.checked_ms = -1;
    src->stats.slot.safe_wal_size = -1;
    src->stats.slot.lag_bytes = -1;
    src->t = fl_calloc((size_t)cfg->ntables, sizeof(*src->t));
    src->pipes = fl_calloc((size_t)cfg->ntables, sizeof(*src->pipes));
    src->nt = cfg->ntables;
    for (int i = 0; i < src->nt; i++) {
        struct tbl *t = &src->t[i];
        split_name(cfg->tables[i], "public", &t->nsp, &t->rel);
        split_name(cfg->targets && cfg->targets[i] ? cfg->targets[i] : cfg->tables[i], t->nsp,
                   &t->ns, &t->name);
        size_t n = strlen(src->prefix) + strlen(t->nsp) + strlen(t->rel) + 3;
        t->topic = fl_malloc(n);
        snprintf(t->topic, n, "%s.%s.%s", src->prefix, t->nsp, t->rel);
        fl_buf_init(&t->pend, FL_BUF_NOMAX);
        fl_buf_init(&t->keys, FL_BUF_NOMAX);
        t->npart = cfg->partitions && cfg->npartitions ? cfg->npartitions[i] : 0;
        t->part = fl_calloc((size_t)t->npart + 1, sizeof(char *));
        for (int k = 0; k < t->npart; k++) t->part[k] = fl_strdup(cfg->partitions[i][k]);
    }
    fl_err_t rc = fl_txset_new(src->spill_dir, src->stream_buffer, &src->txs, err);
    PGconn *c = rc ? NULL : pg_connect(src->uri, 0, err);
    if (!rc && !c) rc = FL_ERR_IO;
    for (int i = 0; !rc && i < src->nt; i++) {
        struct tbl *t = &src->t[i];
        t->mirror_shape = UINT32_MAX;
        rc = load_columns(c, t, err);
        if (!rc) shape_add(src, t, t->cols, t->ncols);
    }
    if (!rc) {
        src->db = fl_strdup(PQdb(c));
        rc = ensure_publication(src, c, err);
    }
    PQfinish(c);
    struct fl_log_topic_config tc;
    fl_log_topic_config_default(&tc);
    tc.partitions = 1;
    if (!rc) rc = fl_log_topic_ensure(log, src->state_topic, &tc, err);
    for (int i = 0; !rc && i < src->nt; i++) {
        struct tbl *t = &src->t[i];
        rc = fl_log_topic_ensure(log, t->topic, &tc, err);
        if (!rc) rc = ensure_table(src, t, err);
        if (!rc) rc = topic_last_lsn(log, t->topic, &t->last_lsn, err);
        char pname[600];
        snprintf(pname, sizeof(pname), "cdc.%s.%s", t->nsp, t->rel);
        struct fl_pipe_config pc = {.name = pname,
                                    .topic = t->topic,
                                    .ns = t->ns,
                                    .table = t->name,
                                    .commit_interval_ms = src->interval_ms,
                                    .decode = FL_PIPE_DECODE_DEBEZIUM,
                                    .tx_aligned = true};
        if (!rc) rc = fl_pipe_new(log, st, cat, &pc, &t->pipe, err);
        src->pipes[i] = t->pipe;
    }
    if (rc) {
        fl_err_prefix(err, "cdc %s", src->name);
        fl_cdc_pg_free(src);
        return rc;
    }
    *out = src;
    return FL_OK;
}

/* ---- envelopes ---- */

/* The Kafka Connect schema of a column's value as floe writes it (the
 * JsonConverter's type, and Debezium's semantic name where floe's value
 * is the one Debezium writes: numeric as a string is Debezium's
 * decimal.handling.mode=string). */
static void col_schema(json_t *fields, const struct col *c) {
    const char *type = "string", *name = NULL;
    switch (c->oid) {
    case 21:
        type = "int16";
        break;
    case 23:
        type = "int32";
        break;
    case 20:
        type = "int64";
        break;
    case 700:
        type = "float";
        break;
    case 701:
        type = "double";
        break;
    case 16:
        type = "boolean";
        break;
    case 1184:
        name = "io.debezium.time.ZonedTimestamp";
        break;
    case 2950:
        name = "io.debezium.data.Uuid";
        break;
    case 114:
    case 3802:
        name = "io.debezium.data.Json";
        break;
    default:
        break;
    }
    json_t *f = json_pack("{s:s,s:b,s:s}", "type", type, "optional", !c->key, "field", c->name);
    if (name) {
        json_object_set_new(f, "name", json_string(name));
        json_object_set_new(f, "version", json_integer(1));
    }
    json_array_append_new(fields, f);
}

static json_t *field(const char *type, int optional, const char *name) {
    return json_pack("{s:s,s:b,s:s}", "type", type, "optional", optional, "field", name);
}

/* schema: true: the envelope and key schemas of t in shape sh as
 * Debezium's JsonConverter (schemas.enable=true) writes them, the
 * prefixes of every record of that shape. */
static void env_schemas(struct fl_cdc_pg *src, const struct tbl *t, struct shape *sh) {
    fl_free(sh->env_prefix);
    fl_free(sh->key_prefix);
    sh->env_prefix = sh->key_prefix = NULL;
    if (!src->schema) return;
    char name[700];
    json_t *row = json_array(), *key = json_array();
    for (int i = 0; i < sh->ncols; i++) {
        col_schema(row, &sh->cols[i]);
        if (sh->cols[i].key) col_schema(key, &sh->cols[i]);
    }
    snprintf(name, sizeof(name), "%s.%s.%s.Value", src->prefix, t->nsp, t->rel);
    json_t *before = json_pack("{s:s,s:O,s:b,s:s,s:s}", "type", "struct", "fields", row, "optional",
                               1, "name", name, "field", "before");
    json_t *after = json_pack("{s:s,s:o,s:b,s:s,s:s}", "type", "struct", "fields", row, "optional",
                              1, "name", name, "field", "after");
    json_t *sf = json_array();
    json_array_append_new(sf, field("string", 0, "version"));
    json_array_append_new(sf, field("string", 0, "connector"));
    json_array_append_new(sf, field("string", 0, "name"));
    json_array_append_new(sf, field("int64", 0, "ts_ms"));
    json_array_append_new(sf, field("string", 1, "snapshot"));
    json_array_append_new(sf, field("string", 0, "db"));
    json_array_append_new(sf, field("string", 1, "sequence"));
    json_array_append_new(sf, field("string", 0, "schema"));
    json_array_append_new(sf, field("string", 0, "table"));
    json_array_append_new(sf, field("int64", 1, "txId"));
    json_array_append_new(sf, field("int64", 1, "lsn"));
    json_array_append_new(sf, field("int64", 1, "xmin"));
    json_t *source =
        json_pack("{s:s,s:o,s:b,s:s,s:s}", "type", "struct", "fields", sf, "optional", 0, "name",
                  "io.debezium.connector.postgresql.Source", "field", "source");
    json_t *tf = json_array();
    json_array_append_new(tf, field("string", 0, "id"));
    json_array_append_new(tf, field("int64", 0, "total_order"));
    json_array_append_new(tf, field("int64", 0, "data_collection_order"));
    json_t *tx = json_pack("{s:s,s:o,s:b,s:s,s:i,s:s}", "type", "struct", "fields", tf, "optional",
                           1, "name", "event.block", "version", 1, "field", "transaction");
    json_t *ef = json_pack("[o,o,o,o,o,o]", before, after, source, field("string", 0, "op"),
                           field("int64", 1, "ts_ms"), tx);
    snprintf(name, sizeof(name), "%s.%s.%s.Envelope", src->prefix, t->nsp, t->rel);
    json_t *env = json_pack("{s:s,s:o,s:b,s:s,s:i}", "type", "struct", "fields", ef, "optional", 0,
                            "name", name, "version", 1);
    snprintf(name, sizeof(name), "%s.%s.%s.Key", src->prefix, t->nsp, t->rel);
    json_t *ks = json_pack("{s:s,s:o,s:b,s:s}", "type", "struct", "fields", key, "optional", 0,
                           "name", name);
    char *e = json_dumps(env, JSON_COMPACT), *k = json_dumps(ks, JSON_COMPACT);
    size_t n = strlen(e) + 32;
    sh->env_prefix = fl_malloc(n);
    snprintf(sh->env_prefix, n, "{\"schema\":%s,\"payload\":", e);
    n = strlen(k) + 32;
    sh->key_prefix = fl_malloc(n);
    snprintf(sh->key_prefix, n, "{\"schema\":%s,\"payload\":", k);
    free(e);
    free(k);
    json_decref(env);
    json_decref(ks);
}

/* cols (owned from here) as t's next shape, the one changes are encoded
 * in from now on. */
static void shape_add(struct fl_cdc_pg *src, struct tbl *t, struct col *cols, int n) {
    t->shapes = fl_reallocarray(t->shapes, (size_t)t->nshapes + 1, sizeof(*t->shapes));
    struct shape *sh = &t->shapes[t->nshapes++];
    *sh = (struct shape){cols, n, NULL, NULL};
    t->cols = cols;
    t->ncols = n;
    env_schemas(src, t, sh);
}

static void env_lsn(struct fl_buf *b, uint64_t lsn) {
    fl_buf_printf(b, "%llu", (unsigned long long)lsn);
}

/* "source":{...} */
static void env_source(struct fl_cdc_pg *src, const struct tbl *t, const char *snapshot,
                       uint64_t lsn, int64_t ts_us, int with_tx) {
    struct fl_buf *b = &src->env;
    fl_buf_append_str(b,
                      ",\"source\":{\"version\":\"floe\",\"connector\":\"postgresql\",\"name\":");
    fl_pgt_json_string((const uint8_t *)src->prefix, strlen(src->prefix), b);
    if (ts_us >= 0) {
        fl_buf_printf(b, ",\"ts_ms\":%lld", (long long)(ts_us / 1000));
    } else { /* the commit time, known at the commit (tx_commit) */
        fl_buf_append_str(b, ",\"ts_ms\":");
        src->env_ts = b->len;
    }
    fl_buf_printf(b, ",\"snapshot\":\"%s\",\"db\":", snapshot);
    fl_pgt_json_string((const uint8_t *)src->db, strlen(src->db), b);
    fl_buf_append_str(b, ",\"sequence\":null,\"schema\":");
    fl_pgt_json_string((const uint8_t *)t->nsp, strlen(t->nsp), b);
    fl_buf_append_str(b, ",\"table\":");
    fl_pgt_json_string((const uint8_t *)t->rel, strlen(t->rel), b);
    if (with_tx)
        fl_buf_printf(b, ",\"txId\":%u,\"lsn\":", src->xid);
    else
        fl_buf_append_str(b, ",\"txId\":null,\"lsn\":");
    env_lsn(b, lsn);
    fl_buf_append_str(b, ",\"xmin\":null}");
}

/* A row object from a tuple's values (text form). */
static fl_err_t env_tuple(struct fl_buf *b, const struct tbl *t, const struct fl_pgo_tuple *tu,
                          struct fl_error *err) {
    if (tu->ncols != t->ncols)
        return fl_errf(err, FL_ERR_CORRUPT, "table %s.%s: a change with %d columns, %d expected",
                       t->nsp, t->rel, tu->ncols, t->ncols);
    fl_buf_append_u8(b, '{');
    for (int i = 0; i < t->ncols; i++) {
        const struct fl_pgo_value *v = &tu->vals[i];
        if (i) fl_buf_append_u8(b, ',');
        fl_pgt_json_string((const uint8_t *)t->cols[i].name, strlen(t->cols[i].name), b);
        fl_buf_append_u8(b, ':');
        if (v->kind == 'n')
            fl_buf_append_str(b, "null");
        else if (v->kind == 'u')
            fl_buf_append_str(b, "\"__debezium_unavailable_value\"");
        else if (v->kind == 't')
            fl_pgt_json(t->cols[i].kind, v->data, v->len, b);
        else
            return fl_errf(err, FL_ERR_UNSUPPORTED, "table %s.%s, column %s: a binary value",
                           t->nsp, t->rel, t->cols[i].name);
    }
    fl_buf_append_u8(b, '}');
    return FL_OK;
}

/* The record key of a row: its key columns as Debezium keys its
 * records, appended to out (nothing: a null key). */
static void key_json(const struct tbl *t, const struct fl_pgo_tuple *key, struct fl_buf *out) {
    if (!key || key->ncols != t->ncols) return;
    int first = 1;
    fl_buf_append_u8(out, '{');
    for (int i = 0; i < t->ncols; i++) {
        if (!t->cols[i].key) continue;
        const struct fl_pgo_value *v = &key->vals[i];
        if (!first) fl_buf_append_u8(out, ',');
        first = 0;
        fl_pgt_json_string((const uint8_t *)t->cols[i].name, strlen(t->cols[i].name), out);
        fl_buf_append_u8(out, ':');
        if (v->kind == 't')
            fl_pgt_json(t->cols[i].kind, v->data, v->len, out);
        else
            fl_buf_append_str(out, "null");
    }
    fl_buf_append_u8(out, '}');
}

/* Queues a record (value v, key k of klen bytes, none: a null key) of
 * shape sh as the next of t's pending append; ts_ms >= 0 goes into v at
 * ts_pos. schema: true wraps key and value in sh's schemas; an empty v
 * (a tombstone) stays a null value. */
static void pend_push_raw(struct tbl *t, const struct shape *sh, const uint8_t *k, size_t klen,
                          const uint8_t *v, size_t vlen, size_t ts_pos, int64_t ts_ms) {
    if (t->npend == t->cpend) {
        t->cpend = t->cpend ? t->cpend * 2 : 64;
        t->pend_off = fl_reallocarray(t->pend_off, (size_t)t->cpend + 1, sizeof(size_t));
        t->key_off = fl_reallocarray(t->key_off, (size_t)t->cpend + 1, sizeof(size_t));
    }
    t->key_off[t->npend] = t->keys.len;
    if (klen) {
        if (sh->key_prefix) fl_buf_append_str(&t->keys, sh->key_prefix);
        fl_buf_append(&t->keys, k, klen);
        if (sh->key_prefix) fl_buf_append_u8(&t->keys, '}');
    }
    t->pend_off[t->npend++] = t->pend.len;
    if (sh->env_prefix && vlen) fl_buf_append_str(&t->pend, sh->env_prefix);
    if (ts_ms >= 0 && ts_pos <= vlen) {
        fl_buf_append(&t->pend, v, ts_pos);
        fl_buf_printf(&t->pend, "%lld", (long long)ts_ms);
        fl_buf_append(&t->pend, v + ts_pos, vlen - ts_pos);
    } else {
        fl_buf_append(&t->pend, v, vlen);
    }
    if (sh->env_prefix && vlen) fl_buf_append_u8(&t->pend, '}');
    t->pend_off[t->npend] = t->pend.len;
    t->key_off[t->npend] = t->keys.len;
}

/* Queues env as the next record of t's pending append, keyed by the key
 * columns of key (NULL: a null key; the key is built in scratch). */
static void pend_push(struct tbl *t, const struct fl_buf *env, const struct fl_pgo_tuple *key,
                      struct fl_buf *scratch) {
    fl_buf_reset(scratch);
    key_json(t, key, scratch);
    pend_push_raw(t, &t->shapes[t->nshapes - 1], scratch->data, scratch->len, env->data, env->len,
                  0, -1);
}

static void q_push(struct tbl *t, int64_t end_offset, uint64_t commit_lsn, int64_t commit_ms) {
    if (t->qn == t->qcap) {
        size_t nc = t->qcap ? t->qcap * 2 : 64;
        struct txpos *nq = fl_calloc(nc, sizeof(*nq));
        for (size_t i = 0; i < t->qn; i++) nq[i] = t->q[(t->qhead + i) % t->qcap];
        fl_free(t->q);
        t->q = nq;
        t->qcap = nc;
        t->qhead = 0;
    }
    t->q[(t->qhead + t->qn++) % t->qcap] = (struct txpos){end_offset, commit_lsn, commit_ms};
}

/* Appends t's queued records to its topic, in appends of at most
 * APPEND_BATCH_BYTES; with end_tx the last record with floe.tx-end =
 * end_lsn and the transaction waits in the queue under commit_lsn (else
 * more of the transaction follows). */
static fl_err_t pend_append(struct fl_cdc_pg *src, struct tbl *t, uint64_t commit_lsn,
                            uint64_t end_lsn, int64_t commit_ms, int end_tx, struct fl_error *err) {
    char lsn[24];
    fl_pg_lsn_format(end_lsn, lsn, sizeof(lsn));
    struct fl_log_header h = {FL_PIPE_TX_HEADER, strlen(FL_PIPE_TX_HEADER), (const uint8_t *)lsn,
                              strlen(lsn)};
    struct fl_log_record *recs = fl_calloc((size_t)t->npend, sizeof(*recs));
    fl_err_t rc = FL_OK;
    int64_t base = 0;
    for (int i = 0; i < t->npend && !rc;) {
        int n = 0;
        size_t bytes = 0;
        while (i + n < t->npend && (n == 0 || bytes < APPEND_BATCH_BYTES)) {
            struct fl_log_record *r = &recs[n];
            size_t a = t->pend_off[i + n], z = t->pend_off[i + n + 1];
            size_t ka = t->key_off[i + n], kz = t->key_off[i + n + 1];
            *r = (struct fl_log_record){.key = kz > ka ? t->keys.data + ka : NULL,
                                        .key_len = kz - ka,
                                        .value = z > a ? t->pend.data + a : NULL,
                                        .value_len = z - a,
                                        .timestamp_ms = -1};
            bytes += z - a;
            n++;
        }
        if (end_tx && i + n == t->npend) {
            recs[n - 1].headers = &h;
            recs[n - 1].nheaders = 1;
        }
        rc = fl_log_append(src->log, t->topic, 0, recs, n, &base, err);
        i += n;
        if (!rc && end_tx && i == t->npend) {
            pthread_mutex_lock(&src->mu);
            q_push(t, base + n, commit_lsn, commit_ms);
            pthread_mutex_unlock(&src->mu);
        }
    }
    fl_free(recs);
    if (!rc && end_tx) t->last_lsn = end_lsn;
    t->npend = 0;
    fl_buf_reset(&t->pend);
    fl_buf_reset(&t->keys);
    return rc;
}

static fl_err_t pend_flush(struct fl_cdc_pg *src, struct tbl *t, uint64_t commit_lsn,
                           uint64_t end_lsn, int64_t commit_ms, struct fl_error *err) {
    return pend_append(src, t, commit_lsn, end_lsn, commit_ms, 1, err);
}

/* ---- the confirmed LSN ---- */

static uint64_t compute_confirmed(struct fl_cdc_pg *src) {
    uint64_t bound = UINT64_MAX;
    int64_t oldest_ms = INT64_MAX;
    for (int i = 0; i < src->nt; i++) {
        struct tbl *t = &src->t[i];
        struct fl_pipe_stats ps;
        fl_pipe_get_stats(t->pipe, &ps);
        pthread_mutex_lock(&src->mu);
        while (t->qn && t->q[t->qhead].end_offset <= ps.consumed) {
            t->qhead = (t->qhead + 1) % t->qcap;
            t->qn--;
        }
        if (t->qn && t->q[t->qhead].commit_lsn < bound) bound = t->q[t->qhead].commit_lsn;
        if (t->qn && t->q[t->qhead].commit_ms < oldest_ms) oldest_ms = t->q[t->qhead].commit_ms;
        pthread_mutex_unlock(&src->mu);
    }
    uint64_t c = bound != UINT64_MAX ? bound
                 : src->in_tx        ? src->last_end
                              : (src->wal_end > src->last_end ? src->wal_end : src->last_end);
    if (bound == UINT64_MAX && src->in_tx) c = src->last_end;
    if (c > src->confirmed) src->confirmed = c;
    int64_t now_ms = fl_time_now_us() / 1000;
    pthread_mutex_lock(&src->mu);
    src->stats.lag_ms = oldest_ms == INT64_MAX ? 0 : (now_ms > oldest_ms ? now_ms - oldest_ms : 0);
    pthread_mutex_unlock(&src->mu);
    return src->confirmed;
}

static fl_err_t send_status(struct fl_cdc_pg *src, PGconn *c, struct fl_error *err) {
    uint64_t flush = compute_confirmed(src);
    uint64_t write = src->wal_end > flush ? src->wal_end : flush;
    uint8_t m[34];
    m[0] = 'r';
    uint64_t v[4] = {write, flush, flush, (uint64_t)(fl_time_now_us() - FL_PG_EPOCH_US)};
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 8; j++) m[1 + k * 8 + j] = (uint8_t)(v[k] >> (56 - 8 * j));
    m[33] = 0;
    if (PQputCopyData(c, (const char *)m, sizeof(m)) != 1 || PQflush(c) != 0)
        return fl_errf(err, FL_ERR_IO, "sending a status update: %s", PQerrorMessage(c));
    pthread_mutex_lock(&src->mu);
    src->stats.confirmed_lsn = flush;
    src->stats.received_lsn = src->wal_end;
    pthread_mutex_unlock(&src->mu);
    return FL_OK;
}

/* ---- the mirror's schema following the source's columns ---- */

/* Whether a Relation message's columns are cols (names, types, typmods). */
static int cols_same(const struct col *cols, int n, const struct fl_pgo_msg *m) {
    if (m->ncols != n) return 0;
    for (int c = 0; c < n; c++)
        if (strcmp(m->cols[c].name, cols[c].name) || m->cols[c].type_oid != cols[c].oid ||
            m->cols[c].typmod != cols[c].typmod)
            return 0;
    return 1;
}

/* A Relation message for t: when its columns are not t's, they wait in
 * next_cols for the first change that comes in them (on_change). */
static fl_err_t relation_shape(struct tbl *t, const struct fl_pgo_msg *m, struct fl_error *err) {
    cols_free(t->next_cols, t->nnext);
    t->next_cols = NULL;
    t->nnext = 0;
    if (cols_same(t->cols, t->ncols, m)) return FL_OK;
    struct col *nc = fl_calloc((size_t)m->ncols + 1, sizeof(*nc));
    for (int c = 0; c < m->ncols; c++) {
        nc[c] = (struct col){.name = fl_strdup(m->cols[c].name),
                             .oid = m->cols[c].type_oid,
                             .typmod = m->cols[c].typmod};
        char type[32], why[160];
        if (fl_pgt_map(nc[c].oid, nc[c].typmod, NULL, type, sizeof(type), &nc[c].kind, why,
                       sizeof(why))) {
            fl_errf(err, FL_ERR_UNSUPPORTED, "table %s.%s, column %s: %s", t->nsp, t->rel,
                    nc[c].name, why);
            cols_free(nc, c + 1);
            return FL_ERR_UNSUPPORTED;
        }
    }
    t->next_cols = nc;
    t->nnext = m->ncols;
    return FL_OK;
}

/* Waits (at most 2 minutes) until f(src, t) holds, or stop. */
static fl_err_t wait_for(struct fl_cdc_pg *src, struct tbl *t,
                         int (*f)(struct fl_cdc_pg *, struct tbl *), const char *what,
                         struct fl_error *err) {
    int64_t until = fl_time_mono_us() + 120 * 1000000LL;
    while (!f(src, t)) {
        if (stopping(src)) return fl_errf(err, FL_ERR_IO, "stopping");
        if (fl_time_mono_us() > until)
            return fl_errf(err, FL_ERR_IO, "table %s.%s: timed out waiting for %s", t->nsp, t->rel,
                           what);
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
    }
    return FL_OK;
}

/* Whether t's pipeline committed every transaction appended to its topic. */
static int drained(struct fl_cdc_pg *src, struct tbl *t) {
    compute_confirmed(src);
    pthread_mutex_lock(&src->mu);
    int done = t->qn == 0;
    pthread_mutex_unlock(&src->mu);
    return done;
}

static int reloaded(struct fl_cdc_pg *src, struct tbl *t) {
    (void)src;
    return !fl_pipe_reload_pending(t->pipe);
}

/* The mirror's schema made that of t's shape v, before any change of
 * that shape reaches the topic (at a commit, tx_commit; before a
 * snapshot copy): the pipeline first commits what the topic holds
 * (decoded with the old schema), then the schema commit, then the
 * pipeline reloads the table before its next step. The shape's key
 * flags come from the mirror's identifier fields. */
static fl_err_t sync_mirror(struct fl_cdc_pg *src, struct tbl *t, uint32_t v,
                            struct fl_error *err) {
    struct shape *sh = &t->shapes[v];
    struct col *cols = sh->cols;
    int n = sh->ncols;
    struct fl_cdc_src_col *sc = fl_calloc((size_t)n + 1, sizeof(*sc));
    char(*types)[32] = fl_calloc((size_t)n + 1, sizeof(*types));
    for (int i = 0; i < n; i++) {
        char why[160];
        enum fl_pgt_kind k;
        fl_pgt_map(cols[i].oid, cols[i].typmod, NULL, types[i], sizeof(types[i]), &k, why,
                   sizeof(why));
        sc[i] = (struct fl_cdc_src_col){cols[i].name, types[i]};
    }
    char full[300];
    snprintf(full, sizeof(full), "%s.%s", t->nsp, t->rel);
    struct fl_ice_table *it = NULL;
    struct fl_ice_schema_change *ch = NULL;
    int nch = 0;
    fl_err_t rc = fl_ice_table_load(src->st, fl_catalog_ice(src->cat), t->ns, t->name, &it, err);
    if (!rc)
        rc = fl_cdc_schema_diff(fl_ice_meta_current_schema(it->meta), full, sc, n, &ch, &nch, err);
    if (!rc && nch) {
        rc = wait_for(src, t, drained, "the mirror to commit the changes before a schema change",
                      err);
        int done = 0;
        if (!rc) rc = fl_ice_table_refresh(it, err);
        if (!rc) rc = fl_cdc_mirror_evolve(it, full, sc, n, &done, err);
        if (!rc) {
            fl_pipe_reload_table(t->pipe);
            rc = wait_for(src, t, reloaded, "the mirror pipeline to reload the table", err);
        }
        if (!rc) {
            char what[512] = "";
            for (int i = 0; i < nch; i++)
                snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%s %s%s%s",
                         i ? ", " : "",
                         ch[i].kind == FL_ICE_ADD_COLUMN    ? "added"
                         : ch[i].kind == FL_ICE_DROP_COLUMN ? "dropped"
                                                            : "widened",
                         ch[i].name, ch[i].type ? " " : "", ch[i].type ? ch[i].type : "");
            fl_log(FL_LOG_INFO, "cdc %s: table %s.%s: the mirror's schema follows the source: %s",
                   src->name, t->ns, t->name, what);
            pthread_mutex_lock(&src->mu);
            src->stats.schema_changes++;
            pthread_mutex_unlock(&src->mu);
        }
    }
    if (!rc) {
        const struct fl_schema *s = fl_ice_meta_current_schema(it->meta);
        for (int i = 0; i < n; i++) {
            int idx = fl_schema_index_by_name(s, cols[i].name);
            cols[i].key = 0;
            for (int k = 0; idx >= 0 && k < s->nidentifier; k++)
                if (s->identifier_ids[k] == s->fields[idx].id) cols[i].key = 1;
        }
        t->mirror_shape = v;
        env_schemas(src, t, sh);
    }
    fl_cdc_changes_free(ch, nch);
    fl_ice_table_free(it);
    fl_free(sc);
    fl_free(types);
    return rc;
}

/* ---- streaming ---- */

static int tbl_for_rel(struct fl_cdc_pg *src, uint32_t relid) {
    for (int i = 0; i < src->nrel; i++)
        if (src->rel[i].relid == relid) return src->rel[i].tbl;
    return -1;
}

static fl_err_t on_relation(struct fl_cdc_pg *src, const struct fl_pgo_msg *m,
                            struct fl_error *err) {
    int ti = -1;
    for (int i = 0; i < src->nt && ti < 0; i++)
        if (!strcmp(src->t[i].nsp, m->nspname) && !strcmp(src->t[i].rel, m->name)) ti = i;
    if (ti >= 0) {
        fl_err_t rc = relation_shape(&src->t[ti], m, err);
        if (rc) return rc;
    }
    int slot = -1;
    for (int i = 0; i < src->nrel; i++)
        if (src->rel[i].relid == m->relid) slot = i;
    if (slot < 0) {
        if (src->nrel == src->crel) {
            src->crel = src->crel ? src->crel * 2 : 16;
            src->rel = fl_reallocarray(src->rel, (size_t)src->crel, sizeof(*src->rel));
        }
        slot = src->nrel++;
    }
    src->rel[slot] = (struct relmap){m->relid, ti};
    return FL_OK;
}

static int key_changed(const struct tbl *t, const struct fl_pgo_msg *m) {
    if (!m->old_kind) return 0;
    for (int i = 0; i < t->ncols && i < m->old_tuple.ncols && i < m->new_tuple.ncols; i++) {
        if (!t->cols[i].key) continue;
        const struct fl_pgo_value *a = &m->old_tuple.vals[i], *b = &m->new_tuple.vals[i];
        if (a->kind != b->kind || a->len != b->len || (a->len && memcmp(a->data, b->data, a->len)))
            return 1;
    }
    return 0;
}

/* Holds the envelope just built (src->env, its commit time to come at
 * src->env_ts), keyed by key, in the open transaction until its commit. */
static fl_err_t tx_push(struct fl_cdc_pg *src, const struct tbl *t, const struct fl_pgo_tuple *key,
                        struct fl_error *err) {
    if (!src->cur) return fl_errf(err, FL_ERR_CORRUPT, "pgoutput: a change outside a transaction");
    fl_buf_reset(&src->key);
    key_json(t, key, &src->key);
    if (src->env.len >= UINT32_MAX || src->key.len >= UINT32_MAX)
        return fl_errf(err, FL_ERR_UNSUPPORTED, "table %s.%s: a change of over 4 GiB", t->nsp,
                       t->rel);
    int was = fl_txbuf_is_spilled(src->cur);
    struct fl_txrec r = {(uint32_t)(t - src->t),    src->key.len ? src->key.data : NULL,
                         (uint32_t)src->key.len,    src->env.data,
                         (uint32_t)src->env.len,    (uint32_t)src->env_ts,
                         (uint32_t)(t->nshapes - 1)};
    fl_err_t rc = fl_txbuf_add(src->cur, src->cur_sub, &r, err);
    if (!rc && !was && fl_txbuf_is_spilled(src->cur))
        fl_log(FL_LOG_INFO,
               "cdc %s: transaction %u: open transactions passed stream_buffer_bytes (%zu): "
               "spilling its changes to %s",
               src->name, src->xid, src->stream_buffer, src->spill_dir);
    return rc;
}

/* One envelope of op for t into its transaction buffer. */
static fl_err_t emit(struct fl_cdc_pg *src, struct tbl *t, char op,
                     const struct fl_pgo_tuple *before, const struct fl_pgo_tuple *after,
                     uint64_t lsn, struct fl_error *err) {
    struct fl_buf *b = &src->env;
    fl_buf_reset(b);
    fl_err_t rc = FL_OK;
    fl_buf_append_str(b, "{\"before\":");
    if (before)
        rc = env_tuple(b, t, before, err);
    else
        fl_buf_append_str(b, "null");
    fl_buf_append_str(b, ",\"after\":");
    if (!rc && after)
        rc = env_tuple(b, t, after, err);
    else if (!rc)
        fl_buf_append_str(b, "null");
    if (rc) return rc;
    env_source(src, t, "false", lsn, -1, 1);
    fl_buf_printf(b, ",\"op\":\"%c\",\"ts_ms\":%lld,\"transaction\":null}", op,
                  (long long)(fl_time_now_us() / 1000));
    return tx_push(src, t, after ? after : before, err);
}

/* Debezium's tombstone after a delete (tombstones.on.delete): a record
 * with the deleted row's key and a null value (an empty one in the
 * transaction buffer), for Kafka log compaction; floe's mirror pipeline
 * skips it. */
static fl_err_t tombstone(struct fl_cdc_pg *src, struct tbl *t, const struct fl_pgo_tuple *key,
                          struct fl_error *err) {
    if (!src->tombstones) return FL_OK;
    fl_buf_reset(&src->env);
    src->env_ts = FL_TXBUF_NO_TS;
    return tx_push(src, t, key, err);
}

static fl_err_t on_change(struct fl_cdc_pg *src, const struct fl_pgo_msg *m, uint64_t lsn,
                          struct fl_error *err) {
    int ti = tbl_for_rel(src, m->relid);
    if (ti < 0) return FL_OK; /* a table of the publication floe does not mirror */
    struct tbl *t = &src->t[ti];
    if (t->next_cols) {
        /* a Relation message changed t's columns: changes are encoded in
         * them from here, the key columns kept; the mirror follows when a
         * transaction with a change of this shape commits (tx_commit), so
         * that one rolled back (a streamed one too) or re-sent (its topic
         * has it) changes no mirror */
        for (int i = 0; i < t->nnext; i++)
            for (int k = 0; k < t->ncols; k++)
                if (!strcmp(t->next_cols[i].name, t->cols[k].name))
                    t->next_cols[i].key = t->cols[k].key;
        shape_add(src, t, t->next_cols, t->nnext);
        t->next_cols = NULL;
        t->nnext = 0;
    }
    src->stats.changes++;
    switch (m->kind) {
    case 'I':
        return emit(src, t, 'c', NULL, &m->new_tuple, lsn, err);
    case 'D': {
        fl_err_t rc = emit(src, t, 'd', &m->old_tuple, NULL, lsn, err);
        return rc ? rc : tombstone(src, t, &m->old_tuple, err);
    }
    default: { /* 'U' */
        struct fl_pgo_tuple after = m->new_tuple;
        int unsent = -1; /* a column PostgreSQL did not send (an untouched TOASTed value) */
        for (int i = 0; i < after.ncols; i++)
            if (after.vals[i].kind == 'u') unsent = i;
        if (unsent >= 0 && m->old_kind == 'O' && m->old_tuple.ncols == after.ncols) {
            /* REPLICA IDENTITY FULL: the old row has the value */
            if (after.ncols > src->cmerged) {
                src->merged =
                    fl_reallocarray(src->merged, (size_t)after.ncols, sizeof(*src->merged));
                src->cmerged = after.ncols;
            }
            for (int i = 0; i < after.ncols; i++)
                src->merged[i] = after.vals[i].kind == 'u' ? m->old_tuple.vals[i] : after.vals[i];
            after.vals = src->merged;
            unsent = -1;
        }
        if (key_changed(t, m)) { /* as Debezium: a delete of the old key, a create of the new */
            if (unsent >= 0 && unsent < t->ncols)
                fl_log(FL_LOG_WARN,
                       "cdc %s: %s.%s: a primary key change left column %s unsent (an untouched "
                       "TOASTed value, REPLICA IDENTITY DEFAULT): the new key's row has it null; "
                       "REPLICA IDENTITY FULL avoids this",
                       src->name, t->nsp, t->rel, t->cols[unsent].name);
            fl_err_t rc = emit(src, t, 'd', &m->old_tuple, NULL, lsn, err);
            if (!rc) rc = tombstone(src, t, &m->old_tuple, err);
            return rc ? rc : emit(src, t, 'c', NULL, &after, lsn, err);
        }
        return emit(src, t, 'u', m->old_kind ? &m->old_tuple : NULL, &after, lsn, err);
    }
    }
}

static fl_err_t on_truncate(struct fl_cdc_pg *src, const struct fl_pgo_msg *m, uint64_t lsn,
                            struct fl_error *err) {
    fl_err_t rc = FL_OK;
    for (int i = 0; i < m->nrelids && !rc; i++) {
        int ti = tbl_for_rel(src, m->relids[i]);
        if (ti < 0) continue;
        struct tbl *t = &src->t[ti];
        fl_buf_reset(&src->env);
        fl_buf_append_str(&src->env, "{\"before\":null,\"after\":null");
        env_source(src, t, "false", lsn, -1, 1);
        fl_buf_printf(&src->env, ",\"op\":\"t\",\"ts_ms\":%lld,\"transaction\":null}",
                      (long long)(fl_time_now_us() / 1000));
        rc = tx_push(src, t, NULL, err);
    }
    return rc;
}

/* A transaction's commit (Commit, or Stream Commit of a streamed one):
 * its records (tb; NULL: none for floe) to each table's topic, tables
 * whose topic has it already (a re-sent transaction) skipped. */
static fl_err_t tx_commit(struct fl_cdc_pg *src, struct fl_txbuf *tb, const struct fl_pgo_msg *m,
                          struct fl_error *err) {
    int64_t ms = m->ts_us / 1000;
    for (int i = 0; i < src->nt; i++) {
        src->t[i].npend = 0;
        fl_buf_reset(&src->t[i].pend);
        fl_buf_reset(&src->t[i].keys);
    }
    fl_err_t rc = tb ? fl_txbuf_rewind(tb, err) : FL_OK;
    struct fl_txrec r;
    while (!rc && tb && fl_txbuf_next(tb, &r, &rc, err)) {
        if (r.table >= (uint32_t)src->nt) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "transaction %u: a record of table %u", m->xid,
                         r.table);
            break;
        }
        struct tbl *t = &src->t[r.table];
        if (m->end_lsn <= t->last_lsn) continue;
        if (r.shape >= (uint32_t)t->nshapes) {
            rc = fl_errf(err, FL_ERR_CORRUPT, "transaction %u: a record of shape %u", m->xid,
                         r.shape);
            break;
        }
        /* the mirror's schema follows the shape of the record at hand
         * before it reaches the topic (the records before it, in the old
         * shape, decode in the new schema as well) */
        if (r.shape != t->mirror_shape && (rc = sync_mirror(src, t, r.shape, err))) break;
        /* a part of the transaction, the record at hand held back for the tx-end */
        if (t->npend && t->pend.len >= APPEND_BATCH_BYTES)
            rc = pend_append(src, t, m->lsn, m->end_lsn, ms, 0, err);
        if (!rc)
            pend_push_raw(t, &t->shapes[r.shape], r.key, r.key_len, r.value, r.value_len, r.ts_pos,
                          r.ts_pos == FL_TXBUF_NO_TS ? -1 : ms);
    }
    for (int i = 0; i < src->nt && !rc; i++)
        if (src->t[i].npend) rc = pend_flush(src, &src->t[i], m->lsn, m->end_lsn, ms, err);
    if (!rc) {
        src->last_end = m->end_lsn;
        pthread_mutex_lock(&src->mu);
        src->stats.txs++;
        src->stats.last_commit_ms = ms;
        pthread_mutex_unlock(&src->mu);
    }
    return rc;
}

/* The messages of protocol version 2's streamed transactions. */
static fl_err_t on_stream(struct fl_cdc_pg *src, const struct fl_pgo_msg *m, struct fl_error *err) {
    fl_err_t rc = FL_OK;
    struct fl_txbuf *tb = NULL;
    switch (m->kind) {
    case 'S':
        if (m->flags & 1) fl_txset_drop(src->txs, m->xid); /* a first segment starts afresh */
        src->cur = fl_txset_get(src->txs, m->xid, 1);
        src->xid = src->cur_sub = m->xid;
        return FL_OK;
    case 'E':
        src->cur = NULL;
        return FL_OK;
    case 'c':
        tb = fl_txset_get(src->txs, m->xid, 0);
        if (tb == src->cur) src->cur = NULL; /* (a server out of protocol) */
        if (tb && fl_txbuf_is_spilled(tb))
            fl_log(FL_LOG_INFO, "cdc %s: streamed transaction %u committed: %lld changes",
                   src->name, m->xid, (long long)fl_txbuf_count(tb));
        src->xid = m->xid;
        rc = tx_commit(src, tb, m, err);
        fl_txset_drop(src->txs, m->xid);
        return rc;
    default: /* 'A' */
        tb = fl_txset_get(src->txs, m->xid, 0);
        if (tb && tb == src->cur && m->subxid == m->xid) src->cur = NULL;
        int64_t dropped = 0;
        rc = fl_txset_abort(src->txs, m->xid, m->subxid, &dropped, err);
        if (!rc && m->subxid == m->xid && tb)
            fl_log(FL_LOG_INFO, "cdc %s: streamed transaction %u aborted: %lld changes dropped",
                   src->name, m->xid, (long long)dropped);
        else if (!rc && dropped)
            fl_log(FL_LOG_INFO,
                   "cdc %s: streamed transaction %u: subtransaction %u aborted: %lld changes "
                   "dropped",
                   src->name, m->xid, m->subxid, (long long)dropped);
        return rc;
    }
}

static fl_err_t on_xlogdata(struct fl_cdc_pg *src, const struct fl_pg_frame *f,
                            struct fl_error *err) {
    struct fl_pgo_msg m;
    fl_err_t rc = fl_pgo_decode(src->dec, f->data, f->len, &m, err);
    if (rc) return rc;
    if (f->wal_end > src->wal_end) src->wal_end = f->wal_end;
    if (m.streamed) src->cur_sub = m.xid; /* the subtransaction of the change */
    switch (m.kind) {
    case 'B':
        src->in_tx = 1;
        src->xid = src->cur_sub = m.xid;
        fl_txset_drop(src->txs, m.xid);
        src->cur = fl_txset_get(src->txs, m.xid, 1);
        return FL_OK;
    case 'C': {
        struct fl_txbuf *tb = src->cur;
        rc = tx_commit(src, tb, &m, err);
        if (tb) fl_txset_drop(src->txs, fl_txbuf_xid(tb));
        src->cur = NULL;
        src->in_tx = 0;
        return rc;
    }
    case 'S':
    case 'E':
    case 'c':
    case 'A':
        return on_stream(src, &m, err);
    case 'R':
        return on_relation(src, &m, err);
    case 'I':
    case 'U':
    case 'D':
        return on_change(src, &m, f->wal_start, err);
    case 'T':
        return on_truncate(src, &m, f->wal_start, err);
    default: /* Origin, Type, Message: nothing to mirror */
        return FL_OK;
    }
}

static int stopping(struct fl_cdc_pg *src) {
    pthread_mutex_lock(&src->mu);
    int s = src->stop;
    pthread_mutex_unlock(&src->mu);
    return s;
}

/* START_REPLICATION and the CopyData loop until an error or stop. */
static fl_err_t stream(struct fl_cdc_pg *src, PGconn *c, struct fl_error *err) {
    char *slot = quote_ident(c, src->slot);
    struct fl_buf sql;
    fl_buf_init(&sql, FL_BUF_NOMAX);
    /* publication_names is a list of identifiers inside a string literal */
    char *pubid = quote_ident(c, src->pub);
    char *publit = PQescapeLiteral(c, pubid, strlen(pubid));
    /* version 2 streams a large transaction before its commit (14 and later) */
    src->proto = !src->no_streaming && PQserverVersion(c) >= 140000 ? 2 : 1;
    fl_pgo_decoder_set_proto(src->dec, src->proto);
    fl_txset_clear(src->txs); /* the server sends open transactions again */
    src->cur = NULL;
    fl_buf_printf(&sql,
                  "START_REPLICATION SLOT %s LOGICAL 0/0 (proto_version '%d', %s"
                  "publication_names %s)",
                  slot, src->proto, src->proto == 2 ? "streaming 'on', " : "",
                  publit ? publit : "''");
    fl_buf_append_u8(&sql, 0);
    PQfreemem(publit);
    fl_free(pubid);
    fl_free(slot);
    fl_err_t rc =
        pg_run(c, NULL, PGRES_COPY_BOTH, "START_REPLICATION", err, (const char *)sql.data, 0, NULL);
    fl_buf_fini(&sql);
    if (rc) return rc;
    pthread_mutex_lock(&src->mu);
    src->stats.connected = 1;
    pthread_mutex_unlock(&src->mu);
    fl_log(FL_LOG_INFO, "cdc %s: streaming from slot %s (pgoutput protocol %d%s)", src->name,
           src->slot, src->proto, src->proto == 2 ? ", streaming large transactions" : "");
    int64_t last_status = 0;
    src->in_tx = 0;
    while (!rc && !stopping(src)) {
        char *buf = NULL;
        int n = PQgetCopyData(c, &buf, 1);
        if (n == 0) {
            int64_t now = fl_time_mono_us();
            if (now - last_status >= 1000000) {
                rc = send_status(src, c, err);
                last_status = now;
                if (rc) break;
            }
            fd_set rs;
            FD_ZERO(&rs);
            int fd = PQsocket(c);
            if (fd < 0) return fl_errf(err, FL_ERR_IO, "replication connection lost");
            FD_SET(fd, &rs);
            struct timeval tv = {0, 100000};
            if (select(fd + 1, &rs, NULL, NULL, &tv) < 0 && errno != EINTR)
                return fl_errf(err, FL_ERR_IO, "select: %s", strerror(errno));
            if (!PQconsumeInput(c))
                return fl_errf(err, FL_ERR_IO, "replication connection: %s", PQerrorMessage(c));
            continue;
        }
        if (n == -1) {
            PGresult *r = PQgetResult(c);
            rc = fl_errf(err, FL_ERR_IO, "the server ended replication: %s",
                         r ? PQresultErrorMessage(r) : PQerrorMessage(c));
            PQclear(r);
            break;
        }
        if (n < 0) return fl_errf(err, FL_ERR_IO, "replication: %s", PQerrorMessage(c));
        struct fl_pg_frame f;
        rc = fl_pg_frame_decode((const uint8_t *)buf, (size_t)n, &f, err);
        if (!rc && f.kind == 'k') {
            if (f.wal_end > src->wal_end) src->wal_end = f.wal_end;
            if (f.reply_requested) {
                rc = send_status(src, c, err);
                last_status = fl_time_mono_us();
            }
        } else if (!rc) {
            rc = on_xlogdata(src, &f, err);
        }
        PQfreemem(buf);
    }
    if (!rc) { /* stopping: a last status so the server knows what is done */
        struct fl_error e2 = {0};
        send_status(src, c, &e2);
    }
    return rc;
}

/* ---- the slot and the initial snapshot ---- */

/* Whether the state topic says the initial snapshot (or, for snapshot
 * never, the slot's creation) finished for this slot. */
static fl_err_t state_done(struct fl_cdc_pg *src, int *done, struct fl_error *err) {
    *done = 0;
    struct fl_log_partition_info info;
    int np = 0;
    fl_err_t rc = fl_log_topic_describe(src->log, src->state_topic, &np, NULL, &info, 1, err);
    if (rc || np < 1 || info.end_offset <= info.start_offset) return rc;
    struct fl_buf raw;
    fl_buf_init(&raw, FL_BUF_NOMAX);
    int64_t off = info.start_offset, next = off;
    while (!rc && off < info.end_offset) {
        fl_buf_reset(&raw);
        rc = fl_log_read(src->log, src->state_topic, 0, off, (size_t)1 << 20, &raw, &next, err);
        if (rc || raw.len == 0 || next <= off) break;
        struct fl_log_batch_iter it;
        struct fl_log_decoded rec;
        fl_log_batch_iter_init(&it, raw.data, raw.len);
        while (fl_log_batch_iter_next(&it, &rec, err) == FL_OK) {
            json_t *o =
                rec.value ? json_loadb((const char *)rec.value, rec.value_len, 0, NULL) : NULL;
            const char *ev = json_string_value(json_object_get(o, "event"));
            if (ev) *done = !strcmp(ev, "snapshot-done");
            json_decref(o);
        }
        fl_log_batch_iter_fini(&it);
        fl_err_clear(err);
        off = next;
    }
    fl_buf_fini(&raw);
    return rc;
}

static fl_err_t state_write(struct fl_cdc_pg *src, const char *event, uint64_t lsn,
                            struct fl_error *err) {
    char l[24], v[256];
    fl_pg_lsn_format(lsn, l, sizeof(l));
    snprintf(v, sizeof(v), "{\"event\":\"%s\",\"lsn\":\"%s\",\"ts_ms\":%lld}", event, l,
             (long long)(fl_time_now_us() / 1000));
    struct fl_log_record r = {
        .value = (const uint8_t *)v, .value_len = strlen(v), .timestamp_ms = -1};
    int64_t off;
    return fl_log_append(src->log, src->state_topic, 0, &r, 1, &off, err);
}

/* COPY of one table inside the exported snapshot: op r envelopes in
 * appends of SNAPSHOT_BATCH records, each batch ending a "transaction"
 * at the slot's consistent point. */
static fl_err_t copy_table(struct fl_cdc_pg *src, PGconn *c, struct tbl *t, uint64_t lsn,
                           struct fl_error *err) {
    struct fl_buf sql;
    fl_buf_init(&sql, FL_BUF_NOMAX);
    fl_buf_append_str(&sql, "COPY (SELECT ");
    for (int i = 0; i < t->ncols; i++) {
        char *q = quote_ident(c, t->cols[i].name);
        fl_buf_printf(&sql, "%s%s", i ? ", " : "", q);
        fl_free(q);
    }
    char *a = quote_ident(c, t->nsp), *b = quote_ident(c, t->rel);
    fl_buf_printf(&sql, " FROM %s.%s) TO STDOUT", a, b);
    fl_buf_append_u8(&sql, 0);
    fl_free(a);
    fl_free(b);
    /* the mirror follows the columns the copy reads (they may have
     * changed since the mirror was made) */
    fl_err_t rc = sync_mirror(src, t, (uint32_t)t->nshapes - 1, err);
    if (!rc) rc = pg_run(c, NULL, PGRES_COPY_OUT, "COPY", err, (const char *)sql.data, 0, NULL);
    fl_buf_fini(&sql);
    if (rc) return rc;
    struct fl_buf scratch;
    fl_buf_init(&scratch, FL_BUF_NOMAX);
    size_t *starts = fl_calloc((size_t)t->ncols + 1, sizeof(size_t));
    size_t *lens = fl_calloc((size_t)t->ncols + 1, sizeof(size_t));
    struct fl_pgo_value *vals = fl_calloc((size_t)t->ncols + 1, sizeof(*vals));
    int64_t now_us = fl_time_now_us();
    t->npend = 0;
    fl_buf_reset(&t->pend);
    fl_buf_reset(&t->keys);
    for (;;) {
        char *row = NULL;
        int n = PQgetCopyData(c, &row, 0);
        if (n == -1) break;
        if (n < 0) {
            rc = fl_errf(err, FL_ERR_IO, "COPY %s.%s: %s", t->nsp, t->rel, PQerrorMessage(c));
            break;
        }
        int nf = 0;
        rc = fl_pgt_copy_row((const uint8_t *)row, (size_t)n, &scratch, starts, lens, t->ncols, &nf,
                             err);
        PQfreemem(row);
        if (!rc && nf != t->ncols)
            rc = fl_errf(err, FL_ERR_CORRUPT, "COPY %s.%s: a row of %d fields, %d expected", t->nsp,
                         t->rel, nf, t->ncols);
        if (rc) break;
        for (int i = 0; i < t->ncols; i++)
            vals[i] = lens[i] == SIZE_MAX
                          ? (struct fl_pgo_value){'n', NULL, 0}
                          : (struct fl_pgo_value){'t', scratch.data + starts[i], (uint32_t)lens[i]};
        struct fl_pgo_tuple tu = {t->ncols, vals};
        struct fl_buf *e = &src->env;
        fl_buf_reset(e);
        fl_buf_append_str(e, "{\"before\":null,\"after\":");
        rc = env_tuple(e, t, &tu, err);
        if (rc) break;
        env_source(src, t, "true", lsn, now_us, 0);
        fl_buf_printf(e, ",\"op\":\"r\",\"ts_ms\":%lld,\"transaction\":null}",
                      (long long)(now_us / 1000));
        pend_push(t, e, &tu, &src->key);
        src->stats.snapshot_rows++;
        if (t->npend >= SNAPSHOT_BATCH) rc = pend_flush(src, t, lsn, lsn, now_us / 1000, err);
        if (rc) break;
    }
    PGresult *r;
    while ((r = PQgetResult(c))) {
        if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = fl_errf(err, FL_ERR_IO, "COPY %s.%s: %s", t->nsp, t->rel, PQresultErrorMessage(r));
        PQclear(r);
    }
    if (!rc && t->npend) rc = pend_flush(src, t, lsn, lsn, now_us / 1000, err);
    t->npend = 0;
    fl_buf_reset(&t->pend);
    fl_buf_reset(&t->keys);
    fl_free(starts);
    fl_free(lens);
    fl_free(vals);
    fl_buf_fini(&scratch);
    return rc;
}

/* The pg_class rows of a table and its partitions (or inheritance
 * children) whose file the snapshot does not know: the table was
 * rewritten or truncated since. $1 the table; pg_class is read as the
 * snapshot saw it, pg_relation_filenode() as it is now. */
static const char *REWRITTEN_SQL =
    "WITH RECURSIVE t(oid) AS (SELECT $1::regclass::oid UNION "
    "SELECT i.inhrelid FROM pg_inherits i JOIN t ON i.inhparent = t.oid) "
    "SELECT c.relname FROM t JOIN pg_class c ON c.oid = t.oid "
    "WHERE c.relkind IN ('r', 'm') AND c.relfilenode <> pg_relation_filenode(c.oid)";

/* Inside the snapshot's transaction, before anything is copied: every
 * table locked (ACCESS SHARE, as the COPY would: writes go on, only a
 * rewrite or TRUNCATE waits for the copy's end), then checked for a
 * rewrite between the snapshot and the lock. A rewriting ALTER TABLE
 * (ALTER COLUMN ... TYPE, ...) or TRUNCATE is not MVCC-safe: the table's
 * new file holds rows the snapshot cannot see, so the COPY would read
 * none of them, and the slot, whose changes start at the snapshot, does
 * not send them either: rows lost from the mirror. FL_ERR_CONFLICT then
 * (the caller makes the slot, and so the snapshot, again). */
static fl_err_t lock_unrewritten(struct fl_cdc_pg *src, PGconn *c, struct fl_error *err) {
    struct fl_buf sql;
    fl_buf_init(&sql, FL_BUF_NOMAX);
    fl_buf_append_str(&sql, "LOCK TABLE ");
    char **names = fl_calloc((size_t)src->nt, sizeof(char *));
    for (int i = 0; i < src->nt; i++) {
        char *a = quote_ident(c, src->t[i].nsp), *b = quote_ident(c, src->t[i].rel);
        size_t n = strlen(a) + strlen(b) + 2;
        names[i] = fl_malloc(n);
        snprintf(names[i], n, "%s.%s", a, b);
        fl_buf_printf(&sql, "%s%s", i ? ", " : "", names[i]);
        fl_free(a);
        fl_free(b);
    }
    fl_buf_append_str(&sql, " IN ACCESS SHARE MODE");
    fl_buf_append_u8(&sql, 0);
    fl_err_t rc =
        pg_run(c, NULL, PGRES_COMMAND_OK, "LOCK TABLE", err, (const char *)sql.data, 0, NULL);
    fl_buf_fini(&sql);
    for (int i = 0; !rc && i < src->nt; i++) {
        PGresult *r = NULL;
        const char *p[] = {names[i]};
        rc = pg_run(c, &r, PGRES_TUPLES_OK, "reading pg_class in the snapshot", err, REWRITTEN_SQL,
                    1, p);
        if (!rc && PQntuples(r) > 0)
            rc = fl_errf(err, FL_ERR_CONFLICT,
                         "table %s.%s was rewritten (ALTER TABLE or TRUNCATE of %s) after the "
                         "slot's snapshot: a copy in it would miss its rows",
                         src->t[i].nsp, src->t[i].rel, PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    for (int i = 0; i < src->nt; i++) fl_free(names[i]);
    fl_free(names);
    return rc;
}

/* Each table's columns as they are now, under the copy's lock (which
 * holds them so until the copy ends): changed since floe up read them
 * (before the slot's snapshot; a rewrite made the slot again, later), the
 * copy's records and, before them, the mirror follow the new ones. Read
 * on a connection of its own: in the copy's transaction pg_attribute is
 * seen as of the snapshot, while the COPY resolves columns as of now. */
static fl_err_t reload_columns(struct fl_cdc_pg *src, struct fl_error *err) {
    PGconn *c = pg_connect(src->uri, 0, err);
    if (!c) return FL_ERR_IO;
    fl_err_t rc = FL_OK;
    for (int i = 0; !rc && i < src->nt; i++) {
        struct tbl *t = &src->t[i];
        struct tbl now = {.nsp = t->nsp, .rel = t->rel};
        rc = load_columns(c, &now, err);
        int same = !rc && now.ncols == t->ncols;
        for (int k = 0; same && k < now.ncols; k++)
            same = !strcmp(now.cols[k].name, t->cols[k].name) &&
                   now.cols[k].oid == t->cols[k].oid && now.cols[k].typmod == t->cols[k].typmod;
        if (!rc && !same) {
            fl_log(FL_LOG_INFO,
                   "cdc %s: table %s.%s: its columns changed since floe read them: "
                   "the copy and the mirror follow them",
                   src->name, t->nsp, t->rel);
            shape_add(src, t, now.cols, now.ncols); /* owns them; older shapes stay valid */
            now.cols = NULL;
            now.ncols = 0;
        }
        cols_free(now.cols, now.ncols);
    }
    PQfinish(c);
    return rc;
}

static fl_err_t snapshot_copy(struct fl_cdc_pg *src, const char *snapname, uint64_t lsn,
                              struct fl_error *err) {
    PGconn *c = pg_connect(src->uri, 0, err);
    if (!c) return FL_ERR_IO;
    fl_err_t rc = pg_run(c, NULL, PGRES_COMMAND_OK, "BEGIN", err,
                         "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL);
    if (!rc) {
        char *lit = PQescapeLiteral(c, snapname, strlen(snapname));
        char q[256];
        snprintf(q, sizeof(q), "SET TRANSACTION SNAPSHOT %s", lit ? lit : "''");
        PQfreemem(lit);
        rc = pg_run(c, NULL, PGRES_COMMAND_OK, "SET TRANSACTION SNAPSHOT", err, q, 0, NULL);
    }
    if (!rc) rc = lock_unrewritten(src, c, err);
    if (!rc) rc = reload_columns(src, err);
    if (!rc) { /* what the copy sees: xmin:xmax:running xids, for the log */
        PGresult *r = NULL;
        rc = pg_run(c, &r, PGRES_TUPLES_OK, "reading the exported snapshot", err,
                    "SELECT pg_current_snapshot()::text", 0, NULL);
        if (!rc)
            fl_log(FL_LOG_INFO, "cdc %s: copying inside snapshot %s (xmin:xmax:running %s)",
                   src->name, snapname, PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    for (int i = 0; !rc && i < src->nt; i++) {
        int64_t before = src->stats.snapshot_rows;
        rc = copy_table(src, c, &src->t[i], lsn, err);
        if (!rc)
            fl_log(FL_LOG_INFO, "cdc %s: snapshot of %s.%s: %lld rows", src->name, src->t[i].nsp,
                   src->t[i].rel, (long long)(src->stats.snapshot_rows - before));
    }
    if (!rc) rc = pg_run(c, NULL, PGRES_COMMAND_OK, "COMMIT", err, "COMMIT", 0, NULL);
    PQfinish(c);
    return rc;
}

/* The slot as this source needs it: made (with the initial snapshot)
 * when missing or when an earlier snapshot did not finish. */
static fl_err_t ensure_slot(struct fl_cdc_pg *src, PGconn *rep, struct fl_error *err) {
    PGconn *c = pg_connect(src->uri, 0, err);
    if (!c) return FL_ERR_IO;
    PGresult *r = NULL;
    const char *p[] = {src->slot};
    fl_err_t rc = pg_run(c, &r, PGRES_TUPLES_OK, "reading pg_replication_slots", err,
                         "SELECT confirmed_flush_lsn, wal_status, plugin, database = "
                         "current_database() FROM pg_replication_slots WHERE slot_name = $1",
                         1, p);
    PQfinish(c);
    if (rc) return rc;
    int exists = PQntuples(r) > 0, done = 0;
    uint64_t confirmed = 0;
    if (exists) {
        const char *ws = PQgetvalue(r, 0, 1), *plugin = PQgetvalue(r, 0, 2);
        if (!strcmp(ws, "lost"))
            rc = fl_errf(err, FL_ERR_INVALID,
                         "replication slot %s was invalidated (wal_status lost): the changes since "
                         "its last confirmed LSN are gone; drop the slot and the state topic %s "
                         "to copy the tables again",
                         src->slot, src->state_topic);
        else if (strcmp(plugin, "pgoutput") || PQgetvalue(r, 0, 3)[0] != 't')
            rc = fl_errf(err, FL_ERR_INVALID,
                         "replication slot %s uses plugin %s or another database, not pgoutput "
                         "on this one",
                         src->slot, plugin);
        else if (!PQgetisnull(r, 0, 0))
            fl_pg_lsn_parse(PQgetvalue(r, 0, 0), &confirmed, err);
    }
    PQclear(r);
    if (!rc) rc = state_done(src, &done, err);
    if (rc) return rc;
    char *slot = quote_ident(rep, src->slot);
    char q[600];
    if (exists && !done && src->snapshot) {
        fl_log(FL_LOG_WARN, "cdc %s: slot %s exists but no snapshot finished: copying again",
               src->name, src->slot);
        /* what the unfinished copy left: its records stay in the topics
         * (read again, the mirror upserts the same rows) */
        for (int i = 0; i < src->nt; i++) {
            struct fl_log_partition_info info;
            int np = 0;
            struct fl_error e2 = {0};
            if (!fl_log_topic_describe(src->log, src->t[i].topic, &np, NULL, &info, 1, &e2) &&
                np > 0 && info.end_offset > info.start_offset)
                fl_log(FL_LOG_WARN,
                       "cdc %s: topic %s holds %lld records before the new copy (its op r "
                       "records will be there twice)",
                       src->name, src->t[i].topic,
                       (long long)(info.end_offset - info.start_offset));
        }
        snprintf(q, sizeof(q), "DROP_REPLICATION_SLOT %s WAIT", slot);
        rc = pg_run(rep, NULL, PGRES_COMMAND_OK, "DROP_REPLICATION_SLOT", err, q, 0, NULL);
        exists = 0;
    } else if (!exists && done) {
        pthread_mutex_lock(&src->mu);
        src->slot_seen = 1; /* the health check reports it missing too */
        pthread_mutex_unlock(&src->mu);
        rc = fl_errf(err, FL_ERR_NOTFOUND,
                     "replication slot %s is missing although floe streamed from it: changes may "
                     "have been lost; delete the state topic %s to copy the tables again",
                     src->slot, src->state_topic);
    }
    /* a table rewritten between the snapshot and the copy's lock: the
     * slot (and its snapshot) made again, a few times */
    for (int attempt = 1; !rc && !exists; attempt++) {
        snprintf(q, sizeof(q), "CREATE_REPLICATION_SLOT %s LOGICAL pgoutput %s", slot,
                 src->snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
        rc = pg_run(rep, &r, PGRES_TUPLES_OK, "CREATE_REPLICATION_SLOT", err, q, 0, NULL);
        if (rc) break;
        exists = 1;
        uint64_t lsn = 0;
        rc = fl_pg_lsn_parse(PQgetvalue(r, 0, 1), &lsn, err);
        fl_log(FL_LOG_INFO, "cdc %s: created slot %s at %s", src->name, src->slot,
               PQgetvalue(r, 0, 1));
        /* the exported snapshot lives until the next command on rep */
        if (!rc && src->snapshot) rc = snapshot_copy(src, PQgetvalue(r, 0, 2), lsn, err);
        PQclear(r);
        if (rc == FL_ERR_CONFLICT) {
            fl_log(FL_LOG_WARN, "cdc %s: %s: making slot %s again (attempt %d)", src->name,
                   err->msg, src->slot, attempt + 1);
            snprintf(q, sizeof(q), "DROP_REPLICATION_SLOT %s WAIT", slot);
            struct fl_error e2 = {0};
            if (pg_run(rep, NULL, PGRES_COMMAND_OK, "DROP_REPLICATION_SLOT", &e2, q, 0, NULL)) {
                fl_err_prefix(&e2, "%s; then", err->msg);
                *err = e2;
                break;
            }
            exists = 0;
            if (attempt < 5) {
                fl_err_clear(err);
                rc = FL_OK;
            }
            continue;
        }
        if (!rc) rc = state_write(src, "snapshot-done", lsn, err);
        confirmed = lsn;
    }
    fl_free(slot);
    if (!rc && confirmed > src->confirmed) src->confirmed = confirmed;
    if (!rc) {
        pthread_mutex_lock(&src->mu);
        src->slot_seen = 1;
        pthread_mutex_unlock(&src->mu);
    }
    /* after a restart the topics may hold transactions the mirrors have
     * not committed yet: they hold the confirmed LSN where the slot has it */
    for (int i = 0; !rc && i < src->nt; i++) {
        struct tbl *t = &src->t[i];
        struct fl_log_partition_info info;
        int np = 0;
        if (t->qn || fl_log_topic_describe(src->log, t->topic, &np, NULL, &info, 1, err) || np < 1)
            continue;
        pthread_mutex_lock(&src->mu);
        q_push(t, info.end_offset, src->confirmed, fl_time_now_us() / 1000);
        pthread_mutex_unlock(&src->mu);
    }
    if (!rc) fl_err_clear(err);
    return rc;
}

static void *run(void *arg) {
    struct fl_cdc_pg *src = arg;
    int64_t backoff_ms = 500;
    while (!stopping(src)) {
        struct fl_error err = {0};
        PGconn *rep = pg_connect(src->uri, 1, &err);
        fl_err_t rc = rep ? ensure_slot(src, rep, &err) : FL_ERR_IO;
        int64_t before = src->stats.txs;
        if (!rc) rc = stream(src, rep, &err);
        PQfinish(rep);
        pthread_mutex_lock(&src->mu);
        src->stats.connected = 0;
        if (rc) {
            snprintf(src->stats.last_error, sizeof(src->stats.last_error), "%s", err.msg);
            src->stats.reconnects++;
        }
        pthread_mutex_unlock(&src->mu);
        if (!rc || stopping(src)) break;
        fl_log(FL_LOG_ERROR, "cdc %s: %s (retrying in %lld ms)", src->name, err.msg,
               (long long)backoff_ms);
        if (src->stats.txs > before) backoff_ms = 500;
        pthread_mutex_lock(&src->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + (backoff_ms % 1000) * 1000000;
        ts.tv_sec += (time_t)(backoff_ms / 1000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        if (!src->stop) pthread_cond_timedwait(&src->cv, &src->mu, &ts);
        pthread_mutex_unlock(&src->mu);
        backoff_ms = backoff_ms * 2 > 30000 ? 30000 : backoff_ms * 2;
    }
    return NULL;
}

/* ---- the slot's health ---- */

/* pg_replication_slots' columns for the slot, as far as the server has
 * them (wal_status and safe_wal_size from 13, conflicting in 16,
 * invalidation_reason from 17), and the WAL past its confirmed LSN. */
static void slot_sql(int version, char *q, size_t qsz) {
    const char *inv = version >= 170000   ? "COALESCE(invalidation_reason, '')"
                      : version >= 160000 ? "CASE WHEN conflicting THEN 'conflicting' ELSE '' END"
                                          : "''";
    snprintf(q, qsz,
             "SELECT active, %s, %s, pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN "
             "pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END, confirmed_flush_lsn)"
             "::bigint, %s FROM pg_replication_slots WHERE slot_name = $1",
             version >= 130000 ? "wal_status" : "NULL::text",
             version >= 130000 ? "safe_wal_size" : "NULL::bigint", inv);
}

/* What is wrong with the slot as read (sl), "" when nothing; the log
 * level it deserves. */
static int slot_problem(const struct fl_cdc_pg *src, struct fl_cdc_pg_slot *sl, int seen) {
    sl->problem[0] = 0;
    int level = FL_LOG_ERROR;
    if (!sl->exists && seen)
        snprintf(sl->problem, sizeof(sl->problem),
                 "replication slot %s is missing (dropped behind floe's back?): the changes "
                 "since floe's confirmed LSN are lost",
                 src->slot);
    else if (sl->exists && (!strcmp(sl->wal_status, "lost") || sl->invalidation[0]))
        snprintf(sl->problem, sizeof(sl->problem),
                 "replication slot %s is invalidated (wal_status %s%s%s): PostgreSQL removed WAL "
                 "floe had not confirmed; drop the slot and the state topic %s to copy the "
                 "tables again",
                 src->slot, sl->wal_status[0] ? sl->wal_status : "?",
                 sl->invalidation[0] ? ", " : "", sl->invalidation, src->state_topic);
    else if (sl->exists && !strcmp(sl->wal_status, "unreserved")) {
        level = FL_LOG_WARN;
        snprintf(sl->problem, sizeof(sl->problem),
                 "replication slot %s is about to be invalidated (wal_status unreserved: the WAL "
                 "it needs is past max_slot_wal_keep_size)",
                 src->slot);
    }
    return level;
}

/* One check on c (connected when NULL); the connection is dropped after
 * a failure. */
static void slot_check(struct fl_cdc_pg *src, PGconn **c) {
    struct fl_cdc_pg_slot sl = {
        .checked_ms = fl_time_now_us() / 1000, .safe_wal_size = -1, .lag_bytes = -1};
    struct fl_error err = {0};
    PGresult *r = NULL;
    fl_err_t rc = FL_ERR_IO;
    /* a connection the server closed since (a restart) is made again once */
    for (int attempt = 0; attempt < 2 && rc; attempt++) {
        if (!*c) *c = pg_connect(src->uri, 0, &err);
        if (!*c) break;
        char q[600];
        slot_sql(PQserverVersion(*c), q, sizeof(q));
        const char *p[] = {src->slot};
        fl_err_clear(&err);
        rc = pg_run(*c, &r, PGRES_TUPLES_OK, "reading pg_replication_slots", &err, q, 1, p);
        if (rc) {
            PQfinish(*c);
            *c = NULL;
        }
    }
    pthread_mutex_lock(&src->mu);
    int seen = src->slot_seen;
    pthread_mutex_unlock(&src->mu);
    if (!rc && PQntuples(r) > 0) {
        sl.exists = 1;
        sl.active = PQgetvalue(r, 0, 0)[0] == 't';
        snprintf(sl.wal_status, sizeof(sl.wal_status), "%s", PQgetvalue(r, 0, 1));
        if (!PQgetisnull(r, 0, 2)) sl.safe_wal_size = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
        if (!PQgetisnull(r, 0, 3)) sl.lag_bytes = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
        snprintf(sl.invalidation, sizeof(sl.invalidation), "%s", PQgetvalue(r, 0, 4));
    }
    PQclear(r);
    int level = FL_LOG_WARN;
    if (rc) {
        snprintf(sl.problem, sizeof(sl.problem), "slot health check: %.480s", err.msg);
    } else {
        level = slot_problem(src, &sl, seen);
    }
    pthread_mutex_lock(&src->mu);
    int changed = strcmp(sl.problem, src->stats.slot.problem) != 0;
    src->stats.slot = sl;
    pthread_mutex_unlock(&src->mu);
    if (changed && sl.problem[0])
        fl_log(level, "cdc %s: %s", src->name, sl.problem);
    else if (changed)
        fl_log(FL_LOG_INFO, "cdc %s: replication slot %s is healthy", src->name, src->slot);
}

static void *health_run(void *arg) {
    struct fl_cdc_pg *src = arg;
    PGconn *c = NULL;
    pthread_mutex_lock(&src->mu);
    while (!src->stop) {
        pthread_mutex_unlock(&src->mu);
        slot_check(src, &c);
        pthread_mutex_lock(&src->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + (int64_t)(FL_CDC_SLOT_CHECK_MS % 1000) * 1000000;
        ts.tv_sec += (time_t)(FL_CDC_SLOT_CHECK_MS / 1000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        if (!src->stop) pthread_cond_timedwait(&src->cv, &src->mu, &ts);
    }
    pthread_mutex_unlock(&src->mu);
    PQfinish(c);
    return NULL;
}

fl_err_t fl_cdc_pg_start(struct fl_cdc_pg *src, struct fl_error *err) {
    for (int i = 0; i < src->nt; i++) {
        fl_err_t rc = fl_pipe_start(src->t[i].pipe, err);
        if (rc) return rc;
    }
    if (src->running) return FL_OK;
    src->stop = 0;
    if (pthread_create(&src->thread, NULL, run, src) != 0)
        return fl_errf(err, FL_ERR_NOMEM, "cdc %s: cannot start a thread", src->name);
    src->running = 1;
    if (pthread_create(&src->health, NULL, health_run, src) != 0)
        return fl_errf(err, FL_ERR_NOMEM, "cdc %s: cannot start a thread", src->name);
    src->health_running = 1;
    return FL_OK;
}

int fl_cdc_pg_pipes(const struct fl_cdc_pg *src, struct fl_pipe *const **pipes) {
    *pipes = src->pipes;
    return src->nt;
}

const char *fl_cdc_pg_name(const struct fl_cdc_pg *src) { return src->name; }

void fl_cdc_pg_get_stats(struct fl_cdc_pg *src, struct fl_cdc_pg_stats *out) {
    pthread_mutex_lock(&src->mu);
    *out = src->stats;
    pthread_mutex_unlock(&src->mu);
}
