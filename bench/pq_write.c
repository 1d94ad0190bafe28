/*
 * pq_write.c - how fast floe's Parquet writer turns in-memory batches into
 * a file, and with how much memory.
 *
 * Generates --rows rows (default 10 million) of (id long, city string of
 * 10 values, temperature double random, ts timestamp increasing) into
 * batches of --batch rows, all held in memory before the clock starts, as
 * DuckDB's table is in bench/duckdb_write.mjs. Then times
 * fl_pq_writer_open_file + add_batch for every batch + close (which
 * fsyncs), and prints one JSON line: rows, seconds, file size, row groups,
 * peak RSS (getrusage ru_maxrss) before and after writing. The difference
 * of the two peaks is what the writer added to the process's peak.
 *
 * usage: pq_write [--rows N] [--codec zstd|snappy|...] [--batch ROWS]
 *                 [--row-group-size BYTES] [--out PATH] [--no-fsync]
 * With --no-fsync bytes go to the file through a sink with write(2) and
 * no fsync, as DuckDB's COPY does.
 */
#include "batch/batch.h"
#include "core/err.h"
#include "core/time.h"
#include "format/parquet/codec.h"
#include "format/parquet/writer.h"
#include "core/schema.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *SCHEMA_JSON =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"city\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"temperature\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":4,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"}]}";

/* The same ten cities bench/duckdb_write.mjs uses, picked the same way. */
static const char *CITIES[10] = {"Amsterdam", "Berlin", "Copenhagen", "Dublin",   "Edinburgh",
                                 "Frankfurt", "Geneva", "Helsinki",   "Istanbul", "Jakarta"};

