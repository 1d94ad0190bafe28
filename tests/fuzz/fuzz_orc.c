/*
 * fuzz_orc.c - libFuzzer target: an ORC file from memory (PostScript,
 * footer, stripe footers, compression chunks, every stream and run
 * length encoding, struct/list/map columns and their PRESENT and LENGTH
 * streams) must never crash floe's ORC reader nor make it read outside
 * the bytes; a file it reads hands out at most the rows its stripes
 * declare, in batches whose columns all have nrows values. Every other
 * input also reads its nested columns shaped after a target that keeps
 * every other struct member in reverse order and renumbers the rest (as
 * a table's evolved schema would), and every third input gets its
 * top-level ids set as a name mapping would (reversed, one dropped).
 *
 * Seeds in tests/fuzz/corpus/orc/: small files from apache/orc examples
 * (zlib, snappy, none; RLE v1 and v2; dictionaries; nested columns; the
 * corrupt ones) and Impala's complextypestbl and migrated (no field ids)
 * ORC files from tests/fixtures/iceberg/impala.
 */
#include "core/mem.h"
#include "format/orc/reader.h"
#include "fuzz_nested_target.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fl_orc_reader *r = NULL;
    struct fl_error err = {0};
    if (fl_orc_reader_open_mem(data, size, &r, &err) != FL_OK) return 0;
    const struct fl_schema *s = fl_orc_reader_schema(r);
    if (size % 3 == 0 && s->nfields > 0) {
        int32_t *ids = fl_calloc((size_t)s->nfields, sizeof(int32_t));
        for (int k = 0; k < s->nfields; k++) ids[k] = k ? s->nfields - k : 0;
        if (fl_orc_reader_set_ids(r, ids, &err) != FL_OK) abort();
        fl_free(ids);
    }
    s = fl_orc_reader_schema(r);
    struct fl_field *targets = fl_calloc((size_t)s->nfields + 1, sizeof(struct fl_field));
    for (int k = 0; k < s->nfields && size % 2 == 0; k++) {
        if (fl_type_is_primitive(s->fields[k].type)) continue;
        fuzz_evolve(&s->fields[k], &targets[k], 0);
        if (fl_orc_reader_nested_target(r, s->fields[k].id, &targets[k], &err) != FL_OK) abort();
    }
    uint64_t rows = 0;
    struct fl_batch *b;
    for (int n = 0; n < 1000 && fl_orc_reader_next(r, &b, &err) == FL_OK; n++) {
        for (int c = 0; c < b->ncols; c++)
            if (b->cols[c].len != b->nrows) abort();
        rows += b->nrows;
    }
    int64_t stripes, read;
    fl_orc_reader_stats(r, &stripes, &read);
    if ((uint64_t)read != rows) abort();
    for (int k = 0; k < s->nfields; k++) fuzz_evolved_free(&targets[k]);
    fl_free(targets);
    fl_orc_reader_free(r);
    return 0;
}
