/*
 * test_pipeline_kafka.c - pipelines from an external Kafka cluster
 * (pipeline/kafka_source.h) against librdkafka's own mock cluster
 * (rdkafka_mock.h, a broker no one here wrote): records land once with
 * their _kafka_* positions, the snapshot records the partitions'
 * offsets, a worker that read a partition from an offset the table has
 * moved past (a zombie: here a second group holding the same partition)
 * is refused and goes back to the table's offset, a broker outage
 * pauses the pipeline without loss, a new group subscribed by regex
 * starts from the table's offsets, not the group's; an upsert (key id)
 * keeps each key's last record once, a zombie's step refused; and the
 * offsets merge itself
 * (pipeline/offsets.h): other partitions kept, a stale base refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "iceberg/table.h"
#include "pipeline/offsets.h"
#include "pipeline/pipeline.h"
#include "pipe_env.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *SCHEMA = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
                            "{\"id\":1,\"name\":\"id\",\"required\":true,\"type\":\"string\"},"
                            "{\"id\":2,\"name\":\"n\",\"required\":false,\"type\":\"long\"},"
                            "{\"id\":3,\"name\":\"_kafka_partition\",\"type\":\"int\","
                            "\"required\":false},"
                            "{\"id\":4,\"name\":\"_kafka_offset\",\"type\":\"long\","
                            "\"required\":false}]}";

static void test_offsets_merge(void **state) {
    (void)state;
    struct fl_error err = {0};
    char *out = NULL;
    /* nothing recorded: the moves from -1 make the value */
    struct fl_pipe_offset_move a[] = {{0, -1, 5}, {2, -1, 7}};
    assert_int_equal(fl_pipe_offsets_merge(NULL, "t", a, 2, &out, &err), FL_OK);
    assert_string_equal(out, "{\"0\":5,\"2\":7}");
    /* another worker's partitions are kept, ours move from their base */
    struct fl_pipe_offset_move b[] = {{2, 7, 9}};
    char *out2 = NULL;
    assert_int_equal(fl_pipe_offsets_merge("{\"0\":5,\"1\":3,\"2\":7}", "t", b, 1, &out2, &err),
                     FL_OK);
    assert_string_equal(out2, "{\"0\":5,\"1\":3,\"2\":9}");
    /* the table moved past our base (a zombie), or has it when we had none */
    char *out3 = NULL;
    assert_int_equal(fl_pipe_offsets_merge("{\"2\":8}", "t", b, 1, &out3, &err), FL_ERR_CONFLICT);
    assert_null(out3);
    assert_non_null(strstr(err.msg, "refused"));
    assert_int_equal(fl_pipe_offsets_merge("{\"0\":1}", "t", a, 2, &out3, &err), FL_ERR_CONFLICT);
    /* not what floe writes */
    assert_int_equal(fl_pipe_offsets_merge("[1]", "t", b, 1, &out3, &err), FL_ERR_CORRUPT);
    assert_int_equal(fl_pipe_offsets_merge("{\"2\":\"x\"}", "t", b, 1, &out3, &err),
                     FL_ERR_CORRUPT);
    assert_int_equal(fl_pipe_offsets_get(out2, 1), 3);
    assert_int_equal(fl_pipe_offsets_get(out2, 4), -1);
    assert_int_equal(fl_pipe_offsets_get(NULL, 0), -1);
    free(out);
    free(out2);
}

/* A producer whose handle hosts a mock cluster of one broker with topic
 * "mk" of two partitions. */
