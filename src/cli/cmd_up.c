/*
 * cmd_up.c - `floe up [-c FILE] [--listen ADDR:PORT] [--data DIR]
 * [--kafka-listen ADDR:PORT]`: runs floe. Opens the durable log (DIR/log) and the warehouse store
 * (file://DIR/warehouse unless configured), ensures the seed topics
 * (weather, session_topic, employee_topic, client_topic) and the
 * configured ones, serves HTTP ingest until SIGINT or SIGTERM, then stops
 * intake (requests in progress finish and are answered), closes the log
 * cleanly and exits 0.
 *
 * What to run is the up plan (up_plan.c): the config file, the command
 * line and every default, the same plan `floe config show` prints. This
 * file runs it in phases, one function each: make the plan (and the data
 * directory), open the log and ensure the topics, start the pipelines
 * (catalog, tables, pipeline threads), start the HTTP server, start the
 * Kafka server (kafka/kafka.h, on by default at 127.0.0.1:9092: a port
 * taken fails floe up with an error that names the address), wait for a
 * signal, stop. Without a `pipelines:` section the plan holds the
 * built-in pipelines of seeds 000 and 001 (see up_plan.c).
 *
 * Tables: the config's `tables:` are created when the catalog lacks them
 * (up_tables.c) before any pipeline starts. GET /status on the same port
 * reports each pipeline's counters (floe status prints them).
 */
#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/up_metrics.h"
#include "cli/up_plan.h"
#include "cli/up_tables.h"
#include "cdc/pg_source.h"
#include "cdc/pgoutput.h"
#include "core/addr.h"
#include "core/time.h"
#include "ingest/routes_rest.h"
#include "iceberg/retention.h"
#include "iceberg/table.h"
#include "pipeline/maintain.h"
#include "pipeline/pipeline.h"
#include "core/log.h"
#include "core/mem.h"
#include "ingest/backend_kafka.h"
#include "ingest/backend_log.h"
#include "ingest/coalesce.h"
#include "ingest/ingest.h"
#include "ingest/server.h"
#include "kafka/kafka.h"
#include "log/log.h"
#include "store/store.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void up_usage(FILE *f) {
    fprintf(
        f, "usage: floe up [-c FILE] [--listen ADDR:PORT] [--data DIR] [--kafka-listen ADDR:PORT]\n"
           "  -c FILE             YAML configuration (see docs/config.md)\n"
           "  --listen ADDR:PORT  HTTP address (default 127.0.0.1:8080; port 0 = any free)\n"
           "  --data DIR          data directory: DIR/log, DIR/warehouse (default ./floe-data)\n"
           "  --kafka-listen ADDR:PORT  Kafka protocol address (default 127.0.0.1:9092; port 0 =\n"
           "                      any free)\n");
}

