/*
 * test_pq_writer.c - the Parquet writer: every type x encoding mode x codec
 * x page version with nulls and extremes, statistics (integer order, float
 * NaN and zero rules, byte-array truncation), errors, and file output.
 *
 * With FLOE_PQ_OUT=<dir> the matrix files are kept in <dir> for checking
 * with other readers (the generator below is mirrored in SQL by the DuckDB
 * check described in docs/internals/parquet-writer.md).
 */
#include "batch/batch.h"
#include "batch/batch_json.h"
#include "core/buf.h"
#include "core/endian.h"
#include "format/parquet/codec.h"
#include "format/parquet/reader.h"
#include "format/parquet/writer.h"
#include "core/schema.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static const char *ALL_TYPES =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"b\",\"required\":true,\"type\":\"boolean\"},"
    "{\"id\":3,\"name\":\"n_int\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":4,\"name\":\"l\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":5,\"name\":\"f\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":6,\"name\":\"d\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":7,\"name\":\"dec9\",\"required\":false,\"type\":\"decimal(9, 2)\"},"
    "{\"id\":8,\"name\":\"dec18\",\"required\":true,\"type\":\"decimal(18, 3)\"},"
    "{\"id\":9,\"name\":\"dec38\",\"required\":false,\"type\":\"decimal(38, 10)\"},"
    "{\"id\":10,\"name\":\"dec20\",\"required\":false,\"type\":\"decimal(20, 0)\"},"
    "{\"id\":11,\"name\":\"dt\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":12,\"name\":\"tm\",\"required\":true,\"type\":\"time\"},"
    "{\"id\":13,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":14,\"name\":\"tstz\",\"required\":true,\"type\":\"timestamptz\"},"
    "{\"id\":15,\"name\":\"s\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":16,\"name\":\"bin\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":17,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
    "{\"id\":18,\"name\":\"fx\",\"required\":true,\"type\":\"fixed[5]\"}]}";

#define NROWS 3000

static __int128 pow10_128(int n) {
    __int128 v = 1;
    while (n--) v *= 10;
    return v;
}

/* Appends row i of the generator to every column. */
static void gen_row(struct fl_batch *bt, int64_t i) {
    struct fl_col *c = bt->cols;
    char sbuf[128];
    uint8_t bytes[16];
    assert_int_equal(fl_col_append_i64(&c[0], i), FL_OK);
    assert_int_equal(fl_col_append_bool(&c[1], i % 3 == 0), FL_OK);
    if (i % 7 == 0)
        fl_col_append_null(&c[2]);
    else
        fl_col_append_i32(&c[2], i % 11 == 1   ? INT32_MIN
                                 : i % 11 == 2 ? INT32_MAX
                                               : (int32_t)(i * 37 - 50000));
    if (i % 13 == 0)
        fl_col_append_null(&c[3]);
    else
        fl_col_append_i64(&c[3], i % 13 == 1   ? INT64_MIN
                                 : i % 13 == 2 ? INT64_MAX
                                               : i * 1000003 - 500000000);
    if (i % 5 == 0)
        fl_col_append_null(&c[4]);
    else
        fl_col_append_f32(&c[4], i % 17 == 1   ? NAN
                                 : i % 17 == 2 ? -0.0f
                                 : i % 17 == 3 ? INFINITY
                                               : (float)((double)(i % 100) * 0.25 - 10));
    if (i % 6 == 0)
        fl_col_append_null(&c[5]);
    else
        fl_col_append_f64(&c[5], i % 19 == 1   ? NAN
                                 : i % 19 == 2 ? -0.0
                                 : i % 19 == 3 ? -INFINITY
                                 : i % 19 == 4 ? 1e308
                                               : (double)i * 0.5 - 100);
    if (i % 8 == 0)
        fl_col_append_null(&c[6]);
    else
        fl_col_append_i128(&c[6], (i * 104729) % 1999999999 - 999999999);
    fl_col_append_i128(&c[7], i % 10 == 1   ? -999999999999999999ll
                              : i % 10 == 2 ? 999999999999999999ll
                                            : i * 1000000007 - 7);
    if (i % 9 == 0)
        fl_col_append_null(&c[8]);
    else {
        __int128 v = i % 23 == 1   ? -(pow10_128(38) - 1)
                     : i % 23 == 2 ? pow10_128(38) - 1
                                   : ((__int128)i * pow10_128(25) + i * 7) * (i % 2 ? 1 : -1);
        fl_col_append_i128(&c[8], v);
    }
    if (i % 4 == 1)
        fl_col_append_null(&c[9]);
    else
        fl_col_append_i128(&c[9], (__int128)i * 1000000000000007ll * (i % 2 ? 1 : -1));
    if (i % 4 == 0)
        fl_col_append_null(&c[10]);
    else
        fl_col_append_i32(&c[10], (int32_t)(i * 37 - 20000));
    fl_col_append_i64(&c[11], (i * 1000003) % 86400000000ll);
    if (i % 10 == 5)
        fl_col_append_null(&c[12]);
    else
        fl_col_append_i64(&c[12], i * 25200000000ll - 1000000000000000ll);
    fl_col_append_i64(&c[13], i * 1000 - 5000000);
    if (i % 10 == 3)
        fl_col_append_null(&c[14]);
    else if (i % 9 == 0)
        fl_col_append_bytes(&c[14], "", 0);
    else if (i % 50 == 7) {
        size_t n = 0;
        for (int k = 0; k < 40; k++) sbuf[n++] = (char)0xc3, sbuf[n++] = (char)0xa9; /* é */
        n += (size_t)snprintf(sbuf + n, sizeof(sbuf) - n, "%lld", (long long)i);
        fl_col_append_bytes(&c[14], sbuf, n);
    } else {
        int n = snprintf(sbuf, sizeof(sbuf), "city_%lld", (long long)(i % 10));
        fl_col_append_bytes(&c[14], sbuf, (size_t)n);
    }
    if (i % 12 == 11)
        fl_col_append_null(&c[15]);
    else {
        bytes[0] = (uint8_t)i, bytes[1] = (uint8_t)(i >> 8), bytes[2] = 0xff, bytes[3] = 0;
        fl_col_append_bytes(&c[15], bytes, (size_t)(i % 5));
    }
    if (i % 15 == 0)
        fl_col_append_null(&c[16]);
    else {
        for (int k = 0; k < 8; k++) bytes[k] = (uint8_t)((uint64_t)i >> (56 - 8 * k));
        static const uint8_t tail[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
        memcpy(bytes + 8, tail, 8);
        fl_col_append_bytes(&c[16], bytes, 16);
    }
    bytes[0] = (uint8_t)i, bytes[1] = 0, bytes[2] = 255, bytes[3] = (uint8_t)(i % 7), bytes[4] = 1;
    fl_col_append_bytes(&c[17], bytes, 5);
    assert_int_equal(fl_batch_end_row(bt), FL_OK);
}

static fl_err_t mem_sink(void *ctx, const void *data, size_t len) {
    return fl_buf_append(ctx, data, len);
}

static struct fl_schema *load_schema(const char *json) {
    struct fl_schema *s = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_schema_parse(json, strlen(json), &s, &err), FL_OK);
    return s;
}

