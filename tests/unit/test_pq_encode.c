/*
 * test_pq_encode.c - Thrift compact encoding, RLE/bit-packed hybrid,
 * DELTA_BINARY_PACKED and the dictionary builder, against byte sequences
 * computed by hand from the Thrift compact protocol spec and Encodings.md,
 * plus round trips through small decoders written here from the spec.
 */
#include "core/buf.h"
#include "core/varint.h"
#include "format/parquet/bounds.h"
#include "format/parquet/encode.h"
#include "format/parquet/thrift_write.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void expect_bytes(const struct fl_buf *b, const uint8_t *want, size_t n) {
    assert_int_equal(b->len, n);
    assert_memory_equal(b->data, want, n);
}

/* ---- thrift ---- */

static void test_thrift_scalars(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    struct fl_thrift_enc enc;
    fl_thrift_enc_init(&enc, &b);
    fl_thrift_enc_i32(&enc, 1, 1);          /* 0x15 zigzag(1)=2 */
    fl_thrift_enc_bool(&enc, 2, true);      /* delta 1: 0x11 */
    fl_thrift_enc_bool(&enc, 3, false);     /* 0x12 */
    fl_thrift_enc_string(&enc, 4, "abc");   /* 0x18 03 'abc' */
    fl_thrift_enc_i64(&enc, 20, -1);        /* delta 16: long form 0x06 zigzag(20)=0x28, 01 */
    fl_thrift_enc_i64(&enc, 21, INT64_MIN); /* 0x16 ff*9 01 */
    fl_thrift_enc_i8(&enc, 22, -2);         /* 0x13 fe */
    fl_thrift_enc_i16(&enc, 23, 300);       /* 0x14 zigzag(300)=600: d8 04 */
    fl_thrift_enc_double(&enc, 24, 1.0);    /* 0x17 00..f0 3f */
    assert_int_equal(fl_thrift_enc_finish(&enc), FL_OK);
    const uint8_t want[] = {0x15, 0x02, 0x11, 0x12, 0x18, 0x03, 'a',  'b',  'c',  0x06,
                            0x28, 0x01, 0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                            0xff, 0xff, 0x01, 0x13, 0xfe, 0x14, 0xd8, 0x04, 0x17, 0,
                            0,    0,    0,    0,    0,    0xf0, 0x3f, 0x00};
    expect_bytes(&b, want, sizeof(want));
    fl_buf_fini(&b);
}

static void test_thrift_nested(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    struct fl_thrift_enc enc;
    fl_thrift_enc_init(&enc, &b);
    fl_thrift_enc_i32(&enc, 5, 0);                       /* 0x55 00 */
    fl_thrift_enc_i32(&enc, 3, 7);                       /* negative delta: 0x05 06 0e */
    fl_thrift_enc_struct_begin(&enc, 4);                 /* 0x1c */
    fl_thrift_enc_i32(&enc, 1, 5);                       /* 0x15 0a */
    fl_thrift_enc_empty_struct(&enc, 2);                 /* 0x1c 00 */
    fl_thrift_enc_struct_end(&enc);                      /* 00 */
    fl_thrift_enc_list_begin(&enc, 5, FL_THRIFT_I32, 3); /* 0x19 0x35 */
    fl_thrift_enc_elem_i32(&enc, 1);
    fl_thrift_enc_elem_i32(&enc, -1);
    fl_thrift_enc_elem_i32(&enc, 2);                        /* 02 01 04 */
    fl_thrift_enc_list_begin(&enc, 6, FL_THRIFT_STRUCT, 1); /* 0x19 0x1c */
    fl_thrift_enc_elem_struct_begin(&enc);
    fl_thrift_enc_bool(&enc, 1, true);                    /* 0x11 */
    fl_thrift_enc_struct_end(&enc);                       /* 00 */
    fl_thrift_enc_list_begin(&enc, 7, FL_THRIFT_BOOL, 2); /* 0x19 0x22 */
    fl_thrift_enc_elem_bool(&enc, true);
    fl_thrift_enc_elem_bool(&enc, false); /* 01 00 */
    assert_int_equal(fl_thrift_enc_finish(&enc), FL_OK);
    const uint8_t want[] = {0x55, 0x00, 0x05, 0x06, 0x0e, 0x1c, 0x15, 0x0a, 0x1c,
                            0x00, 0x00, 0x19, 0x35, 0x02, 0x01, 0x04, 0x19, 0x1c,
                            0x11, 0x00, 0x19, 0x22, 0x01, 0x00, 0x00};
    expect_bytes(&b, want, sizeof(want));
    fl_buf_fini(&b);
}

