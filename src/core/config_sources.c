/*
 * config_sources.c - the `sources:` section of the YAML configuration
 * (config.h's struct fl_config_source): change data capture sources,
 * for now PostgreSQL logical replication (cdc/pg_source.h).
 *
 *   sources:
 *     - postgres:
 *         uri: postgresql://floe@db/app      # required
 *         slot: floe                         # replication slot, created when missing
 *         publication: floe                  # created FOR TABLE tables when missing
 *         tables: [public.users, {name: public.orders, table: lake.orders,
 *                  partition: ["day(created)"], maintenance: {...}}]
 *         snapshot: initial                  # initial (default) | never
 *         topic_prefix: dbserver1            # change topics <prefix>.<schema>.<table>
 *         commit_interval_ms: 500            # the mirror pipelines'
 *         streaming: true                    # pgoutput v2 streaming on PostgreSQL >= 14
 *         stream_buffer_bytes: 16777216      # open transactions' changes in memory, then spilled
 *         tombstones: true                   # a null-value record after each delete
 *         schema: false                      # envelopes as {schema, payload}
 *
 * Shapes and ranges are checked here at their line: names of slots and
 * publications as PostgreSQL identifiers floe will quote, tables as
 * [schema.]table, topic_prefix as a topic name part, no table twice.
 */
#include "core/config_int.h"
#include "core/mem.h"

#include <string.h>

static int ident_ok(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n == 0 || n > max) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return 0;
    }
    return 1;
}

static int topic_part_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 100) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

/* [schema.]table, each part 1..63 bytes of letters, digits, _ (any case) */
static int table_name_ok(const char *s) {
    const char *dot = strchr(s, '.');
    if (dot && strchr(dot + 1, '.')) return 0;
    size_t n = strlen(s);
    if (n == 0 || n > 127 || s[0] == '.' || s[n - 1] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

struct tentry {
    char *name, *table;
    char **partition;
    int npartition;
    struct fl_config_maint maint;
};

static void free_list(char **v, int n) {
    for (int i = 0; i < n; i++) fl_free(v[i]);
    fl_free(v);
}

static fl_err_t tentry_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                            yaml_node_t *v) {
    struct tentry *t = ctx;
    if (!strcmp(key, "name"))
        return fl_config_get_str(w, v, "sources[].postgres.tables[].name", &t->name);
    if (!strcmp(key, "table"))
        return fl_config_get_str(w, v, "sources[].postgres.tables[].table", &t->table);
    if (!strcmp(key, "partition"))
        return fl_config_get_str_list(w, v, "sources[].postgres.tables[].partition", &t->partition,
                                      &t->npartition);
    if (!strcmp(key, "maintenance"))
        return fl_config_maint_walk(w, &t->maint, "sources[].postgres.tables[].maintenance", v);
    return fl_config_unknown(w, kn, "sources[].postgres.tables[]", key);
}

static fl_err_t tables_seq(struct walk *w, struct fl_config_source *s, yaml_node_t *n) {
    const char *k = "sources[].postgres.tables";
    if (n->type != YAML_SEQUENCE_NODE) return fl_config_fail(w, n, k, "expected a list");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        if (s->ntables >= FL_CONFIG_SOURCE_TABLES_MAX)
            return fl_config_too_many(w, item, k, "tables", FL_CONFIG_SOURCE_TABLES_MAX);
        struct tentry t = {NULL, NULL, NULL, 0, FL_CONFIG_MAINT_UNSET};
        fl_err_t rc =
            item->type == YAML_SCALAR_NODE
                ? fl_config_get_str(w, item, k, &t.name)
                : fl_config_each_pair(w, item, "sources[].postgres.tables[]", tentry_pair, &t);
        if (!rc && !t.name) rc = fl_config_fail(w, item, k, "an entry needs a name");
        if (!rc && !table_name_ok(t.name))
            rc = fl_config_fail(w, item, k, "expected [schema.]table (letters, digits, _)");
        if (!rc && t.table && (!table_name_ok(t.table) || !strchr(t.table, '.')))
            rc = fl_config_fail(w, item, "sources[].postgres.tables[].table",
                                "expected namespace.name");
        for (int i = 0; !rc && i < s->ntables; i++)
            if (!strcmp(s->tables[i], t.name))
                rc = fl_config_fail(w, item, k, "a table listed twice");
        if (rc) {
            fl_free(t.name);
            fl_free(t.table);
            free_list(t.partition, t.npartition);
            fl_config_maint_fini(&t.maint);
            return rc;
        }
        s->partition = fl_reallocarray(s->partition, (size_t)s->ntables + 1, sizeof(char **));
        s->npartition = fl_reallocarray(s->npartition, (size_t)s->ntables + 1, sizeof(int));
        s->maint = fl_reallocarray(s->maint, (size_t)s->ntables + 1, sizeof(*s->maint));
        s->partition[s->ntables] = t.partition;
        s->npartition[s->ntables] = t.npartition;
        s->maint[s->ntables] = t.maint;
        s->tables = fl_reallocarray(s->tables, (size_t)s->ntables + 1, sizeof(char *));
        s->targets = fl_reallocarray(s->targets, (size_t)s->ntables + 1, sizeof(char *));
        s->mirror_ns = fl_reallocarray(s->mirror_ns, (size_t)s->ntables + 1, sizeof(char *));
        s->mirror_name = fl_reallocarray(s->mirror_name, (size_t)s->ntables + 1, sizeof(char *));
        /* the mirror: table's NS.NAME, else the source's schema (public) and name */
        const char *m = t.table ? t.table : t.name, *dot = strchr(m, '.');
        s->mirror_ns[s->ntables] = dot ? fl_strndup(m, (size_t)(dot - m)) : fl_strdup("public");
        s->mirror_name[s->ntables] = fl_strdup(dot ? dot + 1 : m);
        s->tables[s->ntables] = t.name;
        s->targets[s->ntables++] = t.table;
    }
    return FL_OK;
}

