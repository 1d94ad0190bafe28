/*
 * test_pq_decode.c - the Thrift compact decoder, metadata parsers and
 * every Parquet value decoder on hand-built byte sequences, including the
 * examples of Encodings.md and malformed inputs that must fail cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/endian.h"
#include "format/parquet/decode.h"
#include "format/parquet/meta.h"
#include "format/parquet/thrift_read.h"

#include <string.h>

/* ---- thrift ---- */

static void test_thrift_fields(void **state) {
    (void)state;
    /* struct { 1: i32 -3, 2: bool true, 5: string "ab", 40: i64 300 (long
     * form id), 41: list<i32> [1,2,3] (unknown: skipped), 42: map (skipped),
     * 43: struct { 1: double } (skipped), 44: i32 7 } */
    static const uint8_t b[] = {
        0x15, 0x05,             /* field 1 i32 zigzag(-3)=5 */
        0x11,                   /* field 2 bool true */
        0x38, 0x02, 'a',  'b',  /* field 5 (delta 3) binary */
        0x06, 0x50, 0xd8, 0x04, /* long form: type i64, id zigzag 40 = 80, value zigzag(300)=600 */
        0x19, 0x35, 0x02, 0x04, 0x06, /* field 41 list of 3 i32 */
        0x1b, 0x01, 0x55, 0x02, 0x04, /* field 42 map<i32,i32> of 1 */
        0x1c, 0x17, 0,    0,    0,    0,
        0,    0,    0xf0, 0x3f, 0x00, /* field 43 struct {1: double 1.0} */
        0x15, 0x0e,                   /* field 44 i32 7 */
        0x00};
    struct fl_pq_thrift_reader tr;
    struct fl_pq_thrift_struct st;
    struct fl_error err = {0};
    int16_t id;
    int t;
    fl_pq_thrift_reader_init(&tr, b, sizeof(b), 0, &err);
    assert_int_equal(fl_pq_thrift_struct_begin(&tr, &st), FL_OK);
    int32_t i32 = 0;
    int64_t i64 = 0;
    bool bv = false;
    const uint8_t *s;
    size_t n;
    int seen = 0;
    while (!fl_pq_thrift_field_next(&tr, &st, &id, &t) && t != FL_PQ_TT_STOP) {
        switch (id) {
        case 1:
            assert_int_equal(fl_pq_thrift_read_i32(&tr, t, &i32), FL_OK);
            assert_int_equal(i32, -3);
            seen |= 1;
            break;
        case 2:
            assert_int_equal(fl_pq_thrift_read_bool(&tr, t, &bv), FL_OK);
            assert_true(bv);
            seen |= 2;
            break;
        case 5:
            assert_int_equal(fl_pq_thrift_read_binary(&tr, t, &s, &n), FL_OK);
            assert_int_equal(n, 2);
            assert_memory_equal(s, "ab", 2);
            seen |= 4;
            break;
        case 40:
            assert_int_equal(fl_pq_thrift_read_i64(&tr, t, &i64), FL_OK);
            assert_int_equal(i64, 300);
            seen |= 8;
            break;
        case 44:
            assert_int_equal(fl_pq_thrift_read_i32(&tr, t, &i32), FL_OK);
            assert_int_equal(i32, 7);
            seen |= 16;
            break;
        default:
            assert_int_equal(fl_pq_thrift_skip(&tr, t), FL_OK);
        }
    }
    assert_int_equal(tr.code, FL_OK);
    assert_int_equal(seen, 31);
    assert_int_equal(fl_pq_thrift_reader_pos(&tr), sizeof(b));
}

static fl_err_t skip_all(const uint8_t *b, size_t n, struct fl_error *err) {
    struct fl_pq_thrift_reader tr;
    fl_pq_thrift_reader_init(&tr, b, n, 100, err);
    return fl_pq_thrift_skip(&tr, FL_PQ_TT_STRUCT);
}

