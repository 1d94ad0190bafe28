/*
 * cmd_demo.c - `floe demo [DIR]`: what floe does end to end today.
 *
 * Generates weather events shaped like the seed scenario's `weather` topic
 * (city, temperature, ts), writes them as a zstd Parquet file with floe's
 * writer, reads the file back with floe's reader and prints the average
 * temperature per city, computed from what was read. Then it appends the
 * same events to an Iceberg table partitioned by hour(ts) in DIR/warehouse
 * (SQLite catalog), reads it back, and runs a query for one hour that
 * touches one data file. (scripts/demo runs the whole path instead:
 * `floe up` with the built-in scenarios.)
 */
#include "batch/batch.h"
#include "batch/batch_json.h"
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "core/buf.h"
#include "core/time.h"
#include "format/parquet/reader.h"
#include "format/parquet/writer.h"
#include "iceberg/table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEMO_ROWS 1000000
#define DEMO_BATCH 65536

static const char *const cities[] = {"London", "Paris",  "Berlin", "Madrid", "Rome",
                                     "Vienna", "Prague", "Warsaw", "Lisbon", "Dublin"};
#define NCITIES 10

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"city\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"temperature\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":4,\"name\":\"ts\",\"required\":true,\"type\":\"timestamptz\"}]}";

/* xorshift64*: a fixed seed so the demo prints the same numbers every run */
static uint64_t rng_next(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static fl_err_t demo_rm(void *ctx, const char *key, uint64_t size) {
    (void)size;
    return fl_store_delete(ctx, key, NULL);
}

/* fl_ice_scan_each's callback: adds the batch's rows to *(int64_t *)ctx. */
static fl_err_t count_rows(void *ctx, const struct fl_batch *b, const char *path,
                           const int64_t *pos, struct fl_error *err) {
    (void)path, (void)pos, (void)err;
    *(int64_t *)ctx += (int64_t)b->nrows;
    return FL_OK;
}

static void demo_usage(FILE *f) {
    fprintf(f, "usage: floe demo [DIR]   (default /tmp/floe-demo)\n");
}

int fl_cli_demo(int argc, char **argv) {
    const char *pos[1];
    int npos;
    const struct fl_cli_opt none[] = {{0}};
    int orc = fl_cli_opts("demo", none, argc, argv, pos, 1, &npos, demo_usage);
    if (orc >= 0) return orc;
    const char *dir = npos ? pos[0] : "/tmp/floe-demo";
    char path[4096];
    struct fl_error err = {0};
    struct fl_schema *schema = NULL;
    struct fl_batch *batch = NULL;
    struct fl_pq_writer *pqw = NULL;
    struct fl_pq_reader *r = NULL;
    struct fl_pq_file_result res = {0};
    struct fl_store *st = NULL;
    struct fl_catalog *cat = NULL;
    struct fl_ice_table *tbl = NULL;
    struct fl_ice_appender *ap = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_buf out;
    fl_buf_init(&out, FL_BUF_NOMAX);
    int rc = 1;

    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fl_errf(&err, FL_ERR_IO, "mkdir %s: %s", dir, strerror(errno));
        goto out;
    }
    if (snprintf(path, sizeof(path), "%s/weather.parquet", dir) >= (int)sizeof(path)) {
        fl_errf(&err, FL_ERR_INVALID, "%s: path too long", dir);
        goto out;
    }
    if (fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err)) goto out;
    if (fl_batch_new(schema, DEMO_BATCH, &batch, &err)) goto out;
    struct fl_pq_writer_opts opts;
    fl_pq_writer_opts_default(&opts);
    if (fl_pq_writer_open_file(path, schema, &opts, &pqw, &err)) goto out;

    /* the Iceberg table the same events go to, recreated on every run */
    char wh[4096 + 16], caturi[4096 + 32], cwd[2048] = "";
    if (dir[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
        fl_errf(&err, FL_ERR_IO, "getcwd: %s", strerror(errno));
        goto out;
    }
    int n = snprintf(wh, sizeof(wh), "file://%s%s%s/warehouse", cwd, cwd[0] ? "/" : "", dir);
    if (n >= (int)sizeof(wh) ||
        snprintf(caturi, sizeof(caturi), "sqlite://%s/catalog.db", wh + 7) >= (int)sizeof(caturi)) {
        fl_errf(&err, FL_ERR_INVALID, "%s: path too long", dir);
        goto out;
    }
    mkdir(wh + 7, 0755);
    struct fl_store_opts sopts = {0};
    if (fl_store_open(wh, &sopts, &st, &err)) goto out;
    if (fl_catalog_open(caturi, "floe", &cat, &err)) goto out;
    {
        struct fl_error ignore = {0};
        char prev[4096];
        if (fl_catalog_table_load(cat, "demo", "weather", prev, sizeof(prev), &ignore) == FL_OK) {
            struct fl_ice_table *old = NULL;
            if (!fl_ice_table_load(st, fl_catalog_ice(cat), "demo", "weather", &old, &ignore)) {
                char prefix[1100];
                int cut =
                    snprintf(prefix, sizeof(prefix), "%s/", old->key_prefix) >= (int)sizeof(prefix);
                fl_ice_table_free(old);
                fl_catalog_table_drop(cat, "demo", "weather", &ignore);
                if (!cut) fl_store_list(st, prefix, demo_rm, st, &ignore);
            }
        }
    }
    const char *terms[] = {"hour(ts)"};
    if (fl_ice_spec_from_terms(schema, 0, terms, 1, 1000, &spec, &err)) goto out;
    if (fl_ice_table_create(st, fl_catalog_ice(cat), "demo", "weather", schema, spec, NULL, 0, &tbl,
                            &err))
        goto out;
    if (fl_ice_appender_new(tbl, &ap, &err)) goto out;

    int64_t t0 = fl_time_mono_us();
    int64_t start_ts = INT64_C(1767225600000000); /* 2026-01-01T00:00:00Z */
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    for (int64_t i = 0; i < DEMO_ROWS; i++) {
        uint64_t x = rng_next(&seed);
        const char *city = cities[x % NCITIES];
        fl_col_append_i64(&batch->cols[0], i);
        fl_col_append_bytes(&batch->cols[1], city, strlen(city));
        if (x % 1000 == 7)
            fl_col_append_null(&batch->cols[2]); /* a sensor that did not answer */
        else
            fl_col_append_f64(&batch->cols[2], (double)((int)((x >> 20) % 4500) - 1000) / 100.0);
        fl_col_append_i64(&batch->cols[3], start_ts + i * 36000); /* 10 hours of events */
        fl_batch_end_row(batch);
        if (batch->nrows == DEMO_BATCH || i + 1 == DEMO_ROWS) {
            if (fl_pq_writer_add_batch(pqw, batch, &err)) goto out;
            if (fl_ice_appender_add(ap, batch, &err)) goto out;
            fl_batch_reset(batch);
        }
    }
    if (fl_pq_writer_close(pqw, &res, &err)) goto out;
    int64_t t1 = fl_time_mono_us();
    printf("wrote %lld weather events to %s: %lld bytes, %d row group(s), zstd, %.0f ms\n",
           (long long)res.record_count, path, (long long)res.file_size, res.nrow_groups,
           (double)(t1 - t0) / 1000.0);

    if (fl_pq_reader_open_file(path, &r, &err)) goto out;
    double sum[NCITIES] = {0};
    long long cnt[NCITIES] = {0}, rows = 0, nulls = 0;
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t e = fl_pq_reader_next(r, &b, &err);
        if (e == FL_ERR_EOF) break;
        if (e) goto out;
        for (size_t row = 0; row < b->nrows; row++, rows++) {
            if (rows < 3) {
                fl_batch_row_to_json(b, row, &out);
                printf("  %.*s\n", (int)out.len, (const char *)out.data);
                fl_buf_reset(&out);
            }
            size_t len;
            const uint8_t *c = fl_col_bytes(&b->cols[1], row, &len);
            if (fl_col_is_null(&b->cols[2], row)) {
                nulls++;
                continue;
            }
            for (int k = 0; k < NCITIES; k++)
                if (strlen(cities[k]) == len && memcmp(cities[k], c, len) == 0) {
                    sum[k] += ((const double *)b->cols[2].values)[row];
                    cnt[k]++;
                }
        }
    }
    printf("read back %lld rows (%lld without temperature) in %.0f ms; average per city:\n", rows,
           nulls, (double)(fl_time_mono_us() - t1) / 1000.0);
    for (int k = 0; k < NCITIES; k++)
        printf("  %-8s %8lld events  %6.2f C\n", cities[k], cnt[k],
               cnt[k] ? sum[k] / (double)cnt[k] : 0.0);
    printf("inspect it: floe parquet meta %s | floe parquet cat --limit 5 %s\n", path, path);

    int64_t t2 = fl_time_mono_us(), snap = -1;
    struct fl_ice_kv summary[] = {{"floe.source", "floe demo"}};
    if (fl_ice_appender_commit(ap, summary, 1, &snap, &err)) goto out;
    int64_t t3 = fl_time_mono_us();
    struct fl_ice_scan *sc = NULL;
    if (fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err)) goto out;
    int64_t total = 0;
    if (fl_ice_scan_each(sc, count_rows, &total, &err)) {
        fl_ice_scan_free(sc);
        goto out;
    }
    struct fl_ice_scan_stats stats;
    fl_ice_scan_stats(sc, &stats);
    fl_ice_scan_free(sc);
    printf(
        "\nIceberg table demo.weather (partitioned by hour(ts)) at %s/demo/weather:\n"
        "  committed snapshot %lld with %lld data files in %.0f ms; a full scan reads %lld rows\n",
        wh, (long long)snap, (long long)stats.files_planned, (double)(t3 - t2) / 1000.0,
        (long long)total);
    printf("  try: floe table --warehouse %s scan demo.weather --stats --where \"ts >= "
           "'2026-01-01T05:00:00Z' and ts < '2026-01-01T06:00:00Z'\"\n",
           wh);
    rc = 0;
out:
    if (rc) fprintf(stderr, "floe demo: %s\n", err.msg);
    fl_pq_file_result_fini(&res);
    fl_ice_appender_free(ap);
    fl_ice_table_free(tbl);
    fl_ice_spec_free(spec);
    fl_catalog_free(cat);
    fl_store_free(st);
    fl_pq_reader_free(r);
    fl_pq_writer_free(pqw);
    fl_batch_free(batch);
    fl_schema_free(schema);
    fl_buf_fini(&out);
    return rc;
}
