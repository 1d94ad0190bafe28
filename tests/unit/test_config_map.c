/*
 * test_config_map.c - the `tables:` section and the map steps: a YAML
 * file is read into declared tables and steps with their FILE:LINE;
 * mistakes are refused with the file, the line and the key (at load, or
 * when the schema or the steps are built); map steps applied to records
 * give the columns they promise (rename, cast, derive from the position,
 * the clock, date() and hour() of a field, a constant), all through the
 * streaming decoder (renames of a key to a column whose own name is in
 * the record too, captured keys and their cap), and a bad value is
 * refused with the column named and nothing appended.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch.h"
#include "batch/json_decode.h"
#include "cli/up_tables.h"
#include "core/config.h"
#include "core/time.h"
#include "pipeline/map.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *write_tmp(const char *text) {
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/floe_cfg_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* Loads text; returns the load's code, the message in msg. */
static fl_err_t load(const char *text, struct fl_config *cfg, char *msg, size_t msgsz) {
    struct fl_error err = {0};
    char *path = write_tmp(text);
    fl_config_init(cfg);
    fl_err_t rc = fl_config_load(path, cfg, &err);
    /* the message names the temp file; tests compare from the first ':' on */
    const char *colon = strchr(err.msg, ':');
    snprintf(msg, msgsz, "%s", colon ? colon : err.msg);
    unlink(path);
    return rc;
}

static const char GOOD[] = "tables:\n"
                           "  - name: ratings\n"
                           "    schema:\n"
                           "      - {name: id, type: long, required: true}\n"
                           "      - {name: amount, type: 'decimal(10,2)'}\n"
                           "      - {name: ts, type: timestamptz}\n"
                           "    partition: [day(ts), 'bucket(16, id)']\n"
                           "    identifier: [id]\n"
                           "    properties: {write.format.default: parquet}\n"
                           "pipelines:\n"
                           "  - topic: r\n"
                           "    table: default.ratings\n"
                           "    map:\n"
                           "      - rename: {from: amt, to: amount}\n"
                           "      - cast: {column: ts, unit: ms}\n"
                           "      - derive: {column: id, from: offset}\n";

static void test_tables_section(void **state) {
    (void)state;
    struct fl_config cfg;
    char msg[512];
    assert_int_equal(load(GOOD, &cfg, msg, sizeof(msg)), FL_OK);
    assert_int_equal(cfg.ntables, 1);
    const struct fl_config_table *t = &cfg.tables[0];
    assert_string_equal(t->ns, "default");
    assert_int_equal(t->nfields, 3);
    assert_string_equal(t->fields[1].type, "decimal(10,2)");
    assert_non_null(strstr(t->fields[2].where, ":6"));
    assert_int_equal(cfg.pipelines[0].nmap, 3);
    assert_int_equal(cfg.pipelines[0].map[1].kind, FL_CONFIG_MAP_CAST);
    assert_string_equal(cfg.pipelines[0].map[1].from, "ms");
    assert_non_null(strstr(cfg.pipelines[0].map[2].where, ":16"));

    struct fl_schema *s = NULL;
    struct fl_ice_spec *spec = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_up_table_build(t, &s, &spec, &err), FL_OK);
    assert_int_equal(s->nfields, 3);
    assert_int_equal(s->fields[2].id, 3);
    assert_int_equal(s->fields[1].type, FL_TYPE_DECIMAL);
    assert_int_equal(s->fields[1].scale, 2);
    assert_int_equal(s->nidentifier, 1);
    assert_int_equal(s->identifier_ids[0], 1);
    assert_int_equal(spec->nfields, 2);
    assert_string_equal(spec->fields[0].name, "ts_day");
    assert_string_equal(spec->fields[1].name, "id_bucket");
    fl_schema_free(s);
    fl_ice_spec_free(spec);
    fl_config_fini(&cfg);
}

