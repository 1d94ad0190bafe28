/*
 * pq_nested.c - how fast floe writes and reads nested columns (struct,
 * list, map) in Parquet, and that a query on a scalar sibling does not pay
 * for them.
 *
 * Generates --rows rows (default 1 million) of (id long, geo
 * struct<lat double, lon double>, tags list<string> of 0..4 items, attrs
 * map<string, long> of 0..3 entries), nested values as the JSON text
 * batches hold (batch.h), in batches of 8192 rows, all in memory before
 * the clock starts. Then times: the writer (zstd, into memory); reading
 * every column back (levels decoded and JSON assembled); reading only id.
 * Prints one JSON line: rows, seconds of each phase, file bytes, pages
 * read by each read, peak RSS (getrusage ru_maxrss, KiB).
 *
 * usage: pq_nested [--rows N] [--out PATH]
 * --out also saves the file, for bench/pq_nested_duckdb.mjs.
 */
#include "batch/batch.h"
#include "core/err.h"
#include "core/schema.h"
#include "core/time.h"
#include "format/parquet/codec.h"
#include "format/parquet/reader.h"
#include "format/parquet/writer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char *SCHEMA_JSON =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"geo\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":5,\"name\":\"lat\",\"required\":true,\"type\":\"double\"},"
    "{\"id\":6,\"name\":\"lon\",\"required\":true,\"type\":\"double\"}]}},"
    "{\"id\":3,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":7,"
    "\"element\":\"string\",\"element-required\":false}},"
    "{\"id\":4,\"name\":\"attrs\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":8,"
    "\"key\":\"string\",\"value-id\":9,\"value\":\"long\",\"value-required\":false}}]}";

static const char *TAGS[8] = {"red",     "green",  "blue",  "cyan",
                              "magenta", "yellow", "black", "white"};

