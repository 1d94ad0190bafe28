/*
 * test_compact_sort.c - sort orders (iceberg/sort.c) and compaction that
 * honours them (iceberg/compact.c): terms into orders and their JSON;
 * a batch's rows ordered asc and desc, nulls first and last, by two
 * keys, through a transform, floats in Java's total order, 5000 random
 * rows in order and stable; compaction of shuffled one-row files under
 * the table's default order writes the rows in that order with
 * sort_order_id in each manifest entry, and a group of several files
 * into consecutive ranges of the order; an order with an unknown
 * transform refuses the run before anything is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "core/mem.h"
#include "iceberg/compact.h"
#include "iceberg/evolve.h"
#include "iceberg/sort.h"
#include "iceberg/table.h"
#include "log/log.h"
#include "pipe_env.h"
#include "table_env.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *SCHEMA =
    "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
    "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"long\"},"
    "{\"id\":2,\"name\":\"name\",\"required\":false,\"type\":\"string\"},"
    "{\"id\":3,\"name\":\"score\",\"required\":false,\"type\":\"double\"},"
    "{\"id\":4,\"name\":\"ts\",\"required\":false,\"type\":\"timestamp\"}]}";

/* id, name, score; appended in this (shuffled) order, one file each */
static const char *const ROWS[] = {
    "{\"id\":5,\"name\":\"a\",\"score\":3.0}",  "{\"id\":2,\"name\":null,\"score\":1.0}",
    "{\"id\":8,\"name\":\"c\",\"score\":-1.0}", "{\"id\":1,\"name\":\"b\",\"score\":2.0}",
    "{\"id\":6,\"name\":null,\"score\":null}",  "{\"id\":3,\"name\":\"a\",\"score\":null}",
    "{\"id\":7,\"name\":\"b\",\"score\":1.0}",  "{\"id\":4,\"name\":\"c\",\"score\":2.0}",
};

static struct fl_ice_sort_order *order_of(const struct fl_schema *schema, const char *const *terms,
                                          int n) {
    struct fl_error err = {0};
    struct fl_ice_sort_order *so = NULL;
    if (fl_ice_sort_order_from_terms(schema, terms, n, &so, &err)) fail_msg("%s", err.msg);
    return so;
}

/* The ids of batch in perm order, "a,b,c". */
static void ids_in(const struct fl_batch *b, const uint32_t *perm, char *out, size_t outsz) {
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < b->nrows; i++)
        o += (size_t)snprintf(out + o, outsz - o, "%s%lld", i ? "," : "",
                              (long long)fl_col_int(&b->cols[0], perm[i]));
}

static struct fl_batch *rows_batch(const struct fl_schema *schema) {
    struct fl_error err = {0};
    struct fl_batch *b = NULL;
    assert_int_equal(fl_batch_new(schema, 0, &b, &err), FL_OK);
    for (size_t i = 0; i < sizeof(ROWS) / sizeof(ROWS[0]); i++)
        if (fl_batch_append_json(b, ROWS[i], strlen(ROWS[i]), &err)) fail_msg("%s", err.msg);
    return b;
}

static void expect_order(const struct fl_schema *schema, const struct fl_batch *b,
                         const char *const *terms, int n, const char *want) {
    struct fl_ice_sort_order *so = order_of(schema, terms, n);
    uint32_t perm[64], tmp[64];
    char got[256];
    fl_ice_sort_perm(so, b, perm, tmp);
    ids_in(b, perm, got, sizeof(got));
    assert_string_equal(got, want);
    fl_ice_sort_order_free(so);
}

