/*
 * routes_health.c - GET /health: {"status":"healthy"}, as the seed's
 * logging server answers. It proves the server thread pool answers; the
 * log's own health is seen in the replies of appends (503 when over its
 * limits).
 */
#include "ingest/ingest_int.h"

void fl_ingest_route_health(struct fl_ingest *ing, const struct fl_ingest_call *call,
                            struct fl_ingest_resp *resp) {
    (void)ing;
    (void)call;
    resp->status = 200;
    fl_buf_append_str(&resp->body, "{\"status\":\"healthy\"}");
}
