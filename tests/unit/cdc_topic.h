/*
 * cdc_topic.h - what the change-topic unit tests share: appending one
 * Debezium change event (its key, a null value for a tombstone, the
 * floe.tx-end header on a transaction's last record), running one
 * pipeline step, and an envelope literal. Header-only, like pipe_env.h.
 */
#ifndef FL_TESTS_CDC_TOPIC_H
#define FL_TESTS_CDC_TOPIC_H

#include "log/log.h"
#include "pipeline/pipeline.h"

#include <string.h>

/* One record on partition 0 of topic; end = the last of its transaction. */
static inline void cdc_change(struct fl_log *log, const char *topic, const char *key,
                              const char *value, int end) {
    struct fl_error err = {0};
    struct fl_log_header h = {FL_PIPE_TX_HEADER, strlen(FL_PIPE_TX_HEADER), (const uint8_t *)"0/1",
                              3};
    struct fl_log_record r = {.key = (const uint8_t *)key,
                              .key_len = key ? strlen(key) : 0,
                              .value = (const uint8_t *)value,
                              .value_len = value ? strlen(value) : 0,
                              .timestamp_ms = -1,
                              .headers = &h,
                              .nheaders = end ? 1 : 0};
    int64_t off;
    if (fl_log_append(log, topic, 0, &r, 1, &off, &err)) fail_msg("append: %s", err.msg);
}

/* One step that consumes want records. */
static inline void cdc_step(struct fl_pipe *p, int64_t want) {
    struct fl_error err = {0};
    int64_t n = -1;
    if (fl_pipe_step(p, &n, &err)) fail_msg("step: %s", err.msg);
    assert_int_equal(n, want);
}

#define CDC_EV(op, before, after)                                                                  \
    "{\"before\":" before ",\"after\":" after ",\"source\":{\"lsn\":1},\"op\":\"" op               \
    "\",\"ts_ms\":1}"

#endif
