/*
 * config.c - loading floe's YAML configuration with libyaml.
 *
 * How it works: libyaml builds the document tree (yaml_parser_load);
 * one walker per section visits its mapping, matches each key against a
 * table of known keys and converts the scalar, and any surprise - an
 * unknown key, a sequence where a number belongs, a number out of range -
 * fails with the file, the line (libyaml's marks are 0-based) and the
 * dotted key. Values are checked for type and range here; meaning (is
 * the address bindable, is the URI a store) is checked by their users.
 */
#include "core/config.h"
#include "core/config_int.h"
#include "core/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

void fl_config_init(struct fl_config *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->auto_create_topics = -1;
    cfg->kafka =
        (struct fl_config_kafka){-1, NULL, NULL, -1, -1, -1, -1, -1, NULL, NULL, 0, NULL, NULL};
    cfg->limits.header_bytes = cfg->limits.body_bytes = cfg->limits.records = -1;
    cfg->limits.connections = cfg->limits.timeout_s = cfg->limits.threads = -1;
    cfg->max_disk_bytes = cfg->min_free_bytes = -1;
    cfg->maint = (struct fl_config_maint)FL_CONFIG_MAINT_UNSET;
}

static void window_free(struct fl_config_window *wn) {
    if (!wn) return;
    fl_free(wn->time);
    for (int k = 0; k < wn->nkey; k++) fl_free(wn->key[k]);
    fl_free(wn->key);
    for (int k = 0; k < wn->naggs; k++) {
        fl_free(wn->aggs[k].col);
        fl_free(wn->aggs[k].as);
    }
    fl_free(wn->aggs);
    fl_free(wn->pg_uri);
    fl_free(wn->pg_table);
    fl_free(wn);
}

void fl_config_fini(struct fl_config *cfg) {
    fl_config_kafka_fini(&cfg->kafka);
    fl_config_sources_fini(cfg);
    fl_auth_fini(&cfg->auth);
    fl_free(cfg->tls.cert);
    fl_free(cfg->tls.key);
    fl_free(cfg->listen);
    fl_free(cfg->data_dir);
    fl_free(cfg->warehouse);
    for (int i = 0; i < cfg->ntopics; i++) fl_free(cfg->topics[i].name);
    fl_free(cfg->topics);
    for (int i = 0; i < cfg->nuploads; i++) {
        fl_free(cfg->uploads[i].prefix);
        fl_free(cfg->uploads[i].folder);
        fl_free(cfg->uploads[i].topic);
    }
    fl_free(cfg->uploads);
    fl_config_tables_fini(cfg);
    for (int i = 0; i < cfg->npipelines; i++) {
        fl_free(cfg->pipelines[i].name);
        fl_free(cfg->pipelines[i].topic);
        fl_free(cfg->pipelines[i].table);
        fl_config_map_fini(&cfg->pipelines[i]);
        struct fl_config_pipeline *pl = &cfg->pipelines[i];
        for (int k = 0; k < pl->nkey; k++) fl_free(pl->key[k]);
        fl_free(pl->key);
        for (int k = 0; k < pl->nrequired; k++) fl_free(pl->required[k]);
        fl_free(pl->required);
        for (int k = 0; k < pl->nallowed; k++) {
            for (int j = 0; j < pl->allowed[k].nvalues; j++) fl_free(pl->allowed[k].values[j]);
            fl_free(pl->allowed[k].values);
            fl_free(pl->allowed[k].col);
        }
        fl_free(pl->allowed);
        window_free(pl->window);
        fl_config_source_fini(pl);
        fl_config_maint_fini(&pl->maint);
    }
    fl_free(cfg->pipelines);
    fl_config_ksource_free(cfg->log_kafka);
    fl_free(cfg->catalog);
    fl_free(cfg->path);
    fl_config_maint_fini(&cfg->maint);
    fl_config_init(cfg);
}

static fl_err_t fail(struct walk *w, const yaml_node_t *n, const char *key, const char *why) {
    return fl_errf(w->err, FL_ERR_INVALID, "%s:%zu: %s: %s", w->path,
                   n ? n->start_mark.line + 1 : 0, key, why);
}

