/*
 * cmd_config.c - `floe config check FILE` and `floe config show [-c FILE]`.
 *
 * check builds the plan floe up would run (up_plan.h: the file loaded,
 * upload kinds merged) and goes one step further without touching any
 * data: every declared table's schema, identifier and partition terms
 * are built, and every pipeline's map steps are compiled against its
 * table when the file declares that table. Exit 0
 * when all is well, 1 with "FILE:LINE: key: why" otherwise.
 *
 * show prints the plan floe up would run (up_plan.h) - the file's
 * values and every default filled in (listen, data_dir, warehouse,
 * catalog, limits, log, each topic's settings, upload kinds, tables,
 * pipelines) - as YAML that check accepts again.
 */
#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/up_plan.h"
#include "cli/up_tables.h"
#include "core/config.h"
#include "pipeline/map.h"

#include <stdio.h>
#include <string.h>

static void config_usage(FILE *f) {
    fprintf(f, "usage: floe config check FILE      validate a configuration (exit 0 or 1)\n"
               "       floe config show [-c FILE]  the effective configuration, defaults applied, "
               "as YAML\n");
}

static const struct fl_config_table *declared(const struct fl_config *cfg, const char *ns,
                                              const char *name) {
    for (int i = 0; i < cfg->ntables; i++)
        if (!strcmp(cfg->tables[i].ns, ns) && !strcmp(cfg->tables[i].name, name))
            return &cfg->tables[i];
    return NULL;
}

/* A pipeline's map steps and key against its table when the file declares it. */
static fl_err_t check_pipe(const char *path, const struct fl_config *cfg,
                           const struct fl_pipe_config *pc, struct fl_error *err) {
    const struct fl_config_table *t = declared(cfg, pc->ns, pc->table);
    if (!t) return FL_OK; /* a table already in the catalog: checked when floe up opens it */
    struct fl_schema *s = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_pipe_map *map = NULL;
    fl_err_t rc = fl_up_table_build(t, &s, &spec, err);
    if (!rc) rc = fl_pipe_map_new(s, pc->map, pc->nmap, &map, err);
    for (int k = 0; !rc && k < pc->nkey; k++)
        if (fl_schema_index_by_name(s, pc->key[k]) < 0)
            rc = fl_errf(err, FL_ERR_INVALID, "%s: pipelines[%s].key: table %s.%s has no column %s",
                         path, pc->name, pc->ns, pc->table, pc->key[k]);
    fl_pipe_map_free(map);
    fl_schema_free(s);
    fl_ice_spec_free(spec);
    return rc;
}

