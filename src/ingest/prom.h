/*
 * prom.h - writing the Prometheus text exposition format (version
 * 0.0.4) into a buffer: a family's HELP and TYPE lines, samples with
 * escaped label values, histograms as cumulative _bucket{le=...}, _sum
 * and _count. GET /metrics (routes_metrics.c) and whoever fills in its
 * families (floe up: topics, pipelines, tables) write through these.
 */
#ifndef FL_INGEST_PROM_H
#define FL_INGEST_PROM_H

#include "core/buf.h"

#include <stdint.h>

/* Labels: pairs name, value, ..., ending in NULL (NULL itself: none).
 * Values are escaped (backslash, double quote, newline); names are the
 * caller's constants. */

/* "# HELP name help\n# TYPE name type\n" (type: counter, gauge, histogram). */
void fl_prom_family(struct fl_buf *out, const char *name, const char *type, const char *help);

/* "name{labels} value\n"; integral values are written without a fraction. */
void fl_prom_sample(struct fl_buf *out, const char *name, const char *const *labels, double v);

/* A histogram's samples: counts[i] observations in bucket i (not
 * cumulative) for upper bounds bounds[i], i < nb, and counts[nb] above
 * the last (+Inf); sum in the histogram's unit. */
void fl_prom_histogram(struct fl_buf *out, const char *name, const char *const *labels,
                       const double *bounds, const uint64_t *counts, int nb, double sum);

#endif
