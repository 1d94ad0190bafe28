/*
 * routes_topics.c - POST /topics/{topic}, the Confluent REST Proxy v2
 * produce call. How it works: the whole body is parsed into records
 * first (records.c), so a refused body appends nothing; each record gets
 * a partition (its own "partition", else murmur2 of its key as Kafka's
 * default partitioner, else - keyless - one partition for all keyless
 * records of the request, chosen round-robin per request: Kafka's sticky
 * partitioner at request granularity); then each partition's records go
 * to the log as one batch, in request order, and the reply lists every
 * record's partition and offset as the REST proxy does:
 *   {"offsets":[{"partition":0,"offset":12,"error_code":null,"error":null}],
 *    "key_schema_id":null,"value_schema_id":null}
 * An unknown topic is created with the defaults when auto_create_topics
 * is on (Kafka's auto.create.topics.enable, which the REST proxy relies
 * on), else 404 with error_code 40401.
 */
#include "ingest/ingest_int.h"
#include "ingest/records.h"
#include "core/mem.h"

#include <string.h>

void fl_ingest_route_topics(struct fl_ingest *ing, const struct fl_ingest_call *call,
                            const char *topic, struct fl_ingest_resp *resp) {
    const struct fl_ingest_req *req = call->req;
    struct fl_error err = {0};
    struct fl_ingest_recs recs = {0};
    int *part = NULL;
    int64_t *offs = NULL;
    struct fl_log_record *batch = NULL;
    size_t tlen = call->path_len - (size_t)(topic - call->path);
    if (!fl_ingest_topic_name_ok(topic, tlen)) {
        fl_ingest_resp_error(resp, FL_INGEST_E_BAD_NAME,
                             "invalid topic name: 1..249 characters of [a-zA-Z0-9._-]");
        goto out;
    }
    fl_ingest_body_t kind;
    if (fl_ingest_body_kind(fl_ingest_req_header(req, "Content-Type"), &kind, &err)) {
        fl_ingest_resp_error(resp, FL_INGEST_E_MEDIA_TYPE, "%s", err.msg);
        goto out;
    }
    if (req->body_len == 0) {
        fl_ingest_resp_error(resp, FL_INGEST_E_EMPTY_BODY, "empty body");
        goto out;
    }
    fl_err_t rc = fl_ingest_records_parse(kind, req->body, req->body_len, ing->cfg.limits.records,
                                          &recs, &err);
    if (rc == FL_ERR_LIMIT) {
        fl_ingest_resp_error(resp, FL_INGEST_E_TOO_MANY, "%s", err.msg);
        goto out;
    }
    if (rc) {
        fl_ingest_resp_error(
            resp, rc == FL_ERR_NOMEM ? FL_INGEST_E_INTERNAL : FL_INGEST_E_INVALID_RECORDS, "%s",
            err.msg);
        goto out;
    }
    int nparts = 0;
    if (ing->be.topic_partitions(ing->be.ctx, topic, ing->cfg.auto_create_topics, &nparts, &err)) {
        if (err.code == FL_ERR_NOTFOUND)
            fl_ingest_resp_error(resp, FL_INGEST_E_TOPIC_NOT_FOUND, "Topic %s not found.", topic);
        else
            fl_ingest_resp_backend_error(ing, resp, &err);
        goto out;
    }
    if (nparts < 1) nparts = 1;
    part = fl_calloc((size_t)recs.n, sizeof(*part));
    offs = fl_calloc((size_t)recs.n, sizeof(*offs));
    batch = fl_calloc((size_t)recs.n, sizeof(*batch));
    int sticky = (int)(atomic_fetch_add(&ing->rr, 1) % (unsigned)nparts);
    for (int i = 0; i < recs.n; i++) {
        const struct fl_ingest_rec *r = &recs.v[i];
        if (r->partition >= 0) {
            if (r->partition >= nparts) {
                fl_ingest_resp_error(resp, FL_INGEST_E_PARTITION_NOT_FOUND,
                                     "Partition %d of topic %s not found (it has %d).",
                                     r->partition, topic, nparts);
                goto out;
            }
            part[i] = r->partition;
        } else if (r->key) {
            part[i] = fl_log_partition_for_key((const uint8_t *)r->key, r->key_len, nparts);
        } else {
            part[i] = sticky;
        }
    }
    /* one append per partition, records in request order */
    int failed = 0;
    struct fl_error first = {0};
    for (int p = 0; p < nparts; p++) {
        int n = 0;
        for (int i = 0; i < recs.n; i++) {
            if (part[i] != p) continue;
            batch[n] = (struct fl_log_record){.key = (const uint8_t *)recs.v[i].key,
                                              .key_len = recs.v[i].key_len,
                                              .value = (const uint8_t *)recs.v[i].value,
                                              .value_len = recs.v[i].value_len,
                                              .timestamp_ms = -1};
            n++;
        }
        if (n == 0) continue;
        int64_t base = 0;
        struct fl_error aerr = {0};
        if (ing->be.append(ing->be.ctx, topic, p, batch, n, &base, &aerr)) {
            if (!failed) first = aerr;
            failed = 1;
            base = -1;
        }
        for (int i = 0, k = 0; i < recs.n; i++)
            if (part[i] == p) offs[i] = base < 0 ? -1 : base + k++;
    }
    fl_ingest_ecode_t code = FL_INGEST_E_INTERNAL;
    if (failed)
        code = fl_ingest_resp_backend_error(ing, resp, &first);
    else
        resp->status = 200;
    /* the error reply keeps error_code and message and adds the offsets, so
     * a client sees which records of a multi-partition request are stored */
    if (failed) resp->body.len--; /* drop the closing brace */
    fl_buf_append_str(&resp->body, failed ? ",\"offsets\":[" : "{\"offsets\":[");
    for (int i = 0; i < recs.n; i++) {
        if (offs[i] >= 0)
            fl_buf_printf(&resp->body,
                          "%s{\"partition\":%d,\"offset\":%lld,\"error_code\":null,"
                          "\"error\":null}",
                          i ? "," : "", part[i], (long long)offs[i]);
        else
            fl_buf_printf(&resp->body,
                          "%s{\"partition\":%d,\"offset\":null,\"error_code\":%d,"
                          "\"error\":\"not stored\"}",
                          i ? "," : "", part[i], (int)code);
    }
    fl_buf_append_str(&resp->body, "],\"key_schema_id\":null,\"value_schema_id\":null}");
out:
    fl_free(part);
    fl_free(offs);
    fl_free(batch);
    fl_ingest_recs_fini(&recs);
}