/* "FILE:LINE: key: too many WHAT (at most MAX)", at the first entry past it. */
static fl_err_t too_many(struct walk *w, const yaml_node_t *n, const char *key, const char *what,
                         int max) {
    char why[96];
    snprintf(why, sizeof(why), "too many %s (at most %d)", what, max);
    return fail(w, n, key, why);
}

static fl_err_t get_str(struct walk *w, yaml_node_t *n, const char *key, char **out) {
    if (n->type != YAML_SCALAR_NODE) return fail(w, n, key, "expected a string");
    if (n->data.scalar.length == 0 || n->data.scalar.length > 4096)
        return fail(w, n, key, "expected 1 to 4096 characters");
    if (memchr(n->data.scalar.value, 0, n->data.scalar.length))
        return fail(w, n, key, "NUL character in the value");
    fl_free(*out);
    *out = fl_strndup((const char *)n->data.scalar.value, n->data.scalar.length);
    return FL_OK;
}

static fl_err_t get_int(struct walk *w, yaml_node_t *n, const char *key, int64_t lo, int64_t hi,
                        int64_t *out) {
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.length == 0 || n->data.scalar.length > 30)
        return fail(w, n, key, "expected an integer");
    char buf[32];
    memcpy(buf, n->data.scalar.value, n->data.scalar.length);
    buf[n->data.scalar.length] = 0;
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (*end || errno) return fail(w, n, key, "expected an integer");
    if (v < lo || v > hi) {
        char why[96];
        snprintf(why, sizeof(why), "%lld is out of range %lld..%lld", v, (long long)lo,
                 (long long)hi);
        return fail(w, n, key, why);
    }
    *out = v;
    return FL_OK;
}

static fl_err_t get_bool(struct walk *w, yaml_node_t *n, const char *key, int *out) {
    if (n->type == YAML_SCALAR_NODE) {
        const char *s = (const char *)n->data.scalar.value;
        if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) {
            *out = 1;
            return FL_OK;
        }
        if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")) {
            *out = 0;
            return FL_OK;
        }
    }
    return fail(w, n, key, "expected true or false");
}

/* Calls fn for each key/value pair of mapping n. */
typedef fl_err_t (*pair_fn)(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                            yaml_node_t *v);
static fl_err_t each_pair(struct walk *w, yaml_node_t *n, const char *where, pair_fn fn,
                          void *ctx) {
    if (n->type != YAML_MAPPING_NODE) return fail(w, n, where, "expected a mapping");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
        if (!k || !v || k->type != YAML_SCALAR_NODE)
            return fail(w, k, where, "keys must be strings");
        fl_err_t rc = fn(w, ctx, (const char *)k->data.scalar.value, k, v);
        if (rc) return rc;
    }
    return FL_OK;
}

static fl_err_t unknown(struct walk *w, yaml_node_t *kn, const char *where, const char *key) {
    char full[300];
    snprintf(full, sizeof(full), "%s%s%.200s", where, *where ? "." : "", key);
    return fail(w, kn, full, "unknown key");
}

static fl_err_t limits_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                            yaml_node_t *v) {
    struct fl_config *cfg = ctx;
    static const struct {
        const char *name;
        size_t off;
        int64_t lo, hi;
    } keys[] = {
        {"header_bytes", offsetof(struct fl_config, limits.header_bytes), 1024, 1 << 20},
        {"body_bytes", offsetof(struct fl_config, limits.body_bytes), 1, INT64_C(1) << 30},
        {"records", offsetof(struct fl_config, limits.records), 1, 1000000},
        {"connections", offsetof(struct fl_config, limits.connections), 1, 1000000},
        {"timeout_s", offsetof(struct fl_config, limits.timeout_s), 1, 86400},
        {"threads", offsetof(struct fl_config, limits.threads), 1, 1024},
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!strcmp(key, keys[i].name)) {
            char full[64];
            snprintf(full, sizeof(full), "limits.%s", key);
            return get_int(w, v, full, keys[i].lo, keys[i].hi,
                           (int64_t *)((char *)cfg + keys[i].off));
        }
    return unknown(w, kn, "limits", key);
}

