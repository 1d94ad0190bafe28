/*
 * cmd_config.c - `floe config check FILE` and `floe config show [-c FILE]`.
 *
 * check loads the file as floe up does and goes one step further
 * without touching any data: every declared table's schema, identifier
 * and partition terms are built, and every pipeline's map steps are
 * compiled against its table when the file declares that table. Exit 0
 * when all is well, 1 with "FILE:LINE: key: why" otherwise.
 *
 * show prints the configuration floe up would run with - the file's
 * values and every default filled in (listen, data_dir, warehouse,
 * catalog, limits, log, each topic's settings, upload kinds) - as YAML
 * that check accepts again.
 */
#include "cli/cli.h"
#include "cli/up_tables.h"
#include "core/config.h"
#include "ingest/ingest.h"
#include "log/log.h"
#include "pipeline/map.h"

#include <stdio.h>
#include <string.h>

static void config_usage(FILE *f) {
    fprintf(f, "usage: floe config check FILE      validate a configuration (exit 0 or 1)\n"
               "       floe config show [-c FILE]  the effective configuration, defaults applied, "
               "as YAML\n");
}

static const struct fl_config_table *declared(const struct fl_config *cfg, const char *nsname) {
    for (int i = 0; i < cfg->ntables; i++) {
        const struct fl_config_table *t = &cfg->tables[i];
        size_t n = strlen(t->ns);
        if (!strncmp(nsname, t->ns, n) && nsname[n] == '.' && !strcmp(nsname + n + 1, t->name))
            return t;
    }
    return NULL;
}

static int check(const char *path) {
    struct fl_config cfg;
    struct fl_error err = {0};
    fl_config_init(&cfg);
    fl_err_t rc = fl_config_load(path, &cfg, &err);
    for (int i = 0; !rc && i < cfg.ntables; i++) {
        struct fl_schema *s = NULL;
        struct fl_ice_spec *spec = NULL;
        rc = fl_up_table_build(&cfg.tables[i], &s, &spec, &err);
        fl_schema_free(s);
        fl_ice_spec_free(spec);
    }
    for (int i = 0; !rc && i < cfg.npipelines; i++) {
        const struct fl_config_pipeline *pl = &cfg.pipelines[i];
        const struct fl_config_table *t = declared(&cfg, pl->table);
        if (!t) continue; /* a table already in the catalog: checked when floe up opens it */
        struct fl_schema *s = NULL;
        struct fl_ice_spec *spec = NULL;
        struct fl_pipe_map *map = NULL;
        struct fl_pipe_map_step steps[256];
        int n = fl_up_map_steps(pl, steps, 256);
        rc = fl_up_table_build(t, &s, &spec, &err);
        if (!rc) rc = fl_pipe_map_new(s, steps, n, &map, &err);
        for (int k = 0; !rc && k < pl->nkey; k++)
            if (fl_schema_index_by_name(s, pl->key[k]) < 0)
                rc = fl_errf(&err, FL_ERR_INVALID,
                             "%s: pipelines[%s].key: table %s has no column %s", path,
                             pl->name ? pl->name : pl->topic, pl->table, pl->key[k]);
        fl_pipe_map_free(map);
        fl_schema_free(s);
        fl_ice_spec_free(spec);
    }
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    else
        printf("%s: ok (%d topics, %d tables, %d pipelines)\n", path, cfg.ntopics, cfg.ntables,
               cfg.npipelines);
    fl_config_fini(&cfg);
    return rc ? 1 : 0;
}