static void test_terms_and_json(void **state) {
    (void)state;
    struct fl_schema *schema = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err), FL_OK);
    const char *terms[] = {"name DESC", "day(ts) asc nulls last", "bucket(16, id) nulls first",
                           "truncate(2, name) desc nulls first"};
    struct fl_ice_sort_order *so = order_of(schema, terms, 4);
    struct fl_buf b;
    fl_buf_init(&b, FL_BUF_NOMAX);
    assert_int_equal(fl_ice_sort_order_to_json(so, &b), FL_OK);
    fl_buf_append_u8(&b, 0);
    assert_string_equal(
        (const char *)b.data,
        "{\"order-id\":0,\"fields\":["
        "{\"transform\":\"identity\",\"source-id\":2,\"direction\":\"desc\",\"null-order\":"
        "\"nulls-last\"},"
        "{\"transform\":\"day\",\"source-id\":4,\"direction\":\"asc\",\"null-order\":"
        "\"nulls-last\"},"
        "{\"transform\":\"bucket[16]\",\"source-id\":1,\"direction\":\"asc\",\"null-order\":"
        "\"nulls-first\"},"
        "{\"transform\":\"truncate[2]\",\"source-id\":2,\"direction\":\"desc\",\"null-order\":"
        "\"nulls-first\"}]}");
    fl_buf_fini(&b);
    fl_ice_sort_order_free(so);
    const char *bad[][1] = {{"nope"},      {"id sideways"}, {"id nulls middle"},
                            {"day(name)"}, {"zorder(id)"},  {"bucket(4 id"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        so = NULL;
        fl_err_clear(&err);
        assert_int_not_equal(fl_ice_sort_order_from_terms(schema, bad[i], 1, &so, &err), FL_OK);
        assert_null(so);
        assert_non_null(strstr(err.msg, "sort term"));
    }
    fl_schema_free(schema);
}

static void test_perm_orders(void **state) {
    (void)state;
    struct fl_schema *schema = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err), FL_OK);
    struct fl_batch *b = rows_batch(schema);
    const char *t1[] = {"name", "id desc"};
    expect_order(schema, b, t1, 2, "6,2,5,3,7,1,8,4");
    const char *t2[] = {"name desc nulls last", "id"};
    expect_order(schema, b, t2, 2, "4,8,1,7,3,5,2,6");
    const char *t3[] = {"score desc nulls first", "id"};
    expect_order(schema, b, t3, 2, "3,6,5,1,4,2,7,8");
    const char *t4[] = {"score asc nulls last", "name desc nulls first"};
    expect_order(schema, b, t4, 2, "8,2,7,4,1,5,6,3");
    const char *t5[] = {"id desc"};
    expect_order(schema, b, t5, 1, "8,7,6,5,4,3,2,1");
    fl_batch_free(b);

    /* a transform: day(ts) desc, then id */
    assert_int_equal(fl_batch_new(schema, 0, &b, &err), FL_OK);
    const char *tr[] = {"{\"id\":1,\"ts\":\"2026-01-02T23:00:00\"}",
                        "{\"id\":2,\"ts\":\"2026-01-03T01:00:00\"}",
                        "{\"id\":3,\"ts\":\"2026-01-02T01:00:00\"}", "{\"id\":4,\"ts\":null}",
                        "{\"id\":5,\"ts\":\"2026-01-03T00:30:00\"}"};
    for (int i = 0; i < 5; i++)
        if (fl_batch_append_json(b, tr[i], strlen(tr[i]), &err)) fail_msg("%s", err.msg);
    const char *t6[] = {"day(ts) desc", "id desc"};
    expect_order(schema, b, t6, 2, "5,2,3,1,4");
    const char *t7[] = {"ts desc nulls first"};
    expect_order(schema, b, t7, 1, "4,2,5,1,3");
    fl_batch_free(b);

    /* floats in Java's total order: -inf, -0, +0, 1, NaN, then null */
    assert_int_equal(fl_batch_new(schema, 0, &b, &err), FL_OK);
    const double v[] = {1.0, NAN, 0.0, -0.0, -INFINITY, 0};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(fl_col_append_i64(&b->cols[0], i + 1), FL_OK);
        assert_int_equal(fl_col_append_null(&b->cols[1]), FL_OK);
        if (i == 5)
            assert_int_equal(fl_col_append_null(&b->cols[2]), FL_OK);
        else
            assert_int_equal(fl_col_append_f64(&b->cols[2], v[i]), FL_OK);
        assert_int_equal(fl_col_append_null(&b->cols[3]), FL_OK);
        assert_int_equal(fl_batch_end_row(b), FL_OK);
    }
    const char *t8[] = {"score nulls last"};
    expect_order(schema, b, t8, 1, "5,4,3,1,2,6");
    fl_batch_free(b);
    fl_schema_free(schema);
}