static long peak_rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static uint64_t xorshift64(uint64_t *s) {
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

struct fd_sink {
    int fd;
};

static fl_err_t fd_write(void *ctx, const void *data, size_t len) {
    struct fd_sink *s = ctx;
    const char *p = data;
    while (len) {
        ssize_t n = write(s->fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return FL_ERR_IO;
        }
        p += n;
        len -= (size_t)n;
    }
    return FL_OK;
}

int main(int argc, char **argv) {
    long long nrows = 10000000;
    size_t batch_rows = 65536;
    const char *codec_name = "zstd", *out_path = "/tmp/floe-bench.parquet";
    size_t row_group_size = 0;
    int no_fsync = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            nrows = atoll(argv[++i]);
        else if (strcmp(argv[i], "--codec") == 0 && i + 1 < argc)
            codec_name = argv[++i];
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            batch_rows = (size_t)atoll(argv[++i]);
        else if (strcmp(argv[i], "--row-group-size") == 0 && i + 1 < argc)
            row_group_size = (size_t)atoll(argv[++i]);
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out_path = argv[++i];
        else if (strcmp(argv[i], "--no-fsync") == 0)
            no_fsync = 1;
        else {
            fprintf(
                stderr,
                "usage: pq_write [--rows N] [--codec C] [--batch ROWS] [--row-group-size BYTES]\n"
                "                [--out PATH] [--no-fsync]\n");
            return 2;
        }
    }
    if (nrows <= 0 || batch_rows == 0) {
        fprintf(stderr, "pq_write: --rows and --batch must be positive\n");
        return 2;
    }

    struct fl_error err = {0};
    struct fl_schema *schema = NULL;
    struct fl_batch **batches = NULL;
    struct fl_pq_writer *pqw = NULL;
    struct fl_pq_file_result res = {0};
    struct fd_sink sink = {-1};
    size_t nbatches = (size_t)((nrows + (long long)batch_rows - 1) / (long long)batch_rows);
    int rc = 1;

    struct fl_pq_writer_opts opts;
    fl_pq_writer_opts_default(&opts);
    opts.codec = fl_pq_codec_parse(codec_name);
    if (opts.codec < 0) {
        fprintf(stderr, "pq_write: unknown codec %s\n", codec_name);
        return 2;
    }
    if (row_group_size) opts.row_group_size = row_group_size;

    if (fl_schema_parse(SCHEMA_JSON, strlen(SCHEMA_JSON), &schema, &err)) goto out;

    /* Generate every batch before the clock starts. */
    int64_t gen_start = fl_time_mono_us();
    batches = calloc(nbatches, sizeof(*batches));
    if (!batches) goto out;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    const int64_t ts0 = INT64_C(1704067200000000); /* 2024-01-01T00:00:00 */
    long long row = 0;
    for (size_t b = 0; b < nbatches; b++) {
        if (fl_batch_new(schema, batch_rows, &batches[b], &err)) goto out;
        struct fl_batch *batch = batches[b];
        for (size_t k = 0; k < batch_rows && row < nrows; k++, row++) {
            const char *city = CITIES[row % 10];
            double temp =
                -20.0 + (double)(xorshift64(&seed) >> 11) * (1.0 / 9007199254740992.0) * 60.0;
            if (fl_col_append_i64(&batch->cols[0], row) ||
                fl_col_append_bytes(&batch->cols[1], city, strlen(city)) ||
                fl_col_append_f64(&batch->cols[2], temp) ||
                fl_col_append_i64(&batch->cols[3], ts0 + row * 1000) || fl_batch_end_row(batch)) {
                fl_errf(&err, FL_ERR_NOMEM, "building batch %zu failed", b);
                goto out;
            }
        }
    }
    double gen_seconds = (double)(fl_time_mono_us() - gen_start) / 1e6;
    long rss_before = peak_rss_kib();

    unlink(out_path);
    int64_t start = fl_time_mono_us();
    if (no_fsync) {
        sink.fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (sink.fd < 0) {
            fl_errf(&err, FL_ERR_IO, "%s: %s", out_path, strerror(errno));
            goto out;
        }
        if (fl_pq_writer_new(schema, &opts, fd_write, &sink, &pqw, &err)) goto out;
    } else if (fl_pq_writer_open_file(out_path, schema, &opts, &pqw, &err)) {
        goto out;
    }
    for (size_t b = 0; b < nbatches; b++)
        if (fl_pq_writer_add_batch(pqw, batches[b], &err)) goto out;
    if (fl_pq_writer_close(pqw, &res, &err)) goto out;
    if (sink.fd >= 0) {
        if (close(sink.fd) != 0) {
            sink.fd = -1;
            fl_errf(&err, FL_ERR_IO, "close %s: %s", out_path, strerror(errno));
            goto out;
        }
        sink.fd = -1;
    }
    double seconds = (double)(fl_time_mono_us() - start) / 1e6;
    long rss_after = peak_rss_kib();

    struct stat st;
    long long size = stat(out_path, &st) == 0 ? (long long)st.st_size : -1;
    printf("{\"tool\":\"floe\",\"codec\":\"%s\",\"threads\":1,\"rows\":%lld,\"seconds\":%.3f,"
           "\"file_bytes\":%lld,\"row_groups\":%d,\"peak_rss_mib\":%.1f,"
           "\"peak_rss_before_write_mib\":%.1f,\"write_added_peak_mib\":%.1f,"
           "\"generate_seconds\":%.3f,\"fsync\":%s,\"row_group_target\":%zu,\"path\":\"%s\"}\n",
           codec_name, nrows, seconds, size, res.nrow_groups, (double)rss_after / 1024.0,
           (double)rss_before / 1024.0, (double)(rss_after - rss_before) / 1024.0, gen_seconds,
           no_fsync ? "false" : "true", opts.row_group_size, out_path);
    rc = 0;
out:
    if (rc) fprintf(stderr, "pq_write: %s\n", err.msg[0] ? err.msg : fl_err_name(err.code));
    if (sink.fd >= 0) close(sink.fd);
    fl_pq_file_result_fini(&res);
    fl_pq_writer_free(pqw);
    if (batches)
        for (size_t b = 0; b < nbatches; b++) fl_batch_free(batches[b]);
    free(batches);
    fl_schema_free(schema);
    return rc;
}
