/*
 * config_int.h - what the files of the configuration loader share: the
 * walk over libyaml's document tree and its typed getters, which fail
 * with "FILE:LINE: key: why" (config.c), and the sections kept in files
 * of their own (config_tables.c: tables and pipelines' map steps).
 */
#ifndef FL_CORE_CONFIG_INT_H
#define FL_CORE_CONFIG_INT_H

#include "core/config.h"

#include <yaml.h>

struct walk {
    const char *path;
    const char *src; /* the file's text, srclen bytes (for messages that quote it) */
    size_t srclen;
    yaml_document_t *doc;
    struct fl_error *err;
};

typedef fl_err_t (*fl_config_pair_fn)(struct walk *w, void *ctx, const char *key, yaml_node_t *kn,
                                      yaml_node_t *v);

fl_err_t fl_config_fail(struct walk *w, const yaml_node_t *n, const char *key, const char *why);
/* "key: too many WHAT (at most MAX)" at n. */
fl_err_t fl_config_too_many(struct walk *w, const yaml_node_t *n, const char *key, const char *what,
                            int max);
fl_err_t fl_config_get_str(struct walk *w, yaml_node_t *n, const char *key, char **out);
fl_err_t fl_config_get_bool(struct walk *w, yaml_node_t *n, const char *key, int *out);
/* [a, b] or one scalar as a list of one. */
fl_err_t fl_config_get_str_list(struct walk *w, yaml_node_t *n, const char *key, char ***out,
                                int *nout);
fl_err_t fl_config_get_int(struct walk *w, yaml_node_t *n, const char *key, int64_t lo, int64_t hi,
                           int64_t *out);
/* "500ms", "10s", "1m", "2h", "1d": at most a year. */
fl_err_t fl_config_get_duration(struct walk *w, yaml_node_t *n, const char *key, int64_t *out_ms);
fl_err_t fl_config_each_pair(struct walk *w, yaml_node_t *n, const char *where,
                             fl_config_pair_fn fn, void *ctx);
fl_err_t fl_config_unknown(struct walk *w, yaml_node_t *kn, const char *where, const char *key);

/* config_tables.c */
fl_err_t fl_config_tables_walk(struct walk *w, struct fl_config *cfg, yaml_node_t *n);
void fl_config_tables_fini(struct fl_config *cfg);
fl_err_t fl_config_map_walk(struct walk *w, struct fl_config_pipeline *pl, yaml_node_t *n);
void fl_config_map_fini(struct fl_config_pipeline *pl);

/* config_maint.c: a maintenance block at n into m (where: "maintenance",
 * "tables[].maintenance", ...) */
fl_err_t fl_config_maint_walk(struct walk *w, struct fl_config_maint *m, const char *where,
                              yaml_node_t *n);
void fl_config_maint_fini(struct fl_config_maint *m);

/* config_auth.c: the auth: section */
fl_err_t fl_config_auth_walk(struct walk *w, struct fl_auth *a, yaml_node_t *n);
/* config_auth.c: the tls: section */
fl_err_t fl_config_tls_walk(struct walk *w, struct fl_config *cfg, yaml_node_t *n);

/* config_kafka.c: the kafka: section */
/* config_source.c: pipelines[].source */
fl_err_t fl_config_source_walk(struct walk *w, struct fl_config_pipeline *pl, yaml_node_t *n);
void fl_config_source_fini(struct fl_config_pipeline *pl);
/* log.kafka: {bootstrap, properties} into *out (allocated) */
fl_err_t fl_config_log_kafka_walk(struct walk *w, struct fl_config_ksource **out, yaml_node_t *n);
void fl_config_ksource_free(struct fl_config_ksource *k);
fl_err_t fl_config_kafka_walk(struct walk *w, struct fl_config_kafka *k, yaml_node_t *n);
void fl_config_kafka_fini(struct fl_config_kafka *k);

/* config_sources.c: the sources: section */
fl_err_t fl_config_sources_walk(struct walk *w, struct fl_config *cfg, yaml_node_t *n);
void fl_config_sources_fini(struct fl_config *cfg);

#endif