static fl_err_t log_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                         yaml_node_t *v) {
    struct fl_config *cfg = ctx;
    if (!strcmp(key, "max_disk_bytes"))
        return get_int(w, v, "log.max_disk_bytes", -1, INT64_MAX, &cfg->max_disk_bytes);
    if (!strcmp(key, "min_free_bytes"))
        return get_int(w, v, "log.min_free_bytes", 0, INT64_MAX, &cfg->min_free_bytes);
    if (!strcmp(key, "kafka")) return fl_config_log_kafka_walk(w, &cfg->log_kafka, v);
    return unknown(w, kn, "log", key);
}

static fl_err_t topic_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                           yaml_node_t *v) {
    struct fl_config_topic *t = ctx;
    if (!strcmp(key, "name")) return get_str(w, v, "topics[].name", &t->name);
    if (!strcmp(key, "partitions"))
        return get_int(w, v, "topics[].partitions", 1, FL_CONFIG_PARTITIONS_MAX, &t->partitions);
    if (!strcmp(key, "flush_interval_ms"))
        return get_int(w, v, "topics[].flush_interval_ms", 1, 3600000, &t->flush_interval_ms);
    if (!strcmp(key, "sync")) {
        static const char *const names[] = {"always", "interval", "never"};
        for (int i = 0; i < 3; i++)
            if (v->type == YAML_SCALAR_NODE &&
                !strcmp((const char *)v->data.scalar.value, names[i])) {
                t->sync = i;
                return FL_OK;
            }
        return fail(w, v, "topics[].sync", "expected always, interval or never");
    }
    return unknown(w, kn, "topics[]", key);
}

static fl_err_t upload_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                            yaml_node_t *v) {
    struct fl_config_upload *u = ctx;
    if (!strcmp(key, "prefix")) return get_str(w, v, "uploads[].prefix", &u->prefix);
    if (!strcmp(key, "folder")) return get_str(w, v, "uploads[].folder", &u->folder);
    if (!strcmp(key, "topic")) return get_str(w, v, "uploads[].topic", &u->topic);
    return unknown(w, kn, "uploads[]", key);
}

static fl_err_t topics_seq(struct walk *w, struct fl_config *cfg, yaml_node_t *n) {
    if (n->type != YAML_SEQUENCE_NODE) return fail(w, n, "topics", "expected a list");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        if (cfg->ntopics == FL_CONFIG_TOPICS_MAX)
            return too_many(w, item, "topics", "topics", FL_CONFIG_TOPICS_MAX);
        cfg->topics = fl_reallocarray(cfg->topics, (size_t)cfg->ntopics + 1, sizeof(*cfg->topics));
        struct fl_config_topic *t = &cfg->topics[cfg->ntopics++];
        *t = (struct fl_config_topic){.partitions = -1, .sync = -1, .flush_interval_ms = -1};
        fl_err_t rc = each_pair(w, item, "topics[]", topic_pair, t);
        if (rc) return rc;
        if (!t->name) return fail(w, item, "topics[].name", "missing");
    }
    return FL_OK;
}

static fl_err_t uploads_seq(struct walk *w, struct fl_config *cfg, yaml_node_t *n) {
    if (n->type != YAML_SEQUENCE_NODE) return fail(w, n, "uploads", "expected a list");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        if (cfg->nuploads == FL_CONFIG_UPLOADS_MAX)
            return too_many(w, item, "uploads", "upload kinds", FL_CONFIG_UPLOADS_MAX);
        cfg->uploads =
            fl_reallocarray(cfg->uploads, (size_t)cfg->nuploads + 1, sizeof(*cfg->uploads));
        struct fl_config_upload *u = &cfg->uploads[cfg->nuploads++];
        memset(u, 0, sizeof(*u));
        fl_err_t rc = each_pair(w, item, "uploads[]", upload_pair, u);
        if (rc) return rc;
        if (!u->prefix || !u->folder || !u->topic)
            return fail(w, item, "uploads[]", "needs prefix, folder and topic");
    }
    return FL_OK;
}

