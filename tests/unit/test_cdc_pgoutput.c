/*
 * test_cdc_pgoutput.c - unit tests for src/cdc/pgoutput.c on hand-built
 * messages: every pgoutput v1 kind, the tuple value kinds (n, u, t, b),
 * replication frames, LSN text, and truncated or lying lengths refused;
 * version 2's stream messages (Start, Stop, Commit, Abort, the xid of
 * changes inside a block) and, fed through cdc/pg_txbuf.c as the source
 * does, two interleaved streamed transactions with a subtransaction
 * abort and a whole-transaction abort, in memory and spilled to files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cdc/pg_txbuf.h"
#include "cdc/pgoutput.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string.h>

struct msg {
    uint8_t b[512];
    size_t n;
};

static void put8(struct msg *m, uint8_t v) { m->b[m->n++] = v; }
static void put16(struct msg *m, uint16_t v) {
    put8(m, (uint8_t)(v >> 8));
    put8(m, (uint8_t)v);
}
static void put32(struct msg *m, uint32_t v) {
    put16(m, (uint16_t)(v >> 16));
    put16(m, (uint16_t)v);
}
static void put64(struct msg *m, uint64_t v) {
    put32(m, (uint32_t)(v >> 32));
    put32(m, (uint32_t)v);
}
static void puts0(struct msg *m, const char *s) {
    size_t n = strlen(s) + 1;
    memcpy(m->b + m->n, s, n);
    m->n += n;
}
static void puttext(struct msg *m, const char *s) {
    put8(m, 't');
    put32(m, (uint32_t)strlen(s));
    memcpy(m->b + m->n, s, strlen(s));
    m->n += strlen(s);
}

static void test_begin_commit(void **state) {
    (void)state;
    struct fl_pgo_decoder *d = fl_pgo_decoder_new();
    struct fl_pgo_msg m;
    struct fl_error e = {0};
    struct msg b = {0};
    put8(&b, 'B');
    put64(&b, 0x100000200ull);
    put64(&b, 1000000); /* one second after 2000-01-01 */
    put32(&b, 777);
    assert_int_equal(fl_pgo_decode(d, b.b, b.n, &m, &e), FL_OK);
    assert_int_equal(m.kind, 'B');
    assert_true(m.lsn == 0x100000200ull);
    assert_true(m.ts_us == FL_PG_EPOCH_US + 1000000);
    assert_int_equal(m.xid, 777);
    struct msg c = {0};
    put8(&c, 'C');
    put8(&c, 0);
    put64(&c, 0x10);
    put64(&c, 0x48);
    put64(&c, 5);
    assert_int_equal(fl_pgo_decode(d, c.b, c.n, &m, &e), FL_OK);
    assert_int_equal(m.kind, 'C');
    assert_true(m.lsn == 0x10 && m.end_lsn == 0x48 && m.ts_us == FL_PG_EPOCH_US + 5);
    /* one byte short, one byte too many */
    assert_int_equal(fl_pgo_decode(d, c.b, c.n - 1, &m, &e), FL_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "Commit"));
    c.b[c.n++] = 0;
    fl_err_clear(&e);
    assert_int_equal(fl_pgo_decode(d, c.b, c.n, &m, &e), FL_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "trailing"));
    fl_pgo_decoder_free(d);
}