static void test_thrift_long_list(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    struct fl_thrift_enc enc;
    fl_thrift_enc_init(&enc, &b);
    fl_thrift_enc_list_begin(&enc, 1, FL_THRIFT_I64, 20);             /* 0x19 0xf6 0x14 */
    for (int i = 0; i < 20; i++) fl_thrift_enc_elem_i64(&enc, 50399); /* zigzag 100798 */
    fl_thrift_enc_list_begin(&enc, 2, FL_THRIFT_BINARY, 0);           /* 0x19 0x08 */
    assert_int_equal(fl_thrift_enc_finish(&enc), FL_OK);
    assert_int_equal(b.len, 3 + 20 * 3 + 2 + 1);
    const uint8_t head[] = {0x19, 0xf6, 0x14, 0xbe, 0x93, 0x06};
    assert_memory_equal(b.data, head, sizeof(head));
    fl_buf_fini(&b);
}

static void test_thrift_limits(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, 4);
    struct fl_thrift_enc enc;
    fl_thrift_enc_init(&enc, &b);
    fl_thrift_enc_string(&enc, 1, "too long for four bytes");
    fl_thrift_enc_i32(&enc, 2, 1);
    assert_int_equal(fl_thrift_enc_finish(&enc), FL_ERR_LIMIT);
    fl_buf_fini(&b);
    /* unbalanced struct */
    fl_buf_init(&b, FL_BUF_NOMAX);
    fl_thrift_enc_init(&enc, &b);
    fl_thrift_enc_struct_begin(&enc, 1);
    assert_int_equal(fl_thrift_enc_finish(&enc), FL_ERR_INVALID);
    fl_buf_fini(&b);
}

/* ---- RLE / bit-packed hybrid ---- */

static void test_bit_width(void **state) {
    (void)state;
    assert_int_equal(fl_pq_bit_width(0), 0);
    assert_int_equal(fl_pq_bit_width(1), 1);
    assert_int_equal(fl_pq_bit_width(7), 3);
    assert_int_equal(fl_pq_bit_width(8), 4);
    assert_int_equal(fl_pq_bit_width(UINT64_MAX), 64);
}

static void test_plain_bool(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    const uint8_t v[] = {1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1};
    assert_int_equal(fl_pq_plain_encode_bool(v, sizeof(v), &b), FL_OK);
    const uint8_t want[] = {0x8d, 0x05};
    expect_bytes(&b, want, 2);
    fl_buf_fini(&b);
}

static void test_rle_spec_example(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    /* Encodings.md: 0..7 with bit width 3 packs to 10001000 11000110 11111010 */
    const uint32_t v[] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_int_equal(fl_pq_rle_encode_u32(v, 8, 3, &b), FL_OK);
    const uint8_t want[] = {0x03, 0x88, 0xc6, 0xfa};
    expect_bytes(&b, want, sizeof(want));
    fl_buf_fini(&b);
}