/* The plan floe up would run, built and checked without touching data. */
static int check(const char *path) {
    struct fl_up_plan plan;
    struct fl_error err = {0};
    fl_err_t rc = fl_up_plan_build(&plan, path, NULL, NULL, &err);
    const struct fl_config *cfg = &plan.cfg;
    for (int i = 0; !rc && i < cfg->ntables; i++) {
        struct fl_schema *s = NULL;
        struct fl_ice_spec *spec = NULL;
        rc = fl_up_table_build(&cfg->tables[i], &s, &spec, &err);
        fl_schema_free(s);
        fl_ice_spec_free(spec);
    }
    for (int i = 0; !rc && !plan.builtin && i < plan.npipes; i++)
        rc = check_pipe(path, cfg, &plan.pipes[i].pc, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.msg);
    else
        printf("%s: ok (%d topics, %d tables, %d pipelines)\n", path, cfg->ntopics, cfg->ntables,
               cfg->npipelines);
    fl_up_plan_fini(&plan);
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

static void qlist(const char *key, const char *const *v, int n) {
    if (*key) printf("%s: ", key);
    printf("[");
    for (int i = 0; i < n; i++) {
        if (i) printf(", ");
        q(v[i]);
    }
    printf("]");
}

/* librdkafka properties as "properties: {k: v, ...}", secrets hidden. */
static void show_props(const char *const *keys, const char *const *values, int n) {
    printf("properties: {");
    for (int i = 0; i < n; i++) {
        printf("%s", i ? ", " : "");
        q(keys[i]);
        printf(": ");
        if (strstr(keys[i], "password") || strstr(keys[i], "secret"))
            printf("\"***\""); /* not shown */
        else
            q(values[i]);
    }
    printf("}");
}

/* auth: and tls: (the hashes are shown: they are what the file holds,
 * never the keys) */
static void show_auth(const struct fl_up_plan *plan) {
    const struct fl_auth *a = &plan->cfg.auth;
    if (!a->present) {
        printf("# auth: none: every route and the Kafka port open (loopback addresses only)\n");
    } else {
        printf("auth:\n  open: %s\n  open_metrics: %s\n  keys:%s\n", a->open ? "true" : "false",
               a->open_metrics ? "true" : "false", a->nkeys ? "" : " []");
        for (int i = 0; i < a->nkeys; i++) {
            char hex[72];
            static const char h[] = "0123456789abcdef";
            for (int b = 0; b < 32; b++) {
                hex[2 * b] = h[a->keys[i].sha256[b] >> 4];
                hex[2 * b + 1] = h[a->keys[i].sha256[b] & 15];
            }
            hex[64] = 0;
            int g = a->keys[i].grants;
            printf("    - {name: ");
            q(a->keys[i].name);
            printf(", hash: \"sha256:%s\", role: %s}\n", hex,
                   g & FL_AUTH_ADMIN                           ? "admin"
                   : (g & FL_AUTH_READ) && (g & FL_AUTH_WRITE) ? "[read, write]"
                   : g & FL_AUTH_WRITE                         ? "write"
                                                               : "read");
        }
    }
    if (plan->cfg.tls.cert) {
        printf("tls: {cert: ");
        q(plan->cfg.tls.cert);
        printf(", key: ");
        q(plan->cfg.tls.key);
        printf("}\n");
    }
}

static void show_top(const struct fl_up_plan *plan) {
    const struct fl_ingest_config *icfg = &plan->icfg;
    printf("listen: ");
    q(plan->listen);
    printf("\ndata_dir: ");
    q(plan->data_dir);
    printf("\nwarehouse: ");
    q(plan->warehouse);
    printf("\ncatalog: ");
    q(plan->catalog);
    printf("\nauto_create_topics: %s\n", icfg->auto_create_topics ? "true" : "false");
    printf("limits: {header_bytes: %zu, body_bytes: %zu, records: %d, connections: %u, "
           "timeout_s: %u, threads: %u}\n",
           icfg->limits.header_bytes, icfg->limits.body_bytes, icfg->limits.records,
           icfg->limits.connections, icfg->limits.timeout_s, icfg->limits.threads);
    printf("log: {max_disk_bytes: %lld, min_free_bytes: %lld", (long long)plan->max_disk_bytes,
           (long long)plan->min_free_bytes);
    const struct fl_config_ksource *lk = plan->cfg.log_kafka;
    if (lk) {
        printf(", kafka: {bootstrap: ");
        q(lk->bootstrap);
        printf(", ");
        show_props((const char *const *)lk->prop_keys, (const char *const *)lk->prop_values,
                   lk->nprops);
        printf("}");
    }
    printf("}\n");
    const struct fl_kafka_config *k = &plan->kcfg;
    printf("kafka: {enabled: %s, listen: ", plan->kafka_enabled ? "true" : "false");
    q(plan->kafka_listen);
    printf(", advertised: ");
    if (k->advertised_port) {
        char adv[320];
        snprintf(adv, sizeof(adv), "%s:%d", k->advertised_host, k->advertised_port);
        q(adv);
    } else {
        q(k->advertised_host);
    }
    if (k->tls_cert) {
        printf(", tls: {cert: ");
        q(k->tls_cert);
        printf(", key: ");
        q(k->tls_key);
        printf("}");
    }
    printf(", auto_create_topics: %s, partitions: %d, max_request_bytes: %zu, "
           "max_connections: %d, max_inflight_bytes: %zu}\n",
           k->auto_create_topics ? "true" : "false", k->topic_defaults.partitions,
           k->max_request_bytes, k->max_connections, k->max_inflight_bytes);
    if (k->nusers > 0) { /* passwords are not shown */
        printf("  # kafka.users (SASL/PLAIN): %d", k->nusers);
        for (int i = 0; i < k->nusers; i++) printf("%s%s", i ? ", " : " ", k->users[i].name);
        printf("\n");
    }
    show_auth(plan);
    /* the topics floe up makes: the seeds', the upload kinds', the configured and the pipelines' */
    static const char *const sync[] = {"always", "interval", "never"};
    printf("topics:\n");
    for (int i = 0; i < plan->ntopics; i++) {
        const struct fl_up_topic *t = &plan->topics[i];
        printf("  - {name: ");
        q(t->name);
        printf(", partitions: %d, sync: %s, flush_interval_ms: %lld}\n", t->tc.partitions,
               sync[t->tc.sync], (long long)t->tc.flush_interval_ms);
    }
    printf("uploads:\n");
    for (int i = 0; i < icfg->nkinds; i++) {
        printf("  - {prefix: ");
        q(icfg->kinds[i].prefix);
        printf(", folder: ");
        q(icfg->kinds[i].folder);
        printf(", topic: ");
        q(icfg->kinds[i].topic);
        printf("}\n");
    }
}

static void show_tables(const struct fl_config *cfg) {
    printf("tables:%s\n", cfg->ntables ? "" : " []");
    for (int i = 0; i < cfg->ntables; i++) {
        const struct fl_config_table *t = &cfg->tables[i];
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
        qlist("partition", (const char *const *)t->partition, t->npartition);
        printf("\n    ");
        qlist("identifier", (const char *const *)t->identifier, t->nidentifier);
        printf("\n    properties: {");
        for (int k = 0; k < t->nprops; k++) {
            if (k) printf(", ");
            q(t->prop_keys[k]);
            printf(": ");
            q(t->prop_values[k]);
        }
        printf("}\n    on_schema_change: %s\n", t->add_columns ? "add_columns" : "fail");
    }
}

/* sources: each with its defaults filled in (the uri as written: it may
 * hold a password, as the file does) */
static void show_sources(const struct fl_config *cfg) {
    printf("sources:%s\n", cfg->nsources ? "" : " []");
    for (int i = 0; i < cfg->nsources; i++) {
        const struct fl_config_source *s = &cfg->sources[i];
        printf("  - postgres:\n      uri: ");
        q(s->uri);
        printf("\n      slot: ");
        q(s->slot ? s->slot : "floe");
        printf("\n      publication: ");
        q(s->publication ? s->publication : "floe");
        printf("\n      tables:\n");
        for (int k = 0; k < s->ntables; k++) {
            printf("        - {name: ");
            q(s->tables[k]);
            if (s->targets[k]) {
                printf(", table: ");
                q(s->targets[k]);
            }
            if (s->npartition[k]) {
                printf(", ");
                qlist("partition", (const char *const *)s->partition[k], s->npartition[k]);
            }
            printf("}\n");
        }
        printf("      snapshot: %s\n      topic_prefix: ", s->snapshot == 0 ? "never" : "initial");
        q(s->topic_prefix ? s->topic_prefix : "floe");
        printf("\n      commit_interval_ms: %lld\n",
               (long long)(s->commit_interval_ms > 0 ? s->commit_interval_ms : 500));
        printf("      streaming: %s\n      stream_buffer_bytes: %lld\n",
               s->streaming == 0 ? "false" : "true",
               (long long)(s->stream_buffer_bytes > 0 ? s->stream_buffer_bytes : 16777216));
        printf("      tombstones: %s\n      schema: %s\n", s->tombstones != 0 ? "true" : "false",
               s->schema == 1 ? "true" : "false");
    }
}

static void show_window(const struct fl_pipe_window_config *wc) {
    static const char *const fns[] = {"count", "sum", "avg", "min", "max"};
    printf("    window:\n      time: ");
    q(wc->time_col);
    printf("\n      ");
    qlist("key", wc->key, wc->nkey);
    printf("\n      size: %lldms\n", (long long)wc->size_ms);
    if (wc->slide_ms > 0) printf("      slide: %lldms\n", (long long)wc->slide_ms);
    printf("      lateness: %lldms\n      aggregates:\n", (long long)wc->lateness_ms);
    for (int k = 0; k < wc->naggs; k++) {
        printf("        - {%s: ", fns[wc->aggs[k].fn]);
        q(wc->aggs[k].col);
        printf(", as: ");
        q(wc->aggs[k].as);
        printf("}\n");
    }
    if (wc->pg_uri) {
        printf("      postgres: {uri: ");
        q(wc->pg_uri);
        if (wc->pg_table) {
            printf(", table: ");
            q(wc->pg_table);
        }
        printf("}\n");
    }
}

static void show_pipe(const struct fl_up_pipe *up) {
    static const char *const kinds[] = {"rename", "cast", "derive"};
    const struct fl_pipe_config *pc = &up->pc;
    printf("  - name: ");
    q(pc->name);
    if (pc->kafka) {
        const struct fl_pipe_kafka_config *k = pc->kafka;
        printf("\n    source:\n      kafka:\n        bootstrap: ");
        q(k->bootstrap);
        printf("\n        group: ");
        q(k->group);
        printf("\n        ");
        qlist("topics", k->topics, k->ntopics);
        printf("\n        ");
        show_props((const char *const *)k->prop_keys, (const char *const *)k->prop_values,
                   k->nprops);
    } else {
        printf("\n    topic: ");
        q(pc->topic);
    }
    printf("\n    table: \"%s.%s\"", pc->ns, pc->table);
    printf("\n    commit_interval_ms: %lld\n    decode: %s\n", (long long)pc->commit_interval_ms,
           pc->decode == FL_PIPE_DECODE_POINTER ? "pointer" : "json");
    printf("    # dead letters go to the topic %s.dlq\n", pc->kafka ? pc->name : pc->topic);
    printf("    ");
    qlist("key", pc->key, pc->nkey);
    printf("%s\n    ", pc->nkey ? "" : "  # none: the table's identifier fields, else append");
    qlist("required", pc->rules.required, pc->rules.nrequired);
    printf("\n    allowed: {");
    for (int k = 0; k < pc->rules.nallowed; k++) {
        if (k) printf(", ");
        q(pc->rules.allowed[k].col);
        printf(": ");
        qlist("", pc->rules.allowed[k].values, pc->rules.allowed[k].nvalues);
    }
    printf("}\n    map:%s\n", pc->nmap ? "" : " []");
    for (int k = 0; k < pc->nmap; k++) {
        const struct fl_pipe_map_step *m = &pc->map[k];
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
    if (pc->window) show_window(pc->window);
}

/* A duration as the loader reads it back: the largest unit that divides it. */
static void dur(const char *key, int64_t ms, const char *end) {
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (ms % units[i].ms == 0) {
            printf("%s%s%lld%s%s", key, *key ? ": " : "", (long long)(ms / units[i].ms),
                   units[i].unit, end);
            return;
        }
}

/* The top-level block as written (its unset keys stay unset, so that a
 * table's own history.expire.* properties keep winning over defaults),
 * then each table's effective policy from the plan, as comments. */
static void show_maint(const struct fl_up_plan *plan) {
    const struct fl_config_maint *m = &plan->cfg.maint;
    if (m->given) {
        printf("maintenance:\n");
        if (m->enabled >= 0) printf("  enabled: %s\n", m->enabled ? "true" : "false");
        if (m->interval_ms > 0) dur("  interval", m->interval_ms, "\n");
        if (m->max_snapshot_age_ms > 0 || m->min_snapshots > 0 || m->max_ref_age_ms > 0) {
            printf("  expire:\n");
            if (m->max_snapshot_age_ms > 0)
                dur("    max_snapshot_age", m->max_snapshot_age_ms, "\n");
            if (m->min_snapshots > 0)
                printf("    min_snapshots_to_keep: %lld\n", (long long)m->min_snapshots);
            if (m->max_ref_age_ms > 0) dur("    max_ref_age", m->max_ref_age_ms, "\n");
        }
        if (m->compact_enabled >= 0 || m->target_file_size > 0 || m->min_input_files > 0 ||
            m->compact_every_ms > 0) {
            printf("  compact:\n");
            if (m->compact_enabled >= 0)
                printf("    enabled: %s\n", m->compact_enabled ? "true" : "false");
            if (m->target_file_size > 0)
                printf("    target_file_size: %lld\n", (long long)m->target_file_size);
            if (m->min_input_files > 0)
                printf("    min_input_files: %lld\n", (long long)m->min_input_files);
            if (m->compact_every_ms > 0) dur("    every", m->compact_every_ms, "\n");
        }
        if (m->clean_enabled >= 0 || m->clean_older_than_ms > 0 || m->clean_every_ms > 0) {
            printf("  clean:\n");
            if (m->clean_enabled >= 0)
                printf("    enabled: %s\n", m->clean_enabled ? "true" : "false");
            if (m->clean_older_than_ms > 0) dur("    older_than", m->clean_older_than_ms, "\n");
            if (m->clean_every_ms > 0) dur("    every", m->clean_every_ms, "\n");
        }
    }
    printf("# maintenance per table (effective; * = a default, which the table's own\n"
           "# history.expire.* or write.target-file-size-bytes property overrides):\n");
    for (int i = 0; i < plan->nmaint; i++) {
        const struct fl_maint_policy *p = &plan->maint[i].pol;
        printf("#   %s.%s: {enabled: %s, ", plan->maint[i].ns, plan->maint[i].name,
               p->enabled ? "true" : "false");
        dur("interval", p->interval_ms, "");
        printf(", expire: {");
        dur("max_snapshot_age", p->max_snapshot_age_ms, "");
        printf("%s, min_snapshots_to_keep: %lld%s, max_ref_age: ",
               p->set & FL_MAINT_SET_MAX_SNAPSHOT_AGE ? "" : "*", (long long)p->min_snapshots,
               p->set & FL_MAINT_SET_MIN_SNAPSHOTS ? "" : "*");
        if (p->max_ref_age_ms > 0)
            dur("", p->max_ref_age_ms, "");
        else
            printf("forever*");
        printf("}, compact: {enabled: %s, target_file_size: %lld%s, "
               "min_input_files: %lld, ",
               p->compact ? "true" : "false", (long long)p->target_file_size,
               p->set & FL_MAINT_SET_TARGET_FILE_SIZE ? "" : "*", (long long)p->min_input_files);
        dur("every", p->compact_every_ms, "");
        printf("}, clean: {enabled: %s, ", p->clean ? "true" : "false");
        dur("older_than", p->clean_older_than_ms, ", ");
        dur("every", p->clean_every_ms, "");
        printf("}}\n");
    }
}

static int show(const char *path) {
    struct fl_up_plan plan;
    struct fl_error err = {0};
    if (fl_up_plan_build(&plan, path, NULL, NULL, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        fl_up_plan_fini(&plan);
        return 1;
    }
    printf("# effective configuration%s%s (defaults filled in)\n", path ? " of " : "",
           path ? path : "");
    show_top(&plan);
    show_tables(&plan.cfg);
    show_sources(&plan.cfg);
    show_maint(&plan);
    if (plan.builtin) {
        printf("# no pipelines: section: floe up runs its built-in pipelines:\n");
        for (int i = 0; i < plan.npipes; i++)
            printf("#   %s: topic %s -> table %s.%s\n", plan.pipes[i].pc.name,
                   plan.pipes[i].pc.topic, plan.pipes[i].pc.ns, plan.pipes[i].pc.table);
    } else {
        printf("pipelines:%s\n", plan.npipes ? "" : " []");
        for (int i = 0; i < plan.npipes; i++) show_pipe(&plan.pipes[i]);
    }
    fl_up_plan_fini(&plan);
    return 0;
}

int fl_cli_config(int argc, char **argv) {
    const char *conf = NULL, *pos[2];
    int npos;
    const struct fl_cli_opt opts[] = {
        {.name = "--config", .alias = "-c", .kind = FL_CLI_STR, .target = &conf}, {0}};
    int rc = fl_cli_opts("config", opts, argc, argv, pos, 2, &npos, config_usage);
    if (rc >= 0) return rc;
    const char *what = npos ? pos[0] : "";
    if (!strcmp(what, "check") && npos == 2 && !conf) return check(pos[1]);
    if (!strcmp(what, "show") && npos == 1) return show(conf);
    if (!strcmp(what, "check") || !strcmp(what, "show"))
        fprintf(stderr, "floe config %s: %s\n", what,
                what[0] == 'c' ? "needs one FILE (and no -c)" : "takes no FILE; -c FILE");
    else if (npos)
        fprintf(stderr, "floe config: unknown command \"%s\"\n", what);
    config_usage(stderr);
    return 2;
}