/* A list of strings: [a, b] (or one scalar, as a list of one). */
static fl_err_t get_str_list(struct walk *w, yaml_node_t *n, const char *key, char ***out,
                             int *nout) {
    if (n->type == YAML_SCALAR_NODE) {
        *out = fl_reallocarray(*out, (size_t)*nout + 1, sizeof(char *));
        (*out)[*nout] = NULL;
        fl_err_t rc = get_str(w, n, key, &(*out)[*nout]);
        if (!rc) (*nout)++;
        return rc;
    }
    if (n->type != YAML_SEQUENCE_NODE) return fail(w, n, key, "expected a list of strings");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        if (!item || item->type != YAML_SCALAR_NODE)
            return fail(w, item ? item : n, key, "expected a string");
        if (*nout == FL_CONFIG_LIST_MAX)
            return too_many(w, item, key, "values", FL_CONFIG_LIST_MAX);
        *out = fl_reallocarray(*out, (size_t)*nout + 1, sizeof(char *));
        (*out)[*nout] = NULL;
        fl_err_t rc = get_str(w, item, key, &(*out)[*nout]);
        if (rc) return rc;
        (*nout)++;
    }
    return FL_OK;
}

static fl_err_t allowed_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                             yaml_node_t *v) {
    (void)kn;
    struct fl_config_pipeline *pl = ctx;
    if (pl->nallowed == FL_CONFIG_ALLOWED_MAX)
        return too_many(w, kn, "pipelines[].allowed", "columns", FL_CONFIG_ALLOWED_MAX);
    pl->allowed = fl_reallocarray(pl->allowed, (size_t)pl->nallowed + 1, sizeof(*pl->allowed));
    struct fl_config_allowed *a = &pl->allowed[pl->nallowed++];
    memset(a, 0, sizeof(*a));
    a->col = fl_strdup(key);
    return get_str_list(w, v, "pipelines[].allowed", &a->values, &a->nvalues);
}

/* ---- pipelines[].window ---- */

/* A duration: an integer and a unit, ms, s, m, h or d ("90s", "1m"). */
static fl_err_t get_duration(struct walk *w, yaml_node_t *n, const char *key, int64_t *out_ms) {
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.length > 0 && n->data.scalar.length < 24) {
        const char *s = (const char *)n->data.scalar.value;
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        for (size_t i = 0; end != s && !errno && v >= 0 && i < sizeof(units) / sizeof(units[0]);
             i++)
            if (!strcmp(end, units[i].unit)) {
                if (v > INT64_C(366) * 86400000 / units[i].ms)
                    return fail(w, n, key, "longer than a year");
                *out_ms = v * units[i].ms;
                return FL_OK;
            }
    }
    return fail(w, n, key, "expected a duration such as 500ms, 10s, 1m, 1h or 1d");
}

static const char *const AGG_FNS[] = {"count", "sum", "avg", "min", "max"};

static fl_err_t agg_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                         yaml_node_t *v) {
    struct fl_config_agg *a = ctx;
    if (!strcmp(key, "as")) return get_str(w, v, "pipelines[].window.aggregates[].as", &a->as);
    for (int i = 0; i < 5; i++)
        if (!strcmp(key, AGG_FNS[i])) {
            if (a->col)
                return fail(w, kn, "pipelines[].window.aggregates[]", "one function per entry");
            a->fn = i;
            fl_err_t rc = get_str(w, v, "pipelines[].window.aggregates[]", &a->col);
            if (!rc && i != 0 && !strcmp(a->col, "*"))
                return fail(w, v, "pipelines[].window.aggregates[]", "only count takes \"*\"");
            return rc;
        }
    return unknown(w, kn, "pipelines[].window.aggregates[]", key);
}

