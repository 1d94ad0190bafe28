/*
 * cmd_up.c - `floe up [-c FILE] [--listen ADDR:PORT] [--data DIR]`: runs
 * floe. Opens the durable log (DIR/log) and the warehouse store
 * (file://DIR/warehouse unless configured), ensures the seed topics
 * (weather, session_topic, employee_topic, client_topic) and the
 * configured ones, serves HTTP ingest until SIGINT or SIGTERM, then stops
 * intake (requests in progress finish and are answered), closes the log
 * cleanly and exits 0.
 *
 * Pipelines: the config's `pipelines:` list, or without one the
 * built-in ones: weather -> default.weather (append), and seed 000's
 * datalake: session_topic/employee_topic/client_topic carry pointer
 * records to uploaded files, upserted by uuid into default.sessions
 * (partitioned by status; status must be approved or resubmission),
 * default.employees and default.clients; and seed 001's Flink job:
 * weather -> default.weather_agg, 1-minute average temperature and
 * count per city (pipeline/window.h).
 *
 * Tables: the config's `tables:` are created when the catalog lacks them
 * (up_tables.c) before any pipeline starts. GET /status on the same port
 * reports each pipeline's counters (floe status prints them).
 */
#include "cli/cli.h"
#include "cli/up_tables.h"
#include "core/config.h"
#include "core/time.h"
#include "ingest/routes_rest.h"
#include "iceberg/table.h"
#include "pipeline/pipeline.h"
#include "core/log.h"
#include "ingest/backend_log.h"
#include "ingest/coalesce.h"
#include "ingest/ingest.h"
#include "ingest/server.h"
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

static const char *const SEED_TOPICS[] = {"weather", "session_topic", "employee_topic",
                                          "client_topic"};

static void up_usage(FILE *f) {
    fprintf(f,
            "usage: floe up [-c FILE] [--listen ADDR:PORT] [--data DIR]\n"
            "  -c FILE             YAML configuration (see docs/internals/ingest.md)\n"
            "  --listen ADDR:PORT  HTTP address (default 127.0.0.1:8080; port 0 = any free)\n"
            "  --data DIR          data directory: DIR/log, DIR/warehouse (default ./floe-data)\n");
}

/* The topic config for name: the log's defaults, then the config file's entry. */
static void topic_cfg(const struct fl_config *cfg, const char *name,
                      struct fl_log_topic_config *tc) {
    fl_log_topic_config_default(tc);
    for (int i = 0; i < cfg->ntopics; i++) {
        const struct fl_config_topic *t = &cfg->topics[i];
        if (strcmp(t->name, name)) continue;
        if (t->partitions > 0) tc->partitions = (int)t->partitions;
        if (t->sync >= 0) tc->sync = (fl_log_sync_t)t->sync;
        if (t->flush_interval_ms > 0) tc->flush_interval_ms = t->flush_interval_ms;
    }
}

static int mkdir_p(const char *dir) {
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp)) return -1;
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) && errno != EEXIST ? -1 : 0;
}

/* Seed 001's weather events, as floe's built-in table: the event's own
 * columns, when floe processed it, and where it sat in the log. */
static const char WEATHER_SCHEMA[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"temperature\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"},"
    "{\"id\":4,\"name\":\"processed_timestamp\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":5,\"name\":\"_kafka_topic\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":6,\"name\":\"_kafka_partition\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":7,\"name\":\"_kafka_offset\",\"required\":false,\"type\":\"long\"}]}";

/* Seed 000's tables. The seed shows the session records' fields (uuid,
 * status, client_uuid, specialist_uuid); for employees and clients it
 * shows only the uuid key, so their other columns are a choice (name,
 * email, role): fields of a file that the table lacks are ignored. uuid
 * is the identifier field (the upsert key) of all three. */
