/*
 * test_sql.c - floe sql's building blocks: Iceberg values as SQLite
 * values (declared types, cell values read back through a real SQLite
 * statement), SQLite constraints as pruning predicates (exact, relaxed,
 * or refused), and the parsing of module arguments, names, as-of times
 * and plan strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch.h"
#include "batch/batch_json.h"
#include "core/mem.h"
#include "core/time.h"
#include "core/schema.h"
#include "sql/sql.h"
#include "sql/sql_agg.h"
#include "sql/sql_args.h"
#include "sql/sql_pred.h"
#include "sql/sql_time.h"
#include "sql/sql_travel.h"
#include "sql/sql_types.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *SCHEMA =
    "{\"type\":\"struct\",\"fields\":["
    "{\"id\":1,\"name\":\"i\",\"required\":false,\"type\":\"int\"},"
    "{\"id\":2,\"name\":\"l\",\"required\":false,\"type\":\"long\"},"
    "{\"id\":3,\"name\":\"dec\",\"required\":false,\"type\":\"decimal(10, 2)\"},"
    "{\"id\":4,\"name\":\"dt\",\"required\":false,\"type\":\"date\"},"
    "{\"id\":5,\"name\":\"tstz\",\"required\":false,\"type\":\"timestamptz\"},"
    "{\"id\":6,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"},"
    "{\"id\":7,\"name\":\"s\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":8,\"name\":\"u\",\"required\":false,\"type\":\"uuid\"},"
    "{\"id\":9,\"name\":\"f\",\"required\":false,\"type\":\"float\"},"
    "{\"id\":10,\"name\":\"d\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":11,\"name\":\"bin\",\"required\":false,\"type\":\"binary\"},"
    "{\"id\":12,\"name\":\"b\",\"required\":false,\"type\":\"boolean\"},"
    "{\"id\":13,\"name\":\"big\",\"required\":false,\"type\":\"decimal(30, 2)\"}]}";

enum { I, L, DEC, DT, TSTZ, TS, S, U, F, D, BIN, B, BIG };

static struct fl_schema *schema;

static int setup(void **state) {
    (void)state;
    struct fl_error err = {0};
    return fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err) == FL_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    fl_schema_free(schema);
    return 0;
}

/* ---- type mapping ---- */

static void test_decl(void **state) {
    (void)state;
    char t[48];
    const char *want[] = {"INTEGER",   "BIGINT",  "DECIMAL(10,2)", "DATE", "TIMESTAMPTZ",
                          "TIMESTAMP", "VARCHAR", "UUID",          "REAL", "DOUBLE",
                          "BLOB",      "BOOLEAN", "DECIMAL(30,2)"};
    for (int k = 0; k < schema->nfields; k++) {
        fl_sql_type_decl(&schema->fields[k], t, sizeof(t));
        assert_string_equal(t, want[k]);
    }
}

static void test_text_forms(void **state) {
    (void)state;
    char t[48];
    fl_sql_format_timestamp(0, 1, t, sizeof(t));
    assert_string_equal(t, "1970-01-01 00:00:00.000000+00:00");
    fl_sql_format_timestamp(INT64_C(1767880800123456), 0, t, sizeof(t));
    assert_string_equal(t, "2026-01-08 14:00:00.123456");
    fl_sql_format_timestamp(-1, 0, t, sizeof(t));
    assert_string_equal(t, "1969-12-31 23:59:59.999999");
    /* the digit-by-digit form equals the general one at the edges of
     * years 0001-9999, outside them, and on a spread of values between */
    int64_t edge[] = {INT64_C(-62135596800000000),
                      INT64_C(-62135596800000001),
                      INT64_C(253402300799999999),
                      INT64_C(253402300800000000),
                      INT64_C(951782400000000) /* 2000-02-29 */,
                      INT64_C(-86400000000)};
    uint64_t x = 88172645463325252u;
    for (int k = 0; k < 20000; k++) {
        int64_t us;
        if (k < (int)(sizeof(edge) / sizeof(edge[0]))) {
            us = edge[k];
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            us = (int64_t)(x % UINT64_C(316000000000000000)) - INT64_C(63000000000000000);
        }
        char iso[40], want[48];
        fl_time_format_iso(us, iso, sizeof(iso));
        size_t n = strlen(iso);
        iso[n - 1] = '\0'; /* the Z */
        *strchr(iso, 'T') = ' ';
        for (int tz = 0; tz < 2; tz++) {
            snprintf(want, sizeof(want), "%s%s", iso, tz ? "+00:00" : "");
            fl_sql_format_timestamp(us, tz, t, sizeof(t));
            assert_string_equal(t, want);
        }
    }
    assert_true(fl_sql_float_widen(0.1f) == 0.1);
    assert_true(fl_sql_float_widen(1.5f) == 1.5);
    assert_true(fl_sql_float_widen(3.4028235e38f) == 3.4028235e38);
}