static uint64_t xorshift64(uint64_t *s) {
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static fl_err_t mem_sink(void *ctx, const void *data, size_t len) {
    return fl_buf_append(ctx, data, len);
}

static double now_s(void) { return (double)fl_time_mono_us() / 1e6; }

static long peak_rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void die(const char *what, const struct fl_error *err) {
    fprintf(stderr, "pq_nested: %s: %s\n", what, err->msg);
    exit(1);
}

/* Reads the image with the given projection (n = 0: every column). */
static double read_back(const struct fl_buf *file, const int32_t *ids, int n, int64_t *rows,
                        int64_t *pages) {
    struct fl_pq_reader *r;
    struct fl_error err = {0};
    double t0 = now_s();
    if (fl_pq_reader_open_mem(file->data, file->len, &r, &err)) die("open", &err);
    if (n && fl_pq_reader_project_ids(r, ids, n, &err)) die("project", &err);
    struct fl_batch *b;
    fl_err_t rc;
    *rows = 0;
    while ((rc = fl_pq_reader_next(r, &b, &err)) == FL_OK) *rows += (int64_t)b->nrows;
    if (rc != FL_ERR_EOF) die("read", &err);
    struct fl_pq_read_stats st;
    fl_pq_reader_stats(r, &st);
    *pages = st.pages_read;
    fl_pq_reader_free(r);
    return now_s() - t0;
}

int main(int argc, char **argv) {
    long long nrows = 1000000;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            nrows = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else {
            fprintf(stderr, "usage: pq_nested [--rows N] [--out PATH]\n");
            return 2;
        }
    }
    struct fl_error err = {0};
    struct fl_schema *s;
    if (fl_schema_parse(SCHEMA_JSON, strlen(SCHEMA_JSON), &s, &err)) die("schema", &err);
    size_t nb = (size_t)(nrows + 8191) / 8192;
    struct fl_batch **bs = calloc(nb ? nb : 1, sizeof(*bs));
    uint64_t seed = 42;
    char text[512];
    for (size_t k = 0; k < nb; k++) {
        if (fl_batch_new(s, 8192, &bs[k], &err)) die("batch", &err);
        struct fl_batch *b = bs[k];
        for (long long i = (long long)k * 8192; i < nrows && i < (long long)(k + 1) * 8192; i++) {
            uint64_t x = xorshift64(&seed);
            fl_col_append_i64(&b->cols[0], i);
            if (x % 10 == 0) {
                fl_col_append_null(&b->cols[1]);
            } else {
                int n = snprintf(text, sizeof(text), "{\"lat\":%.4f,\"lon\":%.4f}",
                                 (double)(x % 180000) / 1000.0 - 90.0,
                                 (double)((x >> 20) % 360000) / 1000.0 - 180.0);
                fl_col_append_bytes(&b->cols[1], text, (size_t)n);
            }
            int nt = (int)((x >> 8) % 5), n = 0;
            text[n++] = '[';
            for (int t = 0; t < nt; t++)
                n += snprintf(text + n, sizeof(text) - (size_t)n, "%s\"%s\"", t ? "," : "",
                              TAGS[(x >> (12 + 3 * t)) % 8]);
            text[n++] = ']';
            fl_col_append_bytes(&b->cols[2], text, (size_t)n);
            int na = (int)((x >> 30) % 4);
            n = 0;
            text[n++] = '{';
            for (int a = 0; a < na; a++)
                n += snprintf(text + n, sizeof(text) - (size_t)n, "%s\"k%d\":%lld", a ? "," : "", a,
                              (long long)((x >> (34 + a)) % 1000));
            text[n++] = '}';
            if (na == 0)
                fl_col_append_null(&b->cols[3]);
            else
                fl_col_append_bytes(&b->cols[3], text, (size_t)n);
            if (fl_batch_end_row(b)) die("row", &err);
        }
    }
    long rss0 = peak_rss_kib();
    struct fl_buf file;
    fl_buf_init(&file, FL_BUF_NOMAX);
    struct fl_pq_writer_opts opts;
    fl_pq_writer_opts_default(&opts);
    opts.codec = FL_PQ_CODEC_ZSTD;
    double t0 = now_s();
    struct fl_pq_writer *w;
    if (fl_pq_writer_new(s, &opts, mem_sink, &file, &w, &err)) die("writer", &err);
    for (size_t k = 0; k < nb; k++)
        if (fl_pq_writer_add_batch(w, bs[k], &err)) die("add", &err);
    if (fl_pq_writer_close(w, NULL, &err)) die("close", &err);
    fl_pq_writer_free(w);
    double tw = now_s() - t0;
    long rss1 = peak_rss_kib();
    int64_t rows_all, pages_all, rows_id, pages_id;
    double tr = read_back(&file, NULL, 0, &rows_all, &pages_all);
    int32_t id = 1;
    double ti = read_back(&file, &id, 1, &rows_id, &pages_id);
    if (rows_all != nrows || rows_id != nrows) {
        fprintf(stderr, "pq_nested: read %lld and %lld rows of %lld\n", (long long)rows_all,
                (long long)rows_id, nrows);
        return 1;
    }
    printf("{\"rows\":%lld,\"write_s\":%.3f,\"read_all_s\":%.3f,\"read_id_s\":%.3f,"
           "\"file_bytes\":%zu,\"pages_all\":%lld,\"pages_id\":%lld,\"rss_before_kib\":%ld,"
           "\"rss_after_write_kib\":%ld,\"rss_end_kib\":%ld}\n",
           nrows, tw, tr, ti, file.len, (long long)pages_all, (long long)pages_id, rss0, rss1,
           peak_rss_kib());
    if (out) {
        FILE *f = fopen(out, "wb");
        if (!f || fwrite(file.data, 1, file.len, f) != file.len || fclose(f)) {
            fprintf(stderr, "pq_nested: cannot write %s\n", out);
            return 1;
        }
    }
    for (size_t k = 0; k < nb; k++) fl_batch_free(bs[k]);
    free(bs);
    fl_buf_fini(&file);
    fl_schema_free(s);
    return 0;
}
