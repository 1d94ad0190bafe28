/*
 * test_catalog_pg.c - the SQL catalog on PostgreSQL (FLOE_PG_URI, a libpq
 * URI; every test skips when it is unset; tests/e2e/catalog_pg.sh starts
 * a throwaway server and sets it): namespaces, properties, tables,
 * rename, drop, the compare-and-swap race, concurrent read-modify-CAS
 * counters (no lost updates; also through SQLite for comparison),
 * concurrent namespace create and drop-versus-table-create, concurrent
 * opens of a fresh catalog, reconnect after the server dropped an idle
 * connection or one with a statement in flight, and the JdbcCatalog/PyIceberg
 * layout seen and written with plain SQL.
 *
 * Each test uses its own catalog_name (with the process id), so reruns
 * against one database do not collide.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "catalog_lease_cases.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct names {
    char buf[1024];
};

static int collect(void *ctx, const char *ns, const char *name) {
    struct names *n = ctx;
    size_t l = strlen(n->buf);
    snprintf(n->buf + l, sizeof(n->buf) - l, "%s%s%s;", ns, name ? "." : "", name ? name : "");
    return 0;
}

static int collect_prop(void *ctx, const char *k, const char *v) {
    struct names *n = ctx;
    size_t l = strlen(n->buf);
    snprintf(n->buf + l, sizeof(n->buf) - l, "%s=%s;", k, v);
    return 0;
}

static const char *pg_uri(void) {
    const char *u = getenv("FLOE_PG_URI");
    return u && *u ? u : NULL;
}

/* A catalog name unique to this process and test. */
static void cat_name(char *out, size_t outsz, const char *tag) {
    snprintf(out, outsz, "%s_%ld", tag, (long)getpid());
}

/* base URI plus one more query parameter. */
static void uri_with(char *out, size_t outsz, const char *base, const char *param) {
    snprintf(out, outsz, "%s%c%s", base, strchr(base, '?') ? '&' : '?', param);
}

/* Runs SQL on a plain libpq connection; returns the first value of the
 * first row (static buffer) or "" ; fails the test on an error. */
static const char *raw_sql(PGconn *pg, const char *sql, int n, const char *const *params) {
    static char first[1024];
    PGresult *res = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        print_error("raw SQL failed: %s: %s\n", sql, PQresultErrorMessage(res));
        PQclear(res);
        fail();
    }
    first[0] = '\0';
    if (st == PGRES_TUPLES_OK && PQntuples(res) > 0 && PQnfields(res) > 0)
        snprintf(first, sizeof(first), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return first;
}

static PGconn *raw_connect(const char *uri) {
    PGconn *pg = PQconnectdb(uri);
    if (PQstatus(pg) != CONNECTION_OK) {
        print_error("connect %s: %s\n", uri, PQerrorMessage(pg));
        fail();
    }
    PQclear(PQexec(pg, "SET client_min_messages = warning"));
    return pg;
}

static void test_lease(void **state) {
    (void)state;
    const char *uri = pg_uri();
    if (!uri) skip();
    char cn[64];
    cat_name(cn, sizeof(cn), "lease");
    struct fl_catalog *a = NULL, *b = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_catalog_open(uri, cn, &a, &err), FL_OK);
    assert_int_equal(fl_catalog_open(uri, cn, &b, &err), FL_OK);
    lease_cases(a, b);
    fl_catalog_free(a);
    fl_catalog_free(b);
}

/* ---- the whole API, as test_catalog.c does it on SQLite ---- */