/* The statement shape the COUNT(*) shortcut answers, and near misses. */
static void test_count_shape(void **state) {
    (void)state;
    const char *yes[] = {"SELECT count(*) FROM t",
                         "select COUNT ( * ) from t;",
                         "SELECT count(*) FROM \"default\".t",
                         "SELECT count(*) FROM [a b] -- x",
                         "/* c */SELECT/**/count(*)FROM`t``x`;  ",
                         "SELECT count(*) FROM \"ns.t\"",
                         "SELECT count(*) FROM t /* unterminated"};
    const char *no[] = {"SELECT count(*) FROM t WHERE x = 1",
                        "SELECT count(*) FROM t LIMIT 0",
                        "SELECT count(*) FROM t(123)",
                        "SELECT count(1) FROM t",
                        "SELECT count(*) + 1 FROM t",
                        "SELECT count(*) FROM t, u",
                        "SELECT count(*) FROM t GROUP BY x",
                        "SELECT count(*) AS n FROM t",
                        "SELECT count(*) FROM a.b.c",
                        "SELECT count(*) FROM \"t",
                        "SELECTcount(*) FROM t",
                        "SELECT count(*) FROM 1t",
                        "SELECT count(*) FROM t; SELECT 1",
                        "",
                        NULL};
    for (size_t k = 0; k < sizeof(yes) / sizeof(yes[0]); k++)
        assert_int_equal(fl_sql_count_shape(yes[k]), 1);
    for (size_t k = 0; k < sizeof(no) / sizeof(no[0]); k++)
        assert_int_equal(fl_sql_count_shape(no[k]), 0);
}

