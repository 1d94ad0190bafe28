/*
 * test_cdc_pgoutput.c - unit tests for src/cdc/pgoutput.c on hand-built
 * messages: every pgoutput v1 kind, the tuple value kinds (n, u, t, b),
 * replication frames, LSN text, and truncated or lying lengths refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cdc/pgoutput.h"

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_begin_commit),
        cmocka_unit_test(test_relation),
        cmocka_unit_test(test_insert_update_delete),
        cmocka_unit_test(test_truncate_type_origin_message),
        cmocka_unit_test(test_frames_and_lsn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
