/*
 * fuzz_sort_order.c - libFuzzer target: a table's sort order as it comes
 * from metadata (any engine may have written it) and sort terms as users
 * write them. The input, when it is JSON, is added to a fresh table's
 * metadata as its default sort order (the REST catalog's add-sort-order
 * and set-default-sort-order) and read back as compaction reads it; as
 * text, its lines are sort terms. Whatever parses must order a fixed
 * batch (nulls, NaN, -0, strings, timestamps, decimals) into a
 * permutation of its rows, the same one each time; nothing may crash.
 */
#include "batch/batch_json.h"
#include "core/mem.h"
#include "core/schema.h"
#include "iceberg/metadata.h"
#include "iceberg/sort.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"score\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":4,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":5,\"name\":\"d\",\"required\":false,\"type\":\"decimal(9,2)\"}]}";

static struct fl_schema *schema;
static struct fl_batch *batch;

static void setup(void) {
    struct fl_error err = {0};
    if (fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err)) abort();
    if (fl_batch_new(schema, 0, &batch, &err)) abort();
    static const char *const rows[] = {
        "{\"id\":3,\"name\":\"b\",\"score\":1.5,\"ts\":\"2026-01-02T03:00:00\",\"d\":\"1.25\"}",
        "{\"id\":-7,\"name\":null,\"score\":null,\"ts\":null,\"d\":null}",
        "{\"id\":9,\"name\":\"\\u00e9\",\"score\":-2,\"ts\":\"1969-12-31T23:59:59\"}",
        "{\"id\":0,\"name\":\"a\",\"score\":0,\"ts\":\"2026-01-02T01:00:00\",\"d\":\"0.00\"}",
        "{\"id\":3,\"name\":\"ab\",\"score\":1.5,\"ts\":\"2026-07-02T03:00:00\",\"d\":\"99.99\"}",
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (fl_batch_append_json(batch, rows[i], strlen(rows[i]), &err)) abort();
    /* NaN and -0, which JSON cannot carry */
    const double v[] = {NAN, -0.0};
    for (int i = 0; i < 2; i++) {
        if (fl_col_append_i64(&batch->cols[0], 100 + i) || fl_col_append_null(&batch->cols[1]) ||
            fl_col_append_f64(&batch->cols[2], v[i]) || fl_col_append_null(&batch->cols[3]) ||
            fl_col_append_null(&batch->cols[4]) || fl_batch_end_row(batch))
            abort();
    }
}

/* perm must be a permutation of the rows, and the same one each time. */
static void check_sort(const struct fl_ice_sort_order *so) {
    uint32_t perm[16], tmp[16], again[16];
    size_t n = batch->nrows;
    fl_ice_sort_perm(so, batch, perm, tmp);
    char seen[16] = {0};
    for (size_t i = 0; i < n; i++) {
        if (perm[i] >= n || seen[perm[i]]) abort();
        seen[perm[i]] = 1;
    }
    fl_ice_sort_perm(so, batch, again, tmp);
    if (memcmp(perm, again, n * sizeof(*perm))) abort(); /* deterministic */
}

static void from_json(const uint8_t *data, size_t size) {
    json_t *order = json_loadb((const char *)data, size, 0, NULL);
    if (!order) return;
    struct fl_error err = {0};
    struct fl_ice_meta *meta = NULL;
    if (fl_ice_meta_new(schema, NULL, "file:///fuzz/t", NULL, 0, 0, &meta, &err)) abort();
    json_t *add = json_pack("{s:s, s:o}", "action", "add-sort-order", "sort-order", order);
    char *text = add ? json_dumps(add, JSON_COMPACT) : NULL;
    json_decref(add);
    const char *set = "{\"action\":\"set-default-sort-order\",\"sort-order-id\":-1}";
    if (text && !fl_ice_meta_apply_update(meta, text, strlen(text), &err) &&
        !fl_ice_meta_apply_update(meta, set, strlen(set), &err)) {
        struct fl_ice_sort_order *so = NULL;
        if (!fl_ice_sort_order_default(meta, &so, &err) && so) {
            check_sort(so);
            struct fl_buf b;
            fl_buf_init(&b, FL_BUF_NOMAX);
            if (fl_ice_sort_order_to_json(so, &b)) abort();
            fl_buf_fini(&b);
        }
        fl_ice_sort_order_free(so);
    }
    free(text);
    fl_ice_meta_free(meta);
}

static void from_terms(const uint8_t *data, size_t size) {
    char *text = fl_strndup((const char *)data, size);
    const char *terms[8];
    int n = 0;
    for (char *p = text, *line; n < 8 && (line = strsep(&p, "\n")) != NULL;) terms[n++] = line;
    struct fl_error err = {0};
    struct fl_ice_sort_order *so = NULL;
    if (!fl_ice_sort_order_from_terms(schema, terms, n, &so, &err) && so->nfields > 0)
        check_sort(so);
    fl_ice_sort_order_free(so);
    fl_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!schema) setup();
    if (size > 4096) return 0;
    from_json(data, size);
    from_terms(data, size);
    return 0;
}