/* The statement shapes the aggregate shortcut answers, and near misses. */
static void test_agg_shape(void **state) {
    (void)state;
    struct fl_sql_agg_shape sh;
    assert_int_equal(
        fl_sql_agg_shape("SELECT city, avg(temperature), count(*) FROM weather GROUP BY city", &sh),
        1);
    assert_int_equal(sh.nitems, 3);
    assert_int_equal(sh.ngroup, 1);
    assert_int_equal(sh.items[0].fn, FL_SQL_AGG_COLUMN);
    assert_string_equal(sh.items[0].col, "city");
    assert_int_equal(sh.items[1].fn, FL_SQL_AGG_AVG);
    assert_string_equal(sh.items[1].col, "temperature");
    assert_int_equal(sh.items[2].fn, FL_SQL_AGG_COUNT_STAR);
    assert_int_equal(sh.order[0], 0);
    /* ORDER BY a permutation of the GROUP BY columns */
    assert_int_equal(fl_sql_agg_shape("select \"A b\", [c], SUM(x), min(`y`) from \"ns\".t "
                                      "group by [c], \"a B\" order by \"A B\" asc, c;",
                                      &sh),
                     1);
    assert_int_equal(sh.ngroup, 2);
    assert_string_equal(sh.group[1], "a B");
    assert_int_equal(sh.order[0], 1);
    assert_int_equal(sh.order[1], 0);
    assert_int_equal(sh.items[2].fn, FL_SQL_AGG_SUM);
    assert_string_equal(sh.items[3].col, "y");
    /* WHERE: a conjunction of column-op-literal terms */
    assert_int_equal(fl_sql_agg_shape("SELECT count(*) FROM t WHERE ts >= '2024-02-01' AND "
                                      "ts<'it''s' and n == -9223372036854775807 AND c IS NOT NULL "
                                      "AND d is null AND e <= 0",
                                      &sh),
                     1);
    assert_int_equal(sh.nwhere, 6);
    assert_int_equal(sh.where[0].op, SQLITE_INDEX_CONSTRAINT_GE);
    assert_int_equal(sh.where[0].lit, SQLITE_TEXT);
    assert_string_equal(sh.where[0].text, "2024-02-01");
    assert_int_equal(sh.where[1].op, SQLITE_INDEX_CONSTRAINT_LT);
    assert_string_equal(sh.where[1].text, "it's");
    assert_int_equal(sh.where[1].n, 4);
    assert_int_equal(sh.where[2].op, SQLITE_INDEX_CONSTRAINT_EQ);
    assert_int_equal(sh.where[2].lit, SQLITE_INTEGER);
    assert_true(sh.where[2].i == -9223372036854775807LL);
    assert_int_equal(sh.where[3].op, SQLITE_INDEX_CONSTRAINT_ISNOTNULL);
    assert_int_equal(sh.where[4].op, SQLITE_INDEX_CONSTRAINT_ISNULL);
    assert_int_equal(sh.where[5].op, SQLITE_INDEX_CONSTRAINT_LE);
    /* no GROUP BY: aggregates only */
    assert_int_equal(fl_sql_agg_shape("SELECT count(*), max(x) FROM t -- c", &sh), 1);
    assert_int_equal(sh.ngroup, 0);
    const char *no[] = {"SELECT city, count(*) FROM t GROUP BY city ORDER BY city DESC",
                        "SELECT city, count(*) FROM t WHERE x != 1 GROUP BY city",
                        "SELECT city, count(*) FROM t WHERE x = 1.5 GROUP BY city",
                        "SELECT city, count(*) FROM t WHERE x = 1e3 GROUP BY city",
                        "SELECT city, count(*) FROM t WHERE x = - 1 GROUP BY city",
                        "SELECT city, count(*) FROM t WHERE x = 1 OR y = 2 GROUP BY city",
                        "SELECT city, count(*) FROM t WHERE 1 = x GROUP BY city",
                        "SELECT city, count(*) FROM t WHERE x = 'a GROUP BY city",
                        "SELECT city, count(*) FROM t WHERE x = 9223372036854775808",
                        "SELECT city, count(*) FROM t WHERE (x = 1) GROUP BY city",
                        "SELECT city, count(*) FROM t WHERE x IS 1 GROUP BY city",
                        "SELECT city, count(*) FROM t GROUP BY city HAVING count(*) > 1",
                        "SELECT city, count(*) FROM t GROUP BY city LIMIT 1",
                        "SELECT DISTINCT city FROM t GROUP BY city",
                        "SELECT city, count(DISTINCT x) FROM t GROUP BY city",
                        "SELECT city, sum(x + 1) FROM t GROUP BY city",
                        "SELECT city AS c, count(*) FROM t GROUP BY city",
                        "SELECT city, count(*) FROM t",
                        "SELECT city, n, count(*) FROM t GROUP BY city",
                        "SELECT city, count(*) FROM t GROUP BY city, city",
                        "SELECT city, count(*) FROM t GROUP BY city ORDER BY 1",
                        "SELECT city, n FROM t GROUP BY city, n ORDER BY city",
                        "SELECT city, count(*) FROM t GROUP BY city COLLATE NOCASE",
                        "SELECT city, count(*) FROM t(1) GROUP BY city",
                        "SELECT city, count(*) FROM t, u GROUP BY city",
                        "SELECT city, count(*) FROM t x GROUP BY city",
                        "SELECT city, total(x) FROM t GROUP BY city",
                        "SELECT count(*) FROM t ORDER BY x",
                        "SELECT city, count(*) FROM t GROUP BY city; SELECT 1",
                        "SELECT 1, count(*) FROM t",
                        "",
                        NULL};
    for (size_t k = 0; k < sizeof(no) / sizeof(no[0]); k++)
        assert_int_equal(fl_sql_agg_shape(no[k], &sh), 0);
}

/* One row of every type, read back through SQLite. */
struct row_ctx {
    struct fl_batch *b;
};

static void col_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
    (void)argc;
    struct row_ctx *rc = sqlite3_user_data(ctx);
    int c = sqlite3_value_int(argv[0]);
    fl_sql_result_col(ctx, &rc->b->cols[c], 0);
}