static void test_rle_runs(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    /* 10 x 5 at width 3: one RLE run, header 10<<1 = 0x14, value in 1 byte */
    uint32_t v[32];
    for (int i = 0; i < 10; i++) v[i] = 5;
    assert_int_equal(fl_pq_rle_encode_u32(v, 10, 3, &b), FL_OK);
    const uint8_t w1[] = {0x14, 0x05};
    expect_bytes(&b, w1, 2);

    /* 1,2,3 then 20 x 4: literals padded to 8 by borrowing five 4s,
     * then an RLE run of 15 (header 30 = 0x1e) */
    fl_buf_reset(&b);
    v[0] = 1, v[1] = 2, v[2] = 3;
    for (int i = 3; i < 23; i++) v[i] = 4;
    assert_int_equal(fl_pq_rle_encode_u32(v, 23, 3, &b), FL_OK);
    const uint8_t w2[] = {0x03, 0xd1, 0x48, 0x92, 0x1e, 0x04};
    expect_bytes(&b, w2, sizeof(w2));

    /* 3 values only: one bit-packed group, zero padded */
    fl_buf_reset(&b);
    assert_int_equal(fl_pq_rle_encode_u32(v, 3, 3, &b), FL_OK);
    const uint8_t w3[] = {0x03, 0xd1, 0x00, 0x00};
    expect_bytes(&b, w3, sizeof(w3));

    /* a value wider than a byte: run value takes 2 bytes little-endian */
    fl_buf_reset(&b);
    for (int i = 0; i < 8; i++) v[i] = 0x1234;
    assert_int_equal(fl_pq_rle_encode_u32(v, 8, 13, &b), FL_OK);
    const uint8_t w4[] = {0x10, 0x34, 0x12};
    expect_bytes(&b, w4, sizeof(w4));

    /* bit width 0 (a one-entry dictionary) */
    fl_buf_reset(&b);
    for (int i = 0; i < 20; i++) v[i] = 0;
    assert_int_equal(fl_pq_rle_encode_u32(v, 20, 0, &b), FL_OK);
    const uint8_t w5[] = {0x28};
    expect_bytes(&b, w5, sizeof(w5));
    fl_buf_fini(&b);
}