/* 5000 random rows (few distinct values, nulls) by two keys: perm is a
 * permutation, in order, and stable (ties keep their row order). */
static void test_perm_random(void **state) {
    (void)state;
    struct fl_schema *schema = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err), FL_OK);
    struct fl_batch *b = NULL;
    assert_int_equal(fl_batch_new(schema, 0, &b, &err), FL_OK);
    enum { N = 5000 };
    srand(5);
    for (int i = 0; i < N; i++) {
        char name[8];
        snprintf(name, sizeof(name), "k%d", rand() % 7);
        assert_int_equal(fl_col_append_i64(&b->cols[0], i), FL_OK);
        assert_int_equal(rand() % 9 ? fl_col_append_bytes(&b->cols[1], name, strlen(name))
                                    : fl_col_append_null(&b->cols[1]),
                         FL_OK);
        assert_int_equal(rand() % 11 ? fl_col_append_f64(&b->cols[2], (double)(rand() % 13) - 6)
                                     : fl_col_append_null(&b->cols[2]),
                         FL_OK);
        assert_int_equal(fl_col_append_null(&b->cols[3]), FL_OK);
        assert_int_equal(fl_batch_end_row(b), FL_OK);
    }
    const char *terms[] = {"name desc nulls first", "score nulls last"};
    struct fl_ice_sort_order *so = order_of(schema, terms, 2);
    uint32_t *perm = fl_calloc(N, sizeof(*perm)), *tmp = fl_calloc(N, sizeof(*tmp));
    char *seen = fl_calloc(N, 1);
    fl_ice_sort_perm(so, b, perm, tmp);
    for (int i = 0; i < N; i++) {
        assert_true(perm[i] < N && !seen[perm[i]]);
        seen[perm[i]] = 1;
        if (i == 0) continue;
        uint32_t x = perm[i - 1], y = perm[i];
        const struct fl_col *nc = &b->cols[1], *sc = &b->cols[2];
        bool xn = fl_col_is_null(nc, x), yn = fl_col_is_null(nc, y);
        int c = xn || yn ? (xn ? -1 : 0) + (yn ? 1 : 0) : 0;
        if (!xn && !yn) {
            size_t xl, yl;
            const uint8_t *xp = fl_col_bytes(nc, x, &xl), *yp = fl_col_bytes(nc, y, &yl);
            c = -memcmp(xp, yp, xl < yl ? xl : yl); /* "k<digit>": one length */
        }
        assert_true(c <= 0); /* name desc, nulls first */
        if (c < 0) continue;
        bool xs = fl_col_is_null(sc, x), ys = fl_col_is_null(sc, y);
        double xv, yv;
        memcpy(&xv, sc->values + x * 8, 8);
        memcpy(&yv, sc->values + y * 8, 8);
        int d = xs || ys ? (xs ? 1 : 0) - (ys ? 1 : 0) : (xv > yv) - (xv < yv);
        assert_true(d <= 0);            /* score asc, nulls last */
        if (d == 0) assert_true(x < y); /* stable */
    }
    fl_free(seen);
    fl_free(perm);
    fl_free(tmp);
    fl_ice_sort_order_free(so);
    fl_batch_free(b);
    fl_schema_free(schema);
}

/* ---- compaction ---- */

static struct fl_ice_table *table_new(struct env *e) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_create(e->st, fl_catalog_ice(e->cat), "db", "t", e->schema, NULL, NULL, 0,
                            &tbl, &err))
        fail_msg("create: %s", err.msg);
    return tbl;
}

