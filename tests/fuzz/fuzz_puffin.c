/*
 * fuzz_puffin.c - libFuzzer target: a Puffin file from memory (magic,
 * footer sizes, footer JSON, blob ranges) and the deletion-vector-v1
 * blobs in it must never crash floe's readers; every blob range the
 * footer reader accepts lies inside the input, and a deletion vector
 * that decodes encodes again to one with the same positions.
 *
 * Seeds in tests/fuzz/corpus/puffin/: Iceberg Java's Puffin test files,
 * iceberg-rust's deletion-vector blobs, and a floe-written Puffin file
 * holding a deletion vector.
 */
#include "core/buf.h"
#include "core/endian.h"
#include "format/puffin/dv.h"
#include "format/puffin/puffin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_dv(const uint8_t *blob, size_t len) {
    struct fl_error err = {0};
    struct fl_dv *dv = NULL;
    if (fl_dv_decode(blob, len, &dv, &err) != FL_OK) return;
    struct fl_buf enc;
    fl_buf_init(&enc, 64 << 20);
    struct fl_dv *back = NULL;
    if (fl_dv_encode(dv, &enc) || fl_dv_decode(enc.data, enc.len, &back, &err)) abort();
    if (fl_dv_cardinality(back) != fl_dv_cardinality(dv)) abort();
    fl_dv_free(back);
    fl_dv_free(dv);
    fl_buf_fini(&enc);
}

/* The input as the vector of a blob with a right length and CRC, so the
 * Roaring bitmaps themselves get fuzzed past the checksum. */
static void check_vector(const uint8_t *data, size_t size) {
    if (size > (1 << 20)) return;
    struct fl_buf b;
    fl_buf_init(&b, 2 << 20);
    uint8_t *p = fl_buf_grow(&b, size + 12);
    fl_put_be32(p, (uint32_t)size + 4);
    memcpy(p + 4, FL_DV_MAGIC_BYTES, 4);
    if (size) memcpy(p + 8, data, size);
    fl_put_be32(p + 8 + size, (uint32_t)crc32(0L, p + 4, (uInt)size + 4));
    check_dv(b.data, b.len);
    fl_buf_fini(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_dv(data, size); /* a bare blob, as DuckDB 1.5.3 wrote them */
    check_vector(data, size);
    struct fl_puffin *pf = NULL;
    struct fl_error err = {0};
    if (fl_puffin_open(data, size, &pf, &err) != FL_OK) return 0;
    for (int i = 0; i < pf->nblobs; i++) {
        const struct fl_puffin_blob *b = &pf->blobs[i];
        if (b->offset < 4 || b->length < 0 || (uint64_t)b->offset + (uint64_t)b->length > size)
            abort();
        check_dv(data + b->offset, (size_t)b->length);
    }
    fl_puffin_free(pf);
    return 0;
}
