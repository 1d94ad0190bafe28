/*
 * fuzz_variant.c - libFuzzer target: the Variant binary decoder
 * (format/parquet/variant.h) on any metadata and value bytes must never
 * crash or read outside them, and whatever it accepts must come out as
 * one well-formed JSON value (jansson parses it back; integers as reals,
 * since a decimal16 has more digits than its integers hold).
 *
 * Input: a 2-byte little-endian metadata length, the metadata, then the
 * value (a length past the end takes what there is). Seeds in
 * tests/fuzz/corpus/variant/: the variants of the Trino-written table
 * tests/fixtures/iceberg/impala/iceberg_test/iceberg_v3/trino_variant
 * (primitives of every kind, objects, arrays, escaped keys) in that form.
 */
#include "core/buf.h"
#include "format/parquet/variant.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t mlen = (size_t)data[0] | (size_t)data[1] << 8;
    if (mlen > size - 2) mlen = size - 2;
    const uint8_t *meta = data + 2, *val = meta + mlen;
    size_t vlen = size - 2 - mlen;
    struct fl_buf out;
    fl_buf_init(&out, 64 << 20);
    struct fl_error err = {0};
    if (fl_variant_to_json(meta, mlen, val, vlen, &out, &err) == FL_OK) {
        json_error_t jerr;
        json_t *j = json_loadb((const char *)out.data, out.len,
                               JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &jerr);
        /* accepted bytes must give well-formed JSON (jansson alone
         * refuses a NUL in an object key, which JSON allows) */
        if (!j && !strstr(jerr.text, "NUL byte in object key")) abort();
        json_decref(j);
    }
    fl_buf_fini(&out);
    return 0;
}