static void test_errors_name_line_and_key(void **state) {
    (void)state;
    struct fl_config cfg;
    char msg[512];
    assert_int_equal(
        load("tables:\n  - name: t\n    schema:\n      - {name: a, type: int, colour: red}\n", &cfg,
             msg, sizeof(msg)),
        FL_ERR_INVALID);
    assert_string_equal(msg, ":4: tables[].schema[].colour: unknown key");
    fl_config_fini(&cfg);

    assert_int_equal(load("tables:\n  - name: t\n", &cfg, msg, sizeof(msg)), FL_ERR_INVALID);
    assert_non_null(strstr(msg, ":2: tables[]: needs exactly one of schema and schema_json"));
    fl_config_fini(&cfg);

    assert_int_equal(
        load("pipelines:\n  - topic: a\n    table: d.t\n    map:\n      - explode: x\n", &cfg, msg,
             sizeof(msg)),
        FL_ERR_INVALID);
    assert_string_equal(msg, ":5: pipelines[].map[].explode: unknown key");
    fl_config_fini(&cfg);

    assert_int_equal(
        load("pipelines:\n  - topic: a\n    table: d.t\n    map:\n      - derive: {column: x}\n",
             &cfg, msg, sizeof(msg)),
        FL_ERR_INVALID);
    assert_non_null(strstr(msg, ":5: map[].derive: needs column and one of from and value"));
    fl_config_fini(&cfg);

    /* inside [ ] and { } YAML cuts an unquoted value at each comma: the cut
     * value is refused at its line with the quoting that keeps it whole */
    assert_int_equal(load("tables:\n  - name: t\n    schema:\n"
                          "      - {name: a, type: decimal(10,2)}\n",
                          &cfg, msg, sizeof(msg)),
                     FL_ERR_INVALID);
    assert_string_equal(msg, ":4: tables[].schema[].type: \"decimal(10\" was cut at a comma: "
                             "inside [ ] or { } YAML ends an unquoted value at each comma; "
                             "quote it: 'decimal(10,2)'");
    fl_config_fini(&cfg);
    assert_int_equal(load("tables:\n  - name: t\n    schema_json: '{}'\n"
                          "    partition: [day(ts),\n      bucket(16, id)]\n",
                          &cfg, msg, sizeof(msg)),
                     FL_ERR_INVALID);
    assert_string_equal(msg, ":5: tables[].partition: \"bucket(16\" was cut at a comma: "
                             "inside [ ] or { } YAML ends an unquoted value at each comma; "
                             "quote it: 'bucket(16, id)'");
    fl_config_fini(&cfg);
    /* quoted, or block style: whole */
    assert_int_equal(load("tables:\n  - name: t\n    schema_json: '{}'\n"
                          "    partition:\n      - bucket(16, id)\n      - 'truncate(4, s)'\n",
                          &cfg, msg, sizeof(msg)),
                     FL_OK);
    assert_string_equal(cfg.tables[0].partition[0], "bucket(16, id)");
    assert_string_equal(cfg.tables[0].partition[1], "truncate(4, s)");
    fl_config_fini(&cfg);

    /* a type that is no Iceberg type: refused when the schema is built, at its line */
    struct fl_error err = {0};
    struct fl_schema *s = NULL;
    struct fl_ice_spec *spec = NULL;
    assert_int_equal(load("tables:\n  - name: t\n    schema:\n      - {name: a, type: int}\n"
                          "      - {name: b, type: varchar}\n",
                          &cfg, msg, sizeof(msg)),
                     FL_OK);
    fl_err_clear(&err);
    assert_int_equal(fl_up_table_build(&cfg.tables[0], &s, &spec, &err), FL_ERR_INVALID);
    assert_non_null(
        strstr(err.msg, ":5: tables[].schema[].type: \"varchar\" is not an Iceberg type"));
    fl_config_fini(&cfg);

    /* a partition term on a column that is not there; an optional identifier */
    assert_int_equal(load("tables:\n  - name: t\n    schema:\n      - {name: a, type: int}\n"
                          "    partition: [day(nope)]\n",
                          &cfg, msg, sizeof(msg)),
                     FL_OK);
    fl_err_clear(&err);
    assert_int_equal(fl_up_table_build(&cfg.tables[0], &s, &spec, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, ":2: tables[t].partition"));
    fl_config_fini(&cfg);
    assert_int_equal(load("tables:\n  - name: t\n    schema:\n      - {name: a, type: int}\n"
                          "    identifier: [a]\n",
                          &cfg, msg, sizeof(msg)),
                     FL_OK);
    fl_err_clear(&err);
    assert_int_equal(fl_up_table_build(&cfg.tables[0], &s, &spec, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "a must be a required column"));
    fl_config_fini(&cfg);
}