static void test_namespaces_tables_cas(void **state) {
    (void)state;
    const char *uri = pg_uri();
    if (!uri) skip();
    char cn[64];
    cat_name(cn, sizeof(cn), "basic");
    struct fl_catalog *a = NULL, *b = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_catalog_open(uri, cn, &a, &err), FL_OK);
    assert_int_equal(fl_catalog_open(uri, cn, &b, &err), FL_OK);

    assert_int_equal(fl_catalog_ns_exists(a, "default", &err), FL_ERR_NOTFOUND);
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_ns_create(a, "default", NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(fl_catalog_ns_create(b, "default", NULL, NULL, 0, &err), FL_ERR_EXISTS);
    fl_err_clear(&err);
    const char *k[] = {"owner", "comment"}, *v[] = {"ops", "EU sales"};
    assert_int_equal(fl_catalog_ns_create(a, "sales.eu", k, v, 2, &err), FL_OK);
    assert_int_equal(fl_catalog_ns_create(a, "sales.us", NULL, NULL, 0, &err), FL_OK);
    struct names n = {{0}};
    assert_int_equal(fl_catalog_ns_list(b, NULL, collect, &n, &err), FL_OK);
    assert_string_equal(n.buf, "default;sales;");
    memset(&n, 0, sizeof(n));
    assert_int_equal(fl_catalog_ns_list(b, "sales", collect, &n, &err), FL_OK);
    assert_string_equal(n.buf, "sales.eu;sales.us;");
    memset(&n, 0, sizeof(n));
    assert_int_equal(fl_catalog_ns_props(b, "sales.eu", collect_prop, &n, &err), FL_OK);
    assert_string_equal(n.buf, "comment=EU sales;owner=ops;");
    const char *k2[] = {"owner", "comment", "quote"}, *v2[] = {"data", NULL, "it's ?"};
    assert_int_equal(fl_catalog_ns_set_props(a, "sales.eu", k2, v2, 3, &err), FL_OK);
    memset(&n, 0, sizeof(n));
    assert_int_equal(fl_catalog_ns_props(b, "sales.eu", collect_prop, &n, &err), FL_OK);
    assert_string_equal(n.buf, "owner=data;quote=it's ?;");
    assert_int_equal(fl_catalog_ns_set_props(a, "nope", k2, v2, 3, &err), FL_ERR_NOTFOUND);
    fl_err_clear(&err);

    assert_int_equal(fl_catalog_ns_create(a, "../x", NULL, NULL, 0, &err), FL_ERR_INVALID);
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_table_create(a, "nope", "t", "x", &err), FL_ERR_NOTFOUND);
    fl_err_clear(&err);

    assert_int_equal(fl_catalog_table_create(a, "default", "weather", "m0.json", &err), FL_OK);
    assert_int_equal(fl_catalog_table_create(b, "default", "weather", "m0.json", &err),
                     FL_ERR_EXISTS);
    fl_err_clear(&err);
    char loc[256];
    assert_int_equal(fl_catalog_table_load(b, "default", "weather", loc, sizeof(loc), &err), FL_OK);
    assert_string_equal(loc, "m0.json");
    assert_int_equal(fl_catalog_table_load(b, "default", "nope", loc, sizeof(loc), &err),
                     FL_ERR_NOTFOUND);
    fl_err_clear(&err);

    /* both writers start from m0; exactly one commit wins */
    assert_int_equal(fl_catalog_table_commit(a, "default", "weather", "m0.json", "m1a.json", &err),
                     FL_OK);
    assert_int_equal(fl_catalog_table_commit(b, "default", "weather", "m0.json", "m1b.json", &err),
                     FL_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "m1a.json"));
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_table_load(b, "default", "weather", loc, sizeof(loc), &err), FL_OK);
    assert_string_equal(loc, "m1a.json");
    assert_int_equal(fl_catalog_table_commit(b, "default", "weather", "m1a.json", "m2.json", &err),
                     FL_OK);

    assert_int_equal(fl_catalog_ns_drop(a, "default", &err), FL_ERR_INVALID);
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_table_rename(a, "default", "weather", "sales.eu", "weather2", &err),
                     FL_OK);
    assert_int_equal(fl_catalog_table_create(a, "sales.eu", "other", "o.json", &err), FL_OK);
    assert_int_equal(fl_catalog_table_rename(a, "sales.eu", "other", "sales.eu", "weather2", &err),
                     FL_ERR_EXISTS);
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_table_rename(a, "sales.eu", "gone", "sales.eu", "x", &err),
                     FL_ERR_NOTFOUND);
    fl_err_clear(&err);
    memset(&n, 0, sizeof(n));
    assert_int_equal(fl_catalog_table_list(b, "sales.eu", collect, &n, &err), FL_OK);
    assert_string_equal(n.buf, "sales.eu.other;sales.eu.weather2;");
    assert_int_equal(fl_catalog_table_drop(a, "sales.eu", "weather2", &err), FL_OK);
    assert_int_equal(fl_catalog_table_drop(a, "sales.eu", "other", &err), FL_OK);
    assert_int_equal(fl_catalog_table_drop(b, "sales.eu", "weather2", &err), FL_ERR_NOTFOUND);
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_table_commit(a, "sales.eu", "weather2", "m2.json", "m3.json", &err),
                     FL_ERR_NOTFOUND);
    fl_err_clear(&err);
    assert_int_equal(fl_catalog_ns_drop(a, "default", &err), FL_OK);
    assert_int_equal(fl_catalog_ns_drop(b, "default", &err), FL_ERR_NOTFOUND);
    fl_err_clear(&err);

    fl_catalog_free(a);
    fl_catalog_free(b);

    /* a server that is not there: an error with libpq's message */
    struct fl_catalog *c = NULL;
    assert_int_equal(
        fl_catalog_open("postgresql://127.0.0.1:1/none?connect_timeout=2", cn, &c, &err),
        FL_ERR_IO);
    assert_non_null(strstr(err.msg, "postgresql catalog: connect"));
    assert_null(c);
}