static void test_cells(void **state) {
    (void)state;
    struct fl_error err = {0};
    struct fl_batch *b = NULL;
    assert_int_equal(fl_batch_new(schema, 1, &b, &err), FL_OK);
    const char *row =
        "{\"i\":-7,\"l\":9007199254740993,\"dec\":\"12.30\",\"dt\":\"2026-01-08\","
        "\"tstz\":\"2026-01-08T14:00:00Z\",\"ts\":\"2026-01-08T14:00:00.5\",\"s\":\"h\\u00e9\","
        "\"u\":\"123e4567-e89b-12d3-a456-426614174000\",\"f\":0.1,\"d\":2.5,\"bin\":\"00ff\","
        "\"b\":true}";
    assert_int_equal(fl_batch_append_json(b, row, strlen(row), &err), FL_OK);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    struct row_ctx rc = {b};
    sqlite3_create_function(db, "col", 1, SQLITE_UTF8, &rc, col_fn, NULL, NULL);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT typeof(col(0)), col(0), col(1), col(2), col(3), col(4), col(5),"
                           " col(6), col(7), col(8), typeof(col(10)), hex(col(10)), col(11),"
                           " col(12) IS NULL, col(9)",
                           -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "integer");
    assert_int_equal(sqlite3_column_int(st, 1), -7);
    assert_true(sqlite3_column_int64(st, 2) == INT64_C(9007199254740993));
    assert_string_equal((const char *)sqlite3_column_text(st, 3), "12.30");
    assert_string_equal((const char *)sqlite3_column_text(st, 4), "2026-01-08");
    assert_string_equal((const char *)sqlite3_column_text(st, 5),
                        "2026-01-08 14:00:00.000000+00:00");
    assert_string_equal((const char *)sqlite3_column_text(st, 6), "2026-01-08 14:00:00.500000");
    assert_string_equal((const char *)sqlite3_column_text(st, 7), "h\xc3\xa9");
    assert_string_equal((const char *)sqlite3_column_text(st, 8),
                        "123e4567-e89b-12d3-a456-426614174000");
    assert_true(sqlite3_column_double(st, 9) == 0.1);
    assert_string_equal((const char *)sqlite3_column_text(st, 10), "blob");
    assert_string_equal((const char *)sqlite3_column_text(st, 11), "00FF");
    assert_int_equal(sqlite3_column_int(st, 12), 1);
    assert_int_equal(sqlite3_column_int(st, 13), 1);
    assert_true(sqlite3_column_double(st, 14) == 2.5);
    sqlite3_finalize(st);
    sqlite3_close(db);
    fl_batch_free(b);
}

/* ---- constraints ---- */

static struct fl_sql_lit lit_int(int64_t i) {
    static char txt[32];
    snprintf(txt, sizeof(txt), "%lld", (long long)i);
    return (struct fl_sql_lit){SQLITE_INTEGER, i, 0, (const uint8_t *)txt, strlen(txt)};
}
static struct fl_sql_lit lit_real(double d) {
    return (struct fl_sql_lit){SQLITE_FLOAT, 0, d, (const uint8_t *)"", 0};
}
static struct fl_sql_lit lit_text(const char *s) {
    return (struct fl_sql_lit){SQLITE_TEXT, 0, 0, (const uint8_t *)s, strlen(s)};
}

/* Adds one predicate; on success checks the operator and returns the pval of its literal. */
static int add(int col, int op, struct fl_sql_lit v, fl_ice_op_t want_op, struct fl_ice_pval *out) {
    struct fl_sql_preds ps;
    fl_sql_preds_init(&ps);
    int ok = fl_sql_preds_add(&ps, schema, col, op, &v);
    if (ok) {
        assert_int_equal(ps.n, 1);
        assert_int_equal(ps.preds[0].field_id, schema->fields[col].id);
        assert_int_equal(ps.preds[0].op, want_op);
        assert_true(ps.preds[0].lit->field->type == schema->fields[col].type);
        struct fl_ice_transform id = {FL_ICE_XF_IDENTITY, 0};
        fl_ice_transform_apply(&id, ps.preds[0].lit, 0, out);
        /* keep up to 16 bytes: the literal's column is freed below */
        if (out->bytes && out->bytes != out->buf) {
            size_t n = out->len < sizeof(out->buf) ? out->len : sizeof(out->buf);
            memmove(out->buf, out->bytes, n);
            out->bytes = out->buf;
        }
    }
    fl_sql_preds_fini(&ps);
    return ok;
}