static const char MAP_SCHEMA[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":2,\"name\":\"temperature\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":3,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":4,\"name\":\"dt\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":5,\"name\":\"day_text\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":6,\"name\":\"src\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":7,\"name\":\"code\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":8,\"name\":\"n\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":9,\"name\":\"seen\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":10,\"name\":\"epoch\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":11,\"name\":\"_kafka_topic\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":12,\"name\":\"_kafka_offset\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":13,\"name\":\"processed_timestamp\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":14,\"name\":\"_kafka_timestamp\",\"required\":false,\"type\":\"timestamptz\"}]}";

static int64_t i64_at(const struct fl_batch *b, int c, size_t row) {
    int64_t v;
    memcpy(&v, b->cols[c].values + row * 8, 8);
    return v;
}

static void str_at(const struct fl_batch *b, int c, size_t row, char *out, size_t outsz) {
    size_t n;
    const uint8_t *p = fl_col_bytes(&b->cols[c], row, &n);
    snprintf(out, outsz, "%.*s", (int)n, (const char *)p);
}

/* Decodes json through the map into a new ended row of b. */
static fl_err_t map_row(const struct fl_pipe_map *m, struct fl_jdec *d, struct fl_batch *b,
                        const char *json, const struct fl_pipe_map_pos *pos, struct fl_error *err) {
    fl_err_t rc = fl_pipe_map_row(m, d, b, json, strlen(json), pos, err);
    if (!rc) rc = fl_batch_end_row(b);
    return rc;
}

/* b has exactly n rows and nothing half-appended. */
static void assert_rows(const struct fl_batch *b, size_t n) {
    assert_int_equal(b->nrows, n);
    for (int c = 0; c < b->ncols; c++) assert_int_equal(b->cols[c].len, n);
}

static void test_map_steps(void **state) {
    (void)state;
    struct fl_error err = {0};
    struct fl_schema *s = NULL;
    assert_int_equal(fl_schema_parse(MAP_SCHEMA, strlen(MAP_SCHEMA), &s, &err), FL_OK);
    const struct fl_pipe_map_step steps[] = {
        {FL_PIPE_MAP_RENAME, "city", "town", NULL, "f:1"},
        {FL_PIPE_MAP_CAST, "temperature", NULL, NULL, "f:2"},
        {FL_PIPE_MAP_DERIVE, "ts", "hour(hour)", NULL, "f:3"},
        {FL_PIPE_MAP_DERIVE, "dt", "date(event_time)", NULL, "f:4"},
        {FL_PIPE_MAP_DERIVE, "day_text", "date(event_time)", NULL, "f:5"},
        {FL_PIPE_MAP_DERIVE, "src", NULL, "web", "f:6"},
        {FL_PIPE_MAP_CAST, "code", NULL, NULL, "f:7"},
        {FL_PIPE_MAP_CAST, "n", NULL, NULL, "f:8"},
        {FL_PIPE_MAP_DERIVE, "seen", "now", NULL, "f:9"},
        {FL_PIPE_MAP_CAST, "epoch", "ms", NULL, "f:10"},
    };
    struct fl_pipe_map *m = NULL;
    assert_int_equal(fl_pipe_map_new(s, steps, 10, &m, &err), FL_OK);
    struct fl_jdec *d = NULL;
    assert_int_equal(fl_pipe_map_decoder(m, s, &d, &err), FL_OK);

    struct fl_batch *b = NULL;
    assert_int_equal(fl_batch_new(s, 0, &b, &err), FL_OK);
    /* city reads town; the record's own "city" feeds nothing (not even a
     * "key appears twice") */
    const char *rec = "{\"town\":\"Paris\",\"city\":\"ignored\",\"temperature\":\"21.5\",\"hour\":"
                      "\"2026-01-08-14\","
                      "\"event_time\":\"2026-01-08T23:59:59+00:00\",\"code\":42,\"n\":\"7.0\","
                      "\"epoch\":1767225600000,\"_kafka_offset\":999,\"nested\":{\"city\":[1,2]}}";
    struct fl_pipe_map_pos pos = {"weather", 3, 1234, 1767225600123456, 1767225600123};
    assert_int_equal(map_row(m, d, b, rec, &pos, &err), FL_OK);
    assert_rows(b, 1);
    char txt[64];
    str_at(b, 0, 0, txt, sizeof(txt));
    assert_string_equal(txt, "Paris");
    double t;
    memcpy(&t, b->cols[1].values, 8);
    assert_true(t == 21.5);
    char iso[40];
    fl_time_format_iso(i64_at(b, 2, 0), iso, sizeof(iso));
    assert_string_equal(iso, "2026-01-08T14:00:00.000000Z");
    int32_t days;
    memcpy(&days, b->cols[3].values, 4);
    assert_int_equal(days, fl_time_days_from_civil(2026, 1, 8));
    str_at(b, 4, 0, txt, sizeof(txt));
    assert_string_equal(txt, "2026-01-08");
    str_at(b, 5, 0, txt, sizeof(txt));
    assert_string_equal(txt, "web");
    str_at(b, 6, 0, txt, sizeof(txt));
    assert_string_equal(txt, "42");
    int32_t n;
    memcpy(&n, b->cols[7].values, 4);
    assert_int_equal(n, 7);
    assert_int_equal(i64_at(b, 8, 0), pos.now_us);
    assert_int_equal(i64_at(b, 9, 0), INT64_C(1767225600000) * 1000);
    /* the defaults: _kafka_* from the position (a field of that name does
     * not win), processed_timestamp = now when the record has none */
    str_at(b, 10, 0, txt, sizeof(txt));
    assert_string_equal(txt, "weather");
    assert_int_equal(i64_at(b, 11, 0), 1234);
    assert_int_equal(i64_at(b, 12, 0), pos.now_us);
    assert_int_equal(i64_at(b, 13, 0), pos.timestamp_ms * 1000); /* the log record's timestamp */

    /* key order does not matter; a record's processed_timestamp wins */
    rec = "{\"processed_timestamp\":\"2026-02-01T00:00:00Z\",\"code\":4.50,\"epoch\":\"1.5\","
          "\"town\":\"Oslo\"}";
    assert_int_equal(map_row(m, d, b, rec, &pos, &err), FL_OK);
    assert_rows(b, 2);
    str_at(b, 6, 1, txt, sizeof(txt));
    assert_string_equal(txt, "4.5");
    assert_int_equal(i64_at(b, 9, 1), 1500); /* 1.5 ms */
    fl_time_format_iso(i64_at(b, 12, 1), iso, sizeof(iso));
    assert_string_equal(iso, "2026-02-01T00:00:00.000000Z");
    assert_true(fl_col_is_null(&b->cols[3], 1)); /* no event_time: null dates */
    assert_true(fl_col_is_null(&b->cols[4], 1));

    /* a required column renamed away is missing; bad values are named;
     * nothing of a refused record stays (refused in the decoder or after it) */
    assert_int_equal(map_row(m, d, b, "{\"city\":\"Oslo\"}", &pos, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "city"));
    assert_int_equal(map_row(m, d, b, "{\"town\":\"Oslo\",\"hour\":\"2026-01-08T14\"}", &pos, &err),
                     FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "column ts: hour()"));
    assert_int_equal(map_row(m, d, b, "{\"town\":\"Oslo\",\"n\":\"7.5\"}", &pos, &err),
                     FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "column n"));
    assert_int_equal(
        map_row(m, d, b, "{\"town\":\"Oslo\",\"code\":1,\"event_time\":true}", &pos, &err),
        FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "column dt: date()"));
    assert_int_equal(map_row(m, d, b, "{\"town\":\"Oslo\",\"town\":\"Rome\"}", &pos, &err),
                     FL_ERR_INVALID);
    assert_string_equal(err.msg, "field \"town\": key appears twice");
    assert_int_equal(map_row(m, d, b, "{\"town\":\"Oslo\",\"event_time\":{}}", &pos, &err),
                     FL_ERR_INVALID);
    assert_int_equal(map_row(m, d, b, "{\"town\":\"Oslo\",\"epoch\":\"soon\"}", &pos, &err),
                     FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "column epoch: expected a timestamp or an epoch number"));
    assert_rows(b, 2);
    /* and the decoder is sound after them */
    assert_int_equal(map_row(m, d, b, "{\"town\":\"Oslo\"}", &pos, &err), FL_OK);
    assert_rows(b, 3);
    fl_jdec_free(d);
    fl_batch_free(b);
    fl_pipe_map_free(m);

    /* compile errors name the step's FILE:LINE */
    const struct fl_pipe_map_step bad1[] = {{FL_PIPE_MAP_DERIVE, "nope", "now", NULL, "x.yaml:12"}};
    fl_err_clear(&err);
    assert_int_equal(fl_pipe_map_new(s, bad1, 1, &m, &err), FL_ERR_INVALID);
    assert_string_equal(err.msg, "x.yaml:12: map step derive: the table has no column nope");
    const struct fl_pipe_map_step bad2[] = {{FL_PIPE_MAP_DERIVE, "n", NULL, "seven", "x.yaml:13"}};
    fl_err_clear(&err);
    assert_int_equal(fl_pipe_map_new(s, bad2, 1, &m, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "x.yaml:13: map step derive: value does not fit"));
    const struct fl_pipe_map_step bad3[] = {
        {FL_PIPE_MAP_DERIVE, "city", "offset", NULL, "x.yaml:14"}};
    fl_err_clear(&err);
    assert_int_equal(fl_pipe_map_new(s, bad3, 1, &m, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "offset needs a long column"));
    const struct fl_pipe_map_step bad4[] = {
        {FL_PIPE_MAP_DERIVE, "ts", "yesterday", NULL, "x.yaml:15"}};
    fl_err_clear(&err);
    assert_int_equal(fl_pipe_map_new(s, bad4, 1, &m, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "unknown source \"yesterday\""));
    fl_schema_free(s);
}

