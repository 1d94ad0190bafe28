/*
 * upsert_dv.c - a stream of small upsert commits (as `floe up` makes one
 * a second) on a format 2 table (position delete files) against the same
 * stream on a format 3 table (deletion vectors), and what a reader pays
 * at the end.
 *
 *   upsert_dv --dir DIR [--format 2|3] [--rows N] [--commits C]
 *             [--updates U] [--seed S]
 *
 * Creates an unpartitioned table (id long, v string, n long) of --rows
 * rows (one data file), then makes --commits commits, each replacing
 * --updates random ids: the rows' positions are found by a scan, their
 * deletes written (fl_ice_table_write_position_deletes) and committed
 * with the new rows in one snapshot (fl_ice_appender_commit_with), as
 * the pipeline's upsert does. No sleeping: the stream is the commits.
 * Prints one JSON line: the delete entries (position delete files, or
 * deletion vectors) written in all and the objects holding them (format
 * 3 puts a commit's vectors in one Puffin file), the live delete entries
 * at the end, the time of all commits, and the time of a full scan at the
 * end (best of 3), with the row count it returned (always --rows).
 */
#include "batch/batch_json.h"
#include "catalog/catalog.h"
#include "core/mem.h"
#include "core/time.h"
#include "iceberg/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct find {
    const unsigned char *want; /* by id */
    int64_t nrows;
    char **paths;
    int64_t *pos;
    size_t n, cap;
};

static fl_err_t on_batch(void *ctx, const struct fl_batch *b, const char *path, const int64_t *pos,
                         struct fl_error *err) {
    (void)err;
    struct find *f = ctx;
    for (size_t r = 0; r < b->nrows; r++) {
        int64_t id = fl_col_int(&b->cols[0], r);
        if (id < 0 || id >= f->nrows || !f->want[id]) continue;
        if (f->n == f->cap) {
            f->cap = f->cap ? f->cap * 2 : 256;
            f->paths = fl_reallocarray(f->paths, f->cap, sizeof(char *));
            f->pos = fl_reallocarray(f->pos, f->cap, sizeof(int64_t));
        }
        f->paths[f->n] = fl_strdup(path);
        f->pos[f->n++] = pos[r];
    }
    return FL_OK;
}

static fl_err_t append_rows(struct fl_ice_table *tbl, const int64_t *ids, int n, int round,
                            struct fl_ice_appender **apo, struct fl_error *err) {
    struct fl_batch *b = NULL;
    fl_err_t rc = fl_batch_new(fl_ice_meta_current_schema(tbl->meta), 0, &b, err);
    char row[128];
    for (int i = 0; i < n && !rc; i++) {
        snprintf(row, sizeof(row), "{\"id\":%lld,\"v\":\"value-%d\",\"n\":%d}", (long long)ids[i],
                 round, i);
        rc = fl_batch_append_json(b, row, strlen(row), err);
    }
    if (!rc) rc = fl_ice_appender_new(tbl, apo, err);
    if (!rc) rc = fl_ice_appender_add(*apo, b, err);
    fl_batch_free(b);
    return rc;
}

static double scan_seconds(struct fl_ice_table *tbl, int64_t *rows, int *ndel,
                           struct fl_error *err) {
    double best = 1e30;
    for (int k = 0; k < 3; k++) {
        int64_t t0 = fl_time_now_us(), n = 0;
        struct fl_ice_scan *sc = NULL;
        if (fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, err)) return -1;
        for (;;) {
            struct fl_batch *b = NULL;
            fl_err_t rc = fl_ice_scan_next(sc, &b, err);
            if (rc == FL_ERR_EOF) break;
            if (rc) return -1;
            n += (int64_t)b->nrows;
        }
        fl_ice_scan_counts(sc, NULL, ndel);
        fl_ice_scan_free(sc);
        double s = (double)(fl_time_now_us() - t0) / 1e6;
        if (s < best) best = s;
        *rows = n;
    }
    return best;
}