static int mkdir_p(const char *dir) {
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

/* Creates default.<name> (partitioned by term, NULL = unpartitioned)
 * when the catalog lacks it. */
static fl_err_t ensure_table(struct fl_store *st, struct fl_catalog *cat, const char *name,
                             const char *schema_json, const char *term, struct fl_error *err) {
    char loc[64];
    struct fl_error probe = {0};
    if (fl_catalog_table_load(cat, "default", name, loc, sizeof(loc), &probe) != FL_ERR_NOTFOUND)
        return FL_OK; /* there (or a location too long for this buffer: there too) */
    struct fl_schema *schema = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_ice_table *tbl = NULL;
    const char *terms[] = {term};
    fl_err_t rc = fl_schema_parse(schema_json, strlen(schema_json), &schema, err);
    if (!rc)
        rc = fl_ice_spec_from_terms(schema, 0, terms, term ? 1 : 0, FL_ICE_PARTITION_FIELD_ID_START,
                                    &spec, err);
    struct fl_ice_kv props[FL_ICE_FLOE_PROPS];
    int nprops = fl_ice_floe_table_props(NULL, 0, props, FL_ICE_FLOE_PROPS);
    if (!rc)
        rc = fl_ice_table_create(st, fl_catalog_ice(cat), "default", name, schema, spec, props,
                                 nprops, &tbl, err);
    if (rc == FL_ERR_EXISTS) {
        fl_err_clear(err);
        rc = FL_OK;
    }
    fl_ice_table_free(tbl);
    fl_ice_spec_free(spec);
    fl_schema_free(schema);
    return rc;
}

static fl_err_t up_declared_tables(struct fl_store *st, struct fl_catalog *cat,
                                   const struct fl_config *cfg, struct fl_error *err) {
    for (int i = 0; i < cfg->ntables; i++) {
        int created = 0;
        fl_err_t rc = fl_up_table_ensure(st, cat, &cfg->tables[i], &created, err);
        if (rc) return rc;
        printf("floe up: table %s.%s %s\n", cfg->tables[i].ns, cfg->tables[i].name,
               created ? "created" : "exists");
    }
    return FL_OK;
}

struct up_status {
    struct fl_pipe **pipes;
    int npipes;
    struct fl_maint *maint;
    struct fl_cdc_pg **srcs;
    int nsrcs;
};

/* [{name, connected, confirmed_lsn, received_lsn, lag_bytes,
 * last_commit_ms, txs, changes, snapshot_rows, reconnects, last_error,
 * lag_ms, slot: {exists, active, wal_status, safe_wal_size, lag_bytes,
 * invalidation_reason, checked_ms, problem, healthy} or null before the
 * first check, schema_changes}]: each change data capture source */
static json_t *sources_status_json(const struct up_status *us) {
    json_t *arr = json_array();
    for (int i = 0; i < us->nsrcs; i++) {
        struct fl_cdc_pg_stats s;
        fl_cdc_pg_get_stats(us->srcs[i], &s);
        char conf[24], recv[24];
        fl_pg_lsn_format(s.confirmed_lsn, conf, sizeof(conf));
        fl_pg_lsn_format(s.received_lsn, recv, sizeof(recv));
        json_int_t lag =
            s.received_lsn > s.confirmed_lsn ? (json_int_t)(s.received_lsn - s.confirmed_lsn) : 0;
        const struct fl_cdc_pg_slot *sl = &s.slot;
        json_t *slot =
            sl->checked_ms < 0
                ? json_null()
                : json_pack("{s:b,s:b,s:s,s:I,s:I,s:s,s:I,s:s,s:b}", "exists", sl->exists, "active",
                            sl->active, "wal_status", sl->wal_status, "safe_wal_size",
                            (json_int_t)sl->safe_wal_size, "lag_bytes", (json_int_t)sl->lag_bytes,
                            "invalidation_reason", sl->invalidation, "checked_ms",
                            (json_int_t)sl->checked_ms, "problem", sl->problem, "healthy",
                            sl->problem[0] == 0);
        json_array_append_new(
            arr, json_pack("{s:s,s:b,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:o,s:I}", "name",
                           fl_cdc_pg_name(us->srcs[i]), "connected", s.connected, "confirmed_lsn",
                           conf, "received_lsn", recv, "lag_bytes", lag, "last_commit_ms",
                           (json_int_t)s.last_commit_ms, "txs", (json_int_t)s.txs, "changes",
                           (json_int_t)s.changes, "snapshot_rows", (json_int_t)s.snapshot_rows,
                           "reconnects", (json_int_t)s.reconnects, "last_error", s.last_error,
                           "lag_ms", (json_int_t)s.lag_ms, "slot", slot, "schema_changes",
                           (json_int_t)s.schema_changes));
    }
    return arr;
}

/* {"tables":[{table, maintenance, snapshots, data_files, small_files,
 * small_file_bytes, target_file_size, metadata_files, last_run,
 * last_run_ms, duration_ms, runs, expired, deleted, expired_total,
 * deleted_total, errors, result}]}: as of each table's last maintenance
 * run (-1 before the first) */
static json_t *maint_status_json(struct fl_maint *m) {
    json_t *arr = json_array();
    for (int i = 0; i < fl_maint_count(m); i++) {
        struct fl_maint_stats s;
        fl_maint_get(m, i, &s);
        char when[40] = "", table[600];
        if (s.last_run_ms >= 0) fl_time_format_iso(s.last_run_ms * 1000, when, sizeof(when));
        snprintf(table, sizeof(table), "%s.%s", s.ns, s.name);
        const char *result = s.last_run_ms < 0 ? "" : s.last_error[0] ? s.last_error : "ok";
        json_t *o = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I}", "table", table, "maintenance",
                              s.enabled, "snapshots", (json_int_t)s.snapshots, "data_files",
                              (json_int_t)s.data_files, "small_files", (json_int_t)s.small_files,
                              "small_file_bytes", (json_int_t)s.small_file_bytes,
                              "target_file_size", (json_int_t)s.target_file_size, "metadata_files",
                              (json_int_t)s.metadata_files);
        json_object_update_new(
            o,
            json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "last_run", when, "last_run_ms",
                      (json_int_t)s.last_run_ms, "duration_ms", (json_int_t)s.last_duration_ms,
                      "runs", (json_int_t)s.runs, "expired", (json_int_t)s.last_expired, "deleted",
                      (json_int_t)s.last_deleted, "expired_total", (json_int_t)s.expired_total,
                      "deleted_total", (json_int_t)s.deleted_total, "errors", (json_int_t)s.errors,
                      "result", result));
        json_object_update_new(o,
                               json_pack("{s:I,s:I,s:I}", "compacted", (json_int_t)s.last_compacted,
                                         "compacted_total", (json_int_t)s.compacted_total,
                                         "skipped", (json_int_t)s.skipped));
        json_array_append_new(arr, o);
    }
    return arr;
}

