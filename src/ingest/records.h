/*
 * records.h - the bodies of POST /topics/{topic}: the Confluent REST
 * Proxy v2 shape {"records":[{"key":K,"value":V,"partition":P}]}, a plain
 * JSON object (one record), a JSON array (one record per element) or
 * NDJSON (one record per line), turned into key/value bytes.
 *
 * Bytes stored: a value is its compact JSON text; a string key is its
 * raw UTF-8 (so a key partitions as a Kafka producer's string key
 * does), any other key its compact JSON text; a null or missing key or
 * value is null.
 */
#ifndef FL_INGEST_RECORDS_H
#define FL_INGEST_RECORDS_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

struct fl_ingest_rec {
    char *key; /* NULL = null key; owned */
    size_t key_len;
    char *value; /* NULL = null value; owned */
    size_t value_len;
    int partition; /* -1 unless the record named one */
};

struct fl_ingest_recs {
    struct fl_ingest_rec *v;
    int n;
};

/* How a body is read, from its Content-Type. */
typedef enum {
    FL_INGEST_BODY_REST = 0, /* application/vnd.kafka.json.v2+json: {"records":[...]} only */
    FL_INGEST_BODY_JSON,     /* application/json: REST shape, plain object or array */
    FL_INGEST_BODY_NDJSON    /* application/x-ndjson (or application/jsonlines) */
} fl_ingest_body_t;

/* FL_ERR_UNSUPPORTED for a content type none of the above (415). */
fl_err_t fl_ingest_body_kind(const char *content_type, fl_ingest_body_t *kind,
                             struct fl_error *err);

/* Parses body into out (zeroed by the caller; fl_ingest_recs_fini frees
 * it, also after a failure). FL_ERR_INVALID (with where and why) for
 * malformed JSON, invalid UTF-8, a bad record or no records at all;
 * FL_ERR_LIMIT beyond max_records records. */
fl_err_t fl_ingest_records_parse(fl_ingest_body_t kind, const uint8_t *body, size_t len,
                                 int max_records, struct fl_ingest_recs *out, struct fl_error *err);
void fl_ingest_recs_fini(struct fl_ingest_recs *recs);

#endif
