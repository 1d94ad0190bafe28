/*
 * test_pq_reader.c - the Parquet reader against files written by other
 * tools (apache/parquet-testing, in $FLOE_FIXTURES): exact values, the
 * *_expect.csv files, checksums, codecs, page v1/v2, predicates that skip
 * row groups and pages, and every bad_data file refused without a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "format/parquet/reader.h"
#include "fixtures.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *fixture(const char *rel) {
    static char path[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof(path[k]), "%s/parquet-testing/%s", fixtures_dir(), rel);
    return path[k];
}

static struct fl_pq_reader *open_ok(const char *rel) {
    struct fl_pq_reader *r = NULL;
    struct fl_error err = {0};
    fl_err_t e = fl_pq_reader_open_file(fixture(rel), &r, &err);
    if (e) fprintf(stderr, "open %s: %s\n", rel, err.msg);
    assert_int_equal(e, FL_OK);
    return r;
}

/* One value as text: integers in decimal, decimals unscaled, strings raw,
 * other bytes in hex, NULL as "" */
static void cell(const struct fl_col *col, size_t i, char *out, size_t n) {
    if (fl_col_is_null(col, i)) {
        out[0] = 0;
        return;
    }
    const uint8_t *p = col->values ? col->values + col->width * i : NULL;
    switch (col->field->type) {
    case FL_TYPE_BOOLEAN:
        snprintf(out, n, "%s", p[0] ? "true" : "false");
        break;
    case FL_TYPE_INT:
    case FL_TYPE_DATE: {
        int32_t v;
        memcpy(&v, p, 4);
        snprintf(out, n, "%" PRId32, v);
        break;
    }
    case FL_TYPE_LONG:
    case FL_TYPE_TIME:
    case FL_TYPE_TIMESTAMP:
    case FL_TYPE_TIMESTAMPTZ: {
        int64_t v;
        memcpy(&v, p, 8);
        snprintf(out, n, "%" PRId64, v);
        break;
    }
    case FL_TYPE_FLOAT: {
        float v;
        memcpy(&v, p, 4);
        snprintf(out, n, "%.9g", v);
        break;
    }
    case FL_TYPE_DOUBLE: {
        double v;
        memcpy(&v, p, 8);
        snprintf(out, n, "%.17g", v);
        break;
    }
    case FL_TYPE_DECIMAL: {
        __int128 v;
        memcpy(&v, p, 16);
        snprintf(out, n, "%lld", (long long)v);
        break;
    }
    case FL_TYPE_STRING:
    case FL_TYPE_STRUCT: /* nested values are JSON text */
    case FL_TYPE_LIST:
    case FL_TYPE_MAP: {
        size_t l;
        const uint8_t *b = fl_col_bytes(col, i, &l);
        snprintf(out, n, "%.*s", (int)l, (const char *)b);
        break;
    }
    default: {
        size_t l = col->width;
        const uint8_t *b = p;
        if (!l) b = fl_col_bytes(col, i, &l);
        size_t o = 0;
        for (size_t k = 0; k < l && o + 3 < n; k++)
            o += (size_t)snprintf(out + o, n - o, "%02x", b[k]);
        out[o] = 0;
    }
    }
}

/* Reads every row; rows[r * ncols + c] is the text of a cell. */
struct table {
    char **cells;
    size_t nrows;
    int ncols;
};

static void table_free(struct table *t) {
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++) free(t->cells[i]);
    free(t->cells);
}

static fl_err_t read_table(struct fl_pq_reader *r, struct table *t, struct fl_error *err) {
    struct fl_batch *b;
    fl_err_t e;
    memset(t, 0, sizeof(*t));
    size_t cap = 0;
    while (!(e = fl_pq_reader_next(r, &b, err))) {
        t->ncols = b->ncols;
        for (size_t i = 0; i < b->nrows; i++) {
            if ((t->nrows + 1) * (size_t)b->ncols > cap) {
                cap = cap ? cap * 2 : 1024;
                while (cap < (t->nrows + 1) * (size_t)b->ncols) cap *= 2;
                t->cells = realloc(t->cells, cap * sizeof(char *));
            }
            for (int c = 0; c < b->ncols; c++) {
                char buf[4096];
                cell(&b->cols[c], i, buf, sizeof(buf));
                t->cells[t->nrows * (size_t)b->ncols + (size_t)c] = strdup(buf);
            }
            t->nrows++;
        }
    }
    return e == FL_ERR_EOF ? FL_OK : e;
}

static void read_all(const char *rel, struct table *t) {
    struct fl_pq_reader *r = open_ok(rel);
    struct fl_error err = {0};
    fl_err_t e = read_table(r, t, &err);
    if (e) fprintf(stderr, "read %s: %s\n", rel, err.msg);
    assert_int_equal(e, FL_OK);
    fl_pq_reader_free(r);
}

static const char *at(const struct table *t, size_t row, int col) {
    assert_true(row < t->nrows && col < t->ncols);
    return t->cells[row * (size_t)t->ncols + (size_t)col];
}

