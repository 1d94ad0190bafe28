/*
 * fuzz_log_segment.c - libFuzzer target: the input becomes the active
 * segment of a partition (and its tail, when the first byte asks for it,
 * the offset index), then the log is opened, which recovers it. Recovery
 * must keep a prefix of whole, checked batches with contiguous offsets
 * and truncate the rest; everything read back must iterate without a
 * crash; an append must continue at the end offset; and a second open
 * must find exactly what the first left. An input starting with 'C' has
 * its batches' CRCs fixed first, to get past them to the records.
 *
 * Seeds in tests/fuzz/corpus/log_segment/: segments written by floe
 * (single records, batches of several records with keys, null values and
 * headers), one cut mid-batch, and an empty one.
 */
#include "core/buf.h"
#include "core/crc32c.h"
#include "core/endian.h"
#include "log/batch.h"
#include "log/log.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];

static void rm_rf(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char sub[512];
        snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
        rm_rf(sub);
    }
    closedir(d);
    rmdir(path);
}

static void put_file(const char *path, const uint8_t *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (len && fwrite(data, 1, len, f) != len) abort();
    fclose(f);
}

static int64_t end_offset(struct fl_log *log) {
    struct fl_log_partition_info info;
    if (fl_log_topic_describe(log, "f", NULL, NULL, &info, 1, NULL) != FL_OK) abort();
    return info.end_offset;
}

/* Reads the whole partition; returns the number of records. */
static int64_t read_all(struct fl_log *log) {
    struct fl_buf buf;
    fl_buf_init(&buf, 64 << 20);
    int64_t off = 0, n = 0;
    for (int guard = 0; guard < 100000; guard++) {
        fl_buf_reset(&buf);
        int64_t next;
        if (fl_log_read(log, "f", 0, off, 4096, &buf, &next, NULL) != FL_OK) abort();
        if (buf.len == 0) break;
        struct fl_log_batch_iter it;
        struct fl_log_decoded d;
        fl_log_batch_iter_init(&it, buf.data, buf.len);
        fl_err_t rc;
        while ((rc = fl_log_batch_iter_next(&it, &d, NULL)) == FL_OK || rc == FL_ERR_UNSUPPORTED)
            if (rc == FL_OK) n++;
        /* recovery keeps only batches whose records parse, or compressed
         * ones (CRC checked) that the iterator skips as FL_ERR_UNSUPPORTED */
        if (rc != FL_ERR_EOF) abort();
        if (next <= off) abort();
        off = next;
    }
    fl_buf_fini(&buf);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!root[0]) {
        snprintf(root, sizeof(root), "/tmp/fuzz-log-%d", (int)getpid());
    }
    rm_rf(root);
    char path[256];
    mkdir(root, 0755);
    snprintf(path, sizeof(path), "%s/topics", root);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/topics/f", root);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/topics/f/topic.json", root);
    const char *cfg = "{\"partitions\":1,\"sync\":\"never\",\"retention_ms\":-1}";
    put_file(path, (const uint8_t *)cfg, strlen(cfg));
    snprintf(path, sizeof(path), "%s/topics/f/0", root);
    mkdir(path, 0755);
    /* 'C' first: the CRCs of the batches that follow are made right, so
     * the fuzzer reaches the record framing behind them */
    uint8_t *fixed = NULL;
    if (size > 1 && data[0] == 'C') {
        fixed = malloc(size - 1);
        memcpy(fixed, data + 1, size - 1);
        data = fixed;
        size--;
        for (size_t pos = 0; pos + FL_LOG_BATCH_OVERHEAD <= size;) {
            size_t len = (size_t)fl_be32(fixed + pos + 8) + FL_LOG_BATCH_LOG_OVERHEAD;
            if (len < FL_LOG_BATCH_OVERHEAD || len > size - pos) break;
            fl_put_be32(fixed + pos + 17, fl_crc32c(0, fixed + pos + FL_LOG_BATCH_CRC_START,
                                                    len - FL_LOG_BATCH_CRC_START));
            pos += len;
        }
    }
    size_t idx_len = 0;
    if (size > 0 && data[0] == 'I' && size > 2) {
        idx_len = (size_t)data[1] * 8;
        if (idx_len > size - 2) idx_len = (size - 2) / 8 * 8;
        snprintf(path, sizeof(path), "%s/topics/f/0/00000000000000000000.index", root);
        put_file(path, data + size - idx_len, idx_len);
        data += 2;
        size -= 2 + idx_len;
    }
    snprintf(path, sizeof(path), "%s/topics/f/0/00000000000000000000.log", root);
    put_file(path, data, size);

    struct fl_log_opts opts;
    fl_log_opts_default(&opts);
    opts.dir = root;
    opts.min_free_bytes = 0;
    opts.retention_check_ms = -1;
    struct fl_log *log;
    if (fl_log_open(&opts, &log, NULL) != FL_OK) abort();
    int64_t end = end_offset(log);
    int64_t n = read_all(log);
    if (n > end) abort();
    int64_t off;
    (void)fl_log_offset_for_time(log, "f", 0, 0, &off, NULL);
    struct fl_log_record r = {(const uint8_t *)"k", 1, (const uint8_t *)"v", 1, -1, NULL, 0};
    if (fl_log_append(log, "f", 0, &r, 1, &off, NULL) != FL_OK || off != end) abort();
    fl_log_close(log);
    if (fl_log_open(&opts, &log, NULL) != FL_OK) abort();
    if (end_offset(log) != end + 1 || read_all(log) != n + 1) abort();
    fl_log_close(log);
    free(fixed);
    return 0;
}