static fl_err_t aggs_seq(struct walk *w, struct fl_config_window *wn, yaml_node_t *n) {
    const char *where = "pipelines[].window.aggregates";
    if (n->type != YAML_SEQUENCE_NODE) return fail(w, n, where, "expected a list");
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        if (wn->naggs == FL_CONFIG_AGGS_MAX)
            return too_many(w, item, where, "aggregates", FL_CONFIG_AGGS_MAX);
        wn->aggs = fl_reallocarray(wn->aggs, (size_t)wn->naggs + 1, sizeof(*wn->aggs));
        struct fl_config_agg *a = &wn->aggs[wn->naggs++];
        memset(a, 0, sizeof(*a));
        fl_err_t rc = item ? each_pair(w, item, "pipelines[].window.aggregates[]", agg_pair, a)
                           : fail(w, n, where, "bad entry");
        if (rc) return rc;
        if (!a->col) return fail(w, item, where, "needs one of count, sum, avg, min, max");
        if (!a->as) { /* default name: avg_temperature, count */
            size_t len = strlen(AGG_FNS[a->fn]) + strlen(a->col) + 2;
            a->as = fl_malloc(len);
            if (!strcmp(a->col, "*"))
                snprintf(a->as, len, "%s", AGG_FNS[a->fn]);
            else
                snprintf(a->as, len, "%s_%s", AGG_FNS[a->fn], a->col);
        }
    }
    if (wn->naggs == 0) return fail(w, n, where, "needs at least one aggregate");
    return FL_OK;
}

static fl_err_t window_pg_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                               yaml_node_t *v) {
    struct fl_config_window *wn = ctx;
    if (!strcmp(key, "uri")) return get_str(w, v, "pipelines[].window.postgres.uri", &wn->pg_uri);
    if (!strcmp(key, "table"))
        return get_str(w, v, "pipelines[].window.postgres.table", &wn->pg_table);
    return unknown(w, kn, "pipelines[].window.postgres", key);
}

static fl_err_t window_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                            yaml_node_t *v) {
    struct fl_config_window *wn = ctx;
    if (!strcmp(key, "time")) return get_str(w, v, "pipelines[].window.time", &wn->time);
    if (!strcmp(key, "key")) {
        fl_err_t rc = get_str_list(w, v, "pipelines[].window.key", &wn->key, &wn->nkey);
        if (!rc && wn->nkey > FL_CONFIG_WINDOW_KEYS_MAX)
            return too_many(w, v, "pipelines[].window.key", "columns", FL_CONFIG_WINDOW_KEYS_MAX);
        return rc;
    }
    if (!strcmp(key, "size")) return get_duration(w, v, "pipelines[].window.size", &wn->size_ms);
    if (!strcmp(key, "slide")) return get_duration(w, v, "pipelines[].window.slide", &wn->slide_ms);
    if (!strcmp(key, "lateness"))
        return get_duration(w, v, "pipelines[].window.lateness", &wn->lateness_ms);
    if (!strcmp(key, "aggregates")) return aggs_seq(w, wn, v);
    if (!strcmp(key, "postgres")) {
        fl_err_t rc = each_pair(w, v, "pipelines[].window.postgres", window_pg_pair, wn);
        if (!rc && !wn->pg_uri) return fail(w, v, "pipelines[].window.postgres.uri", "missing");
        return rc;
    }
    return unknown(w, kn, "pipelines[].window", key);
}

/* pipelines[].window: {time, key, size, slide, lateness, aggregates, postgres} */
static fl_err_t window_map(struct walk *w, struct fl_config_pipeline *pl, yaml_node_t *n) {
    if (pl->window) return fail(w, n, "pipelines[].window", "given twice");
    struct fl_config_window *wn = fl_calloc(1, sizeof(*wn));
    wn->size_ms = wn->slide_ms = wn->lateness_ms = -1;
    pl->window = wn;
    fl_err_t rc = each_pair(w, n, "pipelines[].window", window_pair, wn);
    if (rc) return rc;
    if (!wn->time) return fail(w, n, "pipelines[].window.time", "missing (the event time column)");
    if (wn->size_ms <= 0) return fail(w, n, "pipelines[].window.size", "missing or zero");
    if (!wn->naggs) return fail(w, n, "pipelines[].window.aggregates", "missing");
    if (wn->slide_ms == 0 ||
        (wn->slide_ms > 0 && (wn->slide_ms > wn->size_ms || wn->size_ms % wn->slide_ms)))
        return fail(w, n, "pipelines[].window.slide", "must divide the size");
    if (wn->slide_ms > 0 && wn->size_ms / wn->slide_ms > 1000)
        return fail(w, n, "pipelines[].window.slide", "more than 1000 windows per record");
    return FL_OK;
}