static void test_thrift_malformed(void **state) {
    (void)state;
    struct fl_error err = {0};
    /* truncated string */
    static const uint8_t s1[] = {0x18, 0x10, 'a'};
    assert_int_equal(skip_all(s1, sizeof(s1), &err), FL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "at byte 10"));
    /* list claiming more elements than bytes */
    static const uint8_t s2[] = {0x19, 0xf5, 0xff, 0xff, 0xff, 0x0f, 0x00};
    err.code = FL_OK;
    assert_int_equal(skip_all(s2, sizeof(s2), &err), FL_ERR_CORRUPT);
    /* nesting deeper than the cap */
    uint8_t deep[200];
    for (int i = 0; i < 100; i++) deep[i] = 0x1c;
    for (int i = 100; i < 200; i++) deep[i] = 0;
    err.code = FL_OK;
    assert_int_equal(skip_all(deep, sizeof(deep), &err), FL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "deep"));
    /* unknown type code 13 */
    static const uint8_t s3[] = {0x1d, 0x00};
    err.code = FL_OK;
    assert_int_equal(skip_all(s3, sizeof(s3), &err), FL_ERR_CORRUPT);
    /* an overlong varint */
    static const uint8_t s4[] = {0x16, 0xff, 0xff, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0x7f, 0};
    err.code = FL_OK;
    assert_int_equal(skip_all(s4, sizeof(s4), &err), FL_ERR_CORRUPT);
    /* i32 out of range */
    static const uint8_t s5[] = {0x15, 0xff, 0xff, 0xff, 0xff, 0x7f, 0};
    struct fl_pq_thrift_reader tr;
    struct fl_pq_thrift_struct st;
    int16_t id;
    int t;
    int32_t v;
    err.code = FL_OK;
    fl_pq_thrift_reader_init(&tr, s5, sizeof(s5), 0, &err);
    fl_pq_thrift_struct_begin(&tr, &st);
    assert_int_equal(fl_pq_thrift_field_next(&tr, &st, &id, &t), FL_OK);
    assert_int_equal(fl_pq_thrift_read_i32(&tr, t, &v), FL_ERR_CORRUPT);
    /* a known field of another wire type is skipped, not fatal */
    static const uint8_t s6[] = {0x18, 0x01, 'x', 0x15, 0x04, 0};
    err.code = FL_OK;
    fl_pq_thrift_reader_init(&tr, s6, sizeof(s6), 0, &err);
    fl_pq_thrift_struct_begin(&tr, &st);
    fl_pq_thrift_field_next(&tr, &st, &id, &t);
    assert_int_equal(fl_pq_thrift_read_i32(&tr, t, &v), FL_ERR_NOTFOUND);
    assert_int_equal(fl_pq_thrift_field_next(&tr, &st, &id, &t), FL_OK);
    assert_int_equal(id, 2);
    assert_int_equal(fl_pq_thrift_read_i32(&tr, t, &v), FL_OK);
    assert_int_equal(v, 2);
}

static void test_page_header(void **state) {
    (void)state;
    /* PageHeader{1: DATA_PAGE, 2: 100, 3: 60, 4: crc -1, 5: DataPageHeader{
     * 1: 10, 2: RLE_DICTIONARY, 3: RLE, 4: RLE, 5: Statistics{...}}, 99: skipped} */
    static const uint8_t b[] = {0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0x78, 0x15, 0x01, 0x1c,
                                0x15, 0x14, 0x15, 0x10, 0x15, 0x06, 0x15, 0x06, 0x1c, 0x18,
                                0x01, 'z',  0x00, 0x00, 0x05, 0xc6, 0x01, 0x02, 0x00};
    struct fl_pq_page_header h;
    struct fl_error err = {0};
    size_t used;
    assert_int_equal(fl_pq_page_header_parse(b, sizeof(b), 0, &h, &used, &err), FL_OK);
    assert_int_equal(used, sizeof(b));
    assert_int_equal(h.type, FL_PQ_PAGE_DATA);
    assert_int_equal(h.uncompressed_page_size, 100);
    assert_int_equal(h.compressed_page_size, 60);
    assert_true(h.has_crc);
    assert_int_equal(h.crc, 0xffffffffu);
    assert_true(h.has_data);
    assert_int_equal(h.data.num_values, 10);
    assert_int_equal(h.data.encoding, FL_PQ_ENC_RLE_DICTIONARY);
    /* every truncation fails */
    for (size_t n = 0; n < sizeof(b); n++) {
        err.code = FL_OK;
        assert_int_not_equal(fl_pq_page_header_parse(b, n, 0, &h, &used, &err), FL_OK);
    }
    /* missing required sizes */
    static const uint8_t c[] = {0x15, 0x00, 0x00};
    err.code = FL_OK;
    assert_int_equal(fl_pq_page_header_parse(c, sizeof(c), 0, &h, &used, &err), FL_ERR_CORRUPT);
}