/* ---- threads racing: a barrier lines them up ---- */

struct race {
    const char *uri;
    const char *cat;
    pthread_barrier_t *bar;
    int id;
    int rounds;
    int per;            /* counter: successful commits to make */
    long ok, conflicts; /* counter results */
    int other;          /* an unexpected error code, 0 if none */
    char msg[FL_ERROR_MSG_MAX];
    fl_err_t out[64]; /* per round result */
};

static void race_fail(struct race *r, fl_err_t rc, const struct fl_error *err) {
    if (r->other) return;
    r->other = (int)rc;
    snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
}

/* Two connections commit from the same expected location at once. */
static void *cas_worker(void *arg) {
    struct race *r = arg;
    struct fl_catalog *cat = NULL;
    struct fl_error err = {0};
    fl_err_t rc = fl_catalog_open(r->uri, r->cat, &cat, &err);
    if (rc) {
        race_fail(r, rc, &err);
        return NULL;
    }
    for (int i = 0; i < r->rounds; i++) {
        char from[32], to[32];
        snprintf(from, sizeof(from), "r%d", i);
        snprintf(to, sizeof(to), "r%d", i + 1);
        pthread_barrier_wait(r->bar);
        fl_err_clear(&err);
        r->out[i] = fl_catalog_table_commit(cat, "db", "t", from, to, &err);
        pthread_barrier_wait(r->bar);
    }
    fl_catalog_free(cat);
    return NULL;
}

static void cas_race(const char *uri, const char *cn) {
    struct fl_catalog *cat = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_catalog_open(uri, cn, &cat, &err), FL_OK);
    assert_int_equal(fl_catalog_ns_create(cat, "db", NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(fl_catalog_table_create(cat, "db", "t", "r0", &err), FL_OK);
    enum { ROUNDS = 30 };
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 2);
    struct race r[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        r[i] = (struct race){.uri = uri, .cat = cn, .bar = &bar, .id = i, .rounds = ROUNDS};
        assert_int_equal(pthread_create(&th[i], NULL, cas_worker, &r[i]), 0);
    }
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bar);
    int wins[2] = {0, 0};
    for (int i = 0; i < 2; i++) assert_int_equal(r[i].other, 0);
    for (int k = 0; k < ROUNDS; k++) {
        /* exactly one wins, the other loses with a conflict */
        assert_true((r[0].out[k] == FL_OK && r[1].out[k] == FL_ERR_CONFLICT) ||
                    (r[1].out[k] == FL_OK && r[0].out[k] == FL_ERR_CONFLICT));
        wins[r[0].out[k] == FL_OK ? 0 : 1]++;
    }
    char loc[64];
    assert_int_equal(fl_catalog_table_load(cat, "db", "t", loc, sizeof(loc), &err), FL_OK);
    assert_string_equal(loc, "r30");
    print_message("cas race %s: %d rounds, wins %d / %d\n",
                  strncmp(uri, "postgres", 8) ? "sqlite" : "postgresql", ROUNDS, wins[0], wins[1]);
    fl_catalog_free(cat);
}

static void test_cas_race(void **state) {
    (void)state;
    const char *uri = pg_uri();
    if (!uri) skip();
    char cn[64];
    cat_name(cn, sizeof(cn), "casrace");
    cas_race(uri, cn);
}

/* Read-modify-CAS-retry: the table's location is "v<counter>". */
static void *counter_worker(void *arg) {
    struct race *r = arg;
    struct fl_catalog *cat = NULL;
    struct fl_error err = {0};
    fl_err_t rc = fl_catalog_open(r->uri, r->cat, &cat, &err);
    if (rc) {
        race_fail(r, rc, &err);
        return NULL;
    }
    pthread_barrier_wait(r->bar);
    while (r->ok < r->per && !r->other) {
        char cur[64], next[64];
        fl_err_clear(&err);
        rc = fl_catalog_table_load(cat, "db", "counter", cur, sizeof(cur), &err);
        if (rc) {
            race_fail(r, rc, &err);
            break;
        }
        long v = strtol(cur + 1, NULL, 10);
        snprintf(next, sizeof(next), "v%ld", v + 1);
        rc = fl_catalog_table_commit(cat, "db", "counter", cur, next, &err);
        if (rc == FL_OK)
            r->ok++;
        else if (rc == FL_ERR_CONFLICT)
            r->conflicts++;
        else
            race_fail(r, rc, &err);
    }
    fl_catalog_free(cat);
    return NULL;
}