static void test_relation(void **state) {
    (void)state;
    struct fl_pgo_decoder *d = fl_pgo_decoder_new();
    struct fl_pgo_msg m;
    struct fl_error e = {0};
    struct msg b = {0};
    put8(&b, 'R');
    put32(&b, 16384);
    puts0(&b, "public");
    puts0(&b, "users");
    put8(&b, 'f');
    put16(&b, 2);
    put8(&b, 1);
    puts0(&b, "id");
    put32(&b, 20);
    put32(&b, (uint32_t)-1);
    put8(&b, 0);
    puts0(&b, "amount");
    put32(&b, 1700);
    put32(&b, (uint32_t)((12 << 16 | 2) + 4));
    assert_int_equal(fl_pgo_decode(d, b.b, b.n, &m, &e), FL_OK);
    assert_int_equal(m.relid, 16384);
    assert_string_equal(m.nspname, "public");
    assert_string_equal(m.name, "users");
    assert_int_equal(m.replident, 'f');
    assert_int_equal(m.ncols, 2);
    assert_int_equal(m.cols[0].key, 1);
    assert_string_equal(m.cols[0].name, "id");
    assert_int_equal(m.cols[0].type_oid, 20);
    assert_int_equal(m.cols[0].typmod, -1);
    assert_int_equal(m.cols[1].key, 0);
    assert_int_equal(m.cols[1].typmod, (12 << 16 | 2) + 4);
    /* a column count larger than the bytes can hold */
    b.b[1 + 4 + 7 + 6 + 1] = 0xff;
    assert_int_equal(fl_pgo_decode(d, b.b, b.n, &m, &e), FL_ERR_CORRUPT);
    /* a name without its NUL */
    struct msg t = {0};
    put8(&t, 'R');
    put32(&t, 1);
    memcpy(t.b + t.n, "publ", 4);
    t.n += 4;
    fl_err_clear(&e);
    assert_int_equal(fl_pgo_decode(d, t.b, t.n, &m, &e), FL_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "not terminated"));
    fl_pgo_decoder_free(d);
}

static void test_insert_update_delete(void **state) {
    (void)state;
    struct fl_pgo_decoder *d = fl_pgo_decoder_new();
    struct fl_pgo_msg m;
    struct fl_error e = {0};
    struct msg b = {0};
    put8(&b, 'I');
    put32(&b, 16384);
    put8(&b, 'N');
    put16(&b, 4);
    puttext(&b, "42");
    put8(&b, 'n');
    put8(&b, 'b');
    put32(&b, 2);
    put8(&b, 0xde);
    put8(&b, 0xad);
    put8(&b, 'u');
    assert_int_equal(fl_pgo_decode(d, b.b, b.n, &m, &e), FL_OK);
    assert_int_equal(m.kind, 'I');
    assert_int_equal(m.new_tuple.ncols, 4);
    assert_int_equal(m.new_tuple.vals[0].kind, 't');
    assert_int_equal(m.new_tuple.vals[0].len, 2);
    assert_memory_equal(m.new_tuple.vals[0].data, "42", 2);
    assert_int_equal(m.new_tuple.vals[1].kind, 'n');
    assert_int_equal(m.new_tuple.vals[2].kind, 'b');
    assert_int_equal(m.new_tuple.vals[2].data[1], 0xad);
    assert_int_equal(m.new_tuple.vals[3].kind, 'u');

    /* an update with the old row (REPLICA IDENTITY FULL): both tuples kept apart */
    struct msg u = {0};
    put8(&u, 'U');
    put32(&u, 16384);
    put8(&u, 'O');
    put16(&u, 2);
    puttext(&u, "1");
    puttext(&u, "old");
    put8(&u, 'N');
    put16(&u, 2);
    puttext(&u, "1");
    put8(&u, 'u');
    assert_int_equal(fl_pgo_decode(d, u.b, u.n, &m, &e), FL_OK);
    assert_int_equal(m.old_kind, 'O');
    assert_int_equal(m.old_tuple.ncols, 2);
    assert_memory_equal(m.old_tuple.vals[1].data, "old", 3);
    assert_int_equal(m.new_tuple.ncols, 2);
    assert_memory_equal(m.new_tuple.vals[0].data, "1", 1);
    assert_int_equal(m.new_tuple.vals[1].kind, 'u');

    /* an update without an old tuple */
    struct msg u2 = {0};
    put8(&u2, 'U');
    put32(&u2, 9);
    put8(&u2, 'N');
    put16(&u2, 1);
    puttext(&u2, "x");
    assert_int_equal(fl_pgo_decode(d, u2.b, u2.n, &m, &e), FL_OK);
    assert_int_equal(m.old_kind, 0);
    assert_int_equal(m.new_tuple.ncols, 1);

    /* a delete by key */
    struct msg del = {0};
    put8(&del, 'D');
    put32(&del, 16384);
    put8(&del, 'K');
    put16(&del, 2);
    puttext(&del, "7");
    put8(&del, 'n');
    assert_int_equal(fl_pgo_decode(d, del.b, del.n, &m, &e), FL_OK);
    assert_int_equal(m.kind, 'D');
    assert_int_equal(m.old_kind, 'K');
    assert_int_equal(m.old_tuple.ncols, 2);
    assert_int_equal(m.new_tuple.ncols, 0);

    /* a value length past the end; a count past the end; an unknown kind */
    struct msg bad = {0};
    put8(&bad, 'I');
    put32(&bad, 1);
    put8(&bad, 'N');
    put16(&bad, 1);
    put8(&bad, 't');
    put32(&bad, 0xffffffffu);
    put8(&bad, 'x');
    assert_int_equal(fl_pgo_decode(d, bad.b, bad.n, &m, &e), FL_ERR_CORRUPT);
    struct msg many = {0};
    put8(&many, 'I');
    put32(&many, 1);
    put8(&many, 'N');
    put16(&many, 60000);
    put8(&many, 'n');
    assert_int_equal(fl_pgo_decode(d, many.b, many.n, &m, &e), FL_ERR_CORRUPT);
    struct msg kind = {0};
    put8(&kind, 'I');
    put32(&kind, 1);
    put8(&kind, 'N');
    put16(&kind, 1);
    put8(&kind, 'z');
    fl_err_clear(&e);
    assert_int_equal(fl_pgo_decode(d, kind.b, kind.n, &m, &e), FL_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "unknown value kind"));
    struct msg dn = {0};
    put8(&dn, 'D');
    put32(&dn, 1);
    put8(&dn, 'N');
    put16(&dn, 0);
    assert_int_equal(fl_pgo_decode(d, dn.b, dn.n, &m, &e), FL_ERR_CORRUPT);
    fl_pgo_decoder_free(d);
}