/* GET /status (a server thread): {"pipelines":[{name, topic, table,
 * records_in, rejected, committed, unchanged, commits, lag,
 * last_commit_ms, last_commit, snapshots, files, commit_ms_avg,
 * commit_ms_p50, commit_ms_p99, commit_ms_max, commit_conflicts,
 * commit_ms_hist}],
 * "tables": maint_status_json} */
static void up_status_json(void *ctx, struct fl_buf *out) {
    const struct up_status *us = ctx;
    json_t *arr = json_array();
    for (int i = 0; i < us->npipes; i++) {
        struct fl_pipe_stats ps;
        fl_pipe_get_stats(us->pipes[i], &ps);
        char when[40] = "", table[600];
        if (ps.last_commit_ms >= 0)
            fl_time_format_iso(ps.last_commit_ms * 1000, when, sizeof(when));
        snprintf(table, sizeof(table), "%s.%s", ps.ns, ps.table);
        json_array_append_new(
            arr,
            json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:I}", "name", ps.name,
                      "topic", ps.topic, "table", table, "records_in", (json_int_t)ps.records_in,
                      "rejected", (json_int_t)ps.records_dlq, "committed",
                      (json_int_t)ps.records_out, "unchanged", (json_int_t)ps.rows_unchanged,
                      "commits", (json_int_t)ps.commits, "lag", (json_int_t)ps.lag,
                      "last_commit_ms", (json_int_t)ps.last_commit_ms, "last_commit", when,
                      "snapshots", (json_int_t)ps.snapshots, "files", (json_int_t)ps.data_files));
        json_t *last = json_array_get(arr, json_array_size(arr) - 1);
        json_object_update_new(
            last, json_pack("{s:I,s:I,s:I,s:I,s:I}", "commit_ms_avg",
                            (json_int_t)(ps.commits ? ps.commit_us_total / 1000 / ps.commits : 0),
                            "commit_ms_p50", (json_int_t)ps.commit_ms_p50, "commit_ms_p99",
                            (json_int_t)ps.commit_ms_p99, "commit_ms_max",
                            (json_int_t)(ps.commit_us_max / 1000), "commit_conflicts",
                            (json_int_t)ps.commit_conflicts));
        /* the latency histogram, for windows between two polls: [[ms, commits], ...]
         * with the empty buckets left out */
        int64_t *hist = fl_calloc(FL_PIPE_COMMIT_HIST_MS + 1, sizeof(*hist));
        int nh = fl_pipe_commit_hist(us->pipes[i], hist, FL_PIPE_COMMIT_HIST_MS + 1);
        json_t *h = json_array();
        for (int b = 0; b < nh; b++)
            if (hist[b])
                json_array_append_new(h, json_pack("[I,I]", (json_int_t)b, (json_int_t)hist[b]));
        fl_free(hist);
        json_object_set_new(last, "commit_ms_hist", h);
        if (ps.partitions[0]) json_object_set_new(last, "partitions", json_string(ps.partitions));
        if (ps.error[0]) json_object_set_new(last, "error", json_string(ps.error));
    }
    json_t *o = json_pack("{s:o,s:o,s:o}", "pipelines", arr, "tables", maint_status_json(us->maint),
                          "sources", sources_status_json(us));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text) fl_buf_append_str(out, text);
    free(text);
}