static const char CAP_SCHEMA[] =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"ts\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":2,\"name\":\"dt\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":3,\"name\":\"stamp\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":4,\"name\":\"hr\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":5,\"name\":\"name\",\"required\":true,\"type\":\"string\"},"
    "{\"id\":6,\"name\":\"n\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":7,\"name\":\"ok\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":8,\"name\":\"score\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":9,\"name\":\"_kafka_partition\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":10,\"name\":\"processed_timestamp\",\"required\":false,\"type\":\"timestamptz\"}]}";

/* date() and hour() of keys that are columns too: the decoder captures
 * them; the captures' cap; a record refused after the decoder's row;
 * constants of several kinds; a map without steps. */
static void test_map_captures(void **state) {
    (void)state;
    struct fl_error err = {0};
    struct fl_schema *s = NULL;
    assert_int_equal(fl_schema_parse(CAP_SCHEMA, strlen(CAP_SCHEMA), &s, &err), FL_OK);
    const struct fl_pipe_map_step steps[] = {
        {FL_PIPE_MAP_DERIVE, "dt", "date(ts)", NULL, "f:1"},
        {FL_PIPE_MAP_DERIVE, "hr", "hour(stamp)", NULL, "f:2"},
        {FL_PIPE_MAP_DERIVE, "ok", NULL, "true", "f:3"},
        {FL_PIPE_MAP_DERIVE, "n", NULL, "42", "f:4"},
        {FL_PIPE_MAP_CAST, "score", NULL, NULL, "f:5"},
    };
    struct fl_pipe_map *m = NULL;
    struct fl_jdec *d = NULL;
    struct fl_batch *b = NULL;
    assert_int_equal(fl_pipe_map_new(s, steps, 5, &m, &err), FL_OK);
    assert_int_equal(fl_pipe_map_decoder(m, s, &d, &err), FL_OK);
    assert_int_equal(fl_batch_new(s, 0, &b, &err), FL_OK);
    struct fl_pipe_map_pos pos = {"t", 5, 77, 1767225600123456, -1};
    const char *r1 = "{\"ts\":\"2026-01-08T23:59:59Z\",\"stamp\":\"2026-01-08-14\",\"name\":\"a\","
                     "\"score\":\"3.0\","
                     "\"n\":1,\"_kafka_partition\":9}";
    assert_int_equal(map_row(m, d, b, r1, &pos, &err), FL_OK);
    assert_rows(b, 1);
    char txt[64], iso[40];
    fl_time_format_iso(i64_at(b, 0, 0), iso, sizeof(iso));
    assert_string_equal(iso, "2026-01-08T23:59:59.000000Z");
    int32_t v32;
    memcpy(&v32, b->cols[1].values, 4);
    assert_int_equal(v32, fl_time_days_from_civil(2026, 1, 8));
    str_at(b, 2, 0, txt, sizeof(txt));
    assert_string_equal(txt, "2026-01-08-14"); /* the column keeps the text */
    fl_time_format_iso(i64_at(b, 3, 0), iso, sizeof(iso));
    assert_string_equal(iso, "2026-01-08T14:00:00.000000Z");
    assert_int_equal(i64_at(b, 5, 0), 42); /* the constant, not the record's n */
    assert_int_equal(b->cols[6].values[0], 1);
    memcpy(&v32, b->cols[7].values, 4);
    assert_int_equal(v32, 3);
    memcpy(&v32, b->cols[8].values, 4);
    assert_int_equal(v32, 5);
    assert_int_equal(i64_at(b, 9, 0), pos.now_us);

    /* refused after the decoder filled its columns: nothing stays */
    const char *r2 =
        "{\"ts\":\"2026-01-08T00:00:00Z\",\"stamp\":\"later\",\"name\":\"b\",\"score\":2}";
    assert_int_equal(map_row(m, d, b, r2, &pos, &err), FL_ERR_INVALID);
    assert_string_equal(err.msg, "map: column hr: hour(): expected an hour stamp YYYY-MM-DD-HH");
    assert_rows(b, 1);
    assert_int_equal(map_row(m, d, b, "{\"ts\":1,\"score\":2}", &pos, &err), FL_ERR_INVALID);
    assert_string_equal(err.msg, "field \"name\": required field is missing");
    assert_rows(b, 1);

    /* the captures' cap: 20 + 13 bytes are over 24 */
    fl_jdec_capture_limit(d, 24);
    assert_int_equal(map_row(m, d, b, r1, &pos, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "field \"stamp\": too long to derive a column from"));
    assert_non_null(strstr(err.msg, "limited to 24 bytes"));
    assert_rows(b, 1);
    /* a captured number (microseconds), under the cap */
    assert_int_equal(map_row(m, d, b, "{\"ts\":1767916799000000,\"name\":\"c\"}", &pos, &err),
                     FL_OK);
    assert_rows(b, 2);
    memcpy(&v32, b->cols[1].values + 4, 4);
    assert_int_equal(v32, fl_time_days_from_civil(2026, 1, 8));
    assert_true(fl_col_is_null(&b->cols[3], 1));
    fl_jdec_free(d);
    fl_pipe_map_free(m);

    /* no steps: every column by its name, _kafka_partition from the position */
    fl_batch_reset(b);
    assert_int_equal(fl_pipe_map_new(s, NULL, 0, &m, &err), FL_OK);
    assert_int_equal(fl_pipe_map_decoder(m, s, &d, &err), FL_OK);
    assert_int_equal(
        map_row(m, d, b, "{\"name\":\"x\",\"n\":1,\"_kafka_partition\":9,\"hr\":\"2026-01-08-14\"}",
                &pos, &err),
        FL_OK);
    assert_int_equal(i64_at(b, 5, 0), 1);
    fl_time_format_iso(i64_at(b, 3, 0), iso, sizeof(iso));
    assert_string_equal(iso, "2026-01-08T14:00:00.000000Z"); /* hour stamps read as timestamps */
    memcpy(&v32, b->cols[8].values, 4);
    assert_int_equal(v32, 5);
    assert_true(fl_col_is_null(&b->cols[1], 0));
    assert_int_equal(map_row(m, d, b, "{\"name\":\"x\",\"score\":\"3.0\"}", &pos, &err),
                     FL_ERR_INVALID);
    assert_rows(b, 1);
    fl_jdec_free(d);
    fl_pipe_map_free(m);
    fl_batch_free(b);
    fl_schema_free(s);
}

