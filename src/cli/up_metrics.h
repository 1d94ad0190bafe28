/*
 * up_metrics.h - floe up's families of GET /metrics: topics (from the
 * log), pipelines and their tables (from the pipelines' counters, which
 * each commit updates: a scrape reads no table).
 */
#ifndef FL_CLI_UP_METRICS_H
#define FL_CLI_UP_METRICS_H

#include "core/buf.h"

struct fl_log;
struct fl_pipe;

struct fl_up_metrics {
    struct fl_log *log;     /* borrowed */
    struct fl_pipe **pipes; /* borrowed */
    int npipes;
};

/* fl_ingest_config.metrics: ctx is a struct fl_up_metrics. A server thread. */
void fl_up_metrics_write(void *ctx, struct fl_buf *out);

#endif
