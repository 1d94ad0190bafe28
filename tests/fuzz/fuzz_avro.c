/*
 * fuzz_avro.c - libFuzzer target: an Avro object container file from
 * memory (header, schema JSON, codecs, blocks, records) must never crash
 * floe's reader, and every record it decodes must encode again and decode
 * back to an equal value.
 *
 * Seeds in tests/fuzz/corpus/avro/: real Iceberg manifests and manifest
 * lists, and floe-written files of every type in every codec.
 */
#include "core/buf.h"
#include "core/mem.h"
#include "format/avro/container.h"
#include "format/avro/decode.h"
#include "format/avro/encode.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fl_avro_reader_opts opts = {4 << 20, 8 << 20};
    struct fl_avro_reader *r;
    struct fl_error err = {0};
    if (fl_avro_reader_open(data, size, &opts, &r, &err) != FL_OK) return 0;
    const struct fl_avro_node *root = fl_avro_schema_root(fl_avro_reader_schema(r));
    struct fl_buf enc;
    fl_buf_init(&enc, 16 << 20);
    struct fl_avro_arena arena;
    fl_avro_arena_init(&arena, 16 << 20);
    const struct fl_avro_value *rec;
    for (int n = 0; n < 10000 && fl_avro_reader_next(r, &rec, &err) == FL_OK; n++) {
        fl_buf_reset(&enc);
        struct fl_error e2 = {0};
        fl_err_t rc = fl_avro_encode(root, rec, &enc, &e2);
        if (rc == FL_ERR_LIMIT) continue;
        if (rc) abort(); /* a decoded value always fits its schema */
        struct fl_avro_in in = {enc.data, enc.len};
        struct fl_avro_value back;
        fl_avro_arena_reset(&arena);
        rc = fl_avro_decode(&in, root, &arena, &back, &e2);
        if (rc == FL_ERR_LIMIT) continue;
        if (rc || in.left != 0 || !fl_avro_value_equal(rec, &back)) abort();
    }
    fl_avro_arena_fini(&arena);
    fl_buf_fini(&enc);
    fl_avro_reader_free(r);
    return 0;
}
