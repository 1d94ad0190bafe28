/*
 * test_avro.c - Avro schemas, datums, encoding and object container files
 * (src/format/avro/).
 *
 * Round trips of every type through every codec; the spec's encoding
 * examples; corrupt and truncated files; every real Iceberg manifest and
 * manifest list in $FLOE_FIXTURES/iceberg read by floe, re-written by
 * floe and compared record by record by python3-avro; the icebird
 * fixtures' decoded .json checked field by field; and a manifest-shaped
 * file written by floe read back by two independent readers, Debian's
 * python3-avro (tests/unit/avro_check.py) and avsc from npm
 * (tests/interop/avro_check.mjs), which must see every field-id and every
 * metadata key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"
#include "format/avro/container.h"
#include "format/avro/decode.h"
#include "format/avro/encode.h"
#include "format/avro/schema.h"
#include "format/avro/value.h"
#include "fixtures.h"

/* ---- helpers ---- */

static const char *srcdir(void) {
    const char *s = getenv("FLOE_SRC");
    return s ? s : ".";
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) assert_int_equal(fl_buf_append(&b, tmp, n), 0);
    fclose(f);
    fl_buf_append_u8(&b, 0);
    size_t l;
    char *data = (char *)fl_buf_detach(&b, &l);
    if (len) *len = l - 1;
    return data;
}

static void spit(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Runs a shell command and returns its stdout (fl_free it). */
static char *run(const char *cmd) {
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), p)) > 0) assert_int_equal(fl_buf_append(&b, tmp, n), 0);
    int status = pclose(p);
    fl_buf_append_u8(&b, 0);
    char *out = (char *)fl_buf_detach(&b, NULL);
    if (status != 0) {
        print_error("command failed (%d): %s\noutput: %.2000s\n", status, cmd, out);
        fail();
    }
    return out;
}

static char tmpdir[256];

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup_tmp(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/floe-avro-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state) {
    (void)state;
    if (!getenv("FLOE_KEEP_TMP")) nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static struct fl_avro_schema *parse_ok(const char *json) {
    struct fl_avro_schema *s = NULL;
    struct fl_error err = {0};
    fl_err_t rc = fl_avro_schema_parse(json, strlen(json), &s, &err);
    if (rc) print_error("schema: %s\n", err.msg);
    assert_int_equal(rc, FL_OK);
    return s;
}

/* ---- encoding primitives: the spec's examples ---- */

static void test_spec_encodings(void **state) {
    (void)state;
    static const struct {
        int64_t v;
        uint8_t bytes[3];
        size_t n;
    } longs[] = {{0, {0x00}, 1}, {-1, {0x01}, 1},  {1, {0x02}, 1},        {-2, {0x03}, 1},
                 {2, {0x04}, 1}, {-64, {0x7f}, 1}, {64, {0x80, 0x01}, 2}, {-65, {0x81, 0x01}, 2}};
    struct fl_buf b;
    fl_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++) {
        fl_buf_reset(&b);
        assert_int_equal(fl_avro_put_long(&b, longs[i].v), 0);
        assert_int_equal(b.len, longs[i].n);
        assert_memory_equal(b.data, longs[i].bytes, longs[i].n);
        struct fl_avro_in in = {b.data, b.len};
        int64_t back;
        assert_int_equal(fl_avro_get_long(&in, &back), 0);
        assert_int_equal(back, longs[i].v);
        assert_int_equal(in.left, 0);
    }
    /* extremes */
    int64_t ext[] = {INT64_MIN, INT64_MAX, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < 4; i++) {
        fl_buf_reset(&b);
        fl_avro_put_long(&b, ext[i]);
        struct fl_avro_in in = {b.data, b.len};
        int64_t back;
        assert_int_equal(fl_avro_get_long(&in, &back), 0);
        assert_true(back == ext[i]);
    }
    /* "foo" is 06 66 6f 6f */
    fl_buf_reset(&b);
    fl_avro_put_bytes(&b, "foo", 3);
    assert_memory_equal(b.data, "\x06\x66\x6f\x6f", 4);
    /* a 10th byte past 64 bits is dropped as Java does; an 11-byte varint
     * and a truncated one are refused */
    static const uint8_t wide[10] = {0xab, 0xc4, 0xa3, 0x83, 0x96, 0xee, 0xc3, 0x90, 0x92, 0x02};
    struct fl_avro_in win = {wide, sizeof(wide)};
    int64_t wv;
    assert_int_equal(fl_avro_get_long(&win, &wv), 0);
    assert_true(wv == -653171173268680982LL);
    uint8_t bad[11];
    memset(bad, 0xff, sizeof(bad));
    struct fl_avro_in in = {bad, sizeof(bad)};
    int64_t v;
    assert_int_equal(fl_avro_get_long(&in, &v), FL_ERR_CORRUPT);
    in.p = bad;
    in.left = 3;
    assert_int_equal(fl_avro_get_long(&in, &v), FL_ERR_CORRUPT);
    fl_buf_fini(&b);
}

/* The spec's array example, and the same array in a block with a negative
 * count and a byte size; a map; an int that does not fit. */
