/*
 * fuzz_json_decode.c - libFuzzer target for the streaming JSON decoder
 * (batch/json_decode.c). The input is split at newlines into records fed
 * to ONE decoder, so a broken record must not spoil the next. Checks: a
 * refused record leaves the batch as it was; an accepted row prints back
 * and decodes to the same text; and wherever the jansson path
 * (fl_batch_append_json, a different parser) accepts a record, the
 * streaming decoder accepts it too, with the same row (records with a
 * raw NUL byte excepted). (This target replaced fuzz_json_record.c, which
 * fuzzed the jansson path alone.) The nested column n keeps its value's
 * JSON text: the two paths spell numbers differently there, so n is
 * compared as JSON (jansson's json_equal), the flat columns as text.
 */
#include "batch/batch.h"
#include "batch/batch_json.h"
#include "batch/json_decode.h"
#include "core/schema.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *SCHEMA =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"l\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"b\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":3,\"name\":\"i\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":4,\"name\":\"f\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":5,\"name\":\"d\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":6,\"name\":\"dec\",\"required\":false,\"type\":\"decimal(38, 10)\"},"
    "{\"id\":7,\"name\":\"dt\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":8,\"name\":\"t\",\"required\":false,\"type\":\"time\"},"
    "{\"id\":9,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":10,\"name\":\"s\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":11,\"name\":\"bin\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":12,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
    "{\"id\":13,\"name\":\"fx\",\"required\":false,\"type\":\"fixed[4]\"},"
    "{\"id\":14,\"name\":\"n\",\"required\":false,\"type\":{\"type\":\"struct\",\"fields\":["
    "{\"id\":15,\"name\":\"x\",\"required\":false,\"type\":\"long\"}]}}]}";

static struct fl_schema *schema;
static struct fl_batch *a, *b;
static struct fl_jdec *dec;

/* Decodes rec with the streaming decoder into a (reset); returns its rc. */
static fl_err_t stream(const uint8_t *rec, size_t n) {
    struct fl_error err = {0};
    fl_batch_reset(a);
    fl_err_t rc = fl_jdec_row(dec, a, rec, n, &err);
    if (rc == FL_OK) rc = fl_batch_end_row(a);
    if (rc == FL_OK && a->nrows != 1) abort();
    for (int c = 0; rc != FL_OK && c < a->ncols; c++)
        if (a->nrows != 0 || a->cols[c].len != 0) abort(); /* a refused record left something */
    return rc;
}

static void print_row(struct fl_batch *x, struct fl_buf *out) {
    fl_buf_reset(out);
    if (fl_batch_row_to_json(x, 0, out)) abort();
}

/* Row 0 of x without its last (nested) column, as text. */
static void print_flat(struct fl_batch *x, struct fl_buf *out) {
    fl_buf_reset(out);
    for (int c = 0; c + 1 < x->ncols; c++) {
        fl_buf_append_u8(out, '|');
        if (fl_col_is_null(&x->cols[c], 0))
            fl_buf_append_str(out, "null");
        else if (fl_col_value_to_json(&x->cols[c], 0, out))
            abort();
    }
}

/* The nested column of row 0 of x, parsed (NULL for a null). */
static json_t *nested_of(struct fl_batch *x) {
    const struct fl_col *col = &x->cols[x->ncols - 1];
    if (fl_col_is_null(col, 0)) return NULL;
    size_t n;
    const uint8_t *p = fl_col_bytes(col, 0, &n);
    return json_loadb((const char *)p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fl_error err = {0};
    if (!schema) {
        if (fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err)) abort();
        if (fl_batch_new(schema, 0, &a, &err) || fl_batch_new(schema, 0, &b, &err)) abort();
        if (fl_jdec_new(schema, &dec, &err)) abort();
    }
    struct fl_buf p1, p2;
    fl_buf_init(&p1, FL_BUF_NOMAX);
    fl_buf_init(&p2, FL_BUF_NOMAX);
    size_t start = 0;
    while (start <= size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - data) : size;
        const uint8_t *rec = data + start;
        size_t n = end - start;
        fl_err_t rc = stream(rec, n);
        if (rc == FL_OK) {
            print_row(a, &p1);
            if (stream(p1.data, p1.len)) abort(); /* what we print must read back */
            print_row(a, &p2);
            if (p1.len != p2.len || memcmp(p1.data, p2.data, p1.len)) abort();
            if (stream(rec, n)) abort(); /* and the decoder is still sound */
        }
        /* jansson reads a raw NUL byte outside strings as the end of the
         * text (a quirk of its lexer): no comparison for those records */
        fl_batch_reset(b);
        if (!memchr(rec, 0, n) && fl_batch_append_json(b, (const char *)rec, n, &err) == FL_OK) {
            if (rc != FL_OK) abort(); /* jansson took it, the stream decoder refused */
            print_flat(b, &p2);
            print_flat(a, &p1);
            if (p1.len != p2.len || memcmp(p1.data, p2.data, p1.len)) abort();
            json_t *ja = nested_of(a), *jb = nested_of(b);
            bool na = fl_col_is_null(&a->cols[a->ncols - 1], 0);
            bool nb = fl_col_is_null(&b->cols[b->ncols - 1], 0);
            /* jansson reads what it wrote; then the stream's text must mean the same */
            if (na != nb || (!nb && !jb) || (jb && (!ja || !json_equal(ja, jb)))) abort();
            json_decref(ja);
            json_decref(jb);
        }
        start = end + 1;
    }
    fl_buf_fini(&p1);
    fl_buf_fini(&p2);
    return 0;
}