/* A YAML double-quoted scalar. */
static void q(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void qlist(const char *key, char **v, int n) {
    if (*key) printf("%s: ", key);
    printf("[");
    for (int i = 0; i < n; i++) {
        if (i) printf(", ");
        q(v[i]);
    }
    printf("]");
}

static void show_topic(const struct fl_config *cfg, const char *name) {
    static const char *const sync[] = {"always", "interval", "never"};
    struct fl_log_topic_config tc;
    fl_log_topic_config_default(&tc);
    for (int i = 0; i < cfg->ntopics; i++) {
        const struct fl_config_topic *t = &cfg->topics[i];
        if (strcmp(t->name, name)) continue;
        if (t->partitions > 0) tc.partitions = (int)t->partitions;
        if (t->sync >= 0) tc.sync = (fl_log_sync_t)t->sync;
        if (t->flush_interval_ms > 0) tc.flush_interval_ms = t->flush_interval_ms;
    }
    printf("  - {name: ");
    q(name);
    printf(", partitions: %d, sync: %s, flush_interval_ms: %lld}\n", tc.partitions, sync[tc.sync],
           (long long)tc.flush_interval_ms);
}

static int show(const char *path) {
    struct fl_config cfg;
    struct fl_error err = {0};
    struct fl_ingest_config icfg;
    fl_config_init(&cfg);
    fl_ingest_config_default(&icfg);
    if (path && fl_config_load(path, &cfg, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        fl_config_fini(&cfg);
        fl_ingest_config_fini(&icfg);
        return 1;
    }
    for (int i = 0; i < cfg.nuploads; i++)
        fl_ingest_config_set_kind(&icfg, cfg.uploads[i].prefix, cfg.uploads[i].folder,
                                  cfg.uploads[i].topic, NULL);
    const char *data = cfg.data_dir ? cfg.data_dir : "floe-data";
    printf("# effective configuration%s%s (defaults filled in)\n", path ? " of " : "",
           path ? path : "");
    printf("listen: ");
    q(cfg.listen ? cfg.listen : "127.0.0.1:8080");
    printf("\ndata_dir: ");
    q(data);
    printf("\nwarehouse: ");
    if (cfg.warehouse)
        q(cfg.warehouse);
    else
        printf("\"file://%s/warehouse\"", data);
    printf("\ncatalog: ");
    if (cfg.catalog)
        q(cfg.catalog);
    else
        printf("\"sqlite://%s/catalog.db\"", data);
    printf("\nauto_create_topics: %s\n",
           (cfg.auto_create_topics >= 0 ? cfg.auto_create_topics : icfg.auto_create_topics)
               ? "true"
               : "false");
    printf(
        "limits: {header_bytes: %lld, body_bytes: %lld, records: %lld, connections: %lld, "
        "timeout_s: %lld, threads: %lld}\n",
        (long long)(cfg.limits.header_bytes > 0 ? cfg.limits.header_bytes
                                                : (int64_t)icfg.limits.header_bytes),
        (long long)(cfg.limits.body_bytes > 0 ? cfg.limits.body_bytes
                                              : (int64_t)icfg.limits.body_bytes),
        (long long)(cfg.limits.records > 0 ? cfg.limits.records : icfg.limits.records),
        (long long)(cfg.limits.connections > 0 ? cfg.limits.connections : icfg.limits.connections),
        (long long)(cfg.limits.timeout_s > 0 ? cfg.limits.timeout_s : icfg.limits.timeout_s),
        (long long)(cfg.limits.threads > 0 ? cfg.limits.threads : icfg.limits.threads));
    printf("log: {max_disk_bytes: %lld, min_free_bytes: %lld}\n", (long long)cfg.max_disk_bytes,
           (long long)(cfg.min_free_bytes >= 0 ? cfg.min_free_bytes : INT64_C(64) << 20));
    /* the topics floe up makes: the seeds', the upload kinds', the configured and the pipelines' */
    printf("topics:\n");
    const char *seen[2048];
    int nseen = 0;
    const char *seed[] = {"weather", "session_topic", "employee_topic", "client_topic"};
    for (int pass = 0; pass < 4; pass++) {
        int n = pass == 0 ? 4 : pass == 1 ? icfg.nkinds : pass == 2 ? cfg.ntopics : cfg.npipelines;
        for (int i = 0; i < n; i++) {
            const char *name = pass == 0   ? seed[i]
                               : pass == 1 ? icfg.kinds[i].topic
                               : pass == 2 ? cfg.topics[i].name
                                           : cfg.pipelines[i].topic;
            int dup = 0;
            for (int k = 0; k < nseen && !dup; k++) dup = !strcmp(seen[k], name);
            if (dup || nseen == 2048) continue;
            seen[nseen++] = name;
            show_topic(&cfg, name);
        }
    }
    printf("uploads:\n");
    for (int i = 0; i < icfg.nkinds; i++) {
        printf("  - {prefix: ");
        q(icfg.kinds[i].prefix);
        printf(", folder: ");
        q(icfg.kinds[i].folder);
        printf(", topic: ");
        q(icfg.kinds[i].topic);
        printf("}\n");
    }
    printf("tables:%s\n", cfg.ntables ? "" : " []");
    for (int i = 0; i < cfg.ntables; i++) {
        const struct fl_config_table *t = &cfg.tables[i];
        printf("  - namespace: ");
        q(t->ns);
        printf("\n    name: ");
        q(t->name);
        if (t->schema_json) {
            printf("\n    schema_json: ");
            q(t->schema_json);
        } else {
            printf("\n    schema:\n");
            for (int k = 0; k < t->nfields; k++) {
                printf("      - {name: ");
                q(t->fields[k].name);
                printf(", type: ");
                q(t->fields[k].type);
                printf(", required: %s}\n", t->fields[k].required ? "true" : "false");
            }
        }
        printf("    ");
        qlist("partition", t->partition, t->npartition);
        printf("\n    ");
        qlist("identifier", t->identifier, t->nidentifier);
        printf("\n    properties: {");
        for (int k = 0; k < t->nprops; k++) {
            if (k) printf(", ");
            q(t->prop_keys[k]);
            printf(": ");
            q(t->prop_values[k]);
        }
        printf("}\n    on_schema_change: %s\n", t->add_columns ? "add_columns" : "fail");
    }
    if (!cfg.pipelines_given)
        printf("# no pipelines: section: floe up runs its built-in pipelines (weather -> "
               "default.weather;\n"
               "# session_topic, employee_topic, client_topic -> default.sessions, employees, "
               "clients)\n");
    else
        printf("pipelines:%s\n", cfg.npipelines ? "" : " []");
    for (int i = 0; i < cfg.npipelines; i++) {
        const struct fl_config_pipeline *pl = &cfg.pipelines[i];
        static const char *const kinds[] = {"rename", "cast", "derive"};
        printf("  - name: ");
        q(pl->name ? pl->name : pl->topic);
        printf("\n    topic: ");
        q(pl->topic);
        printf("\n    table: ");
        q(pl->table);
        printf("\n    commit_interval_ms: %lld\n    decode: %s\n",
               (long long)(pl->commit_interval_ms > 0 ? pl->commit_interval_ms : 1000),
               pl->decode > 0 ? "pointer" : "json");
        printf("    # dead letters go to the topic %s.dlq\n", pl->topic);
        printf("    ");
        qlist("key", pl->key, pl->nkey);
        printf("%s\n    ", pl->nkey ? "" : "  # none: the table's identifier fields, else append");
        qlist("required", pl->required, pl->nrequired);
        printf("\n    allowed: {");
        for (int k = 0; k < pl->nallowed; k++) {
            if (k) printf(", ");
            q(pl->allowed[k].col);
            printf(": ");
            qlist("", pl->allowed[k].values, pl->allowed[k].nvalues);
        }
        printf("}\n    map:%s\n", pl->nmap ? "" : " []");
        for (int k = 0; k < pl->nmap; k++) {
            const struct fl_config_map *m = &pl->map[k];
            printf("      - %s: {", kinds[m->kind]);
            if (m->kind == FL_CONFIG_MAP_RENAME) {
                printf("from: ");
                q(m->from);
                printf(", to: ");
                q(m->column);
            } else {
                printf("column: ");
                q(m->column);
                if (m->from) {
                    printf(m->kind == FL_CONFIG_MAP_CAST ? ", unit: " : ", from: ");
                    q(m->from);
                }
                if (m->value) {
                    printf(", value: ");
                    q(m->value);
                }
            }
            printf("}\n");
        }
    }
    fl_config_fini(&cfg);
    fl_ingest_config_fini(&icfg);
    return 0;
}

int fl_cli_config(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "check")) return check(argv[2]);
    if (argc >= 2 && !strcmp(argv[1], "show")) {
        if (argc == 2) return show(NULL);
        if (argc == 4 && (!strcmp(argv[2], "-c") || !strcmp(argv[2], "--config")))
            return show(argv[3]);
    }
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        config_usage(stdout);
        return 0;
    }
    config_usage(stderr);
    return 2;
}