static void test_blocks(void **state) {
    (void)state;
    struct fl_avro_schema *s = parse_ok("{\"type\": \"array\", \"items\": \"long\"}");
    struct fl_avro_arena arena;
    fl_avro_arena_init(&arena, 1 << 20);
    struct fl_avro_value v;
    struct fl_error err = {0};
    static const uint8_t spec[] = {0x04, 0x06, 0x36, 0x00}; /* [3, 27] */
    static const uint8_t neg[] = {0x03, 0x04, 0x06, 0x36, 0x01,
                                  0x02, 0x02, 0x00}; /* -2 items
of 2 bytes, then one more block of 1, then 0 */
    struct fl_avro_in in = {spec, sizeof(spec)};
    assert_int_equal(fl_avro_decode(&in, fl_avro_schema_root(s), &arena, &v, &err), 0);
    assert_int_equal(v.n, 2);
    assert_int_equal(v.u.items[0].u.l, 3);
    assert_int_equal(v.u.items[1].u.l, 27);
    assert_int_equal(in.left, 0);
    in = (struct fl_avro_in){neg, sizeof(neg)};
    assert_int_equal(fl_avro_decode(&in, fl_avro_schema_root(s), &arena, &v, &err), 0);
    assert_int_equal(v.n, 3);
    assert_int_equal(v.u.items[2].u.l, 1);
    /* a block size that lies */
    static const uint8_t lie[] = {0x03, 0x06, 0x06, 0x36, 0x00};
    in = (struct fl_avro_in){lie, sizeof(lie)};
    assert_int_equal(fl_avro_decode(&in, fl_avro_schema_root(s), &arena, &v, &err), FL_ERR_CORRUPT);
    /* a count far beyond the bytes left */
    fl_err_clear(&err);
    static const uint8_t huge[] = {0xfe, 0xff, 0xff, 0xff, 0x0f, 0x02};
    in = (struct fl_avro_in){huge, sizeof(huge)};
    assert_int_equal(fl_avro_decode(&in, fl_avro_schema_root(s), &arena, &v, &err), FL_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "count"));
    fl_avro_schema_free(s);

    /* an array of nulls: zero bytes an item, bounded by the arena cap */
    s = parse_ok("{\"type\": \"array\", \"items\": \"null\"}");
    static const uint8_t nulls[] = {0xfe, 0xff, 0xff, 0xff, 0x0f, 0x00};
    in = (struct fl_avro_in){nulls, sizeof(nulls)};
    fl_err_clear(&err);
    assert_int_equal(fl_avro_decode(&in, fl_avro_schema_root(s), &arena, &v, &err), FL_ERR_LIMIT);
    fl_avro_schema_free(s);

    s = parse_ok("{\"type\": \"map\", \"values\": \"int\"}");
    static const uint8_t map[] = {0x02, 0x02, 'a', 0x54, 0x00};
    in = (struct fl_avro_in){map, sizeof(map)};
    fl_err_clear(&err);
    assert_int_equal(fl_avro_decode(&in, fl_avro_schema_root(s), &arena, &v, &err), 0);
    assert_int_equal(v.n, 1);
    assert_string_equal((char *)v.u.map.keys[0].u.bytes.data, "a");
    assert_int_equal(v.u.map.values[0].u.i, 42);
    fl_avro_schema_free(s);

    s = parse_ok("\"int\"");
    static const uint8_t big[] = {0x80, 0x80, 0x80, 0x80, 0x10}; /* 2^32 zigzagged */
    in = (struct fl_avro_in){big, sizeof(big)};
    assert_int_equal(fl_avro_decode(&in, fl_avro_schema_root(s), &arena, &v, &err), FL_ERR_CORRUPT);
    fl_avro_schema_free(s);
    fl_avro_arena_fini(&arena);
}

/* ---- schemas ---- */

static const char *ALL_TYPES =
    "{\"type\": \"record\", \"name\": \"all\", \"namespace\": \"floe.test\", \"fields\": [\n"
    " {\"name\": \"n\", \"type\": \"null\", \"field-id\": 1},\n"
    " {\"name\": \"b\", \"type\": \"boolean\", \"field-id\": 2},\n"
    " {\"name\": \"i\", \"type\": \"int\", \"field-id\": 3},\n"
    " {\"name\": \"l\", \"type\": \"long\", \"field-id\": 4},\n"
    " {\"name\": \"f\", \"type\": \"float\", \"field-id\": 5},\n"
    " {\"name\": \"d\", \"type\": \"double\", \"field-id\": 6},\n"
    " {\"name\": \"by\", \"type\": \"bytes\", \"field-id\": 7},\n"
    " {\"name\": \"s\", \"type\": \"string\", \"field-id\": 8, \"doc\": \"a string\"},\n"
    " {\"name\": \"e\", \"type\": {\"type\": \"enum\", \"name\": \"color\", \"symbols\": "
    "[\"RED\", \"GREEN\", \"BLUE\"]}, \"field-id\": 9},\n"
    " {\"name\": \"fx\", \"type\": {\"type\": \"fixed\", \"name\": \"f4\", \"size\": 4}, "
    "\"field-id\": 10},\n"
    " {\"name\": \"date\", \"type\": {\"type\": \"int\", \"logicalType\": \"date\"}, "
    "\"field-id\": 11},\n"
    " {\"name\": \"tm\", \"type\": {\"type\": \"long\", \"logicalType\": \"time-micros\"}, "
    "\"field-id\": 12},\n"
    " {\"name\": \"ts\", \"type\": {\"type\": \"long\", \"logicalType\": \"timestamp-micros\", "
    "\"adjust-to-utc\": true}, \"field-id\": 13},\n"
    " {\"name\": \"dec\", \"type\": {\"type\": \"fixed\", \"name\": \"dec_9_2\", \"size\": 4, "
    "\"logicalType\": \"decimal\", \"precision\": 9, \"scale\": 2}, \"field-id\": 14},\n"
    " {\"name\": \"uuid\", \"type\": {\"type\": \"fixed\", \"name\": \"uuid_fixed\", \"size\": 16, "
    "\"logicalType\": \"uuid\"}, \"field-id\": 15},\n"
    " {\"name\": \"opt\", \"type\": [\"null\", \"long\"], \"default\": null, \"field-id\": 16},\n"
    " {\"name\": \"tags\", \"type\": {\"type\": \"array\", \"items\": \"string\", "
    "\"element-id\": 18}, \"field-id\": 17},\n"
    " {\"name\": \"props\", \"type\": {\"type\": \"map\", \"values\": [\"null\", \"int\"], "
    "\"key-id\": 20, \"value-id\": 21}, \"field-id\": 19},\n"
    " {\"name\": \"counts\", \"type\": [\"null\", {\"type\": \"array\", \"logicalType\": \"map\", "
    "\"items\": {\"type\": \"record\", \"name\": \"k23_v24\", \"fields\": [\n"
    "   {\"name\": \"key\", \"type\": \"int\", \"field-id\": 23},\n"
    "   {\"name\": \"value\", \"type\": \"long\", \"field-id\": 24}]}}], \"field-id\": 22},\n"
    " {\"name\": \"again\", \"type\": [\"null\", \"f4\", \"floe.test.color\"], \"field-id\": 25},\n"
    " {\"name\": \"sub\", \"type\": {\"type\": \"record\", \"name\": \"sub\", \"namespace\": "
    "\"other\", \"fields\": [{\"name\": \"x\", \"type\": \"double\", \"field-id\": 27}, "
    "{\"name\": \"me\", \"type\": [\"null\", \"sub\"], \"field-id\": 28}]}, \"field-id\": 26}\n"
    "]}";