/* Decoder written from the grammar in Encodings.md, for round trips. */
static size_t rle_decode(const uint8_t *p, size_t len, int w, uint32_t *out, size_t n) {
    size_t pos = 0, got = 0;
    while (got < n) {
        uint64_t h = 0;
        size_t k = fl_varint_get_u64(p + pos, len - pos, &h);
        assert_true(k > 0);
        pos += k;
        if (h & 1) {
            size_t cnt = (size_t)(h >> 1) * 8;
            uint64_t acc = 0;
            int bits = 0;
            for (size_t i = 0; i < cnt; i++) {
                while (bits < w) {
                    assert_true(pos < len);
                    acc |= (uint64_t)p[pos++] << bits;
                    bits += 8;
                }
                uint32_t x = w ? (uint32_t)(acc & ((1ull << w) - 1)) : 0;
                acc = w ? acc >> w : acc;
                bits -= w;
                if (got < n)
                    out[got++] = x;
                else
                    assert_int_equal(x, 0); /* padding must be zero */
            }
        } else {
            size_t cnt = (size_t)(h >> 1);
            uint32_t x = 0;
            for (int i = 0; i < (w + 7) / 8; i++) x |= (uint32_t)p[pos++] << (8 * i);
            assert_true(cnt >= 1 && got + cnt <= n);
            for (size_t i = 0; i < cnt; i++) out[got++] = x;
        }
    }
    return pos;
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_rle_roundtrip(void **state) {
    (void)state;
    enum { N = 5000 };
    uint32_t *v = malloc(N * sizeof(uint32_t)), *d = malloc(N * sizeof(uint32_t));
    uint8_t *v8 = malloc(N), *bits = calloc(N / 8 + 1, 1);
    struct fl_buf b, b2;
    fl_buf_init(&b, FL_BUF_NOMAX);
    fl_buf_init(&b2, FL_BUF_NOMAX);
    for (int w = 0; w <= 32; w++) {
        for (int trial = 0; trial < 4; trial++) {
            size_t n = 1 + rnd() % N;
            uint32_t mask = w == 32 ? UINT32_MAX : (uint32_t)((1ull << w) - 1);
            for (size_t i = 0; i < n; i++) {
                /* runs of random length mixed with noise */
                if (i && rnd() % 4)
                    v[i] = v[i - 1];
                else
                    v[i] = (uint32_t)rnd() & mask;
            }
            fl_buf_reset(&b);
            assert_int_equal(fl_pq_rle_encode_u32(v, n, w, &b), FL_OK);
            assert_int_equal(rle_decode(b.data, b.len, w, d, n), b.len);
            assert_memory_equal(v, d, n * sizeof(uint32_t));
            if (w == 1) {
                memset(bits, 0, N / 8 + 1);
                for (size_t i = 0; i < n; i++) {
                    v8[i] = (uint8_t)v[i];
                    if (v[i]) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
                }
                fl_buf_reset(&b2);
                assert_int_equal(fl_pq_rle_encode_bits(bits, n, &b2), FL_OK);
                expect_bytes(&b2, b.data, b.len);
                fl_buf_reset(&b2);
                assert_int_equal(fl_pq_rle_encode_u8(v8, n, 1, &b2), FL_OK);
                expect_bytes(&b2, b.data, b.len);
            }
        }
    }
    /* long all-ones bitmap (a column without nulls): one RLE run */
    memset(bits, 0xff, N / 8 + 1);
    fl_buf_reset(&b);
    assert_int_equal(fl_pq_rle_encode_bits(bits, 4001, &b), FL_OK);
    const uint8_t want[] = {0xc2, 0x3e, 0x01}; /* varint(8002), value 1 */
    expect_bytes(&b, want, sizeof(want));
    fl_buf_fini(&b);
    fl_buf_fini(&b2);
    free(v), free(d), free(v8), free(bits);
}

/* ---- DELTA_BINARY_PACKED ---- */

static void test_delta_spec_examples(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    /* Example 1: 1..5, block 8, 1 miniblock: header 8 1 5 zz(1)=2;
     * block: min delta zz(1)=2, width 0, no data */
    const int64_t e1[] = {1, 2, 3, 4, 5};
    assert_int_equal(fl_pq_delta_encode_i64_geom(e1, 5, 8, 1, &b), FL_OK);
    const uint8_t w1[] = {8, 1, 5, 2, 2, 0};
    expect_bytes(&b, w1, sizeof(w1));
    /* Example 2: 7 5 3 1 2 3 4 5: header 8 1 8 zz(7)=14; block: zz(-2)=3,
     * width 2, 0,0,0,3,3,3,3 (+ one zero of padding) packed on 2 bits */
    fl_buf_reset(&b);
    const int64_t e2[] = {7, 5, 3, 1, 2, 3, 4, 5};
    assert_int_equal(fl_pq_delta_encode_i64_geom(e2, 8, 8, 1, &b), FL_OK);
    const uint8_t w2[] = {8, 1, 8, 14, 3, 2, 0xc0, 0x3f};
    expect_bytes(&b, w2, sizeof(w2));
    /* the real geometry: 128 values per block, 4 miniblocks; 5 values use
     * one miniblock of 32 and three zero widths */
    fl_buf_reset(&b);
    assert_int_equal(fl_pq_delta_encode_i64(e1, 5, &b), FL_OK);
    const uint8_t w3[] = {0x80, 0x01, 4, 5, 2, 2, 0, 0, 0, 0};
    expect_bytes(&b, w3, sizeof(w3));
    /* empty and single value: header only */
    fl_buf_reset(&b);
    assert_int_equal(fl_pq_delta_encode_i64(e1, 1, &b), FL_OK);
    const uint8_t w4[] = {0x80, 0x01, 4, 1, 2};
    expect_bytes(&b, w4, sizeof(w4));
    fl_buf_fini(&b);
}

static int64_t zz_get(const uint8_t *p, size_t len, size_t *pos) {
    uint64_t v = 0;
    size_t k = fl_varint_get_u64(p + *pos, len - *pos, &v);
    assert_true(k > 0);
    *pos += k;
    return fl_zigzag_dec64(v);
}

static uint64_t uv_get(const uint8_t *p, size_t len, size_t *pos) {
    uint64_t v = 0;
    size_t k = fl_varint_get_u64(p + *pos, len - *pos, &v);
    assert_true(k > 0);
    *pos += k;
    return v;
}

/* Decoder from Encodings.md; is32 wraps in 32 bits like an INT32 reader. */
static size_t delta_decode(const uint8_t *p, size_t len, int64_t *out, size_t *nout, bool is32) {
    size_t pos = 0;
    uint64_t block = uv_get(p, len, &pos), mbs = uv_get(p, len, &pos);
    uint64_t total = uv_get(p, len, &pos);
    int64_t cur = zz_get(p, len, &pos);
    size_t mb_size = (size_t)(block / mbs), got = 0;
    if (total) out[got++] = cur;
    while (got < total) {
        int64_t min = zz_get(p, len, &pos);
        const uint8_t *widths = p + pos;
        pos += mbs;
        for (size_t m = 0; m < mbs && got < total; m++) {
            int w = widths[m];
            if (is32) assert_true(w <= 32);
            for (size_t i = 0; i < mb_size; i++) {
                uint64_t x = 0;
                size_t bitpos = i * (size_t)w;
                for (int k = 0; k < w; k++) {
                    size_t bp = bitpos + (size_t)k;
                    x |= (uint64_t)((p[pos + bp / 8] >> (bp % 8)) & 1) << k;
                }
                if (got < total) {
                    cur = (int64_t)((uint64_t)cur + (uint64_t)min + x);
                    if (is32) cur = (int32_t)(uint32_t)cur;
                    out[got++] = cur;
                }
            }
            pos += mb_size * (size_t)w / 8;
        }
    }
    *nout = got;
    return pos;
}

static void test_delta_roundtrip(void **state) {
    (void)state;
    enum { N = 3000 };
    int64_t *v = malloc(N * sizeof(int64_t)), *d = malloc(N * sizeof(int64_t));
    int32_t *v32 = malloc(N * sizeof(int32_t));
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    for (int trial = 0; trial < 40; trial++) {
        size_t n = trial < 3 ? (size_t)trial : 1 + rnd() % N;
        for (size_t i = 0; i < n; i++) {
            switch (trial % 4) {
            case 0:
                v[i] = (int64_t)rnd();
                break; /* full range */
            case 1:
                v[i] = 1700000000000000ll + (int64_t)i * 1000 + (int64_t)(rnd() % 7);
                break;
            case 2:
                v[i] = (rnd() & 1) ? INT64_MIN : INT64_MAX;
                break; /* extremes */
            default:
                v[i] = -(int64_t)i * 86400000000ll;
                break; /* before 1970 */
            }
        }
        fl_buf_reset(&b);
        assert_int_equal(fl_pq_delta_encode_i64(v, n, &b), FL_OK);
        size_t got;
        assert_int_equal(delta_decode(b.data, b.len, d, &got, false), b.len);
        assert_int_equal(got, n);
        assert_memory_equal(v, d, n * sizeof(int64_t));

        for (size_t i = 0; i < n; i++) {
            v32[i] = trial % 4 == 2 ? ((rnd() & 1) ? INT32_MIN : INT32_MAX) : (int32_t)v[i];
            v[i] = v32[i];
        }
        fl_buf_reset(&b);
        assert_int_equal(fl_pq_delta_encode_i32(v32, n, &b), FL_OK);
        assert_int_equal(delta_decode(b.data, b.len, d, &got, true), b.len);
        assert_int_equal(got, n);
        assert_memory_equal(v, d, n * sizeof(int64_t));
    }
    fl_buf_fini(&b);
    free(v), free(d), free(v32);
}

/* ---- dictionary ---- */

static void test_dict_fixed(void **state) {
    (void)state;
    struct fl_pq_dict dict;
    fl_pq_dict_init(&dict, 8);
    enum { N = 100000 };
    int64_t *v = malloc(N * sizeof(int64_t));
    uint32_t *idx = malloc(N * sizeof(uint32_t));
    for (int i = 0; i < N; i++) v[i] = (int64_t)(i % 5000) * 7919 - 1000000;
    assert_int_equal(fl_pq_dict_put_fixed(&dict, (const uint8_t *)v, N, idx), FL_OK);
    assert_int_equal(dict.n, 5000);
    assert_int_equal(fl_pq_dict_bytes(&dict), 5000 * 8);
    for (int i = 0; i < N; i++) {
        assert_int_equal(idx[i], i % 5000);
        assert_memory_equal(dict.values.data + (size_t)idx[i] * 8, &v[i], 8);
    }
    /* -0.0 and +0.0 are distinct entries, equal NaN bits one entry */
    fl_pq_dict_reset(&dict);
    double dv[4] = {0.0, -0.0, __builtin_nan(""), __builtin_nan("")};
    assert_int_equal(fl_pq_dict_put_fixed(&dict, (const uint8_t *)dv, 4, idx), FL_OK);
    assert_int_equal(dict.n, 3);
    assert_int_equal(idx[3], idx[2]);
    fl_pq_dict_fini(&dict);
    free(v), free(idx);
}

static void test_dict_bytes(void **state) {
    (void)state;
    struct fl_pq_dict dict;
    fl_pq_dict_init(&dict, 0);
    const char *s[] = {"oslo", "", "lima", "oslo", "", "a much longer city name than eight"};
    uint32_t want[] = {0, 1, 2, 0, 1, 3}, idx;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(fl_pq_dict_put_bytes(&dict, (const uint8_t *)s[i], strlen(s[i]), &idx),
                         FL_OK);
        assert_int_equal(idx, want[i]);
    }
    assert_int_equal(dict.n, 4);
    const uint8_t head[] = {4, 0, 0, 0, 'o', 's', 'l', 'o', 0, 0, 0, 0, 4, 0, 0, 0, 'l'};
    assert_memory_equal(dict.values.data, head, sizeof(head));
    /* many entries force the table to grow */
    char key[32];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(fl_pq_dict_put_bytes(&dict, (const uint8_t *)key, (size_t)n, &idx), FL_OK);
        assert_int_equal(idx, 4 + i);
    }
    for (int i = 0; i < 20000; i += 97) {
        int n = snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(fl_pq_dict_put_bytes(&dict, (const uint8_t *)key, (size_t)n, &idx), FL_OK);
        assert_int_equal(idx, 4 + i);
    }
    fl_pq_dict_fini(&dict);
}