/* Splits a CSV line (quotes, no embedded newlines) into cells. */
static int csv_split(char *line, char **cells, int max) {
    int n = 0;
    char *p = line;
    while (n < max) {
        char *o = p;
        cells[n++] = o;
        if (*p == '"') {
            p++;
            while (*p && !(*p == '"' && p[1] != '"')) {
                if (*p == '"') p++;
                *o++ = *p++;
            }
            if (*p == '"') p++;
        } else {
            while (*p && *p != ',' && *p != '\n' && *p != '\r') *o++ = *p++;
        }
        char c = *p;
        *o = 0;
        if (c != ',') break;
        p++;
    }
    return n;
}

/* The file reads exactly as its *_expect.csv says (header skipped). */
static void check_csv(const char *rel, const char *csv) {
    struct table t;
    read_all(rel, &t);
    FILE *f = fopen(fixture(csv), "r");
    assert_non_null(f);
    char line[65536];
    char *cells[256];
    assert_non_null(fgets(line, sizeof(line), f));
    size_t row = 0;
    while (fgets(line, sizeof(line), f)) {
        int n = csv_split(line, cells, 256);
        assert_int_equal(n, t.ncols);
        for (int c = 0; c < n; c++) {
            if (strcmp(cells[c], at(&t, row, c)) != 0)
                fail_msg("%s row %zu col %d: want \"%s\" got \"%s\"", rel, row, c, cells[c],
                         at(&t, row, c));
        }
        row++;
    }
    fclose(f);
    assert_int_equal(row, t.nrows);
    table_free(&t);
}

static void test_alltypes_plain(void **state) {
    (void)state;
    struct table t;
    read_all("data/alltypes_plain.parquet", &t);
    assert_int_equal(t.nrows, 8);
    assert_int_equal(t.ncols, 11);
    static const char *ids[] = {"4", "5", "6", "7", "2", "3", "0", "1"};
    for (size_t i = 0; i < 8; i++) {
        int id = atoi(ids[i]);
        char buf[64];
        assert_string_equal(at(&t, i, 0), ids[i]);
        assert_string_equal(at(&t, i, 1), id % 2 ? "false" : "true");
        snprintf(buf, sizeof(buf), "%d", id % 2);
        assert_string_equal(at(&t, i, 2), buf);
        assert_string_equal(at(&t, i, 4), buf);
        snprintf(buf, sizeof(buf), "%d", (id % 2) * 10);
        assert_string_equal(at(&t, i, 5), buf);
        assert_string_equal(at(&t, i, 6), id % 2 ? "1.10000002" : "0");
        assert_string_equal(at(&t, i, 7), id % 2 ? "10.1" : "0");
        assert_string_equal(at(&t, i, 9), id % 2 ? "31" : "30"); /* binary "1"/"0" in hex */
    }
    /* 03/01/09 as bytes, 2009-03-01T00:00:00 and 2009-03-01T00:01:00 */
    assert_string_equal(at(&t, 0, 8), "30332f30312f3039");
    assert_string_equal(at(&t, 0, 10), "1235865600000000");
    assert_string_equal(at(&t, 1, 10), "1235865660000000");
    table_free(&t);

    read_all("data/alltypes_plain.snappy.parquet", &t);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(at(&t, 0, 0), "6");
    assert_string_equal(at(&t, 1, 0), "7");
    table_free(&t);

    read_all("data/alltypes_dictionary.parquet", &t);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(at(&t, 0, 0), "0");
    assert_string_equal(at(&t, 1, 0), "1");
    assert_string_equal(at(&t, 1, 7), "10.1");
    assert_string_equal(at(&t, 0, 10), "1230768000000000");
    table_free(&t);
}

static void test_schema_mapping(void **state) {
    (void)state;
    struct fl_pq_reader *r = open_ok("data/alltypes_tiny_pages.parquet");
    const struct fl_schema *s = fl_pq_reader_schema(r);
    char tb[64];
    assert_int_equal(s->nfields, 13);
    assert_int_equal(s->fields[0].id, 1);
    assert_string_equal(s->fields[0].name, "id");
    fl_type_format(&s->fields[10], tb, sizeof(tb));
    assert_string_equal(tb, "timestamp");
    fl_type_format(&s->fields[9], tb, sizeof(tb));
    assert_string_equal(tb, "string");
    fl_pq_reader_free(r);

    r = open_ok("data/fixed_length_decimal.parquet");
    fl_type_format(&fl_pq_reader_schema(r)->fields[0], tb, sizeof(tb));
    assert_string_equal(tb, "decimal(25, 2)");
    fl_pq_reader_free(r);

    /* a nested column is in the schema with its position's id; the flat
     * sibling reads alone */
    r = open_ok("data/nested_lists.snappy.parquet");
    struct fl_error err = {0};
    int32_t flat = 2;
    const char *nope = "nope";
    fl_type_format(&fl_pq_reader_schema(r)->fields[0], tb, sizeof(tb));
    assert_string_equal(tb, "list");
    assert_int_equal(fl_pq_reader_schema(r)->fields[0].id, 1);
    assert_int_equal(fl_pq_reader_project_names(r, &nope, 1, &err), FL_ERR_NOTFOUND);
    assert_int_equal(fl_pq_reader_project_ids(r, &flat, 1, NULL), FL_OK);
    struct table t;
    err.code = FL_OK;
    assert_int_equal(read_table(r, &t, &err), FL_OK);
    assert_int_equal(t.nrows, 3);
    assert_string_equal(at(&t, 0, 0), "1");
    table_free(&t);
    fl_pq_reader_free(r);

    r = open_ok("data/byte_array_decimal.parquet");
    s = fl_pq_reader_schema(r);
    assert_int_equal(s->fields[0].id, 6); /* a field id from the file */
    fl_pq_reader_free(r);
}