static const char SESSIONS_SCHEMA[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"uuid\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"status\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"client_uuid\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"specialist_uuid\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":5,\"name\":\"processed_timestamp\",\"required\":false,\"type\":\"timestamptz\"}]}";
static const char EMPLOYEES_SCHEMA[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"uuid\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"email\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"role\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":5,\"name\":\"processed_timestamp\",\"required\":false,\"type\":\"timestamptz\"}]}";
static const char CLIENTS_SCHEMA[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"identifier-field-ids\":[1],\"fields\":["
    "{\"id\":1,\"name\":\"uuid\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"email\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"processed_timestamp\",\"required\":false,\"type\":\"timestamptz\"}]}";

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
    if (!rc) rc = fl_ice_table_create(st, cat, "default", name, schema, spec, NULL, 0, &tbl, err);
    if (rc == FL_ERR_EXISTS) {
        fl_err_clear(err);
        rc = FL_OK;
    }
    fl_ice_table_free(tbl);
    fl_ice_spec_free(spec);
    fl_schema_free(schema);
    return rc;
}

/* The built-in pipelines (no `pipelines:` in the config). uuid, the
 * identifier field, is the upsert key of the seed 000 tables. */
static const char *const SESSION_STATUS[] = {"approved", "resubmission"};
static const struct fl_pipe_allowed SESSION_ALLOWED[] = {{"status", SESSION_STATUS, 2}};
static const char *const SESSION_REQUIRED[] = {"uuid", "status"};

/* Seed 001's Flink job: 1-minute tumbling windows per city, average
 * temperature and count, into default.weather_agg (created by the
 * pipeline: its schema follows from the window). The event's ts is only
 * its hour ("2026-01-08-14"), which would put a whole hour in its first
 * minute, so the windows run on the log timestamp: when floe received
 * the reading. */
static const char *const WEATHER_KEY[] = {"city"};
static const struct fl_pipe_agg WEATHER_AGGS[] = {
    {FL_PIPE_AGG_AVG, "temperature", "avg_temperature"}, {FL_PIPE_AGG_COUNT, "*", "record_count"}};
static const struct fl_pipe_window_config WEATHER_WINDOW = {.time_col = "_kafka_timestamp",
                                                            .key = WEATHER_KEY,
                                                            .nkey = 1,
                                                            .size_ms = 60000,
                                                            .lateness_ms = 10000,
                                                            .aggs = WEATHER_AGGS,
                                                            .naggs = 2};

struct builtin_pipe {
    const char *topic, *table, *schema, *term;
    int decode;
    struct fl_pipe_rules rules;
    const struct fl_pipe_window_config *window;
};

static const struct builtin_pipe BUILTIN[] = {
    {"weather", "weather", WEATHER_SCHEMA, "day(ts)", FL_PIPE_DECODE_JSON, {0}, NULL},
    {"session_topic",
     "sessions",
     SESSIONS_SCHEMA,
     "status",
     FL_PIPE_DECODE_POINTER,
     {SESSION_REQUIRED, 2, SESSION_ALLOWED, 1},
     NULL},
    {"employee_topic", "employees", EMPLOYEES_SCHEMA, NULL, FL_PIPE_DECODE_POINTER, {0}, NULL},
    {"client_topic", "clients", CLIENTS_SCHEMA, NULL, FL_PIPE_DECODE_POINTER, {0}, NULL},
    {"weather", "weather_agg", NULL, NULL, FL_PIPE_DECODE_JSON, {0}, &WEATHER_WINDOW},
};

/* The config's tables: created when missing, checked when present. */
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
};

/* GET /status (a server thread): {"pipelines":[{name, topic, table,
 * records_in, rejected, committed, unchanged, commits, lag,
 * last_commit_ms, last_commit, snapshots, files}]} */
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
    }
    json_t *o = json_pack("{s:o}", "pipelines", arr);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text) fl_buf_append_str(out, text);
    free(text);
}