static fl_err_t pg_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                        yaml_node_t *v) {
    struct fl_config_source *s = ctx;
    fl_err_t rc;
    if (!strcmp(key, "uri")) {
        rc = fl_config_get_str(w, v, "sources[].postgres.uri", &s->uri);
        if (!rc && strncmp(s->uri, "postgresql://", 13) && strncmp(s->uri, "postgres://", 11))
            rc = fl_config_fail(w, v, "sources[].postgres.uri", "expected postgresql://...");
        return rc;
    }
    if (!strcmp(key, "slot")) {
        rc = fl_config_get_str(w, v, "sources[].postgres.slot", &s->slot);
        if (!rc && !ident_ok(s->slot, 63))
            rc = fl_config_fail(w, v, "sources[].postgres.slot",
                                "expected 1 to 63 of a-z, 0-9, _ (PostgreSQL's slot names)");
        return rc;
    }
    if (!strcmp(key, "publication")) {
        rc = fl_config_get_str(w, v, "sources[].postgres.publication", &s->publication);
        if (!rc && !ident_ok(s->publication, 63))
            rc = fl_config_fail(w, v, "sources[].postgres.publication",
                                "expected 1 to 63 of a-z, 0-9, _");
        return rc;
    }
    if (!strcmp(key, "topic_prefix")) {
        rc = fl_config_get_str(w, v, "sources[].postgres.topic_prefix", &s->topic_prefix);
        if (!rc && !topic_part_ok(s->topic_prefix))
            rc = fl_config_fail(w, v, "sources[].postgres.topic_prefix",
                                "expected 1 to 100 of a-z, A-Z, 0-9, ., _, -");
        return rc;
    }
    if (!strcmp(key, "snapshot")) {
        char *m = NULL;
        rc = fl_config_get_str(w, v, "sources[].postgres.snapshot", &m);
        if (!rc && !strcmp(m, "initial"))
            s->snapshot = 1;
        else if (!rc && !strcmp(m, "never"))
            s->snapshot = 0;
        else if (!rc)
            rc = fl_config_fail(w, v, "sources[].postgres.snapshot", "expected initial or never");
        fl_free(m);
        return rc;
    }
    if (!strcmp(key, "commit_interval_ms"))
        return fl_config_get_int(w, v, "sources[].postgres.commit_interval_ms", 10, 3600000,
                                 &s->commit_interval_ms);
    if (!strcmp(key, "streaming"))
        return fl_config_get_bool(w, v, "sources[].postgres.streaming", &s->streaming);
    if (!strcmp(key, "stream_buffer_bytes"))
        return fl_config_get_int(w, v, "sources[].postgres.stream_buffer_bytes", 65536,
                                 (int64_t)1 << 40, &s->stream_buffer_bytes);
    if (!strcmp(key, "tables")) return tables_seq(w, s, v);
    if (!strcmp(key, "tombstones"))
        return fl_config_get_bool(w, v, "sources[].postgres.tombstones", &s->tombstones);
    if (!strcmp(key, "schema"))
        return fl_config_get_bool(w, v, "sources[].postgres.schema", &s->schema);
    return fl_config_unknown(w, kn, "sources[].postgres", key);
}