/* Writes NROWS generator rows in batches of uneven sizes. */
static void write_all(struct fl_pq_writer *pqw, const struct fl_schema *schema, size_t nrows) {
    struct fl_batch *bt;
    struct fl_error err = {0};
    assert_int_equal(fl_batch_new(schema, 16, &bt, &err), FL_OK);
    static const size_t sizes[] = {1, 7, 1000, 13, 200000};
    size_t done = 0;
    for (int s = 0; done < nrows; s = (s + 1) % 5) {
        fl_batch_reset(bt);
        for (size_t k = 0; k < sizes[s] && done < nrows; k++, done++) gen_row(bt, (int64_t)done);
        fl_err_t rc = fl_pq_writer_add_batch(pqw, bt, &err);
        if (rc) fail_msg("add_batch: %s", err.msg);
    }
    fl_batch_free(bt);
}

static void check_file_shape(const struct fl_buf *b, const struct fl_pq_file_result *res) {
    assert_true(b->len > 12);
    assert_int_equal(res->file_size, (int64_t)b->len);
    assert_memory_equal(b->data, "PAR1", 4);
    assert_memory_equal(b->data + b->len - 4, "PAR1", 4);
    uint32_t flen = fl_le32(b->data + b->len - 8);
    assert_true(flen > 0 && flen <= b->len - 12);
}

/* Reads the file back with floe's reader and compares every value with
 * the generator's (bitwise for floats, so -0.0 and NaN payloads count). */
static void roundtrip(const struct fl_buf *file, const struct fl_batch *want) {
    struct fl_pq_reader *rd;
    struct fl_error err = {0};
    fl_err_t rc = fl_pq_reader_open_mem(file->data, file->len, &rd, &err);
    if (rc) fail_msg("reader open: %s", err.msg);
    const struct fl_schema *rs = fl_pq_reader_schema(rd);
    assert_int_equal(rs->nfields, want->ncols);
    for (int c = 0; c < rs->nfields; c++) {
        const struct fl_field *a = &rs->fields[c], *b = want->cols[c].field;
        assert_int_equal(a->id, b->id);
        assert_int_equal(a->type, b->type);
        assert_int_equal(a->required, b->required);
        assert_string_equal(a->name, b->name);
    }
    size_t row = 0;
    struct fl_batch *bt;
    while ((rc = fl_pq_reader_next(rd, &bt, &err)) == FL_OK) {
        assert_true(row + bt->nrows <= want->nrows);
        for (int c = 0; c < bt->ncols; c++) {
            const struct fl_col *got = &bt->cols[c], *exp = &want->cols[c];
            for (size_t i = 0; i < bt->nrows; i++) {
                bool gn = fl_col_is_null(got, i), en = fl_col_is_null(exp, row + i);
                if (gn != en) fail_msg("col %d row %zu: null %d, want %d", c, row + i, gn, en);
                if (gn) continue;
                if (exp->width) {
                    if (memcmp(got->values + i * got->width, exp->values + (row + i) * exp->width,
                               exp->width))
                        fail_msg("col %d (%s) row %zu differs", c, exp->field->name, row + i);
                } else {
                    size_t gl, el;
                    const uint8_t *g = fl_col_bytes(got, i, &gl),
                                  *e = fl_col_bytes(exp, row + i, &el);
                    if (gl != el || (el && memcmp(g, e, el)))
                        fail_msg("col %d (%s) row %zu differs", c, exp->field->name, row + i);
                }
            }
        }
        row += bt->nrows;
    }
    if (rc != FL_ERR_EOF) fail_msg("reader next: %s", err.msg);
    assert_int_equal(row, want->nrows);
    fl_pq_reader_free(rd);

    /* the page index lets the reader skip pages: id >= 2900 */
    assert_int_equal(fl_pq_reader_open_mem(file->data, file->len, &rd, &err), FL_OK);
    struct fl_pq_pred pred = {.field_id = 1, .op = FL_PQ_PRED_GE, .i64 = NROWS - 100};
    assert_int_equal(fl_pq_reader_add_pred(rd, &pred, &err), FL_OK);
    size_t kept = 0;
    bool saw_last = false;
    while ((rc = fl_pq_reader_next(rd, &bt, &err)) == FL_OK) {
        kept += bt->nrows;
        for (size_t i = 0; i < bt->nrows; i++) {
            int64_t id;
            memcpy(&id, bt->cols[0].values + 8 * i, 8);
            saw_last |= id == NROWS - 1;
        }
    }
    assert_int_equal(rc, FL_ERR_EOF);
    struct fl_pq_read_stats st;
    fl_pq_reader_stats(rd, &st);
    assert_true(saw_last);
    assert_true(kept < NROWS / 2);
    assert_true(st.row_groups_skipped > 0 || st.pages_skipped > 0);
    fl_pq_reader_free(rd);
}