static void test_truncate_type_origin_message(void **state) {
    (void)state;
    struct fl_pgo_decoder *d = fl_pgo_decoder_new();
    struct fl_pgo_msg m;
    struct fl_error e = {0};
    struct msg t = {0};
    put8(&t, 'T');
    put32(&t, 2);
    put8(&t, 1);
    put32(&t, 100);
    put32(&t, 200);
    assert_int_equal(fl_pgo_decode(d, t.b, t.n, &m, &e), FL_OK);
    assert_int_equal(m.nrelids, 2);
    assert_int_equal(m.flags, 1);
    assert_int_equal(m.relids[1], 200);
    t.b[4] = 3; /* three relations, two sent */
    assert_int_equal(fl_pgo_decode(d, t.b, t.n, &m, &e), FL_ERR_CORRUPT);
    struct msg y = {0};
    put8(&y, 'Y');
    put32(&y, 5000);
    puts0(&y, "public");
    puts0(&y, "mood");
    assert_int_equal(fl_pgo_decode(d, y.b, y.n, &m, &e), FL_OK);
    assert_int_equal(m.relid, 5000);
    assert_string_equal(m.name, "mood");
    struct msg o = {0};
    put8(&o, 'O');
    put64(&o, 99);
    puts0(&o, "node1");
    assert_int_equal(fl_pgo_decode(d, o.b, o.n, &m, &e), FL_OK);
    assert_string_equal(m.name, "node1");
    assert_true(m.lsn == 99);
    struct msg mm = {0};
    put8(&mm, 'M');
    put8(&mm, 1);
    put64(&mm, 123);
    puts0(&mm, "floe");
    put32(&mm, 3);
    memcpy(mm.b + mm.n, "abc", 3);
    mm.n += 3;
    assert_int_equal(fl_pgo_decode(d, mm.b, mm.n, &m, &e), FL_OK);
    assert_string_equal(m.name, "floe");
    assert_int_equal(m.content_len, 3);
    assert_memory_equal(m.content, "abc", 3);
    mm.b[mm.n - 4] = 4; /* length 4, 3 bytes */
    assert_int_equal(fl_pgo_decode(d, mm.b, mm.n, &m, &e), FL_ERR_CORRUPT);
    uint8_t unknown[] = {'Z', 0};
    assert_int_equal(fl_pgo_decode(d, unknown, sizeof(unknown), &m, &e), FL_ERR_CORRUPT);
    assert_int_equal(fl_pgo_decode(d, unknown, 0, &m, &e), FL_ERR_CORRUPT);
    fl_pgo_decoder_free(d);
}

