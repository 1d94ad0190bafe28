/*
 * test_table_ops.c - iceberg/table.c against the table operations alone
 * (iceberg/table_ops.h), with no SQL catalog: an in-memory catalog that
 * keeps one pointer per table and counts the calls. It shows that a
 * table is created, loaded and committed through the ops and nothing
 * else; that a compare-and-swap lost to another writer makes the table
 * reload through load and retry; that both names are checked before
 * anything is written; and that a table without a catalog cannot be
 * created or loaded by name. The SQL catalog's own implementation of
 * the ops is what test_table.c and test_catalog*.c exercise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "batch/batch_json.h"
#include "catalog/catalog.h"
#include "iceberg/table.h"
#include "iceberg/table_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *SCHEMA = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                            "{\"id\":1,\"name\":\"city\",\"required\":true,\"type\":\"string\"}]}";

/* One table, ns.name, and its current metadata location. */
struct mem_catalog {
    struct fl_ice_catalog icat;
    char ns[64], name[64], loc[1024];
    int has_ns, has_table;
    int loads, ensures, creates, commits;
    int lose_next_commit; /* another writer wins the next swap */
};

static struct mem_catalog *mem_of(struct fl_ice_catalog *icat) {
    return (struct mem_catalog *)(void *)((char *)icat - offsetof(struct mem_catalog, icat));
}

static bool is_table(struct mem_catalog *m, const char *ns, const char *name) {
    return m->has_table && !strcmp(m->ns, ns) && !strcmp(m->name, name);
}

static fl_err_t mem_load(struct fl_ice_catalog *icat, const char *ns, const char *name, char *out,
                         size_t outsz, struct fl_error *err) {
    struct mem_catalog *m = mem_of(icat);
    m->loads++;
    if (!is_table(m, ns, name)) return fl_errf(err, FL_ERR_NOTFOUND, "no table %s.%s", ns, name);
    snprintf(out, outsz, "%s", m->loc);
    return FL_OK;
}

static fl_err_t mem_ns_ensure(struct fl_ice_catalog *icat, const char *ns, struct fl_error *err) {
    struct mem_catalog *m = mem_of(icat);
    m->ensures++;
    if (strchr(ns, '/')) return fl_errf(err, FL_ERR_INVALID, "bad namespace %s", ns);
    m->has_ns = 1;
    return FL_OK;
}

static fl_err_t mem_create(struct fl_ice_catalog *icat, const char *ns, const char *name,
                           const char *location, struct fl_error *err) {
    struct mem_catalog *m = mem_of(icat);
    m->creates++;
    if (m->has_table) return fl_errf(err, FL_ERR_EXISTS, "table %s.%s exists", ns, name);
    snprintf(m->ns, sizeof(m->ns), "%s", ns);
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->loc, sizeof(m->loc), "%s", location);
    m->has_table = 1;
    return FL_OK;
}

static fl_err_t mem_commit(struct fl_ice_catalog *icat, const char *ns, const char *name,
                           const char *expected, const char *location, struct fl_error *err) {
    struct mem_catalog *m = mem_of(icat);
    m->commits++;
    if (!is_table(m, ns, name)) return fl_errf(err, FL_ERR_NOTFOUND, "no table %s.%s", ns, name);
    if (m->lose_next_commit) {
        m->lose_next_commit = 0;
        return fl_errf(err, FL_ERR_CONFLICT, "another writer won");
    }
    if (strcmp(m->loc, expected))
        return fl_errf(err, FL_ERR_CONFLICT, "expected %s, found %s", expected, m->loc);
    snprintf(m->loc, sizeof(m->loc), "%s", location);
    return FL_OK;
}

static const struct fl_ice_catalog_ops MEM_OPS = {
    .load = mem_load,
    .ns_ensure = mem_ns_ensure,
    .create = mem_create,
    .commit = mem_commit,
};