static void test_schema_tree(void **state) {
    (void)state;
    struct fl_avro_schema *s = parse_ok(ALL_TYPES);
    size_t len;
    assert_string_equal(fl_avro_schema_json(s, &len), ALL_TYPES); /* byte-exact */
    assert_int_equal(len, strlen(ALL_TYPES));
    const struct fl_avro_node *root = fl_avro_schema_root(s);
    assert_int_equal(root->type, FL_AVRO_RECORD);
    assert_string_equal(root->name, "floe.test.all");
    assert_int_equal(root->nfields, 21);
    size_t idx;
    const struct fl_avro_field *f = fl_avro_node_field(root, "ts", &idx);
    assert_non_null(f);
    assert_int_equal(idx, 12);
    assert_int_equal(f->field_id, 13);
    assert_int_equal(f->type->logical, FL_AVRO_LT_TIMESTAMP_MICROS);
    assert_true(f->type->adjust_to_utc);
    assert_int_equal(fl_avro_node_field(root, "date", NULL)->type->logical, FL_AVRO_LT_DATE);
    assert_int_equal(fl_avro_node_field(root, "tm", NULL)->type->logical, FL_AVRO_LT_TIME_MICROS);
    const struct fl_avro_node *dec = fl_avro_node_field(root, "dec", NULL)->type;
    assert_int_equal(dec->logical, FL_AVRO_LT_DECIMAL);
    assert_int_equal(dec->precision, 9);
    assert_int_equal(dec->scale, 2);
    assert_string_equal(dec->name, "floe.test.dec_9_2");
    assert_int_equal(fl_avro_node_field(root, "uuid", NULL)->type->logical, FL_AVRO_LT_UUID);
    assert_string_equal(fl_avro_node_field(root, "s", NULL)->doc, "a string");
    assert_true(fl_avro_node_field(root, "opt", NULL)->has_default);
    assert_int_equal(fl_avro_node_nonnull(fl_avro_node_field(root, "opt", NULL)->type)->type,
                     FL_AVRO_LONG);
    const struct fl_avro_node *tags = fl_avro_node_field_by_id(root, 17, NULL)->type;
    assert_int_equal(tags->type, FL_AVRO_ARRAY);
    assert_int_equal(tags->element_id, 18);
    const struct fl_avro_node *props = fl_avro_node_field_by_id(root, 19, NULL)->type;
    assert_int_equal(props->key_id, 20);
    assert_int_equal(props->value_id, 21);
    const struct fl_avro_node *counts =
        fl_avro_node_nonnull(fl_avro_node_field_by_id(root, 22, NULL)->type);
    assert_int_equal(counts->logical, FL_AVRO_LT_MAP);
    assert_int_equal(fl_avro_node_field(counts->items, "key", NULL)->field_id, 23);
    assert_int_equal(fl_avro_node_field_by_id(counts->items, 24, NULL)->type->type, FL_AVRO_LONG);
    /* named references resolve to the same nodes */
    const struct fl_avro_node *again = fl_avro_node_field(root, "again", NULL)->type;
    assert_ptr_equal(again->branches[1], fl_avro_node_field(root, "fx", NULL)->type);
    assert_ptr_equal(again->branches[2], fl_avro_node_field(root, "e", NULL)->type);
    const struct fl_avro_node *sub = fl_avro_node_field(root, "sub", NULL)->type;
    assert_string_equal(sub->name, "other.sub");
    assert_ptr_equal(fl_avro_node_field(sub, "me", NULL)->type->branches[1], sub);
    assert_null(fl_avro_node_field(root, "nope", NULL));
    assert_null(fl_avro_node_field_by_id(root, 999, NULL));
    /* unknown logical types and misplaced ones fall back to the base type */
    struct fl_avro_schema *s2 = parse_ok("{\"type\": \"string\", \"logicalType\": \"date\"}");
    assert_int_equal(fl_avro_schema_root(s2)->logical, FL_AVRO_LT_NONE);
    fl_avro_schema_free(s2);
    fl_avro_schema_free(s);
}

static void test_schema_errors(void **state) {
    (void)state;
    static const struct {
        const char *json;
        fl_err_t rc;
    } bad[] = {
        {"", FL_ERR_INVALID},
        {"{", FL_ERR_INVALID},
        {"\"nope\"", FL_ERR_INVALID},
        {"42", FL_ERR_INVALID},
        {"[]", FL_ERR_INVALID},
        {"[\"null\", [\"int\"]]", FL_ERR_INVALID},
        {"[\"int\", \"int\"]", FL_ERR_INVALID},
        {"{\"type\": \"record\", \"name\": \"a\"}", FL_ERR_INVALID},
        {"{\"type\": \"record\", \"fields\": []}", FL_ERR_INVALID},
        {"{\"type\": \"record\", \"name\": \"a\", \"fields\": [{\"name\": \"x\", \"type\": "
         "\"int\"}, {\"name\": \"x\", \"type\": \"int\"}]}",
         FL_ERR_INVALID},
        {"{\"type\": \"record\", \"name\": \"a\", \"fields\": [{\"name\": \"x\"}]}",
         FL_ERR_INVALID},
        {"{\"type\": \"record\", \"name\": \"a\", \"fields\": [{\"name\": \"x\", \"type\": "
         "\"int\", \"field-id\": \"7\"}]}",
         FL_ERR_INVALID},
        {"{\"type\": \"record\", \"name\": \"a\", \"fields\": [{\"name\": \"x\", \"type\": "
         "{\"type\": \"record\", \"name\": \"a\", \"fields\": []}}]}",
         FL_ERR_INVALID},
        {"{\"type\": \"enum\", \"name\": \"e\", \"symbols\": []}", FL_ERR_INVALID},
        {"{\"type\": \"fixed\", \"name\": \"f\", \"size\": -1}", FL_ERR_INVALID},
        {"{\"type\": \"array\"}", FL_ERR_INVALID},
        {"{\"type\": \"map\", \"values\": \"what\"}", FL_ERR_INVALID},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fl_avro_schema *s = (struct fl_avro_schema *)1;
        struct fl_error err = {0};
        fl_err_t rc = fl_avro_schema_parse(bad[i].json, strlen(bad[i].json), &s, &err);
        if (rc != bad[i].rc) print_error("schema %zu: %s -> %d\n", i, bad[i].json, rc);
        assert_int_equal(rc, bad[i].rc);
        assert_null(s);
        assert_true(err.msg[0] != '\0');
    }
    /* nesting beyond the cap */
    struct fl_buf b;
    fl_buf_init(&b, 1 << 20);
    for (int i = 0; i < 100; i++) fl_buf_append_str(&b, "{\"type\": \"array\", \"items\": ");
    fl_buf_append_str(&b, "\"int\"");
    for (int i = 0; i < 100; i++) fl_buf_append_str(&b, "}");
    struct fl_avro_schema *s;
    struct fl_error err = {0};
    assert_int_equal(fl_avro_schema_parse((char *)b.data, b.len, &s, &err), FL_ERR_LIMIT);
    fl_buf_fini(&b);
}

/* ---- datums and containers ---- */