/* The ids of the current snapshot in scan order. */
static void scan_ids(struct fl_ice_table *tbl, char *out, size_t outsz) {
    struct fl_ice_scan *sc = NULL;
    struct fl_error err = {0};
    if (fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err)) fail_msg("scan: %s", err.msg);
    struct fl_batch *b = NULL;
    size_t o = 0;
    out[0] = '\0';
    fl_err_t rc;
    while ((rc = fl_ice_scan_next(sc, &b, &err)) == FL_OK)
        for (size_t i = 0; i < b->nrows; i++)
            o += (size_t)snprintf(out + o, outsz - o, "%s%lld", o ? "," : "",
                                  (long long)fl_col_int(&b->cols[0], i));
    if (rc != FL_ERR_EOF) fail_msg("scan: %s", err.msg);
    fl_ice_scan_free(sc);
}

struct live {
    int data;
    int32_t order_id; /* of the last data file seen */
};

static int on_live(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct live *l = ctx;
    if (e->status == FL_ICE_STATUS_DELETED || e->df.content != FL_ICE_CONTENT_DATA) return 0;
    l->data++;
    l->order_id = e->df.sort_order_id;
    return 0;
}

static struct live live_files(struct fl_ice_table *tbl) {
    struct live l = {0, -1};
    struct fl_error err = {0};
    const struct fl_ice_snapshot *cur = fl_ice_meta_current_snapshot(tbl->meta);
    if (fl_ice_table_files(tbl, cur->snapshot_id, NULL, on_live, &l, &err)) fail_msg("%s", err.msg);
    return l;
}

static void sort_and_compact(struct fl_ice_table *tbl, const char *const *terms, int n,
                             const char *want) {
    struct fl_error err = {0};
    if (fl_ice_table_set_sort_order(tbl, terms, n, &err)) fail_msg("sort order: %s", err.msg);
    int32_t id = tbl->meta->default_sort_order_id;
    assert_true(id > 0);
    struct fl_ice_compact_opts o = {.rewrite_all = true};
    struct fl_ice_compact_result res;
    if (fl_ice_table_compact(tbl, &o, &res, &err)) fail_msg("compact: %s", err.msg);
    assert_int_equal(res.sort_order_id, id);
    assert_int_equal(res.ngroups, 1);
    assert_int_equal(res.groups[0].state, FL_ICE_GROUP_COMMITTED);
    assert_int_equal(res.groups[0].nout, 1);
    fl_ice_compact_result_fini(&res);
    char got[256];
    scan_ids(tbl, got, sizeof(got));
    assert_string_equal(got, want);
    struct live l = live_files(tbl);
    assert_int_equal(l.data, 1);
    assert_int_equal(l.order_id, id);
}

