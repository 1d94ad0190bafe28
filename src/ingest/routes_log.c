/*
 * routes_log.c - GET /log?city=..&temperature=.. from the seed's Flask
 * logging server (001_72a7d6c3220aceab.txt): appends the event
 * {"city":..,"temperature":..,"ts":"YYYY-MM-DD-HH"} (temperature kept as
 * the string sent, ts the UTC hour at arrival) to the weather topic and,
 * once it is durable, answers exactly as the seed documents:
 *   {"status":"success","message":"Weather data logged","data":{...}}
 * Events carry no key; they round-robin over the topic's partitions.
 */
#include "ingest/ingest_int.h"
#include "ingest/query.h"
#include "core/mem.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PARAM_MAX 4096

/* strtod over the whole string, finite, no surrounding spaces. */
static int is_number(const char *s) {
    if (!*s || *s == ' ' || *s == '\t' || *s == '\n') return 0;
    /* strtod also takes hex, "inf" and "nan": a temperature is decimal */
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p)) return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    return *end == 0 && errno == 0 && isfinite(v);
}

/* The reply once the append returned: the seed's success body, or the
 * backend's error. */
static void finish(struct fl_ingest *ing, struct fl_ingest_resp *resp, const struct fl_buf *val,
                   fl_err_t rc, const struct fl_error *err) {
    if (rc) {
        fl_ingest_resp_backend_error(ing, resp, err);
        return;
    }
    resp->status = 200;
    fl_buf_append_str(&resp->body,
                      "{\"status\":\"success\",\"message\":\"Weather data logged\",\"data\":");
    fl_buf_append(&resp->body, val->data, val->len);
    fl_buf_append_u8(&resp->body, '}');
}

/* An event waiting in the backend's queue: owns the record's bytes until
 * the append's callback, which answers and frees it. */
struct pending {
    struct fl_ingest *ing;
    struct fl_ingest_resp *resp;
    fl_ingest_done_cb done;
    void *arg;
    struct fl_buf val;
    struct fl_log_record rec;
};

/* @locality the backend's appender thread */
static void on_appended(void *arg, fl_err_t rc, int64_t base_offset, const struct fl_error *err) {
    (void)base_offset;
    struct pending *p = arg;
    fl_ingest_done_cb done = p->done;
    void *done_arg = p->arg;
    finish(p->ing, p->resp, &p->val, rc, err);
    fl_buf_fini(&p->val);
    fl_free(p);
    done(done_arg); /* last: resp belongs to the caller again */
}

bool fl_ingest_route_log(struct fl_ingest *ing, const struct fl_ingest_call *call,
                         struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg) {
    bool pending = false;
    struct fl_error err = {0};
    struct fl_buf city, temp, val;
    fl_buf_init(&city, PARAM_MAX);
    fl_buf_init(&temp, PARAM_MAX);
    fl_buf_init(&val, 3 * PARAM_MAX);
    static const char *const names[] = {"city", "temperature"};
    struct fl_buf *bufs[] = {&city, &temp};
    for (int i = 0; i < 2; i++) {
        fl_err_t rc = fl_ingest_query_get(call->query, call->query_len, names[i], bufs[i], &err);
        if (rc == FL_ERR_NOTFOUND || (rc == FL_OK && bufs[i]->len == 0)) {
            fl_ingest_resp_error(resp, FL_INGEST_E_MISSING_PARAM,
                                 "missing query parameter \"%s\" (GET /log?city=..&temperature=..)",
                                 names[i]);
            goto out;
        }
        if (rc) {
            fl_ingest_resp_error(
                resp, rc == FL_ERR_LIMIT ? FL_INGEST_E_URI_TOO_LONG : FL_INGEST_E_BAD_REQUEST,
                "query parameter \"%s\": %s", names[i],
                rc == FL_ERR_LIMIT ? "longer than 4096 bytes" : err.msg);
            goto out;
        }
    }
    if (!is_number((const char *)temp.data)) {
        fl_ingest_resp_error(resp, FL_INGEST_E_NOT_A_NUMBER,
                             "temperature \"%.64s\" is not a number", (const char *)temp.data);
        goto out;
    }
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%d-%H", &tm);

    fl_buf_append_str(&val, "{\"city\":");
    fl_ingest_json_str(&val, (const char *)city.data, city.len);
    fl_buf_append_str(&val, ",\"temperature\":");
    fl_ingest_json_str(&val, (const char *)temp.data, temp.len);
    fl_buf_printf(&val, ",\"ts\":\"%s\"}", ts);

    int parts = 0;
    if (ing->be.topic_partitions(ing->be.ctx, ing->cfg.weather_topic, true, &parts, &err)) {
        fl_ingest_resp_backend_error(ing, resp, &err);
        goto out;
    }
    int partition = parts > 1 ? (int)(atomic_fetch_add(&ing->rr, 1) % (unsigned)parts) : 0;
    if (done && ing->be.append_async) {
        struct pending *p = fl_calloc(1, sizeof(*p));
        p->ing = ing;
        p->resp = resp;
        p->done = done;
        p->arg = arg;
        p->val = val; /* moved: the buffer is p's now */
        fl_buf_init(&val, 3 * PARAM_MAX);
        p->rec = (struct fl_log_record){
            .value = p->val.data, .value_len = p->val.len, .timestamp_ms = -1};
        pending = true;
        ing->be.append_async(ing->be.ctx, ing->cfg.weather_topic, partition, &p->rec, 1,
                             on_appended, p);
        goto out; /* p may be gone already */
    }
    struct fl_log_record rec = {.value = val.data, .value_len = val.len, .timestamp_ms = -1};
    int64_t offset = 0;
    fl_err_t rc =
        ing->be.append(ing->be.ctx, ing->cfg.weather_topic, partition, &rec, 1, &offset, &err);
    finish(ing, resp, &val, rc, &err);
out:
    fl_buf_fini(&city);
    fl_buf_fini(&temp);
    fl_buf_fini(&val);
    return pending;
}
