/*
 * fuzz_sql_names.c - libFuzzer target: the text floe sql parses from
 * outside (module arguments, table names with "$kind", as-of times, plan
 * strings, and constraint literals of every column type) must never
 * crash, read out of bounds, or write past a cap; a decoded plan must
 * encode and decode to itself.
 *
 * Input: the first byte picks nothing; the whole input is tried by
 * every parser (as text, NUL-terminated copy), and as a constraint
 * literal (text and blob) against each column of a fixed schema with
 * each operator, and as a timestamp bound of the topic tables; and as a
 * text with time-travel clauses (sql_travel.c) at each "FOR".
 */
#include "core/mem.h"
#include "core/schema.h"
#include "sql/sql_args.h"
#include "sql/sql_pred.h"
#include "sql/sql_travel.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *SCHEMA =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"i\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":2,\"name\":\"l\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":3,\"name\":\"dec\",\"required\":false,\"type\":\"decimal(10, 2)\"},"
    "{\"id\":4,\"name\":\"dt\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":5,\"name\":\"t\",\"required\":false,\"type\":\"time\"},"
    "{\"id\":6,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":7,\"name\":\"tstz\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":8,\"name\":\"s\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":9,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
    "{\"id\":10,\"name\":\"fx\",\"required\":false,\"type\":\"fixed[4]\"},"
    "{\"id\":11,\"name\":\"bin\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":12,\"name\":\"f\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":13,\"name\":\"d\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":14,\"name\":\"b\",\"required\":false,\"type\":\"boolean\"}]}";

static struct fl_schema *schema;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    struct fl_error err = {0};
    if (!schema && fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err) != FL_OK) abort();
    char *s = fl_malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';

    char out[FL_SQL_NAME_MAX], ns[FL_SQL_NAME_MAX], name[FL_SQL_NAME_MAX];
    if (fl_sql_dequote(s, out, sizeof(out), &err) == FL_OK && strlen(out) >= sizeof(out)) abort();
    fl_sql_dequote(s, out, 3, &err);
    char q[FL_SQL_NAME_MAX * 2 + 4];
    if (fl_sql_quote_ident(s, q, sizeof(q)) == FL_OK) {
        /* a quoted name dequotes to itself (names with NUL bytes end early) */
        if (s[0] && fl_sql_dequote(q, out, sizeof(out), &err) == FL_OK && strcmp(out, s) != 0)
            abort();
    }
    fl_sql_meta_t kind;
    fl_sql_name_split(s, ns, sizeof(ns), name, sizeof(name), &kind, &err);
    fl_sql_meta_parse(s);
    int64_t ms;
    fl_sql_parse_as_of(s, strlen(s), &ms, &err);
    /* time-travel clauses at every "FOR": within the text, names capped */
    size_t sl = strlen(s);
    for (size_t i = 0; i + 3 <= sl; i++) {
        struct fl_sql_travel tr;
        size_t e = fl_sql_travel_clause(s, i, i + 3, &tr);
        if (e && (e > sl || tr.start != i || strlen(tr.value) >= sizeof(tr.value))) abort();
        e = fl_sql_travel_match(s, i, i + 3, &tr);
        if (e && (e > sl || tr.start > i || strlen(tr.name) >= sizeof(tr.name))) abort();
    }

    struct fl_sql_plan plan, again;
    if (fl_sql_plan_decode(s, &plan) == FL_OK) {
        char enc[64 + 16 * FL_SQL_PREDS_MAX];
        if (fl_sql_plan_encode(&plan, enc, sizeof(enc)) != FL_OK) abort();
        if (fl_sql_plan_decode(enc, &again) != FL_OK) abort();
        if (memcmp(&plan, &again, sizeof(plan)) != 0) abort();
    }

    static const int ops[] = {SQLITE_INDEX_CONSTRAINT_EQ, SQLITE_INDEX_CONSTRAINT_LT,
                              SQLITE_INDEX_CONSTRAINT_LE, SQLITE_INDEX_CONSTRAINT_GT,
                              SQLITE_INDEX_CONSTRAINT_GE};
    struct fl_sql_preds ps;
    fl_sql_preds_init(&ps);
    for (int c = 0; c < schema->nfields; c++)
        for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
            struct fl_sql_lit text = {SQLITE_TEXT, 0, 0, (const uint8_t *)s, size};
            struct fl_sql_lit blob = {SQLITE_BLOB, 0, 0, data, size};
            int64_t iv = 0;
            double dv = 0;
            if (size >= 8) memcpy(&iv, data, 8), memcpy(&dv, data, 8);
            struct fl_sql_lit inum = {SQLITE_INTEGER, iv, 0, (const uint8_t *)"0", 1};
            struct fl_sql_lit rnum = {SQLITE_FLOAT, 0, dv, (const uint8_t *)"0", 1};
            fl_sql_preds_add(&ps, schema, c, ops[k], &text);
            fl_sql_preds_add(&ps, schema, c, ops[k], &blob);
            fl_sql_preds_add(&ps, schema, c, ops[k], &inum);
            fl_sql_preds_add(&ps, schema, c, ops[k], &rnum);
            if (ps.n > FL_SQL_PREDS_MAX - 4) fl_sql_preds_fini(&ps);
            /* the topic tables' timestamp bounds (sql_topic.c) */
            int64_t tv;
            fl_ice_op_t top;
            if (fl_sql_temporal_bound(schema->fields[c].type, ops[k], &text, &tv, &top) &&
                top != FL_ICE_OP_EQ && top != FL_ICE_OP_LT && top != FL_ICE_OP_LE &&
                top != FL_ICE_OP_GT && top != FL_ICE_OP_GE)
                abort();
        }
    fl_sql_preds_fini(&ps);
    fl_free(s);
    return 0;
}