static const char *enc_name(int e) {
    static const char *n[] = {"auto", "plain", "dict", "delta"};
    return n[e];
}

static void test_matrix(void **state) {
    (void)state;
    struct fl_schema *schema = load_schema(ALL_TYPES);
    const char *outdir = getenv("FLOE_PQ_OUT");
    static const int codecs[] = {FL_PQ_CODEC_UNCOMPRESSED, FL_PQ_CODEC_SNAPPY, FL_PQ_CODEC_GZIP,
                                 FL_PQ_CODEC_ZSTD, FL_PQ_CODEC_LZ4_RAW};
    /* expected per-column nulls and NaNs of the generator */
    int64_t nulls[18] = {0}, nans[18] = {0};
    for (int64_t i = 0; i < NROWS; i++) {
        nulls[2] += i % 7 == 0, nulls[3] += i % 13 == 0, nulls[4] += i % 5 == 0;
        nans[4] += i % 5 != 0 && i % 17 == 1;
        nulls[5] += i % 6 == 0, nans[5] += i % 6 != 0 && i % 19 == 1;
        nulls[6] += i % 8 == 0, nulls[8] += i % 9 == 0, nulls[9] += i % 4 == 1;
        nulls[10] += i % 4 == 0, nulls[12] += i % 10 == 5, nulls[14] += i % 10 == 3;
        nulls[15] += i % 12 == 11, nulls[16] += i % 15 == 0;
    }
    struct fl_batch *want;
    struct fl_error gerr = {0};
    assert_int_equal(fl_batch_new(schema, NROWS, &want, &gerr), FL_OK);
    for (int64_t i = 0; i < NROWS; i++) gen_row(want, i);
    for (int e = 0; e < 4; e++) {
        for (int c = 0; c < 5; c++) {
            for (int v = 1; v <= 2; v++) {
                struct fl_pq_writer_opts opts;
                fl_pq_writer_opts_default(&opts);
                opts.encoding = (fl_pq_enc_mode_t)e;
                opts.codec = codecs[c];
                opts.page_version = v;
                opts.page_size = 2048;
                opts.row_group_size = 40000;
                opts.dict_max = 4096;
                struct fl_pq_writer_kv kv[] = {{"iceberg.schema", "{}"}, {"floe.test", NULL}};
                opts.kv = kv;
                opts.nkv = 2;
                struct fl_buf out;
                fl_buf_init(&out, FL_BUF_NOMAX);
                struct fl_pq_writer *pqw;
                struct fl_error err = {0};
                fl_err_t rc = fl_pq_writer_new(schema, &opts, mem_sink, &out, &pqw, &err);
                if (rc) fail_msg("new: %s", err.msg);
                write_all(pqw, schema, NROWS);
                struct fl_pq_file_result res;
                rc = fl_pq_writer_close(pqw, &res, &err);
                if (rc) fail_msg("close: %s", err.msg);
                fl_pq_writer_free(pqw);
                check_file_shape(&out, &res);
                roundtrip(&out, want);
                assert_int_equal(res.record_count, NROWS);
                assert_true(res.nrow_groups > 1);
                assert_int_equal(res.ncols, 18);
                for (int k = 0; k < 18; k++) {
                    assert_int_equal(res.cols[k].field_id, k + 1);
                    assert_int_equal(res.cols[k].value_count, NROWS);
                    assert_int_equal(res.cols[k].null_count, nulls[k]);
                    assert_int_equal(res.cols[k].nan_count, nans[k]);
                    assert_true(res.cols[k].has_min_max);
                    assert_true(res.cols[k].column_size > 0);
                }
                /* long: INT64_MIN..INT64_MAX; double: -inf..1e308 */
                assert_int_equal((int64_t)fl_le64(res.cols[3].min), INT64_MIN);
                assert_int_equal((int64_t)fl_le64(res.cols[3].max), INT64_MAX);
                double dmin, dmax;
                memcpy(&dmin, res.cols[5].min, 8), memcpy(&dmax, res.cols[5].max, 8);
                assert_true(isinf(dmin) && dmin < 0);
                assert_true(dmax == 1e308);
                /* strings: "" is the minimum; the max "é..." is truncated */
                assert_int_equal(res.cols[14].min_len, 0);
                assert_true(res.cols[14].min_exact);
                assert_false(res.cols[14].max_exact);
                if (outdir) {
                    char path[512];
                    snprintf(path, sizeof(path), "%s/%s_%s_v%d.parquet", outdir, enc_name(e),
                             fl_pq_codec_name(codecs[c]), v);
                    FILE *fp = fopen(path, "wb");
                    assert_non_null(fp);
                    assert_int_equal(fwrite(out.data, 1, out.len, fp), out.len);
                    fclose(fp);
                }
                fl_pq_file_result_fini(&res);
                fl_buf_fini(&out);
            }
        }
    }
    fl_batch_free(want);
    fl_schema_free(schema);
}