static void counter_run(const char *uri, const char *cn, int nthreads, int per) {
    struct fl_catalog *cat = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_catalog_open(uri, cn, &cat, &err), FL_OK);
    assert_int_equal(fl_catalog_ns_create(cat, "db", NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(fl_catalog_table_create(cat, "db", "counter", "v0", &err), FL_OK);
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)nthreads);
    struct race r[8];
    pthread_t th[8];
    assert_true(nthreads <= 8);
    for (int i = 0; i < nthreads; i++) {
        r[i] = (struct race){.uri = uri, .cat = cn, .bar = &bar, .id = i, .per = per};
        assert_int_equal(pthread_create(&th[i], NULL, counter_worker, &r[i]), 0);
    }
    for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bar);
    long ok = 0, conflicts = 0;
    for (int i = 0; i < nthreads; i++) {
        if (r[i].other) print_error("worker %d: %s\n", i, r[i].msg);
        assert_int_equal(r[i].other, 0);
        ok += r[i].ok;
        conflicts += r[i].conflicts;
    }
    char loc[64], want[64];
    assert_int_equal(fl_catalog_table_load(cat, "db", "counter", loc, sizeof(loc), &err), FL_OK);
    snprintf(want, sizeof(want), "v%ld", ok);
    print_message("counter %s: %d threads, %ld commits, %ld conflicts retried, final %s\n",
                  strncmp(uri, "postgres", 8) ? "sqlite" : "postgresql", nthreads, ok, conflicts,
                  loc);
    /* no lost update: every successful commit moved the counter by one */
    assert_int_equal(ok, (long)nthreads * per);
    assert_string_equal(loc, want);
    fl_catalog_free(cat);
}

static void test_counter(void **state) {
    (void)state;
    const char *uri = pg_uri();
    if (!uri) skip();
    char cn[64];
    cat_name(cn, sizeof(cn), "counter");
    counter_run(uri, cn, 4, 50);
}

/* The same races through SQLite, for comparison (no server needed). */
static void test_sqlite_races(void **state) {
    (void)state;
    char dir[] = "/tmp/floe-catpg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char uri[256], cmd[300];
    snprintf(uri, sizeof(uri), "sqlite://%s/catalog.db", dir);
    cas_race(uri, "race");
    counter_run(uri, "counter", 4, 25);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* N workers create one namespace, each with its own properties, at once:
 * exactly one wins and the namespace holds only the winner's properties. */
static void *ns_create_worker(void *arg) {
    struct race *r = arg;
    struct fl_catalog *cat = NULL;
    struct fl_error err = {0};
    fl_err_t rc = fl_catalog_open(r->uri, r->cat, &cat, &err);
    if (rc) {
        race_fail(r, rc, &err);
        return NULL;
    }
    char val[32];
    snprintf(val, sizeof(val), "w%d", r->id);
    const char *k[] = {"owner", val}, *v[] = {val, "1"};
    for (int i = 0; i < r->rounds; i++) {
        char ns[32];
        snprintf(ns, sizeof(ns), "n%d", i);
        pthread_barrier_wait(r->bar);
        fl_err_clear(&err);
        r->out[i] = fl_catalog_ns_create(cat, ns, k, v, 2, &err);
        if (r->out[i] != FL_OK && r->out[i] != FL_ERR_EXISTS) race_fail(r, r->out[i], &err);
    }
    fl_catalog_free(cat);
    return NULL;
}

static void test_ns_create_race(void **state) {
    (void)state;
    const char *uri = pg_uri();
    if (!uri) skip();
    char cn[64];
    cat_name(cn, sizeof(cn), "nsrace");
    enum { N = 4, ROUNDS = 15 };
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, N);
    struct race r[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct race){.uri = uri, .cat = cn, .bar = &bar, .id = i, .rounds = ROUNDS};
        assert_int_equal(pthread_create(&th[i], NULL, ns_create_worker, &r[i]), 0);
    }
    for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bar);
    for (int i = 0; i < N; i++) {
        if (r[i].other) print_error("worker %d: %s\n", i, r[i].msg);
        assert_int_equal(r[i].other, 0);
    }
    struct fl_catalog *cat = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_catalog_open(uri, cn, &cat, &err), FL_OK);
    for (int k = 0; k < ROUNDS; k++) {
        int wins = 0, winner = -1;
        for (int i = 0; i < N; i++)
            if (r[i].out[k] == FL_OK) wins++, winner = i;
        assert_int_equal(wins, 1);
        char ns[32], want[64];
        snprintf(ns, sizeof(ns), "n%d", k);
        snprintf(want, sizeof(want), "owner=w%d;w%d=1;", winner, winner);
        struct names n = {{0}};
        assert_int_equal(fl_catalog_ns_props(cat, ns, collect_prop, &n, &err), FL_OK);
        assert_string_equal(n.buf, want);
    }
    fl_catalog_free(cat);
}

