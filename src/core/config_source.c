/*
 * config_source.c - a pipeline's `source:` (config.h's struct
 * fl_config_ksource): an external Kafka cluster the pipeline consumes
 * through librdkafka instead of a topic of floe's own log.
 *
 *   source:
 *     kafka:
 *       bootstrap: "broker1:9092,broker2:9092"
 *       topics: [weather, clicks]     # or one regex: "^weather\\..*"
 *       group: floe-weather           # the consumer group the workers share
 *       properties: {security.protocol: SASL_SSL, sasl.mechanism: PLAIN}
 *
 * Shapes are checked here, at their line; librdkafka judges the
 * properties' names and values when floe up creates the consumer.
 */
#include "core/config_int.h"
#include "core/mem.h"

#include <string.h>

static void free_list(char **v, int n) {
    for (int i = 0; i < n; i++) fl_free(v[i]);
    fl_free(v);
}

void fl_config_ksource_free(struct fl_config_ksource *k) {
    if (!k) return;
    fl_free(k->bootstrap);
    fl_free(k->group);
    free_list(k->topics, k->ntopics);
    free_list(k->prop_keys, k->nprops);
    free_list(k->prop_values, k->nprops);
    fl_free(k);
}

void fl_config_source_fini(struct fl_config_pipeline *pl) {
    fl_config_ksource_free(pl->kafka);
    pl->kafka = NULL;
}

/* The properties the source sets itself: a pipeline's exactly-once
 * commits depend on them. */
static const char *const OWNED[] = {"bootstrap.servers", "group.id", "enable.auto.commit",
                                    "enable.auto.offset.store"};

static fl_err_t prop_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                          yaml_node_t *v) {
    struct fl_config_ksource *k = ctx;
    const char *where = "pipelines[].source.kafka.properties";
    if (k->nprops == FL_CONFIG_SOURCE_PROPS_MAX)
        return fl_config_too_many(w, v, where, "properties", FL_CONFIG_SOURCE_PROPS_MAX);
    for (size_t i = 0; i < sizeof(OWNED) / sizeof(OWNED[0]); i++)
        if (!strcmp(key, OWNED[i]))
            return fl_config_fail(w, kn, where,
                                  "this property is the pipeline's own (bootstrap, group; offsets "
                                  "are committed with the table)");
    k->prop_keys = fl_reallocarray(k->prop_keys, (size_t)k->nprops + 1, sizeof(char *));
    k->prop_values = fl_reallocarray(k->prop_values, (size_t)k->nprops + 1, sizeof(char *));
    k->prop_keys[k->nprops] = fl_strdup(key);
    k->prop_values[k->nprops] = NULL;
    k->nprops++;
    return fl_config_get_str(w, v, where, &k->prop_values[k->nprops - 1]);
}

static fl_err_t kafka_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                           yaml_node_t *v) {
    struct fl_config_ksource *k = ctx;
    if (!strcmp(key, "bootstrap"))
        return fl_config_get_str(w, v, "pipelines[].source.kafka.bootstrap", &k->bootstrap);
    if (!strcmp(key, "group"))
        return fl_config_get_str(w, v, "pipelines[].source.kafka.group", &k->group);
    if (!strcmp(key, "topics")) {
        if (k->topics)
            return fl_config_fail(w, v, "pipelines[].source.kafka.topics", "given twice");
        fl_err_t rc = fl_config_get_str_list(w, v, "pipelines[].source.kafka.topics", &k->topics,
                                             &k->ntopics);
        if (!rc && k->ntopics > FL_CONFIG_SOURCE_TOPICS_MAX)
            return fl_config_too_many(w, v, "pipelines[].source.kafka.topics", "topics",
                                      FL_CONFIG_SOURCE_TOPICS_MAX);
        for (int i = 0; !rc && i < k->ntopics; i++) {
            if (!k->topics[i][0] || strlen(k->topics[i]) > 249)
                return fl_config_fail(w, v, "pipelines[].source.kafka.topics",
                                      "a topic name has 1 to 249 characters");
            if (k->topics[i][0] == '^' && k->ntopics > 1)
                return fl_config_fail(w, v, "pipelines[].source.kafka.topics",
                                      "a regex (\"^...\") stands alone");
        }
        return rc;
    }
    if (!strcmp(key, "properties"))
        return fl_config_each_pair(w, v, "pipelines[].source.kafka.properties", prop_pair, k);
    return fl_config_unknown(w, kn, "pipelines[].source.kafka", key);
}

static fl_err_t source_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                            yaml_node_t *v) {
    struct fl_config_pipeline *pl = ctx;
    if (strcmp(key, "kafka")) return fl_config_unknown(w, kn, "pipelines[].source", key);
    if (pl->kafka) return fl_config_fail(w, kn, "pipelines[].source.kafka", "given twice");
    pl->kafka = fl_calloc(1, sizeof(*pl->kafka));
    fl_err_t rc = fl_config_each_pair(w, v, "pipelines[].source.kafka", kafka_pair, pl->kafka);
    if (rc) return rc;
    if (!pl->kafka->bootstrap || !pl->kafka->bootstrap[0])
        return fl_config_fail(w, v, "pipelines[].source.kafka.bootstrap", "missing");
    if (!pl->kafka->ntopics)
        return fl_config_fail(w, v, "pipelines[].source.kafka.topics", "missing");
    if (!pl->kafka->group || !pl->kafka->group[0])
        return fl_config_fail(w, v, "pipelines[].source.kafka.group",
                              "missing (the consumer group the workers share)");
    return FL_OK;
}

static fl_err_t log_kafka_pair(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                               yaml_node_t *v) {
    struct fl_config_ksource *k = ctx;
    if (!strcmp(key, "bootstrap"))
        return fl_config_get_str(w, v, "log.kafka.bootstrap", &k->bootstrap);
    if (!strcmp(key, "properties"))
        return fl_config_each_pair(w, v, "log.kafka.properties", prop_pair, k);
    return fl_config_unknown(w, kn, "log.kafka", key);
}

fl_err_t fl_config_log_kafka_walk(struct walk *w, struct fl_config_ksource **out, yaml_node_t *n) {
    if (*out) return fl_config_fail(w, n, "log.kafka", "given twice");
    *out = fl_calloc(1, sizeof(**out));
    fl_err_t rc = fl_config_each_pair(w, n, "log.kafka", log_kafka_pair, *out);
    if (!rc && (!(*out)->bootstrap || !(*out)->bootstrap[0]))
        return fl_config_fail(w, n, "log.kafka.bootstrap", "missing");
    return rc;
}

fl_err_t fl_config_source_walk(struct walk *w, struct fl_config_pipeline *pl, yaml_node_t *n) {
    return fl_config_each_pair(w, n, "pipelines[].source", source_pair, pl);
}