/* One-column file from a callback that fills the batch. */
typedef void (*fill_fn)(struct fl_col *col, size_t i);

static void write_one(const char *type, bool required, size_t n, fill_fn fill,
                      const struct fl_pq_writer_opts *opts, struct fl_pq_file_result *res,
                      struct fl_buf *out) {
    char json[256];
    snprintf(json, sizeof(json),
             "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":7,\"name\":\"x\","
             "\"required\":%s,\"type\":\"%s\"}]}",
             required ? "true" : "false", type);
    struct fl_schema *schema = load_schema(json);
    struct fl_batch *bt;
    struct fl_error err = {0};
    assert_int_equal(fl_batch_new(schema, n, &bt, &err), FL_OK);
    for (size_t i = 0; i < n; i++) {
        fill(&bt->cols[0], i);
        assert_int_equal(fl_batch_end_row(bt), FL_OK);
    }
    struct fl_pq_writer *pqw;
    fl_buf_init(out, FL_BUF_NOMAX);
    assert_int_equal(fl_pq_writer_new(schema, opts, mem_sink, out, &pqw, &err), FL_OK);
    fl_err_t rc = fl_pq_writer_add_batch(pqw, bt, &err);
    if (rc) fail_msg("add: %s", err.msg);
    rc = fl_pq_writer_close(pqw, res, &err);
    if (rc) fail_msg("close: %s", err.msg);
    check_file_shape(out, res);
    fl_pq_writer_free(pqw);
    fl_batch_free(bt);
    fl_schema_free(schema);
}

static void fill_zeros(struct fl_col *col, size_t i) { fl_col_append_f64(col, i % 2 ? 0.0 : -0.0); }
static void fill_nans(struct fl_col *col, size_t i) {
    if (i % 3 == 0)
        fl_col_append_null(col);
    else
        fl_col_append_f32(col, NAN);
}
static void fill_nulls(struct fl_col *col, size_t i) {
    (void)i;
    fl_col_append_null(col);
}
static void fill_long_strings(struct fl_col *col, size_t i) {
    char s[200];
    memset(s, 'm', sizeof(s));
    if (i == 1) memset(s, 'a', sizeof(s));
    if (i == 2) { /* max: "zzzz" then U+10FFFF (F4 8F BF BF) up to byte 100 */
        memcpy(s, "zzzz", 4);
        for (int k = 4; k + 4 <= 100; k += 4)
            s[k] = (char)0xf4, s[k + 1] = (char)0x8f, s[k + 2] = (char)0xbf, s[k + 3] = (char)0xbf;
    }
    fl_col_append_bytes(col, s, 150);
}
static void fill_ff_binary(struct fl_col *col, size_t i) {
    uint8_t b[100];
    memset(b, i ? 0xff : 0x10, sizeof(b));
    b[3] = 0x7f;
    fl_col_append_bytes(col, b, sizeof(b));
}
static void fill_decfix(struct fl_col *col, size_t i) {
    fl_col_append_i128(col, i == 0 ? -5 : i == 1 ? 3 : (__int128)1 << 70);
}

static void test_stats_rules(void **state) {
    (void)state;
    struct fl_pq_writer_opts opts;
    fl_pq_writer_opts_default(&opts);
    struct fl_pq_file_result res;
    struct fl_buf out;

    /* zeros: min written -0.0, max +0.0 */
    write_one("double", true, 10, fill_zeros, &opts, &res, &out);
    double mn, mx;
    memcpy(&mn, res.cols[0].min, 8), memcpy(&mx, res.cols[0].max, 8);
    assert_true(mn == 0 && signbit(mn));
    assert_true(mx == 0 && !signbit(mx));
    assert_int_equal(res.cols[0].nan_count, 0);
    fl_pq_file_result_fini(&res), fl_buf_fini(&out);

    /* only NaN and null: no bounds, NaNs counted */
    write_one("float", false, 9, fill_nans, &opts, &res, &out);
    assert_false(res.cols[0].has_min_max);
    assert_int_equal(res.cols[0].nan_count, 6);
    assert_int_equal(res.cols[0].null_count, 3);
    fl_pq_file_result_fini(&res), fl_buf_fini(&out);

    /* all null */
    write_one("string", false, 5, fill_nulls, &opts, &res, &out);
    assert_false(res.cols[0].has_min_max);
    assert_int_equal(res.cols[0].null_count, 5);
    fl_pq_file_result_fini(&res), fl_buf_fini(&out);

    /* strings: truncation to 64 bytes on character boundaries */
    write_one("string", true, 3, fill_long_strings, &opts, &res, &out);
    assert_int_equal(res.cols[0].min_len, 64);
    assert_false(res.cols[0].min_exact);
    for (int k = 0; k < 64; k++) assert_int_equal(res.cols[0].min[k], 'a');
    /* max: the U+10FFFF of the 64-byte prefix cannot be incremented, so the
     * bound is "zzz{" */
    assert_false(res.cols[0].max_exact);
    assert_int_equal(res.cols[0].max_len, 4);
    assert_memory_equal(res.cols[0].max, "zzz{", 4);
    fl_pq_file_result_fini(&res), fl_buf_fini(&out);

    /* binary: max 0xff.. with 0x7f at 3 -> prefix of 4 bytes, last incremented */
    write_one("binary", true, 2, fill_ff_binary, &opts, &res, &out);
    assert_int_equal(res.cols[0].max_len, 4);
    const uint8_t want_max[] = {0xff, 0xff, 0xff, 0x80};
    assert_memory_equal(res.cols[0].max, want_max, 4);
    assert_int_equal(res.cols[0].min_len, 64);
    fl_pq_file_result_fini(&res), fl_buf_fini(&out);

    /* fixed-length decimal: signed order, big-endian bytes of 16 */
    write_one("decimal(38, 0)", true, 3, fill_decfix, &opts, &res, &out);
    assert_int_equal(res.cols[0].min_len, 16);
    assert_int_equal(res.cols[0].min[0], 0xff);
    assert_int_equal(res.cols[0].min[15], 0xfb);
    assert_int_equal(res.cols[0].max[7], 0x40);
    fl_pq_file_result_fini(&res), fl_buf_fini(&out);
}