int main(int argc, char **argv) {
    const char *dir = NULL, *format = "3";
    int64_t rows = 100000;
    int commits = 300, updates = 200;
    unsigned seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--format"))
            format = argv[i + 1];
        else if (!strcmp(argv[i], "--rows"))
            rows = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--commits"))
            commits = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--updates"))
            updates = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed"))
            seed = (unsigned)atoi(argv[i + 1]);
    }
    if (!dir || rows < 1 || updates < 1 || updates > rows || commits < 0) {
        fprintf(stderr, "usage: upsert_dv --dir DIR [--format 2|3] [--rows N] [--commits C] "
                        "[--updates U] [--seed S]\n");
        return 2;
    }
    char uri[1024], caturi[1024];
    snprintf(uri, sizeof(uri), "file://%s/wh", dir);
    snprintf(caturi, sizeof(caturi), "sqlite://%s/catalog.db", dir);
    struct fl_error err = {0};
    struct fl_store *st = NULL;
    struct fl_catalog *cat = NULL;
    struct fl_schema *schema = NULL;
    struct fl_ice_table *tbl = NULL;
    struct fl_store_opts so = {0};
    const char *sj = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                     "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
                     "{\"id\":2,\"name\":\"v\",\"required\":false,\"type\":\"string\"},"
                     "{\"id\":3,\"name\":\"n\",\"required\":false,\"type\":\"long\"}]}";
    struct fl_ice_kv props[] = {{"format-version", format}};
    if (fl_store_open(uri, &so, &st, &err) || fl_catalog_open(caturi, "floe", &cat, &err) ||
        fl_schema_parse(sj, strlen(sj), &schema, &err) ||
        fl_ice_table_create(st, fl_catalog_ice(cat), "bench", "upserts", schema, NULL, props, 1,
                            &tbl, &err)) {
        fprintf(stderr, "upsert_dv: %s\n", err.msg);
        return 1;
    }
    int64_t *ids = fl_calloc((size_t)rows, sizeof(int64_t));
    for (int64_t i = 0; i < rows; i++) ids[i] = i;
    struct fl_ice_appender *ap = NULL;
    fl_err_t rc = append_rows(tbl, ids, (int)rows, 0, &ap, &err);
    if (!rc) rc = fl_ice_appender_commit(ap, NULL, 0, NULL, &err);
    fl_ice_appender_free(ap);
    ap = NULL;
    unsigned char *want = fl_calloc((size_t)rows, 1);
    int64_t *pick = fl_calloc((size_t)updates, sizeof(int64_t));
    int64_t written = 0, objects = 0, t0 = fl_time_now_us();
    srand(seed);
    for (int c = 0; c < commits && !rc; c++) {
        memset(want, 0, (size_t)rows);
        for (int k = 0; k < updates; k++) {
            int64_t id;
            do id = ((int64_t)rand() * RAND_MAX + rand()) % rows;
            while (want[id]);
            want[id] = 1;
            pick[k] = id;
        }
        struct find f = {.want = want, .nrows = rows};
        struct fl_ice_scan *sc = NULL;
        int64_t base = tbl->meta->current_snapshot_id;
        rc = fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err);
        if (!rc) rc = fl_ice_scan_each(sc, on_batch, &f, &err);
        fl_ice_scan_free(sc);
        struct fl_ice_data_file *dels = NULL;
        int ndels = 0;
        if (!rc)
            rc = fl_ice_table_write_position_deletes(tbl, (const char *const *)f.paths, f.pos, f.n,
                                                     &dels, &ndels, &err);
        if (!rc) rc = append_rows(tbl, pick, updates, c + 1, &ap, &err);
        if (!rc)
            rc = fl_ice_appender_commit_with(ap, dels, ndels, base, (const char *const *)f.paths,
                                             (int)f.n, NULL, 0, NULL, &err);
        written += ndels;
        for (int i = 0; i < ndels; i++) /* a format 3 commit puts its vectors in one file */
            objects += i == 0 || strcmp(dels[i].file_path, dels[i - 1].file_path) != 0;
        fl_ice_appender_free(ap);
        ap = NULL;
        for (int i = 0; i < ndels; i++) fl_ice_data_file_fini(&dels[i]);
        fl_free(dels);
        for (size_t i = 0; i < f.n; i++) fl_free(f.paths[i]);
        fl_free(f.paths);
        fl_free(f.pos);
    }
    double commit_s = (double)(fl_time_now_us() - t0) / 1e6;
    int64_t got = 0;
    int live_del = 0;
    double scan_s = rc ? -1 : scan_seconds(tbl, &got, &live_del, &err);
    if (rc || scan_s < 0) {
        fprintf(stderr, "upsert_dv: %s\n", err.msg);
        return 1;
    }
    printf("{\"format\":%s,\"rows\":%lld,\"commits\":%d,\"updates_per_commit\":%d,"
           "\"delete_entries_written\":%lld,\"delete_objects_written\":%lld,"
           "\"live_delete_entries\":%d,\"commit_seconds\":%.3f,"
           "\"scan_seconds\":%.4f,\"scan_rows\":%lld}\n",
           format, (long long)rows, commits, updates, (long long)written, (long long)objects,
           live_del, commit_s, scan_s, (long long)got);
    fl_free(want);
    fl_free(pick);
    fl_free(ids);
    fl_ice_table_free(tbl);
    fl_schema_free(schema);
    fl_catalog_free(cat);
    fl_store_free(st);
    return got == rows ? 0 : 1;
}
