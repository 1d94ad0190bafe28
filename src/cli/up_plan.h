/*
 * up_plan.h - the effective plan of `floe up`: the configuration file
 * (or none) plus the command line's overrides, with every default filled
 * in once. `floe up` runs it and `floe config show` prints it, so the two
 * cannot disagree about a default.
 *
 * The plan holds what floe up opens and starts: the listen address, the
 * data directory and what derives from it (warehouse, catalog, log), the
 * HTTP limits and upload kinds (an ingest config), every topic floe up
 * ensures with its settings, and every pipeline as the pipeline takes it
 * (its fl_pipe_config) - the configured ones, or without a `pipelines:`
 * section the built-in ones with the tables they need. Nothing is capped
 * here: the config loader refuses input past its limits (config.h).
 */
#ifndef FL_CLI_UP_PLAN_H
#define FL_CLI_UP_PLAN_H

#include "core/config.h"
#include "core/err.h"
#include "ingest/ingest.h"
#include "kafka/kafka.h"
#include "log/log.h"
#include "pipeline/maintain.h"
#include "pipeline/pipeline.h"

/* A topic floe up ensures: the log's defaults, then the config's entry. */
struct fl_up_topic {
    const char *name; /* borrowed from the plan's config, ingest config or static data */
    struct fl_log_topic_config tc;
};

/* A pipeline as fl_pipe_new takes it. */
struct fl_up_pipe {
    struct fl_pipe_config pc; /* points into this entry, the plan's config or static data */
    char *ns, *table;         /* owned; pc.ns, pc.table */
    /* built-in pipelines: the table floe up creates when the catalog
     * lacks it (schema JSON and one partition term or NULL); NULL when
     * the pipeline makes its own table (a window) or the table is
     * declared or already there */
    const char *schema_json, *term;
    struct fl_pipe_allowed *allowed; /* owned arrays behind pc */
    struct fl_pipe_map_step *steps;
    struct fl_pipe_agg *aggs;
    struct fl_pipe_window_config wc;
    struct fl_pipe_kafka_config kafka; /* pc.kafka: source.kafka, borrowing the plan's config */
};

struct fl_up_plan {
    struct fl_config cfg;                          /* the file as read (empty without one) */
    const char *conf_path;                         /* borrowed; NULL: no file */
    char *listen, *data_dir, *warehouse, *catalog; /* owned, defaults filled in */
    struct fl_ingest_config icfg;                  /* limits, auto_create_topics, upload kinds */
    int64_t max_disk_bytes, min_free_bytes;        /* the log's */
    struct fl_up_topic *topics; /* each once, in the order floe up ensures them */
    int ntopics;
    struct fl_up_pipe *pipes;
    int npipes;
    int builtin; /* no `pipelines:` section: pipes are the built-in ones */
    /* every table floe writes (the pipelines' targets and the declared
     * tables, each once) with its effective maintenance policy; names
     * borrowed from the plan (up_maint.c) */
    struct fl_maint_table *maint;
    int nmaint;
    /* the Kafka server (kafka: section; kcfg's host points at kafka_host) */
    int kafka_enabled;
    char *kafka_listen, *kafka_host; /* owned */
    struct fl_kafka_config kcfg;
    struct fl_kafka_user *kusers; /* owned array; strings borrowed from cfg */
};

/* Builds the plan of conf_path (NULL: none) with the command line's
 * listen and data_dir (NULL: the config's, else the defaults). The
 * caller calls fl_up_plan_fini whatever it returns. FL_ERR_IO or
 * FL_ERR_INVALID ("FILE:LINE: key: why") for a bad file. */
fl_err_t fl_up_plan_build(struct fl_up_plan *plan, const char *conf_path, const char *listen,
                          const char *data_dir, struct fl_error *err);

/* Replaces the data directory (floe up: its absolute path once it
 * exists) and the defaults derived from it: warehouse and catalog,
 * unless the config names them. */
void fl_up_plan_set_data_dir(struct fl_up_plan *plan, const char *dir);

void fl_up_plan_fini(struct fl_up_plan *plan);

/* The command line's --kafka-listen: replaces the config's address (and
 * turns the server on); the advertised host follows it unless the
 * config names one. */
void fl_up_plan_set_kafka_listen(struct fl_up_plan *plan, const char *addr);

/* up_maint.c: fills plan->maint from the config's maintenance blocks
 * (a table's own, then the top level's, then floe's defaults).
 * FL_ERR_INVALID with FILE:LINE when one table gets two blocks. */
fl_err_t fl_up_plan_maint(struct fl_up_plan *plan, struct fl_error *err);

#endif
