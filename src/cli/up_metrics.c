/*
 * up_metrics.c - floe up's families of GET /metrics (up_metrics.h), in
 * Prometheus' text format (ingest/prom.h). Per topic: records and bytes
 * appended since floe started, partitions, end offsets, bytes on disk.
 * Per pipeline: records in, rejected, committed, commits, lag, the commit
 * latency and freshness histograms. Per table a pipeline writes:
 * snapshots, data files, bytes, as of the pipeline's last commit.
 *
 * Every family's samples are written together (the format requires it),
 * so the pipelines' stats are read once into an array first.
 */
#include "cli/up_metrics.h"
#include "core/mem.h"
#include "ingest/prom.h"
#include "log/log.h"
#include "pipeline/pipeline.h"

#include <stdio.h>
#include <string.h>

struct names {
    char **v;
    int n, cap;
};

static int add_name(void *ctx, const char *topic) {
    struct names *ns = ctx;
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? 2 * ns->cap : 16;
        ns->v = fl_realloc(ns->v, (size_t)ns->cap * sizeof(*ns->v));
    }
    ns->v[ns->n++] = fl_strdup(topic);
    return 0;
}

struct topic_row {
    const char *name;
    int parts;
    struct fl_log_partition_info *info;
};

static void topic_families(struct fl_log *log, struct fl_buf *out) {
    struct names ns = {0};
    struct fl_error err = {0};
    if (fl_log_topic_list(log, add_name, &ns, &err)) ns.n = 0;
    struct topic_row *rows = ns.n ? fl_calloc((size_t)ns.n, sizeof(*rows)) : NULL;
    int nrows = 0;
    for (int i = 0; i < ns.n; i++) {
        struct topic_row *t = &rows[nrows];
        int n = 0;
        if (fl_log_topic_describe(log, ns.v[i], &n, NULL, NULL, 0, &err) || n < 1)
            continue; /* deleted since the list */
        t->info = fl_calloc((size_t)n, sizeof(*t->info));
        if (fl_log_topic_describe(log, ns.v[i], &t->parts, NULL, t->info, n, &err)) {
            fl_free(t->info);
            continue;
        }
        if (t->parts > n) t->parts = n; /* grown in between: the next scrape has them */
        t->name = ns.v[i];
        nrows++;
    }
    static const struct {
        const char *name, *type, *help;
    } F[] = {
        {"floe_topic_records_in_total", "counter", "records appended since floe started"},
        {"floe_topic_bytes_in_total", "counter", "record batch bytes appended since floe started"},
        {"floe_topic_partitions", "gauge", "partitions of the topic"},
        {"floe_topic_log_bytes", "gauge", "bytes of the topic's log segments on disk"},
    };
    for (int f = 0; f < 4; f++) {
        fl_prom_family(out, F[f].name, F[f].type, F[f].help);
        for (int i = 0; i < nrows; i++) {
            int64_t v = 0;
            for (int p = 0; p < rows[i].parts; p++)
                v += f == 0   ? rows[i].info[p].in_records
                     : f == 1 ? rows[i].info[p].in_bytes
                     : f == 3 ? rows[i].info[p].bytes
                              : 0;
            if (f == 2) v = rows[i].parts;
            const char *lab[] = {"topic", rows[i].name, NULL};
            fl_prom_sample(out, F[f].name, lab, (double)v);
        }
    }
    fl_prom_family(out, "floe_topic_end_offset", "gauge",
                   "next offset to be written, per partition");
    for (int i = 0; i < nrows; i++)
        for (int p = 0; p < rows[i].parts; p++) {
            char part[16];
            snprintf(part, sizeof(part), "%d", p);
            const char *lab[] = {"topic", rows[i].name, "partition", part, NULL};
            fl_prom_sample(out, "floe_topic_end_offset", lab, (double)rows[i].info[p].end_offset);
        }
    for (int i = 0; i < nrows; i++) fl_free(rows[i].info);
    fl_free(rows);
    for (int i = 0; i < ns.n; i++) fl_free(ns.v[i]);
    fl_free(ns.v);
}

/* commit latency buckets (ms, the pipeline's 1 ms histogram folded) */
static const int COMMIT_MS[] = {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000};
#define NCOMMIT ((int)(sizeof(COMMIT_MS) / sizeof(COMMIT_MS[0])))