/* One worker drops a namespace while another creates a table in it.
 * Allowed: the drop wins (the create finds no namespace) or the create
 * wins (the drop finds it not empty). Never both: a table left in a
 * namespace whose properties were deleted. */
static void *drop_worker(void *arg) {
    struct race *r = arg;
    struct fl_catalog *cat = NULL;
    struct fl_error err = {0};
    fl_err_t rc = fl_catalog_open(r->uri, r->cat, &cat, &err);
    if (rc) {
        race_fail(r, rc, &err);
        return NULL;
    }
    for (int i = 0; i < r->rounds; i++) {
        char ns[32];
        snprintf(ns, sizeof(ns), "d%d", i);
        if (r->id == 0) {
            fl_err_clear(&err);
            rc = fl_catalog_ns_create(cat, ns, NULL, NULL, 0, &err);
            if (rc) race_fail(r, rc, &err);
        }
        pthread_barrier_wait(r->bar);
        fl_err_clear(&err);
        r->out[i] = r->id == 0 ? fl_catalog_ns_drop(cat, ns, &err)
                               : fl_catalog_table_create(cat, ns, "t", "m.json", &err);
        if (r->out[i] != FL_OK && r->out[i] != FL_ERR_INVALID && r->out[i] != FL_ERR_NOTFOUND)
            race_fail(r, r->out[i], &err);
        pthread_barrier_wait(r->bar);
    }
    fl_catalog_free(cat);
    return NULL;
}

static void test_ns_drop_vs_table_create(void **state) {
    (void)state;
    const char *uri = pg_uri();
    if (!uri) skip();
    char cn[64];
    cat_name(cn, sizeof(cn), "droprace");
    enum { ROUNDS = 30 };
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 2);
    struct race r[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        r[i] = (struct race){.uri = uri, .cat = cn, .bar = &bar, .id = i, .rounds = ROUNDS};
        assert_int_equal(pthread_create(&th[i], NULL, drop_worker, &r[i]), 0);
    }
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&bar);
    for (int i = 0; i < 2; i++) {
        if (r[i].other) print_error("worker %d: %s\n", i, r[i].msg);
        assert_int_equal(r[i].other, 0);
    }
    struct fl_catalog *cat = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_catalog_open(uri, cn, &cat, &err), FL_OK);
    int drops = 0, creates = 0;
    for (int k = 0; k < ROUNDS; k++) {
        fl_err_t d = r[0].out[k], c = r[1].out[k];
        char ns[32];
        snprintf(ns, sizeof(ns), "d%d", k);
        struct names n = {{0}};
        fl_err_clear(&err);
        fl_err_t props = fl_catalog_ns_props(cat, ns, collect_prop, &n, &err);
        if (d == FL_OK) {
            assert_int_equal(c, FL_ERR_NOTFOUND);
            assert_int_equal(props, FL_ERR_NOTFOUND);
            drops++;
        } else {
            assert_int_equal(d, FL_ERR_INVALID);
            assert_int_equal(c, FL_OK);
            assert_string_equal(n.buf, "exists=true;");
            creates++;
        }
    }
    print_message("drop vs create: %d drops won, %d creates won\n", drops, creates);
    fl_catalog_free(cat);
}

/* Workers opening a catalog whose tables do not exist yet, at once: all
 * succeed (PostgreSQL reports a unique violation to the loser of two
 * concurrent CREATE TABLE IF NOT EXISTS; open retries it). */
static void *open_worker(void *arg) {
    struct race *r = arg;
    struct fl_catalog *cat = NULL;
    struct fl_error err = {0};
    pthread_barrier_wait(r->bar);
    fl_err_t rc = fl_catalog_open(r->uri, r->cat, &cat, &err);
    if (rc) race_fail(r, rc, &err);
    fl_catalog_free(cat);
    return NULL;
}