/* One column of a file, every row, as text (nested columns: JSON). */
static void check_column(const char *rel, const char *col, const char *const *want, size_t n) {
    struct fl_pq_reader *r = open_ok(rel);
    struct fl_error err = {0};
    struct table t;
    assert_int_equal(fl_pq_reader_project_names(r, &col, 1, &err), FL_OK);
    fl_err_t e = read_table(r, &t, &err);
    if (e) fail_msg("%s %s: %s", rel, col, err.msg);
    assert_int_equal(t.nrows, n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(at(&t, i, 0), want[i] ? want[i] : "") != 0)
            fail_msg("%s %s row %zu:\n want %s\n got  %s", rel, col, i, want[i], at(&t, i, 0));
    table_free(&t);
    fl_pq_reader_free(r);
}

#define CHECK_COLUMN(rel, col, ...)                                                                \
    do {                                                                                           \
        static const char *const w_[] = {__VA_ARGS__};                                             \
        check_column(rel, col, w_, sizeof(w_) / sizeof(w_[0]));                                    \
    } while (0)

/* Nested columns: values as the files' READMEs and the writers' test
 * suites state them (and as DuckDB reads them), NULL = a null row. */
static void test_nested_values(void **state) {
    (void)state;
    /* 3-level lists, three deep, null elements */
    CHECK_COLUMN("data/nested_lists.snappy.parquet", "a",
                 "[[[\"a\",\"b\"],[\"c\"]],[null,[\"d\"]]]",
                 "[[[\"a\",\"b\"],[\"c\",\"d\"]],[null,[\"e\"]]]",
                 "[[[\"a\",\"b\"],[\"c\",\"d\"],[\"e\"]],[null,[\"f\"]]]");
    /* map<string, map<int, boolean>>: string keys an object, int keys
     * {key, value} entries; a null map and an empty one */
    CHECK_COLUMN("data/nested_maps.snappy.parquet", "a",
                 "{\"a\":[{\"key\":1,\"value\":true},{\"key\":2,\"value\":false}]}",
                 "{\"b\":[{\"key\":1,\"value\":true}]}", "{\"c\":null}", "{\"d\":[]}",
                 "{\"e\":[{\"key\":1,\"value\":true}]}",
                 "{\"f\":[{\"key\":3,\"value\":true},{\"key\":4,\"value\":false},{\"key\":5,"
                 "\"value\":true}]}");
    /* legacy 2-level list (old_list_structure.md) */
    CHECK_COLUMN("data/old_list_structure.parquet", "a", "[[1,2],[3,4]]");
    /* {"emptylist":[]} (README) */
    CHECK_COLUMN("data/null_list.parquet", "emptylist", "[]");
    /* a repeated group outside any LIST annotation, inside an optional group */
    CHECK_COLUMN("data/repeated_no_annotation.parquet", "phoneNumbers", NULL, NULL,
                 "{\"phone\":[]}", "{\"phone\":[{\"number\":5555555555,\"kind\":null}]}",
                 "{\"phone\":[{\"number\":1111111111,\"kind\":\"home\"}]}",
                 "{\"phone\":[{\"number\":1111111111,\"kind\":\"home\"},{\"number\":2222222222,"
                 "\"kind\":null},{\"number\":3333333333,\"kind\":\"mobile\"}]}");
    /* repeated primitives without LIST, also inside a required group */
    CHECK_COLUMN("data/repeated_primitive_no_list.parquet", "Int32_list", "[0,1,2,3]", "[]", "[4]",
                 "[5,6,7,8]");
    CHECK_COLUMN("data/repeated_primitive_no_list.parquet", "group_of_lists",
                 "{\"Int32_list_in_group\":[0,1,2,3],\"String_list_in_group\":[\"foo\",\"zero\","
                 "\"one\",\"two\"]}",
                 "{\"Int32_list_in_group\":[],\"String_list_in_group\":[\"three\"]}",
                 "{\"Int32_list_in_group\":[4],\"String_list_in_group\":[\"four\"]}",
                 "{\"Int32_list_in_group\":[5,6,7,8],\"String_list_in_group\":[\"five\",\"six\","
                 "\"seven\",\"eight\"]}");
    CHECK_COLUMN("data/list_columns.parquet", "int64_list", "[1,2,3]", "[null,1]", "[4]");
    CHECK_COLUMN("data/list_columns.parquet", "utf8_list", "[\"abc\",\"efg\",\"hij\"]", NULL,
                 "[\"efg\",null,\"hij\",\"xyz\"]");
    /* a MAP whose key is not marked required (Presto) */
    CHECK_COLUMN("data/incorrect_map_schema.parquet", "my_map",
                 "{\"parent\":\"another\",\"name\":\"report\"}");
    /* map with null values beside one without values (refused alone) */
    CHECK_COLUMN(
        "data/map_no_value.parquet", "my_map",
        "[{\"key\":1,\"value\":null},{\"key\":2,\"value\":null},{\"key\":3,\"value\":null}]",
        "[{\"key\":4,\"value\":null},{\"key\":5,\"value\":null},{\"key\":6,\"value\":null}]",
        "[{\"key\":7,\"value\":null},{\"key\":8,\"value\":null},{\"key\":9,\"value\":null}]");
    CHECK_COLUMN("data/map_no_value.parquet", "my_list", "[1,2,3]", "[4,5,6]", "[7,8,9]");
    /* Impala's complextypestbl: every kind of null and empty at every level */
    CHECK_COLUMN(
        "data/nonnullable.impala.parquet", "nested_Struct",
        "{\"a\":-1,\"B\":[-1],\"c\":{\"D\":[[{\"e\":-1,\"f\":\"nonnullable\"}]]},\"G\":{}}");
    CHECK_COLUMN("data/nonnullable.impala.parquet", "int_map_array", "[{},{\"k1\":1},{},{}]");
    CHECK_COLUMN("data/nullable.impala.parquet", "int_array_Array", "[[1,2],[3,4]]",
                 "[[null,1,2,null],[3,null,4],[],null]", "[null]", "[]", NULL, NULL,
                 "[null,[5,6]]");
    CHECK_COLUMN("data/nullable.impala.parquet", "int_Map_Array", "[{\"k1\":1}]",
                 "[{\"k3\":null,\"k1\":1},null,{}]", "[null,null]", "[]", NULL, NULL, NULL);
    CHECK_COLUMN(
        "data/nullable.impala.parquet", "nested_struct",
        "{\"A\":1,\"b\":[1],\"C\":{\"d\":[[{\"E\":10,\"F\":\"aaa\"},{\"E\":-10,\"F\":\"bbb\"}],[{"
        "\"E\":11,\"F\":\"c\"}]]},\"g\":{\"foo\":{\"H\":{\"i\":[1.1]}}}}",
        "{\"A\":null,\"b\":[null],\"C\":{\"d\":[[{\"E\":null,\"F\":null},{\"E\":10,\"F\":\"aaa\"},{"
        "\"E\":null,\"F\":null},{\"E\":-10,\"F\":\"bbb\"},{\"E\":null,\"F\":null}],[{\"E\":11,"
        "\"F\":"
        "\"c\"},null],[],null]},\"g\":{\"g1\":{\"H\":{\"i\":[2.2,null]}},\"g2\":{\"H\":{\"i\":[]}},"
        "\"g3\":null,\"g4\":{\"H\":{\"i\":null}},\"g5\":{\"H\":null}}}",
        "{\"A\":null,\"b\":null,\"C\":{\"d\":[]},\"g\":{}}",
        "{\"A\":null,\"b\":null,\"C\":{\"d\":null},\"g\":null}",
        "{\"A\":null,\"b\":null,\"C\":null,\"g\":{\"foo\":{\"H\":{\"i\":[2.2,3.3]}}}}", NULL,
        "{\"A\":7,\"b\":[2,3,null],\"C\":{\"d\":[[],[null],null]},\"g\":null}");
}