static void test_frames_and_lsn(void **state) {
    (void)state;
    struct fl_pg_frame f;
    struct fl_error e = {0};
    struct msg w = {0};
    put8(&w, 'w');
    put64(&w, 0x1000);
    put64(&w, 0x2000);
    put64(&w, 0);
    put8(&w, 'B');
    assert_int_equal(fl_pg_frame_decode(w.b, w.n, &f, &e), FL_OK);
    assert_int_equal(f.kind, 'w');
    assert_true(f.wal_start == 0x1000 && f.wal_end == 0x2000);
    assert_int_equal(f.len, 1);
    assert_int_equal(f.data[0], 'B');
    assert_int_equal(fl_pg_frame_decode(w.b, 20, &f, &e), FL_ERR_CORRUPT);
    struct msg k = {0};
    put8(&k, 'k');
    put64(&k, 0x3000);
    put64(&k, 0);
    put8(&k, 1);
    assert_int_equal(fl_pg_frame_decode(k.b, k.n, &f, &e), FL_OK);
    assert_int_equal(f.reply_requested, 1);
    assert_true(f.wal_end == 0x3000);
    assert_int_equal(fl_pg_frame_decode(k.b, k.n - 1, &f, &e), FL_ERR_CORRUPT);
    uint8_t q = 'q';
    assert_int_equal(fl_pg_frame_decode(&q, 1, &f, &e), FL_ERR_CORRUPT);

    char buf[24];
    uint64_t lsn = 0;
    fl_pg_lsn_format(0x16B3748ull | (uint64_t)1 << 32, buf, sizeof(buf));
    assert_string_equal(buf, "1/16B3748");
    assert_int_equal(fl_pg_lsn_parse("1/16b3748", &lsn, &e), FL_OK);
    assert_true(lsn == (0x16B3748ull | (uint64_t)1 << 32));
    assert_int_equal(fl_pg_lsn_parse("0/0", &lsn, &e), FL_OK);
    assert_true(lsn == 0);
    assert_int_equal(fl_pg_lsn_parse("1/", &lsn, &e), FL_ERR_INVALID);
    assert_int_equal(fl_pg_lsn_parse("/1", &lsn, &e), FL_ERR_INVALID);
    assert_int_equal(fl_pg_lsn_parse("1/G", &lsn, &e), FL_ERR_INVALID);
    assert_int_equal(fl_pg_lsn_parse("123456789/1", &lsn, &e), FL_ERR_INVALID);
    assert_int_equal(fl_pg_lsn_parse("12", &lsn, &e), FL_ERR_INVALID);
}

/* v2 messages */
static struct msg stream_start(uint32_t xid, int first) {
    struct msg b = {0};
    put8(&b, 'S');
    put32(&b, xid);
    put8(&b, (uint8_t)first);
    return b;
}
static struct msg stream_stop(void) {
    struct msg b = {0};
    put8(&b, 'E');
    return b;
}
static struct msg stream_abort(uint32_t xid, uint32_t sub) {
    struct msg b = {0};
    put8(&b, 'A');
    put32(&b, xid);
    put32(&b, sub);
    return b;
}
static struct msg stream_commit(uint32_t xid, uint64_t lsn, uint64_t end) {
    struct msg b = {0};
    put8(&b, 'c');
    put32(&b, xid);
    put8(&b, 0);
    put64(&b, lsn);
    put64(&b, end);
    put64(&b, 7000000);
    return b;
}
/* an Insert inside a block: xid, relation, one text column */
static struct msg streamed_insert(uint32_t xid, uint32_t rel, const char *v) {
    struct msg b = {0};
    put8(&b, 'I');
    put32(&b, xid);
    put32(&b, rel);
    put8(&b, 'N');
    put16(&b, 1);
    puttext(&b, v);
    return b;
}