static void test_pred_integers(void **state) {
    (void)state;
    struct fl_ice_pval v;
    assert_true(add(I, SQLITE_INDEX_CONSTRAINT_LT, lit_int(5), FL_ICE_OP_LT, &v));
    assert_int_equal(v.i64, 5);
    /* x < 5.5 <=> x <= 5;  x > 5.5 <=> x >= 6 */
    assert_true(add(I, SQLITE_INDEX_CONSTRAINT_LT, lit_real(5.5), FL_ICE_OP_LE, &v));
    assert_int_equal(v.i64, 5);
    assert_true(add(I, SQLITE_INDEX_CONSTRAINT_GT, lit_real(5.5), FL_ICE_OP_GE, &v));
    assert_int_equal(v.i64, 6);
    assert_true(add(L, SQLITE_INDEX_CONSTRAINT_EQ, lit_real(5.0), FL_ICE_OP_EQ, &v));
    assert_int_equal(v.i64, 5);
    assert_false(add(L, SQLITE_INDEX_CONSTRAINT_EQ, lit_real(5.5), FL_ICE_OP_EQ, &v));
    /* numeric text is a number to an INTEGER column; other text never equals */
    assert_true(add(L, SQLITE_INDEX_CONSTRAINT_GE, lit_text("42"), FL_ICE_OP_GE, &v));
    assert_int_equal(v.i64, 42);
    assert_false(add(L, SQLITE_INDEX_CONSTRAINT_EQ, lit_text("abc"), FL_ICE_OP_EQ, &v));
    assert_false(add(L, SQLITE_INDEX_CONSTRAINT_EQ, lit_text(" 42"), FL_ICE_OP_EQ, &v));
    /* out of an int's range: not pushed */
    assert_false(
        add(I, SQLITE_INDEX_CONSTRAINT_LT, lit_int(INT64_C(10000000000)), FL_ICE_OP_LT, &v));
    assert_true(add(B, SQLITE_INDEX_CONSTRAINT_EQ, lit_int(1), FL_ICE_OP_EQ, &v));
    assert_false(add(B, SQLITE_INDEX_CONSTRAINT_EQ, lit_int(2), FL_ICE_OP_EQ, &v));
    /* NULL right-hand sides and operators not handled */
    struct fl_sql_lit null = {SQLITE_NULL, 0, 0, NULL, 0};
    assert_false(add(L, SQLITE_INDEX_CONSTRAINT_EQ, null, FL_ICE_OP_EQ, &v));
    assert_false(add(L, SQLITE_INDEX_CONSTRAINT_NE, lit_int(1), FL_ICE_OP_NE, &v));
    assert_false(add(L, SQLITE_INDEX_CONSTRAINT_LIKE, lit_text("a%"), FL_ICE_OP_EQ, &v));
    assert_true(add(L, SQLITE_INDEX_CONSTRAINT_ISNULL, null, FL_ICE_OP_IS_NULL, &v));
    assert_true(v.is_null);
    assert_true(add(S, SQLITE_INDEX_CONSTRAINT_ISNOTNULL, null, FL_ICE_OP_NOT_NULL, &v));
}

static void test_pred_floats(void **state) {
    (void)state;
    struct fl_ice_pval v;
    assert_true(add(D, SQLITE_INDEX_CONSTRAINT_GT, lit_real(2.25), FL_ICE_OP_GT, &v));
    assert_true(v.f64 == 2.25);
    assert_true(add(D, SQLITE_INDEX_CONSTRAINT_LT, lit_int(3), FL_ICE_OP_LT, &v));
    assert_true(v.f64 == 3.0);
    /* 0.1 reads back as 0.1 from the float 0.1f: exact */
    assert_true(add(F, SQLITE_INDEX_CONSTRAINT_EQ, lit_real(0.1), FL_ICE_OP_EQ, &v));
    assert_true((float)v.f64 == 0.1f);
    /* a double no float shows as: relaxed past it, equality not pushed */
    assert_true(add(F, SQLITE_INDEX_CONSTRAINT_LT, lit_real(0.1000000001), FL_ICE_OP_LE, &v));
    assert_true(v.f64 >= 0.1000000001);
    assert_false(add(F, SQLITE_INDEX_CONSTRAINT_EQ, lit_real(0.1000000001), FL_ICE_OP_EQ, &v));
}

static void test_pred_decimals(void **state) {
    (void)state;
    struct fl_ice_pval v;
    assert_true(add(DEC, SQLITE_INDEX_CONSTRAINT_EQ, lit_text("10.5"), FL_ICE_OP_EQ, &v));
    assert_true(v.dec == 1050);
    assert_true(add(DEC, SQLITE_INDEX_CONSTRAINT_GE, lit_int(10), FL_ICE_OP_GE, &v));
    assert_true(v.dec == 1000);
    /* a real: relaxed with a unit of slack */
    assert_true(add(DEC, SQLITE_INDEX_CONSTRAINT_GT, lit_real(10.25), FL_ICE_OP_GE, &v));
    assert_true(v.dec == 1024);
    assert_true(add(DEC, SQLITE_INDEX_CONSTRAINT_LT, lit_real(10.25), FL_ICE_OP_LE, &v));
    assert_true(v.dec == 1026);
    assert_false(add(DEC, SQLITE_INDEX_CONSTRAINT_EQ, lit_real(10.25), FL_ICE_OP_EQ, &v));
    assert_false(add(DEC, SQLITE_INDEX_CONSTRAINT_EQ, lit_text("ten"), FL_ICE_OP_EQ, &v));
    /* more digits than a double holds: SQLite's comparison may round, not pushed */
    assert_false(add(BIG, SQLITE_INDEX_CONSTRAINT_EQ, lit_text("10.5"), FL_ICE_OP_EQ, &v));
}