static void test_concurrent_open(void **state) {
    (void)state;
    const char *uri = pg_uri();
    if (!uri) skip();
    enum { N = 4, ROUNDS = 5 };
    PGconn *pg = raw_connect(uri);
    for (int k = 0; k < ROUNDS; k++) {
        char schema[64], sql[256], param[128], suri[1024];
        snprintf(schema, sizeof(schema), "fresh_%ld_%d", (long)getpid(), k);
        snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
        raw_sql(pg, sql, 0, NULL);
        snprintf(param, sizeof(param), "options=-csearch_path%%3D%s", schema);
        uri_with(suri, sizeof(suri), uri, param);
        pthread_barrier_t bar;
        pthread_barrier_init(&bar, NULL, N);
        struct race r[N];
        pthread_t th[N];
        for (int i = 0; i < N; i++) {
            r[i] = (struct race){.uri = suri, .cat = "floe", .bar = &bar, .id = i};
            assert_int_equal(pthread_create(&th[i], NULL, open_worker, &r[i]), 0);
        }
        for (int i = 0; i < N; i++) pthread_join(th[i], NULL);
        pthread_barrier_destroy(&bar);
        for (int i = 0; i < N; i++) {
            if (r[i].other) print_error("worker %d: %s\n", i, r[i].msg);
            assert_int_equal(r[i].other, 0);
        }
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM information_schema.tables WHERE table_schema = '%s'",
                 schema);
        assert_string_equal(raw_sql(pg, sql, 0, NULL), "3"); /* and floe_leases */
    }
    PQfinish(pg);
}

/* The server ends the catalog's connection; the next calls reconnect. */
static void test_reconnect(void **state) {
    (void)state;
    const char *uri = pg_uri();
    if (!uri) skip();
    char cn[64], app[64], param[96], vuri[1024];
    cat_name(cn, sizeof(cn), "reconnect");
    snprintf(app, sizeof(app), "floe_victim_%ld", (long)getpid());
    snprintf(param, sizeof(param), "application_name=%s", app);
    uri_with(vuri, sizeof(vuri), uri, param);
    struct fl_catalog *cat = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_catalog_open(vuri, cn, &cat, &err), FL_OK);
    assert_int_equal(fl_catalog_ns_create(cat, "db", NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(fl_catalog_table_create(cat, "db", "t", "a", &err), FL_OK);
    PGconn *admin = raw_connect(uri);
    const char *kill_sql = "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                           "WHERE application_name = $1";
    const char *p[] = {app};
    /* a write right after the drop: noticed before sending, re-sent */
    assert_string_equal(raw_sql(admin, kill_sql, 1, p), "1");
    assert_int_equal(fl_catalog_table_commit(cat, "db", "t", "a", "b", &err), FL_OK);
    /* a read */
    assert_string_equal(raw_sql(admin, kill_sql, 1, p), "1");
    char loc[64];
    assert_int_equal(fl_catalog_table_load(cat, "db", "t", loc, sizeof(loc), &err), FL_OK);
    assert_string_equal(loc, "b");
    /* a transaction */
    assert_string_equal(raw_sql(admin, kill_sql, 1, p), "1");
    assert_int_equal(fl_catalog_ns_create(cat, "db2", NULL, NULL, 0, &err), FL_OK);
    PQfinish(admin);
    fl_catalog_free(cat);
}

/* A connection lost while a statement is in flight: the statement waits
 * on a table lock held by another session, and the server ends the
 * catalog's connection meanwhile. A SELECT is re-sent, a transaction is
 * run again, a commit reports that its outcome is unknown. */
struct inflight {
    struct fl_catalog *cat;
    int op; /* 0 load, 1 commit, 2 namespace create */
    fl_err_t rc;
    struct fl_error err;
    char loc[64];
};

static void *inflight_worker(void *arg) {
    struct inflight *f = arg;
    if (f->op == 0)
        f->rc = fl_catalog_table_load(f->cat, "db", "t", f->loc, sizeof(f->loc), &f->err);
    else if (f->op == 1)
        f->rc = fl_catalog_table_commit(f->cat, "db", "t", "a", "b", &f->err);
    else
        f->rc = fl_catalog_ns_create(f->cat, "db2", NULL, NULL, 0, &f->err);
    return NULL;
}

static void test_lost_in_flight(void **state) {
    (void)state;
    const char *uri = pg_uri();
    if (!uri) skip();
    char cn[64], app[64], param[96], vuri[1024];
    cat_name(cn, sizeof(cn), "inflight");
    snprintf(app, sizeof(app), "floe_inflight_%ld", (long)getpid());
    snprintf(param, sizeof(param), "application_name=%s", app);
    uri_with(vuri, sizeof(vuri), uri, param);
    struct fl_catalog *cat = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_catalog_open(vuri, cn, &cat, &err), FL_OK);
    assert_int_equal(fl_catalog_ns_create(cat, "db", NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(fl_catalog_table_create(cat, "db", "t", "a", &err), FL_OK);
    PGconn *locker = raw_connect(uri), *mon = raw_connect(uri);
    const char *p[] = {app};
    for (int op = 0; op < 3; op++) {
        raw_sql(locker, "BEGIN", 0, NULL);
        raw_sql(locker, "LOCK TABLE iceberg_tables IN ACCESS EXCLUSIVE MODE", 0, NULL);
        struct inflight f = {.cat = cat, .op = op};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, inflight_worker, &f), 0);
        int waiting = 0;
        for (int i = 0; i < 500 && !waiting; i++) {
            waiting = strcmp(raw_sql(mon,
                                     "SELECT count(*) FROM pg_stat_activity WHERE "
                                     "application_name = $1 AND wait_event_type = 'Lock'",
                                     1, p),
                             "1") == 0;
            if (!waiting) usleep(10000);
        }
        assert_true(waiting);
        assert_string_equal(raw_sql(mon,
                                    "SELECT count(pg_terminate_backend(pid, 5000)) FROM "
                                    "pg_stat_activity WHERE application_name = $1",
                                    1, p),
                            "1");
        raw_sql(locker, "ROLLBACK", 0, NULL);
        pthread_join(th, NULL);
        if (op == 0) {
            assert_int_equal(f.rc, FL_OK);
            assert_string_equal(f.loc, "a");
        } else if (op == 1) {
            assert_int_equal(f.rc, FL_ERR_IO);
            assert_non_null(strstr(f.err.msg, "may or may not have been applied"));
            char loc[64];
            assert_int_equal(fl_catalog_table_load(cat, "db", "t", loc, sizeof(loc), &err), FL_OK);
            assert_string_equal(loc, "a"); /* the UPDATE never ran */
        } else {
            if (f.rc) print_error("%s\n", f.err.msg);
            assert_int_equal(f.rc, FL_OK);
            assert_int_equal(fl_catalog_ns_exists(cat, "db2", &err), FL_OK);
        }
    }
    PQfinish(locker);
    PQfinish(mon);
    fl_catalog_free(cat);
}