/* Fills record number k of ALL_TYPES with values that vary with k. */
static void fill_all(struct fl_avro_arena *a, struct fl_avro_value *rec, int k) {
    assert_int_equal(fl_avro_value_set_null(fl_avro_value_field(rec, "n")), 0);
    assert_int_equal(fl_avro_value_set_bool(fl_avro_value_field(rec, "b"), k % 2), 0);
    assert_int_equal(fl_avro_value_set_int(fl_avro_value_field(rec, "i"), k % 3 ? -k : INT32_MIN),
                     0);
    assert_int_equal(fl_avro_value_set_long(fl_avro_value_field_by_id(rec, 4),
                                            k % 5 ? (int64_t)k * 1000003 : INT64_MAX),
                     0);
    assert_int_equal(fl_avro_value_set_float(fl_avro_value_field(rec, "f"), (float)k / 3), 0);
    assert_int_equal(fl_avro_value_set_double(fl_avro_value_field(rec, "d"), -1.0 / (k + 1)), 0);
    uint8_t raw[300];
    for (size_t i = 0; i < sizeof(raw); i++) raw[i] = (uint8_t)(i * k);
    assert_int_equal(fl_avro_value_set_bytes(a, fl_avro_value_field(rec, "by"), raw, k % 300), 0);
    char str[64];
    snprintf(str, sizeof(str), "s3://bucket/data/%05d-\xc3\xa9.parquet", k);
    assert_int_equal(fl_avro_value_set_string(a, fl_avro_value_field(rec, "s"), str), 0);
    assert_int_equal(fl_avro_value_set_enum(fl_avro_value_field(rec, "e"), k % 3 == 0   ? "RED"
                                                                           : k % 3 == 1 ? "GREEN"
                                                                                        : "BLUE"),
                     0);
    assert_int_equal(fl_avro_value_set_bytes(a, fl_avro_value_field(rec, "fx"), "abcd", 4), 0);
    assert_int_equal(fl_avro_value_set_int(fl_avro_value_field(rec, "date"), 17486 + k), 0);
    assert_int_equal(fl_avro_value_set_long(fl_avro_value_field(rec, "tm"), 81068000000), 0);
    assert_int_equal(fl_avro_value_set_long(fl_avro_value_field(rec, "ts"), 1510871468000000), 0);
    assert_int_equal(
        fl_avro_value_set_bytes(a, fl_avro_value_field(rec, "dec"), "\x00\x00\x05\x8c", 4), 0);
    assert_int_equal(fl_avro_value_set_bytes(a, fl_avro_value_field(rec, "uuid"),
                                             "\xf7\x9c\x3e\x09\x67\x7c\x4b\xbd\xa4\x79\x3f\x34"
                                             "\x9c\xb7\x85\xe7",
                                             16),
                     0);
    if (k % 4) assert_int_equal(fl_avro_value_set_long(fl_avro_value_field(rec, "opt"), -k), 0);
    struct fl_avro_value *tags = fl_avro_value_field(rec, "tags");
    assert_int_equal(fl_avro_value_resize(a, tags, (size_t)(k % 4)), 0);
    for (size_t i = 0; i < tags->n; i++)
        assert_int_equal(fl_avro_value_set_string(a, &tags->u.items[i], i ? "x" : ""), 0);
    struct fl_avro_value *props = fl_avro_value_field(rec, "props");
    assert_int_equal(fl_avro_value_resize(a, props, (size_t)(k % 3)), 0);
    for (size_t i = 0; i < props->n; i++) {
        assert_int_equal(fl_avro_value_set_string(a, &props->u.map.keys[i], i ? "k1" : "k0"), 0);
        if (i) assert_int_equal(fl_avro_value_set_int(&props->u.map.values[i], (int)i), 0);
    }
    struct fl_avro_value *counts = fl_avro_value_field(rec, "counts");
    if (k % 2) {
        assert_int_equal(fl_avro_value_select(a, counts, FL_AVRO_ARRAY), 0);
        assert_int_equal(fl_avro_value_resize(a, counts, 2), 0);
        for (size_t i = 0; i < 2; i++) {
            fl_avro_value_set_int(fl_avro_value_field(&counts->u.items[i], "key"), (int)i + 1);
            fl_avro_value_set_long(fl_avro_value_field_by_id(&counts->u.items[i], 24),
                                   (int64_t)1 << 40);
        }
    }
    struct fl_avro_value *again = fl_avro_value_field(rec, "again");
    if (k % 3 == 1) assert_int_equal(fl_avro_value_set_bytes(a, again, "wxyz", 4), 0);
    if (k % 3 == 2) assert_int_equal(fl_avro_value_set_enum(again, "BLUE"), 0);
    struct fl_avro_value *sub = fl_avro_value_field(rec, "sub");
    fl_avro_value_set_double(fl_avro_value_field(sub, "x"), 0.5);
    if (k % 2) {
        struct fl_avro_value *me = fl_avro_value_field(sub, "me");
        assert_int_equal(fl_avro_value_select(a, me, FL_AVRO_RECORD), 0);
        fl_avro_value_set_double(fl_avro_value_field(me, "x"), 1.5);
    }
}

static void test_setter_errors(void **state) {
    (void)state;
    struct fl_avro_schema *s = parse_ok(ALL_TYPES);
    struct fl_avro_arena a;
    fl_avro_arena_init(&a, 1 << 20);
    struct fl_avro_value rec;
    assert_int_equal(fl_avro_value_init(&a, fl_avro_schema_root(s), &rec), 0);
    assert_true(fl_avro_value_is_null(fl_avro_value_field(&rec, "opt")));
    assert_int_equal(fl_avro_value_set_string(&a, fl_avro_value_field(&rec, "l"), "x"),
                     FL_ERR_INVALID);
    assert_int_equal(fl_avro_value_set_bytes(&a, fl_avro_value_field(&rec, "fx"), "abc", 3),
                     FL_ERR_RANGE);
    assert_int_equal(fl_avro_value_set_long(fl_avro_value_field(&rec, "i"), INT64_MAX),
                     FL_ERR_RANGE);
    assert_int_equal(fl_avro_value_set_enum(fl_avro_value_field(&rec, "e"), "PINK"), FL_ERR_RANGE);
    assert_int_equal(fl_avro_value_set_null(fl_avro_value_field(&rec, "l")), FL_ERR_INVALID);
    /* a value that does not fit its schema is refused by the writer */
    struct fl_avro_writer *w;
    struct fl_error err = {0};
    assert_int_equal(fl_avro_writer_new(s, FL_AVRO_CODEC_NULL, &w, &err), 0);
    assert_int_equal(fl_avro_writer_set_meta(w, "avro.codec", "x", 1, &err), FL_ERR_INVALID);
    fl_err_clear(&err);
    struct fl_avro_value *i = fl_avro_value_field(&rec, "i");
    i->type = fl_avro_node_field(fl_avro_schema_root(s), "s", NULL)->type;
    assert_int_equal(fl_avro_writer_append(w, &rec, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "i: "));
    fl_avro_writer_free(w);
    fl_avro_arena_fini(&a);
    fl_avro_schema_free(s);
}