static void test_pred_temporal(void **state) {
    (void)state;
    struct fl_ice_pval v;
    int64_t h14;
    assert_int_equal(fl_time_parse_iso("2026-01-08T14:00:00Z", 20, &h14), FL_OK);
    assert_true(add(TSTZ, SQLITE_INDEX_CONSTRAINT_GE, lit_text("2026-01-08 14:00:00.000000+00:00"),
                    FL_ICE_OP_GE, &v));
    assert_true(v.i64 == h14);
    /* dates and timestamps compare as the instants they name (the
     * floe_time collation, sql_time.c): pushed exactly */
    assert_true(add(TSTZ, SQLITE_INDEX_CONSTRAINT_GT, lit_text("2026-01-08 14"), FL_ICE_OP_GT, &v));
    assert_true(v.i64 == h14);
    assert_true(
        add(TSTZ, SQLITE_INDEX_CONSTRAINT_LE, lit_text("2026-01-08 14:00:00"), FL_ICE_OP_LE, &v));
    assert_true(v.i64 == h14);
    assert_true(
        add(TS, SQLITE_INDEX_CONSTRAINT_LT, lit_text("2026-01-08 14:00:00.5"), FL_ICE_OP_LT, &v));
    assert_true(v.i64 == h14 + 500000);
    assert_true(add(TS, SQLITE_INDEX_CONSTRAINT_EQ, lit_text("2026-01-08 14:00:00.000000"),
                    FL_ICE_OP_EQ, &v));
    assert_true(
        add(TSTZ, SQLITE_INDEX_CONSTRAINT_GT, lit_text("2026-01-08T14:00"), FL_ICE_OP_GT, &v));
    assert_true(v.i64 == h14);
    assert_true(add(TSTZ, SQLITE_INDEX_CONSTRAINT_EQ, lit_text("2026-01-08 15:00:00+01:00"),
                    FL_ICE_OP_EQ, &v));
    assert_true(v.i64 == h14);
    assert_true(add(TSTZ, SQLITE_INDEX_CONSTRAINT_EQ, lit_text("2026-01-08-14"), FL_ICE_OP_EQ, &v));
    assert_true(v.i64 == h14);
    assert_true(
        add(TSTZ, SQLITE_INDEX_CONSTRAINT_GT, lit_text("2026-01-08 14:00:00Z"), FL_ICE_OP_GT, &v));
    /* text that names no instant sorts after every value: not pushed */
    assert_false(add(TSTZ, SQLITE_INDEX_CONSTRAINT_GT, lit_text("2026"), FL_ICE_OP_GE, &v));
    assert_false(add(TSTZ, SQLITE_INDEX_CONSTRAINT_LT, lit_text("soon"), FL_ICE_OP_LT, &v));
    assert_false(add(TS, SQLITE_INDEX_CONSTRAINT_GT, lit_text("2026-02-30"), FL_ICE_OP_GE, &v));
    assert_false(add(TS, SQLITE_INDEX_CONSTRAINT_GT, lit_int(5), FL_ICE_OP_GT, &v));
    assert_true(add(DT, SQLITE_INDEX_CONSTRAINT_EQ, lit_text("2026-01-08"), FL_ICE_OP_EQ, &v));
    assert_int_equal(v.i64, 20461);
    assert_true(add(DT, SQLITE_INDEX_CONSTRAINT_LE, lit_text("2026-01"), FL_ICE_OP_LE, &v));
    assert_int_equal(v.i64, 20454);
    /* a date against an instant inside a day: that day, relaxed */
    assert_true(
        add(DT, SQLITE_INDEX_CONSTRAINT_LT, lit_text("2026-01-08 12:00"), FL_ICE_OP_LE, &v));
    assert_int_equal(v.i64, 20461);
    assert_true(
        add(DT, SQLITE_INDEX_CONSTRAINT_GT, lit_text("2026-01-08 12:00"), FL_ICE_OP_GE, &v));
    assert_int_equal(v.i64, 20461);
    assert_false(
        add(DT, SQLITE_INDEX_CONSTRAINT_EQ, lit_text("2026-01-08 12:00"), FL_ICE_OP_EQ, &v));
}

/* Trino's typed literals reach SQLite as plain strings of the same
 * offsets; strings, comments and qualified names are left alone. */
