/*
 * fuzz_pipe_offsets.c - libFuzzer target: the per-partition offsets a
 * table's snapshot summary carries ("floe.offsets.<topic>", written by
 * any worker or edited by anyone with access to the metadata), as a
 * Kafka-source pipeline reads and merges them (pipeline/offsets.h). The
 * first byte picks a partition; the rest is the recorded value. Reading
 * the partition's offset and moving it by one from there must merge
 * (FL_OK) whenever the value is an object of offsets, else be refused as
 * corrupt, never as a conflict; a merged value must read back with the
 * moved offset; nothing may crash.
 */
#include "core/mem.h"
#include "pipeline/offsets.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int32_t part = data[0] % 16;
    char *text = fl_malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    int64_t at = fl_pipe_offsets_get(text, part);
    if (at == INT64_MAX) {
        fl_free(text);
        return 0;
    }
    struct fl_pipe_offset_move mv = {part, at, at + 1};
    struct fl_error err = {0};
    char *out = NULL;
    fl_err_t rc = fl_pipe_offsets_merge(text, "t", &mv, 1, &out, &err);
    if (rc != FL_OK && rc != FL_ERR_CORRUPT) abort();
    if (rc == FL_OK && fl_pipe_offsets_get(out, part) != at + 1) abort();
    if (rc != FL_OK && out) abort();
    free(out);
    fl_free(text);
    return 0;
}