/* The Iceberg shape of nested columns, ids included; the flat sibling of a
 * nested column reads without touching the nested pages; a predicate on a
 * nested column is refused; a map without values is refused by name while
 * its siblings read. */
static void test_nested_schema_and_projection(void **state) {
    (void)state;
    struct fl_pq_reader *r = open_ok("data/nullable.impala.parquet");
    struct fl_buf b;
    fl_buf_init(&b, 1 << 20);
    struct fl_schema *one = fl_schema_select(fl_pq_reader_schema(r), (int[]){2}, 1);
    assert_int_equal(fl_schema_to_json(one, &b), FL_OK);
    assert_int_equal(fl_buf_append_u8(&b, 0), FL_OK);
    assert_string_equal(
        (const char *)b.data,
        "{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":3,\"name\":\"int_array_Array\","
        "\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":8,\"element\":{\"type\":"
        "\"list\",\"element-id\":9,\"element\":\"int\",\"element-required\":false},\"element-"
        "required\":false}}]}");
    fl_schema_free(one);
    fl_buf_fini(&b);
    fl_pq_reader_free(r);

    struct fl_pq_read_stats st;
    struct table t;
    struct fl_error err = {0};
    r = open_ok("data/nested_lists.snappy.parquet");
    const char *b_only = "b";
    assert_int_equal(fl_pq_reader_project_names(r, &b_only, 1, &err), FL_OK);
    assert_int_equal(read_table(r, &t, &err), FL_OK);
    assert_int_equal(t.nrows, 3);
    assert_string_equal(at(&t, 2, 0), "1");
    fl_pq_reader_stats(r, &st);
    assert_int_equal(st.pages_read, 1); /* b's page only */
    table_free(&t);
    fl_pq_reader_free(r);
    r = open_ok("data/nested_lists.snappy.parquet");
    assert_int_equal(read_table(r, &t, &err), FL_OK);
    fl_pq_reader_stats(r, &st);
    assert_int_equal(st.pages_read, 2);
    table_free(&t);
    fl_pq_reader_free(r);

    r = open_ok("data/nested_lists.snappy.parquet");
    struct fl_pq_pred p = {.field_id = 1, .op = FL_PQ_PRED_NOT_NULL};
    assert_int_equal(fl_pq_reader_add_pred(r, &p, &err), FL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "nested"));
    fl_pq_reader_free(r);

    /* a file without field ids: a target's members match by name */
    static const char *TARGET =
        "{\"type\":\"struct\",\"fields\":[{\"id\":6,\"name\":\"nested_struct\",\"required\":false,"
        "\"type\":{\"type\":\"struct\",\"fields\":[{\"id\":100,\"name\":\"A\",\"required\":false,"
        "\"type\":\"int\"},{\"id\":101,\"name\":\"zz\",\"required\":false,\"type\":\"long\"},{"
        "\"id\":102,\"name\":\"b\",\"required\":false,\"type\":{\"type\":\"list\",\"element-id\":"
        "103,\"element\":\"int\",\"element-required\":false}}]}}]}";
    struct fl_schema *ts;
    assert_int_equal(fl_schema_parse(TARGET, strlen(TARGET), &ts, &err), FL_OK);
    r = open_ok("data/nullable.impala.parquet");
    const char *ns = "nested_struct";
    assert_int_equal(fl_pq_reader_project_names(r, &ns, 1, &err), FL_OK);
    assert_int_equal(fl_pq_reader_nested_target(r, 6, &ts->fields[0], &err), FL_OK);
    assert_int_equal(read_table(r, &t, &err), FL_OK);
    assert_string_equal(at(&t, 0, 0), "{\"A\":1,\"zz\":null,\"b\":[1]}");
    assert_string_equal(at(&t, 6, 0), "{\"A\":7,\"zz\":null,\"b\":[2,3,null]}");
    assert_string_equal(at(&t, 5, 0), "");
    table_free(&t);
    fl_pq_reader_free(r);
    fl_schema_free(ts);

    r = open_ok("data/map_no_value.parquet");
    const char *nov = "my_map_no_v";
    err.code = FL_OK;
    assert_int_equal(fl_pq_reader_project_names(r, &nov, 1, &err), FL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "my_map_no_v"));
    fl_pq_reader_free(r);
}

