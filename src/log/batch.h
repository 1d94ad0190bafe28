/*
 * batch.h - Kafka record batches (v2, magic 2): encoding, the fixed
 * header, and a full check of one batch as recovery and readers need it.
 *
 * Layout (big-endian fixed fields, as DefaultRecordBatch.java):
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 |
 *   magic int8 (2) | crc uint32 (CRC-32C of attributes..end) |
 *   attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 |
 *   maxTimestamp int64 | producerId int64 | producerEpoch int16 |
 *   baseSequence int32 | recordCount int32 | records...
 * Each record (DefaultRecord.java) is zigzag varints: length, then
 * attributes int8, timestampDelta, offsetDelta, keyLength (-1 = null),
 * key, valueLength, value, headerCount, headers (keyLength, key,
 * valueLength, value). baseOffset and the leader epoch are outside the
 * CRC, so a batch is encoded once and its offset patched under the lock.
 */
#ifndef FL_LOG_BATCH_H
#define FL_LOG_BATCH_H

#include "core/buf.h"
#include "core/err.h"
#include "log/log.h"

#include <stddef.h>
#include <stdint.h>

#define FL_LOG_BATCH_OVERHEAD 61     /* the fixed header, RECORDS_OFFSET */
#define FL_LOG_BATCH_LOG_OVERHEAD 12 /* baseOffset + batchLength */
#define FL_LOG_BATCH_CRC_START 21    /* ATTRIBUTES_OFFSET */
#define FL_LOG_ATTR_CODEC_MASK 0x07
#define FL_LOG_ATTR_LOG_APPEND_TIME 0x08
#define FL_LOG_ATTR_TRANSACTIONAL 0x10
#define FL_LOG_ATTR_CONTROL 0x20

struct fl_log_batch_hdr {
    int64_t base_offset;
    int32_t length; /* batchLength: bytes after the length field */
    int32_t leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp, max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t count;
};

/* Appends n (>= 1) records as one uncompressed batch to out, with the
 * given base offset; records with timestamp_ms < 0 get now_ms. Errors:
 * FL_ERR_LIMIT when out's cap is reached (out then holds a partial
 * batch: the caller discards it), FL_ERR_INVALID for bad lengths. */
fl_err_t fl_log_batch_encode(struct fl_buf *out, int64_t base_offset,
                             const struct fl_log_record *recs, int n, int64_t now_ms,
                             struct fl_error *err);

/* Decodes the fixed header of p (at least FL_LOG_BATCH_OVERHEAD bytes). */
void fl_log_batch_hdr_parse(const uint8_t *p, struct fl_log_batch_hdr *h);

/* Overwrites the base offset of an encoded batch (not under the CRC). */
void fl_log_batch_set_base_offset(uint8_t *p, int64_t base_offset);

/* Checks one complete batch of exactly len bytes: sizes, magic 2, CRC,
 * offsets, and for uncompressed batches every record's framing. Fills h.
 * FL_ERR_CORRUPT with a message when any of it is wrong. */
fl_err_t fl_log_batch_check(const uint8_t *p, size_t len, struct fl_log_batch_hdr *h,
                            struct fl_error *err);

/* The records of a batch that passed fl_log_batch_check (h its header):
 * a compressed one decompressed into scratch (the caller's, capped at
 * FL_LOG_DECOMPRESSED_MAX when unset) and every record's framing
 * checked. FL_ERR_CORRUPT when they are malformed or do not inflate. */
fl_err_t fl_log_batch_check_records(const uint8_t *p, const struct fl_log_batch_hdr *h,
                                    struct fl_buf *scratch, struct fl_error *err);

/* Walks the raw headers of a decoded record: *p starts at rec->headers;
 * FL_OK with *h filled (pointers into the batch), FL_ERR_EOF after
 * rec->nheaders, FL_ERR_CORRUPT when malformed. */
fl_err_t fl_log_header_next(const struct fl_log_decoded *rec, const uint8_t **p, int *index,
                            struct fl_log_header *h);

static inline uint64_t fl_log_be64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}
static inline void fl_log_put_be64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}
static inline uint16_t fl_log_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

#endif