static void commit_histogram(struct fl_pipe *pipe, const struct fl_pipe_stats *ps,
                             const char *const *lab, struct fl_buf *out) {
    int64_t *hist = fl_calloc(FL_PIPE_COMMIT_HIST_MS + 1, sizeof(*hist));
    int nh = fl_pipe_commit_hist(pipe, hist, FL_PIPE_COMMIT_HIST_MS + 1);
    uint64_t c[NCOMMIT + 1] = {0};
    double bounds[NCOMMIT];
    for (int b = 0; b < NCOMMIT; b++) bounds[b] = COMMIT_MS[b] / 1000.0;
    /* hist[ms] holds latencies in [ms, ms + 1): all are < COMMIT_MS[b] when ms < it */
    for (int ms = 0; ms < nh; ms++) {
        int b = 0;
        while (b < NCOMMIT && ms >= COMMIT_MS[b]) b++;
        c[b] += (uint64_t)hist[ms];
    }
    fl_free(hist);
    fl_prom_histogram(out, "floe_pipeline_commit_duration_seconds", lab, bounds, c, NCOMMIT,
                      (double)ps->commit_us_total / 1e6);
}

static void pipeline_families(struct fl_pipe **pipes, int n, struct fl_buf *out) {
    struct fl_pipe_stats *st = n ? fl_calloc((size_t)n, sizeof(*st)) : NULL;
    char(*tables)[600] = n ? fl_calloc((size_t)n, sizeof(*tables)) : NULL;
    for (int i = 0; i < n; i++) {
        fl_pipe_get_stats(pipes[i], &st[i]);
        snprintf(tables[i], sizeof(tables[i]), "%s.%s", st[i].ns, st[i].table);
    }
    static const struct {
        const char *name, *type, *help;
    } F[] = {
        {"floe_pipeline_records_in_total", "counter", "records read from the topic"},
        {"floe_pipeline_records_rejected_total", "counter",
         "records refused into the dead-letter topic"},
        {"floe_pipeline_records_committed_total", "counter", "rows committed to the table"},
        {"floe_pipeline_commits_total", "counter", "snapshots committed"},
        {"floe_pipeline_lag_records", "gauge", "records in the topic not yet committed"},
    };
    for (int f = 0; f < 5; f++) {
        fl_prom_family(out, F[f].name, F[f].type, F[f].help);
        for (int i = 0; i < n; i++) {
            const struct fl_pipe_stats *s = &st[i];
            int64_t v = f == 0   ? s->records_in
                        : f == 1 ? s->records_dlq
                        : f == 2 ? s->records_out
                        : f == 3 ? s->commits
                                 : s->lag;
            const char *lab[] = {"pipeline", s->name, "topic", s->topic, "table", tables[i], NULL};
            fl_prom_sample(out, F[f].name, lab, (double)v);
        }
    }
    fl_prom_family(out, "floe_pipeline_commit_duration_seconds", "histogram",
                   "time of a snapshot commit, retries included");
    for (int i = 0; i < n; i++) {
        const char *lab[] = {"pipeline", st[i].name, NULL};
        commit_histogram(pipes[i], &st[i], lab, out);
    }
    fl_prom_family(out, "floe_pipeline_freshness_seconds", "histogram",
                   "at each commit: its end minus the newest committed record's timestamp");
    double fb[FL_PIPE_FRESH_NB];
    for (int b = 0; b < FL_PIPE_FRESH_NB; b++) fb[b] = (double)FL_PIPE_FRESH_BOUNDS_MS[b] / 1000.0;
    for (int i = 0; i < n; i++) {
        uint64_t c[FL_PIPE_FRESH_NB + 1];
        for (int b = 0; b <= FL_PIPE_FRESH_NB; b++) c[b] = (uint64_t)st[i].fresh_hist[b];
        const char *lab[] = {"pipeline", st[i].name, NULL};
        fl_prom_histogram(out, "floe_pipeline_freshness_seconds", lab, fb, c, FL_PIPE_FRESH_NB,
                          (double)st[i].fresh_ms_total / 1000.0);
    }
    /* tables: the first pipeline writing each one speaks for it */
    static const struct {
        const char *name, *help;
    } T[] = {
        {"floe_table_snapshots", "snapshots in the table's metadata"},
        {"floe_table_data_files", "data files of the current snapshot"},
        {"floe_table_data_bytes", "bytes of the current snapshot's files (total-files-size)"},
    };
    for (int f = 0; f < 3; f++) {
        fl_prom_family(out, T[f].name, "gauge", T[f].help);
        for (int i = 0; i < n; i++) {
            int dup = 0;
            for (int k = 0; k < i && !dup; k++) dup = !strcmp(tables[k], tables[i]);
            if (dup) continue;
            int64_t v = f == 0 ? st[i].snapshots : f == 1 ? st[i].data_files : st[i].data_bytes;
            const char *lab[] = {"table", tables[i], NULL};
            fl_prom_sample(out, T[f].name, lab, (double)v);
        }
    }
    fl_free(tables);
    fl_free(st);
}

void fl_up_metrics_write(void *ctx, struct fl_buf *out) {
    const struct fl_up_metrics *m = ctx;
    if (m->log) topic_families(m->log, out);
    pipeline_families(m->pipes, m->npipes, out);
}