/* Writes n records of ALL_TYPES with codec, small blocks; returns the file. */
static uint8_t *write_all(const struct fl_avro_schema *s, fl_avro_codec_t codec, int n,
                          struct fl_avro_arena *a, struct fl_avro_value *recs, size_t *len) {
    struct fl_avro_writer *w;
    struct fl_error err = {0};
    assert_int_equal(fl_avro_writer_new(s, codec, &w, &err), 0);
    assert_int_equal(fl_avro_writer_set_meta(w, "schema-id", "7", 1, &err), 0);
    assert_int_equal(fl_avro_writer_set_meta(w, "content", "data", 4, &err), 0);
    assert_int_equal(fl_avro_writer_set_meta(w, "empty", "", 0, &err), 0);
    assert_int_equal(fl_avro_writer_set_meta(w, "content", "deletes", 7, &err), 0);
    static const uint8_t sync[16] = "0123456789abcdef";
    fl_avro_writer_set_sync(w, sync);
    fl_avro_writer_set_block_bytes(w, 700);
    for (int k = 0; k < n; k++) {
        assert_int_equal(fl_avro_value_init(a, fl_avro_schema_root(s), &recs[k]), 0);
        fill_all(a, &recs[k], k);
        fl_err_t rc = fl_avro_writer_append(w, &recs[k], &err);
        if (rc) print_error("append %d: %s\n", k, err.msg);
        assert_int_equal(rc, 0);
    }
    assert_int_equal(fl_avro_writer_set_meta(w, "late", "x", 1, &err), FL_ERR_INVALID);
    uint8_t *data;
    assert_int_equal(fl_avro_writer_finish(w, &data, len, &err), 0);
    fl_avro_writer_free(w);
    return data;
}

static void test_roundtrip_codecs(void **state) {
    (void)state;
    enum { N = 120 };
    struct fl_avro_schema *s = parse_ok(ALL_TYPES);
    for (int codec = 0; codec <= FL_AVRO_CODEC_ZSTANDARD; codec++) {
        struct fl_avro_arena a;
        fl_avro_arena_init(&a, 64 << 20);
        struct fl_avro_value recs[N];
        size_t len;
        uint8_t *data = write_all(s, (fl_avro_codec_t)codec, N, &a, recs, &len);
        struct fl_avro_reader *r;
        struct fl_error err = {0};
        fl_err_t rc = fl_avro_reader_open(data, len, NULL, &r, &err);
        if (rc) print_error("open: %s\n", err.msg);
        assert_int_equal(rc, 0);
        assert_int_equal(fl_avro_reader_codec(r), codec);
        size_t sl;
        assert_string_equal(fl_avro_schema_json(fl_avro_reader_schema(r), &sl), ALL_TYPES);
        size_t ml;
        assert_string_equal(fl_avro_reader_meta(r, "content", &ml), "deletes");
        assert_int_equal(ml, 7);
        assert_string_equal(fl_avro_reader_meta(r, "schema-id", NULL), "7");
        assert_string_equal(fl_avro_reader_meta(r, "empty", &ml), "");
        assert_string_equal(fl_avro_reader_meta(r, "avro.codec", NULL),
                            fl_avro_codec_name((fl_avro_codec_t)codec));
        assert_null(fl_avro_reader_meta(r, "late", NULL));
        assert_int_equal(fl_avro_reader_meta_count(r), 5);
        const char *k0, *v0;
        fl_avro_reader_meta_at(r, 0, &k0, &v0, &ml);
        assert_string_equal(k0, "avro.schema");
        const struct fl_avro_value *rec;
        int k = 0;
        while ((rc = fl_avro_reader_next(r, &rec, &err)) == FL_OK) {
            assert_true(k < N);
            assert_true(fl_avro_value_equal(rec, &recs[k]));
            k++;
        }
        if (rc != FL_ERR_EOF) print_error("next: %s\n", err.msg);
        assert_int_equal(rc, FL_ERR_EOF);
        assert_int_equal(k, N);
        assert_int_equal(fl_avro_reader_next(r, &rec, &err), FL_ERR_EOF);
        fl_avro_reader_free(r);
        {
            char path[512];
            snprintf(path, sizeof(path), "%s/all_%s.avro", tmpdir,
                     fl_avro_codec_name((fl_avro_codec_t)codec));
            spit(path, data, len);
        }
        fl_free(data);
        fl_avro_arena_fini(&a);
    }
    fl_avro_schema_free(s);
}

/* Same writer, same records, same sync marker: same bytes. And python3-avro
 * reads the all-types file with every field-id. */
static void test_all_types_python(void **state) {
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 %s/tests/unit/avro_check.py describe %s/all_deflate.avro", srcdir(),
             tmpdir);
    char *out = run(cmd);
    json_error_t jerr;
    json_t *j = json_loads(out, 0, &jerr);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 120);
    json_t *fids = json_object_get(json_object_get(j, "ids"), "field-id");
    assert_int_equal(json_array_size(fids), 25); /* 1..17, 19, 22..28 */
    json_t *rec5 = json_array_get(json_object_get(j, "records"), 5);
    assert_int_equal(json_integer_value(json_object_get(rec5, "l")), INT64_MAX);
    assert_string_equal(json_string_value(json_object_get(rec5, "s")),
                        "s3://bucket/data/00005-\xc3\xa9.parquet");
    assert_string_equal(json_string_value(json_object_get(rec5, "e")), "BLUE");
    assert_int_equal(json_integer_value(json_object_get(rec5, "opt")), -5);
    assert_int_equal(json_integer_value(json_object_get(rec5, "i")), -5);
    json_decref(j);
    fl_free(out);
}

