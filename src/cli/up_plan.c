/*
 * up_plan.c - the effective plan of `floe up` (up_plan.h): the config
 * file, the command line's overrides and every default, in one place.
 *
 * How it works: the file is loaded (core/config.c checks shapes and
 * limits, with FILE:LINE); then each default is applied once - listen,
 * data_dir and what derives from it, the ingest limits and upload kinds,
 * the log's disk limits - and the lists floe up acts on are built: the
 * topics (the seeds', the upload kinds', the configured ones and the
 * pipelines', each once with its settings) and the pipelines (the
 * configured ones, each with dynamic arrays for its allowed values, map
 * steps and aggregates, or the built-in ones of seeds 000 and 001).
 */
#include "cli/up_plan.h"
#include "cli/up_tables.h"
#include "core/mem.h"
#include "iceberg/partition.h"
#include "pipeline/window.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* what the loader accepts, the pipeline and the ingest router take */
_Static_assert(FL_CONFIG_AGGS_MAX <= FL_PIPE_WINDOW_MAX_AGGS, "window aggregates");
_Static_assert(FL_CONFIG_WINDOW_KEYS_MAX <= FL_PIPE_WINDOW_MAX_KEYS, "window keys");
_Static_assert(FL_CONFIG_UPLOADS_MAX <= FL_INGEST_KINDS_MAX, "upload kinds");

static const char *const SEED_TOPICS[] = {"weather", "session_topic", "employee_topic",
                                          "client_topic"};

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

#define NBUILTIN ((int)(sizeof(BUILTIN) / sizeof(BUILTIN[0])))

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = fl_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* Adds name (once) with the log's defaults, then the config file's entry. */
static void add_topic(struct fl_up_plan *plan, const char *name) {
    for (int i = 0; i < plan->ntopics; i++)
        if (!strcmp(plan->topics[i].name, name)) return;
    plan->topics = fl_reallocarray(plan->topics, (size_t)plan->ntopics + 1, sizeof(*plan->topics));
    struct fl_up_topic *t = &plan->topics[plan->ntopics++];
    t->name = name;
    fl_log_topic_config_default(&t->tc);
    for (int i = 0; i < plan->cfg.ntopics; i++) {
        const struct fl_config_topic *ct = &plan->cfg.topics[i];
        if (strcmp(ct->name, name)) continue;
        if (ct->partitions > 0) t->tc.partitions = (int)ct->partitions;
        if (ct->sync >= 0) t->tc.sync = (fl_log_sync_t)ct->sync;
        if (ct->flush_interval_ms > 0) t->tc.flush_interval_ms = ct->flush_interval_ms;
    }
}

