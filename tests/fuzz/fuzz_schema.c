/*
 * fuzz_schema.c - libFuzzer target: Iceberg schema JSON parsing, printing
 * and re-parsing must never crash, and a parsed schema must print to JSON
 * that parses again.
 */
#include "core/buf.h"
#include "core/schema.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fl_schema *s = NULL;
    struct fl_error err = {0};
    if (fl_schema_parse((const char *)data, size, &s, &err) != FL_OK) return 0;
    struct fl_buf out;
    fl_buf_init(&out, FL_BUF_NOMAX);
    if (fl_schema_to_json(s, &out) == FL_OK) {
        struct fl_schema *s2 = NULL;
        if (fl_schema_parse((const char *)out.data, out.len, &s2, &err) != FL_OK) abort();
        fl_schema_free(s2);
    }
    fl_buf_fini(&out);
    fl_schema_free(s);
    return 0;
}