static void test_corrupt_files(void **state) {
    (void)state;
    struct fl_avro_schema *s = parse_ok(ALL_TYPES);
    struct fl_avro_arena a;
    fl_avro_arena_init(&a, 64 << 20);
    struct fl_avro_value recs[20];
    size_t len;
    uint8_t *data = write_all(s, FL_AVRO_CODEC_DEFLATE, 20, &a, recs, &len);
    struct fl_avro_reader_opts opts = {1 << 20, 1 << 20};
    /* every truncation: a clean error, or (at a block boundary) fewer records */
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = fl_malloc(cut ? cut : 1);
        memcpy(copy, data, cut);
        struct fl_avro_reader *r;
        struct fl_error err = {0};
        fl_err_t rc = fl_avro_reader_open(copy, cut, &opts, &r, &err);
        size_t n = 0;
        if (!rc) {
            const struct fl_avro_value *rec;
            while ((rc = fl_avro_reader_next(r, &rec, &err)) == FL_OK) n++;
            fl_avro_reader_free(r);
        }
        if (rc == FL_ERR_EOF) {
            assert_true(n < 20);
        } else {
            assert_int_equal(rc, FL_ERR_CORRUPT);
            assert_true(err.msg[0] != '\0');
        }
        fl_free(copy);
    }
    /* every single-byte flip: no crash, and a corrupt sync marker is caught */
    for (size_t pos = 0; pos < len; pos++) {
        uint8_t *copy = fl_malloc(len);
        memcpy(copy, data, len);
        copy[pos] ^= 0x5a;
        struct fl_avro_reader *r;
        struct fl_error err = {0};
        fl_err_t rc = fl_avro_reader_open(copy, len, &opts, &r, &err);
        if (!rc) {
            const struct fl_avro_value *rec;
            while ((rc = fl_avro_reader_next(r, &rec, &err)) == FL_OK) {
            }
            fl_avro_reader_free(r);
        }
        if (pos >= len - 16) assert_int_equal(rc, FL_ERR_CORRUPT); /* last sync marker */
        if (pos < 4) assert_int_equal(rc, FL_ERR_CORRUPT);         /* magic */
        fl_free(copy);
    }
    /* an unknown codec */
    uint8_t *p = memmem(data, len, "deflate", 7);
    assert_non_null(p);
    memcpy(p, "lzmaxyz", 7);
    struct fl_avro_reader *r;
    struct fl_error err = {0};
    assert_int_equal(fl_avro_reader_open(data, len, NULL, &r, &err), FL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "lzmaxyz"));
    fl_free(data);
    fl_avro_arena_fini(&a);
    fl_avro_schema_free(s);
}

/* ---- real Iceberg files ---- */

static struct {
    char **paths;
    size_t n;
} found;

static int find_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)ftw;
    size_t l = strlen(path);
    if (flag == FTW_F && l > 5 && strcmp(path + l - 5, ".avro") == 0) {
        found.paths = fl_reallocarray(found.paths, found.n + 1, sizeof(char *));
        found.paths[found.n++] = fl_strdup(path);
    }
    return 0;
}

/* What Java's decoder makes of the 65-bit varint for 9876543210123456789
 * that a duckdb-iceberg test table carries as a snapshot id. */
#define JAVA_WRAPPED_ID (-653171173268680982LL)

/* Reads every fixture with floe, writes every record again with floe
 * (same schema text, metadata and codec), then has python3-avro compare
 * original and copy record by record. */
static void test_iceberg_fixtures(void **state) {
    (void)state;
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/iceberg", fixtures_dir());
    found.n = 0;
    assert_int_equal(nftw(dir, find_cb, 16, FTW_PHYS), 0);
    assert_true(found.n >= 100);
    char list[512];
    snprintf(list, sizeof(list), "%s/fixtures.list", tmpdir);
    FILE *lf = fopen(list, "w");
    assert_non_null(lf);
    size_t total = 0, files = 0, files_compared = 0, wide_files = 0;
    for (size_t i = 0; i < found.n; i++) {
        const char *path = found.paths[i];
        struct fl_avro_reader *r;
        struct fl_error err = {0};
        fl_err_t rc = fl_avro_reader_open_file(path, NULL, &r, &err);
        if (strstr(path, "encrypted")) { /* AES-GCM stream, not Avro */
            assert_int_equal(rc, FL_ERR_CORRUPT);
            assert_non_null(strstr(err.msg, "magic"));
            fl_free(found.paths[i]);
            continue;
        }
        if (rc) print_error("%s: %s\n", path, err.msg);
        assert_int_equal(rc, FL_OK);
        struct fl_avro_writer *w;
        assert_int_equal(
            fl_avro_writer_new(fl_avro_reader_schema(r), fl_avro_reader_codec(r), &w, &err), 0);
        for (size_t m = 0; m < fl_avro_reader_meta_count(r); m++) {
            const char *k, *v;
            size_t vl;
            fl_avro_reader_meta_at(r, m, &k, &v, &vl);
            if (strncmp(k, "avro.", 5) != 0)
                assert_int_equal(fl_avro_writer_set_meta(w, k, v, vl, &err), 0);
        }
        const struct fl_avro_value *rec;
        size_t n = 0;
        bool wide = false;
        while ((rc = fl_avro_reader_next(r, &rec, &err)) == FL_OK) {
            n++;
            assert_int_equal(fl_avro_writer_append(w, rec, &err), 0);
            const struct fl_avro_value *sid = fl_avro_value_field(rec, "snapshot_id");
            if (!sid) sid = fl_avro_value_field(rec, "added_snapshot_id");
            if (sid && !fl_avro_value_is_null(sid) && sid->u.l == JAVA_WRAPPED_ID) wide = true;
        }
        if (rc != FL_ERR_EOF) print_error("%s: %s\n", path, err.msg);
        assert_int_equal(rc, FL_ERR_EOF);
        uint8_t *data;
        size_t len;
        assert_int_equal(fl_avro_writer_finish(w, &data, &len, &err), 0);
        if (wide) {
            /* A 65-bit snapshot id (-9876543210123456790 to python3-avro's
             * big ints): floe reads the 64 bits Java reads, so its copy
             * differs on purpose; the value itself was checked above. */
            print_message("65-bit snapshot id: %s\n", path);
            wide_files++;
        } else {
            char copy[512];
            snprintf(copy, sizeof(copy), "%s/fixture_%zu.avro", tmpdir, i);
            spit(copy, data, len);
            fprintf(lf, "%s\t%s\n", path, copy);
            files_compared++;
        }
        fl_free(data);
        fl_avro_writer_free(w);
        fl_avro_reader_free(r);
        total += n;
        files++;
        fl_free(found.paths[i]);
    }
    fclose(lf);
    fl_free(found.paths);
    found.paths = NULL;
    print_message("floe read %zu records from %zu Iceberg Avro files\n", total, files);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/unit/avro_check.py compare %s", srcdir(),
             list);
    char *out = run(cmd);
    char want[32];
    assert_int_equal(wide_files,
                     4); /* duckdb-iceberg equality_delete_{extra_column,cross_partition} */
    snprintf(want, sizeof(want), "ok %zu\n", files_compared);
    assert_string_equal(out, want);
    fl_free(out);
}