/* A configured pipeline in the pipeline's form, its arrays owned by up. */
static void configured_pipe(const struct fl_config_pipeline *pl, struct fl_up_pipe *up) {
    struct fl_pipe_config *pc = &up->pc;
    const char *dot = strrchr(pl->table, '.'); /* the loader checked NS.NAME */
    up->ns = fl_strndup(pl->table, (size_t)(dot - pl->table));
    up->table = fl_strdup(dot + 1);
    pc->name = pl->name ? pl->name : pl->topic;
    pc->topic = pl->topic;
    if (pl->kafka) {
        const struct fl_config_ksource *k = pl->kafka;
        up->kafka =
            (struct fl_pipe_kafka_config){.bootstrap = k->bootstrap,
                                          .group = k->group,
                                          .topics = (const char *const *)k->topics,
                                          .ntopics = k->ntopics,
                                          .prop_keys = (const char *const *)k->prop_keys,
                                          .prop_values = (const char *const *)k->prop_values,
                                          .nprops = k->nprops};
        pc->kafka = &up->kafka;
    }
    pc->commit_interval_ms = pl->commit_interval_ms > 0 ? pl->commit_interval_ms : 1000;
    pc->decode = pl->decode > 0 ? FL_PIPE_DECODE_POINTER : FL_PIPE_DECODE_JSON;
    pc->nmap = pl->nmap;
    pc->map = up->steps = fl_up_map_steps(pl);
    pc->key = (const char *const *)pl->key;
    pc->nkey = pl->nkey;
    pc->rules.required = (const char *const *)pl->required;
    pc->rules.nrequired = pl->nrequired;
    if (pl->nallowed > 0) up->allowed = fl_calloc((size_t)pl->nallowed, sizeof(*up->allowed));
    for (int k = 0; k < pl->nallowed; k++)
        up->allowed[k] = (struct fl_pipe_allowed){
            pl->allowed[k].col, (const char *const *)pl->allowed[k].values, pl->allowed[k].nvalues};
    pc->rules.allowed = up->allowed;
    pc->rules.nallowed = pl->nallowed;
    const struct fl_config_window *cw = pl->window;
    if (!cw) return;
    up->aggs = fl_calloc((size_t)cw->naggs, sizeof(*up->aggs));
    for (int k = 0; k < cw->naggs; k++)
        up->aggs[k] =
            (struct fl_pipe_agg){(fl_pipe_agg_t)cw->aggs[k].fn, cw->aggs[k].col, cw->aggs[k].as};
    up->wc =
        (struct fl_pipe_window_config){.time_col = cw->time,
                                       .key = (const char *const *)cw->key,
                                       .nkey = cw->nkey,
                                       .size_ms = cw->size_ms,
                                       .slide_ms = cw->slide_ms,
                                       .lateness_ms = cw->lateness_ms > 0 ? cw->lateness_ms : 0,
                                       .aggs = up->aggs,
                                       .naggs = cw->naggs,
                                       .pg_uri = cw->pg_uri,
                                       .pg_table = cw->pg_table};
    pc->window = &up->wc;
}

static void builtin_pipe(const struct builtin_pipe *bp, struct fl_up_pipe *up) {
    struct fl_pipe_config *pc = &up->pc;
    up->ns = fl_strdup("default");
    up->table = fl_strdup(bp->table);
    up->schema_json = bp->schema;
    up->term = bp->term;
    pc->name = bp->window ? bp->table : bp->topic;
    pc->topic = bp->topic;
    pc->commit_interval_ms = 1000;
    pc->window = bp->window;
    pc->decode = bp->decode;
    pc->rules = bp->rules;
}

/* The advertised host of a listen address: its host, or 127.0.0.1 for
 * every address (a client cannot connect to 0.0.0.0). */
static char *listen_host(const char *addr) {
    const char *colon = strrchr(addr, ':');
    size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
    if (addr[0] == '[' && n >= 2) return dupf("%.*s", (int)(n - 2), addr + 1);
    if (n == 0 || (n == 7 && !strncmp(addr, "0.0.0.0", 7)) || (n == 4 && !strncmp(addr, "[::]", 4)))
        return fl_strdup("127.0.0.1");
    return dupf("%.*s", (int)n, addr);
}

void fl_up_plan_set_kafka_listen(struct fl_up_plan *plan, const char *addr) {
    const struct fl_config_kafka *kc = &plan->cfg.kafka;
    fl_free(plan->kafka_listen);
    fl_free(plan->kafka_host);
    plan->kafka_enabled = 1;
    plan->kafka_listen = fl_strdup(addr);
    plan->kcfg.advertised_port = 0;
    if (kc->advertised) {
        const char *colon = strrchr(kc->advertised, ':');
        bool v6 = kc->advertised[0] == '[';
        if (colon && !(v6 && colon < strchr(kc->advertised, ']'))) {
            plan->kafka_host = dupf("%.*s", (int)(colon - kc->advertised), kc->advertised);
            plan->kcfg.advertised_port = atoi(colon + 1);
        } else {
            plan->kafka_host = fl_strdup(kc->advertised);
        }
    } else {
        plan->kafka_host = listen_host(addr);
    }
    plan->kcfg.advertised_host = plan->kafka_host;
}