/* ---- RLE / bit-packed ---- */

static void test_rle(void **state) {
    (void)state;
    struct fl_pq_rle d;
    struct fl_error err = {0};
    uint32_t out[32];
    /* Encodings.md: 0..7 with bit width 3, one bit-packed group */
    static const uint8_t bp[] = {0x03, 0x88, 0xc6, 0xfa};
    assert_int_equal(fl_pq_rle_init(&d, bp, sizeof(bp), 3, &err), FL_OK);
    assert_int_equal(fl_pq_rle_get(&d, out, 8, &err), FL_OK);
    for (uint32_t i = 0; i < 8; i++) assert_int_equal(out[i], i);
    assert_int_equal(fl_pq_rle_get(&d, out, 1, &err), FL_ERR_CORRUPT);
    /* an RLE run of 5 x 300 (bit width 9: 2 value bytes), then 0..7 */
    static const uint8_t mix[] = {0x0a, 0x2c, 0x01, 0x03, 0x00, 0x02, 0x08,
                                  0x18, 0x40, 0xa0, 0x80, 0x81, 0x03};
    assert_int_equal(fl_pq_rle_init(&d, mix, sizeof(mix), 9, &err), FL_OK);
    assert_int_equal(fl_pq_rle_get(&d, out, 13, &err), FL_OK);
    for (int i = 0; i < 5; i++) assert_int_equal(out[i], 300);
    for (uint32_t i = 0; i < 8; i++) assert_int_equal(out[5 + i], i);
    /* bad inputs */
    assert_int_equal(fl_pq_rle_init(&d, bp, sizeof(bp), 33, &err), FL_ERR_CORRUPT);
    static const uint8_t zero_run[] = {0x00, 0x01};
    err.code = FL_OK;
    fl_pq_rle_init(&d, zero_run, sizeof(zero_run), 1, &err);
    assert_int_equal(fl_pq_rle_get(&d, out, 1, &err), FL_ERR_CORRUPT);
    static const uint8_t wide[] = {0x02, 0x05}; /* value 5 in bit width 2 */
    err.code = FL_OK;
    fl_pq_rle_init(&d, wide, sizeof(wide), 2, &err);
    assert_int_equal(fl_pq_rle_get(&d, out, 1, &err), FL_ERR_CORRUPT);
    static const uint8_t trunc[] = {0x0a};
    err.code = FL_OK;
    fl_pq_rle_init(&d, trunc, sizeof(trunc), 8, &err);
    assert_int_equal(fl_pq_rle_get(&d, out, 1, &err), FL_ERR_CORRUPT);
    /* a bit-packed run cut short: only whole values are there */
    static const uint8_t cut[] = {0x03, 0x88};
    err.code = FL_OK;
    fl_pq_rle_init(&d, cut, sizeof(cut), 3, &err);
    assert_int_equal(fl_pq_rle_get(&d, out, 2, &err), FL_OK);
    assert_int_equal(out[1], 1);
    assert_int_equal(fl_pq_rle_get(&d, out, 1, &err), FL_ERR_CORRUPT);
    /* bit width 0: runs of zeros without value bytes */
    static const uint8_t bw0[] = {0x07};
    err.code = FL_OK;
    fl_pq_rle_init(&d, bw0, sizeof(bw0), 0, &err);
    assert_int_equal(fl_pq_rle_get(&d, out, 24, &err), FL_OK);
    assert_int_equal(out[23], 0);
}

