/*
 * fuzz_parquet_nested_write.c - libFuzzer target for the nested-column
 * writer path: each input line is the JSON text of one value of a column
 * of type list<struct<a: int, b: list<string>, m: map<string, double>>>
 * (so: arbitrary bytes into the yajl shredder). Rows the writer accepts
 * are written to a Parquet image (page v1 or v2 from the first byte),
 * which floe's reader must then read back without an error and with the
 * same number of rows; anything else aborts.
 */
#include "batch/batch.h"
#include "core/schema.h"
#include "format/parquet/reader.h"
#include "format/parquet/writer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"v\",\"required\":false,"
    "\"type\":{\"type\":\"list\",\"element-id\":2,\"element\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":3,\"name\":\"a\",\"required\":true,\"type\":\"int\"},{\"id\":4,\"name\":\"b\","
    "\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":5,\"element\":\"string\","
    "\"element-required\":false}},{\"id\":6,\"name\":\"m\",\"required\":false,\"type\":{\"type\":"
    "\"map\",\"key-id\":7,\"key\":\"string\",\"value-id\":8,\"value\":\"double\",\"value-"
    "required\":"
    "false}}]},\"element-required\":false}}]}";

static fl_err_t sink(void *ctx, const void *p, size_t n) { return fl_buf_append(ctx, p, n); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct fl_schema *s;
    struct fl_error err = {0};
    if (!s && fl_schema_parse(SCHEMA, strlen(SCHEMA), &s, &err)) abort();
    struct fl_pq_writer_opts opts;
    fl_pq_writer_opts_default(&opts);
    opts.page_version = size && (data[0] & 1) ? 2 : 1;
    opts.page_size = 64; /* many pages */
    opts.codec = FL_PQ_CODEC_UNCOMPRESSED;
    struct fl_buf out;
    fl_buf_init(&out, (size_t)64 << 20);
    struct fl_pq_writer *w;
    if (fl_pq_writer_new(s, &opts, sink, &out, &w, &err)) abort();
    struct fl_batch *b;
    if (fl_batch_new(s, 0, &b, &err)) abort();
    /* one row per line, each written alone so a refused row skips only itself */
    size_t rows = 0;
    for (size_t at = 0; at <= size;) {
        const uint8_t *nl = at < size ? memchr(data + at, '\n', size - at) : NULL;
        size_t end = nl ? (size_t)(nl - data) : size;
        fl_batch_reset(b);
        if (end - at == 4 && !memcmp(data + at, "null", 4))
            fl_col_append_null(&b->cols[0]);
        else
            fl_col_append_bytes(&b->cols[0], data + at, end - at);
        fl_batch_end_row(b);
        if (fl_pq_writer_add_batch(w, b, &err) == FL_OK)
            rows++;
        else
            break; /* the writer refuses calls after an error */
        at = end + 1;
    }
    struct fl_pq_file_result res;
    fl_err_t rc = fl_pq_writer_close(w, &res, &err);
    fl_pq_writer_free(w);
    fl_batch_free(b);
    if (rc == FL_OK) {
        fl_pq_file_result_fini(&res);
        struct fl_pq_reader *r;
        if (fl_pq_reader_open_mem(out.data, out.len, &r, &err)) abort();
        struct fl_batch *got;
        size_t n = 0;
        while ((rc = fl_pq_reader_next(r, &got, &err)) == FL_OK) n += got->nrows;
        if (rc != FL_ERR_EOF || n != rows) abort(); /* what was written must read back */
        fl_pq_reader_free(r);
    }
    fl_buf_fini(&out);
    return 0;
}
