/*
 * fuzz_avro_rows.c - libFuzzer target: an Avro data file from memory read
 * into columnar batches (format/avro/rows.h: the writer schema's flat
 * fields mapped to Iceberg types by field-id, every value copied into its
 * column, records, arrays and maps as JSON text) must never crash, and
 * every batch it hands out has nrows values in each column. Every other
 * input reads its nested columns shaped after an evolved table field
 * (fuzz_nested_target.h).
 *
 * Seeds in tests/fuzz/corpus/avro_rows/: floe-written files of every
 * type in every codec (as fuzz_avro's), and an Iceberg manifest (nested
 * records, a list, maps as arrays of key/value records) from iceberg-rust.
 */
#include "format/avro/rows.h"
#include "fuzz_nested_target.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fl_avro_rows *r = NULL;
    struct fl_error err = {0};
    if (fl_avro_rows_open(data, size, &r, &err) != FL_OK) return 0;
    const struct fl_schema *s = fl_avro_rows_schema(r);
    struct fl_field *targets = fl_calloc((size_t)s->nfields + 1, sizeof(struct fl_field));
    for (int k = 0; k < s->nfields && size % 2 == 0; k++) {
        if (fl_type_is_primitive(s->fields[k].type)) continue;
        fuzz_evolve(&s->fields[k], &targets[k], 0);
        if (fl_avro_rows_nested_target(r, s->fields[k].id, &targets[k], &err) != FL_OK) abort();
    }
    struct fl_batch *b;
    for (int n = 0; n < 100 && fl_avro_rows_next(r, &b, &err) == FL_OK; n++)
        for (int c = 0; c < b->ncols; c++)
            if (b->cols[c].len != b->nrows) abort();
    for (int k = 0; k < s->nfields; k++) fuzz_evolved_free(&targets[k]);
    fl_free(targets);
    fl_avro_rows_free(r);
    return 0;
}
