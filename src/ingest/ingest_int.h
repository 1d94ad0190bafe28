/*
 * ingest_int.h - what the files of src/ingest/ share: the router struct,
 * the parsed request each route receives and the reply helpers.
 */
#ifndef FL_INGEST_INGEST_INT_H
#define FL_INGEST_INGEST_INT_H

#include "core/buf.h"
#include "ingest/ingest.h"

#include <stdatomic.h>

struct fl_ingest {
    struct fl_ingest_config cfg;
    struct fl_ingest_backend be;
    atomic_uint rr; /* round-robin start for keyless records */
};

/* A request after the router split its target: path is percent-decoded,
 * query is raw (fl_ingest_query_get decodes a parameter). */
struct fl_ingest_call {
    const struct fl_ingest_req *req;
    const char *path; /* decoded, NUL-terminated */
    size_t path_len;
    const char *query; /* raw, after '?'; "" when none */
    size_t query_len;
};

/* REST-proxy-style error codes: HTTP status * 100 + a detail. */
#define FL_INGEST_E_BAD_REQUEST 40001
#define FL_INGEST_E_BAD_NAME 40002
#define FL_INGEST_E_MISSING_PARAM 40003
#define FL_INGEST_E_NOT_A_NUMBER 40004
#define FL_INGEST_E_EMPTY_BODY 40005
#define FL_INGEST_E_NOT_JSON 40006
#define FL_INGEST_E_BAD_MULTIPART 40007
#define FL_INGEST_E_UNKNOWN_KIND 40008
#define FL_INGEST_E_NOT_FOUND 40400
#define FL_INGEST_E_TOPIC_NOT_FOUND 40401
#define FL_INGEST_E_PARTITION_NOT_FOUND 40402
#define FL_INGEST_E_METHOD 40501
#define FL_INGEST_E_TOO_LARGE 41301
#define FL_INGEST_E_TOO_MANY 41302
#define FL_INGEST_E_MEDIA_TYPE 41501
#define FL_INGEST_E_INVALID_RECORDS 42201
#define FL_INGEST_E_INTERNAL 50001
#define FL_INGEST_E_UNAVAILABLE 50301

/* Value of header name (case-insensitive), NULL when absent. */
const char *fl_ingest_req_header(const struct fl_ingest_req *req, const char *name);

/* Appends s[0..len) as a JSON string literal (quotes included). */
fl_err_t fl_ingest_json_str(struct fl_buf *b, const char *s, size_t len);

/* The error reply for a failed backend call: 503 + Retry-After for
 * FL_ERR_LIMIT, 404 for FL_ERR_NOTFOUND, 413 for FL_ERR_INVALID (over
 * max_append_bytes), else 500; err's message is the reply's. */
void fl_ingest_resp_backend_error(struct fl_ingest *ing, struct fl_ingest_resp *resp,
                                  const struct fl_error *err);

/* Kafka's topic name rule: 1..249 bytes of [a-zA-Z0-9._-], not "." or "..". */
int fl_ingest_topic_name_ok(const char *s, size_t len);

void fl_ingest_route_status(struct fl_ingest *ing, const struct fl_ingest_call *call,
                            struct fl_ingest_resp *resp);
void fl_ingest_route_health(struct fl_ingest *ing, const struct fl_ingest_call *call,
                            struct fl_ingest_resp *resp);
/* done NULL: answers before returning (false). Else may return true and
 * finish later through the backend's append_async (fl_ingest_handle_async). */
bool fl_ingest_route_log(struct fl_ingest *ing, const struct fl_ingest_call *call,
                         struct fl_ingest_resp *resp, fl_ingest_done_cb done, void *arg);
void fl_ingest_route_upload(struct fl_ingest *ing, const struct fl_ingest_call *call,
                            const char *file_name, struct fl_ingest_resp *resp);
void fl_ingest_route_topics(struct fl_ingest *ing, const struct fl_ingest_call *call,
                            const char *topic, struct fl_ingest_resp *resp);

#endif