static void test_empty(void **state) {
    (void)state;
    struct fl_schema *s = load_schema(ALL_TYPES);
    struct fl_buf out;
    fl_buf_init(&out, FL_BUF_NOMAX);
    struct fl_pq_writer *pqw;
    struct fl_error err = {0};
    assert_int_equal(fl_pq_writer_new(s, NULL, mem_sink, &out, &pqw, &err), FL_OK);
    struct fl_pq_file_result res;
    assert_int_equal(fl_pq_writer_close(pqw, &res, &err), FL_OK);
    check_file_shape(&out, &res);
    assert_int_equal(res.record_count, 0);
    assert_int_equal(res.nrow_groups, 0);
    assert_false(res.cols[0].has_min_max);
    struct fl_pq_reader *rd;
    assert_int_equal(fl_pq_reader_open_mem(out.data, out.len, &rd, &err), FL_OK);
    struct fl_batch *bt;
    assert_int_equal(fl_pq_reader_next(rd, &bt, &err), FL_ERR_EOF);
    fl_pq_reader_free(rd);
    const char *dir = getenv("FLOE_PQ_OUT");
    if (dir) {
        char path[512];
        snprintf(path, sizeof(path), "%s/empty.parquet", dir);
        FILE *fp = fopen(path, "wb");
        fwrite(out.data, 1, out.len, fp);
        fclose(fp);
    }
    fl_pq_file_result_fini(&res);
    fl_pq_writer_free(pqw);
    fl_buf_fini(&out);
    fl_schema_free(s);
}

/* Nested columns: struct, list, map (string and int keys, object and
 * entry-array input), list of lists, list of structs inside a struct;
 * nulls and empties at every level. Written under both page versions,
 * PLAIN and dictionary, small and large pages, then read back by floe's
 * reader to the canonical JSON; many rows make many pages, which must
 * start at row boundaries (the reader checks it). */
static const char *NESTED_SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"geo\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":5,\"name\":\"lat\",\"required\":true,\"type\":\"double\"},"
    "{\"id\":6,\"name\":\"lon\",\"required\":false,\"type\":\"double\"}]}},"
    "{\"id\":3,\"name\":\"tags\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":7,"
    "\"element\":\"string\",\"element-required\":false}},"
    "{\"id\":4,\"name\":\"attrs\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":8,"
    "\"key\":\"string\",\"value-id\":9,\"value\":\"long\",\"value-required\":false}},"
    "{\"id\":10,\"name\":\"matrix\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":"
    "11,\"element\":{\"type\":\"list\",\"element-id\":12,\"element\":\"int\",\"element-required\":"
    "true},\"element-required\":false}},"
    "{\"id\":13,\"name\":\"after\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":14,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":15,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":16,\"name\":\"items\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":"
    "17,"
    "\"element\":{\"type\":\"struct\",\"fields\":[{\"id\":18,\"name\":\"sku\",\"required\":true,"
    "\"type\":\"string\"},{\"id\":19,\"name\":\"qty\",\"required\":false,\"type\":\"int\"}]},"
    "\"element-required\":true}}]}},"
    "{\"id\":20,\"name\":\"imap\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":21,"
    "\"key\":\"int\",\"value-id\":22,\"value\":\"string\",\"value-required\":false}}]}";

static const char *const NESTED_IN[] = {
    "{\"id\":1,\"geo\":{\"lat\":52.5,\"lon\":13.4},\"tags\":[\"a\",\"b\"],\"attrs\":{\"x\":1,\"y\":"
    "null},\"matrix\":[[1,2],[],null,[3]],\"after\":{\"name\":\"n1\",\"ts\":\"2026-01-08T14:00:"
    "00Z\","
    "\"items\":[{\"sku\":\"s1\",\"qty\":2},{\"sku\":\"s2\"}]},\"imap\":[{\"key\":1,\"value\":"
    "\"one\"},"
    "{\"key\":2}]}",
    "{\"id\":2,\"geo\":null,\"tags\":[],\"attrs\":{},\"matrix\":[],\"after\":{\"items\":[]},"
    "\"imap\":"
    "{\"3\":\"three\"}}",
    "{\"id\":3}",
    "{\"id\":4,\"geo\":{\"lat\":-1.25},\"tags\":[null,\"c\"],\"after\":{\"name\":null,\"items\":"
    "null},"
    "\"unknown\":{\"deep\":[1,{\"x\":2}]}}",
};

static const char *const NESTED_OUT[] = {
    "{\"lat\":52.5,\"lon\":13.4}|[\"a\",\"b\"]|{\"x\":1,\"y\":null}|[[1,2],[],null,[3]]|{\"name\":"
    "\"n1\",\"ts\":\"2026-01-08T14:00:00.000000+00:00\",\"items\":[{\"sku\":\"s1\",\"qty\":2},{"
    "\"sku\":"
    "\"s2\",\"qty\":null}]}|[{\"key\":1,\"value\":\"one\"},{\"key\":2,\"value\":null}]",
    "null|[]|{}|[]|{\"name\":null,\"ts\":null,\"items\":[]}|[{\"key\":3,\"value\":\"three\"}]",
    "null|null|null|null|null|null",
    "{\"lat\":-1.25,\"lon\":null}|[null,\"c\"]|null|null|{\"name\":null,\"ts\":null,\"items\":null}"
    "|"
    "null",
};

