/*
 * test_config_source.c - a pipeline's `source: {kafka: ...}` (core/
 * config_source.c) and what the up plan makes of it (cli/up_plan.c):
 * bootstrap, topics or one regex, the group and the librdkafka
 * properties passed through; the name defaults to the group; no log
 * topic is ensured for it; `log: {kafka: {bootstrap, properties}}`; and
 * the refusals at FILE:LINE (missing keys,
 * topic and source together, a regex among names, the
 * properties the pipeline owns).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/up_plan.h"
#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static fl_err_t plan_of(const char *text, struct fl_up_plan *plan, char *msg, size_t msgsz) {
    struct fl_error err = {0};
    snprintf(path, sizeof(path), "/tmp/floe_source_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    fl_err_t rc = fl_up_plan_build(plan, path, NULL, "/tmp/floe_source_data", &err);
    size_t pl = strlen(path);
    snprintf(msg, msgsz, "%s", strncmp(err.msg, path, pl) == 0 ? err.msg + pl : err.msg);
    unlink(path);
    return rc;
}

static void refused(const char *text, const char *want) {
    struct fl_up_plan plan;
    char msg[512];
    assert_int_equal(plan_of(text, &plan, msg, sizeof(msg)), FL_ERR_INVALID);
    if (!strstr(msg, want)) fail_msg("got \"%s\", want \"%s\"", msg, want);
    fl_up_plan_fini(&plan);
}

static void test_source(void **state) {
    (void)state;
    struct fl_up_plan plan;
    char msg[512];
    const char *text = "pipelines:\n"
                       "  - source:\n"
                       "      kafka:\n"
                       "        bootstrap: \"k1:9092,k2:9092\"\n"
                       "        topics: [weather, clicks]\n"
                       "        group: floe-weather\n"
                       "        properties: {security.protocol: SASL_SSL, sasl.mechanism: PLAIN,\n"
                       "                     session.timeout.ms: 6000}\n"
                       "    table: default.weather\n"
                       "  - {name: logp, topic: own, table: default.own}\n";
    assert_int_equal(plan_of(text, &plan, msg, sizeof(msg)), FL_OK);
    assert_int_equal(plan.npipes, 2);
    const struct fl_pipe_config *pc = &plan.pipes[0].pc;
    assert_non_null(pc->kafka);
    assert_null(pc->topic);
    assert_string_equal(pc->name, "floe-weather"); /* the group's */
    assert_string_equal(pc->kafka->bootstrap, "k1:9092,k2:9092");
    assert_string_equal(pc->kafka->group, "floe-weather");
    assert_int_equal(pc->kafka->ntopics, 2);
    assert_string_equal(pc->kafka->topics[1], "clicks");
    assert_int_equal(pc->kafka->nprops, 3);
    assert_string_equal(pc->kafka->prop_keys[2], "session.timeout.ms");
    assert_string_equal(pc->kafka->prop_values[2], "6000");
    assert_null(plan.pipes[1].pc.kafka);
    for (int i = 0; i < plan.ntopics; i++) /* only floe's own topics are ensured */
        assert_string_not_equal(plan.topics[i].name, "clicks");
    fl_up_plan_fini(&plan);

    assert_int_equal(
        plan_of("pipelines:\n"
                "  - name: rx\n"
                "    source: {kafka: {bootstrap: k, topics: '^weather\\..*', group: g}}\n"
                "    table: default.weather\n",
                &plan, msg, sizeof(msg)),
        FL_OK);
    assert_string_equal(plan.pipes[0].pc.name, "rx");
    assert_int_equal(plan.pipes[0].pc.kafka->ntopics, 1);
    assert_string_equal(plan.pipes[0].pc.kafka->topics[0], "^weather\\..*");
    fl_up_plan_fini(&plan);
}

static void test_log_kafka(void **state) {
    (void)state;
    struct fl_up_plan plan;
    char msg[512];
    assert_int_equal(plan_of("log:\n  kafka:\n    bootstrap: \"k:9092\"\n"
                             "    properties: {linger.ms: 1, compression.type: zstd}\n"
                             "pipelines: []\n",
                             &plan, msg, sizeof(msg)),
                     FL_OK);
    const struct fl_config_ksource *k = plan.cfg.log_kafka;
    assert_non_null(k);
    assert_string_equal(k->bootstrap, "k:9092");
    assert_int_equal(k->nprops, 2);
    assert_string_equal(k->prop_values[1], "zstd");
    fl_up_plan_fini(&plan);
    refused("log: {kafka: {properties: {linger.ms: 1}}}\n", "log.kafka.bootstrap: missing");
    refused("log: {kafka: {bootstrap: k, topics: [a]}}\n", "log.kafka");
}

static void test_refused(void **state) {
    (void)state;
    refused("pipelines:\n  - {source: {kafka: {topics: [a], group: g}}, table: d.t}\n",
            ":2: pipelines[].source.kafka.bootstrap: missing");
    refused("pipelines:\n  - {source: {kafka: {bootstrap: k, group: g}}, table: d.t}\n",
            "pipelines[].source.kafka.topics: missing");
    refused("pipelines:\n  - {source: {kafka: {bootstrap: k, topics: [a]}}, table: d.t}\n",
            "pipelines[].source.kafka.group: missing");
    refused("pipelines:\n  - {topic: x, source: {kafka: {bootstrap: k, topics: [a], group: g}},"
            " table: d.t}\n",
            "topic and source.kafka: give one");
    refused("pipelines:\n  - {source: {kafka: {bootstrap: k, topics: ['^a', b], group: g}},"
            " table: d.t}\n",
            "a regex (\"^...\") stands alone");
    refused("pipelines:\n  - {source: {kafka: {bootstrap: k, topics: [a], group: g,"
            " properties: {enable.auto.commit: 'true'}}}, table: d.t}\n",
            "this property is the pipeline's own");
    refused("pipelines:\n  - {source: {kinesis: {}}, table: d.t}\n", "pipelines[].source");
    refused("pipelines:\n  - {source: {kafka: {bootstrap: k, topics: [a], group: g, acks: 1}},"
            " table: d.t}\n",
            "acks");
    /* a window step with a Kafka source is taken (the workers share the
     * windows through the table: test_pipeline_kafka) */
    struct fl_up_plan plan;
    char msg[512];
    fl_err_t rc = plan_of("pipelines:\n"
                          "  - source: {kafka: {bootstrap: k, topics: [a], group: g}}\n"
                          "    table: d.t\n"
                          "    window: {time: ts, size: 1m, aggregates: [{count: '*'}]}\n",
                          &plan, msg, sizeof(msg));
    if (rc) fail_msg("window with source.kafka: %s", msg);
    fl_up_plan_fini(&plan);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_source),
                                       cmocka_unit_test(test_log_kafka),
                                       cmocka_unit_test(test_refused)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
