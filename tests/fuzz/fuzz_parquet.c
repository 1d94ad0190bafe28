/*
 * fuzz_parquet.c - libFuzzer target for the Parquet reader: opens the
 * input as a file image, prints its metadata and schema, reads every
 * column (nested ones through their repetition and definition levels into
 * JSON text; seeds with lists, maps and structs in the corpus), then reads
 * again with a predicate so that statistics and page indexes are decoded
 * too. Any crash, leak or sanitizer report is a bug;
 * errors are the expected outcome for most inputs.
 */
#include "format/parquet/reader.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(struct fl_pq_reader *r) {
    struct fl_batch *b;
    struct fl_error err = {0};
    int guard = 0;
    while (fl_pq_reader_next(r, &b, &err) == FL_OK && guard++ < 100000) {
        /* touch every value so that sanitizers see bad offsets */
        for (int c = 0; c < b->ncols; c++) {
            struct fl_col *col = &b->cols[c];
            volatile uint8_t sink = 0;
            for (size_t i = 0; i < b->nrows; i++) {
                if (fl_col_is_null(col, i)) continue;
                if (col->width)
                    sink ^= col->values[i * col->width];
                else {
                    size_t n;
                    const uint8_t *p = fl_col_bytes(col, i, &n);
                    if (n) sink ^= p[n - 1];
                }
            }
            (void)sink;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fl_pq_reader *r = NULL;
    struct fl_error err = {0};
    if (fl_pq_reader_open_mem(data, size, &r, &err) != FL_OK) return 0;
    struct fl_buf out;
    fl_buf_init(&out, (size_t)64 << 20);
    fl_pq_meta_to_json(fl_pq_reader_meta(r), &out);
    fl_pq_schema_to_text(fl_pq_reader_meta(r), &out);
    fl_buf_fini(&out);

    const struct fl_schema *s = fl_pq_reader_schema(r);
    int n = s->nfields;
    int32_t ids[64];
    if (n > 64) n = 64;
    for (int i = 0; i < n; i++) ids[i] = s->fields[i].id;
    if (fl_pq_reader_project_ids(r, ids, n, &err) == FL_OK) read_all(r);
    fl_pq_reader_free(r);

    /* again, with a predicate on each of the first few columns */
    if (fl_pq_reader_open_mem(data, size, &r, &err) != FL_OK) return 0;
    s = fl_pq_reader_schema(r);
    fl_pq_reader_project_ids(r, ids, n, &err);
    for (int i = 0; i < s->nfields && i < 4; i++) {
        static const uint8_t lit[] = "m";
        struct fl_pq_pred p = {.field_id = s->fields[i].id,
                               .op = (fl_pq_pred_op_t)(i % 7),
                               .i64 = 1,
                               .f64 = 0.5,
                               .i128 = 100,
                               .bytes = lit,
                               .len = 1};
        fl_pq_reader_add_pred(r, &p, &err);
    }
    read_all(r);
    fl_pq_reader_free(r);
    return 0;
}
