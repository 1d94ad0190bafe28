/*
 * config.h - floe's configuration file (YAML), as `floe up -c FILE` reads
 * it. Small on purpose: the server's address, the data directory, the
 * warehouse, HTTP limits, log limits, topics and upload kinds. The
 * loader refuses unknown keys and wrong types with "FILE:LINE: key: why".
 * Later issues add sections here (pipelines, tables); each section is
 * one walker function in config.c.
 *
 *   listen: 127.0.0.1:8080
 *   data_dir: /var/lib/floe          # log in DATA/log, warehouse DATA/warehouse
 *   warehouse: s3://bucket/prefix    # default file://DATA/warehouse
 *   auto_create_topics: true
 *   limits: {header_bytes: 8192, body_bytes: 8388608, records: 10000,
 *            connections: 1024, timeout_s: 30, threads: 16}
 *   log: {max_disk_bytes: -1, min_free_bytes: 67108864}
 *   topics:
 *     - {name: weather, partitions: 1, sync: always, flush_interval_ms: 1000}
 *   uploads:
 *     - {prefix: session, folder: sessions, topic: session_topic}
 *   catalog: sqlite:/var/lib/floe/catalog.db   # or postgresql://...
 *   pipelines:                       # topic -> Iceberg table, exactly once; [] = none
 *     - {name: weather, topic: weather, table: default.weather, commit_interval_ms: 1000}
 *     - name: sessions                # seed 000: pointer records, validated, upserted
 *       topic: session_topic
 *       table: default.sessions
 *       decode: pointer               # json (default) | pointer
 *       key: [uuid]                   # upsert key; default the table's identifier fields
 *       required: [uuid, status]      # non-null columns
 *       allowed: {status: [approved, resubmission]}
 *     - name: weather_agg             # seed 001's Flink job: windowed aggregates
 *       topic: weather
 *       table: default.weather_agg    # created when absent
 *       window:
 *         time: ts                    # event time column
 *         key: [city]                 # group columns
 *         size: 1m                    # durations: 500ms, 10s, 1m, 2h, 1d
 *         slide: 1m                   # hopping when less than size; default size
 *         lateness: 10s               # allowed lateness; default 0
 *         aggregates:                 # count|sum|avg|min|max: column ("*" for count)
 *           - {avg: temperature, as: avg_temperature}
 *           - {count: "*", as: record_count}
 *         postgres: {uri: "postgresql://u@host/db", table: weather}   # optional
 *       map: [{derive: {column: dt, from: date(ts)}}]   # see below
 *   tables:                          # created by floe up when missing; see below
 *     - {name: t, schema: [{name: id, type: long, required: true}], identifier: [id]}
 *   sources:                         # change data capture (config_sources.c)
 *     - postgres: {uri: "postgresql://...", slot: floe, publication: floe,
 *                  tables: [public.users], snapshot: initial, topic_prefix: dbserver1}
 *   kafka:                           # the Kafka protocol server (config_kafka.c)
 *     {enabled: true, listen: 127.0.0.1:9092, advertised: localhost:9092,
 *      auto_create_topics: true, partitions: 1, max_request_bytes: 104857600,
 *      max_connections: 1024, max_inflight_bytes: 67108864,
 *      users: [{name: alice, password: secret}]}    # SASL/PLAIN required
 *   auth:                            # API keys and roles (config_auth.c)
 *     keys: [{name: ingest, hash: "sha256:<64 hex>", role: write}]
 *   tls: {cert: /etc/floe/cert.pem, key: /etc/floe/key.pem}   # HTTPS on listen
 *
 * docs/config.md describes every key.
 */
#ifndef FL_CORE_CONFIG_H
#define FL_CORE_CONFIG_H

#include "core/auth.h"
#include "core/err.h"

#include <stdint.h>

/* The limits of a configuration file, each in this one place: input past
 * one is refused at load with "FILE:LINE: key: too many ... (at most N)",
 * and floe up and floe config show keep everything the loader accepts. */
#define FL_CONFIG_FILE_MAX (64 << 20) /* bytes of the file */
#define FL_CONFIG_TOPICS_MAX 1024
/* a topic's partitions: the log's limit too (log.h's FL_LOG_MAX_PARTITIONS
 * is this), so a config the loader accepts is one the log can open */