static fl_err_t pipeline_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                              yaml_node_t *v) {
    struct fl_config_pipeline *pl = ctx;
    if (!strcmp(key, "name")) return get_str(w, v, "pipelines[].name", &pl->name);
    if (!strcmp(key, "topic")) return get_str(w, v, "pipelines[].topic", &pl->topic);
    if (!strcmp(key, "source")) return fl_config_source_walk(w, pl, v);
    if (!strcmp(key, "table")) return get_str(w, v, "pipelines[].table", &pl->table);
    if (!strcmp(key, "map")) return fl_config_map_walk(w, pl, v);
    if (!strcmp(key, "commit_interval_ms"))
        return get_int(w, v, "pipelines[].commit_interval_ms", 10, 3600000,
                       &pl->commit_interval_ms);
    if (!strcmp(key, "decode")) {
        const char *s = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "";
        if (!strcmp(s, "json"))
            pl->decode = 0;
        else if (!strcmp(s, "pointer"))
            pl->decode = 1;
        else
            return fail(w, v, "pipelines[].decode", "expected json or pointer");
        return FL_OK;
    }
    if (!strcmp(key, "key")) return get_str_list(w, v, "pipelines[].key", &pl->key, &pl->nkey);
    if (!strcmp(key, "required"))
        return get_str_list(w, v, "pipelines[].required", &pl->required, &pl->nrequired);
    if (!strcmp(key, "allowed")) return each_pair(w, v, "pipelines[].allowed", allowed_pair, pl);
    if (!strcmp(key, "maintenance"))
        return fl_config_maint_walk(w, &pl->maint, "pipelines[].maintenance", v);
    if (!strcmp(key, "window")) return window_map(w, pl, v);
    return unknown(w, kn, "pipelines[]", key);
}

static fl_err_t pipelines_seq(struct walk *w, struct fl_config *cfg, yaml_node_t *n) {
    if (n->type != YAML_SEQUENCE_NODE) return fail(w, n, "pipelines", "expected a list");
    cfg->pipelines_given = 1;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(w->doc, *it);
        if (cfg->npipelines == FL_CONFIG_PIPELINES_MAX)
            return too_many(w, item, "pipelines", "pipelines", FL_CONFIG_PIPELINES_MAX);
        cfg->pipelines =
            fl_reallocarray(cfg->pipelines, (size_t)cfg->npipelines + 1, sizeof(*cfg->pipelines));
        struct fl_config_pipeline *pl = &cfg->pipelines[cfg->npipelines++];
        *pl = (struct fl_config_pipeline){
            .commit_interval_ms = -1, .decode = -1, .maint = FL_CONFIG_MAINT_UNSET};
        fl_err_t rc = each_pair(w, item, "pipelines[]", pipeline_pair, pl);
        if (rc) return rc;
        if ((!pl->topic && !pl->kafka) || !pl->table)
            return fail(w, item, "pipelines[]", "needs topic (or source) and table");
        if (pl->topic && pl->kafka)
            return fail(w, item, "pipelines[]", "topic and source.kafka: give one");
        if (pl->kafka && !pl->name) pl->name = fl_strdup(pl->kafka->group);
        if (!strchr(pl->table, '.'))
            return fail(w, item, "pipelines[].table", "must be NAMESPACE.NAME");
    }
    return FL_OK;
}