/* Row i of the written file as "col|col|..." (JSON, null for NULL). */
static void nested_row_text(const struct fl_batch *b, size_t r, struct fl_buf *out) {
    fl_buf_reset(out);
    for (int c = 1; c < b->ncols; c++) {
        if (c > 1) fl_buf_append_u8(out, '|');
        if (fl_col_is_null(&b->cols[c], r))
            fl_buf_append_str(out, "null");
        else
            fl_col_value_to_json(&b->cols[c], r, out);
    }
    fl_buf_append_u8(out, 0);
}

static void nested_write_read(const struct fl_pq_writer_opts *opts, size_t copies) {
    struct fl_schema *s = load_schema(NESTED_SCHEMA);
    struct fl_error err = {0};
    struct fl_batch *bt;
    struct fl_buf out, text;
    fl_buf_init(&out, FL_BUF_NOMAX);
    fl_buf_init(&text, FL_BUF_NOMAX);
    struct fl_pq_writer *pqw;
    assert_int_equal(fl_batch_new(s, 0, &bt, &err), FL_OK);
    assert_int_equal(fl_pq_writer_new(s, opts, mem_sink, &out, &pqw, &err), FL_OK);
    for (size_t k = 0; k < copies; k++) {
        for (size_t i = 0; i < 4; i++) {
            fl_err_t rc = fl_batch_append_json(bt, NESTED_IN[i], strlen(NESTED_IN[i]), &err);
            if (rc) fail_msg("row %zu: %s", i, err.msg);
        }
        if (bt->nrows >= 3000 || k + 1 == copies) {
            fl_err_t rc = fl_pq_writer_add_batch(pqw, bt, &err);
            if (rc) fail_msg("add_batch: %s", err.msg);
            fl_batch_reset(bt);
        }
    }
    struct fl_pq_file_result res;
    assert_int_equal(fl_pq_writer_close(pqw, &res, &err), FL_OK);
    assert_int_equal(res.record_count, (int64_t)(4 * copies));
    assert_int_equal(res.ncols, 1); /* metrics for the top-level primitive only */
    assert_int_equal(res.cols[0].field_id, 1);
    fl_pq_file_result_fini(&res);
    fl_pq_writer_free(pqw);
    fl_batch_free(bt);

    struct fl_pq_reader *rd;
    assert_int_equal(fl_pq_reader_open_mem(out.data, out.len, &rd, &err), FL_OK);
    const struct fl_schema *rs = fl_pq_reader_schema(rd);
    /* the Iceberg schema comes back whole, ids included */
    struct fl_buf a, b;
    fl_buf_init(&a, FL_BUF_NOMAX);
    fl_buf_init(&b, FL_BUF_NOMAX);
    fl_schema_to_json(rs, &a);
    fl_schema_to_json(s, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    fl_buf_fini(&a);
    fl_buf_fini(&b);
    struct fl_batch *got;
    size_t row = 0;
    fl_err_t rc;
    while (!(rc = fl_pq_reader_next(rd, &got, &err))) {
        for (size_t r = 0; r < got->nrows; r++, row++) {
            nested_row_text(got, r, &text);
            if (strcmp((const char *)text.data, NESTED_OUT[row % 4]) != 0)
                fail_msg("row %zu:\n want %s\n got  %s", row, NESTED_OUT[row % 4],
                         (const char *)text.data);
            int64_t id;
            memcpy(&id, got->cols[0].values + 8 * r, 8);
            assert_int_equal(id, (int64_t)(row % 4) + 1);
        }
    }
    if (rc != FL_ERR_EOF) fail_msg("read: %s", err.msg);
    assert_int_equal(row, 4 * copies);
    fl_pq_reader_free(rd);
    fl_schema_free(s);
    fl_buf_fini(&out);
    fl_buf_fini(&text);
}

static void test_nested(void **state) {
    (void)state;
    struct fl_pq_writer_opts opts;
    for (int v = 1; v <= 2; v++)
        for (int e = 0; e < 3; e++) {
            fl_pq_writer_opts_default(&opts);
            opts.page_version = v;
            opts.encoding = e == 0 ? FL_PQ_MODE_PLAIN : e == 1 ? FL_PQ_MODE_DICT : FL_PQ_MODE_AUTO;
            opts.codec = e == 2 ? FL_PQ_CODEC_SNAPPY : FL_PQ_CODEC_UNCOMPRESSED;
            nested_write_read(&opts, 1);
            /* many pages and two row groups */
            opts.page_size = 256;
            opts.row_group_size = 64 << 10;
            nested_write_read(&opts, 2500);
        }

    /* nested texts that do not fit the schema are refused by the writer,
     * naming the field (column index, JSON text) */
    struct fl_schema *s = load_schema(NESTED_SCHEMA);
    static const struct {
        int col;
        const char *json;
    } bad[] = {
        {2, "{\"a\":1}"},                   /* object for a list */
        {1, "{\"lon\":1.0}"},               /* missing required member */
        {4, "[[null]]"},                    /* null required element */
        {3, "{\"x\":\"nope\"}"},            /* value of the wrong type */
        {1, "{\"lat\":1,\"lat\":2}"},       /* a member twice */
        {6, "[{\"value\":\"v\"}]"},         /* entry without a key */
        {6, "[5]"},                         /* entry not an object */
        {5, "{\"items\":[{\"sku\":[1]}]}"}, /* array for a string */
        {2, "[\"a\""},                      /* truncated JSON */
        {2, "[\"a\"] [\"b\"]"},             /* two values */
        {2, "5"},                           /* scalar for a list */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fl_error err = {0};
        struct fl_batch *bt;
        struct fl_buf out;
        fl_buf_init(&out, FL_BUF_NOMAX);
        struct fl_pq_writer *pqw;
        assert_int_equal(fl_batch_new(s, 0, &bt, &err), FL_OK);
        assert_int_equal(fl_pq_writer_new(s, NULL, mem_sink, &out, &pqw, &err), FL_OK);
        assert_int_equal(fl_col_append_i64(&bt->cols[0], 1), FL_OK);
        for (int c = 1; c < bt->ncols; c++)
            assert_int_equal(c == bad[i].col ? fl_col_append_bytes(&bt->cols[c], bad[i].json,
                                                                   strlen(bad[i].json))
                                             : fl_col_append_null(&bt->cols[c]),
                             FL_OK);
        assert_int_equal(fl_batch_end_row(bt), FL_OK);
        fl_err_t rc = fl_pq_writer_add_batch(pqw, bt, &err);
        if (rc != FL_ERR_INVALID) fail_msg("%s: got %d (%s)", bad[i].json, rc, err.msg);
        if (!strstr(err.msg, "field \"")) fail_msg("%s: %s", bad[i].json, err.msg);
        fl_pq_writer_free(pqw);
        fl_batch_free(bt);
        fl_buf_fini(&out);
    }
    fl_schema_free(s);
}

/* Reading with the table's field as target: struct members matched by id
 * wherever they sit (top, inside a list, inside a map value), renamed,
 * added (null) and dropped as the table's schema says. */
static void test_nested_target(void **state) {
    (void)state;
    static const char *FILE_SCHEMA =
        "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"s\",\"required\":"
        "false,"
        "\"type\":{\"type\":\"struct\",\"fields\":[{\"id\":2,\"name\":\"a\",\"required\":false,"
        "\"type\":"
        "\"int\"},{\"id\":3,\"name\":\"b\",\"required\":false,\"type\":\"string\"},{\"id\":4,"
        "\"name\":"
        "\"l\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":5,\"element\":{"
        "\"type\":"
        "\"struct\",\"fields\":[{\"id\":6,\"name\":\"x\",\"required\":false,\"type\":\"int\"},{"
        "\"id\":7,"
        "\"name\":\"y\",\"required\":false,\"type\":\"int\"}]},\"element-required\":false}},{"
        "\"id\":8,"
        "\"name\":\"m\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":9,\"key\":"
        "\"string\","
        "\"value-id\":10,\"value\":{\"type\":\"struct\",\"fields\":[{\"id\":11,\"name\":\"p\","
        "\"required\":false,\"type\":\"int\"}]},\"value-required\":false}}]}}]}";
    /* a dropped, b renamed bee, z added; in l's elements y dropped, w
     * added before x; in m's values q added */
    static const char *TABLE_SCHEMA =
        "{\"type\":\"struct\",\"schema-id\":1,\"fields\":[{\"id\":1,\"name\":\"s\",\"required\":"
        "false,"
        "\"type\":{\"type\":\"struct\",\"fields\":[{\"id\":3,\"name\":\"bee\",\"required\":false,"
        "\"type\":\"string\"},{\"id\":12,\"name\":\"z\",\"required\":false,\"type\":\"long\"},{"
        "\"id\":4,"
        "\"name\":\"l\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":5,"
        "\"element\":{"
        "\"type\":\"struct\",\"fields\":[{\"id\":13,\"name\":\"w\",\"required\":false,\"type\":"
        "\"int\"},"
        "{\"id\":6,\"name\":\"x\",\"required\":false,\"type\":\"int\"}]},\"element-required\":"
        "false}},"
        "{\"id\":8,\"name\":\"m\",\"required\":false,\"type\":{\"type\":\"map\",\"key-id\":9,"
        "\"key\":"
        "\"string\",\"value-id\":10,\"value\":{\"type\":\"struct\",\"fields\":[{\"id\":11,\"name\":"
        "\"p\",\"required\":false,\"type\":\"int\"},{\"id\":14,\"name\":\"q\",\"required\":false,"
        "\"type\":\"int\"}]},\"value-required\":false}}]}}]}";
    struct fl_schema *fs = load_schema(FILE_SCHEMA), *ts = load_schema(TABLE_SCHEMA);
    struct fl_error err = {0};
    struct fl_batch *bt;
    struct fl_buf out;
    fl_buf_init(&out, FL_BUF_NOMAX);
    struct fl_pq_writer *pqw;
    assert_int_equal(fl_batch_new(fs, 0, &bt, &err), FL_OK);
    assert_int_equal(fl_pq_writer_new(fs, NULL, mem_sink, &out, &pqw, &err), FL_OK);
    const char *rows[] = {
        "{\"s\":{\"a\":1,\"b\":\"B\",\"l\":[{\"x\":1,\"y\":2},null,{\"y\":3}],\"m\":{\"k\":{\"p\":"
        "5},"
        "\"n\":null}}}",
        "{\"s\":null}",
        "{\"s\":{\"a\":2,\"l\":[]}}",
    };
    for (int i = 0; i < 3; i++)
        assert_int_equal(fl_batch_append_json(bt, rows[i], strlen(rows[i]), &err), FL_OK);
    assert_int_equal(fl_pq_writer_add_batch(pqw, bt, &err), FL_OK);
    assert_int_equal(fl_pq_writer_close(pqw, NULL, &err), FL_OK);
    fl_pq_writer_free(pqw);
    fl_batch_free(bt);

    static const char *const want[] = {
        "{\"bee\":\"B\",\"z\":null,\"l\":[{\"w\":null,\"x\":1},null,{\"w\":null,\"x\":null}],\"m\":"
        "{"
        "\"k\":{\"p\":5,\"q\":null},\"n\":null}}",
        NULL,
        "{\"bee\":null,\"z\":null,\"l\":[],\"m\":null}",
    };
    struct fl_pq_reader *rd;
    assert_int_equal(fl_pq_reader_open_mem(out.data, out.len, &rd, &err), FL_OK);
    assert_int_equal(fl_pq_reader_nested_target(rd, 1, &ts->fields[0], &err), FL_OK);
    int32_t none = 99;
    assert_int_equal(fl_pq_reader_nested_target(rd, none, &ts->fields[0], &err), FL_ERR_NOTFOUND);
    struct fl_batch *got;
    assert_int_equal(fl_pq_reader_next(rd, &got, &err), FL_OK);
    assert_int_equal(got->nrows, 3);
    for (size_t r = 0; r < 3; r++) {
        if (!want[r]) {
            assert_true(fl_col_is_null(&got->cols[0], r));
            continue;
        }
        size_t n;
        const uint8_t *p = fl_col_bytes(&got->cols[0], r, &n);
        if (n != strlen(want[r]) || memcmp(p, want[r], n))
            fail_msg("row %zu:\n want %s\n got  %.*s", r, want[r], (int)n, (const char *)p);
    }
    fl_pq_reader_free(rd);
    fl_schema_free(fs);
    fl_schema_free(ts);
    fl_buf_fini(&out);
}

static void test_errors(void **state) {
    (void)state;
    struct fl_error err = {0};
    struct fl_pq_writer *pqw;
    struct fl_buf out;
    fl_buf_init(&out, FL_BUF_NOMAX);
    /* map keys must be primitive */
    struct fl_schema *nested = load_schema(
        "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"m\",\"required\":"
        "false,\"type\":{\"type\":\"map\",\"key-id\":2,\"key\":{\"type\":\"list\",\"element-id\":"
        "4,\"element\":\"int\",\"element-required\":true},\"value-id\":3,\"value\":\"int\","
        "\"value-required\":false}}]}");
    assert_int_equal(fl_pq_writer_new(nested, NULL, mem_sink, &out, &pqw, &err),
                     FL_ERR_UNSUPPORTED);
    fl_schema_free(nested);

    struct fl_pq_writer_opts opts;
    fl_pq_writer_opts_default(&opts);
    opts.codec = FL_PQ_CODEC_LZO;
    struct fl_schema *s = load_schema(ALL_TYPES);
    assert_int_equal(fl_pq_writer_new(s, &opts, mem_sink, &out, &pqw, &err), FL_ERR_UNSUPPORTED);
    opts.codec = FL_PQ_CODEC_ZSTD;
    opts.page_version = 3;
    assert_int_equal(fl_pq_writer_new(s, &opts, mem_sink, &out, &pqw, &err), FL_ERR_INVALID);

    /* a null in a required column */
    fl_err_clear(&err);
    assert_int_equal(fl_pq_writer_new(s, NULL, mem_sink, &out, &pqw, &err), FL_OK);
    struct fl_batch *bt;
    assert_int_equal(fl_batch_new(s, 4, &bt, &err), FL_OK);
    gen_row(bt, 1);
    fl_col_append_null(&bt->cols[0]);
    for (int c = 1; c < bt->ncols; c++) fl_col_append_null(&bt->cols[c]);
    assert_int_equal(fl_batch_end_row(bt), FL_OK);
    assert_int_equal(fl_pq_writer_add_batch(pqw, bt, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "required"));
    /* the writer refuses further work */
    assert_int_not_equal(fl_pq_writer_close(pqw, NULL, &err), FL_OK);
    fl_pq_writer_free(pqw);
    fl_batch_free(bt);

    /* a batch of another schema */
    struct fl_schema *other = load_schema(
        "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"x\",\"required\":"
        "true,\"type\":\"int\"}]}");
    fl_err_clear(&err);
    assert_int_equal(fl_pq_writer_new(s, NULL, mem_sink, &out, &pqw, &err), FL_OK);
    assert_int_equal(fl_batch_new(other, 4, &bt, &err), FL_OK);
    assert_int_equal(fl_pq_writer_add_batch(pqw, bt, &err), FL_ERR_INVALID);
    fl_pq_writer_free(pqw);
    fl_batch_free(bt);
    fl_schema_free(other);
    fl_schema_free(s);
    fl_buf_fini(&out);
}

static void test_open_file(void **state) {
    (void)state;
    char path[] = "/tmp/floe_pqw_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct fl_schema *s = load_schema(ALL_TYPES);
    struct fl_pq_writer *pqw;
    struct fl_error err = {0};
    assert_int_equal(fl_pq_writer_open_file(path, s, NULL, &pqw, &err), FL_OK);
    write_all(pqw, s, 500);
    struct fl_pq_file_result res;
    assert_int_equal(fl_pq_writer_close(pqw, &res, &err), FL_OK);
    fl_pq_writer_free(pqw);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    assert_int_equal(ftell(fp), res.file_size);
    fclose(fp);
    assert_int_equal(res.nrow_groups, 1);
    assert_int_equal(res.record_count, 500);
    fl_pq_file_result_fini(&res);
    unlink(path);
    /* a path that cannot be created */
    assert_int_equal(fl_pq_writer_open_file("/nonexistent/dir/x.parquet", s, NULL, &pqw, &err),
                     FL_ERR_IO);
    fl_schema_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),    cmocka_unit_test(test_stats_rules),
        cmocka_unit_test(test_empty),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nested),    cmocka_unit_test(test_nested_target),
        cmocka_unit_test(test_open_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