/* The kafka: section with its defaults (kafka.h's). */
static void kafka_plan(struct fl_up_plan *plan) {
    const struct fl_config *cfg = &plan->cfg;
    const struct fl_config_kafka *kc = &cfg->kafka;
    struct fl_kafka_config *k = &plan->kcfg;
    fl_kafka_config_default(k);
    if (kc->auto_create_topics >= 0)
        k->auto_create_topics = kc->auto_create_topics;
    else if (cfg->auto_create_topics >= 0)
        k->auto_create_topics = cfg->auto_create_topics;
    if (kc->partitions > 0) k->topic_defaults.partitions = (int)kc->partitions;
    if (kc->max_request_bytes > 0) k->max_request_bytes = (size_t)kc->max_request_bytes;
    if (kc->max_connections > 0) k->max_connections = (int)kc->max_connections;
    if (kc->max_inflight_bytes > 0) k->max_inflight_bytes = (size_t)kc->max_inflight_bytes;
    k->tls_cert = kc->tls_cert; /* borrowed from the config, as the users are */
    k->tls_key = kc->tls_key;
    if (kc->nusers > 0) {
        plan->kusers = fl_calloc((size_t)kc->nusers, sizeof(*plan->kusers));
        for (int i = 0; i < kc->nusers; i++)
            plan->kusers[i] = (struct fl_kafka_user){kc->user_names[i], kc->user_passwords[i]};
        k->users = plan->kusers;
        k->nusers = kc->nusers;
    }
    fl_up_plan_set_kafka_listen(plan, kc->listen ? kc->listen : FL_KAFKA_LISTEN_DEFAULT);
    plan->kafka_enabled = kc->enabled != 0;
}

/* The CDC mirrors' partition terms read as terms (their columns are
 * known only once floe reads the source tables: checked then). */
static fl_err_t check_mirror_partitions(const struct fl_config *cfg, struct fl_error *err) {
    for (int i = 0; i < cfg->nsources; i++) {
        const struct fl_config_source *s = &cfg->sources[i];
        for (int k = 0; k < s->ntables; k++)
            for (int j = 0; j < s->npartition[k]; j++) {
                char xf[64], col[256];
                if (fl_ice_term_parse(s->partition[k][j], xf, sizeof(xf), col, sizeof(col)))
                    return fl_errf(err, FL_ERR_INVALID,
                                   "sources[].postgres.tables[%s].partition: \"%s\" is not col, "
                                   "f(col) or f(N, col)",
                                   s->tables[k], s->partition[k][j]);
            }
    }
    return FL_OK;
}