static fl_err_t top_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                         yaml_node_t *v) {
    struct fl_config *cfg = ctx;
    if (!strcmp(key, "listen")) return get_str(w, v, key, &cfg->listen);
    if (!strcmp(key, "data_dir")) return get_str(w, v, key, &cfg->data_dir);
    if (!strcmp(key, "warehouse")) return get_str(w, v, key, &cfg->warehouse);
    if (!strcmp(key, "auto_create_topics")) return get_bool(w, v, key, &cfg->auto_create_topics);
    if (!strcmp(key, "limits")) return each_pair(w, v, key, limits_pair, cfg);
    if (!strcmp(key, "log")) return each_pair(w, v, key, log_pair, cfg);
    if (!strcmp(key, "topics")) return topics_seq(w, cfg, v);
    if (!strcmp(key, "uploads")) return uploads_seq(w, cfg, v);
    if (!strcmp(key, "tables")) return fl_config_tables_walk(w, cfg, v);
    if (!strcmp(key, "catalog")) return get_str(w, v, key, &cfg->catalog);
    if (!strcmp(key, "pipelines")) return pipelines_seq(w, cfg, v);
    if (!strcmp(key, "maintenance")) return fl_config_maint_walk(w, &cfg->maint, key, v);
    if (!strcmp(key, "kafka")) return fl_config_kafka_walk(w, &cfg->kafka, v);
    if (!strcmp(key, "sources")) return fl_config_sources_walk(w, cfg, v);
    if (!strcmp(key, "auth")) return fl_config_auth_walk(w, &cfg->auth, v);
    if (!strcmp(key, "tls")) return fl_config_tls_walk(w, cfg, v);
    return unknown(w, kn, "", key);
}

/* ---- plain values cut at a comma inside [ ] or { } ----
 *
 * YAML ends a plain (unquoted) scalar at every "," inside a flow
 * collection (YAML 1.2, 7.3.3: ns-plain-safe-in excludes the flow
 * indicators , [ ] { }), so [day(ts), bucket(16, id)] is three items, the
 * second "bucket(16", and {name: a, type: decimal(10,2)} has a key "2)".
 * No name, type or term of floe opens a parenthesis it does not close, so
 * a plain scalar inside a flow collection that does was cut: it is
 * refused at its line with the value as written and the quoting that
 * keeps it whole. Block style (one key or item a line) has no such cut. */

static int opens_more(const yaml_node_t *n) {
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    int depth = 0;
    for (size_t i = 0; i < n->data.scalar.length; i++)
        if (n->data.scalar.value[i] == '(')
            depth++;
        else if (n->data.scalar.value[i] == ')' && depth > 0)
            depth--;
    return depth > 0;
}

static fl_err_t cut_at_comma(struct walk *w, const yaml_node_t *n, const char *key) {
    char written[200], why[512];
    size_t k = 0;
    int depth = 0;
    for (size_t i = n->start_mark.index; i < w->srclen && k + 1 < sizeof(written); i++) {
        char c = w->src[i];
        if (c == '\n' || c == '\r') break;
        written[k++] = c;
        if (c == '(') depth++;
        if (c == ')' && --depth == 0) break;
    }
    written[k] = 0;
    snprintf(why, sizeof(why),
             "\"%.*s\" was cut at a comma: inside [ ] or { } YAML ends an unquoted value at "
             "each comma; quote it: '%s'",
             (int)(n->data.scalar.length < 100 ? n->data.scalar.length : 100),
             (const char *)n->data.scalar.value, written);
    return fail(w, n, key, why);
}

/* Checks n and below; key is n's dotted name ("tables[].partition"). */
static fl_err_t flow_check(struct walk *w, yaml_node_t *n, const char *key, int depth) {
    if (!n || depth > 64) return FL_OK;
    char sub[300];
    if (n->type == YAML_SEQUENCE_NODE) {
        int flow = n->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE;
        snprintf(sub, sizeof(sub), "%s[]", key);
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++) {
            yaml_node_t *item = yaml_document_get_node(w->doc, *it);
            if (flow && item && opens_more(item)) return cut_at_comma(w, item, key);
            fl_err_t rc = flow_check(w, item, sub, depth + 1);
            if (rc) return rc;
        }
    } else if (n->type == YAML_MAPPING_NODE) {
        int flow = n->data.mapping.style == YAML_FLOW_MAPPING_STYLE;
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
            yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
            const char *name =
                k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "?";
            snprintf(sub, sizeof(sub), "%s%s%.100s", key, *key ? "." : "", name);
            if (flow && k && opens_more(k)) return cut_at_comma(w, k, key);
            if (flow && v && opens_more(v)) return cut_at_comma(w, v, sub);
            fl_err_t rc = flow_check(w, v, sub, depth + 1);
            if (rc) return rc;
        }
    }
    return FL_OK;
}