#define FL_CONFIG_PARTITIONS_MAX 10000
#define FL_CONFIG_UPLOADS_MAX 32 /* upload kinds (ingest.h's FL_INGEST_KINDS_MAX) */
#define FL_CONFIG_PIPELINES_MAX 1024
#define FL_CONFIG_LIST_MAX 256    /* strings in a list: key, required, partition, ... */
#define FL_CONFIG_ALLOWED_MAX 256 /* columns with allowed values in one pipeline */
#define FL_CONFIG_AGGS_MAX 32     /* a window's aggregates (window.h's FL_PIPE_WINDOW_MAX_AGGS) */
#define FL_CONFIG_WINDOW_KEYS_MAX 16 /* a window's group columns (FL_PIPE_WINDOW_MAX_KEYS) */
#define FL_CONFIG_MAP_STEPS_MAX 256  /* a pipeline's map steps */
#define FL_CONFIG_TABLES_MAX 1024
#define FL_CONFIG_FIELDS_MAX 4096        /* a table's columns, and its properties */
#define FL_CONFIG_KAFKA_USERS_MAX 1024   /* kafka.users */
#define FL_CONFIG_SOURCES_MAX 64         /* sources */
#define FL_CONFIG_SOURCE_TABLES_MAX 1024 /* a source's tables */

/* Unset numbers are -1, unset strings NULL: the caller applies defaults. */

/* A `maintenance:` block (config_maint.c): at the top level the default
 * of every table floe writes, under tables[] or pipelines[] that table's
 * own (its keys win one by one). Durations in ms, sizes in bytes. The
 * loader refuses a policy that could expire every snapshot:
 * min_snapshots_to_keep below 1, a zero or negative age or interval.
 *   maintenance:
 *     enabled: true
 *     interval: 60s
 *     expire: {max_snapshot_age: 3m, min_snapshots_to_keep: 1, max_ref_age: 7d}
 *     compact: {enabled: true, target_file_size: 128MiB, min_input_files: 5, every: 1m}
 *     clean: {enabled: true, older_than: 3d, every: 1h} */
struct fl_config_maint {
    int given; /* the block was present */
    int enabled;
    int64_t interval_ms;
    int64_t max_snapshot_age_ms, min_snapshots, max_ref_age_ms;
    int compact_enabled;
    int64_t target_file_size, min_input_files;
    int64_t compact_every_ms;
    int clean_enabled;
    int64_t clean_older_than_ms, clean_every_ms;
    char *where; /* "FILE:LINE" of the block */
};
#define FL_CONFIG_MAINT_UNSET                                                                      \
    { 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, NULL }
struct fl_config_topic {
    char *name;
    int64_t partitions;
    int sync; /* -1 unset, 0 always, 1 interval, 2 never (fl_log_sync_t's order) */
    int64_t flush_interval_ms;
};

struct fl_config_upload {
    char *prefix, *folder, *topic;
};

struct fl_config_allowed {
    char *col;
    char **values;
    int nvalues;
};

/* A pipeline's window step (see pipeline/window.h). */
struct fl_config_agg {
    int fn;         /* FL_PIPE_AGG_*'s order: 0 count, 1 sum, 2 avg, 3 min, 4 max */
    char *col, *as; /* col "*" = count(*) */
};

struct fl_config_window {
    char *time;
    char **key;
    int nkey;
    int64_t size_ms, slide_ms, lateness_ms; /* slide -1 = size, lateness -1 = 0 */
    struct fl_config_agg *aggs;
    int naggs;
    char *pg_uri, *pg_table;
};

/* A map step (config_tables.c), in the order written:
 *   - rename: {from: KEY, to: COLUMN}
 *   - cast: COLUMN | {column: COLUMN, unit: s|ms|us}
 *   - derive: {column: COLUMN, from: now|topic|partition|offset|date(KEY)|hour(KEY)}
 *   - derive: {column: COLUMN, value: CONSTANT} */
#define FL_CONFIG_MAP_RENAME 0
#define FL_CONFIG_MAP_CAST 1
#define FL_CONFIG_MAP_DERIVE 2
struct fl_config_map {
    int kind;
    char *column; /* rename: the new name; cast, derive: the column */
    char *from;   /* rename: the old name; derive: what from; cast: unit */
    char *value;  /* derive: a constant */
    char *where;  /* "FILE:LINE" of the step, for errors found later */
};

/* A pipeline's source in an external Kafka cluster (config_source.c):
 *   source: {kafka: {bootstrap: "host:9092", topics: [a, b] | "^regex",
 *                    group: floe-weather, properties: {security.protocol: ...}}} */
#define FL_CONFIG_SOURCE_TOPICS_MAX 256
#define FL_CONFIG_SOURCE_PROPS_MAX 256
struct fl_config_ksource {
    char *bootstrap, *group;
    char **topics; /* names, or one "^regex" */
    int ntopics;
    char **prop_keys, **prop_values; /* librdkafka properties, passed through */
    int nprops;
};

struct fl_config_pipeline {
    char *name, *topic, *table;      /* table: NS.NAME; topic: of floe's log */
    struct fl_config_ksource *kafka; /* source: {kafka: ...} instead of topic; NULL = none */
    int64_t commit_interval_ms;
    int decode;                /* -1 unset, 0 json, 1 pointer (FL_PIPE_DECODE_*'s values) */
    struct fl_config_map *map; /* map steps, in order */
    int nmap;
    char **key, **required;
    int nkey, nrequired;
    struct fl_config_allowed *allowed;
    int nallowed;
    struct fl_config_window *window; /* NULL = none */
    struct fl_config_maint maint;    /* the target table's */
};