static void test_stream_messages(void **state) {
    (void)state;
    struct fl_pgo_decoder *d = fl_pgo_decoder_new();
    struct fl_pgo_msg m;
    struct fl_error e = {0};
    /* version 1 knows no stream messages */
    struct msg s = stream_start(500, 1);
    fl_err_clear(&e);
    assert_int_equal(fl_pgo_decode(d, s.b, s.n, &m, &e), FL_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "unknown message kind"));
    fl_pgo_decoder_set_proto(d, 2);
    struct msg stop = stream_stop();
    fl_err_clear(&e);
    assert_int_equal(fl_pgo_decode(d, stop.b, stop.n, &m, &e), FL_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "Stream Stop outside"));
    assert_int_equal(fl_pgo_decode(d, s.b, s.n, &m, &e), FL_OK);
    assert_int_equal(m.kind, 'S');
    assert_int_equal(m.xid, 500);
    assert_int_equal(m.flags, 1);
    assert_true(fl_pgo_decoder_in_stream(d));
    fl_err_clear(&e);
    assert_int_equal(fl_pgo_decode(d, s.b, s.n, &m, &e), FL_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "Stream Start inside"));
    /* a change inside a block carries its (sub)transaction's xid */
    struct msg ins = streamed_insert(501, 16384, "42");
    assert_int_equal(fl_pgo_decode(d, ins.b, ins.n, &m, &e), FL_OK);
    assert_int_equal(m.kind, 'I');
    assert_true(m.streamed);
    assert_int_equal(m.xid, 501);
    assert_int_equal(m.relid, 16384);
    assert_int_equal(m.new_tuple.ncols, 1);
    assert_memory_equal(m.new_tuple.vals[0].data, "42", 2);
    /* the same bytes outside a block read the xid as the relation: refused */
    struct msg rel = {0};
    put8(&rel, 'R');
    put32(&rel, 501);
    put32(&rel, 16384);
    puts0(&rel, "public");
    puts0(&rel, "t");
    put8(&rel, 'd');
    put16(&rel, 0);
    assert_int_equal(fl_pgo_decode(d, rel.b, rel.n, &m, &e), FL_OK);
    assert_true(m.streamed && m.xid == 501 && m.relid == 16384 && !strcmp(m.name, "t"));
    struct msg c = stream_commit(500, 0x10, 0x20);
    fl_err_clear(&e);
    assert_int_equal(fl_pgo_decode(d, c.b, c.n, &m, &e), FL_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "inside a stream block"));
    struct msg a = stream_abort(500, 501);
    fl_err_clear(&e);
    assert_int_equal(fl_pgo_decode(d, a.b, a.n, &m, &e), FL_ERR_CORRUPT);
    stop.b[stop.n++] = 0; /* a trailing byte */
    fl_err_clear(&e);
    assert_int_equal(fl_pgo_decode(d, stop.b, stop.n, &m, &e), FL_ERR_CORRUPT);
    assert_true(fl_pgo_decoder_in_stream(d));
    stop.n--;
    assert_int_equal(fl_pgo_decode(d, stop.b, stop.n, &m, &e), FL_OK);
    assert_int_equal(m.kind, 'E');
    assert_false(fl_pgo_decoder_in_stream(d));
    /* outside a block a change has no xid */
    fl_err_clear(&e);
    assert_int_equal(fl_pgo_decode(d, ins.b, ins.n, &m, &e), FL_ERR_CORRUPT);
    assert_int_equal(fl_pgo_decode(d, c.b, c.n, &m, &e), FL_OK);
    assert_true(m.kind == 'c' && m.xid == 500 && m.lsn == 0x10 && m.end_lsn == 0x20);
    assert_true(m.ts_us == FL_PG_EPOCH_US + 7000000);
    fl_err_clear(&e);
    assert_int_equal(fl_pgo_decode(d, c.b, c.n - 1, &m, &e), FL_ERR_CORRUPT);
    assert_int_equal(fl_pgo_decode(d, a.b, a.n, &m, &e), FL_OK);
    assert_true(m.kind == 'A' && m.xid == 500 && m.subxid == 501);
    fl_err_clear(&e);
    assert_int_equal(fl_pgo_decode(d, a.b, a.n - 1, &m, &e), FL_ERR_CORRUPT);
    fl_pgo_decoder_free(d);
}