static void check_decimal_1_to_24(const char *rel) {
    struct table t;
    read_all(rel, &t);
    assert_int_equal(t.nrows, 24);
    for (size_t i = 0; i < 24; i++) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%zu", (i + 1) * 100);
        assert_string_equal(at(&t, i, 0), buf);
    }
    table_free(&t);
}

static void test_decimals(void **state) {
    (void)state;
    check_decimal_1_to_24("data/int32_decimal.parquet");
    check_decimal_1_to_24("data/int64_decimal.parquet");
    check_decimal_1_to_24("data/byte_array_decimal.parquet");
    check_decimal_1_to_24("data/fixed_length_decimal.parquet");
    check_decimal_1_to_24("data/fixed_length_decimal_legacy.parquet");
}

static void test_delta_files(void **state) {
    (void)state;
    check_csv("data/delta_binary_packed.parquet", "data/delta_binary_packed_expect.csv");
    check_csv("data/delta_byte_array.parquet", "data/delta_byte_array_expect.csv");
    check_csv("data/delta_encoding_optional_column.parquet",
              "data/delta_encoding_optional_column_expect.csv");
    check_csv("data/delta_encoding_required_column.parquet",
              "data/delta_encoding_required_column_expect.csv");
    struct table t;
    read_all("data/delta_length_byte_array.parquet", &t);
    assert_int_equal(t.nrows, 1000);
    table_free(&t);
}

static void test_byte_stream_split(void **state) {
    (void)state;
    struct table t;
    read_all("data/byte_stream_split_extended.gzip.parquet", &t);
    assert_int_equal(t.nrows, 200);
    assert_int_equal(t.ncols, 14);
    /* each BYTE_STREAM_SPLIT column holds the same values as its PLAIN twin */
    for (size_t i = 0; i < t.nrows; i++)
        for (int c = 0; c < 14; c += 2) assert_string_equal(at(&t, i, c), at(&t, i, c + 1));
    assert_string_equal(at(&t, 0, 6), "24191");
    assert_string_equal(at(&t, 0, 8), "293650000000");
    table_free(&t);

    read_all("data/byte_stream_split.zstd.parquet", &t);
    assert_int_equal(t.nrows, 300);
    assert_string_equal(at(&t, 0, 0), "1.76405239");
    assert_string_equal(at(&t, 1, 0), "0.400157213");
    table_free(&t);
}