/* The icebird manifest and manifest list against their decoded .json. */
static void test_icebird_json(void **state) {
    (void)state;
    static const char *names[] = {
        "a85973e4-4009-4cba-875e-5278a2c6027d-m0",
        "snap-8656952484400131532-1-a85973e4-4009-4cba-875e-5278a2c6027d"};
    for (int f = 0; f < 2; f++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/iceberg/icebird/%s.json", fixtures_dir(), names[f]);
        json_error_t jerr;
        json_t *want = json_load_file(path, 0, &jerr);
        assert_non_null(want);
        snprintf(path, sizeof(path), "%s/iceberg/icebird/%s.avro", fixtures_dir(), names[f]);
        struct fl_avro_reader *r;
        struct fl_error err = {0};
        assert_int_equal(fl_avro_reader_open_file(path, NULL, &r, &err), 0);
        assert_string_equal(fl_avro_reader_meta(r, "avro.codec", NULL), "deflate");
        if (f == 0) assert_non_null(fl_avro_reader_meta(r, "schema", NULL));
        assert_string_equal(fl_avro_reader_meta(r, "format-version", NULL), "2");
        const struct fl_avro_value *rec;
        size_t n = 0;
        fl_err_t rc;
        while ((rc = fl_avro_reader_next(r, &rec, &err)) == FL_OK) {
            json_t *w = json_array_get(want, n++);
            assert_non_null(w);
            if (f == 0) {
                json_t *wdf = json_object_get(w, "data_file");
                const struct fl_avro_value *df = fl_avro_value_field(rec, "data_file");
                assert_string_equal((char *)fl_avro_value_field(df, "file_path")->u.bytes.data,
                                    json_string_value(json_object_get(wdf, "file_path")));
                assert_int_equal(fl_avro_value_field_by_id(df, 103)->u.l,
                                 json_integer_value(json_object_get(wdf, "record_count")));
                assert_int_equal(fl_avro_value_field(df, "file_size_in_bytes")->u.l,
                                 json_integer_value(json_object_get(wdf, "file_size_in_bytes")));
                assert_int_equal(fl_avro_value_field(rec, "status")->u.i,
                                 json_integer_value(json_object_get(w, "status")));
                /* column_sizes: Iceberg's map as an array of key/value records */
                const struct fl_avro_value *cs = fl_avro_value_field_by_id(df, 108);
                assert_int_equal(cs->type->logical, FL_AVRO_LT_MAP);
                json_t *wcs = json_object_get(wdf, "column_sizes");
                assert_int_equal(cs->n, json_array_size(wcs));
                for (size_t i = 0; i < cs->n; i++) {
                    json_t *e = json_array_get(wcs, i);
                    assert_int_equal(fl_avro_value_field_by_id(&cs->u.items[i], 117)->u.i,
                                     json_integer_value(json_object_get(e, "key")));
                    assert_int_equal(fl_avro_value_field(&cs->u.items[i], "value")->u.l,
                                     json_integer_value(json_object_get(e, "value")));
                }
                json_t *lb = json_object_get(
                    json_array_get(json_object_get(wdf, "lower_bounds"), 1), "value");
                const struct fl_avro_value *lbv = fl_avro_value_field(
                    &fl_avro_value_field(df, "lower_bounds")->u.items[1], "value");
                assert_int_equal(lbv->u.bytes.len, json_array_size(lb));
                for (size_t i = 0; i < lbv->u.bytes.len; i++)
                    assert_int_equal(lbv->u.bytes.data[i],
                                     json_integer_value(json_array_get(lb, i)));
            } else {
                assert_string_equal((char *)fl_avro_value_field(rec, "manifest_path")->u.bytes.data,
                                    json_string_value(json_object_get(w, "manifest_path")));
                assert_int_equal(fl_avro_value_field(rec, "manifest_length")->u.l, 7211);
                assert_int_equal(fl_avro_value_field(rec, "added_rows_count")->u.l,
                                 json_integer_value(json_object_get(w, "added_rows_count")));
                assert_int_equal(fl_avro_value_field(rec, "sequence_number")->u.l,
                                 json_integer_value(json_object_get(w, "sequence_number")));
                /* the .json went through a JS double; the file name has it exact */
                assert_true(fl_avro_value_field_by_id(rec, 503)->u.l == 8656952484400131532LL);
            }
        }
        assert_int_equal(rc, FL_ERR_EOF);
        assert_int_equal(n, json_array_size(want));
        fl_avro_reader_free(r);
        json_decref(want);
    }
}

/* ---- independent readers see floe's field-ids and metadata ---- */

static void collect_ids(const struct fl_avro_node *n, json_t *ids, int depth) {
    if (depth > 40) return;
    switch (n->type) {
    case FL_AVRO_RECORD:
        for (size_t i = 0; i < n->nfields; i++) {
            if (n->fields[i].field_id != FL_AVRO_NO_ID)
                json_array_append_new(json_object_get(ids, "field-id"),
                                      json_integer(n->fields[i].field_id));
            collect_ids(n->fields[i].type, ids, depth + 1);
        }
        break;
    case FL_AVRO_ARRAY:
    case FL_AVRO_MAP:
        if (n->element_id != FL_AVRO_NO_ID)
            json_array_append_new(json_object_get(ids, "element-id"), json_integer(n->element_id));
        if (n->key_id != FL_AVRO_NO_ID)
            json_array_append_new(json_object_get(ids, "key-id"), json_integer(n->key_id));
        if (n->value_id != FL_AVRO_NO_ID)
            json_array_append_new(json_object_get(ids, "value-id"), json_integer(n->value_id));
        collect_ids(n->items, ids, depth + 1);
        break;
    case FL_AVRO_UNION:
        for (size_t i = 0; i < n->nbranches; i++) collect_ids(n->branches[i], ids, depth + 1);
        break;
    default:
        break;
    }
}

static const char *META_KEYS[] = {
    "schema", "schema-id", "partition-spec", "partition-spec-id", "format-version", "content"};
static const char *META_VALS[] = {
    ("{\"type\":\"struct\",\"schema-id\":0,\"fields\":[{\"id\":1,\"name\":\"VendorID\","
     "\"required\":false,\"type\":\"int\"}]}"),
    "0",
    "[{\"name\":\"VendorID\",\"transform\":\"identity\",\"source-id\":1,\"field-id\":1000}]",
    "0",
    "2",
    "data"};