static void test_time_literals(void **state) {
    (void)state;
    static const char *const cases[][2] = {
        {"select 1 where ts = TIMESTAMP '2021-01-10'",
         "select 1 where ts =           '2021-01-10'"},
        {"ts>=timestamp with time zone'x'", "ts>=                        'x'"},
        {"d = DATE '2021-01-10' or t = time '14:00'", "d =      '2021-01-10' or t =      '14:00'"},
        {"select 'TIMESTAMP ''x''' , \"DATE\" 'a'", "select 'TIMESTAMP ''x''' , \"DATE\" 'a'"},
        {"select t.date 'a' -- TIMESTAMP 'x'", "select t.date 'a' -- TIMESTAMP 'x'"},
        {"select timestamps 'a', DATE(x)", "select timestamps 'a', DATE(x)"},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        char *t = fl_sql_text_dup(cases[k][0]);
        assert_string_equal(t, cases[k][1]);
        fl_free(t);
    }
    int64_t us, h14;
    assert_int_equal(fl_time_parse_iso("2026-01-08T14:00:00Z", 20, &h14), FL_OK);
    const char *same[] = {"2026-01-08 14:00:00.000000+00:00", "2026-01-08 14:00", "2026-01-08-14",
                          "2026-01-08T15:00:00+01:00", "2026-01-08 14:00:00.000 UTC"};
    for (size_t k = 0; k < sizeof(same) / sizeof(same[0]); k++) {
        assert_true(fl_sql_time_parse(same[k], strlen(same[k]), &us));
        assert_true(us == h14);
    }
    assert_false(fl_sql_time_parse("2026", 4, &us));
    assert_false(fl_sql_time_parse("soon", 4, &us));
}

/* Trino's time-travel clauses found with the table reference before them. */
static void test_travel_match(void **state) {
    (void)state;
    struct fl_sql_travel t;
    const char *a = "select * from t for version as of 12 where x";
    assert_int_equal(fl_sql_travel_match(a, 16, 19, &t), 36);
    assert_int_equal(t.start, 14);
    assert_string_equal(t.name, "t");
    assert_string_equal(t.schema, "");
    assert_string_equal(t.value, "12");
    assert_false(t.by_time);
    const char *b = "from \"db\" . \"t x\" FOR TIMESTAMP AS OF '2021-01-01 10:00'";
    assert_int_equal(fl_sql_travel_match(b, 18, 21, &t), strlen(b));
    assert_int_equal(t.start, 5);
    assert_string_equal(t.schema, "db");
    assert_string_equal(t.name, "t x");
    assert_true(t.by_time);
    assert_string_equal(t.value, "2021-01-01 10:00");
    assert_int_equal(fl_sql_travel_match("for version as of 1", 0, 3, &t), 0);
    assert_int_equal(fl_sql_travel_match("t for version as of x", 2, 5, &t), 0);
    assert_int_equal(fl_sql_travel_match("t for update", 2, 5, &t), 0);
    assert_int_equal(fl_sql_travel_match("f(1) for version as of 1", 5, 8, &t), 0);
}

static void test_pred_bytes(void **state) {
    (void)state;
    struct fl_ice_pval v;
    assert_true(add(S, SQLITE_INDEX_CONSTRAINT_EQ, lit_text("Oslo"), FL_ICE_OP_EQ, &v));
    assert_true(
        add(S, SQLITE_INDEX_CONSTRAINT_GT, lit_int(5), FL_ICE_OP_GT, &v)); /* compared as '5' */
    assert_true(add(U, SQLITE_INDEX_CONSTRAINT_EQ, lit_text("123e4567-e89b-12d3-a456-426614174000"),
                    FL_ICE_OP_EQ, &v));
    assert_int_equal(v.bytes[0], 0x12);
    assert_false(add(U, SQLITE_INDEX_CONSTRAINT_EQ,
                     lit_text("123E4567-E89B-12D3-A456-426614174000"), FL_ICE_OP_EQ, &v));
    struct fl_sql_lit blob = {SQLITE_BLOB, 0, 0, (const uint8_t *)"\x00\xff", 2};
    assert_true(add(BIN, SQLITE_INDEX_CONSTRAINT_EQ, blob, FL_ICE_OP_EQ, &v));
    assert_false(add(BIN, SQLITE_INDEX_CONSTRAINT_EQ, lit_text("x"), FL_ICE_OP_EQ, &v));
}

/* ---- names and plans ---- */