static fl_err_t source_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                            yaml_node_t *v) {
    struct fl_config_source *s = ctx;
    if (!strcmp(key, "postgres")) {
        if (s->kind) return fl_config_fail(w, kn, "sources[]", "one source kind per entry");
        s->kind = FL_CONFIG_SOURCE_POSTGRES;
        return fl_config_each_pair(w, v, "sources[].postgres", pg_pair, s);
    }
    return fl_config_unknown(w, kn, "sources[]", key);
}

fl_err_t fl_config_sources_walk(struct walk *w, struct fl_config *cfg, yaml_node_t *n) {
    if (n->type != YAML_SEQUENCE_NODE) return fl_config_fail(w, n, "sources", "expected a list");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        if (cfg->nsources >= FL_CONFIG_SOURCES_MAX)
            return fl_config_too_many(w, item, "sources", "sources", FL_CONFIG_SOURCES_MAX);
        cfg->sources =
            fl_reallocarray(cfg->sources, (size_t)cfg->nsources + 1, sizeof(*cfg->sources));
        struct fl_config_source *s = &cfg->sources[cfg->nsources++];
        memset(s, 0, sizeof(*s));
        s->snapshot = -1;
        s->commit_interval_ms = -1;
        s->stream_buffer_bytes = -1;
        s->streaming = -1;
        s->tombstones = -1;
        s->schema = -1;
        fl_err_t rc = fl_config_each_pair(w, item, "sources[]", source_pair, s);
        if (rc) return rc;
        if (s->kind != FL_CONFIG_SOURCE_POSTGRES)
            return fl_config_fail(w, item, "sources[]", "expected postgres: {...}");
        if (!s->uri) return fl_config_fail(w, item, "sources[].postgres", "uri is required");
        if (s->ntables == 0)
            return fl_config_fail(w, item, "sources[].postgres", "tables is required");
        const char *slot = s->slot ? s->slot : "floe";
        for (int i = 0; i < cfg->nsources - 1; i++)
            if (!strcmp(cfg->sources[i].slot ? cfg->sources[i].slot : "floe", slot))
                return fl_config_fail(w, item, "sources[].postgres.slot",
                                      "two sources share a slot");
    }
    return FL_OK;
}

void fl_config_sources_fini(struct fl_config *cfg) {
    for (int i = 0; i < cfg->nsources; i++) {
        struct fl_config_source *s = &cfg->sources[i];
        fl_free(s->uri);
        fl_free(s->slot);
        fl_free(s->publication);
        fl_free(s->topic_prefix);
        for (int k = 0; k < s->ntables; k++) {
            fl_free(s->tables[k]);
            fl_free(s->targets[k]);
            fl_free(s->mirror_ns[k]);
            fl_free(s->mirror_name[k]);
            free_list(s->partition[k], s->npartition[k]);
            fl_config_maint_fini(&s->maint[k]);
        }
        fl_free(s->partition);
        fl_free(s->npartition);
        fl_free(s->maint);
        fl_free(s->tables);
        fl_free(s->targets);
        fl_free(s->mirror_ns);
        fl_free(s->mirror_name);
    }
    fl_free(cfg->sources);
    cfg->sources = NULL;
    cfg->nsources = 0;
}