static void check_description(const char *who, const char *out, const struct fl_avro_schema *s,
                              const char *codec) {
    json_error_t jerr;
    json_t *j = json_loads(out, 0, &jerr);
    if (!j) print_error("%s: not JSON: %s\n%.500s\n", who, jerr.text, out);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "codec")), codec);
    /* every id floe's parser sees, in the same order */
    json_t *mine =
        json_pack("{s:[],s:[],s:[],s:[]}", "field-id", "element-id", "key-id", "value-id");
    collect_ids(fl_avro_schema_root(s), mine, 0);
    json_t *theirs = json_object_get(j, "ids");
    if (!json_equal(mine, theirs)) {
        char *a = json_dumps(mine, 0), *b = json_dumps(theirs, 0);
        print_error("%s: ids differ\n floe: %s\n %s: %s\n", who, a, who, b);
        free(a);
        free(b);
        fail();
    }
    assert_true(json_array_size(json_object_get(mine, "field-id")) >= 30);
    assert_int_equal(json_array_size(json_object_get(mine, "element-id")), 1);
    json_decref(mine);
    json_t *meta = json_object_get(j, "meta");
    assert_int_equal(json_object_size(meta), 8);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(json_string_value(json_object_get(meta, META_KEYS[i])), META_VALS[i]);
    assert_string_equal(json_string_value(json_object_get(meta, "avro.schema")),
                        fl_avro_schema_json(s, NULL));
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 3);
    json_t *recs = json_object_get(j, "records");
    for (size_t k = 0; k < 3; k++) {
        json_t *rec = json_array_get(recs, k);
        json_t *df = json_object_get(rec, "data_file");
        char want[128];
        snprintf(want, sizeof(want), "s3://warehouse/db/t/data/%05zu.parquet", k);
        assert_string_equal(json_string_value(json_object_get(df, "file_path")), want);
        assert_true(json_integer_value(json_object_get(rec, "snapshot_id")) ==
                    8656952484400131532LL);
        assert_int_equal(json_integer_value(json_object_get(df, "record_count")), 1000 + k);
        json_t *part = json_object_get(df, "partition");
        if (k == 1)
            assert_true(json_is_null(json_object_get(part, "VendorID")));
        else
            assert_int_equal(json_integer_value(json_object_get(part, "VendorID")), 2);
        json_t *lb = json_array_get(json_object_get(df, "lower_bounds"), 0);
        assert_int_equal(json_integer_value(json_object_get(lb, "key")), 1);
        assert_string_equal(json_string_value(json_object_get(lb, "value")), "02000000");
        json_t *so = json_object_get(df, "split_offsets");
        assert_int_equal(json_array_size(so), 2);
        assert_int_equal(json_integer_value(json_array_get(so, 1)), 4194304);
    }
    json_decref(j);
}

static void test_independent_readers(void **state) {
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/iceberg/iceberg-rust/avro_schema_manifest_entry.json",
             fixtures_dir());
    size_t slen;
    char *text = slurp(path, &slen);
    assert_non_null(text);
    struct fl_avro_schema *s;
    struct fl_error err = {0};
    assert_int_equal(fl_avro_schema_parse(text, slen, &s, &err), 0);
    static const fl_avro_codec_t codecs[] = {FL_AVRO_CODEC_DEFLATE, FL_AVRO_CODEC_NULL};
    for (int c = 0; c < 2; c++) {
        struct fl_avro_writer *w;
        assert_int_equal(fl_avro_writer_new(s, codecs[c], &w, &err), 0);
        for (size_t i = 0; i < 6; i++)
            assert_int_equal(
                fl_avro_writer_set_meta(w, META_KEYS[i], META_VALS[i], strlen(META_VALS[i]), &err),
                0);
        struct fl_avro_arena a;
        fl_avro_arena_init(&a, 1 << 20);
        for (size_t k = 0; k < 3; k++) {
            struct fl_avro_value rec;
            assert_int_equal(fl_avro_value_init(&a, fl_avro_schema_root(s), &rec), 0);
            fl_avro_value_set_int(fl_avro_value_field(&rec, "status"), 1);
            fl_avro_value_set_long(fl_avro_value_field_by_id(&rec, 1), 8656952484400131532LL);
            struct fl_avro_value *df = fl_avro_value_field(&rec, "data_file");
            char fp[128];
            snprintf(fp, sizeof(fp), "s3://warehouse/db/t/data/%05zu.parquet", k);
            assert_int_equal(fl_avro_value_set_string(&a, fl_avro_value_field(df, "file_path"), fp),
                             0);
            fl_avro_value_set_string(&a, fl_avro_value_field_by_id(df, 101), "PARQUET");
            struct fl_avro_value *part = fl_avro_value_field(df, "partition");
            if (k != 1)
                assert_int_equal(fl_avro_value_set_int(fl_avro_value_field(part, "VendorID"), 2),
                                 0);
            assert_int_equal(
                fl_avro_value_set_int(fl_avro_value_field(part, "tpep_pickup_datetime"), 19000), 0);
            fl_avro_value_set_long(fl_avro_value_field(df, "record_count"), 1000 + (int64_t)k);
            fl_avro_value_set_long(fl_avro_value_field(df, "file_size_in_bytes"), 123456);
            fl_avro_value_set_long(fl_avro_value_field(df, "block_size_in_bytes"), 67108864);
            struct fl_avro_value *lbs = fl_avro_value_field(df, "lower_bounds");
            assert_int_equal(fl_avro_value_select(&a, lbs, FL_AVRO_ARRAY), 0);
            assert_int_equal(fl_avro_value_resize(&a, lbs, 1), 0);
            fl_avro_value_set_int(fl_avro_value_field(&lbs->u.items[0], "key"), 1);
            fl_avro_value_set_bytes(&a, fl_avro_value_field(&lbs->u.items[0], "value"),
                                    "\x02\x00\x00\x00", 4);
            struct fl_avro_value *so = fl_avro_value_field(df, "split_offsets");
            assert_int_equal(fl_avro_value_select(&a, so, FL_AVRO_ARRAY), 0);
            assert_int_equal(fl_avro_value_resize(&a, so, 2), 0);
            fl_avro_value_set_long(&so->u.items[0], 4);
            fl_avro_value_set_long(&so->u.items[1], 4194304);
            fl_err_t rc = fl_avro_writer_append(w, &rec, &err);
            if (rc) print_error("append: %s\n", err.msg);
            assert_int_equal(rc, 0);
        }
        uint8_t *data;
        size_t len;
        assert_int_equal(fl_avro_writer_finish(w, &data, &len, &err), 0);
        snprintf(path, sizeof(path), "%s/manifest_%s.avro", tmpdir, fl_avro_codec_name(codecs[c]));
        spit(path, data, len);
        fl_free(data);
        fl_avro_writer_free(w);
        fl_avro_arena_fini(&a);

        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/unit/avro_check.py describe %s",
                 srcdir(), path);
        char *out = run(cmd);
        check_description("python3-avro", out, s, fl_avro_codec_name(codecs[c]));
        fl_free(out);
        snprintf(cmd, sizeof(cmd), "node %s/tests/interop/avro_check.mjs %s", srcdir(), path);
        out = run(cmd);
        check_description("avsc", out, s, fl_avro_codec_name(codecs[c]));
        fl_free(out);
    }
    fl_avro_schema_free(s);
    fl_free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_encodings),      cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_schema_tree),         cmocka_unit_test(test_schema_errors),
        cmocka_unit_test(test_setter_errors),       cmocka_unit_test(test_roundtrip_codecs),
        cmocka_unit_test(test_all_types_python),    cmocka_unit_test(test_corrupt_files),
        cmocka_unit_test(test_icebird_json),        cmocka_unit_test(test_iceberg_fixtures),
        cmocka_unit_test(test_independent_readers),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