static void test_levels(void **state) {
    (void)state;
    struct fl_error err = {0};
    uint8_t lv[16];
    size_t used;
    /* deprecated BIT_PACKED, MSB first: 0..7 in 3 bits */
    static const uint8_t bp[] = {0x05, 0x39, 0x77};
    assert_int_equal(fl_pq_decode_levels_v1(FL_PQ_ENC_BIT_PACKED, 7, bp, 3, 8, lv, &used, &err),
                     FL_OK);
    assert_int_equal(used, 3);
    for (int i = 0; i < 8; i++) assert_int_equal(lv[i], i);
    /* RLE with its 4-byte length: 3 x 1 then 2 x 0 */
    static const uint8_t rle[] = {0x04, 0, 0, 0, 0x06, 0x01, 0x04, 0x00, 0xee};
    assert_int_equal(fl_pq_decode_levels_v1(FL_PQ_ENC_RLE, 1, rle, sizeof(rle), 5, lv, &used, &err),
                     FL_OK);
    assert_int_equal(used, 8);
    assert_memory_equal(lv, ((uint8_t[]){1, 1, 1, 0, 0}), 5);
    /* v2: no length */
    assert_int_equal(fl_pq_decode_levels_v2(1, rle + 4, 4, 5, lv, &err), FL_OK);
    assert_int_equal(lv[2], 1);
    /* a length beyond the page, a level above the max */
    static const uint8_t big[] = {0xff, 0, 0, 0, 0x06, 0x01};
    assert_int_equal(fl_pq_decode_levels_v1(FL_PQ_ENC_RLE, 1, big, sizeof(big), 3, lv, &used, &err),
                     FL_ERR_CORRUPT);
    static const uint8_t two[] = {0x06, 0x02};
    err.code = FL_OK;
    assert_int_equal(fl_pq_decode_levels_v2(1, two, 2, 3, lv, &err), FL_ERR_CORRUPT);
}

/* ---- PLAIN and dictionary ---- */