static void test_args(void **state) {
    (void)state;
    struct fl_error err = {0};
    char out[FL_SQL_NAME_MAX];
    assert_int_equal(fl_sql_dequote(" 'a''b' ", out, sizeof(out), &err), FL_OK);
    assert_string_equal(out, "a'b");
    assert_int_equal(fl_sql_dequote("\"sales.eu\"", out, sizeof(out), &err), FL_OK);
    assert_string_equal(out, "sales.eu");
    assert_int_equal(fl_sql_dequote("[x y]", out, sizeof(out), &err), FL_OK);
    assert_string_equal(out, "x y");
    assert_int_equal(fl_sql_dequote("plain", out, sizeof(out), &err), FL_OK);
    assert_string_equal(out, "plain");
    assert_int_equal(fl_sql_dequote("'open", out, sizeof(out), &err), FL_ERR_INVALID);
    assert_int_equal(fl_sql_dequote("''", out, sizeof(out), &err), FL_ERR_INVALID);
    assert_int_equal(fl_sql_dequote("'a'b", out, sizeof(out), &err), FL_ERR_INVALID);
    assert_int_equal(fl_sql_dequote("abcdef", out, 4, &err), FL_ERR_INVALID);
    char q[32];
    assert_int_equal(fl_sql_quote_ident("a\"b", q, sizeof(q)), FL_OK);
    assert_string_equal(q, "\"a\"\"b\"");
    assert_int_equal(fl_sql_quote_ident("abcdef", q, 5), FL_ERR_LIMIT);

    char ns[64], name[64];
    fl_sql_meta_t kind;
    assert_int_equal(
        fl_sql_name_split("sales.eu.orders$files", ns, sizeof(ns), name, sizeof(name), &kind, &err),
        FL_OK);
    assert_string_equal(ns, "sales.eu");
    assert_string_equal(name, "orders");
    assert_int_equal(kind, FL_SQL_META_FILES);
    assert_int_equal(fl_sql_name_split("t", ns, sizeof(ns), name, sizeof(name), &kind, &err),
                     FL_OK);
    assert_string_equal(ns, "");
    assert_int_equal(kind, FL_SQL_META_NONE);
    assert_int_equal(fl_sql_name_split("t$nope", ns, sizeof(ns), name, sizeof(name), &kind, &err),
                     FL_ERR_INVALID);
    assert_int_equal(
        fl_sql_name_split("ns.$files", ns, sizeof(ns), name, sizeof(name), &kind, &err),
        FL_ERR_INVALID);

    int64_t ms;
    assert_int_equal(fl_sql_parse_as_of("1000", 4, &ms, &err), FL_OK);
    assert_true(ms == 1000);
    assert_int_equal(fl_sql_parse_as_of("1970-01-02", 10, &ms, &err), FL_OK);
    assert_true(ms == 86400000);
    assert_int_equal(fl_sql_parse_as_of("1970-01-01 00:00:01.5", 21, &ms, &err), FL_OK);
    assert_true(ms == 1500);
    assert_int_equal(fl_sql_parse_as_of("yesterday", 9, &ms, &err), FL_ERR_INVALID);
}

static void test_plan(void **state) {
    (void)state;
    struct fl_sql_plan p = {
        .col_used = UINT64_C(0x8000000000000005), .has_snap = 1, .has_limit = 1, .ncons = 2};
    p.cons[0].col = 3;
    p.cons[0].op = SQLITE_INDEX_CONSTRAINT_GE;
    p.cons[1].col = 0;
    p.cons[1].op = SQLITE_INDEX_CONSTRAINT_ISNULL;
    char buf[256];
    assert_int_equal(fl_sql_plan_encode(&p, buf, sizeof(buf)), FL_OK);
    struct fl_sql_plan q;
    assert_int_equal(fl_sql_plan_decode(buf, &q), FL_OK);
    assert_true(q.col_used == p.col_used);
    assert_int_equal(q.has_snap, 1);
    assert_int_equal(q.has_asof, 0);
    assert_int_equal(q.has_limit, 1);
    assert_int_equal(q.ncons, 2);
    assert_int_equal(q.cons[0].col, 3);
    assert_int_equal(q.cons[1].op, SQLITE_INDEX_CONSTRAINT_ISNULL);
    assert_int_equal(fl_sql_plan_encode(&p, buf, 8), FL_ERR_LIMIT);
    const char *bad[] = {"",
                         "x",
                         "u;f00000;",
                         "u1;f0000;",
                         "u1;f00000;c1:",
                         "u1;f00000;c:1;",
                         "u11111111111111111;f00000;",
                         "u1;f00002;",
                         NULL};
    for (int k = 0; bad[k]; k++) assert_int_equal(fl_sql_plan_decode(bad[k], &q), FL_ERR_INVALID);
    assert_int_equal(fl_sql_plan_decode(NULL, &q), FL_ERR_INVALID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decl),          cmocka_unit_test(test_text_forms),
        cmocka_unit_test(test_count_shape),   cmocka_unit_test(test_cells),
        cmocka_unit_test(test_pred_integers), cmocka_unit_test(test_pred_floats),
        cmocka_unit_test(test_pred_decimals), cmocka_unit_test(test_pred_temporal),
        cmocka_unit_test(test_time_literals), cmocka_unit_test(test_travel_match),
        cmocka_unit_test(test_pred_bytes),    cmocka_unit_test(test_args),
        cmocka_unit_test(test_plan),          cmocka_unit_test(test_agg_shape),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