int fl_cli_up(int argc, char **argv) {
    const char *conf_path = NULL, *listen_arg = NULL, *data_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
            conf_path = argv[++i];
        else if (!strcmp(argv[i], "--listen") && i + 1 < argc)
            listen_arg = argv[++i];
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data_arg = argv[++i];
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            up_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "floe up: unknown argument \"%s\"\n", argv[i]);
            up_usage(stderr);
            return 2;
        }
    }

    int status = 1;
    struct fl_error err = {0};
    struct fl_config cfg;
    struct fl_ingest_config icfg;
    struct fl_log *log = NULL;
    struct fl_store *store = NULL;
    struct fl_ingest *ing = NULL;
    struct fl_ingest_server *srv = NULL;
    struct fl_ingest_backend be = {0}, co = {0};
    struct fl_catalog *cat = NULL;
    struct fl_pipe *pipes[64] = {0};
    int npipes = 0;
    fl_config_init(&cfg);
    fl_ingest_config_default(&icfg);
    if (conf_path && fl_config_load(conf_path, &cfg, &err)) {
        fprintf(stderr, "floe up: %s\n", err.msg);
        status = 2;
        goto out;
    }
    const char *data = data_arg ? data_arg : cfg.data_dir ? cfg.data_dir : "floe-data";
    const char *listen_addr = listen_arg ? listen_arg : cfg.listen ? cfg.listen : "127.0.0.1:8080";
    char absdata[PATH_MAX], logdir[PATH_MAX + 8], wh[PATH_MAX + 32];
    if (mkdir_p(data) || !realpath(data, absdata)) {
        fprintf(stderr, "floe up: data directory %s: %s\n", data, strerror(errno));
        goto out;
    }
    snprintf(logdir, sizeof(logdir), "%s/log", absdata);
    if (cfg.warehouse)
        snprintf(wh, sizeof(wh), "%s", cfg.warehouse);
    else
        snprintf(wh, sizeof(wh), "file://%s/warehouse", absdata);

    /* limits and upload kinds from the config file */
    if (cfg.limits.header_bytes > 0) icfg.limits.header_bytes = (size_t)cfg.limits.header_bytes;
    if (cfg.limits.body_bytes > 0) icfg.limits.body_bytes = (size_t)cfg.limits.body_bytes;
    if (cfg.limits.records > 0) icfg.limits.records = (int)cfg.limits.records;
    if (cfg.limits.connections > 0) icfg.limits.connections = (unsigned)cfg.limits.connections;
    if (cfg.limits.timeout_s > 0) icfg.limits.timeout_s = (unsigned)cfg.limits.timeout_s;
    if (cfg.limits.threads > 0) icfg.limits.threads = (unsigned)cfg.limits.threads;
    if (cfg.auto_create_topics >= 0) icfg.auto_create_topics = cfg.auto_create_topics;
    for (int i = 0; i < cfg.nuploads; i++)
        if (fl_ingest_config_set_kind(&icfg, cfg.uploads[i].prefix, cfg.uploads[i].folder,
                                      cfg.uploads[i].topic, &err)) {
            fprintf(stderr, "floe up: %s: uploads: %s\n", conf_path, err.msg);
            status = 2;
            goto out;
        }

    struct fl_log_opts lopts;
    memset(&lopts, 0, sizeof(lopts));
    lopts.dir = logdir;
    lopts.max_disk_bytes = cfg.max_disk_bytes >= 0 ? cfg.max_disk_bytes : -1;
    lopts.min_free_bytes = cfg.min_free_bytes >= 0 ? cfg.min_free_bytes : INT64_C(64) << 20;
    if (fl_log_open(&lopts, &log, &err)) {
        fprintf(stderr, "floe up: log %s: %s\n", logdir, err.msg);
        goto out;
    }
    if (fl_store_open(wh, NULL, &store, &err)) {
        fprintf(stderr, "floe up: warehouse %s: %s\n", wh, err.msg);
        goto out;
    }
    /* the seed topics, the upload kinds' topics and the configured ones */
    struct fl_log_topic_config tc;
    for (size_t i = 0; i < sizeof(SEED_TOPICS) / sizeof(SEED_TOPICS[0]); i++) {
        topic_cfg(&cfg, SEED_TOPICS[i], &tc);
        if (fl_log_topic_ensure(log, SEED_TOPICS[i], &tc, &err)) goto log_err;
    }
    for (int i = 0; i < icfg.nkinds; i++) {
        topic_cfg(&cfg, icfg.kinds[i].topic, &tc);
        if (fl_log_topic_ensure(log, icfg.kinds[i].topic, &tc, &err)) goto log_err;
    }
    for (int i = 0; i < cfg.ntopics; i++) {
        topic_cfg(&cfg, cfg.topics[i].name, &tc);
        if (fl_log_topic_ensure(log, cfg.topics[i].name, &tc, &err)) goto log_err;
    }

    /* SIGINT and SIGTERM are taken by sigwait below: block them before any
     * pipeline or server thread starts so that every thread inherits the mask */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* the catalog and the pipelines from topics into Iceberg tables */
    char caturi[PATH_MAX + 32];
    if (cfg.catalog)
        snprintf(caturi, sizeof(caturi), "%s", cfg.catalog);
    else
        snprintf(caturi, sizeof(caturi), "sqlite://%s/catalog.db", absdata);
    if (fl_catalog_open(caturi, "floe", &cat, &err)) {
        fprintf(stderr, "floe up: catalog %s: %s\n", caturi, err.msg);
        goto out;
    }
    if (up_declared_tables(store, cat, &cfg, &err)) {
        fprintf(stderr, "floe up: %s\n", err.msg);
        status = 2;
        goto out;
    }
    bool builtin = !cfg.pipelines_given;
    for (size_t i = 0; builtin && i < sizeof(BUILTIN) / sizeof(BUILTIN[0]); i++)
        if (BUILTIN[i].schema &&
            ensure_table(store, cat, BUILTIN[i].table, BUILTIN[i].schema, BUILTIN[i].term, &err)) {
            fprintf(stderr, "floe up: table default.%s: %s\n", BUILTIN[i].table, err.msg);
            goto out;
        }
    int want = builtin ? (int)(sizeof(BUILTIN) / sizeof(BUILTIN[0])) : cfg.npipelines;
    for (int i = 0; i < want && npipes < 64; i++) {
        /* without a pipelines section: the built-in ones */
        const struct fl_config_pipeline *pl = builtin ? NULL : &cfg.pipelines[i];
        const struct builtin_pipe *bp = builtin ? &BUILTIN[i] : NULL;
        char ns[256] = "default", name[256];
        struct fl_pipe_allowed allowed[64];
        struct fl_pipe_map_step steps[256];
        struct fl_pipe_config pc = {.commit_interval_ms = 1000};
        struct fl_pipe_agg aggs[32];
        struct fl_pipe_window_config wc;
        if (pl) {
            const char *dot = strrchr(pl->table, '.');
            snprintf(ns, sizeof(ns), "%.*s", (int)(dot - pl->table), pl->table);
            snprintf(name, sizeof(name), "%s", dot + 1);
            topic_cfg(&cfg, pl->topic, &tc);
            if (fl_log_topic_ensure(log, pl->topic, &tc, &err)) goto log_err;
            pc.name = pl->name ? pl->name : pl->topic;
            pc.topic = pl->topic;
            pc.commit_interval_ms = pl->commit_interval_ms;
            pc.decode = pl->decode > 0 ? FL_PIPE_DECODE_POINTER : FL_PIPE_DECODE_JSON;
            pc.nmap = fl_up_map_steps(pl, steps, 256);
            pc.map = steps;
            pc.key = (const char *const *)pl->key;
            pc.nkey = pl->nkey;
            pc.rules.required = (const char *const *)pl->required;
            pc.rules.nrequired = pl->nrequired;
            for (int k = 0; k < pl->nallowed && k < 64; k++)
                allowed[k] = (struct fl_pipe_allowed){pl->allowed[k].col,
                                                      (const char *const *)pl->allowed[k].values,
                                                      pl->allowed[k].nvalues};
            pc.rules.allowed = allowed;
            pc.rules.nallowed = pl->nallowed < 64 ? pl->nallowed : 64;
            if (pl->window) {
                const struct fl_config_window *cw = pl->window;
                for (int k = 0; k < cw->naggs && k < 32; k++)
                    aggs[k] = (struct fl_pipe_agg){(fl_pipe_agg_t)cw->aggs[k].fn, cw->aggs[k].col,
                                                   cw->aggs[k].as};
                wc = (struct fl_pipe_window_config){
                    cw->time,     (const char *const *)cw->key,
                    cw->nkey,     cw->size_ms,
                    cw->slide_ms, cw->lateness_ms > 0 ? cw->lateness_ms : 0,
                    aggs,         cw->naggs,
                    cw->pg_uri,   cw->pg_table};
                pc.window = &wc;
            }
        } else {
            snprintf(name, sizeof(name), "%s", bp->table);
            pc.name = bp->window ? bp->table : bp->topic;
            pc.topic = bp->topic;
            pc.window = bp->window;
            pc.decode = bp->decode;
            pc.rules = bp->rules;
        }
        pc.ns = ns;
        pc.table = name;
        if (fl_pipe_new(log, store, cat, &pc, &pipes[npipes], &err) ||
            fl_pipe_start(pipes[npipes], &err)) {
            fprintf(stderr, "floe up: %s\n", err.msg);
            if (pipes[npipes]) npipes++;
            goto out;
        }
        printf("floe up: pipeline %s: topic %s -> table %s.%s\n", pc.name, pc.topic, ns, name);
        npipes++;
    }

    struct fl_log_topic_config defaults;
    fl_log_topic_config_default(&defaults);
    /* the Iceberg REST catalog for Trino, Spark, DuckDB, PyIceberg under /v1/ */
    struct fl_rest rest = {.store = store, .cat = cat, .token = getenv("FLOE_REST_TOKEN")};
    icfg.rest = &rest;
    /* POST /sql over the tables and the topics (topic.NAME), REST catalog or not */
    icfg.sql = (struct fl_ingest_sql){.store = store, .cat = cat, .log = log};
    struct up_status ustat = {pipes, npipes};
    icfg.status = up_status_json;
    icfg.status_ctx = &ustat;
    fl_ingest_backend_log_init(&be, log, store, &defaults);
    /* concurrent single-event requests share one log append (coalesce.c) */
    fl_ingest_coalesce_init(&co, &be, (size_t)1 << 20);
    if (fl_ingest_new(&icfg, &co, &ing, &err) ||
        fl_ingest_server_start(ing, listen_addr, &srv, &err)) {
        fprintf(stderr, "floe up: %s\n", err.msg);
        goto out;
    }
    const char *colon = strrchr(listen_addr, ':');
    printf("floe up: listening on http://%.*s:%u (log %s, warehouse %s)\n",
           (int)(colon - listen_addr), listen_addr, fl_ingest_server_port(srv), logdir,
           fl_store_uri(store));
    fflush(stdout);
    fl_info("floe up: serving on port %u", fl_ingest_server_port(srv));

    int sig = 0;
    sigwait(&sigs, &sig);
    fl_info("floe up: %s: stopping intake", sig == SIGINT ? "SIGINT" : "SIGTERM");
    fl_ingest_server_stop(srv);
    srv = NULL;
    status = 0;
    goto out;
log_err:
    fprintf(stderr, "floe up: topics: %s\n", err.msg);
out:
    fl_ingest_server_stop(srv);
    /* intake is stopped: each pipeline commits what arrived, then stops */
    for (int i = 0; i < npipes; i++) fl_pipe_free(pipes[i]);
    fl_catalog_free(cat);
    fl_ingest_free(ing);
    if (co.ctx) fl_ingest_coalesce_fini(&co);
    if (be.ctx) fl_ingest_backend_log_fini(&be);
    if (log) fl_log_close(log);
    fl_store_free(store);
    fl_ingest_config_fini(&icfg);
    fl_config_fini(&cfg);
    if (status == 0) fl_info("floe up: log closed, bye");
    return status;
}
