/*
 * produce_forward.c - Produce with `log: {kafka: ...}`: one partition's
 * record batches go to the external Kafka cluster (kafka.h's
 * cfg.forward, the ingest backend's idempotent librdkafka producer,
 * acks=all) instead of into floe's log, and the reply waits for the
 * cluster's acknowledgement.
 *
 * How it works: every batch is checked whole first (CRC-32C, offsets,
 * records), so a refused batch forwards nothing. Then each batch in turn
 * passes the idempotent-producer check (producers.c: a client's retry of
 * a batch already forwarded is answered with the offset the cluster gave
 * it, not sent twice), is decoded (decompressed if need be) into records
 * - key, value, timestamp and headers as the client sent them - and
 * forwarded as one call, which returns once the cluster has every record
 * with consecutive offsets. The request's bytes and the decoded records
 * are borrowed for the call only; the arrays grow per request, not per
 * record.
 */
#include "kafka/kafka_int.h"

#include "core/endian.h"
#include "core/mem.h"
#include "log/batch.h"

#include <string.h>

struct fwd_arrays {
    struct fl_log_record *recs;
    int *hstart; /* per record: its first header's index in hdrs */
    struct fl_log_header *hdrs;
    int nrecs, crecs, chdrs;
};

/* Decodes one batch (the iterator over its bytes alone) into a's
 * records: pointers into the batch or the iterator's buffer, valid until
 * the iterator is freed. */
static int16_t decode_batch(struct fl_log_batch_iter *it, struct fwd_arrays *a) {
    struct fl_log_decoded d;
    struct fl_error err = {0};
    fl_err_t rc;
    int nr = 0, nh = 0;
    while ((rc = fl_log_batch_iter_next(it, &d, &err)) == FL_OK) {
        /* a header takes at least 2 bytes (two varint lengths): a count
         * past that is a lie, not an allocation size */
        if (d.nheaders < 0 || (size_t)d.nheaders > (size_t)(d.headers_end - d.headers) / 2)
            return FL_KAFKA_CORRUPT_MESSAGE;
        if (nr == a->crecs) {
            a->crecs = a->crecs ? 2 * a->crecs : 64;
            a->recs = fl_reallocarray(a->recs, (size_t)a->crecs, sizeof(*a->recs));
            a->hstart = fl_reallocarray(a->hstart, (size_t)a->crecs, sizeof(*a->hstart));
        }
        a->recs[nr] = (struct fl_log_record){d.key,          d.key_len, d.value,   d.value_len,
                                             d.timestamp_ms, NULL,      d.nheaders};
        a->hstart[nr++] = nh;
        if (d.nheaders > a->chdrs - nh) {
            while (d.nheaders > a->chdrs - nh) a->chdrs = a->chdrs ? 2 * a->chdrs : 64;
            a->hdrs = fl_reallocarray(a->hdrs, (size_t)a->chdrs, sizeof(*a->hdrs));
        }
        const uint8_t *hp = d.headers;
        int idx = 0;
        for (int h = 0; h < d.nheaders; h++, nh++)
            if (fl_log_header_next(&d, &hp, &idx, &a->hdrs[nh])) return FL_KAFKA_CORRUPT_MESSAGE;
    }
    if (rc != FL_ERR_EOF) return FL_KAFKA_CORRUPT_MESSAGE;
    for (int i = 0; i < nr; i++) /* hdrs no longer moves */
        if (a->recs[i].nheaders > 0) a->recs[i].headers = a->hdrs + a->hstart[i];
    a->nrecs = nr;
    return FL_KAFKA_NONE;
}

int16_t fl_kafka_forward_part(struct fl_kafka *k, const char *topic, int32_t part, const uint8_t *p,
                              size_t len, int64_t *base) {
    struct fl_error err = {0};
    for (size_t pos = 0; pos < len;) { /* all or nothing: every batch checked first */
        size_t blen = (size_t)fl_be32(p + pos + 8) + FL_LOG_BATCH_LOG_OVERHEAD;
        struct fl_log_batch_hdr h;
        if (fl_log_batch_check(p + pos, blen, &h, &err)) return FL_KAFKA_CORRUPT_MESSAGE;
        pos += blen;
    }
    struct fwd_arrays a = {0};
    int16_t code = FL_KAFKA_NONE;
    for (size_t pos = 0; pos < len && !code;) {
        size_t blen = (size_t)fl_be32(p + pos + 8) + FL_LOG_BATCH_LOG_OVERHEAD;
        struct fl_log_batch_hdr h;
        int64_t off = -1;
        fl_log_batch_hdr_parse(p + pos, &h);
        code = fl_kafka_producer_check(k, topic, part, &h, &off);
        if (code == FL_KAFKA_DUPLICATE_SEQUENCE_NUMBER) {
            code = FL_KAFKA_NONE; /* a retry: the offset the cluster gave it */
        } else if (!code) {
            struct fl_log_batch_iter it;
            fl_log_batch_iter_init(&it, p + pos, blen);
            code = decode_batch(&it, &a);
            if (!code && a.nrecs > 0) {
                fl_err_t rc = k->cfg.forward->append(k->cfg.forward->ctx, topic, part, a.recs,
                                                     a.nrecs, &off, &err);
                if (rc) code = fl_kafka_code(rc); /* retriable: KAFKA_STORAGE_ERROR */
            }
            fl_log_batch_iter_fini(&it);
            if (!code) fl_kafka_producer_appended(k, topic, part, &h, off);
        }
        if (!code && pos == 0) *base = off;
        pos += blen;
    }
    fl_free(a.recs);
    fl_free(a.hstart);
    fl_free(a.hdrs);
    return code;
}