/* What floe up holds while it runs; each phase below fills a part and
 * up_stop frees whatever was made. */
struct up {
    struct fl_up_plan plan;
    char logdir[PATH_MAX + 8];
    struct fl_log *log;
    struct fl_store *store;
    struct fl_catalog *cat;
    struct fl_pipe **pipes;
    int npipes;
    struct fl_maint *maint;
    struct fl_cdc_pg **srcs; /* change data capture sources (they own their pipelines) */
    int nsrcs;
    struct fl_pipe **allpipes; /* pipes and the sources' pipelines, for status (not owned) */
    struct up_status ustat;
    struct fl_up_metrics umet;
    struct fl_rest rest;
    struct fl_ingest_backend be, co;
    bool be_kafka;                /* be produces into an external cluster (log: {kafka: ...}) */
    struct fl_kafka_forward kfwd; /* the Kafka port's Produce through be, when be_kafka */
    struct fl_ingest *ing;
    struct fl_ingest_server *srv;
    struct fl_kafka *kafka;
    struct fl_kafka_server *ksrv;
    sigset_t sigs;
    struct fl_error err;
};

/* Without an auth: section every route and the Kafka port are open;
 * that is floe's embedded default on 127.0.0.1, where only local users
 * reach it. Open on any other address only when the config says so
 * (auth: {open: true}). */
static int up_check_open(const struct fl_up_plan *plan) {
    const struct fl_auth *a = &plan->cfg.auth;
    if (a->present) return 0;
    const char *bad = !fl_addr_is_loopback(plan->listen) ? plan->listen
                      : plan->kafka_enabled && !fl_addr_is_loopback(plan->kafka_listen)
                          ? plan->kafka_listen
                          : NULL;
    if (!bad) return 0;
    fprintf(stderr,
            "floe up: %s is not a loopback address and the config has no auth: section; "
            "add API keys (auth: {keys: [...]}, see floe auth new) or say auth: {open: true}\n",
            bad);
    return 1;
}

/* Phase 1: the plan, and the data directory made and made absolute. */
static int up_make_plan(struct up *u, const char *conf, const char *listen, const char *data,
                        const char *klisten) {
    if (fl_up_plan_build(&u->plan, conf, listen, data, &u->err)) {
        fprintf(stderr, "floe up: %s\n", u->err.msg);
        return 2;
    }
    if (klisten) {
        struct sockaddr_storage ss;
        if (fl_addr_parse(klisten, &ss, &u->err)) {
            fprintf(stderr, "floe up: --kafka-listen: %s\n", u->err.msg);
            return 2;
        }
        fl_up_plan_set_kafka_listen(&u->plan, klisten);
    }
    char absdata[PATH_MAX];
    if (mkdir_p(u->plan.data_dir) || !realpath(u->plan.data_dir, absdata)) {
        fprintf(stderr, "floe up: data directory %s: %s\n", u->plan.data_dir, strerror(errno));
        return 1;
    }
    fl_up_plan_set_data_dir(&u->plan, absdata);
    if (up_check_open(&u->plan)) return 2;
    if (snprintf(u->logdir, sizeof(u->logdir), "%s/log", absdata) >= (int)sizeof(u->logdir)) {
        fprintf(stderr, "floe up: data directory %s: path too long\n", absdata);
        return 1;
    }
    return 0;
}