static void test_plain(void **state) {
    (void)state;
    struct fl_pq_vec v;
    struct fl_error err = {0};
    size_t used;
    fl_pq_vec_init(&v, 1 << 20);
    static const uint8_t i32[] = {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    fl_pq_vec_reset(&v, 4);
    assert_int_equal(fl_pq_decode_plain(FL_PQ_INT32, 0, i32, 8, 2, &v, &used, &err), FL_OK);
    assert_int_equal(v.n, 2);
    assert_int_equal((int32_t)fl_le32(v.data.data + 4), -1);
    assert_int_equal(fl_pq_decode_plain(FL_PQ_INT32, 0, i32, 8, 3, &v, &used, &err),
                     FL_ERR_CORRUPT);
    /* booleans LSB first: 1,0,1,1,0,0,0,0,1 */
    static const uint8_t bools[] = {0x0d, 0x01};
    fl_pq_vec_reset(&v, 1);
    assert_int_equal(fl_pq_decode_plain(FL_PQ_BOOLEAN, 0, bools, 2, 9, &v, &used, &err), FL_OK);
    assert_memory_equal(v.data.data, ((uint8_t[]){1, 0, 1, 1, 0, 0, 0, 0, 1}), 9);
    assert_int_equal(used, 2);
    /* byte arrays */
    static const uint8_t ba[] = {2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0, 3, 0, 0, 0, 'a', 'b'};
    fl_pq_vec_reset(&v, 0);
    assert_int_equal(fl_pq_decode_plain(FL_PQ_BYTE_ARRAY, 0, ba, 10, 2, &v, &used, &err), FL_OK);
    size_t n;
    const uint8_t *p = fl_pq_vec_bytes(&v, 0, &n);
    assert_int_equal(n, 2);
    assert_memory_equal(p, "hi", 2);
    fl_pq_vec_bytes(&v, 1, &n);
    assert_int_equal(n, 0);
    fl_pq_vec_reset(&v, 0);
    err.code = FL_OK;
    assert_int_equal(fl_pq_decode_plain(FL_PQ_BYTE_ARRAY, 0, ba, sizeof(ba), 3, &v, &used, &err),
                     FL_ERR_CORRUPT);
    /* INT96 and FIXED_LEN_BYTE_ARRAY keep their bytes */
    uint8_t i96[24];
    for (int i = 0; i < 24; i++) i96[i] = (uint8_t)i;
    fl_pq_vec_reset(&v, 12);
    assert_int_equal(fl_pq_decode_plain(FL_PQ_INT96, 0, i96, 24, 2, &v, &used, &err), FL_OK);
    assert_memory_equal(v.data.data, i96, 24);
    fl_pq_vec_reset(&v, 3);
    assert_int_equal(fl_pq_decode_plain(FL_PQ_FIXED_LEN_BYTE_ARRAY, 3, i96, 24, 8, &v, &used, &err),
                     FL_OK);
    assert_int_equal(v.n, 8);
    fl_pq_vec_fini(&v);
}

static void test_dict(void **state) {
    (void)state;
    struct fl_pq_vec dict, out;
    struct fl_error err = {0};
    fl_pq_vec_init(&dict, 1 << 20);
    fl_pq_vec_init(&out, 1 << 20);
    static const uint8_t dv[] = {1, 0, 0, 0, 'x', 2, 0, 0, 0, 'y', 'z'};
    fl_pq_vec_reset(&dict, 0);
    assert_int_equal(fl_pq_decode_plain(FL_PQ_BYTE_ARRAY, 0, dv, sizeof(dv), 2, &dict, NULL, &err),
                     FL_OK);
    /* bit width 1, bit-packed 1,0,1,1,0,0,0,0 */
    static const uint8_t idx[] = {0x01, 0x03, 0x0d};
    fl_pq_vec_reset(&out, 0);
    assert_int_equal(fl_pq_decode_dict(&dict, idx, sizeof(idx), 5, &out, &err), FL_OK);
    size_t n;
    const uint8_t *p = fl_pq_vec_bytes(&out, 0, &n);
    assert_int_equal(n, 2);
    assert_memory_equal(p, "yz", 2);
    p = fl_pq_vec_bytes(&out, 1, &n);
    assert_memory_equal(p, "x", 1);
    /* index 2 is out of range */
    static const uint8_t bad[] = {0x02, 0x02, 0x02};
    fl_pq_vec_reset(&out, 0);
    assert_int_equal(fl_pq_decode_dict(&dict, bad, sizeof(bad), 1, &out, &err), FL_ERR_CORRUPT);
    static const uint8_t wide[] = {33, 0x02, 0, 0, 0, 0, 0};
    err.code = FL_OK;
    assert_int_equal(fl_pq_decode_dict(&dict, wide, sizeof(wide), 1, &out, &err), FL_ERR_CORRUPT);
    /* RLE booleans with their length */
    static const uint8_t rb[] = {2, 0, 0, 0, 0x08, 0x01};
    fl_pq_vec_reset(&out, 1);
    err.code = FL_OK;
    assert_int_equal(fl_pq_decode_bool_rle(rb, sizeof(rb), 4, &out, &err), FL_OK);
    assert_memory_equal(out.data.data, ((uint8_t[]){1, 1, 1, 1}), 4);
    fl_pq_vec_fini(&dict);
    fl_pq_vec_fini(&out);
}

/* ---- delta encodings ---- */

static void test_delta_binary(void **state) {
    (void)state;
    struct fl_pq_vec v;
    struct fl_error err = {0};
    size_t cnt, used;
    fl_pq_vec_init(&v, 1 << 20);
    /* Encodings.md example 1 (block 128 instead of 8): 1,2,3,4,5 */
    static const uint8_t e1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0};
    fl_pq_vec_reset(&v, 8);
    assert_int_equal(
        fl_pq_decode_delta_binary(FL_PQ_INT64, e1, sizeof(e1), 100, &v, &cnt, &used, &err), FL_OK);
    assert_int_equal(cnt, 5);
    assert_int_equal(used, sizeof(e1));
    for (int i = 0; i < 5; i++) assert_int_equal((int64_t)fl_le64(v.data.data + 8 * i), i + 1);
    /* example 2: 7,5,3,1,2,3,4,5 (min delta -2, bit width 2) */
    static const uint8_t e2[] = {0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0, 0,
                                 0,    0xc0, 0x3f, 0,    0,    0,    0,    0, 0};
    static const int32_t want2[] = {7, 5, 3, 1, 2, 3, 4, 5};
    fl_pq_vec_reset(&v, 4);
    assert_int_equal(
        fl_pq_decode_delta_binary(FL_PQ_INT32, e2, sizeof(e2), 100, &v, &cnt, &used, &err), FL_OK);
    assert_int_equal(cnt, 8);
    assert_int_equal(used, sizeof(e2));
    for (int i = 0; i < 8; i++) assert_int_equal((int32_t)fl_le32(v.data.data + 4 * i), want2[i]);
    /* INT32 wrap-around: INT32_MAX then INT32_MIN is a delta of +1 */
    static const uint8_t wrap[] = {0x80, 0x01, 0x04, 0x02, 0xfe, 0xff, 0xff,
                                   0xff, 0x0f, 0x02, 0,    0,    0,    0};
    fl_pq_vec_reset(&v, 4);
    assert_int_equal(
        fl_pq_decode_delta_binary(FL_PQ_INT32, wrap, sizeof(wrap), 100, &v, &cnt, &used, &err),
        FL_OK);
    assert_int_equal((int32_t)fl_le32(v.data.data + 4), INT32_MIN);
    /* INT32 deltas computed in 64 bits, as DuckDB writes them: first value
     * INT32_MIN, min delta 2^32 - 1 (beyond INT32), bit width 33 (delta 0):
     * the second value is INT32_MAX modulo 2^32 */
    uint8_t w33[10 + 132] = {0x80, 0x01, 0x04, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f,
                             0xfe, 0xff, 0xff, 0xff, 0x1f, 33,   0,    0,    0};
    fl_pq_vec_reset(&v, 4);
    assert_int_equal(
        fl_pq_decode_delta_binary(FL_PQ_INT32, w33, sizeof(w33), 100, &v, &cnt, &used, &err),
        FL_OK);
    assert_int_equal((int32_t)fl_le32(v.data.data), INT32_MIN);
    assert_int_equal((int32_t)fl_le32(v.data.data + 4), INT32_MAX);
    /* malformed: bit width 65, count beyond the page, block size 100,
     * a first value beyond INT32, a truncated miniblock */
    w33[14] = 65;
    fl_pq_vec_reset(&v, 4);
    assert_int_equal(
        fl_pq_decode_delta_binary(FL_PQ_INT64, w33, sizeof(w33), 100, &v, &cnt, &used, &err),
        FL_ERR_CORRUPT);
    err.code = FL_OK;
    assert_int_equal(
        fl_pq_decode_delta_binary(FL_PQ_INT64, e1, sizeof(e1), 4, &v, &cnt, &used, &err),
        FL_ERR_CORRUPT);
    static const uint8_t b100[] = {0x64, 0x04, 0x01, 0x00};
    err.code = FL_OK;
    assert_int_equal(
        fl_pq_decode_delta_binary(FL_PQ_INT64, b100, sizeof(b100), 4, &v, &cnt, &used, &err),
        FL_ERR_CORRUPT);
    static const uint8_t big[] = {0x80, 0x01, 0x04, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10};
    err.code = FL_OK;
    assert_int_equal(
        fl_pq_decode_delta_binary(FL_PQ_INT32, big, sizeof(big), 4, &v, &cnt, &used, &err),
        FL_ERR_CORRUPT);
    err.code = FL_OK;
    assert_int_equal(fl_pq_decode_delta_binary(FL_PQ_INT32, e2, 11, 100, &v, &cnt, &used, &err),
                     FL_ERR_CORRUPT);
    fl_pq_vec_fini(&v);
}

