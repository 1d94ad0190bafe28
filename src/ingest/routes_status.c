/*
 * routes_status.c - GET /status: what the process runs and how far it
 * got, as JSON written by whoever owns that knowledge (floe up fills in
 * its pipelines' counters through fl_ingest_config.status), so the
 * router knows nothing of pipelines. `floe status` reads it.
 */
#include "ingest/ingest_int.h"

void fl_ingest_route_status(struct fl_ingest *ing, const struct fl_ingest_call *call,
                            struct fl_ingest_resp *resp) {
    (void)call;
    resp->status = 200;
    resp->content_type = "application/json";
    ing->cfg.status(ing->cfg.status_ctx, &resp->body);
}