static void append_row(struct fl_ice_table *tbl, const char *row, int64_t *snap) {
    struct fl_error err = {0};
    struct fl_batch *b = NULL;
    struct fl_ice_appender *ap = NULL;
    assert_int_equal(fl_batch_new(fl_ice_meta_current_schema(tbl->meta), 0, &b, &err), FL_OK);
    if (fl_batch_append_json(b, row, strlen(row), &err)) fail_msg("%s", err.msg);
    assert_int_equal(fl_ice_appender_new(tbl, &ap, &err), FL_OK);
    if (fl_ice_appender_add(ap, b, &err)) fail_msg("add: %s", err.msg);
    if (fl_ice_appender_commit(ap, NULL, 0, snap, &err)) fail_msg("commit: %s", err.msg);
    fl_ice_appender_free(ap);
    fl_batch_free(b);
}

static void test_through_the_ops(void **state) {
    (void)state;
    char dir[] = "/tmp/floe-tops-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char uri[256];
    snprintf(uri, sizeof(uri), "file://%s/wh", dir);
    struct fl_error err = {0};
    struct fl_store *st = NULL;
    struct fl_schema *schema = NULL;
    struct fl_store_opts sopts = {0};
    assert_int_equal(fl_store_open(uri, &sopts, &st, &err), FL_OK);
    assert_int_equal(fl_schema_parse(SCHEMA, strlen(SCHEMA), &schema, &err), FL_OK);
    struct mem_catalog m = {.icat = {.ops = &MEM_OPS}};

    /* bad names: refused before the catalog is asked to create anything */
    struct fl_ice_table *tbl = NULL;
    assert_int_equal(
        fl_ice_table_create(st, &m.icat, "db", "a/b", schema, NULL, NULL, 0, &tbl, &err),
        FL_ERR_INVALID);
    assert_int_equal(m.ensures, 0);
    fl_err_clear(&err);
    assert_int_equal(
        fl_ice_table_create(st, &m.icat, "d/b", "t", schema, NULL, NULL, 0, &tbl, &err),
        FL_ERR_INVALID);
    assert_int_equal(m.creates, 0);
    fl_err_clear(&err);

    if (fl_ice_table_create(st, &m.icat, "db", "t", schema, NULL, NULL, 0, &tbl, &err))
        fail_msg("create: %s", err.msg);
    assert_true(m.has_ns);
    assert_int_equal(m.creates, 1);
    assert_string_equal(m.loc, tbl->metadata_location);
    assert_ptr_equal(tbl->icat, &m.icat);

    /* a commit is the ops' swap */
    int64_t s1 = -1, s2 = -1;
    append_row(tbl, "{\"city\":\"Paris\"}", &s1);
    assert_true(s1 > 0);
    assert_int_equal(m.commits, 1);
    assert_string_equal(m.loc, tbl->metadata_location);

    /* a lost swap: the table reloads through load and commits again */
    int loads = m.loads;
    m.lose_next_commit = 1;
    append_row(tbl, "{\"city\":\"Oslo\"}", &s2);
    assert_int_equal(m.commits, 3);
    assert_true(m.loads > loads);
    assert_string_equal(m.loc, tbl->metadata_location);

    /* a second handle loads what the ops name */
    struct fl_ice_table *again = NULL;
    assert_int_equal(fl_ice_table_load(st, &m.icat, "db", "t", &again, &err), FL_OK);
    assert_string_equal(again->metadata_location, m.loc);
    assert_int_equal(again->meta->current_snapshot_id, s2);
    struct fl_ice_table *none = NULL;
    assert_int_equal(fl_ice_table_load(st, &m.icat, "db", "other", &none, &err), FL_ERR_NOTFOUND);
    assert_null(none);
    fl_err_clear(&err);

    fl_ice_table_free(again);
    fl_ice_table_free(tbl);
    fl_schema_free(schema);
    fl_store_free(st);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_no_catalog(void **state) {
    (void)state;
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    assert_null(fl_catalog_ice(NULL));
    /* the store is never touched: the missing catalog is found first */
    assert_int_equal(fl_ice_table_load(NULL, fl_catalog_ice(NULL), "db", "t", &tbl, &err),
                     FL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "needs a catalog"));
    fl_err_clear(&err);
    assert_int_equal(fl_ice_table_create(NULL, NULL, "db", "t", NULL, NULL, NULL, 0, &tbl, &err),
                     FL_ERR_INVALID);
    assert_null(tbl);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_through_the_ops),
        cmocka_unit_test(test_no_catalog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
