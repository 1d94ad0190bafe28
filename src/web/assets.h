/*
 * assets.h - the files of floe's pages (web/: the dashboard, the console,
 * their CSS and JS) and the chart library vendored from npm (uPlot, with
 * its LICENSE), embedded into the binary at build time by
 * cmake/embed_web.cmake. Nothing is read from disk or a CDN at run time.
 */
#ifndef FL_WEB_ASSETS_H
#define FL_WEB_ASSETS_H

#include <stddef.h>

struct fl_web_asset {
    const char *name; /* "dashboard.html", "uPlot.iife.min.js", "LICENSE.uPlot" */
    const unsigned char *data;
    size_t len;
};

/* The generated table (build dir web_assets.c). */
extern const struct fl_web_asset fl_web_assets[];
extern const int fl_web_nassets;

/* The asset called name[0..len), NULL when none (e.g. uPlot when the
 * build had no web/node_modules). */
const struct fl_web_asset *fl_web_asset_find(const char *name, size_t len);

/* The Content-Type of an asset, from its name's ending (text/plain when
 * none matches). */
const char *fl_web_content_type(const char *name);

#endif
