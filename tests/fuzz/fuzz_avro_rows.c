/*
 * fuzz_avro_rows.c - libFuzzer target: an Avro data file from memory read
 * into columnar batches (format/avro/rows.h: the writer schema's flat
 * fields mapped to Iceberg types by field-id, every value copied into its
 * column) must never crash, and every batch it hands out has nrows
 * values in each column.
 *
 * Seeds in tests/fuzz/corpus/avro_rows/: floe-written files of every
 * type in every codec (as fuzz_avro's).
 */
#include "format/avro/rows.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fl_avro_rows *r = NULL;
    struct fl_error err = {0};
    if (fl_avro_rows_open(data, size, &r, &err) != FL_OK) return 0;
    struct fl_batch *b;
    for (int n = 0; n < 100 && fl_avro_rows_next(r, &b, &err) == FL_OK; n++)
        for (int c = 0; c < b->ncols; c++)
            if (b->cols[c].len != b->nrows) abort();
    fl_avro_rows_free(r);
    return 0;
}
