/*
 * pipeline.c - topic -> Iceberg table, exactly once (see pipeline.h).
 *
 * How a step works: for every partition, read record batches from the
 * committed next offset, decode each record's JSON value into a row of
 * the table's schema (records that do not fit go to the dead-letter
 * topic, acknowledged there before the commit that skips them), then one
 * appender commit whose snapshot summary carries the new offsets. A crash
 * before the commit leaves the old offsets in the table: the step is
 * redone from there. A crash after it: the offsets say so. The dead-letter
 * topic may see a record twice after a crash (at-least-once there).
 *
 * Per record: decode through the map (the value's JSON object, or for
 * decode "pointer" every object of the file it names: one streaming
 * parse into the row, the derived columns appended after it), validate,
 * end the row in the step's batch. In upsert mode the whole step's batch is then
 * planned against the table (upsert.c) and its rows, its position
 * deletes and the offsets go into one snapshot, or into none when the
 * plan is empty (see pipeline.h for why the offsets may then wait).
 *
 * fl_pipe_step is its phases, one function each, over one struct step:
 * step_open (windows, map, batch, decoder, appender), step_read (every
 * partition, each read handed to step_decode), step_plan (dead letters
 * made durable, windows, the upsert plan or the appended rows),
 * step_commit (one snapshot with the offsets), then step_account moves
 * the offsets and writes the stats, once for a step with or without a
 * snapshot.
 */
#include "pipeline/pipeline.h"
#include "batch/json_decode.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"
#include "iceberg/prune.h"
#include "iceberg/retention.h"
#include "iceberg/table.h"
#include "pipeline/offsets.h"
#include "log/batch.h"
#include "pipeline/debezium.h"
#include "pipeline/pointer.h"
#include "pipeline/upsert.h"
#include "pipeline/window_pg.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_BYTES ((size_t)4 << 20)

const int64_t FL_PIPE_FRESH_BOUNDS_MS[FL_PIPE_FRESH_NB] = {
    10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 3600000};