static void test_checksums(void **state) {
    (void)state;
    struct table a, b;
    read_all("data/datapage_v1-uncompressed-checksum.parquet", &a);
    read_all("data/datapage_v1-snappy-compressed-checksum.parquet", &b);
    assert_int_equal(a.nrows, 5120);
    assert_int_equal(b.nrows, 5120);
    for (size_t i = 0; i < a.nrows * 2; i++) assert_string_equal(a.cells[i], b.cells[i]);
    table_free(&a);
    table_free(&b);
    /* dictionary pages with checksums; the strings are random UUIDs */
    read_all("data/plain-dict-uncompressed-checksum.parquet", &a);
    read_all("data/rle-dict-snappy-checksum.parquet", &b);
    assert_int_equal(a.nrows, 1000);
    assert_int_equal(b.nrows, 1000);
    assert_string_equal(at(&a, 0, 0), "0");
    assert_int_equal(strlen(at(&a, 999, 1)), 72); /* 36 characters in hex */
    assert_int_equal(strlen(at(&b, 999, 1)), 72);
    table_free(&a);
    table_free(&b);

    static const char *bad[] = {"data/datapage_v1-corrupt-checksum.parquet",
                                "data/rle-dict-uncompressed-corrupt-checksum.parquet"};
    for (int i = 0; i < 2; i++) {
        struct fl_pq_reader *r = open_ok(bad[i]);
        struct fl_error err = {0};
        assert_int_equal(read_table(r, &a, &err), FL_ERR_CORRUPT);
        assert_non_null(strstr(err.msg, "checksum"));
        table_free(&a);
        fl_pq_reader_free(r);
    }
}

static void test_codecs(void **state) {
    (void)state;
    static const char *files[] = {"data/hadoop_lz4_compressed.parquet",
                                  "data/non_hadoop_lz4_compressed.parquet",
                                  "data/lz4_raw_compressed.parquet"};
    for (int f = 0; f < 3; f++) {
        struct table t;
        read_all(files[f], &t);
        assert_int_equal(t.nrows, 4);
        assert_string_equal(at(&t, 0, 0), "1593604800");
        assert_string_equal(at(&t, 2, 0), "1593604801");
        assert_string_equal(at(&t, 0, 1), "616263"); /* "abc" */
        assert_string_equal(at(&t, 1, 1), "646566"); /* "def" */
        assert_string_equal(at(&t, 0, 2), "42");
        assert_string_equal(at(&t, 2, 2), "42.125");
        assert_string_equal(at(&t, 3, 2), "7.7000000000000002");
        table_free(&t);
    }
    struct table a, b;
    read_all("data/lz4_raw_compressed_larger.parquet", &a);
    read_all("data/hadoop_lz4_compressed_larger.parquet", &b);
    assert_int_equal(a.nrows, 10000);
    assert_int_equal(b.nrows, 10000);
    table_free(&a);
    table_free(&b);
}

static void test_page_v2(void **state) {
    (void)state;
    struct fl_pq_reader *r = open_ok("data/datapage_v2.snappy.parquet");
    struct fl_error err = {0};
    struct table t;
    /* column e is a list<int> in v2 pages (rep and def levels both) */
    assert_int_equal(read_table(r, &t, &err), FL_OK);
    assert_int_equal(t.nrows, 5);
    assert_string_equal(at(&t, 0, 4), "[1,2,3]");
    assert_string_equal(at(&t, 1, 4), "");
    assert_string_equal(at(&t, 2, 4), "");
    assert_string_equal(at(&t, 3, 4), "[1,2,3]");
    assert_string_equal(at(&t, 4, 4), "[1,2]");
    table_free(&t);
    fl_pq_reader_free(r);

    r = open_ok("data/datapage_v2.snappy.parquet");
    const char *names[] = {"d", "a", "b", "c"};
    assert_int_equal(fl_pq_reader_project_names(r, names, 4, &err), FL_OK);
    assert_int_equal(read_table(r, &t, &err), FL_OK);
    assert_int_equal(t.nrows, 5);
    static const char *want[5][4] = {{"true", "abc", "1", "2"},
                                     {"true", "abc", "2", "3"},
                                     {"true", "abc", "3", "4"},
                                     {"false", "", "4", "5"},
                                     {"true", "abc", "5", "2"}};
    for (size_t i = 0; i < 5; i++)
        for (int c = 0; c < 4; c++) assert_string_equal(at(&t, i, c), want[i][c]);
    table_free(&t);
    fl_pq_reader_free(r);

    read_all("data/datapage_v2_empty_datapage.snappy.parquet", &t);
    assert_int_equal(t.nrows, 1);
    assert_string_equal(at(&t, 0, 0), "");
    table_free(&t);
    read_all("data/page_v2_empty_compressed.parquet", &t);
    assert_int_equal(t.nrows, 10);
    table_free(&t);
}