/* The whole file, at most FL_CONFIG_FILE_MAX bytes, NUL-terminated. */
static fl_err_t read_file(const char *path, char **out, size_t *len, struct fl_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return fl_errf(err, FL_ERR_IO, "%s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = fl_malloc(cap);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
        if (n + 1 == cap) {
            if (cap > FL_CONFIG_FILE_MAX) break;
            cap *= 2;
            buf = fl_realloc(buf, cap);
        }
    }
    fl_err_t rc = FL_OK;
    if (ferror(f))
        rc = fl_errf(err, FL_ERR_IO, "%s: read error", path);
    else if (n > FL_CONFIG_FILE_MAX)
        rc = fl_errf(err, FL_ERR_INVALID, "%s: larger than %d bytes", path, FL_CONFIG_FILE_MAX);
    fclose(f);
    if (rc) {
        fl_free(buf);
        return rc;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    return FL_OK;
}

fl_err_t fl_config_load(const char *path, struct fl_config *cfg, struct fl_error *err) {
    char *src = NULL;
    size_t srclen = 0;
    fl_err_t rc = read_file(path, &src, &srclen, err);
    if (rc) return rc;
    fl_free(cfg->path);
    cfg->path = fl_strdup(path);
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)src, srclen);
    if (!yaml_parser_load(&parser, &doc)) {
        /* "did not find expected ',' or ']'": most often a [ ] { } or , unquoted */
        int flow = parser.context && strstr(parser.context, "flow");
        rc = fl_errf(err, FL_ERR_INVALID, "%s:%zu: %s%s", path, parser.problem_mark.line + 1,
                     parser.problem ? parser.problem : "YAML syntax error",
                     flow ? " (inside [ ] or { } quote a value that holds , [ ] { }, as "
                            "'fixed[16]' or 'decimal(10,2)')"
                          : "");
        goto out_parser;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    struct walk w = {.path = path, .src = src, .srclen = srclen, .doc = &doc, .err = err};
    if (root) rc = flow_check(&w, root, "", 0);
    if (root && !rc) /* an empty file is an empty configuration */
        rc = each_pair(&w, root, "(top level)", top_pair, cfg);
    yaml_document_delete(&doc);
out_parser:
    yaml_parser_delete(&parser);
    fl_free(src);
    return rc;
}

/* ---- the walker for the other sections' files (config_int.h) ---- */

fl_err_t fl_config_fail(struct walk *w, const yaml_node_t *n, const char *key, const char *why) {
    return fail(w, n, key, why);
}
fl_err_t fl_config_too_many(struct walk *w, const yaml_node_t *n, const char *key, const char *what,
                            int max) {
    return too_many(w, n, key, what, max);
}
fl_err_t fl_config_get_str(struct walk *w, yaml_node_t *n, const char *key, char **out) {
    return get_str(w, n, key, out);
}
fl_err_t fl_config_get_bool(struct walk *w, yaml_node_t *n, const char *key, int *out) {
    return get_bool(w, n, key, out);
}
fl_err_t fl_config_get_str_list(struct walk *w, yaml_node_t *n, const char *key, char ***out,
                                int *nout) {
    return get_str_list(w, n, key, out, nout);
}
fl_err_t fl_config_get_int(struct walk *w, yaml_node_t *n, const char *key, int64_t lo, int64_t hi,
                           int64_t *out) {
    return get_int(w, n, key, lo, hi, out);
}
fl_err_t fl_config_get_duration(struct walk *w, yaml_node_t *n, const char *key, int64_t *out_ms) {
    return get_duration(w, n, key, out_ms);
}
fl_err_t fl_config_each_pair(struct walk *w, yaml_node_t *n, const char *where,
                             fl_config_pair_fn fn, void *ctx) {
    return each_pair(w, n, where, fn, ctx);
}
fl_err_t fl_config_unknown(struct walk *w, yaml_node_t *kn, const char *where, const char *key) {
    return unknown(w, kn, where, key);
}