/* Runs msgs through a decoder and a txset as the source does (relid as
 * the table, the first column as the value); returns the committed
 * transaction's values joined by ',' in out. */
static void replay(const struct msg *msgs, int n, size_t limit, const char *dir, char *out,
                   size_t size, int *spilled) {
    struct fl_error e = {0};
    struct fl_txset *set = NULL;
    assert_int_equal(fl_txset_new(dir, limit, &set, &e), FL_OK);
    struct fl_pgo_decoder *d = fl_pgo_decoder_new();
    fl_pgo_decoder_set_proto(d, 2);
    struct fl_txbuf *cur = NULL;
    out[0] = 0;
    *spilled = 0;
    for (int i = 0; i < n; i++) {
        struct fl_pgo_msg m;
        assert_int_equal(fl_pgo_decode(d, msgs[i].b, msgs[i].n, &m, &e), FL_OK);
        if (m.kind == 'S') {
            cur = fl_txset_get(set, m.xid, 1);
        } else if (m.kind == 'E') {
            cur = NULL;
        } else if (m.kind == 'A') {
            int64_t dropped = -1;
            assert_int_equal(fl_txset_abort(set, m.xid, m.subxid, &dropped, &e), FL_OK);
            /* 502: t1 and t2; 503: u1; 600: x1 and x2 */
            int64_t want = m.subxid == 502 || m.subxid == 600 ? 2 : m.subxid == 503 ? 1 : 0;
            assert_int_equal(dropped, want);
        } else if (m.kind == 'I') {
            assert_non_null(cur);
            char v[64];
            snprintf(v, sizeof(v), "%.*s", (int)m.new_tuple.vals[0].len,
                     (const char *)m.new_tuple.vals[0].data);
            struct fl_txrec r = {m.relid,
                                 (const uint8_t *)"k",
                                 1,
                                 (const uint8_t *)v,
                                 (uint32_t)strlen(v),
                                 FL_TXBUF_NO_TS,
                                 0};
            assert_int_equal(fl_txbuf_add(cur, m.xid, &r, &e), FL_OK);
            *spilled |= fl_txbuf_is_spilled(cur);
            assert_true(fl_txset_mem(set) <= limit);
        } else if (m.kind == 'c') {
            struct fl_txbuf *tb = fl_txset_get(set, m.xid, 0);
            assert_non_null(tb);
            assert_int_equal(fl_txbuf_rewind(tb, &e), FL_OK);
            struct fl_txrec r;
            fl_err_t rc;
            int64_t k = 0;
            while (fl_txbuf_next(tb, &r, &rc, &e)) {
                size_t l = strlen(out);
                snprintf(out + l, size - l, "%s%u:%.*s", l ? "," : "", r.table, (int)r.value_len,
                         (const char *)r.value);
                assert_true(r.key_len == 1 && r.key[0] == 'k');
                k++;
            }
            assert_int_equal(rc, FL_OK);
            assert_int_equal(k, fl_txbuf_count(tb));
            fl_txset_drop(set, m.xid);
        }
    }
    assert_int_equal(fl_txset_open_count(set), 0);
    fl_pgo_decoder_free(d);
    fl_txset_free(set);
}

static int spill_files(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strstr(de->d_name, ".spill")) n++;
    if (d) closedir(d);
    return n;
}

