/*
 * routes_web.c - the pages, served from the binary (src/web/assets.h):
 *   GET /                   the weather dashboard when the catalog has
 *                           default.weather_agg (the weather scenario),
 *                           else the console
 *   GET /dashboard/weather  seed 001's dashboard (web/dashboard.html)
 *   GET /console            topics, pipelines, DLQ, tables, SQL box
 *   GET /assets/NAME        an embedded file (CSS, JS, uPlot)
 *   GET /licenses           the licenses of the embedded third-party code
 * The pages read GET /api/weather, GET /status and POST /sql; they load
 * nothing from elsewhere.
 */
#include "ingest/ingest_int.h"
#include "catalog/catalog.h"
#include "web/assets.h"

#include <string.h>

static void send_asset(const struct fl_web_asset *a, struct fl_ingest_resp *resp) {
    if (fl_buf_append(&resp->body, a->data, a->len)) {
        fl_buf_reset(&resp->body);
        fl_ingest_resp_error(resp, FL_INGEST_E_INTERNAL, "asset too large");
        return;
    }
    resp->status = 200;
    resp->content_type = fl_web_content_type(a->name);
}

static void send_named(const char *name, struct fl_ingest_resp *resp) {
    const struct fl_web_asset *a = fl_web_asset_find(name, strlen(name));
    if (a)
        send_asset(a, resp);
    else
        fl_ingest_resp_error(resp, FL_INGEST_E_NOT_FOUND, "%s is not in this build", name);
}

/* Whether the weather scenario's table exists: GET / then shows its dashboard. */
static bool weather_runs(struct fl_ingest *ing) {
    char loc[4096];
    struct fl_error err = {0};
    return ing->cfg.sql.cat && fl_catalog_table_load(ing->cfg.sql.cat, "default", "weather_agg",
                                                     loc, sizeof(loc), &err) == FL_OK;
}

void fl_ingest_route_page(struct fl_ingest *ing, const struct fl_ingest_call *call,
                          struct fl_ingest_resp *resp) {
    const char *p = call->path;
    if (!strcmp(p, "/"))
        send_named(weather_runs(ing) ? "dashboard.html" : "console.html", resp);
    else if (!strcmp(p, "/dashboard/weather"))
        send_named("dashboard.html", resp);
    else if (!strcmp(p, "/console"))
        send_named("console.html", resp);
    else
        fl_ingest_resp_error(resp, FL_INGEST_E_NOT_FOUND, "no page %.200s", p);
}

void fl_ingest_route_asset(struct fl_ingest *ing, const struct fl_ingest_call *call,
                           const char *name, struct fl_ingest_resp *resp) {
    (void)ing, (void)call;
    const struct fl_web_asset *a = fl_web_asset_find(name, strlen(name));
    if (!a || strchr(name, '/'))
        fl_ingest_resp_error(resp, FL_INGEST_E_NOT_FOUND, "no asset %.200s", name);
    else
        send_asset(a, resp);
}

void fl_ingest_route_licenses(struct fl_ingest *ing, const struct fl_ingest_call *call,
                              struct fl_ingest_resp *resp) {
    (void)ing, (void)call;
    const struct fl_web_asset *lic = fl_web_asset_find("LICENSE.uPlot", 13);
    static const char head[] = "Third-party code embedded in floe's pages\n\n";
    fl_err_t rc = fl_buf_append(&resp->body, head, sizeof(head) - 1);
    if (lic) {
        static const char up[] = "uPlot (https://github.com/leeoniya/uPlot), from npm:\n\n";
        if (!rc) rc = fl_buf_append(&resp->body, up, sizeof(up) - 1);
        if (!rc) rc = fl_buf_append(&resp->body, lic->data, lic->len);
    } else {
        static const char none[] = "None: this build has no uPlot (web/node_modules was absent).\n";
        if (!rc) rc = fl_buf_append(&resp->body, none, sizeof(none) - 1);
    }
    resp->status = 200;
    resp->content_type = "text/plain; charset=utf-8";
}
