/*
 * fuzz_map_decode.c - libFuzzer target for records decoded through a
 * compiled map (pipeline/map.c driving batch/json_decode.c): rename of a
 * key to a column whose own name is a key too, casts (epoch ms to a
 * timestamp, text to int, numbers to text), date() of a key that is also
 * a column (a capture), hour() of another key, a constant, the position
 * and the clock. The input is split at newlines into records fed to the
 * same decoders and batch. Checks: a refused record leaves the batch as
 * it was (rows kept from before included); an accepted row has every
 * column and prints as JSON; a second decoder whose captures are capped
 * at 16 bytes gives the same row or refuses with the cap's reason.
 */
#include "batch/batch.h"
#include "batch/batch_json.h"
#include "batch/json_decode.h"
#include "core/schema.h"
#include "pipeline/map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"town\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":4,\"name\":\"dt\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":5,\"name\":\"day\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":6,\"name\":\"hr\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":7,\"name\":\"n\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":8,\"name\":\"code\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":9,\"name\":\"flag\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":10,\"name\":\"d\",\"required\":false,\"type\":\"decimal(9, 2)\"},"
    "{\"id\":11,\"name\":\"src\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":12,\"name\":\"_kafka_offset\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":13,\"name\":\"processed_timestamp\",\"required\":false,\"type\":\"timestamptz\"}]}";

static const struct fl_pipe_map_step STEPS[] = {
    {FL_PIPE_MAP_RENAME, "city", "town", NULL, NULL},
    {FL_PIPE_MAP_RENAME, "town", "name", NULL, NULL},
    {FL_PIPE_MAP_RENAME, "ts", "ms", NULL, NULL},
    {FL_PIPE_MAP_CAST, "ts", "ms", NULL, NULL},
    {FL_PIPE_MAP_DERIVE, "dt", "date(ts)", NULL, NULL},
    {FL_PIPE_MAP_DERIVE, "day", "date(stamp)", NULL, NULL},
    {FL_PIPE_MAP_DERIVE, "hr", "hour(stamp)", NULL, NULL},
    {FL_PIPE_MAP_CAST, "n", NULL, NULL, NULL},
    {FL_PIPE_MAP_CAST, "code", NULL, NULL, NULL},
    {FL_PIPE_MAP_CAST, "flag", NULL, NULL, NULL},
    {FL_PIPE_MAP_DERIVE, "src", NULL, "fuzz", NULL},
};

static struct fl_schema *schema;
static struct fl_pipe_map *map;
static struct fl_jdec *dec, *capped;
static struct fl_batch *a, *b;

/* Decodes rec into x; a refused record must leave x as it was. */
static fl_err_t decode(struct fl_jdec *d, struct fl_batch *x, const uint8_t *rec, size_t n,
                       struct fl_error *err) {
    static const struct fl_pipe_map_pos pos = {"topic", 2, 12345, 1767225600000000, 1767225600000};
    size_t rows = x->nrows;
    fl_err_t rc = fl_pipe_map_row(map, d, x, rec, n, &pos, err);
    if (rc == FL_OK) rc = fl_batch_end_row(x);
    if (rc == FL_OK && x->nrows != rows + 1) abort();
    for (int c = 0; c < x->ncols; c++)
        if (x->cols[c].len != x->nrows) abort(); /* a column left behind or half a row kept */
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fl_error err = {0};
    if (!schema) {
        if (fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err)) abort();
        if (fl_pipe_map_new(schema, STEPS, (int)(sizeof(STEPS) / sizeof(STEPS[0])), &map, &err))
            abort();
        if (fl_pipe_map_decoder(map, schema, &dec, &err) ||
            fl_pipe_map_decoder(map, schema, &capped, &err))
            abort();
        fl_jdec_capture_limit(capped, 16);
        if (fl_batch_new(schema, 0, &a, &err) || fl_batch_new(schema, 0, &b, &err)) abort();
    }
    fl_batch_reset(a);
    fl_batch_reset(b);
    struct fl_buf p1, p2;
    fl_buf_init(&p1, FL_BUF_NOMAX);
    fl_buf_init(&p2, FL_BUF_NOMAX);
    size_t start = 0;
    while (start <= size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - data) : size;
        fl_err_t rc = decode(dec, a, data + start, end - start, &err);
        struct fl_error cerr = {0};
        fl_err_t crc = decode(capped, b, data + start, end - start, &cerr);
        if (rc == FL_OK) {
            fl_buf_reset(&p1);
            if (fl_batch_row_to_json(a, a->nrows - 1, &p1)) abort();
        }
        if (crc == FL_OK) {
            if (rc != FL_OK) abort(); /* the cap can only refuse more */
            fl_buf_reset(&p2);
            if (fl_batch_row_to_json(b, b->nrows - 1, &p2)) abort();
            if (p1.len != p2.len || memcmp(p1.data, p2.data, p1.len)) abort();
        } else if (rc == FL_OK && !strstr(cerr.msg, "too long to derive a column from")) {
            abort(); /* refused by the capped decoder for another reason */
        }
        start = end + 1;
    }
    fl_buf_fini(&p1);
    fl_buf_fini(&p2);
    return 0;
}