/* A table floe up creates when the catalog lacks it (config_tables.c):
 *   tables:
 *     - namespace: default            # default "default"
 *       name: ratings
 *       schema:                       # ids 1, 2, ... in order; or schema_json: '{...}'
 *         - {name: id, type: long, required: true}
 *         - {name: amount, type: 'decimal(10,2)'}   # quoted in { }: docs/config.md
 *       partition: [day(ts), 'bucket(16, id)', status]
 *       identifier: [id]              # the upsert key (Iceberg identifier fields)
 *       properties: {write.format.default: parquet}
 *       on_schema_change: add_columns # or fail (default) */
struct fl_config_field {
    char *name, *type;
    int required;
    char *where; /* "FILE:LINE" */
};

struct fl_config_table {
    char *ns, *name;
    struct fl_config_field *fields;
    int nfields;
    char *schema_json; /* instead of fields */
    char **partition, **identifier;
    int npartition, nidentifier;
    char **prop_keys, **prop_values;
    int nprops;
    int add_columns; /* on_schema_change: 1 add_columns, 0 fail */
    char *where;     /* "FILE:LINE" of the entry */
    struct fl_config_maint maint;
};

/* The `kafka:` section (config_kafka.c); unset -1 / NULL. */
struct fl_config_kafka {
    int enabled;
    char *listen;     /* checked: ADDR:PORT */
    char *advertised; /* HOST or HOST:PORT that Metadata replies name */
    int auto_create_topics;
    int64_t partitions; /* of topics created on first use */
    int64_t max_request_bytes, max_connections, max_inflight_bytes;
    char **user_names, **user_passwords; /* SASL/PLAIN users: users: [{name, password}] */
    int nusers;
    char *tls_cert, *tls_key; /* tls: {cert, key}: PEM files, TLS on the port */
};

/* A change data capture source (config_sources.c); unset -1 / NULL. */
#define FL_CONFIG_SOURCE_POSTGRES 1
struct fl_config_source {
    int kind; /* FL_CONFIG_SOURCE_* */
    char *uri, *slot, *publication, *topic_prefix;
    char **tables;  /* "[schema.]table" */
    char **targets; /* per table "ns.name" or NULL */
    int ntables;
    char **mirror_ns, **mirror_name; /* per table the mirror's namespace and name (derived) */
    char ***partition;               /* per table the mirror's partition terms (none: NULL) */
    int *npartition;
    struct fl_config_maint *maint; /* per table its own maintenance: block (given 0: none) */
    int snapshot;                  /* -1 unset (initial), 1 initial, 0 never */
    int64_t commit_interval_ms;
    int64_t stream_buffer_bytes; /* -1 unset (16 MiB) */
    int streaming;               /* -1 unset (on), 1, 0 */
    int tombstones;              /* -1 unset (true), 1, 0: a null-value record after each delete */
    int schema; /* -1 unset (false), 1, 0: envelopes as JsonConverter's {schema, payload} */
};

struct fl_config {
    char *listen;
    char *data_dir;
    char *warehouse;
    int auto_create_topics; /* -1 unset, 0, 1 */
    struct {
        int64_t header_bytes, body_bytes, records, connections, timeout_s, threads;
    } limits;
    int64_t max_disk_bytes, min_free_bytes;
    /* log: {kafka: {bootstrap, properties}}: HTTP ingest produces into an
     * external cluster (config_source.c); NULL = floe's own log. Its
     * topics, group and the pipeline-only keys stay unset. */
    struct fl_config_ksource *log_kafka;
    struct fl_config_topic *topics;
    int ntopics;
    struct fl_config_upload *uploads;
    int nuploads;
    char *catalog;
    struct fl_config_table *tables; /* config_tables.c */
    int ntables;
    char *path; /* the file read, for messages */
    struct fl_config_pipeline *pipelines;
    int npipelines;
    int pipelines_given; /* the key was present (an empty list turns the built-in one off) */
    struct fl_config_maint maint; /* the top level's: every table's default */
    struct fl_config_kafka kafka;
    struct fl_config_source *sources; /* config_sources.c */
    int nsources;
    struct fl_auth auth; /* config_auth.c; auth.present 0: no section */
    struct {
        char *cert, *key; /* PEM files: HTTPS on listen (config_auth.c); NULL none */
    } tls;
};

/* Everything unset. */
void fl_config_init(struct fl_config *cfg);
void fl_config_fini(struct fl_config *cfg);

/* Reads the YAML file path into cfg (initialized by the caller; on a
 * failure it holds what was read so far and must still be finied).
 * FL_ERR_IO when unreadable, FL_ERR_INVALID with "path:line: key: why". */
fl_err_t fl_config_load(const char *path, struct fl_config *cfg, struct fl_error *err);

#endif
