/*
 * batch.c - Kafka record batch v2: encoding, checking and iterating.
 *
 * How it works: the encoder computes each record's body size first (the
 * length prefix is a varint), writes the records after a 61-byte header,
 * then fills the header and the CRC-32C of attributes..end. The checker
 * and the iterator never trust a length: every varint and every length
 * is bounded by the bytes left in its record, every record by its batch.
 *
 * Codecs: records_of() is the one place that turns a batch's record
 * bytes into something to walk: the bytes themselves for codec 0, else
 * the records decompressed (codec.c) into a buffer the caller owns (the
 * iterator's, reused from batch to batch; fl_log_batch_iter_fini frees
 * it). The checker of whole batches (recovery) trusts the CRC of a
 * compressed batch; fl_log_batch_check_records (a producer's batch, on
 * its way in) decompresses it and checks every record.
 */
#include "log/batch.h"

#include "core/crc32c.h"
#include "core/endian.h"
#include "core/varint.h"
#include "log/codec.h"

#include <string.h>

static size_t vlen(int64_t v) {
    uint64_t u = fl_zigzag_enc64(v);
    size_t n = 1;
    while (u >= 0x80) {
        u >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_v(uint8_t *p, int64_t v) {
    return p + fl_varint_put_u64(p, fl_zigzag_enc64(v));
}

static uint8_t *put_bytes(uint8_t *p, const void *data, size_t len, int null) {
    if (null) return put_v(p, -1);
    p = put_v(p, (int64_t)len);
    if (len) memcpy(p, data, len);
    return p + len;
}

/* The record's body size (after its length varint), or 0 when a length
 * does not fit an int32. */
static size_t body_size(const struct fl_log_record *r, int64_t ts_delta, int32_t off_delta) {
    const size_t cap = (size_t)INT32_MAX;
    if (r->key_len > cap || r->value_len > cap || r->nheaders < 0 || (r->nheaders && !r->headers))
        return 0;
    size_t n = 1 + vlen(ts_delta) + vlen(off_delta);
    n += r->key ? vlen((int64_t)r->key_len) + r->key_len : 1;
    n += r->value ? vlen((int64_t)r->value_len) + r->value_len : 1;
    n += vlen(r->nheaders);
    for (int i = 0; i < r->nheaders; i++) {
        const struct fl_log_header *h = &r->headers[i];
        if (h->key_len > cap || h->value_len > cap || !h->key) return 0;
        n += vlen((int64_t)h->key_len) + h->key_len;
        n += h->value ? vlen((int64_t)h->value_len) + h->value_len : 1;
        if (n > cap) return 0;
    }
    return n > cap ? 0 : n;
}

fl_err_t fl_log_batch_encode(struct fl_buf *out, int64_t base_offset,
                             const struct fl_log_record *recs, int n, int64_t now_ms,
                             struct fl_error *err) {
    if (n < 1) return fl_errf(err, FL_ERR_INVALID, "a batch needs at least one record");
    size_t start = out->len;
    if (!fl_buf_grow(out, FL_LOG_BATCH_OVERHEAD))
        return fl_errf(err, FL_ERR_LIMIT, "batch over the size limit");
    int64_t base_ts = recs[0].timestamp_ms >= 0 ? recs[0].timestamp_ms : now_ms;
    int64_t max_ts = base_ts;
    for (int i = 0; i < n; i++) {
        const struct fl_log_record *r = &recs[i];
        int64_t ts = r->timestamp_ms >= 0 ? r->timestamp_ms : now_ms;
        if (ts > max_ts) max_ts = ts;
        size_t body = body_size(r, ts - base_ts, i);
        if (!body)
            return fl_errf(err, FL_ERR_INVALID,
                           "record %d: a length over 2 GiB, a header without a key, or bad headers",
                           i);
        uint8_t *p = fl_buf_grow(out, vlen((int64_t)body) + body);
        if (!p) return fl_errf(err, FL_ERR_LIMIT, "batch over the size limit");
        p = put_v(p, (int64_t)body);
        *p++ = 0; /* record attributes */
        p = put_v(p, ts - base_ts);
        p = put_v(p, i);
        p = put_bytes(p, r->key, r->key_len, r->key == NULL);
        p = put_bytes(p, r->value, r->value_len, r->value == NULL);
        p = put_v(p, r->nheaders);
        for (int k = 0; k < r->nheaders; k++) {
            const struct fl_log_header *h = &r->headers[k];
            p = put_bytes(p, h->key, h->key_len, 0);
            p = put_bytes(p, h->value, h->value_len, h->value == NULL);
        }
    }
    size_t total = out->len - start;
    if (total - FL_LOG_BATCH_LOG_OVERHEAD > (size_t)INT32_MAX)
        return fl_errf(err, FL_ERR_LIMIT, "batch over 2 GiB");
    uint8_t *h = out->data + start;
    fl_log_put_be64(h, (uint64_t)base_offset);
    fl_put_be32(h + 8, (uint32_t)(total - FL_LOG_BATCH_LOG_OVERHEAD));
    fl_put_be32(h + 12, 0); /* partition leader epoch: single node, epoch 0 */
    h[16] = 2;              /* magic */
    h[21] = 0;              /* attributes: no codec, CreateTime */
    h[22] = 0;
    fl_put_be32(h + 23, (uint32_t)(n - 1));
    fl_log_put_be64(h + 27, (uint64_t)base_ts);
    fl_log_put_be64(h + 35, (uint64_t)max_ts);
    fl_log_put_be64(h + 43, UINT64_MAX); /* producerId -1 */
    h[51] = 0xff;                        /* producerEpoch -1 */
    h[52] = 0xff;
    fl_put_be32(h + 53, UINT32_MAX); /* baseSequence -1 */
    fl_put_be32(h + 57, (uint32_t)n);
    fl_put_be32(h + 17, fl_crc32c(0, h + FL_LOG_BATCH_CRC_START, total - FL_LOG_BATCH_CRC_START));
    return FL_OK;
}

void fl_log_batch_hdr_parse(const uint8_t *p, struct fl_log_batch_hdr *h) {
    h->base_offset = (int64_t)fl_log_be64(p);
    h->length = (int32_t)fl_be32(p + 8);
    h->leader_epoch = (int32_t)fl_be32(p + 12);
    h->magic = (int8_t)p[16];
    h->crc = fl_be32(p + 17);
    h->attributes = (int16_t)fl_log_be16(p + 21);
    h->last_offset_delta = (int32_t)fl_be32(p + 23);
    h->base_timestamp = (int64_t)fl_log_be64(p + 27);
    h->max_timestamp = (int64_t)fl_log_be64(p + 35);
    h->producer_id = (int64_t)fl_log_be64(p + 43);
    h->producer_epoch = (int16_t)fl_log_be16(p + 51);
    h->base_sequence = (int32_t)fl_be32(p + 53);
    h->count = (int32_t)fl_be32(p + 57);
}

void fl_log_batch_set_base_offset(uint8_t *p, int64_t base_offset) {
    fl_log_put_be64(p, (uint64_t)base_offset);
}

/* A zigzag varint bounded by end; false when truncated or over int64. */
static bool get_v(const uint8_t **p, const uint8_t *end, int64_t *v) {
    uint64_t u;
    size_t k = fl_varint_get_u64(*p, (size_t)(end - *p), &u);
    if (!k) return false;
    *p += k;
    *v = fl_zigzag_dec64(u);
    return true;
}

/* A length-prefixed byte field; -1 = null (only when nullable). */
static bool get_field(const uint8_t **p, const uint8_t *end, bool nullable, const uint8_t **data,
                      size_t *len) {
    int64_t n;
    if (!get_v(p, end, &n)) return false;
    if (n == -1 && nullable) {
        *data = NULL;
        *len = 0;
        return true;
    }
    if (n < 0 || n > end - *p) return false;
    *data = *p;
    *len = (size_t)n;
    *p += n;
    return true;
}

/* Decodes one record of [*p, end) into d; base fields from the batch. */
static bool record_parse(const uint8_t **pp, const uint8_t *end, const struct fl_log_batch_hdr *bh,
                         struct fl_log_decoded *d) {
    const uint8_t *p = *pp;
    int64_t len, ts_delta, off_delta, nh;
    if (!get_v(&p, end, &len) || len < 1 || len > end - p) return false;
    const uint8_t *rend = p + len;
    p++; /* record attributes: unused */
    if (!get_v(&p, rend, &ts_delta) || !get_v(&p, rend, &off_delta)) return false;
    if (off_delta < 0 || off_delta > INT32_MAX) return false;
    if (!get_field(&p, rend, true, &d->key, &d->key_len)) return false;
    if (!get_field(&p, rend, true, &d->value, &d->value_len)) return false;
    if (!get_v(&p, rend, &nh) || nh < 0 || nh > rend - p) return false;
    d->headers = p;
    for (int64_t i = 0; i < nh; i++) {
        const uint8_t *x;
        size_t xl;
        if (!get_field(&p, rend, false, &x, &xl) || !get_field(&p, rend, true, &x, &xl))
            return false;
    }
    if (p != rend) return false;
    d->nheaders = (int)nh;
    d->headers_end = rend;
    d->offset = bh->base_offset + off_delta;
    if (bh->attributes & FL_LOG_ATTR_LOG_APPEND_TIME)
        d->timestamp_ms = bh->max_timestamp;
    else if (__builtin_add_overflow(bh->base_timestamp, ts_delta, &d->timestamp_ms))
        return false;
    *pp = rend;
    return true;
}

/* The record bytes of a checked batch: the one place codecs plug in. */
static fl_err_t records_of(const uint8_t *batch, const struct fl_log_batch_hdr *h,
                           struct fl_buf *dec, const uint8_t **rec, const uint8_t **rec_end,
                           struct fl_error *err) {
    int codec = h->attributes & FL_LOG_ATTR_CODEC_MASK;
    *rec = batch + FL_LOG_BATCH_OVERHEAD;
    *rec_end = batch + FL_LOG_BATCH_LOG_OVERHEAD + h->length;
    if (codec == 0) return FL_OK;
    if (!fl_log_codec_readable(codec))
        return fl_errf(err, FL_ERR_UNSUPPORTED,
                       "batch at offset %lld: compression codec %d unknown",
                       (long long)h->base_offset, codec);
    if (dec->max == 0) fl_buf_init(dec, FL_LOG_DECOMPRESSED_MAX);
    fl_buf_reset(dec);
    fl_err_t rc = fl_log_codec_decompress(codec, *rec, (size_t)(*rec_end - *rec), dec, err);
    if (rc) {
        fl_err_prefix(err, "batch at offset %lld: ", (long long)h->base_offset);
        return rc == FL_ERR_UNSUPPORTED ? rc : FL_ERR_CORRUPT;
    }
    *rec = dec->data;
    *rec_end = dec->data + dec->len;
    return FL_OK;
}

/* Every record of [r, end) framed and within the batch's offsets. */
static fl_err_t records_check(const struct fl_log_batch_hdr *h, const uint8_t *r,
                              const uint8_t *end, struct fl_error *err) {
    for (int32_t i = 0; i < h->count; i++) {
        struct fl_log_decoded d;
        if (!record_parse(&r, end, h, &d) || d.offset > h->base_offset + h->last_offset_delta)
            return fl_errf(err, FL_ERR_CORRUPT, "batch at offset %lld: record %d malformed",
                           (long long)h->base_offset, i);
    }
    if (r != end)
        return fl_errf(err, FL_ERR_CORRUPT, "batch at offset %lld: bytes after the last record",
                       (long long)h->base_offset);
    return FL_OK;
}

/* Header-level checks shared by the checker and the iterator. */
static fl_err_t hdr_check(const uint8_t *p, size_t len, struct fl_log_batch_hdr *h,
                          struct fl_error *err) {
    if (len < FL_LOG_BATCH_OVERHEAD)
        return fl_errf(err, FL_ERR_CORRUPT, "record batch shorter than its header");
    fl_log_batch_hdr_parse(p, h);
    if (h->length < FL_LOG_BATCH_OVERHEAD - FL_LOG_BATCH_LOG_OVERHEAD ||
        (size_t)h->length + FL_LOG_BATCH_LOG_OVERHEAD != len)
        return fl_errf(err, FL_ERR_CORRUPT, "batch at offset %lld: bad length %d",
                       (long long)h->base_offset, h->length);
    if (h->magic != 2)
        return fl_errf(err, FL_ERR_CORRUPT, "batch at offset %lld: magic %d, not 2",
                       (long long)h->base_offset, h->magic);
    if (fl_crc32c(0, p + FL_LOG_BATCH_CRC_START, len - FL_LOG_BATCH_CRC_START) != h->crc)
        return fl_errf(err, FL_ERR_CORRUPT, "batch at offset %lld: CRC mismatch",
                       (long long)h->base_offset);
    if (h->last_offset_delta < 0 || h->count < 0 || h->base_offset < 0 ||
        h->base_offset > INT64_MAX - INT32_MAX)
        return fl_errf(err, FL_ERR_CORRUPT, "batch at offset %lld: bad offsets or count",
                       (long long)h->base_offset);
    return FL_OK;
}

fl_err_t fl_log_batch_check(const uint8_t *p, size_t len, struct fl_log_batch_hdr *h,
                            struct fl_error *err) {
    fl_err_t rc = hdr_check(p, len, h, err);
    if (rc) return rc;
    if ((h->attributes & FL_LOG_ATTR_CODEC_MASK) != 0) return FL_OK; /* CRC covers it */
    return records_check(h, p + FL_LOG_BATCH_OVERHEAD, p + len, err);
}

fl_err_t fl_log_batch_check_records(const uint8_t *p, const struct fl_log_batch_hdr *h,
                                    struct fl_buf *scratch, struct fl_error *err) {
    const uint8_t *r, *end;
    fl_err_t rc = records_of(p, h, scratch, &r, &end, err);
    return rc ? rc : records_check(h, r, end, err);
}

void fl_log_batch_iter_init(struct fl_log_batch_iter *it, const uint8_t *data, size_t len) {
    memset(it, 0, sizeof(*it)); /* dec too: a used iterator is finied first */
    it->p = data;
    it->end = data + len;
}

fl_err_t fl_log_batch_iter_next(struct fl_log_batch_iter *it, struct fl_log_decoded *rec,
                                struct fl_error *err) {
    for (;;) {
        if (it->rec && it->index < it->nrecords) {
            struct fl_log_batch_hdr h = {0};
            h.base_offset = it->base_offset;
            h.base_timestamp = it->base_timestamp;
            h.max_timestamp = it->max_timestamp;
            h.attributes = it->attributes;
            if (!record_parse(&it->rec, it->rec_end, &h, rec))
                return fl_errf(err, FL_ERR_CORRUPT, "batch at offset %lld: record %d malformed",
                               (long long)it->base_offset, it->index);
            it->index++;
            return FL_OK;
        }
        it->rec = NULL;
        size_t left = (size_t)(it->end - it->p);
        if (left < FL_LOG_BATCH_LOG_OVERHEAD) return FL_ERR_EOF;
        uint32_t blen = fl_be32(it->p + 8);
        /* a batch cut short at the end is where a fetch stopped, as Kafka clients see it */
        if ((size_t)blen > left - FL_LOG_BATCH_LOG_OVERHEAD) return FL_ERR_EOF;
        size_t len = (size_t)blen + FL_LOG_BATCH_LOG_OVERHEAD;
        struct fl_log_batch_hdr h;
        fl_err_t rc = hdr_check(it->p, len, &h, err);
        if (rc) return rc;
        const uint8_t *batch = it->p;
        it->p += len;
        if (h.attributes & FL_LOG_ATTR_CONTROL) continue; /* transaction markers */
        const uint8_t *r = NULL, *rend = NULL;
        rc = records_of(batch, &h, &it->dec, &r, &rend, err);
        if (rc) return rc;
        it->base_offset = h.base_offset;
        it->base_timestamp = h.base_timestamp;
        it->max_timestamp = h.max_timestamp;
        it->attributes = h.attributes;
        it->nrecords = h.count;
        it->index = 0;
        it->rec = r;
        it->rec_end = rend;
    }
}

void fl_log_batch_iter_fini(struct fl_log_batch_iter *it) {
    fl_buf_fini(&it->dec);
    memset(&it->dec, 0, sizeof(it->dec));
}

bool fl_log_codec_readable(int codec) { return codec >= 0 && codec <= 4; }

fl_err_t fl_log_header_next(const struct fl_log_decoded *rec, const uint8_t **p, int *index,
                            struct fl_log_header *h) {
    if (*index >= rec->nheaders) return FL_ERR_EOF;
    const uint8_t *k, *v;
    size_t kl, vl;
    if (!get_field(p, rec->headers_end, false, &k, &kl) ||
        !get_field(p, rec->headers_end, true, &v, &vl))
        return FL_ERR_CORRUPT;
    h->key = (const char *)k;
    h->key_len = kl;
    h->value = v;
    h->value_len = vl;
    (*index)++;
    return FL_OK;
}
