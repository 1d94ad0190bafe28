/*
 * assets.c - finds an embedded page file by name in the table that
 * cmake/embed_web.cmake generates (a handful of entries: a linear scan).
 */
#include "web/assets.h"

#include <string.h>

const struct fl_web_asset *fl_web_asset_find(const char *name, size_t len) {
    for (int i = 0; i < fl_web_nassets; i++) {
        const struct fl_web_asset *a = &fl_web_assets[i];
        if (strlen(a->name) == len && memcmp(a->name, name, len) == 0) return a;
    }
    return NULL;
}

const char *fl_web_content_type(const char *name) {
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"}};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && !strcmp(name + n - e, types[i].ext)) return types[i].type;
    }
    return "text/plain; charset=utf-8";
}
