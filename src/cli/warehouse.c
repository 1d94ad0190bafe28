/*
 * warehouse.c - the warehouse and catalog the table-facing commands use
 * (see warehouse.h).
 */
#include "cli/warehouse.h"
#include "core/mem.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *fl_cli_to_uri(const char *s) {
    if (strstr(s, "://")) return fl_strdup(s);
    char *cwd = s[0] == '/' ? NULL : getcwd(NULL, 0); /* sized by getcwd: no cut */
    size_t n = strlen("file://") + (cwd ? strlen(cwd) + 1 : 0) + strlen(s) + 1;
    char *u = fl_malloc(n);
    snprintf(u, n, "file://%s%s%s", cwd ? cwd : "", cwd ? "/" : "", s);
    free(cwd);
    return u;
}

fl_err_t fl_cli_warehouse_open(const char *warehouse, const char *catalog, struct fl_store **st,
                               struct fl_catalog **cat, struct fl_error *err) {
    *st = NULL;
    *cat = NULL;
    const char *wh = warehouse ? warehouse : getenv("FLOE_WAREHOUSE");
    if (!wh) wh = "warehouse";
    char *uri = fl_cli_to_uri(wh);
    if (strncmp(uri, "file://", 7) == 0) mkdir(uri + 7, 0755);
    struct fl_store_opts sopts = {0};
    fl_err_t rc = fl_store_open(uri, &sopts, st, err);
    const char *c = catalog ? catalog : getenv("FLOE_CATALOG");
    char catbuf[PATH_MAX + 16];
    if (!rc && !c) {
        if (strncmp(uri, "file://", 7) != 0) {
            rc =
                fl_errf(err, FL_ERR_INVALID,
                        "a warehouse on %s needs --catalog (sqlite:PATH or postgresql://...)", uri);
        } else if (snprintf(catbuf, sizeof(catbuf), "sqlite://%s/catalog.db", uri + 7) >=
                   (int)sizeof(catbuf)) {
            rc = fl_errf(err, FL_ERR_INVALID, "warehouse path too long for its catalog: %.200s...",
                         uri);
        } else {
            c = catbuf;
        }
    }
    if (!rc) rc = fl_catalog_open(c, "floe", cat, err);
    fl_free(uri);
    if (rc) {
        fl_catalog_free(*cat);
        fl_store_free(*st);
        *st = NULL;
        *cat = NULL;
    }
    return rc;
}
