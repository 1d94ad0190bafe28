/*
 * fuzz_pgoutput.c - libFuzzer target for the PostgreSQL replication
 * stream decoder (src/cdc/pgoutput.c): the input is one CopyData frame
 * and, as a second reading, one pgoutput message, and as a third one
 * row of COPY's text format (cdc/pg_types.c), whose fields must lie in
 * the scratch buffer and whose values print as JSON. Checks: a decoded
 * tuple's values lie inside the input, strings end inside it, and the
 * same decoder reused for the next input gives the same answer as a
 * fresh one. A fourth reading takes the input as a sequence of protocol
 * 2 messages (each after a 2-byte big-endian length) through a v2
 * decoder, whose stream block state must follow Start and Stop, and
 * applies them to a txset as the source does (changes held per xid,
 * Stream Abort of a subtransaction or the whole, Stream Commit reading
 * back every record held, in memory with a 64 kB budget then spilled).
 */
#include "cdc/pg_txbuf.h"
#include "cdc/pg_types.h"
#include "cdc/pgoutput.h"

#include <stdio.h>
#include <unistd.h>

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

static struct fl_txset *txs;
static char txs_dir[64];

static void txs_done(void) {
    fl_txset_free(txs);
    rmdir(txs_dir);
}

/* The v2 reading (see the top). */
static void stream_reading(const uint8_t *buf, size_t size) {
    struct fl_error e = {0};
    if (!txs) {
        snprintf(txs_dir, sizeof(txs_dir), "/tmp/floe-fuzz-pgoutput-%d", (int)getpid());
        if (fl_txset_new(txs_dir, (size_t)64 << 10, &txs, &e)) abort();
        atexit(txs_done);
    }
    struct fl_pgo_decoder *d = fl_pgo_decoder_new();
    fl_pgo_decoder_set_proto(d, 2);
    struct fl_txbuf *cur = NULL;
    size_t off = 0;
    while (size - off >= 2) {
        size_t n = (size_t)buf[off] << 8 | buf[off + 1];
        off += 2;
        if (n > size - off) break;
        int was = fl_pgo_decoder_in_stream(d);
        struct fl_pgo_msg m;
        fl_err_t rc = fl_pgo_decode(d, buf + off, n, &m, &e);
        off += n;
        fl_err_clear(&e);
        if (rc) {
            if (fl_pgo_decoder_in_stream(d) != was) abort(); /* a failure changes no state */
            continue;
        }
        /* inside a block the changes (and Relation, Type, Message) carry an xid */
        if (m.streamed != (was && strchr("RYIUDTM", m.kind) != NULL)) abort();
        if (fl_pgo_decoder_in_stream(d) != (m.kind == 'S' || (was && m.kind != 'E'))) abort();
        if (m.kind == 'S') {
            cur = fl_txset_get(txs, m.xid, 1);
        } else if (m.kind == 'E') {
            cur = NULL;
        } else if (m.kind == 'A') {
            int64_t dropped = -1;
            if (fl_txset_abort(txs, m.xid, m.subxid, &dropped, &e) || dropped < 0) abort();
        } else if ((m.kind == 'I' || m.kind == 'U' || m.kind == 'D') && cur) {
            const struct fl_pgo_tuple *t = m.kind == 'D' ? &m.old_tuple : &m.new_tuple;
            const struct fl_pgo_value *v = t->ncols ? &t->vals[0] : NULL;
            struct fl_txrec r = {
                m.relid % 4,    NULL,           0, v && v->data ? v->data : (const uint8_t *)"",
                v ? v->len : 0, FL_TXBUF_NO_TS, 0};
            if (fl_txbuf_add(cur, m.xid, &r, &e)) abort();
            if (fl_txset_mem(txs) > (size_t)64 << 10) abort();
        } else if (m.kind == 'c') {
            struct fl_txbuf *tb = fl_txset_get(txs, m.xid, 0);
            if (tb) {
                struct fl_txrec r;
                int64_t k = 0;
                if (fl_txbuf_rewind(tb, &e)) abort();
                while (fl_txbuf_next(tb, &r, &rc, &e)) {
                    if (r.table >= 4) abort();
                    k++;
                }
                if (rc || k != fl_txbuf_count(tb)) abort();
                if (tb == cur) cur = NULL;
                fl_txset_drop(txs, m.xid);
            }
        }
    }
    fl_txset_clear(txs);
    fl_pgo_decoder_free(d);
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
    stream_reading(buf, size);
    free(buf);
    return 0;
}
