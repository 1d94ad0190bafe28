/*
 * fuzz_pgoutput.c - libFuzzer target for the PostgreSQL replication
 * stream decoder (src/cdc/pgoutput.c): the input is one CopyData frame
 * and, as a second reading, one pgoutput message. Checks: a decoded
 * tuple's values lie inside the input, strings end inside it, and the
 * same decoder reused for the next input gives the same answer as a
 * fresh one.
 */
#include "cdc/pgoutput.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fl_pgo_decoder *shared;

static void inside(const uint8_t *data, size_t size, const void *p, size_t n) {
    const uint8_t *q = p;
    if (n && (q < data || q + n > data + size)) abort();
}

static void check_tuple(const uint8_t *data, size_t size, const struct fl_pgo_tuple *t) {
    for (int i = 0; i < t->ncols; i++) {
        const struct fl_pgo_value *v = &t->vals[i];
        if (v->kind == 't' || v->kind == 'b')
            inside(data, size, v->data, v->len);
        else if (v->kind != 'n' && v->kind != 'u')
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* a copy of exactly size bytes: ASan sees any read past it */
    uint8_t *buf = malloc(size ? size : 1);
    if (size) memcpy(buf, data, size);
    struct fl_error e = {0};
    struct fl_pg_frame f;
    if (fl_pg_frame_decode(buf, size, &f, &e) == FL_OK && f.kind == 'w')
        inside(buf, size, f.data, f.len);
    if (!shared) shared = fl_pgo_decoder_new();
    struct fl_pgo_decoder *fresh = fl_pgo_decoder_new();
    struct fl_pgo_msg m, m2;
    fl_err_t rc = fl_pgo_decode(shared, buf, size, &m, &e);
    fl_err_t rc2 = fl_pgo_decode(fresh, buf, size, &m2, &e);
    if (rc != rc2) abort();
    if (rc == FL_OK) {
        check_tuple(buf, size, &m.old_tuple);
        check_tuple(buf, size, &m.new_tuple);
        if (m.old_tuple.ncols != m2.old_tuple.ncols || m.new_tuple.ncols != m2.new_tuple.ncols)
            abort();
        if (m.name) inside(buf, size, m.name, strlen(m.name) + 1);
        if (m.nspname) inside(buf, size, m.nspname, strlen(m.nspname) + 1);
        for (int i = 0; i < m.ncols; i++)
            inside(buf, size, m.cols[i].name, strlen(m.cols[i].name) + 1);
        if (m.kind == 'M') inside(buf, size, m.content, m.content_len);
    }
    fl_pgo_decoder_free(fresh);
    free(buf);
    return 0;
}
