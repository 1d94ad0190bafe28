/*
 * orc_read.c - how fast floe's ORC reader turns a file into batches.
 *
 * Reads the whole file into memory before the clock starts, then opens
 * it with fl_orc_reader_open_mem and takes every batch of every column,
 * --repeat times (default 5), and prints one JSON line: rows, columns,
 * seconds, million rows per second, and decompressed-and-decoded input
 * bytes per second (the file's size over the time).
 *
 * usage: orc_read FILE.orc [--repeat N]
 * e.g.   orc_read tests/fixtures/orc/demo-12-zlib.orc  (1,920,800 rows,
 *        9 columns, zlib, RLE v2 and dictionaries)
 */
#include "core/time.h"
#include "format/orc/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: orc_read FILE.orc [--repeat N]\n");
        return 2;
    }
    int repeat = argc >= 4 && !strcmp(argv[2], "--repeat") ? atoi(argv[3]) : 5;
    if (repeat < 1) repeat = 1;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = malloc(n > 0 ? (size_t)n : 1);
    if (n < 0 || fread(d, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "%s: cannot read\n", argv[1]);
        return 1;
    }
    fclose(f);
    int64_t rows = 0;
    int cols = 0;
    int64_t t0 = fl_time_mono_us();
    for (int it = 0; it < repeat; it++) {
        struct fl_orc_reader *r = NULL;
        struct fl_error err = {0};
        if (fl_orc_reader_open_mem(d, (size_t)n, &r, &err)) {
            fprintf(stderr, "%s: %s\n", argv[1], err.msg);
            return 1;
        }
        cols = fl_orc_reader_schema(r)->nfields;
        struct fl_batch *b;
        fl_err_t rc;
        while ((rc = fl_orc_reader_next(r, &b, &err)) == FL_OK) rows += (int64_t)b->nrows;
        fl_orc_reader_free(r);
        if (rc != FL_ERR_EOF) {
            fprintf(stderr, "%s: %s\n", argv[1], err.msg);
            return 1;
        }
    }
    double s = (double)(fl_time_mono_us() - t0) / 1e6;
    printf("{\"file\":\"%s\",\"rows\":%lld,\"columns\":%d,\"seconds\":%.3f,\"mrows_per_s\":%.2f,"
           "\"file_mb_per_s\":%.1f}\n",
           argv[1], (long long)rows, cols, s, (double)rows / s / 1e6, (double)n * repeat / s / 1e6);
    free(d);
    return 0;
}