static void test_int96_and_misc(void **state) {
    (void)state;
    struct table t;
    read_all("data/int96_from_spark.parquet", &t);
    static const char *want[] = {
        "1704141296123456",   "1704070800000000", "253402225200000000", "1735599600000000", "",
        "9089380393200000000"};
    assert_int_equal(t.nrows, 6);
    for (size_t i = 0; i < 6; i++) assert_string_equal(at(&t, i, 0), want[i]);
    table_free(&t);

    read_all("data/rle_boolean_encoding.parquet", &t);
    assert_int_equal(t.nrows, 68);
    table_free(&t);
    read_all("data/overflow_i16_page_cnt.parquet", &t);
    assert_int_equal(t.nrows, 40000);
    table_free(&t);
    read_all("data/dict-page-offset-zero.parquet", &t);
    assert_int_equal(t.nrows, 39);
    assert_string_equal(at(&t, 0, 0), "1552");
    table_free(&t);
    read_all("data/column_chunk_key_value_metadata.parquet", &t);
    assert_int_equal(t.nrows, 0);
    table_free(&t);
    /* a gzip page made of two concatenated gzip members: 1..513 */
    read_all("data/concatenated_gzip_members.parquet", &t);
    assert_int_equal(t.nrows, 513);
    for (size_t i = 0; i < t.nrows; i++) {
        char num[32];
        snprintf(num, sizeof(num), "%zu", i + 1);
        assert_string_equal(at(&t, i, 0), num);
    }
    table_free(&t);
    read_all("data/unknown-logical-type.parquet", &t);
    assert_int_equal(t.nrows, 3);
    table_free(&t);
}

static void test_meta_text(void **state) {
    (void)state;
    struct fl_pq_reader *r = open_ok("data/column_chunk_key_value_metadata.parquet");
    struct fl_buf b;
    fl_buf_init(&b, 1 << 20);
    assert_int_equal(fl_pq_meta_to_json(fl_pq_reader_meta(r), &b), FL_OK);
    assert_int_equal(fl_buf_append_u8(&b, 0), FL_OK);
    assert_non_null(strstr((char *)b.data, "\"foo\":\"bar\""));
    assert_non_null(strstr((char *)b.data, "\"thisiskeywithoutvalue\":null"));
    fl_buf_fini(&b);
    fl_pq_reader_free(r);

    r = open_ok("data/int32_decimal.parquet");
    fl_buf_init(&b, 1 << 20);
    assert_int_equal(fl_pq_meta_to_json(fl_pq_reader_meta(r), &b), FL_OK);
    assert_int_equal(fl_pq_schema_to_text(fl_pq_reader_meta(r), &b), FL_OK);
    assert_int_equal(fl_buf_append_u8(&b, 0), FL_OK);
    assert_non_null(strstr((char *)b.data, "\"min\":\"1.00\""));
    assert_non_null(strstr((char *)b.data, "\"max\":\"24.00\""));
    assert_non_null(strstr((char *)b.data, "\"encodings\":[\"BIT_PACKED\",\"RLE\",\"PLAIN\"]"));
    assert_non_null(strstr((char *)b.data, "int32 value (DECIMAL(4,2))"));
    fl_buf_fini(&b);
    fl_pq_reader_free(r);
}

static fl_err_t count_rows(struct fl_pq_reader *r, int64_t *rows, bool *seen, int32_t want) {
    struct fl_batch *b;
    struct fl_error err = {0};
    fl_err_t e;
    *rows = 0;
    while (!(e = fl_pq_reader_next(r, &b, &err))) {
        *rows += (int64_t)b->nrows;
        for (size_t i = 0; i < b->nrows; i++) {
            int32_t v;
            memcpy(&v, b->cols[0].values + 4 * i, 4);
            if (v == want) *seen = true;
        }
    }
    return e;
}

static void test_predicates(void **state) {
    (void)state;
    /* page index: id == 5000 keeps few pages of 7300 rows */
    struct fl_pq_reader *r = open_ok("data/alltypes_tiny_pages.parquet");
    struct fl_error err = {0};
    struct fl_pq_pred p = {.field_id = 1, .op = FL_PQ_PRED_EQ, .i64 = 5000};
    int32_t ids[] = {1, 13};
    assert_int_equal(fl_pq_reader_project_ids(r, ids, 2, &err), FL_OK);
    assert_int_equal(fl_pq_reader_add_pred(r, &p, &err), FL_OK);
    int64_t rows;
    bool seen = false;
    assert_int_equal(count_rows(r, &rows, &seen, 5000), FL_ERR_EOF);
    struct fl_pq_read_stats st;
    fl_pq_reader_stats(r, &st);
    assert_true(seen);
    assert_true(rows > 0 && rows < 7300);
    assert_true(st.pages_skipped > 0);
    fl_pq_reader_free(r);

    /* row group statistics: id > 1000000 skips everything */
    r = open_ok("data/alltypes_tiny_pages.parquet");
    p.op = FL_PQ_PRED_GT;
    p.i64 = 1000000;
    assert_int_equal(fl_pq_reader_add_pred(r, &p, &err), FL_OK);
    seen = false;
    assert_int_equal(count_rows(r, &rows, &seen, 0), FL_ERR_EOF);
    fl_pq_reader_stats(r, &st);
    assert_int_equal(rows, 0);
    assert_int_equal(st.row_groups_skipped, 1);
    fl_pq_reader_free(r);

    /* a predicate that keeps everything reads everything */
    r = open_ok("data/alltypes_tiny_pages.parquet");
    p.op = FL_PQ_PRED_GE;
    p.i64 = 0;
    assert_int_equal(fl_pq_reader_add_pred(r, &p, &err), FL_OK);
    assert_int_equal(count_rows(r, &rows, &seen, 0), FL_ERR_EOF);
    assert_int_equal(rows, 7300);
    fl_pq_reader_free(r);

    /* unknown field */
    r = open_ok("data/alltypes_tiny_pages.parquet");
    p.field_id = 999;
    assert_int_equal(fl_pq_reader_add_pred(r, &p, &err), FL_ERR_NOTFOUND);
    fl_pq_reader_free(r);
}

