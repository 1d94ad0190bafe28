/*
 * prom.c - the Prometheus text exposition format writer (prom.h). Every
 * sample is one printf into the reply buffer: no allocation of its own.
 * Label values are escaped as the format says (\\, \", \n); numbers are
 * integral when they are, else %.17g, and +Inf for the last bucket.
 */
#include "ingest/prom.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void fl_prom_family(struct fl_buf *out, const char *name, const char *type, const char *help) {
    fl_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label_value(struct fl_buf *out, const char *v) {
    for (const char *p = v; *p; p++) {
        size_t n = strcspn(p, "\\\"\n");
        fl_buf_append(out, p, n);
        p += n;
        if (!*p) break;
        fl_buf_append_str(out, *p == '\n' ? "\\n" : *p == '"' ? "\\\"" : "\\\\");
    }
}

static void labels_write(struct fl_buf *out, const char *const *labels, const char *le) {
    if ((!labels || !labels[0]) && !le) return;
    fl_buf_append_u8(out, '{');
    int n = 0;
    for (int i = 0; labels && labels[i] && labels[i + 1]; i += 2, n++) {
        fl_buf_printf(out, "%s%s=\"", n ? "," : "", labels[i]);
        label_value(out, labels[i + 1]);
        fl_buf_append_u8(out, '"');
    }
    if (le) fl_buf_printf(out, "%sle=\"%s\"", n ? "," : "", le);
    fl_buf_append_u8(out, '}');
}

static void number(struct fl_buf *out, double v) {
    if (isinf(v))
        fl_buf_append_str(out, v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        fl_buf_append_str(out, "NaN");
    else if (v == (double)(int64_t)v && fabs(v) < 9e15)
        fl_buf_printf(out, "%lld", (long long)v);
    else
        fl_buf_printf(out, "%.9g", v);
}

void fl_prom_sample(struct fl_buf *out, const char *name, const char *const *labels, double v) {
    fl_buf_append_str(out, name);
    labels_write(out, labels, NULL);
    fl_buf_append_u8(out, ' ');
    number(out, v);
    fl_buf_append_u8(out, '\n');
}

void fl_prom_histogram(struct fl_buf *out, const char *name, const char *const *labels,
                       const double *bounds, const uint64_t *counts, int nb, double sum) {
    uint64_t cum = 0;
    for (int i = 0; i <= nb; i++) {
        char le[40];
        cum += counts[i];
        if (i < nb)
            snprintf(le, sizeof(le), "%g", bounds[i]);
        else
            snprintf(le, sizeof(le), "+Inf");
        fl_buf_printf(out, "%s_bucket", name);
        labels_write(out, labels, le);
        fl_buf_printf(out, " %llu\n", (unsigned long long)cum);
    }
    fl_buf_printf(out, "%s_sum", name);
    labels_write(out, labels, NULL);
    fl_buf_append_u8(out, ' ');
    number(out, sum);
    fl_buf_printf(out, "\n%s_count", name);
    labels_write(out, labels, NULL);
    fl_buf_printf(out, " %llu\n", (unsigned long long)cum);
}