/* ---- the layout, with plain SQL as JdbcCatalog and PyIceberg use it ---- */

static void test_layout_interop(void **state) {
    (void)state;
    const char *uri = pg_uri();
    if (!uri) skip();
    char cn[64];
    cat_name(cn, sizeof(cn), "layout");
    struct fl_catalog *cat = NULL;
    struct fl_error err = {0};
    assert_int_equal(fl_catalog_open(uri, cn, &cat, &err), FL_OK);
    assert_int_equal(fl_catalog_ns_create(cat, "sales", NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(
        fl_catalog_table_create(cat, "sales", "orders", "s3://w/o/v1.metadata.json", &err), FL_OK);
    assert_int_equal(fl_catalog_table_commit(cat, "sales", "orders", "s3://w/o/v1.metadata.json",
                                             "s3://w/o/v2.metadata.json", &err),
                     FL_OK);

    /* what JdbcCatalog's loadTable reads */
    PGconn *pg = raw_connect(uri);
    const char *p[] = {cn, "sales", "orders"};
    {
        PGresult *res = PQexecParams(pg,
                                     "SELECT catalog_name, table_namespace, table_name, "
                                     "metadata_location, previous_metadata_location, iceberg_type "
                                     "FROM iceberg_tables WHERE catalog_name = $1 AND "
                                     "table_namespace = $2 AND table_name = $3",
                                     3, NULL, p, NULL, NULL, 0);
        assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
        assert_int_equal(PQntuples(res), 1);
        assert_string_equal(PQgetvalue(res, 0, 0), cn);
        assert_string_equal(PQgetvalue(res, 0, 1), "sales");
        assert_string_equal(PQgetvalue(res, 0, 2), "orders");
        assert_string_equal(PQgetvalue(res, 0, 3), "s3://w/o/v2.metadata.json");
        assert_string_equal(PQgetvalue(res, 0, 4), "s3://w/o/v1.metadata.json");
        assert_string_equal(PQgetvalue(res, 0, 5), "TABLE");
        PQclear(res);
    }
    const char *pn[] = {cn, "sales"};
    assert_string_equal(raw_sql(pg,
                                "SELECT property_key || '=' || property_value FROM "
                                "iceberg_namespace_properties WHERE catalog_name = $1 AND "
                                "namespace = $2",
                                2, pn),
                        "exists=true");

    /* rows inserted the way PyIceberg's SqlCatalog does (no iceberg_type) */
    const char *pi[] = {cn, "py.ns", "exists", "true"};
    raw_sql(pg,
            "INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, "
            "property_value) VALUES ($1, $2, $3, $4)",
            4, pi);
    const char *pt[] = {cn, "py.ns", "events", "file:///w/events/00000-a.metadata.json"};
    raw_sql(pg,
            "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
            "metadata_location, previous_metadata_location) VALUES ($1, $2, $3, $4, NULL)",
            4, pt);
    char loc[256];
    assert_int_equal(fl_catalog_table_load(cat, "py.ns", "events", loc, sizeof(loc), &err), FL_OK);
    assert_string_equal(loc, "file:///w/events/00000-a.metadata.json");
    struct names n = {{0}};
    assert_int_equal(fl_catalog_ns_list(cat, "py", collect, &n, &err), FL_OK);
    assert_string_equal(n.buf, "py.ns;");
    memset(&n, 0, sizeof(n));
    assert_int_equal(fl_catalog_table_list(cat, "py.ns", collect, &n, &err), FL_OK);
    assert_string_equal(n.buf, "py.ns.events;");
    assert_int_equal(fl_catalog_table_commit(cat, "py.ns", "events",
                                             "file:///w/events/00000-a.metadata.json",
                                             "file:///w/events/00001-b.metadata.json", &err),
                     FL_OK);
    fl_catalog_free(cat);

    /* a catalog whose tables PyIceberg created (no iceberg_type column),
     * in its own schema, reached through libpq's options parameter */
    char schema[64], ddl[1024], param[128], suri[1024];
    snprintf(schema, sizeof(schema), "pyice_%ld", (long)getpid());
    snprintf(ddl, sizeof(ddl),
             "CREATE SCHEMA %s; "
             "CREATE TABLE %s.iceberg_tables (catalog_name VARCHAR(255) NOT NULL, "
             "table_namespace VARCHAR(255) NOT NULL, table_name VARCHAR(255) NOT NULL, "
             "metadata_location VARCHAR(1000), previous_metadata_location VARCHAR(1000), "
             "PRIMARY KEY (catalog_name, table_namespace, table_name)); "
             "CREATE TABLE %s.iceberg_namespace_properties (catalog_name VARCHAR(255) NOT NULL, "
             "namespace VARCHAR(255) NOT NULL, property_key VARCHAR(255) NOT NULL, "
             "property_value VARCHAR(1000) NOT NULL, "
             "PRIMARY KEY (catalog_name, namespace, property_key))",
             schema, schema, schema);
    PGresult *res = PQexec(pg, ddl);
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    snprintf(param, sizeof(param), "options=-csearch_path%%3D%s", schema);
    uri_with(suri, sizeof(suri), uri, param);
    assert_int_equal(fl_catalog_open(suri, "default", &cat, &err), FL_OK);
    assert_int_equal(fl_catalog_ns_create(cat, "default", NULL, NULL, 0, &err), FL_OK);
    assert_int_equal(fl_catalog_table_create(cat, "default", "t", "m0.json", &err), FL_OK);
    assert_int_equal(fl_catalog_table_commit(cat, "default", "t", "m0.json", "m1.json", &err),
                     FL_OK);
    fl_catalog_free(cat);
    char q[256];
    snprintf(q, sizeof(q),
             "SELECT metadata_location || ',' || previous_metadata_location FROM "
             "%s.iceberg_tables WHERE catalog_name = 'default' AND table_name = 't'",
             schema);
    assert_string_equal(raw_sql(pg, q, 0, NULL), "m1.json,m0.json");
    PQfinish(pg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_namespaces_tables_cas),
        cmocka_unit_test(test_cas_race),
        cmocka_unit_test(test_counter),
        cmocka_unit_test(test_sqlite_races),
        cmocka_unit_test(test_ns_create_race),
        cmocka_unit_test(test_ns_drop_vs_table_create),
        cmocka_unit_test(test_concurrent_open),
        cmocka_unit_test(test_reconnect),
        cmocka_unit_test(test_lost_in_flight),
        cmocka_unit_test(test_layout_interop),
        cmocka_unit_test(test_lease),
    };
    return cmocka_run_group_tests_name("catalog_pg", tests, NULL, NULL);
}