static void test_compact_sorted(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-compact-sort", SCHEMA);
    struct fl_ice_table *tbl = table_new(&e);
    for (size_t i = 0; i < sizeof(ROWS) / sizeof(ROWS[0]); i++) table_env_append(tbl, ROWS[i]);
    assert_int_equal(live_files(tbl).data, 8);
    assert_int_equal(live_files(tbl).order_id, 0); /* appends: unsorted */
    const char *t1[] = {"name", "id desc"};
    sort_and_compact(tbl, t1, 2, "6,2,5,3,7,1,8,4");
    const char *t2[] = {"name desc nulls last", "id"};
    sort_and_compact(tbl, t2, 2, "4,8,1,7,3,5,2,6");
    const char *t3[] = {"score desc nulls first", "id"};
    sort_and_compact(tbl, t3, 2, "3,6,5,1,4,2,7,8");
    const char *t4[] = {"score asc nulls last", "name desc nulls first"};
    sort_and_compact(tbl, t4, 2, "8,2,7,4,1,5,6,3");
    int32_t last = tbl->meta->default_sort_order_id;
    /* an equal order is made the default again under its old id */
    sort_and_compact(tbl, t1, 2, "6,2,5,3,7,1,8,4");
    assert_true(tbl->meta->default_sort_order_id < last);
    /* back to unsorted: no sort_order_id recorded */
    struct fl_error err = {0};
    assert_int_equal(fl_ice_table_set_sort_order(tbl, NULL, 0, &err), FL_OK);
    assert_int_equal(tbl->meta->default_sort_order_id, 0);
    struct fl_ice_compact_opts o = {.rewrite_all = true};
    struct fl_ice_compact_result res;
    assert_int_equal(fl_ice_table_compact(tbl, &o, &res, &err), FL_OK);
    assert_int_equal(res.sort_order_id, 0);
    fl_ice_compact_result_fini(&res);
    assert_int_equal(live_files(tbl).order_id, 0);
    assert_int_equal(table_env_rows(tbl, FL_ICE_NO_SNAPSHOT), 8);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

struct paths {
    char *v[64];
    int n;
};

static int on_path(void *ctx, const struct fl_ice_manifest_entry *e) {
    struct paths *p = ctx;
    if (e->status != FL_ICE_STATUS_DELETED && e->df.content == FL_ICE_CONTENT_DATA && p->n < 64)
        p->v[p->n++] = fl_strdup(e->df.file_path);
    return 0;
}

static bool only_path(void *ctx, const struct fl_ice_data_file *df) {
    return df->content != FL_ICE_CONTENT_DATA || !strcmp(df->file_path, ctx);
}

struct range {
    int64_t first, last;
};

static int by_first(const void *a, const void *b) {
    const struct range *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

/* A group larger than one file: each file is sorted, and the files hold
 * consecutive ranges of the order (the group was sorted as a whole). */
static void test_compact_sorted_files(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-compact-sort", SCHEMA);
    struct fl_ice_table *tbl = table_new(&e);
    int ids[200];
    for (int i = 0; i < 200; i++) ids[i] = i + 1;
    srand(11);
    for (int i = 199; i > 0; i--) {
        int j = rand() % (i + 1), t = ids[i];
        ids[i] = ids[j];
        ids[j] = t;
    }
    struct fl_error err = {0};
    struct fl_batch *b = NULL;
    for (int a = 0; a < 20; a++) {
        assert_int_equal(fl_batch_new(e.schema, 0, &b, &err), FL_OK);
        for (int k = 0; k < 10; k++) {
            char row[64];
            snprintf(row, sizeof(row), "{\"id\":%d,\"name\":\"n%d\"}", ids[a * 10 + k], a);
            if (fl_batch_append_json(b, row, strlen(row), &err)) fail_msg("%s", err.msg);
        }
        struct fl_ice_appender *ap = NULL;
        assert_int_equal(fl_ice_appender_new(tbl, &ap, &err), FL_OK);
        assert_int_equal(fl_ice_appender_add(ap, b, &err), FL_OK);
        assert_int_equal(fl_ice_appender_commit(ap, NULL, 0, NULL, &err), FL_OK);
        fl_ice_appender_free(ap);
        fl_batch_free(b);
    }
    const char *terms[] = {"id desc"};
    assert_int_equal(fl_ice_table_set_sort_order(tbl, terms, 1, &err), FL_OK);
    /* a target of about 50 rows' worth of the input's bytes */
    struct fl_ice_compact_opts o = {.dry_run = true};
    struct fl_ice_compact_result res;
    assert_int_equal(fl_ice_table_compact(tbl, &o, &res, &err), FL_OK);
    assert_int_equal(res.ngroups, 1);
    int64_t target = res.groups[0].bytes / res.groups[0].records * 50;
    fl_ice_compact_result_fini(&res);
    o = (struct fl_ice_compact_opts){
        .target_size = target, .rewrite_all = true, .max_group_size = (int64_t)1 << 30};
    if (fl_ice_table_compact(tbl, &o, &res, &err)) fail_msg("%s", err.msg);
    assert_int_equal(res.ngroups, 1);
    assert_int_equal(res.groups[0].out_records, 200);
    int nout = res.groups[0].nout;
    assert_true(nout >= 3);
    fl_ice_compact_result_fini(&res);
    struct paths p = {.n = 0};
    const struct fl_ice_snapshot *cur = fl_ice_meta_current_snapshot(tbl->meta);
    assert_int_equal(fl_ice_table_files(tbl, cur->snapshot_id, NULL, on_path, &p, &err), FL_OK);
    assert_int_equal(p.n, nout);
    struct range r[64];
    int64_t total = 0;
    for (int f = 0; f < p.n; f++) {
        struct fl_ice_scan *sc = NULL;
        assert_int_equal(
            fl_ice_scan_open_files(tbl, FL_ICE_NO_SNAPSHOT, only_path, p.v[f], &sc, &err), FL_OK);
        int64_t prev = INT64_MAX, n = 0;
        fl_err_t rc;
        while ((rc = fl_ice_scan_next(sc, &b, &err)) == FL_OK)
            for (size_t i = 0; i < b->nrows; i++, n++) {
                int64_t v = fl_col_int(&b->cols[0], i);
                assert_true(v < prev); /* descending within the file */
                if (n == 0) r[f].first = v;
                r[f].last = prev = v;
            }
        assert_int_equal(rc, FL_ERR_EOF);
        fl_ice_scan_free(sc);
        total += n;
        fl_free(p.v[f]);
    }
    assert_int_equal(total, 200);
    /* consecutive ranges: 200..x, x-1..y, ... 1 */
    qsort(r, (size_t)p.n, sizeof(r[0]), by_first);
    assert_int_equal(r[0].last, 1);
    for (int f = 1; f < p.n; f++) assert_int_equal(r[f].last, r[f - 1].first + 1);
    assert_int_equal(r[p.n - 1].first, 200);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

static fl_err_t bad_order(void *ctx, struct fl_ice_meta *next, int attempt, struct fl_error *err) {
    (void)ctx;
    (void)attempt;
    const char *add = "{\"action\":\"add-sort-order\",\"sort-order\":{\"order-id\":1,\"fields\":["
                      "{\"transform\":\"zorder\",\"source-id\":1,\"direction\":\"asc\","
                      "\"null-order\":\"nulls-first\"}]}}";
    const char *set = "{\"action\":\"set-default-sort-order\",\"sort-order-id\":-1}";
    fl_err_t rc = fl_ice_meta_apply_update(next, add, strlen(add), err);
    if (!rc) rc = fl_ice_meta_apply_update(next, set, strlen(set), err);
    return rc;
}

static void test_unknown_transform_refused(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-compact-sort", SCHEMA);
    struct fl_ice_table *tbl = table_new(&e);
    for (size_t i = 0; i < sizeof(ROWS) / sizeof(ROWS[0]); i++) table_env_append(tbl, ROWS[i]);
    struct fl_error err = {0};
    if (fl_ice_table_commit_meta(tbl, bad_order, NULL, &err)) fail_msg("%s", err.msg);
    assert_int_equal(tbl->meta->default_sort_order_id, 1);
    char *loc = fl_strdup(tbl->metadata_location);
    struct fl_ice_compact_opts o = {.rewrite_all = true};
    struct fl_ice_compact_result res;
    assert_int_equal(fl_ice_table_compact(tbl, &o, &res, &err), FL_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "zorder"));
    assert_non_null(strstr(err.msg, "compaction refused"));
    assert_int_equal(res.ngroups, 0);
    fl_ice_compact_result_fini(&res);
    assert_int_equal(fl_ice_table_refresh(tbl, &err), FL_OK);
    assert_string_equal(tbl->metadata_location, loc); /* nothing committed */
    assert_int_equal(live_files(tbl).data, 8);
    /* nothing written either: the data folder holds the 8 appended files */
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "test $(find %s/wh/db/t/data -type f | wc -l) -eq 8", e.dir);
    assert_int_equal(system(cmd), 0);
    fl_free(loc);
    fl_ice_table_free(tbl);
    pipe_env_close(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_terms_and_json),
        cmocka_unit_test(test_perm_orders),
        cmocka_unit_test(test_perm_random),
        cmocka_unit_test(test_compact_sorted),
        cmocka_unit_test(test_compact_sorted_files),
        cmocka_unit_test(test_unknown_transform_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