static rd_kafka_t *mock_producer(const char **bootstrap) {
    char why[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", why, sizeof(why)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(conf, "compression.type", "zstd", why, sizeof(why)),
                     RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    assert_non_null(rk);
    rd_kafka_mock_cluster_t *mc = rd_kafka_handle_mock_cluster(rk);
    assert_non_null(mc);
    assert_int_equal(rd_kafka_mock_topic_create(mc, "mk", 2, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    *bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
    return rk;
}

/* Records i = first..first+n-1 to partition i % 2 of "mk", value
 * {"id": "r<i>", "n": i}, or with mod > 0 {"id": "u<i % mod>", "n": i}
 * (an upsert key that repeats; with mod even a key stays on one
 * partition, so its last record is the one with the greatest n). */
static void produce_mod(rd_kafka_t *rk, int first, int n, int mod) {
    for (int i = first; i < first + n; i++) {
        char v[64], k[16];
        if (mod > 0)
            snprintf(v, sizeof(v), "{\"id\":\"u%d\",\"n\":%d}", i % mod, i);
        else
            snprintf(v, sizeof(v), "{\"id\":\"r%d\",\"n\":%d}", i, i);
        snprintf(k, sizeof(k), "%d", i);
        assert_int_equal(
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("mk"), RD_KAFKA_V_PARTITION(i % 2),
                              RD_KAFKA_V_KEY(k, strlen(k)), RD_KAFKA_V_VALUE(v, strlen(v)),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
            RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    assert_int_equal(rd_kafka_flush(rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void produce(rd_kafka_t *rk, int first, int n) { produce_mod(rk, first, n, 0); }

/* A pipeline of group on topic into mk_events (with key: an upsert), or
 * with window into the window's own table mw. */
static struct fl_pipe *kafka_pipe_full(struct env *e, const char *bootstrap, const char *group,
                                       const char *topic, const char *const *key, int nkey,
                                       const struct fl_pipe_window_config *window) {
    const char *topics[] = {topic};
    static const char *const keys[] = {"session.timeout.ms", "heartbeat.interval.ms"};
    static const char *const values[] = {"6000", "300"};
    struct fl_pipe_kafka_config kc = {.bootstrap = bootstrap,
                                      .group = group,
                                      .topics = topics,
                                      .ntopics = 1,
                                      .prop_keys = keys,
                                      .prop_values = values,
                                      .nprops = 2};
    struct fl_pipe_config pc = {.name = group,
                                .kafka = &kc,
                                .ns = "default",
                                .table = window ? "mw" : "mk_events",
                                .key = key,
                                .nkey = nkey,
                                .window = window,
                                .commit_interval_ms = 100};
    struct fl_pipe *p = NULL;
    struct fl_error err = {0};
    if (fl_pipe_new(e->log, e->st, e->cat, &pc, &p, &err)) fail_msg("%s", err.msg);
    return p;
}

static struct fl_pipe *kafka_pipe_key(struct env *e, const char *bootstrap, const char *group,
                                      const char *topic, const char *const *key, int nkey) {
    return kafka_pipe_full(e, bootstrap, group, topic, key, nkey, NULL);
}

static struct fl_pipe *kafka_pipe_of(struct env *e, const char *bootstrap, const char *group,
                                     const char *topic) {
    return kafka_pipe_key(e, bootstrap, group, topic, NULL, 0);
}

static struct fl_pipe *kafka_pipe(struct env *e, const char *bootstrap, const char *group) {
    return kafka_pipe_of(e, bootstrap, group, "mk");
}

/* Steps p until it has consumed want records in all, at most max steps
 * (each polls up to 100 ms); *refused counts the steps whose commit the
 * offsets check refused. */
static int64_t steps(struct fl_pipe *p, int64_t want, int max, int *refused) {
    int64_t total = 0;
    for (int i = 0; i < max && total < want; i++) {
        int64_t n = 0;
        struct fl_error err = {0};
        fl_err_t rc = fl_pipe_step(p, &n, &err);
        if (rc == FL_ERR_CONFLICT && strstr(err.msg, "refused")) {
            (*refused)++;
            continue;
        }
        if (rc) fail_msg("step: %s", err.msg);
        total += n;
    }
    return total;
}

static int64_t step_until(struct fl_pipe *p, int64_t want, int *refused) {
    return steps(p, want, 300, refused);
}

/* Calls row(ctx, n) for each row of the table (n: its n column) after
 * checking its position: record n went to partition n % 2, offset n / 2. */
static int64_t scan_mk(struct env *e, void (*row)(void *ctx, int64_t n), void *ctx) {
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    if (fl_ice_table_load(e->st, fl_catalog_ice(e->cat), "default", "mk_events", &tbl, &err))
        fail_msg("%s", err.msg);
    struct fl_ice_scan *sc = NULL;
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_OK);
    int64_t rows = 0;
    for (;;) {
        struct fl_batch *b = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &b, &err);
        if (rc == FL_ERR_EOF) break;
        assert_int_equal(rc, FL_OK);
        for (size_t r = 0; r < b->nrows; r++) {
            int64_t v = ((int64_t *)b->cols[1].values)[r];
            assert_int_equal(((int32_t *)b->cols[2].values)[r], (int32_t)(v % 2));
            assert_int_equal(((int64_t *)b->cols[3].values)[r], v / 2);
            row(ctx, v);
        }
        rows += (int64_t)b->nrows;
    }
    fl_ice_scan_free(sc);
    fl_ice_table_free(tbl);
    return rows;
}

struct distinct {
    char seen[4096];
    int64_t n;
};

static void distinct_row(void *ctx, int64_t v) {
    struct distinct *d = ctx;
    assert_true(v >= 0 && v < (int64_t)sizeof(d->seen));
    if (!d->seen[v]++) d->n++;
}

/* The table's rows: count and distinct ids (every id is r<n>). */
static int64_t table_rows(struct env *e, int64_t *distinct) {
    struct distinct d = {{0}, 0};
    int64_t n = scan_mk(e, distinct_row, &d);
    *distinct = d.n;
    return n;
}

/* A fresh environment with the empty table mk_events. */
static void mk_env(struct env *e, const char *name) {
    pipe_env_open(e, name, SCHEMA);
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    assert_int_equal(fl_ice_table_create(e->st, fl_catalog_ice(e->cat), "default", "mk_events",
                                         e->schema, NULL, NULL, 0, &tbl, &err),
                     FL_OK);
    fl_ice_table_free(tbl);
}

static void test_mock_cluster(void **state) {
    (void)state;
    struct env e;
    mk_env(&e, "floe-pk");
    struct fl_error err = {0};
    struct fl_ice_table *tbl = NULL;
    const char *boot = NULL;
    rd_kafka_t *prod = mock_producer(&boot);
    /* two groups hold the same partitions: b plays a worker that lost
     * them to a and still reads them */
    struct fl_pipe *a = kafka_pipe(&e, boot, "ga"), *b = kafka_pipe(&e, boot, "gb");
    int refused = 0;
    assert_int_equal(steps(b, 1, 60, &refused), 0); /* b joins its group: nothing to read */
    produce(prod, 0, 100);
    assert_int_equal(step_until(a, 100, &refused), 100);
    assert_int_equal(refused, 0);
    /* b read 0..99 from "none recorded" while a committed them: refused,
     * then b goes back to the table's offsets and reads what is new */
    assert_int_equal(steps(b, 1, 10, &refused), 0);
    assert_true(refused >= 1);
    produce(prod, 100, 50);
    refused = 0;
    assert_int_equal(step_until(b, 50, &refused), 50);
    assert_int_equal(refused, 0);
    /* now a is the zombie for 100..149 */
    assert_int_equal(steps(a, 1, 10, &refused), 0);
    assert_true(refused >= 1);
    int64_t distinct = 0;
    assert_int_equal(table_rows(&e, &distinct), 150);
    assert_int_equal(distinct, 150);

    /* a broker outage: the pipeline pauses (no error), then resumes */
    rd_kafka_mock_cluster_t *mc = rd_kafka_handle_mock_cluster(prod);
    assert_int_equal(rd_kafka_mock_broker_set_down(mc, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    int64_t n = 0;
    for (int i = 0; i < 5; i++) assert_int_equal(fl_pipe_step(b, &n, &err), FL_OK);
    assert_int_equal(rd_kafka_mock_broker_set_up(mc, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    produce(prod, 150, 40);
    refused = 0;
    assert_int_equal(step_until(b, 40, &refused), 40);
    assert_int_equal(table_rows(&e, &distinct), 190);
    assert_int_equal(distinct, 190);

    /* the current snapshot records both partitions */
    assert_int_equal(
        fl_ice_table_load(e.st, fl_catalog_ice(e.cat), "default", "mk_events", &tbl, &err), FL_OK);
    const char *rec = fl_pipe_offsets_recorded(tbl->meta, "mk");
    assert_non_null(rec);
    assert_int_equal(fl_pipe_offsets_get(rec, 0), 95);
    assert_int_equal(fl_pipe_offsets_get(rec, 1), 95);
    fl_ice_table_free(tbl);
    fl_pipe_free(a);
    fl_pipe_free(b);

    /* topics by regex, in a new group with no committed offsets: it
     * starts from the table's offsets (not the earliest: nothing twice) */
    struct fl_pipe *r = kafka_pipe_of(&e, boot, "gr", "^m.$");
    produce(prod, 190, 10);
    refused = 0;
    assert_int_equal(step_until(r, 10, &refused), 10);
    assert_int_equal(refused, 0);
    assert_int_equal(steps(r, 1, 5, &refused), 0);
    assert_int_equal(table_rows(&e, &distinct), 200);
    assert_int_equal(distinct, 200);
    fl_pipe_free(r);

    rd_kafka_destroy(prod);
    pipe_env_close(&e);
}

struct upserted {
    int64_t *last;
    int nkeys;
};

static void upserted_row(void *ctx, int64_t v) {
    struct upserted *u = ctx;
    int k = (int)(v % u->nkeys);
    assert_int_equal(u->last[k], -1); /* one row per key */
    u->last[k] = v;
}

/* The upserted table: per key u<k> its n (-1: absent); no key twice. */
static int upserted(struct env *e, int64_t *last, int nkeys) {
    for (int k = 0; k < nkeys; k++) last[k] = -1;
    struct upserted u = {last, nkeys};
    return (int)scan_mk(e, upserted_row, &u);
}

/* Upsert (key id) with a Kafka source: the last record of each key wins,
 * once, also when a zombie (a second group on the same partitions) read
 * the same records and tries to commit them after the owner. */
static void test_mock_upsert(void **state) {
    (void)state;
    struct env e;
    mk_env(&e, "floe-pku");
    const char *boot = NULL;
    rd_kafka_t *prod = mock_producer(&boot);
    static const char *const key[] = {"id"};
    struct fl_pipe *a = kafka_pipe_key(&e, boot, "ua", "mk", key, 1);
    struct fl_pipe *b = kafka_pipe_key(&e, boot, "ub", "mk", key, 1);
    int refused = 0;
    assert_int_equal(steps(b, 1, 60, &refused), 0);
    produce_mod(prod, 0, 200, 30);
    assert_int_equal(step_until(a, 200, &refused), 200);
    assert_int_equal(refused, 0);
    int64_t last[30];
    assert_int_equal(upserted(&e, last, 30), 30);
    for (int k = 0; k < 30; k++) assert_int_equal(last[k], 180 + (k < 20 ? k : k - 30));
    /* b read the same 200 and is refused: no key changes twice */
    assert_int_equal(steps(b, 1, 10, &refused), 0);
    assert_true(refused >= 1);
    /* more updates, now through b; a is the zombie */
    produce_mod(prod, 200, 60, 30);
    refused = 0;
    assert_int_equal(step_until(b, 60, &refused), 60);
    assert_int_equal(refused, 0);
    assert_int_equal(steps(a, 1, 10, &refused), 0);
    assert_true(refused >= 1);
    assert_int_equal(upserted(&e, last, 30), 30);
    for (int k = 0; k < 30; k++) assert_int_equal(last[k], k < 20 ? 240 + k : 210 + k);
    fl_pipe_free(a);
    fl_pipe_free(b);
    rd_kafka_destroy(prod);
    pipe_env_close(&e);
}

/* Records i = first..first+n-1 to partition i % 2 of "mk": city c<i % 3>,
 * event time minute i % 5 of 2026-01-01 (window i % 5), v = i. */
static void produce_events(rd_kafka_t *rk, int first, int n) {
    for (int i = first; i < first + n; i++) {
        char v[128];
        snprintf(v, sizeof(v), "{\"city\":\"c%d\",\"ts\":\"2026-01-01T00:0%d:30Z\",\"v\":%d}",
                 i % 3, i % 5, i);
        assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("mk"), RD_KAFKA_V_PARTITION(i % 2),
                                           RD_KAFKA_V_VALUE(v, strlen(v)),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_END),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    assert_int_equal(rd_kafka_flush(rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
}

static struct fl_pipe *window_pipe(struct env *e, const char *bootstrap, const char *group) {
    static const char *const city[] = {"city"};
    static const struct fl_pipe_agg aggs[] = {{FL_PIPE_AGG_COUNT, "*", "n"},
                                              {FL_PIPE_AGG_SUM, "v", "total"}};
    static const struct fl_pipe_window_config wc = {.time_col = "ts",
                                                    .key = city,
                                                    .nkey = 1,
                                                    .size_ms = 60000,
                                                    .lateness_ms = 3600000,
                                                    .aggs = aggs,
                                                    .naggs = 2};
    return kafka_pipe_full(e, bootstrap, group, "mk", NULL, 0, &wc);
}

/* One step of a window pipeline: records committed, 0 when the commit
 * was refused (*refused). A step whose windows another worker changed
 * meanwhile is no error: it commits nothing and is done again (logged). */
static int64_t window_step(struct fl_pipe *p, int *refused) {
    int64_t n = 0;
    struct fl_error err = {0};
    fl_err_t rc = fl_pipe_step(p, &n, &err);
    if (rc == FL_ERR_CONFLICT && strstr(err.msg, "refused"))
        (*refused)++;
    else if (rc)
        fail_msg("step: %s", err.msg);
    return rc ? 0 : n;
}

/* A window step with a Kafka source, two workers of one group sharing
 * the partitions and every window: each (window, city) row counts every
 * record once - stepped in turn, then on their own threads racing for
 * the windows (a step whose windows another worker changed meanwhile is
 * retried from the table) - and a zombie (another group) is refused. */
static void test_mock_window(void **state) {
    (void)state;
    struct env e;
    pipe_env_open(&e, "floe-pkw", SCHEMA);
    const char *boot = NULL;
    rd_kafka_t *prod = mock_producer(&boot);
    struct fl_pipe *z = window_pipe(&e, boot, "wz");
    int refused = 0;
    for (int i = 0; i < 30; i++) assert_int_equal(window_step(z, &refused), 0);
    struct fl_pipe *a = window_pipe(&e, boot, "wg"), *b = window_pipe(&e, boot, "wg");
    for (int i = 0; i < 40; i++) { /* the group settles: one partition each */
        window_step(a, &refused);
        window_step(b, &refused);
    }
    int64_t total = 0, na = 0, nb = 0;
    for (int round = 0; round < 4; round++) {
        produce_events(prod, round * 50, 50);
        for (int i = 0; i < 300 && total < (round + 1) * 50; i++) {
            int64_t x = window_step(a, &refused), y = window_step(b, &refused);
            na += x;
            nb += y;
            total += x + y;
        }
    }
    assert_int_equal(total, 200);
    assert_true(na > 0 && nb > 0); /* both workers committed */
    assert_int_equal(refused, 0);
    /* then both on their own threads, racing for the same windows */
    struct fl_error err = {0};
    struct fl_pipe_stats sa, sb;
    fl_pipe_get_stats(a, &sa);
    fl_pipe_get_stats(b, &sb);
    int64_t before = sa.records_in + sb.records_in;
    assert_int_equal(fl_pipe_start(a, &err), FL_OK);
    assert_int_equal(fl_pipe_start(b, &err), FL_OK);
    for (int round = 4; round < 8; round++) produce_events(prod, round * 50, 50);
    for (int i = 0; i < 600; i++) {
        fl_pipe_get_stats(a, &sa);
        fl_pipe_get_stats(b, &sb);
        if (sa.records_in + sb.records_in - before >= 200) break;
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    fl_pipe_stop(a);
    fl_pipe_stop(b);
    fl_pipe_get_stats(a, &sa);
    fl_pipe_get_stats(b, &sb);
    assert_int_equal(sa.records_in + sb.records_in - before, 200);
    /* the zombie read all 200 from the start: refused */
    for (int i = 0; i < 10; i++) assert_int_equal(window_step(z, &refused), 0);
    assert_true(refused >= 1);
    /* the result: 5 windows x 3 cities, each counting its records once */
    struct fl_ice_table *tbl = NULL;
    assert_int_equal(fl_ice_table_load(e.st, fl_catalog_ice(e.cat), "default", "mw", &tbl, &err),
                     FL_OK);
    const struct fl_schema *sch = fl_ice_meta_current_schema(tbl->meta);
    int cn = fl_schema_index_by_name(sch, "n"), ct = fl_schema_index_by_name(sch, "total"),
        cw = fl_schema_index_by_name(sch, "window_start");
    assert_true(cn >= 0 && ct >= 0 && cw >= 0);
    struct fl_ice_scan *sc = NULL;
    assert_int_equal(fl_ice_scan_open(tbl, FL_ICE_NO_SNAPSHOT, &sc, &err), FL_OK);
    int rows = 0;
    int64_t count = 0, per_window[5] = {0};
    double sum = 0;
    for (;;) {
        struct fl_batch *bt = NULL;
        fl_err_t rc = fl_ice_scan_next(sc, &bt, &err);
        if (rc == FL_ERR_EOF) break;
        assert_int_equal(rc, FL_OK);
        for (size_t r = 0; r < bt->nrows; r++) {
            int64_t n = ((int64_t *)bt->cols[cn].values)[r];
            int64_t minute = (((int64_t *)bt->cols[cw].values)[r] / 60000000) % 60;
            assert_true(minute >= 0 && minute < 5);
            /* i % 5 = minute and i % 3 = city: 26 or 27 of 0..399 */
            assert_true(n == 26 || n == 27);
            per_window[minute] += n;
            count += n;
            sum += ((double *)bt->cols[ct].values)[r];
            rows++;
        }
    }
    fl_ice_scan_free(sc);
    fl_ice_table_free(tbl);
    assert_int_equal(rows, 15);
    assert_int_equal(count, 400);
    for (int w = 0; w < 5; w++) assert_int_equal(per_window[w], 80);
    assert_true(sum == 79800.0); /* 0 + 1 + ... + 399 */
    print_message("window: %lld + %lld records stepped in turn, %lld + %lld on threads (their "
                  "log shows the steps retried because the windows moved), %d zombie commits "
                  "refused\n",
                  (long long)na, (long long)nb, (long long)(sa.records_in - na),
                  (long long)(sb.records_in - nb), refused);
    fl_pipe_free(a);
    fl_pipe_free(b);
    fl_pipe_free(z);
    rd_kafka_destroy(prod);
    pipe_env_close(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_merge), cmocka_unit_test(test_mock_cluster),
        cmocka_unit_test(test_mock_upsert), cmocka_unit_test(test_mock_window)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