/* Phase 2: the log, the warehouse store and every topic of the plan. */
static int up_open_log(struct up *u) {
    struct fl_log_opts lopts = {.dir = u->logdir,
                                .max_disk_bytes = u->plan.max_disk_bytes,
                                .min_free_bytes = u->plan.min_free_bytes};
    if (fl_log_open(&lopts, &u->log, &u->err)) {
        fprintf(stderr, "floe up: log %s: %s\n", u->logdir, u->err.msg);
        return 1;
    }
    if (fl_store_open(u->plan.warehouse, NULL, &u->store, &u->err)) {
        fprintf(stderr, "floe up: warehouse %s: %s\n", u->plan.warehouse, u->err.msg);
        return 1;
    }
    for (int i = 0; i < u->plan.ntopics; i++)
        if (fl_log_topic_ensure(u->log, u->plan.topics[i].name, &u->plan.topics[i].tc, &u->err)) {
            fprintf(stderr, "floe up: topics: %s\n", u->err.msg);
            return 1;
        }
    return 0;
}

/* Phase 3b: the maintenance thread over every table floe writes. */
static int up_start_maint(struct up *u) {
    if (fl_maint_new(u->store, u->cat, u->plan.maint, u->plan.nmaint, &u->maint, &u->err)) {
        fprintf(stderr, "floe up: %s\n", u->err.msg);
        return 1;
    }
    /* processes sharing a catalog maintain each table one at a time: a
     * lease per table in the catalog, owned by host and data directory */
    char host[256] = "", owner[256 + PATH_MAX];
    gethostname(host, sizeof(host) - 1);
    snprintf(owner, sizeof(owner), "%s:%s", host, u->plan.data_dir);
    owner[255] = 0;
    fl_maint_set_lease_owner(u->maint, owner);
    if (fl_maint_start(u->maint, &u->err)) {
        fprintf(stderr, "floe up: %s\n", u->err.msg);
        return 1;
    }
    int on = 0;
    for (int i = 0; i < u->plan.nmaint; i++) on += u->plan.maint[i].pol.enabled;
    printf("floe up: maintenance: %d of %d tables\n", on, u->plan.nmaint);
    return 0;
}

/* Phase 3c: the change data capture sources (sources.h): each checks its
 * tables, makes its mirror tables and pipelines, then streams on a
 * thread of its own. */
static int up_start_sources(struct up *u) {
    const struct fl_config *cfg = &u->plan.cfg;
    if (cfg->nsources > 0) u->srcs = fl_calloc((size_t)cfg->nsources, sizeof(*u->srcs));
    int total = u->npipes;
    for (int i = 0; i < cfg->nsources; i++) {
        const struct fl_config_source *s = &cfg->sources[i];
        char spill[4096]; /* open transactions spill here (cdc/pg_txbuf.h) */
        snprintf(spill, sizeof(spill), "%s/cdc/%s", u->plan.data_dir, s->slot ? s->slot : "floe");
        struct fl_cdc_pg_config pc = {.uri = s->uri,
                                      .slot = s->slot,
                                      .publication = s->publication,
                                      .topic_prefix = s->topic_prefix,
                                      .tables = (const char *const *)s->tables,
                                      .targets = (const char *const *)s->targets,
                                      .ntables = s->ntables,
                                      .snapshot = s->snapshot != 0,
                                      .commit_interval_ms = s->commit_interval_ms,
                                      .spill_dir = spill,
                                      .stream_buffer_bytes = s->stream_buffer_bytes,
                                      .no_streaming = s->streaming == 0,
                                      .partitions = (const char *const *const *)s->partition,
                                      .npartitions = s->npartition,
                                      .tombstones = s->tombstones != 0,
                                      .schema = s->schema == 1};
        fl_err_t rc = fl_cdc_pg_new(u->log, u->store, u->cat, &pc, &u->srcs[i], &u->err);
        if (!rc) u->nsrcs++;
        if (!rc) rc = fl_cdc_pg_start(u->srcs[i], &u->err);
        if (rc) {
            fprintf(stderr, "floe up: %s\n", u->err.msg);
            return 1;
        }
        struct fl_pipe *const *pp;
        int n = fl_cdc_pg_pipes(u->srcs[i], &pp);
        total += n;
        printf("floe up: source %s: postgres, %d tables\n", fl_cdc_pg_name(u->srcs[i]), n);
    }
    u->allpipes = fl_calloc((size_t)total + 1, sizeof(*u->allpipes));
    int k = 0;
    for (int i = 0; i < u->npipes; i++) u->allpipes[k++] = u->pipes[i];
    for (int i = 0; i < u->nsrcs; i++) {
        struct fl_pipe *const *pp;
        int n = fl_cdc_pg_pipes(u->srcs[i], &pp);
        for (int j = 0; j < n; j++) u->allpipes[k++] = pp[j];
    }
    return 0;
}