static void test_stream_aborts(void **state) {
    (void)state;
    char dir[] = "/tmp/floe-txbuf-XXXXXX";
    assert_non_null(mkdtemp(dir));
    /* two streamed transactions, interleaved: 500 with subtransactions
     * 501 (kept), 502 (aborted after its block) and 503 (aborted last),
     * 600 aborted whole */
    struct msg msgs[] = {
        stream_start(500, 1),
        streamed_insert(500, 0, "a1"),
        streamed_insert(501, 0, "s1"),
        streamed_insert(502, 1, "t1"),
        streamed_insert(502, 0, "t2"),
        stream_stop(),
        stream_start(600, 1),
        streamed_insert(600, 1, "x1"),
        stream_stop(),
        stream_abort(500, 502),
        stream_abort(500, 777), /* a subtransaction with no change here: nothing */
        stream_start(500, 0),
        streamed_insert(500, 1, "a2"),
        streamed_insert(503, 0, "u1"),
        stream_stop(),
        stream_start(600, 0),
        streamed_insert(600, 0, "x2"),
        stream_stop(),
        stream_abort(600, 600),
        stream_abort(500, 503),
        stream_abort(900, 900), /* a transaction floe holds nothing of */
        stream_commit(500, 0x100, 0x180),
    };
    int n = (int)(sizeof(msgs) / sizeof(msgs[0])), spilled = 0;
    char got[256];
    replay(msgs, n, (size_t)1 << 20, dir, got, sizeof(got), &spilled);
    assert_string_equal(got, "0:a1,0:s1,1:a2");
    assert_false(spilled);
    /* the same with 40 bytes of memory (a record takes 16 + 1 + 2
     * bytes): 500 spills at its third record and the aborts cut its file */
    replay(msgs, n, 40, dir, got, sizeof(got), &spilled);
    assert_string_equal(got, "0:a1,0:s1,1:a2");
    assert_true(spilled);
    assert_int_equal(spill_files(dir), 0); /* dropped with their transactions */

    /* a crash's spill file is removed when a txset starts there */
    char path[300];
    snprintf(path, sizeof(path), "%s/123.spill", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("left by a crash", f);
    fclose(f);
    struct fl_txset *set = NULL;
    struct fl_error e = {0};
    assert_int_equal(fl_txset_new(dir, 40, &set, &e), FL_OK);
    assert_int_equal(spill_files(dir), 0);
    /* a spilled transaction's file while it is open; clear drops it */
    struct fl_txbuf *tb = fl_txset_get(set, 42, 1);
    struct fl_txrec r = {0,  NULL, 0, (const uint8_t *)"0123456789012345678901234567890123456789",
                         40, 3,    7};
    assert_int_equal(fl_txbuf_add(tb, 42, &r, &e), FL_OK);
    assert_true(fl_txbuf_is_spilled(tb));
    assert_int_equal(spill_files(dir), 1);
    assert_int_equal(fl_txbuf_rewind(tb, &e), FL_OK);
    struct fl_txrec back;
    fl_err_t rc;
    assert_int_equal(fl_txbuf_next(tb, &back, &rc, &e), 1);
    assert_null(back.key);
    assert_int_equal(back.ts_pos, 3);
    assert_int_equal(back.shape, 7);
    assert_int_equal(back.value_len, 40);
    assert_int_equal(fl_txbuf_next(tb, &back, &rc, &e), 0);
    assert_int_equal(rc, FL_OK);
    /* a damaged spill file is an error, not wrong records */
    snprintf(path, sizeof(path), "%s/42.spill", dir);
    assert_int_equal(truncate(path, 30), 0);
    assert_int_equal(fl_txbuf_rewind(tb, &e), FL_OK);
    assert_int_equal(fl_txbuf_next(tb, &back, &rc, &e), 0);
    assert_int_equal(rc, FL_ERR_CORRUPT);
    fl_txset_clear(set);
    assert_int_equal(spill_files(dir), 0);
    fl_txset_free(set);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_begin_commit),
        cmocka_unit_test(test_relation),
        cmocka_unit_test(test_insert_update_delete),
        cmocka_unit_test(test_truncate_type_origin_message),
        cmocka_unit_test(test_frames_and_lsn),
        cmocka_unit_test(test_stream_messages),
        cmocka_unit_test(test_stream_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
