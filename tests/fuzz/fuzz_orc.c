/*
 * fuzz_orc.c - libFuzzer target: an ORC file from memory (PostScript,
 * footer, stripe footers, compression chunks, every stream and run
 * length encoding) must never crash floe's ORC reader nor make it read
 * outside the bytes; a file it reads hands out at most the rows its
 * stripes declare, in batches whose columns all have nrows values.
 *
 * Seeds in tests/fuzz/corpus/orc/: small files from apache/orc examples
 * (zlib, snappy, none; RLE v1 and v2; dictionaries; the corrupt ones).
 */
#include "format/orc/reader.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fl_orc_reader *r = NULL;
    struct fl_error err = {0};
    if (fl_orc_reader_open_mem(data, size, &r, &err) != FL_OK) return 0;
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
    fl_orc_reader_free(r);
    return 0;
}