fl_err_t fl_up_plan_build(struct fl_up_plan *plan, const char *conf_path, const char *listen,
                          const char *data_dir, struct fl_error *err) {
    memset(plan, 0, sizeof(*plan));
    fl_config_init(&plan->cfg);
    fl_ingest_config_default(&plan->icfg);
    plan->conf_path = conf_path;
    if (conf_path) {
        fl_err_t rc = fl_config_load(conf_path, &plan->cfg, err);
        if (rc) return rc;
    }
    const struct fl_config *cfg = &plan->cfg;
    plan->listen = fl_strdup(listen ? listen : cfg->listen ? cfg->listen : "127.0.0.1:8080");
    fl_up_plan_set_data_dir(plan, data_dir        ? data_dir
                                  : cfg->data_dir ? cfg->data_dir
                                                  : "floe-data");

    struct fl_ingest_config *icfg = &plan->icfg;
    if (cfg->limits.header_bytes > 0) icfg->limits.header_bytes = (size_t)cfg->limits.header_bytes;
    if (cfg->limits.body_bytes > 0) icfg->limits.body_bytes = (size_t)cfg->limits.body_bytes;
    if (cfg->limits.records > 0) icfg->limits.records = (int)cfg->limits.records;
    if (cfg->limits.connections > 0) icfg->limits.connections = (unsigned)cfg->limits.connections;
    if (cfg->limits.timeout_s > 0) icfg->limits.timeout_s = (unsigned)cfg->limits.timeout_s;
    if (cfg->limits.threads > 0) icfg->limits.threads = (unsigned)cfg->limits.threads;
    if (cfg->auto_create_topics >= 0) icfg->auto_create_topics = cfg->auto_create_topics;
    for (int i = 0; i < cfg->nuploads; i++) {
        fl_err_t rc = fl_ingest_config_set_kind(icfg, cfg->uploads[i].prefix,
                                                cfg->uploads[i].folder, cfg->uploads[i].topic, err);
        if (rc) {
            fl_err_prefix(err, "%s: uploads", conf_path);
            return rc;
        }
    }
    kafka_plan(plan);
    plan->max_disk_bytes = cfg->max_disk_bytes >= 0 ? cfg->max_disk_bytes : -1;
    plan->min_free_bytes = cfg->min_free_bytes >= 0 ? cfg->min_free_bytes : INT64_C(64) << 20;

    plan->builtin = !cfg->pipelines_given;
    int n = plan->builtin ? NBUILTIN : cfg->npipelines;
    if (n > 0) plan->pipes = fl_calloc((size_t)n, sizeof(*plan->pipes));
    for (int i = 0; i < n; i++, plan->npipes++) {
        struct fl_up_pipe *up = &plan->pipes[i];
        if (plan->builtin)
            builtin_pipe(&BUILTIN[i], up);
        else
            configured_pipe(&cfg->pipelines[i], up);
        up->pc.ns = up->ns;
        up->pc.table = up->table;
    }

    /* the topics: the seeds', the upload kinds', the configured and the pipelines' */
    for (size_t i = 0; i < sizeof(SEED_TOPICS) / sizeof(SEED_TOPICS[0]); i++)
        add_topic(plan, SEED_TOPICS[i]);
    for (int i = 0; i < icfg->nkinds; i++) add_topic(plan, icfg->kinds[i].topic);
    for (int i = 0; i < cfg->ntopics; i++) add_topic(plan, cfg->topics[i].name);
    for (int i = 0; i < plan->npipes; i++)
        if (plan->pipes[i].pc.topic) add_topic(plan, plan->pipes[i].pc.topic);
    fl_err_t rc = check_mirror_partitions(cfg, err);
    return rc ? rc : fl_up_plan_maint(plan, err);
}

void fl_up_plan_set_data_dir(struct fl_up_plan *plan, const char *dir) {
    char *d = fl_strdup(dir); /* dir may be plan->data_dir itself */
    fl_free(plan->data_dir);
    fl_free(plan->warehouse);
    fl_free(plan->catalog);
    plan->data_dir = d;
    plan->warehouse =
        plan->cfg.warehouse ? fl_strdup(plan->cfg.warehouse) : dupf("file://%s/warehouse", d);
    plan->catalog =
        plan->cfg.catalog ? fl_strdup(plan->cfg.catalog) : dupf("sqlite://%s/catalog.db", d);
}

void fl_up_plan_fini(struct fl_up_plan *plan) {
    for (int i = 0; i < plan->npipes; i++) {
        struct fl_up_pipe *up = &plan->pipes[i];
        fl_free(up->ns);
        fl_free(up->table);
        fl_free(up->allowed);
        fl_free(up->steps);
        fl_free(up->aggs);
    }
    fl_free(plan->pipes);
    fl_free(plan->maint);
    fl_free(plan->topics);
    fl_free(plan->listen);
    fl_free(plan->data_dir);
    fl_free(plan->warehouse);
    fl_free(plan->catalog);
    fl_free(plan->kafka_listen);
    fl_free(plan->kafka_host);
    fl_free(plan->kusers);
    fl_ingest_config_fini(&plan->icfg);
    fl_config_fini(&plan->cfg);
    memset(plan, 0, sizeof(*plan));
}
