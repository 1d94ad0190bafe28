/*
 * fuzz_pgoutput.c - libFuzzer target for the PostgreSQL replication
 * stream decoder (src/cdc/pgoutput.c): the input is one CopyData frame
 * and, as a second reading, one pgoutput message, and as a third one
 * row of COPY's text format (cdc/pg_types.c), whose fields must lie in
 * the scratch buffer and whose values print as JSON. Checks: a decoded
 * tuple's values lie inside the input, strings end inside it, and the
 * same decoder reused for the next input gives the same answer as a
 * fresh one.
 */
#include "cdc/pg_types.h"
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

    struct fl_buf scratch, js;
    fl_buf_init(&scratch, FL_BUF_NOMAX);
    fl_buf_init(&js, FL_BUF_NOMAX);
    size_t starts[16], lens[16];
    int nf = 0;
    if (fl_pgt_copy_row(buf, size, &scratch, starts, lens, 16, &nf, &e) == FL_OK) {
        if (nf < 1 || nf > 16) abort();
        for (int i = 0; i < nf; i++) {
            if (lens[i] == SIZE_MAX) continue;
            if (starts[i] > scratch.len || lens[i] > scratch.len - starts[i]) abort();
            fl_pgt_json((enum fl_pgt_kind)(i % 7), scratch.data + starts[i], lens[i], &js);
        }
    }
    fl_buf_fini(&scratch);
    fl_buf_fini(&js);
    free(buf);
    return 0;
}