/* Phase 3: the catalog, the declared and built-in tables, and the
 * pipelines from topics into Iceberg tables (their threads start here). */
static int up_start_pipelines(struct up *u) {
    /* SIGINT and SIGTERM are taken by sigwait (up_wait): block them before
     * any pipeline or server thread starts so that every thread inherits the mask */
    sigemptyset(&u->sigs);
    sigaddset(&u->sigs, SIGINT);
    sigaddset(&u->sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &u->sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (fl_catalog_open(u->plan.catalog, "floe", &u->cat, &u->err)) {
        fprintf(stderr, "floe up: catalog %s: %s\n", u->plan.catalog, u->err.msg);
        return 1;
    }
    if (up_declared_tables(u->store, u->cat, &u->plan.cfg, &u->err)) {
        fprintf(stderr, "floe up: %s\n", u->err.msg);
        return 2;
    }
    for (int i = 0; i < u->plan.npipes; i++) {
        const struct fl_up_pipe *up = &u->plan.pipes[i];
        if (up->schema_json &&
            ensure_table(u->store, u->cat, up->table, up->schema_json, up->term, &u->err)) {
            fprintf(stderr, "floe up: table default.%s: %s\n", up->table, u->err.msg);
            return 1;
        }
    }
    if (u->plan.npipes > 0) u->pipes = fl_calloc((size_t)u->plan.npipes, sizeof(*u->pipes));
    for (int i = 0; i < u->plan.npipes; i++) {
        const struct fl_pipe_config *pc = &u->plan.pipes[i].pc;
        fl_err_t rc = fl_pipe_new(u->log, u->store, u->cat, pc, &u->pipes[i], &u->err);
        if (u->pipes[i]) u->npipes++;
        if (!rc) rc = fl_pipe_start(u->pipes[i], &u->err);
        if (rc) {
            fprintf(stderr, "floe up: %s\n", u->err.msg);
            return 1;
        }
        if (pc->kafka)
            printf("floe up: pipeline %s: kafka %s group %s -> table %s.%s\n", pc->name,
                   pc->kafka->bootstrap, pc->kafka->group, pc->ns, pc->table);
        else
            printf("floe up: pipeline %s: topic %s -> table %s.%s\n", pc->name, pc->topic, pc->ns,
                   pc->table);
    }
    int rc = up_start_sources(u);
    return rc ? rc : up_start_maint(u);
}

/* A PEM file's text (at most 1 MiB) into *out (the caller frees it). */
static fl_err_t read_pem(const char *path, char **out, struct fl_error *err) {
    FILE *f = fopen(path, "r");
    if (!f) return fl_errf(err, FL_ERR_IO, "%s: %s", path, strerror(errno));
    size_t cap = (size_t)1 << 20;
    char *buf = fl_malloc(cap + 1);
    size_t n = fread(buf, 1, cap + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > cap || n == 0) {
        fl_free(buf);
        return fl_errf(err, FL_ERR_INVALID, "%s: %s", path,
                       bad ? "cannot be read"
                       : n ? "over 1 MiB"
                           : "empty");
    }
    buf[n] = 0;
    *out = buf;
    return FL_OK;
}

/* Phase 4: HTTP ingest, the REST catalog, POST /sql and GET /status on
 * one port. */
static int up_start_server(struct up *u) {
    struct fl_log_topic_config defaults;
    fl_log_topic_config_default(&defaults);
    struct fl_ingest_config *icfg = &u->plan.icfg;
    /* the Iceberg REST catalog for Trino, Spark, DuckDB, PyIceberg under /v1/ */
    const struct fl_auth *auth = &u->plan.cfg.auth;
    /* with auth on, /v1/ takes the same API keys as every route (router.c);
     * FLOE_REST_TOKEN is the catalog's own token only without it */
    u->rest = (struct fl_rest){.store = u->store,
                               .cat = u->cat,
                               .token = fl_auth_required(auth) ? NULL : getenv("FLOE_REST_TOKEN")};
    icfg->auth = auth;
    icfg->rest = &u->rest;
    /* POST /sql over the tables and the topics (topic.NAME), REST catalog or not */
    icfg->sql = (struct fl_ingest_sql){.store = u->store, .cat = u->cat, .log = u->log};
    int nall = u->npipes;
    for (int i = 0; i < u->nsrcs; i++) {
        struct fl_pipe *const *pp;
        nall += fl_cdc_pg_pipes(u->srcs[i], &pp);
    }
    u->ustat = (struct up_status){u->allpipes, nall, u->maint, u->srcs, u->nsrcs};
    icfg->status = up_status_json;
    icfg->status_ctx = &u->ustat;
    u->umet = (struct fl_up_metrics){u->log, u->allpipes, nall};
    icfg->metrics = fl_up_metrics_write;
    icfg->metrics_ctx = &u->umet;
    const struct fl_config_ksource *lk = u->plan.cfg.log_kafka;
    if (lk) { /* the front door produces into an external Kafka cluster */
        if (fl_ingest_backend_kafka_init(&u->be, lk->bootstrap, (const char *const *)lk->prop_keys,
                                         (const char *const *)lk->prop_values, lk->nprops, u->store,
                                         &u->err)) {
            fprintf(stderr, "floe up: %s\n", u->err.msg);
            return 1;
        }
        u->be_kafka = true;
        printf("floe up: HTTP ingest produces into kafka %s\n", lk->bootstrap);
    } else {
        fl_ingest_backend_log_init(&u->be, u->log, u->store, &defaults);
    }
    /* concurrent single-event requests share one log append (coalesce.c) */
    fl_ingest_coalesce_init(&u->co, &u->be, (size_t)1 << 20);
    const char *cert = u->plan.cfg.tls.cert, *key = u->plan.cfg.tls.key;
    char *cert_pem = NULL, *key_pem = NULL;
    if (cert && (read_pem(cert, &cert_pem, &u->err) || read_pem(key, &key_pem, &u->err))) {
        fl_free(cert_pem);
        fprintf(stderr, "floe up: tls: %s\n", u->err.msg);
        return 1;
    }
    fl_err_t rc = fl_ingest_new(icfg, &u->co, &u->ing, &u->err);
    if (!rc)
        rc =
            fl_ingest_server_start_tls(u->ing, u->plan.listen, cert_pem, key_pem, &u->srv, &u->err);
    if (key_pem) explicit_bzero(key_pem, strlen(key_pem));
    fl_free(key_pem);
    fl_free(cert_pem);
    if (rc) {
        fprintf(stderr, "floe up: %s\n", u->err.msg);
        return 1;
    }
    const char *addr = u->plan.listen, *colon = strrchr(addr, ':');
    printf("floe up: listening on %s://%.*s:%u (log %s, warehouse %s)\n", cert ? "https" : "http",
           (int)(colon ? colon - addr : 0), addr, fl_ingest_server_port(u->srv), u->logdir,
           fl_store_uri(u->store));
    fflush(stdout);
    fl_info("floe up: serving on port %u", fl_ingest_server_port(u->srv));
    return 0;
}

/* Phase 4b: the Kafka protocol server on its own port, over the same log. */
static int up_start_kafka(struct up *u) {
    if (!u->plan.kafka_enabled) return 0;
    u->plan.kcfg.auth = &u->plan.cfg.auth; /* SASL/PLAIN with the same keys */
    if (u->be_kafka) { /* Produce goes to the external cluster too, acked by it */
        u->kfwd = (struct fl_kafka_forward){u->be.ctx, u->be.topic_partitions, u->be.append};
        u->plan.kcfg.forward = &u->kfwd;
    }
    if (fl_kafka_new(u->log, &u->plan.kcfg, &u->kafka, &u->err) ||
        fl_kafka_server_start(u->kafka, u->plan.kafka_listen, &u->ksrv, &u->err)) {
        fprintf(stderr, "floe up: %s\n", u->err.msg);
        return 1;
    }
    if (u->be_kafka)
        printf("floe up: kafka port: Produce goes to kafka %s\n", u->plan.cfg.log_kafka->bootstrap);
    printf("floe up: kafka on %s:%u (advertised %s:%d)%s\n", u->plan.kafka_host,
           fl_kafka_server_port(u->ksrv), u->plan.kafka_host,
           u->plan.kcfg.advertised_port ? u->plan.kcfg.advertised_port
                                        : fl_kafka_server_port(u->ksrv),
           u->plan.kcfg.tls_cert ? " tls" : "");
    fflush(stdout);
    return 0;
}

/* Phase 5: until SIGINT or SIGTERM; then intake stops (requests in
 * progress finish and are answered). */
static void up_wait(struct up *u) {
    int sig = 0;
    sigwait(&u->sigs, &sig);
    fl_info("floe up: %s: stopping intake", sig == SIGINT ? "SIGINT" : "SIGTERM");
    fl_ingest_server_stop(u->srv);
    u->srv = NULL;
    fl_kafka_server_stop(u->ksrv);
    u->ksrv = NULL;
}

/* Phase 6: whatever was started, stopped in reverse order. */
static void up_stop(struct up *u) {
    fl_ingest_server_stop(u->srv);
    fl_kafka_server_stop(u->ksrv);
    fl_kafka_free(u->kafka);
    /* maintenance first: the action in flight finishes, nothing new starts */
    fl_maint_free(u->maint);
    /* the sources stop streaming, their pipelines commit what arrived */
    for (int i = 0; i < u->nsrcs; i++) fl_cdc_pg_free(u->srcs[i]);
    fl_free(u->srcs);
    fl_free(u->allpipes);
    /* intake is stopped: each pipeline commits what arrived, then stops */
    for (int i = 0; i < u->npipes; i++) fl_pipe_free(u->pipes[i]);
    fl_free(u->pipes);
    fl_catalog_free(u->cat);
    fl_ingest_free(u->ing);
    if (u->co.ctx) fl_ingest_coalesce_fini(&u->co);
    if (u->be.ctx && u->be_kafka) fl_ingest_backend_kafka_fini(&u->be);
    if (u->be.ctx && !u->be_kafka) fl_ingest_backend_log_fini(&u->be);
    if (u->log) fl_log_close(u->log);
    fl_store_free(u->store);
    fl_up_plan_fini(&u->plan);
}

int fl_cli_up(int argc, char **argv) {
    const char *conf = NULL, *listen = NULL, *data = NULL, *klisten = NULL, *pos[1];
    int npos;
    const struct fl_cli_opt opts[] = {
        {.name = "--config", .alias = "-c", .kind = FL_CLI_STR, .target = &conf},
        {.name = "--listen", .kind = FL_CLI_STR, .target = &listen},
        {.name = "--data", .kind = FL_CLI_STR, .target = &data},
        {.name = "--kafka-listen", .kind = FL_CLI_STR, .target = &klisten},
        {0}};
    int rc = fl_cli_opts("up", opts, argc, argv, pos, 0, &npos, up_usage);
    if (rc >= 0) return rc;

    struct up *u = fl_calloc(1, sizeof(*u));
    int status = up_make_plan(u, conf, listen, data, klisten);
    if (!status) status = up_open_log(u);
    if (!status) status = up_start_pipelines(u);
    if (!status) status = up_start_server(u);
    if (!status) status = up_start_kafka(u);
    if (!status) up_wait(u);
    up_stop(u);
    fl_free(u);
    if (status == 0) fl_info("floe up: log closed, bye");
    return status;
}