/* ---- statistics bounds ---- */

static void test_bounds(void **state) {
    (void)state;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    bool exact;
    /* short values are kept */
    fl_pq_bound_max(true, (const uint8_t *)"abc", 3, 4, &b, &exact);
    assert_true(exact);
    expect_bytes(&b, (const uint8_t *)"abc", 3);
    /* binary: prefix, last byte below 0xff incremented */
    const uint8_t bin[] = {0x01, 0xfe, 0xff, 0x00, 0x00};
    fl_pq_bound_max(false, bin, 5, 3, &b, &exact);
    assert_false(exact);
    const uint8_t wbin[] = {0x01, 0xff};
    expect_bytes(&b, wbin, 2);
    fl_pq_bound_min(false, bin, 5, 3, &b, &exact);
    assert_false(exact);
    expect_bytes(&b, bin, 3);
    /* all 0xff: nothing to increment, the value itself */
    const uint8_t ff[] = {0xff, 0xff, 0xff};
    fl_pq_bound_max(false, ff, 3, 2, &b, &exact);
    assert_true(exact);
    expect_bytes(&b, ff, 3);
    /* UTF-8: U+007F becomes U+0080 (two bytes) */
    fl_pq_bound_max(true, (const uint8_t *)"a\x7fzz", 4, 2, &b, &exact);
    assert_false(exact);
    expect_bytes(&b, (const uint8_t *)"a\xc2\x80", 3);
    /* U+D7FF steps over the surrogates to U+E000 */
    fl_pq_bound_max(true, (const uint8_t *)"\xed\x9f\xbfzz", 5, 3, &b, &exact);
    expect_bytes(&b, (const uint8_t *)"\xee\x80\x80", 3);
    /* a cut inside "é" (c3 a9) backs off to the boundary */
    fl_pq_bound_min(true,
                    (const uint8_t *)"a\xc3\xa9"
                                     "b",
                    4, 2, &b, &exact);
    expect_bytes(&b, (const uint8_t *)"a", 1);
    fl_pq_bound_max(true,
                    (const uint8_t *)"a\xc3\xa9"
                                     "b",
                    4, 2, &b, &exact);
    expect_bytes(&b, (const uint8_t *)"b", 1);
    /* maxlen 0: never truncate */
    fl_pq_bound_min(true, (const uint8_t *)"abcdef", 6, 0, &b, &exact);
    assert_true(exact);
    assert_int_equal(b.len, 6);
    fl_buf_fini(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thrift_scalars),   cmocka_unit_test(test_thrift_nested),
        cmocka_unit_test(test_thrift_long_list), cmocka_unit_test(test_thrift_limits),
        cmocka_unit_test(test_bit_width),        cmocka_unit_test(test_plain_bool),
        cmocka_unit_test(test_rle_spec_example), cmocka_unit_test(test_rle_runs),
        cmocka_unit_test(test_rle_roundtrip),    cmocka_unit_test(test_delta_spec_examples),
        cmocka_unit_test(test_delta_roundtrip),  cmocka_unit_test(test_dict_fixed),
        cmocka_unit_test(test_dict_bytes),       cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