static void test_null_pages(void **state) {
    (void)state;
    /* int32_with_null_pages has a page of nulls: NOT_NULL may skip it, and
     * the rows kept still hold every non-null value */
    struct table all;
    read_all("data/int32_with_null_pages.parquet", &all);
    assert_int_equal(all.nrows, 1000);
    size_t nonnull = 0;
    for (size_t i = 0; i < all.nrows; i++) nonnull += at(&all, i, 0)[0] != 0;
    struct fl_pq_reader *r = open_ok("data/int32_with_null_pages.parquet");
    struct fl_error err = {0};
    struct fl_pq_pred p = {.field_id = 1, .op = FL_PQ_PRED_NOT_NULL};
    assert_int_equal(fl_pq_reader_add_pred(r, &p, &err), FL_OK);
    struct table t;
    assert_int_equal(read_table(r, &t, &err), FL_OK);
    size_t nn = 0;
    for (size_t i = 0; i < t.nrows; i++) nn += at(&t, i, 0)[0] != 0;
    assert_int_equal(nn, nonnull);
    assert_true(t.nrows < all.nrows);
    table_free(&t);
    table_free(&all);
    fl_pq_reader_free(r);
}

static void test_bad_data(void **state) {
    (void)state;
    static const char *files[] = {"bad_data/PARQUET-1481.parquet",
                                  "bad_data/ARROW-RS-GH-6229-DICTHEADER.parquet",
                                  "bad_data/ARROW-RS-GH-6229-LEVELS.parquet",
                                  "bad_data/ARROW-GH-41321.parquet",
                                  "bad_data/ARROW-GH-41317.parquet",
                                  "bad_data/ARROW-GH-45185.parquet",
                                  "bad_data/ARROW-GH-47662.parquet",
                                  "data/nation.dict-malformed.parquet"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct fl_pq_reader *r = NULL;
        struct fl_error err = {0};
        fl_err_t e = fl_pq_reader_open_file(fixture(files[i]), &r, &err);
        if (!e) {
            struct table t;
            e = read_table(r, &t, &err);
            table_free(&t);
            if (!e) {
                /* also with only the flat columns */
                fl_pq_reader_free(r);
                r = NULL;
            }
        }
        if (!e) fail_msg("%s was accepted", files[i]);
        assert_true(err.msg[0] != 0);
        fl_pq_reader_free(r);
    }
    /* A 1-entry dictionary whose indices use bit width 0: valid by the
     * spec (ceil(log2(1)) = 0), so it is read, not refused. */
    struct table t;
    read_all("bad_data/ARROW-GH-43605.parquet", &t);
    assert_int_equal(t.nrows, 21186);
    for (size_t i = 0; i < t.nrows; i++) assert_string_equal(at(&t, i, 0), "0");
    table_free(&t);
}

static void test_truncations(void **state) {
    (void)state;
    /* every prefix and a few corruptions of a small file fail cleanly */
    FILE *f = fopen(fixture("data/alltypes_plain.parquet"), "rb");
    assert_non_null(f);
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    for (size_t cut = 0; cut < n; cut += 7) {
        struct fl_pq_reader *r = NULL;
        struct fl_error err = {0};
        if (fl_pq_reader_open_mem(buf, cut, &r, &err) == FL_OK) fl_pq_reader_free(r);
    }
    uint8_t copy[4096];
    for (size_t pos = 4; pos < n - 8; pos += 3) {
        memcpy(copy, buf, n);
        copy[pos] ^= 0x5a;
        struct fl_pq_reader *r = NULL;
        struct fl_error err = {0};
        if (fl_pq_reader_open_mem(copy, n, &r, &err) == FL_OK) {
            struct table t;
            read_table(r, &t, &err);
            table_free(&t);
            fl_pq_reader_free(r);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alltypes_plain),
        cmocka_unit_test(test_schema_mapping),
        cmocka_unit_test(test_nested_values),
        cmocka_unit_test(test_nested_schema_and_projection),
        cmocka_unit_test(test_decimals),
        cmocka_unit_test(test_delta_files),
        cmocka_unit_test(test_byte_stream_split),
        cmocka_unit_test(test_checksums),
        cmocka_unit_test(test_codecs),
        cmocka_unit_test(test_page_v2),
        cmocka_unit_test(test_int96_and_misc),
        cmocka_unit_test(test_meta_text),
        cmocka_unit_test(test_predicates),
        cmocka_unit_test(test_null_pages),
        cmocka_unit_test(test_bad_data),
        cmocka_unit_test(test_truncations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
