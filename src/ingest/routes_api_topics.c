/*
 * routes_api_topics.c - GET /api/topics: the console's Topics tab, from
 * the log's own counters (no record is read, no SQL runs):
 *   {"time_ms":1767880800000,"topics":[{"name":"weather","partitions":[
 *     {"partition":0,"start_offset":0,"end_offset":1200,"bytes":81920,
 *      "records_in":1200}, ...]}, ...]}
 * start/end offsets as Kafka's log start and end offsets, bytes on disk
 * (all segments), records_in appended since floe started; time_ms is
 * when the counters were read, so a page derives records/s from two
 * replies. Cost: one lock per partition, whatever the topics hold.
 */
#include "ingest/ingest_int.h"
#include "core/mem.h"
#include "core/time.h"
#include "log/log.h"

#include <string.h>

struct topics_out {
    struct fl_log *log;
    struct fl_buf *out;
    int n;
    fl_err_t rc; /* the body's append that failed (it is full) */
    struct fl_error *err;
};

/* Appends one topic's object; a topic deleted since the list is left out. */
static int add_topic(void *ctx, const char *topic) {
    struct topics_out *t = ctx;
    int n = 0;
    if (fl_log_topic_describe(t->log, topic, &n, NULL, NULL, 0, t->err) || n < 1) return 0;
    struct fl_log_partition_info *info = fl_calloc((size_t)n, sizeof(*info));
    int parts = 0;
    fl_err_t rc = fl_log_topic_describe(t->log, topic, &parts, NULL, info, n, t->err);
    if (parts > n) parts = n; /* grown in between: the next request has them */
    if (!rc) {
        rc = fl_buf_append_str(t->out, t->n++ ? ",{\"name\":" : "{\"name\":");
        if (!rc) rc = fl_ingest_json_str(t->out, topic, strlen(topic));
        if (!rc) rc = fl_buf_append_str(t->out, ",\"partitions\":[");
        for (int p = 0; p < parts && !rc; p++)
            rc = fl_buf_printf(t->out,
                               "%s{\"partition\":%d,\"start_offset\":%lld,\"end_offset\":%lld,"
                               "\"bytes\":%lld,\"records_in\":%lld}",
                               p ? "," : "", p, (long long)info[p].start_offset,
                               (long long)info[p].end_offset, (long long)info[p].bytes,
                               (long long)info[p].in_records);
        if (!rc) rc = fl_buf_append_str(t->out, "]}");
    }
    fl_free(info);
    if (rc) t->rc = fl_errf(t->err, rc, "topics: reply too large");
    return rc ? -1 : 0;
}

void fl_ingest_route_api_topics(struct fl_ingest *ing, const struct fl_ingest_call *call,
                                struct fl_ingest_resp *resp) {
    (void)call;
    struct fl_error err = {0};
    struct topics_out t = {.log = ing->cfg.sql.log, .out = &resp->body, .err = &err};
    fl_err_t rc = fl_buf_printf(&resp->body, "{\"time_ms\":%lld,\"topics\":[",
                                (long long)(fl_time_now_us() / 1000));
    if (!rc) rc = fl_log_topic_list(t.log, add_topic, &t, &err);
    if (!rc) rc = t.rc;
    if (!rc) rc = fl_buf_append_str(&resp->body, "]}");
    if (rc) {
        fl_buf_reset(&resp->body);
        fl_ingest_resp_error(resp, FL_INGEST_E_INTERNAL, "%s", err.msg[0] ? err.msg : "topics");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/json";
}
