/*
 * fuzz_json_record.c - libFuzzer target: JSON records into batch rows of
 * a schema with every primitive type; accepted rows must print back.
 */
#include "batch/batch.h"
#include "batch/batch_json.h"
#include "iceberg/schema.h"

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
    "{\"id\":13,\"name\":\"fx\",\"required\":false,\"type\":\"fixed[4]\"}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct fl_schema *schema;
    static struct fl_batch *batch;
    struct fl_error err = {0};
    if (!schema) {
        if (fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err)) abort();
        if (fl_batch_new(schema, 0, &batch, &err)) abort();
    }
    fl_batch_reset(batch);
    if (fl_batch_append_json(batch, (const char *)data, size, &err) == FL_OK) {
        if (batch->nrows != 1) abort();
        struct fl_buf out;
        fl_buf_init(&out, FL_BUF_NOMAX);
        if (fl_batch_row_to_json(batch, 0, &out)) abort();
        /* what we print must read back as the same row */
        fl_batch_reset(batch);
        if (fl_batch_append_json(batch, (const char *)out.data, out.len, &err)) abort();
        fl_buf_fini(&out);
    } else if (batch->nrows != 0) {
        abort(); /* a refused record must leave nothing behind */
    }
    return 0;
}