static void test_delta_strings(void **state) {
    (void)state;
    struct fl_pq_vec v;
    struct fl_error err = {0};
    size_t used, n;
    fl_pq_vec_init(&v, 1 << 20);
    /* "Hello", "World", "Foobar", "ABCDEF": lengths 5,5,6,6 */
    static const uint8_t dl[] = {0x80, 0x01, 0x04, 0x04, 0x0a, 0x00, 0x01, 0,   0,
                                 0,    0x02, 0,    0,    0,    'H',  'e',  'l', 'l',
                                 'o',  'W',  'o',  'r',  'l',  'd',  'F',  'o', 'o',
                                 'b',  'a',  'r',  'A',  'B',  'C',  'D',  'E', 'F'};
    fl_pq_vec_reset(&v, 0);
    assert_int_equal(fl_pq_decode_delta_length(dl, sizeof(dl), 4, &v, &used, &err), FL_OK);
    assert_int_equal(used, sizeof(dl));
    const uint8_t *p = fl_pq_vec_bytes(&v, 2, &n);
    assert_int_equal(n, 6);
    assert_memory_equal(p, "Foobar", 6);
    fl_pq_vec_reset(&v, 0);
    assert_int_equal(fl_pq_decode_delta_length(dl, sizeof(dl) - 1, 4, &v, &used, &err),
                     FL_ERR_CORRUPT);
    /* "axis", "axle", "babble", "babyhood": prefixes 0,2,0,3, suffixes 4,2,6,5 */
    static const uint8_t db[] = {
        0x80, 0x01, 0x04, 0x04, 0x00, 0x03, 0x03, 0,    0,    0,    0x44, 0x01, 0,    0,   0,   0,
        0,    0,    0,    0,    0,    0,    0x80, 0x01, 0x04, 0x04, 0x08, 0x03, 0x03, 0,   0,   0,
        0x70, 0x00, 0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    'a',  'x', 'i', 's',
        'l',  'e',  'b',  'a',  'b',  'b',  'l',  'e',  'y',  'h',  'o',  'o',  'd'};
    static const char *want[] = {"axis", "axle", "babble", "babyhood"};
    fl_pq_vec_reset(&v, 0);
    err.code = FL_OK;
    assert_int_equal(
        fl_pq_decode_delta_byte_array(FL_PQ_BYTE_ARRAY, 0, db, sizeof(db), 4, &v, &err), FL_OK);
    for (int i = 0; i < 4; i++) {
        p = fl_pq_vec_bytes(&v, (size_t)i, &n);
        assert_int_equal(n, strlen(want[i]));
        assert_memory_equal(p, want[i], n);
    }
    /* as FIXED_LEN_BYTE_ARRAY(4) only the first two fit: the third fails */
    fl_pq_vec_reset(&v, 4);
    assert_int_equal(
        fl_pq_decode_delta_byte_array(FL_PQ_FIXED_LEN_BYTE_ARRAY, 4, db, sizeof(db), 4, &v, &err),
        FL_ERR_CORRUPT);
    /* a first prefix of 1 is longer than the (empty) previous value */
    uint8_t bad[sizeof(db)];
    memcpy(bad, db, sizeof(db));
    bad[4] = 0x02;
    fl_pq_vec_reset(&v, 0);
    err.code = FL_OK;
    assert_int_equal(
        fl_pq_decode_delta_byte_array(FL_PQ_BYTE_ARRAY, 0, bad, sizeof(bad), 4, &v, &err),
        FL_ERR_CORRUPT);
    fl_pq_vec_fini(&v);
}