struct fl_pipe {
    struct fl_log *log;
    struct fl_store *st;
    struct fl_catalog *cat;
    char *name, *topic, *ns, *table, *dlq;
    int64_t interval_ms, max_records;
    int npart;
    int64_t *next; /* per partition: the next offset to consume */
    struct fl_ice_table *tbl;
    uint32_t commit_hist[FL_PIPE_COMMIT_HIST_MS + 1]; /* commits per ms of latency; mu */
    int decode;
    size_t ptr_max;
    int *keycols;    /* upsert key: column indexes in the current schema */
    int32_t *keyids; /* their field ids (no window), to find them again in an evolved schema */
    int nkey;
    int reload; /* mu: reload the table before the next step (fl_pipe_reload_table) */
    struct fl_pipe_validator *val;
    struct dead_letter *pending; /* the step's dead letters, appended before its commit */
    size_t npending, cpending;
    struct fl_pipe_window *win; /* window step, or NULL */
    struct fl_schema *wout;     /* the result schema the window writes (a copy) */
    struct fl_pipe_pg *pg;      /* its PostgreSQL sink, or NULL */
    int win_stale;              /* a step failed: reload the windows first */
    struct fl_pipe_map *map;
    /* Kafka source, or NULL (the log's topic) */
    struct fl_ksrc *ks;
    struct fl_ice_table *kfresh; /* the table as of a rebalance (fresh, not p->tbl mid-step) */
    const char *cur_topic;       /* the topic of the record being decoded */
    int64_t klag;                /* Kafka lag as of the last step */
    bool tx_aligned;
    struct fl_pipe_stats stats;
    pthread_t thread;
    int running;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

static char *summary_key(const char *topic) {
    size_t n = strlen(topic) + 16;
    char *k = fl_malloc(n);
    snprintf(k, n, "floe.offsets.%s", topic);
    return k;
}

/* The latest snapshot of the current lineage whose summary records our
 * offsets (the current one may be someone else's), or FL_ICE_NO_SNAPSHOT. */
static int64_t our_snapshot(struct fl_pipe *p, const char **offsets) {
    char *key = summary_key(p->topic);
    int64_t snap = p->tbl->meta->current_snapshot_id;
    const char *v = NULL;
    for (int guard = 0; snap != FL_ICE_NO_SNAPSHOT && guard <= p->tbl->meta->nsnapshots; guard++) {
        if ((v = fl_ice_snapshot_summary(p->tbl->meta, snap, key))) break;
        const struct fl_ice_snapshot *s = fl_ice_meta_snapshot(p->tbl->meta, snap);
        snap = s ? s->parent_id : FL_ICE_NO_SNAPSHOT;
    }
    fl_free(key);
    *offsets = v;
    return v ? snap : FL_ICE_NO_SNAPSHOT;
}

/* Every partition's offsets, in an array sized from the topic itself
 * (no fixed cap): *info (the caller frees it) gets *np entries. */
static fl_err_t describe_partitions(struct fl_log *log, const char *topic,
                                    struct fl_log_partition_info **info, int *np,
                                    struct fl_error *err) {
    int n = 0;
    *info = NULL;
    *np = 0;
    fl_err_t rc = fl_log_topic_describe(log, topic, &n, NULL, NULL, 0, err);
    if (rc || n < 1) return rc;
    int cap = n;
    *info = fl_calloc((size_t)cap, sizeof(**info));
    rc = fl_log_topic_describe(log, topic, &n, NULL, *info, cap, err);
    *np = rc ? 0 : (n < cap ? n : cap); /* the topic may have been recreated meanwhile */
    return rc;
}

/* Partitions added to the topic since the last step (Kafka's
 * CreatePartitions, floe topic alter) are read from offset 0 on: their
 * offsets join the next commit's. A topic never loses partitions; one
 * deleted and made again smaller keeps the larger count here, and the
 * reads of the missing ones fail the step. @locality the pipeline's thread */
static fl_err_t grow_partitions(struct fl_pipe *p, struct fl_error *err) {
    int n = 0;
    fl_err_t rc = fl_log_topic_describe(p->log, p->topic, &n, NULL, NULL, 0, err);
    if (rc || n <= p->npart) return rc;
    if (n > FL_LOG_MAX_PARTITIONS)
        return fl_errf(err, FL_ERR_LIMIT, "topic %s has %d partitions", p->topic, n);
    p->next = fl_reallocarray(p->next, (size_t)n, sizeof(int64_t));
    for (int i = p->npart; i < n; i++) p->next[i] = 0;
    fl_log(FL_LOG_INFO, "pipeline %s: topic %s grew from %d to %d partitions", p->name, p->topic,
           p->npart, n);
    p->npart = n;
    return FL_OK;
}

/* The offsets recorded by the table's current snapshot (0 when none). */
static void load_offsets(struct fl_pipe *p) {
    for (int i = 0; i < p->npart; i++) p->next[i] = 0;
    const char *v = NULL;
    our_snapshot(p, &v);
    if (!v) return;
    json_t *o = json_loads(v, 0, NULL);
    const char *k;
    json_t *jv;
    json_object_foreach(o, k, jv) {
        long part = strtol(k, NULL, 10);
        if (part >= 0 && part < p->npart && json_is_integer(jv))
            p->next[part] = json_integer_value(jv);
    }
    json_decref(o);
}

static fl_err_t restore_windows(void *win, const struct fl_batch *b, const char *path,
                                const int64_t *pos, struct fl_error *err) {
    (void)path, (void)pos;
    fl_err_t rc = FL_OK;
    for (size_t r = 0; !rc && r < b->nrows; r++) rc = fl_pipe_window_restore(win, b, r, err);
    return rc;
}

/* The window step's state as of our last commit: the largest event time
 * from its summary, then every still-open window from the table's rows
 * (only files that may hold windows ending after the watermark are read). */
static fl_err_t load_windows(struct fl_pipe *p, struct fl_error *err) {
    fl_pipe_window_reset(p->win);
    const char *v = NULL;
    int64_t snap = our_snapshot(p, &v);
    const char *mx =
        snap != FL_ICE_NO_SNAPSHOT
            ? fl_ice_snapshot_summary(p->tbl->meta, snap, FL_PIPE_WINDOW_SUMMARY_MAX_EVENT)
            : NULL;
    if (!mx) return FL_OK; /* nothing committed yet */
    char *end;
    long long m = strtoll(mx, &end, 10);
    if (*end || end == mx)
        return fl_errf(err, FL_ERR_CORRUPT, "snapshot %lld: %s is not a number", (long long)snap,
                       FL_PIPE_WINDOW_SUMMARY_MAX_EVENT);
    fl_pipe_window_set_max_event(p->win, m);
    int key[FL_PIPE_WINDOW_MAX_KEYS + 1];
    fl_pipe_window_result_key(p->win, key);
    const struct fl_schema *s = fl_ice_meta_current_schema(p->tbl->meta);
    int endcol = fl_schema_index_by_name(s, "window_end");
    struct fl_batch *lit = NULL;
    struct fl_ice_scan *sc = NULL;
    fl_err_t rc = fl_batch_new(s, 1, &lit, err);
    for (int c = 0; !rc && c < lit->ncols; c++)
        rc = c == endcol ? fl_col_append_i64(&lit->cols[c], fl_pipe_window_watermark(p->win))
                         : fl_col_append_null(&lit->cols[c]);
    if (!rc) rc = fl_batch_end_row(lit);
    struct fl_ice_pred pred = {s->fields[endcol].id, FL_ICE_OP_GT, lit ? &lit->cols[endcol] : NULL,
                               0};
    if (!rc) rc = fl_ice_scan_open_where(p->tbl, snap, &pred, 1, &sc, err);
    if (!rc) rc = fl_ice_scan_each(sc, restore_windows, p->win, err);
    fl_ice_scan_free(sc);
    fl_batch_free(lit);
    if (rc) fl_err_prefix(err, "reloading the open windows of %s.%s", p->ns, p->table);
    return rc;
}

/* Opens the window step: the result table (created when absent), the
 * step over a copy of its schema, its upsert key, the state of our last
 * commit, the PostgreSQL sink. */
static fl_err_t open_window(struct fl_pipe *p, const struct fl_pipe_config *cfg,
                            struct fl_error *err) {
    fl_err_t rc = fl_pipe_window_config_check(cfg->window, err);
    if (rc) return rc;
    struct fl_error probe = {0};
    rc = fl_ice_table_load(p->st, fl_catalog_ice(p->cat), cfg->ns, cfg->table, &p->tbl, &probe);
    if (rc == FL_ERR_NOTFOUND) {
        char *json = fl_pipe_window_table_schema(cfg->window);
        struct fl_schema *schema = NULL;
        struct fl_ice_spec *spec = NULL;
        const char *terms[] = {"day(window_start)"};
        rc = fl_schema_parse(json, strlen(json), &schema, err);
        if (!rc)
            rc = fl_ice_spec_from_terms(schema, 0, terms, 1, FL_ICE_PARTITION_FIELD_ID_START, &spec,
                                        err);
        struct fl_ice_kv props[FL_ICE_FLOE_PROPS];
        int nprops = fl_ice_floe_table_props(NULL, 0, props, FL_ICE_FLOE_PROPS);
        if (!rc)
            rc = fl_ice_table_create(p->st, fl_catalog_ice(p->cat), cfg->ns, cfg->table, schema,
                                     spec, props, nprops, &p->tbl, err);
        if (rc == FL_ERR_EXISTS) { /* someone else was first */
            fl_err_clear(err);
            rc =
                fl_ice_table_load(p->st, fl_catalog_ice(p->cat), cfg->ns, cfg->table, &p->tbl, err);
        }
        fl_ice_spec_free(spec);
        fl_schema_free(schema);
        fl_free(json);
    } else if (rc) {
        *err = probe;
    }
    if (rc) return rc;
    p->wout = fl_schema_dup(fl_ice_meta_current_schema(p->tbl->meta));
    rc = fl_pipe_window_new(cfg->window, p->wout, &p->win, err);
    if (rc) return rc;
    p->keycols = fl_calloc(FL_PIPE_WINDOW_MAX_KEYS + 1, sizeof(int));
    p->nkey = fl_pipe_window_result_key(p->win, p->keycols);
    for (int k = 0; k < cfg->window->nkey; k++)
        fl_pipe_validator_require(p->val, cfg->window->key[k]);
    fl_pipe_validator_require(p->val, cfg->window->time_col);
    rc = load_windows(p, err);
    if (!rc && cfg->window->pg_uri)
        rc = fl_pipe_pg_new(cfg->window->pg_uri,
                            cfg->window->pg_table ? cfg->window->pg_table : cfg->table, cfg->window,
                            p->wout, &p->pg, err);
    return rc;
}

/* The upsert key: the configured columns, else the table's identifier
 * fields, else none (append). Key columns are implicitly required. */
static fl_err_t resolve_key(struct fl_pipe *p, const struct fl_pipe_config *cfg,
                            struct fl_error *err) {
    const struct fl_schema *s = fl_ice_meta_current_schema(p->tbl->meta);
    int n = cfg->nkey > 0 ? cfg->nkey : s->nidentifier;
    if (n <= 0) return FL_OK;
    p->keycols = fl_calloc((size_t)n, sizeof(int));
    p->keyids = fl_calloc((size_t)n, sizeof(int32_t));
    for (int k = 0; k < n; k++) {
        int found = -1;
        for (int c = 0; c < s->nfields && found < 0; c++)
            if (cfg->nkey > 0 ? !strcmp(s->fields[c].name, cfg->key[k])
                              : s->fields[c].id == s->identifier_ids[k])
                found = c;
        if (found < 0 || s->fields[found].type == FL_TYPE_STRUCT ||
            s->fields[found].type == FL_TYPE_LIST || s->fields[found].type == FL_TYPE_MAP)
            return fl_errf(err, FL_ERR_INVALID,
                           "key column %s is not a top-level primitive column of %s.%s",
                           cfg->nkey > 0 ? cfg->key[k] : "(identifier field)", cfg->ns, cfg->table);
        p->keyids[p->nkey] = s->fields[found].id;
        p->keycols[p->nkey++] = found;
        fl_pipe_validator_require(p->val, s->fields[found].name); /* checked on the decoded row */
    }
    return FL_OK;
}

/* The table's state for floe status (the pipeline's thread, or before it runs). */
static void note_table(struct fl_pipe *p) {
    const struct fl_ice_meta *meta = p->tbl->meta;
    const struct fl_ice_snapshot *snap = fl_ice_meta_snapshot(meta, meta->current_snapshot_id);
    const char *files =
        fl_ice_snapshot_summary(meta, meta->current_snapshot_id, "total-data-files");
    const char *bytes =
        fl_ice_snapshot_summary(meta, meta->current_snapshot_id, "total-files-size");
    int64_t consumed = 0;
    for (int i = 0; i < p->npart; i++) consumed += p->next[i];
    char parts[sizeof(p->stats.partitions)] = "";
    if (p->ks) {
        fl_ksrc_lag(p->ks, &consumed, &p->klag);
        fl_ksrc_assigned_text(p->ks, parts, sizeof(parts));
    }
    pthread_mutex_lock(&p->mu);
    p->stats.consumed = consumed;
    p->stats.lag = p->klag;
    memcpy(p->stats.partitions, parts, sizeof(parts));
    p->stats.snapshots = meta->nsnapshots;
    p->stats.last_commit_ms = snap ? snap->timestamp_ms : -1;
    p->stats.data_files = files ? strtoll(files, NULL, 10) : 0;
    p->stats.data_bytes = bytes ? strtoll(bytes, NULL, 10) : 0;
    pthread_mutex_unlock(&p->mu);
}

/* Kafka source: where an assigned partition starts (kafka_source.h's
 * start callback), the offset the table records, read from a fresh load
 * of the table (p->tbl is the running step's; a rebalance comes inside
 * its poll), loaded once per poll. -1 when the table records none or
 * cannot be read (then the group's offset, which lags the table's: the
 * commit check refuses what that would write twice). */
static int64_t kafka_start(void *ctx, const char *topic, int32_t partition) {
    struct fl_pipe *p = ctx;
    struct fl_error e = {0};
    if (!p->kfresh &&
        fl_ice_table_load(p->st, fl_catalog_ice(p->cat), p->ns, p->table, &p->kfresh, &e)) {
        fl_log(FL_LOG_ERROR, "pipeline %s: %s", p->name, e.msg);
        return -1;
    }
    return fl_pipe_offsets_get(fl_pipe_offsets_recorded(p->kfresh->meta, topic), partition);
}

static void kafka_fresh_done(struct fl_pipe *p) {
    fl_ice_table_free(p->kfresh);
    p->kfresh = NULL;
}

fl_err_t fl_pipe_new(struct fl_log *log, struct fl_store *st, struct fl_catalog *cat,
                     const struct fl_pipe_config *cfg, struct fl_pipe **out, struct fl_error *err) {
    struct fl_pipe *p = fl_calloc(1, sizeof(*p));
    p->log = log;
    p->st = st;
    p->cat = cat;
    p->name = fl_strdup(cfg->name ? cfg->name : cfg->topic);
    p->topic = fl_strdup(cfg->kafka ? p->name : cfg->topic); /* kafka: names the dead letters */
    p->cur_topic = p->topic;
    p->ns = fl_strdup(cfg->ns);
    p->table = fl_strdup(cfg->table);
    if (cfg->dlq_topic)
        p->dlq = fl_strdup(cfg->dlq_topic);
    else {
        size_t n = strlen(p->topic) + 8;
        p->dlq = fl_malloc(n);
        snprintf(p->dlq, n, "%s.dlq", p->topic);
    }
    p->interval_ms = cfg->commit_interval_ms > 0 ? cfg->commit_interval_ms : 1000;
    p->max_records = cfg->max_batch_records > 0 ? cfg->max_batch_records : 1000000;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    fl_err_t rc = cfg->kafka && cfg->window
                      ? fl_errf(err, FL_ERR_INVALID, "a window step needs floe's log as source")
                  : cfg->kafka
                      ? FL_OK
                      : fl_log_topic_describe(log, cfg->topic, &p->npart, NULL, NULL, 0, err);
    if (!rc && !cfg->kafka && (p->npart < 1 || p->npart > FL_LOG_MAX_PARTITIONS))
        rc = fl_errf(err, FL_ERR_LIMIT, "topic %s has %d partitions", cfg->topic, p->npart);
    if (!rc) {
        struct fl_log_topic_config dc;
        fl_log_topic_config_default(&dc);
        rc = fl_log_topic_ensure(log, p->dlq, &dc, err);
    }
    p->decode = cfg->decode;
    p->ptr_max = cfg->pointer_max_bytes ? cfg->pointer_max_bytes : FL_PIPE_POINTER_MAX_BYTES;
    p->val = fl_pipe_validator_new(&cfg->rules);
    if (!rc && cfg->window)
        rc = open_window(p, cfg, err);
    else if (!rc)
        rc = fl_ice_table_load(st, fl_catalog_ice(cat), cfg->ns, cfg->table, &p->tbl, err);
    if (!rc) {
        p->next = fl_calloc((size_t)p->npart + 1, sizeof(int64_t));
        load_offsets(p);
    }
    if (!rc && cfg->kafka) rc = fl_ksrc_new(cfg->kafka, p->name, kafka_start, p, &p->ks, err);
    if (!rc && !cfg->window) rc = resolve_key(p, cfg, err);
    if (!rc && cfg->decode == FL_PIPE_DECODE_DEBEZIUM && (cfg->window || p->nkey == 0))
        rc = fl_errf(err, FL_ERR_INVALID,
                     "decode debezium needs an upsert key (the table's identifier fields) and no "
                     "window");
    p->tx_aligned = cfg->tx_aligned;
    if (!rc && p->tx_aligned && p->npart != 1)
        rc = fl_errf(err, FL_ERR_INVALID, "tx_aligned needs a one-partition topic; %s has %d",
                     cfg->topic, p->npart);
    /* map steps and rules name columns of what is decoded: the table's,
     * or the window's input */
    const struct fl_schema *in = rc       ? NULL
                                 : p->win ? fl_pipe_window_input_schema(p->win)
                                          : fl_ice_meta_current_schema(p->tbl->meta);
    if (!rc) rc = fl_pipe_map_new(in, cfg->map, cfg->nmap, &p->map, err);
    if (!rc) rc = fl_pipe_validator_bind(p->val, in, err);
    if (!rc) note_table(p);
    if (rc) {
        fl_err_prefix(err, "pipeline %s", p->name);
        fl_pipe_free(p);
        return rc;
    }
    *out = p;
    return FL_OK;
}

/* A dead letter waiting for the step's end: its JSON value and the
 * source record's key (both owned). */
struct dead_letter {
    char *value;
    uint8_t *key; /* NULL = null key */
    size_t key_len;
};

/* Queues one refused record for the dead-letter topic with where it came
 * from and why, as JSON {"topic","partition","offset","timestamp","reason",
 * "value"} ("value_hex" when the value is not UTF-8 text). The step
 * appends the queue in batches before its commit (flush_dead_letters):
 * one fsync for all, not one per refused record. */
static fl_err_t dead_letter(struct fl_pipe *p, int part, const struct fl_log_decoded *rec,
                            const char *reason, struct fl_error *err) {
    json_t *o = json_object();
    json_object_set_new(o, "topic", json_string(p->cur_topic));
    json_object_set_new(o, "partition", json_integer(part));
    json_object_set_new(o, "offset", json_integer(rec->offset));
    json_object_set_new(o, "timestamp", json_integer(rec->timestamp_ms));
    json_object_set_new(o, "reason", json_stringn(reason, strnlen(reason, FL_ERROR_MSG_MAX)));
    json_t *v = rec->value ? json_stringn((const char *)rec->value, rec->value_len) : json_null();
    if (v) {
        json_object_set_new(o, "value", v);
    } else { /* not UTF-8: the bytes in hex */
        static const char hx[] = "0123456789abcdef";
        char *h = fl_malloc(rec->value_len * 2 + 1);
        for (size_t i = 0; i < rec->value_len; i++) {
            h[2 * i] = hx[rec->value[i] >> 4];
            h[2 * i + 1] = hx[rec->value[i] & 15];
        }
        json_object_set_new(o, "value_hex", json_stringn(h, rec->value_len * 2));
        fl_free(h);
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return fl_errf(err, FL_ERR_NOMEM, "dead letter for %s/%d@%lld", p->cur_topic, part,
                       (long long)rec->offset);
    if (p->npending == p->cpending) {
        p->cpending = p->cpending ? 2 * p->cpending : 64;
        p->pending = fl_reallocarray(p->pending, p->cpending, sizeof(*p->pending));
    }
    struct dead_letter *d = &p->pending[p->npending++];
    d->value = text;
    d->key = rec->key ? fl_malloc(rec->key_len + 1) : NULL;
    if (d->key) memcpy(d->key, rec->key, rec->key_len);
    d->key_len = rec->key_len;
    return FL_OK;
}

static void drop_dead_letters(struct fl_pipe *p) {
    for (size_t i = 0; i < p->npending; i++) {
        free(p->pending[i].value); /* jansson's */
        fl_free(p->pending[i].key);
    }
    p->npending = 0;
}

/* Appends the queued dead letters, in order, in batches of at most 512
 * records or 1 MiB; durable (under the dead-letter topic's policy)
 * before the step's commit moves the offsets past their records. */
static fl_err_t flush_dead_letters(struct fl_pipe *p, struct fl_error *err) {
    struct fl_log_record recs[512];
    fl_err_t rc = FL_OK;
    for (size_t i = 0; i < p->npending && !rc;) {
        int n = 0;
        size_t bytes = 0;
        while (i < p->npending && n < 512 && (n == 0 || bytes < ((size_t)1 << 20))) {
            const struct dead_letter *d = &p->pending[i++];
            size_t len = strlen(d->value);
            recs[n++] = (struct fl_log_record){.key = d->key,
                                               .key_len = d->key_len,
                                               .value = (const uint8_t *)d->value,
                                               .value_len = len,
                                               .timestamp_ms = -1};
            bytes += len + d->key_len;
        }
        int64_t off;
        rc = fl_log_append(p->log, p->dlq, 0, recs, n, &off, err);
    }
    drop_dead_letters(p);
    return rc;
}

/* The step's decoder for the table's current schema, set up by the map
 * (map.h: renames, conversions, the columns it derives). */
static fl_err_t step_decoder(struct fl_pipe *p, const struct fl_schema *s, struct fl_jdec **out,
                             struct fl_error *err) {
    fl_err_t rc = fl_pipe_map_decoder(p->map, s, out, err);
    if (!rc) rc = fl_pipe_validator_bind(p->val, s, err);
    return rc;
}

/* One JSON object (len bytes) as a row: decoded through the map (the
 * record's fields, then the derived columns), validated. On failure the
 * batch is unchanged and reason says why. */
static fl_err_t object_row(struct fl_pipe *p, struct fl_jdec *dec, struct fl_batch *b, int part,
                           const struct fl_log_decoded *rec, const void *json, size_t len,
                           int64_t now_us, char *reason, size_t reasonsz) {
    struct fl_error e = {0};
    struct fl_pipe_map_pos pos = {p->cur_topic, part, rec->offset, now_us, rec->timestamp_ms};
    fl_err_t rc = fl_pipe_map_row(p->map, dec, b, json, len, &pos, &e);
    if (rc) {
        snprintf(reason, reasonsz, "%s", e.msg[0] ? e.msg : fl_err_name(rc));
        return rc;
    }
    if (!fl_pipe_validator_check_row(p->val, b, b->nrows, reason, reasonsz)) {
        fl_batch_rollback_row(b);
        return FL_ERR_INVALID;
    }
    return fl_batch_end_row(b);
}

/* Decodes one record into rows: its value's JSON object, or for a
 * pointer record the objects of the file it names. Each refused object
 * goes to the dead-letter topic with the record's position and why;
 * *rows and *dlq count what went where. */
static fl_err_t decode_record(struct fl_pipe *p, struct fl_jdec *dec, struct fl_batch *b, int part,
                              const struct fl_log_decoded *rec, int64_t now_us, int64_t *rows,
                              int64_t *dlq, struct fl_error *err) {
    char reason[FL_ERROR_MSG_MAX];
    if (p->decode == FL_PIPE_DECODE_POINTER) {
        json_t *arr = NULL;
        if (fl_pipe_pointer_load(p->st, rec->value, rec->value_len, p->ptr_max, &arr, reason,
                                 sizeof(reason))) {
            (*dlq)++;
            return dead_letter(p, part, rec, reason, err);
        }
        size_t i;
        json_t *el;
        fl_err_t rc = FL_OK;
        json_array_foreach(arr, i, el) {
            char why[FL_ERROR_MSG_MAX - 64];
            fl_err_t orc = FL_ERR_INVALID;
            if (!json_is_object(el)) {
                snprintf(why, sizeof(why), "not a JSON object");
            } else {
                char *text = json_dumps(el, JSON_COMPACT);
                orc = text ? object_row(p, dec, b, part, rec, text, strlen(text), now_us, why,
                                        sizeof(why))
                           : FL_ERR_NOMEM;
                free(text);
            }
            if (orc == FL_OK) {
                (*rows)++;
                continue;
            }
            snprintf(reason, sizeof(reason), "file object %zu: %s", i, why);
            (*dlq)++;
            if ((rc = dead_letter(p, part, rec, reason, err))) break;
        }
        json_decref(arr);
        return rc;
    }
    if (!rec->value) {
        (*dlq)++;
        return dead_letter(p, part, rec, "null value", err);
    }
    fl_err_t orc = object_row(p, dec, b, part, rec, rec->value, rec->value_len, now_us, reason,
                              sizeof(reason));
    if (orc == FL_OK) {
        (*rows)++;
        return FL_OK;
    }
    (*dlq)++;
    return dead_letter(p, part, rec, reason, err);
}

/* Feeds the rows decoded from rec (all of b) to the window step and
 * empties b; a late row goes to the dead-letter topic with the reason. */
static fl_err_t window_rows(struct fl_pipe *p, struct fl_batch *b, int part,
                            const struct fl_log_decoded *rec, int64_t *dlq, int64_t *late,
                            struct fl_error *err) {
    fl_err_t rc = FL_OK;
    char reason[FL_ERROR_MSG_MAX];
    for (size_t r = 0; r < b->nrows && !rc; r++) {
        if (fl_pipe_window_add(p->win, b, r, reason, sizeof(reason)) == FL_OK) continue;
        (*dlq)++;
        (*late)++;
        rc = dead_letter(p, part, rec, reason, err);
    }
    fl_batch_reset(b);
    return rc;
}

/* A window step's rows for the commit: the touched windows' current
 * values, written to PostgreSQL first when there is a sink (absolute
 * values: a crash before the Iceberg commit is repaired by the replay). */
static fl_err_t window_result(struct fl_pipe *p, int64_t now_us, struct fl_batch **out,
                              struct fl_error *err) {
    size_t n = 0;
    fl_err_t rc = fl_batch_new(p->wout, 0, out, err);
    if (!rc) rc = fl_pipe_window_emit(p->win, *out, now_us, &n, err);
    if (!rc && n > 0 && p->pg) rc = fl_pipe_pg_write(p->pg, *out, 10000, err);
    return rc;
}

/* One step's working state, from its read to its commit. */
struct step {
    const struct fl_schema *schema; /* what is decoded: the table's, or the window's input */
    struct fl_batch *b;             /* the decoded rows; after plan, what the table receives */
    struct fl_jdec *dec;
    struct fl_ice_appender *ap;
    struct fl_buf raw;
    int64_t *next; /* per partition: the next offset once this step commits */
    int64_t consumed, rows, dlq, late, now_us;
    int64_t newest_ms; /* the newest consumed record's timestamp; 0 none */
    struct fl_pipe_upsert_plan plan;
    struct fl_ice_data_file *dels; /* upsert: the position delete files written */
    int64_t plan_base;             /* upsert: the snapshot the plan read */
    int ndels;
    bool change; /* the step makes a snapshot (append mode: whenever it consumed) */
    /* change events (decode debezium): per row a delete flag and the
     * unchanged columns; a truncate drops the rows before it */
    uint8_t *tomb, *unchanged;
    size_t ctomb;
    struct fl_pipe_upsert_ops ops;
    /* tx_aligned: the state after the last record that ended a transaction */
    struct {
        int64_t next, consumed, rows, dlq;
        size_t nrows, npending;
        struct fl_pipe_upsert_ops ops;
    } safe;
};

/* Whether rec ends a source transaction (carries FL_PIPE_TX_HEADER). */
static bool tx_end(const struct fl_log_decoded *rec) {
    const uint8_t *hp = rec->headers;
    int idx = 0;
    struct fl_log_header h;
    size_t n = strlen(FL_PIPE_TX_HEADER);
    while (fl_log_header_next(rec, &hp, &idx, &h) == FL_OK)
        if (h.key_len == n && !memcmp(h.key, FL_PIPE_TX_HEADER, n)) return true;
    return false;
}

/* One Debezium change event into the step: c/u/r a row (its unchanged
 * columns flagged), d a delete row (the before image's key), t a
 * truncate (the rows before it no longer matter). A null value (Kafka's
 * tombstone after a delete) is skipped; a bad event is dead-lettered. */
static fl_err_t decode_change(struct fl_pipe *p, struct step *s, int part,
                              const struct fl_log_decoded *rec, struct fl_error *err) {
    if (!rec->value) return FL_OK;
    size_t row = s->b->nrows, nc = (size_t)s->b->ncols;
    if (row + 1 > s->ctomb) {
        s->ctomb = s->ctomb ? s->ctomb * 2 : 1024;
        while (s->ctomb < row + 1) s->ctomb *= 2;
        s->tomb = fl_reallocarray(s->tomb, s->ctomb, 1);
        s->unchanged = fl_reallocarray(s->unchanged, s->ctomb, nc ? nc : 1);
        s->ops.tomb = s->tomb;
        s->ops.unchanged = s->unchanged;
    }
    char reason[FL_ERROR_MSG_MAX];
    struct fl_pipe_dbz ev;
    if (fl_pipe_dbz_read(rec->value, rec->value_len, s->b->schema, s->unchanged + row * nc, &ev,
                         reason, sizeof(reason))) {
        s->dlq++;
        return dead_letter(p, part, rec, reason, err);
    }
    if (ev.op == 't') {
        s->ops.truncate = true;
        s->ops.first = row;
        return FL_OK;
    }
    fl_err_t orc = object_row(p, s->dec, s->b, part, rec, ev.row, ev.row_len, s->now_us, reason,
                              sizeof(reason));
    char op = ev.op;
    fl_pipe_dbz_fini(&ev);
    if (orc == FL_OK) {
        s->tomb[row] = op == 'd';
        s->rows++;
        return FL_OK;
    }
    s->dlq++;
    return dead_letter(p, part, rec, reason, err);
}

/* The table reloaded when someone asked (fl_pipe_reload_table: another
 * writer evolved its schema), the upsert key found again by field id. */
static fl_err_t reload_table(struct fl_pipe *p, struct fl_error *err) {
    pthread_mutex_lock(&p->mu);
    int want = p->reload;
    pthread_mutex_unlock(&p->mu);
    if (!want) return FL_OK;
    fl_err_t rc = fl_ice_table_refresh(p->tbl, err);
    if (rc) return rc;
    const struct fl_schema *sc = fl_ice_meta_current_schema(p->tbl->meta);
    for (int k = 0; p->keyids && k < p->nkey; k++) {
        int found = -1;
        for (int c = 0; c < sc->nfields && found < 0; c++)
            if (sc->fields[c].id == p->keyids[k]) found = c;
        if (found < 0)
            return fl_errf(err, FL_ERR_INVALID,
                           "%s.%s: the upsert key column (field id %d) is gone", p->ns, p->table,
                           (int)p->keyids[k]);
        p->keycols[k] = found;
    }
    pthread_mutex_lock(&p->mu);
    p->reload = 0;
    pthread_mutex_unlock(&p->mu);
    return FL_OK;
}

void fl_pipe_reload_table(struct fl_pipe *p) {
    pthread_mutex_lock(&p->mu);
    p->reload = 1;
    pthread_mutex_unlock(&p->mu);
}

bool fl_pipe_reload_pending(struct fl_pipe *p) {
    pthread_mutex_lock(&p->mu);
    bool r = p->reload != 0;
    pthread_mutex_unlock(&p->mu);
    return r;
}

/* Opens the step: the windows reloaded after a failed step, the map
 * bound to the (maybe evolved) schema, the batch, decoder and appender. */
static fl_err_t step_open(struct fl_pipe *p, struct step *s, struct fl_error *err) {
    fl_err_t rrc = reload_table(p, err);
    if (rrc) return rrc;
    fl_buf_init(&s->raw, READ_BYTES * 4);
    fl_err_t rc = p->ks ? FL_OK : grow_partitions(p, err);
    if (rc) return rc;
    s->next = fl_calloc((size_t)p->npart + 1, sizeof(int64_t));
    memcpy(s->next, p->next, sizeof(int64_t) * (size_t)p->npart);
    s->now_us = fl_time_now_us();
    s->safe.next = p->next[0];
    if (p->win_stale) {
        rc = load_windows(p, err);
        if (rc) return rc;
        p->win_stale = 0;
    }
    s->schema =
        p->win ? fl_pipe_window_input_schema(p->win) : fl_ice_meta_current_schema(p->tbl->meta);
    rc = fl_pipe_map_bind(p->map, s->schema, err); /* the table may have evolved */
    if (!rc) rc = fl_batch_new(s->schema, 0, &s->b, err);
    if (!rc) rc = step_decoder(p, s->schema, &s->dec, err);
    if (!rc) rc = fl_ice_appender_new(p->tbl, &s->ap, err);
    return rc;
}

static void step_close(struct step *s) {
    fl_free(s->tomb);
    fl_free(s->unchanged);
    for (int i = 0; i < s->ndels; i++) fl_ice_data_file_fini(&s->dels[i]);
    fl_free(s->dels);
    fl_pipe_upsert_plan_fini(&s->plan);
    fl_free(s->next);
    fl_buf_fini(&s->raw);
    fl_ice_appender_free(s->ap);
    fl_batch_free(s->b);
    fl_jdec_free(s->dec);
}

/* Decode: the records of one read (s->raw) of partition part into rows,
 * dead letters and window updates; append mode hands full batches to the
 * appender as it goes (an upsert plans the whole step at once, for dedup
 * across it). */
static fl_err_t step_decode(struct fl_pipe *p, struct step *s, int part, struct fl_error *err) {
    struct fl_log_batch_iter it;
    fl_log_batch_iter_init(&it, s->raw.data, s->raw.len);
    struct fl_log_decoded rec;
    fl_err_t rc = FL_OK, ie;
    while ((ie = fl_log_batch_iter_next(&it, &rec, err)) == FL_OK) {
        if (rec.offset < s->next[part]) continue; /* the batch began before us */
        if (p->decode == FL_PIPE_DECODE_DEBEZIUM)
            rc = decode_change(p, s, part, &rec, err);
        else
            rc = decode_record(p, s->dec, s->b, part, &rec, s->now_us, &s->rows, &s->dlq, err);
        if (rc) break;
        if (p->win && (rc = window_rows(p, s->b, part, &rec, &s->dlq, &s->late, err))) break;
        s->next[part] = rec.offset + 1;
        s->consumed++;
        if (p->tx_aligned && tx_end(&rec)) {
            s->safe.next = s->next[part];
            s->safe.consumed = s->consumed;
            s->safe.rows = s->rows;
            s->safe.dlq = s->dlq;
            s->safe.nrows = s->b->nrows;
            s->safe.npending = p->npending;
            s->safe.ops = s->ops;
        }
        if (rec.timestamp_ms > s->newest_ms) s->newest_ms = rec.timestamp_ms;
        if (p->nkey == 0 && s->b->nrows >= 65536) {
            if ((rc = fl_ice_appender_add(s->ap, s->b, err))) break;
            fl_batch_reset(s->b);
        }
    }
    fl_log_batch_iter_fini(&it);
    return rc ? rc : ie != FL_ERR_EOF ? ie : FL_OK;
}

/* Where a partition's reading resumes when retention removed offsets we
 * had not read: its first stored offset, said in the log. FL_ERR_RANGE
 * when the offset is past the end instead. */
static fl_err_t skip_expired(struct fl_pipe *p, struct step *s, int part, struct fl_error *err) {
    struct fl_log_partition_info *info = NULL;
    int np = 0;
    fl_err_clear(err);
    fl_err_t rc = describe_partitions(p->log, p->topic, &info, &np, err);
    int64_t start = !rc && part < np ? info[part].start_offset : -1;
    fl_free(info);
    if (rc) return rc;
    if (s->next[part] >= start)
        return fl_errf(err, FL_ERR_RANGE, "%s/%d: offset %lld is past the end", p->topic, part,
                       (long long)s->next[part]);
    fl_log(FL_LOG_WARN, "pipeline %s: %s/%d offsets %lld..%lld expired before they were read",
           p->name, p->topic, part, (long long)s->next[part], (long long)start - 1);
    s->next[part] = start;
    return FL_OK;
}

struct kafka_read {
    struct fl_pipe *p;
    struct step *s;
};

/* Kafka source: one consumed record, decoded as step_decode does. */
static fl_err_t kafka_record(void *ctx, const struct fl_ksrc_part *part,
                             const struct fl_log_decoded *rec, struct fl_error *err) {
    struct fl_pipe *p = ((struct kafka_read *)ctx)->p;
    struct step *s = ((struct kafka_read *)ctx)->s;
    p->cur_topic = part->topic;
    fl_err_t rc =
        decode_record(p, s->dec, s->b, part->partition, rec, s->now_us, &s->rows, &s->dlq, err);
    p->cur_topic = p->topic;
    if (rc) return rc;
    s->consumed++;
    if (p->nkey == 0 && s->b->nrows >= 65536) {
        if ((rc = fl_ice_appender_add(s->ap, s->b, err))) return rc;
        fl_batch_reset(s->b);
    }
    return FL_OK;
}

/* Kafka source: what the consumer has (the rebalance callback may run
 * inside), up to the step's record cap, waiting at most 100 ms. */
static fl_err_t step_read_kafka(struct fl_pipe *p, struct step *s, struct fl_error *err) {
    struct kafka_read kr = {p, s};
    int64_t n = 0;
    fl_err_t rc = fl_ksrc_poll(p->ks, p->max_records, 100, kafka_record, &kr, &n, err);
    kafka_fresh_done(p);
    return rc;
}

/* Read: every partition from the step's next offset, up to the step's
 * record cap, each read decoded as it comes. */
static fl_err_t step_read(struct fl_pipe *p, struct step *s, struct fl_error *err) {
    if (p->ks) return step_read_kafka(p, s, err);
    fl_err_t rc = FL_OK;
    for (int part = 0; part < p->npart && !rc; part++) {
        while (!rc &&
               (s->consumed < p->max_records || (p->tx_aligned && s->next[part] > s->safe.next))) {
            int64_t after = s->next[part];
            fl_buf_reset(&s->raw);
            rc = fl_log_read(p->log, p->topic, part, s->next[part], READ_BYTES, &s->raw, &after,
                             err);
            if (rc == FL_ERR_RANGE) {
                rc = skip_expired(p, s, part, err);
                if (rc) break;
                continue;
            }
            if (rc || s->raw.len == 0) break;
            rc = step_decode(p, s, part, err);
            if (!rc && after > s->next[part]) s->next[part] = after;
        }
    }
    if (!rc && p->tx_aligned && s->next[0] > s->safe.next) {
        /* a transaction not yet whole in the topic: its records wait */
        s->next[0] = s->safe.next;
        s->consumed = s->safe.consumed;
        s->rows = s->safe.rows;
        s->dlq = s->safe.dlq;
        s->ops = s->safe.ops;
        fl_batch_truncate(s->b, s->safe.nrows);
        while (p->npending > s->safe.npending) { /* read again next step */
            struct dead_letter *d = &p->pending[--p->npending];
            free(d->value);
            fl_free(d->key);
        }
    }
    return rc;
}

/* Plan: the dead letters made durable before any commit moves past
 * them; the windows' result in place of the rows; an upsert's plan (its
 * position deletes written, its rows to the appender) or the appended
 * rows; whether the step changes the table. */
static fl_err_t step_plan(struct fl_pipe *p, struct step *s, struct fl_error *err) {
    fl_err_t rc = flush_dead_letters(p, err);
    s->change = p->nkey == 0; /* append mode keeps its offsets-only commits */
    if (!rc && p->win) {
        struct fl_batch *wb = NULL;
        rc = window_result(p, s->now_us, &wb, err);
        if (!rc) {
            fl_batch_free(s->b);
            s->b = wb; /* the windows are what the table receives */
        } else {
            fl_batch_free(wb);
        }
    }
    if (rc) return rc;
    if (p->nkey == 0) return s->b->nrows ? fl_ice_appender_add(s->ap, s->b, err) : FL_OK;
    s->rows = 0;
    s->plan_base = p->tbl->meta->current_snapshot_id; /* what the deletes are planned on */
    if (s->b->nrows || s->ops.truncate)
        rc = fl_pipe_upsert_plan_ops(p->tbl, s->b, p->keycols, p->nkey,
                                     p->decode == FL_PIPE_DECODE_DEBEZIUM ? &s->ops : NULL,
                                     &s->plan, err);
    if (!rc && s->plan.ndel)
        rc = fl_ice_table_write_position_deletes(p->tbl, (const char *const *)s->plan.paths,
                                                 s->plan.pos, s->plan.ndel, &s->dels, &s->ndels,
                                                 err);
    if (!rc && s->plan.rows && s->plan.rows->nrows) {
        s->rows = (int64_t)s->plan.rows->nrows;
        rc = fl_ice_appender_add(s->ap, s->plan.rows, err);
    }
    s->change = s->rows > 0 || s->plan.ndel > 0;
    return rc;
}

/* Kafka source: the summary's offsets, one entry per topic read, made
 * on every commit attempt from the fresh table (offsets.h). */
struct kafka_commit {
    struct fl_ksrc_part *parts;
    int nparts;
    struct fl_ice_kv *sum; /* sum[i] for topics[i] */
    const char **topics;
    char **values; /* free() */
    int ntopics;
};

static fl_err_t kafka_commit_check(void *ctx, struct fl_ice_table *tbl, struct fl_error *err) {
    struct kafka_commit *kc = ctx;
    struct fl_pipe_offset_move *mv = fl_calloc((size_t)kc->nparts + 1, sizeof(*mv));
    fl_err_t rc = FL_OK;
    for (int t = 0; t < kc->ntopics && !rc; t++) {
        int n = 0;
        for (int i = 0; i < kc->nparts; i++) {
            const struct fl_ksrc_part *kp = &kc->parts[i];
            if (kp->first >= 0 && !strcmp(kp->topic, kc->topics[t]))
                mv[n++] = (struct fl_pipe_offset_move){kp->partition, kp->base, kp->next};
        }
        free(kc->values[t]);
        kc->values[t] = NULL;
        rc = fl_pipe_offsets_merge(fl_pipe_offsets_recorded(tbl->meta, kc->topics[t]),
                                   kc->topics[t], mv, n, &kc->values[t], err);
        kc->sum[t].value = kc->values[t];
    }
    fl_free(mv);
    return rc;
}

/* Kafka source: the step's rows and deletes with every topic's offsets
 * merged and checked at each attempt (pipeline.h). */
static fl_err_t step_commit_kafka(struct fl_pipe *p, struct step *s, struct fl_error *err) {
    struct kafka_commit kc = {0};
    kc.nparts = fl_ksrc_parts(p->ks, &kc.parts);
    kc.topics = fl_calloc((size_t)kc.nparts + 1, sizeof(char *));
    for (int i = 0; i < kc.nparts; i++) {
        if (kc.parts[i].first < 0) continue;
        int t = 0;
        while (t < kc.ntopics && strcmp(kc.topics[t], kc.parts[i].topic)) t++;
        if (t == kc.ntopics) kc.topics[kc.ntopics++] = kc.parts[i].topic;
    }
    kc.values = fl_calloc((size_t)kc.ntopics + 1, sizeof(char *));
    kc.sum = fl_calloc((size_t)kc.ntopics + 2, sizeof(*kc.sum));
    char **keys = fl_calloc((size_t)kc.ntopics + 1, sizeof(char *));
    for (int t = 0; t < kc.ntopics; t++) {
        keys[t] = fl_pipe_offsets_key(kc.topics[t]);
        kc.sum[t] = (struct fl_ice_kv){keys[t], "{}"};
    }
    char nin[24];
    snprintf(nin, sizeof(nin), "%lld", (long long)s->consumed);
    kc.sum[kc.ntopics] = (struct fl_ice_kv){"floe.pipeline", p->name};
    kc.sum[kc.ntopics + 1] = (struct fl_ice_kv){"floe.records-in", nin};
    int64_t snap = -1;
    fl_err_t rc = fl_ice_appender_commit_checked(
        s->ap, s->dels, s->ndels, s->plan_base, (const char *const *)s->plan.paths,
        (int)s->plan.ndel, kafka_commit_check, &kc, kc.sum, kc.ntopics + 2, &snap, err);
    for (int t = 0; t < kc.ntopics; t++) {
        free(kc.values[t]);
        fl_free(keys[t]);
    }
    fl_free(keys);
    fl_free(kc.values);
    fl_free(kc.sum);
    fl_free(kc.topics);
    return rc;
}

/* Commit: the rows, the deletes and the offsets in one snapshot (the
 * offsets travel in its summary); the window watermark with the windows
 * it closed. */
static fl_err_t step_commit(struct fl_pipe *p, struct step *s, struct fl_error *err) {
    if (p->ks) return step_commit_kafka(p, s, err);
    json_t *o = json_object();
    for (int i = 0; i < p->npart; i++) {
        char k[16];
        snprintf(k, sizeof(k), "%d", i);
        json_object_set_new(o, k, json_integer(s->next[i]));
    }
    char *ov = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    char *key = summary_key(p->topic);
    char nin[24], mx[24], wm[24];
    snprintf(nin, sizeof(nin), "%lld", (long long)s->consumed);
    struct fl_ice_kv sum[] = {{key, ov},
                              {"floe.pipeline", p->name},
                              {"floe.records-in", nin},
                              {FL_PIPE_WINDOW_SUMMARY_MAX_EVENT, mx},
                              {FL_PIPE_WINDOW_SUMMARY_WATERMARK, wm}};
    int nsum = 3;
    if (p->win && fl_pipe_window_max_event(p->win) != INT64_MIN) {
        snprintf(mx, sizeof(mx), "%lld", (long long)fl_pipe_window_max_event(p->win));
        snprintf(wm, sizeof(wm), "%lld", (long long)fl_pipe_window_watermark(p->win));
        nsum = 5;
    }
    int64_t snap = -1;
    fl_err_t rc = s->rows > 0 || s->ndels > 0
                      ? fl_ice_appender_commit_with(s->ap, s->dels, s->ndels, s->plan_base,
                                                    (const char *const *)s->plan.paths,
                                                    (int)s->plan.ndel, sum, nsum, &snap, err)
                      : fl_ice_table_commit_files(p->tbl, NULL, 0, sum, nsum, &snap, err);
    free(ov);
    fl_free(key);
    return rc;
}

/* The step's offsets become the pipeline's, and its counts the stats. A
 * step without a snapshot keeps its offsets in memory until the next
 * commit that changes something (pipeline.h says why). */
static void step_account(struct fl_pipe *p, const struct step *s) {
    memcpy(p->next, s->next, sizeof(int64_t) * (size_t)p->npart);
    pthread_mutex_lock(&p->mu);
    p->stats.records_in += s->consumed;
    p->stats.records_out += s->change ? s->rows : 0;
    p->stats.records_dlq += s->dlq;
    p->stats.rows_unchanged += s->plan.unchanged;
    p->stats.rows_deleted += (int64_t)s->plan.ndel;
    p->stats.records_late += s->late;
    if (s->change)
        p->stats.commits++;
    else
        p->stats.steps_no_change++;
    if (p->win) {
        fl_pipe_window_done(p->win);
        p->stats.windows_open = (int64_t)fl_pipe_window_open_count(p->win);
    }
    pthread_mutex_unlock(&p->mu);
}

/* Commit latency and conflicts, for floe status (the pipeline's thread). */
static void note_commit_time(struct fl_pipe *p, int64_t us) {
    int64_t ms = us / 1000;
    pthread_mutex_lock(&p->mu);
    p->stats.commit_us_total += us;
    if (us > p->stats.commit_us_max) p->stats.commit_us_max = us;
    p->commit_hist[ms < FL_PIPE_COMMIT_HIST_MS ? ms : FL_PIPE_COMMIT_HIST_MS]++;
    p->stats.commit_conflicts = p->tbl->conflicts;
    pthread_mutex_unlock(&p->mu);
}

/* Freshness of a commit that took records up to newest_ms (wall clock). */
static void note_freshness(struct fl_pipe *p, int64_t newest_ms) {
    if (newest_ms <= 0) return;
    int64_t ms = fl_time_now_us() / 1000 - newest_ms;
    if (ms < 0) ms = 0; /* a producer's clock ahead of ours */
    int b = 0;
    while (b < FL_PIPE_FRESH_NB && ms > FL_PIPE_FRESH_BOUNDS_MS[b]) b++;
    pthread_mutex_lock(&p->mu);
    p->stats.fresh_count++;
    p->stats.fresh_ms_total += ms;
    p->stats.fresh_hist[b]++;
    pthread_mutex_unlock(&p->mu);
}

/* The latency under which frac of the commits fall, in ms; mu held. */
static int64_t commit_quantile(const struct fl_pipe *p, double frac) {
    uint64_t n = 0, seen = 0;
    for (int i = 0; i <= FL_PIPE_COMMIT_HIST_MS; i++) n += p->commit_hist[i];
    for (int i = 0; n && i <= FL_PIPE_COMMIT_HIST_MS; i++)
        if ((seen += p->commit_hist[i]) >= (uint64_t)(frac * (double)n)) return i;
    return 0;
}

/* Kafka source: partitions with records of this step were revoked
 * during its poll: the step is dropped (no commit) and the partitions
 * still ours go back to the table's offsets; the new owners read the
 * revoked ones from there. */
static bool kafka_dropped(struct fl_pipe *p, struct step *s, fl_err_t rc) {
    if (!p->ks || rc || !fl_ksrc_take_revoked(p->ks)) return false;
    fl_log(FL_LOG_INFO, "pipeline %s: a rebalance took partitions mid-step: %lld records dropped",
           p->name, (long long)s->consumed);
    drop_dead_letters(p);
    struct fl_error e = {0};
    if (fl_ksrc_rewind(p->ks, &e)) fl_log(FL_LOG_ERROR, "pipeline %s: %s", p->name, e.msg);
    kafka_fresh_done(p);
    return true;
}

fl_err_t fl_pipe_step(struct fl_pipe *p, int64_t *records, struct fl_error *err) {
    *records = 0;
    struct step s = {0};
    fl_err_t rc = step_open(p, &s, err);
    if (!rc) rc = step_read(p, &s, err);
    if (kafka_dropped(p, &s, rc)) {
        note_table(p);
        step_close(&s);
        return FL_OK;
    }
    if (!rc)
        rc = step_plan(p, &s, err);
    else
        drop_dead_letters(p);
    if (!rc && s.consumed > 0 && s.change) {
        int64_t t0 = fl_time_mono_us();
        rc = step_commit(p, &s, err);
        note_commit_time(p, fl_time_mono_us() - t0);
        if (!rc) note_freshness(p, s.newest_ms);
    }
    if (!rc && s.consumed > 0) {
        step_account(p, &s);
        *records = s.consumed;
        if (p->ks && s.change) fl_ksrc_committed(p->ks); /* the group's offsets follow */
    }
    if (rc) {
        fl_err_prefix(err, "pipeline %s", p->name);
        /* the table may have moved on (another writer): resume from its record */
        struct fl_error rerr = {0};
        if (fl_ice_table_refresh(p->tbl, &rerr) == FL_OK) load_offsets(p);
        /* Kafka: the partitions read go back to the table's offsets */
        if (p->ks && fl_ksrc_rewind(p->ks, &rerr))
            fl_log(FL_LOG_ERROR, "pipeline %s: %s", p->name, rerr.msg);
        if (p->ks) kafka_fresh_done(p);
        /* the windows took this step's records: back to the table's state
         * before the next step reads them again */
        p->win_stale = p->win != NULL;
    }
    note_table(p);
    step_close(&s);
    /* for floe status: the error until a step succeeds (a Kafka source's
     * until it reads or owns a partition: librdkafka reports an unknown
     * topic once, and it must not look like an idle pipeline) */
    pthread_mutex_lock(&p->mu);
    if (rc)
        snprintf(p->stats.error, sizeof(p->stats.error), "%.*s", (int)sizeof(p->stats.error) - 1,
                 err->msg);
    else if (!p->ks || *records > 0 || p->stats.partitions[0])
        p->stats.error[0] = 0;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

static void *run(void *arg) {
    struct fl_pipe *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        pthread_mutex_unlock(&p->mu);
        /* a step starts every interval (fixed rate): the next one is due
         * one interval after this one started, or at once when this one
         * took longer (no burst to catch up) */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = (int64_t)ts.tv_nsec + (p->interval_ms % 1000) * 1000000;
        ts.tv_sec += (time_t)(p->interval_ms / 1000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        int64_t n = 0;
        struct fl_error err = {0};
        if (fl_pipe_step(p, &n, &err)) fl_log(FL_LOG_ERROR, "%s", err.msg);
        pthread_mutex_lock(&p->mu);
        if (p->stop) break;
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
    pthread_mutex_unlock(&p->mu);
    /* graceful stop: what arrived until now is committed */
    int64_t n = 0;
    struct fl_error err = {0};
    if (fl_pipe_step(p, &n, &err)) fl_log(FL_LOG_ERROR, "%s", err.msg);
    return NULL;
}

fl_err_t fl_pipe_start(struct fl_pipe *p, struct fl_error *err) {
    if (p->running) return FL_OK;
    p->stop = 0;
    if (pthread_create(&p->thread, NULL, run, p) != 0)
        return fl_errf(err, FL_ERR_NOMEM, "pipeline %s: cannot start a thread", p->name);
    p->running = 1;
    return FL_OK;
}

void fl_pipe_stop(struct fl_pipe *p) {
    if (!p->running) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    p->running = 0;
}

int fl_pipe_commit_hist(const struct fl_pipe *p, int64_t *counts, int n) {
    pthread_mutex_lock((pthread_mutex_t *)&p->mu);
    int i = 0;
    for (; i < n && i <= FL_PIPE_COMMIT_HIST_MS; i++) counts[i] = p->commit_hist[i];
    pthread_mutex_unlock((pthread_mutex_t *)&p->mu);
    return i;
}

void fl_pipe_get_stats(const struct fl_pipe *p, struct fl_pipe_stats *out) {
    pthread_mutex_lock((pthread_mutex_t *)&p->mu);
    *out = p->stats;
    out->commit_ms_p50 = commit_quantile(p, 0.5);
    out->commit_ms_p99 = commit_quantile(p, 0.99);
    pthread_mutex_unlock((pthread_mutex_t *)&p->mu);
    out->name = p->name;
    out->topic = p->topic;
    out->ns = p->ns;
    out->table = p->table;
    struct fl_log_partition_info *info = NULL;
    int np = 0;
    struct fl_error e = {0};
    if (p->ks) {
        return; /* the lag as of the last step (note_table) */
    }
    out->lag = 0;
    if (describe_partitions(p->log, p->topic, &info, &np, &e) == FL_OK) {
        int64_t end = 0;
        for (int i = 0; i < np; i++) end += info[i].end_offset;
        out->lag = end > out->consumed ? end - out->consumed : 0;
    }
    fl_free(info);
}

void fl_pipe_free(struct fl_pipe *p) {
    if (!p) return;
    fl_pipe_stop(p);
    fl_ksrc_free(p->ks);
    fl_ice_table_free(p->kfresh);
    fl_ice_table_free(p->tbl);
    fl_pipe_validator_free(p->val);
    drop_dead_letters(p);
    fl_free(p->pending);
    fl_pipe_pg_free(p->pg);
    fl_pipe_window_free(p->win);
    fl_schema_free(p->wout);
    fl_pipe_map_free(p->map);
    fl_free(p->keycols);
    fl_free(p->keyids);
    fl_free(p->next);
    fl_free(p->name);
    fl_free(p->topic);
    fl_free(p->ns);
    fl_free(p->table);
    fl_free(p->dlq);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    fl_free(p);
}