/* Seed 002: iot events carry ts in epoch milliseconds; the table's ts
 * and the dt derived from it land on 2026-01-07, not 1970-01-21. */
static void test_map_epoch_ms(void **state) {
    (void)state;
    struct fl_error err = {0};
    struct fl_schema *s = NULL;
    assert_int_equal(fl_schema_parse(CAP_SCHEMA, strlen(CAP_SCHEMA), &s, &err), FL_OK);
    const struct fl_pipe_map_step steps[] = {{FL_PIPE_MAP_DERIVE, "dt", "date(ts)", NULL, "f:1"}};
    struct fl_pipe_map *m = NULL;
    struct fl_jdec *d = NULL;
    struct fl_batch *b = NULL;
    assert_int_equal(fl_pipe_map_new(s, steps, 1, &m, &err), FL_OK);
    assert_int_equal(fl_pipe_map_decoder(m, s, &d, &err), FL_OK);
    assert_int_equal(fl_batch_new(s, 0, &b, &err), FL_OK);
    struct fl_pipe_map_pos pos = {"iot", 0, 0, 1767225600123456, -1};
    const char *rec = "{\"device_id\":\"d-1\",\"site\":\"plant-a\",\"temp_c\":21.5,"
                      "\"ts\":1767780000000,\"name\":\"iot\"}";
    if (map_row(m, d, b, rec, &pos, &err)) fail_msg("%s", err.msg);
    char iso[40];
    fl_time_format_iso(i64_at(b, 0, 0), iso, sizeof(iso));
    assert_string_equal(iso, "2026-01-07T10:00:00.000000Z");
    int32_t v32;
    memcpy(&v32, b->cols[1].values, 4);
    assert_int_equal(v32, fl_time_days_from_civil(2026, 1, 7));
    /* a date() of a number that is no instant: refused with the reason */
    assert_int_equal(map_row(m, d, b, "{\"ts\":1e300,\"name\":\"x\"}", &pos, &err), FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "out of range"));
    assert_rows(b, 1);
    fl_jdec_free(d);
    fl_pipe_map_free(m);
    fl_batch_free(b);
    fl_schema_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_section), cmocka_unit_test(test_errors_name_line_and_key),
        cmocka_unit_test(test_map_steps),      cmocka_unit_test(test_map_captures),
        cmocka_unit_test(test_map_epoch_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