static void test_byte_stream_split(void **state) {
    (void)state;
    struct fl_pq_vec v;
    struct fl_error err = {0};
    fl_pq_vec_init(&v, 1 << 20);
    /* Encodings.md example */
    static const uint8_t in[] = {0xaa, 0x00, 0xa3, 0xbb, 0x11, 0xb4,
                                 0xcc, 0x22, 0xc5, 0xdd, 0x33, 0xd6};
    static const uint8_t want[] = {0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x11,
                                   0x22, 0x33, 0xa3, 0xb4, 0xc5, 0xd6};
    fl_pq_vec_reset(&v, 4);
    assert_int_equal(fl_pq_decode_byte_stream_split(FL_PQ_FLOAT, 0, in, sizeof(in), 3, &v, &err),
                     FL_OK);
    assert_memory_equal(v.data.data, want, sizeof(want));
    fl_pq_vec_reset(&v, 4);
    assert_int_equal(fl_pq_decode_byte_stream_split(FL_PQ_INT32, 0, in, sizeof(in), 3, &v, &err),
                     FL_OK);
    fl_pq_vec_reset(&v, 6);
    assert_int_equal(
        fl_pq_decode_byte_stream_split(FL_PQ_FIXED_LEN_BYTE_ARRAY, 6, in, sizeof(in), 2, &v, &err),
        FL_OK);
    assert_int_equal(v.data.data[1], 0xa3);
    fl_pq_vec_reset(&v, 8);
    assert_int_equal(fl_pq_decode_byte_stream_split(FL_PQ_DOUBLE, 0, in, sizeof(in), 2, &v, &err),
                     FL_ERR_CORRUPT);
    err.code = FL_OK;
    assert_int_equal(
        fl_pq_decode_byte_stream_split(FL_PQ_BYTE_ARRAY, 0, in, sizeof(in), 2, &v, &err),
        FL_ERR_CORRUPT);
    fl_pq_vec_fini(&v);
}

static void test_vec_cap(void **state) {
    (void)state;
    struct fl_pq_vec v;
    struct fl_error err = {0};
    uint8_t zeros[64] = {0};
    fl_pq_vec_init(&v, 16);
    fl_pq_vec_reset(&v, 8);
    assert_int_equal(fl_pq_decode_plain(FL_PQ_INT64, 0, zeros, 64, 8, &v, NULL, &err),
                     FL_ERR_LIMIT);
    fl_pq_vec_fini(&v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thrift_fields), cmocka_unit_test(test_thrift_malformed),
        cmocka_unit_test(test_page_header),   cmocka_unit_test(test_rle),
        cmocka_unit_test(test_levels),        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_dict),          cmocka_unit_test(test_delta_binary),
        cmocka_unit_test(test_delta_strings), cmocka_unit_test(test_byte_stream_split),
        cmocka_unit_test(test_vec_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
